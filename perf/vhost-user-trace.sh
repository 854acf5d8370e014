#!/usr/bin/env bash
# Per-second rates of the vhost-user loop for an A/B of FastBridge binaries (issue 10): the same loop as
# perf/compare.d/vhost-user.sh (dpdk-testpmd's two virtio-user ports in io mode, `start tx_first`), one switch at a
# time, binaries taken in turn (A B A B ...), each run WINDOW one-second samples of testpmd's received frames after
# WARMUP s. The host's "slow regime" (perf/RESULTS.md: cache lines between the two vCPUs 4-5x slower for seconds)
# moves the rate inside a run, so per-second samples let a comparison use the seconds of the fast regime (the upper
# half) instead of whole repetitions that a slow spell spoils; a cross-CPU round trip is measured before each run
# when RTT (a perf/cross-cpu-rtt.c binary) is given.
# Usage (root, under the benchmark gate): perf/vhost-user-trace.sh BINARY_A [BINARY_B ...]
# Environment: ROUNDS (3), WINDOW (10), WARMUP (2), SIZE (64), BURSTS (8), SWITCH_CPU (0), GEN_CPU (1), RTT (path),
#   OUT (a TSV of "round binary second Mpps", default a fresh /tmp file). Hugepages must be set up (perf/compare.sh
#   vhost-user does it).
set -euo pipefail
ROUNDS=${ROUNDS:-3}
WINDOW=${WINDOW:-10}
WARMUP=${WARMUP:-2}
SIZE=${SIZE:-64}
BURSTS=${BURSTS:-8}
SWITCH_CPU=${SWITCH_CPU:-0}
GEN_CPU=${GEN_CPU:-1}
RTT=${RTT:-}
SUF=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
OUT=${OUT:-$(mktemp "/tmp/fbvt-$SUF.XXXX.tsv")}
HUGEDIR=$(awk '$3 == "hugetlbfs" { print $2; exit }' /proc/mounts)
[ -n "$HUGEDIR" ] || { echo "no hugetlbfs mounted: run perf/compare.sh vhost-user once, or mount one" >&2; exit 1; }
[ $# -ge 1 ] || { echo "usage: $0 BINARY_A [BINARY_B ...]" >&2; exit 1; }
DIR="" SW_PID="" GEN_PID="" GEN_FD=""
stop_run() {
  local p
  if [ -n "$GEN_FD" ]; then exec {GEN_FD}>&-; GEN_FD=""; fi
  for p in $GEN_PID $SW_PID; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  GEN_PID="" SW_PID=""
  if [ -n "$DIR" ]; then rm -rf "$DIR" /var/run/dpdk/fbvt"$SUF"* "$HUGEDIR"/fbvt"$SUF"* 2>/dev/null || true; fi
}
trap stop_run EXIT
# shellcheck source=vhost-user-loop.sh
. "$(dirname "$0")/vhost-user-loop.sh"

one_run() {  # one_run ROUND BINARY: prints the per-second rates
  local round=$1 bin=$2 rtt="-"
  DIR=$(mktemp -d "/tmp/fbvt-$SUF.XXXX")
  if [ -n "$RTT" ]; then rtt=$("$RTT" 0.6 | awk '{ s += $2; n++ } END { printf "%.0f", s / n }'); fi
  taskset -c "$SWITCH_CPU" "$bin" run --vhost-user "$DIR/s0.sock" --vhost-user "$DIR/s1.sock" --workers 1 \
    --name "fbvt$SUF" --control "$DIR/ctl.sock" >"$DIR/switch.log" 2>&1 </dev/null &
  SW_PID=$!
  for _ in $(seq 300); do [ -S "$DIR/s1.sock" ] && break; sleep 0.1; done
  loop_frontend_start "$DIR" "$DIR/gen.log" "fbvt${SUF}g"
  loop_ports_up "$bin" "$DIR/ctl.sock"
  echo "set txpkts $SIZE" >&"$GEN_FD"
  echo "start tx_first $BURSTS" >&"$GEN_FD"
  sleep "$WARMUP"
  local r0 r1 t0 t1 s rates=""
  r0=$(rx_total); t0=$(date +%s.%N)
  for s in $(seq "$WINDOW"); do
    sleep 1
    r1=$(rx_total); t1=$(date +%s.%N)
    local mpps
    mpps=$(python3 -c "print(f'{($r1 - $r0) / ($t1 - $t0) / 1e6:.2f}')")
    printf '%s\t%s\t%s\t%s\t%s\n' "$round" "$bin" "$s" "$mpps" "$rtt" >>"$OUT"
    rates="$rates $mpps"
    r0=$r1 t0=$t1
  done
  echo "round $round rtt $rtt ns $bin:$rates"
  stop_run
}

rx_total() {  # frames testpmd received on both ports so far
  local before
  before=$(grep -c 'NIC statistics for port 1 ' "$DIR/gen.log" || true)
  echo "show port stats all" >&"$GEN_FD"
  for _ in $(seq 200); do
    [ "$(grep -c 'NIC statistics for port 1 ' "$DIR/gen.log" || true)" -gt "$before" ] \
      && awk '/NIC statistics for port 1 / { d = 0; s = 1; next } s && /^ +#+$/ { d = 1 } END { exit !d }' "$DIR/gen.log" && break
    sleep 0.02
  done
  awk '/NIC statistics for port [0-9]+ / { p = $6 + 0 } /RX-packets:/ { rx[p] = $2 } END { print rx[0] + rx[1] }' "$DIR/gen.log"
}

echo "load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%T) UTC, samples in $OUT"
for round in $(seq "$ROUNDS"); do
  for bin in "$@"; do one_run "$round" "$bin"; done
done
python3 - "$OUT" <<'PY'
import sys, statistics
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
by = {}
for r in rows:
    by.setdefault(r[1], []).append(float(r[3]))
for b, x in by.items():
    x.sort()
    top = x[len(x) // 2:]
    print(f"{b}: {len(x)} s, median {statistics.median(x):.2f} Mpps, upper half median {statistics.median(top):.2f}, max {x[-1]:.2f}")
PY
echo "load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%T) UTC"
