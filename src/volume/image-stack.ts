/**
 * Display-range image slices (PNG or JPG exports of a CT, as in COVID-SemiSeg or Ma et al.)
 * stacked into a volume, in a browser page or worker. Images carry no voxel size, so volumes in
 * mL assume the spacing given (default 1 mm).
 */
import { TvunetError } from '../errors.js';
import { lumaOfRgba } from '../preprocess/input.js';
import { createVolume, type Volume } from './volume.js';

export interface ReadImageStackOptions {
  /** Voxel size in mm along x, y and z (default [1, 1, 1]). */
  spacingMm?: [number, number, number];
}

const nameOf = (image: Blob, index: number) => (image as File).name ?? `image ${index + 1}`;

/**
 * Stacks images (files or blobs, in the order given: `listInputFiles` sorts by name) into a 0…255
 * 'display' volume, the grey level of each pixel as `Segmenter.segment` reads an image (luma).
 * Rejects with TvunetError: 'INVALID_INPUT' (no images, sizes that differ, outside a browser),
 * 'DECODE' (an image the browser cannot decode), naming the file.
 */
export async function readImageStack(images: readonly Blob[], options: ReadImageStackOptions = {}): Promise<Volume> {
  if (images.length === 0) throw new TvunetError('INVALID_INPUT', 'no images to stack');
  if (typeof createImageBitmap !== 'function' || typeof OffscreenCanvas === 'undefined') {
    throw new TvunetError('INVALID_INPUT', 'readImageStack needs a browser page or worker (createImageBitmap and OffscreenCanvas)');
  }
  let width = 0, height = 0, data: Float32Array | null = null;
  for (const [z, image] of images.entries()) {
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(image, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    } catch (e) {
      throw new TvunetError('DECODE', `${nameOf(image, z)}: not an image the browser can decode`, { cause: e });
    }
    if (z === 0) {
      ({ width, height } = bitmap);
      data = new Float32Array(width * height * images.length);
    }
    if (bitmap.width !== width || bitmap.height !== height) {
      const size = `${bitmap.width}×${bitmap.height}`;
      bitmap.close();
      throw new TvunetError('INVALID_INPUT', `${nameOf(image, z)} is ${size}, the first image ${width}×${height}`);
    }
    const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true })!;
    ctx.drawImage(bitmap, 0, 0);
    bitmap.close();
    data!.set(lumaOfRgba(ctx.getImageData(0, 0, width, height).data, width * height), z * width * height);
  }
  return createVolume(data!, [width, height, images.length], { kind: 'display', spacingMm: options.spacingMm ?? [1, 1, 1] });
}
