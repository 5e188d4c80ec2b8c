import { readImageStack } from 'tvunet/volume';

/** PNG slices carry no voxel size: their volumes (mL) assume 1 mm voxels. */
export const PNG_SPACING_MM = [1, 1, 1];

const isPng = (f) => /\.png$/i.test(f.name) || f.type === 'image/png';

/**
 * Dropped or chosen files → a tvunet Volume: PNG slices are stacked here; a NIfTI file or the
 * files of a DICOM series are parsed in one of the pool's workers (the page never blocks).
 */
export async function readVolumeFiles(fileList, pool) {
  const files = [...fileList];
  if (files.length === 0) throw new Error('no files');
  if (files.some(isPng)) {
    if (!files.every(isPng)) throw new Error('drop PNG slices on their own, not mixed with other files');
    return readImageStack(files, { spacingMm: PNG_SPACING_MM }); // in name order (listInputFiles)
  }
  const named = await Promise.all(files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
  return pool.readVolume(named);
}
