using FastBridge.Cli.Demo;

namespace FastBridge.Tests.Netdev;

/// <summary>
/// Puts a host's interface on one VLAN without an 802.1Q device (this kernel has none, nor tc's <c>vlan</c> action;
/// ../shared/TAP-NOTES.md): two small eBPF programs on the interface's clsact hooks (cls_bpf, direct action), loaded
/// by a python3 helper through the bpf() system call. Egress: <c>bpf_skb_vlan_push</c> (the tag goes into the skb's
/// metadata, so a TSO super-frame stays one); ingress: a frame tagged with that VLAN has its tag popped
/// (<c>bpf_skb_vlan_pop</c>), anything else — untagged, or another VLAN — is dropped (TC_ACT_SHOT). So the host talks
/// only through frames that carry its tag: a tag lost on the way is traffic lost, not silently accepted.
/// </summary>
internal static class VlanByBpf
{
    private const string Source = """
        import ctypes, os, struct, subprocess, sys, tempfile
        ifname, vid = sys.argv[1], int(sys.argv[2])
        libc = ctypes.CDLL(None, use_errno=True)
        def ins(op, dst=0, src=0, off=0, imm=0):
            return struct.pack('<BBhi', op, (src << 4) | dst, off, imm)
        # r2 = htons(0x8100); r3 = vid; call skb_vlan_push; r0 = TC_ACT_OK; exit
        egress = [ins(0xb7, 2, imm=0x0081), ins(0xb7, 3, imm=vid), ins(0x85, imm=18), ins(0xb7, 0, imm=0), ins(0x95)]
        # r6 = skb; if !skb->vlan_present goto drop; if (skb->vlan_tci & 0xfff) != vid goto drop;
        # call skb_vlan_pop(skb); return TC_ACT_OK; drop: return TC_ACT_SHOT
        ingress = [ins(0xbf, 6, 1), ins(0x61, 2, 6, 20), ins(0x15, 2, off=7, imm=0), ins(0x61, 2, 6, 24),
                   ins(0x57, 2, imm=0xfff), ins(0x55, 2, off=4, imm=vid), ins(0xbf, 1, 6), ins(0x85, imm=19),
                   ins(0xb7, 0, imm=0), ins(0x95), ins(0xb7, 0, imm=2), ins(0x95)]
        def bpf(cmd, attr):
            buf = ctypes.create_string_buffer(attr.ljust(128, b'\0'))
            r = libc.syscall(321, cmd, buf, 128)  # __NR_bpf on x86_64
            if r < 0:
                sys.exit('bpf(%d): %s' % (cmd, os.strerror(ctypes.get_errno())))
            return r
        keep = []
        def load(prog):  # BPF_PROG_LOAD, BPF_PROG_TYPE_SCHED_CLS
            code = ctypes.create_string_buffer(b''.join(prog))
            lic = ctypes.create_string_buffer(b'GPL')
            keep.extend([code, lic])
            return bpf(5, struct.pack('<IIQQ', 3, len(prog), ctypes.addressof(code), ctypes.addressof(lic)))
        def pin(fd, path):  # BPF_OBJ_PIN: tc takes a program by its path
            p = ctypes.create_string_buffer(path.encode())
            keep.append(p)
            bpf(6, struct.pack('<QII', ctypes.addressof(p), fd, 0))
        d = tempfile.mkdtemp(prefix='fb-bpf-')
        subprocess.run(['mount', '-t', 'bpf', 'bpf', d], check=True)  # a bpffs of our own (ip netns exec: private mounts)
        try:
            pin(load(egress), d + '/egress')
            pin(load(ingress), d + '/ingress')
            subprocess.run(['tc', 'qdisc', 'add', 'dev', ifname, 'clsact'], check=True)
            for way in ('egress', 'ingress'):
                subprocess.run(['tc', 'filter', 'add', 'dev', ifname, way, 'protocol', 'all', 'bpf', 'da',
                                'object-pinned', d + '/' + way], check=True)
        finally:
            subprocess.run(['umount', d])
            os.rmdir(d)
        print('ok')
        """;

    private static readonly string s_path = Write();

    private static string Write()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fb-vlan-bpf-{Environment.ProcessId}.py");
        File.WriteAllText(path, Source);
        return path;
    }

    /// <summary>Whether this machine can do it (tc, cls_bpf, the bpf() system call); the reason when not.</summary>
    public static (bool Works, string Why) Probe()
    {
        using var ns = NetworkNamespace.Create("fbvb");
        string a = $"vb{Random.Shared.Next(100_000, 999_999)}";
        ns.Exec($"ip link add {a} type veth peer name {a}p");
        (int code, string output) = Put(ns, a, 10);
        return (code == 0, output.Trim());
    }

    /// <summary>Puts <paramref name="ifName"/> (in <paramref name="ns"/>) on VLAN <paramref name="vid"/>; throws when it cannot.</summary>
    public static void Apply(NetworkNamespace ns, string ifName, int vid)
    {
        (int code, string output) = Put(ns, ifName, vid);
        if (code != 0)
        {
            throw new InvalidOperationException($"VLAN {vid} on {ifName} by eBPF failed: {output}");
        }
    }

    private static (int ExitCode, string Output) Put(NetworkNamespace ns, string ifName, int vid) =>
        ns.TryExec($"python3 {s_path} {ifName} {vid}");
}
