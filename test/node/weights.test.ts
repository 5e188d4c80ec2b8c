import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { webcrypto } from 'node:crypto';

import { TvunetError } from '../../src/errors.js';
import { parameterSpecs, type UNetConfig } from '../../src/model/config.js';
import {
  decodeFloat16,
  decodeModel,
  encodeFloat16,
  encodeModel,
  encodeModelVariants,
  float16BitsToNumber,
  float16Table,
  float32ToFloat16Bits,
  loadModelFromBytes,
  loadModelFromPath,
  loadModelFromUrl,
  parseManifest,
  saveModelToPath,
  sha256Hex,
  sha256HexPortable,
  type EncodeMeta,
  type EncodedModel,
  type LoadProgress,
  type ModelManifest,
  type NamedWeights,
  type WeightsDtype,
} from '../../src/io/index.js';
import { Rng } from '../../trainer/src/data/rng.js';

const CONFIG: UNetConfig = { depth: 2, baseChannels: 4, inputSize: 32, inChannels: 1, outChannels: 2, upsampling: 'transpose' };
const META: EncodeMeta = {
  name: 'tvunet-test',
  architecture: CONFIG,
  classes: [
    { name: 'infection', threshold: 0.5 },
    { name: 'lungs', threshold: 0.4 },
  ],
  provenance: { data: 'synthetic', epochs: 3, metrics: { dice: 0.8 } },
};

function mulberry32(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

/** He-scaled random weights; biases small; one constant tensor; a few tiny (subnormal-half) values. */
function randomWeights(config: UNetConfig, seed: number): NamedWeights {
  const rnd = mulberry32(seed);
  const w: NamedWeights = new Map();
  for (const spec of parameterSpecs(config)) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const s = spec.fanIn > 0 ? Math.sqrt(2 / spec.fanIn) : 0.05;
    for (let i = 0; i < n; i++) data[i] = (rnd() * 2 - 1) * s * 1.7;
    w.set(spec.name, { shape: spec.shape.slice(), data });
  }
  w.get('head/bias')!.data.fill(0.25); // constant tensor: uint8 scale 0
  const k = w.get('enc0/conv1/kernel')!.data;
  k[0] = 3e-6; // half subnormal
  k[1] = -1e-7;
  k[2] = 0;
  return w;
}

function cloneJson<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

async function expectCode(p: Promise<unknown> | (() => unknown), code: string, message: RegExp): Promise<void> {
  const check = (e: unknown) => {
    assert.ok(e instanceof TvunetError, `expected TvunetError, got ${String(e)}`);
    assert.equal(e.code, code, `code of "${e.message}"`);
    assert.match(e.message, message);
    return true;
  };
  if (typeof p === 'function') assert.throws(p as () => unknown, check);
  else await assert.rejects(p, check);
}

const WEIGHTS = randomWeights(CONFIG, 1);
const encodedCache = new Map<string, Promise<EncodedModel>>();
function encoded(dtype: WeightsDtype, maxShardBytes?: number): Promise<EncodedModel> {
  const key = `${dtype}/${maxShardBytes}`;
  if (!encodedCache.has(key)) encodedCache.set(key, encodeModel(WEIGHTS, META, { dtype, ...(maxShardBytes ? { maxShardBytes } : {}) }));
  return encodedCache.get(key)!;
}

// ---------------------------------------------------------------------------------------------
describe('float16 converter', () => {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  /** Independent decode: build the float32 bit pattern (normal/inf/nan) or multiply (subnormal). */
  const refHalf = (h: number): number => {
    const s = h >>> 15;
    const e = (h >>> 10) & 31;
    const m = h & 1023;
    if (e === 0) return (s ? -1 : 1) * (m / 16777216);
    u[0] = e === 31 ? (s << 31) | 0x7f800000 | (m << 13) : (s << 31) | ((e - 15 + 127) << 23) | (m << 13);
    return f[0]!;
  };
  const f32Bits = (x: number) => {
    f[0] = x;
    return u[0]!;
  };
  const fromBits = (b: number) => {
    u[0] = b >>> 0;
    return f[0]!;
  };

  it('decodes all 65536 halves like the brute-force table (incl. ±0, subnormals, ±Inf, NaN)', () => {
    const table = float16Table();
    const bits = new Uint16Array(65536).map((_, i) => i);
    const decoded = decodeFloat16(bits);
    let nans = 0;
    for (let h = 0; h < 65536; h++) {
      const want = refHalf(h);
      if (Number.isNaN(want)) {
        nans++;
        assert.ok(Number.isNaN(table[h]!) && Number.isNaN(decoded[h]!) && Number.isNaN(float16BitsToNumber(h)), `half 0x${h.toString(16)}`);
      } else {
        assert.ok(Object.is(decoded[h], want), `half 0x${h.toString(16)}: got ${decoded[h]}, want ${want}`);
        assert.ok(Object.is(float16BitsToNumber(h), want), `scalar half 0x${h.toString(16)}`);
      }
    }
    assert.equal(nans, 2 * 1023);
    assert.equal(decoded[0x0001], 2 ** -24);
    assert.equal(decoded[0x03ff], 1023 * 2 ** -24);
    assert.equal(decoded[0x0400], 2 ** -14);
    assert.equal(decoded[0x7bff], 65504);
    assert.ok(Object.is(decoded[0x8000], -0));
    assert.equal(decoded[0xfc00], -Infinity);
  });

  it('encodes every non-NaN half value to itself; NaN to a NaN', () => {
    for (let h = 0; h < 65536; h++) {
      const v = refHalf(h);
      if (Number.isNaN(v)) continue;
      assert.equal(float32ToFloat16Bits(v), h, `value ${v} (0x${h.toString(16)})`);
    }
    for (const nan of [NaN, fromBits(0x7f800001), fromBits(0xffc00000), fromBits(0x7fbfffff)]) {
      const b = float32ToFloat16Bits(nan);
      assert.ok((b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0, `NaN encoded as 0x${b.toString(16)}`);
    }
  });

  it('rounds ties to even and non-ties to nearest, for every pair of adjacent halves', () => {
    for (let h = 0; h < 0x7c00; h++) {
      const lo = refHalf(h);
      const hi = h + 1 === 0x7c00 ? 65536 : refHalf(h + 1); // 65536 stands for "the next step": Infinity
      const mid = (lo + hi) / 2; // exact in float32 (12 significant bits)
      assert.equal(Math.fround(mid), mid);
      const even = h % 2 === 0 ? h : h + 1;
      assert.equal(float32ToFloat16Bits(mid), even, `tie ${mid} between 0x${h.toString(16)} and 0x${(h + 1).toString(16)}`);
      assert.equal(float32ToFloat16Bits(-mid), even | 0x8000, `tie -${mid}`);
      const mb = f32Bits(mid);
      assert.equal(float32ToFloat16Bits(fromBits(mb - 1)), h, `just below ${mid}`);
      assert.equal(float32ToFloat16Bits(fromBits(mb + 1)), h + 1, `just above ${mid}`);
    }
    // specific edges
    assert.equal(float32ToFloat16Bits(65520), 0x7c00); // tie between 65504 (odd) and "65536" → Infinity
    assert.equal(float32ToFloat16Bits(65519.99), 0x7bff);
    assert.equal(float32ToFloat16Bits(1e10), 0x7c00);
    assert.equal(float32ToFloat16Bits(-1e10), 0xfc00);
    assert.equal(float32ToFloat16Bits(2 ** -25), 0); // half of the smallest subnormal: tie to even 0
    assert.equal(float32ToFloat16Bits(-(2 ** -25)), 0x8000);
    assert.equal(float32ToFloat16Bits(2 ** -25 * 1.0001), 1);
    assert.equal(float32ToFloat16Bits(2 ** -26), 0);
    assert.equal(float32ToFloat16Bits(1e-40), 0); // float32 subnormal
    assert.equal(float32ToFloat16Bits(-0), 0x8000);
    assert.equal(float32ToFloat16Bits(1 + 2 ** -11), 0x3c00); // tie, 1.0 is even
    assert.equal(float32ToFloat16Bits(1 + 3 * 2 ** -11), 0x3c02); // tie, rounds up to even
  });

  it('matches a brute-force nearest search on random float32 values', () => {
    const vals: number[] = [];
    for (let h = 0; h < 0x7c00; h++) vals.push(refHalf(h));
    vals.push(65536); // index 0x7c00: Infinity's slot
    const rnd = mulberry32(7);
    for (let k = 0; k < 50000; k++) {
      const exp = 97 + Math.floor(rnd() * 47); // 2^-30 .. 2^16
      const bits = (exp << 23) | Math.floor(rnd() * 0x800000);
      const x = fromBits(bits);
      let lo = 0;
      let hi = vals.length - 1;
      if (x >= vals[hi]!) lo = hi;
      else {
        while (hi - lo > 1) {
          const mid = (lo + hi) >> 1;
          if (vals[mid]! <= x) lo = mid;
          else hi = mid;
        }
      }
      let want = lo;
      if (lo < vals.length - 1) {
        const dl = x - vals[lo]!;
        const dh = vals[lo + 1]! - x;
        if (dh < dl || (dh === dl && lo % 2 === 1)) want = lo + 1;
      }
      const sign = rnd() < 0.5;
      assert.equal(float32ToFloat16Bits(sign ? -x : x), sign ? want | 0x8000 : want, `x = ${x}`);
    }
  });

  it('array helpers round-trip halves', () => {
    const src = new Float32Array([0, -0, 1, -2.5, 65504, 6e-8, 0.1]);
    const back = decodeFloat16(encodeFloat16(src));
    assert.deepEqual(Array.from(encodeFloat16(src)), Array.from(src, (v) => float32ToFloat16Bits(v)));
    assert.equal(back[6], refHalf(float32ToFloat16Bits(0.1)));
    assert.ok(Math.abs(back[6]! - 0.1) <= 0.1 * 2 ** -11);
  });
});

// ---------------------------------------------------------------------------------------------
describe('sha256', () => {
  it('portable implementation matches known vectors and WebCrypto on padding edge lengths', async () => {
    const abc = new TextEncoder().encode('abc');
    assert.equal(sha256HexPortable(abc), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(sha256HexPortable(new Uint8Array(0)), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const rnd = mulberry32(3);
    for (const n of [1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000]) {
      const b = new Uint8Array(n).map(() => Math.floor(rnd() * 256));
      const web = Buffer.from(await webcrypto.subtle.digest('SHA-256', b)).toString('hex');
      assert.equal(sha256HexPortable(b), web, `length ${n}`);
      assert.equal(await sha256Hex(b), web, `length ${n}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('encode/decode round trip', () => {
  it('float32 is exact, 4-byte aligned, in parameterSpecs order', async () => {
    const enc = await encoded('float32');
    const m = enc.manifest;
    assert.equal(m.format, 'tvunet-weights');
    assert.equal(m.formatVersion, 1);
    assert.equal(m.dtype, 'float32');
    assert.deepEqual(m.input, { kind: 'display', huWindow: [-1250, 250], normalization: 'per-image-zscore' });
    assert.deepEqual(m.provenance, META.provenance);
    assert.deepEqual(m.shards.map((s) => s.path), ['model.weights.bin']);
    assert.deepEqual(m.tensors.map((t) => t.name), parameterSpecs(CONFIG).map((s) => s.name));
    for (const t of m.tensors) assert.equal(t.byteOffset % 4, 0, t.name);
    const dec = await decodeModel(m, enc.shards);
    assert.deepEqual([...dec.keys()], [...WEIGHTS.keys()]);
    for (const [name, { shape, data }] of WEIGHTS) {
      const d = dec.get(name)!;
      assert.deepEqual(d.shape, shape);
      assert.ok(d.data instanceof Float32Array);
      assert.equal(d.data.length, data.length);
      for (let i = 0; i < data.length; i++) assert.ok(Object.is(d.data[i], data[i]), `${name}[${i}]`);
    }
    // decoded arrays are copies, not views of the shard
    const before = dec.get('head/bias')!.data[0];
    const copy = enc.shards.map((s) => s.slice());
    const dec2 = await decodeModel(m, copy);
    copy[0]!.fill(1);
    assert.equal(dec2.get('head/bias')!.data[0], before);
  });

  it('float16 max relative error <= 2^-11 in the normal range, <= 2^-25 absolute below it', async () => {
    const enc = await encoded('float16');
    assert.equal(enc.manifest.dtype, 'float16');
    const dec = await decodeModel(enc.manifest, enc.shards);
    let worstRel = 0;
    for (const [name, { data }] of WEIGHTS) {
      const d = dec.get(name)!.data;
      for (let i = 0; i < data.length; i++) {
        const v = data[i]!;
        const err = Math.abs(d[i]! - v);
        if (Math.abs(v) >= 2 ** -14) {
          worstRel = Math.max(worstRel, err / Math.abs(v));
          assert.ok(err <= Math.abs(v) * 2 ** -11, `${name}[${i}] ${v} -> ${d[i]}`);
        } else assert.ok(err <= 2 ** -25, `${name}[${i}] ${v} -> ${d[i]}`);
      }
    }
    assert.ok(worstRel > 0, 'float16 should lose something on random data');
    const f32 = await encoded('float32');
    assert.ok(enc.shards[0]!.length < f32.shards[0]!.length * 0.51);
  });

  it('uint8 max abs error <= scale/2 per tensor; constant tensor exact', async () => {
    const enc = await encoded('uint8');
    const dec = await decodeModel(enc.manifest, enc.shards);
    for (const t of enc.manifest.tensors) {
      const orig = WEIGHTS.get(t.name)!.data;
      const d = dec.get(t.name)!.data;
      const q = t.quantization!;
      let min = Infinity;
      let max = -Infinity;
      for (const v of orig) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      assert.equal(q.min, min, t.name);
      assert.equal(q.scale, (max - min) / 255, t.name);
      const maxAbs = Math.max(Math.abs(min), Math.abs(max));
      const bound = q.scale / 2 + maxAbs * 2 ** -23; // + float32 rounding of the decoded value
      for (let i = 0; i < orig.length; i++) assert.ok(Math.abs(d[i]! - orig[i]!) <= bound, `${t.name}[${i}]`);
    }
    const hb = enc.manifest.tensors.find((t) => t.name === 'head/bias')!;
    assert.deepEqual(hb.quantization, { min: 0.25, scale: 0 });
    assert.deepEqual(Array.from(dec.get('head/bias')!.data), [0.25, 0.25]);
  });

  it('sharding: small maxShardBytes gives several shards, all within the limit and verified', async () => {
    const max = 9216;
    const enc = await encoded('float32', max);
    const m = enc.manifest;
    assert.ok(m.shards.length >= 4, `${m.shards.length} shards`);
    assert.deepEqual(
      m.shards.map((s) => s.path),
      m.shards.map((_, i) => `model.weights.shard${i + 1}of${m.shards.length}.bin`),
    );
    m.shards.forEach((s, i) => {
      assert.ok(s.byteLength <= max);
      assert.equal(enc.shards[i]!.length, s.byteLength);
    });
    for (const t of m.tensors) assert.ok(t.byteOffset + t.byteLength <= m.shards[t.shard]!.byteLength);
    const dec = await decodeModel(m, enc.shards);
    for (const [name, { data }] of WEIGHTS) assert.deepEqual(dec.get(name)!.data, data);
    // a corrupted later shard is caught too
    const bad = enc.shards.map((s) => s.slice());
    bad[m.shards.length - 1]![0]! ^= 0xff;
    await expectCode(decodeModel(m, bad), 'INTEGRITY', new RegExp(`shard ${m.shards.length - 1} .*sha256 mismatch`));
    // a tensor larger than the limit is refused
    await expectCode(encodeModel(WEIGHTS, META, { dtype: 'float32', maxShardBytes: 9215 }), 'INVALID_OPTIONS', /bottleneck\/conv2\/kernel.*maxShardBytes/);
  });

  it('encodeModelVariants measures each variant against float32', async () => {
    const v = await encodeModelVariants(WEIGHTS, META);
    assert.equal(v.float32.maxAbsError, 0);
    assert.ok(v.float16.maxAbsError > 0 && v.float16.maxAbsError < 1e-3, String(v.float16.maxAbsError));
    assert.ok(v.uint8.maxAbsError > v.float16.maxAbsError, String(v.uint8.maxAbsError));
    assert.equal(v.float16.manifest.dtype, 'float16');
    assert.equal(v.uint8.manifest.dtype, 'uint8');
    assert.ok(v.uint8.totalBytes < v.float16.totalBytes && v.float16.totalBytes < v.float32.totalBytes);
  });

  it('encode rejects bad weights and options', async () => {
    const missing = new Map(WEIGHTS);
    missing.delete('head/kernel');
    await expectCode(encodeModel(missing, META, { dtype: 'float32' }), 'INVALID_INPUT', /lack tensor "head\/kernel"/);
    const extra = new Map(WEIGHTS);
    extra.set('foo', { shape: [1], data: new Float32Array(1) });
    await expectCode(encodeModel(extra, META, { dtype: 'float32' }), 'INVALID_INPUT', /foo/);
    const nan = new Map(WEIGHTS);
    nan.set('head/bias', { shape: [2], data: new Float32Array([0, NaN]) });
    await expectCode(encodeModel(nan, META, { dtype: 'float32' }), 'INVALID_INPUT', /head\/bias.*non-finite.*index 1/);
    const shape = new Map(WEIGHTS);
    shape.set('head/bias', { shape: [1, 2], data: new Float32Array(2) });
    await expectCode(encodeModel(shape, META, { dtype: 'float32' }), 'INVALID_INPUT', /head\/bias.*shape/);
    const big = new Map(WEIGHTS);
    big.set('head/bias', { shape: [2], data: new Float32Array([1e5, 0]) });
    await expectCode(encodeModel(big, META, { dtype: 'float16' }), 'INVALID_INPUT', /float16 range/);
    await encodeModel(big, META, { dtype: 'float32' }); // fine in float32
    await expectCode(encodeModel(WEIGHTS, META, { dtype: 'int8' as WeightsDtype }), 'INVALID_OPTIONS', /dtype/);
    await expectCode(encodeModel(WEIGHTS, { ...META, classes: [{ name: 'x', threshold: 0.5 }] }, { dtype: 'float32' }), 'INVALID_MANIFEST', /classes/);
  });
});

// ---------------------------------------------------------------------------------------------
describe('integrity and manifest validation', () => {
  it('flipped byte → INTEGRITY naming the shard and both hashes', async () => {
    const enc = await encoded('float16');
    const bad = enc.shards[0]!.slice();
    bad[bad.length >> 1]! ^= 0x01;
    const actual = await sha256Hex(bad);
    await expectCode(
      decodeModel(enc.manifest, [bad]),
      'INTEGRITY',
      new RegExp(`"model\\.weights\\.bin" sha256 mismatch: expected ${enc.manifest.shards[0]!.sha256}, got ${actual}`),
    );
  });

  it('truncated shard → INTEGRITY naming lengths', async () => {
    const enc = await encoded('float32');
    const n = enc.shards[0]!.length;
    await expectCode(decodeModel(enc.manifest, [enc.shards[0]!.subarray(0, n - 3)]), 'INTEGRITY', new RegExp(`model\\.weights\\.bin.* ${n - 3} bytes .*says ${n}`));
  });

  it('too few shards → MISSING_SHARD naming the missing path', async () => {
    const enc = await encoded('float32', 9216);
    await expectCode(decodeModel(enc.manifest, enc.shards.slice(0, -1)), 'MISSING_SHARD', new RegExp(enc.manifest.shards.at(-1)!.path.replace(/\./g, '\\.')));
  });

  it('bad manifests → INVALID_MANIFEST naming the problem', async () => {
    const base = (await encoded('float32')).manifest;
    const uint8 = (await encoded('uint8')).manifest;
    const cases: Array<[string, (m: any) => void, RegExp, ModelManifest?]> = [
      ['wrong shape', (m) => (m.tensors[0].shape = [3, 3, 1, 5]), /enc0\/conv1\/kernel/],
      ['wrong shape (same size)', (m) => (m.tensors[0].shape = [3, 3, 4, 1]), /"enc0\/conv1\/kernel" has shape \[3,3,4,1\] but the architecture needs \[3,3,1,4\]/],
      ['missing tensor', (m) => m.tensors.splice(3, 1), /missing tensor.*"enc0\/conv2\/bias"/],
      ['extra tensor', (m) => m.tensors.push({ ...m.tensors[1], name: 'extra/bias', byteOffset: 0 }), /extra|overlap/],
      ['extra tensor (no overlap)', (m) => {
        m.shards[0].byteLength += 8;
        m.tensors.push({ name: 'extra/bias', shape: [2], shard: 0, byteOffset: m.shards[0].byteLength - 8, byteLength: 8 });
      }, /extra tensor.*"extra\/bias"/],
      ['repeated tensor', (m) => m.tensors.push(m.tensors[0]), /repeated/],
      ['wrong format', (m) => (m.format = 'tfjs-layers'), /format must be "tvunet-weights", got "tfjs-layers"/],
      ['wrong version', (m) => (m.formatVersion = 2), /unsupported formatVersion 2/],
      ['classes length', (m) => m.classes.pop(), /classes has 1 entries but architecture\.outChannels is 2/],
      ['threshold 1', (m) => (m.classes[0].threshold = 1), /classes\[0\]\.threshold/],
      ['threshold 0', (m) => (m.classes[1].threshold = 0), /classes\[1\]\.threshold/],
      ['threshold string', (m) => (m.classes[1].threshold = '0.5'), /classes\[1\]\.threshold/],
      ['architecture', (m) => (m.architecture.depth = 0), /architecture.*depth/],
      ['huWindow', (m) => (m.input.huWindow = [250, -1250]), /input\.huWindow/],
      ['normalization', (m) => (m.input.normalization = 'minmax'), /input\.normalization/],
      ['dtype', (m) => (m.dtype = 'int8'), /dtype must be one of/],
      ['byteLength vs shape', (m) => (m.tensors[0].byteLength -= 4), /tensors\[0\].*byteLength/],
      ['out of bounds', (m) => (m.tensors.at(-1).byteOffset = m.shards[0].byteLength), /outside shard 0/],
      ['overlap', (m) => (m.tensors[1].byteOffset = m.tensors[0].byteOffset), /overlap/],
      ['bad shard index', (m) => (m.tensors[0].shard = 1), /tensors\[0\].*\.shard/],
      ['sha256 format', (m) => (m.shards[0].sha256 = m.shards[0].sha256.toUpperCase()), /shards\[0\]\.sha256/],
      ['path traversal', (m) => (m.shards[0].path = '../secret.bin'), /shards\[0\]\.path/],
      ['absolute path', (m) => (m.shards[0].path = '/etc/model.bin'), /shards\[0\]\.path/],
      ['url path', (m) => (m.shards[0].path = 'https://evil.example/x.bin'), /shards\[0\]\.path/],
      ['quantization on float32', (m) => (m.tensors[0].quantization = { min: 0, scale: 1 }), /quantization is only allowed/],
      ['quantization missing on uint8', (m) => delete m.tensors[2].quantization, /tensors\[2\].*quantization.*required/, uint8],
      ['negative scale', (m) => (m.tensors[2].quantization.scale = -1), /quantization\.scale/, uint8],
      ['provenance not an object', (m) => (m.provenance = [1]), /provenance/],
      ['no name', (m) => (m.name = ''), /name/],
    ];
    for (const [label, mutate, re, from] of cases) {
      const m = cloneJson(from ?? base);
      mutate(m);
      try {
        await expectCode(() => parseManifest(m), 'INVALID_MANIFEST', re);
      } catch (e) {
        throw new Error(`case "${label}": ${(e as Error).message}`);
      }
    }
    // the unmutated manifests pass
    parseManifest(cloneJson(base));
    parseManifest(JSON.stringify(base));
    parseManifest(new TextEncoder().encode(JSON.stringify(uint8)));
    // non-JSON text and non-objects
    await expectCode(() => parseManifest('<!doctype html><html>404</html>'), 'INVALID_MANIFEST', /not JSON.*<!doctype html>/);
    await expectCode(() => parseManifest('[1,2]'), 'INVALID_MANIFEST', /expected a JSON object, got an array/);
    await expectCode(() => parseManifest(null), 'INVALID_MANIFEST', /expected a JSON object/);
    // provenance must be JSON data
    const p = cloneJson(base) as any;
    p.provenance = { when: new Date(0) };
    await expectCode(() => parseManifest(p), 'INVALID_MANIFEST', /provenance\.when is not JSON data/);
    p.provenance = { loss: NaN };
    await expectCode(() => parseManifest(p), 'INVALID_MANIFEST', /provenance\.loss is a non-finite/);
    // decodeModel validates the manifest too
    const wrong = cloneJson(base) as any;
    wrong.formatVersion = 9;
    await expectCode(decodeModel(wrong, (await encoded('float32')).shards), 'INVALID_MANIFEST', /formatVersion 9/);
  });
});

// ---------------------------------------------------------------------------------------------
describe('loadModelFromBytes', () => {
  it('accepts JSON text + one concatenated buffer for a multi-shard model', async () => {
    const enc = await encoded('float16', 9216);
    const total = enc.shards.reduce((n, s) => n + s.length, 0);
    const all = new Uint8Array(total);
    let off = 0;
    for (const s of enc.shards) {
      all.set(s, off);
      off += s.length;
    }
    const { manifest, weights } = await loadModelFromBytes(JSON.stringify(enc.manifest), all.buffer);
    assert.equal(manifest.shards.length, enc.shards.length);
    const ref = await decodeModel(enc.manifest, enc.shards);
    for (const [name, { data }] of ref) assert.deepEqual(weights.get(name)!.data, data);
    await expectCode(loadModelFromBytes(enc.manifest, all.subarray(1)), 'INTEGRITY', /concatenated shards/);
    await expectCode(loadModelFromBytes('{not json', all), 'INVALID_MANIFEST', /not JSON/);
    const one = await encoded('uint8');
    const r = await loadModelFromBytes(one.manifest, [one.shards[0]!.slice().buffer]);
    assert.equal(r.weights.size, parameterSpecs(CONFIG).length);
  });
});

// ---------------------------------------------------------------------------------------------
function fakeFetch(files: Map<string, Uint8Array | string>, log: string[] = [], broken = new Set<string>()): typeof fetch {
  return (async (input: RequestInfo | URL) => {
    const url = String(input instanceof Request ? input.url : input);
    log.push(url);
    if (broken.has(url) || broken.has('*')) throw new TypeError('fetch failed');
    const body = files.get(url);
    if (body === undefined) return new Response('not found', { status: 404, statusText: 'Not Found' });
    return new Response(body as BodyInit, { status: 200 });
  }) as typeof fetch;
}

function serve(base: string, enc: EncodedModel): Map<string, Uint8Array | string> {
  const files = new Map<string, Uint8Array | string>();
  files.set(`${base}model.json`, JSON.stringify(enc.manifest));
  enc.manifest.shards.forEach((s, i) => files.set(new URL(s.path, base).href, enc.shards[i]!));
  return files;
}

describe('loadModelFromUrl', () => {
  it('fake fetch: directory URL, monotone progress ending at 1, same weights', async () => {
    const enc = await encoded('float32', 9216);
    const base = 'https://models.example/tvunet/v1/';
    const log: string[] = [];
    const progress: LoadProgress[] = [];
    const { manifest, weights } = await loadModelFromUrl(base, {
      fetch: fakeFetch(serve(base, enc), log),
      onProgress: (p) => progress.push({ ...p }),
    });
    assert.equal(log[0], `${base}model.json`);
    assert.equal(log.length, 1 + enc.shards.length);
    assert.equal(manifest.name, 'tvunet-test');
    for (const [name, { data }] of WEIGHTS) assert.deepEqual(weights.get(name)!.data, data);
    const total = enc.shards.reduce((n, s) => n + s.length, 0);
    assert.ok(progress.length >= enc.shards.length + 1, `${progress.length} progress calls`);
    assert.deepEqual(progress[0], { loadedBytes: 0, totalBytes: total, fraction: 0 });
    for (let i = 1; i < progress.length; i++) {
      assert.ok(progress[i]!.loadedBytes >= progress[i - 1]!.loadedBytes, 'monotone');
      assert.ok(progress[i]!.fraction >= progress[i - 1]!.fraction, 'monotone fraction');
      assert.equal(progress[i]!.totalBytes, total);
    }
    assert.deepEqual(progress.at(-1), { loadedBytes: total, totalBytes: total, fraction: 1 });
    // manifest URL directly works as well; fetch is called with this = globalThis (as window.fetch needs)
    const inner = fakeFetch(serve(base, enc));
    let thisOk = 0;
    const strictFetch = function (this: unknown, input: RequestInfo | URL, init?: RequestInit) {
      if (this === globalThis) thisOk++;
      return inner(input, init);
    } as typeof fetch;
    const again = await loadModelFromUrl(new URL('model.json', base), { fetch: strictFetch });
    assert.equal(again.weights.size, weights.size);
    assert.equal(thisOk, 1 + enc.shards.length);
  });

  it('404 shard → MISSING_SHARD, 500 manifest → NETWORK, bad bytes → INTEGRITY, failed request → NETWORK, abort → CANCELLED', async () => {
    const enc = await encoded('float16', 9216);
    const base = 'https://models.example/m/';
    const shardUrl = new URL(enc.manifest.shards[1]!.path, base).href;

    const files = serve(base, enc);
    files.delete(shardUrl);
    await expectCode(loadModelFromUrl(base, { fetch: fakeFetch(files) }), 'MISSING_SHARD', new RegExp(`${shardUrl.replace(/\./g, '\\.')}: HTTP 404`));

    const err500 = (async () => new Response('oops', { status: 500, statusText: 'Internal Server Error' })) as unknown as typeof fetch;
    await expectCode(loadModelFromUrl(base, { fetch: err500 }), 'NETWORK', /manifest https:\/\/models\.example\/m\/model\.json: HTTP 500/);

    const corrupt = serve(base, enc);
    const bad = enc.shards[1]!.slice();
    bad[5]! ^= 0x80;
    corrupt.set(shardUrl, bad);
    await expectCode(loadModelFromUrl(base, { fetch: fakeFetch(corrupt) }), 'INTEGRITY', new RegExp(`${shardUrl.replace(/\./g, '\\.')}.*sha256 mismatch`));

    await expectCode(loadModelFromUrl(base, { fetch: fakeFetch(serve(base, enc), [], new Set([shardUrl])) }), 'NETWORK', /could not fetch shard 1.*fetch failed/);

    const html = serve(base, enc);
    html.set(`${base}model.json`, '<html>hello</html>');
    await expectCode(loadModelFromUrl(base, { fetch: fakeFetch(html) }), 'INVALID_MANIFEST', /not JSON/);

    const ctrl = new AbortController();
    ctrl.abort();
    await expectCode(loadModelFromUrl(base, { fetch: fakeFetch(serve(base, enc)), signal: ctrl.signal }), 'CANCELLED', /cancelled/);
    const ctrl2 = new AbortController();
    const slow = (async (input: RequestInfo | URL, init?: RequestInit) => {
      ctrl2.abort();
      return fakeFetch(serve(base, enc))(input, init);
    }) as typeof fetch;
    await expectCode(loadModelFromUrl(base, { fetch: slow, signal: ctrl2.signal }), 'CANCELLED', /cancelled/);
  });

  it('Cache API (fake `caches`): reuses verified shards, refetches changed or corrupt ones, works offline', async () => {
    const store = new Map<string, Uint8Array>();
    const fakeCache = {
      match: async (k: string) => (store.has(k) ? new Response(store.get(k)!.slice()) : undefined),
      put: async (k: string, r: Response) => void store.set(k, new Uint8Array(await r.arrayBuffer())),
      keys: async () => [...store.keys()].map((url) => ({ url })),
      delete: async (k: string) => store.delete(k),
    };
    const g = globalThis as { caches?: unknown };
    assert.equal(g.caches, undefined, 'Node has no Cache API');
    g.caches = { open: async () => fakeCache };
    try {
      const base = 'https://cdn.example/tv/';
      const enc = await encoded('float32', 9216);
      const n = enc.shards.length;
      const isShard = (u: string) => u.endsWith('.bin');

      let log: string[] = [];
      await loadModelFromUrl(base, { fetch: fakeFetch(serve(base, enc), log) });
      assert.equal(log.filter(isShard).length, n);
      assert.equal(store.size, n + 1);
      assert.ok([...store.keys()].filter((k) => k.includes('tvunet-sha256=')).length === n);

      log = [];
      const again = await loadModelFromUrl(base, { fetch: fakeFetch(serve(base, enc), log) });
      assert.equal(log.filter(isShard).length, 0, 'shards served from the cache');
      assert.deepEqual(again.weights.get('head/kernel')!.data, WEIGHTS.get('head/kernel')!.data);

      // offline: manifest and shards from the cache
      log = [];
      const offline = await loadModelFromUrl(base, { fetch: fakeFetch(new Map(), log, new Set(['*'])) });
      assert.equal(offline.weights.size, WEIGHTS.size);

      // a cached shard corrupted → refetched
      const key0 = [...store.keys()].find((k) => k.includes('shard1of'))!;
      store.get(key0)![0]! ^= 0xff;
      log = [];
      await loadModelFromUrl(base, { fetch: fakeFetch(serve(base, enc), log) });
      assert.equal(log.filter(isShard).length, 1);

      // new weights at the same URLs → changed shards refetched, stale entries dropped
      const w2 = randomWeights(CONFIG, 2);
      const enc2 = await encodeModel(w2, META, { dtype: 'float32', maxShardBytes: 9216 });
      assert.equal(enc2.shards.length, n);
      log = [];
      const updated = await loadModelFromUrl(base, { fetch: fakeFetch(serve(base, enc2), log) });
      assert.equal(log.filter(isShard).length, n);
      assert.deepEqual(updated.weights.get('head/kernel')!.data, w2.get('head/kernel')!.data);
      const shas = new Set(enc2.manifest.shards.map((s) => s.sha256));
      const cachedShas = [...store.keys()].map((k) => new URL(k).searchParams.get('tvunet-sha256')).filter((s) => s !== null);
      assert.equal(cachedShas.length, n);
      assert.ok(cachedShas.every((s) => shas.has(s!)), 'only current shards cached');

      // cache: false leaves the cache alone
      store.clear();
      await loadModelFromUrl(base, { fetch: fakeFetch(serve(base, enc2)), cache: false });
      assert.equal(store.size, 0);
    } finally {
      delete g.caches;
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('Node paths and a real HTTP server', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tvunet-weights-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('saveModelToPath → loadModelFromPath round trip (default and custom stem), no temp files left', async () => {
    const enc = await encoded('float16', 9216);
    const out = join(dir, 'a', 'b');
    const saved = await saveModelToPath(out, enc);
    assert.equal(basename(saved.manifestPath), 'model.json');
    const files = (await readdir(out)).sort();
    assert.deepEqual(files, ['model.json', ...enc.manifest.shards.map((s) => s.path)].sort());
    const fromDir = await loadModelFromPath(out);
    const ref = await decodeModel(enc.manifest, enc.shards);
    for (const [name, { data }] of ref) assert.deepEqual(fromDir.weights.get(name)!.data, data);
    assert.deepEqual(fromDir.manifest, enc.manifest);

    const custom = await saveModelToPath(out, await encoded('uint8'), { fileStem: 'tvunet-u8' });
    assert.equal(basename(custom.manifestPath), 'tvunet-u8.json');
    const written = JSON.parse(await readFile(custom.manifestPath, 'utf8')) as ModelManifest;
    assert.deepEqual(written.shards.map((s) => s.path), ['tvunet-u8.weights.bin']);
    const u8 = await loadModelFromPath(custom.manifestPath);
    assert.equal(u8.manifest.dtype, 'uint8');
    assert.ok(!(await readdir(out)).some((f) => f.endsWith('.tmp')));
    await expectCode(saveModelToPath(out, enc, { fileStem: '../x' }), 'INVALID_OPTIONS', /fileStem/);
    const broken = { manifest: enc.manifest, shards: enc.shards.map((s, i) => (i === 0 ? s.subarray(1) : s)) };
    await expectCode(saveModelToPath(join(dir, 'never'), broken), 'INTEGRITY', /shard 0/);
    assert.ok(!(await readdir(dir)).includes('never'), 'nothing written for an inconsistent model');
  });

  it('missing shard file → MISSING_SHARD naming the path; edited shard → INTEGRITY; no manifest → INVALID_INPUT', async () => {
    const enc = await encoded('float32', 9216);
    const out = join(dir, 'missing');
    await saveModelToPath(out, enc);
    const victim = join(out, enc.manifest.shards[1]!.path);
    const bytes = await readFile(victim);
    await unlink(victim);
    await expectCode(loadModelFromPath(out), 'MISSING_SHARD', new RegExp(`${enc.manifest.shards[1]!.path.replace(/\./g, '\\.')}.*ENOENT`));
    bytes[0]! ^= 1;
    await writeFile(victim, bytes);
    await expectCode(loadModelFromPath(join(out, 'model.json')), 'INTEGRITY', /shard 1 .*sha256 mismatch/);
    await expectCode(loadModelFromPath(join(dir, 'nowhere')), 'INVALID_INPUT', /nowhere/);
  });

  it('loads a saved directory over real HTTP with the global fetch', async () => {
    const enc = await encoded('float16', 9216);
    const out = join(dir, 'http');
    await saveModelToPath(out, enc);
    const server = createServer((req, res) => {
      const name = basename(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
      readFile(join(out, name)).then(
        (body) => {
          res.writeHead(200, { 'content-type': name.endsWith('.json') ? 'application/json' : 'application/octet-stream' });
          res.end(body);
        },
        () => {
          res.writeHead(404);
          res.end('not found');
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const progress: number[] = [];
      const { weights } = await loadModelFromUrl(`http://127.0.0.1:${port}/models/`, { onProgress: (p) => progress.push(p.fraction) });
      const ref = await decodeModel(enc.manifest, enc.shards);
      for (const [name, { data }] of ref) assert.deepEqual(weights.get(name)!.data, data);
      assert.equal(progress.at(-1), 1);
      await unlink(join(out, enc.manifest.shards[0]!.path));
      await expectCode(loadModelFromUrl(`http://127.0.0.1:${port}/models/model.json`), 'MISSING_SHARD', /127\.0\.0\.1.*HTTP 404/);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
