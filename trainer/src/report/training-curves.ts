/** The paper's training curves (Figs 8–10): loss, recall and precision per epoch, train and validation. */
import { precision, recall } from '../../../src/metrics/index.js';
import type { EpochLog } from '../training/train-loop.js';
import { renderLineChart } from './chart.js';
import type { Rgba } from './raster.js';

export function renderTrainingCurves(logs: EpochLog[], classes: readonly string[], classIndex = 0): Record<'loss' | 'recall' | 'precision', Rgba> {
  const epochs = logs.map((l) => l.epoch);
  const name = classes[classIndex] ?? 'class';
  const metric = (fn: typeof recall, side: 'train' | 'validation') =>
    logs.map((l) => {
      const c = side === 'train' ? l.train.counts[classIndex] : l.validation?.counts[classIndex];
      return c && c.tp + c.fp + c.fn > 0 ? fn(c) : NaN;
    });
  const chart = (title: string, yLabel: string, train: number[], val: number[], unit: boolean) => renderLineChart({
    title, xLabel: 'epoch', yLabel,
    series: [{ name: 'train', x: epochs, y: train }, { name: 'validation', x: epochs, y: val, dashed: true }],
    ...(unit ? { yRange: [0, 1] as [number, number] } : {}),
  });
  return {
    loss: chart('Loss per epoch', 'loss', logs.map((l) => l.train.loss), logs.map((l) => l.validation?.loss ?? NaN), false),
    recall: chart(`Recall (${name}, threshold 0.5)`, 'recall', metric(recall, 'train'), metric(recall, 'validation'), true),
    precision: chart(`Precision (${name}, threshold 0.5)`, 'precision', metric(precision, 'train'), metric(precision, 'validation'), true),
  };
}
