#!/usr/bin/python3
"""An HTTP request must arrive whole within --request-timeout-secs of its first byte.

libmicrohttpd's only deadline is the idle timeout, which each byte that
arrives restarts, so a client sending a request a byte at a time used to
hold its connection for as long as it liked (server/http_watch.h). With
--request-timeout-secs 2 and --idle-timeout-secs 30:

- Three clients drip a request a byte every 0.25 s: one from its request
  line's first byte, one after a whole request line and some headers, one
  after whole headers announcing a body. Each must be closed by the server,
  not before 2 s after its first byte and within a few seconds after, and
  the closes are counted in inferd_http_connections_closed_total.
- Time the server spends answering does not count: a whole request that the
  model's batching delay holds 3 s is answered (checked against numpy).
- Idle time does not count: a keep-alive connection that waits 3.5 s between
  two requests is served both times, and a request whose body follows its
  headers after 1 s is answered.
- With --request-timeout-secs 0 a dripping client is left alone.

Environment (tests/CMakeLists.txt): INFERD_BINARY, INFERD_EXAMPLE_REPOSITORY,
INFERD_PROTO_DIR (inferd_server.py).
"""
import http.client
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
import urllib.request

from inferd_server import (Checks, Server, hold_mlp_requests, infer_json, json_outputs, matches,
                           mlp_repository, mlp_rows)

TIMEOUT_S = 2
# The server sweeps every 0.5 s and first sees a request's bytes on a sweep: a late request is
# closed within about a second of being due; the rest is slack for a loaded machine.
CLOSE_BY_S = TIMEOUT_S + 4
DRIP_EVERY_S = 0.25
# The batching delay that holds a lone request past the timeout (microseconds).
HOLD_US = 3_000_000
IDLE_S = 3.5
CALL_TIMEOUT_S = 20
PATH = "/v2/models/mlp/infer"

DRIPS = [
    ("the request line", b"P"),
    ("the headers", b"POST " + PATH.encode() + b" HTTP/1.1\r\nHost: inferd\r\n"),
    ("the body", b"POST " + PATH.encode() + b" HTTP/1.1\r\nHost: inferd\r\n"
     b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"),
]


def drip(port, first, seconds):
    """Sends first, then a byte every DRIP_EVERY_S for up to seconds: how long the server
    kept the connection open, or None if it still was."""
    s = socket.create_connection(("127.0.0.1", port), timeout=CALL_TIMEOUT_S)
    start = time.monotonic()
    try:
        s.sendall(first)
        while time.monotonic() - start < seconds:
            time.sleep(DRIP_EVERY_S)
            s.sendall(b"x")
        return None
    except OSError:
        return time.monotonic() - start
    finally:
        s.close()


def closed_count(server):
    with urllib.request.urlopen(f"http://127.0.0.1:{server.metrics_port}/metrics",
                                timeout=CALL_TIMEOUT_S) as r:
        text = r.read().decode()
    m = re.search(r'^inferd_http_connections_closed_total\{reason="request_timeout"\} (\d+)$',
                  text, re.M)
    return int(m.group(1)) if m else -1


def check_drips_closed(check, server):
    results = [None] * len(DRIPS)

    def run(i):
        results[i] = drip(server.http_port, DRIPS[i][1], CLOSE_BY_S + 2)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(DRIPS))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for (what, _), held in zip(DRIPS, results):
        print(f"a client dripping {what}: closed after {held} s", flush=True)
        check(held is not None and TIMEOUT_S <= held <= CLOSE_BY_S,
              f"a client dripping {what} was closed after {held} s, not between {TIMEOUT_S} s "
              f"and {CLOSE_BY_S} s")
    check(closed_count(server) == len(DRIPS),
          f"request_timeout closings counted: {closed_count(server)}, not {len(DRIPS)}")


def infer(conn, x):
    conn.request("POST", PATH, json.dumps(infer_json(x)), {"Content-Type": "application/json"})
    r = conn.getresponse()
    body = r.read()
    return r.status, (json_outputs(json.loads(body)) if r.status == 200 else body)


def check_answer_time_free(check, server, ref):
    x = mlp_rows(1, 3)
    conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=CALL_TIMEOUT_S)
    start = time.monotonic()
    try:
        status, got = infer(conn, x)
    except (OSError, http.client.HTTPException) as e:
        status, got = None, e
    finally:
        conn.close()
    held = time.monotonic() - start
    check(status == 200 and matches(got, ref(x)) and held >= HOLD_US / 1e6 * 0.9,
          f"a request held {HOLD_US / 1e6} s by the model was answered {status} after "
          f"{held:.2f} s: {got!r:.200}")


def check_idle_time_free(check, server, ref):
    conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=CALL_TIMEOUT_S)
    try:
        for i in range(2):
            conn.request("GET", "/v2/health/ready")
            r = conn.getresponse()
            r.read()
            check(r.status == 200, f"ready answered {r.status} on a kept-alive connection ({i})")
            time.sleep(IDLE_S)
        x = mlp_rows(1, 4)
        body = json.dumps(infer_json(x)).encode()
        conn.putrequest("POST", PATH)
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        time.sleep(1)
        conn.send(body)
        r = conn.getresponse()
        answer = r.read()
        check(r.status == 200 and matches(json_outputs(json.loads(answer)), ref(x)),
              f"a body sent 1 s after its headers, after {IDLE_S} s idle, was answered "
              f"{r.status}: {answer[:200]!r}")
    except (OSError, http.client.HTTPException) as e:
        check(False, f"a kept-alive connection idle {IDLE_S} s between requests failed: {e!r}")
    finally:
        conn.close()


def main():
    check = Checks()
    tmp = tempfile.mkdtemp(prefix="inferd-slow-")
    try:
        repo, ref = mlp_repository(tmp)
        hold_mlp_requests(repo, HOLD_US)
        server = Server(repo, "--request-timeout-secs", str(TIMEOUT_S), "--idle-timeout-secs", "30")
        try:
            check_drips_closed(check, server)
            check_answer_time_free(check, server, ref)
            check_idle_time_free(check, server, ref)
        finally:
            check(server.stop() == 0, "the server did not stop cleanly")
        server = Server(repo, "--request-timeout-secs", "0", "--idle-timeout-secs", "30")
        try:
            held = drip(server.http_port, DRIPS[1][1], TIMEOUT_S + 2)
            check(held is None, f"with no request timeout a dripping client was closed after {held} s")
        finally:
            check(server.stop() == 0, "the server did not stop cleanly")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%s: %d failures" % (os.path.basename(__file__), check.failures), flush=True)
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
