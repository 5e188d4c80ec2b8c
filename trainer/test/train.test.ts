/**
 * Real (short) training runs on real CT slices, tiny models: the loss falls, the export loads in
 * the library and segments, resume reproduces an uninterrupted run, checkpoints are atomic and
 * integrity-checked, and a SIGKILLed CLI run continues from its last checkpoint.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type { UNetConfig } from '../../src/model/config.js';
import { unetProbabilities } from '../../src/model/unet.js';
import { standardizeInPlace } from '../../src/preprocess/normalize.js';
import { Segmenter } from '../../src/segmenter/segmenter.js';
import { initNodeBackend } from '../src/backends/node-backend.js';
import { DEFAULT_AUGMENT } from '../src/data/augment.js';
import { pairedSamples, type SampleRef } from '../src/data/datasets.js';
import { SliceCache } from '../src/data/slices.js';
import { encodePng, readImageFile } from '../src/io/image-files.js';
import { loadCheckpoint, loadTensors, saveCheckpoint, saveTensors, type NamedArray } from '../src/training/checkpoint.js';
import { exportModel, namedWeightsToTensors, THRESHOLD_CANDIDATES } from '../src/training/export.js';
import { createOptimizer, OPTIMIZERS, setLearningRate } from '../src/training/optimizers.js';
import { train, type TrainOptions } from '../src/training/train-loop.js';
import { CLI, doctorSlices, REPO, runCli, tempDir } from './helpers.js';

const CLASSES = ['infection'];
const CONFIG: UNetConfig = { depth: 2, baseChannels: 4, inputSize: 64, inChannels: 1, outChannels: 1, upsampling: 'transpose' };

let samples: SampleRef[] = [];
let slices: Awaited<ReturnType<typeof doctorSlices>>;

function options(outDir: string, over: Partial<TrainOptions> = {}): TrainOptions {
  return {
    outDir, config: CONFIG, classes: CLASSES, loss: 'bce+tv', tvLambda: 0.1, optimizer: 'adam', lr: 3e-3,
    batchSize: 2, epochs: 4, stepsPerEpoch: 10, seed: 11, lrPatience: 100, lrDecay: 0.5, earlyStopPatience: 100,
    augment: null, sourceWeights: { [samples[0]!.source]: 1 }, resume: false, init: null, ...over,
  };
}

const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
const epochsOf = async (dir: string) => (await readFile(join(dir, 'log.jsonl'), 'utf8')).trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { epoch: number }).epoch);

function maxAbsDiff(a: NamedArray[], b: NamedArray[]): number {
  assert.deepEqual(a.map((t) => t.name), b.map((t) => t.name));
  let d = 0;
  a.forEach((t, i) => {
    assert.deepEqual(t.shape, b[i]!.shape, t.name);
    for (let k = 0; k < t.data.length; k++) d = Math.max(d, Math.abs(t.data[k]! - b[i]!.data[k]!));
  });
  return d;
}

async function flipByte(path: string, at: number): Promise<void> {
  const bytes = await readFile(path);
  bytes[at % bytes.length]! ^= 0x40;
  await writeFile(path, bytes);
}

describe('training on real slices', () => {
  let overfitDir = '';
  const stepLosses: number[] = [];

  before(async () => {
    await initNodeBackend('wasm');
    slices = await doctorSlices(4);
    samples = await pairedSamples(slices.images, slices.masks);
    console.log(`# training slices: ${samples.map((s) => s.id).join(', ')} (${slices.real ? 'shared data' : 'fixtures'})`);
  });

  it('overfits a handful of real slices (4 doctor-labelled; the 3 fixtures without shared data) without augmentation: the loss falls over 40 steps', async () => {
    overfitDir = await tempDir('overfit');
    const result = await train({ train: samples, validation: [], test: [] }, options(overfitDir, { lr: 1e-2, onProgress: (p) => stepLosses.push(p.loss) }));
    assert.equal(result.steps, 40);
    assert.equal(stepLosses.length, 40);
    const first = mean(stepLosses.slice(0, 8)), last = mean(stepLosses.slice(-8));
    console.log(`# overfit: mean loss of steps 1-8 ${first.toFixed(4)}, of steps 33-40 ${last.toFixed(4)}; ${result.secondsPerStep.toFixed(3)} s/step`);
    assert.ok(last < 0.7 * first, `loss fell from ${first} to ${last}`);
    assert.deepEqual(await epochsOf(overfitDir), [1, 2, 3, 4]);
    const summary = JSON.parse(await readFile(join(overfitDir, 'train-summary.json'), 'utf8'));
    assert.equal(summary.epochs, 4);
    assert.equal(summary.steps, 40);
    assert.equal(tf.memory().numTensors, 0, 'train() disposes its variables, optimiser and batches');
  });

  it('exports float32/float16/uint8 models that load in Segmenter (wasm) and segment a real image', async () => {
    const best = await loadTensors(overfitDir, 'best');
    const weights = new Map(best.tensors.map((t) => [t.name, { shape: t.shape, data: t.data }]));
    const dir = join(overfitDir, 'model');
    const exported = await exportModel({
      dir, name: 'tiny-test', config: CONFIG, classes: CLASSES, weights, validation: samples,
      cache: new SliceCache(CONFIG.inputSize, CLASSES), provenance: { test: true },
    });
    const v = exported.validation[0]!;
    assert.equal(v.n, samples.length);
    assert.ok(THRESHOLD_CANDIDATES.includes(v.threshold));
    console.log(`# export: threshold ${v.threshold}, Dice on the ${v.n} training slices ${v.sourceBalancedDice.toFixed(3)}; bytes ${JSON.stringify(exported.variantBytes)}`);
    assert.ok(v.sourceBalancedDice > 0.2, `the overfitted model finds infection (Dice ${v.sourceBalancedDice})`);
    assert.ok(exported.variantBytes.uint8! < exported.variantBytes.float16! && exported.variantBytes.float16! < exported.variantBytes.float32!);

    const image = await readImageFile(samples[0]!.image);
    const cached = await new SliceCache(CONFIG.inputSize, CLASSES).load(samples[0]!);
    // Reference: the best weights applied directly to the model-size slice.
    const ref = tf.tidy(() => {
      const w = namedWeightsToTensors(weights);
      const x = tf.tensor4d(standardizeInPlace(Float32Array.from(cached.image)), [1, CONFIG.inputSize, CONFIG.inputSize, 1]);
      return unetProbabilities(w, x, CONFIG).dataSync() as Float32Array;
    });
    const f32Probs: Float32Array[] = [];
    for (const dtype of ['float32', 'float16', 'uint8'] as const) {
      const seg = await Segmenter.create({ model: join(dir, dtype), backend: 'wasm' });
      try {
        assert.equal(seg.backend.backend, 'wasm');
        assert.equal(seg.manifest.dtype, dtype);
        assert.deepEqual(seg.manifest.architecture, CONFIG);
        assert.equal(seg.manifest.classes[0]!.threshold, v.threshold);
        const r = await seg.segment({ data: image.gray, width: image.width, height: image.height, kind: 'display' });
        assert.equal(r.width, image.width);
        assert.equal(r.height, image.height);
        const c = r.classes[0]!;
        assert.equal(c.mask.length, image.width * image.height);
        assert.ok(c.mask.every((m) => m === 0 || m === 1));
        assert.ok(c.probabilities.every((p) => p >= 0 && p <= 1));
        const fg = c.mask.reduce((a, b) => a + b, 0);
        assert.ok(fg > 0 && fg < c.mask.length, `a real segmentation, neither empty nor full (${fg} px)`);
        const small = await seg.segment({ data: cached.image, width: CONFIG.inputSize, height: CONFIG.inputSize, kind: 'display' });
        const probs = small.classes[0]!.probabilities;
        if (dtype === 'float32') {
          let d = 0;
          for (let i = 0; i < ref.length; i++) d = Math.max(d, Math.abs(probs[i]! - ref[i]!));
          assert.ok(d <= 1e-5, `exported float32 model equals the trained weights (max diff ${d})`);
          f32Probs.push(probs);
        } else {
          let d = 0;
          for (let i = 0; i < probs.length; i++) d = Math.max(d, Math.abs(probs[i]! - f32Probs[0]![i]!));
          console.log(`# ${dtype} vs float32 probabilities: max diff ${d.toExponential(2)}`);
          assert.ok(d <= (dtype === 'float16' ? 5e-3 : 0.1), `${dtype} close to float32 (max diff ${d})`);
        }
      } finally {
        seg.close();
      }
    }
  });

  it('checkpoints are atomic: no .tmp left, one data file each, and corrupted data is refused by sha256 (INTEGRITY)', async () => {
    const files = await readdir(overfitDir);
    assert.deepEqual(files.filter((f) => f.includes('.tmp')), [], 'no temporary files after successful saves');
    const ckptJson = JSON.parse(await readFile(join(overfitDir, 'checkpoint.json'), 'utf8'));
    assert.deepEqual(files.filter((f) => /^ckpt-.*\.bin$/.test(f)), [ckptJson.dataFile], 'only the referenced checkpoint data file is kept');
    const bestJson = JSON.parse(await readFile(join(overfitDir, 'best.json'), 'utf8'));
    assert.deepEqual(files.filter((f) => /^best.*\.bin$/.test(f)), [bestJson.dataFile], 'only the referenced best-weights data file is kept');
    assert.equal(ckptJson.state.loop.epoch, 4);

    const dir = await tempDir('corrupt');
    await cp(overfitDir, dir, { recursive: true });
    const good = await loadCheckpoint<{ loop: { epoch: number } }>(dir);
    assert.equal(good!.state.loop.epoch, 4);
    await flipByte(join(dir, ckptJson.dataFile), 1000);
    await assert.rejects(loadCheckpoint(dir), (e: Error & { code?: string }) => e.code === 'INTEGRITY' && e.message.includes('sha256'));
    await assert.rejects(train({ train: samples, validation: [], test: [] }, options(dir, { resume: true, epochs: 5 })), (e: Error & { code?: string }) => e.code === 'INTEGRITY');
    assert.equal(tf.memory().numTensors, 0, 'a refused resume leaks no tensors');
    await flipByte(join(dir, bestJson.dataFile), 7);
    await assert.rejects(loadTensors(dir, 'best'), (e: Error & { code?: string }) => e.code === 'INTEGRITY');
    const bin = await readFile(join(overfitDir, ckptJson.dataFile));
    await writeFile(join(dir, ckptJson.dataFile), bin.subarray(0, bin.length - 4)); // truncated
    await assert.rejects(loadCheckpoint(dir), (e: Error & { code?: string }) => e.code === 'INTEGRITY');
  });

  it('saveCheckpoint/saveTensors replace the previous save; leftovers of a killed writer do not matter', async () => {
    const dir = await tempDir('ckpt');
    const t = (v: number): NamedArray[] => [{ name: 'a', shape: [2], data: Float32Array.of(v, -v) }, { name: 'b', shape: [1, 1], data: Float32Array.of(v * 10) }];
    await saveCheckpoint(dir, 'ckpt-000001', { epoch: 1 }, t(1));
    await saveTensors(dir, 'best', t(1), { epoch: 1 });
    // What a kill in the middle of the next saves leaves behind: data written, index not renamed.
    await writeFile(join(dir, 'ckpt-000002.bin.tmp'), 'partial');
    await writeFile(join(dir, 'checkpoint.json.tmp'), '{"trunc');
    await writeFile(join(dir, 'best.json.tmp'), '{');
    let c = await loadCheckpoint<{ epoch: number }>(dir);
    assert.equal(c!.state.epoch, 1);
    assert.deepEqual([...c!.tensors[0]!.data], [1, -1]);
    assert.deepEqual([...(await loadTensors(dir, 'best')).tensors[1]!.data], [10]);
    await saveCheckpoint(dir, 'ckpt-000002', { epoch: 2 }, t(2));
    await saveTensors(dir, 'best', t(2), { epoch: 2 });
    c = await loadCheckpoint<{ epoch: number }>(dir);
    assert.equal(c!.state.epoch, 2);
    assert.deepEqual([...c!.tensors[0]!.data], [2, -2]);
    const best = await loadTensors(dir, 'best');
    assert.deepEqual(best.meta, { epoch: 2 });
    assert.deepEqual([...best.tensors[1]!.data], [20]);
    const files = (await readdir(dir)).filter((f) => f.endsWith('.bin'));
    assert.equal(files.filter((f) => f.startsWith('ckpt-')).length, 1, `old checkpoint data removed: ${files.join(', ')}`);
    assert.equal(files.filter((f) => f.startsWith('best')).length, 1, `old best data removed: ${files.join(', ')}`);
    // A best.json written before data files were named by hash (best.bin) still loads.
    const legacy = await tempDir('legacy');
    const raw = new Uint8Array(Float32Array.of(5, 6).buffer);
    const { createHash } = await import('node:crypto');
    await writeFile(join(legacy, 'best.bin'), raw);
    await writeFile(join(legacy, 'best.json'), JSON.stringify({ meta: {}, sha256: createHash('sha256').update(raw).digest('hex'), tensors: [{ name: 'x', shape: [2], offset: 0, length: 2 }] }));
    assert.deepEqual([...(await loadTensors(legacy, 'best')).tensors[0]!.data], [5, 6]);
  });

  it('a full disk (writes to /dev/full: ENOSPC) is a WRITE error and never replaces the last good checkpoint or best weights', async () => {
    const dir = await tempDir('full-disk');
    const t = (v: number): NamedArray[] => [{ name: 'a', shape: [3], data: Float32Array.of(v, v + 1, v + 2) }];
    await saveCheckpoint(dir, 'ckpt-000001', { epoch: 1 }, t(1));
    await saveTensors(dir, 'best', t(1), { epoch: 1 });
    const full = async (name: string) => symlink('/dev/full', join(dir, name));
    // The next data file, then the next index, each made to land on a full disk.
    await full('ckpt-000002.bin.tmp');
    await assert.rejects(saveCheckpoint(dir, 'ckpt-000002', { epoch: 2 }, t(2)), (e: Error & { code?: string }) => e.code === 'WRITE' && /checkpoint\.json .*\(ENOSPC\); the previous one is kept/.test(e.message));
    await rm(join(dir, 'ckpt-000002.bin.tmp'));
    await full('checkpoint.json.tmp');
    await assert.rejects(saveCheckpoint(dir, 'ckpt-000002', { epoch: 2 }, t(2)), (e: Error & { code?: string }) => e.code === 'WRITE' && e.message.includes('ENOSPC'));
    const kept = await loadCheckpoint<{ epoch: number }>(dir);
    assert.equal(kept!.state.epoch, 1, 'checkpoint.json still names epoch 1');
    assert.deepEqual([...kept!.tensors[0]!.data], [1, 2, 3], 'and its data file is intact (sha256 checked on load)');
    await full('best.json.tmp');
    await assert.rejects(saveTensors(dir, 'best', t(2), { epoch: 2 }), (e: Error & { code?: string }) => e.code === 'WRITE' && e.message.includes('ENOSPC'));
    assert.deepEqual([...(await loadTensors(dir, 'best')).tensors[0]!.data], [1, 2, 3], 'best weights unchanged');
    // Space again: the next saves succeed and clean up.
    for (const f of await readdir(dir)) if (f.endsWith('.tmp')) await rm(join(dir, f));
    await saveCheckpoint(dir, 'ckpt-000002', { epoch: 2 }, t(2));
    assert.equal((await loadCheckpoint<{ epoch: number }>(dir))!.state.epoch, 2);
  });

  it('the learning-rate schedule reaches every optimiser (sgd, adam, adagrad, adadelta)', () => {
    for (const name of OPTIMIZERS) {
      const step = (lr: number, setTo?: number) => {
        const init = tf.tensor1d([1, -2, 3]);
        const v = tf.variable(init, true, `lr-test-${name}-${lr}-${setTo ?? 'none'}`);
        init.dispose();
        const opt = createOptimizer(name, lr);
        if (setTo !== undefined) setLearningRate(opt, setTo);
        for (let i = 0; i < 2; i++) opt.minimize(() => tf.sum(tf.square(v)) as tf.Scalar);
        const out = Array.from(v.dataSync());
        opt.dispose();
        v.dispose();
        return out;
      };
      const direct = step(0.01);
      const decayed = step(0.1, 0.01);
      const undecayed = step(0.1);
      assert.deepEqual(decayed, direct, `${name}: lr 0.1 set to 0.01 steps as lr 0.01`);
      assert.notDeepEqual(undecayed, direct, `${name}: the learning rate matters`);
    }
  });

  it('resume reproduces an uninterrupted run: optimiser state, data order (augmentation on) and LR schedule restored', async () => {
    // Validation on a real slice whose mask is all infection: as the model learns (mostly
    // background), that loss only grows, so with patience 1 the schedule halves the learning rate
    // after epochs 2 and 3, and the part after the interruption must know it.
    const img = await readImageFile(samples[0]!.image);
    const fullMask = join(await tempDir('fullmask'), 'full.png');
    await writeFile(fullMask, encodePng(img.width, img.height, new Uint8Array(img.width * img.height * 4).fill(255)));
    const stalling: SampleRef = { id: 'all-infection', group: 'all-infection', source: samples[0]!.source, image: samples[0]!.image, labels: { infection: { path: fullMask, encoding: { kind: 'binary' } } } };
    const split = { train: samples.slice(0, -1), validation: [stalling], test: [] };
    const o = { augment: DEFAULT_AUGMENT, lr: 3e-3, lrPatience: 1, stepsPerEpoch: 3, epochs: 4, seed: 5 };
    const straight = await tempDir('straight');
    await train(split, options(straight, o));
    const parted = await tempDir('parted');
    await train(split, options(parted, { ...o, epochs: 2 }));
    assert.equal(tf.memory().numTensors, 0);
    // Copies of the interrupted run whose saved RNG state or learning rate is altered (the JSON
    // part is not hashed): resuming them must give other weights, so the state is really used.
    const tampered: Record<string, string> = {};
    for (const key of ['rng', 'lr'] as const) {
      tampered[key] = await tempDir(`tampered-${key}`);
      await cp(parted, tampered[key]!, { recursive: true });
      const file = join(tampered[key]!, 'checkpoint.json');
      const json = JSON.parse(await readFile(file, 'utf8'));
      json.state.loop[key] = key === 'rng' ? (json.state.loop.rng + 1) >>> 0 : json.state.loop.lr * 4;
      await writeFile(file, JSON.stringify(json));
    }
    // What a kill after an epoch's log line but before its checkpoint leaves: one line too many.
    const logLines = (await readFile(join(parted, 'log.jsonl'), 'utf8')).trim().split('\n');
    await writeFile(join(parted, 'log.jsonl'), [...logLines, logLines[1]!.replace('"epoch":2', '"epoch":3')].join('\n') + '\n');
    await train(split, options(parted, { ...o, resume: true }));
    assert.equal(tf.memory().numTensors, 0, 'a resumed run frees what it restored');
    const a = (await loadCheckpoint<{ loop: Record<string, number>; logs: Array<{ lr: number; seconds: number }> }>(straight))!;
    const b = (await loadCheckpoint<{ loop: Record<string, number>; logs: Array<{ lr: number; seconds: number }> }>(parted))!;
    const lrs = a.state.logs.map((l) => l.lr);
    console.log(`# resume: learning rate per epoch ${lrs.join(', ')}; loop state ${JSON.stringify(a.state.loop)}`);
    assert.ok(lrs[2]! < lrs[0]! && lrs[3]! < lrs[2]!, `precondition: the learning rate decayed before epochs 3 and 4 (${lrs.join(', ')})`);
    assert.deepEqual(b.state.loop, a.state.loop, 'same epoch, step, rng state, lr, best loss and counters');
    const strip = (logs: Array<{ seconds: number }>) => logs.map((l) => ({ ...l, seconds: 0 }));
    assert.deepEqual(strip(b.state.logs), strip(a.state.logs), 'same per-epoch losses and counts');
    const dModel = maxAbsDiff(b.tensors, a.tensors);
    console.log(`# resume: max |difference| of model and optimiser tensors after 4 epochs: ${dModel}`);
    assert.ok(dModel <= 1e-6, `weights and optimiser slots agree (max diff ${dModel})`);
    const bestA = await loadTensors(straight, 'best'), bestB = await loadTensors(parted, 'best');
    assert.deepEqual(bestB.meta, bestA.meta);
    assert.ok(maxAbsDiff(bestB.tensors, bestA.tensors) <= 1e-6);
    assert.deepEqual(await epochsOf(parted), [1, 2, 3, 4]);
    const model = (t: NamedArray[]) => t.filter((x) => x.name.startsWith('model/'));
    for (const [key, dir] of Object.entries(tampered)) {
      await train(split, options(dir, { ...o, resume: true }));
      const c = (await loadCheckpoint<{ loop: Record<string, number> }>(dir))!;
      const d = maxAbsDiff(model(c.tensors), model(a.tensors));
      assert.ok(d > 1e-4, `resuming with another saved ${key} changes the result (max diff ${d})`);
    }
  });

  it('a SIGKILLed `tvunet train` resumes from its last checkpoint with --resume (CLI, real kill -9)', async () => {
    const out = await tempDir('sigkill');
    const args = [
      CLI, 'train', '--data', `pairs:${slices.images},masks=${slices.masks}`, '--out', out, '--classes', 'infection',
      '--size', '32', '--base', '4', '--depth', '2', '--batch-size', '2', '--steps-per-epoch', '2', '--val-fraction', '0.3',
      '--lr-patience', '100000', '--early-stop', '100000', '--backend', 'wasm', '--seed', '3',
    ];
    const child = spawn(process.execPath, [...args, '--epochs', '100000'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
    const deadline = Date.now() + 90_000;
    let epochAtKill = 0;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 150));
      if (child.exitCode !== null) break;
      try {
        epochAtKill = JSON.parse(await readFile(join(out, 'checkpoint.json'), 'utf8')).state.loop.epoch;
      } catch { /* not there yet, or being replaced */ }
      if (epochAtKill >= 3) break;
    }
    assert.ok(epochAtKill >= 3, `training reached a checkpoint before the deadline (stderr: ${stderr})`);
    child.kill('SIGKILL');
    const end = await exited;
    assert.equal(end.signal, 'SIGKILL', 'the run was killed, not finished');
    const saved = JSON.parse(await readFile(join(out, 'checkpoint.json'), 'utf8')).state.loop.epoch as number;
    assert.ok(saved >= epochAtKill);
    const before = await epochsOf(out);
    // The log may hold the epoch that was being checkpointed when the kill came, never more.
    assert.ok(before.length === saved || before.length === saved + 1, `log has ${before.length} epochs, checkpoint ${saved}`);

    const resumed = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolveRun) => {
      const c = spawn(process.execPath, [...args, '--epochs', String(saved + 2), '--resume'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
      let so = '', se = '';
      c.stdout.on('data', (d: Buffer) => { so += d.toString(); });
      c.stderr.on('data', (d: Buffer) => { se += d.toString(); });
      c.on('close', (code) => resolveRun({ code, stdout: so, stderr: se }));
    });
    assert.equal(resumed.code, 0, resumed.stderr);
    const epochs = await epochsOf(out);
    assert.deepEqual(epochs, Array.from({ length: saved + 2 }, (_, i) => i + 1), 'epochs 1…K+2 once each, strictly increasing');
    const ckpt = JSON.parse(await readFile(join(out, 'checkpoint.json'), 'utf8'));
    assert.equal(ckpt.state.loop.epoch, saved + 2);
    assert.equal(ckpt.state.loop.step, 2 * (saved + 2), 'steps continue from the checkpoint, none lost or repeated');
    assert.match(resumed.stdout, new RegExp(`trained ${2 * (saved + 2)} steps`));
    for (const dtype of ['float32', 'float16', 'uint8']) assert.ok(existsSync(join(out, 'model', dtype, 'model.json')), `exported ${dtype}`);
    const seg = await Segmenter.create({ model: join(out, 'model', 'uint8'), backend: 'wasm' });
    try {
      const img = await readImageFile(samples[0]!.image);
      const r = await seg.segment({ data: img.gray, width: img.width, height: img.height, kind: 'display' });
      assert.equal(r.classes[0]!.mask.length, img.width * img.height);
      assert.equal((seg.manifest.provenance as { training: { epochs: number } }).training.epochs, saved + 2);
    } finally {
      seg.close();
    }
    assert.deepEqual((await readdir(out)).filter((f) => f.endsWith('.tmp')), [], 'no temporaries left after the resumed run');
  });

  it('`tvunet train` on a full disk stops with one line naming ENOSPC [WRITE]; its last checkpoint stays and resumes (CLI)', async () => {
    const out = await tempDir('full-disk-cli');
    const args = [
      CLI, 'train', '--data', `pairs:${slices.images},masks=${slices.masks}`, '--out', out, '--classes', 'infection',
      '--size', '32', '--base', '4', '--depth', '2', '--batch-size', '2', '--steps-per-epoch', '2', '--val-fraction', '0.3',
      '--backend', 'wasm', '--seed', '3',
    ];
    const run = (extra: string[]) => runCli([...args.slice(1), ...extra]);
    assert.equal((await run(['--epochs', '1'])).code, 0);
    await symlink('/dev/full', join(out, 'ckpt-000002.bin.tmp')); // epoch 2's checkpoint lands on a full disk
    const full = await run(['--epochs', '2', '--resume']);
    assert.notEqual(full.code, 0);
    const lines = full.stderr.trimEnd().split('\n').filter((l) => l.startsWith('tvunet: '));
    assert.equal(lines.length, 1, full.stderr);
    assert.match(lines[0]!, /^tvunet: cannot write checkpoint\.json in .*full-disk-cli.* \(ENOSPC\); the previous one is kept \[WRITE\]$/);
    assert.equal(JSON.parse(await readFile(join(out, 'checkpoint.json'), 'utf8')).state.loop.epoch, 1, 'epoch 1 checkpoint kept');
    await rm(join(out, 'ckpt-000002.bin.tmp'));
    const resumed = await run(['--epochs', '2', '--resume']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(JSON.parse(await readFile(join(out, 'checkpoint.json'), 'utf8')).state.loop.epoch, 2);
  });
});
