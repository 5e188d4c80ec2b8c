/**
 * Pictures of single CT slices: masks (prediction, ground truth) over the grey image, and
 * probability maps in a perceptual colour map.
 */
import { TvunetError } from '../../../src/errors.js';
import type { Rgb, Rgba } from './raster.js';

/** One mask drawn over the slice. Any non-zero value (1 or 255) is inside. */
export interface OverlayMask {
  mask: Uint8Array;
  color: Rgb;
  /** Opacity of the fill over the slice, 0…1; default 0.35. */
  fillAlpha?: number;
  /** Draws the mask's boundary in opaque `color`; default true. */
  contour?: boolean;
}

export interface PictureOptions {
  /** Integer upscale factor (nearest neighbour) so tiny slices stay visible; default 1. */
  scale?: number;
}

/** matplotlib's viridis at 0, 0.1, …, 1. */
const VIRIDIS_STOPS: readonly Rgb[] = [
  [68, 1, 84],
  [72, 36, 117],
  [65, 68, 135],
  [53, 95, 141],
  [42, 120, 142],
  [33, 145, 140],
  [34, 168, 132],
  [68, 191, 112],
  [122, 209, 81],
  [189, 223, 38],
  [253, 231, 37],
];

/** 256 RGB triples interpolated linearly between the viridis stops. */
const VIRIDIS_LUT: Uint8Array = (() => {
  const lut = new Uint8Array(256 * 3);
  const segments = VIRIDIS_STOPS.length - 1;
  for (let i = 0; i < 256; i++) {
    const position = (i / 255) * segments;
    const lower = Math.min(segments - 1, Math.floor(position));
    const t = position - lower;
    const a = VIRIDIS_STOPS[lower]!, b = VIRIDIS_STOPS[lower + 1]!;
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(a[c]! + t * (b[c]! - a[c]!));
  }
  return lut;
})();

/**
 * The slice `gray` (0…255, values outside clamped, NaN black) as an opaque RGBA image with each
 * mask, in order, filled translucently (channel = round(a·mask + (1 − a)·below)), then every
 * mask's contour, in order, drawn opaque over all fills. Contour pixels are mask pixels with a
 * 4-neighbour outside the mask, counting the image border as outside; when upscaled, the contour
 * is traced at output resolution so it stays 1 px thin.
 */
export function renderOverlay(
  gray: Uint8Array | Float32Array,
  width: number,
  height: number,
  masks: readonly OverlayMask[],
  options: PictureOptions = {},
): Rgba {
  checkSize(gray.length, width, height, 'gray');
  masks.forEach((m, i) => checkSize(m.mask.length, width, height, `masks[${i}].mask`));
  const scale = checkScale(options.scale);
  const outWidth = width * scale, outHeight = height * scale;
  const data = new Uint8Array(outWidth * outHeight * 4);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      const v = gray[Math.floor(y / scale) * width + Math.floor(x / scale)]!;
      const level = Number.isNaN(v) ? 0 : Math.round(Math.min(255, Math.max(0, v)));
      const o = (y * outWidth + x) * 4;
      data[o] = data[o + 1] = data[o + 2] = level;
      data[o + 3] = 255;
    }
  }

  // Whether output pixel (x, y) lies in the mask; outside the image counts as outside.
  const inside = (mask: Uint8Array, x: number, y: number) =>
    x >= 0 && y >= 0 && x < outWidth && y < outHeight && mask[Math.floor(y / scale) * width + Math.floor(x / scale)] !== 0;
  for (const { mask, color, fillAlpha = 0.35 } of masks) {
    const alpha = Math.min(1, Math.max(0, fillAlpha));
    for (let y = 0; y < outHeight; y++) {
      for (let x = 0; x < outWidth; x++) {
        if (!inside(mask, x, y)) continue;
        const o = (y * outWidth + x) * 4;
        for (let c = 0; c < 3; c++) data[o + c] = Math.round(alpha * color[c]! + (1 - alpha) * data[o + c]!);
      }
    }
  }
  // Contours go over all fills, so overlapping masks keep every outline in its pure colour.
  for (const { mask, color, contour = true } of masks) {
    if (!contour) continue;
    for (let y = 0; y < outHeight; y++) {
      for (let x = 0; x < outWidth; x++) {
        if (!inside(mask, x, y)) continue;
        if (inside(mask, x - 1, y) && inside(mask, x + 1, y) && inside(mask, x, y - 1) && inside(mask, x, y + 1)) continue;
        const o = (y * outWidth + x) * 4;
        data[o] = color[0];
        data[o + 1] = color[1];
        data[o + 2] = color[2];
      }
    }
  }
  return { width: outWidth, height: outHeight, data };
}

/**
 * A probability map (0…1, values outside clamped) in the viridis colour map: dark purple at 0,
 * teal at 0.5, yellow at 1; perceptually uniform and readable in greyscale and with colour-vision
 * deficiencies. Non-finite values are drawn black.
 */
export function renderProbability(prob: Float32Array, width: number, height: number, options: PictureOptions = {}): Rgba {
  checkSize(prob.length, width, height, 'prob');
  const scale = checkScale(options.scale);
  const outWidth = width * scale, outHeight = height * scale;
  const data = new Uint8Array(outWidth * outHeight * 4);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      const p = prob[Math.floor(y / scale) * width + Math.floor(x / scale)]!;
      const o = (y * outWidth + x) * 4;
      if (Number.isFinite(p)) {
        const entry = Math.round(Math.min(1, Math.max(0, p)) * 255) * 3;
        data[o] = VIRIDIS_LUT[entry]!;
        data[o + 1] = VIRIDIS_LUT[entry + 1]!;
        data[o + 2] = VIRIDIS_LUT[entry + 2]!;
      }
      data[o + 3] = 255;
    }
  }
  return { width: outWidth, height: outHeight, data };
}

function checkSize(length: number, width: number, height: number, name: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new TvunetError('INVALID_INPUT', `image size must be positive integers (got ${width}×${height})`);
  }
  if (length !== width * height) {
    throw new TvunetError('INVALID_INPUT', `${name} has ${length} values, expected ${width}×${height} = ${width * height}`);
  }
}

function checkScale(scale = 1): number {
  if (!Number.isInteger(scale) || scale < 1 || scale > 64) {
    throw new TvunetError('INVALID_OPTIONS', `scale must be an integer from 1 to 64 (got ${scale})`);
  }
  return scale;
}
