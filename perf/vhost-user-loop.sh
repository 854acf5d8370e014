# perf/vhost-user-loop.sh: the frontend of the vhost-user loop, shared by perf/vhost-user-profile.sh and
# perf/vhost-user-trace.sh (sourced, never run). perf/compare.d/vhost-user.sh starts the same frontend through its own
# testpmd helpers. The loop: dpdk-testpmd with two virtio-user ports in io forwarding mode, each port's peer the other
# one's MAC, so `start tx_first` sends frames round port0 -> switch -> port1 -> testpmd -> port0.

loop_frontend_start() {  # loop_frontend_start SOCKDIR LOGFILE PREFIX: on GEN_CPU, ports on SOCKDIR/s0.sock and s1.sock;
  local dir=$1 log=$2 prefix=$3 # sets GEN_PID, and GEN_FD (testpmd's stdin); returns once testpmd prompts (60 s at most)
  mkfifo "$dir/gen.in"
  stdbuf -oL taskset -c "$GEN_CPU" dpdk-testpmd --lcores "0@$GEN_CPU,1@$GEN_CPU" --main-lcore 1 --file-prefix="$prefix" \
    --no-pci --single-file-segments -m 256 \
    --vdev "net_virtio_user0,path=$dir/s0.sock,queues=1,mac=02:00:00:00:00:01" \
    --vdev "net_virtio_user1,path=$dir/s1.sock,queues=1,mac=02:00:00:00:00:02" \
    -- -i --forward-mode=io --nb-cores=1 --total-num-mbufs=8192 \
    --eth-peer=0,02:00:00:00:00:02 --eth-peer=1,02:00:00:00:00:01 <"$dir/gen.in" >"$log" 2>&1 &
  GEN_PID=$!
  exec {GEN_FD}>"$dir/gen.in"
  local _
  for _ in $(seq 600); do grep -q '^testpmd> ' "$log" 2>/dev/null && break; sleep 0.1; done
}

loop_ports_up() {  # loop_ports_up FASTBRIDGE CONTROL: waits (30 s at most) until both vhost-user ports are up
  local _
  for _ in $(seq 300); do
    [ "$("$1" port list --control "$2" 2>/dev/null | grep -c ' up ')" = 2 ] && break
    sleep 0.1
  done
}
