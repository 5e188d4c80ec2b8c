/**
 * tvunet/worker: segmentation off the main thread. `createWorkerSegmenter` starts
 * `tvunet.worker.js` (or a worker you pass) and returns a Segmenter-like handle.
 */
export { createWorkerSegmenter, type WorkerSegmenter, type WorkerSegmenterOptions, type WorkerSegmentOptions } from './client.js';
export type { NodeWorkerLike, WorkerLike } from './connection.js';
export { createWorkerPool, type WorkerPool, type WorkerPoolOptions } from './pool.js';
export type { ProgressCallback, WireError, WorkerApi, WorkerInitOptions, WorkerInitResult, WorkerModelSource, WorkerSegmentInput } from './protocol.js';
export { TvunetError, isTvunetError, type TvunetErrorCode } from '../src/errors.js';
export type { BackendReport, BackendRequest } from '../src/backends/select.js';
export type { ClassSegmentation, SegmentationResult } from '../src/segmenter/result.js';
export type { PostprocessOptions, SegmentOptions } from '../src/segmenter/options.js';
export type { SegmentInput, RawSlice } from '../src/preprocess/input.js';
export type { EncodedModel, LoadedModel, ModelManifest } from '../src/io/manifest.js';
export type { LoadProgress } from '../src/io/load.js';
export type { ReadVolumeOptions, VolumeFile } from '../src/volume/read.js';
export type { Volume } from '../src/volume/volume.js';
