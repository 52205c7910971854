// Loads Boda's WebAssembly and registers the service worker that keeps the app usable offline.
// It replaces trunk's inline loader so the page can forbid inline scripts (see the CSP in index.html).
const tag = document.getElementById('boda-boot');
const { default: init } = await import(tag.dataset.js);
await init({ module_or_path: tag.dataset.wasm });
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js').catch((e) => console.warn('Boda: offline support is off:', e.message));
}
