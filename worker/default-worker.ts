/**
 * The worker started when the caller passes neither `worker` nor a prepared one: the bundle
 * beside this module (`tvunet.worker.js` in browsers, `tvunet-worker-node.mjs` in Node).
 * The browser form is written literally as `new Worker(new URL(..., import.meta.url))` so that
 * bundlers which understand that pattern pick the worker up.
 */
import { TvunetError } from '../src/errors.js';
import type { WorkerLike } from './connection.js';

/** Node (or a Node worker thread), as opposed to a browser page or web worker. */
export const inNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';

export async function startWorker(workerUrl?: string | URL): Promise<WorkerLike> {
  if (inNode) {
    const threads = await import('node:worker_threads');
    const url = workerUrl ?? new URL('./tvunet-worker-node.mjs', import.meta.url);
    return new threads.Worker(url);
  }
  if (typeof Worker === 'undefined') throw new TvunetError('WORKER', 'this environment has no Worker; use Segmenter directly');
  try {
    if (workerUrl !== undefined) return new Worker(workerUrl, { type: 'module', name: 'tvunet' });
    return new Worker(new URL('./tvunet.worker.js', import.meta.url), { type: 'module', name: 'tvunet' });
  } catch (e) {
    throw new TvunetError('WORKER', `could not start the worker: ${(e as Error).message}`, { cause: e });
  }
}
