/**
 * Bounding boxes of foreground, and copying masks to and from them. Lesions and lungs fill a
 * small part of a CT volume, so the component passes label the box around the foreground rather
 * than the whole grid: the same components, a fraction of the work and memory.
 * @internal
 */
import type { Grid } from './dims.js';

/** Inclusive voxel bounds, [x, y, z]. */
export interface Box {
  readonly min: readonly [number, number, number];
  readonly max: readonly [number, number, number];
}

/**
 * The smallest box holding every non-zero voxel of all `masks` (same grid), grown by `margin`
 * voxels on each side and clipped to the grid; null when all are empty.
 */
export function foregroundBox(masks: readonly Uint8Array[], grid: Grid, margin = 0): Box | null {
  const { width, height, depth } = grid;
  let x0 = width, y0 = height, z0 = depth, x1 = -1, y1 = -1, z1 = -1;
  for (const mask of masks) {
    // Rows of whole 32-bit words are scanned four voxels at a time (little-endian: the first voxel
    // is the low byte).
    const words = width % 4 === 0 && mask.byteOffset % 4 === 0 ? new Uint32Array(mask.buffer, mask.byteOffset, mask.length / 4) : null;
    const rowWords = width / 4;
    for (let z = 0, row = 0; z < depth; z++) {
      for (let y = 0; y < height; y++, row++) {
        const offset = row * width;
        let first = -1, last = -1;
        if (words) {
          const w0 = row * rowWords, w1 = w0 + rowWords;
          let k = w0;
          while (k < w1 && words[k] === 0) k++;
          if (k === w1) continue;
          first = 4 * (k - w0) + ((31 - Math.clz32(words[k]! & -words[k]!)) >> 3);
          k = w1 - 1;
          while (words[k] === 0) k--;
          last = 4 * (k - w0) + 3 - (Math.clz32(words[k]!) >> 3);
        } else {
          let x = 0;
          while (x < width && mask[offset + x] === 0) x++;
          if (x === width) continue;
          first = x;
          x = width - 1;
          while (mask[offset + x] === 0) x--;
          last = x;
        }
        if (first < x0) x0 = first;
        if (last > x1) x1 = last;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
        if (z < z0) z0 = z;
        if (z > z1) z1 = z;
      }
    }
  }
  if (x1 < 0) return null;
  return {
    min: [Math.max(0, x0 - margin), Math.max(0, y0 - margin), Math.max(0, z0 - margin)],
    max: [Math.min(width - 1, x1 + margin), Math.min(height - 1, y1 + margin), Math.min(depth - 1, z1 + margin)],
  };
}

/** The grid of a box (same dimensionality as `grid`). */
export function boxGrid(box: Box, grid: Grid): Grid {
  return {
    width: box.max[0] - box.min[0] + 1,
    height: box.max[1] - box.min[1] + 1,
    depth: box.max[2] - box.min[2] + 1,
    is3D: grid.is3D,
  };
}

/** Copies the voxels of `box` out of `data` (on `grid`), row-major in the box. */
export function cropToBox<T extends Uint8Array | Int32Array>(data: T, grid: Grid, box: Box): T {
  const inner = boxGrid(box, grid);
  const out = new (data.constructor as new (n: number) => T)(inner.width * inner.height * inner.depth);
  forEachBoxRow(grid, box, (start, o) => out.set(data.subarray(start, start + inner.width), o));
  return out;
}

/** Writes `cropped` (row-major in `box`) into the voxels of `box` in `target` (on `grid`). */
export function pasteBox<T extends Uint8Array | Int32Array>(target: T, grid: Grid, box: Box, cropped: T): void {
  const rowLength = box.max[0] - box.min[0] + 1;
  forEachBoxRow(grid, box, (start, o) => target.set(cropped.subarray(o, o + rowLength), start));
}

/** Calls `row(start in grid, start in the box)` for every row of `box`. */
function forEachBoxRow(grid: Grid, box: Box, row: (gridStart: number, boxStart: number) => void): void {
  const rowLength = box.max[0] - box.min[0] + 1;
  let o = 0;
  for (let z = box.min[2]; z <= box.max[2]; z++) {
    for (let y = box.min[1]; y <= box.max[1]; y++, o += rowLength) row(box.min[0] + grid.width * (y + grid.height * z), o);
  }
}
