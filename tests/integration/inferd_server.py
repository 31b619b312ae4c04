"""What the TLS and restricted-API tests share (not a test itself): gRPC stubs
generated at import from api/*.proto, `inferd serve` on ephemeral loopback
ports with its log collected, and the example mlp evaluated with numpy from
its ONNX file, so that answers are checked against an independent reference.

Environment (tests/CMakeLists.txt): INFERD_BINARY, INFERD_EXAMPLE_REPOSITORY,
INFERD_PROTO_DIR.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import onnx
from onnx import numpy_helper

START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 60
CALL_TIMEOUT_S = 20
FALLBACK_ENV = "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"
SANITIZER_MARKS = ("AddressSanitizer", "runtime error", "LeakSanitizer")
# INFERD_* variables that are not settings of `inferd serve`: they pass through.
KEPT_VARIABLES = ("INFERD_BINARY", "INFERD_MAX_ISA", "INFERD_CACHE_BYTES")

# The example mlp: input "input" FP32 [batch, 16] -> "probabilities" FP32 [batch, 4].
MLP_IN, MLP_OUT, MLP_WIDTH, MLP_CLASSES = "input", "probabilities", 16, 4
# The server's float32 answer against numpy's float64 one: rounding only.
OUTPUT_TOLERANCE = 1e-5


def generate_stubs(*protos):
    """Python stubs of api/<protos> (grpc_tools), in a new temporary folder put on sys.path
    (the caller removes it); their google/protobuf imports are the runtime's own."""
    out_dir = tempfile.mkdtemp(prefix="inferd-test-stubs-")
    proto_dir = os.environ["INFERD_PROTO_DIR"]
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I" + proto_dir,
                    "--python_out=" + out_dir, "--grpc_python_out=" + out_dir] +
                   [os.path.join(proto_dir, p) for p in protos], check=True)
    sys.path.insert(0, out_dir)
    return out_dir


def rerun_with_python_protobuf(error, stub_dir):
    """grpc-tools 1.14 emits old-style descriptors; some protobuf runtimes take them only in
    the pure-Python implementation (see test_grpc_client.py): importing stubs raised error,
    so the test runs again under it. Returns only if it already did (by raising)."""
    if os.environ.get(FALLBACK_ENV) == "python":
        raise error
    print("generated code needs the pure-Python protobuf runtime (%s); re-running" % error,
          flush=True)
    shutil.rmtree(stub_dir, ignore_errors=True)
    os.execve(sys.executable, [sys.executable] + sys.argv,
              dict(os.environ, **{FALLBACK_ENV: "python"}))


_STUB_DIR = generate_stubs("inference.proto", "health.proto")
try:
    import grpc
    import health_pb2
    import health_pb2_grpc
    import inference_pb2 as pb
    import inference_pb2_grpc as pbg
except TypeError as e:
    rerun_with_python_protobuf(e, _STUB_DIR)


class Checks:
    """Counts failed checks; a test exits 1 when any failed."""

    def __init__(self):
        self.failures = 0

    def __call__(self, cond, what):
        if not cond:
            self.failures += 1
            print("FAIL:", what, flush=True)
        return cond


class MlpReference:
    """The example mlp (Gemm, Relu, Softmax) evaluated in float64 from its ONNX file."""

    def __init__(self, path):
        model = onnx.load(path)
        self.weights = {t.name: numpy_helper.to_array(t).astype(np.float64)
                        for t in model.graph.initializer}
        self.nodes = list(model.graph.node)
        self.input = model.graph.input[0].name
        self.output = model.graph.output[0].name

    def __call__(self, x):
        values = {self.input: np.asarray(x, dtype=np.float64)}
        for node in self.nodes:
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            args = [values[n] if n in values else self.weights[n] for n in node.input]
            if node.op_type == "Gemm":
                a = args[0].T if attrs.get("transA") else args[0]
                b = args[1].T if attrs.get("transB") else args[1]
                out = attrs.get("alpha", 1.0) * (a @ b)
                if len(args) > 2:
                    out = out + attrs.get("beta", 1.0) * args[2]
            elif node.op_type == "Relu":
                out = np.maximum(args[0], 0)
            elif node.op_type == "Softmax":
                axis = attrs.get("axis", -1)
                e = np.exp(args[0] - args[0].max(axis=axis, keepdims=True))
                out = e / e.sum(axis=axis, keepdims=True)
            else:
                raise RuntimeError("the reference has no %s" % node.op_type)
            values[node.output[0]] = out
        return values[self.output]


def mlp_repository(tmp):
    """A repository holding only the example mlp (quick to load), and its reference."""
    dst = os.path.join(tmp, "models")
    shutil.copytree(os.path.join(os.environ["INFERD_EXAMPLE_REPOSITORY"], "mlp"),
                    os.path.join(dst, "mlp"))
    return dst, MlpReference(os.path.join(dst, "mlp", "1", "model.onnx"))


def hold_mlp_requests(repo, us):
    """Makes repo's mlp hold a lone request us microseconds (its batching delay) before running
    it, so that a test can act while a request is in the server."""
    path = os.path.join(repo, "mlp", "config.json")
    with open(path) as f:
        cfg = json.load(f)
    cfg["dynamic_batching"]["max_queue_delay_microseconds"] = us
    with open(path, "w") as f:
        json.dump(cfg, f)


def settled(measure, seconds, until=lambda v: not v, every_s=0.05):
    """measure() once until(value) holds (by default, once it is 0), or after seconds."""
    deadline = time.monotonic() + seconds
    value = measure()
    while not until(value) and time.monotonic() < deadline:
        time.sleep(every_s)
        value = measure()
    return value


def mlp_rows(batch, seed):
    """batch input rows of the mlp, different for each seed."""
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.0, 1.0, size=(batch, MLP_WIDTH)).astype(np.float32)


def infer_json(x):
    """The REST infer body for mlp rows x."""
    return {"inputs": [{"name": MLP_IN, "shape": list(x.shape), "datatype": "FP32",
                        "data": x.flatten().tolist()}]}


def infer_message(x):
    """The gRPC ModelInferRequest for mlp rows x (raw contents)."""
    q = pb.ModelInferRequest(model_name="mlp")
    q.inputs.add(name=MLP_IN, datatype="FP32", shape=list(x.shape))
    q.raw_input_contents.append(x.astype("<f4").tobytes())
    return q


def json_outputs(body):
    """The mlp output of a REST infer answer, as an array."""
    out = body["outputs"][0]
    return np.asarray(out["data"], dtype=np.float64).reshape(out["shape"])


def message_outputs(resp):
    """The mlp output of a ModelInferResponse, as an array."""
    out = resp.outputs[0]
    return np.frombuffer(resp.raw_output_contents[0], dtype="<f4").astype(np.float64).reshape(
        list(out.shape))


def matches(got, want):
    return got is not None and got.shape == want.shape and bool(
        np.all(np.abs(got - want) <= OUTPUT_TOLERANCE))


def server_env(extra):
    """This environment without the `inferd serve` settings (INFERD_*) a developer may have
    exported, plus extra."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("INFERD_") or k in KEPT_VARIABLES}
    env.update(extra or {})
    return env


class Server:
    """`inferd serve` on ephemeral loopback ports; its stderr collected by a thread."""

    def __init__(self, repository, *extra, env=None):
        args = [os.environ["INFERD_BINARY"], "serve", "--model-repository", repository,
                "--http-port", "0", "--grpc-port", "0", "--metrics-port", "0",
                "--bind-address", "127.0.0.1", "--drain-delay-secs", "0",
                "--exit-timeout-secs", "5"] + list(extra)
        full_env = server_env(env)
        self.proc = subprocess.Popen(args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     env=full_env, text=True, errors="replace")
        self.log = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if not self.wait_log("ready: http on ", START_TIMEOUT_S):
            self.stop(quiet=True)
            raise RuntimeError("server did not start:\n" + self.text())
        ready = self.find("ready: http on ")
        self.http_port = int(re.search(r"http on 127\.0\.0\.1:(\d+)", ready).group(1))
        self.metrics_port = int(re.search(r"metrics on 127\.0\.0\.1:(\d+)", ready).group(1))
        self.grpc_port = int(re.search(r"grpc on 127\.0\.0\.1:(\d+)",
                                       self.find("grpc on ")).group(1))

    def _read(self):
        for line in self.proc.stderr:
            with self.cond:
                self.log.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def find(self, needle, start=0):
        with self.cond:
            for line in self.log[start:]:
                if needle in line:
                    return line
        return None

    def lines(self):
        with self.cond:
            return len(self.log)

    def text(self):
        with self.cond:
            return "\n".join(self.log)

    def text_since(self, start):
        """The log from line index start on."""
        with self.cond:
            return "\n".join(self.log[start:])

    def wait_log(self, needle, timeout_s, start=0):
        """True once a log line from index start on holds needle."""
        deadline = time.monotonic() + timeout_s
        with self.cond:
            while not any(needle in line for line in self.log[start:]):
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    return False
                self.cond.wait(min(left, 0.1))
            return True

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, quiet=False):
        """SIGTERM, then the exit code; at least 1 when the log holds a sanitizer report."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.reader.join(5)
        if any(mark in self.text() for mark in SANITIZER_MARKS):
            code = code or 1
        if code != 0 and not quiet:
            print(self.text(), "\nserver exit code %d" % code, flush=True)
        return code


def run_serve(repository, *extra, env=None, timeout_s=START_TIMEOUT_S):
    """Runs `inferd serve` expected to refuse its settings: (exit code, stderr)."""
    args = [os.environ["INFERD_BINARY"], "serve", "--model-repository", repository,
            "--http-port", "0", "--grpc-port", "0", "--metrics-port", "0",
            "--bind-address", "127.0.0.1"] + list(extra)
    full_env = server_env(env)
    try:
        r = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=full_env,
                           text=True, errors="replace", timeout=timeout_s)
    except subprocess.TimeoutExpired as e:
        return None, (e.stderr or "")
    return r.returncode, r.stderr
