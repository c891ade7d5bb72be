#!/usr/bin/env python3
"""Inject messages into a BSM-AgentOS node over HTTP, standard library only.

Sends --count durable tells of bsm.v1.MemoryPutRequest to the `memory`
actor (POST /v1/actors/memory/messages, the "Message injection" part of the
HTTP API), each with its own Idempotency-Key so a retry has one effect,
retrying on 503 as the server's Retry-After says. Then asks
bsm.v1.MemoryGetRequest (mode "ask") to read one value back.

Payloads use the protobuf JSON mapping: `value` is a protobuf `bytes` field,
so it travels as base64.

    python3 docs/examples/inject_messages.py --url http://127.0.0.1:8080 --count 5

Exit code 0 when every message was accepted and the value read back matches,
1 otherwise.
"""

import argparse
import base64
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

MAX_ATTEMPTS = 5


class ServerError(Exception):
    """A non-2xx answer: the HTTP status and the error shape's code/message."""

    def __init__(self, status, code, message):
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status = status


def retry_after_seconds(headers, default=1.0):
    """Retry-After as seconds (the bridge sends an integer), capped at 30."""
    try:
        return min(30.0, max(0.0, float(headers.get("Retry-After", default))))
    except (TypeError, ValueError):
        return default


def error_of(err):
    """The {"error":{"code","message"}} body of an HTTPError, if any."""
    try:
        body = json.loads(err.read().decode("utf-8"))
        return body["error"]["code"], body["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return "unknown", err.reason


def post_message(args, actor, msg_type, payload, mode="tell", key=None):
    """POSTs one message; retries on 503 and on connection failures.

    Retrying is safe for tells because the Idempotency-Key makes the
    server apply a repeated request once."""
    url = f"{args.url}/v1/actors/{urllib.parse.quote(actor, safe='')}/messages"
    body = json.dumps({"type": msg_type, "payload": payload, "mode": mode,
                       "timeout_ms": args.timeout_ms}).encode("utf-8")
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    if args.token:
        headers["Authorization"] = f"Bearer {args.token}"
    for attempt in range(1, MAX_ATTEMPTS + 1):
        req = urllib.request.Request(url, data=body, headers=headers,
                                     method="POST")
        try:
            with urllib.request.urlopen(req, timeout=args.timeout_ms / 1000 + 10) as res:
                return json.loads(res.read().decode("utf-8"))
        except urllib.error.HTTPError as err:
            code, message = error_of(err)
            if err.code != 503 or attempt == MAX_ATTEMPTS:
                raise ServerError(err.code, code, message) from None
            delay = retry_after_seconds(err.headers)
            print(f"  503 {code} ({message}); retrying in {delay:g}s",
                  file=sys.stderr)
            time.sleep(delay)
        except urllib.error.URLError as err:
            if attempt == MAX_ATTEMPTS:
                raise
            print(f"  cannot reach {args.url} ({err.reason}); retrying",
                  file=sys.stderr)
            time.sleep(0.5 * attempt)
    raise AssertionError("unreachable")


def put_values(args, run_id):
    """Tells MemoryPutRequest for key-0..key-(count-1); returns the values."""
    values = {}
    for i in range(args.count):
        key, value = f"key-{i}", f"value {i} of run {run_id}"
        payload = {"agent": args.agent, "key": key,
                   "value": base64.b64encode(value.encode()).decode("ascii")}
        answer = post_message(args, "memory", "bsm.v1.MemoryPutRequest",
                              payload, key=f"inject-{run_id}-{i}")
        print(f"put {args.agent}/{key}: message_id={answer.get('message_id')}"
              f" durable={answer.get('durable')}")
        values[key] = value
    return values


def get_value(args, key):
    """Asks MemoryGetRequest until the value is there (a tell is processed
    after its 202, asynchronously) or the wait runs out."""
    deadline = time.monotonic() + args.wait_s
    while True:
        answer = post_message(args, "memory", "bsm.v1.MemoryGetRequest",
                              {"agent": args.agent, "key": key}, mode="ask")
        payload = answer.get("payload", {})
        if payload.get("found"):
            return base64.b64decode(payload.get("value", "")).decode()
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.1)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("BSM_URL", "http://127.0.0.1:8080"),
                        help="the node's HTTP bridge (default: $BSM_URL, then %(default)s)")
    parser.add_argument("--token", default=os.environ.get("BSM_TOKEN", ""),
                        help="bearer token (default: $BSM_TOKEN)")
    parser.add_argument("--count", type=int, default=10,
                        help="messages to send (default: %(default)s)")
    parser.add_argument("--agent", default="inject-example",
                        help="memory space to write (default: %(default)s)")
    parser.add_argument("--timeout-ms", type=int, default=5000,
                        help="server deadline of the ask (default: %(default)s)")
    parser.add_argument("--wait-s", type=float, default=5.0,
                        help="how long to wait for the value (default: %(default)s)")
    args = parser.parse_args()
    if args.count < 1:
        parser.error("--count must be at least 1")
    args.url = args.url.rstrip("/")
    return args


def main():
    args = parse_args()
    run_id = uuid.uuid4().hex[:12]
    try:
        values = put_values(args, run_id)
        key = f"key-{args.count - 1}"
        got = get_value(args, key)
    except (ServerError, urllib.error.URLError, OSError, ValueError) as err:
        print(f"inject_messages: {err}", file=sys.stderr)
        return 1
    if got != values[key]:
        print(f"inject_messages: {args.agent}/{key} is {got!r}, want {values[key]!r}",
              file=sys.stderr)
        return 1
    print(f"get {args.agent}/{key}: {got!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
