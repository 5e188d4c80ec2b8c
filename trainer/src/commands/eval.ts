/** `tvunet eval`: the paper's metrics of a model on image/mask pairs, with tables and a PR curve. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TvunetError } from '../../../src/errors.js';
import {
  averagePrecision, confusionCounts, DEFAULT_SWEEP_THRESHOLDS, meanPerImageSummary, poolCounts,
  precisionRecallCurve, summarizeCounts, thresholdSweep, type MetricSummary, type ThresholdMetrics,
} from '../../../src/metrics/index.js';
import { NODE_BACKENDS } from '../backends/node-backend.js';
import { numberOption, parseCommandArgs } from '../cli/args.js';
import { createProgress } from '../cli/progress.js';
import { pairedSamples } from '../data/datasets.js';
import { encodePng, multiClassIndices, readImageFile, type DecodedImage } from '../io/image-files.js';
import { renderLineChart } from '../report/chart.js';
import { createNodeSegmenter, prepareOutputFolder } from './common.js';

export const EVAL_HELP = `tvunet eval --images DIR --masks DIR --out DIR [options]

Segments every image and compares with its mask (paired by base name: 12.jpg ↔ 12.png). Masks
may be binary (0 / non-zero) or palette-indexed multi-class (1 = ground-glass, 2 = consolidation).
Writes eval.json, eval.md (summary and threshold sweep, as the paper's Tables V/VI) and
pr-curve.png (the paper's Figs 6/7).

Options:
  --images DIR   CT slices (PNG/JPG)          --masks DIR   masks (PNG)
  --out DIR      output folder                --model DIR   model (default: the shipped model)
  --class NAME   class to score (default infection; ground-glass / consolidation use palette masks)
  --threshold T  threshold (default: the model's recommendation)
  --backend K    ${NODE_BACKENDS.join(' | ')} (auto)`;

/**
 * Truth mask of `cls` from a binary, soft (0…255, > 127) or palette mask image. Palette masks
 * decode to colours (pngjs expands the palette); grey copies of them hold only 0/1/2 or 0/38/75.
 * A single stray grey level (e.g. 38 in a soft pseudo label) does not make a mask a palette one.
 */
export function truthMask(img: DecodedImage, cls: string): Uint8Array {
  const n = img.width * img.height;
  let colour = false;
  const levels = new Uint8Array(256);
  for (let i = 0; i < n && !colour; i++) {
    const r = img.rgba[4 * i]!, g = img.rgba[4 * i + 1]!, b = img.rgba[4 * i + 2]!;
    colour = r !== g || g !== b;
    levels[r] = 1;
  }
  const only = (allowed: number[]) => levels.every((seen, v) => !seen || allowed.includes(v));
  if (!colour && only([0])) return new Uint8Array(n); // empty: no class present, whatever the encoding
  const palette = colour || only([0, 1, 2]) || only([0, 38, 75]);
  if (cls === 'ground-glass' || cls === 'consolidation') {
    if (!palette) throw new TvunetError('INVALID_INPUT', `class ${cls} needs palette-indexed multi-class masks; this mask is binary`);
    const want = cls === 'ground-glass' ? 1 : 2;
    return multiClassIndices(img).map((v) => (v === want ? 1 : 0));
  }
  if (palette) return multiClassIndices(img).map((v) => (v > 0 ? 1 : 0));
  return img.gray.map((v) => (v > 127 ? 1 : 0));
}

export interface EvalReport {
  n: number;
  class: string;
  threshold: number;
  meanDice: number;
  pooledDice: number;
  sensitivity: number;
  specificity: number;
  precision: number;
  mIoU: number;
  meanPerImage: MetricSummary;
  pooled: MetricSummary;
  averagePrecision: number;
  sweep: Array<{ threshold: number; recall: number; recallCi95: [number, number]; precision: number; dice: number; meanDice: number; mIoU: number }>;
  perImage: Array<{ image: string; dice: number; iou: number; precision: number; recall: number }>;
  model: string;
  backend: string;
}

const f = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x));

export function evalMarkdown(r: EvalReport): string {
  const lines = [
    `# Evaluation: ${r.class}`, '',
    `Model \`${r.model}\` on ${r.n} slices, backend ${r.backend}, threshold ${r.threshold}.`, '',
    '| mean Dice | pooled Dice | sensitivity | specificity | precision | mIoU | AP |',
    '|---|---|---|---|---|---|---|',
    `| ${f(r.meanDice)} | ${f(r.pooledDice)} | ${f(r.sensitivity)} | ${f(r.specificity)} | ${f(r.precision)} | ${f(r.mIoU)} | ${f(r.averagePrecision)} |`, '',
    'Mean Dice is the mean of per-image Dice (as Inf-Net reports); the other columns pool pixels over all images. mIoU is the mean of the infection and background IoU (the TV-UNet paper\'s definition).', '',
    '## Threshold sweep', '',
    '| threshold | recall (95 % CI) | precision | pooled Dice | mean Dice | mIoU |',
    '|---|---|---|---|---|---|',
    ...r.sweep.map((s) => `| ${s.threshold.toFixed(2)} | ${f(s.recall)} (${f(s.recallCi95[0])}–${f(s.recallCi95[1])}) | ${f(s.precision)} | ${f(s.dice)} | ${f(s.meanDice)} | ${f(s.mIoU)} |`),
    '', 'Recall intervals are Wilson score intervals over pixels (pixels treated as independent, so they are narrow).', '',
  ];
  return lines.join('\n');
}

export async function evalCommand(argv: string[]): Promise<void> {
  const { values } = parseCommandArgs(argv, {
    images: { type: 'string' }, masks: { type: 'string' }, out: { type: 'string' }, model: { type: 'string' },
    class: { type: 'string' }, threshold: { type: 'string' }, backend: { type: 'string' },
  }, false);
  if (values.help) { console.log(EVAL_HELP); return; }
  if (!values.images || !values.masks || !values.out) throw new TvunetError('INVALID_OPTIONS', 'eval needs --images DIR --masks DIR --out DIR');
  const cls = values.class ?? 'infection';
  const pairs = await pairedSamples(values.images, values.masks);
  await prepareOutputFolder(values.out);
  const { segmenter, modelDir } = await createNodeSegmenter(values.model, values.backend);
  try {
    const classes = segmenter.manifest.classes.map((c) => c.name);
    if (!classes.includes(cls)) throw new TvunetError('INVALID_OPTIONS', `--class ${cls}: the model has ${classes.join(', ')}`);
    const threshold = numberOption('threshold', values.threshold, segmenter.manifest.classes.find((c) => c.name === cls)!.threshold, (t) => t > 0 && t < 1);
    const probs: Float32Array[] = [];
    const truths: Uint8Array[] = [];
    const perImage: EvalReport['perImage'] = [];
    const progress = createProgress('eval', pairs.length);
    for (const [i, pair] of pairs.entries()) {
      const img = await readImageFile(pair.image);
      const maskImg = await readImageFile(pair.labels.infection!.path);
      if (maskImg.width !== img.width || maskImg.height !== img.height) {
        throw new TvunetError('INVALID_INPUT', `${pair.labels.infection!.path}: mask is ${maskImg.width}×${maskImg.height}, image is ${img.width}×${img.height}`);
      }
      const result = await segmenter.segment({ data: img.gray, width: img.width, height: img.height, kind: 'display' }, { threshold });
      const p = result.classes.find((c) => c.name === cls)!;
      const truth = truthMask(maskImg, cls);
      probs.push(p.probabilities);
      truths.push(truth);
      const s = summarizeCounts(confusionCounts(p.mask, truth));
      perImage.push({ image: pair.image, dice: s.dice, iou: s.iou, precision: s.precision, recall: s.recall });
      progress.update(i + 1, { label: '', info: pair.id });
    }
    progress.stop();
    const counts = perImage.map((_, k) => confusionCounts(Uint8Array.from(probs[k]!, (v) => (v >= threshold ? 1 : 0)), truths[k]!));
    const pooled = summarizeCounts(poolCounts(counts));
    const mean = meanPerImageSummary(counts);
    const sweep = thresholdSweep(probs, truths, DEFAULT_SWEEP_THRESHOLDS).map((s: ThresholdMetrics) => ({
      threshold: s.threshold, recall: s.pooled.recall, recallCi95: s.recallCi95, precision: s.pooled.precision,
      dice: s.pooled.dice, meanDice: s.meanPerImage.dice, mIoU: s.pooled.meanIoU,
    }));
    const report: EvalReport = {
      n: pairs.length, class: cls, threshold,
      meanDice: mean.dice, pooledDice: pooled.dice, sensitivity: pooled.recall, specificity: pooled.specificity,
      precision: pooled.precision, mIoU: pooled.meanIoU, meanPerImage: mean, pooled,
      averagePrecision: averagePrecision(probs, truths), sweep, perImage, model: modelDir, backend: segmenter.backend.backend,
    };
    await writeFile(join(values.out, 'eval.json'), JSON.stringify(report, null, 2));
    await writeFile(join(values.out, 'eval.md'), evalMarkdown(report));
    const curve = precisionRecallCurve(probs, truths, { bins: 1000 });
    const chart = renderLineChart({
      title: `Precision-recall, ${cls} (AP ${report.averagePrecision.toFixed(3)}, n=${report.n})`, xLabel: 'recall', yLabel: 'precision',
      series: [{ name: segmenter.manifest.name, x: curve.recall, y: curve.precision }], xRange: [0, 1], yRange: [0, 1],
    });
    await writeFile(join(values.out, 'pr-curve.png'), encodePng(chart.width, chart.height, chart.data));
    console.log(`eval ${cls} on ${report.n} slices: mean Dice ${f(report.meanDice)}, pooled Dice ${f(report.pooledDice)}, sensitivity ${f(report.sensitivity)}, specificity ${f(report.specificity)}, precision ${f(report.precision)}, mIoU ${f(report.mIoU)}, AP ${f(report.averagePrecision)} at threshold ${threshold}`);
  } finally {
    segmenter.close();
  }
}
