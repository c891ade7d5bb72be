#!/usr/bin/env bash
# make interop (not part of make test): other ecosystems' own checks
# against a real node on 127.0.0.1. Installs tests/interop's pinned npm
# packages (the MCP conformance suite and Node.js 22, which the suite needs)
# with `npm ci`, starts a bsmd with the seed agents, runs the suite's
# server scenarios against its /mcp and its client scenarios against the
# node's MCP client (tests/interop/mcp_client_driver.cpp), one line per
# scenario; exits 1 if any failed. The suite's other server scenarios test fixture tools, prompts
# and resources a server would have to be built for (docs/API.md, "MCP
# server", lists them and why they do not apply).
#   tests/interop/run.sh [BUILD_DIR]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir="$root/tests/interop"
build=$(cd "${1:-$root/build}" && pwd)
fail() {
  echo "interop: $*" >&2
  exit 1
}

stamp="$dir/node_modules/.bsm-install-stamp"
want=$(cat "$dir/package-lock.json" "$dir/package.json" | sha256sum | cut -d' ' -f1)
if [[ ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
  (cd "$dir" && npm ci --silent --no-audit --no-fund) || fail "npm ci failed"
  echo "$want" >"$stamp"
fi
node22="$dir/node_modules/.bin/node"
suite="$dir/node_modules/@modelcontextprotocol/conformance/dist/index.js"
[[ -x $node22 && -f $suite ]] || fail "the interop packages are incomplete"

tmp=$(mktemp -d)
bsmd_pid=""
# shellcheck source=../../bench/bsmd_lib.sh
source "$root/bench/bsmd_lib.sh"
cleanup() {
  [[ -n $bsmd_pid ]] && stop_pid "$bsmd_pid"
  rm -rf "$tmp"
}
trap cleanup EXIT

cd "$root"
start_bsmd_node "agents.paths=[$root/agents/seed]"
for _ in $(seq 300); do
  curl -fs "$bsmd_url/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "$bsmd_url/readyz" >/dev/null || fail "bsmd never got ready: $(cat "$tmp/data.err")"

failed=0
# run_scenario SIDE SCENARIO ARGS...: one scenario of the suite, one line.
run_scenario() {
  local side=$1 scenario=$2 out rc=0
  shift 2
  out=$("$node22" "$suite" "$side" "$@" --scenario "$scenario" 2>&1) || rc=$?
  local tally
  tally=$(grep -o 'Passed: [0-9]*/[0-9]*, [0-9]* failed, [0-9]* warnings' <<<"$out" | tail -1)
  if [[ $rc -eq 0 ]]; then
    printf 'PASS  mcp %-7s %-30s %s\n' "$side" "$scenario" "$tally"
  else
    failed=1
    printf 'FAIL  mcp %-7s %-30s %s\n' "$side" "$scenario" "${tally:-exit $rc}"
    tail -40 <<<"$out" | sed 's/^/      /'
  fi
}

for scenario in server-initialize ping tools-list logging-set-level \
  dns-rebinding-protection server-sse-multiple-streams server-sse-polling; do
  run_scenario server "$scenario" --url "$bsmd_url/mcp"
done
# The node's MCP client (agents/mcp over Streamable HTTP) against the
# suite's servers.
driver="$build/tests/bsm_mcp_conformance_client"
[[ -x $driver ]] || fail "$driver not built"
for scenario in initialize tools_call sse-retry auth/client-credentials-basic \
  auth/client-credentials-jwt auth/pre-registration; do
  run_scenario client "$scenario" --command "$driver"
done
exit $failed
