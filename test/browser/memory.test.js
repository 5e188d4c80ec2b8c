/** No tensor leaks on the main thread. SEEDED RANDOM WEIGHTS, 64² model. */
import { assertEqual, loadUmd, randomModel, syntheticSlice } from './helpers.js';

describe('tensor bookkeeping (seeded random weights)', () => {
  it('tensorCount() is unchanged after 100 segmentations (and after bad input)', async () => {
    const tv = await loadUmd();
    const config = { depth: 3, baseChannels: 4, inputSize: 64, inChannels: 1, outChannels: 1, upsampling: 'transpose' };
    const model = await randomModel(tv, config, [{ name: 'infection', threshold: 0.5 }], 17);
    const seg = await tv.Segmenter.create({ model, backend: 'wasm' });
    try {
      await seg.segment(syntheticSlice(64, 64)); // warm-up
      const before = tv.tensorCount();
      for (let i = 0; i < 100; i++) await seg.segment(syntheticSlice(48 + (i % 5) * 8, 64, i));
      for (const bad of [{ data: new Float32Array(3), width: 2, height: 2, kind: 'hu' }, 'x']) {
        await seg.segment(bad).then(
          () => Promise.reject(new Error('bad input accepted')),
          (e) => assertEqual(e.code, 'INVALID_INPUT', 'bad input code'),
        );
      }
      assertEqual(tv.tensorCount(), before, 'live tensors after 100 calls');
    } finally {
      seg.close();
    }
    assertEqual(tv.tensorCount(), 0, 'live tensors after close()');
  });
});
