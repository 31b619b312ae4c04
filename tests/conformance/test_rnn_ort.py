#!/usr/bin/python3
"""LSTM, GRU and RNN beyond ONNX 1.12's node tests, against ONNX Runtime.

The node tests cover one direction, default activations and batch-wise
layouts only. Here one-node models cover what they leave out: reverse and
bidirectional layers with per-row sequence lengths (0 included), layout 1,
initial states, peepholes, clip, input_forget, GRU's linear_before_reset 0
and 1, every activation function with alpha and beta, omitted outputs,
batch > 1, hidden sizes that are not a multiple of the packed blocks,
weights that arrive with the request (packed at run time), and opsets 1, 7
and 14.

Each case runs in ONNX Runtime (onnxruntime-node, ort_run.js, as
test_opsets_18_21.py does) and in `inferd run` on one and two threads at
the native instruction set, and on two threads capped at AVX2 and at plain
C (INFERD_MAX_ISA): every variant of the step loop's kernels. Outputs must
match within RTOL of the largest reference value.

A float64 reference of the spec's equations (reference() below) is checked
against ONNX Runtime on every float32 case, then serves where ONNX Runtime
has nothing to compare with: float64 layers (ORT has no double kernels) and
opset 1 (ORT starts at 7; its outputs at opset 7 are checked too).

usage: test_rnn_ort.py INFERD BUILD_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from onnx import helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_opsets_18_21 as base  # noqa: E402  (Case, write_case, ONNX Runtime plumbing)

RTOL = 1e-5
# The float64 reference against ONNX Runtime's float32: ORT's rounding over the steps shows.
RTOL_REFERENCE = 1e-4
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}
ACTS = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"], "RNN": ["Tanh"]}
# inferd's runs of every case: (threads, INFERD_MAX_ISA or None for native)
RUNS = [(1, None), (2, None), (2, "avx2"), (2, "generic")]

RNG = np.random.default_rng(14)


# ---------------------------------------------------------------- reference

def act_fn(name, alpha, beta):
    n = name.lower()
    if n == "relu":
        return lambda x: np.maximum(x, 0)
    if n == "tanh":
        return np.tanh
    if n == "sigmoid":
        return lambda x: 1 / (1 + np.exp(-x))
    if n == "affine":
        return lambda x: alpha * x + beta
    if n == "leakyrelu":
        return lambda x: np.where(x >= 0, x, alpha * x)
    if n == "thresholdedrelu":
        return lambda x: np.where(x > alpha, x, 0)
    if n == "scaledtanh":
        return lambda x: alpha * np.tanh(beta * x)
    if n == "hardsigmoid":
        return lambda x: np.clip(alpha * x + beta, 0, 1)
    if n == "elu":
        return lambda x: np.where(x >= 0, x, alpha * np.expm1(np.minimum(x, 0)))
    if n == "softsign":
        return lambda x: x / (1 + np.abs(x))
    if n == "softplus":
        return lambda x: np.logaddexp(0, x)
    raise ValueError(name)


# Defaults when activation_alpha / activation_beta run out (ONNX Runtime's).
TAKES = {"affine": (True, True, 0, 0), "leakyrelu": (True, False, 0.01, 0),
         "thresholdedrelu": (True, False, 0, 0), "scaledtanh": (True, True, 0, 0),
         "hardsigmoid": (True, True, 0.2, 0.5), "elu": (True, False, 1.0, 0)}


def act_list(op, dirs, attrs):
    names = attrs.get("activations", ACTS[op] * dirs)
    alphas, betas = list(attrs.get("activation_alpha", [])), list(attrs.get("activation_beta", []))
    fns = []
    for name in names:
        ta, tb, da, db = TAKES.get(name.lower(), (False, False, 0, 0))
        a = alphas.pop(0) if ta and alphas else da
        b = betas.pop(0) if tb and betas else db
        fns.append(act_fn(name, a, b))
    per = len(ACTS[op])
    return [fns[d * per:(d + 1) * per] for d in range(dirs)]


def reference(op, inputs, attrs, n_outputs):
    """The spec's equations in float64: [Y, Y_h(, Y_c)]."""
    x, w, r = (inputs[k].astype(np.float64) for k in ("X", "W", "R"))
    layout = attrs.get("layout", 0)
    if layout:
        x = x.transpose(1, 0, 2)
    seq, batch, _ = x.shape
    dirs, gh, _ = w.shape
    hidden = r.shape[2]
    g = GATES[op]
    b = inputs.get("B", np.zeros((dirs, 2 * gh))).astype(np.float64)
    lens = inputs.get("sequence_lens", np.full(batch, seq))
    def state(name):
        if name not in inputs:
            return np.zeros((dirs, batch, hidden))
        v = inputs[name].astype(np.float64)
        return v.transpose(1, 0, 2) if layout else v
    h0, c0 = state("initial_h"), state("initial_c")
    p = inputs.get("P", np.zeros((dirs, 3 * hidden))).astype(np.float64)
    clip = attrs.get("clip")
    cl = (lambda v: np.clip(v, -clip, clip)) if clip is not None else (lambda v: v)
    fns = act_list(op, dirs, attrs)
    y = np.zeros((seq, dirs, batch, hidden))
    yh = np.zeros((dirs, batch, hidden))
    yc = np.zeros((dirs, batch, hidden))
    direction = attrs.get("direction", "forward")
    for d in range(dirs):
        reverse = d == 1 or direction == "reverse"
        f = fns[d]
        wb, rb = b[d, :gh], b[d, gh:]
        for n in range(batch):
            h, c = h0[d, n].copy(), c0[d, n].copy()
            steps = range(lens[n] - 1, -1, -1) if reverse else range(lens[n])
            for t in steps:
                xw = w[d] @ x[t, n] + wb
                if op == "RNN":
                    h = f[0](cl(xw + r[d] @ h + rb))
                elif op == "LSTM":
                    z = xw + r[d] @ h + rb
                    zi, zo, zf, zc = np.split(z, 4)
                    pi, po, pf = np.split(p[d], 3)
                    i = f[0](cl(zi + pi * c))
                    ff = 1 - i if attrs.get("input_forget") else f[0](cl(zf + pf * c))
                    c = ff * c + i * f[1](cl(zc))
                    o = f[0](cl(zo + po * c))
                    h = o * f[2](c)
                else:
                    rz, rr, rh = np.split(r[d], 3)
                    xz, xr, xh = np.split(xw, 3)
                    bz, br, bh = np.split(rb, 3)
                    z = f[0](cl(xz + rz @ h + bz))
                    rt = f[0](cl(xr + rr @ h + br))
                    if attrs.get("linear_before_reset"):
                        ht = f[1](cl(xh + rt * (rh @ h + bh)))
                    else:
                        ht = f[1](cl(xh + rh @ (rt * h) + bh))
                    h = (1 - z) * ht + z * h
                y[t, d, n] = h
            if lens[n] > 0:
                yh[d, n], yc[d, n] = h, c
    if layout:
        y, yh, yc = y.transpose(2, 0, 1, 3), yh.transpose(1, 0, 2), yc.transpose(1, 0, 2)
    return [y, yh, yc][:n_outputs]


# -------------------------------------------------------------------- cases

class RnnCase(base.Case):
    """One recurrent node; ORT may run it at another opset (ort_opset)."""

    def __init__(self, name, op, opset, inputs, consts, attrs, outputs, dtype, ort_opset=None,
                 ort_attrs=None):
        names = ["X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"]
        present = {**inputs, **consts}
        node_inputs = [n if n in present else "" for n in names]
        while node_inputs and not node_inputs[-1]:
            node_inputs.pop()
        node_outputs = list(outputs)
        while node_outputs and not node_outputs[-1]:
            node_outputs.pop()
        graph_outputs = [(o, dtype) for o in node_outputs if o]
        node = helper.make_node(op, node_inputs, node_outputs, **attrs)
        super().__init__(name, opset, [node], inputs, graph_outputs, consts)
        self.op, self.attrs, self.out_slots = op, attrs, outputs
        self.ort_opset = ort_opset or opset
        self.ort_nodes = [helper.make_node(op, node_inputs, node_outputs, **(ort_attrs or attrs))]
        if attrs.get("layout"):
            self.ort_nodes = batch_first_for_ort(op, node_inputs, node_outputs, attrs)
        all_inputs = {k: v for k, v in present.items()}
        refs = reference(op, all_inputs, attrs, 3 if op == "LSTM" else 2)
        self.reference = [refs[k].astype(dtype) for k, o in enumerate(outputs) if o]

    def model(self, nodes=None):
        m = super().model(nodes)
        if nodes is not None and self.ort_opset != self.opset:
            m.opset_import[0].version = self.ort_opset
        return m


def batch_first_for_ort(op, node_inputs, node_outputs, attrs):
    """ONNX Runtime refuses layout 1: it runs the layer at layout 0 between Transposes."""
    swap = [1, 0, 2]
    nodes, inputs, outputs = [], list(node_inputs), []
    for k, name in enumerate(node_inputs):
        if name in ("X", "initial_h", "initial_c"):
            inputs[k] = name + "_layout0"
            nodes.append(helper.make_node("Transpose", [name], [inputs[k]], perm=swap))
    for k, name in enumerate(node_outputs):
        outputs.append(name + "_layout0" if name else "")
        if name:
            perm = [2, 0, 1, 3] if k == 0 else swap
            nodes.append(helper.make_node("Transpose", [outputs[k]], [name], perm=perm))
    layer_attrs = {k: v for k, v in attrs.items() if k != "layout"}
    return [helper.make_node(op, inputs, outputs, **layer_attrs)] + nodes


def rand(*shape, scale=1.0, dtype=np.float32):
    return (RNG.standard_normal(shape) * scale).astype(dtype)


def case(name, op, seq=5, batch=2, inp=3, hidden=4, opset=14, direction="forward", layout=0,
         bias=True, lens=None, h0=False, c0=False, peep=False, outputs=None, runtime=(),
         dtype=np.float32, ort_opset=None, ort_attrs=None, **attrs):
    """A case with random weights; runtime lists the inputs fed with the request beside X."""
    g, dirs = GATES[op], 2 if direction == "bidirectional" else 1
    values = {
        "X": rand(*((batch, seq, inp) if layout else (seq, batch, inp)), dtype=dtype),
        # PyTorch's initial scale: gate inputs of order 1 whatever the sizes, so
        # float32 rounding in large sums stays within the bound.
        "W": rand(dirs, g * hidden, inp, scale=inp ** -0.5, dtype=dtype),
        "R": rand(dirs, g * hidden, hidden, scale=hidden ** -0.5, dtype=dtype),
    }
    if bias:
        values["B"] = rand(dirs, 2 * g * hidden, scale=0.5, dtype=dtype)
    if lens is not None:
        values["sequence_lens"] = np.array(lens, dtype=np.int32)
    state = (batch, dirs, hidden) if layout else (dirs, batch, hidden)
    if h0:
        values["initial_h"] = rand(*state, dtype=dtype)
    if c0:
        values["initial_c"] = rand(*state, dtype=dtype)
    if peep:
        values["P"] = rand(dirs, 3 * hidden, scale=0.5, dtype=dtype)
    if outputs is None:
        outputs = ("Y", "Y_h", "Y_c") if op == "LSTM" else ("Y", "Y_h")
    if direction != "forward":
        attrs["direction"] = direction
    if layout:
        attrs["layout"] = layout
    attrs["hidden_size"] = hidden
    inputs = {k: v for k, v in values.items() if k == "X" or k in runtime}
    consts = {k: v for k, v in values.items() if k not in inputs}
    return RnnCase(name, op, opset, inputs, consts, attrs, outputs, dtype, ort_opset, ort_attrs)


def all_cases():
    cases = []
    for op in ("LSTM", "GRU", "RNN"):
        for direction in ("forward", "reverse", "bidirectional"):
            for layout in (0, 1):
                cases.append(case(f"{op} {direction} layout {layout}", op, direction=direction,
                                  layout=layout, batch=3, h0=True, c0=op == "LSTM"))
                cases.append(case(f"{op} {direction} layout {layout} sequence_lens [5,2,0,3]", op,
                                  direction=direction, layout=layout, batch=4, lens=[5, 2, 0, 3],
                                  h0=True, c0=op == "LSTM"))
        cases += [
            case(f"{op} no bias, no initial state", op, bias=False),
            case(f"{op} clip 0.5", op, direction="bidirectional", clip=0.5, h0=True),
            case(f"{op} opset 7", op, opset=7, direction="bidirectional", lens=[3, 5]),
            case(f"{op} opset 1 (output_sequence)", op, opset=1, output_sequence=1, ort_opset=7,
                 ort_attrs={"hidden_size": 4}),
            case(f"{op} Y only", op, outputs=("Y",)),
            case(f"{op} Y_h only", op, outputs=("", "Y_h")),
            case(f"{op} W, R, B as request inputs", op, direction="bidirectional",
                 runtime=("W", "R", "B", "initial_h", "sequence_lens"), lens=[4, 5], h0=True),
            # Hidden sizes off the 32-unit blocks and 16-float panels; batch 7 runs the
            # product's 4-row tiles and a 3-row rest, hidden 100 splits over 2 threads.
            case(f"{op} hidden 100 batch 7", op, seq=6, batch=7, inp=20, hidden=100,
                 direction="bidirectional", lens=[6, 1, 3, 6, 5, 2, 4], h0=True,
                 c0=op == "LSTM"),
            case(f"{op} hidden 70 batch 1", op, seq=9, batch=1, inp=33, hidden=70),
            case(f"{op} hidden 160 batch 2", op, seq=4, batch=2, inp=8, hidden=160),
            case(f"{op} input size 1, sequence 1", op, seq=1, inp=1),
            # Over 2^20 multiply-adds a step: on two threads the step loop splits the units.
            case(f"{op} two-thread step loop", op, seq=3, batch=8, inp=16,
                 hidden={"LSTM": 192, "GRU": 224, "RNN": 384}[op], direction="bidirectional",
                 lens=[3, 0, 2, 3, 1, 3, 2, 3], h0=True),
        ]
    cases += [
        case("LSTM peepholes", "LSTM", peep=True, h0=True, c0=True, batch=3),
        case("LSTM peepholes bidirectional sequence_lens layout 1", "LSTM", peep=True,
             direction="bidirectional", layout=1, lens=[2, 5, 4], batch=3, c0=True),
        case("LSTM input_forget", "LSTM", input_forget=1, peep=True, c0=True),
        case("LSTM input_forget clip reverse", "LSTM", input_forget=1, clip=0.3,
             direction="reverse"),
        case("LSTM Y and Y_c, no Y_h", "LSTM", outputs=("Y", "", "Y_c"), c0=True),
        case("LSTM Y_c only", "LSTM", outputs=("", "", "Y_c"), direction="bidirectional"),
        case("LSTM peepholes hidden 100 batch 3", "LSTM", seq=4, batch=3, inp=10, hidden=100,
             peep=True, c0=True),
        case("GRU linear_before_reset", "GRU", linear_before_reset=1, h0=True),
        case("GRU linear_before_reset bidirectional sequence_lens", "GRU", linear_before_reset=1,
             direction="bidirectional", lens=[1, 5], layout=1),
        case("GRU linear_before_reset clip hidden 100 batch 3", "GRU", linear_before_reset=1,
             clip=0.8, seq=4, batch=3, inp=10, hidden=100, h0=True),
        case("GRU linear_before_reset no bias", "GRU", linear_before_reset=1, bias=False),
        case("GRU linear_before_reset two-thread step loop", "GRU", linear_before_reset=1, seq=3,
             batch=8, inp=16, hidden=224, lens=[1, 3, 3, 2, 0, 3, 3, 3], c0=False),
        case("GRU opset 3 linear_before_reset", "GRU", opset=3, linear_before_reset=1,
             ort_opset=7, ort_attrs={"hidden_size": 4, "linear_before_reset": 1}),
    ]
    # Every activation function, with and without alpha / beta.
    for name, alpha, beta in [("Relu", [], []), ("Tanh", [], []), ("Sigmoid", [], []),
                              ("Affine", [0.5], [0.2]), ("Affine", [], []),
                              ("LeakyRelu", [0.3], []), ("LeakyRelu", [], []),
                              ("ThresholdedRelu", [0.2], []), ("ScaledTanh", [1.5], [0.7]),
                              ("HardSigmoid", [0.3], [0.4]), ("HardSigmoid", [], []),
                              ("Elu", [0.8], []), ("Elu", [], []), ("Softsign", [], []),
                              ("Softplus", [], [])]:
        attrs = {"activations": [name]}
        if alpha:
            attrs["activation_alpha"] = alpha
        if beta:
            attrs["activation_beta"] = beta
        cases.append(case(f"RNN {name} alpha {alpha} beta {beta}", "RNN", h0=True, **attrs))
    cases += [
        case("RNN bidirectional Affine then LeakyRelu (alphas in list order)", "RNN",
             direction="bidirectional", activations=["Affine", "LeakyRelu"],
             activation_alpha=[0.5, 0.2], activation_beta=[0.3]),
        case("LSTM HardSigmoid, Softsign, Elu", "LSTM", activations=["HardSigmoid", "Softsign", "Elu"],
             activation_alpha=[0.25, 0.9], activation_beta=[0.45], c0=True),
        case("LSTM bidirectional ScaledTanh / Softplus per direction", "LSTM",
             direction="bidirectional",
             activations=["Sigmoid", "ScaledTanh", "Tanh", "HardSigmoid", "Tanh", "Softplus"],
             activation_alpha=[1.2, 0.2], activation_beta=[0.8, 0.5]),
        case("GRU Relu and LeakyRelu", "GRU", activations=["Sigmoid", "LeakyRelu"],
             activation_alpha=[0.1]),
        case("GRU bidirectional per-direction activations", "GRU", direction="bidirectional",
             activations=["Sigmoid", "Tanh", "HardSigmoid", "Softsign"]),
    ]
    # float64: ORT has no double kernels, so the reference is the expectation.
    for op in ("LSTM", "GRU", "RNN"):
        c = case(f"{op} float64 bidirectional sequence_lens", op, dtype=np.float64,
                 direction="bidirectional", lens=[3, 5], h0=True, c0=op == "LSTM",
                 peep=op == "LSTM", clip=2.0)
        c.expected = c.reference
        cases.append(c)
    c = case("GRU float64 linear_before_reset layout 1", "GRU", dtype=np.float64, layout=1,
             linear_before_reset=1, h0=True)
    c.expected = c.reference
    cases.append(c)
    return cases


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
        return None, run.stderr.strip()
    return [base.load_pb(os.path.join(out_dir, f"output_{k}.pb"))
            for k in range(len(case.outputs))], None


def check(case, d, inferd):
    problems = []
    want, ort_error = base.ort_outputs(d)
    if ort_error and case.expected is None:
        problems.append(f"ONNX Runtime refused it: {ort_error.splitlines()[0]}")
    elif not ort_error:
        # The reference against ONNX Runtime: it stands in for ORT where ORT cannot run.
        base.RTOL = RTOL_REFERENCE
        problems += [f"reference, output {k}: {p}" for k, (w, g) in
                     enumerate(zip(want, case.reference)) if (p := base.compare(w, g))]
        base.RTOL = RTOL
    if case.expected is not None:
        want = case.expected
    base.RTOL = RTOL
    for threads, isa in RUNS:
        got, error = run_inferd(inferd, case, d, threads, isa)
        label = f"{threads} thread(s), {isa or 'native'}"
        if error:
            problems.append(f"inferd ({label}) failed: {error.splitlines()[-1]}")
        elif want is not None:
            problems += [f"inferd ({label}), output {k}: {p}" for k, (w, g) in
                         enumerate(zip(want, got)) if (p := base.compare(w, g))]
    return problems


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    inferd, build_dir = sys.argv[1], sys.argv[2]
    node_path = base.ensure_ort(build_dir)
    cases = all_cases()
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        dirs = [os.path.join(tmp, f"case_{i:03d}") for i in range(len(cases))]
        manifest = [base.write_case(c, d) for c, d in zip(cases, dirs)]
        with open(os.path.join(tmp, "cases.json"), "w") as f:
            json.dump(manifest, f)
        subprocess.run(["node", os.path.join(base.HERE, "ort_run.js"), tmp], check=True,
                       env=dict(os.environ, NODE_PATH=node_path), stderr=subprocess.DEVNULL)
        for c, d in zip(cases, dirs):
            problems = check(c, d, inferd)
            print(f"{'FAIL' if problems else 'ok  '} {c.name}" +
                  "".join(f"\n     {p}" for p in problems), flush=True)
            failures += bool(problems)
    print(f"{len(cases) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
