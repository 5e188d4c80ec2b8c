/**
 * Volume-sized work: the 300-slice 512² pipeline end to end with the volume API (in a child process, see
 * volume-child.ts) and the 3D post-processing alone on a 512×512×300 mask.
 */
import { connectedComponents3D, fillHoles, removeSmallComponents } from '../src/postprocess/index.js';
import { runChild, summarize, timeCalls, type BenchOptions, type Stats } from './lib.js';
import type { BenchModel } from './model.js';
import { phantomMask } from './phantom.js';

export interface VolumeResult {
  slices: number;
  side: number;
  workers: number;
  niftiBytes: number;
  decodeMs: number;
  poolStartMs: number;
  segmentMs: number;
  postprocessMs: number;
  totalMs: number;
  perSliceMs: number;
  /** totalMs scaled to 300 slices when fewer were run (--quick); equal to totalMs otherwise. */
  totalMsAt300: number;
  /** Total ms of every run, fastest first; the fields above are the median run's. */
  runs: number[];
  peakRssSampledMb: number;
  maxRssMb: number;
  lesions: number;
  infectedMl: number;
}

export interface PostprocessResult {
  dims: [number, number, number];
  foregroundFraction: number;
  ops: { label: string; stats: Stats }[];
}

export async function benchVolume(model: BenchModel, o: BenchOptions, log: (s: string) => void): Promise<VolumeResult> {
  const slices = o.quick ? 24 : 300;
  // Whole runs, each in a fresh process; the one with the median total is reported (this is the
  // slowest group, and one run on a shared machine varies by ±20 %).
  const runs: Omit<VolumeResult, 'totalMsAt300' | 'runs'>[] = [];
  for (let i = 0; i < (o.quick ? 1 : 3); i++) {
    runs.push(await runChild<Omit<VolumeResult, 'totalMsAt300' | 'runs'>>('bench/volume-child.ts', ['--model', model.dir, '--slices', String(slices), '--workers', String(o.cores)]));
  }
  runs.sort((a, b) => a.totalMs - b.totalMs);
  const r = { ...runs[Math.floor(runs.length / 2)]!, runs: runs.map((x) => Math.round(x.totalMs)) };
  const totalMsAt300 = r.poolStartMs + (r.decodeMs + r.segmentMs + r.postprocessMs) * (300 / r.slices);
  log(`volume ${r.slices}×${r.side}²: ${(r.totalMs / 1000).toFixed(1)} s (segment ${(r.segmentMs / 1000).toFixed(1)} s, post ${(r.postprocessMs / 1000).toFixed(1)} s), peak RSS ${r.maxRssMb.toFixed(0)} MB`);
  return { ...r, totalMsAt300 };
}

export async function benchPostprocess(o: BenchOptions, log: (s: string) => void): Promise<PostprocessResult> {
  const [w, h, d] = [512, 512, 300];
  const mask = phantomMask(w, h, d);
  const dims = { width: w, height: h, depth: d };
  const runs = o.quick ? 1 : 3;
  const ops = [
    { label: 'connectedComponents3D, 26-connected (labels + per-component stats)', fn: () => connectedComponents3D(mask, w, h, d, { connectivity: 26 }) },
    { label: 'removeSmallComponents, 26-connected, < 20 voxels', fn: () => removeSmallComponents(mask, dims, 20, 26) },
    { label: 'fillHoles 3D (6-connected background)', fn: () => fillHoles(mask, dims) },
  ];
  const out: PostprocessResult['ops'] = [];
  for (const op of ops) {
    out.push({ label: op.label, stats: summarize(await timeCalls(op.fn, 1, runs)) });
    log(`post: ${op.label}: ${out.at(-1)!.stats.medianMs.toFixed(0)} ms`);
  }
  return { dims: [w, h, d], foregroundFraction: mask.reduce((a, b) => a + b, 0) / mask.length, ops: out };
}
