/**
 * # tvunet weights format, version 1
 *
 * A model is a JSON manifest (conventionally `model.json`) plus one or more binary shard files
 * beside it. The manifest is a {@link ModelManifest}:
 *
 * ```jsonc
 * {
 *   "format": "tvunet-weights",
 *   "formatVersion": 1,
 *   "name": "tvunet-default",
 *   "architecture": { "depth": 4, "baseChannels": 8, "inputSize": 256, "inChannels": 1,
 *                     "outChannels": 1, "upsampling": "transpose" },          // see UNetConfig
 *   "input": { "kind": "display", "huWindow": [-1250, 250], "normalization": "per-image-zscore" },
 *   "classes": [{ "name": "infection", "threshold": 0.5 }],                   // one per output channel
 *   "dtype": "float16",                                                      // float32 | float16 | uint8
 *   "tensors": [{ "name": "enc0/conv1/kernel", "shape": [3, 3, 1, 8], "shard": 0,
 *                 "byteOffset": 0, "byteLength": 144 }, ...],
 *   "shards": [{ "path": "model.weights.bin", "byteLength": 123456, "sha256": "<64 lowercase hex>" }],
 *   "provenance": { ... }                                                   // optional, free-form JSON
 * }
 * ```
 *
 * Rules (all enforced by {@link parseManifest}; any violation is `TvunetError('INVALID_MANIFEST')`
 * with a message naming the field):
 * - `architecture` is a valid `UNetConfig`; `tensors` holds exactly the parameters of
 *   `parameterSpecs(architecture)` (same names, same shapes), in any order, each once.
 * - `input`: the network consumes grey display values 0..255. Hounsfield-unit inputs are clipped
 *   to `huWindow` = [lo, hi] (lo < hi) and mapped linearly to 0..255. After resizing to
 *   `inputSize`, each slice is normalised as `(x - mean(x)) / max(std(x), 1e-6)`
 *   (`per-image-zscore`).
 * - `classes.length === architecture.outChannels`; names non-empty and distinct; each
 *   `threshold` strictly inside (0, 1), applied to the sigmoid output.
 * - Element encodings, all little-endian, row-major (C order) in the `shape` given:
 *   - `float32`: IEEE binary32, 4 bytes.
 *   - `float16`: IEEE binary16, 2 bytes, produced by round-to-nearest-even from float32.
 *   - `uint8`: 1 byte `q`, value = `quantization.min + q * quantization.scale` (per tensor;
 *     `scale = (max - min) / 255`, or 0 when the tensor is constant). `quantization` is present
 *     if and only if dtype is `uint8`.
 * - `byteLength === product(shape) * bytesPerElement(dtype)`; a tensor lies wholly inside one
 *   shard (`byteOffset + byteLength <= shards[shard].byteLength`) and tensors never overlap.
 *   Any offset is accepted on read (decoding copies); the encoder starts every tensor at a
 *   multiple of 4 bytes, so a float32 tensor can be viewed in place, and pads gaps with zeros.
 * - `shards[].path` is relative to the manifest: segments of `[A-Za-z0-9._-]` separated by `/`,
 *   no `.`/`..` segments, no leading `/` (so it resolves the same as a URL and a file path and
 *   cannot escape the model's folder). Paths are distinct.
 * - `shards[].byteLength` is the exact file length and `sha256` the lowercase hex SHA-256 of the
 *   whole file (padding included). Readers check both before decoding (`INTEGRITY`).
 * - `provenance`, when present, is a JSON object (no functions, no non-finite numbers).
 * - Unknown top-level fields are ignored (and dropped by `parseManifest`); a breaking change
 *   bumps `formatVersion`.
 */
import { TvunetError } from '../errors.js';
import { parameterSpecs, validateUNetConfig, type UNetConfig } from '../model/config.js';

export const WEIGHTS_FORMAT = 'tvunet-weights';
export const WEIGHTS_FORMAT_VERSION = 1;
/** File name tried when a directory is given instead of a manifest. */
export const DEFAULT_MANIFEST_FILE = 'model.json';

export type WeightsDtype = 'float32' | 'float16' | 'uint8';
export const WEIGHTS_DTYPES: readonly WeightsDtype[] = ['float32', 'float16', 'uint8'];

/** How the network's input is prepared; see the format description above. */
export interface ModelInputSpec {
  kind: 'display';
  huWindow: [number, number];
  normalization: 'per-image-zscore';
}

export const DEFAULT_INPUT_SPEC: Readonly<ModelInputSpec> = Object.freeze({
  kind: 'display',
  huWindow: [-1250, 250] as [number, number],
  normalization: 'per-image-zscore',
});

export interface ClassSpec {
  name: string;
  /** Probability threshold in (0, 1). */
  threshold: number;
}

export interface TensorEntry {
  name: string;
  shape: number[];
  /** Index into `shards`. */
  shard: number;
  byteOffset: number;
  byteLength: number;
  /** uint8 only: value = min + q * scale. */
  quantization?: { min: number; scale: number };
}

export interface ShardEntry {
  /** Relative to the manifest. */
  path: string;
  byteLength: number;
  /** Lowercase hex SHA-256 of the shard file. */
  sha256: string;
}

export interface ModelManifest {
  format: 'tvunet-weights';
  formatVersion: 1;
  name: string;
  architecture: UNetConfig;
  input: ModelInputSpec;
  classes: ClassSpec[];
  dtype: WeightsDtype;
  tensors: TensorEntry[];
  shards: ShardEntry[];
  provenance?: Record<string, unknown>;
}

/** Parameter values by name (the names of `parameterSpecs`), row-major float32. */
export type NamedWeights = Map<string, { shape: number[]; data: Float32Array }>;

/** A manifest and its shard bytes, in `manifest.shards` order. */
export interface EncodedModel {
  manifest: ModelManifest;
  shards: Uint8Array[];
}

export interface LoadedModel {
  manifest: ModelManifest;
  weights: NamedWeights;
}

export function bytesPerElement(dtype: WeightsDtype): number {
  return dtype === 'float32' ? 4 : dtype === 'float16' ? 2 : 1;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

const SHARD_SEGMENT = /^[A-Za-z0-9._-]+$/;

/** True when `path` is an acceptable `shards[].path` (see the format rules). */
export function isSafeRelativePath(path: string): boolean {
  if (path.length === 0 || path.length > 255) return false;
  return path.split('/').every((seg) => SHARD_SEGMENT.test(seg) && seg !== '.' && seg !== '..');
}

function fail(message: string): never {
  throw new TvunetError('INVALID_MANIFEST', `invalid manifest: ${message}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  try {
    const s = JSON.stringify(v);
    if (s !== undefined) return s.length > 60 ? `${s.slice(0, 57)}...` : s;
  } catch {
    // fall through
  }
  return String(v);
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function checkJsonValue(v: unknown, where: string, depth: number): void {
  if (depth > 32) fail(`${where} is nested too deeply`);
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) fail(`${where} is a non-finite number`);
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((x, i) => checkJsonValue(x, `${where}[${i}]`, depth + 1));
    return;
  }
  if (typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
    for (const [k, x] of Object.entries(v)) checkJsonValue(x, `${where}.${k}`, depth + 1);
    return;
  }
  fail(`${where} is not JSON data (${typeof v})`);
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const head = text.slice(0, 40).replace(/\s+/g, ' ');
    throw new TvunetError('INVALID_MANIFEST', `invalid manifest: not JSON (${(e as Error).message}); text starts ${JSON.stringify(head)}`, {
      cause: e,
    });
  }
}

/**
 * Validates a manifest and returns a clean copy. Accepts the parsed object, or its JSON text as
 * a string or UTF-8 bytes. Every problem is `TvunetError('INVALID_MANIFEST')` naming the field.
 */
export function parseManifest(json: unknown): ModelManifest {
  if (typeof json === 'string') json = parseJsonText(json);
  else if (json instanceof Uint8Array) json = parseJsonText(new TextDecoder().decode(json));
  if (!isObject(json)) fail(`expected a JSON object, got ${Array.isArray(json) ? 'an array' : typeof json}`);
  const m = json;

  if (m.format !== WEIGHTS_FORMAT) fail(`format must be "${WEIGHTS_FORMAT}", got ${show(m.format)}`);
  if (m.formatVersion !== WEIGHTS_FORMAT_VERSION) {
    fail(`unsupported formatVersion ${show(m.formatVersion)} (this library reads formatVersion ${WEIGHTS_FORMAT_VERSION})`);
  }
  if (typeof m.name !== 'string' || m.name.trim() === '') fail(`name must be a non-empty string, got ${show(m.name)}`);

  let architecture: UNetConfig;
  try {
    architecture = validateUNetConfig(m.architecture);
  } catch (e) {
    fail((e as Error).message); // already names the architecture field
  }

  // input
  const inp = m.input;
  if (!isObject(inp)) fail(`input must be an object, got ${show(inp)}`);
  if (inp.kind !== 'display') fail(`input.kind must be "display", got ${show(inp.kind)}`);
  const hw = inp.huWindow;
  if (!Array.isArray(hw) || hw.length !== 2 || !hw.every((x) => typeof x === 'number' && Number.isFinite(x)) || !(hw[0] < hw[1])) {
    fail(`input.huWindow must be two finite numbers [lo, hi] with lo < hi, got ${show(hw)}`);
  }
  if (inp.normalization !== 'per-image-zscore') fail(`input.normalization must be "per-image-zscore", got ${show(inp.normalization)}`);
  const input: ModelInputSpec = { kind: 'display', huWindow: [hw[0] as number, hw[1] as number], normalization: 'per-image-zscore' };

  // classes
  if (!Array.isArray(m.classes)) fail(`classes must be an array, got ${show(m.classes)}`);
  if (m.classes.length !== architecture.outChannels) {
    fail(`classes has ${m.classes.length} entries but architecture.outChannels is ${architecture.outChannels}`);
  }
  const classNames = new Set<string>();
  const classes: ClassSpec[] = m.classes.map((c: unknown, i: number) => {
    if (!isObject(c)) fail(`classes[${i}] must be an object, got ${show(c)}`);
    if (typeof c.name !== 'string' || c.name.trim() === '') fail(`classes[${i}].name must be a non-empty string, got ${show(c.name)}`);
    if (classNames.has(c.name)) fail(`classes[${i}].name ${show(c.name)} is repeated`);
    classNames.add(c.name);
    if (typeof c.threshold !== 'number' || !(c.threshold > 0 && c.threshold < 1)) {
      fail(`classes[${i}].threshold must be a number strictly between 0 and 1, got ${show(c.threshold)}`);
    }
    return { name: c.name, threshold: c.threshold };
  });

  // dtype
  if (!WEIGHTS_DTYPES.includes(m.dtype as WeightsDtype)) fail(`dtype must be one of ${WEIGHTS_DTYPES.join(', ')}, got ${show(m.dtype)}`);
  const dtype = m.dtype as WeightsDtype;

  // shards
  if (!Array.isArray(m.shards) || m.shards.length === 0) fail(`shards must be a non-empty array, got ${show(m.shards)}`);
  const paths = new Set<string>();
  const shards: ShardEntry[] = m.shards.map((s: unknown, i: number) => {
    if (!isObject(s)) fail(`shards[${i}] must be an object, got ${show(s)}`);
    if (typeof s.path !== 'string' || !isSafeRelativePath(s.path)) {
      fail(`shards[${i}].path must be a relative path of [A-Za-z0-9._-] segments joined by "/", got ${show(s.path)}`);
    }
    if (paths.has(s.path)) fail(`shards[${i}].path ${show(s.path)} is repeated`);
    paths.add(s.path);
    if (!isNonNegInt(s.byteLength)) fail(`shards[${i}].byteLength must be a non-negative integer, got ${show(s.byteLength)}`);
    if (typeof s.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(s.sha256)) {
      fail(`shards[${i}].sha256 must be 64 lowercase hex digits, got ${show(s.sha256)}`);
    }
    return { path: s.path, byteLength: s.byteLength, sha256: s.sha256 };
  });

  // tensors
  if (!Array.isArray(m.tensors)) fail(`tensors must be an array, got ${show(m.tensors)}`);
  const bpe = bytesPerElement(dtype);
  const byName = new Map<string, TensorEntry>();
  const tensors: TensorEntry[] = m.tensors.map((t: unknown, i: number) => {
    if (!isObject(t)) fail(`tensors[${i}] must be an object, got ${show(t)}`);
    if (typeof t.name !== 'string' || t.name === '') fail(`tensors[${i}].name must be a non-empty string, got ${show(t.name)}`);
    const at = `tensors[${i}] (${show(t.name)})`;
    if (byName.has(t.name)) fail(`${at}: tensor name is repeated`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => isNonNegInt(d) && d >= 1)) {
      fail(`${at}.shape must be an array of positive integers, got ${show(t.shape)}`);
    }
    const shape = (t.shape as number[]).slice();
    if (!isNonNegInt(t.shard) || t.shard >= shards.length) fail(`${at}.shard must be an index into shards (0..${shards.length - 1}), got ${show(t.shard)}`);
    if (!isNonNegInt(t.byteOffset)) fail(`${at}.byteOffset must be a non-negative integer, got ${show(t.byteOffset)}`);
    if (!isNonNegInt(t.byteLength)) fail(`${at}.byteLength must be a non-negative integer, got ${show(t.byteLength)}`);
    const want = elementCount(shape) * bpe;
    if (t.byteLength !== want) fail(`${at}.byteLength is ${t.byteLength} but shape ${show(shape)} in ${dtype} needs ${want}`);
    const shard = shards[t.shard]!;
    if (t.byteOffset + t.byteLength > shard.byteLength) {
      fail(`${at} bytes ${t.byteOffset}..${t.byteOffset + t.byteLength} lie outside shard ${t.shard} ("${shard.path}", ${shard.byteLength} bytes)`);
    }
    const entry: TensorEntry = { name: t.name, shape, shard: t.shard, byteOffset: t.byteOffset, byteLength: t.byteLength };
    if (dtype === 'uint8') {
      const q = t.quantization;
      if (!isObject(q)) fail(`${at}.quantization {min, scale} is required when dtype is uint8`);
      if (typeof q.min !== 'number' || !Number.isFinite(q.min)) fail(`${at}.quantization.min must be a finite number, got ${show(q.min)}`);
      if (typeof q.scale !== 'number' || !Number.isFinite(q.scale) || q.scale < 0) {
        fail(`${at}.quantization.scale must be a finite number >= 0, got ${show(q.scale)}`);
      }
      entry.quantization = { min: q.min, scale: q.scale };
    } else if (t.quantization !== undefined) {
      fail(`${at}.quantization is only allowed when dtype is uint8 (dtype is ${dtype})`);
    }
    byName.set(t.name, entry);
    return entry;
  });

  // no two tensors share bytes
  const sorted = tensors.filter((t) => t.byteLength > 0).sort((a, b) => a.shard - b.shard || a.byteOffset - b.byteOffset);
  for (let i = 1; i < sorted.length; i++) {
    const p = sorted[i - 1]!;
    const c = sorted[i]!;
    if (p.shard === c.shard && p.byteOffset + p.byteLength > c.byteOffset) fail(`tensors "${p.name}" and "${c.name}" overlap in shard ${c.shard}`);
  }

  // exactly the architecture's parameters
  const specs = parameterSpecs(architecture);
  const missing: string[] = [];
  for (const spec of specs) {
    const t = byName.get(spec.name);
    if (!t) {
      missing.push(spec.name);
      continue;
    }
    if (t.shape.length !== spec.shape.length || t.shape.some((d, k) => d !== spec.shape[k])) {
      fail(`tensor "${spec.name}" has shape ${show(t.shape)} but the architecture needs ${show(spec.shape)}`);
    }
  }
  if (missing.length > 0) fail(`missing tensor(s) required by the architecture: ${listNames(missing)}`);
  const known = new Set(specs.map((s) => s.name));
  const extra = tensors.filter((t) => !known.has(t.name)).map((t) => t.name);
  if (extra.length > 0) fail(`extra tensor(s) not in the architecture: ${listNames(extra)}`);

  const manifest: ModelManifest = {
    format: WEIGHTS_FORMAT,
    formatVersion: WEIGHTS_FORMAT_VERSION,
    name: m.name,
    architecture,
    input,
    classes,
    dtype,
    tensors,
    shards,
  };
  if (m.provenance !== undefined) {
    if (!isObject(m.provenance)) fail(`provenance must be a JSON object, got ${show(m.provenance)}`);
    checkJsonValue(m.provenance, 'provenance', 0);
    manifest.provenance = JSON.parse(JSON.stringify(m.provenance)) as Record<string, unknown>;
  }
  return manifest;
}

function listNames(names: string[]): string {
  const shown = names.slice(0, 5).map((n) => `"${n}"`).join(', ');
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}
