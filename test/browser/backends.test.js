/**
 * Backend selection in headless Chromium, where the only WebGPU adapter is SwiftShader's fallback
 * adapter (shared/notes/platform.md). SEEDED RANDOM WEIGHTS, tiny 64² model (SwiftShader is slow).
 */
import { CLASSES4, assert, assertEqual, loadUmd, maxAbsDiff, randomModel, syntheticSlice } from './helpers.js';

const TINY = { depth: 3, baseChannels: 4, inputSize: 64, inChannels: 1, outChannels: 2, upsampling: 'transpose' };

describe('backend selection (seeded random weights)', () => {
  let tv;
  let model;
  before(async () => {
    tv = await loadUmd();
    model = await randomModel(tv, TINY, CLASSES4.slice(0, 2), 9);
  });

  it("'auto' declines the fallback (software) WebGPU adapter and binds wasm", async () => {
    const seg = await tv.Segmenter.create({ model, backend: 'auto' });
    try {
      const r = seg.backend;
      assertEqual(r.requested, 'auto', 'requested');
      assertEqual(r.backend, 'wasm', `backend (skipped: ${r.skipped.join('; ')})`);
      assertEqual(r.isFallbackAdapter, true, 'isFallbackAdapter');
      assert(typeof r.adapter === 'string' && r.adapter.length > 0, 'adapter described');
      assert(r.skipped.some((s) => /fallback/i.test(s)), `skipped mentions the fallback: ${JSON.stringify(r.skipped)}`);
      assertEqual(r.simd, true, 'simd');
    } finally {
      seg.close();
    }
  });

  it("forced 'webgpu' runs on the fallback adapter and matches wasm within 1e-4", async () => {
    const slice = syntheticSlice(64, 64, 4);
    const wasm = await tv.Segmenter.create({ model, backend: 'wasm' });
    const onWasm = await wasm.segment(slice);
    wasm.close();
    const gpu = await tv.Segmenter.create({ model, backend: 'webgpu' });
    try {
      assertEqual(gpu.backend.backend, 'webgpu', 'backend');
      assertEqual(gpu.backend.isFallbackAdapter, true, 'isFallbackAdapter');
      const onGpu = await gpu.segment(slice);
      for (let c = 0; c < 2; c++) {
        const d = maxAbsDiff(onGpu.classes[c].probabilities, onWasm.classes[c].probabilities);
        console.log(`webgpu vs wasm, class ${c}: max |Δp| = ${d.toExponential(2)}`);
        assert(d <= 1e-4, `class ${c}: max |Δp| = ${d}`);
      }
    } finally {
      gpu.close();
    }
  });

  it('an unknown backend name rejects with INVALID_OPTIONS', async () => {
    let code;
    try {
      await tv.Segmenter.create({ model, backend: 'tpu' });
    } catch (e) {
      code = e.code;
    }
    assertEqual(code, 'INVALID_OPTIONS', 'code');
  });
});
