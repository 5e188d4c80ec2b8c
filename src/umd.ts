/**
 * The `<script>` bundle's global `tvunet`: the library, the volume entry and the worker client
 * (its default worker, `tvunet.worker.js`, is looked up beside the script).
 */
export * from './index.js';
export * from './volume/index.js';
export { createWorkerPool, createWorkerSegmenter } from '../worker/index.js';
