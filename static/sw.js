// Boda's service worker: keeps the app shell (page, script, WebAssembly, styles, icons, and the sample test
// set's drawings) so Boda opens and shows everything stored in this browser without a network. It never touches API calls: requests to other
// origins (OpenAI, a compatible server) go straight to the network, and nothing of them is cached.
//
// Same-origin GETs are network-first (an online visit always gets the newest build), falling back to the
// cache offline. Installing pre-caches the shell, so the very first visit is enough to work offline.
const CACHE = 'boda-shell-v1';

/**
 * The sample test set's drawings (the page installs the set from them, on the first visit to Evaluate, which
 * may be offline). src/core/eval/sample.rs checks that this list names every file of static/sample.
 */
const SAMPLE = [
  '/sample/bar_chart.svg',
  '/sample/bar_chart_ko.svg',
  '/sample/calendar.svg',
  '/sample/car.svg',
  '/sample/cat.svg',
  '/sample/clock.svg',
  '/sample/colors.svg',
  '/sample/counts.svg',
  '/sample/dog.svg',
  '/sample/dog_and_cat.svg',
  '/sample/fruit.svg',
  '/sample/house.svg',
  '/sample/map.svg',
  '/sample/receipt_en.svg',
  '/sample/receipt_ko.svg',
  '/sample/shapes.svg',
  '/sample/sign_en.svg',
  '/sample/sign_ko.svg',
  '/sample/traffic_light.svg',
  '/sample/tree.svg',
];

/** The same-origin assets a page of HTML refers to. */
function assetsOf(html) {
  const urls = new Set(['/', '/sw.js', '/boot.js', '/manifest.webmanifest', '/icon.svg', ...SAMPLE]);
  // Quoted or not: a minified page may drop the quotes around attribute values.
  for (const m of html.matchAll(/(?:href|src|data-js|data-wasm)=["']?(\/[^"'\s>]*)/g)) urls.add(m[1]);
  return [...urls];
}

/** Caches the page and its assets, and drops cached files of older builds. */
async function refreshShell() {
  const cache = await caches.open(CACHE);
  const page = await fetch('/', { cache: 'no-store' });
  if (!page.ok) return;
  const html = await page.clone().text();
  const wanted = assetsOf(html);
  await cache.put('/', page);
  await Promise.all(
    wanted.filter((u) => u !== '/').map(async (u) => {
      const r = await fetch(u, { cache: 'no-store' });
      if (r.ok) await cache.put(u, r);
    }),
  );
  for (const req of await cache.keys()) {
    if (!wanted.includes(new URL(req.url).pathname)) await cache.delete(req);
  }
}

self.addEventListener('install', (event) => {
  event.waitUntil(refreshShell().catch(() => {}).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  const key = request.mode === 'navigate' ? '/' : url.pathname;
  event.respondWith(
    (async () => {
      try {
        const response = await fetch(request);
        if (response.ok && request.mode === 'navigate') {
          // A new build may have new asset names: refresh the shell in the background.
          event.waitUntil(refreshShell().catch(() => {}));
        }
        return response;
      } catch (offline) {
        const cached = await caches.match(key);
        if (cached) return cached;
        throw offline;
      }
    })(),
  );
});
