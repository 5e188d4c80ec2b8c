/**
 * Shared helpers of the trainer tests: where the real data is (../shared/data, else the committed
 * fixtures, said out loud), tiny copies of the real folder layouts, tiny models, and running the
 * CLI as a child process.
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeModel } from '../../src/io/codec.js';
import type { WeightsDtype } from '../../src/io/manifest.js';
import { saveModelToPath } from '../../src/io/node-fs.js';
import type { UNetConfig } from '../../src/model/config.js';
import { initUNetWeights } from '../../src/model/unet.js';
import * as tf from '@tensorflow/tfjs-core';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(REPO, 'trainer/bin/tvunet.js');
export const FIXTURES = join(REPO, 'test/fixtures');
export const SHARED_DATA = resolve(REPO, '../shared/data');
export const SHARED_SEMISEG = join(SHARED_DATA, 'covid-semiseg');
export const SHARED_MA2020 = join(SHARED_DATA, 'ma2020-ct-infection-256');

/**
 * Whether the full shared data sets are next to the checkout. TVUNET_TEST_SHARED_DATA=off
 * pretends they are not (to run the fixture fallback on a machine that has them).
 */
export function hasSharedData(): boolean {
  if (process.env.TVUNET_TEST_SHARED_DATA === 'off') return false;
  return existsSync(join(SHARED_SEMISEG, 'TrainingSet/LungInfection-Train/Doctor-label/Imgs')) && existsSync(join(SHARED_MA2020, 'slices.csv'));
}

/** The fixture slices (always present). */
export const FIX = {
  semisegImgs: join(FIXTURES, 'covid-semiseg/Imgs'),
  semisegGT: join(FIXTURES, 'covid-semiseg/GT'),
  semisegMulti: join(FIXTURES, 'covid-semiseg/MultiClassGT'),
  semisegIds: ['3', '13', '32'],
  maCt: join(FIXTURES, 'ma2020/ct'),
  maCovid: join(FIXTURES, 'ma2020/covid'),
  maLungs: join(FIXTURES, 'ma2020/lungs'),
  maIds: ['0200', '1150', '1530'],
  /** Source volumes of the ma2020 fixtures (test/fixtures/README.md). */
  maGroups: { '0200': ['coronacases_002', 'coronacases_002'], '1150': ['coronacases_010', 'coronacases_010'], '1530': ['radiopaedia_40_86625_0', 'radiopaedia_case40'] } as Record<string, [string, string]>,
};

const made: string[] = [];
process.once('exit', () => {
  if (process.env.TVUNET_TEST_KEEP) return;
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder under os.tmpdir(), removed when the test process exits (TVUNET_TEST_KEEP=1 keeps it). */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `tvunet-${prefix}-`));
  made.push(dir);
  return dir;
}

let announced = false;
function announceFallback(what: string): void {
  if (announced) return;
  announced = true;
  const why = process.env.TVUNET_TEST_SHARED_DATA === 'off' ? 'is switched off (TVUNET_TEST_SHARED_DATA=off)' : 'is missing';
  console.log(`# NOTE: ${SHARED_DATA} ${why}: ${what} use the committed fixtures in test/fixtures (3 COVID-SemiSeg + 3 ma2020 slices) instead of the full data sets`);
}

/**
 * Builds a tiny copy of the real folder layouts (covid-semiseg with doctor, multi-class and
 * pseudo labels; ma2020 with slices.csv) from the fixtures, so that `semiseg:` and `ma2020:`
 * discovery runs on the same structure as the shared data.
 */
export async function buildTinyLayouts(root: string): Promise<{ semiseg: string; ma2020: string; pseudoNames: string[] }> {
  const semiseg = join(root, 'covid-semiseg');
  const doctor = join(semiseg, 'TrainingSet/LungInfection-Train/Doctor-label');
  const pseudo = join(semiseg, 'TrainingSet/LungInfection-Train/Pseudo-label');
  const multi = join(semiseg, 'TrainingSet/MultiClassInfection-Train/GT');
  for (const d of [join(doctor, 'Imgs'), join(doctor, 'GT'), multi, join(pseudo, 'Imgs'), join(pseudo, 'GT')]) await mkdir(d, { recursive: true });
  for (const id of FIX.semisegIds) {
    await copyFile(join(FIX.semisegImgs, `${id}.jpg`), join(doctor, 'Imgs', `${id}.jpg`));
    await copyFile(join(FIX.semisegGT, `${id}.png`), join(doctor, 'GT', `${id}.png`));
    await copyFile(join(FIX.semisegMulti, `${id}.png`), join(multi, `${id}.png`));
  }
  // Pseudo-label slices named as in the real data, from the same volumes as the ma2020 fixtures
  // (their images are the doctor-label JPGs: discovery only needs names and a readable pair).
  const pseudoNames = [
    'Data-1_coronacases_org_002_1', 'Data-1_coronacases_org_010_7',
    'Data-1_radiopaedia_org_covid-19-pneumonia-40_86625_0-dcm_3', 'Data-1_radiopaedia_org_covid-19-pneumonia-29_86491_1-dcm_2',
  ];
  for (const [k, name] of pseudoNames.entries()) {
    const id = FIX.semisegIds[k % FIX.semisegIds.length]!;
    await copyFile(join(FIX.semisegImgs, `${id}.jpg`), join(pseudo, 'Imgs', `${name}.jpg`));
    await copyFile(join(FIX.semisegGT, `${id}.png`), join(pseudo, 'GT', `${name}.png`));
  }
  const ma2020 = join(root, 'ma2020-ct-infection-256');
  for (const sub of ['ct', 'covid', 'lungs']) {
    await mkdir(join(ma2020, sub), { recursive: true });
    for (const id of FIX.maIds) await copyFile(join(FIXTURES, 'ma2020', sub, `${id}.png`), join(ma2020, sub, `${id}.png`));
  }
  const rows = FIX.maIds.map((id, k) => `${id}.png,${k},${FIX.maGroups[id]![0]},${FIX.maGroups[id]![1]},0.01`);
  await writeFile(join(ma2020, 'slices.csv'), ['file,inferred_volume_index,inferred_source_volume,inferred_patient_group,infection_pixel_fraction', ...rows].join('\n') + '\n');
  return { semiseg, ma2020, pseudoNames };
}

/** The shared data folders, or (announced on the console) tiny copies of their layout built from the fixtures. */
export async function dataLayouts(): Promise<{ semiseg: string; ma2020: string; real: boolean }> {
  if (hasSharedData()) return { semiseg: SHARED_SEMISEG, ma2020: SHARED_MA2020, real: true };
  announceFallback('the dataset layout tests');
  const built = await buildTinyLayouts(await tempDir('layout'));
  return { semiseg: built.semiseg, ma2020: built.ma2020, real: false };
}

/**
 * Image/mask folders of real doctor-labelled slices for short training runs: `n` COVID-SemiSeg
 * slices from the shared data when present, else the three fixtures (announced).
 */
export async function doctorSlices(n: number): Promise<{ images: string; masks: string; multi: string; ids: string[]; real: boolean }> {
  if (hasSharedData()) {
    const base = join(SHARED_SEMISEG, 'TrainingSet/LungInfection-Train/Doctor-label');
    const dir = await tempDir('slices');
    const ids = ['0', '1', '2', '3', '10', '11', '12', '13'].slice(0, n);
    for (const sub of ['Imgs', 'GT', 'Multi']) await mkdir(join(dir, sub));
    for (const id of ids) {
      await copyFile(join(base, 'Imgs', `${id}.jpg`), join(dir, 'Imgs', `${id}.jpg`));
      await copyFile(join(base, 'GT', `${id}.png`), join(dir, 'GT', `${id}.png`));
      await copyFile(join(SHARED_SEMISEG, 'TrainingSet/MultiClassInfection-Train/GT', `${id}.png`), join(dir, 'Multi', `${id}.png`));
    }
    return { images: join(dir, 'Imgs'), masks: join(dir, 'GT'), multi: join(dir, 'Multi'), ids, real: true };
  }
  announceFallback('training runs');
  return { images: FIX.semisegImgs, masks: FIX.semisegGT, multi: FIX.semisegMulti, ids: FIX.semisegIds.slice(0, n), real: false };
}

export const TINY_CONFIG: UNetConfig = { depth: 2, baseChannels: 4, inputSize: 32, inChannels: 1, outChannels: 1, upsampling: 'transpose' };

/**
 * Writes a model with seeded random (He-normal) weights, not a trained one, in the library's
 * format: for CLI plumbing tests that need a model but no skill.
 */
export async function writeRandomModel(dir: string, config: UNetConfig, classes: string[], opts: { seed?: number; dtype?: WeightsDtype; threshold?: number } = {}): Promise<string> {
  await tf.ready(); // binds the highest-priority registered backend if none is bound yet
  const w = initUNetWeights(config, opts.seed ?? 7);
  const named = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, t] of Object.entries(w)) named.set(name, { shape: t.shape.slice(), data: (await t.data()) as Float32Array });
  tf.dispose(Object.values(w));
  const encoded = await encodeModel(named, {
    name: 'random-test-model', architecture: config,
    classes: classes.map((name) => ({ name, threshold: opts.threshold ?? 0.5 })),
    provenance: { note: 'random weights for tests' },
  }, { dtype: opts.dtype ?? 'float32' });
  await saveModelToPath(dir, encoded);
  return dir;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `node trainer/bin/tvunet.js ...args` from the repository root. */
export function runCli(args: string[], opts: { timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`tvunet ${args.join(' ')} timed out\n${stderr}`)); }, opts.timeoutMs ?? 120_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolvePromise({ code, signal, stdout, stderr, ms: Date.now() - t0 }); });
  });
}

/** Largest relative difference, scaled by the largest magnitude of the reference. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let scale = 0, diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  }
  return diff / Math.max(scale, 1e-12);
}
