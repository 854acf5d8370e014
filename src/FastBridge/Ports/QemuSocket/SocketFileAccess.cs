using System.Globalization;
using System.Runtime.InteropServices;

namespace FastBridge.Ports.QemuSocket;

/// <summary>Who may connect to a port's socket file: 0600 for its owner, or 0660 with a group (chown).</summary>
internal static partial class SocketFileAccess
{
    /// <summary>Sets the mode (and group) of the socket file at <paramref name="path"/>; throws IOException with the reason.</summary>
    public static void Apply(string path, string? group)
    {
        if (group is null)
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            return;
        }

        uint gid = ResolveGroup(group);
        if (Chown(path, uint.MaxValue, gid) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"cannot give socket '{path}' to group {group} (gid {gid}): errno {errno}");
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
    }

    /// <summary>A group number as is, or a name looked up in /etc/group.</summary>
    internal static uint ResolveGroup(string group)
    {
        if (uint.TryParse(group, NumberStyles.None, CultureInfo.InvariantCulture, out uint gid))
        {
            return gid;
        }

        foreach (string line in File.ReadLines("/etc/group"))
        {
            string[] fields = line.Split(':');
            if (fields.Length >= 3 && fields[0] == group && uint.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out gid))
            {
                return gid;
            }
        }

        throw new IOException($"no group '{group}' in /etc/group");
    }

    /// <summary>chown(2); uint.MaxValue (-1) leaves the owner as it is.</summary>
    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Chown(string path, uint owner, uint group);
}
