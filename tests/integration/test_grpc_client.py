#!/usr/bin/python3
"""The gRPC front end as a real client sees it: Debian's python3-grpcio with
stubs generated at test time by python3-grpc-tools from the project's own
api/inference.proto and api/health.proto.

Covers every RPC, every error status, streaming, deadlines (a queued request
whose deadline passes never runs), HTTP and gRPC requests batched together,
identical outputs over HTTP and gRPC, and the drain on SIGTERM.

Environment (tests/CMakeLists.txt): INFERD_BINARY, INFERD_EXAMPLE_REPOSITORY,
INFERD_PROTO_DIR.

The generated code: grpc-tools 1.14 emits the old descriptor-building style.
Debian's protobuf 3.21 runtime (the C++ implementation) accepts it; a runtime
that refuses it ("Descriptors cannot be created directly", e.g. upb) accepts
it under PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python, so the test re-runs
itself with that setting when the import fails.
"""
import concurrent.futures
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 30
CALL_TIMEOUT_S = 20
FALLBACK_ENV = "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"

failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what, flush=True)
    return cond


def generate_stubs(out_dir):
    proto_dir = os.environ["INFERD_PROTO_DIR"]
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I" + proto_dir,
                    "--python_out=" + out_dir, "--grpc_python_out=" + out_dir,
                    os.path.join(proto_dir, "inference.proto"),
                    os.path.join(proto_dir, "health.proto")], check=True)
    sys.path.insert(0, out_dir)


STUB_DIR = tempfile.mkdtemp(prefix="inferd-grpc-stubs-")
generate_stubs(STUB_DIR)
try:
    import grpc
    import health_pb2
    import health_pb2_grpc
    import inference_pb2 as pb
    import inference_pb2_grpc as pbg
except TypeError as e:
    if os.environ.get(FALLBACK_ENV) == "python":
        raise
    print("generated code needs the pure-Python protobuf runtime (%s); re-running" % e, flush=True)
    shutil.rmtree(STUB_DIR, ignore_errors=True)
    os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, **{FALLBACK_ENV: "python"}))

# The example mlp: input "input" FP32 [batch, 16] -> "probabilities" FP32 [batch, 4].
MLP_IN, MLP_OUT, MLP_WIDTH, MLP_CLASSES = "input", "probabilities", 16, 4

ONNX_FLATTEN = """
import sys, onnx
from onnx import helper, TensorProto
shape = helper.make_tensor("shape", TensorProto.INT64, [1], [-1])
node = helper.make_node("Reshape", ["x", "shape"], ["y"])
graph = helper.make_graph([node], "flatten",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n"])], [shape])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
onnx.save(model, sys.argv[1])
"""


class Server:
    """A running `inferd serve` on ephemeral loopback ports, its log read by a thread."""

    def __init__(self, repository, *extra):
        args = [os.environ["INFERD_BINARY"], "serve", "--model-repository", repository,
                "--http-port", "0", "--grpc-port", "0", "--metrics-port", "0",
                "--bind-address", "127.0.0.1", "--drain-delay-secs", "0",
                "--exit-timeout-secs", "5"] + list(extra)
        self.proc = subprocess.Popen(args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     text=True, errors="replace")
        self.log = []
        self.terminated = False
        self.lock = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        with self.lock:
            while not self._find("ready: http on ") and self.proc.poll() is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.lock.wait(left)
        ready = self._find("ready: http on ")
        grpc_line = self._find("grpc on ")
        if not ready or not grpc_line:
            self.stop()
            raise RuntimeError("server did not start:\n" + self.text())
        self.http_port = int(re.search(r"http on 127\.0\.0\.1:(\d+)", ready).group(1))
        self.metrics_port = int(re.search(r"metrics on 127\.0\.0\.1:(\d+)", ready).group(1))
        self.grpc_port = int(re.search(r"grpc on 127\.0\.0\.1:(\d+)", grpc_line).group(1))
        check(self.log.index(grpc_line) < self.log.index(ready), "the grpc line comes before ready")
        self.channel = grpc.insecure_channel("127.0.0.1:%d" % self.grpc_port)
        self.stub = pbg.GRPCInferenceServiceStub(self.channel)
        self.health = health_pb2_grpc.HealthStub(self.channel)

    def terminate(self):
        """One SIGTERM only: a second one during the drain is not part of the protocol."""
        self.terminated = True
        self.proc.send_signal(signal.SIGTERM)

    def _read(self):
        for line in self.proc.stderr:
            with self.lock:
                self.log.append(line.rstrip("\n"))
                self.lock.notify_all()
        with self.lock:
            self.lock.notify_all()

    def _find(self, needle):
        for line in self.log:
            if needle in line:
                return line
        return None

    def text(self):
        with self.lock:
            return "\n".join(self.log)

    def wait_log(self, needle, timeout_s):
        deadline = time.monotonic() + timeout_s
        with self.lock:
            while not self._find(needle):
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    return False
                self.lock.wait(min(left, 0.1))
            return True

    def stop(self):
        """SIGTERM, then the exit code; 1 at least when the log holds a sanitizer report."""
        if getattr(self, "channel", None):
            self.channel.close()
        if self.proc.poll() is None and not self.terminated:
            self.terminate()
        try:
            code = self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.reader.join(5)
        log = self.text()
        if any(mark in log for mark in ("AddressSanitizer", "runtime error", "LeakSanitizer")):
            code = code or 1
        if code != 0 or failures:
            print(log, flush=True)
            print("server exit code %d" % code, flush=True)
        return code

    def http(self, method, path, body=None):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.http_port, path),
                                     data=None if body is None else json.dumps(body).encode(),
                                     method=method, headers={"Content-Type": "application/json"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(req, timeout=CALL_TIMEOUT_S) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")


def floats(values):
    return struct.pack("<%df" % len(values), *values)


def unfloats(data):
    return list(struct.unpack("<%df" % (len(data) // 4), data))


def rows(batch, offset=0.0):
    return [((i * 7 + j * 3) % 11) / 8.0 - 0.6 + offset for i in range(batch) for j in range(MLP_WIDTH)]


def close(a, b):
    """Equal within float rounding: a row's result may differ in the last bits with the
    size of the batch it ran in (the matrix kernels block by batch size)."""
    return a is not None and b is not None and len(a) == len(b) and all(
        abs(x - y) <= 1e-6 for x, y in zip(a, b))


def infer_request(model, values, batch, raw=True, rid="", outputs=(), params=None):
    q = pb.ModelInferRequest(model_name=model, id=rid)
    t = q.inputs.add(name=MLP_IN, datatype="FP32", shape=[batch, MLP_WIDTH])
    if raw:
        q.raw_input_contents.append(floats(values))
    else:
        t.contents.fp32_contents.extend(values)
    for name in outputs:
        q.outputs.add(name=name)
    for key, value in (params or {}).items():
        q.parameters[key].int64_param = value
    return q


def expect_error(fn, code, *fragments):
    """fn() must fail with code and a message holding every fragment."""
    try:
        fn()
    except grpc.RpcError as e:
        ok = check(e.code() == code, "status %s (wanted %s): %s" % (e.code(), code, e.details()))
        for f in fragments:
            ok &= check(f in (e.details() or ""), "message %r lacks %r" % (e.details(), f))
        return ok
    check(False, "expected %s, the call succeeded (line %d)" % (code, sys._getframe(1).f_lineno))
    return False


def stats_of(server, model):
    s = server.stub.ModelStatistics(pb.ModelStatisticsRequest(name=model), timeout=CALL_TIMEOUT_S)
    return s.model_stats[0]


def write_config(repo, model, config):
    with open(os.path.join(repo, model, "config.json"), "w") as f:
        json.dump(config, f)


def make_repository():
    """The example mlp and cnn plus mlp copies configured for the tests, and a broken-split model."""
    repo = tempfile.mkdtemp(prefix="inferd-grpc-repo-")
    example = os.environ["INFERD_EXAMPLE_REPOSITORY"]
    for name in ("mlp", "cnn"):
        shutil.copytree(os.path.join(example, name), os.path.join(repo, name))
    # slow: a long queue delay, so a short deadline expires while queued.
    shutil.copytree(os.path.join(example, "mlp"), os.path.join(repo, "slow"))
    write_config(repo, "slow", {"max_batch_size": 16,
                                "dynamic_batching": {"max_queue_delay_microseconds": 1500000}})
    # mixed: one batch of 16 once 16 requests are there, from whichever protocol.
    shutil.copytree(os.path.join(example, "mlp"), os.path.join(repo, "mixed"))
    write_config(repo, "mixed", {"max_batch_size": 16, "dynamic_batching": {
        "preferred_batch_size": [16], "max_queue_delay_microseconds": 10000000}})
    # tiny: one pending request at most.
    shutil.copytree(os.path.join(example, "mlp"), os.path.join(repo, "tiny"))
    write_config(repo, "tiny", {"max_batch_size": 16, "dynamic_batching": {
        "max_queue_delay_microseconds": 1000000, "max_queue_size": 1}})
    # flatten: y = reshape(x, [-1]) loses the batch dim, so its batch cannot be split (INTERNAL).
    os.makedirs(os.path.join(repo, "flatten", "1"))
    subprocess.run([sys.executable, "-c", ONNX_FLATTEN, os.path.join(repo, "flatten", "1", "model.onnx")],
                   check=True)
    write_config(repo, "flatten", {"max_batch_size": 8})
    return repo


def test_metadata(s):
    check(s.stub.ServerLive(pb.ServerLiveRequest(), timeout=CALL_TIMEOUT_S).live, "ServerLive")
    check(s.stub.ServerReady(pb.ServerReadyRequest(), timeout=CALL_TIMEOUT_S).ready, "ServerReady")
    md = s.stub.ServerMetadata(pb.ServerMetadataRequest(), timeout=CALL_TIMEOUT_S)
    check(md.name == "inferd" and "model_repository" in md.extensions
          and "statistics" in md.extensions, "ServerMetadata: %s" % md)
    check(s.stub.ModelReady(pb.ModelReadyRequest(name="mlp"), timeout=CALL_TIMEOUT_S).ready,
          "ModelReady mlp")
    check(s.stub.ModelReady(pb.ModelReadyRequest(name="mlp", version="1"), timeout=CALL_TIMEOUT_S).ready,
          "ModelReady mlp version 1")
    # Unknown model or version: OK with ready false, as Triton answers (test_triton_parity.py).
    check(not s.stub.ModelReady(pb.ModelReadyRequest(name="nope"), timeout=CALL_TIMEOUT_S).ready,
          "ModelReady nope is false")
    check(not s.stub.ModelReady(pb.ModelReadyRequest(name="mlp", version="7"),
                                timeout=CALL_TIMEOUT_S).ready, "ModelReady mlp version 7 is false")
    expect_error(lambda: s.stub.ModelReady(pb.ModelReadyRequest(name="mlp", version="x1"),
                                           timeout=CALL_TIMEOUT_S),
                 grpc.StatusCode.INVALID_ARGUMENT, "x1")

    mm = s.stub.ModelMetadata(pb.ModelMetadataRequest(name="mlp"), timeout=CALL_TIMEOUT_S)
    check(mm.name == "mlp" and list(mm.versions) == ["1"] and mm.platform == "onnxruntime_onnx", "metadata %s" % mm)
    check([(t.name, t.datatype, list(t.shape)) for t in mm.inputs] == [(MLP_IN, "FP32", [-1, MLP_WIDTH])],
          "metadata inputs %s" % mm.inputs)
    check([(t.name, t.datatype, list(t.shape)) for t in mm.outputs] == [(MLP_OUT, "FP32", [-1, MLP_CLASSES])],
          "metadata outputs %s" % mm.outputs)
    status, rest = s.http("GET", "/v2/models/mlp")
    check(status == 200 and rest["inputs"][0]["shape"] == list(mm.inputs[0].shape), "REST metadata agrees")
    expect_error(lambda: s.stub.ModelMetadata(pb.ModelMetadataRequest(name="nope"), timeout=CALL_TIMEOUT_S),
                 grpc.StatusCode.NOT_FOUND)

    cfg = s.stub.ModelConfig(pb.ModelConfigRequest(name="mixed"), timeout=CALL_TIMEOUT_S).config
    check(cfg.name == "mixed" and cfg.platform == "onnxruntime_onnx" and cfg.backend == "onnxruntime" and cfg.max_batch_size == 16, "config %s" % cfg)
    check(len(cfg.input) == 1 and cfg.input[0].name == MLP_IN and cfg.input[0].data_type == pb.TYPE_FP32
          and list(cfg.input[0].dims) == [MLP_WIDTH], "config input %s" % cfg.input)
    check(len(cfg.output) == 1 and cfg.output[0].data_type == pb.TYPE_FP32
          and list(cfg.output[0].dims) == [MLP_CLASSES], "config output %s" % cfg.output)
    check(cfg.WhichOneof("scheduling_choice") == "dynamic_batching"
          and list(cfg.dynamic_batching.preferred_batch_size) == [16]
          and cfg.dynamic_batching.max_queue_delay_microseconds == 10000000, "config batching %s" % cfg)
    check(cfg.instance_group[0].count == 1 and cfg.instance_group[0].kind == pb.ModelInstanceGroup.KIND_CPU,
          "config instances %s" % cfg.instance_group)
    check(cfg.version_policy.WhichOneof("policy_choice") == "latest", "config version policy")
    expect_error(lambda: s.stub.ModelConfig(pb.ModelConfigRequest(name="nope"), timeout=CALL_TIMEOUT_S),
                 grpc.StatusCode.NOT_FOUND)

    index = s.stub.RepositoryIndex(pb.RepositoryIndexRequest(), timeout=CALL_TIMEOUT_S)
    names = {m.name: m for m in index.models}
    check(set(names) >= {"mlp", "cnn", "slow", "mixed", "tiny", "flatten"}, "index %s" % index)
    check(names["mlp"].state == "READY" and names["mlp"].version == "1", "index entry %s" % names["mlp"])
    ready = s.stub.RepositoryIndex(pb.RepositoryIndexRequest(ready=True), timeout=CALL_TIMEOUT_S)
    check(all(m.state == "READY" for m in ready.models), "ready-only index")

    h = s.health.Check(health_pb2.HealthCheckRequest(), timeout=CALL_TIMEOUT_S)
    check(h.status == health_pb2.HealthCheckResponse.SERVING, "health SERVING")
    h = s.health.Check(health_pb2.HealthCheckRequest(service="inference.GRPCInferenceService"),
                       timeout=CALL_TIMEOUT_S)
    check(h.status == health_pb2.HealthCheckResponse.SERVING, "health SERVING for the service")
    expect_error(lambda: s.health.Check(health_pb2.HealthCheckRequest(service="nope"), timeout=CALL_TIMEOUT_S),
                 grpc.StatusCode.NOT_FOUND, "nope")
    unknown = s.channel.unary_unary("/inference.GRPCInferenceService/TraceSetting")
    expect_error(lambda: unknown(b"", timeout=CALL_TIMEOUT_S), grpc.StatusCode.UNIMPLEMENTED,
                 "TraceSetting")


def test_infer_outputs(s):
    """Raw and typed gRPC inputs and the REST JSON request give the same bits."""
    batch = 3
    values = rows(batch)
    raw = s.stub.ModelInfer(infer_request("mlp", values, batch, rid="raw-1"), timeout=CALL_TIMEOUT_S)
    check(raw.model_name == "mlp" and raw.model_version == "1" and raw.id == "raw-1", "response header")
    check(len(raw.outputs) == 1 and raw.outputs[0].name == MLP_OUT and raw.outputs[0].datatype == "FP32"
          and list(raw.outputs[0].shape) == [batch, MLP_CLASSES], "response output %s" % raw.outputs)
    check(len(raw.raw_output_contents) == 1, "one raw output")
    got_raw = unfloats(raw.raw_output_contents[0])
    typed = s.stub.ModelInfer(infer_request("mlp", values, batch, raw=False, outputs=[MLP_OUT]),
                              timeout=CALL_TIMEOUT_S)
    got_typed = unfloats(typed.raw_output_contents[0])
    status, rest = s.http("POST", "/v2/models/mlp/infer", {"inputs": [
        {"name": MLP_IN, "shape": [batch, MLP_WIDTH], "datatype": "FP32", "data": values}]})
    check(status == 200, "REST infer %s %s" % (status, rest))
    got_rest = unfloats(floats(rest["outputs"][0]["data"])) if status == 200 else []
    check(len(got_raw) == batch * MLP_CLASSES, "output size")
    check(got_raw == got_typed, "raw and typed inputs give the same outputs")
    check(got_raw == got_rest, "gRPC and REST give the same outputs:\n%s\n%s" % (got_raw, got_rest))
    for r in range(batch):
        check(abs(sum(got_raw[r * MLP_CLASSES:(r + 1) * MLP_CLASSES]) - 1) < 1e-5, "softmax row sums to 1")
    # The first row alone gives the first row of the batch (the batch is split exactly).
    one = s.stub.ModelInfer(infer_request("mlp", values[:MLP_WIDTH], 1), timeout=CALL_TIMEOUT_S)
    check(unfloats(one.raw_output_contents[0]) == got_raw[:MLP_CLASSES], "row 0 alone")
    # A 200 KB message reaches the server in several slices, which are joined before unpacking.
    long_id = "".join(chr(ord("a") + i % 26) for i in range(200000))
    big = s.stub.ModelInfer(infer_request("mlp", values, batch, rid=long_id), timeout=CALL_TIMEOUT_S)
    check(big.id == long_id and unfloats(big.raw_output_contents[0]) == got_raw, "a message of several slices")
    # Priority and timeout parameters are accepted; version "1" names the version.
    q = infer_request("mlp", values, batch, params={"priority": 1, "timeout": 5000000})
    q.model_version = "1"
    check(unfloats(s.stub.ModelInfer(q, timeout=CALL_TIMEOUT_S).raw_output_contents[0]) == got_raw,
          "with parameters and version")


def test_infer_errors(s):
    call = lambda q: s.stub.ModelInfer(q, timeout=CALL_TIMEOUT_S)
    v = rows(1)
    expect_error(lambda: call(infer_request("nope", v, 1)), grpc.StatusCode.NOT_FOUND, "nope")
    q = infer_request("mlp", v, 1)
    q.model_version = "9"
    expect_error(lambda: call(q), grpc.StatusCode.NOT_FOUND, "9")
    q = infer_request("mlp", v, 1)
    q.inputs[0].shape[1] = 15
    expect_error(lambda: call(q), grpc.StatusCode.INVALID_ARGUMENT, "shape[1] is 15", "expects 16")
    q = infer_request("mlp", v, 1)
    q.inputs[0].datatype = "INT32"
    expect_error(lambda: call(q), grpc.StatusCode.INVALID_ARGUMENT, "INT32", "FP32")
    q = infer_request("mlp", v, 1)
    q.inputs[0].name = "other"
    expect_error(lambda: call(q), grpc.StatusCode.INVALID_ARGUMENT, "unknown input 'other'")
    q = infer_request("mlp", v, 1)
    q.raw_input_contents[0] = q.raw_input_contents[0][:-4]
    expect_error(lambda: call(q), grpc.StatusCode.INVALID_ARGUMENT, "raw_input_contents[0] has 60 bytes")
    q = infer_request("mlp", v, 1)
    q.inputs[0].contents.fp32_contents.extend(v)
    expect_error(lambda: call(q), grpc.StatusCode.INVALID_ARGUMENT, "both contents and raw_input_contents")
    q = infer_request("mlp", v, 1, raw=False)
    q.inputs[0].contents.fp32_contents.append(1.0)
    expect_error(lambda: call(q), grpc.StatusCode.INVALID_ARGUMENT, "fp32_contents has 17 elements")
    q = infer_request("mlp", v, 1, raw=False)
    q.inputs[0].contents.int_contents.append(1)
    expect_error(lambda: call(q), grpc.StatusCode.INVALID_ARGUMENT, "contents.int_contents")
    q = pb.ModelInferRequest(model_name="mlp")
    q.inputs.add(name=MLP_IN, datatype="FP32", shape=[1, MLP_WIDTH])
    expect_error(lambda: call(q), grpc.StatusCode.INVALID_ARGUMENT, "neither contents nor raw_input_contents")
    expect_error(lambda: call(pb.ModelInferRequest(model_name="mlp")), grpc.StatusCode.INVALID_ARGUMENT,
                 "missing input 'input'")
    expect_error(lambda: call(infer_request("mlp", v, 1, outputs=["nope"])),
                 grpc.StatusCode.INVALID_ARGUMENT, "unknown output 'nope'")
    expect_error(lambda: call(infer_request("mlp", rows(33), 33)), grpc.StatusCode.INVALID_ARGUMENT,
                 "exceeds max_batch_size 32")
    expect_error(lambda: call(infer_request("mlp", v, 1, params={"priority": 9})),
                 grpc.StatusCode.INVALID_ARGUMENT, "parameters.priority 9")
    expect_error(lambda: call(infer_request("mlp", v, 1, params={"timeout": -1})),
                 grpc.StatusCode.INVALID_ARGUMENT, "parameters.timeout")
    # Not protobuf at all.
    raw_call = s.channel.unary_unary("/inference.GRPCInferenceService/ModelInfer")
    expect_error(lambda: raw_call(b"\xff\xff\xff", timeout=CALL_TIMEOUT_S), grpc.StatusCode.INVALID_ARGUMENT,
                 "not a valid inference.ModelInferRequest")
    # Over the message limit (--max-body-bytes 1048576 for this server).
    q = infer_request("mlp", v, 1)
    q.raw_input_contents[0] = b"\0" * (2 << 20)
    expect_error(lambda: call(q), grpc.StatusCode.RESOURCE_EXHAUSTED, "more than --max-body-bytes (1048576)")
    # One byte over the limit is refused; at the limit exactly, the message is read (and found wrong).
    for size, code, fragment in ((1048577, grpc.StatusCode.RESOURCE_EXHAUSTED, "is 1048577 bytes"),
                                 (1048576, grpc.StatusCode.INVALID_ARGUMENT, "raw_input_contents[0] has")):
        q = infer_request("mlp", v, 1)
        q.raw_input_contents[0] = b"\0" * (size - q.ByteSize())
        # The field's length prefix grew by a few bytes.
        q.raw_input_contents[0] = b"\0" * (len(q.raw_input_contents[0]) - (q.ByteSize() - size))
        check(q.ByteSize() == size, "a message of %d bytes: %d" % (size, q.ByteSize()))
        expect_error(lambda: call(q), code, fragment)
    # The model's output cannot be split between requests: the server's fault.
    q = pb.ModelInferRequest(model_name="flatten")
    q.inputs.add(name="x", datatype="FP32", shape=[1, 4]).contents.fp32_contents.extend([1, 2, 3, 4])
    expect_error(lambda: call(q), grpc.StatusCode.INTERNAL, "cannot be split")


def test_queue_full(s):
    """tiny holds one pending request for a second; the next one finds the queue full."""
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        first = pool.submit(s.stub.ModelInfer, infer_request("tiny", rows(1), 1), timeout=CALL_TIMEOUT_S)
        time.sleep(0.3)
        expect_error(lambda: s.stub.ModelInfer(infer_request("tiny", rows(1), 1), timeout=CALL_TIMEOUT_S),
                     grpc.StatusCode.RESOURCE_EXHAUSTED, "queue is full")
        check(len(first.result().raw_output_contents) == 1, "the queued request still runs")


def test_deadline(s):
    """slow waits 1.5 s for company; a 0.3 s deadline expires in the queue and never runs."""
    before = stats_of(s, "slow")
    expect_error(lambda: s.stub.ModelInfer(infer_request("slow", rows(1), 1), timeout=0.3),
                 grpc.StatusCode.DEADLINE_EXCEEDED)
    time.sleep(2.0)
    after = stats_of(s, "slow")
    check(after.execution_count == before.execution_count, "the expired request did not run")
    check(after.inference_stats.fail.count == before.inference_stats.fail.count + 1,
          "the expired request counts as failed: %s" % after.inference_stats)
    # A deadline long enough runs normally (after the queue delay).
    r = s.stub.ModelInfer(infer_request("slow", rows(1), 1), timeout=10)
    check(len(r.raw_output_contents) == 1, "a request within its deadline runs")


def test_stream(s):
    values = rows(2)
    expected = unfloats(s.stub.ModelInfer(infer_request("mlp", values, 2), timeout=CALL_TIMEOUT_S)
                        .raw_output_contents[0])
    bad_shape = infer_request("mlp", values, 2, rid="bad-shape")
    bad_shape.inputs[0].shape[1] = 3

    def requests():
        for i in range(20):
            yield infer_request("mlp", values, 2, raw=(i % 2 == 0), rid="s%d" % i)
        yield infer_request("nope", values, 2, rid="bad-model")
        yield bad_shape
        # Over --max-body-bytes: answered with an error, unread (so without its id); the stream goes on.
        too_big = infer_request("mlp", values, 2, rid="too-big")
        too_big.raw_input_contents[0] = b"\0" * (2 << 20)
        yield too_big
        yield infer_request("mlp", values, 2, rid="after-too-big")

    answers = {}
    for resp in s.stub.ModelStreamInfer(requests(), timeout=CALL_TIMEOUT_S):
        answers[resp.infer_response.id] = resp
    check(len(answers) == 24, "one answer per request: %s" % sorted(answers))
    for rid in ["s%d" % i for i in range(20)] + ["after-too-big"]:
        a = answers.get(rid)
        if check(a is not None and a.error_message == "", "stream answer %s" % rid):
            check(a.infer_response.model_name == "mlp" and a.infer_response.model_version == "1",
                  "stream answer header")
            check(close(unfloats(a.infer_response.raw_output_contents[0]), expected), "stream output %s" % rid)
    check("more than --max-body-bytes (1048576)" in answers.get("", pb.ModelStreamInferResponse()).error_message,
          "stream error for a message over the limit")
    check("unknown model 'nope'" in answers.get("bad-model", pb.ModelStreamInferResponse()).error_message,
          "stream error for an unknown model")
    check("shape[1] is 3" in answers.get("bad-shape", pb.ModelStreamInferResponse()).error_message,
          "stream error for a bad shape")
    # An empty stream ends at once with OK.
    check(list(s.stub.ModelStreamInfer(iter(()), timeout=CALL_TIMEOUT_S)) == [], "empty stream")
    # Several streams at once, each answered completely.
    def one_stream(k):
        reqs = [infer_request("mlp", values, 2, rid="%d-%d" % (k, i)) for i in range(10)]
        return sorted(r.infer_response.id for r in s.stub.ModelStreamInfer(iter(reqs), timeout=CALL_TIMEOUT_S))
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for k, ids in enumerate(pool.map(one_stream, range(4))):
            check(ids == sorted("%d-%d" % (k, i) for i in range(10)), "concurrent stream %d: %s" % (k, ids))


def test_mixed_batching(s):
    """8 gRPC and 8 HTTP requests to "mixed" (preferred batch 16, 10 s delay) run as one batch."""
    before = stats_of(s, "mixed")
    values = rows(1)

    def via_grpc(i):
        r = s.stub.ModelInfer(infer_request("mixed", values, 1, rid="g%d" % i), timeout=CALL_TIMEOUT_S)
        return unfloats(r.raw_output_contents[0])

    def via_http(i):
        status, body = s.http("POST", "/v2/models/mixed/infer", {"id": "h%d" % i, "inputs": [
            {"name": MLP_IN, "shape": [1, MLP_WIDTH], "datatype": "FP32", "data": values}]})
        return unfloats(floats(body["outputs"][0]["data"])) if status == 200 else None

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        futures = [pool.submit(via_grpc, i) for i in range(8)] + [pool.submit(via_http, i) for i in range(8)]
        results = [f.result() for f in futures]
    elapsed = time.monotonic() - start
    after = stats_of(s, "mixed")
    requests = after.inference_count - before.inference_count
    executions = after.execution_count - before.execution_count
    check(requests == 16, "16 requests counted, got %d" % requests)
    check(executions == 1, "HTTP and gRPC requests ran as one batch (executions %d)" % executions)
    check(elapsed < 8, "the preferred batch ran before the 10 s delay (%.1f s)" % elapsed)
    check(all(close(r, results[0]) for r in results), "every protocol got the same output: %s" % results)
    sizes = {b.batch_size: b.compute_infer.count for b in after.batch_stats}
    check(sizes.get(16, 0) >= 1, "a batch of 16 in batch_stats: %s" % sizes)


def test_statistics(s):
    all_stats = s.stub.ModelStatistics(pb.ModelStatisticsRequest(), timeout=CALL_TIMEOUT_S)
    check({m.name for m in all_stats.model_stats} >= {"mlp", "cnn"}, "statistics of every model")
    mlp = stats_of(s, "mlp")
    check(mlp.version == "1" and mlp.inference_count > 0 and mlp.last_inference > 0, "mlp statistics %s" % mlp)
    check(mlp.inference_stats.success.count > 0, "mlp successes")
    status, rest = s.http("GET", "/v2/models/mlp/stats")
    check(status == 200 and rest["model_stats"][0]["inference_count"] >= mlp.inference_count,
          "REST statistics agree")
    expect_error(lambda: s.stub.ModelStatistics(pb.ModelStatisticsRequest(name="nope"), timeout=CALL_TIMEOUT_S),
                 grpc.StatusCode.NOT_FOUND, "nope")


def test_repository_control(repo):
    """Explicit mode: load, infer, unload (then UNAVAILABLE), and the mode check."""
    s = Server(repo, "--model-control-mode", "explicit")
    try:
        # In the repository but not loaded: not ready, as after an unload.
        expect_error(lambda: s.stub.ModelInfer(infer_request("mlp", rows(1), 1), timeout=CALL_TIMEOUT_S),
                     grpc.StatusCode.UNAVAILABLE, "not loaded")
        check(not s.stub.ModelReady(pb.ModelReadyRequest(name="mlp"), timeout=CALL_TIMEOUT_S).ready,
              "not ready before load")
        s.stub.RepositoryModelLoad(pb.RepositoryModelLoadRequest(model_name="mlp"), timeout=CALL_TIMEOUT_S)
        check(s.stub.ModelReady(pb.ModelReadyRequest(name="mlp"), timeout=CALL_TIMEOUT_S).ready, "loaded")
        r = s.stub.ModelInfer(infer_request("mlp", rows(1), 1), timeout=CALL_TIMEOUT_S)
        check(len(r.raw_output_contents) == 1, "infer after load")
        s.stub.RepositoryModelUnload(pb.RepositoryModelUnloadRequest(model_name="mlp"), timeout=CALL_TIMEOUT_S)
        check(not s.stub.ModelReady(pb.ModelReadyRequest(name="mlp"), timeout=CALL_TIMEOUT_S).ready,
              "not ready after unload")
        expect_error(lambda: s.stub.ModelInfer(infer_request("mlp", rows(1), 1), timeout=CALL_TIMEOUT_S),
                     grpc.StatusCode.UNAVAILABLE, "not ready")
        expect_error(lambda: s.stub.RepositoryModelLoad(pb.RepositoryModelLoadRequest(model_name="nope"),
                                                        timeout=CALL_TIMEOUT_S), grpc.StatusCode.NOT_FOUND)
    finally:
        check(s.stop() == 0, "explicit-mode server exits 0")
    s = Server(repo)
    try:
        expect_error(lambda: s.stub.RepositoryModelLoad(pb.RepositoryModelLoadRequest(model_name="mlp"),
                                                        timeout=CALL_TIMEOUT_S),
                     grpc.StatusCode.INVALID_ARGUMENT, "explicit")
    finally:
        check(s.stop() == 0, "server exits 0")


def test_drain(repo):
    """SIGTERM: NOT_SERVING and not ready at once while requests still run, then a clean exit."""
    s = Server(repo, "--drain-delay-secs", "2")
    try:
        s.terminate()
        check(s.wait_log("not ready", 10), "the server logged its drain")
        h = s.health.Check(health_pb2.HealthCheckRequest(), timeout=CALL_TIMEOUT_S)
        check(h.status == health_pb2.HealthCheckResponse.NOT_SERVING, "NOT_SERVING while draining")
        check(not s.stub.ServerReady(pb.ServerReadyRequest(), timeout=CALL_TIMEOUT_S).ready,
              "not ready while draining")
        check(s.stub.ServerLive(pb.ServerLiveRequest(), timeout=CALL_TIMEOUT_S).live, "live while draining")
        r = s.stub.ModelInfer(infer_request("mlp", rows(1), 1), timeout=CALL_TIMEOUT_S)
        check(len(r.raw_output_contents) == 1, "requests still run during the drain delay")
        # A request queued on "slow" when the server stops accepting still completes.
        slow = s.channel.unary_unary("/inference.GRPCInferenceService/ModelInfer",
                                     request_serializer=pb.ModelInferRequest.SerializeToString,
                                     response_deserializer=pb.ModelInferResponse.FromString)
        pending = slow.future(infer_request("slow", rows(1), 1), timeout=CALL_TIMEOUT_S)
        check(len(pending.result().raw_output_contents) == 1, "in-flight request answered during the drain")
    finally:
        check(s.stop() == 0, "drained server exits 0")


def main():
    repo = make_repository()
    try:
        s = Server(repo, "--max-body-bytes", "1048576")
        try:
            test_metadata(s)
            test_infer_outputs(s)
            test_infer_errors(s)
            test_queue_full(s)
            test_deadline(s)
            test_stream(s)
            test_mixed_batching(s)
            test_statistics(s)
        finally:
            check(s.stop() == 0, "server exits 0")
        test_repository_control(repo)
        test_drain(repo)
    finally:
        shutil.rmtree(repo, ignore_errors=True)
        shutil.rmtree(STUB_DIR, ignore_errors=True)
    print("%s: %d failure(s)" % (os.path.basename(__file__), failures), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
