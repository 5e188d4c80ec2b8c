/**
 * Browser tests (npm run test:browser) against the BUILT bundles in dist/ (run `npm run build`
 * first; `npm test` does). Headless Debian Chromium; flags and facts: shared/notes/platform.md.
 *
 * Every response is served cross-origin isolated (COOP/COEP), like a page that wants threads.
 * `/__tvunet__/ct-slice.jpg` serves a real CT slice: from ../shared/data (beside the repository,
 * wherever it is cloned; or $TVUNET_SHARED_DIR/data) or else the first JPG of test/fixtures/covid-semiseg/Imgs/
 * (or test/fixtures/slices/); 404 when there is none.
 * `/__tvunet__/store/*` keeps bytes PUT by a test in memory and serves them back.
 */
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromeLauncher } from '@web/test-runner-chrome';

const repoRoot = dirname(fileURLToPath(import.meta.url));
/** The shared data folder: $TVUNET_SHARED_DIR, else `shared/` beside the repository. */
const SHARED_DIR = process.env.TVUNET_SHARED_DIR ?? resolve(repoRoot, '../shared');
const SHARED_SLICE = join(SHARED_DIR, 'data/covid-semiseg/TrainingSet/LungInfection-Train/Doctor-label/Imgs/0.jpg');
const FIXTURES = join(repoRoot, 'test/fixtures');
const FIXTURE_DIRS = ['covid-semiseg/Imgs', 'slices'].map((d) => join(FIXTURES, d));

function ctSlicePath() {
  if (existsSync(SHARED_SLICE)) return SHARED_SLICE;
  for (const dir of FIXTURE_DIRS.filter((d) => existsSync(d))) {
    const jpgs = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort();
    if (jpgs.length) return join(dir, jpgs[0]);
  }
  return null;
}

const store = new Map();
const CHROMIUM = process.env.CHROME_PATH ?? '/usr/bin/chromium';

export default {
  files: ['test/browser/**/*.test.{js,html}'],
  rootDir: repoRoot,
  nodeResolve: true,
  concurrency: 1,
  browserStartTimeout: 120_000,
  testsStartTimeout: 120_000,
  testsFinishTimeout: 900_000,
  testFramework: { config: { timeout: 300_000 } },
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--no-sandbox',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--enable-unsafe-webgpu',
          `--user-data-dir=${mkdtempSync(join(tmpdir(), 'tvunet-chromium-'))}`,
        ],
      },
    }),
  ],
  middleware: [
    async function crossOriginIsolation(ctx, next) {
      await next();
      ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
      ctx.set('Cross-Origin-Embedder-Policy', 'require-corp');
    },
    // test/browser/csp-page.html runs under a strict Content-Security-Policy (?csp=strict, or
    // ?csp=no-wasm without 'wasm-unsafe-eval'); the scripts and workers it loads get the same
    // header (they carry its URL as Referer), so a dedicated worker runs under it too.
    async function cspPages(ctx, next) {
      await next();
      const page = '/test/browser/csp-page.html';
      const fromPage = ctx.path === page ? ctx.URL : (() => {
        try {
          const ref = new URL(ctx.get('Referer'));
          return ref.pathname === page ? ref : null;
        } catch {
          return null;
        }
      })();
      if (!fromPage) return;
      const wasm = fromPage.searchParams.get('csp') === 'no-wasm' ? '' : " 'wasm-unsafe-eval'";
      ctx.set('Content-Security-Policy', `default-src 'self'; script-src 'self'${wasm}; worker-src 'self' blob:; connect-src 'self'`);
    },
    // Tests PUT bytes here and load them back over HTTP (e.g. a model built in the page).
    async function memoryStore(ctx, next) {
      if (!ctx.path.startsWith('/__tvunet__/store/')) return next();
      if (ctx.method === 'PUT') {
        const chunks = [];
        for await (const c of ctx.req) chunks.push(c);
        store.set(ctx.path, Buffer.concat(chunks));
        ctx.status = 204;
        return;
      }
      const body = store.get(ctx.path);
      if (!body) return void (ctx.status = 404);
      ctx.type = ctx.path.endsWith('.json') ? 'application/json' : 'application/octet-stream';
      ctx.body = body;
    },
    async function ctSlice(ctx, next) {
      if (ctx.path !== '/__tvunet__/ct-slice.jpg') return next();
      const file = ctSlicePath();
      if (!file) {
        ctx.status = 404;
        ctx.body = 'no CT slice: ../shared/data is missing and test/fixtures/slices/ holds no .jpg';
        return;
      }
      ctx.type = 'image/jpeg';
      ctx.set('X-Tvunet-Source', file.startsWith(FIXTURES) ? 'fixture' : 'shared');
      ctx.body = createReadStream(file);
    },
  ],
};
