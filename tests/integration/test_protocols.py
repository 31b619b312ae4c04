#!/usr/bin/python3
"""The load generators of scripts/bench_protocols.py and `inferd perf` against a real server.

- The hand-built ModelInferRequest that h2load sends (scripts/bench_protocols.py)
  is the message grpcio's protobuf runtime builds, and sent as a raw framed
  body it is answered with the mlp's output (numpy reference).
- h2load with that framed body: every request succeeds, and the server
  counts as many gRPC OK answers (h2load itself cannot see grpc-status).
- `inferd perf` over gRPC (closed loop on two threads, open loop) and over
  HTTP (JSON and binary): no errors, answers counted, and the server saw at
  least the requests perf counted.
Not a timed performance test: figures come from scripts/bench_protocols.py.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
import numpy as np  # noqa: E402

import bench_protocols  # noqa: E402
from inferd_server import (CALL_TIMEOUT_S, Checks, Server, grpc, infer_message, matches,  # noqa: E402
                           message_outputs, mlp_repository, pb)

H2LOAD_REQUESTS = 200
PERF_SECONDS = "1"
TOOL_TIMEOUT_S = 120


def grpc_counts(server):
    """The server's gRPC answers by code."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % server.metrics_port,
                                timeout=CALL_TIMEOUT_S) as r:
        text = r.read().decode()
    return {m.group(1): int(float(m.group(2)))
            for m in re.finditer(r'^inferd_grpc_responses_total\{code="(\w+)"\} (\S+)$', text, re.M)}


def delta(after, before):
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


def check_framed_body(check, server, ref):
    values = [i / 16 for i in range(16)]
    body = bench_protocols.model_infer_request(values)
    x = np.asarray([values], dtype=np.float32)
    check(pb.ModelInferRequest.FromString(body) == infer_message(x),
          "the hand-built ModelInferRequest is the message protobuf builds")
    frame = bench_protocols.grpc_frame(body)
    check(frame[0] == 0 and int.from_bytes(frame[1:5], "big") == len(body) and frame[5:] == body,
          "the gRPC frame is a 0 flag, the big-endian length and the message")
    with grpc.insecure_channel("127.0.0.1:%d" % server.grpc_port) as channel:
        call = channel.unary_unary("/inference.GRPCInferenceService/ModelInfer")
        answer = call(body, timeout=CALL_TIMEOUT_S)
    check(matches(message_outputs(pb.ModelInferResponse.FromString(answer)), ref(x)),
          "the raw ModelInfer body is answered with the mlp's output")
    return frame


def check_h2load(check, server, frame, tmp):
    if not check(shutil.which("h2load") is not None,
                 "h2load is installed (nghttp2-client, scripts/install-deps.sh)"):
        return
    path = os.path.join(tmp, "mlp.grpc")
    with open(path, "wb") as f:
        f.write(frame)
    before = grpc_counts(server)
    out = subprocess.run(["h2load", "-n", str(H2LOAD_REQUESTS), "-c", "4", "-m", "1", "-d", path,
                          "-H", "content-type: application/grpc", "-H", "te: trailers",
                          "http://127.0.0.1:%d/inference.GRPCInferenceService/ModelInfer"
                          % server.grpc_port],
                         capture_output=True, text=True, timeout=TOOL_TIMEOUT_S).stdout
    counted = delta(grpc_counts(server), before)
    check("%d succeeded, 0 failed, 0 errored" % H2LOAD_REQUESTS in out,
          "h2load: every request succeeded:\n" + out)
    check(counted == {"OK": H2LOAD_REQUESTS},
          "the server answered h2load's %d calls OK, got %s" % (H2LOAD_REQUESTS, counted))


def perf(check, server, what, *args):
    """Runs `inferd perf` args; checks it ran clean and returns its JSON report (or None)."""
    r = subprocess.run([os.environ["INFERD_BINARY"], "perf", "--model", "mlp", "--duration", PERF_SECONDS,
                        "--output-json"] + list(args),
                       capture_output=True, text=True, timeout=TOOL_TIMEOUT_S)
    if not check(r.returncode == 0, "%s: exit %d: %s" % (what, r.returncode, r.stderr)):
        return None
    report = json.loads(r.stdout.strip().splitlines()[-1])
    check(report["errors"] == 0 and report["warmup_errors"] == 0,
          "%s: no errors, got %s" % (what, report["errors_by_kind"]))
    check(report["successes"] > 0 and report["throughput_rps"] > 0,
          "%s: answers counted, got %d at %.1f req/s" % (what, report["successes"],
                                                          report["throughput_rps"]))
    return report


def check_perf(check, server):
    target = "127.0.0.1:%d" % server.grpc_port
    for what, args in (("perf gRPC closed loop", ["--concurrency", "8", "--threads", "2"]),
                       ("perf gRPC open loop", ["--request-rate", "200", "--max-in-flight", "4"])):
        before = grpc_counts(server)
        report = perf(check, server, what, "--grpc", target, *args)
        counted = delta(grpc_counts(server), before)
        if report:
            check(set(counted) == {"OK"} and counted["OK"] >= report["requests"],
                  "%s: the server answered OK at least the %d requests perf counted, got %s"
                  % (what, report["requests"], counted))
    if report:
        # Unsent slots are the schedule's backlog when the window closes, with all 4
        # calls in flight. A lasting one means by Little's law that the mean latency
        # reached 4 / 200 per s = 20 ms (a loaded or sanitized server). A stall of
        # perf's own near the end (a busy CI host) can leave a slot or two while
        # answers wait unread.
        slots = report["requests"] + report["unsent_requests"]
        capped = report["latency_ms"]["mean"] >= 1000.0 * 4 / 200 * 0.9
        check(report["concurrency"] == 4 and abs(slots - 200 * float(PERF_SECONDS)) <= 2 and
              (report["unsent_requests"] <= 2 or capped),
              "perf gRPC open loop: a slot every 5 ms, a backlog only at 4 in flight: %s" % report)
    url = "http://127.0.0.1:%d" % server.http_port
    for protocol in ("json", "binary"):
        perf(check, server, "perf HTTP " + protocol, "--url", url, "--protocol", protocol,
             "--concurrency", "4")


def main():
    check = Checks()
    tmp = tempfile.mkdtemp(prefix="inferd-protocols-")
    server = None
    try:
        repo, ref = mlp_repository(tmp)
        server = Server(repo)
        frame = check_framed_body(check, server, ref)
        check_h2load(check, server, frame, tmp)
        check_perf(check, server)
    finally:
        if server and server.stop() != 0:
            check.failures += 1
            print("FAIL: the server did not stop cleanly", flush=True)
        shutil.rmtree(tmp, ignore_errors=True)
    print("%s: %d failures" % (os.path.basename(__file__), check.failures), flush=True)
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
