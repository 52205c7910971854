// End-to-end: the Evaluate page (issue 10), driven by its accessible names in headless Chromium against the
// stand-in. The sample set installs once (its drawings stored as PNGs) and stays deleted when deleted; a run of
// the sample set on the two default configurations asks every case once per configuration, has each answer
// judged once (faithfulness only where retrieval gave context) and stores the scores the stand-in's computed
// verdicts imply; its report (the table "Report", one row per configuration) shows n and the correctness those
// verdicts imply, the same after a reload, in its CSV, and after Export JSON and Import in another browser; a
// person's score moves the agreement figure; pairwise comparison asks both orders and counts their disagreement
// as a tie. Cancel then Resume (also across a reload) asks nothing twice, and a reload mid-run asks again only
// what was in flight; a 429 storm slows a run without losing anything; a test set exported and imported again
// comes back whole, and a foreign or broken file is refused with its reason; "New test set" and "Add case"
// make versions. A configuration with web search plans and searches each case and counts its credits; one with
// the wardrobe carries the items each question calls for (and will not start with an empty wardrobe), and its
// faithfulness is checked against their captions.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { readStore } from './harness.mjs';
import {
  answersByModel,
  correctnessVerdict,
  faithfulnessClaims,
  JUDGE_SCHEMAS,
  lastUserText,
  pairwiseVerdict,
  splitChunks,
  usageFor,
} from './standin.mjs';
import { startWorld, openApp, configure, makeImage, until } from './app.mjs';

/** The judge the runs use: one the stand-in lists (the app's default, gpt-4.1, it does not). */
const JUDGE = 'gpt-4.1-mini';
const SAMPLE_CASES = 34;
const SAMPLE_IMAGES = 20;

/** @type {Awaited<ReturnType<typeof startWorld>>} */
let world;
before(async () => {
  world = await startWorld();
});
after(async () => {
  await world?.close();
});

/**
 * A fresh browser context at /evaluate (a fresh IndexedDB) for `fn`; afterwards every request must have
 * validated against the OpenAI spec and the page must have logged no errors.
 */
async function withApp(fn, { locale = 'en-US', path = '/evaluate' } = {}) {
  world.standin.reset();
  const app = await openApp(world, { locale, path });
  try {
    await fn(app);
  } finally {
    await app.context.close();
  }
  assert.deepEqual(world.standin.violations, [], 'every request must validate against the OpenAI spec');
  assert.deepEqual(app.errors, [], 'no page errors');
}

/** Waits until the sample set is installed: its line says version 1 with 34 cases. */
async function sampleInstalled(page) {
  await page.getByText(`version 1 · ${SAMPLE_CASES} cases`, { exact: true }).waitFor({ timeout: 30_000 });
}

/** The POST bodies the stand-in received from index `from` on, as JSON texts. */
function postBodies(from = 0) {
  return world.standin.requests
    .slice(from)
    .filter((r) => r.method === 'POST')
    .map((r) => JSON.stringify(r.body));
}

/** Asserts that no request body among those from index `from` on came twice. */
function assertNoneTwice(from = 0, what = 'no request was sent twice') {
  const bodies = postBodies(from);
  const seen = new Map();
  for (const b of bodies) seen.set(b, (seen.get(b) ?? 0) + 1);
  const twice = [...seen].filter(([, n]) => n > 1).map(([b]) => b.slice(0, 300));
  assert.deepEqual(twice, [], what);
  return bodies.length;
}

/** The test set records stored (one per version). */
async function storedSets(page) {
  return readStore(page, 'boda', 'test_sets');
}

/**
 * Makes a test set through "New test set" (its first case) and "Add case" (each further one). A case is
 * {question, reference, image: {name, hue}}. Waits until the list shows the newest version.
 */
async function makeSet(page, name, cases) {
  for (const [i, c] of cases.entries()) await addCase(page, name, c, i + 1);
}

/**
 * Adds one case: with version 1, through "New test set" (naming the set), else through the set's "Add case";
 * waits until the list shows that version.
 */
async function addCase(page, name, c, version) {
  const title = version === 1 ? 'New test set' : `Add a case to ${name}`;
  await page.getByRole('button', { name: title, exact: true }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('heading', { name: title, exact: true }).waitFor();
  if (version === 1) await dialog.getByLabel('Test set name', { exact: true }).fill(name);
  const file = await makeImage(page, { name: c.image.name, width: 320, height: 240, hue: c.image.hue });
  await dialog.getByLabel('Add images', { exact: true }).setInputFiles(file);
  await dialog.getByRole('img', { name: c.image.name, exact: true }).waitFor();
  await dialog.getByLabel('Question', { exact: true }).fill(c.question);
  await dialog.getByLabel('Reference answer', { exact: true }).fill(c.reference);
  await dialog.getByRole('button', { name: 'Save case', exact: true }).click();
  await dialog.waitFor({ state: 'hidden' });
  const cases = version === 1 ? '1 case' : `${version} cases`;
  await setItem(page, name).getByText(`version ${version} · ${cases}`, { exact: true }).waitFor();
}

/** A test set's line in the list of sets. */
function setItem(page, name) {
  return page
    .getByRole('region', { name: 'Test sets' })
    .getByRole('listitem')
    .filter({ has: page.getByText(name, { exact: true }) });
}

/** Small cases for runs that need not take the sample set's time. */
function smallCases(n) {
  const colours = ['red', 'green', 'blue', 'yellow', 'purple', 'orange'];
  return Array.from({ length: n }, (_, i) => ({
    question: `Case ${i + 1}: which colour is the circle's background in picture ${i + 1}?`,
    reference: `a ${colours[i]} gradient with a white circle`,
    image: { name: `picture-${i + 1}.png`, hue: 40 * i },
  }));
}

/**
 * Fills the run's set-up: the set (by its option's label), the judge, and how many requests go at once; the
 * two default configurations stay (gpt-4o-mini with retrieval k = 2, and gpt-4o).
 */
async function setUpRun(page, { set, concurrency } = {}) {
  const setup = page.getByRole('region', { name: 'New run' });
  if (set) await setup.getByLabel('Test set', { exact: true }).selectOption({ label: set });
  await setup.getByLabel('Judge model', { exact: true }).fill(JUDGE);
  if (concurrency !== undefined) await setup.getByLabel('Requests at once', { exact: true }).fill(String(concurrency));
  assert.equal(await setup.getByLabel('Model of configuration 1', { exact: true }).inputValue(), 'gpt-4o-mini');
  assert.equal(await setup.getByLabel('Model of configuration 2', { exact: true }).inputValue(), 'gpt-4o');
  assert.equal(await setup.getByLabel('Retrieval for configuration 1', { exact: true }).isChecked(), true);
  assert.equal(await setup.getByLabel('Images attached by configuration 1', { exact: true }).inputValue(), '2');
  assert.equal(await setup.getByLabel('Retrieval for configuration 2', { exact: true }).isChecked(), false);
}

/** Presses "Start run", waits for the run's own address, and returns its id. */
async function startRun(page) {
  await page.getByRole('button', { name: 'Start run', exact: true }).click();
  await page.waitForFunction(() => /^\/evaluate\/run\/[^/]+$/.test(location.pathname));
  return decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
}

/** The run's state line ("Finished", "Cancelled", …) on its page. */
async function waitState(page, state, timeout = 60_000) {
  await page.locator('.run-state').getByText(state, { exact: true }).waitFor({ timeout });
}

/** The counts line of the run's progress ("3 of 8 · 1 failed"). */
async function counts(page) {
  return page.locator('.run-counts').first().innerText();
}

/** The stored results of one run. */
async function results(page, runId) {
  return (await readStore(page, 'boda', 'eval_results')).filter((r) => r.run_id === runId);
}

/** The two default configurations' labels in the report. */
const SMALL_LABEL = 'gpt-4o-mini + retrieval (k = 2)';
const BIG_LABEL = 'gpt-4o';

/**
 * The table named "Report": one object per row, keyed by the column headers (the first column as
 * `configuration`). Waits until it shows.
 */
async function reportRows(page) {
  const table = page.getByRole('table', { name: 'Report', exact: true });
  await table.waitFor();
  const headers = await table.getByRole('columnheader').allInnerTexts();
  const rows = [];
  for (const row of await table.getByRole('row').all()) {
    const cells = await row.locator('th[scope=row], td').allInnerTexts();
    if (cells.length === 0) continue;
    rows.push(Object.fromEntries(cells.map((c, i) => [i === 0 ? 'configuration' : headers[i], c.trim()])));
  }
  return rows;
}

/**
 * The agreement line for pairs [judge passes, person passes] (a pass is 0.5 or more): the share that agree and
 * Cohen's κ, "–" when chance agreement is 1 and κ has no value.
 */
function agreementText(pairs) {
  const n = pairs.length;
  const agree = pairs.filter(([j, h]) => j === h).length / n;
  const judge = pairs.filter(([j]) => j).length / n;
  const person = pairs.filter(([, h]) => h).length / n;
  const chance = judge * person + (1 - judge) * (1 - person);
  const kappa = chance === 1 ? '–' : ((agree - chance) / (1 - chance)).toFixed(2);
  return `Judge and person agree on pass or fail for ${(agree * 100).toFixed(0)}% of the ${n} cases a person scored (Cohen’s κ = ${kappa}).`;
}

/** The rows of an RFC 4180 CSV text (quoted cells may hold commas, quotes and line breaks). */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i += 1;
    } else cell += ch;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

/** How many streamed answers the stand-in received from `model`. */
function answerCalls(model) {
  return world.standin.count({ kind: 'answer', model });
}

/**
 * A scripted streamed answer that takes about `ms` to arrive, with the answer `answer(body)` (the queue is
 * consumed one per streamed request, before `answerFor`).
 */
function slowAnswer(answer, ms) {
  return (body) => {
    const text = answer(body) ?? 'No canned answer.';
    const chunks = splitChunks(text, 8);
    return { kind: 'stream', chunks, delayMs: Math.ceil(ms / (chunks.length + 1)), usage: usageFor(body, text) };
  };
}

/** Canned answers for small cases: gpt-4o names the colour, gpt-4o-mini gets it half right. */
function smallAnswers(cases) {
  const table = { 'gpt-4o': {}, 'gpt-4o-mini': {} };
  for (const c of cases) {
    table['gpt-4o'][c.question] = `It is ${c.reference}.`;
    table['gpt-4o-mini'][c.question] = `It is a gradient, I think.`;
  }
  return answersByModel(table);
}

/** Checks that every job of a run settled: an answer, a verdict, and the stages its configuration needs. */
function assertAllSettled(stored, nCases, what) {
  assert.equal(stored.length, nCases * 2, `${what}: a result per case and configuration`);
  for (const r of stored) {
    const stages = Object.fromEntries(r.stages.map(([s, rec]) => [s, rec]));
    assert.equal(stages.answer, 'done', `${what}: ${r.case_id}/${r.config_id} answered`);
    assert.equal(stages.judge, 'done', `${what}: ${r.case_id}/${r.config_id} judged`);
    assert.ok(r.correctness?.judgement?.scored, `${what}: ${r.case_id}/${r.config_id} has a verdict`);
  }
}

// ---------------------------------------------------------------------------------------------------------

test('the Evaluate link and page in English and Korean; the sample set installs once, as PNGs, and stays deleted', { timeout: 120_000 }, async () => {
  // From the chat, the sidebar's link opens the page at its own address.
  await withApp(
    async ({ page }) => {
      await page.getByRole('navigation', { name: 'Chats' }).getByRole('link', { name: 'Evaluate', exact: true }).click();
      // The address follows the link (it used to stay at / while the page changed), so Back and Forward work.
      await page.waitForFunction(() => location.pathname === '/evaluate');
      await page.getByRole('heading', { level: 1, name: 'Evaluate' }).waitFor();
      await page.goBack();
      await page.getByRole('heading', { level: 1, name: 'Evaluate' }).waitFor({ state: 'detached' });
      await page.goForward();
      await page.getByRole('heading', { level: 1, name: 'Evaluate' }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/evaluate');
      await sampleInstalled(page);
      await page.getByText('Sample set', { exact: true }).waitFor();
      await page.getByRole('button', { name: 'New test set', exact: true }).waitFor();
      await page.getByLabel('Import', { exact: true }).waitFor({ state: 'attached' });
      await page.getByRole('button', { name: 'Start run', exact: true }).waitFor();
      await page.getByRole('button', { name: 'Export Sample set', exact: true }).waitFor();

      const sets = await storedSets(page);
      assert.equal(sets.length, 1, 'one test set version');
      assert.equal(sets[0].sample, true);
      assert.equal(sets[0].version, 1);
      assert.equal(sets[0].cases.length, SAMPLE_CASES);
      const images = await readStore(page, 'boda', 'eval_images');
      assert.equal(images.length, SAMPLE_IMAGES, 'one stored picture per drawing, shared by the cases');
      for (const image of images) {
        assert.equal(image.blob?.__blob, true, `${image.id} is a Blob`);
        assert.equal(image.blob.type, 'image/png', `${image.id} is a PNG`);
        assert.ok(image.blob.size > 500, `${image.id} has pixels`);
      }
      const ids = new Set(images.map((i) => i.id));
      for (const c of sets[0].cases) {
        for (const i of c.images) assert.ok(ids.has(i.id), `${c.id}: its picture ${i.id} is stored`);
      }

      // A reload does not install it twice.
      await page.reload();
      await sampleInstalled(page);
      assert.equal((await storedSets(page)).length, 1);
      assert.equal((await readStore(page, 'boda', 'eval_images')).length, SAMPLE_IMAGES);
      assert.equal(await page.getByText('Sample set', { exact: true }).count(), 1);

      // Deleted, it stays deleted after a reload.
      page.once('dialog', (d) => d.accept());
      await page.getByRole('button', { name: 'Delete Sample set', exact: true }).click();
      await page.getByText(/^No test sets yet\./).waitFor();
      assert.deepEqual(await storedSets(page), []);
      assert.deepEqual(await readStore(page, 'boda', 'eval_images'), []);
      await page.reload();
      await page.getByText(/^No test sets yet\./).waitFor();
      await page.waitForTimeout(500);
      assert.equal(await page.getByText('Sample set', { exact: true }).count(), 0, 'not installed again');
      assert.deepEqual(await storedSets(page), []);
    },
    { path: '/' },
  );

  // In Korean, at its address directly.
  await withApp(
    async ({ page }) => {
      await page.getByRole('heading', { level: 1, name: '평가' }).waitFor();
      await page.getByText('버전 1 · 케이스 34개', { exact: true }).waitFor({ timeout: 30_000 });
      await page.getByText('샘플 세트', { exact: true }).waitFor();
      await page.getByRole('button', { name: '새 테스트 세트', exact: true }).waitFor();
      await page.getByLabel('가져오기', { exact: true }).waitFor({ state: 'attached' });
      await page.getByRole('button', { name: '실행 시작', exact: true }).waitFor();
      await page.getByRole('navigation', { name: '채팅 목록' }).getByRole('link', { name: '평가', exact: true }).waitFor();
      assert.equal((await storedSets(page))[0].cases.length, SAMPLE_CASES);
    },
    { locale: 'ko-KR' },
  );
});

test('the sample set on two configurations: each case answered and judged once, scores and report as the stand-in implies, export and import, overrides and pairwise', { timeout: 150_000 }, async () => {
  await withApp(async ({ page }) => {
    await configure(page, world);
    await sampleInstalled(page);
    const [sample] = await storedSets(page);
    const cases = sample.cases;

    // Canned answers that differ by model (so no two judge requests are alike): gpt-4o gives the reference for
    // two cases in three and a non-answer for the third; gpt-4o-mini gives the first half of the reference for
    // every other case and a non-answer for the rest.
    const big = new Map();
    const small = new Map();
    const table = { 'gpt-4o': {}, 'gpt-4o-mini': {} };
    for (const [i, c] of cases.entries()) {
      const words = c.reference.split(/\s+/);
      big.set(c.id, i % 3 === 2 ? 'I cannot tell from this picture.' : c.reference);
      small.set(c.id, i % 2 === 0 ? `Perhaps ${words.slice(0, Math.ceil(words.length / 2)).join(' ')}.` : 'Perhaps I cannot say.');
      table['gpt-4o'][c.question] = big.get(c.id);
      table['gpt-4o-mini'][c.question] = small.get(c.id);
    }
    world.standin.answerFor = answersByModel(table);

    await setUpRun(page);
    const from = world.standin.requests.length;
    const started = Date.now();
    const runId = await startRun(page);
    await waitState(page, 'Finished', 90_000);
    const took = Date.now() - started;
    assert.equal(await counts(page), `${2 * SAMPLE_CASES} of ${2 * SAMPLE_CASES}`);

    // At the stand-in: 34 answers per configuration, one verdict per (case, configuration), faithfulness only
    // for the retrieving configuration, and no request twice.
    assert.equal(answerCalls('gpt-4o-mini'), SAMPLE_CASES);
    assert.equal(answerCalls('gpt-4o'), SAMPLE_CASES);
    const byQuestion = new Map(cases.map((c) => [c.question, c]));
    const verdicts = world.standin.judgeRequests({ schema: JUDGE_SCHEMAS.correctness });
    assert.equal(verdicts.length, 2 * SAMPLE_CASES);
    const judged = new Set();
    for (const v of verdicts) {
      assert.equal(v.model, JUDGE);
      assert.equal(v.status, 200);
      const c = byQuestion.get(v.data.question);
      assert.ok(c, `the verdict is about a case of the set: ${v.data.question}`);
      const config = v.data.answer === small.get(c.id) ? '1' : v.data.answer === big.get(c.id) ? '2' : null;
      assert.ok(config, `the judged answer is the canned one: ${v.data.answer}`);
      assert.equal(v.data.reference, c.reference);
      assert.equal(v.data.reference_mode, c.mode);
      judged.add(`${c.id}/${config}`);
    }
    assert.equal(judged.size, 2 * SAMPLE_CASES, 'exactly one correctness verdict per case and configuration');
    const faithful = world.standin.judgeRequests({ schema: JUDGE_SCHEMAS.faithfulness });
    assert.equal(faithful.length, SAMPLE_CASES, 'one faithfulness check per case of the retrieving configuration');
    for (const f of faithful) {
      const c = byQuestion.get(f.data.question);
      assert.equal(f.data.answer, small.get(c.id), 'only the retrieving configuration is checked for faithfulness');
      const captions = c.images.map((i) => i.caption);
      assert.ok(f.data.context.length >= 1, 'retrieval gave context');
      for (const t of f.data.context) assert.ok(captions.includes(t), `the context is the case's captions: ${t}`);
    }
    assert.equal(world.standin.count({ kind: 'judge', schema: JUDGE_SCHEMAS.pairwise }), 0);
    const sent = assertNoneTwice(from);
    assert.ok(sent >= 4 * SAMPLE_CASES + SAMPLE_CASES, `every request went out (${sent})`);

    // What was stored: the answers, the verdicts' scores as the stand-in's formula gives them for the canned
    // answers, the faithfulness of the claims it listed, and each answer's tokens as it reported them.
    const stored = await results(page, runId);
    assertAllSettled(stored, SAMPLE_CASES, 'the sample run');
    const faithData = new Map(faithful.map((f) => [f.data.question, f.data]));
    const answerBodies = world.standin.requests.filter((r) => r.body?.stream === true);
    for (const r of stored) {
      const c = cases.find((x) => x.id === r.case_id);
      const answer = r.config_id === '1' ? small.get(c.id) : big.get(c.id);
      assert.equal(r.answer.text, answer, `${c.id}/${r.config_id}: the answer stored`);
      const expected = correctnessVerdict({ question: c.question, reference: c.reference, reference_mode: c.mode, answer });
      assert.equal(r.correctness.judgement.scored.tenths, Math.round(expected.score * 10), `${c.id}/${r.config_id}: the score`);
      assert.equal(r.correctness.judgement.scored.rationale, expected.rationale);
      const model = r.config_id === '1' ? 'gpt-4o-mini' : 'gpt-4o';
      const body = answerBodies.find((b) => b.body.model === model && lastUserText(b.body).includes(c.question)).body;
      assert.deepEqual(
        { prompt: r.answer.usage.prompt_tokens, completion: r.answer.usage.completion_tokens },
        { prompt: usageFor(body, answer).prompt_tokens, completion: usageFor(body, answer).completion_tokens },
        `${c.id}/${r.config_id}: the tokens the stand-in reported`,
      );
      assert.ok(r.answer_cost_usd > 0, `${c.id}/${r.config_id}: the answer has a price`);
      if (r.config_id === '1') {
        const claims = faithfulnessClaims(faithData.get(c.question)).claims;
        assert.deepEqual(r.faithfulness.judgement.scored.claims, claims, `${c.id}: the claims stored`);
        assert.ok(r.answer.attached.length >= 1 && r.answer.attached.length <= 2, `${c.id}: k = 2`);
      } else {
        assert.equal(r.faithfulness ?? null, null, `${c.id}: no faithfulness without retrieval`);
        assert.equal(r.answer.attached.length, c.images.length, `${c.id}: every image sent without retrieval`);
      }
    }
    console.log(`# sample run: ${2 * SAMPLE_CASES} jobs, ${sent} requests, ${took} ms`);

    // The report: a row per configuration with n = 34 and the correctness means the verdicts imply.
    const tenths = (config) =>
      cases.map((c) => {
        const answer = config === '1' ? small.get(c.id) : big.get(c.id);
        return correctnessVerdict({ question: c.question, reference: c.reference, reference_mode: c.mode, answer }).score * 10;
      });
    const mean = (xs) => xs.reduce((a, x) => a + x / 10, 0) / xs.length;
    const means = { '1': mean(tenths('1')), '2': mean(tenths('2')) };
    assert.ok(means['1'] < means['2'] && means['2'] < 1, `the canned answers differ in quality (${means['1']}, ${means['2']})`);
    const shown = await reportRows(page);
    assert.deepEqual(shown.map((r) => r.configuration), [SMALL_LABEL, BIG_LABEL], 'one row per configuration');
    for (const [row, config] of [[shown[0], '1'], [shown[1], '2']]) {
      assert.equal(row.n, String(SAMPLE_CASES), `${row.configuration}: n`);
      assert.match(row.Correctness, new RegExp(`^${means[config].toFixed(2)} \\(\\d\\.\\d\\d–\\d\\.\\d\\d\\)$`), `${row.configuration}: correctness`);
      assert.equal(row.Failed, '0');
      assert.equal(row['Not judged'], '0');
    }
    assert.notEqual(shown[0].Faithfulness, '–', 'the retrieving configuration has faithfulness');
    assert.equal(shown[1].Faithfulness, '–', 'the other has none');
    const headline = await page.getByRole('region', { name: 'Report' }).getByRole('status').filter({ hasText: 'correctness' }).innerText();
    assert.match(headline, new RegExp(`reaches ${(means['1'] / means['2']).toFixed(2)} of gpt-4o’s correctness .*\\(n = ${SAMPLE_CASES}\\)\\.$`));
    assert.ok(headline.startsWith(SMALL_LABEL) || headline.startsWith(`No detectable difference: ${SMALL_LABEL}`), headline);

    // Export CSV: a row per result, configuration by configuration, with the judge's scores.
    const csvDownload = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV', exact: true }).click();
    const csvFile = await csvDownload;
    assert.equal(csvFile.suggestedFilename(), 'Sample-set.boda-run.csv');
    const csvText = fs.readFileSync(await csvFile.path(), 'utf8');
    assert.ok(csvText.startsWith('\ufeff'), 'a byte-order mark, for spreadsheets');
    const [header, ...lines] = parseCsv(csvText.slice(1));
    assert.equal(lines.length, 2 * SAMPLE_CASES);
    const col = (name) => header.indexOf(name);
    for (const [i, line] of lines.entries()) {
      const config = i < SAMPLE_CASES ? '1' : '2';
      const c = cases[i % SAMPLE_CASES];
      assert.deepEqual([line[col('config_id')], line[col('case_id')]], [config, c.id], `CSV row ${i + 1}`);
      assert.equal(Number(line[col('judge_correctness')]), tenths(config)[i % SAMPLE_CASES] / 10, `CSV row ${i + 1}: the score`);
      assert.equal(line[col('answer')], config === '1' ? small.get(c.id) : big.get(c.id));
    }

    // The same figures after a reload (read back from the store, in the store's order).
    const figures = shown.map(({ configuration, ...rest }) => ({ configuration, ...rest }));
    await page.reload();
    assert.deepEqual(await reportRows(page), figures, 'the report is the same after a reload');

    // Export JSON, then Import in another browser: the same report.
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export JSON', exact: true }).click();
    const download = await downloading;
    assert.equal(download.suggestedFilename(), 'Sample-set.boda-run.json');
    const file = await download.path();
    const other = await openApp(world, { path: '/evaluate' });
    try {
      await sampleInstalled(other.page);
      await other.page.getByLabel('Import', { exact: true }).setInputFiles(file);
      const runs = other.page.getByRole('region', { name: 'Runs' }).getByRole('listitem');
      await runs.first().getByText('Finished', { exact: true }).waitFor();
      await runs.first().getByRole('link', { name: 'Sample set (version 1)' }).click();
      await other.page.waitForFunction((id) => location.pathname === `/evaluate/run/${id}`, runId);
      assert.deepEqual(await reportRows(other.page), figures, 'the imported run shows the same report');
      assert.equal(await other.page.getByRole('region', { name: 'Report' }).getByRole('status').filter({ hasText: 'correctness' }).innerText(), headline);
      assert.equal((await results(other.page, runId)).length, 2 * SAMPLE_CASES, 'every result came in');
      assert.equal(world.standin.count({ kind: 'answer' }), 2 * SAMPLE_CASES, 'importing asked nothing');
    } finally {
      await other.context.close();
    }
    assert.deepEqual(other.errors, [], 'no page errors where the run was imported');

    // Pairwise, each case in both orders: the tallies the stand-in's verdicts give, and with a judge that
    // always prefers the first answer shown, every case a tie from the orders disagreeing.
    for (const bias of [null, 'first']) {
      world.standin.pairwiseBias = bias;
      const asked = world.standin.judgeRequests({ schema: JUDGE_SCHEMAS.pairwise }).length;
      await page.getByRole('button', { name: 'Compare answers pairwise', exact: true }).click();
      const pairwise = page.getByRole('region', { name: 'Report' }).getByRole('status').filter({ hasText: 'Judged side by side' });
      const calls = await until(
        'both orders of every case were judged',
        async () => world.standin.judgeRequests({ schema: JUDGE_SCHEMAS.pairwise }).slice(asked),
        (c) => c.length >= 2 * SAMPLE_CASES,
      );
      assert.equal(calls.length, 2 * SAMPLE_CASES);
      const tally = { a: 0, b: 0, ties: 0, position: 0 };
      for (const c of cases) {
        const [x, y] = [small.get(c.id), big.get(c.id)];
        const ab = calls.find((k) => k.data.question === c.question && k.data.first === x && k.data.second === y);
        const ba = calls.find((k) => k.data.question === c.question && k.data.first === y && k.data.second === x);
        assert.ok(ab && ba, `${c.id}: asked in both orders`);
        const one = pairwiseVerdict(ab.data, bias).winner;
        const two = { first: 'second', second: 'first', tie: 'tie' }[pairwiseVerdict(ba.data, bias).winner];
        if (one !== two) [tally.ties, tally.position] = [tally.ties + 1, tally.position + 1];
        else if (one === 'first') tally.a += 1;
        else if (one === 'second') tally.b += 1;
        else tally.ties += 1;
      }
      if (bias) assert.deepEqual(tally, { a: 0, b: 0, ties: SAMPLE_CASES, position: SAMPLE_CASES });
      else assert.ok(tally.a > 0 && tally.b > 0 && tally.position === 0, JSON.stringify(tally));
      const expected = `Judged side by side in both orders: ${SMALL_LABEL} better in ${tally.a} cases, ${BIG_LABEL} better in ${tally.b}, ties in ${tally.ties} (${tally.position} of them because the two orders disagreed), not judged 0.`;
      assert.equal(await until('the pairwise tally shows', () => pairwise.innerText(), (t) => t === expected), expected);
    }

    // A person's score: the agreement figure appears, and moves with a second one.
    const agreement = page.locator('.agreement');
    assert.match(await agreement.innerText(), /^No case has a person’s score yet/);
    const first = cases[0];
    assert.equal(tenths('2')[0], 10, 'gpt-4o answered the first case right');
    await page.getByRole('region', { name: 'Report' }).getByText(first.question, { exact: true }).click();
    await page.getByLabel(`Your score for case 1, ${BIG_LABEL}`, { exact: true }).selectOption({ label: '0.00' });
    const expected1 = agreementText([[true, false]]);
    assert.equal(expected1, 'Judge and person agree on pass or fail for 0% of the 1 cases a person scored (Cohen’s κ = 0.00).');
    assert.equal(await until('the agreement shows', () => agreement.innerText(), (t) => !t.startsWith('No case')), expected1);
    const overridden = (await reportRows(page))[1];
    assert.match(overridden.Correctness, new RegExp(`^${(means['2'] - 1 / SAMPLE_CASES).toFixed(2)} `), 'the person’s score counts in the mean');
    // A second score, agreeing with the judge on the other configuration's answer.
    const judgeSmall = tenths('1')[0] / 10;
    const humanSmall = judgeSmall >= 0.5 ? 10 : 0;
    await page.getByLabel(`Your score for case 1, ${SMALL_LABEL}`, { exact: true }).selectOption({ label: humanSmall === 10 ? '1.00' : '0.00' });
    const expected2 = agreementText([[true, false], [judgeSmall >= 0.5, humanSmall >= 5]]);
    assert.match(expected2, /for 50% of the 2 cases/);
    assert.equal(await until('the agreement moves', () => agreement.innerText(), (t) => t !== expected1), expected2);
    const human = (await results(page, runId)).filter((r) => r.case_id === first.id).map((r) => [r.config_id, r.human_tenths]);
    assert.deepEqual(human.sort(), [['1', humanSmall], ['2', 0]], 'the scores are stored');
    await page.reload();
    assert.equal(await until('the agreement shows again', () => agreement.innerText(), (t) => !t.startsWith('No case')), expected2);
  });
});

test('Cancel then Resume asks nothing twice, also after a reload; a reload mid-run asks again only what was in flight', { timeout: 150_000 }, async () => {
  await withApp(async ({ page }) => {
    await configure(page, world);
    await sampleInstalled(page);
    const cases = smallCases(4);
    await makeSet(page, 'Slow set', cases);
    const answers = smallAnswers(cases);
    world.standin.answerFor = answers;
    const jobs = 2 * cases.length;

    for (const mode of ['cancel', 'cancel, reload', 'interrupt']) {
      const reload = mode !== 'cancel';
      const what = { cancel: 'in the same page', 'cancel, reload': 'across a reload', interrupt: 'after a reload mid-run' }[mode];
      // Every answer takes about 1.5 s, two at once: a few results come back before the Cancel (or the reload).
      assert.deepEqual(world.standin.violations, [], 'every request must validate against the OpenAI spec');
      world.standin.reset();
      world.standin.answerFor = answers;
      world.standin.script(...Array.from({ length: jobs }, () => slowAnswer(answers, 1_500)));
      await page.goto(`${world.site.origin}/evaluate`);
      await setUpRun(page, { set: 'Slow set · version 4 · 4 cases', concurrency: 2 });
      const runId = await startRun(page);
      await waitState(page, 'Running');
      // While it runs, the report waits (building it at every result froze the page and slowed the run).
      await page.getByText('The report appears when the run finishes or is cancelled.', { exact: true }).waitFor();
      assert.equal(await page.getByRole('table', { name: 'Report', exact: true }).count(), 0);
      await until(
        `${what}: a result came back`,
        () => counts(page),
        (t) => /^[1-9]\d* of 8/.test(t),
        30_000,
      );
      if (mode === 'interrupt') {
        // The tab goes away with two answers in flight: only those may be asked again.
        await page.reload();
        await waitState(page, 'Interrupted (the tab was closed)');
      } else {
        await page.getByRole('button', { name: 'Cancel run', exact: true }).click();
        await waitState(page, 'Cancelled', 30_000);
        await page.getByRole('button', { name: 'Resume run', exact: true }).waitFor();
        await page.getByRole('table', { name: 'Report', exact: true }).waitFor();
      }
      const stoppedAt = await counts(page);
      const done = Number(stoppedAt.split(' ')[0]);
      assert.ok(done >= 1 && done < jobs, `${what}: stopped part way (${stoppedAt})`);
      const answersBefore = world.standin.count({ kind: 'answer' });
      assert.ok(answersBefore < jobs, `${what}: not every case was asked before it stopped (${answersBefore})`);
      const storedBefore = await results(page, runId);
      if (mode !== 'interrupt') {
        // What came back after the Cancel was stored: every answer asked has its result.
        assert.equal(storedBefore.filter((r) => r.answer).length, answersBefore, `${what}: every answer asked was kept`);
      }

      if (mode === 'cancel, reload') {
        await page.reload();
        await page.getByRole('link', { name: 'All test sets and runs' }).click();
        await page.waitForFunction(() => location.pathname === '/evaluate');
        const runs = page.getByRole('region', { name: 'Runs' }).getByRole('listitem');
        assert.equal(await runs.count(), 2, 'both runs are listed');
        await runs.first().getByText('Cancelled', { exact: true }).waitFor();
        await runs.first().getByRole('link', { name: 'Slow set (version 4)' }).click();
        await page.waitForFunction((id) => location.pathname === `/evaluate/run/${id}`, runId);
        await waitState(page, 'Cancelled');
        assert.equal(await counts(page), stoppedAt, 'the stored results say how far it got');
      }
      const bodiesBefore = postBodies();
      await page.getByRole('button', { name: 'Resume run', exact: true }).click();
      await waitState(page, 'Finished', 60_000);
      assert.equal(await counts(page), `${jobs} of ${jobs}`);

      if (mode === 'interrupt') {
        // Asked again: at most the two that were in flight, and none whose result had been stored.
        const resent = postBodies(0).slice(bodiesBefore.length).filter((b) => bodiesBefore.includes(b));
        assert.ok(resent.length <= 2, `${what}: only the requests in flight went again (${resent.length})`);
        const set = (await storedSets(page)).find((x) => x.name === 'Slow set' && x.version === cases.length);
        const question = new Map(set.cases.map((c) => [c.id, c.question]));
        const model = { 1: 'gpt-4o-mini', 2: 'gpt-4o' };
        const answered = new Set(storedBefore.filter((r) => r.answer).map((r) => `${model[r.config_id]} ${question.get(r.case_id)}`));
        assert.ok(answered.size >= 1, `${what}: some answers were stored before the reload`);
        for (const b of resent.map((x) => JSON.parse(x)).filter((x) => x.stream)) {
          const asked = `${b.model} ${[...question.values()].find((q) => lastUserText(b).includes(q))}`;
          assert.ok(!answered.has(asked), `${what}: a stored answer was not asked again (${asked})`);
        }
        assert.equal(answerCalls('gpt-4o-mini') + answerCalls('gpt-4o'), jobs + resent.filter((b) => JSON.parse(b).stream).length);
        assertAllSettled(await results(page, runId), cases.length, what);
        continue;
      }
      assert.equal(answerCalls('gpt-4o-mini'), cases.length, `${what}: each case asked once of gpt-4o-mini`);
      assert.equal(answerCalls('gpt-4o'), cases.length, `${what}: each case asked once of gpt-4o`);
      assert.equal(world.standin.count({ kind: 'judge', schema: JUDGE_SCHEMAS.correctness }), jobs);
      assertNoneTwice(0, `${what}: no request was sent twice`);
      assertAllSettled(await results(page, runId), cases.length, what);
    }
  });
});

test('a 429 storm slows a run and loses nothing', { timeout: 120_000 }, async () => {
  await withApp(async ({ page }) => {
    await configure(page, world);
    await sampleInstalled(page);
    const cases = smallCases(3);
    await makeSet(page, 'Storm set', cases);
    world.standin.answerFor = smallAnswers(cases);
    // When each request to the stand-in left the page, and what it said.
    const sentAt = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().startsWith(world.standin.origin)) sentAt.push({ at: Date.now(), body: r.postData() });
    });
    world.standin.rateLimit({ count: 15, retryAfterSeconds: 1 });
    await setUpRun(page, { set: 'Storm set · version 3 · 3 cases' });
    const started = Date.now();
    const runId = await startRun(page);
    await waitState(page, 'Finished', 90_000);
    const took = Date.now() - started;

    const text = await counts(page);
    assert.equal(text, '6 of 6', 'everything settled, nothing failed');
    assert.doesNotMatch(await page.locator('.run-progress').innerText(), /failed|not judged/);
    assert.equal(world.standin.count({ status: 429 }), 15, 'the whole storm was met');
    assertAllSettled(await results(page, runId), cases.length, 'after the storm');
    // Each case was answered once per configuration and judged once, however often it was turned away.
    assert.equal(world.standin.count({ kind: 'answer', status: 200 }), 6);
    assert.equal(world.standin.count({ kind: 'judge', status: 200 }), 6);
    // A request turned away went again only after the Retry-After second.
    const firstAt = new Map();
    let retried = 0;
    for (const { at, body } of sentAt) {
      if (!firstAt.has(body)) {
        firstAt.set(body, at);
        continue;
      }
      retried += 1;
      assert.ok(at - firstAt.get(body) >= 900, `a retry waited for Retry-After (${at - firstAt.get(body)} ms)`);
    }
    assert.ok(retried >= 1, 'requests turned away were asked again');
    assert.ok(took >= 1_000, `the storm slowed the run (${took} ms)`);
    console.log(`# 429 storm: ${sentAt.length} requests, ${retried} retries, ${took} ms`);
  });
});

test('a test set exported and imported again comes back whole; a foreign or broken file is refused with its reason', { timeout: 120_000 }, async () => {
  await withApp(async ({ page }) => {
    await sampleInstalled(page);
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export Sample set', exact: true }).click();
    const download = await downloading;
    assert.equal(download.suggestedFilename(), 'Sample-set.boda-test-set.json');
    const file = await download.path();
    const exported = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(exported.format, 'boda-test-set');
    assert.equal(exported.cases.length, SAMPLE_CASES);
    assert.ok(exported.cases.every((c) => c.images.every((i) => i.mime === 'image/png' && i.data.length > 100)));

    await page.getByLabel('Import', { exact: true }).setInputFiles(file);
    await until('the imported set is listed', () => page.getByText(`version 1 · ${SAMPLE_CASES} cases`, { exact: true }).count(), (n) => n === 2);
    const sets = await storedSets(page);
    assert.equal(sets.length, 2);
    const imported = sets.find((s) => !s.sample);
    const sample = sets.find((s) => s.sample);
    assert.equal(imported.cases.length, SAMPLE_CASES);
    assert.equal(imported.name, 'Sample set');
    for (const [i, c] of imported.cases.entries()) {
      const o = sample.cases[i];
      assert.deepEqual(
        [c.id, c.question, c.reference, c.mode, c.tags, c.images.map((x) => [x.name, x.caption, x.relevant])],
        [o.id, o.question, o.reference, o.mode, o.tags, o.images.map((x) => [x.name, x.caption, x.relevant])],
        `case ${i + 1} came back as it was`,
      );
    }
    const images = await readStore(page, 'boda', 'eval_images');
    const importedIds = new Set(imported.cases.flatMap((c) => c.images.map((x) => x.id)));
    for (const id of importedIds) assert.ok(images.some((x) => x.id === id && x.blob?.__blob), `image ${id} is stored`);

    // Refused files: the alert says why, and nothing new is stored.
    const before = { sets: (await storedSets(page)).length, images: images.length };
    const refusals = [
      {
        file: { name: 'other.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ format: 'something-else', cases: [] })) },
        reason: 'That file is JSON but not a Boda test set (its “format” is not “boda-test-set”).',
      },
      {
        file: { name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from(fs.readFileSync(file, 'utf8').slice(0, 5000)) },
        reason: 'That file is not JSON, so it is not a Boda test set.',
      },
      {
        // A good first case and a second whose image is not base64: nothing of it may be stored.
        file: {
          name: 'half.json',
          mimeType: 'application/json',
          buffer: Buffer.from(
            JSON.stringify({
              ...exported,
              cases: [exported.cases[0], { ...exported.cases[1], images: [{ ...exported.cases[1].images[0], data: '!!not base64!!' }] }],
            }),
          ),
        },
        reason: `The image “${exported.cases[1].images[0].name}” of case 2 is not valid base64. Nothing was imported.`,
      },
    ];
    for (const { file: f, reason } of refusals) {
      await page.getByLabel('Import', { exact: true }).setInputFiles(f);
      const alert = page.getByRole('alert').filter({ hasText: reason });
      await alert.waitFor();
      assert.equal((await storedSets(page)).length, before.sets, `${f.name}: no set stored`);
      assert.equal((await readStore(page, 'boda', 'eval_images')).length, before.images, `${f.name}: no image stored`);
      await alert.getByRole('button', { name: 'Dismiss' }).click();
      await alert.waitFor({ state: 'detached' });
    }
    assert.equal(await page.getByText(`version 1 · ${SAMPLE_CASES} cases`, { exact: true }).count(), 2);
  });
});

test('"New test set" makes version 1 with one case, "Add case" version 2 with two, editing and removing a case versions 3 and 4', { timeout: 60_000 }, async () => {
  await withApp(async ({ page }) => {
    await sampleInstalled(page);
    const [first, second] = smallCases(2);
    await makeSet(page, 'My pictures', [first]);
    let versions = (await storedSets(page)).filter((s) => s.name === 'My pictures');
    assert.equal(versions.length, 1);
    assert.equal(versions[0].version, 1);
    assert.equal(versions[0].sample, false);
    assert.deepEqual(
      versions[0].cases.map((c) => [c.question, c.reference, c.mode, c.images.map((i) => i.name)]),
      [[first.question, first.reference, 'all', [first.image.name]]],
    );

    // A case without a reference is refused and says why.
    await page.getByRole('button', { name: 'Add a case to My pictures', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Question', { exact: true }).fill('Only a question?');
    await dialog.getByRole('button', { name: 'Save case', exact: true }).click();
    await dialog.getByRole('alert').filter({ hasText: 'The reference answer is empty: write the answer this question should get.' }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await storedSets(page)).filter((s) => s.name === 'My pictures').length, 1);

    await addCase(page, 'My pictures', second, 2);
    versions = (await storedSets(page)).filter((s) => s.name === 'My pictures').sort((a, b) => a.version - b.version);
    assert.deepEqual(versions.map((s) => [s.version, s.cases.length]), [[1, 1], [2, 2]], 'both versions are kept');
    assert.equal(versions[0].id, versions[1].id, 'one set, two versions');
    assert.deepEqual(versions[1].cases.map((c) => c.question), [first.question, second.question]);
    assert.equal(versions[1].cases[0].id, versions[0].cases[0].id, 'the first case keeps its id');
    const images = await readStore(page, 'boda', 'eval_images');
    for (const c of versions[1].cases) {
      for (const i of c.images) assert.ok(images.some((x) => x.id === i.id && x.blob?.__blob), `${i.name} is stored`);
    }
    // Only the newest version is listed.
    assert.equal(await setItem(page, 'My pictures').count(), 1);
    await setItem(page, 'My pictures').getByText('version 2 · 2 cases', { exact: true }).waitFor();

    // Editing a case makes version 3 with the case changed in place, its image kept.
    await setItem(page, 'My pictures').getByText('Cases of My pictures', { exact: true }).click();
    await page.getByRole('button', { name: `Edit “${first.question}”`, exact: true }).click();
    const editor = page.getByRole('dialog', { name: 'Edit case' });
    await editor.getByLabel('Reference answer', { exact: true }).fill('A corrected reference.');
    await editor.getByRole('button', { name: 'Save case', exact: true }).click();
    await editor.waitFor({ state: 'hidden' });
    await setItem(page, 'My pictures').getByText('version 3 · 2 cases', { exact: true }).waitFor();
    versions = (await storedSets(page)).filter((s) => s.name === 'My pictures').sort((a, b) => a.version - b.version);
    const v3 = versions.at(-1);
    assert.deepEqual(v3.cases.map((c) => [c.id, c.reference]), [[versions[1].cases[0].id, 'A corrected reference.'], [versions[1].cases[1].id, second.reference]]);
    assert.deepEqual(v3.cases[0].images.map((i) => i.id), versions[1].cases[0].images.map((i) => i.id), 'the image is the stored one');
    assert.equal(versions[1].cases[0].reference, first.reference, 'version 2 is untouched');

    // Removing a case makes version 4 without it; the last case cannot be removed.
    page.once('dialog', (d) => d.accept());
    await setItem(page, 'My pictures').getByText('Cases of My pictures', { exact: true }).click();
    await page.getByRole('button', { name: `Remove “${second.question}”`, exact: true }).click();
    await setItem(page, 'My pictures').getByText('version 4 · 1 case', { exact: true }).waitFor();
    page.once('dialog', (d) => d.accept());
    await setItem(page, 'My pictures').getByText('Cases of My pictures', { exact: true }).click();
    await page.getByRole('button', { name: `Remove “${first.question}”`, exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'A test set keeps at least one case: delete the set instead.' }).waitFor();
    assert.equal((await storedSets(page)).filter((s) => s.name === 'My pictures').length, 4);
  });
});

test('the price table is edited on the page: a new price changes the estimate and survives a reload; a bad one is refused', { timeout: 60_000 }, async () => {
  await withApp(async ({ page }) => {
    await configure(page, world);
    await sampleInstalled(page);
    const estimate = page.getByRole('table', { name: 'Estimated cost' });
    const bigAnswers = async () => (await estimate.getByRole('row', { name: /^gpt-4o / }).getByRole('cell').nth(0).innerText()).trim();
    const before = await bigAnswers();
    const prices = page.getByRole('table', { name: 'Prices' });
    await prices.getByLabel('Input price of gpt-4o', { exact: true }).fill('25');
    await prices.getByLabel('Output price of gpt-4o', { exact: true }).fill('100');
    await page.getByRole('button', { name: 'Save prices', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Prices saved.' }).waitFor();
    const after = await until('the estimate follows the new price', bigAnswers, (t) => t !== before);
    const dollars = (t) => Number(t.replace(/[$,]/g, ''));
    assert.ok(Math.abs(dollars(after) / dollars(before) - 10) < 0.5, `ten times the price, about ten times the cost (${before} → ${after})`);
    const stored = (await readStore(page, 'boda', 'settings'))[0].prices;
    assert.deepEqual(stored.models['gpt-4o'], { input_usd_per_mtok: 25, output_usd_per_mtok: 100 });
    assert.match(stored.as_of, /^\d{4}-\d{2}-\d{2}$/);
    await page.reload();
    await sampleInstalled(page);
    assert.equal(await page.getByRole('table', { name: 'Prices' }).getByLabel('Input price of gpt-4o', { exact: true }).inputValue(), '25');
    // A price that is not one is refused with the model named, and nothing is saved.
    await page.getByRole('table', { name: 'Prices' }).getByLabel('Output price of gpt-4o-mini', { exact: true }).fill('cheap');
    await page.getByRole('button', { name: 'Save prices', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'The prices of gpt-4o-mini must be dollars, zero or more (e.g. 0.15).' }).waitFor();
    assert.equal((await readStore(page, 'boda', 'settings'))[0].prices.models['gpt-4o-mini'].output_usd_per_mtok, 0.6);
    await page.getByRole('button', { name: 'Restore default prices', exact: true }).click();
    await until('the defaults are back', async () => (await readStore(page, 'boda', 'settings'))[0].prices.models['gpt-4o'].input_usd_per_mtok, (v) => v === 2.5);
  });
});

test('a configuration with web search plans and searches each case, keeps what its answer saw, and counts the credits', { timeout: 120_000 }, async () => {
  const { startTavily } = await import('./tavily_standin.mjs');
  const tavily = await startTavily();
  try {
    await withApp(async ({ page }) => {
      await configure(page, world);
      await page.getByRole('button', { name: 'Settings', exact: true }).click();
      await page.getByLabel('Tavily API key', { exact: true }).fill('tvly-test-eval');
      await page.getByLabel('Search proxy URL', { exact: true }).fill(tavily.origin);
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByRole('dialog').waitFor({ state: 'hidden' });
      await sampleInstalled(page);
      const cases = smallCases(2);
      await makeSet(page, 'Search set', cases);
      world.standin.answerFor = smallAnswers(cases);
      await setUpRun(page, { set: 'Search set · version 2 · 2 cases' });
      const setup = page.getByRole('region', { name: 'New run' });
      await setup.getByLabel('Web search of configuration 2', { exact: true }).selectOption('advanced');
      await setup.getByLabel('Assistant of configuration 2', { exact: true }).selectOption('style-advisor');
      const runId = await startRun(page);
      await waitState(page, 'Finished', 90_000);

      // Only configuration 2 searched: one planning call and one search per case, at its depth.
      assert.equal(world.standin.planRequests().length, 2);
      const searches = tavily.searches();
      assert.deepEqual(searches.map((s) => s.query).sort(), cases.map((c) => c.question).sort());
      assert.ok(searches.every((s) => s.body.search_depth === 'advanced' && s.headers.authorization === 'Bearer tvly-test-eval'));
      assert.deepEqual(tavily.violations, []);
      // Configuration 2's answers start from Style advisor's prompt, configuration 1's from Image Q&A's.
      for (const r of world.standin.requests.filter((x) => x.body?.stream === true)) {
        const system = r.body.messages[0].content;
        const stylist = system.startsWith("You are Boda's style advisor");
        assert.equal(stylist, r.body.model === 'gpt-4o', `${r.body.model}: ${system.slice(0, 60)}`);
      }
      const stored = await results(page, runId);
      for (const r of stored) {
        if (r.config_id === '1') {
          assert.equal(r.answer.search ?? null, null, 'configuration 1 does not search');
          continue;
        }
        assert.equal(r.answer.search.state, 'done');
        assert.equal(r.answer.search.results.length, 5, 'the results the answer saw are kept');
        assert.equal(r.answer.search.credits, 2, 'advanced costs 2 credits');
        // The answer's cost counts the credits at $0.008 each, besides its tokens.
        assert.ok(r.answer_cost_usd > 2 * 0.008, `${r.case_id}: ${r.answer_cost_usd}`);
      }
      // The drill-down of a case shows the queries and the results its answer saw.
      const first = page.locator('details').filter({ hasText: cases[0].question }).first();
      await first.locator('summary').click();
      const seen = first.locator('.case-search');
      await seen.first().waitFor();
      assert.match(await seen.first().innerText(), new RegExp(`Web search: ${cases[0].question.replace(/[?()]/g, '\\$&')}`));
      assert.equal(await seen.first().locator('li').count(), 5);
    });
  } finally {
    await tavily.close();
  }
});

test('a configuration with the wardrobe carries the items each question calls for and is checked for faithfulness against them; with an empty wardrobe it does not start', { timeout: 150_000 }, async () => {
  const { fillWardrobe } = await import('./wardrobe.mjs');
  await withApp(async ({ page }) => {
    await configure(page, world);
    await sampleInstalled(page);
    const cases = [
      {
        question: 'What would go with my brown leather hiking boots on a mountain trail?',
        reference: 'a navy waxed field coat',
        image: { name: 'coat.png', hue: 220 },
      },
      { question: 'Which tie suits a yellow silk pocket square?', reference: 'a yellow silk tie with dots', image: { name: 'square.png', hue: 60 } },
    ];
    await makeSet(page, 'Wardrobe set', cases);
    world.standin.answerFor = smallAnswers(cases);
    const setUpWardrobeRun = async () => {
      await setUpRun(page, { set: 'Wardrobe set · version 2 · 2 cases' });
      await page.getByRole('region', { name: 'New run' }).getByLabel('Wardrobe of configuration 2', { exact: true }).check();
    };

    // An empty wardrobe: the run does not start, and says why.
    await setUpWardrobeRun();
    await page.getByRole('button', { name: 'Start run', exact: true }).click();
    await page.getByText('A configuration uses the wardrobe, but the wardrobe is empty. Add items to it from a chat first.', { exact: true }).waitFor();
    assert.equal(answerCalls('gpt-4o') + answerCalls('gpt-4o-mini'), 0, 'nothing was asked');
    assert.deepEqual(await readStore(page, 'boda', 'eval_runs'), []);

    // Three items kept from a chat, then the same run.
    await page.getByRole('button', { name: 'New chat', exact: true }).click();
    const captions = ['Brown leather hiking boots with red laces, for mountain trails.', 'A yellow silk tie with small dots.', 'A grey merino beanie hat.'];
    const items = await fillWardrobe(page, world, ['IMG_4801.JPG', 'IMG_4802.JPG', 'IMG_4803.JPG'], captions);
    const named = (caption) => items.find((i) => i.caption === caption).name;
    await page.getByRole('link', { name: 'Evaluate', exact: true }).click();
    await setUpWardrobeRun();
    const runId = await startRun(page);
    await waitState(page, 'Finished', 90_000);

    // Configuration 2's answers carry the case's picture, then the item its question calls for first; 1's none.
    const streamed = world.standin.requests.filter((x) => x.body?.stream === true);
    assert.deepEqual(streamed.map((r) => r.body.model).sort(), ['gpt-4o', 'gpt-4o', 'gpt-4o-mini', 'gpt-4o-mini']);
    for (const r of streamed) {
      const parts = r.body.messages.flatMap((m) => (Array.isArray(m.content) ? m.content : []));
      const worn = parts.filter((p) => p.type === 'text' && p.text.startsWith('Wardrobe item ')).map((p) => p.text);
      const question = r.body.messages.at(-1).content;
      if (r.body.model === 'gpt-4o-mini') {
        assert.deepEqual(worn, [], 'configuration 1 does not take the wardrobe');
        continue;
      }
      const wanted = question.includes('boots') ? captions[0] : captions[1];
      assert.equal(worn[0], `Wardrobe item 1: ${named(wanted)} — ${wanted}`, `${question}: ${JSON.stringify(worn)}`);
      assert.equal(parts.filter((p) => p.type === 'image_url').length, 1 + worn.length, 'their pictures go too');
    }
    const stored = await results(page, runId);
    assert.equal(stored.length, 4);
    const questions = new Map((await storedSets(page)).flatMap((s) => s.cases).map((c) => [c.id, c.question]));
    for (const r of stored.filter((x) => x.config_id === '2')) {
      const wanted = questions.get(r.case_id).includes('boots') ? captions[0] : captions[1];
      assert.equal(r.answer.wardrobe[0].caption, wanted, `${r.case_id}: the answer keeps what it carried`);
      assert.equal(r.answer.wardrobe[0].name, named(wanted));
      assert.ok(r.answer.context.some((i) => i.used === 'wardrobe' && i.similarity !== undefined), 'with its scores');
      assert.ok(r.faithfulness?.judgement?.scored, `${r.case_id}: checked for faithfulness`);
    }
    // The faithfulness check of a wardrobe answer reads the items' captions as its context.
    const checks = world.standin.judgeData({ schema: JUDGE_SCHEMAS.faithfulness }).filter((d) => JSON.stringify(d.context).includes('Brown leather hiking boots'));
    assert.equal(checks.length, 1, 'the boots question was checked against the boots');

    // The report names the configuration, and a case's drill-down lists the items its answer saw.
    const rows = await reportRows(page);
    assert.deepEqual(rows.map((r) => r.configuration), [SMALL_LABEL, `${BIG_LABEL} + wardrobe`]);
    const first = page.locator('details').filter({ hasText: cases[0].question }).first();
    await first.locator('summary').click();
    const seen = first.locator('.case-wardrobe');
    await seen.waitFor();
    assert.match(await seen.locator('li').first().innerText(), new RegExp(`^${named(captions[0]).replace('.', '\\.')} — Brown leather hiking boots`));
  });
});
