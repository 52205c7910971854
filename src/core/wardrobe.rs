//! The wardrobe: pictures kept across chats (clothes and anything else the person owns), each a copy with its
//! caption and tags, and how a question picks from them.
//!
//! An item is its own record: "Add to wardrobe" copies an image's record and pixels ([`keep`]), so deleting the
//! chat it came from leaves the item whole. The same picture is kept once: items carry the [`digest`] of their
//! bytes, and the store refuses a second item of a digest it holds. An item is found by its name, caption and
//! tags ([`text`]) under the document id [`crate::core::search::wardrobe_doc`], in the lexical index and in the
//! vector memory, like a chat's images. With the wardrobe on for a question, [`choose`] ranks every item by the
//! very fusion of cosine similarity and BM25 that ranks a chat's images ([`Signals::rank`]) and keeps the best
//! `k` that clear a relevance floor; [`context_item`] is what the answer's Context keeps of each.
//!
//! This module decides and describes; it stores nothing (the ports [`WardrobeSource`] and [`WardrobeRepo`] do),
//! embeds nothing, and never words anything for the person.

use crate::core::context::{Scored, Signals, MIN_WORDS};
use crate::core::model::{ContextItem, ContextUse, ImageMeta};
use crate::core::ports::{Kept, StoreError, WardrobeRepo};
use crate::core::search::SEARCH_MIN_SIMILARITY;
use serde::{Deserialize, Serialize};

/// How many wardrobe items a question carries at most unless Settings say otherwise.
pub const DEFAULT_ITEMS: u32 = 3;
/// An item goes with a question only when its embedding is at least this similar to the question's. A
/// question is short and an item's text is a caption, so the floor is "Search chats"' (a short query against a
/// text), not the one for recalling a message.
pub const MIN_SIMILARITY: f32 = SEARCH_MIN_SIMILARITY;
/// A tag is cut to this many characters.
pub const MAX_TAG_CHARS: usize = 40;
/// An item keeps at most this many tags.
pub const MAX_TAGS: usize = 30;

/// Where an item was added from: for information only (that chat or image may have gone since).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub chat_id: String,
    pub image_id: String,
}

/// One kept picture. Its pixels (the model-ready Blob of the image it was copied from) live beside the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WardrobeItem {
    pub id: String,
    /// The file name of the image it was copied from.
    pub name: String,
    /// MIME type of the stored, model-ready picture.
    pub mime: String,
    /// Bytes of the stored picture.
    pub bytes: u64,
    pub width: u32,
    pub height: u32,
    /// A short description, copied with the image or written for the item (or by the person).
    #[serde(default)]
    pub caption: Option<String>,
    /// Who wrote the caption: the model's name, or [`ImageMeta::CAPTION_BY_PERSON`].
    #[serde(default)]
    pub caption_model: Option<String>,
    /// The person's words for it ("summer", "work"), in their order.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Milliseconds since the Unix epoch.
    pub created_ms: f64,
    /// The [`digest`] of the picture's bytes: one item per picture.
    pub digest: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

impl WardrobeItem {
    /// A copy of a chat's image as a wardrobe item: its name, picture facts and caption (with its writer).
    pub fn from_image(image: &ImageMeta, id: String, digest: String, now_ms: f64) -> WardrobeItem {
        WardrobeItem {
            id,
            name: image.name.clone(),
            mime: image.mime.clone(),
            bytes: image.bytes,
            width: image.width,
            height: image.height,
            caption: image.caption.clone().filter(|c| !c.trim().is_empty()),
            caption_model: image.caption.as_ref().and(image.caption_model.clone()),
            tags: Vec::new(),
            created_ms: now_ms,
            digest,
            source: Some(Source { chat_id: image.chat_id.clone(), image_id: image.id.clone() }),
        }
    }

    /// The item with the caption the person wrote (an empty one removes the caption); `None` when that is the
    /// caption it has.
    pub fn with_caption(&self, text: &str) -> Option<WardrobeItem> {
        let text = text.trim();
        if self.caption.as_deref().unwrap_or("") == text {
            return None;
        }
        let caption = (!text.is_empty()).then(|| text.to_owned());
        let caption_model = caption.as_ref().map(|_| ImageMeta::CAPTION_BY_PERSON.to_owned());
        Some(WardrobeItem { caption, caption_model, ..self.clone() })
    }

    /// The item with the tags typed as `text` ([`parse_tags`]); `None` when they are the tags it has.
    pub fn with_tags(&self, text: &str) -> Option<WardrobeItem> {
        let tags = parse_tags(text);
        (tags != self.tags).then(|| WardrobeItem { tags, ..self.clone() })
    }
}

/// Tags as typed: separated by commas (also the ideographic and full-width ones) or new lines, trimmed, each
/// cut to [`MAX_TAG_CHARS`] characters, without empty ones or repeats (compared without regard to case; the
/// first spelling stays), at most [`MAX_TAGS`].
pub fn parse_tags(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in text.split([',', '、', '，', '\n']) {
        let tag: String = tag.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(MAX_TAG_CHARS).collect();
        let tag = tag.trim_end().to_owned();
        if !tag.is_empty() && !tags.iter().any(|t| t.to_lowercase() == tag.to_lowercase()) && tags.len() < MAX_TAGS {
            tags.push(tag);
        }
    }
    tags
}

/// Tags as the field shows them, to be typed over: "summer, work".
pub fn tags_text(tags: &[String]) -> String {
    tags.join(", ")
}

/// The text an item is found by, in search and in the vector memory: its name, caption and tags.
pub fn text(item: &WardrobeItem) -> String {
    let mut out = item.name.clone();
    if let Some(c) = item.caption.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        out.push(' ');
        out.push_str(c);
    }
    for tag in &item.tags {
        out.push(' ');
        out.push_str(tag);
    }
    out
}

/// What the request says of an item after its name: its caption, and its tags when it has any
/// ("Brown leather boots. (tags: hiking, autumn)"). `None` when it has neither.
pub fn prompt_caption(item: &WardrobeItem) -> Option<String> {
    let caption = item.caption.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let tags = (!item.tags.is_empty()).then(|| format!("(tags: {})", item.tags.join(", ")));
    match (caption, tags) {
        (Some(c), Some(t)) => Some(format!("{c} {t}")),
        (Some(c), None) => Some(c.to_owned()),
        (None, t) => t,
    }
}

/// The digest of a picture's bytes that tells the same picture apart from others: FNV-1a (64 bits) of the
/// bytes with their count, `fnv1a64:<16 hex digits>:<bytes>`. Not a cryptographic hash: two different pictures of
/// one wardrobe share a digest with odds of about n²/2⁶⁵, and nobody gains from making them.
pub fn digest(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("fnv1a64:{h:016x}:{}", bytes.len())
}

/// What "Add to wardrobe" did with an image.
#[derive(Debug, Clone, PartialEq)]
pub enum Added {
    /// A new item, copied from the image.
    New(WardrobeItem),
    /// The wardrobe already held this picture: nothing was written.
    Already(WardrobeItem),
}

/// Keeps an image in the wardrobe: a new item of id `id`, copied from the image's record, with the image's
/// Blob (`bytes` are the Blob's bytes, for the digest). A picture the wardrobe holds already is not added
/// again, whichever chat or image it came from.
pub async fn keep<W: WardrobeRepo>(
    wardrobe: &W,
    image: &ImageMeta,
    blob: &W::Blob,
    bytes: &[u8],
    id: String,
    now_ms: f64,
) -> Result<Added, StoreError> {
    let item = WardrobeItem::from_image(image, id, digest(bytes), now_ms);
    Ok(match wardrobe.put_wardrobe_item(&item, blob).await? {
        Kept::Added => Added::New(item),
        Kept::Already(existing) => Added::Already(*existing),
    })
}

/// The wardrobe items that go with a question, best first: every item of `docs` (their document ids) ranked
/// by the signals' fusion, those whose similarity reaches [`MIN_SIMILARITY`] or whose words score at least
/// [`MIN_WORDS`], the best `k` of them. Nothing without a signal that says it is relevant: a question the
/// wardrobe has nothing for carries none of it.
pub fn choose(signals: &Signals, docs: &[String], k: usize) -> Vec<Scored> {
    if k == 0 || docs.is_empty() || signals.query.trim().is_empty() {
        return Vec::new();
    }
    signals
        .rank(docs)
        .into_iter()
        .filter(|s| s.similarity.is_some_and(|x| x >= MIN_SIMILARITY) || s.words.is_some_and(|x| x >= MIN_WORDS))
        .take(k)
        .collect()
}

/// A wardrobe item a question carried, as it was then: its id, name, and the caption (with its tags) the prompt
/// gave it. An evaluation keeps it with its result, for the faithfulness check and the drill-down, so it shows
/// after the item has left the wardrobe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Carried {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub caption: Option<String>,
}

/// What an answer's Context keeps of a wardrobe item it carried: its name and scores. It belongs to no chat
/// (`chat_id` is empty), so deleting the chat it came from changes nothing; deleting the item forgets it.
pub fn context_item(item: &WardrobeItem, scored: &Scored) -> ContextItem {
    ContextItem {
        used: ContextUse::Wardrobe,
        id: item.id.clone(),
        chat_id: String::new(),
        label: item.name.clone(),
        from_chat: None,
        similarity: scored.similarity,
        words: scored.words,
        gone: None,
    }
}

/// Items newest first, ties by id.
pub fn sort_items(items: &mut [WardrobeItem]) {
    items.sort_by(|a, b| b.created_ms.total_cmp(&a.created_ms).then_with(|| a.id.cmp(&b.id)));
}

#[cfg(test)]
pub(crate) mod fakes {
    //! A wardrobe in memory, whose "Blobs" are their bytes, and a memory that ranks its items.
    use super::*;
    use crate::core::context::{ContextPlan, PlanInput, Signals};
    use crate::core::openai::ApiError;
    use crate::core::ports::WardrobeSource;
    use std::cell::RefCell;

    #[derive(Default)]
    pub struct MemWardrobe {
        pub items: RefCell<Vec<(WardrobeItem, Vec<u8>)>>,
    }

    impl MemWardrobe {
        pub fn with(items: Vec<(WardrobeItem, Vec<u8>)>) -> MemWardrobe {
            MemWardrobe { items: RefCell::new(items) }
        }
    }

    impl WardrobeSource for MemWardrobe {
        type Blob = Vec<u8>;

        async fn wardrobe_ids(&self) -> Result<Vec<String>, StoreError> {
            Ok(self.items.borrow().iter().map(|(i, _)| i.id.clone()).collect())
        }

        async fn wardrobe_item(&self, id: &str) -> Result<Option<(WardrobeItem, Vec<u8>)>, StoreError> {
            Ok(self.items.borrow().iter().find(|(i, _)| i.id == id).cloned())
        }
    }

    impl WardrobeRepo for MemWardrobe {
        async fn load_wardrobe(&self) -> Result<Vec<WardrobeItem>, StoreError> {
            let mut items: Vec<WardrobeItem> = self.items.borrow().iter().map(|(i, _)| i.clone()).collect();
            sort_items(&mut items);
            Ok(items)
        }

        async fn put_wardrobe_item(&self, item: &WardrobeItem, blob: &Vec<u8>) -> Result<Kept, StoreError> {
            let mut items = self.items.borrow_mut();
            if let Some((existing, _)) = items.iter().find(|(i, _)| i.digest == item.digest) {
                return Ok(Kept::Already(Box::new(existing.clone())));
            }
            items.push((item.clone(), blob.clone()));
            Ok(Kept::Added)
        }

        async fn update_wardrobe_item(&self, item: &WardrobeItem) -> Result<bool, StoreError> {
            let mut items = self.items.borrow_mut();
            let Some((stored, _)) = items.iter_mut().find(|(i, _)| i.id == item.id) else { return Ok(false) };
            *stored = item.clone();
            Ok(true)
        }

        async fn delete_wardrobe_item(&self, id: &str) -> Result<(), StoreError> {
            self.items.borrow_mut().retain(|(i, _)| i.id != id);
            Ok(())
        }
    }

    /// The person's memory as an evaluation reaches it: it ranks `wardrobe`'s items (by their vectors, when
    /// given, and their words) and embeds nothing; it counts its refreshes.
    #[derive(Default)]
    pub struct WardrobeMemory {
        pub items: Vec<(WardrobeItem, Option<Vec<f32>>)>,
        pub refreshed: std::cell::Cell<u32>,
    }

    impl crate::core::pipeline::Recall for WardrobeMemory {
        async fn refresh(&self) {
            self.refreshed.set(self.refreshed.get() + 1);
        }
        async fn embed_query(&self, _: &crate::core::model::Settings, _: &str) -> Result<Vec<f32>, ApiError> {
            panic!("an evaluation embeds its question with the case's captions, not through the memory")
        }
        fn foreign_hits(&self, _: &str, _: Option<&[f32]>, _: &str) -> Vec<(String, String)> {
            Vec::new()
        }
        fn plan(&self, input: PlanInput<'_>) -> ContextPlan {
            let dims = self.items.iter().find_map(|(_, v)| v.as_ref().map(Vec::len)).unwrap_or(1);
            let mut vectors = crate::core::retrieval::vector::VectorIndex::new(dims);
            let mut words = crate::core::retrieval::lexical::LexicalIndex::new();
            for (item, v) in &self.items {
                let doc = crate::core::search::wardrobe_doc(&item.id);
                words.upsert(&doc, &text(item));
                if let Some(v) = v {
                    vectors.upsert(&doc, v).unwrap();
                }
            }
            let signals = Signals { vectors: Some(&vectors), lexical: Some(&words), ..input.signals };
            crate::core::context::plan(&PlanInput { signals, ..input })
        }
    }

    /// A wardrobe item of a 1×1 JPEG named `name`, with `caption`, whose picture is `bytes`.
    pub fn item(id: &str, name: &str, caption: Option<&str>, bytes: &[u8]) -> (WardrobeItem, Vec<u8>) {
        let item = WardrobeItem {
            id: id.into(),
            name: name.into(),
            mime: "image/jpeg".into(),
            bytes: bytes.len() as u64,
            width: 1,
            height: 1,
            caption: caption.map(str::to_owned),
            caption_model: caption.map(|_| "gpt-4o-mini".to_owned()),
            tags: Vec::new(),
            created_ms: 1.0,
            digest: digest(bytes),
            source: None,
        };
        (item, bytes.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::fakes::*;
    use super::*;
    use crate::core::client::fakes::block_on;
    use crate::core::retrieval::lexical::LexicalIndex;
    use crate::core::retrieval::vector::VectorIndex;
    use crate::core::search::tests::image;
    use crate::core::search::wardrobe_doc;

    /// A toy embedding: one dimension per known word, so texts sharing words are similar.
    fn embed(text: &str) -> Vec<f32> {
        const WORDS: [&str; 10] =
            ["boots", "hiking", "shirt", "linen", "scarf", "wool", "jeans", "denim", "straw", "jacket"];
        let lower = text.to_lowercase();
        let mut v: Vec<f32> = WORDS.iter().map(|w| if lower.contains(w) { 1.0 } else { 0.0 }).collect();
        // Every text shares a little of one direction, as real embeddings of any two texts do.
        v.push(0.3);
        v
    }

    /// Forty items with camera-style names and distinct captions, indexed by words and by vectors.
    fn wardrobe() -> (Vec<WardrobeItem>, LexicalIndex, VectorIndex) {
        let captions = [
            "Brown leather hiking boots for mountain trails.",
            "A white linen shirt with a band collar.",
            "A grey wool scarf with fringed ends.",
            "Dark blue slim jeans, lightly faded denim.",
            "A straw sun hat with a black ribbon.",
        ];
        let mut items = Vec::new();
        let (mut lexical, mut vectors) = (LexicalIndex::new(), VectorIndex::new(11));
        for i in 0..40 {
            // One of each caption, then plain pictures of nothing the toy embedding knows.
            let caption = captions.get(i).map_or_else(|| format!("A plain picture number {i}."), |c| (*c).to_owned());
            let (item, _) = item(&format!("w{i}"), &format!("IMG_{}.JPG", 4800 + i), Some(&caption), &[i as u8]);
            lexical.upsert(&wardrobe_doc(&item.id), &text(&item));
            vectors.upsert(&wardrobe_doc(&item.id), &embed(&text(&item))).unwrap();
            items.push(item);
        }
        (items, lexical, vectors)
    }

    fn docs(items: &[WardrobeItem]) -> Vec<String> {
        items.iter().map(|i| wardrobe_doc(&i.id)).collect()
    }

    #[test]
    fn a_question_picks_the_item_its_words_and_meaning_match_first() {
        let (items, lexical, vectors) = wardrobe();
        let question = "What would go with this jacket for hiking?";
        let q = embed(question);
        let signals =
            Signals { query: question, query_vector: Some(&q), vectors: Some(&vectors), lexical: Some(&lexical) };
        let chosen = choose(&signals, &docs(&items), 3);
        assert_eq!(chosen[0].doc, wardrobe_doc("w0"), "{chosen:?}");
        assert!(chosen[0].words.unwrap() >= MIN_WORDS && chosen[0].similarity.unwrap() > 0.5, "{chosen:?}");
        assert!(chosen.len() <= 3);
        // Every item kept clears the floor by one signal or the other.
        assert!(chosen
            .iter()
            .all(|s| s.similarity.unwrap_or(0.0) >= MIN_SIMILARITY || s.words.unwrap_or(0.0) >= MIN_WORDS));
        // By words alone (the question could not be embedded), the same item comes first.
        let words = Signals { query_vector: None, vectors: None, ..signals };
        assert_eq!(choose(&words, &docs(&items), 3)[0].doc, wardrobe_doc("w0"));
    }

    #[test]
    fn nothing_goes_when_nothing_is_relevant_or_nothing_is_asked() {
        let (items, lexical, vectors) = wardrobe();
        let question = "When does the bakery open?";
        let q = vec![0.0; 11];
        let signals =
            Signals { query: question, query_vector: Some(&q), vectors: Some(&vectors), lexical: Some(&lexical) };
        assert!(choose(&signals, &docs(&items), 3).is_empty());
        let hiking = embed("hiking");
        let asked = Signals { query: "hiking boots", query_vector: Some(&hiking), ..signals };
        assert!(choose(&asked, &docs(&items), 0).is_empty(), "k = 0 turns it off");
        assert!(choose(&asked, &[], 3).is_empty());
        assert!(choose(&Signals { query: "  ", ..asked }, &docs(&items), 3).is_empty());
    }

    #[test]
    fn k_limits_what_goes_and_deleted_items_are_not_ranked() {
        let (items, lexical, vectors) = wardrobe();
        let question = "wool scarf or linen shirt or denim jeans?";
        let q = embed(question);
        let signals =
            Signals { query: question, query_vector: Some(&q), vectors: Some(&vectors), lexical: Some(&lexical) };
        let three = choose(&signals, &docs(&items), 3);
        let mut ids: Vec<&str> = three.iter().map(|s| s.doc.as_str()).collect();
        ids.sort_unstable();
        assert_eq!(ids, [wardrobe_doc("w1"), wardrobe_doc("w2"), wardrobe_doc("w3")]);
        assert_eq!(choose(&signals, &docs(&items), 1).len(), 1);
        // Only the documents given are ranked: an item gone from the store is gone from the list.
        let without: Vec<String> = docs(&items).into_iter().filter(|d| *d != wardrobe_doc("w2")).collect();
        assert!(choose(&signals, &without, 3).iter().all(|s| s.doc != wardrobe_doc("w2")));
    }

    #[test]
    fn thousands_of_items_rank_in_one_pass() {
        // 5,000 items: the ranking is one similarity per item and one BM25 search, then a sort.
        let mut lexical = LexicalIndex::new();
        let mut vectors = VectorIndex::new(11);
        let mut all = Vec::new();
        for i in 0..5_000 {
            let caption = if i == 4_321 { "Brown leather hiking boots.".to_owned() } else { format!("Picture {i}.") };
            let (item, _) = item(&format!("w{i}"), &format!("IMG_{i}.JPG"), Some(&caption), &[]);
            lexical.upsert(&wardrobe_doc(&item.id), &text(&item));
            vectors.upsert(&wardrobe_doc(&item.id), &embed(&text(&item))).unwrap();
            all.push(wardrobe_doc(&item.id));
        }
        let q = embed("hiking boots");
        let signals =
            Signals { query: "hiking boots", query_vector: Some(&q), vectors: Some(&vectors), lexical: Some(&lexical) };
        let chosen = choose(&signals, &all, 3);
        assert_eq!(chosen[0].doc, wardrobe_doc("w4321"));
        assert_eq!(chosen.len(), 1, "the others share no word and little meaning: {chosen:?}");
    }

    #[test]
    fn keeping_an_image_copies_it_and_the_same_picture_is_kept_once() {
        let wardrobe = MemWardrobe::default();
        let mut photo = image("chat-1", "img-1", "IMG_4821.JPG", Some("A navy wool jacket."));
        photo.caption_model = Some("gpt-4o-mini".into());
        let bytes = vec![1, 2, 3];
        let added = block_on(keep(&wardrobe, &photo, &bytes, &bytes, "w-1".into(), 5.0)).unwrap();
        let Added::New(item) = added else { panic!("a new item: {added:?}") };
        assert_eq!((item.name.as_str(), item.caption.as_deref()), ("IMG_4821.JPG", Some("A navy wool jacket.")));
        assert_eq!(item.caption_model.as_deref(), Some("gpt-4o-mini"));
        assert_eq!(item.source, Some(Source { chat_id: "chat-1".into(), image_id: "img-1".into() }));
        assert_eq!((item.created_ms, item.digest.clone()), (5.0, digest(&bytes)));
        // The same image again, or the same picture from another chat: the item there is returned.
        let again = block_on(keep(&wardrobe, &photo, &bytes, &bytes, "w-2".into(), 6.0)).unwrap();
        assert_eq!(again, Added::Already(item.clone()));
        let copy = image("chat-2", "img-9", "copy.jpg", None);
        assert_eq!(block_on(keep(&wardrobe, &copy, &bytes, &bytes, "w-3".into(), 7.0)).unwrap(), Added::Already(item));
        // Another picture is another item, and one without a caption has none (and no writer).
        let other = block_on(keep(&wardrobe, &copy, &vec![9], &[9], "w-4".into(), 8.0)).unwrap();
        assert!(matches!(&other, Added::New(i) if i.caption.is_none() && i.caption_model.is_none()));
        assert_eq!(block_on(wardrobe.load_wardrobe()).unwrap().len(), 2);
    }

    #[test]
    fn digests_tell_pictures_apart_by_every_byte() {
        assert_eq!(digest(b"pixels"), digest(b"pixels"));
        assert_ne!(digest(b"pixels"), digest(b"pixelt"));
        assert_ne!(digest(&[0]), digest(&[0, 0]));
        assert_eq!(digest(b""), "fnv1a64:cbf29ce484222325:0");
    }

    #[test]
    fn tags_are_read_from_what_was_typed() {
        assert_eq!(parse_tags(" summer, work ,,Summer\nlinen "), ["summer", "work", "linen"]);
        assert_eq!(parse_tags("여름、출근，  데이트"), ["여름", "출근", "데이트"]);
        assert!(parse_tags(" , ").is_empty());
        let long = "x".repeat(100);
        assert_eq!(parse_tags(&long)[0].chars().count(), MAX_TAG_CHARS);
        let many: Vec<String> = (0..50).map(|i| format!("t{i}")).collect();
        assert_eq!(parse_tags(&many.join(",")).len(), MAX_TAGS);
        assert_eq!(tags_text(&parse_tags("a, b")), "a, b");
        assert_eq!(parse_tags(&tags_text(&parse_tags("a,b , c"))), ["a", "b", "c"], "the field round-trips");
    }

    #[test]
    fn edits_say_whether_they_change_anything() {
        let (item, _) = item("w", "IMG_1.JPG", Some("A hat."), &[1]);
        assert_eq!(item.with_caption(" A hat. "), None);
        let edited = item.with_caption("A straw hat.").unwrap();
        assert_eq!(edited.caption.as_deref(), Some("A straw hat."));
        assert_eq!(edited.caption_model.as_deref(), Some(ImageMeta::CAPTION_BY_PERSON));
        let cleared = item.with_caption("").unwrap();
        assert_eq!((cleared.caption, cleared.caption_model), (None, None));
        assert_eq!(item.with_tags(""), None);
        let tagged = item.with_tags("summer, beach").unwrap();
        assert_eq!(tagged.tags, ["summer", "beach"]);
        assert_eq!(tagged.with_tags("summer,beach"), None);
    }

    #[test]
    fn an_item_is_found_by_its_name_caption_and_tags_and_the_request_says_them() {
        let (mut item, _) = item("w", "IMG_4821.JPG", Some("Brown leather boots."), &[1]);
        assert_eq!(text(&item), "IMG_4821.JPG Brown leather boots.");
        assert_eq!(prompt_caption(&item).as_deref(), Some("Brown leather boots."));
        item.tags = vec!["hiking".into(), "autumn".into()];
        assert_eq!(text(&item), "IMG_4821.JPG Brown leather boots. hiking autumn");
        assert_eq!(prompt_caption(&item).as_deref(), Some("Brown leather boots. (tags: hiking, autumn)"));
        item.caption = None;
        assert_eq!(prompt_caption(&item).as_deref(), Some("(tags: hiking, autumn)"));
        item.tags.clear();
        assert_eq!(prompt_caption(&item), None);
        assert_eq!(text(&item), "IMG_4821.JPG");
    }

    #[test]
    fn the_context_keeps_its_name_and_scores_and_no_chat() {
        let (item, _) = item("w7", "IMG_4807.JPG", Some("A scarf."), &[1]);
        let scored = Scored { doc: wardrobe_doc("w7"), similarity: Some(0.5), words: Some(3.0), fused: 0.03 };
        let c = context_item(&item, &scored);
        assert_eq!(
            (c.used, c.id.as_str(), c.chat_id.as_str(), c.label.as_str()),
            (ContextUse::Wardrobe, "w7", "", "IMG_4807.JPG")
        );
        assert_eq!((c.similarity, c.words), (Some(0.5), Some(3.0)));
        // The answer refers to the item, and to no chat, so deleting the item (not a chat) forgets it.
        let mut answer = crate::core::model::Message {
            context: vec![c],
            ..crate::core::model::Message::new(
                "a".into(),
                "c".into(),
                crate::core::model::Role::Assistant,
                "x".into(),
                1.0,
            )
        };
        assert_eq!(answer.context_refs(), ["w7"]);
        assert!(!answer.forget_chat_in_context(""));
        assert!(answer.forget_item_in_context("w7"), "deleting the item forgets it");
        assert_eq!(answer.context[0].used, ContextUse::Wardrobe);
        assert!(answer.context[0].label.is_empty());
    }

    #[test]
    fn items_list_newest_first_and_read_without_the_fields_added_later() {
        let (a, _) = item("a", "a.jpg", None, &[1]);
        let b = WardrobeItem { created_ms: 9.0, ..item("b", "b.jpg", None, &[2]).0 };
        let mut items = vec![a.clone(), b.clone()];
        sort_items(&mut items);
        assert_eq!(items, [b, a.clone()]);
        let json = serde_json::to_value(&a).unwrap();
        assert!(json.get("source").is_none());
        let minimal =
            r#"{"id":"x","name":"n","mime":"image/png","bytes":1,"width":1,"height":1,"created_ms":1,"digest":"d"}"#;
        let read: WardrobeItem = serde_json::from_str(minimal).unwrap();
        assert!(read.tags.is_empty() && read.caption.is_none());
    }
}
