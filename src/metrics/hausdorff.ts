/**
 * 95th-percentile Hausdorff distance between mask surfaces, with the definitions of MedPy's `hd95`:
 * the surface of a mask is its foreground pixels that have a face neighbour (4 in 2D, 6 in 3D) in
 * the background or outside the image; distances go from every surface pixel of one mask to the
 * nearest surface pixel of the other, in both directions, pooled; the percentile interpolates
 * linearly (numpy's default). Nearest distances come from an exact Euclidean distance transform
 * (Felzenszwalb & Huttenlocher), so the cost is linear in the number of pixels.
 */
import { TvunetError } from '../errors.js';
import { checkMask, type Grid, type MaskDims } from '../postprocess/dims.js';

/** Surface pixels of `mask` (1) as defined in the module comment, and how many there are. */
function surfaceOf(mask: Uint8Array, grid: Grid): { surface: Uint8Array; count: number } {
  const { width, height, depth, is3D } = grid;
  const area = width * height;
  const surface = new Uint8Array(mask.length);
  let count = 0;
  let i = 0;
  for (let z = 0; z < depth; z++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++, i++) {
        if (mask[i] === 0) continue;
        const onSurface = x === 0 || x === width - 1 || mask[i - 1] === 0 || mask[i + 1] === 0
          || y === 0 || y === height - 1 || mask[i - width] === 0 || mask[i + width] === 0
          || (is3D && (z === 0 || z === depth - 1 || mask[i - area] === 0 || mask[i + area] === 0));
        if (onSurface) {
          surface[i] = 1;
          count++;
        }
      }
    }
  }
  return { surface, count };
}

/**
 * One line of a squared distance transform in place (Felzenszwalb & Huttenlocher's lower envelope
 * of parabolas): `f[start + q * stride]` becomes min over p of `f[p] + ((q - p) * spacing)²`.
 * Infinite entries carry no parabola. `v`, `z`, `line` are scratch space of ≥ len (+1) entries.
 */
function transformLine(
  f: Float64Array, start: number, stride: number, len: number, spacing: number,
  v: Int32Array, z: Float64Array, line: Float64Array,
): void {
  let k = -1;
  for (let q = 0; q < len; q++) {
    const fq = f[start + q * stride]!;
    line[q] = fq;
    if (fq === Infinity) continue;
    const pq = q * spacing;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    let s: number;
    for (;;) {
      const pv = v[k]! * spacing;
      s = (fq + pq * pq - (line[v[k]!]! + pv * pv)) / (2 * (pq - pv));
      if (s > z[k]!) break;
      k--; // z[0] = -Infinity ends this loop at k = 0
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  if (k < 0) return; // no finite entry: the line stays infinite
  for (let q = 0, j = 0; q < len; q++) {
    const pq = q * spacing;
    while (z[j + 1]! < pq) j++;
    const d = pq - v[j]! * spacing;
    f[start + q * stride] = d * d + line[v[j]!]!;
  }
}

/** Squared Euclidean distance (in spacing units) of every pixel to the nearest `seeds` pixel. */
function squaredDistanceTransform(seeds: Uint8Array, grid: Grid, spacing: readonly number[]): Float64Array {
  const { width, height, depth } = grid;
  const f = new Float64Array(seeds.length);
  for (let i = 0; i < seeds.length; i++) f[i] = seeds[i] !== 0 ? 0 : Infinity;
  const longest = Math.max(width, height, depth);
  const v = new Int32Array(longest);
  const z = new Float64Array(longest + 1);
  const line = new Float64Array(longest);
  const area = width * height;
  for (let s = 0; s < depth; s++) {
    for (let y = 0; y < height; y++) transformLine(f, s * area + y * width, 1, width, spacing[0]!, v, z, line);
    for (let x = 0; x < width; x++) transformLine(f, s * area + x, width, height, spacing[1]!, v, z, line);
  }
  if (grid.is3D) {
    for (let i = 0; i < area; i++) transformLine(f, i, area, depth, spacing[2]!, v, z, line);
  }
  return f;
}

/** numpy's default ("linear") percentile of ascending `sorted`, with numpy's lerp rounding. */
function percentileOfSorted(sorted: Float64Array, percent: number): number {
  const position = (percent / 100) * (sorted.length - 1);
  const lo = Math.floor(position);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const t = position - lo;
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/**
 * 95th percentile of the symmetric surface distances between `pred` and `truth` (MedPy's `hd95`;
 * see the module comment for the definitions).
 *
 * @param dims shared by both masks; 3D when `depth` is given.
 * @param spacing physical pixel size along x (column), y (row) and, for 3D, z (slice); default all
 *   1, i.e. the result is in pixels. With mm spacing the result is in mm.
 * @returns the distance; 0 when both masks are empty (they agree), Infinity when exactly one is
 *   empty (no surface to measure to). Callers averaging over images must handle Infinity.
 * @throws TvunetError INVALID_INPUT on mismatched masks/dims or a bad spacing.
 */
export function hausdorff95(pred: Uint8Array, truth: Uint8Array, dims: MaskDims, spacing?: readonly number[]): number {
  const grid = checkMask(pred, dims, 'pred');
  checkMask(truth, dims, 'truth');
  const axes = grid.is3D ? 3 : 2;
  const step = spacing ?? new Array<number>(axes).fill(1);
  if (step.length !== axes || !step.every((s) => Number.isFinite(s) && s > 0)) {
    throw new TvunetError('INVALID_INPUT', `spacing must be ${axes} finite positive numbers, got [${step.join(', ')}]`);
  }
  const a = surfaceOf(pred, grid);
  const b = surfaceOf(truth, grid);
  if (a.count === 0 && b.count === 0) return 0;
  if (a.count === 0 || b.count === 0) return Infinity;
  const toB = squaredDistanceTransform(b.surface, grid, step);
  const toA = squaredDistanceTransform(a.surface, grid, step);
  const distances = new Float64Array(a.count + b.count);
  let n = 0;
  for (let i = 0; i < pred.length; i++) {
    if (a.surface[i] !== 0) distances[n++] = Math.sqrt(toB[i]!);
    if (b.surface[i] !== 0) distances[n++] = Math.sqrt(toA[i]!);
  }
  distances.sort();
  return percentileOfSorted(distances, 95);
}
