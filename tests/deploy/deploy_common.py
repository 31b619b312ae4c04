"""What the deployment tests share: inferd replicas on fixed loopback ports
that can be stopped and started again, nginx in front of them rendered from
docker/nginx.conf, and client threads that keep HTTP and gRPC inference
going and sort every answer into ok, wrong output, and failure by kind.

The expected output of every request comes from numpy evaluating the example
mlp's ONNX graph (Gemm, Relu, Softmax) from its initializers, not from
inferd. gRPC stubs are generated at import time from api/*.proto with
Debian's python3-grpc-tools, as tests/integration/test_grpc_client.py does.

Environment (tests/deploy/CMakeLists.txt): INFERD_BINARY,
INFERD_EXAMPLE_REPOSITORY, INFERD_PROTO_DIR, INFERD_SOURCE_DIR.
"""
import collections
import http.client
import json
import os
import random
import shutil
import signal
import socket
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

# The example mlp: input "input" FP32 [batch, 16] -> "probabilities" FP32 [batch, 4].
MLP_IN, MLP_OUT, MLP_WIDTH = "input", "probabilities", 16
# Outputs may differ from numpy's by rounding only (a softmax of float32 logits).
OUTPUT_TOLERANCE = 1e-5


def _generate_stubs():
    out_dir = tempfile.mkdtemp(prefix="inferd-deploy-stubs-")
    proto_dir = os.environ["INFERD_PROTO_DIR"]
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I" + proto_dir, "--python_out=" + out_dir,
                    "--grpc_python_out=" + out_dir, os.path.join(proto_dir, "inference.proto")], check=True)
    sys.path.insert(0, out_dir)
    return out_dir


_STUBS = _generate_stubs()
try:
    import grpc
    import inference_pb2 as pb
    import inference_pb2_grpc as pbg
except TypeError as e:
    # grpc-tools 1.14's old-style generated code needs the pure-Python protobuf runtime on some systems.
    if os.environ.get(FALLBACK_ENV) == "python":
        raise
    print("generated code needs the pure-Python protobuf runtime (%s); re-running" % e, flush=True)
    shutil.rmtree(_STUBS, ignore_errors=True)
    os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, **{FALLBACK_ENV: "python"}))


def free_port():
    """A TCP port free on loopback now (the kernel's pick; a later bind may still race)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- the reference ----

class MlpReference:
    """The example mlp evaluated with numpy from its ONNX file."""

    def __init__(self, path):
        model = onnx.load(path)
        self.weights = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
        self.nodes = list(model.graph.node)
        self.input = model.graph.input[0].name
        self.output = model.graph.output[0].name

    def __call__(self, x):
        values = {self.input: np.asarray(x, dtype=np.float64)}
        for node in self.nodes:
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            ins = [values[n] if n in values else self.weights[n] for n in node.input]
            if node.op_type == "Gemm":
                a, b = ins[0], ins[1]
                if attrs.get("transA"):
                    a = a.T
                if attrs.get("transB"):
                    b = b.T
                y = attrs.get("alpha", 1.0) * (a @ b)
                if len(ins) > 2:
                    y = y + attrs.get("beta", 1.0) * ins[2]
            elif node.op_type == "Relu":
                y = np.maximum(ins[0], 0)
            elif node.op_type == "Softmax":
                z = np.exp(ins[0] - ins[0].max(axis=attrs.get("axis", -1), keepdims=True))
                y = z / z.sum(axis=attrs.get("axis", -1), keepdims=True)
            else:
                raise RuntimeError("the reference has no %s" % node.op_type)
            values[node.output[0]] = y
        return values[self.output]


def example_repository(tmp):
    """A copy of the example repository holding only the mlp (fast to load), and its reference."""
    src = os.path.join(os.environ["INFERD_EXAMPLE_REPOSITORY"], "mlp")
    dst = os.path.join(tmp, "models")
    shutil.copytree(src, os.path.join(dst, "mlp"))
    return dst, MlpReference(os.path.join(dst, "mlp", "1", "model.onnx"))


def request_rows(seed):
    """A batch-1 input that differs per request, so a mixed-up answer shows."""
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.0, 1.0, size=(1, MLP_WIDTH)).astype(np.float32)


# ---- replicas ----

class Replica:
    """One `inferd serve` on fixed loopback ports, restartable on the same ports."""

    def __init__(self, name, repository, workdir, drain_delay_s=1, exit_timeout_s=10):
        self.name = name
        self.repository = repository
        self.http_port, self.grpc_port = free_port(), free_port()
        self.drain_delay_s, self.exit_timeout_s = drain_delay_s, exit_timeout_s
        self.log_path = os.path.join(workdir, "%s.log" % name)
        self.proc = None
        self.exit_codes = []

    def start(self):
        args = [os.environ["INFERD_BINARY"], "serve", "--model-repository", self.repository,
                "--bind-address", "127.0.0.1", "--http-port", str(self.http_port),
                "--grpc-port", str(self.grpc_port), "--metrics-port", "-1",
                "--drain-delay-secs", str(self.drain_delay_s), "--exit-timeout-secs", str(self.exit_timeout_s)]
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited at start:\n%s" % (self.name, self.log()))
            if self.ready():
                return
            time.sleep(0.05)
        raise RuntimeError("%s did not become ready:\n%s" % (self.name, self.log()))

    def ready(self):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=2)
            conn.request("GET", "/v2/health/ready")
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self):
        """The exit code of the process that ran (SIGTERM's drain must end in 0)."""
        try:
            code = self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.exit_codes.append(code)
        return code

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.signal(signal.SIGTERM)
            self.wait()

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def sanitizer_report(self):
        text = self.log()
        return any(mark in text for mark in ("AddressSanitizer", "runtime error", "LeakSanitizer"))


# ---- nginx ----

def nginx_binary():
    for path in ("/usr/sbin/nginx", shutil.which("nginx") or ""):
        if path and os.access(path, os.X_OK):
            return path
    return None


class Nginx:
    """nginx on loopback with docker/nginx.conf's proxy rules, the replicas as upstreams.

    The shipped file names the replicas by the Compose service name in a
    variable, resolved at request time through the container network's DNS;
    here that name becomes an upstream group of the loopback replicas (with
    max_fails=0: addresses resolved per request keep no failure state
    either), and the listen ports and log files change. Nothing else does,
    so the retry rules under test are the shipped ones.
    """

    def __init__(self, replicas, workdir):
        self.prefix = os.path.join(workdir, "nginx")
        os.makedirs(os.path.join(self.prefix, "logs"), exist_ok=True)
        # Started as root, nginx's workers run as nobody: they must reach their temp files.
        for path in (workdir, self.prefix):
            os.chmod(path, 0o755)
        self.http_port, self.grpc_port = free_port(), free_port()
        with open(os.path.join(os.environ["INFERD_SOURCE_DIR"], "docker", "nginx.conf")) as f:
            conf = f.read()
        conf = render_nginx_conf(conf, replicas, self.http_port, self.grpc_port, self.prefix)
        self.conf_path = os.path.join(self.prefix, "nginx.conf")
        with open(self.conf_path, "w") as f:
            f.write(conf)
        self.proc = subprocess.Popen([nginx_binary(), "-p", self.prefix, "-c", self.conf_path,
                                      "-g", "daemon off; pid %s/nginx.pid;" % self.prefix],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("nginx exited: %s" % self.proc.stderr.read())
            try:
                socket.create_connection(("127.0.0.1", self.http_port), 1).close()
                socket.create_connection(("127.0.0.1", self.grpc_port), 1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start listening")

    def error_log(self):
        path = os.path.join(self.prefix, "logs", "error.log")
        return open(path, errors="replace").read() if os.path.exists(path) else ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def render_nginx_conf(conf, replicas, http_port, grpc_port, prefix):
    """docker/nginx.conf for loopback: the replicas, listen ports, and files under prefix."""
    def group(name, port_of):
        servers = "".join("        server 127.0.0.1:%d max_fails=0;\n" % port_of(r) for r in replicas)
        return "    upstream %s {\n%s    }\n" % (name, servers)

    wanted = ("include /etc/nginx/resolver.conf;", "set $inferd_http inferd:8000;", "set $inferd_grpc inferd:8001;",
              "listen 8000;", "listen 8001 http2;")
    for needle in wanted:
        if needle not in conf:
            raise RuntimeError("docker/nginx.conf no longer has the shape this test renders (%s)" % needle)
    conf = conf.replace("    include /etc/nginx/resolver.conf;\n",
                        group("inferd_test_http", lambda r: r.http_port) +
                        group("inferd_test_grpc", lambda r: r.grpc_port))
    conf = conf.replace("set $inferd_http inferd:8000;", "set $inferd_http inferd_test_http;")
    conf = conf.replace("set $inferd_grpc inferd:8001;", "set $inferd_grpc inferd_test_grpc;")
    conf = conf.replace("listen 8000;", "listen 127.0.0.1:%d;" % http_port)
    conf = conf.replace("listen 8001 http2;", "listen 127.0.0.1:%d http2;" % grpc_port)
    conf = conf.replace("/dev/stdout", os.path.join(prefix, "logs", "access.log"))
    conf = conf.replace("/dev/stderr", os.path.join(prefix, "logs", "error.log"))
    return conf


# ---- load ----

class Outcomes:
    """Every answer, sorted: ok, wrong output, or a failure named by its kind."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ok = collections.Counter()
        self.wrong = collections.Counter()
        self.failed = collections.Counter()
        self.examples = {}

    def record(self, proto, kind, detail=""):
        with self.lock:
            if kind == "ok":
                self.ok[proto] += 1
            elif kind == "wrong":
                self.wrong[proto] += 1
                self.examples.setdefault((proto, kind), detail)
            else:
                self.failed[(proto, kind)] += 1
                self.examples.setdefault((proto, kind), detail)

    def snapshot(self):
        with self.lock:
            return (sum(self.ok.values()), sum(self.wrong.values()), sum(self.failed.values()))

    def report(self):
        with self.lock:
            lines = ["ok: %s" % dict(self.ok), "wrong outputs: %s" % dict(self.wrong),
                     "failed: %s" % {"%s %s" % k: v for k, v in self.failed.items()}]
            lines += ["  e.g. %s %s: %s" % (p, k, d[:200]) for (p, k), d in self.examples.items()]
            return "\n".join(lines)


class LoadClient(threading.Thread):
    """One client sending batch-1 mlp requests until stopped.

    proto "http" keeps one HTTP/1.1 connection open and reconnects when the
    server closes it (as a client library's pool would: a request that
    failed is not retried); "grpc" uses one channel, which grpcio puts on the
    one connection every channel of the process to the same address shares.
    A gRPC client keeps `depth` calls in flight (a new one as soon as the
    oldest is answered) and waits a random time of up to `think_s` before
    each new call; with `every_s`, it instead starts a call every `every_s`
    seconds whatever the answers (an open-loop load, like many independent
    callers sharing the connection). The outcome of each request is
    recorded; in_flight is true while one is outstanding, and it is set
    before a request is sent, so a reader never sees false while one is on
    its way. started counts the requests sent so far.
    """

    def __init__(self, proto, port, reference, outcomes, seed, think_s=0.0, depth=1, every_s=0.0):
        super().__init__(daemon=True)
        self.proto, self.port, self.reference, self.outcomes = proto, port, reference, outcomes
        self.seed, self.think_s, self.depth, self.every_s = seed, think_s, depth, every_s
        self.stopping = threading.Event()
        self.in_flight = False
        self.started = 0

    def stop(self):
        self.stopping.set()

    def run(self):
        if self.proto == "http":
            self._run_http()
        else:
            self._run_grpc()

    def _check(self, x, y):
        want = self.reference(x).astype(np.float32)
        if y.shape != want.shape or not np.allclose(y, want, rtol=OUTPUT_TOLERANCE, atol=OUTPUT_TOLERANCE):
            return "got %s, want %s" % (y.tolist(), want.tolist())
        return None

    def _run_http(self):
        conn = None
        n = 0
        while not self.stopping.is_set():
            n += 1
            x = request_rows(self.seed * 1000003 + n)
            body = json.dumps({"inputs": [{"name": MLP_IN, "shape": [1, MLP_WIDTH], "datatype": "FP32",
                                           "data": x.ravel().tolist()}]})
            self.in_flight = True
            self.started += 1
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=CALL_TIMEOUT_S)
                conn.request("POST", "/v2/models/mlp/infer", body, {"Content-Type": "application/json"})
                r = conn.getresponse()
                data = r.read()
                if r.status != 200:
                    self.outcomes.record("http", "status %d" % r.status, data.decode(errors="replace"))
                else:
                    out = json.loads(data)["outputs"][0]
                    y = np.array(out["data"], dtype=np.float32).reshape(out["shape"])
                    err = self._check(x, y)
                    self.outcomes.record("http", "wrong" if err else "ok", err or "")
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                self.outcomes.record("http", type(e).__name__, str(e))
                if conn:
                    conn.close()
                conn = None
                time.sleep(0.01)
            finally:
                self.in_flight = False
        if conn:
            conn.close()

    def _grpc_call(self, stub, n):
        """Starts call n: (its input, its future)."""
        self.in_flight = True
        self.started += 1
        x = request_rows(self.seed * 1000003 + n)
        req = pb.ModelInferRequest(model_name="mlp")
        t = req.inputs.add(name=MLP_IN, datatype="FP32", shape=[1, MLP_WIDTH])
        t.contents.fp32_contents.extend(x.ravel().tolist())
        # While the replica is down the call waits for it, as a retrying client would;
        # what is checked is the answer of every call that reaches a server.
        return x, stub.ModelInfer.future(req, timeout=CALL_TIMEOUT_S, wait_for_ready=True)

    def _grpc_outcome(self, x, future):
        try:
            resp = future.result()
            out = resp.outputs[0]
            if resp.raw_output_contents:
                y = np.frombuffer(resp.raw_output_contents[0], dtype="<f4")
            else:
                y = np.array(out.contents.fp32_contents, dtype=np.float32)
            y = y.reshape(list(out.shape))
            err = self._check(x, y)
            self.outcomes.record("grpc", "wrong" if err else "ok", err or "")
        except grpc.RpcError as e:
            self.outcomes.record("grpc", e.code().name, "%s (%s)" % (e.details(), e.debug_error_string()))
            time.sleep(0.01)

    def _closed_loop(self, stub):
        """Keeps depth calls in flight, thinking before each new one."""
        think = random.Random(self.seed)
        pending = collections.deque()
        n = 0
        while not self.stopping.is_set():
            while len(pending) < self.depth:
                if self.think_s:
                    time.sleep(think.uniform(0, self.think_s))
                n += 1
                pending.append(self._grpc_call(stub, n))
            self._grpc_outcome(*pending.popleft())
            self.in_flight = bool(pending)
        while pending:
            self._grpc_outcome(*pending.popleft())

    def _open_loop(self, stub):
        """Starts a call every every_s seconds; each is recorded when it ends."""
        pending = collections.deque()
        n = 0
        while not self.stopping.is_set():
            n += 1
            x, future = self._grpc_call(stub, n)
            future.add_done_callback(lambda f, x=x: self._grpc_outcome(x, f))
            pending.append(future)
            while pending and pending[0].done():
                pending.popleft()
            self.in_flight = bool(pending)
            time.sleep(self.every_s)
        for future in pending:
            future.exception()

    def _run_grpc(self):
        # Reconnect soon after a replica restarts (the default backoff grows to minutes).
        channel = grpc.insecure_channel("127.0.0.1:%d" % self.port, options=[
            ("grpc.initial_reconnect_backoff_ms", 100), ("grpc.min_reconnect_backoff_ms", 100),
            ("grpc.max_reconnect_backoff_ms", 500)])
        stub = pbg.GRPCInferenceServiceStub(channel)
        if self.every_s:
            self._open_loop(stub)
        else:
            self._closed_loop(stub)
        self.in_flight = False
        channel.close()


def start_load(http_port, grpc_port, reference, outcomes, http_clients, grpc_clients, grpc_think=(),
               grpc_depth=(), grpc_every=()):
    """Starts the clients: back to back, then one gRPC client per think time in grpc_think, per
    depth in grpc_depth and per interval in grpc_every (see LoadClient)."""
    clients = [LoadClient("http", http_port, reference, outcomes, i) for i in range(http_clients)]
    clients += [LoadClient("grpc", grpc_port, reference, outcomes, 100 + i) for i in range(grpc_clients)]
    clients += [LoadClient("grpc", grpc_port, reference, outcomes, 200 + i, think_s=t)
                for i, t in enumerate(grpc_think)]
    clients += [LoadClient("grpc", grpc_port, reference, outcomes, 300 + i, depth=d)
                for i, d in enumerate(grpc_depth)]
    clients += [LoadClient("grpc", grpc_port, reference, outcomes, 400 + i, every_s=e)
                for i, e in enumerate(grpc_every)]
    for c in clients:
        c.start()
    return clients


def stop_load(clients):
    for c in clients:
        c.stop()
    for c in clients:
        c.join(CALL_TIMEOUT_S + 5)


def wait_answers(outcomes, more, timeout_s=30):
    """Waits until `more` further right answers have come in on each protocol that has clients."""
    def counts():
        with outcomes.lock:
            return dict(outcomes.ok)

    start = counts()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        now = counts()
        if all(now.get(p, 0) >= start.get(p, 0) + more for p in ("http", "grpc")):
            return True
        time.sleep(0.02)
    return False
