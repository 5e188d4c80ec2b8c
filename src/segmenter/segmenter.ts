import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type BackendReport } from '../backends/select.js';
import { TvunetError } from '../errors.js';
import type { ModelManifest } from '../io/manifest.js';
import { checkWeightsFitConfig, unetProbabilities, type UNetWeights } from '../model/unet.js';
import { fillHoles, removeSmallComponents } from '../postprocess/index.js';
import { toDisplaySlice, type SegmentInput } from '../preprocess/input.js';
import { standardizeInPlace } from '../preprocess/normalize.js';
import { resizeBilinear } from '../preprocess/resize.js';
import { loadModelSource } from './model-source.js';
import type { PostprocessOptions, SegmenterOptions, SegmentOptions } from './options.js';
import type { ClassSegmentation, SegmentationResult } from './result.js';

const now = () => performance.now();

function checkThreshold(t: number, where: string): number {
  if (typeof t !== 'number' || !(t > 0 && t < 1)) throw new TvunetError('INVALID_OPTIONS', `${where} must be a number in (0, 1), got ${String(t)}`);
  return t;
}

/**
 * TV-UNet lung-infection segmentation of single CT slices. Create with {@link Segmenter.create};
 * release the weights with {@link Segmenter.close}.
 */
export class Segmenter {
  private weights: UNetWeights | null;

  private constructor(
    /** The manifest of the loaded model: classes, thresholds, provenance. */
    readonly manifest: ModelManifest,
    weights: UNetWeights,
    /** The backend that was bound and why (see BackendReport). */
    readonly backend: BackendReport,
    private readonly options: SegmenterOptions,
  ) {
    this.weights = weights;
  }

  /** Loads the model (default: the one shipped in the package), binds a backend and warms it up. */
  static async create(options: SegmenterOptions = {}): Promise<Segmenter> {
    if (options.threshold !== undefined) Segmenter.thresholdsFor(options.threshold, null);
    const backend = await selectBackend(options.backend ?? 'auto', { wasmPaths: options.wasmPaths });
    const loaded = await loadModelSource(options.model, options.onProgress, options.cache);
    const config = loaded.manifest.architecture;
    const weights: UNetWeights = {};
    for (const [name, w] of loaded.weights) weights[name] = tf.tensor(w.data, w.shape, 'float32');
    try {
      checkWeightsFitConfig(weights, config);
    } catch (e) {
      tf.dispose(Object.values(weights));
      throw e;
    }
    const segmenter = new Segmenter(loaded.manifest, weights, backend, options);
    // One pass compiles kernels / shaders so that the first real call is not the slow one.
    tf.tidy(() => unetProbabilities(weights, tf.zeros([1, config.inputSize, config.inputSize, config.inChannels]), config)).dispose();
    return segmenter;
  }

  private static thresholdsFor(t: number | Record<string, number>, manifest: ModelManifest | null): Map<string, number> {
    const out = new Map<string, number>();
    for (const c of manifest?.classes ?? []) out.set(c.name, c.threshold);
    if (typeof t === 'number') {
      checkThreshold(t, 'threshold');
      for (const k of out.keys()) out.set(k, t);
    } else if (typeof t === 'object' && t !== null) {
      for (const [k, v] of Object.entries(t)) {
        if (manifest && !out.has(k)) throw new TvunetError('INVALID_OPTIONS', `threshold names unknown class "${k}" (model has ${[...out.keys()].join(', ')})`);
        out.set(k, checkThreshold(v, `threshold.${k}`));
      }
    } else {
      throw new TvunetError('INVALID_OPTIONS', 'threshold must be a number or a map of class name to number');
    }
    return out;
  }

  /**
   * Segments one slice of any size: it is resized to the model's input and the maps are resized
   * back. Bad input rejects with a TvunetError ('INVALID_INPUT'); the segmenter stays usable.
   */
  async segment(input: SegmentInput, options: SegmentOptions = {}): Promise<SegmentationResult> {
    const weights = this.weights;
    if (!weights) throw new TvunetError('CLOSED', 'segment() called after close()');
    const t0 = now();
    const { architecture: config, input: inputSpec, classes } = this.manifest;
    const thresholds = Segmenter.thresholdsFor(options.threshold ?? this.options.threshold ?? {}, this.manifest);
    const post: PostprocessOptions = { ...this.options.postprocess, ...options.postprocess };
    const slice = toDisplaySlice(input, inputSpec.huWindow);
    const size = config.inputSize;
    const x = standardizeInPlace(resizeBilinear(slice.display, slice.width, slice.height, size, size));
    const t1 = now();
    const probs = tf.tidy(() => unetProbabilities(weights, tf.tensor4d(x, [1, size, size, 1]), config));
    let planes: Float32Array;
    try {
      planes = (await probs.data()) as Float32Array;
    } finally {
      probs.dispose();
    }
    const t2 = now();
    const nClasses = classes.length;
    const out: ClassSegmentation[] = classes.map((cls, c) => {
      const plane = new Float32Array(size * size);
      for (let i = 0; i < plane.length; i++) plane[i] = planes[i * nClasses + c]!;
      const probabilities = resizeBilinear(plane, size, size, slice.width, slice.height);
      const threshold = thresholds.get(cls.name)!;
      let mask: Uint8Array = new Uint8Array(probabilities.length);
      for (let i = 0; i < mask.length; i++) mask[i] = probabilities[i]! >= threshold ? 1 : 0;
      const dims = { width: slice.width, height: slice.height };
      if (post.fillHoles) mask = fillHoles(mask, dims, post.connectivity ?? 8);
      if (post.minRegionPixels) mask = removeSmallComponents(mask, dims, post.minRegionPixels, post.connectivity ?? 8);
      return { name: cls.name, threshold, probabilities, mask };
    });
    const t3 = now();
    return {
      width: slice.width,
      height: slice.height,
      classes: out,
      timings: { preprocessMs: t1 - t0, inferenceMs: t2 - t1, postprocessMs: t3 - t2 },
      backend: this.backend,
    };
  }

  /** Frees the weights. Later calls to segment() reject with 'CLOSED'; close() twice is harmless. */
  close(): void {
    if (this.weights) tf.dispose(Object.values(this.weights));
    this.weights = null;
  }
}
