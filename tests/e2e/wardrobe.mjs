// Helpers for end-to-end tests that need a wardrobe: filling one through the app's own buttons (photos added to
// a chat, captioned by the stand-in, kept with "Add to wardrobe"), and reading what the app stored of it.

import { readStore } from './harness.mjs';
import { makeImage, addImages, until } from './app.mjs';

/** The embedding space the stand-in's default model fills. */
export const SPACE = 'text-embedding-3-small';

/** The doc ids of each stored embedding space. */
export async function vectorIds(page) {
  const records = await readStore(page, 'boda', 'vectors');
  return Object.fromEntries(records.filter((r) => r.id.endsWith('/ids')).map((r) => [r.id.slice(0, -4), r.ids]));
}

/** The thumbnail of the image named `name` in the open chat's strip. */
export function thumb(page, name) {
  return page.locator('ul.image-strip > li.thumb').filter({ has: page.getByRole('button', { name: `Remove ${name}`, exact: true }) });
}

/**
 * Adds `names.length` photos to the open chat (each captioned by `world`'s stand-in with the next of
 * `captions`, in the order the app asks), keeps every one with "Add to wardrobe", and waits until the wardrobe
 * holds them with their captions and their vectors are stored. Returns the wardrobe's records.
 */
export async function fillWardrobe(page, world, names, captions) {
  world.standin.scriptPlain(...captions.map((content) => ({ kind: 'json', content })));
  const files = [];
  for (const [i, name] of names.entries()) files.push(await makeImage(page, { name, width: 320, height: 240, hue: i * 7 }));
  await addImages(page, files, names.length);
  await until(
    'every photo has its caption',
    () => readStore(page, 'boda', 'images'),
    (images) => images.length === names.length && images.every((i) => captions.includes(i.caption)),
    60_000,
  );
  // The strip shows the captions once they are stored; "Add to wardrobe" copies the record as shown.
  await until('the captions show', () => page.locator('.caption textarea').evaluateAll((ts) => ts.filter((t) => t.value).length), (n) => n === names.length);
  for (const name of names) await thumb(page, name).getByRole('button', { name: 'Add to wardrobe', exact: true }).click();
  const items = await until(
    'the wardrobe holds every photo with its caption',
    () => readStore(page, 'boda', 'wardrobe'),
    (items) => items.length === names.length && items.every((i) => captions.includes(i.caption)),
    60_000,
  );
  await until(
    'the wardrobe items are embedded and stored',
    () => vectorIds(page),
    (s) => (s[SPACE] ?? []).filter((d) => d.startsWith('w:wardrobe:')).length === names.length,
    60_000,
  );
  return items;
}
