/**
 * tvunet + NiiVue without a bundler. `tvunet` and `niivue` are the globals of their <script>
 * bundles; tvunet's bundle holds the library, the volume functions and the worker pool (whose
 * worker file, tvunet.worker.js, sits beside the bundle).
 *
 * Query parameters: ?model=URL of a model.json (default: the model shipped beside the bundle,
 * models/default/uint8), ?backend=auto|wasm|webgpu|cpu (default auto), ?workers=N (default: one
 * per core, at most 8).
 */
const tv = window.tvunet;
const { createWorkerPool } = tv;
const { Niivue } = window.niivue;

const params = new URLSearchParams(location.search);
const MODEL = params.get('model') ? new URL(params.get('model'), location.href).href : undefined;
const BACKEND = params.get('backend') ?? 'auto';
const WORKERS = params.get('workers') ? Number(params.get('workers')) : undefined;
/** 3D clean-up as in the README: lesions under 0.1 mL dropped, holes filled, infection kept inside the predicted lungs (the default). */
const POSTPROCESS = { minLesionMl: 0.1, fillHoles: true, connectivity: 26 };
/** PNG slices carry no voxel size: their volumes (mL) assume 1 mm voxels. */
const PNG_SPACING_MM = [1, 1, 1];
const LABEL_COLOURS = { 'ground-glass': [255, 200, 0], consolidation: [235, 40, 40], infection: [235, 40, 40] };
const OVERLAY_OPACITY = 0.6;

const $ = (id) => document.getElementById(id);
/** State for the example tests (and the curious, in the console). */
const example = (window.__tvunetExample = { state: 'starting', error: null, result: null, modelName: null, backend: null });

function setStatus(state, text, fraction = null) {
  example.state = state;
  $('status').textContent = text;
  const bar = $('progress');
  if (fraction === null) bar.removeAttribute('value'); // indeterminate
  else bar.value = fraction;
}

function fail(e) {
  example.error = { code: e?.code ?? null, message: e?.message ?? String(e) };
  setStatus('error', `Error${e?.code ? ` (${e.code})` : ''}: ${example.error.message}`, 0);
  console.error(e);
}

// --- Segmentation: one worker pool for the page, started now so the model loads while the user picks a file.
const poolReady = createWorkerPool({
  model: MODEL,
  backend: BACKEND,
  ...(WORKERS ? { size: WORKERS } : {}),
  onProgress: (p) => setStatus('loading model', `Loading the model… ${Math.round(100 * p.fraction)} %`, p.fraction),
});
poolReady.then((pool) => {
  example.modelName = pool.manifest.name;
  example.backend = pool.backend.backend;
  setStatus('ready', `Ready: model ${pool.manifest.name}, ${pool.size} worker(s) on ${pool.backend.backend}. Open a CT volume.`, 0);
}, fail);

/** Files → { volume, ctNifti (bytes NiiVue displays), name }. NIfTI and DICOM are parsed in a worker. */
async function readInput(files, pool) {
  const isPng = (f) => /\.png$/i.test(f.name) || f.type === 'image/png';
  if (files.some(isPng)) {
    if (!files.every(isPng)) throw new Error('drop PNG slices on their own, not mixed with other files');
    const volume = await tv.readImageStack(files, { spacingMm: PNG_SPACING_MM }); // in name order (listInputFiles)
    const ctNifti = await tv.writeNifti(Uint8Array.from(volume.data), volume.dims, { geometry: volume });
    return { volume, ctNifti, name: 'slices' };
  }
  const named = await Promise.all(files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
  const volume = await pool.readVolume(named); // copies the bytes: `named` stays usable below
  const name = files.length === 1 ? files[0].name.replace(/\.nii(\.gz)?$/i, '') : 'series';
  if (volume.source.format === 'nifti') return { volume, ctNifti: named[0].bytes, name }; // NiiVue reads the original file
  // DICOM: hand NiiVue the same voxels as NIfTI, in HU.
  const hu = Int16Array.from(volume.data, (v) => Math.max(-32768, Math.min(32767, Math.round(v))));
  return { volume, ctNifti: await tv.writeNifti(hu, volume.dims, { geometry: volume }), name };
}

// --- Viewer.
// Radiological convention (patient's right on the screen's left), as CT is read.
const nv = new Niivue({
  backColor: [0.07, 0.08, 0.1, 1], show3Dcrosshair: false, isColorbar: false, dragAndDropEnabled: false,
  isRadiologicalConvention: true, crosshairColor: [0.3, 0.7, 1, 0.6], logLevel: 'warn',
});
const viewerReady = nv.attachToCanvas($('viewer')).then(() => nv.setSliceType(nv.sliceTypeAxial));
example.viewer = nv;

const blobUrl = (bytes) => URL.createObjectURL(new Blob([bytes]));
const isGzip = (b) => b[0] === 0x1f && b[1] === 0x8b;

async function showInViewer(input, result, labelBytes) {
  await viewerReady;
  const ct = blobUrl(input.ctNifti), labels = blobUrl(labelBytes);
  const [lo, hi] = input.volume.kind === 'hu' ? [-1250, 250] : [0, 255]; // the model's own window
  try {
    // NiiVue picks the format from the name; loadVolumes replaces what was shown before.
    await nv.loadVolumes([
      { url: ct, name: isGzip(input.ctNifti) ? 'ct.nii.gz' : 'ct.nii', colormap: 'gray', cal_min: lo, cal_max: hi },
      { url: labels, name: 'labels.nii.gz', opacity: $('show-overlay').checked ? OVERLAY_OPACITY : 0 },
    ]);
  } finally {
    URL.revokeObjectURL(ct);
    URL.revokeObjectURL(labels);
  }
  // A label lookup table: value k gets the colour of result.labelNames[k].
  const lut = { R: [0], G: [0], B: [0], A: [0], I: [0], labels: ['background'] };
  result.labelNames.slice(1).forEach((name, i) => {
    const [r, g, b] = LABEL_COLOURS[name] ?? LABEL_COLOURS.infection;
    lut.R.push(r), lut.G.push(g), lut.B.push(b), lut.A.push(255), lut.I.push(i + 1), lut.labels.push(name);
  });
  nv.volumes[1].setColormapLabel(lut);
  // Open on the most infected slice.
  const worst = result.burden.perSlice.reduce((a, b) => (b.infectedAreaMm2 > a.infectedAreaMm2 ? b : a));
  const voxel = result.dims.map((d) => Math.floor(d / 2));
  voxel[result.burden.sliceAxis] = worst.index;
  nv.scene.crosshairPos = nv.vox2frac(voxel);
  nv.updateGLVolume();
  $('legend').replaceChildren(...result.labelNames.slice(1).map((name) => {
    const item = document.createElement('span');
    item.className = 'swatch';
    item.dataset.colour = (LABEL_COLOURS[name] ? name : 'infection');
    item.textContent = name;
    return item;
  }));
}

$('show-overlay').addEventListener('change', (e) => {
  if (nv.volumes.length > 1) nv.setOpacity(1, e.target.checked ? OVERLAY_OPACITY : 0);
});

// --- Report.
const mL = (x) => `${x.toFixed(1)} mL`;
const percent = (x) => (x === null ? '–' : `${x.toFixed(1)} %`);

function row(term, value) {
  const dt = document.createElement('dt'), dd = document.createElement('dd');
  dt.textContent = term;
  dd.textContent = value;
  return [dt, dd];
}

function showReport(burden, warnings, input) {
  const set = (field, text) => (document.querySelector(`[data-field="${field}"]`).textContent = text);
  set('infected', mL(burden.infectedVolumeMl));
  set('lungs', burden.lungVolumeMl === null ? '–' : mL(burden.lungVolumeMl));
  set('percent', percent(burden.percentInvolved));
  set('severity', burden.severity ? `${burden.severity.score} / 5 (${burden.severity.band})` : '–');
  set('lesions', String(burden.lesions.count));
  $('subtypes').replaceChildren(...burden.subtypes.flatMap((s) => row(s.name, mL(s.volumeMl))));
  const perLung = burden.perLung
    ? ['left', 'right'].flatMap((side) => row(side, `${mL(burden.perLung[side].infectedVolumeMl)} of ${mL(burden.perLung[side].lungVolumeMl)} (${percent(burden.perLung[side].percentInvolved)})`))
    : row('', burden.perLungNote ?? ''); // e.g. the lung mask is one component: no left / right
  $('per-lung').replaceChildren(...perLung);
  const notes = [...warnings];
  if (input.volume.source.format === 'array') notes.push(`PNG slices have no voxel size: volumes assume ${PNG_SPACING_MM.join(' × ')} mm voxels.`);
  $('notes').textContent = notes.join(' ');
  $('report').hidden = false;
}

// --- Input: file picker and drag-and-drop.
let busy = false;
/** `listing`: the promise of tv.listInputFiles for a drop or a file / folder picker. */
async function run(listing) {
  if (busy) return void listing.catch(() => undefined);
  busy = true;
  for (const id of ['files', 'folder']) $(id).disabled = true;
  example.error = null;
  try {
    const files = await listing;
    const pool = await poolReady;
    setStatus('reading', `Reading ${files.length === 1 ? files[0].name : `${files.length} files`}…`, null);
    const input = await readInput(files, pool);
    const total = input.volume.dims[2];
    setStatus('segmenting', `Segmenting ${total} slices…`, 0);
    const result = await tv.segmentVolume(pool, input.volume, {
      postprocess: POSTPROCESS,
      keepProbabilities: 'none',
      onProgress: ({ done, total }) => setStatus('segmenting', `Segmenting: slice ${done} of ${total}`, done / total),
    });
    const labelBytes = await tv.writeLabelNifti(result);
    await showInViewer(input, result, labelBytes);
    showReport(result.burden, result.warnings, input);
    const download = $('download');
    if (download.href) URL.revokeObjectURL(download.href);
    download.href = blobUrl(labelBytes);
    download.download = `${input.name}.labels.nii.gz`;
    download.hidden = false;
    example.result = { burden: result.burden, labelNames: result.labelNames, dims: result.dims, labels: result.labels };
    setStatus('done', `Done: ${total} slices in ${(result.timings.totalMs / 1000).toFixed(1)} s (${result.timings.slicesPerSecond.toFixed(1)} slices/s).`, 1);
  } catch (e) {
    fail(e);
  } finally {
    busy = false;
    for (const id of ['files', 'folder']) $(id).disabled = false;
  }
}

for (const id of ['files', 'folder']) {
  $(id).addEventListener('change', (e) => {
    run(tv.listInputFiles(e.target.files));
    e.target.value = '';
  });
}
const drop = $('drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  run(tv.listInputFiles(e.dataTransfer));
});
