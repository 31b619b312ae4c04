#!/usr/bin/python3
"""Ops that make float16 or bfloat16 values of their own in a half model.

usage: test_half_ops.py INFERD

engine/half.c runs a half model in float; values a model makes half by
construction keep their producer and are read through a widening Cast. This
checks the producers whose half output comes from an attribute rather than
an input: ConstantOfShape with a half value, EyeLike with a half dtype, and
RandomUniform / RandomNormal with a half dtype. Each model adds the made
value to a half input x and returns a half y; numpy computes the reference
(the random ones: every value is a half number within the range asked for).
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SHAPE = [3, 4]
# The MatMul case's weight per dtype (the half values), set before its model is made.
W = {}
CODES = {"float16": TensorProto.FLOAT16, "bfloat16": TensorProto.BFLOAT16}


def bits(array, dtype):
    if dtype == "float16":
        return np.asarray(array, dtype=np.float16).view(np.uint16)
    u = np.asarray(array, dtype=np.float32).view(np.uint32).astype(np.uint64)
    one, sh = np.uint64(1), np.uint64(16)
    return ((u + np.uint64(0x7FFF) + ((u >> sh) & one)) >> sh).astype(np.uint16)


def values(b, dtype):
    b = np.asarray(b, dtype=np.uint16)
    if dtype == "float16":
        return b.view(np.float16).astype(np.float64)
    return (b.astype(np.uint32) << np.uint32(16)).view(np.float32).astype(np.float64)


def half_tensor(name, array, dtype):
    t = TensorProto()
    t.name = name
    t.dims.extend(np.shape(array))
    t.data_type = CODES[dtype]
    t.raw_data = bits(array, dtype).tobytes()
    return t


def model(made, dtype, extra_inputs=()):
    """y = x + made (one node writing "m"); x and y half."""
    code = CODES[dtype]
    graph = helper.make_graph(
        [made, helper.make_node("Add", ["x", "m"], ["y"])], "half_ops",
        [helper.make_tensor_value_info("x", code, SHAPE)] + list(extra_inputs),
        [helper.make_tensor_value_info("y", code, SHAPE)])
    if made.op_type == "MatMul":
        graph.initializer.append(half_tensor("w", W[dtype], dtype))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    return m


def run(inferd, m, inputs, tmp, name):
    path = os.path.join(tmp, name + ".onnx")
    onnx.save(m, path)
    data = os.path.join(tmp, name + "_in")
    out = os.path.join(tmp, name + "_out")
    os.makedirs(data)
    for k, t in enumerate(inputs):
        onnx.save_tensor(t, os.path.join(data, f"input_{k}.pb"))
    r = subprocess.run([inferd, "run", "--model", path, "--input-dir", data, "--output-dir", out],
                       stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        print(f"{name}: inferd run exited {r.returncode}: {r.stderr.strip()}")
        return None
    t = onnx.load_tensor(os.path.join(out, "output_0.pb"))
    if t.data_type != CODES[name.split("_")[-1]]:
        print(f"{name}: output type {t.data_type}")
        return None
    return np.frombuffer(t.raw_data, np.uint16).reshape(tuple(t.dims))


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    inferd, ok = sys.argv[1], True
    rng = np.random.default_rng(15)
    with tempfile.TemporaryDirectory() as tmp:
        for dtype in CODES:
            code = CODES[dtype]
            x = values(bits(rng.uniform(-4, 4, size=SHAPE), dtype), dtype)
            x_t = half_tensor("x", x, dtype)
            shape_t = numpy_helper.from_array(np.array(SHAPE, dtype=np.int64), "shape")
            cases = [
                ("constant_of_shape",
                 helper.make_node("ConstantOfShape", ["shape"], ["m"],
                                  value=half_tensor("value", np.array([1.375]), dtype)),
                 [helper.make_tensor_value_info("shape", TensorProto.INT64, [2])], [x_t, shape_t],
                 lambda: x + 1.375),
                ("eyelike", helper.make_node("EyeLike", ["x"], ["m"], dtype=code, k=1), [], [x_t],
                 lambda: x + np.eye(*SHAPE, k=1)),
                ("random_uniform",
                 helper.make_node("RandomUniform", [], ["m"], dtype=code, shape=SHAPE, low=2.0,
                                  high=3.0, seed=1.0), [], [x_t], None),
                ("random_normal",
                 helper.make_node("RandomNormal", [], ["m"], dtype=code, shape=SHAPE, mean=0.0,
                                  scale=1.0, seed=2.0), [], [x_t], None),
            ]
            # A plain MatMul (no bias to fuse) on a half weight: its packed B stays half.
            w = values(bits(rng.uniform(-1, 1, size=(SHAPE[1], SHAPE[1])), dtype), dtype)
            W[dtype] = w
            matmul = helper.make_node("MatMul", ["x", "w"], ["m"])
            cases.append(("matmul", matmul, [], [x_t], lambda: x + x @ w))
            for name, node, extra, inputs, ref in cases:
                full = f"{name}_{dtype}"
                got = run(inferd, model(node, dtype, extra), inputs, tmp, full)
                if got is None:
                    ok = False
                    continue
                y = values(got, dtype)
                if ref is not None:
                    want = values(bits(ref(), dtype), dtype)
                    # The product rounds at y only; a sum's order moves it by an ulp at most.
                    ulp = 2.0 ** (-10 if dtype == "float16" else -7) * np.maximum(np.abs(want), 1)
                    good = np.array_equal(y, want) if name != "matmul" else \
                        bool(np.all(np.abs(y - want) <= ulp))
                    print(f"{full}: {'ok' if good else 'FAIL'}")
                else:
                    m = y - x
                    # y rounds x + m once: m is recovered within one half ulp of y.
                    ulp = 2.0 ** (-10 if dtype == "float16" else -7) * np.maximum(np.abs(y), 1)
                    lo, hi = (2.0, 3.0) if name == "random_uniform" else (-8.0, 8.0)
                    good = bool(np.all(m >= lo - ulp) and np.all(m <= hi + ulp)) and \
                        len(np.unique(m)) > 1
                    print(f"{full}: {'ok' if good else 'FAIL'} (made values in "
                          f"[{m.min():.3f}, {m.max():.3f}])")
                ok &= good
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
