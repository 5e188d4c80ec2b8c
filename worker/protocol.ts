/**
 * The contract between the main thread and the worker: what `worker.ts` exposes with Comlink and
 * what `client.ts` calls. Everything here crosses `postMessage`, so it is structured-clonable:
 * no functions (progress goes through a `Comlink.proxy`), no `URL` objects, no DOM elements.
 */
import type { ProxyMarked } from 'comlink';
import type { BackendReport } from '../src/backends/select.js';
import type { TvunetErrorCode } from '../src/errors.js';
import type { LoadProgress } from '../src/io/load.js';
import type { EncodedModel, LoadedModel, ModelManifest } from '../src/io/manifest.js';
import type { RawSlice } from '../src/preprocess/input.js';
import type { SegmenterOptions, SegmentOptions } from '../src/segmenter/options.js';
import type { SegmentationResult } from '../src/segmenter/result.js';
import type { ReadVolumeOptions, VolumeFile } from '../src/volume/read.js';
import type { Volume } from '../src/volume/volume.js';

/** A model the worker can receive: a URL string (absolute, or a path in Node), bytes, or decoded weights. */
export type WorkerModelSource = string | EncodedModel | LoadedModel;

/** `SegmenterOptions` minus what cannot cross threads (`onProgress` is passed separately). */
export interface WorkerInitOptions extends Omit<SegmenterOptions, 'model' | 'onProgress'> {
  model?: WorkerModelSource;
}

/** What the worker reports once its segmenter is ready. */
export interface WorkerInitResult {
  manifest: ModelManifest;
  backend: BackendReport;
}

/** Inputs that survive structured cloning. Elements and canvases are turned into ImageBitmaps by the client. */
export type WorkerSegmentInput = RawSlice | ImageData | ImageBitmap;

export type ProgressCallback = (p: LoadProgress) => void;

/** The object the worker exposes. Errors come back as {@link WireError} and are rethrown by the client. */
export interface WorkerApi {
  /** Creates the segmenter (closing an earlier one). `onProgress` must be a `Comlink.proxy`. */
  init(options: WorkerInitOptions, onProgress?: ProgressCallback & ProxyMarked): Promise<WorkerInitResult>;
  /** Segments one slice; the result's typed arrays are transferred, not copied. */
  segment(input: WorkerSegmentInput, options?: SegmentOptions): Promise<SegmentationResult>;
  /**
   * Reads a NIfTI file or a DICOM series in the worker (no segmenter needed); the volume's voxels
   * are transferred back. Bad files reject with 'DECODE' / 'INVALID_INPUT'; the worker stays usable.
   */
  readVolume(files: VolumeFile[], options?: ReadVolumeOptions): Promise<Volume>;
  /** Frees the weights; the worker stays alive and can be `init`ed again. */
  close(): void;
}

/** A thrown error as it crosses the thread boundary (Comlink would keep only name and message). */
export interface WireError {
  readonly __tvunetWireError: 1;
  name: string;
  message: string;
  /** Present for TvunetErrors. */
  code?: TvunetErrorCode;
  stack?: string;
}
