/**
 * The trainer's data side on the real layouts: discovery and patient keys, data specs, palette
 * masks, patient-disjoint splits, augmentation that keeps image and masks aligned, the slice cache
 * and batches. Uses ../shared/data when it is there; otherwise tiny copies of its layouts built
 * from test/fixtures (said on the console), and the counts of the full data are not checked.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { resizeNearest } from '../../src/preprocess/resize.js';
import { initNodeBackend } from '../src/backends/node-backend.js';
import { truthMask } from '../src/commands/eval.js';
import { augmentSlice, DEFAULT_AUGMENT, type AugmentOptions } from '../src/data/augment.js';
import { disposeBatch, makeBatch } from '../src/data/batches.js';
import {
  CLASS_NAMES, loadDataSpec, MEDSEG_TEST_NEIGHBOURS, pairedSamples, parseDataSpec, volumePatient, type SampleRef,
} from '../src/data/datasets.js';
import { Rng } from '../src/data/rng.js';
import { SliceCache, type LoadedSlice } from '../src/data/slices.js';
import { splitByGroup, type Split } from '../src/data/split.js';
import { encodePng, grayToRgba, multiClassIndices, readImageFile, type DecodedImage } from '../src/io/image-files.js';
import { writeNifti } from '../../src/io/nifti.js';
import { diagonalAffine } from '../../src/volume/volume.js';
import { insertSlice, sliceLayout } from '../../src/volume/orientation.js';
import { dataLayouts, FIX, hasSharedData, runCli, SHARED_MA2020, tempDir } from './helpers.js';

let layout: Awaited<ReturnType<typeof dataLayouts>>;
let doctor: SampleRef[] = [];
let pseudo: SampleRef[] = [];
let ma: SampleRef[] = [];

const errCode = (code: string, includes?: string) => (e: Error & { code?: string }) => e.code === code && (!includes || e.message.includes(includes));
const sideOf = (split: Split) => {
  const m = new Map<string, string[]>();
  for (const side of ['train', 'validation', 'test'] as const) for (const s of split[side]) m.set(s.group, [...new Set([...(m.get(s.group) ?? []), side])]);
  return m;
};

before(async () => {
  layout = await dataLayouts();
  const semi = await loadDataSpec(parseDataSpec(`semiseg:${layout.semiseg},pseudo=0.35,weight=0.4`));
  doctor = semi.samples.filter((s) => s.source === 'semiseg-doctor');
  pseudo = semi.samples.filter((s) => s.source === 'semiseg-pseudo');
  ma = (await loadDataSpec(parseDataSpec(`ma2020:${layout.ma2020},weight=0.25`))).samples;
  console.log(`# data: ${doctor.length} doctor, ${pseudo.length} pseudo, ${ma.length} ma2020 slices (${layout.real ? 'shared data' : 'fixture layout copies'})`);
});

describe('dataset discovery on the real layouts', () => {
  it('finds every slice: 50 doctor, 1600 pseudo, 1614 ma2020 (full data) with existing files', async () => {
    if (layout.real) {
      assert.equal(doctor.length, 50);
      assert.equal(pseudo.length, 1600);
      assert.equal(ma.length, 1614);
    } else {
      assert.equal(doctor.length, 3);
      assert.equal(pseudo.length, 4);
      assert.equal(ma.length, 3);
    }
    const all = [...doctor, ...pseudo, ...ma];
    assert.equal(new Set(all.map((s) => s.id)).size, all.length, 'ids are unique');
    for (const s of all) {
      assert.ok((await stat(s.image)).isFile(), s.image);
      for (const l of Object.values(s.labels)) assert.ok((await stat(l.path)).isFile(), l.path);
    }
  });

  it('labels and groups per source', async () => {
    for (const s of doctor) {
      assert.deepEqual(Object.keys(s.labels).sort(), ['consolidation', 'ground-glass', 'infection']);
      assert.deepEqual(s.labels['ground-glass']!.encoding, { kind: 'index', value: 1 });
      assert.deepEqual(s.labels.consolidation!.encoding, { kind: 'index', value: 2 });
      assert.deepEqual(s.labels.infection!.encoding, { kind: 'binary' });
      assert.match(s.group, /^medseg-\d+$/);
    }
    for (const s of pseudo) {
      assert.deepEqual(Object.keys(s.labels), ['infection']);
      assert.deepEqual(s.labels.infection!.encoding, { kind: 'soft' });
      assert.match(s.group, /^(coronacases|radiopaedia)_\d+$/);
    }
    for (const s of ma) {
      assert.deepEqual(Object.keys(s.labels).sort(), ['infection', 'lungs']);
      assert.match(s.group, /^(coronacases|radiopaedia)_\d+$/);
    }
    if (layout.real) {
      const byId = new Map(doctor.map((s) => [s.id, s.group]));
      // Near duplicates share a group (COVID-SemiSeg README).
      assert.equal(byId.get('medseg-43'), byId.get('medseg-10'));
      assert.equal(byId.get('medseg-46'), byId.get('medseg-5'));
      assert.equal(byId.get('medseg-17'), byId.get('medseg-4'));
      assert.equal(new Set(doctor.map((s) => s.group)).size, 47);
      // The 20 volumes are 18 patients (radiopaedia 10 and 29 have two series each), in both sets.
      const pg = new Set(pseudo.map((s) => s.group)), mg = new Set(ma.map((s) => s.group));
      assert.equal(pg.size, 18);
      assert.deepEqual([...mg].sort(), [...pg].sort());
      const count = (list: SampleRef[], g: string) => list.filter((s) => s.group === g).length;
      assert.equal(count(ma, 'coronacases_8'), 181);
      assert.equal(count(pseudo, 'coronacases_8'), 141);
      assert.equal(count(pseudo, 'radiopaedia_29'), 19 + 22);
      assert.equal(count(ma, 'radiopaedia_10'), 11 + 118);
    } else {
      assert.deepEqual(ma.map((s) => s.group), ['coronacases_2', 'coronacases_10', 'radiopaedia_40']);
    }
  });

  it('volumePatient reads every naming pattern of the two data sets', () => {
    const cases: [string, string][] = [
      ['coronacases_001', 'coronacases_1'],
      ['coronacases_010', 'coronacases_10'],
      ['Data-1_coronacases_org_001_37.jpg', 'coronacases_1'],
      ['Data-1_coronacases_org_010_112', 'coronacases_10'],
      ['radiopaedia_case10', 'radiopaedia_10'],
      ['radiopaedia_case4', 'radiopaedia_4'],
      ['radiopaedia_10_85902_3', 'radiopaedia_10'],
      ['radiopaedia_29_86490_1+29_86491_1', 'radiopaedia_29'],
      ['Data-1_radiopaedia_org_covid-19-pneumonia-10_85902_1-dcm_19.jpg', 'radiopaedia_10'],
      ['Data-1_radiopaedia_org_covid-19-pneumonia-29_86491_1-dcm_2', 'radiopaedia_29'],
      ['Data-1_radiopaedia_org_covid-19-pneumonia-4_85506_1-dcm_13', 'radiopaedia_4'],
      ['Data-1_radiopaedia_org_covid-19-pneumonia-40_86625_0-dcm_1', 'radiopaedia_40'],
    ];
    for (const [name, want] of cases) assert.equal(volumePatient(name), want, name);
    for (const bad of ['0001.png', 'medseg-3', 'radiopaedia_org_x', '']) assert.throws(() => volumePatient(bad), errCode('INVALID_INPUT', 'source volume'), bad);
  });

  it('volumePatient agrees with slices.csv: source volume and patient group columns name the same patient', async () => {
    const { readFile } = await import('node:fs/promises');
    const rows = (await readFile(join(layout.ma2020, 'slices.csv'), 'utf8')).trim().split('\n').slice(1).map((r) => r.split(','));
    assert.ok(rows.length > 0);
    for (const r of rows) assert.equal(volumePatient(r[2]!), volumePatient(r[3]!), r.join(','));
  });

  it('parseDataSpec: good specs', () => {
    assert.deepEqual(parseDataSpec('semiseg:../shared/data/covid-semiseg,pseudo=0.35,weight=0.4'), { kind: 'semiseg', path: '../shared/data/covid-semiseg', weight: 0.4, pseudoWeight: 0.35 });
    assert.deepEqual(parseDataSpec('ma2020:/data/ma'), { kind: 'ma2020', path: '/data/ma', weight: 1, pseudoWeight: 0 });
    assert.deepEqual(parseDataSpec('pairs:imgs,masks=gt,weight=2'), { kind: 'pairs', path: 'imgs', masks: 'gt', weight: 2, pseudoWeight: 0 });
    assert.deepEqual(parseDataSpec('semiseg:d,weight=0'), { kind: 'semiseg', path: 'd', weight: 0, pseudoWeight: 0 });
  });

  it('parseDataSpec: bad specs are INVALID_OPTIONS naming the spec', () => {
    const bad = ['nifti:/x', 'semiseg:', 'semiseg', ':x', 'pairs:imgs', 'pairs:imgs,weight=1', 'semiseg:d,weight=-1', 'semiseg:d,weight=abc',
      'semiseg:d,weight', 'semiseg:d,weight=', 'semiseg:d,pseudo=Infinity', 'semiseg:d,bogus=1', 'ma2020:d,weight=1=2'];
    for (const text of bad) assert.throws(() => parseDataSpec(text), errCode('INVALID_OPTIONS', text), text);
  });

  it('loadDataSpec / pairedSamples refuse missing folders, a folder without slices.csv and unpaired images', async () => {
    const missing = join(await tempDir('missing'), 'nope');
    await assert.rejects(loadDataSpec(parseDataSpec(`semiseg:${missing}`)), errCode('INVALID_INPUT', missing));
    await assert.rejects(loadDataSpec(parseDataSpec(`ma2020:${layout.semiseg}`)), errCode('INVALID_INPUT', 'slices.csv'));
    const dir = await tempDir('unpaired');
    await mkdir(join(dir, 'img'));
    await mkdir(join(dir, 'gt'));
    const png = encodePng(4, 4, grayToRgba(new Uint8Array(16)));
    for (const n of ['a', 'b', 'c']) await writeFile(join(dir, 'img', `${n}.png`), png);
    await writeFile(join(dir, 'img', 'notes.txt'), 'ignored');
    await writeFile(join(dir, 'gt', 'a.png'), png);
    await writeFile(join(dir, 'gt', 'c.png'), png);
    await assert.rejects(pairedSamples(join(dir, 'img'), join(dir, 'gt')), errCode('INVALID_INPUT', 'b.png'));
    await writeFile(join(dir, 'gt', 'b.png'), png);
    const pairs = await pairedSamples(join(dir, 'img'), join(dir, 'gt'));
    assert.deepEqual(pairs.map((p) => p.id), ['pair-a', 'pair-b', 'pair-c']);
    assert.equal(new Set(pairs.map((p) => p.group)).size, 3);
  });
});

describe('palette masks', () => {
  it('multiClassIndices of the multi-class PNGs equals the binary GT > 0 on every real slice; both classes occur', async () => {
    let withGgo = 0, withCons = 0;
    for (const s of doctor) {
      const multi = await readImageFile(s.labels['ground-glass']!.path);
      const gt = await readImageFile(s.labels.infection!.path);
      assert.equal(multi.width, gt.width);
      const idx = multiClassIndices(multi);
      assert.ok(idx.every((v) => v <= 2), `${s.id}: indices 0…2`);
      for (let i = 0; i < idx.length; i++) {
        if ((idx[i]! > 0) !== (gt.gray[i]! > 0)) assert.fail(`${s.id}: pixel ${i} multi ${idx[i]} vs binary ${gt.gray[i]}`);
      }
      if (idx.includes(1)) withGgo++;
      if (idx.includes(2)) withCons++;
      // The grey copy of a palette mask (38 / 75) decodes to the same indices.
      const grey = Uint8Array.from(idx, (v) => [0, 38, 75][v]!);
      const greyImg: DecodedImage = { width: multi.width, height: multi.height, gray: grey, rgba: grayToRgba(grey) };
      assert.deepEqual(multiClassIndices(greyImg), idx);
    }
    console.log(`# palette masks: ${withGgo} of ${doctor.length} slices with ground-glass, ${withCons} with consolidation`);
    if (layout.real) {
      assert.equal(withGgo, 48);
      assert.equal(withCons, 39);
    } else {
      assert.ok(withGgo > 0 && withCons > 0);
    }
  });

  it("eval's truthMask: palette, grey-palette, binary and soft masks (a soft mask holding 1, 2, 38 or 75 is not a palette)", async () => {
    const s = doctor[0]!;
    const multi = await readImageFile(s.labels['ground-glass']!.path);
    const gt = await readImageFile(s.labels.infection!.path);
    const idx = multiClassIndices(multi);
    assert.deepEqual(truthMask(multi, 'infection'), Uint8Array.from(idx, (v) => (v > 0 ? 1 : 0)));
    assert.deepEqual(truthMask(multi, 'ground-glass'), Uint8Array.from(idx, (v) => (v === 1 ? 1 : 0)));
    assert.deepEqual(truthMask(multi, 'consolidation'), Uint8Array.from(idx, (v) => (v === 2 ? 1 : 0)));
    assert.deepEqual(truthMask(gt, 'infection'), Uint8Array.from(gt.gray, (v) => (v > 127 ? 1 : 0)));
    assert.throws(() => truthMask(gt, 'ground-glass'), errCode('INVALID_INPUT', 'palette'));
    const fromGrey = (g: Uint8Array): DecodedImage => ({ width: gt.width, height: gt.height, gray: g, rgba: grayToRgba(g) });
    const greyPalette = fromGrey(Uint8Array.from(idx, (v) => [0, 38, 75][v]!));
    assert.deepEqual(truthMask(greyPalette, 'consolidation'), Uint8Array.from(idx, (v) => (v === 2 ? 1 : 0)));
    const indexPalette = fromGrey(Uint8Array.from(idx));
    assert.deepEqual(truthMask(indexPalette, 'ground-glass'), Uint8Array.from(idx, (v) => (v === 1 ? 1 : 0)));
    // A soft (pseudo-label-like) mask: 0…255 with some pixels at 1, 2, 38 and 75.
    const soft = Uint8Array.from(gt.gray, (v, i) => (v > 0 ? 200 + (i % 50) : [0, 1, 2, 38, 75, 100, 127][i % 7]!));
    assert.deepEqual(truthMask(fromGrey(soft), 'infection'), Uint8Array.from(soft, (v) => (v > 127 ? 1 : 0)));
    // An empty mask is empty for every class.
    assert.deepEqual(truthMask(fromGrey(new Uint8Array(gt.gray.length)), 'consolidation'), new Uint8Array(gt.gray.length));
    if (layout.real && pseudo.length) {
      const p = await readImageFile(pseudo[0]!.labels.infection!.path);
      const t = truthMask(p, 'infection');
      assert.deepEqual(t, Uint8Array.from(p.gray, (v) => (v > 127 ? 1 : 0)), 'a real pseudo label is read as soft, threshold 128');
      assert.ok(t.some((v) => v === 1));
    }
  });
});

describe('patient-disjoint splits', () => {
  const check = (split: Split, all: SampleRef[]) => {
    const sides = sideOf(split);
    for (const [g, s] of sides) assert.equal(s.length, 1, `group ${g} on ${s.join(' and ')}`);
    assert.equal(split.train.length + split.validation.length + split.test.length, all.length, 'every sample placed once');
    assert.equal(new Set([...split.train, ...split.validation, ...split.test].map((s) => s.id)).size, all.length);
  };

  it('synthetic groups: disjoint, deterministic per seed, fractions met exactly when groups allow', () => {
    const samples: SampleRef[] = [];
    for (let g = 0; g < 40; g++) for (let k = 0; k < 5; k++) samples.push({ id: `s${g}-${k}`, group: `pair-${g}`, source: 'x', image: '', labels: {} });
    const a = splitByGroup(samples, { validation: 0.2, test: 0.1 }, 7);
    check(a, samples);
    assert.equal(a.validation.length, 40);
    assert.equal(a.test.length, 20);
    assert.equal(a.train.length, 140);
    const b = splitByGroup(samples, { validation: 0.2, test: 0.1 }, 7);
    assert.deepEqual(b.validation.map((s) => s.id), a.validation.map((s) => s.id));
    const c = splitByGroup(samples, { validation: 0.2, test: 0.1 }, 8);
    assert.notDeepEqual(c.validation.map((s) => s.id).sort(), a.validation.map((s) => s.id).sort());
    const none = splitByGroup(samples, { validation: 0, test: 0 }, 1);
    assert.equal(none.train.length, 200);
    assert.throws(() => splitByGroup(samples, { validation: 0.6, test: 0.4 }, 1), errCode('INVALID_OPTIONS'));
    assert.throws(() => splitByGroup(samples, { validation: -0.1, test: 0 }, 1), errCode('INVALID_OPTIONS'));
    const one = samples.filter((s) => s.group === 'pair-0');
    assert.throws(() => splitByGroup(one, { validation: 0.9, test: 0 }, 1), errCode('INVALID_INPUT', 'no training samples'));
  });

  it('the real data (doctor + pseudo + ma2020): no patient on two sides, also across ma2020 and pseudo labels', () => {
    const all = [...doctor, ...pseudo, ...ma];
    for (const seed of [1, 2, 3]) {
      const split = splitByGroup(all, { validation: 0.2, test: 0.1 }, seed);
      check(split, all);
      // ma2020 and pseudo slices of one patient: same side.
      const sides = sideOf(split);
      for (const s of [...pseudo, ...ma]) assert.equal(sides.get(s.group)!.length, 1);
      const again = splitByGroup(all, { validation: 0.2, test: 0.1 }, seed);
      assert.deepEqual(again.validation.map((s) => s.id), split.validation.map((s) => s.id), 'deterministic for a seed');
      assert.deepEqual(again.test.map((s) => s.id), split.test.map((s) => s.id));
    }
  });

  it('MedSeg slices next to held-out test patients are never in validation or test; near duplicates stay together', () => {
    const all = [...doctor, ...pseudo, ...ma];
    for (let seed = 1; seed <= 20; seed++) {
      const split = splitByGroup(all, { validation: 0.3, test: 0.2 }, seed);
      const held = new Set([...split.validation, ...split.test].map((s) => s.id));
      for (const n of MEDSEG_TEST_NEIGHBOURS) assert.ok(!held.has(`medseg-${n}`), `medseg-${n} (seed ${seed})`);
      const side = new Map<string, string>();
      for (const k of ['train', 'validation', 'test'] as const) for (const s of split[k]) side.set(s.id, k);
      for (const [a, b] of [['43', '10'], ['46', '5'], ['17', '4']]) {
        if (side.has(`medseg-${a}`) && side.has(`medseg-${b}`)) assert.equal(side.get(`medseg-${a}`), side.get(`medseg-${b}`));
      }
    }
  });

  it('fractions are roughly respected per family (MedSeg slices; patient volumes)', { skip: false }, () => {
    const all = [...doctor, ...pseudo, ...ma];
    const split = splitByGroup(all, { validation: 0.2, test: 0.1 }, 1);
    const medseg = (l: SampleRef[]) => l.filter((s) => s.group.startsWith('medseg-')).length;
    const vol = (l: SampleRef[]) => l.length - medseg(l);
    const nMed = doctor.length, nVol = pseudo.length + ma.length;
    console.log(`# split seed 1: MedSeg ${medseg(split.train)}/${medseg(split.validation)}/${medseg(split.test)}, volumes ${vol(split.train)}/${vol(split.validation)}/${vol(split.test)} (train/val/test)`);
    assert.ok(medseg(split.validation) <= Math.ceil(0.2 * nMed) && vol(split.validation) <= Math.ceil(0.2 * nVol), 'never above the fraction');
    assert.ok(medseg(split.test) <= Math.ceil(0.1 * nMed) && vol(split.test) <= Math.ceil(0.1 * nVol));
    if (layout.real) {
      assert.ok(medseg(split.validation) >= 8, 'MedSeg validation about 20 % of 50');
      assert.ok(medseg(split.test) >= 4, 'MedSeg test about 10 % of 50');
      assert.ok(vol(split.validation) >= 0.1 * nVol, 'volume validation at least half its share (groups are whole patients)');
      assert.ok(vol(split.test) >= 0.04 * nVol);
      assert.ok(vol(split.train) >= 0.6 * nVol);
    }
  });
});

describe('augmentation keeps image and masks aligned', () => {
  const S = 64;
  let base: LoadedSlice;
  before(async () => {
    const s = doctor.find((d) => d.id === 'medseg-3') ?? doctor[0]!;
    const gt = await readImageFile(s.labels.infection!.path);
    const mask = resizeNearest(Uint8Array.from(gt.gray, (v) => (v > 127 ? 255 : 0)), gt.width, gt.height, S, S);
    // Image = 255 × mask: thresholding the warped image must give the warped mask.
    base = { size: S, image: Uint8Array.from(mask), targets: [mask, Uint8Array.from(mask)] };
    const fg = mask.reduce((a, v) => a + (v ? 1 : 0), 0);
    assert.ok(fg > 20 && fg < S * S - 20, 'a mask with structure');
  });

  const exact: AugmentOptions = { ...DEFAULT_AUGMENT, gammaRange: [1, 1], noiseStd: 0 };

  function run(o: AugmentOptions, seed: number) {
    const image = new Float32Array(S * S);
    const planes = [new Float32Array(S * S), new Float32Array(S * S)];
    augmentSlice(base, [false, true], new Rng(seed), o, image, planes);
    return { image, hard: planes[0]!, soft: planes[1]! };
  }

  it('thresholded warped image = warped (nearest) mask except on a thin border; soft plane = image / 255', () => {
    let changed = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const { image, hard, soft } = run(exact, seed);
      assert.ok(hard.every((v) => v === 0 || v === 1), 'nearest-neighbour masks stay binary');
      for (let i = 0; i < S * S; i++) assert.ok(Math.abs(soft[i]! - image[i]! / 255) < 1e-6, 'the soft plane is warped exactly like the image');
      let mismatch = 0, border = 0;
      for (let y = 0; y < S; y++) {
        for (let x = 0; x < S; x++) {
          let lo = 1, hi = 0;
          for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
            const yy = Math.min(S - 1, Math.max(0, y + dy)), xx = Math.min(S - 1, Math.max(0, x + dx));
            lo = Math.min(lo, hard[yy * S + xx]!); hi = Math.max(hi, hard[yy * S + xx]!);
          }
          const onBorder = lo !== hi;
          if (onBorder) border++;
          if ((image[y * S + x]! > 127.5 ? 1 : 0) !== hard[y * S + x]) {
            mismatch++;
            assert.ok(onBorder, `seed ${seed}: mismatch at (${x},${y}) away from the mask border`);
          }
        }
      }
      assert.ok(mismatch < border / 2, `seed ${seed}: ${mismatch} mismatches on ${border} border pixels`);
      let diff = 0;
      for (let i = 0; i < S * S; i++) diff += hard[i] !== base.targets[0]![i]! / 255 ? 1 : 0;
      if (diff > 20) changed++;
    }
    assert.ok(changed >= 10, `augmentation moves the slice (${changed} of 12 draws changed it)`);
  });

  it('with the default intensity jitter the alignment holds too, and the same RNG state gives the same draw', () => {
    for (let seed = 20; seed < 26; seed++) {
      const { image, hard } = run(DEFAULT_AUGMENT, seed);
      let mismatch = 0;
      for (let i = 0; i < S * S; i++) if ((image[i]! > 127.5 ? 1 : 0) !== hard[i]) mismatch++;
      assert.ok(mismatch < 0.04 * S * S, `seed ${seed}: ${mismatch} mismatching pixels`);
      assert.ok(image.every((v) => v >= 0 && v <= 255));
    }
    const a = run(DEFAULT_AUGMENT, 99), b = run(DEFAULT_AUGMENT, 99);
    assert.deepEqual(a.image, b.image);
    assert.deepEqual(a.hard, b.hard);
  });

  it('quarter turns and flips alone are exact permutations of the pixels', () => {
    const o: AugmentOptions = { flip: true, quarterTurns: true, maxRotationDeg: 0, scaleRange: [1, 1], gammaRange: [1, 1], noiseStd: 0 };
    for (let seed = 1; seed <= 8; seed++) {
      const { image, hard } = run(o, seed);
      for (let i = 0; i < S * S; i++) assert.equal(image[i]! > 127.5 ? 1 : 0, hard[i], `seed ${seed} pixel ${i}`);
      assert.equal(hard.reduce((a, v) => a + v, 0), base.targets[0]!.reduce((a, v) => a + (v ? 1 : 0), 0), 'no pixel lost or duplicated');
    }
  });
});

describe('slice cache and batches', () => {
  before(async () => {
    await initNodeBackend('wasm');
  });

  it('SliceCache: every plane is size², labels per source, nulls where unlabelled, cached', async () => {
    for (const size of [32, 64]) {
      const cache = new SliceCache(size, CLASS_NAMES);
      const d = await cache.load(doctor[0]!);
      assert.equal(d.size, size);
      assert.equal(d.image.length, size * size);
      assert.equal(d.targets.length, 4);
      for (const t of d.targets.slice(0, 3)) {
        assert.equal(t!.length, size * size);
        assert.ok(t!.every((v) => v === 0 || v === 255), 'binary and palette planes are 0/255');
      }
      assert.equal(d.targets[3], null, 'no lung label in COVID-SemiSeg');
      // Infection (binary GT) = ground-glass ∪ consolidation (palette), after the same nearest resize.
      for (let i = 0; i < size * size; i++) assert.equal(d.targets[0]![i]! > 0, d.targets[1]![i]! > 0 || d.targets[2]![i]! > 0);
      assert.strictEqual(await cache.load(doctor[0]!), d, 'second load is a cache hit');
      const m = await cache.load(ma[0]!);
      assert.equal(m.targets[1], null);
      assert.equal(m.targets[2], null);
      assert.equal(m.targets[3]!.length, size * size);
      assert.ok(m.targets[3]!.some((v) => v === 255), 'lungs present');
      const p = await cache.load(pseudo[0]!);
      assert.equal(p.targets[0]!.length, size * size);
    }
    if (layout.real) {
      const cache = new SliceCache(64, ['infection']);
      let soft = 0;
      for (const s of pseudo.slice(0, 20)) soft += (await cache.load(s)).targets[0]!.filter((v) => v > 0 && v < 255).length;
      assert.ok(soft > 0, 'pseudo labels stay soft (bilinear)');
    }
  });

  it('SliceCache refuses a mask whose size differs from its image', async () => {
    const dir = await tempDir('mismatch');
    await writeFile(join(dir, 'small.png'), encodePng(8, 8, grayToRgba(new Uint8Array(64))));
    const s: SampleRef = { id: 'x', group: 'x', source: 'x', image: join(FIX.semisegImgs, '3.jpg'), labels: { infection: { path: join(dir, 'small.png'), encoding: { kind: 'binary' } } } };
    await assert.rejects(new SliceCache(32, ['infection']).load(s), errCode('INVALID_INPUT', 'small.png'));
  });

  it('makeBatch: shapes, label mask per sample and class, standardised input', async () => {
    const cache = new SliceCache(32, CLASS_NAMES);
    const batch = await makeBatch([doctor[0]!, ma[0]!], cache, null);
    try {
      assert.deepEqual(batch.x.shape, [2, 32, 32, 1]);
      assert.deepEqual(batch.y.shape, [2, 32, 32, 4]);
      assert.deepEqual(Array.from(await batch.labelMask.data()), [1, 1, 1, 0, 1, 0, 0, 1]);
      const x = (await batch.x.data()) as Float32Array;
      const first = x.slice(0, 32 * 32);
      const mean = first.reduce((a, b) => a + b, 0) / first.length;
      const sd = Math.sqrt(first.reduce((a, b) => a + (b - mean) ** 2, 0) / first.length);
      assert.ok(Math.abs(mean) < 1e-4 && Math.abs(sd - 1) < 1e-3, `per-image z-score (${mean}, ${sd})`);
      const y = await batch.y.data();
      const d = await cache.load(doctor[0]!);
      for (let i = 0; i < 32 * 32; i++) assert.equal(y[i * 4], d.targets[0]![i]! / 255);
      const aug = await makeBatch([doctor[0]!, doctor[1]!], cache, { rng: new Rng(3), options: DEFAULT_AUGMENT });
      assert.deepEqual(aug.y.shape, [2, 32, 32, 4]);
      const ay = await aug.y.data();
      assert.ok(ay.every((v) => v >= 0 && v <= 1));
      disposeBatch(aug);
    } finally {
      disposeBatch(batch);
    }
    assert.equal(tf.memory().numTensors, 0);
  });
});

describe('nifti: image/mask volume pairs (MedSeg layout) sliced along z', () => {
  const W = 256;
  let dir = '';
  let imagePath = '', maskPath = '';
  let depth = 0;
  /** Per slice: the source CT grey levels and the expected infection / ground-glass / consolidation planes (0/255). */
  const expected: { ct: Uint8Array; infection: Uint8Array; gg: Uint8Array; cons: Uint8Array; effusion: number }[] = [];

  before(async () => {
    await initNodeBackend('wasm');
    // 8 consecutive ma2020 slices of coronacases_002 (0200…0207), else the 3 fixture slices.
    const real = hasSharedData();
    const root = real ? SHARED_MA2020 : join(FIX.maCt, '..');
    const names = real ? Array.from({ length: 8 }, (_, k) => `${String(200 + k).padStart(4, '0')}.png`) : FIX.maIds.map((id) => `${id}.png`);
    depth = names.length;
    const dims: [number, number, number] = [W, W, depth];
    const affine = diagonalAffine([0.7, 0.7, 2.5]);
    const layout = sliceLayout({ dims, affine });
    const hu = new Int16Array(W * W * depth);
    const labels = new Uint8Array(W * W * depth);
    for (const [k, name] of names.entries()) {
      const ct = (await readImageFile(join(root, 'ct', name))).gray;
      const covid = (await readImageFile(join(root, 'covid', name))).gray;
      // Stored in HU (display → HU through the default window), so the reader's HU path and windowing run.
      insertSlice(hu, layout, k, Array.from(ct, (v) => Math.round((v * 1500) / 255 - 1250)));
      // Infection split into ground-glass (left half of the slice) and consolidation (right half);
      // an effusion block (3) on background pixels at the bottom, which must not count as infection.
      const lab = new Uint8Array(W * W), infection = new Uint8Array(W * W), gg = new Uint8Array(W * W), cons = new Uint8Array(W * W);
      let effusion = 0;
      for (let i = 0; i < W * W; i++) {
        const col = i % W, row = Math.floor(i / W);
        if (covid[i]! > 127) {
          lab[i] = col < W / 2 ? 1 : 2;
          infection[i] = 255;
          (col < W / 2 ? gg : cons)[i] = 255;
        } else if (row >= 200 && row < 230 && col >= 100 && col < 150) {
          lab[i] = 3;
          effusion++;
        }
      }
      insertSlice(labels, layout, k, lab);
      expected.push({ ct, infection, gg, cons, effusion });
    }
    dir = await tempDir('nifti');
    imagePath = join(dir, 'tr_im.nii.gz');
    maskPath = join(dir, 'tr_mask.nii.gz');
    const geometry = { dims, affine, spacingMm: [0.7, 0.7, 2.5] as [number, number, number], source: { format: 'array' as const } };
    await writeFile(imagePath, await writeNifti(hu, dims, { geometry, gzip: true }));
    await writeFile(maskPath, await writeNifti(labels, dims, { geometry, gzip: true }));
    assert.ok(expected.some((e) => e.infection.some((v) => v)), 'some slice has infection');
  });

  it('parseDataSpec: nifti needs masks=, accepts group= and weight=', () => {
    assert.deepEqual(parseDataSpec('nifti:/d/tr_im.nii.gz,masks=/d/tr_mask.nii.gz,weight=0.5,group=slice'),
      { kind: 'nifti', path: '/d/tr_im.nii.gz', masks: '/d/tr_mask.nii.gz', weight: 0.5, pseudoWeight: 0, group: 'slice' });
    assert.throws(() => parseDataSpec('nifti:/d/tr_im.nii.gz'), errCode('INVALID_OPTIONS', 'masks='));
    assert.throws(() => parseDataSpec('nifti:/d/tr_im.png,masks=/d/m.nii'), errCode('INVALID_OPTIONS', '.nii'));
    assert.throws(() => parseDataSpec('nifti:/d/a.nii,masks=/d/m.nii,group='), errCode('INVALID_OPTIONS', 'group='));
    assert.throws(() => parseDataSpec('pairs:/a,masks=/b,group=x'), errCode('INVALID_OPTIONS', 'group=x'));
  });

  it('discovery: one sample per slice, ids, labels, volume / slice / named groups', async () => {
    const { samples, sourceWeights } = await loadDataSpec(parseDataSpec(`nifti:${imagePath},masks=${maskPath},weight=0.3`));
    assert.equal(samples.length, depth);
    assert.deepEqual(samples.map((s) => s.id), Array.from({ length: depth }, (_, z) => `nifti-tr_im-${z}`));
    assert.deepEqual(samples.map((s) => s.slice), Array.from({ length: depth }, (_, z) => ({ index: z })));
    assert.deepEqual(new Set(samples.map((s) => s.group)), new Set(['nifti-tr_im']), 'a volume is one patient by default');
    assert.deepEqual(sourceWeights, { [`nifti:${imagePath}`]: 0.3 });
    for (const s of samples) {
      assert.equal(s.image, imagePath);
      assert.deepEqual(s.labels.infection, { path: maskPath, encoding: { kind: 'nonzero-except', except: [3] } });
      assert.deepEqual(s.labels['ground-glass'], { path: maskPath, encoding: { kind: 'index', value: 1 } });
      assert.deepEqual(s.labels.consolidation, { path: maskPath, encoding: { kind: 'index', value: 2 } });
      assert.equal(s.labels.lungs, undefined);
    }
    const perSlice = (await loadDataSpec(parseDataSpec(`nifti:${imagePath},masks=${maskPath},group=slice`))).samples;
    assert.deepEqual(perSlice.map((s) => s.group), perSlice.map((s) => s.id));
    const named = (await loadDataSpec(parseDataSpec(`nifti:${imagePath},masks=${maskPath},group=patient-7`))).samples;
    assert.ok(named.every((s) => s.group === 'patient-7'));
    // The split keeps a one-group volume on one side; per-slice groups spread.
    const one = splitByGroup(samples, { validation: 0.3, test: 0 }, 1);
    assert.ok([one.train, one.validation].some((side) => side.length === depth));
    const spread = splitByGroup(perSlice, { validation: 0.3, test: 0 }, 1);
    assert.ok(spread.validation.length > 0 && spread.train.length > 0);
  });

  it('SliceCache: at the native 256 the slices and labels equal the sources; effusion is not infection', async () => {
    const { samples } = await loadDataSpec(parseDataSpec(`nifti:${imagePath},masks=${maskPath}`));
    const cache = new SliceCache(W, CLASS_NAMES);
    for (const [z, s] of samples.entries()) {
      const d = await cache.load(s);
      const e = expected[z]!;
      assert.deepEqual(d.image, e.ct, `slice ${z}: HU → default window → the source grey levels`);
      assert.deepEqual(d.targets[0], e.infection, `slice ${z} infection`);
      assert.deepEqual(d.targets[1], e.gg, `slice ${z} ground-glass`);
      assert.deepEqual(d.targets[2], e.cons, `slice ${z} consolidation`);
      assert.equal(d.targets[3], null, 'no lung labels');
      assert.ok(e.effusion > 0);
      assert.strictEqual(await cache.load(s), d, 'cache hit');
    }
    const small = await new SliceCache(64, ['infection', 'consolidation']).load(samples[0]!);
    assert.equal(small.image.length, 64 * 64);
    assert.ok(small.targets.every((t) => t!.length === 64 * 64 && t!.every((v) => v === 0 || v === 255)));
  });

  it('a mask volume whose dims differ from the image is refused, naming both files', async () => {
    const badMask = join(dir, 'short_mask.nii');
    await writeFile(badMask, await writeNifti(new Uint8Array(W * W * (depth - 1)), [W, W, depth - 1]));
    await assert.rejects(loadDataSpec(parseDataSpec(`nifti:${imagePath},masks=${badMask}`)), errCode('INVALID_INPUT', 'short_mask.nii'));
    const s: SampleRef = {
      id: 'bad', group: 'bad', source: 'bad', image: imagePath, slice: { index: 0 },
      labels: { infection: { path: badMask, encoding: { kind: 'nonzero-except', except: [3] } } },
    };
    await assert.rejects(new SliceCache(32, ['infection']).load(s), (e: Error & { code?: string }) =>
      e.code === 'INVALID_INPUT' && e.message.includes('short_mask.nii') && e.message.includes('tr_im.nii.gz'));
  });

  it('tvunet train --data nifti:… runs 2 real steps and exports', async () => {
    const out = join(dir, 'run');
    const r = await runCli([
      'train', '--data', `nifti:${imagePath},masks=${maskPath},group=slice`, '--out', out,
      '--size', '32', '--depth', '2', '--base', '4', '--classes', 'infection,ground-glass,consolidation',
      '--batch-size', '2', '--epochs', '1', '--steps-per-epoch', '2', '--no-augment', '--backend', 'wasm', '--val-fraction', '0.3',
    ], { timeoutMs: 240_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`data: ${depth} slices`));
    assert.match(r.stdout, /trained 2 steps/);
    const split = JSON.parse(await readFile(join(out, 'split.json'), 'utf8')) as { validation: { ids: string[] } };
    assert.ok(split.validation.ids.every((id) => id.startsWith('nifti-tr_im-')));
    assert.ok((await stat(join(out, 'model/float32'))).isDirectory() || (await stat(join(out, 'model'))).isDirectory());
  });
});
