/**
 * The `tvunet` CLI as users run it (a child process): help, one-line errors, `segment` outputs and
 * `eval` numbers recomputed by brute force from the same model run in-process. The model here
 * has seeded random weights (not trained): these tests check plumbing and arithmetic, not skill.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import type { UNetConfig } from '../../src/model/config.js';
import { Segmenter } from '../../src/segmenter/segmenter.js';
import { initNodeBackend } from '../src/backends/node-backend.js';
import { CLASS_NAMES } from '../src/data/datasets.js';
import { readImageFile } from '../src/io/image-files.js';
import { FIX, runCli, tempDir, writeRandomModel, type CliResult } from './helpers.js';

const CONFIG: UNetConfig = { depth: 2, baseChannels: 4, inputSize: 32, inChannels: 1, outChannels: 4, upsampling: 'transpose' };
let modelDir = '';
let work = '';

function readPng(bytes: Buffer) {
  const png = PNG.sync.read(bytes);
  return { width: png.width, height: png.height, data: new Uint8Array(png.data) };
}

/** Exit code non-zero, exactly one stderr line, "tvunet: …" matching `what`. */
function assertOneLineError(r: CliResult, what: RegExp): void {
  assert.notEqual(r.code, 0, `exit code (stdout: ${r.stdout})`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one stderr line, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^tvunet: /);
  assert.match(lines[0]!, what);
}

/** Probabilities of every class for the fixture images, from the model run in this process. */
async function inProcess(images: string[], threshold?: number) {
  const seg = await Segmenter.create({ model: modelDir, backend: 'wasm' });
  try {
    const out = [];
    for (const path of images) {
      const img = await readImageFile(path);
      const r = await seg.segment({ data: img.gray, width: img.width, height: img.height, kind: 'display' }, threshold === undefined ? {} : { threshold });
      out.push({ path, img, result: r });
    }
    return out;
  } finally {
    seg.close();
  }
}

const median = (xs: Float32Array[]) => {
  const all = Float64Array.from(xs.flatMap((x) => Array.from(x))).sort();
  return all[Math.floor(all.length / 2)]!;
};

before(async () => {
  await initNodeBackend('wasm');
  work = await tempDir('cli');
  modelDir = await writeRandomModel(join(work, 'random-model'), CONFIG, [...CLASS_NAMES], { seed: 5, threshold: 0.5 });
});

describe('tvunet help', () => {
  for (const cmd of ['train', 'eval', 'segment']) {
    it(`tvunet ${cmd} --help prints its usage and exits 0`, async () => {
      const r = await runCli([cmd, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^tvunet ${cmd} `));
      assert.match(r.stdout, /Options:/);
      assert.equal(r.stderr, '');
    });
  }

  it('tvunet --help lists the commands (exit 0); no command at all prints it and fails', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    for (const c of ['segment', 'eval', 'train']) assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'));
    const none = await runCli([]);
    assert.notEqual(none.code, 0);
    assert.match(none.stdout, /Commands:/);
  });
});

describe('tvunet errors: non-zero exit, one line "tvunet: …" naming the problem', () => {
  let bad = '';
  before(async () => {
    bad = await tempDir('bad-inputs');
    const jpg = await readFile(join(FIX.semisegImgs, '3.jpg'));
    const png = await readFile(join(FIX.semisegGT, '3.png'));
    await writeFile(join(bad, 'truncated.jpg'), jpg.subarray(0, Math.floor(jpg.length * 0.6)));
    const flippedJpg = Buffer.from(jpg);
    for (let i = 600; i < flippedJpg.length - 10; i += 97) flippedJpg[i]! ^= 0x5a;
    await writeFile(join(bad, 'bitflip.jpg'), flippedJpg);
    await writeFile(join(bad, 'truncated.png'), png.subarray(0, Math.floor(png.length * 0.6)));
    const flippedPng = Buffer.from(png);
    flippedPng[Math.floor(flippedPng.length / 2)]! ^= 0xff;
    await writeFile(join(bad, 'bitflip.png'), flippedPng);
    await writeFile(join(bad, 'notes.txt'), 'not an image');
    // Unpaired: three images, masks for two.
    await mkdir(join(bad, 'imgs'));
    await mkdir(join(bad, 'masks'));
    for (const id of FIX.semisegIds) await copyFile(join(FIX.semisegImgs, `${id}.jpg`), join(bad, 'imgs', `${id}.jpg`));
    for (const id of FIX.semisegIds.slice(0, 2)) await copyFile(join(FIX.semisegGT, `${id}.png`), join(bad, 'masks', `${id}.png`));
  });

  const img = () => join(FIX.semisegImgs, '3.jpg');
  const out = () => join(work, 'err-out');
  const cases: Array<[string, () => string[], RegExp]> = [
    ['unknown command', () => ['frobnicate'], /unknown command "frobnicate"/],
    ['unknown option', () => ['segment', img(), '--out', out(), '--bogus'], /--bogus/],
    ['option without its value', () => ['segment', img(), '--out'], /--out/],
    ['missing input file or folder', () => ['segment', join(work, 'no-such-folder'), '--out', out(), '--model', modelDir], /no-such-folder: no such file or folder/],
    ['missing image folder for eval', () => ['eval', '--images', join(work, 'nope-imgs'), '--masks', FIX.semisegGT, '--out', out(), '--model', modelDir], /nope-imgs: folder not found/],
    ['missing data folder for train', () => ['train', '--data', `semiseg:${join(work, 'nope-data')}`, '--out', out()], /nope-data.*(not found|unreadable)/],
    ['unpaired files (image without mask)', () => ['eval', '--images', join(bad, 'imgs'), '--masks', join(bad, 'masks'), '--out', out(), '--model', modelDir], /1 image\(s\) without a mask.*32\.jpg/],
    ['not an image', () => ['segment', join(bad, 'notes.txt'), '--out', out(), '--model', modelDir], /notes\.txt: not a PNG or JPG/],
    ['truncated JPG', () => ['segment', join(bad, 'truncated.jpg'), '--out', out(), '--model', modelDir, '--backend', 'wasm'], /truncated\.jpg: not a readable JPG.*\[DECODE\]/],
    ['bit-flipped JPG', () => ['segment', join(bad, 'bitflip.jpg'), '--out', out(), '--model', modelDir, '--backend', 'wasm'], /bitflip\.jpg: not a readable JPG.*\[DECODE\]/],
    ['truncated PNG', () => ['segment', join(bad, 'truncated.png'), '--out', out(), '--model', modelDir, '--backend', 'wasm'], /truncated\.png: not a readable PNG.*\[DECODE\]/],
    ['bit-flipped PNG', () => ['segment', join(bad, 'bitflip.png'), '--out', out(), '--model', modelDir, '--backend', 'wasm'], /bitflip\.png: not a readable PNG.*\[DECODE\]/],
    ['missing --out (segment)', () => ['segment', img(), '--model', modelDir], /segment needs --out/],
    ['missing --out (eval)', () => ['eval', '--images', FIX.semisegImgs, '--masks', FIX.semisegGT], /eval needs --images DIR --masks DIR --out DIR/],
    ['missing --out (train)', () => ['train', '--data', `pairs:${FIX.semisegImgs},masks=${FIX.semisegGT}`], /train needs --out/],
    ['threshold above 1', () => ['segment', img(), '--out', out(), '--model', modelDir, '--threshold', '1.5'], /--threshold: invalid value "1\.5"/],
    ['threshold not a number', () => ['eval', '--images', FIX.semisegImgs, '--masks', FIX.semisegGT, '--out', out(), '--model', modelDir, '--threshold', 'abc', '--backend', 'wasm'], /--threshold: invalid value "abc"/],
    ['--backend tensorflow without tfjs-node', () => ['segment', img(), '--out', out(), '--model', modelDir, '--backend', 'tensorflow'], /@tensorflow\/tfjs-node.*not installed|not installed.*@tensorflow\/tfjs-node/],
    ['unknown backend', () => ['segment', img(), '--out', out(), '--model', modelDir, '--backend', 'cuda'], /--backend: "cuda" is not one of/],
    ['missing model', () => ['segment', img(), '--out', out(), '--model', join(work, 'no-model')], /--model .*no-model: not found/],
    ['class the model lacks', () => ['eval', '--images', FIX.semisegImgs, '--masks', FIX.semisegGT, '--out', out(), '--model', modelDir, '--class', 'effusion', '--backend', 'wasm'], /--class effusion: the model has infection, ground-glass, consolidation, lungs/],
    ['binary masks for a palette class', () => ['eval', '--images', FIX.semisegImgs, '--masks', FIX.semisegGT, '--out', out(), '--model', modelDir, '--class', 'consolidation', '--backend', 'wasm'], /needs palette-indexed multi-class masks/],
    ['bad --data spec', () => ['train', '--data', 'dicom:/x', '--out', out()], /--data "dicom:\/x": expected/],
    ['bad architecture', () => ['train', '--data', `pairs:${FIX.semisegImgs},masks=${FIX.semisegGT}`, '--out', out(), '--size', '40', '--depth', '4'], /inputSize 40 is not a multiple of 2\^depth = 16/],
    ['output folder under a file (segment)', () => ['segment', img(), '--out', join(bad, 'notes.txt', 'out'), '--model', modelDir], /cannot write to the output folder .*notes\.txt\/out \(ENOTDIR\) \[WRITE\]/],
    ['output folder under a file (eval)', () => ['eval', '--images', FIX.semisegImgs, '--masks', FIX.semisegGT, '--out', join(bad, 'notes.txt', 'out'), '--model', modelDir], /cannot write to the output folder .*\(ENOTDIR\) \[WRITE\]/],
    ['output folder under a file (train), before any data is read', () => ['train', '--data', `semiseg:${join(work, 'nope-data')}`, '--out', join(bad, 'notes.txt', 'out')], /cannot write to the output folder .*\(ENOTDIR\) \[WRITE\]/],
    ['unknown class for train', () => ['train', '--data', `pairs:${FIX.semisegImgs},masks=${FIX.semisegGT}`, '--out', out(), '--classes', 'infection,tumour'], /--classes: unknown class "tumour"/],
  ];

  for (const [name, args, what] of cases) {
    it(name, async () => {
      assertOneLineError(await runCli(args()), what);
    });
  }

  it('--backend tensorflow names the packages to install', async () => {
    const r = await runCli(['segment', img(), '--out', out(), '--model', modelDir, '--backend', 'tensorflow']);
    assert.match(r.stderr, /Install @tensorflow\/tfjs-node-gpu .* or @tensorflow\/tfjs-node/);
    assert.match(r.stderr, /\[BACKEND_UNAVAILABLE\]/);
  });
});

describe('tvunet segment (random-weights model)', () => {
  it('writes .mask.png (0/255), .prob.png, .overlay.png per slice and report.json with the documented fields, matching the library', async () => {
    const images = [...FIX.semisegIds.map((id) => join(FIX.semisegImgs, `${id}.jpg`)), join(FIX.maCt, '0200.png')];
    // A threshold at the median probability, so that the random model's masks are neither empty nor full.
    const probe = await inProcess(images);
    const threshold = Number(median(probe.map((p) => p.result.classes[0]!.probabilities)).toFixed(6));
    assert.ok(threshold > 0 && threshold < 1);
    const ref = await inProcess(images, threshold);
    const out = join(work, 'segment-out');
    const r = await runCli(['segment', FIX.semisegImgs, join(FIX.maCt, '0200.png'), '--out', out, '--model', modelDir, '--backend', 'wasm', '--threshold', String(threshold)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /segmented 4 image\(s\) on wasm/);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    assert.equal(report.modelName, 'random-test-model');
    assert.equal(report.backend.backend, 'wasm');
    assert.equal(typeof report.backend.reason, 'string');
    assert.equal(report.images.length, 4);
    for (const [k, entry] of report.images.entries()) {
      const { img, result } = ref.find((p) => p.path === entry.image) ?? assert.fail(`unexpected image ${entry.image}`);
      const stem = entry.image.split('/').pop().replace(/\.(jpg|png)$/, '');
      for (const key of ['image', 'width', 'height', 'class', 'threshold', 'infectedPixels', 'infectedFraction', 'regions', 'regionSizes', 'lungPixels', 'lungInvolvementPercent', 'otherClasses', 'timingsMs']) {
        assert.ok(key in entry, `report.images[${k}].${key}`);
      }
      assert.equal(entry.width, img.width);
      assert.equal(entry.height, img.height);
      assert.equal(entry.class, 'infection');
      assert.equal(entry.threshold, threshold);
      const mask = readPng(await readFile(join(out, `${stem}.mask.png`)));
      assert.equal(mask.width, img.width);
      assert.equal(mask.height, img.height);
      let ones = 0;
      const want = result.classes[0]!.mask;
      for (let i = 0; i < img.width * img.height; i++) {
        const v = mask.data[4 * i]!;
        assert.ok(v === 0 || v === 255, `mask pixel ${v}`);
        assert.equal(v === 255 ? 1 : 0, want[i], `${stem}: CLI mask = library mask at ${i}`);
        ones += v === 255 ? 1 : 0;
      }
      assert.ok(ones > 0 && ones < img.width * img.height, 'a mask with both classes');
      assert.equal(entry.infectedPixels, ones);
      assert.equal(entry.infectedFraction, ones / (img.width * img.height));
      assert.equal(entry.regionSizes.length, entry.regions);
      assert.equal(entry.regionSizes.reduce((a: number, b: number) => a + b, 0), ones);
      const lungs = result.classes.find((c) => c.name === 'lungs')!.mask;
      assert.equal(entry.lungPixels, lungs.reduce((a, b) => a + b, 0));
      assert.deepEqual(Object.keys(entry.otherClasses).sort(), ['consolidation', 'ground-glass', 'lungs']);
      const prob = readPng(await readFile(join(out, `${stem}.prob.png`)));
      assert.equal(prob.width, img.width);
      const p = result.classes[0]!.probabilities;
      for (let i = 0; i < p.length; i += 97) assert.ok(Math.abs(prob.data[4 * i]! - p[i]! * 255) <= 0.5 + 1e-6, 'prob.png = probability × 255');
      const overlay = readPng(await readFile(join(out, `${stem}.overlay.png`)));
      assert.ok(overlay.width >= img.width && overlay.height >= img.height);
    }
  });

  it('--min-region drops small regions and --fill-holes runs (report reflects them)', async () => {
    const out = join(work, 'segment-minregion');
    const probe = await inProcess([join(FIX.semisegImgs, '13.jpg')]);
    const threshold = Number(median(probe.map((p) => p.result.classes[0]!.probabilities)).toFixed(6));
    const r = await runCli(['segment', join(FIX.semisegImgs, '13.jpg'), '--out', out, '--model', modelDir, '--backend', 'wasm', '--threshold', String(threshold), '--min-region', '200', '--fill-holes']);
    assert.equal(r.code, 0, r.stderr);
    const entry = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')).images[0];
    assert.ok(entry.regionSizes.every((s: number) => s >= 200), `all regions ≥ 200 px: ${entry.regionSizes.join(',')}`);
  });
});

describe('tvunet eval (random-weights model): numbers equal a brute-force recount', () => {
  /** Counts with plain loops; zero-denominator ratios are 1 when nothing is wrong, as in the library. */
  function bruteForce(preds: Uint8Array[], truths: Uint8Array[]) {
    const ratio = (num: number, den: number, ok: boolean) => (den === 0 ? (ok ? 1 : 0) : num / den);
    let TP = 0, FP = 0, FN = 0, TN = 0, diceSum = 0;
    preds.forEach((p, k) => {
      let tp = 0, fp = 0, fn = 0, tn = 0;
      for (let i = 0; i < p.length; i++) {
        const t = truths[k]![i]!;
        if (p[i] && t) tp++; else if (p[i]) fp++; else if (t) fn++; else tn++;
      }
      diceSum += ratio(2 * tp, 2 * tp + fp + fn, fp === 0 && fn === 0);
      TP += tp; FP += fp; FN += fn; TN += tn;
    });
    const ok = FP === 0 && FN === 0;
    return {
      meanDice: diceSum / preds.length,
      pooledDice: ratio(2 * TP, 2 * TP + FP + FN, ok),
      precision: ratio(TP, TP + FP, ok),
      sensitivity: ratio(TP, TP + FN, ok),
      specificity: ratio(TN, TN + FP, ok),
      mIoU: (ratio(TP, TP + FP + FN, ok) + ratio(TN, TN + FP + FN, ok)) / 2,
      counts: { TP, FP, FN, TN },
    };
  }

  async function evalCase(cls: string, masksDir: string, truthOf: (rgba: Uint8Array, i: number) => number) {
    const images = FIX.semisegIds.map((id) => join(FIX.semisegImgs, `${id}.jpg`));
    const probe = await inProcess(images);
    const c = CLASS_NAMES.indexOf(cls as (typeof CLASS_NAMES)[number]);
    const threshold = Number(median(probe.map((p) => p.result.classes[c]!.probabilities)).toFixed(6));
    const out = join(work, `eval-${cls}`);
    const r = await runCli(['eval', '--images', FIX.semisegImgs, '--masks', masksDir, '--out', out, '--model', modelDir, '--backend', 'wasm', '--threshold', String(threshold), ...(cls === 'infection' ? [] : ['--class', cls])]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(await readFile(join(out, 'eval.json'), 'utf8'));
    for (const key of ['n', 'class', 'threshold', 'meanDice', 'pooledDice', 'sensitivity', 'specificity', 'precision', 'mIoU', 'meanPerImage', 'pooled', 'averagePrecision', 'sweep', 'perImage', 'model', 'backend']) {
      assert.ok(key in report, `eval.json has ${key}`);
    }
    assert.equal(report.n, 3);
    assert.equal(report.class, cls);
    assert.equal(report.threshold, threshold);
    assert.equal(report.backend, 'wasm');
    // Brute force: the same model in this process, thresholded, against masks decoded here.
    const preds: Uint8Array[] = [], truths: Uint8Array[] = [];
    for (const [k, id] of FIX.semisegIds.entries()) {
      const probs = probe[k]!.result.classes[c]!.probabilities;
      preds.push(Uint8Array.from(probs, (p) => (p >= threshold ? 1 : 0)));
      const png = readPng(await readFile(join(masksDir, `${id}.png`)));
      assert.equal(png.width * png.height, probs.length);
      truths.push(Uint8Array.from({ length: probs.length }, (_, i) => truthOf(png.data, i)));
    }
    const want = bruteForce(preds, truths);
    assert.ok(want.counts.TP > 0 && want.counts.FP > 0 && want.counts.FN > 0 && want.counts.TN > 0, `non-degenerate counts ${JSON.stringify(want.counts)}`);
    for (const key of ['meanDice', 'pooledDice', 'precision', 'sensitivity', 'specificity', 'mIoU'] as const) {
      assert.ok(Math.abs(report[key] - want[key]) <= 1e-9, `${key}: eval.json ${report[key]} vs brute force ${want[key]}`);
    }
    assert.equal(report.perImage.length, 3);
    assert.ok(report.sweep.length > 0 && report.averagePrecision >= 0 && report.averagePrecision <= 1);
    const md = await readFile(join(out, 'eval.md'), 'utf8');
    assert.match(md, new RegExp(`^# Evaluation: ${cls}`));
    assert.match(md, /Threshold sweep/);
    const curve = readPng(await readFile(join(out, 'pr-curve.png')));
    assert.ok(curve.width > 100 && curve.height > 100, 'pr-curve.png is a real picture');
    console.log(`# eval ${cls}: threshold ${threshold}, mean Dice ${report.meanDice.toFixed(4)}, counts ${JSON.stringify(want.counts)}`);
  }

  it('infection with binary masks: eval.json metrics = brute force (1e-9); eval.md and pr-curve.png written', async () => {
    await evalCase('infection', FIX.semisegGT, (rgba, i) => (rgba[4 * i]! > 127 ? 1 : 0));
  });

  it('--class ground-glass with palette masks (red 128,0,0 = ground-glass)', async () => {
    await evalCase('ground-glass', FIX.semisegMulti, (rgba, i) => (rgba[4 * i]! > 0 && rgba[4 * i + 1] === 0 && rgba[4 * i + 2] === 0 ? 1 : 0));
  });

  it('--class consolidation with palette masks (green 0,128,0 = consolidation)', async () => {
    await evalCase('consolidation', FIX.semisegMulti, (rgba, i) => (rgba[4 * i + 1]! > 0 && rgba[4 * i] === 0 && rgba[4 * i + 2] === 0 ? 1 : 0));
  });
});
