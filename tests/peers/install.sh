#!/usr/bin/env bash
# Installs the test peers (MCP tool servers, the MCP SDK, the OpenAI client,
# Redocly CLI) into tests/peers/node_modules with `npm ci`, exactly as
# package-lock.json pins them. Idempotent: a stamp in node_modules
# remembers the hash of the lock file, package.json and the Node.js version
# it was installed for, so when nothing changed this exits in well under a
# second without npm.
set -euo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
stamp="$dir/node_modules/.bsm-install-stamp"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "tests/peers/install.sh: '$tool' not found in PATH;" \
      "run deploy/install-deps.sh (it installs Node.js and npm)" >&2
    exit 1
  fi
done

want=$( (cat "$dir/package-lock.json" "$dir/package.json"; node --version) \
  | sha256sum | cut -d' ' -f1)
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

# Two test runs may start at once; one installs, the other waits and then
# finds the stamp current.
lock="${TMPDIR:-/tmp}/bsm-test-peers-$(echo "$dir" | sha256sum | cut -c1-16).lock"
exec 9>"$lock"
flock 9
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

echo "tests/peers/install.sh: installing test peers (npm ci)"
if ! (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
  echo "tests/peers/install.sh: 'npm ci' failed in $dir" >&2
  exit 1
fi
echo "$want" >"$stamp"
