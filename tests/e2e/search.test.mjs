// End-to-end: "Search chats" finds Korean and English messages and image captions across chats with the
// network off, and deleting removes exactly the deleted items' postings from the stored index. A result opens
// its chat with the message or image it found in view.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readStore } from './harness.mjs';
import { startWorld, openApp, configure, makeImage, addImages, ask, log } from './app.mjs';

let world;
before(async () => {
  world = await startWorld();
});
after(async () => {
  await world?.close();
});

/** The stored lexical index's document ids, read straight from IndexedDB. */
async function storedDocs(page) {
  const [record] = (await readStore(page, 'boda', 'indexes')).filter((r) => r.id === 'lexical');
  return record ? JSON.parse(record.json).index.docs.map((d) => d.id) : [];
}

/** Waits until the stored index satisfies `ok` (it is saved a moment after each change). */
async function untilStored(page, ok, what) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const docs = await storedDocs(page);
    if (ok(docs)) return docs;
    assert.ok(Date.now() < deadline, `${what}: ${JSON.stringify(docs)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('search finds Korean and English messages and captions offline; deleting leaves no postings', { timeout: 90_000 }, async () => {
  const { page, context, errors } = await openApp(world);
  try {
    await configure(page, world);
    world.standin.script({ kind: 'stream', chunks: ['네, 검은 고양이가 ', '소파 위에 있어요.'] });
    await ask(page, '사진 속 고양이는 어디에 있나요?');
    await page.getByRole('button', { name: 'New chat', exact: true }).click();
    await page.waitForFunction(() => document.querySelectorAll('[role=log] article').length === 0);
    world.standin.script({ kind: 'stream', chunks: ['It is a red bicycle ', 'leaning on a fence.'] });
    await ask(page, 'What is leaning on the fence?');
    world.standin.scriptPlain({ kind: 'json', content: 'Children flying a yellow kite in a park.' });
    await addImages(page, [await makeImage(page, { name: 'park.jpg' })], 1);
    await page.getByText('by gpt-4o-mini').waitFor();
    const chats = await readStore(page, 'boda', 'chats');
    const korean = chats.find((c) => c.title.startsWith('사진'));
    await untilStored(page, (docs) => docs.length === 5, 'two questions, two answers and one image are indexed');

    await context.setOffline(true);
    const box = page.getByLabel('Search chats', { exact: true });
    const results = page.getByRole('list', { name: 'Search results' });
    await box.fill('고양이');
    await results.getByText('네, 검은 고양이가 소파 위에 있어요.', { exact: true }).waitFor();
    // The question shows as a result (and as its chat's title above each result).
    assert.ok((await results.getByText('사진 속 고양이는 어디에 있나요?', { exact: true }).count()) >= 2);
    await box.fill('bicycle');
    await results.getByText('It is a red bicycle leaning on a fence.', { exact: true }).waitFor();
    await box.fill('kite');
    await results.getByText(/yellow kite/).waitFor();
    await box.fill('zebra');
    await results.getByText('Nothing found in your chats.').waitFor();
    // A result opens its chat.
    await box.fill('소파');
    await results.getByRole('button').first().click();
    await log(page).getByText('사진 속 고양이는 어디에 있나요?', { exact: true }).waitFor();
    await context.setOffline(false);

    // After a reload the stored index answers.
    await page.reload();
    await page.getByLabel('Search chats', { exact: true }).fill('fence');
    await page.getByRole('list', { name: 'Search results' }).getByText(/red bicycle/).first().waitFor();
    await page.getByLabel('Search chats', { exact: true }).fill('');

    // Removing the image and deleting the Korean chat remove exactly their postings.
    const nav = page.getByRole('navigation', { name: 'Chats' });
    await nav.getByRole('button', { name: 'What is leaning on the fence?', exact: true }).click();
    const [img] = await readStore(page, 'boda', 'images');
    await page.getByRole('button', { name: 'Remove park.jpg' }).click();
    await untilStored(page, (docs) => !docs.some((d) => d.endsWith(img.id)), 'the image postings are gone');
    page.once('dialog', (d) => d.accept());
    await nav.getByRole('button', { name: `Delete ${korean.title}` }).click();
    const docs = await untilStored(page, (d) => !d.some((id) => id.includes(korean.id)), 'the chat postings are gone');
    assert.equal(docs.length, 2, 'only the English question and answer remain');
    await page.getByLabel('Search chats', { exact: true }).fill('고양이');
    await page.getByRole('list', { name: 'Search results' }).getByText('Nothing found in your chats.').waitFor();
    assert.deepEqual(world.standin.violations, []);
    assert.deepEqual(errors.filter((e) => !/ERR_INTERNET_DISCONNECTED/.test(e)), []);
  } finally {
    await context.close();
  }
});

test('a search open in another tab finds what this tab just added', { timeout: 60_000 }, async () => {
  const { page, context, errors } = await openApp(world);
  try {
    await configure(page, world);
    const other = await context.newPage();
    await other.goto(world.site.origin);
    const box = other.getByLabel('Search chats', { exact: true });
    await box.fill('zebras');
    await other.getByRole('list', { name: 'Search results' }).getByText('Nothing found in your chats.').waitFor();
    world.standin.script({ kind: 'stream', chunks: ['Three zebras ', 'are crossing.'] });
    await ask(page, 'How many zebras are on the road?');
    // The other tab reloads the stored index when this one saves it, and runs its open search again.
    await other.getByRole('list', { name: 'Search results' }).getByText('Three zebras are crossing.', { exact: true }).waitFor();
    assert.deepEqual(world.standin.violations, []);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a search result opens its chat and brings the message or image it found into view', { timeout: 90_000 }, async () => {
  const { page, context, errors } = await openApp(world);
  try {
    await page.setViewportSize({ width: 1000, height: 700 });
    await configure(page, world);
    await ask(page, 'The spare key hides under the blue flowerpot.');
    for (let i = 1; i <= 8; i++) await ask(page, `Filler question number ${i} about nothing much at all.`);
    world.standin.scriptPlain({ kind: 'json', content: 'A lighthouse on a rocky cape at dusk.' });
    await addImages(page, [await makeImage(page, { name: 'cape.jpg' })], 1);
    await page.getByText('by gpt-4o-mini').waitFor();
    const [key] = (await readStore(page, 'boda', 'messages')).filter((m) => m.content.startsWith('The spare key'));
    // The chat is open at its end: its first message is out of view.
    await page.locator(`[id="msg-${key.id}"]`).waitFor({ state: 'attached' });
    await page.waitForFunction((id) => {
      const r = document.getElementById(id).getBoundingClientRect();
      return r.bottom < document.querySelector('[role=log]').getBoundingClientRect().top;
    }, `msg-${key.id}`);

    const box = page.getByLabel('Search chats', { exact: true });
    const results = page.getByRole('list', { name: 'Search results' });
    const result = (kind) => results.locator('button.search-result', { has: page.locator('.result-kind', { hasText: kind }) }).first();
    await box.fill('flowerpot');
    await result('You').click();
    // The first message comes into view in the chat already open, marked for a moment.
    await page.waitForFunction((id) => {
      const el = document.getElementById(id);
      if (!el?.classList.contains('revealed')) return false;
      const r = el.getBoundingClientRect();
      const area = el.closest('[role=log]').getBoundingClientRect();
      return r.top >= area.top - 1 && r.bottom <= area.bottom + 1;
    }, `msg-${key.id}`);

    // From another chat, the result opens its chat with the image in view.
    await box.fill('');
    await page.locator('button.new-chat').click();
    await page.waitForFunction(() => document.querySelectorAll('[role=log] article').length === 0);
    await ask(page, 'Something else entirely.');
    await box.fill('lighthouse');
    await result('Image').click();
    const [image] = await readStore(page, 'boda', 'images');
    await page.waitForFunction((id) => document.getElementById(id)?.classList.contains('revealed'), `img-${image.id}`);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
