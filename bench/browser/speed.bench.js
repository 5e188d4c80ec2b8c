/**
 * Browser half of `npm run bench` (run through bench/browser.ts): headless Chromium, the built
 * bundles, the benchmark's model. Prints one `TVUNET_BENCH_RESULT {json}` line to the browser log:
 * the WebGPU adapter, cold start (worker create → first result, first and second time), and ms
 * per slice at the model's input size on WASM: this thread, one worker, a pool of
 * hardwareConcurrency workers.
 */
import { createWorkerSegmenter } from '/dist/tvunet-worker-client.mjs';
import { loadUmd } from '/test/browser/helpers.js';

const MODEL_URL = '/__bench__/model/model.json';

function summarize(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const medianMs = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  const p95Ms = s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)];
  return { n: s.length, medianMs, p95Ms, minMs: s[0], meanMs: s.reduce((a, b) => a + b, 0) / s.length };
}

/** A side×side HU slice (Int16): a body disc with two darker lungs and deterministic noise. */
function huSlice(side) {
  const data = new Int16Array(side * side);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const body = ((x - side / 2) / (side * 0.45)) ** 2 + ((y - side / 2) / (side * 0.35)) ** 2 <= 1;
      const lung = Math.abs(Math.abs(x - side / 2) - side * 0.2) < side * 0.13 && Math.abs(y - side / 2) < side * 0.28;
      data[y * side + x] = (lung ? -850 : body ? 40 : -1000) + (((x * 7 + y * 13) * 2654435761) >>> 27);
    }
  }
  return { data, width: side, height: side, kind: 'hu' };
}
const copy = (s) => ({ ...s, data: s.data.slice() });

async function timeCalls(fn, warmup, runs) {
  for (let i = 0; i < warmup; i++) await fn();
  const out = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

async function probeWebGpu() {
  if (!navigator.gpu) return { found: false, why: 'navigator.gpu is missing' };
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) return { found: false, why: 'requestAdapter() returned null' };
  const info = adapter.info ?? {};
  return { found: true, isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false, description: [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') };
}

async function coldStart(side) {
  const t0 = performance.now();
  const seg = await createWorkerSegmenter({ model: MODEL_URL, backend: 'wasm' });
  const t1 = performance.now();
  await seg.segment(huSlice(side), { transfer: true });
  const t2 = performance.now();
  await seg.close();
  return { createMs: t1 - t0, firstSegmentMs: t2 - t1, totalMs: t2 - t0 };
}

describe('tvunet benchmark (Chromium)', () => {
  it('measures', async () => {
    const params = await (await fetch('/__bench__/params.json')).json();
    const runs = params.runs ?? 10;
    const result = { userAgent: navigator.userAgent, hardwareConcurrency: navigator.hardwareConcurrency, crossOriginIsolated };
    result.webgpu = await probeWebGpu();

    // Cold start first, before anything is cached or compiled in this fresh profile.
    result.coldStart = { first: await coldStart(512), second: await coldStart(512) };

    const tv = await loadUmd();
    const manifest = await (await fetch(MODEL_URL)).json();
    const size = manifest.architecture.inputSize;
    result.forwardFlops = tv.forwardFlops(manifest.architecture);
    const slice = huSlice(size);

    const tMain = performance.now();
    const local = await tv.Segmenter.create({ model: MODEL_URL, backend: 'wasm' });
    await local.segment(slice);
    result.coldStart.mainThread = { totalMs: performance.now() - tMain };
    result.mainThread = summarize(await timeCalls(() => local.segment(slice), 3, runs));
    local.close();

    const one = await createWorkerSegmenter({ model: MODEL_URL, backend: 'wasm' });
    result.worker = summarize(await timeCalls(() => one.segment(copy(slice), { transfer: true }), 3, runs));
    await one.close();

    const poolSize = navigator.hardwareConcurrency;
    const pool = await Promise.all(Array.from({ length: poolSize }, () => createWorkerSegmenter({ model: MODEL_URL, backend: 'wasm' })));
    const runPool = async (count) => {
      let next = 0;
      const perCall = [];
      const t0 = performance.now();
      await Promise.all(pool.map(async (w) => {
        for (let i = next++; i < count; i = next++) {
          const ts = performance.now();
          await w.segment(copy(slice), { transfer: true });
          perCall.push(performance.now() - ts);
        }
      }));
      return { perCall, wallMs: performance.now() - t0 };
    };
    await runPool(2 * poolSize);
    const slices = Math.max(runs, 4 * poolSize);
    const pooled = await runPool(slices);
    result.pool = { size: poolSize, slices, ...summarize(pooled.perCall), perSliceMs: pooled.wallMs / slices };
    await Promise.all(pool.map((w) => w.close()));

    console.log(`TVUNET_BENCH_RESULT ${JSON.stringify(result)}`);
  });
});
