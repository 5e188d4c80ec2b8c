/**
 * Main-thread side: `createWorkerSegmenter` starts a worker, creates the segmenter inside it and
 * returns a handle whose `segment()` posts slices to it.
 */
import { proxy, transfer, wrap, type Remote } from 'comlink';
import { TvunetError } from '../src/errors.js';
import type { BackendReport } from '../src/backends/select.js';
import type { EncodedModel, LoadedModel, ModelManifest } from '../src/io/manifest.js';
import type { SegmentInput } from '../src/preprocess/input.js';
import type { SegmenterOptions, SegmentOptions } from '../src/segmenter/options.js';
import type { SegmentationResult } from '../src/segmenter/result.js';
import type { ReadVolumeOptions, VolumeFile } from '../src/volume/read.js';
import type { Volume } from '../src/volume/volume.js';
import { Connection, type WorkerLike } from './connection.js';
import { inNode, startWorker } from './default-worker.js';
import type { WorkerApi, WorkerInitOptions, WorkerModelSource, WorkerSegmentInput } from './protocol.js';
import { inputTransferables } from './transfer.js';

export interface WorkerSegmenterOptions extends Omit<SegmenterOptions, 'model'> {
  /**
   * As for `Segmenter.create`. A relative URL is resolved against the page (not the worker);
   * bytes and decoded weights are copied to the worker.
   */
  model?: string | URL | EncodedModel | LoadedModel;
  /** Where the worker bundle is served (default: `tvunet.worker.js` beside this module). */
  workerUrl?: string | URL;
  /**
   * A worker already started on a tvunet worker entry (browser `Worker`, or Node
   * `worker_threads.Worker` on `tvunet-worker-node.mjs`). It is owned from then on: `close()`
   * and a failed creation terminate it.
   */
  worker?: WorkerLike;
}

export interface WorkerSegmentOptions extends SegmentOptions {
  /**
   * Hand the input's pixel buffer (or ImageBitmap) to the worker instead of copying it. Faster
   * for big slices, but the caller's array is DETACHED afterwards (length 0), together with every
   * other view on the same ArrayBuffer; an ImageBitmap is closed.
   */
  transfer?: boolean;
}

/** A Segmenter running in a worker. */
export interface WorkerSegmenter {
  readonly manifest: ModelManifest;
  readonly backend: BackendReport;
  /**
   * Segments one slice in the worker. Same inputs and result as `Segmenter.segment`; images,
   * canvases and bitmaps are sent as ImageBitmaps. Rejects with 'INVALID_INPUT' for bad input
   * (the worker stays usable), 'WORKER' if the worker dies meanwhile, 'CLOSED' after close().
   */
  segment(input: SegmentInput, options?: WorkerSegmentOptions): Promise<SegmentationResult>;
  /**
   * Reads a NIfTI file (`.nii`, `.nii.gz`) or the files of a DICOM series in the worker, like
   * `readVolume`; the bytes are copied there and the voxels come back transferred. Bad files
   * reject with 'DECODE' or 'INVALID_INPUT' and the worker stays usable.
   */
  readVolume(files: VolumeFile | VolumeFile[], options?: ReadVolumeOptions): Promise<Volume>;
  /** Terminates the worker; pending calls reject with 'WORKER'. Calling it twice is harmless. */
  close(): Promise<void>;
}

function pageBase(): string | undefined {
  if (inNode) return undefined; // a path or URL string is passed as is; the thread shares the cwd
  return (globalThis as { document?: { baseURI?: string } }).document?.baseURI ?? (globalThis as { location?: { href?: string } }).location?.href;
}

/** URL objects cannot be cloned, and relative URLs must mean the page's location, not the worker's. */
function modelForWorker(model: WorkerSegmenterOptions['model']): WorkerModelSource | undefined {
  if (model instanceof URL) return model.href;
  if (typeof model === 'string') {
    const base = pageBase();
    if (base === undefined) return model;
    try {
      return new URL(model, base).href;
    } catch {
      return model; // left for the worker to reject with the usual message
    }
  }
  return model;
}

function isDrawable(x: unknown): x is ImageBitmapSource {
  return (
    (typeof HTMLImageElement !== 'undefined' && x instanceof HTMLImageElement) ||
    (typeof HTMLCanvasElement !== 'undefined' && x instanceof HTMLCanvasElement) ||
    (typeof OffscreenCanvas !== 'undefined' && x instanceof OffscreenCanvas)
  );
}

/** Elements and canvases cannot be posted: they become an ImageBitmap this module owns. */
async function prepareInput(input: SegmentInput): Promise<{ input: WorkerSegmentInput; owned: boolean }> {
  if (!isDrawable(input)) return { input: input as WorkerSegmentInput, owned: false };
  try {
    return { input: await createImageBitmap(input), owned: true };
  } catch (e) {
    throw new TvunetError('INVALID_INPUT', `could not read the image (is it loaded?): ${(e as Error).message}`, { cause: e });
  }
}

class RemoteSegmenter implements WorkerSegmenter {
  private closed = false;

  constructor(
    private readonly remote: Remote<WorkerApi>,
    private readonly connection: Connection,
    readonly manifest: ModelManifest,
    readonly backend: BackendReport,
  ) {}

  async segment(input: SegmentInput, options: WorkerSegmentOptions = {}): Promise<SegmentationResult> {
    if (this.closed) throw new TvunetError('CLOSED', 'segment() called after close()');
    const { transfer: handOver = false, ...segmentOptions } = options;
    const prepared = await prepareInput(input);
    const transfers = prepared.owned || handOver ? inputTransferables(prepared.input) : [];
    const payload = transfers.length > 0 ? transfer(prepared.input, transfers) : prepared.input;
    return this.connection.call(() => this.remote.segment(payload, segmentOptions), 'INVALID_INPUT');
  }

  async readVolume(files: VolumeFile | VolumeFile[], options: ReadVolumeOptions = {}): Promise<Volume> {
    if (this.closed) throw new TvunetError('CLOSED', 'readVolume() called after close()');
    const list = Array.isArray(files) ? files : [files];
    return this.connection.call(() => this.remote.readVolume(list, options), 'INVALID_INPUT');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.connection.die('the worker segmenter was closed');
  }
}

/**
 * Starts a worker and loads the model in it. Options are those of `Segmenter.create` (with
 * `onProgress` called on this thread) plus `workerUrl` / `worker`. Rejects with the worker's
 * TvunetError (e.g. 'INTEGRITY', 'BACKEND_UNAVAILABLE') or 'WORKER' if it cannot start; the
 * worker is terminated in both cases.
 */
export async function createWorkerSegmenter(options: WorkerSegmenterOptions = {}): Promise<WorkerSegmenter> {
  const { worker: given, workerUrl, onProgress, model, ...rest } = options;
  const worker = given ?? (await startWorker(workerUrl));
  const connection = new Connection(worker);
  try {
    const remote = wrap<WorkerApi>(connection.endpoint);
    const init: WorkerInitOptions = { ...rest, model: modelForWorker(model) };
    const ready = await connection.call(() => remote.init(init, onProgress ? proxy(onProgress) : undefined), 'INVALID_OPTIONS');
    return new RemoteSegmenter(remote, connection, ready.manifest, ready.backend);
  } catch (e) {
    await connection.die('worker segmenter creation failed');
    throw e;
  }
}
