/**
 * Property-based tests (fast-check) of what untrusted input flows through: pre-processing, the
 * weights manifest parser, the CLI's PNG/JPG decoder, and a few component / metric invariants
 * that postprocess.test.ts and metrics.test.ts do not already state. The common rule: a function
 * either returns a valid value or throws a TvunetError with the expected code, nothing else.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isTvunetError } from '../../src/errors.js';
import {
  confusionCounts, connectedComponents2D, diceScore, encodeModel, parameterSpecs, parseManifest,
  resizeBilinear, resizeNearest, standardizeInPlace, windowHounsfield, type UNetConfig,
} from '../../src/index.js';
import { MAX_SLICE_PIXELS, toDisplaySlice } from '../../src/preprocess/input.js';
import { decodeImage } from '../../trainer/src/io/image-files.js';
import { GOOD_JPG, GOOD_PNG } from '../corpus/corpus.js';

/** Runs `fn`; a throw must be a TvunetError with one of `codes` (returned), else the test fails. */
function typedOrValue<T>(fn: () => T, codes: string[]): { value?: T; code?: string } {
  try {
    return { value: fn() };
  } catch (e) {
    if (!isTvunetError(e)) throw new Error(`untyped throw: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    assert.ok(codes.includes(e.code), `code ${e.code} (${e.message}) not in ${codes.join(', ')}`);
    assert.ok(e.message.length > 10, 'the message says something');
    return { code: e.code };
  }
}

const dim = fc.integer({ min: 1, max: 12 });
const finite = fc.double({ min: -5000, max: 5000, noNaN: true, noDefaultInfinity: true });
const anyNumber = fc.oneof(finite, fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, -0, 1e308, -1e308));
const ctors = [Float32Array, Float64Array, Int16Array, Uint8Array, Int32Array, Uint16Array] as const;

describe('pre-processing', () => {
  test('toDisplaySlice: any finite slice → display values in [0, 255], same size; kind display = clamp', () => {
    fc.assert(fc.property(dim, dim, fc.constantFrom(...ctors), fc.constantFrom('hu', 'display'), fc.array(finite, { minLength: 144, maxLength: 144 }), (w, h, Ctor, kind, values) => {
      const data = (Ctor as typeof Float64Array).from(values.slice(0, w * h), (v: number) => (Ctor === Uint8Array || Ctor === Uint16Array ? Math.abs(v) : v));
      const out = toDisplaySlice({ data, width: w, height: h, kind: kind as 'hu' }, [-1250, 250]);
      assert.equal(out.width, w);
      assert.equal(out.height, h);
      assert.equal(out.display.length, w * h);
      for (let i = 0; i < w * h; i++) {
        const v = out.display[i]!;
        assert.ok(v >= 0 && v <= 255, `display ${v}`);
        if (kind === 'display') assert.equal(v, Math.fround(Math.min(255, Math.max(0, data[i]!))));
      }
    }), { numRuns: 150 });
  });

  test('toDisplaySlice: arbitrary sizes, lengths, values, kinds and shapes → a valid slice or INVALID_INPUT only', () => {
    const weirdDim = fc.oneof(dim, fc.constantFrom(0, -1, 2.5, Number.NaN, Infinity, 2 ** 31, 100_000), fc.constant('4' as unknown as number));
    const input = fc.record({
      data: fc.oneof(fc.array(anyNumber, { maxLength: 40 }).map((a) => Float64Array.from(a)), fc.array(anyNumber, { maxLength: 40 }), fc.constant(null), fc.string()),
      width: weirdDim,
      height: weirdDim,
      kind: fc.constantFrom('hu', 'display', 'rgb', undefined, 3),
    }, { requiredKeys: [] });
    fc.assert(fc.property(fc.oneof(input, fc.anything()), (x) => {
      const r = typedOrValue(() => toDisplaySlice(x as never, [-1250, 250]), ['INVALID_INPUT']);
      if (r.value) {
        assert.ok(r.value.width * r.value.height <= MAX_SLICE_PIXELS);
        assert.equal(r.value.display.length, r.value.width * r.value.height);
        assert.ok(r.value.display.every((v) => v >= 0 && v <= 255));
      }
    }), { numRuns: 400 });
  });

  test('resizeBilinear: output stays within [min, max] of the input; constants stay constant; same size = identity', () => {
    fc.assert(fc.property(dim, dim, dim, dim, fc.array(finite, { minLength: 144, maxLength: 144 }), (w, h, ow, oh, values) => {
      const src = Float32Array.from(values.slice(0, w * h));
      const out = resizeBilinear(src, w, h, ow, oh);
      assert.equal(out.length, ow * oh);
      const lo = Math.min(...src), hi = Math.max(...src), tol = 1e-3 * Math.max(1, Math.abs(lo), Math.abs(hi));
      for (const v of out) assert.ok(v >= lo - tol && v <= hi + tol, `${v} outside [${lo}, ${hi}]`);
      const c = resizeBilinear(new Float32Array(w * h).fill(42.5), w, h, ow, oh);
      assert.ok(c.every((v) => Math.abs(v - 42.5) < 1e-4));
      assert.deepEqual(Array.from(resizeBilinear(src, w, h, w, h), (v) => v + 0), Array.from(src, (v) => v + 0)); // -0 ≡ 0
    }), { numRuns: 200 });
  });

  test('resizeNearest: every output label occurs in the input; same size = identity; 2× up then down = identity', () => {
    fc.assert(fc.property(dim, dim, dim, dim, fc.uint8Array({ minLength: 144, maxLength: 144, max: 4 }), (w, h, ow, oh, values) => {
      const src = values.slice(0, w * h);
      const out = resizeNearest(src, w, h, ow, oh);
      const labels = new Set(src);
      assert.ok(out.every((v) => labels.has(v)));
      assert.deepEqual(resizeNearest(src, w, h, w, h), src);
      assert.deepEqual(resizeNearest(resizeNearest(src, w, h, 2 * w, 2 * h), 2 * w, 2 * h, w, h), src);
    }), { numRuns: 200 });
  });

  test('resize*: bad sizes or lengths → INVALID_INPUT, never NaN arrays or RangeErrors', () => {
    const weird = fc.oneof(dim, fc.constantFrom(0, -3, 1.5, Number.NaN, Infinity, 2 ** 40));
    fc.assert(fc.property(weird, weird, weird, weird, fc.integer({ min: 0, max: 50 }), (w, h, ow, oh, n) => {
      const calls: (() => ArrayLike<number>)[] = [() => resizeBilinear(new Float32Array(n), w, h, ow, oh), () => resizeNearest(new Uint8Array(n), w, h, ow, oh)];
      for (const f of calls) {
        const r = typedOrValue(f, ['INVALID_INPUT']);
        if (r.value) {
          assert.equal(n, w * h);
          assert.equal(r.value.length, ow * oh);
          assert.ok(Array.from(r.value).every((v) => Number.isFinite(v)));
        }
      }
    }), { numRuns: 300 });
  });

  test('windowHounsfield: in [0, 255], monotone, lo → 0 and hi → 255; a bad window is INVALID_OPTIONS', () => {
    const window = fc.tuple(finite, finite).filter(([a, b]) => a < b - 1e-3);
    fc.assert(fc.property(window, fc.array(finite, { minLength: 1, maxLength: 60 }), ([lo, hi], hu) => {
      const sorted = Float64Array.from(hu).sort();
      const out = windowHounsfield(sorted, [lo, hi]);
      for (let i = 0; i < out.length; i++) {
        assert.ok(out[i]! >= 0 && out[i]! <= 255);
        if (i > 0) assert.ok(out[i]! >= out[i - 1]!, 'monotone');
      }
      const ends = windowHounsfield([lo, hi, lo - 1, hi + 1], [lo, hi]);
      assert.deepEqual(Array.from(ends), [0, 255, 0, 255]);
    }), { numRuns: 200 });
    fc.assert(fc.property(fc.tuple(anyNumber, anyNumber).filter(([a, b]) => !(Number.isFinite(a) && Number.isFinite(b) && a < b)), (w) => {
      assert.equal(typedOrValue(() => windowHounsfield([0, 1], w as [number, number]), ['INVALID_OPTIONS']).code, 'INVALID_OPTIONS');
    }));
  });

  test('standardizeInPlace: mean 0 and std 1 (or all 0 for constant images), finite, in place', () => {
    fc.assert(fc.property(fc.array(fc.float({ min: -3e4, max: 3e4, noNaN: true }), { minLength: 1, maxLength: 200 }), (values) => {
      const x = Float32Array.from(values);
      const constant = x.every((v) => v === x[0]);
      const m0 = x.reduce((a, v) => a + v, 0) / x.length;
      const std0 = Math.sqrt(x.reduce((a, v) => a + (v - m0) ** 2, 0) / x.length);
      const out = standardizeInPlace(x);
      assert.equal(out, x, 'in place');
      assert.ok(out.every(Number.isFinite));
      const mean = out.reduce((a, b) => a + b, 0) / out.length;
      const std = Math.sqrt(out.reduce((a, b) => a + (b - mean) ** 2, 0) / out.length);
      assert.ok(Math.abs(mean) < 1e-3, `mean ${mean}`);
      if (constant) assert.ok(out.every((v) => v === 0));
      else if (std0 > 1e-4) assert.ok(Math.abs(std - 1) < 1e-3, `std ${std}`); // smaller spreads hit the 1e-6 floor
      else assert.ok(std <= 1 + 1e-3, `std ${std}`);
    }), { numRuns: 200 });
  });
});

describe('weights manifest parser', () => {
  const CONFIG: UNetConfig = { depth: 2, baseChannels: 2, inputSize: 16, inChannels: 1, outChannels: 1, upsampling: 'transpose' };
  const goodPromise = encodeModel(
    new Map(parameterSpecs(CONFIG).map((s) => [s.name, { shape: s.shape, data: new Float32Array(s.shape.reduce((a, b) => a * b, 1)).fill(0.5) }])),
    { name: 'prop', architecture: CONFIG, classes: [{ name: 'infection', threshold: 0.5 }] },
    { dtype: 'uint8' },
  );

  /** All paths to values inside a JSON value. */
  function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
    const out = [at];
    if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
    return out;
  }
  function setAt(root: any, path: (string | number)[], value: unknown, remove: boolean): any {
    if (path.length === 0) return value;
    let o = root;
    for (const k of path.slice(0, -1)) o = o[k];
    const last = path.at(-1)!;
    if (remove) Array.isArray(o) ? o.splice(Number(last), 1) : delete o[last];
    else o[last] = value;
    return root;
  }

  test('random structural mutations of a valid manifest → INVALID_MANIFEST or a manifest that re-parses to itself', async () => {
    const good = (await goodPromise).manifest;
    const all = paths(good);
    let rejected = 0;
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(all.length - 1), fc.jsonValue({ maxDepth: 2 }), fc.boolean()), { minLength: 1, maxLength: 3 }), (edits) => {
      let m: any = structuredClone(good);
      for (const [i, value, remove] of edits) {
        const p = all[i]!;
        try {
          m = setAt(m, p, structuredClone(value), remove);
        } catch {
          // the path vanished after an earlier edit: skip it
        }
      }
      const r = typedOrValue(() => parseManifest(m), ['INVALID_MANIFEST']);
      if (r.value) assert.deepEqual(parseManifest(JSON.parse(JSON.stringify(r.value))), r.value);
      else rejected++;
    }), { numRuns: 400 });
    assert.ok(rejected > 100, `mutations were rejected ${rejected} times (the property is not vacuous)`);
  });

  test('random text mutations (truncation, byte edits, insertions) → INVALID_MANIFEST or success', async () => {
    const text = JSON.stringify((await goodPromise).manifest);
    fc.assert(fc.property(fc.nat(text.length), fc.array(fc.tuple(fc.nat(text.length - 1), fc.string({ maxLength: 3, unit: 'binary' })), { maxLength: 4 }), fc.boolean(), (cut, edits, asBytes) => {
      let t = text;
      for (const [at, s] of edits) t = t.slice(0, at) + s + t.slice(at + 1);
      if (cut < t.length && cut % 3 === 0) t = t.slice(0, cut);
      typedOrValue(() => parseManifest(asBytes ? new TextEncoder().encode(t) : t), ['INVALID_MANIFEST']);
    }), { numRuns: 400 });
  });

  test('anything at all → INVALID_MANIFEST (never a TypeError), including prototype tricks', () => {
    fc.assert(fc.property(fc.oneof(fc.anything({ withNullPrototype: true, withMap: true, withSet: true, withTypedArray: true }), fc.jsonValue()), (x) => {
      typedOrValue(() => parseManifest(x), ['INVALID_MANIFEST']);
    }), { numRuns: 300 });
    assert.equal(typedOrValue(() => parseManifest('{"__proto__": {"format": "tvunet-weights"}}'), ['INVALID_MANIFEST']).code, 'INVALID_MANIFEST');
  });
});

describe('image decoder of the CLI (decodeImage)', () => {
  const png = new Uint8Array(readFileSync(GOOD_PNG));
  const jpg = new Uint8Array(readFileSync(GOOD_JPG));
  /** Byte edits, a truncation and an insertion, each optional. */
  const mutation = (size: number) => fc.record({
    edits: fc.array(fc.tuple(fc.nat(size - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
    cut: fc.option(fc.nat(size), { nil: undefined }),
    insert: fc.option(fc.tuple(fc.nat(size - 1), fc.uint8Array({ minLength: 1, maxLength: 16 })), { nil: undefined }),
  });
  function mutate(bytes: Uint8Array, m: { edits: [number, number][]; cut?: number; insert?: [number, Uint8Array] }): Uint8Array {
    let out = Uint8Array.from(bytes);
    for (const [at, v] of m.edits) out[at] = v;
    if (m.insert) out = Uint8Array.from([...out.subarray(0, m.insert[0]), ...m.insert[1], ...out.subarray(m.insert[0])]);
    if (m.cut !== undefined) out = out.subarray(0, m.cut);
    return out;
  }
  function checkImage(name: string, bytes: Uint8Array): boolean {
    const r = typedOrValue(() => decodeImage(bytes, name), ['DECODE']);
    if (!r.value) return false;
    const { width, height, gray, rgba } = r.value;
    assert.ok(Number.isInteger(width) && width >= 1 && Number.isInteger(height) && height >= 1, `${width}×${height}`);
    assert.ok(width * height <= 8192 * 8192);
    assert.equal(gray.length, width * height);
    assert.ok(rgba.length >= width * height * 4);
    return true;
  }

  for (const [name, bytes, runs] of [['mutated.png', png, 300], ['mutated.jpg', jpg, 120]] as const) {
    test(`${name}: random byte mutations of a real file → DECODE or a well-formed image`, () => {
      let failed = 0;
      fc.assert(fc.property(mutation(bytes.length), (m) => {
        if (!checkImage(name, mutate(bytes, m))) failed++;
      }), { numRuns: runs });
      assert.ok(checkImage(name, bytes), 'the unmutated file decodes');
      assert.ok(failed > 0, 'some mutations broke the file (the property is not vacuous)');
    });
  }

  test('random bytes under any image name → DECODE or a well-formed image', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom('a.png', 'a.jpg', 'a.jpeg', 'a.gif', 'noext'), (bytes, name) => {
      checkImage(name, bytes);
    }), { numRuns: 300 });
  });
});

describe('components and metrics: invariants not stated elsewhere', () => {
  const mask2D = fc.tuple(dim, dim).chain(([w, h]) => fc.tuple(fc.constant(w), fc.constant(h), fc.uint8Array({ minLength: w * h, maxLength: w * h, max: 1 })));

  test('connectedComponents2D: each component\'s size, tight bbox and centroid match its pixels in `labels`', () => {
    fc.assert(fc.property(mask2D, fc.constantFrom(4, 8) as fc.Arbitrary<4 | 8>, ([w, h, mask], connectivity) => {
      const r = connectedComponents2D(mask, w, h, { connectivity });
      assert.equal(r.components.length, r.count);
      for (const c of r.components) {
        let n = 0, sx = 0, sy = 0, x0 = w, y0 = h, x1 = -1, y1 = -1;
        for (let i = 0; i < w * h; i++) {
          if (r.labels[i] !== c.label) continue;
          const x = i % w, y = Math.floor(i / w);
          assert.equal(mask[i], 1, 'labelled pixels are foreground');
          n++; sx += x; sy += y;
          x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
        }
        assert.equal(c.size, n);
        assert.deepEqual(c.bbox, { min: [x0, y0], max: [x1, y1] });
        assert.ok(Math.abs(c.centroid[0] - sx / n) < 1e-9 && Math.abs(c.centroid[1] - sy / n) < 1e-9);
      }
    }), { numRuns: 150 });
  });

  test('confusion counts partition the pixels; Dice(a, a) = 1; Dice is 0 exactly when nothing overlaps and something is predicted or true', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 80 }).chain((n) => fc.tuple(fc.uint8Array({ minLength: n, maxLength: n, max: 1 }), fc.uint8Array({ minLength: n, maxLength: n, max: 1 }))), ([a, b]) => {
      const c = confusionCounts(a, b);
      assert.equal(c.tp + c.fp + c.fn + c.tn, a.length);
      assert.equal(diceScore(confusionCounts(a, a)), 1);
      const overlap = a.some((v, i) => v === 1 && b[i] === 1);
      const any = a.some((v) => v) || b.some((v) => v);
      assert.equal(diceScore(c) === 0, any && !overlap);
    }), { numRuns: 200 });
  });
});
