/**
 * `tvunet/volume`: CT volumes (NIfTI, DICOM series), whole-volume segmentation, 3D clean-up,
 * lesion burden and NIfTI outputs. A separate entry so that slice-only users do not download the
 * readers.
 */
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
export { listInputFiles, type DroppedItems, type ListInputFilesOptions } from './input-files.js';
export { readImageStack, type ReadImageStackOptions } from './image-stack.js';
export { encodeNifti, niftiAffine, readNifti, writeNifti, NIFTI_INTENT_LABEL, type EncodeNiftiOptions, type NiftiDatatype, type NiftiPixelArray, type ReadNiftiOptions } from '../io/nifti.js';
export { readDicomSeries, type DicomFileInput, type ReadDicomOptions } from '../io/dicom.js';
