using System.Runtime.InteropServices;
using System.Text;
using FastBridge.Interop;
using FastBridge.Ports.QemuSocket;

namespace FastBridge.Ports.QemuDgram;

/// <summary>Opening: claiming the path, binding the socket, giving it its mode.</summary>
public sealed unsafe partial class DgramPort
{
    /// <summary>
    /// Binds a unix datagram socket at <paramref name="path"/> (a stale socket file is replaced, one a process is bound
    /// to is refused), gives it mode 0600 or 0660 with <see cref="DgramPortOptions.Group"/>. The port is down until its
    /// peer sends a frame. Throws IOException with the reason when the socket cannot be made.
    /// </summary>
    public static DgramPort Bind(string name, string path, DgramPortOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= DgramPortOptions.Default;
        string full = Path.GetFullPath(path);
        CheckLength(full, "socket");
        string? peer = options.Peer is null ? null : Path.GetFullPath(options.Peer);
        if (peer is not null)
        {
            CheckLength(peer, "peer socket");
            if (peer == full)
            {
                throw new IOException($"the peer socket '{peer}' is the port's own socket");
            }
        }

        FileDescriptor probe = OpenSocket(full);
        FileDescriptor? socket = null;
        try
        {
            if (File.Exists(full))
            {
                ClaimPath(full, probe.Value);
            }

            socket = OpenSocket(full);
            byte* address = stackalloc byte[DgramSocket.SlotSize];
            uint length = DgramSocket.Write(full, new Span<byte>(address, DgramSocket.AddressSize));
            if (Libc.Bind(socket.Value, address, length) < 0)
            {
                throw new IOException($"cannot bind '{full}': {Errno.Describe(Marshal.GetLastPInvokeError())}");
            }

            try
            {
                SocketFileAccess.Apply(full, options.Group);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                File.Delete(full);
                throw new IOException($"cannot set the mode of '{full}': {e.Message}", e);
            }

            return new DgramPort(name, full, options with { Peer = peer }, socket, probe);
        }
        catch
        {
            socket?.Dispose();
            probe.Dispose();
            throw;
        }
    }

    private static void CheckLength(string path, string what)
    {
        if (Encoding.UTF8.GetByteCount(path) > DgramSocket.MaxPathBytes)
        {
            throw new IOException($"{what} path '{path}' is too long for a unix socket ({DgramSocket.MaxPathBytes} bytes at most)");
        }
    }

    private static FileDescriptor OpenSocket(string path)
    {
        int fd = DgramSocket.Open(out int errno);
        return fd < 0 ? throw new IOException($"cannot make a unix datagram socket for '{path}': {Errno.Describe(errno)}") : new FileDescriptor(fd, ownsHandle: true);
    }

    /// <summary>An existing file at <paramref name="path"/>: a leftover socket nobody is bound to is removed, anything else refused.</summary>
    private static void ClaimPath(string path, int probe)
    {
        byte* address = stackalloc byte[DgramSocket.SlotSize];
        uint length = DgramSocket.Write(path, new Span<byte>(address, DgramSocket.AddressSize));
        if (DgramSocket.Connect(probe, address, length) == 0)
        {
            throw new IOException($"socket '{path}' is in use by another process");
        }

        int errno = Marshal.GetLastPInvokeError();
        if (errno != DgramSocket.ECONNREFUSED)
        {
            throw new IOException($"'{path}' exists and is not a leftover datagram socket: {Errno.Describe(errno)}");
        }

        File.Delete(path); // nobody is bound to it: a leftover of a switch (or QEMU) that stopped
    }
}
