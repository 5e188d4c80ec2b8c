/** The TV-UNet definition, shared by inference and the trainer. */
export {
  DEFAULT_UNET_CONFIG, forwardFlops, parameterCount, parameterSpecs, validateUNetConfig,
  type ParameterSpec, type UNetConfig, type UpsamplingKind,
} from './config.js';
export { checkWeightsFitConfig, initUNetWeights, unetLogits, unetProbabilities, type UNetWeights } from './unet.js';
