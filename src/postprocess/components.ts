/**
 * Connected-component labelling of binary masks (2D and 3D), with per-component size, bounding box
 * and centroid. The labelling itself is run-based (./runs.ts) and confined to the bounding box of
 * the foreground (./box.ts): a 512 x 512 x 300 mask labels in one to two seconds on one core
 * (BENCHMARKS.md); the per-component stats objects are the one per-component allocation.
 */
import { TvunetError } from '../errors.js';
import { boxGrid, cropToBox, foregroundBox, pasteBox, type Box } from './box.js';
import { labelRuns, paintLabels, type Reach, type RunLabels } from './runs.js';
import { checkMask, type Grid } from './dims.js';

/** 2D pixel connectivity: 4 = pixels sharing an edge, 8 = also diagonal pixels. */
export type Connectivity2D = 4 | 8;
/** 3D voxel connectivity: 6 = sharing a face, 18 = also an edge, 26 = also a corner. */
export type Connectivity3D = 6 | 18 | 26;
/** 2D connectivities apply to masks without `depth`, 3D ones to masks with it. */
export type Connectivity = Connectivity2D | Connectivity3D;

export type { Reach } from './runs.js';

/**
 * The reach of `connectivity` on `grid`, or INVALID_OPTIONS when it does not fit the grid's
 * dimensionality. `undefined` selects `fallback`.
 * @internal
 */
export function reachOf(connectivity: Connectivity | undefined, grid: Grid, fallback: Reach): Reach {
  if (connectivity === undefined) return fallback;
  if (grid.is3D) {
    if (connectivity === 6) return 1;
    if (connectivity === 18) return 2;
    if (connectivity === 26) return 3;
    throw new TvunetError('INVALID_OPTIONS', `3D connectivity must be 6, 18 or 26, got ${connectivity}`);
  }
  if (connectivity === 4) return 1;
  if (connectivity === 8) return 3;
  throw new TvunetError('INVALID_OPTIONS', `2D connectivity must be 4 or 8, got ${connectivity}`);
}

/** Label image of a mask: 0 = background, 1..count = components. */
export interface LabelImage {
  /** New array, owned by the caller. */
  readonly labels: Int32Array;
  readonly count: number;
}

/** Runs of the foreground box of a mask (see ./box.ts), labelled. */
export interface BoxRuns {
  /** Runs on the box's grid; none when the mask is empty. */
  runs: RunLabels;
  /** null when the mask is empty. */
  box: Box | null;
}

/** Labels `mask` inside the bounding box of its foreground, the only place components are. @internal */
export function labelForeground(mask: Uint8Array, grid: Grid, reach: Reach): BoxRuns {
  const box = foregroundBox([mask], grid);
  if (!box) return { runs: labelRuns(new Uint8Array(0), { width: 0, height: 0, depth: 0, is3D: grid.is3D }, reach), box };
  return { runs: labelRuns(cropToBox(mask, grid, box), boxGrid(box, grid), reach), box };
}

/** A 2D connected component; coordinates are pixel indices (x = column, y = row). */
export interface Component2D {
  /** Value of the component's pixels in `labels`. */
  readonly label: number;
  /** Number of pixels. */
  readonly size: number;
  /** Inclusive bounding box. */
  readonly bbox: { readonly min: [number, number]; readonly max: [number, number] };
  /** Mean pixel coordinate. */
  readonly centroid: [number, number];
}

/** A 3D connected component; coordinates are voxel indices (x = column, y = row, z = slice). */
export interface Component3D {
  /** Value of the component's voxels in `labels`. */
  readonly label: number;
  /** Number of voxels. */
  readonly size: number;
  /** Inclusive bounding box. */
  readonly bbox: { readonly min: [number, number, number]; readonly max: [number, number, number] };
  /** Mean voxel coordinate. */
  readonly centroid: [number, number, number];
}

/** Result of {@link connectedComponents2D} / {@link connectedComponents3D}. */
export interface ComponentLabeling<C> extends LabelImage {
  /** One entry per component, `components[i].label === i + 1`. */
  readonly components: C[];
}

/** Size, inclusive bounding box and coordinate sums of every label, run by run; coordinates are offset by `origin`. */
function componentStats(r: RunLabels, origin: readonly [number, number, number]) {
  const n = r.count + 1;
  const size = new Float64Array(n);
  const perAxis = <T>(make: () => T) => [make(), make(), make()] as const;
  const sum = perAxis(() => new Float64Array(n));
  const min = perAxis(() => new Int32Array(n).fill(2 ** 31 - 1));
  const max = perAxis(() => new Int32Array(n).fill(-1));
  const { height } = r.grid;
  for (let k = 0; k < r.runs; k++) {
    const l = r.label[k]!;
    const x0 = r.start[k]! + origin[0], x1 = r.end[k]! + origin[0];
    const y = (r.row[k]! % height) + origin[1], z = Math.floor(r.row[k]! / height) + origin[2];
    const length = x1 - x0 + 1;
    size[l] = size[l]! + length;
    sum[0][l] = sum[0][l]! + ((x0 + x1) * length) / 2;
    sum[1][l] = sum[1][l]! + y * length;
    sum[2][l] = sum[2][l]! + z * length;
    if (x0 < min[0][l]!) min[0][l] = x0;
    if (x1 > max[0][l]!) max[0][l] = x1;
    if (y < min[1][l]!) min[1][l] = y;
    if (y > max[1][l]!) max[1][l] = y;
    if (z < min[2][l]!) min[2][l] = z;
    if (z > max[2][l]!) max[2][l] = z;
  }
  return { size, sum, min, max };
}

/**
 * Labels the runs of `cropped` (the voxels of `box` on `grid`, row-major in the box) and measures
 * its components in grid coordinates. @internal
 */
export function componentsInBox(cropped: Uint8Array, grid: Grid, box: Box, reach: Reach): { runs: RunLabels; components: Component3D[] } {
  const runs = labelRuns(cropped, boxGrid(box, grid), reach);
  const { size, sum, min, max } = componentStats(runs, box.min);
  const components: Component3D[] = [];
  for (let l = 1; l <= runs.count; l++) {
    const s = size[l]!;
    components.push({
      label: l,
      size: s,
      bbox: { min: [min[0][l]!, min[1][l]!, min[2][l]!], max: [max[0][l]!, max[1][l]!, max[2][l]!] },
      centroid: [sum[0][l]! / s, sum[1][l]! / s, sum[2][l]! / s],
    });
  }
  return { runs, components };
}

/** Labels in the foreground box, components in grid coordinates, labels pasted into a full-grid array. */
function labelWithComponents(mask: Uint8Array, grid: Grid, reach: Reach): ComponentLabeling<Component3D> {
  const labels = new Int32Array(mask.length);
  const box = foregroundBox([mask], grid);
  if (!box) return { labels, count: 0, components: [] };
  const { runs, components } = componentsInBox(cropToBox(mask, grid, box), grid, box, reach);
  pasteBox(labels, grid, box, paintLabels(runs));
  return { labels, count: runs.count, components };
}

/**
 * Labels the connected foreground (non-zero) pixels of a 2D mask.
 *
 * @param mask row-major, `width * height` pixels; not modified.
 * @param options.connectivity 8 (default: diagonal neighbours connect) or 4.
 * @returns labels (new Int32Array owned by the caller; 0 = background, components numbered 1..count
 *   in raster order of their first pixel, as skimage.measure.label), count and per-component stats.
 * @throws TvunetError INVALID_INPUT on a non-Uint8Array mask or wrong sizes, INVALID_OPTIONS on
 *   another connectivity.
 */
export function connectedComponents2D(
  mask: Uint8Array, width: number, height: number, options: { connectivity?: Connectivity2D } = {},
): ComponentLabeling<Component2D> {
  const grid = checkMask(mask, { width, height });
  const { labels, count, components } = labelWithComponents(mask, grid, reachOf(options.connectivity, grid, 3));
  return {
    labels,
    count,
    components: components.map((c) => ({
      label: c.label,
      size: c.size,
      bbox: { min: [c.bbox.min[0], c.bbox.min[1]], max: [c.bbox.max[0], c.bbox.max[1]] },
      centroid: [c.centroid[0], c.centroid[1]],
    })),
  };
}

/**
 * Labels the connected foreground (non-zero) voxels of a 3D volume.
 *
 * @param mask row-major, `width * height * depth` voxels, index `x + width * (y + height * z)`;
 *   not modified.
 * @param options.connectivity 26 (default), 18 or 6.
 * @returns labels (new Int32Array owned by the caller; 0 = background, components numbered 1..count
 *   in raster order of their first voxel, as skimage.measure.label), count and per-component stats.
 * @throws TvunetError INVALID_INPUT on a non-Uint8Array mask or wrong sizes, INVALID_OPTIONS on
 *   another connectivity.
 */
export function connectedComponents3D(
  mask: Uint8Array, width: number, height: number, depth: number,
  options: { connectivity?: Connectivity3D } = {},
): ComponentLabeling<Component3D> {
  const grid = checkMask(mask, { width, height, depth });
  return labelWithComponents(mask, grid, reachOf(options.connectivity, grid, 3));
}

/**
 * Physical volume of components in millilitres: voxel count x voxel volume (mm³) / 1000.
 *
 * @param components anything with a voxel `size`, e.g. {@link Component3D}s.
 * @param spacingMm voxel size in mm along x (column), y (row) and z (slice); each finite and > 0.
 * @returns one volume per component, in order; new array, owned by the caller.
 */
export function componentVolumesMl(
  components: readonly { readonly size: number }[], spacingMm: readonly [number, number, number],
): Float64Array {
  if (spacingMm.length !== 3 || !spacingMm.every((s) => Number.isFinite(s) && s > 0)) {
    throw new TvunetError('INVALID_INPUT', `spacingMm must be three finite positive numbers, got [${spacingMm.join(', ')}]`);
  }
  const voxelMl = (spacingMm[0] * spacingMm[1] * spacingMm[2]) / 1000;
  return Float64Array.from(components, (c) => c.size * voxelMl);
}
