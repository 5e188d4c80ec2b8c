/**
 * Loading a model from a URL (browsers, workers, Node ≥ 18 fetch) or from bytes in memory.
 * Node file paths live in `node-fs.ts` so that this module stays free of Node imports.
 */
import { TvunetError } from '../errors.js';
import { checkShardCount, decodeTensors, verifyShard } from './codec.js';
import { DEFAULT_MANIFEST_FILE, parseManifest, type LoadedModel, type ModelManifest } from './manifest.js';
import { sha256Hex } from './sha256.js';

export interface LoadProgress {
  loadedBytes: number;
  totalBytes: number;
  /** loadedBytes / totalBytes, in [0, 1]; never decreases; the last call has exactly 1. */
  fraction: number;
}

export interface LoadFromUrlOptions {
  /** Called with the shard bytes received so far (monotone; the manifest is not counted). */
  onProgress?: (p: LoadProgress) => void;
  /**
   * Keep shards in the browser's Cache API (`caches`, cache name `tvunet-weights-v1`), keyed by
   * shard URL + sha256, so a changed shard is fetched again and a cached copy is re-verified
   * before use. Default `true`. Silently off where `caches` is missing (Node) or the URL is not
   * http(s). IndexedDB is NOT implemented: `'indexeddb'` behaves like `'cache-api'`.
   * The manifest is always fetched from the network; its cached copy is used only when the
   * network request fails outright (offline).
   */
  cache?: boolean | 'cache-api' | 'indexeddb';
  /** fetch implementation (default `globalThis.fetch`). */
  fetch?: typeof fetch;
  /** Aborting rejects with `TvunetError('CANCELLED')`. */
  signal?: AbortSignal;
}

export const WEIGHTS_CACHE_NAME = 'tvunet-weights-v1';
const SHA_PARAM = 'tvunet-sha256';
const MAX_PARALLEL_SHARDS = 4;

interface CacheLike {
  match(key: string): Promise<Response | undefined>;
  put(key: string, res: Response): Promise<void>;
  keys(): Promise<readonly { url: string }[]>;
  delete(key: string): Promise<boolean>;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function isAbort(e: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (e instanceof Error && e.name === 'AbortError');
}

function cancelled(what: string, cause?: unknown): TvunetError {
  return new TvunetError('CANCELLED', `loading ${what} was cancelled`, { cause });
}

/** The manifest URL for `url`: a URL ending in '/' gets `model.json` appended. */
export function resolveManifestUrl(url: string | URL): URL {
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  let u: URL;
  try {
    u = new URL(String(url), base);
  } catch (e) {
    throw new TvunetError('INVALID_INPUT', `not a valid model URL: ${JSON.stringify(String(url))}`, { cause: e });
  }
  if (u.pathname.endsWith('/')) u.pathname += DEFAULT_MANIFEST_FILE;
  return u;
}

async function openCache(option: LoadFromUrlOptions['cache'], url: URL): Promise<CacheLike | undefined> {
  if (option === false) return undefined;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const caches = (globalThis as { caches?: { open?(name: string): Promise<CacheLike> } }).caches;
  if (!caches || typeof caches.open !== 'function') return undefined;
  try {
    return await caches.open(WEIGHTS_CACHE_NAME);
  } catch {
    return undefined; // e.g. opaque origins, private browsing
  }
}

function shardCacheKey(shardUrl: string, sha256: string): string {
  const u = new URL(shardUrl);
  u.searchParams.set(SHA_PARAM, sha256);
  return u.href;
}

/** Shard URL of a cache key, normalised the same way for keys and live URLs. */
function cacheKeyBase(key: string): { base: string; sha: string | null } {
  const u = new URL(key);
  const sha = u.searchParams.get(SHA_PARAM);
  u.searchParams.delete(SHA_PARAM);
  return { base: u.href, sha };
}

async function quietly<T>(p: () => Promise<T>): Promise<T | undefined> {
  try {
    return await p();
  } catch {
    return undefined;
  }
}

function httpError(res: Response, url: string, what: string, isShard: boolean): TvunetError {
  const code = isShard && (res.status === 404 || res.status === 410) ? 'MISSING_SHARD' : 'NETWORK';
  return new TvunetError(code, `${what} ${url}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
}

/** fetch that maps a failed request to NETWORK (or CANCELLED); the response may be non-ok. */
async function request(fetchImpl: typeof fetch, url: string, what: string, signal: AbortSignal): Promise<Response> {
  try {
    // Called with `this` = globalThis: browsers throw "Illegal invocation" for a detached window.fetch.
    return await Reflect.apply(fetchImpl, globalThis, [url, { signal }]);
  } catch (e) {
    if (isAbort(e, signal)) throw cancelled(`${what} ${url}`, e);
    throw new TvunetError('NETWORK', `could not fetch ${what} ${url}: ${errorText(e)}`, { cause: e });
  }
}

async function readBody(res: Response, what: string, signal: AbortSignal, onBytes: (n: number) => void): Promise<Uint8Array> {
  try {
    const body = res.body;
    if (!body || typeof body.getReader !== 'function') {
      const bytes = new Uint8Array(await res.arrayBuffer());
      onBytes(bytes.length);
      return bytes;
    }
    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      if (signal.aborted) {
        await quietly(() => reader.cancel());
        throw cancelled(what);
      }
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.length;
      onBytes(value.length);
    }
    if (chunks.length === 1) return chunks[0]!;
    const out = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  } catch (e) {
    if (e instanceof TvunetError) throw e;
    if (isAbort(e, signal)) throw cancelled(what, e);
    throw new TvunetError('NETWORK', `download of ${what} failed: ${errorText(e)}`, { cause: e });
  }
}

async function mapPool<T, R>(items: readonly T[], limit: number, stop: AbortSignal, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !stop.aborted) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Downloads and decodes a model. `url` is the manifest URL or a directory URL ending in '/'
 * (then `model.json`); relative URLs resolve against `location` where there is one. Shards
 * resolve relative to the manifest URL and are fetched up to 4 at a time; each is checked for
 * length and SHA-256 (`INTEGRITY`). HTTP errors: manifest → `NETWORK`; shard 404/410 →
 * `MISSING_SHARD`, other shard statuses and failed requests → `NETWORK`; messages name the URL
 * and status.
 */
export async function loadModelFromUrl(url: string | URL, options: LoadFromUrlOptions = {}): Promise<LoadedModel> {
  const fetchImpl = options.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch;
  if (typeof fetchImpl !== 'function') throw new TvunetError('NETWORK', 'no fetch implementation available; pass options.fetch');
  const manifestUrl = resolveManifestUrl(url);
  const userSignal = options.signal;
  if (userSignal?.aborted) throw cancelled(`model ${manifestUrl.href}`, userSignal.reason);

  // One controller for all requests: aborted by the caller or when any shard fails.
  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort(userSignal?.reason);
  userSignal?.addEventListener('abort', onAbort, { once: true });
  try {
    const cache = await openCache(options.cache, manifestUrl);
    const manifest = await fetchManifest(fetchImpl, manifestUrl.href, cache, ctrl.signal);

    const total = manifest.shards.reduce((n, s) => n + s.byteLength, 0);
    const received = manifest.shards.map(() => 0);
    let reported = -1;
    const report = () => {
      if (!options.onProgress) return;
      let loaded = 0;
      manifest.shards.forEach((s, i) => (loaded += Math.min(received[i]!, s.byteLength)));
      if (loaded <= reported) return;
      reported = loaded;
      options.onProgress({ loadedBytes: loaded, totalBytes: total, fraction: total > 0 ? loaded / total : 1 });
    };
    if (options.onProgress) options.onProgress({ loadedBytes: 0, totalBytes: total, fraction: total > 0 ? 0 : 1 });
    reported = total > 0 ? 0 : total;

    const shards = await mapPool(manifest.shards, MAX_PARALLEL_SHARDS, ctrl.signal, async (entry, i) => {
      const shardUrl = new URL(entry.path, manifestUrl).href;
      const key = cache ? shardCacheKey(shardUrl, entry.sha256) : '';
      if (cache) {
        const hit = await quietly(() => cache.match(key));
        const bytes = hit ? await quietly(async () => new Uint8Array(await hit.arrayBuffer())) : undefined;
        if (bytes && bytes.length === entry.byteLength && (await sha256Hex(bytes)) === entry.sha256) {
          received[i] = bytes.length;
          report();
          return bytes;
        }
        if (hit) await quietly(() => cache.delete(key)); // stale or corrupt copy
      }
      const what = `shard ${i} "${entry.path}"`;
      const res = await request(fetchImpl, shardUrl, what, ctrl.signal);
      if (!res.ok) throw httpError(res, shardUrl, what, true);
      const bytes = await readBody(res, `shard ${shardUrl}`, ctrl.signal, (n) => {
        received[i]! += n;
        report();
      });
      await verifyShard(manifest, i, bytes, shardUrl);
      if (cache) {
        await quietly(() => cache.put(key, new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-type': 'application/octet-stream' } })));
      }
      return bytes;
    }).catch((e: unknown) => {
      ctrl.abort();
      throw e;
    });
    if (ctrl.signal.aborted) throw cancelled(`model ${manifestUrl.href}`, ctrl.signal.reason);
    report();

    if (cache) await quietly(() => dropStaleShards(cache, manifest, manifestUrl));
    return { manifest, weights: decodeTensors(manifest, shards) };
  } catch (e) {
    if (e instanceof TvunetError) throw e;
    if (isAbort(e, ctrl.signal)) throw cancelled(`model ${manifestUrl.href}`, e);
    throw e;
  } finally {
    userSignal?.removeEventListener('abort', onAbort);
  }
}

async function fetchManifest(fetchImpl: typeof fetch, url: string, cache: CacheLike | undefined, signal: AbortSignal): Promise<ModelManifest> {
  let res: Response;
  try {
    res = await request(fetchImpl, url, 'manifest', signal);
  } catch (e) {
    // Offline: a request that failed outright (not an HTTP error status) may use the cached copy.
    const offline = e instanceof TvunetError && e.code === 'NETWORK';
    const cached = offline && cache ? await quietly(async () => (await cache.match(url))?.text()) : undefined;
    if (cached === undefined) throw e;
    return parseManifest(cached);
  }
  if (!res.ok) throw httpError(res, url, 'manifest', false);
  let text: string;
  try {
    text = await res.text();
  } catch (e) {
    if (isAbort(e, signal)) throw cancelled(`manifest ${url}`, e);
    throw new TvunetError('NETWORK', `download of manifest ${url} failed: ${errorText(e)}`, { cause: e });
  }
  const manifest = parseManifest(text);
  if (cache) await quietly(() => cache.put(url, new Response(text, { headers: { 'content-type': 'application/json' } })));
  return manifest;
}

/** Removes cached copies of this model's shards whose sha256 is no longer the manifest's. */
async function dropStaleShards(cache: CacheLike, manifest: ModelManifest, manifestUrl: URL): Promise<void> {
  const current = new Map<string, string>();
  for (const s of manifest.shards) {
    const { base } = cacheKeyBase(shardCacheKey(new URL(s.path, manifestUrl).href, s.sha256));
    current.set(base, s.sha256);
  }
  for (const req of await cache.keys()) {
    const { base, sha } = cacheKeyBase(req.url);
    const want = current.get(base);
    if (sha !== null && want !== undefined && sha !== want) await cache.delete(req.url);
  }
}

function toBytes(b: unknown, what: string): Uint8Array {
  if (b instanceof Uint8Array) return b;
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  throw new TvunetError('INVALID_INPUT', `${what} must be an ArrayBuffer or Uint8Array`);
}

/**
 * Decodes a model held in memory. `manifestJson` is the manifest object or its JSON text
 * (string or UTF-8 bytes). `shards` is one buffer per manifest shard, in order; a single buffer
 * for a multi-shard manifest is taken as all shards concatenated in order.
 */
export async function loadModelFromBytes(
  manifestJson: string | Uint8Array | object,
  shards: ArrayBuffer | Uint8Array | Array<ArrayBuffer | Uint8Array>,
): Promise<LoadedModel> {
  const manifest = parseManifest(manifestJson);
  let list: Uint8Array[];
  if (Array.isArray(shards)) list = shards.map((s, i) => toBytes(s, `shards[${i}]`));
  else {
    const all = toBytes(shards, 'shards');
    if (manifest.shards.length === 1) list = [all];
    else {
      const total = manifest.shards.reduce((n, s) => n + s.byteLength, 0);
      if (all.length !== total) {
        throw new TvunetError('INTEGRITY', `concatenated shards have ${all.length} bytes but the manifest's ${manifest.shards.length} shards total ${total}`);
      }
      let off = 0;
      list = manifest.shards.map((s) => all.subarray(off, (off += s.byteLength)));
    }
  }
  checkShardCount(manifest, list);
  await Promise.all(list.map((s, i) => verifyShard(manifest, i, s)));
  return { manifest, weights: decodeTensors(manifest, list) };
}
