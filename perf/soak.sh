#!/usr/bin/env bash
# Soak: `fastbridge run` with three TAPs in three namespaces under mixed load for DURATION seconds; reports the
# process's resident memory, threads and open fds, and the switch's counters against the kernel's, at the start and
# at the end (and resources every tenth of the way). Not run by CI. As root:
#
#   perf/soak.sh 120          # a 2-minute check (perf/SOAK.md)
#   perf/soak.sh 1800         # the 30-minute soak
#
# After the load, a drop phase (about 40 s) forces every kind of drop it can from outside, so that the accounting is
# also checked when frames are dropped: raw frames (AF_PACKET, python3) with a multicast source (invalid-source),
# to the sender's own MAC (same-port), a broadcast burst far over the storm limit (storm-limit; the switch runs with
# --storm-limit 1000, far above the soak's own floods), 200,000-frame unicast bursts from two hosts at the third at
# once (more than the switch can read: the kernel drops the excess in the TAP's queue, tx_dropped, outside the
# switch; the switch's ring-full is printed but cannot occur here, as a TAP is written by the receiving worker itself,
# without a ring), and h2's link set down while frames are sent to it, then up again (port-down, and h2 must answer
# pings again). The phase fails unless invalid-source, same-port, storm-limit and port-down all counted, and the
# identities below must still hold to the frame.
#
# Load (every part bounded by the duration): a ping flood h1 -> h2 (ping -f -w), TCP from h2 to h3 (iperf3, when
# installed; else large pings), 8000-byte pings h3 -> h1 (fragmented to full-size frames), and broadcast pings
# from h3 (flooded to every port). Addresses 198.18.0.1-3/24 only; namespaces and devices have a random suffix and are
# removed on exit, also on Ctrl-C.
#
# The accounting invariant: the switch's own counters come from its Prometheus endpoint (run --metrics). For each
# port, once the load has stopped, what the switch received must equal what the kernel handed to the TAP's reader
# (tx_packets of the kernel side: tun counts a frame when it is read), and what the switch transmitted must equal
# what the kernel took from the TAP's writer (rx_packets). The per-port rx = forwarded + ingress-drops identity is
# checked from `fastbridge stats --json` (rx = forwarded + ingress drops, offered = tx + egress drops, per port).
set -euo pipefail

[[ $# -eq 1 && $1 =~ ^[0-9]+$ && $1 -ge 10 ]] || { echo "usage: $0 DURATION_SECONDS (>= 10)" >&2; exit 2; }
duration=$1
[[ $(id -u) -eq 0 ]] || { echo "$0: needs root (TAP devices, namespaces)" >&2; exit 1; }

root=$(cd "$(dirname "$0")/.." && pwd)
cli=$root/src/FastBridge.Cli/bin/Release/net10.0/FastBridge.Cli
if [[ ! -x $cli ]]; then
  dotnet build "$root/src/FastBridge.Cli" -c Release -nologo -v quiet -clp:ErrorsOnly
fi

suffix=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
taps=("fbk${suffix}0" "fbk${suffix}1" "fbk${suffix}2")
spaces=("fbk-${suffix}-0" "fbk-${suffix}-1" "fbk-${suffix}-2")
metrics_port=$((20000 + RANDOM % 20000))
log=$(mktemp -t fastbridge-soak.XXXXXX)
control=/tmp/fastbridge-soak-$suffix.sock
switch_pid=""
load_pids=()

cleanup() {
  local code=$?
  trap - EXIT INT TERM
  for p in "${load_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [[ -n $switch_pid ]] && kill -0 "$switch_pid" 2>/dev/null; then
    kill -TERM "$switch_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$switch_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$switch_pid" 2>/dev/null || true
  fi
  for ns in "${spaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -f "$log" "$control"
  exit "$code"
}
trap cleanup EXIT INT TERM

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

"$cli" run --tap "${taps[0]}" --tap "${taps[1]}" --tap "${taps[2]}" --workers 2 --storm-limit 1000 --metrics "127.0.0.1:$metrics_port" --control "$control" 2>"$log" &
switch_pid=$!
for _ in $(seq 300); do grep -q started "$log" && break; kill -0 "$switch_pid" || { cat "$log" >&2; exit 1; }; sleep 0.1; done
grep -q started "$log" || { echo "fastbridge did not start" >&2; cat "$log" >&2; exit 1; }

for i in 0 1 2; do
  ip netns add "${spaces[$i]}"
  ip link set dev "${taps[$i]}" netns "${spaces[$i]}"
  in_ns "${spaces[$i]}" sysctl -qw "net.ipv6.conf.${taps[$i]}.disable_ipv6=1"
  in_ns "${spaces[$i]}" sysctl -qw net.ipv4.icmp_echo_ignore_broadcasts=0
  in_ns "${spaces[$i]}" ip link set dev lo up
  in_ns "${spaces[$i]}" ip addr add "198.18.0.$((i + 1))/24" dev "${taps[$i]}"
  in_ns "${spaces[$i]}" ip link set dev "${taps[$i]}" up
done
for i in 0 1 2; do for j in 0 1 2; do
  [[ $i -ne $j ]] && in_ns "${spaces[$i]}" ping -c 1 -W 2 "198.18.0.$((j + 1))" >/dev/null
done; done

resources() {
  local rss threads fds
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$switch_pid/status")
  threads=$(awk '/^Threads/ {print $2}' "/proc/$switch_pid/status")
  fds=$(ls "/proc/$switch_pid/fd" | wc -l)
  printf 'rss %d KiB, threads %d, fds %d' "$rss" "$threads" "$fds"
}

# One metric for one port from the Prometheus text (0 when absent).
metric() {
  awk -v name="$2" -v port="$3" -v reason="${4:-}" '
    $0 !~ /^#/ && index($1, name "{") == 1 && index($1, "port=\"" port "\"") > 0 \
      && (reason == "" || index($1, "reason=\"" reason "\"") > 0) { sum += $2 }
    END { printf "%d", sum }' <<<"$1"
}

# Per port: switch rx/tx vs kernel tx/rx, drops; sets $balanced to 0 when a port does not match.
snapshot() {
  local label=$1 text i rx tx krx ktx kdrop drops
  text=$(curl -fsS "http://127.0.0.1:$metrics_port/metrics")
  balanced=1
  echo "== $label: $(resources)"
  for i in 0 1 2; do
    rx=$(metric "$text" fastbridge_port_rx_frames "${taps[$i]}")
    tx=$(metric "$text" fastbridge_port_tx_frames "${taps[$i]}")
    drops=$(awk -v port="${taps[$i]}" '$0 !~ /^#/ && index($1, "fastbridge_port_drops") == 1 && index($1, "port=\"" port "\"") > 0 && $2 > 0 {
        match($1, /reason="[^"]*"/); printf "%s%s=%d", sep, substr($1, RSTART + 8, RLENGTH - 9), $2; sep = " " }' <<<"$text")
    ktx=$(in_ns "${spaces[$i]}" cat "/sys/class/net/${taps[$i]}/statistics/tx_packets")
    krx=$(in_ns "${spaces[$i]}" cat "/sys/class/net/${taps[$i]}/statistics/rx_packets")
    kdrop=$(in_ns "${spaces[$i]}" cat "/sys/class/net/${taps[$i]}/statistics/tx_dropped")
    local verdict=ok
    if [[ $rx -ne $ktx || $tx -ne $krx ]]; then verdict=MISMATCH; balanced=0; fi
    printf '   %s: switch rx %d / kernel tx %d, switch tx %d / kernel rx %d, kernel tx_dropped %d, switch drops: %s [%s]\n' \
      "${taps[$i]}" "$rx" "$ktx" "$tx" "$krx" "$kdrop" "${drops:-none}" "$verdict"
  done
  echo "   mac entries $(awk '$0 !~ /^#/ && index($1, "fastbridge_mac_entries") == 1 {print $2}' <<<"$text")"
  # The switch's own invariant, from `fastbridge stats --json`: rx = forwarded + ingress drops and
  # tx_offered = tx + egress drops, per port (python3 reads the JSON; the reasons split as in README's table).
  "$cli" stats --json --control "$control" | python3 -c '
import json, sys
ingress = {"runt", "truncated-tag", "invalid-source", "oversize", "no-buffer", "same-port", "no-output", "storm-limit", "bad-offload"}
bad = 0
for p in json.load(sys.stdin)["ports"]:
    d = p["drops"]
    ing = sum(v for k, v in d.items() if k in ingress)
    egr = sum(v for k, v in d.items() if k not in ingress)
    ok = p["rx_frames"] == p["forwarded"] + ing and p["tx_offered"] == p["tx_frames"] + egr
    bad += not ok
    name, rx, fw, off, tx = p["name"], p["rx_frames"], p["forwarded"], p["tx_offered"], p["tx_frames"]
    print("   %s: rx %d = forwarded %d + ingress drops %d; offered %d = tx %d + egress drops %d [%s]" % (name, rx, fw, ing, off, tx, egr, "ok" if ok else "MISMATCH"))
sys.exit(1 if bad else 0)
' || balanced=0
}

sleep 2
snapshot start
start_balanced=$balanced

in_ns "${spaces[0]}" ping -f -q -w "$duration" 198.18.0.2 >/dev/null 2>&1 & load_pids+=($!)
if command -v iperf3 >/dev/null; then
  in_ns "${spaces[2]}" iperf3 -s -1 -p 5201 >/dev/null 2>&1 & load_pids+=($!)
  sleep 1
  in_ns "${spaces[1]}" iperf3 -c 198.18.0.3 -p 5201 -t "$duration" >/dev/null 2>&1 & load_pids+=($!)
  tcp="iperf3 TCP h2 -> h3"
else
  in_ns "${spaces[1]}" ping -q -s 1400 -i 0.002 -w "$duration" 198.18.0.3 >/dev/null 2>&1 & load_pids+=($!)
  tcp="1400-byte pings h2 -> h3 (no iperf3)"
fi
in_ns "${spaces[2]}" ping -q -s 8000 -i 0.01 -w "$duration" 198.18.0.1 >/dev/null 2>&1 & load_pids+=($!)
in_ns "${spaces[2]}" ping -q -b -i 0.05 -w "$duration" 198.18.0.255 >/dev/null 2>&1 & load_pids+=($!)
echo "== load for $duration s: ping -f h1 -> h2, $tcp, 8000-byte pings h3 -> h1, broadcast pings from h3"

step=$((duration / 10))
for k in $(seq 1 10); do
  sleep "$step"
  kill -0 "$switch_pid" 2>/dev/null || { echo "fastbridge died" >&2; cat "$log" >&2; exit 1; }
  echo "   t+$((k * step)) s: $(resources)"
done

deadline=$((SECONDS + 30))
for p in "${load_pids[@]}"; do
  while kill -0 "$p" 2>/dev/null && [[ $SECONDS -lt $deadline ]]; do sleep 0.5; done
  kill "$p" 2>/dev/null || true
done
load_pids=()
sleep 2
snapshot end
end_balanced=$balanced

# ---- The drop phase -------------------------------------------------------------------------------------------
mac() { in_ns "${spaces[$1]}" cat "/sys/class/net/${taps[$1]}/address"; }
# blast HOST COUNT DST SRC: COUNT raw frames (EtherType 0x88B5, local experimental: every stack ignores it) out of
# HOST's TAP, as fast as the kernel takes them (ENOBUFS: wait and retry).
blast() {
  in_ns "${spaces[$1]}" python3 -c '
import socket, sys, time
iface, count, dst, src = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
frame = bytes.fromhex(dst.replace(":", "")) + bytes.fromhex(src.replace(":", "")) + b"\x88\xb5" + b"fastbridge soak drop phase".ljust(46, b"\0")
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
for _ in range(count):
    while True:
        try:
            s.send(frame)
            break
        except OSError:
            time.sleep(0.001)
' "${taps[$1]}" "$2" "$3" "$4"
}
# The switch's drop counter REASON on port I, from stats --json.
drops_of() {
  "$cli" stats --json --control "$control" | python3 -c '
import json, sys
print(next(p for p in json.load(sys.stdin)["ports"] if p["name"] == sys.argv[1])["drops"].get(sys.argv[2], 0))' "${taps[$1]}" "$2"
}

echo "== drop phase"
m0=$(mac 0); m1=$(mac 1); m2=$(mac 2)
blast 0 20000 ff:ff:ff:ff:ff:ff 03:00:5e:00:53:01        # multicast source: invalid-source at h1's port
blast 0 20000 "$m0" "$m0"                                 # to itself, learned on its own port: same-port
blast 2 50000 ff:ff:ff:ff:ff:ff "$m2"                     # 50,000 broadcasts at full speed vs 1000/s: storm-limit
blast 0 200000 "$m2" "$m0" & b0=$!                        # two hosts at the third, at once: more than the switch reads
blast 1 200000 "$m2" "$m1" & b1=$!
wait "$b0" "$b1"
in_ns "${spaces[1]}" ip link set dev "${taps[1]}" down    # h2 goes down: frames to it are port-down
blast 0 5000 "$m1" "$m0"
blast 0 2000 ff:ff:ff:ff:ff:ff "$m0"
in_ns "${spaces[1]}" ip link set dev "${taps[1]}" up
back=0
for _ in $(seq 30); do in_ns "${spaces[0]}" ping -c 1 -W 1 198.18.0.2 >/dev/null 2>&1 && { back=1; break; }; done
forced=1
for check in "0 invalid-source" "0 same-port" "2 storm-limit" "1 port-down"; do
  read -r port reason <<<"$check"
  n=$(drops_of "$port" "$reason")
  printf '   %s: %s %d\n' "${taps[$port]}" "$reason" "$n"
  [[ $n -gt 0 ]] || forced=0
done
printf '   %s: ring-full %d (a TAP has no ring: expected 0)\n' "${taps[2]}" "$(drops_of 2 ring-full)"
if [[ $back -eq 1 ]]; then echo "   h1 pings h2 again after its link came back up"; else echo "   h2 did NOT answer after its link came back up"; fi
sleep 2
snapshot "after drops"
drops_balanced=$balanced

grep -E 'WARN|warn|fail|error' "$log" | head -5 || true
if [[ $forced -ne 1 || $back -ne 1 ]]; then
  echo "== drop phase: a forced drop did not count, or h2 did not come back (see above)"
  exit 1
fi
if [[ $start_balanced -eq 1 && $end_balanced -eq 1 && $drops_balanced -eq 1 ]]; then
  echo "== accounting: switch and kernel agree on every port, and rx = forwarded + ingress drops, offered = tx + egress drops, at the start, the end of the load and after the drop phase"
else
  echo "== accounting: MISMATCH (see above)"
  exit 1
fi
