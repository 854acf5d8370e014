using CsCheck;
using FastBridge.Buffers;
using FastBridge.Dataplane;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Ports;
using FastBridge.Ports.VhostUser;
using FastBridge.Tests.Properties;

namespace FastBridge.Tests.Ports.VhostUser;

/// <summary>
/// Property, as <see cref="BridgeModelTests"/> for memory ports, with two vhost-user ports driven by in-process test
/// frontends: for any sequence of frames sent by guests and hosts, buffers posted by the guests, hostile chains and
/// frontends leaving and coming back, FastBridge decides what the reference bridge decides, every guest receives
/// exactly the frames it should have buffers for, and the books balance exactly per port and reason: rx = forwarded +
/// ingress drops (bad-descriptor, runt ...), offered = tx + egress drops (no-guest-buffer, ring-not-ready).
/// </summary>
/// <remarks>
/// The worker is driven directly (the bridge is not started): a guest's frame enters through the port's own Receive
/// (its TX ring), frames leave through the port's Transmit (its RX ring), so each frame's outcome is known before the
/// next one. Without the housekeeper nothing forgets the MACs of a guest that left (that is tested on a started bridge
/// in VhostUserPortBehaviourTests), so the reference keeps them too.
/// </remarks>
public sealed class VhostUserModelTests
{
    private const int PortCount = 4; // 0, 1: vhost-user guests; 2, 3: memory ports
    private const int Guests = 2;
    private const int Stations = 6;
    private const int MaxPosted = 200; // the test frontend reuses descriptor slots modulo its 256-entry ring
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    private abstract record Op;

    /// <summary>Hostile: 0 none, 1 a runt, 2 a buffer outside guest memory (guest ingress only).</summary>
    private sealed record FrameOp(int Ingress, int Src, int Dst, ushort Vlan, int Hostile) : Op;

    private sealed record PostOp(int Guest, int Buffers) : Op;

    private sealed record LeaveOp(int Guest) : Op;

    private sealed record ReturnOp(int Guest) : Op;

    private sealed record FlushOp : Op;

    private static readonly Gen<Op> s_op = Gen.Frequency<Op>(
        (30, Gen.Select(Gen.Int[0, PortCount - 1], Gen.Int[0, Stations - 1], Gen.Int[-1, Stations - 1], Gen.OneOfConst<ushort>(0, 0, 10), Gen.Int[0, 11])
            .Select(t => (Op)new FrameOp(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5 < 10 ? 0 : t.Item5 - 9))),
        (8, Gen.Select(Gen.Int[0, Guests - 1], Gen.Int[1, 4], (g, n) => (Op)new PostOp(g, n))),
        (1, Gen.Int[0, Guests - 1].Select(g => (Op)new LeaveOp(g))),
        (2, Gen.Int[0, Guests - 1].Select(g => (Op)new ReturnOp(g))),
        (1, Gen.Const<Op>(new FlushOp())));

    [Fact]
    public void Guests_get_what_the_reference_bridge_decides_and_the_accounting_balances_exactly()
    {
        s_op.Array[1, 60].Sample(Run, iter: 60, threads: 1);
    }

    private static void Run(Op[] ops)
    {
        string folder = Path.Combine(Path.GetTempPath(), $"fb-vum-{Guid.NewGuid():N}"[..16]);
        Directory.CreateDirectory(folder);
        var guests = new TestFrontend?[Guests];
        try
        {
            using var bridge = new Bridge(new BridgeOptions { Workers = 1, StormLimit = 0, PoolFrames = 1024 });
            var ports = new Port[PortCount];
            for (int g = 0; g < Guests; g++)
            {
                ports[g] = new VhostUserPort($"vm{g}", new VhostUserPortOptions { SocketPath = Path.Combine(folder, $"vm{g}.sock") });
            }

            for (int p = Guests; p < PortCount; p++)
            {
                ports[p] = new MemoryPort($"p{p}");
            }

            foreach (Port port in ports)
            {
                bridge.AddPort(port);
            }

            var books = new Books();
            var posted = new int[Guests];
            for (int g = 0; g < Guests; g++)
            {
                guests[g] = Arrive((VhostUserPort)ports[g]);
            }

            var model = new ReferenceBridge(PortCount);
            Worker worker = bridge.Workers[0];
            foreach (Op op in ops)
            {
                switch (op)
                {
                    case FrameOp f when f.Ingress < Guests && guests[f.Ingress] is null:
                        break; // no guest to send it
                    case FrameOp f:
                        SwitchOne(bridge, worker, ports, guests, f, model, books, posted);
                        break;
                    case PostOp p when guests[p.Guest] is { } guest && posted[p.Guest] + p.Buffers <= MaxPosted:
                        guest.PostReceiveBuffers(p.Buffers);
                        posted[p.Guest] += p.Buffers;
                        break;
                    case LeaveOp l when guests[l.Guest] is { } guest:
                        guest.Dispose();
                        guests[l.Guest] = null;
                        posted[l.Guest] = 0;
                        var vm = (VhostUserPort)ports[l.Guest];
                        Assert.True(SpinWait.SpinUntil(() => !vm.FrontendConnected && vm.State == PortState.LinkDown, s_timeout));
                        break;
                    case ReturnOp r when guests[r.Guest] is null:
                        guests[r.Guest] = Arrive((VhostUserPort)ports[r.Guest]);
                        break;
                    case FlushOp:
                        bridge.MacTable.Flush();
                        model.FlushDynamic();
                        break;
                }

                for (int s = 0; s < Stations; s++)
                {
                    foreach (ushort vlan in new ushort[] { 0, 10 })
                    {
                        int? want = model.PortOf(Station(s).Value, vlan);
                        Assert.Equal(want is { } port ? ports[port].Id : -1, bridge.MacTable.Lookup(Station(s).Value, vlan));
                    }
                }
            }

            for (int p = 0; p < PortCount; p++)
            {
                books.AssertBalanced(bridge, ports[p].Name, p);
            }
        }
        finally
        {
            foreach (TestFrontend? guest in guests)
            {
                guest?.Dispose();
            }

            Directory.Delete(folder, recursive: true);
        }
    }

    private static TestFrontend Arrive(VhostUserPort vm)
    {
        var guest = new TestFrontend(vm.Options.SocketPath);
        guest.Negotiate();
        Assert.True(SpinWait.SpinUntil(() => vm.State == PortState.Up, s_timeout));
        return guest;
    }

    /// <summary>One frame in at <see cref="FrameOp.Ingress"/>, every output port transmitted, each outcome checked.</summary>
    private static void SwitchOne(Bridge bridge, Worker worker, Port[] ports, TestFrontend?[] guests, FrameOp f,
        ReferenceBridge model, Books books, int[] posted)
    {
        byte[] frame = Build(f);
        int[] buffersBefore = (int[])posted.Clone();
        books.Ingress[f.Ingress]++;
        bool badChain = f.Hostile == 2 && f.Ingress < Guests;
        if (f.Ingress < Guests)
        {
            TestFrontend guest = guests[f.Ingress]!;
            if (badChain)
            {
                guest.SendChain(address: TestFrontend.GuestBase + TestFrontend.MemorySize, length: 76); // just past guest memory
            }
            else
            {
                guest.SendFrame(frame);
            }

            Span<Packet> received = new Packet[4];
            int n = ports[f.Ingress].Receive(bridge.Pool, received);
            Assert.Equal(badChain ? 0 : 1, n);
            Assert.True(guest.TryTakeUsed(VhostProtocol.TxRing, out _, out _)); // the chain came back used, good or bad
            if (n == 1)
            {
                Assert.Equal(frame, received[0].Span.ToArray());
                worker.SwitchBurst(bridge.SlotOf(ports[f.Ingress])!, received[..1]);
            }
        }
        else
        {
            Assert.True(bridge.Pool.TryRentCopy(frame, out Packet packet));
            worker.SwitchBurst(bridge.SlotOf(ports[f.Ingress])!, [packet]);
        }

        var outputs = new HashSet<int>();
        for (int p = 0; p < PortCount; p++)
        {
            worker.TransmitQueued(bridge.SlotOf(ports[p])!);
            if (p >= Guests)
            {
                while (((MemoryPort)ports[p]).TryTake(out Packet sent))
                {
                    Assert.Equal(frame, sent.Span.ToArray());
                    sent.Release();
                    outputs.Add(p);
                }
            }
            else if (guests[p] is { } guest && guest.TryTakeUsed(VhostProtocol.RxRing, out int id, out int length))
            {
                Assert.Equal(12 + frame.Length, length);
                unsafe
                {
                    byte* buffer = guest.BufferAt(VhostProtocol.RxRing, id);
                    Assert.Equal(1, *(ushort*)(buffer + 10)); // num_buffers
                    Assert.Equal(frame, new ReadOnlySpan<byte>(buffer + 12, frame.Length).ToArray());
                }

                Assert.False(guest.TryTakeUsed(VhostProtocol.RxRing, out _, out _));
                posted[p]--;
                outputs.Add(p);
            }
        }

        HashSet<int> expected;
        if (badChain)
        {
            expected = [];
            books.Drops[f.Ingress, (int)DropReason.BadDescriptor]++;
        }
        else if (f.Hostile == 1)
        {
            expected = [];
            books.Drops[f.Ingress, (int)DropReason.Runt]++;
        }
        else
        {
            HashSet<int> offered = model.Forward(f.Ingress, Station(f.Src).Value, Destination(f.Dst).Value, f.Vlan, out bool filtered);
            if (offered.Count == 0)
            {
                books.Drops[f.Ingress, (int)(filtered ? DropReason.SamePort : DropReason.NoOutput)]++;
            }

            expected = [];
            foreach (int p in offered)
            {
                books.Offered[p]++;
                DropReason outcome = p >= Guests ? DropReason.None
                    : guests[p] is null ? DropReason.RingNotReady
                    : buffersBefore[p] == 0 ? DropReason.NoGuestBuffer
                    : DropReason.None;
                if (outcome == DropReason.None)
                {
                    expected.Add(p);
                }
                else
                {
                    books.Drops[p, (int)outcome]++;
                }
            }
        }

        Assert.Equal(expected.Order(), outputs.Order());
    }

    private static MacAddress Station(int n) => Infrastructure.Stations.Address(n + 1);

    private static MacAddress Destination(int dst) => dst < 0 ? MacAddress.Broadcast : Station(dst);

    private static byte[] Build(FrameOp f)
    {
        if (f.Hostile == 1)
        {
            return new byte[f.Src + 1]; // 1..6 bytes: a runt
        }

        var frame = new byte[64];
        Destination(f.Dst).WriteTo(frame);
        Station(f.Src).WriteTo(frame.AsSpan(6));
        int at = 12;
        if (f.Vlan != 0)
        {
            frame[12] = 0x81;
            frame[14] = (byte)(f.Vlan >> 8);
            frame[15] = (byte)f.Vlan;
            at = 16;
        }

        frame[at] = 0x08;
        frame[at + 2] = (byte)f.Src; // payload differs per sender
        return frame;
    }

    /// <summary>What each port's counters must say.</summary>
    private sealed class Books
    {
        public long[] Ingress { get; } = new long[PortCount];

        public long[,] Drops { get; } = new long[PortCount, DropReasons.Count];

        public long[] Offered { get; } = new long[PortCount];

        public void AssertBalanced(Bridge bridge, string name, int p)
        {
            PortCounters c = bridge.ReadCounters()[name]!;
            Assert.Equal(Ingress[p], c.RxFrames);
            Assert.Equal(c.RxFrames, c.Forwarded + c.IngressDrops);
            Assert.Equal(Offered[p], c.TxOffered);
            Assert.Equal(c.TxOffered, c.TxFrames + c.EgressDrops);
            for (int r = 1; r < DropReasons.Count; r++)
            {
                Assert.True(Drops[p, r] == c.Dropped((DropReason)r), $"{name} {(DropReason)r}: expected {Drops[p, r]}, counted {c.Dropped((DropReason)r)}");
            }
        }
    }
}
