// Shared set-up for the app's end-to-end tests: one stand-in OpenAI server, one static server for the release
// build in dist/, one headless Chromium, and helpers that drive Boda only through its accessible names.
//
// Does not build the app (scripts/test runs trunk first) and does not assert anything itself.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startStandin, judgeSchema } from './standin.mjs';
import { startStatic } from './static.mjs';
import { launchBrowser, collectPageErrors, EXPECTED_HTTP_ERRORS } from './harness.mjs';
import { REPO_ROOT } from './openapi.mjs';

export const DIST = path.join(REPO_ROOT, 'dist');
export const KEY = 'sk-test-e2e-0123456789abcdef';

/** Starts everything once per test file. */
export async function startWorld() {
  if (!fs.existsSync(path.join(DIST, 'index.html'))) {
    throw new Error(`no release build in ${DIST}: run "trunk build --release --offline" (scripts/test does)`);
  }
  const standin = await startStandin();
  const site = await startStatic(DIST);
  const browser = await launchBrowser();
  return {
    standin,
    site,
    browser,
    async close() {
      await browser.close();
      await site.close();
      await standin.close();
    },
  };
}

/**
 * A fresh browser context (so a fresh IndexedDB) with the app loaded and its errors collected. The browser's
 * language is `locale` (English unless a test asks for Korean); the app follows it.
 */
export async function openApp(world, { ignoreHttpErrors = true, locale = 'en-US', path = '/' } = {}) {
  const context = await world.browser.newContext({ locale });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors = collectPageErrors(page, { ignore: ignoreHttpErrors ? [EXPECTED_HTTP_ERRORS, /net::ERR_/] : [] });
  await page.goto(world.site.origin + path);
  const settings = locale.startsWith('ko') ? '설정' : 'Settings';
  await page.getByRole('button', { name: settings, exact: true }).waitFor();
  return { context, page, errors };
}

/** Fills Settings and saves; waits for the verdict. */
export async function configure(page, world, { key = KEY, model = 'gpt-4o-mini', expectOk = true } = {}) {
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.getByLabel('OpenAI API key', { exact: true }).fill(key);
  await page.getByLabel('API base URL', { exact: true }).fill(world.standin.baseUrl);
  await page.getByLabel('Model', { exact: true }).fill(model);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  if (expectOk) {
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    await page.getByRole('status').filter({ hasText: 'The key works' }).waitFor();
  }
}

/** Makes a real image file in the page with a canvas. Returns {name, mimeType, buffer} for setInputFiles. */
export async function makeImage(page, { name, width = 640, height = 480, type = 'image/jpeg', hue = 200, hole = false }) {
  const b64 = await page.evaluate(
    async ({ width, height, type, hue, hole }) => {
      const c = new OffscreenCanvas(width, height);
      const g = c.getContext('2d');
      const grad = g.createLinearGradient(0, 0, width, height);
      grad.addColorStop(0, `hsl(${hue}, 80%, 40%)`);
      grad.addColorStop(1, `hsl(${(hue + 120) % 360}, 80%, 70%)`);
      g.fillStyle = grad;
      g.fillRect(0, 0, width, height);
      g.fillStyle = '#fff';
      g.beginPath();
      g.arc(width / 2, height / 2, Math.min(width, height) / 4, 0, Math.PI * 2);
      g.fill();
      if (hole) g.clearRect(0, 0, width / 3, height / 3);
      const blob = await c.convertToBlob({ type, quality: 0.92 });
      const bytes = new Uint8Array(await blob.arrayBuffer());
      let s = '';
      for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(s);
    },
    { width, height, type, hue, hole },
  );
  return { name, mimeType: type, buffer: Buffer.from(b64, 'base64') };
}

/**
 * Adds files through the "Add images" picker (`picker` names it in another language) and waits until
 * `expectCount` thumbnails show.
 */
export async function addImages(page, files, expectCount, { picker = 'Add images' } = {}) {
  await page.getByLabel(picker, { exact: true }).setInputFiles(files);
  if (expectCount !== undefined) {
    await page.waitForFunction(
      (n) => document.querySelectorAll('ul.image-strip > li:not(.pending)').length === n,
      expectCount,
    );
  }
}

/** Types a question, sends it with the Send button, and waits until its answer is finished. */
export async function ask(page, text) {
  const before = await messageCount(page);
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await waitIdle(page, before + 2);
}

/** How many messages the conversation shows. */
export async function messageCount(page) {
  return page.getByRole('log').getByRole('article').count();
}

/**
 * Waits until the log shows at least `atLeast` messages, none of them still arriving (aria-busy), and the
 * Stop button (in any language) is gone.
 */
export async function waitIdle(page, atLeast = 0) {
  await page.waitForFunction(
    (n) =>
      document.querySelectorAll('[role=log] article').length >= n &&
      !document.querySelector('[role=log] [aria-busy=true]') &&
      !document.querySelector('.composer button.stop'),
    atLeast,
  );
}

/** The streamed chat-completion requests (the conversation's turns) the stand-in received, parsed. */
export function chatRequests(world) {
  return world.standin.requests
    .filter((r) => r.path.endsWith('/chat/completions') && r.body?.stream === true)
    .map((r) => r.body);
}

/** The caption requests (plain, not streamed, chat completions other than the judge's) the stand-in received, parsed. */
export function captionRequests(world) {
  return world.standin.requests
    .filter((r) => r.path.endsWith('/chat/completions') && r.body?.stream !== true && judgeSchema(r.body) === null)
    .map((r) => r.body);
}

/** The conversation log. */
export function log(page) {
  return page.getByRole('log');
}

/** Polls `read` until `ok` holds for its value, then returns the value; fails after `ms` saying what it awaited. */
export async function until(what, read, ok, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    assert.ok(Date.now() < deadline, `timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
