#!/usr/bin/python3
"""The quantization ops against ONNX Runtime, at every instruction set level.

One-node models cover QuantizeLinear and DequantizeLinear (per tensor, per
axis, blocked; int8 and uint8; with and without zero points; ties that
round half to even; saturation), DynamicQuantizeLinear, MatMulInteger,
QLinearMatMul, ConvInteger and QLinearConv (uint8 and int8 on either side,
zero points, per-channel weight scales and zero points, padding, strides,
groups, dilations, bias, shapes that are not multiples of the kernels'
tiles, weights constant (packed once) and weights fed at run time). A few
small graphs in QDQ form check the fusion of engine/fuse_qdq.c against
ONNX Runtime running the same graph.

Each case runs once in ONNX Runtime (ort_run.js) and in `inferd run` at the
native level (AVX-512 VNNI on a CPU that has it) on one and two threads,
and capped at AVX2 and at plain C (INFERD_MAX_ISA): every variant of the
int8 GEMM. Integer outputs must be equal, except the requantized outputs
of QLinearConv, QLinearMatMul and the fused QDQ graphs, whose float
multiplication the spec leaves to the implementation: those may differ by
one quantization step on at most MAX_OFF_BY_ONE of the elements. Float
outputs must be within RTOL of the largest reference value.

usage: test_quant_ort.py INFERD BUILD_DIR   (CASES=a,b runs the cases whose names contain one)
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from onnx import TensorProto, helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_opsets_18_21 as base  # noqa: E402  (Case, write_case, ONNX Runtime plumbing)

RTOL = 1e-5
# Share of a requantized output that may be one step off ONNX Runtime (float rounding order).
MAX_OFF_BY_ONE = 0.01
RUNS = [(1, None), (2, None), (1, "avx2"), (1, "generic")]
RNG = np.random.default_rng(15)


def u8(*shape, lo=0, hi=256):
    return RNG.integers(lo, hi, shape).astype(np.uint8)


def i8(*shape, lo=-128, hi=128):
    return RNG.integers(lo, hi, shape).astype(np.int8)


def f32(*values):
    return np.array(values, np.float32)


def scalar(v, dtype):
    return np.array(v, dtype)


def q8(dtype, *shape):
    return u8(*shape) if dtype == np.uint8 else i8(*shape)


class QCase(base.Case):
    """A case whose integer outputs may be one step off (requantized)."""

    def __init__(self, *args, requantized=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.requantized = requantized


def one(name, opset, op, inputs, consts, order, outputs, requantized=False, **attrs):
    """One node reading `order` (names of inputs and consts, '' for an omitted one)."""
    return QCase(name, opset, [helper.make_node(op, order, [o for o, _ in outputs], **attrs)],
                 inputs, outputs, consts, requantized=requantized)


# ----------------------------------------------------------------- the ops

def quantize_cases():
    cases = []
    # Ties: x / scale lands exactly on .5 (half to even), and far outside the range (saturation).
    ties = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 1e9, -1e9, 127.5, 128.5, -128.5],
                    np.float32)
    for dt in (np.uint8, np.int8):
        tag = "u8" if dt == np.uint8 else "s8"
        zp = 128 if dt == np.uint8 else 0
        cases.append(one(f"QuantizeLinear-13 ties {tag}", 13, "QuantizeLinear", {"X": ties},
                         {"S": scalar(1.0, np.float32), "Z": scalar(zp, dt)}, ["X", "S", "Z"],
                         [("Y", dt)]))
        x = base.rand(3, 5, 7) * 30
        cases.append(one(f"QuantizeLinear-13 per axis {tag}", 13, "QuantizeLinear", {"X": x},
                         {"S": np.abs(base.rand(5)) + 0.05, "Z": q8(dt, 5)}, ["X", "S", "Z"],
                         [("Y", dt)], axis=1))
        cases.append(one(f"QuantizeLinear-19 per tensor {tag}", 19, "QuantizeLinear", {"X": x},
                         {"S": scalar(0.2, np.float32), "Z": scalar(3, dt)}, ["X", "S", "Z"],
                         [("Y", dt)]))
        cases.append(one(f"QuantizeLinear-21 blocked {tag}", 21, "QuantizeLinear",
                         {"X": base.rand(4, 10) * 20},
                         {"S": np.abs(base.rand(4, 3)) + 0.05, "Z": q8(dt, 4, 3)},
                         ["X", "S", "Z"], [("Y", dt)], axis=1, block_size=4))
        cases.append(one(f"QuantizeLinear-21 blocked axis 0 {tag}", 21, "QuantizeLinear",
                         {"X": base.rand(6, 3) * 20},
                         {"S": np.abs(base.rand(2, 3)) + 0.05, "Z": q8(dt, 2, 3)},
                         ["X", "S", "Z"], [("Y", dt)], axis=0, block_size=3))
        cases.append(one(f"DequantizeLinear-13 per axis {tag}", 13, "DequantizeLinear",
                         {"X": q8(dt, 2, 4, 3)},
                         {"S": np.abs(base.rand(4)) + 0.05, "Z": q8(dt, 4)}, ["X", "S", "Z"],
                         [("Y", np.float32)], axis=1))
        cases.append(one(f"DequantizeLinear-19 per tensor {tag}", 19, "DequantizeLinear",
                         {"X": q8(dt, 17)}, {"S": scalar(0.03, np.float32), "Z": scalar(7, dt)},
                         ["X", "S", "Z"], [("Y", np.float32)]))
        cases.append(one(f"DequantizeLinear-21 blocked {tag}", 21, "DequantizeLinear",
                         {"X": q8(dt, 3, 8)},
                         {"S": np.abs(base.rand(3, 2)) + 0.05, "Z": q8(dt, 3, 2)},
                         ["X", "S", "Z"], [("Y", np.float32)], axis=1, block_size=4))
    cases.append(one("QuantizeLinear-10 no zero point", 10, "QuantizeLinear",
                     {"X": base.rand(9) * 50}, {"S": scalar(0.7, np.float32)}, ["X", "S"],
                     [("Y", np.uint8)]))
    cases.append(one("DequantizeLinear-10 no zero point", 10, "DequantizeLinear",
                     {"X": u8(9)}, {"S": scalar(0.7, np.float32)}, ["X", "S"],
                     [("Y", np.float32)]))
    for name, x in [("random", base.rand(4, 33) * 3), ("positive", np.abs(base.rand(50)) + 1),
                    ("negative", -np.abs(base.rand(50)) - 1), ("zeros", np.zeros(8, np.float32))]:
        cases.append(QCase(f"DynamicQuantizeLinear-11 {name}", 11,
                           [helper.make_node("DynamicQuantizeLinear", ["X"], ["Y", "YS", "YZ"])],
                           {"X": x}, [("Y", np.uint8), ("YS", np.float32), ("YZ", np.uint8)]))
    return cases


def matmul_cases():
    cases = []
    shapes = [((2, 3, 20), (20, 37)), ((5, 64), (64, 16)), ((1, 7), (7, 3)), ((70, 130), (130, 65))]
    for (ashape, bshape) in shapes:
        for at, bt in ((np.uint8, np.int8), (np.uint8, np.uint8), (np.int8, np.int8),
                       (np.int8, np.uint8)):
            tag = f"{'u8' if at == np.uint8 else 's8'}x{'u8' if bt == np.uint8 else 's8'}"
            a, b = q8(at, *ashape), q8(bt, *bshape)
            n = bshape[1]
            for const_b in (True, False):
                where = "const" if const_b else "fed"
                inputs = {"A": a} if const_b else {"A": a, "B": b}
                consts = {"B": b} if const_b else {}
                zps = {"AZ": scalar(RNG.integers(0, 50), at) if at == np.uint8 else
                       scalar(-9, at), "BZ": q8(bt, n)}
                cases.append(one(f"MatMulInteger {ashape}x{bshape} {tag} {where}", 10,
                                 "MatMulInteger", inputs, {**consts, **zps},
                                 ["A", "B", "AZ", "BZ"], [("Y", np.int32)]))
                if const_b and ashape == (5, 64):
                    cases.append(one(f"MatMulInteger {ashape}x{bshape} {tag} no zero points", 10,
                                     "MatMulInteger", inputs, consts, ["A", "B"],
                                     [("Y", np.int32)]))
                yt = at  # ONNX Runtime wants Y of A's type
                qconsts = {"AS": scalar(0.02, np.float32), "AZ": zps["AZ"],
                           "BS": (np.abs(base.rand(n)) * 0.01 + 0.001) if n % 2 else
                           scalar(0.004, np.float32),
                           "BZ": zps["BZ"] if n % 2 else scalar(0, bt),
                           "YS": scalar(0.35, np.float32), "YZ": scalar(5, yt)}
                if at == np.int8 and bt == np.uint8:
                    continue  # ONNX Runtime has no QLinearMatMul of int8 A and uint8 B
                cases.append(one(f"QLinearMatMul {ashape}x{bshape} {tag} {where}", 10,
                                 "QLinearMatMul", inputs, {**consts, **qconsts},
                                 ["A", "AS", "AZ", "B", "BS", "BZ", "YS", "YZ"], [("Y", yt)],
                                 requantized=True))
    return cases


def conv_cases():
    cases = []
    geoms = [
        ("3x3 pad 1", (1, 8, 9, 9), (16, 8, 3, 3), dict(pads=[1, 1, 1, 1])),
        ("1x1", (2, 32, 7, 5), (24, 32, 1, 1), {}),
        ("stride 2 pad 3 7x7", (1, 3, 20, 20), (10, 3, 7, 7),
         dict(pads=[3, 3, 3, 3], strides=[2, 2])),
        ("groups 2 dilation 2", (1, 8, 11, 11), (6, 4, 3, 3),
         dict(pads=[2, 2, 2, 2], dilations=[2, 2], group=2)),
        ("depthwise", (1, 6, 8, 8), (6, 1, 3, 3), dict(pads=[1, 1, 1, 1], group=6)),
        ("asymmetric pads stride 2x1", (1, 5, 10, 9), (7, 5, 2, 3),
         dict(pads=[0, 1, 1, 2], strides=[2, 1])),
        ("1-D", (2, 4, 30), (5, 4, 3), dict(pads=[1, 1])),
        ("3-D", (1, 3, 5, 6, 6), (4, 3, 2, 3, 3), dict(pads=[0, 1, 1, 1, 1, 1])),
        ("auto_pad SAME_UPPER", (1, 4, 7, 7), (8, 4, 3, 3),
         dict(auto_pad="SAME_UPPER", strides=[2, 2])),
    ]
    for gname, xshape, wshape, attrs in geoms:
        m = wshape[0]
        for xt, wt in ((np.uint8, np.int8), (np.uint8, np.uint8), (np.int8, np.int8)):
            tag = f"{'u8' if xt == np.uint8 else 's8'}x{'u8' if wt == np.uint8 else 's8'}"
            x, w = q8(xt, *xshape), q8(wt, *wshape)
            xz = scalar(RNG.integers(0, 200) if xt == np.uint8 else -20, xt)
            wz = q8(wt, m) if wt == np.uint8 else np.zeros(m, wt)
            # ONNX Runtime's ConvInteger takes a per-tensor weight zero point only.
            cases.append(one(f"ConvInteger {gname} {tag}", 10, "ConvInteger", {"X": x},
                             {"W": w, "XZ": xz, "WZ": wz[:1].reshape(())},
                             ["X", "W", "XZ", "WZ"],
                             [("Y", np.int32)], **attrs))
            yt = xt
            consts = {"XS": scalar(0.05, np.float32), "XZ": xz, "W": w,
                      "WS": np.abs(base.rand(m)) * 0.01 + 0.002, "WZ": wz,
                      "YS": scalar(0.9, np.float32), "YZ": scalar(3, yt),
                      "B": RNG.integers(-3000, 3000, (m,)).astype(np.int32)}
            cases.append(one(f"QLinearConv {gname} {tag}", 10, "QLinearConv", {"X": x}, consts,
                             ["X", "XS", "XZ", "W", "WS", "WZ", "YS", "YZ", "B"], [("Y", yt)],
                             requantized=True, **attrs))
    # Weights fed at run time, a scalar weight scale and no bias; ConvInteger without zero points.
    cases.append(one("QLinearConv weights fed", 10, "QLinearConv",
                     {"X": u8(1, 4, 6, 6), "W": i8(5, 4, 3, 3)},
                     {"XS": scalar(0.05, np.float32), "XZ": scalar(100, np.uint8),
                      "WS": scalar(0.01, np.float32), "WZ": scalar(0, np.int8),
                      "YS": scalar(0.5, np.float32), "YZ": scalar(128, np.uint8)},
                     ["X", "XS", "XZ", "W", "WS", "WZ", "YS", "YZ"], [("Y", np.uint8)],
                     requantized=True, pads=[1, 1, 1, 1]))
    cases.append(one("ConvInteger no zero points", 10, "ConvInteger", {"X": u8(1, 3, 5, 5)},
                     {"W": u8(2, 3, 3, 3)}, ["X", "W"], [("Y", np.int32)]))
    return cases


# ------------------------------------------------------------ QDQ graphs

def qdq_case(name, kind, relu=False, q_out=True, per_channel=True, bias=True, xt=np.uint8,
             trans_b=False, opset=13):
    """DQ(x) -> Conv/MatMul/Gemm(DQ(w) [, DQ(bias)]) [-> Relu] [-> Q]  (-> DQ so ORT agrees)."""
    nodes, consts = [], {}
    if kind == "Conv":
        x = q8(xt, 1, 16, 10, 10)
        w = i8(24, 16, 3, 3, lo=-127)
        n = 24
    else:
        x = q8(xt, 2, 9, 48)
        n = 40
        w = i8(*((n, 48) if trans_b else (48, n)), lo=-127)
    sx, zx = np.float32(0.04), (scalar(120, xt) if xt == np.uint8 else scalar(-3, xt))
    sw = (np.abs(base.rand(n)) * 0.01 + 0.001) if per_channel else scalar(0.006, np.float32)
    consts.update({"xs": scalar(sx, np.float32), "xz": zx, "w": w, "ws": sw,
                   "wz": np.zeros(n if per_channel else (), np.int8)})
    nodes.append(helper.make_node("DequantizeLinear", ["X", "xs", "xz"], ["xf"]))
    waxis = 0 if kind == "Conv" or trans_b else 1
    nodes.append(helper.make_node("DequantizeLinear", ["w", "ws", "wz"], ["wf"], axis=waxis))
    ins = ["xf", "wf"]
    if bias:
        consts["b"] = RNG.integers(-2000, 2000, (n,)).astype(np.int32)
        consts["bs"] = (sx * sw).astype(np.float32)
        nodes.append(helper.make_node("DequantizeLinear", ["b", "bs"], ["bf"], axis=0))
        ins.append("bf")
    if kind == "Conv":
        nodes.append(helper.make_node("Conv", ins, ["c"], pads=[1, 1, 1, 1]))
    elif kind == "Gemm":
        nodes.append(helper.make_node("Gemm", ins, ["c"], transB=1 if trans_b else 0))
    else:
        nodes.append(helper.make_node("MatMul", ins[:2], ["c"]))
        if bias:
            nodes[-1] = helper.make_node("MatMul", ins[:2], ["mm"])
            nodes.append(helper.make_node("Add", ["mm", "bf"], ["c"]))
    last = "c"
    if relu:
        nodes.append(helper.make_node("Relu", ["c"], ["r"]))
        last = "r"
    outputs = [("Y", np.float32)]
    if q_out:
        yt = xt
        consts.update({"ys": scalar(0.3, np.float32), "yz": scalar(7, yt)})
        nodes.append(helper.make_node("QuantizeLinear", [last, "ys", "yz"], ["Y"]))
        outputs = [("Y", yt)]
    else:
        nodes[-1].output[0] = "Y"
    if kind == "Gemm" and x.ndim != 2:
        x = x.reshape(-1, x.shape[-1])
    return QCase(f"QDQ {name}", opset, nodes, {"X": x}, outputs, consts, requantized=q_out)


def qdq_add_case(name, a_shape, b_shape, relu=False, t=np.uint8):
    """DQ(A) + DQ(B) [-> Relu] -> Q on computed tensors: inferd.QLinearAdd, broadcasting or not."""
    zero = (lambda v: scalar(v, t))
    consts = {"as": scalar(0.05, np.float32), "az": zero(100 if t == np.uint8 else -4),
              "bs": scalar(0.02, np.float32), "bz": zero(130 if t == np.uint8 else 9),
              "ys": scalar(0.07, np.float32), "yz": zero(90 if t == np.uint8 else 2)}
    nodes = [helper.make_node("DequantizeLinear", ["A", "as", "az"], ["af"]),
             helper.make_node("DequantizeLinear", ["B", "bs", "bz"], ["bf"]),
             helper.make_node("Add", ["af", "bf"], ["s"])]
    last = "s"
    if relu:
        nodes.append(helper.make_node("Relu", ["s"], ["r"]))
        last = "r"
    nodes.append(helper.make_node("QuantizeLinear", [last, "ys", "yz"], ["Y"]))
    return QCase(f"QDQ Add {name}", 13, nodes, {"A": q8(t, *a_shape), "B": q8(t, *b_shape)},
                 [("Y", t)], consts, requantized=True)


def qdq_cases():
    return [
        qdq_add_case("equal shapes", (2, 16, 9, 9), (2, 16, 9, 9)),
        qdq_add_case("equal shapes Relu int8", (1, 8, 40, 41), (1, 8, 40, 41), relu=True,
                     t=np.int8),
        qdq_add_case("per-channel broadcast", (2, 16, 9, 9), (1, 16, 1, 1)),
        qdq_add_case("lower-rank broadcast Relu", (3, 700), (700,), relu=True),
        qdq_add_case("both broadcast int8", (4, 1, 300), (1, 5, 1), t=np.int8),
        qdq_case("Conv per-channel bias Q", "Conv"),
        qdq_case("Conv Relu Q", "Conv", relu=True),
        qdq_case("Conv int8 per-tensor no bias", "Conv", xt=np.int8, per_channel=False,
                 bias=False),
        qdq_case("Conv float output", "Conv", q_out=False),
        qdq_case("MatMul Q", "MatMul", bias=False),
        qdq_case("MatMul float output with bias Add", "MatMul", q_out=False),
        qdq_case("MatMul Relu Q int8", "MatMul", relu=True, xt=np.int8, bias=False),
        qdq_case("Gemm transB bias Q", "Gemm", trans_b=True),
        qdq_case("Gemm float output", "Gemm", q_out=False, per_channel=False),
        qdq_case("Conv opset 21", "Conv", opset=21),
    ]


def all_cases():
    return quantize_cases() + matmul_cases() + conv_cases() + qdq_cases()


# ------------------------------------------------------------------ running

def run_inferd(inferd, case, d, threads, isa):
    out_dir = os.path.join(d, f"inferd_{threads}_{isa}")
    command = [inferd, "run", "--model", os.path.join(d, "model.onnx"), "--output-dir", out_dir,
               "--threads", str(threads)]
    for i, name in enumerate(case.inputs):
        command += ["--input", f"{name}={os.path.join(d, f'input_{i}.pb')}"]
    env = dict(os.environ)
    env.pop("INFERD_MAX_ISA", None)
    if isa:
        env["INFERD_MAX_ISA"] = isa
    run = subprocess.run(command, capture_output=True, text=True, env=env)
    if run.returncode != 0:
        return None, run.stderr.strip() + f" (exit {run.returncode})"
    return [base.load_pb(os.path.join(out_dir, f"output_{k}.pb"))
            for k in range(len(case.outputs))], None


def compare(case, want, got):
    if case.requantized and want.dtype.kind in "iu" and got.shape == want.shape and \
            got.dtype == want.dtype:
        diff = np.abs(got.astype(np.int64) - want.astype(np.int64))
        off = int(np.count_nonzero(diff))
        if diff.max(initial=0) > 1:
            return f"differs by {int(diff.max())} steps (at most 1 allowed)"
        if off > MAX_OFF_BY_ONE * want.size:
            return f"{off} of {want.size} elements one step off (at most {MAX_OFF_BY_ONE:.0%})"
        return None
    return base.compare(want, got)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    inferd, build_dir = sys.argv[1], sys.argv[2]
    node_path = base.ensure_ort(build_dir)
    base.RTOL = RTOL
    cases = all_cases()
    if os.environ.get("CASES"):
        wanted = os.environ["CASES"].split(",")
        cases = [c for c in cases if any(w in c.name for w in wanted)]
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        dirs = [os.path.join(tmp, f"case_{i:03d}") for i in range(len(cases))]
        manifest = [base.write_case(c, d) for c, d in zip(cases, dirs)]
        with open(os.path.join(tmp, "cases.json"), "w") as f:
            json.dump(manifest, f)
        env = dict(os.environ, NODE_PATH=node_path)
        subprocess.run(["node", os.path.join(base.HERE, "ort_run.js"), tmp], check=True, env=env)
        for case, d in zip(cases, dirs):
            want, ort_error = base.ort_outputs(d)
            problems = []
            if ort_error is not None or want is None:
                problems.append(f"ONNX Runtime refused it: {(ort_error or '?').strip()[:300]}")
            for threads, isa in RUNS if not problems else []:
                got, error = run_inferd(inferd, case, d, threads, isa)
                label = f"{threads} thread(s), {isa or 'native'}"
                if got is None:
                    problems.append(f"inferd ({label}) failed: "
                                    f"{(error.splitlines() or ['(no message)'])[-1]}")
                    continue
                problems += [f"inferd ({label}), output {k}: {p}"
                             for k, (w, g) in enumerate(zip(want, got))
                             if (p := compare(case, w, g))]
            print(f"{'FAIL' if problems else 'ok  '} {case.name}" +
                  "".join(f"\n     {p}" for p in problems))
            failures += bool(problems)
    print(f"{len(cases) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
