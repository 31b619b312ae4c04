// The inputs ort_bench.js and ort_profile.js feed ONNX Runtime, the same
// as `inferd bench` makes: float tensors uniform in [0, 1) from one fixed
// sequence, integer tensors (an encoder's ids and mask) zero.
// shapes: 'NAME=d0,d1,...;NAME=...', one entry per model input.
function feedsFor(ort, session, shapes) {
  const dims = Object.fromEntries(shapes.split(';').map((s) => {
    const [name, d] = s.split('=');
    return [name, d.split(',').map(Number)];
  }));
  const feeds = {};
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
  return feeds;
}

module.exports = { feedsFor };
