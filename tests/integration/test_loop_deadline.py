#!/usr/bin/python3
"""A request's time limit holds inside a model's loop: a Loop whose trip count
comes with the request (up to the engine's 2^24 iterations) stops at the
request's deadline and answers 503 (the model's `timeout` failures), while
a short trip count answers the right sum and the server keeps serving.

Environment (tests/CMakeLists.txt): INFERD_BINARY, INFERD_PROTO_DIR.
"""
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request

import numpy as np
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inferd_server as srv  # noqa: E402

# The request's own time limit, and how late past it the answer may come.
TIMEOUT_US = 200000
LATE_S = 2.0
# A trip count that would run for minutes.
LONG_TRIPS = 1 << 24


def loop_model(path):
    """y = x + sum over M iterations of 1 (a Loop carrying a [4] float)."""
    body = helper.make_graph(
        [helper.make_node("Add", ["acc", "one"], ["acc2"]),
         helper.make_node("Identity", ["cond"], ["cond2"])],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("cond2", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc2", TensorProto.FLOAT, [4])],
        [numpy_helper.from_array(np.ones(4, np.float32), "one")])
    graph = helper.make_graph(
        [helper.make_node("Loop", ["m", "", "x"], ["y"], body=body)], "loop",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4]),
         helper.make_tensor_value_info("m", TensorProto.INT64, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())


def infer(port, trips, timeout_us=None):
    """(status, body, seconds) of one request with trip count trips."""
    req = {"inputs": [{"name": "x", "shape": [4], "datatype": "FP32", "data": [1, 2, 3, 4]},
                      {"name": "m", "shape": [], "datatype": "INT64", "data": [trips]}]}
    if timeout_us:
        req["parameters"] = {"timeout": timeout_us}
    r = urllib.request.Request("http://127.0.0.1:%d/v2/models/loop/infer" % port,
                               data=json.dumps(req).encode(), method="POST")
    start = time.monotonic()
    try:
        with urllib.request.urlopen(r, timeout=120) as resp:
            return resp.status, json.loads(resp.read()), time.monotonic() - start
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read()), time.monotonic() - start


def timeouts(port):
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=30).read()
    for line in text.decode().splitlines():
        if line.startswith('inferd_request_failure_total{model="loop"') and \
                'reason="timeout"' in line:
            return float(line.rsplit(" ", 1)[1])
    return None


def main():
    check = srv.Checks()
    tmp = tempfile.mkdtemp(prefix="inferd-loop-")
    repo = os.path.join(tmp, "models")
    loop_model(os.path.join(repo, "loop", "1", "model.onnx"))
    server = srv.Server(repo)
    try:
        status, body, _ = infer(server.http_port, 10)
        check(status == 200, "10 trips: %d %s" % (status, body))
        if status == 200:
            check(body["outputs"][0]["data"] == [11, 12, 13, 14], "10 trips: %s" % body)
        status, body, took = infer(server.http_port, LONG_TRIPS, TIMEOUT_US)
        print("2^24 trips with a %d us timeout: %d in %.2f s: %s" % (
            TIMEOUT_US, status, took, body.get("error")), flush=True)
        check(status == 503, "2^24 trips: status %d, not 503" % status)
        check(took < TIMEOUT_US / 1e6 + LATE_S, "2^24 trips: answered after %.2f s" % took)
        check("deadline" in body.get("error", ""), "2^24 trips: error %s" % body)
        check(timeouts(server.metrics_port) == 1, "timeout failures: %s" % timeouts(
            server.metrics_port))
        status, body, _ = infer(server.http_port, 3)
        check(status == 200 and body["outputs"][0]["data"] == [4, 5, 6, 7],
              "3 trips after the timeout: %d %s" % (status, body))
    finally:
        code = server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    check(code == 0, "server exit code %d" % code)
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
