/** `tvunet export`: the model as an ONNX graph, for onnxruntime and other ONNX runtimes. */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { TvunetError } from '../../../src/errors.js';
import { loadModelFromPath } from '../../../src/io/node-fs.js';
import { parseCommandArgs } from '../cli/args.js';
import { ONNX_OPSET, unetToOnnx } from '../onnx/unet-onnx.js';
import { DEFAULT_MODEL_DIR } from './common.js';

export const EXPORT_HELP = `tvunet export --onnx OUT.onnx [--model DIR]

Writes the model as an ONNX graph (opset ${ONNX_OPSET}): input "input" [N,1,S,S] float32, the slice
already windowed and standardised as tvunet does (zero mean, unit variance); output
"probabilities" [N,C,S,S], one sigmoid map per class in the model's class order. Thresholds and
class names stay in model.json.

Options:
  --onnx FILE    output file (folders are created)
  --model DIR    model folder or model.json (default: the shipped model)`;

export async function exportCommand(argv: string[]): Promise<void> {
  const { values } = parseCommandArgs(argv, { onnx: { type: 'string' }, model: { type: 'string' } }, false);
  if (values.help) { console.log(EXPORT_HELP); return; }
  if (!values.onnx) throw new TvunetError('INVALID_OPTIONS', 'export needs --onnx FILE');
  const modelPath = resolve(values.model ?? DEFAULT_MODEL_DIR);
  if (!(await stat(modelPath).catch(() => null))) {
    throw new TvunetError('INVALID_OPTIONS', values.model ? `--model ${values.model}: not found` : `the default model is missing at ${modelPath}`);
  }
  const { manifest, weights } = await loadModelFromPath(modelPath);
  const classes = manifest.classes.map((c) => `${c.name} (threshold ${c.threshold})`).join(', ');
  const bytes = unetToOnnx(weights, manifest.architecture, {
    name: manifest.name,
    doc: `tvunet model "${manifest.name}", ${JSON.stringify(manifest.architecture)}; output channels: ${classes}; input: HU window [${manifest.input.huWindow.join(', ')}] then standardised`,
  });
  await mkdir(dirname(resolve(values.onnx)), { recursive: true });
  await writeFile(values.onnx, bytes);
  console.log(`wrote ${values.onnx} (${(bytes.length / 1024).toFixed(0)} kB, ONNX opset ${ONNX_OPSET}; classes: ${classes})`);
}
