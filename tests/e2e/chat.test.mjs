// End-to-end: the image Q&A chat, in headless Chromium against the stand-in OpenAI server.
// Every test checks that every request the app sent validates against the official OpenAPI spec.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { countBlobs, readStore } from './harness.mjs';
import { errors as apiErrors, imageParts, lastUserText } from './standin.mjs';
import { world, session } from './suite.mjs';
import { configure, makeImage, addImages, ask, waitIdle, chatRequests, log, KEY } from './app.mjs';

const chatOpts = { timeout: 60_000 };

test('two images, two questions: both carry both images, the second carries the first exchange; reload keeps it all', chatOpts, async () => {
  const { page } = session;
  await configure(page, world);
  const a = await makeImage(page, { name: 'beach.jpg', width: 4032, height: 3024, hue: 30 });
  const b = await makeImage(page, { name: 'forest.png', width: 800, height: 600, type: 'image/png', hue: 120 });
  await addImages(page, [a, b], 2);
  // Thumbnails show name, size and a token estimate.
  const strip = page.getByRole('list', { name: 'Images in this chat' });
  assert.match(await strip.innerText(), /beach\.jpg[\s\S]*1024×768[\s\S]*tokens/);

  world.standin.script({ kind: 'stream', chunks: ['Both ', 'photos ', 'have a **white circle**.'] });
  await ask(page, 'What do the two photos have in common?');
  world.standin.script({ kind: 'stream', chunks: ['One is warm, ', 'the other green.'] });
  await ask(page, 'What is different between them?');

  const [first, second] = chatRequests(world);
  assert.equal(imageParts(first).length, 2);
  assert.equal(imageParts(second).length, 2);
  for (const part of imageParts(second)) assert.match(part.url, /^data:image\/(jpeg|webp);base64,/);
  assert.equal(lastUserText(second), 'What is different between them?');
  const texts = second.messages.map((m) => (typeof m.content === 'string' ? m.content : null));
  assert.ok(texts.includes('What do the two photos have in common?'), 'second request carries the first question');
  assert.ok(texts.includes('Both photos have a **white circle**.'), 'second request carries the first answer');
  assert.equal(second.stream, true);
  assert.deepEqual(second.stream_options, { include_usage: true });
  // The resized photo went out at 1024×768, not as the original file.
  const jpegPart = imageParts(first).find((p) => p.url.startsWith('data:image/jpeg'));
  assert.ok(jpegPart.url.length < a.buffer.length * 1.37, 'the upload is smaller than the original');

  // The answer renders as Markdown, with its usage, and says that every image of the chat went with it.
  await log(page).locator('strong', { hasText: 'white circle' }).waitFor();
  assert.match(await log(page).innerText(), /tokens/);
  assert.equal(await log(page).getByText("Context: 2 image(s) attached (all of this chat's), 0 message(s) recalled", { exact: true }).count(), 2);

  await page.reload();
  await log(page).getByText('What is different between them?').waitFor();
  await log(page).getByText('One is warm, the other green.').waitFor();
  await page.getByRole('button', { name: 'Remove beach.jpg' }).waitFor();
  await page.getByRole('button', { name: 'Remove forest.png' }).waitFor();
  // The chat got its title from the first question.
  await page.getByRole('navigation', { name: 'Chats' }).getByText('What do the two photos have in common?').waitFor();
});

test('removing an image leaves one image in the next request and no Blob behind; deleting the chat leaves nothing', chatOpts, async () => {
  const { page } = session;
  await configure(page, world);
  await addImages(page, [await makeImage(page, { name: 'one.jpg' }), await makeImage(page, { name: 'two.jpg', hue: 300 })], 2);
  await ask(page, 'Describe them.');
  assert.equal(await countBlobs(page, 'boda'), 2);

  await page.getByRole('button', { name: 'Remove one.jpg' }).click();
  await page.getByRole('button', { name: 'Remove one.jpg' }).waitFor({ state: 'detached' });
  assert.equal(await countBlobs(page, 'boda'), 1);
  const images = await readStore(page, 'boda', 'images');
  assert.deepEqual(images.map((i) => i.name), ['two.jpg']);

  await ask(page, 'And now?');
  const last = chatRequests(world).at(-1);
  assert.equal(imageParts(last).length, 1);
  assert.ok(!JSON.stringify(last).includes('one.jpg'), 'the removed image is not named either');

  page.once('dialog', (d) => d.accept());
  const chatTitle = 'Describe them.';
  await page.getByRole('button', { name: `Delete ${chatTitle}` }).click();
  await page.getByRole('button', { name: `Delete ${chatTitle}` }).waitFor({ state: 'detached' });
  assert.equal(await countBlobs(page, 'boda'), 0);
  assert.deepEqual(await readStore(page, 'boda', 'messages'), []);
  assert.deepEqual(await readStore(page, 'boda', 'images'), []);
  assert.deepEqual(await readStore(page, 'boda', 'chats'), []);
});

test('a bad key gets a clear verdict in Settings and an alert on send, and the key is never shown', chatOpts, async () => {
  const { page } = session;
  await configure(page, world, { key: 'sk-bad-secret-key-999999', expectOk: false });
  const verdict = page.getByRole('dialog').getByRole('alert');
  await verdict.filter({ hasText: '401' }).waitFor();
  assert.ok(!(await verdict.innerText()).includes('secret-key-999999'));
  await page.getByRole('button', { name: 'Close', exact: true }).click();

  await page.getByLabel('Message', { exact: true }).fill('Hello?');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'API key was rejected' });
  await alert.waitFor();
  await waitIdle(page);
  const body = await page.locator('body').innerText();
  assert.ok(!body.includes('secret-key-999999'), 'the key never appears on the page');
  // The question is kept, with a Retry for after the key is fixed.
  await log(page).getByText('Hello?').waitFor();
  await page.getByRole('button', { name: 'Retry', exact: true }).waitFor();
  const stored = JSON.stringify(await readStore(page, 'boda', 'messages'));
  assert.ok(!stored.includes('secret-key-999999'), 'the key is not stored in any message');

  await configure(page, world);
  world.standin.script({ kind: 'stream', chunks: ['Now ', 'it works.'] });
  await page.getByRole('button', { name: 'Retry', exact: true }).click();
  await log(page).getByText('Now it works.').waitFor();
});

test('a dropped stream keeps its partial text, marks it, offers Retry, and survives a reload', chatOpts, async () => {
  const { page } = session;
  await configure(page, world);
  world.standin.script({ kind: 'drop', chunks: ['The first half ', 'of an answer'] });
  await page.getByLabel('Message', { exact: true }).fill('Tell me everything.');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'connection dropped' }).waitFor();
  await log(page).getByText('The first half of an answer').waitFor();
  await page.getByRole('button', { name: 'Retry', exact: true }).waitFor();
  await page.reload();
  await log(page).getByText('The first half of an answer').waitFor();
  assert.match(await log(page).innerText(), /connection dropped/);
  const [answer] = (await readStore(page, 'boda', 'messages')).filter((m) => m.role === 'assistant');
  assert.equal(answer.status, 'interrupted');
  // A Retry that fails again keeps the partial answer.
  world.standin.script({ kind: 'error', ...apiErrors.server(503) });
  await page.getByRole('button', { name: 'Retry', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: '503' }).waitFor();
  await waitIdle(page, 2);
  await log(page).getByText('The first half of an answer').waitFor();
  world.standin.script({ kind: 'stream', chunks: ['A whole answer.'] });
  await page.getByRole('button', { name: 'Retry', exact: true }).click();
  await log(page).getByText('A whole answer.').waitFor();
  assert.ok(!(await log(page).innerText()).includes('The first half'), 'Retry replaced the partial answer');
});

test('an answer with <img onerror>, <script> and a javascript: link executes nothing', chatOpts, async () => {
  const { page } = session;
  await configure(page, world);
  const evil = [
    'Look: <img src=x onerror="window.__pwned=1"> and ',
    '<script>window.__pwned=2</script>\n\n',
    '[click me](javascript:window.__pwned=3) and <a href="javascript:window.__pwned=4">raw</a>\n\n',
    '![pixel](https://tracker.example/p.gif)',
  ];
  world.standin.script({ kind: 'stream', chunks: evil });
  await ask(page, 'Say something dangerous.');
  await log(page).getByText('click me').click();
  const state = await page.evaluate(() => ({
    pwned: window.__pwned ?? null,
    imgs: document.querySelectorAll('[role=log] img').length,
    scripts: document.querySelectorAll('[role=log] script').length,
    jsLinks: [...document.querySelectorAll('[role=log] a')].filter((a) => !/^(https?|mailto):/i.test(a.href)).length,
  }));
  assert.deepEqual(state, { pwned: null, imgs: 0, scripts: 0, jsLinks: 0 });
  // The markup is shown as text, so the person can see what the model wrote.
  assert.match(await log(page).innerText(), /<img src=x onerror=/);
  assert.match(await log(page).innerText(), /<script>window.__pwned=2<\/script>/);
});

test('wrong files are refused with the file name and the reason; good ones still go in', chatOpts, async () => {
  const { page } = session;
  await configure(page, world);
  const heic = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic'), Buffer.alloc(64)]);
  await addImages(page, [
    { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello there') },
    { name: 'IMG_0042.HEIC', mimeType: 'image/heic', buffer: heic },
    { name: 'logo.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>') },
    { name: 'empty.png', mimeType: 'image/png', buffer: Buffer.alloc(0) },
    await makeImage(page, { name: 'fine.webp', type: 'image/webp' }),
  ], 1);
  const alerts = page.getByRole('alert');
  await alerts.filter({ hasText: 'empty.png' }).waitFor();
  const text = await alerts.innerText();
  assert.match(text, /notes\.txt.*PNG, JPEG, WebP or GIF/);
  assert.match(text, /IMG_0042\.HEIC.*HEIC.*JPEG/);
  assert.match(text, /logo\.svg.*SVG/);
  assert.match(text, /empty\.png.*empty/);
  await page.getByRole('button', { name: 'Remove fine.webp' }).waitFor();
});

test('a 12000×12000 image is refused cleanly and the page stays responsive', chatOpts, async () => {
  const { page } = session;
  await configure(page, world);
  // Only the header is needed to refuse it: a PNG IHDR claiming 12000×12000, padded.
  const ihdr = Buffer.alloc(33 + 1024);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]).copy(ihdr, 0);
  ihdr.write('IHDR', 12, 'latin1');
  ihdr.writeUInt32BE(12000, 16);
  ihdr.writeUInt32BE(12000, 20);
  ihdr[24] = 8;
  ihdr[25] = 2;
  await addImages(page, [{ name: 'huge.png', mimeType: 'image/png', buffer: ihdr }]);
  await page.getByRole('alert').filter({ hasText: 'huge.png' }).waitFor();
  assert.match(await page.getByRole('alert').innerText(), /12000×12000.*megapixels/);
  await page.getByLabel('Message', { exact: true }).fill('still typing');
});

test('Stop aborts the answer and keeps what arrived; Regenerate replaces the last answer', chatOpts, async () => {
  const { page } = session;
  await configure(page, world);
  world.standin.script({ kind: 'hang', chunks: ['Partial ', 'thought'] });
  await page.getByLabel('Message', { exact: true }).fill('Think slowly.');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await log(page).getByText('Partial thought').waitFor();
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await waitIdle(page);
  await log(page).getByText('Partial thought').waitFor();
  assert.match(await log(page).innerText(), /Stopped/);

  world.standin.script({ kind: 'stream', chunks: ['A better ', 'answer.'] });
  await page.getByRole('button', { name: 'Regenerate', exact: true }).click();
  await log(page).getByText('A better answer.').waitFor();
  await waitIdle(page);
  assert.ok(!(await log(page).innerText()).includes('Partial thought'));
  const last = chatRequests(world).at(-1);
  assert.equal(lastUserText(last), 'Think slowly.');
  assert.equal(last.messages.filter((m) => m.role === 'user' && m.content === 'Think slowly.').length, 1);
});

test('a rate limit is retried after Retry-After; out of credit is not retried and says so', chatOpts, async () => {
  const { page } = session;
  await configure(page, world);
  world.standin.script(
    { kind: 'error', ...apiErrors.rateLimit(1) },
    { kind: 'stream', chunks: ['After ', 'waiting.'] },
  );
  await page.getByLabel('Message', { exact: true }).fill('Busy?');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Rate limited' }).waitFor();
  await log(page).getByText('After waiting.').waitFor();
  assert.equal(chatRequests(world).length, 2);

  world.standin.script({ kind: 'error', ...apiErrors.insufficientQuota() });
  await page.getByLabel('Message', { exact: true }).fill('Again?');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'run out of credit' }).waitFor();
  await waitIdle(page);
  assert.equal(chatRequests(world).length, 3, 'insufficient_quota is not retried');
});

test('server errors, unknown models and unreachable hosts each get a specific alert', chatOpts, async () => {
  const { page } = session;
  await configure(page, world);
  world.standin.script({ kind: 'error', ...apiErrors.server(503) });
  await page.getByLabel('Message', { exact: true }).fill('one');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: '503' }).waitFor();
  await waitIdle(page);

  await configure(page, world, { model: 'gpt-nonexistent', expectOk: false });
  await page.getByRole('dialog').getByRole('status').filter({ hasText: 'not among them' }).or(
    page.getByRole('status').filter({ hasText: 'not among them' }),
  ).first().waitFor();
  if (await page.getByRole('dialog').isVisible()) await page.getByRole('button', { name: 'Close', exact: true }).click();
  await page.getByLabel('Message', { exact: true }).fill('two');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: '404' }).waitFor();
  await waitIdle(page);

  // A closed port: no HTTP answer at all.
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.getByLabel('API base URL', { exact: true }).fill('http://127.0.0.1:9/v1');
  await page.getByLabel('Model', { exact: true }).fill('gpt-4o-mini');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('dialog').getByRole('alert').filter({ hasText: 'Could not reach 127.0.0.1:9' }).waitFor();
  await page.getByRole('button', { name: 'Close', exact: true }).click();
  await page.getByLabel('Message', { exact: true }).fill('three');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'CORS' }).waitFor();
  // Every question is still there.
  for (const q of ['one', 'two', 'three']) await log(page).getByText(q, { exact: true }).waitFor();
});

test('Enter sends, Shift+Enter adds a line, and Enter during IME composition does not send', chatOpts, async () => {
  const { page } = session;
  await configure(page, world);
  const box = page.getByLabel('Message', { exact: true });
  await box.click();
  await page.keyboard.type('first line');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('second line');
  assert.equal(await box.inputValue(), 'first line\nsecond line');
  assert.equal(chatRequests(world).length, 0);

  // A Korean IME: Enter pressed while composing confirms the syllable; it must not send.
  await box.fill('안녕');
  await box.dispatchEvent('compositionstart');
  await box.evaluate((el) =>
    el.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', isComposing: true, keyCode: 229, bubbles: true, cancelable: true })),
  );
  await box.dispatchEvent('compositionend');
  assert.equal(chatRequests(world).length, 0, 'no request while composing');
  assert.equal(await box.inputValue(), '안녕');

  await box.press('Enter');
  await waitIdle(page, 2);
  await log(page).getByText('안녕').first().waitFor();
  assert.equal(chatRequests(world).length, 1);
  assert.equal(lastUserText(chatRequests(world)[0]), '안녕');
  assert.equal(await box.inputValue(), '');
});

test('chats: new, switch, rename, and the image detail setting goes into requests', chatOpts, async () => {
  const { page } = session;
  await configure(page, world);
  await addImages(page, [await makeImage(page, { name: 'cat.jpg' })], 1);
  await page.getByLabel('Image detail').selectOption('low');
  await ask(page, 'First chat question');
  assert.equal(imageParts(chatRequests(world).at(-1))[0].detail, 'low');

  await page.getByRole('button', { name: 'New chat', exact: true }).click();
  await page.getByRole('button', { name: 'Remove cat.jpg' }).waitFor({ state: 'detached' });
  await ask(page, 'Second chat question');
  assert.equal(imageParts(chatRequests(world).at(-1)).length, 0, 'the new chat has no images');

  const nav = page.getByRole('navigation', { name: 'Chats' });
  await nav.getByRole('button', { name: 'Rename First chat question' }).click();
  await nav.getByLabel('Chat title').fill('Cats');
  await nav.getByLabel('Chat title').press('Enter');
  await nav.getByRole('button', { name: 'Cats', exact: true }).click();
  await page.getByRole('button', { name: 'Remove cat.jpg' }).waitFor();
  await log(page).getByText('First chat question', { exact: true }).waitFor();
  assert.equal(await page.getByLabel('Image detail').inputValue(), 'low');
  await page.reload();
  await nav.getByRole('button', { name: 'Cats', exact: true }).waitFor();
  assert.equal(KEY.length > 0, true);
});

test('an answer still streaming when the page reloads is kept as far as it got and marked interrupted', chatOpts, async () => {
  const { page } = session;
  await configure(page, world);
  world.standin.script({ kind: 'hang', chunks: ['Saved ', 'before ', 'the reload'] });
  await page.getByLabel('Message', { exact: true }).fill('Long story please.');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await log(page).getByText('Saved before the reload').waitFor();
  // The growing answer is written at most every 500 ms, also while the stream stalls: wait until the stored
  // copy has all the text that arrived.
  const deadline = Date.now() + 5000;
  const stored = async () => (await readStore(page, 'boda', 'messages')).find((m) => m.role === 'assistant')?.content;
  while ((await stored()) !== 'Saved before the reload') {
    assert.ok(Date.now() < deadline, 'the streaming answer was saved within 5 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  await page.reload();
  await log(page).getByText('Saved before the reload').waitFor();
  assert.match(await log(page).innerText(), /closed or reloaded while this answer was arriving/);
  const [answer] = (await readStore(page, 'boda', 'messages')).filter((m) => m.role === 'assistant');
  assert.equal(answer.status, 'interrupted');
  await page.getByRole('button', { name: 'Retry', exact: true }).waitFor();
});

test('images can be dropped on the chat and pasted into the message box', chatOpts, async () => {
  const { page } = session;
  await configure(page, world);
  const dropped = await makeImage(page, { name: 'dropped.jpg', hue: 10 });
  const pasted = await makeImage(page, { name: 'pasted.png', type: 'image/png', hue: 250 });
  const transfer = async (file) =>
    page.evaluateHandle(({ b64, name, type }) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name, { type }));
      return dt;
    }, { b64: file.buffer.toString('base64'), name: file.name, type: file.mimeType });
  await page.getByRole('main').dispatchEvent('drop', { dataTransfer: await transfer(dropped) });
  await page.getByRole('button', { name: 'Remove dropped.jpg' }).waitFor();
  const dt = await transfer(pasted);
  await page.getByLabel('Message', { exact: true }).evaluate((el, data) => {
    const ev = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true });
    el.dispatchEvent(ev);
  }, dt);
  await page.getByRole('button', { name: 'Remove pasted.png' }).waitFor();
  await ask(page, 'Two images?');
  assert.equal(imageParts(chatRequests(world).at(-1)).length, 2);
});

test('a 50 MB file is handled without freezing the page', chatOpts, async () => {
  const { page } = session;
  await configure(page, world);
  // A real JPEG followed by 50 MB of trailing data (decoders stop at the end-of-image marker).
  const photo = await makeImage(page, { name: 'big.jpg', width: 3000, height: 2000 });
  const buffer = Buffer.concat([photo.buffer, Buffer.alloc(50 * 1024 * 1024 - photo.buffer.length, 7)]);
  // Playwright passes files over 50 MB by path.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'boda-e2e-'));
  const file = path.join(dir, 'big.jpg');
  fs.writeFileSync(file, buffer);
  try {
    await addImages(page, [file], 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const strip = await page.getByRole('list', { name: 'Images in this chat' }).innerText();
  assert.match(strip, /big\.jpg[\s\S]*1152×768[\s\S]*was 50\.0 MB/);
  // The page answered input while it worked, and the stored image is small.
  const [stored] = await readStore(page, 'boda', 'images');
  assert.ok(stored.bytes < 1024 * 1024, `stored ${stored.bytes} bytes`);
});

test('old turns are trimmed to the history budget, with a visible note', chatOpts, async () => {
  const { page } = session;
  await configure(page, world);
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.getByLabel('History budget (tokens)').fill('60');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('dialog').waitFor({ state: 'hidden' });
  const long = 'word '.repeat(60);
  world.standin.script({ kind: 'stream', chunks: [long] }, { kind: 'stream', chunks: ['short'] });
  await ask(page, 'First question');
  await ask(page, 'Second question');
  const last = chatRequests(world).at(-1);
  const texts = last.messages.map((m) => m.content);
  assert.ok(!texts.includes('First question'), 'the oldest turn was left out');
  await log(page).getByText('earlier message(s) left out').waitFor();
});

test('a second tab sees new messages and images, and never marks the first tab’s live answer interrupted', chatOpts, async () => {
  const { page, context } = session;
  await configure(page, world);
  const other = await context.newPage();
  await other.goto(world.site.origin);
  await other.getByRole('button', { name: 'Settings', exact: true }).waitFor();

  await addImages(page, [await makeImage(page, { name: 'shared.jpg' })], 1);
  await other.getByRole('button', { name: 'Remove shared.jpg' }).waitFor();
  await ask(page, 'Seen from both tabs?');
  await log(other).getByText('Seen from both tabs?', { exact: true }).waitFor();
  await other.getByRole('navigation', { name: 'Chats' }).getByText('Seen from both tabs?', { exact: true }).waitFor();

  // The first tab streams slowly; the second tab reloads meanwhile and must leave that answer alone.
  world.standin.script({ kind: 'hang', chunks: ['Still ', 'going'] });
  await page.getByLabel('Message', { exact: true }).fill('Slow one');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await log(page).getByText('Still going').waitFor();
  await other.reload();
  await log(other).getByText('Slow one', { exact: true }).waitFor();
  const live = (await readStore(other, 'boda', 'messages')).find((m) => m.role === 'assistant' && m.status !== 'complete');
  assert.equal(live.status, 'streaming', 'the live answer was not marked interrupted by the other tab');
  assert.ok(!(await log(other).innerText()).includes('closed or reloaded'));

  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await waitIdle(page);
  // Settings saved in one tab reach the other.
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.getByLabel('Model', { exact: true }).fill('gpt-4o');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('dialog').waitFor({ state: 'hidden' });
  await other.getByRole('button', { name: 'Settings', exact: true }).click();
  await other.waitForFunction(() => document.querySelector('#set-model')?.value === 'gpt-4o');
  await other.close();
});

test('a full disk (IndexedDB put throwing QuotaExceededError, simulated) gets a clear message and loses nothing on screen', chatOpts, async () => {
  const { page } = session;
  await configure(page, world);
  await ask(page, 'Before the disk filled up');
  // Chromium headless ignores DevTools quota overrides, so make every IndexedDB write throw what a full disk
  // makes Chromium throw.
  await page.evaluate(() => {
    window.__realPut = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function () {
      throw new DOMException('The current transaction exceeded its quota limitations.', 'QuotaExceededError');
    };
  });
  await page.getByLabel('Add images', { exact: true }).setInputFiles([await makeImage(page, { name: 'noisy.png', type: 'image/png' })]);
  await page.getByRole('alert').filter({ hasText: 'noisy.png' }).filter({ hasText: 'storage is full' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Remove noisy.png' }).count(), 0, 'no thumbnail for an image that was not stored');

  // A question still gets its answer on screen, with a clear note that it was not saved.
  world.standin.script({ kind: 'stream', chunks: ['Shown ', 'anyway.'] });
  await page.getByLabel('Message', { exact: true }).fill('Can you still answer?');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await log(page).getByText('Shown anyway.').waitFor();
  await page.getByRole('alert').filter({ hasText: 'storage is full' }).waitFor();
  await log(page).getByText('Can you still answer?', { exact: true }).waitFor();
  await page.evaluate(() => (IDBObjectStore.prototype.put = window.__realPut));
  assert.deepEqual(await readStore(page, 'boda', 'images'), []);
});

test('a double click on Send starts one answer, not two', chatOpts, async () => {
  const { page } = session;
  await configure(page, world);
  await page.getByLabel('Message', { exact: true }).fill('Only once');
  await page.getByRole('button', { name: 'Send', exact: true }).evaluate((b) => {
    b.click();
    b.click();
  });
  await waitIdle(page, 2);
  assert.equal(chatRequests(world).length, 1);
  assert.equal(await log(page).getByRole('article').count(), 2);
});

test('malformed stream data stops the answer with what arrived; a 403 says the key may not do this', chatOpts, async () => {
  const { page } = session;
  await configure(page, world);
  world.standin.script({ kind: 'malformed', chunks: ['Readable ', 'part'] });
  await page.getByLabel('Message', { exact: true }).fill('Garbled?');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'could not read' }).waitFor();
  await waitIdle(page, 2);
  await log(page).getByText('Readable part').waitFor();
  await page.getByRole('button', { name: 'Retry', exact: true }).waitFor();

  world.standin.script({ kind: 'error', ...apiErrors.forbidden() });
  await page.getByLabel('Message', { exact: true }).fill('Allowed?');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: '403' }).waitFor();
  await waitIdle(page, 4);
  await log(page).getByText('Allowed?', { exact: true }).waitFor();
});

test('on a phone-sized screen the message box and the chat title keep the width of the screen, with every button in reach', chatOpts, async () => {
  const { page } = session;
  await configure(page, world);
  await ask(page, 'Hello there.');
  await page.setViewportSize({ width: 390, height: 844 });
  const box = await page.getByLabel('Message', { exact: true }).boundingBox();
  assert.ok(box.width >= 300, `the message box is ${box.width}px wide on a 390px screen`);
  const title = await page.locator('.chat-header h1').boundingBox();
  assert.ok(title.width >= 300, `the chat's title has ${title.width}px on a 390px screen`);
  const buttons = {
    'Add images': page.getByText('Add images', { exact: true }),
    Regenerate: page.getByRole('button', { name: 'Regenerate', exact: true }),
    Send: page.getByRole('button', { name: 'Send', exact: true }),
  };
  for (const [name, locator] of Object.entries(buttons)) {
    const button = await locator.boundingBox();
    assert.ok(button.x >= 0 && button.x + button.width <= 390, `${name} is on screen`);
    assert.ok(button.y >= box.y + box.height, `${name} sits below the message box`);
  }
});

test('an answer whose tab takes its lock a moment late is looked at again, not marked interrupted', chatOpts, async () => {
  const { page, context } = session;
  await configure(page, world);
  await ask(page, 'Hello there.');
  // Another tab's answer, just stored and still arriving: its record exists, its lock is not taken yet.
  const id = await page.evaluate(async () => {
    const db = await new Promise((ok, fail) => {
      const r = indexedDB.open('boda');
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    const store = db.transaction('messages', 'readwrite').objectStore('messages');
    const all = await new Promise((ok) => { store.getAll().onsuccess = (e) => ok(e.target.result); });
    const answer = all.find((m) => m.role === 'assistant');
    const live = { ...answer, id: 'live-answer-1', content: 'Half an answer', status: 'streaming', created_ms: answer.created_ms + 1, usage: null };
    await new Promise((ok) => { store.put(live).onsuccess = ok; });
    db.close();
    return live.id;
  });
  // Count the tab's looks at which answers are live.
  await context.addInitScript(() => {
    window.__looks = 0;
    const query = LockManager.prototype.query;
    LockManager.prototype.query = function () {
      window.__looks += 1;
      return query.call(this);
    };
  });
  await page.reload();
  await page.waitForFunction(() => window.__looks >= 1);
  // Only now does the other tab take the answer's lock, as a tab does a moment after storing the record.
  const other = await context.newPage();
  await other.goto(`${world.site.origin}/icon.svg`);
  await other.evaluate((name) => { navigator.locks.request(name, () => new Promise(() => {})); }, `boda-answer-${id}`);
  await page.waitForFunction(() => window.__looks >= 2, null, { timeout: 5000 });
  await new Promise((r) => setTimeout(r, 300));
  const stored = (await readStore(page, 'boda', 'messages')).find((m) => m.id === id);
  assert.equal(stored.status, 'streaming', 'the live answer is left to its tab');
  assert.ok(!(await log(page).innerText()).includes('closed or reloaded while this answer was arriving'));
  await other.close();
});
