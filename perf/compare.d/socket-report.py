#!/usr/bin/env python3
"""The report of a socket section (perf/compare.d/dgram.sh, stream.sh): medians (min..max) per switch of what a
synthetic client pair measured; replaces the section between its markers in OUT (perf/RESULTS.md), or appends it;
any other OUT gets the section alone. What differs between sections comes as options; the table and its rules are
one copy.

Usage: socket-report.py RAW META OUT --section NAME --title TEXT --load TEXT --versions TEXT --sent WORD
                        --name SWITCH=LABEL ... --note TEXT
"""
import argparse, os, statistics

p = argparse.ArgumentParser()
p.add_argument("raw"); p.add_argument("meta"); p.add_argument("out")
p.add_argument("--section", required=True)
p.add_argument("--title", required=True)
p.add_argument("--load", required=True, help="what the load is, ending before the warm-up sentence")
p.add_argument("--versions", required=True, help="the peers' versions after FastBridge's, e.g. 'qemu' or 'qemu vde'")
p.add_argument("--sent", required=True, help="what the column of frames A's socket accepted is called (sent, written)")
p.add_argument("--name", action="append", default=[], help="SWITCH=LABEL for the table's first column")
p.add_argument("--note", required=True, help="the paragraph under the table")
a = p.parse_args()

BEGIN = f"<!-- {a.section} section: written by perf/compare.d/{a.section}.sh; text after the end marker is kept -->"
END = f"<!-- {a.section} section end -->"
meta = dict(l.rstrip("\n").split("=", 1) for l in open(a.meta, encoding="utf-8") if "=" in l)
data = {}
for line in open(a.raw, encoding="utf-8"):
    rep, sw, key, value = line.rstrip("\n").split("\t")
    try:
        data.setdefault((sw, key), []).append(float(value))
    except ValueError:
        pass

def fmt(v):
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"

def cell(sw, key, scale=1.0):
    vals = [v * scale for v in data.get((sw, key), [])]
    if not vals: return "n/a"
    if len(vals) == 1: return fmt(vals[0])
    return f"{fmt(statistics.median(vals))} ({fmt(min(vals))}..{fmt(max(vals))})"

names = dict(n.split("=", 1) for n in a.name)
defaults = {"vde": "vde_switch"}
versions = "; ".join(meta.get(f"v_{t}", "?") or defaults.get(t, t) for t in a.versions.split())
lines = [BEGIN, a.title, "",
    f"Produced by `perf/compare.sh {a.section}` on {meta.get('started', '?')} in {meta.get('elapsed', '?')} s: "
    f"{meta.get('reps', '?')} repetitions (the switch order alternates), each a fresh switch; load from {a.load}: "
    f"{meta.get('warmup', '?')} s warm-up then {meta.get('duration', '?')} s counted; RTT over "
    f"{meta.get('rtt_duration', '?')} round trips of 64 B frames, one at a time. Cells are medians with (min..max).", "",
    f"- Machine: {meta.get('cpu', '?')}, {meta.get('cores', '?')} cores, {meta.get('memory', '?')}, kernel "
    f"{meta.get('kernel', '?')}; load average before {meta.get('load_before', '?')}, after {meta.get('load_after', '?')} "
    "(shared with other helpers' builds and tests: see the spread)",
    f"- FastBridge {meta.get('v_fastbridge', '?')} (Release); {versions}", "",
    f"| switch | 64 B delivered kpps | 64 B {a.sent} kpps | 1518 B delivered kpps | 1518 B {a.sent} kpps | 1518 B delivered Gbit/s | RTT p50 (us) | RTT p99 (us) | RTT lost |",
    "|---|---|---|---|---|---|---|---|---|"]
for sw in meta.get("switches", "").split():
    lines.append(f"| {names.get(sw, sw)} | {cell(sw, 'rx_pps_64', 1e-3)} | {cell(sw, 'tx_pps_64', 1e-3)} | {cell(sw, 'rx_pps_1518', 1e-3)} | "
                 f"{cell(sw, 'tx_pps_1518', 1e-3)} | {cell(sw, 'rx_pps_1518', 1518 * 8 / 1e9)} | {cell(sw, 'rtt_p50_us')} | "
                 f"{cell(sw, 'rtt_p99_us')} | {cell(sw, 'rtt_lost')} |")
lines += ["", a.note, "", END]
section = "\n".join(lines) + "\n"
if os.path.basename(a.out) == "RESULTS.md" and os.path.exists(a.out):
    text = open(a.out, encoding="utf-8").read()
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + section + text[text.index(END) + len(END) + 1:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    open(a.out, "w", encoding="utf-8").write(text)
else:
    open(a.out, "w", encoding="utf-8").write(section)
print(section)
