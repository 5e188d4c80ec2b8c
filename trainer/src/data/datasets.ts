/**
 * Discovery of training samples in the real layouts of ../shared/data (see its READMEs) and in
 * generic image/mask folder pairs. Every sample carries a patient group so that splits never put
 * one patient on two sides.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { TvunetError } from '../../../src/errors.js';
import { IMAGE_EXTENSIONS } from '../io/image-files.js';
import { niftiSamples, type NiftiGrouping } from './nifti-pairs.js';

/** Output channels of the shipped model, in order. */
export const CLASS_NAMES = ['infection', 'ground-glass', 'consolidation', 'lungs'] as const;
export type ClassName = (typeof CLASS_NAMES)[number];

/**
 * How a label file encodes one class: binary (non-zero), soft (0…255 → 0…1), a palette / label
 * index, or any non-zero label except some (NIfTI label maps: infection = every label but 3,
 * pleural effusion, in MedSeg masks).
 */
export type LabelEncoding =
  | { kind: 'binary' } | { kind: 'soft' } | { kind: 'index'; value: number }
  | { kind: 'nonzero-except'; except: number[] };

export interface LabelRef {
  path: string;
  encoding: LabelEncoding;
}

export interface SampleRef {
  id: string;
  /** Patient (or near-duplicate) group: the unit of splitting. */
  group: string;
  /** Name of the data source; sampling weights are per source. */
  source: string;
  /** Image file; when `slice` is set, the NIfTI volume the slice is cut from. */
  image: string;
  /** Set when `image` (and the label paths) are volumes: which axial slice (sliceLayout index). */
  slice?: { index: number };
  labels: Partial<Record<ClassName, LabelRef>>;
}

export interface DataSpec {
  kind: 'semiseg' | 'ma2020' | 'pairs' | 'nifti';
  path: string;
  /** `pairs`: folder of masks paired by base name with the images in `path`; `nifti`: the mask volume. */
  masks?: string;
  /** `nifti` only: 'slice' (one group per slice) or a group name for the whole volume; default: the volume is one group. */
  group?: string;
  /** Share of training batches drawn from this spec's sources (relative). */
  weight: number;
  /** `semiseg` only: share of batches from the machine-made pseudo labels (0 leaves them out). */
  pseudoWeight: number;
}

async function listImages(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new TvunetError('INVALID_INPUT', `${dir}: folder not found or unreadable (${(e as NodeJS.ErrnoException).code ?? ''})`, { cause: e });
  }
  return names.filter((n) => (IMAGE_EXTENSIONS as readonly string[]).includes(extname(n).toLowerCase())).sort();
}

const stem = (name: string) => basename(name, extname(name));

/** Patient key shared by the Ma et al. volumes and the COVID-SemiSeg pseudo-label slices. */
export function volumePatient(name: string): string {
  const corona = /coronacases_(?:org_)?0*(\d+)/.exec(name);
  if (corona) return `coronacases_${corona[1]}`;
  const radio = /(?:pneumonia-|radiopaedia_(?:case)?)(\d+)/.exec(name);
  if (radio) return `radiopaedia_${radio[1]}`;
  throw new TvunetError('INVALID_INPUT', `cannot tell the source volume of "${name}"`);
}

/**
 * MedSeg slices that are near duplicates in the training set (COVID-SemiSeg README), grouped so a
 * split keeps each pair on one side.
 */
const MEDSEG_NEAR_DUPLICATES: Record<string, string> = { '43': '10', '46': '5', '17': '4' };
/** Training slices that look like neighbours of held-out test patients: never used for validation. */
export const MEDSEG_TEST_NEIGHBOURS = new Set(['4', '5', '17', '33', '46', '53']);

async function semisegSamples(root: string, pseudo: boolean): Promise<SampleRef[]> {
  const doctor = join(root, 'TrainingSet/LungInfection-Train/Doctor-label');
  const multi = join(root, 'TrainingSet/MultiClassInfection-Train/GT');
  const out: SampleRef[] = [];
  for (const name of await listImages(join(doctor, 'Imgs'))) {
    const id = stem(name);
    const multiPath = join(multi, `${id}.png`);
    const hasMulti = await stat(multiPath).then(() => true, () => false);
    out.push({
      id: `medseg-${id}`,
      group: `medseg-${MEDSEG_NEAR_DUPLICATES[id] ?? id}`,
      source: 'semiseg-doctor',
      image: join(doctor, 'Imgs', name),
      labels: {
        infection: { path: join(doctor, 'GT', `${id}.png`), encoding: { kind: 'binary' } },
        ...(hasMulti
          ? {
              'ground-glass': { path: multiPath, encoding: { kind: 'index', value: 1 } },
              consolidation: { path: multiPath, encoding: { kind: 'index', value: 2 } },
            }
          : {}),
      },
    });
  }
  if (pseudo) {
    const dir = join(root, 'TrainingSet/LungInfection-Train/Pseudo-label');
    for (const name of await listImages(join(dir, 'Imgs'))) {
      out.push({
        id: `pseudo-${stem(name)}`,
        group: volumePatient(name),
        source: 'semiseg-pseudo',
        image: join(dir, 'Imgs', name),
        labels: { infection: { path: join(dir, 'GT', `${stem(name)}.png`), encoding: { kind: 'soft' } } },
      });
    }
  }
  if (out.length === 0) throw new TvunetError('INVALID_INPUT', `${root}: no COVID-SemiSeg slices found`);
  return out;
}

async function ma2020Samples(root: string): Promise<SampleRef[]> {
  let csv: string;
  try {
    csv = await readFile(join(root, 'slices.csv'), 'utf8');
  } catch (e) {
    throw new TvunetError('INVALID_INPUT', `${root}: slices.csv not found (is this the ma2020-ct-infection-256 folder?)`, { cause: e });
  }
  const [header, ...rows] = csv.trim().split(/\r?\n/);
  const cols = header!.split(',');
  const fileCol = cols.indexOf('file');
  const groupCol = cols.indexOf('inferred_patient_group');
  if (fileCol < 0 || groupCol < 0) throw new TvunetError('INVALID_INPUT', `${root}/slices.csv: missing file or inferred_patient_group column`);
  return rows.map((row) => {
    const f = row.split(',');
    const file = f[fileCol]!;
    return {
      id: `ma2020-${stem(file)}`,
      group: volumePatient(f[groupCol]!),
      source: 'ma2020',
      image: join(root, 'ct', file),
      labels: {
        infection: { path: join(root, 'covid', file), encoding: { kind: 'binary' } },
        lungs: { path: join(root, 'lungs', file), encoding: { kind: 'binary' } },
      },
    };
  });
}

/** Images and masks paired by base name (`12.jpg` ↔ `12.png`); every image needs a mask. */
export async function pairedSamples(imagesDir: string, masksDir: string, cls: ClassName = 'infection', encoding: LabelEncoding = { kind: 'binary' }): Promise<SampleRef[]> {
  const images = await listImages(imagesDir);
  const masks = new Map((await listImages(masksDir)).map((m) => [stem(m), m]));
  if (images.length === 0) throw new TvunetError('INVALID_INPUT', `${imagesDir}: no PNG/JPG images`);
  const unpaired = images.filter((i) => !masks.has(stem(i)));
  if (unpaired.length > 0) {
    throw new TvunetError('INVALID_INPUT', `${unpaired.length} image(s) without a mask in ${masksDir}: ${unpaired.slice(0, 5).join(', ')}${unpaired.length > 5 ? ', …' : ''}`);
  }
  return images.map((name) => ({
    id: `pair-${stem(name)}`,
    group: `pair-${stem(name)}`,
    source: `pairs:${imagesDir}`,
    image: join(imagesDir, name),
    labels: { [cls]: { path: join(masksDir, masks.get(stem(name))!), encoding } },
  }));
}

/** `kind:path[,key=value…]`, e.g. `semiseg:../shared/data/covid-semiseg,pseudo=0.3`. */
export function parseDataSpec(text: string): DataSpec {
  const m = /^(semiseg|ma2020|pairs|nifti):([^,]+)(?:,(.*))?$/.exec(text);
  if (!m) throw new TvunetError('INVALID_OPTIONS', `--data "${text}": expected semiseg:DIR, ma2020:DIR, pairs:IMAGES,masks=MASKS or nifti:IMAGE.nii[.gz],masks=MASK.nii[.gz] (optionally ,weight=W ,pseudo=W ,group=NAME)`);
  const spec: DataSpec = { kind: m[1] as DataSpec['kind'], path: m[2]!, weight: 1, pseudoWeight: 0 };
  for (const kv of (m[3] ?? '').split(',').filter(Boolean)) {
    const eq = kv.indexOf('=');
    const [k, v] = eq < 0 ? [kv, undefined] : [kv.slice(0, eq), kv.slice(eq + 1)]; // "weight=1=2" is not weight 1
    const num = v === undefined || v.trim() === '' ? NaN : Number(v); // "weight=" is not 0
    if (k === 'masks' && v) spec.masks = v;
    else if (k === 'group' && v && spec.kind === 'nifti') spec.group = v;
    else if ((k === 'weight' || k === 'pseudo') && Number.isFinite(num) && num >= 0) {
      if (k === 'weight') spec.weight = num;
      else spec.pseudoWeight = num;
    } else throw new TvunetError('INVALID_OPTIONS', `--data "${text}": bad option "${kv}"`);
  }
  if (spec.kind === 'pairs' && !spec.masks) throw new TvunetError('INVALID_OPTIONS', `--data "${text}": pairs needs masks=DIR`);
  if (spec.kind === 'nifti' && !spec.masks) throw new TvunetError('INVALID_OPTIONS', `--data "${text}": expected nifti:IMAGE.nii[.gz],masks=MASK.nii[.gz] (masks= is missing)`);
  if (spec.kind === 'nifti' && !/\.nii(\.gz)?$/i.test(spec.path)) throw new TvunetError('INVALID_OPTIONS', `--data "${text}": nifti needs a .nii or .nii.gz image volume`);
  return spec;
}

/** `group=` of a nifti spec: absent or 'volume' → the volume is one patient; 'slice' → each slice alone; else a group name. */
function niftiGrouping(group: string | undefined): NiftiGrouping {
  if (group === undefined || group === 'volume') return { by: 'volume' };
  if (group === 'slice') return { by: 'slice' };
  return { by: 'name', name: group };
}

/** Samples of one spec, and the sampling weight of each source it yields. */
export async function loadDataSpec(spec: DataSpec): Promise<{ samples: SampleRef[]; sourceWeights: Record<string, number> }> {
  if (spec.kind === 'semiseg') {
    const samples = await semisegSamples(spec.path, spec.pseudoWeight > 0);
    return { samples, sourceWeights: { 'semiseg-doctor': spec.weight, ...(spec.pseudoWeight > 0 ? { 'semiseg-pseudo': spec.pseudoWeight } : {}) } };
  }
  if (spec.kind === 'ma2020') return { samples: await ma2020Samples(spec.path), sourceWeights: { ma2020: spec.weight } };
  const samples = spec.kind === 'nifti' ? await niftiSamples(spec.path, spec.masks!, niftiGrouping(spec.group)) : await pairedSamples(spec.path, spec.masks!);
  return { samples, sourceWeights: { [samples[0]!.source]: spec.weight } };
}
