/**
 * The peer: the same network and weights, exported to ONNX, in onnxruntime-web's WASM build
 * (1 and 2 threads; what a browser page would use) and onnxruntime-node (native CPU code: a
 * reference, not a like-for-like browser number). Each configuration runs in its own process.
 */
import { forwardFlops } from '../src/model/config.js';
import { runChild, type BenchOptions, type Stats } from './lib.js';
import type { BenchModel } from './model.js';

export interface OrtRow {
  id: string;
  label: string;
  stats: Stats | null;
  gflops: number;
  maxAbsDiff: number | null;
  note?: string;
}

const CONFIGS = [
  { runtime: 'web', threads: 1, label: 'onnxruntime-web WASM, 1 thread (Node)' },
  { runtime: 'web', threads: 2, label: 'onnxruntime-web WASM, 2 threads (Node)' },
  { runtime: 'node', threads: 1, label: 'onnxruntime-node native CPU, 1 thread' },
  { runtime: 'node', threads: 2, label: 'onnxruntime-node native CPU, 2 threads' },
] as const;

export async function benchOnnxPeer(model: BenchModel, o: BenchOptions, log: (s: string) => void): Promise<OrtRow[]> {
  const flops = forwardFlops(model.config);
  const rows: OrtRow[] = [];
  for (const c of CONFIGS) {
    const id = `ort-${c.runtime}-${c.threads}t`;
    try {
      const r = await runChild<{ stats: Stats; maxAbsDiff: number }>('bench/onnx-peer-child.ts', [
        '--runtime', c.runtime, '--threads', String(c.threads), '--model', model.dir, '--runs', String(o.quick ? 5 : 30),
      ]);
      rows.push({ id, label: c.label, stats: r.stats, gflops: flops / 1e6 / r.stats.medianMs, maxAbsDiff: r.maxAbsDiff });
      log(`${id}: ${r.stats.medianMs.toFixed(0)} ms/slice, max |Δp| vs tvunet ${r.maxAbsDiff.toExponential(1)}`);
    } catch (e) {
      rows.push({ id, label: c.label, stats: null, gflops: 0, maxAbsDiff: null, note: `not measured: ${(e as Error).message.split('\n')[0]}` });
      log(`${id}: failed: ${(e as Error).message}`);
    }
  }
  return rows;
}
