// @ts-check
/**
 * A consumer of the PUBLISHED types: imports the package by name, so `exports`/`types` in
 * package.json must resolve to dist/types (run after `npm run build`: npm run test:dist-types).
 * JavaScript with JSDoc on purpose: the repository typecheck (which runs before the build) skips it.
 */
import { Segmenter, TvunetError, encodeModel, tensorCount } from 'tvunet';
import { createWorkerSegmenter } from 'tvunet/worker';
import { createWorkerSegmenter as createInlineWorkerSegmenter } from 'tvunet/worker-inline';

/** @param {Float32Array} pixels */
export async function useAll(pixels) {
  const seg = await Segmenter.create({ backend: 'wasm' });
  const r = await seg.segment({ data: pixels, width: 4, height: 4, kind: 'hu' });
  /** @type {Uint8Array} */
  const mask = r.classes[0].mask;
  /** @type {import('tvunet').BackendName} */
  const backend = r.backend.backend;
  // @ts-expect-error: not a backend
  await Segmenter.create({ backend: 'tpu' });

  const ws = await createWorkerSegmenter({ model: 'https://x.test/model.json', workerUrl: '/w.js' });
  const wr = await ws.segment({ data: pixels, width: 4, height: 4, kind: 'display' }, { transfer: true });
  /** @type {Float32Array} */
  const probs = wr.classes[0].probabilities;
  // @ts-expect-error: transfer is a boolean
  await ws.segment({ data: pixels, width: 4, height: 4, kind: 'display' }, { transfer: 1 });
  await ws.close();

  const inline = await createInlineWorkerSegmenter({ wasmPaths: '/wasm/' });
  /** @type {string} */
  const code = new TvunetError('WORKER', 'x').code;
  /** @type {number} */
  const n = tensorCount();
  return { mask, backend, probs, inline, code, n, encodeModel };
}
