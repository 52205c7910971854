//! The vector index benchmark of issue 3, in headless Chromium: prints figures, asserts nothing about speed.
//! Run by scripts/bench (`cargo test --release --target wasm32-unknown-unknown --test bench_index`), not by
//! scripts/test.
//!
//! For N = 1k, 10k and 100k clustered vectors of 1536 dimensions and k = 10 it times, per query: exact f32
//! search (SIMD), binary first pass + f32 re-score (with recall@10 against exact), two plain JavaScript
//! brute-force scans of the very same Float32Array (a view of the index's memory) — a lean dot-product scan
//! with a running top-k, and the cosine-with-norms-and-full-sort scan JavaScript libraries commonly do — and
//! a sequential SIMD read of the same bytes (the memory-bandwidth floor). It also prints what keeping vectors
//! at half precision changes at 10k (recall@10 and scores against full f32), and, first, times loading 100k
//! vectors from IndexedDB into fresh memory as at the app's start, saving them, and loading them again, against
//! this machine's floors for a load: plain JavaScript reading the same records, and first touches of fresh memory.
#![cfg(target_arch = "wasm32")]

use boda::core::retrieval::vector::{binary_candidates, dot, normalize, sequential_read, Clustered, VectorIndex};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
export function now() { return performance.now(); }
// Writes n vectors as the app stores them: half-precision chunks of `chunk` vectors (values at the scale of unit
// vectors' components) and the id map, eight chunks per transaction.
export async function seedVectors(dbName, space, n, dims, chunk) {
  const db = await new Promise((ok, fail) => {
    const r = indexedDB.open(dbName);
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error);
  });
  let seed = 7;
  const random = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) / 4294967296; };
  const chunks = Math.ceil(n / chunk);
  for (let first = 0; first < chunks; first += 8) {
    const tx = db.transaction('vectors', 'readwrite');
    const store = tx.objectStore('vectors');
    for (let c = first; c < Math.min(chunks, first + 8); c++) {
      const values = new Float16Array(Math.min(chunk, n - c * chunk) * dims);
      for (let j = 0; j < values.length; j++) values[j] = (random() - 0.5) * 0.09;
      store.put({ id: `${space}/chunk/${c}`, half: values.buffer });
    }
    if (first + 8 >= chunks) {
      const ids = Array.from({ length: n }, (_, i) => `id-${String(i).padStart(6, '0')}`);
      store.put({ id: `${space}/ids`, dims, ids, tags: [] });
    }
    await new Promise((ok, fail) => { tx.oncomplete = ok; tx.onerror = () => fail(tx.error); tx.onabort = () => fail(tx.error); });
  }
  db.close();
}
// The floor of a load: the same chunk records read by plain JavaScript the way the app reads them (all at once,
// over four read-only transactions), each value only looked at. Returns the bytes read.
export async function readChunks(dbName, space, chunks) {
  const db = await new Promise((ok, fail) => {
    const r = indexedDB.open(dbName);
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error);
  });
  const parts = [0, 1, 2, 3].map(async (p) => {
    const store = db.transaction('vectors').objectStore('vectors');
    const gets = [];
    for (let c = p; c < chunks; c += 4) {
      gets.push(new Promise((ok, fail) => {
        const r = store.get(`${space}/chunk/${c}`);
        r.onsuccess = () => ok(r.result.half.byteLength);
        r.onerror = () => fail(r.error);
      }));
    }
    return (await Promise.all(gets)).reduce((a, b) => a + b, 0);
  });
  const bytes = (await Promise.all(parts)).reduce((a, b) => a + b, 0);
  db.close();
  return bytes;
}
// The other floor of a load at start: first touches of fresh memory (page faults) for as many bytes as the
// index's f32 values take, in plain JavaScript.
export function touchFresh(bytes) {
  const memory = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 4096) memory[i] = 1;
  return memory[bytes - 1];
}
// The plain way: a dot product per vector over a Float32Array, keeping the best k in a sorted array.
export function jsScan(data, dims, query, k) {
  const n = data.length / dims;
  const best = [];
  for (let i = 0; i < n; i++) {
    let s = 0;
    const o = i * dims;
    for (let j = 0; j < dims; j++) s += data[o + j] * query[j];
    if (best.length < k || s > best[best.length - 1][0]) {
      best.push([s, i]);
      best.sort((a, b) => b[0] - a[0]);
      if (best.length > k) best.pop();
    }
  }
  return best.length ? best[0][1] : -1;
}
// The way JavaScript vector-search libraries commonly do it: cosine similarity with both norms computed per
// vector, every score kept, then a full sort. Same Float32Array, read through per-vector subarray views.
export function jsCosine(data, dims, query, k) {
  const n = data.length / dims;
  const scores = new Array(n);
  for (let i = 0; i < n; i++) {
    const v = data.subarray(i * dims, (i + 1) * dims);
    let d = 0, na = 0, nb = 0;
    for (let j = 0; j < dims; j++) { d += v[j] * query[j]; na += v[j] * v[j]; nb += query[j] * query[j]; }
    scores[i] = { i, s: d / (Math.sqrt(na) * Math.sqrt(nb) || 1) };
  }
  scores.sort((a, b) => b.s - a.s);
  return scores.slice(0, k)[0]?.i ?? -1;
}
"#)]
extern "C" {
    fn now() -> f64;
    #[wasm_bindgen(js_name = seedVectors)]
    fn seed_vectors(db: &str, space: &str, n: u32, dims: u32, chunk: u32) -> js_sys::Promise;
    #[wasm_bindgen(js_name = readChunks)]
    fn read_chunks(db: &str, space: &str, chunks: u32) -> js_sys::Promise;
    #[wasm_bindgen(js_name = touchFresh)]
    fn touch_fresh(bytes: u32) -> u8;
    #[wasm_bindgen(js_name = jsScan)]
    fn js_scan(data: &js_sys::Float32Array, dims: u32, query: &js_sys::Float32Array, k: u32) -> i32;
    #[wasm_bindgen(js_name = jsCosine)]
    fn js_cosine(data: &js_sys::Float32Array, dims: u32, query: &js_sys::Float32Array, k: u32) -> i32;
}

const DIMS: usize = 1536;

/// Times loading 100k vectors from IndexedDB as the app does when it starts: the records are written by the page's
/// JavaScript beforehand (half-precision chunks and the id map, as the app stores them), so the load lands in
/// fresh wasm memory. Then times saving the whole index, and loading it again into the memory the first load
/// used and freed. The floors: plain JavaScript reading the same records (once before the first load and once
/// after the second, the faster counts), and first touches of as much fresh memory as the f32 index takes.
async fn storage() -> String {
    use boda::core::ports::VectorStore;
    use boda::core::retrieval::vector::CHUNK;
    use boda::web::idb_store::IdbStore;
    const N: usize = 100_000;
    let name = format!("boda-bench-{}", boda::web::runtime::new_uuid());
    let db = IdbStore::open_named(&name).await.expect("a database");
    wasm_bindgen_futures::JsFuture::from(seed_vectors(&name, "bench:1536", N as u32, DIMS as u32, CHUNK as u32))
        .await
        .expect("seeded");
    let chunks = N.div_ceil(CHUNK) as u32;
    let read_floor = || async {
        let start = now();
        let bytes = wasm_bindgen_futures::JsFuture::from(read_chunks(&name, "bench:1536", chunks)).await;
        assert_eq!(bytes.expect("read").as_f64(), Some((N * DIMS * 2) as f64));
        now() - start
    };
    let read_before = read_floor().await;
    let start = now();
    let mut index = db.load_vectors("bench:1536", DIMS).await.expect("loaded");
    let fresh_ms = now() - start;
    assert_eq!(index.len(), N);
    index.mark_all_dirty(&[]);
    let start = now();
    db.save_vectors("bench:1536", &mut index).await.expect("saved");
    let save_ms = now() - start;
    drop(index);
    let start = now();
    let back = db.load_vectors("bench:1536", DIMS).await.expect("loaded");
    let reused_ms = now() - start;
    assert_eq!(back.len(), N);
    drop(back);
    let read_after = read_floor().await;
    let start = now();
    touch_fresh((N * DIMS * 4) as u32);
    let touch_ms = now() - start;
    let read_ms = read_before.min(read_after);
    let line = format!(
        "IndexedDB, {N} vectors ({} MB stored): load at start (fresh memory) {fresh_ms:.0} ms, again into reused \
         memory {reused_ms:.0} ms (budget: well under 1000 ms); save {save_ms:.0} ms\n  floors on this machine: \
         plain JavaScript reading the same records {read_before:.0} / {read_after:.0} ms (before / after), first \
         touch of {} MB of fresh memory (the f32 index) {touch_ms:.0} ms\n  load / floor: at start {:.2}× (floor \
         {:.0} ms = read + touch), into reused memory {:.2}× (floor {read_ms:.0} ms = read)",
        N * DIMS * 2 / 1_000_000,
        N * DIMS * 4 / 1_000_000,
        fresh_ms / (read_ms + touch_ms),
        read_ms + touch_ms,
        reused_ms / read_ms,
    );
    db.close();
    if let Ok(request) = idb::Factory::new().and_then(|f| f.delete(&name)) {
        let _ = request.await;
    }
    line
}
const K: usize = 10;

fn build(n: usize) -> VectorIndex {
    let mut index = VectorIndex::with_capacity(DIMS, n);
    let mut g = Clustered::new(DIMS, 100, 0.6, 7);
    let mut v = vec![0f32; DIMS];
    for i in 0..n {
        g.next_into(&mut v);
        index.upsert(&format!("id-{i:06}"), &v).expect("dimensions match");
    }
    index
}

/// What keeping vectors at half precision costs: the index's top-k against the top-k of the very same vectors
/// at full f32 precision (a plain scan), as recall@k and the largest change of a shared hit's score.
fn half_precision_effect(index: &VectorIndex, qs: &[Vec<f32>]) -> (f64, f32) {
    let n = index.len();
    let mut g = Clustered::new(DIMS, 100, 0.6, 7);
    let mut full = vec![0f32; n * DIMS];
    for v in full.chunks_exact_mut(DIMS) {
        g.next_into(v);
        normalize(v);
    }
    let (mut found, mut worst) = (0, 0f32);
    for q in qs {
        let mut unit = q.clone();
        normalize(&mut unit);
        let mut scored: Vec<(f32, usize)> = full.chunks_exact(DIMS).map(|v| dot(&unit, v)).zip(0..).collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let hits = index.search_exact(q, K).expect("query");
        for (score, slot) in &scored[..K] {
            if let Some(hit) = hits.iter().find(|h| h.id == format!("id-{slot:06}")) {
                found += 1;
                worst = worst.max((hit.score - score).abs());
            }
        }
    }
    (found as f64 / (K * qs.len()) as f64, worst)
}

/// Queries near stored vectors, as questions are near some caption or message.
fn queries(index: &VectorIndex, count: usize) -> Vec<Vec<f32>> {
    let mut noise = Clustered::new(DIMS, 1, 1.0, 99);
    let mut jitter = vec![0f32; DIMS];
    (0..count)
        .map(|i| {
            noise.next_into(&mut jitter);
            let id = &index.ids()[(i * 7919) % index.len()];
            let v = index.get(id).expect("stored");
            v.iter().zip(&jitter).map(|(a, j)| a + 0.02 * j).collect()
        })
        .collect()
}

fn per_query(count: usize, mut f: impl FnMut(usize)) -> f64 {
    f(0); // Warm up.
    let start = now();
    for i in 0..count {
        f(i);
    }
    (now() - start) / count as f64
}

#[wasm_bindgen_test]
async fn vector_index_benchmark() {
    // First, while the wasm memory is still small, as when the app starts.
    let stored = storage().await;
    console_log!("\nvector index, {DIMS} dims, k = {K}, clustered data (100 clusters), queries near stored vectors");
    console_log!(
        "{:>7} {:>10} {:>13} {:>10} {:>11} {:>11} {:>11} {:>10} {:>10} {:>10}",
        "N",
        "exact ms",
        "binary+re ms",
        "recall@10",
        "seq read ms",
        "JS dot ms",
        "JS cosine ms",
        "exact/seq",
        "JSdot/ex",
        "JScos/ex"
    );
    let mut effect = String::new();
    for (n, count) in [(1_000usize, 50usize), (10_000, 30), (100_000, 12)] {
        let index = build(n);
        let qs = queries(&index, count);
        let mut sink = 0f32;
        let exact_ms = per_query(count, |i| sink += index.search_exact(&qs[i], K).expect("query")[0].score);
        let candidates = binary_candidates(n, K);
        let binary_ms =
            per_query(count, |i| sink += index.search_binary(&qs[i], K, candidates).expect("query")[0].score);
        let mut found = 0;
        for q in &qs {
            let exact = index.search_exact(q, K).expect("query");
            let fast = index.search_binary(q, K, candidates).expect("query");
            found += fast.iter().filter(|h| exact.iter().any(|e| e.id == h.id)).count();
        }
        let recall = found as f64 / (K * count) as f64;
        let seq_ms = per_query(count, |_| sink += sequential_read(index.raw()));
        // SAFETY: the views are used only while `index` lives and no allocation happens in between.
        let (data, jqs) = unsafe {
            (
                js_sys::Float32Array::view(index.raw()),
                qs.iter().map(|q| js_sys::Float32Array::view(q)).collect::<Vec<_>>(),
            )
        };
        let js_ms = per_query(count.min(10), |i| sink += js_scan(&data, DIMS as u32, &jqs[i], K as u32) as f32);
        let cos_ms = per_query(count.min(5), |i| sink += js_cosine(&data, DIMS as u32, &jqs[i], K as u32) as f32);
        console_log!(
            "{:>7} {:>10.3} {:>13.3} {:>10.3} {:>11.3} {:>11.3} {:>11.3} {:>9.2}× {:>9.1}× {:>9.1}×",
            n,
            exact_ms,
            binary_ms,
            recall,
            seq_ms,
            js_ms,
            cos_ms,
            exact_ms / seq_ms,
            js_ms / exact_ms,
            cos_ms / exact_ms
        );
        assert!(sink.is_finite());
        if n == 10_000 {
            let (recall, worst) = half_precision_effect(&index, &qs);
            effect = format!(
                "half precision at {n}: recall@{K} against the same vectors in full f32 = {recall:.3}; largest \
                 change of a shared hit's score = {worst:.6}"
            );
        }
    }
    console_log!("{stored}");
    console_log!("{effect}");
    console_log!(
        "bytes stored per vector: {} (half precision × {DIMS}) plus its id in the id map; sign bits ({} bytes) \
         are rebuilt on load",
        DIMS * 2,
        DIMS / 8
    );
    console_log!(
        "budgets: exact/seq ≤ 1.5× at 100k; binary+re ≤ 5 ms with recall ≥ 0.95 at 100k; JS/exact ≥ 5× at 10k"
    );
}
