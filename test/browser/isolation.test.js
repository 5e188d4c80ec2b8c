/** The test server sends COOP/COEP (web-test-runner.config.mjs): threads would be allowed. SEEDED RANDOM WEIGHTS. */
import { createWorkerSegmenter } from '/dist/tvunet-worker-client.mjs';
import { assert, assertEqual, loadUmd, randomModel } from './helpers.js';

describe('cross-origin isolated page (seeded random weights)', () => {
  it('crossOriginIsolated is true and the wasm report states its thread count (main thread and worker)', async () => {
    assertEqual(globalThis.crossOriginIsolated, true, 'crossOriginIsolated');
    assertEqual(typeof SharedArrayBuffer, 'function', 'SharedArrayBuffer');
    const tv = await loadUmd();
    const config = { depth: 2, baseChannels: 4, inputSize: 32, inChannels: 1, outChannels: 1, upsampling: 'transpose' };
    const model = await randomModel(tv, config, [{ name: 'infection', threshold: 0.5 }], 1);
    const seg = await tv.Segmenter.create({ model, backend: 'wasm' });
    const remote = await createWorkerSegmenter({ model, backend: 'wasm' });
    try {
      for (const [where, r] of [['main thread', seg.backend], ['worker', remote.backend]]) {
        assert(Number.isInteger(r.threads) && r.threads >= 1, `${where}: threads reported (${r.threads})`);
        console.log(`${where}: wasm threads = ${r.threads} (tfjs 4.22 stays at 1 even when isolated; see platform.md)`);
        assertEqual(r.threads, 1, `${where}: threads`);
      }
    } finally {
      seg.close();
      await remote.close();
    }
  });
});
