import { TvunetError } from '../errors.js';

/**
 * How the decoder doubles the resolution.
 * - `transpose`: 2×2 stride-2 transposed convolution, as in the paper. Executed as a 1×1
 *   convolution to 4·C channels followed by a pixel shuffle, which is the same arithmetic and
 *   avoids tfjs-wasm's slow Conv2DBackpropInput (see shared/notes/platform.md).
 * - `bilinear`: bilinear ×2 resize followed by a 1×1 convolution.
 */
export type UpsamplingKind = 'transpose' | 'bilinear';

/** Architecture of a TV-UNet; stored in every weights manifest. */
export interface UNetConfig {
  /** Number of pooling levels (the bottleneck sits below the last one). */
  depth: number;
  /** Channels of the first level; each level doubles them. */
  baseChannels: number;
  /** Input side in pixels (square); a multiple of 2^depth. */
  inputSize: number;
  /** Input channels (1: a grey CT slice). */
  inChannels: number;
  /** Output channels, one sigmoid map each (e.g. infection, ground-glass, consolidation, lungs). */
  outChannels: number;
  upsampling: UpsamplingKind;
}

export const DEFAULT_UNET_CONFIG: UNetConfig = {
  depth: 4,
  baseChannels: 8,
  inputSize: 256,
  inChannels: 1,
  outChannels: 1,
  upsampling: 'transpose',
};

function isPositiveInt(v: unknown, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= max;
}

/** Checks an architecture (e.g. read from a manifest) and returns it typed; throws INVALID_MANIFEST. */
export function validateUNetConfig(raw: unknown): UNetConfig {
  const c = raw as Partial<UNetConfig> | null;
  const fail = (why: string): never => {
    throw new TvunetError('INVALID_MANIFEST', `invalid architecture: ${why}`);
  };
  if (c === null || typeof c !== 'object') fail('not an object');
  if (!isPositiveInt(c!.depth, 8)) fail(`depth must be an integer 1..8, got ${String(c!.depth)}`);
  if (!isPositiveInt(c!.baseChannels, 256)) fail(`baseChannels must be an integer 1..256, got ${String(c!.baseChannels)}`);
  if (!isPositiveInt(c!.inputSize, 4096)) fail(`inputSize must be an integer 1..4096, got ${String(c!.inputSize)}`);
  if (c!.inputSize! % 2 ** c!.depth! !== 0) fail(`inputSize ${c!.inputSize} is not a multiple of 2^depth = ${2 ** c!.depth!}`);
  if (!isPositiveInt(c!.inChannels, 16)) fail(`inChannels must be an integer 1..16, got ${String(c!.inChannels)}`);
  if (!isPositiveInt(c!.outChannels, 64)) fail(`outChannels must be an integer 1..64, got ${String(c!.outChannels)}`);
  if (c!.upsampling !== 'transpose' && c!.upsampling !== 'bilinear') fail(`upsampling must be 'transpose' or 'bilinear', got ${String(c!.upsampling)}`);
  return {
    depth: c!.depth!,
    baseChannels: c!.baseChannels!,
    inputSize: c!.inputSize!,
    inChannels: c!.inChannels!,
    outChannels: c!.outChannels!,
    upsampling: c!.upsampling!,
  };
}

/** A parameter's name and shape; names are stable and are the keys of the weights format. */
export interface ParameterSpec {
  name: string;
  shape: number[];
  /** Fan-in, for He initialisation. Zero for biases. */
  fanIn: number;
}

/**
 * The ordered list of parameters a config needs. The weights format stores exactly these; a
 * manifest whose tensors differ is rejected.
 */
export function parameterSpecs(config: UNetConfig): ParameterSpec[] {
  const specs: ParameterSpec[] = [];
  const conv = (name: string, k: number, cin: number, cout: number) => {
    specs.push({ name: `${name}/kernel`, shape: [k, k, cin, cout], fanIn: k * k * cin });
    specs.push({ name: `${name}/bias`, shape: [cout], fanIn: 0 });
  };
  const ch = (level: number) => config.baseChannels * 2 ** level;
  let cin = config.inChannels;
  for (let l = 0; l < config.depth; l++) {
    conv(`enc${l}/conv1`, 3, cin, ch(l));
    conv(`enc${l}/conv2`, 3, ch(l), ch(l));
    cin = ch(l);
  }
  conv('bottleneck/conv1', 3, cin, ch(config.depth));
  conv('bottleneck/conv2', 3, ch(config.depth), ch(config.depth));
  for (let l = config.depth - 1; l >= 0; l--) {
    const from = ch(l + 1);
    if (config.upsampling === 'transpose') {
      // Stored as a transposed-conv filter [kh, kw, out, in], as tf.conv2dTranspose takes it.
      specs.push({ name: `dec${l}/up/kernel`, shape: [2, 2, ch(l), from], fanIn: from });
      specs.push({ name: `dec${l}/up/bias`, shape: [ch(l)], fanIn: 0 });
    } else {
      conv(`dec${l}/up`, 1, from, ch(l));
    }
    conv(`dec${l}/conv1`, 3, 2 * ch(l), ch(l));
    conv(`dec${l}/conv2`, 3, ch(l), ch(l));
  }
  conv('head', 1, ch(0), config.outChannels);
  return specs;
}

/** Number of trainable scalars. */
export function parameterCount(config: UNetConfig): number {
  return parameterSpecs(config).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
}

/** Multiply-accumulates ×2 of one forward pass on one input slice (convolutions only). */
export function forwardFlops(config: UNetConfig): number {
  let flops = 0;
  const conv = (side: number, k: number, cin: number, cout: number) => {
    flops += 2 * side * side * k * k * cin * cout;
  };
  const ch = (level: number) => config.baseChannels * 2 ** level;
  let cin = config.inChannels;
  for (let l = 0; l <= config.depth; l++) {
    const side = config.inputSize / 2 ** l;
    conv(side, 3, cin, ch(l));
    conv(side, 3, ch(l), ch(l));
    cin = ch(l);
  }
  for (let l = config.depth - 1; l >= 0; l--) {
    const side = config.inputSize / 2 ** l;
    // transpose: each low-res pixel emits 2×2×C outputs from C_in inputs, i.e. a 1×1 conv at low res to 4·C.
    if (config.upsampling === 'transpose') conv(side / 2, 1, ch(l + 1), 4 * ch(l));
    else conv(side, 1, ch(l + 1), ch(l));
    conv(side, 3, 2 * ch(l), ch(l));
    conv(side, 3, ch(l), ch(l));
  }
  conv(config.inputSize, 1, ch(0), config.outChannels);
  return flops;
}
