#!/usr/bin/python3
"""Overload: a model with a queue cap, offered ten times the rate it can
sustain, must refuse the excess at once instead of queueing it.

  1. The sustainable rate: `inferd perf` in a closed loop (as many clients
     as the queue holds) against a model that takes milliseconds per
     request, one instance, max_queue_size 8.
  2. The overload: `inferd perf` in an open loop at ten times that rate,
     over HTTP and then over gRPC.

It fails when the server's own figures (inferd_request_duration_us, the
server time from a request's arrival to its answer, outcome="queue_full")
show more than 0.1 % of refusals taking over 1 ms, when the client could
not send at the offered rate, when no request was refused, when the
server's count of refusals differs from the client's, when any request
fails otherwise, when the server's RSS grows past a bound during the
overload, or when it dies. The requests answered per second under
overload are reported: on a small machine the load generator takes CPU
time from the model's worker, so they say as much about the machine as
about the server.

usage: overload.py [--seconds S] [--report FILE]

Under the sanitizers (INFERD_SANITIZED=1) every request costs several
times more and freed memory sits in ASan's quarantine, so the 1 ms and
RSS bounds are reported but not enforced.
Environment: INFERD_BINARY, INFERD_EXAMPLE_REPOSITORY, INFERD_PROTO_DIR.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import inferd_server as srv  # noqa: E402
import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

# Refusals (queue full) must be answered within this much server time ...
REFUSAL_BOUND_US = 1000
# ... this share of them at least: on a machine whose cores the load generator shares, a
# thread preempted mid-request now and then waits out another's time slice.
REFUSAL_SHARE = 0.999
# Requests the model may hold queued; the rest are refused.
QUEUE_CAP = 8
# The overload offers this many times the sustainable rate.
OVERLOAD_FACTOR = 10
# Client workers (threads, each with its connection) of the open loop: enough for the
# answered requests' latency at the offered rate, few enough not to crowd a small machine.
MAX_IN_FLIGHT = 64
# RSS may grow by at most this much over its value before the overload.
RSS_BOUND_BYTES = 64 << 20
# The slow model: rows x width input through width x hidden and hidden x width weights,
# layers times (64 MiB of weights: milliseconds per request, a few hundred requests/s on
# one instance, so that ten times that is a rate a load generator sharing a small machine
# can still send).
ROWS, WIDTH, HIDDEN, LAYERS = 8, 256, 2048, 16


def slow_model(path):
    """A chain of MatMul+Relu that takes a few milliseconds per request on one thread."""
    rng = np.random.default_rng(3)
    nodes, inits, prev = [], [], "x"
    for i in range(LAYERS):
        a = rng.standard_normal((WIDTH, HIDDEN)).astype(np.float32) / 16
        b = rng.standard_normal((HIDDEN, WIDTH)).astype(np.float32) / 45
        inits += [numpy_helper.from_array(a, "a%d" % i), numpy_helper.from_array(b, "b%d" % i)]
        nodes += [helper.make_node("MatMul", [prev, "a%d" % i], ["h%d" % i]),
                  helper.make_node("Relu", ["h%d" % i], ["r%d" % i]),
                  helper.make_node("MatMul", ["r%d" % i, "b%d" % i], ["y%d" % i])]
        prev = "y%d" % i
    graph = helper.make_graph(
        nodes, "slow", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [ROWS, WIDTH])],
        [helper.make_tensor_value_info(prev, TensorProto.FLOAT, [ROWS, WIDTH])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    onnx.save(model, path)


def perf(args):
    """Runs `inferd perf ... --output-json`: its JSON line."""
    r = subprocess.run([os.environ["INFERD_BINARY"], "perf", "--output-json"] + args,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError("inferd perf %s: exit %d\n%s" % (args, r.returncode, r.stderr))
    return json.loads(r.stdout.strip().splitlines()[-1])


def durations(port, outcome):
    """inferd_request_duration_us of model slow for outcome: ({le: cumulative}, count, sum)."""
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=30).read().decode()
    buckets, count, total = {}, 0, 0
    for line in text.splitlines():
        if 'model="slow"' not in line or 'outcome="%s"' % outcome not in line:
            continue
        value = float(line.rsplit(" ", 1)[1])
        m = re.search(r'le="([^"]+)"', line)
        if line.startswith("inferd_request_duration_us_bucket") and m:
            buckets[m.group(1)] = value
        elif line.startswith("inferd_request_duration_us_count"):
            count = value
        elif line.startswith("inferd_request_duration_us_sum"):
            total = value
    return buckets, count, total


def diff(after, before):
    b_after, c_after, s_after = after
    b_before, c_before, s_before = before
    return {k: v - b_before.get(k, 0) for k, v in b_after.items()}, c_after - c_before, \
        s_after - s_before


class RssWatch:
    """Samples a process's RSS every 100 ms on a thread; max() is the peak seen."""

    def __init__(self, pid):
        self.pid, self.peak, self.stopped = pid, 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopped.wait(0.1):
            try:
                with open("/proc/%d/status" % self.pid) as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            self.peak = max(self.peak, int(line.split()[1]) * 1024)
            except OSError:
                return

    def stop(self):
        self.stopped.set()
        self.thread.join()
        return self.peak


def rss_now(pid):
    with open("/proc/%d/status" % pid) as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=30, help="length of each overload run")
    ap.add_argument("--report", help="write the figures as JSON to this file")
    args = ap.parse_args()
    sanitized = os.environ.get("INFERD_SANITIZED") == "1"
    check = srv.Checks()
    tmp = tempfile.mkdtemp(prefix="inferd-overload-")
    repo = os.path.join(tmp, "models")
    slow_model(os.path.join(repo, "slow", "1", "model.onnx"))
    with open(os.path.join(repo, "slow", "config.json"), "w") as f:
        json.dump({"max_batch_size": 0, "dynamic_batching": {"max_queue_size": QUEUE_CAP},
                   "instance_group": [{"count": 1, "threads": 1}]}, f)
    server = srv.Server(repo, "--http-threads", "2")
    report = {"sanitized": sanitized, "runs": []}
    try:
        http = ["--url", "http://127.0.0.1:%d" % server.http_port, "--model", "slow",
                "--protocol", "binary"]
        grpc = ["--grpc", "127.0.0.1:%d" % server.grpc_port, "--model", "slow"]
        base = perf(http + ["--concurrency", str(QUEUE_CAP), "--duration", "5", "--warmup", "1"])
        sustainable = base["throughput_rps"]
        check(base["errors"] == 0, "the closed loop had errors: %s" % base["errors_by_kind"])
        print("sustainable: %.0f requests/s (closed loop, %d clients, p50 %.2f ms)"
              % (sustainable, QUEUE_CAP, base["latency_ms"]["p50"]), flush=True)
        report["sustainable_rps"] = sustainable
        rss_before = rss_now(server.proc.pid)
        for name, target, refused_kind in (("http", http, "http 503"),
                                           ("grpc", grpc, "RESOURCE_EXHAUSTED")):
            before = durations(server.metrics_port, "queue_full")
            watch = RssWatch(server.proc.pid)
            run = perf(target + ["--request-rate", str(OVERLOAD_FACTOR * sustainable),
                                 "--max-in-flight", str(MAX_IN_FLIGHT), "--duration", str(args.seconds),
                                 "--timeout-ms", "10000"])
            peak = watch.stop()
            buckets, count, total = diff(durations(server.metrics_port, "queue_full"), before)
            within = buckets.get(str(REFUSAL_BOUND_US), 0)
            refused = run["errors_by_kind"].get(refused_kind, 0)
            other = {k: v for k, v in run["errors_by_kind"].items() if k != refused_kind}
            slowest = next((le for le in sorted(buckets, key=lambda k: float(k))
                            if buckets[le] >= count), "+Inf")
            print("%s at %.0f requests/s for %.0f s: %d sent (%d not sent in time), %d answered "
                  "(%.0f/s), %d refused; server time of refusals: %d of %d within %d us, all "
                  "within %s us, mean %.0f us; RSS %.1f MiB before, peak %.1f MiB" % (
                      name, OVERLOAD_FACTOR * sustainable, args.seconds, run["requests"],
                      run["unsent_requests"], run["successes"],
                      run["successes"] / run["duration_s"], refused, within, count,
                      REFUSAL_BOUND_US, slowest, total / count if count else 0,
                      rss_before / 2**20, peak / 2**20), flush=True)
            check(run["unsent_requests"] <= 0.01 * run["requests"],
                  "%s: the client could not keep up (%d requests not sent in time): the offered "
                  "load was less than %dx" % (name, run["unsent_requests"], OVERLOAD_FACTOR))
            report["runs"].append({"protocol": name, "offered_rps": OVERLOAD_FACTOR * sustainable,
                                   "perf": run, "refusals": count, "within_bound": within,
                                   "refusal_buckets": buckets, "refusal_sum_us": total,
                                   "rss_before": rss_before, "rss_peak": peak})
            check(count > 0, "%s: nothing was refused" % name)
            check(count == refused, "%s: server counted %d refusals, the client %d"
                  % (name, count, refused))
            check(not other, "%s: errors other than refusals: %s" % (name, other))
            if sanitized:
                # ASan keeps freed memory in quarantine (up to 256 MiB) and slows every request.
                print("sanitizer build: the %d us and %.0f MiB bounds are not enforced"
                      % (REFUSAL_BOUND_US, RSS_BOUND_BYTES / 2**20))
            else:
                check(peak - rss_before <= RSS_BOUND_BYTES, "%s: RSS grew %.1f MiB (bound %.0f MiB)"
                      % (name, (peak - rss_before) / 2**20, RSS_BOUND_BYTES / 2**20))
                check(within >= REFUSAL_SHARE * count,
                      "%s: %d of %d refusals took over %d us of server time (at most %.1f %% may)"
                      % (name, count - within, count, REFUSAL_BOUND_US,
                         100 * (1 - REFUSAL_SHARE)))
    finally:
        code = server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    check(code == 0, "server exit code %d" % code)
    if args.report:
        with open(args.report, "w") as f:
            json.dump(report, f, indent=1)
    print("overload: %s" % ("FAILED (%d checks)" % check.failures if check.failures else "passed"))
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
