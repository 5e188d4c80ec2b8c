/**
 * web-test-runner config of the browser benchmark (bench/browser.ts runs it): the project's
 * config (Chromium flags, COOP/COEP) with the bench file and two more routes:
 *   /__bench__/params.json   run parameters from $TVUNET_BENCH_PARAMS (JSON)
 *   /__bench__/model/*       the benchmark's model folder ($TVUNET_BENCH_MODEL_DIR), same bytes as Node
 */
import { createReadStream, existsSync } from 'node:fs';
import { join, normalize } from 'node:path';
import base from '../../web-test-runner.config.mjs';

const modelDir = process.env.TVUNET_BENCH_MODEL_DIR;

export default {
  ...base,
  files: ['bench/browser/*.bench.js'],
  testFramework: { config: { timeout: 1_800_000 } },
  testsFinishTimeout: 1_800_000,
  middleware: [
    ...base.middleware,
    async function benchRoutes(ctx, next) {
      if (ctx.path === '/__bench__/params.json') {
        ctx.type = 'application/json';
        ctx.body = process.env.TVUNET_BENCH_PARAMS ?? '{}';
        return;
      }
      if (!ctx.path.startsWith('/__bench__/model/')) return next();
      const rel = normalize(ctx.path.slice('/__bench__/model/'.length));
      const file = modelDir && !rel.startsWith('..') ? join(modelDir, rel) : null;
      if (!file || !existsSync(file)) return void (ctx.status = 404);
      ctx.type = file.endsWith('.json') ? 'application/json' : 'application/octet-stream';
      ctx.body = createReadStream(file);
    },
  ],
};
