#!/usr/bin/env python3
"""Workflow benchmark (issue 19): step transitions per second of a 5-step
chain against the durable mailbox send in the same run, and the resume of
a run after a kill -9 with 10,000 other runs in the store.

One bsmd per part (config/node.yaml, durability `os`, a fresh data dir,
127.0.0.1:0, warn logs, stopped by pid), driven over HTTP.

The workflow, `bench-chain`: five `message` steps s1..s5, each a
bsm.v1.PingRequest asked of node_info (a handler that costs next to
nothing), each step needing the one before. Each step is a task.

A transition is a change of a step's state stored by the engine. A
message step has two: its record is first stored as `running` (with
started_at; a step that has not started has no record, `pending` is
implicit) and then as `succeeded` (with finished_at and its output), so a
run of the chain makes 10. They are counted from /metrics: transitions =
2 x the step records stored in a final state (the deltas of
bsm_workflow_step_moves_total{state="succeeded"|"failed"|"skipped"|
"cancelled"}); the metric also counts the engine's third write of each
step (`running` again once its task id is known), reported apart as
step record writes, and the smoke run's GET /v1/runs/{id} is kept to show
the states and timings per step.

1. Throughput, at 1 and CONCURRENT at a time, on one node:
     send    the raw baseline: POST /v1/actors/node_info/messages, a
             PingRequest told through wrk (node_harness.run_send).
     closed  CONCURRENT (or 1) clients, each starting a run (POST
             /v1/workflows/bench-chain/runs with its own run_id) and
             waiting for its end (workflow.run.* from one GET /v1/events
             stream) before starting the next: runs started (202) per
             second (accepted), runs ended and transitions per second
             (applied), each run's latency from POST to its end event, and
             the running runs (bsm_workflow_runs_running) sampled every
             second. This is the "one run at a time" / "16 concurrent
             runs" figure.
     open    wrk (bench/http/post_run.lua) starting runs as fast as the
             node accepts them through 1 or CONCURRENT connections:
             accepted runs per second, applied (runs succeeded per second,
             during the run and until every accepted run ended), and
             whether the running runs (the backlog) grew.
   Each for DURATION seconds after a WARMUP-second unrecorded run.
   The cost of a step against the send, at the same concurrency: the wall
   time per operation (1/steps_per_s against 1/send_per_s) and bsmd's CPU
   time per operation (all its threads, from /proc/<pid>/task/*/stat).

2. Resume: a fresh node; OTHER_RUNS runs put in the store first:
   OTHER_RUNS - SLEEPING finished runs of bench-chain and SLEEPING runs of
   bench-sleeper (one `sleep` step of a day: running, waiting on a durable
   timer, so loaded again at every start). Then RESTARTS times: a run of
   bench-resume (s1 a ping, nap a 2 s sleep, s3..s5 pings), kill -9 as
   soon as nap is waiting, a wait until nap is due, and bsmd again on the
   same data dir: the time from the new process's spawn to s3's start (its
   stored started_at, read through GET /v1/runs/{id} polled every 2 ms:
   the engine sets it when it starts the step, the record is on disk
   before the task is submitted), to ports.json and to /readyz. The same
   RESTARTS times first with the store empty but for the definitions (the
   start's own cost).

Usage: bench/workflows_bench.py [BUILD_DIR]   (make bench-workflows)
Environment (defaults in brackets): WF_BENCH_DURATION [10],
WF_BENCH_WARMUP [2], WF_BENCH_CONCURRENT [16], WF_BENCH_OTHER_RUNS
[10000], WF_BENCH_SLEEPING [1000], WF_BENCH_RESTARTS [5],
WF_BENCH_DRAIN_LIMIT_S [300], WF_BENCH_TARGET_CONCURRENCY [the node's
tasks.concurrency], WF_BENCH_PARTS ["throughput resume"], WF_BENCH_SETS
[none: more --set options for every node, space-separated].
Needs wrk. Writes bench/results/workflows-<stamp>.json and
workflows-latest.json.
"""
import http.client
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import urllib.parse

from node_harness import (ROOT, Node, Sampler, busiest_threads, call,
                          cpu_share, dir_bytes, metric_sum, metrics, run_send,
                          smoke, thread_cpu, wait_drained, wrk)

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")


def env_int(name, default):
    return int(os.environ.get(name, str(default)))


DURATION = env_int("WF_BENCH_DURATION", 10)
WARMUP = env_int("WF_BENCH_WARMUP", 2)
CONCURRENT = env_int("WF_BENCH_CONCURRENT", 16)
OTHER_RUNS = env_int("WF_BENCH_OTHER_RUNS", 10_000)
SLEEPING = env_int("WF_BENCH_SLEEPING", 1_000)
RESTARTS = env_int("WF_BENCH_RESTARTS", 5)
DRAIN_LIMIT_S = env_int("WF_BENCH_DRAIN_LIMIT_S", 300)
TARGET_CONCURRENCY = os.environ.get("WF_BENCH_TARGET_CONCURRENCY", "")
PARTS = os.environ.get("WF_BENCH_PARTS", "throughput resume").split()
# More --set options for every node, e.g. "store.max_wal_bytes=16777216".
EXTRA_SETS = os.environ.get("WF_BENCH_SETS", "").split()
NAP_MS = 2000
FINAL_STEP_STATES = ("succeeded", "failed", "skipped", "cancelled")


def log(*args):
    print("workflows_bench:", *args, file=sys.stderr, flush=True)


# -- definitions ---------------------------------------------------------------

def ping(step_id, needs=()):
    return {"id": step_id, "type": "message", "actor": "node_info",
            "message": "bsm.v1.PingRequest",
            "payload": {"sequence": step_id.lstrip("s")},
            "needs": list(needs)}


def nap(step_id, duration, needs=()):
    return {"id": step_id, "type": "sleep", "duration": duration,
            "needs": list(needs)}


CHAIN = {"name": "bench-chain",
         "steps": [ping("s1")] + [ping(f"s{i}", [f"s{i - 1}"])
                                  for i in range(2, 6)]}
SLEEPER = {"name": "bench-sleeper", "steps": [nap("wait", "1d")]}
RESUME = {"name": "bench-resume",
          "steps": [ping("s1"), nap("nap", f"{NAP_MS}ms", ["s1"]),
                    ping("s3", ["nap"]), ping("s4", ["s3"]),
                    ping("s5", ["s4"])]}
CHAIN_STEPS = len(CHAIN["steps"])
TRANSITIONS_PER_STEP = 2  # running, then a final state


def define(url, definition):
    smoke(url, "/v1/workflows/" + definition["name"], definition, 200, "PUT")


def node_sets():
    sets = ["store.durability=os", "tasks.max_queued=10000000",
            "mailbox.max_depth=10000000", "workflows.max_running=1000000"]
    if TARGET_CONCURRENCY:
        sets.append(f"tasks.concurrency={TARGET_CONCURRENCY}")
    return sets + EXTRA_SETS


def wf_figures(m):
    f = {s: metric_sum(m, "bsm_workflow_step_moves_total", state=s)
         for s in ("running", "waiting") + FINAL_STEP_STATES}
    return {
        "step_moves": f,
        "step_ends": sum(f[s] for s in FINAL_STEP_STATES),
        "step_writes": sum(f.values()),
        "runs_succeeded": metric_sum(m, "bsm_workflow_runs_total",
                                     state="succeeded"),
        "runs_failed": metric_sum(m, "bsm_workflow_runs_total",
                                  state="failed"),
        "runs_running": metric_sum(m, "bsm_workflow_runs_running"),
        "tasks_succeeded": metric_sum(m, "bsm_tasks_finished_total",
                                      state="succeeded"),
        "store_batches": metric_sum(m, "bsm_store_batches_total"),
        "group_commits": metric_sum(m, "bsm_store_group_commits_total"),
    }


def deltas(f0, f1, seconds):
    """Per-window figures of two wf_figures() snapshots."""
    ends = f1["step_ends"] - f0["step_ends"]
    moves = {s: f1["step_moves"][s] - f0["step_moves"][s]
             for s in f0["step_moves"]}
    out = {"step_ends": ends,
           "step_moves": moves,
           "transitions": TRANSITIONS_PER_STEP * ends,
           "transitions_per_s": TRANSITIONS_PER_STEP * ends / seconds,
           "steps_per_s": ends / seconds,
           "step_writes_per_s": sum(moves.values()) / seconds,
           "runs_succeeded": f1["runs_succeeded"] - f0["runs_succeeded"],
           "runs_failed": f1["runs_failed"] - f0["runs_failed"]}
    if ends:
        out["store_batches_per_step"] = (
            f1["store_batches"] - f0["store_batches"]) / ends
        out["group_commits_per_step"] = (
            f1["group_commits"] - f0["group_commits"]) / ends
        out["tasks_per_step"] = (
            f1["tasks_succeeded"] - f0["tasks_succeeded"]) / ends
    return out


def percentile(values, p):
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100 * len(s)))]


# -- the closed loop -----------------------------------------------------------

class RunEnds(threading.Thread):
    """One GET /v1/events?topic=workflow.run.* stream: each run's end
    (succeeded, failed, cancelled) as it is published. expect(id) before
    starting a run gives an Event set at its end."""

    def __init__(self, url):
        super().__init__(daemon=True)
        u = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port)
        self.conn.request("GET", "/v1/events?topic=workflow.run.*")
        self.sock = self.conn.sock  # the response takes it over
        self.resp = self.conn.getresponse()
        if self.resp.status != 200:
            raise RuntimeError(f"GET /v1/events: {self.resp.status}")
        self.lock = threading.Lock()
        self.waiting = {}
        self.ended = {}

    def expect(self, run_id):
        ev = threading.Event()
        with self.lock:
            self.waiting[run_id] = ev
        return ev

    def state(self, run_id):
        with self.lock:
            self.waiting.pop(run_id, None)
            return self.ended.pop(run_id, None)

    def run(self):
        try:
            self.read()
        except (OSError, ValueError):
            pass  # closed by close()

    def read(self):
        while True:
            line = self.resp.fp.readline()
            if not line:
                return
            if not line.startswith(b"data: "):
                continue
            ev = json.loads(line[6:])
            topic = ev.get("topic", "")
            if topic == "workflow.run.started":
                continue
            run_id = ev.get("data", {}).get("run_id")
            with self.lock:
                self.ended[run_id] = topic.rsplit(".", 1)[-1]
                waiter = self.waiting.get(run_id)
            if waiter:
                waiter.set()

    def close(self):
        """Ends the stream; the reader sees its end."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.join(5)
        self.sock.close()


def post_run(conn, workflow, run_id):
    conn.request("POST", f"/v1/workflows/{workflow}/runs",
                 json.dumps({"input": {}, "run_id": run_id}),
                 {"Content-Type": "application/json"})
    res = conn.getresponse()
    body = res.read()
    return res.status, body


def closed_loop(node, clients, tag, until):
    """`clients` threads, each starting a run of bench-chain and waiting for
    its end before the next, until until() is true. [(start, accepted,
    ended, state, run id)] in perf_counter seconds, and the count of
    refused starts."""
    ends = RunEnds(node.url)
    ends.start()
    u = urllib.parse.urlsplit(node.url)
    stop = threading.Event()
    records, refused, lock = [], [0], threading.Lock()

    def client(i):
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        n = 0
        while not stop.is_set():
            run_id = f"{tag}-{i}-{n}"
            n += 1
            ended = ends.expect(run_id)
            t0 = time.perf_counter()
            status, body = post_run(conn, "bench-chain", run_id)
            t1 = time.perf_counter()
            if status != 202:
                ends.state(run_id)
                with lock:
                    refused[0] += 1
                log(f"start refused: {status} {body[:200]}")
                time.sleep(0.1)
                continue
            if not ended.wait(60):
                log(f"run {run_id}: no end event in 60 s")
            t2 = time.perf_counter()
            with lock:
                records.append((t0, t1, t2, ends.state(run_id), run_id))
        conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True)
               for i in range(clients)]
    for t in threads:
        t.start()
    try:
        until(records)
    finally:
        stop.set()
        for t in threads:
            t.join()
        ends.close()
    return records, refused[0]


def run_closed(node, clients, tag):
    """The closed loop for WARMUP + DURATION seconds; the figures of the
    last DURATION seconds."""
    marks = {}

    def window(records):
        time.sleep(WARMUP)
        marks["m0"] = wf_figures(metrics(node.url))
        marks["cpu0"] = thread_cpu(node.pid)
        marks["own0"] = os.times()
        marks["w0"] = time.perf_counter()
        sampler = Sampler(lambda t: [round(t, 1),
                                 wf_figures(metrics(node.url))["runs_running"]])
        sampler.start()
        time.sleep(DURATION)
        marks["w1"] = time.perf_counter()
        marks["m1"] = wf_figures(metrics(node.url))
        marks["cpu1"] = thread_cpu(node.pid)
        marks["own1"] = os.times()
        marks["samples"] = sampler.stop()

    records, refused = closed_loop(node, clients, tag, window)
    w0, w1 = marks["w0"], marks["w1"]
    seconds = w1 - w0
    started = [r for r in records if w0 <= r[1] < w1]
    ended = [r for r in records if w0 <= r[2] < w1]
    latency = [1e3 * (r[2] - r[0]) for r in ended]
    start_ms = [1e3 * (r[1] - r[0]) for r in ended]
    own0, own1 = marks["own0"], marks["own1"]
    res = {
        "clients": clients,
        "window_s": round(seconds, 3),
        "runs_accepted_per_s": len(started) / seconds,
        "runs_ended_per_s": len(ended) / seconds,
        "runs_not_succeeded": sum(1 for r in ended if r[3] != "succeeded"),
        "starts_refused": refused,
        "run_p50_ms": percentile(latency, 50),
        "run_p99_ms": percentile(latency, 99),
        "run_mean_ms": sum(latency) / len(latency) if latency else None,
        "start_p50_ms": percentile(start_ms, 50),
        "running_runs_sampled": marks["samples"],
        "busiest_threads": busiest_threads(marks["cpu0"], marks["cpu1"],
                                           seconds),
        "bsmd_cpu_cores": cpu_share(marks["cpu0"], marks["cpu1"], seconds),
        "bench_client_cpu_share": round(
            (own1.user + own1.system - own0.user - own0.system) / seconds,
            2),
    }
    res["slowest_runs"] = slowest(node, ended, clients)
    res.update(deltas(marks["m0"], marks["m1"], seconds))
    running = [s[1] for s in marks["samples"]]
    res["backlog_grew"] = bool(running) and max(running) > clients
    return res


def slowest(node, records, clients, top=3):
    """The runs that took longest from POST to their end event, each with
    where the time went: the client's times and the node's (created_at,
    each step's start and end, updated_at), all in ms after the POST. A
    node time close to the POST's means the node was slow; an end well
    before the event, the event's delivery."""
    if not records:
        return {}
    # perf_counter -> unix ms, as close as two clock reads allow.
    to_unix = time.time() - time.perf_counter()
    median = percentile([r[2] - r[0] for r in records], 50)
    slow = [r for r in records if r[2] - r[0] > max(10 * median, 0.05)]
    out = {"over_10x_median_or_50ms": len(slow), "runs": []}
    for r in sorted(slow, key=lambda r: r[0] - r[2])[:top]:
        t0 = (to_unix + r[0]) * 1e3
        status, run = call(node.url + "/v1/runs/" + r[4])
        if status != 200:
            continue
        out["runs"].append({
            "run_id": r[4], "accepted_ms": round((r[1] - r[0]) * 1e3, 1),
            "end_event_ms": round((r[2] - r[0]) * 1e3, 1),
            "node_created_ms": round(run["created_at"] - t0, 1),
            "node_steps_ms": [[round(st["started_at"] - t0, 1),
                               round(st["finished_at"] - t0, 1)]
                              for st in run["steps"]],
            "node_ended_ms": round(run["updated_at"] - t0, 1)})
    return out


def fill_finished(node, count):
    """`count` finished runs of bench-chain, CONCURRENT at a time."""
    def until(records):
        while len(records) < count:
            time.sleep(0.2)
    records, _ = closed_loop(node, CONCURRENT, "fill", until)
    return len(records)


# -- the open loop -------------------------------------------------------------

def run_open(node, clients, tag, out_dir):
    """wrk starting runs through `clients` connections (no waiting)."""
    wrk("post_run.lua", node.url, clients, WARMUP,
        os.path.join(out_dir, f"{tag}-warmup.txt"))

    def idle():
        return wf_figures(metrics(node.url))["runs_running"] == 0

    wait_drained(idle, DRAIN_LIMIT_S, 0.2)
    f0 = wf_figures(metrics(node.url))
    sampler = Sampler(lambda t: [round(t, 1),
                                 wf_figures(metrics(node.url))["runs_running"]])
    cpu0 = thread_cpu(node.pid)
    start = time.time()
    sampler.start()
    w = wrk("post_run.lua", node.url, clients, DURATION,
            os.path.join(out_dir, f"{tag}.txt"))
    run_end = time.time()
    cpu = busiest_threads(cpu0, thread_cpu(node.pid), run_end - start)
    f1 = wf_figures(metrics(node.url))
    accepted = w["requests"] - w["non_2xx"]
    target = f0["runs_succeeded"] + f0["runs_failed"] + accepted
    done_at = [None]

    def all_ended():
        f = wf_figures(metrics(node.url))
        if f["runs_succeeded"] + f["runs_failed"] >= target:
            done_at[0] = time.time()
            return True
        return False

    drain = wait_drained(all_ended, DRAIN_LIMIT_S, 0.05)
    samples = sampler.stop()
    during = [s[1] for s in samples if s[0] <= run_end - start + 0.5]
    res = {
        "clients": clients,
        "runs_accepted": accepted,
        "runs_accepted_per_s": accepted / w["duration_s"],
        "non_2xx": w["non_2xx"], "errors": w["errors"],
        "start_p50_ms": w["p50_ms"], "start_p99_ms": w["p99_ms"],
        "runs_ended_during_run_per_s": (
            f1["runs_succeeded"] + f1["runs_failed"] - f0["runs_succeeded"]
            - f0["runs_failed"]) / w["duration_s"],
        "during_run": deltas(f0, f1, w["duration_s"]),
        "backlog_at_start": f0["runs_running"],
        "backlog_at_end_of_run": f1["runs_running"],
        "backlog_max_sampled": max(during) if during else None,
        "backlog_samples": during,
        "drain_s": drain,
        "busiest_threads": cpu,
    }
    if drain is not None:
        res["runs_applied_per_s"] = accepted / (done_at[0] - start)
        res["transitions_applied_per_s"] = (
            res["runs_applied_per_s"] * CHAIN_STEPS * TRANSITIONS_PER_STEP)
    res["backlog_grew"] = res["backlog_at_end_of_run"] > max(
        2 * clients, 0.05 * accepted)
    return res


# -- parts ---------------------------------------------------------------------

def smoke_run(node):
    """One run of bench-chain, its record, and the step moves it made."""
    f0 = wf_figures(metrics(node.url))
    smoke(node.url, "/v1/workflows/bench-chain/runs",
          {"input": {}, "run_id": "smoke"}, 202)
    ok = wait_drained(lambda: call(node.url + "/v1/runs/smoke")[1].get(
        "state") == "succeeded", 30, 0.01)
    if ok is None:
        raise RuntimeError("the smoke run did not succeed: "
                           + str(call(node.url + "/v1/runs/smoke")))
    run = call(node.url + "/v1/runs/smoke")[1]
    f1 = wf_figures(metrics(node.url))
    return {"steps": [{k: s.get(k) for k in ("id", "state", "attempts",
                                              "started_at", "finished_at")}
                      for s in run["steps"]],
            "run_ms": run["updated_at"] - run["created_at"],
            "step_moves": {s: f1["step_moves"][s] - f0["step_moves"][s]
                           for s in f0["step_moves"]},
            "store_batches": f1["store_batches"] - f0["store_batches"]}


def throughput(out_dir):
    work = tempfile.mkdtemp(prefix="bsm-wf-throughput-")
    node = Node(BUILD, work, node_sets())
    res = {}
    try:
        node.start()
        define(node.url, CHAIN)
        res["smoke"] = smoke_run(node)
        log("smoke run:", json.dumps(res["smoke"]))
        for clients in (1, CONCURRENT):
            log(f"{clients} at a time: durable send")
            s = run_send(node, clients, f"workflows-send-c{clients}",
                         out_dir, WARMUP, DURATION, DRAIN_LIMIT_S)
            res[f"send_c{clients}"] = s
            log(f"{clients} at a time: closed loop of runs")
            c = run_closed(node, clients, f"c{clients}")
            res[f"closed_c{clients}"] = c
            log(f"{clients} at a time: open loop (wrk)")
            res[f"open_c{clients}"] = run_open(
                node, clients, f"workflows-open-c{clients}", out_dir)
            cost = {"send_per_s": s["accepted_per_s"],
                    "steps_per_s": c["steps_per_s"]}
            if c["steps_per_s"]:
                # Wall time per operation at this concurrency, and bsmd's
                # CPU time per operation (all its threads).
                cost["us_per_step"] = 1e6 / c["steps_per_s"]
                cost["us_per_send"] = 1e6 / s["accepted_per_s"]
                cost["step_over_send"] = cost["us_per_step"] / cost[
                    "us_per_send"]
                cost["cpu_us_per_step"] = (
                    1e6 * c["bsmd_cpu_cores"] / c["steps_per_s"])
                cost["cpu_us_per_send"] = (
                    1e6 * s["bsmd_cpu_cores"] / s["accepted_per_s"])
                cost["cpu_step_over_send"] = (
                    cost["cpu_us_per_step"] / cost["cpu_us_per_send"])
            res[f"step_vs_send_c{clients}"] = cost
            log(f"{clients}: {c['transitions_per_s']:.0f} transitions/s, "
                + json.dumps(cost))
        res["rss_bytes_end"] = node.rss()
    finally:
        node.stop()
        shutil.rmtree(work, ignore_errors=True)
    return res


def step_of(run, step_id):
    for s in run.get("steps", []):
        if s.get("id") == step_id:
            return s
    return {}


def start_sleepers(node, count):
    u = urllib.parse.urlsplit(node.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    for n in range(count):
        status, body = post_run(conn, "bench-sleeper", f"sleeper-{n}")
        if status != 202:
            raise RuntimeError(f"sleeper {n}: {status} {body[:200]}")
    conn.close()


def one_resume(node, i):
    run_id = f"resume-{i}"
    smoke(node.url, "/v1/workflows/bench-resume/runs",
          {"input": {}, "run_id": run_id}, 202)
    got = {}

    def napping():
        got["run"] = call(node.url + "/v1/runs/" + run_id)[1]
        return step_of(got["run"], "nap").get("state") == "waiting"

    if wait_drained(napping, 30, 0.002) is None:
        raise RuntimeError("nap never waited: " + json.dumps(got["run"]))
    wake_ms = step_of(got["run"], "nap")["wake_at"]
    node.kill9()
    killed_ms = time.time() * 1e3
    time.sleep(max(0.0, wake_ms / 1e3 - time.time()) + 0.3)
    node.start()
    spawn_ms = node.started_at * 1e3

    def s3_started():
        got["run"] = call(node.url + "/v1/runs/" + run_id)[1]
        return bool(step_of(got["run"], "s3").get("started_at"))

    seen = wait_drained(s3_started, 60, 0.002)
    out = {"killed_before_due_ms": round(wake_ms - killed_ms),
           "ports_ms": round(node.ports_at * 1e3 - spawn_ms),
           "ready_ms": round(node.ready_at * 1e3 - spawn_ms)}
    if seen is None:
        out["error"] = "s3 did not start: " + json.dumps(got["run"])[:500]
        return out
    run = got["run"]
    out["nap_ended_ms"] = step_of(run, "nap")["finished_at"] - spawn_ms
    out["next_step_started_ms"] = step_of(run, "s3")["started_at"] - spawn_ms
    out["seen_ms"] = round(node.ready_at * 1e3 + seen * 1e3 - spawn_ms)
    ok = wait_drained(lambda: call(node.url + "/v1/runs/" + run_id)[1].get(
        "state") == "succeeded", 30, 0.05)
    out["final_state"] = call(node.url + "/v1/runs/" + run_id)[1].get("state")
    out["succeeded_after_s"] = ok
    return out


def resume(out_dir):
    work = tempfile.mkdtemp(prefix="bsm-wf-resume-")
    node = Node(BUILD, work, node_sets())
    res = {"other_runs": OTHER_RUNS, "sleeping": SLEEPING,
           "nap_ms": NAP_MS}
    try:
        node.start()
        for d in (CHAIN, SLEEPER, RESUME):
            define(node.url, d)
        # The same with nothing else in the store: what any start costs.
        res["restarts_empty_store"] = [one_resume(node, f"empty-{i}")
                                       for i in range(RESTARTS)]
        log("restarts, empty store: " + json.dumps(
            [r.get("next_step_started_ms") for r in
             res["restarts_empty_store"]]))
        t0 = time.time()
        res["finished_runs"] = fill_finished(node, OTHER_RUNS - SLEEPING)
        start_sleepers(node, SLEEPING)
        res["fill_s"] = time.time() - t0
        f = wf_figures(metrics(node.url))
        res["runs_succeeded_metric"] = f["runs_succeeded"]
        res["runs_running_metric"] = f["runs_running"]
        res["data_dir_bytes"] = dir_bytes(node.data)
        res["rss_before_bytes"] = node.rss()
        log(f"{res['finished_runs']} finished and {SLEEPING} sleeping runs "
            f"in {res['fill_s']:.0f} s")
        res["restarts"] = []
        for i in range(RESTARTS):
            r = one_resume(node, i)
            r["runs_running_after"] = wf_figures(
                metrics(node.url))["runs_running"]
            r["rss_after_bytes"] = node.rss()
            res["restarts"].append(r)
            log(f"restart {i}: " + json.dumps(r))
    finally:
        node.stop()
        shutil.rmtree(work, ignore_errors=True)
    return res


def main():
    if shutil.which("wrk") is None:
        sys.exit("workflows_bench: wrk not found (apt-get install wrk)")
    out_dir = os.path.join(ROOT, "bench", "results")
    os.makedirs(out_dir, exist_ok=True)
    results = {"build": BUILD, "duration_s": DURATION, "warmup_s": WARMUP,
               "concurrent": CONCURRENT,
               "target_concurrency": TARGET_CONCURRENCY or "default",
               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "loadavg_before": open("/proc/loadavg").read().split()[:3]}
    t0 = time.time()
    if "throughput" in PARTS:
        results["throughput"] = throughput(out_dir)
    if "resume" in PARTS:
        results["resume"] = resume(out_dir)
    results["loadavg_after"] = open("/proc/loadavg").read().split()[:3]
    results["elapsed_s"] = time.time() - t0
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    for name in (f"workflows-{stamp}.json", "workflows-latest.json"):
        with open(os.path.join(out_dir, name), "w") as f:
            json.dump(results, f, indent=2)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
