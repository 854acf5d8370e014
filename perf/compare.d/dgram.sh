#!/usr/bin/env bash
# The dgram section of the peer comparison (perf/compare.sh dgram): switches whose ports are unix datagram sockets,
# one Ethernet frame per datagram, as QEMU's `-netdev dgram` (unix) and `-netdev vde` (libvdeplug) send them. The load
# is native/dgramload.c, a synthetic client pair (stations A and B, a socket each bound to a path of its own, as QEMU's
# local.path): `rate` sends SIZE-byte frames A -> B as fast as the socket takes them and counts what B receives; `rtt`
# sends one frame at a time A -> B -> A. Against:
#   qemu-hub    QEMU's own hub: one qemu-system-x86_64 (-machine none, no guest) with two `-netdev dgram` unix sockets
#               joined by `-netdev hubport,hubid=0` (every frame to every other port, no learning): what QEMU alone
#               offers to join dgram netdevs.
#   vde         vde_switch (vde2), the switch users of `-netdev vde` run: the stations plug in as libvdeplug does (a
#               request on its ctl socket, then datagrams to the port's data socket).
#   fastbridge  fastbridge run --dgram a=SA --dgram b=SB --workers 1 (peers learned from the first frame)
# Per (repetition, switch): start the switch, rate 64 B and 1518 B (WARMUP s, then DURATION s counted), rtt
# (RTT_COUNT round trips), stop it. Repetitions alternate the order of the switches. Medians with min..max.
#
# Usage (root not needed): perf/compare.sh dgram     (or bash perf/compare.d/dgram.sh)
# Environment: REPS (3), WARMUP (1), DURATION (3), RTT_COUNT (3000), SWITCHES ("qemu-hub vde fastbridge"),
#              FASTBRIDGE (binary; default: build src/FastBridge.Cli Release), OUT (default perf/RESULTS.md: its "dgram"
#              section is replaced or appended; any other path gets the section alone).
# Creates only a /tmp folder with a random suffix (sockets, logs) and processes it stops by PID on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REPS=${REPS:-3}
WARMUP=${WARMUP:-1}
DURATION=${DURATION:-3}
RTT_COUNT=${RTT_COUNT:-3000}
SWITCHES=${SWITCHES:-"qemu-hub vde fastbridge"}
OUT=${OUT:-$ROOT/perf/RESULTS.md}

# shellcheck source=lib.sh
. "$ROOT/perf/compare.d/lib.sh"
lib_init fbdg
command -v python3 >/dev/null 2>&1 || { echo "dgram.sh: python3 is needed for the report" >&2; exit 1; }
install_pkg vde2 vde_switch
build_fastbridge
build_load dgramload

A=$WORK/a.sock     # the stations' own sockets (QEMU's local.path)
B=$WORK/b.sock

switch_start() {  # switch_start NAME: sets SWITCH_PID, RA and RB (where A and B send)
  rm -rf "$WORK/sw" && mkdir "$WORK/sw"
  SWITCH_PID=""
  case $1 in
    qemu-hub)
      RA=$WORK/sw/hub-a.sock RB=$WORK/sw/hub-b.sock
      qemu-system-x86_64 -nodefaults -display none -machine none \
        -netdev "dgram,id=a,local.type=unix,local.path=$RA,remote.type=unix,remote.path=$A" -netdev hubport,id=ha,hubid=0,netdev=a \
        -netdev "dgram,id=b,local.type=unix,local.path=$RB,remote.type=unix,remote.path=$B" -netdev hubport,id=hb,hubid=0,netdev=b \
        >"$WORK/qemu.log" 2>&1 &
      SWITCH_PID=$!
      STARTED+=("$SWITCH_PID")
      wait_for_sockets "$RA" "$RB" || { say "qemu-hub: its sockets did not appear"; return 1; }
      ;;
    vde)
      RA=$WORK/sw/vde RB=$WORK/sw/vde
      vde_switch -s "$RA" -d -p "$WORK/sw/vde.pid" >>"$LOG" 2>&1
      pid_from_file "$WORK/sw/vde.pid" || return 1
      SWITCH_PID=$PID_READ
      wait_for_sockets "$RA/ctl" || { say "vde: its ctl socket did not appear"; return 1; }
      ;;
    fastbridge)
      RA=$WORK/sw/sw-a.sock RB=$WORK/sw/sw-b.sock
      "$FASTBRIDGE" run --dgram "a=$RA" --dgram "b=$RB" --workers 1 --name "fbdg$SUF" --control "$WORK/sw/control.sock" \
        >"$WORK/fastbridge-$REP.log" 2>&1 &
      SWITCH_PID=$!
      STARTED+=("$SWITCH_PID")
      wait_for_sockets "$RA" "$RB" || { say "fastbridge: its sockets did not appear"; return 1; }
      ;;
  esac
}

measure() {  # measure SWITCH: every figure of one repetition
  local size
  for size in 64 1518; do
    load_rate "$1" "$size" "$A" "$RA" "$B" "$RB" "$size" "$WARMUP" "$DURATION"
  done
  load_rtt "$1" "$A" "$RA" "$B" "$RB" 64 "$RTT_COUNT"
}

available() {
  case $1 in
    vde) [ "${HAVE[vde_switch]:-0}" = 1 ] ;;
    qemu-hub) command -v qemu-system-x86_64 >/dev/null 2>&1 ;;
    *) true ;;
  esac
}

run_alternating dgram
socket_report dgram "fastbridge qemu vde kernel gcc" \
  --title "# dgram: FastBridge \`--dgram\` ports against QEMU's hub and vde_switch" \
  --load "\`native/dgramload.c\` (two synthetic QEMU dgram clients, A -> B, one frame per datagram, sendmmsg of 32 on a blocking socket; B counts frames)" \
  --versions "qemu vde" --sent sent \
  --name "qemu-hub=QEMU hub (2 x \`-netdev dgram\` unix + \`hubport\`)" \
  --name "vde=vde_switch (libvdeplug protocol)" \
  --name "fastbridge=FastBridge \`--dgram\` x2, \`--workers 1\`" \
  --note "\"sent\" is what A's socket accepted, \"delivered\" what B received. A unix datagram socket queues at most
net.unix.max_dgram_qlen datagrams (10 by default) from senders it is not connected to: A blocks when the switch's
queue is full (backpressure), and a switch sending to B finds B's queue full (EAGAIN). QEMU's hub then holds the frame and
stops reading A (sent = delivered); FastBridge drops it, counted as \`ring-full\` (never a wait on the dataplane).
libvdeplug connects a station's socket to its vde_switch port, and a socket takes any number of datagrams from the
socket it is connected to: vde_switch's sends to B never meet that limit (QEMU's dgram netdev does not connect)."
