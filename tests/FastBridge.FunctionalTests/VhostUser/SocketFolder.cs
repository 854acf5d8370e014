using System.Security.Cryptography;

namespace FastBridge.Tests.VhostUser;

/// <summary>
/// A fresh folder for vhost-user sockets directly under /tmp (a unix socket path must stay under 108 bytes, so not
/// under a long TMPDIR), with a random suffix; removed with everything in it on dispose.
/// </summary>
internal sealed class SocketFolder : IDisposable
{
    public SocketFolder()
    {
        Suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        Directory = System.IO.Directory.CreateDirectory($"/tmp/fbvu-{Suffix}").FullName;
    }

    /// <summary>6 random hex digits: use them in switch names, namespaces and devices of the same test.</summary>
    public string Suffix { get; }

    public string Directory { get; }

    /// <summary>The path of socket NAME (NAME.sock) in this folder.</summary>
    public string Path(string name) => System.IO.Path.Combine(Directory, name + ".sock");

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
