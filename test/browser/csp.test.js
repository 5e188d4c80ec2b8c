/**
 * The library under a strict Content-Security-Policy without 'unsafe-eval':
 *   default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; connect-src 'self'
 * csp-page.html (served with that header by web-test-runner.config.mjs) runs in an iframe, loads
 * the bundles, segments a slice and reports back, with every securitypolicyviolation it saw.
 * Then the same without 'wasm-unsafe-eval', to record what the WASM backend needs.
 * SEEDED RANDOM WEIGHTS.
 */
import { assert, assertEqual } from './helpers.js';

/** Opens csp-page.html with `query` in an iframe and resolves with what it posts back. */
function runCspPage(query) {
  return new Promise((resolve, reject) => {
    const frame = document.createElement('iframe');
    const timer = setTimeout(() => reject(new Error(`csp-page.html?${query} sent nothing within 90 s`)), 90_000);
    const onMessage = (ev) => {
      if (ev.source !== frame.contentWindow || !ev.data?.tvunetCsp) return;
      clearTimeout(timer);
      window.removeEventListener('message', onMessage);
      frame.remove();
      console.log(`csp-page ${query}: ${JSON.stringify(ev.data)}`);
      resolve(ev.data);
    };
    window.addEventListener('message', onMessage);
    frame.src = `/test/browser/csp-page.html?${query}`;
    document.body.appendChild(frame);
  });
}

async function headerOf(query) {
  const res = await fetch(`/test/browser/csp-page.html?${query}`);
  return res.headers.get('Content-Security-Policy');
}

describe("strict CSP without 'unsafe-eval' (seeded random weights)", () => {
  it('the page really is served with the policy (and only that page)', async () => {
    assertEqual(await headerOf('csp=strict'), "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; connect-src 'self'", 'strict policy');
    assertEqual(await headerOf('csp=no-wasm'), "default-src 'self'; script-src 'self'; worker-src 'self' blob:; connect-src 'self'", 'policy without wasm-unsafe-eval');
    assertEqual((await fetch('/test/browser/helpers.js')).headers.get('Content-Security-Policy'), null, 'other paths have no CSP');
  });

  it('a policy violation would be seen: an inline script in the CSP page is reported', async () => {
    // Control for the "no violations" assertions below: the page's listener does catch one.
    const frame = document.createElement('iframe');
    frame.src = '/test/browser/csp-page.html?csp=strict&mode=probe-only';
    const loaded = new Promise((r) => (frame.onload = r));
    document.body.appendChild(frame);
    await loaded;
    const seen = new Promise((r) => frame.contentDocument.addEventListener('securitypolicyviolation', (e) => r(e.effectiveDirective), { once: true }));
    const s = frame.contentDocument.createElement('script');
    s.textContent = 'window.__inlineRan = true';
    frame.contentDocument.head.appendChild(s);
    const directive = await Promise.race([seen, new Promise((r) => setTimeout(() => r('none'), 5000))]);
    assert(/script-src/.test(directive), `violation of script-src reported, got ${directive}`);
    assertEqual(frame.contentWindow.__inlineRan, undefined, 'the inline script did not run');
    frame.remove();
  });

  for (const mode of ['umd', 'worker', 'inline-worker']) {
    it(`${mode}: segments on wasm with no securitypolicyviolation`, async () => {
      const r = await runCspPage(`csp=strict&mode=${mode}&backend=wasm`);
      assertEqual(r.ok, true, `success (${r.code}: ${r.message})`);
      assertEqual(r.boundBackend, 'wasm', 'backend');
      assertEqual(r.width, 70, 'width');
      assert(r.finite, 'probabilities in [0, 1]');
      assertEqual(r.violations.length, 0, `violations: ${JSON.stringify(r.violations)}`);
    });
  }

  it("without 'wasm-unsafe-eval': forcing wasm is BACKEND_UNAVAILABLE naming WASM, auto falls back to cpu and works", async () => {
    const forced = await runCspPage('csp=no-wasm&mode=umd&backend=wasm');
    assertEqual(forced.ok, false, 'forced wasm fails');
    assertEqual(forced.code, 'BACKEND_UNAVAILABLE', `code (message: ${forced.message})`);
    assert(/WASM/.test(forced.message) && /wasm-unsafe-eval/.test(forced.message), `message names WASM and the CSP source it needs: ${forced.message}`);
    assert(forced.violations.some((v) => /script-src|wasm/.test(v.directive) || v.blocked === 'wasm-eval'), `the blocked compile is reported: ${JSON.stringify(forced.violations)}`);
    const auto = await runCspPage('csp=no-wasm&mode=umd&backend=auto');
    assertEqual(auto.ok, true, `auto succeeds (${auto.code}: ${auto.message})`);
    assertEqual(auto.boundBackend, 'cpu', 'auto falls back to the cpu backend');
    assert(auto.skipped.some((s) => /^wasm: .*wasm-unsafe-eval/.test(s)), `the report says why wasm was skipped: ${JSON.stringify(auto.skipped)}`);
  });
});
