/**
 * Soak: N segmentations in this thread and N in one Node worker_thread, printing live tfjs
 * tensors and the JS heap (after a full GC) at intervals. Fails (exit 1) unless the tensor count
 * stays exactly flat and the heap grows less than the tolerance.
 *
 *   npm run soak                      # 50 + 50 (CI size)
 *   npm run soak -- --count 1000      # longer
 *   options: --interval K (report every K calls), --heap-tolerance-mb M (default 8)
 *
 * The model has SEEDED RANDOM WEIGHTS (depth 3, base 8, 64²): memory behaviour, not skill.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { wrap } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { Segmenter, encodeModel, parameterSpecs, tensorCount, type EncodedModel, type RawSlice, type UNetConfig } from '../src/index.js';
import { createWorkerSegmenter } from '../worker/index.js';
// @ts-expect-error plain .mjs helper without types
import { forceGc } from './soak-gc.mjs';

export interface SoakSample {
  calls: number;
  tensors: number;
  heapMb: number;
}

export interface SoakRun {
  where: 'in-process' | 'worker_thread';
  samples: SoakSample[];
  tensorDrift: number;
  heapGrowthMb: number;
  ok: boolean;
}

export interface SoakOptions {
  count?: number;
  interval?: number;
  heapToleranceMb?: number;
  log?: (line: string) => void;
}

const CONFIG: UNetConfig = { depth: 3, baseChannels: 8, inputSize: 64, inChannels: 1, outChannels: 2, upsampling: 'transpose' };
const WORKER_ENTRY = fileURLToPath(new URL('./soak-worker.mjs', import.meta.url));

export async function soakModel(seed = 9): Promise<EncodedModel> {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s ^ (s >>> 15), 1 | s) + 0x6d2b79f5) >>> 0) / 4294967296);
  const named = new Map(parameterSpecs(CONFIG).map((spec) => {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const limit = spec.fanIn ? Math.sqrt(6 / spec.fanIn) : 0.1;
    return [spec.name, { shape: spec.shape, data: Float32Array.from({ length: n }, () => (2 * rand() - 1) * limit) }];
  }));
  return encodeModel(named, { name: `soak-${seed}`, architecture: CONFIG, classes: [{ name: 'infection', threshold: 0.5 }, { name: 'lungs', threshold: 0.5 }] }, { dtype: 'float32' });
}

/** A fresh HU slice per call (sizes vary a little, so resizes and buffers differ). */
export function soakSlice(k: number): RawSlice {
  const width = 90 + (k % 7), height = 80 + (k % 5);
  const data = new Int16Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = -1000 + ((i * 31 + k * 17) % 1400);
  return { data, width, height, kind: 'hu' };
}

async function loop(
  where: SoakRun['where'], count: number, interval: number, tolMb: number, log: (l: string) => void,
  segment: (k: number) => Promise<unknown>, memory: () => Promise<{ tensors: number; heapUsed: number }>,
): Promise<SoakRun> {
  const WARMUP = Math.min(5, count);
  for (let k = 0; k < WARMUP; k++) await segment(k);
  const samples: SoakSample[] = [];
  const sample = async (calls: number) => {
    const m = await memory();
    const s = { calls, tensors: m.tensors, heapMb: m.heapUsed / 2 ** 20 };
    samples.push(s);
    log(`${where.padEnd(13)} calls ${String(calls).padStart(5)}  tensors ${String(s.tensors).padStart(4)}  heap ${s.heapMb.toFixed(2)} MB`);
  };
  await sample(0);
  for (let k = 1; k <= count; k++) {
    await segment(WARMUP + k);
    if (k % interval === 0 || k === count) await sample(k);
  }
  const first = samples[0]!, last = samples.at(-1)!;
  const tensorDrift = Math.max(...samples.map((s) => Math.abs(s.tensors - first.tensors)));
  const heapGrowthMb = last.heapMb - first.heapMb;
  const ok = tensorDrift === 0 && heapGrowthMb < tolMb;
  log(`${where}: tensors ${first.tensors} → ${last.tensors} (max drift ${tensorDrift}), heap ${first.heapMb.toFixed(2)} → ${last.heapMb.toFixed(2)} MB (growth ${heapGrowthMb.toFixed(2)} MB, tolerance ${tolMb} MB): ${ok ? 'FLAT' : 'GROWING'}`);
  return { where, samples, tensorDrift, heapGrowthMb, ok };
}

/** Runs both soaks; never throws for growth (see `ok`), only for real failures. */
export async function runSoak(options: SoakOptions = {}): Promise<SoakRun[]> {
  const count = options.count ?? 50;
  const interval = options.interval ?? Math.max(1, Math.round(count / 10));
  const tol = options.heapToleranceMb ?? 8;
  const log = options.log ?? ((l: string) => console.log(l));
  const model = await soakModel();
  const runs: SoakRun[] = [];

  const seg = await Segmenter.create({ model, backend: 'wasm' });
  try {
    runs.push(await loop('in-process', count, interval, tol, log, (k) => seg.segment(soakSlice(k)), async () => {
      forceGc();
      return { tensors: tensorCount(), heapUsed: process.memoryUsage().heapUsed };
    }));
  } finally {
    seg.close();
  }

  const worker = new Worker(WORKER_ENTRY);
  const probe = wrap<{ soakMemory(): { tensors: number; heapUsed: number } }>(nodeEndpoint(worker as never));
  const remote = await createWorkerSegmenter({ model, backend: 'wasm', worker });
  try {
    runs.push(await loop('worker_thread', count, interval, tol, log, (k) => remote.segment(soakSlice(k), { transfer: k % 2 === 0 }), () => probe.soakMemory()));
  } finally {
    await remote.close();
  }
  return runs;
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const count = Number(argValue('count') ?? 50);
  const interval = argValue('interval') !== undefined ? Number(argValue('interval')) : undefined;
  const heapToleranceMb = argValue('heap-tolerance-mb') !== undefined ? Number(argValue('heap-tolerance-mb')) : undefined;
  if (!(Number.isInteger(count) && count >= 1)) {
    console.error(`soak: --count must be a positive integer, got ${argValue('count')}`);
    process.exit(2);
  }
  const runs = await runSoak({ count, interval, heapToleranceMb });
  const bad = runs.filter((r) => !r.ok);
  if (bad.length > 0) {
    console.error(`soak: FAILED: ${bad.map((r) => `${r.where} (tensor drift ${r.tensorDrift}, heap +${r.heapGrowthMb.toFixed(2)} MB)`).join('; ')}`);
    process.exitCode = 1;
  } else {
    console.log(`soak: OK, ${count} segmentations in-process and ${count} in a worker_thread; tensors exactly flat, heap within tolerance`);
  }
}
