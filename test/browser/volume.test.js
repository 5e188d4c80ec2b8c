/**
 * Volumes in Chromium through a pool of web workers, from the built bundles (models: SEEDED RANDOM
 * WEIGHTS): readVolume in a worker gives the page's readNifti voxel for voxel, a corrupt file is a
 * typed error that leaves the pool working, segmentVolume over the pool equals the page's own
 * Segmenter; listInputFiles walks dropped folders (Entries API objects built by the test, as a
 * drop cannot be synthesised with real folders); readImageStack stacks PNG slices.
 */
import { createWorkerPool } from '/dist/tvunet-worker-client.mjs';
import { CLASSES4, assert, assertEqual, ctSlice, loadUmd, randomModel, rejection } from './helpers.js';

const SMALL4 = { depth: 3, baseChannels: 4, inputSize: 64, inChannels: 1, outChannels: 4, upsampling: 'transpose' };

/** A real CT slice (grey 0…255) → HU, stacked `depth` times with a shift per slice, as an Int16 volume. */
async function ctVolume(depth) {
  const bitmap = await ctSlice();
  assert(bitmap, 'a CT slice is served (../shared/data or test/fixtures)');
  const width = 96, height = 80;
  const ctx = new OffscreenCanvas(width, height).getContext('2d');
  const hu = new Int16Array(width * height * depth);
  for (let z = 0; z < depth; z++) {
    ctx.drawImage(bitmap, -3 * z, -2 * z, width + 40, height + 40);
    const rgba = ctx.getImageData(0, 0, width, height).data;
    for (let i = 0; i < width * height; i++) hu[z * width * height + i] = Math.round((rgba[4 * i] * 1500) / 255 - 1250);
  }
  return { hu, dims: [width, height, depth] };
}

describe('volumes through a pool of web workers (seeded random weights)', function () {
  let tv, model, pool;
  before(async () => {
    tv = await loadUmd();
    model = await randomModel(tv, SMALL4, CLASSES4, 3);
    pool = await createWorkerPool({ model, backend: 'wasm', size: 2 });
  });
  after(async () => {
    await pool?.close();
  });

  it('readVolume of a .nii.gz in a worker equals readNifti in the page; a truncated file is DECODE and the pool keeps working', async () => {
    const { hu, dims } = await ctVolume(6);
    const geometry = tv.createVolume(hu, dims, { spacingMm: [0.8, 0.8, 2.5], kind: 'hu' });
    const bytes = await tv.writeNifti(hu, dims, { geometry, gzip: true });
    const local = await tv.readNifti(bytes, { name: 'ct.nii.gz' });
    const remote = await pool.readVolume({ name: 'ct.nii.gz', bytes: bytes.slice() });
    assertEqual(JSON.stringify(remote.dims), JSON.stringify(dims), 'dims');
    assertEqual(JSON.stringify(remote.spacingMm), JSON.stringify(local.spacingMm), 'spacing');
    assertEqual(JSON.stringify(remote.affine), JSON.stringify(local.affine), 'affine');
    assert(remote.data.length === local.data.length && remote.data.every((v, i) => v === local.data[i]), 'voxels equal');
    assert(remote.data.every((v, i) => v === hu[i]), 'voxels are the written HU');

    const cut = bytes.slice(0, Math.floor(bytes.length / 2));
    const e = await rejection(pool.readVolume({ name: 'cut.nii.gz', bytes: cut }), 'DECODE');
    assert(/cut\.nii\.gz/.test(e.message), `the error names the file: ${e.message}`);
    assertEqual(pool.size, 2, 'no worker lost');
    const again = await pool.readVolume({ name: 'ct.nii.gz', bytes: bytes.slice() });
    assertEqual(again.data.length, local.data.length, 'the next file reads');
  });

  it('segmentVolume over the pool (2 workers, 4 slices in flight) equals the page Segmenter: labels, masks and burden', async () => {
    const { hu, dims } = await ctVolume(7);
    const volume = tv.createVolume(hu, dims, { spacingMm: [0.8, 0.8, 2.5], kind: 'hu' });
    const options = { postprocess: { minLesionMl: 0.01, fillHoles: true, connectivity: 26 } };
    const local = await tv.Segmenter.create({ model, backend: 'wasm' });
    try {
      const want = await tv.segmentVolume(local, volume, options);
      const done = [];
      const got = await tv.segmentVolume(pool, volume, { ...options, onProgress: (p) => done.push(p.done) });
      assertEqual(pool.concurrency, 4, 'two slices queued per worker');
      assertEqual(done.join(), '1,2,3,4,5,6,7', 'progress once per slice');
      assert(got.labels.every((v, i) => v === want.labels[i]), 'labels equal');
      for (let c = 0; c < 4; c++) assert(got.classes[c].mask.every((v, i) => v === want.classes[c].mask[i]), `${want.classes[c].name} mask equal`);
      assertEqual(JSON.stringify(got.burden), JSON.stringify(want.burden), 'burden equal');
    } finally {
      local.close();
    }
  });
});

/** Entries API stand-ins: a folder tree of Files, read back in batches of 2 as Chromium reads in batches. */
function fileEntry(path, file) {
  return { name: file.name, fullPath: path, isFile: true, isDirectory: false, file: (ok) => setTimeout(() => ok(file), 0) };
}
function folderEntry(path, children) {
  return {
    name: path.split('/').pop(), fullPath: path, isFile: false, isDirectory: true,
    createReader() {
      let at = 0;
      return { readEntries: (ok) => setTimeout(() => ok(children.slice(at, (at += 2))), 0) };
    },
  };
}
const item = (entry) => ({ kind: 'file', webkitGetAsEntry: () => entry });
const file = (name) => new File([name], name);

describe('listInputFiles', () => {
  let tv;
  before(async () => {
    tv = await loadUmd();
  });

  it('walks a dropped folder tree to any depth, numeric path order, hidden files left out', async () => {
    const series = folderEntry('/study/series1', [
      fileEntry('/study/series1/IM10.dcm', file('IM10.dcm')),
      fileEntry('/study/series1/.DS_Store', file('.DS_Store')),
      fileEntry('/study/series1/IM2.dcm', file('IM2.dcm')),
      fileEntry('/study/series1/IM1.dcm', file('IM1.dcm')),
      folderEntry('/study/series1/.hidden', [fileEntry('/study/series1/.hidden/x.dcm', file('x.dcm'))]),
    ]);
    const drop = { items: [item(folderEntry('/study', [series, fileEntry('/study/DICOMDIR', file('DICOMDIR'))])), { kind: 'string' }], files: [] };
    const files = await tv.listInputFiles(drop);
    assertEqual(files.map((f) => f.name).join(), 'DICOMDIR,IM1.dcm,IM2.dcm,IM10.dcm');
  });

  it('a file picker\'s FileList (or plain files) is sorted by relative path; empty or over maxFiles is INVALID_INPUT', async () => {
    const picked = [file('10.png'), file('.DS_Store'), file('9.png')];
    assertEqual((await tv.listInputFiles(picked)).map((f) => f.name).join(), '9.png,10.png');
    await rejection(tv.listInputFiles([file('.DS_Store')]), 'INVALID_INPUT');
    await rejection(tv.listInputFiles({ items: [item(folderEntry('/empty', []))], files: [] }), 'INVALID_INPUT');
    const many = folderEntry('/many', Array.from({ length: 5 }, (_, i) => fileEntry(`/many/${i}`, file(String(i)))));
    const e = await rejection(tv.listInputFiles({ items: [item(many)], files: [] }, { maxFiles: 3 }), 'INVALID_INPUT');
    assert(/more than 3 files/.test(e.message), e.message);
  });

  it('a drop without Entries API support falls back to dataTransfer.files', async () => {
    const files = await tv.listInputFiles({ items: [{ kind: 'file' }], files: [file('b.nii.gz'), file('a.nii')] });
    assertEqual(files.map((f) => f.name).join(), 'a.nii,b.nii.gz');
  });
});

describe('readImageStack', () => {
  let tv;
  before(async () => {
    tv = await loadUmd();
  });

  /** A width×height PNG whose grey level at (x, y) is (x * 7 + y * 3 + seed) % 256, and those levels. */
  async function greyPng(name, width, height, seed) {
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d');
    const img = ctx.createImageData(width, height);
    const grey = new Float32Array(width * height);
    for (let i = 0; i < width * height; i++) {
      grey[i] = ((i % width) * 7 + Math.floor(i / width) * 3 + seed) % 256;
      img.data.set([grey[i], grey[i], grey[i], 255], 4 * i);
    }
    ctx.putImageData(img, 0, 0);
    return { file: new File([await canvas.convertToBlob({ type: 'image/png' })], name, { type: 'image/png' }), grey };
  }

  it('stacks PNG slices in the order given into a display volume with the spacing given', async () => {
    const slices = await Promise.all([0, 1, 2].map((z) => greyPng(`${z}.png`, 20, 12, 40 * z)));
    const v = await tv.readImageStack(slices.map((s) => s.file), { spacingMm: [0.7, 0.7, 5] });
    assertEqual(JSON.stringify(v.dims), '[20,12,3]', 'dims');
    assertEqual(v.kind, 'display', 'kind');
    assertEqual(JSON.stringify(v.spacingMm), '[0.7,0.7,5]', 'spacing');
    slices.forEach((s, z) => assert(s.grey.every((g, i) => v.data[z * 240 + i] === g), `slice ${z} grey levels`));
  });

  it('slices of another size are INVALID_INPUT and an undecodable file is DECODE, each naming the file', async () => {
    const a = await greyPng('a.png', 20, 12, 0), b = await greyPng('b.png', 20, 13, 0);
    const e = await rejection(tv.readImageStack([a.file, b.file]), 'INVALID_INPUT');
    assert(/b\.png is 20×13, the first image 20×12/.test(e.message), e.message);
    const bad = new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3])], 'cut.png', { type: 'image/png' });
    const d = await rejection(tv.readImageStack([a.file, bad]), 'DECODE');
    assert(/cut\.png/.test(d.message), d.message);
    await rejection(tv.readImageStack([]), 'INVALID_INPUT');
  });
});
