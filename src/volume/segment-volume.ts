/**
 * Whole-volume segmentation: a CT volume is cut into axial slices (see ./orientation.ts), each
 * slice goes through a slice segmenter (an in-process `Segmenter`, a worker segmenter or a
 * worker pool, several slices in flight for a pool), the slice maps are put back into the
 * volume's voxel grid, and the masks are cleaned up in 3D (hole filling, restriction to the
 * predicted lungs, minimum lesion volume in mL) before the burden is measured.
 */
import { TvunetError } from '../errors.js';
import type { ModelManifest } from '../io/manifest.js';
import { fillHoles, removeSmallComponents, restrictToMask, type Connectivity3D } from '../postprocess/index.js';
import type { RawSlice } from '../preprocess/input.js';
import type { SegmentOptions } from '../segmenter/options.js';
import type { SegmentationResult } from '../segmenter/result.js';
import { computeBurden, type BurdenReport } from './burden.js';
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
  const masks = names.map(() => new Uint8Array(n));
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
        insertSlice(masks[c]!, layout, s, cls.mask);
        if (probs[c]) insertSlice(probs[c]!, layout, s, cls.probabilities);
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

  // 3D post-processing.
  const pp = options.postprocess ?? {};
  const connectivity = pp.connectivity ?? 26;
  const background: Connectivity3D = connectivity === 6 ? 26 : 6; // complementary, for hole filling
  const grid = { width: dims[0], height: dims[1], depth: dims[2] };
  let infection: Uint8Array;
  if (union) {
    infection = new Uint8Array(n);
    const g = masks[ggIdx]!, k = masks[consIdx]!;
    for (let i = 0; i < n; i++) infection[i] = g[i]! | k[i]!;
  } else {
    infection = masks[infectionIdx]!;
  }
  let lungs: Uint8Array | null = lungsIdx >= 0 ? masks[lungsIdx]! : null;
  if (pp.fillHoles) {
    infection = fillHoles(infection, grid, background);
    if (lungs) lungs = fillHoles(lungs, grid, background);
  }
  const restrict = pp.restrictToLungs ?? lungs !== null;
  if (restrict) {
    if (!lungs) throw new TvunetError('INVALID_OPTIONS', `postprocess.restrictToLungs needs a 'lungs' class; the model has ${names.join(', ')}`);
    infection = restrictToMask(infection, lungs);
  }
  const spacing = volume.spacingMm;
  const voxelMl = voxelVolumeMl(spacing);
  if (pp.minLesionMl) infection = removeSmallComponents(infection, grid, (pp.minLesionMl / voxelMl) * (1 - 1e-9), connectivity);
  if (signal?.aborted) throw cancelled();

  const labels = new Uint8Array(n);
  const labelNames = subtyped ? ['background', 'ground-glass', 'consolidation'] : ['background', union ? 'infection' : names[infectionIdx]!];
  for (let i = 0; i < n; i++) labels[i] = infection[i] === 0 ? 0 : subtype ? subtype[i]! : 1;

  const finalMasks = masks.map((m, c) => {
    if (c === infectionIdx) return infection;
    if (c === lungsIdx && lungs) return lungs;
    if (subtyped && (c === ggIdx || c === consIdx)) {
      const want = c === ggIdx ? 1 : 2;
      const m = new Uint8Array(n); // a plain loop: Uint8Array.from with a callback is slow at 10⁸ voxels
      for (let i = 0; i < n; i++) m[i] = labels[i] === want ? 1 : 0;
      return m;
    }
    return m;
  });
  const count = (m: Uint8Array) => {
    let k = 0;
    for (let i = 0; i < m.length; i++) k += m[i]! !== 0 ? 1 : 0;
    return k;
  };
  const classes: VolumeClassResult[] = names.map((name, c) => ({
    name, threshold: thresholds[c]!, mask: finalMasks[c]!, probabilities: probs[c] ?? null, volumeMl: count(finalMasks[c]!) * voxelMl,
  }));
  const burden = computeBurden({
    infection, lungs, dims, spacingMm: spacing, affine: volume.affine, connectivity, layout,
    ...(subtyped ? { labels, labelNames } : {}),
  });
  const t2 = now();
  return {
    dims, spacingMm: [...spacing], affine: volume.affine.map((r) => r.slice()), source: volume.source,
    classes,
    infection: { source: union ? 'ground-glass+consolidation' : names[infectionIdx]!, mask: infection, probabilities: infectionProb },
    labels, labelNames, burden, layout, warnings,
    timings: { totalMs: t2 - t0, segmentMs: t1 - t0, postprocessMs: t2 - t1, slicesPerSecond: total / ((t1 - t0) / 1000) },
  };
}
