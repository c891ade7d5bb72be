#!/bin/bash
# Makes a certificate authority and certificates signed by it, with the
# openssl CLI: for TLS on the HTTP bridge and mutual TLS between nodes.
#
#   deploy/make-certs.sh DIR [NAME...]
#
# DIR gets ca.pem and ca.key (made once, kept if present) and, for each
# NAME (default: node), NAME.pem and NAME.key: an EC P-256 key and a
# certificate valid for one year, usable as server and as client, for the
# host names localhost and NAME and the addresses 127.0.0.1 and ::1.
# Keys are written with mode 600. For tests and for a first cluster; a
# production CA keeps its key elsewhere.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 DIR [NAME...]" >&2
  exit 2
fi
dir=$1
shift
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(node)

mkdir -p "$dir"
umask 077
if [ ! -f "$dir/ca.pem" ] || [ ! -f "$dir/ca.key" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 365 \
    -subj "/CN=BSM-AgentOS cluster CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi

for name in "${names[@]}"; do
  if ! [[ "$name" =~ ^[A-Za-z0-9._-]{1,64}$ ]]; then
    echo "$0: '$name' is not a name (A-Z, a-z, 0-9, '.', '_', '-')" >&2
    exit 2
  fi
  ext=$(mktemp)
  trap 'rm -f "$ext"' EXIT
  cat >"$ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyAgreement
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:localhost,DNS:$name,IP:127.0.0.1,IP:::1
EXT
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$dir/$name.key" -out "$dir/$name.csr" -subj "/CN=$name" \
    2>/dev/null
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" \
    -CAkey "$dir/ca.key" -CAcreateserial -days 365 -extfile "$ext" \
    -out "$dir/$name.pem" 2>/dev/null
  rm -f "$dir/$name.csr" "$ext"
  chmod 644 "$dir/$name.pem"
done
chmod 644 "$dir/ca.pem"
