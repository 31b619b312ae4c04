#!/usr/bin/python3
"""Corrupt model files dropped into a polled repository under load.

`inferd serve --model-control-mode poll --repository-poll-secs 1` serves a
copy of the example repository (mlp, cnn) while two clients keep sending
infer requests to those. Model folders with broken files are then moved in
one by one: a truncated model, a one-bit flip, the 16 GiB Constant with no
data, a one-input MatMul, external data that claims 16 GiB of a 4 KiB file,
graphs nested 40 deep, an empty file, a broken config.json; mlp's own
model.onnx is also replaced by a truncated copy (the version already loaded
must keep serving). A model whose tensors have zero elements and no data is
valid and must load and answer.

Checks: the server stays up and exits 0 on SIGTERM; not one request to mlp
or cnn fails; each broken model is UNAVAILABLE in the repository index with
a reason naming its file and what is wrong, its ready endpoint answers 503,
and the log says why; no sanitizer report (the sanitizer run builds the
same test against an ASan+UBSan inferd).

The broken models are the reproducers in tests/fuzz/regressions/model and
variants of the example models made here.

Environment (tests/CMakeLists.txt): INFERD_BINARY, INFERD_EXAMPLE_REPOSITORY,
INFERD_PROTO_DIR (inferd_server.py, which starts the server, generates gRPC stubs).
"""
import http.client
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time

import onnx
from onnx import TensorProto, helper

from inferd_server import Server

# Each broken model must show up in the index within this (poll period 1 s; loads under ASan).
APPEAR_TIMEOUT_S = 30
# Requests each client must have answered by the end, so the load was real.
MIN_REQUESTS = 20
REGRESSIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz",
                           "regressions", "model")
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")

failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what, flush=True)
    return cond


def request(port, method, path, body=None):
    """(status, parsed JSON body or None); (0, error text) when the connection fails."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        data = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=data,
                     headers={"Content-Type": "application/json"} if data else {})
        resp = conn.getresponse()
        raw = resp.read()
        try:
            return resp.status, json.loads(raw) if raw else None
        except ValueError:
            return resp.status, None
    except (OSError, http.client.HTTPException) as e:
        return 0, str(e)
    finally:
        conn.close()


class Client(threading.Thread):
    """Sends infer requests to one healthy model until stopped; counts answers by status."""

    def __init__(self, port, model, body, check_answer):
        super().__init__(daemon=True)
        self.port, self.model, self.body, self.check_answer = port, model, body, check_answer
        self.ok = 0
        self.failed = []
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            status, answer = request(self.port, "POST", "/v2/models/%s/infer" % self.model,
                                     self.body)
            if status == 200 and self.check_answer(answer):
                self.ok += 1
            else:
                self.failed.append((status, answer))
            time.sleep(0.01)


def mlp_body():
    return {"inputs": [{"name": "input", "shape": [2, 16], "datatype": "FP32",
                        "data": [i / 16.0 for i in range(32)]}]}


def cnn_body():
    return {"inputs": [{"name": "image", "shape": [1, 1, 28, 28], "datatype": "FP32",
                        "data": [((i * 7) % 13) / 13.0 for i in range(28 * 28)]}]}


def mlp_answer_ok(answer):
    out = answer["outputs"][0]
    # Softmax rows: 4 probabilities summing to 1.
    return out["shape"] == [2, 4] and all(abs(sum(out["data"][r * 4:r * 4 + 4]) - 1) < 1e-4
                                          for r in range(2))


def cnn_answer_ok(answer):
    return answer["outputs"][0]["shape"] == [1, 10]


def nested_model(depth):
    """A Relu whose attribute holds a graph whose Relu holds a graph ... depth levels."""
    def node(level):
        attrs = {}
        if level > 0:
            body = helper.make_graph([node(level - 1)], "g%d" % level, [], [])
            attrs["body"] = body
        return helper.make_node("Relu", ["x"], ["y"], **attrs)

    graph = helper.make_graph([node(depth)], "deep",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    return model.SerializeToString()


def flip_op_type(model, op):
    """model with the lowest bit of the last letter of op's first op_type field flipped."""
    # NodeProto.op_type is field 4, length-delimited (tag 0x22); node names often hold op too.
    field = bytes([0x22, len(op)]) + op.encode()
    end = model.index(field) + len(field) - 1
    return model[:end] + bytes([model[end] ^ 1]) + model[end + 1:]


def read(path):
    with open(path, "rb") as f:
        return f.read()


def broken_models(example_repo):
    """name -> (files {relative path: bytes}, what the reason must say)."""
    mlp = read(os.path.join(example_repo, "mlp", "1", "model.onnx"))
    reg = lambda name: read(os.path.join(REGRESSIONS, name))
    op = "Relu" if bytes([0x22, 4]) + b"Relu" in mlp else "Gemm"
    return {
        "bad_truncated": ({"1/model.onnx": mlp[:len(mlp) // 2]}, "truncated or corrupt"),
        "bad_bitflip": ({"1/model.onnx": flip_op_type(mlp, op)}, "unsupported op"),
        "bad_constant_16gib": ({"1/model.onnx": reg("constant-16gib-no-data.onnx")},
                               "its shape needs 4294967296"),
        "bad_matmul_one_input": ({"1/model.onnx": reg("matmul-one-input-2-one-input.onnx")},
                                 "has 1 inputs"),
        "bad_external_16gib": ({"1/model.onnx": reg("external-16gib.onnx"),
                                "1/weights.bin": bytes(4096)},
                               "has 4096 bytes, fewer than offset 0 + 17179869184"),
        "bad_nesting": ({"1/model.onnx": nested_model(40)}, "deeper than"),
        "bad_empty": ({"1/model.onnx": b""}, "the file is empty"),
        "bad_config": ({"config.json": b"{\"max_batch_size\": ", "1/model.onnx": mlp},
                       "config.json"),
    }


def drop(repo, staging, name, files):
    """Writes the model folder outside the repository, then moves it in at once."""
    folder = os.path.join(staging, name)
    for rel, data in files.items():
        path = os.path.join(folder, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    os.rename(folder, os.path.join(repo, name))


def index_entry(port, name):
    """name's row in the repository index: version 1's, or the model's own (a config failure)."""
    status, body = request(port, "POST", "/v2/repository/index")
    if status != 200 or not isinstance(body, list):
        return None
    rows = [e for e in body if e.get("name") == name]
    return next((e for e in rows if e.get("version") == "1"), rows[0] if rows else None)


def wait_state(port, name, states, timeout_s=APPEAR_TIMEOUT_S):
    """name's index row once a poll has tried it (a folder not yet tried is "not loaded")."""
    deadline = time.monotonic() + timeout_s
    entry = None
    while time.monotonic() < deadline:
        entry = index_entry(port, name)
        if entry and entry.get("state") in states and entry.get("reason") != "not loaded":
            return entry
        time.sleep(0.2)
    return entry


def main():
    example = os.environ["INFERD_EXAMPLE_REPOSITORY"]
    with tempfile.TemporaryDirectory(prefix="inferd-corrupt-") as tmp:
        repo = os.path.join(tmp, "repository")
        staging = os.path.join(tmp, "staging")
        os.makedirs(staging)
        shutil.copytree(example, repo)
        server = Server(repo, "--model-control-mode", "poll", "--repository-poll-secs", "1",
                        "--exit-timeout-secs", "10")
        clients = [Client(server.http_port, "mlp", mlp_body(), mlp_answer_ok),
                   Client(server.http_port, "cnn", cnn_body(), cnn_answer_ok)]
        try:
            for c in clients:
                c.start()
            broken = broken_models(example)
            for name, (files, reason) in broken.items():
                drop(repo, staging, name, files)
                entry = wait_state(server.http_port, name, ("UNAVAILABLE", "READY"))
                check(entry is not None and entry["state"] == "UNAVAILABLE",
                      "%s: UNAVAILABLE in the index, got %r" % (name, entry))
                text = (entry or {}).get("reason", "")
                where = os.path.join(repo, name, "config.json" if name == "bad_config"
                                     else "1/model.onnx")
                check(reason in text and where in text,
                      "%s: the reason names %r and %r: %r" % (name, where, reason, text))
                status, _ = request(server.http_port, "GET", "/v2/models/%s/ready" % name)
                check(status == 503, "%s: ready endpoint 503, got %d" % (name, status))
                check(server.proc.poll() is None, "%s: the server is still up" % name)

            # Zero elements and no data is valid: it loads and answers.
            drop(repo, staging, "zero_elements",
                 {"1/model.onnx": read(os.path.join(REGRESSIONS, "zero-elements-no-data.onnx"))})
            entry = wait_state(server.http_port, "zero_elements", ("READY", "UNAVAILABLE"))
            check(entry is not None and entry["state"] == "READY",
                  "zero_elements: READY, got %r" % (entry,))
            status, answer = request(server.http_port, "POST", "/v2/models/zero_elements/infer",
                                     {"inputs": [{"name": "x", "shape": [1, 3],
                                                  "datatype": "FP32", "data": [1, 2, 3]}]})
            check(status == 200 and answer["outputs"][0]["data"] == [1, 2, 3],
                  "zero_elements answers x unchanged: %d %r" % (status, answer))

            # A serving model's file replaced by a broken one: the loaded version keeps serving.
            mlp_path = os.path.join(repo, "mlp", "1", "model.onnx")
            original = read(mlp_path)
            with open(mlp_path + ".tmp", "wb") as f:
                f.write(original[:len(original) // 3])
            os.replace(mlp_path + ".tmp", mlp_path)
            check(server.wait_log("model mlp version 1 failed to load: " + mlp_path, 20),
                  "the broken replacement of mlp is logged with its path")
            time.sleep(2)
            entry = index_entry(server.http_port, "mlp")
            check(entry is not None and entry["state"] == "READY",
                  "mlp keeps serving its loaded version: %r" % (entry,))
            with open(mlp_path + ".tmp", "wb") as f:
                f.write(original)
            os.replace(mlp_path + ".tmp", mlp_path)
            time.sleep(2)
        finally:
            for c in clients:
                c.stopping.set()
            for c in clients:
                c.join(60)
            code = server.stop()
        log = server.text()
        for c in clients:
            check(not c.failed, "%s: %d of %d requests failed, first: %r" % (
                c.model, len(c.failed), len(c.failed) + c.ok, c.failed[:1]))
            check(c.ok >= MIN_REQUESTS, "%s: at least %d requests answered, got %d" % (
                c.model, MIN_REQUESTS, c.ok))
        for name in broken:
            check(re.search(r"model %s version 1 failed to load: \S" % name, log) or
                  ("model %s: " % name) in log, "%s: the log says why it failed" % name)
        check(code == 0, "server exit code 0 after SIGTERM, got %d" % code)
        check(not any(m in log for m in SANITIZER_MARKS), "no sanitizer report in the log")
        print("mlp answered %d, cnn %d requests; %d broken models refused" % (
            clients[0].ok, clients[1].ok, len(broken)))
        if failures:
            print(log)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
