/** One entry point for volume files: a NIfTI file, or the files of a DICOM series. */
import { TvunetError } from '../errors.js';
import { readDicomSeries, type ReadDicomOptions } from '../io/dicom.js';
import { readNifti, type ReadNiftiOptions } from '../io/nifti.js';
import { isGzip } from '../io/nifti-gzip.js';
import type { Volume } from './volume.js';

/** A named file's bytes (names pick the format and appear in error messages). */
export interface VolumeFile {
  name: string;
  bytes: ArrayBuffer | ArrayBufferView;
}

export type ReadVolumeOptions = Omit<ReadNiftiOptions, 'name'> & ReadDicomOptions;

function bytesOf(f: VolumeFile): Uint8Array {
  const b = f.bytes;
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  throw new TvunetError('INVALID_INPUT', `${String(f.name)}: bytes must be an ArrayBuffer or a Uint8Array`);
}

/** True for `.nii` / `.nii.gz` names, or bytes that are gzip or carry the NIfTI-1/2 magic. */
export function looksLikeNifti(file: VolumeFile): boolean {
  if (/\.nii(\.gz)?$/i.test(file.name)) return true;
  const b = bytesOf(file);
  if (isGzip(b)) return true;
  const magic = (at: number) => String.fromCharCode(b[at] ?? 0, b[at + 1] ?? 0, b[at + 2] ?? 0);
  return b.length >= 348 && (magic(344) === 'n+1' || magic(4) === 'n+2');
}

/**
 * Reads one NIfTI file (`.nii`, `.nii.gz`) or a DICOM series (one or more files). Errors as
 * readNifti / readDicomSeries.
 */
export async function readVolume(files: VolumeFile | readonly VolumeFile[], options: ReadVolumeOptions = {}): Promise<Volume> {
  const list = Array.isArray(files) ? (files as readonly VolumeFile[]) : [files as VolumeFile];
  if (list.length === 0) throw new TvunetError('INVALID_INPUT', 'readVolume needs at least one file');
  for (const f of list) {
    if (typeof f !== 'object' || f === null || typeof f.name !== 'string') throw new TvunetError('INVALID_INPUT', 'each file must be { name, bytes }');
  }
  const nifti = list.filter(looksLikeNifti);
  if (nifti.length > 0) {
    if (list.length > 1) throw new TvunetError('INVALID_INPUT', `pass one NIfTI file at a time (got ${list.length} files, ${nifti.length} of them NIfTI)`);
    return readNifti(bytesOf(list[0]!), { ...options, name: list[0]!.name });
  }
  return readDicomSeries(list, options);
}
