// tfjs-core's CommonJS entry (what Node loads) registers no gradients, and its ESM sources cannot
// be imported by Node directly (directory imports). This bundles tfjs-core's own
// register_all_gradients into one CommonJS file: like the @tensorflow/tfjs union package, the
// bundled copy registers into tfjs's global registry and runs on the global engine.
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const core = dirname(require.resolve('@tensorflow/tfjs-core/package.json'));
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'generated', 'register-gradients.cjs');
await build({
  entryPoints: [join(core, 'dist', 'register_all_gradients.js')],
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  outfile: out,
  logLevel: 'warning',
});
console.log(`wrote ${out}`);
