#!/usr/bin/env python3
"""Streaming benchmark (issue 17): how soon a streamed answer's first
delta reaches the client, and how long each delta takes through the node.

A fake OpenAI-compatible upstream (this script with --upstream, its own
process, asyncio, TCP_NODELAY) answers POST /v1/chat/completions with
`stream: true` as SSE: a role chunk, then DELTAS content deltas GAP_MS
apart (the first FIRST_MS after the request), each a unique token
(q<request>w<index>), then a stop chunk and [DONE], chunked, keep-alive.
It notes CLOCK_MONOTONIC (time.monotonic_ns, the same clock in every
process of the machine) just before it writes each delta and reports the
times on its stdout. A request without `stream` gets the whole answer
after the same schedule, with each token's time as the time it would have
been written.

The client (this process, asyncio, one keep-alive connection per client)
notes the time it sends each request and the time each token is first
seen in the decoded body (a `done` event repeating the output does not
count), and computes per request:
  TTFB   request sent -> first delta at the client (the node sends its
         response head and an opening event at once; the time to the head
         is kept too, as head_ms)
  relay  per delta: client's first sight - upstream's write
Routes, in this order, each first with one client (REQUESTS sequential
requests) and then with CLIENTS concurrent clients (PER_CLIENT each, their
starts spread over one answer's time), after WARMUP unrecorded requests
each; the requests are split over ROUNDS rounds of every route, so the
baseline and the node see the same machine:
  direct       client -> upstream, the baseline
  completions  POST /v1/chat/completions {"model": agent, "stream": true}
  agent_chat   POST /v1/agents/{agent}/chat, Accept: text/event-stream
One bsmd (config/node.yaml, fresh data dir, 127.0.0.1:0, warn logs) with
one agent on the openai provider whose openai.base_url is the upstream.
--cluster: two bsmd nodes joined by static seeds, the agent owned by the
node the client does NOT talk to (as that node's /v1/agents/{name} says;
eight agents are defined and the first owned by the other node is used).

Usage: bench/stream_bench.py [--cluster] [BUILD_DIR]  (make bench-stream)
Environment (defaults in brackets): STREAM_BENCH_DELTAS [20],
STREAM_BENCH_GAP_MS [20], STREAM_BENCH_FIRST_MS [0], STREAM_BENCH_REQUESTS
[200], STREAM_BENCH_CLIENTS [8], STREAM_BENCH_PER_CLIENT [25],
STREAM_BENCH_WARMUP [10], STREAM_BENCH_ROUNDS [5].
Writes bench/results/stream[-cluster]-<stamp>.json and -latest.json, and
prints the summary (also stream[-cluster]-summary-latest.txt).
"""
import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import stream_report as sr
from loopback import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REQUEST_DEADLINE_S = 60


def env_int(name, default):
    return int(os.environ.get(name, str(default)))


# -- the fake upstream (its own process) --------------------------------------

def sse_chunk(payload):
    data = b"data: " + payload + b"\n\n"
    return b"%x\r\n%s\r\n" % (len(data), data)


def delta_event(delta, finish=None):
    return sse_chunk(json.dumps({
        "id": "chatcmpl-bench", "object": "chat.completion.chunk",
        "created": 0, "model": "bench-model",
        "choices": [{"index": 0, "delta": delta,
                     "finish_reason": finish}]}).encode())


def last_user_text(body):
    for m in reversed(body.get("messages", [])):
        if m.get("role") == "user" and isinstance(m.get("content"), str):
            return m["content"].strip()
    return ""


async def upstream_answer(writer, body, deltas, gap_ms, first_ms):
    """Writes one answer; returns the time each delta was (or, without
    `stream`, would have been) written."""
    tag = last_user_text(body)
    tokens = [sr.token(tag, i) + " " for i in range(deltas)]
    start = time.monotonic_ns() + int(first_ms * 1e6)
    due = [start + int(i * gap_ms * 1e6) for i in range(deltas)]
    if not body.get("stream"):
        await asyncio.sleep(max(0, due[-1] - time.monotonic_ns()) / 1e9)
        answer = json.dumps({
            "id": "chatcmpl-bench", "object": "chat.completion", "created": 0,
            "model": "bench-model",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant",
                                     "content": "".join(tokens)}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": deltas,
                      "total_tokens": deltas + 1}}).encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(answer), answer))
        await writer.drain()
        return due, False
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                 b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n"
                 + delta_event({"role": "assistant", "content": ""}))
    await writer.drain()
    written = []
    for i, text in enumerate(tokens):
        await asyncio.sleep(max(0, due[i] - time.monotonic_ns()) / 1e9)
        written.append(time.monotonic_ns())
        writer.write(delta_event({"content": text}))
        await writer.drain()
    writer.write(delta_event({}, "stop") + sse_chunk(b"[DONE]") + b"0\r\n\r\n")
    await writer.drain()
    return written, True


async def upstream_connection(reader, writer, settings):
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            received = time.monotonic_ns()
            lines = head.decode("latin-1").split("\r\n")
            method, target = lines[0].split(" ")[:2]
            headers = dict((k.strip().lower(), v.strip()) for k, v in
                           (x.split(":", 1) for x in lines[1:] if ":" in x))
            body = await reader.readexactly(
                int(headers.get("content-length", "0")))
            if method != "POST" or not target.endswith("/chat/completions"):
                writer.write(b"HTTP/1.1 404 Not Found\r\n"
                             b"Content-Length: 0\r\n\r\n")
                continue
            parsed = json.loads(body)
            written, streamed = await upstream_answer(writer, parsed, *settings)
            # One line per answer, after it: nothing slows the writes.
            print(json.dumps({"tag": last_user_text(parsed),
                              "streamed": streamed, "received": received,
                              "written": written}),
                  flush=True)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def upstream_main(deltas, gap_ms, first_ms):
    server = await asyncio.start_server(
        lambda r, w: upstream_connection(r, w, (deltas, gap_ms, first_ms)),
        "127.0.0.1", 0)
    print(json.dumps({"port": server.sockets[0].getsockname()[1]}), flush=True)
    async with server:
        await server.serve_forever()


# -- the client ---------------------------------------------------------------

class Upstream:
    """The upstream process and the write times it reports, by tag."""

    def __init__(self, settings):
        self.proc = subprocess.Popen(
            [sys.executable, "-u", os.path.abspath(__file__), "--upstream",
             *(str(x) for x in settings)], stdout=subprocess.PIPE)
        self.port = json.loads(self.proc.stdout.readline())["port"]
        self.answers = {}  # tag -> future of its write times
        self.streamed = 0
        self.whole = 0

    async def start_reading(self):
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), self.proc.stdout)
        # Held: a task nobody references may be collected mid-run.
        self._task = asyncio.ensure_future(self._read(reader))

    def _answer(self, tag):
        if tag not in self.answers:
            self.answers[tag] = asyncio.get_running_loop().create_future()
        return self.answers[tag]

    async def _read(self, reader):
        while True:
            line = await reader.readline()
            if not line:
                return
            x = json.loads(line)
            self._answer(x["tag"]).set_result(x)
            if x["streamed"]:
                self.streamed += 1
            else:
                self.whole += 1

    async def answer(self, tag):
        """What the upstream reports of tag's answer once it is done: when
        its head arrived and when each delta was written; {} if nothing
        comes within 10 s."""
        try:
            return await asyncio.wait_for(asyncio.shield(self._answer(tag)),
                                          10)
        except asyncio.TimeoutError:
            return {}
        finally:
            self.answers.pop(tag, None)


class Connection:
    """One keep-alive connection of one client."""

    def __init__(self, port):
        self.port = port
        self.reader = self.writer = None

    async def exchange(self, path, body, accept):
        """Sends one request; returns (time sent, time the head arrived,
        status, scanner)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                "127.0.0.1", self.port)
            self.writer.get_extra_info("socket").setsockopt(
                socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        data = json.dumps(body).encode()
        request = (b"POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                   b"Content-Type: application/json\r\nAccept: %s\r\n"
                   b"Content-Length: %d\r\n\r\n%s" % (
                       path.encode(), self.port, accept.encode(), len(data),
                       data))
        t_sent = time.monotonic_ns()
        self.writer.write(request)
        head = b""
        scanner = sr.TokenScanner()
        decoder = sr.ChunkedDecoder()
        while True:
            chunk = await self.reader.read(65536)
            t = time.monotonic_ns()
            if not chunk:
                raise ConnectionError("closed by the server")
            if head is not None:
                head += chunk
                end = head.find(b"\r\n\r\n")
                if end < 0:
                    continue
                status = int(head.split(b" ", 2)[1])
                fields = head[:end].lower()
                chunk, head, t_head = head[end + 4:], None, t
                if b"transfer-encoding: chunked" not in fields:
                    raise ValueError("status %d, not chunked: %r"
                                     % (status, fields + chunk[:300]))
            scanner.feed(decoder.feed(chunk), t)
            if decoder.done:
                # bsmd ends each stream with its connection (Connection:
                # close); the next request connects anew, before its clock
                # starts.
                if b"connection: close" in fields:
                    self.close()
                return t_sent, t_head, status, scanner

    def close(self):
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class Route:
    def __init__(self, name, port, path, accept, make_body):
        self.name, self.port, self.path = name, port, path
        self.accept, self.make_body = accept, make_body


def routes_for(upstream_port, node_port, agent):
    def completion(model):
        return lambda tag: {"model": model, "stream": True,
                            "messages": [{"role": "user", "content": tag}]}
    return [
        Route("direct", upstream_port, "/v1/chat/completions",
              "text/event-stream", completion("bench-model")),
        Route("completions", node_port, "/v1/chat/completions",
              "text/event-stream", completion(agent)),
        Route("agent_chat", node_port, "/v1/agents/%s/chat" % agent,
              "text/event-stream", lambda tag: {"input": tag}),
    ]


class Bench:
    def __init__(self, upstream, deltas):
        self.upstream = upstream
        self.deltas = deltas
        self.next_request = 0

    async def one(self, conn, route):
        tag = sr.tag_of(self.next_request)
        self.next_request += 1
        try:
            t_sent, t_head, status, scanner = await asyncio.wait_for(
                conn.exchange(route.path, route.make_body(tag), route.accept),
                REQUEST_DEADLINE_S)
            if status != 200:
                raise ValueError("status %d" % status)
        except (OSError, ValueError, asyncio.TimeoutError) as e:
            conn.close()
            await self.upstream.answer(tag)
            return {"ttfb_ms": None, "upstream_first_ms": None,
                    "first_relay_ms": None, "head_ms": None, "relay_ms": [], "missing": self.deltas,
                    "error": repr(e)[:300]}
        answer = await self.upstream.answer(tag)
        figures = sr.request_figures(tag, self.deltas, t_sent,
                                     scanner.first_seen,
                                     answer.get("written", []))
        figures["head_ms"] = (t_head - t_sent) / 1e6
        if "received" in answer:
            figures["upstream_received_ms"] = (answer["received"]
                                               - t_sent) / 1e6
        return figures

    async def client(self, route, count, delay_s=0):
        await asyncio.sleep(delay_s)
        conn = Connection(route.port)
        try:
            return [await self.one(conn, route) for _ in range(count)]
        finally:
            conn.close()

    async def run(self, route, clients, per_client, answer_s):
        """The figures of each request of `clients` clients."""
        # Staggered over one answer's time, as independent users would be:
        # clients in step would make every delta a burst of `clients`.
        results = await asyncio.gather(
            *(self.client(route, per_client, k * answer_s / clients)
              for k in range(clients)))
        return [r for rs in results for r in rs]


# -- the nodes ----------------------------------------------------------------

def http_get(port, path):
    try:
        with urllib.request.urlopen(
                "http://127.0.0.1:%d%s" % (port, path), timeout=5) as res:
            return res.status, res.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError:
        return 0, b""


def write_agents(folder, names):
    os.makedirs(folder, exist_ok=True)
    for name in names:
        with open(os.path.join(folder, name + ".yaml"), "w") as f:
            f.write("name: %s\ndescription: Relays the bench upstream.\n"
                    "model: {provider: openai, name: bench-model}\n"
                    "system_prompt: You stream.\n"
                    "limits: {timeout: 60s}\n" % name)


class Node:
    """One bsmd process on a fresh data dir under `work`."""

    def __init__(self, build, work, name, sets):
        self.name = name
        data = os.path.join(work, name)
        self.err_path = os.path.join(work, name + ".err")
        args = [os.path.join(build, "node", "bsmd"), "--config",
                os.path.join(ROOT, "config", "node.yaml")]
        for x in ["node.name=" + name, "node.data_dir=" + data,
                  "http.listen=127.0.0.1:0", "logging.level=warn", *sets]:
            args += ["--set", x]
        with open(self.err_path, "w") as err:
            self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                         stderr=err)
        ports = os.path.join(data, "ports.json")
        for _ in range(600):
            if os.path.exists(ports):
                addr = json.load(open(ports))["http"]
                self.port = int(addr.rsplit(":", 1)[1])
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("%s did not start: %s" % (name, self.log()))

    def log(self):
        return open(self.err_path).read()[-2000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def wait_for(what, check, seconds=60):
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out waiting for " + what)
        time.sleep(0.1)


def owner_of(node, agent):
    status, body = http_get(node.port, "/v1/agents/" + agent)
    return json.loads(body).get("node") if status == 200 else None


def start_single(build, work, openai_sets):
    agents = os.path.join(work, "agents")
    write_agents(agents, ["stream"])
    node = Node(build, work, "node-a",
                ["cluster.listen=127.0.0.1:0", "agents.paths=[%s]" % agents,
                 *openai_sets])
    wait_for("the agent", lambda: owner_of(node, "stream") is not None)
    return [node], node, "stream"


def start_cluster(build, work, openai_sets):
    agents = os.path.join(work, "agents")
    names = ["stream-%d" % i for i in range(8)]
    write_agents(agents, names)
    ports = [free_port(), free_port()]
    seeds = "[%s]" % ", ".join("127.0.0.1:%d" % p for p in ports)
    nodes = []
    for name, port in zip(["node-a", "node-b"], ports):
        nodes.append(Node(build, work, name,
                          ["cluster.listen=127.0.0.1:%d" % port,
                           "cluster.seeds=" + seeds,
                           "agents.paths=[%s]" % agents, *openai_sets]))
    for n in nodes:
        wait_for(n.name + " joined",
                 lambda: b'"joined"' in http_get(n.port, "/readyz")[1])
    via = nodes[0]
    wait_for("agents placed",
             lambda: all(owner_of(via, a) for a in names))
    agent = next((a for a in names if owner_of(via, a) == "node-b"), None)
    if agent is None:
        raise RuntimeError("node-b owns none of " + ", ".join(names))
    return nodes, via, agent


# -- the run ------------------------------------------------------------------

def cpu_idle_percent():
    def sample():
        return [int(x) for x in open("/proc/stat").readline().split()[1:9]]
    a = sample()
    time.sleep(1)
    b = sample()
    total = sum(b) - sum(a)
    return 100 * (b[3] - a[3]) // max(total, 1)


def loadavg():
    return " ".join(open("/proc/loadavg").read().split()[:3])


async def measure(upstream, routes, settings):
    """Every route in each round, so that the baseline and the node see the
    same machine; a run's figures are over all its rounds."""
    await upstream.start_reading()
    bench = Bench(upstream, settings["deltas"])
    answer_s = (settings["first_ms"] + settings["gap_ms"]
                * (settings["deltas"] - 1)) / 1e3
    rounds = settings["rounds"]
    shapes = ((1, settings["requests"]),
              (settings["clients"], settings["per_client"]))
    requests = {}
    for route in routes:
        await bench.client(route, settings["warmup"])
    for k in range(rounds):
        print("stream_bench: round %d of %d" % (k + 1, rounds),
              file=sys.stderr)
        for route in routes:
            for clients, total in shapes:
                # This round's share of each client's requests.
                count = total * (k + 1) // rounds - total * k // rounds
                requests.setdefault((route.name, clients), []).extend(
                    await bench.run(route, clients, count, answer_s))
    runs = []
    for (name, clients), rs in requests.items():
        errors = [r["error"] for r in rs if r.get("error")]
        runs.append({"route": name, "clients": clients,
                     "figures": sr.run_figures(rs), "errors": errors[:5]})
    return runs


def main(argv):
    if "-h" in argv or "--help" in argv:
        print(__doc__)
        return
    cluster = "--cluster" in argv
    rest = [a for a in argv if a != "--cluster"]
    build = os.path.abspath(rest[0] if rest else os.path.join(ROOT, "build"))
    settings = {
        "deltas": env_int("STREAM_BENCH_DELTAS", 20),
        "gap_ms": float(os.environ.get("STREAM_BENCH_GAP_MS", "20")),
        "first_ms": float(os.environ.get("STREAM_BENCH_FIRST_MS", "0")),
        "requests": env_int("STREAM_BENCH_REQUESTS", 200),
        "clients": env_int("STREAM_BENCH_CLIENTS", 8),
        "per_client": env_int("STREAM_BENCH_PER_CLIENT", 25),
        "warmup": env_int("STREAM_BENCH_WARMUP", 10),
        "rounds": env_int("STREAM_BENCH_ROUNDS", 5),
    }
    if not 0 < settings["deltas"] <= 1000:
        raise SystemExit("STREAM_BENCH_DELTAS must be 1..1000")
    if settings["rounds"] < 1:
        raise SystemExit("STREAM_BENCH_ROUNDS must be at least 1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    work = tempfile.mkdtemp(prefix="bsm-stream-bench-")
    upstream = Upstream((settings["deltas"], settings["gap_ms"],
                         settings["first_ms"]))
    nodes = []
    try:
        openai_sets = ["openai.base_url=http://127.0.0.1:%d/v1" % upstream.port,
                       "openai.api_key=bench"]
        idle_before = cpu_idle_percent()
        load_before = loadavg()
        start = start_cluster if cluster else start_single
        nodes, via, agent = start(build, work, openai_sets)
        runs = asyncio.run(measure(
            upstream, routes_for(upstream.port, via.port, agent), settings))
        for n in nodes:
            if n.proc.poll() is not None:
                raise RuntimeError(n.name + " died: " + n.log())
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        doc = {
            "kind": "stream", "mode": "cluster" if cluster else "single",
            "date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
            "commit": commit, "host": platform.node(), "cpus": os.cpu_count(),
            "idle_before_percent": idle_before, "loadavg_before": load_before,
            "loadavg_after": loadavg(), "settings": settings,
            "agent": agent, "via": via.name,
            "owner": owner_of(via, agent),
            "upstream_answers": {"streamed": upstream.streamed,
                                 "whole": upstream.whole},
            "runs": runs,
        }
    finally:
        for n in nodes:
            n.stop()
        upstream.proc.terminate()
        upstream.proc.wait()
        shutil.rmtree(work, ignore_errors=True)
    out = os.path.join(ROOT, "bench", "results")
    os.makedirs(out, exist_ok=True)
    kind = "stream-cluster" if cluster else "stream"
    for name in ("%s-%s.json" % (kind, doc["date"]), kind + "-latest.json"):
        with open(os.path.join(out, name), "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
    text = sr.summary(doc)
    with open(os.path.join(out, kind + "-summary-latest.txt"), "w") as f:
        f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--upstream":
        try:
            asyncio.run(upstream_main(int(sys.argv[2]), float(sys.argv[3]),
                                      float(sys.argv[4])))
        except KeyboardInterrupt:
            pass
    else:
        main(sys.argv[1:])
