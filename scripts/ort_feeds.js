// The inputs ort_bench.js and ort_profile.js feed ONNX Runtime, the same
// as `inferd bench` makes: float tensors uniform in [0, 1) from one fixed
// sequence, integer tensors (an encoder's ids and mask) zero.
// shapes: 'NAME=d0,d1,...;NAME=...', one entry per model input. A float16
// input gets the same values rounded to float16 (a half model's twin).
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

// The float16 bits of x, rounded to nearest even (finite inputs in [0, 1) here).
function f16Bits(x) {
  f32[0] = x;
  const u = u32[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  let mant = u & 0x7fffff;
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    let h = mant >>> shift;
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (exp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  return sign | h;
}

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
      if (type === 'float16') {
        feeds[name] = new ort.Tensor('float16', Uint16Array.from(data, f16Bits), shape);
      } else {
        feeds[name] = new ort.Tensor('float32', data, shape);
      }
    }
  }
  return feeds;
}

module.exports = { feedsFor };
