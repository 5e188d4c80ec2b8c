// The soak's worker_thread: the normal tvunet worker API (worker/service.ts, from source through
// tsx) plus `soakMemory()`, which reports this thread's live tfjs tensors and JS heap after a GC.
import { register } from 'tsx/esm/api';

register();
const { expose } = await import('comlink');
const { default: nodeEndpoint } = await import('comlink/dist/esm/node-adapter.mjs');
const { parentPort } = await import('node:worker_threads');
const { createWorkerApi } = await import('../worker/service.ts');
const { tensorCount } = await import('../src/index.ts');
const { forceGc } = await import('./soak-gc.mjs');

expose(
  {
    ...createWorkerApi(),
    soakMemory() {
      forceGc();
      return { tensors: tensorCount(), heapUsed: process.memoryUsage().heapUsed };
    },
  },
  nodeEndpoint(parentPort),
);
