//! The small traits through which the browser plugs into the core: storage, HTTP, and time.
//!
//! The browser adapters in `web/` implement them for IndexedDB, `fetch` and `setTimeout`; the core's tests
//! implement them with in-memory fakes. Browsers run one thread, so the futures are not `Send` and the traits
//! use plain `async fn`.

use crate::core::cost::AnswerCalls;
use crate::core::eval::model::TestSet;
use crate::core::eval::run::{CaseResult, Run};
use crate::core::model::{Chat, ImageMeta, Message, Settings};
use crate::core::preset::Preset;
use crate::core::retrieval::vector::VectorIndex;
use crate::core::wardrobe::WardrobeItem;
use std::fmt;

/// Which service a request is for: each has its own base URL and key, and its own error bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// OpenAI or an OpenAI-compatible server (Settings' base URL and API key).
    OpenAi,
    /// Tavily web search (`https://api.tavily.com`, or the person's search proxy, and the Tavily key).
    Tavily,
}

/// An HTTP request as the core describes it. The adapter adds nothing but the transport.
#[derive(Clone, PartialEq)]
pub struct HttpRequest {
    pub service: Service,
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<String>,
}

/// Debug output leaves out header values, one of which is the API key.
impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| *n).collect();
        f.debug_struct("HttpRequest")
            .field("service", &self.service)
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &names)
            .field("body_len", &self.body.as_ref().map(String::len))
            .finish()
    }
}

impl HttpRequest {
    /// A request to an OpenAI-compatible API, authorised with the key from settings.
    pub fn openai(settings: &Settings, method: &'static str, path: &str, body: Option<String>) -> HttpRequest {
        HttpRequest::bearer(Service::OpenAi, settings.api_root(), &settings.api_key, method, path, body)
    }

    /// A request to Tavily (or the search proxy that stands in for it), authorised with the Tavily key in the
    /// `Authorization` header: never in the body.
    pub fn tavily(settings: &Settings, method: &'static str, path: &str, body: Option<String>) -> HttpRequest {
        HttpRequest::bearer(Service::Tavily, settings.search_root(), &settings.tavily_key, method, path, body)
    }

    fn bearer(
        service: Service,
        root: &str,
        key: &str,
        method: &'static str,
        path: &str,
        body: Option<String>,
    ) -> HttpRequest {
        let mut headers = vec![("Authorization", format!("Bearer {}", key.trim()))];
        if body.is_some() {
            headers.push(("Content-Type", "application/json".to_owned()));
        }
        HttpRequest { service, method, url: format!("{root}/{}", path.trim_start_matches('/')), headers, body }
    }

    /// The host the request goes to, for messages.
    pub fn host(&self) -> String {
        let rest = self.url.split("://").nth(1).unwrap_or(&self.url);
        rest.split('/').next().unwrap_or(rest).to_owned()
    }
}

/// The status line and the headers the core cares about.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpHead {
    pub status: u16,
    /// `Retry-After`, when present and readable (a cross-origin server must expose it).
    pub retry_after: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TransportError {
    /// No HTTP answer at all: offline, refused, DNS, TLS, or blocked by CORS (browsers do not say which).
    Unreachable,
    /// The caller aborted (the Stop button).
    Aborted,
    /// The connection broke while the body was arriving.
    Cut,
}

pub trait ResponseBody {
    /// The next bytes of the body, or `None` at its end.
    async fn chunk(&mut self) -> Result<Option<Vec<u8>>, TransportError>;
}

pub trait Transport {
    type Body: ResponseBody;
    async fn send(&self, request: &HttpRequest) -> Result<(HttpHead, Self::Body), TransportError>;
}

/// Time and identity: the parts of the environment the core needs to be deterministic in tests.
pub trait Runtime {
    fn now_ms(&self) -> f64;
    async fn sleep(&self, ms: u64);
    fn new_id(&self) -> String;
}

/// Why storage failed, as far as the person needs to know (the views say it in words; `Display` is for logs).
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
pub enum StoreError {
    /// The browser's storage quota is used up.
    #[error("storage quota exceeded")]
    QuotaExceeded,
    /// A newer version of Boda opened the database in another tab.
    #[error("the database was upgraded by another tab")]
    VersionChanged,
    /// Anything else, with the browser's own description.
    #[error("storage failed: {0}")]
    Other(String),
}

// Where chats, messages, images and settings live, as small role traits: code (and its test fakes) names only
// the roles it uses. Deleting anything deletes what refers to it, in one transaction, so nothing is left
// orphaned: its records, its documents in the stored search index, and its name and ids in the Context of
// every answer that used it (which keeps only how it did, see `crate::core::model::ContextItem::forget`).
// The browser adapter (`web::idb_store::IdbStore`) implements them all.

/// The settings record.
pub trait SettingsRepo {
    async fn load_settings(&self) -> Result<Settings, StoreError>;
    async fn save_settings(&self, settings: &Settings) -> Result<(), StoreError>;
}

/// Chats.
pub trait ChatRepo {
    async fn load_chats(&self) -> Result<Vec<Chat>, StoreError>;
    async fn put_chat(&self, chat: &Chat) -> Result<(), StoreError>;
    /// Deletes the chat with its messages and images; answers of other chats that recalled them forget them.
    async fn delete_chat(&self, chat_id: &str) -> Result<(), StoreError>;
}

/// The person's assistants (the built-in ones are not stored).
pub trait PresetRepo {
    async fn load_presets(&self) -> Result<Vec<Preset>, StoreError>;
    async fn put_preset(&self, preset: &Preset) -> Result<(), StoreError>;
    /// Deletes the assistant; in the same transaction the chats that named it name none (so they are Image Q&A).
    async fn delete_preset(&self, preset_id: &str) -> Result<(), StoreError>;
}

/// Messages, by chat.
pub trait MessageRepo {
    async fn load_messages(&self, chat_id: &str) -> Result<Vec<Message>, StoreError>;
    /// Stores a message; what its Context names that no longer exists is forgotten first.
    async fn put_message(&self, message: &Message) -> Result<(), StoreError>;
    async fn delete_message(&self, message_id: &str) -> Result<(), StoreError>;
}

/// What every stored answer used, for the total spent in this browser.
pub trait UsageRepo {
    /// The calls of every stored answer, in all chats: its model and usage, and its web search's planning
    /// model, usage and credits (nothing else of a message is read).
    async fn answer_usage(&self) -> Result<Vec<AnswerCalls>, StoreError>;
}

/// Images (a record and a Blob each), by chat.
pub trait ImageRepo {
    /// The adapter's binary type (a `Blob` in the browser).
    type Blob: Clone;

    async fn load_images(&self, chat_id: &str) -> Result<Vec<ImageMeta>, StoreError>;
    /// The chat's images with their Blobs, in one read (records without a Blob are left out).
    async fn load_images_with_blobs(&self, chat_id: &str) -> Result<Vec<(ImageMeta, Self::Blob)>, StoreError>;
    async fn put_image(&self, meta: &ImageMeta, blob: &Self::Blob) -> Result<(), StoreError>;
    async fn image_blob(&self, image_id: &str) -> Result<Option<Self::Blob>, StoreError>;
    /// Rewrites an image's record (its caption, say), keeping its Blob. An image removed meanwhile stays
    /// removed: the result is `false` and nothing is written.
    async fn update_image_meta(&self, meta: &ImageMeta) -> Result<bool, StoreError>;
    /// Deletes the image record and its Blob; the answers that used it forget it.
    async fn delete_image(&self, image_id: &str) -> Result<(), StoreError>;
}

/// The wardrobe as a question reads it: the ids of its items (keys only: cheap even for thousands), and one
/// item with its Blob.
pub trait WardrobeSource {
    /// The adapter's binary type (a `Blob` in the browser).
    type Blob: Clone;

    async fn wardrobe_ids(&self) -> Result<Vec<String>, StoreError>;
    /// The item's record and its picture, or `None` when it is not (any more) there.
    async fn wardrobe_item(&self, item_id: &str) -> Result<Option<(WardrobeItem, Self::Blob)>, StoreError>;
}

/// What storing a wardrobe item did.
#[derive(Debug, Clone, PartialEq)]
pub enum Kept {
    Added,
    /// An item of the same picture (the same digest) is there already, and nothing was written.
    Already(Box<WardrobeItem>),
}

/// The wardrobe: pictures kept across chats (a record and a Blob each, see [`crate::core::wardrobe`]).
pub trait WardrobeRepo: WardrobeSource {
    /// Every item's record, newest first, without their Blobs.
    async fn load_wardrobe(&self) -> Result<Vec<WardrobeItem>, StoreError>;
    /// Stores an item with its Blob, unless an item of the same picture is there (then that one is returned),
    /// in one transaction.
    async fn put_wardrobe_item(&self, item: &WardrobeItem, blob: &Self::Blob) -> Result<Kept, StoreError>;
    /// Rewrites an item's record (caption, tags), keeping its Blob. An item deleted meanwhile stays deleted: the
    /// result is `false` and nothing is written.
    async fn update_wardrobe_item(&self, item: &WardrobeItem) -> Result<bool, StoreError>;
    /// Deletes the item and its Blob; the answers that carried it forget it, and it leaves the stored search index.
    async fn delete_wardrobe_item(&self, item_id: &str) -> Result<(), StoreError>;
}

/// What the search index reads to stay whole: every item's id, any item by id, and the stored index itself.
pub trait IndexRepo {
    /// The ids of every stored message, image and wardrobe item (keys only: cheap even for many).
    async fn item_ids(&self) -> Result<Vec<String>, StoreError>;
    async fn load_message(&self, message_id: &str) -> Result<Option<Message>, StoreError>;
    async fn load_image(&self, image_id: &str) -> Result<Option<ImageMeta>, StoreError>;
    /// The stored lexical search index (serialised), if one was saved.
    async fn load_search_index(&self) -> Result<Option<String>, StoreError>;
    async fn save_search_index(&self, json: &str) -> Result<(), StoreError>;
}

/// Test sets (every version) and their images, which versions share.
pub trait TestSetRepo {
    /// The adapter's binary type (a `Blob` in the browser).
    type Blob: Clone;

    /// Every stored version of every set.
    async fn load_test_sets(&self) -> Result<Vec<TestSet>, StoreError>;
    async fn load_test_set(&self, set_id: &str, version: u32) -> Result<Option<TestSet>, StoreError>;
    /// Stores a version with the images it adds, in one transaction: all of it or, on failure, none.
    async fn put_test_set(&self, set: &TestSet, new_images: &[(String, Self::Blob)]) -> Result<(), StoreError>;
    async fn eval_image(&self, image_id: &str) -> Result<Option<Self::Blob>, StoreError>;
    /// Deletes every version of a set and the images only it used.
    async fn delete_test_set(&self, set_id: &str) -> Result<(), StoreError>;
}

/// Evaluation runs and their results (one per configuration and case, rewritten as its stages settle).
pub trait RunRepo {
    async fn load_runs(&self) -> Result<Vec<Run>, StoreError>;
    async fn put_run(&self, run: &Run) -> Result<(), StoreError>;
    async fn load_results(&self, run_id: &str) -> Result<Vec<CaseResult>, StoreError>;
    async fn put_result(&self, result: &CaseResult) -> Result<(), StoreError>;
    /// Stores a run with all its results in one transaction (an imported run: all of it or none).
    async fn put_run_with_results(&self, run: &Run, results: &[CaseResult]) -> Result<(), StoreError>;
    /// Deletes a run and its results.
    async fn delete_run(&self, run_id: &str) -> Result<(), StoreError>;
}

/// Reads the bytes of a stored Blob (the browser reads them asynchronously).
pub trait BlobReader<B> {
    /// The bytes, or the browser's description of why they could not be read.
    async fn bytes(&self, blob: &B) -> Result<Vec<u8>, String>;
}

/// Where vector indexes live, one per "space" (an embedding model and dimension: vectors of different
/// spaces never mix). Saving writes only what changed since the last save.
pub trait VectorStore {
    /// The stored index of `space`, or an empty one of `dims` dimensions.
    async fn load_vectors(&self, space: &str, dims: usize) -> Result<VectorIndex, StoreError>;
    /// Writes the chunks and id map that changed; on failure the index is marked to be written whole next time.
    async fn save_vectors(&self, space: &str, index: &mut VectorIndex) -> Result<(), StoreError>;
    /// Deletes every stored space but `keep` (after the embedding model or size changed, the old vectors would
    /// only go stale: items deleted later would linger there); `""` keeps none. Returns how many records went.
    async fn delete_other_spaces(&self, keep: &str) -> Result<usize, StoreError>;
}
