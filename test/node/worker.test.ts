/**
 * The worker API over a real Node worker_thread running worker/worker-node.ts (from source through tsx, see worker-entry.mjs):
 * results, errors crossing the boundary, progress through a Comlink proxy, transfer, and a
 * worker that dies. Every model here has SEEDED RANDOM WEIGHTS (no trained model is used).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { TvunetError } from '../../src/errors.js';
import { Segmenter, encodeModel, parameterSpecs, type EncodedModel, type LoadProgress, type RawSlice, type UNetConfig } from '../../src/index.js';
import { createWorkerSegmenter, type WorkerSegmenter } from '../../worker/index.js';

const WORKER_ENTRY = new URL('./worker-entry.mjs', import.meta.url);
const startWorker = () => new Worker(WORKER_ENTRY);

const CONFIG: UNetConfig = { depth: 2, baseChannels: 4, inputSize: 32, inChannels: 1, outChannels: 2, upsampling: 'transpose' };
const CLASSES = [
  { name: 'infection', threshold: 0.5 },
  { name: 'lungs', threshold: 0.4 },
];

/** He-uniform kernels and small biases from a seeded PRNG (mulberry32): same seed, same model. */
async function randomModel(config: UNetConfig, seed: number): Promise<EncodedModel> {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const named = new Map(
    parameterSpecs(config).map((spec) => {
      const n = spec.shape.reduce((a, b) => a * b, 1);
      const limit = spec.fanIn ? Math.sqrt(6 / spec.fanIn) : 0.1;
      return [spec.name, { shape: spec.shape, data: Float32Array.from({ length: n }, () => (2 * rand() - 1) * limit) }];
    }),
  );
  return encodeModel(named, { name: `seeded-random-${seed}`, architecture: config, classes: CLASSES }, { dtype: 'float32' });
}

/** A 40×30 slice in HU with a bright blob, so the maps are not uniform. */
function huSlice(width = 40, height = 30): RawSlice {
  const data = new Int16Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = -900 + 1100 * Math.exp(-((x - 25) ** 2 + (y - 12) ** 2) / 60) + ((x * 7 + y * 13) % 50);
  return { data, width, height, kind: 'hu' };
}

async function rejectsWithCode(p: Promise<unknown>, code: string): Promise<TvunetError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TvunetError, `expected a TvunetError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected a rejection with ${code}`);
}

describe('worker_threads segmenter (seeded random weights)', () => {
  let model: EncodedModel;
  let remote: WorkerSegmenter;
  let local: Segmenter;

  before(async () => {
    model = await randomModel(CONFIG, 11);
    remote = await createWorkerSegmenter({ model, backend: 'wasm', worker: startWorker() });
    local = await Segmenter.create({ model, backend: 'wasm' });
  });
  after(async () => {
    await remote?.close();
    local?.close();
  });

  test('reports the manifest and the wasm backend of the worker', () => {
    assert.equal(remote.manifest.name, 'seeded-random-11');
    assert.deepEqual(remote.manifest.classes.map((c) => c.name), ['infection', 'lungs']);
    assert.equal(remote.backend.backend, 'wasm');
    assert.equal(remote.backend.requested, 'wasm');
  });

  test('segments a slice like the in-process Segmenter (probabilities within 1e-5)', async () => {
    const slice = huSlice();
    const [a, b] = [await remote.segment(slice), await local.segment(slice)];
    assert.equal(a.width, 40);
    assert.equal(a.height, 30);
    assert.equal(a.classes.length, 2);
    for (let c = 0; c < 2; c++) {
      const pa = a.classes[c]!.probabilities;
      const pb = b.classes[c]!.probabilities;
      assert.ok(pa instanceof Float32Array && a.classes[c]!.mask instanceof Uint8Array);
      assert.equal(pa.length, 40 * 30);
      let maxDiff = 0;
      for (let i = 0; i < pa.length; i++) maxDiff = Math.max(maxDiff, Math.abs(pa[i]! - pb[i]!));
      assert.ok(maxDiff <= 1e-5, `class ${c}: max |Δp| = ${maxDiff}`);
      assert.deepEqual(a.classes[c]!.mask, b.classes[c]!.mask);
      assert.ok(a.classes[c]!.mask.every((m) => m === 0 || m === 1));
    }
    assert.equal(slice.data.length, 40 * 30, 'input is copied, not transferred, by default');
  });

  test('transfer: true hands the input buffer to the worker (the caller array is detached)', async () => {
    const slice = huSlice();
    const expected = await local.segment(huSlice());
    const r = await remote.segment(slice, { transfer: true });
    assert.equal(slice.data.length, 0, 'the caller array is detached');
    assert.deepEqual(r.classes[0]!.mask, expected.classes[0]!.mask);
  });

  test('bad input rejects with INVALID_INPUT TvunetErrors and the worker stays usable', async () => {
    const bad: unknown[] = [
      { data: new Float32Array(0), width: 0, height: 0, kind: 'display' },
      { data: new Float32Array(10), width: 4, height: 4, kind: 'display' },
      { data: new Float32Array([1, Number.NaN, 3, 4]), width: 2, height: 2, kind: 'hu' },
      'not an image',
      { data: new Float32Array(4), width: 2, height: 2, kind: () => 'display' }, // not clonable
    ];
    for (const input of bad) {
      const e = await rejectsWithCode(remote.segment(input as RawSlice), 'INVALID_INPUT');
      assert.equal(e.name, 'TvunetError');
    }
    const ok = await remote.segment(huSlice());
    assert.equal(ok.classes[0]!.probabilities.length, 40 * 30);
  });

  test('per-call options cross the boundary (threshold)', async () => {
    const r = await remote.segment(huSlice(), { threshold: { lungs: 0.9 } });
    assert.equal(r.classes[1]!.threshold, 0.9);
    await rejectsWithCode(remote.segment(huSlice(), { threshold: 2 }), 'INVALID_OPTIONS');
  });
});

describe('worker_threads lifecycle and errors (seeded random weights)', () => {
  let model: EncodedModel;
  let server: Server;
  let base = '';
  before(async () => {
    model = await randomModel(CONFIG, 12);
    server = createServer((req, res) => {
      if (req.url === '/m/model.json') return void res.end(JSON.stringify(model.manifest));
      if (req.url === `/m/${model.manifest.shards[0]!.path}`) return void res.end(model.shards[0]);
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  test('a tampered sha256 rejects with INTEGRITY and the worker is terminated', async () => {
    const tampered = structuredClone(model.manifest);
    tampered.shards[0]!.sha256 = '0'.repeat(64);
    const worker = startWorker();
    const exited = new Promise<number>((r) => worker.once('exit', r));
    const e = await rejectsWithCode(createWorkerSegmenter({ model: { manifest: tampered, shards: model.shards }, backend: 'wasm', worker }), 'INTEGRITY');
    assert.match(e.message, /sha-?256/i);
    await exited;
  });

  test('a model URL loads in the worker with progress reported on this thread', async () => {
    const progress: LoadProgress[] = [];
    const seg = await createWorkerSegmenter({ model: `${base}/m/model.json`, backend: 'wasm', worker: startWorker(), onProgress: (p) => progress.push(p) });
    try {
      assert.equal(seg.manifest.name, 'seeded-random-12');
      assert.ok(progress.length >= 2, `progress calls: ${progress.length}`);
      assert.equal(progress.at(-1)!.fraction, 1);
    } finally {
      await seg.close();
    }
  });

  test('close() rejects the pending call with WORKER; later calls reject with CLOSED', async () => {
    const seg = await createWorkerSegmenter({ model, backend: 'wasm', worker: startWorker() });
    const pending = rejectsWithCode(seg.segment(huSlice(256, 256)), 'WORKER');
    await seg.close();
    await pending;
    await rejectsWithCode(seg.segment(huSlice()), 'CLOSED');
    await seg.close(); // twice is harmless
  });

  test('a worker that exits mid-call rejects with WORKER instead of hanging', async () => {
    const dying = new Worker("require('node:worker_threads').parentPort.once('message', () => process.exit(3));", { eval: true });
    const e = await rejectsWithCode(createWorkerSegmenter({ model, worker: dying }), 'WORKER');
    assert.match(e.message, /code 3/);
  });
});
