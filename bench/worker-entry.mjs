// A Node worker_thread running worker/worker-node.ts from source: Node 20 does not apply
// `execArgv: ['--import', 'tsx']` to a worker's main module, so tsx is registered here first.
import { register } from 'tsx/esm/api';

register();
await import('../worker/worker-node.ts');
