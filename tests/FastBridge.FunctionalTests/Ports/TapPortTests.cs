using FastBridge.Buffers;
using FastBridge.Cli.Demo;
using FastBridge.Diagnostics;
using FastBridge.Interop;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Ports;

/// <summary>TapPort against the kernel: devices in the root namespace, their kernel side moved into a test namespace.</summary>
public sealed unsafe class TapPortTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(5);

    [SkippableFact]
    public void Open_creates_an_up_device_that_goes_away_on_dispose()
    {
        EndToEnd.RequirePrivileges();
        string name = TapRig.UniqueName();
        TapPort port = TapPort.Open(name);
        try
        {
            Assert.True(Directory.Exists($"/sys/class/net/{name}"));
            Assert.True(port.CreatedDevice);
            Assert.Equal(name, port.Name);
            Assert.Equal(name, port.DeviceName);
            Assert.Equal(PortState.Up, port.State);
            Assert.True(port.PollFd >= 0);
            Assert.Equal(1, InterfaceFlags(name) & 1); // IFF_UP
        }
        finally
        {
            port.Dispose();
        }

        Assert.Equal(-1, port.PollFd);
        Assert.Equal(PortState.Gone, port.State);
        Assert.True(EndToEnd.WaitFor(() => !Directory.Exists($"/sys/class/net/{name}"), s_timeout));
    }

    [SkippableFact]
    public void Open_attaches_to_an_existing_persistent_tap_and_leaves_it_on_dispose()
    {
        EndToEnd.RequirePrivileges();
        string name = TapRig.UniqueName();
        NetworkNamespace.Run("ip", $"tuntap add dev {name} mode tap");
        try
        {
            using (TapPort port = TapPort.Open(name))
            {
                Assert.False(port.CreatedDevice);
                Assert.Equal(name, port.DeviceName);
                Assert.Equal(1, InterfaceFlags(name) & 1);
            }

            Assert.True(Directory.Exists($"/sys/class/net/{name}"));
        }
        finally
        {
            NetworkNamespace.TryRun("ip", $"link del dev {name}");
        }
    }

    [SkippableFact]
    public void Open_without_bring_up_leaves_the_link_down()
    {
        EndToEnd.RequirePrivileges();
        string name = TapRig.UniqueName();
        using TapPort port = TapPort.Open(name, new TapPortOptions { BringUp = false });
        Assert.Equal(0, InterfaceFlags(name) & 1);
    }

    [SkippableFact]
    public void Open_of_an_interface_that_is_not_a_tap_says_so()
    {
        EndToEnd.RequirePrivileges();
        string name = TapRig.UniqueName();
        NetworkNamespace.Run("ip", $"tuntap add dev {name} mode tun");
        try
        {
            TapException error = Assert.Throws<TapException>(() => TapPort.Open(name));
            Assert.Equal(Errno.EINVAL, error.Errno);
            Assert.Contains("exists but is not a TAP", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            NetworkNamespace.TryRun("ip", $"link del dev {name}");
        }
    }

    [SkippableFact]
    public void Open_of_a_tap_in_use_says_busy()
    {
        EndToEnd.RequirePrivileges();
        string name = TapRig.UniqueName();
        using TapPort first = TapPort.Open(name);
        TapException error = Assert.Throws<TapException>(() => TapPort.Open(name));
        Assert.Equal(Errno.EBUSY, error.Errno);
        Assert.Contains("in use", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Adopt_finds_the_name_of_an_fd_the_caller_opened()
    {
        EndToEnd.RequirePrivileges();
        string name = TapRig.UniqueName();
        int fd = OpenTapFd(name);
        try
        {
            using (TapPort port = TapPort.Adopt(fd, ownsFd: false))
            {
                Assert.Equal(name, port.Name);
                Assert.Equal(name, port.DeviceName);
                Assert.False(port.CreatedDevice);
                Assert.NotEqual(fd, port.PollFd); // its own duplicate: the caller may close fd whenever it likes
                Assert.True(port.PollFd >= 0);
                Assert.NotEqual(0, Libc.Fcntl(fd, Libc.F_GETFL, 0) & Libc.O_NONBLOCK);
            }

            // Not owned: the fd is still open and still holds the device.
            IfReq info = default;
            Assert.Equal(0, Syscall.Ioctl(fd, Tun.TUNGETIFF, &info, out _));
            Assert.True(Directory.Exists($"/sys/class/net/{name}"));
        }
        finally
        {
            Libc.Close(fd);
        }

        Assert.True(EndToEnd.WaitFor(() => !Directory.Exists($"/sys/class/net/{name}"), s_timeout));
    }

    [SkippableFact]
    public void Adopt_with_ownership_closes_the_fd_and_a_given_name_becomes_the_port_name()
    {
        EndToEnd.RequirePrivileges();
        string name = TapRig.UniqueName();
        int fd = OpenTapFd(name);
        using (TapPort port = TapPort.Adopt(fd, "uplink"))
        {
            Assert.Equal("uplink", port.Name);
            Assert.Equal(name, port.DeviceName);
        }

        Assert.True(EndToEnd.WaitFor(() => !Directory.Exists($"/sys/class/net/{name}"), s_timeout));
    }

    [SkippableTheory]
    [InlineData(0)]
    [InlineData(12)]
    public void Adopt_of_an_fd_with_a_virtio_net_header_uses_it(int setSize)
    {
        EndToEnd.RequirePrivileges();
        string name = TapRig.UniqueName();
        int fd = OpenTapFd(name, Tun.IFF_VNET_HDR);
        if (setSize != 0)
        {
            Assert.Equal(0, Syscall.Ioctl(fd, Tun.TUNSETVNETHDRSZ, &setSize, out _));
        }

        using TapPort port = TapPort.Adopt(fd);
        Assert.True(port.AcceptsOffloads);
        Assert.Equal(setSize == 0 ? 10 : setSize, port.VnetHeaderSize); // the kernel's default is the 10-byte header
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Open_with_offloads_sets_up_a_12_byte_header_and_tso_on_the_kernel_side(bool offloads)
    {
        EndToEnd.RequirePrivileges();
        string name = TapRig.UniqueName();
        using TapPort port = TapPort.Open(name, new TapPortOptions { Offloads = offloads });
        Assert.Equal(offloads, port.AcceptsOffloads);
        Assert.Equal(offloads ? 12 : 0, port.VnetHeaderSize);
        IfReq info = default;
        Assert.Equal(0, Syscall.Ioctl(port.PollFd, Tun.TUNGETIFF, &info, out _));
        Assert.Equal(offloads, (info.Flags & Tun.IFF_VNET_HDR) != 0);
        if (File.Exists("/usr/sbin/ethtool") || File.Exists("/sbin/ethtool"))
        {
            string features = FastBridge.Cli.Demo.NetworkNamespace.Run("ethtool", $"-k {name}");
            Assert.Contains(offloads ? "tcp-segmentation-offload: on" : "tcp-segmentation-offload: off", features, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public void Opening_a_persistent_tap_without_offloads_clears_what_an_earlier_open_enabled()
    {
        EndToEnd.RequirePrivileges();
        Skip.IfNot(File.Exists("/usr/sbin/ethtool") || File.Exists("/sbin/ethtool"), "ethtool is not installed");
        string name = TapRig.UniqueName();
        FastBridge.Cli.Demo.NetworkNamespace.Run("ip", $"tuntap add mode tap name {name}");
        try
        {
            using (TapPort.Open(name, new TapPortOptions { Offloads = true }))
            {
                Assert.Contains("tcp-segmentation-offload: on", FastBridge.Cli.Demo.NetworkNamespace.Run("ethtool", $"-k {name}"), StringComparison.Ordinal);
            }

            using TapPort plain = OpenOnceFree(name, new TapPortOptions { Offloads = false });
            Assert.False(plain.AcceptsOffloads);
            Assert.Contains("tcp-segmentation-offload: off", FastBridge.Cli.Demo.NetworkNamespace.Run("ethtool", $"-k {name}"), StringComparison.Ordinal);
        }
        finally
        {
            FastBridge.Cli.Demo.NetworkNamespace.TryRun("ip", $"tuntap del mode tap name {name}");
        }
    }

    /// <summary>
    /// Opens a persistent TAP that a port of this process just closed. A process that another test forks at that moment
    /// holds a copy of the closed fd until it execs (O_CLOEXEC closes it only then), so the single queue may stay
    /// attached for a moment (EBUSY): wait until it is free, bounded.
    /// </summary>
    private static TapPort OpenOnceFree(string name, TapPortOptions options)
    {
        TapPort? port = null;
        TapException? last = null;
        bool opened = EndToEnd.WaitFor(() =>
        {
            try
            {
                port = TapPort.Open(name, options);
                return true;
            }
            catch (TapException e) when (e.Errno == Errno.EBUSY)
            {
                last = e;
                return false;
            }
        }, TimeSpan.FromSeconds(5));
        Assert.True(opened, $"the TAP stayed busy for 5 s after its port closed: {last?.Message}");
        return port!;
    }

    [SkippableFact]
    public void Adopt_of_an_fd_that_is_not_a_tap_fails_clearly()
    {
        EndToEnd.RequirePrivileges();
        int fd = Syscall.Open("/dev/null", Libc.O_RDWR | Libc.O_CLOEXEC, out _);
        try
        {
            TapException error = Assert.Throws<TapException>(() => TapPort.Adopt(fd));
            Assert.Contains("not a TUN/TAP file descriptor", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Libc.Close(fd);
        }

        int unattached = Syscall.Open(Tun.DevicePath, Libc.O_RDWR | Libc.O_CLOEXEC, out _);
        try
        {
            TapException error = Assert.Throws<TapException>(() => TapPort.Adopt(unattached));
            Assert.Equal(Errno.EBADFD, error.Errno);
        }
        finally
        {
            Libc.Close(unattached);
        }
    }

    [SkippableFact]
    public void QueryFeatures_reports_tap_and_no_pi()
    {
        EndToEnd.RequirePrivileges();
        TapFeatures features = TapPort.QueryFeatures();
        Assert.True(features.HasFlag(TapFeatures.Tap));
        Assert.True(features.HasFlag(TapFeatures.NoPacketInformation));
    }

    [SkippableFact]
    public void Transmit_delivers_a_broadcast_arp_request_to_the_namespace()
    {
        EndToEnd.RequirePrivileges();
        using TapRig rig = TapRig.Create();
        long before = rig.Counter("rx_packets");

        DropReason outcome = rig.Send(FrameBuilder.ArpRequest(rig.SwitchMac, rig.SwitchAddress, rig.NamespaceAddress));

        Assert.Equal(DropReason.None, outcome);
        Assert.True(EndToEnd.WaitFor(() => rig.Counter("rx_packets") > before, s_timeout));
    }

    [SkippableFact]
    public void Receive_returns_the_arp_request_a_ping_in_the_namespace_sends()
    {
        EndToEnd.RequirePrivileges();
        using TapRig rig = TapRig.Create();
        string mac = rig.NamespaceMac;

        rig.Namespace.TryExec($"ping -c 1 -W 1 {rig.SwitchAddress}");

        byte[]? frame = rig.ReceiveUntil(p => FrameBuilder.EtherType(p.Span) == 0x0806, s_timeout);
        Assert.NotNull(frame);
        Assert.Equal(mac, FrameBuilder.Format(frame.AsSpan(6)));
        Assert.Equal(FrameBuilder.Broadcast, frame[..6]);
        Assert.Equal(rig.SwitchAddress.GetAddressBytes(), frame[38..42]); // target protocol address
    }

    [SkippableFact]
    public void Transmit_of_a_9000_byte_frame_reaches_the_namespace_whole()
    {
        EndToEnd.RequirePrivileges();
        using TapRig rig = TapRig.Create(mtu: 9000);
        long packets = rig.Counter("rx_packets");
        long bytes = rig.Counter("rx_bytes");

        DropReason outcome = rig.Send(FrameBuilder.Filler(rig.SwitchMac, 9000));

        Assert.Equal(DropReason.None, outcome);
        Assert.True(EndToEnd.WaitFor(() => rig.Counter("rx_packets") > packets, s_timeout));
        Assert.Equal(bytes + 9000, rig.Counter("rx_bytes"));
    }

    [SkippableFact]
    public void Receive_of_a_jumbo_frame_lands_whole_in_a_large_buffer()
    {
        EndToEnd.RequirePrivileges();
        using TapRig rig = TapRig.Create(mtu: 9000);
        StaticNeighbour(rig);

        rig.Namespace.TryExec($"ping -c 1 -W 1 -s 8000 {rig.SwitchAddress}");

        int capacity = 0;
        byte[]? frame = rig.ReceiveUntil(p => p.Length > PacketPool.SmallBufferSize, s_timeout, p => capacity = p.Capacity);
        Assert.NotNull(frame);
        Assert.Equal(PacketPool.LargeBufferSize, capacity);
        Assert.Equal(14 + 20 + 8 + 8000, frame.Length);
        Assert.Equal(rig.SwitchMac, frame[..6]);
        Assert.Equal(0x0800, FrameBuilder.EtherType(frame));
        Assert.Equal(20 + 8 + 8000, (frame[16] << 8) | frame[17]); // IPv4 total length, in the copied head

        // iputils fills ICMP data byte j (j >= 16) with (byte)j; the data starts at frame offset 42. Check both sides
        // of the 2048-byte seam and the far end.
        foreach (int j in new[] { 16, 2005, 2006, 2007, 5000, 7999 })
        {
            Assert.Equal((byte)j, frame[42 + j]);
        }

        Assert.Equal(0, rig.Port.RxOversize);
    }

    [SkippableFact]
    public void Receive_drops_and_counts_a_jumbo_frame_when_no_large_buffer_is_free()
    {
        EndToEnd.RequirePrivileges();
        using TapRig rig = TapRig.Create(mtu: 9000, largeBuffers: 0);
        StaticNeighbour(rig);

        rig.Namespace.TryExec($"ping -c 1 -W 1 -s 8000 {rig.SwitchAddress}");

        Assert.True(EndToEnd.WaitFor(
            () =>
            {
                DrainOnce(rig);
                return rig.Port.RxNoLargeBuffer == 1;
            },
            s_timeout));
        Assert.Equal(rig.Pool.SmallCount, rig.Pool.SmallAvailable);
    }

    [SkippableFact]
    public void Receive_of_the_longest_frame_a_tap_can_carry_lands_whole()
    {
        EndToEnd.RequirePrivileges();
        using TapRig rig = TapRig.Create(mtu: 65521); // a TAP's maximum MTU
        StaticNeighbour(rig);

        // 65493 bytes of ICMP data: a 65521-byte IPv4 packet, a 65535-byte frame, in one piece.
        rig.Namespace.TryExec($"ping -c 1 -W 1 -s 65493 {rig.SwitchAddress}");

        byte[]? frame = rig.ReceiveUntil(p => p.Length > PacketPool.SmallBufferSize, s_timeout);
        Assert.NotNull(frame);
        Assert.Equal(65535, frame.Length);
        Assert.Equal(unchecked((byte)65492), frame[42 + 65492]);
        Assert.Equal(0, rig.Port.RxOversize);
    }

    [SkippableFact]
    public void Deleting_the_device_makes_receive_report_gone()
    {
        EndToEnd.RequirePrivileges();
        using TapRig rig = TapRig.Create();

        rig.Namespace.Exec($"ip link del dev {rig.Name}");

        var burst = new Packet[8];
        Assert.True(EndToEnd.WaitFor(() => rig.Port.Receive(rig.Pool, burst) == 0 && rig.Port.State == PortState.Gone, s_timeout));
        Assert.Equal("device deleted (read: EBADFD)", rig.Port.StateReason);
        Assert.Equal(DropReason.PortDown, rig.Send(FrameBuilder.Filler(rig.SwitchMac, 60)));
        Assert.Equal(rig.Pool.SmallCount, rig.Pool.SmallAvailable);
    }

    [SkippableFact]
    public void Deleting_the_device_makes_transmit_report_port_down_for_the_whole_burst()
    {
        EndToEnd.RequirePrivileges();
        using TapRig rig = TapRig.Create();
        rig.Namespace.Exec($"ip link del dev {rig.Name}");

        DropReason[] outcome = TransmitBurst(rig, 4);

        Assert.All(outcome, o => Assert.Equal(DropReason.PortDown, o));
        Assert.Equal(PortState.Gone, rig.Port.State);
        Assert.Equal("device deleted (write: EBADFD)", rig.Port.StateReason);
        Assert.Equal(0, rig.Port.Receive(rig.Pool, new Packet[4]));
    }

    [SkippableFact]
    public void Link_down_makes_transmit_report_port_down_until_the_link_is_up_again()
    {
        EndToEnd.RequirePrivileges();
        using TapRig rig = TapRig.Create();

        rig.Namespace.Exec($"ip link set dev {rig.Name} down");
        DropReason[] down = TransmitBurst(rig, 3);

        Assert.All(down, o => Assert.Equal(DropReason.PortDown, o));
        Assert.Equal(PortState.LinkDown, rig.Port.State);
        Assert.Equal("interface set down (write: EIO)", rig.Port.StateReason);

        rig.Namespace.Exec($"ip link set dev {rig.Name} up");
        DropReason[] up = TransmitBurst(rig, 3);

        Assert.All(up, o => Assert.Equal(DropReason.None, o));
        Assert.Equal(PortState.Up, rig.Port.State);
        Assert.Equal("link up again", rig.Port.StateReason);
    }

    [SkippableFact]
    public void Transmit_of_a_runt_is_a_tx_error_and_leaves_the_port_up()
    {
        EndToEnd.RequirePrivileges();
        using TapRig rig = TapRig.Create();

        Assert.Equal(DropReason.TxError, rig.Send(new byte[10]));
        Assert.Equal(PortState.Up, rig.Port.State);
    }

    [SkippableFact]
    public void Receive_and_transmit_allocate_nothing()
    {
        EndToEnd.RequirePrivileges();
        using TapRig rig = TapRig.Create();

        // ARP requests for the namespace's address: each is answered, so Receive has real frames to read.
        byte[] request = FrameBuilder.ArpRequest(rig.SwitchMac, rig.SwitchAddress, rig.NamespaceAddress);
        Assert.True(rig.Pool.TryRentCopy(request, out Packet packet));
        Packet[] frames = [packet];
        var outcome = new DropReason[1];
        var burst = new Packet[32];
        long received = 0;
        RunLoop(100); // warm-up: JIT, tiering, first rent of the large buffer

        received = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        RunLoop(1000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        packet.Release();
        Assert.Equal(0, allocated);
        Assert.True(received > 0, "no ARP reply was received during the measured loop");

        void RunLoop(int iterations)
        {
            for (int i = 0; i < iterations; i++)
            {
                rig.Port.Transmit(frames, outcome);
                int count = rig.Port.Receive(rig.Pool, burst);
                received += count;
                for (int k = 0; k < count; k++)
                {
                    burst[k].Release();
                }
            }
        }
    }

    private static int InterfaceFlags(string name) =>
        Convert.ToInt32(File.ReadAllText($"/sys/class/net/{name}/flags").Trim(), 16);

    /// <summary>Opens /dev/net/tun and attaches a new TAP <paramref name="name"/> the way an embedding program would.</summary>
    private static int OpenTapFd(string name, short extraFlags = 0)
    {
        int fd = Syscall.Open(Tun.DevicePath, Libc.O_RDWR | Libc.O_CLOEXEC, out int errno);
        Assert.True(fd >= 0, $"open {Tun.DevicePath}: errno {errno}");
        IfReq request = IfReq.ForName(name);
        request.Flags = (short)(Tun.IFF_TAP | Tun.IFF_NO_PI | extraFlags);
        if (Syscall.Ioctl(fd, Tun.TUNSETIFF, &request, out errno) < 0)
        {
            Libc.Close(fd);
            Assert.Fail($"TUNSETIFF: errno {errno}");
        }

        return fd;
    }

    /// <summary>Lets the namespace send IPv4 to the switch side without ARP first.</summary>
    private static void StaticNeighbour(TapRig rig) =>
        rig.Namespace.Exec($"ip neigh replace {rig.SwitchAddress} lladdr {FrameBuilder.Format(rig.SwitchMac)} dev {rig.Name}");

    private static void DrainOnce(TapRig rig)
    {
        var burst = new Packet[32];
        int count = rig.Port.Receive(rig.Pool, burst);
        for (int i = 0; i < count; i++)
        {
            burst[i].Release();
        }
    }

    private static DropReason[] TransmitBurst(TapRig rig, int count)
    {
        var frames = new Packet[count];
        for (int i = 0; i < count; i++)
        {
            Assert.True(rig.Pool.TryRentCopy(FrameBuilder.Filler(rig.SwitchMac, 60), out frames[i]));
        }

        var outcome = new DropReason[count];
        rig.Port.Transmit(frames, outcome);
        foreach (Packet frame in frames)
        {
            frame.Release();
        }

        return outcome;
    }
}
