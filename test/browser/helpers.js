/** Shared by the browser tests. Models here have SEEDED RANDOM WEIGHTS, never trained ones. */

export const CLASSES4 = [
  { name: 'infection', threshold: 0.5 },
  { name: 'ground-glass', threshold: 0.5 },
  { name: 'consolidation', threshold: 0.5 },
  { name: 'lungs', threshold: 0.5 },
];

/** Loads dist/tvunet.umd.js with a classic <script> tag (once per page) and returns `window.tvunet`. */
export function loadUmd() {
  if (window.tvunet) return Promise.resolve(window.tvunet);
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = '/dist/tvunet.umd.js';
    s.onload = () => resolve(window.tvunet);
    s.onerror = () => reject(new Error('could not load /dist/tvunet.umd.js (run npm run build)'));
    document.head.appendChild(s);
  });
}

/** mulberry32 */
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A model with seeded random weights (He-uniform kernels, small biases), encoded in the page with
 * the bundle's `encodeModel`: `{ manifest, shards }`.
 */
export async function randomModel(tv, config, classes, seed, dtype = 'float32') {
  const rand = prng(seed);
  const named = new Map(
    tv.parameterSpecs(config).map((spec) => {
      const n = spec.shape.reduce((a, b) => a * b, 1);
      const limit = spec.fanIn ? Math.sqrt(6 / spec.fanIn) : 0.1;
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = (2 * rand() - 1) * limit;
      return [spec.name, { shape: spec.shape, data }];
    }),
  );
  return tv.encodeModel(named, { name: `seeded-random-${seed}`, architecture: config, classes }, { dtype });
}

/** A real CT slice (see web-test-runner.config.mjs) as an ImageBitmap, or null when none is available. */
export async function ctSlice() {
  const res = await fetch('/__tvunet__/ct-slice.jpg');
  if (!res.ok) return null;
  console.log(`CT slice from ${res.headers.get('X-Tvunet-Source')}`);
  return createImageBitmap(await res.blob());
}

/** A display-range slice with structure (a bright disc on noise), as a RawSlice. */
export function syntheticSlice(width, height, seed = 1) {
  const rand = prng(seed);
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = Math.hypot(x - width * 0.6, y - height * 0.4);
      data[y * width + x] = Math.min(255, (d < width / 5 ? 180 : 40) + 30 * rand());
    }
  }
  return { data, width, height, kind: 'display' };
}

export function assert(cond, message) {
  if (!cond) throw new Error(message ?? 'assertion failed');
}

export function assertEqual(actual, expected, message) {
  if (actual !== expected) throw new Error(`${message ?? 'values differ'}: expected ${String(expected)}, got ${String(actual)}`);
}

export function maxAbsDiff(a, b) {
  assertEqual(a.length, b.length, 'lengths');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Awaits `promise`, expecting a rejection whose `code` is `code`; returns the error. */
export async function rejection(promise, code) {
  try {
    await promise;
  } catch (e) {
    assertEqual(e?.code, code, `error code (message: ${e?.message})`);
    return e;
  }
  throw new Error(`expected a rejection with code ${code}`);
}

export function checkResult(result, width, height, nClasses) {
  assertEqual(result.width, width, 'result width');
  assertEqual(result.height, height, 'result height');
  assertEqual(result.classes.length, nClasses, 'classes');
  for (const c of result.classes) {
    assert(c.probabilities instanceof Float32Array, 'probabilities is a Float32Array');
    assert(c.mask instanceof Uint8Array, 'mask is a Uint8Array');
    assertEqual(c.probabilities.length, width * height, `${c.name} probabilities length`);
    assertEqual(c.mask.length, width * height, `${c.name} mask length`);
    for (let i = 0; i < c.mask.length; i++) {
      const p = c.probabilities[i];
      if (!(p >= 0 && p <= 1)) throw new Error(`${c.name}: probability ${p} at ${i} outside [0, 1]`);
      if (c.mask[i] !== 0 && c.mask[i] !== 1) throw new Error(`${c.name}: mask value ${c.mask[i]} at ${i}`);
    }
  }
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
