/**
 * Per-slice inference in Node at the model's input size: the WASM peak proxy, tvunet on WASM
 * (network alone, Segmenter on this thread, one worker_thread, a pool of one worker per core) and
 * tfjs-backend-cpu as the baseline. One process, one after the other, so ratios hold.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Worker } from 'node:worker_threads';
import { selectBackend } from '../src/backends/select.js';
import { forwardFlops } from '../src/model/config.js';
import { unetProbabilities, type UNetWeights } from '../src/model/unet.js';
import type { RawSlice } from '../src/preprocess/input.js';
import { Segmenter } from '../src/segmenter/segmenter.js';
import { createWorkerSegmenter, type WorkerSegmenter } from '../worker/client.js';
import { summarize, timeCalls, type BenchOptions, type Stats } from './lib.js';
import type { BenchModel } from './model.js';
import { huSlice } from './phantom.js';

export const WORKER_ENTRY = new URL('./worker-entry.mjs', import.meta.url);

export interface SliceRow {
  id: string;
  label: string;
  stats: Stats;
  slicesPerS: number;
  /** forwardFlops / time per slice. */
  gflops: number;
  note?: string;
}

export interface PeakProxy {
  /** Best single-thread GFLOP/s of the probes below. */
  perCoreGflops: number;
  cores: number;
  peakGflops: number;
  probes: { label: string; gflop: number; medianMs: number; gflops: number }[];
}

export interface NodeInferenceResult {
  peak: PeakProxy;
  rows: SliceRow[];
}

function row(id: string, label: string, samples: number[], flops: number, note?: string, perSliceMs?: number): SliceRow {
  const stats = summarize(samples);
  const ms = perSliceMs ?? stats.medianMs;
  return { id, label, stats, slicesPerS: 1000 / ms, gflops: flops / 1e6 / ms, ...(note ? { note } : {}) };
}

/**
 * XNNPACK's best case on one thread — large dense work with no layer overhead — as the
 * "achievable peak" of one core: a 1024² matMul and a wide 3×3 conv. × cores = the peak that
 * per-slice throughput is judged against (our workers are single-threaded, one per core).
 */
async function measurePeak(o: BenchOptions): Promise<PeakProxy> {
  await selectBackend('wasm');
  const runs = o.quick ? 3 : 7;
  const probes: PeakProxy['probes'] = [];
  const probe = async (label: string, gflop: number, op: () => tf.Tensor) => {
    const ms = summarize(await timeCalls(async () => { const y = op(); await y.data(); y.dispose(); }, 1, runs)).medianMs;
    probes.push({ label, gflop, medianMs: ms, gflops: gflop / (ms / 1000) });
  };
  const a = tf.randomUniform([1024, 1024]);
  const b = tf.randomUniform([1024, 1024]);
  await probe('matMul 1024×1024×1024', (2 * 1024 ** 3) / 1e9, () => tf.matMul(a, b));
  const x = tf.randomUniform([1, 128, 128, 64]) as tf.Tensor4D;
  const w = tf.randomUniform([3, 3, 64, 64]) as tf.Tensor4D;
  await probe('conv2d 3×3, 64→64, 128²', (2 * 128 * 128 * 9 * 64 * 64) / 1e9, () => tf.conv2d(x, w, 1, 'same'));
  tf.dispose([a, b, x, w]);
  const perCoreGflops = Math.max(...probes.map((p) => p.gflops));
  return { perCoreGflops, cores: o.cores, peakGflops: perCoreGflops * o.cores, probes };
}

/** The network alone: [1,S,S,1] in, probabilities read back. */
async function networkOnly(weights: UNetWeights, model: BenchModel, warmup: number, runs: number): Promise<number[]> {
  const s = model.config.inputSize;
  const x = tf.randomNormal([1, s, s, 1]) as tf.Tensor4D;
  try {
    return await timeCalls(async () => {
      const p = unetProbabilities(weights, x, model.config);
      await p.data();
      p.dispose();
    }, warmup, runs);
  } finally {
    x.dispose();
  }
}

function toTensors(model: BenchModel): UNetWeights {
  const w: UNetWeights = {};
  for (const [name, t] of model.weights) w[name] = tf.tensor(t.data, t.shape, 'float32');
  return w;
}

/** A slice at the model's input size, in HU, as callers pass it. */
export function inputSlice(size: number, z = 150): RawSlice {
  return { data: huSlice(size, size, z, 300), width: size, height: size, kind: 'hu' };
}

/** Runs `count` slices through `pool`, each worker taking the next slice when free; returns per-call ms and the wall time. */
export async function runPool(pool: WorkerSegmenter[], count: number, slice: (i: number) => RawSlice, onResult?: (i: number, r: Awaited<ReturnType<WorkerSegmenter['segment']>>) => void) {
  let next = 0;
  const perCall: number[] = [];
  const t0 = performance.now();
  await Promise.all(pool.map(async (w) => {
    for (let i = next++; i < count; i = next++) {
      const input = slice(i);
      const ts = performance.now();
      const r = await w.segment(input, { transfer: true });
      perCall.push(performance.now() - ts);
      onResult?.(i, r);
    }
  }));
  return { perCall, wallMs: performance.now() - t0 };
}

export async function startWorkerPool(model: BenchModel, size: number): Promise<WorkerSegmenter[]> {
  return Promise.all(Array.from({ length: size }, () => createWorkerSegmenter({ model: model.dir, backend: 'wasm', worker: new Worker(WORKER_ENTRY) })));
}

export async function benchNodeInference(model: BenchModel, o: BenchOptions, log: (s: string) => void): Promise<NodeInferenceResult> {
  const flops = forwardFlops(model.config);
  const size = model.config.inputSize;
  const runs = o.quick ? 5 : 30;
  const rows: SliceRow[] = [];

  const peak = await measurePeak(o);
  log(`peak proxy: ${peak.perCoreGflops.toFixed(1)} GFLOP/s per core × ${o.cores} = ${peak.peakGflops.toFixed(1)} GFLOP/s`);

  const weights = toTensors(model);
  rows.push(row('node-wasm-network', 'Node WASM, network only (this thread)', await networkOnly(weights, model, 3, runs), flops));
  tf.dispose(Object.values(weights));

  const slice = inputSlice(size);
  const fresh = (): RawSlice => ({ ...slice, data: (slice.data as Int16Array).slice() }); // transferred slices detach
  const local = await Segmenter.create({ model: model.dir, backend: 'wasm' });
  rows.push(row('node-wasm-segmenter', 'Node WASM, Segmenter.segment (this thread)', await timeCalls(() => local.segment(slice), 3, runs), flops, 'includes windowing, resize, standardisation, per-class maps and thresholds'));
  local.close();
  log(`node wasm: ${rows.map((r) => `${r.id} ${r.stats.medianMs.toFixed(0)} ms`).join(', ')}`);

  const [one] = await startWorkerPool(model, 1);
  rows.push(row('node-wasm-worker', 'Node WASM, 1 worker_thread', await timeCalls(() => one!.segment(fresh(), { transfer: true }), 3, runs), flops, 'round trip through Comlink'));
  await one!.close();

  const pool = await startWorkerPool(model, o.cores);
  const slices = Math.max(runs, 4 * o.cores);
  await runPool(pool, 2 * o.cores, fresh); // warm-up
  const pooled = await runPool(pool, slices, fresh);
  rows.push(row('node-wasm-pool', `Node WASM, pool of ${o.cores} worker_threads`, pooled.perCall, flops, `${slices} slices; per slice = wall / slices; latency = per call`, pooled.wallMs / slices));
  await Promise.all(pool.map((w) => w.close()));
  log(`node workers: ${rows.slice(-2).map((r) => `${r.id} ${(1000 / r.slicesPerS).toFixed(0)} ms/slice`).join(', ')}`);

  // tfjs-backend-cpu: ~40× slower, so only a few calls.
  await selectBackend('cpu');
  const cpuWeights = toTensors(model);
  rows.push(row('node-cpu-network', 'Node tfjs-backend-cpu, network only (baseline)', await networkOnly(cpuWeights, model, 1, o.quick ? 1 : 3), flops));
  tf.dispose(Object.values(cpuWeights));
  await selectBackend('wasm');
  log(`node cpu: ${rows.at(-1)!.stats.medianMs.toFixed(0)} ms`);
  return { peak, rows };
}
