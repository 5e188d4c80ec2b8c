/** What the benchmark groups share: timing statistics, child processes and options. */
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface BenchOptions {
  /** Few iterations and a short volume: for development on a busy machine. */
  quick: boolean;
  /** Worker-pool size and the "× cores" of the peak: os.cpus().length. */
  cores: number;
}

export function defaultOptions(quick: boolean): BenchOptions {
  return { quick, cores: cpus().length };
}

export interface Stats {
  n: number;
  medianMs: number;
  p95Ms: number;
  minMs: number;
  meanMs: number;
}

/** Nearest-rank percentile of sorted samples. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summarize(samplesMs: number[]): Stats {
  const s = [...samplesMs].sort((a, b) => a - b);
  const mid = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return { n: s.length, medianMs: mid, p95Ms: percentile(s, 95), minMs: s[0]!, meanMs: s.reduce((a, b) => a + b, 0) / s.length };
}

/** Runs `fn` `warmup` times untimed, then `runs` times; returns the per-call wall times (ms). */
export async function timeCalls(fn: () => Promise<unknown> | unknown, warmup: number, runs: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** Marks the one line of a child process's stdout that carries its result. */
export const RESULT_PREFIX = 'TVUNET_BENCH_RESULT ';

/** Prints a child's result for {@link runChild}. */
export function reportToParent(result: unknown): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

/**
 * Runs `node [--import tsx] script args` in a fresh process and returns the object it reported.
 * Fresh processes keep measurements apart: global tfjs state (backend, kernels), onnxruntime's
 * thread count (fixed at its first session) and the process-lifetime maxRSS.
 */
export function runChild<T>(script: string, args: string[], options: { tsx?: boolean; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<T & { wallMs: number }> {
  const nodeArgs = [...(options.tsx === false ? [] : ['--import', 'tsx']), script, ...args];
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs, { cwd: REPO_ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30 * 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code === 0 && line) resolve({ ...(JSON.parse(line.slice(RESULT_PREFIX.length)) as T), wallMs: performance.now() - t0 });
      else reject(new Error(`${script} ${args.join(' ')} exited ${code}: ${(stderr || stdout).trim().split('\n').slice(-6).join('\n')}`));
    });
  });
}

/** `--name value` from argv, for the child scripts. */
export function argValue(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
