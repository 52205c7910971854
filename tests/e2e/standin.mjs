// Stand-in OpenAI API server for the end-to-end tests, started in-process.
//
// Does: speaks real HTTP/1.1 on 127.0.0.1 (random port) with CORS, Bearer-key
// auth, GET /v1/models, POST /v1/chat/completions (streamed SSE or JSON, with
// scriptable responses: stream, drop, error, malformed, hang, json) and
// POST /v1/embeddings (deterministic bigram-hash vectors, float or base64).
// Every chat/embeddings request body is validated against the official
// OpenAPI spec (with the Structured Outputs rules the API enforces beyond it);
// failures are recorded in `violations` (the request is still answered
// normally so the app flow continues; tests assert `violations` is empty).
// Error bodies mirror the real OpenAI shapes.
//
// It also plays the evaluation's parts. Judge requests (not streamed, with a
// `response_format.json_schema.name` of JUDGE_SCHEMAS) are answered from their
// own queue (`scriptJudge`), else by `judgeMode`: by default with a verdict
// computed from the request's data by word overlap (correctnessVerdict,
// faithfulnessClaims, pairwiseVerdict say how, so tests can predict scores),
// or with one of the unreadable replies of JUDGE_MODES. Streamed requests are
// answered by `answerFor` (e.g. answersByModel) when their queue is empty,
// with the usage of `usageFor` so tests can predict cost. `rateLimit` starts a
// 429 storm on demand; `count`, `judgeRequests` and `judgeData` say what came.
//
// Does not: generate meaningful answers (the default reply is an echo), judge
// meaning (the computed verdicts only count shared words), count tokens
// properly (usage numbers are fixed, or follow usageFor's formula),
// implement any other endpoint (those get an OpenAI-shaped 404), rate-limit
// on its own (only the storms a test asks for), or need the network.

import crypto from 'node:crypto';
import { loadValidator, DEFAULT_SPEC_PATH } from './openapi.mjs';
import { startServer, requestTarget, readJson, answerPreflight, sleep, hang, HANG_CAP_MS } from './server.mjs';

/** Models listed by GET /v1/models; requests for any other model get 404 model_not_found. */
export const MODELS = [
  { id: 'gpt-4o-mini', object: 'model', created: 1721172741, owned_by: 'system' },
  { id: 'gpt-4o', object: 'model', created: 1715367049, owned_by: 'system' },
  { id: 'gpt-4.1-mini', object: 'model', created: 1744318173, owned_by: 'system' },
  { id: 'text-embedding-3-small', object: 'model', created: 1705948997, owned_by: 'system' },
];

const MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * @typedef {{message: string, type: string, param: string|null, code: string|null}} OpenAIErrorDetail
 * @typedef {{error: OpenAIErrorDetail}} OpenAIErrorBody
 *
 * @typedef {{prompt_tokens?: number, completion_tokens?: number, total_tokens?: number}} UsageInput
 *
 * @typedef {{kind: 'stream', chunks: string[], delayMs?: number, usage?: UsageInput, finishReason?: string}} StreamResponse
 * @typedef {{kind: 'drop', chunks: string[], delayMs?: number}} DropResponse
 * @typedef {{kind: 'error', status: number, body: any, headers?: Record<string,string>}} ErrorResponse
 * @typedef {{kind: 'malformed', chunks: string[], delayMs?: number}} MalformedResponse
 * @typedef {{kind: 'hang', chunks: string[], delayMs?: number}} HangResponse
 * @typedef {{kind: 'json', content: string, usage?: UsageInput, finishReason?: string, delayMs?: number, refusal?: string}} JsonResponse
 * @typedef {StreamResponse|DropResponse|ErrorResponse|MalformedResponse|HangResponse|JsonResponse} ScriptedResponse
 * A queued entry may also be a function `(requestBody) => ScriptedResponse`.
 * @typedef {ScriptedResponse | ((body: any) => ScriptedResponse)} ScriptEntry
 *
 * What a request that passed auth, JSON parsing and the model check was, for counting: a streamed chat
 * request (a chat turn or an evaluation answer), a judge request (see {@link judgeSchema}), another plain chat
 * request with an image (a caption) or without one, or an embeddings request.
 * @typedef {'answer'|'judge'|'plan'|'caption'|'plain'|'embeddings'} CallKind
 * @typedef {{kind: CallKind, model: string, schema: string|null, data: any, status: number|null, body: any}} Call
 *   `schema` is the judge schema's name and `data` the judge request's user message parsed as JSON (null when
 *   it is not a JSON object, and for other kinds); `status` is the HTTP status answered (null when the
 *   connection was cut or held without one).
 * @typedef {{kind?: CallKind, model?: string, schema?: string, status?: number|null}} CallFilter
 *   Every field given must match; an empty filter matches every call.
 *
 * How judge requests are answered (see {@link JUDGE_MODES}), or a function whose string is the reply's
 * message content and whose object is sent as a scripted response (an error, say).
 * @typedef {'compute'|'malformed'|'hostile'|'two-objects'|'fenced'|'extra-field'|'refusal'|'truncated'} JudgeModeName
 * @typedef {JudgeModeName | ((body: any) => string | ScriptedResponse)} JudgeMode
 * A queued judge entry: a mode for one request, or a scripted response.
 * @typedef {JudgeMode | ScriptedResponse} JudgeEntry
 *
 * @typedef {{method: string, path: string, url: string, headers: import('node:http').IncomingHttpHeaders, body: any, at: number}} RecordedRequest
 * @typedef {{method: string, path: string, headers: import('node:http').IncomingHttpHeaders}} RecordedPreflight
 * @typedef {{path: string, errors: string[], body: any}} Violation
 *
 * @typedef {object} Standin
 * @property {string} origin        e.g. http://127.0.0.1:41234
 * @property {string} baseUrl       origin + '/v1' (what the user would type into the app)
 * @property {RecordedRequest[]} requests   every non-OPTIONS request, in arrival order
 * @property {RecordedPreflight[]} preflights every OPTIONS request
 * @property {Violation[]} violations       request bodies that failed spec validation
 * @property {(...responses: ScriptEntry[]) => void} script  queue responses for streamed POST /v1/chat/completions;
 *   one is consumed per streamed request that passes auth, JSON parsing, the model check and any rate-limit storm
 * @property {(...responses: ScriptEntry[]) => void} scriptPlain  the same for plain (not streamed) requests other
 *   than judge requests
 * @property {(...responses: ErrorResponse[]) => void} scriptEmbeddings  errors for the next /embeddings requests
 * @property {() => ScriptEntry[]} pending  the not-yet-consumed streamed queue (copy)
 * @property {number|null} embeddingSize  overrides the size of every embedding returned (null: as asked)
 * @property {JudgeMode} judgeMode  how judge requests are answered when the judge queue is empty ('compute')
 * @property {'first'|'second'|null} pairwiseBias  a computed pairwise verdict always names this position (null:
 *   by content)
 * @property {((body: any) => string|undefined) | null} answerFor  the answer to a streamed request when the
 *   streamed queue is empty (see {@link answersByModel}); undefined falls back to the echo
 * @property {(...entries: JudgeEntry[]) => void} scriptJudge  queue judge replies, one consumed per judge request
 *   before `judgeMode` is consulted
 * @property {() => JudgeEntry[]} pendingJudge  the not-yet-consumed judge queue (copy)
 * @property {(storm: {count: number, retryAfterSeconds?: number, kind?: CallKind|CallKind[]}) => void} rateLimit
 *   answer the next `count` chat requests (of those kinds; every chat kind by default) with 429 and
 *   Retry-After, consuming no queue; replaces any storm still under way
 * @property {(filter?: CallFilter) => number} count  how many calls match
 * @property {(filter?: CallFilter) => Call[]} judgeRequests  the judge calls that match, in arrival order
 * @property {(filter?: CallFilter) => any[]} judgeData  their data objects (parsed user messages)
 * @property {() => void} reset     clear requests, preflights, violations, calls, every queue and every setting
 *   above (arrays keep identity)
 * @property {() => Promise<void>} close  stop listening and cut every open connection
 */

// ---------------------------------------------------------------------------
// Error helpers
// ---------------------------------------------------------------------------

/**
 * @param {string} message @param {string} type @param {string|null} [param] @param {string|null} [code]
 * @returns {OpenAIErrorBody}
 */
export function errorBody(message, type = 'invalid_request_error', param = null, code = null) {
  return { error: { message, type, param, code } };
}

/** Constructors for common scripted error responses (pass to `standin.script(...)`). */
export const errors = {
  /**
   * 429 rate limit with Retry-After.
   * @param {number} [retryAfterSeconds] @param {string} [model] named in the message @returns {ErrorResponse}
   */
  rateLimit(retryAfterSeconds = 1, model = 'gpt-4o-mini') {
    return {
      kind: 'error',
      status: 429,
      headers: { 'Retry-After': String(retryAfterSeconds) },
      body: errorBody(
        `Rate limit reached for ${model} in organization org-standin on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in ${retryAfterSeconds}s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
        'requests',
        null,
        'rate_limit_exceeded',
      ),
    };
  },
  /** 429 out of credit (not retryable). @returns {ErrorResponse} */
  insufficientQuota() {
    return {
      kind: 'error',
      status: 429,
      body: errorBody(
        'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
        'insufficient_quota',
        null,
        'insufficient_quota',
      ),
    };
  },
  /** 5xx server error. @param {number} [status] @returns {ErrorResponse} */
  server(status = 500) {
    return {
      kind: 'error',
      status,
      body: errorBody(
        'The server had an error while processing your request. Sorry about that!',
        'server_error',
        null,
        null,
      ),
    };
  },
  /** 403 unsupported region. @returns {ErrorResponse} */
  forbidden() {
    return {
      kind: 'error',
      status: 403,
      body: errorBody(
        'Country, region, or territory not supported',
        'request_forbidden',
        null,
        'unsupported_country_region_territory',
      ),
    };
  },
  /** 400 context too long. @returns {ErrorResponse} */
  contextLength() {
    return {
      kind: 'error',
      status: 400,
      body: errorBody(
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens. Please reduce the length of the messages.",
        'invalid_request_error',
        'messages',
        'context_length_exceeded',
      ),
    };
  },
};

// ---------------------------------------------------------------------------
// Request inspection helpers
// ---------------------------------------------------------------------------

/**
 * Text of a message's content: the string itself, or its `text` parts joined with a space.
 * @param {any} content
 * @returns {string}
 */
function contentText(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .filter((p) => p && p.type === 'text' && typeof p.text === 'string')
      .map((p) => p.text)
      .join(' ');
  }
  return '';
}

/**
 * Text of the last `role: "user"` message (string content, or its text parts joined with a space).
 * @param {any} body a chat completions request body
 * @returns {string} '' when there is no user message
 */
export function lastUserText(body) {
  const msgs = Array.isArray(body?.messages) ? body.messages : [];
  for (let i = msgs.length - 1; i >= 0; i--) {
    if (msgs[i]?.role === 'user') return contentText(msgs[i].content);
  }
  return '';
}

/**
 * The default answer to a non-streaming request with an image: a caption that differs per image (a short
 * hash of its data URL), so tests can tell captions apart.
 * @param {any} body
 * @returns {string}
 */
export function captionFor(body) {
  const url = imageParts(body)[0]?.url ?? '';
  const hash = crypto.createHash('sha256').update(url).digest('hex').slice(0, 8);
  return `A test picture ${hash} with a white circle on a coloured gradient.`;
}

/**
 * All `image_url` objects ({url, detail?}) across all messages, in order.
 * @param {any} body a chat completions request body
 * @returns {{url: string, detail?: string}[]}
 */
export function imageParts(body) {
  const out = [];
  for (const m of Array.isArray(body?.messages) ? body.messages : []) {
    if (!Array.isArray(m?.content)) continue;
    for (const p of m.content) if (p && p.type === 'image_url' && p.image_url) out.push(p.image_url);
  }
  return out;
}

/**
 * The default answer text for a request.
 * @param {any} body
 * @returns {string}
 */
export function echoText(body) {
  return `You asked: ${lastUserText(body)}. I can see ${imageParts(body).length} image(s).`;
}

/**
 * Split text into about `n` pieces (on code-point boundaries).
 * @param {string} text @param {number} [n]
 * @returns {string[]}
 */
export function splitChunks(text, n = 8) {
  const cps = Array.from(text);
  if (cps.length === 0) return [''];
  const size = Math.ceil(cps.length / n);
  const out = [];
  for (let i = 0; i < cps.length; i += size) out.push(cps.slice(i, i + size).join(''));
  return out;
}

// ---------------------------------------------------------------------------
// Embeddings
// ---------------------------------------------------------------------------

/** FNV-1a 32-bit. @param {string} s */
function fnv1a(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Deterministic unit-length embedding: hashed character bigrams (lower-cased,
 * whitespace-collapsed, space-padded) into `dims` buckets with hashed signs,
 * L2-normalised. Similar texts share bigrams, so they get similar vectors.
 * @param {string} text @param {number} [dims]
 * @returns {Float32Array}
 */
export function embed(text, dims = 1536) {
  const v = new Float64Array(dims);
  const t = ` ${String(text).toLowerCase().replace(/\s+/g, ' ').trim()} `;
  const cps = Array.from(t);
  for (let i = 0; i + 1 < cps.length; i++) {
    const h = fnv1a(cps[i] + cps[i + 1]);
    v[h % dims] += h & 0x80000000 ? -1 : 1;
  }
  let sq = 0;
  for (let i = 0; i < dims; i++) sq += v[i] * v[i];
  const norm = Math.sqrt(sq);
  const out = new Float32Array(dims);
  if (norm === 0) {
    out[0] = 1;
    return out;
  }
  for (let i = 0; i < dims; i++) out[i] = v[i] / norm;
  return out;
}

/** @param {Float32Array} vec @returns {string} little-endian f32 bytes, base64 */
function toBase64(vec) {
  const buf = Buffer.alloc(vec.length * 4);
  for (let i = 0; i < vec.length; i++) buf.writeFloatLE(vec[i], i * 4);
  return buf.toString('base64');
}

/** @param {any} input @returns {string[]} */
function embeddingInputs(input) {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input)) return [];
  if (input.every((x) => typeof x === 'number')) return [input.join(' ')];
  return input.map((x) => (Array.isArray(x) ? x.join(' ') : String(x)));
}

// ---------------------------------------------------------------------------
// Evaluation answers
// ---------------------------------------------------------------------------

/**
 * The number of words in a text: its pieces between runs of whitespace (0 for a blank text).
 * @param {string} text
 * @returns {number}
 */
export function wordCount(text) {
  const t = String(text ?? '').trim();
  return t === '' ? 0 : t.split(/\s+/u).length;
}

/**
 * The usage the stand-in reports for a computed reply (an `answerFor` answer or a judge reply), so tests can
 * predict cost: `prompt_tokens` = 100 × the image parts across all messages + ⌈code points of the last user
 * message's text ÷ 4⌉; `completion_tokens` = {@link wordCount} of the reply (of the refusal, for a refusal);
 * `total_tokens` is their sum.
 * @param {any} body a chat completions request body @param {string} reply
 * @returns {{prompt_tokens: number, completion_tokens: number, total_tokens: number}}
 */
export function usageFor(body, reply) {
  const prompt = 100 * imageParts(body).length + Math.ceil(Array.from(lastUserText(body)).length / 4);
  const completion = wordCount(reply);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/**
 * An `answerFor` that gives canned answers per model: `table[model]` (else `table['*']`) maps question
 * substrings to answers, and the answer is that of the first key (in the object's order) found in the last
 * user message's text, compared without case. No table or no key found: undefined (the echo answers).
 * @example standin.answerFor = answersByModel({ 'gpt-4o': { receipt: 'The total is $9.75.' } });
 * @param {Record<string, Record<string, string>>} table
 * @returns {(body: any) => string | undefined}
 */
export function answersByModel(table) {
  return (body) => {
    const question = lastUserText(body).toLowerCase();
    for (const answers of [table[body?.model], table['*']]) {
      if (!answers) continue;
      for (const [key, answer] of Object.entries(answers)) {
        if (question.includes(key.toLowerCase())) return answer;
      }
    }
    return undefined;
  };
}

// ---------------------------------------------------------------------------
// Judge
// ---------------------------------------------------------------------------

/** The judge's schema names (`response_format.json_schema.name`), as src/core/eval/judge.rs sends them. */
export const JUDGE_SCHEMAS = Object.freeze({
  correctness: 'correctness_verdict',
  faithfulness: 'faithfulness_claims',
  pairwise: 'pairwise_verdict',
});

/**
 * How judge requests can be answered. 'compute' gives the verdict {@link computeVerdict} computes; every other
 * mode is a reply the app's strict parser must refuse (so, after its attempts, record as not judged):
 * 'malformed' is the first half of the computed JSON; 'hostile' is prose claiming the best verdict followed by
 * a JSON object of it (score 1.0, every claim supported, or "first"); 'two-objects' is the computed object
 * followed by that best one; 'fenced' is the computed object in a ```json fence; 'extra-field' is the computed
 * object with a `confidence` key; 'refusal' is the API's refusal (content null); 'truncated' is the computed
 * JSON cut in half with finish_reason "length".
 */
export const JUDGE_MODES = Object.freeze([
  'compute',
  'malformed',
  'hostile',
  'two-objects',
  'fenced',
  'extra-field',
  'refusal',
  'truncated',
]);

/**
 * The judge schema a request asks for: its `response_format.json_schema.name` when that is one of
 * {@link JUDGE_SCHEMAS} and the request is not streamed; otherwise null (not a judge request).
 * @param {any} body
 * @returns {string|null}
 */
export function judgeSchema(body) {
  if (body?.stream === true || body?.response_format?.type !== 'json_schema') return null;
  const name = body.response_format.json_schema?.name;
  return Object.values(JUDGE_SCHEMAS).includes(name) ? name : null;
}

/** The name of the schema Boda's web-search planner asks for. */
export const PLAN_SCHEMA = 'web_search_plan';

/** Whether a request is a web-search planning call (a structured-output request for a query plan). */
export function isPlanRequest(body) {
  return body?.stream !== true && body?.response_format?.json_schema?.name === PLAN_SCHEMA;
}

/**
 * The plan the stand-in computes: one query, the person's message itself (cut to 120 characters), and a
 * fixed sentence. The message is read from the JSON data the planner sends in its first user text part.
 * @param {any} body
 */
export function computedPlan(body) {
  const data = judgeDataOf(body) ?? {};
  const message = typeof data.message === 'string' ? data.message : 'search';
  return { queries: [message.slice(0, 120)], look_for: 'What the results say about it.' };
}

/**
 * A judge request's data: its last user message parsed as JSON, when that is an object; otherwise null.
 * @param {any} body
 * @returns {any}
 */
export function judgeDataOf(body) {
  try {
    const data = JSON.parse(lastUserText(body));
    return data && typeof data === 'object' && !Array.isArray(data) ? data : null;
  } catch {
    return null;
  }
}

/**
 * The word tokens the computed judge compares: the text in NFC, lowercased, split into runs of Unicode
 * letters, marks and digits (so "둘 다 동물이에요" is 둘, 다, 동물이에요 and "$9.75" is 9, 75), each kept once.
 * @param {unknown} text
 * @returns {string[]}
 */
export function tokens(text) {
  const found = String(text ?? '')
    .normalize('NFC')
    .toLowerCase()
    .match(/[\p{L}\p{M}\p{N}]+/gu);
  return [...new Set(found ?? [])];
}

/**
 * How many of `basis`'s tokens occur among `text`'s (whole tokens, not substrings).
 * @param {unknown} basis @param {unknown} text
 * @returns {{found: number, total: number}}
 */
export function overlap(basis, text) {
  const have = new Set(tokens(text));
  const want = tokens(basis);
  return { found: want.filter((t) => have.has(t)).length, total: want.length };
}

/**
 * `found / total` in tenths, rounded half up, with integers (0 when `total` is 0).
 * @param {{found: number, total: number}} o
 */
function tenthsOf({ found, total }) {
  return total === 0 ? 0 : Math.floor((20 * found + total) / (2 * total));
}

/** A score in tenths as the rationales write it: "0.7", "1.0". @param {number} tenths */
function scoreText(tenths) {
  return (tenths / 10).toFixed(1);
}

/**
 * The computed correctness verdict for a request's data ({question, reference, reference_mode, answer}): the
 * share of the reference's {@link tokens} that occur in the answer's, in tenths rounded half up. With
 * reference_mode "any" the reference is split on " or ", " 또는 " and "," (any case, any spaces) and the best
 * alternative counts. The rationale is one fixed sentence with the counts and the score.
 * @param {any} data
 * @returns {{score: number, rationale: string}}
 */
export function correctnessVerdict(data) {
  const reference = String(data?.reference ?? '');
  const answer = String(data?.answer ?? '');
  const alternatives = data?.reference_mode === 'any' ? reference.split(/\s+or\s+|\s+또는\s+|,/iu) : [reference];
  let best = { found: 0, total: 0 };
  let bestTenths = -1;
  for (const alternative of alternatives) {
    const o = overlap(alternative, answer);
    if (o.total === 0) continue;
    if (tenthsOf(o) > bestTenths) [best, bestTenths] = [o, tenthsOf(o)];
  }
  const tenths = Math.max(0, bestTenths);
  return {
    score: tenths / 10,
    rationale:
      `The stand-in judge found ${best.found} of ${best.total} reference words in the answer, ` +
      `so the score is ${scoreText(tenths)}.`,
  };
}

/**
 * The sentences of a text: split after ".", "!", "?", "。", "！" or "？" followed by whitespace, and at line
 * breaks; trimmed; those without a token left out. "$9.75" stays whole.
 * @param {unknown} text
 * @returns {string[]}
 */
export function sentences(text) {
  return String(text ?? '')
    .split(/(?<=[.!?。！？])\s+|\n+/u)
    .map((x) => x.trim())
    .filter((x) => tokens(x).length > 0);
}

/**
 * The computed faithfulness claims for a request's data ({question, answer, context}): one claim per
 * {@link sentences sentence} of the answer, supported when at least half of its {@link tokens} occur among
 * the tokens of the context (its strings taken together).
 * @param {any} data
 * @returns {{claims: {claim: string, supported: boolean}[]}}
 */
export function faithfulnessClaims(data) {
  const context = Array.isArray(data?.context) ? data.context.map(String).join('\n') : String(data?.context ?? '');
  return {
    claims: sentences(data?.answer).map((claim) => {
      const { found, total } = overlap(claim, context);
      return { claim, supported: 2 * found >= total };
    }),
  };
}

/**
 * The computed pairwise verdict for a request's data ({question, reference?, first, second}): the answer with
 * more of the reference's {@link tokens} (of the question's, when there is no reference) wins; "tie" when
 * they have as many. With `bias`, the verdict names that position whatever the answers say (position bias,
 * which the app's two orders turn into a tie).
 * @param {any} data @param {'first'|'second'|null} [bias]
 * @returns {{winner: 'first'|'second'|'tie', rationale: string}}
 */
export function pairwiseVerdict(data, bias = null) {
  if (bias) return { winner: bias, rationale: `The stand-in judge prefers the ${bias} answer for its position.` };
  const hasReference = typeof data?.reference === 'string' && tokens(data.reference).length > 0;
  const basis = hasReference ? data.reference : data?.question;
  const a = overlap(basis, data?.first);
  const b = overlap(basis, data?.second);
  const winner = a.found > b.found ? 'first' : b.found > a.found ? 'second' : 'tie';
  const of = hasReference ? 'reference' : 'question';
  return {
    winner,
    rationale:
      `The stand-in judge found ${a.found} and ${b.found} of ${a.total} ${of} words in the first and second ` +
      `answers, so the verdict is ${winner}.`,
  };
}

/**
 * The computed verdict for a judge schema and its data (see the three functions above).
 * @param {string} schema @param {any} data @param {'first'|'second'|null} [bias]
 * @returns {object}
 */
export function computeVerdict(schema, data, bias = null) {
  if (schema === JUDGE_SCHEMAS.faithfulness) return faithfulnessClaims(data);
  if (schema === JUDGE_SCHEMAS.pairwise) return pairwiseVerdict(data, bias);
  return correctnessVerdict(data);
}

/** The best verdict a hostile reply smuggles, as JSON text, and the prose that claims it. @param {string} schema */
function smuggled(schema) {
  if (schema === JUDGE_SCHEMAS.faithfulness) {
    return ['Every claim is supported.', '{"claims":[{"claim":"Everything in the answer is true.","supported":true}]}'];
  }
  if (schema === JUDGE_SCHEMAS.pairwise) {
    return ['The first answer wins.', '{"winner":"first","rationale":"The first answer is perfect."}'];
  }
  return ['The answer is right: score 1.0.', '{"score":1.0,"rationale":"The answer is perfect."}'];
}

/**
 * The reply to a judge request in a named mode (see {@link JUDGE_MODES}), with {@link usageFor} usage.
 * @param {JudgeModeName} mode @param {any} body @param {'first'|'second'|null} bias
 * @returns {JsonResponse}
 */
export function judgeReply(mode, body, bias = null) {
  const schema = judgeSchema(body) ?? JUDGE_SCHEMAS.correctness;
  const verdict = computeVerdict(schema, judgeDataOf(body), bias);
  const computed = JSON.stringify(verdict);
  const half = computed.slice(0, Math.floor(computed.length / 2));
  const [claim, best] = smuggled(schema);
  /** @param {string} content @param {Partial<JsonResponse>} [extra] @returns {JsonResponse} */
  const json = (content, extra = {}) => ({ kind: 'json', content, usage: usageFor(body, content), ...extra });
  switch (mode) {
    case 'compute':
      return json(computed);
    case 'malformed':
      return json(half);
    case 'hostile':
      return json(`${claim} ${best}`);
    case 'two-objects':
      return json(`${computed}\n${best}`);
    case 'fenced':
      return json(`\`\`\`json\n${computed}\n\`\`\``);
    case 'extra-field':
      return json(JSON.stringify({ ...verdict, confidence: 0.9 }));
    case 'refusal': {
      const refusal = "I'm sorry, I can't help with grading this.";
      return json('', { refusal, usage: usageFor(body, refusal) });
    }
    case 'truncated':
      return json(half, { finishReason: 'length' });
    default:
      throw new TypeError(`unknown judge mode ${JSON.stringify(mode)}`);
  }
}

/** @param {unknown} mode @returns {asserts mode is JudgeMode} */
function checkJudgeMode(mode) {
  if (typeof mode === 'function' || JUDGE_MODES.includes(/** @type {any} */ (mode))) return;
  throw new TypeError(`judge mode must be one of ${JUDGE_MODES.join(', ')} or a function, not ${JSON.stringify(mode)}`);
}

// ---------------------------------------------------------------------------
// Misc
// ---------------------------------------------------------------------------

/**
 * Mask a key as OpenAI does: a short prefix, stars, and (for long keys) the last 4.
 * Never returns the full key.
 * @param {string} key
 */
export function maskKey(key) {
  const keep = Math.min(6, Math.floor(key.length / 2));
  const tail = key.length >= 20 ? key.slice(-4) : '';
  return key.slice(0, keep) + '*'.repeat(Math.max(4, key.length - keep - tail.length)) + tail;
}

/** @param {UsageInput|undefined} u @param {number} completionDefault */
function usageObject(u, completionDefault) {
  const prompt = u?.prompt_tokens ?? 100;
  const completion = u?.completion_tokens ?? completionDefault;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: u?.total_tokens ?? prompt + completion,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'Retry-After, X-Request-Id',
};

// ---------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------

/**
 * Start the stand-in server.
 * @param {{specPath?: string}} [opts]
 * @returns {Promise<Standin>}
 */
export async function startStandin({ specPath = DEFAULT_SPEC_PATH } = {}) {
  const validator = await loadValidator(specPath);

  /** @type {RecordedRequest[]} */ const requests = [];
  /**
   * @type {{embeddingSize: number|null, judgeMode: JudgeMode, pairwiseBias: 'first'|'second'|null,
   *   answerFor: ((body: any) => string|undefined) | null,
   *   storm: {left: number, retryAfterSeconds: number, kinds: CallKind[]} | null}}
   */
  const control = { embeddingSize: null, judgeMode: 'compute', pairwiseBias: null, answerFor: null, storm: null };
  /** Every request that passed auth, JSON parsing and the model check, classified. @type {Call[]} */
  const calls = [];
  /** @type {RecordedPreflight[]} */ const preflights = [];
  /** @type {Violation[]} */ const violations = [];
  /** @type {ScriptEntry[]} */ const queue = [];
  /** @type {ScriptEntry[]} */ const plainQueue = [];
  /** Replies to web-search planning calls, used before the computed plan. @type {ScriptEntry[]} */
  const planQueue = [];
  /** Scripted answers for /embeddings (errors only), used before computed vectors. @type {ErrorResponse[]} */
  const embeddingQueue = [];
  /** Judge replies, used before `control.judgeMode`. @type {JudgeEntry[]} */
  const judgeQueue = [];

  /**
   * @param {import('node:http').ServerResponse} res @param {number} status @param {any} body
   * @param {Record<string,string>} [headers]
   */
  function send(res, status, body, headers = {}) {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      ...CORS,
      'X-Request-Id': `req_${crypto.randomBytes(12).toString('hex')}`,
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  }

  /** @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res */
  async function handle(req, res) {
    const { method, url, pathname } = requestTarget(req);

    if (method === 'OPTIONS') {
      preflights.push({ method, path: pathname, headers: req.headers });
      const allowHeaders = req.headers['access-control-request-headers'] || 'authorization, content-type';
      return answerPreflight(res, CORS, { allowHeaders, maxAgeSeconds: 600 });
    }

    const { body, badJson } = await readJson(req, MAX_BODY_BYTES);
    requests.push({ method, path: pathname, url: url.pathname + url.search, headers: req.headers, body, at: Date.now() });

    if (!pathname.startsWith('/v1/') && pathname !== '/v1') {
      return send(res, 404, errorBody(`Invalid URL (${method} ${url.pathname})`));
    }

    // Auth first, as the real API does.
    const auth = req.headers.authorization;
    const m = typeof auth === 'string' ? /^Bearer\s+(.+)$/i.exec(auth.trim()) : null;
    if (!m) {
      return send(
        res,
        401,
        errorBody(
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username. You can obtain an API key from https://platform.openai.com/account/api-keys.",
          'invalid_request_error',
          null,
          null,
        ),
      );
    }
    const key = m[1].trim();
    if (!key.startsWith('sk-test')) {
      return send(
        res,
        401,
        errorBody(
          `Incorrect API key provided: ${maskKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          'invalid_request_error',
          null,
          'invalid_api_key',
        ),
      );
    }

    if (method === 'GET' && pathname === '/v1/models') {
      return send(res, 200, { object: 'list', data: MODELS });
    }
    const modelMatch = /^\/v1\/models\/(.+)$/.exec(pathname);
    if (method === 'GET' && modelMatch) {
      const id = decodeURIComponent(modelMatch[1]);
      const model = MODELS.find((x) => x.id === id);
      if (model) return send(res, 200, model);
      return send(res, 404, modelNotFound(id));
    }

    const isChat = method === 'POST' && pathname === '/v1/chat/completions';
    const isEmb = method === 'POST' && pathname === '/v1/embeddings';
    if (!isChat && !isEmb) {
      return send(res, 404, errorBody(`Invalid URL (${method} ${url.pathname})`));
    }

    if (badJson || body === null || typeof body !== 'object' || Array.isArray(body)) {
      if (!badJson) {
        violations.push({ path: pathname, errors: ['(root) body is not a JSON object'], body });
      }
      return send(
        res,
        400,
        errorBody(
          "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
        ),
      );
    }

    const errs = isChat ? validator.validateChat(body) : validator.validateEmbedding(body);
    if (errs) violations.push({ path: pathname, errors: errs, body });

    if (typeof body.model !== 'string' || body.model === '') {
      return send(res, 400, errorBody('you must provide a model parameter'));
    }
    if (!MODELS.some((x) => x.id === body.model)) {
      return send(res, 404, modelNotFound(body.model));
    }

    const schema = isEmb ? null : judgeSchema(body);
    /** @type {CallKind} */
    const kind = isEmb
      ? 'embeddings'
      : body.stream === true
        ? 'answer'
        : schema
          ? 'judge'
          : isPlanRequest(body)
            ? 'plan'
            : imageParts(body).length > 0
            ? 'caption'
            : 'plain';
    /** @type {Call} */
    const call = { kind, model: body.model, schema, data: schema ? judgeDataOf(body) : null, status: null, body };
    calls.push(call);

    // A rate-limit storm answers before any queue is consumed, so a retried request gets what was scripted.
    const storm = control.storm;
    if (storm && storm.left > 0 && storm.kinds.includes(kind)) {
      storm.left -= 1;
      if (storm.left === 0) control.storm = null;
      const limited = errors.rateLimit(storm.retryAfterSeconds, body.model);
      call.status = limited.status;
      return send(res, limited.status, limited.body, limited.headers);
    }

    if (isEmb) return embeddings(res, body, call);
    return chat(res, body, call);
  }

  /**
   * The reply to a judge request: the next queued judge entry, else `control.judgeMode`.
   * @param {any} body
   * @returns {ScriptedResponse}
   */
  function judgeResponse(body) {
    const entry = judgeQueue.length > 0 ? judgeQueue.shift() : control.judgeMode;
    if (entry && typeof entry === 'object') return entry;
    if (typeof entry === 'function') {
      const out = entry(body);
      return typeof out === 'string' ? { kind: 'json', content: out, usage: usageFor(body, out) } : out;
    }
    return judgeReply(/** @type {JudgeModeName} */ (entry), body, control.pairwiseBias);
  }

  /** Whether a call matches a filter. @param {Call} call @param {CallFilter} [filter] */
  function matches(call, filter = {}) {
    return (
      (filter.kind === undefined || call.kind === filter.kind) &&
      (filter.model === undefined || call.model === filter.model) &&
      (filter.schema === undefined || call.schema === filter.schema) &&
      (filter.status === undefined || call.status === filter.status)
    );
  }

  /** @param {string} id */
  function modelNotFound(id) {
    return errorBody(
      `The model \`${id}\` does not exist or you do not have access to it.`,
      'invalid_request_error',
      null,
      'model_not_found',
    );
  }

  /** @param {import('node:http').ServerResponse} res @param {any} body @param {Call} call */
  function embeddings(res, body, call) {
    const scripted = embeddingQueue.shift();
    call.status = scripted ? scripted.status : 200;
    if (scripted) return send(res, scripted.status, scripted.body, scripted.headers ?? {});
    const inputs = embeddingInputs(body.input);
    const asked = Number.isInteger(body.dimensions) && body.dimensions > 0 ? body.dimensions : 1536;
    // A server may change what stands behind a model name (a test sets `embeddingSize`).
    const dims = control.embeddingSize ?? asked;
    const b64 = body.encoding_format === 'base64';
    const tokens = inputs.reduce((a, s) => a + Math.max(1, Math.ceil(s.length / 4)), 0);
    return send(res, 200, {
      object: 'list',
      data: inputs.map((text, index) => {
        const vec = embed(text, dims);
        return { object: 'embedding', index, embedding: b64 ? toBase64(vec) : Array.from(vec) };
      }),
      model: body.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }

  /**
   * @param {import('node:http').ServerResponse} res
   * @param {any} body
   * @param {Call} call
   */
  async function chat(res, body, call) {
    const streamReq = body.stream === true;
    /** @type {ScriptedResponse} */
    let r;
    // Streaming requests (chat turns) and plain ones (e.g. image captions) have separate script queues, so
    // background captioning never takes an answer scripted for a turn; judge requests have their own too.
    const next =
      call.kind === 'judge' ? undefined : call.kind === 'plan' ? planQueue.shift() : streamReq ? queue.shift() : plainQueue.shift();
    const answer = next === undefined && streamReq && control.answerFor ? control.answerFor(body) : undefined;
    if (call.kind === 'judge') {
      r = judgeResponse(body);
    } else if (call.kind === 'plan' && next === undefined) {
      const plan = JSON.stringify(computedPlan(body));
      r = { kind: 'json', content: plan, usage: usageFor(body, plan) };
    } else if (next === undefined && !streamReq && imageParts(body).length > 0) {
      r = { kind: 'json', content: captionFor(body) };
    } else if (typeof answer === 'string') {
      r = { kind: 'stream', chunks: splitChunks(answer, 8), delayMs: 5, usage: usageFor(body, answer) };
    } else if (next === undefined) {
      const text = echoText(body);
      r = streamReq ? { kind: 'stream', chunks: splitChunks(text, 8), delayMs: 10 } : { kind: 'json', content: text };
    } else {
      r = typeof next === 'function' ? next(body) : next;
    }
    const noReply = !streamReq && (r.kind === 'drop' || r.kind === 'hang');
    call.status = r.kind === 'error' ? r.status : noReply ? null : 200;

    // Abort when the client goes away or the server shuts down.
    const signal = srv.gone(res);

    const id = `chatcmpl-${crypto.randomBytes(12).toString('base64url')}`;
    const created = Math.floor(Date.now() / 1000);
    const includeUsage = streamReq && body.stream_options?.include_usage === true;

    if (r.kind === 'error') return send(res, r.status, r.body, r.headers ?? {});

    if (r.kind === 'json' || !streamReq) {
      // Non-streaming request (or a scripted plain-JSON answer).
      if (!streamReq && r.kind === 'drop') return void res.destroy();
      if (!streamReq && r.kind === 'hang') return hang(res, signal);
      if (!streamReq && r.kind === 'malformed') {
        res.writeHead(200, { ...CORS, 'Content-Type': 'application/json' });
        return void res.end('{this is not json');
      }
      if (r.kind === 'json' && r.delayMs) {
        await sleep(r.delayMs, signal);
        if (res.destroyed) return;
      }
      const refusal = r.kind === 'json' ? r.refusal ?? null : null;
      const content = refusal !== null ? null : r.kind === 'json' ? r.content : r.chunks.join('');
      const usageIn = r.kind === 'json' || r.kind === 'stream' ? r.usage : undefined;
      const finish = r.kind === 'json' || r.kind === 'stream' ? r.finishReason : undefined;
      return send(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model: body.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content, refusal, annotations: [] },
            logprobs: null,
            finish_reason: finish ?? 'stop',
          },
        ],
        usage: usageObject(usageIn, Math.max(1, Math.ceil((content ?? refusal).length / 4))),
        service_tier: 'default',
        system_fingerprint: 'fp_standin',
      });
    }

    res.writeHead(200, {
      ...CORS,
      'X-Request-Id': `req_${crypto.randomBytes(12).toString('hex')}`,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
    });
    res.flushHeaders();

    /** @param {any} payload */
    const chunk = (payload) =>
      JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model: body.model,
        service_tier: 'default',
        system_fingerprint: 'fp_standin',
        ...payload,
        ...(includeUsage && !('usage' in payload) ? { usage: null } : {}),
      });
    /** @param {string} data @returns {boolean} false once the client is gone */
    const write = (data) => {
      if (signal.aborted || res.destroyed || res.writableEnded) return false;
      res.write(`data: ${data}\n\n`);
      return true;
    };
    const delay = r.delayMs ?? 5;
    const choice = (/** @type {any} */ delta, /** @type {string|null} */ finish) => ({
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });

    if (!write(chunk(choice({ role: 'assistant', content: '', refusal: null }, null)))) return;
    for (const piece of r.chunks ?? []) {
      await sleep(delay, signal);
      if (!write(chunk(choice({ content: piece }, null)))) return;
    }
    await sleep(delay, signal);
    if (signal.aborted || res.destroyed) return;

    switch (r.kind) {
      case 'stream': {
        if (!write(chunk(choice({}, r.finishReason ?? 'stop')))) return;
        if (includeUsage) {
          if (!write(chunk({ choices: [], usage: usageObject(r.usage, r.chunks.length) }))) return;
        }
        if (!write('[DONE]')) return;
        res.end();
        return;
      }
      case 'drop':
        // Let every chunk written so far leave first: destroy() discards writes still queued in Node, and the
        // point of this case is a cut *after* the partial answer arrived.
        await new Promise((resolve) => (res.writableNeedDrain ? res.once('drain', resolve) : res.write('', resolve)));
        await sleep(50, signal);
        res.destroy();
        return;
      case 'malformed':
        if (!write('{this is not json')) return;
        if (!write('[DONE]')) return;
        res.end();
        return;
      case 'hang':
        await sleep(HANG_CAP_MS, signal);
        if (!res.destroyed && !res.writableEnded) res.end();
        return;
      default:
        res.destroy(new Error(`unknown scripted kind ${/** @type {any} */ (r).kind}`));
    }
  }

  const srv = await startServer({
    handle,
    onError: (res, message) => send(res, 500, errorBody(message, 'server_error')),
  });
  const origin = srv.origin;

  return {
    origin,
    baseUrl: `${origin}/v1`,
    requests,
    preflights,
    violations,
    script: (...responses) => void queue.push(...responses),
    scriptPlain: (...responses) => void plainQueue.push(...responses),
    /** Replies for the next planning calls (e.g. {kind: 'json', content: 'not a plan'}). */
    scriptPlan: (...responses) => void planQueue.push(...responses),
    /** The planning calls received. */
    planRequests: () => calls.filter((c) => c.kind === 'plan').map((c) => c.body),
    /** Errors for the next /embeddings requests, one each. @param {...ErrorResponse} responses */
    scriptEmbeddings: (...responses) => void embeddingQueue.push(...responses),
    pending: () => [...queue],
    /** Overrides the size of every embedding returned (null: as asked). */
    get embeddingSize() {
      return control.embeddingSize;
    },
    set embeddingSize(n) {
      control.embeddingSize = n;
    },
    get judgeMode() {
      return control.judgeMode;
    },
    set judgeMode(mode) {
      checkJudgeMode(mode);
      control.judgeMode = mode;
    },
    get pairwiseBias() {
      return control.pairwiseBias;
    },
    set pairwiseBias(bias) {
      if (bias !== null && bias !== 'first' && bias !== 'second') {
        throw new TypeError(`pairwiseBias must be 'first', 'second' or null, not ${JSON.stringify(bias)}`);
      }
      control.pairwiseBias = bias;
    },
    get answerFor() {
      return control.answerFor;
    },
    set answerFor(fn) {
      if (fn !== null && typeof fn !== 'function') throw new TypeError('answerFor must be a function or null');
      control.answerFor = fn;
    },
    scriptJudge(...entries) {
      for (const e of entries) if (!e || typeof e !== 'object') checkJudgeMode(e);
      judgeQueue.push(...entries);
    },
    pendingJudge: () => [...judgeQueue],
    rateLimit({ count, retryAfterSeconds = 1, kind = ['answer', 'judge', 'caption', 'plain'] }) {
      if (!Number.isInteger(count) || count < 0) throw new TypeError('rateLimit count must be a whole number');
      const kinds = Array.isArray(kind) ? kind : [kind];
      control.storm = count > 0 ? { left: count, retryAfterSeconds, kinds } : null;
    },
    count: (filter) => calls.filter((c) => matches(c, filter)).length,
    judgeRequests: (filter) => calls.filter((c) => c.kind === 'judge' && matches(c, filter)),
    judgeData: (filter) => calls.filter((c) => c.kind === 'judge' && matches(c, filter)).map((c) => c.data),
    reset() {
      control.embeddingSize = null;
      control.judgeMode = 'compute';
      control.pairwiseBias = null;
      control.answerFor = null;
      control.storm = null;
      calls.length = 0;
      judgeQueue.length = 0;
      requests.length = 0;
      preflights.length = 0;
      violations.length = 0;
      queue.length = 0;
      plainQueue.length = 0;
      planQueue.length = 0;
      embeddingQueue.length = 0;
    },
    close: srv.close,
  };
}
