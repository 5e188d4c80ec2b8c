import type { BackendReport } from '../backends/select.js';

export interface ClassSegmentation {
  /** Class name from the model's manifest, e.g. 'infection'. */
  name: string;
  /** Threshold applied to `probabilities` to make `mask`. */
  threshold: number;
  /** Per-pixel probability in [0, 1], row-major at the input's width × height. */
  probabilities: Float32Array;
  /** 1 where the (post-processed) probability ≥ threshold, else 0; same layout. */
  mask: Uint8Array;
}

/**
 * The result of one `segment()` call. Every array is freshly allocated and belongs to the
 * caller: it stays valid after later calls and after `close()`, and may be transferred.
 */
export interface SegmentationResult {
  width: number;
  height: number;
  classes: ClassSegmentation[];
  timings: { preprocessMs: number; inferenceMs: number; postprocessMs: number };
  backend: BackendReport;
}
