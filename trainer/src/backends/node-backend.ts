/**
 * Picks the trainer's tfjs backend in Node. `auto`: @tensorflow/tfjs-node-gpu when installed and
 * a CUDA GPU is visible, else @tensorflow/tfjs-node, else WASM (SIMD, with the training kernels
 * registered). Neither tfjs-node package is a dependency: they download libtensorflow at install
 * time, so users add them on purpose (README: "Training on a CUDA GPU").
 */
import { createRequire } from 'node:module';
import { selectBackend } from '../../../src/backends/select.js';
import { TvunetError } from '../../../src/errors.js';
import { registerGradients } from './gradients.js';
import { registerWasmTrainingKernels } from './wasm-training-kernels.js';

export type NodeBackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const NODE_BACKENDS: readonly NodeBackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export interface NodeBackendReport {
  requested: NodeBackendChoice;
  backend: string;
  /** Which package provided it, and why others were not taken. */
  reason: string;
}

/** Loads an optional tfjs-node package; returns null (with the reason) when it is absent or broken. */
function tryTfjsNode(pkg: string): { ok: true } | { ok: false; why: string } {
  const require = createRequire(import.meta.url);
  try {
    require.resolve(pkg);
  } catch {
    return { ok: false, why: `${pkg} is not installed` };
  }
  try {
    require(pkg);
    return { ok: true };
  } catch (e) {
    return { ok: false, why: `${pkg} failed to load (${(e as Error).message.split('\n')[0]})` };
  }
}

function cudaVisible(): boolean {
  try {
    const require = createRequire(import.meta.url);
    const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
    return execFileSync('nvidia-smi', ['-L'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().includes('GPU');
  } catch {
    return false;
  }
}

/**
 * Loads what the request needs, then binds through the library's selectBackend (the one module
 * that binds backends), and says which it bound and why.
 */
export async function initNodeBackend(requested: NodeBackendChoice): Promise<NodeBackendReport> {
  registerGradients();
  registerWasmTrainingKernels();
  const skipped: string[] = [];
  if (requested === 'auto' || requested === 'tensorflow') {
    const gpu = cudaVisible() ? tryTfjsNode('@tensorflow/tfjs-node-gpu') : { ok: false as const, why: 'no CUDA GPU visible (nvidia-smi)' };
    const loaded = gpu.ok ? gpu : tryTfjsNode('@tensorflow/tfjs-node');
    if (!gpu.ok) skipped.push(gpu.why);
    if (loaded !== gpu && !loaded.ok) skipped.push(loaded.why);
    if (loaded.ok) {
      const report = await selectBackend('tensorflow');
      return { requested, backend: report.backend, reason: gpu.ok ? '@tensorflow/tfjs-node-gpu (CUDA)' : `@tensorflow/tfjs-node (CPU); ${skipped.join('; ')}` };
    }
    if (requested === 'tensorflow') {
      throw new TvunetError('BACKEND_UNAVAILABLE', `--backend tensorflow: ${skipped.join('; ')}. Install @tensorflow/tfjs-node-gpu (CUDA 11.2 + cuDNN 8.1) or @tensorflow/tfjs-node; see README`);
    }
  }
  // In Node 'auto' of the library means wasm, then cpu (no WebGPU adapter).
  const report = await selectBackend(requested);
  const what = report.backend === 'wasm' ? `tfjs-backend-wasm (SIMD ${report.simd ? 'on' : 'off'})` : 'tfjs-backend-cpu (plain JS, slow)';
  return { requested, backend: report.backend, reason: [what, ...skipped, ...report.skipped].join('; ') };
}
