/**
 * Resizing of single-channel row-major images, pure TypeScript. Bilinear uses half-pixel centres
 * (as tf.image.resizeBilinear with halfPixelCenters), so the library's pre-processing and the
 * trainer's data pipeline sample the same points.
 */
import { TvunetError } from '../errors.js';

/** Largest image resized (16384²): bigger outputs are refused before allocating. */
const MAX_RESIZE_PIXELS = 2 ** 28;

/** Sizes must be positive integers and `src` must hold width × height values (else INVALID_INPUT). */
function checkSizes(src: ArrayLike<number>, width: number, height: number, outWidth: number, outHeight: number): void {
  for (const [what, v] of [['width', width], ['height', height], ['outWidth', outWidth], ['outHeight', outHeight]] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new TvunetError('INVALID_INPUT', `resize: ${what} must be a positive integer, got ${String(v)}`);
  }
  if (outWidth * outHeight > MAX_RESIZE_PIXELS) {
    throw new TvunetError('INVALID_INPUT', `resize: output ${outWidth}×${outHeight} exceeds the ${MAX_RESIZE_PIXELS} pixel limit`);
  }
  if (src == null || typeof src.length !== 'number' || src.length !== width * height) {
    throw new TvunetError('INVALID_INPUT', `resize: source has ${String(src?.length)} values, ${width}×${height} needs ${width * height}`);
  }
}

/** Bilinear resize; returns a new array that belongs to the caller. */
export function resizeBilinear(
  src: ArrayLike<number>, width: number, height: number, outWidth: number, outHeight: number,
): Float32Array {
  checkSizes(src, width, height, outWidth, outHeight);
  const out = new Float32Array(outWidth * outHeight);
  const sx = width / outWidth;
  const sy = height / outHeight;
  for (let y = 0; y < outHeight; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, height - 1);
    const wy = fy - y0;
    for (let x = 0; x < outWidth; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, width - 1);
      const wx = fx - x0;
      const top = src[y0 * width + x0]! * (1 - wx) + src[y0 * width + x1]! * wx;
      const bottom = src[y1 * width + x0]! * (1 - wx) + src[y1 * width + x1]! * wx;
      out[y * outWidth + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}

/** Nearest-neighbour resize (for label masks); returns a new array that belongs to the caller. */
export function resizeNearest(
  src: Uint8Array, width: number, height: number, outWidth: number, outHeight: number,
): Uint8Array {
  checkSizes(src, width, height, outWidth, outHeight);
  const out = new Uint8Array(outWidth * outHeight);
  const xs = new Int32Array(outWidth);
  for (let x = 0; x < outWidth; x++) xs[x] = Math.min(Math.floor((x + 0.5) * width / outWidth), width - 1);
  for (let y = 0; y < outHeight; y++) {
    const row = Math.min(Math.floor((y + 0.5) * height / outHeight), height - 1) * width;
    for (let x = 0; x < outWidth; x++) out[y * outWidth + x] = src[row + xs[x]!]!;
  }
  return out;
}
