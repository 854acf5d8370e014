#!/bin/bash
# The run behind README's "Metrics and profiling under load" (root; needs dotnet-counters, dotnet-trace, perf)
set -u
cd "$(dirname "$0")/.." && dotnet build src/FastBridge.Cli -c Release -nologo -v q >/dev/null
FB=$PWD/src/FastBridge.Cli/bin/Release/net10.0/fastbridge
OUT=${OUT:-/tmp/fastbridge-profile}; mkdir -p "$OUT"
S=$RANDOM
A=fbp${S}a; B=fbp${S}b; NA=fbp-$S-a; NB=fbp-$S-b
cleanup() { [ -n "${PID:-}" ] && kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null; ip netns del $NA 2>/dev/null; ip netns del $NB 2>/dev/null; }
trap cleanup EXIT
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 $FB run --tap $A --tap $B --workers 2 --metrics 127.0.0.1:9477 2>$OUT/fb-profile.log &
PID=$!
for i in $(seq 50); do [ -e /sys/class/net/$B ] && break; sleep 0.1; done
ip netns add $NA; ip netns add $NB
ip link set $A netns $NA; ip link set $B netns $NB
ip -n $NA addr add 198.18.7.1/24 dev $A; ip -n $NA link set $A up
ip -n $NB addr add 198.18.7.2/24 dev $B; ip -n $NB link set $B up
ip netns exec $NA ping -c 1 -W 2 198.18.7.2 >/dev/null
echo "PID=$PID; results in $OUT"
ip netns exec $NA ping -f -w 25 -q 198.18.7.2 > $OUT/fb-flood.txt 2>&1 &
FLOOD=$!
sleep 3
timeout 8 ~/.dotnet/tools/dotnet-counters monitor -p $PID --counters FastBridge --refresh-interval 2 > $OUT/fb-counters.txt 2>&1
~/.dotnet/tools/dotnet-trace collect -p $PID --duration 00:00:00:05 --format Speedscope -o $OUT/fb.nettrace > $OUT/fb-trace.txt 2>&1
perf record -F 499 -g -p $PID -o $OUT/fb-perf.data -- sleep 5 > $OUT/fb-perf-rec.txt 2>&1
perf report -i $OUT/fb-perf.data --no-children --sort dso,symbol -g none --stdio 2>/dev/null | grep -v '^#' | grep '%' | head -25 > $OUT/fb-perf-top.txt
wait $FLOOD
curl -s 127.0.0.1:9477/metrics | grep -E '^fastbridge_port_(rx|tx)_frames' > $OUT/fb-prom.txt
