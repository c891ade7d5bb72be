#!/usr/bin/env bash
# make interop (not part of make test): other ecosystems' own checks
# against a real node on 127.0.0.1. Installs tests/interop's pinned npm
# packages (the MCP conformance suite, the MCP Inspector, the AI SDK,
# LangChain.js and Node.js 22, which the suite needs) with `npm ci`, starts
# a fake OpenAI-compatible upstream (fake_upstream.mjs, which honours
# tool_choice) and a bsmd with the seed agents and an agent "upstream" on
# that upstream, then runs, one line per scenario or check:
# - the suite's server scenarios against the node's /mcp and its client
#   scenarios against the node's MCP client (mcp_client_driver.cpp); the
#   suite's other server scenarios test fixture tools, prompts and
#   resources a server would have to be built for (docs/API.md, "MCP
#   server", lists them and why they do not apply);
# - the MCP Inspector's CLI against /mcp;
# - the AI SDK and LangChain.js against /v1, on the upstream agent and on
#   a seed agent (the local provider);
# - @a2a-js/sdk's client against the runner agent over A2A.
# Exits 1 if any failed.
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
upstream_pid=""
# shellcheck source=../../bench/bsmd_lib.sh
source "$root/bench/bsmd_lib.sh"
cleanup() {
  [[ -n $bsmd_pid ]] && stop_pid "$bsmd_pid"
  [[ -n $upstream_pid ]] && stop_pid "$upstream_pid"
  rm -rf "$tmp"
}
trap cleanup EXIT

cd "$root"
"$node22" "$dir/fake_upstream.mjs" >"$tmp/upstream.out" 2>"$tmp/upstream.err" &
upstream_pid=$!
upstream_port=""
for _ in $(seq 100); do
  upstream_port=$(grep -o '"port":[0-9]*' "$tmp/upstream.out" 2>/dev/null | cut -d: -f2 || true)
  [[ -n $upstream_port ]] && break
  sleep 0.1
done
[[ -n $upstream_port ]] || fail "the fake upstream did not start: $(cat "$tmp/upstream.err")"
mkdir "$tmp/agents"
cat >"$tmp/agents/upstream.yaml" <<'YAML'
name: upstream
description: An agent on the fake OpenAI-compatible upstream.
model:
  provider: openai
  name: fake-model
system_prompt: You answer briefly.
tools: []
YAML
start_bsmd_node "agents.paths=[$root/agents/seed,$tmp/agents]" \
  "openai.base_url=http://127.0.0.1:$upstream_port/v1" "openai.api_key=sk-fake"
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
for scenario in initialize tools_call sse-retry \
  elicitation-sep1034-client-defaults auth/client-credentials-basic \
  auth/client-credentials-jwt auth/pre-registration; do
  run_scenario client "$scenario" --command "$driver"
done
# run_check NAME CMD...: a script that prints its own PASS/FAIL lines.
run_check() {
  local name=$1 out rc=0
  shift
  out=$("$@" 2>&1) || rc=$?
  [[ $rc -eq 0 ]] || failed=1
  if [[ -n $out ]]; then
    echo "$out"
  else
    printf 'FAIL  %s (exit %s, no output)\n' "$name" "$rc"
  fi
}

# The MCP Inspector's CLI: list the tools, call one.
inspector="$dir/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js"
inspect() {
  local what=$1 want=$2 out rc=0
  shift 2
  out=$("$node22" "$inspector" --cli "$bsmd_url/mcp" "$@" 2>&1) || rc=$?
  if [[ $rc -eq 0 && $out == *"$want"* ]]; then
    printf 'PASS  mcp inspector %-30s\n' "$what"
  else
    failed=1
    printf 'FAIL  mcp inspector %-30s exit %s\n' "$what" "$rc"
    tail -20 <<<"$out" | sed 's/^/      /'
  fi
}
inspect "tools/list" '"ask_architect"' --method tools/list
inspect "tools/call ask_architect" '"session_id"' --method tools/call \
  --tool-name ask_architect --tool-arg "message=What is a supervision tree?"

# The AI SDK and LangChain.js on /v1, with the upstream that honours
# tool_choice and with the local provider.
for model in upstream architect; do
  run_check "ai-sdk $model" "$node22" "$dir/ai_sdk_check.mjs" "$bsmd_url/v1" "$model"
  run_check "langchain $model" "$node22" "$dir/langchain_check.mjs" "$bsmd_url/v1" "$model"
done
# @a2a-js/sdk 1.3.0's client against the runner agent over A2A (the
# integration test's script, one line per part; the other direction, a
# node's agent calling an SDK server, is tests/integration/a2a_client_test).
"$root/tests/peers/install.sh" >/dev/null || fail "tests/peers/install.sh failed"
a2a_out=$("$node22" "$root/tests/integration/a2a_sdk_check.mjs" \
  "$bsmd_url/a2a/agents/runner" 2>&1 | tail -1)
python3 - "$a2a_out" <<'PY' || failed=1
import json, sys
try:
    parts = json.loads(sys.argv[1])
except ValueError:
    print("FAIL  a2a sdk client: " + sys.argv[1][:400])
    sys.exit(1)
bad = 0
for name, seen in parts.items():
    error = isinstance(seen, dict) and seen.get("error")
    bad += bool(error)
    print(("FAIL  " if error else "PASS  ") + ("a2a sdk client " + name).ljust(44)
          + " " + (str(error) if error else ""))
sys.exit(1 if bad else 0)
PY
exit $failed
