/**
 * The one place that chooses and binds a tfjs backend. Nothing else in the library calls
 * tf.setBackend or asks which backend is active.
 *
 * `auto`: WebGPU when an adapter exists and is not a fallback (software) adapter, else WASM
 * (SIMD when the engine has it), else the plain-JS CPU backend. Each `setBackend` result is
 * checked and a failure falls through to the next. `tensorflow` binds the native backend of
 * @tensorflow/tfjs-node(-gpu), which the caller must have imported (Node only; the CLI does).
 */
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { TvunetError } from '../errors.js';

export type BackendRequest = 'auto' | 'webgpu' | 'wasm' | 'cpu' | 'tensorflow';
export type BackendName = 'webgpu' | 'wasm' | 'cpu' | 'tensorflow';
export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'webgpu', 'wasm', 'cpu', 'tensorflow'];

/** What was asked for and what was bound. */
export interface BackendReport {
  requested: BackendRequest;
  backend: BackendName;
  /** WASM only: whether the SIMD binary runs. */
  simd: boolean | null;
  /** WASM only: threads in use (1 in tfjs 4.22; see shared/notes/platform.md). */
  threads: number | null;
  /** WebGPU adapter description when one was found (also when it was declined). */
  adapter: string | null;
  isFallbackAdapter: boolean | null;
  /** Why earlier choices were passed over, in order. */
  skipped: string[];
}

export interface BackendOptions {
  /**
   * Where the tfjs-backend-wasm `.wasm` files are: a folder URL ending in '/' or a map of file
   * names to URLs. Defaults to the files shipped beside the bundle in `dist/`; Node finds its own.
   */
  wasmPaths?: string | Record<string, string>;
}

interface AdapterProbe {
  found: boolean;
  description: string | null;
  isFallback: boolean | null;
}

async function probeWebGpu(): Promise<AdapterProbe> {
  const gpu = (globalThis.navigator as (Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }) | undefined)?.gpu;
  if (!gpu) return { found: false, description: null, isFallback: null };
  try {
    const adapter = (await gpu.requestAdapter()) as {
      isFallbackAdapter?: boolean;
      info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
    } | null;
    if (!adapter) return { found: false, description: null, isFallback: null };
    const info = adapter.info ?? {};
    const description = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unknown adapter';
    return { found: true, description, isFallback: info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false };
  } catch {
    return { found: false, description: null, isFallback: null };
  }
}

let wasmPathsSet = false;

/**
 * Why WebAssembly cannot be compiled here, or null: a Content-Security-Policy without
 * 'wasm-unsafe-eval' (or 'unsafe-eval') blocks every compile, which tfjs only reports as a failed
 * init. Compiling the empty module (8 bytes) tells the two apart.
 */
function wasmCompileBlocked(): string | null {
  try {
    new WebAssembly.Module(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** The folder of this module, where rollup copies the .wasm files (browser bundles only). */
function defaultWasmFolder(): string | null {
  if (typeof process !== 'undefined' && process.versions?.node) return null;
  try {
    return new URL('./', import.meta.url).href;
  } catch {
    return null;
  }
}

async function bind(name: BackendName): Promise<boolean> {
  try {
    if (!(await tf.setBackend(name))) return false;
    await tf.ready();
    return tf.getBackend() === name;
  } catch {
    return false;
  }
}

/** Binds a backend as requested; throws BACKEND_UNAVAILABLE when a forced one cannot start. */
export async function selectBackend(requested: BackendRequest = 'auto', options: BackendOptions = {}): Promise<BackendReport> {
  if (!BACKEND_REQUESTS.includes(requested)) {
    throw new TvunetError('INVALID_OPTIONS', `backend must be one of ${BACKEND_REQUESTS.join(', ')}, got "${String(requested)}"`);
  }
  const report: BackendReport = { requested, backend: 'cpu', simd: null, threads: null, adapter: null, isFallbackAdapter: null, skipped: [] };
  const forced = (name: BackendName) => requested === name;

  if (forced('tensorflow')) {
    if (tf.findBackendFactory('tensorflow') && (await bind('tensorflow'))) return { ...report, backend: 'tensorflow' };
    throw new TvunetError('BACKEND_UNAVAILABLE', 'the tensorflow backend is not registered or failed to start: import @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu first (Node only)');
  }

  if (requested === 'auto' || forced('webgpu')) {
    const probe = await probeWebGpu();
    report.adapter = probe.description;
    report.isFallbackAdapter = probe.isFallback;
    if (!probe.found) report.skipped.push('webgpu: no adapter');
    else if (probe.isFallback && !forced('webgpu')) report.skipped.push(`webgpu: fallback (software) adapter "${probe.description}"`);
    else {
      await import('@tensorflow/tfjs-backend-webgpu');
      if (await bind('webgpu')) return { ...report, backend: 'webgpu' };
      report.skipped.push('webgpu: backend failed to initialise');
    }
    if (forced('webgpu')) throw new TvunetError('BACKEND_UNAVAILABLE', `WebGPU was requested but ${report.skipped.join('; ')}`);
  }

  if (requested === 'auto' || forced('wasm')) {
    const paths = options.wasmPaths ?? defaultWasmFolder();
    if (paths && !wasmPathsSet) {
      setWasmPaths(paths);
      wasmPathsSet = true;
    }
    // In cross-origin-isolated pages tfjs-backend-wasm would pick its multi-threaded binary, whose
    // pthread workers rebuild the module factory from Function.prototype.toString(): bundled and
    // minified, that source refers to names outside itself and every pthread dies ("t is not
    // defined"). tfjs 4.22 runs one thread anyway (shared/notes/platform.md), so always use the
    // single-threaded (SIMD) binary.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (await bind('wasm')) {
      const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
      return { ...report, backend: 'wasm', simd, threads: getThreadsCount() };
    }
    const blocked = typeof WebAssembly === 'object' ? wasmCompileBlocked() : 'WebAssembly is not available';
    const why = blocked
      ? `WebAssembly compilation is blocked (${blocked}); a Content-Security-Policy must allow script-src 'wasm-unsafe-eval'`
      : `are the .wasm files served at ${String(paths ?? 'the default path')}?`;
    report.skipped.push(blocked ? `wasm: ${why}` : 'wasm: backend failed to initialise');
    if (forced('wasm')) throw new TvunetError('BACKEND_UNAVAILABLE', `WASM was requested but failed to initialise: ${why}`);
  }

  await import('@tensorflow/tfjs-backend-cpu');
  if (await bind('cpu')) return { ...report, backend: 'cpu' };
  throw new TvunetError('BACKEND_UNAVAILABLE', `no backend could be initialised: ${[...report.skipped, 'cpu: failed'].join('; ')}`);
}
