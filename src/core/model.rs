//! The session model: chats, messages, images and settings as plain data.
//!
//! These are the records Boda stores and reasons about. They carry no behaviour that needs a browser, and no
//! Leptos signals: views wrap them in signals, adapters serialise them. Ids are opaque strings made by the
//! caller (the browser adapter uses `crypto.randomUUID()`), so the core stays deterministic in tests.

pub use crate::core::openai::{Detail, Usage};

use crate::core::openai::ApiError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A conversation: its title, its detail setting, its assistant and when it last changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chat {
    pub id: String,
    pub title: String,
    /// Milliseconds since the Unix epoch.
    pub created_ms: f64,
    pub updated_ms: f64,
    #[serde(default)]
    pub detail: Detail,
    /// The id of the chat's assistant ([`crate::core::preset`]); `None` (chats made before there were
    /// assistants, too) and an id of one since deleted are Image Q&A ([`crate::core::preset::resolve`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
}

impl Chat {
    /// The title earlier versions stored for a chat that had none yet; read as no title.
    const LEGACY_UNTITLED: &'static str = "New chat";

    /// A chat with no title yet (the views show "New chat" in the person's language).
    pub fn new(id: String, now_ms: f64) -> Chat {
        Chat { id, title: String::new(), created_ms: now_ms, updated_ms: now_ms, detail: Detail::Auto, preset: None }
    }

    /// Whether the chat has no title of its own yet: it gets one from its first question.
    pub fn is_untitled(&self) -> bool {
        let t = self.title.trim();
        t.is_empty() || t == Chat::LEGACY_UNTITLED
    }

    /// A title taken from the first question: its first line, cut at a word boundary near 48 characters
    /// (empty when the question has no text).
    pub fn title_from_question(question: &str) -> String {
        let line = question.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
        if line.chars().count() <= 48 {
            return line.to_owned();
        }
        let cut: String = line.chars().take(48).collect();
        let cut = match cut.rfind(' ') {
            Some(i) if i > 24 => &cut[..i],
            _ => &cut[..],
        };
        format!("{}…", cut.trim_end())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

/// Where a message is in its life. Only assistant messages are ever anything but `Complete`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    #[default]
    Complete,
    /// Tokens are still arriving. Found like this after a reload, it means the tab went away mid-answer.
    Streaming,
    /// The answer stopped early (Stop, a dropped connection, unreadable stream data); the text is what arrived.
    Interrupted,
    /// No answer arrived at all; `error` says why.
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    pub chat_id: String,
    pub role: Role,
    pub content: String,
    pub created_ms: f64,
    #[serde(default)]
    pub status: MessageStatus,
    /// Why the answer failed or was interrupted, as a kind with its details (the views say it in words).
    #[serde(default, deserialize_with = "read_answer_error")]
    pub error: Option<AnswerError>,
    #[serde(default)]
    pub usage: Option<Usage>,
    /// The model that wrote an assistant message.
    #[serde(default)]
    pub model: Option<String>,
    /// How many older messages were left out of the request that produced this answer.
    #[serde(default)]
    pub trimmed: u32,
    /// What retrieval put into the request that produced this answer, for the "Context" disclosure.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub context: Vec<ContextItem>,
    /// The web search this answer made, with the results it was given (see [`crate::core::websearch`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<Box<crate::core::websearch::WebSearch>>,
}

/// Why an answer failed or stopped early. Stored with the answer in serde's plain (externally tagged) form,
/// e.g. `{"api":{"error":"stream_cut"}}` or `"page_closed"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerError {
    /// The request or its stream failed (redacted: no key in it).
    Api { error: ApiError },
    /// The page was closed or reloaded while the answer arrived; it is kept as far as it got.
    PageClosed,
    /// An explanation stored as a sentence by a version of Boda before reasons were typed; shown as it is.
    Earlier { text: String },
}

/// Reads a stored answer error: a typed one, or the sentence earlier versions stored.
fn read_answer_error<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<AnswerError>, D::Error> {
    struct Stored;
    impl<'de> serde::de::Visitor<'de> for Stored {
        type Value = Option<AnswerError>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an answer error or the sentence an earlier version stored")
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
            let unit = serde::de::value::StrDeserializer::<E>::new(text);
            Ok(Some(AnswerError::deserialize(unit).unwrap_or_else(|_| AnswerError::Earlier { text: text.to_owned() })))
        }
        fn visit_map<M: serde::de::MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
            AnswerError::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
        }
    }
    d.deserialize_option(Stored)
}

/// How an item reached the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContextUse {
    /// An image sent as an image.
    Attached,
    /// An image sent as its caption only.
    Caption,
    /// An earlier message recalled by relevance, beyond the history that fit.
    Recalled,
    /// A wardrobe item sent as a picture after the chat's own (see [`crate::core::wardrobe`]).
    Wardrobe,
}

/// One image or earlier message used for an answer, with the scores that chose it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContextItem {
    pub used: ContextUse,
    /// The image's or message's id.
    pub id: String,
    /// The chat it is in.
    pub chat_id: String,
    /// What the person sees: the file name, or the start of the message.
    pub label: String,
    /// The title of the other chat a recalled message came from (none for this chat's own items).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_chat: Option<String>,
    /// Cosine similarity of its embedding to the question's, when both exist.
    #[serde(default)]
    pub similarity: Option<f32>,
    /// Its BM25 score for the question's words, when it matched any.
    #[serde(default)]
    pub words: Option<f32>,
    /// Set once the item was deleted: then nothing else of it is kept (see [`ContextItem::forget`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gone: Option<Gone>,
}

/// What deleted an item that an answer used, which is all its Context keeps of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gone {
    /// Its chat was deleted (a message recalled from another chat).
    Chat,
    /// The image was removed, or the message deleted.
    Item,
}

impl ContextItem {
    /// Keeps only how the item was used and why it is gone. Its id, chat id, label (a file name, the start of a
    /// message) and chat title go; so do its scores: they measure the deleted text against the question, which
    /// says something about that text and nothing anyone can use once it is gone.
    pub fn forget(&mut self, gone: Gone) {
        *self = ContextItem {
            used: self.used,
            id: String::new(),
            chat_id: String::new(),
            label: String::new(),
            from_chat: None,
            similarity: None,
            words: None,
            gone: Some(gone),
        };
    }
}

impl Message {
    /// A complete message with no usage, error or model yet.
    pub fn new(id: String, chat_id: String, role: Role, content: String, created_ms: f64) -> Message {
        Message {
            id,
            chat_id,
            role,
            content,
            created_ms,
            status: MessageStatus::Complete,
            error: None,
            usage: None,
            model: None,
            trimmed: 0,
            context: Vec::new(),
            search: None,
        }
    }

    pub fn is_answer_in_progress(&self) -> bool {
        self.status == MessageStatus::Streaming
    }

    /// The ids of what this message's Context names outside the message's own chat record: every item's id, and
    /// the chat of every item from another chat. Sorted, each once. Stores index them, so deleting a chat, an
    /// image or a message finds the answers that must forget it without reading every message.
    pub fn context_refs(&self) -> Vec<String> {
        let mut refs: Vec<String> = Vec::new();
        for item in self.context.iter().filter(|i| i.gone.is_none()) {
            refs.push(item.id.clone());
            if item.chat_id != self.chat_id {
                refs.push(item.chat_id.clone());
            }
        }
        refs.retain(|r| !r.is_empty());
        refs.sort_unstable();
        refs.dedup();
        refs
    }

    /// Forgets every item of its Context from the chat `chat_id` (deleted). Returns whether any was there. Items
    /// of no chat (wardrobe items) are never a chat's.
    pub fn forget_chat_in_context(&mut self, chat_id: &str) -> bool {
        self.forget_in_context(|i| !i.chat_id.is_empty() && i.chat_id == chat_id, Gone::Chat)
    }

    /// Forgets the image or message `item_id` (removed, deleted) wherever its Context names it. Returns whether
    /// it was there.
    pub fn forget_item_in_context(&mut self, item_id: &str) -> bool {
        self.forget_in_context(|i| i.id == item_id, Gone::Item)
    }

    fn forget_in_context(&mut self, doomed: impl Fn(&ContextItem) -> bool, gone: Gone) -> bool {
        let mut changed = false;
        for item in self.context.iter_mut().filter(|i| i.gone.is_none() && doomed(i)) {
            item.forget(gone);
            changed = true;
        }
        changed
    }
}

/// Puts messages in conversation order: by creation time, ties broken by id so the order is stable.
pub fn sort_messages(messages: &mut [Message]) {
    messages.sort_by(|a, b| a.created_ms.total_cmp(&b.created_ms).then_with(|| a.id.cmp(&b.id)));
}

/// Marks answers that were streaming when their page went away as interrupted, keeping their text.
/// `is_live` says whether some open tab is still streaming an answer (those are left alone).
/// Returns the messages that changed, so the caller can store them.
pub fn recover_interrupted(messages: &mut [Message], is_live: impl Fn(&str) -> bool) -> Vec<Message> {
    let mut changed = Vec::new();
    for m in messages.iter_mut().filter(|m| m.status == MessageStatus::Streaming && !is_live(&m.id)) {
        m.status = MessageStatus::Interrupted;
        m.error = Some(AnswerError::PageClosed);
        if let Some(search) = m.search.as_mut().filter(|s| s.is_running()) {
            search.state = crate::core::websearch::SearchState::Skipped(crate::core::websearch::Skip::Interrupted);
        }
        changed.push(m.clone());
    }
    changed
}

/// An image as the chat knows it. The pixels live in the store as a Blob beside this record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageMeta {
    pub id: String,
    pub chat_id: String,
    /// The file name the user gave it.
    pub name: String,
    /// MIME type of the stored, model-ready image (image/jpeg, image/webp or image/png).
    pub mime: String,
    /// Bytes of the stored, model-ready image.
    pub bytes: u64,
    pub width: u32,
    pub height: u32,
    pub original_mime: String,
    pub original_bytes: u64,
    pub original_width: u32,
    pub original_height: u32,
    pub created_ms: f64,
    /// A short description written once by the vision model (or edited by the person).
    #[serde(default)]
    pub caption: Option<String>,
    /// Who wrote the caption: the model's name, or [`ImageMeta::CAPTION_BY_PERSON`].
    #[serde(default)]
    pub caption_model: Option<String>,
}

impl ImageMeta {
    pub const CAPTION_BY_PERSON: &'static str = "you";
}

/// A language Boda speaks: the interface's, and the one captions are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Ko,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::En, Language::Ko];

    /// The BCP 47 tag (`en`, `ko`).
    pub fn tag(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Ko => "ko",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|l| l.tag() == tag)
    }

    /// The language a text is written in, as far as Boda tells them apart: Korean when it has Hangul.
    pub fn of_text(text: &str) -> Language {
        let hangul = |c: char| matches!(c, '\u{AC00}'..='\u{D7A3}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}');
        if text.chars().any(hangul) {
            Language::Ko
        } else {
            Language::En
        }
    }
}

/// Where requests go and how. The API key never leaves this struct except into an `Authorization` header.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    #[serde(default)]
    pub api_key: String,
    #[serde(default = "Settings::default_base_url")]
    pub base_url: String,
    #[serde(default = "Settings::default_model")]
    pub model: String,
    /// Tokens of earlier conversation sent with each question; older turns are left out first.
    #[serde(default = "Settings::default_history_budget")]
    pub history_budget: u32,
    /// The model that embeds captions, messages and questions for retrieval.
    #[serde(default = "Settings::default_embedding_model")]
    pub embedding_model: String,
    /// The `dimensions` option of the embeddings API; `None` keeps the model's own size.
    #[serde(default)]
    pub embedding_dimensions: Option<u32>,
    /// Images attached to a question at most; when a chat has more, the most relevant are attached and the
    /// others are described by their captions.
    #[serde(default = "Settings::default_context_images")]
    pub context_images: u32,
    /// Earlier messages recalled into a question at most, beyond the history that fits.
    #[serde(default = "Settings::default_context_messages")]
    pub context_messages: u32,
    /// Whether recalled messages may come from other chats too.
    #[serde(default)]
    pub recall_all_chats: bool,
    /// Wardrobe items a question carries at most when the wardrobe is on for it.
    #[serde(default = "Settings::default_wardrobe_items")]
    pub wardrobe_items: u32,
    /// The language captions are written in; `None` follows the interface's language.
    #[serde(default)]
    pub caption_language: Option<Language>,
    /// The system prompt of the chat's assistant, set for a turn by [`crate::core::preset::Preset::apply`]
    /// (never kept in the stored settings); `None` is Image Q&A's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    /// Instructions added to the system prompt of every question (an evaluation configuration sets them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// The sampling temperature of answers; `None` leaves the model's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// What models cost per token: dated defaults, editable. Answers show their price from it, and an
    /// evaluation run keeps a copy of it.
    #[serde(default)]
    pub prices: crate::core::cost::PriceTable,
    /// The Tavily key for web search; like `api_key`, it leaves this struct only in an `Authorization` header.
    #[serde(default)]
    pub tavily_key: String,
    /// A base URL that replaces `https://api.tavily.com` (for networks or browsers that block direct calls):
    /// searches go to `<proxy>/search`. Empty when not set.
    #[serde(default)]
    pub search_proxy: String,
    /// How web searches are made.
    #[serde(default)]
    pub search: crate::core::websearch::tavily::SearchOptions,
}

impl Settings {
    pub const DEFAULT_BASE_URL: &'static str = "https://api.openai.com/v1";
    pub const DEFAULT_MODEL: &'static str = "gpt-4o-mini";
    pub const TAVILY_BASE_URL: &'static str = "https://api.tavily.com";
    /// The embedding model retrieval uses unless Settings name another.
    pub const DEFAULT_EMBEDDING_MODEL: &'static str = "text-embedding-3-small";

    fn default_base_url() -> String {
        Settings::DEFAULT_BASE_URL.to_owned()
    }
    fn default_model() -> String {
        Settings::DEFAULT_MODEL.to_owned()
    }
    fn default_history_budget() -> u32 {
        8_000
    }
    fn default_embedding_model() -> String {
        Settings::DEFAULT_EMBEDDING_MODEL.to_owned()
    }
    fn default_context_images() -> u32 {
        4
    }
    fn default_context_messages() -> u32 {
        4
    }
    fn default_wardrobe_items() -> u32 {
        crate::core::wardrobe::DEFAULT_ITEMS
    }

    /// The name of the embedding space: vectors of different models or dimensions never mix.
    pub fn embedding_space(&self) -> String {
        match self.embedding_dimensions {
            Some(d) => format!("{}@{d}", self.embedding_model.trim()),
            None => self.embedding_model.trim().to_owned(),
        }
    }

    pub fn has_key(&self) -> bool {
        !self.api_key.trim().is_empty()
    }

    /// The base URL without trailing slashes, so paths can be appended.
    pub fn api_root(&self) -> &str {
        self.base_url.trim().trim_end_matches('/')
    }

    /// Tavily's base URL: the search proxy when one is set, without trailing slashes.
    pub fn search_root(&self) -> &str {
        match self.search_proxy.trim().trim_end_matches('/') {
            "" => Settings::TAVILY_BASE_URL,
            proxy => proxy,
        }
    }

    pub fn has_tavily_key(&self) -> bool {
        !self.tavily_key.trim().is_empty()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            api_key: String::new(),
            base_url: Settings::default_base_url(),
            model: Settings::default_model(),
            history_budget: Settings::default_history_budget(),
            embedding_model: Settings::default_embedding_model(),
            embedding_dimensions: None,
            context_images: Settings::default_context_images(),
            context_messages: Settings::default_context_messages(),
            recall_all_chats: false,
            wardrobe_items: Settings::default_wardrobe_items(),
            caption_language: None,
            system_prompt: None,
            instructions: None,
            temperature: None,
            prices: crate::core::cost::PriceTable::defaults(),
            tavily_key: String::new(),
            search_proxy: String::new(),
            search: Default::default(),
        }
    }
}

/// Debug output never shows the key, so settings can be logged safely.
impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("api_key", &if self.has_key() { "<set>" } else { "<empty>" })
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("history_budget", &self.history_budget)
            .field("embedding_model", &self.embedding_model)
            .field("embedding_dimensions", &self.embedding_dimensions)
            .field("context_images", &self.context_images)
            .field("context_messages", &self.context_messages)
            .field("recall_all_chats", &self.recall_all_chats)
            .field("wardrobe_items", &self.wardrobe_items)
            .field("caption_language", &self.caption_language)
            .field("tavily_key", &if self.has_tavily_key() { "<set>" } else { "<empty>" })
            .field("search_proxy", &self.search_proxy)
            .field("search", &self.search)
            .finish()
    }
}

/// A form field holding a count, named when what was typed is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CountField {
    HistoryBudget,
    EmbeddingDimensions,
    ImagesAttached,
    MessagesRecalled,
    SearchResults,
}

/// What was typed into a count field that is not a whole number of 0 or more.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BadCount {
    pub field: CountField,
    pub text: String,
}

/// What is wrong with a typed API base URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BaseUrlProblem {
    /// Neither https:// nor http://.
    Scheme,
    NoHost,
    /// A query (?) or fragment (#).
    QueryOrFragment,
    /// A user name or password in the URL.
    Credentials,
}

/// Reads a whole number typed into `field` of a form: `None` when empty, what is wrong otherwise.
pub fn parse_count(text: &str, field: CountField) -> Result<Option<u32>, BadCount> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| BadCount { field, text: text.to_owned() })
}

/// Checks a base URL typed by the user and says what is wrong with it.
pub fn validate_base_url(url: &str) -> Result<(), BaseUrlProblem> {
    let url = url.trim();
    let rest = if let Some(r) = url.strip_prefix("https://") {
        r
    } else if let Some(r) = url.strip_prefix("http://") {
        r
    } else {
        return Err(BaseUrlProblem::Scheme);
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() {
        return Err(BaseUrlProblem::NoHost);
    }
    if url.contains(['?', '#']) {
        return Err(BaseUrlProblem::QueryOrFragment);
    }
    if host.contains('@') {
        return Err(BaseUrlProblem::Credentials);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_whole_numbers_or_empty() {
        let f = CountField::ImagesAttached;
        assert_eq!(parse_count(" 12 ", f), Ok(Some(12)));
        assert_eq!(parse_count("", f), Ok(None));
        assert_eq!(parse_count(" -1", f), Err(BadCount { field: f, text: "-1".into() }));
        assert!(parse_count("1.5", f).is_err());
    }

    #[test]
    fn title_comes_from_the_first_line_and_is_cut_at_a_word() {
        assert_eq!(Chat::title_from_question("\n  What is this?\nmore"), "What is this?");
        let long = "What do the two photos have in common, and which one was taken first in the morning?";
        let t = Chat::title_from_question(long);
        assert!(t.ends_with('…'));
        assert!(t.chars().count() <= 49);
        assert!(long.starts_with(t.trim_end_matches('…')));
        assert_eq!(Chat::title_from_question("   "), "");
        assert!(Chat::new("c".into(), 0.0).is_untitled());
        assert!(Chat { title: "New chat".into(), ..Chat::new("c".into(), 0.0) }.is_untitled());
        let korean = "두 사진의 공통점은 무엇인가요? 아주 길게 써 보는 질문입니다 정말로 길게 길게 길게 길게 씁니다";
        assert!(Chat::title_from_question(korean).chars().count() <= 49);
    }

    #[test]
    fn chats_stored_before_assistants_read_as_having_none() {
        let old = r#"{"id":"c","title":"Cats","created_ms":1,"updated_ms":2,"detail":"low"}"#;
        let chat: Chat = serde_json::from_str(old).unwrap();
        assert_eq!(chat.preset, None);
        assert!(!serde_json::to_string(&chat).unwrap().contains("preset"), "nothing is added to a chat without one");
        let styled = Chat { preset: Some("style-advisor".into()), ..chat };
        assert_eq!(serde_json::from_str::<Chat>(&serde_json::to_string(&styled).unwrap()).unwrap(), styled);
    }

    #[test]
    fn messages_sort_by_time_then_id() {
        let m = |id: &str, t: f64| Message::new(id.into(), "c".into(), Role::User, String::new(), t);
        let mut v = vec![m("b", 2.0), m("a", 2.0), m("z", 1.0)];
        sort_messages(&mut v);
        let ids: Vec<_> = v.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["z", "a", "b"]);
    }

    #[test]
    fn streaming_answers_become_interrupted_after_reload() {
        let mut v = vec![Message {
            status: MessageStatus::Streaming,
            ..Message::new("a".into(), "c".into(), Role::Assistant, "partial".into(), 1.0)
        }];
        // Another tab still streaming it: left alone.
        assert!(recover_interrupted(&mut v, |id| id == "a").is_empty());
        assert_eq!(v[0].status, MessageStatus::Streaming);
        let changed = recover_interrupted(&mut v, |_| false);
        assert_eq!(changed.len(), 1);
        assert_eq!(v[0].status, MessageStatus::Interrupted);
        assert_eq!(v[0].content, "partial");
        assert_eq!(v[0].error, Some(AnswerError::PageClosed));
        assert!(recover_interrupted(&mut v, |_| false).is_empty());
    }

    #[test]
    fn stored_errors_are_read_typed_and_as_earlier_sentences() {
        let typed = Message {
            error: Some(AnswerError::Api { error: ApiError::Server { status: 502, detail: None } }),
            ..Message::new("a".into(), "c".into(), Role::Assistant, String::new(), 1.0)
        };
        let json = serde_json::to_string(&typed).unwrap();
        assert_eq!(serde_json::from_str::<Message>(&json).unwrap(), typed);
        assert!(json.contains(r#""error":{"api":{"error":{"server":{"status":502,"detail":null}}}}"#), "{json}");
        let closed = Message { error: Some(AnswerError::PageClosed), ..typed.clone() };
        let json = serde_json::to_string(&closed).unwrap();
        assert_eq!(serde_json::from_str::<Message>(&json).unwrap(), closed);
        let old = r#"{"id":"a","chat_id":"c","role":"assistant","content":"","created_ms":1,"error":"Stopped."}"#;
        let read: Message = serde_json::from_str(old).unwrap();
        assert_eq!(read.error, Some(AnswerError::Earlier { text: "Stopped.".into() }));
        let none = r#"{"id":"a","chat_id":"c","role":"assistant","content":"","created_ms":1,"error":null}"#;
        assert_eq!(serde_json::from_str::<Message>(none).unwrap().error, None);
    }

    fn used(used: ContextUse, id: &str, chat_id: &str, label: &str, from_chat: Option<&str>) -> ContextItem {
        ContextItem {
            used,
            id: id.into(),
            chat_id: chat_id.into(),
            label: label.into(),
            from_chat: from_chat.map(str::to_owned),
            similarity: Some(0.61),
            words: Some(3.2),
            gone: None,
        }
    }

    /// An answer in chat "a" that used one of its images, one as a caption, and a message of chat "b".
    fn answer_with_context() -> Message {
        Message {
            context: vec![
                used(ContextUse::Attached, "img-1", "a", "IMG_0412.jpg", None),
                used(ContextUse::Caption, "img-2", "a", "IMG_0413.jpg", None),
                used(ContextUse::Recalled, "msg-b1", "b", "My cat is called Nabi", Some("Cats")),
            ],
            ..Message::new("ans".into(), "a".into(), Role::Assistant, "An answer.".into(), 2.0)
        }
    }

    #[test]
    fn context_refs_name_items_and_other_chats() {
        let m = answer_with_context();
        assert_eq!(m.context_refs(), ["b", "img-1", "img-2", "msg-b1"]);
        assert!(Message::new("q".into(), "a".into(), Role::User, "q".into(), 1.0).context_refs().is_empty());
    }

    #[test]
    fn a_deleted_chat_leaves_only_how_its_message_was_used() {
        let mut m = answer_with_context();
        assert!(m.forget_chat_in_context("b"));
        assert!(!m.forget_chat_in_context("b"), "forgetting twice changes nothing");
        let gone = &m.context[2];
        assert_eq!(gone.used, ContextUse::Recalled);
        assert_eq!(gone.gone, Some(Gone::Chat));
        let json = serde_json::to_string(&m).unwrap();
        for trace in ["msg-b1", "Nabi", "Cats"] {
            assert!(!json.contains(trace), "{trace} is left in {json}");
        }
        assert_eq!(serde_json::from_str::<Message>(&json).unwrap(), m);
        assert_eq!(
            serde_json::to_value(gone).unwrap(),
            serde_json::json!({"used":"recalled","id":"","chat_id":"","label":"","similarity":null,"words":null,"gone":"chat"})
        );
        // The images of its own chat are untouched, and no longer does the answer refer to chat "b".
        assert_eq!(m.context[0].label, "IMG_0412.jpg");
        assert_eq!(m.context_refs(), ["img-1", "img-2"]);
    }

    #[test]
    fn a_removed_image_leaves_only_how_it_was_used() {
        let mut m = answer_with_context();
        assert!(m.forget_item_in_context("img-2"));
        assert!(!m.forget_item_in_context("img-2"));
        let gone = ContextItem {
            similarity: None,
            words: None,
            gone: Some(Gone::Item),
            ..used(ContextUse::Caption, "", "", "", None)
        };
        assert_eq!(m.context[1], gone);
        assert!(!serde_json::to_string(&m).unwrap().contains("IMG_0413"));
        assert_eq!(m.context_refs(), ["b", "img-1", "msg-b1"]);
        // Items stored before anything could be gone read as present.
        let old = r#"{"used":"attached","id":"i","chat_id":"c","label":"x.jpg","similarity":0.5,"words":null}"#;
        assert_eq!(serde_json::from_str::<ContextItem>(old).unwrap().gone, None);
    }

    #[test]
    fn languages_have_tags() {
        assert_eq!(Language::from_tag("ko"), Some(Language::Ko));
        assert_eq!(Language::from_tag(Language::En.tag()), Some(Language::En));
        assert_eq!(Language::from_tag("fr"), None);
    }

    #[test]
    fn settings_debug_hides_the_key() {
        let s = Settings { api_key: "sk-secret-123".into(), ..Settings::default() };
        let shown = format!("{s:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("<set>"));
    }

    #[test]
    fn settings_deserialise_with_defaults() {
        let s: Settings = serde_json::from_str(r#"{"api_key":"k"}"#).unwrap();
        assert_eq!(s.base_url, Settings::DEFAULT_BASE_URL);
        assert_eq!(s.model, "gpt-4o-mini");
        assert_eq!(s.wardrobe_items, 3, "settings stored before the wardrobe carry its default");
        assert_eq!(Settings { base_url: "http://x/v1///".into(), ..s }.api_root(), "http://x/v1");
    }

    #[test]
    fn base_urls_are_checked() {
        assert!(validate_base_url("https://api.openai.com/v1").is_ok());
        assert!(validate_base_url("http://127.0.0.1:8080/v1").is_ok());
        assert_eq!(validate_base_url("ftp://x"), Err(BaseUrlProblem::Scheme));
        assert_eq!(validate_base_url("https://"), Err(BaseUrlProblem::NoHost));
        assert_eq!(validate_base_url("https://u:p@host/v1"), Err(BaseUrlProblem::Credentials));
        assert_eq!(validate_base_url("https://host/v1?x=1"), Err(BaseUrlProblem::QueryOrFragment));
    }
}
