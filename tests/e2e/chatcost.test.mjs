// End-to-end: cost you can see in the chat (each answer's price beside its tokens, the chat's running total,
// the browser's total in Settings), and "Add to test set" from a chat turn (a case with its images, stored as a
// new version of a set), in English and in Korean, against the stand-in OpenAI server.
//
// Prices are the shipped defaults (dated 2026-12-01): gpt-4o-mini $0.15 in / $0.60 out per million tokens,
// gpt-4o $2.50 / $10. The stand-in reports 100 prompt tokens and one completion token per chunk unless a test
// scripts other usage.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readStore } from './harness.mjs';
import { errors as apiErrors } from './standin.mjs';
import { world, session } from './suite.mjs';
import { openApp, configure, makeImage, addImages, ask, waitIdle, log, KEY } from './app.mjs';

const opts = { timeout: 90_000 };

/** The answer (article) in the log that says `text`. */
const answer = (page, text) => log(page).getByRole('article').filter({ hasText: text });

/** What `text`'s answer shows under it: its tokens and its price. */
async function meta(page, text) {
  const footer = answer(page, text).locator('.msg-meta');
  return { usage: await footer.locator('.usage').innerText(), cost: await footer.locator('.cost').innerText() };
}

/** Replaces the stored price table's entry for `model` (a person's edit of the table), then reloads. */
async function dropPrice(page, model) {
  await page.evaluate(async (model) => {
    const db = await new Promise((resolve, reject) => {
      const r = indexedDB.open('boda');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    await new Promise((resolve, reject) => {
      const tx = db.transaction('settings', 'readwrite');
      const store = tx.objectStore('settings');
      const get = store.get('settings');
      get.onsuccess = () => {
        delete get.result.prices.models[model];
        store.put(get.result);
      };
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  }, model);
  await page.reload();
  await page.getByRole('button', { name: 'Settings', exact: true }).waitFor();
}

test('each answer shows its price beside its tokens, each chat its total, Settings the total of this browser', opts, async () => {
  const { page } = session;
  await configure(page, world);
  await addImages(page, [await makeImage(page, { name: 'beach.jpg', hue: 30 })], 1);
  world.standin.script({ kind: 'stream', chunks: ['Sand, ', 'sea ', 'and sky.'] });
  await ask(page, 'What is in the photo?');
  world.standin.script({ kind: 'stream', chunks: ['It is calm.'], usage: { prompt_tokens: 1200, completion_tokens: 300 } });
  await ask(page, 'Is the sea calm?');

  // The stand-in's usage, as stored with each answer.
  const stored = (await readStore(page, 'boda', 'messages')).filter((m) => m.role === 'assistant');
  const usages = stored.map((m) => [m.model, m.usage.prompt_tokens, m.usage.completion_tokens]).sort((a, b) => a[1] - b[1]);
  assert.deepEqual(usages, [['gpt-4o-mini', 100, 3], ['gpt-4o-mini', 1200, 300]]);
  // 100 × $0.15/M + 3 × $0.60/M = $0.0000168; 1200 × $0.15/M + 300 × $0.60/M = $0.00036.
  assert.deepEqual(await meta(page, 'Sand, sea and sky.'), { usage: '100 prompt + 3 completion = 103 tokens', cost: '$0.000017' });
  assert.deepEqual(await meta(page, 'It is calm.'), { usage: '1200 prompt + 300 completion = 1500 tokens', cost: '$0.00036' });
  assert.equal(await answer(page, 'It is calm.').locator('.cost').getAttribute('title'), 'At the list prices of 2026-12-01');
  const total = page.locator('.chat-header .chat-cost');
  assert.equal(await total.innerText(), 'This chat: $0.00038');

  // An answer of gpt-4o, and then the person takes gpt-4o out of the price table: that answer has no price
  // (never $0), the others keep theirs, and the total says what it leaves out.
  await configure(page, world, { model: 'gpt-4o' });
  world.standin.script({ kind: 'stream', chunks: ['Blue.'], usage: { prompt_tokens: 1000, completion_tokens: 100 } });
  await ask(page, 'What colour is the sea?');
  assert.equal((await meta(page, 'Blue.')).cost, '$0.0035');
  assert.equal(await total.innerText(), 'This chat: $0.0039');
  await dropPrice(page, 'gpt-4o');
  await answer(page, 'Blue.').waitFor();
  assert.equal((await meta(page, 'Blue.')).cost, 'no price');
  assert.equal(await answer(page, 'Blue.').locator('.cost').getAttribute('title'), 'gpt-4o is not in the price table');
  assert.equal((await meta(page, 'It is calm.')).cost, '$0.00036');
  assert.equal(await total.innerText(), 'This chat: $0.00038, not counting 1 answer(s) with no price');

  // A second chat, and the browser's total over both.
  await configure(page, world, { model: 'gpt-4o-mini' });
  await page.getByRole('button', { name: 'New chat', exact: true }).click();
  await page.locator('.chat-header .chat-cost').waitFor({ state: 'detached' });
  world.standin.script({ kind: 'stream', chunks: ['Hello.'], usage: { prompt_tokens: 10000, completion_tokens: 1000 } });
  await ask(page, 'Hello?');
  assert.equal(await total.innerText(), 'This chat: $0.0021');
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  const spent = page.getByRole('dialog').getByRole('region', { name: 'Spent in this browser' });
  await spent.getByText('$0.0025 for 3 answer(s) in all chats', { exact: false }).waitFor();
  assert.match(
    await spent.innerText(),
    /\$0\.0025 for 3 answer\(s\) in all chats, at the list prices of 2026-12-01; 1 more answer\(s\) have no price and are not counted\./,
  );

  // In Korean, the same figures in Korean words.
  await page.getByRole('dialog').getByLabel('Language', { exact: true }).selectOption('ko');
  const ko = page.getByRole('dialog').getByRole('region', { name: '이 브라우저에서 쓴 비용' });
  await ko.waitFor();
  assert.match(
    await ko.innerText(),
    /모든 채팅의 답변 3개에 \$0\.0025가 들었어요 \(2026-12-01 기준 정가\)\. 가격 정보가 없는 답변 1개는 빼고 셌어요\./,
  );
  await page.getByRole('button', { name: '닫기', exact: true }).click();
  await page.getByRole('navigation').getByText('What is in the photo?').click();
  await answer(page, 'Blue.').waitFor();
  assert.equal((await meta(page, 'Blue.')).cost, '가격 정보 없음');
  assert.equal(await total.innerText(), '이 채팅: $0.00038 (가격 정보 없는 답변 1개 제외)');
  assert.equal(await answer(page, 'It is calm.').locator('.cost').getAttribute('title'), '2026-12-01 기준 정가로 계산했어요');
});

test('a new browser has spent nothing, and a failed answer has no price and no "Add to test set"', opts, async () => {
  const { page } = session;
  await configure(page, world);
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  const spent = page.getByRole('dialog').getByRole('region', { name: 'Spent in this browser' });
  await spent.getByText('Nothing yet: no answer has reported its tokens.', { exact: true }).waitFor();
  await page.getByRole('button', { name: 'Close', exact: true }).click();
  world.standin.script(apiErrors.insufficientQuota());
  await page.getByLabel('Message', { exact: true }).fill('Anything?');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.getByRole('button', { name: 'Retry', exact: true }).waitFor();
  await waitIdle(page, 2);
  assert.equal(await log(page).locator('.cost').count(), 0);
  assert.equal(await page.locator('.chat-header .chat-cost').count(), 0);
  assert.equal(await log(page).getByRole('button', { name: 'Add to test set', exact: true }).count(), 0);
});

/** The chat image records by name, for comparing their Blobs with the copies. */
async function chatImages(page) {
  return Object.fromEntries((await readStore(page, 'boda', 'images')).map((i) => [i.name, i]));
}

test('"Add to test set" from a chat turn stores version 1 of a new set, then version 2 with both cases', opts, async () => {
  const { page } = session;
  await configure(page, world);
  await addImages(page, [await makeImage(page, { name: 'one.jpg', hue: 10 }), await makeImage(page, { name: 'two.png', type: 'image/png', hue: 90 })], 2);
  world.standin.script({ kind: 'stream', chunks: ['A white ', 'circle on each.'] });
  await ask(page, 'What do the photos share?');
  // A third image, added after the first turn: that turn never saw it.
  await addImages(page, [await makeImage(page, { name: 'three.jpg', hue: 250 })], 3);
  world.standin.script({ kind: 'stream', chunks: ['Three circles.'] });
  await ask(page, 'How many circles now?');
  // Under each finished answer, and only there.
  assert.equal(await log(page).getByRole('button', { name: 'Add to test set', exact: true }).count(), 2);

  await answer(page, 'A white circle on each.').getByRole('button', { name: 'Add to test set', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Add to test set' });
  await dialog.waitFor();
  const use = (name) => dialog.getByRole('checkbox', { name: `Use ${name}`, exact: true });
  assert.ok(await use('one.jpg').isChecked());
  assert.ok(await use('two.png').isChecked());
  assert.equal(await use('three.jpg').count(), 0, 'the turn is proposed with the images it saw');
  assert.equal(await dialog.getByLabel('Question', { exact: true }).inputValue(), 'What do the photos share?');
  const reference = dialog.getByLabel('Reference answer', { exact: true });
  assert.equal(await reference.inputValue(), 'A white circle on each.');
  assert.equal(await dialog.getByLabel('Test set', { exact: true }).inputValue(), '', 'no set yet: a new one');
  const name = dialog.getByLabel('Name of the new test set', { exact: true });
  assert.equal(await name.inputValue(), 'From my chats');

  // Bad input is named, and the dialog keeps everything.
  const add = dialog.getByRole('button', { name: 'Add case', exact: true });
  await reference.fill('   ');
  await add.click();
  await dialog.getByRole('alert').filter({ hasText: 'The reference answer is empty' }).waitFor();
  await reference.fill('One white circle on each photo.');
  await use('one.jpg').uncheck();
  await use('two.png').uncheck();
  await add.click();
  await dialog.getByRole('alert').filter({ hasText: 'Choose at least one image' }).waitFor();
  assert.equal(await reference.inputValue(), 'One white circle on each photo.');
  await use('one.jpg').check();
  await dialog.getByRole('checkbox', { name: 'one.jpg is relevant', exact: true }).check();
  await dialog.getByLabel('Tags', { exact: true }).fill('en, count');
  await dialog.getByRole('radio', { name: 'any one part of it', exact: true }).check();
  await name.fill('Circles');
  assert.equal(await (await readStore(page, 'boda', 'test_sets')).length, 0, 'nothing was stored for the refused tries');
  await add.click();
  await dialog.waitFor({ state: 'hidden' });
  await page.getByRole('status').filter({ hasText: 'Added to “Circles”: now version 1, with 1 case(s).' }).waitFor();

  const images = await chatImages(page);
  let sets = await readStore(page, 'boda', 'test_sets');
  assert.equal(sets.length, 1);
  const [v1] = sets;
  assert.deepEqual([v1.version, v1.name, v1.sample, v1.cases.length], [1, 'Circles', false, 1]);
  const [c1] = v1.cases;
  assert.deepEqual(
    [c1.question, c1.reference, c1.mode, c1.tags],
    ['What do the photos share?', 'One white circle on each photo.', 'any', ['en', 'count']],
  );
  assert.deepEqual(c1.images.map((i) => [i.name, i.mime, i.relevant]), [['one.jpg', images['one.jpg'].mime, true]]);
  assert.notEqual(c1.images[0].id, images['one.jpg'].id, 'the case has a copy under an id of its own');
  let copies = await readStore(page, 'boda', 'eval_images');
  assert.equal(copies.length, 1);
  assert.deepEqual([copies[0].id, copies[0].set_id], [c1.images[0].id, v1.id]);
  assert.deepEqual(copies[0].blob, images['one.jpg'].blob, 'the copy has the chat image’s pixels');

  // The second turn, into the same set: version 2 has both cases; version 1 is kept as it was.
  await answer(page, 'Three circles.').getByRole('button', { name: 'Add to test set', exact: true }).click();
  await dialog.waitFor();
  for (const n of ['one.jpg', 'two.png', 'three.jpg']) assert.ok(await use(n).isChecked(), n);
  const set = dialog.getByLabel('Test set', { exact: true });
  await dialog.locator('#case-set option', { hasText: 'Circles (version 1, 1 case(s))' }).waitFor({ state: 'attached' });
  assert.equal(await set.inputValue(), v1.id, 'the set changed last is proposed');
  assert.equal(await dialog.getByLabel('Name of the new test set', { exact: true }).count(), 0);
  await add.click();
  await dialog.waitFor({ state: 'hidden' });
  await page.getByRole('status').filter({ hasText: 'Added to “Circles”: now version 2, with 2 case(s).' }).waitFor();

  sets = await readStore(page, 'boda', 'test_sets');
  assert.deepEqual(sets.map((s) => [s.id, s.version, s.cases.length]), [[v1.id, 1, 1], [v1.id, 2, 2]]);
  assert.deepEqual(sets[0], v1, 'version 1 is unchanged');
  const v2 = sets[1];
  assert.deepEqual(v2.cases[0], c1);
  const c2 = v2.cases[1];
  assert.notEqual(c2.id, c1.id);
  assert.deepEqual([c2.question, c2.reference, c2.mode, c2.tags], ['How many circles now?', 'Three circles.', 'all', []]);
  assert.deepEqual(c2.images.map((i) => i.name), ['one.jpg', 'two.png', 'three.jpg']);
  copies = await readStore(page, 'boda', 'eval_images');
  assert.equal(copies.length, 4);
  for (const image of c2.images) {
    const copy = copies.find((c) => c.id === image.id);
    assert.ok(copy, `${image.name} was copied`);
    assert.deepEqual(copy.blob, images[image.name].blob, image.name);
  }
  // The chat lost nothing.
  assert.equal((await readStore(page, 'boda', 'images')).length, 3);
});

test('a store failure while adding a case leaves the dialog open with what was written, and says so', opts, async () => {
  const { page } = session;
  await configure(page, world);
  await addImages(page, [await makeImage(page, { name: 'sign.jpg' })], 1);
  world.standin.script({ kind: 'stream', chunks: ['It says OPEN.'] });
  await ask(page, 'What does the sign say?');
  await answer(page, 'It says OPEN.').getByRole('button', { name: 'Add to test set', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Add to test set' });
  const reference = dialog.getByLabel('Reference answer', { exact: true });
  await reference.fill('OPEN');
  // Another tab upgrades the database: this tab's connection steps aside, and every write fails.
  await page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const r = indexedDB.open('boda', 1000);
        r.onsuccess = () => {
          r.result.close();
          resolve(undefined);
        };
        r.onerror = () => reject(r.error);
      }),
  );
  await dialog.getByRole('button', { name: 'Add case', exact: true }).click();
  const alert = dialog.getByRole('alert').filter({ hasText: 'The case was not added; everything you wrote is still here.' });
  await alert.waitFor();
  assert.match(await alert.innerText(), /Boda was updated in another tab/);
  assert.ok(await dialog.isVisible());
  assert.equal(await reference.inputValue(), 'OPEN');
  assert.equal(await dialog.getByLabel('Name of the new test set', { exact: true }).inputValue(), 'From my chats');
  assert.deepEqual(await readStore(page, 'boda', 'test_sets'), []);
  assert.deepEqual(await readStore(page, 'boda', 'eval_images'), []);
});

test('in Korean: "테스트 세트에 추가", its dialog, a default name in Korean, and the price in Korean words', opts, async () => {
  const { context, page, errors } = await openApp(world, { locale: 'ko-KR' });
  try {
    await page.getByRole('button', { name: '설정', exact: true }).click();
    const settings = page.getByRole('dialog');
    await settings.getByLabel('OpenAI API 키', { exact: true }).fill(KEY);
    await settings.getByLabel('API 기본 URL', { exact: true }).fill(world.standin.baseUrl);
    await settings.getByLabel('모델', { exact: true }).fill('gpt-4o-mini');
    await settings.getByRole('button', { name: '저장', exact: true }).click();
    await settings.waitFor({ state: 'hidden' });
    await addImages(page, [await makeImage(page, { name: 'IMG_0201.jpg' })], 1, { picker: '이미지 추가' });
    world.standin.script({ kind: 'stream', chunks: ['흰 원이 ', '하나 있어요.'], usage: { prompt_tokens: 2000, completion_tokens: 50 } });
    await page.getByLabel('메시지', { exact: true }).fill('사진에 뭐가 있어?');
    await page.getByRole('button', { name: '보내기', exact: true }).click();
    await waitIdle(page, 2);
    // 2000 × $0.15/M + 50 × $0.60/M = $0.00033.
    assert.equal(await answer(page, '흰 원이 하나 있어요.').locator('.cost').innerText(), '$0.00033');
    assert.equal(await page.locator('.chat-header .chat-cost').innerText(), '이 채팅: $0.00033');

    await answer(page, '흰 원이 하나 있어요.').getByRole('button', { name: '테스트 세트에 추가', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: '테스트 세트에 추가' });
    await dialog.waitFor();
    assert.ok(await dialog.getByRole('checkbox', { name: 'IMG_0201.jpg 사용', exact: true }).isChecked());
    await dialog.getByRole('checkbox', { name: 'IMG_0201.jpg 관련 있음', exact: true }).check();
    assert.equal(await dialog.getByLabel('질문', { exact: true }).inputValue(), '사진에 뭐가 있어?');
    const reference = dialog.getByLabel('기준 답변', { exact: true });
    await reference.fill('');
    await dialog.getByRole('button', { name: '케이스 추가', exact: true }).click();
    await dialog.getByRole('alert').filter({ hasText: '기준 답변이 비어 있어요' }).waitFor();
    await reference.fill('흰 원 하나');
    await dialog.getByLabel('태그', { exact: true }).fill('ko，개수');
    await dialog.getByRole('radio', { name: '한 부분만 있어도 돼요', exact: true }).check();
    assert.equal(await dialog.getByLabel('새 테스트 세트 이름', { exact: true }).inputValue(), '내 채팅에서 모은 케이스');
    await dialog.getByRole('button', { name: '케이스 추가', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('status').filter({ hasText: '“내 채팅에서 모은 케이스”에 추가했어요. 이제 버전 1, 케이스 1개예요.' }).waitFor();
    const [set] = await readStore(page, 'boda', 'test_sets');
    assert.deepEqual([set.name, set.version], ['내 채팅에서 모은 케이스', 1]);
    const [c] = set.cases;
    assert.deepEqual([c.question, c.reference, c.mode, c.tags], ['사진에 뭐가 있어?', '흰 원 하나', 'any', ['ko', '개수']]);
    assert.deepEqual(c.images.map((i) => [i.name, i.relevant]), [['IMG_0201.jpg', true]]);
    assert.equal((await readStore(page, 'boda', 'eval_images')).length, 1);
    assert.deepEqual(errors, [], 'no page errors');
  } finally {
    await context.close();
  }
});
