#!/usr/bin/python3
"""A client that sends part of an HTTP request and closes does not keep its connection.

libmicrohttpd 0.9.75 could miss such a close (server/http_watch.h): the
connection stayed in CLOSE-WAIT until --idle-timeout-secs (60 s), counting
toward --max-connections all along, so a handful of clients that gave up
mid-request locked everyone else out for a minute.

- 60 clients that each send part of a request (the request line and some
  headers; the headers; the headers and part of the body) and close at once:
  within a few seconds no connection of the HTTP port may be left in
  CLOSE-WAIT (/proc/net/tcp; before the fix nearly all of them were, for a
  minute), and a new client is served (answer checked against numpy). The
  same for the metrics port, with a scrape served after them.
- A client that sends a whole request and shuts only its sending side still
  gets its answer. The model's batching delay holds the request 1.5 s, over
  several of the server's sweeps for gone clients, so a sweep that shut such
  a connection too early would lose the answer.

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

from inferd_server import (Checks, Server, hold_mlp_requests, infer_json, json_outputs, matches,
                           mlp_repository, mlp_rows, settled)

GONE = 60
# Lines a second one log source may write (LOG_LIMIT_PER_SECOND, server/log.h).
LOG_LIMIT = 10
# How long the server may take to close a gone client's connection (it sweeps every 0.5 s).
SETTLE_S = 5
# The batching delay that holds a lone request (microseconds).
HOLD_US = 1_500_000
CALL_TIMEOUT_S = 15
PATH = "/v2/models/mlp/infer"

PARTIAL = [
    b"POST " + PATH.encode() + b" HTTP/1.1\r\nHost: inferd\r\n",
    b"POST " + PATH.encode() + b" HTTP/1.1\r\nHost: inferd\r\nContent-Length: 100\r\n\r\n",
    b"POST " + PATH.encode() + b" HTTP/1.1\r\nHost: inferd\r\nContent-Length: 100\r\n\r\n"
    b"{\"inputs\":",
]


def give_up(port, partial):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(partial)
    s.close()


def served(port, x, want):
    """True when a new connection's ModelInfer call is answered correctly."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CALL_TIMEOUT_S)
    try:
        conn.request("POST", PATH, json.dumps(infer_json(x)),
                     {"Content-Type": "application/json"})
        r = conn.getresponse()
        body = r.read()
        return r.status == 200 and matches(json_outputs(json.loads(body)), want)
    except (ConnectionError, http.client.HTTPException, socket.timeout):
        return False
    finally:
        conn.close()


def close_wait(port):
    """The server's connections on port whose client has closed and it has not (CLOSE-WAIT)."""
    n = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, state = fields[1], fields[3]
            if int(local.split(":")[1], 16) == port and state == "08":
                n += 1
    return n


def check_gone_clients_release(check, server, ref):
    first_line = server.lines()
    start = time.monotonic()
    for i in range(GONE):
        give_up(server.http_port, PARTIAL[i % len(PARTIAL)])
    left = settled(lambda: close_wait(server.http_port), SETTLE_S)
    check(left == 0, "%d clients that gave up mid-request: %d connection(s) still in CLOSE-WAIT "
          "after %d s" % (GONE, left, SETTLE_S))
    # libmicrohttpd writes a line per such connection; the server lets through LOG_LIMIT a
    # second of them (server/log.h), and the acceptor's sweep writes the count of the rest.
    seconds = time.monotonic() - start
    warned = server.text_since(first_line).count("WARN http: ")
    # Each second the burst touched (int(seconds) + 2 at most): LOG_LIMIT lines and a count.
    check(warned <= (LOG_LIMIT + 1) * (int(seconds) + 2),
          f"{warned} http warnings for {GONE} gone clients in {seconds:.1f} s")
    counted = server.wait_log("http: ", SETTLE_S, start=first_line) and server.wait_log(
        " more line(s) left out", SETTLE_S, start=first_line)
    check(counted or warned >= GONE, "no count of the http warnings left out after the burst")
    x = mlp_rows(1, 1)
    check(served(server.http_port, x, ref(x)), "a new client is served after them")


def check_gone_scrapers_release(check, server):
    for _ in range(GONE):
        give_up(server.metrics_port, b"GET /metrics HTTP/1.1\r\nHost: inferd\r\n")
    left = settled(lambda: close_wait(server.metrics_port), SETTLE_S)
    check(left == 0, "%d scrapers that gave up mid-request: %d metrics connection(s) still in "
          "CLOSE-WAIT after %d s" % (GONE, left, SETTLE_S))
    conn = http.client.HTTPConnection("127.0.0.1", server.metrics_port, timeout=CALL_TIMEOUT_S)
    try:
        conn.request("GET", "/metrics")
        r = conn.getresponse()
        text = r.read().decode()
        check(r.status == 200 and "inferd_" in text, "a scrape is served after them")
    finally:
        conn.close()


def check_half_closed_client_answered(check, server, ref):
    x = mlp_rows(1, 2)
    body = json.dumps(infer_json(x)).encode()
    head = ("POST %s HTTP/1.1\r\nHost: inferd\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\nConnection: close\r\n\r\n" % (PATH, len(body))).encode()
    s = socket.create_connection(("127.0.0.1", server.http_port), timeout=CALL_TIMEOUT_S)
    answer = b""
    start = time.monotonic()
    try:
        s.sendall(head + body)
        s.shutdown(socket.SHUT_WR)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
    except OSError as e:
        print("half-closed client: %s" % e, flush=True)
    finally:
        s.close()
    held = time.monotonic() - start
    status, _, payload = answer.partition(b"\r\n\r\n")
    got = None
    if status.startswith(b"HTTP/1.1 200"):
        try:
            got = json_outputs(json.loads(payload))
        except ValueError:
            got = None
    check(matches(got, ref(x)) and held >= HOLD_US / 1e6 * 0.9,
          "a client that shut its sending side after a whole request got its answer after the "
          "%.1f s hold (%.2f s): %r" % (HOLD_US / 1e6, held, answer[:200]))


def main():
    check = Checks()
    tmp = tempfile.mkdtemp(prefix="inferd-gone-")
    server = None
    try:
        repo, ref = mlp_repository(tmp)
        hold_mlp_requests(repo, HOLD_US)
        server = Server(repo, "--http-threads", "2")
        check_gone_clients_release(check, server, ref)
        check_gone_scrapers_release(check, server)
        check_half_closed_client_answered(check, server, ref)
    finally:
        if server and server.stop() != 0:
            check.failures += 1
            print("FAIL: the server did not stop cleanly", flush=True)
        shutil.rmtree(tmp, ignore_errors=True)
    print("%s: %d failures" % (os.path.basename(__file__), check.failures), flush=True)
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
