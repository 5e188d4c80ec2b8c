/**
 * Builds dist/ (see README "Bundles"):
 *   tvunet.worker.js            browser module worker, everything bundled, minified
 *   tvunet.mjs                  ESM for npm/bundlers; tfjs external
 *   tvunet-worker-client.mjs    createWorkerSegmenter (main thread); comlink bundled
 *   tvunet-worker-inline.mjs    the same with tvunet.worker.js embedded (Blob URL)
 *   tvunet-worker-node.mjs      Node worker_threads entry; imports ./tvunet.mjs
 *   tvunet.umd.js               <script> build, global `tvunet`, everything bundled, minified
 *   tfjs-backend-wasm{,-simd}.wasm  copied beside the bundles (their default wasm location)
 * The configs run in this order (rollup builds an array sequentially); the inline client reads
 * the worker bundle written by the first one.
 */
import { copyFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import esbuild from 'rollup-plugin-esbuild';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');
/** The multi-threaded binary is never used (src/backends/select.ts turns it off), so it is not shipped. */
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'];
const TFJS_EXTERNAL = /^@tensorflow\/tfjs-(core|backend-wasm|backend-webgpu|backend-cpu)(\/.*)?$/;
/** Volume readers' dependencies (CommonJS/UMD dicom-parser, nifti-reader-js + fflate): left to the consumer's resolver in the ESM build. */
const VOLUME_DEPS_EXTERNAL = /^(dicom-parser|nifti-reader-js|fflate)(\/.*)?$/;
/** Must match WORKER_BASE_URL_GLOBAL in worker/inline.ts. */
const WORKER_URL_GLOBAL = '__TVUNET_WORKER_URL__';

/** src/segmenter/model-source.ts points two folders up from src/segmenter/; a bundle sits one below the package root. */
function defaultModelPath() {
  const from = "'../../models/default/uint8/model.json'";
  const to = "'../models/default/uint8/model.json'";
  return {
    name: 'tvunet-default-model-path',
    transform(code, id) {
      if (!id.replace(/\\/g, '/').endsWith('/src/segmenter/model-source.ts')) return null;
      if (!code.includes(from)) this.error(`model-source.ts no longer contains ${from}: update rollup.config.mjs`);
      return { code: code.replace(from, to), map: null };
    },
  };
}

/**
 * Browser-only bundles: Node built-ins become empty modules. They are reached only behind
 * "is this Node?" checks (ours, tfjs-core's platform_node, emscripten's ENVIRONMENT_IS_NODE).
 */
const NODE_BUILTINS = new Set(builtinModules);
function stubNodeBuiltins() {
  return {
    name: 'tvunet-stub-node-builtins',
    resolveId: (id) => (id.startsWith('node:') || NODE_BUILTINS.has(id.split('/')[0]) ? `\0node-stub:${id}` : null),
    load: (id) => (id.startsWith('\0node-stub:') ? 'export {};' : null),
  };
}

/** ESM for bundlers: keep `import('node:…')` native and tell webpack / vite not to follow it. */
function ignorableNodeImports() {
  return {
    name: 'tvunet-ignorable-node-imports',
    renderDynamicImport({ targetModuleId }) {
      if (targetModuleId?.startsWith('node:')) return { left: 'import(/* webpackIgnore: true */ /* @vite-ignore */ ', right: ')' };
      return null;
    },
  };
}

/** `import.meta.url` replacement per output: the worker honours a base URL set by the inline client. */
function importMetaUrl(code) {
  return { name: 'tvunet-import-meta-url', resolveImportMeta: (prop) => (prop === 'url' ? code : null) };
}

/** Serves the worker bundle's text to worker/inline.ts. */
function workerSource() {
  const id = '\0tvunet-worker-source';
  return {
    name: 'tvunet-worker-source',
    resolveId: (source) => (source === 'virtual:tvunet-worker-source' ? id : null),
    load(loadId) {
      if (loadId !== id) return null;
      const file = join(dist, 'tvunet.worker.js');
      this.addWatchFile(file);
      return `export default ${JSON.stringify(readFileSync(file, 'utf8'))};`;
    },
  };
}

function copyWasm() {
  return {
    name: 'tvunet-copy-wasm',
    writeBundle() {
      const from = join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
      mkdirSync(dist, { recursive: true });
      for (const f of WASM_FILES) copyFileSync(join(from, f), join(dist, f));
    },
  };
}

/** Prints raw and gzipped sizes of what a config wrote. */
function sizes(extra = []) {
  return {
    name: 'tvunet-sizes',
    writeBundle(options, bundle) {
      const dir = options.dir ?? dirname(options.file);
      const files = [...Object.keys(bundle).filter((f) => !f.endsWith('.map')), ...extra];
      for (const f of files) {
        const path = join(dir, f);
        const buf = readFileSync(path);
        const kb = (n) => `${(n / 1024).toFixed(1)} kB`.padStart(10);
        console.log(`  ${relative(root, path).padEnd(48)} ${kb(statSync(path).size)} ${kb(gzipSync(buf, { level: 9 }).length)} gz`);
      }
    },
  };
}

const onwarn = (warning, warn) => {
  // tfjs and emscripten output: top-level `this`, eval in emscripten, circular imports inside tfjs.
  if (['THIS_IS_UNDEFINED', 'EVAL', 'CIRCULAR_DEPENDENCY'].includes(warning.code)) return;
  if (warning.code === 'MISSING_EXPORT' && String(warning.exporter).startsWith('\0node-stub:')) return;
  warn(warning);
};

const ts = () => esbuild({ target: 'es2022', tsconfig: join(root, 'tsconfig.json'), sourceMap: true });
const browserPlugins = () => [stubNodeBuiltins(), defaultModelPath(), nodeResolve({ browser: true, preferBuiltins: false }), commonjs(), ts()];
const minify = (module) => terser({ module, ecma: 2020, compress: { passes: 2 }, format: { comments: false } });

export default [
  // 1. The browser worker (read by the inline client below, so it comes first).
  {
    input: 'worker/worker.ts',
    onwarn,
    plugins: [...browserPlugins(), importMetaUrl(`(globalThis.${WORKER_URL_GLOBAL} || import.meta.url)`)],
    output: { file: 'dist/tvunet.worker.js', format: 'es', inlineDynamicImports: true, sourcemap: false, plugins: [minify(true), sizes()] },
  },
  // 2. ESM entries that share modules (TvunetError has one identity across them).
  {
    input: {
      tvunet: 'src/index.ts',
      'tvunet-volume': 'src/volume/index.ts',
      'tvunet-worker-client': 'worker/index.ts',
      'tvunet-worker-inline': 'worker/inline.ts',
      'tvunet-worker-node': 'worker/worker-node.ts',
    },
    onwarn,
    external: (id, importer) => TFJS_EXTERNAL.test(id) || VOLUME_DEPS_EXTERNAL.test(id) || id.startsWith('node:'),
    plugins: [
      {
        // The Node worker entry uses the library entry itself rather than a copy of it.
        name: 'tvunet-node-worker-uses-entry',
        resolveId(source, importer) {
          if (importer?.replace(/\\/g, '/').endsWith('/worker/service.ts')) {
            if (source === '../src/index.js') return { id: './tvunet.mjs', external: 'relative' };
            if (source === '../src/volume/index.js') return { id: './tvunet-volume.mjs', external: 'relative' };
          }
          return null;
        },
      },
      workerSource(),
      defaultModelPath(),
      nodeResolve({ preferBuiltins: true }),
      ts(),
      ignorableNodeImports(),
    ],
    output: {
      dir: 'dist',
      format: 'es',
      entryFileNames: '[name].mjs',
      chunkFileNames: 'tvunet-shared-[hash].mjs',
      sourcemap: true,
      plugins: [sizes()],
    },
  },
  // 3. <script> build (library and volumes); import.meta.url is the script's own URL, captured while it runs.
  {
    input: 'src/umd.ts',
    onwarn,
    plugins: [...browserPlugins(), importMetaUrl('__tvunetScriptUrl'), copyWasm()],
    output: {
      file: 'dist/tvunet.umd.js',
      format: 'umd',
      name: 'tvunet',
      exports: 'named',
      inlineDynamicImports: true,
      intro:
        'var __tvunetScriptUrl = (typeof document !== "undefined" && document.currentScript && document.currentScript.src) || ' +
        '(typeof location !== "undefined" && location.href) || "file:///";',
      plugins: [minify(false), sizes(WASM_FILES)],
    },
  },
];
