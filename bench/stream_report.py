#!/usr/bin/env python3
"""The parts of bench/stream_bench.py that decide something, kept free of
sockets and processes so that stream_report_test.py can check them:
decoding a chunked body as it arrives, finding each delta's token in it
(first sight wins), the per-request figures, quantiles, and the summary.

`python3 bench/stream_report.py FILE.json` prints the summary of a result
again.
"""
import json
import re
import sys

# A delta's token: the request's tag (q + 6 digits) and the delta's index.
TOKEN = re.compile(rb"(q\d{6})w(\d{3})")
TOKEN_BYTES = 11


def tag_of(n):
    """The tag of request number n; its deltas are tag + w000, w001, ..."""
    return "q%06d" % n


def token(tag, i):
    return "%sw%03d" % (tag, i)


class ChunkedDecoder:
    """Decodes Transfer-Encoding: chunked as bytes arrive; `done` once the
    last (empty) chunk and its trailer have been read."""

    def __init__(self):
        self._buf = b""
        self._left = None  # bytes of the current chunk still to come
        self._crlf = False  # the CRLF after a chunk's data is due
        self.done = False

    def feed(self, data):
        """The body bytes decoded from `data`; raises ValueError on a
        malformed chunk size."""
        self._buf += data
        out = []
        while not self.done:
            if self._crlf:
                if len(self._buf) < 2:
                    break
                if self._buf[:2] != b"\r\n":
                    raise ValueError("no CRLF after a chunk")
                self._buf = self._buf[2:]
                self._crlf = False
            if self._left is None:
                end = self._buf.find(b"\r\n")
                if end < 0:
                    break
                size = self._buf[:end].split(b";")[0].strip()
                if not re.fullmatch(rb"[0-9a-fA-F]+", size):
                    raise ValueError("bad chunk size %r" % size)
                if int(size, 16) == 0:
                    # The last chunk; no trailer fields are sent, so a CRLF
                    # ends the body.
                    if len(self._buf) < end + 4:
                        break
                    if self._buf[end + 2:end + 4] != b"\r\n":
                        raise ValueError("trailer fields after the last chunk")
                    self.done = True
                    break
                self._left = int(size, 16)
                self._buf = self._buf[end + 2:]
            take = self._buf[:self._left]
            out.append(take)
            self._buf = self._buf[len(take):]
            self._left -= len(take)
            if self._left > 0:
                break
            self._left = None
            self._crlf = True
        return b"".join(out)


class TokenScanner:
    """Records, per token, the time it was first seen in a byte stream
    that may split a token between two reads."""

    def __init__(self):
        self.first_seen = {}  # (tag, index) -> ns
        self._carry = b""

    def feed(self, data, t_ns):
        buf = self._carry + data
        for m in TOKEN.finditer(buf):
            key = (m.group(1).decode(), int(m.group(2)))
            self.first_seen.setdefault(key, t_ns)
        self._carry = buf[-(TOKEN_BYTES - 1):]


def request_figures(tag, deltas, t_sent, seen, written):
    """One request's figures in ms: ttfb (request sent to the first delta
    at the client), upstream_first (request sent to the upstream's first
    write), relay (per delta: client's first sight minus the upstream's
    write), and the deltas missing at the client or at the upstream."""
    relay = []
    missing = 0
    for i in range(deltas):
        at_client = seen.get((tag, i))
        at_upstream = written[i] if i < len(written) else None
        if at_client is None or at_upstream is None:
            missing += 1
            continue
        relay.append((at_client - at_upstream) / 1e6)
    first = seen.get((tag, 0))
    return {
        "ttfb_ms": None if first is None else (first - t_sent) / 1e6,
        "upstream_first_ms": (written[0] - t_sent) / 1e6 if written else None,
        "first_relay_ms": None if first is None or not written
        else (first - written[0]) / 1e6,
        "relay_ms": relay,
        "missing": missing,
    }


def quantile(sorted_xs, q):
    """The q-quantile of sorted values, by the nearest rank."""
    if not sorted_xs:
        return None
    rank = max(1, -(-len(sorted_xs) * q // 1))
    return sorted_xs[min(len(sorted_xs), int(rank)) - 1]


def distribution(xs):
    xs = sorted(x for x in xs if x is not None)
    return {"n": len(xs), "p50": quantile(xs, 0.50), "p90": quantile(xs, 0.90),
            "p99": quantile(xs, 0.99), "max": xs[-1] if xs else None}


def run_figures(requests):
    """A run's distributions from its requests' figures."""
    return {
        "requests": len(requests),
        "missing_deltas": sum(r["missing"] for r in requests),
        "failed": sum(1 for r in requests if r.get("error")),
        "ttfb_ms": distribution(r["ttfb_ms"] for r in requests),
        "upstream_first_ms": distribution(
            r["upstream_first_ms"] for r in requests),
        "head_ms": distribution(r.get("head_ms") for r in requests),
        "upstream_received_ms": distribution(
            r.get("upstream_received_ms") for r in requests),
        "first_relay_ms": distribution(r["first_relay_ms"] for r in requests),
        "relay_ms": distribution(x for r in requests for x in r["relay_ms"]),
    }


def ratio(a, b):
    return None if a is None or not b else a / b


def ms(x):
    if x is None:
        return "-"
    return "%.2f" % x if x < 100 else "%.0f" % x


def times(x):
    return "-" if x is None else "%.1fx" % x


def summary(doc):
    """The summary table: each route's TTFB and relay latency, and their
    p50 and p99 as a ratio of the direct run with the same clients."""
    s = doc["settings"]
    lines = [
        "stream benchmark %s (%s), commit %s, %d cpus, load %s -> %s, "
        "idle %s%% before" % (doc["date"], doc["mode"], doc["commit"][:12],
                              doc["cpus"], doc["loadavg_before"],
                              doc["loadavg_after"], doc["idle_before_percent"]),
        "%d deltas %g ms apart (first after %g ms); %d sequential requests, "
        "%d clients x %d, in %d rounds" % (
            s["deltas"], s["gap_ms"], s["first_ms"], s["requests"],
            s["clients"], s["per_client"], s.get("rounds", 1)),
        "%-22s %-4s %5s %5s | %-27s | %-27s | %-13s | %s" % (
            "route", "cli", "reqs", "fail", "TTFB p50/p90/p99/max ms",
            "relay p50/p90/p99/max ms", "TTFB x direct",
            "relay x direct"),
    ]
    runs = doc["runs"]
    direct = {r["clients"]: r for r in runs if r["route"] == "direct"}
    for r in runs:
        base = direct.get(r["clients"])
        t, rl = r["figures"]["ttfb_ms"], r["figures"]["relay_ms"]
        cells = []
        for key in ("ttfb_ms", "relay_ms"):
            mine = r["figures"][key]
            theirs = base["figures"][key] if base else {}
            cells.append("%s / %s" % (
                times(ratio(mine["p50"], theirs.get("p50"))),
                times(ratio(mine["p99"], theirs.get("p99")))))
        lines.append("%-22s %-4d %5d %5d | %-27s | %-27s | %-13s | %s" % (
            r["route"], r["clients"], r["figures"]["requests"],
            r["figures"]["failed"],
            "/".join(ms(t[k]) for k in ("p50", "p90", "p99", "max")),
            "/".join(ms(rl[k]) for k in ("p50", "p90", "p99", "max")),
            cells[0], cells[1]))
        f = r["figures"]
        lines.append("  p50: response head %s ms, request at the upstream %s "
                     "ms, its first write %s ms, first delta's relay %s ms" % (
                         ms(f.get("head_ms", {}).get("p50")),
                         ms(f.get("upstream_received_ms", {}).get("p50")),
                         ms(f["upstream_first_ms"]["p50"]),
                         ms(f.get("first_relay_ms", {}).get("p50"))))
        if r["figures"]["missing_deltas"]:
            lines.append("  %d deltas never reached the client"
                         % r["figures"]["missing_deltas"])
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary(json.load(open(sys.argv[1]))))
