#!/usr/bin/python3
"""What Triton's client libraries rely on, asserted over both protocols with
Python's own http.client and Debian's grpcio (tritonclient is not packaged):

1. ModelReady: a model the repository holds but has not loaded, an unknown
   model and an unknown version are not ready: gRPC answers OK with ready
   false (Triton's answer), HTTP a non-200 status (what Triton's client reads
   as false) with "ready": false, the same status as after an unload.
2. The classification extension: output parameter "classification" gives the
   top classes per row as BYTES "value:index[:label]", labels from the
   output's label_filename; checked against the plain output of the same
   request (itself checked against a float64 numpy evaluation of the model),
   in JSON, binary and gRPC raw form and on ModelStreamInfer; what cannot be
   served (a BOOL output, a bad count) is refused.
3. HTTP request bodies in gzip and deflate, bounded by --max-body-bytes (a
   decompression bomb gets 413), and compressed responses for Accept-Encoding.
4. The model configuration in Triton's schema (TYPE_FP32, onnxruntime_onnx,
   backend onnxruntime) on both protocols.
5. Repository load with a config override on both protocols, refused when
   invalid, reverted by a load without one.

Shared memory has its own test, test_shared_memory.py.

Environment (tests/CMakeLists.txt): INFERD_BINARY, INFERD_EXAMPLE_REPOSITORY,
INFERD_PROTO_DIR.
"""
import gzip
import http.client
import json
import os
import shutil
import struct
import sys
import tempfile
import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper

from inferd_server import (CALL_TIMEOUT_S, MLP_IN, MLP_OUT, MLP_WIDTH, Checks, Server, grpc,
                           infer_json, infer_message, json_outputs, matches, message_outputs,
                           mlp_repository, mlp_rows, pb, pbg)

check = Checks()
LABELS = ["cat", "dog", "bird"]  # three lines for the mlp's four classes: class 3 has none
# A model of integers and booleans: "same" = x (INT32), "positive" = x > 0 (BOOL).
INTS_IN, INTS_SAME, INTS_POSITIVE, INTS_WIDTH = "x", "same", "positive", 5
# The body limit of the compression server, and a bomb far past it.
BODY_LIMIT = 64 << 10
BOMB_BYTES = 16 << 20


# ---- helpers -----------------------------------------------------------------

def rest(port, method, path, body=None, headers=None):
    """(status, headers dict with lower-case names, raw body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CALL_TIMEOUT_S)
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    conn.close()
    return r.status, hdrs, data


def rest_json(port, method, path, body=None, headers=None):
    status, _, data = rest(port, method, path, body, headers)
    try:
        return status, json.loads(data) if data else None
    except ValueError:
        return status, None


def stub(server):
    channel = grpc.insecure_channel("127.0.0.1:%d" % server.grpc_port)
    return channel, pbg.GRPCInferenceServiceStub(channel)


def grpc_error(fn):
    """(code, details) of the failed call fn(), or (None, None) when it succeeded."""
    try:
        fn()
    except grpc.RpcError as e:
        return e.code(), e.details() or ""
    return None, None


def expect_grpc_error(fn, code, *fragments):
    got, details = grpc_error(fn)
    ok = check(got == code, "gRPC status %s (wanted %s): %s" % (got, code, details))
    for f in fragments:
        ok &= check(details is not None and f in details, "gRPC message %r lacks %r" % (details, f))
    return ok


def expect_rest_error(result, status, *fragments):
    got, body = result
    message = (body or {}).get("error", "") if isinstance(body, dict) else ""
    ok = check(got == status, "HTTP status %s (wanted %s): %s" % (got, status, body))
    for f in fragments:
        ok &= check(f in message, "HTTP message %r lacks %r" % (message, f))
    return ok


def bytes_elements(raw, count):
    """count BYTES elements of raw: each a 4-byte little-endian length and its bytes."""
    out, at = [], 0
    for _ in range(count):
        (n,) = struct.unpack_from("<I", raw, at)
        out.append(raw[at + 4:at + 4 + n].decode())
        at += 4 + n
    check(at == len(raw), "BYTES data has %d bytes after %d elements" % (len(raw) - at, count))
    return out


def expected_classes(values, k, labels, floating):
    """Triton's classification of a [rows, n] array: per row the k highest, ties by lower
    index, "value:index[:label]", value as C's %g (an ostream's default) for floats."""
    out = []
    for row in values:
        order = sorted(range(len(row)), key=lambda i: (-row[i], i))[:k]
        for i in order:
            text = ("%g" % float(row[i]) if floating else "%d" % int(row[i])) + ":%d" % i
            if i < len(labels) and labels[i]:
                text += ":" + labels[i]
            out.append(text)
    return out


def classification_request(x, count, binary=None):
    body = infer_json(x)
    params = {"classification": count}
    if binary is not None:
        params["binary_data"] = binary
    body["outputs"] = [{"name": MLP_OUT, "parameters": params}]
    return body


def grpc_classification(x, count):
    q = infer_message(x)
    out = q.outputs.add(name=MLP_OUT)
    out.parameters["classification"].int64_param = count
    return q


def binary_outputs(data, header_len):
    """The JSON header and the binary section of a binary-tensor response."""
    return json.loads(data[:header_len]), data[header_len:]


def write_repository(tmp):
    """mlp with a labels file named by its config, and the ints model."""
    repo, reference = mlp_repository(tmp)
    mlp = os.path.join(repo, "mlp")
    with open(os.path.join(mlp, "config.json")) as f:
        config = json.load(f)
    config["output"] = [{"name": MLP_OUT, "label_filename": "labels.txt"}]
    with open(os.path.join(mlp, "config.json"), "w") as f:
        json.dump(config, f)
    # CRLF on one line and no newline at the end: both are line ends a labels file may have.
    with open(os.path.join(mlp, "labels.txt"), "wb") as f:
        f.write(b"cat\ndog\r\nbird")
    graph = helper.make_graph(
        [helper.make_node("Identity", [INTS_IN], [INTS_SAME]),
         helper.make_node("Greater", [INTS_IN, "zero"], [INTS_POSITIVE])],
        "ints", [helper.make_tensor_value_info(INTS_IN, TensorProto.INT32, ["n", INTS_WIDTH])],
        [helper.make_tensor_value_info(INTS_SAME, TensorProto.INT32, ["n", INTS_WIDTH]),
         helper.make_tensor_value_info(INTS_POSITIVE, TensorProto.BOOL, ["n", INTS_WIDTH])],
        [helper.make_tensor("zero", TensorProto.INT32, [], [0])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    os.makedirs(os.path.join(repo, "ints", "1"))
    onnx.save(model, os.path.join(repo, "ints", "1", "model.onnx"))
    with open(os.path.join(repo, "ints", "config.json"), "w") as f:
        json.dump({"max_batch_size": 8}, f)
    return repo, reference


def ints_json(rows, outputs):
    x = np.asarray(rows, dtype=np.int32)
    return {"inputs": [{"name": INTS_IN, "shape": list(x.shape), "datatype": "INT32",
                        "data": x.flatten().tolist()}], "outputs": outputs}


# ---- 1. model readiness --------------------------------------------------------

def test_model_ready(repo):
    s = Server(repo, "--model-control-mode", "explicit")
    channel, st = stub(s)
    try:
        def grpc_ready(name, version=""):
            return st.ModelReady(pb.ModelReadyRequest(name=name, version=version),
                                 timeout=CALL_TIMEOUT_S).ready

        # Held by the repository, never loaded: not ready on both, not unknown.
        check(grpc_ready("mlp") is False, "gRPC ModelReady: mlp not loaded is OK and false")
        status, body = rest_json(s.http_port, "GET", "/v2/models/mlp/ready")
        check(status == 503 and body and body.get("ready") is False and body.get("name") == "mlp",
              "HTTP ready of a model not loaded: 503 ready false (%s %s)" % (status, body))
        not_loaded_status = status
        # Unknown model and version: OK and false over gRPC; 404 with ready false over HTTP.
        check(grpc_ready("nope") is False, "gRPC ModelReady: unknown model is OK and false")
        status, body = rest_json(s.http_port, "GET", "/v2/models/nope/ready")
        check(status == 404 and body and body.get("ready") is False, "HTTP unknown: %s %s" %
              (status, body))
        # A malformed version is still an error, as in Triton.
        expect_grpc_error(lambda: grpc_ready("mlp", "x1"), grpc.StatusCode.INVALID_ARGUMENT, "x1")

        # The Triton client pattern: if not ready, load.
        if not grpc_ready("mlp"):
            st.RepositoryModelLoad(pb.RepositoryModelLoadRequest(model_name="mlp"),
                                   timeout=CALL_TIMEOUT_S)
        check(grpc_ready("mlp") is True and grpc_ready("mlp", "1") is True, "gRPC ready after load")
        check(grpc_ready("mlp", "7") is False, "gRPC ModelReady: unknown version is OK and false")
        status, body = rest_json(s.http_port, "GET", "/v2/models/mlp/ready")
        check(status == 200 and body.get("ready") is True, "HTTP ready after load")
        status, body = rest_json(s.http_port, "GET", "/v2/models/mlp/versions/7/ready")
        check(status == 404 and body.get("ready") is False, "HTTP unknown version: %s" % status)

        st.RepositoryModelUnload(pb.RepositoryModelUnloadRequest(model_name="mlp"),
                                 timeout=CALL_TIMEOUT_S)
        check(grpc_ready("mlp") is False, "gRPC not ready after unload")
        status, body = rest_json(s.http_port, "GET", "/v2/models/mlp/ready")
        check(status == not_loaded_status and body.get("ready") is False,
              "HTTP: unloaded answers as not loaded (%s, %s)" % (status, not_loaded_status))
    finally:
        channel.close()
        check(s.stop() == 0, "explicit-mode server exits 0")


# ---- 2, 4: classification, configuration schema ----------------------------------

def test_classification(s, st, reference):
    port = s.http_port
    x = mlp_rows(2, seed=3)
    status, plain = rest_json(port, "POST", "/v2/models/mlp/infer", infer_json(x))
    probs = json_outputs(plain) if status == 200 else None
    check(matches(probs, reference(x)), "plain mlp output matches the numpy reference")
    if probs is None:
        return
    probs32 = probs.astype(np.float32)

    # JSON: shape [rows, k], strings with labels where the file has a line.
    want = expected_classes(probs32, 3, LABELS, True)
    status, body = rest_json(port, "POST", "/v2/models/mlp/infer", classification_request(x, 3))
    out = body["outputs"][0] if status == 200 else {}
    check(out.get("datatype") == "BYTES" and out.get("shape") == [2, 3],
          "classification: BYTES [2, 3] (%s %s)" % (status, out))
    check(out.get("data") == want, "classification JSON %s, want %s" % (out.get("data"), want))

    # More classes than the output has: Triton answers all of them.
    status, body = rest_json(port, "POST", "/v2/models/mlp/infer", classification_request(x, 10))
    out = body["outputs"][0] if status == 200 else {}
    check(out.get("shape") == [2, 4] and out.get("data") == expected_classes(probs32, 4, LABELS, True),
          "classification past the class count: %s" % out)

    # Binary, as tritonclient.http asks by default.
    status, hdrs, data = rest(port, "POST", "/v2/models/mlp/infer",
                              classification_request(x, 2, binary=True))
    header_len = int(hdrs.get("inference-header-content-length", "0"))
    if check(status == 200 and header_len > 0, "binary classification: %s" % status):
        header, raw = binary_outputs(data, header_len)
        out = header["outputs"][0]
        check(out["datatype"] == "BYTES" and out["shape"] == [2, 2] and
              out["parameters"]["binary_data_size"] == len(raw), "binary header %s" % out)
        check(bytes_elements(raw, 4) == expected_classes(probs32, 2, LABELS, True),
              "binary classification strings")

    # gRPC: raw BYTES contents, as Triton sends them.
    r = st.ModelInfer(grpc_classification(x, 3), timeout=CALL_TIMEOUT_S)
    check(r.outputs[0].datatype == "BYTES" and list(r.outputs[0].shape) == [2, 3],
          "gRPC classification: %s" % r.outputs[0])
    check(bytes_elements(r.raw_output_contents[0], 6) == want, "gRPC classification strings")
    # And on a stream.
    responses = list(st.ModelStreamInfer(iter([grpc_classification(x, 1)]), timeout=CALL_TIMEOUT_S))
    check(len(responses) == 1 and not responses[0].error_message and
          bytes_elements(responses[0].infer_response.raw_output_contents[0], 2) ==
          expected_classes(probs32, 1, LABELS, True), "stream classification: %s" % responses)

    # Integers: decimal values, ties by the lower index; no labels file.
    rows = [[3, 7, 7, -1, 0], [-5, -5, -2, -9, -5]]
    status, body = rest_json(port, "POST", "/v2/models/ints/infer",
                             ints_json(rows, [{"name": INTS_SAME,
                                               "parameters": {"classification": 3}}]))
    out = body["outputs"][0] if status == 200 else {}
    check(out.get("data") == expected_classes(rows, 3, [], False) and out.get("data", [None])[0] == "7:1",
          "integer classification %s" % out)

    # What cannot be served is refused, never ignored.
    expect_rest_error(rest_json(port, "POST", "/v2/models/ints/infer",
                                ints_json(rows, [{"name": INTS_POSITIVE,
                                                  "parameters": {"classification": 1}}])),
                      400, "positive", "numeric", "BOOL")
    expect_rest_error(rest_json(port, "POST", "/v2/models/mlp/infer", classification_request(x, -1)),
                      400, "classification")
    expect_rest_error(rest_json(port, "POST", "/v2/models/mlp/infer", classification_request(x, "3")),
                      400, "classification", "integer")
    q = ints_message(rows)
    q.outputs.add(name=INTS_POSITIVE).parameters["classification"].int64_param = 2
    expect_grpc_error(lambda: st.ModelInfer(q, timeout=CALL_TIMEOUT_S),
                      grpc.StatusCode.INVALID_ARGUMENT, "numeric")
    q = grpc_classification(x, 1)
    q.outputs[0].parameters["classification"].string_param = "1"
    expect_grpc_error(lambda: st.ModelInfer(q, timeout=CALL_TIMEOUT_S),
                      grpc.StatusCode.INVALID_ARGUMENT, "classification")
    # An unknown output parameter is refused too.
    body = infer_json(x)
    body["outputs"] = [{"name": MLP_OUT, "parameters": {"class_count": 2}}]
    expect_rest_error(rest_json(port, "POST", "/v2/models/mlp/infer", body), 400, "class_count")


def ints_message(rows):
    x = np.asarray(rows, dtype=np.int32)
    q = pb.ModelInferRequest(model_name="ints")
    q.inputs.add(name=INTS_IN, datatype="INT32", shape=list(x.shape))
    q.raw_input_contents.append(x.astype("<i4").tobytes())
    return q


def test_extensions_and_config(s, st):
    status, md = rest_json(s.http_port, "GET", "/v2")
    check(status == 200 and "classification" in md["extensions"], "REST extensions %s" % md)
    md = st.ServerMetadata(pb.ServerMetadataRequest(), timeout=CALL_TIMEOUT_S)
    check("classification" in md.extensions, "gRPC extensions %s" % list(md.extensions))

    status, cfg = rest_json(s.http_port, "GET", "/v2/models/mlp/config")
    check(status == 200 and cfg["platform"] == "onnxruntime_onnx" and cfg["backend"] == "onnxruntime",
          "REST config platform and backend: %s" % cfg)
    check(cfg["input"][0]["data_type"] == "TYPE_FP32" and cfg["output"][0]["data_type"] == "TYPE_FP32",
          "REST config data_type in Triton's names: %s" % cfg)
    check(cfg["output"][0].get("label_filename") == "labels.txt", "REST config label_filename")
    g = st.ModelConfig(pb.ModelConfigRequest(name="mlp"), timeout=CALL_TIMEOUT_S).config
    check(g.platform == cfg["platform"] and g.backend == cfg["backend"] and
          pb.DataType.Name(g.input[0].data_type) == cfg["input"][0]["data_type"] and
          g.output[0].label_filename == "labels.txt", "gRPC config agrees with REST: %s" % g)
    status, meta = rest_json(s.http_port, "GET", "/v2/models/mlp")
    gm = st.ModelMetadata(pb.ModelMetadataRequest(name="mlp"), timeout=CALL_TIMEOUT_S)
    check(meta["platform"] == gm.platform == "onnxruntime_onnx", "metadata platform")


# ---- 3. compression ---------------------------------------------------------------

def test_compression(repo, reference):
    s = Server(repo, "--max-body-bytes", str(BODY_LIMIT))
    channel, st = stub(s)
    port = s.http_port
    try:
        x = mlp_rows(32, seed=9)
        body = json.dumps(infer_json(x)).encode()
        want = reference(x)
        status, _, plain = rest(port, "POST", "/v2/models/mlp/infer", body)
        check(status == 200, "plain request")
        for name, packed in (("gzip", gzip.compress(body)), ("deflate", zlib.compress(body))):
            status, hdrs, data = rest(port, "POST", "/v2/models/mlp/infer", packed,
                                      {"Content-Encoding": name})
            check(status == 200 and matches(json_outputs(json.loads(data)), want),
                  "%s request body: %s %s" % (name, status, data[:200]))
            check("content-encoding" not in hdrs, "no compressed answer unasked")
            # Accept-Encoding: the answer comes back compressed and decodes to the plain one.
            status, hdrs, data = rest(port, "POST", "/v2/models/mlp/infer", packed,
                                      {"Content-Encoding": name, "Accept-Encoding": name})
            unpack = gzip.decompress if name == "gzip" else zlib.decompress
            check(status == 200 and hdrs.get("content-encoding") == name and
                  unpack(data) == plain, "%s answer: %s %s" % (name, status, hdrs))
        # Binary tensors in a compressed body: Inference-Header-Content-Length counts the
        # decoded JSON, and the binary output's length survives a compressed answer.
        header = json.dumps({"inputs": [{"name": MLP_IN, "shape": list(x.shape), "datatype": "FP32",
                                         "parameters": {"binary_data_size": x.nbytes}}],
                             "outputs": [{"name": MLP_OUT,
                                          "parameters": {"binary_data": True}}]}).encode()
        status, hdrs, data = rest(port, "POST", "/v2/models/mlp/infer",
                                  gzip.compress(header + x.astype("<f4").tobytes()),
                                  {"Content-Encoding": "gzip", "Accept-Encoding": "gzip",
                                   "Inference-Header-Content-Length": str(len(header))})
        if check(status == 200 and hdrs.get("content-encoding") == "gzip", "binary gzip: %s" % status):
            data = gzip.decompress(data)
            n = int(hdrs["inference-header-content-length"])
            got = np.frombuffer(data[n:], dtype="<f4").reshape(want.shape).astype(np.float64)
            check(matches(got, want), "binary output through gzip both ways")
        # A small answer goes out as it is.
        status, hdrs, _ = rest(port, "POST", "/v2/models/mlp/infer",
                               json.dumps(infer_json(x[:1])).encode(), {"Accept-Encoding": "gzip"})
        check(status == 200 and "content-encoding" not in hdrs, "small answers stay plain")
        # q=0 refuses a coding.
        status, hdrs, _ = rest(port, "POST", "/v2/models/mlp/infer", body,
                               {"Accept-Encoding": "gzip;q=0, deflate"})
        check(hdrs.get("content-encoding") == "deflate", "gzip;q=0 picks deflate: %s" % hdrs)

        # A bomb: 16 MiB of zeros in 16 KiB, against a 64 KiB limit: 413, the server lives.
        bomb = gzip.compress(b"\0" * BOMB_BYTES)
        check(len(bomb) < BODY_LIMIT, "the bomb itself is under the limit")
        expect_rest_error(rest_json(port, "POST", "/v2/models/mlp/infer", bomb,
                                    {"Content-Encoding": "gzip"}), 413, "limit")
        expect_rest_error(rest_json(port, "POST", "/v2/models/mlp/infer", zlib.compress(b"\0" * BOMB_BYTES),
                                    {"Content-Encoding": "deflate"}), 413, "limit")
        expect_rest_error(rest_json(port, "POST", "/v2/models/mlp/infer", body,
                                    {"Content-Encoding": "gzip"}), 400, "gzip")
        expect_rest_error(rest_json(port, "POST", "/v2/models/mlp/infer", gzip.compress(body)[:-8],
                                    {"Content-Encoding": "gzip"}), 400, "truncated")
        expect_rest_error(rest_json(port, "POST", "/v2/models/mlp/infer", body,
                                    {"Content-Encoding": "br"}), 400, "br", "not supported")
        status, _, _ = rest(port, "POST", "/v2/models/mlp/infer", body)
        check(status == 200, "the server still answers after the bomb")
        # gRPC compresses with its own message encoding, which the gRPC core handles.
        channel.close()
        channel = grpc.insecure_channel("127.0.0.1:%d" % s.grpc_port, compression=grpc.Compression.Gzip)
        st = pbg.GRPCInferenceServiceStub(channel)
        r = st.ModelInfer(infer_message(x), timeout=CALL_TIMEOUT_S)
        check(matches(message_outputs(r), want), "gRPC with gzip message compression")
        # The gRPC bomb: a message of 16 MiB of zeros, compressed on the wire far below the limit.
        q = infer_message(x)
        q.raw_input_contents[0] = b"\0" * BOMB_BYTES
        expect_grpc_error(lambda: st.ModelInfer(q, timeout=CALL_TIMEOUT_S), grpc.StatusCode.RESOURCE_EXHAUSTED)
        r = st.ModelInfer(infer_message(x), timeout=CALL_TIMEOUT_S)
        check(matches(message_outputs(r), want), "gRPC answers after the bomb")
    finally:
        channel.close()
        check(s.stop() == 0, "compression server exits 0")


# ---- 5. load with a config override ------------------------------------------------

def test_load_config(repo):
    s = Server(repo, "--model-control-mode", "explicit")
    channel, st = stub(s)
    port = s.http_port
    try:
        def rest_batch():
            return rest_json(port, "GET", "/v2/models/mlp/config")[1]["max_batch_size"]

        def grpc_batch():
            return st.ModelConfig(pb.ModelConfigRequest(name="mlp"),
                                  timeout=CALL_TIMEOUT_S).config.max_batch_size

        override = json.dumps({"max_batch_size": 4, "input": [{"name": MLP_IN,
                                                               "data_type": "TYPE_FP32"}]})
        status, _ = rest_json(port, "POST", "/v2/repository/models/mlp/load",
                              {"parameters": {"config": override}})
        check(status == 200 and rest_batch() == 4 and grpc_batch() == 4,
              "REST load with config applies it (%s)" % status)
        expect_rest_error(rest_json(port, "POST", "/v2/models/mlp/infer", infer_json(mlp_rows(5, 1))),
                          400, "max_batch_size 4")
        # Without a config, config.json again.
        check(rest_json(port, "POST", "/v2/repository/models/mlp/load")[0] == 200 and
              rest_batch() == 32, "a load without config goes back to config.json")

        q = pb.RepositoryModelLoadRequest(model_name="mlp")
        q.parameters["config"].string_param = json.dumps({"max_batch_size": 2})
        st.RepositoryModelLoad(q, timeout=CALL_TIMEOUT_S)
        check(grpc_batch() == 2 and rest_batch() == 2, "gRPC load with config applies it")

        # Invalid ones are refused and change nothing.
        for bad, fragment in ((json.dumps({"max_batch_size": "8"}), "max_batch_size"),
                              ("{", "invalid JSON"),
                              (json.dumps({"optimization": {}}), "optimization"),
                              (json.dumps({"max_batch_size": 32, "input": [{"name": MLP_IN, "dims": [17]}]}), "17"),
                              (json.dumps({"name": "other"}), "other")):
            expect_rest_error(rest_json(port, "POST", "/v2/repository/models/mlp/load",
                                        {"parameters": {"config": bad}}), 400, fragment)
            q = pb.RepositoryModelLoadRequest(model_name="mlp")
            q.parameters["config"].string_param = bad
            expect_grpc_error(lambda: st.RepositoryModelLoad(q, timeout=CALL_TIMEOUT_S),
                              grpc.StatusCode.INVALID_ARGUMENT, fragment)
        check(rest_batch() == 2, "a refused config leaves the loaded one serving")
        expect_rest_error(rest_json(port, "POST", "/v2/repository/models/mlp/load",
                                    {"parameters": {"config": {"max_batch_size": 2}}}), 400, "string")
        expect_rest_error(rest_json(port, "POST", "/v2/repository/models/mlp/load",
                                    {"parameters": {"file:1/model.onnx": "AAAA"}}), 400, "file:1")
        q = pb.RepositoryModelLoadRequest(model_name="mlp")
        q.parameters["file:1/model.onnx"].bytes_param = b"\0"
        expect_grpc_error(lambda: st.RepositoryModelLoad(q, timeout=CALL_TIMEOUT_S),
                          grpc.StatusCode.INVALID_ARGUMENT, "file:1")
        expect_rest_error(rest_json(port, "POST", "/v2/repository/models/mlp/load",
                                    {"parameters": {"configuration": "{}"}}), 400, "configuration")
        # A labels file named by the override is read from the model's folder.
        override = json.dumps({"max_batch_size": 8,
                               "output": [{"name": MLP_OUT, "label_filename": "labels.txt"}]})
        status, _ = rest_json(port, "POST", "/v2/repository/models/mlp/load",
                              {"parameters": {"config": override}})
        status, body = rest_json(port, "POST", "/v2/models/mlp/infer",
                                 classification_request(mlp_rows(1, 2), 4))
        check(status == 200 and sum(t.endswith(":cat") or t.endswith(":dog") or t.endswith(":bird")
                                    for t in body["outputs"][0]["data"]) == 3,
              "labels through an override: %s" % body)
        override = json.dumps({"output": [{"name": MLP_OUT, "label_filename": "../labels.txt"}]})
        expect_rest_error(rest_json(port, "POST", "/v2/repository/models/mlp/load",
                                    {"parameters": {"config": override}}), 400, "not a path")
    finally:
        channel.close()
        check(s.stop() == 0, "explicit-mode server exits 0")


def main():
    tmp = tempfile.mkdtemp(prefix="inferd-triton-parity-")
    try:
        repo, reference = write_repository(tmp)
        test_model_ready(repo)
        s = Server(repo)
        channel, st = stub(s)
        try:
            test_classification(s, st, reference)
            test_extensions_and_config(s, st)
        finally:
            channel.close()
            check(s.stop() == 0, "server exits 0")
        test_compression(repo, reference)
        test_load_config(repo)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d check(s) failed" % check.failures if check.failures else "all checks passed")
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
