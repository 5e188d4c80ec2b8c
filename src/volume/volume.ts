/**
 * CT volumes in memory: the type the NIfTI and DICOM readers return, `segmentVolume` takes and
 * the NIfTI writers take their geometry from.
 *
 * Layout: voxel (x, y, z) is `data[x + nx * (y + ny * z)]` (x fastest), as in NIfTI files and
 * in the 3D masks of `../postprocess`. For DICOM series x is the column, y the row and z the
 * slice, sorted along the slice normal.
 *
 * World coordinates: `affine` maps voxel indices (x, y, z, 1) to millimetres in **RAS+** (x grows
 * to the patient's Right, y to Anterior, z to Superior), the NIfTI convention. DICOM's LPS
 * coordinates are converted on reading (x and y negated); {@link affineToLps} converts back.
 */
import { TvunetError } from '../errors.js';

/** 4×4 matrix, row-major: `affine[row][column]`; the last row is [0, 0, 0, 1]. */
export type Affine = number[][];

/** What a NIfTI file's header said, kept so that written volumes have the same geometry. */
export interface NiftiHeaderInfo {
  /** 1 or 2 (NIfTI-1 / NIfTI-2). */
  version: 1 | 2;
  littleEndian: boolean;
  /** NIfTI datatype code (2 uint8, 4 int16, 8 int32, 16 float32, 64 float64, 256 int8, 512 uint16, 768 uint32). */
  datatype: number;
  bitpix: number;
  /** dim[0..7] as stored. */
  dim: number[];
  /** pixdim[0..7] as stored (pixdim[0] is qfac), in the file's units. */
  pixdim: number[];
  voxOffset: number;
  /** As stored; 0 (or not finite) means "no scaling". */
  sclSlope: number;
  sclInter: number;
  /** Raw xyzt_units byte (spatial units: 1 m, 2 mm, 3 µm; 0 unknown = mm). */
  xyztUnits: number;
  intentCode: number;
  dimInfo: number;
  sliceCode: number;
  sliceStart: number;
  sliceEnd: number;
  sliceDuration: number;
  toffset: number;
  calMin: number;
  calMax: number;
  description: string;
  qformCode: number;
  sformCode: number;
  /** quatern_b, quatern_c, quatern_d. */
  quatern: [number, number, number];
  /** qoffset_x, qoffset_y, qoffset_z. */
  qoffset: [number, number, number];
  /** srow_x, srow_y, srow_z (3 rows of 4), as stored. */
  srow: number[][];
}

/**
 * The series a DICOM volume came from. Holds no patient-identifying attributes (name, ID, birth
 * date are never read), so it can go into reports.
 */
export interface DicomSeriesInfo {
  seriesInstanceUid: string;
  studyInstanceUid: string;
  seriesDescription: string;
  modality: string;
  manufacturer: string;
  transferSyntaxUid: string;
  sliceCount: number;
  /** SliceThickness (0018,0050) of the first slice, mm; NaN when absent. */
  sliceThicknessMm: number;
  /** Distance between neighbouring slices along the slice normal, mm (from the positions). */
  sliceSpacingMm: number;
  /** ImageOrientationPatient: row and column direction cosines, LPS. */
  orientationLps: number[];
  /** ImagePositionPatient of the first and last slice of the volume (z = 0 and z = nz − 1), LPS. */
  firstPositionLps: number[];
  lastPositionLps: number[];
  /** RescaleSlope / RescaleIntercept of the first slice; `rescaleVaries` when slices differ (each is applied to its own slice). */
  rescaleSlope: number;
  rescaleIntercept: number;
  rescaleVaries: boolean;
  /** For each z, the index of its file in the list given to the reader. */
  fileOrder: number[];
  /** Files that were skipped (no pixel data, e.g. DICOMDIR or structured reports), by index. */
  skippedFiles: number[];
}

export type VolumeSource =
  | { format: 'nifti'; header: NiftiHeaderInfo }
  | { format: 'dicom'; series: DicomSeriesInfo }
  | { format: 'array' };

/**
 * A CT volume. `kind: 'hu'`: Hounsfield units (windowed with the model's HU window when
 * segmented); `'display'`: grey levels 0…255 (e.g. stacked PNG/JPG slices).
 */
export interface Volume {
  /** Voxel values, x fastest (see the module comment). */
  data: Float32Array;
  /** [nx, ny, nz]. */
  dims: [number, number, number];
  /** Voxel size along x, y, z in mm (the affine's column lengths; z: slice distance). */
  spacingMm: [number, number, number];
  /** Voxel (x, y, z, 1) → world mm, RAS+ (see the module comment). */
  affine: Affine;
  kind: 'hu' | 'display';
  /** Header information of the file(s) read, or `{ format: 'array' }`. */
  source: VolumeSource;
}

/** The geometry of a volume without its voxels: what label and probability volumes share with it. */
export type VolumeGeometry = Pick<Volume, 'dims' | 'spacingMm' | 'affine' | 'source'>;

/**
 * Largest volume the readers accept by default, in voxels: 2^28 (e.g. 512 × 512 × 1024), i.e.
 * 1 GiB as Float32. Readers check the declared size against it before allocating anything.
 */
export const DEFAULT_MAX_VOXELS = 2 ** 28;

/** Volume of one voxel in mL (mm³ / 1000). */
export function voxelVolumeMl(spacingMm: readonly [number, number, number]): number {
  return (spacingMm[0] * spacingMm[1] * spacingMm[2]) / 1000;
}

/** Identity-rotation RAS affine with the given spacing: x → Right, y → Anterior, z → Superior. */
export function diagonalAffine(spacingMm: readonly [number, number, number]): Affine {
  return [
    [spacingMm[0], 0, 0, 0],
    [0, spacingMm[1], 0, 0],
    [0, 0, spacingMm[2], 0],
    [0, 0, 0, 1],
  ];
}

/** An LPS affine (DICOM's patient coordinates) from a RAS one, or back: x and y rows negated. */
export function affineToLps(affine: Affine): Affine {
  return affine.map((row, r) => (r < 2 ? row.map((v) => (v === 0 ? 0 : -v)) : row.slice()));
}

/** Lengths of the affine's first three columns: the voxel size along x, y, z. */
export function spacingFromAffine(affine: Affine): [number, number, number] {
  const len = (c: number) => Math.hypot(affine[0]![c]!, affine[1]![c]!, affine[2]![c]!);
  return [len(0), len(1), len(2)];
}

function checkAffine(affine: unknown): asserts affine is Affine {
  const ok = Array.isArray(affine) && affine.length === 4 && affine.every((r) => Array.isArray(r) && r.length === 4 && r.every((v) => Number.isFinite(v)));
  if (!ok) throw new TvunetError('INVALID_INPUT', 'affine must be a 4×4 array of finite numbers (rows of 4)');
}

/**
 * Validates a volume (shape, data length, spacing, affine, kind) and returns its dims.
 * Throws TvunetError('INVALID_INPUT') naming the problem.
 */
export function checkVolume(volume: Volume): [number, number, number] {
  if (typeof volume !== 'object' || volume === null) throw new TvunetError('INVALID_INPUT', 'volume must be an object { data, dims, spacingMm, affine, kind }');
  const { data, dims, spacingMm, affine, kind } = volume;
  if (!Array.isArray(dims) || dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d > 0)) {
    throw new TvunetError('INVALID_INPUT', `volume dims must be three positive integers, got ${JSON.stringify(dims)}`);
  }
  if (!(data instanceof Float32Array)) throw new TvunetError('INVALID_INPUT', 'volume data must be a Float32Array');
  const n = dims[0] * dims[1] * dims[2];
  if (data.length !== n) throw new TvunetError('INVALID_INPUT', `volume data has ${data.length} values, dims ${dims.join('×')} need ${n}`);
  if (!Array.isArray(spacingMm) || spacingMm.length !== 3 || !spacingMm.every((s) => Number.isFinite(s) && s > 0)) {
    throw new TvunetError('INVALID_INPUT', `volume spacingMm must be three finite positive numbers, got ${JSON.stringify(spacingMm)}`);
  }
  checkAffine(affine);
  if (kind !== 'hu' && kind !== 'display') throw new TvunetError('INVALID_INPUT', `volume kind must be 'hu' or 'display', got "${String(kind)}"`);
  return [dims[0], dims[1], dims[2]];
}

/**
 * Builds a {@link Volume} from voxel values (copied to Float32). Without `affine` the axes are
 * taken as x → patient Left, y → Posterior, z → Superior (a stack of axial slices as they are
 * displayed: anterior up, patient's right on the image's left), with the given spacing.
 */
export function createVolume(
  data: ArrayLike<number>,
  dims: [number, number, number],
  options: { spacingMm?: [number, number, number]; affine?: Affine; kind?: 'hu' | 'display' } = {},
): Volume {
  if (options.affine !== undefined) checkAffine(options.affine);
  const spacingMm = options.spacingMm ?? (options.affine ? spacingFromAffine(options.affine) : [1, 1, 1]);
  const affine = options.affine ?? [
    [-spacingMm[0], 0, 0, 0],
    [0, -spacingMm[1], 0, 0],
    [0, 0, spacingMm[2], 0],
    [0, 0, 0, 1],
  ];
  const volume: Volume = { data: Float32Array.from(data), dims: [...dims], spacingMm: [...spacingMm], affine: affine.map((r) => r.slice()), kind: options.kind ?? 'hu', source: { format: 'array' } };
  checkVolume(volume);
  return volume;
}
