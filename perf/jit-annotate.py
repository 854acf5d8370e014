#!/usr/bin/env python3
"""Instruction-level profile of a running .NET process's JIT-compiled code, without jitdump.

perf/jit-annotate.py PERF_DATA PID OUTDIR [TOP]: takes the samples of PERF_DATA (`perf record -p PID`, any clock), the
runtime's perf map (/tmp/perf-PID.map, DOTNET_PerfMapEnabled=1) for the method ranges, reads the TOP (default 6)
hottest methods' code out of /proc/PID/mem while the process still runs, disassembles it (objdump) and writes
OUTDIR/annotate-N.txt: each instruction with its share of the method's samples. Used by perf/vhost-user-profile.sh
(ANNOTATE=1). Why not `perf inject --jit`: it needs the jitdump's marker mmap inside the recording, i.e. perf started
before the process, and the runtime's jitdump is written lazily; the code in memory is what ran.
Timer samples (no PMU in this VM) land on the instruction after the one that waited, as with any cpu-clock profile.
"""
import bisect
import collections
import os
import subprocess
import sys

perf_data, pid, outdir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
top = int(sys.argv[4]) if len(sys.argv) > 4 else 6

ranges = []  # (start, end, name)
with open(f"/tmp/perf-{pid}.map") as f:
    for line in f:
        parts = line.rstrip("\n").split(" ", 2)
        if len(parts) == 3:
            start, size = int(parts[0], 16), int(parts[1], 16)
            ranges.append((start, start + size, parts[2]))
ranges.sort()
starts = [r[0] for r in ranges]

ips = subprocess.run(["perf", "script", "-i", perf_data, "-F", "ip", "--pid", str(pid)],
                     capture_output=True, text=True, check=False).stdout.split()
hits = collections.Counter()
total = 0
for ip in ips:
    try:
        a = int(ip, 16)
    except ValueError:
        continue
    total += 1
    i = bisect.bisect_right(starts, a) - 1
    if i >= 0 and a < ranges[i][1]:
        hits[(i, a)] += 1

per_method = collections.Counter()
for (i, _), n in hits.items():
    per_method[i] += n

os.makedirs(outdir, exist_ok=True)
with open(f"/proc/{pid}/mem", "rb") as mem:
    for rank, (i, n) in enumerate(per_method.most_common(top), 1):
        start, end, name = ranges[i]
        mem.seek(start)
        code = mem.read(end - start)
        path = os.path.join(outdir, f"code-{rank}.bin")
        with open(path, "wb") as c:
            c.write(code)
        dis = subprocess.run(["objdump", "-D", "-b", "binary", "-m", "i386:x86-64", "-M", "intel",
                              f"--adjust-vma={start:#x}", path], capture_output=True, text=True, check=False).stdout
        with open(os.path.join(outdir, f"annotate-{rank}.txt"), "w") as out:
            out.write(f"{name}\n{n} of {total} samples ({100 * n / max(total, 1):.1f} %), {end - start} bytes at {start:#x}\n"
                      "share of this method's samples | offset | instruction\n")
            for line in dis.splitlines():
                head = line.split(":", 1)
                try:
                    a = int(head[0].strip(), 16)
                except ValueError:
                    continue
                k = hits.get((i, a), 0)
                mark = f"{100 * k / n:6.2f} %" if k else "        "
                text = head[1].split("\t")[-1].strip() if len(head) > 1 else ""
                out.write(f"{mark} | {a - start:5x} | {text}\n")
        print(f"annotate-{rank}.txt: {100 * n / max(total, 1):.1f} % {name[:140]}")
