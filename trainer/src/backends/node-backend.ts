/**
 * Picks the trainer's tfjs backend in Node. `auto`: @tensorflow/tfjs-node-gpu when installed and
 * a CUDA GPU is visible, else @tensorflow/tfjs-node, else WASM (SIMD, with the training kernels
 * registered). Neither tfjs-node package is a dependency: they download libtensorflow at install
 * time, so users add them on purpose (README: "Training on a CUDA GPU").
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-cpu';
import { createRequire } from 'node:module';
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

async function bind(name: string): Promise<boolean> {
  try {
    return (await tf.setBackend(name)) && (await tf.ready(), tf.getBackend() === name);
  } catch {
    return false;
  }
}

/** Initialises a backend for training and inference in Node and says which it bound. */
export async function initNodeBackend(requested: NodeBackendChoice): Promise<NodeBackendReport> {
  registerGradients();
  registerWasmTrainingKernels();
  const skipped: string[] = [];
  if (requested === 'auto' || requested === 'tensorflow') {
    const gpu = cudaVisible() ? tryTfjsNode('@tensorflow/tfjs-node-gpu') : { ok: false as const, why: 'no CUDA GPU visible (nvidia-smi)' };
    if (gpu.ok && (await bind('tensorflow'))) return { requested, backend: 'tensorflow', reason: '@tensorflow/tfjs-node-gpu (CUDA)' };
    if (!gpu.ok) skipped.push(gpu.why);
    const cpu = tryTfjsNode('@tensorflow/tfjs-node');
    if (cpu.ok && (await bind('tensorflow'))) return { requested, backend: 'tensorflow', reason: `@tensorflow/tfjs-node (CPU); ${skipped.join('; ')}` };
    if (!cpu.ok) skipped.push(cpu.why);
    if (requested === 'tensorflow') {
      throw new TvunetError('BACKEND_UNAVAILABLE', `--backend tensorflow: ${skipped.join('; ')}. Install @tensorflow/tfjs-node-gpu (CUDA 11.2 + cuDNN 8.1) or @tensorflow/tfjs-node; see README`);
    }
  }
  if (requested === 'auto' || requested === 'wasm') {
    if (await bind('wasm')) return { requested, backend: 'wasm', reason: ['tfjs-backend-wasm (SIMD)', ...skipped].join('; ') };
    if (requested === 'wasm') throw new TvunetError('BACKEND_UNAVAILABLE', 'the WASM backend failed to initialise');
    skipped.push('wasm failed to initialise');
  }
  if (await bind('cpu')) return { requested, backend: 'cpu', reason: ['tfjs-backend-cpu (plain JS, slow)', ...skipped].join('; ') };
  throw new TvunetError('BACKEND_UNAVAILABLE', `no tfjs backend could be initialised: ${skipped.join('; ')}`);
}
