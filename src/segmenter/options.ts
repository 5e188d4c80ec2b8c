import type { BackendRequest } from '../backends/select.js';
import type { LoadProgress } from '../io/load.js';
import type { EncodedModel, LoadedModel } from '../io/manifest.js';

/**
 * Where the weights come from:
 * - a URL (string or URL) of a `model.json` or of its folder (ending in '/'); in Node a file
 *   path or `file:` URL;
 * - bytes in memory, `{ manifest, shards }` (e.g. from a bundler's asset import);
 * - an already decoded model, `{ manifest, weights }`.
 * Omitted: the default model shipped in the package.
 */
export type ModelSource = string | URL | EncodedModel | LoadedModel;

/** Connectivity-aware clean-up applied to every class mask after thresholding. */
export interface PostprocessOptions {
  /** Remove connected regions smaller than this many pixels (at the input's size). 0 keeps all. */
  minRegionPixels?: number;
  /** Fill background holes enclosed by a region. */
  fillHoles?: boolean;
  /** 4- or 8-connectivity for both (default 8). */
  connectivity?: 4 | 8;
}

export interface SegmenterOptions {
  model?: ModelSource;
  /** 'auto' (default): WebGPU on a hardware adapter, else WASM, else CPU. */
  backend?: BackendRequest;
  /** Where the `.wasm` files are served; defaults to beside the bundle (see BackendOptions). */
  wasmPaths?: string | Record<string, string>;
  /** One threshold for all classes, or per class name; default: the manifest's recommendation. */
  threshold?: number | Record<string, number>;
  postprocess?: PostprocessOptions;
  /** Download progress of the weights (URL sources only). */
  onProgress?: (p: LoadProgress) => void;
  /** Cache downloaded weights with the Cache API in browsers (default true). */
  cache?: boolean;
}

/** Per-call overrides. */
export interface SegmentOptions {
  threshold?: number | Record<string, number>;
  postprocess?: PostprocessOptions;
}
