/**
 * Training checkpoints: model and optimiser tensors plus the loop's state, written so that a kill
 * at any moment leaves the previous checkpoint intact (data file under a new name first, then
 * the JSON that points to it, renamed atomically; older data files removed last).
 */
import { createHash } from 'node:crypto';
import { open, readFile, rename, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { TvunetError } from '../../../src/errors.js';

export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface CheckpointFile<S> {
  version: 1;
  state: S;
  dataFile: string;
  sha256: string;
  tensors: { name: string; shape: number[]; offset: number; length: number }[];
}

async function writeFileSynced(path: string, data: Uint8Array | string): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

type TensorIndex = { name: string; shape: number[]; offset: number; length: number }[];

/** All tensors in one float32 buffer, with where each one sits. */
function pack(tensors: NamedArray[]): { raw: Uint8Array; index: TensorIndex; sha256: string } {
  const bytes = new Float32Array(tensors.reduce((n, t) => n + t.data.length, 0));
  const index: TensorIndex = [];
  let offset = 0;
  for (const t of tensors) {
    bytes.set(t.data, offset);
    index.push({ name: t.name, shape: t.shape, offset, length: t.data.length });
    offset += t.data.length;
  }
  const raw = new Uint8Array(bytes.buffer);
  return { raw, index, sha256: createHash('sha256').update(raw).digest('hex') };
}

/**
 * Writes the data file under a new name, then the JSON index that names it, each through a
 * temporary file and a rename: the one rename of the index switches both together, so a kill at
 * any moment leaves the previous pair intact. Data files matching `stale` other than the new one
 * (and temporaries a killed writer left) are removed afterwards.
 */
async function writePair(dir: string, dataFile: string, raw: Uint8Array, jsonFile: string, json: unknown, stale: RegExp): Promise<void> {
  try {
    await writeFileSynced(join(dir, `${dataFile}.tmp`), raw);
    await rename(join(dir, `${dataFile}.tmp`), join(dir, dataFile));
    await writeFileSynced(join(dir, `${jsonFile}.tmp`), JSON.stringify(json));
    await rename(join(dir, `${jsonFile}.tmp`), join(dir, jsonFile));
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new TvunetError('WRITE', `cannot write ${jsonFile} in ${dir} (${reason}); the previous one is kept`, { cause: e });
  }
  for (const f of await readdir(dir)) {
    if (stale.test(f) && f !== dataFile) await unlink(join(dir, f)).catch(() => undefined);
  }
}

export async function saveCheckpoint<S>(dir: string, tag: string, state: S, tensors: NamedArray[]): Promise<void> {
  const { raw, index, sha256 } = pack(tensors);
  const dataFile = `${tag}.bin`;
  const file: CheckpointFile<S> = { version: 1, state, dataFile, sha256, tensors: index };
  await writePair(dir, dataFile, raw, 'checkpoint.json', file, /^ckpt-\d+\.bin(\.tmp)?$/);
}

/**
 * Saves tensors alone (e.g. the best weights so far) under `tag`.json and a data file named by
 * its hash, so that each save writes a new data file and the pair switches atomically.
 */
export async function saveTensors(dir: string, tag: string, tensors: NamedArray[], meta: Record<string, unknown>): Promise<void> {
  const { raw, index, sha256 } = pack(tensors);
  const dataFile = `${tag}-${sha256.slice(0, 16)}.bin`;
  const stale = new RegExp(`^${tag.replace(/[^A-Za-z0-9]/g, '\\$&')}(-[0-9a-f]{16})?\\.bin(\\.tmp)?$`);
  await writePair(dir, dataFile, raw, `${tag}.json`, { meta, dataFile, sha256, tensors: index }, stale);
}

async function readIndexed(jsonPath: string, binPath: string, sha256: string, index: TensorIndex): Promise<NamedArray[]> {
  const raw = await readFile(binPath).catch((e) => {
    throw new TvunetError('MISSING_SHARD', `${binPath}: missing (${(e as NodeJS.ErrnoException).code})`, { cause: e });
  });
  if (createHash('sha256').update(raw).digest('hex') !== sha256) throw new TvunetError('INTEGRITY', `${binPath}: sha256 differs from ${jsonPath}`);
  const floats = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  return index.map((t) => ({ name: t.name, shape: t.shape, data: floats.slice(t.offset, t.offset + t.length) }));
}

export async function loadCheckpoint<S>(dir: string): Promise<{ state: S; tensors: NamedArray[] } | null> {
  const jsonPath = join(dir, 'checkpoint.json');
  let text: string;
  try {
    text = await readFile(jsonPath, 'utf8');
  } catch {
    return null;
  }
  const file = JSON.parse(text) as CheckpointFile<S>;
  return { state: file.state, tensors: await readIndexed(jsonPath, join(dir, file.dataFile), file.sha256, file.tensors) };
}

export async function loadTensors(dir: string, tag: string): Promise<{ meta: Record<string, unknown>; tensors: NamedArray[] }> {
  const jsonPath = join(dir, `${tag}.json`);
  const file = JSON.parse(await readFile(jsonPath, 'utf8')) as { meta: Record<string, unknown>; dataFile?: string; sha256: string; tensors: { name: string; shape: number[]; offset: number; length: number }[] };
  // Files written before data files were named by hash use `tag`.bin.
  return { meta: file.meta, tensors: await readIndexed(jsonPath, join(dir, file.dataFile ?? `${tag}.bin`), file.sha256, file.tensors) };
}
