/**
 * IEEE 754 binary16 ("half") conversion, written out by hand so that it behaves the same in every
 * JavaScript engine (no reliance on `Float16Array` or `Math.f16round`, which Node 20 lacks).
 *
 * - float32 → half rounds to nearest, ties to even, in one step from the float32 bits (no double
 *   rounding); overflow goes to ±Infinity, underflow to subnormals and then to ±0 (sign kept);
 *   NaN stays a (quiet) NaN.
 * - half → float32 is exact (every half is a float32) and goes through a 65536-entry table built
 *   on first use.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Largest finite half, 65504. */
export const FLOAT16_MAX = 65504;

/** The half (as its 16 bits) nearest to `value` after rounding it to float32 first. */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;

  if (exp === 0xff) {
    // Infinity keeps a zero mantissa; NaN is made quiet and keeps the top payload bits.
    return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13);
  }
  const e = exp - 127 + 15; // re-biased exponent
  if (e >= 0x1f) return sign | 0x7c00; // too large even before rounding
  if (e <= 0) {
    // Half subnormal (or zero). In units of 2^-24 the value is (1.mant) · 2^(e-1) = M >> (14 - e).
    if (e < -10) return sign; // below half the smallest subnormal (2^-25): rounds to ±0
    mant |= 0x800000;
    const shift = 14 - e; // 14..24
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) === 1)) half++; // may carry into the smallest normal: correct
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) === 1)) half++; // a carry may reach 0x7c00 = Infinity: correct
  return sign | half;
}

/** The value of a half given as its 16 bits (exact, computed without the table). */
export function float16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

let table: Float32Array | undefined;

/** All 65536 halves as float32, indexed by their bits. */
export function float16Table(): Float32Array {
  if (!table) {
    const t = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) t[h] = float16BitsToNumber(h);
    table = t;
  }
  return table;
}

/** Converts float32 values to halves (bits). */
export function encodeFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16Bits(values[i]!);
  return out;
}

/** Converts halves (bits) to float32 values, exactly. */
export function decodeFloat16(bits: Uint16Array): Float32Array {
  const t = float16Table();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = t[bits[i]!]!;
  return out;
}
