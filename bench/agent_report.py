#!/usr/bin/env python3
"""Helpers of bench/agent_bench.sh.

  agent_report.py metrics BEFORE AFTER AGENT
      The agent turns between two scrapes of bsmd's /metrics, as one JSON
      object: turns (ok, error), model calls, the quantiles of
      bsm_agent_turn_overhead_seconds and bsm_agent_turn_duration_seconds
      estimated from their buckets, the share of turns whose overhead was
      at most 1 ms (exact: 1 ms is a bucket bound), and the mean provider
      time per turn, (sum of durations - sum of overheads) / turns.
  agent_report.py summary RESULT.json
      Prints a result of agent_bench.sh as a table, with the target.

Quantiles are estimated as Prometheus' histogram_quantile does: linear
within the bucket that holds the rank, so they are only as fine as the
buckets (overhead: 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 50, 100 ms, 1 s).
"""
import json
import math
import re
import sys

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}\s+(\S+)')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

# The target: the runtime adds under 1 ms p99 per turn beyond the
# provider's own time.
TARGET_OVERHEAD_P99_S = 0.001


def parse(path):
    """{(name, frozenset(labels)): value} of every labelled sample."""
    samples = {}
    with open(path) as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            labels = frozenset(LABEL.findall(m.group(2)))
            samples[(m.group(1), labels)] = float(m.group(3))
    return samples


def delta(before, after, name, **labels):
    """after - before of one series, 0 where absent."""
    want = set(labels.items())

    def pick(samples):
        return sum(v for (n, ls), v in samples.items()
                   if n == name and want <= set(ls))

    return pick(after) - pick(before)


def histogram(before, after, name, agent):
    """(buckets [(le, cumulative count)], sum, count) of the difference."""
    bounds = set()
    for (n, ls) in after:
        if n == name + "_bucket" and ("agent", agent) in ls:
            bounds.add(dict(ls)["le"])
    buckets = []
    for le in bounds:
        count = delta(before, after, name + "_bucket", agent=agent, le=le)
        buckets.append((math.inf if le == "+Inf" else float(le), count))
    buckets.sort()
    return (buckets, delta(before, after, name + "_sum", agent=agent),
            delta(before, after, name + "_count", agent=agent))


def quantile(q, buckets):
    """histogram_quantile(q) over cumulative buckets, and the bounds
    (lower, upper) of the bucket that holds the rank; None if empty. A rank
    in the +Inf bucket gives the largest finite bound (a lower limit)."""
    if not buckets or buckets[-1][1] <= 0:
        return None
    rank = q * buckets[-1][1]
    lower, below = 0.0, 0.0
    for le, count in buckets:
        if count >= rank:
            if math.isinf(le):
                return lower, (lower, le)
            if count == below:
                return le, (lower, le)
            return (lower + (le - lower) * (rank - below) / (count - below),
                    (lower, le))
        lower, below = le, count
    return lower, (lower, math.inf)


def share_at_most(bound, buckets):
    total = buckets[-1][1] if buckets else 0
    for le, count in buckets:
        if abs(le - bound) < 1e-12:
            return count / total if total else None
    return None


def metrics(before_path, after_path, agent):
    before, after = parse(before_path), parse(after_path)
    ovh, ovh_sum, ovh_n = histogram(before, after,
                                    "bsm_agent_turn_overhead_seconds", agent)
    dur, dur_sum, dur_n = histogram(before, after,
                                    "bsm_agent_turn_duration_seconds", agent)
    turns = ovh_n
    result = {
        "turns": int(turns),
        "turns_ok": int(delta(before, after, "bsm_agent_turns_total",
                              agent=agent, outcome="ok")),
        "turns_error": int(delta(before, after, "bsm_agent_turns_total",
                                 agent=agent, outcome="error")),
        "model_calls": int(delta(before, after, "bsm_agent_steps_total",
                                 agent=agent)),
        "overhead_mean_ms": 1e3 * ovh_sum / turns if turns else None,
        "duration_mean_ms": 1e3 * dur_sum / dur_n if dur_n else None,
        "provider_mean_us":
            1e6 * (dur_sum - ovh_sum) / turns if turns else None,
        "overhead_share_le_1ms": share_at_most(0.001, ovh),
        "overhead_buckets": [[("+Inf" if math.isinf(le) else le), int(c)]
                             for le, c in ovh],
    }
    for q in (0.5, 0.9, 0.99):
        name = f"p{int(q * 100)}"
        for kind, buckets in (("overhead", ovh), ("duration", dur)):
            x = quantile(q, buckets)
            result[f"{kind}_{name}_ms"] = None if x is None else 1e3 * x[0]
            # The estimate is only known to lie in this bucket.
            result[f"{kind}_{name}_bucket_ms"] = None if x is None else [
                1e3 * b if not math.isinf(b) else "+Inf" for b in x[1]]
    return result


def fmt(x, spec=".3f"):
    return "-" if x is None else format(x, spec)


def fmt_bucket(b):
    """"(lo, hi]" of a quantile's bucket in ms."""
    if b is None:
        return "-"
    return "(%g, %s]" % (b[0], b[1] if isinstance(b[1], str) else "%g" % b[1])


def summary(path):
    doc = json.load(open(path))
    s = doc["settings"]
    print(f"host: {doc['host']}, {doc['cpus']} cpus shared by wrk and bsmd; "
          f"load average before {doc['loadavg_before']}, after "
          f"{doc['loadavg_after']}; {doc['idle_before_percent']}% idle in "
          f"the second before; agent {s['agent']}, input {s['input']!r}; "
          f"wrk -t{s['wrk_threads']}, {s['duration_s']} s after "
          f"{s['warmup_s']} s warm-up, median of {s['repetitions']} by "
          f"turns/s; durability {s['durability']}")
    gb = doc.get("provider_inprocess", {})
    if gb:
        print("in-process (bsm_agent_bench, median real time): "
              + ", ".join(f"{k} {v:.2f} us" for k, v in gb.items()))
    print(f"{'scenario':12} {'conns':>5} {'turns/s':>9} {'http p50':>9} "
          f"{'http p99':>9} {'ovh p50':>8} {'ovh p99':>8} {'p99 bucket':>13} "
          f"{'ovh<=1ms':>8} {'turn mean':>9} {'prov us':>8} {'non2xx':>6}  "
          f"turns/s of each run")
    ok = True
    for sc in doc["scenarios"]:
        m = sc["metrics"]
        each = ", ".join(f"{r:,.0f}" for r in sc.get("rps_runs", []))
        share = m["overhead_share_le_1ms"]
        print(f"{sc['name']:12} {sc['connections']:>5} {sc['rps']:>9,.0f} "
              f"{sc['p50_ms']:>9.2f} {sc['p99_ms']:>9.2f} "
              f"{fmt(m['overhead_p50_ms']):>8} {fmt(m['overhead_p99_ms']):>8} "
              f"{fmt_bucket(m.get('overhead_p99_bucket_ms')):>13} "
              f"{fmt(None if share is None else 100 * share, '.1f'):>7}% "
              f"{fmt(m['duration_mean_ms']):>9} "
              f"{fmt(m['provider_mean_us'], '.1f'):>8} "
              f"{sc['non_2xx'] + sc['errors']:>6}  {each}")
        # Met only if the whole p99 bucket lies at or under 1 ms.
        bucket = m.get("overhead_p99_bucket_ms")
        if bucket is None or bucket[1] == "+Inf" \
                or bucket[1] > TARGET_OVERHEAD_P99_S * 1e3:
            ok = False
    print("times in ms unless noted; http = wrk's latency of the whole "
          "request; ovh = bsm_agent_turn_overhead_seconds (turn time in the "
          "agent minus provider time), p50/p99 interpolated within its "
          "buckets (the p99 lies in 'p99 bucket'); ovh<=1ms exact; turn mean = "
          "mean of bsm_agent_turn_duration_seconds; prov us = mean provider time "
          "per turn, from the same metrics")
    print(f"target (runtime overhead p99 < 1 ms per turn, every scenario): "
          f"{'met' if ok else 'NOT met'}")


def main(argv):
    if len(argv) == 5 and argv[1] == "metrics":
        print(json.dumps(metrics(argv[2], argv[3], argv[4])))
    elif len(argv) == 3 and argv[1] == "summary":
        summary(argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
