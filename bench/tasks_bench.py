#!/usr/bin/env python3
"""Task queue benchmark (issue 18): submit-to-completion of no-op tasks
against the durable mailbox send in the same run, and a large queue's
memory and the first dispatch after a kill -9.

One bsmd per part (config/node.yaml, a fresh data dir, 127.0.0.1:0, warn
logs), driven over HTTP with wrk (keep-alive connections):

1. Throughput, for each store.durability in DURABILITIES (a fresh node
   each), and for 1 and CLIENTS connections, in this order per connection
   count, each after a WARMUP-second unrecorded run:
     send  POST /v1/actors/node_info/messages, a PingRequest told (mode
           tell: 202 once it is in node_info's durable mailbox), the raw
           baseline (bench/http/post_tell_ping.lua). Accepted: 202s per
           second; applied: until node_info's mailbox is empty again
           (GET /v1/actors), over the run and its tail.
     task  POST /v1/tasks, a `message` task to node_info with the same
           PingRequest, due at once (bench/http/post_task.lua). Accepted:
           202s per second (each is on disk); applied: tasks reaching
           `succeeded` (bsm_tasks_finished_total{state="succeeded"} in
           /metrics) per second, during the run and until every accepted
           task succeeded (its tail included); the backlog
           (bsm_tasks_depth, queued + running) sampled every second.
   Each run lasts DURATION seconds. The node runs with tasks.max_queued
   10,000,000 and mailbox.max_depth 10,000,000, so a backlog shows as a
   backlog, not as 429/503s; tasks.concurrency is the node's default (4)
   unless TASKS_BENCH_TARGET_CONCURRENCY is set.
   Scheduling overhead per task, derived: 1/task_applied - 1/send_accepted
   at the same connection count (the node time a task costs beyond one
   durable send, both measured at saturation on the same cores), and the
   means of bsm_task_wait_seconds and bsm_task_run_seconds over the run
   (ready -> started, started -> ended; whole milliseconds each). Each
   run also notes bsmd's busiest threads (CPU share of one core, from
   /proc/<pid>/task/*/stat).

2. Cluster: the same two flows over the cluster port, for each durability
   and for 1 and CLIENTS requests in flight: `bsm_cluster_bench tasks`
   (bench/cluster_tasks.hpp) runs a node in its own process, joined to a
   fresh bsmd, and keeps that many requests open at the bsmd's cluster
   ingress for DURATION seconds after a WARMUP-second warm-up: a
   SendRequest of the PingRequest to node_info (the durable send), and a
   RemoteAskRequest carrying a TaskSubmitRequest to "tasks" (the same
   message task). Accepted, applied, the backlog at the end of the run and
   the ratios as in part 1. tasks.concurrency is
   TASKS_BENCH_TARGET_CONCURRENCY, else 64.

3. Queue: a fresh node (durability os, tasks.max_queued QUEUED + 1000);
   QUEUED tasks accepted through QUEUE_CONNECTIONS connections, priority
   n % 10, delay_ms 30 days (bench/http/queue_tasks.lua), bsmd's VmRSS
   sampled every 5 s against the tasks accepted so far; then RSS, VmHWM,
   the data dir's size and the queued depth. Then one more task due 2 s
   later (the sentinel), kill -9 once it is accepted, a wait until it is
   due, and a restart: the time from the new process's start to the
   sentinel's start (its record's `updated_at` as `running`/`succeeded`,
   read by polling GET /v1/tasks/{id}), to ports.json and to /readyz, RSS
   and VmHWM after the restart, and the status of one more submit then.

Usage: bench/tasks_bench.py [BUILD_DIR]   (make bench-tasks)
Environment (defaults in brackets): TASKS_BENCH_DURATION [10],
TASKS_BENCH_WARMUP [2], TASKS_BENCH_CLIENTS [64],
TASKS_BENCH_DURABILITIES ["os fsync"], TASKS_BENCH_QUEUED [1000000] (0
skips part 3), TASKS_BENCH_QUEUE_CONNECTIONS [64],
TASKS_BENCH_QUEUE_LIMIT_S [900] (the longest the queue's submission may
take), TASKS_BENCH_DRAIN_LIMIT_S [300] (the longest wait for a backlog),
TASKS_BENCH_TARGET_CONCURRENCY [the node's default in part 1, 64 in
part 2], TASKS_BENCH_PARTS ["throughput cluster queue"].
Needs wrk, and BUILD_DIR/bench/bsm_cluster_bench for part 2. Writes
bench/results/tasks-<stamp>.json and tasks-latest.json.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from node_harness import (HTTP_DIR, ROOT, SEND_BODY, Node, Sampler,
                          busiest_threads, call, dir_bytes, metric_sum,
                          metrics, proc_status, run_send, smoke, thread_cpu,
                          wrk)
from node_harness import wait_drained as wait_until

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")


def env_int(name, default):
    return int(os.environ.get(name, str(default)))


DURATION = env_int("TASKS_BENCH_DURATION", 10)
WARMUP = env_int("TASKS_BENCH_WARMUP", 2)
CLIENTS = env_int("TASKS_BENCH_CLIENTS", 64)
DURABILITIES = os.environ.get("TASKS_BENCH_DURABILITIES", "os fsync").split()
QUEUED = env_int("TASKS_BENCH_QUEUED", 1_000_000)
QUEUE_CONNECTIONS = env_int("TASKS_BENCH_QUEUE_CONNECTIONS", 64)
QUEUE_LIMIT_S = env_int("TASKS_BENCH_QUEUE_LIMIT_S", 900)
DRAIN_LIMIT_S = env_int("TASKS_BENCH_DRAIN_LIMIT_S", 300)
TARGET_CONCURRENCY = os.environ.get("TASKS_BENCH_TARGET_CONCURRENCY", "")
PARTS = os.environ.get("TASKS_BENCH_PARTS",
                       "throughput cluster queue").split()
# Far enough that no queued task comes due during the run.
QUEUE_DELAY_MS = 30 * 24 * 3600 * 1000
SENTINEL_DELAY_MS = 2000


def log(*args):
    print("tasks_bench:", *args, file=sys.stderr, flush=True)


def task_figures(m):
    return {
        "succeeded": metric_sum(m, "bsm_tasks_finished_total",
                                state="succeeded"),
        "dead": metric_sum(m, "bsm_tasks_finished_total", state="dead"),
        "queued": metric_sum(m, "bsm_tasks_depth", state="queued"),
        "running": metric_sum(m, "bsm_tasks_depth", state="running"),
        "failed": metric_sum(m, "bsm_tasks_depth", state="failed"),
        "wait_sum": metric_sum(m, "bsm_task_wait_seconds_sum"),
        "wait_count": metric_sum(m, "bsm_task_wait_seconds_count"),
        "run_sum": metric_sum(m, "bsm_task_run_seconds_sum"),
        "run_count": metric_sum(m, "bsm_task_run_seconds_count"),
    }


# -- the node ------------------------------------------------------------------

def node_sets(durability, max_queued):
    sets = [f"store.durability={durability}",
            f"tasks.max_queued={max_queued}",
            "mailbox.max_depth=10000000"]
    if TARGET_CONCURRENCY:
        sets.append(f"tasks.concurrency={TARGET_CONCURRENCY}")
    return sets


TASK_BODY = {"actor": "node_info", "type": "bsm.v1.PingRequest",
             "payload": {"sequence": "1"}}


def wait_drained(check, limit_s=DRAIN_LIMIT_S, every=0.05):
    """Polls check() until true; the time it took, or None."""
    return wait_until(check, limit_s, every)


# -- runs ----------------------------------------------------------------------


def run_tasks(node, clients, tag, out_dir):
    wrk("post_task.lua", node.url, clients, WARMUP,
        os.path.join(out_dir, f"{tag}-warmup.txt"))

    def idle():
        f = task_figures(metrics(node.url))
        return f["queued"] + f["running"] + f["failed"] == 0

    wait_drained(idle, every=0.2)
    f0 = task_figures(metrics(node.url))
    sampler = Sampler(lambda t: {**task_figures(metrics(node.url)),
                                 "t": round(t, 2)})
    cpu0 = thread_cpu(node.pid)
    start = time.time()
    sampler.start()
    w = wrk("post_task.lua", node.url, clients, DURATION,
            os.path.join(out_dir, f"{tag}.txt"))
    run_end = time.time()
    cpu = busiest_threads(cpu0, thread_cpu(node.pid), run_end - start)
    f1 = task_figures(metrics(node.url))
    accepted = w["requests"] - w["non_2xx"]
    target = f0["succeeded"] + accepted
    done_at = [None]

    def all_succeeded():
        f = task_figures(metrics(node.url))
        if f["succeeded"] + f["dead"] >= target:
            done_at[0] = time.time()
            return True
        return False

    drain = wait_drained(all_succeeded, every=0.05)
    sampler.stop()
    f2 = task_figures(metrics(node.url))
    backlog = [s["queued"] + s["running"] for s in sampler.samples
               if s["t"] <= run_end - start + 0.5]
    res = {
        "accepted": accepted,
        "accepted_per_s": accepted / w["duration_s"],
        "non_2xx": w["non_2xx"], "errors": w["errors"],
        "submit_p50_ms": w["p50_ms"], "submit_p99_ms": w["p99_ms"],
        "submit_mean_ms": w["mean_ms"],
        "succeeded_during_run": f1["succeeded"] - f0["succeeded"],
        "applied_during_run_per_s":
            (f1["succeeded"] - f0["succeeded"]) / w["duration_s"],
        "dead": f2["dead"] - f0["dead"],
        "backlog_at_start": f0["queued"] + f0["running"],
        "backlog_at_end_of_run": f1["queued"] + f1["running"],
        "backlog_max_sampled": max(backlog) if backlog else None,
        "backlog_samples": backlog,
        "drain_s": drain,
        "busiest_threads": cpu,
    }
    if drain is not None:
        res["applied_per_s"] = accepted / (done_at[0] - start)
    dw = f2["wait_count"] - f0["wait_count"]
    dr = f2["run_count"] - f0["run_count"]
    if dw:
        res["mean_wait_us"] = (f2["wait_sum"] - f0["wait_sum"]) / dw * 1e6
    if dr:
        res["mean_run_us"] = (f2["run_sum"] - f0["run_sum"]) / dr * 1e6
    res["backlog_grew"] = res["backlog_at_end_of_run"] > max(
        2 * clients, 0.05 * accepted)
    return res


def throughput(out_dir):
    results = {}
    for durability in DURABILITIES:
        work = tempfile.mkdtemp(prefix=f"bsm-tasks-{durability}-")
        node = Node(BUILD, work, node_sets(durability, 10_000_000))
        try:
            node.start()
            smoke(node.url, "/v1/actors/node_info/messages", SEND_BODY, 202)
            task = smoke(node.url, "/v1/tasks", TASK_BODY, 202)
            ok = wait_drained(lambda: call(
                node.url + "/v1/tasks/" + task["task_id"])[1].get("state")
                == "succeeded", limit_s=30)
            if ok is None:
                raise RuntimeError("the smoke task did not succeed: " + str(
                    call(node.url + "/v1/tasks/" + task["task_id"])))
            r = {}
            for clients in (1, CLIENTS):
                log(f"{durability}, {clients} connection(s): durable send")
                r[f"send_c{clients}"] = run_send(
                    node, clients, f"tasks-{durability}-send-c{clients}",
                    out_dir, WARMUP, DURATION, DRAIN_LIMIT_S)
                log(f"{durability}, {clients} connection(s): tasks")
                r[f"task_c{clients}"] = run_tasks(
                    node, clients, f"tasks-{durability}-task-c{clients}",
                    out_dir)
                s, t = r[f"send_c{clients}"], r[f"task_c{clients}"]
                ratio = {"accepted": t["accepted_per_s"] / s["accepted_per_s"]}
                if "applied_per_s" in t:
                    ratio["applied"] = t["applied_per_s"] / s["accepted_per_s"]
                    # The node time a task costs beyond one durable send.
                    ratio["overhead_us_per_task"] = 1e6 * (
                        1 / t["applied_per_s"] - 1 / s["accepted_per_s"])
                r[f"task_over_send_c{clients}"] = ratio
                log(json.dumps(ratio))
            r["rss_bytes_end"] = node.rss()
            results[durability] = r
        finally:
            node.stop()
            shutil.rmtree(work, ignore_errors=True)
    return results


# -- over the cluster port ---------------------------------------------------

def cluster(out_dir):
    cmd = [os.path.join(BUILD, "bench", "bsm_cluster_bench"), "tasks",
           "--submitters", f"1,{CLIENTS}",
           "--durabilities", ",".join(DURABILITIES),
           "--duration-s", str(DURATION), "--warmup-s", str(WARMUP),
           "--target-concurrency", TARGET_CONCURRENCY or "64",
           "--drain-limit-s", str(DRAIN_LIMIT_S)]
    log("over the cluster port: " + " ".join(cmd[1:]))
    with open(os.path.join(out_dir, "tasks-cluster.txt"), "w") as err:
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err,
                             check=True, text=True).stdout
    res = json.loads(out.strip().splitlines()[-1])["cluster_tasks"]
    for durability, runs in res["runs"].items():
        for name, run in runs.items():
            if run.get("refused"):
                # E.g. the bsmd declared the bench's node down: its asks
                # are refused until it rejoins, and the figure is not one.
                log(f"cluster {durability} {name}: {run['refused']} refused, "
                    f"the first: {run['first_refusal']}")
            elif name.startswith("task_over_send"):
                log(f"cluster {durability} {name}: {json.dumps(run)}")
    return res


# -- the queue -----------------------------------------------------------------

def queue(out_dir):
    work = tempfile.mkdtemp(prefix="bsm-tasks-queue-")
    node = Node(BUILD, work, node_sets("os", QUEUED + 1000))
    res = {"queued_target": QUEUED, "connections": QUEUE_CONNECTIONS,
           "delay_ms": QUEUE_DELAY_MS}
    try:
        node.start()
        smoke(node.url, "/v1/tasks", TASK_BODY, 202)
        time.sleep(1)
        res["rss_idle_bytes"] = node.rss()
        res["data_dir_idle_bytes"] = dir_bytes(node.data)
        done_file = os.path.join(work, "queue.done")
        log_path = os.path.join(out_dir, "tasks-queue-wrk.txt")
        env = {**os.environ, "TASKS_BENCH_COUNT": str(QUEUED),
               "TASKS_BENCH_DELAY_MS": str(QUEUE_DELAY_MS),
               "TASKS_BENCH_DONE": done_file}
        log(f"queueing {QUEUED} tasks")
        start = time.time()
        with open(log_path, "w") as out:
            w = subprocess.Popen(
                ["wrk", "-t1", f"-c{QUEUE_CONNECTIONS}",
                 f"-d{QUEUE_LIMIT_S}s", "--timeout", "60s", "--latency",
                 "-s", os.path.join(HTTP_DIR, "queue_tasks.lua"), node.url],
                stdout=out, stderr=subprocess.STDOUT, env=env)
            curve = []
            next_sample = start
            while not os.path.exists(done_file) and w.poll() is None:
                if time.time() >= next_sample:
                    f = task_figures(metrics(node.url))
                    curve.append({"t": round(time.time() - start, 1),
                                  "queued": f["queued"],
                                  "rss_bytes": node.rss()})
                    next_sample += 5
                time.sleep(0.2)
            submit_s = time.time() - start
            if w.poll() is None:
                w.send_signal(signal.SIGINT)
            w.wait()
        text = open(log_path).read()
        accepted = int(re.search(r"tasks_accepted=(\d+)", text).group(1))
        failed = int(re.search(r"tasks_failed=(\d+)", text).group(1))
        first = re.search(r"first_failure=(.*)", text).group(1)
        res.update({"accepted": accepted, "failed": failed,
                    "first_failure": first, "submit_s": submit_s,
                    "submit_per_s": accepted / submit_s})
        time.sleep(2)
        f = task_figures(metrics(node.url))
        res["queued_metric"] = f["queued"]
        res["depth_by_priority"] = {
            str(p): metric_sum(metrics(node.url), "bsm_tasks_depth",
                               state="queued", priority=str(p))
            for p in range(10)}
        res["rss_after_bytes"] = node.rss()
        res["hwm_after_bytes"] = proc_status(node.pid, "VmHWM")
        res["data_dir_after_bytes"] = dir_bytes(node.data)
        res["rss_curve"] = curve
        if accepted:
            res["rss_per_task_bytes"] = (
                res["rss_after_bytes"] - res["rss_idle_bytes"]) / accepted
        # The marginal cost: the slope over the second half of the curve.
        half = [c for c in curve if c["queued"] >= accepted / 2]
        if len(half) >= 2 and half[-1]["queued"] > half[0]["queued"]:
            res["rss_slope_second_half_bytes_per_task"] = (
                (half[-1]["rss_bytes"] - half[0]["rss_bytes"])
                / (half[-1]["queued"] - half[0]["queued"]))
        log(f"queued {accepted} in {submit_s:.0f} s, RSS "
            f"{res['rss_after_bytes'] / 2**20:.0f} MiB")

        # The sentinel: due SENTINEL_DELAY_MS from now; the node is killed
        # before that and started again after it.
        status, body = call(node.url + "/v1/tasks", "POST",
                            {**TASK_BODY, "delay_ms": SENTINEL_DELAY_MS})
        if status != 202:
            raise RuntimeError(f"sentinel: {status} {body}")
        sentinel = body["task_id"]
        due = time.time() + SENTINEL_DELAY_MS / 1000
        node.kill9()
        killed = time.time()
        res["sentinel_killed_before_due_s"] = due - killed
        time.sleep(max(0, due - time.time()) + 0.5)
        node.start()
        started = node.started_at
        res["restart_ports_s"] = node.ports_at - started
        res["restart_ready_s"] = node.ready_at - started
        rec = None
        deadline = time.time() + 300
        while time.time() < deadline:
            status, rec = call(node.url + "/v1/tasks/" + sentinel)
            if status == 200 and rec.get("state") in ("running",
                                                      "succeeded"):
                break
            time.sleep(0.005)
        seen = time.time()
        if rec and rec.get("state") in ("running", "succeeded"):
            res["sentinel_state"] = rec["state"]
            # updated_at: the time (unix ms) of its last move, running or
            # succeeded: at or just after its dispatch.
            res["restart_first_dispatch_s"] = rec["updated_at"] / 1000 - started
            res["restart_first_dispatch_seen_s"] = seen - started
        else:
            res["sentinel_state"] = rec.get("state") if rec else None
        time.sleep(2)
        res["rss_after_restart_bytes"] = node.rss()
        res["hwm_after_restart_bytes"] = proc_status(node.pid, "VmHWM")
        # Whether the node takes new work now: its memory guard answers 503
        # when RSS passes memory_budget * 1.1 + memory_headroom.
        status, body = call(node.url + "/v1/tasks", "POST", TASK_BODY)
        res["submit_after_restart"] = [status, body if status != 202 else ""]
        time.sleep(8)
        res["rss_10s_after_restart_bytes"] = node.rss()
        res["queued_metric_after_restart"] = task_figures(
            metrics(node.url))["queued"]
        res["data_dir_after_restart_bytes"] = dir_bytes(node.data)
    finally:
        node.stop()
        shutil.rmtree(work, ignore_errors=True)
    return res


def main():
    if shutil.which("wrk") is None:
        sys.exit("tasks_bench: wrk not found (apt-get install wrk)")
    out_dir = os.path.join(ROOT, "bench", "results")
    os.makedirs(out_dir, exist_ok=True)
    results = {"build": BUILD, "duration_s": DURATION, "warmup_s": WARMUP,
               "clients": CLIENTS, "durabilities": DURABILITIES,
               "target_concurrency": TARGET_CONCURRENCY or "default",
               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "loadavg_before": open("/proc/loadavg").read().split()[:3]}
    t0 = time.time()
    if "throughput" in PARTS:
        results["throughput"] = throughput(out_dir)
    if "cluster" in PARTS:
        results["cluster"] = cluster(out_dir)
    if "queue" in PARTS and QUEUED > 0:
        results["queue"] = queue(out_dir)
    results["loadavg_after"] = open("/proc/loadavg").read().split()[:3]
    results["elapsed_s"] = time.time() - t0
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    for name in (f"tasks-{stamp}.json", "tasks-latest.json"):
        with open(os.path.join(out_dir, name), "w") as f:
            json.dump(results, f, indent=2)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
