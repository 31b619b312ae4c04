#!/usr/bin/python3
"""Graph fusions that rewrite weights, checked against PyTorch.

Each case is a small ONNX graph built here, run by the real `inferd run`, and
compared with the same computation in torch.nn.functional:

- Conv -> BatchNormalization, with and without a Conv bias (folded);
- the same weights feeding a second Conv with no BatchNormalization (the
  fold must copy them, not scale them in place);
- a Conv whose output is also a graph output (must not fold);
- MobileNetV2's inverted-residual block (1x1 Conv, Clip, 3x3 depthwise
  Conv, Clip, 1x1 Conv [+ residual Add]), with and without the expansion,
  at stride 1 and 2, and with the expansion's output also a graph output
  (only the depthwise and projection layers may fuse then), which on
  AVX-512 runs as one inferd.ConvBlockNHWC step (checked in the profile).

usage: test_fusions.py INFERD
"""
import json
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


def profile(inferd, graph, shape):
    """The op types `inferd bench --profile` ran graph's steps as, and the ISA it ran at."""
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "model.onnx")
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), model)
        run = subprocess.run([inferd, "bench", "--model", model, "--iterations", "1", "--warmup", "0", "--profile",
                              "--shape", "x=" + ",".join(map(str, shape))],
                             check=True, capture_output=True, text=True)
    ops = [line.split()[0] for line in run.stderr.splitlines()[1:] if line.strip()]
    return ops, json.loads(run.stdout)["isa"]


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
    ok &= block_cases(inferd)
    return 0 if ok else 1


def block_cases(inferd):
    """Inverted-residual blocks against torch, and whether they ran fused."""
    ok = True
    clip = [const("lo", np.array(0.0)), const("hi", np.array(6.0))]
    for stride, expand, residual, expanded_out in ((1, True, True, False), (2, True, False, False),
                                                   (1, False, True, False), (2, False, False, False),
                                                   (1, True, True, True)):
        c = 8
        e = 24 if expand else c
        m = c if residual else 12
        x = rng.standard_normal((2, c, 15, 13)).astype(np.float32)
        we, be = rng.standard_normal((e, c, 1, 1)) * 0.5, rng.standard_normal(e)
        wd, bd = rng.standard_normal((e, 1, 3, 3)) * 0.5, rng.standard_normal(e)
        wp, bp = rng.standard_normal((m, e, 1, 1)) * 0.3, rng.standard_normal(m)
        nodes = []
        src = "x"
        if expand:
            nodes += [helper.make_node("Conv", ["x", "we", "be"], ["ec"]),
                      helper.make_node("Clip", ["ec", "lo", "hi"], ["ex"])]
            src = "ex"
        nodes += [helper.make_node("Conv", [src, "wd", "bd"], ["dc"], group=e, pads=[1, 1, 1, 1],
                                   strides=[stride, stride]),
                  helper.make_node("Clip", ["dc", "lo", "hi"], ["dx"]),
                  helper.make_node("Conv", ["dx", "wp", "bp"], ["pc" if residual else "y"])]
        if residual:
            nodes.append(helper.make_node("Add", ["pc", "x"], ["y"]))
        outputs = [tensor_info("y", None)] + ([tensor_info("ex", None)] if expanded_out else [])
        weights = [const("wd", wd), const("bd", bd), const("wp", wp), const("bp", bp)] + clip
        if expand:
            weights += [const("we", we), const("be", be)]
        graph = helper.make_graph(nodes, "block", [tensor_info("x", list(x.shape))], outputs, weights)
        got = run_inferd(inferd, graph, x)

        def f(a):
            return torch.from_numpy(np.asarray(a, dtype=np.float32))
        t = f(x)
        if expand:
            t = torch.clamp(torch.nn.functional.conv2d(t, f(we), f(be)), 0, 6)
        ex = t.numpy()
        t = torch.clamp(torch.nn.functional.conv2d(t, f(wd), f(bd), stride=stride, padding=1, groups=e), 0, 6)
        t = torch.nn.functional.conv2d(t, f(wp), f(bp))
        if residual:
            t = t + f(x)
        name = (f"inverted-residual block, stride {stride}{', expansion' if expand else ''}"
                f"{', residual' if residual else ''}{', expansion also an output' if expanded_out else ''}")
        ok &= close(name, got[0], t.numpy())
        if expanded_out:
            ok &= close(name + ": the expansion", got[1], ex)
        ops, isa = profile(inferd, graph, x.shape)
        fused = ops.count("inferd.ConvBlockNHWC")
        want = (1 if isa == "avx512" else 0)
        if fused != want or (isa == "avx512" and expanded_out and "ConvNHWC" not in ops):
            print(f"{name}: ran as {ops} at {isa}, expected {want} fused block(s) FAILED")
            ok = False
    return ok


if __name__ == "__main__":
    sys.exit(main())
