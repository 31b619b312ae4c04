// ONNX Runtime's time per op type on one model, the counterpart of
// `inferd bench --profile`: which kernels ORT spends its run in.
// usage: node ort_profile.js MODEL THREADS ITERATIONS 'NAME=d0,d1,...;NAME=...' [--nodes]
// (NODE_PATH must reach onnxruntime-node, as for ort_bench.js). Same inputs
// and session options as ort_bench.js; prints a table on stdout, ms per run.
// With --nodes the table has a row per node (ORT's name after its fusions,
// in run order) instead of per op type, to compare layer by layer.
const fs = require('fs');
const os = require('os');
const path = require('path');
const ort = require('onnxruntime-node');
const { feedsFor } = require('./ort_feeds');

const WARMUP_RUNS = 3;

async function main() {
  const [model, threads, iterations, shapes, mode] = process.argv.slice(2);
  const perNode = mode === '--nodes';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ort-profile-'));
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Number(threads),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    enableProfiling: true,
    profileFilePrefix: path.join(dir, 'profile'),
  });
  const feeds = feedsFor(ort, session, shapes);
  for (let i = 0; i < WARMUP_RUNS + Number(iterations); i++) await session.run(feeds);
  session.endProfiling();
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
  const events = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  fs.rmSync(dir, { recursive: true });
  // Node events of the warm-up runs come before the first timed run starts.
  const runStarts = events.filter((e) => e.cat === 'Session' && e.name === 'model_run')
    .map((e) => e.ts).sort((a, b) => a - b);
  const timedFrom = runStarts[WARMUP_RUNS];
  const byOp = new Map();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < timedFrom) continue;
    const op = perNode ? `${e.name.replace(/_kernel_time$/, '')} ${e.args.op_name}` : e.args.op_name;
    const t = byOp.get(op) || { us: 0, calls: 0 };
    t.us += e.dur;
    t.calls += 1;
    byOp.set(op, t);
  }
  const runs = Number(iterations);
  const total = [...byOp.values()].reduce((s, t) => s + t.us, 0);
  console.log(`${'op'.padEnd(28)} ${'ms/run'.padStart(10)} ${'share'.padStart(7)} ${'calls'.padStart(8)}`);
  // Per node in run order (Map keeps first-seen order), per op type by time.
  const rows = perNode ? [...byOp.entries()] : [...byOp.entries()].sort((a, b) => b[1].us - a[1].us);
  for (const [op, t] of rows) {
    console.log(`${op.padEnd(28)} ${(t.us / runs / 1000).toFixed(3).padStart(10)} ` +
                `${(100 * t.us / total).toFixed(1).padStart(6)}% ${String(t.calls / runs).padStart(8)}`);
  }
}

main().catch((e) => { console.error(e.message); process.exit(1); });
