/**
 * Post-processing against scikit-image / SciPy (test/reference/postprocess_reference.py, one batched
 * run) on random and real infection masks, plus property checks against a brute-force flood fill.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  componentVolumesMl,
  connectedComponents2D,
  connectedComponents3D,
  fillHoles,
  fillHolesSliceWise,
  keepLargestComponents,
  removeSmallComponents,
  restrictToMask,
  type Connectivity,
  type MaskDims,
} from '../../src/postprocess/index.js';
import { TvunetError } from '../../src/errors.js';
import { foregroundBox } from '../../src/postprocess/box.js';
import {
  blobMask,
  canonicalLabels,
  maSliceNames,
  noiseMask,
  readRealMasks,
  ReferenceBatch,
  seededRandom,
} from '../reference/harness.js';

interface MaskCase {
  readonly name: string;
  readonly data: Uint8Array;
  readonly dims: MaskDims;
}

const is3D = (dims: MaskDims) => dims.depth !== undefined;
/** numpy shape of a mask. */
const shapeOf = (dims: MaskDims) => (is3D(dims) ? [dims.depth!, dims.height, dims.width] : [dims.height, dims.width]);
/** Connectivities with the matching skimage/scipy step count (1 = face ... ndim = full). */
const connectivitiesOf = (dims: MaskDims): [Connectivity, number][] =>
  is3D(dims) ? [[6, 1], [18, 2], [26, 3]] : [[4, 1], [8, 2]];

function randomCases(): MaskCase[] {
  const cases: MaskCase[] = [];
  let seed = 1;
  const sizes2D = [[1, 1], [7, 5], [1, 40], [64, 48], [128, 96]] as const;
  for (const [width, height] of sizes2D) {
    for (const density of [0.1, 0.3, 0.5, 0.7]) {
      const random = seededRandom(seed++);
      cases.push({ name: `noise ${width}x${height} p=${density}`, data: noiseMask(random, width * height, density), dims: { width, height } });
    }
  }
  for (const density of [0.2, 0.5, 0.8]) {
    cases.push({ name: `blobs 96x80 p=${density}`, data: blobMask(seededRandom(seed++), [96, 80], density), dims: { width: 96, height: 80 } });
  }
  const sizes3D = [[1, 1, 1], [20, 16, 12], [40, 32, 16]] as const;
  for (const [width, height, depth] of sizes3D) {
    for (const density of [0.15, 0.35, 0.6]) {
      const random = seededRandom(seed++);
      cases.push({ name: `noise ${width}x${height}x${depth} p=${density}`, data: noiseMask(random, width * height * depth, density), dims: { width, height, depth } });
    }
  }
  // Foreground confined to a sub-box (the components pass works in the foreground's bounding
  // box): away from every border, and touching some borders but not others.
  const boxed: [readonly number[], readonly number[], readonly number[]][] = [
    [[64, 48], [10, 5], [30, 20]],
    [[64, 48], [0, 30], [20, 48]],
    [[40, 32, 16], [6, 4, 3], [20, 18, 9]],
    [[40, 32, 16], [25, 0, 10], [40, 12, 16]],
  ];
  for (const [size, from, to] of boxed) {
    for (const density of [0.3, 0.6]) {
      const random = seededRandom(seed++);
      const data = new Uint8Array(size.reduce((a, b) => a * b, 1));
      const [w, h] = size as [number, number], d = size[2] ?? 1;
      for (let z = from[2] ?? 0; z < (to[2] ?? 1); z++) for (let y = from[1]!; y < to[1]!; y++) for (let x = from[0]!; x < to[0]!; x++) {
        data[x + w * (y + h * z)] = random() < density ? 1 : 0;
      }
      const dims = size.length === 3 ? { width: w, height: h, depth: d } : { width: w, height: h };
      cases.push({ name: `noise in [${from}]..[${to}) of ${size.join('x')} p=${density}`, data, dims });
    }
  }
  for (const density of [0.3, 0.6]) {
    const dims = { width: 36, height: 30, depth: 14 };
    cases.push({ name: `blobs 36x30x14 p=${density}`, data: blobMask(seededRandom(seed++), [36, 30, 14], density), dims });
  }
  return cases;
}

function realCases(): MaskCase[] {
  const cases: MaskCase[] = [];
  const slices = readRealMasks('ma2020', maSliceNames(0, 24, 67));
  const semiseg = readRealMasks('semiseg', ['0.png', '1.png', '2.png', '3.png', '10.png', '20.png', '30.png', '40.png']);
  const stack = readRealMasks('ma2020', maSliceNames(200, 16));
  for (const m of [...(slices ?? []), ...(semiseg ?? [])]) {
    cases.push({ name: `real ${m.name} ${m.width}x${m.height}`, data: m.data, dims: { width: m.width, height: m.height } });
  }
  if (stack) {
    const [first] = stack;
    const data = new Uint8Array(first!.data.length * stack.length);
    stack.forEach((m, z) => data.set(m.data, z * m.data.length));
    cases.push({ name: 'real ma2020 slices 200-215 as a volume', data, dims: { width: first!.width, height: first!.height, depth: stack.length } });
  }
  return cases;
}

const maskCases = [...randomCases(), ...realCases()];
const batch = new ReferenceBatch();
maskCases.forEach((c, index) => {
  const input = batch.file(c.data);
  const shape = shapeOf(c.dims);
  const fullSteps = shape.length;
  for (const [connectivity, steps] of connectivitiesOf(c.dims)) {
    batch.add({ id: `${index}-label-${connectivity}`, op: 'label', input, shape, steps });
    if (steps === 1 || steps === fullSteps) {
      batch.add({ id: `${index}-fill-${connectivity}`, op: 'fill_holes', input, shape, steps });
      for (const minSize of [2, 7]) batch.add({ id: `${index}-small-${connectivity}-${minSize}`, op: 'remove_small', input, shape, steps, min_size: minSize });
      for (const k of [1, 3]) batch.add({ id: `${index}-largest-${connectivity}-${k}`, op: 'keep_largest', input, shape, steps, k });
    }
  }
  if (is3D(c.dims)) {
    for (const steps of [1, 2]) batch.add({ id: `${index}-fillslices-${steps}`, op: 'fill_holes_slices', input, shape, steps });
  }
});

let reference: Record<string, Record<string, unknown>>;

const countOf = (mask: Uint8Array) => mask.reduce((s, v) => s + (v !== 0 ? 1 : 0), 0);

/** Strict equality of two arrays, reporting the first differing index instead of a huge diff. */
function assertSameArray(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) assert.fail(`${what}: first difference at index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

function labelMask(c: MaskCase, connectivity: Connectivity) {
  const { width, height, depth } = c.dims;
  return depth === undefined
    ? connectedComponents2D(c.data, width, height, { connectivity: connectivity as 4 | 8 })
    : connectedComponents3D(c.data, width, height, depth, { connectivity: connectivity as 6 | 18 | 26 });
}

describe('against scikit-image / SciPy', () => {
  before(() => {
    reference = batch.run('postprocess_reference.py');
  });
  after(() => batch.dispose());

  maskCases.forEach((c, index) => {
    test(`${c.name}: labels, sizes, boxes, centroids = skimage.measure.label / ndimage`, () => {
      for (const [connectivity] of connectivitiesOf(c.dims)) {
        const id = `${index}-label-${connectivity}`;
        const expected = reference[id]! as { count: number; sizes: number[]; bboxMin: number[][]; bboxMax: number[][]; centroids: number[][] };
        const ours = labelMask(c, connectivity);
        assert.equal(ours.count, expected.count, `${id} count`);
        assertSameArray(ours.labels, batch.output(id, 'labels', Int32Array), `${id} labels`);
        assert.deepEqual(ours.components.map((k) => k.size), expected.sizes, `${id} sizes`);
        assert.deepEqual(ours.components.map((k) => k.bbox.min), expected.bboxMin, `${id} bbox min`);
        assert.deepEqual(ours.components.map((k) => k.bbox.max), expected.bboxMax, `${id} bbox max`);
        ours.components.forEach((k, i) => {
          k.centroid.forEach((v, axis) => assert.ok(Math.abs(v - expected.centroids[i]![axis]!) < 1e-9, `${id} centroid ${i}`));
        });
        assert.deepEqual(ours.components.map((k) => k.label), Array.from({ length: ours.count }, (_, i) => i + 1));
      }
    });

    test(`${c.name}: removeSmallComponents, keepLargestComponents, fillHoles = skimage / scipy`, () => {
      for (const [connectivity] of connectivitiesOf(c.dims)) {
        const prefix = `${index}-`;
        if (reference[`${prefix}fill-${connectivity}`] === undefined) continue; // 18: labels only
        for (const minSize of [2, 7]) {
          const id = `${prefix}small-${connectivity}-${minSize}`;
          assertSameArray(removeSmallComponents(c.data, c.dims, minSize, connectivity), batch.output(id, 'mask', Uint8Array), id);
        }
        for (const k of [1, 3]) {
          const id = `${prefix}largest-${connectivity}-${k}`;
          assertSameArray(keepLargestComponents(c.data, c.dims, k, connectivity), batch.output(id, 'mask', Uint8Array), id);
        }
        const id = `${prefix}fill-${connectivity}`;
        assertSameArray(fillHoles(c.data, c.dims, connectivity), batch.output(id, 'mask', Uint8Array), id);
      }
      if (is3D(c.dims)) {
        for (const [connectivity, steps] of [[4, 1], [8, 2]] as const) {
          const id = `${index}-fillslices-${steps}`;
          assertSameArray(fillHolesSliceWise(c.data, c.dims, connectivity), batch.output(id, 'mask', Uint8Array), id);
        }
      }
    });
  });

  test('the comparisons are not vacuous: references fill holes and remove components', () => {
    let filledSome = 0;
    let removedSome = 0;
    maskCases.forEach((c, index) => {
      const [connectivity] = connectivitiesOf(c.dims)[0]!;
      const before = countOf(c.data);
      if (countOf(batch.output(`${index}-fill-${connectivity}`, 'mask', Uint8Array)) > before) filledSome++;
      if (countOf(batch.output(`${index}-small-${connectivity}-7`, 'mask', Uint8Array)) < before) removedSome++;
    });
    assert.ok(filledSome >= 10, `only ${filledSome} masks had holes`);
    assert.ok(removedSome >= 10, `only ${removedSome} masks had small components`);
  });
});

/** Brute-force labelling: breadth-first flood fill from each unlabelled pixel in raster order. */
function floodFillLabels(mask: Uint8Array, dims: MaskDims, connectivity: Connectivity): Int32Array {
  const { width, height } = dims;
  const depth = dims.depth ?? 1;
  const reach = connectivity === 4 || connectivity === 6 ? 1 : connectivity === 18 ? 2 : 3;
  const labels = new Int32Array(mask.length);
  let count = 0;
  for (let start = 0; start < mask.length; start++) {
    if (mask[start] === 0 || labels[start] !== 0) continue;
    labels[start] = ++count;
    const queue = [start];
    while (queue.length > 0) {
      const i = queue.pop()!;
      const x = i % width;
      const y = Math.floor(i / width) % height;
      const z = Math.floor(i / (width * height));
      for (let dz = -1; dz <= 1; dz++) {
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const steps = Math.abs(dx) + Math.abs(dy) + Math.abs(dz);
            if (steps === 0 || steps > reach) continue;
            const [xx, yy, zz] = [x + dx, y + dy, z + dz];
            if (xx < 0 || yy < 0 || zz < 0 || xx >= width || yy >= height || zz >= depth) continue;
            const j = xx + width * (yy + height * zz);
            if (mask[j] !== 0 && labels[j] === 0) {
              labels[j] = count;
              queue.push(j);
            }
          }
        }
      }
    }
  }
  return labels;
}

/** Small random 2D or 3D masks with non-0/1 foreground values too. */
const arbitraryMask = fc
  .record({ width: fc.integer({ min: 1, max: 9 }), height: fc.integer({ min: 1, max: 9 }), depth: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }) })
  .chain((dims) => {
    const n = dims.width * dims.height * (dims.depth ?? 1);
    const values = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 255 }));
    const data = fc.array(values, { minLength: n, maxLength: n }).map((a) => Uint8Array.from(a));
    return fc.record({ dims: fc.constant<MaskDims>(dims), data });
  });

const isSubset = (inner: Uint8Array, outer: Uint8Array) => inner.every((v, i) => v === 0 || outer[i] !== 0);

describe('properties', () => {
  test('labels partition the mask exactly as a brute-force flood fill does, numbered in raster order', () => {
    fc.assert(fc.property(arbitraryMask, ({ dims, data }) => {
      for (const [connectivity] of connectivitiesOf(dims)) {
        const ours = labelMask({ name: '', data, dims }, connectivity);
        const brute = floodFillLabels(data, dims, connectivity);
        assert.deepEqual(ours.labels, brute);
        assert.deepEqual(canonicalLabels(ours.labels), ours.labels);
        assert.equal(ours.components.reduce((s, k) => s + k.size, 0), countOf(data));
      }
    }), { numRuns: 150 });
  });

  test('foregroundBox is the brute-force bounding box, word-scanned rows (width % 4 = 0) and unaligned views included', () => {
    const widths = fc.oneof(fc.integer({ min: 1, max: 13 }), fc.constantFrom(4, 8, 12, 16));
    fc.assert(fc.property(widths, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 }), fc.nat(), (width, height, depth, shift, margin, seed) => {
      const random = seededRandom(seed);
      const n = width * height * depth;
      const density = random() < 0.2 ? 0 : random() * 0.3;
      const data = new Uint8Array(n + shift).subarray(shift); // shift > 0: a view not 4-byte aligned
      for (let i = 0; i < n; i++) data[i] = random() < density ? 1 + Math.floor(random() * 255) : 0;
      const grid = { width, height, depth, is3D: true };
      let want: { min: number[]; max: number[] } | null = null;
      for (let i = 0; i < n; i++) {
        if (data[i] === 0) continue;
        const p = [i % width, Math.floor(i / width) % height, Math.floor(i / (width * height))];
        want = want ? { min: want.min.map((v, a) => Math.min(v, p[a]!)), max: want.max.map((v, a) => Math.max(v, p[a]!)) } : { min: p, max: [...p] };
      }
      const got = foregroundBox([data], grid, margin);
      if (!want) return assert.equal(got, null);
      const size = [width, height, depth];
      assert.deepEqual(got, { min: want.min.map((v) => Math.max(0, v - margin)), max: want.max.map((v, a) => Math.min(size[a]! - 1, v + margin)) });
    }), { numRuns: 400 });
  });

  test('fillHoles ⊇ mask and is idempotent; removeSmall / keepLargest ⊆ mask; outputs are 0/1', () => {
    fc.assert(fc.property(arbitraryMask, fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 4 }), ({ dims, data }, minSize, k) => {
      const filled = fillHoles(data, dims);
      assert.ok(isSubset(data, filled));
      assert.deepEqual(fillHoles(filled, dims), filled);
      assert.ok(isSubset(filled, fillHolesSliceWise(data, dims)), 'slice-wise filling fills at least as much');
      const kept = removeSmallComponents(data, dims, minSize);
      assert.ok(isSubset(kept, data));
      const { width, height, depth } = dims;
      const sizes = depth === undefined
        ? connectedComponents2D(kept, width, height).components.map((c) => c.size)
        : connectedComponents3D(kept, width, height, depth).components.map((c) => c.size);
      assert.ok(sizes.every((s) => s >= minSize));
      const largest = keepLargestComponents(data, dims, k);
      assert.ok(isSubset(largest, data));
      for (const out of [filled, kept, largest]) assert.ok(out.every((v) => v === 0 || v === 1));
    }), { numRuns: 150 });
  });

  test('restrictToMask is the pixel-wise AND', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 50 }).chain((a) => fc.tuple(fc.constant(a), fc.uint8Array({ minLength: a.length, maxLength: a.length }))), ([a, b]) => {
      assert.deepEqual(restrictToMask(a, b), Uint8Array.from(a, (v, i) => (v !== 0 && b[i] !== 0 ? 1 : 0)));
    }));
  });
});

describe('hand-checked cases', () => {
  test('2D stats: two diagonal pixels are one component at 8, two at 4', () => {
    const mask = Uint8Array.from([1, 0, 0, 0, 1, 0, 0, 0, 0]);
    const eight = connectedComponents2D(mask, 3, 3);
    assert.equal(eight.count, 1);
    assert.deepEqual(eight.components[0], { label: 1, size: 2, bbox: { min: [0, 0], max: [1, 1] }, centroid: [0.5, 0.5] });
    assert.equal(connectedComponents2D(mask, 3, 3, { connectivity: 4 }).count, 2);
  });

  test('a ring in the middle slice of a volume: a hole slice-wise, a hole in 3D only if closed above and below', () => {
    const dims = { width: 5, height: 5, depth: 3 };
    const ring = new Uint8Array(75);
    for (let y = 1; y <= 3; y++) for (let x = 1; x <= 3; x++) if (x !== 2 || y !== 2) ring[25 + x + 5 * y] = 1;
    const centre = 25 + 2 + 5 * 2;
    assert.equal(fillHolesSliceWise(ring, dims)[centre], 1);
    assert.equal(fillHoles(ring, dims)[centre], 0);
    const capped = ring.slice();
    capped[2 + 5 * 2] = 1;
    capped[50 + 2 + 5 * 2] = 1;
    assert.equal(fillHoles(capped, dims)[centre], 1);
  });

  test('keepLargestComponents breaks size ties by raster order; removeSmall keeps size == minSize', () => {
    const mask = Uint8Array.from([1, 0, 1, 0, 1, 1]);
    assert.deepEqual(keepLargestComponents(mask, { width: 6, height: 1 }, 1), Uint8Array.from([0, 0, 0, 0, 1, 1]));
    assert.deepEqual(keepLargestComponents(mask, { width: 6, height: 1 }, 2), Uint8Array.from([1, 0, 0, 0, 1, 1]));
    assert.deepEqual(removeSmallComponents(mask, { width: 6, height: 1 }, 2), Uint8Array.from([0, 0, 0, 0, 1, 1]));
    assert.deepEqual(keepLargestComponents(mask, { width: 6, height: 1 }, 0), new Uint8Array(6));
  });

  test('componentVolumesMl multiplies voxel counts by the voxel volume', () => {
    const volumes = componentVolumesMl([{ size: 1000 }, { size: 3 }], [0.8, 0.8, 5]);
    assert.ok(Math.abs(volumes[0]! - 3.2) < 1e-12);
    assert.ok(Math.abs(volumes[1]! - 0.0096) < 1e-15);
    assert.throws(() => componentVolumesMl([], [1, 0, 1]), { code: 'INVALID_INPUT' });
  });

  test('inputs are not modified', () => {
    const mask = Uint8Array.from([0, 1, 0, 1, 0, 1, 0, 1, 0]);
    const copy = mask.slice();
    fillHoles(mask, { width: 3, height: 3 });
    removeSmallComponents(mask, { width: 3, height: 3 }, 5);
    keepLargestComponents(mask, { width: 3, height: 3 }, 1);
    connectedComponents2D(mask, 3, 3);
    assert.deepEqual(mask, copy);
  });
});

describe('bad input', () => {
  const mask = new Uint8Array(12);
  const cases: [string, () => unknown, string][] = [
    ['length != width * height', () => connectedComponents2D(mask, 5, 2), 'INVALID_INPUT'],
    ['zero width', () => connectedComponents2D(new Uint8Array(0), 0, 3), 'INVALID_INPUT'],
    ['fractional depth', () => connectedComponents3D(mask, 2, 3, 2.5), 'INVALID_INPUT'],
    ['not a Uint8Array', () => connectedComponents2D([0, 1] as unknown as Uint8Array, 2, 1), 'INVALID_INPUT'],
    ['3D connectivity on 2D', () => connectedComponents2D(mask, 4, 3, { connectivity: 6 as 4 }), 'INVALID_OPTIONS'],
    ['2D connectivity on 3D', () => connectedComponents3D(mask, 2, 3, 2, { connectivity: 8 as 6 }), 'INVALID_OPTIONS'],
    ['dims mismatch', () => fillHoles(mask, { width: 3, height: 3 }), 'INVALID_INPUT'],
    ['negative minSize', () => removeSmallComponents(mask, { width: 4, height: 3 }, -1), 'INVALID_OPTIONS'],
    ['NaN minSize', () => removeSmallComponents(mask, { width: 4, height: 3 }, NaN), 'INVALID_OPTIONS'],
    ['fractional k', () => keepLargestComponents(mask, { width: 4, height: 3 }, 1.5), 'INVALID_OPTIONS'],
    ['restrict length mismatch', () => restrictToMask(mask, new Uint8Array(11)), 'INVALID_INPUT'],
    ['slice-wise 3D connectivity', () => fillHolesSliceWise(mask, { width: 2, height: 3, depth: 2 }, 6 as 4), 'INVALID_OPTIONS'],
  ];
  for (const [name, call, code] of cases) {
    test(`${name} throws ${code}`, () => {
      assert.throws(call, (e: unknown) => e instanceof TvunetError && e.code === code && e.message.length > 0);
    });
  }
});
