# Shared by the load benchmarks (sourced): starting a bsmd to measure, and
# how busy the machine is around a run.

# start_bsmd_node [KEY=VALUE...]: starts $build/node/bsmd on config/node.yaml
# with its data in $tmp/data, both ports on 127.0.0.1:0, warn-level logs and
# the given --set overrides; sets bsmd_pid, and bsmd_url
# ("http://127.0.0.1:PORT") once ports.json names the HTTP address.
# Needs $build, $tmp and a fail() that exits.
start_bsmd_node() {
  start_bsmd_node_at data config/node.yaml "$@"
  bsmd_pid=$started_pid
  bsmd_url=$started_url
}

# start_bsmd_node_at NAME CONFIG [KEY=VALUE...]: the same on CONFIG with
# its data in $tmp/NAME and its output in $tmp/NAME.out and NAME.err (so
# that two nodes can run side by side); sets started_pid and started_url.
start_bsmd_node_at() {
  local name=$1 config=$2
  shift 2
  local bin="$build/node/bsmd" data="$tmp/$name" ports="$tmp/$name/ports.json"
  local err="$tmp/$name.err"
  [[ -x $bin ]] || fail "$bin not built"
  local sets=() x
  for x in "$@"; do sets+=(--set "$x"); done
  "$bin" --config "$config" --set "node.data_dir=$data" \
    --set http.listen=127.0.0.1:0 --set cluster.listen=127.0.0.1:0 \
    --set logging.level=warn "${sets[@]}" \
    >"$tmp/$name.out" 2>"$err" &
  started_pid=$!
  local addr=""
  for _ in $(seq 300); do
    if [[ -f $ports ]]; then
      # Written once, by rename, with every address in it.
      addr=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("http", ""))' "$ports")
      [[ -n $addr ]] || fail "bsmd's ports.json has no \"http\" address: $(cat "$ports")"
      break
    fi
    kill -0 "$started_pid" 2>/dev/null || fail "bsmd died: $(cat "$err")"
    sleep 0.1
  done
  [[ -n $addr ]] || fail "bsmd wrote no ports.json within 30 s: $(cat "$err")"
  started_url="http://$addr"
}

# stop_pid PID: SIGTERM, then SIGKILL after 15 s; reaps it.
stop_pid() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# cpu_idle_percent: the share of CPU time idle over one second; the node
# and the load tool need both cores, so a busy machine shows up here.
cpu_idle_percent() {
  local a b
  read -ra a < <(head -1 /proc/stat)
  sleep 1
  read -ra b < <(head -1 /proc/stat)
  local total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  echo $((100 * (b[4] - a[4]) / (total > 0 ? total : 1)))
}

# loadavg: the 1, 5 and 15 minute load averages.
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
