/** Segmentation metrics: overlap scores, precision-recall curves and surface distances. */
export {
  confusionCounts,
  diceScore,
  iou,
  meanIoU,
  meanPerImageSummary,
  poolCounts,
  precision,
  recall,
  sensitivity,
  specificity,
  summarizeCounts,
  type ConfusionCounts,
  type MetricSummary,
} from './confusion.js';
export {
  averagePrecision,
  DEFAULT_SWEEP_THRESHOLDS,
  precisionRecallCurve,
  thresholdSweep,
  wilsonInterval,
  Z_95,
  type CurveOptions,
  type PrecisionRecallCurve,
  type ScoreArray,
  type ThresholdMetrics,
} from './curves.js';
export { hausdorff95 } from './hausdorff.js';
