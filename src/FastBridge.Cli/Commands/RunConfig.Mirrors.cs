using FastBridge.Control;
using FastBridge.Switching;

namespace FastBridge.Cli.Commands;

internal sealed partial class RunConfig
{
    /// <summary>
    /// The file's <c>mirrors</c>, checked as far as the file alone can be (names, directions, VLANs, ports listed in
    /// <c>ports</c> when the file lists them); throws <see cref="FormatException"/> naming the mirror at fault.
    /// </summary>
    public List<Mirror> MirrorList(string path)
    {
        var mirrors = new List<Mirror>();
        string[] ports = PortNames();
        foreach (MirrorInfo info in Mirrors ?? [])
        {
            if (!info.TryToMirror(out Mirror? mirror, out string? error))
            {
                throw new FormatException($"config file '{path}': {error}");
            }

            if (mirrors.Exists(m => m.Name == mirror.Name))
            {
                throw new FormatException($"config file '{path}': two mirrors are named '{mirror.Name}'");
            }

            if (mirror.Sources.Contains(mirror.Output))
            {
                throw new FormatException($"config file '{path}': mirror '{mirror.Name}': port '{mirror.Output}' cannot be both a source and the output");
            }

            foreach (string port in mirror.Sources.Append(mirror.Output))
            {
                if (ports.Length > 0 && Array.IndexOf(ports, port) < 0)
                {
                    throw new FormatException($"config file '{path}': mirror '{mirror.Name}': no port named '{port}' in \"ports\"");
                }
            }

            mirrors.Add(mirror);
        }

        return mirrors;
    }
}
