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
  // Column taps and weights are the same on every row: computed once (same doubles as per pixel).
  const x0s = new Int32Array(outWidth), x1s = new Int32Array(outWidth), wxs = new Float64Array(outWidth);
  for (let x = 0; x < outWidth; x++) {
    const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), width - 1);
    x0s[x] = Math.floor(fx);
    x1s[x] = Math.min(x0s[x]! + 1, width - 1);
    wxs[x] = fx - x0s[x]!;
  }
  for (let y = 0; y < outHeight; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), height - 1);
    const y0 = Math.floor(fy);
    const wy = fy - y0;
    const row0 = y0 * width, row1 = Math.min(y0 + 1, height - 1) * width;
    for (let x = 0, o = y * outWidth; x < outWidth; x++, o++) {
      const x0 = x0s[x]!, x1 = x1s[x]!, wx = wxs[x]!;
      const top = src[row0 + x0]! * (1 - wx) + src[row0 + x1]! * wx;
      const bottom = src[row1 + x0]! * (1 - wx) + src[row1 + x1]! * wx;
      out[o] = top * (1 - wy) + bottom * wy;
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
