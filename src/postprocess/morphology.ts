/**
 * Component-level clean-up of binary masks (2D or 3D, see {@link MaskDims}). Every function
 * leaves its input alone and returns a new 0/1 Uint8Array that belongs to the caller; non-zero
 * input values count as foreground. Foreground connectivity defaults to the full neighbourhood
 * (8 in 2D, 26 in 3D), background connectivity for hole filling to the face neighbourhood (4, 6),
 * so the two are topologically complementary.
 */
import { TvunetError } from '../errors.js';
import { boxGrid, cropToBox, foregroundBox, pasteBox, type Box } from './box.js';
import { labelForeground, reachOf, type Connectivity, type Connectivity2D, type Reach } from './components.js';
import { forEachRun, labelRuns, paintKept, runLabelSizes, type RunLabels } from './runs.js';
import { checkMask, checkMaskArray, type Grid, type MaskDims } from './dims.js';

/**
 * Removes foreground components with fewer than `minSize` pixels/voxels; components of exactly
 * `minSize` stay (as skimage.morphology.remove_small_objects with `min_size = minSize`).
 *
 * @param minSize finite and ≥ 0; 0 and 1 keep everything.
 * @param connectivity foreground connectivity, default 8 (2D) / 26 (3D).
 * @returns new 0/1 mask, owned by the caller.
 */
export function removeSmallComponents(
  mask: Uint8Array, dims: MaskDims, minSize: number, connectivity?: Connectivity,
): Uint8Array {
  const grid = checkMask(mask, dims);
  if (!Number.isFinite(minSize) || minSize < 0) {
    throw new TvunetError('INVALID_OPTIONS', `minSize must be a finite number >= 0, got ${minSize}`);
  }
  const { runs, box } = labelForeground(mask, grid, reachOf(connectivity, grid, 3));
  const sizes = runLabelSizes(runs);
  const keep = new Uint8Array(runs.count + 1);
  for (let l = 1; l <= runs.count; l++) keep[l] = sizes[l]! >= minSize ? 1 : 0;
  return selectLabels(runs, keep, grid, box);
}

/**
 * Keeps the `k` largest foreground components. Equal sizes are ranked by raster order of their
 * first pixel (earlier wins), so the result is deterministic.
 *
 * @param k integer ≥ 0; 0 gives an empty mask, k ≥ number of components keeps all.
 * @param connectivity foreground connectivity, default 8 (2D) / 26 (3D).
 * @returns new 0/1 mask, owned by the caller.
 */
export function keepLargestComponents(
  mask: Uint8Array, dims: MaskDims, k: number, connectivity?: Connectivity,
): Uint8Array {
  const grid = checkMask(mask, dims);
  if (!Number.isInteger(k) || k < 0) {
    throw new TvunetError('INVALID_OPTIONS', `k must be an integer >= 0, got ${k}`);
  }
  const { runs, box } = labelForeground(mask, grid, reachOf(connectivity, grid, 3));
  const sizes = runLabelSizes(runs);
  const ranked = Array.from({ length: runs.count }, (_, i) => i + 1);
  ranked.sort((a, b) => sizes[b]! - sizes[a]! || a - b);
  const keep = new Uint8Array(runs.count + 1);
  for (const label of ranked.slice(0, k)) keep[label] = 1;
  return selectLabels(runs, keep, grid, box);
}

/** A full-grid 0/1 mask of the runs (of `box`, null: none) whose label `keep` sets. */
function selectLabels(runs: RunLabels, keep: Uint8Array, grid: Grid, box: Box | null): Uint8Array {
  const out = new Uint8Array(grid.width * grid.height * grid.depth);
  if (box) pasteBox(out, grid, box, paintKept(runs, keep));
  return out;
}

/**
 * Fills the holes of `mask` in its full dimensionality: background regions that do not touch the
 * image border become foreground. For a 3D mask the border includes the first and last slice, so a
 * cavity closed in every axial slice but open through the volume is a hole in none of them here
 * (use {@link fillHolesSliceWise} for per-slice filling). With the default connectivity this is
 * scipy.ndimage.binary_fill_holes (its default cross structuring element).
 *
 * @param connectivity background connectivity, default 4 (2D) / 6 (3D); 8 / 26 correspond to
 *   binary_fill_holes with a full 3^n structure.
 * @returns new 0/1 mask ⊇ mask, owned by the caller.
 */
export function fillHoles(mask: Uint8Array, dims: MaskDims, connectivity?: Connectivity): Uint8Array {
  const grid = checkMask(mask, dims);
  const reach = reachOf(connectivity, grid, 1);
  // Background outside the foreground's box is one region open to the border, and the 1-voxel
  // margin joins it to every background region that reaches the box's sides: holes are found
  // inside the box alone.
  const box = foregroundBox([mask], grid, 1);
  const out = new Uint8Array(mask.length);
  if (box) pasteBox(out, grid, box, fillGridHoles(cropToBox(mask, grid, box), boxGrid(box, grid), reach));
  return out;
}

/**
 * Fills holes in every axial slice separately (2D hole filling of each `width x height` slice;
 * slice z is `mask.subarray(z * width * height, (z + 1) * width * height)`). Fills more than
 * {@link fillHoles} on a volume: a region enclosed within its slice is filled even when it
 * connects to the outside through neighbouring slices. A 2D mask is treated as one slice.
 *
 * @param connectivity in-slice background connectivity, 4 (default) or 8.
 * @returns new 0/1 mask ⊇ mask, owned by the caller.
 */
export function fillHolesSliceWise(mask: Uint8Array, dims: MaskDims, connectivity?: Connectivity2D): Uint8Array {
  const grid = checkMask(mask, dims);
  const slice: Grid = { width: grid.width, height: grid.height, depth: 1, is3D: false };
  const reach = reachOf(connectivity, slice, 1);
  const area = grid.width * grid.height;
  const out = new Uint8Array(mask.length);
  for (let z = 0; z < grid.depth; z++) {
    out.set(fillGridHoles(mask.subarray(z * area, (z + 1) * area), slice, reach), z * area);
  }
  return out;
}

/** Labels the background and fills every background component that touches no border of `grid`. */
function fillGridHoles(mask: Uint8Array, grid: Grid, reach: Reach): Uint8Array {
  const runs = labelRuns(mask, grid, reach, true);
  const { width, height, depth, is3D } = grid;
  const open = new Uint8Array(runs.count + 1);
  for (let k = 0; k < runs.runs; k++) {
    const y = runs.row[k]! % height, z = Math.floor(runs.row[k]! / height);
    const border = runs.start[k] === 0 || runs.end[k] === width - 1 || y === 0 || y === height - 1 || (is3D && (z === 0 || z === depth - 1));
    if (border) open[runs.label[k]!] = 1;
  }
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) out[i] = mask[i] !== 0 ? 1 : 0;
  forEachRun(runs, (k, from, to) => {
    if (open[runs.label[k]!] === 0) out.fill(1, from, to);
  });
  return out;
}

/**
 * Keeps foreground only where `allowed` is non-zero too (e.g. infection restricted to a lung
 * mask). Both arrays must have the same length; neither is modified.
 *
 * @returns new 0/1 mask, owned by the caller.
 */
export function restrictToMask(mask: Uint8Array, allowed: Uint8Array): Uint8Array {
  checkMaskArray(mask, 'mask');
  checkMaskArray(allowed, 'allowed');
  if (mask.length !== allowed.length) {
    throw new TvunetError('INVALID_INPUT', `mask has ${mask.length} elements but allowed has ${allowed.length}`);
  }
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) out[i] = mask[i] !== 0 && allowed[i] !== 0 ? 1 : 0;
  return out;
}
