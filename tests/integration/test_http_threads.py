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

Environment (tests/CMakeLists.txt): INFERD_BINARY, INFERD_EXAMPLE_REPOSITORY,
INFERD_PROTO_DIR (inferd_server.py).
"""
import http.client
import json
import os
import shutil
import sys
import tempfile

from inferd_server import (Checks, Server, infer_json, json_outputs, matches, mlp_repository,
                           mlp_rows)

THREADS = 4
CONNECTIONS = 2 * THREADS
ROUNDS = 40
# A thread that holds a connection wakes at least once per call on it; one that holds none
# wakes only for housekeeping. Half a connection's calls separates the two with room to spare.
MIN_WAKES = ROUNDS // 2


def http_threads(pid):
    """{tid: voluntary context switches} of the process's HTTP pool threads."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            if name != "MHD-worker":
                continue
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches:"):
                        out[tid] = int(line.split()[1])
        except FileNotFoundError:
            pass
    return out


def thread_names(pid):
    names = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                names.append(f.read().strip())
        except FileNotFoundError:
            pass
    return names


def main():
    check = Checks()
    tmp = tempfile.mkdtemp(prefix="inferd-http-threads-")
    repo, reference = mlp_repository(tmp)
    server = Server(repo, "--http-threads", str(THREADS))
    try:
        pid = server.proc.pid
        check("http-accept" in thread_names(pid), "no http-accept thread")
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
        shutil.rmtree(tmp, ignore_errors=True)
    check(code == 0, f"server exit code {code}")
    print("PASS" if not check.failures else f"{check.failures} check(s) failed", flush=True)
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
