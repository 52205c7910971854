// End-to-end: Boda in Korean. A browser whose language is Korean gets the Korean interface; a whole session
// is driven by the Korean accessible names only; no English text of the catalogue shows on the main screens;
// and switching the language in Settings re-renders everything at once, errors stored earlier included.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errors as apiErrors, lastUserText } from './standin.mjs';
import { startWorld, openApp, makeImage, addImages, waitIdle, chatRequests, captionRequests, log, until, KEY } from './app.mjs';
import { readStore } from './harness.mjs';
import { assertNoEnglish } from './english.mjs';

const opts = { timeout: 90_000 };

test('a Korean session by its Korean names: two photos, two questions, reload, search, an error; no English shows', opts, async () => {
  const world = await startWorld();
  try {
    const { context, page, errors } = await openApp(world, { locale: 'ko-KR' });
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'ko');
    assert.equal(await page.title(), '보다 Boda');
    await page.getByRole('button', { name: '새 채팅', exact: true }).waitFor();
    await page.getByRole('searchbox', { name: '채팅 검색', exact: true }).waitFor();
    await page.getByRole('status').filter({ hasText: '설정을 열고 OpenAI API 키를 입력하면' }).waitFor();
    await assertNoEnglish(page, 'empty start');

    // Settings, by its Korean names.
    await page.getByRole('button', { name: '설정', exact: true }).click();
    const dialog = page.getByRole('dialog');
    assert.equal(await dialog.getByLabel('언어', { exact: true }).inputValue(), 'ko');
    await assertNoEnglish(page, 'Settings dialog');
    await dialog.getByLabel('OpenAI API 키', { exact: true }).fill(KEY);
    await dialog.getByLabel('API 기본 URL', { exact: true }).fill(world.standin.baseUrl);
    await dialog.getByLabel('모델', { exact: true }).fill('gpt-4o-mini');
    await dialog.getByRole('button', { name: '저장', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('status').filter({ hasText: '키가 작동해요' }).waitFor();

    // Two photos; their captions are asked for in Korean (the interface's language).
    const dog = await makeImage(page, { name: 'IMG_0101.jpg', hue: 30 });
    const cat = await makeImage(page, { name: 'IMG_0102.jpg', hue: 200 });
    await addImages(page, [dog, cat], 2, { picker: '이미지 추가' });
    await until('both captions were asked for', () => captionRequests(world).length, (n) => n === 2);
    for (const r of captionRequests(world)) {
      assert.match(r.messages[0].content[0].text, /Write it in Korean \(한국어\)/);
    }
    await page.getByRole('button', { name: 'IMG_0101.jpg 삭제', exact: true }).waitFor();

    const ask = async (question, chunks) => {
      world.standin.script({ kind: 'stream', chunks });
      const before = await log(page).getByRole('article').count();
      await page.getByLabel('메시지', { exact: true }).fill(question);
      await page.getByRole('button', { name: '보내기', exact: true }).click();
      await waitIdle(page, before + 2);
    };
    await ask('두 사진의 공통점이 뭐야?', ['두 사진 모두 ', '가운데에 **흰 원**이 있어요.']);
    await ask('두 사진의 차이점이 뭐야?', ['하나는 따뜻한 색이고, ', '다른 하나는 푸른색이에요.']);
    const [, second] = chatRequests(world);
    assert.equal(lastUserText(second), '두 사진의 차이점이 뭐야?');
    assert.ok(second.messages.some((m) => m.content === '두 사진의 공통점이 뭐야?'), 'the first question goes along');
    await log(page).getByText('컨텍스트: 이미지 2개 첨부 (이 채팅의 전부), 메시지 0개 불러옴', { exact: true }).first().waitFor();
    await page.getByRole('button', { name: '다시 생성', exact: true }).waitFor();
    await assertNoEnglish(page, 'chat with two answers');

    // The assistants, by the message box and in their dialog, in Korean.
    await page.getByRole('combobox', { name: '어시스턴트', exact: true }).waitFor();
    await page.getByRole('button', { name: '어시스턴트 관리', exact: true }).click();
    await page.getByRole('dialog', { name: '어시스턴트 목록' }).getByText('스타일 어드바이저', { exact: true }).waitFor();
    await assertNoEnglish(page, 'Assistants dialog');
    await page.getByRole('dialog').getByRole('button', { name: '닫기', exact: true }).click();

    // Reload: the chat is still there, in Korean, titled by its first question.
    await page.reload();
    await log(page).getByText('다른 하나는 푸른색이에요.', { exact: false }).waitFor();
    await page.getByRole('navigation', { name: '채팅 목록' }).getByText('두 사진의 공통점이 뭐야?').waitFor();

    // Search chats, in Korean.
    await page.getByRole('searchbox', { name: '채팅 검색', exact: true }).fill('차이점');
    const results = page.getByRole('list', { name: '검색 결과' });
    await results.getByText('차이점', { exact: false }).first().waitFor();
    await assertNoEnglish(page, 'search results');
    await page.getByRole('searchbox', { name: '채팅 검색', exact: true }).fill('');

    // Stop (중지) keeps what arrived.
    world.standin.script({ kind: 'stream', chunks: ['천천히 ', '오는 ', '답변', '이에요', '.'], delayMs: 400 });
    const before = await log(page).getByRole('article').count();
    await page.getByLabel('메시지', { exact: true }).fill('천천히 말해 줘');
    await page.getByRole('button', { name: '보내기', exact: true }).click();
    await log(page).getByText('천천히', { exact: false }).last().waitFor();
    await page.getByRole('button', { name: '중지', exact: true }).click();
    await waitIdle(page, before + 2);

    // An error, in Korean, in an alert and with the stored answer.
    world.standin.script(apiErrors.server(503));
    await page.getByLabel('메시지', { exact: true }).fill('세 번째 질문이에요');
    await page.getByRole('button', { name: '보내기', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: '서버에 문제가 생겼어요 (503)' }).waitFor();
    await log(page).getByText('서버에 문제가 생겼어요 (503)', { exact: false }).waitFor();
    await page.getByRole('button', { name: '다시 시도', exact: true }).waitFor();
    await assertNoEnglish(page, 'chat with an error');

    await context.close();
    assert.deepEqual(world.standin.violations, []);
    assert.deepEqual(errors, []);
  } finally {
    await world.close();
  }
});

test('switching the language re-renders everything at once, a stored error and its Context included', opts, async () => {
  const world = await startWorld();
  try {
    const { context, page, errors } = await openApp(world);
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByLabel('OpenAI API key', { exact: true }).fill(KEY);
    await page.getByLabel('API base URL', { exact: true }).fill(world.standin.baseUrl);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    world.standin.script({ kind: 'drop', chunks: ['The first half'] });
    await page.getByLabel('Message', { exact: true }).fill('Will this arrive?');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await log(page).getByText('The connection dropped before the answer finished.', { exact: false }).waitFor();
    await page.getByRole('alert').filter({ hasText: 'The connection dropped' }).waitFor();

    // The stored record keeps a kind, not a sentence.
    const stored = await readStore(page, 'boda', 'messages');
    const failed = stored.find((m) => m.role === 'assistant');
    assert.deepEqual(failed.error, { api: { error: 'stream_cut' } });

    // To Korean: the open chat, its stored error, the alert, the buttons and the page title at once.
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByLabel('Language', { exact: true }).selectOption('ko');
    await page.getByRole('dialog').getByRole('heading', { name: '설정' }).waitFor();
    // The open dialog's country select too: Korean names in 가나다순, the same values.
    const country = page.getByLabel('우선할 국가', { exact: true });
    assert.equal(await country.locator('option[value="south korea"]').textContent(), '대한민국');
    assert.equal(await country.locator('option').nth(2).getAttribute('value'), 'ghana');
    await assertNoEnglish(page, 'Settings dialog after switching to Korean');
    await page.getByRole('button', { name: '닫기', exact: true }).click();
    await log(page).getByText('답변이 끝나기 전에 연결이 끊겼어요.', { exact: false }).waitFor();
    await page.getByRole('alert').filter({ hasText: '답변이 끝나기 전에 연결이 끊겼어요.' }).waitFor();
    await page.getByRole('button', { name: '다시 시도', exact: true }).waitFor();
    assert.equal(await page.title(), '보다 Boda');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'ko');

    // Captions follow the interface unless Settings says otherwise: here English, with Korean captions.
    await page.getByRole('button', { name: '설정', exact: true }).click();
    await page.getByLabel('이미지 설명 언어', { exact: true }).selectOption('ko');
    await page.getByLabel('언어', { exact: true }).selectOption('en');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    const asked = captionRequests(world).length;
    await addImages(page, [await makeImage(page, { name: 'IMG_0201.jpg' })], 1);
    await until('the caption was asked for', () => captionRequests(world).length, (n) => n > asked);
    assert.match(captionRequests(world).at(-1).messages[0].content[0].text, /Write it in Korean \(한국어\)/);
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByLabel('Language', { exact: true }).selectOption('ko');
    await page.getByRole('button', { name: '닫기', exact: true }).click();

    // Remembered across a reload, whatever the browser's language.
    await page.reload();
    await log(page).getByText('답변이 끝나기 전에 연결이 끊겼어요.', { exact: false }).waitFor();
    await page.getByRole('button', { name: '설정', exact: true }).click();
    await page.getByLabel('언어', { exact: true }).selectOption('en');
    await page.getByRole('dialog').getByRole('heading', { name: 'Settings' }).waitFor();
    await page.getByRole('button', { name: 'Close', exact: true }).click();
    await log(page).getByText('The connection dropped before the answer finished.', { exact: false }).waitFor();

    await context.close();
    assert.deepEqual(world.standin.violations, []);
    assert.deepEqual(errors, []);
  } finally {
    await world.close();
  }
});
