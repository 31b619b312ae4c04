#!/usr/bin/python3
"""Opsets 18-21: small one-op models per changed op, inferd against ONNX Runtime.

Also MaxRoiPool (opset 1), which onnx 1.12 has no node test for.

Debian's onnx 1.12 knows opsets up to 17 and has no node test data past it,
so each case is built here with onnx.helper, opset_import set to the new
version, and written without onnx's checker. ONNX Runtime (onnxruntime-node
ORT_VERSION, installed with npm into BUILD/ort if missing, as
scripts/bench_ort.py does) runs every case once (ort_run.js); `inferd run`
runs each case from TensorProto input files. Integer, bool and shape outputs
must be equal; float outputs within RTOL of the largest reference value.
Cases marked refused must make inferd fail with a message naming the op.

usage: test_opsets_18_21.py INFERD BUILD_DIR
       test_opsets_18_21.py --install-ort BUILD_DIR   (only installs ONNX Runtime: ctest's
                                                       fixture, so tests never race to install)
  CASES=Text1,Text2 in the environment runs only the cases whose names
  contain one of them.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnx.numpy_helper
from onnx import TensorProto, helper

ORT_VERSION = "1.30.0"
RTOL = 1e-5
# A float64 output against a float64 reference (Case.precise): only double arithmetic meets it.
PRECISE_RTOL = 1e-12
HERE = os.path.dirname(os.path.abspath(__file__))
# IR version 8 (onnx 1.12's) is enough for ONNX Runtime at these opsets.
IR_VERSION = 8

NP_TO_ORT = {
    np.float32: "float32", np.float64: "float64", np.int8: "int8", np.uint8: "uint8",
    np.int16: "int16", np.uint16: "uint16", np.int32: "int32", np.uint32: "uint32",
    np.int64: "int64", np.uint64: "uint64", np.bool_: "bool",
}
ORT_TO_NP = {v: k for k, v in NP_TO_ORT.items()}
NP_TO_ONNX = {
    np.float32: TensorProto.FLOAT, np.float64: TensorProto.DOUBLE, np.int8: TensorProto.INT8,
    np.uint8: TensorProto.UINT8, np.int16: TensorProto.INT16, np.uint16: TensorProto.UINT16,
    np.int32: TensorProto.INT32, np.uint32: TensorProto.UINT32, np.int64: TensorProto.INT64,
    np.uint64: TensorProto.UINT64, np.bool_: TensorProto.BOOL,
}

RNG = np.random.default_rng(18)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def ints(*values):
    return np.array(values, dtype=np.int64)


class Case:
    """One model: nodes, runtime inputs, constant initializers, typed outputs."""

    def __init__(self, name, opset, nodes, inputs, outputs, consts=None, refused=None):
        self.name, self.opset, self.nodes = name, opset, nodes
        self.ort_nodes = nodes          # what ONNX Runtime runs, when it refuses the case as is
        self.expected = None            # outputs computed here, when ONNX Runtime cannot run it
        self.reference = None           # output 0 computed here, used if ONNX Runtime refuses
        self.precise = None             # (output 0 in float64 computed here, its name): checked
                                        # within PRECISE_RTOL besides the comparison above
        self.precise_of = None          # or f(output shape) -> that output, or None
        self.check_reference = None     # (output 0 computed here, its name): a reference the
                                        # test uses elsewhere, which must match ONNX Runtime
        self.inputs = inputs            # name -> array, fed at run time
        self.outputs = outputs          # [(name, numpy dtype)]
        self.consts = consts or {}      # name -> array, initializers
        self.refused = refused          # text inferd's error must contain, or None

    def model(self, nodes=None):
        graph = helper.make_graph(
            nodes or self.nodes, self.name,
            [helper.make_tensor_value_info(n, NP_TO_ONNX[a.dtype.type], a.shape)
             for n, a in self.inputs.items()],
            [helper.make_tensor_value_info(n, NP_TO_ONNX[t], None) for n, t in self.outputs],
            [onnx.numpy_helper.from_array(a, n) for n, a in self.consts.items()])
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)],
                                 ir_version=IR_VERSION, producer_name="test_opsets_18_21")


def node(op, inputs, outputs, **attrs):
    return helper.make_node(op, inputs, outputs, **attrs)


def one(name, opset, op, x, out_dtype=None, consts=None, extra_inputs=(), n_out=1, refused=None,
        **attrs):
    """A one-node case: X (a runtime input) and the named constants, in order."""
    consts = consts or {}
    names = ["X"] + list(extra_inputs)
    outs = [f"Y{k}" for k in range(n_out)]
    dtype = out_dtype or x.dtype.type
    return Case(name, opset, [node(op, names, outs, **attrs)], {"X": x},
                [(o, dtype) for o in outs], consts, refused)


def without_saturate(case):
    """ONNX Runtime refuses `saturate` on casts to non-float8 types, where the
    spec says it has no effect: it runs the same node without it."""
    case.ort_nodes = [helper.make_node(n.op_type, n.input, n.output,
                                       **{a.name: helper.get_attribute_value(a)
                                          for a in n.attribute if a.name != "saturate"})
                      for n in case.nodes]
    return case


def reduce_cases():
    cases = []
    x = rand(2, 3, 4)
    for op in ("ReduceMean", "ReduceMax", "ReduceMin", "ReduceSumSquare"):
        versions = (18, 20) if op in ("ReduceMax", "ReduceMin") else (18,)
        for v in versions:
            cases += [
                one(f"{op}-{v} axes [1]", v, op, x, consts={"A": ints(1)}, extra_inputs=["A"]),
                one(f"{op}-{v} axes [-1,0] keepdims 0", v, op, x, consts={"A": ints(-1, 0)},
                    extra_inputs=["A"], keepdims=0),
                one(f"{op}-{v} no axes", v, op, x),
                one(f"{op}-{v} empty axes", v, op, x, consts={"A": ints()}, extra_inputs=["A"]),
                one(f"{op}-{v} empty axes noop", v, op, x, consts={"A": ints()},
                    extra_inputs=["A"], noop_with_empty_axes=1),
            ]
    # The decomposed layer norm engine/fuse_layernorm.c rewrites, with -18's axes inputs.
    ln = [node("ReduceMean", ["X", "A"], ["m"]), node("Sub", ["X", "m"], ["d"]),
          node("Pow", ["d", "two"], ["d2"]), node("ReduceMean", ["d2", "A"], ["v"]),
          node("Add", ["v", "eps"], ["ve"]), node("Sqrt", ["ve"], ["s"]),
          node("Div", ["d", "s"], ["n"]), node("Mul", ["n", "gamma"], ["ng"]),
          node("Add", ["ng", "beta"], ["Y0"])]
    cases.append(Case("ReduceMean-18 layer norm pattern", 18, ln, {"X": rand(4, 6, 32)},
                      [("Y0", np.float32)],
                      {"A": ints(-1), "two": np.array(2, np.float32),
                       "eps": np.array(1e-5, np.float32), "gamma": rand(32), "beta": rand(32)}))
    xi = RNG.integers(-50, 50, (3, 5)).astype(np.int64)
    cases.append(one("ReduceMax-18 int64 axes [0]", 18, "ReduceMax", xi, consts={"A": ints(0)},
                     extra_inputs=["A"]))
    return cases


def split_cases():
    x = rand(7, 4)
    return [
        one("Split-18 num_outputs 3 of 7 (3, 3, 1)", 18, "Split", x, n_out=3, num_outputs=3),
        one("Split-18 num_outputs 2 axis -1", 18, "Split", x, n_out=2, num_outputs=2, axis=-1),
        one("Split-18 num_outputs 4 of 7 (2, 2, 2, 1)", 18, "Split", x, n_out=4, num_outputs=4),
        one("Split-18 split input", 18, "Split", x, n_out=2, consts={"S": ints(5, 2)},
            extra_inputs=["S"]),
    ]


def pad_cases():
    x = rand(2, 3, 4)
    xi = np.arange(12, dtype=np.int32).reshape(3, 4)
    cases = []
    for mode in ("constant", "reflect", "edge"):
        cases.append(one(f"Pad-18 axes [2, 0] {mode}", 18, "Pad", x, mode=mode,
                         consts={"P": ints(1, 1, 2, 0), "A": ints(2, 0)},
                         extra_inputs=["P", "", "A"]))
    cases += [
        one("Pad-18 axes [-1] constant_value", 18, "Pad", x,
            consts={"P": ints(2, 3), "V": np.array(1.5, np.float32), "A": ints(-1)},
            extra_inputs=["P", "V", "A"]),
        one("Pad-18 no axes", 18, "Pad", x, consts={"P": ints(0, 1, 0, 1, 0, 2)},
            extra_inputs=["P"]),
        one("Pad-19 wrap", 19, "Pad", x, mode="wrap", consts={"P": ints(0, 2, 3, 0, 1, 5)},
            extra_inputs=["P"]),
        one("Pad-19 wrap axes [1] int32", 19, "Pad", xi, mode="wrap",
            consts={"P": ints(2, 3), "A": ints(1)}, extra_inputs=["P", "", "A"]),
        one("Pad-21 reflect", 21, "Pad", x, mode="reflect", consts={"P": ints(0, 1, 2, 0, 2, 1)},
            extra_inputs=["P"]),
    ]
    return cases


def resize_cases():
    x = rand(1, 2, 6, 8)
    f32 = lambda *v: np.array(v, dtype=np.float32)
    cases = [
        one("Resize-18 axes [2, 3] scales linear", 18, "Resize", x, mode="linear",
            axes=[2, 3], consts={"S": f32(0.5, 1.5)}, extra_inputs=["", "S"]),
        one("Resize-18 axes [3] sizes nearest", 18, "Resize", x, axes=[3],
            consts={"Z": ints(5)}, extra_inputs=["", "", "Z"]),
        one("Resize-18 axes [-1, -2] sizes cubic", 18, "Resize", x, mode="cubic",
            axes=[-1, -2], consts={"Z": ints(5, 9)}, extra_inputs=["", "", "Z"]),
        one("Resize-18 tf_crop_and_resize axes roi", 18, "Resize", x, mode="linear",
            coordinate_transformation_mode="tf_crop_and_resize", axes=[2, 3],
            consts={"R": f32(0.1, 0.2, 0.9, 0.7), "Z": ints(4, 5)},
            extra_inputs=["R", "", "Z"]),
    ]
    big = rand(1, 2, 23, 17)
    for mode in ("linear", "cubic"):
        for exclude in (0, 1):
            cases += [
                one(f"Resize-18 antialias {mode} scales 0.5 exclude_outside {exclude}", 18,
                    "Resize", big, mode=mode, antialias=1, exclude_outside=exclude,
                    consts={"S": f32(1, 1, 0.5, 0.5)}, extra_inputs=["", "S"]),
                one(f"Resize-18 antialias {mode} sizes 7x4 exclude_outside {exclude}", 18,
                    "Resize", big, mode=mode, antialias=1, exclude_outside=exclude,
                    consts={"Z": ints(1, 2, 7, 4)}, extra_inputs=["", "", "Z"]),
            ]
        cases += [
            one(f"Resize-18 antialias {mode} up and down", 18, "Resize", big, mode=mode,
                antialias=1, consts={"S": f32(1, 1, 1.7, 0.3)}, extra_inputs=["", "S"]),
            one(f"Resize-18 antialias {mode} axes [2, 3] pytorch_half_pixel", 18, "Resize", big,
                mode=mode, antialias=1, axes=[2, 3],
                coordinate_transformation_mode="pytorch_half_pixel",
                consts={"Z": ints(5, 6)}, extra_inputs=["", "", "Z"]),
            one(f"Resize-19 antialias {mode} half_pixel_symmetric", 19, "Resize", big, mode=mode,
                antialias=1, coordinate_transformation_mode="half_pixel_symmetric",
                consts={"S": f32(1, 1, 0.45, 0.6)}, extra_inputs=["", "S"]),
        ]
    for policy in ("stretch", "not_larger", "not_smaller"):
        for mode in ("nearest", "linear"):
            cases.append(one(f"Resize-18 sizes {policy} {mode}", 18, "Resize", x, mode=mode,
                             keep_aspect_ratio_policy=policy, axes=[2, 3],
                             consts={"Z": ints(3, 5)}, extra_inputs=["", "", "Z"]))
        cases.append(one(f"Resize-18 sizes {policy} every axis", 18, "Resize", x,
                         keep_aspect_ratio_policy=policy, consts={"Z": ints(1, 2, 9, 10)},
                         extra_inputs=["", "", "Z"]))
    for mode in ("nearest", "linear", "cubic"):
        cases.append(one(f"Resize-19 half_pixel_symmetric {mode} down", 19, "Resize", x,
                         mode=mode, coordinate_transformation_mode="half_pixel_symmetric",
                         consts={"S": f32(1, 1, 0.6, 0.7)}, extra_inputs=["", "S"]))
        cases.append(one(f"Resize-19 half_pixel_symmetric {mode} up", 19, "Resize", x,
                         mode=mode, coordinate_transformation_mode="half_pixel_symmetric",
                         consts={"Z": ints(1, 2, 9, 13)}, extra_inputs=["", "", "Z"]))
    more = [
        one("Resize-18 linear align_corners sizes", 18, "Resize", x, mode="linear",
            coordinate_transformation_mode="align_corners", consts={"Z": ints(1, 2, 4, 11)},
            extra_inputs=["", "", "Z"]),
        one("Resize-18 cubic asymmetric exclude_outside a -0.5", 18, "Resize", x, mode="cubic",
            coordinate_transformation_mode="asymmetric", exclude_outside=1, cubic_coeff_a=-0.5,
            consts={"S": f32(1, 1, 1.5, 0.75)}, extra_inputs=["", "S"]),
        one("Resize-18 cubic tf_crop_and_resize extrapolation", 18, "Resize", x, mode="cubic",
            coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=-3.5,
            consts={"R": f32(0, 0, -0.2, 0.3, 1, 1, 0.8, 1.4), "Z": ints(1, 2, 7, 6)},
            extra_inputs=["R", "", "Z"]),
        one("Resize-13 linear pytorch_half_pixel scales", 13, "Resize", x, mode="linear",
            coordinate_transformation_mode="pytorch_half_pixel",
            consts={"S": f32(1, 1, 0.7, 1.3)}, extra_inputs=["", "S"]),
    ]
    cases += more
    # float64: every case above but the nearest ones in double, and antialias cases
    # PyTorch computes alike in float64.
    cases += [resize_float64(c) for c in cases if resize_attr(c, "mode", b"nearest") != b"nearest"]
    cases += resize_torch_float64_cases(big)
    return cases


def resize_attr(case, name, default=None):
    a = [a for a in case.nodes[0].attribute if a.name == name]
    return helper.get_attribute_value(a[0]) if a else default


def resize_onnx_reference(case, x, out_shape):
    """Resize in float64 by onnx 1.12's own numpy reference (the node tests'
    interpolate_nd_with_x, called per output element with the scales the spec
    derives), or None where it has no formula: antialias, half_pixel_symmetric,
    and pytorch_half_pixel shrinking an axis to one output (where it reads -0.5, not the
    spec's 0)."""
    from onnx.backend.test.case.node import resize as onnx_resize
    mode = resize_attr(case, "mode", b"nearest").decode()
    coord = resize_attr(case, "coordinate_transformation_mode", b"half_pixel").decode()
    if resize_attr(case, "antialias", 0) or coord == "half_pixel_symmetric" or \
            (coord == "pytorch_half_pixel" and
             any(n == 1 < m for n, m in zip(out_shape, x.shape))):
        return None
    axes = [a % x.ndim for a in resize_attr(case, "axes", list(range(x.ndim)))]
    policy = resize_attr(case, "keep_aspect_ratio_policy", b"stretch").decode()
    scales = [1.0] * x.ndim
    if "S" in case.consts:
        for a, s in zip(axes, case.consts["S"]):
            scales[a] = float(s)
    else:
        ratios = [float(n) / x.shape[a] for a, n in zip(axes, case.consts["Z"])]
        pick = {"not_larger": min, "not_smaller": max}.get(policy)
        for a, r in zip(axes, ratios):
            scales[a] = pick(ratios) if pick else r
    roi = None
    if "R" in case.consts:
        r = case.consts["R"].astype(np.float64)
        roi = np.concatenate([np.zeros(x.ndim), np.ones(x.ndim)])
        for k, a in enumerate(axes):
            roi[a], roi[x.ndim + a] = r[k], r[len(axes) + k]
    a_coeff = float(resize_attr(case, "cubic_coeff_a", -0.75))
    coeffs = {"linear": onnx_resize.linear_coeffs,
              "cubic": lambda r: onnx_resize.cubic_coeffs(r, a_coeff)}[mode]
    y = np.zeros(out_shape)
    for o in np.ndindex(*out_shape):
        y[o] = onnx_resize.interpolate_nd_with_x(
            x, x.ndim, scales, o, coeffs, roi=roi,
            extrapolation_value=float(resize_attr(case, "extrapolation_value", 0.0)),
            coordinate_transformation_mode=coord,
            exclude_outside=bool(resize_attr(case, "exclude_outside", 0)))
    return y


def resize_float64(case):
    """A float32 Resize case in float64. ONNX Runtime has no float64 Resize, so it runs the
    float32 node between Casts: X holds float32 values, so only ONNX Runtime's float32
    arithmetic differs (well within RTOL). Where onnx 1.12's numpy reference has the
    formula, the output must also match it in float64 (PRECISE_RTOL)."""
    x = case.inputs["X"].astype(np.float64)
    c = Case(case.name + " float64", case.opset, case.nodes, {"X": x}, [("Y0", np.float64)],
             case.consts)
    n = case.nodes[0]
    c.ort_nodes = [node("Cast", ["X"], ["X32"], to=TensorProto.FLOAT),
                   helper.make_node(n.op_type, ["X32"] + list(n.input[1:]), ["Y32"]),
                   node("Cast", ["Y32"], ["Y0"], to=TensorProto.DOUBLE)]
    c.ort_nodes[1].attribute.extend(n.attribute)
    c.precise_of = lambda out_shape: resize_onnx_reference(case, x, out_shape)
    return c


def resize_torch_float64_cases(big):
    """Antialias in float64 against torch.nn.functional.interpolate(antialias=True) in
    float64: PyTorch's filters are ONNX's with exclude_outside 1 and, for cubic,
    cubic_coeff_a -0.5 (half_pixel coordinates)."""
    import torch
    cases = []
    x = big.astype(np.float64)
    f32 = lambda *v: np.array(v, dtype=np.float32)
    for mode, tmode, extra in (("linear", "bilinear", {}),
                               ("cubic", "bicubic", {"cubic_coeff_a": -0.5})):
        for label, consts, size in (
                ("scales 0.5", {"S": f32(1, 1, 0.5, 0.5)}, None),
                ("sizes 7x4", {"Z": ints(1, 2, 7, 4)}, (7, 4)),
                ("sizes 5x30 down and up", {"Z": ints(1, 2, 5, 30)}, (5, 30))):
            c = resize_float64(one(f"Resize-18 antialias {mode} {label} exclude_outside 1 vs "
                                   "PyTorch", 18, "Resize", big, mode=mode, antialias=1,
                                   exclude_outside=1, consts=consts,
                                   extra_inputs=["", "S"] if "S" in consts else ["", "", "Z"],
                                   **extra))
            kw = {"size": size} if size else {"scale_factor": (0.5, 0.5),
                                               "recompute_scale_factor": False}
            y = torch.nn.functional.interpolate(torch.from_numpy(x), mode=tmode,
                                                align_corners=False, antialias=True, **kw)
            c.precise, c.precise_of = (y.numpy(), "PyTorch float64"), None
            cases.append(c)
    return cases


def cast_cases():
    # Inside every target's range: out-of-range float to integer casts are undefined.
    x = np.clip(rand(3, 4) * 50 + 120, 0.5, 250.5).astype(np.float32)
    cases = []
    for v in (19, 21):
        for saturate in (0, 1):
            cases += [
                without_saturate(one(f"Cast-{v} float->int32 saturate {saturate}", v, "Cast", x,
                                     np.int32, to=TensorProto.INT32, saturate=saturate)),
                without_saturate(one(f"Cast-{v} float->uint8 saturate {saturate}", v, "Cast", x,
                                     np.uint8, to=TensorProto.UINT8, saturate=saturate)),
                without_saturate(one(f"Cast-{v} float->double saturate {saturate}", v, "Cast",
                                     x, np.float64, to=TensorProto.DOUBLE, saturate=saturate)),
            ]
        cases.append(one(f"CastLike-{v} float->int64", v, "CastLike", x, np.int64,
                         consts={"T": ints(0)}, extra_inputs=["T"]))
        cases.append(without_saturate(one(
            f"CastLike-{v} saturate 0 float->float64", v, "CastLike", x, np.float64,
            consts={"T": np.zeros(1, np.float64)}, extra_inputs=["T"], saturate=0)))
    cases.append(one("Cast-19 to float8e4m3fn refused", 19, "Cast", x, np.float32, to=17,
                     refused="float8"))
    return cases


def refusal_cases():
    """What inferd has no schema for must fail naming the op and the opset."""
    x = rand(1, 1, 2, 2)
    return [
        one("Upsample at opset 18 refused", 18, "Upsample", x, consts={"S": np.ones(4, np.float32)},
            extra_inputs=["S"], refused="op 'Upsample' (node '#0') is not supported at opset 18"),
        one("opset 22 refused", 22, "Relu", x, refused="inferd supports opsets 1 to 21"),
    ]


def type_bump_cases():
    """Versions that only add float8/4-bit types: the in-scope types must still work."""
    x = rand(2, 3, 4)
    xi = RNG.integers(-9, 9, (2, 1, 4)).astype(np.int64)
    cases = []
    for v in (19, 21):
        cases += [
            one(f"Identity-{v}", v, "Identity", x),
            one(f"Reshape-{v}", v, "Reshape", x, consts={"S": ints(4, -1)}, extra_inputs=["S"]),
            one(f"Shape-{v} start 1", v, "Shape", x, np.int64, start=1),
            one(f"Size-{v}", v, "Size", x, np.int64),
            Case(f"Constant-{v} int32", v, [node("Constant", [], ["C"], value=onnx.numpy_helper.from_array(
                np.arange(6, dtype=np.int32).reshape(2, 3), "c")), node("Add", ["X", "C"], ["Y0"])],
                {"X": np.ones((2, 3), np.int32)}, [("Y0", np.int32)]),
        ]
    cases += [
        one("Equal-19 int64", 19, "Equal", xi, np.bool_, consts={"B": ints(0, 1, -1, 3)},
            extra_inputs=["B"]),
        one("Flatten-21", 21, "Flatten", x, axis=2),
        one("Squeeze-21", 21, "Squeeze", xi, consts={"A": ints(1)}, extra_inputs=["A"]),
        one("Unsqueeze-21", 21, "Unsqueeze", xi, consts={"A": ints(0, -1)}, extra_inputs=["A"]),
        one("Transpose-21", 21, "Transpose", x, perm=[2, 0, 1]),
    ]
    for v in (20, 21):
        for dtype in (np.int32, np.float64, np.int8, np.bool_):
            value = onnx.numpy_helper.from_array(np.array([1], dtype=dtype), "v")
            shape_in = np.array([2, 3], np.int64)
            cases.append(Case(f"ConstantOfShape-{v} {np.dtype(dtype).name}", v,
                              [node("ConstantOfShape", ["X"], ["Y0"], value=value)],
                              {"X": shape_in}, [("Y0", dtype)]))
    return cases


def pool_cases():
    x = rand(1, 2, 9, 10)
    cases = []
    for include in (0, 1):
        cases += [
            one(f"AveragePool-19 dilations 2 pads include_pad {include}", 19, "AveragePool", x,
                kernel_shape=[3, 3], dilations=[2, 2], pads=[1, 1, 1, 1],
                count_include_pad=include),
            one(f"AveragePool-19 dilations [1, 3] strides 2 include_pad {include}", 19,
                "AveragePool", x, kernel_shape=[2, 3], dilations=[1, 3], strides=[2, 2],
                count_include_pad=include),
        ]
    cases += [
        one("AveragePool-19 dilations ceil_mode", 19, "AveragePool", x, kernel_shape=[2, 2],
            dilations=[2, 2], strides=[2, 2], ceil_mode=1),
        one("AveragePool-19 no dilations", 19, "AveragePool", x, kernel_shape=[3, 3],
            pads=[1, 1, 1, 1]),
    ]
    return cases


def gelu_cases():
    x = rand(3, 50) * 3
    exact = one("Gelu-20 none double", 20, "Gelu", x.astype(np.float64))
    # ONNX Runtime has no double Erf to expand Gelu into: the exact form, in double.
    exact.expected = [np.array([0.5 * v * (1.0 + math.erf(v / math.sqrt(2.0)))
                                for v in x.astype(np.float64).ravel()]).reshape(x.shape)]
    return [
        one("Gelu-20 none", 20, "Gelu", x),
        one("Gelu-20 tanh", 20, "Gelu", x, approximate="tanh"),
        exact,
        one("Gelu-20 tanh double", 20, "Gelu", x.astype(np.float64), approximate="tanh"),
    ]


def groupnorm_cases():
    x = rand(2, 6, 5, 4) * 2 + 1
    cases = []
    for groups in (1, 2, 3, 6):
        cases.append(one(f"GroupNormalization-18 groups {groups}", 18, "GroupNormalization", x,
                         consts={"S": rand(groups), "B": rand(groups)}, extra_inputs=["S", "B"],
                         num_groups=groups))
        cases.append(one(f"GroupNormalization-21 groups {groups}", 21, "GroupNormalization", x,
                         consts={"S": rand(6), "B": rand(6)}, extra_inputs=["S", "B"],
                         num_groups=groups, epsilon=1e-3))
    cases.append(one("GroupNormalization-18 rank 3", 18, "GroupNormalization", rand(3, 4, 7),
                     consts={"S": rand(2), "B": rand(2)}, extra_inputs=["S", "B"], num_groups=2))
    return cases


def col2im_cases():
    def case(name, image, block, channels=2, batch=2, **attrs):
        pads = attrs.get("pads", [0] * (2 * len(image)))
        dil = attrs.get("dilations", [1] * len(image))
        strides = attrs.get("strides", [1] * len(image))
        blocks = [(i + pads[d] + pads[d + len(image)] - (dil[d] * (b - 1) + 1)) // strides[d] + 1
                  for d, (i, b) in enumerate(zip(image, block))]
        x = rand(batch, channels * int(np.prod(block)), int(np.prod(blocks)))
        return one(f"Col2Im-18 {name}", 18, "Col2Im", x,
                   consts={"I": ints(*image), "B": ints(*block)}, extra_inputs=["I", "B"],
                   **attrs)
    return [
        case("5x5 block 2x2", [5, 5], [2, 2]),
        case("6x7 block 3x2 strides pads dilations", [6, 7], [3, 2], strides=[2, 1],
             pads=[1, 0, 2, 1], dilations=[1, 2]),
        case("1-D", [9], [3], strides=[2], pads=[1, 1]),
        case("3-D", [4, 3, 5], [2, 2, 3], channels=1, batch=1),
    ]


def u8(shape, lo=0, hi=255):
    return RNG.integers(lo, hi + 1, shape).astype(np.uint8)


def i8(shape, lo=-128, hi=127):
    return RNG.integers(lo, hi + 1, shape).astype(np.int8)


def f32(*values):
    return np.array(values, dtype=np.float32)


def with_expected(case, f):
    """Outputs computed here from X, for what ONNX Runtime cannot run: Det on float64 (no
    kernel), Einsum broadcasting '...' dims of different sizes (numpy allows it, ORT does not)."""
    case.expected = [f(case.inputs["X"]).astype(case.outputs[0][1])]
    return case


def index_cases():
    """GatherElements, GatherND, ScatterElements and ScatterND (reductions max/min at 18)."""
    x = rand(3, 4)
    idx = np.array([[0, 2, -1, 1], [2, 0, 0, -3]], np.int64)
    upd = rand(2, 4)
    cases = [
        one("GatherElements-18 axis 0 negative indices", 18, "GatherElements", x,
            consts={"I": idx}, extra_inputs=["I"]),
        one("GatherElements-18 axis -1", 18, "GatherElements", x,
            consts={"I": np.array([[3, 0], [-1, 1], [2, 2]], np.int64)}, extra_inputs=["I"],
            axis=-1),
        one("GatherND-18 batch_dims 1", 18, "GatherND", rand(2, 3, 4),
            consts={"I": np.array([[[1], [0]], [[2], [-1]]], np.int64)}, extra_inputs=["I"],
            batch_dims=1),
        one("GatherND-18 pairs", 18, "GatherND", rand(3, 4, 2),
            consts={"I": np.array([[0, 1], [2, -1], [1, 3]], np.int64)}, extra_inputs=["I"]),
    ]
    for red in ("none", "add", "mul", "max", "min"):
        cases.append(one(f"ScatterElements-18 reduction {red}", 18, "ScatterElements", x,
                         consts={"I": idx if red != "none" else np.array(
                             [[0, 2, 1, 1], [2, 0, 0, 2]], np.int64), "U": upd},
                         extra_inputs=["I", "U"], reduction=red))
        xi = RNG.integers(-20, 20, (4, 3)).astype(np.int64)
        cases.append(one(f"ScatterND-18 int64 reduction {red}", 18, "ScatterND", xi,
                         consts={"I": np.array([[1], [3], [1]] if red != "none" else
                                               [[1], [3], [0]], np.int64),
                                 "U": RNG.integers(-5, 5, (3, 3)).astype(np.int64)},
                         extra_inputs=["I", "U"], reduction=red))
    cases.append(one("ScatterElements-18 axis 1 max", 18, "ScatterElements", x,
                     consts={"I": np.array([[1, 1], [0, 3], [2, 2]], np.int64), "U": rand(3, 2)},
                     extra_inputs=["I", "U"], axis=1, reduction="max"))
    return cases


def layout_norm_cases():
    """DepthToSpace, SpaceToDepth, ReverseSequence, LRN, MVN, Det, MaxUnpool, Lp ops."""
    x = rand(2, 8, 3, 2)
    cases = [one(f"DepthToSpace-18 {m}", 18, "DepthToSpace", x, blocksize=2, mode=m)
             for m in ("DCR", "CRD")]
    cases += [
        one("SpaceToDepth-18", 18, "SpaceToDepth", rand(1, 3, 4, 6), blocksize=2),
        one("ReverseSequence-18 batch major", 18, "ReverseSequence", rand(3, 5, 2),
            consts={"L": ints(5, 0, 3)}, extra_inputs=["L"], time_axis=1, batch_axis=0),
        one("LRN-18 size 3", 18, "LRN", rand(2, 5, 3, 3), size=3, alpha=0.01, beta=0.6, bias=2.0),
        one("LRN-18 size 5", 18, "LRN", rand(1, 6, 2, 2), size=5),
        one("MeanVarianceNormalization-18", 18, "MeanVarianceNormalization", rand(2, 3, 4, 5)),
        one("MeanVarianceNormalization-18 axes [1, -1]", 18, "MeanVarianceNormalization",
            rand(2, 3, 4), axes=[1, -1]),
        one("Det-18 batch", 18, "Det", rand(3, 4, 4)),
        with_expected(one("Det-18 float64 2x2", 18, "Det", rand(2, 2).astype(np.float64)),
                      lambda x: np.array(np.linalg.det(x))),
        one("MaxUnpool-18", 18, "MaxUnpool", f32(1, 2, 3, 4).reshape(1, 1, 2, 2),
            consts={"I": np.array([[[[5, 7], [13, 15]]]], np.int64)}, extra_inputs=["I"],
            kernel_shape=[2, 2], strides=[2, 2]),
        one("LpNormalization-18 p 1 axis 1", 18, "LpNormalization", rand(2, 3, 4), axis=1, p=1),
        one("LpNormalization-18 p 2", 18, "LpNormalization", rand(3, 5)),
        one("GlobalLpPool-18 p 3", 18, "GlobalLpPool", rand(2, 3, 4, 5), p=3),
        one("LpPool-18 p 2 pads", 18, "LpPool", rand(1, 2, 6, 7), kernel_shape=[3, 2],
            strides=[2, 1], pads=[1, 0, 1, 1]),
        one("LpPool-18 ceil_mode dilations p 1", 18, "LpPool", rand(1, 2, 7, 7),
            kernel_shape=[2, 2], strides=[2, 2], dilations=[2, 1], ceil_mode=1, p=1),
    ]
    return cases


def loss_cases():
    cases = []
    x = rand(3, 5, 2)
    t = np.array([[0, 4], [2, -1], [1, 3]], np.int64)
    w = np.abs(rand(5)) + 0.1
    for red in ("none", "sum", "mean"):
        cases.append(one(f"NegativeLogLikelihoodLoss-18 {red} weights ignore -1", 18,
                         "NegativeLogLikelihoodLoss", x, consts={"T": t, "W": w},
                         extra_inputs=["T", "W"], reduction=red, ignore_index=-1))
        cases.append(Case(f"SoftmaxCrossEntropyLoss-18 {red} log_prob", 18,
                          [node("SoftmaxCrossEntropyLoss", ["X", "T", "W"], ["Y0", "Y1"],
                                reduction=red, ignore_index=-1)],
                          {"X": x}, [("Y0", np.float32), ("Y1", np.float32)], {"T": t, "W": w}))
    cases.append(one("SoftmaxCrossEntropyLoss-18 [N, C] int32 targets", 18,
                     "SoftmaxCrossEntropyLoss", rand(4, 3),
                     consts={"T": np.array([0, 2, 1, 1], np.int32)}, extra_inputs=["T"]))
    return cases


def signal_cases():
    cases = []
    real = rand(2, 8, 1)
    cplx = rand(2, 5, 2)
    for n in (None, 6, 12):
        extra = {"N": ints(n)[0:1].reshape(())} if n else {}
        names = ["N"] if n else []
        cases.append(one(f"DFT-20 real dft_length {n}", 20, "DFT", real, consts=extra,
                         extra_inputs=names))
        cases.append(one(f"DFT-20 real onesided dft_length {n}", 20, "DFT", real, consts=extra,
                         extra_inputs=names, onesided=1))
    cases += [
        one("DFT-20 complex inverse axis 1", 20, "DFT", cplx,
            consts={"A": np.array(1, np.int64)}, extra_inputs=["", "A"], inverse=1),
        one("DFT-20 complex axis 0 of [4, 3, 2]", 20, "DFT", rand(4, 3, 2),
            consts={"A": np.array(0, np.int64)}, extra_inputs=["", "A"]),
        one("DFT-17 axis 2 of [2, 3, 7, 1]", 18, "DFT", rand(2, 3, 7, 1), axis=2),
        one("STFT-18 window", 18, "STFT", rand(1, 64, 1),
            consts={"S": np.array(8, np.int64), "W": np.hanning(16).astype(np.float32)},
            extra_inputs=["S", "W"]),
        one("STFT-18 frame_length two-sided", 18, "STFT", rand(2, 40, 1),
            consts={"S": np.array(5, np.int64), "L": np.array(10, np.int64)},
            extra_inputs=["S", "", "L"], onesided=0),
    ]
    for op in ("HannWindow", "HammingWindow", "BlackmanWindow"):
        for periodic in (0, 1):
            cases.append(one(f"{op}-18 periodic {periodic}", 18, op, np.array(10, np.int64),
                             np.float32, periodic=periodic))
    cases.append(one("HannWindow-18 double", 18, "HannWindow", np.array(7, np.int32), np.float64,
                     output_datatype=TensorProto.DOUBLE))
    cases.append(one("MelWeightMatrix-18", 18, "MelWeightMatrix", np.array(8, np.int64),
                     np.float32,
                     consts={"D": np.array(64, np.int64), "R": np.array(16000, np.int64),
                             "L": np.array(0, np.float32), "U": np.array(8000, np.float32)},
                     extra_inputs=["D", "R", "L", "U"]))
    return cases


def sampling_cases():
    """GridSample-20 (2-D and 3-D) and RoiAlign."""
    cases = []
    x = rand(1, 2, 4, 5)
    grid = (RNG.uniform(-1.2, 1.2, (1, 3, 3, 2))).astype(np.float32)
    for mode in ("linear", "nearest", "cubic"):
        for pad in ("zeros", "border", "reflection"):
            for align in (0, 1):
                cases.append(one(f"GridSample-20 {mode} {pad} align {align}", 20, "GridSample", x,
                                 consts={"G": grid}, extra_inputs=["G"], mode=mode,
                                 padding_mode=pad, align_corners=align))
    x3 = rand(1, 2, 3, 4, 5)
    grid3 = (RNG.uniform(-1.1, 1.1, (1, 2, 3, 2, 3))).astype(np.float32)
    for mode in ("linear", "nearest"):
        cases.append(one(f"GridSample-20 3-D {mode}", 20, "GridSample", x3, consts={"G": grid3},
                         extra_inputs=["G"], mode=mode))
    xr = rand(2, 3, 8, 8)
    rois = f32(0, 0, 7, 7, 1, 2, 5, 6.5, 2.5, 1, 6, 3, -2, -1, 3, 9).reshape(4, 4)
    b = ints(0, 1, 1, 0)
    for mode in ("avg", "max"):
        for ctm in ("half_pixel", "output_half_pixel"):
            cases.append(one(f"RoiAlign-18 {mode} {ctm}", 18, "RoiAlign", xr,
                             consts={"R": rois, "B": b}, extra_inputs=["R", "B"], mode=mode,
                             coordinate_transformation_mode=ctm, output_height=3,
                             output_width=2, sampling_ratio=2 if mode == "avg" else 0,
                             spatial_scale=0.9))
    return cases


def quant_cases():
    x = (rand(2, 6) * 40).astype(np.float32)
    cases = [
        one("QuantizeLinear-19 uint8", 19, "QuantizeLinear", x, np.uint8,
            consts={"S": np.array(0.37, np.float32), "Z": np.array(128, np.uint8)},
            extra_inputs=["S", "Z"]),
        one("QuantizeLinear-19 per axis int8", 19, "QuantizeLinear", x, np.int8,
            consts={"S": np.abs(rand(6)) + 0.1, "Z": i8(6, -10, 10)}, extra_inputs=["S", "Z"]),
        one("QuantizeLinear-21 blocked int8", 21, "QuantizeLinear", x, np.int8,
            consts={"S": np.abs(rand(2, 2)) + 0.1, "Z": i8((2, 2), -5, 5)},
            extra_inputs=["S", "Z"], axis=1, block_size=3),
        one("QuantizeLinear-21 int16", 21, "QuantizeLinear", x * 100, np.int16,
            consts={"S": np.array(0.05, np.float32), "Z": np.array(7, np.int16)},
            extra_inputs=["S", "Z"]),
        one("DequantizeLinear-19 per axis uint8", 19, "DequantizeLinear", u8((3, 4)), np.float32,
            consts={"S": np.abs(rand(3)) + 0.1, "Z": u8(3)}, extra_inputs=["S", "Z"], axis=0),
        one("DequantizeLinear-21 blocked int8", 21, "DequantizeLinear", i8((4, 6)), np.float32,
            consts={"S": np.abs(rand(4, 3)) + 0.1, "Z": i8((4, 3), -3, 3)},
            extra_inputs=["S", "Z"], axis=1, block_size=2),
        one("DequantizeLinear-21 int32", 21, "DequantizeLinear",
            RNG.integers(-1000, 1000, (5,)).astype(np.int32), np.float32,
            consts={"S": np.array(0.25, np.float32)}, extra_inputs=["S"]),
        Case("DynamicQuantizeLinear-18", 18,
             [node("DynamicQuantizeLinear", ["X"], ["Y0", "Y1", "Y2"])], {"X": rand(3, 4) * 3},
             [("Y0", np.uint8), ("Y1", np.float32), ("Y2", np.uint8)]),
        one("MatMulInteger-18 per-column b zero point", 18, "MatMulInteger", u8((2, 3, 4)),
            np.int32, consts={"B": u8((4, 5)), "AZ": np.array(12, np.uint8), "BZ": u8(5)},
            extra_inputs=["B", "AZ", "BZ"]),
        one("MatMulInteger-18 int8", 18, "MatMulInteger", i8((3, 4)), np.int32,
            consts={"B": i8((4, 2))}, extra_inputs=["B"]),
        Case("QLinearMatMul-21", 21,
             [node("QLinearMatMul", ["X", "AS", "AZ", "B", "BS", "BZ", "YS", "YZ"], ["Y0"])],
             {"X": u8((2, 3, 4))}, [("Y0", np.uint8)],
             {"AS": np.array(0.02, np.float32), "AZ": np.array(120, np.uint8), "B": u8((4, 5)),
              "BS": np.array(0.03, np.float32), "BZ": np.array(130, np.uint8),
              "YS": np.array(0.05, np.float32), "YZ": np.array(100, np.uint8)}),
        one("ConvInteger-18 pads strides", 18, "ConvInteger", u8((1, 2, 5, 5)), np.int32,
            consts={"W": u8((3, 2, 3, 3)), "XZ": np.array(100, np.uint8),
                    "WZ": np.array(50, np.uint8)},
            extra_inputs=["W", "XZ", "WZ"], pads=[1, 1, 1, 1], strides=[2, 2]),
        Case("QLinearConv-18 per-channel int8 weights and bias", 18,
             [node("QLinearConv", ["X", "XS", "XZ", "W", "WS", "WZ", "YS", "YZ", "B"], ["Y0"],
                   pads=[1, 1, 1, 1])],
             {"X": u8((1, 2, 4, 4))}, [("Y0", np.uint8)],
             {"XS": np.array(0.02, np.float32), "XZ": np.array(128, np.uint8),
              "W": i8((3, 2, 3, 3), -60, 60), "WS": f32(0.01, 0.02, 0.005),
              "WZ": np.zeros(3, np.int8), "YS": np.array(0.1, np.float32),
              "YZ": np.array(90, np.uint8),
              "B": RNG.integers(-500, 500, (3,)).astype(np.int32)}),
    ]
    return cases


def einsum_cases():
    """Einsum (opset 12, unchanged at 18): the strided walk and the matmul lowering."""
    case_b = []

    def two(eq, a, b, name=None):
        case_b[:] = [b]
        return one(f"Einsum-18 {name or eq}", 18, "Einsum", a, consts={"B": b},
                   extra_inputs=["B"], equation=eq)
    cases = [
        two("bij,bjk->bik", rand(3, 4, 5), rand(3, 5, 2)),
        two("ij,jk", rand(4, 5), rand(5, 3), "ij,jk implicit"),
        with_expected(two("...ij,...jk->...ik", rand(2, 1, 3, 4), rand(5, 4, 2), "ellipsis broadcast"),
                      lambda a: np.einsum("...ij,...jk->...ik", a, case_b[0])),
        two("bhqd,bhkd->bhqk", rand(2, 3, 4, 8), rand(2, 3, 5, 8), "attention scores"),
        two("ij,ij->ij", rand(3, 4), rand(3, 4), "hadamard"),
        two("i,j->ij", rand(4), rand(3), "outer"),
        two("ijk,ikl->jl", rand(2, 3, 4), rand(2, 4, 5), "two contractions"),
        two("ii,ij->j", rand(3, 3), rand(3, 4), "diagonal operand"),
        two("ij,jk->ik", RNG.integers(-9, 9, (3, 4)).astype(np.int32),
            RNG.integers(-9, 9, (4, 2)).astype(np.int32), "int32"),
        two("ij,jk->ki", rand(3, 4).astype(np.float64), rand(4, 2).astype(np.float64),
            "float64 transposed output"),
        one("Einsum-18 trace", 18, "Einsum", rand(4, 4), equation="ii"),
        one("Einsum-18 batch diagonal", 18, "Einsum", rand(2, 3, 3), equation="...ii->...i"),
        one("Einsum-18 sum all", 18, "Einsum", rand(3, 4), equation="ij->"),
        Case("Einsum-18 three operands", 18,
             [node("Einsum", ["X", "B", "C"], ["Y0"], equation="ij,jk,kl->il")],
             {"X": rand(2, 3)}, [("Y0", np.float32)], {"B": rand(3, 4), "C": rand(4, 5)}),
    ]
    return cases


def tfidf_cases():
    x = np.array([[1, 1, 3, 3, 3, 7], [8, 6, 7, 5, 6, 8]], np.int64)
    attrs = dict(min_gram_length=1, max_gram_length=2, max_skip_count=2,
                 ngram_counts=[0, 4], ngram_indexes=[6, 5, 4, 3, 2, 1, 0],
                 pool_int64s=[2, 3, 5, 4, 5, 6, 7, 8, 6, 7])
    cases = []
    for mode in ("TF", "IDF", "TFIDF"):
        cases.append(one(f"TfIdfVectorizer-18 {mode} weights, permuted indexes", 18,
                         "TfIdfVectorizer", x, np.float32, mode=mode,
                         weights=[0.5, 1.5, 2.0, 0.25, 3.0, 1.0, 0.75], **attrs))
    return cases


def ops3_cases():
    return (index_cases() + layout_norm_cases() + loss_cases() + signal_cases() +
            sampling_cases() + quant_cases() + einsum_cases() + tfidf_cases())


def max_roi_pool_reference(x, rois, pooled_shape, spatial_scale):
    """MaxRoiPool with ONNX Runtime's region arithmetic (every step in X's precision, corners
    rounded half away from zero), for float64, which ONNX Runtime has no kernel for."""
    f = x.dtype.type
    _, c, h, w = x.shape
    ph_n, pw_n = pooled_shape
    out = np.zeros((rois.shape[0], c, ph_n, pw_n), x.dtype)

    def corner(v):
        v = f(v) * f(spatial_scale)
        return int(math.copysign(math.floor(abs(v) + 0.5), v))
    for r, roi in enumerate(rois):
        b = int(roi[0])
        x1, y1, x2, y2 = (corner(v) for v in roi[1:])
        bin_h = f(max(y2 - y1 + 1, 1)) / f(ph_n)
        bin_w = f(max(x2 - x1 + 1, 1)) / f(pw_n)
        for ph in range(ph_n):
            hs = min(max(int(math.floor(f(ph) * bin_h)) + y1, 0), h)
            he = min(max(int(math.ceil(f(ph + 1) * bin_h)) + y1, 0), h)
            for pw in range(pw_n):
                ws = min(max(int(math.floor(f(pw) * bin_w)) + x1, 0), w)
                we = min(max(int(math.ceil(f(pw + 1) * bin_w)) + x1, 0), w)
                if he > hs and we > ws:
                    out[r, :, ph, pw] = x[b, :, hs:he, ws:we].max(axis=(1, 2))
    return out


def max_roi_pool_cases():
    """MaxRoiPool (opset 1, no node test in onnx 1.12): ONNX Runtime has a float kernel."""
    x = rand(2, 3, 10, 12)
    rois = f32(0, 0, 0, 11, 9,     1, 2.5, 1.5, 8.5, 6.49,   1, 3, 3, 3, 3,
               0, 7, 8, 2, 1,      1, -4, -3, 20, 30,       0, 11.6, 9.5, 40, 40).reshape(6, 5)
    cases = []
    for shape, scale in (([2, 2], 1.0), ([3, 4], 0.5), ([1, 1], 1.0), ([4, 3], 0.75)):
        cases.append(one(f"MaxRoiPool-1 pooled {shape} spatial_scale {scale}", 1, "MaxRoiPool", x,
                         consts={"R": rois}, extra_inputs=["R"], pooled_shape=shape,
                         spatial_scale=scale))
    cases.append(one("MaxRoiPool-1 at opset 21, rois an input", 21, "MaxRoiPool", x,
                     consts={"R": rois[:3]}, extra_inputs=["R"], pooled_shape=[2, 3]))
    neg = one("MaxRoiPool-1 all negative", 1, "MaxRoiPool", -np.abs(x) - 0.1,
              consts={"R": rois}, extra_inputs=["R"], pooled_shape=[3, 2], spatial_scale=0.5)
    dbl = one("MaxRoiPool-1 float64", 1, "MaxRoiPool", rand(2, 3, 10, 12).astype(
        np.float64), consts={"R": rois.astype(np.float64)}, extra_inputs=["R"],
        pooled_shape=[2, 3], spatial_scale=0.5)
    dbl.reference = max_roi_pool_reference(dbl.inputs["X"], rois.astype(np.float64), [2, 3], 0.5)
    cases += [
        neg, dbl,
        one("MaxRoiPool-1 rois [n, 4] refused", 1, "MaxRoiPool", x, consts={"R": rois[:, 1:]},
            extra_inputs=["R"], pooled_shape=[2, 2],
            refused="MaxRoiPool node '#0': rois must be [num_rois, 5]"),
        one("MaxRoiPool-1 batch index 2 of 2 refused", 1, "MaxRoiPool", x,
            consts={"R": f32(2, 0, 0, 3, 3).reshape(1, 5)}, extra_inputs=["R"],
            pooled_shape=[2, 2], refused="rois[0] names batch 2, outside [0, 2)"),
        one("MaxRoiPool-1 pooled_shape 0 refused", 1, "MaxRoiPool", x, consts={"R": rois},
            extra_inputs=["R"], pooled_shape=[0, 2],
            refused="pooled_shape[0] 0 is outside [1, 65536]"),
    ]
    return cases


def center_crop_pad_reference(x, shape, axes=None):
    """CenterCropPad as the spec's function body computes it, for what ONNX Runtime cannot
    expand it into (an int32 shape; int16 and uint16, which its Pad lacks)."""
    axes = range(x.ndim) if axes is None else [a % x.ndim for a in axes]
    out = np.zeros([dict(zip(axes, shape)).get(i, d) for i, d in enumerate(x.shape)], x.dtype)
    src, dst = [], []
    for i, (d_in, d_out) in enumerate(zip(x.shape, out.shape)):
        start = abs(d_in - d_out) // 2
        n = min(d_in, d_out)
        src.append(slice(start, start + n) if d_in > d_out else slice(0, n))
        dst.append(slice(start, start + n) if d_out > d_in else slice(0, n))
    out[tuple(dst)] = x[tuple(src)]
    return out


def with_center_crop_pad_reference(case):
    if case.refused:
        return case
    node_ = case.nodes[0]
    axes = [a.ints for a in node_.attribute if a.name == "axes"]
    case.reference = center_crop_pad_reference(case.inputs["X"], list(case.consts["S"]),
                                               list(axes[0]) if axes else None)
    return case


def center_crop_pad_cases():
    """CenterCropPad (18): crop or pad around the centre; the odd element goes at the end."""
    x = rand(3, 8, 7)
    cases = [
        one("CenterCropPad-18 crop odd and even", 18, "CenterCropPad", x,
            consts={"S": ints(3, 5, 4)}, extra_inputs=["S"]),
        one("CenterCropPad-18 pad odd and even", 18, "CenterCropPad", x,
            consts={"S": ints(3, 11, 9)}, extra_inputs=["S"]),
        one("CenterCropPad-18 crop and pad axes [-2, -1]", 18, "CenterCropPad", x,
            consts={"S": ints(5, 10)}, extra_inputs=["S"], axes=[-2, -1]),
        one("CenterCropPad-18 axes [2, 0] int32 shape", 18, "CenterCropPad", x,
            consts={"S": np.array([2, 6], np.int32)}, extra_inputs=["S"], axes=[2, 0]),
        one("CenterCropPad-18 same size", 18, "CenterCropPad", x, consts={"S": ints(3, 8, 7)},
            extra_inputs=["S"]),
        one("CenterCropPad-18 crop to 0", 18, "CenterCropPad", x, consts={"S": ints(0)},
            extra_inputs=["S"], axes=[1]),
        one("CenterCropPad-18 float64 image HWC", 18, "CenterCropPad",
            rand(9, 6, 3).astype(np.float64), consts={"S": ints(4, 9)}, extra_inputs=["S"],
            axes=[0, 1]),
    ]
    for dtype in (np.uint8, np.int8, np.int16, np.int32, np.int64, np.uint16, np.uint32,
                  np.uint64, np.bool_):
        xi = RNG.integers(0, 2 if dtype == np.bool_ else 100, (2, 5, 4)).astype(dtype)
        cases.append(one(f"CenterCropPad-18 {np.dtype(dtype).name}", 18, "CenterCropPad", xi,
                         consts={"S": ints(3, 7)}, extra_inputs=["S"], axes=[-1, 1]))
    cases += [
        one("CenterCropPad-18 axis listed twice refused", 18, "CenterCropPad", x,
            consts={"S": ints(2, 2)}, extra_inputs=["S"], axes=[1, -2],
            refused="CenterCropPad node '#0': axis -2 is listed twice in axes"),
        one("CenterCropPad-18 shape of wrong length refused", 18, "CenterCropPad", x,
            consts={"S": ints(2, 2)}, extra_inputs=["S"],
            refused="input 'shape' is [2], expected [3]"),
        one("CenterCropPad-18 negative size refused", 18, "CenterCropPad", x,
            consts={"S": ints(-1)}, extra_inputs=["S"], axes=[0],
            refused="shape[0] = -1 is negative"),
    ]
    return [with_center_crop_pad_reference(c) for c in cases]


def deform_conv_reference(x, w, offset, b=None, mask=None, strides=(1, 1), pads=(0, 0, 0, 0),
                          dilations=(1, 1), group=1, offset_group=1):
    """DeformConv in float64 by torchvision.ops.deform_conv2d (torchvision takes the groups from
    the shapes; its padding is symmetric, so uneven pads pad X here first)."""
    import torch
    import torchvision
    t = lambda a: None if a is None else torch.from_numpy(np.asarray(a, np.float64))
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    y = torchvision.ops.deform_conv2d(t(xp), t(offset), t(w), t(b), stride=tuple(strides),
                                      padding=(0, 0), dilation=tuple(dilations), mask=t(mask))
    assert w.shape[1] * group == x.shape[1] and offset.shape[1] % offset_group == 0
    return y.numpy().astype(x.dtype)


def deform_conv_numpy(x, w, offset, b=None, mask=None, strides=None, pads=None, dilations=None,
                      group=1, offset_group=1):
    """DeformConv in float64 by numpy for any number n of spatial axes, written from the ONNX
    spec: kernel tap k of output position o samples X at o * stride - pad_begin + k * dilation
    plus its offsets (offset channel (g * taps + tap) * n + axis), interpolated linearly along
    every axis between floor(p) and floor(p) + 1, neighbours outside X reading 0; scaled by the
    mask (channel g * taps + tap); channels c use offset group c // (C / offset_group); then a
    grouped convolution of the sampled columns with W, plus B. Checked against ONNX Runtime in
    2-D and 1-D (deform_conv_cases), so it also serves as the 3-D reference."""
    x, w, offset = (np.asarray(a, np.float64) for a in (x, w, offset))
    nb, c = x.shape[:2]
    ins, ks = x.shape[2:], w.shape[2:]
    n = len(ins)
    strides, dilations = strides or [1] * n, dilations or [1] * n
    pads = pads or [0] * (2 * n)
    outs = [(ins[d] + pads[d] + pads[n + d] - dilations[d] * (ks[d] - 1) - 1) // strides[d] + 1
            for d in range(n)]
    taps, positions = int(np.prod(ks)), int(np.prod(outs))
    per_og = c // offset_group
    grid = np.stack(np.meshgrid(*[np.arange(o) for o in outs], indexing="ij")).reshape(n, -1)
    cols = np.zeros((nb, c, taps, positions))
    flat = x.reshape(nb, c, -1)
    for bi in range(nb):
        for g in range(offset_group):
            for tap, kpos in enumerate(np.ndindex(*ks)):
                ch = g * taps + tap
                off = offset[bi, ch * n:(ch + 1) * n].reshape(n, -1)
                p = np.array([grid[d] * strides[d] - pads[d] + kpos[d] * dilations[d]
                              for d in range(n)], np.float64) + off
                lo = np.floor(p)
                frac = p - lo
                acc = np.zeros((per_og, positions))
                for corner in np.ndindex(*([2] * n)):
                    idx = lo + np.array(corner)[:, None]
                    inside = np.all((idx >= 0) & (idx < np.array(ins)[:, None]), axis=0)
                    wt = np.prod([frac[d] if corner[d] else 1 - frac[d] for d in range(n)],
                                 axis=0) * inside
                    lin = np.ravel_multi_index(
                        tuple(np.where(inside, idx[d], 0).astype(np.int64) for d in range(n)),
                        ins)
                    acc += wt * flat[bi, g * per_og:(g + 1) * per_og][:, lin]
                if mask is not None:
                    acc *= np.asarray(mask, np.float64)[bi, ch].reshape(-1)
                cols[bi, g * per_og:(g + 1) * per_og, tap] = acc
    oc, icg = w.shape[0], c // group
    ocg = oc // group
    y = np.zeros((nb, oc, positions))
    for g in range(group):
        wg = w[g * ocg:(g + 1) * ocg].reshape(ocg, icg * taps)
        y[:, g * ocg:(g + 1) * ocg] = np.einsum(
            "ok,bkp->bop", wg, cols[:, g * icg:(g + 1) * icg].reshape(nb, icg * taps, positions))
    if b is not None:
        y += np.asarray(b, np.float64).reshape(1, oc, 1)
    return y.reshape(nb, oc, *outs)


def deform_conv_case(name, n, c, ins, oc, k, group=1, offset_group=1, strides=None, pads=None,
                     dilations=None, bias=False, mask=False, dtype=np.float32, spread=2.0,
                     **extra):
    """A DeformConv-19 case of len(ins) spatial axes; case.numpy is deform_conv_numpy's output
    and case.args its arguments."""
    d = len(ins)
    strides_, pads_, dil_ = strides or [1] * d, pads or [0] * (2 * d), dilations or [1] * d
    outs = [(ins[i] + pads_[i] + pads_[d + i] - dil_[i] * (k[i] - 1) - 1) // strides_[i] + 1
            for i in range(d)]
    taps = int(np.prod(k))
    x = rand(n, c, *ins).astype(dtype)
    consts = {"W": rand(oc, c // group, *k).astype(dtype),
              "O": (rand(n, offset_group * taps * d, *outs) * spread).astype(dtype)}
    names = ["W", "O"]
    if bias or mask:
        consts["B"] = rand(oc).astype(dtype)
        names.append("B" if bias else "")
    if mask:
        consts["M"] = RNG.uniform(0, 1, (n, offset_group * taps, *outs)).astype(dtype)
        names.append("M")
    attrs = dict(extra)
    for key, v, default in (("group", group, 1), ("offset_group", offset_group, 1)):
        if v != default:
            attrs[key] = v
    for key, v in (("strides", strides), ("pads", pads), ("dilations", dilations)):
        if v is not None:
            attrs[key] = list(v)
    case = one(f"DeformConv-19 {d}-D {name}", 19, "DeformConv", x, consts=consts,
               extra_inputs=names, **attrs)
    case.args = dict(x=x, w=consts["W"], offset=consts["O"], b=consts["B"] if bias else None,
                     mask=consts.get("M"), strides=strides, pads=pads, dilations=dilations,
                     group=group, offset_group=offset_group)
    case.numpy = deform_conv_numpy(**case.args)
    return case


def deform_conv_as_2d(case):
    """ONNX Runtime computes only 2-D DeformConv: a 1-D case runs there as the 2-D one with a
    leading spatial axis of 1, kernel 1 along it and zero offsets, which samples exactly the
    same points (row 0, weight 1), between Unsqueeze and Squeeze."""
    a = case.args
    x, w, off = a["x"], a["w"], a["offset"]
    n = x.shape[0]
    off2 = np.zeros((n, off.shape[1], 2) + off.shape[2:], off.dtype)
    off2[:, :, 1] = off
    consts = {"A2": ints(2), "W2": w[:, :, None], "O2": off2.reshape(n, -1, 1, off.shape[2])}
    names = ["X2", "W2", "O2"]
    if a["b"] is not None or a["mask"] is not None:
        names.append("B" if a["b"] is not None else "")
    if a["mask"] is not None:
        consts["M2"] = a["mask"][:, :, None]
        names.append("M2")
    attrs = {"group": a["group"], "offset_group": a["offset_group"]}
    if a["strides"]:
        attrs["strides"] = [1] + list(a["strides"])
    if a["dilations"]:
        attrs["dilations"] = [1] + list(a["dilations"])
    if a["pads"]:
        attrs["pads"] = [0, a["pads"][0], 0, a["pads"][1]]
    case.consts.update(consts)
    case.ort_nodes = [node("Unsqueeze", ["X", "A2"], ["X2"]),
                      node("DeformConv", names, ["Y2"], **attrs),
                      node("Squeeze", ["Y2", "A2"], ["Y0"])]
    return case


def deform_conv_cases():
    """DeformConv (19) in 1-D, 2-D and 3-D. References: ONNX Runtime in 2-D, and in 1-D through
    the equivalent 2-D model; torchvision in float64 (2-D), which ONNX Runtime lacks; and
    deform_conv_numpy everywhere, which must agree with ONNX Runtime in 1-D and 2-D (so that
    it is a checked reference for 3-D, which neither ONNX Runtime nor torchvision computes)
    and, in float64, with inferd within PRECISE_RTOL."""
    cases = []

    def case2(name, n, c, h, w, oc, k, strides=(1, 1), pads=(0, 0, 0, 0), dilations=(1, 1),
              **kw):
        c_ = deform_conv_case(name, n, c, (h, w), oc, k,
                              strides=None if strides == (1, 1) else strides,
                              pads=None if pads == (0, 0, 0, 0) else pads,
                              dilations=None if dilations == (1, 1) else dilations, **kw)
        a = c_.args
        c_.reference = deform_conv_reference(a["x"], a["w"], a["offset"], a["b"], a["mask"],
                                             strides, pads, dilations, a["group"],
                                             a["offset_group"])
        return c_

    cases += [
        case2("3x3 plain", 1, 4, 7, 8, 6, (3, 3)),
        case2("3x3 bias mask pads 1", 2, 3, 6, 6, 5, (3, 3), pads=(1, 1, 1, 1), bias=True,
              mask=True),
        case2("mask without bias", 1, 2, 5, 6, 3, (3, 3), mask=True),
        case2("strides 2 dilations [2, 1] uneven pads", 1, 4, 9, 10, 4, (3, 3), strides=(2, 2),
              dilations=(2, 1), pads=(1, 0, 2, 1), bias=True),
        case2("group 2 offset_group 2", 2, 4, 6, 7, 6, (3, 3), group=2, offset_group=2,
              pads=(1, 1, 1, 1), mask=True, bias=True),
        case2("offset_group 4 of 8 channels, 2x3 kernel", 1, 8, 6, 6, 4, (2, 3),
              offset_group=4, kernel_shape=[2, 3]),
        case2("1x1 kernel, large offsets", 1, 3, 5, 5, 2, (1, 1), spread=6.0),
        case2("wide layer 16 -> 24 on 23x29", 1, 16, 23, 29, 24, (3, 3), pads=(1, 1, 1, 1),
              mask=True, bias=True),
        case2("float64", 1, 4, 6, 7, 3, (3, 3), pads=(1, 1, 1, 1), mask=True, bias=True,
              dtype=np.float64),
        case2("float64 group 2 strides 2", 2, 4, 8, 8, 4, (3, 3), group=2, strides=(2, 2),
              dtype=np.float64),
    ]
    one_d = [
        deform_conv_case("kernel 3 pads 1", 1, 4, (19,), 5, (3,), pads=[1, 1]),
        deform_conv_case("bias mask strides 2 dilations 2 uneven pads", 2, 3, (23,), 4, (3,),
                         strides=[2], dilations=[2], pads=[2, 1], bias=True, mask=True),
        deform_conv_case("group 2 offset_group 2", 1, 4, (17,), 6, (4,), group=2,
                         offset_group=2, mask=True, kernel_shape=[4]),
        deform_conv_case("row of 120, 8 -> 8, large offsets", 1, 8, (120,), 8, (5,), pads=[2, 2],
                         bias=True, spread=6.0),
        deform_conv_case("float64", 1, 4, (15,), 3, (3,), pads=[1, 1], mask=True, bias=True,
                         dtype=np.float64),
    ]
    cases += [deform_conv_as_2d(c_) for c_ in one_d]
    three_d = [
        deform_conv_case("2x2x2 plain", 1, 2, (4, 5, 6), 3, (2, 2, 2)),
        deform_conv_case("3x3x3 pads 1 bias mask", 2, 3, (5, 6, 4), 4, (3, 3, 3),
                         pads=[1, 1, 1, 1, 1, 1], bias=True, mask=True),
        deform_conv_case("strides, dilations, uneven pads, groups", 1, 4, (7, 6, 8), 6,
                         (3, 2, 2), strides=[2, 1, 2], dilations=[1, 2, 1],
                         pads=[1, 0, 2, 0, 1, 1], group=2, offset_group=2, mask=True),
        deform_conv_case("float64 offset_group 3", 1, 6, (5, 5, 5), 2, (2, 3, 2),
                         offset_group=3, pads=[0, 1, 0, 1, 1, 0], bias=True, mask=True,
                         dtype=np.float64, spread=3.0),
    ]
    for c_ in three_d:
        c_.reference = c_.numpy.astype(c_.args["x"].dtype)
    cases += three_d
    for c_ in cases:
        if c_.args["x"].dtype == np.float64:
            c_.precise = (c_.numpy, "numpy float64 (spec)")
        c_.check_reference = (c_.numpy, "deform_conv_numpy")
    x = rand(1, 4, 6, 6)
    w = rand(4, 4, 3, 3)
    cases += [
        one("DeformConv-19 3-D offset with 2 values per tap refused", 19, "DeformConv",
            rand(1, 2, 4, 5, 6), consts={"W": rand(2, 2, 2, 2, 2), "O": rand(1, 16, 3, 4, 5)},
            extra_inputs=["W", "O"], refused="offset is [1,16,3,4,5], expected [1,24,3,4,5]"),
        one("DeformConv-19 W of another rank refused", 19, "DeformConv", rand(1, 4, 9),
            consts={"W": w, "O": rand(1, 18, 4, 4)}, extra_inputs=["W", "O"],
            refused="W must be [oC, C / group, k1, ...] with X's 1 spatial axes"),
        one("DeformConv-19 offset of wrong shape refused", 19, "DeformConv", x,
            consts={"W": w, "O": rand(1, 9, 4, 4)}, extra_inputs=["W", "O"],
            refused="offset is [1,9,4,4], expected [1,18,4,4]"),
        one("DeformConv-19 offset_group 3 of 4 channels refused", 19, "DeformConv", x,
            consts={"W": w, "O": rand(1, 54, 4, 4)}, extra_inputs=["W", "O"], offset_group=3,
            refused="offset_group 3 does not divide the 4 channels of X"),
        one("DeformConv-19 group 3 refused", 19, "DeformConv", x,
            consts={"W": w, "O": rand(1, 18, 4, 4)}, extra_inputs=["W", "O"], group=3,
            refused="does not fit X [1,4,6,6] with group 3"),
        one("DeformConv-19 strides 0 refused", 19, "DeformConv", x,
            consts={"W": w, "O": rand(1, 18, 4, 4)}, extra_inputs=["W", "O"], strides=[0, 1],
            refused="attribute 'strides'[0] = 0 is outside"),
    ]
    return cases


def torch_affine_grid(case):
    """The case's grid by torch.nn.functional.affine_grid, in float64."""
    import warnings
    import torch
    align = [a.i for a in case.nodes[0].attribute if a.name == "align_corners"]
    theta = torch.from_numpy(case.inputs["X"].astype(np.float64))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # PyTorch's note on its 1.3 change for unit sides
        grid = torch.nn.functional.affine_grid(theta, [int(v) for v in case.consts["S"]],
                                               align_corners=bool(align and align[0]))
    return grid.numpy().astype(case.inputs["X"].dtype)


def affine_grid_cases():
    """AffineGrid (20), 2-D and 3-D, against ONNX Runtime, which agrees with PyTorch's
    affine_grid (the spec's model) except on a side of one pixel with align_corners: PyTorch
    puts it at 0 (since 1.3), ONNX Runtime at 1, onnx's reference implementation at -1;
    inferd follows PyTorch, and those cases check against it."""
    cases = []
    theta2 = rand(2, 2, 3)
    theta3 = rand(2, 3, 4)
    for align in (0, 1):
        cases += [
            one(f"AffineGrid-20 2-D align_corners {align}", 20, "AffineGrid", theta2,
                consts={"S": ints(2, 3, 5, 7)}, extra_inputs=["S"], align_corners=align),
            one(f"AffineGrid-20 3-D align_corners {align}", 20, "AffineGrid", theta3,
                consts={"S": ints(2, 1, 3, 4, 5)}, extra_inputs=["S"], align_corners=align),
        ]
        for size in ((2, 1, 1, 4), (2, 3, 2, 1, 3)):
            c = one(f"AffineGrid-20 {len(size) - 2}-D a side of 1 align_corners {align} "
                    "(PyTorch)", 20, "AffineGrid", theta2 if len(size) == 4 else theta3,
                    consts={"S": ints(*size)}, extra_inputs=["S"], align_corners=align)
            c.expected = [torch_affine_grid(c)]
            cases.append(c)
    cases += [
        one("AffineGrid-20 2-D float64", 20, "AffineGrid", theta2.astype(np.float64),
            consts={"S": ints(2, 3, 4, 6)}, extra_inputs=["S"]),
        one("AffineGrid-20 3-D float64 align_corners 1", 20, "AffineGrid",
            theta3.astype(np.float64), consts={"S": ints(2, 2, 2, 3, 4)}, extra_inputs=["S"],
            align_corners=1),
        one("AffineGrid-20 theta [N, 3, 4] for a 2-D size refused", 20, "AffineGrid", theta3,
            consts={"S": ints(2, 3, 5, 7)}, extra_inputs=["S"],
            refused="AffineGrid node '#0': theta is [2,3,4], expected [2,2,3]"),
        one("AffineGrid-20 size [3] refused", 20, "AffineGrid", theta2,
            consts={"S": ints(2, 5, 7)}, extra_inputs=["S"], refused="input 'size' is [3]"),
    ]
    return cases


def ops4_cases():
    return (max_roi_pool_cases() + center_crop_pad_cases() + deform_conv_cases() +
            affine_grid_cases())


def control_flow_cases():
    """If, Loop and Scan at 19 and 21 (versions that only added types), with subgraphs
    that read the outer scope."""
    f = TensorProto.FLOAT
    vi = helper.make_tensor_value_info
    cases = []
    for v in (19, 21):
        then_g = helper.make_graph([node("Add", ["X", "X"], ["t"])], "then", [],
                                   [vi("t", f, None)])
        else_g = helper.make_graph([node("Concat", ["X", "X"], ["e"], axis=0)], "else", [],
                                   [vi("e", f, None)])
        for flag in (True, False):
            cases.append(Case(f"If-{v} cond {flag} (branch shapes differ)", v,
                              [node("ReduceSum", ["X"], ["s"], keepdims=0),
                               node("Greater", ["s", "z"], ["c"]) if flag else
                               node("Less", ["s", "z"], ["c"]),
                               node("If", ["c"], ["Y0"], then_branch=then_g, else_branch=else_g)],
                              {"X": np.abs(rand(2, 3))}, [("Y0", np.float32)],
                              {"z": np.array(0, np.float32)}))
        body = helper.make_graph(
            [node("Add", ["a", "X"], ["a2"]), node("Identity", ["c"], ["c2"]),
             node("Cast", ["i"], ["fi"], to=f), node("Mul", ["a2", "fi"], ["sc"])], "body",
            [vi("i", TensorProto.INT64, []), vi("c", TensorProto.BOOL, []), vi("a", f, None)],
            [vi("c2", TensorProto.BOOL, []), vi("a2", f, None), vi("sc", f, None)])
        cases.append(Case(f"Loop-{v} carried and scan outputs", v,
                          [node("Loop", ["M", "", "A0"], ["Y0", "Y1"], body=body)],
                          {"A0": rand(2, 3)}, [("Y0", np.float32), ("Y1", np.float32)],
                          {"M": np.array(4, np.int64), "X": rand(2, 3)}))
        sbody = helper.make_graph(
            [node("Add", ["s", "x"], ["s2"]), node("Mul", ["s2", "x"], ["o"])], "sbody",
            [vi("s", f, [3]), vi("x", f, [3])], [vi("s2", f, [3]), vi("o", f, [3])])
        cases.append(Case(f"Scan-{v} axis 1 reversed", v,
                          [node("Scan", ["S0", "X"], ["Y0", "Y1"], body=sbody, num_scan_inputs=1,
                                scan_input_axes=[1], scan_input_directions=[1],
                                scan_output_axes=[-1])],
                          {"X": rand(3, 5)}, [("Y0", np.float32), ("Y1", np.float32)],
                          {"S0": rand(3)}))
    return cases


def all_cases():
    return (reduce_cases() + split_cases() + pad_cases() + resize_cases() + cast_cases() +
            type_bump_cases() + pool_cases() + gelu_cases() + groupnorm_cases() + col2im_cases() +
            refusal_cases() + ops3_cases() + control_flow_cases() + ops4_cases())


def ensure_ort(build_dir):
    prefix = os.path.join(build_dir, "ort")
    if not os.path.isdir(os.path.join(prefix, "node_modules", "onnxruntime-node")):
        os.makedirs(prefix, exist_ok=True)
        subprocess.run(["npm", "install", "--ignore-scripts", "--prefix", prefix,
                        f"onnxruntime-node@{ORT_VERSION}"], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(prefix, "node_modules")


def write_case(case, d):
    os.makedirs(d)
    with open(os.path.join(d, "model.onnx"), "wb") as f:
        f.write(case.model().SerializeToString())
    with open(os.path.join(d, "model_ort.onnx"), "wb") as f:
        f.write(case.model(case.ort_nodes).SerializeToString())
    specs = []
    for i, (name, a) in enumerate(case.inputs.items()):
        with open(os.path.join(d, f"input_{i}.bin"), "wb") as f:
            f.write(np.ascontiguousarray(a).tobytes())
        with open(os.path.join(d, f"input_{i}.pb"), "wb") as f:
            f.write(onnx.numpy_helper.from_array(a, name).SerializeToString())
        specs.append({"name": name, "type": NP_TO_ORT[a.dtype.type], "dims": list(a.shape),
                      "file": f"input_{i}.bin"})
    return {"dir": d, "inputs": specs}


def load_pb(path):
    t = TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return onnx.numpy_helper.to_array(t)


def ort_outputs(d):
    ort_dir = os.path.join(d, "ort")
    if os.path.exists(os.path.join(ort_dir, "error.txt")):
        with open(os.path.join(ort_dir, "error.txt")) as f:
            return None, f.read().strip()
    with open(os.path.join(ort_dir, "outputs.json")) as f:
        specs = json.load(f)
    outs = []
    for s in specs:
        a = np.fromfile(os.path.join(ort_dir, s["file"]), dtype=ORT_TO_NP[s["type"]])
        outs.append(a.reshape(s["dims"]))
    return outs, None


def compare(want, got, rtol=RTOL, ref="ONNX Runtime"):
    """None when got matches want, else what differs."""
    if got.shape != want.shape:
        return f"shape {got.shape}, {ref} {want.shape}"
    if got.dtype != want.dtype:
        return f"dtype {got.dtype}, {ref} {want.dtype}"
    if want.dtype.kind in "fc":
        scale = float(np.max(np.abs(want))) if want.size else 0.0
        err = float(np.max(np.abs(got.astype(np.float64) - want))) if want.size else 0.0
        if not err <= rtol * max(scale, 1e-30):
            return f"max |diff| {err:.3e} over max |ref| {scale:.3e} (bound {rtol:g} relative)"
        return None
    if not np.array_equal(got, want):
        return f"values differ: got {got.ravel()[:8]}, {ref} {want.ravel()[:8]}"
    return None


def run_inferd(inferd, case, d):
    out_dir = os.path.join(d, "inferd")
    command = [inferd, "run", "--model", os.path.join(d, "model.onnx"), "--output-dir", out_dir]
    for i, name in enumerate(case.inputs):
        command += ["--input", f"{name}={os.path.join(d, f'input_{i}.pb')}"]
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        return None, run.stderr.strip()
    return [load_pb(os.path.join(out_dir, f"output_{k}.pb")) for k in range(len(case.outputs))], None


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    if sys.argv[1] == "--install-ort":
        ensure_ort(sys.argv[2])
        return 0
    inferd, build_dir = sys.argv[1], sys.argv[2]
    node_path = ensure_ort(build_dir)
    cases = all_cases()
    if os.environ.get("CASES"):
        wanted = os.environ["CASES"].split(",")
        cases = [c for c in cases if any(w in c.name for w in wanted)]
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        dirs = [os.path.join(tmp, f"case_{i:03d}") for i in range(len(cases))]
        manifest = [write_case(c, d) for c, d in zip(cases, dirs)]
        with open(os.path.join(tmp, "cases.json"), "w") as f:
            json.dump(manifest, f)
        env = dict(os.environ, NODE_PATH=node_path)
        subprocess.run(["node", os.path.join(HERE, "ort_run.js"), tmp], check=True, env=env)
        for case, d in zip(cases, dirs):
            got, error = run_inferd(inferd, case, d)
            if case.refused:
                ok = got is None and case.refused in error
                print(f"{'ok  ' if ok else 'FAIL'} {case.name}: "
                      f"{'refused: ' + error.splitlines()[-1] if got is None else 'inferd ran it'}")
                failures += not ok
                continue
            want, ort_error = (case.expected, None) if case.expected else ort_outputs(d)
            problems = []
            note = ""
            if ort_error and case.reference is not None:
                want, note = [case.reference], " (reference: ONNX Runtime has no kernel for it)"
            elif ort_error:
                problems.append(f"ONNX Runtime refused it: {ort_error.splitlines()[0]}")
            if error:
                problems.append(f"inferd failed: {error.splitlines()[-1]}")
            if not problems:
                problems = [f"output {k}: {p}" for k, (w, g) in enumerate(zip(want, got))
                            if (p := compare(w, g))]
            if not problems and case.check_reference and not ort_error:
                p = compare(want[0], case.check_reference[0].astype(want[0].dtype))
                problems = [f"{case.check_reference[1]} against ONNX Runtime: {p}"] if p else []
                note += f" (and {case.check_reference[1]} agrees with ONNX Runtime)"
            if not problems and case.precise_of:
                precise = case.precise_of(got[0].shape)
                case.precise = None if precise is None else (precise, "onnx 1.12 numpy float64")
            if not problems and case.precise:
                p = compare(case.precise[0], got[0], PRECISE_RTOL, case.precise[1])
                problems = [f"output 0 against {case.precise[1]}: {p}"] if p else []
                note += f" (and {case.precise[1]} within {PRECISE_RTOL:g})"
            print(f"{'FAIL' if problems else 'ok  '} {case.name}{note}" +
                  ("".join(f"\n     {p}" for p in problems)))
            failures += bool(problems)
    print(f"{len(cases) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
