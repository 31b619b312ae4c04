#!/usr/bin/python3
"""HTTP connections are spread over all of `inferd serve`'s HTTP threads.

A burst of keep-alive connections (a load balancer's pool, wrk's) used to
land on the one libmicrohttpd thread that woke to accept them, which then
parsed every request while the others slept. Eight connections are opened
at once against --http-threads 4, a round of ModelInfer calls is
made on each in turn (answers checked against numpy), and each HTTP
thread's voluntary context switches, one per wake-up, are read from /proc
before and after: every thread must have woken for its share of the calls,
and the acceptor thread must exist.

The process and its threads carry names that say what they are: the
binary's own name (the server re-executes itself through /proc/self/exe,
which would name it "exe"), "http-accept", "grpc-poll", "repository" and
"<model>/<index>" for each batcher worker.

Then --max-connections: a burst of connections far over the limit against
a server that allows 4. Each connection is answered or closed at once,
never left waiting; once they are gone a new one is served; and the
server stops cleanly. (libmicrohttpd 0.9.75 deadlocked a pool thread that
reached its own limit with connections handed to it: the server then hung
at its stop; see server/http_accept.h.)

Environment (tests/CMakeLists.txt): INFERD_BINARY, INFERD_EXAMPLE_REPOSITORY,
INFERD_PROTO_DIR (inferd_server.py).
"""
import http.client
import json
import os
import shutil
import socket
import sys
import tempfile
import time

from inferd_server import (Checks, Server, infer_json, json_outputs, matches, mlp_repository,
                           mlp_rows, settled)

THREADS = 4
CONNECTIONS = 2 * THREADS
ROUNDS = 40
# A thread that holds a connection wakes at least once per call on it; one that holds none
# wakes only for housekeeping. Half a connection's calls separates the two with room to spare.
MIN_WAKES = ROUNDS // 2
LIMIT = 4
BURST = 60
# How long the server may take to see the burst's connections closed.
SETTLE_S = 10


def threads(pid):
    """{tid: (name, voluntary context switches)} of the process's threads."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                switches = next(int(line.split()[1]) for line in f
                                if line.startswith("voluntary_ctxt_switches:"))
        except FileNotFoundError:  # the thread ended meanwhile
            continue
        out[tid] = (name, switches)
    return out


def http_threads(pid):
    """{tid: voluntary context switches} of the process's HTTP pool threads."""
    return {tid: n for tid, (name, n) in threads(pid).items() if name == "MHD-worker"}


def over_the_limit(check, repo):
    """BURST connections at once against --max-connections LIMIT."""
    server = Server(repo, "--http-threads", "2", "--max-connections", str(LIMIT))
    try:
        socks = [socket.create_connection(("127.0.0.1", server.http_port), timeout=20)
                 for _ in range(BURST)]
        answered = refused = 0
        for s in socks:
            try:
                s.sendall(b"GET /v2/health/ready HTTP/1.1\r\nHost: inferd\r\n\r\n")
                head = s.recv(64)
            except ConnectionError:
                head = b""
            except socket.timeout:
                check(False, "a connection over the limit was left waiting")
                break
            if head.startswith(b"HTTP/1.1 200"):
                answered += 1
            else:
                check(head == b"", f"unexpected answer {head!r}")
                refused += 1
        print(f"{BURST} connections against a limit of {LIMIT}: {answered} answered, "
              f"{refused} closed", flush=True)
        check(1 <= answered <= LIMIT, f"{answered} answered with a limit of {LIMIT}")
        for s in socks:
            s.close()
        # The server frees the slots once it has seen the closes: a new connection is served
        # within moments (until then it is closed at once, as over the limit).
        served = False
        give_up = time.monotonic() + SETTLE_S
        while not served and time.monotonic() < give_up:
            c = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=20)
            try:
                c.request("GET", "/v2/health/ready")
                served = c.getresponse().status == 200
            except ConnectionError:
                time.sleep(0.1)
            finally:
                c.close()
        check(served, f"no new connection served within {SETTLE_S} s of the burst's end")
    finally:
        code = server.stop()
    check(code == 0, f"server exit code {code} after the burst")


def main():
    check = Checks()
    tmp = tempfile.mkdtemp(prefix="inferd-http-threads-")
    repo, reference = mlp_repository(tmp)
    server = Server(repo, "--http-threads", str(THREADS))
    try:
        pid = server.proc.pid
        with open(f"/proc/{pid}/comm") as f:
            process_name = f.read().strip()
        program = os.path.basename(os.environ["INFERD_BINARY"])[:15]
        check(process_name == program, f"the server is named {process_name!r}, not {program!r}")
        # A thread names itself when it first runs, which on a loaded machine may come a
        # little after the server says it is ready (the acceptor waits for its name).
        wanted = {"http-accept", "grpc-poll", "repository", "mlp/0"}
        names = settled(lambda: {name for name, _ in threads(pid).values()}, SETTLE_S,
                        lambda names: wanted <= names)
        check(wanted <= names, f"no {sorted(wanted - names)} thread among {sorted(names)}")
        check("exe" not in names, f"threads named 'exe': {sorted(names)}")
        # All connected at once, as a client's pool does at its start: the burst that one
        # thread used to take whole.
        conns = [http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=20)
                 for _ in range(CONNECTIONS)]
        for c in conns:
            c.connect()
        for c in conns:
            c.request("GET", "/v2/health/ready")
            r = c.getresponse()
            r.read()
            check(r.status == 200, f"ready answered {r.status} on a new connection")
        before = http_threads(pid)
        check(len(before) == THREADS, f"{len(before)} HTTP threads, not {THREADS}")
        x = mlp_rows(1, 7)
        body = json.dumps(infer_json(x))
        for _ in range(ROUNDS):
            for c in conns:
                c.request("POST", "/v2/models/mlp/infer", body,
                          {"Content-Type": "application/json"})
                r = c.getresponse()
                answer = r.read()
                ok = r.status == 200 and matches(json_outputs(json.loads(answer)), reference(x))
                if not check(ok, f"infer answered {r.status}: {answer[:200]!r}"):
                    return 1
        after = http_threads(pid)
        wakes = sorted(after.get(t, 0) - before.get(t, 0) for t in before)
        print(f"wake-ups per HTTP thread over {ROUNDS * CONNECTIONS} calls on {CONNECTIONS} "
              f"connections: {wakes}", flush=True)
        busy = sum(1 for w in wakes if w >= MIN_WAKES)
        check(busy == THREADS, f"only {busy} of {THREADS} HTTP threads served the connections")
        for c in conns:
            c.close()
    finally:
        code = server.stop()
    check(code == 0, f"server exit code {code}")
    try:
        over_the_limit(check, repo)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS" if not check.failures else f"{check.failures} check(s) failed", flush=True)
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
