// End-to-end: each image is described once, when added; the caption is stored with the model that wrote it,
// shown under the thumbnail, editable, sent with the image, and refreshed only on "Describe again". A caption
// typed while the model is still at work wins, and a model's refusal is reported, never stored as a caption.
// Images added before there was a key are described once a working key is saved.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readStore } from './harness.mjs';
import { errors as apiErrors, lastUserText } from './standin.mjs';
import { world, session } from './suite.mjs';
import { configure, makeImage, addImages, ask, chatRequests, captionRequests, until } from './app.mjs';

/**
 * Waits until the caption field of `name` holds text, and returns it. It asks the locator afresh each time:
 * a new caption re-renders the thumbnail, so an element handle taken earlier would go stale.
 */
async function captionOf(page, name) {
  const field = page.getByLabel(`Caption of ${name}`, { exact: true });
  return until(`a caption for ${name} appears`, () => field.inputValue(), (value) => value.trim() !== '');
}

test('captions are written once per image, across turns and a reload, and go out with the images', { timeout: 60_000 }, async () => {
  const { page } = session;
  await configure(page, world);
  await addImages(page, [await makeImage(page, { name: 'red.jpg', hue: 0 }), await makeImage(page, { name: 'blue.jpg', hue: 220 })], 2);
  const red = await captionOf(page, 'red.jpg');
  const blue = await captionOf(page, 'blue.jpg');
  assert.match(red, /^A test picture [0-9a-f]{8}/);
  assert.notEqual(red, blue, 'each image has its own caption');
  assert.equal(captionRequests(world).length, 2);
  for (const body of captionRequests(world)) assert.equal(body.max_completion_tokens, 160);
  const stored = await readStore(page, 'boda', 'images');
  assert.deepEqual(stored.map((i) => i.caption_model), ['gpt-4o-mini', 'gpt-4o-mini']);

  await ask(page, 'First question');
  await ask(page, 'Second question');
  await page.reload();
  assert.equal(await captionOf(page, 'red.jpg'), red);
  await ask(page, 'After the reload');
  assert.equal(captionRequests(world).length, 2, 'no caption is requested again');
  const labels = chatRequests(world).at(-1).messages[1].content.filter((p) => p.type === 'text').map((p) => p.text);
  assert.deepEqual(labels, [`Image 1: red.jpg — ${red}`, `Image 2: blue.jpg — ${blue}`]);
  assert.equal(lastUserText(chatRequests(world).at(-1)), 'After the reload');
  // Each image was embedded once, with its caption, not first by its bare name.
  const embedded = world.standin.requests.filter((r) => r.path.endsWith('/embeddings')).flatMap((r) => r.body.input);
  assert.deepEqual(embedded.filter((t) => t.startsWith('red.jpg') || t.startsWith('blue.jpg')).sort(), [`blue.jpg ${blue}`, `red.jpg ${red}`]);
});

test('a caption can be edited and described again; a failed caption says why and keeps the image', { timeout: 60_000 }, async () => {
  const { page } = session;
  await configure(page, world);
  world.standin.scriptPlain({ kind: 'error', ...apiErrors.server(500) });
  await addImages(page, [await makeImage(page, { name: 'dog.jpg', hue: 40 })], 1);
  await page.getByRole('alert').filter({ hasText: 'dog.jpg' }).filter({ hasText: 'could not be described' }).waitFor();
  assert.equal(await page.getByLabel('Caption of dog.jpg', { exact: true }).inputValue(), '');
  // Without a caption it is still embedded, by its name.
  const embedded = () => world.standin.requests.filter((r) => r.path.endsWith('/embeddings')).flatMap((r) => r.body.input);
  await until('the image is embedded by its name', embedded, (inputs) => inputs.includes('dog.jpg'), 5000);

  const item = page.getByRole('listitem').filter({ has: page.getByRole('button', { name: 'Remove dog.jpg' }) });
  world.standin.scriptPlain({ kind: 'json', content: 'A brown dog on grass.' });
  await item.getByRole('button', { name: 'Describe again', exact: true }).click();
  assert.equal(await captionOf(page, 'dog.jpg'), 'A brown dog on grass.');
  assert.equal(captionRequests(world).length, 2);

  const field = page.getByLabel('Caption of dog.jpg', { exact: true });
  await field.fill('My dog Bori on the lawn.');
  await field.blur();
  const [stored] = await until(
    'the edited caption is stored',
    () => readStore(page, 'boda', 'images'),
    (images) => images[0]?.caption === 'My dog Bori on the lawn.',
    5000,
  );
  assert.equal(stored.caption_model, 'you');
  await page.reload();
  assert.equal(await captionOf(page, 'dog.jpg'), 'My dog Bori on the lawn.');
  await page.getByText('by you').waitFor();
});

test('a caption typed while the model is still describing is kept; a refusal never becomes a caption', { timeout: 60_000 }, async () => {
  const { page } = session;
  await configure(page, world);
  world.standin.scriptPlain({ kind: 'json', content: 'A model caption of a fox.', delayMs: 2500 });
  await addImages(page, [await makeImage(page, { name: 'fox.jpg', hue: 20 })], 1);
  const field = page.getByLabel('Caption of fox.jpg', { exact: true });
  await page.getByText('Describing…', { exact: true }).waitFor();
  await field.fill('Our fox Yeowoo by the shed.');
  await field.blur();
  await page.getByRole('status').filter({ hasText: 'Kept the caption written for “fox.jpg”' }).waitFor();
  assert.equal(captionRequests(world).length, 1, 'the model was asked');
  const [stored] = await readStore(page, 'boda', 'images');
  assert.equal(stored.caption, 'Our fox Yeowoo by the shed.');
  assert.equal(stored.caption_model, 'you');
  assert.equal(await field.inputValue(), 'Our fox Yeowoo by the shed.');

  world.standin.scriptPlain({ kind: 'json', content: '', refusal: "I'm sorry, I can't help with that." });
  await addImages(page, [await makeImage(page, { name: 'owl.jpg', hue: 90 })], 2);
  await page
    .getByRole('alert')
    .filter({ hasText: '“owl.jpg” could not be described' })
    .filter({ hasText: 'The model declined: “I\'m sorry, I can\'t help with that.”' })
    .waitFor();
  assert.equal(await page.getByLabel('Caption of owl.jpg', { exact: true }).inputValue(), '');
  const owl = (await readStore(page, 'boda', 'images')).find((i) => i.name === 'owl.jpg');
  assert.ok(!owl.caption, 'no caption was stored');
});

test('images added before there is a key are described once a working key is saved', { timeout: 60_000 }, async () => {
  const { page } = session;
  await addImages(page, [await makeImage(page, { name: 'kite.jpg', hue: 300 }), await makeImage(page, { name: 'lamp.jpg', hue: 60 })], 2);
  await page.locator('button.new-chat').click();
  await page.waitForFunction(() => document.querySelectorAll('[aria-label="Images in this chat"] > li').length === 0);
  await addImages(page, [await makeImage(page, { name: 'vase.jpg', hue: 150 })], 1);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(captionRequests(world).length, 0, 'nothing is asked without a key');

  // One of the three is refused, so one image stays without a caption.
  world.standin.scriptPlain({ kind: 'json', content: '', refusal: 'I cannot describe this image.' });
  await configure(page, world);
  const images = await until(
    'all three images, in both chats, were asked for',
    () => readStore(page, 'boda', 'images'),
    (images) => images.filter((i) => i.caption).length >= 2 && captionRequests(world).length >= 3,
  );
  assert.equal(images.length, 3);
  assert.equal(images.filter((i) => i.caption_model === 'gpt-4o-mini').length, 2);
  await page.getByRole('alert').filter({ hasText: 'The model declined' }).waitFor();
  assert.equal(captionRequests(world).length, 3, 'one request per image');

  // Saving the same key again asks nothing more, not even for the image still without a caption.
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('dialog').waitFor({ state: 'hidden' });
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(captionRequests(world).length, 3);
});
