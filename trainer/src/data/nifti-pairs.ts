/**
 * Training samples from NIfTI image/mask volume pairs (the MedSeg layout: `tr_im.nii.gz` +
 * `tr_mask.nii.gz`, mask values 0 background, 1 ground-glass, 2 consolidation, 3 pleural
 * effusion), read with the library's NIfTI reader and cut into 2D slices the way `tvunet segment`
 * cuts volumes (`sliceLayout`, radiological display: axial slices, patient's left on the right).
 *
 * The mask is taken voxel for voxel: it must have the image's dims, and the image's layout is used
 * for both (a mask is a label map of the image's grid, whatever its own header says).
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { TvunetError } from '../../../src/errors.js';
import { readNifti } from '../../../src/io/nifti.js';
import { windowHounsfield } from '../../../src/preprocess/normalize.js';
import { sliceLayout, type SliceLayout } from '../../../src/volume/orientation.js';
import type { SampleRef } from './datasets.js';

/** A volume as 8-bit values in its stored voxel order, with the layout of its axial slices. */
export interface ByteVolume {
  path: string;
  dims: [number, number, number];
  layout: SliceLayout;
  /** Image: display grey levels 0…255 (HU windowed with the default lung window). Mask: label values. */
  data: Uint8Array;
  kind: 'hu' | 'display' | 'labels';
}

/** `tr_im.nii.gz` → `tr_im`. */
export function niftiStem(path: string): string {
  return basename(path).replace(/\.nii(\.gz)?$/i, '');
}

async function readVolumeFile(path: string, kind: 'auto' | 'display') {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new TvunetError('INVALID_INPUT', `${path}: NIfTI file not found or unreadable (${(e as NodeJS.ErrnoException).code ?? ''})`, { cause: e });
  }
  return readNifti(bytes, { name: path, kind });
}

/**
 * Reads a CT volume: HU volumes (readNifti's `kind`, told from the values) are windowed to display
 * grey levels with the library's default lung window, like `tvunet segment` does; display volumes
 * (0…255) are kept. Rounded to bytes, the precision of the PNG/JPG sources.
 */
export async function readImageVolume(path: string): Promise<ByteVolume> {
  const v = await readVolumeFile(path, 'auto');
  const display = v.kind === 'hu' ? windowHounsfield(v.data) : v.data;
  const data = Uint8Array.from(display, (x) => Math.round(Math.min(255, Math.max(0, x))));
  return { path, dims: v.dims, layout: sliceLayout(v), data, kind: v.kind };
}

/** Reads a label volume (integer values 0…255; MedSeg: 0…3), laid out with the image's slices. */
export async function readMaskVolume(path: string, image: ByteVolume): Promise<ByteVolume> {
  const v = await readVolumeFile(path, 'display');
  if (v.dims.some((d, i) => d !== image.dims[i])) {
    throw new TvunetError('INVALID_INPUT', `${path}: mask volume is ${v.dims.join('×')}, image volume ${image.path} is ${image.dims.join('×')}`);
  }
  const data = Uint8Array.from(v.data, (x) => Math.round(Math.min(255, Math.max(0, x))));
  return { path, dims: v.dims, layout: image.layout, data, kind: 'labels' };
}

/** How the slices of a volume are grouped for splitting: one group for the volume, one per slice, or a name. */
export type NiftiGrouping = { by: 'volume' } | { by: 'slice' } | { by: 'name'; name: string };

/**
 * One sample per axial slice of `imagePath`, labelled from `maskPath`:
 * infection = any label except 0 and 3 (pleural effusion is not infection), ground-glass = 1,
 * consolidation = 2. Reads both volumes to count the slices and check that their dims agree.
 */
export async function niftiSamples(imagePath: string, maskPath: string, grouping: NiftiGrouping = { by: 'volume' }): Promise<SampleRef[]> {
  const image = await readImageVolume(imagePath);
  await readMaskVolume(maskPath, image); // dims check, before training starts
  const stem = niftiStem(imagePath);
  const out: SampleRef[] = [];
  for (let z = 0; z < image.layout.depth; z++) {
    out.push({
      id: `nifti-${stem}-${z}`,
      group: grouping.by === 'volume' ? `nifti-${stem}` : grouping.by === 'slice' ? `nifti-${stem}-${z}` : grouping.name,
      source: `nifti:${imagePath}`,
      image: imagePath,
      slice: { index: z },
      labels: {
        infection: { path: maskPath, encoding: { kind: 'nonzero-except', except: [3] } },
        'ground-glass': { path: maskPath, encoding: { kind: 'index', value: 1 } },
        consolidation: { path: maskPath, encoding: { kind: 'index', value: 2 } },
      },
    });
  }
  return out;
}
