// Evaluates a trained model on the validation side of its own patient split, at native
// resolution through the library (tvunet eval), per data source and class.
// Usage: node trainer/scripts/eval-split.mjs RUN_DIR [MODEL_DIR] [--data ../shared/data]
// Writes RUN_DIR/eval/<source>-<class>/{eval.json,eval.md,pr-curve.png} and RUN_DIR/eval/summary.md.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { data: { type: 'string' } } });
const run = positionals[0];
if (!run) throw new Error('usage: eval-split.mjs RUN_DIR [MODEL_DIR]');
const model = positionals[1] ?? join(run, 'model', 'uint8');
const data = values.data ?? '../shared/data';
const split = JSON.parse(readFileSync(join(run, 'split.json'), 'utf8'));
const ids = split.validation.ids;
const semiseg = join(data, 'covid-semiseg/TrainingSet');
const ma = join(data, 'ma2020-ct-infection-256');

/** Copies the validation slices of one source into images/masks folders that tvunet eval pairs by name. */
function materialise(name, list) {
  const dir = join(run, 'eval', 'sets', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'images'), { recursive: true });
  mkdirSync(join(dir, 'masks'), { recursive: true });
  for (const [image, mask, stem, ext] of list) {
    copyFileSync(image, join(dir, 'images', `${stem}${ext}`));
    copyFileSync(mask, join(dir, 'masks', `${stem}.png`));
  }
  return dir;
}
const medseg = ids.filter((i) => i.startsWith('medseg-')).map((i) => i.slice(7));
const maIds = ids.filter((i) => i.startsWith('ma2020-')).map((i) => i.slice(7));
const pseudo = ids.filter((i) => i.startsWith('pseudo-')).map((i) => i.slice(7));
const sets = [
  ['medseg', materialise('medseg', medseg.map((s) => [join(semiseg, 'LungInfection-Train/Doctor-label/Imgs', `${s}.jpg`), join(semiseg, 'MultiClassInfection-Train/GT', `${s}.png`), s, '.jpg'])), ['infection', 'ground-glass', 'consolidation']],
  ['ma2020', materialise('ma2020', maIds.map((s) => [join(ma, 'ct', `${s}.png`), join(ma, 'covid', `${s}.png`), s, '.png'])), ['infection']],
  ['ma2020-lungs', materialise('ma2020-lungs', maIds.map((s) => [join(ma, 'ct', `${s}.png`), join(ma, 'lungs', `${s}.png`), s, '.png'])), ['lungs']],
  ['pseudo', materialise('pseudo', pseudo.map((s) => [join(semiseg, 'LungInfection-Train/Pseudo-label/Imgs', `${s}.jpg`), join(semiseg, 'LungInfection-Train/Pseudo-label/GT', `${s}.png`), s, '.jpg'])), ['infection']],
];
const rows = [];
for (const [source, dir, classes] of sets) {
  for (const cls of classes) {
    const out = join(run, 'eval', `${source}-${cls}`);
    execFileSync(process.execPath, ['trainer/bin/tvunet.js', 'eval', '--images', join(dir, 'images'), '--masks', join(dir, 'masks'), '--class', cls, '--model', model, '--out', out], { stdio: ['ignore', 'inherit', 'inherit'] });
    const r = JSON.parse(readFileSync(join(out, 'eval.json'), 'utf8'));
    rows.push({ source, cls, ...r });
  }
}
const f = (x) => (Number.isFinite(x) ? x.toFixed(3) : String(x));
const md = [
  `Validation (patient-disjoint split of ${run}), model ${model}, native resolution through the library.`, '',
  '| source | class | n | threshold | mean Dice | pooled Dice | sensitivity | specificity | precision | mIoU | AP |', '|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.source} | ${r.cls} | ${r.n} | ${r.threshold} | ${f(r.meanDice)} | ${f(r.pooledDice)} | ${f(r.sensitivity)} | ${f(r.specificity)} | ${f(r.precision)} | ${f(r.mIoU)} | ${f(r.averagePrecision)} |`),
];
writeFileSync(join(run, 'eval', 'summary.md'), md.join('\n') + '\n');
console.log(md.join('\n'));
