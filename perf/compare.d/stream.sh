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
LOAD=$WORK/streamload
cc -O2 -Wall -Wextra -Werror -pthread -o "$LOAD" "$ROOT/native/streamload.c" >>"$LOG" 2>&1 \
  || { echo "stream.sh: cannot build native/streamload.c" >&2; exit 1; }

S0=$WORK/a.sock
S1=$WORK/b.sock

wait_for_sockets() {
  local i
  for i in $(seq 300); do
    [ -S "$S0" ] && [ -S "$S1" ] && return 0
    kill -0 "$SWITCH_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

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
  wait_for_sockets || { say "$1: its sockets did not appear"; return 1; }
}

switch_stop() {
  [ -n "$SWITCH_PID" ] || return 0
  stop_pid "$SWITCH_PID"
  forget_pid "$SWITCH_PID"
  SWITCH_PID=""
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
  local size out
  for size in 64 1518; do
    # Each run connects anew: QEMU's stream server takes the next client once the last one left.
    if out=$(timeout $((WARMUP + DURATION + 30)) "$LOAD" rate "$S0" "$S1" "$size" "$WARMUP" "$DURATION" 2>>"$LOG"); then
      record "rx_pps_$size" "$(awk '/^rx_pps/ { print $2 }' <<<"$out")"
      record "tx_pps_$size" "$(awk '/^tx_pps/ { print $2 }' <<<"$out")"
      say "  $1 ${size} B: $(tr '\n' ' ' <<<"$out")"
    else
      say "  $1 ${size} B: streamload failed"
    fi
    between_clients
  done
  if out=$(timeout 120 "$LOAD" rtt "$S0" "$S1" 64 "$RTT_COUNT" 2>>"$LOG"); then
    record rtt_p50_us "$(awk '/^rtt_p50_us/ { print $2 }' <<<"$out")"
    record rtt_p99_us "$(awk '/^rtt_p99_us/ { print $2 }' <<<"$out")"
    record rtt_lost "$(awk '/^rtt_lost/ { print $2 }' <<<"$out")"
    say "  $1 rtt: $(tr '\n' ' ' <<<"$out")"
  else
    say "  $1 rtt: streamload failed"
  fi
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED_AT=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
T0=$SECONDS
say "stream compare: REPS=$REPS WARMUP=$WARMUP DURATION=$DURATION RTT_COUNT=$RTT_COUNT switches: $SWITCHES (load $LOAD_BEFORE)"
order=($SWITCHES)
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
write_meta fastbridge qemu kernel gcc
echo "warmup=$WARMUP" >>"$WORK/meta"
grep -h -i -E 'unhandled|exception|fatal' "$WORK"/fastbridge-*.log 2>/dev/null | head -5 >&2 || true

python3 - "$RAW" "$WORK/meta" "$OUT" <<'PY'
# The "stream" section: medians (min..max) per switch; replaces the section between its markers in OUT, or appends it.
import os, statistics, sys

raw_path, meta_path, out_path = sys.argv[1:4]
BEGIN = "<!-- stream section: written by perf/compare.d/stream.sh; text after the end marker is kept -->"
END = "<!-- stream section end -->"
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

names = {"qemu-hub": "QEMU hub (2 x `-netdev stream,server=on` + `hubport`)", "fastbridge": "FastBridge `--stream` x2, `--workers 1`"}
lines = [BEGIN, "# stream: FastBridge `--stream` ports against QEMU's own hub", "",
    f"Produced by `perf/compare.sh stream` on {meta.get('started', '?')} in {meta.get('elapsed', '?')} s: "
    f"{meta.get('reps', '?')} repetitions (the switch order alternates), each a fresh switch; load from "
    "`native/streamload.c` (two synthetic QEMU stream clients, A -> B; writes of 64 frames; B counts frames): "
    f"{meta.get('warmup', '?')} s warm-up then {meta.get('duration', '?')} s counted; RTT over "
    f"{meta.get('rtt_duration', '?')} round trips of 64 B frames, one at a time. Cells are medians with (min..max).", "",
    f"- Machine: {meta.get('cpu', '?')}, {meta.get('cores', '?')} cores, {meta.get('memory', '?')}, kernel "
    f"{meta.get('kernel', '?')}; load average before {meta.get('load_before', '?')}, after {meta.get('load_after', '?')} "
    "(shared with other helpers' builds and tests: see the spread)",
    f"- FastBridge {meta.get('v_fastbridge', '?')} (Release); {meta.get('v_qemu', '?')}", "",
    "| switch | 64 B delivered kpps | 64 B written kpps | 1518 B delivered kpps | 1518 B written kpps | 1518 B delivered Gbit/s | RTT p50 (us) | RTT p99 (us) | RTT lost |",
    "|---|---|---|---|---|---|---|---|---|"]
for sw in meta.get("switches", "").split():
    lines.append(f"| {names.get(sw, sw)} | {cell(sw, 'rx_pps_64', 1e-3)} | {cell(sw, 'tx_pps_64', 1e-3)} | {cell(sw, 'rx_pps_1518', 1e-3)} | "
                 f"{cell(sw, 'tx_pps_1518', 1e-3)} | {cell(sw, 'rx_pps_1518', 1518 * 8 / 1e9)} | {cell(sw, 'rtt_p50_us')} | "
                 f"{cell(sw, 'rtt_p99_us')} | {cell(sw, 'rtt_lost')} |")
lines += ["", "\"written\" is what A's socket accepted, \"delivered\" what B received. QEMU's hub stops reading A when B's",
    "socket is full (backpressure: written = delivered); FastBridge reads on and drops at B's full transmit ring",
    "(`ring-full`, counted), as a switch port does, so A can write far more than B receives."]
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
