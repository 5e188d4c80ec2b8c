/**
 * A short soak (bench/soak.ts with 20 + 20 calls) so that `npm test` checks that tensors stay
 * exactly flat and the heap does not grow, plus workers that die mid-call: a lone worker
 * segmenter rejects that call with WORKER and a new one works; the pool (worker/pool.ts) replaces
 * a dead worker and retries the slice. SEEDED RANDOM WEIGHTS throughout.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { isTvunetError } from '../../src/errors.js';
import type { EncodedModel } from '../../src/index.js';
import { createWorkerSegmenter } from '../../worker/index.js';
import { createWorkerPool } from '../../worker/pool.js';
import { runSoak, soakModel, soakSlice } from '../../bench/soak.js';

const WORKER_ENTRY = new URL('./worker-entry.mjs', import.meta.url);

test('soak: 20 segmentations in-process and 20 in a worker_thread keep tensors exactly flat and the heap within 8 MB', async () => {
  const lines: string[] = [];
  const runs = await runSoak({ count: 20, interval: 5, log: (l) => lines.push(l) });
  console.log(lines.filter((l) => l.includes('→')).map((l) => `# ${l}`).join('\n'));
  assert.deepEqual(runs.map((r) => r.where), ['in-process', 'worker_thread']);
  for (const r of runs) {
    assert.equal(r.samples.length, 5, `${r.where}: samples at 0, 5, 10, 15, 20`);
    assert.ok(r.samples[0]!.tensors > 0, `${r.where}: the weights are live tensors`);
    assert.equal(r.tensorDrift, 0, `${r.where}: tensor count drift`);
    assert.ok(r.heapGrowthMb < 8, `${r.where}: heap grew ${r.heapGrowthMb} MB`);
    assert.ok(r.ok);
  }
});

describe('workers that die mid-call', () => {
  let model: EncodedModel;
  before(async () => {
    model = await soakModel(4);
  });

  test('terminating the worker_thread mid-call rejects that call with TvunetError WORKER; a new worker segmenter works', async () => {
    const worker = new Worker(WORKER_ENTRY);
    const seg = await createWorkerSegmenter({ model, backend: 'wasm', worker });
    const big = { data: new Float32Array(2048 * 2048).fill(40), width: 2048, height: 2048, kind: 'display' as const };
    const pending = seg.segment(big);
    await new Promise((r) => setTimeout(r, 30));
    await worker.terminate();
    const e = await pending.then(() => null, (err: unknown) => err);
    assert.ok(isTvunetError(e), `a TvunetError, got ${String(e)}`);
    assert.equal(e.code, 'WORKER');
    assert.match(e.message, /worker thread exited/);
    const again = await seg.segment(soakSlice(1)).then(() => null, (err: unknown) => err);
    assert.ok(isTvunetError(again) && again.code === 'WORKER', 'the dead segmenter keeps saying WORKER');
    const fresh = await createWorkerSegmenter({ model, backend: 'wasm', worker: new Worker(WORKER_ENTRY) });
    try {
      const r = await fresh.segment(soakSlice(2));
      assert.equal(r.classes.length, 2);
    } finally {
      await fresh.close();
    }
  });

  test('the pool replaces a worker terminated mid-call, retries the slice once, and keeps its size', async () => {
    const started: Worker[] = [];
    const pool = await createWorkerPool({ model, backend: 'wasm', size: 1, createWorker: () => {
      const w = new Worker(WORKER_ENTRY);
      started.push(w);
      return w;
    } });
    try {
      assert.equal(pool.size, 1);
      const pending = pool.segment(soakSlice(3));
      await new Promise((r) => setTimeout(r, 5));
      await started[0]!.terminate();
      const r = await pending;
      assert.equal(r.width, soakSlice(3).width, 'the retried slice came back');
      assert.equal(pool.restarts, 1);
      assert.equal(started.length, 2, 'one replacement worker was started');
      assert.equal(pool.size, 1);
      const next = await pool.segment(soakSlice(4));
      assert.equal(next.classes.length, 2, 'the pool keeps working');
    } finally {
      await pool.close();
    }
    const closed = await pool.segment(soakSlice(5)).then(() => null, (err: unknown) => err);
    assert.ok(isTvunetError(closed) && closed.code === 'CLOSED');
  });
});
