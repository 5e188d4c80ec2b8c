/** Download sizes, gzip -9: the library's own JS, the all-in-one bundle, the .wasm, each weights variant. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { REPO_ROOT } from './lib.js';

export interface SizeRow {
  id: string;
  label: string;
  files: string[];
  bytes: number;
  gzBytes: number;
}

const gz = (buf: Buffer) => gzipSync(buf, { level: 9 }).length;

/** An ES module and the local chunks it imports statically (rollup's shared chunks), not tfjs. */
function withLocalImports(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || !existsSync(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const m of code.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|^\s*import\s*['"](\.[^'"]+)['"]/gm)) visit(join(dirname(file), m[1] ?? m[2]!));
  };
  visit(entry);
  return [...seen];
}

function sizeOf(id: string, label: string, files: string[]): SizeRow {
  let bytes = 0;
  let gzBytes = 0;
  for (const f of files) {
    const buf = readFileSync(f);
    bytes += buf.length;
    gzBytes += gz(buf);
  }
  return { id, label, files: files.map((f) => relative(REPO_ROOT, f)), bytes, gzBytes };
}

export function benchSizes(log: (s: string) => void): SizeRow[] {
  const dist = join(REPO_ROOT, 'dist');
  const rows: SizeRow[] = [];
  if (existsSync(join(dist, 'tvunet.mjs'))) {
    rows.push(sizeOf('lib-js', 'library JS (dist/tvunet.mjs + its chunks, tfjs external)', withLocalImports(join(dist, 'tvunet.mjs'))));
  }
  if (existsSync(join(dist, 'tvunet.umd.js'))) rows.push(sizeOf('total-js', 'total JS (dist/tvunet.umd.js, tfjs bundled)', [join(dist, 'tvunet.umd.js')]));
  if (existsSync(join(dist, 'tfjs-backend-wasm-simd.wasm'))) rows.push(sizeOf('wasm-simd', 'tfjs-backend-wasm SIMD .wasm', [join(dist, 'tfjs-backend-wasm-simd.wasm')]));
  for (const variant of ['float32', 'float16', 'uint8']) {
    const dir = join(REPO_ROOT, 'models/default', variant);
    if (!existsSync(dir)) continue;
    const files = readdirSync(dir).map((f) => join(dir, f)).filter((f) => statSync(f).isFile());
    rows.push(sizeOf(`weights-${variant}`, `weights models/default/${variant} (manifest + shards)`, files));
  }
  log(`sizes: ${rows.map((r) => `${r.id} ${(r.gzBytes / 1024).toFixed(1)} kB gz`).join(', ') || 'nothing built'}`);
  return rows;
}
