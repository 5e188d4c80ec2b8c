/**
 * TV-UNet → ONNX graph (opset 13), the same arithmetic as src/model/unet.ts, so that other
 * runtimes (onnxruntime-web / -node) can run our weights: the benchmark's peer and an export for
 * users. Input `input` [N,1,S,S] float32, already standardised (as Segmenter feeds the network);
 * output `probabilities` [N,C,S,S] (sigmoid). Layout NCHW, as ONNX operators expect.
 */
import { TvunetError } from '../../../src/errors.js';
import { parameterSpecs, type UNetConfig } from '../../../src/model/config.js';
import type { NamedWeights } from '../../../src/io/manifest.js';
import { ProtoWriter } from './protobuf.js';

export const ONNX_OPSET = 13;
/** IR version 7 goes with opset 13 (onnx/docs/Versioning.md). */
const ONNX_IR_VERSION = 7;
const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_INTS = 7;

type Attr = { name: string; ints: number[] } | { name: string; int: number } | { name: string; string: string };

function attribute(a: Attr): ProtoWriter {
  const w = new ProtoWriter().string(1, a.name);
  if ('ints' in a) w.ints(8, a.ints).int(20, ATTR_INTS);
  else if ('int' in a) w.int(3, a.int).int(20, ATTR_INT);
  else w.bytes(4, new TextEncoder().encode(a.string)).int(20, ATTR_STRING);
  return w;
}

function tensor(name: string, dims: number[], data: Float32Array): ProtoWriter {
  // raw_data is little-endian float32; copy so that a view's offset does not matter.
  const raw = new Uint8Array(Float32Array.from(data).buffer);
  return new ProtoWriter().ints(1, dims).int(2, FLOAT).string(8, name).bytes(9, raw);
}

function valueInfo(name: string, dims: (number | string)[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) shape.message(1, typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d));
  const tensorType = new ProtoWriter().int(1, FLOAT).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

/** Permutes a row-major array of `shape` by `perm` (as numpy.transpose). */
function transpose(data: Float32Array, shape: number[], perm: number[]): { data: Float32Array; shape: number[] } {
  const outShape = perm.map((p) => shape[p]!);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const permStrides = perm.map((p) => strides[p]!);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(outShape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let k = 0; k < idx.length; k++) src += idx[k]! * permStrides[k]!;
    out[o] = data[src]!;
    for (let k = idx.length - 1; k >= 0; k--) {
      if (++idx[k]! < outShape[k]!) break;
      idx[k] = 0;
    }
  }
  return { data: out, shape: outShape };
}

class GraphBuilder {
  readonly nodes: ProtoWriter[] = [];
  readonly initializers: ProtoWriter[] = [];
  private count = 0;

  constructor(private readonly weights: NamedWeights) {}

  private param(name: string): { shape: number[]; data: Float32Array } {
    const p = this.weights.get(name);
    if (!p) throw new TvunetError('INVALID_MANIFEST', `weights lack tensor "${name}"`);
    return p;
  }

  /** Adds an initializer; tfjs's layouts are permuted into ONNX's here. */
  init(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push(tensor(name, dims, data));
    return name;
  }

  node(op: string, inputs: string[], attrs: Attr[] = [], output?: string): string {
    const out = output ?? `${op.toLowerCase()}_${this.count++}`;
    this.nodes.push(
      new ProtoWriter().strings(1, inputs).strings(2, [out]).string(3, `${out}_node`).string(4, op).messages(5, attrs.map(attribute)),
    );
    return out;
  }

  /** tfjs conv kernel [kh,kw,in,out] (HWIO) → ONNX Conv weight [out,in,kh,kw] (OIHW), 'same' padding. */
  conv(x: string, name: string, output?: string): string {
    const k = this.param(`${name}/kernel`);
    const w = transpose(k.data, k.shape, [3, 2, 0, 1]);
    const kh = k.shape[0]!;
    const pad = (kh - 1) / 2;
    return this.node('Conv', [x, this.init(`${name}/kernel`, w.shape, w.data), this.init(`${name}/bias`, [w.shape[0]!], this.param(`${name}/bias`).data)], [
      { name: 'kernel_shape', ints: [kh, kh] },
      { name: 'pads', ints: [pad, pad, pad, pad] },
      { name: 'strides', ints: [1, 1] },
    ], output);
  }

  convRelu(x: string, name: string): string {
    return this.node('Relu', [this.conv(x, name)]);
  }

  /**
   * tf.conv2dTranspose filter [kh,kw,out,in] → ONNX ConvTranspose weight [in,out,kh,kw]; kernel 2,
   * stride 2, no padding: y[c,2i+a,2j+b] = Σ_in x[in,i,j]·K[a,b,c,in] + bias[c], which is what
   * unet.ts computes as a 1×1 conv and a pixel shuffle.
   */
  upTranspose(x: string, name: string): string {
    const k = this.param(`${name}/kernel`);
    const w = transpose(k.data, k.shape, [3, 2, 0, 1]);
    return this.node('ConvTranspose', [x, this.init(`${name}/kernel`, w.shape, w.data), this.init(`${name}/bias`, [w.shape[1]!], this.param(`${name}/bias`).data)], [
      { name: 'kernel_shape', ints: [2, 2] },
      { name: 'strides', ints: [2, 2] },
    ]);
  }

  /** tf.image.resizeBilinear(×2, halfPixelCenters) then a 1×1 conv. */
  upBilinear(x: string, name: string): string {
    const scales = this.init(`${name}/scales`, [4], Float32Array.from([1, 1, 2, 2]));
    const up = this.node('Resize', [x, '', scales], [
      { name: 'mode', string: 'linear' },
      { name: 'coordinate_transformation_mode', string: 'half_pixel' },
    ]);
    return this.conv(up, name);
  }
}

export interface OnnxExportMeta {
  /** Stored as the graph name and in doc_string. */
  name?: string;
  producerVersion?: string;
  /** Free text for doc_string (e.g. provenance, class names). */
  doc?: string;
}

/**
 * Encodes the TV-UNet of `config` with `weights` (as loaded: float32, tfjs layouts) as an ONNX
 * ModelProto. The batch dimension is symbolic ("N").
 */
export function unetToOnnx(weights: NamedWeights, config: UNetConfig, meta: OnnxExportMeta = {}): Uint8Array {
  for (const spec of parameterSpecs(config)) {
    const p = weights.get(spec.name);
    if (!p || p.shape.join() !== spec.shape.join()) {
      throw new TvunetError('INVALID_MANIFEST', `tensor "${spec.name}" is missing or not [${spec.shape.join(',')}]`);
    }
  }
  const g = new GraphBuilder(weights);
  const skips: string[] = [];
  let h = 'input';
  for (let l = 0; l < config.depth; l++) {
    h = g.convRelu(g.convRelu(h, `enc${l}/conv1`), `enc${l}/conv2`);
    skips.push(h);
    h = g.node('MaxPool', [h], [{ name: 'kernel_shape', ints: [2, 2] }, { name: 'strides', ints: [2, 2] }]);
  }
  h = g.convRelu(g.convRelu(h, 'bottleneck/conv1'), 'bottleneck/conv2');
  for (let l = config.depth - 1; l >= 0; l--) {
    const up = config.upsampling === 'transpose' ? g.upTranspose(h, `dec${l}/up`) : g.upBilinear(h, `dec${l}/up`);
    h = g.node('Concat', [up, skips[l]!], [{ name: 'axis', int: 1 }]); // same channel order as unet.ts: [up, skip]
    h = g.convRelu(g.convRelu(h, `dec${l}/conv1`), `dec${l}/conv2`);
  }
  g.node('Sigmoid', [g.conv(h, 'head')], [], 'probabilities');

  const s = config.inputSize;
  const graph = new ProtoWriter()
    .messages(1, g.nodes)
    .string(2, meta.name ?? 'tvunet')
    .messages(5, g.initializers)
    .string(10, meta.doc ?? `TV-UNet ${JSON.stringify(config)}: input standardised slice, output per-class sigmoid probabilities`)
    .message(11, valueInfo('input', ['N', config.inChannels, s, s]))
    .message(12, valueInfo('probabilities', ['N', config.outChannels, s, s]));
  return new ProtoWriter()
    .int(1, ONNX_IR_VERSION)
    .string(2, 'tvunet')
    .string(3, meta.producerVersion ?? '')
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').int(2, ONNX_OPSET))
    .finish();
}
