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
#              LOADS (subset of "frames tcp rtt", spaces or commas, default all three; an unknown name is an error),
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
SWITCHES=${SWITCHES:-"fastbridge fastbridge-w1 kernel ovs ovs-tso vde tapfwd tapfwd-vnet"}
OUT=${OUT:-$ROOT/perf/RESULTS.md}

[ "$(id -u)" = 0 ] || { echo "compare.sh: must run as root (namespaces, TAP devices)" >&2; exit 1; }
# shellcheck source=compare.d/lib.sh
. "$ROOT/perf/compare.d/lib.sh"
lib_init fbcompare

# Tools: the peers from apt when missing (a peer that cannot be installed is reported and skipped); FastBridge,
# Release, built first; the C floor, gcc -O2.
install_loads
install_pkg openvswitch-switch ovs-vswitchd
install_pkg vde2 vde_switch
install_pkg gcc gcc
install_done
build_fastbridge
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
# Topology: the switch creates the TAPs in NS_SW and keeps their fds; their kernel sides move to the hosts.
move_taps() {
  wait_for_link "$NS_SW" "$IF1"
  wait_for_link "$NS_SW" "$IF2"
  ip -n "$NS_SW" link set "$IF1" netns "$NS_H1"
  ip -n "$NS_SW" link set "$IF2" netns "$NS_H2"
  hosts_up
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
    ovs|ovs-tso)
      local tso=0
      [ "$1" = ovs-tso ] && tso=1
      ovs_userspace_start "$tso"
      "${OVS_VSCTL[@]}" add-port "br$SUF" "$IF1" -- set interface "$IF1" type=tap
      "${OVS_VSCTL[@]}" add-port "br$SUF" "$IF2" -- set interface "$IF2" type=tap
      move_taps
      ;;
    kernel)
      local br=br$SUF
      ip -n "$NS_SW" link add "$br" type bridge
      ip -n "$NS_SW" link set "$br" up
      ip -n "$NS_SW" link add "p1$SUF" type veth peer name "$IF1" netns "$NS_H1"
      ip -n "$NS_SW" link add "p2$SUF" type veth peer name "$IF2" netns "$NS_H2"
      ip -n "$NS_SW" link set "p1$SUF" master "$br" up
      ip -n "$NS_SW" link set "p2$SUF" master "$br" up
      hosts_up
      ;;
  esac
  hosts_reach "$1"
}

# ---------------------------------------------------------------------------------------------------------------
# Run and report
run_interleaved
write_meta fastbridge dotnet ovs vde gcc trafgen iperf3 sockperf
python3 "$ROOT/perf/report.py" "$RAW" "$WORK/meta" "$OUT"
say "wrote $OUT (${ELAPSED}s)"
check_fastbridge_logs
