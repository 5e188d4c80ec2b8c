/**
 * Component-level clean-up of binary masks (2D or 3D, see {@link MaskDims}). Every function
 * leaves its input alone and returns a new 0/1 Uint8Array that belongs to the caller; non-zero
 * input values count as foreground. Foreground connectivity defaults to the full neighbourhood
 * (8 in 2D, 26 in 3D), background connectivity for hole filling to the face neighbourhood (4, 6),
 * so the two are topologically complementary.
 */
import { TvunetError } from '../errors.js';
import { boxGrid, cropToBox, foregroundBox, pasteBox, type Box } from './box.js';
import { labelForeground, labelGrid, labelSizes, reachOf, type Connectivity, type Connectivity2D, type Reach } from './components.js';
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
  const { image, box } = labelForeground(mask, grid, reachOf(connectivity, grid, 3));
  const sizes = labelSizes(image);
  const keep = new Uint8Array(image.count + 1);
  for (let l = 1; l <= image.count; l++) keep[l] = sizes[l]! >= minSize ? 1 : 0;
  return selectLabels(image.labels, keep, grid, box);
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
  const { image, box } = labelForeground(mask, grid, reachOf(connectivity, grid, 3));
  const sizes = labelSizes(image);
  const ranked = Array.from({ length: image.count }, (_, i) => i + 1);
  ranked.sort((a, b) => sizes[b]! - sizes[a]! || a - b);
  const keep = new Uint8Array(image.count + 1);
  for (const label of ranked.slice(0, k)) keep[label] = 1;
  return selectLabels(image.labels, keep, grid, box);
}

/** A full-grid mask, 1 where `keep[labels[i]]` is set; `labels` cover `box` (null: nothing). */
function selectLabels(labels: Int32Array, keep: Uint8Array, grid: Grid, box: Box | null): Uint8Array {
  const out = new Uint8Array(grid.width * grid.height * grid.depth);
  if (!box) return out;
  const kept = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) kept[i] = keep[labels[i]!]!;
  pasteBox(out, grid, box, kept);
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
  const background = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) background[i] = mask[i] === 0 ? 1 : 0;
  const image = labelGrid(background, grid, reach);
  const open = new Uint8Array(image.count + 1);
  const { width, height, depth, is3D } = grid;
  let i = 0;
  for (let z = 0; z < depth; z++) {
    const zBorder = is3D && (z === 0 || z === depth - 1);
    for (let y = 0; y < height; y++) {
      const rowBorder = zBorder || y === 0 || y === height - 1;
      for (let x = 0; x < width; x++, i++) {
        if (rowBorder || x === 0 || x === width - 1) open[image.labels[i]!] = 1;
      }
    }
  }
  // Foreground pixels carry background label 0, which may be flagged open; they stay foreground.
  const out = new Uint8Array(mask.length);
  for (let j = 0; j < mask.length; j++) out[j] = mask[j] !== 0 || open[image.labels[j]!] === 0 ? 1 : 0;
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
