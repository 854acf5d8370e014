#!/usr/bin/env bash
# Fuzz one FastBridge target with SharpFuzz + AFL++ for a given time, then fold what AFL found into the committed
# corpus and report crashes.
#
#   tests/fuzz/run.sh parser 600      # 10 minutes on FrameParser (scalar vs vector vs the reference rule)
#   tests/fuzz/run.sh control 600     # 10 minutes on the control protocol (framing, parsing, dispatch to a bridge)
#
# Installs what it needs: afl++ (apt) and the SharpFuzz.CommandLine dotnet tool (local manifest in this folder).
# Builds tests/fuzz into tests/fuzz/out, instruments a copy of FastBridge.dll with `dotnet sharpfuzz`, replays the corpus
# (a corpus input that fails is a regression: exit 1 before fuzzing), runs afl-fuzz -V SECONDS with
# corpus/TARGET as seeds and findings/TARGET as its output, copies AFL's queue back into corpus/TARGET (deduplicated
# by content, entries over 64 KiB left out so the corpus stays small), and replays every crash for its message.
# The control target instruments only FastBridge.Control, MacAddress and MacTable: the dataplane worker thread and the
# housekeeping timer run code of their own, which would make AFL's coverage unstable; the harness never creates a TAP
# (port-add by name is answered by the harness, see ControlTarget.cs).
# Exit: 0 no crash, 1 crashes (or a failing corpus input), 2 usage.
set -euo pipefail

usage() { echo "usage: $0 parser|control|vhost-message|vhost-walker SECONDS" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
target=$1
seconds=$2
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || usage

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

case $target in
  parser) instrument=() ;; # every type of FastBridge.dll
  control) instrument=(FastBridge.Control FastBridge.Frames.MacAddress FastBridge.Switching.MacTable) ;;
  vhost-message|vhost-walker) instrument=(FastBridge.Ports.VhostUser) ;; # the port kind only (tests/fuzz/VhostTargets.cs)
  *) usage ;;
esac

if ! command -v afl-fuzz >/dev/null; then
  echo "installing afl++ ..." >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y afl++ >/dev/null
fi
dotnet tool restore >/dev/null

# out/plain replays inputs (instrumented code needs AFL's shared memory, so it cannot); out/afl is what AFL runs.
out=$here/out
rm -rf "$out"
dotnet build FastBridge.Fuzz.csproj -c Release -o "$out/plain" -nologo -v quiet -clp:ErrorsOnly
cp -r "$out/plain" "$out/afl"
dotnet sharpfuzz "$out/afl/FastBridge.dll" "${instrument[@]}" >/dev/null
echo "instrumented $out/afl/FastBridge.dll" >&2

corpus=$here/corpus/$target
findings=$here/findings/$target
mkdir -p "$corpus"
if ! dotnet "$out/plain/FastBridge.Fuzz.dll" replay "$target" "$corpus"; then
  echo "a corpus input fails before fuzzing: fix that first" >&2
  exit 1
fi

rm -rf "$findings"
mkdir -p "$findings"
echo "afl-fuzz on '$target' for $seconds s ..." >&2
# AFL_SKIP_BIN_CHECK: the target is dotnet, instrumented by SharpFuzz, not by afl-cc. AFL_NO_AFFINITY: other work
# may hold every core. -t 5000: a cold .NET start on a loaded machine is slow (a slow input is a hang, not a crash).
AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
  afl-fuzz -i "$corpus" -o "$findings" -V "$seconds" -t 5000 -m none -- dotnet "$out/afl/FastBridge.Fuzz.dll" "$target" \
  >"$findings/afl.log" 2>&1 || { tail -30 "$findings/afl.log" >&2; echo "afl-fuzz failed" >&2; exit 1; }

stats=$findings/default/fuzzer_stats
grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|stability|bitmap_cvg) ' "$stats" >&2 || true

added=0
declare -A known=()
for existing in "$corpus"/*; do
  [[ -f $existing ]] && known[$(sha1sum <"$existing" | cut -c1-40)]=1
done
for entry in "$findings"/default/queue/id:*; do
  [[ -f $entry ]] || continue
  (( $(stat -c %s "$entry") <= 65536 )) || continue
  sum=$(sha1sum <"$entry" | cut -c1-40)
  [[ -z ${known[$sum]:-} ]] || continue
  known[$sum]=1
  cp "$entry" "$corpus/afl-${sum:0:16}"
  added=$((added + 1))
done
echo "corpus/$target: $added new inputs, $(ls "$corpus" | wc -l) in all, $(du -sh "$corpus" | cut -f1)" >&2

crashes=("$findings"/default/crashes/id:*)
if [[ -e ${crashes[0]} ]]; then
  echo "CRASHES: ${#crashes[@]} in $findings/default/crashes" >&2
  mkdir -p "$findings/replay" && cp "${crashes[@]}" "$findings/replay/"
  dotnet "$out/plain/FastBridge.Fuzz.dll" replay "$target" "$findings/replay" || true
  exit 1
fi

echo "no crash: '$target' fuzzed for $seconds s" >&2
