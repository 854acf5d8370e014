using System.Runtime.InteropServices;
using System.Text;

namespace FastBridge.Interop;

/// <summary>
/// struct ifreq (linux/if.h): a 16-byte interface name and a 24-byte union, 40 bytes on 64-bit Linux. Only the union
/// members FastBridge uses are declared; they all start at offset 16.
/// </summary>
/// <remarks>Safety: the name is a fixed 16-byte buffer written with a length check (at most 15 bytes and a NUL).</remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal unsafe struct IfReq
{
    public const int Size = 40;

    /// <summary>IFNAMSIZ: the name with its terminating zero.</summary>
    public const int NameSize = 16;

    [FieldOffset(0)]
    public fixed byte Name[NameSize];

    /// <summary>ifr_flags: interface flags (IFF_UP...) for SIOC[GS]IFFLAGS, TUN flags (IFF_TAP...) for TUNSETIFF.</summary>
    [FieldOffset(16)]
    public short Flags;

    /// <summary>ifr_ifindex / ifr_mtu / ifr_ivalue.</summary>
    [FieldOffset(16)]
    public int Value;

    /// <summary>An ifreq carrying <paramref name="name"/> (ASCII, at most 15 bytes; validated by the caller).</summary>
    public static IfReq ForName(string name)
    {
        IfReq request = default;
        var target = new Span<byte>(request.Name, NameSize - 1);
        int written = Encoding.ASCII.GetBytes(name, target);
        request.Name[written] = 0;
        return request;
    }

    /// <summary>The name the kernel wrote back (TUNSETIFF fills in the final name, TUNGETIFF reports it).</summary>
    public readonly string GetName()
    {
        fixed (byte* name = Name)
        {
            var span = new ReadOnlySpan<byte>(name, NameSize);
            int end = span.IndexOf((byte)0);
            return Encoding.ASCII.GetString(end < 0 ? span : span[..end]);
        }
    }
}
