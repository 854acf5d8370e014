#!/usr/bin/env bash
# Fuzz one FastBridge target with SharpFuzz + AFL++ (see tests/fuzz/README.md).
#
#   tests/fuzz/run.sh parser 600      # 10 minutes on the receive-side classification
#   tests/fuzz/run.sh control 600     # 10 minutes on the control protocol (framing, parsing, dispatch to a bridge)
#   tests/fuzz/run.sh ring 600        # 10 minutes on the netdev port's TPACKET_V2/V3 frame-header reader (RingFrame)
#   tests/fuzz/run.sh stream 600      # 10 minutes on the stream port's length framing (StreamFraming)
#   tests/fuzz/run.sh cmin control    # deliberate: minimise corpus/control + the last run's new inputs with afl-cmin
#
# A run never writes into the working tree: the build, AFL's output and the new inputs live in a scratch folder,
# $FASTBRIDGE_FUZZ_WORK (default /tmp/fastbridge-fuzz), per target. The committed corpus (corpus/TARGET) is only read
# (as seeds, and replayed first: a corpus input that fails is a regression, exit 1 before fuzzing). What AFL found
# is left in WORK/TARGET/new (deduplicated against the corpus); folding it into the corpus is `run.sh cmin TARGET`,
# which replaces corpus/TARGET with the afl-cmin minimum of both, for you to review and commit.
#
# Installs what it needs: afl++ (apt) and the SharpFuzz.CommandLine dotnet tool (local manifest in this folder).
# Exit: 0 no crash, 1 crashes (or a failing corpus input), 2 usage.
set -euo pipefail

usage() { echo "usage: $0 parser|control|ring|stream|vhost-message|vhost-walker|vxlan|dgram SECONDS | $0 cmin TARGET" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
mode=run
if [[ $1 == cmin ]]; then
  mode=cmin
  shift
  set -- "$1" 0
fi
target=$1
seconds=$2
[[ $seconds =~ ^[0-9]+$ ]] || usage
[[ $mode == cmin || $seconds -gt 0 ]] || usage

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

case $target in
  parser) instrument=() ;; # every type of FastBridge.dll
  control) instrument=(FastBridge.Control FastBridge.Frames.MacAddress FastBridge.Switching.MacTable) ;;
  ring) instrument=(FastBridge.Ports.Netdev.RingFrame) ;;
  vhost-message) instrument=(FastBridge.Ports.VhostUser) ;; # the port kind only (tests/fuzz/VhostTargets.cs)
  vhost-walker) instrument=(FastBridge.Ports.VhostUser FastBridge.Offloads FastBridge.Dataplane.GsoSegmenter) ;; # + the header checks and the cut (VhostWalkerTarget.Copy.cs)
  stream) instrument=(FastBridge.Ports.QemuSocket.StreamFraming) ;;
  vxlan) instrument=(FastBridge.Ports.Vxlan) ;; # the VXLAN port's receive path (tests/fuzz/VxlanDecapTarget.cs)
  dgram) instrument=(FastBridge.Ports.QemuDgram) ;; # the dgram port's receive checks (tests/fuzz/DgramReceiveTarget.cs)
  *) usage ;;
esac

if ! command -v afl-fuzz >/dev/null; then
  echo "installing afl++ ..." >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y afl++ >/dev/null
fi
dotnet tool restore >/dev/null

work=${FASTBRIDGE_FUZZ_WORK:-${TMPDIR:-/tmp}/fastbridge-fuzz}/$target
corpus=$here/corpus/$target
new=$work/new
findings=$work/findings
mkdir -p "$work" "$new"

# out/plain replays inputs (instrumented code needs AFL's shared memory, so it cannot); out/afl is what AFL runs.
out=$work/out
rm -rf "$out"
dotnet build FastBridge.Fuzz.csproj -c Release -o "$out/plain" -nologo -v quiet -clp:ErrorsOnly
cp -r "$out/plain" "$out/afl"
dotnet sharpfuzz "$out/afl/FastBridge.dll" "${instrument[@]}" >/dev/null
echo "instrumented $out/afl/FastBridge.dll (${instrument[*]})" >&2

# AFL_SKIP_BIN_CHECK: the target is dotnet, instrumented by SharpFuzz, not by afl-cc. AFL_NO_AFFINITY: other work
# may hold every core. -t 5000: a cold .NET start on a loaded machine is slow (a slow input is a hang, not a crash).
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
dictionary=()
[[ -f $here/$target.dict ]] && dictionary=(-x "$here/$target.dict")

if [[ $mode == cmin ]]; then
  all=$work/cmin-in
  rm -rf "$all" "$work/cmin-out"
  mkdir -p "$all"
  cp "$corpus"/* "$all"/ 2>/dev/null || true
  cp "$new"/* "$all"/ 2>/dev/null || true
  echo "afl-cmin over $(ls "$all" | wc -l) inputs (corpus/$target + $new) ..." >&2
  # AFL_ALLOW_TMP: the scratch folder is under /tmp by default; nobody else writes there.
  AFL_ALLOW_TMP=1 afl-cmin -i "$all" -o "$work/cmin-out" -t 5000 -m none -- "$(command -v dotnet)" "$out/afl/FastBridge.Fuzz.dll" "$target" >&2
  dotnet "$out/plain/FastBridge.Fuzz.dll" replay "$target" "$work/cmin-out"
  # The hand-written seeds (seed-*) stay, needed or not: they say what the target is meant to reach. The rest of
  # the corpus becomes what afl-cmin kept, named by content.
  rm -f "$corpus"/afl-*
  for entry in "$work/cmin-out"/*; do
    name=$(basename "$entry")
    [[ $name == seed-* ]] && continue
    cp "$entry" "$corpus/afl-$(sha1sum <"$entry" | cut -c1-16)"
  done
  rm -rf "$new" "$all"
  echo "corpus/$target: $(ls "$corpus" | wc -l) inputs, $(du -sh "$corpus" | cut -f1): review with git status, then commit" >&2
  exit 0
fi

mkdir -p "$corpus"
if ! dotnet "$out/plain/FastBridge.Fuzz.dll" replay "$target" "$corpus"; then
  echo "a corpus input fails before fuzzing: fix that first" >&2
  exit 1
fi

rm -rf "$findings"
mkdir -p "$findings"
echo "afl-fuzz on '$target' for $seconds s (output in $findings) ..." >&2
afl-fuzz -i "$corpus" -o "$findings" "${dictionary[@]}" -V "$seconds" -t 5000 -m none -- dotnet "$out/afl/FastBridge.Fuzz.dll" "$target" \
  >"$findings/afl.log" 2>&1 || { tail -30 "$findings/afl.log" >&2; echo "afl-fuzz failed" >&2; exit 1; }

stats=$findings/default/fuzzer_stats
grep -E '^(run_time|execs_done|execs_per_sec|cycles_done|corpus_count|corpus_found|saved_crashes|saved_hangs|stability|bitmap_cvg|edges_found|total_edges) ' "$stats" >&2 || true

added=0
declare -A known=()
for existing in "$corpus"/* "$new"/*; do
  [[ -f $existing ]] && known[$(sha1sum <"$existing" | cut -c1-40)]=1
done
for entry in "$findings"/default/queue/id:*; do
  [[ -f $entry ]] || continue
  sum=$(sha1sum <"$entry" | cut -c1-40)
  [[ -z ${known[$sum]:-} ]] || continue
  known[$sum]=1
  cp "$entry" "$new/afl-${sum:0:16}"
  added=$((added + 1))
done
echo "$new: $added new inputs ($(ls "$new" | wc -l) waiting); fold them into corpus/$target with: $0 cmin $target" >&2

crashes=("$findings"/default/crashes/id:*)
if [[ -e ${crashes[0]} ]]; then
  echo "CRASHES: ${#crashes[@]} in $findings/default/crashes" >&2
  mkdir -p "$findings/replay" && cp "${crashes[@]}" "$findings/replay/"
  dotnet "$out/plain/FastBridge.Fuzz.dll" replay "$target" "$findings/replay" || true
  exit 1
fi

echo "no crash: '$target' fuzzed for $seconds s" >&2
