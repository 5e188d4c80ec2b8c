/**
 * Node-only model files. `node:fs/promises` and `node:path` are imported dynamically inside the
 * functions, so importing this module in a browser bundle is harmless as long as they are not
 * called.
 */
import { TvunetError } from '../errors.js';
import { checkShardCount, decodeTensors, shardFileNames, verifyShard } from './codec.js';
import { DEFAULT_MANIFEST_FILE, parseManifest, type EncodedModel, type LoadedModel } from './manifest.js';

function errCode(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : e instanceof Error ? e.message : String(e);
}

/**
 * Loads a model from a manifest file or from a directory holding `model.json`. A manifest that
 * cannot be read is `INVALID_INPUT`; a shard file that cannot be read is `MISSING_SHARD` naming
 * its path; length/SHA-256 mismatches are `INTEGRITY`.
 */
export async function loadModelFromPath(pathToDirOrManifest: string): Promise<LoadedModel> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  if (typeof pathToDirOrManifest !== 'string' || pathToDirOrManifest === '') {
    throw new TvunetError('INVALID_INPUT', 'model path must be a non-empty string');
  }
  let manifestPath = path.resolve(pathToDirOrManifest);
  try {
    if ((await fs.stat(manifestPath)).isDirectory()) manifestPath = path.join(manifestPath, DEFAULT_MANIFEST_FILE);
  } catch (e) {
    throw new TvunetError('INVALID_INPUT', `no model at ${manifestPath} (${errCode(e)})`, { cause: e });
  }
  let text: string;
  try {
    text = await fs.readFile(manifestPath, 'utf8');
  } catch (e) {
    throw new TvunetError('INVALID_INPUT', `cannot read model manifest ${manifestPath} (${errCode(e)})`, { cause: e });
  }
  const manifest = parseManifest(text);
  const dir = path.dirname(manifestPath);
  const shards = await Promise.all(
    manifest.shards.map(async (entry, i) => {
      const file = path.join(dir, ...entry.path.split('/'));
      let buf: Uint8Array;
      try {
        buf = await fs.readFile(file);
      } catch (e) {
        throw new TvunetError('MISSING_SHARD', `shard ${i} "${entry.path}" could not be read from ${file} (${errCode(e)})`, { cause: e });
      }
      const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      await verifyShard(manifest, i, bytes, file);
      return bytes;
    }),
  );
  return { manifest, weights: decodeTensors(manifest, shards) };
}

export interface SaveModelOptions {
  /**
   * Base name of the files (default `model`): the manifest is `<stem>.json`, shards are
   * `<stem>.weights.bin` or `<stem>.weights.shard<k>of<n>.bin`; `manifest.shards[].path` is
   * rewritten to match.
   */
  fileStem?: string;
}

/**
 * Writes a model into `dir` (created if needed). Shards and manifest are checked first (nothing
 * is written for an inconsistent model), each file is written to a temporary name and renamed
 * into place, and the manifest goes last, so a reader never sees a new manifest with old shards.
 * Shard files of an earlier save that the new manifest no longer names are left alone.
 */
export async function saveModelToPath(
  dir: string,
  encoded: EncodedModel,
  options: SaveModelOptions = {},
): Promise<{ manifestPath: string; shardPaths: string[] }> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const stem = options.fileStem ?? 'model';
  if (typeof stem !== 'string' || !/^[A-Za-z0-9._-]+$/.test(stem) || stem === '.' || stem === '..') {
    throw new TvunetError('INVALID_OPTIONS', `fileStem must be a plain file name stem of [A-Za-z0-9._-], got ${JSON.stringify(stem)}`);
  }
  if (typeof dir !== 'string' || dir === '') throw new TvunetError('INVALID_INPUT', 'dir must be a non-empty string');
  const manifest = parseManifest(encoded?.manifest);
  const shards = encoded.shards;
  checkShardCount(manifest, shards);
  await Promise.all(shards.map((s, i) => verifyShard(manifest, i, s)));

  const names = shardFileNames(shards.length, stem);
  manifest.shards.forEach((s, i) => (s.path = names[i]!));
  const root = path.resolve(dir);
  await fs.mkdir(root, { recursive: true });

  const writeAtomic = async (file: string, data: Uint8Array | string): Promise<void> => {
    const tmp = `${file}.${Date.now().toString(36)}${Math.random().toString(36).slice(2)}.tmp`;
    try {
      await fs.writeFile(tmp, data);
      await fs.rename(tmp, file);
    } catch (e) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw e;
    }
  };
  const shardPaths = names.map((n) => path.join(root, n));
  for (let i = 0; i < shards.length; i++) await writeAtomic(shardPaths[i]!, shards[i]!);
  const manifestPath = path.join(root, `${stem}.json`);
  await writeAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return { manifestPath, shardPaths };
}
