/**
 * Synthetic chest-CT-like data: a body ellipse (soft tissue), two lungs (air, -850 HU) with
 * ground-glass blobs, and noise; the same phantom as 0/1 masks for the post-processing group.
 * Deterministic, so runs compare.
 */
import { prng } from './model.js';

interface Blob { x: number; y: number; z: number; r: number }

/** Lung half-axes and centres as fractions of the image, varying slowly along z. */
function lungs(width: number, height: number, zFrac: number) {
  const scale = Math.sin(Math.PI * Math.min(1, Math.max(0, 0.05 + 0.9 * zFrac))); // small at apex and base
  return [-1, 1].map((side) => ({ cx: width * (0.5 + side * 0.2), cy: height * 0.5, ax: width * 0.15 * scale + 1, ay: height * 0.3 * scale + 1 }));
}

function blobs(width: number, depth: number, seed: number): Blob[] {
  const rand = prng(seed);
  return Array.from({ length: 40 }, () => ({ x: width * (0.25 + 0.5 * rand()), y: width * (0.3 + 0.4 * rand()), z: depth * rand(), r: width * (0.01 + 0.04 * rand()) }));
}

/** One axial slice z of a depth-slice volume, in HU (Int16). */
export function huSlice(width: number, height: number, z: number, depth: number, seed = 1): Int16Array {
  const rand = prng(seed * 7919 + z);
  const out = new Int16Array(width * height);
  const lung = lungs(width, height, z / depth);
  const near = blobs(width, depth, seed).filter((b) => Math.abs(b.z - z) < b.r);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let hu = ((x - width / 2) / (width * 0.45)) ** 2 + ((y - height / 2) / (height * 0.35)) ** 2 <= 1 ? 40 : -1000;
      if (lung.some((l) => ((x - l.cx) / l.ax) ** 2 + ((y - l.cy) / l.ay) ** 2 <= 1)) {
        hu = -850;
        if (near.some((b) => (x - b.x) ** 2 + (y - b.y) ** 2 + ((z - b.z) * (width / depth)) ** 2 <= b.r * b.r)) hu = -450;
      }
      out[y * width + x] = hu + Math.round(40 * (rand() - 0.5));
    }
  }
  return out;
}

/**
 * A width×height×depth 0/1 mask shaped like a lung segmentation with speckle: two lung bodies with
 * holes (vessels), and isolated false-positive voxels (what removeSmallComponents removes).
 */
export function phantomMask(width: number, height: number, depth: number, seed = 1): Uint8Array {
  const rand = prng(seed);
  const area = width * height;
  const mask = new Uint8Array(area * depth);
  for (let z = 0; z < depth; z++) {
    const lung = lungs(width, height, z / depth);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const inLung = lung.some((l) => ((x - l.cx) / l.ax) ** 2 + ((y - l.cy) / l.ay) ** 2 <= 1);
        const vessel = inLung && (x * 13 + y * 7 + z * 3) % 97 < 2;
        mask[z * area + y * width + x] = (inLung && !vessel) || rand() < 0.002 ? 1 : 0;
      }
    }
  }
  return mask;
}
