/**
 * Whole-volume segmentation: a CT volume is cut into axial slices (see ./orientation.ts), each
 * slice goes through a slice segmenter (an in-process `Segmenter`, a worker segmenter or a
 * worker pool, several slices in flight for a pool), the slice maps are put back into the
 * volume's voxel grid, and the masks are cleaned up in 3D (hole filling, restriction to the
 * predicted lungs, minimum lesion volume in mL) before the burden is measured.
 */
import { TvunetError } from '../errors.js';
import type { ModelManifest } from '../io/manifest.js';
import { boxGrid, cropToBox, foregroundBox, pasteBox } from '../postprocess/box.js';
import { fillHoles, removeSmallComponents, restrictToMask, type Connectivity3D } from '../postprocess/index.js';
import type { RawSlice } from '../preprocess/input.js';
import type { SegmentOptions } from '../segmenter/options.js';
import type { SegmentationResult } from '../segmenter/result.js';
import { burdenInBox, type BurdenReport } from './burden.js';
import { extractSlice, insertSlice, sliceLayout, type SliceLayout, type SliceOrientation } from './orientation.js';
import { checkVolume, voxelVolumeMl, type Volume, type VolumeGeometry } from './volume.js';

/**
 * Anything that segments one slice like `Segmenter.segment`: a `Segmenter`, a worker segmenter
 * (tvunet/worker) or a worker pool. `concurrency` (a pool's size) is how many slices
 * {@link segmentVolume} keeps in flight; default 1.
 */
export interface SliceSegmenter {
  readonly manifest: ModelManifest;
  segment(input: RawSlice, options?: SegmentOptions): Promise<SegmentationResult>;
  readonly concurrency?: number;
}

/** 3D clean-up, applied after all slices are segmented. */
export interface VolumePostprocessOptions {
  /** Remove infection components (lesions) smaller than this many mL (from the voxel spacing). Default 0. */
  minLesionMl?: number;
  /** Fill holes of the infection and lung masks in 3D (cavities not connected to the volume's border). Default false. */
  fillHoles?: boolean;
  /** Keep infection only inside the predicted lungs. Default: true when the model has a 'lungs' class. */
  restrictToLungs?: boolean;
  /** Foreground connectivity of lesions and lungs: 6 (faces) or 26 (default; 18 is accepted too). */
  connectivity?: Connectivity3D;
}

export interface VolumeProgress {
  /** Slices segmented so far. */
  done: number;
  total: number;
}

export interface SegmentVolumeOptions {
  /** One threshold for all classes, or per class name (as for `Segmenter.segment`). */
  threshold?: number | Record<string, number>;
  postprocess?: VolumePostprocessOptions;
  /** Called after every slice. */
  onProgress?: (progress: VolumeProgress) => void;
  /** Aborting rejects with TvunetError('CANCELLED'); slices already in flight finish unobserved. */
  signal?: AbortSignal;
  /**
   * The class whose mask is "infection" (default 'infection'; without it, the union of
   * 'ground-glass' and 'consolidation'; else the first class that is not 'lungs').
   */
  infectionClass?: string;
  /** Which probability volumes to keep (Float32, 4 bytes a voxel each): default 'infection'. */
  keepProbabilities?: 'infection' | 'all' | 'none';
  /** How slices are cut (default 'radiological', see SliceOrientation). */
  sliceOrientation?: SliceOrientation;
}

export interface VolumeClassResult {
  name: string;
  /** Threshold the slice segmenter applied. */
  threshold: number;
  /**
   * Final mask, x fastest: the post-processed infection and lung masks; for 'ground-glass' and
   * 'consolidation' the voxels of the label volume with that label (see `labels`); other classes
   * thresholded only.
   */
  mask: Uint8Array;
  /** Probabilities (0…1) when kept (see keepProbabilities), else null. */
  probabilities: Float32Array | null;
  volumeMl: number;
}

export interface VolumeSegmentation extends VolumeGeometry {
  classes: VolumeClassResult[];
  /** The infection that the burden measures. */
  infection: {
    /** The class it comes from, or 'ground-glass+consolidation' for their union. */
    source: string;
    /** Final (post-processed) mask. */
    mask: Uint8Array;
    /** Infection probability: the class's, or max(ground-glass, consolidation); null when keepProbabilities is 'none'. */
    probabilities: Float32Array | null;
  };
  /**
   * uint8 label volume: 0 background; with 'ground-glass' and 'consolidation' classes,
   * 1 = ground-glass and 2 = consolidation (every infected voxel gets the one of the two with
   * the higher probability); otherwise 1 = infection.
   */
  labels: Uint8Array;
  /** Name of each label value; index 0 is 'background'. */
  labelNames: string[];
  burden: BurdenReport;
  /** How the slices were cut. */
  layout: SliceLayout;
  /** Non-fatal remarks (e.g. non-finite voxels replaced). */
  warnings: string[];
  timings: { totalMs: number; segmentMs: number; postprocessMs: number; slicesPerSecond: number };
}

const now = () => performance.now();

function cancelled(): TvunetError {
  return new TvunetError('CANCELLED', 'segmentVolume was cancelled');
}

function checkOptions(options: SegmentVolumeOptions): void {
  const pp = options.postprocess ?? {};
  if (pp.minLesionMl !== undefined && !(Number.isFinite(pp.minLesionMl) && pp.minLesionMl >= 0)) {
    throw new TvunetError('INVALID_OPTIONS', `postprocess.minLesionMl must be a finite number ≥ 0, got ${String(pp.minLesionMl)}`);
  }
  if (pp.connectivity !== undefined && ![6, 18, 26].includes(pp.connectivity)) {
    throw new TvunetError('INVALID_OPTIONS', `postprocess.connectivity must be 6 or 26 (or 18), got ${String(pp.connectivity)}`);
  }
  if (options.keepProbabilities !== undefined && !['infection', 'all', 'none'].includes(options.keepProbabilities)) {
    throw new TvunetError('INVALID_OPTIONS', `keepProbabilities must be 'infection', 'all' or 'none', got ${String(options.keepProbabilities)}`);
  }
  if (options.sliceOrientation !== undefined && !['radiological', 'stored'].includes(options.sliceOrientation)) {
    throw new TvunetError('INVALID_OPTIONS', `sliceOrientation must be 'radiological' or 'stored', got ${String(options.sliceOrientation)}`);
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new TvunetError('INVALID_OPTIONS', 'onProgress must be a function');
}

/**
 * The label volume (0, or the infected voxel's subtype, or 1 without subtypes), the ground-glass
 * and consolidation masks when there are subtypes, and voxel counts, in one pass. Its own function
 * so that the loop is optimised (code in the tail of a long async function may run unoptimised).
 */
function labelVoxels(infection: Uint8Array, subtype: Uint8Array | null, lungs: Uint8Array | null) {
  const n = infection.length;
  const labels = new Uint8Array(n);
  const groundGlass = subtype ? new Uint8Array(n) : null, consolidation = subtype ? new Uint8Array(n) : null;
  const labelCounts = new Float64Array(3);
  let lungVoxels = 0;
  for (let i = 0; i < n; i++) {
    if (lungs && lungs[i] !== 0) lungVoxels++;
    if (infection[i] === 0) continue;
    const label = subtype ? subtype[i]! : 1;
    labels[i] = label;
    labelCounts[label]!++;
    if (label === 1 && groundGlass) groundGlass[i] = 1;
    else if (label === 2 && consolidation) consolidation[i] = 1;
  }
  labelCounts[0] = n - labelCounts[1]! - labelCounts[2]!;
  return { labels, groundGlass, consolidation, labelCounts, lungVoxels };
}

/**
 * Segments a CT volume slice by slice and post-processes it in 3D. Returns per-class masks (and
 * the probabilities asked for), a label volume ready for {@link writeLabelNifti}, and the
 * {@link BurdenReport}. Rejects with TvunetError: 'INVALID_INPUT' (bad volume), 'INVALID_OPTIONS',
 * 'CANCELLED' (signal aborted), or whatever the slice segmenter rejects with.
 */
export async function segmentVolume(segmenter: SliceSegmenter, volume: Volume, options: SegmentVolumeOptions = {}): Promise<VolumeSegmentation> {
  const t0 = now();
  const dims = checkVolume(volume);
  checkOptions(options);
  if (!segmenter || typeof segmenter.segment !== 'function' || !segmenter.manifest) {
    throw new TvunetError('INVALID_OPTIONS', 'segmentVolume needs a Segmenter, a worker segmenter or a worker pool');
  }
  const { signal } = options;
  if (signal?.aborted) throw cancelled();

  const names = segmenter.manifest.classes.map((c) => c.name);
  const index = (name: string) => names.indexOf(name);
  const lungsIdx = index('lungs'), ggIdx = index('ground-glass'), consIdx = index('consolidation');
  let infectionIdx: number;
  if (options.infectionClass !== undefined) {
    infectionIdx = index(options.infectionClass);
    if (infectionIdx < 0) throw new TvunetError('INVALID_OPTIONS', `infectionClass "${options.infectionClass}" is not a class of the model (${names.join(', ')})`);
  } else {
    infectionIdx = index('infection');
    if (infectionIdx < 0 && (ggIdx < 0 || consIdx < 0)) infectionIdx = names.findIndex((n) => n !== 'lungs');
  }
  const union = infectionIdx < 0; // ground-glass ∪ consolidation
  if (union && (ggIdx < 0 || consIdx < 0)) throw new TvunetError('INVALID_OPTIONS', `the model has no infection class (${names.join(', ')})`);
  const subtyped = ggIdx >= 0 && consIdx >= 0;
  const keep = options.keepProbabilities ?? 'infection';

  const layout = sliceLayout(volume, options.sliceOrientation ?? 'radiological');
  const n = volume.data.length;
  const nClasses = names.length;
  // Masks are kept where the result needs them: the infection (for a union, the union itself),
  // the lungs, and classes returned thresholded only ("plain"); ground-glass and consolidation
  // masks come from the label volume.
  const plain = (c: number) => c !== infectionIdx && c !== lungsIdx && !(subtyped && (c === ggIdx || c === consIdx));
  const masks = names.map((_, c) => (c === infectionIdx || c === lungsIdx || plain(c) ? new Uint8Array(n) : null));
  const unionMask = union ? new Uint8Array(n) : null;
  const plainCounts = new Float64Array(names.length); // voxels of each plain mask
  const probs: (Float32Array | null)[] = names.map((_, c) => (keep === 'all' ? new Float32Array(n) : null));
  let infectionProb: Float32Array | null = null;
  if (keep !== 'none') infectionProb = !union && probs[infectionIdx] ? probs[infectionIdx]! : new Float32Array(n);
  if (!union && keep === 'infection') probs[infectionIdx] = infectionProb;
  const subtype = subtyped ? new Uint8Array(n) : null;
  const thresholds = new Array<number>(nClasses).fill(Number.NaN);
  const warnings: string[] = [];
  let nonFinite = 0;

  const sliceOptions: SegmentOptions = { postprocess: { minRegionPixels: 0, fillHoles: false } };
  if (options.threshold !== undefined) sliceOptions.threshold = options.threshold;
  const fillValue = volume.kind === 'hu' ? -1024 : 0;
  const area = layout.width * layout.height;
  const total = layout.depth;
  const lanes = Math.max(1, Math.min(total, Math.floor(segmenter.concurrency ?? 1)));
  let next = 0, done = 0, stopped = false;

  const onAbort = { reject: (_: TvunetError) => undefined as void };
  const aborted = new Promise<never>((_, reject) => (onAbort.reject = reject));
  aborted.catch(() => undefined);
  const abortListener = () => {
    stopped = true;
    onAbort.reject(cancelled());
  };
  signal?.addEventListener('abort', abortListener, { once: true });

  const lane = async () => {
    const gather = new Float32Array(area); // reused: each lane awaits its slice
    const combined = union && infectionProb ? new Float32Array(area) : null;
    const either = unionMask ? new Uint8Array(area) : null;
    const kinds = subtype ? new Uint8Array(area) : null;
    while (!stopped) {
      const s = next++;
      if (s >= total) return;
      const pixels = extractSlice(volume.data, layout, s, gather);
      for (let i = 0; i < area; i++) {
        if (!Number.isFinite(pixels[i]!)) {
          pixels[i] = fillValue;
          nonFinite++;
        }
      }
      const r = await segmenter.segment({ data: pixels, width: layout.width, height: layout.height, kind: volume.kind }, sliceOptions);
      if (stopped) return;
      if (r.width !== layout.width || r.height !== layout.height || r.classes.length !== nClasses) {
        throw new TvunetError('INVALID_INPUT', `slice ${s}: the segmenter returned ${r.width}×${r.height} with ${r.classes.length} classes, expected ${layout.width}×${layout.height} with ${nClasses}`);
      }
      for (let c = 0; c < nClasses; c++) {
        const cls = r.classes[c]!;
        thresholds[c] = cls.threshold;
        if (masks[c]) insertSlice(masks[c]!, layout, s, cls.mask);
        if (probs[c]) insertSlice(probs[c]!, layout, s, cls.probabilities);
        if (plain(c)) {
          let k = 0;
          for (let i = 0; i < area; i++) k += cls.mask[i] !== 0 ? 1 : 0;
          plainCounts[c] = plainCounts[c]! + k;
        }
      }
      if (either) {
        const g = r.classes[ggIdx]!.mask, k = r.classes[consIdx]!.mask;
        for (let i = 0; i < area; i++) either[i] = g[i]! | k[i]!;
        insertSlice(unionMask!, layout, s, either);
      }
      if (combined || kinds) {
        const g = r.classes[ggIdx]!.probabilities, k = r.classes[consIdx]!.probabilities;
        if (combined) {
          for (let i = 0; i < area; i++) combined[i] = Math.max(g[i]!, k[i]!);
          insertSlice(infectionProb!, layout, s, combined);
        }
        if (kinds) {
          for (let i = 0; i < area; i++) kinds[i] = k[i]! > g[i]! ? 2 : 1;
          insertSlice(subtype!, layout, s, kinds);
        }
      }
      done++;
      options.onProgress?.({ done, total });
    }
  };

  const running = Promise.all(Array.from({ length: lanes }, lane));
  running.catch(() => undefined);
  try {
    await Promise.race([running, aborted]);
  } catch (e) {
    stopped = true;
    throw e;
  } finally {
    signal?.removeEventListener('abort', abortListener);
  }
  if (signal?.aborted) throw cancelled();
  if (nonFinite > 0) warnings.push(`${nonFinite} NaN or infinite voxel(s) were segmented as ${fillValue}`);
  const t1 = now();

  // 3D post-processing, inside the box around the infection and lung masks: outside it both are
  // background, and it is a fraction of a CT volume.
  const pp = options.postprocess ?? {};
  const connectivity = pp.connectivity ?? 26;
  const background: Connectivity3D = connectivity === 6 ? 26 : 6; // complementary, for hole filling
  const rawInfection = unionMask ?? masks[infectionIdx]!;
  const rawLungs = lungsIdx >= 0 ? masks[lungsIdx]! : null;
  const restrict = pp.restrictToLungs ?? rawLungs !== null;
  if (restrict && !rawLungs) throw new TvunetError('INVALID_OPTIONS', `postprocess.restrictToLungs needs a 'lungs' class; the model has ${names.join(', ')}`);
  const grid = { width: dims[0], height: dims[1], depth: dims[2], is3D: true };
  const box = foregroundBox(rawLungs ? [rawInfection, rawLungs] : [rawInfection], grid);
  const crop = (m: Uint8Array) => (box ? cropToBox(m, grid, box) : new Uint8Array(0));
  const uncrop = (m: Uint8Array) => {
    const out = new Uint8Array(n);
    if (box) pasteBox(out, grid, box, m);
    return out;
  };
  let infection = crop(rawInfection);
  let lungs = rawLungs && crop(rawLungs);
  const spacing = volume.spacingMm;
  const voxelMl = voxelVolumeMl(spacing);
  if (box) {
    const { width, height, depth } = boxGrid(box, grid);
    const inner = { width, height, depth };
    if (pp.fillHoles) {
      infection = fillHoles(infection, inner, background);
      if (lungs) lungs = fillHoles(lungs, inner, background);
    }
    if (restrict) infection = restrictToMask(infection, lungs!);
    if (pp.minLesionMl) infection = removeSmallComponents(infection, inner, (pp.minLesionMl / voxelMl) * (1 - 1e-9), connectivity);
  }
  if (signal?.aborted) throw cancelled();

  const { labels: labelsInBox, groundGlass: ggInBox, consolidation: consInBox, labelCounts, lungVoxels } = labelVoxels(infection, subtyped ? crop(subtype!) : null, lungs);
  const labelNames = subtyped ? ['background', 'ground-glass', 'consolidation'] : ['background', union ? 'infection' : names[infectionIdx]!];
  const burden = burdenInBox({
    infection, lungs, dims, spacingMm: spacing, affine: volume.affine, connectivity, layout,
    ...(subtyped ? { labels: labelsInBox, labelNames } : {}),
  }, box);
  const infectionMask = uncrop(infection), lungsMask = lungs && uncrop(lungs);
  const classes: VolumeClassResult[] = names.map((name, c) => {
    let mask: Uint8Array, voxels: number;
    if (c === infectionIdx) [mask, voxels] = [infectionMask, infection.length - labelCounts[0]!];
    else if (c === lungsIdx) [mask, voxels] = [lungsMask!, lungVoxels];
    else if (plain(c)) [mask, voxels] = [masks[c]!, plainCounts[c]!];
    else if (c === ggIdx) [mask, voxels] = [uncrop(ggInBox!), labelCounts[1]!];
    else [mask, voxels] = [uncrop(consInBox!), labelCounts[2]!];
    return { name, threshold: thresholds[c]!, mask, probabilities: probs[c] ?? null, volumeMl: voxels * voxelMl };
  });
  const labels = uncrop(labelsInBox);
  const t2 = now();
  return {
    dims, spacingMm: [...spacing], affine: volume.affine.map((r) => r.slice()), source: volume.source,
    classes,
    infection: { source: union ? 'ground-glass+consolidation' : names[infectionIdx]!, mask: infectionMask, probabilities: infectionProb },
    labels, labelNames, burden, layout, warnings,
    timings: { totalMs: t2 - t0, segmentMs: t1 - t0, postprocessMs: t2 - t1, slicesPerSecond: total / ((t1 - t0) / 1000) },
  };
}
