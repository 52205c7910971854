//! "Search chats": what goes into the lexical index, under which ids, and how its hits become results.
//!
//! Messages and images (file name plus caption) of every chat are indexed under ids that carry their chat,
//! `m:<chat>:<message>` and `i:<chat>:<image>`, so deleting a chat removes exactly its postings by prefix and
//! a hit says where to go. Wardrobe items belong to no chat and are indexed as `w:wardrobe:<item>`
//! ([`wardrobe_doc`]); "Search chats" leaves them out ([`is_chat_doc`]), retrieval ranks them. The same ids
//! key the vector index, so [`fuse`] can merge lexical and vector hits by reciprocal rank fusion. Lexical
//! search is purely local and works with the network off; the vector side needs the query embedded, which this
//! module does not do. Failed and empty answers are not indexed.

use crate::core::model::{ImageMeta, Message, MessageStatus};
use crate::core::ports::{ImageRepo, MessageRepo};
use crate::core::retrieval::lexical::{reciprocal_rank_fusion, tokenize, LexicalIndex, RRF_K};
use serde::{Deserialize, Serialize};

/// The version of the stored index's terms. Bump it whenever the tokenizer's rules change: an index stored
/// under another version is rebuilt from the chats instead of being searched with mismatched terms.
pub const INDEX_FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Stored {
    format: u32,
    index: LexicalIndex,
}

/// The index as stored, with its format version.
pub fn store_index(index: &LexicalIndex) -> String {
    #[derive(Serialize)]
    struct StoredRef<'a> {
        format: u32,
        index: &'a LexicalIndex,
    }
    serde_json::to_string(&StoredRef { format: INDEX_FORMAT, index }).unwrap_or_default()
}

/// A stored index, if it is readable and of the current format; `None` means "rebuild it".
pub fn read_stored_index(json: &str) -> Option<LexicalIndex> {
    serde_json::from_str::<Stored>(json).ok().filter(|s| s.format == INDEX_FORMAT).map(|s| s.index)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitKind {
    Message,
    Image,
    /// A wardrobe item (its "chat" is [`WARDROBE`]).
    Wardrobe,
}

/// What stands for the chat in a wardrobe item's document id: no chat's id (those are UUIDs) is this.
pub const WARDROBE: &str = "wardrobe";

/// Where a search hit points.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub kind: HitKind,
    pub chat_id: String,
    pub item_id: String,
    pub score: f32,
}

pub fn message_doc(m: &Message) -> String {
    format!("m:{}:{}", m.chat_id, m.id)
}

pub fn image_doc(i: &ImageMeta) -> String {
    format!("i:{}:{}", i.chat_id, i.id)
}

/// The document id of a wardrobe item ([`crate::core::wardrobe`]).
pub fn wardrobe_doc(item_id: &str) -> String {
    format!("w:{WARDROBE}:{item_id}")
}

/// Whether a document is a chat's (a message or an image), which "Search chats" finds; not a wardrobe item.
pub fn is_chat_doc(doc: &str) -> bool {
    parse_doc(doc).is_some_and(|(kind, _, _)| kind != HitKind::Wardrobe)
}

/// Splits a document id back into its parts. Ids are UUIDs, which hold no ':'.
pub fn parse_doc(doc: &str) -> Option<(HitKind, &str, &str)> {
    let (kind, rest) = doc.split_once(':')?;
    let (chat, item) = rest.split_once(':')?;
    let kind = match kind {
        "m" => HitKind::Message,
        "i" => HitKind::Image,
        "w" => HitKind::Wardrobe,
        _ => return None,
    };
    Some((kind, chat, item))
}

/// The text an image is found by.
pub fn image_text(i: &ImageMeta) -> String {
    match &i.caption {
        Some(c) => format!("{} {}", i.name, c),
        None => i.name.clone(),
    }
}

/// Puts a message in the index, or takes it out when it has nothing to find (a failed or empty answer).
pub fn index_message(index: &mut LexicalIndex, m: &Message) {
    match findable_text(m) {
        Some(text) => index.upsert(&message_doc(m), &text),
        None => {
            index.remove(&message_doc(m));
        }
    }
}

/// The text a message is found by (in search and in the vector memory), or `None` when it has nothing to
/// find: a failed or empty answer. An answer that searched the web is found by its results' titles and
/// snippets too, so a later question can recall it by what the web said.
pub fn findable_text(m: &Message) -> Option<std::borrow::Cow<'_, str>> {
    if m.status == MessageStatus::Failed || m.content.trim().is_empty() {
        return None;
    }
    match m.search.as_ref().filter(|s| !s.results.is_empty()) {
        Some(search) => Some(format!("{}\n{}", m.content, search.index_text()).into()),
        None => Some(m.content.as_str().into()),
    }
}

/// Every document of a chat with its text, as search and the vector memory index them.
pub async fn chat_documents<S: MessageRepo + ImageRepo>(store: &S, chat_id: &str) -> Vec<(String, String)> {
    let mut docs = Vec::new();
    for m in store.load_messages(chat_id).await.unwrap_or_default() {
        if let Some(text) = findable_text(&m) {
            docs.push((message_doc(&m), text.into_owned()));
        }
    }
    for i in store.load_images(chat_id).await.unwrap_or_default() {
        docs.push((image_doc(&i), image_text(&i)));
    }
    docs
}

pub fn index_image(index: &mut LexicalIndex, i: &ImageMeta) {
    index.upsert(&image_doc(i), &image_text(i));
}

/// Removes a message or image by its own id, whichever chat it is in. Returns how many documents went.
pub fn remove_item(index: &mut LexicalIndex, item_id: &str) -> usize {
    index.remove_where(|doc| parse_doc(doc).is_some_and(|(_, _, item)| item == item_id))
}

/// Removes everything of a chat. Returns how many documents went.
pub fn remove_chat(index: &mut LexicalIndex, chat_id: &str) -> usize {
    index.remove_where(|doc| parse_doc(doc).is_some_and(|(_, chat, _)| chat == chat_id))
}

/// How a stored index differs from the store: ids of items it lacks (the index is saved a moment after each
/// change, so a tab closed in that moment leaves it behind), and its documents whose item is gone.
pub fn differences(index: &LexicalIndex, stored_ids: &[String]) -> (Vec<String>, Vec<String>) {
    let stored: std::collections::HashSet<&str> = stored_ids.iter().map(String::as_str).collect();
    let mut indexed = std::collections::HashSet::new();
    let mut gone = Vec::new();
    for doc in index.ids() {
        match parse_doc(doc) {
            Some((_, _, item)) if stored.contains(item) => {
                indexed.insert(item);
            }
            _ => gone.push(doc.to_owned()),
        }
    }
    let missing = stored_ids.iter().filter(|id| !indexed.contains(id.as_str())).cloned().collect();
    (missing, gone)
}

/// The best `k` hits for a query, best first.
pub fn search(index: &LexicalIndex, query: &str, k: usize) -> Vec<SearchHit> {
    index
        .search(query, k)
        .into_iter()
        .filter_map(|(doc, score)| {
            let (kind, chat, item) = parse_doc(&doc)?;
            Some(SearchHit { kind, chat_id: chat.to_owned(), item_id: item.to_owned(), score })
        })
        .collect()
}

/// Vector hits below this cosine similarity are left out of "Search chats": a short query is less similar to
/// a long text than two texts on one subject, so this is lower than [`crate::core::context::MIN_SIMILARITY`].
pub const SEARCH_MIN_SIMILARITY: f32 = 0.25;

/// Hybrid search: lexical hits and vector hits (document id, cosine) fused by reciprocal rank fusion, best
/// `k`. Vector hits below [`SEARCH_MIN_SIMILARITY`] are dropped first.
pub fn fuse(lexical: &[(String, f32)], vector: &[(String, f32)], k: usize) -> Vec<SearchHit> {
    let lists = [
        lexical.iter().map(|(d, _)| d.clone()).collect::<Vec<_>>(),
        vector.iter().filter(|(_, s)| *s >= SEARCH_MIN_SIMILARITY).map(|(d, _)| d.clone()).collect(),
    ];
    reciprocal_rank_fusion(&lists, RRF_K)
        .into_iter()
        .filter_map(|(doc, score)| {
            let (kind, chat, item) = parse_doc(&doc)?;
            Some(SearchHit { kind, chat_id: chat.to_owned(), item_id: item.to_owned(), score })
        })
        .take(k)
        .collect()
}

/// About `max_chars` characters of `text` around the first place a query term occurs, with "…" where cut.
pub fn snippet(text: &str, query: &str, max_chars: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let lower = flat.to_lowercase();
    // Lowercasing can change byte lengths (rarely); fall back to the start if positions do not line up.
    let at = if lower.len() == flat.len() {
        tokenize(query).iter().filter_map(|t| lower.find(t.as_str())).min().unwrap_or(0)
    } else {
        0
    };
    let chars: Vec<(usize, char)> = flat.char_indices().collect();
    let n = chars.len();
    let hit = chars.iter().position(|(i, _)| *i >= at).unwrap_or(0);
    // A quarter of the room before the match, less when the text ends sooner: a text that fits shows whole.
    let mut start = hit.saturating_sub(max_chars / 4).min(n.saturating_sub(max_chars));
    let mut end = (start + max_chars).min(n);
    // Where the text has spaces, cut between words rather than inside one.
    if start > 0 {
        if let Some(p) = chars[start..hit].iter().position(|(_, c)| *c == ' ') {
            start += p + 1;
        }
    }
    if end < n && hit < end {
        if let Some(p) = chars[hit..end].iter().rposition(|(_, c)| *c == ' ') {
            end = hit + p;
        }
    }
    let mut out: String = chars[start..end].iter().map(|(_, c)| c).collect();
    if start > 0 {
        out.insert(0, '…');
    }
    if end < chars.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::core::model::Role;

    fn msg(chat: &str, id: &str, text: &str) -> Message {
        Message::new(id.into(), chat.into(), Role::User, text.into(), 1.0)
    }

    /// A 1×1 JPEG's record, for tests of what is indexed.
    pub(crate) fn image(chat: &str, id: &str, name: &str, caption: Option<&str>) -> ImageMeta {
        ImageMeta {
            id: id.into(),
            chat_id: chat.into(),
            name: name.into(),
            mime: "image/jpeg".into(),
            bytes: 1,
            width: 1,
            height: 1,
            original_mime: "image/jpeg".into(),
            original_bytes: 1,
            original_width: 1,
            original_height: 1,
            created_ms: 1.0,
            caption: caption.map(str::to_owned),
            caption_model: None,
        }
    }

    #[test]
    fn finds_korean_and_english_messages_and_captions_across_chats() {
        let mut index = LexicalIndex::new();
        index_message(&mut index, &msg("c1", "m1", "검은 고양이가 소파 위에 있다"));
        index_message(&mut index, &msg("c2", "m2", "A red bicycle leans on the fence"));
        index_image(&mut index, &image("c2", "i1", "park.jpg", Some("Children flying a kite in a park.")));
        let hits = search(&index, "고양이", 10);
        assert_eq!(hits.len(), 1);
        assert_eq!((hits[0].kind, hits[0].chat_id.as_str(), hits[0].item_id.as_str()), (HitKind::Message, "c1", "m1"));
        assert_eq!(search(&index, "bicycles", 10)[0].item_id, "m2");
        let kite = search(&index, "kite", 10);
        assert_eq!((kite[0].kind, kite[0].item_id.as_str()), (HitKind::Image, "i1"));
        assert_eq!(search(&index, "park.jpg", 10)[0].item_id, "i1");
    }

    #[test]
    fn an_answer_that_searched_the_web_is_found_by_its_results_too() {
        let mut search = crate::core::websearch::WebSearch::start(Some(vec!["linen shirt".into()]));
        search.results = vec![crate::core::websearch::tavily::WebResult {
            title: "Seoul Linen Atelier".into(),
            url: "https://atelier.example".into(),
            site: "atelier.example".into(),
            snippet: "한남동 린넨 셔츠 전문점".into(),
            score: None,
            image: None,
            image_alt: None,
            query: 0,
        }];
        let answer = Message { search: Some(Box::new(search)), ..msg("c1", "a1", "Try the atelier [1].") };
        let text = findable_text(&answer).unwrap();
        assert!(
            text.contains("Try the atelier [1].") && text.contains("Seoul Linen Atelier") && text.contains("린넨 셔츠")
        );
        let mut index = LexicalIndex::default();
        index_message(&mut index, &answer);
        assert_eq!(index.search("린넨 셔츠", 5).first().map(|(doc, _)| doc.as_str()), Some("m:c1:a1"));
    }

    #[test]
    fn failed_answers_are_not_indexed_and_removal_is_exact() {
        let mut index = LexicalIndex::new();
        let mut failed = msg("c1", "m9", "temporary text");
        index_message(&mut index, &failed);
        failed.status = MessageStatus::Failed;
        index_message(&mut index, &failed);
        assert!(index.is_empty());
        index_message(&mut index, &msg("c1", "m1", "cats"));
        index_message(&mut index, &msg("c1", "m2", "dogs"));
        index_image(&mut index, &image("c1", "i1", "a.jpg", None));
        index_message(&mut index, &msg("c2", "m3", "cats again"));
        assert_eq!(remove_item(&mut index, "m2"), 1);
        assert_eq!(remove_chat(&mut index, "c1"), 2);
        assert!(index.postings().iter().all(|(_, doc)| doc.starts_with("m:c2:")));
        assert_eq!(index.len(), 1);
    }

    #[test]
    fn what_is_removed_leaves_no_word_or_id_in_the_stored_index() {
        let mut index = LexicalIndex::new();
        index_message(&mut index, &msg("chat-keep", "m-keep", "Nabi the cat sleeps on the sofa"));
        index_message(&mut index, &msg("chat-gone", "m-gone", "Nabi the cat loves tuna and 참치"));
        index_image(&mut index, &image("chat-keep", "i-gone", "zanzibar-ferry.jpg", Some("A ferry at dusk.")));
        let before = store_index(&index);
        assert!(before.contains("tuna") && before.contains("zanzibar") && before.contains("참치"));
        assert_eq!(remove_chat(&mut index, "chat-gone"), 1);
        assert_eq!(remove_item(&mut index, "i-gone"), 1);
        let after = store_index(&index);
        // Words only they had, their ids and their chat's id are gone; what the kept message shares stays.
        for trace in ["tuna", "참치", "zanzibar", "ferry", "dusk", "jpg", "m-gone", "chat-gone", "i-gone"] {
            assert!(!after.contains(trace), "{trace} is left in {after}");
        }
        assert!(after.contains("nabi") && after.contains("m-keep"), "{after}");
        assert!(search(&read_stored_index(&after).unwrap(), "tuna", 10).is_empty());
    }

    #[test]
    fn a_stored_index_of_another_format_is_rebuilt() {
        let mut index = LexicalIndex::new();
        index_message(&mut index, &msg("c1", "m1", "검은 고양이"));
        let json = store_index(&index);
        assert_eq!(read_stored_index(&json), Some(index.clone()));
        let older = json.replace(&format!("\"format\":{INDEX_FORMAT}"), "\"format\":0");
        assert_ne!(older, json);
        assert_eq!(read_stored_index(&older), None);
        assert_eq!(read_stored_index("{\"docs\":[]}"), None, "the unversioned form of the first build");
        assert_eq!(read_stored_index("garbage"), None);
    }

    #[test]
    fn fusion_ranks_what_both_find_first_and_drops_weak_vector_hits() {
        let lexical = vec![("m:c:a".to_owned(), 3.0), ("m:c:b".to_owned(), 2.0)];
        let vector = vec![("m:c:b".to_owned(), 0.8), ("i:c:x".to_owned(), 0.5), ("m:c:z".to_owned(), 0.1)];
        let hits = fuse(&lexical, &vector, 10);
        let ids: Vec<&str> = hits.iter().map(|h| h.item_id.as_str()).collect();
        assert_eq!(ids, ["b", "a", "x"]);
        assert_eq!(hits[2].kind, HitKind::Image);
        assert_eq!(fuse(&lexical, &[], 1).len(), 1);
    }

    #[test]
    fn differences_name_what_the_index_lacks_and_what_is_gone() {
        let mut index = LexicalIndex::new();
        index_message(&mut index, &msg("c1", "m1", "kept"));
        index_message(&mut index, &msg("c1", "m2", "deleted meanwhile"));
        let stored = vec!["m1".to_owned(), "m3".to_owned(), "i1".to_owned()];
        let (missing, gone) = differences(&index, &stored);
        assert_eq!(missing, ["m3", "i1"]);
        assert_eq!(gone, ["m:c1:m2"]);
    }

    #[test]
    fn doc_ids_round_trip() {
        let m = msg("0b0e-chat", "7f-msg", "x");
        assert_eq!(parse_doc(&message_doc(&m)), Some((HitKind::Message, "0b0e-chat", "7f-msg")));
        assert_eq!(parse_doc(&wardrobe_doc("9c-item")), Some((HitKind::Wardrobe, WARDROBE, "9c-item")));
        assert!(is_chat_doc(&message_doc(&m)) && !is_chat_doc(&wardrobe_doc("9c-item")));
        assert_eq!(parse_doc("x:1:2"), None);
        assert_eq!(parse_doc("m:only"), None);
    }

    #[test]
    fn snippets_centre_on_the_match_and_respect_characters() {
        let text = format!("{} the black cat sleeps {}", "word ".repeat(40), "more ".repeat(40));
        let s = snippet(&text, "cat", 40);
        assert!(s.starts_with('…') && s.ends_with('…') && s.contains("cat"), "{s}");
        assert!(s.chars().count() <= 42);
        let k = snippet("오늘은 날씨가 좋고 검은 고양이가 소파 위에 있다 그리고 강아지도 있다", "고양이", 10);
        assert!(k.contains("고양"), "{k}");
        assert_eq!(snippet("short", "nothing", 40), "short");
        // Whole when it fits, even with the match near its end.
        let whole = "The spare key hides under the blue flowerpot.";
        assert_eq!(snippet(whole, "flowerpot", 120), whole);
        // Cut between words, not inside one.
        let long =
            format!("{}the spare key hides under the blue flowerpot {}", "alpha ".repeat(30), "omega ".repeat(30));
        let cut = snippet(&long, "flowerpot", 40);
        let inner = cut.trim_matches('…');
        let words = ["alpha", "omega", "the", "spare", "key", "hides", "under", "blue", "flowerpot", ""];
        assert!(inner.split(' ').all(|w| words.contains(&w)), "{cut}");
        assert!(cut.contains("flowerpot"), "{cut}");
    }
}
