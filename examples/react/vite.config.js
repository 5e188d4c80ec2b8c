/**
 * Vite config of the React example. Two things are specific to tvunet; the rest is stock Vite.
 *
 * 1. Where 'tvunet' comes from. The app imports it as any app would ('tvunet', 'tvunet/volume',
 *    'tvunet/worker'). In your own project `npm install tvunet` and drop the alias. Here the alias
 *    points those specifiers at this repository's build (dist/, from `npm run build`), using the
 *    files package.json "exports" names for them, i.e. exactly what Vite resolves from an
 *    installed package, so the example runs from the repository without its own `npm install`
 *    (react and vite come from the root devDependencies). A `file:../..` dependency would do the
 *    same through a symlink, but needs that extra install step.
 *
 * 2. Files tvunet loads at run time, that no bundler can see: the tfjs WebAssembly binaries and
 *    the default model. `tvunetAssets()` serves them (dev) or copies them (build) under
 *    `tvunet/`, and the app passes `wasmPaths` and `model` pointing there. In your project you can
 *    instead copy node_modules/tvunet/dist/*.wasm and node_modules/tvunet/models/default/uint8/
 *    into public/tvunet/.
 */
import { createReadStream, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const { exports } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));

const tvunetAlias = Object.entries(exports)
  .filter(([, target]) => typeof target === 'object' && target.import)
  .map(([subpath, target]) => ({
    find: new RegExp(`^tvunet${subpath.slice(1).replace(/[/.-]/g, '\\$&')}$`), // '.' → 'tvunet', './volume' → 'tvunet/volume'
    replacement: join(REPO, target.import),
  }));

/** Files served / emitted under tvunet/: URL path → file on disk. */
function runtimeFiles() {
  const files = {};
  for (const name of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm']) files[`tvunet/${name}`] = join(REPO, 'dist', name);
  const model = join(REPO, 'models/default/uint8');
  if (existsSync(model)) for (const name of readdirSync(model)) files[`tvunet/models/default/uint8/${name}`] = join(model, name);
  return files;
}

function tvunetAssets() {
  return {
    name: 'tvunet-runtime-assets',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const file = runtimeFiles()[decodeURIComponent(req.url.split('?')[0]).replace(/^\//, '')];
        if (!file || !existsSync(file)) return next();
        res.setHeader('Content-Type', file.endsWith('.wasm') ? 'application/wasm' : file.endsWith('.json') ? 'application/json' : 'application/octet-stream');
        createReadStream(file).pipe(res);
      });
    },
    generateBundle() {
      for (const [fileName, file] of Object.entries(runtimeFiles())) this.emitFile({ type: 'asset', fileName, source: readFileSync(file) });
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Relative URLs: the built app works from any folder (e.g. /examples/react/dist/ of `npm run examples`).
  base: './',
  resolve: { alias: tvunetAlias },
  // JSX without @vitejs/plugin-react (whose current major needs Vite 8): esbuild's automatic runtime.
  esbuild: { jsx: 'automatic' },
  // tvunet starts its worker with `new Worker(new URL('./tvunet.worker.js', import.meta.url), { type: 'module' })`;
  // Vite bundles that worker, and it must stay an ES module.
  worker: { format: 'es' },
  // Pre-bundling would move tvunet's files away from its worker (a known Vite limitation for workers in dependencies).
  optimizeDeps: { exclude: ['tvunet'] },
  plugins: [tvunetAssets()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  logLevel: 'warn',
});
