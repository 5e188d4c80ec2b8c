import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { selectBackend } from '../../src/backends/select.js';
import { TvunetError } from '../../src/errors.js';
import {
  checkWeightsFitConfig, DEFAULT_UNET_CONFIG, forwardFlops, initUNetWeights, parameterCount, parameterSpecs,
  unetLogits, unetProbabilities, validateUNetConfig, type UNetConfig,
} from '../../src/model/index.js';

const tiny: UNetConfig = { depth: 2, baseChannels: 4, inputSize: 32, inChannels: 1, outChannels: 3, upsampling: 'transpose' };

describe('model definition', () => {
  before(async () => { await selectBackend('cpu'); });

  it('has the parameters of the paper\'s U-Net: two 3×3 convs per level, an up-sampling, a 1×1 head', () => {
    const names = parameterSpecs(tiny).map((s) => s.name);
    assert.deepEqual(names.filter((n) => n.startsWith('enc0/')), ['enc0/conv1/kernel', 'enc0/conv1/bias', 'enc0/conv2/kernel', 'enc0/conv2/bias']);
    assert.deepEqual(parameterSpecs(tiny).find((s) => s.name === 'bottleneck/conv1/kernel')!.shape, [3, 3, 8, 16]);
    assert.deepEqual(parameterSpecs(tiny).find((s) => s.name === 'dec0/up/kernel')!.shape, [2, 2, 4, 8]);
    assert.deepEqual(parameterSpecs(tiny).find((s) => s.name === 'dec0/conv1/kernel')!.shape, [3, 3, 8, 4]);
    assert.deepEqual(parameterSpecs(tiny).find((s) => s.name === 'head/kernel')!.shape, [1, 1, 4, 3]);
    const count = parameterSpecs(tiny).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
    assert.equal(parameterCount(tiny), count);
  });

  it('the default architecture stays under 1 M parameters (≤ 1 MB as uint8) and near 1.5 GFLOP per 256² slice', () => {
    assert.ok(parameterCount(DEFAULT_UNET_CONFIG) < 1_000_000);
    const gflop = forwardFlops(DEFAULT_UNET_CONFIG) / 1e9;
    assert.ok(gflop > 1.4 && gflop < 1.6, `got ${gflop}`);
  });

  it('maps [n, s, s, 1] to [n, s, s, classes] probabilities in [0, 1], for both up-sampling kinds', () => {
    for (const upsampling of ['transpose', 'bilinear'] as const) {
      const config = { ...tiny, upsampling };
      const w = initUNetWeights(config, 3);
      const x = tf.randomNormal([2, 32, 32, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
      const p = unetProbabilities(w, x, config);
      assert.deepEqual(p.shape, [2, 32, 32, 3]);
      const v = p.dataSync();
      assert.ok(v.every((q) => q >= 0 && q <= 1));
      tf.dispose([x, p, ...Object.values(w)]);
    }
  });

  it('computes the transposed convolution exactly as tf.conv2dTranspose (1×1 conv + pixel shuffle)', () => {
    const config: UNetConfig = { depth: 1, baseChannels: 3, inputSize: 8, inChannels: 1, outChannels: 1, upsampling: 'transpose' };
    const w = initUNetWeights(config, 5);
    w['dec0/up/bias']!.dispose();
    w['dec0/up/bias'] = tf.randomNormal([3], 0, 1, 'float32', 9);
    // Reference: the same network with tf.conv2dTranspose in the decoder.
    const x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
    const ours = unetLogits(w, x, config);
    const reference = tf.tidy(() => {
      const conv = (name: string, h: tf.Tensor4D) => tf.relu(tf.add(tf.conv2d(h, w[`${name}/kernel`] as tf.Tensor4D, 1, 'same'), w[`${name}/bias`]!)) as tf.Tensor4D;
      const e = conv('enc0/conv2', conv('enc0/conv1', x));
      const b = conv('bottleneck/conv2', conv('bottleneck/conv1', tf.maxPool(e, 2, 2, 'valid')));
      const up = tf.add(tf.conv2dTranspose(b, w['dec0/up/kernel'] as tf.Tensor4D, [2, 8, 8, 3], 2, 'valid'), w['dec0/up/bias']!) as tf.Tensor4D;
      const d = conv('dec0/conv2', conv('dec0/conv1', tf.concat([up, e], 3)));
      return tf.add(tf.conv2d(d, w['head/kernel'] as tf.Tensor4D, 1, 'valid'), w['head/bias']!);
    });
    const diff = tf.max(tf.abs(tf.sub(ours, reference))).dataSync()[0]!;
    assert.ok(diff < 1e-5, `max difference ${diff}`);
    tf.dispose([x, ours, reference, ...Object.values(w)]);
  });

  it('seeded initialisation is reproducible and differs between seeds', () => {
    const a = initUNetWeights(tiny, 1), b = initUNetWeights(tiny, 1), c = initUNetWeights(tiny, 2);
    assert.deepEqual(a['enc0/conv1/kernel']!.dataSync(), b['enc0/conv1/kernel']!.dataSync());
    assert.notDeepEqual(a['enc0/conv1/kernel']!.dataSync(), c['enc0/conv1/kernel']!.dataSync());
    [a, b, c].forEach((w) => tf.dispose(Object.values(w)));
  });

  it('rejects weights that do not fit the architecture, naming the tensor', () => {
    const w = initUNetWeights(tiny, 1);
    const wrong = { ...w, 'head/kernel': tf.zeros([1, 1, 4, 2]) };
    assert.throws(() => checkWeightsFitConfig(wrong, tiny), (e: TvunetError) => e.code === 'INVALID_MANIFEST' && e.message.includes('head/kernel'));
    const missing = { ...w };
    delete missing['enc0/conv1/bias'];
    assert.throws(() => checkWeightsFitConfig(missing, tiny), /enc0\/conv1\/bias/);
    assert.throws(() => checkWeightsFitConfig({ ...w, extra: tf.zeros([1]) }, tiny), /unknown tensor "extra"/);
    tf.dispose([...Object.values(w), wrong['head/kernel']]);
  });

  it('validates architectures from manifests', () => {
    assert.deepEqual(validateUNetConfig(tiny), tiny);
    for (const bad of [null, { ...tiny, depth: 0 }, { ...tiny, inputSize: 30 }, { ...tiny, upsampling: 'nearest' }, { ...tiny, outChannels: 1.5 }]) {
      assert.throws(() => validateUNetConfig(bad), (e: TvunetError) => e.code === 'INVALID_MANIFEST');
    }
  });
});
