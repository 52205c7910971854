//! Lexical search for "Search chats": a tokenizer that handles English and Korean (and Chinese and Japanese)
//! text, a BM25 index over documents named by string ids (message ids, image ids), and reciprocal rank fusion
//! for merging the lexical ranking with the vector ranking.
//!
//! The tokenizer splits text into runs of one script. Letter and digit runs become lowercased words, with a
//! short English stop-word list and one plural rule as the only language knowledge. Hangul runs and runs of
//! CJK ideographs and kana, which do not put spaces between words reliably, become overlapping character
//! bigrams, so a query matches text that contains it anywhere, particles and all. See [`tokenize`].
//!
//! The index keeps each document's term frequencies, so replacing or removing a document deletes exactly its
//! own postings without scanning other terms, and a term whose last posting goes is dropped. Only the
//! documents are serialised (`{"docs":[{"id":"m1","terms":[["cat",1],["sofa",2]]}]}`); postings, the id map
//! and the total length are rebuilt when the index is read back.
//!
//! This module does not: normalise Unicode (NFKC), stem beyond the plural rule, segment languages without
//! spaces other than by bigrams (Thai, for example, is split only at non-letters), keep term positions (no
//! phrase queries), or know anything about IndexedDB, chats or embeddings. A query of one Hangul syllable only
//! matches documents where that syllable stands alone, because longer Hangul runs are indexed as bigrams.

use std::collections::HashMap;

/// The BM25 term-frequency saturation parameter.
pub const BM25_K1: f64 = 1.2;
/// The BM25 document-length normalisation parameter.
pub const BM25_B: f64 = 0.75;
/// The conventional constant for [`reciprocal_rank_fusion`].
pub const RRF_K: f32 = 60.0;

/// English words too common to be worth indexing. They are compared before the plural rule is applied.
const STOP_WORDS: [&str; 24] = [
    "the", "a", "an", "and", "or", "of", "to", "in", "is", "are", "was", "were", "it", "this", "that", "what", "which",
    "with", "for", "on", "at", "be", "do", "does",
];

/// The kind of run a character belongs to; characters of no kind separate terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    /// Letters and digits of alphabetic scripts (Latin, Greek, Cyrillic and so on), and digits everywhere.
    Word,
    /// Hangul syllables and jamo.
    Hangul,
    /// CJK ideographs, hiragana and katakana.
    Cjk,
}

/// Whether `c` is a Hangul syllable or jamo (conjoining, compatibility, extended or half-width).
fn is_hangul(c: char) -> bool {
    matches!(c,
        '\u{AC00}'..='\u{D7A3}'
        | '\u{1100}'..='\u{11FF}'
        | '\u{3131}'..='\u{318E}'
        | '\u{A960}'..='\u{A97C}'
        | '\u{D7B0}'..='\u{D7FB}'
        | '\u{FFA0}'..='\u{FFDC}')
}

/// Whether `c` is a CJK ideograph, an ideographic iteration or closing mark, or kana. The katakana middle dot
/// and double hyphen are punctuation and are left out.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3005}'..='\u{3007}'
        | '\u{3041}'..='\u{3096}'
        | '\u{3099}'..='\u{309F}'
        | '\u{30A1}'..='\u{30FA}'
        | '\u{30FC}'..='\u{30FF}'
        | '\u{31F0}'..='\u{31FF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FF66}'..='\u{FF9F}'
        | '\u{20000}'..='\u{3FFFF}')
}

/// Whether `c` is a combining diacritical mark, which continues a word (decomposed "café") rather than ending it.
fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20EF}')
}

/// The script of `c` on its own, without regard to the run it is in.
fn script_of(c: char) -> Option<Script> {
    if is_hangul(c) {
        Some(Script::Hangul)
    } else if is_cjk(c) {
        Some(Script::Cjk)
    } else if c.is_alphanumeric() {
        Some(Script::Word)
    } else {
        None
    }
}

/// Splits text into search terms, in text order and with repeats (repeats are term frequency).
///
/// The text is cut into runs of one script; anything that is not a letter or digit (spaces, punctuation,
/// apostrophes, emoji, symbols) ends a run, and so does a change of script, so "iPhone15와" gives "iphone15"
/// and "와".
///
/// - Word runs (letters and digits outside Hangul and CJK) are lowercased with Unicode case rules; combining
///   diacritical marks stay inside the word. A word that is a single ASCII letter is dropped, but numbers are
///   kept, including single digits. Words in the English stop-word list (the, a, an, and, or, of, to, in, is,
///   are, was, were, it, this, that, what, which, with, for, on, at, be, do, does) are dropped.
/// - The plural rule: a word made only of ASCII letters, longer than three letters, that ends in "s" but not in
///   "ss", "us" or "is", loses that final "s" ("cats" → "cat", "photos" → "photo", "glasses" → "glasse";
///   "glass", "virus", "analysis" and "bus" stay). A possessive "'s" needs no rule of its own: the apostrophe
///   splits "cat's" into "cat" and "s", and the lone "s" is dropped. The rule is crude, but queries go through
///   the same function, so "glasses" still finds "glasses".
/// - Hangul runs, and runs of CJK ideographs and kana, give overlapping character bigrams ("고양이" → "고양",
///   "양이"); a run of one character gives that character ("와"). Hangul and CJK are separate scripts, so a
///   bigram never spans the two.
pub fn tokenize(text: &str) -> Vec<String> {
    let mut terms = Vec::new();
    let mut run: Option<(Script, usize)> = None;
    for (at, c) in text.char_indices() {
        let script = match (script_of(c), run) {
            (Some(script), _) => Some(script),
            (None, Some((Script::Word, _))) if is_combining_mark(c) => Some(Script::Word),
            (None, _) => None,
        };
        let current = run.map(|(s, _)| s);
        if script != current {
            if let Some((s, start)) = run {
                push_run(&text[start..at], s, &mut terms);
            }
            run = script.map(|s| (s, at));
        }
    }
    if let Some((s, start)) = run {
        push_run(&text[start..], s, &mut terms);
    }
    terms
}

/// Turns one run of a single script into terms.
fn push_run(run: &str, script: Script, terms: &mut Vec<String>) {
    match script {
        Script::Word => {
            if let Some(word) = normalise_word(run) {
                terms.push(word);
            }
        }
        Script::Hangul | Script::Cjk => {
            let bounds: Vec<usize> = run.char_indices().map(|(i, _)| i).chain(std::iter::once(run.len())).collect();
            if bounds.len() <= 2 {
                terms.push(run.to_string());
            } else {
                terms.extend(bounds.windows(3).map(|w| run[w[0]..w[2]].to_string()));
            }
        }
    }
}

/// Lowercases a word and applies the single-letter, stop-word and plural rules; `None` if it is dropped.
fn normalise_word(run: &str) -> Option<String> {
    let mut word: String = run.chars().flat_map(char::to_lowercase).collect();
    let mut chars = word.chars();
    if let (Some(only), None) = (chars.next(), chars.next()) {
        if only.is_ascii_alphabetic() {
            return None;
        }
    }
    if STOP_WORDS.contains(&word.as_str()) {
        return None;
    }
    let plural = word.len() > 3
        && word.bytes().all(|b| b.is_ascii_lowercase())
        && word.ends_with('s')
        && !word.ends_with("ss")
        && !word.ends_with("us")
        && !word.ends_with("is");
    if plural {
        word.pop();
    }
    Some(word)
}

/// Counts the terms of `text`: sorted by term, each term once, every count above zero.
fn term_frequencies(text: &str) -> Vec<(String, u32)> {
    let mut terms = tokenize(text);
    terms.sort_unstable();
    let mut counted: Vec<(String, u32)> = Vec::new();
    for term in terms {
        match counted.last_mut() {
            Some((last, n)) if *last == term => *n = n.saturating_add(1),
            _ => counted.push((term, 1)),
        }
    }
    counted
}

/// The length of a document in terms: the sum of its term frequencies.
fn length_of(terms: &[(String, u32)]) -> u32 {
    terms.iter().fold(0u32, |sum, (_, n)| sum.saturating_add(*n))
}

/// One stored document: its id and term frequencies (sorted by term, unique, non-zero).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Doc {
    id: String,
    terms: Vec<(String, u32)>,
    /// The sum of the term frequencies, kept so scoring need not add them up.
    #[serde(skip)]
    len: u32,
}

/// One entry of a posting list: the slot of a document holding the term, and how often it holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Posting {
    slot: usize,
    tf: u32,
}

/// A BM25 index over documents identified by string ids (message ids, image ids).
///
/// Documents live in a dense slot vector; removing one moves the last document into its slot. Two indexes are
/// equal when they hold the same ids with the same term frequencies, whatever order they were added in.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "StoredIndex")]
pub struct LexicalIndex {
    docs: Vec<Doc>,
    /// The slot of each document id.
    #[serde(skip)]
    slots: HashMap<String, usize>,
    /// For each term, the documents holding it, in no particular order.
    #[serde(skip)]
    postings: HashMap<String, Vec<Posting>>,
    /// The sum of all document lengths, for the average document length.
    #[serde(skip)]
    total_len: u64,
}

/// The serialised form of [`LexicalIndex`]: only the documents; everything else is rebuilt from them.
#[derive(serde::Deserialize)]
struct StoredIndex {
    docs: Vec<Doc>,
}

impl TryFrom<StoredIndex> for LexicalIndex {
    type Error = String;

    /// Rebuilds the postings from stored documents. Term lists are put back in canonical form (sorted, merged,
    /// no zero counts); a repeated document id means the stored index is damaged and is refused.
    fn try_from(stored: StoredIndex) -> Result<Self, Self::Error> {
        let mut index = LexicalIndex::new();
        for mut doc in stored.docs {
            if index.slots.contains_key(doc.id.as_str()) {
                return Err(format!("the stored lexical index holds document {:?} twice", doc.id));
            }
            doc.terms.retain(|(term, n)| *n > 0 && !term.is_empty());
            doc.terms.sort_unstable();
            doc.terms.dedup_by(|later, kept| {
                let same = later.0 == kept.0;
                if same {
                    kept.1 = kept.1.saturating_add(later.1);
                }
                same
            });
            doc.len = length_of(&doc.terms);
            let slot = index.docs.len();
            link(&mut index.postings, slot, &doc.terms);
            index.total_len += u64::from(doc.len);
            index.slots.insert(doc.id.clone(), slot);
            index.docs.push(doc);
        }
        Ok(index)
    }
}

impl PartialEq for LexicalIndex {
    fn eq(&self, other: &Self) -> bool {
        self.docs.len() == other.docs.len()
            && self.docs.iter().all(|doc| {
                other
                    .slots
                    .get(doc.id.as_str())
                    .and_then(|&slot| other.docs.get(slot))
                    .is_some_and(|o| o.terms == doc.terms)
            })
    }
}

impl Eq for LexicalIndex {}

/// Adds a posting for every term of the document in `slot`.
fn link(postings: &mut HashMap<String, Vec<Posting>>, slot: usize, terms: &[(String, u32)]) {
    for (term, tf) in terms {
        let posting = Posting { slot, tf: *tf };
        match postings.get_mut(term.as_str()) {
            Some(list) => list.push(posting),
            None => {
                postings.insert(term.clone(), vec![posting]);
            }
        }
    }
}

/// Removes the postings of the document in `slot` for each of its terms, dropping terms left with none.
fn unlink(postings: &mut HashMap<String, Vec<Posting>>, slot: usize, terms: &[(String, u32)]) {
    for (term, _) in terms {
        let Some(list) = postings.get_mut(term.as_str()) else { continue };
        if let Some(at) = list.iter().position(|p| p.slot == slot) {
            list.swap_remove(at);
        }
        if list.is_empty() {
            postings.remove(term.as_str());
        }
    }
}

/// Up to this many matches, [`LexicalIndex::remove_where`] removes documents one by one; above it, it rewrites
/// every posting list in a single pass.
const BULK_REMOVE_THRESHOLD: usize = 16;

impl LexicalIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces the document `id` with `text` (replacing removes the old postings first). A text with no
    /// terms still makes a document: it counts towards the document total but matches no query.
    pub fn upsert(&mut self, id: &str, text: &str) {
        let terms = term_frequencies(text);
        let len = length_of(&terms);
        if let Some(&slot) = self.slots.get(id) {
            let doc = &mut self.docs[slot];
            if doc.terms == terms {
                return;
            }
            unlink(&mut self.postings, slot, &doc.terms);
            link(&mut self.postings, slot, &terms);
            self.total_len = self.total_len - u64::from(doc.len) + u64::from(len);
            doc.terms = terms;
            doc.len = len;
        } else {
            let slot = self.docs.len();
            link(&mut self.postings, slot, &terms);
            self.total_len += u64::from(len);
            self.slots.insert(id.to_string(), slot);
            self.docs.push(Doc { id: id.to_string(), terms, len });
        }
    }

    /// Removes a document and every posting of it. Returns whether it was there.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(slot) = self.slots.remove(id) else { return false };
        let last = self.docs.len() - 1;
        let doc = self.docs.swap_remove(slot);
        unlink(&mut self.postings, slot, &doc.terms);
        self.total_len -= u64::from(doc.len);
        if slot != last {
            // The last document now sits in the freed slot; point its id and postings there.
            let moved = &self.docs[slot];
            if let Some(s) = self.slots.get_mut(moved.id.as_str()) {
                *s = slot;
            }
            for (term, _) in &moved.terms {
                let Some(list) = self.postings.get_mut(term.as_str()) else { continue };
                if let Some(p) = list.iter_mut().find(|p| p.slot == last) {
                    p.slot = slot;
                }
            }
        }
        true
    }

    /// Removes every document whose id satisfies the predicate (used to delete a whole chat's records); returns
    /// how many.
    pub fn remove_where(&mut self, pred: impl Fn(&str) -> bool) -> usize {
        let doomed: Vec<bool> = self.docs.iter().map(|doc| pred(&doc.id)).collect();
        let count = doomed.iter().filter(|&&d| d).count();
        if count == 0 {
            return 0;
        }
        if count <= BULK_REMOVE_THRESHOLD {
            let ids: Vec<String> =
                self.docs.iter().zip(&doomed).filter(|(_, &d)| d).map(|(doc, _)| doc.id.clone()).collect();
            for id in ids {
                self.remove(&id);
            }
            return count;
        }
        // Keep the survivors in order, note where each old slot went, then rewrite every posting list once.
        let mut new_slot: Vec<Option<usize>> = Vec::with_capacity(self.docs.len());
        let mut kept = Vec::with_capacity(self.docs.len() - count);
        for (doc, doomed) in std::mem::take(&mut self.docs).into_iter().zip(doomed) {
            if doomed {
                self.slots.remove(doc.id.as_str());
                self.total_len -= u64::from(doc.len);
                new_slot.push(None);
            } else {
                let slot = kept.len();
                if let Some(s) = self.slots.get_mut(doc.id.as_str()) {
                    *s = slot;
                }
                new_slot.push(Some(slot));
                kept.push(doc);
            }
        }
        self.docs = kept;
        self.postings.retain(|_, list| {
            list.retain_mut(|p| match new_slot.get(p.slot).copied().flatten() {
                Some(slot) => {
                    p.slot = slot;
                    true
                }
                None => false,
            });
            !list.is_empty()
        });
        count
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.slots.contains_key(id)
    }

    /// The ids of all documents, in no particular order.
    pub fn ids(&self) -> impl Iterator<Item = &str> + '_ {
        self.docs.iter().map(|doc| doc.id.as_str())
    }

    /// The top `k` documents for `query` by BM25 (k1 = 1.2, b = 0.75), best first, ties broken by id ascending
    /// so results are deterministic. Documents with score 0 are not returned.
    ///
    /// The query goes through [`tokenize`] and each distinct query term counts once. The inverse document
    /// frequency is the non-negative form ln(1 + (N − df + 0.5) / (df + 0.5)), so every matching term adds to
    /// the score.
    pub fn search(&self, query: &str, k: usize) -> Vec<(String, f32)> {
        self.search_where(query, k, |_| true)
    }

    /// [`Self::search`] among the documents whose id `keep` accepts, so that others cannot crowd them out of
    /// the `k`.
    pub fn search_where(&self, query: &str, k: usize, keep: impl Fn(&str) -> bool) -> Vec<(String, f32)> {
        if k == 0 || self.docs.is_empty() || self.total_len == 0 {
            return Vec::new();
        }
        let mut terms = tokenize(query);
        terms.sort_unstable();
        terms.dedup();
        let n = self.docs.len() as f64;
        let avgdl = self.total_len as f64 / n;
        let mut scores = vec![0f64; self.docs.len()];
        for term in &terms {
            let Some(list) = self.postings.get(term.as_str()) else { continue };
            let df = list.len() as f64;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            for p in list {
                let tf = f64::from(p.tf);
                let dl = f64::from(self.docs[p.slot].len);
                scores[p.slot] += idf * tf * (BM25_K1 + 1.0) / (tf + BM25_K1 * (1.0 - BM25_B + BM25_B * dl / avgdl));
            }
        }
        let docs = &self.docs;
        let mut hits: Vec<(usize, f32)> = scores
            .iter()
            .enumerate()
            .map(|(slot, &s)| (slot, s as f32))
            .filter(|&(slot, s)| s > 0.0 && keep(&docs[slot].id))
            .collect();
        let order =
            |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1).then_with(|| docs[a.0].id.cmp(&docs[b.0].id));
        if hits.len() > k {
            hits.select_nth_unstable_by(k - 1, order);
            hits.truncate(k);
        }
        let mut out: Vec<(String, f32)> =
            hits.into_iter().map(|(slot, score)| (docs[slot].id.clone(), score)).collect();
        super::sort_ranked(&mut out);
        out
    }

    /// Every (term, doc id) posting currently stored, for tests that prove nothing orphaned remains. Sorted by
    /// term, then id.
    pub fn postings(&self) -> Vec<(String, String)> {
        let mut all: Vec<(String, String)> = self
            .postings
            .iter()
            .flat_map(|(term, list)| {
                list.iter().filter_map(|p| self.docs.get(p.slot).map(|doc| (term.clone(), doc.id.clone())))
            })
            .collect();
        all.sort_unstable();
        all
    }
}

/// Reciprocal rank fusion of several ranked lists of ids (best first): score(id) = Σ 1 / (k + rank), rank
/// starting at 1, with the conventional k = 60 ([`RRF_K`]). Returns ids with fused scores, best first, ties
/// broken by id ascending. An id repeated within one list counts once, at its best rank.
pub fn reciprocal_rank_fusion(lists: &[Vec<String>], k: f32) -> Vec<(String, f32)> {
    let k = f64::from(k);
    let mut fused: HashMap<&str, f64> = HashMap::new();
    for list in lists {
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::with_capacity(list.len());
        for (i, id) in list.iter().enumerate() {
            if seen.insert(id.as_str()) {
                *fused.entry(id.as_str()).or_insert(0.0) += 1.0 / (k + (i + 1) as f64);
            }
        }
    }
    let mut out: Vec<(String, f32)> = fused.into_iter().map(|(id, score)| (id.to_string(), score as f32)).collect();
    super::sort_ranked(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn toks(text: &str) -> Vec<String> {
        tokenize(text)
    }

    fn strs(terms: &[&str]) -> Vec<String> {
        terms.iter().map(|t| t.to_string()).collect()
    }

    /// Checks every internal invariant: ids, slots, lengths, canonical term lists and postings agree.
    fn check_invariants(index: &LexicalIndex) {
        assert_eq!(index.slots.len(), index.docs.len());
        let mut total = 0u64;
        let mut expected_postings = 0usize;
        for (slot, doc) in index.docs.iter().enumerate() {
            assert_eq!(index.slots.get(doc.id.as_str()), Some(&slot), "slot of {}", doc.id);
            assert_eq!(doc.len, length_of(&doc.terms));
            assert!(doc.terms.windows(2).all(|w| w[0].0 < w[1].0), "terms of {} not sorted and unique", doc.id);
            assert!(doc.terms.iter().all(|(_, n)| *n > 0));
            total += u64::from(doc.len);
            expected_postings += doc.terms.len();
            for (term, tf) in &doc.terms {
                let list = index.postings.get(term).expect("a document term has a posting list");
                assert_eq!(list.iter().filter(|p| p.slot == slot).map(|p| p.tf).collect::<Vec<_>>(), vec![*tf]);
            }
        }
        assert_eq!(index.total_len, total);
        let stored: usize = index.postings.values().map(Vec::len).sum();
        assert_eq!(stored, expected_postings, "postings that belong to no document");
        assert!(index.postings.values().all(|list| !list.is_empty()));
        assert!(index.postings.values().flatten().all(|p| p.slot < index.docs.len()));
    }

    #[test]
    fn english_case_punctuation_and_stop_words() {
        assert_eq!(toks("The Cat is on the MAT!"), strs(&["cat", "mat"]));
        assert_eq!(toks("What, which... and/or: it's THIS that"), Vec::<String>::new());
        assert_eq!(toks("hello-world_foo.bar"), strs(&["hello", "world", "foo", "bar"]));
        assert_eq!(toks("Éclair ÜBER straße"), strs(&["éclair", "über", "straße"]));
        // A decomposed accent stays inside its word.
        assert_eq!(toks("cafe\u{301} au lait"), strs(&["cafe\u{301}", "au", "lait"]));
        // Single ASCII letters go; single non-ASCII letters stay.
        assert_eq!(toks("a b I x é"), strs(&["é"]));
        assert_eq!(toks(""), Vec::<String>::new());
        assert_eq!(toks("   \n\t "), Vec::<String>::new());
    }

    #[test]
    fn english_plural_rule() {
        assert_eq!(toks("cats dogs photos CATS"), strs(&["cat", "dog", "photo", "cat"]));
        // Words ending in "ss", "us" or "is" keep their "s"; so do words of three letters or fewer.
        assert_eq!(
            toks("glass virus analysis bus gas its"),
            strs(&["glass", "virus", "analysis", "bus", "gas", "its"])
        );
        // "es" plurals only lose the "s"; queries get the same treatment, so they still match.
        assert_eq!(toks("glasses boxes"), strs(&["glasse", "boxe"]));
        // A possessive splits at the apostrophe and the lone "s" is dropped.
        assert_eq!(toks("the cat's toy, the dog’s bowl"), strs(&["cat", "toy", "dog", "bowl"]));
        // Words with digits or non-ASCII letters are left alone.
        assert_eq!(toks("1990s señors"), strs(&["1990s", "señors"]));
    }

    #[test]
    fn numbers_are_kept() {
        assert_eq!(
            toks("iPhone 15 Pro, 3 cats; 3.14 and 2024"),
            strs(&["iphone", "15", "pro", "3", "cat", "3", "14", "2024"])
        );
        assert_eq!(toks("2024년 3월"), strs(&["2024", "년", "3", "월"]));
    }

    #[test]
    fn korean_bigrams() {
        assert_eq!(
            toks("검은 고양이가 소파 위에 있다"),
            strs(&["검은", "고양", "양이", "이가", "소파", "위에", "있다"])
        );
        assert_eq!(toks("고양이"), strs(&["고양", "양이"]));
        assert_eq!(toks("위"), strs(&["위"]));
        // Compatibility jamo, common in chat, are Hangul too.
        assert_eq!(toks("ㅋㅋㅋ"), strs(&["ㅋㅋ", "ㅋㅋ"]));
    }

    #[test]
    fn mixed_korean_and_english() {
        assert_eq!(toks("iPhone15와 고양이"), strs(&["iphone15", "와", "고양", "양이"]));
        assert_eq!(toks("소파(sofa)에 cats!"), strs(&["소파", "sofa", "에", "cat"]));
    }

    #[test]
    fn japanese_and_chinese_bigrams() {
        assert_eq!(toks("ねこがすき"), strs(&["ねこ", "こが", "がす", "すき"]));
        assert_eq!(toks("猫が好き"), strs(&["猫が", "が好", "好き"]));
        assert_eq!(toks("ソファ・ベッド"), strs(&["ソフ", "ファ", "ベッ", "ッド"]));
        assert_eq!(toks("黑猫。"), strs(&["黑猫"]));
        assert_eq!(toks("猫"), strs(&["猫"]));
        // Hangul and CJK are separate runs.
        assert_eq!(toks("漢字한글"), strs(&["漢字", "한글"]));
    }

    #[test]
    fn emoji_and_symbols_are_ignored() {
        assert_eq!(toks("🐱😀 cat 👍🏽 ❤️ → ★"), strs(&["cat"]));
        assert_eq!(toks("고양이🐱소파"), strs(&["고양", "양이", "소파"]));
        assert_eq!(toks("👨‍👩‍👧"), Vec::<String>::new());
    }

    #[test]
    fn rarer_term_ranks_higher() {
        let mut index = LexicalIndex::new();
        index.upsert("d1", "cat dog");
        index.upsert("d2", "zebra dog");
        index.upsert("d3", "cat bird");
        index.upsert("d4", "cat fish");
        let hits = index.search("cat zebra", 10);
        assert_eq!(hits[0].0, "d2");
        assert_eq!(hits.len(), 4);
        assert!(hits[0].1 > hits[1].1);
        // The three "cat" documents have equal length and frequency, so they tie and are ordered by id.
        assert_eq!(hits[1..].iter().map(|h| h.0.as_str()).collect::<Vec<_>>(), ["d1", "d3", "d4"]);
        assert_eq!(hits[1].1, hits[3].1);
    }

    #[test]
    fn a_filtered_search_keeps_its_k_for_what_it_keeps() {
        let mut index = LexicalIndex::new();
        for i in 0..30 {
            index.upsert(&format!("here/{i:02}"), "cat cat cat on the sofa");
        }
        index.upsert("there/1", "a cat in the garden");
        index.upsert("there/2", "a dog in the garden");
        // Unfiltered, the 30 closer matches fill the k.
        assert!(index.search("cat", 5).iter().all(|(id, _)| id.starts_with("here/")));
        let there = index.search_where("cat", 5, |id| id.starts_with("there/"));
        assert_eq!(there.len(), 1);
        assert_eq!(there[0].0, "there/1");
        // The scores are those of the unfiltered search.
        let all = index.search("cat", 100);
        assert_eq!(all.iter().find(|(id, _)| id == "there/1").unwrap().1, there[0].1);
    }

    #[test]
    fn term_frequency_saturates() {
        let mut index = LexicalIndex::new();
        let filler = ["dog", "bird", "fish", "cow", "pig", "hen", "owl", "bee", "ant"];
        for tf in [1usize, 2, 5, 9] {
            let mut words = vec!["cat"; tf];
            words.extend(&filler[..10 - tf]);
            index.upsert(&format!("tf{tf}"), &words.join(" "));
        }
        index.upsert("other", "horse horse horse horse horse horse horse horse horse horse");
        let score = |id: &str| index.search("cat", 10).into_iter().find(|h| h.0 == id).map(|h| h.1).unwrap_or(0.0);
        let (s1, s2, s5, s9) = (score("tf1"), score("tf2"), score("tf5"), score("tf9"));
        assert!(0.0 < s1 && s1 < s2 && s2 < s5 && s5 < s9);
        assert!(s9 - s5 < s2 - s1, "each extra occurrence adds less");
        assert!(s9 < (BM25_K1 as f32 + 1.0) * s1, "the score is bounded by (k1 + 1) times one occurrence");
    }

    #[test]
    fn upsert_replaces_old_text() {
        let mut index = LexicalIndex::new();
        index.upsert("m1", "a red bicycle");
        index.upsert("m2", "a blue car");
        index.upsert("m1", "a green boat");
        check_invariants(&index);
        assert_eq!(index.len(), 2);
        assert!(index.search("bicycle", 10).is_empty());
        assert!(index.search("red", 10).is_empty());
        assert_eq!(index.search("boat", 10)[0].0, "m1");
        assert!(!index.postings().iter().any(|(term, _)| term == "bicycle" || term == "red"));
        // The same text again changes nothing.
        let before = index.clone();
        index.upsert("m1", "a green boat");
        assert_eq!(index, before);
        assert_eq!(index.total_len, before.total_len);
    }

    #[test]
    fn remove_leaves_no_postings_of_that_id() {
        let mut index = LexicalIndex::new();
        index.upsert("m1", "black cat on the sofa");
        index.upsert("m2", "the cat sleeps");
        index.upsert("m3", "검은 고양이");
        assert!(index.remove("m1"));
        assert!(!index.remove("m1"));
        check_invariants(&index);
        assert!(!index.contains("m1"));
        assert_eq!(index.len(), 2);
        assert!(index.postings().iter().all(|(_, id)| id != "m1"));
        assert!(!index.postings().iter().any(|(term, _)| term == "sofa" || term == "black"));
        assert_eq!(index.search("cat", 10).len(), 1);
        // The document moved into the freed slot is still found.
        assert_eq!(index.search("고양이", 10)[0].0, "m3");
        assert!(index.remove("m2") && index.remove("m3"));
        assert!(index.is_empty() && index.postings().is_empty());
        assert_eq!(index, LexicalIndex::new());
        assert_eq!(serde_json::to_string(&index).unwrap(), serde_json::to_string(&LexicalIndex::new()).unwrap());
    }

    #[test]
    fn remove_where_by_prefix() {
        for per_chat in [3usize, 40] {
            let mut index = LexicalIndex::new();
            for chat in 0..3 {
                for m in 0..per_chat {
                    index.upsert(&format!("c{chat}/m{m}"), &format!("message {m} of chat{chat} about cats"));
                }
            }
            assert_eq!(index.remove_where(|id| id.starts_with("c1/")), per_chat);
            assert_eq!(index.remove_where(|id| id.starts_with("c1/")), 0);
            check_invariants(&index);
            assert_eq!(index.len(), 2 * per_chat);
            assert!(index.postings().iter().all(|(_, id)| !id.starts_with("c1/")));
            assert!(!index.postings().iter().any(|(term, _)| term == "chat1"));
            assert!(index.search("chat1", 10).is_empty());
            assert_eq!(index.search("chat2 cats", 100).len(), 2 * per_chat);
            assert_eq!(index.remove_where(|_| true), 2 * per_chat);
            assert!(index.is_empty() && index.postings().is_empty());
        }
    }

    #[test]
    fn empty_index_empty_query_and_empty_documents() {
        let mut index = LexicalIndex::new();
        assert!(index.search("cat", 10).is_empty());
        index.upsert("m1", "black cat");
        assert!(index.search("", 10).is_empty());
        assert!(index.search("the 🐱 !", 10).is_empty());
        assert!(index.search("cat", 0).is_empty());
        index.upsert("e", "🙂 the of");
        assert!(index.contains("e"));
        assert_eq!(index.len(), 2);
        assert_eq!(index.search("cat", 10).len(), 1);
        assert!(index.remove("m1"));
        assert!(index.search("cat", 10).is_empty());
        check_invariants(&index);
    }

    #[test]
    fn korean_query_finds_korean_text() {
        let mut index = LexicalIndex::new();
        index.upsert("k1", "검은 고양이가 소파 위에 있다");
        index.upsert("k2", "강아지가 뛴다");
        let hits = index.search("고양이", 10);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].0, "k1");
        assert_eq!(index.search("강아지", 10)[0].0, "k2");
    }

    #[test]
    fn english_query_finds_english_text() {
        let mut index = LexicalIndex::new();
        index.upsert("e1", "A black cat sleeps on the sofa");
        index.upsert("e2", "Two dogs run in the park");
        let hits = index.search("cats sofa", 10);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].0, "e1");
    }

    #[test]
    fn serde_round_trip() {
        let mut index = LexicalIndex::new();
        index.upsert("m1", "A black cat sleeps on the sofa");
        index.upsert("m2", "검은 고양이가 소파 위에 있다");
        index.upsert("m3", "猫が好き cat cat");
        index.upsert("m4", "to be removed");
        index.remove("m1");
        let json = serde_json::to_string(&index).unwrap();
        assert!(json.starts_with(r#"{"docs":[{"id":"m4","terms":[["removed",1]]}"#), "{json}");
        let back: LexicalIndex = serde_json::from_str(&json).unwrap();
        check_invariants(&back);
        assert_eq!(back, index);
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        for query in ["cat", "고양이", "猫", "removed"] {
            assert_eq!(back.search(query, 10), index.search(query, 10));
        }
        // A repeated id is refused; an untidy term list is put in order.
        assert!(
            serde_json::from_str::<LexicalIndex>(r#"{"docs":[{"id":"x","terms":[]},{"id":"x","terms":[]}]}"#).is_err()
        );
        let untidy: LexicalIndex =
            serde_json::from_str(r#"{"docs":[{"id":"x","terms":[["b",1],["a",2],["b",3],["c",0]]}]}"#).unwrap();
        check_invariants(&untidy);
        assert_eq!(untidy.docs[0].terms, vec![("a".to_string(), 2), ("b".to_string(), 4)]);
    }

    #[test]
    fn equality_ignores_insertion_order() {
        let mut a = LexicalIndex::new();
        let mut b = LexicalIndex::new();
        a.upsert("x", "red car");
        a.upsert("y", "blue boat");
        b.upsert("y", "blue boat");
        b.upsert("x", "red car");
        assert_eq!(a, b);
        b.upsert("x", "red cars");
        assert_eq!(a, b);
        b.upsert("x", "red bus");
        assert_ne!(a, b);
    }

    #[test]
    fn rrf_known_numbers() {
        let lists = vec![strs(&["a", "b", "c"]), strs(&["b", "c", "d"])];
        let fused = reciprocal_rank_fusion(&lists, RRF_K);
        let expect =
            [("b", 1.0 / 62.0 + 1.0 / 61.0), ("c", 1.0 / 63.0 + 1.0 / 62.0), ("a", 1.0 / 61.0), ("d", 1.0 / 63.0)];
        assert_eq!(fused.len(), expect.len());
        for ((id, score), (want_id, want)) in fused.iter().zip(expect) {
            assert_eq!(id, want_id);
            assert_eq!(*score, want as f32);
        }
        // Other k values follow the same formula.
        let fused = reciprocal_rank_fusion(&[strs(&["p", "q"])], 0.0);
        assert_eq!(fused, vec![("p".to_string(), 1.0), ("q".to_string(), 0.5)]);
        assert!(reciprocal_rank_fusion(&[], RRF_K).is_empty());
    }

    #[test]
    fn rrf_ties_and_repeats() {
        let fused = reciprocal_rank_fusion(&[strs(&["zeta", "x"]), strs(&["alpha", "y"])], RRF_K);
        let ids: Vec<&str> = fused.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["alpha", "zeta", "x", "y"]);
        assert_eq!(fused[0].1, fused[1].1);
        // An id repeated in one list counts once, at its best rank.
        let fused = reciprocal_rank_fusion(&[strs(&["a", "a", "b"])], RRF_K);
        assert_eq!(fused, vec![("a".to_string(), (1.0f64 / 61.0) as f32), ("b".to_string(), (1.0f64 / 63.0) as f32)]);
    }

    /// A small deterministic generator (xorshift64*).
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    const VOCAB: [&str; 22] = [
        "cat",
        "cats",
        "dog",
        "sofa",
        "black",
        "red",
        "the",
        "photo",
        "photos",
        "iphone15",
        "glass",
        "beach",
        "고양이",
        "강아지",
        "소파",
        "검은",
        "빨간",
        "고양이가",
        "猫",
        "ソファ",
        "ねこ",
        "🐱",
    ];

    fn random_text(rng: &mut XorShift, max_words: usize) -> String {
        let n = rng.below(max_words + 1);
        (0..n).map(|_| VOCAB[rng.below(VOCAB.len())]).collect::<Vec<_>>().join(" ")
    }

    /// BM25 computed from scratch over the live documents, the slow and obvious way.
    fn naive_bm25(corpus: &BTreeMap<String, String>, query: &str) -> BTreeMap<String, f64> {
        let docs: Vec<(&String, Vec<String>)> = corpus.iter().map(|(id, text)| (id, tokenize(text))).collect();
        let n = docs.len() as f64;
        let avgdl = docs.iter().map(|(_, t)| t.len()).sum::<usize>() as f64 / n;
        let mut query_terms = tokenize(query);
        query_terms.sort();
        query_terms.dedup();
        let mut out = BTreeMap::new();
        for (id, terms) in &docs {
            let dl = terms.len() as f64;
            let mut score = 0.0;
            for q in &query_terms {
                let tf = terms.iter().filter(|t| *t == q).count() as f64;
                if tf == 0.0 {
                    continue;
                }
                let df = docs.iter().filter(|(_, t)| t.contains(q)).count() as f64;
                let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
                score += idf * tf * (1.2 + 1.0) / (tf + 1.2 * (1.0 - 0.75 + 0.75 * dl / avgdl));
            }
            if score > 0.0 {
                out.insert(id.to_string(), score);
            }
        }
        out
    }

    fn assert_matches_reference(index: &LexicalIndex, corpus: &BTreeMap<String, String>, query: &str) {
        let got = index.search(query, usize::MAX);
        let want = naive_bm25(corpus, query);
        assert_eq!(got.len(), want.len(), "query {query:?}");
        for (id, score) in &got {
            let reference = want.get(id).unwrap_or_else(|| panic!("{id} should not match {query:?}"));
            assert!((f64::from(*score) - reference).abs() < 1e-4, "{id} {query:?}: {score} vs {reference}");
        }
        assert!(got.windows(2).all(|w| w[0].1 > w[1].1 || (w[0].1 == w[1].1 && w[0].0 < w[1].0)));
        // The top k is a prefix of the full ranking.
        let top = index.search(query, 3);
        assert_eq!(top[..], got[..got.len().min(3)]);
    }

    #[test]
    fn matches_reference_bm25_on_random_corpora() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for round in 0..40 {
            let mut index = LexicalIndex::new();
            let mut corpus: BTreeMap<String, String> = BTreeMap::new();
            let ops = 5 + rng.below(120);
            for _ in 0..ops {
                let id = format!("c{}/m{}", rng.below(4), rng.below(30));
                match rng.below(10) {
                    0..=5 => {
                        let text = random_text(&mut rng, 12);
                        index.upsert(&id, &text);
                        corpus.insert(id, text);
                    }
                    6..=8 => assert_eq!(index.remove(&id), corpus.remove(&id).is_some()),
                    _ => {
                        let prefix = format!("c{}/", rng.below(4));
                        let before = corpus.len();
                        corpus.retain(|id, _| !id.starts_with(&prefix));
                        assert_eq!(index.remove_where(|id| id.starts_with(&prefix)), before - corpus.len());
                    }
                }
                assert_eq!(index.len(), corpus.len());
            }
            check_invariants(&index);
            assert!(corpus.keys().all(|id| index.contains(id)));
            let posted: std::collections::BTreeSet<String> = index.postings().into_iter().map(|(_, id)| id).collect();
            assert!(posted.iter().all(|id| corpus.contains_key(id)), "round {round}: orphaned postings");
            let back: LexicalIndex = serde_json::from_str(&serde_json::to_string(&index).unwrap()).unwrap();
            assert_eq!(back, index);
            assert_eq!(back.postings(), index.postings());
            for _ in 0..8 {
                let query = random_text(&mut rng, 3);
                assert_matches_reference(&index, &corpus, &query);
                assert_eq!(back.search(&query, 5), index.search(&query, 5));
            }
        }
    }
}
