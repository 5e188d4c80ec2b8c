/**
 * `unetToOnnx` (trainer/src/onnx): the exported graph, run in onnxruntime-web's WASM build, gives
 * the probabilities of tvunet's own forward pass. SEEDED RANDOM WEIGHTS, non-zero biases (so a
 * wrong bias or kernel layout shows), random standardised inputs.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-web';
import { selectBackend } from '../../src/backends/select.js';
import { DEFAULT_UNET_CONFIG, parameterSpecs, unetProbabilities, type UNetConfig, type UNetWeights } from '../../src/model/index.js';
import type { NamedWeights } from '../../src/io/manifest.js';
import { unetToOnnx } from '../../trainer/src/onnx/unet-onnx.js';
import { Rng } from '../../trainer/src/data/rng.js';

/** Seeded uniform [0, 1) numbers (the trainer's mulberry32). */
function prng(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

function randomWeights(config: UNetConfig, seed: number): NamedWeights {
  const rand = prng(seed);
  return new Map(parameterSpecs(config).map((spec) => {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const limit = spec.fanIn ? Math.sqrt(6 / spec.fanIn) : 0.2;
    return [spec.name, { shape: spec.shape, data: Float32Array.from({ length: n }, () => (2 * rand() - 1) * limit) }];
  }));
}

/** Max |tvunet − onnxruntime| over `n` random slices; both get the same standardised input. */
async function maxAbsDiff(config: UNetConfig, seed: number, n: number): Promise<number> {
  const named = randomWeights(config, seed);
  const weights: UNetWeights = {};
  for (const [name, t] of named) weights[name] = tf.tensor(t.data, t.shape, 'float32');
  const session = await ort.InferenceSession.create(unetToOnnx(named, config));
  const s = config.inputSize;
  const c = config.outChannels;
  const rand = prng(seed + 1);
  const nhwc = Float32Array.from({ length: n * s * s }, () => 2 * rand() - 1); // inChannels = 1: NHWC == NCHW
  try {
    const ours = unetProbabilities(weights, tf.tensor4d(nhwc, [n, s, s, 1]), config);
    const expected = (await ours.data()) as Float32Array; // [n,s,s,c]
    ours.dispose();
    const result = await session.run({ input: new ort.Tensor('float32', nhwc, [n, 1, s, s]) });
    const out = result.probabilities!;
    assert.deepEqual(out.dims, [n, c, s, s]);
    const got = out.data as Float32Array; // [n,c,s,s]
    let max = 0;
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        for (let p = 0; p < s * s; p++) {
          max = Math.max(max, Math.abs(got[(b * c + ch) * s * s + p]! - expected[(b * s * s + p) * c + ch]!));
        }
      }
    }
    return max;
  } finally {
    tf.dispose(Object.values(weights));
    await session.release();
  }
}

describe('ONNX export (seeded random weights) against onnxruntime-web WASM', () => {
  before(async () => {
    ort.env.wasm.numThreads = 1;
    await selectBackend('wasm');
  });

  it('tiny config, transposed-conv up-sampling: max |Δp| ≤ 1e-4', async () => {
    const config: UNetConfig = { depth: 2, baseChannels: 4, inputSize: 32, inChannels: 1, outChannels: 3, upsampling: 'transpose' };
    const d = await maxAbsDiff(config, 5, 2);
    assert.ok(d <= 1e-4, `max |Δp| = ${d}`);
  });

  it('tiny config, bilinear up-sampling: max |Δp| ≤ 1e-4', async () => {
    const config: UNetConfig = { depth: 2, baseChannels: 4, inputSize: 32, inChannels: 1, outChannels: 2, upsampling: 'bilinear' };
    const d = await maxAbsDiff(config, 6, 2);
    assert.ok(d <= 1e-4, `max |Δp| = ${d}`);
  });

  it('the default config with 4 classes (256²): max |Δp| ≤ 1e-4', async () => {
    const d = await maxAbsDiff({ ...DEFAULT_UNET_CONFIG, outChannels: 4 }, 7, 1);
    assert.ok(d <= 1e-4, `max |Δp| = ${d}`);
  });

  it('refuses weights that do not fit the config', () => {
    const config: UNetConfig = { depth: 1, baseChannels: 2, inputSize: 8, inChannels: 1, outChannels: 1, upsampling: 'transpose' };
    const named = randomWeights(config, 1);
    named.delete('head/bias');
    assert.throws(() => unetToOnnx(named, config), /head\/bias/);
  });
});
