using FastBridge.Cli.Demo;

namespace FastBridge.Tests.Netdev;

/// <summary>
/// A small python3 AF_PACKET helper run inside a namespace: <c>send IF HEX COUNT [vnet]</c> sends a frame as is
/// (with <c>vnet</c>, behind a GSO virtio-net header: a TSO super-frame), <c>recv IF SRCHEX SECONDS</c> prints the first
/// frame from that source MAC with its 802.1Q tag — inline, or as the kernel reports a stripped one (PACKET_AUXDATA).
/// </summary>
internal static class PacketScript
{
    private const string Source = """
        import socket, struct, sys, select, time
        mode, ifname = sys.argv[1], sys.argv[2]
        if mode == 'send':
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            if len(sys.argv) > 5:
                s.setsockopt(263, 15, 1)  # PACKET_VNET_HDR
            s.bind((ifname, 0))
            frame = bytes.fromhex(sys.argv[3])
            if len(sys.argv) > 5:  # NEEDS_CSUM, TCPV4, hdr_len 54, gso_size 1448, csum_start 34, csum_offset 16
                frame = struct.pack('<BBHHHH', 1, 1, 54, 1448, 34, 16) + frame
            for _ in range(int(sys.argv[4])):
                s.send(frame)
                time.sleep(0.02)
            sys.exit(0)
        src = bytes.fromhex(sys.argv[3])
        deadline = time.time() + float(sys.argv[4])
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
        s.bind((ifname, 0))
        s.setsockopt(263, 8, 1)  # PACKET_AUXDATA
        open('/dev/shm/' + sys.argv[5], 'w').close()  # ready
        while time.time() < deadline:
            r, _, _ = select.select([s], [], [], 0.2)
            if not r:
                continue
            data, anc, flags, addr = s.recvmsg(65536, socket.CMSG_SPACE(20))
            if addr[2] == socket.PACKET_OUTGOING or data[6:12] != src:
                continue
            tci = None
            for level, kind, d in anc:
                if level == 263 and kind == 8:
                    st, ln, sn, mac, net, t, p = struct.unpack('IIIHHHH', d[:20])
                    if st & 0x10:
                        tci = t
            if tci is None and data[12:14] in (b'\x81\x00', b'\x88\xa8'):
                tci = int.from_bytes(data[14:16], 'big')
            print('tci', tci if tci is not None else 'none', flush=True)
            sys.exit(0)
        print('timeout', flush=True)
        sys.exit(1)
        """;

    private static readonly string s_path = Write();

    private static string Write()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fb-packet-{Environment.ProcessId}.py");
        File.WriteAllText(path, Source);
        return path;
    }

    public static void Send(NetworkNamespace ns, string ifName, byte[] frame, int count, bool gso = false) =>
        ns.Exec($"python3 {s_path} send {ifName} {Convert.ToHexStringLower(frame)} {count}{(gso ? " vnet" : "")}");

    /// <summary>Starts a receiver; returns once it listens. Await the task for its output ("tci N", "tci none", "timeout").</summary>
    public static Task<(int ExitCode, string Output)> StartReceive(NetworkNamespace ns, string ifName, byte[] sourceMac, int seconds)
    {
        string marker = $"fb-ready-{Guid.NewGuid():N}";
        string readyFile = Path.Combine("/dev/shm", marker);
        Task<(int, string)> task = Task.Run(() => ns.TryExec($"python3 {s_path} recv {ifName} {Convert.ToHexStringLower(sourceMac)} {seconds} {marker}", (seconds + 10) * 1000));
        Infrastructure.EndToEnd.WaitFor(() => File.Exists(readyFile) || task.IsCompleted, TimeSpan.FromSeconds(10));
        File.Delete(readyFile);
        return task;
    }
}
