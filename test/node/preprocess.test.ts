import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/backends/select.js';
import { TvunetError } from '../../src/errors.js';
import { toDisplaySlice } from '../../src/preprocess/input.js';
import { standardizeInPlace, windowHounsfield } from '../../src/preprocess/normalize.js';
import { resizeBilinear, resizeNearest } from '../../src/preprocess/resize.js';

function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 255);
}

describe('pre-processing', () => {
  before(async () => { await selectBackend('cpu'); });

  it('bilinear resize equals tf.image.resizeBilinear with half-pixel centres (down and up, odd sizes)', () => {
    for (const [w, h, ow, oh] of [[37, 23, 16, 16], [16, 16, 41, 29], [300, 220, 256, 256], [5, 7, 5, 7]] as const) {
      const src = random(w * h, w * 31 + h);
      const ours = resizeBilinear(src, w, h, ow, oh);
      const ref = tf.tidy(() => tf.image.resizeBilinear(tf.tensor4d(src, [1, h, w, 1]), [oh, ow], false, true).dataSync());
      let worst = 0;
      for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - ref[i]!));
      assert.ok(worst < 1e-3, `${w}×${h}→${ow}×${oh}: ${worst}`);
    }
  });

  it('nearest resize keeps labels and maps each output pixel to the source pixel under its centre', () => {
    const src = Uint8Array.from({ length: 6 * 4 }, (_, i) => i);
    const out = resizeNearest(src, 6, 4, 3, 2);
    assert.deepEqual([...out], [src[1 * 6 + 1], src[1 * 6 + 3], src[1 * 6 + 5], src[3 * 6 + 1], src[3 * 6 + 3], src[3 * 6 + 5]]);
    const up = resizeNearest(Uint8Array.of(0, 1, 2, 3), 2, 2, 4, 4);
    assert.deepEqual([...up], [0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]);
  });

  it('windows Hounsfield units linearly onto 0…255 and clamps outside the window', () => {
    const out = windowHounsfield(Float32Array.of(-2000, -1250, -500, 250, 3000));
    assert.deepEqual([...out], [0, 0, 127.5, 255, 255]);
  });

  it('standardises to zero mean and unit variance, and leaves constant images finite', () => {
    const x = standardizeInPlace(random(1000, 3));
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    const sd = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length);
    assert.ok(Math.abs(mean) < 1e-5 && Math.abs(sd - 1) < 1e-4);
    assert.ok(standardizeInPlace(new Float32Array(10).fill(7)).every((v) => v === 0));
  });

  it('rejects malformed slices with INVALID_INPUT naming the problem', () => {
    const cases: [unknown, RegExp][] = [
      [{ data: new Float32Array(0), width: 0, height: 0, kind: 'hu' }, /positive integers/],
      [{ data: new Float32Array(10), width: 3, height: 3, kind: 'hu' }, /10 values, 3×3 needs 9/],
      [{ data: Float32Array.of(1, NaN, 3, Infinity), width: 2, height: 2, kind: 'hu' }, /2 NaN or infinite/],
      [{ data: new Uint8Array(4), width: 2, height: 2, kind: 'pet' }, /kind must be/],
      [{ data: new Uint8Array(4), width: 1e6, height: 1e6, kind: 'display' }, /exceeds/],
      ['not an image', /unsupported input/],
      [{ width: 2, height: 2 }, /OffscreenCanvas|unsupported/],
    ];
    for (const [input, message] of cases) {
      assert.throws(() => toDisplaySlice(input as never, [-1250, 250]), (e: TvunetError) => e instanceof TvunetError && e.code === 'INVALID_INPUT' && message.test(e.message), String(message));
    }
  });

  it('accepts ImageData-like RGBA (luma) and clamps display values', () => {
    const rgba = new Uint8ClampedArray([255, 255, 255, 255, 0, 0, 0, 255]);
    const d = toDisplaySlice({ data: rgba, width: 2, height: 1, colorSpace: 'srgb' } as unknown as ImageData, [-1250, 250]);
    assert.deepEqual([...d.display].map((v) => Math.round(v)), [255, 0]);
    const c = toDisplaySlice({ data: Int16Array.of(-5, 300), width: 2, height: 1, kind: 'display' }, [-1250, 250]);
    assert.deepEqual([...c.display], [0, 255]);
  });
});
