// End-to-end: deleting forgets everywhere. With "Recall from all chats" on, an answer in chat A recalls a
// message of chat B; B is deleted (from the sidebar, while A is open, and while a second tab shows A). Then no
// IndexedDB store of the page — every store of every database, enumerated, records and keys, binary values
// read as bytes — nor localStorage, sessionStorage or the service worker's cache holds B's title, its words,
// its chat id, its message ids or the bytes of its vectors; A's answer shows "a message from a deleted chat"
// in its Context at once, in the other tab, after a reload, and in Korean. The same for an image removed after
// two answers used it: "an image since removed", and nothing of its file name, id, caption or vector is left.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readStore } from './harness.mjs';
import { world, session } from './suite.mjs';
import { configure, makeImage, addImages, ask, log, until } from './app.mjs';

/** Vectors per stored chunk (`CHUNK` in src/core/retrieval/vector.rs). */
const CHUNK = 1024;

/**
 * Everything the page's origin keeps, as text to search: for every IndexedDB database and every one of its
 * object stores (enumerated, not named here), the keys and records as JSON, Blobs as their type and size (and
 * their text unless they are images), and binary values (ArrayBuffers, typed arrays) decoded byte by byte as
 * Latin-1, so a string stored in them would show; then localStorage, sessionStorage and the Cache Storage's
 * cache names and URLs. Returns { "<database>/<store>" | "localStorage" | …: text }.
 */
async function everythingStored(page) {
  return page.evaluate(async () => {
    const request = (r) => new Promise((resolve, reject) => ((r.onsuccess = () => resolve(r.result)), (r.onerror = () => reject(r.error))));
    const readable = async (v, depth = 0) => {
      if (v instanceof Blob) {
        return { blob: v.type, size: v.size, text: v.type.startsWith('image/') ? undefined : await v.text() };
      }
      if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
        const bytes = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
        return { bytes: bytes.length, latin1: new TextDecoder('latin1').decode(bytes) };
      }
      if (v === null || typeof v !== 'object' || depth > 16) return v;
      if (Array.isArray(v)) return Promise.all(v.map((x) => readable(x, depth + 1)));
      const o = {};
      for (const [k, x] of Object.entries(v)) o[k] = await readable(x, depth + 1);
      return o;
    };
    const out = {};
    for (const { name } of await indexedDB.databases()) {
      const db = await request(indexedDB.open(name));
      try {
        for (const store of [...db.objectStoreNames]) {
          const tx = db.transaction(store, 'readonly');
          const keys = await request(tx.objectStore(store).getAllKeys());
          const records = await request(tx.objectStore(store).getAll());
          out[`${name}/${store}`] = JSON.stringify({ keys: await readable(keys), records: await readable(records) });
        }
      } finally {
        db.close();
      }
    }
    out.localStorage = JSON.stringify(Object.entries(localStorage));
    out.sessionStorage = JSON.stringify(Object.entries(sessionStorage));
    const cached = [];
    for (const name of await caches.keys()) cached.push([name, (await (await caches.open(name)).keys()).map((r) => r.url)]);
    out.caches = JSON.stringify(cached);
    return out;
  });
}

/** Fails naming the place, unless none of `traces` occurs anywhere in `stored` (from everythingStored). */
function assertNowhere(stored, traces) {
  for (const store of ['chats', 'messages', 'images', 'indexes', 'vectors', 'settings']) {
    assert.ok(`boda/${store}` in stored, `the store ${store} was read: ${Object.keys(stored)}`);
  }
  for (const [where, text] of Object.entries(stored)) {
    for (const trace of traces) assert.ok(!text.includes(trace), `${JSON.stringify(trace)} is still in ${where}: ${text.slice(0, 2000)}`);
  }
}

/**
 * The stored vectors: each document's slot as hex ("<space> <doc id>" → hex), and every chunk's bytes whole
 * (to find a vector in a slot the id map no longer names).
 */
async function storedVectors(page) {
  const records = await page.evaluate(async () => {
    const request = (r) => new Promise((resolve, reject) => ((r.onsuccess = () => resolve(r.result)), (r.onerror = () => reject(r.error))));
    const db = await request(indexedDB.open('boda'));
    const all = await request(db.transaction('vectors').objectStore('vectors').getAll());
    db.close();
    const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
    return all.map((r) => (r.half ? { id: r.id, hex: hex(r.half) } : r));
  });
  const slots = {};
  for (const map of records.filter((r) => r.id.endsWith('/ids'))) {
    const space = map.id.slice(0, -'/ids'.length);
    const width = map.dims * 2 * 2; // two bytes a value, two hex digits a byte
    map.ids.forEach((doc, slot) => {
      const chunk = records.find((r) => r.id === `${space}/chunk/${Math.floor(slot / CHUNK)}`);
      slots[`${space} ${doc}`] = chunk.hex.slice((slot % CHUNK) * width, (slot % CHUNK + 1) * width);
    });
  }
  return { slots, chunks: records.filter((r) => r.hex).map((r) => r.hex) };
}

async function vectorIds(page) {
  return (await readStore(page, 'boda', 'vectors')).filter((r) => r.id.endsWith('/ids')).flatMap((r) => r.ids);
}

/** The last answer's Context disclosure, opened. */
async function lastContext(page) {
  const context = log(page).getByRole('group').last();
  if (!(await context.evaluate((d) => d.open))) await context.locator('summary').click();
  return context;
}

async function toKorean(page) {
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.getByLabel('Language', { exact: true }).selectOption('ko');
  await page.getByRole('dialog').getByRole('heading', { name: '설정' }).waitFor();
  await page.getByRole('button', { name: '닫기', exact: true }).click();
}

test('a deleted chat leaves nothing of itself in any store; an answer that recalled it says "a message from a deleted chat"', { timeout: 120_000 }, async () => {
  const { page, context: browser } = session;
  await configure(page, world);
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.getByLabel('Recall from all chats, not only this one', { exact: true }).check();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('dialog').waitFor({ state: 'hidden' });

  // Chat B: "tuna" is said only there (the stand-in's answer echoes the question).
  await ask(page, 'My cat is called Nabi and she loves tuna.');
  await until('chat B is embedded', () => vectorIds(page), (ids) => ids.length === 2);
  const [b] = await readStore(page, 'boda', 'chats');
  assert.equal(b.title, 'My cat is called Nabi and she loves tuna.');
  const bMessages = (await readStore(page, 'boda', 'messages')).filter((m) => m.chat_id === b.id).map((m) => m.id);
  assert.equal(bMessages.length, 2);

  // Chat A recalls it.
  await page.getByRole('button', { name: 'New chat', exact: true }).click();
  await page.waitForFunction(() => document.querySelectorAll('[role=log] article').length === 0);
  await ask(page, 'Tell me again what Nabi loves to eat.');
  let context = await lastContext(page);
  await context.getByText(`Recalled message: My cat is called Nabi and she loves tuna. (in the chat “${b.title}”)`, { exact: false }).waitFor();
  const before = await everythingStored(page);
  assert.ok(before['boda/messages'].includes('tuna') && before['boda/indexes'].includes('tuna'), 'the check below can see B');
  const [answer] = (await readStore(page, 'boda', 'messages')).filter((m) => m.chat_id !== b.id && m.role === 'assistant');
  assert.ok(JSON.stringify(answer).includes(b.id), "A's answer names B's chat");
  await until('every message is embedded', () => vectorIds(page), (ids) => ids.length === 4);
  const { slots } = await storedVectors(page);
  const bVectors = Object.entries(slots).filter(([doc]) => doc.includes(b.id)).map(([, hex]) => hex);
  assert.equal(bVectors.length, 2);

  // A second tab shows chat A too.
  const other = await browser.newPage();
  await other.goto(page.url());
  const otherContext = await lastContext(other);
  await otherContext.getByText('(in the chat “', { exact: false }).first().waitFor();

  // Delete B from the sidebar, with A open.
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: `Delete ${b.title}`, exact: true }).click();
  await context.getByText('Recalled message: a message from a deleted chat', { exact: true }).first().waitFor();
  await otherContext.getByText('Recalled message: a message from a deleted chat', { exact: true }).first().waitFor();
  for (const p of [page, other]) {
    const shown = await p.evaluate(() => document.body.textContent);
    assert.ok(!shown.includes('tuna') && !shown.includes(b.title), 'nothing of B shows');
  }

  // The vector memory saves its removal a moment later; everything else went in the deletion itself.
  await until('B has no vectors', () => vectorIds(page), (ids) => ids.length === 2 && !ids.some((d) => d.includes(b.id)));
  await other.close();
  const traces = [b.title, 'tuna', b.id, ...bMessages];
  assertNowhere(await everythingStored(page), traces);
  const { chunks } = await storedVectors(page);
  assert.ok(bVectors.every((v) => chunks.every((c) => !c.includes(v))), "no chunk holds B's vectors");
  const [forgotten] = (await readStore(page, 'boda', 'messages')).filter((m) => m.id === answer.id);
  assert.ok(forgotten.context.some((i) => i.gone === 'chat'), JSON.stringify(forgotten));
  assert.equal(forgotten.content, answer.content, 'the answer itself is kept');

  // After a reload, and in Korean.
  await page.reload();
  await log(page).getByText('Tell me again what Nabi loves to eat.', { exact: true }).waitFor();
  context = await lastContext(page);
  await context.getByText('Recalled message: a message from a deleted chat', { exact: true }).first().waitFor();
  assert.ok(!(await context.textContent()).includes('tuna'));
  await toKorean(page);
  await log(page).getByRole('group').last().getByText('불러온 메시지: 삭제된 채팅의 메시지', { exact: true }).first().waitFor();
  assertNowhere(await everythingStored(page), traces);
});

test('a removed image leaves nothing of itself in any store; the answers that used it say "an image since removed"', { timeout: 120_000 }, async () => {
  const { page } = session;
  await configure(page, world);
  const gone = 'zanzibar-ferry-7731.jpg';
  const kept = 'lighthouse-kept.jpg';
  await addImages(page, [await makeImage(page, { name: gone, hue: 20 }), await makeImage(page, { name: kept, hue: 220 })], 2);
  const captioned = await until('both images are described', () => readStore(page, 'boda', 'images'), (is) => is.length === 2 && is.every((i) => i.caption));
  const image = captioned.find((i) => i.name === gone);
  await ask(page, 'What do these two pictures show?');
  await ask(page, 'And which one is brighter?');
  let context = await lastContext(page);
  await context.getByText(`Image attached: ${gone}`, { exact: false }).waitFor();
  await until('the images and messages are embedded', () => vectorIds(page), (ids) => ids.length === 6);
  const { slots } = await storedVectors(page);
  const [imageVector] = Object.entries(slots).filter(([doc]) => doc.includes(image.id)).map(([, hex]) => hex);
  assert.ok(imageVector);
  const before = await everythingStored(page);
  assert.ok(before['boda/messages'].includes(gone) && before['boda/messages'].includes(image.id), 'the answers name it');

  await page.getByRole('button', { name: `Remove ${gone}`, exact: true }).click();
  await context.getByText('Image attached: an image since removed', { exact: true }).waitFor();
  await context.getByText(`Image attached: ${kept}`, { exact: false }).waitFor();
  await until('its vector is gone', () => vectorIds(page), (ids) => ids.length === 5 && !ids.some((d) => d.includes(image.id)));
  const hash = image.caption.match(/A test picture (\w+)/)[1];
  const traces = [gone, 'zanzibar', image.id, image.caption, hash];
  const after = await everythingStored(page);
  assertNowhere(after, traces);
  assert.ok(after['boda/messages'].includes(kept) && after['boda/images'].includes(kept), 'what was not removed stays');
  const { chunks } = await storedVectors(page);
  assert.ok(chunks.every((c) => !c.includes(imageVector)), "no chunk holds the image's vector");
  const answers = (await readStore(page, 'boda', 'messages')).filter((m) => m.role === 'assistant');
  assert.equal(answers.length, 2);
  for (const a of answers) assert.equal(a.context.filter((i) => i.gone === 'item').length, 1, JSON.stringify(a));

  await page.reload();
  await log(page).getByText('And which one is brighter?', { exact: true }).waitFor();
  context = await lastContext(page);
  await context.getByText('Image attached: an image since removed', { exact: true }).waitFor();
  await log(page).getByRole('group').first().locator('summary').click();
  await log(page).getByRole('group').first().getByText('Image attached: an image since removed', { exact: true }).waitFor();
  await toKorean(page);
  await context.getByText('첨부한 이미지: 지금은 삭제된 이미지', { exact: true }).waitFor();
  assertNowhere(await everythingStored(page), traces);
});
