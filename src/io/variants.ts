/** Exports the same weights as float32, float16 and uint8 models and measures what each loses. */
import { decodeModel, encodeModel, type EncodeMeta } from './codec.js';
import type { EncodedModel, NamedWeights, WeightsDtype } from './manifest.js';

export interface EncodedVariant extends EncodedModel {
  /** Largest |decoded - original| over all parameters (0 for float32). */
  maxAbsError: number;
  /** Total bytes of the shards. */
  totalBytes: number;
}

export type EncodedVariants = Record<WeightsDtype, EncodedVariant>;

/**
 * Encodes `weights` in all three dtypes. Each variant is decoded again (through the full
 * integrity-checked path) to measure its maximum absolute error against the original values.
 */
export async function encodeModelVariants(weights: NamedWeights, meta: EncodeMeta, options: { maxShardBytes?: number } = {}): Promise<EncodedVariants> {
  const one = async (dtype: WeightsDtype): Promise<EncodedVariant> => {
    const encoded = await encodeModel(weights, meta, { dtype, ...(options.maxShardBytes !== undefined ? { maxShardBytes: options.maxShardBytes } : {}) });
    const decoded = await decodeModel(encoded.manifest, encoded.shards);
    let maxAbsError = 0;
    for (const [name, { data }] of decoded) {
      const orig = weights.get(name)!.data;
      for (let i = 0; i < data.length; i++) {
        const err = Math.abs(data[i]! - orig[i]!);
        if (err > maxAbsError) maxAbsError = err;
      }
    }
    const totalBytes = encoded.shards.reduce((n, s) => n + s.length, 0);
    return { ...encoded, maxAbsError, totalBytes };
  };
  return { float32: await one('float32'), float16: await one('float16'), uint8: await one('uint8') };
}
