/**
 * Encoding weights into the tvunet weights format (manifest + shards) and decoding them back.
 * The format itself is described in `manifest.ts`.
 */
import { TvunetError } from '../errors.js';
import { parameterSpecs, validateUNetConfig, type UNetConfig } from '../model/config.js';
import { decodeFloat16, float32ToFloat16Bits } from './float16.js';
import {
  DEFAULT_INPUT_SPEC,
  WEIGHTS_DTYPES,
  WEIGHTS_FORMAT,
  WEIGHTS_FORMAT_VERSION,
  bytesPerElement,
  elementCount,
  parseManifest,
  type ClassSpec,
  type EncodedModel,
  type ModelInputSpec,
  type ModelManifest,
  type NamedWeights,
  type ShardEntry,
  type TensorEntry,
  type WeightsDtype,
} from './manifest.js';
import { sha256Hex } from './sha256.js';

/** Default upper bound of one shard file: 4 MiB. */
export const DEFAULT_MAX_SHARD_BYTES = 4 * 1024 * 1024;
/** Every tensor starts at a multiple of this many bytes within its shard. */
export const TENSOR_ALIGNMENT = 4;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export interface EncodeMeta {
  name: string;
  architecture: UNetConfig;
  /** Defaults to {@link DEFAULT_INPUT_SPEC}; given fields override it. */
  input?: Partial<ModelInputSpec>;
  classes: ClassSpec[];
  provenance?: Record<string, unknown>;
}

export interface EncodeOptions {
  dtype: WeightsDtype;
  /** Upper bound of one shard in bytes (default 4 MiB). A tensor larger than this is an error. */
  maxShardBytes?: number;
}

/**
 * Shard file names: `model.weights.bin` for one shard, else `model.weights.shard1of3.bin`, ...
 * `stem` must be a plain file-name stem ([A-Za-z0-9._-]).
 */
export function shardFileNames(count: number, stem = 'model'): string[] {
  if (count === 1) return [`${stem}.weights.bin`];
  return Array.from({ length: count }, (_, i) => `${stem}.weights.shard${i + 1}of${count}.bin`);
}

function invalidInput(message: string): never {
  throw new TvunetError('INVALID_INPUT', message);
}

function checkWeights(weights: NamedWeights, architecture: UNetConfig, dtype: WeightsDtype): Float32Array[] {
  if (!(weights instanceof Map)) invalidInput('weights must be a Map from parameter name to {shape, data}');
  const specs = parameterSpecs(architecture);
  const known = new Set(specs.map((s) => s.name));
  const extra = [...weights.keys()].filter((k) => !known.has(k));
  if (extra.length > 0) invalidInput(`weights hold tensor(s) the architecture does not have: ${extra.slice(0, 5).join(', ')}`);
  return specs.map((spec) => {
    const w = weights.get(spec.name);
    if (!w) invalidInput(`weights lack tensor "${spec.name}" (shape [${spec.shape.join(', ')}])`);
    if (!Array.isArray(w.shape) || w.shape.length !== spec.shape.length || w.shape.some((d, k) => d !== spec.shape[k])) {
      invalidInput(`tensor "${spec.name}" has shape [${String(w.shape)}] but the architecture needs [${spec.shape.join(', ')}]`);
    }
    if (!(w.data instanceof Float32Array)) invalidInput(`tensor "${spec.name}" data must be a Float32Array`);
    const n = elementCount(spec.shape);
    if (w.data.length !== n) invalidInput(`tensor "${spec.name}" has ${w.data.length} values but shape [${spec.shape.join(', ')}] needs ${n}`);
    for (let i = 0; i < n; i++) {
      const v = w.data[i]!;
      if (!Number.isFinite(v)) invalidInput(`tensor "${spec.name}" has a non-finite value ${v} at index ${i}`);
      if (dtype === 'float16' && (float32ToFloat16Bits(v) & 0x7fff) === 0x7c00) {
        invalidInput(`tensor "${spec.name}" value ${v} at index ${i} is outside the float16 range (±65504); use float32`);
      }
    }
    return w.data;
  });
}

/** Writes one tensor's encoded bytes at `out[offset..]`; returns the uint8 quantization if any. */
function writeTensor(data: Float32Array, dtype: WeightsDtype, out: Uint8Array, offset: number): TensorEntry['quantization'] {
  const n = data.length;
  if (dtype === 'float32') {
    if (LITTLE_ENDIAN_HOST) out.set(new Uint8Array(data.buffer, data.byteOffset, n * 4), offset);
    else {
      const dv = new DataView(out.buffer, out.byteOffset + offset, n * 4);
      for (let i = 0; i < n; i++) dv.setFloat32(i * 4, data[i]!, true);
    }
    return undefined;
  }
  if (dtype === 'float16') {
    const dv = new DataView(out.buffer, out.byteOffset + offset, n * 2);
    for (let i = 0; i < n; i++) dv.setUint16(i * 2, float32ToFloat16Bits(data[i]!), true);
    return undefined;
  }
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (n === 0) min = max = 0;
  const scale = max > min ? (max - min) / 255 : 0;
  for (let i = 0; i < n; i++) {
    const q = scale > 0 ? Math.round((data[i]! - min) / scale) : 0;
    out[offset + i] = q < 0 ? 0 : q > 255 ? 255 : q;
  }
  return { min, scale };
}

/**
 * Encodes weights into a manifest and shard bytes (the caller writes them, e.g. with
 * `saveModelToPath`). Checks that the weights are exactly `parameterSpecs(meta.architecture)`
 * with the right shapes and finite values (`INVALID_INPUT`), the options (`INVALID_OPTIONS`)
 * and the resulting manifest (`INVALID_MANIFEST`, e.g. classes that do not match outChannels).
 * Tensors are stored in `parameterSpecs` order, each at a 4-byte-aligned offset, packed greedily
 * into shards of at most `maxShardBytes`; a tensor is never split.
 */
export async function encodeModel(weights: NamedWeights, meta: EncodeMeta, options: EncodeOptions): Promise<EncodedModel> {
  const { dtype } = options ?? ({} as EncodeOptions);
  if (!WEIGHTS_DTYPES.includes(dtype)) {
    throw new TvunetError('INVALID_OPTIONS', `dtype must be one of ${WEIGHTS_DTYPES.join(', ')}, got ${String(dtype)}`);
  }
  const maxShardBytes = options.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES;
  if (!Number.isSafeInteger(maxShardBytes) || maxShardBytes < 1) {
    throw new TvunetError('INVALID_OPTIONS', `maxShardBytes must be a positive integer, got ${String(maxShardBytes)}`);
  }
  if (meta === null || typeof meta !== 'object') throw new TvunetError('INVALID_INPUT', 'meta must be an object');
  const architecture = validateUNetConfig(meta.architecture);
  const datas = checkWeights(weights, architecture, dtype);
  const specs = parameterSpecs(architecture);
  const bpe = bytesPerElement(dtype);

  // Layout: greedy packing in parameter order.
  const shardSizes: number[] = [0];
  const tensors: TensorEntry[] = specs.map((spec) => {
    const byteLength = elementCount(spec.shape) * bpe;
    if (byteLength > maxShardBytes) {
      throw new TvunetError(
        'INVALID_OPTIONS',
        `tensor "${spec.name}" needs ${byteLength} bytes in ${dtype}, more than maxShardBytes = ${maxShardBytes}; raise maxShardBytes`,
      );
    }
    let shard = shardSizes.length - 1;
    let byteOffset = Math.ceil(shardSizes[shard]! / TENSOR_ALIGNMENT) * TENSOR_ALIGNMENT;
    if (byteOffset + byteLength > maxShardBytes && shardSizes[shard]! > 0) {
      shardSizes.push(0);
      shard++;
      byteOffset = 0;
    }
    shardSizes[shard] = byteOffset + byteLength;
    return { name: spec.name, shape: spec.shape.slice(), shard, byteOffset, byteLength };
  });

  const shards = shardSizes.map((size) => new Uint8Array(size)); // zero-filled padding
  tensors.forEach((t, i) => {
    const quantization = writeTensor(datas[i]!, dtype, shards[t.shard]!, t.byteOffset);
    if (quantization) t.quantization = quantization;
  });

  const names = shardFileNames(shards.length);
  const shardEntries: ShardEntry[] = await Promise.all(
    shards.map(async (bytes, i) => ({ path: names[i]!, byteLength: bytes.length, sha256: await sha256Hex(bytes) })),
  );
  const raw = {
    format: WEIGHTS_FORMAT,
    formatVersion: WEIGHTS_FORMAT_VERSION,
    name: meta.name,
    architecture,
    input: { ...DEFAULT_INPUT_SPEC, ...(meta.input ?? {}) },
    classes: meta.classes,
    dtype,
    tensors,
    shards: shardEntries,
    ...(meta.provenance !== undefined ? { provenance: meta.provenance } : {}),
  };
  return { manifest: parseManifest(raw), shards };
}

function describeShard(manifest: ModelManifest, index: number, source?: string): string {
  const s = manifest.shards[index]!;
  return `shard ${index} "${s.path}"${source && source !== s.path ? ` (${source})` : ''}`;
}

/**
 * Checks one shard's length and SHA-256 against the manifest; throws `INTEGRITY` naming the
 * shard (and `source`, e.g. its URL or file path) with the expected and actual values.
 */
export async function verifyShard(manifest: ModelManifest, index: number, bytes: Uint8Array, source?: string): Promise<void> {
  const entry = manifest.shards[index];
  if (!entry) throw new TvunetError('INVALID_INPUT', `no shard ${index} in manifest "${manifest.name}"`);
  if (bytes.length !== entry.byteLength) {
    throw new TvunetError(
      'INTEGRITY',
      `${describeShard(manifest, index, source)} has ${bytes.length} bytes but the manifest says ${entry.byteLength} (truncated or wrong file)`,
    );
  }
  const actual = await sha256Hex(bytes);
  if (actual !== entry.sha256) {
    throw new TvunetError('INTEGRITY', `${describeShard(manifest, index, source)} sha256 mismatch: expected ${entry.sha256}, got ${actual}`);
  }
}

/** Checks the number of shards given against the manifest (MISSING_SHARD / INVALID_INPUT). */
export function checkShardCount(manifest: ModelManifest, shards: readonly unknown[]): void {
  if (shards.length < manifest.shards.length) {
    const missing = manifest.shards.slice(shards.length).map((s) => `"${s.path}"`);
    throw new TvunetError('MISSING_SHARD', `manifest "${manifest.name}" has ${manifest.shards.length} shards but ${shards.length} were given; missing ${missing.join(', ')}`);
  }
  if (shards.length > manifest.shards.length) {
    throw new TvunetError('INVALID_INPUT', `manifest "${manifest.name}" has ${manifest.shards.length} shards but ${shards.length} were given`);
  }
}

function decodeTensor(manifest: ModelManifest, t: TensorEntry, shard: Uint8Array): Float32Array {
  const n = elementCount(t.shape);
  const start = t.byteOffset;
  if (start + t.byteLength > shard.length) {
    throw new TvunetError('INTEGRITY', `tensor "${t.name}" bytes ${start}..${start + t.byteLength} lie outside shard ${t.shard} (${shard.length} bytes)`);
  }
  const bytes = shard.subarray(start, start + t.byteLength);
  switch (manifest.dtype) {
    case 'float32': {
      if (LITTLE_ENDIAN_HOST) return new Float32Array(bytes.slice().buffer); // copy: aligned and owned
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
      return out;
    }
    case 'float16': {
      let halves: Uint16Array;
      if (LITTLE_ENDIAN_HOST) halves = new Uint16Array(bytes.slice().buffer);
      else {
        const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        halves = new Uint16Array(n);
        for (let i = 0; i < n; i++) halves[i] = dv.getUint16(i * 2, true);
      }
      return decodeFloat16(halves);
    }
    case 'uint8': {
      const { min, scale } = t.quantization!;
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = min + bytes[i]! * scale;
      return out;
    }
  }
}

/**
 * Decodes the tensors of an already validated manifest from shards whose integrity was already
 * checked (see {@link decodeModel} for the checked path). Result is in `parameterSpecs` order.
 */
export function decodeTensors(manifest: ModelManifest, shards: readonly Uint8Array[]): NamedWeights {
  checkShardCount(manifest, shards);
  const byName = new Map(manifest.tensors.map((t) => [t.name, t]));
  const out: NamedWeights = new Map();
  for (const spec of parameterSpecs(manifest.architecture)) {
    const t = byName.get(spec.name);
    if (!t) throw new TvunetError('INVALID_MANIFEST', `invalid manifest: missing tensor "${spec.name}"`);
    const data = decodeTensor(manifest, t, shards[t.shard]!);
    // Weights are data: a NaN / ±Infinity (float32 or float16 bit patterns, or an overflowing
    // uint8 quantization) would silently turn every probability into NaN, so refuse it here.
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!)) {
        throw new TvunetError('INTEGRITY', `tensor "${t.name}" in shard ${t.shard} holds a non-finite value (${data[i]}) at index ${i}; the weights are corrupt`);
      }
    }
    out.set(t.name, { shape: t.shape.slice(), data });
  }
  return out;
}

/**
 * Validates `manifest` (as {@link parseManifest}), checks each shard's length and SHA-256
 * (`INTEGRITY`), and decodes every tensor to a fresh Float32Array (dequantising float16/uint8).
 */
export async function decodeModel(manifest: ModelManifest, shards: readonly Uint8Array[]): Promise<NamedWeights> {
  const m = parseManifest(manifest);
  if (!Array.isArray(shards)) throw new TvunetError('INVALID_INPUT', 'shards must be an array of Uint8Array');
  checkShardCount(m, shards);
  shards.forEach((s, i) => {
    if (!(s instanceof Uint8Array)) throw new TvunetError('INVALID_INPUT', `shards[${i}] must be a Uint8Array`);
  });
  await Promise.all(shards.map((s, i) => verifyShard(m, i, s)));
  return decodeTensors(m, shards);
}
