#!/usr/bin/python3
"""docker/kubernetes.yaml and docker/kserve/*.yaml: valid, consistent, and
what they configure works.

1. Schema: every document goes through validate_manifests.js, which builds
   each Kubernetes object as its kubernetes-models class (npm, pinned below,
   installed into INFERD_BUILD_DIR/k8s-validate when missing) and rejects
   schema errors and unknown fields, as `kubectl apply` would; the
   ServingRuntime's containers are checked as a Pod's.
2. Consistency: the Deployment's probes name ports it declares and paths
   inferd serves (liveness on /v2/health/live, which stays true while
   draining), the grace period covers the drain delay plus the exit timeout
   set in its environment, the Service selects the Deployment's pods on
   ports that exist, the PodDisruptionBudget and the HorizontalPodAutoscaler
   target the Deployment, the user is the image's (docker/Dockerfile's
   USER); the ServingRuntime follows KServe's conventions (onnx, v2 and
   grpc-v2, kserve-container, HTTP on 8080, the model in /mnt/models,
   Prometheus annotations on the metrics port) and the InferenceService
   selects it.
3. Runs: the real binary (INFERD_BINARY) started as each container would
   start it - the image's entrypoint and environment, then the manifest's
   environment and arguments - with only the ports (ephemeral, loopback)
   and the model folder (a temporary copy) overridden. The Deployment's
   repository is the example mlp; the KServe run's /mnt/models holds what
   the storage initializer leaves for a folder storageUri: model.onnx and
   config.json, named by the InferenceService. Each run must answer every
   probe and the metrics path, serve the model, and (Deployment) keep
   serving while not ready after SIGTERM.

Environment (tests/deploy/CMakeLists.txt): INFERD_BINARY,
INFERD_EXAMPLE_REPOSITORY, INFERD_SOURCE_DIR, INFERD_BUILD_DIR.
"""
import http.client
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SOURCE = os.environ["INFERD_SOURCE_DIR"]
MANIFESTS = [os.path.join(SOURCE, "docker", "kubernetes.yaml"),
             os.path.join(SOURCE, "docker", "kserve", "servingruntime.yaml"),
             os.path.join(SOURCE, "docker", "kserve", "inferenceservice.yaml")]
DOCKERFILE = os.path.join(SOURCE, "docker", "Dockerfile")
VALIDATOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "validate_manifests.js")

# npm packages, pinned. kubernetes-models 4.5.1 is the last release for Node
# before 22; the @kubernetes-models packages it depends on are pinned with it.
NPM_PACKAGES = {"kubernetes-models": "4.5.1", "@kubernetes-models/base": "5.0.1",
                "@kubernetes-models/validate": "4.0.0", "@kubernetes-models/apimachinery": "2.2.0",
                "yaml": "2.9.1"}
NPM_TIMEOUT_S = 300

# inferd's health endpoints (KServe v2).
LIVE, READY = "/v2/health/live", "/v2/health/ready"
# Time beyond drain delay + exit timeout for unloading and exiting.
GRACE_MARGIN_S = 5
# Kubernetes' default terminationGracePeriodSeconds, which KServe keeps.
DEFAULT_GRACE_S = 30
# KServe: the container's HTTP port, where the storage initializer puts the model.
KSERVE_HTTP_PORT, KSERVE_MODEL_DIR, KSERVE_CONTAINER = 8080, "/mnt/models", "kserve-container"
# Ports Knative's queue-proxy takes in the same pod.
KNATIVE_RESERVED_PORTS = {8012, 8013, 8022, 9090, 9091}
# URI schemes KServe's storage initializer (or its PVC and OCI handling) downloads.
STORAGE_SCHEMES = {"gs", "s3", "pvc", "oci", "hdfs", "webhdfs", "http", "https", "hf"}
# The example mlp: FP32 [batch, 16] -> softmax probabilities [batch, 4].
MLP_INPUT, MLP_WIDTH, MLP_CLASSES = "input", 16, 4

START_TIMEOUT_S = 30
CALL_TIMEOUT_S = 10
# Longest readiness may take to turn false after SIGTERM.
NOT_READY_TIMEOUT_S = 1

failures = []


def check(cond, message):
    if not cond:
        failures.append(message)
        print("FAIL: " + message, flush=True)
    return cond


# ---- the schema ----

def ensure_packages(prefix):
    """node_modules with the pinned packages, installed with npm when missing or other versions."""
    modules = os.path.join(prefix, "node_modules")
    for name, version in NPM_PACKAGES.items():
        try:
            with open(os.path.join(modules, name, "package.json")) as f:
                if json.load(f)["version"] == version:
                    continue
        except (OSError, ValueError, KeyError):
            pass
        os.makedirs(prefix, exist_ok=True)
        specs = ["%s@%s" % item for item in NPM_PACKAGES.items()]
        print("installing %s into %s" % (" ".join(specs), prefix), flush=True)
        subprocess.run(["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", "--prefix", prefix]
                       + specs, check=True, timeout=NPM_TIMEOUT_S)
        break
    return modules


def validate_schema(modules):
    """Every document of MANIFESTS as parsed by the validator; schema errors are failures."""
    r = subprocess.run(["node", VALIDATOR, modules] + MANIFESTS, capture_output=True, text=True,
                       timeout=CALL_TIMEOUT_S * 6)
    if r.returncode not in (0, 1) or not r.stdout.strip():
        raise RuntimeError("validate_manifests.js failed (%d):\n%s%s" % (r.returncode, r.stdout, r.stderr))
    out = json.loads(r.stdout)
    for e in out["errors"]:
        check(False, "schema: " + e)
    print("schema: %d documents checked" % len(out["documents"]), flush=True)
    return [d["object"] for d in out["documents"]]


def find(objects, kind, name=None):
    found = [o for o in objects if o.get("kind") == kind and (name is None or o["metadata"]["name"] == name)]
    if len(found) != 1:
        raise RuntimeError("expected one %s%s, found %d" % (kind, " " + name if name else "", len(found)))
    return found[0]


# ---- what the image and the binary say ----

class Image:
    """The final stage of docker/Dockerfile: its user, environment and entrypoint."""

    def __init__(self, path):
        with open(path) as f:
            text = re.sub(r"\\\n", " ", f.read())
        lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
        last_from = max(i for i, ln in enumerate(lines) if ln.upper().startswith("FROM "))
        self.uid, self.env, self.entrypoint = None, {}, None
        for ln in lines[last_from + 1:]:
            word, _, rest = ln.partition(" ")
            word = word.upper()
            if word == "USER":
                self.uid = int(rest.split(":")[0])
            elif word == "ENV":
                for item in shlex.split(rest):
                    key, _, value = item.partition("=")
                    self.env[key] = value
            elif word == "ENTRYPOINT":
                self.entrypoint = json.loads(rest)

    def serve_args(self):
        """The entrypoint's arguments after the inferd executable (["serve", ...])."""
        check(self.entrypoint and os.path.basename(self.entrypoint[0]) == "inferd",
              "Dockerfile: ENTRYPOINT %s does not run inferd" % self.entrypoint)
        return self.entrypoint[1:]


def setting_defaults(binary):
    """{INFERD_X: default text or None} from `inferd serve --help`."""
    text = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True, check=True).stdout
    defaults = {}
    for m in re.finditer(r"^  --([a-z-]+) .*?\s(INFERD_[A-Z_]+), (required|default (\S+))$", text, re.M):
        defaults[m.group(2)] = None if m.group(4) in (None, "none") else m.group(4)
    check("INFERD_HTTP_PORT" in defaults and "INFERD_MODEL_NAME" in defaults,
          "cannot read the settings from inferd serve --help")
    return defaults


class Container:
    """A container of a manifest as the image starts it: its settings in effect."""

    def __init__(self, spec, image, defaults, where):
        self.spec, self.image, self.where = spec, image, where
        self.env = {e["name"]: e.get("value") for e in spec.get("env", [])}
        self.args = list(spec.get("args", []))
        check("command" not in spec, "%s: command replaces the image's entrypoint" % where)
        self.defaults = defaults
        for name in self.env:
            if name.startswith("INFERD_"):
                check(name in defaults, "%s: %s is not an inferd setting" % (where, name))

    def setting(self, env_name):
        """The value in effect: flag in args, else container env, else image env, else default."""
        flag = "--" + env_name[len("INFERD_"):].lower().replace("_", "-")
        value = None
        for i, a in enumerate(self.args):
            if a == flag and i + 1 < len(self.args):
                value = self.args[i + 1]
            elif a.startswith(flag + "="):
                value = a[len(flag) + 1:]
        if value is not None:
            return value
        if env_name in self.env:
            return self.env[env_name]
        return self.image.env.get(env_name, self.defaults.get(env_name))

    def int_setting(self, env_name):
        return int(self.setting(env_name))

    def port_number(self, port):
        """A probe's or Service's port (a name or a number) as a number; None when not declared."""
        for p in self.spec.get("ports", []):
            if port in (p.get("name"), p["containerPort"]):
                return p["containerPort"]
        return port if isinstance(port, int) else None


def render(text, meta):
    """The Go template fields KServe fills in from the InferenceService's metadata."""
    fields = {"Name": meta["name"], "Namespace": meta.get("namespace", "default")}

    def field(m):
        path = m.group(1).split(".")
        if len(path) == 1 and path[0] in fields:
            return fields[path[0]]
        if len(path) == 2 and path[0] in ("Labels", "Annotations"):
            return meta.get(path[0].lower(), {}).get(path[1], "")
        raise RuntimeError("template field %s is not one KServe fills in" % m.group(0))
    return re.sub(r"\{\{\s*\.([A-Za-z][\w.]*)\s*\}\}", field, text)


# ---- consistency ----

def check_security(c, image):
    sc = c.spec.get("securityContext", {})
    check(sc.get("runAsNonRoot") is True, "%s: runAsNonRoot must be true" % c.where)
    check(sc.get("runAsUser") == image.uid,
          "%s: runAsUser %s is not the image's UID %s" % (c.where, sc.get("runAsUser"), image.uid))
    check(sc.get("readOnlyRootFilesystem") is True, "%s: readOnlyRootFilesystem must be true" % c.where)
    check(sc.get("allowPrivilegeEscalation") is False, "%s: allowPrivilegeEscalation must be false" % c.where)
    check(sc.get("capabilities", {}).get("drop") == ["ALL"], "%s: capabilities must drop ALL" % c.where)
    check(sc.get("seccompProfile", {}).get("type") == "RuntimeDefault",
          "%s: seccompProfile must be RuntimeDefault" % c.where)


def check_probes(c, required):
    """Each probe an httpGet on a declared port carrying inferd's HTTP, at a health path."""
    http_port = c.int_setting("INFERD_HTTP_PORT")
    for kind in required:
        check(kind in c.spec, "%s: no %s" % (c.where, kind))
    for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
        probe = c.spec.get(kind)
        if not probe:
            continue
        get = probe.get("httpGet", {})
        port = c.port_number(get.get("port"))
        check(port == http_port, "%s: %s port %s is not a declared port carrying inferd's HTTP port %d"
              % (c.where, kind, get.get("port"), http_port))
        # Readiness turns false on SIGTERM; a liveness probe on it would kill a draining pod.
        want = {"readinessProbe": {READY}, "livenessProbe": {LIVE}, "startupProbe": {LIVE, READY}}[kind]
        check(get.get("path") in want, "%s: %s path %s, expected %s" % (c.where, kind, get.get("path"),
                                                                         " or ".join(sorted(want))))


def check_grace(c, grace, what):
    drain, exit_timeout = c.int_setting("INFERD_DRAIN_DELAY_SECS"), c.int_setting("INFERD_EXIT_TIMEOUT_SECS")
    check(grace >= drain + exit_timeout + GRACE_MARGIN_S,
          "%s: %s %d s does not cover the drain delay %d s + the exit timeout %d s + %d s"
          % (c.where, what, grace, drain, exit_timeout, GRACE_MARGIN_S))


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_kubernetes(objects, image, defaults):
    """docker/kubernetes.yaml. Returns the Deployment's container."""
    deploy = find(objects, "Deployment")
    name = deploy["metadata"]["name"]
    spec = deploy["spec"]
    pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"].get("labels", {})
    annotations = spec["template"]["metadata"].get("annotations", {})
    check(len(pod["containers"]) == 1, "Deployment: one container expected")
    c = Container(pod["containers"][0], image, defaults, "Deployment container")
    ports = {p.get("name"): p["containerPort"] for p in c.spec.get("ports", [])}

    check(matches(spec["selector"].get("matchLabels"), labels), "Deployment: selector does not match its pods")
    check(ports.get("http") == c.int_setting("INFERD_HTTP_PORT"), "Deployment: port http is not INFERD_HTTP_PORT")
    check(ports.get("grpc") == c.int_setting("INFERD_GRPC_PORT"), "Deployment: port grpc is not INFERD_GRPC_PORT")
    check(ports.get("metrics") == c.int_setting("INFERD_METRICS_PORT"),
          "Deployment: port metrics is not INFERD_METRICS_PORT")
    check_probes(c, ("startupProbe", "livenessProbe", "readinessProbe"))
    check("preStop" not in c.spec.get("lifecycle", {}),
          "Deployment: inferd drains itself on SIGTERM; a preStop hook would take grace time unaccounted")
    check_grace(c, pod.get("terminationGracePeriodSeconds", DEFAULT_GRACE_S), "terminationGracePeriodSeconds")
    check_security(c, image)
    res = c.spec.get("resources", {})
    check(res.get("requests", {}).get("cpu") and res.get("limits", {}).get("memory"),
          "Deployment: CPU request (the HPA's reference) and memory limit expected")
    check(annotations.get("prometheus.io/scrape") == "true", "Deployment: prometheus.io/scrape not true")
    check(annotations.get("prometheus.io/port") == str(c.int_setting("INFERD_METRICS_PORT")),
          "Deployment: prometheus.io/port is not the metrics port")
    check(annotations.get("prometheus.io/path") == "/metrics", "Deployment: prometheus.io/path is not /metrics")
    # A Service named like the prefix puts INFERD_... variables into the pods' environment.
    check(pod.get("enableServiceLinks") is False, "Deployment: enableServiceLinks must be false")
    mounts = {m["mountPath"]: m for m in c.spec.get("volumeMounts", [])}
    repo_mount = mounts.get(c.setting("INFERD_MODEL_REPOSITORY"))
    check(repo_mount is not None and repo_mount.get("readOnly") is True,
          "Deployment: no read-only volume at INFERD_MODEL_REPOSITORY %s" % c.setting("INFERD_MODEL_REPOSITORY"))
    volumes = {v["name"] for v in pod.get("volumes", [])}
    for m in mounts.values():
        check(m["name"] in volumes, "Deployment: volume %s is not defined" % m["name"])
    check("replicas" not in spec, "Deployment: replicas would fight the HorizontalPodAutoscaler")

    svc = find(objects, "Service")
    check(matches(svc["spec"].get("selector"), labels), "Service: selector does not match the Deployment's pods")
    svc_ports = {p["name"]: p for p in svc["spec"]["ports"]}
    check(set(svc_ports) == {"http", "grpc", "metrics"}, "Service: ports http, grpc and metrics expected")
    for p in svc["spec"]["ports"]:
        check(c.port_number(p.get("targetPort", p["port"])) is not None,
              "Service: port %s targets %s, not a container port" % (p["name"], p.get("targetPort")))
    check(svc_ports.get("grpc", {}).get("appProtocol") in ("grpc", "kubernetes.io/h2c"),
          "Service: the grpc port needs appProtocol grpc (or kubernetes.io/h2c)")

    pdb = find(objects, "PodDisruptionBudget")
    check(matches(pdb["spec"]["selector"].get("matchLabels"), labels), "PodDisruptionBudget: does not select the pods")
    check("maxUnavailable" in pdb["spec"] or "minAvailable" in pdb["spec"], "PodDisruptionBudget: no budget")

    hpa = find(objects, "HorizontalPodAutoscaler")
    check(hpa["apiVersion"] == "autoscaling/v2", "HorizontalPodAutoscaler: autoscaling/v2 expected")
    check(hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
          "HorizontalPodAutoscaler: does not target Deployment %s" % name)
    cpu = [m for m in hpa["spec"].get("metrics", []) if m["type"] == "Resource" and m["resource"]["name"] == "cpu"]
    check(cpu and cpu[0]["resource"]["target"]["type"] == "Utilization",
          "HorizontalPodAutoscaler: CPU utilisation target expected")
    check(hpa["spec"].get("minReplicas", 1) >= 2, "HorizontalPodAutoscaler: fewer than 2 replicas leave the "
          "PodDisruptionBudget nothing to keep")
    return c


def check_kserve(objects, image, defaults, deploy_container):
    """docker/kserve/*.yaml. Returns (the runtime's container, the InferenceService)."""
    rt = find(objects, "ServingRuntime")
    isvc = find(objects, "InferenceService")
    check(rt["apiVersion"] == "serving.kserve.io/v1alpha1", "ServingRuntime: apiVersion serving.kserve.io/v1alpha1")
    check(isvc["apiVersion"] == "serving.kserve.io/v1beta1", "InferenceService: apiVersion serving.kserve.io/v1beta1")
    spec = rt["spec"]
    onnx = [f for f in spec.get("supportedModelFormats", []) if f["name"] == "onnx"]
    check(onnx and onnx[0].get("version") == "1" and onnx[0].get("autoSelect") is True,
          "ServingRuntime: supportedModelFormats needs onnx, version \"1\", autoSelect")
    check({"v2", "grpc-v2"} <= set(spec.get("protocolVersions", [])), "ServingRuntime: protocolVersions v2, grpc-v2")
    containers = [c for c in spec["containers"] if c["name"] == KSERVE_CONTAINER]
    check(len(containers) == 1, "ServingRuntime: no container named %s" % KSERVE_CONTAINER)
    c = Container(containers[0], image, defaults, "ServingRuntime container")
    http_port, grpc_port, metrics_port = (c.int_setting("INFERD_" + k)
                                          for k in ("HTTP_PORT", "GRPC_PORT", "METRICS_PORT"))
    check(http_port == KSERVE_HTTP_PORT, "ServingRuntime: INFERD_HTTP_PORT %d, KServe sends HTTP to %d"
          % (http_port, KSERVE_HTTP_PORT))
    check([p["containerPort"] for p in c.spec.get("ports", [])] == [http_port],
          "ServingRuntime: the one container port (Knative allows one) must be INFERD_HTTP_PORT %d" % http_port)
    for port in (http_port, grpc_port, metrics_port):
        check(port not in KNATIVE_RESERVED_PORTS, "ServingRuntime: port %d is Knative's queue-proxy's" % port)
    check(len({http_port, grpc_port, metrics_port}) == 3, "ServingRuntime: HTTP, gRPC and metrics ports must differ")
    check(c.setting("INFERD_MODEL_REPOSITORY") == KSERVE_MODEL_DIR,
          "ServingRuntime: INFERD_MODEL_REPOSITORY is not %s, where KServe puts the model" % KSERVE_MODEL_DIR)
    check(c.setting("INFERD_MODEL_NAME") == "{{.Name}}",
          "ServingRuntime: INFERD_MODEL_NAME should be {{.Name}}, the InferenceService's name")
    check_probes(c, ("livenessProbe", "readinessProbe"))
    check_security(c, image)
    check(c.spec.get("securityContext") == deploy_container.spec.get("securityContext"),
          "ServingRuntime: securityContext differs from the Deployment's")
    ann = spec.get("annotations", {})
    check(ann.get("serving.kserve.io/enable-prometheus-scraping") == "true",
          "ServingRuntime: serving.kserve.io/enable-prometheus-scraping not true")
    check(ann.get("prometheus.kserve.io/port") == str(metrics_port), "ServingRuntime: prometheus.kserve.io/port is "
          "not INFERD_METRICS_PORT")
    check(ann.get("prometheus.kserve.io/path") == "/metrics", "ServingRuntime: prometheus.kserve.io/path")

    predictor = isvc["spec"]["predictor"]
    model = predictor.get("model", {})
    check(model.get("modelFormat", {}).get("name") == "onnx", "InferenceService: modelFormat onnx expected")
    check(model.get("runtime") == rt["metadata"]["name"], "InferenceService: runtime is not the ServingRuntime's name")
    check(model.get("protocolVersion") == "v2", "InferenceService: protocolVersion v2 expected (v1 is the default)")
    uri = model.get("storageUri", "")
    check(uri.split("://")[0] in STORAGE_SCHEMES, "InferenceService: storageUri %r has no scheme KServe downloads"
          % uri)
    last = uri.rstrip("/").rsplit("/", 1)[-1]
    check("." not in last or last.endswith(".onnx"),
          "InferenceService: storageUri names a file that is not .onnx: inferd would find no model")
    check(isvc["metadata"].get("annotations", {}).get("serving.kserve.io/enable-prometheus-scraping") == "true",
          "InferenceService: serving.kserve.io/enable-prometheus-scraping not true")
    check_grace(c, predictor.get("terminationGracePeriodSeconds", DEFAULT_GRACE_S), "the pod's grace period")
    return c, isvc


# ---- runs ----

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CALL_TIMEOUT_S)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
        r = conn.getresponse()
        return r.status, r.read()
    except OSError as e:
        return 0, str(e).encode()
    finally:
        conn.close()


def infer_ok(port, model):
    body = json.dumps({"inputs": [{"name": MLP_INPUT, "shape": [1, MLP_WIDTH], "datatype": "FP32",
                                   "data": [i / MLP_WIDTH for i in range(MLP_WIDTH)]}]})
    status, data = call(port, "POST", "/v2/models/%s/infer" % model, body)
    if status != 200:
        return "status %d: %s" % (status, data[:200])
    out = json.loads(data)["outputs"][0]
    if out["shape"] != [1, MLP_CLASSES] or abs(sum(out["data"]) - 1) > 1e-5:
        return "unexpected output %s" % out
    return None


class Run:
    """inferd started as the container would be, on ephemeral loopback ports and a temporary repository."""

    def __init__(self, c, repository, tmp, render_meta=None):
        self.c = c
        self.ports = {"INFERD_HTTP_PORT": free_port(), "INFERD_GRPC_PORT": free_port(),
                      "INFERD_METRICS_PORT": free_port()}
        env = {k: v for k, v in os.environ.items() if not k.startswith("INFERD_")}
        env.update(c.image.env)
        args = list(c.args)
        for k, v in c.env.items():
            env[k] = render(v, render_meta) if render_meta else v
        if render_meta:
            args = [render(a, render_meta) for a in args]
        overrides = ["--model-repository", repository, "--bind-address", "127.0.0.1"]
        for name, port in self.ports.items():
            overrides += ["--" + name[len("INFERD_"):].lower().replace("_", "-"), str(port)]
        self.argv = [os.environ["INFERD_BINARY"]] + c.image.serve_args() + args + overrides
        self.log_path = os.path.join(tmp, "%s.log" % re.sub(r"\W", "-", c.where))
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(self.argv, env=env, stdout=log, stderr=subprocess.STDOUT)

    def port(self, manifest_port):
        """The run's port for a port number the manifest configures."""
        for name, port in self.ports.items():
            if self.c.int_setting(name) == manifest_port:
                return port
        raise RuntimeError("%s: port %s is none of inferd's" % (self.c.where, manifest_port))

    def wait_ready(self):
        http_port = self.ports["INFERD_HTTP_PORT"]
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and self.proc.poll() is None:
            if call(http_port, "GET", READY)[0] == 200:
                return True
            time.sleep(0.05)
        return False

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def run_checks(run, model, metrics_path):
    where = run.c.where
    if not check(run.wait_ready(), "%s: not ready within %d s:\n%s" % (where, START_TIMEOUT_S, run.log())):
        return False
    for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
        probe = run.c.spec.get(kind)
        if probe:
            get = probe["httpGet"]
            status, _ = call(run.port(run.c.port_number(get["port"])), "GET", get["path"])
            check(status == 200, "%s: %s %s answered %d" % (where, kind, get["path"], status))
    status, body = call(run.ports["INFERD_METRICS_PORT"], "GET", metrics_path)
    check(status == 200 and b"inferd_" in body, "%s: metrics at %s answered %d" % (where, metrics_path, status))
    status, _ = call(run.ports["INFERD_HTTP_PORT"], "GET", "/v2/models/%s/ready" % model)
    check(status == 200, "%s: model %s not ready (%d):\n%s" % (where, model, status, run.log()))
    problem = infer_ok(run.ports["INFERD_HTTP_PORT"], model)
    check(problem is None, "%s: inference on %s: %s" % (where, model, problem))
    with socket.create_connection(("127.0.0.1", run.ports["INFERD_GRPC_PORT"]), timeout=CALL_TIMEOUT_S):
        pass
    return True


def run_deployment(c, tmp):
    repo = os.path.join(tmp, "models")
    shutil.copytree(os.path.join(os.environ["INFERD_EXAMPLE_REPOSITORY"], "mlp"), os.path.join(repo, "mlp"))
    run = Run(c, repo, tmp)
    try:
        if not run_checks(run, "mlp", "/metrics"):
            return
        # No preStop: right after SIGTERM the pod is not ready but still serves (the drain delay).
        run.proc.send_signal(signal.SIGTERM)
        http_port = run.ports["INFERD_HTTP_PORT"]
        deadline = time.monotonic() + NOT_READY_TIMEOUT_S
        while call(http_port, "GET", READY)[0] != 503 and time.monotonic() < deadline:
            time.sleep(0.02)
        check(call(http_port, "GET", READY)[0] == 503, "Deployment run: still ready after SIGTERM")
        check(call(http_port, "GET", LIVE)[0] == 200, "Deployment run: not live during the drain delay")
        check(infer_ok(http_port, "mlp") is None, "Deployment run: not serving during the drain delay")
    finally:
        run.kill()
    print("Deployment run: probes, metrics, mlp, drain: checked", flush=True)


def run_kserve(c, isvc, metrics_path, tmp):
    # What the storage initializer leaves for a folder storageUri holding model.onnx and config.json.
    mnt = os.path.join(tmp, "mnt", "models")
    os.makedirs(mnt)
    example = os.path.join(os.environ["INFERD_EXAMPLE_REPOSITORY"], "mlp")
    shutil.copy(os.path.join(example, "1", "model.onnx"), os.path.join(mnt, "model.onnx"))
    shutil.copy(os.path.join(example, "config.json"), os.path.join(mnt, "config.json"))
    meta = isvc["metadata"]
    run = Run(c, mnt, tmp, render_meta=meta)
    try:
        run_checks(run, meta["name"], metrics_path)
    finally:
        run.kill()
    print("KServe run: /mnt/models served as %s: checked" % meta["name"], flush=True)


def main():
    binary = os.environ["INFERD_BINARY"]
    started = time.monotonic()
    modules = ensure_packages(os.path.join(os.environ["INFERD_BUILD_DIR"], "k8s-validate"))
    objects = validate_schema(modules)
    image = Image(DOCKERFILE)
    check(image.uid is not None and image.uid != 0, "Dockerfile: the image must run as a numeric non-root USER")
    defaults = setting_defaults(binary)
    deploy_container = check_kubernetes(objects, image, defaults)
    runtime_container, isvc = check_kserve(objects, image, defaults, deploy_container)
    metrics_path = find(objects, "ServingRuntime")["spec"].get("annotations", {}).get("prometheus.kserve.io/path")
    with tempfile.TemporaryDirectory(prefix="inferd-manifests-") as tmp:
        run_deployment(deploy_container, tmp)
        run_kserve(runtime_container, isvc, metrics_path, tmp)
    print("%d failures, %.1f s" % (len(failures), time.monotonic() - started), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
