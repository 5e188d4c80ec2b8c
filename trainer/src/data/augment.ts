/**
 * Training augmentation on a cached slice: flips, quarter turns (COVID-SemiSeg is stored turned by
 * 90° relative to the usual axial view), small rotations and scaling, intensity jitter. Image
 * bilinear, masks nearest (soft labels bilinear), one affine map for all planes.
 */
import type { LoadedSlice } from './slices.js';
import type { Rng } from './rng.js';

export interface AugmentOptions {
  flip: boolean;
  quarterTurns: boolean;
  maxRotationDeg: number;
  scaleRange: [number, number];
  /** Gamma jitter range, applied to the 0…1 image. */
  gammaRange: [number, number];
  noiseStd: number;
}

export const DEFAULT_AUGMENT: AugmentOptions = {
  flip: true,
  quarterTurns: true,
  maxRotationDeg: 10,
  scaleRange: [0.9, 1.1],
  gammaRange: [0.8, 1.25],
  noiseStd: 0.02,
};

/** Output-to-input affine map around the centre, as a 2×2 matrix [a, b, c, d]. */
function sampleMap(rng: Rng, o: AugmentOptions): { m: [number, number, number, number] } {
  const turns = o.quarterTurns ? rng.int(4) : 0;
  const angle = (turns * 90 + rng.uniform(-o.maxRotationDeg, o.maxRotationDeg)) * (Math.PI / 180);
  const scale = rng.uniform(o.scaleRange[0], o.scaleRange[1]);
  const flip = o.flip && rng.next() < 0.5 ? -1 : 1;
  const cos = Math.cos(angle) / scale, sin = Math.sin(angle) / scale;
  return { m: [cos * flip, -sin, sin * flip, cos] };
}

function warp(src: Uint8Array, size: number, m: [number, number, number, number], bilinear: boolean, out: Float32Array, scale: number): void {
  const c = (size - 1) / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x - c, dy = y - c;
      const sx = m[0] * dx + m[1] * dy + c;
      const sy = m[2] * dx + m[3] * dy + c;
      let v = 0;
      if (bilinear) {
        const x0 = Math.floor(sx), y0 = Math.floor(sy);
        const wx = sx - x0, wy = sy - y0;
        const at = (xx: number, yy: number) => (xx >= 0 && yy >= 0 && xx < size && yy < size ? src[yy * size + xx]! : 0);
        v = (at(x0, y0) * (1 - wx) + at(x0 + 1, y0) * wx) * (1 - wy) + (at(x0, y0 + 1) * (1 - wx) + at(x0 + 1, y0 + 1) * wx) * wy;
      } else {
        const xx = Math.round(sx), yy = Math.round(sy);
        v = xx >= 0 && yy >= 0 && xx < size && yy < size ? src[yy * size + xx]! : 0;
      }
      out[y * size + x] = v * scale;
    }
  }
}

/**
 * Writes an augmented copy of `slice` into `image` (0…255 floats) and `targets` (c planes of
 * 0…1, size² each, concatenated per pixel later by the batcher). `soft[c]` marks bilinear planes.
 */
export function augmentSlice(slice: LoadedSlice, soft: boolean[], rng: Rng, o: AugmentOptions, image: Float32Array, targets: Float32Array[]): void {
  const { size } = slice;
  const { m } = sampleMap(rng, o);
  warp(slice.image, size, m, true, image, 1);
  const gamma = rng.uniform(o.gammaRange[0], o.gammaRange[1]);
  for (let i = 0; i < image.length; i++) {
    const v = Math.pow(image[i]! / 255, gamma) + o.noiseStd * (rng.next() + rng.next() + rng.next() - 1.5) * 2;
    image[i] = Math.min(1, Math.max(0, v)) * 255;
  }
  slice.targets.forEach((t, c) => {
    if (t) warp(t, size, m, soft[c]!, targets[c]!, 1 / 255);
  });
}
