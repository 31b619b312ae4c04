#!/usr/bin/python3
"""The container image (docker/Dockerfile), built and run for real under podman.

  1. Base images: no container registry is reachable, so debian:12 and
     debian:12-slim are imported from a `debootstrap --variant=minbase
     bookworm` tree kept in $INFERD_BUILD_DIR/container-base (built once,
     reused by every later run; the imported images stay too).
  2. The image is built from `git archive HEAD` of the source tree (never
     the work tree: uncommitted changes are not in it) with
     `podman build --format docker` (the OCI format drops HEALTHCHECK).
  3. ldd inside the image finds every shared library the binary links.
  4. The image runs with a model repository mounted read-only at /models,
     its three ports published on ephemeral loopback ports: live and ready,
     REST and gRPC inference on the example mlp and cnn equal to numpy's
     evaluation of the ONNX graphs from their weights, metrics, the process
     runs as UID 10001, and the HEALTHCHECK passes.
  5. `podman stop` (SIGTERM) while requests are in flight: every request
     sent before the stop is answered correctly, every one after is cleanly
     refused (connection refused, HTTP 503, gRPC UNAVAILABLE), and the
     container exits 0.

Containers, the test image and temporary files are removed at the end.
podman runs with CONTAINERS_CONF=docker/containers.conf (cgroupfs, runc,
the host's ulimits, events in a file). A machine that cannot run containers
fails the test with one line saying so.

Environment (tests/deploy/CMakeLists.txt): INFERD_SOURCE_DIR, INFERD_BUILD_DIR,
INFERD_PROTO_DIR, INFERD_EXAMPLE_REPOSITORY (scripts/make_example_models.py
runs when it is unset).
"""
import collections
import concurrent.futures
import contextlib
import fcntl
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import onnx
from onnx import numpy_helper

SOURCE_DIR = os.environ.get("INFERD_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_DIR = os.environ.get("INFERD_BUILD_DIR") or os.path.join(SOURCE_DIR, "build")
PROTO_DIR = os.environ.get("INFERD_PROTO_DIR") or os.path.join(SOURCE_DIR, "api")
FALLBACK_ENV = "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"

BASE_IMAGES = ("docker.io/library/debian:12", "docker.io/library/debian:12-slim")
DEBIAN_SUITE = "bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
# What Debian's own debian:12 image has: the release, its updates and security.
DEBIAN_SOURCES = """Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""
BASE_IMAGE_CHANGES = ("ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                      'CMD ["bash"]')

DEBOOTSTRAP_TIMEOUT_S = 600
BUILD_TIMEOUT_S = 1500
START_TIMEOUT_S = 90
CALL_TIMEOUT_S = 20
PODMAN_TIMEOUT_S = 120
IMAGE_UID = 10001
# The container's drain: not ready for 1 s, then up to 10 s for in-flight work.
DRAIN_DELAY_S = 1
EXIT_TIMEOUT_S = 10
STOP_TIMEOUT_S = 30
# Clients that keep requests going through `podman stop`, per protocol.
LOAD_THREADS = 4
# The slow copy of the mlp holds each request this long in its queue, so
# requests are surely in flight when SIGTERM arrives.
SLOW_QUEUE_DELAY_US = 300000
# How long the clients go on after the container has exited.
AFTER_EXIT_S = 2.0

# The example models: name -> (input, output, input shape without batch).
MODELS = {"mlp": ("input", "probabilities", (16,)), "cnn": ("image", "logits", (1, 28, 28))}
SLOW_MODEL = "mlp_slow"
# Outputs may differ from numpy's float64 evaluation by float32 rounding only.
RTOL, ATOL = 1e-4, 1e-5

failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what, flush=True)
    return cond


def run(args, timeout=PODMAN_TIMEOUT_S, check_rc=True, **kw):
    """Runs a command, text output captured; raises with its output when it fails and check_rc."""
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout, **kw)
    if check_rc and r.returncode != 0:
        raise RuntimeError("%s exited %d:\n%s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
    return r


def podman(*args, **kw):
    return run(["podman"] + list(args), **kw)


# ---- can this machine run containers at all ----

def container_support_problem():
    """None when podman works here, else why not (one line)."""
    if not shutil.which("podman"):
        return "podman is not installed (scripts/install-deps.sh installs it)"
    try:
        r = podman("info", check_rc=False)
    except subprocess.TimeoutExpired:
        return "`podman info` did not answer within %d s" % PODMAN_TIMEOUT_S
    if r.returncode != 0:
        lines = (r.stderr or r.stdout).strip().splitlines()
        return "`podman info` failed: %s" % (lines[-1] if lines else "exit %d" % r.returncode)
    return None


# ---- gRPC stubs, generated from the project's proto ----

def import_stubs(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    run([sys.executable, "-m", "grpc_tools.protoc", "-I" + PROTO_DIR, "--python_out=" + out_dir,
         "--grpc_python_out=" + out_dir, os.path.join(PROTO_DIR, "inference.proto")])
    sys.path.insert(0, out_dir)
    try:
        import grpc
        import inference_pb2
        import inference_pb2_grpc
    except TypeError as e:
        # grpc-tools 1.14's old-style generated code needs the pure-Python runtime on some systems.
        if os.environ.get(FALLBACK_ENV) == "python":
            raise
        print("generated code needs the pure-Python protobuf runtime (%s); re-running" % e, flush=True)
        shutil.rmtree(out_dir, ignore_errors=True)
        os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, **{FALLBACK_ENV: "python"}))
    return grpc, inference_pb2, inference_pb2_grpc


# ---- the reference: numpy on the ONNX graph's weights ----

class Reference:
    """A model evaluated in float64 with numpy from its ONNX file, for the ops the examples use."""

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
            op = getattr(self, "_" + node.op_type.lower(), None)
            if op is None:
                raise RuntimeError("the reference has no %s" % node.op_type)
            values[node.output[0]] = op(attrs, *ins)
        return values[self.output]

    @staticmethod
    def _gemm(attrs, a, b, c=None):
        a = a.T if attrs.get("transA") else a
        b = b.T if attrs.get("transB") else b
        y = attrs.get("alpha", 1.0) * (a @ b)
        return y if c is None else y + attrs.get("beta", 1.0) * c

    @staticmethod
    def _relu(attrs, x):
        return np.maximum(x, 0)

    @staticmethod
    def _softmax(attrs, x):
        axis = attrs.get("axis", -1)
        z = np.exp(x - x.max(axis=axis, keepdims=True))
        return z / z.sum(axis=axis, keepdims=True)

    @staticmethod
    def _flatten(attrs, x):
        axis = attrs.get("axis", 1)
        return x.reshape(int(np.prod(x.shape[:axis])), -1)

    @staticmethod
    def _conv(attrs, x, w, b=None):
        assert attrs.get("group", 1) == 1 and list(attrs.get("dilations", [1, 1])) == [1, 1], attrs
        (kh, kw), (sh, sw) = w.shape[2:], attrs.get("strides", [1, 1])
        top, left, bottom, right = attrs.get("pads", [0, 0, 0, 0])
        xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
        oh, ow = (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1
        y = np.zeros((x.shape[0], w.shape[0], oh, ow))
        for i in range(kh):
            for j in range(kw):
                patch = xp[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw]
                y += np.einsum("nchw,mc->nmhw", patch, w[:, :, i, j])
        return y if b is None else y + b[None, :, None, None]

    @staticmethod
    def _maxpool(attrs, x):
        assert not any(attrs.get("pads", [])) and not attrs.get("ceil_mode"), attrs
        (kh, kw), (sh, sw) = attrs["kernel_shape"], attrs.get("strides", [1, 1])
        oh, ow = (x.shape[2] - kh) // sh + 1, (x.shape[3] - kw) // sw + 1
        y = np.full(x.shape[:2] + (oh, ow), -np.inf)
        for i in range(kh):
            for j in range(kw):
                y = np.maximum(y, x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw])
        return y


def close(got, want):
    return got is not None and got.shape == want.shape and np.allclose(got, want, rtol=RTOL, atol=ATOL)


def model_input(model, batch, seed):
    shape = (batch,) + MODELS["mlp" if model == SLOW_MODEL else model][2]
    return np.random.default_rng(seed).uniform(-1.0, 1.0, size=shape).astype(np.float32)


# ---- the model repository mounted at /models ----

def make_repository(tmp):
    """mlp and cnn from the example repository, plus mlp_slow: the mlp holding requests in its queue."""
    example = os.environ.get("INFERD_EXAMPLE_REPOSITORY")
    if not example:
        example = os.path.join(tmp, "example")
        run([sys.executable, os.path.join(SOURCE_DIR, "scripts", "make_example_models.py"), example],
            timeout=600)
    repo = os.path.join(tmp, "models")
    for name in MODELS:
        shutil.copytree(os.path.join(example, name), os.path.join(repo, name))
    shutil.copytree(os.path.join(example, "mlp"), os.path.join(repo, SLOW_MODEL))
    with open(os.path.join(repo, SLOW_MODEL, "config.json"), "w") as f:
        json.dump({"max_batch_size": 32, "dynamic_batching": {
            "preferred_batch_size": [32], "max_queue_delay_microseconds": SLOW_QUEUE_DELAY_US}}, f)
    # The container's user (UID 10001) reads it: world-readable, folders searchable.
    for root, dirs, files in os.walk(tmp):
        os.chmod(root, 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)
    refs = {name: Reference(os.path.join(repo, name, "1", "model.onnx")) for name in MODELS}
    refs[SLOW_MODEL] = refs["mlp"]
    return repo, refs


# ---- base images ----

@contextlib.contextmanager
def file_lock(path):
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def ensure_base_images():
    """Imports debian:12 and debian:12-slim from a cached debootstrap tree unless podman has them."""
    def missing():
        return [t for t in BASE_IMAGES if podman("image", "exists", t, check_rc=False).returncode != 0]

    if not missing():
        print("base images: present (%s)" % ", ".join(BASE_IMAGES), flush=True)
        return
    base_dir = os.path.join(BUILD_DIR, "container-base")
    os.makedirs(base_dir, exist_ok=True)
    rootfs = os.path.join(base_dir, "rootfs")
    done_marker = rootfs + ".complete"
    with file_lock(os.path.join(base_dir, "lock")):
        if not missing():
            return
        if not os.path.exists(done_marker):
            partial = rootfs + ".tmp"
            shutil.rmtree(partial, ignore_errors=True)
            shutil.rmtree(rootfs, ignore_errors=True)
            start = time.monotonic()
            print("base images: debootstrap --variant=minbase %s into %s" % (DEBIAN_SUITE, rootfs), flush=True)
            run(["debootstrap", "--variant=minbase", DEBIAN_SUITE, partial, DEBIAN_MIRROR],
                timeout=DEBOOTSTRAP_TIMEOUT_S)
            os.remove(os.path.join(partial, "etc", "apt", "sources.list"))
            with open(os.path.join(partial, "etc", "apt", "sources.list.d", "debian.sources"), "w") as f:
                f.write(DEBIAN_SOURCES)
            for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
                for entry in os.scandir(os.path.join(partial, cache)):
                    if entry.is_file():
                        os.remove(entry.path)
            os.rename(partial, rootfs)
            open(done_marker, "w").close()
            print("base images: debootstrap took %.0f s" % (time.monotonic() - start), flush=True)
        for tag in missing():
            tar = subprocess.Popen(["tar", "--numeric-owner", "-C", rootfs, "-c", "."],
                                   stdout=subprocess.PIPE)
            changes = [arg for change in BASE_IMAGE_CHANGES for arg in ("--change", change)]
            imported = subprocess.run(["podman", "import"] + changes + ["-", tag], stdin=tar.stdout,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                      timeout=PODMAN_TIMEOUT_S)
            tar.stdout.close()
            if tar.wait() != 0 or imported.returncode != 0:
                raise RuntimeError("importing %s failed: %s" % (tag, imported.stderr))
            print("base images: imported %s" % tag, flush=True)


# ---- the image ----

def project_version():
    with open(os.path.join(SOURCE_DIR, "CMakeLists.txt")) as f:
        m = re.search(r"project\(inferd VERSION ([0-9.]+)", f.read())
    return m.group(1) if m else "dev"


def build_image(tag, tmp):
    """podman build of `git archive HEAD`; returns (revision, seconds)."""
    revision = run(["git", "-C", SOURCE_DIR, "rev-parse", "HEAD"]).stdout.strip()
    if run(["git", "-C", SOURCE_DIR, "status", "--porcelain", "--untracked-files=no"]).stdout.strip():
        print("note: the work tree has uncommitted changes; the image holds HEAD only", flush=True)
    context = os.path.join(tmp, "context")
    os.makedirs(context)
    archive = subprocess.Popen(["git", "-C", SOURCE_DIR, "archive", "--format=tar", "HEAD"],
                               stdout=subprocess.PIPE)
    extract = subprocess.run(["tar", "-x", "-C", context], stdin=archive.stdout)
    archive.stdout.close()
    if archive.wait() != 0 or extract.returncode != 0:
        raise RuntimeError("git archive HEAD | tar -x failed")
    log_path = os.path.join(tmp, "build.log")
    print("image: building %s from HEAD %s (log: podman build output below on failure)" % (tag, revision[:12]),
          flush=True)
    start = time.monotonic()
    with open(log_path, "w") as log:
        r = subprocess.run(["podman", "build", "--format", "docker", "--network", "host", "--pull=never",
                            "--layers=false", "--force-rm", "-f", "docker/Dockerfile", "-t", tag,
                            "--build-arg", "VERSION=" + project_version(),
                            "--build-arg", "REVISION=" + revision, "."],
                           cwd=context, stdout=log, stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT_S)
    seconds = time.monotonic() - start
    if r.returncode != 0:
        with open(log_path) as log:
            print("".join(log.readlines()[-80:]), flush=True)
        raise RuntimeError("podman build exited %d" % r.returncode)
    return revision, seconds


def check_image(tag, revision):
    info = json.loads(podman("image", "inspect", tag).stdout)[0]
    config = info.get("Config", {})
    labels = info.get("Labels") or config.get("Labels") or {}
    check(config.get("User") == "%d:%d" % (IMAGE_UID, IMAGE_UID), "image user %r" % config.get("User"))
    check(set(config.get("ExposedPorts", {})) == {"8000/tcp", "8001/tcp", "8002/tcp"},
          "exposed ports %s" % config.get("ExposedPorts"))
    check(config.get("StopSignal") == "SIGTERM", "stop signal %r" % config.get("StopSignal"))
    check(config.get("Entrypoint") == ["/usr/local/bin/inferd", "serve"], "entrypoint %s" % config.get("Entrypoint"))
    check("INFERD_MODEL_REPOSITORY=/models" in config.get("Env", []), "env %s" % config.get("Env"))
    health = info.get("Healthcheck") or config.get("Healthcheck") or {}
    check(health.get("Test", [])[-2:] == ["/usr/local/bin/inferd", "health"], "healthcheck %s" % health)
    check(labels.get("org.opencontainers.image.revision") == revision, "revision label %s" % labels)
    for key in ("title", "description", "source", "licenses", "version"):
        check("org.opencontainers.image." + key in labels, "label %s missing: %s" % (key, labels))
    ldd = podman("run", "--rm", "--no-healthcheck", "--entrypoint", "ldd", tag, "/usr/local/bin/inferd", check_rc=False)
    check(ldd.returncode == 0 and "not found" not in ldd.stdout + ldd.stderr,
          "ldd in the image finds every library:\n%s%s" % (ldd.stdout, ldd.stderr))
    return int(info["Size"])


# ---- clients ----

def rest_infer(port, model, x, timeout=CALL_TIMEOUT_S):
    """POST infer; returns (outcome, output): outcome 'ok', 'http <status>', 'refused' or 'error: ...'."""
    name, _, _ = MODELS["mlp" if model == SLOW_MODEL else model]
    body = json.dumps({"inputs": [{"name": name, "shape": list(x.shape), "datatype": "FP32",
                                   "data": x.ravel().tolist()}]})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/v2/models/%s/infer" % model, body, {"Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        if r.status != 200:
            return "http %d" % r.status, None
        out = json.loads(data)["outputs"][0]
        return "ok", np.array(out["data"], dtype=np.float64).reshape(out["shape"])
    except ConnectionRefusedError:
        return "refused", None
    except Exception as e:  # reset, timeout, truncated answer: never clean
        return "error: %r" % e, None
    finally:
        conn.close()


def http_get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CALL_TIMEOUT_S)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    except OSError as e:
        return 0, repr(e).encode()
    finally:
        conn.close()


class GrpcClient:
    def __init__(self, grpc_mod, pb, pbg, port):
        self.grpc, self.pb = grpc_mod, pb
        self.channel = grpc_mod.insecure_channel("127.0.0.1:%d" % port)
        self.stub = pbg.GRPCInferenceServiceStub(self.channel)

    def infer(self, model, x, timeout=CALL_TIMEOUT_S):
        """Returns (outcome, output) as rest_infer does; gRPC UNAVAILABLE is 'refused'."""
        name, _, _ = MODELS["mlp" if model == SLOW_MODEL else model]
        q = self.pb.ModelInferRequest(model_name=model)
        q.inputs.add(name=name, datatype="FP32", shape=list(x.shape))
        q.raw_input_contents.append(x.astype("<f4").tobytes())
        try:
            r = self.stub.ModelInfer(q, timeout=timeout)
        except self.grpc.RpcError as e:
            if e.code() == self.grpc.StatusCode.UNAVAILABLE:
                return "refused", None
            return "error: %s %s" % (e.code(), e.details()), None
        out = r.outputs[0]
        return "ok", np.frombuffer(r.raw_output_contents[0], dtype="<f4").astype(np.float64).reshape(
            list(out.shape))

    def close(self):
        self.channel.close()


# ---- the running container ----

def host_port(name, container_port):
    out = podman("port", name, "%d/tcp" % container_port).stdout.strip().splitlines()
    return int(out[0].rsplit(":", 1)[1])


def container_state(name):
    return json.loads(podman("inspect", "--format", "{{json .State}}", name).stdout)


def wait_ready(name, port):
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if not container_state(name).get("Running"):
            raise RuntimeError("the container exited at start:\n" + podman("logs", name).stderr)
        if http_get(port, "/v2/health/ready")[0] == 200:
            return
        time.sleep(0.2)
    raise RuntimeError("not ready within %d s:\n%s" % (START_TIMEOUT_S, podman("logs", name, check_rc=False).stderr))


def check_serving(name, ports, client, refs):
    http_port, _, metrics_port = ports
    check(http_get(http_port, "/v2/health/live")[0] == 200, "live")
    check(http_get(http_port, "/v2/health/ready")[0] == 200, "ready")
    status, body = http_get(metrics_port, "/metrics")
    check(status == 200 and b"inferd" in body, "metrics on the published port: %d" % status)
    for k, model in enumerate(MODELS):
        x = model_input(model, 3, seed=k)
        want = refs[model](x)
        outcome, got = rest_infer(http_port, model, x)
        check(outcome == "ok" and close(got, want), "REST %s: %s\n%s\nwanted\n%s" % (model, outcome, got, want))
        outcome, got = client.infer(model, x)
        check(outcome == "ok" and close(got, want), "gRPC %s: %s\n%s\nwanted\n%s" % (model, outcome, got, want))
    # The process (the container's init) runs as the image's user, not root.
    pid = container_state(name)["Pid"]
    with open("/proc/%d/status" % pid) as f:
        uids = next(line.split()[1:] for line in f if line.startswith("Uid:"))
    check(uids == [str(IMAGE_UID)] * 4, "the server's UIDs %s" % uids)
    check(podman("exec", name, "id", "-u").stdout.strip() == str(IMAGE_UID), "podman exec id -u")
    hc = podman("healthcheck", "run", name, check_rc=False)
    check(hc.returncode == 0, "podman healthcheck run: %d %s%s" % (hc.returncode, hc.stdout, hc.stderr))
    # The image logs JSON lines (INFERD_LOG_FORMAT=json in the image).
    lines = [l for l in podman("logs", name).stderr.splitlines() if l.strip()]
    try:
        check(lines and all(isinstance(json.loads(l), dict) for l in lines), "log lines are JSON")
    except ValueError:
        check(False, "log lines are JSON:\n" + "\n".join(lines))


def stop_under_load(name, ports, client, refs):
    """podman stop while LOAD_THREADS clients per protocol keep requests on mlp_slow in flight."""
    http_port = ports[0]
    results = []  # (protocol, start, end, outcome, correct)
    lock = threading.Lock()
    stop_clients = threading.Event()

    def load(protocol, k):
        i = 0
        while not stop_clients.is_set():
            x = model_input(SLOW_MODEL, 1, seed=1000 * k + i + (0 if protocol == "rest" else 500000))
            start = time.monotonic()
            if protocol == "rest":
                outcome, got = rest_infer(http_port, SLOW_MODEL, x)
            else:
                outcome, got = client.infer(SLOW_MODEL, x)
            end = time.monotonic()
            with lock:
                results.append((protocol, start, end, outcome, outcome == "ok" and close(got, refs[SLOW_MODEL](x))))
            if outcome != "ok":
                time.sleep(0.05)
            i += 1

    with concurrent.futures.ThreadPoolExecutor(2 * LOAD_THREADS) as pool:
        futures = [pool.submit(load, p, k) for p in ("rest", "grpc") for k in range(LOAD_THREADS)]
        time.sleep(1.0)
        stop_sent = time.monotonic()
        stop = podman("stop", "--time", str(STOP_TIMEOUT_S), name, check_rc=False, timeout=STOP_TIMEOUT_S + 30)
        exited = time.monotonic()
        time.sleep(AFTER_EXIT_S)
        stop_clients.set()
        for f in futures:
            f.result()
    check(stop.returncode == 0, "podman stop: %s" % stop.stderr)
    stop_s = exited - stop_sent
    check(stop_s < DRAIN_DELAY_S + EXIT_TIMEOUT_S + 5, "stopped within drain delay + exit timeout (%.1f s)" % stop_s)
    state = container_state(name)
    check(state.get("ExitCode") == 0 and not state.get("OOMKilled"), "exit code %s" % state.get("ExitCode"))

    before = [r for r in results if r[1] < stop_sent]
    in_flight = [r for r in before if r[2] > stop_sent]
    during = [r for r in results if stop_sent <= r[1] < exited]
    after = [r for r in results if r[1] >= exited]
    check(len(in_flight) >= LOAD_THREADS, "requests in flight at the stop: %d" % len(in_flight))
    bad = [r for r in before if not r[4]]
    check(not bad, "every request sent before the stop answered correctly; not: %s" % bad[:5])
    clean = ("refused", "http 503")
    bad = [r for r in during if not (r[4] or r[3] in clean)]
    check(not bad, "requests during the drain: correct answers or clean refusals; not: %s" % bad[:5])
    for protocol in ("rest", "grpc"):
        mine = [r for r in after if r[0] == protocol]
        bad = [r for r in mine if r[3] not in clean]
        check(mine and not bad, "%s after the exit: %d requests, all refused; not: %s" % (protocol, len(mine), bad[:5]))
    logs = podman("logs", name).stderr
    check('"stopped"' in logs or "stopped" in logs.splitlines()[-1], "the server logged its stop")
    check("exit timeout" not in logs, "in-flight work finished within the exit timeout")
    print("stop: %.1f s; %d requests before it (%d in flight), during the drain %s, after the exit %s"
          % (stop_s, len(before), len(in_flight), dict(collections.Counter(r[3] for r in during)),
             dict(collections.Counter(r[3] for r in after))), flush=True)


def main():
    start = time.monotonic()
    os.environ["CONTAINERS_CONF"] = os.path.join(SOURCE_DIR, "docker", "containers.conf")
    problem = container_support_problem()
    if problem:
        print("test_container: this machine cannot run containers: %s" % problem, flush=True)
        return 1
    stub_dir = tempfile.mkdtemp(prefix="inferd-container-stubs-")
    try:
        grpc_mod, pb, pbg = import_stubs(stub_dir)  # removes stub_dir itself when it re-runs the test
    except Exception:
        shutil.rmtree(stub_dir, ignore_errors=True)
        raise
    tmp = tempfile.mkdtemp(prefix="inferd-container-")
    tag = "localhost/inferd-test:%d-%d" % (os.getpid(), int(time.time()))
    name = "inferd-test-%d" % os.getpid()
    created = built = False
    try:
        repo, refs = make_repository(tmp)
        ensure_base_images()
        built = True
        revision, build_s = build_image(tag, tmp)
        size = check_image(tag, revision)
        print("image: built in %.0f s, %d bytes (%.0f MB)" % (build_s, size, size / 1e6), flush=True)
        created = True
        podman("run", "-d", "--name", name, "-p", "127.0.0.1::8000", "-p", "127.0.0.1::8001",
               "-p", "127.0.0.1::8002", "-v", "%s:/models:ro" % repo,
               "-e", "INFERD_DRAIN_DELAY_SECS=%d" % DRAIN_DELAY_S,
               "-e", "INFERD_EXIT_TIMEOUT_SECS=%d" % EXIT_TIMEOUT_S, tag)
        ports = [host_port(name, p) for p in (8000, 8001, 8002)]
        wait_ready(name, ports[0])
        client = GrpcClient(grpc_mod, pb, pbg, ports[1])
        try:
            check_serving(name, ports, client, refs)
            stop_under_load(name, ports, client, refs)
        finally:
            client.close()
        if failures:
            print(podman("logs", name, check_rc=False).stderr, flush=True)
    finally:
        if created:
            podman("rm", "--force", "--time", "0", name, check_rc=False)
        if built:
            podman("rmi", "--force", tag, check_rc=False)
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(stub_dir, ignore_errors=True)
    print("%s: %d failure(s); total %.0f s" % (os.path.basename(__file__), failures, time.monotonic() - start),
          flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
