/**
 * Module-worker entry for browsers (bundled as `dist/tvunet.worker.js`): exposes one
 * {@link WorkerApi} on the worker's global scope. Start it with `createWorkerSegmenter`.
 */
import { expose } from 'comlink';
import { createWorkerApi } from './service.js';

expose(createWorkerApi());
