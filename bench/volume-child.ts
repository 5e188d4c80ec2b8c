/**
 * The 300-slice volume end to end with the library's volume API, in a fresh process so that
 * resourceUsage().maxRSS is this pipeline's: a synthetic 512×512 HU volume written as .nii.gz →
 * readNifti (decode) → segmentVolume over a pool of worker_threads (window, resize, infer, resize
 * back per slice) with 3D clean-up (26-connected, minimum lesion volume, hole filling, lungs) →
 * burden report.
 *   node --import tsx bench/volume-child.ts --model DIR --slices N --workers K [--side 512]
 */
import { Worker } from 'node:worker_threads';
import { createVolume, readNifti, segmentVolume, writeNifti } from '../src/volume/index.js';
import { createWorkerPool } from '../worker/index.js';
import { argValue, reportToParent } from './lib.js';
import { WORKER_ENTRY } from './node-inference.js';
import { huSlice } from './phantom.js';

const argv = process.argv.slice(2);
const dir = argValue(argv, 'model')!;
const depth = Number(argValue(argv, 'slices') ?? 300);
const workers = Number(argValue(argv, 'workers') ?? 2);
const side = Number(argValue(argv, 'side') ?? 512);

const tg = performance.now();
const hu = new Int16Array(side * side * depth);
for (let z = 0; z < depth; z++) hu.set(huSlice(side, side, z, depth), z * side * side);
const geometry = createVolume(hu, [side, side, depth], { spacingMm: [0.7, 0.7, 1], kind: 'hu' });
const file = await writeNifti(hu, [side, side, depth], { geometry, gzip: true });
const generateMs = performance.now() - tg;

let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage.rss()); }, 20);

const t0 = performance.now();
const volume = await readNifti(file, { name: 'bench.nii.gz' });
const t1 = performance.now();
const pool = await createWorkerPool({ model: dir, backend: 'wasm', size: workers, createWorker: () => new Worker(WORKER_ENTRY) });
const t2 = performance.now();
const result = await segmentVolume(pool, volume, { postprocess: { minLesionMl: 0.01, fillHoles: true, restrictToLungs: true, connectivity: 26 } });
const t3 = performance.now();
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage.rss());
await pool.close();

reportToParent({
  slices: depth, side, workers, generateMs, niftiBytes: file.length,
  decodeMs: t1 - t0, poolStartMs: t2 - t1, segmentMs: result.timings.segmentMs, postprocessMs: result.timings.postprocessMs,
  totalMs: t3 - t0, perSliceMs: result.timings.segmentMs / depth, lesions: result.burden.lesions.count,
  infectedMl: result.burden.infectedVolumeMl,
  peakRssSampledMb: peakRss / 2 ** 20, maxRssMb: process.resourceUsage().maxRSS / 1024,
});
