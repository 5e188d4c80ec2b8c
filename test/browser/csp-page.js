/**
 * Runs inside csp-page.html under a strict Content-Security-Policy (a classic script: no inline
 * code is allowed there). ?mode=umd | worker | inline-worker, ?backend=wasm | auto. Collects every
 * `securitypolicyviolation` and posts { ok, ... } to the parent (csp.test.js).
 */
(function () {
  const violations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    violations.push({ directive: e.effectiveDirective || e.violatedDirective, blocked: e.blockedURI, sample: e.sample });
  });
  const params = new URLSearchParams(location.search);
  const mode = params.get('mode') || 'umd';
  const backend = params.get('backend') || 'wasm';
  const report = (r) => parent.postMessage({ tvunetCsp: true, mode, backend, violations, ...r }, location.origin);
  const timeout = (ms) => new Promise((_, reject) => setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'TIMEOUT' })), ms));
  const loadUmd = () =>
    new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = '/dist/tvunet.umd.js';
      s.onload = () => resolve(window.tvunet);
      s.onerror = () => reject(new Error('could not load the UMD bundle'));
      document.head.appendChild(s);
    });
  const slice = { data: Float32Array.from({ length: 70 * 50 }, (_, i) => ((i * 37) % 255)), width: 70, height: 50, kind: 'display' };
  const config = { depth: 2, baseChannels: 4, inputSize: 32, inChannels: 1, outChannels: 1, upsampling: 'transpose' };

  if (mode === 'probe-only') return; // csp.test.js only checks that violations are seen
  async function run() {
    const { randomModel } = await import('/test/browser/helpers.js');
    const tv = await loadUmd();
    const model = await randomModel(tv, config, [{ name: 'infection', threshold: 0.5 }], 8);
    let seg;
    if (mode === 'umd') seg = await Promise.race([tv.Segmenter.create({ model, backend }), timeout(30_000)]);
    else {
      const client = await import(mode === 'inline-worker' ? '/dist/tvunet-worker-inline.mjs' : '/dist/tvunet-worker-client.mjs');
      seg = await Promise.race([client.createWorkerSegmenter({ model, backend }), timeout(30_000)]);
    }
    try {
      const r = await seg.segment(slice);
      const p = r.classes[0].probabilities;
      const finite = p.every((v) => v >= 0 && v <= 1);
      return { ok: true, boundBackend: seg.backend.backend, skipped: seg.backend.skipped, width: r.width, height: r.height, finite };
    } finally {
      await seg.close();
    }
  }
  run().then(
    (r) => report(r),
    (e) => report({ ok: false, code: e && e.code, name: e && e.name, message: String((e && e.message) || e) }),
  );
})();
