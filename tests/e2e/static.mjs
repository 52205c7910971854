// Minimal static file server for the built app (dist/) in end-to-end tests.
//
// Does: serves files from one directory on 127.0.0.1 (random port) with
// correct MIME types (application/wasm, text/css, application/javascript,
// image/svg+xml, application/manifest+json, ...), `Cache-Control: no-store`,
// GET and HEAD; `/` gets index.html; any miss is a 404 with the body of
// 404.html when there is one (like a plain static host without rewrite
// rules); `..` traversal (raw or percent-encoded) and NUL bytes are refused
// with 403/400.
//
// Does not: list directories, do range requests, compression, ETags, CORS,
// or follow symlinks out of the root (paths are checked after realpath).

import http from 'node:http';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

/** Extension → Content-Type. */
export const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'application/javascript',
  '.mjs': 'application/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
};

/**
 * @typedef {object} StaticServer
 * @property {string} origin  e.g. http://127.0.0.1:41235
 * @property {() => Promise<void>} close
 */

/**
 * Serve `dir` over HTTP.
 * @param {string} dir directory to serve (e.g. <repo>/dist)
 * @returns {Promise<StaticServer>}
 */
export async function startStatic(dir) {
  const root = await fsp.realpath(path.resolve(dir));
  const st = await fsp.stat(root);
  if (!st.isDirectory()) throw new Error(`startStatic: ${root} is not a directory`);

  /** @type {Set<import('node:net').Socket>} */
  const sockets = new Set();

  const server = http.createServer((req, res) => {
    serve(req, res).catch(() => {
      if (!res.headersSent) plain(res, 500, 'Internal error');
      else res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  server.on('clientError', (_e, s) => s.destroy());

  /** @param {import('node:http').ServerResponse} res @param {number} status @param {string} text */
  function plain(res, status, text) {
    res.writeHead(status, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-store',
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  /**
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   */
  async function serve(req, res) {
    res.on('error', () => {});
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return plain(res, 405, 'Method not allowed');
    }
    const rawPath = (req.url ?? '/').split('?')[0].split('#')[0];
    let decoded;
    try {
      decoded = decodeURIComponent(rawPath);
    } catch {
      return plain(res, 400, 'Bad path');
    }
    if (decoded.includes('\0')) return plain(res, 400, 'Bad path');
    const segments = decoded.split(/[\\/]+/);
    if (segments.includes('..')) return plain(res, 403, 'Forbidden');

    const rel = decoded.replace(/^[\\/]+/, '');
    let file = path.resolve(root, rel);
    if (file !== root && !file.startsWith(root + path.sep)) return plain(res, 403, 'Forbidden');

    let stat = await statOrNull(file);
    if (stat?.isDirectory()) {
      file = path.join(file, 'index.html');
      stat = await statOrNull(file);
    }
    // A plain static host, without rewrite rules: an unknown path is a 404, with the body of /404.html when
    // there is one (as GitHub Pages, Cloudflare Pages or nginx's `error_page 404` do). Boda's build ships
    // 404.html as a copy of the page, so deep links such as /chat/<id> still start the app.
    let status = 200;
    if (!stat) {
      file = path.join(root, '404.html');
      stat = await statOrNull(file);
      if (!stat) return plain(res, 404, 'Not found');
      status = 404;
    }
    // Refuse symlinks leading out of the root.
    const real = await fsp.realpath(file);
    if (real !== root && !real.startsWith(root + path.sep)) return plain(res, 403, 'Forbidden');
    if (!stat.isFile()) return plain(res, 404, 'Not found');

    const type = MIME[/** @type {keyof typeof MIME} */ (path.extname(file).toLowerCase())] ?? 'application/octet-stream';
    res.writeHead(status, {
      'Content-Type': type,
      'Content-Length': stat.size,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.method === 'HEAD') return void res.end();
    const stream = fs.createReadStream(real);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(undefined));
  });
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    origin: `http://127.0.0.1:${port}`,
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve(undefined));
        server.closeAllConnections?.();
        for (const s of sockets) s.destroy();
      });
    },
  };
}

/** @param {string} p */
async function statOrNull(p) {
  try {
    return await fsp.stat(p);
  } catch {
    return null;
  }
}
