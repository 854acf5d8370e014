#!/usr/bin/env bash
# FastBridge side by side with its peers (Linux bridge, Open vSwitch, vde_switch, native/tapfwd) over TAP devices.
#
# For each switch: two hosts in network namespaces (198.18.0.1 and .2, MACs 02:00:00:00:00:01/02); the switch
# process runs in a third namespace and creates its two TAPs there; each TAP's kernel side is then moved into a host
# namespace (the process keeps its fd). The Linux bridge is the exception: a bridge with two veth pairs (libvirt
# style) in the third namespace. Measured, one test at a time (2 cores: never concurrently):
#   - 64 B and 1518 B frames: trafgen in h1 for DURATION s to h2's MAC (learned first by a ping);
#     offered = h1 tx_packets + tx_dropped delta, delivered = h2 rx_packets delta
#   - TCP: iperf3, 1 and 4 streams, DURATION s
#   - RTT: sockperf ping-pong --full-rtt, p50 and p99 (ping -c 1000 -i 0.001 if sockperf is missing)
#   - switch CPU: utime+stime of the switch process per million frames delivered in the 64 B / 1518 B tests
# Repetitions are interleaved (rep 1 of every switch, then rep 2, ...); the report gives medians with min..max.
#
# Usage (root): perf/compare.sh            REPS=3 DURATION=10 (about 20 minutes)
#               QUICK=1 perf/compare.sh    REPS=1 DURATION=3  (about 4 minutes)
#               perf/compare.sh SECTION    one port kind's section, perf/compare.d/SECTION.sh (ls perf/compare.d);
#                                          without SECTION: the TAP section below
# Environment: REPS, DURATION (s per load), RTT_DURATION (s, default min(DURATION,5)),
#              SWITCHES (space separated subset of: fastbridge fastbridge-w1 kernel ovs ovs-tso vde tapfwd tapfwd-vnet;
#              tapfwd-vnet is the C floor with FastBridge's virtio-net header and offloads),
#              OUT (report path, default perf/RESULTS.md), KEEP_RAW=1 (keep the raw TSV and the run's metadata next to the report;
#              `perf/report.py RAW META OUT` rebuilds the report from them).
# Creates only namespaces, devices, processes and files with a random suffix, uses 198.18.0.0/15 only, and removes
# everything it created on exit (also on Ctrl-C or an error); it kills only processes it started.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ $# -gt 0 ] && [ "$1" != tap ]; then
  section=$ROOT/perf/compare.d/$1.sh
  [ -f "$section" ] || { echo "compare.sh: no section '$1' (have: tap $(cd "$ROOT/perf/compare.d" && ls -- *.sh 2>/dev/null | sed 's/\.sh$//' | tr '\n' ' '))" >&2; exit 2; }
  shift
  exec bash "$section" "$@"
fi
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
  REPS=${REPS:-1}
  DURATION=${DURATION:-3}
else
  REPS=${REPS:-3}
  DURATION=${DURATION:-10}
fi
RTT_DURATION=${RTT_DURATION:-$((DURATION < 5 ? DURATION : 5))}
SWITCHES=${SWITCHES:-"fastbridge fastbridge-w1 kernel ovs ovs-tso vde tapfwd tapfwd-vnet"}
OUT=${OUT:-$ROOT/perf/RESULTS.md}

[ "$(id -u)" = 0 ] || { echo "compare.sh: must run as root (namespaces, TAP devices)" >&2; exit 1; }

SUF=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
NS_H1=fbc-h1-$SUF
NS_H2=fbc-h2-$SUF
NS_SW=fbc-sw-$SUF
IF1=fbc1$SUF    # the interface h1 sends on (TAP kernel side or veth), <= 15 chars
IF2=fbc2$SUF
WORK=$(mktemp -d "/tmp/fbcompare-$SUF.XXXX")
RAW=$WORK/raw.tsv
LOG=$WORK/log
: >"$RAW"
: >"$LOG"
declare -a STARTED=()       # PIDs of processes this script started (and only those get killed)
CREATED_POLICY_RC=0         # whether this script created /usr/sbin/policy-rc.d (to keep apt from starting services)

say() { printf '[%s] %s\n' "$(date +%T)" "$*" | tee -a "$LOG" >&2; }

stop_pid() {  # stop_pid PID: TERM, wait up to 5 s, then KILL; only for PIDs in STARTED
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

stop_started() {
  local pid
  for pid in "${STARTED[@]}"; do
    stop_pid "$pid"
  done
  STARTED=()
}

forget_pid() {  # forget_pid PID: a started process that has ended (and was reaped) is no longer ours to kill
  local keep=() pid
  for pid in "${STARTED[@]}"; do [ "$pid" = "$1" ] || keep+=("$pid"); done
  STARTED=("${keep[@]}")
}

del_namespaces() {
  local ns
  for ns in "$NS_H1" "$NS_H2" "$NS_SW"; do
    ip netns del "$ns" 2>/dev/null || true
  done
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_started
  del_namespaces
  if [ "$CREATED_POLICY_RC" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
  if [ "${KEEP_RAW:-0}" = 1 ] && [ -s "$RAW" ]; then cp "$RAW" "${OUT%.md}.raw.tsv"; fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------------------------
# Tools: install the peers from apt when missing; a peer that cannot be installed is reported and skipped.
declare -A HAVE=()
install_pkg() {  # install_pkg PACKAGE COMMAND
  local pkg=$1 cmd=$2
  if command -v "$cmd" >/dev/null 2>&1; then HAVE[$cmd]=1; return 0; fi
  say "installing $pkg (for $cmd)"
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && CREATED_POLICY_RC=1
  fi
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq >>"$LOG" 2>&1 || true; APT_UPDATED=1; fi
  if DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq "$pkg" >>"$LOG" 2>&1 \
     && command -v "$cmd" >/dev/null 2>&1; then
    HAVE[$cmd]=1
  else
    say "NOT AVAILABLE: $pkg could not be installed; what needs $cmd is skipped"
    HAVE[$cmd]=0
  fi
}
install_pkg iproute2 ip
install_pkg iputils-ping ping
install_pkg netsniff-ng trafgen
install_pkg iperf3 iperf3
install_pkg sockperf sockperf
install_pkg openvswitch-switch ovs-vswitchd
install_pkg vde2 vde_switch
install_pkg gcc gcc
install_pkg python3 python3
if [ "$CREATED_POLICY_RC" = 1 ]; then rm -f /usr/sbin/policy-rc.d; CREATED_POLICY_RC=0; fi
[ "${HAVE[python3]}" = 1 ] || { echo "compare.sh: python3 is needed for the report" >&2; exit 1; }

# FastBridge, Release, built first; the C floor, gcc -O2.
FASTBRIDGE=$ROOT/src/FastBridge.Cli/bin/Release/net10.0/fastbridge
say "building FastBridge (Release)"
dotnet build "$ROOT/src/FastBridge.Cli" -c Release -nologo -clp:ErrorsOnly >>"$LOG" 2>&1 \
  || { echo "compare.sh: FastBridge build failed (see above)" >&2; tail -20 "$LOG" >&2; exit 1; }
TAPFWD=$ROOT/native/build/tapfwd
if [ "${HAVE[gcc]}" = 1 ]; then
  mkdir -p "$ROOT/native/build"
  gcc -O2 -Wall -Wextra -o "$TAPFWD" "$ROOT/native/tapfwd.c"
fi

available() {  # available SWITCH: whether its tools are here
  case $1 in
    fastbridge|fastbridge-w1|kernel) return 0 ;;
    ovs|ovs-tso) [ "${HAVE[ovs-vswitchd]}" = 1 ] ;;
    vde) [ "${HAVE[vde_switch]}" = 1 ] ;;
    tapfwd|tapfwd-vnet) [ -x "$TAPFWD" ] ;;
    *) echo "compare.sh: unknown switch '$1'" >&2; exit 2 ;;
  esac
}

# ---------------------------------------------------------------------------------------------------------------
# Topology
ns() { local n=$1; shift; ip netns exec "$n" "$@"; }

make_namespaces() {
  local n
  for n in "$NS_H1" "$NS_H2" "$NS_SW"; do
    ip netns add "$n"
    ip -n "$n" link set lo up
    ns "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done
}

wait_for_link() {  # wait_for_link NS IF: up to 30 s for a device to appear
  local i
  for i in $(seq 300); do
    ip -n "$1" link show "$2" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "compare.sh: $2 did not appear in namespace $1" >&2
  return 1
}

host_side() {  # host_side HOSTNS IF MAC ADDR
  ip -n "$1" link set dev "$2" address "$3"
  ip -n "$1" addr add "$4/24" dev "$2"
  ip -n "$1" link set dev "$2" up
}

move_taps() {  # the switch created IF1 and IF2 in NS_SW: hand each kernel side to its host
  wait_for_link "$NS_SW" "$IF1"
  wait_for_link "$NS_SW" "$IF2"
  ip -n "$NS_SW" link set "$IF1" netns "$NS_H1"
  ip -n "$NS_SW" link set "$IF2" netns "$NS_H2"
  host_side "$NS_H1" "$IF1" 02:00:00:00:00:01 198.18.0.1
  host_side "$NS_H2" "$IF2" 02:00:00:00:00:02 198.18.0.2
}

SWITCH_PID=""   # the process whose CPU time is the switch's ("" for the kernel bridge)

start_bg() {  # start_bg LOGFILE NS CMD...: runs CMD in NS in the background; sets BG_PID
  local logf=$1 n=$2
  shift 2
  ip netns exec "$n" "$@" >"$logf" 2>&1 </dev/null &
  BG_PID=$!
  STARTED+=("$BG_PID")
}

pid_from_file() {  # pid_from_file FILE: waits up to 10 s for a daemon's pidfile; sets PID_READ, records it as started
  local i
  for i in $(seq 100); do
    if [ -s "$1" ]; then
      PID_READ=$(tr -d ' \n' <"$1")
      STARTED+=("$PID_READ")
      return 0
    fi
    sleep 0.1
  done
  echo "compare.sh: no pidfile $1" >&2
  return 1
}

ovs_start() {  # ovs_start TSO(0|1)
  local d=$WORK/ovs
  rm -rf "$d"
  mkdir -p "$d"
  export OVS_RUNDIR=$d OVS_LOGDIR=$d OVS_DBDIR=$d OVS_SYSCONFDIR=$d OVS_PKGDATADIR=/usr/share/openvswitch
  ovsdb-tool create "$d/conf.db" /usr/share/openvswitch/vswitch.ovsschema
  ns "$NS_SW" ovsdb-server "$d/conf.db" --remote="punix:$d/db.sock" --unixctl="$d/ovsdb.ctl" \
    --pidfile="$d/ovsdb.pid" --log-file="$d/ovsdb.log" --detach --no-chdir >>"$LOG" 2>&1
  pid_from_file "$d/ovsdb.pid"
  local vsctl=(ovs-vsctl --db="unix:$d/db.sock" --timeout=20)
  "${vsctl[@]}" --no-wait init >>"$LOG" 2>&1
  if [ "$1" = 1 ]; then
    "${vsctl[@]}" --no-wait set Open_vSwitch . other_config:userspace-tso-enable=true
  fi
  ns "$NS_SW" ovs-vswitchd "unix:$d/db.sock" --unixctl="$d/vswitchd.ctl" --pidfile="$d/vswitchd.pid" \
    --log-file="$d/vswitchd.log" --detach --no-chdir >>"$LOG" 2>&1
  pid_from_file "$d/vswitchd.pid"
  SWITCH_PID=$PID_READ
  "${vsctl[@]}" add-br "br$SUF" -- set bridge "br$SUF" datapath_type=netdev
  "${vsctl[@]}" add-port "br$SUF" "$IF1" -- set interface "$IF1" type=tap
  "${vsctl[@]}" add-port "br$SUF" "$IF2" -- set interface "$IF2" type=tap
  move_taps
}

setup_switch() {  # setup_switch NAME: namespaces, the switch, hosts wired to it
  make_namespaces
  SWITCH_PID=""
  case $1 in
    fastbridge|fastbridge-w1)
      local workers=2
      [ "$1" = fastbridge-w1 ] && workers=1
      start_bg "$WORK/fastbridge.log" "$NS_SW" "$FASTBRIDGE" run --tap "$IF1" --tap "$IF2" --workers "$workers" --name "fb$SUF"
      SWITCH_PID=$BG_PID
      move_taps
      ;;
    tapfwd|tapfwd-vnet)
      local vnet=()
      [ "$1" = tapfwd-vnet ] && vnet=(--vnet-hdr)
      start_bg "$WORK/tapfwd.log" "$NS_SW" "$TAPFWD" "${vnet[@]}" "$IF1" "$IF2"
      SWITCH_PID=$BG_PID
      move_taps
      ;;
    vde)
      ns "$NS_SW" vde_switch -t "$IF1" -t "$IF2" -s "$WORK/vde.ctl" -d -p "$WORK/vde.pid"
      pid_from_file "$WORK/vde.pid"
      SWITCH_PID=$PID_READ
      move_taps
      ;;
    ovs) ovs_start 0 ;;
    ovs-tso) ovs_start 1 ;;
    kernel)
      local br=br$SUF
      ip -n "$NS_SW" link add "$br" type bridge
      ip -n "$NS_SW" link set "$br" up
      ip -n "$NS_SW" link add "p1$SUF" type veth peer name "$IF1" netns "$NS_H1"
      ip -n "$NS_SW" link add "p2$SUF" type veth peer name "$IF2" netns "$NS_H2"
      ip -n "$NS_SW" link set "p1$SUF" master "$br" up
      ip -n "$NS_SW" link set "p2$SUF" master "$br" up
      host_side "$NS_H1" "$IF1" 02:00:00:00:00:01 198.18.0.1
      host_side "$NS_H2" "$IF2" 02:00:00:00:00:02 198.18.0.2
      ;;
  esac
  # Both stations learned (and ARP resolved) before any load; a switch that cannot pass this is reported.
  local i
  for i in $(seq 20); do
    ns "$NS_H1" ping -c 1 -W 1 198.18.0.2 >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  say "$1: h1 cannot ping h2; skipping this repetition"
  return 1
}

teardown_switch() {
  stop_started
  del_namespaces
  unset OVS_RUNDIR OVS_LOGDIR OVS_DBDIR OVS_SYSCONFDIR OVS_PKGDATADIR
  sleep 1
}

# ---------------------------------------------------------------------------------------------------------------
# Measurements
record() { printf '%s\t%s\t%s\t%s\n' "$REP" "$SW" "$1" "$2" >>"$RAW"; }

stat_of() { ns "$1" cat "/sys/class/net/$2/statistics/$3"; }

cpu_ticks() {  # utime+stime of SWITCH_PID in clock ticks (all threads)
  if [ -n "$SWITCH_PID" ] && [ -r "/proc/$SWITCH_PID/stat" ]; then
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$SWITCH_PID/stat"
  else
    echo 0
  fi
}

trafgen_conf() {  # trafgen_conf LENGTH (frame length with FCS, as frame sizes are quoted): an IPv4/UDP frame h1 -> h2:9
  local len=$(($1 - 4)) ip_len=$(($1 - 4 - 14)) udp_len=$(($1 - 4 - 34))
  cat <<EOF
{
  0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
  0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
  0x08, 0x00,
  0x45, 0x00, const16($ip_len), 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, csumip(14, 33),
  198, 18, 0, 1,
  198, 18, 0, 2,
  const16(9), const16(9), const16($udp_len), 0x00, 0x00,
  fill(0x00, $((len - 42)))
}
EOF
}

measure_frames() {  # measure_frames SIZE
  local size=$1 conf=$WORK/trafgen-$1.cfg
  trafgen_conf "$size" >"$conf"
  ns "$NS_H1" ping -c 2 -i 0.2 -W 1 198.18.0.2 >/dev/null 2>&1 || true   # (re)learn both MACs
  local tx0 dr0 rx0 c0 tx1 dr1 rx1 c1
  tx0=$(stat_of "$NS_H1" "$IF1" tx_packets); dr0=$(stat_of "$NS_H1" "$IF1" tx_dropped)
  rx0=$(stat_of "$NS_H2" "$IF2" rx_packets); c0=$(cpu_ticks)
  ns "$NS_H1" timeout --signal=INT --kill-after=5 "$DURATION" \
    trafgen -o "$IF1" -i "$conf" -P 1 --no-sock-mem -Q >>"$LOG" 2>&1 || true
  sleep 0.5   # let the switch drain what was queued
  tx1=$(stat_of "$NS_H1" "$IF1" tx_packets); dr1=$(stat_of "$NS_H1" "$IF1" tx_dropped)
  rx1=$(stat_of "$NS_H2" "$IF2" rx_packets); c1=$(cpu_ticks)
  local offered=$(((tx1 - tx0) + (dr1 - dr0))) delivered=$((rx1 - rx0))
  local hz
  hz=$(getconf CLK_TCK)
  python3 - "$offered" "$delivered" "$DURATION" "$((c1 - c0))" "$hz" "$SWITCH_PID" >"$WORK/m" <<'PY'
import sys
offered, delivered, dur, ticks, hz, pid = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
print(f"offered_kpps {offered / dur / 1e3:.1f}")
print(f"delivered_kpps {delivered / dur / 1e3:.1f}")
print(f"loss_pct {max(0.0, 100.0 * (offered - delivered) / offered) if offered else 0:.2f}")
print(f"cpu_s_per_mframe {ticks / hz / (delivered / 1e6):.3f}" if pid and delivered else "cpu_s_per_mframe n/a")
PY
  local k v
  while read -r k v; do record "${k}_$size" "$v"; done <"$WORK/m"
  say "  $SW ${size}B: $(tr '\n' ' ' <"$WORK/m")"
}

measure_tcp() {  # measure_tcp STREAMS
  local port=$((5201 + RANDOM % 1000))
  start_bg "$WORK/iperf3-server.log" "$NS_H2" timeout $((DURATION + 30)) iperf3 -s -1 -B 198.18.0.2 -p "$port"
  local server=$BG_PID i
  for i in $(seq 50); do
    ns "$NS_H2" ss -ltn 2>/dev/null | grep -q ":$port " && break
    sleep 0.1
  done
  local gbps=n/a
  if ns "$NS_H1" timeout $((DURATION + 20)) iperf3 -c 198.18.0.2 -p "$port" -t "$DURATION" -P "$1" -J >"$WORK/iperf.json" 2>>"$LOG"; then
    gbps=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]; print(f"{r/1e9:.2f}")' "$WORK/iperf.json")
  fi
  wait "$server" 2>/dev/null || true
  forget_pid "$server"
  record "tcp${1}_gbps" "$gbps"
  say "  $SW TCP x$1: $gbps Gbit/s"
}

measure_rtt() {
  local p50=n/a p99=n/a
  if [ "${HAVE[sockperf]}" = 1 ]; then
    local port=$((11111 + RANDOM % 1000))
    start_bg "$WORK/sockperf-server.log" "$NS_H2" timeout $((RTT_DURATION + 30)) sockperf server -i 198.18.0.2 -p "$port"
    local server=$BG_PID
    sleep 1
    if ns "$NS_H1" timeout $((RTT_DURATION + 20)) sockperf ping-pong -i 198.18.0.2 -p "$port" -t "$RTT_DURATION" --full-rtt \
        >"$WORK/sockperf.out" 2>&1; then
      p50=$(awk '/percentile 50.000 =/ { print $NF }' "$WORK/sockperf.out")
      p99=$(awk '/percentile 99.000 =/ { print $NF }' "$WORK/sockperf.out")
    fi
    stop_pid "$server"
    wait "$server" 2>/dev/null || true
    forget_pid "$server"
  else
    if ns "$NS_H1" timeout 60 ping -q -c 1000 -i 0.001 198.18.0.2 >/dev/null 2>&1; then
      ns "$NS_H1" timeout 60 ping -c 1000 -i 0.001 198.18.0.2 2>/dev/null \
        | awk -F'time=' '/time=/ { split($2, a, " "); print a[1] * 1000 }' | sort -n >"$WORK/ping.txt"
      p50=$(awk '{ v[NR] = $1 } END { print v[int(NR * 0.50)] }' "$WORK/ping.txt")
      p99=$(awk '{ v[NR] = $1 } END { print v[int(NR * 0.99)] }' "$WORK/ping.txt")
    fi
  fi
  record rtt_p50_us "${p50:-n/a}"
  record rtt_p99_us "${p99:-n/a}"
  say "  $SW RTT p50/p99: ${p50:-n/a} / ${p99:-n/a} us"
}

# ---------------------------------------------------------------------------------------------------------------
# Run
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED_AT=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
T0=$SECONDS
say "compare: REPS=$REPS DURATION=$DURATION RTT_DURATION=$RTT_DURATION switches: $SWITCHES (load $LOAD_BEFORE)"
for REP in $(seq "$REPS"); do
  for SW in $SWITCHES; do
    if ! available "$SW"; then
      say "skipping $SW: not installed"
      continue
    fi
    say "rep $REP/$REPS: $SW"
    if setup_switch "$SW"; then
      record load1 "$(cut -d' ' -f1 /proc/loadavg)"
      if [ "${HAVE[trafgen]}" = 1 ]; then measure_frames 64; measure_frames 1518; fi
      if [ "${HAVE[iperf3]}" = 1 ]; then measure_tcp 1; measure_tcp 4; fi
      measure_rtt
      if [ -n "$SWITCH_PID" ] && ! kill -0 "$SWITCH_PID" 2>/dev/null; then
        say "$SW: the switch process $SWITCH_PID died during the tests"
        record died 1
      fi
    fi
    teardown_switch
    case $SW in fastbridge*) cp "$WORK/fastbridge.log" "$WORK/fastbridge-$SW-$REP.log" 2>/dev/null || true ;; esac
  done
done
ELAPSED=$((SECONDS - T0))
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------------------------------------------
# Report
version_of() {
  case $1 in
    fastbridge) git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown ;;
    dotnet) dotnet --version 2>/dev/null ;;
    kernel) uname -r ;;
    ovs) ovs-vswitchd --version 2>/dev/null | head -1 ;;
    vde) vde_switch -v 2>/dev/null | head -1 ;;
    gcc) gcc --version 2>/dev/null | head -1 ;;
    trafgen) trafgen -v 2>/dev/null | head -1 ;;
    iperf3) iperf3 -v 2>/dev/null | head -1 ;;
    sockperf) sockperf -v 2>/dev/null | grep -i version | head -1 ;;
  esac
}
{
  echo "cpu=$(lscpu | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2; exit }')"
  echo "cores=$(nproc)"
  echo "kernel=$(uname -r)"
  echo "memory=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  for t in fastbridge dotnet ovs vde gcc trafgen iperf3 sockperf; do echo "v_$t=$(version_of $t)"; done
  echo "reps=$REPS"
  echo "duration=$DURATION"
  echo "rtt_duration=$RTT_DURATION"
  echo "switches=$SWITCHES"
  echo "started=$STARTED_AT"
  echo "elapsed=$ELAPSED"
  echo "load_before=$LOAD_BEFORE"
  echo "load_after=$LOAD_AFTER"
  echo "quick=$QUICK"
} >"$WORK/meta"
if [ "${KEEP_RAW:-0}" = 1 ]; then cp "$WORK/meta" "${OUT%.md}.meta"; fi
python3 "$ROOT/perf/report.py" "$RAW" "$WORK/meta" "$OUT"
say "wrote $OUT (${ELAPSED}s)"
# FastBridge's own logs: anything alarming, and whether each run stopped cleanly on SIGTERM.
for f in "$WORK"/fastbridge-*.log; do
  [ -e "$f" ] || continue
  grep -h -i -E 'unhandled|exception|fatal|fail' "$f" | head -5 >&2 || true
  grep -q 'stopped' "$f" || say "$(basename "$f"): no clean stop logged"
done
