#!/usr/bin/python3
"""Prints the whole-model table: accuracy against PyTorch and memory figures.

For each exported model folder: the worst max relative error over its test
data sets (check_model.py), then `inferd bench` at batch 1 (encoders: batch 1,
sequence 128) for peak RSS, weights, arena, load and compile time. The
process's own baseline RSS (libraries and their code, allocator) is measured
on a model with tiny weights that runs every kernel path, and shown so the
model's share can be read off: the bound is
peak RSS - baseline <= weights + 1.5 x arena.

usage: report.py INFERD MODEL_DIR...
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def bench(inferd, model, extra):
    out = subprocess.run([inferd, "bench", "--model", model, "--iterations", "3", "--warmup", "1"] + extra,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def baseline_rss(inferd):
    """Peak RSS of inferd bench on a model with tiny weights that runs every kernel path.

    A 3-channel stem convolution (oneDNN's direct kernel), max pooling, a
    standard convolution (the packed GEMM), a pointwise and a depthwise one
    (oneDNN), a MatMul and a Softmax: the libraries are loaded and their code
    is paged in, as for any real model, so what stays is the model's own data.
    """
    rng = np.random.default_rng(0)

    def weight(name, *shape):
        return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)

    nodes = [helper.make_node("Conv", ["x", "w7"], ["s"], pads=[3, 3, 3, 3], strides=[2, 2]),
             helper.make_node("MaxPool", ["s"], ["p"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]),
             helper.make_node("Conv", ["p", "w3"], ["a"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["a"], ["b"]),
             helper.make_node("Conv", ["b", "w1"], ["c"]),
             helper.make_node("Conv", ["c", "wd"], ["d"], group=16, pads=[1, 1, 1, 1]),
             helper.make_node("GlobalAveragePool", ["d"], ["e"]),
             helper.make_node("Flatten", ["e"], ["f"]),
             helper.make_node("MatMul", ["f", "m"], ["g"]),
             helper.make_node("Softmax", ["g"], ["y"])]
    graph = helper.make_graph(nodes, "baseline", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16])],
                              [weight("w7", 16, 3, 7, 7), weight("w3", 16, 16, 3, 3), weight("w1", 16, 16, 1, 1), weight("wd", 16, 1, 3, 3),
                               weight("m", 16, 16)])
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "baseline.onnx")
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
        return bench(inferd, path, [])["peak_rss_bytes"]


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    inferd = sys.argv[1]
    base = baseline_rss(inferd)
    mib = 1 << 20
    print(f"baseline RSS of the inferd process: {base / mib:.1f} MiB\n")
    print("| model | opset | max rel. error | peak RSS MiB | RSS - baseline MiB | weights MiB | arena MiB "
          "| within weights + 1.5 x arena | load ms | compile ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for model_dir in sys.argv[2:]:
        name = os.path.basename(os.path.normpath(model_dir))
        check = subprocess.run([sys.executable, os.path.join(HERE, "check_model.py"), inferd, model_dir],
                               capture_output=True, text=True)
        worst = re.search(r"worst max relative error (\S+)", check.stdout)
        model = os.path.join(model_dir, "model.onnx")
        opset = next(o.version for o in onnx.load(model, load_external_data=False).opset_import
                     if o.domain in ("", "ai.onnx"))
        extra = []
        if name.startswith("encoder"):
            extra = ["--shape", "input_ids=1,128", "--shape", "attention_mask=1,128"]
        b = bench(inferd, model, extra)
        own = b["peak_rss_bytes"] - base
        ok = own <= b["weight_bytes"] + 1.5 * b["arena_bytes"]
        print(f"| {name} | {opset} | {worst.group(1) if worst else 'FAILED'} | {b['peak_rss_bytes'] / mib:.1f} "
              f"| {own / mib:.1f} | {b['weight_bytes'] / mib:.1f} | {b['arena_bytes'] / mib:.1f} | "
              f"{'yes' if ok else 'NO'} | {b['load_ms']:.0f} | {b['compile_ms']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
