// Times ONNX Runtime (onnxruntime-node) on one model, for bench_ort.py.
// usage: node ort_bench.js MODEL THREADS ITERATIONS WARMUP 'NAME=d0,d1,...;NAME=...'
// Inputs: see ort_feeds.js (the same as inferd bench).
// Prints one JSON line: {"median": ms, "min": ms}.
const ort = require('onnxruntime-node');
const { feedsFor } = require('./ort_feeds');

async function main() {
  const [model, threads, iterations, warmup, shapes] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Number(threads),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
  const feeds = feedsFor(ort, session, shapes);
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
