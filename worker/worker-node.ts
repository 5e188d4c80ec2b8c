/**
 * Node `worker_threads` entry (built as `dist/tvunet-worker-node.mjs`): the same API as the
 * browser worker, over the thread's `parentPort` with Comlink's node adapter.
 */
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { parentPort } from 'node:worker_threads';
import { createWorkerApi } from './service.js';

if (!parentPort) throw new Error('tvunet: worker-node must be started with new Worker(...) from node:worker_threads');
expose(createWorkerApi(), nodeEndpoint(parentPort));
