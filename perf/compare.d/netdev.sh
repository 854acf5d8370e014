#!/usr/bin/env bash
# The netdev section of the peer comparison (perf/compare.sh netdev): switches attached to interfaces that already
# exist, as under libvirt or a container runtime. For each switch: two hosts in network namespaces (198.18.0.1 and .2,
# MACs 02:00:00:00:00:01/02), each behind a veth pair whose other end (p1SUF, p2SUF) is in the switch's namespace:
#   - fastbridge-w1 (fastbridge: 2 workers): `fastbridge run --netdev p1 --netdev p2 --netdev-ring blocks --workers 1`
#     (AF_PACKET, TPACKET_V3 receive ring; sendmmsg); fastbridge-v2: `--netdev-ring frames` (TPACKET_V2, the default)
#   - ovs: Open vSwitch's userspace datapath (datapath_type=netdev) with the veths as `system` ports (also AF_PACKET)
#   - kernel: the Linux bridge over the same veths
# For these the hosts' veth ends send complete frames (ethtool -K tx off: no partial checksums, no TSO), for every
# switch alike. The *-tso variants leave the hosts' offloads on (TSO super-frames, partial checksums) and carry them:
#   - fastbridge-tso / fastbridge-v2-tso: as fastbridge-w1 / fastbridge-v2 (PACKET_VNET_HDR, on by default)
#   - ovs-tso: OVS userspace with other_config:userspace-tso-enable=true; kernel-tso: the Linux bridge
# fastbridge-nooff: fastbridge-w1 with --no-offloads (plain frames on the sockets), hosts as for fastbridge-w1.
# Measured as in perf/compare.sh (same helpers):
# 64 B and 1518 B frames with trafgen, TCP with iperf3 (1 and 4 streams), RTT with sockperf (ping if missing),
# switch CPU per million frames; interleaved repetitions, medians with min..max.
#
# Usage (root): perf/compare.sh netdev          REPS=3 DURATION=10
#               QUICK=1 perf/compare.sh netdev  REPS=1 DURATION=3
# Environment: REPS, DURATION, RTT_DURATION, SWITCHES (subset of: fastbridge-w1 fastbridge fastbridge-v2 fastbridge-tso
#              fastbridge-v2-tso fastbridge-nooff kernel kernel-tso ovs ovs-tso),
#              OUT (the report file whose "netdev" section is replaced, default perf/RESULTS.md).
# Creates only namespaces, devices, processes and files with a random suffix, uses 198.18.0.0/15 only, removes all it
# created on exit; kills only processes it started.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SWITCHES=${SWITCHES:-"fastbridge-w1 kernel ovs"}
OUT=${OUT:-$ROOT/perf/RESULTS.md}

[ "$(id -u)" = 0 ] || { echo "netdev.sh: must run as root (namespaces, veths)" >&2; exit 1; }
# shellcheck source=lib.sh
. "$ROOT/perf/compare.d/lib.sh"
lib_init fbcompare
RAW_KEEP=${OUT%.md}.netdev.raw.tsv

install_loads
install_pkg openvswitch-switch ovs-vswitchd
install_pkg ethtool ethtool
install_done
build_fastbridge

available() {  # available SWITCH: whether its tools are here
  case $1 in
    fastbridge|fastbridge-w1|fastbridge-v2|fastbridge-tso|fastbridge-v2-tso|fastbridge-nooff|kernel|kernel-tso) return 0 ;;
    ovs|ovs-tso) [ "${HAVE[ovs-vswitchd]}" = 1 ] ;;
    *) echo "netdev.sh: unknown switch '$1'" >&2; exit 2 ;;
  esac
}

# ---------------------------------------------------------------------------------------------------------------
# Topology
make_veths() {  # make_veths OFFLOADS(0|1): a veth pair per host: IFn in host n, pnSUF in the switch namespace, up, no
  local i        # IPv6; OFFLOADS=0: the hosts send complete frames only (tx off), 1: their default offloads (TSO, partial csum)
  for i in 1 2; do
    local hns=$NS_H1 ifn=$IF1
    [ "$i" = 2 ] && hns=$NS_H2 && ifn=$IF2
    ip -n "$NS_SW" link add "p$i$SUF" type veth peer name "$ifn" netns "$hns"
    ip -n "$NS_SW" link set "p$i$SUF" up
    [ "$1" = 1 ] || ns "$hns" ethtool -K "$ifn" tx off >/dev/null 2>&1
  done
  hosts_up
}

setup_switch() {  # setup_switch NAME: namespaces, the switch, hosts wired to it
  make_namespaces
  SWITCH_PID=""
  case $1 in *-tso) make_veths 1 ;; *) make_veths 0 ;; esac
  case $1 in
    fastbridge|fastbridge-w1|fastbridge-v2|fastbridge-tso|fastbridge-v2-tso|fastbridge-nooff)
      local workers=2 ring=blocks more=()
      [ "$1" != fastbridge ] && workers=1
      case $1 in fastbridge-v2*) ring=frames ;; esac
      [ "$1" = fastbridge-nooff ] && more=(--no-offloads)
      start_bg "$WORK/fastbridge.log" "$NS_SW" "$FASTBRIDGE" run --netdev "p1$SUF" --netdev "p2$SUF" --netdev-ring "$ring" --workers "$workers" "${more[@]}" --name "fb$SUF" --control "$WORK/fb.sock"
      SWITCH_PID=$BG_PID
      ;;
    ovs|ovs-tso)
      ovs_userspace_start "$([ "$1" = ovs-tso ] && echo 1 || echo 0)"
      "${OVS_VSCTL[@]}" add-port "br$SUF" "p1$SUF"
      "${OVS_VSCTL[@]}" add-port "br$SUF" "p2$SUF"
      ;;
    kernel|kernel-tso)
      local br=br$SUF
      ip -n "$NS_SW" link add "$br" type bridge
      ip -n "$NS_SW" link set "$br" up
      ip -n "$NS_SW" link set "p1$SUF" master "$br"
      ip -n "$NS_SW" link set "p2$SUF" master "$br"
      ;;
  esac
  hosts_reach "$1"
}

# ---------------------------------------------------------------------------------------------------------------
# Run and report
run_interleaved
write_meta fastbridge dotnet ovs trafgen iperf3 sockperf
if [ "${KEEP_RAW:-0}" = 1 ]; then cp "$WORK/meta" "${RAW_KEEP%.raw.tsv}.meta"; fi
# The shared report generator writes a whole document; it becomes the "netdev" section of OUT (headings one level
# down, by report_section), replacing the section of an earlier run and leaving the rest of OUT as it is.
cat >"$WORK/howto.md" <<'HOWTO'
### How it was measured (exact commands)

`perf/compare.sh netdev` (perf/compare.d/netdev.sh) with REPS, DURATION and SWITCHES as in the header above. Namespaces `h1`, `h2`, `sw` (random suffix); hosts
198.18.0.1/24 (02:00:00:00:00:01) and 198.18.0.2/24 (02:00:00:00:00:02), IPv6 off, each behind a veth pair whose
other end `pN` is in `sw`; the hosts' ends send complete frames (`ethtool -K IFN tx off`) for every switch alike,
except in the rows marked "hosts' offloads on" (`*-tso`), where they keep their default offloads (TSO, partial checksums).

```sh
## switches (in netns sw), attached to the same veths
fastbridge run --netdev p1 --netdev p2 --netdev-ring blocks --workers 1  # fastbridge-w1: AF_PACKET, TPACKET_V3 rx ring, sendmmsg
fastbridge run ... --netdev-ring frames --workers 1         # fastbridge-v2: the TPACKET_V2 frame ring (no block timeout; the default)
## both with offloads (PACKET_VNET_HDR, the default since this run; --no-offloads turns them off): fastbridge-tso, fastbridge-v2-tso
ovs-vsctl ... --no-wait set Open_vSwitch . other_config:userspace-tso-enable=true   # ovs-tso only
ovs-vsctl ... add-br BR -- set bridge BR datapath_type=netdev
ovs-vsctl ... add-port BR p1; ovs-vsctl ... add-port BR p2  # type "" = system: AF_PACKET in the userspace datapath
ip link add BR type bridge; ip link set pN master BR         # the Linux bridge
## load: as perf/compare.sh (trafgen 64 B / 1518 B from h1 to h2's MAC, iperf3 -P 1 / -P 4, sockperf ping-pong --full-rtt)
```
HOWTO
report_section "$WORK/howto.md" --section netdev \
  --title 'FastBridge against its peers over existing interfaces (veths)' \
  --cpu "CPU is the switch process's utime+stime over the frame test divided by the frames delivered. The Linux bridge has no
process (n/a): its work is softirq time spread over both cores." \
  --replace 'OVS userspace (netdev, tap)' 'OVS userspace (netdev datapath, veths as system ports)' \
  --replace '| OVS userspace + userspace-tso |' "| OVS userspace + \`userspace-tso-enable=true\`, hosts' offloads on |" \
  --replace '| FastBridge `--workers 1` |' '| FastBridge `--workers 1 --netdev-ring blocks` (TPACKET_V3) |' \
  --replace '| FastBridge `--workers 1 --netdev-ring frames` (TPACKET_V2) |' '| FastBridge `--workers 1` (`--netdev-ring frames`, TPACKET_V2, the default) |' \
  --replace '| fastbridge-tso |' "| FastBridge \`--workers 1 --netdev-ring blocks\`, hosts' offloads on |" \
  --replace '| fastbridge-v2-tso |' "| FastBridge \`--workers 1\` (frames), hosts' offloads on |" \
  --replace '| fastbridge-nooff |' '| FastBridge `--workers 1 --netdev-ring blocks --no-offloads` |' \
  --replace '| kernel-tso |' "| Linux bridge (veth), hosts' offloads on |"
say "wrote the netdev section of $OUT (${ELAPSED}s)"
check_fastbridge_logs
