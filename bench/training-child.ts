/**
 * Seconds per training step in a fresh process (backends and the trainer's kernels are global):
 * the trainer's step — forward, BCE + Dice + 0.1·TV loss, gradients, Adam — on random batches,
 * with the trainer's backend set-up (`initNodeBackend`: gradients + the WASM training kernels).
 *   node --import tsx bench/training-child.ts --backend wasm|cpu --side S --batch B --steps N --classes C
 */
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_UNET_CONFIG, type UNetConfig } from '../src/model/config.js';
import { initUNetWeights, unetLogits } from '../src/model/unet.js';
import { initNodeBackend } from '../trainer/src/backends/node-backend.js';
import { lossTerms } from '../trainer/src/training/loss.js';
import { argValue, reportToParent, summarize, timeCalls } from './lib.js';

const argv = process.argv.slice(2);
const backend = argValue(argv, 'backend') === 'cpu' ? 'cpu' : 'wasm';
const side = Number(argValue(argv, 'side') ?? 256);
const batch = Number(argValue(argv, 'batch') ?? 4);
const steps = Number(argValue(argv, 'steps') ?? 3);
const classes = Number(argValue(argv, 'classes') ?? 4);

const report = await initNodeBackend(backend);
const config: UNetConfig = { ...DEFAULT_UNET_CONFIG, inputSize: side, outChannels: classes };
const init = initUNetWeights(config, 1);
const vars: Record<string, tf.Variable> = {};
for (const [name, t] of Object.entries(init)) vars[name] = tf.variable(t, true, name);
tf.dispose(Object.values(init));
const optimizer: tf.Optimizer = tf.train.adam(1e-3); // as the trainer types it (createOptimizer)
const x = tf.randomNormal([batch, side, side, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
const y = tf.cast(tf.greater(tf.randomUniform([batch, side, side, classes], 0, 1, 'float32', 2), 0.7), 'float32') as tf.Tensor4D;
const labelMask = tf.ones([batch, 1, 1, classes]) as tf.Tensor4D;

async function step(): Promise<void> {
  const { value, grads } = tf.variableGrads(() => lossTerms('bce+dice+tv', 0.1, { logits: unetLogits(vars, x, config), targets: y, labelMask }).total);
  optimizer.applyGradients(grads);
  await value.data();
  tf.dispose([value, ...Object.values(grads)]);
}

const samples = await timeCalls(step, 1, steps);
reportToParent({ backend: report.backend, reason: report.reason, side, batch, classes, stats: summarize(samples), tensors: tf.memory().numTensors });
