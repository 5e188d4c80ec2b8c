/** Intensity handling shared by inference and training, so both see the same numbers. */
import { TvunetError } from '../errors.js';

/** Default lung window, in Hounsfield units, mapped to display 0…255. */
export const DEFAULT_HU_WINDOW: readonly [number, number] = [-1250, 250];

/** Maps HU values linearly from `window` to 0…255 display values, clamped. New array, caller's. */
export function windowHounsfield(hu: ArrayLike<number>, window: readonly [number, number] = DEFAULT_HU_WINDOW): Float32Array {
  const [lo, hi] = Array.isArray(window) ? window : [Number.NaN, Number.NaN];
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) {
    throw new TvunetError('INVALID_OPTIONS', `HU window must be two finite numbers [lo, hi] with lo < hi, got ${JSON.stringify(window)}`);
  }
  const out = new Float32Array(hu.length);
  const k = 255 / (hi - lo);
  for (let i = 0; i < hu.length; i++) out[i] = Math.min(255, Math.max(0, (hu[i]! - lo) * k));
  return out;
}

/**
 * Per-image z-score, in place: (x − mean) / max(std, 1e-6). Makes the JPG crops, CLAHE'd PNGs and
 * windowed HU slices of the training data comparable (their grey levels differ a lot).
 */
export function standardizeInPlace(x: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i]!;
  const mean = sum / x.length;
  let sq = 0;
  for (let i = 0; i < x.length; i++) sq += (x[i]! - mean) ** 2;
  const inv = 1 / Math.max(Math.sqrt(sq / x.length), 1e-6);
  for (let i = 0; i < x.length; i++) x[i] = (x[i]! - mean) * inv;
  return x;
}
