/** Turning loaded slices into the tensors a training or validation step takes. */
import * as tf from '@tensorflow/tfjs-core';
import { standardizeInPlace } from '../../../src/preprocess/normalize.js';
import { augmentSlice, type AugmentOptions } from './augment.js';
import type { LabelEncoding, SampleRef } from './datasets.js';
import type { Rng } from './rng.js';
import type { LoadedSlice, SliceCache } from './slices.js';

export interface Batch {
  x: tf.Tensor4D; // [n,s,s,1] standardised
  y: tf.Tensor4D; // [n,s,s,c] in 0…1
  labelMask: tf.Tensor4D; // [n,1,1,c]
}

export function disposeBatch(b: Batch): void {
  tf.dispose([b.x, b.y, b.labelMask]);
}

function softPlanes(sample: SampleRef, classes: readonly string[]): boolean[] {
  return classes.map((c) => (sample.labels[c as keyof SampleRef['labels']]?.encoding as LabelEncoding | undefined)?.kind === 'soft');
}

/** Builds a batch; with `augment` each slice gets a random transform drawn from `rng`. */
export async function makeBatch(samples: SampleRef[], cache: SliceCache, augment: { rng: Rng; options: AugmentOptions } | null): Promise<Batch> {
  const s = cache.size;
  const c = cache.classes.length;
  const n = samples.length;
  const xs = new Float32Array(n * s * s);
  const ys = new Float32Array(n * s * s * c);
  const mask = new Float32Array(n * c);
  const image = new Float32Array(s * s);
  const planes = Array.from({ length: c }, () => new Float32Array(s * s));
  for (let i = 0; i < n; i++) {
    const slice: LoadedSlice = await cache.load(samples[i]!);
    if (augment) {
      planes.forEach((p) => p.fill(0));
      augmentSlice(slice, softPlanes(samples[i]!, cache.classes), augment.rng, augment.options, image, planes);
    } else {
      image.set(slice.image);
      slice.targets.forEach((t, k) => { if (t) for (let j = 0; j < t.length; j++) planes[k]![j] = t[j]! / 255; });
    }
    xs.set(standardizeInPlace(image), i * s * s);
    slice.targets.forEach((t, k) => {
      if (!t) return;
      mask[i * c + k] = 1;
      const p = planes[k]!;
      for (let j = 0; j < s * s; j++) ys[(i * s * s + j) * c + k] = p[j]!;
    });
  }
  return {
    x: tf.tensor4d(xs, [n, s, s, 1]),
    y: tf.tensor4d(ys, [n, s, s, c]),
    labelMask: tf.tensor4d(mask, [n, 1, 1, c]),
  };
}
