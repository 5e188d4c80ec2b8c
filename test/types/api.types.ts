/**
 * Compile-time tests of the public types (checked by `npm run typecheck`; never executed).
 * Each `// @ts-expect-error` line must be an error; `expectType<Equal<A, B>>()` must hold.
 */
import type { Remote } from 'comlink';
import type { Worker as NodeWorker } from 'node:worker_threads';
import {
  Segmenter,
  TvunetError,
  isTvunetError,
  tensorCount,
  type BackendName,
  type BackendReport,
  type BackendRequest,
  type EncodedModel,
  type LoadedModel,
  type SegmentationResult,
  type TvunetErrorCode,
} from '../../src/index.js';
import {
  createWorkerSegmenter,
  type WorkerApi,
  type WorkerInitOptions,
  type WorkerInitResult,
  type WorkerSegmenter,
  type WorkerSegmenterOptions,
} from '../../worker/index.js';
import { createWorkerSegmenter as createInline } from '../../worker/inline.js';
import { listInputFiles, readImageStack, segmentVolume, type Volume, type VolumeSegmentation } from '../../src/volume/index.js';
import type { WorkerPool } from '../../worker/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | void {}

declare const seg: Segmenter;
declare const ws: WorkerSegmenter;
declare const remote: Remote<WorkerApi>;
declare const pixels: Float32Array;
declare const nodeWorker: NodeWorker;
declare const browserWorker: Worker;

// Segmenter
expectType<Equal<ReturnType<typeof Segmenter.create>, Promise<Segmenter>>>();
expectType<Equal<ReturnType<Segmenter['segment']>, Promise<SegmentationResult>>>();
expectType<Equal<SegmentationResult['classes'][number]['mask'], Uint8Array>>();
expectType<Equal<SegmentationResult['classes'][number]['probabilities'], Float32Array>>();
expectType<Equal<BackendReport['backend'], BackendName>>();
expectType<Equal<Extract<BackendName, 'webgpu' | 'wasm' | 'cpu'>, 'webgpu' | 'wasm' | 'cpu'>>();
// @ts-expect-error: not a backend name
const notABackend: BackendName = 'tpu';
expectType<Equal<ReturnType<typeof tensorCount>, number>>();

async function segmenterUsage(): Promise<void> {
  await Segmenter.create({ backend: 'wasm', wasmPaths: '/wasm/', threshold: { infection: 0.4 }, postprocess: { minRegionPixels: 10, connectivity: 4 } });
  // @ts-expect-error: not a backend
  await Segmenter.create({ backend: 'tpu' });
  // @ts-expect-error: connectivity is 4 or 8
  await Segmenter.create({ postprocess: { connectivity: 6 } });
  await seg.segment({ data: pixels, width: 4, height: 4, kind: 'hu' });
  // @ts-expect-error: kind is 'hu' | 'display'
  await seg.segment({ data: pixels, width: 4, height: 4, kind: 'raw' });
  // @ts-expect-error: a string is not an input
  await seg.segment('slice.png');
}

// Errors
expectType<Equal<TvunetError['code'], TvunetErrorCode>>();
new TvunetError('WORKER', 'gone');
// @ts-expect-error: unknown code
new TvunetError('NOPE', 'x');
function narrow(e: unknown): TvunetErrorCode | null {
  return isTvunetError(e) ? e.code : null;
}

// Worker client
expectType<Equal<ReturnType<typeof createWorkerSegmenter>, Promise<WorkerSegmenter>>>();
expectType<Equal<typeof createInline, typeof createWorkerSegmenter>>();
expectType<Equal<ReturnType<WorkerSegmenter['segment']>, Promise<SegmentationResult>>>();
expectType<Equal<ReturnType<WorkerSegmenter['close']>, Promise<void>>>();
expectType<Equal<WorkerSegmenter['backend'], BackendReport>>();

async function workerUsage(): Promise<void> {
  await createWorkerSegmenter({ model: new URL('https://x.test/model.json'), workerUrl: '/tvunet.worker.js', onProgress: (p) => p.fraction });
  await createWorkerSegmenter({ worker: browserWorker, backend: 'auto' });
  await createWorkerSegmenter({ worker: nodeWorker });
  // @ts-expect-error: not a worker
  await createWorkerSegmenter({ worker: {} });
  // @ts-expect-error: not a backend
  await createWorkerSegmenter({ backend: 'gpu' });
  // @ts-expect-error: not a model source
  await createWorkerSegmenter({ model: 42 });
  await ws.segment({ data: pixels, width: 4, height: 4, kind: 'display' }, { transfer: true, threshold: 0.3 });
  // @ts-expect-error: transfer is a boolean
  await ws.segment({ data: pixels, width: 4, height: 4, kind: 'display' }, { transfer: 'yes' });
  // @ts-expect-error: read-only
  ws.backend = seg.backend;
}

// The Comlink view of the worker: every method returns a promise of the structured-clonable result.
expectType<Equal<ReturnType<Remote<WorkerApi>['segment']>, Promise<SegmentationResult>>>();
expectType<Equal<ReturnType<Remote<WorkerApi>['init']>, Promise<WorkerInitResult>>>();
expectType<Equal<ReturnType<Remote<WorkerApi>['close']>, Promise<void>>>();
function initOptions(): WorkerInitOptions[] {
  return [
    { model: 'https://x.test/model.json', backend: 'wasm', cache: false },
    // @ts-expect-error: URL objects cannot be cloned; the client turns them into strings
    { model: new URL('https://x.test/model.json') },
    // @ts-expect-error: functions cannot be cloned; progress is a separate Comlink.proxy argument
    { onProgress: () => undefined },
  ];
}
async function remoteUsage(): Promise<void> {
  // @ts-expect-error: a plain function is not a Comlink proxy
  await remote.init({}, () => undefined);
  // @ts-expect-error: elements cannot be posted; the client converts them first
  await remote.segment(document.createElement('img'));
}

// Client options are the Segmenter options plus worker/workerUrl, with URL models allowed.
expectType<Equal<WorkerSegmenterOptions['backend'], BackendRequest | undefined>>();
expectType<Equal<WorkerSegmenterOptions['model'], string | URL | EncodedModel | LoadedModel | undefined>>();

// Volumes: a drop's DataTransfer or a picker's FileList in, Files out; a pool is a slice segmenter.
declare const drop: DataTransfer;
declare const picked: FileList;
declare const pool: WorkerPool;
declare const volume: Volume;
async function volumeUsage(): Promise<void> {
  expectType<Equal<Awaited<ReturnType<typeof listInputFiles>>, File[]>>();
  await listInputFiles(drop);
  await listInputFiles(picked, { maxFiles: 5000 });
  // @ts-expect-error: a path is not a drop or a file list
  await listInputFiles('/scans/ct');
  expectType<Equal<Awaited<ReturnType<typeof readImageStack>>, Volume>>();
  await readImageStack(await listInputFiles(picked), { spacingMm: [0.7, 0.7, 5] });
  // @ts-expect-error: spacing is three numbers
  await readImageStack([], { spacingMm: [1, 1] });
  const result: VolumeSegmentation = await segmentVolume(pool, volume, { postprocess: { connectivity: 26 } });
  expectType<Equal<typeof result.labels, Uint8Array>>();
  expectType<Equal<WorkerPool['concurrency'], number>>();
}

export { notABackend, narrow, initOptions, remoteUsage, segmenterUsage, volumeUsage, workerUsage };
