/** CT volumes: types, orientation, whole-volume segmentation, burden and NIfTI outputs. */
export {
  DEFAULT_MAX_VOXELS, affineToLps, checkVolume, createVolume, diagonalAffine, spacingFromAffine, voxelVolumeMl,
  type Affine, type DicomSeriesInfo, type NiftiHeaderInfo, type Volume, type VolumeGeometry, type VolumeSource,
} from './volume.js';
export {
  extractSlice, insertSlice, orientationCodes, sliceLayout, voxelToWorld,
  type AxisCode, type SliceLayout, type SliceOrientation,
} from './orientation.js';
export {
  segmentVolume,
  type SegmentVolumeOptions, type SliceSegmenter, type VolumeClassResult, type VolumePostprocessOptions,
  type VolumeProgress, type VolumeSegmentation,
} from './segment-volume.js';
export {
  computeBurden, ctSeverityGrade,
  type BurdenInput, type BurdenReport, type Lesion, type LungBurden, type SeverityGrade, type SeverityScore, type SliceBurden,
} from './burden.js';
export { writeLabelNifti, writeProbabilityNifti, type WriteVolumeOptions } from './writers.js';
export { looksLikeNifti, readVolume, type ReadVolumeOptions, type VolumeFile } from './read.js';
