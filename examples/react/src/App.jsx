import { useCallback, useEffect, useState } from 'react';
import { listInputFiles } from 'tvunet/volume';
import { PNG_SPACING_MM, readVolumeFiles } from './readVolumeFiles.js';
import { Report } from './Report.jsx';
import { SliceView } from './SliceView.jsx';
import { useSegmenter } from './useSegmenter.js';

// Query parameters: ?model=URL of a model.json (default: the shipped model, copied under tvunet/
// by vite.config.js), ?backend=auto|wasm|webgpu|cpu, ?workers=N (default: one per core, ≤ 8).
const params = new URLSearchParams(location.search);
const ASSETS = new URL('tvunet/', document.baseURI).href;
const SEGMENTER_OPTIONS = {
  model: params.get('model') ? new URL(params.get('model'), location.href).href : `${ASSETS}models/default/uint8/model.json`,
  backend: params.get('backend') ?? 'auto',
  size: Number(params.get('workers')) || undefined,
  wasmPaths: ASSETS,
};
/** 3D clean-up as in the README: lesions under 0.1 mL dropped, holes filled, infection kept inside the predicted lungs (the default). */
const POSTPROCESS = { minLesionMl: 0.1, fillHoles: true, connectivity: 26 };

function DropZone({ disabled, onFiles }) {
  const [over, setOver] = useState(false);
  return (
    <section
      className={`drop${over ? ' over' : ''}`}
      onDragOver={(e) => { e.preventDefault(); setOver(true); }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => { e.preventDefault(); setOver(false); if (!disabled) onFiles(listInputFiles(e.dataTransfer)); }}
    >
      <p>Drop a CT volume here: one <code>.nii</code> / <code>.nii.gz</code> file, a DICOM series (its files or its folder), or PNG slices (sorted by name).</p>
      <label className="button">
        Choose files…
        <input type="file" multiple disabled={disabled} accept=".nii,.gz,.dcm,.png,application/dicom,image/png"
          onChange={(e) => { onFiles(listInputFiles(e.target.files)); e.target.value = ''; }} />
      </label>
      <label className="button">
        Choose a folder…
        <input type="file" webkitdirectory="" disabled={disabled}
          onChange={(e) => { onFiles(listInputFiles(e.target.files)); e.target.value = ''; }} />
      </label>
    </section>
  );
}

export function App() {
  const { pool, status, error: poolError, segment } = useSegmenter(SEGMENTER_OPTIONS);
  // One run: { id, state: 'reading' | 'segmenting' | 'done' | 'error', fraction, volume, result, error }
  const [run, setRun] = useState(null);
  const [showOverlay, setShowOverlay] = useState(true);
  const busy = run?.state === 'reading' || run?.state === 'segmenting';

  /** `listing`: the promise of listInputFiles for a drop or a file / folder picker. */
  const onFiles = useCallback(async (listing) => {
    if (!pool) return void listing.catch(() => undefined); // the drop zone is disabled until the pool is up
    const id = Date.now();
    const update = (patch) => setRun((r) => ({ ...r, ...patch }));
    setRun({ id, state: 'reading', fraction: null });
    try {
      const volume = await readVolumeFiles(await listing, pool);
      update({ state: 'segmenting', fraction: 0, volume });
      const result = await segment(volume, {
        postprocess: POSTPROCESS,
        onProgress: ({ done, total }) => update({ fraction: done / total, text: `slice ${done} of ${total}` }),
      });
      update({ state: 'done', fraction: 1, result });
    } catch (error) {
      if (error?.code !== 'CANCELLED') console.error(error);
      update({ state: 'error', error });
    }
  }, [pool, segment]);

  const error = poolError ?? run?.error ?? null;
  const state = poolError ? 'error' : status.state === 'loading' ? 'loading model' : run?.state ?? 'ready';
  const message = {
    'loading model': `Loading the model… ${Math.round(100 * status.fraction)} %`,
    ready: pool && `Ready: model ${pool.manifest.name}, ${pool.size} worker(s) on ${pool.backend.backend}. Open a CT volume.`,
    reading: 'Reading the files…',
    segmenting: `Segmenting: ${run?.text ?? ''}`,
    done: run?.result && `Done: ${run.result.dims[2]} slices in ${(run.result.timings.totalMs / 1000).toFixed(1)} s.`,
    error: error && `Error${error.code ? ` (${error.code})` : ''}: ${error.message}`,
  }[state];
  const fraction = state === 'loading model' ? status.fraction : run?.fraction ?? 0;

  // For the example tests (test/examples/): the page's state and result, read with page.evaluate.
  useEffect(() => {
    const r = run?.result;
    Object.assign((window.__tvunetExample ??= {}), {
      state, error: error && { code: error.code ?? null, message: error.message },
      modelName: pool?.manifest.name ?? null, backend: pool?.backend.backend ?? null,
      result: r ? { burden: r.burden, labelNames: r.labelNames, dims: r.dims, labels: r.labels } : null,
    });
  }, [state, error, pool, run]);

  const notes = run?.result ? [...run.result.warnings] : [];
  if (run?.volume?.source.format === 'array') notes.push(`PNG slices have no voxel size: volumes assume ${PNG_SPACING_MM.join(' × ')} mm voxels.`);

  return (
    <>
      <header>
        <h1>COVID-19 lung infection in a CT volume <small>(React)</small></h1>
        <p className="warning">Research and teaching use only: not a diagnostic device.</p>
      </header>
      <DropZone disabled={!pool || busy} onFiles={onFiles} />
      <div className="status">
        <progress max={1} value={fraction ?? undefined} />
        <span role="status">{message}</span>
      </div>
      {run?.result && (
        <main className="layout">
          <section>
            <SliceView key={run.id} volume={run.volume} result={run.result} showOverlay={showOverlay} />
            <label className="controls">
              <input id="show-overlay" type="checkbox" checked={showOverlay} onChange={(e) => setShowOverlay(e.target.checked)} />
              infection mask in red
            </label>
          </section>
          <Report burden={run.result.burden} notes={notes} />
        </main>
      )}
    </>
  );
}
