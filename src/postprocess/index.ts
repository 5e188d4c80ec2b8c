/** Post-processing of binary segmentation masks: connected components and component-level clean-up. */
export type { MaskDims } from './dims.js';
export {
  connectedComponents2D,
  connectedComponents3D,
  componentVolumesMl,
  type Component2D,
  type Component3D,
  type ComponentLabeling,
  type Connectivity,
  type Connectivity2D,
  type Connectivity3D,
  type LabelImage,
} from './components.js';
export {
  fillHoles,
  fillHolesSliceWise,
  keepLargestComponents,
  removeSmallComponents,
  restrictToMask,
} from './morphology.js';
