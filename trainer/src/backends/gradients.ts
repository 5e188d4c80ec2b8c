import { createRequire } from 'node:module';
import { TvunetError } from '../../../src/errors.js';

let loaded = false;

/** Registers tfjs-core's gradients (bundled by trainer/scripts/build-gradients.mjs at build time). */
export function registerGradients(): void {
  if (loaded) return;
  const require = createRequire(import.meta.url);
  try {
    require('../../generated/register-gradients.cjs');
  } catch (e) {
    throw new TvunetError('BACKEND_UNAVAILABLE', 'tfjs gradients are not built: run `npm run build` (trainer/generated/register-gradients.cjs is missing)', { cause: e });
  }
  loaded = true;
}
