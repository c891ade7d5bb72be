#!/usr/bin/env bash
# HTTP benchmark: wrk against a minimal Beast server (the raw baseline) and
# against bsmd's HTTP bridge, one scenario after the other in one run, all
# on 127.0.0.1 and sharing this machine's cores with wrk.
#   baseline  GET /        bsm_http_baseline_server, fixed 200 JSON body
#   healthz   GET /healthz bsmd                      (target >= 70% of baseline)
#   tell      POST /v1/actors/memory/messages, mode tell, a small
#             MemoryPutRequest; 202 once durable     (target >= 20k req/s,
#                                                     p99 < 10 ms)
#   actors    GET /v1/actors bsmd: a read route, answered without a mailbox
#   baseline_tls  HTTPS GET /        the baseline server with --tls-cert
#   healthz_tls   HTTPS GET /healthz a third bsmd with http.tls_certificate
#                                    (target >= 70% of baseline_tls)
# The HTTPS pair uses a CA and a certificate that deploy/make-certs.sh
# makes in the run's temp dir. wrk keeps its connections open, so each
# TLS handshake is paid once per connection and the req/s are those over
# established TLS sessions; every run records how many TCP connections the
# host accepted during it (PassiveOpens of /proc/net/snmp), which shows it:
# HTTP_BENCH_CONNECTIONS + 1, wrk's plain probe of the address included.
# Those run on a node in protected mode (no credential: loopback is the
# local admin). healthz_auth, actors_auth and tell_auth are the same on a
# second node that has an HS256 key (made here with `openssl rand`), every
# request carrying `Authorization: Bearer <token>` for a role that allows
# the memory injection and actors:read only: JWT verification and RBAC per
# request (target: tell_auth >= 90% of tell). Each pair runs back to back,
# the unauthenticated one first in odd rounds and second in even ones.
# The scenarios run in turn, HTTP_BENCH_REPETITIONS times; each scenario
# reports its median run (by req/s). After each tell run the script waits
# until the memory actor has worked off its backlog, so that the next run
# does not share the cores with it.
# Usage: bench/http_bench.sh [BUILD_DIR]   (make bench-http)
# Environment (defaults in brackets):
#   HTTP_BENCH_REPETITIONS [3]     rounds over the scenarios
#   HTTP_BENCH_DURATION [10]       seconds per measured run
#   HTTP_BENCH_WARMUP [2]          seconds of unrecorded load before each run
#   HTTP_BENCH_CONNECTIONS [64]    wrk connections
#   HTTP_BENCH_THREADS [2]         wrk threads
#   HTTP_BENCH_IO_THREADS [1]      io threads of both servers (bsmd's
#                                  http.io_threads)
#   HTTP_BENCH_DURABILITY [os]     bsmd's store.durability (none|os|fsync)
#   HTTP_BENCH_MAX_DEPTH [10000000] bsmd's mailbox.max_depth: the memory
#                                  actor stores fewer puts per second than
#                                  the bridge accepts, and with the default
#                                  100000 a full mailbox would turn the run
#                                  into 503s; the backlog left after the
#                                  run is reported
#   HTTP_BENCH_SCENARIOS ["baseline healthz healthz_auth actors actors_auth
#                          tell tell_auth tell_ping baseline_tls healthz_tls"]
#                                  tell_ping: the same tell, of a PingRequest
#                                  to node_info (a handler that costs
#                                  nothing: the bridge and mailbox alone)
# Writes bench/results/http-<stamp>.json (and http-latest.json) and prints
# the summary of bench/summarize.py (also in http-summary-latest.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/bsmd_lib.sh
build=${1:-build}
repetitions=${HTTP_BENCH_REPETITIONS:-3}
duration=${HTTP_BENCH_DURATION:-10}
warmup=${HTTP_BENCH_WARMUP:-2}
connections=${HTTP_BENCH_CONNECTIONS:-64}
threads=${HTTP_BENCH_THREADS:-2}
io_threads=${HTTP_BENCH_IO_THREADS:-1}
durability=${HTTP_BENCH_DURABILITY:-os}
max_depth=${HTTP_BENCH_MAX_DEPTH:-10000000}
scenarios=${HTTP_BENCH_SCENARIOS:-baseline healthz healthz_auth actors actors_auth tell tell_auth tell_ping baseline_tls healthz_tls}
out=bench/results
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)

command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bsm-http-bench.XXXXXX")
pids=()
certs=$tmp/certs

cleanup() {
  for pid in "${pids[@]}"; do stop_pid "$pid"; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "http_bench: $*" >&2
  exit 1
}

# start_baseline_server NAME SCHEME [ARG...]: starts the baseline server
# with the given extra arguments, its output in $tmp/NAME.out and .err;
# sets started_url (SCHEME://127.0.0.1:PORT) and started_pid.
start_baseline_server() {
  local name=$1 scheme=$2
  shift 2
  local bin="$build/bench/bsm_http_baseline_server"
  [[ -x $bin ]] || fail "$bin not built (ninja -C $build bsm_http_baseline_server)"
  "$bin" --port 0 --threads "$io_threads" "$@" >"$tmp/$name.out" \
    2>"$tmp/$name.err" &
  pids+=($!)
  local pid=$! port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/^port=//p' "$tmp/$name.out")
    [[ -n $port ]] && break
    kill -0 "$pid" 2>/dev/null || fail "$name server died: $(cat "$tmp/$name.err")"
    sleep 0.1
  done
  [[ -n $port ]] || fail "$name server printed no port"
  started_url="$scheme://127.0.0.1:$port"
  started_pid=$pid
}

# Starts the plain baseline server; sets baseline_url and baseline_pid.
start_baseline() {
  start_baseline_server baseline http
  baseline_url=$started_url
  baseline_pid=$started_pid
}

# The test CA and the servers' certificate (SAN localhost, 127.0.0.1),
# made once per run in the temp dir.
make_certs() {
  [[ -f $certs/bench.pem ]] && return
  deploy/make-certs.sh "$certs" bench >"$tmp/make-certs.log" 2>&1 \
    || fail "deploy/make-certs.sh failed: $(cat "$tmp/make-certs.log")"
}

# Starts the baseline server with TLS; sets tls_baseline_url and
# tls_baseline_pid.
start_tls_baseline() {
  make_certs
  start_baseline_server baseline_tls https \
    --tls-cert "$certs/bench.pem" --tls-key "$certs/bench.key"
  tls_baseline_url=$started_url
  tls_baseline_pid=$started_pid
}

# The settings of both bsmd nodes.
node_sets=("store.durability=$durability" "http.io_threads=$io_threads"
  "mailbox.max_depth=$max_depth")

# Starts bsmd on a fresh data dir; sets bsmd_url (from ports.json's "http")
# and bsmd_pid.
start_bsmd() {
  start_bsmd_node "${node_sets[@]}"
  pids+=("$bsmd_pid")
}

# The role of the benchmark's token: the memory injection and
# GET /v1/actors, nothing else.
auth_role=bench_tell
auth_grants='["actors:memory:inject:bsm.v1.MemoryPutRequest", "actors:read"]'

# Writes $auth_header, the header line "Authorization: Bearer <JWT>": HS256
# over the key file $1 (its bytes without the trailing line break, as the
# node reads it), sub http-bench, roles [$auth_role], valid for $2 seconds.
# Python's hmac rather than `openssl dgst -hmac`, which would show the key
# in the process list.
write_auth_header() {
  (umask 077 && python3 - "$1" "$2" "$auth_role" >"$auth_header") <<'EOF'
import base64, hashlib, hmac, json, sys, time
key_file, lifetime, role = sys.argv[1:4]
key = open(key_file, "rb").read().rstrip(b"\r\n")
def part(data):
    text = data if isinstance(data, bytes) else json.dumps(
        data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(text).rstrip(b"=").decode()
now = int(time.time())
signed = part({"alg": "HS256", "typ": "JWT"}) + "." + part(
    {"sub": "http-bench", "roles": [role], "iat": now,
     "exp": now + int(lifetime)})
mac = hmac.new(key, signed.encode(), hashlib.sha256).digest()
print(f"Authorization: Bearer {signed}.{part(mac)}")
EOF
}

# Starts the second bsmd, with an HS256 key file and the role of the
# token: config/node.yaml with that role in security.roles (a map, which
# --set cannot give); sets auth_url and auth_pid.
start_auth_bsmd() {
  local key="$tmp/hs256.key" config="$tmp/auth-node.yaml"
  (umask 077 && openssl rand -hex 32 >"$key") || fail "openssl rand failed"
  sed "s|^  roles: {}\$|  roles: {$auth_role: $auth_grants}|" config/node.yaml \
    >"$config"
  grep -q "^  roles: {$auth_role:" "$config" \
    || fail "config/node.yaml has no line '  roles: {}' to put the role in"
  auth_header="$tmp/auth.header"
  write_auth_header "$key" "$token_lifetime"
  start_bsmd_node_at auth-data "$config" "${node_sets[@]}" \
    "security.jwt_hs256_key_file=$key"
  auth_pid=$started_pid
  auth_url=$started_url
  pids+=("$auth_pid")
}

# Starts a third bsmd, with the same settings and HTTPS on its HTTP port
# (http.tls_certificate, http.tls_key); sets tls_url and tls_pid.
start_tls_bsmd() {
  make_certs
  start_bsmd_node_at tls-data config/node.yaml "${node_sets[@]}" \
    "http.tls_certificate=$certs/bench.pem" "http.tls_key=$certs/bench.key"
  tls_pid=$started_pid
  # ports.json names a TLS address with its scheme: "https://host:port".
  tls_url=${started_url#http://}
  [[ $tls_url == https://* ]] || tls_url=https://$tls_url
  pids+=("$tls_pid")
}

# Runs wrk with the given script and URL for $2 seconds, with the header
# line of file $5 if given; prints wrk's JSON line (see
# bench/http/report.lua).
run_wrk() {
  local script=$1 seconds=$2 url=$3 log=$4 header=${5:-}
  HTTP_BENCH_AUTH_HEADER_FILE=$header \
    wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency \
    -s "bench/http/$script" "$url" >"$log" 2>&1 \
    || fail "wrk failed against $url: $(cat "$log")"
  sed -n 's/^wrk_json=//p' "$log"
}

# One request with curl first: a route that does not answer 2xx is shown
# with its body here (the run still happens, counting non_2xx).
tell_body='{"type":"bsm.v1.MemoryPutRequest","payload":{"agent":"bench","key":"k","value":"dmFsdWU="},"mode":"tell"}' # as in post_tell.lua
ping_body='{"type":"bsm.v1.PingRequest","payload":{"sequence":"1"},"mode":"tell"}' # as in post_tell_ping.lua
smoke_test() {
  local name=$1 method=$2 url=$3 header=${4:-} status body=$tell_body
  [[ $name == tell_ping ]] && body=$ping_body
  local args=(-sS -o "$tmp/$name.smoke" -w '%{http_code}' --max-time 10)
  [[ $url == https://* ]] && args+=(--cacert "$certs/ca.pem")
  [[ -n $header ]] && args+=(-H "@$header")
  [[ $method == POST ]] && args+=(-H 'Content-Type: application/json' --data "$body")
  status=$(curl "${args[@]}" "$url" 2>&1) || true
  [[ $status == 2?? ]] || echo "http_bench: warning: $method $url answered $status: $(head -c 500 "$tmp/$name.smoke" 2>/dev/null)" >&2
}

# Envelopes still queued for the actor named $2 at the node at $1 (GET
# /v1/actors, with the header line of file $3 if given), or null.
actor_backlog() {
  local url=$1 actor=$2 header=${3:-} args=(-fsS --max-time 10)
  [[ -n $header ]] && args+=(-H "@$header")
  curl "${args[@]}" "$url/v1/actors" 2>/dev/null | python3 -c '
import json, sys
try:
    actors = json.load(sys.stdin)["actors"]
    print(next(a["mailbox_depth"] for a in actors if a["name"] == sys.argv[1]))
except Exception:
    print("null")' "$actor" || echo null
}

# Waits until an actor's backlog is 0 (at most 300 s; arguments as
# actor_backlog's); prints the seconds it took, or null if it did not get
# there.
wait_drained() {
  local start=$SECONDS depth
  while ((SECONDS - start < 300)); do
    depth=$(actor_backlog "$@")
    [[ $depth == null ]] && break
    ((depth == 0)) && { echo $((SECONDS - start)); return; }
    sleep 0.5
  done
  echo null
}

# Warms up, measures, and appends one run's object to $tmp/runs. With
# $7, a file holding a header line, every request carries that header.
# For a tell (to memory, or node_info for tell_ping) also the backlog of
# the target's mailbox before and after the measured run: what the target
# applied meanwhile is the requests accepted less the backlog's growth.
run_scenario() {
  local name=$1 method=$2 script=$3 url=$4 server_pid=$5 rep=$6 header=${7:-}
  local node_url=${url%%/v1/*} tells=false target=memory
  [[ $name == tell || $name == tell_auth || $name == tell_ping ]] && tells=true
  [[ $name == tell_ping ]] && target=node_info
  smoke_test "$name" "$method" "$url" "$header"
  run_wrk "$script" "$warmup" "$url" "$tmp/$name-warmup.txt" "$header" >/dev/null
  local measured backlog_before=null backlog=null drain=null
  $tells && backlog_before=$(actor_backlog "$node_url" "$target" "$header")
  local opens_before
  opens_before=$(tcp_passive_opens)
  measured=$(run_wrk "$script" "$duration" "$url" "$tmp/$name.txt" "$header")
  local opened=$(($(tcp_passive_opens) - opens_before))
  [[ -n $measured ]] || fail "no result line from wrk: $(cat "$tmp/$name.txt")"
  kill -0 "$server_pid" 2>/dev/null || fail "the server of '$name' died during its run"
  cp "$tmp/$name.txt" "$out/http-$name-$stamp-$rep.txt"
  if $tells; then
    backlog=$(actor_backlog "$node_url" "$target" "$header")
    drain=$(wait_drained "$node_url" "$target" "$header")
  fi
  python3 - "$name" "$method" "$url" "$measured" "$rep" "$backlog" "$drain" \
    "$backlog_before" "$([[ -n $header ]] && echo true || echo false)" \
    "$opened" >>"$tmp/runs" <<'EOF'
import json, sys
name, method, url, w, rep, backlog, drain, before, auth, opened = \
    sys.argv[1:11]
w = json.loads(w)
extra = {}
if name in ("tell", "tell_auth", "tell_ping"):
    backlog, before = json.loads(backlog), json.loads(before)
    extra = {"backlog_before": before, "backlog": backlog,
             "drain_s": json.loads(drain)}
    if backlog is not None and before is not None:
        # Accepted less the growth of the backlog, over the run.
        applied = w["requests"] - (backlog - before)
        extra["applied_rps"] = round(applied / w["duration_s"], 1)
print(json.dumps({
    "name": name, "method": method, "url": url, "rep": int(rep),
    "rps": w["rps"], "requests": w["requests"], "duration_s": w["duration_s"],
    "p50_ms": w["p50_ms"], "p90_ms": w["p90_ms"], "p99_ms": w["p99_ms"],
    "p999_ms": w["p999_ms"], "max_ms": w["max_ms"], "mean_ms": w["mean_ms"],
    "non_2xx": w["non_2xx"], "errors": sum(w["errors"].values()),
    "error_kinds": w["errors"], "bearer_token": auth == "true",
    "connections_opened": int(opened), **extra}))
EOF
}

# TCP connections this host (its network namespace) has accepted so far:
# the difference over a run is the connections wrk opened, plus any other
# process's on this host.
tcp_passive_opens() {
  awk '$1 == "Tcp:" && $7 ~ /^[0-9]+$/ { print $7 }' /proc/net/snmp
}

# The scenarios of round $1: as listed, but in even rounds each X_auth
# that directly follows its X goes first, so that neither side of a pair
# always runs right after the other's load (and its compactions).
round_order() {
  local list=($scenarios) i
  if (($1 % 2 == 0)); then
    for ((i = 0; i + 1 < ${#list[@]}; i++)); do
      if [[ ${list[i + 1]} == "${list[i]}_auth" ]]; then
        local x=${list[i]}
        list[i]=${list[i + 1]}
        list[i + 1]=$x
        i=$((i + 1))
      fi
    done
  fi
  echo "${list[@]}"
}

# Load average over the last minute (/proc/loadavg), for the record.
load_1min() {
  cut -d' ' -f1 /proc/loadavg
}

# Long enough for every round, each scenario's drain wait included.
count=$(wc -w <<<"$scenarios")
token_lifetime=$((repetitions * count * (warmup + duration + 330) + 600))
load_before=$(load_1min)
idle_before=$(cpu_idle_percent)
: >"$tmp/runs"
for scenario in $scenarios; do
  case $scenario in
    baseline) [[ -v baseline_url ]] || start_baseline ;;
    healthz | actors | tell | tell_ping) [[ -v bsmd_url ]] || start_bsmd ;;
    healthz_auth | actors_auth | tell_auth) [[ -v auth_url ]] || start_auth_bsmd ;;
    baseline_tls) [[ -v tls_baseline_url ]] || start_tls_baseline ;;
    healthz_tls) [[ -v tls_url ]] || start_tls_bsmd ;;
    *) fail "unknown scenario '$scenario' (baseline, healthz, actors, tell, tell_ping, healthz_auth, actors_auth, tell_auth, baseline_tls, healthz_tls)" ;;
  esac
done
for rep in $(seq "$repetitions"); do
  for scenario in $(round_order "$rep"); do
    case $scenario in
      baseline) run_scenario baseline GET get.lua "$baseline_url/" "$baseline_pid" "$rep" ;;
      healthz) run_scenario healthz GET get.lua "$bsmd_url/healthz" "$bsmd_pid" "$rep" ;;
      actors) run_scenario actors GET get.lua "$bsmd_url/v1/actors" "$bsmd_pid" "$rep" ;;
      tell) run_scenario tell POST post_tell.lua "$bsmd_url/v1/actors/memory/messages" "$bsmd_pid" "$rep" ;;
      tell_ping) run_scenario tell_ping POST post_tell_ping.lua "$bsmd_url/v1/actors/node_info/messages" "$bsmd_pid" "$rep" ;;
      healthz_auth) run_scenario healthz_auth GET get.lua "$auth_url/healthz" "$auth_pid" "$rep" "$auth_header" ;;
      actors_auth) run_scenario actors_auth GET get.lua "$auth_url/v1/actors" "$auth_pid" "$rep" "$auth_header" ;;
      tell_auth) run_scenario tell_auth POST post_tell.lua "$auth_url/v1/actors/memory/messages" "$auth_pid" "$rep" "$auth_header" ;;
      baseline_tls) run_scenario baseline_tls GET get.lua "$tls_baseline_url/" "$tls_baseline_pid" "$rep" ;;
      healthz_tls) run_scenario healthz_tls GET get.lua "$tls_url/healthz" "$tls_pid" "$rep" ;;
    esac
  done
done
idle_after=$(cpu_idle_percent)
load_after=$(load_1min)

json="$out/http-$stamp.json"
python3 - "$tmp/runs" "$json" <<EOF
import json, os, platform, sys
runs = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
scenarios = []
for name in dict.fromkeys(r["name"] for r in runs):
    mine = sorted((r for r in runs if r["name"] == name), key=lambda r: r["rps"])
    median = dict(mine[(len(mine) - 1) // 2])
    median["rps_runs"] = [r["rps"] for r in sorted(mine, key=lambda r: r["rep"])]
    scenarios.append(median)
doc = {
    "kind": "http", "date": "$stamp", "host": platform.node(),
    "cpus": os.cpu_count(), "idle_before_percent": $idle_before,
    "idle_after_percent": $idle_after, "load_before": $load_before,
    "load_after": $load_after,
    "settings": {"connections": $connections, "wrk_threads": $threads,
                 "duration_s": $duration, "warmup_s": $warmup,
                 "repetitions": $repetitions, "io_threads": $io_threads,
                 "durability": "$durability",
                 "mailbox_max_depth": $max_depth,
                 "auth": {"algorithm": "HS256", "roles": ["$auth_role"],
                          "grants": $auth_grants}},
    "scenarios": scenarios,
    "runs": runs,
}
with open(sys.argv[2], "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
EOF
cp "$json" "$out/http-latest.json"
python3 bench/summarize.py "$json" | tee "$out/http-summary-latest.txt"
