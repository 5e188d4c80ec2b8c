// Loss ablation (the TV-UNet paper's Table II and the effect of λ) at a small, equal budget:
// every run has the same data, split, seed, model size and number of steps; only the loss differs.
// Usage: node trainer/scripts/ablation.mjs OUT_DIR [--steps N] [--size S] [--seeds a,b]
// Writes OUT_DIR/ablation.md and OUT_DIR/ablation.json.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { steps: { type: 'string' }, size: { type: 'string' }, seeds: { type: 'string' }, data: { type: 'string' } } });
const out = positionals[0] ?? 'runs/ablation';
const steps = Number(values.steps ?? 400);
const size = values.size ?? '96';
const seeds = (values.seeds ?? '1').split(',');
const data = values.data ?? '../shared/data';
const runs = [
  { loss: 'bce', lambda: 0 },
  { loss: 'bce+tv', lambda: 0.1 },
  { loss: 'bce+dice', lambda: 0 },
  { loss: 'bce+dice+tv', lambda: 0.1 },
  { loss: 'bce+tv', lambda: 0.01 },
  { loss: 'bce+tv', lambda: 1 },
];
mkdirSync(out, { recursive: true });
const results = [];
for (const seed of seeds) {
  for (const r of runs) {
    const dir = join(out, `${r.loss}-l${r.lambda}-s${seed}`);
    const epochs = 4;
    execFileSync(process.execPath, ['trainer/bin/tvunet.js', 'train',
      '--data', `semiseg:${data}/covid-semiseg,pseudo=0.35,weight=0.4`, '--data', `ma2020:${data}/ma2020-ct-infection-256,weight=0.25`,
      '--classes', 'infection', '--loss', r.loss, '--tv-lambda', String(r.lambda), '--out', dir, '--size', size, '--base', '8', '--depth', '3',
      '--epochs', String(epochs), '--steps-per-epoch', String(Math.ceil(steps / epochs)), '--seed', seed, '--early-stop', '100'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const manifest = JSON.parse(readFileSync(join(dir, 'model', 'float32', 'model.json'), 'utf8'));
    const v = manifest.provenance.validation[0];
    const row = { ...r, seed, threshold: v.threshold, balancedDice: v.sourceBalancedDice, bySource: Object.fromEntries(Object.entries(v.bySource).map(([k, s]) => [k, { meanDice: s.meanPerImage.dice, pooledDice: s.pooled.dice, ap: s.averagePrecision }])) };
    results.push(row);
    console.log(JSON.stringify(row));
  }
}
writeFileSync(join(out, 'ablation.json'), JSON.stringify(results, null, 2));
const f = (x) => (x === undefined ? '–' : x.toFixed(3));
const lines = [`Loss ablation: ${steps} steps, ${size}², base 8, depth 3, infection only, seeds ${seeds.join(',')}; validation = patient-disjoint split (seed of the run).`, '',
  '| loss | λ | seed | threshold | balanced mean Dice | MedSeg mean Dice | MedSeg AP | pseudo mean Dice | ma2020 mean Dice | ma2020 AP |', '|---|---|---|---|---|---|---|---|---|---|',
  ...results.map((r) => `| ${r.loss} | ${r.lambda} | ${r.seed} | ${r.threshold} | ${f(r.balancedDice)} | ${f(r.bySource['semiseg-doctor']?.meanDice)} | ${f(r.bySource['semiseg-doctor']?.ap)} | ${f(r.bySource['semiseg-pseudo']?.meanDice)} | ${f(r.bySource.ma2020?.meanDice)} | ${f(r.bySource.ma2020?.ap)} |`)];
writeFileSync(join(out, 'ablation.md'), lines.join('\n') + '\n');
console.log(lines.join('\n'));
