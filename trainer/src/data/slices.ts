/** Decoding samples to the model's input size, cached in memory as bytes. */
import { TvunetError } from '../../../src/errors.js';
import { resizeBilinear, resizeNearest } from '../../../src/preprocess/resize.js';
import { multiClassIndices, readImageFile, type DecodedImage } from '../io/image-files.js';
import { CLASS_NAMES, type LabelRef, type SampleRef } from './datasets.js';

/** A sample at size×size: grey image and one 0…255 target plane per class (null = unlabelled). */
export interface LoadedSlice {
  size: number;
  image: Uint8Array;
  targets: (Uint8Array | null)[];
}

function labelPlane(img: DecodedImage, ref: LabelRef, size: number): Uint8Array {
  const { width, height } = img;
  if (ref.encoding.kind === 'soft') {
    const r = resizeBilinear(img.gray, width, height, size, size);
    return Uint8Array.from(r, (v) => Math.round(v));
  }
  let binary: Uint8Array;
  if (ref.encoding.kind === 'index') {
    const value = ref.encoding.value;
    binary = multiClassIndices(img).map((v) => (v === value ? 255 : 0));
  } else {
    binary = img.gray.map((v) => (v > 127 ? 255 : 0));
  }
  return resizeNearest(binary, width, height, size, size);
}

export class SliceCache {
  private readonly cache = new Map<string, LoadedSlice>();
  constructor(readonly size: number, readonly classes: readonly string[] = CLASS_NAMES) {}

  async load(sample: SampleRef): Promise<LoadedSlice> {
    const hit = this.cache.get(sample.id);
    if (hit) return hit;
    const img = await readImageFile(sample.image);
    const decodedLabels = new Map<string, DecodedImage>();
    const targets: (Uint8Array | null)[] = [];
    for (const cls of this.classes) {
      const ref = sample.labels[cls as keyof SampleRef['labels']];
      if (!ref) { targets.push(null); continue; }
      let mask = decodedLabels.get(ref.path);
      if (!mask) { mask = await readImageFile(ref.path); decodedLabels.set(ref.path, mask); }
      if (mask.width !== img.width || mask.height !== img.height) {
        throw new TvunetError('INVALID_INPUT', `${ref.path}: mask is ${mask.width}×${mask.height}, image ${sample.image} is ${img.width}×${img.height}`);
      }
      targets.push(labelPlane(mask, ref, this.size));
    }
    const image = Uint8Array.from(resizeBilinear(img.gray, img.width, img.height, this.size, this.size), (v) => Math.round(v));
    const slice = { size: this.size, image, targets };
    this.cache.set(sample.id, slice);
    return slice;
  }
}
