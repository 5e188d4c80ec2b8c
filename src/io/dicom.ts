/**
 * DICOM CT series → {@link Volume} in Hounsfield units, with dicom-parser.
 *
 * Each file is one slice (uncompressed transfer syntaxes; multi-frame objects are refused).
 * Stored values are masked / sign-extended to BitsStored and mapped to HU with each slice's
 * RescaleSlope / RescaleIntercept. Slices are ordered by the projection of ImagePositionPatient
 * on the slice normal (row × column direction of ImageOrientationPatient), not by file order or
 * InstanceNumber; a gap in the positions (a missing slice), duplicate positions, mixed sizes,
 * orientations or pixel spacings, and non-CT modalities are refused with a TvunetError naming
 * the problem. The affine is built from the DICOM geometry (LPS) and stored in RAS (x and y
 * negated); see ../volume/volume.ts.
 */
import * as dicomParserModule from 'dicom-parser';
import { TvunetError } from '../errors.js';
import { DEFAULT_MAX_VOXELS, type Affine, type DicomSeriesInfo, type Volume } from '../volume/volume.js';

/** dicom-parser is a UMD bundle: its functions sit on the default export under Node's ESM loader. */
const dicomParser = ((dicomParserModule as unknown as { default?: typeof dicomParserModule }).default ?? dicomParserModule) as typeof dicomParserModule;
type DataSet = dicomParserModule.DataSet;

/** One file of a series: raw bytes, optionally with a name for error messages. */
export type DicomFileInput = ArrayBuffer | ArrayBufferView | { name: string; bytes: ArrayBuffer | ArrayBufferView };

export interface ReadDicomOptions {
  /** Largest accepted voxel count (default {@link DEFAULT_MAX_VOXELS}); checked before allocating. */
  maxVoxels?: number;
  /** Which series to read when the files hold several (default: refuse, listing them). */
  seriesInstanceUid?: string;
  /**
   * Largest accepted distance between neighbouring slices, as a multiple of the median distance,
   * before it counts as missing slices (default 1.5).
   */
  maxGapRatio?: number;
}

const UNCOMPRESSED: Record<string, string> = {
  '1.2.840.10008.1.2': 'implicit VR little endian',
  '1.2.840.10008.1.2.1': 'explicit VR little endian',
  '1.2.840.10008.1.2.2': 'explicit VR big endian',
};

const COMPRESSED_NAMES: [RegExp, string][] = [
  [/^1\.2\.840\.10008\.1\.2\.4\.(50|51|57|70)$/, 'JPEG'],
  [/^1\.2\.840\.10008\.1\.2\.4\.(80|81)$/, 'JPEG-LS'],
  [/^1\.2\.840\.10008\.1\.2\.4\.(90|91|201|202|203)$/, 'JPEG 2000 / HTJ2K'],
  [/^1\.2\.840\.10008\.1\.2\.5$/, 'RLE'],
  [/^1\.2\.840\.10008\.1\.2\.1\.99$/, 'deflate'],
];

interface Slice {
  index: number;
  name: string;
  ds: DataSet;
  bytes: Uint8Array;
  seriesUid: string;
  rows: number;
  columns: number;
  position: [number, number, number];
  orientation: number[];
  spacing: [number, number];
  slope: number;
  intercept: number;
  transferSyntax: string;
}

function asBytes(x: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (x instanceof ArrayBuffer) return new Uint8Array(x);
  if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  throw new TvunetError('INVALID_INPUT', 'DICOM files must be ArrayBuffers, Uint8Arrays or { name, bytes }');
}

function numbers(ds: DataSet, tag: string, count: number): number[] | null {
  const text = ds.string(tag);
  if (text === undefined) return null;
  const parts = text.split('\\').map((s) => Number.parseFloat(s));
  return parts.length >= count && parts.slice(0, count).every(Number.isFinite) ? parts.slice(0, count) : null;
}

function parseFile(input: DicomFileInput, index: number): { name: string; bytes: Uint8Array; ds: DataSet } {
  const named = typeof input === 'object' && input !== null && 'bytes' in input && 'name' in input;
  const name = named ? String(input.name) : `file #${index}`;
  const bytes = asBytes(named ? input.bytes : (input as ArrayBuffer | ArrayBufferView));
  try {
    return { name, bytes, ds: dicomParser.parseDicom(bytes) };
  } catch (first) {
    // Files without the 128-byte preamble and "DICM": raw implicit-little-endian datasets, which
    // start with a group 0008 element.
    const raw = bytes.length > 8 && bytes[0] === 0x08 && bytes[1] === 0x00;
    try {
      if (!raw) throw first;
      return { name, bytes, ds: dicomParser.parseDicom(bytes, { TransferSyntaxUID: '1.2.840.10008.1.2' }) };
    } catch {
      // dicom-parser throws plain objects ({ exception, dataSet }) as well as Errors.
      const why = first instanceof Error ? first.message
        : typeof first === 'object' && first !== null && 'exception' in first ? String((first as { exception: unknown }).exception)
        : String(first);
      throw new TvunetError('DECODE', `${name}: not a readable DICOM file (${why})`, { cause: first });
    }
  }
}

function describeSlice(f: { name: string; ds: DataSet; bytes: Uint8Array }, index: number): Slice {
  const { ds, name } = f;
  const need = <T>(value: T | null | undefined, what: string): T => {
    if (value === null || value === undefined) throw new TvunetError('INVALID_INPUT', `${name}: ${what} is missing or malformed`);
    return value;
  };
  const transferSyntax = ds.string('x00020010') ?? '1.2.840.10008.1.2';
  if (!(transferSyntax in UNCOMPRESSED)) {
    const kind = COMPRESSED_NAMES.find(([re]) => re.test(transferSyntax))?.[1] ?? 'unsupported';
    throw new TvunetError('DECODE', `${name}: ${kind} transfer syntax ${transferSyntax} is not supported; convert the series to uncompressed DICOM first (e.g. gdcmconv --raw or dcmdjpeg)`);
  }
  const frames = Number.parseInt(ds.string('x00280008') ?? '1', 10);
  if (frames > 1) throw new TvunetError('INVALID_INPUT', `${name}: multi-frame object (${frames} frames) is not supported; pass one file per slice`);
  const samples = ds.uint16('x00280002') ?? 1;
  if (samples !== 1) throw new TvunetError('INVALID_INPUT', `${name}: ${samples} samples per pixel (colour); CT slices are single-channel`);
  const orientation = need(numbers(ds, 'x00200037', 6), 'ImageOrientationPatient (0020,0037)');
  const position = need(numbers(ds, 'x00200032', 3), 'ImagePositionPatient (0020,0032)') as [number, number, number];
  const spacing = need(numbers(ds, 'x00280030', 2), 'PixelSpacing (0028,0030)') as [number, number];
  if (!(spacing[0] > 0 && spacing[1] > 0)) throw new TvunetError('INVALID_INPUT', `${name}: PixelSpacing ${spacing.join('\\')} must be positive`);
  const rows = need(ds.uint16('x00280010'), 'Rows (0028,0010)');
  const columns = need(ds.uint16('x00280011'), 'Columns (0028,0011)');
  if (rows < 1 || columns < 1) throw new TvunetError('INVALID_INPUT', `${name}: the image is ${columns}×${rows} pixels (Rows and Columns must be positive)`);
  const slope = numbers(ds, 'x00281053', 1)?.[0] ?? 1;
  const intercept = numbers(ds, 'x00281052', 1)?.[0] ?? 0;
  return {
    index, name, ds, bytes: f.bytes,
    seriesUid: ds.string('x0020000e') ?? '',
    rows, columns,
    position, orientation, spacing, slope: slope === 0 ? 1 : slope, intercept, transferSyntax,
  };
}

const cross = (a: number[], b: number[]) => [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];
const dot = (a: readonly number[], b: readonly number[]) => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;

/** Reads one slice's stored values into `out` (HU after rescale). */
function readPixels(s: Slice, out: Float32Array, offset: number): void {
  const { ds, name, rows, columns } = s;
  const element = ds.elements.x7fe00010;
  if (!element) throw new TvunetError('INVALID_INPUT', `${name}: no pixel data (7FE0,0010)`);
  if (element.encapsulatedPixelData) throw new TvunetError('DECODE', `${name}: encapsulated (compressed) pixel data is not supported`);
  const bitsAllocated = ds.uint16('x00280100') ?? 16;
  const bitsStored = ds.uint16('x00280101') ?? bitsAllocated;
  const signed = (ds.uint16('x00280103') ?? 0) === 1;
  if (bitsAllocated !== 8 && bitsAllocated !== 16 && bitsAllocated !== 32) throw new TvunetError('DECODE', `${name}: BitsAllocated ${bitsAllocated} is not supported (8, 16 or 32)`);
  if (!(bitsStored >= 1 && bitsStored <= bitsAllocated)) throw new TvunetError('DECODE', `${name}: BitsStored ${bitsStored} does not fit BitsAllocated ${bitsAllocated}`);
  const bytesPer = bitsAllocated / 8;
  const n = rows * columns;
  if (element.length < n * bytesPer || element.dataOffset + n * bytesPer > s.bytes.length) {
    throw new TvunetError('DECODE', `${name}: pixel data truncated: ${rows}×${columns}×${bitsAllocated} bit needs ${n * bytesPer} bytes, the file has ${Math.min(element.length, s.bytes.length - element.dataOffset)}`);
  }
  const littleEndian = s.transferSyntax !== '1.2.840.10008.1.2.2';
  const view = new DataView(s.bytes.buffer, s.bytes.byteOffset + element.dataOffset, n * bytesPer);
  const shift = 32 - bitsStored;
  const mask = bitsStored >= 32 ? 0xffffffff : 2 ** bitsStored - 1;
  const { slope, intercept } = s;
  for (let i = 0; i < n; i++) {
    let v = bytesPer === 2 ? view.getUint16(2 * i, littleEndian) : bytesPer === 1 ? view.getUint8(i) : view.getUint32(4 * i, littleEndian);
    v = signed ? (v << shift) >> shift : bitsStored >= 32 ? v >>> 0 : v & mask;
    out[offset + i] = v * slope + intercept;
  }
}

/**
 * Reads a DICOM CT series (one slice per file, any file order) into a volume in HU.
 * Rejects with TvunetError: 'DECODE' for unreadable files, compressed or truncated pixel data;
 * 'INVALID_INPUT' for several series (unless `seriesInstanceUid` picks one), non-CT modality,
 * missing geometry, mixed sizes / orientations / spacings, duplicate positions, gaps (missing
 * slices) or irregular spacing, and volumes over `maxVoxels` (checked before allocating).
 */
export function readDicomSeries(files: readonly DicomFileInput[], options: ReadDicomOptions = {}): Volume {
  if (!Array.isArray(files) || files.length === 0) throw new TvunetError('INVALID_INPUT', 'readDicomSeries needs at least one DICOM file');
  const maxVoxels = options.maxVoxels ?? DEFAULT_MAX_VOXELS;
  const maxGapRatio = options.maxGapRatio ?? 1.5;
  const parsed = files.map((f, i) => parseFile(f, i));
  const skippedFiles: number[] = [];
  const images = parsed.filter((p, i) => {
    const hasPixels = p.ds.elements.x7fe00010 !== undefined;
    if (!hasPixels) skippedFiles.push(i);
    return hasPixels;
  });
  if (images.length === 0) throw new TvunetError('INVALID_INPUT', `none of the ${files.length} DICOM file(s) holds pixel data`);

  // One series only.
  const bySeries = new Map<string, number>();
  for (const p of images) {
    const uid = p.ds.string('x0020000e') ?? '';
    bySeries.set(uid, (bySeries.get(uid) ?? 0) + 1);
  }
  let chosen = images;
  if (options.seriesInstanceUid !== undefined) {
    chosen = images.filter((p) => (p.ds.string('x0020000e') ?? '') === options.seriesInstanceUid);
    if (chosen.length === 0) throw new TvunetError('INVALID_INPUT', `no file belongs to series ${options.seriesInstanceUid} (series present: ${[...bySeries.keys()].join(', ')})`);
  } else if (bySeries.size > 1) {
    const list = [...bySeries].map(([uid, n]) => `${uid || '(no SeriesInstanceUID)'}: ${n} file(s)`).join('; ');
    throw new TvunetError('INVALID_INPUT', `the files hold ${bySeries.size} series (${list}); pass seriesInstanceUid to choose one`);
  }
  for (const p of chosen) {
    const modality = (p.ds.string('x00080060') ?? '').trim();
    if (modality !== 'CT') {
      throw new TvunetError('INVALID_INPUT', `${p.name}: modality ${modality ? `"${modality}"` : '(missing)'} is not CT; only CT series can be segmented`);
    }
  }
  const slices = chosen.map((p) => describeSlice(p, parsed.indexOf(p)));

  // Consistent geometry.
  const first = slices[0]!;
  for (const s of slices) {
    if (s.rows !== first.rows || s.columns !== first.columns) {
      throw new TvunetError('INVALID_INPUT', `mixed slice sizes: ${first.name} is ${first.columns}×${first.rows}, ${s.name} is ${s.columns}×${s.rows}`);
    }
    if (s.orientation.some((v, i) => Math.abs(v - first.orientation[i]!) > 1e-3)) {
      throw new TvunetError('INVALID_INPUT', `mixed orientations: ${first.name} has ImageOrientationPatient ${first.orientation.join('\\')}, ${s.name} has ${s.orientation.join('\\')}`);
    }
    if (s.spacing.some((v, i) => Math.abs(v - first.spacing[i]!) > 1e-4 * Math.max(1, v))) {
      throw new TvunetError('INVALID_INPUT', `mixed pixel spacings: ${first.name} has ${first.spacing.join('\\')} mm, ${s.name} has ${s.spacing.join('\\')} mm`);
    }
  }
  const rowDir = first.orientation.slice(0, 3), colDir = first.orientation.slice(3, 6);
  const normal = cross(rowDir, colDir);
  if (Math.abs(Math.hypot(...normal) - 1) > 1e-2) throw new TvunetError('INVALID_INPUT', `${first.name}: ImageOrientationPatient ${first.orientation.join('\\')} is not two orthogonal unit vectors`);

  const voxels = first.rows * first.columns * slices.length;
  if (voxels > maxVoxels) throw new TvunetError('INVALID_INPUT', `the series is ${first.columns}×${first.rows}×${slices.length} = ${voxels} voxels, over the limit of ${maxVoxels} (maxVoxels)`);

  // Order along the normal; check for duplicates and gaps.
  const sorted = slices.map((s) => ({ s, d: dot(s.position, normal) })).sort((a, b) => a.d - b.d);
  const steps = sorted.slice(1).map((e, i) => e.d - sorted[i]!.d);
  let sliceSpacing: number;
  if (steps.length === 0) {
    const thickness = numbers(first.ds, 'x00180050', 1)?.[0];
    sliceSpacing = thickness && thickness > 0 ? thickness : 1;
  } else {
    for (const [i, step] of steps.entries()) {
      if (step < 1e-3) {
        throw new TvunetError('INVALID_INPUT', `${sorted[i]!.s.name} and ${sorted[i + 1]!.s.name} lie at the same position (${sorted[i]!.d.toFixed(2)} mm along the slice normal): duplicate slices or several acquisitions in one series`);
      }
    }
    const median = [...steps].sort((a, b) => a - b)[steps.length >> 1]!;
    for (const [i, step] of steps.entries()) {
      if (step > maxGapRatio * median) {
        const missing = Math.round(step / median) - 1;
        throw new TvunetError('INVALID_INPUT', `missing slice(s): a gap of ${step.toFixed(2)} mm between ${sorted[i]!.s.name} and ${sorted[i + 1]!.s.name} where slices are ${median.toFixed(2)} mm apart (about ${missing} slice(s) missing)`);
      }
      if (step < median / maxGapRatio) {
        throw new TvunetError('INVALID_INPUT', `irregular slice spacing: ${step.toFixed(2)} mm between ${sorted[i]!.s.name} and ${sorted[i + 1]!.s.name} where slices are ${median.toFixed(2)} mm apart`);
      }
    }
    sliceSpacing = (sorted.at(-1)!.d - sorted[0]!.d) / steps.length;
  }

  const [rows, columns] = [first.rows, first.columns];
  const data = new Float32Array(voxels);
  sorted.forEach(({ s }, z) => readPixels(s, data, z * rows * columns));

  // LPS affine: column index along the row direction, row index along the column direction.
  const p0 = sorted[0]!.s.position, pn = sorted.at(-1)!.s.position;
  const n = sorted.length;
  const zStep = n > 1 ? [0, 1, 2].map((k) => (pn[k]! - p0[k]!) / (n - 1)) : normal.map((v) => v * sliceSpacing);
  const dx = first.spacing[1], dy = first.spacing[0];
  const lps: Affine = [0, 1, 2].map((k) => [rowDir[k]! * dx, colDir[k]! * dy, zStep[k]!, p0[k]!]);
  const affine: Affine = [...lps.map((row, k) => (k < 2 ? row.map((v) => (v === 0 ? 0 : -v)) : row)), [0, 0, 0, 1]];

  const str = (tag: string) => (first.ds.string(tag) ?? '').trim();
  const series: DicomSeriesInfo = {
    seriesInstanceUid: first.seriesUid,
    studyInstanceUid: str('x0020000d'),
    seriesDescription: str('x0008103e'),
    modality: 'CT',
    manufacturer: str('x00080070'),
    transferSyntaxUid: first.transferSyntax,
    sliceCount: n,
    sliceThicknessMm: numbers(first.ds, 'x00180050', 1)?.[0] ?? Number.NaN,
    sliceSpacingMm: sliceSpacing,
    orientationLps: first.orientation.slice(),
    firstPositionLps: p0.slice(),
    lastPositionLps: pn.slice(),
    rescaleSlope: sorted[0]!.s.slope,
    rescaleIntercept: sorted[0]!.s.intercept,
    rescaleVaries: slices.some((s) => s.slope !== first.slope || s.intercept !== first.intercept),
    fileOrder: sorted.map(({ s }) => s.index),
    skippedFiles,
  };
  return { data, dims: [columns, rows, n], spacingMm: [dx, dy, sliceSpacing], affine, kind: 'hu', source: { format: 'dicom', series } };
}
