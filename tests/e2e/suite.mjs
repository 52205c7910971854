// Importing this module gives a test file one shared world (stand-in server, static server, Chromium) and a
// fresh app session (new browser context, so a fresh IndexedDB) for every test. After each test it checks
// that every request the app sent validated against the official OpenAI spec and that the page logged no
// errors. `world` and `session` are live bindings: read them inside tests, not at import time.
//
// Test files that manage their own contexts (offline, search) use app.mjs directly instead.

import { before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, openApp } from './app.mjs';

/** @type {Awaited<ReturnType<typeof startWorld>>} */
export let world;
/** @type {Awaited<ReturnType<typeof openApp>>} */
export let session;

before(async () => {
  world = await startWorld();
});
after(async () => {
  await world?.close();
});
beforeEach(async () => {
  world.standin.reset();
  session = await openApp(world);
});
afterEach(async () => {
  await session.context.close();
  assert.deepEqual(world.standin.violations, [], 'every request must validate against the OpenAI spec');
  assert.deepEqual(session.errors, [], 'no page errors');
});
