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
LOAD=$WORK/dgramload
cc -O2 -Wall -Wextra -Werror -pthread -o "$LOAD" "$ROOT/native/dgramload.c" >>"$LOG" 2>&1 \
  || { echo "dgram.sh: cannot build native/dgramload.c" >&2; exit 1; }

A=$WORK/a.sock     # the stations' own sockets (QEMU's local.path)
B=$WORK/b.sock

wait_for() {  # wait_for PATH...: up to 30 s for the switch's sockets
  local i p ok
  for i in $(seq 300); do
    ok=1
    for p in "$@"; do [ -S "$p" ] || ok=0; done
    [ "$ok" = 1 ] && return 0
    [ -z "$SWITCH_PID" ] || kill -0 "$SWITCH_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

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
      wait_for "$RA" "$RB" || { say "qemu-hub: its sockets did not appear"; return 1; }
      ;;
    vde)
      RA=$WORK/sw/vde RB=$WORK/sw/vde
      vde_switch -s "$RA" -d -p "$WORK/sw/vde.pid" >>"$LOG" 2>&1
      pid_from_file "$WORK/sw/vde.pid" || return 1
      SWITCH_PID=$PID_READ
      wait_for "$RA/ctl" || { say "vde: its ctl socket did not appear"; return 1; }
      ;;
    fastbridge)
      RA=$WORK/sw/sw-a.sock RB=$WORK/sw/sw-b.sock
      "$FASTBRIDGE" run --dgram "a=$RA" --dgram "b=$RB" --workers 1 --name "fbdg$SUF" --control "$WORK/sw/control.sock" \
        >"$WORK/fastbridge-$REP.log" 2>&1 &
      SWITCH_PID=$!
      STARTED+=("$SWITCH_PID")
      wait_for "$RA" "$RB" || { say "fastbridge: its sockets did not appear"; return 1; }
      ;;
  esac
}

switch_stop() {
  [ -n "$SWITCH_PID" ] || return 0
  stop_pid "$SWITCH_PID"
  forget_pid "$SWITCH_PID"
  SWITCH_PID=""
}

measure() {  # measure SWITCH: every figure of one repetition
  local size out
  for size in 64 1518; do
    if out=$(timeout $((WARMUP + DURATION + 30)) "$LOAD" rate "$A" "$RA" "$B" "$RB" "$size" "$WARMUP" "$DURATION" 2>>"$LOG"); then
      record "rx_pps_$size" "$(awk '/^rx_pps/ { print $2 }' <<<"$out")"
      record "tx_pps_$size" "$(awk '/^tx_pps/ { print $2 }' <<<"$out")"
      say "  $1 ${size} B: $(tr '\n' ' ' <<<"$out")"
    else
      say "  $1 ${size} B: dgramload failed"
    fi
  done
  if out=$(timeout 120 "$LOAD" rtt "$A" "$RA" "$B" "$RB" 64 "$RTT_COUNT" 2>>"$LOG"); then
    record rtt_p50_us "$(awk '/^rtt_p50_us/ { print $2 }' <<<"$out")"
    record rtt_p99_us "$(awk '/^rtt_p99_us/ { print $2 }' <<<"$out")"
    record rtt_lost "$(awk '/^rtt_lost/ { print $2 }' <<<"$out")"
    say "  $1 rtt: $(tr '\n' ' ' <<<"$out")"
  else
    say "  $1 rtt: dgramload failed"
  fi
}

available() {
  case $1 in
    vde) [ "${HAVE[vde_switch]:-0}" = 1 ] ;;
    qemu-hub) command -v qemu-system-x86_64 >/dev/null 2>&1 ;;
    *) true ;;
  esac
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED_AT=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
T0=$SECONDS
say "dgram compare: REPS=$REPS WARMUP=$WARMUP DURATION=$DURATION RTT_COUNT=$RTT_COUNT switches: $SWITCHES (load $LOAD_BEFORE)"
order=()
for sw in $SWITCHES; do
  if available "$sw"; then order+=("$sw"); else say "$sw: not available, skipped"; fi
done
for REP in $(seq "$REPS"); do
  if ((REP % 2 == 0)); then
    run_order=(); for ((i = ${#order[@]} - 1; i >= 0; i--)); do run_order+=("${order[$i]}"); done
  else
    run_order=("${order[@]}")
  fi
  for SW in "${run_order[@]}"; do
    say "rep $REP/$REPS: $SW"
    record load1 "$(cut -d' ' -f1 /proc/loadavg)"
    if switch_start "$SW"; then measure "$SW"; fi
    switch_stop
  done
done
ELAPSED=$((SECONDS - T0))
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
RTT_DURATION=$RTT_COUNT
SWITCHES="${order[*]}"
write_meta fastbridge qemu vde kernel gcc
echo "warmup=$WARMUP" >>"$WORK/meta"
grep -h -i -E 'unhandled|exception|fatal' "$WORK"/fastbridge-*.log 2>/dev/null | head -5 >&2 || true

python3 - "$RAW" "$WORK/meta" "$OUT" <<'PY'
# The "dgram" section: medians (min..max) per switch; replaces the section between its markers in OUT, or appends it.
import os, statistics, sys

raw_path, meta_path, out_path = sys.argv[1:4]
BEGIN = "<!-- dgram section: written by perf/compare.d/dgram.sh; text after the end marker is kept -->"
END = "<!-- dgram section end -->"
meta = dict(l.rstrip("\n").split("=", 1) for l in open(meta_path, encoding="utf-8") if "=" in l)
data = {}
for line in open(raw_path, encoding="utf-8"):
    rep, sw, key, value = line.rstrip("\n").split("\t")
    try:
        data.setdefault((sw, key), []).append(float(value))
    except ValueError:
        pass

def fmt(v):
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"

def cell(sw, key, scale=1.0):
    vals = [v * scale for v in data.get((sw, key), [])]
    if not vals: return "n/a"
    if len(vals) == 1: return fmt(vals[0])
    return f"{fmt(statistics.median(vals))} ({fmt(min(vals))}..{fmt(max(vals))})"

names = {"qemu-hub": "QEMU hub (2 x `-netdev dgram` unix + `hubport`)", "vde": "vde_switch (libvdeplug protocol)",
         "fastbridge": "FastBridge `--dgram` x2, `--workers 1`"}
lines = [BEGIN, "# dgram: FastBridge `--dgram` ports against QEMU's hub and vde_switch", "",
    f"Produced by `perf/compare.sh dgram` on {meta.get('started', '?')} in {meta.get('elapsed', '?')} s: "
    f"{meta.get('reps', '?')} repetitions (the switch order alternates), each a fresh switch; load from "
    "`native/dgramload.c` (two synthetic QEMU dgram clients, A -> B, one frame per datagram, sendmmsg of 32 on a "
    f"blocking socket; B counts frames): {meta.get('warmup', '?')} s warm-up then {meta.get('duration', '?')} s counted; "
    f"RTT over {meta.get('rtt_duration', '?')} round trips of 64 B frames, one at a time. Cells are medians with (min..max).", "",
    f"- Machine: {meta.get('cpu', '?')}, {meta.get('cores', '?')} cores, {meta.get('memory', '?')}, kernel "
    f"{meta.get('kernel', '?')}; load average before {meta.get('load_before', '?')}, after {meta.get('load_after', '?')} "
    "(shared with other helpers' builds and tests: see the spread)",
    f"- FastBridge {meta.get('v_fastbridge', '?')} (Release); {meta.get('v_qemu', '?')}; {meta.get('v_vde', '?') or 'vde_switch'}", "",
    "| switch | 64 B delivered kpps | 64 B sent kpps | 1518 B delivered kpps | 1518 B sent kpps | 1518 B delivered Gbit/s | RTT p50 (us) | RTT p99 (us) | RTT lost |",
    "|---|---|---|---|---|---|---|---|---|"]
for sw in meta.get("switches", "").split():
    lines.append(f"| {names.get(sw, sw)} | {cell(sw, 'rx_pps_64', 1e-3)} | {cell(sw, 'tx_pps_64', 1e-3)} | {cell(sw, 'rx_pps_1518', 1e-3)} | "
                 f"{cell(sw, 'tx_pps_1518', 1e-3)} | {cell(sw, 'rx_pps_1518', 1518 * 8 / 1e9)} | {cell(sw, 'rtt_p50_us')} | "
                 f"{cell(sw, 'rtt_p99_us')} | {cell(sw, 'rtt_lost')} |")
lines += ["", "\"sent\" is what A's socket accepted, \"delivered\" what B received. A unix datagram socket queues at most",
    "net.unix.max_dgram_qlen datagrams (10 by default) from senders it is not connected to: A blocks when the switch's",
    "queue is full (backpressure), and a switch sending to B finds B's queue full (EAGAIN). QEMU's hub then holds the frame and",
    "stops reading A (sent = delivered); FastBridge drops it, counted as `ring-full` (never a wait on the dataplane).",
    "libvdeplug connects a station's socket to its vde_switch port, and a socket takes any number of datagrams from the",
    "socket it is connected to: vde_switch's sends to B never meet that limit (QEMU's dgram netdev does not connect)."]
lines += ["", END]
section = "\n".join(lines) + "\n"
if os.path.basename(out_path) == "RESULTS.md" and os.path.exists(out_path):
    text = open(out_path, encoding="utf-8").read()
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + section + text[text.index(END) + len(END) + 1:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    open(out_path, "w", encoding="utf-8").write(text)
else:
    open(out_path, "w", encoding="utf-8").write(section)
print(section)
PY
