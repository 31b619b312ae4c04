// Times ONNX Runtime (onnxruntime-node) on one model, for bench_ort.py.
// usage: node ort_bench.js MODEL THREADS ITERATIONS WARMUP 'NAME=d0,d1,...;NAME=...'
// Inputs: float tensors uniform in [0, 1), integer tensors zero (as inferd bench).
// Prints one JSON line: {"median": ms, "min": ms}.
const ort = require('onnxruntime-node');

async function main() {
  const [model, threads, iterations, warmup, shapes] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Number(threads),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
  const feeds = {};
  const dims = Object.fromEntries(shapes.split(';').map((s) => {
    const [name, d] = s.split('=');
    return [name, d.split(',').map(Number)];
  }));
  for (const name of session.inputNames) {
    const shape = dims[name];
    const count = shape.reduce((a, b) => a * b, 1);
    const meta = session.inputMetadata ? session.inputMetadata.find((m) => m.name === name) : null;
    const type = meta && meta.type ? meta.type : (name.includes('ids') || name.includes('mask') ? 'int64' : 'float32');
    if (type === 'int64') {
      feeds[name] = new ort.Tensor('int64', new BigInt64Array(count), shape);
    } else {
      const data = new Float32Array(count);
      let seed = 42;
      for (let i = 0; i < count; i++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        data[i] = ((seed >>> 8) & 0xffff) / 65536;
      }
      feeds[name] = new ort.Tensor('float32', data, shape);
    }
  }
  for (let i = 0; i < Number(warmup); i++) await session.run(feeds);
  const times = [];
  for (let i = 0; i < Number(iterations); i++) {
    const start = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ median: times[Math.floor(times.length / 2)], min: times[0] }));
}

main().catch((e) => { console.error(e.message); process.exit(1); });
