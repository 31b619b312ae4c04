#!/usr/bin/python3
"""Protocol benchmark: HTTP and gRPC throughput of one `inferd serve`, with independent clients.

On loopback, against one server holding the example MLP, for each
concurrency (default 1, 16 and 64) and each of several rounds, it runs in
turn, back to back:
  - wrk with a JSON body (HTTP JSON);
  - wrk with a binary tensor body (HTTP binary, the binary_tensor_data extension);
  - h2load with a framed gRPC ModelInfer body (5-byte gRPC prefix and a
    serialized ModelInferRequest with raw_input_contents), one stream per
    connection, headers content-type: application/grpc and te: trailers;
  - with --perf, `inferd perf` on each of the three protocols too, so its
    figures can be checked against the independent clients'.
Each protocol's figure is the median over the rounds; the table also gives
gRPC / HTTP JSON and perf / independent client ratios. Alternating the
clients within a round keeps a busy machine's load changes from favouring
one protocol.

The gRPC answers are checked through the server's own counters: h2load
sees the HTTP/2 status (200) but not the gRPC status in the trailers, so
every run compares the OK answers the metrics endpoint counted with the
requests h2load completed, and wrong answers fail the script.

usage: bench_protocols.py [--inferd build/inferd] [--repository DIR] [--seconds 5]
                          [--rounds 3] [--concurrency 1,16,64] [--perf]
                          [--client-cpu N --server-cpu M]
"""
import argparse
import json
import os
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HTTP_PORT, GRPC_PORT, METRICS_PORT = 18190, 18191, 18192
MODEL = "mlp"
INPUT = ("input", (1, 16))
# What wrk's Lua script sets: the body file, its content type and the binary header's length.
WRK_SCRIPT = """
local f = io.open("{body}", "rb")
wrk.body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = "{content_type}"
{extra_header}
"""
# A wrk run fails when it answers with anything but 200: the Lua script counts the others.
WRK_COUNT = """
errors = 0
response = function(status, headers, body)
  if status ~= 200 then errors = errors + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("bad-status: %d\\n", errors))
end
"""


# ---- protobuf, by hand: the few wire types a ModelInferRequest needs ----

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, payload):
    """A length-delimited field (wire type 2)."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def model_infer_request(values):
    """A ModelInferRequest for MODEL, its one FP32 input in raw_input_contents."""
    name, shape = INPUT
    tensor = field(1, name.encode()) + field(2, b"FP32") + field(3, b"".join(varint(d) for d in shape))
    raw = struct.pack("<%df" % len(values), *values)
    return field(1, MODEL.encode()) + field(5, tensor) + field(7, raw)


def grpc_frame(message):
    """gRPC's length-prefixed message: no compression, 4-byte big-endian length."""
    return b"\0" + struct.pack(">I", len(message)) + message


# ---- clients ----

def ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)$", text)
    return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]


def pinned(cmd, cpu):
    return ["taskset", "-c", cpu] + cmd if cpu else cmd


def wrk(body, content_type, header_len, connections, seconds, cpu):
    url = f"http://127.0.0.1:{HTTP_PORT}/v2/models/{MODEL}/infer"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        extra = f'wrk.headers["Inference-Header-Content-Length"] = "{header_len}"' if header_len else ""
        lua.write(WRK_SCRIPT.format(body=body, content_type=content_type, extra_header=extra) + WRK_COUNT)
    try:
        out = subprocess.run(pinned(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s",
                                     lua.name, url], cpu), check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(lua.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    bad = int(re.search(r"bad-status: (\d+)", out).group(1))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if bad or (errors and any(int(g) for g in errors.groups())):
        raise RuntimeError(f"wrk: {bad} bad answers; {errors.group(0) if errors else ''}\n{out}")
    return rps, p50


def grpc_ok_count():
    with urllib.request.urlopen(f"http://127.0.0.1:{METRICS_PORT}/metrics") as r:
        text = r.read().decode()
    m = re.search(r'^inferd_grpc_responses_total\{code="OK"\} (\S+)$', text, re.M)
    return int(float(m.group(1))) if m else 0


def h2load(body, connections, seconds, cpu):
    url = f"http://127.0.0.1:{GRPC_PORT}/inference.GRPCInferenceService/ModelInfer"
    before = grpc_ok_count()
    out = subprocess.run(pinned(["h2load", "-t1", f"-c{connections}", "-m1", f"-D{seconds}", "-d", body,
                                 "-H", "content-type: application/grpc", "-H", "te: trailers", url], cpu),
                         check=True, capture_output=True, text=True).stdout
    ok = grpc_ok_count() - before
    m = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored",
                  out)
    done, succeeded = int(m.group(1)), int(m.group(2))
    # Requests cut off at the end of the run may be answered after h2load stopped counting them.
    if succeeded != done or not done <= ok <= done + connections:
        raise RuntimeError(f"h2load: {done} done, {succeeded} succeeded, {ok} gRPC OK\n{out}")
    rps = float(re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", out).group(1))
    p50 = None
    m = re.search(r"^time for request:\s+(\S+)\s+(\S+)\s+(\S+)", out, re.M)
    if m:
        p50 = ms(m.group(3))  # h2load gives min, max, mean: the mean stands in for the median
    return rps, p50


def perf(inferd, protocol, connections, seconds, cpu):
    target = (["--grpc", f"127.0.0.1:{GRPC_PORT}"] if protocol == "grpc"
              else ["--url", f"http://127.0.0.1:{HTTP_PORT}", "--protocol", protocol])
    out = subprocess.run(pinned([inferd, "perf", *target, "--model", MODEL, "--concurrency", str(connections),
                                 "--duration", str(seconds), "--output-json"], cpu),
                         check=True, capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    if r["errors"]:
        raise RuntimeError(f"inferd perf {protocol}: {r['errors']} errors: {out}")
    return r["throughput_rps"], r["latency_ms"]["p50"]


# ---- the run ----

def wait_ready(server):
    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError("inferd serve exited")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{HTTP_PORT}/v2/health/ready")
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("inferd serve did not become ready")


def cpu_seconds(pid):
    """User and system CPU time of process pid, all its threads, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds():
    """CPU time of the waited-for children (the clients), in seconds."""
    t = os.times()
    return t.children_user + t.children_system


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inferd", default=os.path.join(ROOT, "build", "inferd"))
    ap.add_argument("--repository", help="a repository holding the example MLP (default: write one)")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--concurrency", default="1,16,64")
    ap.add_argument("--perf", action="store_true", help="run `inferd perf` on each protocol too")
    ap.add_argument("--client-cpu", help="taskset CPU list for the clients")
    ap.add_argument("--server-cpu", help="taskset CPU list for the server")
    ap.add_argument("--server-arg", action="append", default=[], help="an extra `inferd serve` argument")
    args = ap.parse_args()
    for tool in ("wrk", "h2load") + (("taskset",) if args.client_cpu or args.server_cpu else ()):
        if not shutil.which(tool):
            sys.exit(f"bench_protocols: {tool} not found (scripts/install-deps.sh installs it)")
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    work = tempfile.mkdtemp(prefix="inferd-protocols-")
    server = None
    try:
        repo = args.repository
        if not repo:
            repo = os.path.join(work, "repo")
            subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "make_example_models.py"), repo],
                           check=True, capture_output=True)
        values = [i / 16 for i in range(16)]
        json_body = os.path.join(work, "mlp.json")
        with open(json_body, "w") as f:
            json.dump({"inputs": [{"name": INPUT[0], "shape": list(INPUT[1]), "datatype": "FP32",
                                   "data": values}]}, f)
        header = json.dumps({"inputs": [{"name": INPUT[0], "shape": list(INPUT[1]), "datatype": "FP32",
                                         "parameters": {"binary_data_size": 4 * len(values)}}],
                             "outputs": [{"name": "probabilities", "parameters": {"binary_data": True}}]}).encode()
        binary_body = os.path.join(work, "mlp.bin")
        with open(binary_body, "wb") as f:
            f.write(header + struct.pack("<%df" % len(values), *values))
        grpc_body = os.path.join(work, "mlp.grpc")
        with open(grpc_body, "wb") as f:
            f.write(grpc_frame(model_infer_request(values)))
        server = subprocess.Popen(pinned([args.inferd, "serve", "--model-repository", repo, "--bind-address",
                                          "127.0.0.1", "--http-port", str(HTTP_PORT), "--grpc-port", str(GRPC_PORT),
                                          "--metrics-port", str(METRICS_PORT), "--log-level", "warn",
                                          "--drain-delay-secs", "0", *args.server_arg], args.server_cpu))
        wait_ready(server)

        clients = [("HTTP JSON", "wrk", lambda c: wrk(json_body, "application/json", 0, c, args.seconds,
                                                        args.client_cpu)),
                   ("HTTP binary", "wrk", lambda c: wrk(binary_body, "application/octet-stream", len(header), c,
                                                          args.seconds, args.client_cpu)),
                   ("gRPC", "h2load", lambda c: h2load(grpc_body, c, args.seconds, args.client_cpu))]
        if args.perf:
            for name, proto in (("HTTP JSON", "json"), ("HTTP binary", "binary"), ("gRPC", "grpc")):
                clients.append((name, "inferd perf",
                                lambda c, p=proto: perf(args.inferd, p, c, args.seconds, args.client_cpu)))
        rps, server_us, client_us = {}, {}, {}
        loads = []
        for r in range(args.rounds):
            for c in concurrencies:
                for name, tool, run in clients:
                    loads.append(loadavg())
                    server0, client0 = cpu_seconds(server.pid), children_cpu_seconds()
                    value, _ = run(c)
                    requests = value * args.seconds
                    key = (name, tool, c)
                    rps.setdefault(key, []).append(value)
                    server_us.setdefault(key, []).append((cpu_seconds(server.pid) - server0) * 1e6 / requests)
                    client_us.setdefault(key, []).append((children_cpu_seconds() - client0) * 1e6 / requests)
                    print(f"round {r + 1}: {name:11} {tool:11} c={c:<3} {value:9.0f} req/s, CPU us/request: "
                          f"server {server_us[key][-1]:5.1f}, client {client_us[key][-1]:5.1f}", file=sys.stderr)
        print(f"load average during the run: {min(loads):.1f} to {max(loads):.1f} "
              f"(median {statistics.median(loads):.1f}); {os.cpu_count()} CPUs; "
              f"medians of {args.rounds} rounds of {args.seconds} s")
        print()
        print("| protocol | client | " + " | ".join(f"c={c} req/s" for c in concurrencies) + " |")
        print("|---|---|" + "---|" * len(concurrencies))
        for name, tool, _ in clients:
            print(f"| {name} | {tool} | " +
                  " | ".join(f"{statistics.median(rps[(name, tool, c)]):.0f}" for c in concurrencies) + " |")
        print()
        print("CPU time per request (us), server / client:")
        print()
        print("| protocol | client | " + " | ".join(f"c={c}" for c in concurrencies) + " |")
        print("|---|---|" + "---|" * len(concurrencies))
        for name, tool, _ in clients:
            print(f"| {name} | {tool} | " + " | ".join(
                f"{statistics.median(server_us[(name, tool, c)]):.1f} / "
                f"{statistics.median(client_us[(name, tool, c)]):.1f}" for c in concurrencies) + " |")
        print()
        print("| ratio | " + " | ".join(f"c={c}" for c in concurrencies) + " |")
        print("|---|" + "---|" * len(concurrencies))

        def ratio(a, b, c):
            return statistics.median(x / y for x, y in zip(rps[a + (c,)], rps[b + (c,)]))

        ratios = [("gRPC (h2load) / HTTP JSON (wrk)", ("gRPC", "h2load"), ("HTTP JSON", "wrk")),
                  ("gRPC (h2load) / HTTP binary (wrk)", ("gRPC", "h2load"), ("HTTP binary", "wrk"))]
        if args.perf:
            ratios += [(f"inferd perf / {tool} ({name})", (name, "inferd perf"), (name, tool))
                       for name, tool, _ in clients[:3]]
        for label, a, b in ratios:
            print(f"| {label} | " + " | ".join(f"{ratio(a, b, c):.2f}" for c in concurrencies) + " |")
        print()
        print("(a ratio is the median of the per-round ratios, each round running its clients back to back)")
    finally:
        if server:
            server.terminate()
            server.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
