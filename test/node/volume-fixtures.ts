/**
 * Test volumes for the volume*.test.ts files: stacks of consecutive real CT slices of one patient
 * (ma2020-ct-infection-256, coronacases_002: files 0200…; or the three committed fixture slices,
 * of three patients, when ../shared/data is missing), random-weights models, and DICOM series
 * written with dcmjs.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import dcmjs from 'dcmjs';
import { PNG } from 'pngjs';
import { TvunetError } from '../../src/errors.js';
import { encodeModel, type EncodedModel } from '../../src/io/index.js';
import { initUNetWeights, type UNetConfig } from '../../src/model/index.js';
import { Rng } from '../../trainer/src/data/rng.js';

const repo = resolve(import.meta.dirname, '../..');
const SHARED = resolve(repo, '../shared/data/ma2020-ct-infection-256');
const FIXTURES = resolve(repo, 'test/fixtures/ma2020');

export interface CtStack {
  width: number;
  height: number;
  depth: number;
  /** Grey levels 0…255 (CLAHE-enhanced, as published), x fastest, slice k = file k. */
  display: Uint8Array;
  /** Lung masks 0/1 of the same slices. */
  lungs: Uint8Array;
  /** The files used, and whether they are consecutive slices of one patient. */
  files: string[];
  consecutive: boolean;
}

function gray(png: PNG): Uint8Array {
  const out = new Uint8Array(png.width * png.height);
  for (let i = 0; i < out.length; i++) out[i] = png.data[4 * i]!;
  return out;
}

/** `n` consecutive slices of one patient (files 0200…, coronacases_002), or the fixture slices. */
export async function loadCtStack(n: number): Promise<CtStack> {
  const shared = existsSync(resolve(SHARED, 'ct/0200.png'));
  const root = shared ? SHARED : FIXTURES;
  const names = shared ? Array.from({ length: n }, (_, k) => `${String(200 + k).padStart(4, '0')}.png`) : ['0200.png', '1150.png', '1530.png'];
  if (!shared) console.log('../shared/data missing: stacking the three committed fixture slices (three patients)');
  let width = 0, height = 0;
  const slices: Uint8Array[] = [], lungs: Uint8Array[] = [];
  for (const name of names) {
    const ct = PNG.sync.read(await readFile(resolve(root, 'ct', name)));
    const lung = PNG.sync.read(await readFile(resolve(root, 'lungs', name)));
    [width, height] = [ct.width, ct.height];
    slices.push(gray(ct));
    lungs.push(gray(lung).map((v) => (v > 127 ? 1 : 0)));
  }
  const depth = names.length, area = width * height;
  const display = new Uint8Array(area * depth), lungMask = new Uint8Array(area * depth);
  slices.forEach((s, k) => display.set(s, k * area));
  lungs.forEach((s, k) => lungMask.set(s, k * area));
  return { width, height, depth, display, lungs: lungMask, files: names.map((f) => resolve(root, 'ct', f)), consecutive: shared };
}

/** Display grey level → HU through the default lung window [-1250, 250], rounded to integer HU. */
export function displayToHu(v: number): number {
  return Math.round((v * 1500) / 255 - 1250);
}

export const CLASSES4 = ['infection', 'ground-glass', 'consolidation', 'lungs'];

/** A model with SEEDED RANDOM WEIGHTS (initUNetWeights): for plumbing tests, not skill. */
export async function randomModel(config: UNetConfig, classes: string[], seed: number, threshold = 0.5): Promise<EncodedModel> {
  await tf.ready();
  const w = initUNetWeights(config, seed);
  const named = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, t] of Object.entries(w)) named.set(name, { shape: t.shape.slice(), data: (await t.data()) as Float32Array });
  tf.dispose(Object.values(w));
  return encodeModel(named, { name: `random-weights-${seed}`, architecture: config, classes: classes.map((name) => ({ name, threshold })) }, { dtype: 'float32' });
}

/** Seeded uniform [0, 1) numbers (the trainer's mulberry32). */
export function prng(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = items.slice(), rand = prng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export async function rejectsWithCode(p: Promise<unknown> | (() => unknown), code: string, message?: RegExp): Promise<TvunetError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    assert.ok(e instanceof TvunetError, `expected a TvunetError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return e;
  }
  assert.fail(`expected a rejection with ${code}${message ? ` matching ${message}` : ''}`);
}

/** One CT slice as DICOM Part 10 bytes, written by dcmjs (explicit VR little endian). */
export interface DicomSliceSpec {
  rows: number;
  columns: number;
  /** Stored values, row-major (Int16Array: PixelRepresentation 1; Uint16Array: 0). */
  pixels: Int16Array | Uint16Array;
  bitsStored?: number;
  slope?: number;
  intercept?: number;
  position: [number, number, number];
  orientation?: number[];
  /** [row spacing, column spacing] as in PixelSpacing (0028,0030). */
  pixelSpacing?: [number, number];
  modality?: string;
  seriesUid?: string;
  instanceNumber?: number;
  sopUid: string;
}

export function dicomSlice(spec: DicomSliceSpec): Uint8Array {
  const signed = spec.pixels instanceof Int16Array;
  const dataset = {
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.2', // CT Image Storage
    SOPInstanceUID: spec.sopUid,
    StudyInstanceUID: '2.25.1000',
    SeriesInstanceUID: spec.seriesUid ?? '2.25.2000',
    Modality: spec.modality ?? 'CT',
    SeriesDescription: 'stacked ma2020 slices',
    PatientName: 'Test^Phantom',
    InstanceNumber: spec.instanceNumber ?? 1,
    Rows: spec.rows,
    Columns: spec.columns,
    BitsAllocated: 16,
    BitsStored: spec.bitsStored ?? 16,
    HighBit: (spec.bitsStored ?? 16) - 1,
    PixelRepresentation: signed ? 1 : 0,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    RescaleSlope: String(spec.slope ?? 1),
    RescaleIntercept: String(spec.intercept ?? 0),
    ImagePositionPatient: spec.position,
    ImageOrientationPatient: spec.orientation ?? [1, 0, 0, 0, 1, 0],
    PixelSpacing: spec.pixelSpacing ?? [0.7, 0.7],
    SliceThickness: 2.5,
    PixelData: spec.pixels.slice().buffer,
    _vrMap: { PixelData: 'OW' },
    _meta: {},
  };
  return new Uint8Array(dcmjs.data.datasetToBuffer(dataset));
}
