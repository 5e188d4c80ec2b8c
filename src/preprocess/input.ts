/**
 * Turning what callers pass to `segment()` into one grey display-range slice (0…255 floats):
 * typed arrays in HU or display values anywhere, and ImageData / images / canvases / bitmaps in
 * browsers and workers.
 */
import { TvunetError } from '../errors.js';
import { windowHounsfield } from './normalize.js';

export type PixelArray = Uint8Array | Uint8ClampedArray | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

/**
 * A single-channel slice, row-major. `kind: 'hu'` is Hounsfield units, windowed with the model's
 * HU window; `'display'` is grey 0…255 (e.g. decoded PNG/JPG slices).
 */
export interface RawSlice {
  data: PixelArray;
  width: number;
  height: number;
  kind: 'hu' | 'display';
}

/** Anything `drawImage` accepts, plus ImageData (RGBA; the luma is used). */
export type BrowserImageSource = ImageData | ImageBitmap | HTMLImageElement | HTMLCanvasElement | OffscreenCanvas;

export type SegmentInput = RawSlice | BrowserImageSource;

export interface DisplaySlice {
  display: Float32Array;
  width: number;
  height: number;
}

/** Largest slice accepted: bigger inputs are refused before any allocation. */
export const MAX_SLICE_PIXELS = 8192 * 8192;

function checkDims(width: unknown, height: unknown): asserts width is number {
  if (!Number.isInteger(width) || !Number.isInteger(height) || (width as number) < 1 || (height as number) < 1) {
    throw new TvunetError('INVALID_INPUT', `image size must be positive integers, got ${String(width)}×${String(height)}`);
  }
  if ((width as number) * (height as number) > MAX_SLICE_PIXELS) {
    throw new TvunetError('INVALID_INPUT', `image ${String(width)}×${String(height)} exceeds the ${MAX_SLICE_PIXELS} pixel limit`);
  }
}

function isRawSlice(x: unknown): x is RawSlice {
  return typeof x === 'object' && x !== null && 'data' in x && 'kind' in x && ArrayBuffer.isView((x as RawSlice).data);
}

function isImageDataLike(x: unknown): x is ImageData {
  return typeof x === 'object' && x !== null && 'data' in x && (x as ImageData).data instanceof Uint8ClampedArray && 'width' in x && !('kind' in x);
}

/** Grey level (ITU-R BT.601 luma) of RGBA pixels. @internal */
export function lumaOfRgba(rgba: Uint8ClampedArray | Uint8Array, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 0.299 * rgba[4 * i]! + 0.587 * rgba[4 * i + 1]! + 0.114 * rgba[4 * i + 2]!;
  return out;
}

function rawToDisplay(s: RawSlice, huWindow: readonly [number, number]): DisplaySlice {
  checkDims(s.width, s.height);
  const n = s.width * s.height;
  if (s.data.length !== n) {
    throw new TvunetError('INVALID_INPUT', `data has ${s.data.length} values, ${s.width}×${s.height} needs ${n}`);
  }
  let bad = 0;
  for (let i = 0; i < n; i++) if (!Number.isFinite(s.data[i]!)) bad++;
  if (bad > 0) throw new TvunetError('INVALID_INPUT', `data holds ${bad} NaN or infinite value(s)`);
  if (s.kind === 'hu') return { display: windowHounsfield(s.data, huWindow), width: s.width, height: s.height };
  if (s.kind !== 'display') throw new TvunetError('INVALID_INPUT', `kind must be 'hu' or 'display', got "${String(s.kind)}"`);
  const display = new Float32Array(n);
  for (let i = 0; i < n; i++) display[i] = Math.min(255, Math.max(0, s.data[i]!));
  return { display, width: s.width, height: s.height };
}

function drawableSize(src: Exclude<BrowserImageSource, ImageData>): [number, number] {
  const img = src as HTMLImageElement;
  if (typeof img.naturalWidth === 'number') return [img.naturalWidth, img.naturalHeight];
  return [(src as ImageBitmap).width, (src as ImageBitmap).height];
}

function browserToDisplay(src: BrowserImageSource): DisplaySlice {
  if (isImageDataLike(src)) {
    checkDims(src.width, src.height);
    if (src.data.length !== src.width * src.height * 4) throw new TvunetError('INVALID_INPUT', `ImageData has ${src.data.length} bytes, ${src.width}×${src.height} RGBA needs ${src.width * src.height * 4}`);
    return { display: lumaOfRgba(src.data, src.width * src.height), width: src.width, height: src.height };
  }
  if (typeof OffscreenCanvas === 'undefined') {
    throw new TvunetError('INVALID_INPUT', 'image elements, canvases and bitmaps need OffscreenCanvas (a browser or worker); in Node pass { data, width, height, kind }');
  }
  const [width, height] = drawableSize(src as Exclude<BrowserImageSource, ImageData>);
  checkDims(width, height);
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new TvunetError('INVALID_INPUT', 'could not get a 2D context to read the image');
  let data: Uint8ClampedArray;
  try {
    ctx.drawImage(src as CanvasImageSource, 0, 0);
    data = ctx.getImageData(0, 0, width, height).data;
  } catch (e) {
    // e.g. a plain object with width/height, a closed ImageBitmap or a broken image
    throw new TvunetError('INVALID_INPUT', `could not read the image: ${(e as Error).message}`, { cause: e });
  }
  return { display: lumaOfRgba(data, width * height), width, height };
}

/** Converts any supported input to a display-range slice; unsupported or malformed input is INVALID_INPUT. */
export function toDisplaySlice(input: SegmentInput, huWindow: readonly [number, number]): DisplaySlice {
  if (isRawSlice(input)) return rawToDisplay(input, huWindow);
  if (typeof input === 'object' && input !== null && 'kind' in input && 'data' in input) {
    const data = (input as { data: unknown }).data;
    const what = Array.isArray(data) ? 'a plain Array' : data === null ? 'null' : typeof data;
    throw new TvunetError('INVALID_INPUT', `data must be a typed array (e.g. Float32Array, Int16Array), got ${what}`);
  }
  if (typeof input === 'object' && input !== null && ('width' in input || 'naturalWidth' in input)) return browserToDisplay(input as BrowserImageSource);
  throw new TvunetError('INVALID_INPUT', 'unsupported input: pass { data, width, height, kind }, ImageData, an image, a canvas or an ImageBitmap');
}
