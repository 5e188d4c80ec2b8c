/** Provided by rollup.config.mjs: the text of dist/tvunet.worker.js (for worker/inline.ts). */
declare module 'virtual:tvunet-worker-source' {
  const source: string;
  export default source;
}

/** Comlink ships node-adapter.d.ts beside node-adapter.mjs, where TypeScript looks for .d.mts. */
declare module 'comlink/dist/esm/node-adapter.mjs' {
  export { default } from 'comlink/dist/esm/node-adapter';
  export type { NodeEndpoint } from 'comlink/dist/esm/node-adapter';
}
