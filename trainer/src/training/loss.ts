/**
 * TV-UNet losses (the paper's Eqs. 1, 4, 5) on multi-channel outputs where a sample may lack some
 * labels: `labelMask` [n,1,1,c] is 1 where channel c of sample n is labelled, 0 where it is not.
 */
import * as tf from '@tensorflow/tfjs-core';

export type LossKind = 'bce' | 'bce+dice' | 'bce+dice+tv' | 'bce+tv';
export const LOSS_KINDS: readonly LossKind[] = ['bce', 'bce+dice', 'bce+dice+tv', 'bce+tv'];

export interface LossInputs {
  logits: tf.Tensor4D; // [n,h,w,c]
  targets: tf.Tensor4D; // [n,h,w,c] in 0…1 (soft labels allowed)
  labelMask: tf.Tensor4D; // [n,1,1,c]
  /** Optional per-pixel weight map (Eq. 1), [n,h,w,1] or [n,h,w,c]. */
  pixelWeights?: tf.Tensor4D;
}

export interface LossTerms {
  total: tf.Scalar;
  bce: tf.Scalar;
  dice: tf.Scalar;
  tv: tf.Scalar;
}

/**
 * Per-pixel weights for the cross-entropy (the paper's Eq. 1, after U-Net): 1 everywhere, plus
 * `positive − 1` on foreground pixels (class balance) and `border` on pixels whose 3×3
 * neighbourhood crosses the mask boundary (separates touching lesions, sharpens edges).
 * Soft targets count as foreground above 0.5.
 */
export interface WeightMapOptions {
  positive: number;
  border: number;
}

export function pixelWeightMap(targets: tf.Tensor4D, o: WeightMapOptions): tf.Tensor4D {
  return tf.tidy(() => {
    const fg = tf.cast(tf.greater(targets, 0.5), 'float32') as tf.Tensor4D;
    const dilated = tf.maxPool(fg, 3, 1, 'same');
    const eroded = tf.neg(tf.maxPool(tf.neg(fg) as tf.Tensor4D, 3, 1, 'same'));
    const edge = tf.sub(dilated, eroded);
    return tf.add(tf.add(1, tf.mul(fg, o.positive - 1)), tf.mul(edge, o.border)) as tf.Tensor4D;
  });
}

/** Mean over labelled (sample, channel) pairs of a per-(n,c) quantity [n,1,1,c]. */
function labelledMean(perSampleChannel: tf.Tensor, labelMask: tf.Tensor): tf.Scalar {
  return tf.div(tf.sum(tf.mul(perSampleChannel, labelMask)), tf.maximum(tf.sum(labelMask), 1)) as tf.Scalar;
}

/** Binary cross-entropy from logits, stable form max(z,0) − z·y + log(1 + e^−|z|). */
export function bceTerm({ logits, targets, labelMask, pixelWeights }: LossInputs): tf.Scalar {
  const z = logits;
  let perPixel = tf.add(tf.sub(tf.relu(z), tf.mul(z, targets)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
  if (pixelWeights) perPixel = tf.mul(perPixel, pixelWeights);
  return labelledMean(tf.mean(perPixel, [1, 2], true), labelMask);
}

/** Soft Dice loss 1 − (2Σpy + 1)/(Σp + Σy + 1) per sample and channel. */
export function diceTerm({ logits, targets, labelMask }: LossInputs): tf.Scalar {
  const p = tf.sigmoid(logits);
  const inter = tf.sum(tf.mul(p, targets), [1, 2], true);
  const denom = tf.add(tf.sum(p, [1, 2], true), tf.sum(targets, [1, 2], true));
  const dice = tf.div(tf.add(tf.mul(inter, 2), 1), tf.add(denom, 1));
  return labelledMean(tf.sub(1, dice), labelMask);
}

/**
 * Anisotropic total variation (Eq. 4) of the predicted probability map: Σ|p(i+1,j) − p(i,j)| +
 * |p(i,j+1) − p(i,j)|, divided by the pixel count so that λ does not depend on the input size.
 * Only labelled channels are penalised.
 */
export function tvTerm({ logits, labelMask }: LossInputs): tf.Scalar {
  const p = tf.sigmoid(logits);
  const [, h, w] = p.shape;
  const dv = tf.abs(tf.sub(tf.slice(p, [0, 1, 0, 0], [-1, h - 1, -1, -1]), tf.slice(p, [0, 0, 0, 0], [-1, h - 1, -1, -1])));
  const dh = tf.abs(tf.sub(tf.slice(p, [0, 0, 1, 0], [-1, -1, w - 1, -1]), tf.slice(p, [0, 0, 0, 0], [-1, -1, w - 1, -1])));
  const perSampleChannel = tf.div(tf.add(tf.sum(dv, [1, 2], true), tf.sum(dh, [1, 2], true)), h * w);
  return labelledMean(perSampleChannel, labelMask);
}

/** The loss of `kind` (the paper's Eq. 5 for 'bce+tv': BCE + λ·TV). Call inside tf.tidy / variableGrads. */
export function lossTerms(kind: LossKind, tvLambda: number, inputs: LossInputs): LossTerms {
  const bce = bceTerm(inputs);
  const useDice = kind.includes('dice');
  const useTv = kind.includes('tv');
  const dice = useDice ? diceTerm(inputs) : tf.scalar(0);
  const tv = useTv ? tvTerm(inputs) : tf.scalar(0);
  let total = bce;
  if (useDice) total = tf.add(total, dice);
  if (useTv) total = tf.add(total, tf.mul(tv, tvLambda));
  return { total: total as tf.Scalar, bce, dice, tv };
}
