#!/usr/bin/env bash
# An idle VM must cost the switch no CPU (issue 10): FastBridge with two vhost-user ports, dpdk-testpmd's virtio-user
# as the frontend of both (connected, forwarding started, sending nothing), then the switch's CPU time over IDLE
# seconds from /proc/PID/task/*/stat (utime + stime, clock ticks) and schedstat (ns), per thread, with each thread's
# context switches (its wake-ups). Run as root: sudo perf/vhost-user-idle.sh   (IDLE=20, SWITCH_CPU=0, GEN_CPU=1)
set -euo pipefail
IDLE=${IDLE:-20}
SWITCH_CPU=${SWITCH_CPU:-0}
GEN_CPU=${GEN_CPU:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CLI="$ROOT/src/FastBridge.Cli/bin/Release/net10.0/FastBridge.Cli.dll"
SUFFIX=$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
DIR=/tmp/fbidle-$SUFFIX
PREFIX=fbidle$SUFFIX
mkdir -p "$DIR"
SW_PID="" TP_PID=""
cleanup() {
  [ -n "$TP_PID" ] && kill "$TP_PID" 2>/dev/null && wait "$TP_PID" 2>/dev/null || true
  [ -n "$SW_PID" ] && kill "$SW_PID" 2>/dev/null && wait "$SW_PID" 2>/dev/null || true
  rm -rf "$DIR" "/var/run/dpdk/$PREFIX" /dev/hugepages/"$PREFIX"* 2>/dev/null || true
}
trap cleanup EXIT
[ -f "$CLI" ] || dotnet build "$ROOT/src/FastBridge.Cli" -c Release -nologo -v quiet
taskset -c "$SWITCH_CPU" dotnet "$CLI" run --vhost-user "vu0=$DIR/vu0.sock" --vhost-user "vu1=$DIR/vu1.sock" \
  --workers 1 --name "fbidle$SUFFIX" --control "$DIR/control.sock" >"$DIR/switch.log" 2>&1 &
SW_PID=$!
for _ in $(seq 100); do [ -S "$DIR/vu1.sock" ] && break; sleep 0.1; done
(sleep $((IDLE + 30)) | taskset -c "$GEN_CPU" dpdk-testpmd -l 0,1 --file-prefix="$PREFIX" --no-pci --single-file-segments -m 256 \
  --vdev "net_virtio_user0,path=$DIR/vu0.sock,queues=1" --vdev "net_virtio_user1,path=$DIR/vu1.sock,queues=1" \
  -- --forward-mode=io --nb-cores=1 --total-num-mbufs=8192 --auto-start >"$DIR/testpmd.log" 2>&1) &
TP_PID=$!
up=0
for _ in $(seq 300); do
  if dotnet "$CLI" port list --control "$DIR/control.sock" 2>/dev/null | grep -c ' up ' | grep -q '^2$'; then up=1; break; fi
  sleep 0.2
done
[ "$up" = 1 ] || { echo "the frontend did not bring both ports up"; dotnet "$CLI" port list --control "$DIR/control.sock" || true; tail "$DIR/testpmd.log"; exit 1; }
sleep 2
snapshot() {  # tid name ticks ns ctxt
  for t in /proc/"$SW_PID"/task/*; do
    local tid=${t##*/}
    local stat; stat=$(cat "$t/stat" 2>/dev/null) || continue
    local rest=${stat#*) }
    read -r -a f <<<"$rest"
    local name; name=$(cat "$t/comm")
    local ns; ns=$(cut -d' ' -f1 "$t/schedstat")
    local ctxt; ctxt=$(awk '/ctxt_switches/ { s += $2 } END { print s }' "$t/status")
    echo "$tid ${name// /_} $((f[11] + f[12])) $ns $ctxt"
  done | sort
}
TICK=$(getconf CLK_TCK)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
snapshot >"$DIR/a"; t0=$(date +%s.%N)
sleep "$IDLE"
snapshot >"$DIR/b"; t1=$(date +%s.%N)
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$DIR/a" "$DIR/b" "$t0" "$t1" "$TICK" <<'PY'
import sys
a = {l.split()[0]: l.split() for l in open(sys.argv[1])}
b = {l.split()[0]: l.split() for l in open(sys.argv[2])}
secs = float(sys.argv[4]) - float(sys.argv[3]); tick = int(sys.argv[5])
tot_ns = tot_ticks = 0
rows = []
for tid, r in b.items():
    if tid not in a: continue
    ticks = int(r[2]) - int(a[tid][2]); ns = int(r[3]) - int(a[tid][3]); cs = int(r[4]) - int(a[tid][4])
    tot_ns += ns; tot_ticks += ticks
    if ns > 0 or cs > 0: rows.append((ns, r[1], ticks, cs))
print(f"switch CPU over {secs:.1f} s idle: {100 * tot_ns / 1e9 / secs:.2f} % of a core (schedstat), "
      f"{100 * tot_ticks / tick / secs:.2f} % (utime+stime ticks)")
for ns, name, ticks, cs in sorted(rows, reverse=True):
    print(f"  {name:<24} {ns / 1e6:8.2f} ms  {cs / secs:7.1f} wake-ups/s")
PY
