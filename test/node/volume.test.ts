/**
 * Whole-volume segmentation: burden numbers on synthetic phantoms of known volume (exact),
 * segmentVolume's 3D post-processing and orientation handling with a scripted slice segmenter,
 * cancellation, a pool of 2 worker_threads against the in-process Segmenter on a stack of real CT
 * slices (RANDOM WEIGHTS: plumbing, not skill), a worker dying mid-volume, the label / probability
 * NIfTI outputs re-read with nifti-reader-js, and `tvunet segment` on a .nii.gz and a DICOM folder.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import * as nifti from 'nifti-reader-js';
import { PNG } from 'pngjs';
import {
  Segmenter, saveModelToPath, type EncodedModel, type ModelManifest, type RawSlice, type SegmentationResult, type UNetConfig,
} from '../../src/index.js';
import {
  computeBurden, createVolume, ctSeverityGrade, encodeNifti, extractSlice, readNifti, segmentVolume, sliceLayout,
  writeLabelNifti, writeProbabilityNifti, type SliceSegmenter, type Volume,
} from '../../src/volume/index.js';
import { createWorkerPool, type WorkerPool } from '../../worker/index.js';
import { CLASSES4, displayToHu, dicomSlice, loadCtStack, randomModel, rejectsWithCode, shuffled, type CtStack } from './volume-fixtures.js';

const WORKER_ENTRY = new URL('./worker-entry.mjs', import.meta.url);

// ---------------------------------------------------------------------------------------------
// Burden on phantoms

/** Sets box [x0, x1) × [y0, y1) × [z0, z1) of a mask to 1. */
function box(mask: Uint8Array, dims: [number, number, number], [x0, x1]: [number, number], [y0, y1]: [number, number], [z0, z1]: [number, number]): void {
  for (let z = z0; z < z1; z++) for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) mask[x + dims[0] * (y + dims[1] * z)] = 1;
}

describe('burden on a phantom of known volumes', () => {
  // 10 mm voxels: exactly 1 mL each. Default geometry (createVolume): x → patient Left, so low x = Right.
  const dims: [number, number, number] = [24, 16, 8];
  const spacing: [number, number, number] = [10, 10, 10];
  const { affine } = createVolume(new Float32Array(24 * 16 * 8), dims, { spacingMm: spacing });
  const n = 24 * 16 * 8;
  const lungs = new Uint8Array(n), infection = new Uint8Array(n);
  box(lungs, dims, [2, 10], [2, 14], [1, 7]); // right lung: 8 × 12 × 6 = 576 mL
  box(lungs, dims, [14, 22], [2, 14], [1, 7]); // left lung: 576 mL
  box(infection, dims, [4, 7], [4, 7], [2, 5]); // 27 mL cube in the right lung, slices 2–4
  box(infection, dims, [15, 17], [5, 6], [3, 4]); // 2 mL in the left lung, slice 3

  it('volumes, % involved (overall and per lung), lesions, per-slice areas and severity are exact', () => {
    const b = computeBurden({ infection, lungs, dims, spacingMm: spacing, affine });
    assert.equal(b.voxelVolumeMl, 1);
    assert.equal(b.infectedVolumeMl, 29);
    assert.equal(b.lungVolumeMl, 1152);
    assert.equal(b.infectedInLungsMl, 29);
    assert.equal(b.percentInvolved, 2900 / 1152);
    assert.ok(b.perLung, b.perLungNote ?? '');
    assert.deepEqual(
      { lung: b.perLung.right.lungVolumeMl, infected: b.perLung.right.infectedVolumeMl, percent: b.perLung.right.percentInvolved },
      { lung: 576, infected: 27, percent: 2700 / 576 },
    );
    assert.deepEqual(
      { lung: b.perLung.left.lungVolumeMl, infected: b.perLung.left.infectedVolumeMl, percent: b.perLung.left.percentInvolved },
      { lung: 576, infected: 2, percent: 200 / 576 },
    );
    assert.ok(b.perLung.right.centroidMm[0] > b.perLung.left.centroidMm[0], 'right lung at larger RAS x');
    assert.equal(b.lesions.count, 2);
    assert.deepEqual(b.lesions.volumesMl, [27, 2]);
    assert.deepEqual(b.lesions.items.map((l) => l.lung), ['right', 'left']);
    assert.deepEqual(b.lesions.items[0]!.centroidMm, [-50, -50, 30]);
    assert.equal(b.pixelAreaMm2, 100);
    assert.deepEqual(b.perSlice.map((s) => s.infectedAreaMm2), [0, 0, 900, 1100, 900, 0, 0, 0]);
    assert.deepEqual(b.perSlice.map((s) => s.lungAreaMm2), [0, 19200, 19200, 19200, 19200, 19200, 19200, 0]);
    assert.deepEqual(b.severity, { scheme: 'pan2020-whole-lung', score: 1, band: '<5 %', percentInvolved: 2900 / 1152 });
  });

  it('with realistic spacing (0.7 × 0.7 × 1.25 mm) volumes scale by the voxel volume', () => {
    const s: [number, number, number] = [0.7, 0.7, 1.25];
    const b = computeBurden({ infection, lungs, dims, spacingMm: s, affine: createVolume(new Float32Array(n), dims, { spacingMm: s }).affine });
    const voxelMl = (0.7 * 0.7 * 1.25) / 1000;
    assert.ok(Math.abs(b.infectedVolumeMl - 29 * voxelMl) < 1e-12);
    assert.ok(Math.abs(b.lungVolumeMl! - 1152 * voxelMl) < 1e-12);
    assert.equal(b.percentInvolved, 2900 / 1152);
    assert.ok(Math.abs(b.perSlice[3]!.infectedAreaMm2 - 11 * 0.49) < 1e-12);
  });

  it('6- vs 26-connectivity: two cubes touching at a corner are one lesion or two', () => {
    const two = new Uint8Array(n);
    box(two, dims, [4, 6], [4, 6], [2, 4]);
    box(two, dims, [6, 8], [6, 8], [4, 6]);
    const c26 = computeBurden({ infection: two, lungs, dims, spacingMm: spacing, affine, connectivity: 26 });
    const c6 = computeBurden({ infection: two, lungs, dims, spacingMm: spacing, affine, connectivity: 6 });
    assert.deepEqual(c26.lesions.volumesMl, [16]);
    assert.deepEqual(c6.lesions.volumesMl, [8, 8]);
  });

  it('lungs that do not split into two components: no per-lung numbers, a note instead', () => {
    const one = new Uint8Array(n);
    box(one, dims, [2, 22], [2, 14], [1, 7]);
    const b = computeBurden({ infection, lungs: one, dims, spacingMm: spacing, affine });
    assert.equal(b.perLung, null);
    assert.match(b.perLungNote!, /one connected component/);
    assert.equal(computeBurden({ infection, dims, spacingMm: spacing, affine }).severity, null);
  });

  it('severity bands of Pan et al. (Radiology 2020), applied to the whole lung', () => {
    const cases: [number, number][] = [[0, 0], [0.001, 1], [4.999, 1], [5, 2], [25, 2], [25.01, 3], [49.99, 3], [50, 4], [75, 4], [75.01, 5], [100, 5]];
    for (const [p, score] of cases) assert.equal(ctSeverityGrade(p).score, score, `${p} %`);
    assert.throws(() => ctSeverityGrade(101), /0…100/);
  });
});

// ---------------------------------------------------------------------------------------------
// segmentVolume with a scripted slice segmenter

/**
 * A slice segmenter that reads its answer from the input: bit 0 = infection, bit 1 = lungs,
 * bit 2 = consolidation rather than ground-glass. Records the slices it saw.
 */
class ScriptedSegmenter implements SliceSegmenter {
  readonly manifest = { classes: CLASSES4.map((name) => ({ name, threshold: 0.5 })) } as unknown as ModelManifest;
  readonly seen: Float32Array[] = [];
  calls = 0;
  constructor(private readonly delayMs = 0, readonly concurrency = 1) {}
  async segment(input: RawSlice): Promise<SegmentationResult> {
    this.calls++;
    this.seen.push(Float32Array.from(input.data));
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    const n = input.width * input.height;
    const plane = (f: (v: number) => number) => Float32Array.from({ length: n }, (_, i) => f(input.data[i]!));
    const probs = [plane((v) => (v & 1 ? 0.9 : 0.1)), plane((v) => (v & 4 ? 0.3 : 0.7)), plane((v) => (v & 4 ? 0.8 : 0.2)), plane((v) => (v & 2 ? 0.9 : 0.1))];
    return {
      width: input.width, height: input.height,
      classes: probs.map((p, c) => ({ name: CLASSES4[c]!, threshold: 0.5, probabilities: p, mask: Uint8Array.from(p, (x) => (x >= 0.5 ? 1 : 0)) })),
      timings: { preprocessMs: 0, inferenceMs: 0, postprocessMs: 0 },
      backend: { backend: 'cpu' } as SegmentationResult['backend'],
    };
  }
}

describe('segmentVolume: 3D post-processing, labels, orientation, cancellation (scripted segmenter)', () => {
  const dims: [number, number, number] = [24, 16, 8];
  const n = 24 * 16 * 8;
  function phantom(): Volume {
    const lungs = new Uint8Array(n), inf = new Uint8Array(n), cons = new Uint8Array(n);
    box(lungs, dims, [2, 10], [2, 14], [1, 7]);
    box(lungs, dims, [14, 22], [2, 14], [1, 7]);
    box(inf, dims, [3, 8], [3, 8], [2, 6]); // 100 mL shell with a 3 mL cavity, right lung
    for (let z = 3; z < 5; z++) for (let y = 5; y < 6; y++) for (let x = 4; x < 7; x++) if (!(x === 4 && z === 4)) inf[x + 24 * (y + 16 * z)] = 0;
    box(cons, dims, [3, 8], [3, 8], [2, 3]); // consolidation in the first slice of the shell
    box(inf, dims, [15, 18], [5, 6], [3, 4]); // 3 mL lesion, left lung
    box(inf, dims, [18, 20], [10, 11], [4, 5]); // 2 mL lesion, left lung
    box(inf, dims, [11, 13], [7, 8], [3, 4]); // 2 mL outside the lungs
    const data = Float32Array.from({ length: n }, (_, i) => inf[i]! | (lungs[i]! << 1) | (cons[i]! << 2));
    return createVolume(data, dims, { spacingMm: [10, 10, 10], kind: 'display' });
  }

  it('restricts to the lungs, labels ground-glass/consolidation, keeps exact mL; minLesionMl and fillHoles in 3D', async () => {
    const v = phantom();
    const plain = await segmentVolume(new ScriptedSegmenter(), v);
    assert.deepEqual(plain.labelNames, ['background', 'ground-glass', 'consolidation']);
    // 100 − 5 cavity voxels + 3 + 2 (the 2 mL outside the lungs is removed by restriction).
    assert.equal(plain.burden.infectedVolumeMl, 100);
    assert.deepEqual(plain.burden.lesions.volumesMl, [95, 3, 2]);
    assert.deepEqual(plain.burden.subtypes, [{ label: 1, name: 'ground-glass', volumeMl: 75 }, { label: 2, name: 'consolidation', volumeMl: 25 }]);
    assert.equal(plain.classes.find((c) => c.name === 'consolidation')!.volumeMl, 25);
    assert.equal(plain.labels.reduce((a, l) => a + (l === 2 ? 1 : 0), 0), 25);

    const cleaned = await segmentVolume(new ScriptedSegmenter(), v, { postprocess: { minLesionMl: 3, fillHoles: true } });
    assert.deepEqual(cleaned.burden.lesions.volumesMl, [100, 3], 'the 5 mL cavity filled in 3D: 95 + 5; the 2 mL lesion removed; the 3 mL one kept (≥ 3)');
    const unrestricted = await segmentVolume(new ScriptedSegmenter(), v, { postprocess: { restrictToLungs: false, minLesionMl: 2.5, connectivity: 6 } });
    assert.deepEqual(unrestricted.burden.lesions.volumesMl, [95, 3]);
    assert.equal(unrestricted.burden.infectedInLungsMl, 98);
  });

  it('a volume stored RAS (x → Right, y → Anterior) is cut into the same radiological slices as its LPS twin, and results map back', async () => {
    const lps = phantom();
    const ras = createVolume(new Float32Array(n), dims, { affine: [[10, 0, 0, -230], [0, 10, 0, -150], [0, 0, 10, 0], [0, 0, 0, 1]], kind: 'display' });
    for (let z = 0; z < 8; z++) for (let y = 0; y < 16; y++) for (let x = 0; x < 24; x++) ras.data[23 - x + 24 * (15 - y + 16 * z)] = lps.data[x + 24 * (y + 16 * z)]!;
    const a = new ScriptedSegmenter(), b = new ScriptedSegmenter();
    const ra = await segmentVolume(a, lps, { sliceOrientation: 'radiological' });
    const rb = await segmentVolume(b, ras);
    assert.equal(rb.layout.codes, 'RAS');
    assert.deepEqual(b.seen, a.seen, 'same slices seen');
    for (let z = 0; z < 8; z++) for (let y = 0; y < 16; y++) for (let x = 0; x < 24; x++) {
      assert.equal(rb.labels[23 - x + 24 * (15 - y + 16 * z)], ra.labels[x + 24 * (y + 16 * z)]);
    }
    assert.deepEqual(rb.burden.perLung, ra.burden.perLung, 'same per-lung numbers');
    const stored = new ScriptedSegmenter();
    await segmentVolume(stored, ras, { sliceOrientation: 'stored' });
    assert.notDeepEqual(stored.seen, a.seen, "'stored' does not re-orient");
  });

  it('reports progress 1…total; cancellation rejects with CANCELLED (before start and mid-volume, also with several in flight)', async () => {
    const v = phantom();
    const progress: number[] = [];
    await segmentVolume(new ScriptedSegmenter(), v, { onProgress: (p) => progress.push(p.done) });
    assert.deepEqual(progress, [1, 2, 3, 4, 5, 6, 7, 8]);

    const pre = new AbortController();
    pre.abort();
    const idle = new ScriptedSegmenter();
    await rejectsWithCode(segmentVolume(idle, v, { signal: pre.signal }), 'CANCELLED', /cancelled/);
    assert.equal(idle.calls, 0);

    for (const lanes of [1, 3]) {
      const ac = new AbortController();
      const slow = new ScriptedSegmenter(20, lanes);
      const t0 = performance.now();
      await rejectsWithCode(segmentVolume(slow, v, { signal: ac.signal, onProgress: (p) => p.done === 2 && ac.abort() }), 'CANCELLED');
      assert.ok(slow.calls < 8, `stopped early (${slow.calls} slices started, ${lanes} lane(s))`);
      assert.ok(performance.now() - t0 < 1000);
    }
  });

  it('bad volumes and options are typed errors', async () => {
    const v = phantom();
    await rejectsWithCode(segmentVolume(new ScriptedSegmenter(), { ...v, data: new Float32Array(5) }), 'INVALID_INPUT', /5 values, dims 24×16×8 need 3072/);
    await rejectsWithCode(segmentVolume(new ScriptedSegmenter(), { ...v, spacingMm: [1, 0, 1] }), 'INVALID_INPUT', /spacingMm/);
    await rejectsWithCode(segmentVolume(new ScriptedSegmenter(), v, { postprocess: { connectivity: 8 as 6 } }), 'INVALID_OPTIONS', /connectivity/);
    await rejectsWithCode(segmentVolume(new ScriptedSegmenter(), v, { postprocess: { minLesionMl: -1 } }), 'INVALID_OPTIONS', /minLesionMl/);
    await rejectsWithCode(segmentVolume(new ScriptedSegmenter(), v, { infectionClass: 'tumour' }), 'INVALID_OPTIONS', /tumour/);
  });
});

// ---------------------------------------------------------------------------------------------
// Real slices, random weights: in-process Segmenter vs a pool of 2 worker_threads

const TINY: UNetConfig = { depth: 2, baseChannels: 4, inputSize: 64, inChannels: 1, outChannels: 4, upsampling: 'transpose' };

/** The stack as an int16 HU NIfTI (LPS-like display geometry, 0.7 × 0.7 × 5 mm), read back. */
async function stackVolume(stack: CtStack): Promise<{ bytes: Uint8Array; volume: Volume }> {
  const hu = Int16Array.from(stack.display, displayToHu);
  const dims: [number, number, number] = [stack.width, stack.height, stack.depth];
  const geometry = createVolume(new Float32Array(hu.length), dims, { spacingMm: [0.7, 0.7, 5], affine: [[-0.7, 0, 0, 89.3], [0, -0.7, 0, 120.5], [0, 0, 5, -210], [0, 0, 0, 1]] });
  const bytes = encodeNifti(hu, dims, { geometry, description: 'ma2020 stack' });
  return { bytes, volume: await readNifti(bytes, { name: 'stack.nii' }) };
}

describe('random weights: segmentVolume on real slices, in-process vs a pool of 2 worker_threads', () => {
  let stack: CtStack;
  let model: EncodedModel;
  let volume: Volume;
  let niftiBytes: Uint8Array;
  let segmenter: Segmenter;
  let pool: WorkerPool;
  const started: Worker[] = [];
  before(async () => {
    stack = await loadCtStack(8);
    ({ volume, bytes: niftiBytes } = await stackVolume(stack));
    model = await randomModel(TINY, CLASSES4, 21, 0.5);
    segmenter = await Segmenter.create({ model, backend: 'wasm' });
    pool = await createWorkerPool({
      model, backend: 'wasm', size: 2,
      createWorker: () => {
        const w = new Worker(WORKER_ENTRY);
        started.push(w);
        return w;
      },
    });
  });
  after(async () => {
    segmenter?.close();
    await pool?.close();
  });

  it('random weights: every slice of the volume equals Segmenter.segment on that slice (no 3D post-processing)', async () => {
    const r = await segmentVolume(segmenter, volume, { postprocess: { restrictToLungs: false }, keepProbabilities: 'all' });
    const layout = sliceLayout(volume);
    assert.equal(r.layout.codes, 'LPS');
    for (const s of [0, 5]) {
      const direct = await segmenter.segment({ data: extractSlice(volume.data, layout, s), width: layout.width, height: layout.height, kind: 'hu' }, { postprocess: { minRegionPixels: 0, fillHoles: false } });
      for (const [c, cls] of direct.classes.entries()) {
        const mine = r.classes[c]!;
        assert.deepEqual(extractSlice(mine.probabilities!, layout, s), cls.probabilities, `${cls.name} probabilities, slice ${s}`);
        if (cls.name === 'infection' || cls.name === 'lungs') assert.deepEqual(extractSlice(mine.mask, layout, s), cls.mask, `${cls.name} mask, slice ${s}`);
      }
    }
    const infected = r.infection.mask.reduce((a, b) => a + b, 0);
    assert.ok(infected > 0 && infected < r.labels.length, `random model gives a non-trivial mask (${infected} voxels)`);
  });

  it('random weights: a pool of 2 worker_threads gives the same labels, masks, probabilities and burden as the in-process Segmenter', async () => {
    const options = { postprocess: { minLesionMl: 0.05, fillHoles: true, connectivity: 26 as const } };
    const local = await segmentVolume(segmenter, volume, options);
    const progress: number[] = [];
    const remote = await segmentVolume(pool, volume, { ...options, onProgress: (p) => progress.push(p.done) });
    assert.equal(pool.size, 2);
    assert.equal(pool.concurrency, 4, "two slices queued per worker");
    assert.deepEqual(progress, Array.from({ length: stack.depth }, (_, i) => i + 1));
    assert.deepEqual(remote.labels, local.labels);
    for (let c = 0; c < 4; c++) assert.deepEqual(remote.classes[c]!.mask, local.classes[c]!.mask, local.classes[c]!.name);
    assert.deepEqual(remote.infection.probabilities, local.infection.probabilities);
    assert.deepEqual(remote.burden, local.burden);
  });

  it('random weights: a worker killed mid-volume is replaced and its slice retried; the result is unchanged', async () => {
    const reference = await segmentVolume(segmenter, volume);
    const before = started.length;
    let killed = false;
    const r = await segmentVolume(pool, volume, {
      onProgress: (p) => {
        if (p.done === 2 && !killed) {
          killed = true;
          void started[started.length - 1]!.terminate(); // busy with a later slice
        }
      },
    });
    assert.ok(killed);
    assert.equal(pool.restarts, 1);
    assert.equal(pool.size, 2);
    assert.equal(started.length, before + 1, 'one replacement worker');
    assert.deepEqual(r.labels, reference.labels);
    assert.deepEqual(r.burden, reference.burden);
  });

  it('bad volume files sent to a worker reject with DECODE and the workers stay usable', async () => {
    const truncated = niftiBytes.subarray(0, niftiBytes.length - 1000);
    await rejectsWithCode(pool.readVolume({ name: 'cut.nii', bytes: truncated }), 'DECODE', /cut\.nii: truncated/);
    const corrupt = await writeProbabilityNifti(await segmentVolume(segmenter, volume), { gzip: true });
    for (let i = 100; i < corrupt.length - 8; i += 31) corrupt[i]! ^= 0xa5;
    await rejectsWithCode(pool.readVolume({ name: 'bad.nii.gz', bytes: corrupt }), 'DECODE', /bad\.nii\.gz/);
    const ok = await pool.readVolume({ name: 'stack.nii', bytes: niftiBytes });
    assert.deepEqual(ok.data, volume.data, 'voxels come back from the worker');
    const r = await segmentVolume(pool, ok);
    assert.equal(r.labels.length, volume.data.length);
    assert.equal(pool.size, 2);
  });

  it('random weights: label and probability NIfTI keep the input geometry and re-read voxel by voxel (nifti-reader-js)', async () => {
    const r = await segmentVolume(segmenter, volume);
    const input = nifti.readHeader(niftiBytes.slice().buffer) as nifti.NIFTI1;
    for (const [bytes, kind] of [[await writeLabelNifti(r), 'labels'], [await writeProbabilityNifti(r), 'prob']] as const) {
      assert.equal(bytes[0], 0x1f, `${kind}: gzip`);
      const raw = nifti.decompress(bytes.slice().buffer) as ArrayBuffer;
      const h = nifti.readHeader(raw) as nifti.NIFTI1;
      assert.deepEqual(h.dims, input.dims, `${kind}: dims`);
      assert.deepEqual(h.pixDims, input.pixDims, `${kind}: pixdim`);
      for (const key of ['qform_code', 'sform_code', 'quatern_b', 'quatern_c', 'quatern_d', 'qoffset_x', 'qoffset_y', 'qoffset_z', 'xyzt_units'] as const) assert.equal(h[key], input[key], `${kind}: ${key}`);
      assert.deepEqual(h.affine, input.affine, `${kind}: sform`);
      assert.equal(h.vox_offset, 352);
      const image = nifti.readImage(h, raw);
      if (kind === 'labels') {
        assert.equal(h.intent_code, 1002);
        assert.equal(h.datatypeCode, 2);
        assert.match(h.description, /1=ground-glass 2=consolidation/);
        assert.deepEqual(new Uint8Array(image), r.labels);
        assert.ok(r.labels.some((l) => l === 1) && r.labels.some((l) => l === 2), 'both labels present');
      } else {
        assert.equal(h.datatypeCode, 16);
        assert.deepEqual(new Float32Array(image), r.infection.probabilities);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// CLI

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = resolve(import.meta.dirname, '../../trainer/bin/tvunet.js');
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

describe('tvunet segment on volumes (random weights)', () => {
  let work = '';
  let stack: CtStack;
  let modelDir = '';
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'tvunet-volume-cli-'));
    stack = await loadCtStack(6);
    modelDir = join(work, 'model');
    await saveModelToPath(modelDir, await randomModel(TINY, CLASSES4, 4, 0.5));
  });

  it('random weights: study.nii.gz → labels/prob NIfTI with the input geometry, overlays of the most infected slices, report.json with the burden', async () => {
    const { volume, bytes } = await stackVolume(stack);
    const { gzipSync } = await import('node:zlib');
    await writeFile(join(work, 'study.nii.gz'), gzipSync(bytes));
    const out = join(work, 'out-nifti');
    const r = await runCli(['segment', join(work, 'study.nii.gz'), '--out', out, '--model', modelDir, '--backend', 'wasm', '--min-lesion-ml', '0.01', '--workers', '2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /study: 256×256×6 voxels, infected .* mL = .* % of .* mL lung, severity \d\/5/);
    const files = await readdir(out);
    const overlays = files.filter((f) => f.endsWith('.overlay.png'));
    assert.ok(files.includes('study.labels.nii.gz') && files.includes('study.prob.nii.gz') && files.includes('report.json'), files.join(', '));
    assert.equal(overlays.length, 3);
    const labels = await readNifti(await readFile(join(out, 'study.labels.nii.gz')));
    assert.deepEqual(labels.dims, volume.dims);
    assert.deepEqual(labels.affine, volume.affine);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    const entry = report.volumes[0];
    assert.equal(entry.name, 'study');
    assert.equal(entry.timings.workers, 2);
    assert.deepEqual(entry.outputs.overlays, overlays.sort());
    const top = [...entry.burden.perSlice].sort((a, b) => b.infectedAreaMm2 - a.infectedAreaMm2).slice(0, 3).map((s) => s.index).sort((a, b) => a - b);
    assert.deepEqual(overlays.map((f) => Number(/slice-(\d+)/.exec(f)![1])), top, 'overlays of the 3 most infected slices');
    const infectedVoxels = labels.data.reduce((a, l) => a + (l > 0 ? 1 : 0), 0);
    assert.ok(Math.abs(entry.burden.infectedVolumeMl - infectedVoxels * entry.burden.voxelVolumeMl) < 1e-9);
    const png = PNG.sync.read(await readFile(join(out, overlays[0]!)));
    assert.deepEqual([png.width, png.height], [256, 256]);
  });

  it('random weights: a DICOM folder (shuffled .dcm names) gives the same labels as the same slices in NIfTI', async () => {
    const dir = join(work, 'dicomdir');
    await mkdir(dir);
    const { width: W, height: H, depth: D } = stack;
    const names = shuffled(Array.from({ length: D }, (_, k) => k), 5);
    for (let k = 0; k < D; k++) {
      const pixels = Int16Array.from(stack.display.subarray(k * W * H, (k + 1) * W * H), (v) => displayToHu(v) + 1024);
      const bytes = dicomSlice({ rows: H, columns: W, pixels, intercept: -1024, position: [-89.3, -120.5, -210 + 5 * k], pixelSpacing: [0.7, 0.7], sopUid: `2.25.9${k}` });
      await writeFile(join(dir, `IM${String(names[k]).padStart(4, '0')}.dcm`), bytes);
    }
    const out = join(work, 'out-dicom');
    const r = await runCli(['segment', dir, '--out', out, '--model', modelDir, '--backend', 'wasm', '--min-lesion-ml', '0.01', '--overlays', '1']);
    assert.equal(r.code, 0, r.stderr);
    const labels = await readNifti(await readFile(join(out, 'dicomdir.labels.nii.gz')));
    const reference = await readNifti(await readFile(join(work, 'out-nifti', 'study.labels.nii.gz')));
    assert.deepEqual(labels.dims, reference.dims);
    assert.deepEqual(labels.data, reference.data, 'same labels from DICOM and NIfTI');
    for (let r0 = 0; r0 < 3; r0++) for (let c = 0; c < 4; c++) assert.ok(Math.abs(labels.affine[r0]![c]! - reference.affine[r0]![c]!) < 1e-4, `affine[${r0}][${c}]`);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    assert.equal(report.volumes[0].source.format, 'dicom');
    const { availableParallelism } = await import('node:os');
    assert.equal(report.volumes[0].timings.workers, Math.min(8, availableParallelism()), 'without --workers: one worker thread per core');
    assert.ok(!JSON.stringify(report).includes('Phantom'), 'no patient name in the report');
  });
});
