/**
 * Pixel-wise confusion counts of binary masks and the overlap metrics derived from them.
 *
 * Zero-denominator convention, shared by every ratio here: when a ratio has nothing to measure
 * (its denominator is 0) it is 1 if the prediction made no error at all (fp = fn = 0, i.e. the
 * masks are identical) and 0 otherwise. Hence Dice and IoU of two empty masks are 1; precision
 * with no predicted positives is 1 if the truth is empty too and 0 otherwise; recall with an empty
 * truth is 1 if nothing was predicted and 0 otherwise; specificity with no truth negatives is 1 if
 * every pixel was predicted positive and 0 otherwise.
 */
import { TvunetError } from '../errors.js';
import { checkMaskArray } from '../postprocess/dims.js';

/** Pixel counts: true/false positives/negatives. Plain numbers, exact up to 2^53. */
export interface ConfusionCounts {
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly tn: number;
}

/** Every metric of {@link summarizeCounts}. */
export interface MetricSummary {
  readonly precision: number;
  readonly recall: number;
  readonly specificity: number;
  readonly dice: number;
  readonly iou: number;
  readonly meanIoU: number;
}

/**
 * Counts agreement of a predicted and a true mask of the same length; non-zero = foreground.
 * @throws TvunetError INVALID_INPUT when either is not a Uint8Array or the lengths differ.
 */
export function confusionCounts(pred: Uint8Array, truth: Uint8Array): ConfusionCounts {
  checkMaskArray(pred, 'pred');
  checkMaskArray(truth, 'truth');
  if (pred.length !== truth.length) {
    throw new TvunetError('INVALID_INPUT', `pred has ${pred.length} elements but truth has ${truth.length}`);
  }
  let tp = 0;
  let predicted = 0;
  let actual = 0;
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i] !== 0;
    const t = truth[i] !== 0;
    if (p) predicted++;
    if (t) actual++;
    if (p && t) tp++;
  }
  return { tp, fp: predicted - tp, fn: actual - tp, tn: pred.length - predicted - actual + tp };
}

function checkCounts(c: ConfusionCounts): void {
  for (const key of ['tp', 'fp', 'fn', 'tn'] as const) {
    const v = c[key];
    if (!Number.isInteger(v) || v < 0) {
      throw new TvunetError('INVALID_INPUT', `confusion count ${key} must be an integer >= 0, got ${v}`);
    }
  }
}

/** `numerator / denominator`, or the module's zero-denominator convention. */
function ratio(numerator: number, denominator: number, c: ConfusionCounts): number {
  if (denominator === 0) return c.fp === 0 && c.fn === 0 ? 1 : 0;
  return numerator / denominator;
}

/** tp / (tp + fp): the fraction of predicted foreground that is true foreground. */
export function precision(c: ConfusionCounts): number {
  checkCounts(c);
  return ratio(c.tp, c.tp + c.fp, c);
}

/** tp / (tp + fn): the fraction of true foreground that was found (= sensitivity). */
export function recall(c: ConfusionCounts): number {
  checkCounts(c);
  return ratio(c.tp, c.tp + c.fn, c);
}

/** Sensitivity is {@link recall}. */
export const sensitivity = recall;

/** tn / (tn + fp): the fraction of true background predicted as background. */
export function specificity(c: ConfusionCounts): number {
  checkCounts(c);
  return ratio(c.tn, c.tn + c.fp, c);
}

/** Dice (F1) of the foreground: 2tp / (2tp + fp + fn). Symmetric in pred and truth. */
export function diceScore(c: ConfusionCounts): number {
  checkCounts(c);
  return ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn, c);
}

/** Intersection over union (Jaccard) of the foreground: tp / (tp + fp + fn). */
export function iou(c: ConfusionCounts): number {
  checkCounts(c);
  return ratio(c.tp, c.tp + c.fp + c.fn, c);
}

/**
 * The TV-UNet paper's mIoU: the mean of the foreground IoU, tp / (tp + fp + fn), and the background
 * IoU, tn / (tn + fn + fp).
 */
export function meanIoU(c: ConfusionCounts): number {
  return (iou(c) + ratio(c.tn, c.tn + c.fp + c.fn, c)) / 2;
}

/** All metrics of one set of counts. */
export function summarizeCounts(c: ConfusionCounts): MetricSummary {
  return {
    precision: precision(c),
    recall: recall(c),
    specificity: specificity(c),
    dice: diceScore(c),
    iou: iou(c),
    meanIoU: meanIoU(c),
  };
}

/** Sums counts, e.g. over the slices of a volume or a test set (for pooled, "micro" metrics). */
export function poolCounts(list: readonly ConfusionCounts[]): ConfusionCounts {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (const c of list) {
    checkCounts(c);
    tp += c.tp;
    fp += c.fp;
    fn += c.fn;
    tn += c.tn;
  }
  return { tp, fp, fn, tn };
}

/**
 * Mean over images of each metric ("macro" averaging): every image weighs the same, whatever its
 * lesion size. Images with empty truth score by the zero-denominator convention.
 * @throws TvunetError INVALID_INPUT on an empty list.
 */
export function meanPerImageSummary(list: readonly ConfusionCounts[]): MetricSummary {
  if (list.length === 0) throw new TvunetError('INVALID_INPUT', 'meanPerImageSummary needs at least one image');
  const total = { precision: 0, recall: 0, specificity: 0, dice: 0, iou: 0, meanIoU: 0 };
  for (const c of list) {
    const s = summarizeCounts(c);
    for (const key of Object.keys(total) as (keyof MetricSummary)[]) total[key] += s[key];
  }
  for (const key of Object.keys(total) as (keyof MetricSummary)[]) total[key] /= list.length;
  return total;
}
