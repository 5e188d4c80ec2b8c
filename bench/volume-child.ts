/**
 * The 300-slice volume end to end, in a fresh process so that resourceUsage().maxRSS is this
 * pipeline's: slices of 512×512 HU (Int16) → Segmenter.segment each (resize to the model and
 * back) over a pool of worker_threads → stack the infection masks → 3D clean-up
 * (removeSmallComponents 26-conn, fillHoles, connectedComponents3D 26-conn).
 * There is no volume API and no NIfTI decoder yet: the volume is synthetic and already in memory.
 *   node --import tsx bench/volume-child.ts --model DIR --slices N --workers K [--side 512]
 */
import { connectedComponents3D, fillHoles, removeSmallComponents } from '../src/postprocess/index.js';
import { argValue, reportToParent } from './lib.js';
import { runPool, startWorkerPool } from './node-inference.js';
import { huSlice } from './phantom.js';
import type { BenchModel } from './model.js';

const argv = process.argv.slice(2);
const dir = argValue(argv, 'model')!;
const depth = Number(argValue(argv, 'slices') ?? 300);
const workers = Number(argValue(argv, 'workers') ?? 2);
const side = Number(argValue(argv, 'side') ?? 512);
/** Components smaller than this many voxels are dropped (≈ 0.01 ml at 0.7×0.7×1 mm). */
const MIN_COMPONENT_VOXELS = 20;

const tg = performance.now();
const volume = Array.from({ length: depth }, (_, z) => huSlice(side, side, z, depth));
const generateMs = performance.now() - tg;

let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage.rss()); }, 20);

const t0 = performance.now();
const pool = await startWorkerPool({ dir } as BenchModel, workers);
const t1 = performance.now();
const area = side * side;
const stacked = new Uint8Array(area * depth);
const run = await runPool(pool, depth, (z) => ({ data: volume[z]!, width: side, height: side, kind: 'hu' }), (z, r) => stacked.set(r.classes[0]!.mask, z * area));
const t2 = performance.now();
const dims = { width: side, height: side, depth };
const cleaned = fillHoles(removeSmallComponents(stacked, dims, MIN_COMPONENT_VOXELS, 26), dims);
const { count } = connectedComponents3D(cleaned, side, side, depth, { connectivity: 26 });
const t3 = performance.now();
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage.rss());
await Promise.all(pool.map((w) => w.close()));

reportToParent({
  slices: depth, side, workers, generateMs,
  poolStartMs: t1 - t0, segmentMs: t2 - t1, postprocessMs: t3 - t2, totalMs: t3 - t0,
  perSliceMs: (t2 - t1) / depth, components: count,
  foregroundVoxels: cleaned.reduce((a, b) => a + b, 0),
  peakRssSampledMb: peakRss / 2 ** 20, maxRssMb: process.resourceUsage().maxRSS / 1024,
});
