/**
 * Threshold-dependent metrics of probability maps: precision-recall curve, average precision and a
 * sweep of fixed thresholds. A pixel is predicted positive when its probability is ≥ the threshold
 * (scikit-learn's convention), compared in double precision. Several images are pooled: their
 * pixels count as one set.
 */
import { TvunetError } from '../errors.js';
import { checkMaskArray } from '../postprocess/dims.js';
import { meanPerImageSummary, poolCounts, summarizeCounts, type ConfusionCounts, type MetricSummary } from './confusion.js';

/** Per-pixel scores, usually sigmoid probabilities. */
export type ScoreArray = Float32Array | Float64Array;

/** Precision-recall curve in scikit-learn's layout (see {@link precisionRecallCurve}). */
export interface PrecisionRecallCurve {
  /** `thresholds.length + 1` values; the last is 1. */
  readonly precision: Float64Array;
  /** `thresholds.length + 1` values, non-increasing; the last is 0. */
  readonly recall: Float64Array;
  /** Distinct scores (or bin edges), increasing. */
  readonly thresholds: Float64Array;
}

/** Options of {@link precisionRecallCurve} and {@link averagePrecision}. */
export interface CurveOptions {
  /**
   * When set, scores (which must then lie in [0, 1]) are bucketed into `bins` equal bins and only
   * the bins' lower edges `k / bins` serve as thresholds: exactly the curve of the scores rounded
   * down to `floor(p * bins) / bins` (1 goes to the last bin). O(pixels + bins) time and memory,
   * for inputs too large to sort. Omit for the exact curve.
   */
  readonly bins?: number;
}

/** Scores above/at each threshold, thresholds increasing; `tp[i]`/`fp[i]`: positives/negatives ≥ `thresholds[i]`. */
interface ThresholdCounts {
  readonly thresholds: Float64Array;
  readonly tp: Float64Array;
  readonly fp: Float64Array;
  readonly positives: number;
}

function asList<T>(value: T | readonly T[]): readonly T[] {
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

/** Validates image pairs: same count, same lengths, finite scores; returns them as lists. */
function checkPairs(
  probs: ScoreArray | readonly ScoreArray[], truths: Uint8Array | readonly Uint8Array[],
): { probs: readonly ScoreArray[]; truths: readonly Uint8Array[]; total: number } {
  const p = asList(probs);
  const t = asList(truths);
  if (p.length !== t.length) {
    throw new TvunetError('INVALID_INPUT', `got ${p.length} probability maps but ${t.length} truth masks`);
  }
  let total = 0;
  for (let k = 0; k < p.length; k++) {
    const scores = p[k]!;
    const truth = t[k]!;
    if (!(scores instanceof Float32Array || scores instanceof Float64Array)) {
      throw new TvunetError('INVALID_INPUT', `probability map ${k} must be a Float32Array or Float64Array`);
    }
    checkMaskArray(truth, `truth mask ${k}`);
    if (scores.length !== truth.length) {
      throw new TvunetError('INVALID_INPUT', `probability map ${k} has ${scores.length} pixels but its truth mask has ${truth.length}`);
    }
    for (let i = 0; i < scores.length; i++) {
      if (!Number.isFinite(scores[i])) {
        throw new TvunetError('INVALID_INPUT', `probability map ${k} has a non-finite value (${scores[i]}) at pixel ${i}`);
      }
    }
    total += scores.length;
  }
  if (total === 0) throw new TvunetError('INVALID_INPUT', 'no pixels given');
  return { probs: p, truths: t, total };
}

/** Exact counts at every distinct score: sorts all scores and the positives' scores (natively). */
function exactThresholdCounts(probs: readonly ScoreArray[], truths: readonly Uint8Array[], total: number): ThresholdCounts {
  // Float32 scores stay Float32 so the sort moves half the bytes; values are unchanged either way.
  const Scores = probs.every((p) => p instanceof Float32Array) ? Float32Array : Float64Array;
  let positives = 0;
  for (const truth of truths) for (let i = 0; i < truth.length; i++) if (truth[i] !== 0) positives++;
  const all = new Scores(total);
  const pos = new Scores(positives);
  let a = 0;
  let b = 0;
  for (let k = 0; k < probs.length; k++) {
    const scores = probs[k]!;
    const truth = truths[k]!;
    all.set(scores, a);
    a += scores.length;
    for (let i = 0; i < scores.length; i++) if (truth[i] !== 0) pos[b++] = scores[i]!;
  }
  all.sort();
  pos.sort();
  let distinct = 1;
  for (let i = 1; i < total; i++) if (all[i] !== all[i - 1]) distinct++;
  const thresholds = new Float64Array(distinct);
  const tp = new Float64Array(distinct);
  const fp = new Float64Array(distinct);
  let posBelow = 0;
  for (let i = 0, d = 0; i < total; d++) {
    const t = all[i]!;
    while (posBelow < positives && pos[posBelow]! < t) posBelow++;
    thresholds[d] = t;
    tp[d] = positives - posBelow;
    fp[d] = total - i - tp[d]!;
    while (i < total && all[i] === t) i++;
  }
  return { thresholds, tp, fp, positives };
}

/** Counts at the occupied bins' lower edges, from one histogram pass. */
function binnedThresholdCounts(probs: readonly ScoreArray[], truths: readonly Uint8Array[], bins: number): ThresholdCounts {
  if (!Number.isInteger(bins) || bins < 1) {
    throw new TvunetError('INVALID_OPTIONS', `bins must be an integer >= 1, got ${bins}`);
  }
  const posHist = new Float64Array(bins);
  const negHist = new Float64Array(bins);
  for (let k = 0; k < probs.length; k++) {
    const scores = probs[k]!;
    const truth = truths[k]!;
    for (let i = 0; i < scores.length; i++) {
      const p = scores[i]!;
      if (p < 0 || p > 1) {
        throw new TvunetError('INVALID_INPUT', `binned curves need scores in [0, 1]; probability map ${k} has ${p} at pixel ${i}`);
      }
      const bin = Math.min(bins - 1, Math.floor(p * bins));
      const hist = truth[i] !== 0 ? posHist : negHist;
      hist[bin] = hist[bin]! + 1;
    }
  }
  let distinct = 0;
  for (let bin = 0; bin < bins; bin++) if (posHist[bin]! + negHist[bin]! > 0) distinct++;
  const thresholds = new Float64Array(distinct);
  const tp = new Float64Array(distinct);
  const fp = new Float64Array(distinct);
  let tpAbove = 0;
  let fpAbove = 0;
  for (let bin = bins - 1, d = distinct - 1; bin >= 0; bin--) {
    tpAbove += posHist[bin]!;
    fpAbove += negHist[bin]!;
    if (posHist[bin]! + negHist[bin]! === 0) continue;
    thresholds[d] = bin / bins;
    tp[d] = tpAbove;
    fp[d] = fpAbove;
    d--;
  }
  return { thresholds, tp, fp, positives: tpAbove };
}

/**
 * Precision-recall curve of pooled pixels, identical to scikit-learn's `precision_recall_curve`
 * (≥ 1.1, which keeps all points): one point per distinct score used as threshold, thresholds
 * increasing, `precision[i]`/`recall[i]` for "score ≥ thresholds[i]", plus a final point
 * (recall 0, precision 1) without threshold. When no pixel is positive, recall is 1 everywhere
 * except the final point (as scikit-learn, which also warns).
 *
 * @param probs one score map or several (pooled); Float32 scores are used as float32 values.
 * @param truths matching masks, non-zero = positive.
 * @returns new arrays, owned by the caller.
 * @throws TvunetError INVALID_INPUT on mismatched lengths, non-finite scores or no pixels;
 *   INVALID_OPTIONS on a bad `bins`.
 */
export function precisionRecallCurve(
  probs: ScoreArray | readonly ScoreArray[], truths: Uint8Array | readonly Uint8Array[], options: CurveOptions = {},
): PrecisionRecallCurve {
  const pairs = checkPairs(probs, truths);
  const counts = options.bins === undefined
    ? exactThresholdCounts(pairs.probs, pairs.truths, pairs.total)
    : binnedThresholdCounts(pairs.probs, pairs.truths, options.bins);
  const n = counts.thresholds.length;
  const precision = new Float64Array(n + 1);
  const recall = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const tp = counts.tp[i]!;
    precision[i] = tp / (tp + counts.fp[i]!);
    recall[i] = counts.positives === 0 ? 1 : tp / counts.positives;
  }
  precision[n] = 1;
  recall[n] = 0;
  return { precision, recall, thresholds: counts.thresholds };
}

/**
 * Average precision, identical to scikit-learn's `average_precision_score` (up to summation
 * rounding): Σₙ (Rₙ − Rₙ₋₁) Pₙ over the thresholds of {@link precisionRecallCurve}, no
 * interpolation. 0 when no pixel is positive (as scikit-learn).
 * @param options `bins` for the binned approximation, see {@link CurveOptions}.
 */
export function averagePrecision(
  probs: ScoreArray | readonly ScoreArray[], truths: Uint8Array | readonly Uint8Array[], options: CurveOptions = {},
): number {
  const { precision, recall } = precisionRecallCurve(probs, truths, options);
  let sum = 0;
  for (let i = 0; i + 1 < recall.length; i++) sum += (recall[i]! - recall[i + 1]!) * precision[i]!;
  return sum;
}

/** Standard normal quantile for a two-sided 95 % interval. */
export const Z_95 = 1.959963984540054;

/**
 * Wilson score interval for a binomial proportion `successes / trials`; with the default `z` a
 * 95 % interval. `[0, 1]` when `trials` is 0 (nothing known).
 * @returns `[lower, upper]`, a new array owned by the caller.
 */
export function wilsonInterval(successes: number, trials: number, z = Z_95): [number, number] {
  if (!Number.isInteger(trials) || trials < 0 || !Number.isInteger(successes) || successes < 0 || successes > trials) {
    throw new TvunetError('INVALID_INPUT', `wilsonInterval needs integers 0 <= successes <= trials, got ${successes} / ${trials}`);
  }
  if (!Number.isFinite(z) || z <= 0) throw new TvunetError('INVALID_OPTIONS', `z must be finite and > 0, got ${z}`);
  if (trials === 0) return [0, 1];
  const p = successes / trials;
  const z2n = (z * z) / trials;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt(p * (1 - p) / trials + z2n / (4 * trials));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** Default thresholds of {@link thresholdSweep}: 0.1, 0.2, …, 0.9. */
export const DEFAULT_SWEEP_THRESHOLDS: readonly number[] = Object.freeze([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);

/** Metrics at one threshold of {@link thresholdSweep}. */
export interface ThresholdMetrics {
  readonly threshold: number;
  /** Counts pooled over all images. */
  readonly counts: ConfusionCounts;
  /** Metrics of the pooled counts (Dice here is the pooled, "global" Dice). */
  readonly pooled: MetricSummary;
  /** Mean over images of each image's metrics (Dice here is the mean per-image Dice). */
  readonly meanPerImage: MetricSummary;
  /** Wilson 95 % score interval of the pooled recall tp / (tp + fn), treating pixels as independent trials. */
  readonly recallCi95: [number, number];
}

/**
 * Pooled and per-image metrics of the masks `prob ≥ threshold`, for each threshold (in the order
 * given). Zero-denominator cases follow the convention of ./confusion.ts.
 *
 * @param thresholds each in [0, 1]; default {@link DEFAULT_SWEEP_THRESHOLDS}.
 * @returns a new array, one entry per threshold.
 * @throws TvunetError INVALID_INPUT on mismatched images or non-finite scores, INVALID_OPTIONS on
 *   an empty threshold list or a threshold outside [0, 1].
 */
export function thresholdSweep(
  probs: ScoreArray | readonly ScoreArray[], truths: Uint8Array | readonly Uint8Array[],
  thresholds: readonly number[] = DEFAULT_SWEEP_THRESHOLDS,
): ThresholdMetrics[] {
  if (thresholds.length === 0) throw new TvunetError('INVALID_OPTIONS', 'thresholds must not be empty');
  for (const t of thresholds) {
    if (!(t >= 0 && t <= 1)) throw new TvunetError('INVALID_OPTIONS', `thresholds must lie in [0, 1], got ${t}`);
  }
  const pairs = checkPairs(probs, truths);
  const sorted = Float64Array.from(thresholds).sort();
  const m = sorted.length;
  // Positive at threshold t ⇔ more thresholds than those below t are ≤ the score.
  const belowCount = thresholds.map((t) => sorted.indexOf(t));
  // perImage[t][k]: counts of image k at threshold thresholds[t].
  const perImage: ConfusionCounts[][] = thresholds.map(() => []);
  const posHist = new Float64Array(m + 1);
  const negHist = new Float64Array(m + 1);
  for (let k = 0; k < pairs.probs.length; k++) {
    const scores = pairs.probs[k]!;
    const truth = pairs.truths[k]!;
    posHist.fill(0);
    negHist.fill(0);
    for (let i = 0; i < scores.length; i++) {
      // Number of thresholds ≤ the score = number at which the pixel is predicted positive.
      const p = scores[i]!;
      let lo = 0;
      let hi = m;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sorted[mid]! <= p) lo = mid + 1;
        else hi = mid;
      }
      const hist = truth[i] !== 0 ? posHist : negHist;
      hist[lo] = hist[lo]! + 1;
    }
    // Suffix sums: hist[j] = pixels with more than j - 1 thresholds ≤ their score.
    for (let j = m - 1; j >= 0; j--) {
      posHist[j] = posHist[j]! + posHist[j + 1]!;
      negHist[j] = negHist[j]! + negHist[j + 1]!;
    }
    const positives = posHist[0]!;
    const negatives = negHist[0]!;
    belowCount.forEach((below, ti) => {
      const tp = posHist[below + 1]!;
      const fp = negHist[below + 1]!;
      perImage[ti]!.push({ tp, fp, fn: positives - tp, tn: negatives - fp });
    });
  }
  return thresholds.map((threshold, ti) => {
    const images = perImage[ti]!;
    const counts = poolCounts(images);
    return {
      threshold,
      counts,
      pooled: summarizeCounts(counts),
      meanPerImage: meanPerImageSummary(images),
      recallCi95: wilsonInterval(counts.tp, counts.tp + counts.fn),
    };
  });
}
