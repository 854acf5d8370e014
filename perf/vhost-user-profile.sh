#!/usr/bin/env bash
# Where a vhost-user frame's CPU goes (issue 10): one switch (FastBridge, or the DPDK floor for comparison) with two
# vhost-user ports, dpdk-testpmd's two virtio-user ports looping frames through it exactly as
# perf/compare.d/vhost-user.sh does (io mode, `start tx_first`), then three windows of WINDOW seconds each:
#   1. plain: Mpps (testpmd's counters) and the switch's CPU ns per frame, voluntary context switches (its sleeps)
#   2. `perf stat` (software events: task-clock, context switches) and the switch's system calls by name
#      (`perf trace -s`), per frame
#   3. `perf record -g` (cpu-clock samples; FastBridge runs with DOTNET_PerfMapEnabled=1 so JIT frames are named):
#      the top symbols, self time
# and FastBridge's own counters at the end (drops by reason). The machine has no hardware counters (a VM): cycles
# and cache misses are not available, CPU time and samples are.
# Usage (root): perf/vhost-user-profile.sh   Environment: SWITCH (fastbridge | floor), SIZE (64), WARMUP (2),
#   WINDOW (4), BURSTS (8), SWITCH_CPU (0), GEN_CPU (1), OUTDIR (a fresh /tmp folder), FASTBRIDGE (binary; default:
#   the Release build of src/FastBridge.Cli, built if missing), ANNOTATE (FastBridge only, a count N: a 4th window
#   whose samples perf/jit-annotate.py puts on the instructions of the N hottest JIT-compiled methods, read from the
#   running process: OUTDIR/annotate-K.txt). Hugepages must be set up (perf/compare.sh vhost-user does it). Run it
#   under the benchmark lock like any benchmark.
set -euo pipefail
SWITCH=${SWITCH:-fastbridge}
SIZE=${SIZE:-64}
WARMUP=${WARMUP:-2}
WINDOW=${WINDOW:-4}
BURSTS=${BURSTS:-8}
SWITCH_CPU=${SWITCH_CPU:-0}
GEN_CPU=${GEN_CPU:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SUF=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
OUTDIR=${OUTDIR:-$(mktemp -d "/tmp/fbvprof-$SUF.XXXX")}
mkdir -p "$OUTDIR"
DIR=$(mktemp -d "/tmp/fbvp-$SUF.XXXX")   # sockets: a short path
HUGEDIR=$(awk '$3 == "hugetlbfs" { print $2; exit }' /proc/mounts)
[ -n "$HUGEDIR" ] || { echo "no hugetlbfs mounted: run perf/compare.sh vhost-user once, or mount one" >&2; exit 1; }
SW_PID="" GEN_PID="" SWTP_PID="" GEN_FD=""
cleanup() {
  local p
  for p in $GEN_PID $SW_PID $SWTP_PID; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$DIR" /var/run/dpdk/fbvp"$SUF"* "$HUGEDIR"/fbvp"$SUF"* 2>/dev/null || true
}
trap cleanup EXIT
# shellcheck source=vhost-user-loop.sh
. "$(dirname "$0")/vhost-user-loop.sh"

if [ "$SWITCH" = fastbridge ]; then
  FASTBRIDGE=${FASTBRIDGE:-$ROOT/src/FastBridge.Cli/bin/Release/net10.0/fastbridge}
  [ -x "$FASTBRIDGE" ] || dotnet build "$ROOT/src/FastBridge.Cli" -c Release -nologo -v quiet
  DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 taskset -c "$SWITCH_CPU" "$FASTBRIDGE" run --vhost-user "$DIR/s0.sock" \
    --vhost-user "$DIR/s1.sock" --workers 1 --name "fbvp$SUF" --control "$DIR/ctl.sock" >"$OUTDIR/switch.log" 2>&1 </dev/null &
  SW_PID=$!
else
  # the floor: testpmd's vhost PMD forwarding port to port (io), as in perf/compare.d/vhost-user.sh
  (sleep 3600 | taskset -c "$SWITCH_CPU" dpdk-testpmd --lcores "0@$SWITCH_CPU,1@$SWITCH_CPU" --main-lcore 1 \
    --file-prefix="fbvp${SUF}f" --no-pci --single-file-segments -m 256 \
    --vdev "net_vhost0,iface=$DIR/s0.sock,queues=1" --vdev "net_vhost1,iface=$DIR/s1.sock,queues=1" \
    -- --forward-mode=io --nb-cores=1 --total-num-mbufs=16384 --auto-start >"$OUTDIR/switch.log" 2>&1) &
  SWTP_PID=$!
fi
for _ in $(seq 300); do [ -S "$DIR/s1.sock" ] && break; sleep 0.1; done
[ -S "$DIR/s1.sock" ] || { echo "the switch did not create its sockets"; tail "$OUTDIR/switch.log"; exit 1; }
if [ "$SWITCH" = floor ]; then SW_PID=$(pgrep -f "fbvp${SUF}f" | head -1); fi

loop_frontend_start "$DIR" "$OUTDIR/gen.log" "fbvp${SUF}g"
gen() { echo "$1" >&"$GEN_FD"; }
if [ "$SWITCH" = fastbridge ]; then  # both ports up (the frontend's rings published) before any frame is sent
  loop_ports_up "$FASTBRIDGE" "$DIR/ctl.sock"
fi
sleep 1
rx_total() {  # frames testpmd received on both ports so far (every one crossed the switch once)
  local before
  before=$(grep -c 'NIC statistics for port 1 ' "$OUTDIR/gen.log" || true)
  gen "show port stats all"
  for _ in $(seq 200); do
    [ "$(grep -c 'NIC statistics for port 1 ' "$OUTDIR/gen.log" || true)" -gt "$before" ] \
      && awk '/NIC statistics for port 1 / { d = 0; s = 1; next } s && /^ +#+$/ { d = 1 } END { exit !d }' "$OUTDIR/gen.log" && break
    sleep 0.05
  done
  awk '/NIC statistics for port [0-9]+ / { p = $6 + 0 } /RX-packets:/ { rx[p] = $2 } END { print rx[0] + rx[1] }' "$OUTDIR/gen.log"
}
cpu_ns() { cat /proc/"${1:-$SW_PID}"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'; }
vcs() { awk '/^voluntary_ctxt_switches/ { s += $2 } END { print s + 0 }' /proc/"$SW_PID"/task/*/status 2>/dev/null; }

gen "set txpkts $SIZE"
gen "start tx_first $BURSTS"
sleep "$WARMUP"
{
  echo "switch=$SWITCH size=$SIZE window=${WINDOW}s load: $(cut -d' ' -f1-3 /proc/loadavg)"
  # 1. plain
  r0=$(rx_total); c0=$(cpu_ns); g0=$(cpu_ns "$GEN_PID"); v0=$(vcs); t0=$(date +%s.%N)
  sleep "$WINDOW"
  r1=$(rx_total); c1=$(cpu_ns); g1=$(cpu_ns "$GEN_PID"); v1=$(vcs); t1=$(date +%s.%N)
  python3 -c "
dt = $t1 - $t0; f = $r1 - $r0
print(f'plain: {f / dt / 1e6:.3f} Mpps, switch CPU {100 * ($c1 - $c0) / 1e9 / dt:.1f} %, '
      f'{($c1 - $c0) / max(f, 1):.0f} ns/frame, {($v1 - $v0) / dt:.0f} sleeps/s (voluntary context switches); '
      f'frontend CPU {100 * ($g1 - $g0) / 1e9 / dt:.1f} %')"
  # 2. perf stat and system calls
  r0=$(rx_total)
  perf stat -e task-clock,context-switches,cpu-migrations,page-faults -p "$SW_PID" -o "$OUTDIR/stat.txt" -- sleep "$WINDOW" 2>/dev/null
  r1=$(rx_total)
  echo "perf stat window: $((r1 - r0)) frames"
  grep -E 'task-clock|context-switches|cpu-migrations|page-faults' "$OUTDIR/stat.txt" || true
  r0=$(rx_total)
  perf trace -s -p "$SW_PID" -o "$OUTDIR/trace.txt" -- sleep "$WINDOW" 2>/dev/null || true
  r1=$(rx_total)
  echo "perf trace window: $((r1 - r0)) frames; system calls (all threads):"
  awk -v f=$((r1 - r0)) '$1 ~ /^[a-z_0-9]+$/ && $2 ~ /^[0-9]+$/ { n[$1] += $2; t += $2 }
    END { for (s in n) printf "  %-16s %9d  %.4f per frame\n", s, n[s], n[s] / (f ? f : 1); printf "  %-16s %9d  %.4f per frame\n", "total", t, t / (f ? f : 1) }' \
    "$OUTDIR/trace.txt" | sort -k2 -n -r | head -12
  # 3. profile
  r0=$(rx_total)
  perf record -F 4999 -g -p "$SW_PID" -o "$OUTDIR/perf.data" -- sleep "$WINDOW" >/dev/null 2>&1
  r1=$(rx_total)
  echo "perf record window: $((r1 - r0)) frames; top symbols (self):"
  perf report -i "$OUTDIR/perf.data" --no-children --sort dso,symbol -g none --stdio 2>/dev/null \
    | grep -v '^#' | grep '%' | head -40 || true   # head closes the pipe early: not a failure (pipefail)
  # 4. instruction level: the hottest JIT-compiled methods' code read from the running process, samples per instruction
  if [ -n "${ANNOTATE:-}" ] && [ "$SWITCH" = fastbridge ]; then
    r0=$(rx_total)
    perf record -F 4999 -p "$SW_PID" -o "$OUTDIR/perf.flat.data" -- sleep "$WINDOW" >/dev/null 2>&1
    r1=$(rx_total)
    echo "annotate window: $((r1 - r0)) frames"
    python3 "$(dirname "$0")/jit-annotate.py" "$OUTDIR/perf.flat.data" "$SW_PID" "$OUTDIR" "$ANNOTATE" || true
  fi
} | tee "$OUTDIR/summary.txt"
if [ "$SWITCH" = fastbridge ]; then
  "$FASTBRIDGE" stats --control "$DIR/ctl.sock" >"$OUTDIR/fastbridge-stats.txt" 2>&1 || true
  echo "FastBridge counters: $OUTDIR/fastbridge-stats.txt"; grep -i -E 'drop|no-guest|bad' "$OUTDIR/fastbridge-stats.txt" | head -10 || true
fi
echo "results: $OUTDIR"
