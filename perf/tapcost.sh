#!/usr/bin/env bash
# Where a TAP switch's CPU goes, per frame: CPU time (user/system), system calls by name, epoll waits, EAGAIN reads
# (empty polls: the idle spin and the read that ends each burst) and context switches, for one switch over a bounded
# 64-byte flood and a bounded sockperf ping-pong. Counts per frame do not depend on how much of a shared, loaded
# machine the switch got, so they compare across runs where raw rates do not (perf/README.md, "Where a frame's CPU goes").
#
# Usage (root): perf/tapcost.sh SWITCH...     SWITCH: fastbridge (--workers 1), fastbridge-w2, tapfwd, tapfwd-vnet,
#                                              ovs-tso (Open vSwitch's userspace datapath with userspace TSO, as compare.sh)
# Environment: FASTBRIDGE (the fastbridge executable, default this tree's Release build), NO_BUILD=1, ONLY=flood|rtt|tcp (tcp: iperf3, STREAMS streams, units = frames h2 received), DURATION (s of flood measured, default 5), RTT_DURATION (s, default 5), PROFILE=1 (also perf record
#              -g the flood, JIT frames named through DOTNET_PerfMapEnabled=1; top symbols printed), OUT (directory
#              for the raw files, default a temporary one, removed), FB_ARGS (extra `fastbridge run` arguments),
#              FLOWS (UDP flows of the flood, 1 to 256 source ports, default 1: more spread over a multi-queue TAP's queues).
# Besides the switch's own counts, each row gives bytes per unit (h2's rx_bytes), the whole machine's busy CPU per unit
# and its idle share (/proc/stat: the hosts' stacks and the loads included), and the switch's CPU migrations per unit.
# With PROFILE=1 the TCP load is also profiled machine-wide (perf record -a): CPU by task, then by task and symbol.
# With SCHED=1 the TCP load's scheduling is traced machine-wide for SCHED_SECONDS (2): per task, per unit, system
# calls, times switched out asleep (voluntary) and preempted, wake-ups received, and on which CPU it ran.
# Topology as perf/compare.sh: hosts 198.18.0.1/.2 in namespaces, the switch in a third one creating the two TAPs,
# each TAP's kernel side moved to a host. Random suffixes, 198.18.0.0/15 only, everything removed on exit, every load
# bounded with timeout; kills only the processes it started.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=compare.d/lib.sh
. "$ROOT/perf/compare.d/lib.sh"   # ovs_userspace_start and its helpers; this script's own cleanup (below) replaces lib's
DURATION=${DURATION:-5}
RTT_DURATION=${RTT_DURATION:-5}
PROFILE_SECONDS=${PROFILE_SECONDS:-4}
[ "$(id -u)" = 0 ] || { echo "tapcost.sh: must run as root" >&2; exit 1; }
[ $# -gt 0 ] || { sed -n '2,12p' "$0" >&2; exit 2; }

SUF=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
H1=fbt-h1-$SUF H2=fbt-h2-$SUF SW=fbt-sw-$SUF IF1=fbt1$SUF IF2=fbt2$SUF
WORK=$(mktemp -d "/tmp/fbtapcost-$SUF.XXXX")
KEEP=${OUT:-}
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  for n in "$H1" "$H2" "$SW"; do ip netns del "$n" 2>/dev/null || true; done
  if [ -n "$KEEP" ]; then mkdir -p "$KEEP" && cp -r "$WORK"/. "$KEEP"/; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
NS_SW=$SW LOG=$WORK/log STARTED=()   # what lib.sh's ovs_userspace_start uses

FASTBRIDGE=${FASTBRIDGE:-$ROOT/src/FastBridge.Cli/bin/Release/net10.0/fastbridge}   # another build to compare: FASTBRIDGE=PATH
TAPFWD=$ROOT/native/build/tapfwd
[ -n "${NO_BUILD:-}" ] || dotnet build "$ROOT/src/FastBridge.Cli" -c Release -nologo -clp:ErrorsOnly >/dev/null
mkdir -p "$ROOT/native/build" && gcc -O2 -Wall -Wextra -o "$TAPFWD" "$ROOT/native/tapfwd.c"

ticks() { awk '{ sub(/^.*\) /, ""); print $12, $13 }' "/proc/$1/stat"; }          # utime stime (clock ticks)
ctxsw() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt/ { v += $2 } /^nonvoluntary_ctxt/ { n += $2 } END { print v + 0, n + 0 }'; }
rx_of() { ip netns exec "$H2" cat "/sys/class/net/$IF2/statistics/rx_packets"; }
offered_of() { ip netns exec "$H1" sh -c "echo \$((\$(cat /sys/class/net/$IF1/statistics/tx_packets) + \$(cat /sys/class/net/$IF1/statistics/tx_dropped)))"; }
rx1_of() { ip netns exec "$H1" cat "/sys/class/net/$IF1/statistics/rx_packets"; }   # frames h1 received (a TCP load's ACKs)
EVENTS=syscalls:sys_enter_read,syscalls:sys_enter_readv,syscalls:sys_enter_write,syscalls:sys_enter_writev
EVENTS=$EVENTS,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_pwait,syscalls:sys_enter_poll,syscalls:sys_enter_ppoll
EVENTS=$EVENTS,syscalls:sys_enter_io_uring_enter,syscalls:sys_enter_futex,syscalls:sys_enter_sched_yield
EVENTS=$EVENTS,syscalls:sys_enter_eventfd2,cpu-migrations
rxbytes_of() { ip netns exec "$H2" cat "/sys/class/net/$IF2/statistics/rx_bytes"; }
busy_idle() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat; }   # machine-wide busy, idle jiffies

setup() {  # setup SWITCH: namespaces, switch, hosts; sets PID
  local n
  for n in "$H1" "$H2" "$SW"; do
    ip netns add "$n"; ip -n "$n" link set lo up
    ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done
  case $1 in
    fastbridge|fastbridge-w2)
      local w=1; [ "$1" = fastbridge-w2 ] && w=2
      # shellcheck disable=SC2086
      DOTNET_PerfMapEnabled=${PROFILE:-0} DOTNET_EnableWriteXorExecute=$([ "${PROFILE:-0}" = 1 ] && echo 0 || echo 1) ip netns exec "$SW" "$FASTBRIDGE" run --tap "$IF1" --tap "$IF2" --workers "$w" \
        --name "fbt$SUF" --control "$WORK/ctl.sock" ${FB_ARGS:-} >"$WORK/switch.log" 2>&1 &
      ;;
    tapfwd) ip netns exec "$SW" "$TAPFWD" "$IF1" "$IF2" >"$WORK/switch.log" 2>&1 & ;;
    tapfwd-vnet) ip netns exec "$SW" "$TAPFWD" --vnet-hdr "$IF1" "$IF2" >"$WORK/switch.log" 2>&1 & ;;
    ovs-tso)
      STARTED=()
      ovs_userspace_start 1   # daemons (detached): their PIDs come from their pidfiles, via STARTED
      PIDS+=("${STARTED[@]}")
      "${OVS_VSCTL[@]}" add-port "br$SUF" "$IF1" -- set interface "$IF1" type=tap
      "${OVS_VSCTL[@]}" add-port "br$SUF" "$IF2" -- set interface "$IF2" type=tap
      ;;
    *) echo "tapcost.sh: unknown switch $1" >&2; exit 2 ;;
  esac
  if [ "$1" = ovs-tso ]; then PID=$SWITCH_PID; else PID=$!; PIDS+=("$PID"); fi
  if [ -n "${PIN:-}" ]; then taskset -a -p -c "$PIN" "$PID" >/dev/null; fi   # PIN=CPUS: the switch's threads on those CPUs (analysis)
  for n in $(seq 300); do
    ip -n "$SW" link show "$IF2" >/dev/null 2>&1 && ip -n "$SW" link show "$IF1" >/dev/null 2>&1 && break
    sleep 0.1
  done
  ip -n "$SW" link set "$IF1" netns "$H1"; ip -n "$SW" link set "$IF2" netns "$H2"
  ip -n "$H1" link set "$IF1" address 02:00:00:00:00:01; ip -n "$H1" addr add 198.18.0.1/24 dev "$IF1"; ip -n "$H1" link set "$IF1" up
  ip -n "$H2" link set "$IF2" address 02:00:00:00:00:02; ip -n "$H2" addr add 198.18.0.2/24 dev "$IF2"; ip -n "$H2" link set "$IF2" up
  for n in $(seq 20); do ip netns exec "$H1" ping -c 1 -W 1 198.18.0.2 >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "tapcost.sh: $1: h1 cannot ping h2" >&2
  return 1
}

teardown() {
  local p i
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    wait "$p" 2>/dev/null || true   # a child; a detached daemon (OVS) is waited for below
    for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  done
  PIDS=()
  for n in "$H1" "$H2" "$SW"; do ip netns del "$n" 2>/dev/null || true; done
  sleep 0.5
}

# measure NAME UNITS: counts over DURATION s while a load already runs; UNITS is a command printing the unit count
# (frames delivered, or round trips) at the time it is called.
measure() {
  local name=$1 units_cmd=$2 secs=$3 t0 t1 c0 c1 u0 u1
  # The snapshots are taken by the command perf stat runs, so they bracket exactly the window it counts.
  export -f ticks ctxsw rx_of rxbytes_of rx1_of busy_idle; export PID H1 IF1 H2 IF2
  perf stat -x, -e "$EVENTS" -p "$PID" -o "$WORK/$name.stat" -- bash -c \
    "echo \$(ticks $PID) \$(ctxsw $PID) \$($units_cmd) \$(rxbytes_of) \$(busy_idle) \$(rx1_of) >$WORK/$name.0; sleep $secs; echo \$(ticks $PID) \$(ctxsw $PID) \$($units_cmd) \$(rxbytes_of) \$(busy_idle) \$(rx1_of) >$WORK/$name.1" \
    2>/dev/null
  read -r a b c d u0 by0 bu0 id0 back0 <"$WORK/$name.0"; t0="$a $b"; c0="$c $d"
  read -r a b c d u1 by1 bu1 id1 back1 <"$WORK/$name.1"; t1="$a $b"; c1="$c $d"
  python3 - "$SWNAME" "$name" "$u0" "$u1" "$t0" "$t1" "$c0" "$c1" "$(getconf CLK_TCK)" "$WORK/$name.stat" "$secs" \
    "$((by1 - by0))" "$((bu1 - bu0))" "$((id1 - id0))" "$((back1 - back0))" <<'PY'
import sys
sw, name, u0, u1 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
nbytes, busy, idle, back = int(sys.argv[12]), int(sys.argv[13]), int(sys.argv[14]), int(sys.argv[15])
ut0, st0 = map(int, sys.argv[5].split()); ut1, st1 = map(int, sys.argv[6].split())
v0, n0 = map(int, sys.argv[7].split()); v1, n1 = map(int, sys.argv[8].split())
hz, path, secs = int(sys.argv[9]), sys.argv[10], float(sys.argv[11])
units = max(1, u1 - u0)
counts = {}
migrations = 0
for line in open(path):
    parts = line.strip().split(",")
    if len(parts) > 2 and parts[2] == "cpu-migrations" and parts[0].isdigit():
        migrations = int(parts[0])
    if len(parts) > 2 and parts[2].startswith("syscalls:sys_enter_"):
        try:
            counts[parts[2][len("syscalls:sys_enter_"):]] = int(parts[0])
        except ValueError:
            pass
total = sum(counts.values())
per = {k: v / units for k, v in sorted(counts.items()) if v}
print(f"{sw}\t{name}\tunits/s={units / secs:,.0f}\tcpu_us/unit={(ut1 - ut0 + st1 - st0) / hz / units * 1e6:.2f}"
      f"\tuser_us={(ut1 - ut0) / hz / units * 1e6:.2f}\tsys_us={(st1 - st0) / hz / units * 1e6:.2f}"
      f"\tsyscalls/unit={total / units:.2f}\t" + " ".join(f"{k}={v:.3f}" for k, v in per.items())
      + f"\tvol_ctxsw/unit={(v1 - v0) / units:.3f}\tinvol/unit={(n1 - n0) / units:.3f}\tmigr/unit={migrations / units:.3f}"
      + f"\tbytes/unit={nbytes / units:,.0f}\tback/unit={back / units:.3f}\tmachine_cpu_us/unit={busy / hz / units * 1e6:.2f}"
      + f"\tmachine_idle={100 * idle / max(1, busy + idle):.1f}%")
PY
}

flood() {  # the 64 B flood: trafgen for DURATION + 2 s, measured over DURATION s after 1 s
  local sport='const16(9)'   # FLOWS > 1: the source port's low byte counts through FLOWS values, one flow each
  [ "${FLOWS:-1}" -gt 1 ] && sport="0x27,dinc(0,$((FLOWS - 1)),1)"
  cat >"$WORK/t.cfg" <<EOF
{ 0x02,0x00,0x00,0x00,0x00,0x02, 0x02,0x00,0x00,0x00,0x00,0x01, 0x08,0x00,
  0x45,0x00,const16(46),0x00,0x00,0x40,0x00,0x40,0x11,csumip(14,33), 198,18,0,1, 198,18,0,2,
  $sport,const16(9),const16(26),0x00,0x00, fill(0x00,18) }
EOF
  local extra=0; [ "${PROFILE:-0}" = 1 ] && extra=$((PROFILE_SECONDS + 1))
  ip netns exec "$H1" timeout --signal=INT --kill-after=5 $((DURATION + 2 + extra)) \
    trafgen -o "$IF1" -i "$WORK/t.cfg" -P 1 --no-sock-mem -Q >"$WORK/trafgen.log" 2>&1 &
  local gen=$!
  sleep 1
  local o0 o1 t0 t1
  o0=$(offered_of); t0=$(date +%s.%N)
  measure flood64 rx_of "$DURATION"
  o1=$(offered_of); t1=$(date +%s.%N)
  # What trafgen offered (h1's tx_packets + tx_dropped: the TAP queue drops what the switch does not read in time)
  # against what the switch delivered: the generator is the limit only where the two meet.
  printf '%s\tflood64\toffered/s=%s\n' "$SWNAME" "$(python3 -c "print(f'{($o1 - $o0) / ($t1 - $t0):,.0f}')")"
  if [ "${PROFILE:-0}" = 1 ]; then
    perf record -e cpu-clock -F 999 -g -p "$PID" -o "$WORK/perf.data" -- sleep "$PROFILE_SECONDS" >/dev/null 2>&1 || true
  fi
  wait "$gen" 2>/dev/null || true
  if [ "${PROFILE:-0}" = 1 ] && [ -s "$WORK/perf.data" ]; then
    perf report -i "$WORK/perf.data" --no-children --sort dso,symbol -g none --stdio 2>/dev/null \
      | grep -v '^#' | grep '%' | head -60 >"$WORK/perf-top-$SWNAME.txt" || true
    perf report -i "$WORK/perf.data" --no-children --sort dso -g none --stdio 2>/dev/null \
      | grep -v '^#' | grep '%' | head -12 >"$WORK/perf-dso-$SWNAME.txt" || true
    sed 's/^/    /' "$WORK/perf-dso-$SWNAME.txt"
    sed 's/^/    /' "$WORK/perf-top-$SWNAME.txt"
  fi
}

RTT_COUNT=$WORK/rtt-count
rtt_units() { cat "$RTT_COUNT" 2>/dev/null || echo 0; }
pingpong() {  # sockperf ping-pong; units = round trips (the h2 rx packet count: one request per round trip)
  local port=$((11111 + RANDOM % 1000))
  ip netns exec "$H2" timeout $((RTT_DURATION + 20)) sockperf server -i 198.18.0.2 -p "$port" >/dev/null 2>&1 &
  local srv=$!
  sleep 1
  ip netns exec "$H1" timeout $((RTT_DURATION + 10)) sockperf ping-pong -i 198.18.0.2 -p "$port" -t $((RTT_DURATION + 2)) \
    --full-rtt >"$WORK/sockperf.out" 2>&1 &
  local cli=$!
  sleep 1
  measure rtt rx_of "$RTT_DURATION"
  wait "$cli" 2>/dev/null || true
  kill -TERM "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true
  printf '%s\trtt\tp50_us=%s\tp99_us=%s\n' "$SWNAME" "$(awk '/percentile 50.000 =/ { print $NF }' "$WORK/sockperf.out")" \
    "$(awk '/percentile 99.000 =/ { print $NF }' "$WORK/sockperf.out")"
}

sched_trace() {  # machine-wide sched_switch / sched_wakeup / syscall entries for SCHED_SECONDS, summed per task per unit
  local u0 u1
  u0=$(rx_of)
  perf record -a -e sched:sched_switch -e sched:sched_wakeup -e raw_syscalls:sys_enter -o "$WORK/sched-$SWNAME.data" \
    -- sleep "${SCHED_SECONDS:-2}" >/dev/null 2>&1 || true
  u1=$(rx_of)
  local senders receivers
  senders=$(ip netns pids "$H1" | tr '\n' ' ') receivers=$(ip netns pids "$H2" | tr '\n' ' ')   # iperf3 client / server
  perf script -i "$WORK/sched-$SWNAME.data" -F comm,tid,cpu,event,trace 2>/dev/null | python3 -c '
import collections, re, sys
units = max(1, int(sys.argv[2]) - int(sys.argv[1]))
sysc, vol, inv, woken, cpus, by, wakers = (collections.Counter() for _ in range(7))
senders, receivers = set(sys.argv[3].split()), set(sys.argv[4].split())
def key(comm, pid):
    role = "-snd" if pid in senders else "-rcv" if pid in receivers else ""
    return f"{comm}{role}/{pid}"
for line in sys.stdin:
    m = re.match(r"\s*(.+?)\s+(\d+)\s+\[(\d+)\]\s+(\S+):\s*(.*)", line)
    if not m:
        continue
    me, cpu, ev, tr = key(m.group(1), m.group(2)), m.group(3), m.group(4), m.group(5)
    if ev.endswith("sys_enter"):
        sysc[me] += 1
        cpus[(me, cpu)] += 1
    elif ev.endswith("sched_switch"):
        sw = re.search(r"prev_comm=(.+?) prev_pid=(\d+) .*prev_state=(\S+) ==> next_comm=(.+?) next_pid=(\d+)", tr)
        if sw:
            prev = key(sw.group(1), sw.group(2))
            if sw.group(3).startswith("R"):
                inv[prev] += 1
                by[(prev, key(sw.group(4), sw.group(5)).split("/")[0])] += 1
            else:
                vol[prev] += 1
    elif ev.endswith("sched_wakeup"):
        t = re.search(r"comm=(.+?) pid=(\d+)", tr)
        if t:
            woken[key(t.group(1), t.group(2))] += 1
            wakers[(key(t.group(1), t.group(2)), me.split("/")[0])] += 1
print(f"    sched trace: {units} units; per unit, by task (comm/tid):")
for t in sorted(set(sysc) | set(vol) | set(inv) | set(woken), key=lambda c: -(sysc[c] + vol[c] + inv[c])):
    if sysc[t] + vol[t] + inv[t] + woken[t] < units / 50 or t.startswith("perf/"):
        continue
    where = " ".join(f"cpu{c}={n / max(1, sysc[t]):.0%}" for (k, c), n in sorted(cpus.items()) if k == t)
    pre = ",".join(f"{n}:{c / units:.2f}" for (k, n), c in by.most_common() if k == t and c >= units / 100)
    wak = ",".join(f"{n}:{c / units:.2f}" for (k, n), c in wakers.most_common() if k == t and c >= units / 100)
    print(f"    {t:22s} syscalls={sysc[t] / units:5.2f} asleep={vol[t] / units:4.2f} preempted={inv[t] / units:4.2f} [{pre}]"
          f" woken={woken[t] / units:4.2f} [by {wak}] on {where}")
' "$u0" "$u1" "$senders" "$receivers" | tee "$WORK/sched-$SWNAME.txt"
}

tcp() {  # iperf3 one stream (STREAMS, default 1) for DURATION + 2 s; units = frames h2 received (super-frames)
  local port=$((5201 + RANDOM % 1000)) streams=${STREAMS:-1}
  local extra=0; [ "${PROFILE:-0}" = 1 ] && extra=$((PROFILE_SECONDS + 1))
  [ "${SCHED:-0}" = 1 ] && extra=$((extra + ${SCHED_SECONDS:-2} + 2))
  ip netns exec "$H2" timeout $((DURATION + 20 + extra)) iperf3 -s -1 -B 198.18.0.2 -p "$port" >/dev/null 2>&1 &
  local srv=$!
  sleep 0.5
  ip netns exec "$H1" timeout $((DURATION + 15 + extra)) iperf3 -c 198.18.0.2 -p "$port" -P "$streams" \
    -t $((DURATION + 2 + extra)) -J >"$WORK/iperf3-$SWNAME.json" 2>&1 &
  local cli=$!
  sleep 1
  measure "tcp$streams" rx_of "$DURATION"
  if [ "${SCHED:-0}" = 1 ]; then sched_trace; fi
  if [ "${PROFILE:-0}" = 1 ]; then   # machine-wide: the hosts' stacks and iperf3 share the 2 CPUs with the switch
    perf record -a -e cpu-clock -F 999 -g -o "$WORK/perf-tcp-$SWNAME.data" -- sleep "$PROFILE_SECONDS" >/dev/null 2>&1 || true
  fi
  wait "$cli" 2>/dev/null || true
  kill -TERM "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true
  printf '%s\ttcp%s\tGbit/s=%s\n' "$SWNAME" "$streams" "$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]/1e9, 2))' "$WORK/iperf3-$SWNAME.json" 2>/dev/null || echo n/a)"
  if [ "${PROFILE:-0}" = 1 ] && [ -s "$WORK/perf-tcp-$SWNAME.data" ]; then
    perf report -i "$WORK/perf-tcp-$SWNAME.data" --no-children --sort comm -g none --stdio 2>/dev/null \
      | grep -v '^#' | grep '%' | head -12 >"$WORK/perf-tcp-comm-$SWNAME.txt" || true
    perf report -i "$WORK/perf-tcp-$SWNAME.data" --no-children --sort comm,dso,symbol -g none --stdio 2>/dev/null \
      | grep -v '^#' | grep '%' | head -70 >"$WORK/perf-tcp-top-$SWNAME.txt" || true
    sed 's/^/    /' "$WORK/perf-tcp-comm-$SWNAME.txt" "$WORK/perf-tcp-top-$SWNAME.txt"
  fi
}

echo "# tapcost: $(date -u '+%F %T UTC'), load $(cut -d' ' -f1-3 /proc/loadavg), $(git -C "$ROOT" describe --always --dirty)"
for SWNAME in "$@"; do
  setup "$SWNAME"
  case ${ONLY:-} in
    flood) flood ;;
    rtt) pingpong ;;
    tcp) tcp ;;
    *) flood; pingpong ;;
  esac
  teardown
done
echo "# end: $(date -u '+%T UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
