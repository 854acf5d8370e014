#!/usr/bin/env bash
# The VXLAN section of the peer comparison (perf/compare.sh vxlan, issue 13 "Speed"): two "hosts" joined by a veth
# underlay (198.18.1.1 on side A, 198.18.1.2 on side B, MTU 1600 so 1500-byte inner packets fit), VNI 42, one end
# host each side (h1 198.18.0.1 behind side A, h2 198.18.0.2 behind side B), the same switch kind on both sides:
#   - fastbridge: `fastbridge run --tap IF --vxlan vx0:vni=42,local=A,remote=B --workers 1` on each side; the TAP's
#     kernel side moves into the end host's namespace
#   - kernel: the kernel's `vxlan` device in a kernel bridge, a veth to the end host
#   - ovs: Open vSwitch's userspace datapath (datapath_type=netdev) on each side: bridge brN with the end host's veth
#     (a `system` port) and a `type=vxlan` port; the underlay veth is a port of a second netdev bridge whose internal
#     port holds the underlay address (OVS native tunnelling), with `ovs/route/add` and `tnl/arp/set` for the peer
# The end hosts' veth ends send complete frames (ethtool -K tx off), as in netdev.sh. Measured with lib.sh's loads:
# 64 B and 1518 B frames (trafgen), TCP (iperf3, 1 and 4 streams), RTT (sockperf); interleaved repetitions. Two
# switch processes run per case; the CPU figure is side A's process only (SWITCH_PID), the encapsulating side.
#
# Usage (root): perf/compare.sh vxlan          REPS=3 DURATION=10
#               QUICK=1 perf/compare.sh vxlan  REPS=1 DURATION=3
# Environment: REPS, DURATION, RTT_DURATION, SWITCHES (subset of: fastbridge kernel ovs), OUT (the report file whose
#              "vxlan" section is replaced, default perf/RESULTS.md).
# Creates only namespaces, devices, processes and files with a random suffix, uses 198.18.0.0/15 only, removes all it
# created on exit; kills only processes it started.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SWITCHES=${SWITCHES:-"fastbridge kernel ovs"}
OUT=${OUT:-$ROOT/perf/RESULTS.md}

[ "$(id -u)" = 0 ] || { echo "vxlan.sh: must run as root (namespaces, veths, TAPs)" >&2; exit 1; }
# shellcheck source=lib.sh
. "$ROOT/perf/compare.d/lib.sh"
lib_init fbvxlan
RAW_KEEP=${OUT%.md}.vxlan.raw.tsv
NS_SA=$NS_SW            # side A's "host" (its switch runs here)
NS_SB=fbc-sb-$SUF       # side B's "host"
UL_A=198.18.1.1
UL_B=198.18.1.2
VNI=42

install_loads
install_pkg openvswitch-switch ovs-vswitchd
install_pkg ethtool ethtool
install_done
build_fastbridge

available() {  # available SWITCH: whether its tools are here
  case $1 in
    fastbridge|kernel) return 0 ;;
    ovs) [ "${HAVE[ovs-vswitchd]}" = 1 ] ;;
    *) echo "vxlan.sh: unknown switch '$1'" >&2; exit 2 ;;
  esac
}

section_cleanup() { ip netns del "$NS_SB" 2>/dev/null || true; }

teardown_switch() {  # lib.sh's, plus side B's namespace
  stop_started
  del_namespaces
  section_cleanup
  sleep 1
}

# ---------------------------------------------------------------------------------------------------------------
# Topology
make_underlay() {  # both sides' namespaces and the veth underlay between them (uA in side A, uB in side B)
  ip netns add "$NS_SB"
  ip -n "$NS_SB" link set lo up
  ns "$NS_SB" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$NS_SA" link add "uA$SUF" mtu 1600 type veth peer name "uB$SUF" mtu 1600 netns "$NS_SB"
  ip -n "$NS_SA" link set "uA$SUF" up
  ip -n "$NS_SB" link set "uB$SUF" up
}

underlay_addresses() {  # the underlay addresses on the veth ends themselves (FastBridge, kernel)
  ip -n "$NS_SA" addr add "$UL_A/24" dev "uA$SUF"
  ip -n "$NS_SB" addr add "$UL_B/24" dev "uB$SUF"
}

host_veths() {  # a veth per end host: IFn in host n (complete frames only), hnSUF in its side's namespace
  ip -n "$NS_SA" link add "h1$SUF" type veth peer name "$IF1" netns "$NS_H1"
  ip -n "$NS_SB" link add "h2$SUF" type veth peer name "$IF2" netns "$NS_H2"
  ip -n "$NS_SA" link set "h1$SUF" up
  ip -n "$NS_SB" link set "h2$SUF" up
  ns "$NS_H1" ethtool -K "$IF1" tx off >/dev/null 2>&1
  ns "$NS_H2" ethtool -K "$IF2" tx off >/dev/null 2>&1
  hosts_up
}

ovs_side() {  # ovs_side NS DIR HOSTPORT UNDERLAYPORT LOCAL REMOTE ULMAC PEERMAC: one OVS userspace instance
  local n=$1 d=$2 hp=$3 up=$4 loc=$5 rem=$6 mac=$7 peer=$8
  rm -rf "$d" && mkdir -p "$d"  # a fresh db per repetition: a reused one still holds the last bridges
  ovsdb-tool create "$d/conf.db" /usr/share/openvswitch/vswitch.ovsschema
  OVS_RUNDIR=$d OVS_LOGDIR=$d OVS_DBDIR=$d OVS_SYSCONFDIR=$d ns "$n" ovsdb-server "$d/conf.db" \
    --remote="punix:$d/db.sock" --unixctl="$d/ovsdb.ctl" --pidfile="$d/ovsdb.pid" --log-file="$d/ovsdb.log" \
    --detach --no-chdir >>"$LOG" 2>&1
  pid_from_file "$d/ovsdb.pid"
  local vsctl=(ovs-vsctl --db="unix:$d/db.sock" --timeout=20)
  "${vsctl[@]}" --no-wait init >>"$LOG" 2>&1
  OVS_RUNDIR=$d OVS_LOGDIR=$d OVS_DBDIR=$d OVS_SYSCONFDIR=$d ns "$n" ovs-vswitchd "unix:$d/db.sock" \
    --unixctl="$d/vswitchd.ctl" --pidfile="$d/vswitchd.pid" --log-file="$d/vswitchd.log" --detach --no-chdir >>"$LOG" 2>&1
  pid_from_file "$d/vswitchd.pid"
  OVS_SIDE_PID=$PID_READ
  # The underlay bridge: the veth as a port, the underlay address on its internal port (a TAP in NS).
  "${vsctl[@]}" add-br "ul$SUF" -- set bridge "ul$SUF" datapath_type=netdev other-config:hwaddr="\"$mac\"" \
    -- add-port "ul$SUF" "$up"
  wait_for_link "$n" "ul$SUF"
  ip -n "$n" addr add "$loc/24" dev "ul$SUF"
  ip -n "$n" link set "ul$SUF" mtu 1600 up
  # The overlay bridge: the end host's veth and the tunnel.
  "${vsctl[@]}" add-br "br$SUF" -- set bridge "br$SUF" datapath_type=netdev \
    -- add-port "br$SUF" "$hp" \
    -- add-port "br$SUF" "vx$SUF" -- set interface "vx$SUF" type=vxlan \
       options:remote_ip="$rem" options:local_ip="$loc" options:key="$VNI" options:dst_port=4789
  local appctl=(ovs-appctl -t "$d/vswitchd.ctl")
  "${appctl[@]}" ovs/route/add "${loc%.*}.0/24" "ul$SUF" >>"$LOG" 2>&1 || true
  "${appctl[@]}" tnl/arp/set "ul$SUF" "$rem" "$peer" >>"$LOG" 2>&1 || true
}

setup_switch() {  # setup_switch NAME: both sides, the switch on each, end hosts wired to them
  make_namespaces
  SWITCH_PID=""
  make_underlay
  case $1 in
    fastbridge)
      underlay_addresses
      start_bg "$WORK/fastbridge.log" "$NS_SA" "$FASTBRIDGE" run --tap "$IF1" \
        --vxlan "vx0:vni=$VNI,local=$UL_A,remote=$UL_B" --workers 1 --name "fa$SUF" --control "$WORK/fa.sock"
      SWITCH_PID=$BG_PID
      start_bg "$WORK/fastbridge-b.log" "$NS_SB" "$FASTBRIDGE" run --tap "$IF2" \
        --vxlan "vx0:vni=$VNI,local=$UL_B,remote=$UL_A" --workers 1 --name "fb$SUF" --control "$WORK/fb.sock"
      wait_for_link "$NS_SA" "$IF1"
      wait_for_link "$NS_SB" "$IF2"
      ip -n "$NS_SA" link set "$IF1" netns "$NS_H1"
      ip -n "$NS_SB" link set "$IF2" netns "$NS_H2"
      hosts_up
      ;;
    kernel)
      underlay_addresses
      host_veths
      local side n loc rem
      for side in A B; do
        n=$NS_SA loc=$UL_A rem=$UL_B
        [ "$side" = B ] && n=$NS_SB loc=$UL_B rem=$UL_A
        ip -n "$n" link add "vx$SUF" type vxlan id "$VNI" dstport 4789 local "$loc" remote "$rem" dev "u$side$SUF"
        ip -n "$n" link add "br$SUF" type bridge
        ip -n "$n" link set "vx$SUF" master "br$SUF"
        ip -n "$n" link set "h$([ "$side" = A ] && echo 1 || echo 2)$SUF" master "br$SUF"
        ip -n "$n" link set "vx$SUF" up
        ip -n "$n" link set "br$SUF" up
      done
      ;;
    ovs)
      host_veths
      ovs_side "$NS_SA" "$WORK/ovsA" "h1$SUF" "uA$SUF" "$UL_A" "$UL_B" 02:00:00:01:00:01 02:00:00:01:00:02
      SWITCH_PID=$OVS_SIDE_PID
      ovs_side "$NS_SB" "$WORK/ovsB" "h2$SUF" "uB$SUF" "$UL_B" "$UL_A" 02:00:00:01:00:02 02:00:00:01:00:01
      ;;
  esac
  hosts_reach "$1"
}

# ---------------------------------------------------------------------------------------------------------------
# Run and report
run_interleaved
cp "$WORK/fastbridge-b.log" "$WORK/fastbridge-sideB.log" 2>/dev/null || true
write_meta fastbridge dotnet kernel ovs trafgen iperf3 sockperf
if [ "${KEEP_RAW:-0}" = 1 ]; then cp "$WORK/meta" "${RAW_KEEP%.raw.tsv}.meta"; fi
# The shared report generator writes a whole document; it becomes the "vxlan" section of OUT (headings one level
# down, by report_section), replacing the section of an earlier run and leaving the rest of OUT as it is.
cat >"$WORK/howto.md" <<'HOWTO'
### How it was measured (exact commands)

`QUICK=1 perf/compare.sh vxlan` (perf/compare.d/vxlan.sh). Namespaces `sa` and `sb` (the two "hosts", random suffix)
joined by a veth underlay `uA`/`uB` (198.18.1.1/24 and 198.18.1.2/24, MTU 1600), VNI 42, dstport 4789; end hosts `h1`
(198.18.0.1/24, behind side A) and `h2` (198.18.0.2/24, behind side B), MTU 1500, IPv6 off; the end hosts' veth ends
send complete frames (`ethtool -K IFN tx off`). CPU = side A's switch process only (n/a for the kernel).

```sh
## fastbridge: in sa (and the mirror image in sb); the TAP's kernel side moves to h1
fastbridge run --tap IF1 --vxlan vx0:vni=42,local=198.18.1.1,remote=198.18.1.2 --workers 1
## kernel: in sa (and sb); a veth to h1
ip link add vx type vxlan id 42 dstport 4789 local 198.18.1.1 remote 198.18.1.2 dev uA
ip link add br type bridge; ip link set vx master br; ip link set h1 master br
## ovs: one ovsdb-server + ovs-vswitchd per side, private db, userspace datapath
ovs-vsctl add-br ul -- set bridge ul datapath_type=netdev other-config:hwaddr=MAC -- add-port ul uA
ip addr add 198.18.1.1/24 dev ul                                  # the underlay address on the internal port
ovs-vsctl add-br br -- set bridge br datapath_type=netdev -- add-port br h1 \
  -- add-port br vx -- set interface vx type=vxlan options:remote_ip=198.18.1.2 options:local_ip=198.18.1.1 options:key=42
ovs-appctl ovs/route/add 198.18.1.0/24 ul; ovs-appctl tnl/arp/set ul 198.18.1.2 PEER-MAC
## load: as perf/compare.sh (trafgen 64 B / 1518 B from h1 to h2's MAC, iperf3 -P 1 / -P 4, sockperf ping-pong --full-rtt)
```
HOWTO
report_section "$WORK/howto.md" --section vxlan \
  --title 'FastBridge VXLAN against the kernel VXLAN and OVS userspace VXLAN (two hosts, veth underlay)' \
  --cpu "CPU is side A's switch process's utime+stime over the frame test divided by the frames delivered (side B's is not
counted). The kernel has no process (n/a): its work is softirq time spread over both cores." \
  --replace 'FastBridge `--workers 2`' 'FastBridge VXLAN port + TAP (`--workers 1`, both sides)' \
  --replace 'Linux bridge (veth)' 'kernel `vxlan` in a kernel bridge + veth' \
  --replace 'OVS userspace (netdev, tap)' 'OVS userspace (netdev datapath) `type=vxlan` + veth' \
  --replace 'Produced by `perf/compare.sh`' 'Produced by `perf/compare.sh vxlan`' \
  --drop '; vde: not installed; .*?\(tapfwd, -O2\)'
say "wrote the vxlan section of $OUT (${ELAPSED}s)"
check_fastbridge_logs
