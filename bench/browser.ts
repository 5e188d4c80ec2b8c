/**
 * Headless Chromium (Debian's /usr/bin/chromium through web-test-runner, flags in
 * web-test-runner.config.mjs): runs bench/browser/speed.bench.js against the built dist/ bundles
 * with the benchmark's model and collects the one result line it logs.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, RESULT_PREFIX, type BenchOptions, type Stats } from './lib.js';
import type { BenchModel } from './model.js';

export interface BrowserResult {
  userAgent: string;
  hardwareConcurrency: number;
  crossOriginIsolated: boolean;
  webgpu: { found: boolean; isFallbackAdapter?: boolean; description?: string; why?: string };
  coldStart: { first: { totalMs: number; createMs: number }; second: { totalMs: number; createMs: number }; mainThread: { totalMs: number } };
  forwardFlops: number;
  mainThread: Stats;
  worker: Stats;
  pool: Stats & { size: number; slices: number; perSliceMs: number };
}

export async function benchBrowser(model: BenchModel, o: BenchOptions, log: (s: string) => void): Promise<BrowserResult | { skipped: string }> {
  const chromium = process.env.CHROME_PATH ?? '/usr/bin/chromium';
  if (!existsSync(chromium)) return { skipped: `no Chromium at ${chromium}` };
  if (!existsSync(join(REPO_ROOT, 'dist/tvunet-worker-client.mjs'))) return { skipped: 'dist/ not built (npm run build)' };
  const bin = join(REPO_ROOT, 'node_modules/.bin/web-test-runner');
  const output = await new Promise<string>((resolve) => {
    const child = spawn(bin, ['--config', 'bench/browser/wtr.config.mjs'], {
      cwd: REPO_ROOT,
      env: { ...process.env, TVUNET_BENCH_MODEL_DIR: model.dir, TVUNET_BENCH_PARAMS: JSON.stringify({ runs: o.quick ? 5 : 30 }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.on('close', () => resolve(text));
  });
  const line = output.split('\n').map((l) => l.trim()).find((l) => l.startsWith(RESULT_PREFIX));
  if (!line) {
    log(`browser: no result; web-test-runner said:\n${output.trim().split('\n').slice(-15).join('\n')}`);
    return { skipped: 'web-test-runner gave no result (see the log)' };
  }
  const r = JSON.parse(line.slice(RESULT_PREFIX.length)) as BrowserResult;
  log(`browser: main ${r.mainThread.medianMs.toFixed(0)} ms, worker ${r.worker.medianMs.toFixed(0)} ms, pool ${r.pool.perSliceMs.toFixed(0)} ms/slice; WebGPU ${r.webgpu.found ? (r.webgpu.isFallbackAdapter ? 'fallback adapter' : r.webgpu.description) : 'none'}`);
  return r;
}
