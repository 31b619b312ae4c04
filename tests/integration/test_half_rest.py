#!/usr/bin/python3
"""FP16 and BF16 tensors over REST against the real `inferd serve`.

Two small models, one float16 and one bfloat16 (y = Relu(x W + b), the
weights half initializers, input and output half): each answers

- a JSON request (datatype FP16 / BF16, data as numbers) with JSON data;
- a binary-extension request (Inference-Header-Content-Length, the input
  as 16-bit little-endian patterns, the output asked for as binary) with
  the output's raw 16-bit patterns after the JSON header;

and both answers equal the numpy reference computed in float64 from the
half values, rounded once to the output's type (the server computes in
float and rounds once at the output; tolerance: one unit in the last place
of the half type, for summation order).

Environment (tests/CMakeLists.txt): INFERD_BINARY, INFERD_EXAMPLE_REPOSITORY,
INFERD_PROTO_DIR.
"""
import http.client
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper

from inferd_server import CALL_TIMEOUT_S, Checks, Server

check = Checks()

WIDTH, UNITS, BATCH = 16, 8, 3
# The half types: KServe name, ONNX type, bits of mantissa (one ulp relative).
TYPES = {"FP16": (TensorProto.FLOAT16, 10), "BF16": (TensorProto.BFLOAT16, 7)}


def to_bits(array, kserve):
    """The 16-bit patterns of a float array in the half type (round to nearest even)."""
    if kserve == "FP16":
        return np.asarray(array, dtype=np.float16).view(np.uint16)
    u = np.asarray(array, dtype=np.float32).view(np.uint32).astype(np.uint64)
    one, sh = np.uint64(1), np.uint64(16)
    return ((u + np.uint64(0x7FFF) + ((u >> sh) & one)) >> sh).astype(np.uint16)


def from_bits(bits, kserve):
    bits = np.asarray(bits, dtype=np.uint16)
    if kserve == "FP16":
        return bits.view(np.float16).astype(np.float64)
    return (bits.astype(np.uint32) << np.uint32(16)).view(np.float32).astype(np.float64)


def half_tensor(name, array, kserve):
    t = TensorProto()
    t.name = name
    t.dims.extend(array.shape)
    t.data_type = TYPES[kserve][0]
    t.raw_data = to_bits(array, kserve).tobytes()
    return t


def make_model(path, kserve, rng):
    """Writes the model; returns its weights as the half values they hold (float64)."""
    code = TYPES[kserve][0]
    w = rng.uniform(-1, 1, size=(WIDTH, UNITS)).astype(np.float32)
    b = rng.uniform(-0.5, 0.5, size=(UNITS,)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["xw"]),
         helper.make_node("Add", ["xw", "b"], ["pre"]),
         helper.make_node("Relu", ["pre"], ["y"])],
        "half_" + kserve.lower(),
        [helper.make_tensor_value_info("x", code, ["batch", WIDTH])],
        [helper.make_tensor_value_info("y", code, ["batch", UNITS])],
        [half_tensor("w", w, kserve), half_tensor("b", b, kserve)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    os.makedirs(os.path.dirname(path))
    onnx.save(model, path)
    return from_bits(to_bits(w, kserve), kserve), from_bits(to_bits(b, kserve), kserve)


def post(port, path, body, headers):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CALL_TIMEOUT_S)
    conn.request("POST", path, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    header_len = r.getheader("Inference-Header-Content-Length")
    conn.close()
    return r.status, data, header_len


def close_enough(got, want, kserve):
    """Within one unit in the last place of the half type (want is already rounded)."""
    ulp = 2.0 ** -TYPES[kserve][1]
    return got.shape == want.shape and bool(
        np.all(np.abs(got - want) <= ulp * np.maximum(np.abs(want), 2.0 ** -14)))


def check_json(port, name, kserve, x_bits, want):
    body = {"inputs": [{"name": "x", "shape": [BATCH, WIDTH], "datatype": kserve,
                        "data": from_bits(x_bits, kserve).tolist()}]}
    status, data, _ = post(port, "/v2/models/%s/infer" % name, json.dumps(body),
                           {"Content-Type": "application/json"})
    if not check(status == 200, "%s JSON infer answered %d: %s" % (kserve, status, data[:300])):
        return
    out = json.loads(data)["outputs"][0]
    check(out["datatype"] == kserve, "%s JSON output datatype %s" % (kserve, out["datatype"]))
    check(out["shape"] == [BATCH, UNITS], "%s JSON output shape %s" % (kserve, out["shape"]))
    got = np.asarray(out["data"], dtype=np.float64).reshape(out["shape"])
    check(close_enough(got, want, kserve),
          "%s JSON output %s, expected %s" % (kserve, got.tolist(), want.tolist()))


def check_binary(port, name, kserve, x_bits, want):
    raw = x_bits.astype("<u2").tobytes()
    header = json.dumps({
        "inputs": [{"name": "x", "shape": [BATCH, WIDTH], "datatype": kserve,
                    "parameters": {"binary_data_size": len(raw)}}],
        "outputs": [{"name": "y", "parameters": {"binary_data": True}}]}).encode()
    status, data, header_len = post(
        port, "/v2/models/%s/infer" % name, header + raw,
        {"Content-Type": "application/octet-stream",
         "Inference-Header-Content-Length": str(len(header))})
    if not check(status == 200, "%s binary infer answered %d: %s" % (kserve, status, data[:300])):
        return
    if not check(header_len is not None, "%s binary answer has no header length" % kserve):
        return
    head = json.loads(data[:int(header_len)])
    out = head["outputs"][0]
    size = out.get("parameters", {}).get("binary_data_size")
    check(out["datatype"] == kserve, "%s binary output datatype %s" % (kserve, out["datatype"]))
    if not check(size == BATCH * UNITS * 2, "%s binary output size %s" % (kserve, size)):
        return
    got_bits = np.frombuffer(data[int(header_len):int(header_len) + size], dtype="<u2")
    got = from_bits(got_bits, kserve).reshape(BATCH, UNITS)
    check(close_enough(got, want, kserve),
          "%s binary output %s, expected %s" % (kserve, got.tolist(), want.tolist()))


def main():
    tmp = tempfile.mkdtemp(prefix="inferd-half-rest-")
    rng = np.random.default_rng(15)
    server = None
    try:
        repo = os.path.join(tmp, "models")
        weights = {}
        for kserve in TYPES:
            name = "half_" + kserve.lower()
            weights[kserve] = make_model(os.path.join(repo, name, "1", "model.onnx"), kserve, rng)
        server = Server(repo)
        for kserve, (w, b) in weights.items():
            name = "half_" + kserve.lower()
            x_bits = to_bits(rng.uniform(-2, 2, size=(BATCH, WIDTH)), kserve)
            exact = np.maximum(from_bits(x_bits, kserve) @ w + b, 0.0)
            want = from_bits(to_bits(exact, kserve), kserve)
            check_json(server.http_port, name, kserve, x_bits, want)
            check_binary(server.http_port, name, kserve, x_bits, want)
        check(server.stop() == 0, "server exit code")
        server = None
    finally:
        if server:
            server.stop(quiet=True)
        shutil.rmtree(tmp, ignore_errors=True)
    if check.failures:
        print("%d check(s) failed" % check.failures)
        return 1
    print("FP16 and BF16 over REST: JSON and binary answers match the reference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
