import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/backends/select.js';
import { bceTerm, diceTerm, lossTerms, pixelWeightMap, tvTerm } from '../src/training/loss.js';

const H = 5, W = 6;
function rand(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32));
}
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe('TV-UNet losses against brute-force loops', () => {
  before(async () => { await selectBackend('cpu'); });
  const z = rand(H * W, 1).map((v) => (v - 0.5) * 6);
  const y = rand(H * W, 2).map((v) => (v > 0.6 ? 1 : 0));
  const at = (a: number[], i: number, j: number) => a[i * W + j]!;
  const inputs = () => ({
    logits: tf.tensor4d(z, [1, H, W, 1]), targets: tf.tensor4d(y, [1, H, W, 1]), labelMask: tf.ones([1, 1, 1, 1]) as tf.Tensor4D,
  });

  it('BCE is the mean of −y log p − (1−y) log(1−p), optionally weighted per pixel', () => {
    const p = z.map(sigmoid);
    const plain = p.reduce((a, q, i) => a - (y[i]! * Math.log(q) + (1 - y[i]!) * Math.log(1 - q)), 0) / p.length;
    assert.ok(Math.abs(bceTerm(inputs()).dataSync()[0]! - plain) < 1e-5);
    const w = rand(H * W, 3).map((v) => 0.5 + v);
    const weighted = p.reduce((a, q, i) => a - w[i]! * (y[i]! * Math.log(q) + (1 - y[i]!) * Math.log(1 - q)), 0) / p.length;
    assert.ok(Math.abs(bceTerm({ ...inputs(), pixelWeights: tf.tensor4d(w, [1, H, W, 1]) }).dataSync()[0]! - weighted) < 1e-5);
  });

  it('TV is the anisotropic total variation of p (Eq. 4) per pixel', () => {
    const p = z.map(sigmoid);
    let tv = 0;
    for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) {
      if (i + 1 < H) tv += Math.abs(at(p, i + 1, j) - at(p, i, j));
      if (j + 1 < W) tv += Math.abs(at(p, i, j + 1) - at(p, i, j));
    }
    assert.ok(Math.abs(tvTerm(inputs()).dataSync()[0]! - tv / (H * W)) < 1e-5);
  });

  it('soft Dice loss is 1 − (2Σpy + 1)/(Σp + Σy + 1)', () => {
    const p = z.map(sigmoid);
    const inter = p.reduce((a, q, i) => a + q * y[i]!, 0);
    const expected = 1 - (2 * inter + 1) / (p.reduce((a, b) => a + b, 0) + y.reduce((a: number, b) => a + b, 0) + 1);
    assert.ok(Math.abs(diceTerm(inputs()).dataSync()[0]! - expected) < 1e-5);
  });

  it('bce+tv adds λ·TV (Eq. 5); unlabelled channels are left out', () => {
    const t = lossTerms('bce+tv', 0.3, inputs());
    assert.ok(Math.abs(t.total.dataSync()[0]! - (t.bce.dataSync()[0]! + 0.3 * t.tv.dataSync()[0]!)) < 1e-6);
    const two = {
      logits: tf.concat([inputs().logits, tf.fill([1, H, W, 1], 5)], 3) as tf.Tensor4D,
      targets: tf.concat([inputs().targets, tf.zeros([1, H, W, 1])], 3) as tf.Tensor4D,
      labelMask: tf.tensor4d([1, 0], [1, 1, 1, 2]),
    };
    assert.ok(Math.abs(bceTerm(two).dataSync()[0]! - bceTerm(inputs()).dataSync()[0]!) < 1e-6, 'the unlabelled, badly wrong channel changes nothing');
  });

  it('the weight map is 1 on background, the positive weight inside, and adds the border weight on the boundary', () => {
    const mask = [
      0, 0, 0, 0, 0, 0,
      0, 1, 1, 1, 0, 0,
      0, 1, 1, 1, 0, 0,
      0, 1, 1, 1, 0, 0,
      0, 0, 0, 0, 0, 0,
    ];
    const w = pixelWeightMap(tf.tensor4d(mask, [1, H, W, 1]), { positive: 3, border: 2 }).dataSync();
    assert.equal(w[2 * W + 2], 3, 'interior foreground');
    assert.equal(w[1 * W + 1], 3 + 2, 'foreground on the boundary');
    assert.equal(w[0], 1 + 2, 'background touching the mask diagonally is on the boundary');
    assert.equal(w[2 * W + 5], 1, 'background two pixels away');
  });
});
