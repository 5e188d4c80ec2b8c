/**
 * tvunet/worker-inline: the same API as tvunet/worker, with the worker bundle embedded as a
 * string and started from a Blob URL, for bundlers that do not handle
 * `new Worker(new URL('./x.js', import.meta.url))` inside dependencies.
 *
 * A Blob worker has no base URL of its own, so it is told to resolve its relative locations
 * (the `.wasm` files, the default model) as if it were `tvunet.worker.js` beside THIS module,
 * i.e. in the package's `dist/`. If your bundler moves this module away from those files, pass
 * `wasmPaths` (and `model`).
 */
import workerSource from 'virtual:tvunet-worker-source';
import { TvunetError } from '../src/errors.js';
import { createWorkerSegmenter as createWithWorker, type WorkerSegmenter, type WorkerSegmenterOptions } from './client.js';
import { createPoolWith, type WorkerPool, type WorkerPoolOptions } from './pool.js';

export * from './index.js';

/** Global the worker bundle reads instead of `import.meta.url` when set (see rollup.config.mjs). */
const WORKER_BASE_URL_GLOBAL = '__TVUNET_WORKER_URL__';

function blobWorker(): { worker: Worker; revoke: () => void } {
  if (typeof Worker === 'undefined' || typeof Blob === 'undefined' || typeof URL.createObjectURL !== 'function') {
    throw new TvunetError('WORKER', 'this environment cannot start a Blob worker; use tvunet/worker or Segmenter');
  }
  let base = '';
  try {
    base = new URL('./tvunet.worker.js', import.meta.url).href;
  } catch {
    // no usable module URL: the caller must pass wasmPaths and model
  }
  const prelude = `globalThis.${WORKER_BASE_URL_GLOBAL} = ${JSON.stringify(base)};\n`;
  const url = URL.createObjectURL(new Blob([prelude, workerSource], { type: 'text/javascript' }));
  try {
    return { worker: new Worker(url, { type: 'module', name: 'tvunet' }), revoke: () => URL.revokeObjectURL(url) };
  } catch (e) {
    URL.revokeObjectURL(url);
    throw new TvunetError('WORKER', `could not start the inline worker: ${(e as Error).message}`, { cause: e });
  }
}

export async function createWorkerSegmenter(options: WorkerSegmenterOptions = {}): Promise<WorkerSegmenter> {
  if (options.worker || options.workerUrl !== undefined) return createWithWorker(options);
  const { worker, revoke } = blobWorker();
  try {
    return await createWithWorker({ ...options, worker });
  } finally {
    revoke(); // the worker has loaded (or failed) by now
  }
}

/** As tvunet/worker's createWorkerPool, with every worker started from the embedded bundle. */
export function createWorkerPool(options: WorkerPoolOptions = {}): Promise<WorkerPool> {
  return createPoolWith(createWorkerSegmenter, options);
}
