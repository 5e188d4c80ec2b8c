/**
 * The bad-input corpus, generated at test time from the committed fixtures (nothing binary is
 * committed here): broken slices, images, CT volumes and models. Each entry says which
 * TvunetError code it must produce and what the message must name. Used by
 * test/node/bad-input.test.ts (library, worker_thread, CLI) and, for the slices, mirrored in
 * test/browser/bad-input.test.js.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync, gzipSync } from 'node:zlib';
import type { TvunetErrorCode } from '../../src/errors.js';
import { encodeNifti } from '../../src/io/nifti.js';
import type { EncodedModel } from '../../src/io/manifest.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = resolve(HERE, '../fixtures');
export const GOOD_JPG = join(FIXTURES, 'covid-semiseg/Imgs/3.jpg');
export const GOOD_PNG = join(FIXTURES, 'covid-semiseg/GT/3.png');

/** Something passed to `segment()` directly (typed arrays in memory, options). */
export interface SliceCase {
  id: string;
  kind: 'slice';
  input: unknown;
  options?: Record<string, unknown>;
  code: TvunetErrorCode;
  message: RegExp;
  /** Cannot be structured-cloned to a worker (the client reports that with this code instead). */
  notClonable?: boolean;
}

/** A file, as the CLI and `readVolume` / `decodeImage` get it. */
export interface FileCase {
  id: string;
  kind: 'file';
  format: 'png' | 'jpg' | 'nifti' | 'dicom' | 'other';
  name: string;
  bytes: Uint8Array;
  code: TvunetErrorCode;
  message: RegExp;
}

/** A model as { manifest, shards } (the CLI gets it as a folder). `shards` may miss files. */
export interface ModelCase {
  id: string;
  kind: 'model';
  manifest: unknown;
  /** Written beside the manifest as `manifest.shards[i].path`; `null` = the file is missing. */
  shards: (Uint8Array | null)[];
  /** Raw manifest text instead of JSON.stringify(manifest). */
  manifestText?: string;
  code: TvunetErrorCode;
  message: RegExp;
}

export type CorpusCase = SliceCase | FileCase | ModelCase;

// ---------------------------------------------------------------- byte helpers

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A PNG from chunks with valid CRCs (so only the field under test is wrong). */
function pngFromChunks(chunks: [string, Uint8Array][]): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])];
  for (const [type, data] of chunks) {
    const head = new Uint8Array(8);
    new DataView(head.buffer).setUint32(0, data.length);
    head.set(Buffer.from(type, 'latin1'), 4);
    const body = new Uint8Array(4 + data.length);
    body.set(head.subarray(4), 0);
    body.set(data, 4);
    const crc = new Uint8Array(4);
    new DataView(crc.buffer).setUint32(0, crc32(body));
    parts.push(head, data, crc);
  }
  return Buffer.concat(parts);
}

export function ihdr(width: number, height: number, bitDepth = 8, colorType = 0): Uint8Array {
  const d = new Uint8Array(13);
  const v = new DataView(d.buffer);
  v.setUint32(0, width >>> 0);
  v.setUint32(4, height >>> 0);
  d[8] = bitDepth;
  d[9] = colorType;
  return d;
}

/** A tiny valid grey PNG (w×h) with a real IDAT. */
export function tinyPng(width: number, height: number, header = ihdr(width, height)): Uint8Array {
  const raw = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) raw[y * (width + 1) + 1 + x] = (x * 17 + y * 31) & 0xff;
  return pngFromChunks([['IHDR', header], ['IDAT', deflateSync(raw)], ['IEND', new Uint8Array(0)]]);
}

/** Flips bits at a regular stride from `start`. */
function bitFlip(bytes: Uint8Array, start: number, stride: number, mask = 0x5a): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = start; i < out.length - 4; i += stride) out[i]! ^= mask;
  return out;
}

/** Rewrites the first SOFn frame header of a JPEG (height, width). */
function jpegWithSize(jpg: Uint8Array, width: number, height: number): Uint8Array {
  const out = Uint8Array.from(jpg);
  for (let i = 2; i < out.length - 9; ) {
    if (out[i] !== 0xff) throw new Error('corpus: unexpected JPEG layout');
    const marker = out[i + 1]!;
    const len = (out[i + 2]! << 8) | out[i + 3]!;
    if (marker >= 0xc0 && marker <= 0xc3) {
      out[i + 5] = height >> 8;
      out[i + 6] = height & 0xff;
      out[i + 7] = width >> 8;
      out[i + 8] = width & 0xff;
      return out;
    }
    i += 2 + len;
  }
  throw new Error('corpus: no SOF marker');
}

/** A NIfTI-1 header + voxels, then one int16/float field of the header overwritten. */
function niftiWith(patch: (v: DataView) => void, data: Int16Array | Float32Array = new Int16Array(4 * 4 * 2).fill(-800), dims: [number, number, number] = [4, 4, 2]): Uint8Array {
  const bytes = encodeNifti(data, dims);
  patch(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return bytes;
}

/** Explicit-VR little-endian DICOM Part 10 file for one CT slice (only the tags the reader uses). */
export function dicomSlice(opts: { rows?: number; columns?: number; modality?: string; transferSyntax?: string; z?: number; pixelBytes?: number } = {}): Uint8Array {
  const rows = opts.rows ?? 4, columns = opts.columns ?? 4;
  const ts = opts.transferSyntax ?? '1.2.840.10008.1.2.1';
  const el = (group: number, element: number, vr: string, value: Uint8Array): Uint8Array => {
    const padded = value.length % 2 ? Buffer.concat([value, Uint8Array.from([vr === 'UI' ? 0 : 0x20])]) : value;
    const long = ['OB', 'OW', 'UN', 'SQ', 'UT'].includes(vr);
    const head = new Uint8Array(long ? 12 : 8);
    const v = new DataView(head.buffer);
    v.setUint16(0, group, true);
    v.setUint16(2, element, true);
    head.set(Buffer.from(vr, 'latin1'), 4);
    if (long) v.setUint32(8, padded.length, true);
    else v.setUint16(6, padded.length, true);
    return Buffer.concat([head, padded]);
  };
  const str = (s: string) => Buffer.from(s, 'latin1');
  const us = (n: number) => Uint8Array.from([n & 0xff, n >> 8]);
  const metaBody = el(0x0002, 0x0010, 'UI', str(ts));
  const ul = new Uint8Array(4);
  new DataView(ul.buffer).setUint32(0, metaBody.length, true);
  const pixels = new Int16Array(rows * columns).map((_, i) => (i * 37) % 2000);
  const pixelBytes = new Uint8Array(pixels.buffer).subarray(0, opts.pixelBytes ?? pixels.byteLength);
  const body = Buffer.concat([
    el(0x0008, 0x0060, 'CS', str(opts.modality ?? 'CT')),
    el(0x0020, 0x000e, 'UI', str('1.2.3.4.5.6')),
    el(0x0020, 0x0032, 'DS', str(`-100\\-100\\${opts.z ?? 0}`)),
    el(0x0020, 0x0037, 'DS', str('1\\0\\0\\0\\1\\0')),
    el(0x0028, 0x0002, 'US', us(1)),
    el(0x0028, 0x0010, 'US', us(rows)),
    el(0x0028, 0x0011, 'US', us(columns)),
    el(0x0028, 0x0030, 'DS', str('0.7\\0.7')),
    el(0x0028, 0x0100, 'US', us(16)),
    el(0x0028, 0x0101, 'US', us(16)),
    el(0x0028, 0x0103, 'US', us(1)),
    el(0x0028, 0x1052, 'DS', str('-1024')),
    el(0x0028, 0x1053, 'DS', str('1')),
    el(0x7fe0, 0x0010, 'OW', pixelBytes),
  ]);
  return Buffer.concat([new Uint8Array(128), str('DICM'), el(0x0002, 0x0000, 'UL', ul), metaBody, body]);
}

// ---------------------------------------------------------------- the corpus

/** A RawSlice-shaped object. */
const slice = (data: unknown, width: unknown, height: unknown, kind: unknown = 'display') => ({ data, width, height, kind });

export function sliceCases(): SliceCase[] {
  const nan = new Float32Array(16).fill(100);
  nan[5] = Number.NaN;
  const inf = new Float32Array(16).fill(100);
  inf[0] = Number.POSITIVE_INFINITY;
  const ninf = new Float64Array(16).fill(-500);
  ninf[15] = Number.NEGATIVE_INFINITY;
  const c = (id: string, input: unknown, code: TvunetErrorCode, message: RegExp, extra: Partial<SliceCase> = {}): SliceCase => ({ id, kind: 'slice', input, code, message, ...extra });
  return [
    c('slice-zero-size', slice(new Float32Array(0), 0, 0), 'INVALID_INPUT', /size must be positive integers, got 0×0/),
    c('slice-negative-width', slice(new Float32Array(16), -4, 4), 'INVALID_INPUT', /positive integers, got -4×4/),
    c('slice-fractional-height', slice(new Float32Array(16), 4, 2.5), 'INVALID_INPUT', /positive integers, got 4×2\.5/),
    c('slice-width-as-string', slice(new Float32Array(16), '4', 4), 'INVALID_INPUT', /positive integers, got 4×4/),
    c('slice-absurd-size', slice(new Float32Array(16), 100_000, 100_000), 'INVALID_INPUT', /100000×100000 exceeds the \d+ pixel limit/),
    c('slice-wrong-length', slice(new Float32Array(10), 4, 4), 'INVALID_INPUT', /10 values, 4×4 needs 16/),
    c('slice-too-long', slice(new Uint8Array(17), 4, 4), 'INVALID_INPUT', /17 values, 4×4 needs 16/),
    c('slice-nan-hu', slice(nan, 4, 4, 'hu'), 'INVALID_INPUT', /1 NaN or infinite value/),
    c('slice-infinity-display', slice(inf, 4, 4), 'INVALID_INPUT', /1 NaN or infinite value/),
    c('slice-minus-infinity-f64', slice(ninf, 4, 4, 'hu'), 'INVALID_INPUT', /1 NaN or infinite value/),
    c('slice-unknown-kind', slice(new Float32Array(16), 4, 4, 'rgb'), 'INVALID_INPUT', /kind must be 'hu' or 'display', got "rgb"/),
    c('slice-plain-array', slice([1, 2, 3, 4], 2, 2), 'INVALID_INPUT', /data must be a typed array .*got a plain Array/),
    c('slice-string', 'not an image', 'INVALID_INPUT', /unsupported input/),
    c('slice-null', null, 'INVALID_INPUT', /unsupported input/),
    c('slice-imagedata-short', { data: new Uint8ClampedArray(10), width: 4, height: 4 }, 'INVALID_INPUT', /ImageData has 10 bytes, 4×4 RGBA needs 64/),
    c('slice-threshold-nan', slice(new Float32Array(16).fill(50), 4, 4), 'INVALID_OPTIONS', /threshold must be a number in \(0, 1\), got NaN/, { options: { threshold: Number.NaN } }),
  ];
}

export function fileCases(): FileCase[] {
  const jpg = new Uint8Array(readFileSync(GOOD_JPG));
  const png = new Uint8Array(readFileSync(GOOD_PNG));
  const f = (id: string, format: FileCase['format'], name: string, bytes: Uint8Array, code: TvunetErrorCode, message: RegExp): FileCase => ({ id, kind: 'file', format, name, bytes, code, message });
  // 90 bytes that claim 20000×20000: pngjs would allocate and fill a 1.6 GB bitmap (11 s here).
  const huge = tinyPng(4, 4, ihdr(20_000, 20_000));
  // Volumes: a valid 4×4×2 int16 NIfTI, then one field broken.
  const good = encodeNifti(new Int16Array(32).fill(-800), [4, 4, 2]);
  const gz = new Uint8Array(gzipSync(good));
  return [
    f('png-truncated', 'png', 'truncated.png', png.subarray(0, Math.floor(png.length * 0.6)), 'DECODE', /truncated\.png: not a readable PNG/),
    f('png-signature-only', 'png', 'signature.png', png.subarray(0, 8), 'DECODE', /signature\.png: not a readable PNG/),
    f('png-bitflip', 'png', 'bitflip.png', bitFlip(png, 60, 101, 0xff), 'DECODE', /bitflip\.png: not a readable PNG/),
    f('png-zero-width', 'png', 'zero-width.png', tinyPng(4, 4, ihdr(0, 4)), 'DECODE', /zero-width\.png: (not a readable PNG|decoded to an empty)/),
    f('png-absurd-size', 'png', 'huge.png', huge, 'DECODE', /huge\.png: the PNG header declares 20000×20000 pixels, over the limit/),
    f('png-bad-bit-depth', 'png', 'depth.png', tinyPng(4, 4, ihdr(4, 4, 7)), 'DECODE', /depth\.png: not a readable PNG/),
    f('png-empty-file', 'png', 'empty.png', new Uint8Array(0), 'DECODE', /empty\.png: not a readable PNG/),
    f('png-text', 'png', 'text.png', Buffer.from('this is not an image\n'), 'DECODE', /text\.png: not a readable PNG/),
    f('jpg-truncated', 'jpg', 'truncated.jpg', jpg.subarray(0, Math.floor(jpg.length * 0.6)), 'DECODE', /truncated\.jpg: not a readable JPG/),
    f('jpg-soi-only', 'jpg', 'soi.jpg', jpg.subarray(0, 2), 'DECODE', /soi\.jpg: not a readable JPG/),
    f('jpg-bitflip', 'jpg', 'bitflip.jpg', bitFlip(jpg, 600, 97), 'DECODE', /bitflip\.jpg: not a readable JPG/),
    f('jpg-zero-size', 'jpg', 'zero.jpg', jpegWithSize(jpg, 0, 0), 'DECODE', /zero\.jpg: (not a readable JPG|decoded to an empty)/),
    f('jpg-absurd-size', 'jpg', 'huge.jpg', jpegWithSize(jpg, 65_000, 65_000), 'DECODE', /huge\.jpg: not a readable JPG.*(resolution|memory|limit)/i),
    f('jpg-html', 'jpg', 'page.jpg', Buffer.from('<html><script>alert(1)</script></html>'), 'DECODE', /page\.jpg: not a readable JPG/),
    f('jpg-is-png', 'jpg', 'png-bytes.jpg', png, 'DECODE', /png-bytes\.jpg: not a readable JPG/),
    f('nii-truncated', 'nifti', 'truncated.nii', good.subarray(0, 352 + 20), 'DECODE', /truncated\.nii: .*(truncated|bytes)/),
    f('nii-dim-zero', 'nifti', 'dim0.nii', niftiWith((v) => v.setInt16(42, 0, true)), 'DECODE', /dim0\.nii: .*dim/i),
    f('nii-dim-negative', 'nifti', 'dimneg.nii', niftiWith((v) => v.setInt16(44, -3, true)), 'DECODE', /dimneg\.nii: .*dim/i),
    f('nii-absurd-dims', 'nifti', 'huge.nii', niftiWith((v) => [42, 44, 46].forEach((o) => v.setInt16(o, 32000, true))), 'DECODE', /huge\.nii: .*32000×32000×32000/),
    f('nii-complex-datatype', 'nifti', 'complex.nii', niftiWith((v) => { v.setInt16(70, 32, true); v.setInt16(72, 64, true); }), 'DECODE', /complex\.nii: .*(datatype|complex)/i),
    f('nii-unknown-datatype', 'nifti', 'dt9999.nii', niftiWith((v) => v.setInt16(70, 9999, true)), 'DECODE', /dt9999\.nii: .*datatype/i),
    f('nii-vox-offset-past-end', 'nifti', 'voxoffset.nii', niftiWith((v) => v.setFloat32(108, 1e6, true)), 'DECODE', /voxoffset\.nii: .*(offset|truncated)/),
    f('nii-bad-magic', 'nifti', 'nomagic.nii', new Uint8Array(400), 'DECODE', /nomagic\.nii: /),
    f('niigz-truncated', 'nifti', 'truncated.nii.gz', gz.subarray(0, Math.floor(gz.length / 2)), 'DECODE', /truncated\.nii\.gz: .*(gzip|truncated)/),
    f('niigz-bitflip', 'nifti', 'bitflip.nii.gz', bitFlip(gz, 12, 5, 0xff), 'DECODE', /bitflip\.nii\.gz: /),
    f('dicom-short-pixel-data', 'dicom', 'short.dcm', dicomSlice({ pixelBytes: 10 }), 'DECODE', /short\.dcm: pixel data truncated/),
    // A file cut off inside the pixel element: dicom-parser throws a plain object, not an Error.
    f('dicom-cut-off', 'dicom', 'cutoff.dcm', dicomSlice().subarray(0, dicomSlice().length - 20), 'DECODE', /cutoff\.dcm: not a readable DICOM file \((?!\[object)/),
    f('dicom-not-ct', 'dicom', 'mr.dcm', dicomSlice({ modality: 'MR' }), 'INVALID_INPUT', /mr\.dcm: modality "MR" is not CT/),
    f('dicom-jpeg-compressed', 'dicom', 'jpeg.dcm', dicomSlice({ transferSyntax: '1.2.840.10008.1.2.4.50' }), 'DECODE', /jpeg\.dcm: JPEG transfer syntax/),
    f('dicom-zero-rows', 'dicom', 'rows0.dcm', dicomSlice({ rows: 0 }), 'INVALID_INPUT', /rows0\.dcm: .*(Rows|size|empty)/i),
    f('dicom-random-bytes', 'dicom', 'noise.dcm', Uint8Array.from({ length: 700 }, (_, i) => (i * 7919 + 13) & 0xff), 'DECODE', /noise\.dcm: not a readable DICOM/),
    f('other-pdf', 'other', 'report.dcm', Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n'), 'DECODE', /report\.dcm: not a readable DICOM/),
  ];
}

/** Model cases, derived from a good encoded model (small architecture). */
export function modelCases(good: EncodedModel): ModelCase[] {
  const clone = () => structuredClone(good.manifest) as unknown as Record<string, any>;
  const m = (id: string, manifest: unknown, shards: (Uint8Array | null)[], code: TvunetErrorCode, message: RegExp, extra: Partial<ModelCase> = {}): ModelCase => ({ id, kind: 'model', manifest, shards, code, message, ...extra });
  const shards = good.shards;
  const wrongSha = clone();
  wrongSha.shards[0].sha256 = 'f'.repeat(64);
  const shape = clone();
  const t0 = shape.tensors.find((t: any) => t.shape.length === 4);
  t0.shape = [t0.shape[0], t0.shape[1], t0.shape[3], t0.shape[2]]; // same byteLength, wrong layout (when in ≠ out)
  if (t0.shape[2] === t0.shape[3]) t0.shape = [1, 9, t0.shape[2], t0.shape[3]];
  const version = { ...clone(), formatVersion: 2 };
  const dtype = { ...clone(), dtype: 'float64' };
  const outside = clone();
  outside.tensors[0].byteOffset = outside.shards[0].byteLength;
  const escape = clone();
  escape.shards[0].path = '../../etc/passwd';
  const negative = clone();
  negative.tensors[0].shape = [-3, 3, 1, 4];
  const classes = { ...clone(), classes: [] };
  const nanBits = Uint8Array.from(shards[0]!);
  new DataView(nanBits.buffer).setUint32(0, 0x7fc00000, true); // a float32 NaN as the first weight
  return [
    m('model-wrong-sha256', wrongSha, shards, 'INTEGRITY', /sha256 mismatch: expected f{64}/),
    m('model-truncated-shard', good.manifest, [shards[0]!.subarray(0, shards[0]!.length - 8)], 'INTEGRITY', /has \d+ bytes but the manifest says \d+/),
    m('model-missing-shard', good.manifest, [null], 'MISSING_SHARD', /model\.weights\.bin/),
    m('model-wrong-shape', shape, shards, 'INVALID_MANIFEST', /has shape .* but the architecture needs|byteLength is \d+ but shape/),
    m('model-format-version-2', version, shards, 'INVALID_MANIFEST', /unsupported formatVersion 2/),
    m('model-dtype-float64', dtype, shards, 'INVALID_MANIFEST', /dtype must be one of float32, float16, uint8, got "float64"/),
    m('model-offset-outside-shard', outside, shards, 'INVALID_MANIFEST', /lie outside shard 0/),
    m('model-path-escape', escape, shards, 'INVALID_MANIFEST', /shards\[0\]\.path must be a relative path/),
    m('model-negative-dim', negative, shards, 'INVALID_MANIFEST', /shape must be an array of positive integers/),
    m('model-no-classes', classes, shards, 'INVALID_MANIFEST', /classes has 0 entries/),
    m('model-manifest-is-html', null, shards, 'INVALID_MANIFEST', /not JSON.*<script>/, { manifestText: '<!doctype html><script>globalThis.__pwned = 1</script>' }),
    m('model-nan-weight', { ...clone(), shards: [{ ...good.manifest.shards[0]!, sha256: '' }] }, [nanBits], 'INTEGRITY', /non-finite/),
  ];
}

/** Fixes the sha256 of cases whose shard bytes were edited on purpose (needs sha256Hex, async). */
export async function finishModelCases(cases: ModelCase[], sha256Hex: (b: Uint8Array) => Promise<string>): Promise<ModelCase[]> {
  for (const c of cases) {
    const man = c.manifest as { shards?: { sha256: string }[] } | null;
    if (man?.shards?.[0]?.sha256 === '' && c.shards[0]) man.shards[0].sha256 = await sha256Hex(c.shards[0]);
  }
  return cases;
}
