#!/usr/bin/env bash
# The stream section of the peer comparison (perf/compare.sh stream): switches whose ports are unix stream sockets
# speaking QEMU's `-netdev stream` framing (4-byte big-endian length, then the frame). The load is native/streamload.c,
# a synthetic QEMU client pair (stations A and B, one socket each): `rate` writes SIZE-byte frames A -> B as fast as
# the socket takes them and counts what B receives; `rtt` sends one frame at a time A -> B -> A. Against:
#   qemu-hub    QEMU's own hub: one qemu-system-x86_64 (-machine none, no guest) with two `-netdev stream,server=on`
#               sockets joined by `-netdev hubport,hubid=0` (a hub: every frame to every other port, no learning).
#               It is what QEMU alone offers to join socket netdevs, the same framing, so the same client drives both.
#   fastbridge  fastbridge run --stream a=S0 --stream b=S1 --workers 1
# vde_switch (QEMU's `-netdev vde`) is the other peer users pick for socket networking without root, but it speaks
# its own protocol (libvdeplug: a control socket plus datagrams), not QEMU's stream framing: measuring it needs a
# libvdeplug client (no headers here); not done.
# Per (repetition, switch): start the switch, rate 64 B and 1518 B (WARMUP s, then DURATION s counted), rtt
# (RTT_COUNT round trips), stop it. Repetitions alternate the order of the switches. Medians with min..max.
#
# Usage (root not needed): perf/compare.sh stream     (or bash perf/compare.d/stream.sh)
# Environment: REPS (5), WARMUP (1), DURATION (3), RTT_COUNT (5000), SWITCHES ("qemu-hub fastbridge"),
#              FASTBRIDGE (binary; default: build src/FastBridge.Cli Release), OUT (default perf/RESULTS.md: its "stream"
#              section is replaced or appended; any other path gets the section alone).
# Creates only a /tmp folder with a random suffix (sockets, logs) and processes it stops by PID on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REPS=${REPS:-5}
WARMUP=${WARMUP:-1}
DURATION=${DURATION:-3}
RTT_COUNT=${RTT_COUNT:-5000}
SWITCHES=${SWITCHES:-"qemu-hub fastbridge"}
OUT=${OUT:-$ROOT/perf/RESULTS.md}

# shellcheck source=lib.sh
. "$ROOT/perf/compare.d/lib.sh"
lib_init fbst
command -v python3 >/dev/null 2>&1 || { echo "stream.sh: python3 is needed for the report" >&2; exit 1; }
build_fastbridge
build_load streamload

S0=$WORK/a.sock
S1=$WORK/b.sock

switch_start() {  # switch_start NAME
  rm -f "$S0" "$S1"
  case $1 in
    qemu-hub)
      qemu-system-x86_64 -nodefaults -display none -machine none \
        -netdev "stream,id=a,server=on,addr.type=unix,addr.path=$S0" -netdev hubport,id=ha,hubid=0,netdev=a \
        -netdev "stream,id=b,server=on,addr.type=unix,addr.path=$S1" -netdev hubport,id=hb,hubid=0,netdev=b \
        >"$WORK/qemu.log" 2>&1 &
      ;;
    fastbridge)
      "$FASTBRIDGE" run --stream "a=$S0" --stream "b=$S1" --workers 1 --name "fbst$SUF" --control "$WORK/control.sock" \
        >"$WORK/fastbridge-$REP.log" 2>&1 &
      ;;
  esac
  SWITCH_PID=$!
  STARTED+=("$SWITCH_PID")
  wait_for_sockets "$S0" "$S1" || { say "$1: its sockets did not appear"; return 1; }
}

between_clients() {  # the switch has let the last client go: FastBridge turns a new client away while the old one's
  # bytes are still being read (one peer per port), so wait for both ports to be down again; QEMU's hub: a moment
  local i
  if [ "$SW" = fastbridge ]; then
    for i in $(seq 300); do
      [ "$("$FASTBRIDGE" port list --control "$WORK/control.sock" 2>/dev/null | grep -c ' down')" -ge 2 ] && return 0
      sleep 0.1
    done
    say "  fastbridge: the ports did not go down within 30 s of the client leaving"
  else
    sleep 0.5
  fi
}

measure() {  # measure SWITCH: every figure of one repetition
  local size
  for size in 64 1518; do
    # Each run connects anew: QEMU's stream server takes the next client once the last one left.
    load_rate "$1" "$size" "$S0" "$S1" "$size" "$WARMUP" "$DURATION"
    between_clients
  done
  load_rtt "$1" "$S0" "$S1" 64 "$RTT_COUNT"
}

run_alternating stream
socket_report stream "fastbridge qemu kernel gcc" \
  --title "# stream: FastBridge \`--stream\` ports against QEMU's own hub" \
  --load "\`native/streamload.c\` (two synthetic QEMU stream clients, A -> B; writes of 64 frames; B counts frames)" \
  --versions qemu --sent written \
  --name "qemu-hub=QEMU hub (2 x \`-netdev stream,server=on\` + \`hubport\`)" \
  --name "fastbridge=FastBridge \`--stream\` x2, \`--workers 1\`" \
  --note "\"written\" is what A's socket accepted, \"delivered\" what B received. QEMU's hub stops reading A when B's
socket is full (backpressure: written = delivered); FastBridge reads on and drops at B's full transmit ring
(\`ring-full\`, counted), as a switch port does, so A can write far more than B receives."
