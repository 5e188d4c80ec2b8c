/**
 * Cold start in Node: Segmenter.create() → first result of a 512² slice in a fresh process
 * ("not cached": wasm compiled and model read for the first time) and again in the same process
 * ("cached"). Runs the built dist/tvunet.mjs; the browser's cold start is in browser.ts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, runChild, type BenchOptions } from './lib.js';
import type { BenchModel } from './model.js';

interface Phase { createMs: number; firstSegmentMs: number; totalMs: number; sinceProcessStartMs: number }
export interface ColdStartResult {
  runs: number;
  /** Medians over the fresh processes. */
  importMs: number;
  cold: Phase;
  warm: Phase;
  /** Parent's view: spawn → child exit (includes Node start-up and shutdown). */
  processWallMs: number;
  skipped?: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const medianPhase = (ps: Phase[]): Phase => ({
  createMs: median(ps.map((p) => p.createMs)), firstSegmentMs: median(ps.map((p) => p.firstSegmentMs)),
  totalMs: median(ps.map((p) => p.totalMs)), sinceProcessStartMs: median(ps.map((p) => p.sinceProcessStartMs)),
});

export async function benchColdStart(model: BenchModel, o: BenchOptions, log: (s: string) => void): Promise<ColdStartResult | null> {
  if (!existsSync(join(REPO_ROOT, 'dist/tvunet.mjs'))) {
    log('cold start: skipped (dist/tvunet.mjs missing: run npm run build)');
    return null;
  }
  const runs = o.quick ? 1 : 3;
  const results: { importMs: number; cold: Phase; warm: Phase; wallMs: number }[] = [];
  for (let i = 0; i < runs; i++) results.push(await runChild('bench/cold-start-child.mjs', ['--model', model.dir], { tsx: false }));
  const r: ColdStartResult = {
    runs,
    importMs: median(results.map((x) => x.importMs)),
    cold: medianPhase(results.map((x) => x.cold)),
    warm: medianPhase(results.map((x) => x.warm)),
    processWallMs: median(results.map((x) => x.wallMs)),
  };
  log(`cold start: import ${r.importMs.toFixed(0)} ms, create→first result ${r.cold.totalMs.toFixed(0)} ms fresh, ${r.warm.totalMs.toFixed(0)} ms again`);
  return r;
}
