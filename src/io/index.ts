/** Weights format: manifest + shards (see manifest.ts for the format), codecs and loaders. */
export {
  DEFAULT_INPUT_SPEC,
  DEFAULT_MANIFEST_FILE,
  WEIGHTS_DTYPES,
  WEIGHTS_FORMAT,
  WEIGHTS_FORMAT_VERSION,
  bytesPerElement,
  elementCount,
  isSafeRelativePath,
  parseManifest,
  type ClassSpec,
  type EncodedModel,
  type LoadedModel,
  type ModelInputSpec,
  type ModelManifest,
  type NamedWeights,
  type ShardEntry,
  type TensorEntry,
  type WeightsDtype,
} from './manifest.js';
export {
  DEFAULT_MAX_SHARD_BYTES,
  TENSOR_ALIGNMENT,
  decodeModel,
  decodeTensors,
  encodeModel,
  shardFileNames,
  verifyShard,
  type EncodeMeta,
  type EncodeOptions,
} from './codec.js';
export { encodeModelVariants, type EncodedVariant, type EncodedVariants } from './variants.js';
export {
  FLOAT16_MAX,
  decodeFloat16,
  encodeFloat16,
  float16BitsToNumber,
  float16Table,
  float32ToFloat16Bits,
} from './float16.js';
export { sha256Hex, sha256HexPortable } from './sha256.js';
export {
  WEIGHTS_CACHE_NAME,
  loadModelFromBytes,
  loadModelFromUrl,
  resolveManifestUrl,
  type LoadFromUrlOptions,
  type LoadProgress,
} from './load.js';
export { loadModelFromPath, saveModelToPath, type SaveModelOptions } from './node-fs.js';
