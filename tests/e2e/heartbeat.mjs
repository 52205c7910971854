// A MessageChannel heartbeat that measures the longest main-thread task of a page, for the benchmark
// (bench.mjs) and the end-to-end tests. Each beat is a task, so the largest gap between beats is an upper
// bound on the longest other task that ran in between. (Chromium's longtask observer reports nothing
// headless.)
//
// Does not: decide what is too long; callers compare the figures with their own budgets.

/** Installs the heartbeat in a page: pass it to `context.addInitScript` or `page.evaluate`. */
export function installHeartbeat() {
  if (window.__beat) return;
  const beat = { max: 0, over50: 0, on: false, last: 0 };
  window.__beat = beat;
  const ch = new MessageChannel();
  ch.port1.onmessage = () => {
    const now = performance.now();
    if (beat.on) {
      const gap = now - beat.last;
      if (gap > beat.max) beat.max = gap;
      if (gap > 50) beat.over50++;
    }
    beat.last = now;
    ch.port2.postMessage(0);
  };
  window.__beatStart = () => Object.assign(beat, { max: 0, over50: 0, on: true, last: performance.now() });
  window.__beatStop = () => ((beat.on = false), { max: beat.max, over50: beat.over50 });
  ch.port2.postMessage(0);
}

/**
 * Checks that the heartbeat sees a deliberate 120 ms task, or the figures it gives would mean nothing.
 * Returns the gap it saw.
 */
export async function calibrate(page) {
  const seen = await page.evaluate(async () => {
    window.__beatStart();
    setTimeout(() => {
      const end = performance.now() + 120;
      while (performance.now() < end) {
        /* a long task */
      }
    }, 10);
    await new Promise((r) => setTimeout(r, 300));
    return window.__beatStop().max;
  });
  if (seen < 100) throw new Error(`the heartbeat missed a 120 ms task (saw ${seen} ms)`);
  return seen;
}

/** Starts measuring. */
export async function beatStart(page) {
  await page.evaluate(() => window.__beatStart());
}

/** Stops measuring; returns the longest gap in ms (`max`) and how many gaps were over 50 ms (`over50`). */
export async function beatStop(page) {
  return page.evaluate(() => window.__beatStop());
}
