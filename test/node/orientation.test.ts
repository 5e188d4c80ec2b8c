/**
 * sliceLayout / extractSlice / insertSlice against a brute-force reference built from world
 * coordinates alone: for all 48 axis-aligned orientations (3! axis orders × 8 sign flips), a
 * radiological slice must show the voxels of one voxel-index plane along the Superior–Inferior
 * axis, columns ordered toward the patient's Left (decreasing RAS x) and rows toward Posterior
 * (decreasing RAS y). 'stored' slices are z planes with x as columns and y as rows.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../trainer/src/data/rng.js';
import { extractSlice, insertSlice, sliceLayout, voxelToWorld, type Affine } from '../../src/volume/index.js';

const PERMUTATIONS = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] as const;

/** Voxel axis a points along world axis perm[a] with sign signs[a]; spacing and origin arbitrary. */
function axisAlignedAffine(perm: readonly number[], signs: readonly number[], spacing: readonly number[]): Affine {
  const m = [[0, 0, 0, 12.5], [0, 0, 0, -40], [0, 0, 0, 7], [0, 0, 0, 1]];
  for (let a = 0; a < 3; a++) m[perm[a]!]![a] = signs[a]! * spacing[a]!;
  return m;
}

/** Brute force: the voxel indices of radiological slice s, row-major, from world positions. */
function referenceSlice(dims: readonly number[], affine: Affine, s: number): number[] {
  const voxels: { index: number; world: [number, number, number]; coord: number[] }[] = [];
  for (let z = 0; z < dims[2]!; z++) for (let y = 0; y < dims[1]!; y++) for (let x = 0; x < dims[0]!; x++) {
    voxels.push({ index: x + dims[0]! * (y + dims[1]! * z), world: voxelToWorld(affine, [x, y, z]), coord: [x, y, z] });
  }
  // The voxel axis whose world direction is S/I: the one along which world z changes.
  const siAxis = [0, 1, 2].find((a) => affine[2]![a] !== 0)!;
  const plane = voxels.filter((v) => v.coord[siAxis] === s);
  // Toward Left = decreasing RAS x; toward Posterior = decreasing RAS y.
  plane.sort((p, q) => q.world[1] - p.world[1] || q.world[0] - p.world[0]);
  return plane.map((v) => v.index);
}

describe('sliceLayout, extractSlice and insertSlice', () => {
  it('radiological slices match a world-coordinate brute force in all 48 axis-aligned orientations, and insert inverts extract', () => {
    const rng = new Rng(7);
    let cases = 0;
    for (const perm of PERMUTATIONS) {
      for (let flips = 0; flips < 8; flips++) {
        const signs = [0, 1, 2].map((a) => ((flips >> a) & 1 ? -1 : 1));
        const dims = [2 + Math.floor(rng.next() * 5), 2 + Math.floor(rng.next() * 5), 2 + Math.floor(rng.next() * 5)] as [number, number, number];
        const affine = axisAlignedAffine(perm, signs, [0.7, 0.8, 2.5]);
        const n = dims[0] * dims[1] * dims[2];
        const volume = Float32Array.from({ length: n }, (_, i) => i); // value = voxel index
        const bytes = Uint8Array.from({ length: n }, (_, i) => i % 251);
        const layout = sliceLayout({ dims, affine });
        const rebuilt = new Float32Array(n).fill(-1);
        const rebuiltBytes = new Uint8Array(n);
        for (let s = 0; s < layout.depth; s++) {
          const want = referenceSlice(dims, affine, s);
          const got = extractSlice(volume, layout, s);
          assert.deepEqual(Array.from(got), want, `perm ${perm} signs ${signs} slice ${s}`);
          assert.deepEqual(Array.from(extractSlice(bytes, layout, s)), want.map((i) => i % 251));
          insertSlice(rebuilt, layout, s, got);
          insertSlice(rebuiltBytes, layout, s, extractSlice(bytes, layout, s));
        }
        assert.deepEqual(rebuilt, volume, 'every voxel written back once');
        assert.deepEqual(rebuiltBytes, bytes);
        cases++;
      }
    }
    assert.equal(cases, 48);
  });

  it("'stored' slices are z planes, x along columns and y along rows, whatever the affine", () => {
    const dims: [number, number, number] = [5, 3, 4];
    const affine = axisAlignedAffine([2, 0, 1], [-1, 1, -1], [1, 1, 1]);
    const volume = Float32Array.from({ length: 60 }, (_, i) => i);
    const layout = sliceLayout({ dims, affine }, 'stored');
    assert.deepEqual([layout.width, layout.height, layout.depth], [5, 3, 4]);
    for (let s = 0; s < 4; s++) assert.deepEqual(Array.from(extractSlice(volume, layout, s)), Array.from({ length: 15 }, (_, i) => s * 15 + i));
  });

  it('an LPS volume (DICOM storage order) is cut in whole-row runs, into a given buffer', () => {
    const dims: [number, number, number] = [4, 2, 2];
    const layout = sliceLayout({ dims, affine: axisAlignedAffine([0, 1, 2], [-1, -1, 1], [1, 1, 1]) }); // LPS: columns run along +x
    assert.equal(layout.columnStep, 1);
    const volume = Float32Array.from({ length: 16 }, (_, i) => i + 0.25);
    const out = extractSlice(volume, layout, 1, new Float32Array(8));
    assert.deepEqual(Array.from(out), [8.25, 9.25, 10.25, 11.25, 12.25, 13.25, 14.25, 15.25]);
    const mask = new Uint8Array(16);
    insertSlice(mask, layout, 0, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
    assert.deepEqual(Array.from(mask.subarray(0, 8)), [1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
