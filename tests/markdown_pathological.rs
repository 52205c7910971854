//! cmark's pathological inputs (tests/support/pathological.rs) at 100 KB and 1 MB: each parses into the safe
//! tree, and the tree drops, in time linear in the input, within MAX_DEPTH, and on a 1 MiB stack.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/pathological.rs"]
mod pathological;

use std::io::Write;
use std::time::{Duration, Instant};

use boda::core::markdown::{parse, MdNode, MAX_DEPTH};

const SMALL: usize = 100 * 1024;
const LARGE: usize = 1024 * 1024;

/// Visits every node of a tree without recursion, with its depth.
fn walk(nodes: &[MdNode], mut visit: impl FnMut(&MdNode, usize)) {
    let mut pending: Vec<(&MdNode, usize)> = nodes.iter().rev().map(|node| (node, 1)).collect();
    while let Some((node, depth)) = pending.pop() {
        visit(node, depth);
        if let MdNode::Element { children, .. } | MdNode::Link { children, .. } = node {
            pending.extend(children.iter().rev().map(|child| (child, depth + 1)));
        }
    }
}

/// The time to parse and drop `input`, the better of two runs, after checking the tree once.
fn measure(case: &pathological::Case, input: &str) -> Duration {
    let letters = |text: &str| text.chars().filter(char::is_ascii_alphabetic).count();
    let mut best = Duration::MAX;
    for run in 0..2 {
        let started = Instant::now();
        let nodes = parse(input);
        let parsed = started.elapsed();
        if run == 0 {
            let mut deepest = 0;
            let mut shown = 0;
            walk(&nodes, |node, depth| {
                deepest = deepest.max(depth);
                if let MdNode::Text(text) | MdNode::InlineCode(text) | MdNode::CodeBlock { code: text, .. } = node {
                    shown += letters(text);
                }
            });
            assert!(deepest <= MAX_DEPTH + 1, "{}: the tree is {deepest} deep", case.name);
            if case.keeps_letters {
                assert!(shown >= letters(input), "{}: {shown} of {} letters shown", case.name, letters(input));
            }
        }
        let started = Instant::now();
        drop(nodes);
        best = best.min(parsed + started.elapsed());
    }
    best
}

#[test]
fn pathological_inputs_parse_in_linear_time() {
    // The time an input may take: 2 µs a byte in a release build, so 200 ms for 100 KB and 2 s for 1 MB,
    // generous for a machine shared with other work (on two cores shared with two other builds, the slowest
    // 1 MB input took 0.35 s in a release build).
    // scripts/test runs a debug build, where the fold into the tree is unoptimised (Cargo.toml optimises
    // pulldown-cmark itself), so there it is three times wider. A quadratic parser takes far longer: the
    // in-house one took 21-30 s for the 100 KB bracket answer in Chromium, about 250 µs a byte.
    let per_byte = if cfg!(debug_assertions) { Duration::from_micros(6) } else { Duration::from_micros(2) };
    let bound = move |input: &str| per_byte * u32::try_from(input.len()).expect("inputs are small");
    // Ten times the input must take less than fifty times as long: linear time takes about ten times as
    // long (4 to 20 times here), quadratic time a hundred. Below the floor, times are too short and too noisy
    // for the ratio to mean anything.
    let ratio_limit = 50.0;
    let floor = Duration::from_millis(50);
    // On a 1 MiB stack, as in the browser's WebAssembly: input that made anything recurse as deep as it nests
    // would overflow it and abort the test.
    let worker = std::thread::Builder::new().stack_size(1 << 20).spawn(move || {
        let mut lines = Vec::new();
        let mut failures = Vec::new();
        for (small, large) in pathological::cases(SMALL).into_iter().zip(pathological::cases(LARGE)) {
            let small_time = measure(&small, &small.input);
            // A parser that is slow already at 100 KB fails here, before the 1 MB input can take minutes.
            assert!(
                small_time <= bound(&small.input),
                "{}: {} KB took {small_time:?}",
                small.name,
                small.input.len() / 1024
            );
            let large_time = measure(&large, &large.input);
            let ratio = large_time.as_secs_f64() / small_time.as_secs_f64().max(1e-6);
            lines.push(format!(
                "  {:<50} {:>5} KB {:>9.2} ms {:>5} KB {:>9.2} ms  ×{ratio:.1}",
                large.name,
                small.input.len() / 1024,
                small_time.as_secs_f64() * 1e3,
                large.input.len() / 1024,
                large_time.as_secs_f64() * 1e3,
            ));
            if large_time > bound(&large.input) {
                failures.push(format!("{}: {} KB took {large_time:?}", large.name, large.input.len() / 1024));
            } else if large_time > floor && ratio > ratio_limit {
                failures.push(format!("{}: ten times the input took {ratio:.1} times as long", large.name));
            }
        }
        (lines, failures)
    });
    let (lines, failures) =
        worker.expect("the thread starts").join().expect("a check failed in the worker (its message is above)");
    let build = if cfg!(debug_assertions) { "debug" } else { "release" };
    let mut stderr = std::io::stderr();
    let _ = writeln!(
        stderr,
        "Markdown, cmark's pathological inputs, parse + drop, better of 2 runs ({build} build, native):"
    );
    for line in &lines {
        let _ = writeln!(stderr, "{line}");
    }
    assert!(failures.is_empty(), "over the bound of {per_byte:?} a byte or not linear:\n{}", failures.join("\n"));
}
