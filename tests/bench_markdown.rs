//! The Markdown benchmark, in headless Chromium: the time to parse cmark's pathological inputs
//! (tests/support/pathological.rs) into the safe tree and drop it, at 100 KB and 1 MB, in the release build's
//! WebAssembly and on its 1 MiB stack. Prints figures and asserts nothing about speed (the native test
//! tests/markdown_pathological.rs does). Run by scripts/bench (`cargo test --release --target
//! wasm32-unknown-unknown --test bench_markdown`), not by scripts/test.
#![cfg(target_arch = "wasm32")]

#[path = "support/pathological.rs"]
mod pathological;

use boda::core::markdown::parse;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The budget for one 100 KB input, as in the issue: it must not freeze the page.
const BUDGET_MS: f64 = 200.0;

fn now() -> f64 {
    web_sys::window().and_then(|window| window.performance()).map_or(0.0, |performance| performance.now())
}

/// Milliseconds to parse and drop `input`, the better of two runs.
fn time(input: &str) -> f64 {
    (0..2)
        .map(|_| {
            let started = now();
            drop(parse(input));
            now() - started
        })
        .fold(f64::INFINITY, f64::min)
}

#[wasm_bindgen_test]
fn markdown_pathological_inputs() {
    console_log!("Markdown, cmark's pathological inputs: parse + drop in Chromium (release wasm), better of 2 runs");
    let small_cases = pathological::cases(100 * 1024);
    // Warm up, so the first figure is not the engine's first, unoptimised pass over the WebAssembly.
    for case in &small_cases {
        drop(parse(&case.input));
    }
    let mut slowest = (0.0, "");
    for (small, large) in small_cases.iter().zip(pathological::cases(1024 * 1024)) {
        let small_ms = time(&small.input);
        let large_ms = time(&large.input);
        if small_ms > slowest.0 {
            slowest = (small_ms, small.name);
        }
        console_log!(
            "  {:<50} {:>5} KB {:>9.2} ms {:>5} KB {:>9.2} ms  ×{:.1}",
            small.name,
            small.input.len() / 1024,
            small_ms,
            large.input.len() / 1024,
            large_ms,
            large_ms / small_ms.max(0.001)
        );
    }
    let verdict = if slowest.0 <= BUDGET_MS { "ok" } else { "OVER BUDGET" };
    console_log!(
        "Markdown budget: every 100 KB input ≤ {BUDGET_MS} ms; the slowest took {:.1} ms ({})   {verdict}",
        slowest.0,
        slowest.1
    );
}
