// Stand-in Tavily API server for the end-to-end tests, started in-process.
//
// Does: speaks real HTTP/1.1 on 127.0.0.1 (random port) at the root of its origin, as the app's "Search
// proxy URL" replaces https://api.tavily.com: POST /search and GET /usage, with CORS (preflights recorded, and
// made to fail on demand so the browser blocks the call) and Bearer-key auth (keys starting with `tvly-test`).
// Every /search body is validated against the official Tavily OpenAPI spec's request schema plus strict
// extras (no unknown top-level parameters, no `api_key` in the body, a query of at most 400 characters);
// failures are recorded in `violations` (the request is still answered normally, so the app flow continues;
// tests assert `violations` is empty). Results are computed from the query, so tests can predict them:
// `max_results` of them (5 by default) at https://shop-N.example/<slug of the query>, snippets that contain
// the query, decreasing scores, favicons and images (tiny SVGs served by the stand-in itself, with CORS)
// when asked, an answer when asked, and `usage.credits` (1, or 2 for advanced) when `include_usage` is true.
// A script queue answers searches before computed results: any status with the spec's `{detail: {error}}`
// body (429 with Retry-After), custom (hostile) results, a hang or a dropped connection; `failAll` fails
// every search (a 429 storm); `latencyMs` delays every search; `searches()` says when each arrived and ended
// so tests can prove searches ran in parallel. GET /usage reports the credits spent so far.
//
// Does not: search anything or need the network, rate-limit on its own (only what a test scripts), check
// `format` keywords, enforce the spec's prose rules (dates as YYYY-MM-DD, `country` only with `general`,
// `chunks_per_source` only for some depths, at most 300 include_domains...), accept a key in the body the way
// the real API still does, implement /extract, /crawl, /map, /research or the other endpoints (they get a
// FastAPI-shaped 404), or validate responses.

import http from 'node:http';
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import Ajv2020Module from 'ajv/dist/2020.js';
import { formatErrors, normaliseForAjv } from './openapi.mjs';
import { startServer, requestTarget, readJson, answerPreflight, sleep, hang } from './server.mjs';

/** Ajv ships CommonJS; depending on interop the class is the default export or `.default` of it. */
const Ajv2020 = /** @type {any} */ (Ajv2020Module).default ?? Ajv2020Module;

/** Default location of the spec (overridable with TAVILY_SPEC_PATH). */
export const DEFAULT_TAVILY_SPEC_PATH = process.env.TAVILY_SPEC_PATH || '/work/shared/specs/tavily-openapi.json';

/** Keys starting with this are accepted; any other key (or none) gets 401. */
export const KEY_PREFIX = 'tvly-test';

/** The longest query (in code points) that is not a violation. */
export const MAX_QUERY_CHARS = 400;

/** The request headers a preflight allows; a browser blocks a call that sends any other non-safelisted one. */
export const ALLOWED_HEADERS = Object.freeze(['Authorization', 'Content-Type', 'X-Project-ID']);

/**
 * The default `detail.error` message per status: the spec's example texts (for 400 and 432, whose examples
 * are placeholders like "<432 Custom Forbidden Error (e.g ...)>", the text after "e.g"); other statuses get
 * their HTTP reason phrase ("Forbidden", "Bad Gateway"...).
 */
export const ERROR_MESSAGES = Object.freeze({
  400: "Invalid topic. Must be 'general' or 'news'.",
  401: 'Unauthorized: missing or invalid API key.',
  403: 'Forbidden',
  429: 'Your request has been blocked due to excessive requests. Please reduce rate of requests.',
  432: "This request exceeds your plan's set usage limit. Please upgrade your plan or contact support@tavily.com",
  433: 'This request exceeds the pay-as-you-go limit. You can increase your limit on the Tavily dashboard.',
  500: 'Internal Server Error',
});

/** GET /usage's 429 example differs from /search's by a few words. */
export const USAGE_429_MESSAGE =
  'Your request has been blocked due to excessive requests. Please reduce the rate of requests';

/** The message of the 400 answered to a body that is not JSON (or not a JSON object). */
export const BAD_JSON_MESSAGE = 'Invalid JSON body: the request body must be a JSON object.';

/** What GET /usage reports besides the credits spent: a Researcher (free) plan of 1000 credits a month. */
export const PLAN = Object.freeze({ name: 'Researcher', keyLimit: 1000, planLimit: 1000, paygoLimit: 0 });

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * @typedef {{detail: {error: string}}} TavilyErrorBody
 *
 * A scripted reply with any status: `body` defaults (for 400 and above) to `{detail: {error}}` with the
 * status's {@link ERROR_MESSAGES} message; a string body is sent as it is (text/plain unless `headers` say
 * otherwise), so `{status: 200, body: '{oops'}` is a malformed reply. A 429 carries `Retry-After: <retryAfter>`
 * (1 by default; null for none) unless `headers` set one. `delayMs` replaces `latencyMs` for this request.
 * @typedef {{kind?: 'reply', status: number, body?: any, headers?: Record<string,string>,
 *   retryAfter?: number|null, delayMs?: number}} ReplyEntry
 * Custom results, sent as given (no field filled in): the reply is `{query, answer, images, results,
 * response_time, request_id}` plus `usage` when asked, as for computed results; `answer` defaults to the
 * computed one (null unless `include_answer`), `images` to [].
 * @typedef {{kind?: 'results', results: any[], images?: any[], answer?: string|null, delayMs?: number}} ResultsEntry
 * No reply until the client goes away (or a minute passes, then the connection is cut).
 * @typedef {{kind: 'hang'}} HangEntry
 * The connection is cut without a reply (after `delayMs`, by default `latencyMs`).
 * @typedef {{kind: 'drop', delayMs?: number}} DropEntry
 * @typedef {ReplyEntry|ResultsEntry|HangEntry|DropEntry} ScriptedSearch
 * A queued entry may also be a function of the request body.
 * @typedef {ScriptedSearch | ((body: any) => ScriptedSearch)} SearchEntry
 * GET /usage can be scripted with replies, hangs and drops.
 * @typedef {ReplyEntry|HangEntry|DropEntry} UsageEntry
 * What `failAll` answers every search with (see ReplyEntry; `status` 429 by default).
 * @typedef {{status?: number, body?: any, headers?: Record<string,string>, retryAfter?: number|null}} FailAll
 *
 * @typedef {{method: string, path: string, url: string, headers: import('node:http').IncomingHttpHeaders,
 *   body: any, at: number}} RecordedRequest
 *   `body` is the parsed JSON (null when empty or not JSON); `at` is when it arrived, in ms since the epoch.
 * @typedef {{method: string, path: string, headers: import('node:http').IncomingHttpHeaders, at: number,
 *   status: number}} RecordedPreflight
 *   `status` is 204, or 403 (without CORS headers) while `preflightFails` is set.
 * @typedef {{path: string, errors: string[], body: any}} Violation
 * @typedef {object} Search  one POST /search, whatever became of it
 * @property {string|null} query  the body's `query` when it is a string
 * @property {any} body            the parsed body (null when empty or not JSON)
 * @property {import('node:http').IncomingHttpHeaders} headers
 * @property {number} startedAt    when the request arrived, ms since the epoch (fractional)
 * @property {number|null} endedAt when the reply was sent or the connection closed (null while in flight)
 * @property {number|null} status  the HTTP status answered (null while in flight, or for a hang or drop)
 * @property {number} credits      credits the search cost (0 unless it was answered 200 with results)
 *
 * @typedef {object} Tavily
 * @property {string} origin  e.g. http://127.0.0.1:41234 (what the app's "Search proxy URL" is set to)
 * @property {RecordedRequest[]} requests      every non-OPTIONS request (images included), in arrival order
 * @property {RecordedPreflight[]} preflights  every OPTIONS request
 * @property {Violation[]} violations          /search bodies that failed validation
 * @property {() => Search[]} searches         every POST /search in arrival order (the live records)
 * @property {() => number} maxInFlight        the most searches that were in flight at once
 * @property {(...entries: SearchEntry[]) => void} script  queue replies; one is consumed per search that passes
 *   JSON parsing and auth while no `failAll` is set
 * @property {() => SearchEntry[]} pending     the not-yet-consumed search queue (copy)
 * @property {(...entries: UsageEntry[]) => void} scriptUsage  queue replies for GET /usage (after auth)
 * @property {(fail?: FailAll|null) => void} failAll  answer every search that passes JSON parsing and auth
 *   with this reply, consuming no queue, until reset or `failAll(null)`
 * @property {number} latencyMs       how long each POST /search waits before its reply (any reply)
 * @property {boolean} preflightFails  answer preflights 403 without CORS headers, so the browser blocks calls
 * @property {number} creditsUsed      credits spent so far (GET /usage's usage figures); settable
 * @property {(name: string) => string} imageUrl  the URL of a served SVG named `name` ([A-Za-z0-9_-]{1,64})
 * @property {() => void} reset  clear every record and queue, and restore every setting (arrays keep identity)
 * @property {() => Promise<void>} close  stop listening and cut every open connection
 */

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

/**
 * @typedef {object} SearchValidator
 * @property {(body: unknown) => (string[] | null)} validate  the spec's schema errors plus {@link strictErrors};
 *   null when there are none
 * @property {Set<string>} parameters  the spec's top-level /search parameters
 */

/** @type {Map<string, Promise<SearchValidator>>} one compiled validator per spec path per process */
const memo = new Map();

/**
 * Load (and memoise) the POST /search body validator of a Tavily spec (JSON).
 * @param {string} [specPath]
 * @returns {Promise<SearchValidator>}
 */
export function loadSearchValidator(specPath = DEFAULT_TAVILY_SPEC_PATH) {
  const key = path.resolve(specPath);
  let p = memo.get(key);
  if (!p) {
    p = buildValidator(key);
    memo.set(key, p);
    p.catch(() => memo.delete(key));
  }
  return p;
}

/** @param {string} specPath @returns {Promise<SearchValidator>} */
async function buildValidator(specPath) {
  const doc = JSON.parse(await fsp.readFile(specPath, 'utf8'));
  const found = doc?.paths?.['/search']?.post?.requestBody?.content?.['application/json']?.schema;
  if (!found || typeof found !== 'object') throw new Error(`${specPath} has no POST /search request body schema`);
  const schema = normaliseForAjv(structuredClone(found));
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  const check = ajv.compile(schema);
  const parameters = new Set(Object.keys(schema.properties ?? {}));
  return {
    parameters,
    validate(body) {
      const errs = [...(check(body) ? [] : formatErrors(check.errors)), ...strictErrors(body, parameters)];
      return errs.length > 0 ? errs : null;
    },
  };
}

/**
 * What this stand-in rejects in a /search body beyond the spec's schema: an `api_key` (the key belongs only
 * in `Authorization: Bearer`), any other top-level property the spec does not list, and a query longer than
 * {@link MAX_QUERY_CHARS} code points.
 * @param {any} body @param {Set<string>} parameters
 * @returns {string[]}
 */
export function strictErrors(body, parameters) {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return [];
  const out = [];
  for (const k of Object.keys(body)) {
    if (k === 'api_key') out.push('/api_key must not be sent: the key belongs only in Authorization: Bearer [strict]');
    else if (!parameters.has(k)) out.push(`/${k} is not a parameter of POST /search [strict]`);
  }
  if (typeof body.query === 'string') {
    const n = Array.from(body.query).length;
    if (n > MAX_QUERY_CHARS) out.push(`/query has ${n} characters, more than ${MAX_QUERY_CHARS} [strict]`);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Computed results
// ---------------------------------------------------------------------------

/**
 * The words of a text: lowercased runs of Unicode letters, marks and digits (NFC).
 * @param {unknown} text @returns {string[]}
 */
export function words(text) {
  return (
    String(text ?? '')
      .normalize('NFC')
      .toLowerCase()
      .match(/[\p{L}\p{M}\p{N}]+/gu) ?? []
  );
}

/**
 * The URL path segment of a query: its first 12 {@link words} joined with "-", percent-encoded (Hangul stays
 * percent-encoded: "서울 맛집" → "%EC%84%9C%EC%9A%B8-%EB%A7%9B%EC%A7%91"); "results" when it has no word.
 * @param {unknown} query @returns {string}
 */
export function slugOf(query) {
  const w = words(query).slice(0, 12);
  return w.length > 0 ? w.map(encodeURIComponent).join('-') : 'results';
}

/** First 8 hex digits of the query's SHA-256: names its images. @param {unknown} query */
export function queryHash(query) {
  return crypto
    .createHash('sha256')
    .update(String(query ?? ''))
    .digest('hex')
    .slice(0, 8);
}

/**
 * Credits a search costs: 2 for `search_depth: "advanced"` (or `auto_parameters` without a depth, which may
 * pick advanced), else 1.
 * @param {any} body @returns {number}
 */
export function creditsFor(body) {
  if (body?.search_depth === 'advanced') return 2;
  if (body?.auto_parameters === true && body?.search_depth === undefined) return 2;
  return 1;
}

/** The result score of position `i` (1-based): 0.98, 0.94, 0.90... @param {number} i */
export function scoreAt(i) {
  return Math.round((0.98 - 0.04 * (i - 1)) * 10_000) / 10_000;
}

/** @param {unknown} v @returns {boolean} */
const truthy = (v) => v === true || (typeof v === 'string' && v !== '');

/**
 * The computed answer: null unless `include_answer` is true, "basic" or "advanced".
 * @param {any} body @returns {string|null}
 */
export function answerFor(body) {
  if (!truthy(body?.include_answer)) return null;
  const q = String(body?.query ?? '');
  const short = `The stand-in found ${resultCount(body)} shops for ${q}.`;
  return body.include_answer === 'advanced' ? `${short} Shop 1 ranks first for ${q}; the others follow by score.` : short;
}

/** `max_results` when it is a whole number from 0 to 20, else 5. @param {any} body */
function resultCount(body) {
  const n = body?.max_results;
  return Number.isInteger(n) && n >= 0 && n <= 20 ? n : 5;
}

/** Whether `host` is `domain` or one of its subdomains. @param {string} host @param {string} domain */
function inDomain(host, domain) {
  const d = String(domain).toLowerCase().replace(/^\.+/, '');
  return d !== '' && (host === d || host.endsWith(`.${d}`));
}

/**
 * An image as the API lists it: `{url, description}` with `include_image_descriptions`, else the URL alone.
 * @param {any} body @param {string} url @param {string} description
 * @returns {string | {url: string, description: string}}
 */
function imageItem(body, url, description) {
  return body?.include_image_descriptions === true ? { url, description } : url;
}

/**
 * The computed results of a search, predictable from its body. Result i (1-based, up to `max_results`, 5 by
 * default) is at `https://shop-<i>.example/<slugOf(query)>` (with `include_domains`, at
 * `https://<domain>/<slug>/<i>` cycling through them; hosts in `exclude_domains` are skipped), titled
 * `<query> | Shop <i>`, with content `Shop <i>, part <k>: <query>.` for k = 1..chunks_per_source (3 by
 * default) joined by " [...] " (one `Summary from Shop <i>: <query>.` for ultra-fast), score {@link scoreAt},
 * `raw_content` (markdown, or null unless `include_raw_content`), `favicon` `<origin>/favicon/<i>.svg` only
 * with `include_favicon`, and `images` (one: `<origin>/img/<hash>-r<i>.svg`, described "A picture of <query>
 * from Shop <i>.") only with `include_images`.
 * @param {any} body @param {string} origin the stand-in's origin
 * @returns {any[]}
 */
export function computedResults(body, origin) {
  const q = String(body?.query ?? '');
  const slug = slugOf(q);
  const h = queryHash(q);
  const include = Array.isArray(body?.include_domains) ? body.include_domains.map(String).filter(Boolean) : [];
  const exclude = Array.isArray(body?.exclude_domains) ? body.exclude_domains.map(String) : [];
  const chunks = Number.isInteger(body?.chunks_per_source) ? Math.min(3, Math.max(1, body.chunks_per_source)) : 3;
  const want = resultCount(body);
  const out = [];
  for (let n = 1; out.length < want && n <= 100; n++) {
    const host = include.length > 0 ? include[(n - 1) % include.length].toLowerCase() : `shop-${n}.example`;
    if (exclude.some((d) => inDomain(host, d))) continue;
    const i = out.length + 1;
    const title = `${q} | Shop ${i}`;
    const content =
      body?.search_depth === 'ultra-fast'
        ? `Summary from Shop ${i}: ${q}.`
        : Array.from({ length: chunks }, (_, k) => `Shop ${i}, part ${k + 1}: ${q}.`).join(' [...] ');
    /** @type {any} */
    const r = {
      title,
      url: include.length > 0 ? `https://${host}/${slug}/${i}` : `https://${host}/${slug}`,
      content,
      score: scoreAt(i),
      raw_content: truthy(body?.include_raw_content) ? `# ${title}\n\n${content}` : null,
    };
    if (body?.include_favicon === true) r.favicon = `${origin}/favicon/${i}.svg`;
    if (body?.include_images === true) {
      r.images = [imageItem(body, `${origin}/img/${h}-r${i}.svg`, `A picture of ${q} from Shop ${i}.`)];
    }
    out.push(r);
  }
  return out;
}

/**
 * The computed top-level images: [] unless `include_images`; then two, `<origin>/img/<hash>-t<k>.svg`
 * (k = 1, 2), as URLs, or `{url, description}` ("A picture of <query> (<k>).") with `include_image_descriptions`.
 * @param {any} body @param {string} origin
 * @returns {(string | {url: string, description: string})[]}
 */
export function computedImages(body, origin) {
  if (body?.include_images !== true) return [];
  const q = String(body?.query ?? '');
  const h = queryHash(q);
  return [1, 2].map((k) => imageItem(body, `${origin}/img/${h}-t${k}.svg`, `A picture of ${q} (${k}).`));
}

/**
 * A 64×64 SVG with a colour and a letter taken from its name.
 * @param {string} name @returns {string}
 */
export function svgFor(name) {
  const hue = parseInt(queryHash(name).slice(0, 4), 16) % 360;
  const letter = /[A-Za-z0-9]/.exec(name.replace(/^[0-9a-f]{8}-/, ''))?.[0] ?? '?';
  return (
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">' +
    `<rect width="64" height="64" fill="hsl(${hue},60%,55%)"/>` +
    `<text x="32" y="42" font-size="28" text-anchor="middle" fill="#fff">${letter}</text></svg>`
  );
}

/**
 * The default `detail.error` of a status on a path (see {@link ERROR_MESSAGES}).
 * @param {number} status @param {string} [p] @returns {string}
 */
export function defaultMessage(status, p = '/search') {
  if (status === 429 && p === '/usage') return USAGE_429_MESSAGE;
  return /** @type {Record<number,string>} */ (ERROR_MESSAGES)[status] ?? http.STATUS_CODES[status] ?? `Error ${status}`;
}

/** The API's error body. @param {string} message @returns {TavilyErrorBody} */
export function errorBody(message) {
  return { detail: { error: message } };
}

// ---------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------

const CORS = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'Retry-After' };

/** Milliseconds since the epoch, fractional. */
const now = () => performance.timeOrigin + performance.now();

/**
 * Sleep that ends early when `signal` aborts, and takes no timer's turn at all for a delay that is not above
 * 0 (with no latency, a search is answered as soon as it is read).
 * @param {number} ms @param {AbortSignal} signal
 */
const pause = (ms, signal) => (ms > 0 ? sleep(ms, signal) : Promise.resolve(undefined));

/**
 * What kind of scripted entry this is; throws a TypeError for anything else.
 * @param {any} e @returns {'reply'|'results'|'hang'|'drop'}
 */
function entryKind(e) {
  if (e && typeof e === 'object') {
    if (e.kind === 'hang' || e.kind === 'drop') return e.kind;
    if ((e.kind === undefined || e.kind === 'reply') && Number.isInteger(e.status) && e.status >= 100 && e.status <= 599) {
      return 'reply';
    }
    if ((e.kind === undefined || e.kind === 'results') && Array.isArray(e.results)) return 'results';
  }
  throw new TypeError(
    'a scripted Tavily reply is {status, body?, headers?}, {results, images?}, {kind: "hang"} or ' +
      `{kind: "drop"}, not ${JSON.stringify(e)}`,
  );
}

/**
 * Start the stand-in server.
 * @param {{specPath?: string, latencyMs?: number}} [opts]
 * @returns {Promise<Tavily>}
 */
export async function startTavily({ specPath = DEFAULT_TAVILY_SPEC_PATH, latencyMs = 0 } = {}) {
  const validator = await loadSearchValidator(specPath);

  /** @type {RecordedRequest[]} */ const requests = [];
  /** @type {RecordedPreflight[]} */ const preflights = [];
  /** @type {Violation[]} */ const violations = [];
  /** @type {Search[]} */ const searchList = [];
  /** @type {SearchEntry[]} */ const queue = [];
  /** @type {UsageEntry[]} */ const usageQueue = [];
  /** @type {{latencyMs: number, preflightFails: boolean, creditsUsed: number, failAll: ReplyEntry|null}} */
  const control = { latencyMs, preflightFails: false, creditsUsed: 0, failAll: null };
  let inFlight = 0;
  let maxInFlight = 0;

  /**
   * @param {import('node:http').ServerResponse} res @param {number} status @param {any} body JSON, or a string
   *   sent as it is @param {Record<string,string>} [headers]
   */
  function send(res, status, body, headers = {}) {
    const raw = typeof body === 'string';
    const text = raw ? body : JSON.stringify(body);
    /** @type {Record<string,string|number>} */
    const all = {};
    // Later names replace earlier ones whatever their case, so a script's `content-type` wins.
    const defaults = {
      ...CORS,
      'Content-Type': raw ? 'text/plain; charset=utf-8' : 'application/json',
      'Content-Length': Buffer.byteLength(text),
    };
    for (const [k, v] of [...Object.entries(defaults), ...Object.entries(headers)]) all[k.toLowerCase()] = v;
    res.writeHead(status, all);
    res.end(text);
  }

  /**
   * A scripted reply made whole: the default body and Retry-After filled in.
   * @param {ReplyEntry} e @param {string} p the path (for its default messages)
   * @returns {{status: number, body: any, headers: Record<string,string>}}
   */
  function replyOf(e, p) {
    const headers = { ...(e.headers ?? {}) };
    const hasRetry = Object.keys(headers).some((k) => k.toLowerCase() === 'retry-after');
    if (e.status === 429 && !hasRetry && e.retryAfter !== null) headers['Retry-After'] = String(e.retryAfter ?? 1);
    const body = e.body !== undefined ? e.body : e.status >= 400 ? errorBody(defaultMessage(e.status, p)) : {};
    return { status: e.status, body, headers };
  }

  /** @param {import('node:http').IncomingHttpHeaders} headers @returns {boolean} */
  function authorised(headers) {
    const m = typeof headers.authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization) : null;
    return m !== null && m[1].startsWith(KEY_PREFIX);
  }

  /** @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res */
  async function handle(req, res) {
    const at = now();
    const { method, url, pathname } = requestTarget(req);

    if (method === 'OPTIONS') {
      if (control.preflightFails) {
        preflights.push({ method, path: pathname, headers: req.headers, at, status: 403 });
        res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '9' });
        return void res.end('Forbidden');
      }
      preflights.push({ method, path: pathname, headers: req.headers, at, status: 204 });
      // Not cached, so a test can make the next preflight fail.
      return answerPreflight(res, CORS, { allowHeaders: ALLOWED_HEADERS.join(', '), maxAgeSeconds: 0 });
    }

    const { body, badJson } = await readJson(req, MAX_BODY_BYTES);
    requests.push({ method, path: pathname, url: url.pathname + url.search, headers: req.headers, body, at });

    const svg = /^\/(img|favicon)\/([A-Za-z0-9_-]{1,64})\.svg$/.exec(pathname);
    if (svg && (method === 'GET' || method === 'HEAD')) {
      const text = svgFor(svg[2]);
      res.writeHead(200, {
        ...CORS,
        'Content-Type': 'image/svg+xml',
        'Content-Length': Buffer.byteLength(text),
        'Cross-Origin-Resource-Policy': 'cross-origin',
        'Cache-Control': 'no-store',
      });
      return void res.end(method === 'HEAD' ? undefined : text);
    }
    if (pathname === '/search') {
      if (method !== 'POST') return send(res, 405, { detail: 'Method Not Allowed' }, { Allow: 'POST' });
      return search(req, res, body, badJson, at);
    }
    if (pathname === '/usage') {
      if (method !== 'GET') return send(res, 405, { detail: 'Method Not Allowed' }, { Allow: 'GET' });
      return usage(req, res);
    }
    return send(res, 404, { detail: 'Not Found' });
  }

  /**
   * @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res
   * @param {any} body @param {boolean} badJson @param {number} at
   */
  async function search(req, res, body, badJson, at) {
    /** @type {Search} */
    const record = {
      query: typeof body?.query === 'string' ? body.query : null,
      body,
      headers: req.headers,
      startedAt: at,
      endedAt: null,
      status: null,
      credits: 0,
    };
    searchList.push(record);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => {
      inFlight -= 1;
      record.endedAt ??= now();
    });
    const signal = srv.gone(res);

    /**
     * Waits the latency, then sends (unless the client went away).
     * @type {(status: number, b: any, h?: Record<string,string>, delayMs?: number) => Promise<void>}
     */
    const reply = async (status, b, h = {}, delayMs = control.latencyMs) => {
      await pause(delayMs, signal);
      if (signal.aborted || res.destroyed) return;
      record.status = status;
      send(res, status, b, h);
      record.endedAt = now();
    };

    const isObject = body !== null && typeof body === 'object' && !Array.isArray(body);
    if (!badJson) {
      const errs = isObject ? validator.validate(body) : ['(root) body is not a JSON object'];
      if (errs) violations.push({ path: '/search', errors: errs, body });
    }
    if (!isObject) return reply(400, errorBody(BAD_JSON_MESSAGE));
    if (!authorised(req.headers)) return reply(401, errorBody(ERROR_MESSAGES[401]));

    if (control.failAll) {
      const r = replyOf(control.failAll, '/search');
      return reply(r.status, r.body, r.headers);
    }

    const next = queue.shift();
    /** @type {ScriptedSearch|undefined} */
    const entry = typeof next === 'function' ? next(body) : next;
    const kind = entry === undefined ? 'computed' : entryKind(entry);
    const delay = /** @type {any} */ (entry)?.delayMs ?? control.latencyMs;

    if (kind === 'hang') return hang(res, signal);
    if (kind === 'drop') {
      await pause(delay, signal);
      return void req.socket.destroy();
    }
    if (kind === 'reply') {
      const r = replyOf(/** @type {ReplyEntry} */ (entry), '/search');
      return reply(r.status, r.body, r.headers, delay);
    }

    const custom = kind === 'results' ? /** @type {ResultsEntry} */ (entry) : null;
    await pause(delay, signal);
    if (signal.aborted || res.destroyed) return;
    const credits = creditsFor(body);
    /** @type {any} */
    const out = {
      query: body.query,
      answer: custom && custom.answer !== undefined ? custom.answer : answerFor(body),
      images: custom ? custom.images ?? [] : computedImages(body, origin),
      results: custom ? custom.results : computedResults(body, origin),
    };
    if (body.auto_parameters === true) {
      out.auto_parameters = {
        topic: body.topic ?? 'general',
        search_depth: body.search_depth ?? 'advanced',
      };
    }
    out.response_time = Math.round((now() - at) / 10) / 100;
    if (body.include_usage === true) out.usage = { credits };
    out.request_id = crypto.randomUUID();
    record.credits = credits;
    control.creditsUsed += credits;
    return reply(200, out, {}, 0);
  }

  /** @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res */
  async function usage(req, res) {
    if (!authorised(req.headers)) return send(res, 401, errorBody(ERROR_MESSAGES[401]));
    const entry = usageQueue.shift();
    if (entry) {
      const kind = entryKind(entry);
      if (kind === 'hang') return hang(res, srv.gone(res));
      if (kind === 'drop') return void req.socket.destroy();
      if (kind === 'reply') {
        const r = replyOf(/** @type {ReplyEntry} */ (entry), '/usage');
        return send(res, r.status, r.body, r.headers);
      }
    }
    const used = control.creditsUsed;
    return send(res, 200, {
      key: {
        usage: used,
        limit: PLAN.keyLimit,
        search_usage: used,
        extract_usage: 0,
        crawl_usage: 0,
        map_usage: 0,
        research_usage: 0,
      },
      account: {
        current_plan: PLAN.name,
        plan_usage: used,
        plan_limit: PLAN.planLimit,
        paygo_usage: 0,
        paygo_limit: PLAN.paygoLimit,
        search_usage: used,
        extract_usage: 0,
        crawl_usage: 0,
        map_usage: 0,
        research_usage: 0,
      },
    });
  }

  const srv = await startServer({ handle, onError: (res, message) => send(res, 500, errorBody(message)) });
  const origin = srv.origin;

  return {
    origin,
    requests,
    preflights,
    violations,
    searches: () => searchList,
    maxInFlight: () => maxInFlight,
    script(...entries) {
      for (const e of entries) if (typeof e !== 'function') entryKind(e);
      queue.push(...entries);
    },
    pending: () => [...queue],
    scriptUsage(...entries) {
      for (const e of entries) {
        if (entryKind(e) === 'results') throw new TypeError('GET /usage cannot be scripted with results');
      }
      usageQueue.push(...entries);
    },
    failAll(fail = {}) {
      if (fail === null) {
        control.failAll = null;
        return;
      }
      const entry = { ...fail, status: fail.status ?? 429 };
      entryKind(entry);
      control.failAll = entry;
    },
    get latencyMs() {
      return control.latencyMs;
    },
    set latencyMs(ms) {
      if (!(Number.isFinite(ms) && ms >= 0)) throw new TypeError(`latencyMs must be a number ≥ 0, not ${ms}`);
      control.latencyMs = ms;
    },
    get preflightFails() {
      return control.preflightFails;
    },
    set preflightFails(on) {
      control.preflightFails = on === true;
    },
    get creditsUsed() {
      return control.creditsUsed;
    },
    set creditsUsed(n) {
      if (!(Number.isInteger(n) && n >= 0)) throw new TypeError(`creditsUsed must be a whole number, not ${n}`);
      control.creditsUsed = n;
    },
    imageUrl(name) {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) throw new TypeError(`image names are [A-Za-z0-9_-]{1,64}, not ${name}`);
      return `${origin}/img/${name}.svg`;
    },
    reset() {
      control.latencyMs = latencyMs;
      control.preflightFails = false;
      control.creditsUsed = 0;
      control.failAll = null;
      requests.length = 0;
      preflights.length = 0;
      violations.length = 0;
      searchList.length = 0;
      queue.length = 0;
      usageQueue.length = 0;
      maxInFlight = inFlight;
    },
    close: srv.close,
  };
}
