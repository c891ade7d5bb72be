#!/usr/bin/env python3
"""Helpers of bench/sessions_bench.sh (make bench-sessions, issue 28).

  sessions_report.py budget CONFIG [KEY=VALUE...]
      store.memory_budget in bytes from CONFIG, or from a KEY=VALUE
      override (the bench's --set list); prints 0 when neither names one.
  sessions_report.py history URL AGENT INPUT COUNT SEED PREFIX:N...
      Reads the history of COUNT sessions drawn at random (SEED) from the
      ids PREFIX-1..PREFIX-N, one at a time on one kept-alive connection,
      and checks that each holds exactly the turn the bench sent: one user
      turn "INPUT [<id>]" and an assistant answer after it. Prints one
      JSON object: the route used, reads, ok, the first failures, p50/p99
      and max latency in ms.
  sessions_report.py summary RESULT.json OUTDIR
      Adds the totals and the target check to RESULT.json, writes
      OUTDIR/table.md, samples.csv and plot.txt (RSS and data dir
      against sessions, ASCII) from a result of sessions_bench.sh and
      prints the table.

The history of a session is read with GET /v1/agents/{agent}/sessions/{id}
(../shared/API.md) when the node serves it, else with an ask of
bsm.v1.SessionReadRequest to the memory actor through
POST /v1/actors/memory/messages (docs/API.md, "Message injection"); the
result names which.
"""
import csv
import http.client
import json
import math
import random
import re
import sys
import time
import urllib.parse

MIB = 1024 * 1024
# The target: from the first full memtable on, RSS stays within
# memory_budget + 64 MiB, plus 10%.
TARGET_HEADROOM_BYTES = 64 * MIB
TARGET_TOLERANCE = 0.10
GET_ROUTE = "get"
ASK_ROUTE = "ask"
MAX_FAILURES_SHOWN = 10

_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024,
          "m": 1000**2, "mb": 1000**2, "mib": 1024**2,
          "g": 1000**3, "gb": 1000**3, "gib": 1024**3}


def parse_bytes(text):
    """Bytes of "268435456", "256MiB", "256 MB"; ValueError otherwise."""
    m = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", str(text))
    if not m or m.group(2).lower() not in _UNITS:
        raise ValueError("not a byte size: %r" % (text,))
    return int(m.group(1)) * _UNITS[m.group(2).lower()]


def memory_budget(config_text, overrides):
    """store.memory_budget in bytes, the last override winning; 0 if unset."""
    for item in reversed(overrides):
        key, _, value = item.partition("=")
        if key.strip() == "store.memory_budget":
            return parse_bytes(value)
    import yaml  # only this subcommand needs it
    doc = yaml.safe_load(config_text) or {}
    value = (doc.get("store") or {}).get("memory_budget")
    return 0 if value is None else parse_bytes(value)


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def pick_sessions(ranges, count, seed):
    """count distinct ids drawn from [(prefix, n)] (ids prefix-1..prefix-n)."""
    total = sum(n for _, n in ranges)
    rng = random.Random(seed)
    picks = rng.sample(range(total), min(count, total))
    ids = []
    for index in picks:
        for prefix, n in ranges:
            if index < n:
                ids.append("%s-%d" % (prefix, index + 1))
                break
            index -= n
    return ids


def sent_input(input_text, session):
    """The input the bench's chat turn sent for a session."""
    return "%s [%s]" % (input_text, session)


def turns_of(route, doc):
    """The turns in a history answer of either route."""
    if route == ASK_ROUTE:
        doc = doc.get("payload") or {}
    return doc.get("turns") or []


def check_history(turns, session, input_text):
    """None when the turns are the bench's one turn, else what is wrong."""
    users = [t for t in turns if t.get("role") == "user"]
    if not turns:
        return "no turns"
    if len(users) != 1:
        return "%d user turns, want 1" % len(users)
    want = sent_input(input_text, session)
    if users[0].get("content") != want:
        return "user turn %r, want %r" % (users[0].get("content"), want)
    after = turns[turns.index(users[0]) + 1:]
    if not any(t.get("role") == "assistant" and t.get("content")
               for t in after):
        return "no assistant answer after the user turn"
    return None


class history_reader:
    """One kept-alive HTTP connection that reads sessions' histories."""

    def __init__(self, url, agent):
        parts = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port,
                                               timeout=30)
        self.agent = agent
        self.route = None

    def _request(self, method, path, body=None):
        headers = {"Content-Type": "application/json"} if body else {}
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        return resp.status, resp.read()

    def _read(self, route, session):
        if route == GET_ROUTE:
            path = "/v1/agents/%s/sessions/%s?limit=1000" % (
                urllib.parse.quote(self.agent, safe=""),
                urllib.parse.quote(session, safe=""))
            return self._request("GET", path)
        body = json.dumps({
            "type": "bsm.v1.SessionReadRequest", "mode": "ask",
            "payload": {"agent": self.agent, "session_id": session,
                        "limit": 1000}})
        return self._request("POST", "/v1/actors/memory/messages", body)

    def detect(self, session):
        """Picks the route on a session that exists: GET when served."""
        status, _ = self._read(GET_ROUTE, session)
        self.route = GET_ROUTE if status == 200 else ASK_ROUTE
        status, body = self._read(self.route, session)
        if status != 200:
            raise RuntimeError("history of %s: %d %s" % (
                session, status, body[:300].decode(errors="replace")))
        return self.route

    def read(self, session):
        """(seconds, status, turns) of one read."""
        start = time.perf_counter()
        status, body = self._read(self.route, session)
        seconds = time.perf_counter() - start
        turns = turns_of(self.route, json.loads(body)) if status == 200 else []
        return seconds, status, turns


def read_histories(reader, sessions, input_text):
    """The history check of the sessions as one result object."""
    latencies_ms, failures, ok = [], [], 0
    for session in sessions:
        seconds, status, turns = reader.read(session)
        latencies_ms.append(seconds * 1e3)
        problem = ("status %d" % status if status != 200
                   else check_history(turns, session, input_text))
        if problem is None:
            ok += 1
        elif len(failures) < MAX_FAILURES_SHOWN:
            failures.append({"session_id": session, "problem": problem})
    return {
        "route": reader.route, "reads": len(sessions), "ok": ok,
        "failures": failures,
        "p50_ms": round(percentile(latencies_ms, 50), 3),
        "p99_ms": round(percentile(latencies_ms, 99), 3),
        "max_ms": round(max(latencies_ms), 3),
    }


def target_check(samples, budget_bytes):
    """The issue's RSS target over the samples after the first (which has
    a full memtable behind it: the first sample is at SESSIONS/10)."""
    loaded = [s for s in samples if s["sessions"] > 0]
    result = {"memory_budget_bytes": budget_bytes}
    if loaded:
        first, last = loaded[0]["rss_bytes"], loaded[-1]["rss_bytes"]
        result["rss_max_bytes"] = max(s["rss_bytes"] for s in loaded)
        result["rss_growth_bytes"] = last - first
    if not loaded:
        result["verdict"] = "n/a (no samples)"
        return result
    if not budget_bytes:
        result["verdict"] = "n/a (no store.memory_budget)"
        return result
    ceiling = (budget_bytes + TARGET_HEADROOM_BYTES) * (1 + TARGET_TOLERANCE)
    result["rss_ceiling_bytes"] = int(ceiling)
    result["verdict"] = "met" if result["rss_max_bytes"] <= ceiling \
        else "missed"
    # A node that refused turns (the budget's 503) kept its RSS down by not
    # doing the work: that is not the target.
    failed = sum(s.get("failed", 0) for s in loaded)
    if failed:
        result["verdict"] = f"missed ({failed:,} turns failed)"
    return result


def complete(doc):
    """Adds the totals over the samples and the target check to a result."""
    loaded = [s for s in doc["samples"] if s["sessions"] > 0]
    seconds = sum(s["seconds"] for s in loaded)
    answered = loaded[-1]["sessions"] if loaded else 0
    doc["totals"] = {
        "answered": answered,
        "failed": sum(s.get("failed", 0) for s in loaded),
        "seconds": round(seconds, 3),
        "turns_per_s": answered / seconds if seconds else 0.0,
    }
    doc["target"] = target_check(doc["samples"],
                                 doc["settings"]["memory_budget_bytes"])
    return doc


# The store's memory series a sample may carry (sessions_bench.sh).
STORE_SERIES = ("cache_usage_bytes", "cache_pinned_bytes", "memtable_bytes",
                "table_readers_bytes")


def mib(n):
    return "%.0f MiB" % (n / MIB)


def mib1(n):
    return "%.1f MiB" % (n / MIB)


def markdown_table(doc):
    """The samples, the restart and the history reads as markdown."""
    lines = ["| sessions | RSS | block cache (pinned) | memtables | data dir "
             "| of it WAL | turns/s (interval) | failed turns |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in doc["samples"]:
        rate = "%.0f" % s["turns_per_s"] if s.get("turns_per_s") else "-"
        lines.append("| {:,} | {} | {} ({}) | {} | {} | {} | {} | {} |".format(
            s["sessions"], mib(s["rss_bytes"]),
            mib(s.get("cache_usage_bytes", 0)),
            mib(s.get("cache_pinned_bytes", 0)),
            mib(s.get("memtable_bytes", 0)), mib1(s["data_dir_bytes"]),
            mib1(s.get("wal_bytes", 0)), rate, s.get("failed", 0)))
    r = doc["restart"]
    lines.append("| after restart | {} | - | - | {} | {} | - | - |".format(
        mib(r["rss_bytes"]), mib1(r["data_dir_bytes"]),
        mib1(r.get("wal_bytes", 0))))
    h = doc["history"]
    t = doc["target"]
    total = doc["totals"]
    lines += [
        "",
        "- turns: {:,} answered, {:,} failed, {:.0f} turns/s overall "
        "({} connections)".format(total["answered"], total["failed"],
                                  total["turns_per_s"],
                                  doc["settings"]["connections"]),
        "- restart: stop (SIGTERM to exit) {:.2f} s, start to /readyz 200 "
        "{:.2f} s, RSS after restart {}, after the history reads {}".format(
            r["stop_s"], r["ready_s"], mib(r["rss_bytes"]),
            mib(r["rss_after_reads_bytes"])),
        "- history of {:,} random old sessions ({}): {:,} right, p50 {:.2f} ms, "
        "p99 {:.2f} ms, max {:.2f} ms".format(
            h["reads"], route_name(h["route"]), h["ok"], h["p50_ms"],
            h["p99_ms"], h["max_ms"]),
    ]
    if h["failures"]:
        lines.append("- history failures (first {}): {}".format(
            len(h["failures"]), "; ".join(
                "%s: %s" % (f["session_id"], f["problem"])
                for f in h["failures"])))
    growth = t.get("rss_growth_bytes")
    lines.append(
        "- target (RSS within 1.1 x (memory_budget + 64 MiB) from the first "
        "sample on): {}; budget {}, RSS max {}, growth first to last sample "
        "{}".format(t["verdict"],
                    mib(t["memory_budget_bytes"]) if t["memory_budget_bytes"]
                    else "not configured",
                    mib(t["rss_max_bytes"]) if "rss_max_bytes" in t else "-",
                    ("%+.0f MiB" % (growth / MIB)) if growth is not None
                    else "-"))
    return "\n".join(lines) + "\n"


def route_name(route):
    return {GET_ROUTE: "GET /v1/agents/{agent}/sessions/{id}",
            ASK_ROUTE: "ask bsm.v1.SessionReadRequest to memory"}.get(
                route, str(route))


def ascii_plot(points, width=60, height=16, label="MiB"):
    """Rows of text plotting [(x, y)] with '*', y axis labelled."""
    if not points:
        return ["(no points)"]
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x_max = max(xs) or 1
    y_max = max(ys) or 1
    grid = [[" "] * width for _ in range(height)]
    for x, y in points:
        col = min(width - 1, round(x / x_max * (width - 1)))
        row = min(height - 1, round(y / y_max * (height - 1)))
        grid[height - 1 - row][col] = "*"
    rows = []
    for i, cells in enumerate(grid):
        y_label = y_max * (height - 1 - i) / (height - 1)
        rows.append("%8.0f |%s" % (y_label, "".join(cells).rstrip()))
    rows.append("%8s +%s" % (label, "-" * width))
    rows.append("%8s  0%s%s sessions" % ("", " " * (width - 2 - len(
        "{:,}".format(x_max))), "{:,}".format(x_max)))
    return rows


def write_summary(doc, outdir):
    table = markdown_table(doc)
    with open("%s/table.md" % outdir, "w") as f:
        f.write(table)
    with open("%s/samples.csv" % outdir, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["sessions", "rss_bytes", "data_dir_bytes", "wal_bytes",
                    "turns_per_s", "failed"] + list(STORE_SERIES))
        for s in doc["samples"]:
            w.writerow([s["sessions"], s["rss_bytes"], s["data_dir_bytes"],
                        s.get("wal_bytes", 0), s.get("turns_per_s") or "",
                        s.get("failed", 0)]
                       + [s.get(k, "") for k in STORE_SERIES])
        r = doc["restart"]
        w.writerow(["after_restart", r["rss_bytes"], r["data_dir_bytes"],
                    r.get("wal_bytes", 0), "", ""] + [""] * len(STORE_SERIES))
    rss = [(s["sessions"], s["rss_bytes"] / MIB) for s in doc["samples"]]
    data = [(s["sessions"], s["data_dir_bytes"] / MIB)
            for s in doc["samples"]]
    with open("%s/plot.txt" % outdir, "w") as f:
        f.write("RSS (MiB) against sessions\n")
        f.write("\n".join(ascii_plot(rss)) + "\n\n")
        f.write("Data dir (MiB) against sessions\n")
        f.write("\n".join(ascii_plot(data)) + "\n")
    return table


def main(argv):
    if len(argv) >= 2 and argv[1] == "budget":
        with open(argv[2]) as f:
            print(memory_budget(f.read(), argv[3:]))
    elif len(argv) >= 7 and argv[1] == "history":
        url, agent, input_text, count, seed = argv[2:7]
        ranges = []
        for spec in argv[7:]:
            prefix, _, n = spec.rpartition(":")
            ranges.append((prefix, int(n)))
        sessions = pick_sessions(ranges, int(count), int(seed))
        reader = history_reader(url, agent)
        reader.detect(sessions[0])
        print(json.dumps(read_histories(reader, sessions, input_text)))
    elif len(argv) == 4 and argv[1] == "summary":
        with open(argv[2]) as f:
            doc = complete(json.load(f))
        with open(argv[2], "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        sys.stdout.write(write_summary(doc, argv[3]))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
