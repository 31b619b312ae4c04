#!/usr/bin/python3
"""`inferd perf` ends every call of its load at --timeout-ms itself.

Both transports are asynchronous: a loop thread drives many connections and
must end an exchange whose answer never comes. Over gRPC, perf's channels
run the core's minimal filter stack, which has no deadline filter, so perf
cancels overdue calls with DEADLINE_EXCEEDED; over HTTP it closes the
connection and counts a timeout.

To check that without a server that ends calls for the client (an `inferd
serve` or a grpcio server answers DEADLINE_EXCEEDED from the grpc-timeout
header), a proxy in front of `inferd serve` passes the first connection
through (perf's metadata request, on a connection of its own) and holds
every later one open without passing a byte (the load's connections). The
load's calls must then all end by their deadline, and perf on time.

Environment (tests/CMakeLists.txt): INFERD_BINARY, INFERD_EXAMPLE_REPOSITORY,
INFERD_PROTO_DIR (inferd_server.py).
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

from inferd_server import Checks, Server, mlp_repository

TIMEOUT_MS = 300
DURATION_S = 1
CONCURRENCY = 2
# perf's own bound: the duration, one timeout for the calls in flight, start and exit.
RUN_LIMIT_S = DURATION_S + 10


def pipe(src, dst):
    """Copies src to dst until either side closes."""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class Proxy:
    """Listens on a loopback port; the first connection reaches upstream, later ones go nowhere."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.held = []
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            if self.accepted > 1:
                self.held.append(conn)
                continue
            up = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=pipe, args=(conn, up), daemon=True).start()
            threading.Thread(target=pipe, args=(up, conn), daemon=True).start()

    def close(self):
        self.listener.close()
        for conn in self.held:
            conn.close()


def held_load(check, what, target, port, kind):
    """perf's load through a proxy that holds it: every call ends as kind, and perf on time."""
    proxy = Proxy(port)
    args = [os.environ["INFERD_BINARY"], "perf", *target(proxy.port), "--model", "mlp",
            "--concurrency", str(CONCURRENCY), "--duration", str(DURATION_S),
            "--timeout-ms", str(TIMEOUT_MS), "--output-json"]
    try:
        run = subprocess.run(args, capture_output=True, text=True, timeout=RUN_LIMIT_S)
    except subprocess.TimeoutExpired:
        check(False, f"{what}: perf still running after {RUN_LIMIT_S} s: calls never ended")
        return
    finally:
        proxy.close()
    lines = run.stdout.strip().splitlines()
    if not check(lines, f"{what}: perf printed no report (exit {run.returncode}): {run.stderr}"):
        return
    report = json.loads(lines[-1])
    print(what, {k: report[k] for k in ("requests", "errors", "errors_by_kind", "successes")},
          flush=True)
    check(report["successes"] == 0, f"{what}: a call through a silent connection succeeded")
    check(report["requests"] >= CONCURRENCY,
          f"{what}: {report['requests']} calls ended; every client's first must")
    check(report["errors_by_kind"] == {kind: report["requests"]},
          f"{what}: calls ended otherwise than by their deadline: {report['errors_by_kind']}")
    check(proxy.accepted >= 1 + CONCURRENCY,
          f"{what}: the proxy saw {proxy.accepted} connections; the metadata request's and "
          "the load's")


def main():
    check = Checks()
    tmp = tempfile.mkdtemp(prefix="inferd-perf-deadline-")
    repo, _ = mlp_repository(tmp)
    server = Server(repo)
    try:
        held_load(check, "gRPC", lambda port: ["--grpc", f"127.0.0.1:{port}"], server.grpc_port,
                  "DEADLINE_EXCEEDED")
        for protocol in ("json", "binary"):
            held_load(check, f"HTTP {protocol}",
                      lambda port: ["--url", f"http://127.0.0.1:{port}", "--protocol", protocol],
                      server.http_port, "timeout")
    finally:
        if server.stop() != 0:
            check(False, "the server did not stop cleanly")
        shutil.rmtree(tmp, ignore_errors=True)
    print("failures:", check.failures)
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
