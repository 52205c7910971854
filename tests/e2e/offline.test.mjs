// End-to-end: Boda keeps working offline for everything already stored (its chats' addresses too, and the
// sample test set, which installs from the cached drawings), and its page forbids inline scripts.
// The site is served by a server of this test's own, which is shut down to take the app offline.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStatic } from './static.mjs';
import { errors as apiErrors } from './standin.mjs';
import { startWorld, DIST, configure, makeImage, addImages, ask, log, waitIdle } from './app.mjs';

let world;
before(async () => {
  world = await startWorld();
});
after(async () => {
  await world?.close();
});

test('after one visit, the app opens with the server gone and shows every stored chat and image', { timeout: 90_000 }, async () => {
  const site = await startStatic(DIST);
  const context = await world.browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  try {
    await page.goto(site.origin);
    await configure(page, world);
    await addImages(page, [await makeImage(page, { name: 'kept.jpg' })], 1);
    await ask(page, 'Remember this offline?');
    // The service worker has cached the shell once it is active.
    await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.ready;
      for (let i = 0; i < 100 && !(await caches.has('boda-shell-v1')); i++) await new Promise((r) => setTimeout(r, 100));
      const cache = await caches.open('boda-shell-v1');
      for (let i = 0; i < 100 && (await cache.keys()).length < 5; i++) await new Promise((r) => setTimeout(r, 100));
      return reg.active?.state;
    });
    await site.close();
    // The page's own server is gone: a plain fetch of it fails now.
    const reachable = await page.evaluate(async () => fetch('/?probe', { cache: 'no-store' }).then(() => true, () => false));
    assert.equal(reachable, true, 'the service worker answers for the page');
    // The chat's own address opens offline too (the worker answers every navigation with the app shell).
    const address = page.url();
    assert.match(new URL(address).pathname, /^\/chat\/[^/]+$/);
    await page.goto(address);
    assert.equal(page.url(), address);
    await log(page).getByText('Remember this offline?', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Remove kept.jpg' }).waitFor();
    await page.getByRole('navigation', { name: 'Chats' }).getByText('Remember this offline?').waitFor();
    // The API is still reachable here, so asking works too; the point is that nothing stored was lost.
    world.standin.script({ kind: 'error', ...apiErrors.server(503) });
    await page.getByLabel('Message', { exact: true }).fill('Still there?');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: '503' }).waitFor();
    await waitIdle(page, 4);
  } finally {
    await context.close();
    await site.close().catch(() => {});
  }
});

test('after one visit to the chat, the Sample set installs on a first visit to Evaluate with the server gone', { timeout: 90_000 }, async () => {
  const site = await startStatic(DIST);
  const context = await world.browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  try {
    await page.goto(site.origin);
    await page.getByRole('button', { name: 'Settings', exact: true }).waitFor();
    // Wait until the worker has cached the shell with the sample set's twenty drawings.
    const drawings = await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      let n = 0;
      for (let i = 0; i < 150 && n < 20; i++) {
        const cache = await caches.open('boda-shell-v1');
        n = (await cache.keys()).filter((r) => new URL(r.url).pathname.startsWith('/sample/')).length;
        if (n < 20) await new Promise((r) => setTimeout(r, 100));
      }
      return n;
    });
    assert.equal(drawings, 20);
    await site.close();
    await page.getByRole('link', { name: 'Evaluate', exact: true }).click();
    await page.getByText('version 1 · 34 cases', { exact: true }).first().waitFor({ timeout: 30_000 });
    const images = await page.evaluate(async () => {
      const db = await new Promise((res, rej) => {
        const r = indexedDB.open('boda');
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const all = await new Promise((res) => {
        const q = db.transaction('eval_images').objectStore('eval_images').getAll();
        q.onsuccess = () => res(q.result);
      });
      return all.map((x) => x.blob.type);
    });
    assert.equal(images.length, 20);
    assert.ok(images.every((t) => t === 'image/png'));
  } finally {
    await context.close();
    await site.close().catch(() => {});
  }
});

test('the page forbids inline scripts and still runs', { timeout: 30_000 }, async () => {
  const context = await world.browser.newContext();
  const page = await context.newPage();
  const violations = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.goto(world.site.origin);
  await page.getByRole('button', { name: 'Settings', exact: true }).waitFor();
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  // An injected inline script is refused by the browser.
  const ran = await page.evaluate(async () => {
    const s = document.createElement('script');
    s.textContent = 'window.__inline = 1';
    document.body.append(s);
    await new Promise((r) => setTimeout(r, 50));
    return window.__inline ?? null;
  });
  assert.equal(ran, null);
  assert.ok(violations.length >= 1, 'the refusal is reported');
  await context.close();
});
