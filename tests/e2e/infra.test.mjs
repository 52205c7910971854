// Self-tests of the end-to-end infrastructure (validator, stand-in OpenAI
// server, static server, browser harness). Needs no built app.
//
// Does: proves the OpenAPI validator compiles against the real spec and both
// accepts realistic requests and rejects bad ones; exercises the stand-in over
// real HTTP (CORS, auth, models, SSE streaming, scripted errors/drops,
// embeddings, violation recording); checks the static server's MIME types and
// traversal protection; drives headless Chromium once against the servers.
//
// Does not: test the Boda app itself.
//
// Run: cd <repo> && node --test tests/e2e/infra.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { loadValidator } from './openapi.mjs';
import { startStandin, errors, lastUserText, imageParts } from './standin.mjs';
import { startStatic } from './static.mjs';
import { launchBrowser, readStore, countBlobs, collectPageErrors } from './harness.mjs';

const T = { timeout: 20_000 };
const KEY = 'sk-test-infra-0123456789';
const PNG_DATA_URL =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** @type {Awaited<ReturnType<typeof startStandin>>} */
let api;
/** @type {Awaited<ReturnType<typeof loadValidator>>} */
let v;

before(async () => {
  v = await loadValidator();
  api = await startStandin();
}, { timeout: 120_000 });

after(async () => {
  await api?.close();
});

/** A realistic request as the app would send it. */
function chatBody(extra = {}) {
  return {
    model: 'gpt-4o-mini',
    stream: true,
    stream_options: { include_usage: true },
    messages: [
      { role: 'system', content: 'You are Boda, a helpful assistant.' },
      { role: 'user', content: 'Earlier question' },
      { role: 'assistant', content: 'Earlier answer' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in this picture?' },
          { type: 'image_url', image_url: { url: PNG_DATA_URL, detail: 'high' } },
        ],
      },
    ],
    ...extra,
  };
}

/**
 * POST JSON to the stand-in.
 * @param {string} p path under /v1 @param {any} body @param {Record<string,string>} [headers]
 */
function post(p, body, headers = {}) {
  return fetch(`${api.baseUrl}${p}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
}

/**
 * Tiny SSE reader: reads the whole body (tolerating a cut connection) and
 * returns the `data:` payloads of each event, plus whether the stream broke.
 * @param {Response} res
 * @returns {Promise<{events: string[], broken: boolean}>}
 */
async function readSse(res) {
  const reader = /** @type {ReadableStream<Uint8Array>} */ (res.body).getReader();
  const dec = new TextDecoder();
  let buf = '';
  let broken = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
    }
  } catch {
    broken = true;
  }
  const events = [];
  const blocks = buf.split(/\r?\n\r?\n/);
  const tail = blocks.pop(); // incomplete (or empty) trailing block
  if (tail && tail.trim()) broken = true;
  for (const block of blocks) {
    const data = block
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).replace(/^ /, ''));
    if (data.length) events.push(data.join('\n'));
  }
  return { events, broken };
}

// ---------------------------------------------------------------------------
// Validator
// ---------------------------------------------------------------------------

test('validator accepts a realistic chat request (text + data-URL image, stream, include_usage)', T, () => {
  assert.equal(v.validateChat(chatBody()), null);
  // nullable fields (OpenAPI `nullable: true`) accept null after normalisation
  assert.equal(v.validateChat(chatBody({ max_completion_tokens: null, temperature: 0.7 })), null);
  assert.equal(v.validateChat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }), null);
});

test('validator rejects a chat request without messages', T, () => {
  const errs = v.validateChat({ model: 'gpt-4o-mini', stream: true });
  assert.ok(Array.isArray(errs) && errs.length > 0);
  assert.ok(errs.some((e) => e.includes("required property 'messages'")), errs.join('\n'));
});

test('validator rejects a message with role "robot"', T, () => {
  const errs = v.validateChat({ model: 'gpt-4o-mini', messages: [{ role: 'robot', content: 'beep' }] });
  assert.ok(errs && errs.some((e) => e.startsWith('/messages/0')), String(errs));
});

test('validator rejects image_url.detail "ultra"', T, () => {
  const body = chatBody();
  body.messages[3].content[1].image_url.detail = 'ultra';
  const errs = v.validateChat(body);
  assert.ok(errs, 'expected errors');
  assert.match(errs[0], /\/messages\/3\/content\/1\/image_url\/detail .*allowed/);
});

test('validator rejects unknown top-level chat parameters (as the real API does)', T, () => {
  const errs = v.validateChat(chatBody({ max_token: 10 }));
  assert.ok(errs && errs.some((e) => e.includes("'max_token'")), String(errs));
});

/** A Structured Outputs request shaped like the judge's (src/core/eval/judge.rs), with `response_format` overridable. */
function structuredBody(responseFormat = {}) {
  return {
    model: 'gpt-4o',
    messages: [
      { role: 'system', content: 'You grade answers.' },
      { role: 'user', content: '{"question":"q","reference":"r","reference_mode":"all","answer":"a"}' },
    ],
    stream: false,
    max_completion_tokens: 400,
    temperature: 0,
    response_format: {
      type: 'json_schema',
      json_schema: {
        name: 'correctness_verdict',
        strict: true,
        schema: {
          type: 'object',
          properties: { score: { type: 'number' }, rationale: { type: 'string' } },
          required: ['score', 'rationale'],
          additionalProperties: false,
        },
      },
      ...responseFormat,
    },
  };
}

test('validator: a strict json_schema response format passes; what the real API refuses is reported', T, () => {
  assert.equal(v.validateChat(structuredBody()), null);
  const schema = structuredBody().response_format.json_schema.schema;
  /** @param {any} jsonSchema */
  const errsFor = (jsonSchema) => v.validateChat(structuredBody({ json_schema: jsonSchema })) ?? [];
  assert.ok(errsFor({ name: 'no spaces allowed', strict: true, schema }).some((e) => e.includes('/json_schema/name')));
  assert.ok(errsFor({ name: 'x'.repeat(65), strict: true, schema }).some((e) => e.includes('/json_schema/name')));
  assert.ok(errsFor({ name: 'v', strict: 'yes', schema }).some((e) => e.includes('/json_schema/strict')));
  assert.ok(errsFor({ strict: true, schema }).some((e) => e.includes("required property 'name'")));
  const open = { ...schema, additionalProperties: true };
  assert.ok(errsFor({ name: 'v', strict: true, schema: open }).some((e) => e.includes('additionalProperties')));
  const partly = { ...schema, required: ['score'] };
  assert.ok(errsFor({ name: 'v', strict: true, schema: partly }).some((e) => e.includes('missing: rationale')));
  const nested = {
    ...schema,
    properties: { claims: { type: 'array', items: { type: 'object', properties: { claim: { type: 'string' } } } } },
    required: ['claims'],
  };
  const nestedErrs = errsFor({ name: 'v', strict: true, schema: nested });
  assert.ok(nestedErrs.some((e) => e.startsWith('/response_format/json_schema/schema/properties/claims/items ')));
  assert.ok(errsFor({ name: 'v', strict: true, schema: { anyOf: [schema] } }).some((e) => e.includes('root')));
  // Without strict mode only the name is the API's business.
  assert.equal(errsFor({ name: 'v', strict: false, schema: open }).length, 0);
  assert.equal(v.validateChat(structuredBody({ type: 'json_object', json_schema: undefined })), null);
});

test('validator: embeddings accept string/array input and reject an object input', T, () => {
  assert.equal(v.validateEmbedding({ model: 'text-embedding-3-small', input: 'hello' }), null);
  assert.equal(
    v.validateEmbedding({ model: 'text-embedding-3-small', input: ['a', 'b'], dimensions: 256, encoding_format: 'base64' }),
    null,
  );
  const errs = v.validateEmbedding({ model: 'text-embedding-3-small', input: { text: 'hello' } });
  assert.ok(errs && errs.some((e) => e.startsWith('/input')), String(errs));
});

// ---------------------------------------------------------------------------
// Stand-in server
// ---------------------------------------------------------------------------

test('stand-in answers a CORS preflight', T, async () => {
  api.reset();
  const res = await fetch(`${api.baseUrl}/chat/completions`, {
    method: 'OPTIONS',
    headers: {
      origin: 'http://127.0.0.1:9',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type',
    },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  assert.equal(res.headers.get('access-control-allow-methods'), 'GET, POST, OPTIONS');
  assert.equal(res.headers.get('access-control-allow-headers'), 'authorization,content-type');
  assert.equal(res.headers.get('access-control-max-age'), '600');
  assert.match(res.headers.get('access-control-expose-headers') ?? '', /Retry-After/);
  assert.equal(api.preflights.length, 1);
  assert.equal(api.requests.length, 0, 'preflights are not recorded as requests');
});

test('stand-in: bad key → 401 with the OpenAI body, key masked', T, async () => {
  const badKey = 'sk-bad-key-abcdefghijklmnop';
  const res = await fetch(`${api.baseUrl}/models`, {
    headers: { authorization: `Bearer ${badKey}` },
  });
  assert.equal(res.status, 401);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  const text = await res.text();
  assert.ok(!text.includes(badKey), 'full key must never be echoed');
  const body = JSON.parse(text);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(body.error.code, 'invalid_api_key');
  assert.equal(body.error.type, 'invalid_request_error');
  assert.equal(body.error.param, null);
  assert.match(body.error.message, /^Incorrect API key provided: sk-bad\*+/);

  const missing = await fetch(`${api.baseUrl}/models`);
  assert.equal(missing.status, 401);
  assert.equal((await missing.json()).error.type, 'invalid_request_error');
});

test('stand-in: GET /v1/models lists gpt-4o-mini', T, async () => {
  const res = await fetch(`${api.baseUrl}/models`, { headers: { authorization: `Bearer ${KEY}` } });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.object, 'list');
  assert.ok(body.data.some((m) => m.id === 'gpt-4o-mini' && m.object === 'model'));
});

test('stand-in: default streamed answer is valid SSE with usage chunk and [DONE]', T, async () => {
  api.reset();
  const res = await post('/chat/completions', chatBody());
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const { events, broken } = await readSse(res);
  assert.equal(broken, false);
  assert.equal(events.at(-1), '[DONE]');
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
  for (const c of chunks) {
    assert.equal(c.object, 'chat.completion.chunk');
    assert.equal(c.model, 'gpt-4o-mini');
    assert.match(c.id, /^chatcmpl-/);
  }
  assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '', refusal: null });
  const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
  assert.equal(text, 'You asked: What is in this picture?. I can see 1 image(s).');
  assert.ok(chunks.length >= 8, 'split into several chunks');
  const finish = chunks.find((c) => c.choices[0]?.finish_reason);
  assert.equal(finish.choices[0].finish_reason, 'stop');
  const last = chunks.at(-1);
  assert.deepEqual(last.choices, []);
  assert.equal(last.usage.total_tokens, last.usage.prompt_tokens + last.usage.completion_tokens);
  assert.ok(last.usage.prompt_tokens_details && last.usage.completion_tokens_details);

  assert.deepEqual(api.violations, []);
  assert.equal(api.requests.length, 1);
  assert.equal(lastUserText(api.requests[0].body), 'What is in this picture?');
  assert.equal(imageParts(api.requests[0].body).length, 1);
  assert.equal(imageParts(api.requests[0].body)[0].detail, 'high');
});

test('stand-in: no usage chunk without include_usage; scripted stream uses the chunks', T, async () => {
  api.reset();
  api.script({ kind: 'stream', chunks: ['Hel', 'lo'], delayMs: 1 });
  const { events } = await readSse(await post('/chat/completions', chatBody({ stream_options: undefined })));
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
  assert.equal(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join(''), 'Hello');
  assert.ok(chunks.every((c) => c.choices.length === 1 && !('usage' in c)));
});

test('stand-in: non-streaming request gets a chat.completion object', T, async () => {
  api.reset();
  const res = await post('/chat/completions', chatBody({ stream: false, stream_options: undefined }));
  const body = await res.json();
  assert.equal(body.object, 'chat.completion');
  // A plain request with an image is answered like a caption request: a caption that differs per image.
  assert.match(body.choices[0].message.content, /^A test picture [0-9a-f]{8} /);
  // Plain requests have their own script queue, so they never take an answer scripted for a streamed turn.
  api.script({ kind: 'stream', chunks: ['for the turn'] });
  api.scriptPlain({ kind: 'json', content: 'plain one' });
  const plain = await (await post('/chat/completions', chatBody({ stream: false, stream_options: undefined }))).json();
  assert.equal(plain.choices[0].message.content, 'plain one');
  assert.equal(api.pending().length, 1, 'the streamed answer is still queued');
  assert.deepEqual(api.violations, []);
});

test('stand-in: scripted 429 carries Retry-After (exposed to browsers)', T, async () => {
  api.reset();
  api.script(errors.rateLimit(1));
  const res = await post('/chat/completions', chatBody());
  assert.equal(res.status, 429);
  assert.equal(res.headers.get('retry-after'), '1');
  assert.match(res.headers.get('access-control-expose-headers') ?? '', /Retry-After/);
  const body = await res.json();
  assert.equal(body.error.code, 'rate_limit_exceeded');
  assert.equal(body.error.type, 'requests');

  api.script(errors.insufficientQuota(), errors.server(503), errors.forbidden());
  assert.equal((await (await post('/chat/completions', chatBody())).json()).error.code, 'insufficient_quota');
  const r503 = await post('/chat/completions', chatBody());
  assert.equal(r503.status, 503);
  assert.equal((await r503.json()).error.type, 'server_error');
  const r403 = await post('/chat/completions', chatBody());
  assert.equal(r403.status, 403);
  assert.equal((await r403.json()).error.code, 'unsupported_country_region_territory');
  // queue is consumed: next one is the default echo again
  assert.equal((await post('/chat/completions', chatBody())).status, 200);
});

test("stand-in: 'drop' ends without finish chunk or [DONE]", T, async () => {
  api.reset();
  api.script({ kind: 'drop', chunks: ['par', 'tial'], delayMs: 2 });
  const res = await post('/chat/completions', chatBody());
  assert.equal(res.status, 200);
  const { events, broken } = await readSse(res);
  assert.equal(broken, true, 'connection should be cut');
  assert.ok(!events.includes('[DONE]'));
  const chunks = events.map((e) => JSON.parse(e));
  assert.equal(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join(''), 'partial');
  assert.ok(chunks.every((c) => c.choices[0].finish_reason === null));
});

test("stand-in: 'malformed' sends a non-JSON event then [DONE]", T, async () => {
  api.reset();
  api.script({ kind: 'malformed', chunks: ['ok'], delayMs: 1 });
  const { events, broken } = await readSse(await post('/chat/completions', chatBody()));
  assert.equal(broken, false);
  assert.equal(events.at(-1), '[DONE]');
  assert.equal(events.at(-2), '{this is not json');
});

test("stand-in: 'hang' holds the stream until the client aborts; server survives", T, async () => {
  api.reset();
  api.script({ kind: 'hang', chunks: ['wait'], delayMs: 1 });
  const ac = new AbortController();
  const res = await fetch(`${api.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(chatBody()),
    signal: ac.signal,
  });
  const reader = /** @type {ReadableStream<Uint8Array>} */ (res.body).getReader();
  let got = '';
  const dec = new TextDecoder();
  while (!got.includes('"wait"')) got += dec.decode((await reader.read()).value);
  const t0 = Date.now();
  setTimeout(() => ac.abort(), 200);
  await assert.rejects(async () => {
    for (;;) if ((await reader.read()).done) break;
  });
  assert.ok(Date.now() - t0 < 5000);
  // still serving
  assert.equal((await post('/chat/completions', chatBody({ stream: false, stream_options: undefined }))).status, 200);
});

test('stand-in: unknown model → 404 model_not_found', T, async () => {
  const res = await post('/chat/completions', chatBody({ model: 'gpt-9-turbo' }));
  assert.equal(res.status, 404);
  const body = await res.json();
  assert.equal(body.error.code, 'model_not_found');
  assert.equal(body.error.message, 'The model `gpt-9-turbo` does not exist or you do not have access to it.');
});

test('stand-in: invalid JSON → 400; unknown endpoint → 404, both OpenAI-shaped', T, async () => {
  const bad = await post('/chat/completions', '{"model": ');
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).error.type, 'invalid_request_error');
  const nf = await post('/responses', { model: 'gpt-4o-mini', input: 'x' });
  assert.equal(nf.status, 404);
  assert.match((await nf.json()).error.message, /Invalid URL/);
});

test('stand-in: embeddings honour dimensions, are unit length and similarity-preserving', T, async () => {
  api.reset();
  const texts = [
    'How do I bake sourdough bread at home?',
    'How can I bake sourdough bread at home?',
    'Quarterly tax filing deadlines for small companies',
  ];
  const res = await post('/embeddings', { model: 'text-embedding-3-small', input: texts, dimensions: 256 });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.object, 'list');
  assert.equal(body.data.length, 3);
  assert.ok(body.usage.prompt_tokens > 0 && body.usage.total_tokens === body.usage.prompt_tokens);
  const vecs = body.data.map((d, i) => {
    assert.equal(d.index, i);
    assert.equal(d.object, 'embedding');
    assert.equal(d.embedding.length, 256);
    return d.embedding;
  });
  const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);
  for (const x of vecs) assert.ok(Math.abs(dot(x, x) - 1) < 1e-4);
  assert.ok(dot(vecs[0], vecs[1]) > dot(vecs[0], vecs[2]) + 0.3, `${dot(vecs[0], vecs[1])} vs ${dot(vecs[0], vecs[2])}`);

  // default 1536 dims, string input, base64 = LE f32 of the same vector
  const f = await (await post('/embeddings', { model: 'text-embedding-3-small', input: texts[0] })).json();
  assert.equal(f.data[0].embedding.length, 1536);
  const b = await (
    await post('/embeddings', { model: 'text-embedding-3-small', input: texts[0], encoding_format: 'base64' })
  ).json();
  const buf = Buffer.from(b.data[0].embedding, 'base64');
  assert.equal(buf.length, 1536 * 4);
  for (let i = 0; i < 1536; i += 97) assert.equal(buf.readFloatLE(i * 4), f.data[0].embedding[i]);
  assert.deepEqual(api.violations, []);
});

test('stand-in records schema violations but still answers', T, async () => {
  api.reset();
  const res = await post('/chat/completions', {
    model: 'gpt-4o-mini',
    stream: true,
    messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: PNG_DATA_URL, detail: 'ultra' } }] }],
  });
  assert.equal(res.status, 200);
  await res.text();
  assert.equal(api.violations.length, 1);
  assert.equal(api.violations[0].path, '/v1/chat/completions');
  assert.ok(api.violations[0].errors.some((e) => e.includes('detail')));

  const emb = await post('/embeddings', { model: 'text-embedding-3-small', input: { text: 'x' } });
  assert.equal(emb.status, 200);
  await emb.text();
  assert.equal(api.violations.length, 2);
  assert.equal(api.violations[1].path, '/v1/embeddings');
});

// ---------------------------------------------------------------------------
// Static server
// ---------------------------------------------------------------------------

/** Raw GET (no URL normalisation, unlike fetch). @param {string} origin @param {string} p */
function rawGet(origin, p) {
  return new Promise((resolve, reject) => {
    const u = new URL(origin);
    const req = http.request({ host: u.hostname, port: u.port, path: p, method: 'GET' }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Temp tree: <tmp>/package.json (secret) and <tmp>/dist/{index.html, app.wasm, ...}. */
async function makeSite() {
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'boda-e2e-'));
  const dist = path.join(tmp, 'dist');
  await fsp.mkdir(dist);
  await fsp.writeFile(path.join(tmp, 'package.json'), '{"secret":"do-not-serve"}');
  await fsp.writeFile(
    path.join(dist, 'index.html'),
    '<!doctype html><html><head><title>infra</title></head><body>infra</body></html>',
  );
  await fsp.writeFile(
    path.join(dist, '404.html'),
    '<!doctype html><html><head><title>infra</title></head><body>infra, not found</body></html>',
  );
  await fsp.writeFile(path.join(dist, 'app.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  await fsp.writeFile(path.join(dist, 'app.css'), 'body{}');
  await fsp.writeFile(path.join(dist, 'app.js'), 'export {}');
  await fsp.writeFile(path.join(dist, 'icon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await fsp.writeFile(path.join(dist, 'manifest.webmanifest'), '{}');
  return { tmp, dist };
}

test('static server: MIME types, 404.html for misses (no rewrites), no-store, traversal refused', T, async () => {
  const { tmp, dist } = await makeSite();
  const site = await startStatic(dist);
  try {
    const wasm = await fetch(`${site.origin}/app.wasm`);
    assert.equal(wasm.status, 200);
    assert.equal(wasm.headers.get('content-type'), 'application/wasm');
    assert.equal(wasm.headers.get('cache-control'), 'no-store');
    assert.equal((await wasm.arrayBuffer()).byteLength, 8);
    for (const [p, type] of [
      ['/app.css', 'text/css'],
      ['/app.js', 'application/javascript'],
      ['/icon.svg', 'image/svg+xml'],
      ['/manifest.webmanifest', 'application/manifest+json'],
    ]) {
      const r = await fetch(site.origin + p);
      assert.equal(r.headers.get('content-type'), type, p);
      await r.arrayBuffer();
    }
    const home = await fetch(`${site.origin}/`);
    assert.equal(home.status, 200);
    assert.match(home.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(await home.text(), '<!doctype html><html><head><title>infra</title></head><body>infra</body></html>');
    for (const p of ['/chat/42', '/nope.js']) {
      const r = await fetch(site.origin + p);
      assert.equal(r.status, 404, p);
      assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(await r.text(), /infra, not found/);
    }

    for (const p of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/a/../../package.json']) {
      const r = /** @type {any} */ (await rawGet(site.origin, p));
      assert.ok(r.status === 403 || r.status === 404 || r.status === 400, `${p} → ${r.status}`);
      assert.ok(!r.body.includes('do-not-serve'), p);
    }
  } finally {
    await site.close();
    await fsp.rm(tmp, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------
// Browser
// ---------------------------------------------------------------------------

test('browser: readStore and countBlobs on a page-created IndexedDB; CORS streaming from the page', { timeout: 60_000 }, async () => {
  const { tmp, dist } = await makeSite();
  const site = await startStatic(dist);
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    const pageErrors = collectPageErrors(page);
    await page.goto(`${site.origin}/`);

    assert.deepEqual(await readStore(page, 'infra-db', 'items'), [], 'missing database reads as empty');
    assert.equal(await countBlobs(page, 'infra-db'), 0);

    await page.evaluate(async () => {
      const db = await new Promise((resolve, reject) => {
        const r = indexedDB.open('infra-db', 1);
        r.onupgradeneeded = () => {
          r.result.createObjectStore('items', { keyPath: 'id' });
          r.result.createObjectStore('other', { autoIncrement: true });
        };
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      await new Promise((resolve, reject) => {
        const tx = db.transaction(['items', 'other'], 'readwrite');
        tx.objectStore('items').put({ id: 1, text: 'hello' });
        tx.objectStore('items').put({ id: 2, image: new Blob(['abc'], { type: 'image/png' }) });
        tx.objectStore('other').put({ parts: [new Blob(['xy'], { type: 'text/plain' })] });
        tx.oncomplete = () => resolve(undefined);
        tx.onerror = () => reject(tx.error);
      });
      db.close();
    });

    const rows = await readStore(page, 'infra-db', 'items');
    assert.deepEqual(rows, [
      { id: 1, text: 'hello' },
      { id: 2, image: { __blob: true, size: 3, type: 'image/png' } },
    ]);
    assert.equal(await countBlobs(page, 'infra-db'), 2);
    await assert.rejects(readStore(page, 'infra-db', 'nope'), /no store "nope"/);
    const dbNames = await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
    assert.deepEqual(dbNames, ['infra-db'], 'reading a missing database must not create it');

    // Real cross-origin streaming fetch from the page: preflight + incremental chunks.
    api.reset();
    api.script({ kind: 'stream', chunks: ['one ', 'two ', 'three'], delayMs: 60 });
    const got = await page.evaluate(
      async ({ baseUrl, key }) => {
        const res = await fetch(`${baseUrl}/chat/completions`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({
            model: 'gpt-4o-mini',
            stream: true,
            stream_options: { include_usage: true },
            messages: [{ role: 'user', content: 'count' }],
          }),
        });
        const reader = res.body.getReader();
        const dec = new TextDecoder();
        let text = '';
        let reads = 0;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          reads++;
          text += dec.decode(value, { stream: true });
        }
        return { status: res.status, text, reads, requestId: res.headers.get('x-request-id') };
      },
      { baseUrl: api.baseUrl, key: KEY },
    );
    assert.equal(got.status, 200);
    assert.ok(got.reads >= 3, `expected incremental delivery, got ${got.reads} read(s)`);
    assert.match(got.text, /"content":"three"/);
    assert.match(got.text, /data: \[DONE\]\n\n$/);
    assert.match(got.requestId ?? '', /^req_/, 'X-Request-Id is exposed');
    assert.equal(api.preflights.length, 1, 'browser sent a CORS preflight');
    assert.deepEqual(api.violations, []);
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser.close();
    await site.close();
    await fsp.rm(tmp, { recursive: true, force: true });
  }
});
