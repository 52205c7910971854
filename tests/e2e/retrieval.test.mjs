// End-to-end: retrieval. Captions and messages are embedded through the stand-in's /embeddings (validated
// against CreateEmbeddingRequest like every request); a question about one image attaches that image and
// sends the others as captions; an earlier message that no longer fits the history is recalled; the answer's
// "Context" disclosure lists what was used with scores; deleting an image, or regenerating an answer, removes
// the vector and postings of what went; changing the embedding size re-embeds into a new space and leaves
// nothing of the old one, and so does a model that starts giving vectors of another size; where localStorage
// cannot be written, the memory is still loaded only once; texts the server refused to embed are said so, and
// embedded with the next change.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readStore } from './harness.mjs';
import { errors as apiErrors, lastUserText } from './standin.mjs';
import { world, session } from './suite.mjs';
import { configure, makeImage, addImages, ask, chatRequests, log, until } from './app.mjs';

// Camera-style file names that say nothing of what is in them, so only the captions can tell the images apart.
const PHOTO = { bicycle: 'IMG_0412.jpg', cat: 'IMG_0413.jpg', ramen: 'IMG_0414.jpg', mountain: 'IMG_0415.jpg', boat: 'IMG_0416.jpg' };
const CAPTIONS = {
  [PHOTO.bicycle]: 'A red bicycle leaning on a brick wall.',
  [PHOTO.cat]: 'A grey cat asleep on a green sofa.',
  [PHOTO.ramen]: 'A bowl of ramen noodles with an egg.',
  [PHOTO.mountain]: 'Snowy mountain peaks at sunrise.',
  [PHOTO.boat]: 'A white sailing boat on a calm sea.',
};

function embeddingRequests() {
  return world.standin.requests.filter((r) => r.path.endsWith('/embeddings')).map((r) => r.body);
}

/** The stored id map of each embedding space. */
async function spaces(page) {
  const records = await readStore(page, 'boda', 'vectors');
  return Object.fromEntries(records.filter((r) => r.id.endsWith('/ids')).map((r) => [r.id.slice(0, -4), r]));
}

async function setSettings(page, fields) {
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  for (const [label, value] of Object.entries(fields)) {
    await page.getByLabel(label, { exact: true }).fill(String(value));
  }
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('dialog').waitFor({ state: 'hidden' });
}

/** Adds the five images, writes their captions, and waits until all are embedded and saved. */
async function fiveImages(page) {
  const files = [];
  let hue = 0;
  for (const name of Object.keys(CAPTIONS)) files.push(await makeImage(page, { name, hue: (hue += 60) }));
  await addImages(page, files, 5);
  for (const [name, caption] of Object.entries(CAPTIONS)) {
    const field = page.getByLabel(`Caption of ${name}`, { exact: true });
    // Wait for the model's caption first, so it cannot overwrite the one typed here.
    await until(`${name} has a caption`, () => field.inputValue(), (v) => v.trim() !== '');
    await field.fill(caption);
    await field.blur();
  }
  await until(
    'the typed captions are embedded and stored',
    () => readStore(page, 'boda', 'images'),
    (images) => images.length === 5 && images.every((i) => i.caption === CAPTIONS[i.name]),
  );
  await until(
    'the typed captions are embedded',
    async () => embeddingRequests().flatMap((b) => b.input),
    (inputs) => Object.entries(CAPTIONS).every(([name, caption]) => inputs.includes(`${name} ${caption}`)),
  );
  await until(
    'five image vectors are stored',
    () => spaces(page),
    (s) => s['text-embedding-3-small']?.ids.filter((d) => d.startsWith('i:')).length === 5,
  );
}

/** Image names attached (as pixels) and sent as captions only, in the last chat request. */
function sentImages() {
  const parts = chatRequests(world).at(-1).messages[1].content;
  const attached = [];
  const captions = [];
  parts.forEach((p, i) => {
    if (p.type !== 'text') return;
    const name = /^Image \d+: (\S+)/.exec(p.text)?.[1];
    if (parts[i + 1]?.type === 'image_url') attached.push(name);
    else captions.push(name);
  });
  return { attached, captions };
}

test('with more images than k, a question attaches the image it is about and sends the rest as captions', { timeout: 90_000 }, async () => {
  const { page } = session;
  await configure(page, world);
  await setSettings(page, { 'Images attached per question': 1 });
  await fiveImages(page);

  await ask(page, 'What colour is the bicycle?');
  let sent = sentImages();
  assert.deepEqual(sent.attached, [PHOTO.bicycle]);
  assert.deepEqual(sent.captions.sort(), [PHOTO.cat, PHOTO.ramen, PHOTO.mountain, PHOTO.boat]);
  const last = chatRequests(world).at(-1);
  assert.match(last.messages[1].content.find((p) => p.text?.startsWith('Image 2:')).text, /A grey cat asleep on a green sofa\. \(not attached/);
  // The first request that embeds the question embeds it alone, as a query (the answer's own embedding may
  // follow it at any moment, so "the last request" would race the memory).
  const question = embeddingRequests().find((b) => b.input.includes('What colour is the bicycle?'));
  assert.deepEqual(question?.input, ['What colour is the bicycle?'], 'the question itself is embedded');
  assert.equal(question.encoding_format, 'base64');

  // The answer says what it used, with scores.
  const context = log(page).getByRole('group').last();
  await context.getByText('Context: 1 image(s) attached', { exact: false }).click();
  await context.getByText(new RegExp(`^Image attached: ${PHOTO.bicycle.replace('.', '\\.')} · similarity \\d\\.\\d\\d · words \\d+\\.\\d\\d$`)).waitFor();
  assert.equal(await context.getByText(/^Image as caption:/).count(), 4);

  await ask(page, 'Is the cat asleep on the sofa?');
  sent = sentImages();
  assert.deepEqual(sent.attached, [PHOTO.cat]);
  // The stored question reused the vector made for retrieval: it was embedded once.
  const times = embeddingRequests().flatMap((b) => b.input).filter((t) => t === 'Is the cat asleep on the sofa?');
  assert.equal(times.length, 1);
});

test('deleting an image removes it from retrieval, the vector store and the search index', { timeout: 90_000 }, async () => {
  const { page } = session;
  await configure(page, world);
  await setSettings(page, { 'Images attached per question': 1 });
  await fiveImages(page);
  const [bike] = (await readStore(page, 'boda', 'images')).filter((i) => i.name === PHOTO.bicycle);

  await page.getByRole('button', { name: `Remove ${PHOTO.bicycle}`, exact: true }).click();
  await until(
    'the vector is gone',
    () => spaces(page),
    (s) => !s['text-embedding-3-small'].ids.some((d) => d.includes(bike.id)),
  );
  const space = (await spaces(page))['text-embedding-3-small'];
  assert.equal(space.ids.length, space.tags.length);
  assert.equal(space.ids.filter((d) => d.startsWith('i:')).length, 4);
  await until(
    'no posting of the removed image remains in the stored search index',
    () => readStore(page, 'boda', 'indexes'),
    ([lexical]) => !lexical.json.includes(bike.id),
  );

  await ask(page, 'What colour is the bicycle?');
  const request = JSON.stringify(chatRequests(world).at(-1));
  assert.ok(!request.includes(PHOTO.bicycle) && !request.includes('brick wall'), 'the removed image is neither attached nor described');
  assert.equal(sentImages().attached.length, 1);
  assert.equal(lastUserText(chatRequests(world).at(-1)), 'What colour is the bicycle?');

  // Deleting the chat leaves no vector, id or chunk of it behind.
  const [chat] = await readStore(page, 'boda', 'chats');
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: `Delete ${chat.title}` }).click();
  const emptied = await until('the chat\'s vectors are gone', () => spaces(page), (s) => s['text-embedding-3-small'].ids.length === 0);
  assert.deepEqual(emptied['text-embedding-3-small'].tags, []);
  const chunks = (await readStore(page, 'boda', 'vectors')).filter((r) => r.id.includes('/chunk/'));
  assert.deepEqual(chunks, [], 'no chunk record is left');
});

test('an earlier message that no longer fits the history budget is recalled when relevant', { timeout: 90_000 }, async () => {
  const { page } = session;
  await configure(page, world);
  await setSettings(page, { 'History budget (tokens)': 60 });
  await ask(page, 'My cat is called Nabi and she loves tuna.');
  for (const q of ['How tall is a giraffe?', 'Name three rivers in Europe.', 'What is the capital of Peru?']) {
    await ask(page, q);
  }
  await ask(page, 'What does Nabi love to eat?');
  const messages = chatRequests(world).at(-1).messages;
  const recall = messages.at(-2).content;
  assert.equal(typeof recall, 'string');
  assert.match(recall, /^Earlier messages recalled/);
  assert.match(recall, /\[Me, earlier in this chat\]\nMy cat is called Nabi and she loves tuna\./);
  assert.ok(!recall.includes('giraffe'), 'unrelated messages are not recalled');
  assert.ok(!messages.some((m) => m.content === 'My cat is called Nabi and she loves tuna.'), 'it no longer fits the history itself');
  const context = log(page).getByRole('group').last();
  await context.getByText('1 message(s) recalled', { exact: false }).click();
  await context.getByText(/^Recalled message: My cat is called Nabi and she loves tuna\. · similarity/).waitFor();
});

test('with "Recall from all chats", a relevant message of another chat is recalled, and only then', { timeout: 90_000 }, async () => {
  const { page } = session;
  await configure(page, world);
  await ask(page, 'My cat is called Nabi and she loves tuna.');
  await ask(page, 'Bread needs flour, water, salt and yeast.');
  await until('the first chat is embedded', () => spaces(page), (s) => s['text-embedding-3-small']?.ids.length === 4);
  const firstTitle = (await page.locator('button.chat-title[aria-current="page"]').textContent()).trim();

  // Off (the default): another chat's messages stay out of the question.
  await page.getByRole('button', { name: 'New chat', exact: true }).click();
  await page.waitForFunction(() => document.querySelectorAll('[role=log] article').length === 0);
  await ask(page, 'What does Nabi love to eat?');
  let messages = chatRequests(world).at(-1).messages;
  assert.ok(!JSON.stringify(messages).includes('loves tuna'), 'nothing is recalled from other chats by default');

  // On: the matching message of the other chat is recalled, labelled with its chat, and shown in Context.
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.getByLabel('Recall from all chats, not only this one', { exact: true }).check();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('dialog').waitFor({ state: 'hidden' });
  await ask(page, 'Tell me again what Nabi loves to eat.');
  messages = chatRequests(world).at(-1).messages;
  const recall = messages.at(-2).content;
  assert.equal(typeof recall, 'string');
  assert.match(recall, /^Earlier messages recalled/);
  assert.match(recall, /\[Me, in the chat “[^”]+”\]\nMy cat is called Nabi and she loves tuna\./);
  assert.ok(!recall.includes('flour'), 'the unrelated message of that chat is not recalled');
  assert.ok(recall.includes(`[Me, in the chat “${firstTitle}”]`), `labelled with its chat “${firstTitle}”: ${recall}`);
  const context = log(page).getByRole('group').last();
  await context.getByText('message(s) recalled', { exact: false }).click();
  await context.getByText(`Recalled message: My cat is called Nabi and she loves tuna. (in the chat “${firstTitle}”) · `, { exact: false }).waitFor();
});

test('changing the embedding size re-embeds into a new space, with progress, and removes the old one; a reload embeds nothing', { timeout: 90_000 }, async () => {
  const { page } = session;
  await configure(page, world);
  for (let i = 1; i <= 8; i++) await ask(page, `Note ${i}: the red bicycle is in the garage.`);
  await until('all 16 messages have vectors', () => spaces(page), (s) => s['text-embedding-3-small']?.ids.length === 16);
  const before = embeddingRequests().length;
  await page.reload();
  await page.getByRole('button', { name: 'Settings', exact: true }).waitFor();
  await log(page).getByText('Note 8: the red bicycle is in the garage.', { exact: true }).waitFor();
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(embeddingRequests().length, before, 'nothing is embedded again after a reload');

  // Record whether the progress bar ever shows while the 16 texts are embedded again.
  await page.evaluate(() => {
    window.__progressSeen = [];
    new MutationObserver(() => {
      const p = document.querySelector('progress#indexing-progress');
      if (p) window.__progressSeen.push(`${p.value}/${p.max}`);
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
  await setSettings(page, { 'Embedding dimensions': 256 });
  let last;
  const s = await until('the new space holds every message', async () => (last = await spaces(page)), (s) => s['text-embedding-3-small@256']?.ids.length === 16).catch((e) => {
    console.log(JSON.stringify(Object.values(last).map((r) => [r.id, r.ids.length, r.dims])), JSON.stringify(embeddingRequests().map((b) => [b.input.length, b.dimensions])));
    throw e;
  });
  assert.deepEqual(Object.keys(s), ['text-embedding-3-small@256'], 'the old space is gone');
  assert.equal(s['text-embedding-3-small@256'].dims, 256);
  assert.ok(embeddingRequests().slice(before).every((b) => b.dimensions === 256));
  const seen = await page.evaluate(() => window.__progressSeen);
  assert.ok(seen.some((p) => p.endsWith('/16')), `progress was shown: ${JSON.stringify(seen)}`);
  await until('the progress bar goes away', () => page.locator('progress#indexing-progress').count(), (n) => n === 0);
  const chunks = (await readStore(page, 'boda', 'vectors')).filter((r) => r.id.includes('/chunk/'));
  assert.deepEqual(chunks.map((r) => r.id), ['text-embedding-3-small@256/chunk/0']);
});

test('a model that starts giving vectors of another size rebuilds the memory and says so', { timeout: 90_000 }, async () => {
  const { page } = session;
  await configure(page, world);
  for (let i = 1; i <= 3; i++) await ask(page, `Fact ${i}: the kettle is blue.`);
  await until('all 6 messages have vectors', () => spaces(page), (s) => s['text-embedding-3-small']?.ids.length === 6);
  world.standin.embeddingSize = 512;
  try {
    await ask(page, 'Fact 4: the kettle is blue.');
    await page.getByText(/text-embedding-3-small now gives 512-dimension vectors instead of 1536/).waitFor();
    const s = await until('every message is embedded again at the new size', () => spaces(page), (s) => s['text-embedding-3-small']?.ids.length === 8 && s['text-embedding-3-small'].dims === 512);
    assert.equal(s['text-embedding-3-small'].ids.length, new Set(s['text-embedding-3-small'].ids).size);
    const chunks = (await readStore(page, 'boda', 'vectors')).filter((r) => r.id.includes('/chunk/'));
    assert.deepEqual(chunks.map((r) => r.id), ['text-embedding-3-small/chunk/0']);
    const bytes = await page.evaluate(
      () =>
        new Promise((resolve, reject) => {
          const open = indexedDB.open('boda');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const get = open.result.transaction('vectors').objectStore('vectors').get('text-embedding-3-small/chunk/0');
            get.onerror = () => reject(get.error);
            get.onsuccess = () => {
              resolve(get.result.half.byteLength);
              open.result.close();
            };
          };
        }),
    );
    assert.equal(bytes, 8 * 512 * 2, 'the stored chunk holds only the new vectors, at two bytes a value');
  } finally {
    world.standin.embeddingSize = null;
  }
});

test('"Search chats" fuses meaning with words online, and falls back to words offline', { timeout: 90_000 }, async () => {
  const { page, context } = session;
  await configure(page, world);
  await ask(page, 'A red bicycle leans on the fence.');
  await until('both messages have vectors', () => spaces(page), (s) => s['text-embedding-3-small']?.ids.length === 2);
  const box = page.getByLabel('Search chats', { exact: true });
  const results = page.getByRole('list', { name: 'Search results' });
  // "bicyc" is no word of the message, so only its embedding (shared character pairs here) can find it.
  await box.fill('bicyc');
  await results.getByText(/red bicycle leans/).first().waitFor();
  const queries = embeddingRequests().filter((b) => b.input.includes('bicyc'));
  assert.equal(queries.length, 1, 'the query was embedded once');
  await box.fill('');
  await context.setOffline(true);
  // Offline, a query never embedded before matches by words only, and says so.
  await box.fill('bicycl');
  await page.getByText(/^Search chats matched by words only: /).waitFor();
  assert.equal(await page.getByText('Nothing found in your chats.').count(), 1);
  await box.fill('fence');
  await results.getByText(/red bicycle leans/).first().waitFor();
  await context.setOffline(false);
});

test('where localStorage cannot be written, the memory is loaded once, not again before every turn', { timeout: 90_000 }, async () => {
  const { page, context } = session;
  // As in a browser whose storage quota is spent: every write to localStorage throws. Reads of the vector id
  // map (one per load of the memory) are counted.
  await context.addInitScript(() => {
    Storage.prototype.setItem = function () {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
    window.__idMapReads = 0;
    const get = IDBObjectStore.prototype.get;
    IDBObjectStore.prototype.get = function (key) {
      if (typeof key === 'string' && key.endsWith('/ids')) window.__idMapReads += 1;
      return get.call(this, key);
    };
  });
  await page.reload();
  await configure(page, world);
  await ask(page, 'My cat is called Nabi and she loves tuna.');
  await until('both messages are stored in the memory', () => spaces(page), (s) => s['text-embedding-3-small']?.ids.length === 2);
  const loads = await page.evaluate(() => window.__idMapReads);
  assert.ok(loads >= 1, 'the memory was loaded');
  for (const q of ['How tall is a giraffe?', 'Name three rivers in Europe.', 'What does Nabi love to eat?']) {
    await ask(page, q);
  }
  await until('all eight messages are stored in the memory', () => spaces(page), (s) => s['text-embedding-3-small']?.ids.length === 8);
  assert.equal(await page.evaluate(() => window.__idMapReads), loads, 'no turn loaded the memory again');
  assert.equal(await page.evaluate(() => localStorage.getItem('boda-memory-rev')), null, 'the counter was never written');
});

test('a regenerated answer leaves no vector or posting of the answer it replaced', { timeout: 90_000 }, async () => {
  const { page } = session;
  await configure(page, world);
  world.standin.script({ kind: 'stream', chunks: ['The kettle is ', 'cerulean blue.'] });
  await ask(page, 'What colour is the kettle?');
  const old = (await readStore(page, 'boda', 'messages')).find((m) => m.role === 'assistant');
  await until('the first answer has a vector', () => spaces(page), (s) => s['text-embedding-3-small']?.ids.some((d) => d.includes(old.id)));

  world.standin.script({ kind: 'stream', chunks: ['It is a ', 'dark green kettle.'] });
  await page.getByRole('button', { name: 'Regenerate', exact: true }).click();
  await log(page).getByText('It is a dark green kettle.').waitFor();
  const fresh = (await readStore(page, 'boda', 'messages')).find((m) => m.role === 'assistant');
  assert.notEqual(fresh.id, old.id);
  const s = await until(
    'only the new answer has a vector',
    () => spaces(page),
    (s) => s['text-embedding-3-small'].ids.some((d) => d.includes(fresh.id)) && !s['text-embedding-3-small'].ids.some((d) => d.includes(old.id)),
  );
  assert.equal(s['text-embedding-3-small'].ids.length, 2, 'the question and the new answer');
  const [lexical] = await until(
    'the stored search index has the new answer and not the old',
    () => readStore(page, 'boda', 'indexes'),
    ([l]) => l.json.includes(fresh.id) && !l.json.includes(old.id),
  );
  assert.ok(!lexical.json.includes('cerulean'), 'no posting of the old answer\'s words remains');

  // And search agrees: the old answer's word finds nothing.
  await page.getByRole('searchbox').first().fill('cerulean');
  await page.getByText('Nothing found in your chats.', { exact: true }).waitFor();
});

test('"Recall from all chats" still finds another chat\'s message when this chat says much the same thing', { timeout: 120_000 }, async () => {
  const { page } = session;
  await configure(page, world);
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.getByLabel('Recall from all chats, not only this one', { exact: true }).check();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('dialog').waitFor({ state: 'hidden' });
  await ask(page, 'Nabi the cat loves tuna most of all.');
  const firstTitle = (await page.locator('button.chat-title[aria-current="page"]').textContent()).trim();

  // A second chat whose own 44 messages are closer to the question, by words and by meaning, than the first
  // chat's message is: all of them would fill the top 20 of an unfiltered search.
  await page.getByRole('button', { name: 'New chat', exact: true }).click();
  await page.waitForFunction(() => document.querySelectorAll('[role=log] article').length === 0);
  for (let i = 1; i <= 22; i++) await ask(page, `What does Nabi the cat love? Asking again, ${i}.`);
  await until('every message has a vector', () => spaces(page), (s) => s['text-embedding-3-small']?.ids.length === 46);
  await ask(page, 'What does Nabi the cat love?');
  const recall = chatRequests(world).at(-1).messages.at(-2).content;
  assert.equal(typeof recall, 'string', 'something was recalled');
  assert.ok(recall.includes(`[Me, in the chat “${firstTitle}”]\nNabi the cat loves tuna most of all.`), recall);
});

test('texts that could not be embedded are said so, and embedded with the next change, and the notice goes', { timeout: 90_000 }, async () => {
  const { page } = session;
  await configure(page, world);
  world.standin.scriptEmbeddings(apiErrors.insufficientQuota());
  // Every text the notice line shows, however briefly.
  await page.evaluate(() => {
    window.__notices = [];
    new MutationObserver(() => {
      const text = document.querySelector('p.notice')?.textContent ?? '';
      if (text && window.__notices.at(-1) !== text) window.__notices.push(text);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  const failure = /^Memory: [12] text\(s\) could not be embedded, so retrieval uses words only until they are\. Your account has run out of credit/;
  await ask(page, 'The kettle is blue.');
  await until('the failure is told', () => page.evaluate(() => window.__notices), (n) => n.some((t) => failure.test(t)));

  // The next change (an image, described by the model) takes them along.
  await addImages(page, [await makeImage(page, { name: 'IMG_0500.jpg' })], 1);
  const s = await until('both messages and the image have vectors', () => spaces(page), (s) => s['text-embedding-3-small']?.ids.length === 3);
  assert.equal(s['text-embedding-3-small'].tags.length, 3);
  const inputs = embeddingRequests().flatMap((b) => b.input);
  assert.ok(inputs.filter((t) => t === 'The kettle is blue.').length >= 2, 'asked, refused, asked again');
  await until('the notice of the failure is taken down', () => page.getByRole('status').filter({ hasText: failure }).count(), (n) => n === 0);
});

test('a settings change from another tab that arrives before the search index has loaded drops no stored vector', { timeout: 90_000 }, async () => {
  const { page, context } = session;
  await configure(page, world);
  await fiveImages(page);
  const before = embeddingRequests().length;

  // A second tab whose search index loads slowly (a write transaction of this script holds its store for
  // 1.5 s), while another tab announces settings changes all that time.
  const other = await context.newPage();
  await other.addInitScript(() => {
    const until = Date.now() + 1500;
    const open = indexedDB.open('boda');
    open.onsuccess = () => {
      const tx = open.result.transaction('indexes', 'readwrite');
      const store = tx.objectStore('indexes');
      const again = () => {
        if (Date.now() < until) store.count().onsuccess = again;
      };
      again();
    };
    const channel = new BroadcastChannel('boda-changes');
    const flood = setInterval(() => {
      if (Date.now() > until) clearInterval(flood);
      else channel.postMessage('settings');
    }, 20);
  });
  await other.goto(world.site.origin);
  await other.getByRole('button', { name: 'Settings', exact: true }).waitFor();
  // Search works once its index is there, and the memory is whole, with nothing embedded again.
  await other.getByRole('searchbox', { name: 'Search chats', exact: true }).fill('ramen');
  await other.getByRole('list', { name: 'Search results' }).getByText('ramen', { exact: false }).first().waitFor();
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal((await spaces(other))['text-embedding-3-small']?.ids.length, 5, 'every stored vector is still there');
  // Only the search query was embedded (for the search by meaning, once or again as the index arrived); no
  // caption had to be embedded again.
  const since = embeddingRequests().slice(before).flatMap((b) => b.input);
  assert.deepEqual(since.filter((t) => t !== 'ramen'), [], 'nothing stored had to be embedded again');
  await other.close();
});
