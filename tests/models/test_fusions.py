#!/usr/bin/python3
"""Graph fusions that rewrite weights, checked against PyTorch.

Each case is a small ONNX graph built here, run by the real `inferd run`, and
compared with the same computation in torch.nn.functional:

- Conv -> BatchNormalization, with and without a Conv bias (folded);
- the same weights feeding a second Conv with no BatchNormalization (the
  fold must copy them, not scale them in place);
- a Conv whose output is also a graph output (must not fold).

usage: test_fusions.py INFERD
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

RTOL = 1e-5
rng = np.random.default_rng(3)


def const(name, array):
    return numpy_helper.from_array(array.astype(np.float32), name)


def tensor_info(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def run_inferd(inferd, graph, x):
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "model.onnx")
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), model)
        data = os.path.join(tmp, "in")
        os.mkdir(data)
        with open(os.path.join(data, "input_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(x, "x").SerializeToString())
        out = os.path.join(tmp, "out")
        subprocess.run([inferd, "run", "--model", model, "--input-dir", data, "--output-dir", out], check=True)
        results = []
        for k in range(len(graph.output)):
            t = TensorProto()
            with open(os.path.join(out, f"output_{k}.pb"), "rb") as f:
                t.ParseFromString(f.read())
            results.append(numpy_helper.to_array(t))
        return results


def close(name, got, want):
    rel = float(np.max(np.abs(got.astype(np.float64) - want))) / float(np.max(np.abs(want)))
    ok = got.shape == want.shape and rel <= RTOL
    print(f"{name}: max relative error {rel:.2e} {'ok' if ok else 'FAILED'}")
    return ok


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    inferd = sys.argv[1]
    x = rng.standard_normal((2, 4, 9, 9)).astype(np.float32)
    w = rng.standard_normal((6, 4, 3, 3)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    scale, shift = rng.uniform(0.5, 2, 6), rng.standard_normal(6)
    mean, var = rng.standard_normal(6), rng.uniform(0.1, 3, 6)
    eps = 1e-3
    stats = [const("scale", scale), const("shift", shift), const("mean", mean), const("var", var)]
    tx, tw, tb = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)

    def bn(t):
        return torch.nn.functional.batch_norm(t, torch.from_numpy(mean).float(), torch.from_numpy(var).float(),
                                              torch.from_numpy(scale).float(), torch.from_numpy(shift).float(),
                                              False, 0.0, eps).numpy()

    def conv(bias):
        return torch.nn.functional.conv2d(tx, tw, bias, padding=1)

    ok = True
    for with_bias in (True, False):
        conv_inputs = ["x", "w", "b"] if with_bias else ["x", "w"]
        nodes = [helper.make_node("Conv", conv_inputs, ["c"], pads=[1, 1, 1, 1]),
                 helper.make_node("BatchNormalization", ["c", "scale", "shift", "mean", "var"], ["y"],
                                  epsilon=eps),
                 helper.make_node("Conv", ["x", "w"], ["z"], pads=[1, 1, 1, 1])]
        graph = helper.make_graph(nodes, "conv_bn", [tensor_info("x", list(x.shape))],
                                  [tensor_info("y", None), tensor_info("z", None)],
                                  [const("w", w), const("b", b)] + stats)
        y, z = run_inferd(inferd, graph, x)
        ok &= close(f"Conv{'+bias' if with_bias else ''} -> BatchNormalization", y,
                    bn(conv(tb if with_bias else None)))
        ok &= close("second Conv on the shared weights", z, conv(None).numpy())

    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "scale", "shift", "mean", "var"], ["y"], epsilon=eps)]
    graph = helper.make_graph(nodes, "conv_out", [tensor_info("x", list(x.shape))],
                              [tensor_info("y", None), tensor_info("c", None)], [const("w", w), const("b", b)] + stats)
    y, c = run_inferd(inferd, graph, x)
    ok &= close("BatchNormalization after a Conv that is a graph output", y, bn(conv(tb)))
    ok &= close("that Conv's own output", c, conv(tb).numpy())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
