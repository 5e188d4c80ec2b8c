/**
 * BENCHMARKS.md: the machine, the tables, the targets, and a machine-readable JSON block that
 * `npm run bench -- --check` compares a new run against (ratios only: absolute times move with
 * the machine and its load, ratios measured in one run much less).
 */
import { readFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import type { BrowserResult } from './browser.js';
import type { ColdStartResult } from './cold-start.js';
import type { NodeInferenceResult, SliceRow } from './node-inference.js';
import type { OrtRow } from './onnx-peer.js';
import type { SizeRow } from './sizes.js';
import type { TrainingRow } from './training.js';
import type { PostprocessResult, VolumeResult } from './volume.js';

export interface Machine {
  cores: number;
  cpuModel: string;
  simdFlags: string[];
  memoryGb: number;
  freeMemoryGbAtStart: number;
  node: string;
  platform: string;
  loadAverageAtStart: [number, number, number];
  loadAverageAtEnd?: [number, number, number];
}

export function describeMachine(): Machine {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  let flags: string[] = [];
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? cpuModel;
    flags = (/^flags\s*:\s*(.+)$/m.exec(info)?.[1] ?? '').split(/\s+/);
  } catch { /* not Linux */ }
  const la = loadavg().map((x) => Math.round(x * 100) / 100) as [number, number, number];
  return {
    cores: cpus().length, cpuModel,
    simdFlags: ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512_vnni', 'amx_tile'].filter((f) => flags.includes(f)),
    memoryGb: Math.round(totalmem() / 2 ** 30 * 10) / 10, freeMemoryGbAtStart: Math.round(freemem() / 2 ** 30 * 10) / 10,
    node: process.version, platform: `${process.platform} ${process.arch}`, loadAverageAtStart: la,
  };
}

export interface BenchResults {
  schema: 'tvunet-bench/1';
  date: string;
  quick: boolean;
  groups: string[];
  machine: Machine;
  model: { kind: string; describe: string; config: unknown; parameters: number; gflopPerSlice: number };
  node?: NodeInferenceResult;
  ort?: OrtRow[];
  browser?: BrowserResult | { skipped: string };
  volume?: VolumeResult;
  postprocess?: PostprocessResult;
  coldStart?: ColdStartResult | null;
  sizes?: SizeRow[];
  training?: TrainingRow[];
  /** Higher is better, each; what --check compares. */
  ratios: Record<string, number>;
}

const isBrowser = (b: BenchResults['browser']): b is BrowserResult => !!b && !('skipped' in b);
const nodeRow = (r: BenchResults, id: string): SliceRow | undefined => r.node?.rows.find((x) => x.id === id);
const ortRow = (r: BenchResults, id: string): OrtRow | undefined => r.ort?.find((x) => x.id === id && x.stats);
const perSlice = (row: SliceRow) => 1000 / row.slicesPerS;

/** The ratios --check watches; each "higher is better". */
export function computeRatios(r: BenchResults): Record<string, number> {
  const out: Record<string, number> = {};
  const net = nodeRow(r, 'node-wasm-network');
  const cpu = nodeRow(r, 'node-cpu-network');
  const worker = nodeRow(r, 'node-wasm-worker');
  const pool = nodeRow(r, 'node-wasm-pool');
  if (net && cpu) out['node wasm speed-up over tfjs-cpu (network)'] = cpu.stats.medianMs / net.stats.medianMs;
  if (worker && pool) out['node worker-pool speed-up over 1 worker'] = perSlice(worker) / perSlice(pool);
  const ort1 = ortRow(r, 'ort-web-1t');
  const ort2 = ortRow(r, 'ort-web-2t');
  if (net && ort1) out['tvunet wasm vs ort-web 1 thread (ort ms / tvunet ms)'] = ort1.stats!.medianMs / net.stats.medianMs;
  if (pool && ort2) out['tvunet pool vs ort-web 2 threads (per slice)'] = ort2.stats!.medianMs / perSlice(pool);
  if (pool && r.node) out['fraction of peak (pool GFLOP/s / peak)'] = pool.gflops / r.node.peak.peakGflops;
  if (isBrowser(r.browser)) out['chromium worker-pool speed-up over 1 worker'] = r.browser.worker.medianMs / r.browser.pool.perSliceMs;
  const t64w = r.training?.find((t) => t.id === 'train-wasm-64');
  const t64c = r.training?.find((t) => t.id === 'train-cpu-64');
  if (t64w && t64c) out['training wasm speed-up over tfjs-cpu (64²)'] = t64c.secondsPerStep / t64w.secondsPerStep;
  return out;
}

const f0 = (x: number) => x.toFixed(0);
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);
const kb = (b: number) => `${(b / 1024).toFixed(1)} kB`;
const table = (head: string[], rows: string[][]) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const verdict = (ok: boolean | null) => (ok === null ? 'not measured' : ok ? '**met**' : '**not met**');

export const JSON_BEGIN = '<!-- tvunet-bench-json';
export const JSON_END = 'tvunet-bench-json -->';

export function renderMarkdown(r: BenchResults): string {
  const m = r.machine;
  const out: string[] = [];
  out.push('# Benchmarks', '');
  out.push(`Written by \`npm run bench\`${r.quick ? ' **--quick** (few iterations, 24-slice volume scaled to 300: development numbers)' : ''} on ${r.date}. All numbers come from one run, so that their ratios hold on a noisy machine; \`npm run bench -- --check\` re-measures and warns when a ratio drops by more than 20 %.`, '');
  out.push('## Machine', '');
  out.push(table(['', ''], [
    ['CPU', `${m.cpuModel} (${m.cores} cores visible; ${m.simdFlags.join(', ') || 'no x86 SIMD flags'})`],
    ['memory', `${m.memoryGb} GB (${m.freeMemoryGbAtStart} GB free at start)`],
    ['Node', `${m.node} (${m.platform})`],
    ['load average at start / end (1, 5, 15 min)', `${m.loadAverageAtStart.join(', ')} / ${m.loadAverageAtEnd?.join(', ') ?? '?'}`],
    ['Chromium', isBrowser(r.browser) ? (/HeadlessChrome\/([\d.]+)/.exec(r.browser.userAgent)?.[1] ?? r.browser.userAgent) : `not run: ${(r.browser as { skipped?: string } | undefined)?.skipped ?? 'group not selected'}`],
    ['model', `${r.model.describe}: ${JSON.stringify(r.model.config)}, ${r.model.parameters.toLocaleString('en')} parameters, ${f2(r.model.gflopPerSlice)} GFLOP per slice (forwardFlops, 2 × MAC)`],
  ]), '');
  if (m.loadAverageAtStart[0] > m.cores * 0.5) out.push(`**The machine was busy** (load average ${m.loadAverageAtStart[0]} on ${m.cores} cores at start): absolute times are inflated, ratios less so.`, '');

  if (r.node) {
    const p = r.node.peak;
    out.push('## Per slice at the model input size', '');
    out.push(`Peak assumed: **${f1(p.peakGflops)} GFLOP/s** = ${f1(p.perCoreGflops)} GFLOP/s per core × ${p.cores} cores. The per-core figure is the best single-thread tfjs-wasm (XNNPACK, SIMD128) GFLOP/s of large dense kernels measured here — ${p.probes.map((x) => `${x.label}: ${f1(x.gflops)}`).join('; ')} — i.e. an achievable best case, not the instruction-set maximum; × cores because tvunet runs one single-threaded WASM instance per core (tfjs 4.22 WASM threads do not work).`, '');
    const rows: string[][] = r.node.rows.map((x) => [x.label, f1(x.stats.medianMs), f1(x.stats.p95Ms), f2(x.slicesPerS), f1(x.gflops), `${f0((100 * x.gflops) / p.peakGflops)} %`, `${x.stats.n}${x.note ? `; ${x.note}` : ''}`]);
    for (const o of r.ort ?? []) {
      rows.push(o.stats
        ? [o.label, f1(o.stats.medianMs), f1(o.stats.p95Ms), f2(1000 / o.stats.medianMs), f1(o.gflops), `${f0((100 * o.gflops) / p.peakGflops)} %`, `${o.stats.n}; network only; max abs diff vs tvunet ${o.maxAbsDiff?.toExponential(1)}${o.id.startsWith('ort-node') ? '; native code (AVX2/AVX-512), not bound by the WASM peak' : ''}`]
        : [o.label, '–', '–', '–', '–', '–', o.note ?? 'not measured']);
    }
    if (isBrowser(r.browser)) {
      const b = r.browser;
      const gf = (ms: number) => b.forwardFlops / 1e6 / ms;
      rows.push(['Chromium WASM, Segmenter on the page thread', f1(b.mainThread.medianMs), f1(b.mainThread.p95Ms), f2(1000 / b.mainThread.medianMs), f1(gf(b.mainThread.medianMs)), `${f0((100 * gf(b.mainThread.medianMs)) / p.peakGflops)} %`, `${b.mainThread.n}`]);
      rows.push(['Chromium WASM, 1 worker', f1(b.worker.medianMs), f1(b.worker.p95Ms), f2(1000 / b.worker.medianMs), f1(gf(b.worker.medianMs)), `${f0((100 * gf(b.worker.medianMs)) / p.peakGflops)} %`, `${b.worker.n}; round trip`]);
      rows.push([`Chromium WASM, pool of ${b.pool.size} workers`, f1(b.pool.perSliceMs), f1(b.pool.p95Ms), f2(1000 / b.pool.perSliceMs), f1(gf(b.pool.perSliceMs)), `${f0((100 * gf(b.pool.perSliceMs)) / p.peakGflops)} %`, `${b.pool.slices} slices; per slice = wall / slices; p95 = per call`]);
      rows.push(['Chromium WebGPU', '–', '–', '–', '–', '–', !b.webgpu.found ? `not available: ${b.webgpu.why}` : b.webgpu.isFallbackAdapter ? `not available: only a fallback (SwiftShader) adapter ("${b.webgpu.description}")` : `adapter "${b.webgpu.description}" (not measured by this bench)`]);
    } else if (r.browser) rows.push(['Chromium (WASM, WebGPU)', '–', '–', '–', '–', '–', `not run: ${r.browser.skipped}`]);
    out.push(table(['configuration', 'median ms', 'p95 ms', 'slices/s', 'GFLOP/s', 'of peak', 'n; notes'], rows), '');
    out.push('"network only" = the U-Net on a standardised [1, S, S, 1] tensor, output read back; the Segmenter and worker rows add windowing, resizing, standardisation and per-class maps. Pool rows: slices/s over the whole batch; p95 is the latency of one call while all workers are busy.', '');
  }

  if (r.volume || r.postprocess) {
    out.push('## Volume: 300 slices of 512 × 512', '');
    if (r.volume) {
      const v = r.volume;
      const scaled = v.slices !== 300;
      out.push(table(['step', 'time', 'notes'], [
        ['NIfTI decode (readNifti)', `${f0(v.decodeMs)} ms`, `synthetic Int16 HU phantom written as .nii.gz (${f1(v.niftiBytes / 2 ** 20)} MB)`],
        [`start ${v.workers} worker_threads + load model`, `${f0(v.poolStartMs)} ms`, ''],
        [`segmentVolume: ${v.slices} slices (window, resize 512²→${r.model.config && (r.model.config as { inputSize: number }).inputSize}² and back, 4 classes)`, `${f1(v.segmentMs / 1000)} s`, `${f1(v.perSliceMs)} ms per slice over the pool`],
        ...(() => {
          const net = nodeRow(r, 'node-wasm-network');
          if (!net) return [];
          const floorS = (300 * net.stats.medianMs) / v.workers / 1000;
          return [[`of which the network alone, at best`, `${f1(floorS)} s`, `300 × ${f1(net.stats.medianMs)} ms (Node WASM, network only, above) / ${v.workers} workers: this model's floor on this CPU without a GPU`]];
        })(),
        ['3D post-processing and burden (segmentVolume)', `${f0(v.postprocessMs)} ms`, `lesions ≥ 0.01 mL (26-conn), 3D hole filling, restriction to the predicted lungs, burden: ${v.lesions} lesions, ${f1(v.infectedMl)} mL`],
        [`**total, ${v.slices} slices**`, `**${f1(v.totalMs / 1000)} s**`, [scaled ? `scaled to 300 slices: ${f1(v.totalMsAt300 / 1000)} s` : '', v.runs?.length > 1 ? `median of ${v.runs.length} runs (${v.runs.map((ms) => f1(ms / 1000)).join(', ')} s); every row is that run's` : ''].filter(Boolean).join('; ')],
        ['peak memory', `${f0(v.maxRssMb)} MB`, `resourceUsage().maxRSS of the process; sampled process.memoryUsage().rss peak ${f0(v.peakRssSampledMb)} MB (includes the ${f0((v.slices * 512 * 512 * 2) / 2 ** 20)} MB Int16 volume)`],
      ]), '');
    }
    if (r.postprocess) {
      const pp = r.postprocess;
      out.push(`Post-processing alone on a ${pp.dims.join(' × ')} phantom lung mask (${f1(pp.foregroundFraction * 100)} % foreground, with holes and speckle):`, '');
      out.push(table(['operation', 'median ms', 'n'], pp.ops.map((o) => [o.label, f0(o.stats.medianMs), String(o.stats.n)])), '');
    }
  }

  if (r.coldStart || isBrowser(r.browser)) {
    out.push('## Cold start: Segmenter.create() → first result (512² slice)', '');
    const rows: string[][] = [];
    if (r.coldStart) {
      const c = r.coldStart;
      rows.push(['Node, fresh process (not cached)', `${f0(c.cold.totalMs)} ms`, `create ${f0(c.cold.createMs)} ms + first segment ${f0(c.cold.firstSegmentMs)} ms; before that, importing dist/tvunet.mjs took ${f0(c.importMs)} ms; process start → first result ${f0(c.cold.sinceProcessStartMs)} ms (median of ${c.runs})`]);
      rows.push(['Node, same process again (wasm compiled, model in the OS file cache)', `${f0(c.warm.totalMs)} ms`, `create ${f0(c.warm.createMs)} ms + first segment ${f0(c.warm.firstSegmentMs)} ms`]);
    }
    if (isBrowser(r.browser)) {
      const c = r.browser.coldStart;
      rows.push(['Chromium worker, fresh profile (not cached)', `${f0(c.first.totalMs)} ms`, `createWorkerSegmenter ${f0(c.first.createMs)} ms (worker script, wasm, model over HTTP from the local test server)`]);
      rows.push(['Chromium worker, second time (HTTP cache)', `${f0(c.second.totalMs)} ms`, `createWorkerSegmenter ${f0(c.second.createMs)} ms`]);
      rows.push(['Chromium page thread, first Segmenter.create', `${f0(c.mainThread.totalMs)} ms`, 'wasm and model already in the HTTP cache']);
    }
    out.push(table(['case', 'create → first result', 'notes'], rows), '');
  }

  if (r.sizes?.length) {
    out.push('## Sizes (gzip -9)', '');
    out.push(table(['artifact', 'bytes', 'gz'], r.sizes.map((s) => [s.label, s.bytes.toLocaleString('en'), kb(s.gzBytes)])), '');
  }

  if (r.training?.length) {
    out.push('## Training: seconds per step', '');
    out.push('The trainer\'s step (forward, BCE + Dice + 0.1·TV, gradients, Adam) on random batches of 4, 4 classes, base 8, depth 4, with `initNodeBackend` (the trainer\'s gradients and WASM training kernels).', '');
    out.push(table(['backend and size', 's per step', 'notes'], r.training.map((t) => [t.label, f2(t.secondsPerStep), t.estimated ?? `median of ${t.stats?.n}`])), '');
  }

  out.push('## Targets', '');
  const ratios = r.ratios;
  const vol = r.volume ? r.volume.totalMsAt300 / 1000 : null;
  const frac = ratios['fraction of peak (pool GFLOP/s / peak)'] ?? null;
  const vsOrt1 = ratios['tvunet wasm vs ort-web 1 thread (ort ms / tvunet ms)'] ?? null;
  const vsOrt2 = ratios['tvunet pool vs ort-web 2 threads (per slice)'] ?? null;
  const lib = r.sizes?.find((s) => s.id === 'lib-js');
  const u8 = r.sizes?.find((s) => s.id === 'weights-uint8');
  const net = nodeRow(r, 'node-wasm-network');
  out.push(table(['target', 'measured', 'verdict'], [
    ['300-slice volume ≤ 10 s on 2 cores (WASM)', vol === null ? '–' : `${f1(vol)} s${r.volume!.slices !== 300 ? ' (scaled)' : ''}, ${r.machine.cores} cores${net ? `; the network alone needs ${f1((300 * net.stats.medianMs) / r.machine.cores / 1000)} s` : ''}`, verdict(vol === null ? null : vol <= 10)],
    ['per-slice compute ≥ 40 % of peak', frac === null ? '–' : `${f0(frac * 100)} % (pool)`, verdict(frac === null ? null : frac >= 0.4)],
    ['at least as fast as onnxruntime-web WASM', vsOrt1 === null ? '–' : `1 thread: ort/tvunet = ${f2(vsOrt1)}${vsOrt2 === null ? '' : `; ort 2 threads vs our ${r.machine.cores}-worker pool: ${f2(vsOrt2)}`} (> 1: tvunet faster)`,
      vsOrt1 === null ? verdict(null) : Math.min(vsOrt1, vsOrt2 ?? Infinity) >= 1 ? verdict(true) : Math.min(vsOrt1, vsOrt2 ?? Infinity) >= 0.95 ? '**on par** (within 5 %, the noise of one run)' : verdict(false)],
    ['library JS ≤ 30 kB gz', lib ? kb(lib.gzBytes) : '–', verdict(lib ? lib.gzBytes <= 30 * 1024 : null)],
    ['weights ≤ 1 MB (uint8)', u8 ? `${kb(u8.bytes)} (${kb(u8.gzBytes)} gz)` : 'models/default/uint8 not present', verdict(u8 ? u8.bytes <= 1024 * 1024 : null)],
  ]), '');

  out.push('## Ratios checked by `--check`', '');
  out.push(table(['ratio (higher is better)', 'value'], Object.entries(ratios).map(([k, v]) => [k, f2(v)])), '');
  out.push(JSON_BEGIN, JSON.stringify(r, null, 1), JSON_END, '');
  return out.join('\n');
}

/** The results embedded in a BENCHMARKS.md, or null. */
export function readEmbedded(markdown: string): BenchResults | null {
  const a = markdown.indexOf(JSON_BEGIN);
  const b = markdown.indexOf(JSON_END);
  if (a < 0 || b < a) return null;
  return JSON.parse(markdown.slice(a + JSON_BEGIN.length, b)) as BenchResults;
}

/** Warnings for ratios that fell by more than `tolerance` (0.2 = 20 %). */
export function compareRatios(recorded: Record<string, number>, now: Record<string, number>, tolerance = 0.2): { lines: string[]; warnings: number } {
  const lines: string[] = [];
  let warnings = 0;
  for (const [name, before] of Object.entries(recorded)) {
    const after = now[name];
    if (after === undefined) { lines.push(`  ? ${name}: recorded ${f2(before)}, not measured now`); continue; }
    const change = after / before - 1;
    const bad = change < -tolerance;
    if (bad) warnings++;
    lines.push(`  ${bad ? 'WARNING' : 'ok'} ${name}: recorded ${f2(before)}, now ${f2(after)} (${change >= 0 ? '+' : ''}${f0(change * 100)} %)`);
  }
  return { lines, warnings };
}
