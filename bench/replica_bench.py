#!/usr/bin/env python3
"""Replica benchmark (issue 26): what cluster.replication_factor 2 costs
and how fast a replica takes over.

Three bsmd processes on 127.0.0.1 (static seeds, the local provider), a
stateful hashed agent `keeper-0` (memory tools). For factor 1 and then
factor 2, in the same run, on fresh data dirs, through the HTTP port of
keeper-0's owner:
  chat     durable chat turns (POST /v1/agents/keeper-0/chat, one session
           per client; each turn's two session turns are one memory write)
  put      durable memory writes, asked (POST /v1/actors/memory/messages,
           MemoryPutRequest, mode ask: answered once written)
  tell     memory writes told (mode tell): the rate accepted (202) and the
           rate applied (until the last one is readable)
each with 1 and with CLIENTS concurrent clients. Then, with factor 2:
kill -9 of the owner and the time until a chat through another node is
answered by the replica (target: cluster.down_after + 500 ms).

Usage: bench/replica_bench.py [BUILD_DIR]   (make bench-replica)
Environment: REPLICA_BENCH_TURNS [300] per client, REPLICA_BENCH_CLIENTS
[8], REPLICA_BENCH_DOWN_AFTER_MS [3000].
Writes bench/results/replica-<stamp>.json and replica-latest.json.
"""
import base64
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from loopback import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
TURNS = int(os.environ.get("REPLICA_BENCH_TURNS", "300"))
CLIENTS = int(os.environ.get("REPLICA_BENCH_CLIENTS", "8"))
DOWN_AFTER_MS = int(os.environ.get("REPLICA_BENCH_DOWN_AFTER_MS", "3000"))
NAMES = ["node-a", "node-b", "node-c"]


class Client:
    """One keep-alive HTTP connection."""

    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body)
        headers = {"Content-Type": "application/json"} if data else {}
        try:
            self.conn.request(method, path, body=data, headers=headers)
            res = self.conn.getresponse()
            return res.status, res.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                   timeout=30)
            return 0, b""


class Cluster:
    def __init__(self, work, factor):
        self.work = work
        self.factor = factor
        self.cluster_ports = [free_port() for _ in NAMES]
        self.procs = {}
        self.http = {}
        agents = os.path.join(work, "agents")
        os.makedirs(agents, exist_ok=True)
        with open(os.path.join(agents, "keeper-0.yaml"), "w") as f:
            f.write("name: keeper-0\ndescription: Remembers.\n"
                    "model:\n  provider: local\n  name: local\n"
                    "system_prompt: You remember.\n"
                    "tools: [memory_put, memory_get]\n"
                    "memory:\n  history_turns: 4\n")
        seeds = ", ".join(f"127.0.0.1:{p}" for p in self.cluster_ports)
        for i, name in enumerate(NAMES):
            with open(os.path.join(work, name + ".yaml"), "w") as f:
                f.write(f"node:\n  name: {name}\n"
                        f"  data_dir: {os.path.join(work, name)}\n"
                        "http:\n  listen: 127.0.0.1:0\n"
                        f"cluster:\n  listen: 127.0.0.1:{self.cluster_ports[i]}\n"
                        f"  seeds: [{seeds}]\n"
                        f"  down_after: {DOWN_AFTER_MS}ms\n"
                        f"  suspect_after: {DOWN_AFTER_MS // 2}ms\n"
                        f"  replication_factor: {factor}\n"
                        "logging:\n  level: warn\n"
                        f"agents:\n  paths: [{agents}]\n")

    def start(self, name):
        data = os.path.join(self.work, name)
        ports = os.path.join(data, "ports.json")
        if os.path.exists(ports):
            os.remove(ports)
        err = open(os.path.join(self.work, name + ".err"), "a")
        self.procs[name] = subprocess.Popen(
            [os.path.join(BUILD, "node", "bsmd"), "--config",
             os.path.join(self.work, name + ".yaml")],
            stdout=subprocess.DEVNULL, stderr=err)
        for _ in range(600):
            if os.path.exists(ports):
                addr = json.load(open(ports))["http"]
                self.http[name] = int(addr.rsplit(":", 1)[1])
                return
            time.sleep(0.05)
        raise RuntimeError(name + " wrote no ports.json")

    def ready(self, names=None):
        deadline = time.time() + 60
        for name in names or NAMES:
            c = Client(self.http[name])
            while True:
                status, body = c.call("GET", "/readyz")
                if status == 200 and b'"joined"' in body:
                    break
                if time.time() > deadline:
                    raise RuntimeError(name + " not ready: " + body.decode())
                time.sleep(0.1)

    def owner(self, agent):
        status, body = Client(self.http[NAMES[0]]).call(
            "GET", "/v1/agents/" + agent)
        return json.loads(body)["node"]

    def kill(self, name):
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait()

    def stop(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                p.wait()


def run_clients(port, clients, work):
    """Runs work(client, i) for TURNS requests per client; returns
    (requests answered 2xx, seconds, failures)."""
    ok = [0] * clients
    failed = [0] * clients

    def loop(k):
        c = Client(port)
        for i in range(TURNS):
            status, _ = work(c, k, i)
            if 200 <= status < 300:
                ok[k] += 1
            else:
                failed[k] += 1

    threads = [threading.Thread(target=loop, args=(k,)) for k in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(ok), time.perf_counter() - start, sum(failed)


def put_body(key, mode):
    return {"type": "bsm.v1.MemoryPutRequest", "mode": mode,
            "payload": {"agent": "keeper-0", "key": key,
                        "value": base64.b64encode(b"v" * 64).decode()}}


def measure(cluster, owner_port, tag):
    out = {}
    for clients in (1, CLIENTS):
        n, secs, failed = run_clients(
            owner_port, clients,
            lambda c, k, i: c.call("POST", "/v1/agents/keeper-0/chat",
                                   {"input": f"hello {i}",
                                    "session_id": f"{tag}-{clients}-{k}"}))
        out[f"chat_c{clients}"] = {"per_s": n / secs, "failed": failed}
        n, secs, failed = run_clients(
            owner_port, clients,
            lambda c, k, i: c.call("POST", "/v1/actors/memory/messages",
                                   put_body(f"ask-{clients}-{k}-{i}", "ask")))
        out[f"put_c{clients}"] = {"per_s": n / secs, "failed": failed}
        start = time.perf_counter()
        n, secs, failed = run_clients(
            owner_port, clients,
            lambda c, k, i: c.call("POST", "/v1/actors/memory/messages",
                                   put_body(f"tell-{clients}-{k}-{i}", "tell")))
        accepted = n / secs
        # Applied: every client's last write readable.
        c = Client(owner_port)
        for k in range(clients):
            key = f"tell-{clients}-{k}-{TURNS - 1}"
            while True:
                status, body = c.call(
                    "POST", "/v1/actors/memory/messages",
                    {"type": "bsm.v1.MemoryGetRequest", "mode": "ask",
                     "payload": {"agent": "keeper-0", "key": key}})
                if status == 200 and json.loads(body)["payload"].get("found"):
                    break
                time.sleep(0.005)
        applied = n / (time.perf_counter() - start)
        out[f"tell_c{clients}"] = {"accepted_per_s": accepted,
                                   "applied_per_s": applied,
                                   "failed": failed}
    return out


def failover(cluster):
    owner = cluster.owner("keeper-0")
    via = next(n for n in NAMES if n != owner)
    c = Client(cluster.http[via])
    status, _ = c.call("POST", "/v1/agents/keeper-0/chat",
                       {"input": "remember code is 4711",
                        "session_id": "failover"})
    assert status == 200, status
    killed = time.perf_counter()
    cluster.kill(owner)
    while True:
        status, body = c.call("POST", "/v1/agents/keeper-0/chat",
                              {"input": "recall code",
                               "session_id": "failover"})
        if status == 200:
            served = time.perf_counter() - killed
            return {"owner": owner, "seconds_to_first_turn": served,
                    "recalled": b"4711" in body,
                    "target_seconds": DOWN_AFTER_MS / 1000 + 0.5}
        if time.perf_counter() - killed > 60:
            return {"owner": owner, "seconds_to_first_turn": None}
        time.sleep(0.01)


def main():
    results = {"turns_per_client": TURNS, "clients": CLIENTS,
               "down_after_ms": DOWN_AFTER_MS,
               "loadavg_before": open("/proc/loadavg").read().split()[:3]}
    for factor in (1, 2):
        work = tempfile.mkdtemp(prefix=f"bsm-replica-{factor}-")
        cluster = Cluster(work, factor)
        try:
            for name in NAMES:
                cluster.start(name)
            cluster.ready()
            owner = cluster.owner("keeper-0")
            results[f"factor{factor}"] = measure(
                cluster, cluster.http[owner], f"f{factor}")
            results[f"factor{factor}"]["owner"] = owner
            if factor == 2:
                results["failover"] = failover(cluster)
        finally:
            cluster.stop()
            shutil.rmtree(work, ignore_errors=True)
    f1, f2 = results["factor1"], results["factor2"]
    ratios = {}
    for key in f1:
        if key == "owner":
            continue
        a, b = f1[key], f2[key]
        rate = "per_s" if "per_s" in a else "applied_per_s"
        ratios[key] = b[rate] / a[rate] if a[rate] else None
    results["factor2_over_factor1"] = ratios
    results["loadavg_after"] = open("/proc/loadavg").read().split()[:3]
    out = os.path.join(ROOT, "bench", "results")
    os.makedirs(out, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    for name in (f"replica-{stamp}.json", "replica-latest.json"):
        with open(os.path.join(out, name), "w") as f:
            json.dump(results, f, indent=2)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
