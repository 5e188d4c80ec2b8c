/**
 * NIfTI outputs of a volume segmentation, with the input's geometry: a uint8 label volume
 * (intent NIFTI_INTENT_LABEL) and a float32 infection-probability volume.
 */
import { TvunetError } from '../errors.js';
import { NIFTI_INTENT_LABEL, writeNifti } from '../io/nifti.js';
import type { VolumeSegmentation } from './segment-volume.js';

export interface WriteVolumeOptions {
  /** gzip-compress (a `.nii.gz`); default true. */
  gzip?: boolean;
}

/**
 * The label volume as NIfTI-1: uint8, intent_code 1002 (NIFTI_INTENT_LABEL), same dims, pixdim,
 * qform and sform as the input; values as in `result.labelNames` (1 = ground-glass,
 * 2 = consolidation for models with those classes, else 1 = infection). The names are also
 * listed in the header's `descrip`.
 */
export function writeLabelNifti(result: VolumeSegmentation, options: WriteVolumeOptions = {}): Promise<Uint8Array> {
  const legend = result.labelNames.slice(1).map((name, i) => `${i + 1}=${name}`).join(' ');
  return writeNifti(result.labels, result.dims, {
    geometry: result,
    intentCode: NIFTI_INTENT_LABEL,
    intentName: 'tvunet labels',
    description: `tvunet labels: ${legend}`,
    calMin: 0,
    calMax: result.labelNames.length - 1,
    gzip: options.gzip ?? true,
  });
}

/**
 * A probability volume as float32 NIfTI-1 with the input's geometry: the infection probability
 * (default) or, when kept (keepProbabilities: 'all'), the class named `className`.
 */
export function writeProbabilityNifti(result: VolumeSegmentation, options: WriteVolumeOptions & { className?: string } = {}): Promise<Uint8Array> {
  let probabilities: Float32Array | null;
  let name: string;
  if (options.className === undefined) {
    probabilities = result.infection.probabilities;
    name = 'infection';
  } else {
    const cls = result.classes.find((c) => c.name === options.className);
    if (!cls) throw new TvunetError('INVALID_OPTIONS', `no class "${options.className}" (${result.classes.map((c) => c.name).join(', ')})`);
    probabilities = cls.probabilities;
    name = cls.name;
  }
  if (!probabilities) throw new TvunetError('INVALID_OPTIONS', `the ${name} probabilities were not kept (segmentVolume option keepProbabilities)`);
  return writeNifti(probabilities, result.dims, {
    geometry: result,
    intentName: `p(${name})`.slice(0, 15),
    description: `tvunet probability of ${options.className === undefined ? result.infection.source : name}`,
    calMin: 0,
    calMax: 1,
    gzip: options.gzip ?? true,
  });
}
