/**
 * The examples (examples/script-tag, examples/react) in headless Chromium, driven like a user
 * would: the page is opened from a static server (examples/serve.mjs, which serves the examples
 * under a strict CSP), a real CT volume is given to the page's own <input type=file>, and we wait
 * for the report. Run after `npm run build`: `npm run test:examples` (it builds the React
 * example with Vite first, and also runs it on Vite's dev server).
 *
 * The model has SEEDED RANDOM WEIGHTS (test/examples/fixture.mjs): the numbers are not clinical,
 * they only have to be the library's. The expected segmentation is computed in Node, with the
 * same volume file, model, options and backend (WASM) as the pages, before the browser starts:
 * it is an independent run of the library (not the page checking itself), and tfjs-wasm's
 * kernels give the same result in Node and Chromium, so labels and burden must match exactly.
 *
 * For the README only, `npm run examples:screenshots` runs the same tests with the trained model
 * (TVUNET_EXAMPLES_MODEL=models/default/uint8) and writes docs/example-script-tag.png and
 * docs/example-react.png (TVUNET_EXAMPLES_SCREENSHOTS=docs); otherwise screenshots go to a
 * temporary folder and the committed ones are left alone.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import puppeteer from 'puppeteer-core';
import { build, createServer } from 'vite';
import { extractSlice } from '../../dist/tvunet-volume.mjs';
import { serve } from '../../examples/serve.mjs';
import { REPO, buildFixture } from './fixture.mjs';

const CHROMIUM = process.env.CHROME_PATH ?? '/usr/bin/chromium';
const TRAINED = process.env.TVUNET_EXAMPLES_MODEL ? resolve(REPO, process.env.TVUNET_EXAMPLES_MODEL) : null;
const WEIGHTS = TRAINED ? 'trained model' : 'random weights';
const WORK = mkdtempSync(join(tmpdir(), 'tvunet-examples-'));
const SCREENSHOTS = process.env.TVUNET_EXAMPLES_SCREENSHOTS ? resolve(REPO, process.env.TVUNET_EXAMPLES_SCREENSHOTS) : join(WORK, 'screenshots');
/** Page options: the test's model (served under /__test__/model/), WASM, two workers (two cores here). */
const QUERY = '?model=/__test__/model/model.json&backend=wasm&workers=2';

/** FNV-1a over the label volume: a short fingerprint to compare the page's labels with Node's. */
const FNV = `(labels) => {
  let h = 0x811c9dc5;
  for (let i = 0; i < labels.length; i++) h = Math.imul(h ^ labels[i], 0x01000193) >>> 0;
  return h;
}`;
const fnv = (0, eval)(FNV);

/** The report's numbers as the pages format them. */
const mL = (x) => `${x.toFixed(1)} mL`;
const percent = (x) => (x === null ? '–' : `${x.toFixed(1)} %`);

let fixture, server, browser;

before(async () => {
  const dir = join(WORK, 'fixture');
  fixture = await buildFixture(dir, { seed: 9, trainedModelDir: TRAINED });
  console.log(`CT: ${fixture.source}, ${fixture.volume.dims.join('×')}; model ${fixture.modelName}; expected (Node): ${fixture.expected.burden.infectedVolumeMl.toFixed(1)} mL infected, ${fixture.expected.burden.lesions.count} lesions`);
  server = await serve({ port: 0, mounts: { '/__test__/': dir, '/__test__/model/': fixture.modelDir } });
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Flags: shared/notes/platform.md. WebGL2 (NiiVue) runs on SwiftShader here.
    args: ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', `--user-data-dir=${join(WORK, 'chromium')}`],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(WORK, { recursive: true, force: true });
});

/** A page that records console errors, page errors and CSP violations. */
async function openPage(path) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1180, height: 860 });
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (/Failed to load resource/.test(m.text())) return; // reported with its URL below
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  const response = await page.goto(path.startsWith('http') ? path : `${server.url}${path}`, { waitUntil: 'load' });
  return { page, problems, csp: response.headers()['content-security-policy'] ?? null };
}

/** Waits until window.__tvunetExample.state is one of `states` (or 'error', which fails). */
async function waitForState(page, states, timeout = 240_000) {
  await page.waitForFunction((s) => s.includes(window.__tvunetExample?.state) || window.__tvunetExample?.state === 'error', { timeout, polling: 200 }, states);
  const { state, error } = await page.evaluate(() => ({ state: window.__tvunetExample.state, error: window.__tvunetExample.error }));
  assert.notEqual(state, 'error', `the page reported an error: ${JSON.stringify(error)}`);
}

/** The page's result against Node's: same label volume, same burden. */
async function checkResult(page, expected) {
  const got = await page.evaluate(`(() => { const r = window.__tvunetExample.result; return { burden: r.burden, labelNames: r.labelNames, dims: r.dims, hash: (${FNV})(r.labels) }; })()`);
  assert.deepEqual(got.dims, expected.dims, 'dims');
  assert.deepEqual(got.labelNames, expected.labelNames, 'label names');
  assert.equal(got.hash, fnv(expected.labels), 'label volume (FNV-1a) equals the one computed in Node');
  assert.deepEqual(got.burden, JSON.parse(JSON.stringify(expected.burden)), 'burden report equals the one computed in Node');
  return got.burden;
}

/** Reads the report's <dd data-field> texts. */
const reportTexts = (page) => page.evaluate(() => Object.fromEntries([...document.querySelectorAll('[data-field]')].map((e) => [e.dataset.field, e.textContent])));

function expectedTexts(b) {
  return {
    infected: mL(b.infectedVolumeMl),
    lungs: b.lungVolumeMl === null ? '–' : mL(b.lungVolumeMl),
    percent: percent(b.percentInvolved),
    severity: b.severity ? `${b.severity.score} / 5 (${b.severity.band})` : '–',
    lesions: String(b.lesions.count),
  };
}

/** Decodes a PNG screenshot to RGBA. */
const decode = (buffer) => PNG.sync.read(Buffer.from(buffer));

describe(`examples (${TRAINED ? 'trained model' : 'seeded random weights'}, real CT volume)`, { timeout: 900_000 }, () => {
  it(`script tag + NiiVue: a NIfTI from the file input is segmented in a worker pool, overlaid in NiiVue, and the burden equals the library\'s in Node (${WEIGHTS})`, async () => {
    const { page, problems, csp } = await openPage(`/examples/script-tag/${QUERY}`);
    try {
      assert.match(csp ?? '', /script-src 'self' 'wasm-unsafe-eval';/, 'served under the strict CSP');
      await waitForState(page, ['ready']);
      assert.equal(await page.evaluate(() => window.__tvunetExample.modelName), fixture.modelName);
      const input = await page.$('#files');
      await input.uploadFile(fixture.niftiPath);
      await waitForState(page, ['done']);

      const burden = await checkResult(page, fixture.expected);
      assert.deepEqual(await reportTexts(page), expectedTexts(burden), 'report text');

      // The overlay: NiiVue's WebGL canvas, screenshotted with the label volume shown and hidden.
      // The page opens on the most infected slice, in radiological convention, filling the square
      // canvas with nearest-neighbour labels: canvas pixel (px, py) shows voxel
      // (⌊(px + ½)·nx/W⌋, ⌊(py + ½)·ny/H⌋) of that slice (this volume's x runs to the patient's
      // left, y to posterior). A pixel that gains colour (R − B grows: red or yellow over grey)
      // must show a labelled voxel, and vice versa. Pixels under NiiVue's blue crosshair, and
      // the antialiased rims of labelled regions, are left out.
      const canvas = await page.$('#viewer');
      const settle = () => new Promise((r) => setTimeout(r, 300));
      await settle();
      const withOverlay = decode(await canvas.screenshot());
      await page.click('#show-overlay');
      await settle();
      const without = decode(await canvas.screenshot());
      await page.click('#show-overlay');
      await settle();
      const { labels, dims: [nx, ny] } = fixture.expected;
      const slice = burden.perSlice.reduce((a, b) => (b.infectedAreaMm2 > a.infectedAreaMm2 ? b : a)).index;
      const { width: W, height: H } = without;
      const labelAt = (px, py) => labels[Math.floor(((px + 0.5) * nx) / W) + nx * (Math.floor(((py + 0.5) * ny) / H) + ny * slice)] !== 0;
      let compared = 0, labelled = 0, hits = 0, falseTints = 0;
      for (let py = 1; py < H - 1; py++) {
        for (let px = 1; px < W - 1; px++) {
          const i = 4 * (py * W + px);
          if (without.data[i + 2] > without.data[i] + 30) continue; // crosshair
          const isLabelled = labelAt(px, py);
          if (labelAt(px - 1, py) !== isLabelled || labelAt(px + 1, py) !== isLabelled || labelAt(px, py - 1) !== isLabelled || labelAt(px, py + 1) !== isLabelled) continue; // rim
          const tinted = withOverlay.data[i] - withOverlay.data[i + 2] - (without.data[i] - without.data[i + 2]) > 8;
          compared++;
          labelled += isLabelled ? 1 : 0;
          hits += isLabelled && tinted ? 1 : 0;
          falseTints += !isLabelled && tinted ? 1 : 0;
        }
      }
      console.log(`NiiVue overlay, slice ${slice}, ${W}×${H} canvas: ${compared} pixels compared, ${labelled} show labelled voxels, ${hits} of them tinted, ${falseTints} tinted elsewhere`);
      assert.ok(labelled > 0, 'the displayed slice has labelled voxels');
      assert.ok(hits >= 0.99 * labelled, `the labelled voxels are drawn in colour (${hits} of ${labelled} pixels)`);
      assert.ok(falseTints <= 0.001 * compared, `nothing else is (${falseTints} pixels)`);

      await page.screenshot({ path: join(SCREENSHOTS, 'example-script-tag.png') });
      assert.deepEqual(problems, [], 'no console errors, page errors or CSP violations');
    } finally {
      await page.close();
    }
  });

  it(`script tag + NiiVue: a DICOM series is read in a worker, shown in NiiVue with its labels, and the burden equals the library's in Node (${WEIGHTS})`, async () => {
    const { page, problems } = await openPage(`/examples/script-tag/${QUERY}`);
    try {
      await waitForState(page, ['ready']);
      await (await page.$('#files')).uploadFile(...fixture.dicomPaths);
      await waitForState(page, ['done']);
      const burden = await checkResult(page, fixture.expectedDicom);
      assert.deepEqual(await reportTexts(page), expectedTexts(burden), 'report text');
      // The page re-encodes the series as NIfTI for NiiVue: CT and labels share its geometry.
      const shown = await page.evaluate(() => {
        const nv = window.__tvunetExample.viewer;
        return nv.volumes.map((v) => ({ dims: Array.from(v.hdr.dims.slice(1, 4)), pixDims: Array.from(v.hdr.pixDims.slice(1, 4), (x) => Math.round(x * 1000) / 1000) }));
      });
      const { dims, spacingMm } = fixture.expectedDicom;
      assert.deepEqual(shown, [0, 1].map(() => ({ dims, pixDims: spacingMm.map((x) => Math.round(x * 1000) / 1000) })), 'NiiVue shows the CT and the labels on the series grid');
      assert.deepEqual(problems, [], 'no console errors, page errors or CSP violations');
    } finally {
      await page.close();
    }
  });

  describe('React (Vite build)', () => {
    before(async () => {
      // The app as its users would ship it: `vite build` of examples/react (to examples/react/dist).
      await build({ configFile: join(REPO, 'examples/react/vite.config.js'), logLevel: 'error' });
    });

    /** Opens the built app, waits for the pool, gives the files to a file input of the page (default the first), waits for the result. */
    async function segmentInReact(files, { url = `/examples/react/dist/${QUERY}`, input = 'input[type=file]' } = {}) {
      const opened = await openPage(url);
      const { page } = opened;
      await waitForState(page, ['ready']);
      assert.equal(await page.evaluate(() => window.__tvunetExample.modelName), fixture.modelName);
      await (await page.$(input)).uploadFile(...files);
      await waitForState(page, ['done']);
      return opened;
    }

    /** The canvas's RGBA and the slice it shows. */
    const readCanvas = (page) => page.evaluate(() => {
      const c = document.querySelector('.slice-view canvas');
      return { slice: Number(c.dataset.slice), width: c.width, height: c.height, rgba: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data) };
    });

    it(`a NIfTI from the file input: worker pool via useSegmenter, mask drawn in red exactly on the labelled pixels, burden equals the library's in Node (${WEIGHTS})`, async () => {
      const { page, problems, csp } = await segmentInReact([fixture.niftiPath]);
      try {
        assert.match(csp ?? '', /script-src 'self' 'wasm-unsafe-eval';/, 'served under the strict CSP');
        const burden = await checkResult(page, fixture.expected);
        assert.deepEqual(await reportTexts(page), expectedTexts(burden), 'report text');

        // The overlay, pixel by pixel: the app opens on the most infected slice; a pixel is red
        // (R > G = B) exactly where Node's label volume is non-zero on that slice, grey (R = G = B)
        // elsewhere; with the overlay off every pixel is grey and the unlabelled ones are unchanged.
        const on = await readCanvas(page);
        const mostInfected = burden.perSlice.reduce((a, b) => (b.infectedAreaMm2 > a.infectedAreaMm2 ? b : a)).index;
        assert.equal(on.slice, mostInfected, 'opens on the most infected slice');
        const { layout } = fixture.expected;
        assert.deepEqual([on.width, on.height], [layout.width, layout.height], 'canvas size = slice size');
        const mask = extractSlice(fixture.expected.labels, layout, on.slice);
        await page.click('#show-overlay');
        const off = await readCanvas(page);
        let red = 0;
        for (let i = 0; i < mask.length; i++) {
          const [r, g, b] = on.rgba.slice(4 * i, 4 * i + 3), [r0, g0, b0] = off.rgba.slice(4 * i, 4 * i + 3);
          assert.ok(r0 === g0 && g0 === b0, `pixel ${i} is grey without the overlay`);
          if (mask[i] !== 0) {
            assert.ok(r > g && g === b, `labelled pixel ${i} is red: ${[r, g, b]}`);
            red++;
          } else {
            assert.deepEqual([r, g, b], [r0, g0, b0], `unlabelled pixel ${i} is unchanged by the overlay`);
          }
        }
        console.log(`React overlay, slice ${on.slice}: ${red} red pixels = labelled voxels`);
        assert.ok(red > 0, 'the slice shown has labelled pixels');
        await page.click('#show-overlay');

        await page.screenshot({ path: join(SCREENSHOTS, 'example-react.png') });
        assert.deepEqual(problems, [], 'no console errors, page errors or CSP violations');
      } finally {
        await page.close();
      }
    });

    it(`PNG slices from the file input are stacked into a volume; burden equals the library's in Node for the same stack (${WEIGHTS})`, async () => {
      const { page, problems } = await segmentInReact(fixture.pngPaths);
      try {
        const burden = await checkResult(page, fixture.expectedPng);
        assert.deepEqual(await reportTexts(page), expectedTexts(burden), 'report text');
        assert.deepEqual(problems, [], 'no console errors, page errors or CSP violations');
      } finally {
        await page.close();
      }
    });

    it(`a DICOM series as a folder, from the folder picker (a .DS_Store beside the slices): burden equals the library's in Node (${WEIGHTS})`, async () => {
      const { page, problems } = await segmentInReact([fixture.dicomDir], { input: 'input[webkitdirectory]' });
      try {
        const burden = await checkResult(page, fixture.expectedDicom);
        assert.deepEqual(await reportTexts(page), expectedTexts(burden), 'report text');
        assert.deepEqual(problems, [], 'no console errors, page errors or CSP violations');
      } finally {
        await page.close();
      }
    });

    it(`on Vite's dev server (StrictMode, unbundled tvunet worker): same burden as in Node (${WEIGHTS})`, async () => {
      // `npm run examples:react`: the library's own worker file, served by Vite; the model comes
      // cross-origin from the static server.
      const dev = await createServer({ configFile: join(REPO, 'examples/react/vite.config.js'), logLevel: 'error', server: { port: 0, host: '127.0.0.1', hmr: false } });
      await dev.listen();
      try {
        const url = `${dev.resolvedUrls.local[0]}?model=${encodeURIComponent(`${server.url}/__test__/model/model.json`)}&backend=wasm&workers=2`;
        const { page, problems } = await segmentInReact([fixture.niftiPath], { url });
        try {
          await checkResult(page, fixture.expected);
          assert.deepEqual(problems, [], 'no console errors or page errors');
        } finally {
          await page.close();
        }
      } finally {
        await dev.close();
      }
    });

    it('unmounting the app closes its worker pool (useSegmenter cleanup)', async () => {
      // Counted from the browser's side: the pool's dedicated workers are targets of the page.
      const { page, problems } = await openPage(`/examples/react/dist/${QUERY}`);
      try {
        await waitForState(page, ['ready']);
        const workers = () => page.workers().filter((w) => /tvunet\.worker/.test(w.url())).length;
        assert.equal(workers(), 2, 'two workers while mounted');
        await page.evaluate(() => window.__tvunetExample.unmount());
        await page.waitForFunction(() => true); // let the cleanup run
        const deadline = Date.now() + 10_000;
        while (workers() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        assert.equal(workers(), 0, 'no worker left after unmount');
        assert.deepEqual(problems, [], 'no console errors, page errors or CSP violations');
      } finally {
        await page.close();
      }
    });
  });
});
