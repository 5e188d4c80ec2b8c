/**
 * Metrics against scikit-learn / SciPy / numpy (test/reference/metrics_reference.py, one batched
 * run) on random and real infection masks, plus conventions and property checks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  averagePrecision,
  confusionCounts,
  diceScore,
  hausdorff95,
  iou,
  meanIoU,
  meanPerImageSummary,
  poolCounts,
  precision,
  precisionRecallCurve,
  recall,
  sensitivity,
  specificity,
  summarizeCounts,
  thresholdSweep,
  wilsonInterval,
  type ConfusionCounts,
  type ScoreArray,
} from '../../src/metrics/index.js';
import type { MaskDims } from '../../src/postprocess/index.js';
import { TvunetError } from '../../src/errors.js';
import { blobMask, maSliceNames, noiseMask, readRealMasks, ReferenceBatch, seededRandom } from '../reference/harness.js';

const random = seededRandom(2024);

/** `truth` with each pixel flipped with probability `flip`. */
const perturbed = (truth: Uint8Array, flip: number) => Uint8Array.from(truth, (v) => (random() < flip ? 1 - v : v));

/**
 * Plausible sigmoid output for a mask: high on foreground, low elsewhere, overlapping, optionally
 * quantized to `levels` steps (ties, as 8-bit probability maps have).
 */
function synthProbs(truth: Uint8Array, levels?: number): Float32Array {
  return Float32Array.from(truth, (v) => {
    const u = random();
    const p = v !== 0 ? 0.3 + 0.7 * Math.sqrt(u) : 0.65 * u * u;
    return levels === undefined ? p : Math.round(p * levels) / levels;
  });
}

// Real masks, or nothing (the harness says so) when ../shared/data is missing.
const maSlices = readRealMasks('ma2020', maSliceNames(300, 13)) ?? [];
const spread = readRealMasks('ma2020', maSliceNames(5, 12, 131)) ?? [];
const semiseg = readRealMasks('semiseg', ['0.png', '4.png', '12.png', '25.png']) ?? [];
const stack = readRealMasks('ma2020', maSliceNames(210, 13));

const batch = new ReferenceBatch();

// --- confusion counts and overlap metrics ---
interface PairCase { readonly name: string; readonly pred: Uint8Array; readonly truth: Uint8Array }
const pairCases: PairCase[] = [];
for (const n of [1, 10, 1000, 65536]) {
  for (const density of [0.05, 0.5]) {
    const truth = noiseMask(random, n, density);
    pairCases.push({ name: `noise n=${n} p=${density} independent`, pred: noiseMask(random, n, density), truth });
    pairCases.push({ name: `noise n=${n} p=${density} 10% flipped`, pred: perturbed(truth, 0.1), truth });
  }
}
for (let i = 0; i + 1 < maSlices.length; i++) {
  pairCases.push({ name: `real ${maSlices[i]!.name} vs next slice`, pred: maSlices[i + 1]!.data, truth: maSlices[i]!.data });
}
for (const m of semiseg) {
  // Prediction = the truth shifted right by 3 pixels.
  const pred = Uint8Array.from(m.data, (_, i) => (i % m.width >= 3 ? m.data[i - 3]! : 0));
  pairCases.push({ name: `real semiseg ${m.name} vs shifted`, pred, truth: m.data });
}
pairCases.forEach((c, i) => batch.add({ id: `confusion-${i}`, op: 'confusion', pred: batch.file(c.pred), truth: batch.file(c.truth) }));

// --- precision-recall curves ---
interface CurveCase { readonly name: string; readonly probs: ScoreArray[]; readonly truths: Uint8Array[] }
const curveCases: CurveCase[] = [];
{
  const truth = noiseMask(random, 5000, 0.3);
  curveCases.push({ name: 'uniform float64 scores, no ties', probs: [Float64Array.from(truth, () => random())], truths: [truth] });
  curveCases.push({ name: 'float32 scores quantized to 1/20 (heavy ties)', probs: [synthProbs(truth, 20)], truths: [truth] });
  curveCases.push({ name: 'float32 correlated scores, 8-bit ties', probs: [synthProbs(truth, 255)], truths: [truth] });
  curveCases.push({ name: 'float32 correlated scores, no quantization', probs: [synthProbs(truth)], truths: [truth] });
  const noPositives = new Uint8Array(300);
  curveCases.push({ name: 'no positive pixel', probs: [synthProbs(noPositives, 10)], truths: [noPositives] });
  const allPositive = new Uint8Array(300).fill(1);
  curveCases.push({ name: 'all pixels positive', probs: [synthProbs(allPositive, 10)], truths: [allPositive] });
  curveCases.push({ name: 'one pixel', probs: [Float32Array.of(0.25)], truths: [Uint8Array.of(1)] });
  curveCases.push({ name: 'one distinct score', probs: [new Float64Array(50).fill(0.5)], truths: [noiseMask(random, 50, 0.4)] });
  const small = [noiseMask(random, 400, 0.2), noiseMask(random, 900, 0.05), noiseMask(random, 100, 0.6)];
  curveCases.push({ name: 'three pooled images, float32 ties', probs: small.map((t) => synthProbs(t, 50)), truths: small });
}
if (spread.length > 0) {
  curveCases.push({ name: `real: ${spread.length} ma2020 slices pooled, 8-bit probabilities`, probs: spread.map((m) => synthProbs(m.data, 255)), truths: spread.map((m) => m.data) });
  curveCases.push({ name: `real: ${spread.length} ma2020 slices pooled, float32 probabilities`, probs: spread.map((m) => synthProbs(m.data)), truths: spread.map((m) => m.data) });
}
curveCases.forEach((c, i) => {
  const dtype = c.probs.every((p) => p instanceof Float32Array) ? 'float32' : 'float64';
  batch.add({ id: `pr-${i}`, op: 'pr', dtype, probs: c.probs.map((p) => batch.file(p)), truths: c.truths.map((t) => batch.file(t)) });
});

// --- threshold sweeps ---
interface SweepCase extends CurveCase { readonly thresholds?: number[] }
const sweepCases: SweepCase[] = [];
{
  const truths = [noiseMask(random, 2000, 0.1), new Uint8Array(500), noiseMask(random, 800, 0.4)];
  const probs = truths.map((t) => synthProbs(t, 100));
  sweepCases.push({ name: 'random images, one with empty truth, default thresholds', probs, truths });
  sweepCases.push({ name: 'unsorted thresholds with duplicates, 0 and 1', probs, truths, thresholds: [0.5, 0, 1, 0.25, 0.5, 0.3, 0.97] });
  sweepCases.push({ name: 'float64 scores', probs: truths.map((t) => Float64Array.from(synthProbs(t))), truths, thresholds: [0.2, 0.45] });
}
if (maSlices.length > 0) {
  sweepCases.push({ name: `real: ${maSlices.length} ma2020 slices`, probs: maSlices.map((m) => synthProbs(m.data, 255)), truths: maSlices.map((m) => m.data) });
}
sweepCases.forEach((c, i) => {
  const dtype = c.probs.every((p) => p instanceof Float32Array) ? 'float32' : 'float64';
  batch.add({
    id: `sweep-${i}`, op: 'sweep', dtype, thresholds: c.thresholds ?? [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
    probs: c.probs.map((p) => batch.file(p)), truths: c.truths.map((t) => batch.file(t)),
  });
});

// --- Hausdorff 95 ---
interface DistanceCase { readonly name: string; readonly pred: Uint8Array; readonly truth: Uint8Array; readonly dims: MaskDims; readonly spacing?: number[] }
const distanceCases: DistanceCase[] = [];
{
  let seed = 77;
  for (const density of [0.1, 0.4]) {
    const dims = { width: 60, height: 45 };
    const pred = blobMask(seededRandom(seed++), [60, 45], density);
    const truth = blobMask(seededRandom(seed++), [60, 45], density);
    distanceCases.push({ name: `2D blobs p=${density}`, pred, truth, dims });
    distanceCases.push({ name: `2D blobs p=${density}, anisotropic spacing`, pred, truth, dims, spacing: [0.7, 1.3] });
  }
  const line = { width: 31, height: 1 };
  distanceCases.push({ name: '1-pixel-high image', pred: noiseMask(random, 31, 0.3), truth: noiseMask(random, 31, 0.3), dims: line });
  distanceCases.push({ name: '2D noise', pred: noiseMask(random, 900, 0.05), truth: noiseMask(random, 900, 0.02), dims: { width: 30, height: 30 } });
  const onePixel = new Uint8Array(400);
  onePixel[7 + 20 * 3] = 1;
  distanceCases.push({ name: 'one pixel vs blobs', pred: onePixel, truth: blobMask(seededRandom(seed++), [20, 20], 0.2), dims: { width: 20, height: 20 } });
  const dims3D = { width: 24, height: 20, depth: 10 };
  const pred3D = blobMask(seededRandom(seed++), [24, 20, 10], 0.3);
  const truth3D = blobMask(seededRandom(seed++), [24, 20, 10], 0.25);
  distanceCases.push({ name: '3D blobs', pred: pred3D, truth: truth3D, dims: dims3D });
  distanceCases.push({ name: '3D blobs, CT-like spacing', pred: pred3D, truth: truth3D, dims: dims3D, spacing: [0.8, 0.75, 5] });
  distanceCases.push({ name: '3D depth 1 (every voxel on the border)', pred: noiseMask(random, 64, 0.5), truth: noiseMask(random, 64, 0.5), dims: { width: 8, height: 8, depth: 1 } });
}
for (let i = 0; i + 1 < Math.min(maSlices.length, 5); i++) {
  const m = maSlices[i]!;
  distanceCases.push({ name: `real ${m.name} vs next slice`, pred: maSlices[i + 1]!.data, truth: m.data, dims: { width: m.width, height: m.height }, spacing: [0.74, 0.74] });
}
if (stack) {
  // Volume of slices 210..221 vs the same volume one slice later (211..222).
  const area = stack[0]!.data.length;
  const volume = (from: number) => {
    const out = new Uint8Array(area * (stack.length - 1));
    for (let z = 0; z + 1 < stack.length; z++) out.set(stack[z + from]!.data, z * area);
    return out;
  };
  const dims = { width: stack[0]!.width, height: stack[0]!.height, depth: stack.length - 1 };
  distanceCases.push({ name: 'real 3D stack vs stack one slice later', pred: volume(1), truth: volume(0), dims, spacing: [0.74, 0.74, 5] });
}
distanceCases.forEach((c, i) => {
  const shape = c.dims.depth === undefined ? [c.dims.height, c.dims.width] : [c.dims.depth, c.dims.height, c.dims.width];
  const spacing = c.spacing ?? (c.dims.depth === undefined ? [1, 1] : [1, 1, 1]);
  batch.add({ id: `hd-${i}`, op: 'hd95', shape, spacing, pred: batch.file(c.pred), truth: batch.file(c.truth) });
});

let reference: Record<string, Record<string, unknown>>;

/** |a - b| ≤ tol·max(1, |b|), with a message naming the value. */
function assertClose(actual: number, expected: number, what: string, tol = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
}

const METRIC_DENOMINATORS: Record<string, (c: ConfusionCounts) => number> = {
  precision: (c) => c.tp + c.fp,
  recall: (c) => c.tp + c.fn,
  specificity: (c) => c.tn + c.fp,
  dice: (c) => c.tp + c.fp + c.fn,
  iou: (c) => c.tp + c.fp + c.fn,
  meanIoU: (c) => Math.min(c.tp + c.fp + c.fn, c.tn + c.fp + c.fn),
};

describe('against scikit-learn / SciPy / numpy', () => {
  before(() => {
    reference = batch.run('metrics_reference.py');
  });
  after(() => batch.dispose());

  test('real data was found (or the fallback said so)', (t) => {
    if (maSlices.length === 0) t.diagnostic('real masks missing: metrics compared on random masks only');
    else assert.ok(maSlices.every((m) => m.data.some((v) => v === 1)), 'every ma2020 slice has infection');
  });

  pairCases.forEach((c, i) => {
    test(`confusion metrics = sklearn: ${c.name}`, () => {
      const expected = reference[`confusion-${i}`]! as Record<string, number> & { counts: ConfusionCounts };
      const counts = confusionCounts(c.pred, c.truth);
      assert.deepEqual(counts, expected.counts);
      const ours = summarizeCounts(counts);
      let compared = 0;
      for (const [key, denominator] of Object.entries(METRIC_DENOMINATORS)) {
        // sklearn's zero_division differs from our convention; those cases are tested below.
        if (denominator(counts) === 0) continue;
        assertClose(ours[key as keyof typeof ours], expected[key]!, key);
        compared++;
      }
      if (c.pred.length >= 1000) assert.equal(compared, 6);
    });
  });

  curveCases.forEach((c, i) => {
    test(`precisionRecallCurve and averagePrecision = sklearn: ${c.name}`, () => {
      const id = `pr-${i}`;
      const probs = c.probs.length === 1 ? c.probs[0]! : c.probs;
      const truths = c.truths.length === 1 ? c.truths[0]! : c.truths;
      const curve = precisionRecallCurve(probs, truths);
      assert.deepEqual(curve.thresholds, batch.output(id, 'thresholds', Float64Array));
      assert.deepEqual(curve.precision, batch.output(id, 'precision', Float64Array));
      assert.deepEqual(curve.recall, batch.output(id, 'recall', Float64Array));
      assertClose(averagePrecision(probs, truths), (reference[id] as { ap: number }).ap, 'AP');
    });
  });

  test('binned AP with 1000 bins is within 0.01 of sklearn on 8-bit-free float32 scores', () => {
    const indices = curveCases.flatMap((c, i) => (c.name.includes('no quantization') || c.name.includes('float32 probabilities') ? [i] : []));
    assert.ok(indices.length >= 1);
    for (const i of indices) {
      const c = curveCases[i]!;
      const binned = averagePrecision(c.probs, c.truths, { bins: 1000 });
      const exact = (reference[`pr-${i}`] as { ap: number }).ap;
      assert.ok(Math.abs(binned - exact) < 0.01, `${c.name}: ${binned} vs ${exact}`);
    }
  });

  sweepCases.forEach((c, i) => {
    test(`thresholdSweep = numpy: ${c.name}`, () => {
      const expected = (reference[`sweep-${i}`] as { thresholds: Record<string, Record<string, number> | number[]>[] }).thresholds;
      const ours = thresholdSweep(c.probs, c.truths, c.thresholds);
      assert.equal(ours.length, expected.length);
      ours.forEach((row, j) => {
        const e = expected[j]!;
        assert.equal(row.threshold, (c.thresholds ?? [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])[j]);
        assert.deepEqual(row.counts, e.counts);
        for (const group of ['pooled', 'meanPerImage'] as const) {
          for (const [key, value] of Object.entries(e[group] as Record<string, number>)) {
            assertClose(row[group][key as keyof typeof row.pooled], value, `t=${row.threshold} ${group}.${key}`);
          }
        }
        const [lo, hi] = e.recallCi95 as number[];
        assertClose(row.recallCi95[0], lo!, 'CI lower');
        assertClose(row.recallCi95[1], hi!, 'CI upper');
      });
    });
  });

  distanceCases.forEach((c, i) => {
    test(`hausdorff95 = surface distances via cKDTree + np.percentile: ${c.name}`, () => {
      const expected = (reference[`hd-${i}`] as { hd95: number }).hd95;
      assertClose(hausdorff95(c.pred, c.truth, c.dims, c.spacing), expected, 'hd95', 1e-9);
    });
  });
});

describe('conventions', () => {
  const counts = (tp: number, fp: number, fn: number, tn: number): ConfusionCounts => ({ tp, fp, fn, tn });

  test('two empty masks: every ratio is 1', () => {
    const empty = confusionCounts(new Uint8Array(9), new Uint8Array(9));
    assert.deepEqual(empty, counts(0, 0, 0, 9));
    assert.deepEqual(summarizeCounts(empty), { precision: 1, recall: 1, specificity: 1, dice: 1, iou: 1, meanIoU: 1 });
  });

  test('empty prediction, non-empty truth: precision 0, recall 0, Dice 0', () => {
    const c = counts(0, 0, 3, 6);
    assert.equal(precision(c), 0);
    assert.equal(recall(c), 0);
    assert.equal(diceScore(c), 0);
    assert.equal(specificity(c), 1);
    assert.equal(meanIoU(c), (0 + 6 / 9) / 2);
  });

  test('non-empty prediction, empty truth: recall 0 (a false alarm), precision 0', () => {
    const c = counts(0, 2, 0, 7);
    assert.equal(recall(c), 0);
    assert.equal(precision(c), 0);
    assert.equal(iou(c), 0);
  });

  test('all-foreground truth: specificity 1 only when everything was predicted', () => {
    assert.equal(specificity(counts(5, 0, 0, 0)), 1);
    assert.equal(specificity(counts(4, 0, 1, 0)), 0);
  });

  test('sensitivity is recall; pooled vs per-image means differ as expected', () => {
    assert.equal(sensitivity, recall);
    const a = counts(90, 10, 0, 900);
    const b = counts(0, 0, 10, 990);
    assert.deepEqual(poolCounts([a, b]), counts(90, 10, 10, 1890));
    assert.equal(summarizeCounts(poolCounts([a, b])).dice, 180 / 200);
    assert.equal(meanPerImageSummary([a, b]).dice, (180 / 190 + 0) / 2);
  });

  test('Wilson interval: hand values and edge cases', () => {
    // 8 of 10, z = 1.96: the textbook example, [0.4902, 0.9433].
    const [lo, hi] = wilsonInterval(8, 10, 1.96);
    assertClose(lo, 0.49016, 'lower', 1e-4);
    assertClose(hi, 0.94331, 'upper', 1e-4);
    assert.deepEqual(wilsonInterval(0, 0), [0, 1]);
    assert.equal(wilsonInterval(0, 20)[0], 0);
    assert.equal(wilsonInterval(20, 20)[1], 1);
  });

  test('hausdorff95: both empty 0, one empty Infinity, identical 0', () => {
    const dims = { width: 4, height: 4 };
    const empty = new Uint8Array(16);
    const some = Uint8Array.from({ length: 16 }, (_, i) => (i === 5 ? 1 : 0));
    assert.equal(hausdorff95(empty, empty, dims), 0);
    assert.equal(hausdorff95(some, empty, dims), Infinity);
    assert.equal(hausdorff95(empty, some, dims), Infinity);
    assert.equal(hausdorff95(some, some, dims), 0);
  });

  test('hausdorff95 of two points 3 and 4 apart along x and y is 5 (and scales with spacing)', () => {
    const dims = { width: 10, height: 10 };
    const a = new Uint8Array(100);
    const b = new Uint8Array(100);
    a[1 + 10 * 1] = 1;
    b[4 + 10 * 5] = 1;
    assert.equal(hausdorff95(a, b, dims), 5);
    assertClose(hausdorff95(a, b, dims, [2, 0.5]), Math.hypot(6, 2), 'spacing');
  });

  test('binned curve = exact curve of the scores rounded down to the bins', () => {
    const truth = noiseMask(random, 3000, 0.2);
    const probs = synthProbs(truth);
    for (const bins of [1, 7, 100, 256]) {
      const quantized = Float64Array.from(probs, (p) => Math.min(bins - 1, Math.floor(p * bins)) / bins);
      assert.deepEqual(precisionRecallCurve(probs, truth, { bins }), precisionRecallCurve(quantized, truth), `bins=${bins}`);
    }
  });
});

describe('properties', () => {
  const maskPair = fc.integer({ min: 1, max: 60 }).chain((n) => fc.tuple(fc.uint8Array({ minLength: n, maxLength: n, max: 2 }), fc.uint8Array({ minLength: n, maxLength: n, max: 2 })));

  test('Dice and IoU are symmetric, in [0, 1], and IoU = Dice / (2 - Dice); pooling halves = whole', () => {
    fc.assert(fc.property(maskPair, ([a, b]) => {
      const ab = confusionCounts(a, b);
      const ba = confusionCounts(b, a);
      const dice = diceScore(ab);
      assert.equal(dice, diceScore(ba));
      assert.equal(iou(ab), iou(ba));
      assert.ok(dice >= 0 && dice <= 1);
      assertClose(iou(ab), dice / (2 - dice), 'IoU vs Dice');
      for (const v of Object.values(summarizeCounts(ab))) assert.ok(v >= 0 && v <= 1);
      const half = a.length >> 1;
      assert.deepEqual(poolCounts([confusionCounts(a.subarray(0, half), b.subarray(0, half)), confusionCounts(a.subarray(half), b.subarray(half))]), ab);
    }));
  });

  test('PR curve: thresholds increase, recall does not, ends at (0, 1); AP in [0, 1]', () => {
    const scored = fc.integer({ min: 1, max: 80 }).chain((n) => fc.tuple(
      fc.array(fc.integer({ min: 0, max: 12 }).map((k) => k / 12), { minLength: n, maxLength: n }),
      fc.uint8Array({ minLength: n, maxLength: n, max: 1 }),
    ));
    fc.assert(fc.property(scored, ([scores, truth]) => {
      const probs = Float64Array.from(scores);
      const { precision: p, recall: r, thresholds: t } = precisionRecallCurve(probs, truth);
      assert.equal(p.length, t.length + 1);
      for (let i = 1; i < t.length; i++) assert.ok(t[i]! > t[i - 1]!);
      for (let i = 1; i < r.length; i++) assert.ok(r[i]! <= r[i - 1]!);
      assert.equal(p[p.length - 1], 1);
      assert.equal(r[r.length - 1], 0);
      const ap = averagePrecision(probs, truth);
      assert.ok(ap >= 0 && ap <= 1 + 1e-12);
    }));
  });

  test('hausdorff95 is symmetric and 0 on identical masks', () => {
    const pair2D = fc.record({ width: fc.integer({ min: 1, max: 12 }), height: fc.integer({ min: 1, max: 12 }) }).chain((dims) => {
      const n = dims.width * dims.height;
      return fc.tuple(fc.constant(dims), fc.uint8Array({ minLength: n, maxLength: n, max: 1 }), fc.uint8Array({ minLength: n, maxLength: n, max: 1 }));
    });
    fc.assert(fc.property(pair2D, ([dims, a, b]) => {
      assert.equal(hausdorff95(a, b, dims, [1.5, 0.5]), hausdorff95(b, a, dims, [1.5, 0.5]));
      assert.equal(hausdorff95(a, a, dims), 0);
    }));
  });
});

describe('bad input', () => {
  const mask = new Uint8Array(4);
  const probs = new Float32Array(4);
  const cases: [string, () => unknown, string][] = [
    ['confusion length mismatch', () => confusionCounts(mask, new Uint8Array(5)), 'INVALID_INPUT'],
    ['confusion non-Uint8Array', () => confusionCounts([1, 0] as unknown as Uint8Array, new Uint8Array(2)), 'INVALID_INPUT'],
    ['negative count', () => diceScore({ tp: -1, fp: 0, fn: 0, tn: 0 }), 'INVALID_INPUT'],
    ['fractional count', () => summarizeCounts({ tp: 1.5, fp: 0, fn: 0, tn: 0 }), 'INVALID_INPUT'],
    ['mean of no images', () => meanPerImageSummary([]), 'INVALID_INPUT'],
    ['NaN probability', () => precisionRecallCurve(Float32Array.of(0.1, NaN), Uint8Array.of(0, 1)), 'INVALID_INPUT'],
    ['Infinity probability', () => averagePrecision(Float64Array.of(Infinity), Uint8Array.of(1)), 'INVALID_INPUT'],
    ['probs/truth length mismatch', () => precisionRecallCurve(probs, new Uint8Array(3)), 'INVALID_INPUT'],
    ['image count mismatch', () => precisionRecallCurve([probs, probs], [mask]), 'INVALID_INPUT'],
    ['no pixels', () => precisionRecallCurve(new Float32Array(0), new Uint8Array(0)), 'INVALID_INPUT'],
    ['bins 0', () => precisionRecallCurve(probs, mask, { bins: 0 }), 'INVALID_OPTIONS'],
    ['binned score > 1', () => precisionRecallCurve(Float32Array.of(1.5), Uint8Array.of(1), { bins: 10 }), 'INVALID_INPUT'],
    ['threshold > 1', () => thresholdSweep([probs], [mask], [0.5, 1.2]), 'INVALID_OPTIONS'],
    ['threshold NaN', () => thresholdSweep([probs], [mask], [NaN]), 'INVALID_OPTIONS'],
    ['no thresholds', () => thresholdSweep([probs], [mask], []), 'INVALID_OPTIONS'],
    ['sweep NaN probability', () => thresholdSweep([Float32Array.of(NaN)], [Uint8Array.of(0)]), 'INVALID_INPUT'],
    ['wilson successes > trials', () => wilsonInterval(3, 2), 'INVALID_INPUT'],
    ['hd95 dims mismatch', () => hausdorff95(mask, mask, { width: 3, height: 1 }), 'INVALID_INPUT'],
    ['hd95 masks of different lengths', () => hausdorff95(mask, new Uint8Array(6), { width: 2, height: 2 }), 'INVALID_INPUT'],
    ['hd95 spacing of wrong length', () => hausdorff95(mask, mask, { width: 2, height: 2 }, [1, 1, 1]), 'INVALID_INPUT'],
    ['hd95 zero spacing', () => hausdorff95(mask, mask, { width: 2, height: 2 }, [1, 0]), 'INVALID_INPUT'],
  ];
  for (const [name, call, code] of cases) {
    test(`${name} throws ${code}`, () => {
      assert.throws(call, (e: unknown) => e instanceof TvunetError && e.code === code && e.message.length > 0);
    });
  }
});
