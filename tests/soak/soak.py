#!/usr/bin/python3
"""The soak: many requests mixed across the example models, both protocols,
several sizes and every kind of bad request, against one `inferd serve`.

It fails when
  - the server's resident memory grows by 2 % or more between the moment
    10 % of the requests were answered and the end (a leak, or a cache that
    never stops growing); each is the median of the samples (two a second)
    from 10 to 15 % of the requests, and from 95 % to the end;
  - the server's own counters (per model: successes and failures by reason;
    server wide: HTTP statuses and gRPC codes) differ from the client's
    tally of what it was answered;
  - an answer is wrong: mlp outputs against a float64 evaluation of the
    ONNX file, cnn outputs against the server's own answer to the same
    input before the load began;
  - a request gets a status other than the one its kind expects, or the
    connection fails, or the server dies or reports a sanitizer finding.

usage: soak.py [--requests N] [--workers W] [--rss-growth-limit F] [--only KINDS]
               [--report FILE]

scripts/soak.sh runs it with a million requests; ctest runs a short one
(soak.short). Environment: INFERD_BINARY, INFERD_EXAMPLE_REPOSITORY,
INFERD_PROTO_DIR (tests/CMakeLists.txt sets them).
"""
import argparse
import http.client
import json
import multiprocessing
import os
import queue
import random
import statistics
import shutil
import struct
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import inferd_server as srv  # noqa: E402
import numpy as np  # noqa: E402

# A request body above this is refused (413); the soak sends a few.
MAX_BODY_BYTES = 256 * 1024
# RSS may grow by less than this between the 10 % mark and the end.
RSS_GROWTH_LIMIT = 0.02
# Distinct inputs per model: answers are checked against references computed once.
INPUT_POOL = 64
# Requests a worker answers between progress updates.
PROGRESS_EVERY = 50
# cnn: one image is 1x28x28; its answer against the server's own earlier one.
CNN_IN, CNN_OUT, CNN_SHAPE, CNN_CLASSES = "image", "logits", (1, 28, 28), 10
CNN_TOLERANCE = 1e-4
CALL_TIMEOUT_S = 60

# The kinds of request, their weights in the mix, and what each must be answered.
# (kind, weight, model the failure is counted on or None, expected outcome)
KINDS = [
    ("mlp_json", 26, "mlp", "success"),
    ("mlp_binary", 14, "mlp", "success"),
    ("mlp_grpc", 20, "mlp", "success"),
    ("cnn_binary", 6, "cnn", "success"),
    ("cnn_json", 2, "cnn", "success"),
    ("cnn_grpc", 6, "cnn", "success"),
    ("metadata", 3, None, "ok"),
    ("bad_json", 4, "mlp", "invalid"),
    ("bad_shape", 4, "mlp", "invalid"),
    ("bad_dtype", 3, "cnn", "invalid"),
    ("bad_shape_grpc", 3, "cnn", "invalid"),
    ("unknown_model", 3, None, "not_found"),
    ("unknown_model_grpc", 2, None, "not_found"),
    ("bad_protobuf", 3, None, "invalid"),
    ("bad_route", 1, None, "not_found"),
    ("oversize", 0.2, None, "too_large"),
]

# What the client expects per kind: (protocol, status).
EXPECTED = {
    "mlp_json": ("http", 200), "mlp_binary": ("http", 200), "mlp_grpc": ("grpc", "OK"),
    "cnn_binary": ("http", 200), "cnn_json": ("http", 200), "cnn_grpc": ("grpc", "OK"),
    "metadata": ("http", 200), "bad_json": ("http", 400), "bad_shape": ("http", 400),
    "bad_dtype": ("http", 400), "bad_shape_grpc": ("grpc", "INVALID_ARGUMENT"),
    "unknown_model": ("http", 404), "unknown_model_grpc": ("grpc", "NOT_FOUND"),
    "bad_protobuf": ("grpc", "INVALID_ARGUMENT"), "bad_route": ("http", 404),
    "oversize": ("http", 413),
}


def mlp_inputs(seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, size=(1 + i % 8, srv.MLP_WIDTH)).astype(np.float32)
            for i in range(INPUT_POOL)]


def cnn_inputs(seed):
    rng = np.random.default_rng(seed + 1)
    return [rng.uniform(0, 1, size=(1 + i % 4,) + CNN_SHAPE).astype(np.float32)
            for i in range(INPUT_POOL)]


def json_body(name, x, datatype="FP32"):
    return json.dumps({"inputs": [{"name": name, "shape": list(x.shape), "datatype": datatype,
                                   "data": x.flatten().tolist()}]}).encode()


def binary_body(name, x):
    """A binary-extension request asking for a binary answer: (body, header length)."""
    header = json.dumps({
        "inputs": [{"name": name, "shape": list(x.shape), "datatype": "FP32",
                    "parameters": {"binary_data_size": x.nbytes}}],
        "outputs": [{"name": CNN_OUT if name == CNN_IN else srv.MLP_OUT,
                     "parameters": {"binary_data": True}}]}).encode()
    return header + x.astype("<f4").tobytes(), len(header)


def decode_answer(resp, data):
    """The first output of an HTTP infer answer (JSON or binary), as float64."""
    header_len = resp.getheader("Inference-Header-Content-Length")
    if header_len is None:
        return srv.json_outputs(json.loads(data))
    n = int(header_len)
    out = json.loads(data[:n])["outputs"][0]
    return np.frombuffer(data[n:], dtype="<f4").astype(np.float64).reshape(out["shape"])


class Client:
    """One worker's connections: HTTP keep-alive and a gRPC channel."""

    def __init__(self, http_port, grpc_port):
        self.http_port = http_port
        self.conn = None
        self.channel = srv.grpc.insecure_channel("127.0.0.1:%d" % grpc_port)
        self.stub = srv.pbg.GRPCInferenceServiceStub(self.channel)
        self.raw_infer = self.channel.unary_unary(
            "/inference.GRPCInferenceService/ModelInfer",
            request_serializer=lambda b: b, response_deserializer=lambda b: b)

    def http(self, method, path, body=None, headers=None):
        """(status, response, data); the connection is reopened when the server closes it."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.http_port,
                                                   timeout=CALL_TIMEOUT_S)
        self.conn.request(method, path, body=body, headers=headers or {})
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return resp.status, resp, data

    def grpc(self, call, msg):
        """(code name, response or None)."""
        try:
            return "OK", call(msg, timeout=CALL_TIMEOUT_S)
        except srv.grpc.RpcError as e:
            return e.code().name, None

    def close(self):
        if self.conn:
            self.conn.close()
        self.channel.close()


def run_one(c, kind, rng, refs):
    """Sends one request of kind: (protocol, status, output or None, reference or None)."""
    mlp_x, mlp_want, cnn_x, cnn_want = refs
    i = rng.randrange(INPUT_POOL)
    if kind in ("mlp_json", "mlp_binary"):
        if kind == "mlp_json":
            status, resp, data = c.http("POST", "/v2/models/mlp/infer",
                                        json_body(srv.MLP_IN, mlp_x[i]))
        else:
            body, n = binary_body(srv.MLP_IN, mlp_x[i])
            status, resp, data = c.http("POST", "/v2/models/mlp/infer", body,
                                        {"Inference-Header-Content-Length": str(n)})
        return "http", status, decode_answer(resp, data) if status == 200 else None, mlp_want[i]
    if kind in ("cnn_json", "cnn_binary"):
        if kind == "cnn_json":
            status, resp, data = c.http("POST", "/v2/models/cnn/infer",
                                        json_body(CNN_IN, cnn_x[i]))
        else:
            body, n = binary_body(CNN_IN, cnn_x[i])
            status, resp, data = c.http("POST", "/v2/models/cnn/infer", body,
                                        {"Inference-Header-Content-Length": str(n)})
        return "http", status, decode_answer(resp, data) if status == 200 else None, cnn_want[i]
    if kind == "mlp_grpc":
        code, resp = c.grpc(c.stub.ModelInfer, srv.infer_message(mlp_x[i]))
        return "grpc", code, srv.message_outputs(resp) if resp else None, mlp_want[i]
    if kind == "cnn_grpc":
        q = srv.pb.ModelInferRequest(model_name="cnn")
        q.inputs.add(name=CNN_IN, datatype="FP32", shape=list(cnn_x[i].shape))
        q.raw_input_contents.append(cnn_x[i].astype("<f4").tobytes())
        code, resp = c.grpc(c.stub.ModelInfer, q)
        return "grpc", code, srv.message_outputs(resp) if resp else None, cnn_want[i]
    if kind == "metadata":
        path = rng.choice(["/v2/models/mlp", "/v2/models/cnn/ready", "/v2/health/ready", "/v2"])
        return "http", c.http("GET", path)[0], None, None
    if kind == "bad_json":
        body = json_body(srv.MLP_IN, mlp_x[i])
        cut = rng.randrange(1, len(body) - 1)
        return "http", c.http("POST", "/v2/models/mlp/infer", body[:cut])[0], None, None
    if kind == "bad_shape":
        x = np.zeros((1, srv.MLP_WIDTH + 1 + rng.randrange(4)), np.float32)
        return "http", c.http("POST", "/v2/models/mlp/infer", json_body(srv.MLP_IN, x))[0], None, \
            None
    if kind == "bad_dtype":
        x = np.zeros((1,) + CNN_SHAPE, np.int32)
        return "http", c.http("POST", "/v2/models/cnn/infer",
                              json_body(CNN_IN, x, "INT32"))[0], None, None
    if kind == "bad_shape_grpc":
        q = srv.pb.ModelInferRequest(model_name="cnn")
        q.inputs.add(name=CNN_IN, datatype="FP32", shape=[1, 1, 27, 28])
        q.raw_input_contents.append(bytes(4 * 27 * 28))
        return "grpc", c.grpc(c.stub.ModelInfer, q)[0], None, None
    if kind == "unknown_model":
        return "http", c.http("POST", "/v2/models/nonexistent%d/infer" % i,
                              json_body(srv.MLP_IN, mlp_x[i]))[0], None, None
    if kind == "unknown_model_grpc":
        q = srv.infer_message(mlp_x[i])
        q.model_name = "nonexistent%d" % i
        return "grpc", c.grpc(c.stub.ModelInfer, q)[0], None, None
    if kind == "bad_protobuf":
        # Malformed whatever the cut: a field with a wire type protobuf does not have (6, 7)
        # after the message, or the message cut inside its last field (raw_input_contents).
        good = srv.infer_message(mlp_x[i]).SerializeToString()
        if rng.random() < 0.5:
            bad = good + bytes([(rng.randrange(1, 16) << 3) | rng.choice((6, 7))])
        else:
            bad = good[:len(good) - rng.randrange(1, mlp_x[i].nbytes)]
        return "grpc", c.grpc(c.raw_infer, bad)[0], None, None
    if kind == "bad_route":
        return "http", c.http("GET", "/v2/nowhere/%d" % i)[0], None, None
    if kind == "oversize":
        return "http", c.http("POST", "/v2/models/mlp/infer",
                              b"[" * (MAX_BODY_BYTES + 1))[0], None, None
    raise ValueError(kind)


def kind_of(rng, kinds):
    total = sum(w for k, w, _, _ in KINDS if k in kinds)
    pick = rng.uniform(0, total)
    for kind, w, _, _ in KINDS:
        if kind not in kinds:
            continue
        pick -= w
        if pick < 0:
            return kind
    return kinds[-1]


def worker(args):
    """Runs requests [first, last) of the soak; returns the tally."""
    index, first, last, ports, refs, progress, kinds = args
    c = Client(*ports)
    rng = random.Random(index)
    tally = {"http": {}, "grpc": {}, "model": {}, "unexpected": {}, "wrong": 0, "errors": []}
    done = 0
    for n in range(first, last):
        kind = kind_of(rng, kinds)
        try:
            proto, status, got, want = run_one(c, kind, rng, refs)
        except (OSError, http.client.HTTPException) as e:
            tally["errors"].append("%s: %s" % (kind, e))
            c.conn = None
            continue
        tally[proto][str(status)] = tally[proto].get(str(status), 0) + 1
        model, outcome = next((m, o) for k, _, m, o in KINDS if k == kind)
        if (proto, status) != EXPECTED[kind]:
            key = "%s -> %s" % (kind, status)
            tally["unexpected"][key] = tally["unexpected"].get(key, 0) + 1
            continue
        if model:
            counts = tally["model"].setdefault(model, {})
            counts[outcome] = counts.get(outcome, 0) + 1
        if want is not None:
            tol = srv.OUTPUT_TOLERANCE if model == "mlp" else CNN_TOLERANCE
            if got is None or got.shape != want.shape or not np.all(np.abs(got - want) <= tol):
                tally["wrong"] += 1
        done += 1
        if done % PROGRESS_EVERY == 0:
            with progress.get_lock():
                progress.value += PROGRESS_EVERY
    with progress.get_lock():
        progress.value += done % PROGRESS_EVERY
    c.close()
    return tally


def worker_main(job, results):
    results.put(worker(job))


def merge(tallies):
    total = {"http": {}, "grpc": {}, "model": {}, "unexpected": {}, "wrong": 0, "errors": []}
    for t in tallies:
        for key in ("http", "grpc", "unexpected"):
            for k, v in t[key].items():
                total[key][k] = total[key].get(k, 0) + v
        for model, counts in t["model"].items():
            mine = total["model"].setdefault(model, {})
            for k, v in counts.items():
                mine[k] = mine.get(k, 0) + v
        total["wrong"] += t["wrong"]
        total["errors"] += t["errors"]
    return total


def scrape(port):
    """The server's counters: {(metric, labels): value} for the families the soak compares."""
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=30).read()
    out = {}
    for line in text.decode().splitlines():
        if line.startswith("#") or not line.startswith(("inferd_request_success_total",
                                                        "inferd_request_failure_total",
                                                        "inferd_http_responses_total",
                                                        "inferd_grpc_responses_total")):
            continue
        name_labels, value = line.rsplit(" ", 1)
        out[name_labels] = float(value)
    return out


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def references(server):
    """The inputs, with mlp references from numpy and cnn ones from one quiet request each."""
    repo = os.environ["INFERD_EXAMPLE_REPOSITORY"]
    mlp_ref = srv.MlpReference(os.path.join(repo, "mlp", "1", "model.onnx"))
    mlp_x = mlp_inputs(7)
    cnn_x = cnn_inputs(7)
    c = Client(server.http_port, server.grpc_port)
    cnn_want = []
    for x in cnn_x:
        status, resp, data = c.http("POST", "/v2/models/cnn/infer", json_body(CNN_IN, x))
        if status != 200:
            raise RuntimeError("cnn reference request: %d %s" % (status, data[:200]))
        cnn_want.append(decode_answer(resp, data))
    c.close()
    return mlp_x, [mlp_ref(x) for x in mlp_x], cnn_x, cnn_want


def compare_counters(before, after, tally, check):
    """The server's counter deltas against the client's tally."""
    def delta(key):
        return after.get(key, 0) - before.get(key, 0)

    reasons = ("invalid", "queue_full", "timeout", "unavailable", "internal")
    for model in ("mlp", "cnn"):
        counts = tally["model"].get(model, {})
        labels = 'model="%s",version="1"' % model
        got = delta("inferd_request_success_total{%s}" % labels)
        check(got == counts.get("success", 0),
              "%s successes: server %d, client %d" % (model, got, counts.get("success", 0)))
        for reason in reasons:
            got = delta('inferd_request_failure_total{%s,reason="%s"}' % (labels, reason))
            check(got == counts.get(reason, 0), "%s failures (%s): server %d, client %d"
                  % (model, reason, got, counts.get(reason, 0)))
    codes = {k.split('code="')[1].rstrip('"}') for k in after
             if k.startswith(("inferd_http_responses_total", "inferd_grpc_responses_total"))}
    for proto in ("http", "grpc"):
        for code in codes:
            key = 'inferd_%s_responses_total{code="%s"}' % (proto, code)
            if key not in after:
                continue
            got = delta(key)
            check(got == tally[proto].get(code, 0), "%s responses %s: server %d, client %d"
                  % (proto, code, got, tally[proto].get(code, 0)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=1000000)
    ap.add_argument("--workers", type=int, default=max(2, 2 * (os.cpu_count() or 1)))
    ap.add_argument("--rss-growth-limit", type=float, default=RSS_GROWTH_LIMIT,
                    help="largest RSS growth from the 10 %% mark, a fraction (inf: no check)")
    ap.add_argument("--only", help="send only these kinds of request (comma-separated): %s"
                    % ", ".join(k for k, _, _, _ in KINDS))
    ap.add_argument("--report", help="write the figures as JSON to this file")
    args = ap.parse_args()
    kinds = args.only.split(",") if args.only else [k for k, _, _, _ in KINDS]
    if not set(kinds) <= set(EXPECTED):
        ap.error("unknown kinds: %s" % ", ".join(sorted(set(kinds) - set(EXPECTED))))
    check = srv.Checks()
    tmp = tempfile.mkdtemp(prefix="inferd-soak-")
    repo = os.path.join(tmp, "models")
    for model in ("mlp", "cnn"):
        shutil.copytree(os.path.join(os.environ["INFERD_EXAMPLE_REPOSITORY"], model),
                        os.path.join(repo, model))
    server = srv.Server(repo, "--max-body-bytes", str(MAX_BODY_BYTES))
    try:
        refs = references(server)
        before = scrape(server.metrics_port)
        ctx = multiprocessing.get_context("spawn")
        progress = ctx.Value("q", 0)
        per = args.requests // args.workers
        jobs = [(w, w * per, args.requests if w == args.workers - 1 else (w + 1) * per,
                 (server.http_port, server.grpc_port), refs, progress, kinds)
                for w in range(args.workers)]
        rss_start = rss_bytes(server.proc.pid)
        rss_mark = None
        samples = []
        started = time.monotonic()
        results = ctx.Queue()
        procs = [ctx.Process(target=worker_main, args=(job, results)) for job in jobs]
        for p in procs:
            p.start()
        tallies = []
        next_print = started
        while len(tallies) < len(procs):
            try:
                tallies.append(results.get(timeout=0.5))
            except queue.Empty:
                if not any(p.is_alive() for p in procs):
                    break
            done = progress.value
            rss = rss_bytes(server.proc.pid)
            samples.append((round(time.monotonic() - started, 1), done, rss))
            if rss_mark is None and done >= args.requests // 10:
                rss_mark = rss
            if time.monotonic() >= next_print:
                print("%7.0f s  %8d requests  RSS %.1f MiB" % (
                    time.monotonic() - started, done, rss / 2**20), flush=True)
                next_print += 30
        for p in procs:
            p.join()
        check(len(tallies) == len(procs), "%d of %d workers reported" % (len(tallies), len(procs)))
        elapsed = time.monotonic() - started
        rss_end = rss_bytes(server.proc.pid)
        after = scrape(server.metrics_port)
        tally = merge(tallies)
        answered = sum(tally["http"].values()) + sum(tally["grpc"].values())
        # Medians over a window at each mark: one sample may catch the allocator between
        # the server's periodic trims (RSS moves by a few hundred KiB either way).
        mark = [r for _, done, r in samples if 0.10 <= done / args.requests < 0.15]
        tail = [r for _, done, r in samples if done / args.requests >= 0.95] + [rss_end]
        rss_mark = statistics.median(mark) if mark else (rss_mark or rss_start)
        rss_end = statistics.median(tail)
        growth = (rss_end - rss_mark) / rss_mark
        print("%d requests in %.0f s (%.0f/s) by %d workers; RSS %.1f MiB at start, %.2f MiB at "
              "10 %%, %.2f MiB at the end: %+.2f %%" % (
                  answered, elapsed, answered / elapsed, args.workers, rss_start / 2**20,
                  rss_mark / 2**20, rss_end / 2**20, 100 * growth), flush=True)
        print("http:", json.dumps(tally["http"], sort_keys=True))
        print("grpc:", json.dumps(tally["grpc"], sort_keys=True))
        print("models:", json.dumps(tally["model"], sort_keys=True), flush=True)
        check(not tally["errors"], "%d transport errors, e.g. %s" % (
            len(tally["errors"]), tally["errors"][:5]))
        check(not tally["unexpected"], "unexpected answers: %s" % tally["unexpected"])
        check(tally["wrong"] == 0, "%d wrong outputs" % tally["wrong"])
        check(answered == args.requests, "%d of %d requests answered" % (answered, args.requests))
        check(growth < args.rss_growth_limit, "RSS grew %.2f %% from the 10 %% mark (limit %g %%)"
              % (100 * growth, 100 * args.rss_growth_limit))
        compare_counters(before, after, tally, check)
        if args.report:
            with open(args.report, "w") as f:
                json.dump({"requests": answered, "seconds": elapsed, "workers": args.workers,
                           "rss_start": rss_start, "rss_10pct": rss_mark, "rss_end": rss_end,
                           "growth": growth, "tally": tally, "rss_samples": samples}, f)
    finally:
        code = server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    check(code == 0, "server exit code %d" % code)
    print("soak: %s" % ("FAILED (%d checks)" % check.failures if check.failures else "passed"))
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
