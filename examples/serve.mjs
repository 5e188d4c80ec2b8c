/**
 * A small static server for the examples: serves the repository root, so that the script-tag
 * example can load ../../dist/tvunet.umd.js and NiiVue from node_modules, and the built React
 * example (examples/react/dist) finds the default model in /models/.
 *
 *   npm run build && npm run examples      # then open http://localhost:8080/examples/script-tag/
 *
 * Every page under /examples/ is served with a strict Content-Security-Policy (no inline script,
 * no eval; WebAssembly allowed), to show that the examples work on a site that sets one.
 * The example tests (test/examples/) use `serve()` with an extra mount for their fixtures.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(fileURLToPath(import.meta.url), '../..');

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm', '.png': 'image/png',
  '.svg': 'image/svg+xml', '.map': 'application/json', '.bin': 'application/octet-stream', '.gz': 'application/gzip',
};

/** 'wasm-unsafe-eval' lets tfjs compile its .wasm; blob: covers the label volume handed to NiiVue and inline workers. */
export const EXAMPLES_CSP = [
  "default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "worker-src 'self' blob:", "connect-src 'self' blob: data:",
  "img-src 'self' blob: data:", "style-src 'self'", "font-src 'self' data:", "object-src 'none'", "base-uri 'self'",
].join('; ');

/**
 * Starts the server. `mounts` maps URL prefixes ('/__test__/') to folders. Resolves to
 * `{ url, close }` once listening (port 0 = any free port).
 */
export function serve({ root = REPO, port = 8080, host = '127.0.0.1', mounts = {} } = {}) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const mount = Object.keys(mounts).filter((prefix) => path.startsWith(prefix)).sort((a, b) => b.length - a.length)[0];
    const base = mount ? resolve(mounts[mount]) : root;
    let file = resolve(join(base, mount ? path.slice(mount.length) : path));
    if (file !== base && !file.startsWith(base + sep)) return void res.writeHead(403).end();
    let stat;
    try {
      stat = statSync(file);
      if (stat.isDirectory()) {
        if (!path.endsWith('/')) return void res.writeHead(301, { Location: `${path}/` }).end();
        file = join(file, 'index.html');
        stat = statSync(file);
      }
    } catch {
      return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: ${path}`);
    }
    const headers = {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': stat.size, 'Cache-Control': 'no-cache',
      'Access-Control-Allow-Origin': '*', // a page on another local port (e.g. `npm run examples:react`) may load models from here
    };
    if (path.startsWith('/examples/')) headers['Content-Security-Policy'] = EXAMPLES_CSP;
    res.writeHead(200, headers);
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      ok({ url: `http://${host}:${actual}`, close: () => new Promise((done) => server.close(done)) });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2] ?? process.env.PORT ?? 8080);
  const { url } = await serve({ port });
  console.log(`serving ${REPO} at ${url}`);
  console.log(`  script tag + NiiVue: ${url}/examples/script-tag/`);
  console.log(`  React (after npm run examples:react:build): ${url}/examples/react/dist/`);
  console.log('  add ?model=URL of a model.json to use another model than models/default/uint8');
}
