// The HTTP plumbing the end-to-end tests' stand-in servers share (standin.mjs for OpenAI, tavily_standin.mjs
// for Tavily), so that each of them holds only what its API says.
//
// Does: starts a Node HTTP/1.1 server on 127.0.0.1 at a random port around a stand-in's request handler;
// swallows request, response and socket errors, and destroys the socket of a request that is not valid HTTP;
// turns an error the handler throws into the stand-in's own 500 reply (its `onError` writes it, in its API's
// error shape) while nothing has been sent yet, and cuts the connection when something has; keeps track of
// the open sockets so that `close()` first aborts `closing` (a streamed or held reply stops waiting), then
// stops listening and destroys every connection, kept-alive ones included. It also lends the stand-ins the
// small pieces they parse and answer requests with: the request's path and method, its body read as JSON
// with a size limit, a CORS preflight's 204 reply, a sleep that a signal ends early, and a held request that
// is cut after a minute. For the stand-ins' own test files, `serverPerFile` registers the node:test hooks
// that start one stand-in before a file's first test, reset it before each test and close it after the last.
//
// Does not: route, check keys, write a JSON reply, or choose CORS headers; those differ from one API to the
// other (OpenAI's replies carry an X-Request-Id and expose it, Tavily's merge header names whatever their
// case and send a string body as plain text), so each stand-in keeps its own `send` and CORS headers. It
// serves no files (see static.mjs), speaks neither TLS nor HTTP/2, and listens on loopback only.

import http from 'node:http';
import { before, after, beforeEach } from 'node:test';

/** How long a held request waits for its client to go away before its connection is cut. */
export const HANG_CAP_MS = 60_000;

/**
 * @typedef {import('node:http').IncomingMessage} Req
 * @typedef {import('node:http').ServerResponse} Res
 *
 * @typedef {object} Started
 * @property {import('node:http').Server} server
 * @property {string} origin  e.g. http://127.0.0.1:41234
 * @property {number} port
 * @property {AbortSignal} closing  aborted when `close()` is called, before any connection is cut
 * @property {(res: Res) => AbortSignal} gone  a signal that aborts when this reply's connection closes (the
 *   client went away, or the reply ended) or the server is closing
 * @property {() => Promise<void>} close  abort `closing`, stop listening and destroy every open connection
 */

/**
 * Start a server on 127.0.0.1 (random port) that answers every request with `handle`.
 * @param {{handle: (req: Req, res: Res) => Promise<void>, onError: (res: Res, message: string) => void}} opts
 *   `onError` answers a request whose handler threw, while nothing of its reply has been sent: `message` is
 *   "stand-in internal error: " and the error's message; anything `onError` throws is ignored.
 * @returns {Promise<Started>}
 */
export async function startServer({ handle, onError }) {
  const shutdown = new AbortController();
  /** @type {Set<import('node:net').Socket>} */ const sockets = new Set();

  const server = http.createServer((req, res) => {
    res.on('error', () => {});
    req.on('error', () => {});
    handle(req, res).catch((err) => {
      // A handler bug must not take the test process down; report it as a 500.
      if (!res.headersSent && !res.destroyed) {
        try {
          onError(res, `stand-in internal error: ${err?.message ?? err}`);
        } catch {
          /* ignore */
        }
      } else {
        res.destroy();
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(undefined));
  });
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());

  return {
    server,
    origin: `http://127.0.0.1:${port}`,
    port,
    closing: shutdown.signal,
    gone(res) {
      const ac = new AbortController();
      const onShutdown = () => ac.abort();
      shutdown.signal.addEventListener('abort', onShutdown, { once: true });
      res.on('close', () => {
        ac.abort();
        shutdown.signal.removeEventListener('abort', onShutdown);
      });
      return ac.signal;
    },
    close() {
      shutdown.abort();
      return new Promise((resolve) => {
        server.close(() => resolve(undefined));
        server.closeAllConnections?.();
        for (const s of sockets) s.destroy();
      });
    },
  };
}

/**
 * What a request asks for: its method, its URL (parsed against a dummy origin) and its path without trailing
 * slashes ("/" for the root).
 * @param {Req} req @returns {{method: string, url: URL, pathname: string}}
 */
export function requestTarget(req) {
  const url = new URL(req.url ?? '/', 'http://standin');
  const pathname = url.pathname.replace(/\/+$/, '') || '/';
  return { method: req.method ?? 'GET', url, pathname };
}

/**
 * Read a request's body whole, refusing (and destroying the request) past `maxBytes`.
 * @param {Req} req @param {number} maxBytes @returns {Promise<Buffer>}
 */
export function readBody(req, maxBytes) {
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */ const parts = [];
    let n = 0;
    req.on('data', (c) => {
      n += c.length;
      if (n > maxBytes) {
        reject(new Error('body too large'));
        req.destroy();
      } else parts.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

/**
 * A POST's body parsed as JSON (other methods' bodies are not read): `body` is null when it is empty or not
 * JSON, and `badJson` says it was not JSON.
 * @param {Req} req @param {number} maxBytes @returns {Promise<{body: any, badJson: boolean}>}
 */
export async function readJson(req, maxBytes) {
  const raw = req.method === 'POST' ? await readBody(req, maxBytes) : Buffer.alloc(0);
  if (raw.length === 0) return { body: null, badJson: false };
  try {
    return { body: JSON.parse(raw.toString('utf8')), badJson: false };
  } catch {
    return { body: null, badJson: true };
  }
}

/**
 * Answer a CORS preflight with 204: the stand-in's CORS headers, GET, POST and OPTIONS allowed, and the
 * request headers and cache lifetime it allows.
 * @param {Res} res @param {Record<string,string>} cors
 * @param {{allowHeaders: string, maxAgeSeconds: number}} allow
 */
export function answerPreflight(res, cors, { allowHeaders, maxAgeSeconds }) {
  res.writeHead(204, {
    ...cors,
    'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
    'Access-Control-Allow-Headers': allowHeaders,
    'Access-Control-Max-Age': String(maxAgeSeconds),
    'Content-Length': '0',
  });
  res.end();
}

/**
 * Sleep that ends early when `signal` aborts. It waits as setTimeout does, so even 0 ms is a timer's turn
 * (a millisecond); callers that want no wait at all for 0 skip the call.
 * @param {number} ms @param {AbortSignal} signal
 */
export function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(undefined);
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve(undefined);
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Hold a request without a reply until `signal` aborts or {@link HANG_CAP_MS} pass, then cut its connection.
 * @param {Res} res @param {AbortSignal} signal
 */
export async function hang(res, signal) {
  await sleep(HANG_CAP_MS, signal);
  if (!res.destroyed) res.destroy();
}

/**
 * Give a test file one server for all its tests: `start()` before the first (the server is handed to `use`),
 * `reset()` before each, `close()` after the last. Call it at the top level of a test file.
 * @template {{reset: () => void, close: () => Promise<void>}} S
 * @param {() => Promise<S>} start @param {(server: S) => void} use
 * @param {{timeout?: number}} [opts] how long `start()` may take (no limit by default)
 */
export function serverPerFile(start, use, { timeout = Infinity } = {}) {
  /** @type {S|undefined} */ let started;
  before(async () => {
    started = await start();
    use(started);
  }, { timeout });
  after(async () => {
    await started?.close();
  });
  beforeEach(() => /** @type {S} */ (started).reset());
}
