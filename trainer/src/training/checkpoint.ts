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

export async function saveCheckpoint<S>(dir: string, tag: string, state: S, tensors: NamedArray[]): Promise<void> {
  const total = tensors.reduce((n, t) => n + t.data.length, 0);
  const bytes = new Float32Array(total);
  const index: CheckpointFile<S>['tensors'] = [];
  let offset = 0;
  for (const t of tensors) {
    bytes.set(t.data, offset);
    index.push({ name: t.name, shape: t.shape, offset, length: t.data.length });
    offset += t.data.length;
  }
  const raw = new Uint8Array(bytes.buffer);
  const dataFile = `${tag}.bin`;
  try {
    await writeFileSynced(join(dir, `${dataFile}.tmp`), raw);
    await rename(join(dir, `${dataFile}.tmp`), join(dir, dataFile));
    const file: CheckpointFile<S> = { version: 1, state, dataFile, sha256: createHash('sha256').update(raw).digest('hex'), tensors: index };
    await writeFileSynced(join(dir, 'checkpoint.json.tmp'), JSON.stringify(file));
    await rename(join(dir, 'checkpoint.json.tmp'), join(dir, 'checkpoint.json'));
  } catch (e) {
    throw new TvunetError('INVALID_OPTIONS', `cannot write checkpoint in ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; the previous checkpoint is kept`, { cause: e });
  }
  // Data files no longer referenced, and temporaries a killed writer left (the best-model file is kept by its own tag).
  for (const f of await readdir(dir)) {
    if (/^ckpt-\d+\.bin(\.tmp)?$/.test(f) && f !== dataFile) await unlink(join(dir, f)).catch(() => undefined);
  }
}

/**
 * Saves tensors alone (e.g. the best weights so far) under `tag`.json and a data file named by
 * its hash, atomically: the data file is new each time, so the one rename of `tag`.json switches
 * index and data together (a kill between two renames of fixed names would pair new data with
 * the old index). Older data files of the tag are removed afterwards.
 */
export async function saveTensors(dir: string, tag: string, tensors: NamedArray[], meta: Record<string, unknown>): Promise<void> {
  const total = tensors.reduce((n, t) => n + t.data.length, 0);
  const bytes = new Float32Array(total);
  const index: { name: string; shape: number[]; offset: number; length: number }[] = [];
  let offset = 0;
  for (const t of tensors) { bytes.set(t.data, offset); index.push({ name: t.name, shape: t.shape, offset, length: t.data.length }); offset += t.data.length; }
  const raw = new Uint8Array(bytes.buffer);
  const sha256 = createHash('sha256').update(raw).digest('hex');
  const dataFile = `${tag}-${sha256.slice(0, 16)}.bin`;
  await writeFileSynced(join(dir, `${dataFile}.tmp`), raw);
  await rename(join(dir, `${dataFile}.tmp`), join(dir, dataFile));
  await writeFileSynced(join(dir, `${tag}.json.tmp`), JSON.stringify({ meta, dataFile, sha256, tensors: index }));
  await rename(join(dir, `${tag}.json.tmp`), join(dir, `${tag}.json`));
  const stale = new RegExp(`^${tag.replace(/[^A-Za-z0-9]/g, '\\$&')}(-[0-9a-f]{16})?\\.bin(\\.tmp)?$`);
  for (const f of await readdir(dir)) {
    if (stale.test(f) && f !== dataFile) await unlink(join(dir, f)).catch(() => undefined);
  }
}

async function readIndexed(jsonPath: string, binPath: string, sha256: string, index: { name: string; shape: number[]; offset: number; length: number }[]): Promise<NamedArray[]> {
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
