#!/bin/bash
# TCP through `fastbridge run` with TAP offloads on (default) and off (--no-offloads), interleaved (root; iperf3).
# Usage: perf/offloads.sh [REPS] [SECONDS]. Prints one line per run: mode, Gbit/s, retransmits, switch CPU seconds.
set -u
REPS=${1:-3}; SECS=${2:-3}
cd "$(dirname "$0")/.." && dotnet build src/FastBridge.Cli -c Release -nologo -v q >/dev/null
FB=$PWD/src/FastBridge.Cli/bin/Release/net10.0/fastbridge
S=$RANDOM
A=fbo${S}a; B=fbo${S}b; NA=fbo-$S-a; NB=fbo-$S-b
cleanup() {
  [ -n "${PID:-}" ] && kill -TERM $PID 2>/dev/null && wait $PID 2>/dev/null
  ip netns del $NA 2>/dev/null; ip netns del $NB 2>/dev/null; PID=
}
trap cleanup EXIT
cpu() { awk '{print $14 + $15}' /proc/$1/stat; }

one() { # $1 = on|off
  local flag=""; [ "$1" = off ] && flag=--no-offloads
  $FB run --tap $A --tap $B --workers 2 $flag 2>/tmp/fb-offloads-$1.log &
  PID=$!
  for i in $(seq 100); do [ -e /sys/class/net/$B ] && break; sleep 0.1; done
  ip netns add $NA; ip netns add $NB
  ip link set $A netns $NA; ip link set $B netns $NB
  ip -n $NA addr add 198.18.7.1/24 dev $A; ip -n $NA link set $A up
  ip -n $NB addr add 198.18.7.2/24 dev $B; ip -n $NB link set $B up
  ip netns exec $NA ping -c 1 -W 2 198.18.7.2 >/dev/null
  ip netns exec $NB iperf3 -s -1 -D -I /tmp/fb-iperf3-$S.pid >/dev/null
  sleep 0.3
  local c0; c0=$(cpu $PID)
  local json; json=$(ip netns exec $NA iperf3 -c 198.18.7.2 -t $SECS -J)
  local c1; c1=$(cpu $PID)
  local tck; tck=$(getconf CLK_TCK)
  echo "$json" | python3 -c "
import json,sys
j=json.load(sys.stdin); e=j['end']
print('%-4s %7.2f Gbit/s  retr %-6d switch-cpu %.2f s' % ('$1', e['sum_received']['bits_per_second']/1e9, e['sum_sent'].get('retransmits',0), ($c1-$c0)/$tck))"
  cleanup
}

for r in $(seq $REPS); do one on; one off; done
