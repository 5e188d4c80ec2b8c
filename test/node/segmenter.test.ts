import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import jpeg from 'jpeg-js';
import { selectBackend } from '../../src/backends/select.js';
import { TvunetError } from '../../src/errors.js';
import { encodeModel, type EncodedModel } from '../../src/io/index.js';
import { initUNetWeights, type UNetConfig } from '../../src/model/index.js';
import { connectedComponents2D } from '../../src/postprocess/index.js';
import { Segmenter } from '../../src/segmenter/segmenter.js';

const repo = resolve(import.meta.dirname, '../..');
const shared = resolve(repo, '../shared/data/covid-semiseg/TrainingSet/LungInfection-Train/Doctor-label/Imgs/0.jpg');
const fixture = resolve(repo, 'test/fixtures/covid-semiseg/Imgs/3.jpg');

async function realSlice(): Promise<{ data: Uint8Array; width: number; height: number; kind: 'display' }> {
  const path = existsSync(shared) ? shared : fixture;
  if (path === fixture) console.log('../shared/data missing: using the committed fixture slice');
  const img = jpeg.decode(await readFile(path), { useTArray: true });
  const gray = new Uint8Array(img.width * img.height);
  for (let i = 0; i < gray.length; i++) gray[i] = img.data[4 * i]!;
  return { data: gray, width: img.width, height: img.height, kind: 'display' };
}

/** A model with seeded random weights: these tests check the pipeline, not segmentation quality. */
async function randomModel(config: UNetConfig, classes: string[]): Promise<EncodedModel> {
  const w = initUNetWeights(config, 11);
  const named = new Map(Object.entries(w).map(([k, t]) => [k, { shape: t.shape.slice(), data: t.dataSync() as Float32Array }]));
  tf.dispose(Object.values(w));
  return encodeModel(named, { name: 'random-test-model', architecture: config, classes: classes.map((name) => ({ name, threshold: 0.5 })) }, { dtype: 'uint8' });
}

const small: UNetConfig = { depth: 2, baseChannels: 4, inputSize: 64, inChannels: 1, outChannels: 2, upsampling: 'transpose' };

describe('Segmenter in Node (seeded random weights)', () => {
  let model: EncodedModel;
  let segmenter: Segmenter;
  before(async () => {
    await tf.ready();
    model = await randomModel(small, ['infection', 'lungs']);
    segmenter = await Segmenter.create({ model, backend: 'wasm' });
  });
  after(() => segmenter.close());

  it('reports the bound backend: wasm with SIMD, one thread', () => {
    assert.equal(segmenter.backend.backend, 'wasm');
    assert.equal(segmenter.backend.requested, 'wasm');
    assert.equal(segmenter.backend.simd, true);
    assert.equal(segmenter.backend.threads, 1);
  });

  it('segments a real CT slice at its own size, with probabilities in [0,1] and masks that equal p ≥ threshold', async () => {
    const slice = await realSlice();
    const r = await segmenter.segment(slice);
    assert.equal(r.width, slice.width);
    assert.equal(r.height, slice.height);
    assert.deepEqual(r.classes.map((c) => c.name), ['infection', 'lungs']);
    for (const c of r.classes) {
      assert.equal(c.probabilities.length, slice.width * slice.height);
      assert.ok(c.probabilities.every((p) => p >= 0 && p <= 1));
      assert.ok(c.mask.every((m, i) => m === (c.probabilities[i]! >= c.threshold ? 1 : 0)));
    }
    assert.ok(r.timings.inferenceMs > 0);
  });

  it('applies thresholds globally and per class, and refuses bad ones', async () => {
    const slice = await realSlice();
    const low = await segmenter.segment(slice, { threshold: 0.2 });
    const mixed = await segmenter.segment(slice, { threshold: { lungs: 0.8 } });
    assert.deepEqual(low.classes.map((c) => c.threshold), [0.2, 0.2]);
    assert.deepEqual(mixed.classes.map((c) => c.threshold), [0.5, 0.8]);
    await assert.rejects(segmenter.segment(slice, { threshold: 1.5 }), (e: TvunetError) => e.code === 'INVALID_OPTIONS');
    await assert.rejects(segmenter.segment(slice, { threshold: { tumour: 0.5 } }), /unknown class "tumour"/);
  });

  it('post-processing removes small regions and fills holes', async () => {
    const slice = await realSlice();
    const plain = await segmenter.segment(slice, { threshold: 0.5 });
    const cleaned = await segmenter.segment(slice, { threshold: 0.5, postprocess: { minRegionPixels: 50, fillHoles: true } });
    for (let c = 0; c < 2; c++) {
      const dims = [slice.width, slice.height] as const;
      const after = connectedComponents2D(cleaned.classes[c]!.mask, ...dims, { connectivity: 8 });
      assert.ok(after.components.every((k) => k.size >= 50), 'a region below 50 px survived');
      const before = connectedComponents2D(plain.classes[c]!.mask, ...dims, { connectivity: 8 });
      assert.ok(after.count <= before.count);
    }
  });

  it('rejects bad input with a typed error and keeps working', async () => {
    await assert.rejects(segmenter.segment({ data: new Float32Array(3), width: 2, height: 2, kind: 'hu' }), (e: TvunetError) => e.code === 'INVALID_INPUT');
    await assert.rejects(segmenter.segment({ data: Float32Array.of(NaN, 0, 0, 0), width: 2, height: 2, kind: 'hu' }), (e: TvunetError) => e.code === 'INVALID_INPUT');
    const ok = await segmenter.segment({ data: new Int16Array(40 * 30).fill(-600), width: 40, height: 30, kind: 'hu' });
    assert.equal(ok.classes[0]!.mask.length, 1200);
  });

  it('leaks no tensors over 100 segmentations', async () => {
    const slice = { data: new Float32Array(48 * 48).map((_, i) => (i * 7) % 255), width: 48, height: 48, kind: 'display' as const };
    await segmenter.segment(slice);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) await segmenter.segment(slice);
    assert.equal(tf.memory().numTensors, before);
  });

  it('rejects a model whose tensors do not fit its architecture, without leaking', async () => {
    const before = tf.memory().numTensors;
    const wrongArch = { ...model.manifest, architecture: { ...small, baseChannels: 8 } };
    await assert.rejects(Segmenter.create({ model: { manifest: wrongArch, shards: model.shards }, backend: 'wasm' }), (e: TvunetError) => e.code === 'INVALID_MANIFEST');
    assert.equal(tf.memory().numTensors, before);
  });

  it('fails after close() with CLOSED', async () => {
    const s = await Segmenter.create({ model, backend: 'wasm' });
    s.close();
    s.close();
    await assert.rejects(s.segment({ data: new Uint8Array(4), width: 2, height: 2, kind: 'display' }), (e: TvunetError) => e.code === 'CLOSED');
  });
});

describe('backend selection in Node', () => {
  it('auto falls to wasm (no WebGPU in Node) and says why', async () => {
    const r = await selectBackend('auto');
    assert.equal(r.backend, 'wasm');
    assert.ok(r.skipped.some((s) => s.startsWith('webgpu')));
  });
  it('cpu can be forced', async () => {
    assert.equal((await selectBackend('cpu')).backend, 'cpu');
  });
  it('a forced backend that cannot start is BACKEND_UNAVAILABLE; an unknown one is INVALID_OPTIONS', async () => {
    await assert.rejects(selectBackend('webgpu'), (e: TvunetError) => e.code === 'BACKEND_UNAVAILABLE');
    await assert.rejects(selectBackend('tensorflow'), (e: TvunetError) => e.code === 'BACKEND_UNAVAILABLE' && /tfjs-node/.test(e.message));
    await assert.rejects(selectBackend('gpu' as never), (e: TvunetError) => e.code === 'INVALID_OPTIONS');
  });
});
