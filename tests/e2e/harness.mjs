// Browser harness for the end-to-end tests (Playwright driving Debian's Chromium).
//
// Does: launches headless Chromium with flags that keep it off the network
// (it would otherwise hang on background connections in this sandbox), reads
// IndexedDB object stores from a page (Blobs turned into serialisable
// `{__blob: true, size, type}` markers), counts Blobs stored in a database,
// and collects page errors / console errors for assertions.
//
// Does not: download browsers (never run `npx playwright install`), start
// servers (see standin.mjs and static.mjs), or create/upgrade IndexedDB
// databases — reading a database that does not exist returns nothing and
// leaves no trace.

import { chromium } from 'playwright-core';

/** Chromium flags; without the network-related ones Chromium stalls in an offline sandbox. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-quic',
  '--no-first-run',
  '--disable-sync',
];

/**
 * Launch headless Chromium (CHROMIUM_PATH or /usr/bin/chromium).
 * @param {{timeoutMs?: number}} [opts]
 * @returns {Promise<import('playwright-core').Browser>}
 */
export async function launchBrowser({ timeoutMs = 30_000 } = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: timeoutMs,
  });
}

/**
 * Runs inside the page (Playwright stringifies it, so it must be
 * self-contained; no `new Function`, which a strict CSP would block).
 * mode 'read' → serialisable records of one store ([] if the database does not exist);
 * mode 'count' → number of Blobs across all stores (0 if the database does not exist).
 * Never creates a database: an implicit creation is aborted in onupgradeneeded.
 * @param {{mode: 'read'|'count', dbName: string, storeName?: string}} args
 */
async function idbInPage({ mode, dbName, storeName }) {
  const openExisting = async (name) => {
    if (indexedDB.databases) {
      const dbs = await indexedDB.databases();
      if (!dbs.some((d) => d.name === name)) return null;
    }
    return await new Promise((resolve, reject) => {
      const r = indexedDB.open(name);
      let created = false;
      r.onupgradeneeded = () => {
        created = true;
        r.transaction.abort();
      };
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => (created ? resolve(null) : reject(r.error));
      r.onblocked = () => reject(new Error(`IndexedDB open of ${name} blocked`));
    });
  };
  const getAll = (db, store) =>
    new Promise((resolve, reject) => {
      const q = db.transaction(store, 'readonly').objectStore(store).getAll();
      q.onsuccess = () => resolve(q.result);
      q.onerror = () => reject(q.error);
    });
  const plain = (v, depth = 0) => {
    if (v instanceof Blob) {
      const o = { __blob: true, size: v.size, type: v.type };
      if (typeof File !== 'undefined' && v instanceof File) o.name = v.name;
      return o;
    }
    if (v === null || typeof v !== 'object' || depth > 12) return v;
    if (v instanceof Date || v instanceof RegExp) return v;
    if (v instanceof ArrayBuffer) return { __arrayBuffer: true, byteLength: v.byteLength };
    if (ArrayBuffer.isView(v)) {
      const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      return { __typedArray: v.constructor.name, byteLength: v.byteLength, bytes: Array.from(bytes.subarray(0, 4096)) };
    }
    if (v instanceof Map) return { __map: [...v].map(([k, x]) => [plain(k, depth + 1), plain(x, depth + 1)]) };
    if (v instanceof Set) return { __set: [...v].map((x) => plain(x, depth + 1)) };
    if (Array.isArray(v)) return v.map((x) => plain(x, depth + 1));
    const o = {};
    for (const k of Object.keys(v)) o[k] = plain(v[k], depth + 1);
    return o;
  };
  const countIn = (v, depth) => {
    if (v instanceof Blob) return 1;
    if (v === null || typeof v !== 'object' || depth <= 0) return 0;
    if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return 0;
    const items = Array.isArray(v)
      ? v
      : v instanceof Map
        ? [...v.values()]
        : v instanceof Set
          ? [...v]
          : Object.values(v);
    let n = 0;
    for (const x of items) n += countIn(x, depth - 1);
    return n;
  };

  const db = await openExisting(dbName);
  if (!db) return mode === 'count' ? 0 : [];
  try {
    if (mode === 'count') {
      let n = 0;
      for (const store of [...db.objectStoreNames]) {
        for (const rec of await getAll(db, store)) n += countIn(rec, 4);
      }
      return n;
    }
    if (!db.objectStoreNames.contains(storeName)) {
      throw new Error(
        `IndexedDB ${dbName} has no store "${storeName}" (stores: ${[...db.objectStoreNames].join(', ')})`,
      );
    }
    return (await getAll(db, storeName)).map((r) => plain(r));
  } finally {
    db.close();
  }
}

/**
 * All records of an IndexedDB object store (getAll order = key order), made
 * serialisable: Blob/File → {__blob: true, size, type[, name]}, ArrayBuffer →
 * {__arrayBuffer: true, byteLength}, typed arrays → {__typedArray, byteLength, bytes (first 4096)},
 * Map/Set → {__map: [[k, v]...]}/{__set: [...]}.
 * Returns [] when the database does not exist (without creating it); throws
 * when the database exists but has no such store (the message lists the stores).
 * @param {import('playwright-core').Page} page
 * @param {string} dbName
 * @param {string} storeName
 * @returns {Promise<any[]>}
 */
export async function readStore(page, dbName, storeName) {
  return page.evaluate(idbInPage, { mode: 'read', dbName, storeName });
}

/**
 * Count Blob values stored anywhere in a database: every record of every
 * store, the record itself and up to 3 levels into nested objects / arrays /
 * Maps / Sets. Returns 0 when the database does not exist.
 * @param {import('playwright-core').Page} page
 * @param {string} dbName
 * @returns {Promise<number>}
 */
export async function countBlobs(page, dbName) {
  return /** @type {Promise<number>} */ (page.evaluate(idbInPage, { mode: 'count', dbName }));
}

/**
 * Start collecting `pageerror` events and console errors of a page.
 * Entries look like "pageerror: <message>" and "console.error: <text> (<url>:<line>)".
 * Note Chromium logs failed HTTP responses (e.g. a deliberate 401/429) as console
 * errors "Failed to load resource: ..."; pass `ignore` (e.g. EXPECTED_HTTP_ERRORS)
 * in tests that provoke them. Chromium's automatic /favicon.ico 404 is always ignored.
 * @param {import('playwright-core').Page} page
 * @param {{ignore?: RegExp[]}} [opts]
 * @returns {string[]} live array, appended to as events arrive
 */
export function collectPageErrors(page, { ignore = [] } = {}) {
  /** @type {string[]} */
  const errors = [];
  const patterns = [...ignore, FAVICON_404];
  const keep = (/** @type {string} */ s) => !patterns.some((re) => re.test(s));
  page.on('pageerror', (err) => {
    const s = `pageerror: ${err?.stack || err?.message || String(err)}`;
    if (keep(s)) errors.push(s);
  });
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const loc = msg.location();
    const s = `console.error: ${msg.text()}${loc?.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`;
    if (keep(s)) errors.push(s);
  });
  return errors;
}

/** Console noise Chromium emits for HTTP error responses a test provoked on purpose. */
export const EXPECTED_HTTP_ERRORS = /Failed to load resource: the server responded with a status of [45]\d\d/;

/** Chromium requests /favicon.ico on its own; its 404 says nothing about the app. */
const FAVICON_404 = /Failed to load resource: .*status of 404.*\/favicon\.ico/;
