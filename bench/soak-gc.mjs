// A full garbage collection, with or without --expose-gc (works in worker_threads too).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc = globalThis.gc;
if (typeof gc !== 'function') {
  setFlagsFromString('--expose-gc');
  gc = runInNewContext('gc');
}

export function forceGc() {
  gc();
  gc();
}
