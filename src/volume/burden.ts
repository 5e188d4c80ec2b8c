/**
 * Infection burden of a segmented CT volume: volumes in mL from the voxel spacing, share of the
 * lung involved (overall and per lung), lesions as 3D connected components, infected area per
 * slice, and a severity grade.
 */
import { TvunetError } from '../errors.js';
import type { Connectivity3D } from '../postprocess/index.js';
import { cropToBox, foregroundBox, type Box } from '../postprocess/box.js';
import { componentsInBox, reachOf, type Component3D } from '../postprocess/components.js';
import { forEachOverlap } from '../postprocess/runs.js';
import { sliceLayout, voxelToWorld, type SliceLayout } from './orientation.js';
import { voxelVolumeMl, type Affine } from './volume.js';

/** Grade 0–5 of the CT severity scale of Pan et al. */
export type SeverityScore = 0 | 1 | 2 | 3 | 4 | 5;

export interface SeverityGrade {
  /** Always 'pan2020-whole-lung' (see {@link ctSeverityGrade}). */
  scheme: 'pan2020-whole-lung';
  score: SeverityScore;
  /** The band, e.g. '5–25 %'. */
  band: string;
  /** The % of lung volume involved it was computed from. */
  percentInvolved: number;
}

const BANDS: readonly { score: SeverityScore; band: string }[] = [
  { score: 0, band: 'none' },
  { score: 1, band: '<5 %' },
  { score: 2, band: '5–25 %' },
  { score: 3, band: '26–49 %' },
  { score: 4, band: '50–75 %' },
  { score: 5, band: '>75 %' },
];

/**
 * Severity grade from the percentage of lung involved, using the bands of the semi-quantitative
 * CT severity score of Pan F, Ye T, Sun P, et al., "Time Course of Lung Changes at Chest CT
 * during Recovery from Coronavirus Disease 2019 (COVID-19)", Radiology 2020;295(3):715–721,
 * doi:10.1148/radiol.2020200370: 0 none, 1 <5 %, 2 5–25 %, 3 26–49 %, 4 50–75 %, 5 >75 %.
 * (Chung M, Bernheim A, Mei X, et al., Radiology 2020;295(1):202–207, use a coarser 0–4 scale in
 * 25 % steps.)
 *
 * IMPORTANT: Pan et al. grade each of the five lobes visually and sum the grades (0–25). Here the
 * bands are applied ONCE to the automatically measured involvement of the WHOLE lung (no lobe
 * segmentation), so the grade is a whole-lung analogue on the 0–5 scale, not the published 0–25
 * total score. On continuous percentages: 0 only for exactly no involvement, 1 for (0, 5),
 * 2 for [5, 25], 3 for (25, 50), 4 for [50, 75], 5 above 75.
 */
export function ctSeverityGrade(percentInvolved: number): SeverityGrade {
  if (!Number.isFinite(percentInvolved) || percentInvolved < 0 || percentInvolved > 100) {
    throw new TvunetError('INVALID_INPUT', `percentInvolved must be in 0…100, got ${percentInvolved}`);
  }
  const p = percentInvolved;
  const index = p === 0 ? 0 : p < 5 ? 1 : p <= 25 ? 2 : p < 50 ? 3 : p <= 75 ? 4 : 5;
  return { scheme: 'pan2020-whole-lung', ...BANDS[index]!, percentInvolved: p };
}

export interface LungBurden {
  lungVolumeMl: number;
  infectedVolumeMl: number;
  percentInvolved: number;
  /** Centroid of the lung component, world mm (RAS). */
  centroidMm: [number, number, number];
}

export interface Lesion {
  volumeMl: number;
  voxels: number;
  /** Centroid, world mm (RAS). */
  centroidMm: [number, number, number];
  /** Lung holding most of its voxels, when the lungs were split. */
  lung: 'left' | 'right' | null;
}

export interface SliceBurden {
  /** Slice index along the layout's slice axis (= voxel coordinate on that axis). */
  index: number;
  infectedAreaMm2: number;
  /** null when there is no lung mask. */
  lungAreaMm2: number | null;
}

export interface BurdenReport {
  spacingMm: [number, number, number];
  voxelVolumeMl: number;
  /** Connectivity used for lesions and lungs (6, 18 or 26). */
  connectivity: Connectivity3D;
  infectedVolumeMl: number;
  /** Infected volume inside the lung mask (equals infectedVolumeMl when restricted to the lungs). */
  infectedInLungsMl: number | null;
  lungVolumeMl: number | null;
  /** 100 × infected-in-lungs / lung volume; null without a (non-empty) lung mask. */
  percentInvolved: number | null;
  /**
   * Per lung, from the two largest 3D components of the lung mask, left / right by the x of their
   * centroids in patient (RAS) coordinates. null when the mask does not split into two lungs
   * (see `perLungNote`).
   */
  perLung: { left: LungBurden; right: LungBurden } | null;
  perLungNote: string | null;
  lesions: {
    count: number;
    /** Largest first. */
    volumesMl: number[];
    /** Largest first. */
    items: Lesion[];
  };
  /** Volumes of the infection subtypes of the label volume (e.g. ground-glass, consolidation). */
  subtypes: { label: number; name: string; volumeMl: number }[];
  /** Which axis the slices of `perSlice` run along (0 x, 1 y, 2 z) and their in-plane pixel area. */
  sliceAxis: 0 | 1 | 2;
  pixelAreaMm2: number;
  perSlice: SliceBurden[];
  /** null without a (non-empty) lung mask. */
  severity: SeverityGrade | null;
}

export interface BurdenInput {
  /** Final infection mask (non-zero = infected), x fastest. */
  infection: Uint8Array;
  /** Lung mask, when the model predicts lungs. */
  lungs?: Uint8Array | null;
  dims: [number, number, number];
  spacingMm: [number, number, number];
  /** RAS affine (for centroids and left/right). */
  affine: Affine;
  /** Label volume (0 background, 1…k subtypes) and the name of each label value. */
  labels?: Uint8Array | null;
  labelNames?: readonly string[];
  /** Default 26. */
  connectivity?: Connectivity3D;
  /** Slices for `perSlice` (default: axial, see sliceLayout). */
  layout?: SliceLayout;
  /** The second lung must hold at least this fraction of the first's voxels to count as a lung (default 0.1). */
  minSecondLungFraction?: number;
}

function round(x: number, digits = 6): number {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
}

/** Computes the {@link BurdenReport} of final masks. Exact arithmetic on voxel counts × voxel volume. */
export function computeBurden(input: BurdenInput): BurdenReport {
  const { infection, dims } = input;
  const lungs = input.lungs ?? null;
  const labels = input.labels ?? null;
  const n = dims[0] * dims[1] * dims[2];
  if (!(infection instanceof Uint8Array) || infection.length !== n) throw new TvunetError('INVALID_INPUT', `infection mask must be a Uint8Array of ${n} voxels`);
  if (lungs && (!(lungs instanceof Uint8Array) || lungs.length !== n)) throw new TvunetError('INVALID_INPUT', `lung mask must be a Uint8Array of ${n} voxels`);
  if (labels && (!(labels instanceof Uint8Array) || labels.length !== n)) throw new TvunetError('INVALID_INPUT', `label volume must be a Uint8Array of ${n} voxels`);
  const grid = { width: dims[0], height: dims[1], depth: dims[2], is3D: true };
  const box = foregroundBox(lungs ? [infection, lungs] : [infection], grid);
  const crop = (m: Uint8Array) => (box ? cropToBox(m, grid, box) : new Uint8Array(0));
  return burdenInBox({ ...input, infection: crop(infection), lungs: lungs && crop(lungs), labels: labels && crop(labels) }, box);
}

/**
 * {@link computeBurden} of masks cropped to `box` (row-major in the box), which holds every
 * infected and lung voxel; null when there are none. @internal
 */
export function burdenInBox(input: BurdenInput, box: Box | null): BurdenReport {
  const { infection, dims, spacingMm, affine } = input;
  const lungs = input.lungs ?? null;
  const connectivity = input.connectivity ?? 26;
  const voxelMl = voxelVolumeMl(spacingMm);
  const ml = (voxels: number) => voxels * voxelMl;
  const grid = { width: dims[0], height: dims[1], depth: dims[2], is3D: true };
  const reach = reachOf(connectivity, grid, 3);
  const layout = input.layout ?? sliceLayout({ dims, affine });
  const { sliceAxis } = layout;

  // Counts, per label value and per slice, in one pass over the box.
  let infected = 0, lungVoxels = 0, infectedInLungs = 0;
  const labelCounts = new Float64Array(256);
  const sliceInfected = new Float64Array(layout.depth), sliceLung = new Float64Array(layout.depth);
  if (box) {
    const [x0, y0, z0] = box.min, [x1, y1, z1] = box.max;
    const labels = input.labels ?? null;
    let i = 0;
    for (let z = z0; z <= z1; z++) {
      for (let y = y0; y <= y1; y++) {
        const rowSlice = sliceAxis === 2 ? z : y; // unused when slices run along x
        for (let x = x0; x <= x1; x++, i++) {
          const inf = infection[i] !== 0, lung = lungs !== null && lungs[i] !== 0;
          if (labels) labelCounts[labels[i]!]!++;
          if (!inf && !lung) continue;
          const slice = sliceAxis === 0 ? x : rowSlice;
          if (inf) {
            infected++;
            sliceInfected[slice]!++;
          }
          if (lung) {
            lungVoxels++;
            sliceLung[slice]!++;
            if (inf) infectedInLungs++;
          }
        }
      }
    }
  }

  // Lungs: two largest components → left / right.
  let perLung: BurdenReport['perLung'] = null;
  let perLungNote: string | null = !lungs ? 'no lung mask' : lungVoxels === 0 ? 'the lung mask is empty' : null;
  const lesionCc = box && infected > 0 ? componentsInBox(infection, grid, box, reach) : null;
  let lesionLung: Int32Array | null = null; // per lesion label: voxels in the left lung, in the right
  if (lungs && lungVoxels > 0 && box) {
    const cc = componentsInBox(lungs, grid, box, reach);
    const ranked = [...cc.components].sort((a, b) => b.size - a.size || a.label - b.label);
    const [a, b] = ranked as [Component3D, Component3D | undefined];
    const minFraction = input.minSecondLungFraction ?? 0.1;
    if (!b || b.size < minFraction * a.size) {
      perLungNote = !b ? 'the lung mask is one connected component: left and right not separated' : `the second-largest lung component holds only ${(100 * b.size / a.size).toFixed(1)} % of the largest: left and right not separated`;
    } else {
      const ca = voxelToWorld(affine, a.centroid), cb = voxelToWorld(affine, b.centroid);
      const [right, left] = ca[0] >= cb[0] ? [a, b] : [b, a];
      const lungSide = new Int8Array(cc.runs.count + 1); // per lung label: 0 neither, 1 left, 2 right
      lungSide[left.label] = 1;
      lungSide[right.label] = 2;
      const infectedIn = [0, 0, 0];
      if (lesionCc) {
        const lesionRuns = lesionCc.runs;
        const perLesion = new Int32Array((lesionRuns.count + 1) * 2);
        forEachOverlap(lesionRuns, cc.runs, (lesionRun, lungRun, voxels) => {
          const side = lungSide[cc.runs.label[lungRun]!]!;
          if (side === 0) return;
          infectedIn[side]! += voxels;
          perLesion[2 * lesionRuns.label[lesionRun]! + side - 1]! += voxels;
        });
        lesionLung = perLesion;
      }
      const side = (c: Component3D, k: 1 | 2): LungBurden => ({
        lungVolumeMl: ml(c.size),
        infectedVolumeMl: ml(infectedIn[k]!),
        percentInvolved: (100 * infectedIn[k]!) / c.size,
        centroidMm: voxelToWorld(affine, c.centroid).map((v) => round(v, 3)) as [number, number, number],
      });
      perLung = { left: side(left, 1), right: side(right, 2) };
    }
  }

  // Lesions.
  const items: Lesion[] = (lesionCc?.components ?? []).map((c) => {
    let lung: Lesion['lung'] = null;
    if (lesionLung) {
      const [l, r] = [lesionLung[2 * c.label]!, lesionLung[2 * c.label + 1]!];
      lung = l === 0 && r === 0 ? null : l >= r ? 'left' : 'right';
    }
    return { volumeMl: ml(c.size), voxels: c.size, centroidMm: voxelToWorld(affine, c.centroid).map((v) => round(v, 3)) as [number, number, number], lung };
  });
  items.sort((x, y) => y.voxels - x.voxels);

  const subtypes: BurdenReport['subtypes'] = [];
  if (input.labels && input.labelNames) {
    for (let label = 1; label < input.labelNames.length; label++) subtypes.push({ label, name: input.labelNames[label]!, volumeMl: ml(labelCounts[label]!) });
  }

  const pixelAreaMm2 = spacingMm[layout.columnAxis] * spacingMm[layout.rowAxis];
  const perSlice: SliceBurden[] = Array.from({ length: layout.depth }, (_, s) => ({
    index: s, infectedAreaMm2: sliceInfected[s]! * pixelAreaMm2, lungAreaMm2: lungs ? sliceLung[s]! * pixelAreaMm2 : null,
  }));

  const percentInvolved = lungs && lungVoxels > 0 ? (100 * infectedInLungs) / lungVoxels : null;
  return {
    spacingMm: [...spacingMm],
    voxelVolumeMl: voxelMl,
    connectivity,
    infectedVolumeMl: ml(infected),
    infectedInLungsMl: lungs ? ml(infectedInLungs) : null,
    lungVolumeMl: lungs ? ml(lungVoxels) : null,
    percentInvolved,
    perLung,
    perLungNote,
    lesions: { count: items.length, volumesMl: items.map((l) => l.volumeMl), items },
    subtypes,
    sliceAxis,
    pixelAreaMm2,
    perSlice,
    severity: percentInvolved === null ? null : ctSeverityGrade(Math.min(100, percentInvolved)),
  };
}
