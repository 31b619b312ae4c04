#!/usr/bin/python3
"""Triton's system shared memory extension against the real `inferd serve`, with
Python's http.client and Debian's grpcio (tritonclient is not packaged):

1. The extension is advertised (system_shared_memory) over REST and gRPC.
2. Register, status and unregister over both protocols, and every way a
   registration can be wrong: unknown, malformed and path-like keys, objects
   that are not shared memory, a zero size, windows past the object's end or
   past 2^63, a name registered twice (ALREADY_EXISTS), bad bodies.
3. Inference with inputs and outputs in regions, on REST JSON, REST binary,
   gRPC ModelInfer and ModelStreamInfer, mixed with inputs and outputs in the
   body: outputs read back from the regions equal numpy's (exactly for a model
   of Add, Sub and Not written here; to float rounding for the example mlp
   against its float64 evaluation), the answers carry the region, offset and
   bytes written and no data, and BOOL bytes other than 0 and 1 read as true.
4. Hostile use: unknown regions, negative, overflowing and out-of-window
   offsets and sizes, sizes that do not match the tensor, outputs larger than
   their window, objects shrunk after registration, all refused with 400 or
   INVALID_ARGUMENT naming the region and the value, after which other
   requests are answered as before; an object unlinked after registration
   still works. Inputs in shared memory count against --max-body-bytes.
5. A region unregistered (and its name registered again elsewhere) while a
   request that writes into it waits in the queue: the request completes
   into the object it named.
6. CUDA shared memory is answered as unsupported, saying so.
7. Request parameters and body keys inferd does not serve are refused.
8. The metrics count the regions and the bytes they carried.

The server runs with the shared-memory category restricted, so every
register, status and unregister call also shows the header is needed.

Environment (tests/CMakeLists.txt): INFERD_BINARY, INFERD_EXAMPLE_REPOSITORY,
INFERD_PROTO_DIR.
"""
import http.client
import itertools
import json
import os
import re
import shutil
import struct
import sys
import tempfile
import threading
import time

import numpy as np
import onnx
from onnx import TensorProto, helper

from inferd_server import (CALL_TIMEOUT_S, MLP_IN, MLP_OUT, MLP_WIDTH, Checks, Server, grpc,
                           matches, mlp_repository, mlp_rows, pb, pbg)

check = Checks()

# The restricted-API header of the shared-memory category.
ADMIN_HEADER, ADMIN_VALUE = "x-shm-admin", "shm-admin-5e1f"
ADMIN = {ADMIN_HEADER: ADMIN_VALUE}
ADMIN_MD = [(ADMIN_HEADER, ADMIN_VALUE)]
# The model written here: sum = a + b, diff = a - b (FP32 [n, 8]), notx = Not(x) (BOOL [n, 4]).
ARITH, ARITH_WIDTH, ARITH_FLAGS = "arith", 8, 4
# The same model with a long queue delay: a request waits in the queue for company.
SLOW, SLOW_DELAY_US = "slow", 1500000
# An Identity of FP32 [n, 2048] (8 KiB a row), and the server's body limit: two rows in shared
# memory are exactly the limit, three are over it.
WIDE, WIDE_WIDTH, BODY_LIMIT = "wide", 2048, 16384
# Where glibc's shm_open keeps its objects: the client side creates them there.
SHM_DIR = "/dev/shm"
_serial = itertools.count()


class ShmObject:
    """A POSIX shared memory object as a client creates one (shm_open is a file in /dev/shm)."""

    def __init__(self, size):
        self.name = "inferd-test-%d-%d" % (os.getpid(), next(_serial))
        self.key = "/" + self.name
        self.path = os.path.join(SHM_DIR, self.name)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        os.ftruncate(self.fd, size)

    def write(self, offset, data):
        data = bytes(data)
        check(os.pwrite(self.fd, data, offset) == len(data), "client write")

    def read(self, offset, n):
        return os.pread(self.fd, n, offset)

    def truncate(self, size):
        os.ftruncate(self.fd, size)

    def unlink(self):
        if os.path.exists(self.path):
            os.unlink(self.path)

    def close(self):
        self.unlink()
        os.close(self.fd)


# ---- helpers -----------------------------------------------------------------------

def rest(port, method, path, body=None, headers=None):
    """(status, headers with lower-case names, raw body)."""
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


def expect_rest_error(result, status, *fragments):
    got, body = result
    message = (body or {}).get("error", "") if isinstance(body, dict) else ""
    ok = check(got == status, "HTTP status %s (wanted %s): %s" % (got, status, body))
    for f in fragments:
        ok &= check(f in message, "HTTP message %r lacks %r" % (message, f))
    return ok


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


def register(port, name, obj, offset, byte_size, headers=ADMIN):
    return rest_json(port, "POST", "/v2/systemsharedmemory/region/%s/register" % name,
                     {"key": obj.key, "offset": offset, "byte_size": byte_size}, headers)


def unregister(port, name=None):
    path = ("/v2/systemsharedmemory/region/%s/unregister" % name if name
            else "/v2/systemsharedmemory/unregister")
    return rest_json(port, "POST", path, None, ADMIN)


def shm_params(region, byte_size, offset=None):
    p = {"shared_memory_region": region, "shared_memory_byte_size": byte_size}
    if offset is not None:
        p["shared_memory_offset"] = offset
    return p


def grpc_shm(params, region, byte_size, offset=None):
    """Sets the shared memory parameters on a gRPC input's or output's parameter map."""
    params["shared_memory_region"].string_param = region
    params["shared_memory_byte_size"].int64_param = byte_size
    if offset is not None:
        params["shared_memory_offset"].int64_param = offset


def arith_inputs(rows, seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(-100, 100, size=(rows, ARITH_WIDTH)).astype(np.float32)
    b = rng.uniform(-100, 100, size=(rows, ARITH_WIDTH)).astype(np.float32)
    # Bytes other than 0 and 1 are true: the server reads them as 1.
    x = rng.choice(np.array([0, 1, 2, 255], dtype=np.uint8), size=(rows, ARITH_FLAGS))
    return a, b, x


def arith_reference(a, b, x):
    return a + b, a - b, (x == 0)


def write_repository(tmp):
    """mlp (the example), arith, and slow (arith with a long queue delay)."""
    repo, reference = mlp_repository(tmp)
    graph = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["sum"]),
         helper.make_node("Sub", ["a", "b"], ["diff"]),
         helper.make_node("Not", ["x"], ["notx"])],
        ARITH,
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["n", ARITH_WIDTH]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, ["n", ARITH_WIDTH]),
         helper.make_tensor_value_info("x", TensorProto.BOOL, ["n", ARITH_FLAGS])],
        [helper.make_tensor_value_info("sum", TensorProto.FLOAT, ["n", ARITH_WIDTH]),
         helper.make_tensor_value_info("diff", TensorProto.FLOAT, ["n", ARITH_WIDTH]),
         helper.make_tensor_value_info("notx", TensorProto.BOOL, ["n", ARITH_FLAGS])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    wide = helper.make_model(helper.make_graph(
        [helper.make_node("Identity", ["w"], ["same"])], WIDE,
        [helper.make_tensor_value_info("w", TensorProto.FLOAT, ["n", WIDE_WIDTH])],
        [helper.make_tensor_value_info("same", TensorProto.FLOAT, ["n", WIDE_WIDTH])]),
        opset_imports=[helper.make_opsetid("", 13)])
    wide.ir_version = 8
    os.makedirs(os.path.join(repo, WIDE, "1"))
    onnx.save(wide, os.path.join(repo, WIDE, "1", "model.onnx"))
    with open(os.path.join(repo, WIDE, "config.json"), "w") as f:
        json.dump({"max_batch_size": 4}, f)
    for name, config in ((ARITH, {"max_batch_size": 8}),
                         (SLOW, {"max_batch_size": 8, "dynamic_batching": {
                             "max_queue_delay_microseconds": SLOW_DELAY_US}})):
        os.makedirs(os.path.join(repo, name, "1"))
        onnx.save(model, os.path.join(repo, name, "1", "model.onnx"))
        with open(os.path.join(repo, name, "config.json"), "w") as f:
            json.dump(config, f)
    return repo, reference


def shm_metrics(port):
    """(regions registered, input bytes read, output bytes written) from /metrics."""
    _, _, data = rest(port, "GET", "/metrics")
    text = data.decode()
    out = []
    for pattern in (r"inferd_shared_memory_regions (\d+)",
                    r'inferd_shared_memory_bytes_total\{direction="input"\} (\d+)',
                    r'inferd_shared_memory_bytes_total\{direction="output"\} (\d+)'):
        m = re.search(pattern, text)
        out.append(int(m.group(1)) if m else None)
    return tuple(out)


# ---- 1, 2: extension, registry ------------------------------------------------------

def test_metadata(s, st):
    _, md = rest_json(s.http_port, "GET", "/v2")
    check("system_shared_memory" in md.get("extensions", []), "REST extensions: %s" % md)
    check("cuda_shared_memory" not in md.get("extensions", []), "no CUDA extension: %s" % md)
    md = st.ServerMetadata(pb.ServerMetadataRequest(), timeout=CALL_TIMEOUT_S)
    check("system_shared_memory" in md.extensions, "gRPC extensions: %s" % list(md.extensions))


def test_rest_registry(s, objs):
    port = s.http_port
    obj = ShmObject(4096)
    objs.append(obj)
    # The shared-memory category is restricted: nothing without the header.
    expect_rest_error(register(port, "r1", obj, 0, 64, headers={}), 403, "shared-memory",
                      ADMIN_HEADER)
    expect_rest_error(rest_json(port, "GET", "/v2/systemsharedmemory/status"), 403)
    check(register(port, "r1", obj, 0, 64) == (200, {}), "register r1")
    check(register(port, "r2", obj, 1000, 3096)[0] == 200, "register r2 at the end of the object")
    status, body = rest_json(port, "GET", "/v2/systemsharedmemory/status", headers=ADMIN)
    want = sorted([{"name": "r1", "key": obj.key, "offset": 0, "byte_size": 64},
                   {"name": "r2", "key": obj.key, "offset": 1000, "byte_size": 3096}],
                  key=lambda r: r["name"])
    check(status == 200 and sorted(body, key=lambda r: r["name"]) == want,
          "status of every region: %s %s" % (status, body))
    status, body = rest_json(port, "GET", "/v2/systemsharedmemory/region/r2/status",
                             headers=ADMIN)
    check(status == 200 and body == [want[1]], "status of r2: %s %s" % (status, body))
    expect_rest_error(rest_json(port, "GET", "/v2/systemsharedmemory/region/nope/status",
                                headers=ADMIN), 404, "no shared memory region 'nope'")
    expect_rest_error(rest_json(port, "POST", "/v2/systemsharedmemory/status", headers=ADMIN),
                      405)

    # Every way a registration can be wrong.
    expect_rest_error(register(port, "r1", obj, 0, 64), 400, "'r1' is already registered")
    missing = "/inferd-test-%d-missing" % os.getpid()
    expect_rest_error(rest_json(port, "POST", "/v2/systemsharedmemory/region/x/register",
                                {"key": missing, "offset": 0, "byte_size": 8}, ADMIN),
                      400, missing, "No such file or directory")
    for key, fragment in (("no-slash", "must be '/'"), ("/a/b", "not a path"),
                          ("/..", "is not an object"), ("/", "must be '/'"),
                          ("/" + "k" * 255, "1 to 254 characters")):
        expect_rest_error(rest_json(port, "POST", "/v2/systemsharedmemory/region/x/register",
                                    {"key": key, "byte_size": 8}, ADMIN), 400, fragment)
    expect_rest_error(register(port, "x", obj, 0, 0), 400, "byte_size must be at least 1")
    expect_rest_error(register(port, "x", obj, -1, 8), 400, "offset must be a non-negative")
    expect_rest_error(register(port, "x", obj, 4000, 97), 400, "'x'",
                      "offset + byte_size = 4097 runs past the end", "(4096 bytes)")
    expect_rest_error(register(port, "x", obj, 2 ** 63 - 1, 2 ** 63 - 1), 400,
                      "past the largest object size")
    expect_rest_error(rest_json(port, "POST", "/v2/systemsharedmemory/region/x/register",
                                {"key": obj.key, "byte_size": 8, "device_id": 0}, ADMIN),
                      400, "unknown field 'device_id'")
    expect_rest_error(rest_json(port, "POST", "/v2/systemsharedmemory/region/x/register",
                                b"{\"key\":", ADMIN), 400, "register body must be a JSON object")
    expect_rest_error(rest_json(port, "POST", "/v2/systemsharedmemory/region/%s/register"
                                % ("n" * 129), {"key": obj.key, "byte_size": 8}, ADMIN),
                      400, "1 to 128 characters")
    # Not a shared memory object: a directory, a FIFO (no waiting for a writer), a symlink.
    d = os.path.join(SHM_DIR, "inferd-test-%d-dir" % os.getpid())
    os.mkdir(d)
    fifo = d + "-fifo"
    os.mkfifo(fifo)
    link = d + "-link"
    os.symlink(obj.name, link)
    try:
        for path in (d, fifo, link):
            expect_rest_error(rest_json(port, "POST", "/v2/systemsharedmemory/region/x/register",
                                        {"key": "/" + os.path.basename(path), "byte_size": 1},
                                        ADMIN), 400, os.path.basename(path))
    finally:
        os.rmdir(d)
        os.unlink(fifo)
        os.unlink(link)

    # Unregister one, unregister twice (no error, as in Triton), then all.
    expect_rest_error(rest_json(port, "POST", "/v2/systemsharedmemory/region/r1/unregister",
                                {"x": 1}, ADMIN), 400, "no body")
    check(unregister(port, "r1") == (200, {}), "unregister r1")
    check(unregister(port, "r1")[0] == 200, "unregister r1 again")
    expect_rest_error(rest_json(port, "GET", "/v2/systemsharedmemory/region/r1/status",
                                headers=ADMIN), 404)
    check(register(port, "r1", obj, 8, 8)[0] == 200, "the name is free again")
    check(unregister(port)[0] == 200, "unregister every region")
    check(rest_json(port, "GET", "/v2/systemsharedmemory/status", headers=ADMIN) == (200, []),
          "no region left")


def test_grpc_registry(s, st, objs):
    obj = ShmObject(256)
    objs.append(obj)
    req = pb.SystemSharedMemoryRegisterRequest(name="g1", key=obj.key, offset=16, byte_size=128)
    expect_grpc_error(lambda: st.SystemSharedMemoryRegister(req, timeout=CALL_TIMEOUT_S),
                      grpc.StatusCode.PERMISSION_DENIED, "shared-memory")
    st.SystemSharedMemoryRegister(req, metadata=ADMIN_MD, timeout=CALL_TIMEOUT_S)
    expect_grpc_error(lambda: st.SystemSharedMemoryRegister(req, metadata=ADMIN_MD,
                                                            timeout=CALL_TIMEOUT_S),
                      grpc.StatusCode.ALREADY_EXISTS, "'g1' is already registered")
    bad = pb.SystemSharedMemoryRegisterRequest(name="g2", key=obj.key, offset=200, byte_size=57)
    expect_grpc_error(lambda: st.SystemSharedMemoryRegister(bad, metadata=ADMIN_MD,
                                                            timeout=CALL_TIMEOUT_S),
                      grpc.StatusCode.INVALID_ARGUMENT, "'g2'", "257 runs past the end")
    bad = pb.SystemSharedMemoryRegisterRequest(name="g2", key=obj.key, offset=2 ** 64 - 1,
                                               byte_size=2)
    expect_grpc_error(lambda: st.SystemSharedMemoryRegister(bad, metadata=ADMIN_MD,
                                                            timeout=CALL_TIMEOUT_S),
                      grpc.StatusCode.INVALID_ARGUMENT, "past the largest object size")
    bad = pb.SystemSharedMemoryRegisterRequest(name="", key=obj.key, byte_size=2)
    expect_grpc_error(lambda: st.SystemSharedMemoryRegister(bad, metadata=ADMIN_MD,
                                                            timeout=CALL_TIMEOUT_S),
                      grpc.StatusCode.INVALID_ARGUMENT, "region name must be 1 to 128")
    r = st.SystemSharedMemoryStatus(pb.SystemSharedMemoryStatusRequest(), metadata=ADMIN_MD,
                                    timeout=CALL_TIMEOUT_S)
    check(list(r.regions) == ["g1"] and r.regions["g1"].key == obj.key and
          r.regions["g1"].offset == 16 and r.regions["g1"].byte_size == 128 and
          r.regions["g1"].name == "g1", "gRPC status: %s" % r)
    expect_grpc_error(lambda: st.SystemSharedMemoryStatus(
        pb.SystemSharedMemoryStatusRequest(name="nope"), metadata=ADMIN_MD,
        timeout=CALL_TIMEOUT_S), grpc.StatusCode.NOT_FOUND, "'nope'")
    # The two protocols share one registry.
    status, body = rest_json(s.http_port, "GET", "/v2/systemsharedmemory/region/g1/status",
                             headers=ADMIN)
    check(status == 200 and body[0]["offset"] == 16, "gRPC's region over REST: %s" % body)
    st.SystemSharedMemoryUnregister(pb.SystemSharedMemoryUnregisterRequest(name="g1"),
                                    metadata=ADMIN_MD, timeout=CALL_TIMEOUT_S)
    st.SystemSharedMemoryUnregister(pb.SystemSharedMemoryUnregisterRequest(name="g1"),
                                    metadata=ADMIN_MD, timeout=CALL_TIMEOUT_S)
    r = st.SystemSharedMemoryStatus(pb.SystemSharedMemoryStatusRequest(), metadata=ADMIN_MD,
                                    timeout=CALL_TIMEOUT_S)
    check(len(r.regions) == 0, "gRPC unregister: %s" % r)


# ---- 3: inference ----------------------------------------------------------------

def test_rest_json(s, reference, objs):
    """mlp: input in one region at an offset, output in another; answers checked against numpy."""
    port = s.http_port
    obj_in, obj_out = ShmObject(8192), ShmObject(512)
    objs += [obj_in, obj_out]
    x = mlp_rows(5, seed=11)
    check(register(port, "mlp_in", obj_in, 4096, 4096)[0] == 200, "register mlp_in")
    check(register(port, "mlp_out", obj_out, 0, 512)[0] == 200, "register mlp_out")
    obj_in.write(4096 + 100, x.astype("<f4").tobytes())
    obj_out.write(0, b"\xee" * 512)
    body = {"id": "json-1",
            "inputs": [{"name": MLP_IN, "shape": [5, MLP_WIDTH], "datatype": "FP32",
                        "parameters": shm_params("mlp_in", x.nbytes, 100)}],
            "outputs": [{"name": MLP_OUT,
                         "parameters": shm_params("mlp_out", 400, 32)}]}
    status, answer = rest_json(port, "POST", "/v2/models/mlp/infer", body)
    check(status == 200, "mlp with shared memory: %s %s" % (status, answer))
    if status != 200:
        return
    out = answer["outputs"][0]
    check(out["name"] == MLP_OUT and out["datatype"] == "FP32" and out["shape"] == [5, 4] and
          "data" not in out, "output entry: %s" % out)
    check(out.get("parameters") == {"shared_memory_region": "mlp_out",
                                    "shared_memory_offset": 32, "shared_memory_byte_size": 80},
          "output parameters: %s" % out.get("parameters"))
    got = np.frombuffer(obj_out.read(32, 80), dtype="<f4").astype(np.float64).reshape(5, 4)
    check(matches(got, reference(x)), "mlp output from shared memory:\n%s\n%s" % (got,
                                                                                  reference(x)))
    check(obj_out.read(0, 32) == b"\xee" * 32 and obj_out.read(112, 400) == b"\xee" * 400,
          "nothing written outside the output's bytes")


def test_rest_binary(s, objs):
    """arith over REST binary: a and x from regions, b as binary data; sum to a region, diff
    binary, notx JSON. Exact against numpy."""
    port = s.http_port
    obj = ShmObject(4096)
    objs.append(obj)
    rows = 3
    a, b, x = arith_inputs(rows, seed=3)
    want_sum, want_diff, want_notx = arith_reference(a, b, x)
    check(register(port, "arith", obj, 0, 4096)[0] == 200, "register arith")
    obj.write(0, a.tobytes())
    obj.write(512, x.tobytes())
    header = json.dumps({
        "inputs": [
            {"name": "a", "shape": [rows, ARITH_WIDTH], "datatype": "FP32",
             "parameters": shm_params("arith", a.nbytes)},
            {"name": "b", "shape": [rows, ARITH_WIDTH], "datatype": "FP32",
             "parameters": {"binary_data_size": b.nbytes}},
            {"name": "x", "shape": [rows, ARITH_FLAGS], "datatype": "BOOL",
             "parameters": shm_params("arith", x.nbytes, 512)}],
        "outputs": [{"name": "sum", "parameters": shm_params("arith", 1024, 1024)},
                    {"name": "diff", "parameters": {"binary_data": True}},
                    {"name": "notx"}]}).encode()
    status, hdrs, data = rest(port, "POST", "/v2/models/arith/infer", header + b.tobytes(),
                              {"Inference-Header-Content-Length": str(len(header)),
                               "Content-Type": "application/octet-stream"})
    check(status == 200, "arith over REST binary: %s %s" % (status, data[:300]))
    if status != 200:
        return
    json_len = int(hdrs.get("inference-header-content-length", "0"))
    answer = json.loads(data[:json_len])
    outs = {o["name"]: o for o in answer["outputs"]}
    check(outs["sum"].get("parameters", {}).get("shared_memory_byte_size") == a.nbytes and
          "data" not in outs["sum"], "sum entry: %s" % outs["sum"])
    check(outs["diff"].get("parameters") == {"binary_data_size": a.nbytes},
          "diff entry: %s" % outs["diff"])
    check(len(data) == json_len + a.nbytes, "only diff's bytes follow the JSON")
    got_sum = np.frombuffer(obj.read(1024, a.nbytes), dtype="<f4").reshape(rows, ARITH_WIDTH)
    got_diff = np.frombuffer(data[json_len:], dtype="<f4").reshape(rows, ARITH_WIDTH)
    check(np.array_equal(got_sum, want_sum), "sum from shared memory is a + b")
    check(np.array_equal(got_diff, want_diff), "binary diff is a - b")
    check(outs["notx"]["data"] == want_notx.flatten().tolist(),
          "notx (BOOL read from shared memory): %s vs %s" % (outs["notx"]["data"], want_notx))


def grpc_arith_request(model, rows, region, a, b, x):
    """a in the region at 0, x at 512; b raw (the one raw entry); sum into the region at 1024
    and notx at 2048; diff raw."""
    q = pb.ModelInferRequest(model_name=model, id="grpc-shm")
    ta = q.inputs.add(name="a", datatype="FP32", shape=[rows, ARITH_WIDTH])
    grpc_shm(ta.parameters, region, a.nbytes)
    q.inputs.add(name="b", datatype="FP32", shape=[rows, ARITH_WIDTH])
    q.raw_input_contents.append(b.tobytes())
    tx = q.inputs.add(name="x", datatype="BOOL", shape=[rows, ARITH_FLAGS])
    grpc_shm(tx.parameters, region, x.nbytes, 512)
    grpc_shm(q.outputs.add(name="sum").parameters, region, 1024, 1024)
    q.outputs.add(name="diff")
    grpc_shm(q.outputs.add(name="notx").parameters, region, 64, 2048)
    return q


def check_grpc_arith(resp, obj, rows, a, b, x, what):
    want_sum, want_diff, want_notx = arith_reference(a, b, x)
    outs = [o.name for o in resp.outputs]
    check(outs == ["sum", "diff", "notx"] and len(resp.raw_output_contents) == 3,
          "%s: outputs %s, %d raw entries" % (what, outs, len(resp.raw_output_contents)))
    if len(resp.raw_output_contents) != 3:
        return
    check(resp.raw_output_contents[0] == b"" and resp.raw_output_contents[2] == b"",
          "%s: outputs in shared memory have empty raw entries" % what)
    p = resp.outputs[0].parameters
    check(p["shared_memory_region"].string_param == "grpc" and
          p["shared_memory_offset"].int64_param == 1024 and
          p["shared_memory_byte_size"].int64_param == a.nbytes, "%s: sum parameters %s" % (what, p))
    got_sum = np.frombuffer(obj.read(1024, a.nbytes), dtype="<f4").reshape(rows, ARITH_WIDTH)
    got_diff = np.frombuffer(resp.raw_output_contents[1], dtype="<f4").reshape(rows, ARITH_WIDTH)
    got_notx = np.frombuffer(obj.read(2048, x.nbytes), dtype=np.uint8).reshape(rows, ARITH_FLAGS)
    check(np.array_equal(got_sum, want_sum), "%s: sum from shared memory" % what)
    check(np.array_equal(got_diff, want_diff), "%s: raw diff" % what)
    check(np.array_equal(got_notx, want_notx.astype(np.uint8)),
          "%s: notx from shared memory %s vs %s" % (what, got_notx, want_notx))


def test_grpc_infer(s, st, objs):
    obj = ShmObject(4096)
    objs.append(obj)
    rows = 4
    a, b, x = arith_inputs(rows, seed=4)
    st.SystemSharedMemoryRegister(pb.SystemSharedMemoryRegisterRequest(
        name="grpc", key=obj.key, offset=0, byte_size=4096), metadata=ADMIN_MD,
        timeout=CALL_TIMEOUT_S)
    obj.write(0, a.tobytes())
    obj.write(512, x.tobytes())
    resp = st.ModelInfer(grpc_arith_request(ARITH, rows, "grpc", a, b, x), timeout=CALL_TIMEOUT_S)
    check_grpc_arith(resp, obj, rows, a, b, x, "ModelInfer")

    # ModelStreamInfer: the same, twice on one stream, with new inputs each time.
    a2, b2, x2 = arith_inputs(rows, seed=5)
    obj.write(0, a2.tobytes())
    obj.write(512, x2.tobytes())
    answers = list(st.ModelStreamInfer(
        iter([grpc_arith_request(ARITH, rows, "grpc", a2, b2, x2)]), timeout=CALL_TIMEOUT_S))
    check(len(answers) == 1 and answers[0].error_message == "", "stream answer: %s" % answers)
    if answers:
        check_grpc_arith(answers[0].infer_response, obj, rows, a2, b2, x2, "ModelStreamInfer")
    bad = grpc_arith_request(ARITH, rows, "grpc", a2, b2, x2)
    bad.inputs[0].parameters["shared_memory_offset"].int64_param = 4000
    answers = list(st.ModelStreamInfer(iter([bad]), timeout=CALL_TIMEOUT_S))
    check(len(answers) == 1 and "offset 4000 + byte_size 128 runs past its 4096 bytes" in
          answers[0].error_message, "stream error: %s" % answers)


# ---- 4: hostile use -----------------------------------------------------------------

def mlp_shm_body(region, byte_size, offset=None, out=None):
    body = {"inputs": [{"name": MLP_IN, "shape": [1, MLP_WIDTH], "datatype": "FP32",
                        "parameters": shm_params(region, byte_size, offset)}]}
    if out:
        body["outputs"] = [{"name": MLP_OUT, "parameters": out}]
    return body


def test_hostile(s, st, reference, objs):
    port = s.http_port
    obj = ShmObject(1024)
    objs.append(obj)
    x = mlp_rows(1, seed=21)
    obj.write(256, x.tobytes())
    check(register(port, "h", obj, 256, 512)[0] == 200, "register h")
    infer = lambda body: rest_json(port, "POST", "/v2/models/mlp/infer", body)
    ok = infer(mlp_shm_body("h", 64))
    check(ok[0] == 200 and matches(np.asarray(ok[1]["outputs"][0]["data"]).reshape(1, 4),
                                   reference(x)), "input from h, output in JSON: %s" % (ok,))

    expect_rest_error(infer(mlp_shm_body("nope", 64)), 400, "input 'input'",
                      "no shared memory region 'nope' is registered")
    expect_rest_error(infer(mlp_shm_body("h", 64, -64)), 400, "shared_memory_offset",
                      "a negative one")
    expect_rest_error(infer(mlp_shm_body("h", 64, 449)), 400, "region 'h'",
                      "offset 449 + byte_size 64 runs past its 512 bytes")
    expect_rest_error(infer(mlp_shm_body("h", 64, 2 ** 63 - 1)), 400, "offset 9223372036854775807")
    expect_rest_error(infer(mlp_shm_body("h", 63)), 400, "shared_memory_byte_size is 63 bytes",
                      "needs 64")
    expect_rest_error(infer(mlp_shm_body("h", -64)), 400, "shared_memory_byte_size",
                      "a negative one")
    expect_rest_error(infer(mlp_shm_body("h", 2 ** 63 - 1)), 400, "needs 64")
    expect_rest_error(infer({"inputs": [{"name": MLP_IN, "shape": [1, MLP_WIDTH],
                                         "datatype": "FP32",
                                         "parameters": {"shared_memory_region": "h"}}]}),
                      400, "needs parameters.shared_memory_byte_size")
    # Outputs: the window must exist and hold the result (16 bytes here).
    expect_rest_error(infer(mlp_shm_body("h", 64, None, shm_params("h", 16, 497))), 400,
                      "output 'probabilities'", "offset 497 + byte_size 16 runs past")
    expect_rest_error(infer(mlp_shm_body("h", 64, None, shm_params("h", 15, 64))), 400,
                      "output 'probabilities' is 16 bytes", "more than the shared_memory_byte_size "
                      "15 given for it in region 'h'")
    expect_rest_error(infer(mlp_shm_body("h", 64, None, dict(shm_params("h", 16), classification=2))),
                      400, "classification", "cannot go together")

    # gRPC: the same checks, INVALID_ARGUMENT.
    q = pb.ModelInferRequest(model_name="mlp")
    t = q.inputs.add(name=MLP_IN, datatype="FP32", shape=[1, MLP_WIDTH])
    grpc_shm(t.parameters, "h", 64, 449)
    expect_grpc_error(lambda: st.ModelInfer(q, timeout=CALL_TIMEOUT_S),
                      grpc.StatusCode.INVALID_ARGUMENT, "offset 449 + byte_size 64 runs past")
    grpc_shm(t.parameters, "h", 64, -1)
    expect_grpc_error(lambda: st.ModelInfer(q, timeout=CALL_TIMEOUT_S),
                      grpc.StatusCode.INVALID_ARGUMENT, "shared_memory_offset must be a non-negative")
    t.parameters["shared_memory_offset"].uint64_param = 2 ** 64 - 1
    expect_grpc_error(lambda: st.ModelInfer(q, timeout=CALL_TIMEOUT_S),
                      grpc.StatusCode.INVALID_ARGUMENT, "offset 18446744073709551615")
    grpc_shm(t.parameters, "h", 64, 0)
    grpc_shm(q.outputs.add(name=MLP_OUT).parameters, "h", 8)
    expect_grpc_error(lambda: st.ModelInfer(q, timeout=CALL_TIMEOUT_S),
                      grpc.StatusCode.INVALID_ARGUMENT, "is 16 bytes", "more than")

    # The client shrinks the object: every use checks its size again.
    obj.truncate(300)
    expect_rest_error(infer(mlp_shm_body("h", 64)), 400, "region 'h'", "is now 300 bytes",
                      "shrank")
    obj.truncate(1024)
    obj.write(256, x.tobytes())
    out = ShmObject(64)
    objs.append(out)
    check(register(port, "hout", out, 0, 64)[0] == 200, "register hout")
    out.truncate(8)
    expect_rest_error(infer(mlp_shm_body("h", 64, None, shm_params("hout", 16))), 400,
                      "output 'probabilities'", "region 'hout'", "is now 8 bytes")
    # Unlinked by the client: the server still holds the object.
    out.truncate(64)
    out.unlink()
    status, answer = infer(mlp_shm_body("h", 64, None, shm_params("hout", 16)))
    got = np.frombuffer(out.read(0, 16), dtype="<f4").astype(np.float64).reshape(1, 4)
    check(status == 200 and matches(got, reference(x)), "an unlinked object: %s %s" % (status, got))
    # Other requests are answered as before.
    status, answer = rest_json(port, "POST", "/v2/models/mlp/infer",
                               {"inputs": [{"name": MLP_IN, "shape": [1, MLP_WIDTH],
                                            "datatype": "FP32", "data": x.flatten().tolist()}]})
    check(status == 200 and matches(np.asarray(answer["outputs"][0]["data"]).reshape(1, 4),
                                    reference(x)), "a plain request after the hostile ones")
    unregister(port, "h")
    unregister(port, "hout")


def test_body_limit(s, st, objs):
    """Inputs read from shared memory count as the request's body (--max-body-bytes)."""
    port = s.http_port
    obj = ShmObject(4 * 4 * WIDE_WIDTH)
    objs.append(obj)
    w = np.arange(3 * WIDE_WIDTH, dtype=np.float32).reshape(3, WIDE_WIDTH)
    obj.write(0, w.tobytes())
    check(register(port, "wide", obj, 0, 4 * 4 * WIDE_WIDTH)[0] == 200, "register wide")

    def body(rows):
        return {"inputs": [{"name": "w", "shape": [rows, WIDE_WIDTH], "datatype": "FP32",
                            "parameters": shm_params("wide", rows * 4 * WIDE_WIDTH)}],
                "outputs": [{"name": "same", "parameters": shm_params(
                    "wide", rows * 4 * WIDE_WIDTH, rows * 4 * WIDE_WIDTH)}]}

    status, answer = rest_json(port, "POST", "/v2/models/%s/infer" % WIDE, body(2))
    got = np.frombuffer(obj.read(2 * 4 * WIDE_WIDTH, 2 * 4 * WIDE_WIDTH), dtype=np.float32)
    check(status == 200 and np.array_equal(got, w[:2].flatten()),
          "two rows, exactly the limit: %s %s" % (status, answer))
    expect_rest_error(rest_json(port, "POST", "/v2/models/%s/infer" % WIDE, body(3)), 413,
                      "total 24576 bytes", "limit of %d" % BODY_LIMIT, "--max-body-bytes")
    q = pb.ModelInferRequest(model_name=WIDE)
    grpc_shm(q.inputs.add(name="w", datatype="FP32", shape=[3, WIDE_WIDTH]).parameters, "wide",
             3 * 4 * WIDE_WIDTH)
    expect_grpc_error(lambda: st.ModelInfer(q, timeout=CALL_TIMEOUT_S),
                      grpc.StatusCode.RESOURCE_EXHAUSTED, "total 24576 bytes")
    unregister(port, "wide")


# ---- 5: unregistered while in use -----------------------------------------------------

def test_unregister_in_use(s, objs):
    """A request to the slow model waits in the queue with its output region held; the region
    is unregistered, its object unlinked, and its name registered again on another object."""
    port = s.http_port
    first, second = ShmObject(256), ShmObject(256)
    objs += [first, second]
    a, b, x = arith_inputs(1, seed=8)
    want_sum = a + b
    first.write(0, b"\x55" * 256)
    second.write(0, b"\x77" * 256)
    check(register(port, "busy", first, 0, 256)[0] == 200, "register busy")
    body = {"inputs": [{"name": "a", "shape": [1, ARITH_WIDTH], "datatype": "FP32",
                        "data": a.flatten().tolist()},
                       {"name": "b", "shape": [1, ARITH_WIDTH], "datatype": "FP32",
                        "data": b.flatten().tolist()},
                       {"name": "x", "shape": [1, ARITH_FLAGS], "datatype": "BOOL",
                        "data": [bool(v) for v in x.flatten()]}],
            "outputs": [{"name": "sum", "parameters": shm_params("busy", 32, 64)}]}
    result = {}

    def run():
        result["answer"] = rest_json(port, "POST", "/v2/models/%s/infer" % SLOW, body)

    started = time.monotonic()
    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(0.4)
    check(unregister(port, "busy")[0] == 200, "unregister busy while a request holds it")
    first.unlink()
    check(register(port, "busy", second, 0, 256)[0] == 200, "busy again, on another object")
    worker.join(CALL_TIMEOUT_S)
    waited = time.monotonic() - started
    status, answer = result.get("answer", (None, None))
    check(status == 200, "the queued request completes: %s %s" % (status, answer))
    check(waited >= SLOW_DELAY_US / 1e6 * 0.9, "it waited in the queue (%.2f s)" % waited)
    got = np.frombuffer(first.read(64, 32), dtype="<f4").reshape(1, ARITH_WIDTH)
    check(np.array_equal(got, want_sum), "written into the object it named")
    check(second.read(0, 256) == b"\x77" * 256, "the new region's object is untouched")
    unregister(port, "busy")


# ---- 6, 7: CUDA, parameters ----------------------------------------------------------------

def test_cuda(s, st):
    port = s.http_port
    for method, path in (("GET", "/v2/cudasharedmemory/status"),
                         ("GET", "/v2/cudasharedmemory/region/c/status"),
                         ("POST", "/v2/cudasharedmemory/region/c/register"),
                         ("POST", "/v2/cudasharedmemory/unregister"),
                         ("POST", "/v2/cudasharedmemory/region/c/unregister")):
        body = {"raw_handle": {"b64": "AAAA"}, "device_id": 0, "byte_size": 8} \
            if path.endswith("register") else None
        expect_rest_error(rest_json(port, method, path, body, ADMIN), 501,
                          "CUDA shared memory is not supported")
    for call, req in ((st.CudaSharedMemoryStatus, pb.CudaSharedMemoryStatusRequest()),
                      (st.CudaSharedMemoryRegister, pb.CudaSharedMemoryRegisterRequest(
                          name="c", raw_handle=b"\0" * 64, device_id=0, byte_size=8)),
                      (st.CudaSharedMemoryUnregister, pb.CudaSharedMemoryUnregisterRequest())):
        expect_grpc_error(lambda: call(req, metadata=ADMIN_MD, timeout=CALL_TIMEOUT_S),
                          grpc.StatusCode.UNIMPLEMENTED, "CUDA shared memory is not supported")


def test_parameters(s, st):
    """Nothing a client sends is silently ignored."""
    port = s.http_port
    x = mlp_rows(1, seed=30)
    plain = {"inputs": [{"name": MLP_IN, "shape": [1, MLP_WIDTH], "datatype": "FP32",
                         "data": x.flatten().tolist()}]}
    infer = lambda body: rest_json(port, "POST", "/v2/models/mlp/infer", body)
    expect_rest_error(infer(dict(plain, parameters={"sequence_id": 5, "sequence_start": True})),
                      400, "no sequence batcher")
    expect_rest_error(infer(dict(plain, parameters={"custom": 1})), 400,
                      "unknown request parameter 'custom'")
    expect_rest_error(infer(dict(plain, model_name="mlp")), 400, "unknown key 'model_name'")
    check(infer(dict(plain, parameters={"sequence_id": 0, "sequence_start": False,
                                        "sequence_end": False, "priority": 0}))[0] == 200,
          "sequence parameters asking for no sequence are accepted")
    expect_rest_error(rest_json(port, "POST", "/v2/repository/index", {"ready": True, "x": 1}),
                      400, "unknown key 'x' in the index body")
    q = pb.ModelInferRequest(model_name="mlp")
    q.inputs.add(name=MLP_IN, datatype="FP32", shape=[1, MLP_WIDTH])
    q.raw_input_contents.append(x.tobytes())
    q.parameters["sequence_id"].int64_param = 3
    expect_grpc_error(lambda: st.ModelInfer(q, timeout=CALL_TIMEOUT_S),
                      grpc.StatusCode.INVALID_ARGUMENT, "parameters.sequence_id")
    del q.parameters["sequence_id"]
    q.parameters["binary_data_output"].bool_param = True
    expect_grpc_error(lambda: st.ModelInfer(q, timeout=CALL_TIMEOUT_S),
                      grpc.StatusCode.INVALID_ARGUMENT,
                      "unknown request parameter 'binary_data_output'")
    for call, req in ((st.RepositoryIndex, pb.RepositoryIndexRequest(repository_name="other")),
                      (st.RepositoryModelLoad, pb.RepositoryModelLoadRequest(
                          repository_name="other", model_name="mlp")),
                      (st.RepositoryModelUnload, pb.RepositoryModelUnloadRequest(
                          repository_name="other", model_name="mlp"))):
        expect_grpc_error(lambda: call(req, timeout=CALL_TIMEOUT_S),
                          grpc.StatusCode.INVALID_ARGUMENT, "repository_name 'other'")


def main():
    tmp = tempfile.mkdtemp(prefix="inferd-shm-")
    objs = []
    s = None
    try:
        repo, reference = write_repository(tmp)
        s = Server(repo, "--max-body-bytes", str(BODY_LIMIT), "--http-restricted-api",
                   "shared-memory:%s=%s" % (ADMIN_HEADER, ADMIN_VALUE),
                   "--grpc-restricted-protocol",
                   "shared-memory:%s=%s" % (ADMIN_HEADER, ADMIN_VALUE))
        channel = grpc.insecure_channel("127.0.0.1:%d" % s.grpc_port)
        st = pbg.GRPCInferenceServiceStub(channel)
        try:
            test_metadata(s, st)
            test_rest_registry(s, objs)
            test_grpc_registry(s, st, objs)
            before = shm_metrics(s.metrics_port)
            test_rest_json(s, reference, objs)
            test_rest_binary(s, objs)
            test_grpc_infer(s, st, objs)
            after = shm_metrics(s.metrics_port)
            # 8. Four regions registered since; bytes read: mlp 5 x 64, arith 96 + 12 (REST)
            # and twice 128 + 16 (gRPC); written: 80, 96, and twice 128 + 16.
            check(before[0] == 0 and after[0] == 4, "regions registered: %s %s" % (before, after))
            check(after[1] - before[1] == 320 + 108 + 2 * 144,
                  "input bytes read: %s then %s" % (before, after))
            check(after[2] - before[2] == 80 + 96 + 2 * 144,
                  "output bytes written: %s then %s" % (before, after))
            test_hostile(s, st, reference, objs)
            test_body_limit(s, st, objs)
            test_unregister_in_use(s, objs)
            test_cuda(s, st)
            test_parameters(s, st)
        finally:
            channel.close()
    finally:
        if s:
            check(s.stop() == 0, "server exits 0 (no sanitizer report)")
        for obj in objs:
            obj.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d check(s) failed" % check.failures if check.failures else "all checks passed")
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
