/**
 * The bad-input corpus (test/corpus/corpus.ts, generated at test time) through every way in:
 * the library on this thread, the worker (a real worker_thread on worker/worker-node.ts), and the
 * CLI (`node trainer/bin/tvunet.js segment ...`, a child process). Each case must end in a
 * TvunetError with the case's code and a message naming the problem, and the worker must keep
 * working for the next good input. The model has SEEDED RANDOM WEIGHTS (plumbing, not skill).
 *
 * Not repeated here: trainer/test/cli.test.ts already runs the CLI on truncated / bit-flipped
 * PNG and JPG files, a text file and missing files (the CLI loop below skips those four cases).
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { wrap } from 'comlink';
import { isTvunetError } from '../../src/errors.js';
import { Segmenter, encodeModel, parameterSpecs, sha256Hex, tensorCount, type EncodedModel, type RawSlice, type UNetConfig } from '../../src/index.js';
import { readVolume } from '../../src/volume/index.js';
import { decodeImage } from '../../trainer/src/io/image-files.js';
import { GOOD_JPG, fileCases, finishModelCases, modelCases, sliceCases, type CorpusCase, type FileCase, type ModelCase } from '../corpus/corpus.js';
import { runCli, tempDir } from '../../trainer/test/helpers.js';
import { createWorkerSegmenter, type WorkerSegmenter } from '../../worker/index.js';
import { Connection } from '../../worker/connection.js';
import type { WorkerApi } from '../../worker/protocol.js';

const WORKER_ENTRY = new URL('./worker-entry.mjs', import.meta.url);
const CONFIG: UNetConfig = { depth: 2, baseChannels: 4, inputSize: 32, inChannels: 1, outChannels: 1, upsampling: 'transpose' };


async function seededModel(seed: number): Promise<EncodedModel> {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s ^ (s >>> 15), 1 | s) + 0x6d2b79f5) >>> 0) / 4294967296);
  const named = new Map(parameterSpecs(CONFIG).map((spec) => {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    return [spec.name, { shape: spec.shape, data: Float32Array.from({ length: n }, () => (2 * rand() - 1) * 0.3) }];
  }));
  return encodeModel(named, { name: `bad-input-${seed}`, architecture: CONFIG, classes: [{ name: 'infection', threshold: 0.5 }] }, { dtype: 'float32' });
}

const goodSlice = (): RawSlice => ({ data: Int16Array.from({ length: 24 * 20 }, (_, i) => -900 + ((i * 37) % 1200)), width: 24, height: 20, kind: 'hu' });

/** The rejection of `p` must be a TvunetError with the case's code and a message naming the problem. */
async function expectCase(p: Promise<unknown> | (() => unknown), c: { id: string; code: string; message: RegExp }, where: string): Promise<void> {
  let error: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    error = e;
  }
  assert.ok(error !== undefined, `${where} ${c.id}: expected a rejection with ${c.code}, got success`);
  assert.ok(isTvunetError(error), `${where} ${c.id}: expected a TvunetError, got ${String(error)}`);
  assert.equal(error.code, c.code, `${where} ${c.id}: code (message: ${error.message})`);
  assert.match(error.message, c.message, `${where} ${c.id}: message`);
}

/** `readVolume` reads PNG/JPG bytes as a (broken) DICOM file: DECODE naming the file. */
function volumeExpectation(c: FileCase): { id: string; code: string; message: RegExp } {
  if (c.format === 'png' || c.format === 'jpg') return { id: c.id, code: 'DECODE', message: new RegExp(`^${c.name.replace(/[.]/g, '\\.')}: not a readable DICOM file`) };
  return c;
}

const model = await seededModel(3);
const models = await finishModelCases(modelCases(model), sha256Hex);
const slices = sliceCases();
const files = fileCases();

test('the corpus has at least 30 distinct bad inputs of every kind', () => {
  const all = [...slices, ...files, ...models];
  assert.ok(all.length >= 30, `${all.length} cases`);
  assert.equal(new Set(all.map((c) => c.id)).size, all.length, 'ids are unique');
  for (const format of ['png', 'jpg', 'nifti', 'dicom']) assert.ok(files.some((f) => f.format === format), format);
  console.log(`# corpus: ${slices.length} slices, ${files.length} files, ${models.length} models = ${all.length}`);
});

describe('library, this thread', () => {
  let seg: Segmenter;
  before(async () => {
    seg = await Segmenter.create({ model, backend: 'wasm' });
  });
  after(() => seg?.close());

  for (const c of slices) {
    test(`segment(): ${c.id} → ${c.code}`, async () => {
      const before = tensorCount();
      await expectCase(seg.segment(c.input as RawSlice, c.options), c, 'segment');
      assert.equal(tensorCount(), before, 'no tensor leaked');
      const ok = await seg.segment(goodSlice());
      assert.equal(ok.classes[0]!.mask.length, 24 * 20, 'the segmenter still works');
    });
  }
  for (const c of files) {
    test(`${c.format === 'png' || c.format === 'jpg' ? 'decodeImage' : 'readVolume'}(): ${c.id} → ${c.code}`, async () => {
      if (c.format === 'png' || c.format === 'jpg') {
        await expectCase(() => decodeImage(c.bytes, c.name), c, 'decodeImage');
        await expectCase(readVolume({ name: c.name, bytes: c.bytes }), volumeExpectation(c), 'readVolume');
      } else {
        await expectCase(readVolume({ name: c.name, bytes: c.bytes }), c, 'readVolume');
      }
    });
  }
  for (const c of models) {
    test(`Segmenter.create(): ${c.id} → ${c.code}`, async () => {
      const before = tensorCount();
      const shards = c.shards.filter((s): s is Uint8Array => s !== null);
      await expectCase(Segmenter.create({ model: { manifest: (c.manifestText ?? c.manifest) as never, shards }, backend: 'wasm' }), c, 'Segmenter.create');
      assert.equal(tensorCount(), before, 'no tensor leaked');
    });
  }
});

describe('worker_thread (worker/worker-node.ts)', () => {
  let remote: WorkerSegmenter;
  before(async () => {
    remote = await createWorkerSegmenter({ model, backend: 'wasm', worker: new Worker(WORKER_ENTRY) });
  });
  after(async () => {
    await remote?.close();
  });

  /** After every bad input, a good one must still go through the same worker. */
  async function stillWorks(): Promise<void> {
    const ok = await remote.segment(goodSlice());
    assert.equal(ok.classes[0]!.probabilities.length, 24 * 20, 'the worker still segments');
  }

  for (const c of slices) {
    test(`segment(): ${c.id} → ${c.code}`, async () => {
      await expectCase(remote.segment(c.input as RawSlice, c.options), c, 'worker segment');
      await stillWorks();
    });
  }
  for (const c of files) {
    test(`readVolume(): ${c.id} → ${volumeExpectation(c).code}`, async () => {
      await expectCase(remote.readVolume({ name: c.name, bytes: c.bytes }), volumeExpectation(c), 'worker readVolume');
      await stillWorks();
    });
  }

  describe('model cases through init() of one long-lived worker', () => {
    // The client terminates a worker whose creation failed (tested in worker.test.ts), so the
    // model cases use the worker API directly over the same Connection the client uses: a
    // failed init() must leave that worker able to init() a good model and segment.
    let connection: Connection;
    let api: ReturnType<typeof wrap<WorkerApi>>;
    before(() => {
      connection = new Connection(new Worker(WORKER_ENTRY));
      api = wrap<WorkerApi>(connection.endpoint);
    });
    after(() => connection?.die('test over'));

    for (const c of models) {
      test(`init(): ${c.id} → ${c.code}`, async () => {
        const shards = c.shards.filter((s): s is Uint8Array => s !== null);
        const m = { manifest: (c.manifestText ?? c.manifest) as never, shards };
        await expectCase(connection.call(() => api.init({ model: m, backend: 'wasm' }), 'INVALID_OPTIONS'), c, 'worker init');
      });
    }
    test('after every bad model, the same worker loads a good one and segments', async () => {
      const ready = await connection.call(() => api.init({ model, backend: 'wasm' }), 'INVALID_OPTIONS');
      assert.equal(ready.manifest.name, 'bad-input-3');
      const r = await connection.call(() => api.segment(goodSlice()), 'INVALID_INPUT');
      assert.equal(r.classes[0]!.mask.length, 24 * 20);
    });
  });
});

describe('CLI: tvunet segment <bad file> / --model <bad model> (child processes)', () => {
  /** Covered by trainer/test/cli.test.ts already. */
  const COVERED_BY_CLI_TEST = new Set(['png-truncated', 'png-bitflip', 'jpg-truncated', 'jpg-bitflip']);
  let work = '';
  let modelDir = '';
  before(async () => {
    work = await tempDir('bad-input-cli');
    modelDir = join(work, 'good-model');
    await writeModel(modelDir, model.manifest, model.shards);
  });

  async function writeModel(dir: string, manifest: unknown, shards: (Uint8Array | null)[], text?: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'model.json'), text ?? JSON.stringify(manifest));
    const paths = (manifest as { shards?: { path?: unknown }[] } | null)?.shards?.map((s) => s.path) ?? [];
    for (const [i, bytes] of shards.entries()) {
      const name = typeof paths[i] === 'string' && /^[\w.-]+$/.test(paths[i] as string) ? (paths[i] as string) : 'model.weights.bin';
      if (bytes) await writeFile(join(dir, name), bytes);
    }
  }

  function assertCliError(r: { code: number | null; stderr: string; stdout: string }, c: { id: string; code: string; message: RegExp }, name?: string): void {
    assert.notEqual(r.code, 0, `${c.id}: exit code (stdout: ${r.stdout})`);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `${c.id}: one stderr line, got:\n${r.stderr}`);
    assert.match(lines[0]!, /^tvunet: /);
    assert.ok(lines[0]!.endsWith(`[${c.code}]`), `${c.id}: expected [${c.code}] in: ${lines[0]}`);
    if (name) assert.ok(lines[0]!.includes(name), `${c.id}: the line names ${name}: ${lines[0]}`);
  }

  for (const c of files.filter((f) => !COVERED_BY_CLI_TEST.has(f.id))) {
    test(`segment ${c.name} (${c.id}) → exit ≠ 0, "tvunet: … [${c.code}]"`, async () => {
      const dir = join(work, c.id);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, c.name), c.bytes);
      // DICOM is read as a folder of .dcm files; everything else as the file itself.
      const input = c.format === 'dicom' || c.format === 'other' ? dir : join(dir, c.name);
      const r = await runCli(['segment', input, '--out', join(work, 'out'), '--model', modelDir, '--backend', 'wasm'], { timeoutMs: 60_000 });
      assertCliError(r, c, c.name);
      assert.match(r.stderr, c.message);
    });
  }
  for (const c of models as ModelCase[]) {
    test(`segment --model <${c.id}> → exit ≠ 0, "tvunet: … [${c.code}]"`, async () => {
      const dir = join(work, c.id);
      await writeModel(dir, c.manifest, c.shards, c.manifestText);
      const r = await runCli(['segment', GOOD_JPG, '--out', join(work, 'out'), '--model', dir, '--backend', 'wasm'], { timeoutMs: 60_000 });
      assertCliError(r, c);
      assert.match(r.stderr, c.message);
    });
  }
});

describe('weights are data, never code', () => {
  const JS = 'globalThis.__tvunetPwned=1;/*<script>alert(1)</script>*/require("child_process").execSync("touch /tmp/pwned");';

  test('a shard of JavaScript text with a matching sha256 decodes to finite numbers, segments, and runs nothing', async () => {
    const shard = Uint8Array.from({ length: model.shards[0]!.length }, (_, i) => JS.charCodeAt(i % JS.length));
    const manifest = structuredClone(model.manifest);
    manifest.shards[0]!.sha256 = await sha256Hex(shard);
    manifest.name = '<script>globalThis.__tvunetPwned=2</script>';
    const seg = await Segmenter.create({ model: { manifest, shards: [shard] }, backend: 'wasm' });
    try {
      assert.equal(seg.manifest.name, '<script>globalThis.__tvunetPwned=2</script>', 'kept as an inert string');
      const r = await seg.segment(goodSlice());
      assert.ok(r.classes[0]!.probabilities.every((p) => p >= 0 && p <= 1));
    } finally {
      seg.close();
    }
    assert.equal((globalThis as { __tvunetPwned?: unknown }).__tvunetPwned, undefined, 'no script ran');
  });

  test('no eval / new Function / string timers in src/ and worker/', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const root = new URL('../../', import.meta.url);
    const files = ['src', 'worker'].flatMap((d) => readdirSync(new URL(`${d}/`, root), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => new URL(`${d}/${f}`, root)));
    assert.ok(files.length > 20, `${files.length} source files`);
    const bad = /\beval\s*\(|\bnew\s+Function\s*\(|\bFunction\s*\(\s*['"`]|set(Timeout|Interval)\s*\(\s*['"`]|import\s*\(\s*`data:/;
    const hits = files.flatMap((f) => readFileSync(f, 'utf8').split('\n').map((line, i) => [f.pathname, i + 1, line] as const)).filter(([, , line]) => bad.test(line) && !/^\s*(\/\/|\*)/.test(line));
    assert.deepEqual(hits, []);
  });

  test('the built bundles: eval only inside the Emscripten Node pthread worker text (multithreaded wasm, switched off)', async (t) => {
    const { existsSync, readFileSync } = await import('node:fs');
    const dist = new URL('../../dist/', import.meta.url);
    if (!existsSync(new URL('tvunet.mjs', dist))) return t.skip('dist/ not built (npm run build)');
    // The one known occurrence: tfjs-backend-wasm's threaded build embeds the pthread worker source
    // for Node, whose importScripts is (0,eval)(fs.readFileSync(f)). selectBackend sets
    // WASM_HAS_MULTITHREAD_SUPPORT=false, and test/browser/csp.test.js proves the bundles run
    // under a CSP without 'unsafe-eval'.
    const ALLOWED = 'importScripts:function(f){(0,eval)(fs.readFileSync(f,"utf8")';
    const pattern = /\beval\s*\(|\(0,\s*eval\)|\bnew\s+Function\s*\(|[^.\w]Function\s*\(\s*["'`]/g;
    const report: string[] = [];
    for (const name of ['tvunet.mjs', 'tvunet.umd.js', 'tvunet.worker.js', 'tvunet-worker-client.mjs', 'tvunet-worker-inline.mjs', 'tvunet-worker-node.mjs']) {
      const text = readFileSync(new URL(name, dist), 'utf8');
      for (const m of text.matchAll(pattern)) {
        const around = text.slice(Math.max(0, m.index! - 60), m.index! + 60);
        if (!around.replace(/\\+"/g, '"').includes(ALLOWED)) report.push(`${name}: …${around}…`);
      }
    }
    assert.deepEqual(report, [], 'unexpected dynamic code in the bundles');
  });
});
