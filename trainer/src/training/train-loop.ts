/**
 * The training loop: seeded sampling across sources, augmentation, one optimiser step per batch,
 * validation each epoch, learning-rate decay on plateau, early stopping, a checkpoint each epoch
 * (resume continues with the same optimiser state, data order and schedule) and the best weights
 * kept for export.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdir, appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TvunetError } from '../../../src/errors.js';
import type { UNetConfig } from '../../../src/model/config.js';
import { checkWeightsFitConfig, initUNetWeights, unetLogits, type UNetWeights } from '../../../src/model/unet.js';
import { DEFAULT_AUGMENT, type AugmentOptions } from '../data/augment.js';
import { disposeBatch, makeBatch } from '../data/batches.js';
import type { SampleRef } from '../data/datasets.js';
import { Rng } from '../data/rng.js';
import { SliceCache } from '../data/slices.js';
import type { Split } from '../data/split.js';
import { loadCheckpoint, saveCheckpoint, saveTensors, type NamedArray } from './checkpoint.js';
import { lossTerms, pixelWeightMap, type LossKind, type WeightMapOptions } from './loss.js';
import { createOptimizer, setLearningRate, type OptimizerName } from './optimizers.js';

export interface TrainOptions {
  outDir: string;
  config: UNetConfig;
  classes: readonly string[];
  loss: LossKind;
  tvLambda: number;
  /** Per-pixel cross-entropy weights (Eq. 1); null for none. */
  weightMap?: WeightMapOptions | null;
  optimizer: OptimizerName;
  lr: number;
  batchSize: number;
  epochs: number;
  stepsPerEpoch: number;
  seed: number;
  /** Epochs without validation improvement before the learning rate is multiplied by lrDecay. */
  lrPatience: number;
  lrDecay: number;
  /** Epochs without improvement before stopping. */
  earlyStopPatience: number;
  augment: AugmentOptions | null;
  /** Relative share of batches per source. */
  sourceWeights: Record<string, number>;
  resume: boolean;
  /** Starting weights (fine-tuning); null for seeded He initialisation. */
  init: UNetWeights | null;
  /** Stop after this many steps in total (tests and benchmarks); Infinity otherwise. */
  maxSteps?: number;
  onProgress?: (p: { epoch: number; step: number; stepsPerEpoch: number; loss: number; secondsPerStep: number }) => void;
}

export interface ClassCounts { tp: number; fp: number; fn: number; tn: number }

export interface EpochLog {
  epoch: number;
  steps: number;
  lr: number;
  seconds: number;
  train: { loss: number; bce: number; dice: number; tv: number; counts: ClassCounts[] };
  validation: { loss: number; counts: ClassCounts[]; bySource: Record<string, { loss: number; counts: ClassCounts[] }> } | null;
}

interface LoopState {
  epoch: number; // completed epochs
  step: number; // completed steps
  rng: number;
  lr: number;
  bestLoss: number;
  bestEpoch: number;
  sinceImprovement: number;
  sinceDecay: number;
  stopped: boolean;
}

export interface TrainResult {
  logs: EpochLog[];
  bestEpoch: number;
  stoppedEarly: boolean;
  steps: number;
  secondsPerStep: number;
}

/** Confusion counts per channel at 0.5, from logits (> 0) and targets (> 0.5), labelled samples only. */
function countsPerClass(logits: tf.Tensor4D, targets: tf.Tensor4D, labelMask: tf.Tensor4D): Promise<Float32Array> {
  const c = tf.tidy(() => {
    const p = tf.cast(tf.greater(logits, 0), 'float32');
    const t = tf.cast(tf.greater(targets, 0.5), 'float32');
    const m = tf.mul(tf.onesLike(p), labelMask);
    const tp = tf.sum(tf.mul(tf.mul(p, t), m), [0, 1, 2]);
    const fp = tf.sum(tf.mul(tf.mul(p, tf.sub(1, t)), m), [0, 1, 2]);
    const fn = tf.sum(tf.mul(tf.mul(tf.sub(1, p), t), m), [0, 1, 2]);
    const tn = tf.sum(tf.mul(tf.mul(tf.sub(1, p), tf.sub(1, t)), m), [0, 1, 2]);
    return tf.stack([tp, fp, fn, tn], 1); // [c,4]
  });
  return c.data().then((d) => { c.dispose(); return d as Float32Array; });
}

function addCounts(into: ClassCounts[], flat: Float32Array): void {
  into.forEach((k, i) => { k.tp += flat[4 * i]!; k.fp += flat[4 * i + 1]!; k.fn += flat[4 * i + 2]!; k.tn += flat[4 * i + 3]!; });
}

const zeroCounts = (n: number): ClassCounts[] => Array.from({ length: n }, () => ({ tp: 0, fp: 0, fn: 0, tn: 0 }));

export function weightsToArrays(w: Record<string, tf.Tensor>): NamedArray[] {
  return Object.entries(w).map(([name, t]) => ({ name, shape: t.shape.slice(), data: t.dataSync() as Float32Array }));
}

/** Draws a batch: a source by weight, then a sample of it uniformly. */
function drawBatch(bySource: Map<string, SampleRef[]>, weights: [string, number][], total: number, size: number, rng: Rng): SampleRef[] {
  const out: SampleRef[] = [];
  for (let i = 0; i < size; i++) {
    let r = rng.next() * total;
    let source = weights[weights.length - 1]![0];
    for (const [name, w] of weights) { if (r < w) { source = name; break; } r -= w; }
    const list = bySource.get(source)!;
    out.push(list[rng.int(list.length)]!);
  }
  return out;
}

export async function validate(
  weights: UNetWeights, config: UNetConfig, samples: SampleRef[], cache: SliceCache, o: Pick<TrainOptions, 'loss' | 'tvLambda' | 'batchSize'>,
): Promise<NonNullable<EpochLog['validation']>> {
  const nClasses = cache.classes.length;
  const bySource: Record<string, { loss: number; counts: ClassCounts[]; n: number }> = {};
  for (let i = 0; i < samples.length; i += o.batchSize) {
    const chunk = samples.slice(i, i + o.batchSize);
    const batch = await makeBatch(chunk, cache, null);
    // One sample per row so that losses can be attributed to sources.
    for (let j = 0; j < chunk.length; j++) {
      const src = chunk[j]!.source;
      const entry = (bySource[src] ??= { loss: 0, counts: zeroCounts(nClasses), n: 0 });
      const [loss, counts] = await (async () => {
        const x = tf.slice(batch.x, [j, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
        const y = tf.slice(batch.y, [j, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
        const m = tf.slice(batch.labelMask, [j, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
        const logits = tf.tidy(() => unetLogits(weights, x, config));
        const l = tf.tidy(() => lossTerms(o.loss, o.tvLambda, { logits, targets: y, labelMask: m }).total);
        const result: [number, Float32Array] = [(await l.data())[0]!, await countsPerClass(logits, y, m)];
        tf.dispose([x, y, m, logits, l]);
        return result;
      })();
      entry.loss += loss;
      entry.n++;
      addCounts(entry.counts, counts);
    }
    disposeBatch(batch);
  }
  const all = zeroCounts(nClasses);
  let lossSum = 0, n = 0;
  const out: Record<string, { loss: number; counts: ClassCounts[] }> = {};
  for (const [src, e] of Object.entries(bySource)) {
    out[src] = { loss: e.loss / e.n, counts: e.counts };
    lossSum += e.loss; n += e.n;
    e.counts.forEach((k, i) => { all[i]!.tp += k.tp; all[i]!.fp += k.fp; all[i]!.fn += k.fn; all[i]!.tn += k.tn; });
  }
  // Each source weighs the same in the validation loss, so the large volume sets do not drown MedSeg.
  const sources = Object.values(out);
  const loss = sources.length ? sources.reduce((a, s) => a + s.loss, 0) / sources.length : lossSum / Math.max(n, 1);
  return { loss, counts: all, bySource: out };
}

export async function train(split: Split, o: TrainOptions): Promise<TrainResult> {
  await mkdir(o.outDir, { recursive: true });
  const cache = new SliceCache(o.config.inputSize, o.classes);
  const bySource = new Map<string, SampleRef[]>();
  for (const s of split.train) (bySource.get(s.source) ?? bySource.set(s.source, []).get(s.source)!).push(s);
  const weights = [...bySource.keys()].sort().map((k) => [k, o.sourceWeights[k] ?? 0] as [string, number]).filter(([, w]) => w > 0);
  const totalWeight = weights.reduce((a, [, w]) => a + w, 0);
  if (totalWeight <= 0) throw new TvunetError('INVALID_OPTIONS', 'no training source has a positive weight');

  const initial = o.init ?? initUNetWeights(o.config, o.seed);
  checkWeightsFitConfig(initial, o.config);
  const vars: Record<string, tf.Variable> = {};
  for (const [name, t] of Object.entries(initial)) vars[name] = tf.variable(t, true, `tvunet/${name}`);
  tf.dispose(Object.values(initial));
  const optimizer = createOptimizer(o.optimizer, o.lr);
  // Variables are global in tfjs: free them on every exit, or the next train() in this process
  // fails with "Variable … already registered".
  try {
    let state: LoopState = { epoch: 0, step: 0, rng: o.seed ^ 0x9e3779b9, lr: o.lr, bestLoss: Infinity, bestEpoch: -1, sinceImprovement: 0, sinceDecay: 0, stopped: false };
    const logs: EpochLog[] = [];

    if (o.resume) {
      const ckpt = await loadCheckpoint<{ loop: LoopState; logs: EpochLog[]; optimizerNames: string[] }>(o.outDir);
      if (!ckpt) throw new TvunetError('INVALID_OPTIONS', `--resume: no checkpoint.json in ${o.outDir}`);
      const byName = new Map(ckpt.tensors.map((t) => [t.name, t]));
      for (const [name, v] of Object.entries(vars)) {
        const t = byName.get(`model/${name}`);
        if (!t) throw new TvunetError('INVALID_MANIFEST', `checkpoint lacks model/${name}`);
        tf.tidy(() => v.assign(tf.tensor(t.data, t.shape)));
      }
      const optWeights = ckpt.state.optimizerNames.map((name) => {
        const t = byName.get(`opt/${name}`)!;
        return { name, tensor: tf.tensor(t.data, t.shape) };
      });
      await optimizer.setWeights(optWeights);
      tf.dispose(optWeights.map((w) => w.tensor)); // the optimiser made its own variables of them
      state = ckpt.state.loop;
      logs.push(...ckpt.state.logs);
      setLearningRate(optimizer, state.lr);
    }

    // log.jsonl holds exactly the epochs of the state we start from: a kill between an epoch's log
    // line and its checkpoint (or an older run in the same folder) must not leave extra lines.
    await writeFile(join(o.outDir, 'log.jsonl'), logs.map((l) => JSON.stringify(l) + '\n').join(''));
    const rng = new Rng(state.rng);
    const nClasses = o.classes.length;
    const maxSteps = o.maxSteps ?? Infinity;
    let stepSeconds = 0, timedSteps = 0;

    while (!state.stopped && state.epoch < o.epochs && state.step < maxSteps) {
      const t0 = performance.now();
      const sums = { loss: 0, bce: 0, dice: 0, tv: 0 };
      const trainCounts = zeroCounts(nClasses);
      let steps = 0;
      for (let s = 0; s < o.stepsPerEpoch && state.step < maxSteps; s++) {
        const ts = performance.now();
        const batch = await makeBatch(drawBatch(bySource, weights, totalWeight, o.batchSize, rng), cache, o.augment ? { rng, options: o.augment } : null);
        let kept: { logits: tf.Tensor4D; terms: tf.Tensor[] } | null = null;
        const { value, grads } = tf.variableGrads(() => {
          const logits = unetLogits(vars, batch.x, o.config);
          const pixelWeights = o.weightMap ? pixelWeightMap(batch.y, o.weightMap) : undefined;
          const terms = lossTerms(o.loss, o.tvLambda, { logits, targets: batch.y, labelMask: batch.labelMask, pixelWeights });
          kept = { logits: tf.keep(logits), terms: [tf.keep(terms.bce), tf.keep(terms.dice), tf.keep(terms.tv)] };
          return terms.total;
        });
        optimizer.applyGradients(grads);
        const k = kept as unknown as { logits: tf.Tensor4D; terms: tf.Tensor[] };
        const [loss, bce, dice, tv] = (await Promise.all([value, ...k.terms].map(async (t) => (await t.data())[0]!))) as [number, number, number, number];
        if (!Number.isFinite(loss)) throw new TvunetError('INVALID_INPUT', `training diverged at step ${state.step + 1} (loss ${loss}); lower --lr`);
        addCounts(trainCounts, await countsPerClass(k.logits, batch.y, batch.labelMask));
        tf.dispose([value, k.logits, ...k.terms, ...Object.values(grads)]);
        disposeBatch(batch);
        sums.loss += loss; sums.bce += bce; sums.dice += dice; sums.tv += tv;
        steps++;
        state.step++;
        const dt = (performance.now() - ts) / 1000;
        if (state.step > 1) { stepSeconds += dt; timedSteps++; }
        o.onProgress?.({ epoch: state.epoch + 1, step: s + 1, stepsPerEpoch: o.stepsPerEpoch, loss, secondsPerStep: timedSteps ? stepSeconds / timedSteps : dt });
      }
      const validation = split.validation.length ? await validate(vars, o.config, split.validation, cache, o) : null;
      state.epoch++;
      const log: EpochLog = {
        epoch: state.epoch, steps, lr: state.lr, seconds: (performance.now() - t0) / 1000,
        train: { loss: sums.loss / steps, bce: sums.bce / steps, dice: sums.dice / steps, tv: sums.tv / steps, counts: trainCounts },
        validation,
      };
      logs.push(log);
      await appendFile(join(o.outDir, 'log.jsonl'), JSON.stringify(log) + '\n');

      const monitored = validation ? validation.loss : log.train.loss;
      if (monitored < state.bestLoss) {
        state.bestLoss = monitored; state.bestEpoch = state.epoch; state.sinceImprovement = 0; state.sinceDecay = 0;
        await saveTensors(o.outDir, 'best', weightsToArrays(vars), { epoch: state.epoch, loss: monitored });
      } else {
        state.sinceImprovement++; state.sinceDecay++;
        if (state.sinceDecay >= o.lrPatience) { state.lr *= o.lrDecay; state.sinceDecay = 0; setLearningRate(optimizer, state.lr); }
        if (state.sinceImprovement >= o.earlyStopPatience) state.stopped = true;
      }
      state.rng = rng.state;
      const optWeights = await optimizer.getWeights();
      const tensors = [
        ...weightsToArrays(vars).map((t) => ({ ...t, name: `model/${t.name}` })),
        ...optWeights.map((w) => ({ name: `opt/${w.name}`, shape: w.tensor.shape.slice(), data: Float32Array.from(w.tensor.dataSync()) })),
      ];
      await saveCheckpoint(o.outDir, `ckpt-${String(state.epoch).padStart(6, '0')}`, { loop: state, logs, optimizerNames: optWeights.map((w) => w.name) }, tensors);
      // getWeights hands out the optimiser's live slots; only the iteration count is a fresh tensor.
      tf.dispose(optWeights.filter((w) => w.name === 'iter').map((w) => w.tensor));
    }
    await writeFile(join(o.outDir, 'train-summary.json'), JSON.stringify({ bestEpoch: state.bestEpoch, bestLoss: state.bestLoss, epochs: state.epoch, steps: state.step, stoppedEarly: state.stopped }, null, 2));
    return { logs, bestEpoch: state.bestEpoch, stoppedEarly: state.stopped, steps: state.step, secondsPerStep: timedSteps ? stepSeconds / timedSteps : NaN };
  } finally {
    tf.dispose(Object.values(vars));
    optimizer.dispose();
  }
}
