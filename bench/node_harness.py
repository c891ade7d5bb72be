"""Shared by bench/tasks_bench.py and bench/workflows_bench.py: one bsmd on
127.0.0.1 (config/node.yaml, its own data dir, ports 0, stopped by pid),
HTTP calls and /metrics, /proc figures, wrk runs, and the raw baseline: a
durable send (a PingRequest told to node_info) through wrk."""
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HTTP_DIR = os.path.join(ROOT, "bench", "http")


# -- HTTP ----------------------------------------------------------------------

def call(url, method="GET", body=None, timeout=30):
    """(status, parsed JSON or text, or None)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            status, raw = res.status, res.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    except (OSError, urllib.error.URLError):
        return 0, None
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode("utf-8", "replace")


def smoke(url, path, body, want, method="POST"):
    status, answer = call(url + path, method, body)
    if status != want:
        raise RuntimeError(f"{method} {path} answered {status}: {answer}")
    return answer


METRIC_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)')


def metrics(url):
    """{(name, labels text): value} of the node's /metrics."""
    status, text = call(url + "/metrics")
    out = {}
    if status != 200 or not isinstance(text, str):
        return out
    for line in text.splitlines():
        m = METRIC_LINE.match(line)
        if m:
            try:
                out[(m.group(1), m.group(2) or "")] = float(m.group(3))
            except ValueError:
                pass
    return out


def metric_sum(m, name, **labels):
    total = 0.0
    for (n, lab), v in m.items():
        if n != name:
            continue
        if all(f'{k}="{val}"' in lab for k, val in labels.items()):
            total += v
    return total


def mailbox_depth(url, actor):
    status, body = call(url + "/v1/actors")
    if status != 200 or not isinstance(body, dict):
        return None
    for a in body.get("actors", []):
        if a.get("name") == actor:
            return a.get("mailbox_depth")
    return None


def wait_drained(check, limit_s=300, every=0.05):
    """Polls check() until true; the time it took, or None."""
    start = time.time()
    while time.time() - start < limit_s:
        if check():
            return time.time() - start
        time.sleep(every)
    return None


# -- /proc ---------------------------------------------------------------------

def proc_status(pid, key):
    """VmRSS, VmHWM, ... of `pid` in bytes, or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def thread_cpu(pid):
    """{tid: (name, user + system seconds)} of `pid`'s threads."""
    out = {}
    tick = os.sysconf("SC_CLK_TCK")
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                text = f.read()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        out[tid] = (name, (int(fields[11]) + int(fields[12])) / tick)
    return out


def busiest_threads(before, after, seconds, top=6):
    """The threads that used most CPU between two thread_cpu() calls, as
    [name, share of one core]."""
    used = []
    for tid, (name, cpu) in after.items():
        used.append((cpu - before.get(tid, (name, 0.0))[1], name, tid))
    used.sort(reverse=True)
    return [[f"{name}/{tid}", round(cpu / seconds, 2)]
            for cpu, name, tid in used[:top]]


def cpu_share(before, after, seconds):
    """All of the process's CPU between two thread_cpu() calls, in cores
    (threads that ended meanwhile are not counted)."""
    used = sum(cpu - before.get(tid, (name, 0.0))[1]
               for tid, (name, cpu) in after.items())
    return round(used / seconds, 3)


def dir_bytes(path):
    """(apparent bytes, allocated bytes) of everything under `path`."""
    apparent = allocated = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            apparent += st.st_size
            allocated += st.st_blocks * 512
    return apparent, allocated


# -- the node ------------------------------------------------------------------

class Node:
    """bsmd from `build`/node/bsmd on the data dir `work`/data; `sets` are
    extra --set options. started_at is taken just before the spawn."""

    def __init__(self, build, work, sets):
        self.build = build
        self.work = work
        self.data = os.path.join(work, "data")
        self.sets = sets
        self.proc = None
        self.url = None
        self.started_at = None

    def start(self):
        ports = os.path.join(self.data, "ports.json")
        if os.path.exists(ports):
            os.remove(ports)
        args = [os.path.join(self.build, "node", "bsmd"), "--config",
                os.path.join(ROOT, "config", "node.yaml"),
                "--set", "node.data_dir=" + self.data,
                "--set", "http.listen=127.0.0.1:0",
                "--set", "cluster.listen=127.0.0.1:0",
                "--set", "logging.level=warn"]
        for s in self.sets:
            args += ["--set", s]
        err = open(os.path.join(self.work, "bsmd.err"), "a")
        self.started_at = time.time()
        # config/node.yaml's relative paths (agents/seed/) are the repo's.
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=err, cwd=ROOT)
        deadline = time.time() + 120
        while not os.path.exists(ports):
            if self.proc.poll() is not None:
                raise RuntimeError("bsmd exited: " + open(
                    os.path.join(self.work, "bsmd.err")).read()[-2000:])
            if time.time() > deadline:
                raise RuntimeError("bsmd wrote no ports.json")
            time.sleep(0.01)
        self.ports_at = time.time()
        self.url = "http://" + json.load(open(ports))["http"]
        while True:
            status, _ = call(self.url + "/readyz", timeout=5)
            if status == 200:
                break
            if time.time() > deadline:
                raise RuntimeError("bsmd not ready")
            time.sleep(0.01)
        self.ready_at = time.time()

    @property
    def pid(self):
        return self.proc.pid

    def rss(self):
        return proc_status(self.pid, "VmRSS")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGKILL)
                self.proc.wait()


# -- wrk -----------------------------------------------------------------------

def wrk(script, url, connections, seconds, log_path, env=None):
    """wrk with bench/http/`script` (which prints report.lua's wrk_json
    line); that line parsed."""
    threads = 1 if connections == 1 else 2
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s",
           "--latency", "-s", os.path.join(HTTP_DIR, script), url]
    with open(log_path, "w") as out:
        subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=True,
                       env={**os.environ, **(env or {})})
    text = open(log_path).read()
    m = re.search(r"^wrk_json=(.*)$", text, re.M)
    if not m:
        raise RuntimeError("no result line from wrk: " + text[-2000:])
    return json.loads(m.group(1))


# -- the raw baseline: a durable send -------------------------------------------

SEND_BODY = {"type": "bsm.v1.PingRequest", "payload": {"sequence": "1"},
             "mode": "tell"}


def run_send(node, clients, tag, out_dir, warmup, duration, drain_limit_s):
    """POST /v1/actors/node_info/messages (a PingRequest told: 202 once it
    is in node_info's durable mailbox) through wrk with `clients`
    connections for `duration` s after `warmup` s. Accepted: 202s per
    second; applied: until node_info's mailbox is empty again."""
    wrk("post_tell_ping.lua", node.url, clients, warmup,
        os.path.join(out_dir, f"{tag}-warmup.txt"))
    empty = lambda: mailbox_depth(node.url, "node_info") == 0  # noqa: E731
    wait_drained(empty, drain_limit_s)
    before = mailbox_depth(node.url, "node_info")
    cpu0 = thread_cpu(node.pid)
    start = time.time()
    w = wrk("post_tell_ping.lua", node.url, clients, duration,
            os.path.join(out_dir, f"{tag}.txt"))
    cpu1 = thread_cpu(node.pid)
    cpu = busiest_threads(cpu0, cpu1, time.time() - start)
    cores = cpu_share(cpu0, cpu1, time.time() - start)
    backlog = mailbox_depth(node.url, "node_info")
    drain = wait_drained(empty, drain_limit_s)
    accepted = w["requests"] - w["non_2xx"]
    res = {"accepted": accepted, "accepted_per_s": accepted / w["duration_s"],
           "non_2xx": w["non_2xx"], "errors": w["errors"],
           "p50_ms": w["p50_ms"], "p99_ms": w["p99_ms"],
           "mean_ms": w["mean_ms"], "backlog_before": before,
           "backlog_after_run": backlog, "drain_s": drain,
           "busiest_threads": cpu, "bsmd_cpu_cores": cores}
    if drain is not None:
        # Everything accepted was delivered by the end of the drain.
        res["applied_per_s"] = accepted / (time.time() - start)
    return res


class Sampler(threading.Thread):
    """sample(seconds since the start) every `every` seconds while running;
    stop() returns the samples."""

    def __init__(self, sample, every=1.0):
        super().__init__(daemon=True)
        self.sample, self.every = sample, every
        self.samples = []
        self.stopping = threading.Event()
        self.t0 = time.time()

    def run(self):
        while not self.stopping.is_set():
            self.samples.append(self.sample(time.time() - self.t0))
            self.stopping.wait(self.every)

    def stop(self):
        self.stopping.set()
        self.join()
        return self.samples
