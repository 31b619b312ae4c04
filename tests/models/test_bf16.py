#!/usr/bin/python3
"""The bf16 precision mode (`--precision bf16`) on exported float models.

usage: test_bf16.py INFERD MODEL_DIR... [--threads N]

Each MODEL_DIR is a float model export_models.py wrote (model.onnx and
test_data_set_*). Every data set runs through `inferd run` twice, in fp32
and in bf16, and `inferd bench --iterations 1` reports what the model ran
in (precision, precision_requested, bf16_layers).

Where the mode can run (the CPU lists avx512_bf16 in /proc/cpuinfo and
INFERD_MAX_ISA does not cap it below avx512), the test wants: precision
bf16 with every convolution and matrix product packed in bf16
(bf16_layers > 0), outputs that differ from fp32 (bf16 really ran), within
the documented bound max|bf16 - fp32| <= BOUND * max|fp32| per data set,
and for classifiers the same top-1 class where fp32's margin is clear.
Each model's float16 twin (test_half_models.py's conversion) then runs the
same way, against its own fp32-mode run, and must put as many layers in
bf16 as the float model.

Elsewhere it checks the fallback and says it skipped the rest: the model
loads and runs, precision fp32 (requested bf16), no bf16 layers, one
warning naming AVX512_BF16 on stderr, and outputs equal to the fp32 run's.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnx.numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_half_models import half_tensor, to_half  # noqa: E402

# docs/performance.md's bound: bf16 inputs (8-bit mantissa) into float32
# accumulation, measured at 1.1e-2 (ResNet-50) and 6e-3 (BERT-base) over
# random inputs; twice the worst measured leaves room for other weights.
BOUND = 2.5e-2
# A classifier's top-1 must agree where fp32's top two are further apart than this (relative).
CLEAR_MARGIN = 5e-2


def load(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return onnx.numpy_helper.to_array(t)


def bf16_runs_here():
    if os.environ.get("INFERD_MAX_ISA", "avx512") != "avx512":
        return False
    with open("/proc/cpuinfo") as f:
        return " avx512_bf16" in f.read()


def run(inferd, model, sets, out, precision, threads):
    cmd = [inferd, "run", "--model", model, "--output-dir", out, "--threads", str(threads),
           "--precision", precision]
    for s in sets:
        cmd += ["--input-dir", s]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)}: {p.stderr}")
    return p.stderr


def stats(inferd, model, precision, data_set):
    """inferd bench's JSON (and stderr) for one run at data_set's input shapes."""
    cmd = [inferd, "bench", "--model", model, "--iterations", "1", "--warmup", "0",
           "--precision", precision]
    for path in sorted(glob.glob(os.path.join(data_set, "input_*.pb"))):
        t = onnx.TensorProto()
        with open(path, "rb") as f:
            t.ParseFromString(f.read())
        cmd += ["--shape", f"{t.name}={','.join(str(d) for d in t.dims)}"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)}: {p.stderr}")
    return json.loads(p.stdout), p.stderr


def half_twin(model_dir, sets, work):
    """The float16 twin of model_dir (test_half_models.to_half) and its data sets, in work."""
    os.makedirs(work)
    path = os.path.join(work, "model.onnx")
    onnx.save(to_half(onnx.load(os.path.join(model_dir, "model.onnx")), "float16"), path)
    twin_sets = []
    for s in sets:
        data = os.path.join(work, os.path.basename(s))
        os.makedirs(data)
        for f in sorted(glob.glob(os.path.join(s, "input_*.pb"))):
            t = onnx.load_tensor(f)
            if t.data_type == onnx.TensorProto.FLOAT:
                t = half_tensor(t, "float16")
            onnx.save_tensor(t, os.path.join(data, os.path.basename(f)))
        twin_sets.append(data)
    return path, twin_sets


def check(inferd, name, model, sets, threads, native, want_layers, tmp):
    """Failures of one model in bf16 mode against its own fp32 run, and its bench stats.

    want_layers, if given, is the bf16 layer count the model must reach."""
    failures = 0
    st, bench_err = stats(inferd, model, "bf16", sets[0])
    f32_dir, b16_dir = os.path.join(tmp, name + "_fp32"), os.path.join(tmp, name + "_bf16")
    run(inferd, model, sets, f32_dir, "fp32", threads)
    run_err = run(inferd, model, sets, b16_dir, "bf16", threads)
    for s in sets:
        base = os.path.basename(s)
        ref = load(os.path.join(f32_dir, base, "output_0.pb")).astype(np.float64)
        got = load(os.path.join(b16_dir, base, "output_0.pb")).astype(np.float64)
        scale = max(np.abs(ref).max(), 1e-30)
        rel = np.abs(got - ref).max() / scale
        problems = []
        if native:
            if rel > BOUND:
                problems.append(f"relative error {rel:.3g} > bound {BOUND}")
            if rel == 0:
                problems.append("bf16 output equals fp32's bit for bit: bf16 did not run")
            if ref.ndim == 2 and ref.shape[1] > 1:
                top2 = np.sort(ref, axis=1)[:, -2:]
                clear = (top2[:, 1] - top2[:, 0]) > CLEAR_MARGIN * scale
                agree = ref.argmax(1) == got.argmax(1)
                if np.any(clear & ~agree):
                    problems.append(f"top-1 differs on {int(np.sum(clear & ~agree))} "
                                    "clear-margin rows")
        elif not np.allclose(got, ref, rtol=1e-5, atol=1e-6 * scale):
            problems.append(f"fallback output differs from fp32 (relative {rel:.3g})")
        print(f"{name}/{base}: bf16 vs fp32 relative error {rel:.3g}"
              f"{': ' + '; '.join(problems) if problems else ''}")
        failures += bool(problems)
    problems = []
    if native:
        if st["precision"] != "bf16" or st["bf16_layers"] < 1:
            problems.append(f"stats say precision {st['precision']}, "
                            f"{st['bf16_layers']} bf16 layers")
        if want_layers is not None and st["bf16_layers"] != want_layers:
            problems.append(f"{st['bf16_layers']} bf16 layers where the float model has {want_layers}")
        if "AVX512_BF16" in run_err or st["reference_layers"]:
            problems.append("warned of a fallback or ran reference code")
    else:
        if (st["precision"], st["precision_requested"], st["bf16_layers"]) != ("fp32", "bf16", 0):
            problems.append(f"fallback stats wrong: {st}")
        if bench_err.count("AVX512_BF16") != 1 or run_err.count("AVX512_BF16") != 1:
            problems.append("fallback did not warn exactly once")
    print(f"{name}: precision {st['precision']} (requested {st['precision_requested']}), "
          f"{st['bf16_layers']} bf16 layers{': ' + '; '.join(problems) if problems else ''}")
    return failures + bool(problems), st


def main():
    args = sys.argv[1:]
    threads = 1
    if "--threads" in args:
        i = args.index("--threads")
        threads = int(args[i + 1])
        del args[i:i + 2]
    inferd, models = args[0], args[1:]
    native = bf16_runs_here()
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for model_dir in models:
            name = os.path.basename(model_dir.rstrip("/"))
            sets = sorted(glob.glob(os.path.join(model_dir, "test_data_set_*")))
            bad, st = check(inferd, name, os.path.join(model_dir, "model.onnx"), sets, threads,
                            native, None, tmp)
            failures += bad
            # The float16 twin: its convolutions and products run in bf16 like the float model's.
            twin, twin_sets = half_twin(model_dir, sets, os.path.join(tmp, name + "_float16"))
            bad, _ = check(inferd, name + "_float16", twin, twin_sets, threads, native,
                           st["bf16_layers"], tmp)
            failures += bad
    if not native:
        print("SKIP: this CPU (or INFERD_MAX_ISA) lacks AVX512_BF16: checked the fp32 fallback "
              "only, not bf16 accuracy")
    print("FAIL" if failures else "PASS")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
