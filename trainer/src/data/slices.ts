/** Decoding samples to the model's input size, cached in memory as bytes. */
import { TvunetError } from '../../../src/errors.js';
import { resizeBilinear, resizeNearest } from '../../../src/preprocess/resize.js';
import { extractSlice } from '../../../src/volume/orientation.js';
import { multiClassIndices, readImageFile, type DecodedImage } from '../io/image-files.js';
import { CLASS_NAMES, type LabelEncoding, type LabelRef, type SampleRef } from './datasets.js';
import { readImageVolume, readMaskVolume, type ByteVolume } from './nifti-pairs.js';

/** A sample at size×size: grey image and one 0…255 target plane per class (null = unlabelled). */
export interface LoadedSlice {
  size: number;
  image: Uint8Array;
  targets: (Uint8Array | null)[];
}

/** 0/255 plane of the pixels whose label (palette index or NIfTI label value) the encoding selects. */
function selectLabels(labels: Uint8Array, encoding: Extract<LabelEncoding, { kind: 'index' | 'nonzero-except' }>): Uint8Array {
  if (encoding.kind === 'index') {
    const value = encoding.value;
    return labels.map((v) => (v === value ? 255 : 0));
  }
  const except = new Set(encoding.except);
  return labels.map((v) => (v !== 0 && !except.has(v) ? 255 : 0));
}

function labelPlane(img: DecodedImage, ref: LabelRef, size: number): Uint8Array {
  const { width, height } = img;
  if (ref.encoding.kind === 'soft') {
    const r = resizeBilinear(img.gray, width, height, size, size);
    return Uint8Array.from(r, (v) => Math.round(v));
  }
  const binary = ref.encoding.kind === 'binary'
    ? img.gray.map((v) => (v > 127 ? 255 : 0))
    : selectLabels(multiClassIndices(img), ref.encoding);
  return resizeNearest(binary, width, height, size, size);
}

/** Target plane from one slice of a NIfTI label volume (values are labels: binary = non-zero). */
function volumeLabelPlane(labels: Uint8Array, width: number, height: number, ref: LabelRef, size: number): Uint8Array {
  if (ref.encoding.kind === 'soft') throw new TvunetError('INVALID_INPUT', `${ref.path}: soft labels are not supported for NIfTI masks`);
  const binary = ref.encoding.kind === 'binary' ? labels.map((v) => (v !== 0 ? 255 : 0)) : selectLabels(labels, ref.encoding);
  return resizeNearest(binary, width, height, size, size);
}

export class SliceCache {
  private readonly cache = new Map<string, LoadedSlice>();
  /** Decoded NIfTI volumes (image and mask), read once per path and kept for all their slices. */
  private readonly volumes = new Map<string, Promise<ByteVolume>>();
  constructor(readonly size: number, readonly classes: readonly string[] = CLASS_NAMES) {}

  private volume(key: string, read: () => Promise<ByteVolume>): Promise<ByteVolume> {
    let v = this.volumes.get(key);
    if (!v) {
      v = read();
      this.volumes.set(key, v);
      v.catch(() => this.volumes.delete(key)); // a failed read is not cached
    }
    return v;
  }

  async load(sample: SampleRef): Promise<LoadedSlice> {
    const hit = this.cache.get(sample.id);
    if (hit) return hit;
    const slice = sample.slice ? await this.loadVolumeSlice(sample, sample.slice.index) : await this.loadFiles(sample);
    this.cache.set(sample.id, slice);
    return slice;
  }

  private async loadFiles(sample: SampleRef): Promise<LoadedSlice> {
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
    return { size: this.size, image, targets };
  }

  /** Slice `index` of a NIfTI image volume and of its mask volume(s), resized like the 2D sources. */
  private async loadVolumeSlice(sample: SampleRef, index: number): Promise<LoadedSlice> {
    const vol = await this.volume(`image:${sample.image}`, () => readImageVolume(sample.image));
    const { width, height, depth } = vol.layout;
    if (!Number.isInteger(index) || index < 0 || index >= depth) {
      throw new TvunetError('INVALID_INPUT', `${sample.image}: slice ${index} is outside the volume's ${depth} slices`);
    }
    const labelSlices = new Map<string, Uint8Array>();
    const targets: (Uint8Array | null)[] = [];
    for (const cls of this.classes) {
      const ref = sample.labels[cls as keyof SampleRef['labels']];
      if (!ref) { targets.push(null); continue; }
      let labels = labelSlices.get(ref.path);
      if (!labels) {
        const mask = await this.volume(`mask:${ref.path}:${sample.image}`, () => readMaskVolume(ref.path, vol));
        labels = extractSlice(mask.data, vol.layout, index);
        labelSlices.set(ref.path, labels);
      }
      targets.push(volumeLabelPlane(labels, width, height, ref, this.size));
    }
    const grey = extractSlice(vol.data, vol.layout, index);
    const image = Uint8Array.from(resizeBilinear(grey, width, height, this.size, this.size), (v) => Math.round(v));
    return { size: this.size, image, targets };
  }
}
