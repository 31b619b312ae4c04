// Runs ONNX Runtime (onnxruntime-node) on the cases test_opsets_18_21.py
// wrote, one session per case, for that test to compare with inferd.
// usage: node ort_run.js DIR  (NODE_PATH must reach onnxruntime-node)
// DIR/cases.json: [{"dir": "...", "inputs": [{"name", "type", "dims", "file"}]}],
// each file the raw little-endian elements; the model is <dir>/model_ort.onnx. For every case the script writes
// <dir>/ort/outputs.json ([{"name", "type", "dims", "file"}]) and the raw
// outputs beside it, or <dir>/ort/error.txt when ONNX Runtime refuses it.
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

const ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

function readTensor(dir, spec) {
  const bytes = fs.readFileSync(path.join(dir, spec.file));
  const copy = new Uint8Array(bytes).buffer; // aligned for the typed array
  return new ort.Tensor(spec.type, new ARRAYS[spec.type](copy), spec.dims);
}

async function runCase(c) {
  const out = path.join(c.dir, 'ort');
  fs.mkdirSync(out, { recursive: true });
  try {
    const session = await ort.InferenceSession.create(path.join(c.dir, 'model_ort.onnx'), {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
    });
    const feeds = {};
    for (const spec of c.inputs) feeds[spec.name] = readTensor(c.dir, spec);
    const results = await session.run(feeds);
    const specs = session.outputNames.map((name, i) => {
      const t = results[name];
      const data = t.data;
      const file = `output_${i}.bin`;
      fs.writeFileSync(path.join(out, file), Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      return { name, type: t.type, dims: t.dims, file };
    });
    fs.writeFileSync(path.join(out, 'outputs.json'), JSON.stringify(specs));
  } catch (e) {
    fs.writeFileSync(path.join(out, 'error.txt'), String(e.message));
  }
}

async function main() {
  const cases = JSON.parse(fs.readFileSync(path.join(process.argv[2], 'cases.json')));
  for (const c of cases) await runCase(c);
}

main().catch((e) => { console.error(e.message); process.exit(1); });
