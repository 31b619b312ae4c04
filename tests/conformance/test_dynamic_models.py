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

usage: test_dynamic_models.py INFERD_CONFORMANCE BUILD_DIR
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
         {"X": floats(5, 6), "K": np.zeros(600, np.int64)}],
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


def all_models():
    return dynamic_models() + [detector_model()]


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
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    runner, build_dir = sys.argv[1], sys.argv[2]
    node_path = base.ensure_ort(build_dir)
    models = all_models()
    with tempfile.TemporaryDirectory() as tmp:
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
        required = os.path.join(tmp, "required.txt")
        exceptions = os.path.join(tmp, "exceptions.txt")
        with open(required, "w") as f:
            f.write(" ".join(sorted({n.op_type for m in models for n in m.proto().graph.node})))
        open(exceptions, "w").close()
        run = subprocess.run([runner, "--data", data, "--required", required, "--exceptions",
                              exceptions, "--verbose"])
        return 1 if failures or run.returncode else 0


if __name__ == "__main__":
    sys.exit(main())
