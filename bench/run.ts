/**
 * npm run bench [-- options]: every measurement in one run (so their ratios hold on a noisy
 * machine), written to BENCHMARKS.md.
 *   --quick          few iterations and a 24-slice volume (development on a busy machine)
 *   --json FILE      also write the results as JSON
 *   --check          re-measure and compare the ratios with those recorded in BENCHMARKS.md;
 *                    warns on a > 20 % drop, never fails, does not rewrite BENCHMARKS.md
 *   --only a,b       groups: sizes, node, ort, browser, cold, post, volume, training (default all)
 *   --out FILE       where the markdown goes (default BENCHMARKS.md)
 * Builds nothing: the Chromium, cold-start and size groups use dist/ (npm run build first).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { forwardFlops, parameterCount } from '../src/model/config.js';
import { benchBrowser } from './browser.js';
import { benchColdStart } from './cold-start.js';
import { defaultOptions, REPO_ROOT } from './lib.js';
import { prepareBenchModel } from './model.js';
import { benchNodeInference } from './node-inference.js';
import { benchOnnxPeer } from './onnx-peer.js';
import { compareRatios, computeRatios, describeMachine, readEmbedded, renderMarkdown, type BenchResults } from './report.js';
import { benchSizes } from './sizes.js';
import { benchTraining } from './training.js';
import { benchPostprocess, benchVolume } from './volume.js';

const GROUPS = ['sizes', 'node', 'ort', 'browser', 'cold', 'post', 'volume', 'training'] as const;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    check: { type: 'boolean', default: false },
    json: { type: 'string' },
    only: { type: 'string' },
    out: { type: 'string', default: 'BENCHMARKS.md' },
  },
});
const groups = values.only ? values.only.split(',').map((g) => g.trim()) : [...GROUPS];
for (const g of groups) if (!(GROUPS as readonly string[]).includes(g)) throw new Error(`--only: unknown group "${g}" (${GROUPS.join(', ')})`);
const want = (g: (typeof GROUPS)[number]) => groups.includes(g);

const started = performance.now();
const log = (s: string) => console.error(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${s}`);
const o = defaultOptions(values.quick);
const machine = describeMachine();
log(`${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, load average ${machine.loadAverageAtStart.join(' ')}${o.quick ? ', --quick' : ''}`);

const model = await prepareBenchModel();
log(`model: ${model.describe}`);
const results: BenchResults = {
  schema: 'tvunet-bench/1', date: new Date().toISOString(), quick: o.quick, groups, machine,
  model: { kind: model.kind, describe: model.describe, config: model.config, parameters: parameterCount(model.config), gflopPerSlice: forwardFlops(model.config) / 1e9 },
  ratios: {},
};
try {
  if (want('sizes')) results.sizes = benchSizes(log);
  if (want('node')) results.node = await benchNodeInference(model, o, log);
  if (want('ort')) results.ort = await benchOnnxPeer(model, o, log);
  if (want('browser')) results.browser = await benchBrowser(model, o, log);
  if (want('cold')) results.coldStart = await benchColdStart(model, o, log);
  if (want('post')) results.postprocess = await benchPostprocess(o, log);
  if (want('volume')) results.volume = await benchVolume(model, o, log);
  if (want('training')) results.training = await benchTraining(o, log);
} finally {
  await model.dispose();
}
results.machine.loadAverageAtEnd = loadavg().map((x) => Math.round(x * 100) / 100) as [number, number, number];
results.ratios = computeRatios(results);

if (values.json) writeFileSync(values.json, JSON.stringify(results, null, 1));
const mdPath = resolve(REPO_ROOT, values.out);
if (values.check) {
  const recorded = existsSync(mdPath) ? readEmbedded(readFileSync(mdPath, 'utf8')) : null;
  if (!recorded) {
    log(`--check: no recorded results in ${values.out}; nothing to compare`);
  } else {
    const { lines, warnings } = compareRatios(recorded.ratios, results.ratios);
    console.log(`Ratios against ${values.out} (recorded ${recorded.date}${recorded.quick ? ', --quick' : ''}):\n${lines.join('\n')}`);
    console.log(warnings ? `${warnings} ratio(s) dropped by more than 20 % (a warning, not a failure; the machine's load moves them too)` : 'no ratio dropped by more than 20 %');
  }
} else {
  writeFileSync(mdPath, renderMarkdown(results));
  log(`wrote ${values.out}`);
}
for (const [k, v] of Object.entries(results.ratios)) log(`${k}: ${v.toFixed(2)}`);
