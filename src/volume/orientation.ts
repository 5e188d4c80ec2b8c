/**
 * Which way a volume's voxel axes point, and how to cut it into axial slices the way the model
 * saw its training slices: radiological view, anterior up and the patient's right on the image's
 * left (columns run toward the patient's Left, rows toward Posterior). Re-orienting is only
 * axis permutation and flipping (no interpolation), so results map back voxel for voxel.
 */
import type { PixelArray } from '../preprocess/input.js';
import type { Affine } from './volume.js';

/** Direction a voxel axis increases toward: Right/Left, Anterior/Posterior, Superior/Inferior. */
export type AxisCode = 'R' | 'L' | 'A' | 'P' | 'S' | 'I';

const POSITIVE: readonly AxisCode[] = ['R', 'A', 'S'];
const NEGATIVE: readonly AxisCode[] = ['L', 'P', 'I'];

/**
 * For each voxel axis (x, y, z), the world axis it is closest to and its sign, as in nibabel's
 * `aff2axcodes` ('RAS' = x increases toward Right, y toward Anterior, z toward Superior; a DICOM
 * axial series reads 'LPS'). Oblique axes go to their nearest world axis; each world axis is used
 * once.
 */
export function orientationCodes(affine: Affine): [AxisCode, AxisCode, AxisCode] {
  const col = (a: number) => [affine[0]![a]!, affine[1]![a]!, affine[2]![a]!];
  const cols = [col(0), col(1), col(2)].map((c) => {
    const n = Math.hypot(c[0]!, c[1]!, c[2]!) || 1;
    return c.map((v) => v / n);
  });
  const codes: (AxisCode | null)[] = [null, null, null];
  const usedWorld = new Set<number>();
  for (let round = 0; round < 3; round++) {
    let best = -1, bestAxis = 0, bestWorld = 0;
    for (let a = 0; a < 3; a++) {
      if (codes[a] !== null) continue;
      for (let w = 0; w < 3; w++) {
        if (usedWorld.has(w)) continue;
        const v = Math.abs(cols[a]![w]!);
        if (v > best) [best, bestAxis, bestWorld] = [v, a, w];
      }
    }
    usedWorld.add(bestWorld);
    codes[bestAxis] = cols[bestAxis]![bestWorld]! >= 0 ? POSITIVE[bestWorld]! : NEGATIVE[bestWorld]!;
  }
  return codes as [AxisCode, AxisCode, AxisCode];
}

/** World position (mm, in the affine's space) of a voxel coordinate (may be fractional, e.g. a centroid). */
export function voxelToWorld(affine: Affine, voxel: readonly [number, number, number]): [number, number, number] {
  const out: number[] = [];
  for (let r = 0; r < 3; r++) out.push(affine[r]![0]! * voxel[0] + affine[r]![1]! * voxel[1] + affine[r]![2]! * voxel[2] + affine[r]![3]!);
  return out as [number, number, number];
}

/**
 * How slices are cut from a volume:
 * - `'radiological'` (default): axial slices (along the voxel axis closest to Superior–Inferior),
 *   columns toward the patient's Left, rows toward Posterior, whatever the storage order;
 * - `'stored'`: slices along z as stored, x as columns and y as rows.
 */
export type SliceOrientation = 'radiological' | 'stored';

/** The mapping between a volume's voxels and its 2D slices. */
export interface SliceLayout {
  orientation: SliceOrientation;
  /** The volume's orientation codes (see {@link orientationCodes}). */
  codes: string;
  /** Voxel axis (0 = x, 1 = y, 2 = z) along which slices are taken; slice s is voxel coordinate s on it. */
  sliceAxis: 0 | 1 | 2;
  /** Voxel axis that runs along the slice's columns / rows, and whether it runs backwards there. */
  columnAxis: 0 | 1 | 2;
  rowAxis: 0 | 1 | 2;
  flipColumns: boolean;
  flipRows: boolean;
  /** Slice size and number of slices. */
  width: number;
  height: number;
  depth: number;
  /** Voxel index of slice pixel (column c, row r) in slice s: `s * sliceStride + rowStarts[r] + c * columnStep`. */
  sliceStride: number;
  rowStarts: Int32Array;
  /** ±1 when slice rows run along x (whole rows then copy as runs), else ±(a y or z stride). */
  columnStep: number;
}

/** Builds the {@link SliceLayout} of a volume of `dims` with `affine`. */
export function sliceLayout(geometry: { dims: readonly [number, number, number]; affine: Affine }, orientation: SliceOrientation = 'radiological'): SliceLayout {
  const { dims, affine } = geometry;
  const codes = orientationCodes(affine);
  const strides = [1, dims[0], dims[0] * dims[1]];
  let sliceAxis: 0 | 1 | 2 = 2, columnAxis: 0 | 1 | 2 = 0, rowAxis: 0 | 1 | 2 = 1;
  let flipColumns = false, flipRows = false;
  if (orientation === 'radiological') {
    const find = (a: AxisCode, b: AxisCode) => codes.findIndex((c) => c === a || c === b) as 0 | 1 | 2;
    sliceAxis = find('S', 'I');
    columnAxis = find('R', 'L');
    rowAxis = find('A', 'P');
    flipColumns = codes[columnAxis] === 'R';
    flipRows = codes[rowAxis] === 'A';
  }
  const width = dims[columnAxis], height = dims[rowAxis];
  const columnStride = strides[columnAxis]!;
  const rowStarts = new Int32Array(height);
  for (let r = 0; r < height; r++) {
    rowStarts[r] = (flipRows ? height - 1 - r : r) * strides[rowAxis]! + (flipColumns ? (width - 1) * columnStride : 0);
  }
  return {
    orientation, codes: codes.join(''), sliceAxis, columnAxis, rowAxis, flipColumns, flipRows,
    width, height, depth: dims[sliceAxis], sliceStride: strides[sliceAxis]!, rowStarts,
    columnStep: flipColumns ? -columnStride : columnStride,
  };
}

/** Copies slice `s` of `volume` (any typed array in the volume's voxel order) out, row-major. */
export function extractSlice<T extends PixelArray>(volume: T, layout: SliceLayout, s: number, out?: T): T {
  const { width, height, rowStarts, columnStep } = layout;
  const target = out ?? (new (volume.constructor as new (n: number) => T)(width * height));
  const base = s * layout.sliceStride;
  const runs = columnStep === 1 && target.constructor === volume.constructor;
  for (let r = 0, o = 0; r < height; r++, o += width) {
    const start = base + rowStarts[r]!;
    if (runs) target.set(volume.subarray(start, start + width), o);
    else for (let c = 0, i = start; c < width; c++, i += columnStep) target[o + c] = volume[i]!;
  }
  return target;
}

/** Writes a row-major slice back into slice `s` of `volume` (the inverse of {@link extractSlice}). */
export function insertSlice<T extends PixelArray>(volume: T, layout: SliceLayout, s: number, slice: ArrayLike<number>): void {
  const { width, height, rowStarts, columnStep } = layout;
  const base = s * layout.sliceStride;
  const runs = columnStep === 1 && slice.constructor === volume.constructor;
  for (let r = 0, o = 0; r < height; r++, o += width) {
    const start = base + rowStarts[r]!;
    if (runs) volume.set((slice as T).subarray(o, o + width), start);
    else for (let c = 0, i = start; c < width; c++, i += columnStep) volume[i] = slice[o + c]!;
  }
}
