//! cmark's pathological Markdown inputs (its test/pathological_tests.py), built at any size, for the native
//! test (tests/markdown_pathological.rs) and the benchmark in Chromium (tests/bench_markdown.rs).
//!
//! Each case repeats cmark's pattern until the input reaches the asked size. A few cases are not one
//! pattern repeated: the deeply nested lists and the backtick runs grow their lines, so their size is
//! quadratic in their count and they are sized by bytes like the others. Added to cmark's list: the
//! issue's bracket answer (`[` × n then `]` × n), cmark's disabled "many references" case, and a table a
//! kilobyte wide over many one-character rows, which pulldown-cmark pads with empty cells.

/// One pathological input.
pub struct Case {
    pub name: &'static str,
    pub input: String,
    /// Whether every letter of the input is content, so the tree must show as many letters as the input
    /// holds (nothing dropped by the depth cap). False where letters are also link labels or addresses.
    /// Only the native test reads it; the benchmark in Chromium only times.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub keeps_letters: bool,
}

/// Repeats `unit` until the result holds at least `bytes` bytes.
fn repeat(unit: &str, bytes: usize) -> String {
    unit.repeat(bytes.div_ceil(unit.len()))
}

/// Every case at about `bytes` bytes.
pub fn cases(bytes: usize) -> Vec<Case> {
    let case = |name, input, keeps_letters| Case { name, input, keeps_letters };
    let nested_strong = {
        let n = bytes.div_ceil("*a **a ".len() + " a** a*".len());
        format!("{}b{}", "*a **a ".repeat(n), " a** a*".repeat(n))
    };
    let issue_389 = {
        let n = bytes.div_ceil("*a ".len() + "_a*_ ".len());
        format!("{}{}", "*a ".repeat(n), "_a*_ ".repeat(n))
    };
    let mut nested_lists = String::new();
    for level in 0.. {
        if nested_lists.len() >= bytes {
            break;
        }
        nested_lists.push_str(&"  ".repeat(level));
        nested_lists.push_str("* a\n");
    }
    let mut backticks = String::new();
    for run in 1.. {
        if backticks.len() >= bytes {
            break;
        }
        backticks.push('e');
        backticks.push_str(&"`".repeat(run));
    }
    let references = {
        // cmark's "many references": definitions, then as many uses of one undefined label.
        let mut out = String::new();
        let mut i = 1;
        while out.len() < bytes * 3 / 4 {
            out.push_str(&format!("[{i}]: u\n"));
            i += 1;
        }
        out + &repeat("[0] ", bytes / 4)
    };
    let collisions = {
        // The shape of cmark's "reference collisions" (which targets cmark's own hash table): each
        // definition followed by a use of the first label.
        let mut out = String::new();
        let mut i = 1;
        while out.len() < bytes {
            out.push_str(&format!("[x{i}]: /url\n\n[x0]\n\n"));
            i += 1;
        }
        out
    };
    let wide_table = {
        let columns = 1_000;
        format!("{}|\n{}|\n{}", "|a".repeat(columns), "|-".repeat(columns), repeat("x\n", bytes))
    };
    let n = bytes / 3;
    let empty_lines_in_lists = format!("{}x{}", "- ".repeat(n), "\n".repeat(n));
    let n = bytes / 4;
    let empty_lines_in_quoted_lists = format!("> {}x\n{}", "- ".repeat(n), ">\n".repeat(n));
    let n = bytes / 3;
    let emph_in_deep_quote = format!("{}{}", ">".repeat(n), "a*".repeat(n));
    let n = bytes / 2;
    let nested_brackets = format!("{}a{}", "[".repeat(n), "]".repeat(n));
    let brackets_answer = format!("{}{}", "[".repeat(n), "]".repeat(n));
    vec![
        case("nested strong emph", nested_strong, true),
        case("many emph closers with no openers", repeat("a_ ", bytes), true),
        case("many emph openers with no closers", repeat("_a ", bytes), true),
        case("many link closers with no openers", repeat("a]", bytes), true),
        case("many link openers with no closers", repeat("[a", bytes), true),
        case("mismatched openers and closers", repeat("*a_ ", bytes), true),
        case("issue #389", issue_389, true),
        case("openers and closers multiple of 3", format!("a**b{}", repeat("c* ", bytes)), true),
        case("link openers and emph closers", repeat("[ a_", bytes), true),
        case("pattern [ (]( repeated", repeat("[ (](", bytes), true),
        case("pattern ![[]() repeated", repeat("![[]()", bytes), true),
        case("nested brackets", nested_brackets, true),
        case("brackets answer ([ x n, ] x n)", brackets_answer, true),
        case("nested block quotes", format!("{}a", repeat("> ", bytes)), true),
        case("deeply nested lists", nested_lists, true),
        case("U+0000 in input", repeat("abc\u{0}de\u{0}", bytes), true),
        case("backticks", backticks, true),
        case("unclosed links A", repeat("[a](<b", bytes), true),
        case("unclosed links B", repeat("[a](b", bytes), true),
        case("unclosed <!--", format!("</{}", repeat("<!--", bytes)), true),
        case("empty lines in deeply nested lists", empty_lines_in_lists, true),
        case("empty lines in deeply nested lists in blockquote", empty_lines_in_quoted_lists, true),
        case("emph in deep blockquote", emph_in_deep_quote, true),
        case("many references", references, false),
        case("reference collisions", collisions, false),
        case("wide table over one-character rows", wide_table, true),
    ]
}
