/**
 * Volume input and output: NIfTI volumes built from stacks of real CT slices in every supported
 * datatype, gzip and not, checked against nifti-reader-js; geometry (sform, qform, units); DICOM
 * series written with dcmjs from the same slices in shuffled file order; and bad files, each
 * refused with a TvunetError naming the problem before anything big is allocated.
 */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { before, describe, it } from 'node:test';
import * as nifti from 'nifti-reader-js';
import {
  createVolume, encodeNifti, extractSlice, niftiAffine, orientationCodes, readDicomSeries, readNifti, readVolume,
  sliceLayout, writeNifti, type Affine, type NiftiDatatype, type NiftiPixelArray, type Volume,
} from '../../src/volume/index.js';
import { displayToHu, dicomSlice, loadCtStack, rejectsWithCode, shuffled, type CtStack } from './volume-fixtures.js';

const f32 = Math.fround;

function niftiHeaderOf(bytes: Uint8Array): { header: nifti.NIFTI1; image: ArrayBuffer } {
  let buffer: ArrayBuffer = bytes.slice().buffer;
  if (nifti.isCompressed(buffer)) buffer = nifti.decompress(buffer) as ArrayBuffer;
  assert.ok(nifti.isNIFTI1(buffer), 'nifti-reader-js sees a NIfTI-1 file');
  const header = nifti.readHeader(buffer) as nifti.NIFTI1;
  return { header, image: nifti.readImage(header, buffer) };
}

function closeAffine(a: Affine, b: Affine, tol: number, what: string): void {
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) assert.ok(Math.abs(a[r]![c]! - b[r]![c]!) <= tol, `${what}[${r}][${c}]: ${a[r]![c]} vs ${b[r]![c]}`);
}

/** Stored values + scaling for each datatype, so that stored × slope + inter = HU of the stack. */
function storedFor(type: NiftiDatatype, display: Uint8Array): { data: NiftiPixelArray; slope: number; inter: number } {
  const n = display.length, k = 1500 / 255;
  const hu = (i: number) => displayToHu(display[i]!);
  switch (type) {
    case 'uint8': return { data: Uint8Array.from(display), slope: k, inter: -1250 };
    case 'int8': return { data: Int8Array.from(display, (v) => v - 128), slope: k, inter: -1250 + 128 * k };
    case 'int16': return { data: Int16Array.from({ length: n }, (_, i) => hu(i)), slope: 1, inter: 0 };
    case 'uint16': return { data: Uint16Array.from({ length: n }, (_, i) => hu(i) + 1300), slope: 1, inter: -1300 };
    case 'int32': return { data: Int32Array.from({ length: n }, (_, i) => 2 * hu(i)), slope: 0.5, inter: 0 };
    case 'uint32': return { data: Uint32Array.from({ length: n }, (_, i) => hu(i) + 2000), slope: 1, inter: -2000 };
    case 'float32': return { data: Float32Array.from(display, (v) => v * k - 1250), slope: 0, inter: 0 }; // slope 0: no scaling
    case 'float64': return { data: Float64Array.from(display, (v) => v * k - 1250.5), slope: 1, inter: 0.5 };
  }
}

const CODES: Record<NiftiDatatype, number> = { uint8: 2, int8: 256, int16: 4, uint16: 512, int32: 8, uint32: 768, float32: 16, float64: 64 };

describe('NIfTI volumes from a stack of real CT slices', () => {
  let stack: CtStack;
  let geometry: Volume;
  before(async () => {
    stack = await loadCtStack(10);
    geometry = createVolume(new Float32Array(stack.display.length), [stack.width, stack.height, stack.depth], { spacingMm: [0.68, 0.68, 5] });
  });

  for (const type of ['uint8', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'] as NiftiDatatype[]) {
    for (const gz of [false, true]) {
      it(`${type}${gz ? ', .nii.gz' : ', .nii'}: header read by nifti-reader-js, HU after scl_slope/scl_inter, voxel by voxel`, async () => {
        const { data, slope, inter } = storedFor(type, stack.display);
        const dims: [number, number, number] = [stack.width, stack.height, stack.depth];
        const bytes = await writeNifti(data, dims, { geometry, sclSlope: slope, sclInter: inter, description: `stack ${type}`, gzip: gz });
        assert.equal(bytes[0] === 0x1f && bytes[1] === 0x8b, gz, 'gzip magic iff gz');

        // The header as another reader sees it.
        const { header, image } = niftiHeaderOf(bytes);
        assert.deepEqual(header.dims.slice(0, 4), [3, ...dims]);
        assert.equal(header.datatypeCode, CODES[type]);
        assert.equal(header.numBitsPerVoxel, data.BYTES_PER_ELEMENT * 8);
        assert.equal(header.vox_offset, 352);
        assert.equal(header.scl_slope, f32(slope));
        assert.equal(header.scl_inter, f32(inter));
        assert.equal(header.magic, 'n+1');
        assert.equal(header.littleEndian, true);
        assert.deepEqual(header.pixDims.slice(1, 4), [f32(0.68), f32(0.68), 5]);
        assert.equal(header.sform_code, 1);
        assert.equal(header.qform_code, 1);
        assert.equal(header.xyzt_units & 7, 2, 'mm');
        assert.equal(header.description, `stack ${type}`);
        assert.equal(image.byteLength, data.byteLength);
        assert.deepEqual(new Uint8Array(image), new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 'stored bytes');
        const qform = header.convertNiftiQFormToNiftiSForm(header.quatern_b, header.quatern_c, header.quatern_d, header.qoffset_x, header.qoffset_y, header.qoffset_z, header.pixDims[1]!, header.pixDims[2]!, header.pixDims[3]!, header.pixDims[0]!);
        closeAffine(qform, geometry.affine, 1e-6, 'qform (nifti-reader-js) vs affine');

        // Our reader.
        const v = await readNifti(bytes, { name: `stack.${type}` });
        assert.deepEqual(v.dims, dims);
        assert.equal(v.kind, 'hu');
        assert.equal(v.source.format, 'nifti');
        closeAffine(v.affine, geometry.affine, 1e-6, 'affine');
        assert.deepEqual(v.spacingMm.map((s) => f32(s)), [f32(0.68), f32(0.68), 5]);
        const [s, b] = slope === 0 ? [1, 0] : [f32(slope), f32(inter)];
        for (let i = 0; i < data.length; i++) {
          if (v.data[i] !== f32(data[i]! * s + b)) assert.fail(`voxel ${i}: ${v.data[i]} vs ${f32(data[i]! * s + b)}`);
        }
        // Same HU as the slices, up to the rounding of the stored type.
        const tol = type === 'uint8' || type === 'int8' || type.startsWith('float') ? 1e-3 : 0.5 + 1e-3;
        for (let i = 0; i < data.length; i += 101) assert.ok(Math.abs(v.data[i]! - ((stack.display[i]! * 1500) / 255 - 1250)) <= tol, `HU at ${i}`);
      });
    }
  }

  it('kind "auto": display values (0…255) give kind "display", HU give "hu"; kind can be forced', async () => {
    const dims: [number, number, number] = [stack.width, stack.height, stack.depth];
    const plain = encodeNifti(stack.display, dims, { geometry });
    assert.equal((await readNifti(plain)).kind, 'display');
    assert.equal((await readNifti(plain, { kind: 'hu' })).kind, 'hu');
    const hu = encodeNifti(Int16Array.from(stack.display, displayToHu), dims, { geometry });
    assert.equal((await readNifti(hu)).kind, 'hu');
  });

  it('reads an unaligned view (Uint8Array at an odd byte offset) and readVolume picks NIfTI by name or magic', async () => {
    const bytes = encodeNifti(Int16Array.from(stack.display, displayToHu), [stack.width, stack.height, stack.depth], { geometry });
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    const view = padded.subarray(3);
    const a = await readNifti(view);
    const b = await readVolume({ name: 'no-extension', bytes: view });
    const c = await readVolume([{ name: 'x.nii', bytes }]);
    assert.deepEqual(a.data, b.data);
    assert.deepEqual(a.data, c.data);
    assert.equal(a.data[12345], displayToHu(stack.display[12345]!));
  });
});

describe('NIfTI geometry', () => {
  const dims: [number, number, number] = [6, 5, 4];
  const data = Int16Array.from({ length: 120 }, (_, i) => i - 60);
  // Rotated 30° about z, x and y flipped (an RAS-stored, oblique volume), anisotropic voxels.
  const c = Math.cos(Math.PI / 6), s = Math.sin(Math.PI / 6);
  const oblique: Affine = [
    [0.8 * c, -0.9 * s, 0, -100.5],
    [0.8 * s, 0.9 * c, 0, 20.25],
    [0, 0, 2.5, -300],
    [0, 0, 0, 1],
  ];

  it('an oblique affine is written to sform and qform alike and read back', async () => {
    const v = createVolume(data, dims, { affine: oblique });
    const bytes = encodeNifti(data, dims, { geometry: v });
    const { header } = niftiHeaderOf(bytes);
    const q = header.convertNiftiQFormToNiftiSForm(header.quatern_b, header.quatern_c, header.quatern_d, header.qoffset_x, header.qoffset_y, header.qoffset_z, header.pixDims[1]!, header.pixDims[2]!, header.pixDims[3]!, header.pixDims[0]!);
    closeAffine(q, oblique, 1e-5, 'qform');
    const back = await readNifti(bytes);
    closeAffine(back.affine, oblique, 1e-5, 'sform');
    assert.deepEqual(back.spacingMm.map((x) => Number(x.toFixed(5))), [0.8, 0.9, 2.5]);
    assert.deepEqual(orientationCodes(back.affine), ['R', 'A', 'S']);
  });

  it('sform preferred over qform; qform used when sform_code is 0; pixdim scaling when both are 0; metres converted to mm', async () => {
    const v = createVolume(data, dims, { affine: oblique });
    const bytes = encodeNifti(data, dims, { geometry: v });
    const view = new DataView(bytes.buffer);
    // Make the qform disagree (identity rotation): the sform must still win.
    view.setFloat32(256, 0, true); view.setFloat32(260, 0, true); view.setFloat32(264, 0, true);
    closeAffine((await readNifti(bytes)).affine, oblique, 1e-5, 'sform wins');
    view.setInt16(254, 0, true); // sform_code 0 → the (now identity-rotation) qform
    const q = (await readNifti(bytes)).affine;
    closeAffine(q, [[0.8, 0, 0, -100.5], [0, 0.9, 0, 20.25], [0, 0, 2.5, -300], [0, 0, 0, 1]], 1e-5, 'qform');
    view.setInt16(252, 0, true); // both 0 → method 1
    closeAffine((await readNifti(bytes)).affine, [[0.8, 0, 0, 0], [0, 0.9, 0, 0], [0, 0, 2.5, 0], [0, 0, 0, 1]], 1e-5, 'pixdim');
    view.setInt16(254, 1, true);
    view.setUint8(123, 1); // metres
    const m = await readNifti(bytes);
    assert.ok(Math.abs(m.spacingMm[2] - 2500) < 1e-2, `metres → mm: ${m.spacingMm}`);
  });
});

/** A NIfTI-2 file written field by field (540-byte header, voxels at 544), little endian. */
function nifti2(data: Int16Array, dims: [number, number, number], srow: number[][], opts: { sclSlope?: number; sclInter?: number } = {}): Uint8Array {
  const out = new Uint8Array(544 + data.byteLength);
  const v = new DataView(out.buffer);
  v.setInt32(0, 540, true);
  [0x6e, 0x2b, 0x32, 0, 0x0d, 0x0a, 0x1a, 0x0a].forEach((b, i) => v.setUint8(4 + i, b)); // "n+2\0\r\n\032\n"
  v.setInt16(12, 4, true); // int16
  v.setInt16(14, 16, true);
  [3, ...dims, 1, 1, 1, 1].forEach((d, i) => v.setBigInt64(16 + 8 * i, BigInt(d), true));
  [1, ...srow.map((r, i) => Math.abs(r[i]!)), 0, 0, 0, 0].forEach((p, i) => v.setFloat64(104 + 8 * i, p, true));
  v.setBigInt64(168, 544n, true);
  v.setFloat64(176, opts.sclSlope ?? 1, true);
  v.setFloat64(184, opts.sclInter ?? 0, true);
  v.setInt32(348, 1, true); // sform_code
  srow.forEach((r, i) => r.forEach((x, j) => v.setFloat64(400 + 32 * i + 8 * j, x, true)));
  v.setInt32(500, 2, true); // mm
  new Int16Array(out.buffer, 544).set(data);
  return out;
}

describe('NIfTI-2', () => {
  it('reads a NIfTI-2 file (int64 dims, float64 sform, scl_slope/scl_inter), plain and gzipped', async () => {
    const dims: [number, number, number] = [7, 5, 3];
    const data = Int16Array.from({ length: 105 }, (_, i) => 3 * i - 100);
    const srow = [[-0.75, 0, 0, 12.5], [0, -0.8, 0, -3], [0, 0, 2, 40]];
    const bytes = nifti2(data, dims, srow, { sclSlope: 2, sclInter: -1024 });
    for (const input of [bytes, gzipSync(bytes)]) {
      const v = await readNifti(input, { name: 'v2.nii' });
      assert.deepEqual(v.dims, dims);
      assert.equal(v.source.format === 'nifti' && v.source.header.version, 2);
      closeAffine(v.affine, [...srow, [0, 0, 0, 1]], 1e-12, 'NIfTI-2 sform');
      assert.deepEqual(Array.from(v.data), Array.from(data, (x) => 2 * x - 1024));
    }
    await rejectsWithCode(readNifti(bytes.subarray(0, 500), { name: 'short2.nii' }), 'DECODE', /short2\.nii: 500 bytes is too short for a NIfTI-2 header/);
    // Written back as NIfTI-1 with the same geometry.
    const v = await readNifti(bytes);
    const back = await readNifti(encodeNifti(Int16Array.from(v.data), dims, { geometry: v }));
    closeAffine(back.affine, v.affine, 1e-6, 'NIfTI-2 → NIfTI-1 sform');
  });
});

/** Builds a DICOM series of the stack: HU = displayToHu(grey), one file per slice. */
function series(stack: CtStack, opts: {
  seed?: number; unsigned?: boolean; flipRows?: boolean; reverseZ?: boolean; modality?: (k: number) => string;
  rows?: (k: number) => number; skip?: number[]; duplicate?: number; seriesUid?: (k: number) => string;
} = {}): { files: { name: string; bytes: Uint8Array }[]; positions: number[] } {
  const { width: W, height: H, depth: D } = stack;
  const files: { name: string; bytes: Uint8Array }[] = [];
  const positions: number[] = [];
  for (let k = 0; k < D; k++) {
    if (opts.skip?.includes(k)) continue;
    const rows = opts.rows?.(k) ?? H;
    // Row r of the file holds image row (flipRows ? H-1-r : r); ImageOrientationPatient says which way rows run.
    const hu = new Int32Array(W * rows);
    for (let r = 0; r < rows; r++) for (let c = 0; c < W; c++) {
      const src = opts.flipRows ? H - 1 - r : r;
      hu[r * W + c] = displayToHu(stack.display[k * W * H + Math.min(src, H - 1) * W + c]!);
    }
    // Per-slice rescale: alternate intercepts and, for unsigned, slope 0.5 with garbage in bits 12…15.
    const intercept = opts.unsigned ? (k % 2 === 0 ? -1300 : -1280) : k % 2 === 0 ? -1024 : -1000;
    let pixels: Int16Array | Uint16Array;
    let slope = 1, bitsStored = 16;
    if (opts.unsigned) {
      slope = 0.5;
      bitsStored = 12;
      pixels = Uint16Array.from(hu, (h) => (((h - intercept) / slope) & 0x0fff) | 0xa000);
    } else {
      pixels = Int16Array.from(hu, (h) => h - intercept);
    }
    const z = opts.reverseZ ? 40 - 2.5 * k : -60 + 2.5 * k;
    const y0 = opts.flipRows ? 100 + (H - 1) * 0.75 : 100;
    positions.push(z);
    const bytes = dicomSlice({
      rows, columns: W, pixels, slope, intercept, bitsStored,
      position: [-90.5, y0, k === opts.duplicate ? (opts.reverseZ ? 40 : -60) : z],
      orientation: opts.flipRows ? [1, 0, 0, 0, -1, 0] : [1, 0, 0, 0, 1, 0],
      pixelSpacing: [0.75, 0.7],
      modality: opts.modality?.(k), seriesUid: opts.seriesUid?.(k),
      instanceNumber: D - k, sopUid: `2.25.3000${k}`,
    });
    files.push({ name: `slice-${k}.dcm`, bytes });
  }
  return { files: opts.seed === undefined ? files : shuffled(files, opts.seed), positions };
}

describe('DICOM series (written with dcmjs from the same real slices)', () => {
  let stack: CtStack;
  before(async () => {
    stack = await loadCtStack(10);
  });

  const huSlice = (k: number) => Int32Array.from(stack.display.subarray(k * stack.width * stack.height, (k + 1) * stack.width * stack.height), displayToHu);

  it('shuffled files are ordered by ImagePositionPatient along the normal, signed pixels with per-slice RescaleIntercept → exact HU', () => {
    const { files } = series(stack, { seed: 3 });
    const v = readDicomSeries(files);
    const { width: W, height: H, depth: D } = stack;
    assert.deepEqual(v.dims, [W, H, D]);
    assert.equal(v.kind, 'hu');
    assert.deepEqual(v.spacingMm.map((x) => Number(x.toFixed(6))), [0.7, 0.75, 2.5]);
    assert.equal(v.source.format, 'dicom');
    if (v.source.format !== 'dicom') return;
    assert.deepEqual(v.source.series.fileOrder.map((i) => files[i]!.name), Array.from({ length: D }, (_, k) => `slice-${k}.dcm`));
    assert.equal(v.source.series.rescaleVaries, true);
    assert.ok(!('PatientName' in v.source.series) && !JSON.stringify(v.source.series).includes('Phantom'), 'no patient name in the series info');
    for (let k = 0; k < D; k++) assert.deepEqual(Int32Array.from(v.data.subarray(k * W * H, (k + 1) * W * H)), huSlice(k), `slice ${k}`);
    // LPS (-90.5, 100, -60) with x → L, y → P: in RAS the first two rows are negated.
    closeAffine(v.affine, [[-0.7, 0, 0, 90.5], [0, -0.75, 0, -100], [0, 0, 2.5, -60], [0, 0, 0, 1]], 1e-9, 'affine');
    assert.equal(orientationCodes(v.affine).join(''), 'LPS');
  });

  it('unsigned 12-bit stored values (high bits set) with RescaleSlope 0.5, and rows running anterior with z descending: same radiological slices', () => {
    const { files } = series(stack, { seed: 9, unsigned: true, flipRows: true, reverseZ: true });
    const v = readDicomSeries(files);
    const { width: W, height: H, depth: D } = stack;
    assert.deepEqual(v.dims, [W, H, D]);
    // z runs up along the normal: the normal of (x, -y) is -z, so slice 0 is the most superior (k = 0).
    assert.equal(orientationCodes(v.affine).join(''), 'LAI');
    const layout = sliceLayout(v);
    assert.equal(layout.sliceAxis, 2);
    assert.equal(layout.flipRows, true);
    for (let k = 0; k < D; k++) {
      const s = extractSlice(v.data, layout, k);
      assert.deepEqual(Int32Array.from(s), huSlice(k), `radiological slice ${k} = the original image`);
    }
  });

  it('refuses a gap (missing slice), duplicates, mixed sizes, non-CT, several series, non-DICOM bytes: TvunetErrors naming the problem', async () => {
    await rejectsWithCode(() => readDicomSeries(series(stack, { seed: 1, skip: [4] }).files), 'INVALID_INPUT', /missing slice\(s\): a gap of 5\.00 mm .* 2\.50 mm apart \(about 1 slice\(s\) missing\)/);
    await rejectsWithCode(() => readDicomSeries(series(stack, { seed: 1, duplicate: 5 }).files), 'INVALID_INPUT', /same position/);
    await rejectsWithCode(() => readDicomSeries(series(stack, { rows: (k) => (k === 6 ? stack.height - 2 : stack.height) }).files), 'INVALID_INPUT', /mixed slice sizes: .* is 256×256, slice-6\.dcm is 256×254/);
    await rejectsWithCode(() => readDicomSeries(series(stack, { modality: (k) => (k === 2 ? 'MR' : 'CT') }).files), 'INVALID_INPUT', /slice-2\.dcm: modality "MR" is not CT/);
    await rejectsWithCode(() => readDicomSeries(series(stack, { seriesUid: (k) => (k < 3 ? '2.25.7' : '2.25.8') }).files), 'INVALID_INPUT', /2 series \(2\.25\.7: 3 file\(s\); 2\.25\.8: 7 file\(s\)\)/);
    const picked = readDicomSeries(series(stack, { seriesUid: (k) => (k < 3 ? '2.25.7' : '2.25.8') }).files, { seriesInstanceUid: '2.25.8' });
    assert.equal(picked.dims[2], 7);
    await rejectsWithCode(() => readDicomSeries([{ name: 'notes.dcm', bytes: new TextEncoder().encode('not a dicom file at all').buffer }]), 'DECODE', /notes\.dcm: not a readable DICOM file/);
    const { files } = series(stack);
    const cut = files[3]!.bytes.subarray(0, files[3]!.bytes.length - 5000);
    await rejectsWithCode(() => readDicomSeries([...files.slice(0, 3), { name: 'cut.dcm', bytes: cut }, ...files.slice(4)]), 'DECODE', /cut\.dcm/);
    await rejectsWithCode(() => readDicomSeries(files.slice(0, 4), { maxVoxels: 1000 }), 'INVALID_INPUT', /over the limit of 1000/);
  });
});

describe('bad NIfTI files: typed errors before allocating', () => {
  const dims: [number, number, number] = [32, 32, 8];
  const good = () => encodeNifti(Int16Array.from({ length: 32 * 32 * 8 }, (_, i) => (i % 2000) - 1000), dims);

  it('truncated and corrupt .nii.gz → DECODE', async () => {
    const gz = gzipSync(good());
    await rejectsWithCode(readNifti(gz.subarray(0, gz.length >> 1), { name: 'half.nii.gz' }), 'DECODE', /half\.nii\.gz: (corrupt or truncated gzip|truncated)/);
    await rejectsWithCode(readNifti(gz.subarray(0, 20), { name: 'stub.nii.gz' }), 'DECODE', /stub\.nii\.gz/);
    const corrupt = Uint8Array.from(gz);
    for (let i = 40; i < corrupt.length - 8; i += 53) corrupt[i]! ^= 0x5a;
    await rejectsWithCode(readNifti(corrupt, { name: 'corrupt.nii.gz' }), 'DECODE', /corrupt\.nii\.gz/);
  });

  it('truncated .nii → DECODE naming the declared and actual sizes', async () => {
    const bytes = good();
    await rejectsWithCode(readNifti(bytes.subarray(0, 5000), { name: 'cut.nii' }), 'DECODE', /cut\.nii: truncated or inconsistent: .* 32×32×8 int16 .* 16736 bytes, but the file has 5000/);
    await rejectsWithCode(readNifti(bytes.subarray(0, 200), { name: 'tiny.nii' }), 'DECODE', /too short for a NIfTI header/);
  });

  it('dims ≤ 0, 4D, unsupported datatype, not NIfTI → typed errors', async () => {
    const zero = good();
    new DataView(zero.buffer).setInt16(44, 0, true); // dim[2] = 0
    await rejectsWithCode(readNifti(zero, { name: 'zero.nii' }), 'DECODE', /dimensions must be positive, header has dim = \[3, 32, 0, 8/);
    const negative = good();
    new DataView(negative.buffer).setInt16(42, -5, true);
    await rejectsWithCode(readNifti(negative), 'DECODE', /dimensions must be positive/);
    const fourD = good();
    const v4 = new DataView(fourD.buffer);
    v4.setInt16(40, 4, true);
    v4.setInt16(48, 3, true);
    await rejectsWithCode(readNifti(fourD, { name: 'fmri.nii' }), 'INVALID_INPUT', /4D image with 3 volumes/);
    const rgb = good();
    new DataView(rgb.buffer).setInt16(70, 128, true);
    await rejectsWithCode(readNifti(rgb), 'DECODE', /datatype 128 \(rgb24\) is not supported/);
    await rejectsWithCode(readNifti(new Uint8Array(1000).fill(7), { name: 'noise.bin' }), 'DECODE', /noise\.bin: not a NIfTI file/);
  });

  it('a header claiming 2 GiB: refused from the byte length (.nii) or the voxel limit (.nii.gz) before allocating', async () => {
    const huge = good().slice(0, 352 + 1024);
    const v = new DataView(huge.buffer);
    v.setInt16(42, 2048, true);
    v.setInt16(44, 2048, true);
    v.setInt16(46, 256, true); // 2048×2048×256 int16 = 2 GiB
    const before = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    await rejectsWithCode(readNifti(huge, { name: 'huge.nii' }), 'DECODE', /huge\.nii: truncated or inconsistent: the header declares 2048×2048×256 int16 \(2048\.0 MiB\)/);
    await rejectsWithCode(readNifti(gzipSync(huge), { name: 'huge.nii.gz' }), 'INVALID_INPUT', /huge\.nii\.gz: the header declares 2048×2048×256 int16 .* over the limit of 268435456 \(maxVoxels\)/);
    await rejectsWithCode(readNifti(gzipSync(good()), { maxVoxels: 1000 }), 'INVALID_INPUT', /over the limit of 1000/);
    assert.ok(performance.now() - t0 < 2000, 'refused quickly');
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 2 ** 20, 'no large allocation');
  });
});
