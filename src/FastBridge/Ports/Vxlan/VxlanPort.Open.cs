using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using FastBridge.Interop;

namespace FastBridge.Ports.Vxlan;

/// <summary>Opening: checking the options, finding the underlay MTU, the receive and send sockets.</summary>
public sealed unsafe partial class VxlanPort
{
    private const int ReceiveBufferBytes = 4 << 20;

    /// <summary>
    /// Opens a VXLAN port named <paramref name="name"/> on this namespace's underlay. The local address must be one of
    /// an interface here. Needs CAP_NET_RAW for the hashed source port (else it falls back to a fixed one).
    /// </summary>
    /// <exception cref="ArgumentException">The options are inconsistent (the message says which).</exception>
    /// <exception cref="VxlanException">The address is not here, or a socket call failed.</exception>
    public static VxlanPort Open(string name, VxlanPortOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        int mtu = options.UnderlayMtu > 0 ? options.UnderlayMtu : FindMtu(options.Local);
        bool v6 = options.Local.AddressFamily == AddressFamily.InterNetworkV6;
        int family = v6 ? VxlanSocket.AF_INET6 : VxlanSocket.AF_INET;
        FileDescriptor receive = OpenReceiveSocket(name, options, family, v6);
        FileDescriptor? raw = null;
        try
        {
            if (options.HashSourcePort)
            {
                raw = OpenRawSocket(name, options, family, v6);
            }

            if (options.Group is not null)
            {
                SetMulticastSending(raw?.Value ?? receive.Value, options, v6, name);
            }

            return new VxlanPort(name, options, receive, raw, mtu);
        }
        catch
        {
            raw?.Dispose();
            receive.Dispose();
            throw;
        }
    }

    private static void Validate(VxlanPortOptions options)
    {
        if (options.Local is null || options.Local.Equals(IPAddress.None) || options.Local.Equals(IPAddress.Any) || options.Local.Equals(IPAddress.IPv6Any))
        {
            throw new ArgumentException("a VXLAN port needs its local underlay address (--local ADDR)", nameof(options));
        }

        if (options.Vni is null && options.VlanMap.Count == 0)
        {
            throw new ArgumentException("a VXLAN port needs a VNI (--vni N) or a VLAN map (--vlan-map VID=VNI,...)", nameof(options));
        }

        if (options.Vni is int vni && vni is < 1 or > VxlanHeader.MaxVni)
        {
            throw new ArgumentException($"VNI {vni} is out of range (1 to {VxlanHeader.MaxVni})", nameof(options));
        }

        if (options.DestinationPort is < 1 or > 65535)
        {
            throw new ArgumentException($"UDP port {options.DestinationPort} is out of range", nameof(options));
        }

        var seen = new HashSet<int>();
        if (options.Vni is int untagged)
        {
            seen.Add(untagged);
        }

        foreach (KeyValuePair<int, int> map in options.VlanMap)
        {
            if (map.Key is < 1 or > 4094 || map.Value is < 1 or > VxlanHeader.MaxVni || !seen.Add(map.Value))
            {
                throw new ArgumentException($"VLAN map {map.Key}={map.Value}: VLANs are 1 to 4094, VNIs 1 to {VxlanHeader.MaxVni}, each VNI once", nameof(options));
            }
        }

        if (options.Remotes.Count > VxlanRemoteTable.MaxFloodRemotes)
        {
            throw new ArgumentException($"at most {VxlanRemoteTable.MaxFloodRemotes} remotes", nameof(options));
        }

        foreach (IPAddress remote in options.Remotes.Append(options.Group ?? options.Local))
        {
            if (remote.AddressFamily != options.Local.AddressFamily)
            {
                throw new ArgumentException($"{remote} and the local address {options.Local} are of different families", nameof(options));
            }
        }

        if (options.Group is not null && !options.Group.IsIPv6Multicast && (options.Group.AddressFamily != AddressFamily.InterNetwork || (options.Group.GetAddressBytes()[0] & 0xF0) != 0xE0))
        {
            throw new ArgumentException($"group {options.Group} is not a multicast address", nameof(options));
        }
    }

    /// <summary>The MTU of the interface that holds <paramref name="local"/>.</summary>
    private static int FindMtu(IPAddress local)
    {
        foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            IPInterfaceProperties properties = nic.GetIPProperties();
            foreach (UnicastIPAddressInformation address in properties.UnicastAddresses)
            {
                if (address.Address.Equals(local))
                {
                    return local.AddressFamily == AddressFamily.InterNetworkV6
                        ? properties.GetIPv6Properties().Mtu
                        : properties.GetIPv4Properties().Mtu;
                }
            }
        }

        throw new VxlanException($"no interface in this namespace has the local address {local}", Errno.EINVAL);
    }

    private static FileDescriptor OpenReceiveSocket(string name, VxlanPortOptions options, int family, bool v6)
    {
        int fd = Libc.Socket(family, VxlanSocket.SOCK_DGRAM | VxlanSocket.SOCK_NONBLOCK | VxlanSocket.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw Failed(name, "socket(UDP)");
        }

        var handle = new FileDescriptor(fd, ownsHandle: true);
        try
        {
            if (v6)
            {
                VxlanSocket.SetInt(fd, VxlanSocket.IPPROTO_IPV6, VxlanSocket.IPV6_V6ONLY, 1);
            }

            VxlanSocket.SetInt(fd, VxlanSocket.SOL_SOCKET, VxlanSocket.SO_RCVBUF, ReceiveBufferBytes);

            // With a group the socket must take datagrams sent to the group too: bound to the wildcard address.
            IPAddress bindTo = options.Group is null ? options.Local : v6 ? IPAddress.IPv6Any : IPAddress.Any;
            byte* address = stackalloc byte[VxlanSocket.AddressSize];
            uint length = VxlanSocket.Write(bindTo, options.DestinationPort, new Span<byte>(address, VxlanSocket.AddressSize));
            if (Libc.Bind(fd, address, length) < 0)
            {
                throw Failed(name, $"binding {options.Local} port {options.DestinationPort}");
            }

            if (options.Group is not null)
            {
                JoinGroup(fd, options, v6, name);
            }

            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>A raw IP socket of protocol UDP for sending; null without CAP_NET_RAW (the UDP socket sends then).</summary>
    private static FileDescriptor? OpenRawSocket(string name, VxlanPortOptions options, int family, bool v6)
    {
        int fd = Libc.Socket(family, VxlanSocket.SOCK_RAW | VxlanSocket.SOCK_NONBLOCK | VxlanSocket.SOCK_CLOEXEC, VxlanSocket.IPPROTO_UDP);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno is Errno.EPERM or Errno.EACCES ? null : throw Failed(name, "socket(raw UDP)", errno);
        }

        var handle = new FileDescriptor(fd, ownsHandle: true);
        try
        {
            if (VxlanSocket.AttachDropAllFilter(fd) < 0)
            {
                throw Failed(name, "attaching a drop-all filter to the raw socket");
            }

            VxlanSocket.SetInt(fd, VxlanSocket.SOL_SOCKET, VxlanSocket.SO_RCVBUF, 0);
            if (v6 && VxlanSocket.SetInt(fd, VxlanSocket.IPPROTO_IPV6, VxlanSocket.IPV6_CHECKSUM, 6) < 0)
            {
                throw Failed(name, "IPV6_CHECKSUM on the raw socket");
            }

            byte* address = stackalloc byte[VxlanSocket.AddressSize];
            uint length = VxlanSocket.Write(options.Local, 0, new Span<byte>(address, VxlanSocket.AddressSize));
            if (Libc.Bind(fd, address, length) < 0)
            {
                throw Failed(name, $"binding the raw socket to {options.Local}");
            }

            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static void JoinGroup(int fd, VxlanPortOptions options, bool v6, string name)
    {
        byte* request = stackalloc byte[20];
        new Span<byte>(request, 20).Clear();
        int result;
        if (v6)
        {
            options.Group!.TryWriteBytes(new Span<byte>(request, 16), out _);
            *(int*)(request + 16) = InterfaceIndexOf(options.Local);
            result = VxlanSocket.SetSockOpt(fd, VxlanSocket.IPPROTO_IPV6, VxlanSocket.IPV6_JOIN_GROUP, request, 20);
        }
        else
        {
            options.Group!.TryWriteBytes(new Span<byte>(request, 4), out _);
            options.Local.TryWriteBytes(new Span<byte>(request + 4, 4), out _);
            result = VxlanSocket.SetSockOpt(fd, VxlanSocket.IPPROTO_IP, VxlanSocket.IP_ADD_MEMBERSHIP, request, 8);
        }

        if (result < 0)
        {
            throw Failed(name, $"joining group {options.Group}");
        }
    }

    private static void SetMulticastSending(int fd, VxlanPortOptions options, bool v6, string name)
    {
        int result;
        if (v6)
        {
            result = VxlanSocket.SetInt(fd, VxlanSocket.IPPROTO_IPV6, VxlanSocket.IPV6_MULTICAST_IF, InterfaceIndexOf(options.Local));
            VxlanSocket.SetInt(fd, VxlanSocket.IPPROTO_IPV6, VxlanSocket.IPV6_MULTICAST_LOOP, 0);
        }
        else
        {
            uint local = 0;
            options.Local.TryWriteBytes(new Span<byte>(&local, 4), out _);
            result = VxlanSocket.SetSockOpt(fd, VxlanSocket.IPPROTO_IP, VxlanSocket.IP_MULTICAST_IF, &local, 4);
            VxlanSocket.SetInt(fd, VxlanSocket.IPPROTO_IP, VxlanSocket.IP_MULTICAST_LOOP, 0);
        }

        if (result < 0)
        {
            throw Failed(name, "choosing the multicast interface");
        }
    }

    private static int InterfaceIndexOf(IPAddress local)
    {
        foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            foreach (UnicastIPAddressInformation address in nic.GetIPProperties().UnicastAddresses)
            {
                if (address.Address.Equals(local))
                {
                    return nic.GetIPProperties().GetIPv6Properties().Index;
                }
            }
        }

        return 0;
    }

    private static VxlanException Failed(string name, string what, int errno = -1)
    {
        errno = errno < 0 ? Marshal.GetLastPInvokeError() : errno;
        string why = errno is Errno.EPERM or Errno.EACCES ? "permission denied" : Errno.Describe(errno);
        return new VxlanException($"cannot open VXLAN port '{name}': {what} failed: {why}", errno);
    }
}
