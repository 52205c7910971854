// What gives English away on a Korean screen: the English fragments of the interface catalogue and the
// countries' English labels, and the interface's own text on a page (without what people and models wrote).
// The same rule as i18n.test.mjs applies, for test files that check a page of their own in Korean.
//
// Does not open pages or assert anything but that the catalogue and the country list were read.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './openapi.mjs';

/** The catalogue's entries, read from its source: { key: { en, ko } }. */
export function catalogue() {
  const source = fs.readFileSync(path.join(REPO_ROOT, 'src/ui/i18n/catalogue.rs'), 'utf8');
  const block = (locale) => {
    const start = source.indexOf(`\n    ${locale}: {\n`);
    const end = source.indexOf('\n    },', start);
    return Object.fromEntries([...source.slice(start, end).matchAll(/^\s+(\w+): "(.*)",$/gm)].map((m) => [m[1], m[2]]));
  };
  const en = block('en');
  const ko = block('ko');
  assert.ok(Object.keys(en).length > 100, 'the catalogue was read');
  return Object.fromEntries(Object.keys(en).map((k) => [k, { en: en[k], ko: ko[k] }]));
}

/**
 * The countries' English labels, as the web search's country select shows them in English: Tavily's names
 * from the core's list, with capitals ("south korea" reads "South Korea"). They are not in the catalogue, so a
 * Korean select that fell back to them would otherwise pass.
 */
export function countryLabels() {
  const source = fs.readFileSync(path.join(REPO_ROOT, 'src/core/websearch/tavily.rs'), 'utf8');
  const start = source.indexOf('pub const COUNTRIES: &[&str] = &[');
  const list = source.slice(start, source.indexOf('];', start));
  const names = [...list.matchAll(/^\s+"([a-z ]+)",$/gm)].map((m) => m[1]);
  assert.ok(names.length > 100, 'the country list was read');
  return names.map((n) => n.replace(/\b[a-z]/g, (c) => c.toUpperCase()));
}

/**
 * The English fragments that would give an English string away: every literal piece of the catalogue between
 * `{{ values }}`, long enough to mean something, of the entries whose Korean differs, and the countries'
 * English labels.
 */
export function englishFragments() {
  const entries = Object.values(catalogue());
  const korean = entries.map((e) => e.ko).join('\n');
  const out = new Set();
  for (const { en, ko } of entries) {
    if (en === ko) continue;
    for (const piece of en.split(/\{\{[^}]*\}\}/)) {
      const p = piece.trim().replace(/^[\s.,:;·()“”]+|[\s.,:;·()“”]+$/g, '');
      if (p.length >= 4 && /[a-z]{3}/i.test(p) && !korean.includes(p)) out.add(p);
    }
  }
  for (const label of countryLabels()) out.add(label);
  return [...out];
}

/**
 * The interface's own text on the page: visible text, accessible names, placeholders and titles, without file
 * names, captions, tags, messages and model names (the person's and the model's words).
 */
export async function interfaceText(page) {
  return page.evaluate(() => {
    const copy = document.body.cloneNode(true);
    for (const el of copy.querySelectorAll(
      '.msg .plain, .msg .md, .msg .markdown, .caption textarea, .thumb-name, .wardrobe-name, .result-snippet, .chat-title, .result-chat, h1, img, .model, .brand',
    ))
      el.remove();
    const parts = [copy.innerText ?? copy.textContent];
    for (const el of copy.querySelectorAll('[aria-label], [placeholder], [title]')) {
      for (const a of ['aria-label', 'placeholder', 'title']) if (el.getAttribute(a)) parts.push(el.getAttribute(a));
    }
    parts.push(document.title);
    return parts.join('\n');
  });
}

/** Fails when any English fragment of the catalogue shows on the page (`where` names the screen). */
export async function assertNoEnglish(page, where) {
  const text = await interfaceText(page);
  const found = englishFragments().filter((f) => text.includes(f));
  assert.deepEqual(found, [], `English interface text on the ${where}:\n${text}`);
}
