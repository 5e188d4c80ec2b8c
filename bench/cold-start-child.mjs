// Cold start in a fresh Node process, on the BUILT library (dist/tvunet.mjs, what users import):
// import, Segmenter.create() and the first result; then a second create → first result in the
// same process (wasm module compiled, model file in the OS page cache).
//   node bench/cold-start-child.mjs --model DIR
import { RESULT_PREFIX_LINE } from './cold-start-protocol.mjs';

const dir = process.argv[process.argv.indexOf('--model') + 1];
const side = 512;
const data = new Int16Array(side * side);
for (let i = 0; i < data.length; i++) data[i] = ((i * 2654435761) >>> 20) % 1400 - 1000; // deterministic HU-ish noise
const slice = () => ({ data, width: side, height: side, kind: 'hu' });

const tImport0 = performance.now();
const { Segmenter } = await import('../dist/tvunet.mjs');
const tImport1 = performance.now();

async function createToFirstResult() {
  const t0 = performance.now();
  const seg = await Segmenter.create({ model: dir, backend: 'wasm' });
  const t1 = performance.now();
  await seg.segment(slice());
  const t2 = performance.now();
  seg.close();
  return { createMs: t1 - t0, firstSegmentMs: t2 - t1, totalMs: t2 - t0, sinceProcessStartMs: t2 };
}

const cold = await createToFirstResult();
const warm = await createToFirstResult();
console.log(RESULT_PREFIX_LINE + JSON.stringify({ processStartToImportMs: tImport0, importMs: tImport1 - tImport0, cold, warm }));
