// End-to-end: assistants (presets). An assistant of one's own is made in "Edit assistants", chosen by the
// message box, kept with the chat across a reload and shown in its header, and its system prompt (and model)
// is what the stand-in receives; Style advisor's prompt likewise. Built-in assistants cannot be edited or
// deleted, only duplicated; deleting one's own brings the chats that used it back to Image Q&A. In Korean,
// the assistants are named in Korean.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readStore } from './harness.mjs';
import { world, session } from './suite.mjs';
import { configure, ask, chatRequests, until, openApp } from './app.mjs';

const opts = { timeout: 90_000 };

const IMAGE_QA = 'You are Boda, an assistant that answers questions about the images';
const STYLE_ADVISOR = "You are Boda's style advisor, a personal stylist";
const PIP = 'You are Pip, a tailor who names the thread count of every shirt. (marker ZX-PRESET-7)';

/** The system message of the last turn the stand-in received. */
function lastSystem() {
  const body = chatRequests(world).at(-1);
  assert.equal(body.messages[0].role, 'system');
  return body.messages[0].content;
}

const assistantSelect = (page, name = 'Assistant') => page.getByRole('combobox', { name, exact: true });

/** The label of the assistant the select shows. */
async function chosen(page, name) {
  return assistantSelect(page, name).evaluate((s) => s.selectedOptions[0]?.textContent ?? '');
}

/** The assistant named in the open chat's header. */
async function header(page) {
  return (await page.locator('.chat-header .chat-preset').innerText()).trim();
}

async function openAssistants(page) {
  await page.getByRole('button', { name: 'Edit assistants', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Assistants' });
  await dialog.waitFor();
  return dialog;
}

/** The stored record of the open chat (the one the address names). */
async function storedChat(page) {
  const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
  return (await readStore(page, 'boda', 'chats')).find((c) => c.id === id);
}

test('a preset survives a reload and changes the system prompt sent', opts, async () => {
  const { page } = session;
  await configure(page, world);
  assert.equal(await chosen(page), 'Image Q&A', 'Image Q&A is the default');
  const options = await assistantSelect(page).locator('option').allTextContents();
  assert.deepEqual(options, ['Image Q&A', 'Style advisor']);

  // Today's behaviour first: Image Q&A's prompt.
  await ask(page, 'What is in the picture?');
  assert.ok(lastSystem().startsWith(IMAGE_QA), lastSystem());
  assert.equal(await header(page), 'Image Q&A');

  // An assistant of one's own, with its own model and web search on by default.
  const dialog = await openAssistants(page);
  await dialog.getByRole('button', { name: 'New assistant', exact: true }).click();
  await dialog.getByRole('button', { name: 'Save', exact: true }).click();
  await dialog.getByRole('alert').getByText('Give the assistant a name.').waitFor();
  await dialog.getByRole('alert').getByText('Write a system prompt: it tells the model how to answer.').waitFor();
  await dialog.getByLabel('Name', { exact: true }).fill('Style advisor');
  await dialog.getByLabel('System prompt', { exact: true }).fill(PIP);
  await dialog.getByRole('button', { name: 'Save', exact: true }).click();
  await dialog.getByRole('alert').getByText('There is already an assistant called “Style advisor”.').waitFor();
  await dialog.getByLabel('Name', { exact: true }).fill('Pip the tailor');
  await dialog.getByLabel('Default model', { exact: true }).fill('gpt-4.1-mini');
  await dialog.getByRole('checkbox', { name: 'Web search on by default', exact: true }).check();
  await dialog.getByRole('button', { name: 'Save', exact: true }).click();
  await dialog.getByRole('button', { name: 'Edit Pip the tailor', exact: true }).waitFor();
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  await dialog.waitFor({ state: 'hidden' });
  const [pip] = await readStore(page, 'boda', 'presets');
  assert.deepEqual(
    { name: pip.name, system_prompt: pip.system_prompt, model: pip.model, web_search: pip.web_search },
    { name: 'Pip the tailor', system_prompt: PIP, model: 'gpt-4.1-mini', web_search: true },
  );

  // Chosen in the open chat: stored with it, named in its header, and web search starts on.
  const webSearch = page.getByRole('checkbox', { name: 'Web search', exact: true });
  assert.equal(await webSearch.isChecked(), false);
  await assistantSelect(page).selectOption({ label: 'Pip the tailor' });
  await until('the chat stores its assistant', () => storedChat(page), (c) => c?.preset === pip.id);
  assert.equal(await header(page), 'Pip the tailor');
  assert.equal(await webSearch.isChecked(), true, "web search follows the assistant's default");
  await webSearch.uncheck();

  await page.reload();
  await page.getByRole('button', { name: 'Settings', exact: true }).waitFor();
  await until('the chat shows again', () => page.getByRole('log').getByRole('article').count(), (n) => n === 2);
  assert.equal(await chosen(page), 'Pip the tailor');
  assert.equal(await header(page), 'Pip the tailor');
  assert.equal(await webSearch.isChecked(), true, 'a reload starts from the default again');

  await ask(page, 'Which shirt should I iron?');
  assert.ok(lastSystem().startsWith(`${PIP} No images have been shared`), lastSystem());
  assert.equal(chatRequests(world).at(-1).model, 'gpt-4.1-mini');
  const answers = (await readStore(page, 'boda', 'messages')).filter((m) => m.role === 'assistant');
  assert.deepEqual(answers.map((m) => m.model).sort(), ['gpt-4.1-mini', 'gpt-4o-mini'], 'each answer names its model');

  // Style advisor: its prompt, the model in Settings, and no web search by default.
  await assistantSelect(page).selectOption({ label: 'Style advisor' });
  await until('the chat stores Style advisor', () => storedChat(page), (c) => c?.preset === 'style-advisor');
  assert.equal(await webSearch.isChecked(), false);
  await ask(page, 'What goes with a navy blazer?');
  assert.ok(lastSystem().startsWith(STYLE_ADVISOR), lastSystem());
  assert.ok(!lastSystem().includes('ZX-PRESET-7'));
  assert.equal(chatRequests(world).at(-1).model, 'gpt-4o-mini');
  assert.equal(await header(page), 'Style advisor');

  // A new chat starts with the assistant chosen last.
  await page.getByRole('button', { name: 'New chat', exact: true }).click();
  await until('a new chat is open', () => page.getByRole('log').getByRole('article').count(), (n) => n === 0);
  assert.equal(await chosen(page), 'Style advisor');
  await ask(page, 'And for a wedding?');
  assert.ok(lastSystem().startsWith(STYLE_ADVISOR), lastSystem());
});

test('built-ins can only be duplicated; deleting the assistant a chat uses brings it back to Image Q&A', opts, async () => {
  const { page } = session;
  await configure(page, world);
  const dialog = await openAssistants(page);
  for (const name of ['Image Q&A', 'Style advisor']) {
    await dialog.getByRole('button', { name: `Duplicate ${name}`, exact: true }).waitFor();
    assert.equal(await dialog.getByRole('button', { name: `Edit ${name}`, exact: true }).count(), 0);
    assert.equal(await dialog.getByRole('button', { name: `Delete ${name}`, exact: true }).count(), 0);
  }

  // A duplicate of Style advisor is one's own: named as a copy, with its prompt, editable.
  await dialog.getByRole('button', { name: 'Duplicate Style advisor', exact: true }).click();
  const name = dialog.getByLabel('Name', { exact: true });
  await until('the copy opens in the form', () => name.inputValue(), (v) => v === 'Style advisor (copy)');
  assert.ok((await dialog.getByLabel('System prompt', { exact: true }).inputValue()).startsWith(STYLE_ADVISOR));
  assert.equal(await dialog.getByRole('checkbox', { name: 'Use wardrobe', exact: true }).isChecked(), true);
  await name.fill('My stylist');
  await dialog.getByRole('button', { name: 'Save', exact: true }).click();
  await dialog.getByRole('button', { name: 'Delete My stylist', exact: true }).waitFor();
  // A second copy gets the next free name.
  await dialog.getByRole('button', { name: 'Duplicate Style advisor', exact: true }).click();
  await until('the second copy opens', () => name.inputValue(), (v) => v === 'Style advisor (copy)');
  await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
  await dialog.getByRole('button', { name: 'Duplicate Style advisor', exact: true }).click();
  await until('a third copy is numbered', () => name.inputValue(), (v) => v === 'Style advisor (copy 2)');
  await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();

  await assistantSelect(page).selectOption({ label: 'My stylist' });
  await ask(page, 'Does this jacket fit?');
  assert.ok(lastSystem().startsWith(STYLE_ADVISOR), lastSystem());
  assert.equal(await header(page), 'My stylist');
  const mine = (await readStore(page, 'boda', 'presets')).find((p) => p.name === 'My stylist');
  assert.equal((await storedChat(page)).preset, mine.id);

  // Deleted (after a confirmation): the chat that used it is Image Q&A again, in the store too.
  await openAssistants(page);
  page.once('dialog', (d) => d.accept());
  await dialog.getByRole('button', { name: 'Delete My stylist', exact: true }).click();
  await dialog.getByRole('button', { name: 'Delete My stylist', exact: true }).waitFor({ state: 'detached' });
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  assert.equal(await chosen(page), 'Image Q&A');
  assert.equal(await header(page), 'Image Q&A');
  assert.ok(!(await assistantSelect(page).locator('option').allTextContents()).includes('My stylist'));
  assert.equal((await storedChat(page)).preset, undefined);
  await ask(page, 'And now?');
  assert.ok(lastSystem().startsWith(IMAGE_QA), lastSystem());
  await page.reload();
  await until('the chat shows again', () => page.getByRole('log').getByRole('article').count(), (n) => n === 4);
  assert.equal(await chosen(page), 'Image Q&A');
  // New chats too: the deleted assistant was the one chosen last.
  await page.getByRole('button', { name: 'New chat', exact: true }).click();
  await until('a new chat is open', () => page.getByRole('log').getByRole('article').count(), (n) => n === 0);
  assert.equal(await chosen(page), 'Image Q&A');
});

test('in Korean, the assistants, their copies and the problems are named in Korean', opts, async () => {
  const { context, page, errors } = await openApp(world, { locale: 'ko-KR' });
  try {
    const select = assistantSelect(page, '어시스턴트');
    assert.deepEqual(await select.locator('option').allTextContents(), ['이미지 Q&A', '스타일 어드바이저']);
    await page.getByRole('checkbox', { name: '웹 검색', exact: true }).waitFor();
    assert.equal(await header(page), '이미지 Q&A');
    await select.selectOption({ label: '스타일 어드바이저' });
    await until('the header names it', () => header(page), (h) => h === '스타일 어드바이저');

    await page.getByRole('button', { name: '어시스턴트 관리', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: '어시스턴트 목록' });
    await dialog.getByText('기본 제공', { exact: true }).first().waitFor();
    await dialog.getByRole('button', { name: '스타일 어드바이저 복제', exact: true }).click();
    const name = dialog.getByLabel('이름', { exact: true });
    await until('the copy is named in Korean', () => name.inputValue(), (v) => v === '스타일 어드바이저 (사본)');
    await name.fill('');
    await dialog.getByRole('button', { name: '저장', exact: true }).click();
    await dialog.getByRole('alert').getByText('어시스턴트 이름을 입력하세요.').waitFor();
    await name.fill('이미지 Q&A');
    await dialog.getByRole('button', { name: '저장', exact: true }).click();
    await dialog.getByRole('alert').getByText('“이미지 Q&A” 이름의 어시스턴트가 이미 있어요.').waitFor();
    await name.fill('나의 스타일리스트');
    await dialog.getByRole('button', { name: '저장', exact: true }).click();
    await dialog.getByRole('button', { name: '나의 스타일리스트 삭제', exact: true }).waitFor();
    await dialog.getByRole('button', { name: '닫기', exact: true }).click();
    assert.ok((await select.locator('option').allTextContents()).includes('나의 스타일리스트'));
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
