/**
 * tvunet/worker in Chromium, from the built dist/ bundles. All models have SEEDED RANDOM WEIGHTS.
 * The main-thread reference is the <script> (UMD) build.
 */
import { TvunetError, createWorkerSegmenter } from '/dist/tvunet-worker-client.mjs';
import { createWorkerSegmenter as createInlineWorkerSegmenter } from '/dist/tvunet-worker-inline.mjs';
import { CLASSES4, assert, assertEqual, checkResult, ctSlice, loadUmd, maxAbsDiff, randomModel, rejection, syntheticSlice } from './helpers.js';

const SMALL = { depth: 3, baseChannels: 4, inputSize: 64, inChannels: 1, outChannels: 2, upsampling: 'transpose' };

describe('worker segmenter (seeded random weights)', function () {
  let tv;
  let smallModel;
  before(async () => {
    tv = await loadUmd();
    smallModel = await randomModel(tv, SMALL, CLASSES4.slice(0, 2), 5);
  });

  it('segments a real CT slice end to end like the main-thread Segmenter (seeded random weights, 256² depth 4 base 8, 4 classes)', async function () {
    const bitmap = await ctSlice();
    if (!bitmap) {
      console.warn('SKIPPED: no CT slice (../shared/data missing and no JPG in test/fixtures/covid-semiseg/Imgs/)');
      this.skip();
    }
    const config = { ...tv.DEFAULT_UNET_CONFIG, outChannels: 4 };
    const model = await randomModel(tv, config, CLASSES4, 42);
    const remote = await createWorkerSegmenter({ model, backend: 'wasm' });
    const local = await tv.Segmenter.create({ model, backend: 'wasm' });
    try {
      assertEqual(remote.backend.backend, 'wasm', 'worker backend');
      assertEqual(remote.manifest.name, 'seeded-random-42', 'manifest name');
      const [a, b] = [await remote.segment(bitmap), await local.segment(bitmap)];
      checkResult(a, bitmap.width, bitmap.height, 4);
      for (let c = 0; c < 4; c++) {
        const d = maxAbsDiff(a.classes[c].probabilities, b.classes[c].probabilities);
        assert(d <= 1e-5, `${a.classes[c].name}: worker vs main thread max |Δp| = ${d}`);
      }
      assert(bitmap.width > 0, 'the bitmap is copied, not transferred, by default');
    } finally {
      await remote.close();
      local.close();
    }
  });

  it('accepts a canvas (sent as an ImageBitmap) and ImageData', async () => {
    const remote = await createWorkerSegmenter({ model: smallModel, backend: 'wasm' });
    try {
      const canvas = document.createElement('canvas');
      canvas.width = 50;
      canvas.height = 40;
      const ctx = canvas.getContext('2d');
      ctx.fillStyle = '#222';
      ctx.fillRect(0, 0, 50, 40);
      ctx.fillStyle = '#ddd';
      ctx.fillRect(10, 10, 20, 15);
      const fromCanvas = await remote.segment(canvas);
      checkResult(fromCanvas, 50, 40, 2);
      const fromImageData = await remote.segment(ctx.getImageData(0, 0, 50, 40));
      assert(maxAbsDiff(fromCanvas.classes[0].probabilities, fromImageData.classes[0].probabilities) <= 1e-6, 'canvas and ImageData agree');
      const handedOver = ctx.getImageData(0, 0, 50, 40);
      const fromTransferred = await remote.segment(handedOver, { transfer: true });
      assertEqual(handedOver.data.length, 0, 'transferred ImageData buffer is detached');
      assert(maxAbsDiff(fromCanvas.classes[0].probabilities, fromTransferred.classes[0].probabilities) <= 1e-6, 'transferred ImageData agrees');
      const bitmap = await createImageBitmap(canvas);
      const fromBitmap = await remote.segment(bitmap, { transfer: true });
      assertEqual(bitmap.width, 0, 'transferred ImageBitmap is detached');
      assert(maxAbsDiff(fromCanvas.classes[0].probabilities, fromBitmap.classes[0].probabilities) <= 1e-6, 'ImageBitmap agrees');
    } finally {
      await remote.close();
    }
  });

  it('transfer: true detaches the caller buffer; the default copies it', async () => {
    const remote = await createWorkerSegmenter({ model: smallModel, backend: 'wasm' });
    try {
      const kept = syntheticSlice(64, 48);
      await remote.segment(kept);
      assertEqual(kept.data.length, 64 * 48, 'copied input');
      const given = syntheticSlice(64, 48);
      const r = await remote.segment(given, { transfer: true });
      assertEqual(given.data.length, 0, 'transferred input is detached');
      checkResult(r, 64, 48, 2);
    } finally {
      await remote.close();
    }
  });

  it('bad input rejects with INVALID_INPUT TvunetErrors and the next call succeeds', async () => {
    const remote = await createWorkerSegmenter({ model: smallModel, backend: 'wasm' });
    try {
      const bad = [
        ['zero size', { data: new Float32Array(0), width: 0, height: 0, kind: 'display' }],
        ['length mismatch', { data: new Float32Array(10), width: 4, height: 4, kind: 'display' }],
        ['NaN', { data: new Float32Array([1, NaN, 3, 4]), width: 2, height: 2, kind: 'hu' }],
        ['a string', 'not an image'],
        ['not clonable', { data: new Float32Array(4), width: 2, height: 2, kind: () => 'display' }],
      ];
      for (const [what, input] of bad) {
        const e = await rejection(remote.segment(input), 'INVALID_INPUT');
        assert(e instanceof TvunetError, `${what}: instanceof TvunetError`);
        assertEqual(e.name, 'TvunetError', `${what}: name`);
        assert(e.message.length > 0, `${what}: message`);
        checkResult(await remote.segment(syntheticSlice(32, 32)), 32, 32, 2); // still usable
      }
    } finally {
      await remote.close();
    }
  });

  it('a tampered sha256 rejects creation with INTEGRITY (message kept)', async () => {
    const manifest = structuredClone(smallModel.manifest);
    manifest.shards[0].sha256 = 'f'.repeat(64);
    const e = await rejection(createWorkerSegmenter({ model: { manifest, shards: smallModel.shards }, backend: 'wasm' }), 'INTEGRITY');
    assert(e instanceof TvunetError, 'instanceof TvunetError');
    assert(/sha-?256/i.test(e.message), e.message);
  });

  it('close() rejects a pending call with WORKER and later calls with CLOSED', async () => {
    const remote = await createWorkerSegmenter({ model: smallModel, backend: 'wasm' });
    const pending = rejection(remote.segment(syntheticSlice(512, 512)), 'WORKER');
    await remote.close();
    await pending;
    await rejection(remote.segment(syntheticSlice(8, 8)), 'CLOSED');
  });

  it('a worker that throws an uncaught error, or cannot load, rejects with WORKER instead of hanging', async () => {
    const src = URL.createObjectURL(new Blob(['self.onmessage = () => { throw new Error("boom"); };'], { type: 'text/javascript' }));
    const crashing = new Worker(src, { type: 'module' });
    const e = await rejection(createWorkerSegmenter({ model: smallModel, worker: crashing }), 'WORKER');
    assert(/boom/.test(e.message), e.message);
    URL.revokeObjectURL(src);
    await rejection(createWorkerSegmenter({ model: smallModel, workerUrl: '/dist/no-such-worker.js' }), 'WORKER');
  });

  it('a relative model URL resolves against the page; download progress arrives on the main thread (Comlink proxy)', async () => {
    const put = (name, body) => fetch(`/__tvunet__/store/progress/${name}`, { method: 'PUT', body });
    await put('model.json', JSON.stringify(smallModel.manifest));
    await put(smallModel.manifest.shards[0].path, smallModel.shards[0]);
    const progress = [];
    const remote = await createWorkerSegmenter({ model: '__tvunet__/store/progress/', backend: 'wasm', cache: false, onProgress: (p) => progress.push(p) });
    try {
      assertEqual(remote.manifest.name, smallModel.manifest.name, 'manifest');
      assert(progress.length >= 2, `progress calls: ${progress.length}`);
      assertEqual(progress.at(-1).fraction, 1, 'last fraction');
      for (let i = 1; i < progress.length; i++) assert(progress[i].loadedBytes >= progress[i - 1].loadedBytes, 'monotone');
    } finally {
      await remote.close();
    }
  });

  it('the inline build (Blob URL worker) finds the .wasm files beside its module without wasmPaths', async () => {
    const started = [];
    const RealWorker = globalThis.Worker;
    globalThis.Worker = class extends RealWorker {
      constructor(url, options) {
        started.push(String(url));
        super(url, options);
      }
    };
    let remote;
    try {
      remote = await createInlineWorkerSegmenter({ model: smallModel, backend: 'wasm' });
    } finally {
      globalThis.Worker = RealWorker;
    }
    try {
      assert(started.length === 1 && started[0].startsWith('blob:'), `started from a Blob URL: ${started}`);
      assertEqual(remote.backend.backend, 'wasm', 'backend');
      assertEqual(remote.backend.simd, true, 'simd');
      checkResult(await remote.segment(syntheticSlice(40, 30)), 40, 30, 2);
    } finally {
      await remote.close();
    }
  });
});
