/**
 * NIfTI volumes: `.nii` and `.nii.gz` in, CT {@link Volume}s out, and label / probability
 * volumes written back with the input's geometry.
 *
 * Reading parses the header with nifti-reader-js, validates it (dims, datatype, size) against the
 * byte length and a voxel limit BEFORE anything big is allocated or inflated, and converts the
 * voxels to Float32 with scl_slope / scl_inter applied. Writing produces single-file NIfTI-1
 * (348-byte header + 4-byte extension flag, voxels at offset 352, little endian).
 */
import * as nifti from 'nifti-reader-js';
import { TvunetError } from '../errors.js';
import {
  DEFAULT_MAX_VOXELS, diagonalAffine, spacingFromAffine,
  type Affine, type NiftiHeaderInfo, type Volume, type VolumeGeometry,
} from '../volume/volume.js';
import {
  NIFTI1_VOX_OFFSET, NIFTI_UNITS_MM, NIFTI_XFORM_SCANNER_ANAT, UNSUPPORTED_DATATYPE_NAMES,
  affineToQuatern, datatypeByCode, datatypeByName, datatypeOfArray, quaternToAffine, writeNifti1Header,
  type NiftiDatatype, type NiftiHeaderFields, type NiftiPixelArray,
} from './nifti-header.js';
import { gunzipBounded, gzip, isGzip } from './nifti-gzip.js';

export { NIFTI_INTENT_LABEL, type NiftiDatatype, type NiftiPixelArray } from './nifti-header.js';
export { gzip, isGzip } from './nifti-gzip.js';

export interface ReadNiftiOptions {
  /** Name used in error messages (e.g. the file name). */
  name?: string;
  /** Largest accepted voxel count (default {@link DEFAULT_MAX_VOXELS}); checked before allocating. */
  maxVoxels?: number;
  /**
   * What the values are. 'auto' (default): 'display' when every (scaled) value lies in 0…255
   * (e.g. stacked PNG slices), else 'hu' (a chest CT in HU always holds air near −1000).
   */
  kind?: 'hu' | 'display' | 'auto';
}

/** Bytes of the header (with the extension flag) to look at: NIfTI-2's 540 + 4 covers NIfTI-1's 348 + 4. */
const HEAD_BYTES = 544;

function toBytes(input: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new TvunetError('INVALID_INPUT', 'NIfTI input must be an ArrayBuffer or a Uint8Array');
}

interface ParsedHeader {
  info: NiftiHeaderInfo;
  dims: [number, number, number];
  voxels: number;
  bytesPerVoxel: number;
  /** voxOffset + voxels × bytesPerVoxel. */
  totalBytes: number;
}

function spatialUnitScale(xyztUnits: number): number {
  const units = xyztUnits & 0x07;
  if (units === 1) return 1000; // metres
  if (units === 3) return 0.001; // micrometres
  return 1; // mm or unknown
}

/** Parses and validates the header in the first bytes of a (decompressed) NIfTI file. */
function parseHeader(head: Uint8Array, name: string, maxVoxels: number, fileBytes: number | null): ParsedHeader {
  if (head.length < 348) throw new TvunetError('DECODE', `${name}: ${head.length} bytes is too short for a NIfTI header (348 bytes)`);
  const buffer = head.slice(0, Math.min(head.length, HEAD_BYTES)).buffer;
  const magic = String.fromCharCode(head[344]!, head[345]!, head[346]!);
  if (magic === 'ni1') throw new TvunetError('DECODE', `${name}: a NIfTI .hdr/.img pair header; pass a single-file .nii or .nii.gz`);
  const v1 = nifti.isNIFTI1(buffer), v2 = !v1 && nifti.isNIFTI2(buffer);
  if (!v1 && !v2) throw new TvunetError('DECODE', `${name}: not a NIfTI file (no "n+1" or "n+2" magic)`);
  if (v2 && head.length < 540) throw new TvunetError('DECODE', `${name}: ${head.length} bytes is too short for a NIfTI-2 header (540 bytes)`);
  let h: nifti.NIFTI1 | nifti.NIFTI2;
  try {
    h = nifti.readHeader(buffer);
  } catch (e) {
    throw new TvunetError('DECODE', `${name}: unreadable NIfTI header (${(e as Error).message})`, { cause: e });
  }
  const dim = h.dims.slice(0, 8).map(Number);
  const rank = dim[0]!;
  if (!Number.isInteger(rank) || rank < 1 || rank > 7) throw new TvunetError('DECODE', `${name}: dim[0] = ${rank}, must be 1…7`);
  const used = dim.slice(1, rank + 1);
  if (!used.every((d) => Number.isInteger(d) && d > 0)) {
    throw new TvunetError('DECODE', `${name}: dimensions must be positive, header has dim = [${dim.join(', ')}]`);
  }
  const dims: [number, number, number] = [used[0]!, used[1] ?? 1, used[2] ?? 1];
  const extra = used.slice(3).reduce((a, b) => a * b, 1);
  if (extra > 1) throw new TvunetError('INVALID_INPUT', `${name}: a ${rank}D image with ${extra} volumes (dim = [${dim.join(', ')}]); only single 3D volumes are supported`);
  const spec = datatypeByCode(h.datatypeCode);
  if (!spec) {
    const what = UNSUPPORTED_DATATYPE_NAMES[h.datatypeCode] ?? 'unknown';
    throw new TvunetError('DECODE', `${name}: NIfTI datatype ${h.datatypeCode} (${what}) is not supported (uint8, int8, int16, uint16, int32, uint32, float32, float64)`);
  }
  if (h.numBitsPerVoxel !== spec.bytes * 8) throw new TvunetError('DECODE', `${name}: bitpix ${h.numBitsPerVoxel} does not match datatype ${spec.name}`);
  const minOffset = v1 ? 348 : 540;
  const voxOffset = Number(h.vox_offset);
  if (!Number.isInteger(voxOffset) || voxOffset < minOffset) throw new TvunetError('DECODE', `${name}: vox_offset ${voxOffset} is invalid (must be an integer ≥ ${minOffset})`);
  const voxels = dims[0] * dims[1] * dims[2];
  const totalBytes = voxOffset + voxels * spec.bytes;
  const size = `${dims.join('×')} ${spec.name} (${(voxels * spec.bytes / 2 ** 20).toFixed(1)} MiB)`;
  if (fileBytes !== null && fileBytes < totalBytes) {
    throw new TvunetError('DECODE', `${name}: truncated or inconsistent: the header declares ${size} of voxels from offset ${voxOffset}, i.e. ${totalBytes} bytes, but the file has ${fileBytes}`);
  }
  if (voxels > maxVoxels) throw new TvunetError('INVALID_INPUT', `${name}: the header declares ${size} = ${voxels} voxels, over the limit of ${maxVoxels} (maxVoxels)`);

  const le = h.littleEndian;
  const view = new DataView(buffer);
  let srow: number[][];
  if (v1) {
    srow = [0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => view.getFloat32(280 + 16 * r + 4 * c, le)));
  } else {
    srow = [0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => view.getFloat64(400 + 32 * r + 8 * c, le)));
  }
  const n1 = h as nifti.NIFTI1;
  const info: NiftiHeaderInfo = {
    version: v1 ? 1 : 2,
    littleEndian: le,
    datatype: spec.code,
    bitpix: h.numBitsPerVoxel,
    dim,
    pixdim: h.pixDims.slice(0, 8).map(Number),
    voxOffset,
    sclSlope: h.scl_slope,
    sclInter: h.scl_inter,
    xyztUnits: h.xyzt_units,
    intentCode: h.intent_code,
    dimInfo: h.dim_info ?? 0,
    sliceCode: h.slice_code ?? 0,
    sliceStart: Number(h.slice_start ?? 0),
    sliceEnd: Number(h.slice_end ?? 0),
    sliceDuration: h.slice_duration,
    toffset: h.toffset,
    calMin: h.cal_min,
    calMax: h.cal_max,
    description: h.description.replace(/\0.*$/s, ''),
    qformCode: h.qform_code,
    sformCode: h.sform_code,
    quatern: [n1.quatern_b, n1.quatern_c, n1.quatern_d],
    qoffset: [h.qoffset_x, h.qoffset_y, h.qoffset_z],
    srow,
  };
  return { info, dims, voxels, bytesPerVoxel: spec.bytes, totalBytes };
}

/**
 * Voxel → world affine of a header, in mm (RAS+): the sform when sform_code > 0, else the qform
 * when qform_code > 0, else the spec's "method 1" (pixdim scaling, no rotation).
 */
export function niftiAffine(info: NiftiHeaderInfo): Affine {
  let affine: Affine;
  if (info.sformCode > 0) {
    affine = [...info.srow.map((r) => r.slice()), [0, 0, 0, 1]];
  } else if (info.qformCode > 0) {
    affine = quaternToAffine(info.quatern, info.qoffset, [info.pixdim[1]!, info.pixdim[2]!, info.pixdim[3]!], info.pixdim[0]!);
  } else {
    affine = diagonalAffine([Math.abs(info.pixdim[1]!) || 1, Math.abs(info.pixdim[2]!) || 1, Math.abs(info.pixdim[3]!) || 1]);
  }
  const scale = spatialUnitScale(info.xyztUnits);
  if (scale !== 1) for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) affine[r]![c]! *= scale;
  return affine;
}

/** Converts stored voxels to Float32 with the header's scaling. */
function convertVoxels(bytes: Uint8Array, parsed: ParsedHeader): Float32Array {
  const { info, voxels } = parsed;
  const spec = datatypeByCode(info.datatype)!;
  const start = bytes.byteOffset + info.voxOffset;
  const out = new Float32Array(voxels);
  const scaled = Number.isFinite(info.sclSlope) && info.sclSlope !== 0;
  const slope = scaled ? info.sclSlope : 1, inter = scaled && Number.isFinite(info.sclInter) ? info.sclInter : 0;
  const hostLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (info.littleEndian === hostLittleEndian) {
    const aligned = start % spec.bytes === 0;
    const src = aligned
      ? new spec.array(bytes.buffer as ArrayBuffer, start, voxels)
      : new spec.array(bytes.buffer.slice(start, start + voxels * spec.bytes) as ArrayBuffer);
    if (slope === 1 && inter === 0) out.set(src);
    else for (let i = 0; i < voxels; i++) out[i] = src[i]! * slope + inter;
  } else {
    const view = new DataView(bytes.buffer, start, voxels * spec.bytes);
    for (let i = 0; i < voxels; i++) out[i] = spec.get(view, i * spec.bytes, info.littleEndian) * slope + inter;
  }
  return out;
}

function guessKind(data: Float32Array): 'hu' | 'display' {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < 0 || v > 255) return 'hu';
  }
  return 'display';
}

/**
 * Reads a single-file NIfTI-1 or NIfTI-2 volume (`.nii`, or gzip-compressed `.nii.gz`, detected
 * from the bytes). Rejects with TvunetError: 'DECODE' for files that are not NIfTI, corrupt or
 * truncated gzip, dims ≤ 0, unsupported datatypes, or fewer bytes than the header declares;
 * 'INVALID_INPUT' for 4D files and volumes over `maxVoxels`. Both are raised before the voxels
 * are allocated (for .nii.gz, before they are inflated).
 */
export async function readNifti(input: ArrayBuffer | ArrayBufferView, options: ReadNiftiOptions = {}): Promise<Volume> {
  const name = options.name ?? 'NIfTI';
  const maxVoxels = options.maxVoxels ?? DEFAULT_MAX_VOXELS;
  if (!(maxVoxels > 0)) throw new TvunetError('INVALID_OPTIONS', `maxVoxels must be > 0, got ${maxVoxels}`);
  const bytes = toBytes(input);
  let parsed: ParsedHeader | null = null;
  let payload = bytes;
  if (isGzip(bytes)) {
    payload = await gunzipBounded(bytes, HEAD_BYTES, (head) => {
      parsed = parseHeader(head, name, maxVoxels, null);
      return parsed.totalBytes;
    }, name);
    const p = parsed as ParsedHeader | null;
    if (p && payload.length < p.totalBytes) {
      throw new TvunetError('DECODE', `${name}: truncated: the header declares ${p.totalBytes} bytes (${p.dims.join('×')} voxels from offset ${p.info.voxOffset}) but the gzip stream holds only ${payload.length}`);
    }
  } else {
    parsed = parseHeader(bytes, name, maxVoxels, bytes.length);
  }
  const header = parsed as unknown as ParsedHeader;
  const affine = niftiAffine(header.info);
  const spacingMm = spacingFromAffine(affine);
  if (!spacingMm.every((s) => Number.isFinite(s) && s > 0)) {
    throw new TvunetError('DECODE', `${name}: voxel size ${spacingMm.join(' × ')} mm is not positive (check pixdim / sform)`);
  }
  const data = convertVoxels(payload, header);
  const kind = options.kind === undefined || options.kind === 'auto' ? guessKind(data) : options.kind;
  if (kind !== 'hu' && kind !== 'display') throw new TvunetError('INVALID_OPTIONS', `kind must be 'hu', 'display' or 'auto', got "${String(kind)}"`);
  return { data, dims: header.dims, spacingMm, affine, kind, source: { format: 'nifti', header: header.info } };
}

/** What to write besides the voxels. */
export interface EncodeNiftiOptions {
  /** Stored type; default: the data's own type. Values are converted (and must fit). */
  datatype?: NiftiDatatype;
  /**
   * Geometry to write. From a NIfTI source, its qform/sform codes, quaternion, offsets, srow,
   * pixdim and units are copied as they were; otherwise an sform and qform (scanner
   * anatomical, mm) are derived from `affine`. Default: 1 mm voxels, identity orientation.
   */
  geometry?: VolumeGeometry;
  /** intent_code, e.g. NIFTI_INTENT_LABEL (1002). */
  intentCode?: number;
  /** intent_name (≤ 15 ASCII characters). */
  intentName?: string;
  /** descrip (≤ 79 ASCII characters). */
  description?: string;
  /** scl_slope / scl_inter written as is (the data are the stored values); default 1 / 0. */
  sclSlope?: number;
  sclInter?: number;
  /** cal_min / cal_max (display range); default 0 / 0 (unset). */
  calMin?: number;
  calMax?: number;
}

function headerFields(dims: [number, number, number], datatype: NiftiHeaderFields['datatype'], options: EncodeNiftiOptions): NiftiHeaderFields {
  const base = {
    dims, datatype,
    intentCode: options.intentCode ?? 0,
    intentName: options.intentName ?? '',
    sclSlope: options.sclSlope ?? 1,
    sclInter: options.sclInter ?? 0,
    calMin: options.calMin ?? 0,
    calMax: options.calMax ?? 0,
    description: options.description ?? '',
  };
  const g = options.geometry;
  if (g?.source.format === 'nifti') {
    const h = g.source.header;
    const pixdim = h.pixdim.slice(0, 8);
    while (pixdim.length < 8) pixdim.push(0);
    return {
      ...base, pixdim, xyztUnits: h.xyztUnits, qformCode: h.qformCode, sformCode: h.sformCode,
      quatern: h.quatern, qoffset: h.qoffset, srow: h.srow, dimInfo: h.dimInfo, sliceCode: h.sliceCode,
      sliceStart: h.sliceStart, sliceEnd: h.sliceEnd, sliceDuration: h.sliceDuration, toffset: h.toffset,
    };
  }
  const affine = g?.affine ?? diagonalAffine([1, 1, 1]);
  const q = affineToQuatern(affine);
  return {
    ...base,
    pixdim: [q.qfac, q.pixdim[0], q.pixdim[1], q.pixdim[2], 0, 0, 0, 0],
    xyztUnits: NIFTI_UNITS_MM,
    qformCode: NIFTI_XFORM_SCANNER_ANAT,
    sformCode: NIFTI_XFORM_SCANNER_ANAT,
    quatern: q.quatern,
    qoffset: q.qoffset,
    srow: affine.slice(0, 3).map((r) => r.slice()),
    dimInfo: 0, sliceCode: 0, sliceStart: 0, sliceEnd: 0, sliceDuration: 0, toffset: 0,
  };
}

/**
 * Encodes a 3D image as an uncompressed single-file NIfTI-1 (`.nii`): header, empty extension
 * flag, voxels at offset 352, little endian. `data` is x-fastest like {@link Volume.data}.
 */
export function encodeNifti(data: NiftiPixelArray, dims: [number, number, number], options: EncodeNiftiOptions = {}): Uint8Array {
  if (!Array.isArray(dims) || dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d > 0 && d <= 32767)) {
    throw new TvunetError('INVALID_INPUT', `NIfTI-1 dims must be three integers in 1…32767, got ${JSON.stringify(dims)}`);
  }
  const n = dims[0] * dims[1] * dims[2];
  const source = datatypeOfArray(data);
  if (data.length !== n) throw new TvunetError('INVALID_INPUT', `data has ${data.length} values, dims ${dims.join('×')} need ${n}`);
  if (options.geometry && options.geometry.dims.some((d, i) => d !== dims[i])) {
    throw new TvunetError('INVALID_INPUT', `dims ${dims.join('×')} differ from the geometry's ${options.geometry.dims.join('×')}`);
  }
  const spec = options.datatype ? datatypeByName(options.datatype) : source;
  const out = new Uint8Array(NIFTI1_VOX_OFFSET + n * spec.bytes);
  const view = new DataView(out.buffer);
  writeNifti1Header(view, headerFields([...dims], spec, options));
  if (spec === source && new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), NIFTI1_VOX_OFFSET);
  } else {
    const values = new spec.array(out.buffer, NIFTI1_VOX_OFFSET, n);
    for (let i = 0; i < n; i++) values[i] = data[i]!;
  }
  return out;
}

/** {@link encodeNifti}, gzip-compressed when `gzip` is true (a `.nii.gz`). */
export async function writeNifti(
  data: NiftiPixelArray, dims: [number, number, number], options: EncodeNiftiOptions & { gzip?: boolean } = {},
): Promise<Uint8Array> {
  const { gzip: compress = false, ...rest } = options;
  const raw = encodeNifti(data, dims, rest);
  return compress ? gzip(raw) : raw;
}
