#!/usr/bin/env python3
"""Prints a Google Benchmark JSON result as a table of medians, and each
runtime figure as a ratio of the raw baseline measured in the same run."""
import json
import sys

import re


def baseline_for(name):
    """The raw baseline measured in the same run, or None."""
    if name.startswith("BM_RuntimeTyped"):
        return name.replace("BM_RuntimeTyped", "BM_RawCaf")
    m = re.match(r"BM_StoreWriterAppendAck/fsync:(\d)/senders:(\d+)/", name)
    if m:
        # Baselines exist for one sender and for groups of 64.
        raw = {"1": "BM_RawRocksPutDelete",
               "64": "BM_RawRocksBatchedPutDelete"}.get(m.group(2))
        return f"{raw}/fsync:{m.group(1)}/real_time" if raw else None
    m = re.match(r"BM_DurableSend/fsync:(\d)/senders:(\d+)/", name)
    if m:
        # os: against a perfect group commit of 64 on raw RocksDB (target
        # >= 50% at 64 senders). fsync: against one sender through the same
        # path, i.e. what group commit buys (target >= 10x at 64 senders).
        if m.group(1) == "0":
            return "BM_RawRocksBatchedPutDelete/fsync:0/real_time"
        if m.group(2) != "1":
            return "BM_DurableSend/fsync:1/senders:1/real_time"
    return None


# Rows whose ratio is not against a raw baseline: shown after the table.
RATIO_NOTES = [
    (re.compile(r"BM_DurableSend/fsync:0/"),
     "BM_DurableSend/fsync:0/*: vs BM_RawRocksBatchedPutDelete/fsync:0 "
     "(target >= 50% at 64 senders)"),
    (re.compile(r"BM_DurableSend/fsync:1/"),
     "BM_DurableSend/fsync:1/*: vs BM_DurableSend/fsync:1/senders:1, the "
     "speed-up of group commit (target >= 1000% at 64 senders)"),
]


def medians(doc):
    result = {}
    for b in doc["benchmarks"]:
        if b.get("aggregate_name", "median") != "median":
            continue
        result[b.get("run_name", b["name"])] = b
    return result


# HTTP targets (bench/http_bench.sh): healthz against the raw Beast
# baseline, over HTTP and over HTTPS; durable tell absolute, at 64
# connections.
HTTP_HEALTHZ_MIN_RATIO = 0.70
# Each bsmd scenario with a target against the baseline scenario it is
# measured against.
HTTP_BASELINE_PAIRS = (("healthz", "baseline"), ("healthz_tls", "baseline_tls"))
HTTP_TELL_MIN_RPS = 30000
HTTP_TELL_MAX_P99_MS = 10.0
# A bearer token (HS256) and RBAC on every tell: at least this share of
# the unauthenticated tell rate, both measured in the same run.
HTTP_AUTH_TELL_MIN_RATIO = 0.90


def verdict(ok):
    return "met" if ok else "NOT met"


def summarize_http(doc):
    """Prints an http_bench.sh result: medians, ratios and targets."""
    s = doc["settings"]
    load = ""
    if "load_before" in doc:
        load = (f" (load average {doc['load_before']:.2f} before, "
                f"{doc['load_after']:.2f} after)")
    print(f"host: {doc['host']}, {doc['cpus']} cpus shared by wrk and the "
          f"servers, {doc['idle_before_percent']}% idle before the run, "
          f"{doc.get('idle_after_percent', '?')}% after{load}; "
          f"wrk -t{s['wrk_threads']} -c{s['connections']}, "
          f"{s['duration_s']} s after {s['warmup_s']} s warm-up, median of "
          f"{s.get('repetitions', 1)}; {s['io_threads']} io thread(s) per "
          f"server; durability {s['durability']}; mailbox.max_depth "
          f"{s.get('mailbox_max_depth', 'default')}")
    print(f"{'scenario':12} {'req/s':>10} {'p50 ms':>8} {'p90 ms':>8} "
          f"{'p99 ms':>8} {'p99.9 ms':>9} {'non-2xx':>8} {'errors':>7}  "
          f"req/s of each run")
    by_name = {sc["name"]: sc for sc in doc["scenarios"]}
    for sc in doc["scenarios"]:
        each = ", ".join(f"{r:,.0f}" for r in sc.get("rps_runs", []))
        print(f"{sc['name']:12} {sc['rps']:>10,.0f} {sc['p50_ms']:>8.2f} "
              f"{sc['p90_ms']:>8.2f} {sc['p99_ms']:>8.2f} "
              f"{sc['p999_ms']:>9.2f} {sc['non_2xx']:>8} {sc['errors']:>7}  "
              f"{each}")

    def clean(sc):
        return sc["non_2xx"] == 0 and sc["errors"] == 0

    for health_name, base_name in HTTP_BASELINE_PAIRS:
        base, health = by_name.get(base_name), by_name.get(health_name)
        if not (base and health):
            continue
        ratio = health["rps"] / base["rps"]
        pairs = zip(health.get("rps_runs", []), base.get("rps_runs", []))
        each = ", ".join(f"{h / b:.0%}" for h, b in pairs)
        print(f"{health_name} / {base_name}: {ratio:.1%} of the medians (each "
              f"round: {each}); target >= {HTTP_HEALTHZ_MIN_RATIO:.0%}: "
              f"{verdict(ratio >= HTTP_HEALTHZ_MIN_RATIO and clean(health))}")
    summarize_connections(doc, s["connections"])
    targets = {"tell": "memory", "tell_auth": "memory", "tell_ping": "node_info"}
    for sc in (by_name.get(n) for n in ("tell", "tell_ping")):
        if not sc:
            continue
        # The issue counts a tell as done when its handler applied it.
        applied = applied_line(doc, sc["name"])
        rate = applied[0] if applied else sc["rps"]
        ok = (applied is not None and rate >= HTTP_TELL_MIN_RPS
              and sc["p99_ms"] < HTTP_TELL_MAX_P99_MS and clean(sc)
              and s["connections"] == 64)
        print(f"{sc['name']}: {sc['rps']:,.0f} req/s accepted, "
              + (f"{rate:,.0f} applied by {targets[sc['name']]}"
                 if applied else "applied rate unknown")
              + f", p99 {sc['p99_ms']:.2f} ms; target >= "
              f"{HTTP_TELL_MIN_RPS:,} req/s applied and p99 < "
              f"{HTTP_TELL_MAX_P99_MS:g} ms at 64 connections, no errors: "
              f"{verdict(ok) if applied else 'not measured'}")
    for sc in (by_name.get(n) for n in ("tell", "tell_auth", "tell_ping")):
        if sc and sc.get("backlog") is not None and "drain_s" in sc:
            drain = sc.get("drain_s")
            drained = (f"worked off in {drain} s" if drain is not None
                       else "not worked off within 300 s")
            print(f"{sc['name']}: {sc['backlog']:,} envelopes still queued "
                  f"for {targets[sc['name']]} after that run, {drained}")
    summarize_auth(doc, by_name, clean)
    for sc in doc["scenarios"]:
        if not clean(sc):
            print(f"  {sc['name']}: {sc['non_2xx']} responses >= 400, "
                  f"errors {sc['error_kinds']}")


def summarize_connections(doc, connections):
    """For the HTTPS scenarios: TCP connections the host accepted during
    each measured run, against wrk's connection count. wrk opens one more
    than -c (a plain connect that probes the address, no handshake); that
    many means wrk kept its connections open: one TLS handshake each, the
    rest requests over established sessions."""
    for name in ("baseline_tls", "healthz_tls"):
        runs = runs_of(doc, name)
        opened = [runs[k].get("connections_opened") for k in sorted(runs)]
        if not runs or None in opened:
            continue
        requests = sum(r["requests"] for r in runs.values())
        print(f"{name}: {', '.join(str(o) for o in opened)} TCP connections "
              f"accepted on the host during its runs (wrk -c{connections} "
              f"and its address probe); "
              f"{requests / max(1, sum(opened)):,.0f} requests per "
              f"accepted connection")


def median(values):
    values = sorted(values)
    return values[(len(values) - 1) // 2] if values else None


def runs_of(doc, name):
    """The runs of scenario `name` by round: {rep: run}."""
    return {r["rep"]: r for r in doc.get("runs", []) if r["name"] == name}


def applied_line(doc, name):
    """The median applied rate of a tell scenario and its runs, or None."""
    runs = runs_of(doc, name)
    applied = [r.get("applied_rps") for r in runs.values()]
    if not runs or None in applied:
        return None
    growth = [r["backlog"] - r["backlog_before"] for r in runs.values()]
    return median(applied), applied, growth


def summarize_auth(doc, by_name, clean):
    """Each *_auth scenario against its unauthenticated twin of the same
    run: the ratio of the medians and of each round's pair."""
    for name in ("healthz", "actors", "tell"):
        plain, auth = by_name.get(name), by_name.get(name + "_auth")
        if not plain or not auth:
            continue
        ratio = auth["rps"] / plain["rps"]
        mine, theirs = runs_of(doc, name + "_auth"), runs_of(doc, name)
        each = ", ".join(f"{mine[k]['rps'] / theirs[k]['rps']:.0%}"
                         for k in sorted(mine) if k in theirs)
        line = (f"{name}_auth / {name}: {ratio:.1%} of the medians (each "
                f"round: {each})")
        if name == "tell":
            ok = ratio >= HTTP_AUTH_TELL_MIN_RATIO and clean(auth)
            line += (f"; target >= {HTTP_AUTH_TELL_MIN_RATIO:.0%}: "
                     f"{verdict(ok)}")
        print(line)
    if not (by_name.get("tell") and by_name.get("tell_auth")):
        return
    plain, auth = applied_line(doc, "tell"), applied_line(doc, "tell_auth")
    if not plain or not auth:
        return
    for name, (med, each, growth) in (("tell", plain), ("tell_auth", auth)):
        print(f"{name} applied by the memory actor: {med:,.0f} req/s median "
              f"(each round: {', '.join(f'{a:,.0f}' for a in each)}); "
              f"backlog growth per run: {', '.join(f'{g:+,}' for g in growth)}")
    print(f"tell_auth / tell applied: {auth[0] / plain[0]:.1%} of the medians")


def main(path):
    with open(path) as f:
        doc = json.load(f)
    print(path)
    if doc.get("kind") == "http":
        return summarize_http(doc)
    med = medians(doc)
    ctx = doc["context"]
    print(f"host: {ctx.get('host_name')}, {ctx.get('num_cpus')} cpus, "
          f"{ctx.get('mhz_per_cpu')} MHz; median of "
          f"{doc['benchmarks'][0].get('repetitions', 1)} repetitions")
    print(f"{'benchmark':48} {'time':>14} {'items/s':>14} {'vs raw':>8}")
    for name, b in sorted(med.items()):
        ips = b.get("items_per_second")
        ratio = ""
        base = med.get(baseline_for(name) or "")
        if base:
            if ips:
                ratio = f"{ips / base['items_per_second']:.1%}"
            else:  # latency: raw time over runtime time, higher is better
                ratio = f"{base['real_time'] / b['real_time']:.1%}"
        ips_text = f"{ips:,.0f}" if ips else ""
        group = b.get("mean_group")
        group_text = f"  group {group:.1f}" if group else ""
        print(f"{name:48} {b['real_time']:>11.2f} {b['time_unit']:>2} "
              f"{ips_text:>14} {ratio:>8}{group_text}")
    for pattern, note in RATIO_NOTES:
        if any(pattern.match(name) for name in med):
            print(f"  ratio of {note}")


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        main(arg)
        print()
