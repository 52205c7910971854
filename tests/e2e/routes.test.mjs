// End-to-end: chats have addresses. /chat/<id> opens that chat (also as the first page a tab loads, from a
// static server without rewrite rules, which answers with the build's 404.html), reloading stays there, Back
// and Forward move between the chats opened, / opens the most recent chat, and an unknown or deleted id says
// so with a way back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { world, session } from './suite.mjs';
import { configure, ask, log } from './app.mjs';

const opts = { timeout: 60_000 };

/** The id in the page's address, or null at `/`. */
async function chatInUrl(page) {
  const m = new URL(page.url()).pathname.match(/^\/chat\/([^/]+)$/);
  return m ? decodeURIComponent(m[1]) : null;
}

async function waitForChat(page, question) {
  await log(page).getByText(question, { exact: true }).waitFor();
  await page.waitForFunction(() => /^\/chat\/[^/]+$/.test(location.pathname));
}

test('deep links, reload, Back and Forward, and / opening the most recent chat', opts, async () => {
  const { page } = session;
  await configure(page, world);
  world.standin.script({ kind: 'stream', chunks: ['About the first.'] });
  await ask(page, 'First chat question');
  await waitForChat(page, 'First chat question');
  const first = await chatInUrl(page);
  assert.ok(first, 'the open chat has an address');

  await page.getByRole('button', { name: 'New chat', exact: true }).click();
  await page.waitForFunction((id) => !location.pathname.endsWith(id), first);
  world.standin.script({ kind: 'stream', chunks: ['About the second.'] });
  await ask(page, 'Second chat question');
  await waitForChat(page, 'Second chat question');
  const second = await chatInUrl(page);
  assert.ok(second && second !== first);

  // Reloading keeps the chat.
  await page.reload();
  await log(page).getByText('About the second.').waitFor();
  assert.equal(await chatInUrl(page), second);

  // Back to the first chat, Forward to the second.
  await page.goBack();
  await log(page).getByText('About the first.').waitFor();
  assert.equal(await chatInUrl(page), first);
  assert.equal(await log(page).getByText('Second chat question').count(), 0);
  await page.goForward();
  await log(page).getByText('About the second.').waitFor();
  assert.equal(await chatInUrl(page), second);

  // Opening a chat from the list puts it in the history too.
  await page.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name: 'First chat question', exact: true }).click();
  await log(page).getByText('About the first.').waitFor();
  assert.equal(await chatInUrl(page), first);
  await page.goBack();
  await log(page).getByText('About the second.').waitFor();

  // A deep link as the first page of a tab: the static server has no rewrite rules and answers 404.html.
  const other = await session.context.newPage();
  const response = await other.goto(`${world.site.origin}/chat/${encodeURIComponent(first)}`);
  assert.equal(response.status(), 404, 'a plain static host: no rewrite rule made this a 200');
  await log(other).getByText('About the first.').waitFor();
  assert.equal(await chatInUrl(other), first);

  // `/` opens the most recent chat (the second: its answer came last), and says so in the address.
  await other.goto(`${world.site.origin}/`);
  await log(other).getByText('About the second.').waitFor();
  await other.waitForFunction((id) => location.pathname === `/chat/${id}`, second);
  await other.close();
});

test('an unknown or deleted chat says it does not exist, with a way back', opts, async () => {
  const { page } = session;
  await configure(page, world);
  world.standin.script({ kind: 'stream', chunks: ['Kept.'] });
  await ask(page, 'Keep this chat');
  const kept = await chatInUrl(page);

  await page.goto(`${world.site.origin}/chat/no-such-chat`);
  await page.getByRole('heading', { name: 'This chat does not exist (any more)' }).waitFor();
  assert.equal(await log(page).count(), 0, 'no other chat is shown under its address');
  assert.equal(await page.getByLabel('Message', { exact: true }).count(), 0, 'nothing can be sent into it');
  await page.getByRole('link', { name: 'Open your latest chat' }).click();
  await log(page).getByText('Kept.').waitFor();
  assert.equal(await chatInUrl(page), kept);

  // A second chat, deleted: its address now says it does not exist any more.
  await page.getByRole('button', { name: 'New chat', exact: true }).click();
  await page.waitForFunction((id) => !location.pathname.endsWith(id), kept);
  await log(page).getByRole('heading', { name: 'Ask about your images' }).waitFor();
  world.standin.script({ kind: 'stream', chunks: ['Soon gone.'] });
  await ask(page, 'Delete me later');
  const doomed = await chatInUrl(page);
  assert.ok(doomed && doomed !== kept);
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Delete Delete me later', exact: true }).click();
  await log(page).getByText('Kept.').waitFor();
  assert.equal(await chatInUrl(page), kept, 'after a deletion the next chat opens, with its address');
  await page.goto(`${world.site.origin}/chat/${encodeURIComponent(doomed)}`);
  await page.getByRole('heading', { name: 'This chat does not exist (any more)' }).waitFor();
  assert.equal(await page.getByText('Soon gone.').count(), 0);
});
