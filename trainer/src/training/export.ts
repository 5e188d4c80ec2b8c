/**
 * After training: choose each class's threshold on the validation set, measure the validation
 * metrics, and export the weights in the library's format (float32, float16, uint8) with that
 * provenance in the manifest.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeModel, encodeModel } from '../../../src/io/codec.js';
import { encodeModelVariants } from '../../../src/io/variants.js';
import { saveModelToPath } from '../../../src/io/node-fs.js';
import { WEIGHTS_DTYPES, type NamedWeights } from '../../../src/io/manifest.js';
import type { UNetConfig } from '../../../src/model/config.js';
import { unetProbabilities, type UNetWeights } from '../../../src/model/unet.js';
import { averagePrecision, thresholdSweep, type MetricSummary } from '../../../src/metrics/index.js';
import { makeBatch, disposeBatch } from '../data/batches.js';
import type { SampleRef } from '../data/datasets.js';
import type { SliceCache } from '../data/slices.js';

/** Candidate thresholds for the validation sweep. */
export const THRESHOLD_CANDIDATES = Array.from({ length: 17 }, (_, i) => Math.round((0.1 + 0.05 * i) * 100) / 100);

interface ClassPredictions {
  /** Per source: probability planes and binary truths of the samples labelled for this class. */
  bySource: Map<string, { probs: Float32Array[]; truths: Uint8Array[] }>;
}

export interface ClassValidation {
  name: string;
  threshold: number;
  n: number;
  /** Mean over sources of the mean per-image Dice: what the threshold maximises. */
  sourceBalancedDice: number;
  bySource: Record<string, { n: number; meanPerImage: MetricSummary; pooled: MetricSummary; averagePrecision: number }>;
}

export function namedWeightsToTensors(w: NamedWeights): UNetWeights {
  const out: UNetWeights = {};
  for (const [name, t] of w) out[name] = tf.tensor(t.data, t.shape, 'float32');
  return out;
}

/** Probabilities at the model's input size for every validation sample and labelled class. */
export async function predictValidation(weights: UNetWeights, config: UNetConfig, samples: SampleRef[], cache: SliceCache, batchSize = 4): Promise<ClassPredictions[]> {
  const nClasses = cache.classes.length;
  const s = config.inputSize;
  const out: ClassPredictions[] = cache.classes.map(() => ({ bySource: new Map() }));
  for (let i = 0; i < samples.length; i += batchSize) {
    const chunk = samples.slice(i, i + batchSize);
    const batch = await makeBatch(chunk, cache, null);
    const probsT = tf.tidy(() => unetProbabilities(weights, batch.x, config));
    const [probs, ys, mask] = await Promise.all([probsT.data(), batch.y.data(), batch.labelMask.data()]);
    probsT.dispose();
    disposeBatch(batch);
    chunk.forEach((sample, j) => {
      for (let c = 0; c < nClasses; c++) {
        if (!mask[j * nClasses + c]) continue;
        const p = new Float32Array(s * s);
        const t = new Uint8Array(s * s);
        for (let k = 0; k < s * s; k++) {
          const idx = (j * s * s + k) * nClasses + c;
          p[k] = probs[idx]!;
          t[k] = ys[idx]! > 0.5 ? 1 : 0;
        }
        const entry = out[c]!.bySource.get(sample.source) ?? { probs: [], truths: [] };
        entry.probs.push(p);
        entry.truths.push(t);
        out[c]!.bySource.set(sample.source, entry);
      }
    });
  }
  return out;
}

/** Picks the threshold that maximises the source-balanced mean per-image Dice, and reports metrics there. */
export function chooseThresholds(preds: ClassPredictions[], classes: readonly string[], fixed?: number[]): ClassValidation[] {
  return preds.map((pred, c) => {
    const sources = [...pred.bySource.entries()];
    const name = classes[c]!;
    if (sources.length === 0) return { name, threshold: fixed?.[c] ?? 0.5, n: 0, sourceBalancedDice: NaN, bySource: {} };
    const candidates = fixed ? [fixed[c]!] : THRESHOLD_CANDIDATES;
    const sweeps = sources.map(([, e]) => thresholdSweep(e.probs, e.truths, candidates));
    let best = 0, bestScore = -1;
    candidates.forEach((_, ti) => {
      const score = sweeps.reduce((a, sw) => a + sw[ti]!.meanPerImage.dice, 0) / sweeps.length;
      if (score > bestScore) { bestScore = score; best = ti; }
    });
    const bySource: ClassValidation['bySource'] = {};
    sources.forEach(([src, e], k) => {
      const at = sweeps[k]![best]!;
      bySource[src] = { n: e.probs.length, meanPerImage: at.meanPerImage, pooled: at.pooled, averagePrecision: averagePrecision(e.probs, e.truths, { bins: 1000 }) };
    });
    return { name, threshold: candidates[best]!, n: sources.reduce((a, [, e]) => a + e.probs.length, 0), sourceBalancedDice: bestScore, bySource };
  });
}

export interface ExportResult {
  validation: ClassValidation[];
  /** Source-balanced Dice per variant at the chosen thresholds, per class. */
  variantDice: Record<string, number[]>;
  variantBytes: Record<string, number>;
  variantMaxAbsError: Record<string, number>;
}

/** Exports `weights` (float32 values) into `dir/{float32,float16,uint8}/model.json` with thresholds and metrics. */
export async function exportModel(o: {
  dir: string; name: string; config: UNetConfig; classes: readonly string[]; weights: NamedWeights;
  validation: SampleRef[]; cache: SliceCache; provenance: Record<string, unknown>;
}): Promise<ExportResult> {
  const f32 = namedWeightsToTensors(o.weights);
  const preds = await predictValidation(f32, o.config, o.validation, o.cache);
  tf.dispose(Object.values(f32));
  const validation = chooseThresholds(preds, o.classes);
  const thresholds = validation.map((v) => v.threshold);
  const summary = (v: ClassValidation[]) => v.map((c) => c.sourceBalancedDice);
  const meta = {
    name: o.name,
    architecture: o.config,
    classes: o.classes.map((name, i) => ({ name, threshold: thresholds[i]! })),
    provenance: { ...o.provenance, validation },
  };
  // First pass: measure each variant on the validation set; second: write them with those numbers.
  const variants = await encodeModelVariants(o.weights, meta);
  const variantDice: Record<string, number[]> = { float32: summary(validation) };
  const variantBytes: Record<string, number> = {};
  const variantMaxAbsError: Record<string, number> = {};
  for (const dtype of WEIGHTS_DTYPES) {
    const v = variants[dtype];
    variantBytes[dtype] = v.totalBytes;
    variantMaxAbsError[dtype] = v.maxAbsError;
    if (dtype === 'float32') continue;
    const w = namedWeightsToTensors(await decodeModel(v.manifest, v.shards));
    variantDice[dtype] = summary(chooseThresholds(await predictValidation(w, o.config, o.validation, o.cache), o.classes, thresholds));
    tf.dispose(Object.values(w));
  }
  const variantReport = { bytes: variantBytes, maxAbsErrorVsFloat32: variantMaxAbsError, validationDice: variantDice };
  for (const dtype of WEIGHTS_DTYPES) {
    const encoded = await encodeModel(o.weights, { ...meta, provenance: { ...meta.provenance, variants: variantReport } }, { dtype });
    await mkdir(join(o.dir, dtype), { recursive: true });
    await saveModelToPath(join(o.dir, dtype), encoded);
  }
  return { validation, variantDice, variantBytes, variantMaxAbsError };
}
