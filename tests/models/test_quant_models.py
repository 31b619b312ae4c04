#!/usr/bin/python3
"""Whole int8 models: inferd against ONNX Runtime running the same quantized model.

The float models come from export_models.py (the exported_models fixture).
quantize_qdq.py quantizes them, calibrated on random inputs (fixed seed):
  - ResNet-18 and ResNet-50, static QDQ with the convolutions' outputs
    quantized too (the whole network runs int8 between the convolutions);
  - the tiny BERT encoder, static QDQ on its projections (float outputs);
  - the tiny BERT encoder, dynamic (DynamicQuantizeLinear + MatMulInteger).
Each test data set of the float model then runs through ONNX Runtime and
`inferd run` (native ISA, and capped at AVX2 and plain C for the CNNs).

What must hold: the requantization multiplies in float, whose rounding the
spec leaves to the implementation, so a quantized activation may differ by
one step from ONNX Runtime's now and then, and the difference travels on;
the outputs must stay within TOLERANCE of the largest reference value (a
few quantization steps of the output) and the CNNs' top-1 class must agree.
The dynamic model has no requantization: DynamicQuantizeLinear and
MatMulInteger are exact, but a float input that differs in its last bit
(LayerNorm, Softmax) may quantize one step apart, so the same kind of
bound holds (RTOL_DYNAMIC; measured: up to 0.25% of the largest value).
The run also fails if a layer ran on reference code or on a fallback route
(a quantized layer no int8 kernel took, run in float; an int8 convolution
off oneDNN): the bundled models must have none, at every ISA level. So that
this check cannot pass by the count being dead, the CNNs run once more with
oneDNN's int8 convolution switched off (INFERD_QUANT_NO_DNNL), where every
one of their int8 NHWC convolutions must be reported as a fallback (on a CPU
with AVX-512 VNNI, the only one that runs them on oneDNN), and a one-node
QDQ Gemm that the fusion refuses (transA) must be reported as one quantized
layer run in float.

usage: test_quant_models.py INFERD BUILD_DIR EXPORT_DIR [MODEL ...]
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
from onnx import TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import quantize_qdq as qq  # noqa: E402

# Relative to the largest |reference| value.
TOLERANCE = {"cnn": 0.05, "encoder": 0.05}
RTOL_DYNAMIC = 0.01
CALIBRATION_SETS = 4
RNG = np.random.default_rng(15)

# A pseudo ISA cap: native, with oneDNN's int8 convolution off (INFERD_QUANT_NO_DNNL), so
# that the channels-last int8 convolutions, residual Adds fused into them included, run
# on inferd's fallback route (on a CPU without VNNI it is the native run again).
NO_DNNL = "no-onednn"

# name: (exported float model, mode, kind, ISA caps to run besides native)
CASES = {
    "resnet18_qdq": ("resnet18_op13", "static", "cnn", ["avx2", "generic", NO_DNNL]),
    "resnet50_qdq": ("resnet50_op13", "static", "cnn", [NO_DNNL]),
    "encoder_tiny_qdq": ("encoder_tiny_op13", "static", "encoder", ["avx2", "generic"]),
    "encoder_tiny_dynamic": ("encoder_tiny_op13", "dynamic", "encoder", ["avx2", "generic"]),
}


def calibration_feeds(model, kind):
    feeds = []
    for _ in range(CALIBRATION_SETS):
        f = {}
        for inp in model.graph.input:
            if kind == "cnn":
                f[inp.name] = RNG.standard_normal((1, 3, 224, 224)).astype(np.float32)
            elif inp.name == "input_ids":
                f[inp.name] = RNG.integers(0, 30522, (1, 16)).astype(np.int64)
            else:
                f[inp.name] = np.ones((1, 16), np.int64)
        feeds.append(f)
    return feeds


def load(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return onnx.numpy_helper.to_array(t)


def run_inferd(inferd, model_path, data_dir, out_dir, isa):
    env = dict(os.environ)
    env.pop("INFERD_MAX_ISA", None)
    env.pop("INFERD_QUANT_NO_DNNL", None)
    if isa == NO_DNNL:
        env["INFERD_QUANT_NO_DNNL"] = "1"
    elif isa:
        env["INFERD_MAX_ISA"] = isa
    run = subprocess.run([inferd, "run", "--model", model_path, "--input-dir", data_dir,
                          "--output-dir", out_dir], capture_output=True, text=True, env=env)
    if run.returncode != 0:
        return None, run.stderr.strip().splitlines()[-1:] or ["(no message)"]
    slow = [line for line in run.stderr.splitlines() if any(m in line for m in SLOW_MARKS)]
    return load(os.path.join(out_dir, "output_0.pb")), slow


# What inferd's warnings say of a layer on reference code or on a fallback route.
SLOW_MARKS = ("runs on reference code", "runs on a fallback route", "run in float on dequantized")


def has_vnni():
    with open("/proc/cpuinfo") as f:
        return any(line.startswith("flags") and "avx512_vnni" in line.split() for line in f)


def bench_json(inferd, model_path, shapes, env_extra, extra_args=()):
    """inferd bench's JSON line for one run, and its stderr (and what stdout has before it)."""
    args = [inferd, "bench", "--model", model_path, "--iterations", "1", "--warmup", "0", *extra_args]
    for name, dims in shapes.items():
        args += ["--shape", f"{name}={dims}"]
    env = dict(os.environ, **env_extra)
    env.pop("INFERD_MAX_ISA", None)
    run = subprocess.run(args, capture_output=True, text=True, env=env)
    if run.returncode != 0:
        raise SystemExit(f"inferd bench failed: {run.stderr}")
    lines = run.stdout.strip().splitlines()
    return json.loads(lines[-1]), run.stderr + "\n".join(lines[:-1])


def check_fallback_count(name, inferd, path):
    """With oneDNN's int8 convolution off, every int8 NHWC convolution is a counted fallback."""
    if not has_vnni():
        print(f"     {name}: no AVX-512 VNNI, so no int8 convolution on oneDNN: fallback check skipped")
        return []
    on, profile = bench_json(inferd, path, {"input": "1,3,224,224"}, {}, ["--profile"])
    off, err = bench_json(inferd, path, {"input": "1,3,224,224"}, {"INFERD_QUANT_NO_DNNL": "1"})
    convs = sum(1 for n in onnx.load(path).graph.node if n.op_type == "Conv")
    warned = sum(1 for line in err.splitlines() if "runs on a fallback route" in line)
    print(f"     {name}: fallback_layers {on['fallback_layers']} with oneDNN, "
          f"{off['fallback_layers']} without ({convs} convolutions, {warned} warnings)")
    # Every residual Add is fused into the convolution producing one of its addends.
    if "inferd.QLinearAdd" in profile or "inferd.QLinearConvNHWC" not in profile:
        return [f"{name}: a residual inferd.QLinearAdd left unfused (or no NHWC int8 conv):\n{profile}"]
    if on["fallback_layers"] != 0 or off["fallback_layers"] != convs or warned != convs:
        return [f"{name}: fallback count with oneDNN off is {off['fallback_layers']} "
                f"({warned} warnings), want {convs}; with it on {on['fallback_layers']}, want 0"]
    return []


def check_encoder_fusion(name, inferd, path):
    """No DequantizeLinear runs in the QDQ encoder: the activations' are read by the int8
    MatMuls, and the residual connections' taken into the MatMul whose output they are
    added to (with the Add), a Shape of one reading the 8-bit tensor."""
    _, profile = bench_json(inferd, path, {"input_ids": "1,16", "attention_mask": "1,16"}, {},
                            ["--profile"])
    ops = [line.split()[0] for line in profile.splitlines() if line.strip()]
    if "DequantizeLinear" in ops or "inferd.QLinearMatMul" not in ops:
        return [f"{name}: a DequantizeLinear left to run (or no int8 MatMul):\n{profile}"]
    print(f"     {name}: no DequantizeLinear pass left")
    return []


def unfused_qdq_gemm():
    """DQ(x) -> Gemm(transA=1, DQ(w)): a quantized layer fuse_qdq.c refuses (transA)."""
    h = onnx.helper
    init = [onnx.numpy_helper.from_array(np.array(0.02, np.float32), "s"),
            onnx.numpy_helper.from_array(np.array(128, np.uint8), "z"),
            onnx.numpy_helper.from_array(RNG.integers(-127, 128, (8, 4)).astype(np.int8), "w"),
            onnx.numpy_helper.from_array(np.array(0.01, np.float32), "ws"),
            onnx.numpy_helper.from_array(np.array(0, np.int8), "wz")]
    nodes = [h.make_node("QuantizeLinear", ["x", "s", "z"], ["xq"]),
             h.make_node("DequantizeLinear", ["xq", "s", "z"], ["xd"]),
             h.make_node("DequantizeLinear", ["w", "ws", "wz"], ["wd"]),
             h.make_node("Gemm", ["xd", "wd"], ["y"], transA=1)]
    graph = h.make_graph(nodes, "unfused_qdq", [h.make_tensor_value_info("x", TensorProto.FLOAT, [8, 3])],
                         [h.make_tensor_value_info("y", TensorProto.FLOAT, [3, 4])], init)
    return h.make_model(graph, opset_imports=[h.make_opsetid("", 13)])


def check_unfused(inferd, tmp):
    path = os.path.join(tmp, "unfused_qdq.onnx")
    onnx.save(unfused_qdq_gemm(), path)
    got, err = bench_json(inferd, path, {}, {})
    warned = any("run in float on dequantized" in line for line in err.splitlines())
    ok = got["fallback_layers"] == 1 and warned
    print(f"{'ok  ' if ok else 'FAIL'} unfused_qdq: fallback_layers {got['fallback_layers']} (want 1), "
          f"warned {warned}")
    return ok


def check(name, inferd, build_dir, export_dir, tmp):
    source, mode, kind, caps = CASES[name]
    src_dir = os.path.join(export_dir, source)
    model = onnx.load(os.path.join(src_dir, "model.onnx"))
    if mode == "static":
        q = qq.quantize_static(model, calibration_feeds(model, kind), build_dir, kind == "cnn")
    else:
        q = qq.quantize_dynamic(model)
    path = os.path.join(tmp, f"{name}.onnx")
    onnx.save(q, path)
    data_dirs = sorted(glob.glob(os.path.join(src_dir, "test_data_set_*")))
    feeds = [qq.load_inputs(d, q) for d in data_dirs]
    want_all = qq.run_ort(q, feeds, build_dir)
    out_name = q.graph.output[0].name
    problems = []
    for d, want_outs in zip(data_dirs, want_all):
        want = want_outs[out_name]
        for isa in [None] + caps:
            label = f"{os.path.basename(d)}, {isa or 'native'}"
            out_dir = os.path.join(tmp, name, f"{os.path.basename(d)}_{isa or 'native'}")
            os.makedirs(out_dir)
            got, slow = run_inferd(inferd, path, d, out_dir, isa)
            if got is None:
                problems.append(f"{label}: inferd failed: {slow[0]}")
                continue
            if slow and isa != NO_DNNL:  # that run is on the fallback route by design
                problems.append(f"{label}: {len(slow)} layer(s) on reference code or a fallback "
                                f"route: {slow[0]}")
            scale = float(np.max(np.abs(want)))
            err = float(np.max(np.abs(got.astype(np.float64) - want)))
            bound = (RTOL_DYNAMIC if mode == "dynamic" else TOLERANCE[kind]) * scale
            line = f"{label}: max|diff| {err:.3e} of max|ref| {scale:.3e}"
            if kind == "cnn":
                agree = float(np.mean(got.argmax(-1) == want.argmax(-1)))
                line += f", top-1 agreement {agree:.0%}"
                if agree < 1.0:
                    problems.append(line)
                    continue
            print(f"     {line}")
            if not err <= bound:
                problems.append(line + f" (bound {bound:.3e})")
    if kind == "cnn":
        problems += check_fallback_count(name, inferd, path)
    elif mode == "static":
        problems += check_encoder_fusion(name, inferd, path)
    print(f"{'FAIL' if problems else 'ok  '} {name}" + "".join(f"\n     {p}" for p in problems))
    return not problems


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    inferd, build_dir, export_dir = sys.argv[1:4]
    names = sys.argv[4:] or list(CASES)
    with tempfile.TemporaryDirectory() as tmp:
        results = [check(n, inferd, build_dir, export_dir, tmp) for n in names]
        if not sys.argv[4:]:
            results.append(check_unfused(inferd, tmp))
    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
