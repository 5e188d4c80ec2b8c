/**
 * Test-side helpers shared by the node tests that compare against the Python references in this
 * folder: one batched Python run per test file, seeded random masks, and the real CT masks.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { Rng } from '../../trainer/src/data/rng.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Debian's python3 with numpy, scipy, scikit-image and scikit-learn (CI installs them). */
const PYTHON = '/usr/bin/python3';

type Typed = Uint8Array | Int32Array | Float32Array | Float64Array;

/**
 * Collects cases (JSON objects naming binary input files) for one Python script, runs the script
 * once on all of them and reads the outputs back. Files live in a fresh directory under os.tmpdir().
 */
export class ReferenceBatch {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tvunet-ref-'));
  private readonly cases: object[] = [];
  private fileCount = 0;

  /** Writes `data` (native little-endian bytes) to a new file; returns its name for a case. */
  file(data: Typed): string {
    const name = `in${this.fileCount++}.bin`;
    fs.writeFileSync(path.join(this.dir, name), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return name;
  }

  /** Adds a case; `id` must be unique and names the output files `${id}.*.bin`. */
  add(testCase: { id: string; op: string } & Record<string, unknown>): void {
    this.cases.push(testCase);
  }

  /** Runs `script` on all cases; throws with Python's stderr when it fails. Returns its JSON, by case id. */
  run(script: string): Record<string, Record<string, unknown>> {
    fs.writeFileSync(path.join(this.dir, 'cases.json'), JSON.stringify({ cases: this.cases }));
    const result = spawnSync(PYTHON, [path.join(repoRoot, 'test/reference', script), this.dir], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    if (result.error || result.status !== 0) {
      throw new Error(
        `Python reference ${script} failed (${PYTHON} needs numpy, scipy, scikit-image, scikit-learn: `
        + `apt-get install python3-scipy python3-skimage python3-sklearn): `
        + `${result.error?.message ?? ''}\n${result.stderr}`,
      );
    }
    return JSON.parse(result.stdout) as Record<string, Record<string, unknown>>;
  }

  /** Reads output file `${id}.${suffix}.bin` written by the script. */
  output<T extends Typed>(id: string, suffix: string, ctor: { new (buffer: ArrayBuffer): T }): T {
    const bytes = fs.readFileSync(path.join(this.dir, `${id}.${suffix}.bin`));
    return new ctor(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }

  /** Deletes the directory and everything in it. */
  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Seeded uniform numbers in [0, 1) (the trainer's mulberry32). */
export function seededRandom(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

/** Independent pixels, each foreground with probability `density`. */
export function noiseMask(random: () => number, length: number, density: number): Uint8Array {
  return Uint8Array.from({ length }, () => (random() < density ? 1 : 0));
}

/**
 * Blobby mask: uniform noise box-blurred `passes` times (3^n box, clamped at the border), then
 * thresholded at its `1 - density` quantile, so objects have holes, bays and varied sizes.
 */
export function blobMask(random: () => number, dims: readonly number[], density: number, passes = 2): Uint8Array {
  const [w, h, d = 1] = dims as [number, number, number?];
  let field = Float64Array.from({ length: w * h * d }, () => random());
  for (let pass = 0; pass < passes; pass++) {
    const next = new Float64Array(field.length);
    for (let z = 0; z < d; z++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let sum = 0;
          let n = 0;
          for (let dz = d > 1 ? -1 : 0; dz <= (d > 1 ? 1 : 0); dz++) {
            for (let dy = -1; dy <= 1; dy++) {
              for (let dx = -1; dx <= 1; dx++) {
                const xx = x + dx;
                const yy = y + dy;
                const zz = z + dz;
                if (xx < 0 || yy < 0 || zz < 0 || xx >= w || yy >= h || zz >= d) continue;
                sum += field[xx + w * (yy + h * zz)]!;
                n++;
              }
            }
          }
          next[x + w * (y + h * z)] = sum / n;
        }
      }
    }
    field = next;
  }
  const cut = Float64Array.from(field).sort()[Math.floor((1 - density) * (field.length - 1))]!;
  return Uint8Array.from(field, (v) => (v > cut ? 1 : 0));
}

export interface RealMask {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** 1 where the PNG's first channel is > 127. */
  readonly data: Uint8Array;
}

const dataRoot = path.resolve(repoRoot, '../shared/data');

/** The real infection masks used by the tests: Ma et al. (256 x 256 slices) and COVID-SemiSeg GT. */
export const REAL_MASK_SETS = {
  ma2020: 'ma2020-ct-infection-256/covid',
  semiseg: 'covid-semiseg/TrainingSet/LungInfection-Train/Doctor-label/GT',
} as const;

/**
 * Reads the PNG masks `files` of a set from ../shared/data, or returns null (after saying so on
 * stderr) when the data folder is missing, so the caller falls back to random masks.
 */
export function readRealMasks(set: keyof typeof REAL_MASK_SETS, files: readonly string[]): RealMask[] | null {
  const folder = path.join(dataRoot, REAL_MASK_SETS[set]);
  if (!fs.existsSync(folder)) {
    console.error(`real masks missing: ${folder} not found; using random masks only`);
    return null;
  }
  return files.map((name) => {
    const png = PNG.sync.read(fs.readFileSync(path.join(folder, name)));
    const data = new Uint8Array(png.width * png.height);
    for (let i = 0; i < data.length; i++) data[i] = png.data[4 * i]! > 127 ? 1 : 0;
    return { name, width: png.width, height: png.height, data };
  });
}

/** File names `0000.png`… of the Ma et al. slices `first`..`first + count - 1`. */
export function maSliceNames(first: number, count: number, step = 1): string[] {
  return Array.from({ length: count }, (_, i) => `${String(first + i * step).padStart(4, '0')}.png`);
}

/** Relabels so ids appear in raster order of first occurrence (0 stays 0): equal iff same partition. */
export function canonicalLabels(labels: ArrayLike<number>): Int32Array {
  const map = new Map<number, number>([[0, 0]]);
  return Int32Array.from({ length: labels.length }, (_, i) => {
    const l = labels[i]!;
    let c = map.get(l);
    if (c === undefined) {
      c = map.size;
      map.set(l, c);
    }
    return c;
  });
}
