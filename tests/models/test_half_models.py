#!/usr/bin/python3
"""Float16 and bfloat16 twins of exported float models, against ONNX Runtime.

usage: test_half_models.py INFERD BUILD_DIR MODEL_DIR... [--dtype float16|bfloat16] [--threads 1,2]

Each MODEL_DIR is a float model export_models.py wrote (model.onnx and
test_data_set_*). to_half() rewrites it as its half twin, the way a
converter does (onnxconverter-common's float16 conversion is not in
Debian): float initializers, Constants, graph inputs, outputs and
value_info become half, and Casts to float cast to half. Both the twin's
inputs (float ones rounded to half) go through `inferd run` and ONNX
Runtime (onnxruntime-node, which BUILD_DIR/ort holds); the test passes when
max|inferd - ort| <= TOL * max|ort| for every data set, at each of the
--threads counts (default 1): on two threads a batch may run as sub-batches
on one thread each, and the kernels' per-thread scratch differs. The tolerance is
that of half arithmetic: ORT and inferd accumulate in float but round at
different places (inferd keeps activations float, ORT rounds some to half
between its kernels).
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper, TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
TOL = {"float16": 2e-2, "bfloat16": 8e-2}
ORT_JS = r"""
const fs = require('fs');
const ort = require('onnxruntime-node');
const [model, spec, outDir] = process.argv.slice(2);
const ARRAYS = {float16: Uint16Array, bfloat16: Uint16Array, float32: Float32Array,
                int64: BigInt64Array, int32: Int32Array};
(async () => {
  const session = await ort.InferenceSession.create(model, {intraOpNumThreads: 1});
  for (const c of JSON.parse(fs.readFileSync(spec))) {
    const feeds = {};
    for (const i of c.inputs) {
      const b = new Uint8Array(fs.readFileSync(i.file)).buffer;
      feeds[i.name] = new ort.Tensor(i.type, new ARRAYS[i.type](b), i.dims);
    }
    const out = await session.run(feeds);
    const t = out[session.outputNames[0]];
    fs.writeFileSync(`${outDir}/${c.name}.bin`, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    fs.writeFileSync(`${outDir}/${c.name}.json`, JSON.stringify({type: t.type, dims: t.dims}));
  }
})().catch(e => { console.error(e.message); process.exit(1); });
"""


def half_bits(array, dtype):
    """The 16-bit patterns of a float array as float16 or bfloat16 (round to nearest even)."""
    if dtype == "float16":
        return np.asarray(array, dtype=np.float16).view(np.uint16)
    u = np.asarray(array, dtype=np.float32).view(np.uint32).astype(np.uint64)
    one, sh = np.uint64(1), np.uint64(16)
    return ((u + np.uint64(0x7FFF) + ((u >> sh) & one)) >> sh).astype(np.uint16)


def bits_float(bits, dtype):
    if dtype == "float16":
        return bits.view(np.float16).astype(np.float32)
    return (bits.astype(np.uint32) << np.uint32(16)).view(np.float32)


def half_tensor(t, dtype):
    code = TensorProto.FLOAT16 if dtype == "float16" else TensorProto.BFLOAT16
    out = TensorProto()
    out.name = t.name
    out.dims.extend(t.dims)
    out.data_type = code
    out.raw_data = half_bits(numpy_helper.to_array(t), dtype).tobytes()
    return out


def to_half(model, dtype):
    code = TensorProto.FLOAT16 if dtype == "float16" else TensorProto.BFLOAT16
    g = model.graph
    for i, t in enumerate(g.initializer):
        if t.data_type == TensorProto.FLOAT:
            g.initializer[i].CopyFrom(half_tensor(t, dtype))
    for v in list(g.input) + list(g.output) + list(g.value_info):
        if v.type.tensor_type.elem_type == TensorProto.FLOAT:
            v.type.tensor_type.elem_type = code
    for n in g.node:
        for a in n.attribute:
            if n.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT:
                a.i = code
            if a.type == onnx.AttributeProto.TENSOR and a.t.data_type == TensorProto.FLOAT:
                a.t.CopyFrom(half_tensor(a.t, dtype))
    return model


def load(path):
    return numpy_helper.to_array(onnx.load_tensor(path))


def compare(name, c, got_dir, work, dtype, code, threads):
    """True if inferd's output of case c (in got_dir) is within TOL of ORT's."""
    got_t = onnx.load_tensor(os.path.join(got_dir, "output_0.pb"))
    if got_t.data_type != code:
        print(f"{name} {c['name']}: inferd's output is type {got_t.data_type}, expected {code}")
        return False
    got = bits_float(np.frombuffer(got_t.raw_data, np.uint16), dtype).reshape(tuple(got_t.dims))
    meta = json.load(open(os.path.join(work, c["name"] + ".json")))
    want = bits_float(np.fromfile(os.path.join(work, c["name"] + ".bin"), np.uint16), dtype)
    want = want.reshape(meta["dims"])
    err = float(np.max(np.abs(got - want))) / max(float(np.max(np.abs(want))), 1e-30)
    good = got.shape == want.shape and err <= TOL[dtype]
    print(f"{name} {c['name']} ({threads} threads): shape {list(got.shape)}, "
          f"max|inferd - ort| / max|ort| = {err:.2e} ({'ok' if good else 'FAIL'}, "
          f"tolerance {TOL[dtype]})")
    return good


def check(inferd, node_path, model_dir, dtype, tmp, threads):
    name = os.path.basename(os.path.normpath(model_dir)) + "_" + dtype
    work = os.path.join(tmp, name)
    os.makedirs(work)
    model = to_half(onnx.load(os.path.join(model_dir, "model.onnx")), dtype)
    path = os.path.join(work, "model.onnx")
    onnx.save(model, path)
    code = TensorProto.FLOAT16 if dtype == "float16" else TensorProto.BFLOAT16
    cases, command = [], [inferd, "run", "--model", path]
    sets = sorted(glob.glob(os.path.join(model_dir, "test_data_set_*")))
    for s in sets:
        case = os.path.basename(s)
        data = os.path.join(work, case)
        os.makedirs(data)
        inputs = []
        for k, f in enumerate(sorted(glob.glob(os.path.join(s, "input_*.pb")))):
            t = onnx.load_tensor(f)
            if t.data_type == TensorProto.FLOAT:
                t = half_tensor(t, dtype)
            onnx.save_tensor(t, os.path.join(data, f"input_{k}.pb"))
            raw = os.path.join(data, f"input_{k}.bin")
            arr = numpy_helper.to_array(t) if t.data_type != code else np.frombuffer(t.raw_data, np.uint16)
            arr.tofile(raw)
            ort_type = {TensorProto.INT64: "int64", TensorProto.INT32: "int32", code: dtype}[t.data_type]
            inputs.append({"name": model.graph.input[k].name, "type": ort_type, "dims": list(t.dims),
                           "file": raw})
        cases.append({"name": case, "inputs": inputs})
        command += ["--input-dir", data]
    with open(os.path.join(work, "cases.json"), "w") as f:
        json.dump(cases, f)
    js = os.path.join(work, "ort.js")
    with open(js, "w") as f:
        f.write(ORT_JS)
    ort = subprocess.run(["node", js, path, os.path.join(work, "cases.json"), work],
                         env=dict(os.environ, NODE_PATH=node_path), stderr=subprocess.PIPE, text=True)
    if ort.returncode != 0:
        print(f"{name}: ONNX Runtime failed: {ort.stderr.strip()}")
        return False
    ok = True
    for t in threads:
        out = os.path.join(work, f"out_{t}")
        run = subprocess.run(command + ["--threads", str(t), "--output-dir", out],
                             stderr=subprocess.PIPE, text=True)
        if run.returncode != 0:
            print(f"{name}: inferd run --threads {t} exited {run.returncode}: {run.stderr.strip()}")
            ok = False
            continue
        for c in cases:
            ok &= compare(name, c, os.path.join(out, c["name"]) if len(cases) > 1 else out,
                          work, dtype, code, t)
    return ok


def main():
    args = sys.argv[1:]
    dtypes, threads = ["float16"], [1]
    if "--threads" in args:
        i = args.index("--threads")
        threads = [int(t) for t in args[i + 1].split(",")]
        del args[i:i + 2]
    if "--dtype" in args:
        i = args.index("--dtype")
        dtypes = [args[i + 1]]
        del args[i:i + 2]
    if len(args) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    inferd, build_dir, model_dirs = args[0], args[1], args[2:]
    node_path = os.path.join(build_dir, "ort", "node_modules")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for d in model_dirs:
            for dt in dtypes:
                ok &= check(inferd, node_path, d, dt, tmp, threads)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
