/**
 * A pool of worker segmenters, for spreading the slices of a volume over several cores: tfjs
 * 4.22's WASM backend runs one thread per instance (its threads stay off, see
 * shared/notes/platform.md), so parallelism comes from several workers, each with its own
 * weights and WASM instance. A worker that dies is replaced and its slice retried once.
 */
import { TvunetError, isTvunetError } from '../src/errors.js';
import type { BackendReport } from '../src/backends/select.js';
import type { ModelManifest } from '../src/io/manifest.js';
import type { RawSlice } from '../src/preprocess/input.js';
import type { SegmentOptions } from '../src/segmenter/options.js';
import type { SegmentationResult } from '../src/segmenter/result.js';
import type { ReadVolumeOptions, VolumeFile } from '../src/volume/read.js';
import type { Volume } from '../src/volume/volume.js';
import { createWorkerSegmenter, type WorkerSegmenter, type WorkerSegmenterOptions } from './client.js';
import type { WorkerLike } from './connection.js';
import { inNode } from './default-worker.js';

export interface WorkerPoolOptions extends Omit<WorkerSegmenterOptions, 'worker'> {
  /**
   * Number of workers. Default: `navigator.hardwareConcurrency` (browsers) or
   * `os.availableParallelism()` (Node), at most 8 (each worker holds its own weights and WASM
   * memory).
   */
  size?: number;
  /**
   * Starts one worker (a browser `Worker` or Node `worker_threads.Worker` on a tvunet worker
   * entry); called for every worker, replacements included. Default: as createWorkerSegmenter.
   */
  createWorker?: () => WorkerLike;
}

/** Several worker segmenters behind one `segment()`; pass it to `segmentVolume`. */
export interface WorkerPool {
  readonly manifest: ModelManifest;
  readonly backend: BackendReport;
  /** Workers alive now. */
  readonly size: number;
  /** How many slices to keep in flight (2 per worker); read by segmentVolume. */
  readonly concurrency: number;
  /** Workers replaced after they died. */
  readonly restarts: number;
  /**
   * Segments one slice on the next free worker (input copied, never transferred, so that it can
   * be retried). If that worker dies, it is replaced and the slice retried once; a second death
   * rejects with 'WORKER'. Other errors (e.g. 'INVALID_INPUT') reject as from a worker segmenter.
   */
  segment(input: RawSlice, options?: SegmentOptions): Promise<SegmentationResult>;
  /** Reads a NIfTI file or DICOM series on a free worker (see readVolume). */
  readVolume(files: VolumeFile | VolumeFile[], options?: ReadVolumeOptions): Promise<Volume>;
  /** Terminates every worker; pending calls reject with 'WORKER', later ones with 'CLOSED'. */
  close(): Promise<void>;
}

/** Cap of the default size. */
const MAX_DEFAULT_SIZE = 8;

async function defaultSize(): Promise<number> {
  let n = 0;
  if (inNode) {
    const os = await import('node:os');
    n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  } else {
    n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 2;
  }
  return Math.max(1, Math.min(MAX_DEFAULT_SIZE, n || 1));
}

type Start = (options: WorkerSegmenterOptions) => Promise<WorkerSegmenter>;

/**
 * Calls given to one worker at a time: its next slice waits in its message queue while the current
 * one runs, so the worker does not sit idle for the round trip to the page (measured: a quarter of
 * each worker's time idle with one call each).
 */
const CALLS_PER_WORKER = 2;

class Pool implements WorkerPool {
  /** Live workers and the calls each has in flight. */
  private readonly load = new Map<WorkerSegmenter, number>();
  private readonly waiting: { resolve: (w: WorkerSegmenter) => void; reject: (e: unknown) => void }[] = [];
  private closed = false;
  private spawning = 0;
  restarts = 0;

  constructor(
    private readonly spawn: () => Promise<WorkerSegmenter>,
    workers: WorkerSegmenter[],
    readonly manifest: ModelManifest,
    readonly backend: BackendReport,
  ) {
    for (const w of workers) this.load.set(w, 0);
  }

  get size(): number {
    return this.load.size;
  }

  get concurrency(): number {
    return Math.max(1, this.load.size) * CALLS_PER_WORKER;
  }

  /** The least busy live worker with room for another call, or null. */
  private leastBusy(): WorkerSegmenter | null {
    let best: WorkerSegmenter | null = null, bestLoad = CALLS_PER_WORKER;
    for (const [w, n] of this.load) if (n < bestLoad) [best, bestLoad] = [w, n];
    return best;
  }

  private acquire(): Promise<WorkerSegmenter> {
    if (this.closed) return Promise.reject(new TvunetError('CLOSED', 'the worker pool was closed'));
    const w = this.leastBusy();
    if (w) {
      this.load.set(w, this.load.get(w)! + 1);
      return Promise.resolve(w);
    }
    if (this.load.size === 0 && this.spawning === 0) return Promise.reject(new TvunetError('WORKER', 'the worker pool has no live workers left'));
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** A call on `w` ended (or `w` is new, with `calls` = 0): hands its room to waiting calls. */
  private release(w: WorkerSegmenter, ended = 1): void {
    if (this.closed || !this.load.has(w)) return;
    let n = this.load.get(w)! - ended;
    while (n < CALLS_PER_WORKER && this.waiting.length > 0) {
      n++;
      this.waiting.shift()!.resolve(w);
    }
    this.load.set(w, n);
  }

  /** Drops a dead worker and starts its replacement (which then serves the queue). */
  private async replace(dead: WorkerSegmenter): Promise<void> {
    if (!this.load.delete(dead)) return; // another call on it already replaced it
    void dead.close();
    if (this.closed) return;
    this.restarts++;
    this.spawning++;
    try {
      const fresh = await this.spawn();
      this.spawning--;
      if (this.closed) {
        await fresh.close();
        return;
      }
      this.load.set(fresh, 0);
      this.release(fresh, 0);
    } catch (e) {
      this.spawning--;
      if (this.load.size === 0 && this.spawning === 0) for (const w of this.waiting.splice(0)) w.reject(e);
    }
  }

  private async run<T>(call: (w: WorkerSegmenter) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const w = await this.acquire();
      try {
        const result = await call(w);
        this.release(w);
        return result;
      } catch (e) {
        if (isTvunetError(e) && e.code === 'WORKER' && !this.closed) {
          await this.replace(w);
          if (attempt === 0) continue;
          throw e;
        }
        this.release(w);
        throw e;
      }
    }
  }

  segment(input: RawSlice, options: SegmentOptions = {}): Promise<SegmentationResult> {
    return this.run((w) => w.segment(input, { ...options, transfer: false }));
  }

  readVolume(files: VolumeFile | VolumeFile[], options: ReadVolumeOptions = {}): Promise<Volume> {
    return this.run((w) => w.readVolume(files, options));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closing = new TvunetError('CLOSED', 'the worker pool was closed');
    for (const w of this.waiting.splice(0)) w.reject(closing);
    const all = [...this.load.keys()];
    this.load.clear();
    await Promise.all(all.map((w) => w.close()));
  }
}

/**
 * Starts `size` workers with `start` (the worker segmenter factory of tvunet/worker or
 * tvunet/worker-inline). If any fails to start, the others are closed and its error rethrown.
 * @internal
 */
export async function createPoolWith(start: Start, options: WorkerPoolOptions = {}): Promise<WorkerPool> {
  const { size: requested, createWorker, onProgress, ...rest } = options;
  if (requested !== undefined && !(Number.isInteger(requested) && requested >= 1 && requested <= 256)) {
    throw new TvunetError('INVALID_OPTIONS', `size must be an integer in 1…256, got ${String(requested)}`);
  }
  const size = requested ?? (await defaultSize());
  let first = true;
  const spawn = () => {
    const opts: WorkerSegmenterOptions = { ...rest };
    if (createWorker) opts.worker = createWorker();
    if (first && onProgress) opts.onProgress = onProgress; // load progress from one worker only
    first = false;
    return start(opts);
  };
  const settled = await Promise.allSettled(Array.from({ length: size }, spawn));
  const workers = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) {
    await Promise.all(workers.map((w) => w.close()));
    throw failure.reason;
  }
  return new Pool(spawn, workers, workers[0]!.manifest, workers[0]!.backend);
}

/**
 * Starts a pool of worker segmenters (each one `createWorkerSegmenter` with these options) for
 * `segmentVolume(pool, volume)`. Rejects like createWorkerSegmenter if a worker cannot start.
 */
export function createWorkerPool(options: WorkerPoolOptions = {}): Promise<WorkerPool> {
  return createPoolWith(createWorkerSegmenter, options);
}
