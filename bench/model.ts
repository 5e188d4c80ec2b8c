/**
 * The model every group measures: the shipped one (models/default/uint8) when it exists, else
 * DEFAULT_UNET_CONFIG with 4 classes and SEEDED RANDOM WEIGHTS, written as a uint8 model to a
 * temporary folder so that workers, child processes and the browser all load the same bytes the
 * same way. Speed does not depend on the weights' values.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeModel } from '../src/io/codec.js';
import { loadModelFromPath, saveModelToPath } from '../src/io/node-fs.js';
import type { ModelManifest, NamedWeights } from '../src/io/manifest.js';
import { DEFAULT_UNET_CONFIG, parameterSpecs, type UNetConfig } from '../src/model/config.js';
import { REPO_ROOT } from './lib.js';
import { Rng } from '../trainer/src/data/rng.js';

export const SHIPPED_MODEL_DIR = join(REPO_ROOT, 'models/default/uint8');
export const BENCH_CLASSES = ['infection', 'ground-glass', 'consolidation', 'lungs'];

export interface BenchModel {
  /** 'shipped' or 'seeded-random'. */
  kind: 'shipped' | 'seeded-random';
  /** A model folder (model.json + shards) that Segmenter.create, workers and children load. */
  dir: string;
  manifest: ModelManifest;
  config: UNetConfig;
  /** Decoded float32 weights (what the network computes with), for the ONNX export. */
  weights: NamedWeights;
  describe: string;
  dispose(): Promise<void>;
}

/** Seeded uniform [0, 1) numbers (the trainer's mulberry32). */
export function prng(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

/** He-uniform kernels, small non-zero biases. */
export function seededRandomWeights(config: UNetConfig, seed: number): NamedWeights {
  const rand = prng(seed);
  return new Map(parameterSpecs(config).map((spec) => {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const limit = spec.fanIn ? Math.sqrt(6 / spec.fanIn) : 0.1;
    return [spec.name, { shape: spec.shape, data: Float32Array.from({ length: n }, () => (2 * rand() - 1) * limit) }];
  }));
}

export async function prepareBenchModel(): Promise<BenchModel> {
  if (existsSync(join(SHIPPED_MODEL_DIR, 'model.json'))) {
    const { manifest, weights } = await loadModelFromPath(SHIPPED_MODEL_DIR);
    return {
      kind: 'shipped', dir: SHIPPED_MODEL_DIR, manifest, config: manifest.architecture, weights,
      describe: `the shipped model models/default/uint8 ("${manifest.name}")`, dispose: async () => {},
    };
  }
  const config: UNetConfig = { ...DEFAULT_UNET_CONFIG, outChannels: BENCH_CLASSES.length };
  const encoded = await encodeModel(seededRandomWeights(config, 1), {
    name: 'bench-seeded-random', architecture: config, classes: BENCH_CLASSES.map((name) => ({ name, threshold: 0.5 })),
  }, { dtype: 'uint8' });
  const dir = await mkdtemp(join(tmpdir(), 'tvunet-bench-model-'));
  await saveModelToPath(dir, encoded);
  const { manifest, weights } = await loadModelFromPath(dir);
  return {
    kind: 'seeded-random', dir, manifest, config, weights,
    describe: 'DEFAULT_UNET_CONFIG with 4 classes and seeded random weights (uint8; models/default/uint8 not present yet — same speed)',
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
