#!/usr/bin/python3
"""Data-dependent shapes and control flow, whole models, against ONNX Runtime.

Each model is built here with onnx.helper and given several input sets
whose learnt shapes differ, then repeat (so a context plans each
continuation once and reuses it: engine/segment.h). ONNX Runtime
(onnxruntime-node, as test_opsets_18_21.py installs it) computes the
reference outputs; the models and references are written in the ONNX node
test layout and run by inferd_conformance, which runs every input set of a
model through one engine context. Models cover: NonZero, Unique, Compress
feeding static ops; Range, Expand, Reshape, ConstantOfShape, Tile and TopK
fed by values computed while running; a detector (TopK + NonMaxSuppression
+ Gather); If on a data-dependent condition (a voice-activity-style gate)
with branches of different shapes; Loop with carried values that change
shape, scan outputs and outer-scope reads; nested control flow; Scan.

usage: test_dynamic_models.py INFERD_CONFORMANCE BUILD_DIR [KEEP_DIR]
(KEEP_DIR: write the tests there and keep them, for a debugger)
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnx.numpy_helper
from onnx import TensorProto, helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_opsets_18_21 as base  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = np.random.default_rng(14)
F = TensorProto.FLOAT
I64 = TensorProto.INT64
B = TensorProto.BOOL


def node(op, inputs, outputs, **attrs):
    return helper.make_node(op, inputs, outputs, **attrs)


def const(name, array):
    return node("Constant", [], [name], value=onnx.numpy_helper.from_array(np.asarray(array), name))


def vi(name, elem, shape=None):
    return helper.make_tensor_value_info(name, elem, shape)


class Model:
    """A model and its input sets (each a dict name -> array)."""

    def __init__(self, name, nodes, inputs, outputs, sets, opset=17, inits=None):
        self.name, self.nodes, self.inputs, self.outputs = name, nodes, inputs, outputs
        self.sets, self.opset, self.inits = sets, opset, inits or []

    def proto(self):
        graph = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs, self.inits)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)],
                                 ir_version=base.IR_VERSION, producer_name="test_dynamic_models")


def floats(*shape, lo=-1.0, hi=1.0):
    return RNG.uniform(lo, hi, shape).astype(np.float32)


def sparse(*shape, keep=0.3):
    x = floats(*shape)
    x[RNG.random(shape) > keep] = 0
    return x


def dynamic_models():
    models = []
    # NonZero, then ops that need its shape: Transpose, Shape, Gather of the indices.
    models.append(Model(
        "nonzero_then_static",
        [node("NonZero", ["X"], ["nz"]), node("Transpose", ["nz"], ["t"], perm=[1, 0]),
         node("Shape", ["t"], ["count"]), node("Cast", ["t"], ["tf"], to=F),
         node("ReduceSum", ["tf"], ["s"], axes=[1], keepdims=0),
         node("Mul", ["s", "two"], ["Y"])],
        [vi("X", F, ["a", "b"])], [vi("Y", F), vi("count", I64)],
        [{"X": sparse(4, 5)}, {"X": sparse(6, 3, keep=0.6)}, {"X": sparse(4, 5)},
         {"X": np.zeros((2, 2), np.float32)}], opset=12,
        inits=[onnx.numpy_helper.from_array(np.array(2, np.float32), "two")]))
    # NonZero of a scalar: [0, 1] or [0, 0] indices (rank 0 has no index rows).
    models.append(Model(
        "nonzero_scalar",
        [node("NonZero", ["X"], ["nz"]), node("Shape", ["nz"], ["Y"])],
        [vi("X", F, [])], [vi("nz", I64), vi("Y", I64)],
        [{"X": np.array(2.5, np.float32)}, {"X": np.array(0, np.float32)}], opset=13))
    # Range, Expand, ConstantOfShape and Tile planned from a count computed while running.
    models.append(Model(
        "range_expand_from_data",
        [node("Greater", ["X", "zero"], ["pos"]), node("Cast", ["pos"], ["posi"], to=I64),
         node("ReduceSum", ["posi"], ["n"], keepdims=0),
         node("Range", ["zero_i", "n", "one_i"], ["r"]),
         node("Cast", ["r"], ["rf"], to=F),
         node("Reshape", ["n", "shape1"], ["n1"]),
         node("Concat", ["n1", "three"], ["eshape"], axis=0),
         node("Unsqueeze", ["rf"], ["col"], axes=[1]),
         node("Expand", ["col", "eshape"], ["Y"]),
         node("ConstantOfShape", ["n1"], ["ones"], value=helper.make_tensor("v", F, [1], [1.5])),
         node("Concat", ["one_i1", "n1"], ["reps"], axis=0),
         node("Tile", ["X", "reps"], ["Z"]),
         node("ReduceSum", ["Z"], ["zs"], axes=[0], keepdims=0),
         node("Add", ["ones", "rf"], ["W"])],
        # X is over the 4096 bytes a plan is keyed by: n is learnt while running.
        [vi("X", F, [2, 600])], [vi("Y", F), vi("W", F), vi("zs", F)],
        [{"X": sparse(2, 600, keep=0.01)}, {"X": sparse(2, 600, keep=0.02)},
         {"X": sparse(2, 600, keep=0.01)}, {"X": -floats(2, 600, lo=0.1)}], opset=12,
        inits=[onnx.numpy_helper.from_array(a, n) for n, a in [
            ("zero", np.array(0, np.float32)), ("zero_i", np.array(0, np.int64)),
            ("one_i", np.array(1, np.int64)), ("shape1", np.array([1], np.int64)),
            ("three", np.array([3], np.int64)), ("axes1", np.array([1], np.int64)),
            ("one_i1", np.array([1], np.int64))]]))
    # TopK whose k is computed from the data; Reshape to a computed shape.
    models.append(Model(
        "topk_runtime_k",
        [node("ReduceMax", ["K"], ["kmax"], keepdims=1),
         node("TopK", ["X", "kmax"], ["V", "I"], axis=-1),
         node("Shape", ["V"], ["vs"]), node("ReduceProd", ["vs"], ["numel"], keepdims=1),
         node("Reshape", ["V", "numel"], ["flat"]),
         node("TopK", ["X", "kmax"], ["V2", "I2"], axis=0, largest=0)],
        # K is over the 4096 bytes a plan is keyed by: k is learnt while running.
        [vi("X", F, [5, 6]), vi("K", I64, [600])], [vi("flat", F), vi("I", I64), vi("V2", F),
                                                    vi("I2", I64)],
        [{"X": floats(5, 6), "K": RNG.integers(0, 4, 600)},
         {"X": floats(5, 6), "K": RNG.integers(0, 6, 600)},
         {"X": np.round(floats(5, 6) * 2) / 2, "K": RNG.integers(0, 4, 600)},
         {"X": floats(5, 6), "K": np.ones(600, np.int64)}],
        opset=13))
    # Unique and Compress feeding arithmetic and each other.
    models.append(Model(
        "unique_compress",
        [node("Unique", ["X"], ["u", "idx", "inv", "cnt"], sorted=1),
         node("Cast", ["cnt"], ["cf"], to=F), node("Mul", ["u", "cf"], ["Y"]),
         node("Greater", ["u", "zero"], ["keep"]),
         node("Compress", ["u", "keep"], ["up"], axis=0),
         node("Unique", ["Xr"], ["ur", "ir", "invr", "cr"], sorted=0, axis=1),
         node("Compress", ["Xr", "maskr"], ["xc"]),
         node("Neg", ["up"], ["Z"])],
        [vi("X", F, ["n"]), vi("Xr", I64, [3, "m"]), vi("maskr", B, ["k"])],
        [vi("Y", F), vi("idx", I64), vi("inv", I64), vi("Z", F), vi("ur", I64), vi("ir", I64),
         vi("invr", I64), vi("cr", I64), vi("xc", I64)],
        [{"X": np.round(floats(12) * 3), "Xr": RNG.integers(0, 2, (3, 6)),
          "maskr": RNG.random(10) > 0.5},
         {"X": np.round(floats(7) * 2), "Xr": RNG.integers(0, 3, (3, 4)),
          "maskr": RNG.random(4) > 0.3},
         {"X": np.round(floats(12) * 3), "Xr": RNG.integers(0, 2, (3, 6)),
          "maskr": RNG.random(10) > 0.5}],
        inits=[onnx.numpy_helper.from_array(np.array(0, np.float32), "zero")]))
    return models


def detector_model():
    """Scores -> TopK preselection -> Gather boxes -> NonMaxSuppression -> Gather the kept."""
    n, classes = 64, 3
    nodes = [
        node("ReduceMax", ["scores"], ["best"], axes=[1], keepdims=0),      # [1, n]
        node("TopK", ["best", "k"], ["top", "top_i"], axis=1),               # [1, k]
        node("Squeeze", ["top_i", "ax0"], ["sel"]),                          # [k]
        node("Gather", ["boxes", "sel"], ["cand_boxes"], axis=1),            # [1, k, 4]
        node("Gather", ["scores", "sel"], ["cand_scores"], axis=2),          # [1, c, k]
        node("NonMaxSuppression", ["cand_boxes", "cand_scores", "max_out", "iou", "thr"],
             ["picked"], center_point_box=0),                                  # [m, 3]
        node("Gather", ["picked", "col2"], ["box_i"], axis=1),               # [m]
        node("Gather", ["cand_boxes", "box_i"], ["kept"], axis=1),           # [1, m, 4]
        node("Squeeze", ["kept", "ax0"], ["Y"]),
    ]
    inits = [onnx.numpy_helper.from_array(a, name) for name, a in [
        ("k", np.array([24], np.int64)), ("ax0", np.array([0], np.int64)),
        ("max_out", np.array([5], np.int64)), ("iou", np.array([0.4], np.float32)),
        ("thr", np.array([0.2], np.float32)), ("col2", np.array(2, np.int64))]]

    def sample():
        xy = RNG.uniform(0, 80, (1, n, 2)).astype(np.float32)
        wh = RNG.uniform(5, 30, (1, n, 2)).astype(np.float32)
        boxes = np.concatenate([xy, xy + wh], axis=2)
        return {"boxes": boxes, "scores": RNG.random((1, classes, n)).astype(np.float32)}

    s = sample()
    return Model("detector_topk_nms", nodes,
                 [vi("boxes", F, [1, n, 4]), vi("scores", F, [1, classes, n])],
                 [vi("Y", F), vi("picked", I64)], [s, sample(), s, sample()], opset=13,
                 inits=inits)


def graph(name, nodes, inputs, outputs, inits=None):
    return helper.make_graph(nodes, name, inputs, outputs, inits or [])


def vad_model():
    """Voice-activity style gate: frame energy decides, per input, which branch runs.

    The speech branch runs a small conv + GRU-free recurrence stand-in (MatMul
    over frames) and gives [frames, 8]; the silence branch gives [1, 8] zeros.
    Both read outer-scope values (the frames, the weights)."""
    frames, width = 20, 16
    w = RNG.standard_normal((width, 8)).astype(np.float32)
    speech = graph("speech", [
        node("MatMul", ["frames", "W"], ["h"]), node("Tanh", ["h"], ["act"]),
        node("ReduceMean", ["act"], ["level"], axes=[1], keepdims=1),
        node("Mul", ["act", "level"], ["out"])], [], [vi("out", F)])
    silence = graph("silence", [
        node("ConstantOfShape", ["zshape"], ["out0"],
             value=helper.make_tensor("z", F, [1], [0.0]))], [], [vi("out0", F)])
    nodes = [
        node("Reshape", ["X", "fshape"], ["frames"]),
        node("Mul", ["frames", "frames"], ["sq"]),
        node("ReduceMean", ["sq"], ["energy"], keepdims=0),
        node("Greater", ["energy", "threshold"], ["is_speech"]),
        node("If", ["is_speech"], ["Y"], then_branch=speech, else_branch=silence),
        node("Shape", ["Y"], ["yshape"]),
    ]
    inits = [onnx.numpy_helper.from_array(a, n) for n, a in [
        ("fshape", np.array([frames, width], np.int64)), ("W", w),
        ("threshold", np.array(0.05, np.float32)), ("zshape", np.array([1, 8], np.int64))]]
    loud = lambda: (RNG.standard_normal(frames * width) * 0.5).astype(np.float32)
    quiet = lambda: (RNG.standard_normal(frames * width) * 0.01).astype(np.float32)
    return Model("vad_data_dependent_if", nodes, [vi("X", F, [frames * width])],
                 [vi("Y", F), vi("yshape", I64)],
                 [{"X": loud()}, {"X": quiet()}, {"X": loud()}, {"X": quiet()}], opset=12,
                 inits=inits)


def loop_models():
    models = []
    # Carried value that grows each iteration (Concat), a scan output, outer-scope reads,
    # and a trip count plus a condition computed in the body.
    body = graph("body", [
        node("Add", ["acc", "step"], ["acc2"]),                      # step: outer scope
        node("Cast", ["i"], ["fi"], to=F),
        node("Unsqueeze", ["fi"], ["fi1"], axes=[0]),
        node("Concat", ["seq", "fi1"], ["seq2"], axis=0),            # grows by one
        node("Mul", ["acc2", "fi"], ["scan"]),
        node("ReduceSum", ["acc2"], ["total"], keepdims=0),
        node("Less", ["total", "limit"], ["cond_out"]),              # limit: outer scope
    ], [vi("i", I64, []), vi("cond", B, []), vi("acc", F, [3]), vi("seq", F, None)],
        [vi("cond_out", B, []), vi("acc2", F), vi("seq2", F), vi("scan", F)])
    models.append(Model(
        "loop_growing_carried_scan_outer",
        [node("Loop", ["M", "c0", "A0", "S0"], ["A", "S", "scans"], body=body)],
        [vi("M", I64, []), vi("c0", B, []), vi("A0", F, [3]), vi("step", F, [3]),
         vi("limit", F, [])],
        [vi("A", F), vi("S", F), vi("scans", F)],
        [{"M": np.array(5, np.int64), "c0": np.array(True), "A0": floats(3),
          "step": floats(3, lo=0.1), "limit": np.array(100, np.float32)},
         {"M": np.array(50, np.int64), "c0": np.array(True), "A0": floats(3),
          "step": floats(3, lo=0.5), "limit": np.array(6, np.float32)},
         {"M": np.array(1, np.int64), "c0": np.array(True), "A0": floats(3),
          "step": floats(3), "limit": np.array(1, np.float32)},
         # No iteration, by trip count and by condition: the carried values pass through
         # and the scan output is empty.
         {"M": np.array(0, np.int64), "c0": np.array(True), "A0": floats(3),
          "step": floats(3), "limit": np.array(1, np.float32)},
         {"M": np.array(4, np.int64), "c0": np.array(False), "A0": floats(3),
          "step": floats(3), "limit": np.array(1, np.float32)}],
        opset=12, inits=[onnx.numpy_helper.from_array(np.zeros(0, np.float32), "S0")]))
    # Nested control flow: an If inside a Loop body, reading the loop's counter and an
    # outer-scope value two levels up; branches of different shapes.
    then_g = graph("even", [node("Mul", ["x_in", "scale"], ["r"])], [], [vi("r", F)])
    else_g = graph("odd", [node("Concat", ["x_in", "x_in"], ["r2"], axis=0)], [], [vi("r2", F)])
    body2 = graph("body2", [
        node("Mod", ["i", "two"], ["m"]), node("Equal", ["m", "zero"], ["even"]),
        node("Identity", ["x"], ["x_in"]),
        node("If", ["even"], ["y"], then_branch=then_g, else_branch=else_g),
        node("ReduceSum", ["y"], ["s"], keepdims=1),
        node("Add", ["x", "s"], ["x2"]),
        node("Identity", ["cond"], ["cond2"]),
    ], [vi("i", I64, []), vi("cond", B, []), vi("x", F, None)],
        [vi("cond2", B, []), vi("x2", F)],
        [onnx.numpy_helper.from_array(np.array(2, np.int64), "two"),
         onnx.numpy_helper.from_array(np.array(0, np.int64), "zero")])
    models.append(Model(
        "loop_nested_if",
        [node("Loop", ["M", "", "X0"], ["X"], body=body2)],
        [vi("M", I64, []), vi("X0", F, ["n"]), vi("scale", F, [])], [vi("X", F)],
        [{"M": np.array(4, np.int64), "X0": floats(3), "scale": np.array(0.5, np.float32)},
         {"M": np.array(7, np.int64), "X0": floats(5), "scale": np.array(-1.0, np.float32)},
         {"M": np.array(4, np.int64), "X0": floats(3), "scale": np.array(0.5, np.float32)}],
        opset=13))
    return models


def scan_models():
    # Scan-9+: a running sum over axis 1 of one input, reversed over axis 0 of another,
    # scan outputs along axes 1 and -1 (reversed), a state read from the outer scope.
    body = graph("sbody", [
        node("Add", ["state", "a"], ["state2"]),
        node("Mul", ["state2", "bias"], ["o1"]),                     # bias: outer scope
        node("Add", ["b", "a"], ["o2"]),
    ], [vi("state", F, [4]), vi("a", F, [4]), vi("b", F, [4])],
        [vi("state2", F, [4]), vi("o1", F, [4]), vi("o2", F, [4])])
    nodes = [node("Scan", ["S0", "A", "Bx"], ["S", "O1", "O2"], body=body, num_scan_inputs=2,
                  scan_input_axes=[1, 0], scan_input_directions=[0, 1],
                  scan_output_axes=[1, -1], scan_output_directions=[0, 1])]
    models = [Model("scan_axes_directions", nodes,
                    [vi("S0", F, [4]), vi("A", F, [4, "t"]), vi("Bx", F, ["t", 4]),
                     vi("bias", F, [4])],
                    [vi("S", F), vi("O1", F), vi("O2", F)],
                    [{"S0": floats(4), "A": floats(4, 6), "Bx": floats(6, 4), "bias": floats(4)},
                     {"S0": floats(4), "A": floats(4, 2), "Bx": floats(2, 4), "bias": floats(4)},
                     {"S0": floats(4), "A": floats(4, 6), "Bx": floats(6, 4), "bias": floats(4)}],
                    opset=16)]
    return models


def constant_if_model():
    """An If on a constant condition: the compiler inlines the branch it takes."""
    then_g = graph("t", [node("Relu", ["X"], ["r"]), node("Add", ["r", "one"], ["o"])], [],
                   [vi("o", F)], [onnx.numpy_helper.from_array(np.array(1, np.float32), "one")])
    else_g = graph("e", [node("Neg", ["X"], ["o2"])], [], [vi("o2", F)])
    return Model("constant_if_inlined",
                 [node("If", ["flag"], ["Y"], then_branch=then_g, else_branch=else_g),
                  node("Mul", ["Y", "Y"], ["Z"])],
                 [vi("X", F, [2, 3])], [vi("Z", F)], [{"X": floats(2, 3)}, {"X": floats(2, 3)}],
                 opset=13, inits=[onnx.numpy_helper.from_array(np.array(True), "flag")])


def all_models():
    return (dynamic_models() + [detector_model(), vad_model(), constant_if_model()] +
            loop_models() + scan_models())


def write_test(model, d):
    os.makedirs(d)
    with open(os.path.join(d, "model.onnx"), "wb") as f:
        f.write(model.proto().SerializeToString())
    cases = []
    for i, inputs in enumerate(model.sets):
        sd = os.path.join(d, f"ort_{i}")
        os.makedirs(sd)
        with open(os.path.join(sd, "model_ort.onnx"), "wb") as f:
            f.write(model.proto().SerializeToString())
        specs = []
        for j, vinfo in enumerate(model.inputs):
            a = inputs[vinfo.name]
            with open(os.path.join(sd, f"input_{j}.bin"), "wb") as f:
                f.write(np.ascontiguousarray(a).tobytes())
            specs.append({"name": vinfo.name, "type": base.NP_TO_ORT[a.dtype.type],
                          "dims": list(a.shape), "file": f"input_{j}.bin"})
        cases.append({"dir": sd, "inputs": specs})
    return cases


def finish_test(model, d):
    """Writes each set's inputs and ORT's outputs as test_data_set_N; None or ORT's error."""
    for i, inputs in enumerate(model.sets):
        outs, error = base.ort_outputs(os.path.join(d, f"ort_{i}"))
        if error:
            return error
        sd = os.path.join(d, f"test_data_set_{i}")
        os.makedirs(sd)
        for j, vinfo in enumerate(model.inputs):
            t = onnx.numpy_helper.from_array(inputs[vinfo.name], vinfo.name)
            with open(os.path.join(sd, f"input_{j}.pb"), "wb") as f:
                f.write(t.SerializeToString())
        for k, (vinfo, a) in enumerate(zip(model.outputs, outs)):
            with open(os.path.join(sd, f"output_{k}.pb"), "wb") as f:
                f.write(onnx.numpy_helper.from_array(a, vinfo.name).SerializeToString())
    return None


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    runner, build_dir = sys.argv[1], sys.argv[2]
    node_path = base.ensure_ort(build_dir)
    models = all_models()
    if len(sys.argv) == 4:
        os.makedirs(sys.argv[3])
        return run_all(runner, node_path, models, sys.argv[3])
    with tempfile.TemporaryDirectory() as tmp:
        return run_all(runner, node_path, models, tmp)


def run_all(runner, node_path, models, tmp):
    data = os.path.join(tmp, "node")
    manifest = []
    for m in models:
        manifest += write_test(m, os.path.join(data, f"test_{m.name}"))
    with open(os.path.join(tmp, "cases.json"), "w") as f:
        json.dump(manifest, f)
    env = dict(os.environ, NODE_PATH=node_path)
    subprocess.run(["node", os.path.join(HERE, "ort_run.js"), tmp], check=True, env=env)
    failures = 0
    for m in models:
        error = finish_test(m, os.path.join(data, f"test_{m.name}"))
        if error:
            print(f"FAIL test_{m.name}: ONNX Runtime refused it: {error.splitlines()[0]}")
            failures += 1
    required = os.path.join(HERE, "required_ops.txt")
    exceptions = os.path.join(tmp, "exceptions.txt")
    open(exceptions, "w").close()
    run = subprocess.run([runner, "--data", data, "--required", required, "--exceptions",
                          exceptions, "--verbose"])
    return 1 if failures or run.returncode else 0


if __name__ == "__main__":
    sys.exit(main())
