#!/usr/bin/python3
"""A small int8 quantizer for the tests and benchmarks (onnxruntime's Python
quantizer is not in Debian). Written with onnx.helper and numpy.

Static (QDQ form, what quantization tools emit):
  - every Conv, Gemm and MatMul whose weights are an initializer is
    quantized: weights int8, symmetric, per output channel (scale
    max|w| / 127, zero point 0); a Conv's or Gemm's bias int32 with the
    scale x_scale * w_scale, zero point 0;
  - the activation each of them reads gets QuantizeLinear ->
    DequantizeLinear (uint8, asymmetric, range from calibration), and with
    quantize_outputs (CNNs) so does its output, or the output of the Relu
    that follows it (DequantizeLinear -> Conv -> Relu -> QuantizeLinear);
    graph outputs stay float.
  Calibration runs the float model in ONNX Runtime (ort_run.js) on the
  calibration inputs with every activation to quantize as an extra output,
  and takes each one's min and max (0 always in range).

Dynamic (what onnxruntime's quantize_dynamic emits for MatMul):
  MatMul(x, W) -> DynamicQuantizeLinear(x) -> MatMulInteger(xq, Wq, xz) ->
  Cast(float) -> Mul(x_scale * w_scale), W int8 per tensor, symmetric.

usage: quantize_qdq.py static|dynamic MODEL.onnx OUT.onnx [--calib DIR ...] [--build BUILD]
       (--calib: test_data_set folders whose input_<i>.pb are the calibration inputs)
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnx.numpy_helper
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "conformance"))
import test_opsets_18_21 as ortio  # noqa: E402  (ONNX Runtime plumbing)

QUANTIZABLE = ("Conv", "Gemm", "MatMul")


def initializers(model):
    return {t.name: t for t in model.graph.initializer}


def weight_axis(node):
    """The output-channel axis of the weights (input 1)."""
    if node.op_type == "Conv":
        return 0
    if node.op_type == "Gemm":
        trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
        return 0 if trans_b else 1
    return 1


def targets(model):
    """Indices of the nodes to quantize."""
    inits = initializers(model)
    found = []
    for at, node in enumerate(model.graph.node):
        if node.op_type not in QUANTIZABLE or len(node.input) < 2 or node.input[1] not in inits:
            continue
        if node.op_type == "MatMul" and len(inits[node.input[1]].dims) != 2:
            continue
        if node.op_type == "Gemm" and any(a.name == "transA" and a.i for a in node.attribute):
            continue
        found.append(at)
    return found


def consumers(model):
    out = {}
    for node in model.graph.node:
        for name in node.input:
            out.setdefault(name, []).append(node)
    return out


def activations_to_quantize(model, quantize_outputs):
    graph_outputs = {o.name for o in model.graph.output}
    users = consumers(model)
    names = []
    for at in targets(model):
        node = model.graph.node[at]
        names.append(node.input[0])
        if not quantize_outputs:
            continue
        out = node.output[0]
        after = users.get(out, [])
        if len(after) == 1 and after[0].op_type == "Relu":
            out = after[0].output[0]
        if out not in graph_outputs:
            names.append(out)
    seen, unique = set(), []
    for n in names:
        if n not in seen and n not in initializers(model):
            seen.add(n)
            unique.append(n)
    return unique


def load_inputs(folder, model):
    inputs = {}
    for i, inp in enumerate(model.graph.input):
        path = os.path.join(folder, f"input_{i}.pb")
        if inp.name in initializers(model) or not os.path.exists(path):
            continue
        t = TensorProto()
        with open(path, "rb") as f:
            t.ParseFromString(f.read())
        inputs[inp.name] = onnx.numpy_helper.to_array(t)
    return inputs


def run_ort(model, feeds_list, build_dir):
    """ONNX Runtime's outputs (name -> array) for each feed dict."""
    node_path = ortio.ensure_ort(build_dir)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        manifest = []
        for k, feeds in enumerate(feeds_list):
            d = os.path.join(tmp, f"case_{k}")
            os.makedirs(d)
            with open(os.path.join(d, "model_ort.onnx"), "wb") as f:
                f.write(model.SerializeToString())
            specs = []
            for i, (name, a) in enumerate(feeds.items()):
                a.tofile(os.path.join(d, f"input_{i}.bin"))
                specs.append({"name": name, "type": ortio.NP_TO_ORT[a.dtype.type],
                              "dims": list(a.shape), "file": f"input_{i}.bin"})
            manifest.append({"dir": d, "inputs": specs})
        with open(os.path.join(tmp, "cases.json"), "w") as f:
            json.dump(manifest, f)
        subprocess.run(["node", os.path.join(ortio.HERE, "ort_run.js"), tmp], check=True,
                       env=dict(os.environ, NODE_PATH=node_path))
        for m in manifest:
            outs, error = ortio.ort_outputs(m["dir"])
            if error:
                raise RuntimeError(f"ONNX Runtime: {error}")
            with open(os.path.join(m["dir"], "ort", "outputs.json")) as f:
                names = [s["name"] for s in json.load(f)]
            results.append(dict(zip(names, outs)))
    return results


def calibrate(model, names, feeds_list, build_dir):
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    have = {o.name for o in probe.graph.output}
    for n in names:
        if n not in have:
            probe.graph.output.append(helper.make_tensor_value_info(n, TensorProto.FLOAT, None))
    ranges = {}
    for outs in run_ort(probe, feeds_list, build_dir):
        for n in names:
            lo, hi = float(outs[n].min()), float(outs[n].max())
            old = ranges.get(n, (0.0, 0.0))
            ranges[n] = (min(old[0], lo), max(old[1], hi))
    return ranges


def uint8_params(lo, hi):
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = np.float32((hi - lo) / 255.0 if hi > lo else 1.0)
    zp = int(np.clip(np.rint(-lo / scale), 0, 255))
    return scale, np.uint8(zp)


def quantize_weights(w, axis):
    """int8 symmetric per channel along axis: (q, scale[channels])."""
    moved = np.moveaxis(w, axis, 0).reshape(w.shape[axis], -1)
    scale = (np.abs(moved).max(axis=1) / 127.0).astype(np.float32)
    scale[scale == 0] = 1.0
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.rint(w / scale.reshape(shape)), -127, 127).astype(np.int8)
    return q, scale


def quantize_static(model, feeds_list, build_dir, quantize_outputs):
    inits = initializers(model)
    names = activations_to_quantize(model, quantize_outputs)
    ranges = calibrate(model, names, feeds_list, build_dir)
    new_inits = [t for t in model.graph.initializer]
    act = {}  # activation -> (scale, zp, dq name)
    for n in names:
        s, z = uint8_params(*ranges[n])
        new_inits += [onnx.numpy_helper.from_array(np.array(s, np.float32), f"{n}_qs"),
                      onnx.numpy_helper.from_array(np.array(z, np.uint8), f"{n}_qz")]
        act[n] = (s, z, f"{n}_dq")

    def qdq_nodes(n):
        return [helper.make_node("QuantizeLinear", [n, f"{n}_qs", f"{n}_qz"], [f"{n}_q"]),
                helper.make_node("DequantizeLinear", [f"{n}_q", f"{n}_qs", f"{n}_qz"],
                                 [f"{n}_dq"])]

    nodes = []
    graph_inputs = {i.name for i in model.graph.input}
    for n in names:
        if n in graph_inputs:
            nodes += qdq_nodes(n)
    target_ids = set(targets(model))
    for at, node in enumerate(model.graph.node):
        rewired = helper.make_node(node.op_type, list(node.input), list(node.output),
                                   name=node.name)
        rewired.attribute.extend(node.attribute)
        rewired.domain = node.domain
        for k, name in enumerate(rewired.input):
            if name in act:
                rewired.input[k] = act[name][2]
        if at in target_ids:
            axis = weight_axis(node)
            w = onnx.numpy_helper.to_array(inits[node.input[1]]).astype(np.float32)
            q, ws = quantize_weights(w, axis)
            wn = node.input[1]
            new_inits += [onnx.numpy_helper.from_array(q, f"{wn}_q8"),
                          onnx.numpy_helper.from_array(ws, f"{wn}_ws"),
                          onnx.numpy_helper.from_array(np.zeros(ws.shape, np.int8), f"{wn}_wz")]
            nodes.append(helper.make_node("DequantizeLinear", [f"{wn}_q8", f"{wn}_ws", f"{wn}_wz"],
                                          [f"{wn}_wdq"], axis=axis))
            rewired.input[1] = f"{wn}_wdq"
            if node.op_type in ("Conv", "Gemm") and len(node.input) > 2 and \
                    node.input[2] in inits and node.input[0] in act:
                b = onnx.numpy_helper.to_array(inits[node.input[2]]).astype(np.float32)
                if b.ndim == 1 and b.shape[0] == ws.shape[0]:
                    bs = (act[node.input[0]][0] * ws).astype(np.float32)
                    bq = np.rint(b / bs).astype(np.int32)
                    bn = node.input[2]
                    new_inits += [onnx.numpy_helper.from_array(bq, f"{bn}_q32"),
                                  onnx.numpy_helper.from_array(bs, f"{bn}_bs")]
                    nodes.append(helper.make_node("DequantizeLinear", [f"{bn}_q32", f"{bn}_bs"],
                                                  [f"{bn}_bdq"], axis=0))
                    rewired.input[2] = f"{bn}_bdq"
        nodes.append(rewired)
        for out in node.output:
            if out in act:
                nodes += qdq_nodes(out)
    return finish(model, nodes, new_inits)


def quantize_dynamic(model):
    inits = initializers(model)
    new_inits = [t for t in model.graph.initializer]
    nodes = []
    targets_ids = {at for at in targets(model) if model.graph.node[at].op_type == "MatMul"}
    for at, node in enumerate(model.graph.node):
        if at not in targets_ids:
            nodes.append(node)
            continue
        x, wn, y = node.input[0], node.input[1], node.output[0]
        w = onnx.numpy_helper.to_array(inits[wn]).astype(np.float32)
        ws = np.float32(max(float(np.abs(w).max()) / 127.0, 1e-12))
        q = np.clip(np.rint(w / ws), -127, 127).astype(np.int8)
        new_inits += [onnx.numpy_helper.from_array(q, f"{wn}_q8"),
                      onnx.numpy_helper.from_array(np.array(ws, np.float32), f"{wn}_ws"),
                      onnx.numpy_helper.from_array(np.array(0, np.int8), f"{wn}_wz")]
        p = f"{y}_dyn"
        nodes += [
            helper.make_node("DynamicQuantizeLinear", [x], [f"{p}_xq", f"{p}_xs", f"{p}_xz"]),
            helper.make_node("MatMulInteger", [f"{p}_xq", f"{wn}_q8", f"{p}_xz", f"{wn}_wz"],
                             [f"{p}_acc"]),
            helper.make_node("Cast", [f"{p}_acc"], [f"{p}_accf"], to=TensorProto.FLOAT),
            helper.make_node("Mul", [f"{p}_xs", f"{wn}_ws"], [f"{p}_scale"]),
            helper.make_node("Mul", [f"{p}_accf", f"{p}_scale"], [y]),
        ]
    return finish(model, nodes, new_inits)


def finish(model, nodes, new_inits):
    used = {n for node in nodes for n in node.input}
    graph = helper.make_graph(nodes, model.graph.name, list(model.graph.input),
                              list(model.graph.output),
                              [t for t in new_inits if t.name in used])
    out = helper.make_model(graph, opset_imports=list(model.opset_import),
                            ir_version=model.ir_version, producer_name="inferd quantize_qdq")
    # Graph inputs that name initializers (old exporters) lose them once unused.
    keep = [i for i in out.graph.input if i.name in used or
            i.name not in {t.name for t in model.graph.initializer}]
    del out.graph.input[:]
    out.graph.input.extend(keep)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["static", "dynamic"])
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--calib", nargs="*", default=[])
    ap.add_argument("--build", default=os.path.join(os.path.dirname(os.path.dirname(HERE)),
                                                    "build"))
    ap.add_argument("--outputs", action="store_true", help="quantize outputs too (CNNs)")
    args = ap.parse_args()
    model = onnx.load(args.model)
    if args.mode == "static":
        feeds = [load_inputs(d, model) for d in args.calib]
        q = quantize_static(model, feeds, args.build, args.outputs)
    else:
        q = quantize_dynamic(model)
    onnx.save(q, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
