import { TvunetError } from '../errors.js';
import { loadModelFromBytes, loadModelFromUrl, type LoadProgress } from '../io/load.js';
import type { LoadedModel } from '../io/manifest.js';
import type { ModelSource } from './options.js';

/** The default model shipped in the package (rollup rewrites this path for dist/). */
export const DEFAULT_MODEL_URL = new URL('../../models/default/uint8/model.json', import.meta.url);

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

async function loadFromLocation(location: string | URL, onProgress?: (p: LoadProgress) => void, cache?: boolean): Promise<LoadedModel> {
  const text = location.toString();
  if (isNode && !/^https?:/i.test(text)) {
    const { loadModelFromPath } = await import('../io/node-fs.js');
    const { fileURLToPath } = await import('node:url');
    return loadModelFromPath(text.startsWith('file:') ? fileURLToPath(text) : text);
  }
  return loadModelFromUrl(location, { onProgress, cache: cache ?? true });
}

/** Resolves any {@link ModelSource} to a decoded, verified model. */
export async function loadModelSource(source: ModelSource | undefined, onProgress?: (p: LoadProgress) => void, cache?: boolean): Promise<LoadedModel> {
  if (source === undefined) {
    try {
      return await loadFromLocation(DEFAULT_MODEL_URL, onProgress, cache);
    } catch (e) {
      throw new TvunetError('MISSING_SHARD', `the default model could not be loaded from ${DEFAULT_MODEL_URL.href}: ${(e as Error).message}`, { cause: e });
    }
  }
  if (typeof source === 'string' || source instanceof URL) return loadFromLocation(source, onProgress, cache);
  if (typeof source === 'object' && source !== null && 'manifest' in source) {
    if ('weights' in source && source.weights instanceof Map) return source;
    if ('shards' in source) return loadModelFromBytes(source.manifest, source.shards);
  }
  throw new TvunetError('INVALID_OPTIONS', 'model must be a URL or path, { manifest, shards } or { manifest, weights }');
}
