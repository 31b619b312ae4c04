#!/usr/bin/python3
"""inferd against ONNX Runtime 1.30 on the same models, inputs and threads.

For every model x threads (1, 2) x batch (1, 8) cell it alternates `inferd
bench` and ONNX Runtime (onnxruntime-node, graph optimization "all") for
--rounds rounds and reports each engine's median of its per-round medians,
and the ratio inferd / ORT (below 1 means inferd is faster): the median of
the rounds' own ratios. A round's two measurements are taken seconds apart,
so a neighbour that slows the shared machine for a while slows both; pairing
them cancels that, where a ratio of the overall medians would not. Absolute
times on a shared machine are noisy; the ratio, measured in one run, is the
figure.

The models come from tests/models/export_models.py --bench (exported into
--models if missing). onnxruntime-node is installed with npm into
build/ort if missing (npm install --ignore-scripts onnxruntime-node@1.30.0).

The output starts with the CPU's model name and the vector ISA flags
/proc/cpuinfo lists. Every cell runs at the machine's native ISA; with
--isa avx2 the whole table is measured again with inferd capped at AVX2
(INFERD_MAX_ISA=avx2, which caps oneDNN too), so one AVX-512 machine gives
both tables. ORT runs uncapped in both: the reference is what a user of
ORT gets on that machine.

With --precision bf16 the table gains, after each inferd row, a row for
inferd's bf16 precision mode (`inferd bench --precision bf16`: bf16
convolutions and matrix products, fp32 elsewhere) against the same ORT
FP32 figures, alternated within the same rounds. A row whose inferd
reports precision fp32 (the CPU lacks AVX512_BF16, or --isa capped it)
says "fp32 (fallback)" instead of claiming a bf16 figure.

usage: bench_ort.py [--inferd build/inferd] [--models DIR] [--rounds 5] [--iterations 10]
                    [--isa avx2] [--only FOLDER] [--precision bf16]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORT_VERSION = "1.30.0"
MODELS = [
    ("ResNet-50", "resnet50_op17", {"input": "B,3,224,224"}),
    ("MobileNetV2", "mobilenet_v2_op17", {"input": "B,3,224,224"}),
    ("ResNet-18", "resnet18_op17", {"input": "B,3,224,224"}),
    ("BERT-base encoder, seq 128", "encoder_base_op17", {"input_ids": "B,128", "attention_mask": "B,128"}),
    # 200 frames of 40 features, halved by the front end: the LSTM (256 units) runs 100 steps.
    ("Speech LSTM 256, 100 steps", "speech_lstm_bench_op13", {"input": "B,200,40"}),
    # The float16 twins (tests/models/test_half_models.py's conversion of the
    # float exports): inferd keeps their weights half and computes in float,
    # ORT runs its float16 kernels.
    ("ResNet-18 float16", "resnet18_op17_float16", {"input": "B,3,224,224"}),
    ("BERT-base encoder float16, seq 128", "encoder_base_op17_float16",
     {"input_ids": "B,128", "attention_mask": "B,128"}),
    # A scripted PyTorch decoder: an ONNX Loop of 8 iterations, each 8 unrolled
    # GRU-style steps (177 nodes) feeding back their argmax token.
    ("Greedy decoder 256, 64 steps (Loop)", "greedy_decoder_bench_op13", {"input": "B,256"}),
    # int8: the float models quantized by tests/models/quantize_qdq.py (static QDQ,
    # calibrated on random inputs); ORT runs the same quantized model.
    ("ResNet-50 int8 QDQ", "resnet50_op17_qdq", {"input": "B,3,224,224"}),
    ("ResNet-18 int8 QDQ", "resnet18_op17_qdq", {"input": "B,3,224,224"}),
    ("BERT-base encoder int8 QDQ, seq 128", "encoder_base_op17_qdq",
     {"input_ids": "B,128", "attention_mask": "B,128"}),
    ("BERT-base encoder int8 dynamic, seq 128", "encoder_base_op17_dynamic",
     {"input_ids": "B,128", "attention_mask": "B,128"}),
]
# Quantized folders: (float folder, mode, kind for test_quant_models.calibration_feeds).
QUANTIZED = {
    "resnet50_op17_qdq": ("resnet50_op17", "static", "cnn"),
    "resnet18_op17_qdq": ("resnet18_op17", "static", "cnn"),
    "encoder_base_op17_qdq": ("encoder_base_op17", "static", "encoder"),
    "encoder_base_op17_dynamic": ("encoder_base_op17", "dynamic", "encoder"),
}


def quantize_missing(models_dir, folders):
    """Writes each quantized folder's model.onnx from its float model (exported first if missing)."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "models"))
    import onnx
    import quantize_qdq
    import test_quant_models
    sources = sorted({QUANTIZED[f][0] for f in folders
                      if not os.path.exists(os.path.join(models_dir, QUANTIZED[f][0], "model.onnx"))})
    if sources:
        subprocess.run([sys.executable, os.path.join(ROOT, "tests", "models", "export_models.py"), models_dir]
                       + sources, check=True, stdout=subprocess.DEVNULL)
    for folder in folders:
        source, mode, kind = QUANTIZED[folder]
        model = onnx.load(os.path.join(models_dir, source, "model.onnx"))
        if mode == "static":
            feeds = test_quant_models.calibration_feeds(model, kind)
            q = quantize_qdq.quantize_static(model, feeds, os.path.join(ROOT, "build"), kind == "cnn")
        else:
            q = quantize_qdq.quantize_dynamic(model)
        os.makedirs(os.path.join(models_dir, folder), exist_ok=True)
        onnx.save(q, os.path.join(models_dir, folder, "model.onnx"))


HALF_SUFFIX = "_float16"


def make_half_twin(src, dst):
    """dst/model.onnx: the float16 twin of src/model.onnx, as test_half_models.py makes it."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "models"))
    import onnx
    from test_half_models import to_half
    os.makedirs(dst, exist_ok=True)
    onnx.save(to_half(onnx.load(os.path.join(src, "model.onnx")), "float16"), os.path.join(dst, "model.onnx"))


def ensure_ort(prefix):
    if not os.path.isdir(os.path.join(prefix, "node_modules", "onnxruntime-node")):
        os.makedirs(prefix, exist_ok=True)
        subprocess.run(["npm", "install", "--ignore-scripts", "--prefix", prefix, f"onnxruntime-node@{ORT_VERSION}"],
                       check=True, stdout=subprocess.DEVNULL)
    return os.path.join(prefix, "node_modules")


def run_inferd(inferd, model, shapes, threads, iterations, isa, precision="fp32"):
    args = [inferd, "bench", "--model", model, "--threads", str(threads), "--iterations", str(iterations),
            "--warmup", "3", "--precision", precision]
    for name, dims in shapes.items():
        args += ["--shape", f"{name}={dims}"]
    env = dict(os.environ)
    env.pop("INFERD_MAX_ISA", None)
    if isa:
        env["INFERD_MAX_ISA"] = isa
    run = subprocess.run(args, check=True, capture_output=True, text=True, env=env)
    result = json.loads(run.stdout)
    if result["reference_layers"]:
        # a figure taken on reference code would be meaningless: show why and stop
        sys.stderr.write(run.stderr)
        raise SystemExit(f"{model}: {result['reference_layers']} layer(s) ran on reference code")
    level = result["isa"]
    if result.get("fallback_layers"):
        # a slower route than the op's own (a quantized layer run in float, an int8 conv off oneDNN)
        level += f" ({result['fallback_layers']} fallback layers)"
    if precision != "fp32":
        level += f" {result['precision']}" + (" (fallback)" if result["precision"] != precision else "")
    return result["latency_ms"]["median"], level


def run_ort(node_path, model, shapes, threads, iterations):
    spec = ";".join(f"{n}={d}" for n, d in shapes.items())
    out = subprocess.run(["node", os.path.join(ROOT, "scripts", "ort_bench.js"), model, str(threads), str(iterations),
                          "3", spec], check=True, capture_output=True, text=True,
                         env=dict(os.environ, NODE_PATH=node_path)).stdout
    return json.loads(out)["median"]


def cpu_info():
    """The CPU's model name, family/model numbers and its vector ISA flags."""
    fields = {}
    with open("/proc/cpuinfo") as f:
        for line in f:
            if ":" in line:
                key, value = (part.strip() for part in line.split(":", 1))
                fields.setdefault(key, value)
            elif fields:
                break
    name = fields.get("model name", platform.processor())
    ident = f"family {fields.get('cpu family', '?')} model {fields.get('model', '?')}"
    flags = [f for f in fields.get("flags", "").split()
             if f in ("sse4_2", "avx", "avx2", "fma", "f16c") or f.startswith("avx512") or f.startswith("amx")
             or f in ("avx_vnni", "avx_vnni_int8")]
    return name, ident, flags


def bench_table(args, models, node_path, isa):
    """Prints one table: every model x threads x batch cell, inferd at isa (None: native)."""
    print("| model | threads | batch | inferd ISA | inferd median ms | ORT median ms | inferd / ORT |")
    print("|---|---|---|---|---|---|---|")
    for title, folder, shapes in models:
        model = os.path.join(args.models, folder, "model.onnx")
        for threads in (1, 2):
            for batch in (1, 8):
                dims = {n: d.replace("B", str(batch)) for n, d in shapes.items()}
                ours, low, theirs = [], [], []
                for _ in range(args.rounds):
                    ms, level = run_inferd(args.inferd, model, dims, threads, args.iterations, isa)
                    ours.append(ms)
                    if args.precision != "fp32":
                        ms, low_level = run_inferd(args.inferd, model, dims, threads, args.iterations, isa,
                                                   args.precision)
                        low.append(ms)
                    theirs.append(run_ort(node_path, model, dims, threads, args.iterations))
                b = statistics.median(theirs)
                for times, lvl in ((ours, level), (low, low_level if low else None)):
                    if not times:
                        continue
                    ratio = statistics.median(o / t for o, t in zip(times, theirs))
                    a = statistics.median(times)
                    print(f"| {title} | {threads} | {batch} | {lvl} | {a:.1f} | {b:.1f} | {ratio:.2f} |", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--inferd", default=os.path.join(ROOT, "build", "inferd"))
    ap.add_argument("--models", default=os.path.join(ROOT, "build", "bench-models"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--iterations", type=int, default=10)
    ap.add_argument("--only", action="append", metavar="FOLDER",
                    help="bench only this model folder (repeatable), e.g. resnet50_op17")
    ap.add_argument("--isa", choices=["avx2", "generic"],
                    help="after the native table, measure again with inferd capped at this ISA")
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                    help="bf16: add a row per cell for inferd's bf16 mode against ORT FP32")
    args = ap.parse_args()
    models = [m for m in MODELS if not args.only or m[1] in args.only]
    node_path = ensure_ort(os.path.join(ROOT, "build", "ort"))
    missing = [d for _, d, _ in models if not os.path.exists(os.path.join(args.models, d, "model.onnx"))]
    plain = [d for d in missing if d not in QUANTIZED]
    exports = sorted({d[:-len(HALF_SUFFIX)] if d.endswith(HALF_SUFFIX) else d for d in plain})
    exports = [d for d in exports if not os.path.exists(os.path.join(args.models, d, "model.onnx"))]
    if exports:
        subprocess.run([sys.executable, os.path.join(ROOT, "tests", "models", "export_models.py"), args.models]
                       + exports, check=True, stdout=subprocess.DEVNULL)
    for d in plain:
        if d.endswith(HALF_SUFFIX):
            make_half_twin(os.path.join(args.models, d[:-len(HALF_SUFFIX)]), os.path.join(args.models, d))
    if [d for d in missing if d in QUANTIZED]:
        quantize_missing(args.models, [d for d in missing if d in QUANTIZED])
    name, ident, flags = cpu_info()
    print(f"CPU: {name} ({ident}), {os.cpu_count()} cores; flags: {' '.join(flags)}")
    print(f"ONNX Runtime {ORT_VERSION}; {args.rounds} alternating rounds of {args.iterations} timed runs\n")
    bench_table(args, models, node_path, None)
    if args.isa:
        print(f"\ninferd capped at {args.isa} (INFERD_MAX_ISA={args.isa}); ORT native\n")
        bench_table(args, models, node_path, args.isa)
    return 0


if __name__ == "__main__":
    sys.exit(main())
