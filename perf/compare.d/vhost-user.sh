#!/usr/bin/env bash
# FastBridge's vhost-user ports side by side with the peers a VM user would otherwise pick (recipes and earlier
# figures: ../shared/QEMU-NOTES.md). The frontend is one dpdk-testpmd with two virtio-user ports in io forwarding
# mode, started with `start tx_first N`: N bursts of 32 frames per port then circulate
#   port0 -> switch -> port1 -> testpmd -> port0   (and the other way round),
# so the rate testpmd receives is the rate the switch sustains (a lost frame lowers it for good). Against:
#   floor       dpdk-testpmd's vhost PMD forwarding port to port (io mode; C, no learning)
#   ovs         Open vSwitch with DPDK (ovs-vswitchd-dpdk, datapath_type=netdev, two dpdkvhostuser ports, NORMAL)
#   fastbridge  fastbridge run --vhost-user S0 --vhost-user S1 --workers 1 (skipped, with a message, while the binary
#               does not know --vhost-user)
# Every switch listens on two unix sockets and the frontend connects (virtio-user client). The switch gets one CPU
# (SWITCH_CPU: the whole process, every thread, under taskset), testpmd the other (GEN_CPU).
# Per (repetition, switch, frame size): start the switch, start the frontend, [64 B only: switch CPU over IDLE s with
# the frontend connected and idle], `start tx_first`, WARMUP s, then testpmd's own "Rx-pps (since last show)" over
# DURATION s, summed over both ports; switch CPU over the same window; then stop both. What left the loop is read per
# repetition too (a slow one is explained by it): testpmd's io-forwarding TX-dropped, and for FastBridge its drop
# counters by reason (`fastbridge stats --json`, read before the traffic starts and after it stopped). Repetitions alternate the
# order of the switches (A B C, C B A, ...), and the sizes alternate too. The report gives medians with min..max and
# each switch's ratio to the floor measured in the same repetition.
#
# Usage (root): perf/compare.sh vhost-user          (or bash perf/compare.d/vhost-user.sh)
# Environment: REPS (7), WARMUP (2 s), DURATION (3 s), IDLE (10 s; 0 = skip), SIZES ("64 1518"),
#              SWITCHES (subset of "floor ovs fastbridge"), SWITCH_CPU (0), GEN_CPU (1), BURSTS (8: tx_first N),
#              HUGEPAGES (1024 x 2 MiB: vm.nr_hugepages is raised to it when lower), FASTBRIDGE (binary; default: build
#              src/FastBridge.Cli Release), OUT (default perf/RESULTS.md: its "vhost-user" section is replaced or
#              appended; any other path gets the section alone), KEEP_RAW=1 (raw TSV next to OUT), PROFILE=DIR (a
#              flat `perf record -e cpu-clock` of the switch process over each measured window into
#              DIR/SWITCH-SIZEB-repN.data; FastBridge then runs with DOTNET_PerfMapEnabled=1 and
#              DOTNET_EnableWriteXorExecute=0 so its JIT-compiled methods have names (perf reads /tmp/perf-PID.map); perf itself then shares the machine: do not mix those rates with a plain run's).
# Creates only sockets, files, processes and DPDK file prefixes with a random suffix; no network device is created or
# touched (DPDK runs with --no-pci and virtio-user/vhost vdevs only). Removes what it created on exit (also on Ctrl-C or
# an error): processes it started (by PID), their hugepage files and /var/run/dpdk/<prefix>, a hugetlbfs mount it made.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REPS=${REPS:-7}
WARMUP=${WARMUP:-2}
DURATION=${DURATION:-3}
IDLE=${IDLE:-10}
SIZES=${SIZES:-"64 1518"}
SWITCHES=${SWITCHES:-"floor ovs fastbridge"}
SWITCH_CPU=${SWITCH_CPU:-0}
GEN_CPU=${GEN_CPU:-1}
BURSTS=${BURSTS:-8}
HUGEPAGES=${HUGEPAGES:-1024}
OUT=${OUT:-$ROOT/perf/RESULTS.md}
OVS_VSWITCHD_DPDK=${OVS_VSWITCHD_DPDK:-/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk}
PROFILE=${PROFILE:-}

[ "$(id -u)" = 0 ] || { echo "vhost-user.sh: must run as root (hugepages, DPDK)" >&2; exit 1; }

# shellcheck source=lib.sh
. "$ROOT/perf/compare.d/lib.sh"
lib_init fbvu
RAW_KEEP=${OUT%.md}.vhost-user.raw.tsv
declare -a PREFIXES=()      # DPDK --file-prefix values this script used
MOUNTED_HUGETLBFS=0
HUGEPAGES_BEFORE=""
SEQ=0                       # makes every DPDK prefix and socket name unique within the run

clean_prefix() {  # clean_prefix PREFIX: the hugepage files and the runtime folder of one DPDK process
  local p=$1
  [ -n "$p" ] || return 0
  rm -f "$HUGEDIR/${p}map_"* 2>/dev/null || true
  rm -rf "/var/run/dpdk/$p" 2>/dev/null || true
}

section_cleanup() {  # on exit, after the started processes are stopped: DPDK's files, the hugetlbfs mount, the pages
  local p
  for p in "${PREFIXES[@]}"; do clean_prefix "$p"; done
  if [ "$MOUNTED_HUGETLBFS" = 1 ]; then umount "$HUGEDIR" 2>/dev/null || true; fi
  if [ -n "$HUGEPAGES_BEFORE" ] \
     && [ "$(awk '/HugePages_Free/ { f = $2 } /HugePages_Total/ { t = $2 } END { print (f == t) }' /proc/meminfo)" = 1 ]; then
    echo "$HUGEPAGES_BEFORE" >/proc/sys/vm/nr_hugepages 2>/dev/null || true   # only when no page is in use
  fi
}

# ---------------------------------------------------------------------------------------------------------------
# Tools and hugepages
command -v dpdk-testpmd >/dev/null 2>&1 || { echo "vhost-user.sh: dpdk-testpmd missing (apt-get install dpdk)" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "vhost-user.sh: python3 is needed for the report" >&2; exit 1; }
HAVE_OVS=0
if [ -x "$OVS_VSWITCHD_DPDK" ] && command -v ovsdb-server >/dev/null 2>&1; then HAVE_OVS=1; fi

HUGEDIR=/dev/hugepages
have_pages=$(cat /proc/sys/vm/nr_hugepages)
if [ "$have_pages" -lt "$HUGEPAGES" ]; then
  HUGEPAGES_BEFORE=$have_pages
  echo "$HUGEPAGES" >/proc/sys/vm/nr_hugepages
  say "vm.nr_hugepages: $have_pages -> $(cat /proc/sys/vm/nr_hugepages)"
fi
existing=$(awk '$3 == "hugetlbfs" { print $2; exit }' /proc/mounts)
if [ -n "$existing" ]; then
  HUGEDIR=$existing
else
  mkdir -p "$HUGEDIR"
  mount -t hugetlbfs nodev "$HUGEDIR"
  MOUNTED_HUGETLBFS=1
fi

FASTBRIDGE_OK=0
FASTBRIDGE_WHY=""
if [[ " $SWITCHES " == *" fastbridge "* ]]; then
  build_fastbridge
  if "$FASTBRIDGE" run --help 2>&1 | grep -q -- '--vhost-user'; then
    FASTBRIDGE_OK=1
  else
    FASTBRIDGE_WHY="this fastbridge binary has no --vhost-user option yet (the vhost-user port is not merged)"
  fi
fi

available() {  # available SWITCH: whether it can run here; the reason goes to SKIP_WHY
  case $1 in
    floor) return 0 ;;
    ovs) SKIP_WHY="openvswitch-switch-dpdk is not installed ($OVS_VSWITCHD_DPDK)"; [ "$HAVE_OVS" = 1 ] ;;
    fastbridge) SKIP_WHY=$FASTBRIDGE_WHY; [ "$FASTBRIDGE_OK" = 1 ] ;;
    *) echo "vhost-user.sh: unknown switch '$1'" >&2; exit 2 ;;
  esac
}

# ---------------------------------------------------------------------------------------------------------------
# dpdk-testpmd driven over a FIFO: its stdin is a FIFO this script holds open (fd TP_FD_<role>), its stdout a log.
new_prefix() { SEQ=$((SEQ + 1)); PREFIX="fbvu$SUF$1$SEQ"; PREFIXES+=("$PREFIX"); }

declare -A TP_PID=() TP_LOG=() TP_FD=() TP_PREFIX=()

testpmd_start() {  # testpmd_start ROLE CPU ARGS...: dpdk-testpmd -i on CPU (every thread); waits for its prompt
  local role=$1 cpu=$2 fifo log fd i
  shift 2
  new_prefix "$role"
  fifo=$WORK/$PREFIX.in
  log=$WORK/$PREFIX.log
  mkfifo "$fifo"
  # stdbuf: testpmd's answers are printf()s, block-buffered into a file otherwise. The shell opens the FIFO (and
  # blocks) in the child, then execs: $! is testpmd's PID.
  stdbuf -oL taskset -c "$cpu" dpdk-testpmd --lcores "0@$cpu,1@$cpu" --main-lcore 1 --file-prefix="$PREFIX" \
    --no-pci --single-file-segments -m 256 "$@" <"$fifo" >"$log" 2>&1 &
  TP_PID[$role]=$!
  STARTED+=("${TP_PID[$role]}")
  exec {fd}>"$fifo"
  TP_FD[$role]=$fd
  TP_LOG[$role]=$log
  TP_PREFIX[$role]=$PREFIX
  for i in $(seq 600); do
    grep -q '^testpmd> ' "$log" 2>/dev/null && return 0
    kill -0 "${TP_PID[$role]}" 2>/dev/null || break
    sleep 0.1
  done
  say "testpmd ($role) did not reach its prompt:"
  tail -15 "$log" | tee -a "$LOG" >&2
  return 1
}

testpmd_cmd() { echo "$2" >&"${TP_FD[$1]}"; }

testpmd_stats() {  # testpmd_stats ROLE: "rx_total rx_pps_total tx_total tx_errors nombuf" from a fresh `show port stats all`
  local role=$1 log=${TP_LOG[$1]} before i
  before=$(grep -c 'NIC statistics for port 1 ' "$log" || true)
  testpmd_cmd "$role" "show port stats all"
  for i in $(seq 200); do   # until port 1's new block is complete (its closing line of #)
    if [ "$(grep -c 'NIC statistics for port 1 ' "$log" || true)" -gt "$before" ] \
       && awk '/NIC statistics for port 1 / { done = 0; s = 1; next } s && /^ +#+$/ { done = 1 } END { exit !done }' "$log"; then
      break
    fi
    sleep 0.05
  done
  # The last block of each port: RX-packets, Rx-pps, TX-packets, TX-errors, RX-nombuf.
  awk '
    /NIC statistics for port [0-9]+ / { p = $6 + 0; rx[p] = pps[p] = tx[p] = txe[p] = nb[p] = 0 }
    /RX-packets:/ { rx[p] = $2 }
    /RX-nombuf:/ { nb[p] = $2 }
    /TX-packets:/ { tx[p] = $2; txe[p] = $4 }
    /Rx-pps:/ { pps[p] = $2 }
    END { printf "%d %d %d %d %d\n", rx[0] + rx[1], pps[0] + pps[1], tx[0] + tx[1], txe[0] + txe[1], nb[0] + nb[1] }
  ' "$log"
}

testpmd_stop() {  # testpmd_stop ROLE: quit, close its stdin, wait; then its hugepage files go
  local role=$1 pid=${TP_PID[$1]:-} i
  [ -n "$pid" ] || return 0
  testpmd_cmd "$role" "stop" 2>/dev/null || true
  testpmd_cmd "$role" "quit" 2>/dev/null || true
  exec {TP_FD[$role]}>&-
  for i in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  stop_pid "$pid"
  forget_pid "$pid"
  clean_prefix "${TP_PREFIX[$role]}"
  unset "TP_PID[$role]"
}

# ---------------------------------------------------------------------------------------------------------------
# The switches. Each listens on S0 and S1 and sets SWITCH_PID (the process whose CPU is the switch's).
SWITCH_PID=""
OVS_DIR=""

wait_for_socket() {  # wait_for_socket PATH: up to 60 s
  local i
  for i in $(seq 600); do
    [ -S "$1" ] && return 0
    sleep 0.1
  done
  say "socket $1 did not appear"
  return 1
}

ovs_vsctl() { ovs-vsctl --db="unix:$OVS_DIR/db.sock" --timeout=60 "$@"; }

ovs_start() {  # OVS_DIR, S0 and S1 are set
  mkdir -p "$OVS_DIR"
  export OVS_RUNDIR=$OVS_DIR OVS_LOGDIR=$OVS_DIR OVS_DBDIR=$OVS_DIR OVS_SYSCONFDIR=$OVS_DIR OVS_PKGDATADIR=/usr/share/openvswitch
  ovsdb-tool create "$OVS_DIR/conf.db" /usr/share/openvswitch/vswitch.ovsschema
  ovsdb-server "$OVS_DIR/conf.db" --remote="punix:$OVS_DIR/db.sock" --unixctl="$OVS_DIR/ovsdb.ctl" \
    --pidfile="$OVS_DIR/ovsdb.pid" --log-file="$OVS_DIR/ovsdb.log" --detach --no-chdir >>"$LOG" 2>&1
  pid_from_file "$OVS_DIR/ovsdb.pid" 30
  ovs_vsctl --no-wait init >>"$LOG" 2>&1
  new_prefix ovs
  local mask
  mask=$(printf '0x%x' $((1 << SWITCH_CPU)))
  # One core: the DPDK main lcore, the PMD thread and every other thread of ovs-vswitchd (taskset) on SWITCH_CPU.
  ovs_vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true other_config:dpdk-lcore-mask="$mask" \
    other_config:pmd-cpu-mask="$mask" other_config:dpdk-socket-mem=512 other_config:per-port-memory=true \
    other_config:dpdk-extra="--no-pci --single-file-segments --file-prefix=$PREFIX"
  taskset -c "$SWITCH_CPU" "$OVS_VSWITCHD_DPDK" "unix:$OVS_DIR/db.sock" --unixctl="$OVS_DIR/vswitchd.ctl" \
    --pidfile="$OVS_DIR/vswitchd.pid" --log-file="$OVS_DIR/vswitchd.log" --detach --no-chdir >>"$LOG" 2>&1
  pid_from_file "$OVS_DIR/vswitchd.pid" 30
  SWITCH_PID=$PID_READ
  ovs_vsctl add-br "br$SUF" -- set bridge "br$SUF" datapath_type=netdev >>"$LOG" 2>&1
  # dpdkvhostuser: OVS is the socket server and creates OVS_RUNDIR/<port name>.
  ovs_vsctl add-port "br$SUF" "$(basename "$S0")" -- set interface "$(basename "$S0")" type=dpdkvhostuser >>"$LOG" 2>&1
  ovs_vsctl add-port "br$SUF" "$(basename "$S1")" -- set interface "$(basename "$S1")" type=dpdkvhostuser >>"$LOG" 2>&1
}

switch_start() {  # switch_start NAME: S0 and S1 exist and listen afterwards
  SWITCH_PID=""
  SEQ=$((SEQ + 1))
  case $1 in
    floor)
      S0=$WORK/f$SEQ-0.sock
      S1=$WORK/f$SEQ-1.sock
      testpmd_start switch "$SWITCH_CPU" --vdev "net_vhost0,iface=$S0,queues=1" --vdev "net_vhost1,iface=$S1,queues=1" \
        -- -i --forward-mode=io --nb-cores=1 --total-num-mbufs=16384 || return 1
      SWITCH_PID=${TP_PID[switch]}
      testpmd_cmd switch start
      ;;
    ovs)
      OVS_DIR=$WORK/ovs$SEQ
      S0=$OVS_DIR/vu0$SUF
      S1=$OVS_DIR/vu1$SUF
      ovs_start || return 1
      ;;
    fastbridge)
      S0=$WORK/fb$SEQ-0.sock
      S1=$WORK/fb$SEQ-1.sock
      FB_CTL=$WORK/fb$SEQ.ctl
      DOTNET_PerfMapEnabled=$([ -n "$PROFILE" ] && echo 1 || echo 0) \
      DOTNET_EnableWriteXorExecute=$([ -n "$PROFILE" ] && echo 0 || echo 1) \
      taskset -c "$SWITCH_CPU" "$FASTBRIDGE" run --vhost-user "$S0" --vhost-user "$S1" --workers 1 \
        --name "fbvu$SUF" --control "$FB_CTL" >"$WORK/fastbridge-$SEQ.log" 2>&1 </dev/null &
      SWITCH_PID=$!
      STARTED+=("$SWITCH_PID")
      ;;
  esac
  wait_for_socket "$S0" && wait_for_socket "$S1"
}

switch_stop() {
  if [ -n "${TP_PID[switch]:-}" ]; then testpmd_stop switch; fi
  stop_started
  if [ -n "$OVS_DIR" ]; then
    unset OVS_RUNDIR OVS_LOGDIR OVS_DBDIR OVS_SYSCONFDIR OVS_PKGDATADIR
    OVS_DIR=""
  fi
  local p
  for p in "${PREFIXES[@]}"; do clean_prefix "$p"; done
}

frontend_start() {
  testpmd_start gen "$GEN_CPU" \
    --vdev "net_virtio_user0,path=$S0,queues=1,mac=02:00:00:00:00:01" \
    --vdev "net_virtio_user1,path=$S1,queues=1,mac=02:00:00:00:00:02" \
    -- -i --forward-mode=io --nb-cores=1 --total-num-mbufs=8192 \
    --eth-peer=0,02:00:00:00:00:02 --eth-peer=1,02:00:00:00:00:01 || return 1
  if ! grep -q 'Port 1: 02:00:00:00:00:02' "${TP_LOG[gen]}"; then
    say "the frontend did not configure both virtio-user ports"
    tail -15 "${TP_LOG[gen]}" | tee -a "$LOG" >&2
    return 1
  fi
}

# ---------------------------------------------------------------------------------------------------------------
# Measurements
record() { printf '%s\t%s\t%s\t%s\n' "$REP" "$SW" "$1" "$2" >>"$RAW"; }

FB_CTL=""
fb_stats() {  # fb_stats FILE: FastBridge's counters (`stats --json`) into FILE (empty when the switch does not answer)
  timeout 20 "$FASTBRIDGE" stats --json --control "$FB_CTL" >"$1" 2>/dev/null || : >"$1"
}

fb_drops() {  # fb_drops BEFORE AFTER: "traffic total reasons" of FastBridge's drops, both ports: since the traffic
              # started (AFTER - BEFORE), since the switch started (AFTER), and the non-zero reasons of the latter
  python3 - "$1" "$2" <<'PY'
import json, sys
def drops(path):
    try:
        doc = json.load(open(path, encoding="utf-8"))
    except (OSError, ValueError):
        return None
    total = {}
    for port in doc.get("ports", []):
        for reason, n in (port.get("drops") or {}).items():
            total[reason] = total.get(reason, 0) + n
    return total
before, after = drops(sys.argv[1]), drops(sys.argv[2])
if after is None:
    print("nan nan unreadable")
else:
    traffic = sum(after.values()) - sum(before.values()) if before is not None else float("nan")
    reasons = ",".join(f"{r}={n}" for r, n in sorted(after.items()) if n) or "none"
    print(traffic, sum(after.values()), reasons)
PY
}

gen_fwd_dropped() {  # after `stop`: frames the frontend's io forwarding dropped (its TX ring to the switch full),
                     # both ports, since `start tx_first` (testpmd prints the forward statistics when it stops)
  local log=${TP_LOG[gen]} i
  for i in $(seq 100); do
    grep -q 'Accumulated forward statistics' "$log" && grep -q '^Done\.' "$log" && break
    sleep 0.05
  done
  awk '/Accumulated forward statistics/ { a = 1; next } a && /TX-dropped:/ { for (i = 1; i < NF; i++) if ($i == "TX-dropped:") d = $(i + 1); a = 0 }
       END { print (d == "" ? "nan" : d) }' "$log"
}

cpu_ns() {  # cpu_ns [PID]: CPU time of PID (default SWITCH_PID), all its threads, in ns (schedstat: finer than
            # utime+stime's clock ticks)
  local pid=${1:-$SWITCH_PID}
  if [ -n "$pid" ] && [ -d "/proc/$pid/task" ]; then
    cat /proc/"$pid"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
  else
    echo 0
  fi
}

measure_idle() {  # the frontend is connected and sends nothing: what does the switch burn?
  local c0 c1 t0 t1
  sleep 1
  c0=$(cpu_ns); t0=$(date +%s.%N)
  sleep "$IDLE"
  c1=$(cpu_ns); t1=$(date +%s.%N)
  local pct
  pct=$(python3 -c "print(f'{100.0 * ($c1 - $c0) / 1e9 / ($t1 - $t0):.1f}')")
  record idle_cpu_pct "$pct"
  say "  $SW idle: switch CPU $pct % of a core over ${IDLE} s"
}

measure_load() {  # measure_load SIZE
  local size=$1 s0 s1 c0 c1 g0 g1 t0 t1
  testpmd_cmd gen "set txpkts $size"
  # Before the traffic, not at the window: the first stats request JIT-compiles the switch's stats path, which must
  # not fall into the measured window (a profile showed it there).
  if [ "$SW" = fastbridge ]; then fb_stats "$WORK/fb0.json"; fi
  testpmd_cmd gen "start tx_first $BURSTS"
  sleep "$WARMUP"
  read -r -a s0 <<<"$(testpmd_stats gen)"
  c0=$(cpu_ns); g0=$(cpu_ns "${TP_PID[gen]}"); t0=$(date +%s.%N)
  if [ -n "$PROFILE" ] && [ -n "$SWITCH_PID" ]; then
    mkdir -p "$PROFILE"
    perf record -q -e cpu-clock -F 4999 -p "$SWITCH_PID" -o "$PROFILE/$SW-${size}B-rep$REP.data" -- sleep "$DURATION" \
      >>"$LOG" 2>&1 || sleep "$DURATION"
  else
    sleep "$DURATION"
  fi
  read -r -a s1 <<<"$(testpmd_stats gen)"
  c1=$(cpu_ns); g1=$(cpu_ns "${TP_PID[gen]}"); t1=$(date +%s.%N)
  testpmd_cmd gen stop
  # Why a repetition is slow: frames lost from the loop (each lowers the rate for good) and by whom.
  record "gen_fwd_dropped_$size" "$(gen_fwd_dropped)"
  if [ "$SW" = fastbridge ]; then
    local fw ft fr
    fb_stats "$WORK/fb1.json"
    read -r fw ft fr <<<"$(fb_drops "$WORK/fb0.json" "$WORK/fb1.json")"
    record "fb_drops_traffic_$size" "$fw"
    record "fb_drops_total_$size" "$ft"
    record "fb_drop_reasons_$size" "$fr"
  fi
  python3 - "$size" "${s0[0]}" "${s1[0]}" "${s1[1]}" "$t0" "$t1" "$((c1 - c0))" "$((g1 - g0))" \
      "$((s1[3] - s0[3]))" "$((s1[4] - s0[4]))" >"$WORK/m" <<'PY'
import sys
size = sys.argv[1]
rx0, rx1, pps, t0, t1, cpu_ns, gen_ns, txerr, nombuf = (float(a) for a in sys.argv[2:])
dt = t1 - t0
mpps = pps / 1e6                      # testpmd's own rate over the window (TSC-timed), both ports
mpps_counted = (rx1 - rx0) / dt / 1e6  # the same from the counters and this script's clock (cross-check)
gbps = mpps * 1e6 * (int(size) - 4) * 8 / 1e9
print(f"mpps_{size} {mpps:.3f}")
print(f"mpps_counted_{size} {mpps_counted:.3f}")
print(f"gbps_{size} {gbps:.2f}")
print(f"load_cpu_pct_{size} {100.0 * cpu_ns / 1e9 / dt:.1f}")
# The frontend forwards every frame too: when the scheduler starves it, it (not the switch) sets the rate.
print(f"gen_cpu_pct_{size} {100.0 * gen_ns / 1e9 / dt:.1f}")
# CPU the switch spent per frame it forwarded: on a shared machine the scheduler decides the share a poller gets,
# so this (not the rate alone) is the efficiency to compare.
print(f"ns_per_frame_{size} {cpu_ns / (rx1 - rx0) if rx1 > rx0 else float('nan'):.0f}")
print(f"tx_errors_{size} {int(txerr)}")
print(f"rx_nombuf_{size} {int(nombuf)}")
PY
  local k v
  while read -r k v; do record "$k" "$v"; done <"$WORK/m"
  say "  $SW ${size}B: $(tr '\n' ' ' <"$WORK/m")$(awk -v r="$REP" -v w="$SW" -v z="_$size" \
    '$1 == r && $2 == w && ($3 ~ /^gen_fwd_dropped_/ || $3 ~ /^fb_drop/) && index($3, z) { printf "%s %s ", $3, $4 }' "$RAW")"
}

# ---------------------------------------------------------------------------------------------------------------
# Run: repetitions alternate the switch order (and the size order), each measurement on a fresh switch and frontend.
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED_AT=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
T0=$SECONDS
say "vhost-user compare: REPS=$REPS WARMUP=$WARMUP DURATION=$DURATION IDLE=$IDLE sizes: $SIZES switches: $SWITCHES (load $LOAD_BEFORE)"
declare -A SKIPPED=()
for SW in $SWITCHES; do
  if ! available "$SW"; then
    say "skipping $SW: $SKIP_WHY"
    SKIPPED[$SW]=$SKIP_WHY
  fi
done
order=()
for SW in $SWITCHES; do [ -n "${SKIPPED[$SW]:-}" ] || order+=("$SW"); done
sizes=($SIZES)
for REP in $(seq "$REPS"); do
  if ((REP % 2 == 0)); then
    run_order=(); for ((i = ${#order[@]} - 1; i >= 0; i--)); do run_order+=("${order[$i]}"); done
    run_sizes=(); for ((i = ${#sizes[@]} - 1; i >= 0; i--)); do run_sizes+=("${sizes[$i]}"); done
  else
    run_order=("${order[@]}"); run_sizes=("${sizes[@]}")
  fi
  for size in "${run_sizes[@]}"; do
    for SW in "${run_order[@]}"; do
      say "rep $REP/$REPS: $SW ${size} B"
      record load1 "$(cut -d' ' -f1 /proc/loadavg)"
      if switch_start "$SW" && frontend_start; then
        if [ "$size" = "${sizes[0]}" ] && [ "$IDLE" != 0 ]; then measure_idle; fi
        measure_load "$size"
        if [ -n "$SWITCH_PID" ] && ! kill -0 "$SWITCH_PID" 2>/dev/null; then
          say "$SW: the switch process $SWITCH_PID died during the test"
          record died 1
        fi
      else
        say "$SW: setup failed; this measurement is skipped"
        record setup_failed 1
      fi
      testpmd_stop gen 2>/dev/null || true
      if [ "$SW" = fastbridge ]; then
        grep -h -i -E 'unhandled|exception|fatal' "$WORK"/fastbridge-*.log 2>/dev/null | head -5 >&2 || true
      fi
      switch_stop
    done
  done
done
ELAPSED=$((SECONDS - T0))
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------------------------------------------
# Report
{
  echo "cpu=$(lscpu | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2; exit }')"
  echo "cores=$(nproc)"
  echo "kernel=$(uname -r)"
  echo "memory=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "v_fastbridge=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
  echo "v_dpdk=$(dpkg-query -W -f '${Version}' dpdk 2>/dev/null || echo unknown)"
  echo "v_ovs=$("$OVS_VSWITCHD_DPDK" --version 2>/dev/null | head -1 || true)"
  echo "reps=$REPS"
  echo "warmup=$WARMUP"
  echo "duration=$DURATION"
  echo "idle=$IDLE"
  echo "bursts=$BURSTS"
  echo "switch_cpu=$SWITCH_CPU"
  echo "gen_cpu=$GEN_CPU"
  echo "started=$STARTED_AT"
  echo "elapsed=$ELAPSED"
  echo "load_before=$LOAD_BEFORE"
  echo "load_after=$LOAD_AFTER"
  echo "sizes=$SIZES"
  echo "switches=$SWITCHES"
  for SW in "${!SKIPPED[@]}"; do echo "skipped_$SW=${SKIPPED[$SW]}"; done
} >"$WORK/meta"
python3 - "$RAW" "$WORK/meta" "$OUT" <<'PY'
# The "vhost-user" section: medians (min..max) per switch and size, each switch's ratio to the floor of the same
# repetition, idle CPU; replaces the section between its markers in OUT, or appends it.
import os, statistics, sys

raw_path, meta_path, out_path = sys.argv[1:4]
BEGIN = "<!-- vhost-user section: written by perf/compare.d/vhost-user.sh; text after the end marker is kept -->"
END = "<!-- vhost-user section end -->"
meta = {}
for line in open(meta_path, encoding="utf-8"):
    if "=" in line:
        k, v = line.rstrip("\n").split("=", 1)
        meta[k] = v
data = {}   # (switch, key) -> {rep: float}
text = {}   # (switch, key) -> {rep: str}: what is not a number (FastBridge's drop reasons)
for line in open(raw_path, encoding="utf-8"):
    rep, sw, key, value = line.rstrip("\n").split("\t")
    try:
        v = float(value)
    except ValueError:
        text.setdefault((sw, key), {})[rep] = value
        continue
    if v == v:   # not NaN
        data.setdefault((sw, key), {})[rep] = v

def fmt(v):
    if v >= 100: return f"{v:.0f}"
    if v >= 10: return f"{v:.1f}"
    return f"{v:.2f}"

def cell(vals):
    if not vals: return "n/a"
    if len(vals) == 1: return fmt(vals[0])
    return f"{fmt(statistics.median(vals))} ({fmt(min(vals))}..{fmt(max(vals))})"

def values(sw, key): return list(data.get((sw, key), {}).values())

def ratios(sw, key):
    mine, floor = data.get((sw, key), {}), data.get(("floor", key), {})
    return [mine[r] / floor[r] for r in mine if r in floor and floor[r] > 0]

sizes = meta.get("sizes", "64 1518").split()
names = {"floor": "DPDK testpmd vhost PMD, io (floor)", "ovs": "Open vSwitch-DPDK (netdev, dpdkvhostuser, NORMAL)",
         "fastbridge": "FastBridge `--vhost-user` x2, `--workers 1`"}
switches = meta.get("switches", "").split()
lines = []
w = lines.append
w(BEGIN)
w("# vhost-user: FastBridge against Open vSwitch-DPDK and the DPDK floor")
w("")
w(f"Produced by `perf/compare.sh vhost-user` on {meta.get('started', '?')} in {meta.get('elapsed', '?')} s: "
  f"{meta.get('reps', '?')} repetitions, each a fresh switch and frontend, {meta.get('warmup', '?')} s warm-up then "
  f"{meta.get('duration', '?')} s measured; the order of the switches and of the sizes alternates from one repetition "
  "to the next. Cells are medians with (min..max); \"x floor\" is the ratio to the floor measured in the same "
  "repetition (median of the per-repetition ratios).")
w("")
w(f"- Machine: {meta.get('cpu', '?')}, {meta.get('cores', '?')} cores, {meta.get('memory', '?')}, kernel "
  f"{meta.get('kernel', '?')}; load average before {meta.get('load_before', '?')}, after {meta.get('load_after', '?')} "
  "(shared with other work: see the spread)")
w(f"- FastBridge {meta.get('v_fastbridge', '?')} (Release); DPDK {meta.get('v_dpdk', '?')}; {meta.get('v_ovs', '?')}")
w(f"- Switch on CPU {meta.get('switch_cpu', '?')} (every thread), testpmd frontend on CPU {meta.get('gen_cpu', '?')}")
for k, v in sorted(meta.items()):
    if k.startswith("skipped_"):
        w(f"- **{k[8:]} not measured**: {v}")
w("")
head = ["switch"]
for size in sizes:
    head += [f"{size} B Mpps", f"{size} B x floor"]
    if int(size) > 200: head.append(f"{size} B Gbit/s")
    head += [f"{size} B CPU ns/frame", f"{size} B ns/frame x floor"]
head += ["switch CPU idle, % of a core", f"switch CPU under {sizes[0]} B load, %", f"frontend CPU under {sizes[0]} B load, %"]
w("| " + " | ".join(head) + " |")
w("|---|" + "---:|" * (len(head) - 1))
for sw in switches:
    if not any(k[0] == sw for k in data): continue
    row = [names.get(sw, sw)]
    for size in sizes:
        row.append(cell(values(sw, f"mpps_{size}")))
        row.append("1" if sw == "floor" else cell(ratios(sw, f"mpps_{size}")))
        if int(size) > 200: row.append(cell(values(sw, f"gbps_{size}")))
        row.append(cell(values(sw, f"ns_per_frame_{size}")))
        row.append("1" if sw == "floor" else cell(ratios(sw, f"ns_per_frame_{size}")))
    row.append(cell(values(sw, "idle_cpu_pct")))
    row.append(cell(values(sw, f"load_cpu_pct_{sizes[0]}")))
    row.append(cell(values(sw, f"gen_cpu_pct_{sizes[0]}")))
    w("| " + " | ".join(row) + " |")
w("")
# Every repetition, to explain the spread: a slow one with frames lost from the loop (by the switch: its drop
# reasons; by the frontend: TX-dropped) or with the frontend starved of CPU (the load average, frontend CPU).
per_rep = [sw for sw in switches if any(k[0] == sw for k in data)]
if per_rep:
    w("Per repetition (64 B first; \"lost\" = frames dropped since `start tx_first`, each lowering the loop's rate for "
      "good: by the switch (FastBridge's drop counters, both ports, with the reasons since it started) and by "
      "the frontend (testpmd io forwarding's TX-dropped: the switch's ring towards it full)):")
    w("")
    w("| rep | size | switch | load1 | Mpps | switch CPU % | frontend CPU % | CPU ns/frame | lost by the switch | lost by the frontend |")
    w("|---:|---:|---|---:|---:|---:|---:|---:|---|---:|")
    reps = sorted({r for (sw, k), v in data.items() for r in v}, key=int)
    for rep in reps:
        for size in sizes:
            for sw in per_rep:
                def g(key, sw=sw, rep=rep):
                    return data.get((sw, key), {}).get(rep)
                mpps = g(f"mpps_{size}")
                if mpps is None:
                    continue
                lost = "n/a"
                if sw == "fastbridge":
                    total, traffic = g(f"fb_drops_total_{size}"), g(f"fb_drops_traffic_{size}")
                    reasons = text.get((sw, f"fb_drop_reasons_{size}"), {}).get(rep, "")
                    if total is not None:
                        lost = f"{traffic:g}" if traffic is not None else f"{total:g} (since start)"
                        lost += f": {reasons}" if reasons and reasons != "none" else ""
                gen_lost = g(f"gen_fwd_dropped_{size}")
                gen_lost = None if gen_lost is None else f"{gen_lost:g}"
                cells = [rep, size, sw, g("load1"), mpps, g(f"load_cpu_pct_{size}"), g(f"gen_cpu_pct_{size}"),
                         g(f"ns_per_frame_{size}"), lost, gen_lost]
                w("| " + " | ".join("n/a" if c is None else (fmt(c) if isinstance(c, float) else str(c)) for c in cells) + " |")
    w("")

problems = []
for (sw, key), reps in sorted(data.items()):
    if key in ("died", "setup_failed") or (key.startswith(("tx_errors_", "rx_nombuf_")) and any(reps.values())):
        problems.append(f"{sw} {key}: " + ", ".join(f"rep {r}: {v:g}" for r, v in sorted(reps.items())))
if problems:
    w("Anomalies (frames the frontend failed to send, mbuf shortages, failed setups, switches that died):")
    w("")
    for p in problems: w(f"- {p}")
    w("")
w("Mpps is the frames per second the switch forwards, both directions together (testpmd's `Rx-pps` summed over its "
  "two ports: every frame testpmd receives crossed the switch once). Gbit/s counts the frame without FCS. CPU is "
  "the switch process's run time (all threads, /proc/PID/task/*/schedstat): idle = the frontend connected and "
  f"sending nothing, over {meta.get('idle', '?')} s (a poll-mode switch burns its core even then); "
  "CPU ns/frame = that run time over the measured window divided by the frames forwarded in it. On a machine shared "
  "with other work the scheduler, not the switch, decides how much of its core a poller gets, so the rate swings "
  "with the load; CPU per frame is the switch's own cost and the steadier comparison.")
w("")
w("How it was measured (exact commands; S0/S1 are the switch's sockets, X a unique DPDK file prefix):")
w("")
w("```")
w(f"# frontend (CPU {meta.get('gen_cpu', 1)}); then: set txpkts SIZE; start tx_first {meta.get('bursts', 8)}; "
  "show port stats all (after the warm-up, and again after the window); stop")
w("taskset -c G dpdk-testpmd --lcores 0@G,1@G --main-lcore 1 --file-prefix=X --no-pci --single-file-segments -m 256 \\")
w("  --vdev net_virtio_user0,path=S0,queues=1,mac=02:00:00:00:00:01 --vdev net_virtio_user1,path=S1,queues=1,mac=02:00:00:00:00:02 \\")
w("  -- -i --forward-mode=io --nb-cores=1 --total-num-mbufs=8192 --eth-peer=0,02:00:00:00:00:02 --eth-peer=1,02:00:00:00:00:01")
w("# floor (CPU C), then: start")
w("taskset -c C dpdk-testpmd --lcores 0@C,1@C --main-lcore 1 --file-prefix=X --no-pci --single-file-segments -m 256 \\")
w("  --vdev net_vhost0,iface=S0,queues=1 --vdev net_vhost1,iface=S1,queues=1 -- -i --forward-mode=io --nb-cores=1 --total-num-mbufs=16384")
w("# Open vSwitch-DPDK: private ovsdb-server; other_config: dpdk-init=true dpdk-lcore-mask=pmd-cpu-mask=1<<C")
w("#   dpdk-socket-mem=512 per-port-memory=true dpdk-extra='--no-pci --single-file-segments --file-prefix=X'")
w("taskset -c C /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk unix:DB --detach ...")
w("ovs-vsctl add-br BR -- set bridge BR datapath_type=netdev")
w("ovs-vsctl add-port BR vu0 -- set interface vu0 type=dpdkvhostuser   # and vu1; the default flow is NORMAL")
w("# FastBridge")
w("taskset -c C fastbridge run --vhost-user S0 --vhost-user S1 --workers 1 --name N --control P")
w("```")
w("")
w("Run it again: `sudo perf/compare.sh vhost-user` (REPS=7 WARMUP=2 DURATION=3 IDLE=10; SWITCHES, SIZES, "
  "SWITCH_CPU, GEN_CPU, OUT, KEEP_RAW=1: see the script's header).")
w(END)
section = "\n".join(lines) + "\n"

old = open(out_path, encoding="utf-8").read() if os.path.exists(out_path) else ""
if BEGIN in old and END in old:
    rest = old[old.index(END) + len(END):].lstrip("\n")
    text = old[:old.index(BEGIN)] + section + ("\n" + rest if rest else "")
elif old:
    text = old.rstrip("\n") + "\n\n" + section
else:
    text = section
with open(out_path, "w", encoding="utf-8") as f:
    f.write(text)
PY
say "wrote $OUT (${ELAPSED}s)"
