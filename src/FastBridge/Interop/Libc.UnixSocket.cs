using System.Runtime.InteropServices;

namespace FastBridge.Interop;

/// <summary>
/// sendmsg and recvmsg with ancillary data: how a Unix domain socket carries open file descriptors (SCM_RIGHTS),
/// which <see cref="System.Net.Sockets.Socket"/> has no API for.
/// </summary>
internal static unsafe partial class Libc
{
    public const int SOL_SOCKET = 1;

    /// <summary>Ancillary message type: the payload is an array of file descriptors.</summary>
    public const int SCM_RIGHTS = 1;

    /// <summary>getsockopt: struct ucred of the peer, as it was when it connected.</summary>
    public const int SO_PEERCRED = 17;

    public const int MSG_CTRUNC = 0x8;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_NOSIGNAL = 0x4000;

    /// <summary>recvmsg: received descriptors get FD_CLOEXEC atomically.</summary>
    public const int MSG_CMSG_CLOEXEC = 0x40000000;

    /// <summary>The effective user id of this process: the owner of the sockets it binds.</summary>
    [LibraryImport(LibraryName, EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    [LibraryImport(LibraryName, EntryPoint = "sendmsg", SetLastError = true)]
    public static partial nint SendMsg(int socket, MsgHdr* message, int flags);

    [LibraryImport(LibraryName, EntryPoint = "recvmsg", SetLastError = true)]
    public static partial nint RecvMsg(int socket, MsgHdr* message, int flags);
}

/// <summary>struct msghdr (64-bit Linux: the int fields are padded to 8 bytes by sequential layout).</summary>
/// <remarks>Safety: built on the stack for one sendmsg/recvmsg; its pointers reach only memory pinned for that call.</remarks>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MsgHdr
{
    public void* Name;
    public uint NameLength;
    public IoVec* Iov;
    public nuint IovLength;
    public void* Control;
    public nuint ControlLength;
    public int Flags;
}

/// <summary>struct cmsghdr and the CMSG_* macros, for 64-bit Linux (headers and data aligned to 8 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CmsgHdr
{
    public nuint Length;
    public int Level;
    public int Type;

    /// <summary>CMSG_ALIGN.</summary>
    public static int Align(int length) => (length + 7) & ~7;

    /// <summary>CMSG_LEN: header plus <paramref name="dataLength"/> bytes.</summary>
    public static unsafe int Len(int dataLength) => Align(sizeof(CmsgHdr)) + dataLength;

    /// <summary>CMSG_SPACE: what one message of <paramref name="dataLength"/> bytes takes in a control buffer.</summary>
    public static unsafe int Space(int dataLength) => Align(sizeof(CmsgHdr)) + Align(dataLength);
}
