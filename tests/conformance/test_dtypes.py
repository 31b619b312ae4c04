#!/usr/bin/python3
"""Dtype coverage of the default ONNX domain: every op, every in-scope dtype its spec lists.

The dtypes in scope are float32, float64, int8/16/32/64, uint8/16/32/64 and bool
(float16/bfloat16, strings, sequences and optionals are out of scope). For each
op of onnx 1.12's default domain (onnx.defs.get_all_schemas_with_history), plus
the ops of opsets 18-21 that onnx 1.12 does not know (EXTRA_SCHEMAS), the type
lists are split into spans of versions with the same in-scope types. Each span
is tested at its last opset (where ONNX Runtime has a kernel for it), and the
latest span also at opset 21. For every dtype a span allows, a one-node model is
built with onnx.helper by the op's recipe (RECIPES: attributes and input values
in a safe range for the op and dtype) and run by `inferd run` and by ONNX
Runtime (onnxruntime-node, ort_run.js, one process per round).

References: ONNX Runtime's output on the same model. Where ONNX Runtime has no
kernel for the (op, dtype) (NOT_IMPLEMENTED), a widened reference: the same node
with Cast nodes around it so that ONNX Runtime computes in a wider type (int8 ->
int32 -> int64, uint32 -> uint64 -> int64, bool -> int32, see WIDEN; float64 -> numpy in float64 for
the element-wise ops with a numpy formula, else float32 at a float32 tolerance),
the output cast back; the line says "ref: ...". Random ops are checked for dtype
and shape only.

Comparison: integers and bool exactly; float32 within 1e-5 and float64 within
1e-12 of the largest reference value (so float64 must really be computed in
double). Any (op, dtype) that inferd refuses or gets wrong fails, except SKIP.
Ops without a recipe are checked statically: inferd's info masks
(inferd_conformance --list-ops) must admit every spec dtype.

usage: test_dtypes.py INFERD_CONFORMANCE BUILD_DIR
  CASES=Text1,Text2 runs only the cases whose names contain one of them;
  VERBOSE=1 prints passing cases too.
"""
import itertools
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import zlib

import numpy as np
import onnx
import onnx.numpy_helper
from onnx import TensorProto, defs, helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_opsets_18_21 as base  # noqa: E402  (ORT install, I/O helpers)

IR_VERSION = 8
TOL = {np.float32: 1e-5, np.float64: 1e-12}
TOL_F32_REF = 1e-4  # float64 case against a float32 reference

ONNX_TO_NP = {
    TensorProto.FLOAT: np.float32, TensorProto.DOUBLE: np.float64, TensorProto.INT8: np.int8,
    TensorProto.INT16: np.int16, TensorProto.INT32: np.int32, TensorProto.INT64: np.int64,
    TensorProto.UINT8: np.uint8, TensorProto.UINT16: np.uint16, TensorProto.UINT32: np.uint32,
    TensorProto.UINT64: np.uint64, TensorProto.BOOL: np.bool_,
}
NP_TO_ONNX = {v: k for k, v in ONNX_TO_NP.items()}
TYPE_STR = {f"tensor({n})": t for n, t in (
    ("float", np.float32), ("double", np.float64), ("int8", np.int8), ("int16", np.int16),
    ("int32", np.int32), ("int64", np.int64), ("uint8", np.uint8), ("uint16", np.uint16),
    ("uint32", np.uint32), ("uint64", np.uint64), ("bool", np.bool_))}
ALL = list(TYPE_STR.values())
FLOATS = [np.float32, np.float64]
INTS = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
NUMERIC = FLOATS + INTS

# ONNX Runtime refuses these (op, dtype) and a wider type answers instead.
# Wider types first; the last rungs (float64, or int32 for 64-bit types) are not wider
# but hold the small integers the recipes use exactly.
# float32 -> int64 only serves ops whose float inputs hold integers (OneHot's indices):
# elsewhere it gives a wrong reference, which fails loudly rather than passing.
WIDEN = {np.int8: [np.int32, np.int64, np.float64], np.int16: [np.int32, np.int64, np.float64],
         np.uint8: [np.uint32, np.int32, np.int64, np.float64],
         np.uint16: [np.uint32, np.int32, np.int64, np.float64],
         np.float32: [np.float64, np.int64],
         np.uint32: [np.uint64, np.int64, np.float64, np.int32],
         np.uint64: [np.int64, np.float64, np.int32],
         np.int32: [np.int64, np.float64], np.int64: [np.float64, np.int32],
         np.bool_: [np.int32, np.float32], np.float64: [np.float32, np.int64]}

# Ops with a new version at opsets 18-21 (ONNX's changelog): their latest span is also
# tested at opset 21. The others have the same version at 21 as at 17, and inferd's
# schema entry at 21 is checked through its info masks.
CHANGED_18_21 = set("""
BitwiseAnd BitwiseOr BitwiseXor BitwiseNot CenterCropPad Col2Im GroupNormalization LpPool Mish
Pad Resize ScatterElements ScatterND Split ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp
ReduceMax ReduceMean ReduceMin ReduceProd ReduceSumSquare AveragePool Cast CastLike Constant
DeformConv DequantizeLinear Equal Identity If Loop QuantizeLinear Reshape Scan Shape Size
AffineGrid ConstantOfShape DFT Gelu GridSample IsInf IsNaN Flatten QLinearMatMul Squeeze
Transpose Unsqueeze""".split())
# ONNX Runtime guarantees opsets from 7 on: spans that end before are checked through
# inferd's info masks only.
ORT_MIN_OPSET = 7

# Ops of opsets 18-21 that onnx 1.12 does not know: (since, {constraint: in-scope types}).
EXTRA_SCHEMAS = {
    "BitwiseAnd": (18, {"T": INTS}), "BitwiseOr": (18, {"T": INTS}),
    "BitwiseXor": (18, {"T": INTS}), "BitwiseNot": (18, {"T": INTS}),
    "Col2Im": (18, {"T": ALL}), "GroupNormalization": (18, {"T": FLOATS}),
    "Mish": (18, {"T": FLOATS}), "Gelu": (20, {"T": FLOATS}),
    "CenterCropPad": (18, {"T": ALL, "Tind": [np.int32, np.int64]}),
}
# In-scope types added past opset 17 to ops onnx 1.12 knows: (op, since, constraint, types).
LATER_TYPES = [("ReduceMax", 20, "T", [np.bool_]), ("ReduceMin", 20, "T", [np.bool_])]

# float64 cases whose reference is numpy's formula in double even though ONNX Runtime
# has a kernel: ONNX Runtime's differs from the exact result by ~1e-8 relative (its
# Shrink and tanh-Gelu on double go through float constants or float math).
NUMPY_PREFERRED = {"Shrink", "Gelu"}
# The window ops on float64 and integers: ONNX Runtime computes the window in float and
# converts, so its float64 values are float-accurate and an integer cast of a peak
# value computed as 0.99999994 or 1.0 differs; ONNX's reference computes in double.
WINDOW_OPS = {"HannWindow", "HammingWindow", "BlackmanWindow"}
# Opset 18: ReduceL1, ReduceL2 and ReduceLogSum with empty axes and
# noop_with_empty_axes=1. The spec says "input tensor will not be reduced, and the
# output tensor would be equivalent to input tensor", as ONNX's reference
# implementation (ReduceLogSum_18._run returns data) does; ONNX Runtime runs these
# ops through their function bodies, which still apply abs, x*x+sqrt or log
# elementwise. inferd follows the spec: the reference is the input itself.
SPEC_OVER_ORT = {"ReduceL1", "ReduceL2", "ReduceLogSum"}
# Integer ReduceLogSumExp: the spec's formula in double, cast back (lse_spec_ref).
SPEC_OVER_ORT_INT = {"ReduceLogSumExp"}
# Ops whose reference, where ONNX Runtime has no kernel for the type combination (int8
# with uint8 operands, int32 input) and no wider type exists, is the spec's formula in
# numpy (float math, round half to even, saturate).
NUMPY_WHEN_ORT_FAILS = {"QLinearMatMul", "QLinearConv", "QuantizeLinear"}

# (op, dtype name or "*") -> why it is not tested.
SKIP = {
    ("StringNormalizer", "*"): "strings are out of scope",
    ("Tile-5", "*"): "Tile-1 (opsets 1-5: tiles and axis inputs) not implemented: a version gap, "
                     "not a dtype gap",
    ("Upsample-6", "*"): "Upsample-1 (opsets 1-6, experimental: width_scale/height_scale) not "
                         "implemented: a version gap, not a dtype gap",
    ("Split-1", "*"): "Split-1 types its optional 'split' input T (float): inferd reads split "
                      "sizes as integers; no exporter writes float split sizes",
}
for _op in ("ConcatFromSequence", "Optional", "OptionalGetElement", "OptionalHasElement",
            "SequenceAt", "SequenceConstruct", "SequenceEmpty", "SequenceErase", "SequenceInsert",
            "SequenceLength", "SequenceMap", "SplitToSequence"):
    SKIP[(_op, "*")] = "sequences and optionals are out of scope"


def dname(dt):
    return np.dtype(dt).name


# --------------------------------------------------------------------------- values

class Rng:
    """Values per case, seeded by the case name so every run builds the same models."""

    def __init__(self, name):
        self.g = np.random.default_rng(zlib.crc32(name.encode()))

    def __call__(self, dt, shape, kind="any"):
        g = self.g
        if dt == np.bool_:
            return g.integers(0, 2, shape).astype(np.bool_)
        if dt in FLOATS:
            v = {"any": lambda: g.standard_normal(shape) * 2,
                 "pos": lambda: g.uniform(0.2, 3.0, shape),
                 "unit": lambda: g.uniform(-0.9, 0.9, shape),
                 "gt1": lambda: g.uniform(1.1, 4.0, shape),
                 "nonzero": lambda: g.choice([-1, 1], shape) * g.uniform(0.5, 3.0, shape),
                 "small": lambda: g.uniform(-1.5, 1.5, shape)}[kind]()
            return np.asarray(v).astype(dt)
        signed = np.issubdtype(dt, np.signedinteger)
        lo, hi = {"any": (-6 if signed else 0, 7), "pos": (1, 7), "unit": (-1 if signed else 0, 2),
                  "gt1": (2, 7), "nonzero": (1, 7), "small": (-2 if signed else 0, 3)}[kind]
        v = g.integers(lo, hi, shape)
        if kind == "nonzero" and signed:
            v = v * g.choice([-1, 1], shape)
        return np.asarray(v).astype(dt)

    def perm(self, dt, shape):
        """Distinct values (no ties: TopK, ArgMax, Unique's order)."""
        n = int(np.prod(shape))
        v = self.g.permutation(n) + (0 if not np.issubdtype(dt, np.signedinteger) else -(n // 2))
        if dt in FLOATS:
            v = v * 0.37
        return v.reshape(shape).astype(dt)


# --------------------------------------------------------------------------- cases

class In:
    """One node input: value (array, or None for an omitted optional input), the type
    constraint it belongs to (for widening), and whether it is an initializer."""

    def __init__(self, value, tc=None, const=False):
        self.value, self.tc, self.const = value, tc, const


class Case:
    def __init__(self, op, opset, name, inputs, outputs, attrs, rng, np_ref=None, random=False,
                 nodes=None, exact_ref=False):
        self.op, self.opset, self.name = op, opset, name
        self.inputs = inputs          # [In]
        self.outputs = outputs        # [(numpy dtype, constraint)]
        self.attrs = attrs
        self.np_ref = np_ref          # f(*input arrays) -> [arrays], float64 fallback
        self.random = random          # compare dtype and shape only
        self.nodes = nodes            # explicit nodes (control flow), else one node
        self.varied = {}              # constraint -> dtype this case tests
        self.ref_note = None
        self.ladder = 0
        self.exact_ref = exact_ref    # use np_ref even where ONNX Runtime has a kernel
        self.float_stage = False      # the spec computes a stage in float (FLOAT_STAGE)

    def names(self):
        ins = [f"X{i}" if i_.value is not None else "" for i, i_ in enumerate(self.inputs)]
        outs = [f"Y{k}" for k in range(len(self.outputs))]
        return ins, outs

    def model(self, widen=None):
        """The model; with widen {constraint: wide dtype}, the node computes in the wide
        types between Cast nodes and the graph keeps its own types."""
        ins, outs = self.names()
        widen = widen or {}
        nodes, node_ins, node_outs = [], list(ins), list(outs)
        for i, inp in enumerate(self.inputs):
            if inp.value is not None and inp.tc in widen:
                node_ins[i] = ins[i] + "_w"
                nodes.append(helper.make_node("Cast", [ins[i]], [node_ins[i]],
                                              to=NP_TO_ONNX[widen[inp.tc]]))
        post = []
        for k, (dt, tc) in enumerate(self.outputs):
            if tc in widen:
                node_outs[k] = outs[k] + "_w"
                post.append(helper.make_node("Cast", [node_outs[k]], [outs[k]], to=NP_TO_ONNX[dt]))
        if self.nodes:
            nodes += self.nodes(node_ins, node_outs)
        else:
            attrs = dict(self.attrs)
            for key, value in attrs.items():
                # dtype-valued attributes (Cast to, EyeLike dtype, ...) and typed tensors
                if isinstance(value, onnx.TensorProto):
                    dt = ONNX_TO_NP.get(value.data_type)
                    for tc, wide in widen.items():
                        if self.varied.get(tc) == dt:
                            attrs[key] = onnx.numpy_helper.from_array(
                                onnx.numpy_helper.to_array(value).astype(wide), value.name)
                elif key in ("to", "dtype", "output_datatype") and isinstance(value, int):
                    for tc, wide in widen.items():
                        if NP_TO_ONNX.get(self.varied.get(tc)) == value:
                            attrs[key] = NP_TO_ONNX[wide]
            nodes.append(helper.make_node(self.op, node_ins, node_outs, **attrs))
        nodes += post
        runtime = [helper.make_tensor_value_info(n, NP_TO_ONNX[i.value.dtype.type], i.value.shape)
                   for n, i in zip(ins, self.inputs) if i.value is not None and not i.const]
        inits = [onnx.numpy_helper.from_array(i.value, n)
                 for n, i in zip(ins, self.inputs) if i.value is not None and i.const]
        graph = helper.make_graph(nodes, self.name, runtime,
                                  [helper.make_tensor_value_info(n, NP_TO_ONNX[dt], None)
                                   for n, (dt, _) in zip(outs, self.outputs)], inits)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)],
                                 ir_version=IR_VERSION, producer_name="test_dtypes")

    def runtime_inputs(self):
        ins, _ = self.names()
        return [(n, i.value) for n, i in zip(ins, self.inputs) if i.value is not None and not i.const]


# --------------------------------------------------------------------------- recipes
#
# A recipe is f(ctx, v, **dtypes) -> (inputs, outputs, attrs[, extras]) where dtypes has
# one entry per varied type constraint. ctx.r draws values. The decorators say which
# constraints vary (each on its own, the others at the recipe's defaults, or all
# together with product=True).

RECIPES = {}


def recipe(*ops, vary=("T",), product=False):
    def register(f):
        for op in ops:
            RECIPES[op] = (f, vary, product)
        return f
    return register


class Ctx:
    def __init__(self, op, r):
        self.op, self.r = op, r


def i64(*v):
    return In(np.array(v, np.int64), None, True)


def scalar_i64(v):
    return In(np.array(v, np.int64), None, True)


UNARY_KIND = {"Acos": "unit", "Asin": "unit", "Atanh": "unit", "Acosh": "gt1", "Log": "pos",
              "Sqrt": "pos", "Reciprocal": "nonzero", "Tan": "unit", "Cosh": "small",
              "Sinh": "small", "Exp": "small"}
NP_UNARY = {
    "Abs": np.abs, "Acos": np.arccos, "Acosh": np.arccosh, "Asin": np.arcsin, "Asinh": np.arcsinh,
    "Atan": np.arctan, "Atanh": np.arctanh, "Ceil": np.ceil, "Cos": np.cos, "Cosh": np.cosh,
    "Exp": np.exp, "Floor": np.floor, "Log": np.log, "Neg": np.negative,
    "Reciprocal": lambda x: 1 / x, "Relu": lambda x: np.maximum(x, 0), "Round": np.round,
    "Sigmoid": lambda x: 1 / (1 + np.exp(-x)), "Sign": np.sign, "Sin": np.sin, "Sinh": np.sinh,
    "Sqrt": np.sqrt, "Tan": np.tan, "Tanh": np.tanh,
    "Softsign": lambda x: x / (1 + np.abs(x)), "Softplus": lambda x: np.log1p(np.exp(x)),
    "Erf": lambda x: np.vectorize(math.erf)(x),
    "HardSwish": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "Mish": lambda x: x * np.tanh(np.log1p(np.exp(x))),
}


@recipe("Abs", "Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "Ceil", "Cos", "Cosh", "Erf",
        "Exp", "Floor", "Log", "Neg", "Reciprocal", "Relu", "Round", "Sigmoid", "Sign", "Sin",
        "Sinh", "Sqrt", "Tan", "Tanh", "Softsign", "Softplus", "HardSwish", "Mish", "Identity",
        "BitwiseNot", "Not", vary=("T", "V"))
def unary_recipe(c, v, T=None, V=None):
    dt = T or V
    tc = "T" if T else "V"
    x = c.r(dt, (2, 3, 4), UNARY_KIND.get(c.op, "any"))
    if c.op == "Round" and dt in FLOATS:
        x = np.concatenate([x.ravel(), np.array([0.5, 1.5, 2.5, -0.5, -2.5, 2.4, -2.6])]).astype(dt)
    if c.op == "Sign":
        x.ravel()[:3] = 0
    f = NP_UNARY.get(c.op)
    return [In(x, tc)], [(dt, tc)], {}, (lambda a: [f(a)]) if f else None


def shrink_np(x):
    return [np.where(x < -1.5, x + 1.0, np.where(x > 1.5, x - 1.0, 0.0))]


@recipe("Elu", "Selu", "Celu", "LeakyRelu", "HardSigmoid", "ThresholdedRelu", "Shrink")
def act_recipe(c, v, T):
    x = c.r(T, (2, 3, 4))
    attrs = {"Elu": {"alpha": 0.7}, "Selu": {"alpha": 1.5, "gamma": 1.1}, "Celu": {"alpha": 1.3},
             "LeakyRelu": {"alpha": 0.1}, "HardSigmoid": {"alpha": 0.3, "beta": 0.4},
             "ThresholdedRelu": {"alpha": 0.8}, "Shrink": {"lambd": 1.5, "bias": 1.0}}[c.op]
    if c.op == "Shrink" and T not in FLOATS:
        attrs = {"lambd": 2.0, "bias": 1.0}
        if not np.issubdtype(T, np.signedinteger):
            x = x + 3  # Shrink on unsigned: keep x - bias and x + bias in range
    return [In(x, "T")], [(T, "T")], attrs, shrink_np if c.op == "Shrink" else \
        (lambda a: [ACT_NP[c.op](a.astype(np.float64), F32_ATTRS(attrs))]) if T in FLOATS else None


def F32_ATTRS(attrs):
    """Float attributes are float32 in the model: the formulas take them as such."""
    return {k: float(np.float32(v)) for k, v in attrs.items()}


# The activations' spec formulas, for float64 where ONNX Runtime has no double kernel.
ACT_NP = {
    "Elu": lambda x, a: np.where(x < 0, a["alpha"] * (np.exp(x) - 1), x),
    "Selu": lambda x, a: a["gamma"] * np.where(x <= 0, a["alpha"] * (np.exp(x) - 1), x),
    "Celu": lambda x, a: np.maximum(0, x) + np.minimum(0, a["alpha"] * (np.exp(x / a["alpha"]) - 1)),
    "LeakyRelu": lambda x, a: np.where(x < 0, a["alpha"] * x, x),
    "HardSigmoid": lambda x, a: np.clip(a["alpha"] * x + a["beta"], 0, 1),
    "ThresholdedRelu": lambda x, a: np.where(x > a["alpha"], x, 0.0),
}


@recipe("IsInf", "IsNaN", vary=("T1",))
def isinf_recipe(c, v, T1):
    x = c.r(T1, (12,))
    x[:4] = [np.inf, -np.inf, np.nan, 0]
    return [In(x, "T1")], [(np.bool_, None)], {}


def binary_np(op):
    return {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}.get(op)


@recipe("Add", "Sub", "Mul", "Div", "And", "Or", "Xor", "Equal", "Greater", "Less",
        "GreaterOrEqual", "LessOrEqual", "BitwiseAnd", "BitwiseOr", "BitwiseXor")
def binary_recipe(c, v, T):
    a = c.r(T, (2, 3, 4))
    b = c.r(T, (3, 1), "nonzero" if c.op == "Div" else "any")
    if c.op in ("Sub",) and not np.issubdtype(T, np.signedinteger) and T in INTS:
        a = a + 7  # no unsigned wraparound: ORT and numpy would agree anyway, but stay tidy
    compare = c.op in ("Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual")
    logic = c.op in ("And", "Or", "Xor")
    out = np.bool_ if compare or logic else T
    if compare:
        b = a[0, :, :1].copy()  # some equal elements
    if v < 7 and c.op not in ("Equal", "Greater", "Less", "And", "Or", "Xor"):
        b = c.r(T, (2, 3, 4), "nonzero" if c.op == "Div" else "any")
    f = binary_np(c.op)
    return [In(a, "T"), In(b, "T")], [(out, None if out == np.bool_ else "T")], {}, \
        (lambda x, y: [f(x, y)]) if f and T in FLOATS else None


@recipe("Mod")
def mod_recipe(c, v, T):
    a = c.r(T, (2, 3, 4))
    b = c.r(T, (3, 1), "nonzero")
    return [In(a, "T"), In(b, "T")], [(T, "T")], {"fmod": 1 if T in FLOATS else 0}


def mod_fmod_recipe(c, v, T):
    a = c.r(T, (2, 3, 4))
    b = c.r(T, (3, 1), "nonzero")
    return [In(a, "T"), In(b, "T")], [(T, "T")], {"fmod": 1}


@recipe("BitShift")
def bitshift_recipe(c, v, T):
    a = c.r(T, (2, 3, 4))
    b = c.g_shift = np.array([[0], [1], [3]], T)
    return [In(a, "T"), In(b, "T")], [(T, "T")], {"direction": "LEFT"}


@recipe("Pow", vary=("T", "T1"))
def pow_recipe(c, v, T=np.float32, T1=None):
    if v < 12:
        T1 = T
    T1 = T1 or T
    a = c.r(T, (2, 3, 4), "pos" if T in FLOATS else "small")
    b = np.array([0, 1, 2, 3], T1).reshape(1, 4) if T1 not in FLOATS else \
        np.array([0.5, 1, 2, 3], T1).reshape(1, 4)
    return [In(a, "T"), In(b, "T1")], [(T, "T")], {}, \
        (lambda x, y: [np.power(x.astype(np.float64), y.astype(np.float64))]) if T == np.float64 else None


@recipe("Max", "Min", "Sum", "Mean")
def variadic_recipe(c, v, T):
    shapes = [(2, 3, 4), (3, 1), (4,)] if v >= 8 else [(2, 3, 4)] * 3
    xs = [c.r(T, s) for s in shapes]
    return [In(x, "T") for x in xs], [(T, "T")], {}, \
        (lambda *a: [sum(np.asarray(v, np.float64) for v in a) / len(a)]) \
        if c.op == "Mean" and T in FLOATS else None


@recipe("PRelu")
def prelu_recipe(c, v, T):
    x = c.r(T, (2, 3, 4))
    s = c.r(T, (3, 1) if v >= 7 else (3, 4))
    if v < 7:
        s = c.r(T, (2, 3, 4))
    return [In(x, "T"), In(s, "T", True)], [(T, "T")], {}, \
        (lambda a, b: [np.where(a < 0, a.astype(np.float64) * b, a)]) if T in FLOATS else None


@recipe("Where")
def where_recipe(c, v, T):
    cond = c.r(np.bool_, (3, 4))
    return [In(cond, None), In(c.r(T, (2, 3, 4)), "T"), In(c.r(T, (4,)), "T")], [(T, "T")], {}


@recipe("Clip")
def clip_recipe(c, v, T):
    x = c.r(T, (2, 3, 4))
    if v < 11:
        return [In(x, "T")], [(T, "T")], {"min": -1.5, "max": 2.0}
    lo, hi = (np.array(-1.5, T), np.array(2.0, T)) if T in FLOATS else \
        (np.array(-2 if np.issubdtype(T, np.signedinteger) else 1, T), np.array(4, T))
    return [In(x, "T"), In(lo, "T", True), In(hi, "T", True)], [(T, "T")], {}, \
        (lambda a, l, h: [np.minimum(np.maximum(a, l), h)]) if T == np.float64 else None


REDUCE_KIND = {"ReduceLogSum": "pos", "ReduceProd": "small", "ReduceLogSumExp": "small"}


def reduce_inputs(c, v, T, axes, attrs):
    x = c.r(T, (2, 3, 4), REDUCE_KIND.get(c.op, "any"))
    if c.op in ("ReduceLogSumExp",) and T in INTS:
        x = c.r(T, (2, 3, 4), "unit")
    axes_input = v >= 18 or (c.op == "ReduceSum" and v >= 13)
    if axes is None:
        return [In(x, "T")], attrs
    if axes_input:
        return [In(x, "T"), i64(*axes)], attrs
    return [In(x, "T")], dict(attrs, axes=list(axes))


def lse_spec_ref(c, T, axes, keepdims):
    """ReduceLogSumExp on integers by the spec: opset 18's function body computes
    Log(ReduceSum(Exp(Cast<double>(data)))) and CastLikes the result back (truncation
    toward zero); earlier versions state the same formula. ONNX Runtime's integer
    kernel instead accumulates exp(x - max) in the integer type, truncating each term
    (ReduceLogSumExp over {-2..2} gives 3 where the formula gives 4.04 -> 4): inferd
    follows the spec, so integer cases take this reference (SPEC_OVER_ORT_INT)."""
    if c.op != "ReduceLogSumExp" or T not in INTS:
        return None

    def ref(x, *rest):
        ax = None if axes is None or len(axes) == 0 else tuple(axes)
        return [np.log(np.exp(x.astype(np.float64)).sum(axis=ax, keepdims=bool(keepdims)))
                .astype(T)]
    return ref


@recipe("ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean",
        "ReduceMin", "ReduceProd", "ReduceSum", "ReduceSumSquare")
def reduce_recipe(c, v, T):
    ins, attrs = reduce_inputs(c, v, T, (1,), {"keepdims": 1})
    return ins, [(T, "T")], attrs, lse_spec_ref(c, T, (1,), 1)


def reduce_all_recipe(c, v, T):
    ins, attrs = reduce_inputs(c, v, T, None, {"keepdims": 0})
    return ins, [(T, "T")], attrs, lse_spec_ref(c, T, None, 0)


def reduce_noop_recipe(c, v, T):
    """Opset 18: axes input empty, noop_with_empty_axes=1: the input unchanged."""
    x = c.r(T, (2, 3, 4), REDUCE_KIND.get(c.op, "any"))
    return [In(x, "T"), i64()], [(T, "T")], {"noop_with_empty_axes": 1}, lambda x, axes: [x]


def reduce_empty_axes_recipe(c, v, T):
    """Opset 18: axes input empty, noop_with_empty_axes=0: reduce every axis."""
    x = c.r(T, (2, 3, 4), REDUCE_KIND.get(c.op, "any"))
    return [In(x, "T"), i64()], [(T, "T")], {"noop_with_empty_axes": 0, "keepdims": 1}, \
        lse_spec_ref(c, T, None, 1)


@recipe("ArgMax", "ArgMin")
def arg_recipe(c, v, T):
    x = c.r.perm(T, (3, 4, 5)) if T != np.int8 and T != np.uint8 else c.r.perm(T, (3, 4, 5))
    attrs = {"axis": 1, "keepdims": 1}
    if v >= 12:
        attrs["select_last_index"] = 0
    return [In(x, "T")], [(np.int64, None)], attrs


@recipe("CumSum")
def cumsum_recipe(c, v, T):
    x = c.r(T, (3, 4), "pos" if T in INTS else "any")
    return [In(x, "T"), In(np.array(1, np.int32), None, True)], [(T, "T")], {"exclusive": 1}


@recipe("TopK")
def topk_recipe(c, v, T):
    x = c.r.perm(T, (3, 5))
    if v < 10:
        return [In(x, "T")], [(T, "T"), (np.int64, None)], {"k": 2}
    return [In(x, "T"), i64(2)], [(T, "T"), (np.int64, None)], \
        {"largest": 1, "sorted": 1} if v >= 11 else {}


def hardmax_np(x, axis, v):
    """Hardmax: 1 at the first maximum along axis (opset 13), or over the flattened
    dims from axis on (before)."""
    shape = x.shape
    if v < 13:
        x = x.reshape(int(np.prod(shape[:axis])), -1)
        axis = 1
    y = np.zeros(x.shape)
    np.put_along_axis(y, np.expand_dims(np.argmax(x, axis=axis), axis), 1.0, axis=axis)
    return y.reshape(shape)


@recipe("Softmax", "LogSoftmax", "Hardmax")
def softmax_recipe(c, v, T):
    x = c.r.perm(T, (2, 3, 4))
    axis = 1 if v < 13 else -1
    return [In(x, "T")], [(T, "T")], {"axis": axis}, \
        (lambda a: [hardmax_np(a, axis, v)]) if c.op == "Hardmax" else None


@recipe("MatMul")
def matmul_recipe(c, v, T):
    return [In(c.r(T, (2, 3, 4)), "T"), In(c.r(T, (4, 5)), "T", True)], [(T, "T")], {}


@recipe("Gemm")
def gemm_recipe(c, v, T):
    a, b = c.r(T, (4, 3)), c.r(T, (5, 4))
    bias = c.r(T, (5,) if v >= 7 else (3, 5))
    attrs = {"transA": 1, "transB": 1}
    if T in FLOATS:
        attrs.update(alpha=0.5, beta=2.0)
    return [In(a, "T"), In(b, "T", True), In(bias, "T", True)], [(T, "T")], attrs


@recipe("Einsum")
def einsum_recipe(c, v, T):
    return [In(c.r(T, (2, 3, 4)), "T"), In(c.r(T, (2, 4, 5)), "T")], [(T, "T")], \
        {"equation": "bij,bjk->bik"}


def conv_np(x, w, b, pads, strides, group):
    """Conv by its definition (NCHW cross-correlation), float64."""
    x = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    n, cin, h, wd = x.shape
    m, cg, kh, kw = w.shape
    oh, ow = (h - kh) // strides[0] + 1, (wd - kw) // strides[1] + 1
    y = np.zeros((n, m, oh, ow)) + b.astype(np.float64)[None, :, None, None]
    mg = m // group
    for o in range(m):
        g = o // mg
        for i in range(oh):
            for j in range(ow):
                patch = x[:, g * cg:(g + 1) * cg, i * strides[0]:i * strides[0] + kh,
                          j * strides[1]:j * strides[1] + kw]
                y[:, o, i, j] += np.einsum("nchw,chw->n", patch, w[o].astype(np.float64))
    return y


def conv_transpose_np(x, w, b, pads, strides):
    """ConvTranspose (group 1) by its definition: each input scatters W into the full
    output, then the pads are cut off; float64."""
    n, cin, h, wd = x.shape
    _, m, kh, kw = w.shape
    fh, fw = (h - 1) * strides[0] + kh, (wd - 1) * strides[1] + kw
    full = np.zeros((n, m, fh, fw))
    for i in range(h):
        for j in range(wd):
            full[:, :, i * strides[0]:i * strides[0] + kh, j * strides[1]:j * strides[1] + kw] += \
                np.einsum("nc,cmhw->nmhw", x[:, :, i, j].astype(np.float64), w.astype(np.float64))
    y = full[:, :, pads[0]:fh - pads[2], pads[1]:fw - pads[3]]
    return y + b.astype(np.float64)[None, :, None, None]


@recipe("Conv")
def conv_recipe(c, v, T):
    x, w, b = c.r(T, (1, 4, 6, 7)), c.r(T, (6, 2, 3, 3)), c.r(T, (6,))
    return [In(x, "T"), In(w, "T", True), In(b, "T", True)], [(T, "T")], \
        {"pads": [1, 0, 1, 2], "strides": [1, 2], "group": 2}, \
        lambda a, ww, bb: [conv_np(a, ww, bb, [1, 0, 1, 2], [1, 2], 2)]


@recipe("ConvTranspose")
def convt_recipe(c, v, T):
    x, w, b = c.r(T, (1, 4, 5, 5)), c.r(T, (4, 3, 3, 3)), c.r(T, (3,))
    return [In(x, "T"), In(w, "T", True), In(b, "T", True)], [(T, "T")], \
        {"strides": [2, 1], "pads": [1, 1, 0, 1]}, \
        lambda a, ww, bb: [conv_transpose_np(a, ww, bb, [1, 1, 0, 1], [2, 1])]


def pool_np(x, op, kernel, strides, pads, p=2):
    """AveragePool (count_include_pad 0), MaxPool and LpPool by their definitions, float64;
    the padding takes no part (LpPool's pads add zeros, which add nothing to the sum)."""
    n, ch, h, w = x.shape
    xd = x.astype(np.float64)
    oh = (h + pads[0] + pads[2] - kernel[0]) // strides[0] + 1
    ow = (w + pads[1] + pads[3] - kernel[1]) // strides[1] + 1
    y = np.zeros((n, ch, oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * strides[0] - pads[0], j * strides[1] - pads[1]
            win = xd[:, :, max(h0, 0):min(h0 + kernel[0], h), max(w0, 0):min(w0 + kernel[1], w)]
            if op == "AveragePool":
                y[:, :, i, j] = win.mean(axis=(2, 3))
            elif op == "MaxPool":
                y[:, :, i, j] = win.max(axis=(2, 3))
            else:
                y[:, :, i, j] = (np.abs(win) ** p).sum(axis=(2, 3)) ** (1.0 / p)
    return y


@recipe("AveragePool", "MaxPool", "LpPool")
def pool_recipe(c, v, T):
    x = c.r(T, (1, 2, 6, 7))
    attrs = {"kernel_shape": [3, 2], "strides": [2, 1], "pads": [1, 0, 1, 1]}
    if c.op == "AveragePool" and v >= 7:
        attrs["count_include_pad"] = 0
    if c.op == "LpPool":
        attrs["p"] = 2
    outs = [(T, "T")]
    ref = None
    if c.op in ("AveragePool", "LpPool", "MaxPool") and T in FLOATS and \
            (c.op != "AveragePool" or v >= 7):
        ref = lambda a: [pool_np(a, c.op, [3, 2], [2, 1], [1, 0, 1, 1])]
    return [In(x, "T")], outs, attrs, ref


@recipe("GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool")
def gpool_recipe(c, v, T):
    ref = {"GlobalAveragePool": lambda a: [a.astype(np.float64).mean(axis=(2, 3), keepdims=True)],
           "GlobalMaxPool": lambda a: [a.max(axis=(2, 3), keepdims=True)],
           "GlobalLpPool": lambda a: [(np.abs(a.astype(np.float64)) ** 3).sum(
               axis=(2, 3), keepdims=True) ** (1 / 3)]}[c.op]
    return [In(c.r(T, (2, 3, 4, 5)), "T")], [(T, "T")], \
        {"p": 3} if c.op == "GlobalLpPool" else {}, ref if T in FLOATS else None


@recipe("LpNormalization", "MeanVarianceNormalization", "LRN")
def norm1_recipe(c, v, T):
    attrs = {"LpNormalization": {"axis": 1, "p": 2}, "MeanVarianceNormalization": {},
             "LRN": {"size": 3, "alpha": 0.01, "beta": 0.6, "bias": 2.0}}[c.op]
    return [In(c.r(T, (2, 3, 4, 5)), "T")], [(T, "T")], attrs, \
        (lambda a: [NORM1_NP[c.op](a.astype(np.float64))]) if T in FLOATS else None


def lrn_np(x, size=3, alpha=0.01, beta=0.6, bias=2.0):
    """LRN: the square sum over channels c - floor((size-1)/2) .. c + ceil((size-1)/2)."""
    alpha, beta, bias = (float(np.float32(v)) for v in (alpha, beta, bias))
    sq = np.zeros_like(x)
    lo, hi = (size - 1) // 2, -(-(size - 1) // 2)
    for ch in range(x.shape[1]):
        sq[:, ch] = (x[:, max(ch - lo, 0):min(ch + hi, x.shape[1] - 1) + 1] ** 2).sum(axis=1)
    return x / (bias + alpha / size * sq) ** beta


def mvn_np(x):
    """MeanVarianceNormalization over axes (0, 2, 3): (x - mean) / (std + 1e-9)."""
    d = x - x.mean(axis=(0, 2, 3), keepdims=True)
    return d / (np.sqrt((d ** 2).mean(axis=(0, 2, 3), keepdims=True)) + 1e-9)


NORM1_NP = {
    "LpNormalization": lambda x: x / np.sqrt((x ** 2).sum(axis=1, keepdims=True)),
    "MeanVarianceNormalization": mvn_np,
    "LRN": lrn_np,
}


@recipe("InstanceNormalization")
def instnorm_recipe(c, v, T):
    def ref(x, s_, b_):
        x = x.astype(np.float64)
        m = x.mean(axis=(2, 3), keepdims=True)
        var = ((x - m) ** 2).mean(axis=(2, 3), keepdims=True)
        return [(x - m) / np.sqrt(var + np.float64(np.float32(1e-3))) * s_[:, None, None] +
                b_[:, None, None]]
    return [In(c.r(T, (2, 3, 4, 5)), "T"), In(c.r(T, (3,)), "T", True),
            In(c.r(T, (3,)), "T", True)], [(T, "T")], {"epsilon": 1e-3}, \
        ref if T in FLOATS else None


@recipe("BatchNormalization", vary=("T",))
def batchnorm_recipe(c, v, T):
    x = c.r(T, (2, 3, 4, 5))
    params = [In(c.r(T, (3,)), "T", True), In(c.r(T, (3,)), "T", True),
              In(c.r(T, (3,)), "T", True), In(c.r(T, (3,), "pos"), "T", True)]
    attrs = {"epsilon": 1e-3}
    if v < 7:
        attrs["is_test"] = 1
    return [In(x, "T")] + params, [(T, "T")], attrs


@recipe("LayerNormalization", vary=("T",))
def layernorm_recipe(c, v, T):
    return [In(c.r(T, (2, 3, 4)), "T"), In(c.r(T, (4,)), "T", True), In(c.r(T, (4,)), "T", True)], \
        [(T, "T")], {"axis": -1, "epsilon": 1e-3}


@recipe("GroupNormalization")
def groupnorm_recipe(c, v, T, stash=None):
    """Opset 21's stash_type is stage one's precision (float by default, whatever T):
    double X asks for double (11) here so that double computation is checked; the
    "stash_type 1" case checks the default at a float tolerance (FLOAT_STAGE)."""
    n = 2 if v < 21 else 4
    attrs = {"num_groups": 2, "epsilon": 1e-3}
    if v >= 21 and T == np.float64:
        attrs["stash_type"] = stash or TensorProto.DOUBLE
    return [In(c.r(T, (2, 4, 3, 2)), "T"), In(c.r(T, (n,)), "T", True),
            In(c.r(T, (n,)), "T", True)], [(T, "T")], attrs


def groupnorm_stash1_recipe(c, v, T):
    return groupnorm_recipe(c, v, T, stash=TensorProto.FLOAT)


@recipe("Gelu")
def gelu_recipe(c, v, T):
    return [In(c.r(T, (2, 3, 4)), "T")], [(T, "T")], {"approximate": "tanh"}, \
        lambda x: [0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))]


@recipe("Det")
def det_recipe(c, v, T):
    return [In(c.r(T, (2, 3, 3)), "T")], [(T, "T")], {}, \
        (lambda x: [np.linalg.det(x)]) if T == np.float64 else None


@recipe("Dropout")
def dropout_recipe(c, v, T):
    x = c.r(T, (2, 3, 4))
    return [In(x, "T")], [(T, "T")], {"is_test": 1} if v < 7 else {}


@recipe("Trilu")
def trilu_recipe(c, v, T):
    return [In(c.r(T, (2, 4, 5)), "T"), In(np.array(1, np.int64), None, True)], [(T, "T")], \
        {"upper": 0}


@recipe("EyeLike", vary=("T1", "T2"))
def eyelike_recipe(c, v, T1=np.float32, T2=np.float32):
    return [In(c.r(T1, (3, 5)), "T1")], [(T2, "T2")], {"dtype": NP_TO_ONNX[T2], "k": 1}


@recipe("OneHot", vary=("T1", "T2", "T3"))
def onehot_recipe(c, v, T1=np.int64, T2=np.int64, T3=np.float32):
    idx = np.array([[0, 2], [1, -1], [3, 0]]).astype(T1) if np.issubdtype(T1, np.signedinteger) \
        or T1 in FLOATS else np.array([[0, 2], [1, 4], [3, 0]]).astype(T1)
    depth = np.array(4, T2)
    values = np.array([0, 1], T3) if T3 == np.bool_ else np.array([2, 5], T3)
    return [In(idx, "T1"), In(depth, "T2", True), In(values, "T3", True)], [(T3, "T3")], {"axis": -1}


@recipe("Range")
def range_recipe(c, v, T):
    start, limit, delta = (np.array(x, T) for x in ((1, 10, 2) if T in INTS else (1.5, 7.0, 0.75)))
    return [In(start, "T", True), In(limit, "T", True), In(delta, "T", True)], [(T, "T")], {}


@recipe("NonZero")
def nonzero_recipe(c, v, T):
    return [In(c.r(T, (3, 4), "unit"), "T")], [(np.int64, None)], {}


@recipe("Unique")
def unique_recipe(c, v, T):
    x = c.r(T, (8,), "small")
    return [In(x, "T")], [(T, "T"), (np.int64, None), (np.int64, None), (np.int64, None)], \
        {"sorted": 1}


@recipe("Compress")
def compress_recipe(c, v, T):
    return [In(c.r(T, (3, 4)), "T"), In(np.array([1, 0, 1], np.bool_), None, True)], [(T, "T")], \
        {"axis": 0}


@recipe("Gather", "GatherElements", vary=("T", "Tind"))
def gather_recipe(c, v, T=np.float32, Tind=np.int64):
    x = c.r(T, (3, 4))
    idx = np.array([[0, 2], [1, -1]] if c.op == "Gather" else [[0, 2, 1, 2], [1, 0, 2, 0]], Tind)
    return [In(x, "T"), In(idx, "Tind", True)], [(T, "T")], {"axis": 0}


@recipe("GatherND")
def gathernd_recipe(c, v, T):
    return [In(c.r(T, (3, 4, 2)), "T"), In(np.array([[0, 1], [2, 3]], np.int64), None, True)], \
        [(T, "T")], {}


@recipe("Scatter", "ScatterElements", vary=("T", "Tind"))
def scatter_recipe(c, v, T=np.float32, Tind=np.int64):
    x, upd = c.r(T, (3, 4)), c.r(T, (2, 4))
    idx = np.array([[0, 2, 1, 1], [2, 0, 0, 2]], Tind)
    return [In(x, "T"), In(idx, "Tind", True), In(upd, "T", True)], [(T, "T")], {"axis": 0}


@recipe("ScatterND")
def scatternd_recipe(c, v, T):
    return [In(c.r(T, (4, 3)), "T"), In(np.array([[1], [3]], np.int64), None, True),
            In(c.r(T, (2, 3)), "T", True)], [(T, "T")], {}


@recipe("Slice", vary=("T", "Tind"))
def slice_recipe(c, v, T=np.float32, Tind=np.int64):
    x = c.r(T, (3, 5, 4))
    if v < 10:
        return [In(x, "T")], [(T, "T")], {"starts": [1, -4], "ends": [3, 100], "axes": [0, 1]}
    vals = [np.array(a, Tind) for a in ([1, -4], [3, 100], [0, 1], [1, 2])]
    return [In(x, "T")] + [In(a, "Tind", True) for a in vals], [(T, "T")], {}


@recipe("Split")
def split_recipe(c, v, T):
    x = c.r(T, (2, 5))
    if v >= 18:
        return [In(x, "T")], [(T, "T")] * 2, {"axis": 1, "num_outputs": 2}
    if v >= 13:
        return [In(x, "T"), i64(2, 3)], [(T, "T")] * 2, {"axis": 1}
    return [In(x, "T")], [(T, "T")] * 2, {"axis": 1, "split": [2, 3]}


@recipe("Concat")
def concat_recipe(c, v, T):
    return [In(c.r(T, (2, 3)), "T"), In(c.r(T, (2, 1)), "T")], [(T, "T")], {"axis": 1}


@recipe("Squeeze", "Unsqueeze")
def squeeze_recipe(c, v, T):
    x = c.r(T, (2, 1, 3))
    axes = [1] if c.op == "Squeeze" else [0, -1]
    if v >= 13:
        return [In(x, "T"), i64(*axes)], [(T, "T")], {}
    return [In(x, "T")], [(T, "T")], {"axes": [a if a >= 0 else 3 for a in axes]
                                       if c.op == "Unsqueeze" else axes}


@recipe("Flatten")
def flatten_recipe(c, v, T):
    return [In(c.r(T, (2, 3, 4)), "T")], [(T, "T")], {"axis": 2}


@recipe("Reshape")
def reshape_recipe(c, v, T):
    x = c.r(T, (2, 3, 4))
    if v < 5:
        return [In(x, "T")], [(T, "T")], {"shape": [4, -1]}
    return [In(x, "T"), i64(4, -1)], [(T, "T")], {}


@recipe("Transpose")
def transpose_recipe(c, v, T):
    return [In(c.r(T, (2, 3, 4)), "T")], [(T, "T")], {"perm": [2, 0, 1]}


@recipe("Tile")
def tile_recipe(c, v, T):
    return [In(c.r(T, (2, 3)), "T"), i64(2, 1)], [(T, "T")], {}


@recipe("Expand")
def expand_recipe(c, v, T):
    return [In(c.r(T, (3, 1)), "T"), i64(2, 3, 4)], [(T, "T")], {}


def pad_case(c, v, T, mode):
    x = c.r(T, (2, 3, 4))
    if v < 11:
        return [In(x, "T")], [(T, "T")], {"mode": mode, "pads": [0, 1, 0, 1, 0, 2]}
    ins = [In(x, "T"), i64(0, 1, 0, 1, 0, 2)]
    if mode == "constant":
        ins.append(In(np.array(1 if T != np.bool_ else True, T), "T", True))
    return ins, [(T, "T")], {"mode": mode}


@recipe("Pad")
def pad_recipe(c, v, T):
    return pad_case(c, v, T, "constant")


@recipe("DepthToSpace", "SpaceToDepth")
def d2s_recipe(c, v, T):
    shape = (1, 8, 2, 3) if c.op == "DepthToSpace" else (1, 2, 4, 6)
    return [In(c.r(T, shape), "T")], [(T, "T")], {"blocksize": 2}


@recipe("ReverseSequence")
def revseq_recipe(c, v, T):
    return [In(c.r(T, (4, 3, 2)), "T"), i64(4, 1, 3)], [(T, "T")], \
        {"time_axis": 0, "batch_axis": 1}


def resize_nearest_np(x, scales, legacy):
    """Resize nearest by the spec for the recipes' scales: half_pixel coordinates with
    round_prefer_floor (opset 11+), or asymmetric with floor when enlarging (Upsample,
    Resize-10); data movement, so exact in any type."""
    y = x
    for axis, sc in enumerate(scales):
        n_in = x.shape[axis]
        n_out = int(np.floor(n_in * sc))
        o = np.arange(n_out, dtype=np.float64)
        if legacy:
            idx = np.floor(o / sc)
        else:
            src = (o + 0.5) / sc - 0.5
            idx = np.where(src - np.floor(src) == 0.5, np.floor(src), np.round(src))
        y = np.take(y, np.clip(idx.astype(np.int64), 0, n_in - 1), axis=axis)
    return y


@recipe("Resize", vary=("T", "T1"))
def resize_recipe(c, v, T=None, T1=None):
    T = T or T1
    tc = "T" if v < 11 else "T1"
    x = c.r(T, (1, 2, 3, 4))
    scales = np.array([1, 1, 2, 1.5], np.float32)
    ref = (lambda a, *rest: [resize_nearest_np(a, [1, 1, 2, 1.5], v < 11)]) \
        if T == np.float64 else None
    if v < 11:
        return [In(x, tc), In(scales, None, True)], [(T, tc)], {"mode": "nearest"}, ref
    return [In(x, tc), In(None), In(scales, None, True)], [(T, tc)], {"mode": "nearest"}, ref


def resize_interp_np(x, mode, coord, scales, roi=None, **kw):
    """Resize linear or cubic in float64 by onnx 1.12's own numpy reference (the node
    tests' interpolate_nd)."""
    from onnx.backend.test.case.node import resize as onnx_resize
    a = kw.pop("cubic_coeff_a", -0.75)
    coeffs = {"linear": onnx_resize.linear_coeffs,
              "cubic": lambda r: onnx_resize.cubic_coeffs(r, a)}[mode]
    return onnx_resize.interpolate_nd(
        x.astype(np.float64), coeffs, scale_factors=np.array(scales, np.float64),
        roi=None if roi is None else roi.astype(np.float64),
        coordinate_transformation_mode=coord, **kw)


def resize_interp_case(c, v, T, mode, coord=None, T2=None, scales=(1, 1, 1.5, 0.6), **attrs):
    """Resize (or Upsample) in mode linear or cubic; with T2, tf_crop_and_resize with a
    roi of that type. float64 is checked against onnx's numpy reference in double."""
    tc = "T" if v < 11 else "T1"
    x = c.r(T, (1, 2, 4, 5))
    s_in = In(np.array(scales, np.float32), None, True)
    scales = s_in.value.astype(np.float64)  # what the node sees: 0.6 rounded to float
    kw = {k: v_ for k, v_ in attrs.items() if k in ("exclude_outside", "cubic_coeff_a",
                                                   "extrapolation_value")}
    attrs = dict(attrs, mode=mode)
    if coord:
        attrs["coordinate_transformation_mode"] = coord
    roi = np.array([0, 0, -0.1, 0.2, 1, 1, 0.7, 1.3], T2) if T2 else None
    ref = None
    if T == np.float64:
        ref = (lambda a, *rest: [resize_interp_np(a, mode, coord or (
            "asymmetric" if v < 11 else "half_pixel"), scales, roi, **kw)])
    if v < 11:
        return [In(x, tc), s_in], [(T, tc)], attrs, ref
    return [In(x, tc), In(roi, "T2", True) if T2 else In(None), s_in], [(T, tc)], attrs, ref


def resize_linear_recipe(c, v, T=None, T1=None):
    return resize_interp_case(c, v, T or T1, "linear")


def upsample_linear_recipe(c, v, T):
    # Upsample only enlarges (ONNX Runtime refuses scales below 1).
    return resize_interp_case(c, v, T, "linear", scales=(1, 1, 1.5, 2.25))


def resize_cubic_recipe(c, v, T1):
    return resize_interp_case(c, v, T1, "cubic", "asymmetric", exclude_outside=1,
                              cubic_coeff_a=-0.5)


def resize_crop_recipe(c, v, T1=np.float32, T2=np.float32):
    return resize_interp_case(c, v, T1, "linear", "tf_crop_and_resize", T2=T2,
                              extrapolation_value=2.5)


@recipe("Upsample")
def upsample_recipe(c, v, T):
    x = c.r(T, (1, 2, 3, 4))
    ref = (lambda a, *rest: [resize_nearest_np(a, [1, 1, 2, 1.5], True)]) \
        if T == np.float64 else None
    if v < 9:
        return [In(x, "T")], [(T, "T")], {"mode": "nearest", "scales": [1.0, 1.0, 2.0, 1.5]}, ref
    return [In(x, "T"), In(np.array([1, 1, 2, 1.5], np.float32), None, True)], [(T, "T")], \
        {"mode": "nearest"}, ref


@recipe("Shape", "Size")
def shape_recipe(c, v, T):
    return [In(c.r(T, (2, 3, 4)), "T")], [(np.int64, None)], {}


@recipe("Cast", vary=("T1", "T2"), product=True)
def cast_recipe(c, v, T1, T2):
    # Values every target holds exactly or by the spec's rules: small non-negative
    # integers and halves (float to int truncates toward zero).
    if T1 == np.bool_:
        x = c.r(np.bool_, (12,))
    elif T1 in FLOATS:
        x = np.array([0, 1, 2.5, 3.75, 100, 127, 0.5, 7, 0, 1, 42.25, 9], T1)
    else:
        x = np.array([0, 1, 2, 3, 100, 127, 5, 7, 0, 1, 42, 9], T1)
    return [In(x, "T1")], [(T2, "T2")], {"to": NP_TO_ONNX[T2]}


@recipe("CastLike", vary=("T1", "T2"), product=True)
def castlike_recipe(c, v, T1, T2):
    ins, outs, _ = cast_recipe(c, v, T1, T2)
    return ins + [In(np.zeros(1, T2), "T2", True)], outs, {}


@recipe("Constant")
def constant_recipe(c, v, T):
    value = onnx.numpy_helper.from_array(c.r(T, (2, 3)), "value")
    return [], [(T, "T")], {"value": value}


@recipe("ConstantOfShape", vary=("T2",))
def constofshape_recipe(c, v, T2):
    value = onnx.numpy_helper.from_array(np.array([1 if T2 != np.bool_ else True], T2), "value")
    return [i64(2, 3)], [(T2, "T2")], {"value": value}


def grid_sample_np(x, grid, mode):
    """GridSample by the spec (PyTorch's grid_sample), 2-D, align_corners=1, zeros
    padding, in float64: nearest rounds half to even, linear weighs 4 neighbours."""
    n, c, h, w = x.shape
    _, oh, ow, _ = grid.shape
    xd = x.astype(np.float64)
    out = np.zeros((n, c, oh, ow))

    def at(b, yi, xi):
        return xd[b, :, yi, xi] if 0 <= yi < h and 0 <= xi < w else np.zeros(c)
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                gx, gy = (float(v) for v in grid[b, i, j])
                px, py = (gx + 1) / 2 * (w - 1), (gy + 1) / 2 * (h - 1)
                if mode == "nearest":
                    out[b, :, i, j] = at(b, int(np.rint(py)), int(np.rint(px)))
                    continue
                x0, y0 = int(np.floor(px)), int(np.floor(py))
                fx, fy = px - x0, py - y0
                out[b, :, i, j] = (at(b, y0, x0) * (1 - fy) * (1 - fx) +
                                   at(b, y0, x0 + 1) * (1 - fy) * fx +
                                   at(b, y0 + 1, x0) * fy * (1 - fx) +
                                   at(b, y0 + 1, x0 + 1) * fy * fx)
    return out


@recipe("GridSample", vary=("T1", "T2"))
def gridsample_recipe(c, v, T1=np.float32, T2=None):
    T2 = T2 or np.float32
    x = c.r(T1, (1, 2, 3, 4))
    grid = c.r(T2, (1, 2, 3, 2), "unit")
    mode = "nearest" if T1 not in FLOATS else "bilinear" if v < 20 else "linear"
    # numpy where ONNX Runtime has no kernel (integers, bool) or computes in float (double)
    return [In(x, "T1"), In(grid, "T2", True)], [(T1, "T1")], \
        {"mode": mode, "align_corners": 1}, \
        lambda a, g: [grid_sample_np(a, g, "nearest" if mode == "nearest" else "linear")]


@recipe("RoiAlign", vary=("T1",))
def roialign_recipe(c, v, T1):
    x = c.r(T1, (2, 3, 6, 6))
    rois = np.array([[0, 0, 4, 4], [1, 1.5, 5, 3.5]], T1)
    return [In(x, "T1"), In(rois, "T1", True), i64(0, 1)], [(T1, "T1")], \
        {"output_height": 2, "output_width": 3, "sampling_ratio": 2}


def center_crop_pad_np(x, shape):
    """CenterCropPad by the spec: per axis, crop (in - out) // 2 from the start, or pad
    (out - in) // 2 zeros before."""
    out = np.zeros(tuple(int(d) for d in shape), x.dtype)
    src, dst = [], []
    for i, o in zip(x.shape, out.shape):
        if i >= o:
            b = (i - o) // 2
            src.append(slice(b, b + o))
            dst.append(slice(0, o))
        else:
            b = (o - i) // 2
            src.append(slice(0, i))
            dst.append(slice(b, b + i))
    out[tuple(dst)] = x[tuple(src)]
    return out


@recipe("CenterCropPad", vary=("T", "Tind"))
def center_crop_pad_recipe(c, v, T=np.float32, Tind=np.int64):
    x = c.r(T, (3, 4, 5))
    return [In(x, "T"), In(np.array([2, 7, 5], Tind), "Tind", True)], [(T, "T")], {}, \
        lambda a, shape: [center_crop_pad_np(a, shape)]


def max_roi_pool_np(x, rois, pooled, scale):
    """MaxRoiPool (Caffe's, which ONNX describes): corners rounded after scaling, regions
    at least 1 wide, bin h spans floor(h * bin) to ceil((h + 1) * bin) from the corner,
    clipped to the image; an empty bin gives 0."""
    n, c, hh, ww = x.shape
    ph, pw = pooled
    out = np.zeros((len(rois), c, ph, pw))
    for r, roi in enumerate(rois):
        b = int(roi[0])
        x1, y1, x2, y2 = (int(np.round(float(v) * scale)) for v in roi[1:])
        bh, bw = max(y2 - y1 + 1, 1) / ph, max(x2 - x1 + 1, 1) / pw
        for i in range(ph):
            for j in range(pw):
                h0 = min(max(int(np.floor(i * bh)) + y1, 0), hh)
                h1 = min(max(int(np.ceil((i + 1) * bh)) + y1, 0), hh)
                w0 = min(max(int(np.floor(j * bw)) + x1, 0), ww)
                w1 = min(max(int(np.ceil((j + 1) * bw)) + x1, 0), ww)
                if h1 > h0 and w1 > w0:
                    out[r, :, i, j] = x[b, :, h0:h1, w0:w1].astype(np.float64).max(axis=(1, 2))
    return out


@recipe("MaxRoiPool")
def max_roi_pool_recipe(c, v, T):
    x = c.r(T, (2, 2, 6, 7))
    rois = np.array([[0, 0, 0, 3, 3], [1, 1, 2, 6, 5], [0, 2, 1, 4, 5]], T)
    return [In(x, "T"), In(rois, "T", True)], [(T, "T")], \
        {"pooled_shape": [2, 3], "spatial_scale": 1.0}, \
        lambda a, r: [max_roi_pool_np(a, r, (2, 3), 1.0)]


@recipe("MaxUnpool", vary=("T1",))
def maxunpool_recipe(c, v, T1):
    x = c.r(T1, (1, 1, 2, 2))
    return [In(x, "T1"), In(np.array([[[[5, 7], [13, 15]]]], np.int64), None, True)], \
        [(T1, "T1")], {"kernel_shape": [2, 2], "strides": [2, 2]}


@recipe("NegativeLogLikelihoodLoss", vary=("T", "Tind"))
def nll_recipe(c, v, T=np.float32, Tind=np.int64):
    return [In(c.r(T, (3, 5)), "T"), In(np.array([0, 4, 2], Tind), "Tind", True),
            In(c.r(T, (5,), "pos"), "T", True)], [(T, "T")], {"reduction": "mean"}


@recipe("SoftmaxCrossEntropyLoss", vary=("T", "Tind"))
def sce_recipe(c, v, T=np.float32, Tind=np.int64):
    return [In(c.r(T, (3, 5)), "T"), In(np.array([0, 4, 2], Tind), "Tind", True)], \
        [(T, "T"), (T, "T")], {"reduction": "mean"}


@recipe("DFT", vary=("T1",))
def dft_recipe(c, v, T1):
    if v >= 20:
        return [In(c.r(T1, (2, 8, 1)), "T1"), In(None), In(np.array(1, np.int64), None, True)], \
            [(T1, "T1")], {}
    return [In(c.r(T1, (2, 8, 1)), "T1")], [(T1, "T1")], {"axis": 1}


@recipe("STFT", vary=("T1",))
def stft_recipe(c, v, T1):
    return [In(c.r(T1, (1, 16, 1)), "T1"), In(np.array(4, np.int64), None, True),
            In(np.hanning(8).astype(T1), "T1", True)], [(T1, "T1")], {}


@recipe("HannWindow", "HammingWindow", "BlackmanWindow", vary=("T2",))
def window_recipe(c, v, T2):
    a0, a1, a2 = {"HannWindow": (0.5, 0.5, 0.0), "HammingWindow": (25 / 46, 21 / 46, 0.0),
                  "BlackmanWindow": (0.42, 0.5, 0.08)}[c.op]

    def ref(size):
        x = 2 * np.pi * np.arange(int(size)) / int(size)
        return [(a0 - a1 * np.cos(x) + a2 * np.cos(2 * x)).astype(T2)]
    return [In(np.array(8, np.int64), None, True)], [(T2, "T2")], \
        {"output_datatype": NP_TO_ONNX[T2], "periodic": 1}, ref


@recipe("MelWeightMatrix", vary=("T3",))
def mel_recipe(c, v, T3):
    ins = [In(np.array(x, np.int64), None, True) for x in (4, 16, 8000)] + \
        [In(np.array(x, np.float32), None, True) for x in (100.0, 3000.0)]
    return ins, [(T3, "T3")], {"output_datatype": NP_TO_ONNX[T3]}


@recipe("QuantizeLinear", vary=("T1", "T2"))
def quantize_recipe(c, v, T1=np.float32, T2=np.uint8):
    x = (c.r(T1, (2, 6)) * (40 if T1 in FLOATS else 10)).astype(T1)
    scale = np.array(0.37 if T1 == np.float32 else 2, np.float32) if v < 19 else \
        np.array(0.37, np.float32)
    return [In(x, "T1"), In(scale, None, True), In(np.array(3, T2), "T2", True)], [(T2, "T2")], {}, \
        lambda x, s, z: [saturate(x.astype(np.float64) / float(s) + z, T2)]


@recipe("DequantizeLinear")
def dequantize_recipe(c, v, T):
    x = c.r(T, (2, 6))
    zp = [In(np.array(2, T), "T", True)] if T != np.int32 else []
    return [In(x, "T"), In(np.array(0.5, np.float32), None, True)] + zp, [(np.float32, None)], {}


@recipe("MatMulInteger", vary=("T1", "T2"))
def matmulint_recipe(c, v, T1=np.uint8, T2=np.uint8):
    return [In(c.r(T1, (2, 3)), "T1"), In(c.r(T2, (3, 4)), "T2", True),
            In(np.array(1, T1), "T1", True), In(np.array(2, T2), "T2", True)], \
        [(np.int32, None)], {}


@recipe("ConvInteger", vary=("T1", "T2"))
def convint_recipe(c, v, T1=np.uint8, T2=np.uint8):
    return [In(c.r(T1, (1, 2, 4, 4)), "T1"), In(c.r(T2, (3, 2, 3, 3)), "T2", True),
            In(np.array(1, T1), "T1", True), In(np.array(2, T2), "T2", True)], \
        [(np.int32, None)], {"pads": [1, 1, 1, 1]}


def saturate(v, dt):
    info = np.iinfo(dt)
    return np.clip(np.round(v), info.min, info.max).astype(dt)


def conv2d_np(x, w, pads):
    """NCHW cross-correlation, stride 1, in float64 (references only)."""
    x = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    n, c, h, wd = x.shape
    m, _, kh, kw = w.shape
    out = np.zeros((n, m, h - kh + 1, wd - kw + 1))
    for i in range(kh):
        for j in range(kw):
            out += np.einsum("nchw,mc->nmhw", x[:, :, i:i + out.shape[2], j:j + out.shape[3]],
                             w[:, :, i, j].astype(np.float64))
    return out


@recipe("QLinearMatMul", vary=("T1", "T2", "T3"))
def qlinmatmul_recipe(c, v, T1=np.uint8, T2=np.uint8, T3=np.uint8):
    f = lambda x: In(np.array(x, np.float32), None, True)
    # Scales whose products never land on a rounding tie.
    return [In(c.r(T1, (2, 3)), "T1"), f(0.37), In(np.array(1, T1), "T1", True),
            In(c.r(T2, (3, 4)), "T2", True), f(0.29), In(np.array(2, T2), "T2", True),
            f(0.53), In(np.array(3, T3), "T3", True)], [(T3, "T3")], {}, \
        lambda a, as_, az, b, bs, bz, ys, yz: [saturate(
            (a.astype(np.float64) - az) @ (b.astype(np.float64) - bz) *
            (float(as_) * float(bs) / float(ys)) + yz, T3)]


@recipe("QLinearConv", vary=("T1", "T2", "T3"))
def qlinconv_recipe(c, v, T1=np.uint8, T2=np.uint8, T3=np.uint8):
    f = lambda x: In(np.array(x, np.float32), None, True)
    return [In(c.r(T1, (1, 2, 4, 4)), "T1"), f(0.37), In(np.array(1, T1), "T1", True),
            In(c.r(T2, (3, 2, 3, 3)), "T2", True), f(0.29), In(np.array(2, T2), "T2", True),
            f(0.53), In(np.array(3, T3), "T3", True)], [(T3, "T3")], {"pads": [1, 1, 1, 1]}, \
        lambda x, xs, xz, w, ws, wz, ys, yz: [saturate(
            conv2d_np(x.astype(np.float64) - xz, w.astype(np.float64) - wz, [1, 1, 1, 1]) *
            (float(xs) * float(ws) / float(ys)) + yz, T3)]


@recipe("DynamicQuantizeLinear", vary=("T1",))
def dynq_recipe(c, v, T1):
    return [In(c.r(T1, (3, 4)), "T1")], [(np.uint8, None), (np.float32, None), (np.uint8, None)], {}


@recipe("TfIdfVectorizer")
def tfidf_recipe(c, v, T):
    x = np.array([[1, 1, 3, 3, 3, 7], [8, 6, 7, 5, 6, 8]], T)
    return [In(x, "T")], [(np.float32, None)], dict(
        mode="TF", min_gram_length=1, max_gram_length=2, max_skip_count=1, ngram_counts=[0, 4],
        ngram_indexes=[0, 1, 2, 3, 4, 5, 6], pool_int64s=[2, 3, 5, 4, 5, 6, 7, 8, 6, 7])


@recipe("NonMaxSuppression", vary=())
def nms_recipe(c, v):
    boxes = np.array([[[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, 10, 1, 11]]], np.float32)
    scores = np.array([[[0.9, 0.75, 0.6]]], np.float32)
    return [In(boxes), In(scores, None, True), i64(3)], [(np.int64, None)], {}


@recipe("RNN", "GRU", "LSTM")
def rnn_recipe(c, v, T):
    gates = {"RNN": 1, "GRU": 3, "LSTM": 4}[c.op]
    h = 3
    ins = [In(c.r(T, (2, 1, 2), "unit"), "T"), In(c.r(T, (1, gates * h, 2), "unit"), "T", True),
           In(c.r(T, (1, gates * h, h), "unit"), "T", True)]

    def ref(x, w, r):  # the spec's equations in float64 (test_rnn_ort.reference)
        import test_rnn_ort
        return test_rnn_ort.reference(c.op, {"X": x, "W": w, "R": r}, {"hidden_size": h}, 1)[:1]
    return ins, [(T, "T")], {"hidden_size": h}, ref if T in FLOATS else None


@recipe("Col2Im")
def col2im_recipe(c, v, T):
    def ref(x, image, block):  # stride 1, no pads or dilation: add each block back
        n, ck, _ = x.shape
        bh, bw = (int(b) for b in block)
        ih, iw = (int(d) for d in image)
        bl_w = iw - bw + 1
        y = np.zeros((n, ck // (bh * bw), ih, iw))
        cols = x.astype(np.float64).reshape(n, -1, bh, bw, x.shape[2])
        for l in range(x.shape[2]):
            i, j = divmod(l, bl_w)
            y[:, :, i:i + bh, j:j + bw] += cols[..., l]
        return [y]
    return [In(c.r(T, (1, 2 * 4, 16)), "T"), i64(5, 5), i64(2, 2)], [(T, "T")], {}, ref


def random_recipe(c, v, T=None, T1=None, T2=None):
    if c.op in ("RandomNormal", "RandomUniform"):
        return [], [(T, "T")], {"shape": [2, 3], "dtype": NP_TO_ONNX[T]}
    if c.op in ("RandomNormalLike", "RandomUniformLike"):
        T1, T2 = T1 or np.float32, T2 or np.float32
        return [In(c.r(T1, (2, 3)), "T1")], [(T2, "T2")], {"dtype": NP_TO_ONNX[T2]}
    if c.op == "Bernoulli":
        T1, T2 = T1 or np.float32, T2 or np.float32
        return [In(c.r(T1, (2, 3), "unit") * 0 + np.asarray(0.5, T1), "T1")], [(T2, "T2")], \
            {"dtype": NP_TO_ONNX[T2]}
    T1, T2 = T1 or np.float32, T2 or np.int32  # Multinomial
    return [In(c.r(T1, (2, 3)), "T1")], [(T2, "T2")], {"dtype": NP_TO_ONNX[T2], "sample_size": 4}


for _op, _vary in (("RandomNormal", ("T",)), ("RandomUniform", ("T",)),
                   ("RandomNormalLike", ("T1", "T2")), ("RandomUniformLike", ("T1", "T2")),
                   ("Bernoulli", ("T1", "T2")), ("Multinomial", ("T1", "T2"))):
    RECIPES[_op] = (random_recipe, _vary, False)
RANDOM_OPS = {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
              "Bernoulli", "Multinomial"}


def control_recipe(c, v, V=None, I=None, B=None):
    """If, Loop and Scan whose subgraphs pass a value of type V through (outer scope, loop
    carried, scan input)."""
    dt = V or np.float32
    vi = helper.make_tensor_value_info
    t = NP_TO_ONNX[dt]
    x = c.r(dt, (2, 3))
    if c.op == "If":
        def nodes(ins, outs):
            then_g = helper.make_graph([helper.make_node("Identity", [ins[1]], ["t"])], "then", [],
                                       [vi("t", t, None)])
            else_g = helper.make_graph([helper.make_node("Identity", [ins[2]], ["e"])], "else", [],
                                       [vi("e", t, None)])
            return [helper.make_node("If", [ins[0]], outs, then_branch=then_g, else_branch=else_g)]
        return [In(np.array(True)), In(x, "V"), In(c.r(dt, (2, 3)), "V")], [(dt, "V")], {}, \
            None, nodes
    if c.op == "Loop":
        def nodes(ins, outs):
            body = helper.make_graph(
                [helper.make_node("Identity", ["c"], ["c2"]), helper.make_node("Identity", ["a"], ["a2"]),
                 helper.make_node("Identity", ["a"], ["s"])], "body",
                [vi("i", TensorProto.INT64, []), vi("c", TensorProto.BOOL, []), vi("a", t, None)],
                [vi("c2", TensorProto.BOOL, []), vi("a2", t, None), vi("s", t, None)])
            return [helper.make_node("Loop", [ins[0], "", ins[1]], outs, body=body)]
        return [In(np.array(3, np.int64), None, True), In(x, "V")], [(dt, "V"), (dt, "V")], {}, \
            None, nodes

    def nodes(ins, outs):  # Scan
        body = helper.make_graph(
            [helper.make_node("Identity", ["s"], ["s2"]), helper.make_node("Identity", ["x"], ["o"])],
            "sbody", [vi("s", t, [3]), vi("x", t, [3])], [vi("s2", t, [3]), vi("o", t, [3])])
        if v < 9:
            return [helper.make_node("Scan", ["", ins[0], ins[1]], outs, body=body,
                                     num_scan_inputs=1)]
        return [helper.make_node("Scan", ins, outs, body=body, num_scan_inputs=1)]
    s0, xs = c.r(dt, (3,)), c.r(dt, (2, 3))
    if v < 9:
        s0, xs = s0[None], xs[None]
    return [In(s0, "V"), In(xs, "V")], [(dt, "V"), (dt, "V")], {}, None, nodes


for _op in ("If", "Loop", "Scan"):
    RECIPES[_op] = (control_recipe, ("V",), False)


# Extra cases beyond one per (op, dtype): other modes and attributes whose kernels
# take other paths. (op, name, recipe, opsets, vary[, only these dtypes])
EXTRA_CASES = [
    ("Mod", "fmod 1", mod_fmod_recipe, None, ("T",)),
    ("ReduceSum", "all axes keepdims 0", reduce_all_recipe, None, ("T",)),
    ("ReduceProd", "all axes keepdims 0", reduce_all_recipe, None, ("T",)),
    ("ReduceMax", "all axes keepdims 0", reduce_all_recipe, None, ("T",)),
    ("ReduceMean", "all axes keepdims 0", reduce_all_recipe, None, ("T",)),
    ("Pad", "reflect", lambda c, v, T: pad_case(c, v, T, "reflect"), None, ("T",)),
    ("Pad", "edge", lambda c, v, T: pad_case(c, v, T, "edge"), None, ("T",)),
    ("GroupNormalization", "stash_type 1", groupnorm_stash1_recipe, (21,), ("T",)),
    ("Resize", "linear", resize_linear_recipe, None, ("T", "T1"), FLOATS),
    ("Upsample", "linear", upsample_linear_recipe, None, ("T",), FLOATS),
    ("Resize", "cubic exclude_outside", resize_cubic_recipe, (17, 21), ("T1",), FLOATS),
    ("Resize", "linear tf_crop_and_resize", resize_crop_recipe, (17, 21), ("T1", "T2"), FLOATS),
]
# Extra cases whose 6th element lists the only dtypes they run in: the others are
# skipped with this reason.
EXTRA_DTYPES_WHY = {
    "Resize": "linear and cubic on integer types: not implemented (refused by name); "
              "nearest covers them",
    "Upsample": "linear on integer types: not implemented (refused by name); nearest covers "
                "them",
}
# Extra cases whose spec computes a stage in float whatever T is: float64 outputs are
# compared at the float32 tolerance (TOL_F32_REF).
FLOAT_STAGE = {("GroupNormalization", "stash_type 1")}
for _op in ("ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare",
            "ReduceProd", "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin"):
    EXTRA_CASES.append((_op, "empty axes noop_with_empty_axes 1", reduce_noop_recipe, (18,), ("T",)))
    EXTRA_CASES.append((_op, "empty axes noop_with_empty_axes 0", reduce_empty_axes_recipe, (18,),
                        ("T",)))


# --------------------------------------------------------------------------- schemas

def type_spans():
    """op -> [(first opset, last opset, {constraint: [in-scope dtypes]}, deprecated)]."""
    by_op = {}
    for s in defs.get_all_schemas_with_history():
        if s.domain == "":
            by_op.setdefault(s.name, []).append(s)
    spans = {}
    for op, schemas in by_op.items():
        schemas.sort(key=lambda s: s.since_version)
        out = []
        for s in schemas:
            tcs = {t.type_param_str: [TYPE_STR[x] for x in t.allowed_type_strs if x in TYPE_STR]
                   for t in s.type_constraints}
            tcs = {k: sorted(set(v), key=ALL.index) for k, v in tcs.items()}
            if out and out[-1][2] == tcs:
                out[-1][3] = s.deprecated
                continue
            if out:
                out[-1][1] = s.since_version - 1
            out.append([s.since_version, 17, tcs, s.deprecated])
        spans[op] = out
    for op, (since, tcs) in EXTRA_SCHEMAS.items():
        spans[op] = [[since, 21, tcs, False]]
    for op, since, tc, types in LATER_TYPES:
        last = spans[op][-1]
        last[1] = since - 1
        spans[op].append([since, 21, dict(last[2], **{tc: last[2][tc] + types}), False])
    return spans


def test_opsets(op, span, is_last):
    """[(opset, run?)] at which a span is tested: its last one (ONNX Runtime may lack
    kernels for earlier versions), and 21 for the latest span of an op that still
    exists; run False: the info masks only."""
    first, last, _, deprecated = span
    if deprecated:
        # Upsample (deprecated at 10) and Scatter (at 11) at their last live opset.
        return [({"Upsample": 9, "Scatter": 10}[op], True)] if op in ("Upsample", "Scatter") else []
    at = last if not is_last else min(last, 17)
    if op in EXTRA_SCHEMAS:
        at = 21
    out = [(at, at >= ORT_MIN_OPSET)]
    if is_last and at != 21:
        out.append((21, op in CHANGED_18_21))
    return out


def inferd_masks(conformance):
    out = subprocess.run([conformance, "--list-ops"], capture_output=True, text=True, check=True)
    masks = {}
    for line in out.stdout.splitlines():
        f = line.split()
        masks.setdefault(f[0], []).append((int(f[1]), int(f[2]), [int(m, 16) for m in f[3:]]))
    return masks


def static_check(op, opset, tcs, masks):
    """For ops without a recipe: inferd's info masks admit every spec dtype of each input."""
    entry = next((e for e in masks.get(op, []) if e[0] <= opset <= e[1]), None)
    if entry is None:
        return [f"no schema at opset {opset}"]
    schema = defs.get_schema(op, min(opset, 17)) if op not in EXTRA_SCHEMAS else None
    if schema is None:
        return []
    problems = []
    for i, formal in enumerate(schema.inputs):
        mask = entry[2][min(i, len(entry[2]) - 1)] if entry[2] else 0
        for dt in tcs.get(formal.typeStr, []):
            if not mask & (1 << NP_TO_ONNX[dt]):
                problems.append(f"input {i} ({formal.name}) does not admit {dname(dt)}")
    return problems


def skip_reason(op, dtypes):
    for dt in list(dtypes) + ["*"]:
        key = (op, dt if dt == "*" else dname(dt))
        if key in SKIP:
            return SKIP[key]
    return None


def build_case(op, opset, label, f, varied):
    name = f"{op}-{opset} " + " ".join(f"{k}={dname(d)}" for k, d in varied.items()) + \
        (f" {label}" if label else "")
    ctx = Ctx(op, Rng(name))
    got = f(ctx, opset, **varied)
    ins, outs, attrs = got[:3]
    np_ref = got[3] if len(got) > 3 else None
    nodes = got[4] if len(got) > 4 else None
    case = Case(op, opset, name.strip(), ins, outs, attrs, ctx.r, np_ref, op in RANDOM_OPS, nodes)
    case.exact_ref = np_ref is not None and (
        (op in NUMPY_PREFERRED and np.float64 in varied.values()) or
        (op in WINDOW_OPS and np.float32 not in varied.values()) or
        (op in SPEC_OVER_ORT and label and "noop_with_empty_axes 1" in label) or
        (op in SPEC_OVER_ORT_INT and any(d in INTS for d in varied.values())))
    case.varied = dict(varied)
    case.float_stage = (op, label) in FLOAT_STAGE
    return case


def all_cases(masks):
    spans = type_spans()
    cases, static_fail, static_ok, skipped = [], [], 0, []
    for op in sorted(spans):
        if skip_reason(op, []):
            skipped.append((op, skip_reason(op, [])))
            continue
        op_spans = spans[op]
        for k, span in enumerate(op_spans):
            tcs = span[2]
            for opset, run in test_opsets(op, span, k == len(op_spans) - 1):
                if skip_reason(f"{op}-{opset}", []):
                    skipped.append((f"{op}-{opset}", skip_reason(f"{op}-{opset}", [])))
                    continue
                if op not in RECIPES or not run:
                    problems = static_check(op, opset, tcs, masks)
                    if problems:
                        static_fail.append(f"{op}-{opset} ({'no recipe, ' if op not in RECIPES else ''}info masks): " +
                                           "; ".join(problems))
                    else:
                        static_ok += 1
                    continue
                f, vary, product = RECIPES[op]
                jobs = [(None, f, vary, product, None)]
                jobs += [(label, g, gvary, False, e[0] if e else None)
                         for eop, label, g, ops, gvary, *e in EXTRA_CASES
                         if eop == op and (ops is None or opset in ops or
                                           (ops == (18,) and opset == 21))]
                for label, g, gvary, prod, only in jobs:
                    gvary = [t for t in gvary if t in tcs]
                    if prod:
                        combos = [dict(zip(gvary, p)) for p in
                                  itertools.product(*[tcs[t] for t in gvary])]
                    else:
                        combos = [{t: d} for t in gvary for d in tcs[t]] or [{}]
                    for varied in combos:
                        why = skip_reason(op, varied.values())
                        if only and not why and any(d not in only for d in varied.values()):
                            why = EXTRA_DTYPES_WHY[op]
                        if why:
                            skipped.append((f"{op}-{opset} {varied}", why))
                            continue
                        cases.append(build_case(op, opset, label, g, varied))
    return cases, static_fail, static_ok, skipped


# --------------------------------------------------------------------------- running

def write_case(case, d, widen=None):
    os.makedirs(d, exist_ok=True)
    model = case.model(widen)
    with open(os.path.join(d, "model_ort.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    if widen is None:
        with open(os.path.join(d, "model.onnx"), "wb") as f:
            f.write(model.SerializeToString())
    specs = []
    for i, (name, a) in enumerate(case.runtime_inputs()):
        with open(os.path.join(d, f"input_{i}.bin"), "wb") as f:
            f.write(np.ascontiguousarray(a).tobytes())
        with open(os.path.join(d, f"input_{i}.pb"), "wb") as f:
            f.write(onnx.numpy_helper.from_array(a, name).SerializeToString())
        specs.append({"name": name, "type": base.NP_TO_ORT[a.dtype.type], "dims": list(a.shape),
                      "file": f"input_{i}.bin"})
    return {"dir": d, "inputs": specs}


def run_ort(tmp, manifest, env):
    with open(os.path.join(tmp, "cases.json"), "w") as f:
        json.dump(manifest, f)
    subprocess.run(["node", os.path.join(HERE, "ort_run.js"), tmp], check=True, env=env,
                   stderr=subprocess.DEVNULL)


def not_implemented(error):
    """ONNX Runtime has no kernel (or its function body does not type-check) for a
    dtype the spec lists: a widened reference is tried. Recipe mistakes fail the same
    way in every type, so they still show."""
    return error is not None


def run_inferd(conformance, tmp, dirs):
    """All cases through inferd_conformance --run-cases, in two processes."""
    lists = []
    for part in range(2):
        path = os.path.join(tmp, f"inferd_cases_{part}.txt")
        with open(path, "w") as f:
            f.write("".join(d + "\n" for d in dirs[part::2]))
        lists.append(path)
    procs = [subprocess.Popen([conformance, "--run-cases", p]) for p in lists]
    for p in procs:
        if p.wait() != 0:
            raise RuntimeError(f"inferd_conformance --run-cases exited {p.returncode}")


def inferd_outputs(case, d):
    err = os.path.join(d, "inferd_error.txt")
    if os.path.exists(err):
        with open(err) as f:
            return None, f.read().strip()
    outs = []
    for k in range(len(case.outputs)):
        path = os.path.join(d, f"inferd_output_{k}.pb")
        if not os.path.exists(path):
            return None, f"no output {k} (crashed?)"
        outs.append(base.load_pb(path))
    return outs, None


def compare(case, k, want, got, tol):
    dt = case.outputs[k][0]
    if got.dtype != np.dtype(dt):
        return f"dtype {got.dtype}, expected {np.dtype(dt)}"
    if got.shape != want.shape:
        return f"shape {got.shape}, reference {want.shape}"
    if case.random:
        if dt == np.bool_ or case.op == "Bernoulli":
            if not np.all((got == 0) | (got == 1)):
                return "values outside {0, 1}"
        return None
    if np.dtype(dt).kind == "f":
        w = want.astype(np.float64)
        g = got.astype(np.float64)
        nan = np.isnan(w)
        if not np.array_equal(nan, np.isnan(g)):
            return "NaN positions differ"
        w, g = w[~nan], g[~nan]
        scale = float(np.max(np.abs(w[np.isfinite(w)]))) if w.size else 0.0
        inf = ~np.isfinite(w)
        if not np.array_equal(w[inf], g[inf]):
            return "infinities differ"
        err = float(np.max(np.abs(g[~inf] - w[~inf]))) if (~inf).any() else 0.0
        if not err <= tol * max(scale, 1e-30):
            return f"max |diff| {err:.3e} over max |ref| {scale:.3e} (bound {tol:g} relative)"
        return None
    if not np.array_equal(got, want.astype(dt)):
        return f"values differ: got {got.ravel()[:8]}, reference {want.ravel()[:8]}"
    return None


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    conformance, build_dir = sys.argv[1:]
    node_path = base.ensure_ort(build_dir)
    masks = inferd_masks(conformance)
    cases, static_fail, static_ok, skipped = all_cases(masks)
    if os.environ.get("CASES"):
        wanted = os.environ["CASES"].split(",")
        cases = [c for c in cases if any(w in c.name for w in wanted)]
        static_fail = [s for s in static_fail if any(w in s for w in wanted)]
    verbose = bool(os.environ.get("VERBOSE"))
    env = dict(os.environ, NODE_PATH=node_path)
    failures = []
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        dirs = [os.path.join(tmp, f"case_{i:04d}") for i in range(len(cases))]
        run_ort(tmp, [write_case(c, d) for c, d in zip(cases, dirs)], env)
        refs = {}
        pending = []
        for i, (c, d) in enumerate(zip(cases, dirs)):
            outs, err = base.ort_outputs(d)
            if c.exact_ref:
                outs, err = None, "numpy reference preferred"
            refs[i] = (outs, err, None)
            if not_implemented(err):
                pending.append(i)
        # Widened references, one ONNX Runtime round per ladder step; then numpy's
        # formula (converted to the case's types) where ONNX Runtime has no kernel in
        # any type (Erf on integers: it has no double Erf either).
        exhausted = []  # no rung left (or a subgraph case): numpy's turn below
        for step in range(4):
            manifest, round_cases = [], []
            for i in pending:
                c = cases[i]
                if c.np_ref and (c.exact_ref or c.op in NUMPY_WHEN_ORT_FAILS or
                                 any(d == np.float64 for d in c.varied.values())):
                    ins = [x.value for x in c.inputs if x.value is not None]
                    with np.errstate(all="ignore"):
                        want = [np.asarray(w) for w in c.np_ref(*ins)]
                    refs[i] = (want, None, "numpy (spec)" if c.op in SPEC_OVER_ORT | SPEC_OVER_ORT_INT else
                               "numpy float64" if c.op not in WINDOW_OPS else
                               "numpy, ONNX's reference formula in double")
                    continue
                if c.nodes:
                    exhausted.append(i)
                    continue
                widen = {}
                for tc, dt in c.varied.items():
                    ladder = WIDEN.get(dt, [])
                    if step < len(ladder):
                        widen[tc] = ladder[step]
                if not widen:
                    exhausted.append(i)
                    continue
                d = os.path.join(tmp, f"wide_{step}_{i:04d}")
                manifest.append(write_case(c, d, widen))
                round_cases.append((i, d, widen))
            if not round_cases:
                break
            run_ort(tmp, manifest, env)
            pending = []
            for i, d, widen in round_cases:
                outs, err = base.ort_outputs(d)
                note = "ONNX Runtime in " + ", ".join(f"{tc}={dname(w)}" for tc, w in widen.items())
                if not_implemented(err):
                    pending.append(i)
                else:
                    refs[i] = (outs, err, note)
        for i in pending + exhausted:
            c = cases[i]
            if c.np_ref and not c.nodes:
                ins = [x.value for x in c.inputs if x.value is not None]
                with np.errstate(all="ignore"):
                    want = [np.asarray(w).astype(dt) for w, (dt, _) in
                            zip(c.np_ref(*ins), c.outputs)]
                refs[i] = (want, None, "numpy, ONNX Runtime has no kernel in any type")

        ort_done = time.monotonic()
        run_inferd(conformance, tmp, dirs)
        print(f"{len(cases)} cases: ONNX Runtime {ort_done - start:.0f} s, "
              f"inferd {time.monotonic() - ort_done:.0f} s")
        results = {i: inferd_outputs(c, d) for i, (c, d) in enumerate(zip(cases, dirs))}
        counts = {"ok": 0, "fail": 0}
        for i, c in enumerate(cases):
            got, error = results[i]
            want, ort_error, note = refs[i]
            problems = []
            if error:
                problems.append(f"inferd failed: {error}")
            elif ort_error:
                problems.append(f"no reference: {ort_error.splitlines()[0][:200]}")
            else:
                f32_ref = (note and "float32" in note) or c.float_stage
                for k, (w, g) in enumerate(zip(want, got)):
                    dt = c.outputs[k][0]
                    tol = TOL_F32_REF if f32_ref and dt == np.float64 else TOL.get(dt, 0)
                    p = compare(c, k, np.asarray(w), g, tol)
                    if p:
                        problems.append(f"output {k}: {p}")
            tag = f" [ref: {note}]" if note else ""
            if problems:
                failures.append(c.name)
                counts["fail"] += 1
                print(f"FAIL {c.name}{tag}" + "".join(f"\n     {p}" for p in problems))
            else:
                counts["ok"] += 1
                if verbose or note:
                    print(f"ok   {c.name}{tag}")
    for s in static_fail:
        print(f"FAIL {s}")
    for what, why in skipped:
        if verbose:
            print(f"skip {what}: {why}")
    skipped_ops = sorted({w.split("-")[0].split(" ")[0] for w, _ in skipped})
    print(f"skipped: {', '.join(skipped_ops)} (see SKIP)")
    print(f"{counts['ok']} passed, {counts['fail'] + len(static_fail)} failed "
          f"({len(static_fail)} by info masks), {static_ok} checked by info masks only, "
          f"{len(skipped)} skipped")
    return 1 if counts["fail"] or static_fail else 0


if __name__ == "__main__":
    sys.exit(main())
