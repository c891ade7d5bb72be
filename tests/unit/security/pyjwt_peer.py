"""PyJWT on the other side of tests/unit/security/jwt_interop_test.cpp.

  pyjwt_peer.py verify ALG KEY_FILE TOKEN   -> prints the payload as JSON
  pyjwt_peer.py sign ALG KEY_FILE KID PAYLOAD_JSON -> prints the token

KEY_FILE holds the HMAC secret (HS256) or a PEM key. Verification pins the
algorithm, the issuer "bsm-node" and the audience "bsm".
"""
import json
import sys

import jwt


def main(argv):
    command, alg, key_file = argv[1], argv[2], argv[3]
    with open(key_file, "rb") as f:
        key = f.read()
    if command == "verify":
        payload = jwt.decode(argv[4], key, algorithms=[alg],
                             audience="bsm", issuer="bsm-node",
                             options={"require": ["exp", "iat", "nbf"]})
        print(json.dumps(payload, sort_keys=True))
    elif command == "sign":
        kid, payload = argv[4], json.loads(argv[5])
        print(jwt.encode(payload, key, algorithm=alg, headers={"kid": kid}))
    else:
        raise SystemExit("unknown command " + command)


if __name__ == "__main__":
    main(sys.argv)
