/**
 * Training speed, s per step (batch 4, BCE + Dice + 0.1·TV, Adam): WASM with the trainer's
 * kernels against tfjs-backend-cpu. The cpu backend is too slow at 256² for a benchmark run, so
 * both are measured at 64² (the measured ratio) and WASM also at 256²; the cpu time at 256² is
 * the 64² time × 16 (convolutions scale with pixels) and is labelled as an estimate.
 */
import { runChild, type BenchOptions, type Stats } from './lib.js';

export interface TrainingRow {
  id: string;
  label: string;
  backend: string;
  side: number;
  batch: number;
  stats: Stats | null;
  /** Seconds per step; for an estimate, how it was derived. */
  secondsPerStep: number;
  estimated?: string;
}

export async function benchTraining(o: BenchOptions, log: (s: string) => void): Promise<TrainingRow[]> {
  const rows: TrainingRow[] = [];
  const measure = async (id: string, backend: 'wasm' | 'cpu', side: number, steps: number) => {
    const r = await runChild<{ backend: string; stats: Stats }>('bench/training-child.ts', ['--backend', backend, '--side', String(side), '--batch', '4', '--steps', String(steps)]);
    if (r.backend !== backend) throw new Error(`asked for ${backend}, got ${r.backend}`);
    const row: TrainingRow = { id, label: `${backend === 'wasm' ? 'WASM + trainer kernels' : 'tfjs-backend-cpu'}, batch 4, ${side}²`, backend, side, batch: 4, stats: r.stats, secondsPerStep: r.stats.medianMs / 1000 };
    rows.push(row);
    log(`training ${id}: ${row.secondsPerStep.toFixed(2)} s/step`);
    return row;
  };
  await measure('train-wasm-256', 'wasm', 256, o.quick ? 2 : 5);
  const wasm64 = await measure('train-wasm-64', 'wasm', 64, o.quick ? 3 : 10);
  const cpu64 = await measure('train-cpu-64', 'cpu', 64, o.quick ? 1 : 2); // ~40 s a step: tfjs-backend-cpu's Conv2DBackpropFilter
  rows.push({
    id: 'train-cpu-256-est', label: 'tfjs-backend-cpu, batch 4, 256² (ESTIMATE)', backend: 'cpu', side: 256, batch: 4, stats: null,
    secondsPerStep: cpu64.secondsPerStep * 16, estimated: `cpu 64² × 16 (pixel ratio); measured cpu/wasm at 64²: ${(cpu64.secondsPerStep / wasm64.secondsPerStep).toFixed(1)}×`,
  });
  return rows;
}
