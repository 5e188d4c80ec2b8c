import * as tf from '@tensorflow/tfjs-core';
import { TvunetError } from '../errors.js';
import { parameterSpecs, type UNetConfig } from './config.js';

/** Named parameter tensors of a TV-UNet, keyed by {@link parameterSpecs} names. */
export type UNetWeights = Record<string, tf.Tensor>;

/**
 * Seeded He-normal kernels and zero biases: the start of training, and the "random weights"
 * the tests use before a trained model exists. Same seed, same weights, on every backend.
 */
export function initUNetWeights(config: UNetConfig, seed: number): UNetWeights {
  const weights: UNetWeights = {};
  parameterSpecs(config).forEach((spec, i) => {
    weights[spec.name] =
      spec.fanIn === 0
        ? tf.zeros(spec.shape)
        : tf.truncatedNormal(spec.shape, 0, Math.sqrt(2 / spec.fanIn), 'float32', seed * 1009 + i);
  });
  return weights;
}

/** Throws INVALID_MANIFEST unless `weights` holds exactly the parameters `config` needs. */
export function checkWeightsFitConfig(weights: UNetWeights, config: UNetConfig): void {
  const specs = parameterSpecs(config);
  const names = new Set(specs.map((s) => s.name));
  for (const name of Object.keys(weights)) {
    if (!names.has(name)) throw new TvunetError('INVALID_MANIFEST', `weights hold an unknown tensor "${name}" for this architecture`);
  }
  for (const spec of specs) {
    const t = weights[spec.name];
    if (!t) throw new TvunetError('INVALID_MANIFEST', `weights lack tensor "${spec.name}"`);
    if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
      throw new TvunetError(
        'INVALID_MANIFEST',
        `tensor "${spec.name}" has shape [${t.shape.join(',')}], the architecture needs [${spec.shape.join(',')}]`,
      );
    }
  }
}

function conv3x3Relu(w: UNetWeights, name: string, x: tf.Tensor4D): tf.Tensor4D {
  return tf.fused.conv2d({
    x,
    filter: w[`${name}/kernel`] as tf.Tensor4D,
    strides: 1,
    pad: 'same',
    bias: w[`${name}/bias`],
    activation: 'relu',
  });
}

/**
 * conv3x3Relu of concat([up, skip], channels) without the concat: the kernel's input channels are
 * split between the two and the two convs summed. Same arithmetic up to summation order, and
 * tfjs-backend-wasm's Concat is a JS loop of per-pixel copies (about 10 % of a forward pass).
 */
function concatConv3x3Relu(w: UNetWeights, name: string, up: tf.Tensor4D, skip: tf.Tensor4D): tf.Tensor4D {
  const kernel = w[`${name}/kernel`] as tf.Tensor4D;
  const cUp = up.shape[3];
  const fromUp = tf.conv2d(up, tf.slice(kernel, [0, 0, 0, 0], [-1, -1, cUp, -1]), 1, 'same');
  const fromSkip = tf.fused.conv2d({ x: skip, filter: tf.slice(kernel, [0, 0, cUp, 0], [-1, -1, -1, -1]), strides: 1, pad: 'same', bias: w[`${name}/bias`] });
  return tf.relu(tf.add(fromUp, fromSkip));
}

/** 2×2 stride-2 transposed conv as a 1×1 conv to 4·C channels plus a pixel shuffle (identical arithmetic). */
function upTranspose(w: UNetWeights, name: string, x: tf.Tensor4D): tf.Tensor4D {
  const kernel = w[`${name}/kernel`]!; // [2, 2, out, in]
  const [, , cout, cin] = kernel.shape as number[];
  const [n, h, wd] = x.shape;
  // [2,2,out,in] -> [in,2,2,out] -> [1,1,in,4·out]: output channel index = (a·2 + b)·out + c.
  const filter = tf.reshape(tf.transpose(kernel, [3, 0, 1, 2]), [1, 1, cin!, 4 * cout!]) as tf.Tensor4D;
  const bias = tf.tile(w[`${name}/bias`]!, [4]);
  const y = tf.fused.conv2d({ x, filter, strides: 1, pad: 'valid', bias }); // [n,h,w,(a,b,c)]
  // [n·h, w, a, (b,c)] -> [n·h, a, w, (b,c)] -> [n, 2h, 2w, c]
  const shuffled = tf.transpose(tf.reshape(y, [n * h, wd, 2, 2 * cout!]), [0, 2, 1, 3]);
  return tf.reshape(shuffled, [n, 2 * h, 2 * wd, cout!]);
}

function upBilinear(w: UNetWeights, name: string, x: tf.Tensor4D): tf.Tensor4D {
  const [, h, wd] = x.shape;
  const up = tf.image.resizeBilinear(x, [2 * h, 2 * wd], false, true);
  return tf.fused.conv2d({ x: up, filter: w[`${name}/kernel`] as tf.Tensor4D, strides: 1, pad: 'valid', bias: w[`${name}/bias`] });
}

/**
 * Forward pass to logits, [n, size, size, inChannels] -> [n, size, size, outChannels].
 * Pure tfjs-core ops, differentiable: the trainer calls this same function under tf.variableGrads.
 * The caller owns the returned tensor (wrap calls in tf.tidy).
 */
export function unetLogits(w: UNetWeights, x: tf.Tensor4D, config: UNetConfig): tf.Tensor4D {
  const skips: tf.Tensor4D[] = [];
  let h = x;
  for (let l = 0; l < config.depth; l++) {
    h = conv3x3Relu(w, `enc${l}/conv2`, conv3x3Relu(w, `enc${l}/conv1`, h));
    skips.push(h);
    h = tf.maxPool(h, 2, 2, 'valid');
  }
  h = conv3x3Relu(w, 'bottleneck/conv2', conv3x3Relu(w, 'bottleneck/conv1', h));
  for (let l = config.depth - 1; l >= 0; l--) {
    const up = config.upsampling === 'transpose' ? upTranspose(w, `dec${l}/up`, h) : upBilinear(w, `dec${l}/up`, h);
    h = conv3x3Relu(w, `dec${l}/conv2`, concatConv3x3Relu(w, `dec${l}/conv1`, up, skips[l]!));
  }
  return tf.fused.conv2d({ x: h, filter: w['head/kernel'] as tf.Tensor4D, strides: 1, pad: 'valid', bias: w['head/bias'] });
}

/** Forward pass to per-class probabilities (sigmoid of {@link unetLogits}). */
export function unetProbabilities(w: UNetWeights, x: tf.Tensor4D, config: UNetConfig): tf.Tensor4D {
  return tf.tidy(() => tf.sigmoid(unetLogits(w, x, config)));
}
