#!/usr/bin/python3
"""Writes the seed corpus of every fuzz harness (tests/fuzz/corpus/<target>/).

Seeds are small valid inputs of each entry point plus a few edge cases, so
the fuzzers start from the shapes real clients and files have. The input
formats are described at the top of each tests/fuzz/fuzz_<target>.c.
ONNX seeds use Debian's python3-onnx; protobuf messages of api/*.proto are
encoded by hand (wire format), so no generated stubs are needed.

Writes the known reproducers too (tests/fuzz/regressions/<target>/), the
ones that were made by hand rather than found by a fuzzer: see
KNOWN_REPRODUCERS below.

usage: make_corpus.py [OUTPUT_DIR]   (default: the folder of this script)
"""
import base64
import gzip
import json
import os
import struct
import sys
import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


# ---- protobuf wire format ---------------------------------------------------

def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_varint(number, value):
    return varint(number << 3) + varint(value)


def field_bytes(number, data):
    if isinstance(data, str):
        data = data.encode()
    return varint(number << 3 | 2) + varint(len(data)) + data


def field_double(number, value):
    return varint(number << 3 | 1) + struct.pack("<d", value)


def packed_varints(number, values):
    return field_bytes(number, b"".join(varint(v) for v in values))


def packed_floats(number, values):
    return field_bytes(number, struct.pack("<%df" % len(values), *values))


# ---- KServe request messages (api/inference.proto) ------------------------

def infer_parameter(kind, value):
    """InferParameter: bool_param 1, int64_param 2, string_param 3, double 4, uint64 5."""
    if kind == "bool":
        return field_varint(1, int(value))
    if kind == "int64":
        return field_varint(2, value)
    if kind == "string":
        return field_bytes(3, value)
    if kind == "double":
        return field_double(4, value)
    return field_varint(5, value)


def map_entry(number, key, value_message):
    return field_bytes(number, field_bytes(1, key) + field_bytes(2, value_message))


def infer_input(name, datatype, shape, contents=None, parameters=()):
    msg = field_bytes(1, name) + field_bytes(2, datatype) + packed_varints(3, shape)
    for key, kind, value in parameters:
        msg += map_entry(4, key, infer_parameter(kind, value))
    if contents is not None:
        msg += field_bytes(5, contents)
    return msg


def model_infer_request(model, inputs, outputs=(), raw=(), version="", request_id="",
                        parameters=()):
    msg = field_bytes(1, model)
    if version:
        msg += field_bytes(2, version)
    if request_id:
        msg += field_bytes(3, request_id)
    for key, kind, value in parameters:
        msg += map_entry(4, key, infer_parameter(kind, value))
    for i in inputs:
        msg += field_bytes(5, i)
    for name, binary in outputs:
        out = field_bytes(1, name)
        if binary is not None:
            out += map_entry(2, "binary_data", infer_parameter("bool", binary))
        msg += field_bytes(6, out)
    for r in raw:
        msg += field_bytes(7, r)
    return msg


# fuzz_grpc.c's byte 0: the message, in its requests[] order.
GRPC_MODEL_INFER, GRPC_SERVER_LIVE, GRPC_SERVER_READY, GRPC_MODEL_READY = 0, 1, 2, 3
GRPC_SERVER_METADATA, GRPC_MODEL_METADATA, GRPC_MODEL_CONFIG, GRPC_MODEL_STATISTICS = 4, 5, 6, 7
GRPC_REPOSITORY_INDEX, GRPC_REPOSITORY_LOAD, GRPC_REPOSITORY_UNLOAD, GRPC_HEALTH = 8, 9, 10, 11
GRPC_SHM_STATUS, GRPC_SHM_REGISTER, GRPC_SHM_UNREGISTER = 12, 13, 14
# fuzz_util.h's configs.
CFG_SIMPLE, CFG_BATCHED, CFG_DTYPES, CFG_IMAGE = 0, 1, 2, 3


def grpc_seeds():
    seeds = {}

    def infer(name, cfg, msg, small_limit=False):
        seeds[name] = bytes([GRPC_MODEL_INFER, cfg | (4 if small_limit else 0)]) + msg

    simple_typed = model_infer_request("simple", [
        infer_input("x", "FP32", [2, 3], packed_floats(6, [0.5, 1, 2, 3, 4, 5])),
        infer_input("y", "INT64", [3], packed_varints(3, [1, 2, 3])),
    ], outputs=[("sum", None)], request_id="req-1",
        parameters=[("priority", "int64", 1), ("timeout", "uint64", 1000)])
    infer("infer_simple_typed", CFG_SIMPLE, simple_typed)
    simple_raw = model_infer_request("simple", [
        infer_input("x", "FP32", [2, 3]), infer_input("y", "INT64", [2]),
    ], raw=[struct.pack("<6f", *range(6)), struct.pack("<2q", 7, -7)], version="1")
    infer("infer_simple_raw", CFG_SIMPLE, simple_raw)
    infer("infer_simple_raw_small_limit", CFG_SIMPLE, simple_raw, small_limit=True)
    batched = model_infer_request("batched", [
        infer_input("x", "FP32", [2, 3], packed_floats(6, [1] * 6)),
        infer_input("mask", "BOOL", [2, 2], packed_varints(1, [1, 0, 0, 1])),
    ], outputs=[("y", True)])
    infer("infer_batched", CFG_BATCHED, batched)
    typed = {
        "BOOL": packed_varints(1, [1, 0, 1, 1]), "UINT8": packed_varints(4, [0, 1, 254, 255]),
        "INT8": packed_varints(2, [0, 1, 127, (1 << 64) - 128]),
        "UINT16": packed_varints(4, [0, 1, 2, 65535]), "INT16": packed_varints(2, [-1 & ((1 << 64) - 1), 1, 2, 3]),
        "UINT32": packed_varints(4, [0, 1, 2, 1 << 31]), "INT32": packed_varints(2, [0, 1, 2, 3]),
        "UINT64": packed_varints(5, [0, 1, 1 << 63, 3]), "INT64": packed_varints(3, [0, 1, 2, 3]),
        "FP32": packed_floats(6, [0, 1.5, -2, 1e30]),
        "FP64": field_bytes(7, struct.pack("<4d", 0, 1, 2, 3)),
    }
    infer("infer_dtypes_typed", CFG_DTYPES, model_infer_request(
        "dtypes", [infer_input(dt, dt, [4], typed[dt]) for dt in typed]))
    sizes = {"BOOL": 1, "UINT8": 1, "INT8": 1, "UINT16": 2, "INT16": 2, "UINT32": 4, "INT32": 4,
             "UINT64": 8, "INT64": 8, "FP32": 4, "FP64": 8}
    infer("infer_dtypes_raw", CFG_DTYPES, model_infer_request(
        "dtypes", [infer_input(dt, dt, [4]) for dt in sizes],
        raw=[bytes(range(4 * sizes[dt])) for dt in sizes]))
    infer("infer_image_raw", CFG_IMAGE, model_infer_request(
        "image", [infer_input("image", "UINT8", [1, 2, 2, 3])], raw=[bytes(range(12))]))
    infer("infer_empty_tensor", CFG_IMAGE, model_infer_request(
        "image", [infer_input("image", "UINT8", [1, 0, 2, 3])], raw=[b""]))
    infer("infer_bytes_contents", CFG_SIMPLE, model_infer_request("simple", [
        infer_input("x", "BYTES", [2, 3], field_bytes(8, b"abc")),
        infer_input("y", "INT64", [1], packed_varints(3, [1]))]))
    for kind, name in ((GRPC_MODEL_READY, "model_ready"), (GRPC_MODEL_METADATA, "model_metadata"),
                       (GRPC_MODEL_CONFIG, "model_config"), (GRPC_MODEL_STATISTICS, "model_stats")):
        seeds[name] = bytes([kind]) + field_bytes(1, "mlp") + field_bytes(2, "1")
        seeds[name + "_no_version"] = bytes([kind]) + field_bytes(1, "mlp")
    seeds["model_ready_bad_version"] = bytes([GRPC_MODEL_READY]) + field_bytes(1, "mlp") + \
        field_bytes(2, "99999999999999999999")
    seeds["model_ready_utf8"] = bytes([GRPC_MODEL_READY]) + field_bytes(1, b"m\xc3\xa9\xff")
    for kind, name in ((GRPC_SERVER_LIVE, "server_live"), (GRPC_SERVER_READY, "server_ready"),
                       (GRPC_SERVER_METADATA, "server_metadata")):
        seeds[name] = bytes([kind])
    seeds["repository_index"] = bytes([GRPC_REPOSITORY_INDEX]) + field_bytes(1, "") + \
        field_varint(2, 1)
    load_params = field_bytes(3, field_bytes(1, "config") + field_bytes(2, field_bytes(3, "{}")))
    seeds["repository_load"] = bytes([GRPC_REPOSITORY_LOAD]) + field_bytes(2, "cnn") + load_params
    seeds["repository_unload"] = bytes([GRPC_REPOSITORY_UNLOAD]) + field_bytes(2, "cnn")
    seeds["health"] = bytes([GRPC_HEALTH]) + field_bytes(1, "inference.GRPCInferenceService")
    # Shared memory: x from a region, y raw (the only raw entry), sum into a region.
    infer("infer_shared_memory", CFG_SIMPLE, model_infer_request("simple", [
        infer_input("x", "FP32", [2, 3], parameters=[
            ("shared_memory_region", "string", "in0"), ("shared_memory_offset", "int64", 8),
            ("shared_memory_byte_size", "int64", 24)]),
        infer_input("y", "INT64", [1])], raw=[struct.pack("<q", 3)]))
    infer("infer_shared_memory_overflow", CFG_SIMPLE, model_infer_request("simple", [
        infer_input("x", "FP32", [2, 3], parameters=[
            ("shared_memory_region", "string", "in0"),
            ("shared_memory_offset", "uint64", (1 << 64) - 1),
            ("shared_memory_byte_size", "uint64", (1 << 64) - 8)]),
        infer_input("y", "INT64", [1], packed_varints(3, [1]))]))
    seeds["shm_register"] = bytes([GRPC_SHM_REGISTER]) + field_bytes(1, "in0") + \
        field_bytes(2, "/input_simple") + field_varint(3, 16) + field_varint(4, 64)
    seeds["shm_register_path"] = bytes([GRPC_SHM_REGISTER]) + field_bytes(1, "in0") + \
        field_bytes(2, "/../etc/passwd") + field_varint(4, 1)
    seeds["shm_status"] = bytes([GRPC_SHM_STATUS]) + field_bytes(1, "in0")
    seeds["shm_unregister_all"] = bytes([GRPC_SHM_UNREGISTER])
    return seeds


# ---- REST infer requests ----------------------------------------------------

def rest_seeds():
    seeds = {}

    def json_case(name, cfg, body, small_limit=False):
        seeds[name] = bytes([cfg | (8 if small_limit else 0)]) + json.dumps(body).encode()

    def binary_case(name, cfg, header, data, header_len=None):
        text = json.dumps(header).encode()
        n = len(text) if header_len is None else header_len
        seeds[name] = bytes([cfg | 4, n & 0xFF, n >> 8]) + text + data

    simple = {"id": "42", "inputs": [
        {"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [[1, 2, 3], [4, 5, 6.5]]},
        {"name": "y", "shape": [2], "datatype": "INT64", "data": [1, -2]}],
        "outputs": [{"name": "sum"}, {"name": "count", "parameters": {"binary_data": True}}],
        "parameters": {"priority": 1, "timeout": 5000}}
    json_case("simple_json", CFG_SIMPLE, simple)
    json_case("simple_json_small_limit", CFG_SIMPLE, simple, small_limit=True)
    json_case("simple_flat", CFG_SIMPLE, {"inputs": [
        {"name": "y", "shape": [0], "datatype": "INT64", "data": []},
        {"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [1, 2, 3, 4, 5, 6]}],
        "parameters": {"binary_data_output": True}})
    binary_case("simple_binary", CFG_SIMPLE, {"inputs": [
        {"name": "x", "shape": [2, 3], "datatype": "FP32", "parameters": {"binary_data_size": 24}},
        {"name": "y", "shape": [1], "datatype": "INT64", "parameters": {"binary_data_size": 8}}],
        "outputs": [{"name": "sum", "parameters": {"binary_data": True}}]},
        struct.pack("<6f", *range(6)) + struct.pack("<q", 3))
    binary_case("simple_binary_mixed", CFG_SIMPLE, {"inputs": [
        {"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [0, 0, 0, 0, 0, 0]},
        {"name": "y", "shape": [2], "datatype": "INT64", "parameters": {"binary_data_size": 16}}]},
        struct.pack("<2q", 1, 2))
    binary_case("header_longer_than_body", CFG_SIMPLE, {"inputs": []}, b"", header_len=400)
    json_case("batched", CFG_BATCHED, {"inputs": [
        {"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [[1, 2, 3], [4, 5, 6]]},
        {"name": "mask", "shape": [2, 1], "datatype": "BOOL", "data": [[True], [False]]}]})
    binary_case("batched_binary_bool", CFG_BATCHED, {"inputs": [
        {"name": "x", "shape": [1, 3], "datatype": "FP32", "parameters": {"binary_data_size": 12}},
        {"name": "mask", "shape": [1, 3], "datatype": "BOOL", "parameters": {"binary_data_size": 3}}]},
        struct.pack("<3f", 1, 2, 3) + b"\x00\x01\x07")
    values = {"BOOL": [True, False, True, True], "UINT8": [0, 1, 254, 255], "INT8": [-128, 0, 1, 127],
              "UINT16": [0, 1, 2, 65535], "INT16": [-32768, 0, 1, 32767],
              "UINT32": [0, 1, 2, 4294967295], "INT32": [-2147483648, 0, 1, 2147483647],
              "UINT64": [0, 1, 2, 9223372036854775807],
              "INT64": [-9223372036854775808, 0, 1, 9223372036854775807],
              "FP32": [0, 1.5, -3.4e38, 1e-45], "FP64": [0, 1e308, -1e-308, 2.5]}
    json_case("dtypes_json", CFG_DTYPES, {"inputs": [
        {"name": dt, "shape": [4], "datatype": dt, "data": values[dt]} for dt in values]})
    json_case("image_nested", CFG_IMAGE, {"inputs": [
        {"name": "image", "shape": [1, 2, 1, 3], "datatype": "UINT8",
         "data": [[[[1, 2, 3]], [[4, 5, 6]]]]}]})
    json_case("too_deep", CFG_IMAGE, {"inputs": [
        {"name": "image", "shape": [1, 1, 1, 3], "datatype": "UINT8",
         "data": [[[[[[[[[[1, 2, 3]]]]]]]]]]}]})
    json_case("shared_memory", CFG_SIMPLE, {"inputs": [
        {"name": "x", "shape": [2, 3], "datatype": "FP32",
         "parameters": {"shared_memory_region": "in0", "shared_memory_offset": 16,
                        "shared_memory_byte_size": 24}},
        {"name": "y", "shape": [1], "datatype": "INT64", "data": [1]}],
        "outputs": [{"name": "sum", "parameters": {"shared_memory_region": "out0",
                                                   "shared_memory_byte_size": 24,
                                                   "binary_data": False}},
                    {"name": "count"}], "parameters": {"binary_data_output": True}})
    json_case("shared_memory_hostile", CFG_SIMPLE, {"inputs": [
        {"name": "x", "shape": [2, 3], "datatype": "FP32",
         "parameters": {"shared_memory_region": "in0", "shared_memory_offset": -1,
                        "shared_memory_byte_size": 9223372036854775807}},
        {"name": "y", "shape": [1], "datatype": "INT64", "data": [1]}]})
    json_case("sequence", CFG_SIMPLE, {"inputs": [
        {"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [1, 2, 3, 4, 5, 6]},
        {"name": "y", "shape": [1], "datatype": "INT64", "data": [1]}],
        "parameters": {"sequence_id": 0, "sequence_start": False, "sequence_end": False}})
    json_case("huge_shape", CFG_IMAGE, {"inputs": [
        {"name": "image", "shape": [8, 4294967296, 4294967296, 3], "datatype": "UINT8",
         "data": []}]})
    seeds["not_json"] = b"\x00{\"inputs\": [}"
    return seeds


# ---- HTTP request lines and headers ----------------------------------------

def http_seeds():
    def case(method, url, header_len=None, content_length=None, body=b""):
        lines = [method.encode(), url.encode() if isinstance(url, str) else url]
        lines.append(b"" if header_len is None else header_len.encode())
        lines.append(b"" if content_length is None else content_length.encode())
        return b"\n".join(lines) + b"\n" + body

    body = b'{"inputs":[]}' + bytes(16)
    return {
        "server_metadata": case("GET", "/v2"),
        "health_live": case("GET", "/v2/health/live"),
        "health_ready": case("GET", "/v2/health/ready"),
        "stats": case("GET", "/v2/models/stats"),
        "model_metadata": case("GET", "/v2/models/mlp"),
        "model_version_ready": case("GET", "/v2/models/mlp/versions/1/ready"),
        "model_config": case("GET", "/v2/models/cnn/config"),
        "model_stats": case("GET", "/v2/models/mlp/versions/3/stats"),
        "infer_binary": case("POST", "/v2/models/mlp/infer", "13", str(len(body)), body),
        "infer_header_too_long": case("POST", "/v2/models/mlp/infer", "99", "4", b"abcd"),
        "infer_header_signed": case("POST", "/v2/models/mlp/infer", "-0", "4", b"abcd"),
        "infer_header_overflow": case("POST", "/v2/models/mlp/infer", "18446744073709551617", "0"),
        "infer_wrong_method": case("GET", "/v2/models/mlp/infer"),
        "index": case("POST", "/v2/repository/index", None, "15", b'{"ready": true}'),
        "load": case("POST", "/v2/repository/models/cnn/load", None, "2", b"{}"),
        "unload": case("POST", "/v2/repository/models/cnn/unload"),
        "escaped": case("GET", "/v2/models/a%2Fb/ready?verbose=1"),
        "escaped_nul": case("GET", "/v2/models/a%00b/ready"),
        "slashes": case("GET", "//v2///models/m//versions//7/"),
        "bad_version": case("GET", "/v2/models/m/versions/99999999999999999999"),
        "too_many_segments": case("GET", "/v2/models/m/versions/1/ready/a/b/c"),
        "delete": case("DELETE", "/v2/models/m"),
        "content_length_huge": case("POST", "/v2/models/m/infer", None, "99999999999999999999999"),
        "shm_status": case("GET", "/v2/systemsharedmemory/status"),
        "shm_region_status": case("GET", "/v2/systemsharedmemory/region/in0/status"),
        "shm_register": case("POST", "/v2/systemsharedmemory/region/in0/register", None, "40",
                             b'{"key":"/k","offset":0,"byte_size":64}'),
        "shm_unregister": case("POST", "/v2/systemsharedmemory/region/a%2Fb/unregister"),
        "cuda_shm_status": case("GET", "/v2/cudasharedmemory/region/c/status"),
    }


def http_encoding_seeds():
    """Control byte (bit 0 deflate, bit 1 small limit, bit 2 header line) and a body."""
    body = b'{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}'
    packed = gzip.compress(body, mtime=0)
    return {
        "gzip": b"\x00" + packed,
        "deflate": b"\x01" + zlib.compress(body),
        "gzip_bomb_small_limit": b"\x02" + gzip.compress(bytes(1 << 20), mtime=0),
        "deflate_bomb": b"\x01" + zlib.compress(bytes(4 << 20), 9),
        "gzip_truncated": b"\x00" + packed[:-6],
        "gzip_trailing": b"\x00" + packed + b"x",
        "gzip_two_members": b"\x00" + packed + packed,
        "deflate_raw": b"\x01" + zlib.compress(body)[2:-4],
        "empty": b"\x00",
        "headers": b"\x04gzip;q=0, deflate;q=0.5, *;q=0.1\n" + packed,
        "headers_spaces": b"\x05 X-GZIP \n" + zlib.compress(body),
    }


# ---- ONNX models ------------------------------------------------------------

def model_bytes(nodes, inputs, outputs, initializers=(), opset=13, ir_version=8):
    graph = helper.make_graph(nodes, "seed", inputs, outputs, initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = ir_version
    return model.SerializeToString()


def float_input(name, dims):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)


def weights(name, shape, seed=0):
    rng = np.random.default_rng(seed)
    return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)


def no_data(name, data_type, dims):
    """A TensorProto with a type and dims but no values (helper.make_tensor refuses one)."""
    t = TensorProto()
    t.name = name
    t.data_type = data_type
    t.dims.extend(dims)
    return t


def external(name, data_type, dims, location, offset=None, length=None):
    t = no_data(name, data_type, dims)
    t.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", offset), ("length", length)):
        if value is not None:
            entry = t.external_data.add()
            entry.key = key
            entry.value = str(value)
    return t


def model_seeds():
    seeds = {}
    seeds["mlp"] = model_bytes(
        [helper.make_node("MatMul", ["x", "w1"], ["h"]), helper.make_node("Add", ["h", "b1"], ["a"]),
         helper.make_node("Relu", ["a"], ["r"]), helper.make_node("Gemm", ["r", "w2", "b2"], ["y"]),
         helper.make_node("Softmax", ["y"], ["p"], axis=-1)],
        [float_input("x", ["batch", 8])], [float_input("p", ["batch", 3])],
        [weights("w1", (8, 6)), weights("b1", (6,), 1), weights("w2", (6, 3), 2),
         weights("b2", (3,), 3)])
    seeds["cnn"] = model_bytes(
        [helper.make_node("Conv", ["x", "k", "kb"], ["c"], pads=[1, 1, 1, 1]),
         helper.make_node("BatchNormalization", ["c", "s", "bb", "m", "v"], ["n"]),
         helper.make_node("Relu", ["n"], ["r"]),
         helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
         helper.make_node("GlobalAveragePool", ["p"], ["g"]),
         helper.make_node("Flatten", ["g"], ["y"])],
        [float_input("x", ["batch", 2, 8, 8])], [float_input("y", ["batch", 4])],
        [weights("k", (4, 2, 3, 3)), weights("kb", (4,), 1), weights("s", (4,), 2),
         weights("bb", (4,), 3), weights("m", (4,), 4),
         numpy_helper.from_array(np.ones(4, np.float32), "v")])
    shape = numpy_helper.from_array(np.array([0, -1], np.int64), "shape")
    seeds["reshape_transpose"] = model_bytes(
        [helper.make_node("Transpose", ["x"], ["t"], perm=[0, 2, 1]),
         helper.make_node("Reshape", ["t", "shape"], ["y"])],
        [float_input("x", ["batch", 3, 4])], [float_input("y", ["batch", 12])], [shape])
    seeds["constant_typed"] = model_bytes(
        [helper.make_node("Constant", [], ["c"], value=helper.make_tensor(
            "c", TensorProto.FLOAT, [2, 2], [1.0, 2.0, 3.0, 4.0])),
         helper.make_node("Mul", ["x", "c"], ["y"])],
        [float_input("x", [2, 2])], [float_input("y", [2, 2])])
    seeds["constant_int64_slice"] = model_bytes(
        [helper.make_node("Constant", [], ["starts"], value=helper.make_tensor(
            "starts", TensorProto.INT64, [1], [1])),
         helper.make_node("Constant", [], ["ends"], value=helper.make_tensor(
            "ends", TensorProto.INT64, [1], [3])),
         helper.make_node("Slice", ["x", "starts", "ends"], ["y"])],
        [float_input("x", [4])], [float_input("y", [2])])
    seeds["zero_element_initializer"] = model_bytes(
        [helper.make_node("Concat", ["x", "e"], ["y"], axis=0)],
        [float_input("x", [3])], [float_input("y", [3])],
        [helper.make_tensor("e", TensorProto.FLOAT, [0], [])])
    seeds["external_data"] = model_bytes(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        [float_input("x", ["batch", 4])], [float_input("y", ["batch", 4])],
        [external("w", TensorProto.FLOAT, [4, 4], "weights.bin", 64, 64)])
    seeds["external_data_subdir"] = model_bytes(
        [helper.make_node("Add", ["x", "w"], ["y"])],
        [float_input("x", [16])], [float_input("y", [16])],
        [external("w", TensorProto.FLOAT, [16], "sub/w.bin")])
    seeds["external_data_escapes"] = model_bytes(
        [helper.make_node("Add", ["x", "w"], ["y"])],
        [float_input("x", [4])], [float_input("y", [4])],
        [external("w", TensorProto.FLOAT, [4], "link.bin")])
    seeds["int_ops"] = model_bytes(
        [helper.make_node("Shape", ["x"], ["s"]), helper.make_node("Cast", ["s"], ["f"], to=1),
         helper.make_node("Gather", ["f", "i"], ["g"], axis=0),
         helper.make_node("Where", ["c", "x", "g"], ["y"])],
        [float_input("x", [2, 3]), helper.make_tensor_value_info("c", TensorProto.BOOL, [2, 3])],
        [float_input("y", [2, 3])],
        [numpy_helper.from_array(np.array(1, np.int64), "i")])
    seeds["opset_7_gemm"] = model_bytes(
        [helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1, alpha=0.5)],
        [float_input("x", [2, 3])], [float_input("y", [2, 2])],
        [weights("w", (2, 3)), weights("b", (2,), 1)], opset=7, ir_version=3)
    # Control flow and data-dependent shapes (engine/segment.h): subgraph import with
    # outer-scope reads, nesting, Loop-carried values, and shapes learnt while running.
    f, i64, b = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL
    vi = helper.make_tensor_value_info
    then_g = helper.make_graph([helper.make_node("Add", ["x", "x"], ["t"])], "then", [],
                               [vi("t", f, None)])
    else_g = helper.make_graph([helper.make_node("Concat", ["x", "x"], ["e"], axis=0)], "else",
                               [], [vi("e", f, None)])
    seeds["if_outer_scope"] = model_bytes(
        [helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
         helper.make_node("Greater", ["s", "z"], ["c"]),
         helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g)],
        [float_input("x", [2, 3])], [float_input("y", None)],
        [numpy_helper.from_array(np.array(0, np.float32), "z")])
    inner_if = helper.make_node("If", ["cc"], ["r"], then_branch=then_g, else_branch=else_g)
    body = helper.make_graph(
        [helper.make_node("Greater", ["i", "one"], ["cc"]), inner_if,
         helper.make_node("ReduceSum", ["r"], ["rs"], keepdims=1),
         helper.make_node("Add", ["a", "rs"], ["a2"]),
         helper.make_node("Concat", ["a2", "a2"], ["grow"], axis=0),
         helper.make_node("Identity", ["c"], ["c2"])], "body",
        [vi("i", i64, []), vi("c", b, []), vi("a", f, None)],
        [vi("c2", b, []), vi("grow", f, None), vi("a2", f, None)],
        [numpy_helper.from_array(np.array(1, np.int64), "one")])
    seeds["loop_nested_if"] = model_bytes(
        [helper.make_node("Loop", ["m", "", "a0"], ["y", "scan"], body=body)],
        [float_input("a0", [1]), float_input("x", [2, 3])], [float_input("y", None)],
        [numpy_helper.from_array(np.array(3, np.int64), "m")])
    sbody = helper.make_graph(
        [helper.make_node("Add", ["s", "e"], ["s2"]), helper.make_node("Mul", ["s2", "e"], ["o"])],
        "sbody", [vi("s", f, [3]), vi("e", f, [3])], [vi("s2", f, [3]), vi("o", f, [3])])
    seeds["scan_axis"] = model_bytes(
        [helper.make_node("Scan", ["s0", "x"], ["y", "ys"], body=sbody, num_scan_inputs=1,
                          scan_input_axes=[1], scan_output_directions=[1])],
        [float_input("s0", [3]), float_input("x", [3, 4])], [float_input("y", None)])
    seeds["nonzero_range"] = model_bytes(
        [helper.make_node("NonZero", ["x"], ["nz"]), helper.make_node("Shape", ["nz"], ["s"]),
         helper.make_node("Gather", ["s", "one"], ["n"], axis=0),
         helper.make_node("Range", ["zero", "n", "one"], ["r"]),
         helper.make_node("TopK", ["x", "k"], ["v", "vi"], axis=-1),
         helper.make_node("Unique", ["r"], ["u"]),
         helper.make_node("Compress", ["x", "c"], ["y"], axis=1)],
        [float_input("x", [2, 3]), vi("c", b, [3])], [vi("u", i64, None), float_input("y", None)],
        [numpy_helper.from_array(np.array(1, np.int64), "one"),
         numpy_helper.from_array(np.array(0, np.int64), "zero"),
         numpy_helper.from_array(np.array([2], np.int64), "k")])
    seeds["nms"] = model_bytes(
        [helper.make_node("NonMaxSuppression", ["boxes", "scores", "m", "iou"], ["sel"],
                          center_point_box=1)],
        [float_input("boxes", [1, 4, 4]), float_input("scores", [1, 2, 4])],
        [vi("sel", i64, None)],
        [numpy_helper.from_array(np.array([3], np.int64), "m"),
         numpy_helper.from_array(np.array([0.5], np.float32), "iou")])
    return seeds


# ---- TensorProto files ------------------------------------------------------

def tensor_seeds():
    def t(array, name="t"):
        return numpy_helper.from_array(array, name).SerializeToString()

    seeds = {
        "float_raw": t(np.arange(12, dtype=np.float32).reshape(3, 4), "input_0"),
        "int64_raw": t(np.array([-1, 0, 1 << 40], np.int64)),
        "bool": t(np.array([True, False, True])),
        "uint8_image": t(np.arange(24, dtype=np.uint8).reshape(1, 2, 4, 3)),
        "double": t(np.array([1.5, -2.25], np.float64)),
        "scalar": t(np.array(3.0, np.float32)),
        "zero_elements_raw": t(np.zeros((2, 0), np.float32)),
    }
    typed = [
        helper.make_tensor("f", TensorProto.FLOAT, [2, 2], [1, 2, 3, 4]),
        helper.make_tensor("i", TensorProto.INT32, [3], [1, -2, 3]),
        helper.make_tensor("u", TensorProto.UINT64, [2], [1, 1 << 63]),
        helper.make_tensor("h", TensorProto.INT16, [2], [-300, 300]),
        helper.make_tensor("d", TensorProto.DOUBLE, [1], [0.5]),
    ]
    for tensor in typed:
        seeds["typed_" + tensor.name] = tensor.SerializeToString()
    return seeds


# ---- config.json --------------------------------------------------------------

def config_seeds():
    full = {
        "name": "m", "platform": "onnx", "max_batch_size": 8,
        "input": [{"name": "x", "data_type": "FP32", "dims": [4]},
                  {"name": "ids", "data_type": "INT64", "dims": [-1]}],
        "output": [{"name": "y", "data_type": "FP32", "dims": [4]}],
        "dynamic_batching": {"preferred_batch_size": [4, 8], "max_queue_delay_microseconds": 2000,
                             "max_queue_size": 256, "default_timeout_microseconds": 1000000,
                             "priority_levels": 2, "default_priority_level": 2},
        "instance_group": [{"count": 2, "threads": 2}],
        "version_policy": {"latest": {"num_versions": 2}},
        "model_warmup": [{"batch_size": 8, "iterations": 3,
                          "inputs": {"x": {"dims": [4]}, "ids": {"dims": [16]}}}],
    }
    seeds = {
        "empty_object": {},
        "full": full,
        "no_batching": {"max_batch_size": 0, "input": [{"name": "ids", "dims": [-1, 7]}]},
        "all_versions": {"version_policy": {"all": {}}, "instance_group": [{"count": 1}]},
        "specific_versions": {"version_policy": {"specific": {"versions": [1, 3]}},
                              "dynamic_batching": {}, "max_batch_size": 4},
        "wrong_dtype": {"input": [{"name": "x", "data_type": "INT8"}]},
        "unknown_key": {"max_batch": 3},
        "npu_groups": {"backend": "ascend", "platform": "ascend_om",
                       "dynamic_batching": {"preferred_batch_size": [1, 2, 4, 8]},
                       "instance_group": [{"kind": "KIND_NPU", "count": 2, "devices": [0, 1]},
                                          {"devices": [3]}]},
        "cpu_kind": {"instance_group": [{"kind": "KIND_CPU", "count": 2, "threads": 4}]},
    }
    out = {name: json.dumps(value, indent=1).encode() for name, value in seeds.items()}
    out["duplicate_key"] = b'{"max_batch_size": 1, "max_batch_size": 2}'
    out["not_object"] = b"[1, 2, 3]"
    return out


# ---- reproducers made by hand ------------------------------------------------

def known_reproducers():
    """The problems of issue 18 that were found before the harnesses were in the tree."""
    model = {}
    tensor = {}
    # A Constant FLOAT [2^31, 2] with no data: a 68-byte model that asked for 16 GiB.
    model["constant-16gib-no-data.onnx"] = model_bytes(
        [helper.make_node("Constant", [], ["y"], value=no_data(
            "c", TensorProto.FLOAT, [1 << 31, 2]))],
        [], [float_input("y", [1 << 31, 2])])
    # The same declared size as a tensor file.
    tensor["float-16gib-no-data.pb"] = no_data("", TensorProto.FLOAT, [1 << 31, 2]).SerializeToString()
    # External data declaring 16 GiB of a 4 KiB file.
    model["external-16gib.onnx"] = model_bytes(
        [helper.make_node("Add", ["x", "w"], ["y"])],
        [float_input("x", [1 << 31, 2])], [float_input("y", [1 << 31, 2])],
        [external("w", TensorProto.FLOAT, [1 << 31, 2], "weights.bin")])
    # Zero elements and no data at all: memcpy(dst, NULL, 0).
    model["zero-elements-no-data.onnx"] = model_bytes(
        [helper.make_node("Constant", [], ["c"], value=helper.make_tensor(
            "c", TensorProto.FLOAT, [0, 3], [])),
         helper.make_node("Concat", ["x", "c", "e"], ["y"], axis=0)],
        [float_input("x", [1, 3])], [float_input("y", [1, 3])],
        [helper.make_tensor("e", TensorProto.FLOAT, [0, 3], [])])
    tensor["zero-elements-no-data.pb"] = no_data("", TensorProto.INT64, [4, 0]).SerializeToString()
    # MatMul and Gemm with one input, after a model whose MatMul packed a weight: the
    # pack step read the stale second slot of its input array.
    model["matmul-one-input-1-two-inputs.onnx"] = seed_two_input_matmul()
    model["matmul-one-input-2-one-input.onnx"] = model_bytes(
        [helper.make_node("MatMul", ["x"], ["y"])], [float_input("x", [2, 8])],
        [float_input("y", [2, 8])])
    model["gemm-one-input.onnx"] = model_bytes(
        [helper.make_node("MatMul", ["x", "w"], ["h"]), helper.make_node("Gemm", ["h"], ["y"])],
        [float_input("x", [2, 8])], [float_input("y", [2, 8])], [weights("w", (8, 8))])
    # The body decoder's limit, kept exact: 4096 decoded bytes pass the small limit, 4097 not.
    encoding = {"gzip-at-small-limit": b"\x02" + gzip.compress(bytes(4096), mtime=0),
                "gzip-one-past-small-limit": b"\x02" + gzip.compress(bytes(4097), mtime=0)}
    return {"model": model, "tensor_file": tensor, "http_encoding": encoding}


def seed_two_input_matmul():
    return model_bytes([helper.make_node("MatMul", ["x", "w"], ["y"])],
                       [float_input("x", [2, 8])], [float_input("y", [2, 8])],
                       [weights("w", (8, 8))])


def image_decoder_seeds():
    """Small images of every format ImageDecoder reads, made with Debian's python3-pil
    (and by hand where Pillow cannot write the variant); byte 0 is the pixel format."""
    import io
    import zlib
    from PIL import Image

    y, x = np.mgrid[0:7, 0:13]
    a = np.stack([x * 19, y * 36, (x * y) % 256], axis=-1).astype(np.uint8)
    rgb = Image.fromarray(a)
    gray, pal = rgb.convert("L"), rgb.quantize(colors=8)

    def save(img, fmt, **kw):
        b = io.BytesIO()
        img.save(b, fmt, **kw)
        return b.getvalue()

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xffffffff)

    def png(depth, color, interlace, raw):
        h, w = a.shape[:2]
        return (b"\x89PNG\r\n\x1a\n" +
                chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, interlace)) +
                chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))

    rows16 = b"".join(b"\0" + (a[r].astype(">u2") * 257).tobytes() for r in range(7))
    adam7 = b""
    for x0, y0, dx, dy in ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4),
                           (1, 0, 2, 2), (0, 1, 1, 2)):
        sub = a[y0::dy, x0::dx]
        if sub.size:
            adam7 += b"".join(b"\0" + r.tobytes() for r in sub)
    bmp565_rows = b"".join(
        ((a[r, :, 0].astype(np.uint32) >> 3 << 11) | (a[r, :, 1].astype(np.uint32) >> 2 << 5) |
         (a[r, :, 2].astype(np.uint32) >> 3)).astype("<u2").tobytes().ljust(28, b"\0")
        for r in range(6, -1, -1))
    bmp565_info = struct.pack("<IiiHHIIiiII", 40, 13, 7, 1, 16, 3, len(bmp565_rows), 0, 0, 0, 0) + \
        struct.pack("<III", 0xf800, 0x07e0, 0x001f)
    bmp565 = b"BM" + struct.pack("<IHHI", 66 + len(bmp565_rows), 0, 0, 66) + bmp565_info + \
        bmp565_rows
    streams = {
        "png_rgb": save(rgb, "PNG"), "png_gray": save(gray, "PNG"),
        "png_palette": save(pal, "PNG"), "png_1bit": save(gray.convert("1"), "PNG"),
        "png_rgba": save(rgb.convert("RGBA"), "PNG"), "png_la": save(rgb.convert("LA"), "PNG"),
        "png_rgb16": png(16, 2, 0, rows16), "png_adam7": png(8, 2, 1, adam7),
        "jpeg_420": save(rgb, "JPEG"), "jpeg_444": save(rgb, "JPEG", subsampling=0),
        "jpeg_progressive": save(rgb, "JPEG", progressive=True), "jpeg_gray": save(gray, "JPEG"),
        "jpeg_cmyk": save(rgb.convert("CMYK"), "JPEG"),
        "bmp_rgb": save(rgb, "BMP"), "bmp_palette": save(pal, "BMP"),
        "bmp_1bit": save(gray.convert("1"), "BMP"), "bmp_565": bmp565,
        "bmp_rgba": save(rgb.convert("RGBA"), "BMP"),
        "ppm": save(rgb, "PPM"), "pgm": save(gray, "PPM"), "pbm": save(gray.convert("1"), "PPM"),
        "pbm_plain": b"P1\n# c\n3 2\n010\n1 0 1\n", "pgm_plain_16": b"P2 2 1 65535 0 65535\n",
        "ppm_plain": b"P3 2 1 15 15 0 0 0 0 15\n", "ppm_16": b"P6 1 1 1000 " + bytes(6),
        "tiff_rgb": save(rgb, "TIFF"), "tiff_lzw": save(gray, "TIFF", compression="tiff_lzw"),
        "tiff_deflate": save(rgb, "TIFF", compression="tiff_adobe_deflate"),
        "tiff_palette": save(pal, "TIFF"), "tiff_jpeg": save(rgb, "TIFF", compression="jpeg"),
        "webp_lossless": save(rgb, "WEBP", lossless=True), "webp_lossy": save(rgb, "WEBP"),
        "webp_alpha": save(rgb.convert("RGBA"), "WEBP"),
        "jp2_rgb": save(rgb, "JPEG2000"), "j2k_gray": save(gray, "JPEG2000", no_jp2=True),
        "jp2_lossy": save(rgb, "JPEG2000", quality_mode="rates", quality_layers=[20]),
    }
    seeds = {}
    for i, (name, stream) in enumerate(sorted(streams.items())):
        seeds[name] = bytes([i % 3]) + stream
    return seeds


def om_header_seeds():
    """.om files as ATC writes them (256-byte header, then the model), and broken ones."""
    def header(body, old_length=False, encrypted=0):
        h = bytearray(256)
        h[0:4] = b"IMOD"
        struct.pack_into("<II", h, 4, 256, 0x20000000)
        if old_length:
            struct.pack_into("<I", h, 76, body)
        else:
            struct.pack_into("<Q", h, 184, body)
        h[80], h[82] = encrypted, 1
        h[84:90] = b"model\0"
        return bytes(h)
    return {"valid": header(64) + bytes(64), "valid_old_length": header(16, True) + bytes(16),
            "truncated": header(64) + bytes(10), "encrypted": header(8, encrypted=1) + bytes(8),
            "om2_zip": b"PK\x03\x04" + bytes(40), "short": b"IMOD\x00\x01"}


def tfserving_seeds():
    """fuzz_tfserving: :predict bodies (byte 0: config, bit 3 small limit) and paths (bit 2)."""
    seeds = {}

    def body(name, cfg, value):
        seeds[name] = bytes([cfg]) + (value if isinstance(value, bytes) else json.dumps(value).encode())

    def path(name, method, url):
        seeds[name] = bytes([4]) + ("%s\n%s" % (method, url)).encode()

    body("simple_columnar", CFG_SIMPLE, {"inputs": {"x": [[1, 2, 3], [4, 5, 6.5]], "y": [1, -2]}})
    body("simple_rows", CFG_SIMPLE, {"instances": [{"x": [1, 2, 3], "y": 4}, {"x": [4, 5, 6], "y": 5}]})
    body("batched_rows", CFG_BATCHED, {"signature_name": "serving_default", "instances": [
        {"x": [1, 2, 3], "mask": [True]}] * 6})
    body("batched_columnar", CFG_BATCHED, {"inputs": {"x": [[1, 2, 3]] * 5, "mask": [[False, True]] * 5}})
    body("image_rows", CFG_IMAGE, {"instances": [[[[0, 1, 2], [3, 4, 5]]]] * 9})
    body("image_bare_columnar", CFG_IMAGE | 8, {"inputs": [[[[255, 0, 7]]]]})
    body("dtypes_b64", CFG_DTYPES, {"inputs": {"FP32": [{"b64": "AAAA"}] * 4}})
    body("ragged", CFG_BATCHED, {"instances": [{"x": [1, 2, 3], "mask": [True]}, {"x": [1, 2], "mask": []}]})
    body("malformed", CFG_SIMPLE, b'{"instances": [1, 2')
    for name, (method, url) in {
            "status": ("GET", "/v1/models/m"), "status_version": ("GET", "/v1/models/m/versions/3"),
            "metadata_label": ("GET", "/v1/models/m/labels/stable/metadata"),
            "predict": ("POST", "/v1/models/m/versions/12:predict"),
            "classify_case": ("POST", "/V1/Models/m:Classify"),
            "missing_name": ("GET", "/v1/models"), "bad_post": ("POST", "/v1/models/m/metadata"),
            "mindspore": ("POST", "/model/lenet/version/1:predict"),
            "mindspore_get": ("GET", "/model/lenet:predict")}.items():
        path("path_" + name, method, url)
    return seeds


def shm_seeds():
    """fuzz_shm: byte 0 picks a register body (0), a region name (1) or a key (2)."""
    return {
        "register": b"\x00" + json.dumps({"key": "/input_simple", "offset": 0,
                                           "byte_size": 64}).encode(),
        "register_no_offset": b"\x00" + json.dumps({"key": "/k", "byte_size": 1}).encode(),
        "register_large": b"\x00" + json.dumps({"key": "/k", "offset": 9223372036854775807,
                                                 "byte_size": 9223372036854775807}).encode(),
        "register_bad": b"\x00" + json.dumps({"key": "/../etc", "offset": -1, "byte_size": 0,
                                               "device_id": 0}).encode(),
        "register_nul": b'\x00{"key":"/a\\u0000b","byte_size":1}',
        "name": b"\x01input0_data",
        "name_slash": b"\x01in/0",
        "key": b"\x02/input_simple",
        "key_dots": b"\x02/..",
    }


# ---- TF Serving request messages (api/tensorflow_serving.proto) -------------

# DataType numbers (tensorflow/core/framework/types.proto).
TF_DTYPES = {"FP32": 1, "FP64": 2, "INT32": 3, "UINT8": 4, "INT16": 5, "INT8": 6, "INT64": 9,
             "BOOL": 10, "UINT16": 17, "UINT32": 22, "UINT64": 23, "STRING": 7}
# fuzz_tfserving_grpc.c's byte 0, bits 4-5: the message.
TFS_PREDICT, TFS_METADATA, TFS_STATUS = 0, 1, 2


def tf_tensor(dtype, shape, values=b"", content=None):
    """TensorProto: dtype 1, tensor_shape 2 (dim 2, size 1), tensor_content 4, then the
    already-encoded typed field in values."""
    shape_msg = b"".join(field_bytes(2, field_varint(1, d)) for d in shape)
    msg = field_varint(1, TF_DTYPES[dtype]) + field_bytes(2, shape_msg)
    if content is not None:
        msg += field_bytes(4, content)
    return msg + values


def tf_model_spec(name, version=None, signature=None, label=None):
    """ModelSpec: name 1, version 2 (Int64Value.value 1), signature_name 3, version_label 4."""
    msg = field_bytes(1, name)
    if version is not None:
        msg += field_bytes(2, field_varint(1, version))
    if signature is not None:
        msg += field_bytes(3, signature)
    if label is not None:
        msg += field_bytes(4, label)
    return msg


def tf_predict(spec, inputs, output_filter=()):
    """PredictRequest: model_spec 1, inputs 2 (map entries), output_filter 3."""
    msg = field_bytes(1, spec)
    for key, tensor in inputs:
        msg += map_entry(2, key, tensor)
    for name in output_filter:
        msg += field_bytes(3, name)
    return msg


def tfserving_grpc_seeds():
    """fuzz_tfserving_grpc: byte 0 config (bits 0-1), small limit (bit 2), message (bits 4-5)."""
    seeds = {}

    def case(name, kind, cfg, msg, small_limit=False):
        seeds[name] = bytes([cfg | (4 if small_limit else 0) | kind << 4]) + msg

    simple = [("x", tf_tensor("FP32", [2, 3], packed_floats(5, [0.5, 1, 2, 3, 4, 5]))),
              ("y", tf_tensor("INT64", [3], packed_varints(10, [1, (1 << 64) - 2, 3])))]
    case("predict_simple_typed", TFS_PREDICT, CFG_SIMPLE,
         tf_predict(tf_model_spec("simple", 1, "serving_default"), simple))
    case("predict_simple_content", TFS_PREDICT, CFG_SIMPLE, tf_predict(tf_model_spec("simple"), [
        ("x", tf_tensor("FP32", [2, 3], content=struct.pack("<6f", *range(6)))),
        ("y", tf_tensor("INT64", [2], content=struct.pack("<2q", 7, -7)))]), small_limit=True)
    case("predict_simple_filter_padded", TFS_PREDICT, CFG_SIMPLE, tf_predict(
        tf_model_spec("simple"), [("x", tf_tensor("FP32", [2, 3], packed_floats(5, [2.5]))),
                                  ("y", tf_tensor("INT64", [4]))], output_filter=["count"]))
    case("predict_batched_split", TFS_PREDICT, CFG_BATCHED, tf_predict(tf_model_spec("batched"), [
        ("x", tf_tensor("FP32", [6, 3], packed_floats(5, [1] * 18))),
        ("mask", tf_tensor("BOOL", [6, 2], packed_varints(11, [1, 0] * 6)))]))
    fields = {"BOOL": (11, [1, 0, 1, 1]), "UINT8": (7, [0, 1, 254, 300]),
              "INT8": (7, [0, 1, 127, (1 << 64) - 128]), "UINT16": (7, [0, 1, 2, 65535]),
              "INT16": (7, [(1 << 64) - 1, 1, 2, 3]), "UINT32": (16, [0, 1, 2, 1 << 31]),
              "INT32": (7, [0, 1, 2, 3]), "UINT64": (17, [0, 1, 1 << 63, 3]),
              "INT64": (10, [0, 1, 2, 3])}
    typed = [(dt, tf_tensor(dt, [4], packed_varints(*fields[dt]))) for dt in fields]
    typed += [("FP32", tf_tensor("FP32", [4], packed_floats(5, [0, 1.5, -2, 1e30]))),
              ("FP64", tf_tensor("FP64", [4], field_bytes(6, struct.pack("<4d", 0, 1, 2, 3))))]
    case("predict_dtypes_typed", TFS_PREDICT, CFG_DTYPES, tf_predict(tf_model_spec("dtypes"), typed))
    sizes = {"BOOL": 1, "UINT8": 1, "INT8": 1, "UINT16": 2, "INT16": 2, "UINT32": 4, "INT32": 4,
             "UINT64": 8, "INT64": 8, "FP32": 4, "FP64": 8}
    case("predict_dtypes_content", TFS_PREDICT, CFG_DTYPES, tf_predict(tf_model_spec("dtypes"), [
        (dt, tf_tensor(dt, [4], content=bytes(range(4 * sizes[dt])))) for dt in sizes]))
    case("predict_image", TFS_PREDICT, CFG_IMAGE, tf_predict(tf_model_spec("image"), [
        ("image", tf_tensor("UINT8", [9, 1, 2, 3], content=bytes(range(54))))]))
    case("predict_unknown_field", TFS_PREDICT, CFG_SIMPLE,
         tf_predict(tf_model_spec("simple"), simple) + field_bytes(7, b""))
    case("predict_string", TFS_PREDICT, CFG_SIMPLE, tf_predict(tf_model_spec("simple"), [
        ("x", tf_tensor("STRING", [1], field_bytes(8, b"abc")))]))
    case("predict_label", TFS_PREDICT, CFG_SIMPLE,
         tf_predict(tf_model_spec("simple", label="stable"), simple))
    case("metadata", TFS_METADATA, CFG_BATCHED,
         field_bytes(1, tf_model_spec("batched")) + field_bytes(2, "signature_def"))
    case("metadata_dtypes", TFS_METADATA, CFG_DTYPES,
         field_bytes(1, tf_model_spec("dtypes", 1)) + field_bytes(2, "signature_def"))
    case("metadata_no_field", TFS_METADATA, CFG_SIMPLE, field_bytes(1, tf_model_spec("simple")))
    case("status", TFS_STATUS, CFG_SIMPLE, field_bytes(1, tf_model_spec("simple")))
    case("status_version", TFS_STATUS, CFG_SIMPLE, field_bytes(1, tf_model_spec("simple", 2)))
    case("status_unknown", TFS_STATUS, CFG_SIMPLE, field_bytes(1, tf_model_spec("batched")))
    return seeds


def mindspore_seeds():
    """fuzz_mindspore: method call bodies (byte 0: config, bit 3 small limit)."""
    seeds = {}

    def body(name, cfg, value):
        seeds[name] = bytes([cfg]) + (value if isinstance(value, bytes) else json.dumps(value).encode())

    fp32 = base64.b64encode(struct.pack("<6f", *range(6))).decode()
    body("simple", CFG_SIMPLE, {"instances": [{"x": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.5]], "y": [1, -2]}]})
    body("simple_b64", CFG_SIMPLE, {"instances": {"x": {"b64": fp32, "type": "fp32", "shape": [2, 3]},
                                                  "y": {"b64": "AQAAAAAAAAA=", "type": "int64", "shape": [1]}}})
    body("batched", CFG_BATCHED, {"instances": [{"x": [1.0, 2.0, 3.0], "mask": [True, False]}] * 9})
    body("batched_mixed", CFG_BATCHED, {"instances": [
        {"x": [1.0, 2.0, 3.0], "mask": [True]}, {"x": [1, 2, 3], "mask": [True]},
        {"x": [1.0, 2.0], "mask": [True]}, {"x": None, "mask": [True]}, {"mask": [True]}]})
    body("image", CFG_IMAGE | 8, {"instances": [{"image": [[[1, 2, 3]]]}, {"image": [[[1, 2, 3], [4, 5, 6]]]}]})
    body("dtypes_b64", CFG_DTYPES, {"instances": [{"BOOL": {"b64": "AQIDBA==", "type": "bool", "shape": [4]},
                                                    "UINT8": {"b64": "AQIDBA==", "type": "uint8", "shape": [4]},
                                                    "FP32": {"b64": "AAAA", "type": "bytes"}}]})
    body("no_key", CFG_SIMPLE, {"instances": [[1, 2, 3]]})
    body("malformed", CFG_SIMPLE, b'{"instances": [{')
    return seeds


def write_all(root, kind, target, files):
    folder = os.path.join(root, kind, target)
    os.makedirs(folder, exist_ok=True)
    for name, data in sorted(files.items()):
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    corpus = {"http": http_seeds(), "http_encoding": http_encoding_seeds(),
              "rest_infer": rest_seeds(), "grpc": grpc_seeds(),
              "model": model_seeds(), "tensor_file": tensor_seeds(), "config": config_seeds(),
              "image_decoder": image_decoder_seeds(), "om_header": om_header_seeds(),
              "tfserving": tfserving_seeds(), "mindspore": mindspore_seeds(),
              "tfserving_grpc": tfserving_grpc_seeds(), "shm": shm_seeds()}
    # The run harness starts from the models that load without external files.
    corpus["model_run"] = {name: data for name, data in corpus["model"].items()
                           if not name.startswith("external")}
    for target, files in corpus.items():
        write_all(root, "corpus", target, files)
    for target, files in known_reproducers().items():
        write_all(root, "regressions", target, files)
    print("wrote %d seeds and %d reproducers under %s" % (
        sum(len(f) for f in corpus.values()),
        sum(len(f) for f in known_reproducers().values()), root))


if __name__ == "__main__":
    main()
