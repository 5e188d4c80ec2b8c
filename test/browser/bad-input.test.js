/**
 * Bad inputs in Chromium, from the built bundles: the slice part of test/corpus/corpus.ts plus
 * what only browsers have (elements, bitmaps, blobs), through the main-thread Segmenter (UMD) and
 * the worker client; after each, the same segmenter must still work. Weights from a URL are data:
 * a manifest or shard holding script text runs nothing. SEEDED RANDOM WEIGHTS.
 */
import { createWorkerSegmenter } from '/dist/tvunet-worker-client.mjs';
import { assert, assertEqual, loadUmd, randomModel, syntheticSlice } from './helpers.js';

const CONFIG = { depth: 2, baseChannels: 4, inputSize: 32, inChannels: 1, outChannels: 1, upsampling: 'transpose' };
const CLASSES = [{ name: 'infection', threshold: 0.5 }];

const s = (data, width, height, kind = 'display') => ({ data, width, height, kind });
const withAt = (arr, i, v) => ((arr[i] = v), arr);

async function brokenImage() {
  const img = new Image();
  img.src = URL.createObjectURL(new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3])], { type: 'image/png' }));
  await new Promise((r) => (img.onerror = img.onload = r));
  return img;
}
async function closedBitmap() {
  const b = await createImageBitmap(new ImageData(4, 4));
  b.close();
  return b;
}

/** [id, make input, code, message] */
const CASES = [
  ['zero-size', () => s(new Float32Array(0), 0, 0), 'INVALID_INPUT', /positive integers, got 0×0/],
  ['negative-width', () => s(new Float32Array(16), -4, 4), 'INVALID_INPUT', /positive integers/],
  ['absurd-size', () => s(new Float32Array(16), 100000, 100000), 'INVALID_INPUT', /exceeds the \d+ pixel limit/],
  ['wrong-length', () => s(new Float32Array(10), 4, 4), 'INVALID_INPUT', /10 values, 4×4 needs 16/],
  ['nan', () => s(withAt(new Float32Array(16), 3, NaN), 4, 4, 'hu'), 'INVALID_INPUT', /NaN or infinite/],
  ['infinity', () => s(withAt(new Float64Array(16), 0, Infinity), 4, 4), 'INVALID_INPUT', /NaN or infinite/],
  ['unknown-kind', () => s(new Float32Array(16), 4, 4, 'rgb'), 'INVALID_INPUT', /kind must be/],
  ['plain-array-data', () => s([1, 2, 3, 4], 2, 2), 'INVALID_INPUT', /data must be a typed array/],
  ['string', () => 'not an image', 'INVALID_INPUT', /unsupported input/],
  ['imagedata-short', () => ({ data: new Uint8ClampedArray(10), width: 4, height: 4 }), 'INVALID_INPUT', /ImageData has 10 bytes/],
  ['object-with-size-only', () => ({ width: 4, height: 4 }), 'INVALID_INPUT', /could not read the image|unsupported input/],
  ['broken-image-element', brokenImage, 'INVALID_INPUT', /positive integers, got 0×0|could not read the image/],
  ['closed-bitmap', closedBitmap, 'INVALID_INPUT', /positive integers, got 0×0|could not read the image|cannot be sent/],
];

async function expectCode(p, code, message, where) {
  let error;
  try {
    await p;
  } catch (e) {
    error = e;
  }
  assert(error !== undefined, `${where}: expected ${code}, got success`);
  assertEqual(error.name, 'TvunetError', `${where}: error type (${error.message})`);
  assertEqual(error.code, code, `${where}: code (${error.message})`);
  assert(message.test(error.message), `${where}: message ${JSON.stringify(error.message)} should match ${message}`);
}

describe('bad input in the browser (seeded random weights)', function () {
  let tv, model, local, remote;
  before(async () => {
    tv = await loadUmd();
    model = await randomModel(tv, CONFIG, CLASSES, 21);
    local = await tv.Segmenter.create({ model, backend: 'wasm' });
    remote = await createWorkerSegmenter({ model, backend: 'wasm' });
  });
  after(async () => {
    local?.close();
    await remote?.close();
  });

  for (const [id, make, code, message] of CASES) {
    it(`${id} → ${code} on the main thread and in the worker; both keep working`, async () => {
      await expectCode(local.segment(await make()), code, message, `main ${id}`);
      assertEqual((await local.segment(syntheticSlice(40, 30))).width, 40, 'main thread still works');
      await expectCode(remote.segment(await make()), code, message, `worker ${id}`);
      assertEqual((await remote.segment(syntheticSlice(40, 30))).width, 40, 'worker still works');
    });
  }

  it('weights from a URL are data: an HTML/script manifest is INVALID_MANIFEST and runs nothing', async () => {
    const put = (path, body) => fetch(`/__tvunet__/store/${path}`, { method: 'PUT', body });
    await put('evil/model.json', '<!doctype html><script>window.__tvunetPwned = 1</script><img src=x onerror="window.__tvunetPwned = 2">');
    await expectCode(tv.Segmenter.create({ model: '/__tvunet__/store/evil/model.json', backend: 'wasm', cache: false }), 'INVALID_MANIFEST', /not JSON/, 'main');
    await expectCode(createWorkerSegmenter({ model: '/__tvunet__/store/evil/model.json', backend: 'wasm', cache: false }), 'INVALID_MANIFEST', /not JSON/, 'worker');
    assertEqual(window.__tvunetPwned, undefined, 'no script ran');
  });

  it('a shard made of JavaScript text with a matching sha256 decodes to numbers, runs nothing, and segments', async () => {
    const js = 'window.__tvunetPwned=3;/*<script>alert(1)</script>*/';
    const shard = new Uint8Array(model.shards[0].length);
    for (let i = 0; i < shard.length; i++) shard[i] = js.charCodeAt(i % js.length);
    const manifest = structuredClone(model.manifest);
    manifest.shards[0].sha256 = await tv.sha256Hex(shard);
    const put = (path, body) => fetch(`/__tvunet__/store/${path}`, { method: 'PUT', body });
    await put('jsshard/model.json', JSON.stringify(manifest));
    await put(`jsshard/${manifest.shards[0].path}`, shard);
    const seg = await tv.Segmenter.create({ model: '/__tvunet__/store/jsshard/model.json', backend: 'wasm', cache: false });
    try {
      const r = await seg.segment(syntheticSlice(40, 30));
      assert(r.classes[0].probabilities.every((p) => p >= 0 && p <= 1), 'probabilities are numbers in [0, 1]');
    } finally {
      seg.close();
    }
    assertEqual(window.__tvunetPwned, undefined, 'no script ran');
  });
});
