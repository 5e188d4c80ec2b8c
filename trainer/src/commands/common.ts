/** What the commands share: input discovery, the output folder, the model location and a Node segmenter. */
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TvunetError } from '../../../src/errors.js';
import { Segmenter } from '../../../src/segmenter/segmenter.js';
import { initNodeBackend, NODE_BACKENDS, type NodeBackendChoice, type NodeBackendReport } from '../backends/node-backend.js';
import { choiceOption } from '../cli/args.js';
import { IMAGE_EXTENSIONS } from '../io/image-files.js';

/** The shipped default model (uint8 variant), as a path in this checkout. */
export const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../../../models/default/uint8/', import.meta.url));

/**
 * Creates the output folder and checks that a file can be written in it, before any long work:
 * TvunetError('WRITE') naming the folder and the system's reason (ENOTDIR, EACCES, EROFS, ENOSPC…).
 */
export async function prepareOutputFolder(dir: string): Promise<void> {
  const probe = join(dir, `.tvunet-write-check-${process.pid}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, 'ok');
    await rm(probe);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new TvunetError('WRITE', `cannot write to the output folder ${resolve(dir)} (${code})`, { cause: e });
  }
}

const isImage = (name: string) => (IMAGE_EXTENSIONS as readonly string[]).includes(extname(name).toLowerCase());

/** Expands files and folders (not recursive) into image paths, sorted; refuses anything else. */
export async function collectImages(inputs: string[]): Promise<string[]> {
  if (inputs.length === 0) throw new TvunetError('INVALID_OPTIONS', 'no input images given');
  const out: string[] = [];
  for (const input of inputs) {
    const info = await stat(input).catch(() => null);
    if (!info) throw new TvunetError('INVALID_INPUT', `${input}: no such file or folder`);
    if (info.isDirectory()) {
      const names = (await readdir(input)).filter(isImage).sort();
      if (names.length === 0) throw new TvunetError('INVALID_INPUT', `${input}: folder holds no PNG/JPG images`);
      out.push(...names.map((n) => join(input, n)));
    } else if (isImage(input)) out.push(input);
    else throw new TvunetError('INVALID_INPUT', `${input}: not a PNG or JPG image, a .nii/.nii.gz volume or a folder of .dcm files`);
  }
  return out;
}

export async function createNodeSegmenter(modelOption: string | undefined, backendOption: string | undefined): Promise<{ segmenter: Segmenter; backend: NodeBackendReport; modelDir: string }> {
  const choice = choiceOption<NodeBackendChoice>('backend', backendOption, NODE_BACKENDS, 'auto');
  const backend = await initNodeBackend(choice);
  const modelDir = resolve(modelOption ?? DEFAULT_MODEL_DIR);
  const exists = await stat(modelDir).catch(() => null);
  if (!exists) {
    throw new TvunetError('INVALID_OPTIONS', modelOption ? `--model ${modelOption}: not found` : `the default model is missing at ${modelDir}`);
  }
  const segmenter = await Segmenter.create({ model: modelDir, backend: backend.backend === 'tensorflow' ? 'tensorflow' : backend.backend === 'cpu' ? 'cpu' : 'wasm' });
  return { segmenter, backend, modelDir };
}
