/** Shape of binary masks and its validation, shared by post-processing and metrics. */
import { TvunetError } from '../errors.js';

/**
 * Size of a row-major mask: pixel (x, y) of a 2D mask is at `x + width * y`, voxel (x, y, z) of a
 * 3D volume at `x + width * (y + height * z)`. The mask is 3D exactly when `depth` is given (even
 * `depth: 1`): that decides which connectivities apply and whether the first and last slice count
 * as image border.
 */
export interface MaskDims {
  readonly width: number;
  readonly height: number;
  readonly depth?: number;
}

/** {@link MaskDims} after validation, with `depth` 1 for 2D masks. */
export interface Grid {
  readonly width: number;
  readonly height: number;
  readonly depth: number;
  readonly is3D: boolean;
}

function checkPositiveInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new TvunetError('INVALID_INPUT', `${name} must be a positive integer, got ${value}`);
  }
}

/** Throws INVALID_INPUT unless `mask` is a Uint8Array; `name` is used in the message. */
export function checkMaskArray(mask: unknown, name: string): asserts mask is Uint8Array {
  if (!(mask instanceof Uint8Array)) {
    throw new TvunetError('INVALID_INPUT', `${name} must be a Uint8Array`);
  }
}

/**
 * Validates `dims` against a mask of `length` elements and returns the grid it describes.
 * Throws INVALID_INPUT on non-positive or fractional sizes or when the sizes' product is not `length`.
 */
export function gridOf(dims: MaskDims, length: number, name = 'mask'): Grid {
  checkPositiveInteger(dims.width, 'width');
  checkPositiveInteger(dims.height, 'height');
  const is3D = dims.depth !== undefined;
  const depth = dims.depth ?? 1;
  checkPositiveInteger(depth, 'depth');
  const size = dims.width * dims.height * depth;
  if (size !== length) {
    const shape = is3D ? `${dims.width}x${dims.height}x${depth}` : `${dims.width}x${dims.height}`;
    throw new TvunetError('INVALID_INPUT', `${name} has ${length} elements but dims ${shape} need ${size}`);
  }
  return { width: dims.width, height: dims.height, depth, is3D };
}

/** Validates a mask and its dims in one go; see {@link gridOf}. */
export function checkMask(mask: Uint8Array, dims: MaskDims, name = 'mask'): Grid {
  checkMaskArray(mask, name);
  return gridOf(dims, mask.length, name);
}
