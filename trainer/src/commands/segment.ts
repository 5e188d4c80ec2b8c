/** `tvunet segment`: masks, probability maps, overlays and a report for CT slices and CT volumes. */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { TvunetError } from '../../../src/errors.js';
import { readDicomSeries } from '../../../src/io/dicom.js';
import { readNifti } from '../../../src/io/nifti.js';
import { connectedComponents2D } from '../../../src/postprocess/index.js';
import { windowHounsfield } from '../../../src/preprocess/normalize.js';
import type { Segmenter } from '../../../src/segmenter/segmenter.js';
import { extractSlice, sliceLayout } from '../../../src/volume/orientation.js';
import { segmentVolume, type SliceSegmenter, type VolumeSegmentation } from '../../../src/volume/segment-volume.js';
import type { Volume } from '../../../src/volume/volume.js';
import { writeLabelNifti, writeProbabilityNifti } from '../../../src/volume/writers.js';
import { createWorkerPool, type WorkerPool } from '../../../worker/pool.js';
import { NODE_BACKENDS } from '../backends/node-backend.js';
import { choiceOption, numberOption, parseCommandArgs } from '../cli/args.js';
import { createProgress } from '../cli/progress.js';
import { encodePng, grayToRgba, readImageFile } from '../io/image-files.js';
import { renderOverlay, type OverlayMask } from '../report/overlay.js';
import { collectImages, createNodeSegmenter, prepareOutputFolder } from './common.js';

export const SEGMENT_HELP = `tvunet segment <image, folder, volume or DICOM folder>... --out DIR [options]

PNG/JPG slices: for each, writes <name>.mask.png (0/255), <name>.prob.png (probability × 255),
<name>.overlay.png (infection in red, lungs outlined in blue when the model has them).

CT volumes: a NIfTI file (.nii / .nii.gz) or a folder of DICOM files (.dcm, one CT series). Each is
segmented slice by slice (axial, radiological orientation), cleaned up in 3D, and written as
<name>.labels.nii.gz (uint8, NIFTI_INTENT_LABEL: 1 = ground-glass, 2 = consolidation when the model
has those classes, else 1 = infection; the input's dims, pixdim, qform and sform),
<name>.prob.nii.gz (float32 infection probability) and <name>.slice-<k>.overlay.png for the slices
with the largest infected area.

One report.json for everything: per image the infected fraction, regions and lung involvement; per
volume the burden (infected and lung volume in mL, % of lung involved overall and per lung, lesions,
infected area per slice, severity grade 0–5 with the bands of Pan et al., Radiology 2020, applied to
the whole lung).

Options:
  --out DIR            output folder (created)
  --model DIR          model folder or model.json (default: the shipped model)
  --backend K          ${NODE_BACKENDS.join(' | ')} (auto)
  --threshold T        probability threshold in (0,1) (default: the model's)
  --class NAME         class written to .mask/.prob for images (default: the model's first, infection)
  --min-region N       images: drop connected regions smaller than N pixels (default 0)
  --fill-holes         fill holes inside regions (volumes: in 3D)
  --min-lesion-ml V    volumes: drop lesions smaller than V mL (default 0)
  --connectivity C     volumes: 6 | 26 (26)
  --no-lung-restriction  volumes: keep infection outside the predicted lungs
  --overlays K         volumes: overlay PNGs of the K slices with the largest infected area (3)
  --workers N          volumes: worker threads segmenting slices in parallel, or "auto" (one per
                       core; the default, except with the tensorflow backend: 1, this thread)
  --series UID         DICOM folders holding several series: the SeriesInstanceUID to read`;

const COLORS: Record<string, [number, number, number]> = {
  infection: [230, 40, 40], 'ground-glass': [250, 170, 30], consolidation: [200, 30, 200], lungs: [40, 120, 255],
};

interface VolumeInput {
  kind: 'nifti' | 'dicom';
  path: string;
  /** Output stem. */
  name: string;
  files?: string[];
}

const isNiftiPath = (p: string) => /\.nii(\.gz)?$/i.test(p);
const isDicomName = (n: string) => /\.dcm$/i.test(n);

/** Splits the inputs into volumes (NIfTI files, folders of .dcm files) and everything else (images). */
async function partitionInputs(inputs: string[]): Promise<{ volumes: VolumeInput[]; images: string[] }> {
  const volumes: VolumeInput[] = [];
  const images: string[] = [];
  for (const input of inputs) {
    const info = await stat(input).catch(() => null);
    if (info?.isFile() && isNiftiPath(input)) {
      volumes.push({ kind: 'nifti', path: input, name: basename(input).replace(/\.nii(\.gz)?$/i, '') });
    } else if (info?.isDirectory()) {
      const dcm = (await readdir(input)).filter(isDicomName).sort();
      if (dcm.length > 0) volumes.push({ kind: 'dicom', path: input, name: basename(resolve(input)), files: dcm.map((f) => join(input, f)) });
      else images.push(input);
    } else {
      images.push(input);
    }
  }
  const seen = new Set<string>();
  for (const v of volumes) {
    if (seen.has(v.name)) throw new TvunetError('INVALID_OPTIONS', `two volumes would both be written as "${v.name}.*"; segment them into different --out folders`);
    seen.add(v.name);
  }
  return { volumes, images };
}

async function readInputVolume(v: VolumeInput, series: string | undefined): Promise<Volume> {
  if (v.kind === 'nifti') return readNifti(await readFile(v.path), { name: v.path });
  const files = await Promise.all(v.files!.map(async (f) => ({ name: f, bytes: await readFile(f) })));
  return readDicomSeries(files, series ? { seriesInstanceUid: series } : {});
}

/** Node worker_threads running worker/worker-node.ts from source (the CLI runs through tsx). */
function startSourceWorker(): Worker {
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const entry = new URL('../../../worker/worker-node.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`, { eval: true });
}

/** Grey 0…255 slice for overlays: HU windowed with the model's window, display values as they are. */
function displaySlice(volume: Volume, result: VolumeSegmentation, s: number, huWindow: readonly [number, number]): Float32Array {
  const raw = extractSlice(volume.data, result.layout, s);
  return volume.kind === 'hu' ? windowHounsfield(raw, huWindow) : raw;
}

async function writeVolumeOutputs(
  v: VolumeInput, volume: Volume, result: VolumeSegmentation, out: string, overlays: number, huWindow: readonly [number, number],
): Promise<string[]> {
  await writeFile(join(out, `${v.name}.labels.nii.gz`), await writeLabelNifti(result));
  await writeFile(join(out, `${v.name}.prob.nii.gz`), await writeProbabilityNifti(result));
  const ranked = result.burden.perSlice.filter((s) => s.infectedAreaMm2 > 0).sort((a, b) => b.infectedAreaMm2 - a.infectedAreaMm2 || a.index - b.index);
  const chosen = ranked.slice(0, overlays).map((s) => s.index);
  if (chosen.length === 0 && overlays > 0) chosen.push(Math.floor(result.layout.depth / 2));
  const { layout } = result;
  const written: string[] = [];
  const lungs = result.classes.find((c) => c.name === 'lungs');
  for (const s of chosen.sort((a, b) => a - b)) {
    const masks: OverlayMask[] = [];
    for (let label = 1; label < result.labelNames.length; label++) {
      const m = extractSlice(result.labels, layout, s).map((l) => (l === label ? 1 : 0));
      masks.push({ mask: m, color: COLORS[result.labelNames[label]!] ?? [230, 40, 40] });
    }
    if (lungs) masks.push({ mask: extractSlice(lungs.mask, layout, s), color: COLORS.lungs!, fillAlpha: 0, contour: true });
    const picture = renderOverlay(displaySlice(volume, result, s, huWindow), layout.width, layout.height, masks);
    const file = `${v.name}.slice-${String(s).padStart(3, '0')}.overlay.png`;
    await writeFile(join(out, file), encodePng(picture.width, picture.height, picture.data));
    written.push(file);
  }
  return written;
}

function sourceSummary(volume: Volume): Record<string, unknown> {
  if (volume.source.format === 'dicom') {
    const { fileOrder: _order, ...series } = volume.source.series;
    return { format: 'dicom', ...series };
  }
  if (volume.source.format === 'nifti') {
    const h = volume.source.header;
    return { format: 'nifti', version: h.version, datatype: h.datatype, sclSlope: h.sclSlope, sclInter: h.sclInter, qformCode: h.qformCode, sformCode: h.sformCode };
  }
  return { format: volume.source.format };
}

async function segmentVolumes(
  volumes: VolumeInput[], segmenter: Segmenter, pool: WorkerPool | null, out: string,
  opts: { threshold: number | undefined; minLesionMl: number; fillHoles: boolean; restrictToLungs: boolean | undefined; connectivity: 6 | 26; overlays: number; series: string | undefined },
): Promise<Record<string, unknown>[]> {
  const reports: Record<string, unknown>[] = [];
  const runner: SliceSegmenter = pool ?? segmenter;
  const huWindow = segmenter.manifest.input.huWindow;
  for (const v of volumes) {
    const volume = await readInputVolume(v, opts.series);
    const progress = createProgress(`segment ${v.name}`, sliceLayout(volume).depth);
    let result: VolumeSegmentation;
    try {
      result = await segmentVolume(runner, volume, {
        ...(opts.threshold !== undefined ? { threshold: opts.threshold } : {}),
        postprocess: { minLesionMl: opts.minLesionMl, fillHoles: opts.fillHoles, connectivity: opts.connectivity, ...(opts.restrictToLungs === false ? { restrictToLungs: false } : {}) },
        onProgress: ({ done, total }) => progress.update(done, { label: '', info: `${done}/${total} slices` }),
      });
    } finally {
      progress.stop();
    }
    const overlays = await writeVolumeOutputs(v, volume, result, out, opts.overlays, huWindow);
    const b = result.burden;
    console.log(
      `${v.name}: ${result.dims.join('×')} voxels, infected ${b.infectedVolumeMl.toFixed(1)} mL` +
      (b.percentInvolved !== null ? ` = ${b.percentInvolved.toFixed(1)} % of ${b.lungVolumeMl!.toFixed(0)} mL lung, severity ${b.severity!.score}/5` : '') +
      `, ${b.lesions.count} lesion(s), ${result.timings.slicesPerSecond.toFixed(2)} slices/s`,
    );
    reports.push({
      input: v.path, name: v.name, source: sourceSummary(volume),
      dims: result.dims, spacingMm: result.spacingMm, affineRas: result.affine, kind: volume.kind,
      orientation: result.layout.codes, sliceAxis: result.layout.sliceAxis,
      thresholds: Object.fromEntries(result.classes.map((c) => [c.name, c.threshold])),
      classVolumesMl: Object.fromEntries(result.classes.map((c) => [c.name, c.volumeMl])),
      infectionSource: result.infection.source, labels: result.labelNames,
      outputs: { labels: `${v.name}.labels.nii.gz`, probabilities: `${v.name}.prob.nii.gz`, overlays },
      burden: result.burden, warnings: result.warnings,
      timings: { ...result.timings, workers: pool?.size ?? 1 },
    });
  }
  return reports;
}

async function segmentImages(images: string[], segmenter: Segmenter, out: string, primary: string, threshold: number | undefined, minRegion: number, fillHoles: boolean) {
  const progress = createProgress('segment', images.length);
  const reports = [];
  for (const [i, path] of images.entries()) {
    const img = await readImageFile(path);
    const result = await segmenter.segment(
      { data: img.gray, width: img.width, height: img.height, kind: 'display' },
      { ...(threshold !== undefined ? { threshold } : {}), postprocess: { minRegionPixels: minRegion, fillHoles } },
    );
    const byName = new Map(result.classes.map((c) => [c.name, c]));
    const main = byName.get(primary)!;
    const stem = basename(path, extname(path));
    const n = img.width * img.height;
    const mask255 = Uint8Array.from(main.mask, (v) => v * 255);
    const overlays: OverlayMask[] = [{ mask: main.mask, color: COLORS[primary] ?? [230, 40, 40] }];
    const lungs = byName.get('lungs');
    if (lungs && primary !== 'lungs') overlays.push({ mask: lungs.mask, color: COLORS.lungs!, fillAlpha: 0, contour: true });
    await writeFile(join(out, `${stem}.mask.png`), encodePng(img.width, img.height, grayToRgba(mask255)));
    await writeFile(join(out, `${stem}.prob.png`), encodePng(img.width, img.height, grayToRgba(Float32Array.from(main.probabilities, (p) => p * 255))));
    const overlay = renderOverlay(img.gray, img.width, img.height, overlays);
    await writeFile(join(out, `${stem}.overlay.png`), encodePng(overlay.width, overlay.height, overlay.data));
    const infected = main.mask.reduce((a, b) => a + b, 0);
    const regions = connectedComponents2D(main.mask, img.width, img.height, { connectivity: 8 });
    const lungPixels = lungs ? lungs.mask.reduce((a, b) => a + b, 0) : null;
    const infectedInLungs = lungs ? main.mask.reduce((a, v, k) => a + (v & lungs.mask[k]!), 0) : null;
    reports.push({
      image: path, width: img.width, height: img.height, class: primary, threshold: main.threshold,
      infectedPixels: infected, infectedFraction: infected / n, regions: regions.count,
      regionSizes: regions.components.map((c) => c.size).sort((a, b) => b - a),
      lungPixels, lungInvolvementPercent: lungPixels ? (100 * infectedInLungs!) / lungPixels : null,
      otherClasses: Object.fromEntries(result.classes.filter((c) => c.name !== primary).map((c) => [c.name, { threshold: c.threshold, fraction: c.mask.reduce((a, b) => a + b, 0) / n }])),
      timingsMs: result.timings,
    });
    progress.update(i + 1, { label: '', info: stem });
  }
  progress.stop();
  if (reports.length > 0) {
    const mean = reports.reduce((a, r) => a + r.infectedFraction, 0) / reports.length;
    console.log(`segmented ${reports.length} image(s) on ${segmenter.backend.backend}: mean infected fraction ${(100 * mean).toFixed(2)} %`);
  }
  return reports;
}

export async function segmentCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, {
    out: { type: 'string' }, model: { type: 'string' }, backend: { type: 'string' }, threshold: { type: 'string' },
    class: { type: 'string' }, 'min-region': { type: 'string' }, 'fill-holes': { type: 'boolean' },
    'min-lesion-ml': { type: 'string' }, connectivity: { type: 'string' }, 'no-lung-restriction': { type: 'boolean' },
    overlays: { type: 'string' }, workers: { type: 'string' }, series: { type: 'string' },
  }, true);
  if (values.help) { console.log(SEGMENT_HELP); return; }
  if (!values.out) throw new TvunetError('INVALID_OPTIONS', 'segment needs --out DIR');
  if (positionals.length === 0) throw new TvunetError('INVALID_OPTIONS', 'no input images or volumes given');
  const { volumes, images: imageInputs } = await partitionInputs(positionals);
  const images = imageInputs.length > 0 ? await collectImages(imageInputs) : [];
  const threshold = values.threshold === undefined ? undefined : numberOption('threshold', values.threshold, 0.5, (t) => t > 0 && t < 1);
  const minRegion = numberOption('min-region', values['min-region'], 0, (n) => Number.isInteger(n) && n >= 0);
  const minLesionMl = numberOption('min-lesion-ml', values['min-lesion-ml'], 0, (n) => n >= 0);
  const connectivity = Number(choiceOption('connectivity', values.connectivity, ['6', '26'], '26')) as 6 | 26;
  const overlays = numberOption('overlays', values.overlays, 3, (n) => Number.isInteger(n) && n >= 0);
  const workersOption = values.workers === undefined ? null : values.workers === 'auto' ? 0 : numberOption('workers', values.workers, 1, (n) => Number.isInteger(n) && n >= 1 && n <= 64);
  await prepareOutputFolder(values.out);
  const { segmenter, backend, modelDir } = await createNodeSegmenter(values.model, values.backend);
  let pool: WorkerPool | null = null;
  try {
    const classNames = segmenter.manifest.classes.map((c) => c.name);
    const primary = values.class ?? classNames[0]!;
    if (!classNames.includes(primary)) throw new TvunetError('INVALID_OPTIONS', `--class ${primary}: the model has ${classNames.join(', ')}`);
    // Worker threads run WASM: by default a pool, unless this thread has tfjs-node (CUDA or native).
    const workers = workersOption ?? (segmenter.backend.backend === 'tensorflow' ? 1 : 0);
    if (volumes.length > 0 && workers !== 1) {
      const workerBackend = segmenter.backend.backend === 'cpu' ? 'cpu' : 'wasm';
      if (segmenter.backend.backend !== workerBackend) console.warn(`--workers: worker threads run ${workerBackend}, not ${segmenter.backend.backend}`);
      pool = await createWorkerPool({ model: modelDir, backend: workerBackend, createWorker: startSourceWorker, ...(workers > 0 ? { size: workers } : {}) });
    }
    const imageReports = await segmentImages(images, segmenter, values.out, primary, threshold, minRegion, values['fill-holes'] ?? false);
    const volumeReports = await segmentVolumes(volumes, segmenter, pool, values.out, {
      threshold, minLesionMl, fillHoles: values['fill-holes'] ?? false, restrictToLungs: values['no-lung-restriction'] ? false : undefined,
      connectivity, overlays, series: values.series,
    });
    const report: Record<string, unknown> = { model: modelDir, modelName: segmenter.manifest.name, backend: { ...segmenter.backend, reason: backend.reason }, images: imageReports };
    if (volumes.length > 0) report.volumes = volumeReports;
    await writeFile(join(values.out, 'report.json'), JSON.stringify(report, null, 2));
    console.log(`outputs in ${values.out}`);
  } finally {
    await pool?.close();
    segmenter.close();
  }
}
