/**
 * The object a worker exposes: one Segmenter living in the worker. Used by both entries
 * (`worker.ts` for browsers, `worker-node.ts` for Node worker_threads).
 */
import { releaseProxy, transfer, type Remote } from 'comlink';
import { Segmenter, TvunetError } from '../src/index.js';
import { readVolume } from '../src/volume/index.js';
import type { ProgressCallback, WorkerApi, WorkerInitResult } from './protocol.js';
import { resultTransferables } from './transfer.js';
import { wireErrors } from './wire-error.js';

export function createWorkerApi(): WorkerApi {
  let segmenter: Segmenter | null = null;
  return {
    init: (options, onProgress) =>
      wireErrors(async (): Promise<WorkerInitResult> => {
        segmenter?.close();
        segmenter = null;
        // On this side the callback is a Comlink proxy: calling it posts a message and returns a promise.
        const remote = onProgress as unknown as Remote<ProgressCallback> | undefined;
        try {
          const created = await Segmenter.create({
            ...options,
            onProgress: remote ? (p) => void remote(p).catch(() => undefined) : undefined,
          });
          segmenter = created;
          return { manifest: created.manifest, backend: created.backend };
        } finally {
          remote?.[releaseProxy]();
        }
      }),

    segment: (input, options) =>
      wireErrors(async () => {
        if (!segmenter) throw new TvunetError('CLOSED', 'the worker has no segmenter (init() failed or close() was called)');
        try {
          const result = await segmenter.segment(input, options);
          return transfer(result, resultTransferables(result));
        } finally {
          if (typeof ImageBitmap !== 'undefined' && input instanceof ImageBitmap) input.close();
        }
      }),

    readVolume: (files, options) =>
      wireErrors(async () => {
        const volume = await readVolume(files, options);
        return transfer(volume, [volume.data.buffer as ArrayBuffer]);
      }),

    close: () => {
      segmenter?.close();
      segmenter = null;
    },
  };
}
