// OpenAPI request validator for the end-to-end tests.
//
// Does: loads the official OpenAI OpenAPI 3.1 spec (YAML), converts it to
// JSON once and caches that JSON under <repo>/target/e2e-cache/ (keyed by the
// spec file's size + mtime), normalises the few OpenAPI-isms Ajv does not
// understand (`nullable`, `$recursiveRef`/`$recursiveAnchor`), and compiles
// validators for CreateChatCompletionRequest and CreateEmbeddingRequest with
// Ajv (JSON Schema 2020-12 dialect).
//
// Does not: validate responses, check `format` (validateFormats is off, so
// e.g. `format: uri` on image URLs is not enforced), interpret
// `discriminator` (it is ignored; the `oneOf` it decorates is what validates),
// or touch the network. Two deliberate extras over the bare schema, both
// things the real API rejects with a 400 although the schema does not say so:
// unknown top-level chat parameters are reported, and so is a
// `response_format` of type `json_schema` that breaks the rules the spec only
// describes in prose (a name of 1 to 64 letters, digits, `_` or `-`) or, with
// `strict: true`, the Structured Outputs subset's core rules (the root is an
// object without `anyOf`; every object sets `additionalProperties: false` and
// lists all its properties as required). Keywords of that subset beyond those
// rules (which ones a model supports) are not checked.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import Ajv2020Module from 'ajv/dist/2020.js';

/** Ajv ships CommonJS; depending on interop the class is the default export or `.default` of it. */
const Ajv2020 = /** @type {any} */ (Ajv2020Module).default ?? Ajv2020Module;

/** Repository root: two levels up from tests/e2e. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the YAML→JSON conversion is cached. */
export const CACHE_DIR = path.join(REPO_ROOT, 'target', 'e2e-cache');

/** Default location of the spec (overridable with OPENAI_SPEC_PATH). */
export const DEFAULT_SPEC_PATH =
  process.env.OPENAI_SPEC_PATH || '/work/shared/specs/openai-openapi.yaml';

const DOC_ID = 'https://standin.invalid/openai-openapi.json';

/**
 * @typedef {object} Validator
 * @property {(body: unknown) => (string[] | null)} validateChat
 *   Validates a POST /v1/chat/completions body. `null` when valid, otherwise readable errors.
 * @property {(body: unknown) => (string[] | null)} validateEmbedding
 *   Validates a POST /v1/embeddings body. `null` when valid, otherwise readable errors.
 */

/** @type {Map<string, Promise<Validator>>} one compiled validator per spec path per process */
const memo = new Map();

/**
 * Load (and memoise) a validator for the given spec.
 * The first run parses the YAML (a few seconds); later runs read the cached JSON.
 * @param {string} [specPath]
 * @returns {Promise<Validator>}
 */
export function loadValidator(specPath = DEFAULT_SPEC_PATH) {
  const key = path.resolve(specPath);
  let p = memo.get(key);
  if (!p) {
    p = build(key);
    memo.set(key, p);
    p.catch(() => memo.delete(key));
  }
  return p;
}

/**
 * @param {string} specPath absolute
 * @returns {Promise<Validator>}
 */
async function build(specPath) {
  const doc = await loadSpecJson(specPath);
  normaliseForAjv(doc);
  doc.$id = DOC_ID;

  const ajv = new Ajv2020({
    strict: false,
    allErrors: true,
    validateFormats: false,
    // The OpenAPI document as a whole is not a JSON Schema; do not run it
    // through the meta-schema (unknown top-level keys are fine, but this
    // avoids needless work on a 3 MB document).
    validateSchema: false,
    // Do not let Ajv try to interpret OpenAPI's `discriminator` — it has
    // stricter structural requirements than this spec meets; the oneOf/anyOf
    // it annotates already does the validating.
    discriminator: false,
  });
  ajv.addSchema(doc);

  // The real API rejects unknown top-level parameters ("Unrecognized request
  // argument supplied: x", HTTP 400) although the schema's allOf does not say
  // so; `unevaluatedProperties: false` next to the $ref mirrors that.
  const chat = ajv.compile({
    $ref: `${DOC_ID}#/components/schemas/CreateChatCompletionRequest`,
    unevaluatedProperties: false,
  });
  const emb = ajv.compile({ $ref: `${DOC_ID}#/components/schemas/CreateEmbeddingRequest` });

  return {
    validateChat: (body) => {
      const errs = [...(chat(body) ? [] : formatErrors(chat.errors)), ...structuredOutputErrors(body)];
      return errs.length > 0 ? errs : null;
    },
    validateEmbedding: (body) => (emb(body) ? null : formatErrors(emb.errors)),
  };
}

/** The name rule of `json_schema.name`, which the spec gives only in its description. */
const SCHEMA_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * What the real API rejects in a `json_schema` response format beyond the spec's schema: a name outside
 * {@link SCHEMA_NAME} and, in strict mode, a schema that breaks the Structured Outputs core rules (see the
 * header). Other response formats, and bodies without one, have nothing to report here.
 * @param {any} body a chat completions request body
 * @returns {string[]}
 */
export function structuredOutputErrors(body) {
  const rf = body?.response_format;
  if (!rf || typeof rf !== 'object' || rf.type !== 'json_schema') return [];
  const js = rf.json_schema;
  if (!js || typeof js !== 'object') return [];
  const out = [];
  const at = '/response_format/json_schema';
  if (typeof js.name === 'string' && !SCHEMA_NAME.test(js.name)) {
    out.push(`${at}/name must be 1 to 64 letters, digits, '_' or '-' [structured outputs]`);
  }
  if (js.strict !== true) return out;
  const root = js.schema;
  if (!root || typeof root !== 'object' || Array.isArray(root)) {
    out.push(`${at}/schema must be a schema object in strict mode [structured outputs]`);
    return out;
  }
  if (root.type !== 'object' || 'anyOf' in root) {
    out.push(`${at}/schema must be of type "object" without anyOf at the root [structured outputs]`);
  }
  /** @param {any} node @param {string} ptr */
  function walk(node, ptr) {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return;
    const types = Array.isArray(node.type) ? node.type : [node.type];
    if (types.includes('object') || (node.properties && typeof node.properties === 'object')) {
      if (node.additionalProperties !== false) {
        out.push(`${ptr} must set additionalProperties to false [structured outputs]`);
      }
      const names = Object.keys(node.properties ?? {});
      const required = Array.isArray(node.required) ? node.required : [];
      const missing = names.filter((n) => !required.includes(n));
      if (missing.length > 0) {
        out.push(`${ptr} must list every property as required (missing: ${missing.join(', ')}) [structured outputs]`);
      }
      for (const n of names) walk(node.properties[n], `${ptr}/properties/${escapePtr(n)}`);
    }
    if (node.items) walk(node.items, `${ptr}/items`);
    for (const k of ['anyOf', 'allOf', 'oneOf']) {
      if (!Array.isArray(node[k])) continue;
      for (let i = 0; i < node[k].length; i++) walk(node[k][i], `${ptr}/${k}/${i}`);
    }
    for (const k of ['$defs', 'definitions']) {
      if (node[k] && typeof node[k] === 'object') {
        for (const [n, s] of Object.entries(node[k])) walk(s, `${ptr}/${k}/${escapePtr(n)}`);
      }
    }
  }
  walk(root, `${at}/schema`);
  return out;
}

/**
 * Read the spec as JSON, converting from YAML once and caching the result.
 * Cache key: spec basename + size + mtime. Writes are atomic (tmp + rename),
 * so concurrent test processes cannot see a half-written cache file.
 * @param {string} specPath
 * @returns {Promise<any>}
 */
async function loadSpecJson(specPath) {
  const st = await fsp.stat(specPath);
  const base = path.basename(specPath).replace(/\.[^.]*$/, '');
  const cacheFile = path.join(CACHE_DIR, `${base}-${st.size}-${Math.trunc(st.mtimeMs)}.json`);
  try {
    return JSON.parse(await fsp.readFile(cacheFile, 'utf8'));
  } catch {
    // missing or corrupt: (re)build below
  }
  const text = await fsp.readFile(specPath, 'utf8');
  const doc = yaml.load(text, { filename: specPath });
  await fsp.mkdir(CACHE_DIR, { recursive: true });
  const tmp = `${cacheFile}.${process.pid}.${Date.now()}.tmp`;
  await fsp.writeFile(tmp, JSON.stringify(doc));
  try {
    await fsp.rename(tmp, cacheFile);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
  return doc;
}

/** Keys whose values are data (examples, defaults, enums), not sub-schemas: never rewrite inside them. */
const DATA_KEYS = new Set(['example', 'examples', 'default', 'const', 'enum']);
const COMPOSITION_KEYS = ['$ref', 'allOf', 'anyOf', 'oneOf', 'not', 'if'];

/**
 * Rewrite OpenAPI-3.0 leftovers in the (3.1) document into plain JSON Schema 2020-12, in place:
 *  - `nullable: true` → `type: [..., "null"]` (and `null` added to `enum`) for simple
 *    schemas; schemas using $ref/allOf/anyOf/oneOf are wrapped as
 *    `{anyOf: [<schema>, {type: "null"}]}`. Ajv would otherwise ignore `nullable`
 *    under strict:false (rejecting valid nulls) or throw "nullable cannot be used
 *    without type". `nullable: false` is dropped.
 *  - `$recursiveRef: "#"` (draft 2019-09, unknown to the 2020 dialect) → `$ref` to
 *    the nearest enclosing schema marked `$recursiveAnchor: true`.
 * Every `$ref` in this spec points at `#/components/schemas/<Name>`, so wrapping a
 * node never breaks a reference.
 * @param {any} doc
 */
export function normaliseForAjv(doc) {
  /**
   * @param {any} node
   * @param {string} ptr JSON pointer of node
   * @param {string|null} anchor pointer of nearest $recursiveAnchor ancestor (or self)
   * @returns {any} replacement node
   */
  function walk(node, ptr, anchor) {
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) node[i] = walk(node[i], `${ptr}/${i}`, anchor);
      return node;
    }
    if (!node || typeof node !== 'object') return node;

    if (node.$recursiveAnchor === true) anchor = ptr;
    delete node.$recursiveAnchor;
    if (typeof node.$recursiveRef === 'string') {
      if (node.$recursiveRef === '#' && anchor !== null) node.$ref = `#${anchor}`;
      else node.$ref = node.$recursiveRef;
      delete node.$recursiveRef;
    }

    for (const k of Object.keys(node)) {
      if (DATA_KEYS.has(k) || k.startsWith('x-')) continue;
      node[k] = walk(node[k], `${ptr}/${escapePtr(k)}`, anchor);
    }

    if (typeof node.nullable === 'boolean') {
      const nullable = node.nullable;
      delete node.nullable;
      if (nullable) return makeNullable(node);
    }
    return node;
  }
  walk(doc, '', null);
  return doc;
}

/** @param {any} node */
function makeNullable(node) {
  if (COMPOSITION_KEYS.some((k) => k in node) || node.type === undefined) {
    const { description, title } = node;
    /** @type {any} */
    const wrapped = { anyOf: [node, { type: 'null' }] };
    if (description !== undefined) wrapped.description = description;
    if (title !== undefined) wrapped.title = title;
    return wrapped;
  }
  const types = Array.isArray(node.type) ? node.type : [node.type];
  if (!types.includes('null')) node.type = [...types, 'null'];
  if (Array.isArray(node.enum) && !node.enum.includes(null)) node.enum = [...node.enum, null];
  return node;
}

/** @param {string} s */
function escapePtr(s) {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Turn Ajv errors into short readable strings, deduplicated.
 * (oneOf/anyOf failures report every branch's complaint; that is noisy but
 * makes it clear which branch came closest.)
 * @param {import('ajv').ErrorObject[] | null | undefined} errors
 * @returns {string[]}
 */
export function formatErrors(errors) {
  const out = new Set();
  // Deepest instance paths first: they are usually the actual culprit, the
  // shallower ones are oneOf/anyOf summaries.
  const sorted = [...(errors ?? [])].sort(
    (a, b) => b.instancePath.split('/').length - a.instancePath.split('/').length,
  );
  for (const e of sorted) {
    const where = e.instancePath || '(root)';
    /** @type {any} */
    const p = e.params ?? {};
    let detail = '';
    if (p.allowedValues) detail = ` (allowed: ${p.allowedValues.map((v) => JSON.stringify(v)).join(', ')})`;
    else if (p.additionalProperty) detail = ` ('${p.additionalProperty}')`;
    else if (p.unevaluatedProperty) detail = ` ('${p.unevaluatedProperty}')`;
    else if (p.allowedValue !== undefined) detail = ` (${JSON.stringify(p.allowedValue)})`;
    const schema = e.schemaPath.startsWith(DOC_ID) ? e.schemaPath.slice(DOC_ID.length) : e.schemaPath;
    out.add(`${where} ${e.message}${detail} [schema ${schema}]`);
  }
  const list = [...out];
  return list.length > 60 ? [...list.slice(0, 60), `… and ${list.length - 60} more`] : list;
}
