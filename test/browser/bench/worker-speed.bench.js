/**
 * npm run bench:browser — ms per 256² slice in Chromium, wasm, for DEFAULT_UNET_CONFIG with
 * 4 classes and SEEDED RANDOM WEIGHTS (speed does not depend on the values). Median of 10 after
 * 3 warm-up calls, through the worker (round trip, including cloning and transfer) and on the
 * main thread. The numbers go to the browser log.
 */
import { createWorkerSegmenter } from '/dist/tvunet-worker-client.mjs';
import { CLASSES4, ctSlice, loadUmd, median, randomModel, syntheticSlice } from '../helpers.js';

const WARMUP = 3;
const RUNS = 10;

async function time(label, segment, input) {
  for (let i = 0; i < WARMUP; i++) await segment(input());
  const wall = [];
  const infer = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = await segment(input());
    wall.push(performance.now() - t0);
    infer.push(r.timings.inferenceMs);
  }
  console.log(`${label}: median ${median(wall).toFixed(1)} ms per slice (inference ${median(infer).toFixed(1)} ms; min ${Math.min(...wall).toFixed(1)}, max ${Math.max(...wall).toFixed(1)})`);
}

describe('speed (seeded random weights)', () => {
  it('DEFAULT_UNET_CONFIG, 4 classes, 256² slices, wasm: worker vs main thread', async () => {
    const tv = await loadUmd();
    const config = { ...tv.DEFAULT_UNET_CONFIG, outChannels: 4 };
    console.log(`config ${JSON.stringify(config)}, ${(tv.forwardFlops(config) / 1e9).toFixed(2)} GFLOP per slice, hardwareConcurrency ${navigator.hardwareConcurrency}`);
    const model = await randomModel(tv, config, CLASSES4, 1, 'uint8');
    const slice = syntheticSlice(256, 256, 3);
    const fresh = () => ({ ...slice, data: slice.data.slice() });

    const remote = await createWorkerSegmenter({ model, backend: 'wasm' });
    try {
      await time('worker, RawSlice 256² (copied)', (x) => remote.segment(x), fresh);
      await time('worker, RawSlice 256² (transfer: true)', (x) => remote.segment(x, { transfer: true }), fresh);
      const bitmap = await ctSlice();
      if (bitmap) await time(`worker, real CT ImageBitmap ${bitmap.width}×${bitmap.height} (resized to 256²)`, (x) => remote.segment(x), () => bitmap);
    } finally {
      await remote.close();
    }
    const local = await tv.Segmenter.create({ model, backend: 'wasm' });
    try {
      await time('main thread, RawSlice 256²', (x) => local.segment(x), fresh);
    } finally {
      local.close();
    }
  });
});
