#!/usr/bin/env python3
"""Turns perf/compare.sh's raw measurements into perf/RESULTS.md.

Usage: report.py RAW.tsv META OUT.md
RAW.tsv: rep, switch, metric, value (value may be "n/a"). META: key=value lines (machine, versions, settings).
A "## What the numbers say" section already in OUT.md (written by hand) is kept at the end of the new report.
"""
import os
import statistics
import sys
from collections import defaultdict

LABELS = {
    "fastbridge": "FastBridge `--workers 2`",
    "fastbridge-w1": "FastBridge `--workers 1`",
    "kernel": "Linux bridge (veth)",
    "ovs": "OVS userspace (netdev, tap)",
    "ovs-tso": "OVS userspace + userspace-tso",
    "vde": "vde_switch",
    "tapfwd": "native/tapfwd (C floor)",
    "tapfwd-vnet": "native/tapfwd --vnet-hdr (C floor, offloads)",
}

COLUMNS = [
    ("delivered_kpps_64", "64 B delivered kpps"),
    ("offered_kpps_64", "64 B offered kpps"),
    ("loss_pct_64", "64 B loss %"),
    ("delivered_kpps_1518", "1518 B delivered kpps"),
    ("loss_pct_1518", "1518 B loss %"),
    ("tcp1_gbps", "TCP 1 stream Gbit/s"),
    ("tcp4_gbps", "TCP 4 streams Gbit/s"),
    ("rtt_p50_us", "RTT p50 µs"),
    ("rtt_p99_us", "RTT p99 µs"),
    ("cpu_s_per_mframe_64", "CPU s / Mframe (64 B)"),
    ("cpu_s_per_mframe_1518", "CPU s / Mframe (1518 B)"),
]

HANDWRITTEN = "## What the numbers say"


def load(raw_path):
    data = defaultdict(lambda: defaultdict(list))
    order = []
    with open(raw_path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 4:
                continue
            _, switch, metric, value = parts
            if switch not in order:
                order.append(switch)
            try:
                data[switch][metric].append(float(value))
            except ValueError:
                pass
    return data, order


def median(values):
    return statistics.median(values) if values else None


def fmt_number(v):
    if v is None:
        return "n/a"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def cell(values):
    if not values:
        return "n/a"
    m = fmt_number(median(values))
    if len(values) == 1:
        return m
    return f"{m} ({fmt_number(min(values))}..{fmt_number(max(values))})"


def ratio_row(data, fb, name, metric, peer, target, higher_is_better=True):
    a = median(data.get(fb, {}).get(metric, []))
    b = median(data.get(peer, {}).get(metric, []))
    if a is None or b is None or b == 0:
        return f"| {LABELS[fb]} | {name} | n/a | {target} | n/a |"
    r = a / b
    goal = float(target.split()[-1].rstrip("x"))
    met = r >= goal if higher_is_better else r <= goal
    return f"| {LABELS[fb]} | {name} | {r:.2f}x | {target} | {'met' if met else '**not met**'} |"


def main():
    raw_path, meta_path, out_path = sys.argv[1:4]
    meta = {}
    with open(meta_path, encoding="utf-8") as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                meta[k] = v
    data, order = load(raw_path)
    kept = ""
    if os.path.exists(out_path):
        with open(out_path, encoding="utf-8") as f:
            old = f.read()
        if HANDWRITTEN in old:
            kept = old[old.index(HANDWRITTEN):]

    d = meta.get("duration", "?")
    rtt = meta.get("rtt_duration", "?")
    lines = []
    w = lines.append
    w("# FastBridge against its peers over TAP devices")
    w("")
    w(f"Produced by `perf/compare.sh` on {meta.get('started', '?')} in {meta.get('elapsed', '?')} s "
      f"({meta.get('reps', '?')} repetitions, {d} s per load{', QUICK mode' if meta.get('quick') == '1' else ''}). "
      "Cells are medians with (min..max) over the repetitions; repetitions were interleaved (one of every switch, "
      "then the next), every test ran alone.")
    w("")
    w("## Machine")
    w("")
    w(f"- CPU: {meta.get('cpu', '?')}, {meta.get('cores', '?')} cores; memory {meta.get('memory', '?')}; "
      f"kernel {meta.get('kernel', '?')}")
    w(f"- Load average (1/5/15 min) before: {meta.get('load_before', '?')}, after: {meta.get('load_after', '?')} "
      "(the VM is shared with other work; see the spread in each cell)")
    w(f"- FastBridge {meta.get('v_fastbridge', '?')} (Release), .NET SDK {meta.get('v_dotnet', '?')}")
    w(f"- {meta.get('v_ovs', 'OVS: not installed')}; {meta.get('v_vde', 'vde: not installed')}; "
      f"{meta.get('v_gcc', '?')} (tapfwd, -O2)")
    w(f"- load: {meta.get('v_trafgen', '?')}; {meta.get('v_iperf3', '?')}; sockperf {meta.get('v_sockperf', '?')}")
    w("")
    w("## Results (medians, min..max)")
    w("")
    w("| switch | " + " | ".join(title for _, title in COLUMNS) + " |")
    w("|---|" + "---:|" * len(COLUMNS))
    for switch in order:
        w(f"| {LABELS.get(switch, switch)} | " + " | ".join(cell(data[switch].get(m, [])) for m, _ in COLUMNS) + " |")
    died = [s for s in order if data[s].get("died")]
    if died:
        w("")
        w("**A switch process died during the tests:** " + ", ".join(LABELS.get(s, s) for s in died))
    w("")
    w("CPU is the switch process's utime+stime over the frame test divided by the frames delivered; it includes the")
    w("receiving host's stack work that a TAP write runs in the writer's context. The Linux bridge has no process")
    w("(n/a): its work is softirq time spread over both cores.")
    w("")
    w("## Against the targets")
    w("")
    w("| FastBridge | comparison | ratio | target | |")
    w("|---|---|---:|---|---|")
    for fb in ("fastbridge", "fastbridge-w1"):
        if fb not in data:
            continue
        # Issue 14's targets: the C floor (plain read/write) and, like for like, the floor with FastBridge's
        # virtio-net header and offloads (tapfwd-vnet); vde_switch; OVS with userspace TSO for TCP.
        w(ratio_row(data, fb, "64 B delivered vs C floor (tapfwd)", "delivered_kpps_64", "tapfwd", ">= 1.0x"))
        w(ratio_row(data, fb, "64 B delivered vs C floor with offloads (tapfwd --vnet-hdr)", "delivered_kpps_64",
                    "tapfwd-vnet", ">= 1.0x"))
        w(ratio_row(data, fb, "64 B delivered vs vde_switch", "delivered_kpps_64", "vde", ">= 1.3x"))
        w(ratio_row(data, fb, "64 B delivered vs OVS userspace", "delivered_kpps_64", "ovs", ">= 1.3x"))
        w(ratio_row(data, fb, "TCP 1 stream vs OVS + TSO", "tcp1_gbps", "ovs-tso", ">= 1.0x"))
        w(ratio_row(data, fb, "TCP 4 streams vs OVS + TSO", "tcp4_gbps", "ovs-tso", ">= 1.0x"))
        w(ratio_row(data, fb, "RTT p50 vs vde_switch (lower is better)", "rtt_p50_us", "vde", "<= 1.0x",
                    higher_is_better=False))
        # Frames per CPU-second: the peer's CPU per frame over FastBridge's. Unlike the delivered rate, it does not
        # depend on how much of a shared, loaded machine each switch happened to be scheduled.
        for peer, name, target in (("tapfwd", "C floor (tapfwd)", ">= 1.0x"),
                                   ("tapfwd-vnet", "C floor with offloads", ">= 1.0x"),
                                   ("vde", "vde_switch", ">= 1.3x"), ("ovs", "OVS userspace", ">= 1.3x")):
            if peer not in data:
                continue
            w(ratio_row(data, peer, f"64 B frames per CPU-second vs {name}", "cpu_s_per_mframe_64", fb, target)
              .replace(f"| {LABELS[peer]} |", f"| {LABELS[fb]} |", 1))
    w("")
    w("## How it was measured (exact commands)")
    w("")
    w("Namespaces `h1`, `h2`, `sw` (random suffix); hosts 198.18.0.1/24 (02:00:00:00:00:01) and 198.18.0.2/24")
    w("(02:00:00:00:00:02), IPv6 off. Userspace switches run in `sw`, create TAPs `IF1`/`IF2` there, and the script")
    w("then runs `ip -n sw link set IF1 netns h1` (and IF2 to h2) and configures the hosts.")
    w("")
    w("```sh")
    w("# switches (in netns sw)")
    w("fastbridge run --tap IF1 --tap IF2 --workers 2      # and --workers 1; Release build")
    w("native/build/tapfwd IF1 IF2                          # gcc -O2 native/tapfwd.c")
    w("native/build/tapfwd --vnet-hdr IF1 IF2               # the same with IFF_VNET_HDR + TUNSETOFFLOAD, as FastBridge")
    w("vde_switch -t IF1 -t IF2 -s DIR/vde.ctl -d -p DIR/vde.pid")
    w("ovsdb-tool create DIR/conf.db /usr/share/openvswitch/vswitch.ovsschema")
    w("ovsdb-server DIR/conf.db --remote=punix:DIR/db.sock --unixctl=DIR/ovsdb.ctl --pidfile=... --detach")
    w("ovs-vsctl --db=unix:DIR/db.sock --no-wait init")
    w("ovs-vsctl ... --no-wait set Open_vSwitch . other_config:userspace-tso-enable=true   # ovs-tso only")
    w("ovs-vswitchd unix:DIR/db.sock --unixctl=DIR/vswitchd.ctl --pidfile=... --detach")
    w("ovs-vsctl ... add-br BR -- set bridge BR datapath_type=netdev")
    w("ovs-vsctl ... add-port BR IF1 -- set interface IF1 type=tap   # and IF2")
    w("# Linux bridge: ip -n sw link add BR type bridge; veth pairs sw:pN <-> hN:IFN, pN master BR")
    w("")
    w("# load (in h1; server side in h2)")
    w("ping -c 2 198.18.0.2                                  # both MACs learned first")
    w(f"timeout -s INT {d} trafgen -o IF1 -i CONF -P 1 --no-sock-mem -Q   # CONF: IPv4/UDP to h2:9, 60 or 1514 bytes + FCS")
    w("#   offered = IF1 tx_packets + tx_dropped delta (h1); delivered = IF2 rx_packets delta (h2)")
    w(f"iperf3 -s -1 -B 198.18.0.2 ; iperf3 -c 198.18.0.2 -t {d} -J        # and -P 4")
    w(f"sockperf server -i 198.18.0.2 ; sockperf ping-pong -i 198.18.0.2 -t {rtt} --full-rtt")
    w("# switch CPU: utime+stime from /proc/PID/stat before/after each frame test")
    w("```")
    w("")
    w("Run it again: `sudo perf/compare.sh` (full: REPS=3 DURATION=10) or `QUICK=1 perf/compare.sh`.")
    w("")
    text = "\n".join(lines)
    if kept:
        text += "\n" + kept.rstrip("\n") + "\n"
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
