/**
 * The BUILT Node entries (run after `npm run build`: npm run test:dist): dist/tvunet.mjs with tfjs
 * from node_modules, and createWorkerSegmenter's default Node worker, dist/tvunet-worker-node.mjs.
 * SEEDED RANDOM WEIGHTS. Plain JavaScript so that the pre-build typecheck does not look for dist/.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_MODEL_URL, Segmenter, TvunetError, encodeModel, parameterSpecs } from '../../dist/tvunet.mjs';
import { TvunetError as ClientTvunetError, createWorkerSegmenter } from '../../dist/tvunet-worker-client.mjs';

const config = { depth: 2, baseChannels: 4, inputSize: 32, inChannels: 1, outChannels: 1, upsampling: 'transpose' };

async function seededRandomModel(seed) {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const named = new Map(parameterSpecs(config).map((p) => [p.name, { shape: p.shape, data: Float32Array.from({ length: p.shape.reduce((a, b) => a * b, 1) }, () => (2 * rand() - 1) * (p.fanIn ? Math.sqrt(6 / p.fanIn) : 0.1)) }]));
  return encodeModel(named, { name: 'seeded-random', architecture: config, classes: [{ name: 'infection', threshold: 0.5 }] }, { dtype: 'uint8' });
}

test('dist: default Node worker (tvunet-worker-node.mjs) matches dist Segmenter; one TvunetError class (seeded random weights)', async () => {
  assert.equal(ClientTvunetError, TvunetError, 'tvunet.mjs and tvunet-worker-client.mjs share TvunetError');
  assert.match(DEFAULT_MODEL_URL.href, /\/models\/default\/uint8\/model\.json$/);
  assert.ok(!DEFAULT_MODEL_URL.href.includes('/dist/'), `default model beside dist/, not in it: ${DEFAULT_MODEL_URL.href}`);
  const model = await seededRandomModel(3);
  const slice = { data: Float32Array.from({ length: 30 * 20 }, (_, i) => (i * 37) % 255), width: 30, height: 20, kind: 'display' };
  const remote = await createWorkerSegmenter({ model, backend: 'wasm' });
  const local = await Segmenter.create({ model, backend: 'wasm' });
  try {
    assert.equal(remote.backend.backend, 'wasm');
    const [a, b] = [await remote.segment(slice), await local.segment(slice)];
    const pa = a.classes[0].probabilities;
    const pb = b.classes[0].probabilities;
    assert.equal(pa.length, 600);
    for (let i = 0; i < pa.length; i++) assert.ok(Math.abs(pa[i] - pb[i]) <= 1e-5, `pixel ${i}`);
    await assert.rejects(remote.segment({ data: new Float32Array(3), width: 2, height: 2, kind: 'hu' }), (e) => e instanceof TvunetError && e.code === 'INVALID_INPUT');
  } finally {
    await remote.close();
    local.close();
  }
});
