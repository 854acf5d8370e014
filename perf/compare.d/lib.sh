# perf/compare.d/lib.sh: what every section of the peer comparison shares. Sourced (never run) by perf/compare.sh
# and perf/compare.d/*.sh after they set ROOT and OUT.
#
# Why one file: each section measures a different port kind, but the rules are the same (root; namespaces, devices,
# files and processes named with a random suffix; 198.18.0.0/15 only; only processes the script started are stopped,
# by PID; everything removed on exit, Ctrl-C or error), and so are the loads (trafgen, iperf3, sockperf) and the raw
# TSV that perf/report.py turns into a report. A section defines only what differs: `available`, `setup_switch`,
# and optionally `section_cleanup` (extra clean-up run on exit before the namespaces go).
#
# lib_init TAG sets: SUF, NS_H1 NS_H2 NS_SW (the two hosts' and the switch's namespaces), IF1 IF2 (the interfaces
# h1 and h2 send on), WORK (a fresh /tmp folder), RAW (raw TSV: rep, switch, metric, value), LOG, and the exit trap.

lib_init() {  # lib_init TAG; the run's length: QUICK=1 (1 rep of 3 s) or REPS (3) x DURATION (10 s), RTT_DURATION
  LOADS=${LOADS:-frames tcp rtt}
  LOADS=${LOADS//,/ }       # "frames rtt" or "frames,rtt"; a name the sections do not know is an error, not an empty run
  local load
  for load in $LOADS; do
    case $load in
      frames | tcp | rtt) ;;
      *) echo "LOADS: unknown load '$load' (a subset of: frames tcp rtt, separated by spaces or commas)" >&2; exit 2 ;;
    esac
  done
  QUICK=${QUICK:-0}
  if [ "$QUICK" = 1 ]; then
    REPS=${REPS:-1}
    DURATION=${DURATION:-3}
  else
    REPS=${REPS:-3}
    DURATION=${DURATION:-10}
  fi
  RTT_DURATION=${RTT_DURATION:-$((DURATION < 5 ? DURATION : 5))}
  SUF=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
  NS_H1=fbc-h1-$SUF
  NS_H2=fbc-h2-$SUF
  NS_SW=fbc-sw-$SUF
  IF1=fbc1$SUF    # the interface h1 sends on (TAP kernel side or veth), <= 15 chars
  IF2=fbc2$SUF
  # Unix socket paths must stay under 108 bytes: a short folder directly in /tmp, whatever TMPDIR says.
  WORK=$(mktemp -d "/tmp/$1-$SUF.XXXX")
  RAW=$WORK/raw.tsv
  LOG=$WORK/log
  : >"$RAW"
  : >"$LOG"
  STARTED=()                # PIDs of processes this script started (and only those get killed)
  CREATED_POLICY_RC=0       # whether this script created /usr/sbin/policy-rc.d (to keep apt from starting services)
  RAW_KEEP=${RAW_KEEP:-${OUT%.md}.raw.tsv}   # where KEEP_RAW=1 copies the raw TSV (and .meta beside it)
  SWITCH_PID=""             # the process whose CPU time is the switch's ("" for the kernel's own switching)
  declare -gA HAVE=()
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

say() { printf '[%s] %s\n' "$(date +%T)" "$*" | tee -a "$LOG" >&2; }

stop_pid() {  # stop_pid PID: TERM, wait up to 10 s, then KILL; only for PIDs in STARTED
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

stop_started() {
  local i
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do stop_pid "${STARTED[$i]}"; done   # newest first
  STARTED=()
}

forget_pid() {  # forget_pid PID: a started process that has ended (and was reaped) is no longer ours to kill
  local keep=() pid
  for pid in "${STARTED[@]}"; do [ "$pid" = "$1" ] || keep+=("$pid"); done
  STARTED=("${keep[@]}")
}

del_namespaces() {
  local n
  for n in "$NS_H1" "$NS_H2" "$NS_SW"; do
    ip netns del "$n" 2>/dev/null || true
  done
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_started
  if declare -F section_cleanup >/dev/null; then section_cleanup || true; fi
  del_namespaces
  if [ "$CREATED_POLICY_RC" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
  if [ "${KEEP_RAW:-0}" = 1 ] && [ -s "$RAW" ]; then
    cp "$RAW" "$RAW_KEEP"
    if [ -s "$WORK/meta" ]; then cp "$WORK/meta" "${RAW_KEEP%.raw.tsv}.meta"; fi
  fi
  if [ "$rc" != 0 ] && [ "$rc" != 130 ] && [ -s "$LOG" ]; then
    echo "$(basename "$0"): failed; last lines of the log:" >&2
    tail -20 "$LOG" >&2
  fi
  rm -rf "$WORK"
  exit "$rc"
}

# ---------------------------------------------------------------------------------------------------------------
# Tools: install the peers from apt when missing; a peer that cannot be installed is reported and skipped.
install_pkg() {  # install_pkg PACKAGE COMMAND: HAVE[COMMAND]=1 when it is (or could be made) available
  local pkg=$1 cmd=$2
  if command -v "$cmd" >/dev/null 2>&1; then HAVE[$cmd]=1; return 0; fi
  say "installing $pkg (for $cmd)"
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && CREATED_POLICY_RC=1
  fi
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq >>"$LOG" 2>&1 || true; APT_UPDATED=1; fi
  if DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq "$pkg" >>"$LOG" 2>&1 \
     && command -v "$cmd" >/dev/null 2>&1; then
    HAVE[$cmd]=1
  else
    say "NOT AVAILABLE: $pkg could not be installed; what needs $cmd is skipped"
    HAVE[$cmd]=0
  fi
}

install_done() {  # after the last install_pkg: apt may start services again; the report needs python3
  if [ "$CREATED_POLICY_RC" = 1 ]; then rm -f /usr/sbin/policy-rc.d; CREATED_POLICY_RC=0; fi
  command -v python3 >/dev/null 2>&1 || { echo "$(basename "$0"): python3 is needed for the report" >&2; exit 1; }
}

install_loads() {  # the load generators every host-to-host section uses
  install_pkg iproute2 ip
  install_pkg iputils-ping ping
  install_pkg netsniff-ng trafgen
  install_pkg iperf3 iperf3
  install_pkg sockperf sockperf
  install_pkg python3 python3
}

build_fastbridge() {  # sets FASTBRIDGE (Release build of the CLI) unless the caller gave one
  if [ -n "${FASTBRIDGE:-}" ]; then return 0; fi
  FASTBRIDGE=$ROOT/src/FastBridge.Cli/bin/Release/net10.0/fastbridge
  say "building FastBridge (Release)"
  dotnet build "$ROOT/src/FastBridge.Cli" -c Release -nologo -clp:ErrorsOnly >>"$LOG" 2>&1 \
    || { echo "$(basename "$0"): FastBridge build failed" >&2; tail -20 "$LOG" >&2; exit 1; }
}

# ---------------------------------------------------------------------------------------------------------------
# Topology
ns() { local n=$1; shift; ip netns exec "$n" "$@"; }

make_namespaces() {
  local n
  for n in "$NS_H1" "$NS_H2" "$NS_SW"; do
    ip netns add "$n"
    ip -n "$n" link set lo up
    ns "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done
}

wait_for_link() {  # wait_for_link NS IF: up to 30 s for a device to appear
  local i
  for i in $(seq 300); do
    ip -n "$1" link show "$2" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  say "$2 did not appear in namespace $1"
  return 1
}

host_side() {  # host_side HOSTNS IF MAC ADDR
  ip -n "$1" link set dev "$2" address "$3"
  ip -n "$1" addr add "$4/24" dev "$2"
  ip -n "$1" link set dev "$2" up
}

hosts_up() {  # IF1 and IF2 are in their hosts' namespaces: give them the hosts' MACs and addresses
  host_side "$NS_H1" "$IF1" 02:00:00:00:00:01 198.18.0.1
  host_side "$NS_H2" "$IF2" 02:00:00:00:00:02 198.18.0.2
}

start_bg() {  # start_bg LOGFILE NS CMD...: runs CMD in NS in the background; sets BG_PID
  local logf=$1 n=$2
  shift 2
  ip netns exec "$n" "$@" >"$logf" 2>&1 </dev/null &
  BG_PID=$!
  STARTED+=("$BG_PID")
}

pid_from_file() {  # pid_from_file FILE [SECONDS]: waits (10 s) for a daemon's pidfile; sets PID_READ, records it as started
  local i
  for i in $(seq $((${2:-10} * 10))); do
    if [ -s "$1" ]; then
      PID_READ=$(tr -d ' \n' <"$1")
      STARTED+=("$PID_READ")
      return 0
    fi
    sleep 0.1
  done
  say "no pidfile $1"
  return 1
}

ovs_userspace_start() {  # ovs_userspace_start TSO(0|1): ovsdb-server and ovs-vswitchd in NS_SW, bridge br$SUF on
  local d=$WORK/ovs       # the userspace datapath; sets SWITCH_PID and OVS_VSCTL (ovs-vsctl with its db) for the ports
  rm -rf "$d"
  mkdir -p "$d"
  export OVS_RUNDIR=$d OVS_LOGDIR=$d OVS_DBDIR=$d OVS_SYSCONFDIR=$d OVS_PKGDATADIR=/usr/share/openvswitch
  ovsdb-tool create "$d/conf.db" /usr/share/openvswitch/vswitch.ovsschema
  ns "$NS_SW" ovsdb-server "$d/conf.db" --remote="punix:$d/db.sock" --unixctl="$d/ovsdb.ctl" \
    --pidfile="$d/ovsdb.pid" --log-file="$d/ovsdb.log" --detach --no-chdir >>"$LOG" 2>&1
  pid_from_file "$d/ovsdb.pid"
  OVS_VSCTL=(ovs-vsctl --db="unix:$d/db.sock" --timeout=20)
  "${OVS_VSCTL[@]}" --no-wait init >>"$LOG" 2>&1
  if [ "$1" = 1 ]; then
    "${OVS_VSCTL[@]}" --no-wait set Open_vSwitch . other_config:userspace-tso-enable=true
  fi
  ns "$NS_SW" ovs-vswitchd "unix:$d/db.sock" --unixctl="$d/vswitchd.ctl" --pidfile="$d/vswitchd.pid" \
    --log-file="$d/vswitchd.log" --detach --no-chdir >>"$LOG" 2>&1
  pid_from_file "$d/vswitchd.pid"
  SWITCH_PID=$PID_READ
  "${OVS_VSCTL[@]}" add-br "br$SUF" -- set bridge "br$SUF" datapath_type=netdev
}

hosts_reach() {  # hosts_reach NAME: both stations learned (and ARP resolved) before any load, or the rep is skipped
  local i
  for i in $(seq 20); do
    ns "$NS_H1" ping -c 1 -W 1 198.18.0.2 >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  say "$1: h1 cannot ping h2; skipping this repetition"
  return 1
}

teardown_switch() {
  stop_started
  del_namespaces
  unset OVS_RUNDIR OVS_LOGDIR OVS_DBDIR OVS_SYSCONFDIR OVS_PKGDATADIR
  sleep 1
}

# ---------------------------------------------------------------------------------------------------------------
# Measurements (h1 -> h2; every figure goes to RAW as rep, switch, metric, value)
record() { printf '%s\t%s\t%s\t%s\n' "$REP" "$SW" "$1" "$2" >>"$RAW"; }

stat_of() { ns "$1" cat "/sys/class/net/$2/statistics/$3"; }

cpu_ticks() {  # utime+stime of SWITCH_PID in clock ticks (all threads)
  if [ -n "$SWITCH_PID" ] && [ -r "/proc/$SWITCH_PID/stat" ]; then
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$SWITCH_PID/stat"
  else
    echo 0
  fi
}

trafgen_conf() {  # trafgen_conf LENGTH (frame length with FCS, as frame sizes are quoted): an IPv4/UDP frame h1 -> h2:9
  local len=$(($1 - 4)) ip_len=$(($1 - 4 - 14)) udp_len=$(($1 - 4 - 34))
  cat <<EOF
{
  0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
  0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
  0x08, 0x00,
  0x45, 0x00, const16($ip_len), 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, csumip(14, 33),
  198, 18, 0, 1,
  198, 18, 0, 2,
  const16(9), const16(9), const16($udp_len), 0x00, 0x00,
  fill(0x00, $((len - 42)))
}
EOF
}

measure_frames() {  # measure_frames SIZE: offered = h1 tx_packets + tx_dropped delta, delivered = h2 rx_packets delta
  local size=$1 conf=$WORK/trafgen-$1.cfg
  trafgen_conf "$size" >"$conf"
  ns "$NS_H1" ping -c 2 -i 0.2 -W 1 198.18.0.2 >/dev/null 2>&1 || true   # (re)learn both MACs
  local tx0 dr0 rx0 c0 tx1 dr1 rx1 c1
  tx0=$(stat_of "$NS_H1" "$IF1" tx_packets); dr0=$(stat_of "$NS_H1" "$IF1" tx_dropped)
  rx0=$(stat_of "$NS_H2" "$IF2" rx_packets); c0=$(cpu_ticks)
  ns "$NS_H1" timeout --signal=INT --kill-after=5 "$DURATION" \
    trafgen -o "$IF1" -i "$conf" -P 1 --no-sock-mem -Q >>"$LOG" 2>&1 || true
  sleep 0.5   # let the switch drain what was queued
  tx1=$(stat_of "$NS_H1" "$IF1" tx_packets); dr1=$(stat_of "$NS_H1" "$IF1" tx_dropped)
  rx1=$(stat_of "$NS_H2" "$IF2" rx_packets); c1=$(cpu_ticks)
  local offered=$(((tx1 - tx0) + (dr1 - dr0))) delivered=$((rx1 - rx0))
  local hz
  hz=$(getconf CLK_TCK)
  python3 - "$offered" "$delivered" "$DURATION" "$((c1 - c0))" "$hz" "$SWITCH_PID" >"$WORK/m" <<'PY'
import sys
offered, delivered, dur, ticks, hz, pid = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
print(f"offered_kpps {offered / dur / 1e3:.1f}")
print(f"delivered_kpps {delivered / dur / 1e3:.1f}")
print(f"loss_pct {max(0.0, 100.0 * (offered - delivered) / offered) if offered else 0:.2f}")
print(f"cpu_s_per_mframe {ticks / hz / (delivered / 1e6):.3f}" if pid and delivered else "cpu_s_per_mframe n/a")
PY
  local k v
  while read -r k v; do record "${k}_$size" "$v"; done <"$WORK/m"
  say "  $SW ${size}B: $(tr '\n' ' ' <"$WORK/m")"
}

measure_tcp() {  # measure_tcp STREAMS: iperf3 h1 -> h2 for DURATION s
  local port=$((5201 + RANDOM % 1000))
  start_bg "$WORK/iperf3-server.log" "$NS_H2" timeout $((DURATION + 30)) iperf3 -s -1 -B 198.18.0.2 -p "$port"
  local server=$BG_PID i
  for i in $(seq 50); do
    ns "$NS_H2" ss -ltn 2>/dev/null | grep -q ":$port " && break
    sleep 0.1
  done
  local gbps=n/a
  if ns "$NS_H1" timeout $((DURATION + 20)) iperf3 -c 198.18.0.2 -p "$port" -t "$DURATION" -P "$1" -J >"$WORK/iperf.json" 2>>"$LOG"; then
    gbps=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]; print(f"{r/1e9:.2f}")' "$WORK/iperf.json")
  fi
  wait "$server" 2>/dev/null || true
  forget_pid "$server"
  record "tcp${1}_gbps" "$gbps"
  say "  $SW TCP x$1: $gbps Gbit/s"
}

measure_rtt() {  # sockperf ping-pong --full-rtt p50/p99 over RTT_DURATION s (ping -i 0.001 if sockperf is missing)
  local p50=n/a p99=n/a
  if [ "${HAVE[sockperf]:-0}" = 1 ]; then
    local port=$((11111 + RANDOM % 1000))
    start_bg "$WORK/sockperf-server.log" "$NS_H2" timeout $((RTT_DURATION + 30)) sockperf server -i 198.18.0.2 -p "$port"
    local server=$BG_PID
    sleep 1
    if ns "$NS_H1" timeout $((RTT_DURATION + 20)) sockperf ping-pong -i 198.18.0.2 -p "$port" -t "$RTT_DURATION" --full-rtt \
        >"$WORK/sockperf.out" 2>&1; then
      p50=$(awk '/percentile 50.000 =/ { print $NF }' "$WORK/sockperf.out")
      p99=$(awk '/percentile 99.000 =/ { print $NF }' "$WORK/sockperf.out")
    fi
    stop_pid "$server"
    forget_pid "$server"
  else
    if ns "$NS_H1" timeout 60 ping -q -c 1000 -i 0.001 198.18.0.2 >/dev/null 2>&1; then
      ns "$NS_H1" timeout 60 ping -c 1000 -i 0.001 198.18.0.2 2>/dev/null \
        | awk -F'time=' '/time=/ { split($2, a, " "); print a[1] * 1000 }' | sort -n >"$WORK/ping.txt"
      p50=$(awk '{ v[NR] = $1 } END { print v[int(NR * 0.50)] }' "$WORK/ping.txt")
      p99=$(awk '{ v[NR] = $1 } END { print v[int(NR * 0.99)] }' "$WORK/ping.txt")
    fi
  fi
  record rtt_p50_us "${p50:-n/a}"
  record rtt_p99_us "${p99:-n/a}"
  say "  $SW RTT p50/p99: ${p50:-n/a} / ${p99:-n/a} us"
}

# ---------------------------------------------------------------------------------------------------------------
# Run: interleaved repetitions (rep 1 of every switch, then rep 2, ...), each switch set up and torn down per rep
wants() { case " $LOADS " in *" $1 "*) return 0 ;; esac; return 1; }  # LOADS (set by lib_init): a subset of "frames tcp rtt"

run_interleaved() {  # uses REPS, SWITCHES and the section's available / setup_switch; sets ELAPSED, LOAD_*, STARTED_AT
  LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
  STARTED_AT=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
  local t0=$SECONDS
  say "compare: REPS=$REPS DURATION=$DURATION RTT_DURATION=$RTT_DURATION switches: $SWITCHES (load $LOAD_BEFORE)"
  for REP in $(seq "$REPS"); do
    for SW in $SWITCHES; do
      if ! available "$SW"; then
        say "skipping $SW: not installed"
        continue
      fi
      say "rep $REP/$REPS: $SW"
      if setup_switch "$SW"; then
        record load1 "$(cut -d' ' -f1 /proc/loadavg)"
        if [ "${HAVE[trafgen]:-0}" = 1 ] && wants frames; then measure_frames 64; measure_frames 1518; fi
        if [ "${HAVE[iperf3]:-0}" = 1 ] && wants tcp; then measure_tcp 1; measure_tcp 4; fi
        if wants rtt; then measure_rtt; fi
        if [ -n "$SWITCH_PID" ] && ! kill -0 "$SWITCH_PID" 2>/dev/null; then
          say "$SW: the switch process $SWITCH_PID died during the tests"
          record died 1
        fi
      fi
      teardown_switch
      case $SW in fastbridge*) cp "$WORK/fastbridge.log" "$WORK/fastbridge-$SW-$REP.log" 2>/dev/null || true ;; esac
    done
  done
  ELAPSED=$((SECONDS - t0))
  LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
}

# ---------------------------------------------------------------------------------------------------------------
# Report
version_of() {
  case $1 in
    fastbridge) git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown ;;
    dotnet) dotnet --version 2>/dev/null ;;
    kernel) uname -r ;;
    ovs) ovs-vswitchd --version 2>/dev/null | head -1 ;;
    vde) vde_switch -v 2>/dev/null | head -1 ;;
    gcc) gcc --version 2>/dev/null | head -1 ;;
    trafgen) trafgen -v 2>/dev/null | head -1 ;;
    iperf3) iperf3 -v 2>/dev/null | head -1 ;;
    sockperf) sockperf -v 2>/dev/null | grep -i version | head -1 ;;
    testpmd) dpdk-testpmd --version 2>/dev/null | head -1 ;;
    qemu) qemu-system-x86_64 --version 2>/dev/null | head -1 ;;
  esac
}

write_meta() {  # write_meta TOOL...: the machine, the tools' versions and the run's settings, to WORK/meta
  local t
  {
    echo "cpu=$(lscpu | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2; exit }')"
    echo "cores=$(nproc)"
    echo "kernel=$(uname -r)"
    echo "memory=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    for t in "$@"; do echo "v_$t=$(version_of "$t")"; done
    echo "reps=$REPS"
    echo "duration=$DURATION"
    echo "rtt_duration=${RTT_DURATION:-}"
    echo "switches=$SWITCHES"
    echo "started=${STARTED_AT:-}"
    echo "elapsed=${ELAPSED:-}"
    echo "load_before=${LOAD_BEFORE:-}"
    echo "load_after=${LOAD_AFTER:-}"
    echo "quick=${QUICK:-0}"
  } >"$WORK/meta"
}

check_fastbridge_logs() {  # anything alarming in FastBridge's own logs, and whether each run stopped cleanly on SIGTERM
  local f
  for f in "$WORK"/fastbridge-*.log; do
    [ -e "$f" ] || continue
    grep -h -i -E 'unhandled|exception|fatal|fail' "$f" | head -5 >&2 || true
    grep -q 'stopped' "$f" || say "$(basename "$f"): no clean stop logged"
  done
}

# ---------------------------------------------------------------------------------------------------------------
# Socket sections (dgram.sh, stream.sh): a synthetic client pair (native/<name>load.c) drives switches started one at
# a time. The section defines switch_start NAME (sets SWITCH_PID, returns non-zero when the switch did not come up),
# measure NAME (load_rate and load_rtt calls) and optionally available NAME; these do the rest.
build_load() {  # build_load NAME: compiles native/NAME.c into WORK; sets LOAD
  LOAD=$WORK/$1
  cc -O2 -Wall -Wextra -Werror -pthread -o "$LOAD" "$ROOT/native/$1.c" >>"$LOG" 2>&1 \
    || { echo "$(basename "$0"): cannot build native/$1.c" >&2; exit 1; }
}

wait_for_sockets() {  # wait_for_sockets PATH...: up to 30 s for the switch's sockets; fails early if the switch died
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

switch_stop() {
  [ -n "$SWITCH_PID" ] || return 0
  stop_pid "$SWITCH_PID"
  forget_pid "$SWITCH_PID"
  SWITCH_PID=""
}

load_rate() {  # load_rate SWITCH SIZE ARG...: `$LOAD rate ARG...` (WARMUP + DURATION s); records rx_pps_SIZE, tx_pps_SIZE
  local sw=$1 size=$2 out
  shift 2
  if out=$(timeout $((WARMUP + DURATION + 30)) "$LOAD" rate "$@" 2>>"$LOG"); then
    record "rx_pps_$size" "$(awk '/^rx_pps/ { print $2 }' <<<"$out")"
    record "tx_pps_$size" "$(awk '/^tx_pps/ { print $2 }' <<<"$out")"
    say "  $sw ${size} B: $(tr '\n' ' ' <<<"$out")"
  else
    say "  $sw ${size} B: $(basename "$LOAD") failed"
  fi
}

load_rtt() {  # load_rtt SWITCH ARG...: `$LOAD rtt ARG...`; records rtt_p50_us, rtt_p99_us, rtt_lost
  local sw=$1 out
  shift
  if out=$(timeout 120 "$LOAD" rtt "$@" 2>>"$LOG"); then
    record rtt_p50_us "$(awk '/^rtt_p50_us/ { print $2 }' <<<"$out")"
    record rtt_p99_us "$(awk '/^rtt_p99_us/ { print $2 }' <<<"$out")"
    record rtt_lost "$(awk '/^rtt_lost/ { print $2 }' <<<"$out")"
    say "  $sw rtt: $(tr '\n' ' ' <<<"$out")"
  else
    say "  $sw rtt: $(basename "$LOAD") failed"
  fi
}

run_alternating() {  # run_alternating SECTION: REPS repetitions of every available switch, the order reversed every
  # other repetition; per switch: switch_start, measure, switch_stop. Sets ELAPSED, LOAD_*, STARTED_AT, RTT_DURATION
  # (= RTT_COUNT, round trips) and SWITCHES (those that ran)
  LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
  STARTED_AT=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
  local t0=$SECONDS sw i order=() run_order=()
  say "$1 compare: REPS=$REPS WARMUP=$WARMUP DURATION=$DURATION RTT_COUNT=$RTT_COUNT switches: $SWITCHES (load $LOAD_BEFORE)"
  for sw in $SWITCHES; do
    if ! declare -F available >/dev/null || available "$sw"; then order+=("$sw"); else say "$sw: not available, skipped"; fi
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
  ELAPSED=$((SECONDS - t0))
  LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
  RTT_DURATION=$RTT_COUNT
  SWITCHES="${order[*]}"
}

socket_report() {  # socket_report SECTION TOOLS REPORT-OPTION...: meta (TOOLS' versions, warm-up), FastBridge's log
  # checked, and perf/compare.d/socket-report.py writes the section to OUT
  local section=$1 tools=$2
  shift 2
  # shellcheck disable=SC2086 # TOOLS is a list of words
  write_meta $tools
  echo "warmup=$WARMUP" >>"$WORK/meta"
  grep -h -i -E 'unhandled|exception|fatal' "$WORK"/fastbridge-*.log 2>/dev/null | head -5 >&2 || true
  python3 "$ROOT/perf/compare.d/socket-report.py" "$RAW" "$WORK/meta" "$OUT" --section "$section" "$@"
}

report_section() {  # report_section HOWTO HOST-REPORT-OPTION...: perf/report.py's document from RAW and WORK/meta becomes
  # a section of OUT (host-report.py: retitled, HOWTO appended, headings one level down, rows renamed)
  local howto=$1
  shift
  python3 "$ROOT/perf/report.py" "$RAW" "$WORK/meta" "$WORK/report.md"
  python3 "$ROOT/perf/compare.d/host-report.py" "$WORK/report.md" "$OUT" "$howto" "$@"
}
