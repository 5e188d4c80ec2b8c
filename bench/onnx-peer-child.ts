/**
 * One onnxruntime configuration in a fresh process (onnxruntime-web fixes its thread count at the
 * first session): builds the ONNX graph of the model with `tvunet export`'s code, times
 * session.run per slice, and compares its output with tvunet's forward pass on the same input.
 *   node --import tsx bench/onnx-peer-child.ts --runtime web|node --threads N --model DIR --runs R
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../src/backends/select.js';
import { loadModelFromPath } from '../src/io/node-fs.js';
import { unetProbabilities, type UNetWeights } from '../src/model/unet.js';
import { unetToOnnx } from '../trainer/src/onnx/unet-onnx.js';
import { argValue, reportToParent, summarize, timeCalls } from './lib.js';
import { prng } from './model.js';

const argv = process.argv.slice(2);
const runtime = argValue(argv, 'runtime') === 'node' ? 'node' : 'web';
const threads = Number(argValue(argv, 'threads') ?? 1);
const runs = Number(argValue(argv, 'runs') ?? 10);
const { manifest, weights } = await loadModelFromPath(argValue(argv, 'model')!);
const config = manifest.architecture;
const s = config.inputSize;
const c = config.outChannels;
const rand = prng(42);
const input = Float32Array.from({ length: s * s }, () => 2 * rand() - 1); // one standardised slice; C = 1 so NCHW = NHWC

type Session = { run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown }>>; release(): Promise<void> };
let session: Session;
let makeInput: () => unknown;
const onnx = unetToOnnx(weights, config);
if (runtime === 'web') {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = threads;
  session = (await ort.InferenceSession.create(onnx, { executionProviders: ['wasm'] })) as unknown as Session;
  makeInput = () => new ort.Tensor('float32', input, [1, 1, s, s]);
} else {
  const ort = await import('onnxruntime-node');
  session = (await ort.InferenceSession.create(onnx, { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1 })) as unknown as Session;
  makeInput = () => new ort.Tensor('float32', input, [1, 1, s, s]);
}

const run = async () => (await session.run({ input: makeInput() })).probabilities!.data as Float32Array;
const samples = await timeCalls(run, 3, runs);
const theirs = await run(); // [1,c,s,s]

await selectBackend('wasm');
const w: UNetWeights = {};
for (const [name, t] of weights) w[name] = tf.tensor(t.data, t.shape, 'float32');
const ours = (await unetProbabilities(w, tf.tensor4d(input, [1, s, s, 1]), config).data()) as Float32Array; // [1,s,s,c]
let maxAbsDiff = 0;
for (let ch = 0; ch < c; ch++) for (let p = 0; p < s * s; p++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(theirs[ch * s * s + p]! - ours[p * c + ch]!));
await session.release();
reportToParent({ runtime, threads, stats: summarize(samples), maxAbsDiff, onnxBytes: onnx.length });
