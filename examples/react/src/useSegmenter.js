import { useCallback, useEffect, useRef, useState } from 'react';
import { createWorkerPool } from 'tvunet/worker';
import { segmentVolume } from 'tvunet/volume';

/**
 * A tvunet worker pool for the lifetime of a component: started on mount (and again when the
 * options change), closed on unmount, which also cancels a volume still being segmented.
 *
 *   const { pool, status, error, segment } = useSegmenter({ model, backend: 'auto' });
 *   const result = await segment(volume, { postprocess, onProgress });
 *
 * `status`: { state: 'loading' | 'ready' | 'error', fraction } (fraction: model download).
 */
export function useSegmenter({ model, backend = 'auto', size, wasmPaths } = {}) {
  const [pool, setPool] = useState(null);
  const [status, setStatus] = useState({ state: 'loading', fraction: 0 });
  const [error, setError] = useState(null);
  const abort = useRef(null);

  useEffect(() => {
    let live = true;
    let started = null;
    setPool(null);
    setError(null);
    setStatus({ state: 'loading', fraction: 0 });
    const controller = new AbortController();
    abort.current = controller;
    createWorkerPool({
      model, backend, wasmPaths, ...(size ? { size } : {}),
      onProgress: (p) => live && setStatus({ state: 'loading', fraction: p.fraction }),
    }).then(
      (p) => {
        if (!live) return void p.close(); // unmounted while starting
        started = p;
        setPool(p);
        setStatus({ state: 'ready', fraction: 1 });
      },
      (e) => {
        if (!live) return;
        setError(e);
        setStatus({ state: 'error', fraction: 0 });
      },
    );
    return () => {
      live = false;
      controller.abort(); // a running segment() rejects with CANCELLED
      started?.close();
    };
  }, [model, backend, size, wasmPaths]);

  const segment = useCallback(
    (volume, options = {}) => {
      if (!pool) return Promise.reject(new Error('the segmenter is not ready yet'));
      return segmentVolume(pool, volume, { keepProbabilities: 'none', ...options, signal: abort.current?.signal });
    },
    [pool],
  );

  return { pool, status, error, segment };
}
