/**
 * NIfTI-1 header details the reader and writer share: datatypes, the qform quaternion ↔ matrix
 * conversions of nifti1_io.c, and the 348-byte header layout for writing.
 * Spec: https://nifti.nimh.nih.gov/pub/dist/src/niftilib/nifti1.h
 */
import { TvunetError } from '../errors.js';
import type { Affine, NiftiHeaderInfo } from '../volume/volume.js';

/** Voxel types the reader converts and the writer stores. */
export type NiftiDatatype = 'uint8' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

export type NiftiPixelArray = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

interface DatatypeSpec {
  name: NiftiDatatype;
  code: number;
  bytes: number;
  array: new (buffer: ArrayBuffer, byteOffset?: number, length?: number) => NiftiPixelArray;
  get: (view: DataView, offset: number, littleEndian: boolean) => number;
  set: (view: DataView, offset: number, value: number, littleEndian: boolean) => void;
}

export const NIFTI_DATATYPES: readonly DatatypeSpec[] = [
  { name: 'uint8', code: 2, bytes: 1, array: Uint8Array, get: (v, o) => v.getUint8(o), set: (v, o, x) => v.setUint8(o, x) },
  { name: 'int16', code: 4, bytes: 2, array: Int16Array, get: (v, o, le) => v.getInt16(o, le), set: (v, o, x, le) => v.setInt16(o, x, le) },
  { name: 'int32', code: 8, bytes: 4, array: Int32Array, get: (v, o, le) => v.getInt32(o, le), set: (v, o, x, le) => v.setInt32(o, x, le) },
  { name: 'float32', code: 16, bytes: 4, array: Float32Array, get: (v, o, le) => v.getFloat32(o, le), set: (v, o, x, le) => v.setFloat32(o, x, le) },
  { name: 'float64', code: 64, bytes: 8, array: Float64Array, get: (v, o, le) => v.getFloat64(o, le), set: (v, o, x, le) => v.setFloat64(o, x, le) },
  { name: 'int8', code: 256, bytes: 1, array: Int8Array, get: (v, o) => v.getInt8(o), set: (v, o, x) => v.setInt8(o, x) },
  { name: 'uint16', code: 512, bytes: 2, array: Uint16Array, get: (v, o, le) => v.getUint16(o, le), set: (v, o, x, le) => v.setUint16(o, x, le) },
  { name: 'uint32', code: 768, bytes: 4, array: Uint32Array, get: (v, o, le) => v.getUint32(o, le), set: (v, o, x, le) => v.setUint32(o, x, le) },
];

/** Names of NIfTI datatype codes that exist but are not supported, for error messages. */
export const UNSUPPORTED_DATATYPE_NAMES: Record<number, string> = {
  0: 'unknown', 1: 'binary', 32: 'complex64', 128: 'rgb24', 1024: 'int64', 1280: 'uint64', 1536: 'float128', 1792: 'complex128', 2048: 'complex256', 2304: 'rgba32',
};

export function datatypeByCode(code: number): DatatypeSpec | undefined {
  return NIFTI_DATATYPES.find((d) => d.code === code);
}

export function datatypeByName(name: NiftiDatatype): DatatypeSpec {
  const spec = NIFTI_DATATYPES.find((d) => d.name === name);
  if (!spec) throw new TvunetError('INVALID_OPTIONS', `unknown NIfTI datatype "${String(name)}" (${NIFTI_DATATYPES.map((d) => d.name).join(', ')})`);
  return spec;
}

/** The datatype matching a typed array's element type. */
export function datatypeOfArray(data: NiftiPixelArray): DatatypeSpec {
  const spec = NIFTI_DATATYPES.find((d) => data instanceof d.array);
  if (!spec) throw new TvunetError('INVALID_INPUT', 'NIfTI voxel data must be a Uint8/Int8/Int16/Uint16/Int32/Uint32/Float32/Float64Array');
  return spec;
}

/** NIFTI_INTENT_LABEL: voxel values are indices into a list of labels. */
export const NIFTI_INTENT_LABEL = 1002;
/** NIFTI_XFORM_SCANNER_ANAT: scanner-based anatomical coordinates. */
export const NIFTI_XFORM_SCANNER_ANAT = 1;
/** NIFTI_UNITS_MM in xyzt_units. */
export const NIFTI_UNITS_MM = 2;

/** The qform's rotation + scaling + offset as an affine (nifti_quatern_to_mat44). */
export function quaternToAffine(
  quatern: readonly [number, number, number], qoffset: readonly [number, number, number],
  pixdim: readonly [number, number, number], qfac: number,
): Affine {
  let [b, c, d] = quatern;
  let a = 1 - (b * b + c * c + d * d);
  if (a < 1e-7) {
    // a is 180 degrees: normalise (b, c, d)
    const n = 1 / Math.sqrt(b * b + c * c + d * d);
    b *= n; c *= n; d *= n;
    a = 0;
  } else {
    a = Math.sqrt(a);
  }
  const [dx, dy, dzRaw] = pixdim.map((p) => (p > 0 ? p : 1)) as [number, number, number];
  const dz = (qfac < 0 ? -1 : 1) * dzRaw;
  return [
    [(a * a + b * b - c * c - d * d) * dx, 2 * (b * c - a * d) * dy, 2 * (b * d + a * c) * dz, qoffset[0]],
    [2 * (b * c + a * d) * dx, (a * a + c * c - b * b - d * d) * dy, 2 * (c * d - a * b) * dz, qoffset[1]],
    [2 * (b * d - a * c) * dx, 2 * (c * d + a * b) * dy, (a * a + d * d - c * c - b * b) * dz, qoffset[2]],
    [0, 0, 0, 1],
  ];
}

type M3 = number[][];

function det3(m: M3): number {
  return m[0]![0]! * (m[1]![1]! * m[2]![2]! - m[1]![2]! * m[2]![1]!)
    - m[0]![1]! * (m[1]![0]! * m[2]![2]! - m[1]![2]! * m[2]![0]!)
    + m[0]![2]! * (m[1]![0]! * m[2]![1]! - m[1]![1]! * m[2]![0]!);
}

/** Inverse transpose of a 3×3 matrix (cofactors / det). */
function invTranspose3(m: M3): M3 {
  const det = det3(m);
  const c = (r0: number, r1: number, c0: number, c1: number) => m[r0]![c0]! * m[r1]![c1]! - m[r0]![c1]! * m[r1]![c0]!;
  return [
    [c(1, 2, 1, 2) / det, -c(1, 2, 0, 2) / det, c(1, 2, 0, 1) / det],
    [-c(0, 2, 1, 2) / det, c(0, 2, 0, 2) / det, -c(0, 2, 0, 1) / det],
    [c(0, 1, 1, 2) / det, -c(0, 1, 0, 2) / det, c(0, 1, 0, 1) / det],
  ];
}

/** Orthogonal polar factor of a non-singular 3×3 matrix (Newton iteration Q ← (Q + Q^-T) / 2). */
function polar3(m: M3): M3 {
  let q = m.map((r) => r.slice());
  for (let it = 0; it < 50; it++) {
    const t = invTranspose3(q);
    let change = 0;
    const next = q.map((r, i) => r.map((v, j) => {
      const x = 0.5 * (v + t[i]![j]!);
      change = Math.max(change, Math.abs(x - v));
      return x;
    }));
    q = next;
    if (change < 1e-12) break;
  }
  return q;
}

/**
 * The qform (quaternion, offset, voxel sizes, qfac) closest to an affine (nifti_mat44_to_quatern):
 * the rotation part is orthogonalised first, so a sheared affine (gantry tilt) is approximated;
 * the sform keeps it exactly.
 */
export function affineToQuatern(affine: Affine): { quatern: [number, number, number]; qoffset: [number, number, number]; pixdim: [number, number, number]; qfac: number } {
  const m: M3 = [0, 1, 2].map((r) => [0, 1, 2].map((c) => affine[r]![c]!));
  const pixdim = [0, 1, 2].map((c) => Math.hypot(m[0]![c]!, m[1]![c]!, m[2]![c]!)) as [number, number, number];
  for (let c = 0; c < 3; c++) {
    if (pixdim[c] === 0) {
      pixdim[c] = 1;
      for (let r = 0; r < 3; r++) m[r]![c] = r === c ? 1 : 0;
    } else {
      for (let r = 0; r < 3; r++) m[r]![c] = m[r]![c]! / pixdim[c]!;
    }
  }
  let q = det3(m) !== 0 ? polar3(m) : [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  let qfac = 1;
  if (det3(q) < 0) {
    qfac = -1;
    q = q.map((r) => [r[0]!, r[1]!, -r[2]!]);
  }
  const [r11, r12, r13] = q[0]! as [number, number, number];
  const [r21, r22, r23] = q[1]! as [number, number, number];
  const [r31, r32, r33] = q[2]! as [number, number, number];
  let a = r11 + r22 + r33 + 1, b: number, c: number, d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33), yd = 1 + r22 - (r11 + r33), zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd); c = (0.25 * (r12 + r21)) / b; d = (0.25 * (r13 + r31)) / b; a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd); b = (0.25 * (r12 + r21)) / c; d = (0.25 * (r23 + r32)) / c; a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd); b = (0.25 * (r13 + r31)) / d; c = (0.25 * (r23 + r32)) / d; a = (0.25 * (r21 - r12)) / d;
    }
    if (a < 0) { b = -b; c = -c; d = -d; }
  }
  return { quatern: [b, c, d], qoffset: [affine[0]![3]!, affine[1]![3]!, affine[2]![3]!], pixdim, qfac };
}

/** The scalar fields the writer copies through unchanged from a header that was read. */
type CopiedHeaderFields = 'xyztUnits' | 'intentCode' | 'sclSlope' | 'sclInter' | 'calMin' | 'calMax' | 'description'
  | 'qformCode' | 'sformCode' | 'dimInfo' | 'sliceCode' | 'sliceStart' | 'sliceEnd' | 'sliceDuration' | 'toffset';

/** Fields of a NIfTI-1 header to write (all others zero). */
export interface NiftiHeaderFields extends Pick<NiftiHeaderInfo, CopiedHeaderFields> {
  dims: readonly [number, number, number];
  datatype: DatatypeSpec;
  pixdim: readonly number[]; // 8 values, pixdim[0] = qfac
  intentName: string;
  quatern: readonly [number, number, number];
  qoffset: readonly [number, number, number];
  srow: readonly (readonly number[])[];
}

/** Single-file NIfTI-1: 348-byte header, 4-byte extension flag (no extensions), voxels from 352. */
export const NIFTI1_VOX_OFFSET = 352;

function writeAscii(view: DataView, offset: number, maxBytes: number, text: string): void {
  const n = Math.min(text.length, maxBytes - 1); // keep a terminating NUL
  for (let i = 0; i < n; i++) {
    const code = text.charCodeAt(i);
    view.setUint8(offset + i, code >= 32 && code < 127 ? code : 63); // '?' for non-ASCII
  }
}

/** Writes a little-endian NIfTI-1 header and empty extension flag into the first 352 bytes of `view`. */
export function writeNifti1Header(view: DataView, h: NiftiHeaderFields): void {
  const le = true;
  view.setInt32(0, 348, le); // sizeof_hdr
  view.setUint8(38, 'r'.charCodeAt(0)); // regular
  view.setUint8(39, h.dimInfo & 0xff);
  const dim = [3, h.dims[0], h.dims[1], h.dims[2], 1, 1, 1, 1];
  dim.forEach((v, i) => view.setInt16(40 + 2 * i, v, le));
  view.setInt16(68, h.intentCode, le);
  view.setInt16(70, h.datatype.code, le);
  view.setInt16(72, h.datatype.bytes * 8, le);
  view.setInt16(74, h.sliceStart, le);
  for (let i = 0; i < 8; i++) view.setFloat32(76 + 4 * i, h.pixdim[i] ?? 0, le);
  view.setFloat32(108, NIFTI1_VOX_OFFSET, le);
  view.setFloat32(112, h.sclSlope, le);
  view.setFloat32(116, h.sclInter, le);
  view.setInt16(120, h.sliceEnd, le);
  view.setUint8(122, h.sliceCode & 0xff);
  view.setUint8(123, h.xyztUnits & 0xff);
  view.setFloat32(124, h.calMax, le);
  view.setFloat32(128, h.calMin, le);
  view.setFloat32(132, h.sliceDuration, le);
  view.setFloat32(136, h.toffset, le);
  writeAscii(view, 148, 80, h.description);
  view.setInt16(252, h.qformCode, le);
  view.setInt16(254, h.sformCode, le);
  h.quatern.forEach((v, i) => view.setFloat32(256 + 4 * i, v, le));
  h.qoffset.forEach((v, i) => view.setFloat32(268 + 4 * i, v, le));
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) view.setFloat32(280 + 16 * r + 4 * c, h.srow[r]![c]!, le);
  writeAscii(view, 328, 16, h.intentName);
  [0x6e, 0x2b, 0x31, 0].forEach((v, i) => view.setUint8(344 + i, v)); // "n+1\0"
  // bytes 348..351: extension flag 0 (no extensions)
}
