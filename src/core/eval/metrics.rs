//! Deterministic text metrics: how close an answer comes to a test case's reference answer, each as a number
//! in `[0, 1]` where 1 means "the same".
//!
//! - [`exact_match`] and [`token_f1`] follow the SQuAD v1.1 evaluation script: both compare [`normalise`]d
//!   texts, so case, punctuation, extra spaces and the English articles "a", "an" and "the" do not count.
//! - [`rouge_l`] is the F-measure of the longest common subsequence of words, as Google's `rouge-score`
//!   computes its `rougeL` (beta = 1, no stemming).
//! - [`bleu4`] is sentence-level BLEU over 1- to 4-grams with sacreBLEU's `13a` tokenizer and its default
//!   `exp` smoothing, as `sacrebleu.sentence_bleu` computes it.
//! - [`chrf`] is chrF over character 1- to 6-grams with beta = 2 and whitespace removed, as sacreBLEU's
//!   `CHRF()` default (no word n-grams) computes it. It is the one metric here that handles Korean well:
//!   Korean words carry their particles ("서울은", "서울이"), so word-level metrics see two different words
//!   where character n-grams see a shared stem.
//!
//! Every metric is computed from the text alone (no model, no network, no randomness), in time linear in the
//! texts' lengths except [`rouge_l`], whose longest common subsequence takes time proportional to the product
//! of the two word counts.
//!
//! The same edge cases hold for all of them: two texts that are both empty for the metric (empty strings, or
//! only punctuation or spaces, whatever the metric's tokenizer drops) score 1, since an empty answer to an
//! empty reference is right; when only one of the two is empty they score 0. For `rouge-score` and sacreBLEU,
//! which give 0 for two empty texts, this is the only deliberate departure on ASCII text; it is the SQuAD
//! script's rule.
//!
//! What this module does not do: METEOR is left out, because it needs WordNet's synonym sets and a stemmer,
//! a lexical database far larger than the app, and one for English only; chrF catches part of what METEOR's
//! stemming does (shared word stems), in Korean too. Nothing here judges meaning either: that is the judge
//! model's work, and these numbers are only its cheap companions.

use std::collections::HashMap;
use std::hash::Hash;

/// Python's `str.split()` and `str.strip()` whitespace, which the reference implementations use: Unicode
/// whitespace plus the four ASCII information separators U+001C to U+001F, which Rust does not count.
fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// The words of a text as SQuAD compares them, in order: see [`normalise`].
fn normalised_tokens(text: &str) -> Vec<String> {
    let kept: String = text.to_lowercase().chars().filter(|&c| c.is_alphanumeric() || is_space(c)).collect();
    kept.split(is_space).filter(|t| !t.is_empty() && !matches!(*t, "a" | "an" | "the")).map(str::to_owned).collect()
}

/// The text as [`exact_match`] and [`token_f1`] compare it: lower-cased, with every character that is neither
/// a letter, a digit nor a space deleted (not replaced by a space: "don't" becomes "dont", as in SQuAD), the
/// words "a", "an" and "the" dropped, and runs of spaces collapsed to one.
///
/// This is the SQuAD v1.1 script's `normalize_answer`, made Unicode-aware: SQuAD deletes only ASCII
/// punctuation, while this deletes every non-alphanumeric character (Korean and Chinese punctuation, symbols,
/// emoji), so that "서울입니다。" and "서울입니다." agree. Hangul, like every letter and digit in Unicode, is
/// alphanumeric for [`char::is_alphanumeric`] and comes through unchanged. The text is expected in NFC, the
/// form browsers and models produce: a combining accent written as a separate character is not alphanumeric
/// and is deleted.
pub fn normalise(text: &str) -> String {
    normalised_tokens(text).join(" ")
}

/// 1 when the two [`normalise`]d texts are equal, else 0 (SQuAD's exact match). Two texts that normalise to
/// nothing are equal.
pub fn exact_match(answer: &str, reference: &str) -> f64 {
    if normalise(answer) == normalise(reference) {
        1.0
    } else {
        0.0
    }
}

/// Counts how often each item occurs.
fn counts<K: Eq + Hash>(items: impl IntoIterator<Item = K>) -> HashMap<K, usize> {
    let mut map = HashMap::new();
    for item in items {
        *map.entry(item).or_insert(0) += 1;
    }
    map
}

/// The number of items two multisets share (the size of their intersection).
fn overlap<K: Eq + Hash>(a: &HashMap<K, usize>, b: &HashMap<K, usize>) -> usize {
    a.iter().map(|(k, &n)| b.get(k).map_or(0, |&m| n.min(m))).sum()
}

/// SQuAD's token F1: the harmonic mean of the share of the answer's words found in the reference (precision)
/// and the share of the reference's words found in the answer (recall), over [`normalise`]d words counted
/// with multiplicity. Symmetric in its two arguments.
///
/// For Korean this is strict: a word is its whole space-separated run, particles included, so "서울은" and
/// "서울이" do not match; prefer [`chrf`] there.
pub fn token_f1(answer: &str, reference: &str) -> f64 {
    let answer = normalised_tokens(answer);
    let reference = normalised_tokens(reference);
    if answer.is_empty() || reference.is_empty() {
        return if answer.is_empty() && reference.is_empty() { 1.0 } else { 0.0 };
    }
    let same = overlap(&counts(answer.iter()), &counts(reference.iter()));
    if same == 0 {
        return 0.0;
    }
    let precision = same as f64 / answer.len() as f64;
    let recall = same as f64 / reference.len() as f64;
    2.0 * precision * recall / (precision + recall)
}

/// The words ROUGE-L compares: the lower-cased text cut at every character that is not alphanumeric.
///
/// `rouge-score`'s default tokenizer keeps only `[a-z0-9]` runs, which would erase Korean (and accented
/// Latin) completely; this keeps every Unicode letter and digit instead. On ASCII text the two agree exactly.
fn rouge_tokens(text: &str) -> Vec<String> {
    text.to_lowercase().split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

/// The length of the longest common subsequence of two sequences, by dynamic programming over one row of the
/// table: time proportional to `a.len() * b.len()`, memory to the shorter of the two.
fn lcs_len<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let (long, short) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    let mut row = vec![0usize; short.len() + 1];
    for x in long {
        // `diagonal` is the previous row's value one column to the left.
        let mut diagonal = 0;
        for (j, y) in short.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if x == y { diagonal + 1 } else { above.max(row[j]) };
            diagonal = above;
        }
    }
    row[short.len()]
}

/// ROUGE-L F-measure (beta = 1): the longest common subsequence of the two texts' words, as a share of the
/// answer's words (precision) and of the reference's (recall), combined by their harmonic mean. Word order
/// counts, gaps do not. Symmetric in its two arguments.
///
/// On ASCII text this equals `rouge_scorer.RougeScorer(["rougeL"]).score(reference, answer)["rougeL"]
/// .fmeasure` from `rouge-score`, except for two empty texts (see the module's notes). It differs on other
/// text by design: its words are Unicode letters and digits (see [`rouge_tokens`]), where `rouge-score` drops
/// everything outside ASCII and scores two identical Korean sentences 0.
pub fn rouge_l(answer: &str, reference: &str) -> f64 {
    let answer = rouge_tokens(answer);
    let reference = rouge_tokens(reference);
    if answer.is_empty() || reference.is_empty() {
        return if answer.is_empty() && reference.is_empty() { 1.0 } else { 0.0 };
    }
    let lcs = lcs_len(&answer, &reference) as f64;
    let precision = lcs / answer.len() as f64;
    let recall = lcs / reference.len() as f64;
    if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    }
}

/// Inserts spaces around matches of a two-character pattern, scanning left to right without overlaps as
/// Python's `re.sub` does: `matches(first, second)` says whether the pair matches, and `spaced` writes the
/// replacement of a matching pair.
fn sub_pairs(
    text: &[char],
    matches: impl Fn(char, char) -> bool,
    spaced: impl Fn(char, char, &mut Vec<char>),
) -> Vec<char> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 2);
    let mut i = 0;
    while i < text.len() {
        if i + 1 < text.len() && matches(text[i], text[i + 1]) {
            spaced(text[i], text[i + 1], &mut out);
            i += 2;
        } else {
            out.push(text[i]);
            i += 1;
        }
    }
    out
}

/// sacreBLEU's `13a` tokenizer (the one of mteval-v13a.pl, used by WMT), applied after BLEU's `rstrip`: it
/// unescapes four HTML entities, then splits off punctuation and symbols, periods and commas unless they sit
/// next to a digit ("3.50" and "3,500" stay whole), and a dash after a digit. Rules and their order follow
/// sacreBLEU 2.x's `tokenizer_13a.py` and `tokenizer_re.py`.
fn tokenize_13a(text: &str) -> Vec<String> {
    let mut line = text.trim_end_matches(is_space).replace("<skipped>", "").replace("-\n", "").replace('\n', " ");
    if line.contains('&') {
        // The order matters and is sacreBLEU's: "&amp;lt;" becomes "<".
        line = line.replace("&quot;", "\"").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">");
    }
    // The first rule pads every character of the class [{-~[-` -&(-+:-@/] with spaces.
    let mut chars = Vec::with_capacity(line.len() + 2);
    chars.push(' ');
    for c in line.chars() {
        if matches!(c, '{'..='~' | '['..='`' | ' '..='&' | '('..='+' | ':'..='@' | '/') {
            chars.extend([' ', c, ' ']);
        } else {
            chars.push(c);
        }
    }
    chars.push(' ');
    let digit = |c: char| c.is_ascii_digit();
    let period_or_comma = |c: char| c == '.' || c == ',';
    // A period or comma not preceded by a digit: "\1 \2 ".
    let chars = sub_pairs(&chars, |a, b| !digit(a) && period_or_comma(b), |a, b, out| out.extend([a, ' ', b, ' ']));
    // A period or comma not followed by a digit: " \1 \2".
    let chars = sub_pairs(&chars, |a, b| period_or_comma(a) && !digit(b), |a, b, out| out.extend([' ', a, ' ', b]));
    // A dash preceded by a digit: "\1 \2 ".
    let chars = sub_pairs(&chars, |a, b| digit(a) && b == '-', |a, b, out| out.extend([a, ' ', b, ' ']));
    let line: String = chars.into_iter().collect();
    line.split(is_space).filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

/// The highest n-gram order BLEU counts.
const BLEU_ORDER: usize = 4;

/// Sentence-level BLEU (1- to 4-grams, one reference) with sacreBLEU's defaults for `sentence_bleu`: the
/// `13a` tokenizer, case kept, `exp` smoothing and effective order.
///
/// BLEU is the geometric mean of the answer's n-gram precisions against the reference (clipped counts), times
/// a brevity penalty `exp(1 - r/c)` when the answer's `c` tokens are fewer than the reference's `r`. The `exp`
/// smoothing (method 3 of Chen and Cherry 2014, the NIST smoothing of mteval-v13a.pl) replaces the k-th order
/// with no match by `1 / (2^k * total)`; effective order leaves out orders the answer is too short to have,
/// so that two identical one-word texts score 1. An answer sharing no single token with the reference scores
/// 0.
///
/// This equals `sacrebleu.sentence_bleu(answer, [reference]).score / 100` (sacreBLEU 2.x), except for two
/// empty texts (see the module's notes) and rounding: sacreBLEU reports 100.00000000000004 for identical
/// texts, which is clamped here to 1. The tokenizer is meant for Western languages; on Korean it splits at
/// spaces and punctuation, so particles make words differ (prefer [`chrf`]).
pub fn bleu4(answer: &str, reference: &str) -> f64 {
    let hyp = tokenize_13a(answer);
    let refs = tokenize_13a(reference);
    if hyp.is_empty() || refs.is_empty() {
        return if hyp.is_empty() && refs.is_empty() { 1.0 } else { 0.0 };
    }
    let mut correct = [0usize; BLEU_ORDER];
    let mut total = [0usize; BLEU_ORDER];
    for n in 1..=BLEU_ORDER {
        let hyp_ngrams = counts(hyp.windows(n));
        let ref_ngrams = counts(refs.windows(n));
        total[n - 1] = hyp.len().saturating_sub(n - 1);
        correct[n - 1] = overlap(&hyp_ngrams, &ref_ngrams);
    }
    if correct.iter().all(|&c| c == 0) {
        return 0.0;
    }
    let (sys_len, ref_len) = (hyp.len() as f64, refs.len() as f64);
    // The answer is not empty here, so the division is defined.
    let brevity = if sys_len < ref_len { (1.0 - ref_len / sys_len).exp() } else { 1.0 };
    // Precisions are in percent and summed in order, as in sacreBLEU, so that results agree to the last digits.
    let mut smooth = 1.0;
    let mut log_sum = 0.0;
    let mut orders = 0;
    for (&matched, &all) in correct.iter().zip(&total) {
        if all == 0 {
            break;
        }
        orders += 1;
        let precision = if matched == 0 {
            smooth *= 2.0;
            100.0 / (smooth * all as f64)
        } else {
            100.0 * matched as f64 / all as f64
        };
        log_sum += precision.ln();
    }
    // `orders` is at least 1: the answer has at least one token, so one unigram.
    let score = brevity * (log_sum / orders as f64).exp() / 100.0;
    score.clamp(0.0, 1.0)
}

/// The highest character n-gram order chrF counts.
const CHRF_ORDER: usize = 6;
/// chrF's beta: recall weighs beta² = 4 times as much as precision.
const CHRF_BETA: f64 = 2.0;

/// chrF (Popović 2015) with sacreBLEU's defaults: character 1- to 6-grams of the texts with all whitespace
/// removed, case kept, beta = 2, no word n-grams, and effective order (orders that either text is too short
/// to have are left out, rather than sacreBLEU's optional epsilon smoothing).
///
/// For each order the answer's precision and recall against the reference are computed over clipped n-gram
/// counts; they are averaged over the orders, and the score is `(1 + β²)·P·R / (β²·P + R)`. Characters are
/// Unicode scalar values, as Python's are, so a Hangul syllable is one character and Korean is scored on
/// shared syllables, which is what makes chrF the metric of choice for it.
///
/// This equals `sacrebleu.sentence_chrf(answer, [reference]).score / 100` (sacreBLEU 2.x), except for two
/// empty texts (see the module's notes).
pub fn chrf(answer: &str, reference: &str) -> f64 {
    let hyp: Vec<char> = answer.chars().filter(|&c| !is_space(c)).collect();
    let refs: Vec<char> = reference.chars().filter(|&c| !is_space(c)).collect();
    if hyp.is_empty() || refs.is_empty() {
        return if hyp.is_empty() && refs.is_empty() { 1.0 } else { 0.0 };
    }
    let factor = CHRF_BETA * CHRF_BETA;
    let (mut avg_precision, mut avg_recall, mut orders) = (0.0, 0.0, 0);
    for n in 1..=CHRF_ORDER {
        let hyp_count = hyp.len().saturating_sub(n - 1);
        let ref_count = refs.len().saturating_sub(n - 1);
        if hyp_count == 0 || ref_count == 0 {
            continue;
        }
        let matched = overlap(&counts(hyp.windows(n)), &counts(refs.windows(n))) as f64;
        avg_precision += matched / hyp_count as f64;
        avg_recall += matched / ref_count as f64;
        orders += 1;
    }
    // Both texts have at least one character here, so the unigrams count and `orders` is at least 1.
    avg_precision /= orders as f64;
    avg_recall /= orders as f64;
    if avg_precision + avg_recall > 0.0 {
        let score = (1.0 + factor) * avg_precision * avg_recall / (factor * avg_precision + avg_recall);
        score.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values are compared to 1e-12: they agree to the last few bits, not necessarily all of them.
    fn close(actual: f64, expected: f64) {
        assert!((actual - expected).abs() < 1e-12, "got {actual}, expected {expected}");
    }

    /// sacreBLEU reports scores in percent; they are compared as it prints them.
    fn close_percent(actual: f64, expected: f64) {
        assert!((actual * 100.0 - expected).abs() < 1e-10, "got {actual}, expected {expected}%");
    }

    /// Fixed answer/reference pairs, in English, Romanian, Korean and a mix, used against the references below.
    const CAT: (&str, &str) = ("The cat sat on the mat.", "The cat is on the mat.");
    const FOX: (&str, &str) = ("the quick brown fox jumps over the lazy dog", "The quick brown dog jumps on the log.");
    const PRICE: (&str, &str) =
        ("It costs $3.50, i.e. 3,500 won -- or so.", "The price is 3.50 dollars (about 3,500 won).");
    const PAGES: (&str, &str) =
        ("See pages 10-20 of the 2nd ed.; \"quoted\" & done...", "pages 10-21, 2nd edition: 'quoted' &amp; done");
    /// sacreBLEU's own sentence-BLEU example (its test_sentence_bleu.py, from its issue #98).
    const SUGAR: (&str, &str) = (
        "Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;",
        "producţia de zahăr brut se exprimă în zahăr alb;",
    );
    const SEOUL: (&str, &str) = ("서울은 대한민국의 수도입니다.", "대한민국의 수도는 서울입니다.");
    const CAPITAL: (&str, &str) = ("한국의 수도는 서울이다", "서울은 한국의 수도이다");
    const MIXED: (&str, &str) = ("GPT-4o는 이미지를 읽을 수 있다.", "GPT-4o can read images.");
    const TESTING: (&str, &str) = ("testing one", "testing one two");

    type Metric = fn(&str, &str) -> f64;
    const ALL: [(&str, Metric); 5] =
        [("em", exact_match), ("f1", token_f1), ("rouge_l", rouge_l), ("bleu4", bleu4), ("chrf", chrf)];

    #[test]
    fn normalise_follows_squad_and_keeps_korean() {
        assert_eq!(normalise("The  Cat, sat on a mat!"), "cat sat on mat");
        assert_eq!(normalise("An apple; the END."), "apple end");
        // Articles only go as whole words.
        assert_eq!(normalise("Theatre and anagrams"), "theatre and anagrams");
        // Punctuation is deleted, not replaced by a space, as in SQuAD.
        assert_eq!(normalise("don't U.S. 3.50"), "dont us 350");
        assert_eq!(normalise("서울은 대한민국의 수도입니다."), "서울은 대한민국의 수도입니다");
        assert_eq!(normalise("「서울」은\t수도。 ★"), "서울은 수도");
        assert_eq!(normalise("ÉCOLE Straße ΣΟΦΟΣ"), "école straße σοφος");
        assert_eq!(normalise(""), "");
        assert_eq!(normalise(" ... the a an !? "), "");
    }

    #[test]
    fn normalise_agrees_with_the_squad_script() {
        // SQuAD v1.1 evaluate-v1.1.py's normalize_answer, run under Python 3.11 on the fixed pairs.
        let expected = [
            (CAT, "cat sat on mat", "cat is on mat"),
            (FOX, "quick brown fox jumps over lazy dog", "quick brown dog jumps on log"),
            (PRICE, "it costs 350 ie 3500 won or so", "price is 350 dollars about 3500 won"),
            (PAGES, "see pages 1020 of 2nd ed quoted done", "pages 1021 2nd edition quoted amp done"),
            (SEOUL, "서울은 대한민국의 수도입니다", "대한민국의 수도는 서울입니다"),
            (MIXED, "gpt4o는 이미지를 읽을 수 있다", "gpt4o can read images"),
        ];
        for ((answer, reference), a, r) in expected {
            assert_eq!(normalise(answer), a);
            assert_eq!(normalise(reference), r);
        }
    }

    #[test]
    fn exact_match_ignores_case_punctuation_and_articles() {
        assert_eq!(exact_match("The Eiffel Tower.", "eiffel tower"), 1.0);
        assert_eq!(exact_match("서울", "서울."), 1.0);
        assert_eq!(exact_match("서울", "부산"), 0.0);
        assert_eq!(exact_match("Paris", "Paris, France"), 0.0);
    }

    #[test]
    fn edge_cases_are_the_same_for_every_metric() {
        for (name, metric) in ALL {
            assert_eq!(metric("", ""), 1.0, "{name}: both empty");
            assert_eq!(metric("   ", "\n"), 1.0, "{name}: both blank");
            assert_eq!(metric("", "Paris"), 0.0, "{name}: empty answer");
            assert_eq!(metric("Paris", ""), 0.0, "{name}: empty reference");
            for text in ["Paris", "The cat sat on the mat.", "서울은 대한민국의 수도입니다.", "GPT-4o는 3.5배 빠르다!"]
            {
                assert_eq!(metric(text, text), 1.0, "{name}: identical {text:?}");
            }
            assert_eq!(metric("dog", "cat"), 0.0, "{name}: nothing shared");
            for (answer, reference) in [CAT, FOX, PRICE, PAGES, SUGAR, SEOUL, CAPITAL, MIXED, TESTING] {
                let score = metric(answer, reference);
                assert!((0.0..=1.0).contains(&score), "{name}: {score} out of range");
            }
        }
        // Texts that are only punctuation are empty for the word metrics (but not for chrF, which counts
        // every character but spaces, nor for BLEU, whose tokenizer keeps punctuation).
        assert_eq!(token_f1("?!", "..."), 1.0);
        assert_eq!(rouge_l("?!", "..."), 1.0);
        assert_eq!(rouge_l("?!", "word"), 0.0);
        assert_eq!(chrf("?!", "..."), 0.0);
    }

    #[test]
    fn token_f1_by_hand_and_against_squad() {
        // Hand-computed: "cat sat on mat" against "cat is on mat" shares 3 of 4 words each way, so F1 = 3/4.
        close(token_f1(CAT.0, CAT.1), 0.75);
        // Words count with multiplicity: "x x y" against "x y y" shares one x and one y, so P = R = 2/3.
        close(token_f1("x x y", "x y y"), 2.0 / 3.0);
        // SQuAD v1.1 evaluate-v1.1.py's f1_score, run under Python 3.11 on the fixed pairs.
        close(token_f1(FOX.0, FOX.1), 0.6153846153846153);
        close(token_f1(PRICE.0, PRICE.1), 0.39999999999999997);
        close(token_f1(PAGES.0, PAGES.1), 0.5333333333333333);
        close(token_f1(SUGAR.0, SUGAR.1), 0.3636363636363637);
        close(token_f1(SEOUL.0, SEOUL.1), 0.3333333333333333);
        close(token_f1(CAPITAL.0, CAPITAL.1), 0.3333333333333333);
        close(token_f1(MIXED.0, MIXED.1), 0.0);
        close(token_f1(TESTING.0, TESTING.1), 0.8);
    }

    #[test]
    fn lcs_is_the_textbook_one() {
        // rouge-score's testLcsTable: the LCS of [1, 2, 3, 4, 5] and [2, 5, 3, 4] has length 3.
        assert_eq!(lcs_len(&[1, 2, 3, 4, 5], &[2, 5, 3, 4]), 3);
        assert_eq!(lcs_len(&[2, 5, 3, 4], &[1, 2, 3, 4, 5]), 3);
        assert_eq!(lcs_len(&[1, 2, 3, 4, 5], &[8, 9]), 0);
        assert_eq!(lcs_len::<u8>(&[], &[1]), 0);
        assert_eq!(lcs_len(&"ABCBDAB".chars().collect::<Vec<_>>(), &"BDCABA".chars().collect::<Vec<_>>()), 4);
    }

    #[test]
    fn rouge_l_matches_rouge_score_on_ascii() {
        // rouge-score's own tests (rouge_scorer_test.py): consecutive and non-consecutive matches, 4/5.
        close(rouge_l("testing one", "testing one two"), 0.8);
        close(rouge_l("testing two", "testing one two"), 0.8);
        // Hand-computed: the LCS "the cat on the mat" is 5 of 6 words each way.
        close(rouge_l(CAT.0, CAT.1), 5.0 / 6.0);
        // rouge-score 0.1.2, RougeScorer(["rougeL"]).score(reference, answer)["rougeL"].fmeasure.
        close(rouge_l(FOX.0, FOX.1), 0.5882352941176471);
        close(rouge_l(PRICE.0, PRICE.1), 0.47619047619047616);
        close(rouge_l(PAGES.0, PAGES.1), 0.5555555555555556);
    }

    #[test]
    fn rouge_l_keeps_words_rouge_score_drops() {
        // rouge-score 0.1.2 gives 0 for both Korean pairs and 0.5714285714285715 for the mixed one, having
        // erased every Hangul word. Here, by hand: one word of three in common ("대한민국의" and "수도는"
        // respectively), so F = 1/3; and for the mixed pair, "gpt" is the only common word among 6 and 5.
        close(rouge_l(SEOUL.0, SEOUL.1), 1.0 / 3.0);
        close(rouge_l(CAPITAL.0, CAPITAL.1), 1.0 / 3.0);
        close(rouge_l(MIXED.0, MIXED.1), 2.0 / 11.0);
        assert_eq!(rouge_tokens("Café 서울은, GPT-4o!"), ["café", "서울은", "gpt", "4o"]);
    }

    #[test]
    fn the_13a_tokenizer_matches_sacrebleu() {
        // sacreBLEU 2.6.0, Tokenizer13a()(text.rstrip()).
        let cases = [
            ("It costs $3.50, i.e. 3,500 won -- or so.", "It costs $ 3.50 , i . e . 3,500 won -- or so ."),
            (PAGES.0, "See pages 10 - 20 of the 2nd ed . ; \" quoted \" & done . . ."),
            (PAGES.1, "pages 10 - 21 , 2nd edition : 'quoted' & done"),
            ("a.. b,,c 1.5.x -3- x-y 3-4 &amp;lt; <skipped>ok", "a . . b , , c 1.5 . x -3 - x-y 3 - 4 < ok"),
            (MIXED.0, "GPT-4o는 이미지를 읽을 수 있다 ."),
        ];
        for (text, expected) in cases {
            assert_eq!(tokenize_13a(text).join(" "), expected, "{text:?}");
        }
    }

    #[test]
    fn bleu4_by_hand() {
        // Clipped matches 6/7, 4/6, 2/5, 1/4 and equal lengths: BLEU = (6/7 · 4/6 · 2/5 · 1/4)^(1/4).
        close(bleu4(CAT.0, CAT.1), (6.0 / 7.0 * 4.0 / 6.0 * 2.0 / 5.0 * 1.0 / 4.0_f64).powf(0.25));
        // Two tokens, both orders matched, effective order 2, brevity penalty exp(1 - 3/2).
        close(bleu4(TESTING.0, TESTING.1), (-0.5_f64).exp());
        // One unigram of three matches; the 2- and 3-gram orders have no match and are smoothed to
        // 1/(2·2) and 1/(4·1); there is no 4-gram, so the effective order is 3.
        close(bleu4(CAPITAL.0, CAPITAL.1), (1.0 / 3.0 * 1.0 / 4.0 * 1.0 / 4.0_f64).powf(1.0 / 3.0));
    }

    #[test]
    fn bleu4_matches_sacrebleu() {
        // sacreBLEU's own test_sentence_bleu.py expects 8.493 (±0.001) for its example with `exp` smoothing.
        assert!((bleu4(SUGAR.0, SUGAR.1) - 0.08493).abs() < 1e-5);
        // sacreBLEU 2.6.0 (Python 3.11), sentence_bleu(answer, [reference]).score, in percent.
        close_percent(bleu4(SUGAR.0, SUGAR.1), 8.493098745313148);
        close_percent(bleu4(CAT.0, CAT.1), 48.892302243490086);
        close_percent(bleu4(FOX.0, FOX.1), 11.99014838091355);
        close_percent(bleu4(PRICE.0, PRICE.1), 6.250381527944883);
        close_percent(bleu4(PAGES.0, PAGES.1), 9.917720727091444);
        close_percent(bleu4(SEOUL.0, SEOUL.1), 18.99589214128981);
        close_percent(bleu4(CAPITAL.0, CAPITAL.1), 27.516060407455225);
        close_percent(bleu4(MIXED.0, MIXED.1), 8.116697886877475);
        close_percent(bleu4(TESTING.0, TESTING.1), 60.653065971263366);
        // sacreBLEU's test_sentence_bleu.py: no shared token scores 0 (its issue #141).
        assert_eq!(bleu4("this is a cat", "okay thanks"), 0.0);
        // BLEU keeps case, as sacreBLEU does by default.
        assert!(bleu4("Paris", "paris") < 1.0);
    }

    #[test]
    fn chrf_by_hand() {
        // sacreBLEU's test_chrf.py (effective-order cases, where precision equals recall so beta does not
        // matter): "aa" against "ab" scores 25; spaces do not count.
        close(chrf("aa", "ab"), 0.25);
        close(chrf("a b c", "abc"), 1.0);
        assert_eq!(chrf("", "reference"), 0.0);
        // "ab" against "abc": unigrams P = 1, R = 2/3; bigrams P = 1, R = 1/2; no trigram in the answer.
        // Averages P = 1, R = 7/12, so F2 = 5 · 7/12 / (4 + 7/12) = 7/11.
        close(chrf("ab", "abc"), 7.0 / 11.0);
    }

    #[test]
    fn chrf_matches_sacrebleu() {
        // sacreBLEU 2.6.0 (Python 3.11), sentence_chrf(answer, [reference]).score, in percent.
        close_percent(chrf(CAT.0, CAT.1), 67.17273492330233);
        close_percent(chrf(FOX.0, FOX.1), 54.45520662478064);
        close_percent(chrf(PRICE.0, PRICE.1), 26.071607899840327);
        close_percent(chrf(PAGES.0, PAGES.1), 39.33850718239713);
        close_percent(chrf(SUGAR.0, SUGAR.1), 46.16121170087866);
        close_percent(chrf(SEOUL.0, SEOUL.1), 54.2983867983868);
        close_percent(chrf(CAPITAL.0, CAPITAL.1), 39.900793650793645);
        close_percent(chrf(MIXED.0, MIXED.1), 20.745775680989755);
        close_percent(chrf(TESTING.0, TESTING.1), 75.04328606776774);
    }

    #[test]
    fn chrf_credits_shared_korean_stems() {
        // Word-level metrics see no common word in "서울은" and "서울이"; chrF sees the shared "서울".
        assert_eq!(token_f1("서울은", "서울이"), 0.0);
        assert!(chrf("서울은", "서울이") > 0.3);
    }
}
