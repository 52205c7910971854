//! One turn, from a chat id to the stored answer: the same code for a chat screen and, later, for an
//! evaluation run that asks a test case's question headless.
//!
//! [`run`] loads the chat's history and images through the ports (never from what a screen shows: the person
//! may switch chats meanwhile, and a removed image is gone from the store too), lets retrieval decide what
//! the question carries (embedding the question only when that can change anything, recalling other chats'
//! messages when the settings say so, ranking the wardrobe's items when the wardrobe is on for the question),
//! reads the bytes of the images that go as pictures (one that cannot be read goes as its caption, and the
//! caller is told) and of the wardrobe items chosen (one deleted or unreadable meanwhile does not go), then asks
//! or regenerates through [`crate::core::turn`], which builds the request, streams and stores. Everything it has
//! to say comes out as [`Event`]s: kinds, never sentences.
//!
//! It does not decide which chat is open, hold locks, or render anything; and the memory (vectors and the
//! search index) is reached only through the [`Recall`] port.

use crate::core::context::{wants_query_vector, ContextPlan, Foreign, PlanInput, Signals};
use crate::core::model::{Chat, ContextUse, ImageMeta, Message, Role, Settings};
use crate::core::notice::{Alert, Notice};
use crate::core::openai::ApiError;
use crate::core::ports::{BlobReader, ImageRepo, MessageRepo, Runtime, Transport, WardrobeSource};
use crate::core::prompt::PromptImage;
use crate::core::search::{parse_doc, wardrobe_doc};
use crate::core::turn::{self, TurnEvent, TurnInput, TurnOutcome, WebAsk};
use crate::core::wardrobe::{self, Carried, WardrobeItem};

/// The memory as a turn sees it: the question's embedding, and the ranking that uses it.
pub trait Recall {
    /// Brings the memory up to date (another tab may have saved), without embedding anything.
    async fn refresh(&self);
    /// The embedding of a question (reused when it was made a moment ago).
    async fn embed_query(&self, settings: &Settings, text: &str) -> Result<Vec<f32>, ApiError>;
    /// (chat id, message id) of other chats' messages that match the question, by words or by meaning.
    fn foreign_hits(&self, question: &str, query_vector: Option<&[f32]>, chat_id: &str) -> Vec<(String, String)>;
    /// Ranks with every signal the memory has and decides what the question carries.
    fn plan(&self, input: PlanInput<'_>) -> ContextPlan;
}

/// What the turn does.
#[derive(Debug, Clone, PartialEq)]
pub enum Turn {
    /// Asks a new question.
    Ask(String),
    /// Replaces the answer to the last question (also how a failed answer is retried).
    Regenerate,
}

/// Something the caller shows or records.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A message was created, changed or removed, or storage failed (see [`TurnEvent`]).
    Turn(TurnEvent),
    /// Passing information (the question was matched by words only, say).
    Notice(Notice),
    /// A problem the person must see (an image could not be read, storage failed).
    Alert(Alert),
}

/// Why a turn did not get to ask.
#[derive(Debug, Clone, PartialEq)]
pub enum NotAsked {
    /// The history or images could not be loaded (already reported as an [`Event::Alert`]).
    Store,
    /// Stopped while the question was being embedded; nothing was stored.
    Stopped,
}

/// The ports a turn uses.
pub struct Ports<'a, S, B, M, T, R, W> {
    pub store: &'a S,
    pub blobs: &'a B,
    pub recall: &'a M,
    pub transport: &'a T,
    pub runtime: &'a R,
    /// The wardrobe, read only when it is on for the question.
    pub wardrobe: &'a W,
}

/// What a question goes with besides its chat.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    /// Search the web first, and how (`None`: no web search for this question).
    pub web: Option<&'a WebAsk>,
    /// Whether the wardrobe's most relevant items go with the question.
    pub wardrobe: bool,
}

/// Runs one turn of `chat`, searching the web first and bringing wardrobe items when `options` say so.
/// `chat_title` gives the title of another chat (for recalled messages), or `None` when it no longer exists.
/// The outcome is `None` when there was nothing to regenerate.
pub async fn run<S, B, M, T, R, W>(
    ports: Ports<'_, S, B, M, T, R, W>,
    settings: &Settings,
    chat: &Chat,
    turn: Turn,
    options: Options<'_>,
    chat_title: &dyn Fn(&str) -> Option<String>,
    on: &mut dyn FnMut(Event),
) -> Result<Option<TurnOutcome>, NotAsked>
where
    S: MessageRepo + ImageRepo,
    B: BlobReader<S::Blob>,
    M: Recall,
    T: Transport,
    R: Runtime,
    W: WardrobeSource<Blob = S::Blob>,
{
    let Ports { store, blobs, recall, transport, runtime, wardrobe } = ports;
    let messages = store.load_messages(&chat.id).await.map_err(|e| {
        on(Event::Alert(Alert::Store(e)));
        NotAsked::Store
    })?;
    let stored = store.load_images_with_blobs(&chat.id).await.map_err(|e| {
        on(Event::Alert(Alert::Store(e)));
        NotAsked::Store
    })?;
    let metas: Vec<ImageMeta> = stored.iter().map(|(m, _)| m.clone()).collect();
    let (history, question) = match &turn {
        Turn::Ask(q) => (&messages[..], q.clone()),
        Turn::Regenerate => match messages.iter().rposition(|m| m.role == Role::User) {
            Some(i) => (&messages[..i], messages[i].content.clone()),
            None => (&messages[..], String::new()),
        },
    };
    // The wardrobe's items, as documents to rank (keys only: the chosen few are read below).
    let mut worn_docs = Vec::new();
    if options.wardrobe {
        match wardrobe.wardrobe_ids().await {
            Ok(ids) => worn_docs = ids.iter().map(|id| wardrobe_doc(id)).collect(),
            Err(e) => on(Event::Alert(Alert::Store(e))),
        }
    }
    let mut plan =
        retrieve(recall, settings, chat, store, &metas, history, &question, &worn_docs, chat_title, on).await?;

    // The pixels of what goes as pictures; an image whose bytes cannot be read goes as its caption.
    let mut loaded = Vec::with_capacity(stored.len());
    for ((meta, blob), attach) in stored.iter().zip(plan.attached.iter_mut()) {
        if !*attach {
            loaded.push(Vec::new());
            continue;
        }
        match blobs.bytes(blob).await {
            Ok(bytes) => loaded.push(bytes),
            Err(detail) => {
                on(Event::Alert(Alert::ImageUnreadable { name: meta.name.clone(), detail }));
                *attach = false;
                for item in plan.items.iter_mut().filter(|i| i.id == meta.id) {
                    item.used = ContextUse::Caption;
                }
                loaded.push(Vec::new());
            }
        }
    }
    // The best `wardrobe_items` of the wardrobe's candidates, in the Context after the chat's images. One that
    // is a copy of an image of this very chat (which goes with the question already), one deleted since it was
    // ranked, and one whose bytes cannot be read do not go; the next candidate does.
    let k = settings.wardrobe_items as usize;
    let mut worn: Vec<(WardrobeItem, Vec<u8>, Option<String>)> = Vec::with_capacity(k);
    for scored in &plan.wardrobe {
        if worn.len() >= k {
            break;
        }
        let Some((_, _, id)) = parse_doc(&scored.doc) else { continue };
        match wardrobe.wardrobe_item(id).await {
            Ok(Some((item, _))) if item.source.as_ref().is_some_and(|s| metas.iter().any(|m| m.id == s.image_id)) => {}
            Ok(Some((item, blob))) => match blobs.bytes(&blob).await {
                Ok(bytes) => {
                    plan.items.insert(metas.len() + worn.len(), wardrobe::context_item(&item, scored));
                    let caption = wardrobe::prompt_caption(&item);
                    worn.push((item, bytes, caption));
                }
                Err(detail) => on(Event::Alert(Alert::ImageUnreadable { name: item.name, detail })),
            },
            Ok(None) => {}
            Err(e) => on(Event::Alert(Alert::Store(e))),
        }
    }
    let carried: Vec<Carried> = worn
        .iter()
        .map(|(item, _, caption)| Carried { id: item.id.clone(), name: item.name.clone(), caption: caption.clone() })
        .collect();
    let worn: Vec<PromptImage> = worn
        .iter()
        .map(|(item, bytes, caption)| PromptImage {
            name: &item.name,
            mime: &item.mime,
            bytes,
            caption: caption.as_deref(),
            attached: true,
        })
        .collect();
    let images: Vec<PromptImage> = metas
        .iter()
        .zip(&loaded)
        .zip(&plan.attached)
        .map(|((m, bytes), attached)| PromptImage {
            name: &m.name,
            mime: &m.mime,
            bytes,
            caption: m.caption.as_deref(),
            attached: *attached,
        })
        .collect();
    let input = TurnInput {
        settings,
        chat,
        messages: &messages,
        images: &images,
        wardrobe: &worn,
        recalled: &plan.recalled,
        context: &plan.items,
        web: options.web,
    };
    let mut on_turn = |e| on(Event::Turn(e));
    let outcome = match turn {
        Turn::Ask(q) => Some(turn::ask(store, transport, runtime, input, &q, &mut on_turn).await),
        Turn::Regenerate => turn::regenerate(store, transport, runtime, input, &mut on_turn).await,
    };
    Ok(outcome.map(|o| TurnOutcome { wardrobe: carried, ..o }))
}

/// Retrieval for one question: embeds it (unless nothing could change: every image fits, the whole history is
/// sent and no wardrobe item is to be ranked), gathers other chats' candidates when recall reaches them, and
/// lets the memory rank, the wardrobe's items (`wardrobe`, their documents) too.
#[allow(clippy::too_many_arguments)]
async fn retrieve<S: MessageRepo, M: Recall>(
    recall: &M,
    settings: &Settings,
    chat: &Chat,
    store: &S,
    images: &[ImageMeta],
    history: &[Message],
    question: &str,
    wardrobe: &[String],
    chat_title: &dyn Fn(&str) -> Option<String>,
    on: &mut dyn FnMut(Event),
) -> Result<ContextPlan, NotAsked> {
    recall.refresh().await;
    let mut query_vector = None;
    let wardrobe_ranks = !wardrobe.is_empty() && settings.wardrobe_items > 0 && !question.trim().is_empty();
    if wants_query_vector(settings, images.len(), history, question) || wardrobe_ranks {
        match recall.embed_query(settings, question).await {
            Ok(v) => query_vector = Some(v),
            Err(ApiError::Aborted) => return Err(NotAsked::Stopped),
            Err(e) => on(Event::Notice(Notice::QuestionByWords(e.redacted(&settings.api_key)))),
        }
    }
    let mut foreign = Vec::new();
    if settings.recall_all_chats {
        let hits = recall.foreign_hits(question, query_vector.as_deref(), &chat.id);
        let mut chats: Vec<&str> = hits.iter().map(|(c, _)| c.as_str()).collect();
        chats.sort_unstable();
        chats.dedup();
        for c in chats {
            let Some(title) = chat_title(c) else { continue };
            for m in store.load_messages(c).await.unwrap_or_default() {
                if hits.iter().any(|(hc, hi)| hc == c && *hi == m.id) {
                    foreign.push(Foreign { message: m, chat_title: title.clone() });
                }
            }
        }
    }
    Ok(recall.plan(PlanInput {
        signals: Signals { query: question, query_vector: query_vector.as_deref(), vectors: None, lexical: None },
        images,
        max_images: settings.context_images as usize,
        history,
        history_budget: settings.history_budget,
        foreign: &foreign,
        max_recalled: settings.context_messages as usize,
        wardrobe,
        // Enough candidates that copies of this chat's own images, which the pipeline passes over, leave k.
        max_wardrobe: match settings.wardrobe_items as usize {
            0 => 0,
            k => k + images.len(),
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::client::fakes::*;
    use crate::core::context;
    use crate::core::model::MessageStatus;
    use crate::core::search::tests::image;
    use crate::core::wardrobe::fakes::{item as worn_item, MemWardrobe};
    use std::cell::RefCell;
    use std::collections::HashMap;

    /// Reads a "Blob" as itself; an empty one cannot be read.
    struct Bytes;
    impl BlobReader<Vec<u8>> for Bytes {
        async fn bytes(&self, blob: &Vec<u8>) -> Result<Vec<u8>, String> {
            if blob.is_empty() {
                Err("NotReadableError: the file is gone".into())
            } else {
                Ok(blob.clone())
            }
        }
    }

    /// A memory with fixed vectors per text; it records what it was asked. It finds wardrobe items (document
    /// and text) by their words.
    #[derive(Default)]
    struct FakeRecall {
        vectors: HashMap<String, Vec<f32>>,
        fail: Option<ApiError>,
        foreign: Vec<(String, String)>,
        wardrobe: Vec<(String, String)>,
        embedded: RefCell<Vec<String>>,
        refreshed: RefCell<u32>,
    }

    impl Recall for FakeRecall {
        async fn refresh(&self) {
            *self.refreshed.borrow_mut() += 1;
        }
        async fn embed_query(&self, _: &Settings, text: &str) -> Result<Vec<f32>, ApiError> {
            self.embedded.borrow_mut().push(text.to_owned());
            match &self.fail {
                Some(e) => Err(e.clone()),
                None => Ok(self.vectors.get(text).cloned().unwrap_or_else(|| vec![0.0, 0.0, 1.0])),
            }
        }
        fn foreign_hits(&self, _: &str, _: Option<&[f32]>, _: &str) -> Vec<(String, String)> {
            self.foreign.clone()
        }
        fn plan(&self, input: PlanInput<'_>) -> ContextPlan {
            let mut index = crate::core::retrieval::vector::VectorIndex::new(3);
            for (i, m) in input.images.iter().enumerate() {
                let mut v = vec![0.0; 3];
                v[i % 3] = 1.0;
                index.upsert(&crate::core::search::image_doc(m), &v).unwrap();
            }
            // Other chats' messages point where the default query vector does.
            for f in input.foreign {
                index.upsert(&crate::core::search::message_doc(&f.message), &[0.0, 0.0, 1.0]).unwrap();
            }
            let mut words = crate::core::retrieval::lexical::LexicalIndex::new();
            for (doc, text) in &self.wardrobe {
                words.upsert(doc, text);
            }
            let lexical = (!self.wardrobe.is_empty()).then_some(&words);
            let signals = Signals { vectors: Some(&index), lexical, ..input.signals };
            context::plan(&PlanInput { signals, ..input })
        }
    }

    fn settings() -> Settings {
        Settings { api_key: "sk-test-123456789".into(), base_url: "http://h/v1".into(), ..Settings::default() }
    }

    fn store_with(images: usize) -> MemStore {
        let images = (0..images)
            .map(|i| {
                (image("c1", &format!("i{i}"), &format!("IMG_{i}.jpg"), Some(&format!("photo {i}"))), vec![i as u8 + 1])
            })
            .collect();
        MemStore { images, ..MemStore::default() }
    }

    fn run_turn(
        store: &MemStore,
        recall: &FakeRecall,
        t: &FakeTransport,
        s: &Settings,
        turn: Turn,
    ) -> (Result<Option<TurnOutcome>, NotAsked>, Vec<Event>) {
        run_with(store, recall, t, s, turn, &MemWardrobe::default(), false)
    }

    /// A turn with `closet` as the wardrobe, on for the question when `worn` says so.
    fn run_with<W: WardrobeSource<Blob = Vec<u8>>>(
        store: &MemStore,
        recall: &FakeRecall,
        t: &FakeTransport,
        s: &Settings,
        turn: Turn,
        closet: &W,
        worn: bool,
    ) -> (Result<Option<TurnOutcome>, NotAsked>, Vec<Event>) {
        let chat = Chat::new("c1".into(), 0.0);
        let rt = FakeRuntime::default();
        let mut events = Vec::new();
        let ports = Ports { store, blobs: &Bytes, recall, transport: t, runtime: &rt, wardrobe: closet };
        let titles = |id: &str| (id == "c2").then(|| "Holiday".to_owned());
        let options = Options { web: None, wardrobe: worn };
        let out = block_on(run(ports, s, &chat, turn, options, &titles, &mut |e| events.push(e)));
        (out, events)
    }

    /// Eight wardrobe items with camera-style names, and the memory that finds them by their words.
    fn closet() -> (MemWardrobe, FakeRecall) {
        let captions = [
            "Brown leather hiking boots.",
            "A white linen shirt.",
            "A straw sun hat.",
            "Dark slim jeans.",
            "A grey wool scarf.",
            "A red rain coat.",
            "Black running shoes.",
            "A silk tie with stripes.",
        ];
        let items: Vec<(WardrobeItem, Vec<u8>)> = captions
            .iter()
            .enumerate()
            .map(|(i, c)| worn_item(&format!("w{i}"), &format!("IMG_48{i:02}.JPG"), Some(c), &[40 + i as u8]))
            .collect();
        let recall = FakeRecall {
            wardrobe: items.iter().map(|(i, _)| (wardrobe_doc(&i.id), wardrobe::text(i))).collect(),
            ..FakeRecall::default()
        };
        (MemWardrobe::with(items), recall)
    }

    /// A wardrobe that lists one item more than it holds: deleted after the question listed it.
    struct Stale(MemWardrobe);
    impl WardrobeSource for Stale {
        type Blob = Vec<u8>;
        async fn wardrobe_ids(&self) -> Result<Vec<String>, crate::core::ports::StoreError> {
            let mut ids = self.0.wardrobe_ids().await?;
            ids.push("gone".into());
            Ok(ids)
        }
        async fn wardrobe_item(
            &self,
            id: &str,
        ) -> Result<Option<(WardrobeItem, Vec<u8>)>, crate::core::ports::StoreError> {
            self.0.wardrobe_item(id).await
        }
    }

    fn texts_of(body: &serde_json::Value) -> Vec<String> {
        body["messages"][1]["content"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["text"].as_str().map(str::to_owned))
            .collect()
    }

    fn body_of(t: &FakeTransport, i: usize) -> serde_json::Value {
        serde_json::from_str(t.sent.borrow()[i].body.as_deref().unwrap()).unwrap()
    }

    #[test]
    fn a_few_images_all_go_and_the_question_is_not_embedded() {
        let store = store_with(2);
        let recall = FakeRecall::default();
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::sse(&["Both are photos."], true))]);
        let (out, _) = run_turn(&store, &recall, &t, &settings(), Turn::Ask("What do they share?".into()));
        let answer = out.unwrap().unwrap().answer;
        assert_eq!(answer.content, "Both are photos.");
        assert_eq!(image_parts(&body_of(&t, 0)), 2);
        assert!(recall.embedded.borrow().is_empty(), "nothing retrieval could change: no embedding asked");
        assert_eq!(*recall.refreshed.borrow(), 1);
        assert!(answer.context.iter().all(|i| i.used == ContextUse::Attached));
        assert_eq!(store.messages.borrow().len(), 2, "the question and the answer are stored");
    }

    #[test]
    fn more_images_than_k_embed_the_question_and_send_the_rest_as_captions() {
        let store = store_with(6);
        let recall = FakeRecall::default();
        let s = Settings { context_images: 2, ..settings() };
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::sse(&["ok"], true))]);
        let (out, _) = run_turn(&store, &recall, &t, &s, Turn::Ask("Which one is blue?".into()));
        let answer = out.unwrap().unwrap().answer;
        assert_eq!(*recall.embedded.borrow(), ["Which one is blue?"]);
        assert_eq!(image_parts(&body_of(&t, 0)), 2);
        let captions = answer.context.iter().filter(|i| i.used == ContextUse::Caption).count();
        assert_eq!(captions, 4);
    }

    #[test]
    fn an_image_that_cannot_be_read_goes_as_its_caption_and_says_so() {
        let mut store = store_with(2);
        store.images[1].1.clear();
        let recall = FakeRecall::default();
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::sse(&["ok"], true))]);
        let (out, events) = run_turn(&store, &recall, &t, &settings(), Turn::Ask("q".into()));
        let answer = out.unwrap().unwrap().answer;
        assert_eq!(image_parts(&body_of(&t, 0)), 1);
        assert!(events.iter().any(|e| matches!(e,
            Event::Alert(Alert::ImageUnreadable { name, .. }) if name == "IMG_1.jpg")));
        let item = answer.context.iter().find(|i| i.id == "i1").unwrap();
        assert_eq!(item.used, ContextUse::Caption);
        let text = body_of(&t, 0).to_string();
        assert!(text.contains("IMG_1.jpg — photo 1"), "the caption stands in: {text}");
    }

    #[test]
    fn a_failed_embedding_falls_back_to_words_without_the_key_and_still_answers() {
        let store = store_with(6);
        let detail = Some("Incorrect API key provided: sk-test-123456789".to_owned());
        let recall = FakeRecall { fail: Some(ApiError::InvalidKey { detail }), ..FakeRecall::default() };
        let s = Settings { context_images: 2, ..settings() };
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::sse(&["ok"], true))]);
        let (out, events) = run_turn(&store, &recall, &t, &s, Turn::Ask("q".into()));
        assert_eq!(out.unwrap().unwrap().answer.status, MessageStatus::Complete);
        let notice = events.iter().find_map(|e| match e {
            Event::Notice(Notice::QuestionByWords(e)) => Some(format!("{e:?}")),
            _ => None,
        });
        let notice = notice.expect("the fallback is said");
        assert!(!notice.contains("123456789"), "{notice}");
    }

    #[test]
    fn stop_while_the_question_is_embedded_stores_nothing() {
        let store = store_with(6);
        let recall = FakeRecall { fail: Some(ApiError::Aborted), ..FakeRecall::default() };
        let s = Settings { context_images: 2, ..settings() };
        let t = FakeTransport::new(vec![]);
        let (out, _) = run_turn(&store, &recall, &t, &s, Turn::Ask("q".into()));
        assert_eq!(out, Err(NotAsked::Stopped));
        assert!(store.messages.borrow().is_empty());
        assert!(t.sent.borrow().is_empty());
    }

    #[test]
    fn unreadable_history_is_reported_and_nothing_is_asked() {
        let store = MemStore { broken: true, ..store_with(1) };
        let t = FakeTransport::new(vec![]);
        let (out, events) = run_turn(&store, &FakeRecall::default(), &t, &settings(), Turn::Ask("q".into()));
        assert_eq!(out, Err(NotAsked::Store));
        assert!(matches!(events[..], [Event::Alert(Alert::Store(_))]));
        assert!(t.sent.borrow().is_empty());
    }

    #[test]
    fn regenerate_asks_the_last_question_again_and_replaces_its_answer() {
        let store = store_with(1);
        let q = Message::new("q1".into(), "c1".into(), Role::User, "Is it red?".into(), 1.0);
        let a = Message::new("a1".into(), "c1".into(), Role::Assistant, "No.".into(), 2.0);
        store.messages.borrow_mut().extend([q, a]);
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::sse(&["Yes, red."], true))]);
        let (out, _) = run_turn(&store, &FakeRecall::default(), &t, &settings(), Turn::Regenerate);
        assert_eq!(out.unwrap().unwrap().answer.content, "Yes, red.");
        let contents: Vec<String> = store.messages.borrow().iter().map(|m| m.content.clone()).collect();
        assert_eq!(contents, ["Is it red?", "Yes, red."]);
        let last = body_of(&t, 0)["messages"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["content"], "Is it red?");
    }

    #[test]
    fn recall_from_all_chats_brings_another_chats_message_with_its_title() {
        let store = store_with(1);
        let other = Message::new("m9".into(), "c2".into(), Role::User, "We camped near the mountain.".into(), 1.0);
        let gone = Message::new("m8".into(), "c3".into(), Role::User, "A chat deleted meanwhile.".into(), 1.0);
        store.messages.borrow_mut().extend([other, gone]);
        let recall = FakeRecall {
            foreign: vec![("c2".into(), "m9".into()), ("c3".into(), "m8".into())],
            ..FakeRecall::default()
        };
        let s = Settings { recall_all_chats: true, ..settings() };
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::sse(&["ok"], true))]);
        let (out, _) = run_turn(&store, &recall, &t, &s, Turn::Ask("Where did we camp near the mountain?".into()));
        let answer = out.unwrap().unwrap().answer;
        let recalled: Vec<_> = answer.context.iter().filter(|i| i.used == ContextUse::Recalled).collect();
        assert_eq!(recalled.len(), 1, "{recalled:?}");
        assert_eq!(recalled[0].from_chat.as_deref(), Some("Holiday"));
        assert!(body_of(&t, 0).to_string().contains("We camped near the mountain."));
    }

    #[test]
    fn with_the_wardrobe_on_its_relevant_items_go_after_the_chats_photos_and_the_context_lists_them() {
        let store = store_with(1);
        let (closet, recall) = closet();
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::sse(&["Wear the boots."], true))]);
        let q = "Which boots would go with it for hiking?";
        let (out, events) = run_with(&store, &recall, &t, &settings(), Turn::Ask(q.into()), &closet, true);
        assert!(events.iter().all(|e| !matches!(e, Event::Alert(_))), "{events:?}");
        let answer = out.unwrap().unwrap().answer;
        assert_eq!(*recall.embedded.borrow(), [q], "the chat's one image fits, but the wardrobe is ranked");
        let body = body_of(&t, 0);
        assert_eq!(image_parts(&body), 2, "the chat's photo and one wardrobe item");
        let texts = texts_of(&body);
        assert_eq!(texts[0], "Image 1: IMG_0.jpg — photo 0");
        assert_eq!(texts[2], "Wardrobe item 1: IMG_4800.JPG — Brown leather hiking boots.");
        assert_eq!(texts.len(), 3, "{texts:?}");
        let parts = body["messages"][1]["content"].as_array().unwrap();
        assert_eq!(parts[4]["image_url"]["url"], crate::core::prompt::data_url("image/jpeg", &[40]));
        let used: Vec<(ContextUse, &str)> = answer.context.iter().map(|i| (i.used, i.id.as_str())).collect();
        assert_eq!(used, [(ContextUse::Attached, "i0"), (ContextUse::Wardrobe, "w0")]);
        let boots = &answer.context[1];
        assert_eq!((boots.label.as_str(), boots.chat_id.as_str()), ("IMG_4800.JPG", ""));
        assert!(boots.words.is_some_and(|w| w >= crate::core::context::MIN_WORDS), "{boots:?}");
        // k from Settings: none at all with 0.
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::sse(&["ok"], true))]);
        let none = Settings { wardrobe_items: 0, ..settings() };
        let (out, _) = run_with(&store, &recall, &t, &none, Turn::Ask(q.into()), &closet, true);
        assert!(out.unwrap().unwrap().answer.context.iter().all(|i| i.used != ContextUse::Wardrobe));
        assert_eq!(image_parts(&body_of(&t, 0)), 1);
    }

    #[test]
    fn with_the_wardrobe_off_nothing_of_it_goes_and_nothing_is_embedded_for_it() {
        let store = store_with(1);
        let (closet, recall) = closet();
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::sse(&["ok"], true))]);
        let q = "Which boots would go with it for hiking?";
        let (out, _) = run_with(&store, &recall, &t, &settings(), Turn::Ask(q.into()), &closet, false);
        let answer = out.unwrap().unwrap().answer;
        assert!(recall.embedded.borrow().is_empty());
        assert_eq!(image_parts(&body_of(&t, 0)), 1);
        assert!(!body_of(&t, 0).to_string().contains("Wardrobe item"));
        assert!(answer.context.iter().all(|i| i.used != ContextUse::Wardrobe));
    }

    #[test]
    fn a_wardrobe_copy_of_the_chats_own_image_is_passed_over_for_the_next_item() {
        let store = store_with(1);
        let (closet, recall) = closet();
        let one = Settings { wardrobe_items: 1, ..settings() };
        let q = "Brown leather hiking boots, or running shoes?";
        let worn = |closet: &MemWardrobe| {
            let t = FakeTransport::new(vec![Scripted::Reply(Reply::sse(&["ok"], true))]);
            let (out, _) = run_with(&store, &recall, &t, &one, Turn::Ask(q.into()), closet, true);
            let answer = out.unwrap().unwrap().answer;
            let ids: Vec<String> =
                answer.context.iter().filter(|i| i.used == ContextUse::Wardrobe).map(|i| i.id.clone()).collect();
            (ids, texts_of(&body_of(&t, 0)))
        };
        assert_eq!(worn(&closet).0, ["w0"], "the boots rank first");
        // Now the boots are a copy of the chat's one image, which goes with the question anyway.
        let source = crate::core::wardrobe::Source { chat_id: "c1".into(), image_id: "i0".into() };
        closet.items.borrow_mut()[0].0.source = Some(source);
        let (ids, texts) = worn(&closet);
        assert_eq!(ids, ["w6"], "the running shoes go instead");
        assert_eq!(texts[2], "Wardrobe item 1: IMG_4806.JPG — Black running shoes.");
    }

    #[test]
    fn a_wardrobe_item_deleted_or_unreadable_meanwhile_does_not_go() {
        let store = store_with(1);
        let (closet, mut recall) = closet();
        // "gone" is listed and ranks best, but is no longer there; the boots' bytes cannot be read.
        recall.wardrobe.push((wardrobe_doc("gone"), "IMG_4899.JPG Hiking boots, brown leather.".into()));
        closet.items.borrow_mut()[0].1.clear();
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::sse(&["ok"], true))]);
        let q = "Which boots would go with it for hiking?";
        let (out, events) = run_with(&store, &recall, &t, &settings(), Turn::Ask(q.into()), &Stale(closet), true);
        let answer = out.unwrap().unwrap().answer;
        assert!(events.iter().any(|e| matches!(e,
            Event::Alert(Alert::ImageUnreadable { name, .. }) if name == "IMG_4800.JPG")));
        assert_eq!(image_parts(&body_of(&t, 0)), 1, "neither went");
        assert!(answer.context.iter().all(|i| i.used != ContextUse::Wardrobe), "{:?}", answer.context);
    }
}
