/**
 * The worker's lifecycle as seen from the main thread: a Comlink endpoint for a browser `Worker`
 * or a Node `worker_threads` Worker, and a `dead` promise that rejects with
 * `TvunetError('WORKER')` when the worker fails, exits or is terminated, so no call waits forever.
 */
import type { Endpoint } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { TvunetError, type TvunetErrorCode } from '../src/errors.js';
import { fromWireError } from './wire-error.js';

/** The part of Node's `worker_threads.Worker` used here. */
export interface NodeWorkerLike {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  terminate(): unknown;
}

/** A browser/worker `Worker` or a Node `worker_threads` Worker running a tvunet worker entry. */
export type WorkerLike = Worker | NodeWorkerLike;

function isNodeWorker(w: WorkerLike): w is NodeWorkerLike {
  return typeof (w as NodeWorkerLike).on === 'function' && typeof (w as Worker).addEventListener !== 'function';
}

function isDataCloneError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as Error).name === 'DataCloneError';
}

export class Connection {
  readonly endpoint: Endpoint;
  /** Rejects once the worker is gone; never resolves. */
  private readonly dead: Promise<never>;
  private deathError: TvunetError | null = null;
  private kill!: (e: TvunetError) => void;

  constructor(private readonly worker: WorkerLike) {
    this.dead = new Promise<never>((_, reject) => (this.kill = reject));
    this.dead.catch(() => undefined); // observed by calls only
    if (isNodeWorker(worker)) {
      const onError = (e: unknown) => this.die(`the worker thread threw: ${e instanceof Error ? e.message : String(e)}`);
      const onExit = (code: number) => this.die(`the worker thread exited (code ${code})`);
      // Kept after death too: an 'error' event without a listener would crash the process.
      worker.on('error', onError);
      worker.on('exit', onExit);
      this.endpoint = nodeEndpoint(worker as Parameters<typeof nodeEndpoint>[0]);
    } else {
      const onError = (ev: Event) => {
        ev.preventDefault(); // reported here as a rejection, not as an uncaught error of the page
        const msg = (ev as ErrorEvent).message;
        this.die(msg ? `the worker threw: ${msg}` : 'the worker failed to load or crashed (check workerUrl and that the script is served as JavaScript)');
      };
      // Kept after death too, so late errors (e.g. of the worker's own sub-workers) stay here.
      worker.addEventListener('error', onError);
      this.endpoint = worker;
    }
  }

  private terminated: Promise<void> = Promise.resolve();

  /** Marks the worker dead (rejecting every pending call) and terminates it; resolves once it is gone. */
  die(reason: string): Promise<void> {
    if (!this.deathError) {
      this.deathError = new TvunetError('WORKER', reason);
      this.kill(this.deathError);
      this.terminated = Promise.resolve()
        .then(() => this.worker.terminate())
        .then(
          () => undefined,
          () => undefined,
        );
    }
    return this.terminated;
  }

  /**
   * Runs one remote call. Errors thrown in the worker come back as TvunetErrors; a value that
   * cannot be cloned rejects with `cloneErrorCode`; a dead worker rejects with 'WORKER'.
   */
  async call<T>(start: () => Promise<T>, cloneErrorCode: TvunetErrorCode): Promise<T> {
    if (this.deathError) throw this.deathError;
    const call = (async () => {
      try {
        return await start();
      } catch (e) {
        if (isDataCloneError(e)) throw new TvunetError(cloneErrorCode, `this value cannot be sent to the worker: ${(e as Error).message}`, { cause: e });
        throw fromWireError(e);
      }
    })();
    return Promise.race([call, this.dead]);
  }
}
