/**
 * Inputs and expected outputs of the example tests, built in Node with the BUILT library (dist/):
 *
 * - a CT volume: 16 consecutive real slices of one patient (Ma et al. 2020, coronacases_002,
 *   files 0200…0215 of ../shared/data/ma2020-ct-infection-256/ct), or, without the shared data,
 *   the three slices of test/fixtures/ma2020/ct (three patients: still real CT, just not one
 *   volume), written as a gzipped NIfTI. The PNGs are CLAHE-enhanced 0…255 grey, not HU; they
 *   are mapped to HU = grey / 255 · 1500 − 1250 so that the model's −1250…250 HU window gives the
 *   grey levels back.
 * - a model with SEEDED RANDOM WEIGHTS, four classes as the default model; or, for the README
 *   screenshots only (npm run examples:screenshots), a trained model folder.
 * - the same slices as a DICOM series (int16, rescale intercept −1024) and as PNG files;
 * - the expected segmentations: segmentVolume in Node on the same inputs (the NIfTI file, the
 *   DICOM series, the PNG slices stacked as the examples stack them) with the same model: the
 *   references the pages' reports are compared with.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import dcmjs from 'dcmjs';
import { PNG } from 'pngjs';
import { DEFAULT_UNET_CONFIG, Segmenter, encodeModel, loadModelFromPath, parameterSpecs, saveModelToPath } from '../../dist/tvunet.mjs';
import { createVolume, readVolume, segmentVolume, writeNifti } from '../../dist/tvunet-volume.mjs';
import { CLASSES4, randomModel as randomModelWith } from '../browser/helpers.js';

export const REPO = resolve(fileURLToPath(import.meta.url), '../../..');
const SHARED_DIR = process.env.TVUNET_SHARED_DIR ?? resolve(REPO, '../shared');
const SHARED_CT = join(SHARED_DIR, 'data/ma2020-ct-infection-256/ct');
const FIXTURE_CT = join(REPO, 'test/fixtures/ma2020/ct');

/** The real CT slices used: 16 consecutive files of one patient, else the three fixtures. */
export function ctSlicePaths() {
  const wanted = Array.from({ length: 16 }, (_, i) => join(SHARED_CT, `${String(200 + i).padStart(4, '0')}.png`));
  if (wanted.every((f) => existsSync(f))) return { source: 'shared (coronacases_002, 0200…0215)', files: wanted };
  const files = readdirSync(FIXTURE_CT).filter((f) => f.endsWith('.png')).sort().map((f) => join(FIXTURE_CT, f));
  return { source: 'test/fixtures/ma2020/ct (3 slices, 3 patients)', files };
}

/** The same spacing as a typical chest CT resampled to 256²: 1.4 mm in plane, 5 mm slices. */
export const SPACING_MM = [1.4, 1.4, 5];

function greyOf(file) {
  const png = PNG.sync.read(readFileSync(file));
  const grey = new Float32Array(png.width * png.height);
  for (let i = 0; i < grey.length; i++) grey[i] = png.data[4 * i]; // 8-bit grey → RGBA, R = grey
  return { grey, width: png.width, height: png.height };
}

/** Seeded random weights, four classes as the default model: the browser tests' generator. */
function randomModel(seed) {
  return randomModelWith({ parameterSpecs, encodeModel }, { ...DEFAULT_UNET_CONFIG, outChannels: 4 }, CLASSES4, seed);
}

/**
 * One slice as a DICOM CT image (Part 10, explicit VR little endian, written by dcmjs as in
 * test/node/volume-fixtures.ts): stored = HU + 1024, RescaleIntercept −1024, as scanners do.
 */
function dicomSlice({ hu, width, height, z }) {
  const stored = Int16Array.from(hu, (v) => Math.round(v) + 1024);
  const dataset = {
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.2', SOPInstanceUID: `2.25.3000${z}`, StudyInstanceUID: '2.25.1000', SeriesInstanceUID: '2.25.2000',
    Modality: 'CT', SeriesDescription: 'tvunet example test', InstanceNumber: z + 1, Rows: height, Columns: width,
    BitsAllocated: 16, BitsStored: 16, HighBit: 15, PixelRepresentation: 1, SamplesPerPixel: 1, PhotometricInterpretation: 'MONOCHROME2',
    RescaleSlope: '1', RescaleIntercept: '-1024',
    ImagePositionPatient: [0, 0, z * SPACING_MM[2]], ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
    PixelSpacing: [SPACING_MM[1], SPACING_MM[0]], SliceThickness: SPACING_MM[2],
    PixelData: stored.buffer, _vrMap: { PixelData: 'OW' }, _meta: {},
  };
  return new Uint8Array(dcmjs.data.datasetToBuffer(dataset));
}

/** The examples' POSTPROCESS: Node's reference must use the same options. */
export const POSTPROCESS = { minLesionMl: 0.1, fillHoles: true, connectivity: 26 };

/**
 * Writes into `dir`: `ct.nii.gz` (the volume), `dicom/*.dcm` and `slices/*.png` (its slices as
 * DICOM and PNG), `model/` (random weights, unless `trainedModelDir` is given); returns the paths, the volumes, and the expected
 * segmentations computed in Node (WASM backend, as the pages use in Chromium).
 */
export async function buildFixture(dir, { seed = 7, trainedModelDir = null } = {}) {
  const { source, files } = ctSlicePaths();
  const slices = files.map(greyOf);
  const { width, height } = slices[0];
  const depth = slices.length;
  const hu = new Float32Array(width * height * depth);
  // PNG rows run top to bottom; createVolume's default axes (x → Left, y → Posterior) display a
  // stack of axial images as they are seen, so voxel (x, y, z) = pixel (x, y) of slice z.
  slices.forEach((s, z) => {
    for (let i = 0; i < width * height; i++) hu[z * width * height + i] = (s.grey[i] / 255) * 1500 - 1250;
  });
  const geometry = createVolume(hu, [width, height, depth], { spacingMm: SPACING_MM, kind: 'hu' });
  // int16 as scanners store HU (values are rounded: the expected result is computed from the file's voxels).
  const niftiBytes = await writeNifti(Int16Array.from(hu, Math.round), [width, height, depth], { geometry, gzip: true, description: 'tvunet example test CT' });
  mkdirSync(dir, { recursive: true });
  const niftiPath = join(dir, 'ct.nii.gz');
  writeFileSync(niftiPath, niftiBytes);
  const pngDir = join(dir, 'slices');
  mkdirSync(pngDir, { recursive: true });
  const pngPaths = files.map((f, z) => {
    const p = join(pngDir, `slice-${String(z).padStart(3, '0')}.png`);
    writeFileSync(p, readFileSync(f));
    return p;
  });
  const dicomDir = join(dir, 'dicom');
  mkdirSync(dicomDir, { recursive: true });
  const dicomFiles = slices.map((_, z) => ({
    name: `IM${String(z).padStart(4, '0')}.dcm`,
    bytes: dicomSlice({ hu: hu.subarray(z * width * height, (z + 1) * width * height), width, height, z }),
  }));
  const dicomPaths = dicomFiles.map((f) => {
    const p = join(dicomDir, f.name);
    writeFileSync(p, f.bytes);
    return p;
  });
  writeFileSync(join(dicomDir, '.DS_Store'), 'Bud1 junk a folder picker also returns'); // for the folder picker test

  let model, modelDir;
  if (trainedModelDir) {
    modelDir = resolve(trainedModelDir);
    model = await loadModelFromPath(modelDir);
  } else {
    model = await randomModel(seed);
    modelDir = join(dir, 'model');
    await saveModelToPath(modelDir, model);
  }

  // The references: the library in Node reading the same NIfTI file, and stacking the same PNGs
  // as the examples do (0…255 'display' volume, 1 mm voxels, see PNG_SPACING_MM in the examples).
  const volume = await readVolume({ name: 'ct.nii.gz', bytes: niftiBytes });
  const grey = new Float32Array(hu.length);
  slices.forEach((s, z) => grey.set(s.grey, z * width * height));
  const pngVolume = createVolume(grey, [width, height, depth], { kind: 'display', spacingMm: [1, 1, 1] });
  const segmenter = await Segmenter.create({ model, backend: 'wasm' });
  const dicomVolume = await readVolume(dicomFiles);
  const run = (v) => segmentVolume(segmenter, v, { postprocess: POSTPROCESS, keepProbabilities: 'none' });
  let expected, expectedPng, expectedDicom;
  try {
    expected = await run(volume);
    expectedPng = await run(pngVolume);
    expectedDicom = await run(dicomVolume);
  } finally {
    segmenter.close();
  }
  return { source, niftiPath, pngPaths, dicomPaths, dicomDir, modelDir, modelName: model.manifest.name, volume, expected, expectedPng, expectedDicom };
}
