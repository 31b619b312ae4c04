#!/usr/bin/python3
"""HTTP serving benchmark: wrk against `inferd serve`, compared with `inferd bench`.

Runs, in one go and on loopback only:
  - the example MLP with JSON bodies at concurrency 1, 16 and 64;
  - ResNet-18 with a binary tensor body (binary tensor data extension) at 1 and 8.
For each run it reports requests/s and p50/p99 latency from wrk, the average
batch size the dynamic batcher formed (from the metrics endpoint), and the
server's throughput (inferences/s) as a fraction of `inferd bench`
in-process throughput at that batch size.

usage: bench_http.py [--inferd build/inferd] [--seconds 10]
"""
import argparse
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HTTP_PORT, METRICS_PORT = 18180, 18182

WRK_SCRIPT = """
local f = io.open("{body}", "rb")
wrk.body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = "{content_type}"
{extra_header}
"""


def metric(text, name, model):
    m = re.search(r'^%s\{model="%s",version="1"\} (\S+)$' % (name, model), text, re.M)
    return float(m.group(1)) if m else 0.0


def scrape():
    with urllib.request.urlopen(f"http://127.0.0.1:{METRICS_PORT}/metrics") as r:
        return r.read().decode()


def wrk(url, body_path, content_type, header_len, connections, seconds):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        extra = f'wrk.headers["Inference-Header-Content-Length"] = "{header_len}"' if header_len else ""
        lua.write(WRK_SCRIPT.format(body=body_path, content_type=content_type, extra_header=extra))
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", lua.name, url],
                         check=True, capture_output=True, text=True).stdout
    os.unlink(lua.name)

    def ms(label):
        m = re.search(r"^\s+%s\s+([\d.]+)(us|ms|s)" % label, out, re.M)
        scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]
        return float(m.group(1)) * scale

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, ms("50%"), ms("99%"), int(errors.group(1)) if errors else 0


def inprocess(inferd, model, batch):
    out = subprocess.run([inferd, "bench", "--model", model, "--batch", str(batch), "--iterations", "50"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["throughput_per_s"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--inferd", default=os.path.join(ROOT, "build", "inferd"))
    ap.add_argument("--seconds", type=int, default=10)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="inferd-bench-")
    repo = os.path.join(work, "repo")
    server = None
    try:
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "make_example_models.py"), repo],
                       check=True, capture_output=True)
        subprocess.run([sys.executable, os.path.join(ROOT, "tests", "models", "export_models.py"), work,
                        "resnet18_op13"], check=True, capture_output=True)
        os.makedirs(os.path.join(repo, "resnet18", "1"))
        shutil.copy(os.path.join(work, "resnet18_op13", "model.onnx"), os.path.join(repo, "resnet18", "1"))
        with open(os.path.join(repo, "resnet18", "config.json"), "w") as f:
            json.dump({"max_batch_size": 8, "dynamic_batching": {"max_queue_delay_microseconds": 2000},
                       "instance_group": [{"count": 1, "threads": 2}]}, f)
        mlp_body = os.path.join(work, "mlp.json")
        with open(mlp_body, "w") as f:
            json.dump({"inputs": [{"name": "input", "shape": [1, 16], "datatype": "FP32",
                                   "data": [i / 16 for i in range(16)]}]}, f)
        header = json.dumps({"inputs": [{"name": "input", "shape": [1, 3, 224, 224], "datatype": "FP32",
                                         "parameters": {"binary_data_size": 3 * 224 * 224 * 4}}],
                             "outputs": [{"name": "output", "parameters": {"binary_data": True}}]}).encode()
        resnet_body = os.path.join(work, "resnet.bin")
        with open(resnet_body, "wb") as f:
            f.write(header + struct.pack("<%df" % (3 * 224 * 224), *([0.5] * (3 * 224 * 224))))
        server = subprocess.Popen([args.inferd, "serve", "--model-repository", repo, "--bind-address", "127.0.0.1",
                                   "--http-port", str(HTTP_PORT), "--metrics-port", str(METRICS_PORT),
                                   "--log-level", "warn", "--drain-delay-secs", "0"])
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{HTTP_PORT}/v2/health/ready")
                break
            except OSError:
                time.sleep(0.1)
        runs = [("mlp", mlp_body, "application/json", 0, c) for c in (1, 16, 64)]
        runs += [("resnet18", resnet_body, "application/octet-stream", len(header), c) for c in (1, 8)]
        print(f"| model | body | concurrency | req/s | p50 ms | p99 ms | non-2xx | avg batch | "
              f"in-process inf/s at that batch | server / in-process |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for model, body, ctype, hlen, conc in runs:
            before = scrape()
            rps, p50, p99, errors = wrk(f"http://127.0.0.1:{HTTP_PORT}/v2/models/{model}/infer", body, ctype, hlen,
                                        conc, args.seconds)
            after = scrape()
            inf = metric(after, "inferd_inference_count_total", model) - metric(before, "inferd_inference_count_total", model)
            ex = metric(after, "inferd_execution_count_total", model) - metric(before, "inferd_execution_count_total", model)
            batch = max(1, round(inf / ex)) if ex else 1
            path = os.path.join(repo, model, "1", "model.onnx")
            local = inprocess(args.inferd, path, batch)
            print(f"| {model} | {'JSON' if hlen == 0 else 'binary'} | {conc} | {rps:.0f} | {p50:.2f} | {p99:.2f} | "
                  f"{errors} | {inf / ex if ex else 0:.1f} | {local:.0f} | {rps / local:.2f} |")
    finally:
        if server:
            server.terminate()
            server.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
