//! What goes with a question besides the recent conversation: which of the chat's images are attached, which
//! are described by their captions only, which earlier messages are recalled because they are relevant, and,
//! when the wardrobe is on, which wardrobe items go too (ranked the same way, see [`crate::core::wardrobe`]).
//!
//! Candidates are ranked by reciprocal rank fusion of two lists: cosine similarity of their embeddings to the
//! question's (when both exist) and BM25 over the question's words. So retrieval still works with words alone
//! (offline, or before the embeddings are made), and a rare exact term (a model number, a name) is found even
//! when embeddings blur it. This module decides; it fetches nothing: vectors and texts come in.

use crate::core::model::{ContextItem, ContextUse, ImageMeta, Message, Settings};
use crate::core::prompt::{is_sendable, trim_history, Recalled};
use crate::core::retrieval::lexical::{reciprocal_rank_fusion, LexicalIndex, RRF_K};
use crate::core::retrieval::sort_ranked;
use crate::core::retrieval::vector::VectorIndex;
use crate::core::search::{image_doc, message_doc};
use std::collections::{HashMap, HashSet};

/// A recalled message is kept when its embedding is at least this similar to the question's. Unrelated
/// texts score about 0.0–0.2 with OpenAI's embedding models; texts on the same subject score 0.35 and up.
pub const MIN_SIMILARITY: f32 = 0.35;
/// Or when the question's words score at least this much BM25 in it (a rare term shared, not just a common one).
pub const MIN_WORDS: f32 = 2.0;
/// A recalled message is cut to this many characters.
pub const RECALL_CHARS: usize = 1200;

/// What ranking knows about one candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub doc: String,
    pub similarity: Option<f32>,
    pub words: Option<f32>,
    pub fused: f32,
}

/// The signals retrieval ranks by: the question's embedding with the index it can be compared with, and the
/// lexical index. Either may be missing.
#[derive(Clone, Copy)]
pub struct Signals<'a> {
    pub query: &'a str,
    /// The question's embedding (of the same model and size as `vectors`).
    pub query_vector: Option<&'a [f32]>,
    pub vectors: Option<&'a VectorIndex>,
    pub lexical: Option<&'a LexicalIndex>,
}

impl Signals<'_> {
    /// Ranks `docs` best first. Documents that neither signal scores keep their given order, after the rest.
    pub fn rank(&self, docs: &[String]) -> Vec<Scored> {
        let mut similarity: HashMap<&str, f32> = HashMap::new();
        if let (Some(q), Some(index)) = (self.query_vector, self.vectors) {
            if let Ok(q) = index.query(q) {
                for d in docs {
                    if let Some(s) = index.similarity(&q, d) {
                        similarity.insert(d, s);
                    }
                }
            }
        }
        let wanted: HashSet<&str> = docs.iter().map(String::as_str).collect();
        let words: HashMap<String, f32> = match self.lexical {
            Some(l) if !self.query.trim().is_empty() => {
                l.search(self.query, l.len()).into_iter().filter(|(d, _)| wanted.contains(d.as_str())).collect()
            }
            _ => HashMap::new(),
        };
        let mut by_vector: Vec<(String, f32)> = similarity.iter().map(|(d, s)| (d.to_string(), *s)).collect();
        sort_ranked(&mut by_vector);
        let mut by_words: Vec<(String, f32)> = words.iter().map(|(d, s)| (d.clone(), *s)).collect();
        sort_ranked(&mut by_words);
        let ids = |list: Vec<(String, f32)>| list.into_iter().map(|(d, _)| d).collect::<Vec<_>>();
        let fused = reciprocal_rank_fusion(&[ids(by_vector), ids(by_words)], RRF_K);
        // Fused documents first (already in order), then the others in their given order.
        let scored = |d: &str, fused: f32| Scored {
            doc: d.to_owned(),
            similarity: similarity.get(d).copied(),
            words: words.get(d).copied(),
            fused,
        };
        let mut out: Vec<Scored> = fused.iter().map(|(d, f)| scored(d, *f)).collect();
        let seen: HashSet<&str> = fused.iter().map(|(d, _)| d.as_str()).collect();
        out.extend(docs.iter().filter(|d| !seen.contains(d.as_str())).map(|d| scored(d, 0.0)));
        out
    }
}

/// A message from another chat that may be recalled, with the title of its chat.
#[derive(Debug, Clone, PartialEq)]
pub struct Foreign {
    pub message: Message,
    pub chat_title: String,
}

/// What retrieval decided for one question.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContextPlan {
    /// For each image of the chat, in chat order: whether it is attached (otherwise its caption stands in).
    pub attached: Vec<bool>,
    /// Recalled messages, oldest first.
    pub recalled: Vec<Recalled>,
    /// Everything used, for the answer's "Context" disclosure (wardrobe items are added once they are read).
    pub items: Vec<ContextItem>,
    /// The wardrobe items that may go with the question, best first (see [`crate::core::wardrobe::choose`]);
    /// the pipeline takes the first of them it can send.
    pub wardrobe: Vec<Scored>,
}

/// What a plan is made from.
#[derive(Clone, Copy)]
pub struct PlanInput<'a> {
    pub signals: Signals<'a>,
    /// The chat's images, in chat order.
    pub images: &'a [ImageMeta],
    /// Images attached at most.
    pub max_images: usize,
    /// The chat's messages before the question, in order.
    pub history: &'a [Message],
    /// The history budget the prompt will trim to (so messages that will be sent anyway are not recalled).
    pub history_budget: u32,
    /// Messages of other chats that may be recalled (empty unless recall reaches all chats).
    pub foreign: &'a [Foreign],
    /// Messages recalled at most.
    pub max_recalled: usize,
    /// The document ids of the wardrobe's items when the wardrobe is on for the question (else empty).
    pub wardrobe: &'a [String],
    /// Wardrobe candidates ranked into the plan at most.
    pub max_wardrobe: usize,
}

/// A score with two decimals ("0.62", "-0.05"), without the float formatter (which costs kilobytes of wasm).
pub fn format_score(x: f32) -> String {
    let c = (x * 100.0).round() as i64;
    let sign = if c < 0 { "-" } else { "" };
    let c = c.abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

/// Whether embedding the question can change what it carries: only when the chat has more images than are
/// attached, when the history budget leaves messages out, or when recall reaches other chats. Otherwise
/// every image goes and there is nothing to recall, so the request is saved.
pub fn wants_query_vector(settings: &Settings, images: usize, history: &[Message], question: &str) -> bool {
    let (_, trimmed) = trim_history(history, settings.history_budget);
    let helps = images > settings.context_images as usize || trimmed > 0 || settings.recall_all_chats;
    helps && !question.trim().is_empty()
}

/// The image numbers a question names: "image 3", "img 3", "이미지 3", "사진 3", "#3" (1-based).
pub fn named_images(question: &str) -> Vec<usize> {
    let lower = question.to_ascii_lowercase();
    let mut out = Vec::new();
    for word in ["image", "img", "picture", "photo", "이미지", "사진", "그림", "#"] {
        let mut rest = lower.as_str();
        while let Some(at) = rest.find(word) {
            rest = &rest[at + word.len()..];
            let digits: String = rest.trim_start_matches([' ', '.']).chars().take_while(char::is_ascii_digit).collect();
            if let Ok(n) = digits.parse::<usize>() {
                if n > 0 && !out.contains(&n) {
                    out.push(n);
                }
            }
        }
    }
    out
}

fn label_of(m: &Message) -> String {
    let flat: String = m.content.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut label: String = flat.chars().take(80).collect();
    if flat.chars().count() > 80 {
        label.push('…');
    }
    label
}

fn cut(text: &str, max_chars: usize) -> String {
    let mut out: String = text.chars().take(max_chars).collect();
    if text.chars().count() > max_chars {
        out.push('…');
    }
    out
}

fn item(used: ContextUse, id: &str, chat_id: &str, label: String, s: Option<&Scored>) -> ContextItem {
    ContextItem {
        used,
        id: id.to_owned(),
        chat_id: chat_id.to_owned(),
        label,
        from_chat: None,
        similarity: s.and_then(|s| s.similarity),
        words: s.and_then(|s| s.words),
        gone: None,
    }
}

/// Decides which images are attached and which messages are recalled for a question.
///
/// Images: all of them when there are at most `max_images`; otherwise those the question names by number,
/// then the best ranked, then (when nothing ranks) the newest. Recall: messages of this chat that the history
/// budget leaves out, and `foreign` ones, kept when similar enough or sharing rare words, best `max_recalled`.
pub fn plan(input: &PlanInput) -> ContextPlan {
    let images = input.images;
    let docs: Vec<String> = images.iter().map(image_doc).collect();
    let ranked = input.signals.rank(&docs);
    let score_of = |doc: &str| ranked.iter().find(|s| s.doc == doc);
    let mut attached = vec![images.len() <= input.max_images; images.len()];
    if images.len() > input.max_images {
        let mut chosen: Vec<usize> = named_images(input.signals.query)
            .into_iter()
            .filter(|n| *n <= images.len())
            .map(|n| n - 1)
            .take(input.max_images)
            .collect();
        let by_rank = ranked.iter().filter(|s| s.fused > 0.0).filter_map(|s| docs.iter().position(|d| *d == s.doc));
        let newest = (0..images.len()).rev();
        for i in by_rank.chain(newest) {
            if chosen.len() >= input.max_images {
                break;
            }
            if !chosen.contains(&i) {
                chosen.push(i);
            }
        }
        for i in chosen {
            attached[i] = true;
        }
    }
    let mut items: Vec<ContextItem> = images
        .iter()
        .zip(&attached)
        .zip(&docs)
        .map(|((img, &on), doc)| {
            let used = if on { ContextUse::Attached } else { ContextUse::Caption };
            item(used, &img.id, &img.chat_id, img.name.clone(), score_of(doc))
        })
        .collect();

    // Recall: what the history budget leaves out of this chat, and other chats' candidates.
    let (kept, _) = trim_history(input.history, input.history_budget);
    let kept: HashSet<&str> = kept.iter().map(|m| m.id.as_str()).collect();
    let mut candidates: Vec<(&Message, Option<&str>)> =
        input.history.iter().filter(|m| is_sendable(m) && !kept.contains(m.id.as_str())).map(|m| (m, None)).collect();
    candidates.extend(
        input.foreign.iter().filter(|f| is_sendable(&f.message)).map(|f| (&f.message, Some(f.chat_title.as_str()))),
    );
    let docs: Vec<String> = candidates.iter().map(|(m, _)| message_doc(m)).collect();
    let mut chosen: Vec<Option<Scored>> = vec![None; candidates.len()];
    for s in input
        .signals
        .rank(&docs)
        .into_iter()
        .filter(|s| s.similarity.is_some_and(|x| x >= MIN_SIMILARITY) || s.words.is_some_and(|x| x >= MIN_WORDS))
        .take(input.max_recalled)
    {
        if let Some(i) = docs.iter().position(|d| *d == s.doc) {
            chosen[i] = Some(s);
        }
    }
    // In conversation order (this chat's history is in order; other chats' messages follow).
    let mut out = Vec::new();
    for ((m, title), s) in candidates.iter().zip(&chosen) {
        let Some(s) = s else { continue };
        let recalled = item(ContextUse::Recalled, &m.id, &m.chat_id, label_of(m), Some(s));
        items.push(ContextItem { from_chat: title.map(str::to_owned), ..recalled });
        out.push(Recalled { role: m.role, chat_title: title.map(str::to_owned), text: cut(&m.content, RECALL_CHARS) });
    }
    let wardrobe = crate::core::wardrobe::choose(&input.signals, input.wardrobe, input.max_wardrobe);
    ContextPlan { attached, recalled: out, items, wardrobe }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::Role;
    use crate::core::search::tests::image;
    use crate::core::search::{index_image, index_message};

    fn msg(chat: &str, id: &str, role: Role, text: &str, t: f64) -> Message {
        Message::new(id.into(), chat.into(), role, text.into(), t)
    }

    /// A toy embedding: one dimension per known word, so texts sharing words are similar.
    fn embed(text: &str) -> Vec<f32> {
        const WORDS: [&str; 8] = ["cat", "dog", "bicycle", "red", "beach", "mountain", "car", "tree"];
        let lower = text.to_lowercase();
        WORDS.iter().map(|w| if lower.contains(w) { 1.0 } else { 0.0 }).collect()
    }

    fn images8() -> Vec<ImageMeta> {
        ["cat", "dog", "bicycle", "beach", "mountain", "car", "tree", "red"]
            .iter()
            .enumerate()
            .map(|(i, w)| image("c", &format!("i{i}"), &format!("{i}.jpg"), Some(&format!("a photo of a {w}"))))
            .collect()
    }

    fn indexes(images: &[ImageMeta], messages: &[Message]) -> (VectorIndex, LexicalIndex) {
        let mut v = VectorIndex::new(8);
        let mut l = LexicalIndex::new();
        for i in images {
            v.upsert(&image_doc(i), &embed(i.caption.as_deref().unwrap())).unwrap();
            index_image(&mut l, i);
        }
        for m in messages {
            v.upsert(&message_doc(m), &embed(&m.content)).unwrap();
            index_message(&mut l, m);
        }
        (v, l)
    }

    fn input<'a>(signals: Signals<'a>, images: &'a [ImageMeta], history: &'a [Message]) -> PlanInput<'a> {
        PlanInput {
            signals,
            images,
            max_images: 3,
            history,
            history_budget: 8000,
            foreign: &[],
            max_recalled: 4,
            wardrobe: &[],
            max_wardrobe: 3,
        }
    }

    #[test]
    fn few_images_are_all_attached() {
        let images = &images8()[..3];
        let q = embed("the dog");
        let (v, l) = indexes(images, &[]);
        let signals = Signals { query: "the dog", query_vector: Some(&q), vectors: Some(&v), lexical: Some(&l) };
        let plan = plan(&input(signals, images, &[]));
        assert_eq!(plan.attached, vec![true; 3]);
        assert_eq!(plan.items.len(), 3);
        assert!(plan.items[1].similarity.unwrap() > 0.99, "{:?}", plan.items);
    }

    #[test]
    fn with_more_than_k_the_relevant_image_is_attached_and_the_rest_are_captions() {
        let images = images8();
        let q = embed("What colour is the bicycle?");
        let (v, l) = indexes(&images, &[]);
        let signals = Signals {
            query: "What colour is the bicycle?",
            query_vector: Some(&q),
            vectors: Some(&v),
            lexical: Some(&l),
        };
        let plan = plan(&input(signals, &images, &[]));
        assert!(plan.attached[2], "the bicycle image is attached: {:?}", plan.attached);
        assert_eq!(plan.attached.iter().filter(|a| **a).count(), 3);
        let bike = &plan.items[2];
        assert_eq!((bike.used, bike.label.as_str()), (ContextUse::Attached, "2.jpg"));
        assert!(bike.similarity.unwrap() > 0.99 && bike.words.unwrap() > 0.0);
        assert_eq!(plan.items.iter().filter(|i| i.used == ContextUse::Caption).count(), 5);
    }

    #[test]
    fn words_alone_still_rank_and_named_images_come_first() {
        let images = images8();
        let (_, l) = indexes(&images, &[]);
        let signals = Signals {
            query: "Compare image 1 with the mountain",
            query_vector: None,
            vectors: None,
            lexical: Some(&l),
        };
        let plan = plan(&input(signals, &images, &[]));
        assert!(plan.attached[0] && plan.attached[4], "{:?}", plan.attached);
        assert_eq!(plan.items[4].similarity, None);
        // Nothing ranks: the newest images are attached.
        let signals = Signals { query: "what is this?", query_vector: None, vectors: None, lexical: Some(&l) };
        let plan = super::plan(&input(signals, &images, &[]));
        assert_eq!(plan.attached, vec![false, false, false, false, false, true, true, true]);
    }

    #[test]
    fn recalls_relevant_messages_that_the_budget_left_out_oldest_first() {
        let mut history = vec![
            msg("c", "m1", Role::User, "My cat is called Nabi.", 1.0),
            msg("c", "m2", Role::Assistant, "Nabi is a lovely name for a cat.", 2.0),
            msg("c", "m3", Role::User, "I rode a red bicycle today.", 3.0),
        ];
        for i in 0..30 {
            history.push(msg(
                "c",
                &format!("f{i}"),
                Role::User,
                &"filler words about nothing ".repeat(20),
                10.0 + i as f64,
            ));
        }
        let q = embed("What is my cat called?");
        let (v, l) = indexes(&[], &history);
        let signals =
            Signals { query: "What is my cat called?", query_vector: Some(&q), vectors: Some(&v), lexical: Some(&l) };
        let plan = plan(&PlanInput { history_budget: 400, ..input(signals, &[], &history) });
        let texts: Vec<&str> = plan.recalled.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(texts, vec!["My cat is called Nabi.", "Nabi is a lovely name for a cat."]);
        assert!(plan.items.iter().all(|i| i.used == ContextUse::Recalled && i.similarity.unwrap() >= MIN_SIMILARITY));
        // With room for the whole history, nothing needs recalling.
        let plan = super::plan(&input(signals, &[], &history));
        assert!(plan.recalled.is_empty());
    }

    #[test]
    fn foreign_messages_carry_their_chat_title_and_unrelated_ones_stay_out() {
        let other = Foreign {
            message: msg("c2", "x1", Role::User, "We camped at the beach near the mountain.", 1.0),
            chat_title: "Holiday".into(),
        };
        let unrelated = Foreign {
            message: msg("c2", "x2", Role::User, "The car needs new tyres.", 2.0),
            chat_title: "Holiday".into(),
        };
        let foreign = vec![other.clone(), unrelated.clone()];
        let (v, l) = indexes(&[], &[other.message.clone(), unrelated.message.clone()]);
        let q = embed("Which beach did we visit?");
        let signals = Signals {
            query: "Which beach did we visit?",
            query_vector: Some(&q),
            vectors: Some(&v),
            lexical: Some(&l),
        };
        let plan = plan(&PlanInput { foreign: &foreign, ..input(signals, &[], &[]) });
        assert_eq!(plan.recalled.len(), 1);
        assert_eq!(plan.recalled[0].chat_title.as_deref(), Some("Holiday"));
        assert_eq!(plan.items[0].chat_id, "c2");
        assert_eq!(plan.items[0].label, "We camped at the beach near the mountain.");
        assert_eq!(plan.items[0].from_chat.as_deref(), Some("Holiday"));
    }

    #[test]
    fn mismatched_query_dimensions_fall_back_to_words() {
        let images = images8();
        let (v, l) = indexes(&images, &[]);
        let q = vec![1.0; 5];
        let signals = Signals { query: "bicycle", query_vector: Some(&q), vectors: Some(&v), lexical: Some(&l) };
        let ranked = signals.rank(&images.iter().map(image_doc).collect::<Vec<_>>());
        assert_eq!(ranked[0].doc, "i:c:i2");
        assert_eq!(ranked[0].similarity, None);
    }

    #[test]
    fn the_question_is_embedded_only_when_retrieval_can_change_something() {
        let s = Settings { context_images: 3, history_budget: 8000, ..Settings::default() };
        let history = vec![msg("c", "m1", Role::User, "hello", 1.0)];
        assert!(!wants_query_vector(&s, 3, &history, "which one?"));
        assert!(wants_query_vector(&s, 4, &history, "which one?"));
        assert!(!wants_query_vector(&s, 4, &history, "  "));
        let tight = Settings { history_budget: 1, ..s.clone() };
        assert!(wants_query_vector(&tight, 0, &history, "which one?"));
        let everywhere = Settings { recall_all_chats: true, ..s };
        assert!(wants_query_vector(&everywhere, 0, &[], "which one?"));
    }

    #[test]
    fn scores_have_two_decimals() {
        assert_eq!(format_score(0.615), "0.62");
        assert_eq!(format_score(-0.05), "-0.05");
        assert_eq!(format_score(12.0), "12.00");
        assert_eq!(format_score(0.0), "0.00");
    }

    #[test]
    fn named_images_reads_numbers_after_words() {
        assert_eq!(named_images("Compare Image 2 and image 10, and #3"), vec![2, 10, 3]);
        assert_eq!(named_images("이미지 4 에 뭐가 있어?"), vec![4]);
        assert_eq!(named_images("images are nice"), Vec::<usize>::new());
    }
}
