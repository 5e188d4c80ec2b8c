import { createVolume } from 'tvunet/volume';

/** PNG slices carry no voxel size: their volumes (mL) assume 1 mm voxels. */
export const PNG_SPACING_MM = [1, 1, 1];

const isPng = (f) => /\.png$/i.test(f.name) || f.type === 'image/png';

/** PNG slices (sorted by name, numbers numerically) → a 0…255 'display' volume. */
async function readPngStack(files) {
  const sorted = [...files].sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  let width = 0, height = 0, data = null;
  for (const [z, file] of sorted.entries()) {
    const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    if (z === 0) {
      ({ width, height } = bitmap);
      data = new Float32Array(width * height * sorted.length);
    }
    if (bitmap.width !== width || bitmap.height !== height) throw new Error(`${file.name} is ${bitmap.width}×${bitmap.height}, the first slice ${width}×${height}`);
    const ctx = new OffscreenCanvas(width, height).getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    const rgba = ctx.getImageData(0, 0, width, height).data;
    for (let i = 0; i < width * height; i++) data[z * width * height + i] = rgba[4 * i]; // grey: R = G = B
  }
  return createVolume(data, [width, height, sorted.length], { kind: 'display', spacingMm: PNG_SPACING_MM });
}

/**
 * Dropped or chosen files → a tvunet Volume: PNG slices are stacked here; a NIfTI file or the
 * files of a DICOM series are parsed in one of the pool's workers (the page never blocks).
 */
export async function readVolumeFiles(fileList, pool) {
  const files = [...fileList];
  if (files.length === 0) throw new Error('no files');
  if (files.some(isPng)) {
    if (!files.every(isPng)) throw new Error('drop PNG slices on their own, not mixed with other files');
    return readPngStack(files);
  }
  const named = await Promise.all(files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
  return pool.readVolume(named);
}
