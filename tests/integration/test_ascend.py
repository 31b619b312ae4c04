#!/usr/bin/python3
"""`inferd serve` with an ONNX model and ATC-compiled .om models together,
the .om models running on the simulated AscendCL (tests/ascend_sim) chosen
with --ascend-library:

- REST and gRPC inference on both kinds, with exact values: the mlp against
  numpy's evaluation of its ONNX file, the .om model against numpy's
  evaluation of the affine functions its description declares;
- metadata and config: platform, backend, the largest gear as
  max_batch_size, the gears as preferred batch sizes, the NPU instance
  groups (over gRPC the same groups as KIND_MODEL, Triton having no NPU
  kind);
- dynamic batching onto gears on two devices with two workers each: every
  execution the simulator saw ran at a gear, both devices ran batches, and
  the per-device metrics agree with the padding the batch sizes imply;
- every injected fault gives a clear error and the mlp keeps serving: a
  failed execution (500 over REST, INTERNAL over gRPC, the worker recovers
  for the next request), a failed model load and out-of-device-memory (hot
  reload keeps the serving version; a new model stays unavailable with the
  runtime's message until the fault clears), a device that does not exist,
  a missing library, a library lacking a symbol, a failing aclInit;
- hot reload of the .om model (a new description answers after the poll);
- drain: requests in flight on the devices when SIGTERM arrives are
  answered, and the server exits 0;
- `inferd run` runs an .om model on a chosen device with the same values;
- at exit the simulator's report shows no device memory, model, stream,
  context, description, dataset or buffer left, one aclInit and one
  aclFinalize, and no breach of AscendCL's rules.

Environment (tests/CMakeLists.txt): INFERD_BINARY, INFERD_EXAMPLE_REPOSITORY,
INFERD_PROTO_DIR, ASCEND_SIM_LIBRARY, ASCEND_SIM_NOSYM_LIBRARY, ASCEND_SIM_MAKE_OM.
"""
import concurrent.futures
import http.client
import importlib.util
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
from onnx import TensorProto, numpy_helper

from inferd_server import (CALL_TIMEOUT_S, Checks, Server, grpc, infer_json, infer_message,
                           json_outputs, matches, message_outputs, mlp_repository, mlp_rows, pb,
                           pbg)

check = Checks()

GEARS = (1, 2, 4, 8)
WIDTH = 4
# Each simulated execution keeps its device busy this long, so that concurrent batches spread
# over the workers and a drain finds work in flight.
EXECUTE_US = 30000
QUEUE_DELAY_US = 100000
# Poll period of the repository, and the longest a reload may take to show (ASan, busy cores).
POLL_S = 1
RELOAD_TIMEOUT_S = 60


def load_make_om():
    spec = importlib.util.spec_from_file_location("make_om", os.environ["ASCEND_SIM_MAKE_OM"])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_om = load_make_om()


class GearModel:
    """The .om model: y = bias + scale * x (float), s = 1 + 3 * rowsum(ids) (int64), with gears."""

    def __init__(self, bias, scale=2.0):
        self.bias, self.scale = bias, scale

    def lines(self):
        return ["gears " + " ".join(str(g) for g in GEARS),
                "input x float 2 -1 %d" % WIDTH,
                "input ids int32 2 -1 2",
                "output y float 2 -1 %d affine %r %r x" % (WIDTH, self.bias, self.scale),
                "output s int64 2 -1 1 rowsum 1 3 ids"]

    def write(self, path):
        tmp = path + ".tmp"
        make_om.write_om(tmp, self.lines(), "gearmodel")
        os.replace(tmp, path)

    def reference(self, x, ids):
        y = (np.float64(self.bias) + np.float64(self.scale) * x.astype(np.float64)).astype(
            np.float32)
        s = 1 + 3 * ids.astype(np.int64).sum(axis=1, keepdims=True)
        return y, s


def om_inputs(rows, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, size=(rows, WIDTH)).astype(np.float32)
    ids = rng.integers(-50, 50, size=(rows, 2)).astype(np.int32)
    return x, ids


def rest(port, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CALL_TIMEOUT_S)
    try:
        conn.request(method, path, body=None if body is None else json.dumps(body).encode(),
                     headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        raw = resp.read()
        try:
            return resp.status, json.loads(raw) if raw else None
        except ValueError:
            return resp.status, raw.decode(errors="replace")
    finally:
        conn.close()


def om_rest(port, model, x, ids):
    """(status, {output name: array} or the error text)."""
    body = {"inputs": [
        {"name": "x", "shape": list(x.shape), "datatype": "FP32", "data": x.flatten().tolist()},
        {"name": "ids", "shape": list(ids.shape), "datatype": "INT32",
         "data": ids.flatten().tolist()}]}
    status, answer = rest(port, "POST", "/v2/models/%s/infer" % model, body)
    if status != 200:
        return status, (answer or {}).get("error", "") if isinstance(answer, dict) else answer
    out = {}
    for o in answer["outputs"]:
        dtype = np.float32 if o["datatype"] == "FP32" else np.int64
        out[o["name"]] = np.asarray(o["data"], dtype=dtype).reshape(o["shape"])
    return status, out


def om_correct(got, model, x, ids):
    y, s = model.reference(x, ids)
    return (isinstance(got, dict) and got["y"].shape == y.shape and bool(np.all(got["y"] == y))
            and got["s"].shape == s.shape and bool(np.all(got["s"] == s)))


def om_grpc(stub, model, x, ids):
    q = pb.ModelInferRequest(model_name=model)
    q.inputs.add(name="x", datatype="FP32", shape=list(x.shape))
    q.inputs.add(name="ids", datatype="INT32", shape=list(ids.shape))
    q.raw_input_contents.append(x.astype("<f4").tobytes())
    q.raw_input_contents.append(ids.astype("<i4").tobytes())
    resp = stub.ModelInfer(q, timeout=CALL_TIMEOUT_S)
    out = {}
    for o, raw in zip(resp.outputs, resp.raw_output_contents):
        dtype = "<f4" if o.datatype == "FP32" else "<i8"
        out[o.name] = np.frombuffer(raw, dtype=dtype).reshape(list(o.shape))
    return out


def metric(text, name, **labels):
    """The value of one sample, or None."""
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(k) == str(v) for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def scrape(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.metrics_port, timeout=CALL_TIMEOUT_S)
    try:
        conn.request("GET", "/metrics")
        return conn.getresponse().read().decode()
    finally:
        conn.close()


def index(port):
    status, body = rest(port, "POST", "/v2/repository/index", {})
    return {(e["name"], e.get("version", "")): e for e in body} if status == 200 else {}


def wait_until(cond, timeout_s):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.1)
    return cond()


def mlp_serves(server, reference, seed):
    x = mlp_rows(2, seed)
    status, body = rest(server.http_port, "POST", "/v2/models/mlp/infer", infer_json(x))
    return status == 200 and matches(json_outputs(body), reference(x))


def write_config(folder, config):
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f)


def read_report(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print("report %s: %s" % (path, e))
        return None


def check_report(path, what):
    r = read_report(path)
    if not check(r is not None, "%s: the simulator wrote a report at aclFinalize" % what):
        return None
    check(r["inits"] == 1 and r["finalizes"] == 1,
          "%s: one aclInit and one aclFinalize: %s" % (what, r))
    check(all(v == 0 for v in r["live"].values()), "%s: nothing left on the devices: %s" %
          (what, r["live"]))
    check(r["violations"] == 0, "%s: no breach of AscendCL's rules: %s" % (what, r["messages"]))
    return r


def sim_env(tmp, name, **extra):
    env = {"ASCEND_SIM_DEVICES": "2", "ASCEND_SIM_REPORT": os.path.join(tmp, name + ".json"),
           "ASCEND_SIM_FAULT_FILE": os.path.join(tmp, "faults"),
           "ASCEND_SIM_EXECUTE_US": str(EXECUTE_US), "ASCEND_LOG_DEVICE_FLUSH_TIMEOUT": "0"}
    env.update(extra)
    return env


def set_faults(tmp, text):
    with open(os.path.join(tmp, "faults"), "w") as f:
        f.write(text)


def test_metadata(server):
    status, meta = rest(server.http_port, "GET", "/v2/models/gears")
    check(status == 200 and meta["platform"] == "ascend_om" and
          [i["name"] for i in meta["inputs"]] == ["x", "ids"] and
          meta["inputs"][0]["shape"] == [-1, WIDTH] and meta["inputs"][1]["datatype"] == "INT32" and
          meta["outputs"][1]["datatype"] == "INT64", "metadata: %s" % meta)
    status, cfg = rest(server.http_port, "GET", "/v2/models/gears/config")
    check(status == 200 and cfg["backend"] == "ascend" and cfg["max_batch_size"] == GEARS[-1] and
          cfg["dynamic_batching"]["preferred_batch_size"] == list(GEARS) and
          cfg["instance_group"] == [{"kind": "KIND_NPU", "count": 2, "devices": [0]},
                                    {"kind": "KIND_NPU", "count": 2, "devices": [1]}],
          "config: %s" % cfg)
    # An ONNX model's platform and backend go out in Triton's names (test_triton_parity.py).
    status, mlp_cfg = rest(server.http_port, "GET", "/v2/models/mlp/config")
    check(status == 200 and mlp_cfg["platform"] == "onnxruntime_onnx" and
          mlp_cfg["backend"] == "onnxruntime", "mlp config: %s" % mlp_cfg)
    # gRPC's ModelConfig lists the same groups in Triton's kinds, which have no NPU: the
    # device backend's are KIND_MODEL (the backend places them), the CPU engine's KIND_CPU.
    with grpc.insecure_channel("127.0.0.1:%d" % server.grpc_port) as channel:
        stub = pbg.GRPCInferenceServiceStub(channel)
        for name, rest_cfg, kind in (("gears", cfg, pb.ModelInstanceGroup.KIND_MODEL),
                                     ("mlp", mlp_cfg, pb.ModelInstanceGroup.KIND_CPU)):
            groups = stub.ModelConfig(pb.ModelConfigRequest(name=name),
                                      timeout=CALL_TIMEOUT_S).config.instance_group
            check([(g.kind, g.count) for g in groups] ==
                  [(kind, g["count"]) for g in rest_cfg["instance_group"]],
                  "%s gRPC instance groups %s, REST %s" % (name, groups,
                                                           rest_cfg["instance_group"]))


def test_exact(server, model, reference):
    for rows in range(1, GEARS[-1] + 1):
        x, ids = om_inputs(rows, rows)
        status, got = om_rest(server.http_port, "gears", x, ids)
        check(status == 200 and om_correct(got, model, x, ids),
              "REST gears, %d rows: %s %s" % (rows, status, got))
    check(mlp_serves(server, reference, 1), "REST mlp")
    x, ids = om_inputs(GEARS[-1] + 1, 9)
    status, got = om_rest(server.http_port, "gears", x, ids)
    check(status == 400 and "max_batch_size" in got, "9 rows refused: %s %s" % (status, got))
    with grpc.insecure_channel("127.0.0.1:%d" % server.grpc_port) as channel:
        stub = pbg.GRPCInferenceServiceStub(channel)
        for rows in (1, 3, 8):
            x, ids = om_inputs(rows, 100 + rows)
            check(om_correct(om_grpc(stub, "gears", x, ids), model, x, ids),
                  "gRPC gears, %d rows" % rows)
        x = mlp_rows(3, 5)
        check(matches(message_outputs(stub.ModelInfer(infer_message(x), timeout=CALL_TIMEOUT_S)),
                      reference(x)), "gRPC mlp")


def test_batching(server, model):
    """Concurrent single rows: batched, at gears only, on both devices."""
    before = scrape(server)
    n = 48

    def one(i):
        x, ids = om_inputs(1 + i % 3, 1000 + i)
        status, got = om_rest(server.http_port, "gears", x, ids)
        return status == 200 and om_correct(got, model, x, ids)

    # Which idle worker leads the next batch is up to the scheduler: a few rounds make it
    # certain that workers of both devices took batches.
    for rounds in range(1, 6):
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            results = list(pool.map(one, range(n)))
        check(all(results), "concurrent requests all exact: %d of %d" % (sum(results), n))
        after = scrape(server)
        runs = {}
        for d in (0, 1):
            runs[d] = (metric(after, "inferd_device_execution_count_total", model="gears",
                              device=d) or 0) - (metric(before, "inferd_device_execution_count_total",
                                                        model="gears", device=d) or 0)
        if runs[0] > 0 and runs[1] > 0:
            break
    n *= rounds
    check(runs[0] > 0 and runs[1] > 0, "both devices ran batches: %s" % runs)
    executions = (metric(after, "inferd_execution_count_total", model="gears") -
                  metric(before, "inferd_execution_count_total", model="gears"))
    check(executions < n, "requests were combined: %d executions for %d requests" %
          (executions, n))
    check(runs[0] + runs[1] == executions, "device executions %s add up to %d" %
          (runs, executions))
    # Padding: every batch ran at the smallest gear holding it.
    rows = (metric(after, "inferd_inference_count_total", model="gears") -
            metric(before, "inferd_inference_count_total", model="gears"))
    padded = sum((metric(after, "inferd_device_padding_rows_total", model="gears", device=d) or 0)
                 - (metric(before, "inferd_device_padding_rows_total", model="gears", device=d)
                    or 0) for d in (0, 1))
    check(rows == rounds * sum(1 + i % 3 for i in range(n // rounds)), "rows counted: %s" % rows)
    check(padded >= 0 and padded < executions * GEARS[-1], "padding counted: %s" % padded)


def test_execute_fault(server, model, reference, tmp):
    set_faults(tmp, "execute")
    x, ids = om_inputs(3, 77)
    status, got = om_rest(server.http_port, "gears", x, ids)
    check(status == 500 and "aclrtSynchronizeStream" in got and "507015" in got and
          "ACL_ERROR_RT_AICORE_EXCEPTION" in got and "AI Core exception" in got,
          "a failed execution is a 500 naming the call, code and message: %s %s" % (status, got))
    with grpc.insecure_channel("127.0.0.1:%d" % server.grpc_port) as channel:
        stub = pbg.GRPCInferenceServiceStub(channel)
        try:
            om_grpc(stub, "gears", x, ids)
            check(False, "gRPC run during an execute fault succeeded")
        except grpc.RpcError as e:
            check(e.code() == grpc.StatusCode.INTERNAL and "507015" in e.details(),
                  "gRPC: INTERNAL with the code: %s %s" % (e.code(), e.details()))
    check(mlp_serves(server, reference, 2), "mlp serves during the execute fault")
    set_faults(tmp, "")
    # Every worker that failed rebuilds its runtime state and answers again.
    for i in range(8):
        x, ids = om_inputs(1 + i % 4, 300 + i)
        status, got = om_rest(server.http_port, "gears", x, ids)
        check(status == 200 and om_correct(got, model, x, ids),
              "after the fault, request %d: %s %s" % (i, status, got))
    text = scrape(server)
    failures = sum(metric(text, "inferd_device_failure_count_total", model="gears", device=d) or 0
                   for d in (0, 1))
    check(failures == 2, "the two failed executions are counted per device: %s" % failures)


def test_reload_faults(server, reference, tmp, repo):
    """A load fault and OOM while reloading or adding .om models: clear, and nothing else moves."""
    gears_file = os.path.join(repo, "gears", "1", "model.om")
    for fault, call, code in (("load", "aclmdlLoadFromMem", "545001"),
                              ("oom", "aclrtMalloc", "207001")):
        start = server.lines()
        set_faults(tmp, fault)
        GearModel(bias=5.0).write(gears_file)
        check(server.wait_log("model gears version 1 failed to load", RELOAD_TIMEOUT_S, start),
              "%s: the reload fails" % fault)
        line = server.find("model gears version 1 failed to load", start) or ""
        check(call in line and code in line, "%s: the log names %s and %s: %s" %
              (fault, call, code, line))
        x, ids = om_inputs(2, 5)
        status, got = om_rest(server.http_port, "gears", x, ids)
        check(status == 200 and om_correct(got, GearModel(bias=0.5), x, ids),
              "%s: the serving version keeps serving: %s %s" % (fault, status, got))
        check(mlp_serves(server, reference, 3), "%s: mlp serves" % fault)
        # Put the serving file back before the fault clears, so nothing reloads behind us.
        GearModel(bias=0.5).write(gears_file)
        set_faults(tmp, "")
        check(server.wait_log("model gears version 1: ready", RELOAD_TIMEOUT_S, start),
              "%s: reload after the fault" % fault)
    # A new model under OOM stays unavailable with the runtime's message, then loads.
    set_faults(tmp, "oom")
    start = server.lines()
    folder = os.path.join(repo, "late", "1")
    os.makedirs(folder)
    GearModel(bias=1.0).write(os.path.join(folder, "model.om"))
    check(server.wait_log("model late version 1 failed to load", RELOAD_TIMEOUT_S, start),
          "late: fails under OOM")
    # The log line comes just before the index records the failure (and each poll retries).
    seen = {}

    def unavailable():
        seen.update(index(server.http_port).get(("late", "1"), {}))
        return seen.get("state") == "UNAVAILABLE"

    check(wait_until(unavailable, RELOAD_TIMEOUT_S), "late: unavailable: %s" % seen)
    check("aclrtMalloc" in seen.get("reason", "") and "207001" in seen.get("reason", ""),
          "late: the reason names the call and code: %s" % seen)
    status, _ = rest(server.http_port, "GET", "/v2/models/late/ready")
    check(status != 200, "late: not ready (%d)" % status)
    check(mlp_serves(server, reference, 4), "mlp serves while late fails")
    set_faults(tmp, "")
    check(server.wait_log("model late version 1: ready", RELOAD_TIMEOUT_S, start),
          "late: loads once the fault clears")
    x, ids = om_inputs(4, 6)
    status, got = om_rest(server.http_port, "late", x, ids)
    check(status == 200 and om_correct(got, GearModel(bias=1.0), x, ids), "late answers")


def test_hot_reload(server, tmp, repo):
    start = server.lines()
    new = GearModel(bias=-2.25, scale=0.5)
    new.write(os.path.join(repo, "gears", "1", "model.om"))
    x, ids = om_inputs(3, 8)
    check(wait_until(lambda: om_correct(om_rest(server.http_port, "gears", x, ids)[1], new, x, ids),
                     RELOAD_TIMEOUT_S), "hot reload: the new model answers")
    check(server.find("model gears version 1: files changed, reloading", start) is not None,
          "hot reload logged")
    return new


def test_drain(server, model):
    """SIGTERM with requests queued and running on the devices: every one is answered."""
    results = []

    def one(i):
        x, ids = om_inputs(1 + i % 4, 500 + i)
        try:
            status, got = om_rest(server.http_port, "gears", x, ids)
        except OSError:
            # Connected after the listener closed: refused, never half-answered.
            results.append(None)
            return
        results.append(status == 200 and om_correct(got, model, x, ids))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    time.sleep(0.05)
    server.signal(signal.SIGTERM)
    for t in threads:
        t.join(60)
    answered = [r for r in results if r is not None]
    check(len(results) == 24 and len(answered) >= 1 and all(answered),
          "drain: every answer exact (%d answered, %d refused at connect, %d wrong)" %
          (len(answered), len(results) - len(answered), answered.count(False)))
    check(server.stop() == 0, "drain: exit 0")


def test_main_server(tmp, repo, reference):
    os.makedirs(os.path.join(repo, "gears", "1"))
    model = GearModel(bias=0.5)
    model.write(os.path.join(repo, "gears", "1", "model.om"))
    write_config(os.path.join(repo, "gears"), {
        "dynamic_batching": {"max_queue_delay_microseconds": QUEUE_DELAY_US},
        "instance_group": [{"kind": "KIND_NPU", "count": 2, "devices": [0, 1]}]})
    # Refused at load, each with a clear reason: a device the runtime lacks, and a CPU kind.
    for name, config in (("nodevice", {"instance_group": [{"kind": "KIND_NPU",
                                                            "devices": [5]}]}),
                         ("cpukind", {"instance_group": [{"kind": "KIND_CPU"}]})):
        os.makedirs(os.path.join(repo, name, "1"))
        model.write(os.path.join(repo, name, "1", "model.om"))
        write_config(os.path.join(repo, name), config)
    set_faults(tmp, "")
    server = Server(repo, "--ascend-library", os.environ["ASCEND_SIM_LIBRARY"],
                    "--model-control-mode", "poll", "--repository-poll-secs", str(POLL_S),
                    "--exit-timeout-secs", "30", env=sim_env(tmp, "main"))
    try:
        entries = index(server.http_port)
        check("NPU device 5 does not exist" in entries.get(("nodevice", "1"), {}).get("reason", ""),
              "nodevice: %s" % entries.get(("nodevice", "1")))
        check("KIND_CPU" in entries.get(("cpukind", "1"), {}).get("reason", ""),
              "cpukind: %s" % entries.get(("cpukind", "1")))
        test_metadata(server)
        test_exact(server, model, reference)
        test_batching(server, model)
        test_execute_fault(server, model, reference, tmp)
        test_reload_faults(server, reference, tmp, repo)
        model = test_hot_reload(server, tmp, repo)
        test_drain(server, model)
    finally:
        server.stop(quiet=True)
    r = check_report(os.path.join(tmp, "main.json"), "main server")
    if r:
        check(set(r["executions_by_batch"]) <= {str(g) for g in GEARS},
              "every execution ran at a gear: %s" % r["executions_by_batch"])
        check(set(r["executions_by_device"]) == {"0", "1"},
              "both devices executed: %s" % r["executions_by_device"])


def test_broken_runtime(tmp, repo_base, reference, what, library, env, expect):
    """A runtime that cannot run the .om model: it is unavailable, saying why; mlp serves."""
    repo = os.path.join(tmp, "repo-" + what)
    shutil.copytree(repo_base, repo)
    os.makedirs(os.path.join(repo, "gears", "1"))
    GearModel(bias=0.5).write(os.path.join(repo, "gears", "1", "model.om"))
    server = Server(repo, "--ascend-library", library, env=dict(sim_env(tmp, what), **env))
    try:
        reason = index(server.http_port).get(("gears", "1"), {}).get("reason", "")
        check(all(e in reason for e in expect), "%s: the reason names %s: %s" %
              (what, expect, reason))
        status, _ = rest(server.http_port, "POST", "/v2/models/gears/infer", {"inputs": []})
        check(status == 503, "%s: gears answers 503 (%d)" % (what, status))
        check(mlp_serves(server, reference, 7), "%s: mlp serves" % what)
    finally:
        check(server.stop() == 0, "%s: clean exit" % what)


def test_run_command(tmp):
    """`inferd run` on an .om model: the same exact values, on device 1, nothing left behind."""
    folder = os.path.join(tmp, "run")
    os.makedirs(folder)
    model = GearModel(bias=1.5)
    model.write(os.path.join(folder, "model.om"))
    x, ids = om_inputs(5, 11)
    for name, value in (("x", x), ("ids", ids)):
        with open(os.path.join(folder, name + ".pb"), "wb") as f:
            f.write(numpy_helper.from_array(value, name).SerializeToString())
    env = dict(os.environ, **sim_env(tmp, "run"))
    r = subprocess.run([os.environ["INFERD_BINARY"], "run", "--model",
                        os.path.join(folder, "model.om"), "--input", "x=" + folder + "/x.pb",
                        "--input", "ids=" + folder + "/ids.pb", "--output-dir", folder,
                        "--device", "1", "--ascend-library", os.environ["ASCEND_SIM_LIBRARY"]],
                       env=env, capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, "inferd run: exit %d: %s" % (r.returncode, r.stderr))
    got = {}
    for i in range(2):
        t = TensorProto()
        try:
            with open(os.path.join(folder, "output_%d.pb" % i), "rb") as f:
                t.ParseFromString(f.read())
            got[t.name] = numpy_helper.to_array(t)
        except OSError as e:
            check(False, "inferd run output %d: %s" % (i, e))
    check(om_correct(got, model, x, ids), "inferd run: exact outputs %s" % got)
    r = check_report(os.path.join(tmp, "run.json"), "inferd run")
    if r:
        check(r["executions_by_device"] == {"1": 1} and r["executions_by_batch"] == {"8": 1},
              "inferd run: one execution on device 1 at gear 8: %s" % r)


def main():
    for var in ("ASCEND_SIM_LIBRARY", "ASCEND_SIM_NOSYM_LIBRARY", "ASCEND_SIM_MAKE_OM"):
        if var not in os.environ:
            sys.exit("%s must be set (tests/CMakeLists.txt)" % var)
    tmp = tempfile.mkdtemp(prefix="inferd-test-ascend-")
    try:
        base, reference = mlp_repository(os.path.join(tmp, "base"))
        repo = os.path.join(tmp, "repo")
        shutil.copytree(base, repo)
        test_main_server(tmp, repo, reference)
        test_run_command(tmp)
        test_broken_runtime(tmp, base, reference, "nolibrary", "/nonexistent/lib64/libascendcl.so",
                            {}, ["--ascend-library", "/nonexistent/lib64/libascendcl.so"])
        test_broken_runtime(tmp, base, reference, "nosymbol", os.environ["ASCEND_SIM_NOSYM_LIBRARY"],
                            {}, ["lacks the function aclmdlSetDynamicBatchSize"])
        test_broken_runtime(tmp, base, reference, "noinit", os.environ["ASCEND_SIM_LIBRARY"],
                            {"ASCEND_SIM_FAULTS": "init"}, ["aclInit", "500001"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if check.failures:
        print("%d check(s) failed" % check.failures)
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
