/** Reading and writing the 2D image files the CLI and the data loaders use (PNG, JPG), in Node. */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { TvunetError } from '../../../src/errors.js';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;

export interface DecodedImage {
  width: number;
  height: number;
  /** Grey levels 0…255 (the first channel, or the luma of a colour image). */
  gray: Uint8Array;
  /** RGBA bytes as decoded, for palette-indexed masks. */
  rgba: Uint8Array;
}

/** Refuses images whose pixel count could exhaust memory before decoding finishes. */
const MAX_PIXELS = 8192 * 8192;

function toGray(rgba: Uint8Array, n: number): Uint8Array {
  const gray = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const r = rgba[4 * i]!, g = rgba[4 * i + 1]!, b = rgba[4 * i + 2]!;
    gray[i] = r === g && g === b ? r : Math.round(0.299 * r + 0.587 * g + 0.114 * b);
  }
  return gray;
}

/**
 * pngjs allocates the whole RGBA bitmap from the IHDR size, whatever the data: a 90-byte PNG that
 * claims 20000×20000 decodes to 1.6 GB. Read the IHDR first and refuse sizes over MAX_PIXELS.
 */
function checkPngHeaderSize(bytes: Uint8Array, name: string): void {
  if (bytes.length < 24 || String.fromCharCode(bytes[12]!, bytes[13]!, bytes[14]!, bytes[15]!) !== 'IHDR') return; // pngjs reports it
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint32(16), height = view.getUint32(20);
  if (width * height > MAX_PIXELS) {
    throw new TvunetError('DECODE', `${name}: the PNG header declares ${width}×${height} pixels, over the limit of ${MAX_PIXELS} (8192×8192)`);
  }
}

/** Decodes PNG or JPG bytes; any failure is a TvunetError('DECODE') naming the file. */
export function decodeImage(bytes: Uint8Array, name: string): DecodedImage {
  const ext = extname(name).toLowerCase();
  let width: number, height: number, rgba: Uint8Array;
  try {
    if (ext === '.png') {
      checkPngHeaderSize(bytes, name);
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      ({ width, height } = png);
      rgba = new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength);
    } else if (ext === '.jpg' || ext === '.jpeg') {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
      ({ width, height } = img);
      rgba = img.data;
    } else {
      throw new TvunetError('DECODE', `${name}: unsupported image type "${ext || '(none)'}" (PNG or JPG expected)`);
    }
  } catch (e) {
    if (e instanceof TvunetError) throw e;
    throw new TvunetError('DECODE', `${name}: not a readable ${ext.slice(1).toUpperCase()} image (${(e as Error).message})`, { cause: e });
  }
  if (width < 1 || height < 1 || rgba.length < width * height * 4) {
    throw new TvunetError('DECODE', `${name}: decoded to an empty or truncated image (${width}×${height})`);
  }
  return { width, height, rgba, gray: toGray(rgba, width * height) };
}

export async function readImageFile(path: string): Promise<DecodedImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new TvunetError('DECODE', `${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  return decodeImage(bytes, path);
}

/**
 * Palette-indexed multi-class masks (COVID-SemiSeg: 1 = ground-glass drawn red 128,0,0;
 * 2 = consolidation drawn green 0,128,0). pngjs expands palettes to RGBA, so classes are read back
 * from the colours; grey-converted copies (38 / 75) are accepted too.
 */
export function multiClassIndices(img: DecodedImage): Uint8Array {
  const n = img.width * img.height;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const r = img.rgba[4 * i]!, g = img.rgba[4 * i + 1]!, b = img.rgba[4 * i + 2]!;
    if (r === g && g === b) out[i] = r === 38 ? 1 : r === 75 ? 2 : r === 0 ? 0 : r <= 2 ? r : 0;
    else out[i] = r > g ? 1 : 2;
  }
  return out;
}

export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  return PNG.sync.write(png);
}

export function grayToRgba(gray: ArrayLike<number>): Uint8Array {
  const rgba = new Uint8Array(gray.length * 4);
  for (let i = 0; i < gray.length; i++) {
    const v = Math.max(0, Math.min(255, Math.round(gray[i]!)));
    rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = v;
    rgba[4 * i + 3] = 255;
  }
  return rgba;
}
