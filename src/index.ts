/** tvunet: TV-UNet COVID-19 lung-infection segmentation of chest CT, in browsers, workers and Node. */
import { memory } from '@tensorflow/tfjs-core';

export { Segmenter } from './segmenter/segmenter.js';
export type { ModelSource, PostprocessOptions, SegmenterOptions, SegmentOptions } from './segmenter/options.js';
export type { ClassSegmentation, SegmentationResult } from './segmenter/result.js';
export { DEFAULT_MODEL_URL } from './segmenter/model-source.js';
export type { BrowserImageSource, DisplaySlice, PixelArray, RawSlice, SegmentInput } from './preprocess/input.js';
export { DEFAULT_HU_WINDOW, standardizeInPlace, windowHounsfield } from './preprocess/normalize.js';
export { resizeBilinear, resizeNearest } from './preprocess/resize.js';
export { BACKEND_REQUESTS, type BackendName, type BackendReport, type BackendRequest, type BackendOptions } from './backends/select.js';
export { TvunetError, isTvunetError, type TvunetErrorCode } from './errors.js';
export * from './model/index.js';
export * from './io/index.js';
export * from './postprocess/index.js';
export * from './metrics/index.js';

/** Live tfjs tensors in this thread (for leak checks: it must not grow across `segment()` calls). */
export function tensorCount(): number {
  return memory().numTensors;
}
