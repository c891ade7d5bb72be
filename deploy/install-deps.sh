#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing and benchmarking
# BSM-AgentOS need. Idempotent: when everything is present it only runs
# dpkg-query and exits in well under a second.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config clang-format
  # runtime libraries
  libcaf-dev libprotobuf-dev protobuf-compiler libyaml-cpp-dev libspdlog-dev
  libfmt-dev nlohmann-json3-dev librocksdb-dev libhiredis-dev libssl-dev
  libboost-dev libboost-system-dev libcurl4-openssl-dev libgoogle-perftools-dev
  # command lines of bsmd and bsmctl (header-only)
  libcli11-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev prometheus python3 curl wrk
  redis-server
  # PyJWT, the JWT interoperability peer of the unit tests
  python3-jwt python3-cryptography
  # make coverage
  gcovr
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

# Node.js and npm run the test peers (tests/peers/install.sh). Checked by
# command, not package: a Node.js from elsewhere (nodesource ships npm inside
# its nodejs package) is fine, and Debian's npm would conflict with it.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
