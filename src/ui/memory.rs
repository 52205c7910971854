//! The vector memory behind retrieval and hybrid search: an embedding of every caption, message and wardrobe
//! item, kept in step with the chats and the wardrobe, made in batches (with progress when there are many) and
//! saved in IndexedDB.
//!
//! What needs embedding, what a batch of vectors or a removal does to the index, what a save hands out and
//! takes back, and which question vectors are kept are decided by the core's
//! [`crate::core::retrieval::memory::VectorMemory`] (held in [`crate::ui::state::MemoryState`]); how candidates
//! rank and what a question carries by [`crate::core::context`]. This module does the I/O in between: it
//! loads and saves the index, sends the embedding requests, and shows progress and notices. Tabs take turns
//! writing through a Web Lock, and a counter in `localStorage` tells a tab that another one wrote, so it
//! reloads before changing anything.

use crate::core::context::{self, ContextPlan, PlanInput, Signals};
use crate::core::embeddings::{default_dims, embed, fingerprint, Embedded};
use crate::core::model::{ImageMeta, Message, MessageStatus, Settings};
use crate::core::notice::{Alert, Notice};
use crate::core::openai::ApiError;
use crate::core::pipeline::Recall;
use crate::core::ports::VectorStore;
use crate::core::ports::WardrobeRepo;
use crate::core::retrieval::lexical::LexicalIndex;
use crate::core::retrieval::memory::Todo;
use crate::core::retrieval::vector::VectorIndex;
use crate::core::search;
use crate::core::wardrobe::{self, WardrobeItem};
use crate::ui::state::AppState;
use crate::ui::state::{store, with_search};
use crate::web::http::FetchTransport;
use crate::web::idb_store::IdbStore;
use crate::web::runtime::{sleep_ms, BrowserRuntime};
use crate::web::tabs::{exclusive_lock, set_shared_counter, shared_counter};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::HashSet;

/// Bumped by a tab after it saved vectors.
const COUNTER: &str = "boda-memory-rev";
/// Held while a tab changes the stored vectors.
const LOCK: &str = "boda-memory";
/// Progress is shown from this many texts to embed.
const PROGRESS_FROM: usize = 16;
/// A long run of embeddings (a model change, a first start with many chats) is stored after every this many
/// texts (eight full batches), so a tab closed during the run loses at most one such part. (A failed batch
/// loses nothing: what was made is kept and stored.)
const SAVE_EVERY: usize = 2048;

fn settings_dims(settings: &Settings) -> Option<usize> {
    settings.embedding_dimensions.map(|d| d as usize).or_else(|| default_dims(&settings.embedding_model))
}

/// Keeps a message's embedding in step: made when it has text, dropped when it failed or was emptied.
pub fn remember_message(state: AppState, m: &Message) {
    let doc = search::message_doc(m);
    match search::findable_text(m) {
        None => forget(state, move |d| d == doc),
        // A streaming answer is embedded once it ends.
        Some(_) if m.status == MessageStatus::Streaming => {}
        Some(text) => remember(state, doc, text.into_owned()),
    }
}

/// Keeps an image's embedding (of its file name and caption) in step.
pub fn remember_image(state: AppState, image: &ImageMeta) {
    remember(state, search::image_doc(image), search::image_text(image));
}

/// Keeps a wardrobe item's embedding (of its name, caption and tags) in step.
pub fn remember_wardrobe(state: AppState, item: &WardrobeItem) {
    remember(state, search::wardrobe_doc(&item.id), wardrobe::text(item));
}

fn remember(state: AppState, doc: String, text: String) {
    state.memory.vectors.with_value(|m| m.borrow_mut().remember(doc, text));
    run(state);
}

fn forget(state: AppState, doomed: impl Fn(&str) -> bool + 'static) {
    let settings = state.session.settings.get_untracked();
    state.memory.vectors.with_value(|m| m.borrow_mut().forget(doomed, |text| tag_of(&settings, text)));
    run(state);
}

/// Removes a message's or image's vector.
pub fn forget_item(state: AppState, item_id: &str) {
    let item_id = item_id.to_owned();
    forget(state, move |d| search::parse_doc(d).is_some_and(|(_, _, item)| item == item_id));
}

/// Removes every vector of a chat.
pub fn forget_chat(state: AppState, chat_id: &str) {
    let chat_id = chat_id.to_owned();
    forget(state, move |d| search::parse_doc(d).is_some_and(|(_, chat, _)| chat == chat_id));
}

/// Loads the memory (and brings it in step with the chats) once storage is open.
pub fn start(state: AppState) {
    run(state);
}

/// Runs the memory worker soon, unless it is running (then it runs again after).
fn run(state: AppState) {
    let busy = state.memory.vectors.with_value(|m| {
        let mut m = m.borrow_mut();
        m.again = m.running;
        std::mem::replace(&mut m.running, true)
    });
    if busy {
        return;
    }
    spawn_local(async move {
        // Let a burst of changes (a finished answer and its question) arrive first.
        sleep_ms(150).await;
        loop {
            work(state).await;
            let again = state.memory.vectors.with_value(|m| {
                let mut m = m.borrow_mut();
                m.running = std::mem::take(&mut m.again);
                m.running
            });
            if !again {
                break;
            }
        }
        state.memory.indexing.set(None);
    });
}

/// Loads the index of the current space when it is not loaded, or another tab saved since. A fresh load is
/// checked against the search index (which lists every message and image): vectors of items gone are dropped,
/// and items without a vector are queued. Until the search index has loaded nothing is loaded or judged, and
/// the result is `false`: a settings change from another tab that arrives that early must not take the empty
/// list for the truth and drop every stored vector.
async fn ensure_loaded(state: AppState, db: &IdbStore, settings: &Settings) -> bool {
    if with_search(state, |_| ()).is_none() {
        return false;
    }
    let space = settings.embedding_space();
    let counter = shared_counter(COUNTER);
    let current = state.memory.vectors.with_value(|m| {
        let m = m.borrow();
        m.index.is_some() && m.space == space && m.rev == counter
    });
    if current {
        return true;
    }
    let index = match db.load_vectors(&space, settings_dims(settings).unwrap_or(0)).await {
        Ok(index) => index,
        Err(e) => {
            state.notices.notify(Notice::MemoryRebuilt { detail: e.to_string() });
            // Its records go, so none of them lingers beyond what the rebuilt index writes.
            let _ = db.delete_other_spaces("").await;
            VectorIndex::new(settings_dims(settings).unwrap_or(0))
        }
    };
    // A failure leaves other spaces' records for the next load to delete; this one is unaffected.
    let _ = db.delete_other_spaces(&space).await;
    let Some(known) = with_search(state, |l| l.ids().map(str::to_owned).collect::<HashSet<String>>()) else {
        return false;
    };
    state.memory.vectors.with_value(|m| {
        let mut m = m.borrow_mut();
        m.space = space;
        m.rev = counter;
        let index = m.index.insert(index);
        index.remove_where(|d| !known.contains(d));
    });
    queue_missing(state, db).await;
    true
}

/// Queues every message and image that has no vector in the loaded index, with its text.
async fn queue_missing(state: AppState, db: &IdbStore) {
    let missing: Vec<String> = state.memory.vectors.with_value(|m| {
        let m = m.borrow();
        let index = m.index.as_ref();
        with_search(state, |l| l.ids().filter(|d| !index.is_some_and(|i| i.contains(d))).map(str::to_owned).collect())
            .unwrap_or_default()
    });
    if missing.is_empty() {
        return;
    }
    // Read the texts of what has no vector yet, chat by chat, and the wardrobe's at once.
    let chats: HashSet<String> =
        missing.iter().filter_map(|d| search::parse_doc(d).map(|(_, chat, _)| chat.to_owned())).collect();
    let mut texts = Vec::new();
    for chat in chats {
        if chat == search::WARDROBE {
            let items = db.load_wardrobe().await.unwrap_or_default();
            texts.extend(items.iter().map(|i| (search::wardrobe_doc(&i.id), wardrobe::text(i))));
        } else {
            texts.extend(search::chat_documents(db, &chat).await);
        }
    }
    let missing: HashSet<String> = missing.into_iter().collect();
    state.memory.vectors.with_value(|m| {
        let mut m = m.borrow_mut();
        for (doc, text) in texts.into_iter().filter(|(d, _)| missing.contains(d)) {
            m.queue(doc, text);
        }
    });
}

/// One pass: load if needed, embed what is pending, save what changed.
async fn work(state: AppState) {
    let Some(db) = store(state) else { return };
    let _lock = exclusive_lock(LOCK).await;
    // Read after the lock: another tab may have changed the embedding model while this one waited.
    let settings = state.session.settings.get_untracked();
    if !ensure_loaded(state, &db, &settings).await {
        // The search index is still loading; what is pending waits, and the start after its load runs this.
        return;
    }

    // What waits and still exists, and needs a vector made (a question asked moments ago has one already).
    let todo: Vec<Todo> = state.memory.vectors.with_value(|m| {
        m.borrow_mut().todo(|d| with_search(state, |l| l.contains(d)) == Some(true), |t| tag_of(&settings, t))
    });
    if !todo.is_empty() && settings.has_key() {
        let total = todo.len();
        let progress = |done: usize| {
            if total >= PROGRESS_FROM {
                state.memory.indexing.set(Some((done, total)));
            }
        };
        progress(0);
        let mut done = 0;
        for run in todo.chunks(SAVE_EVERY) {
            let texts: Vec<String> = run.iter().map(|(_, t, _)| t.clone()).collect();
            let (transport, rt) = (FetchTransport::new(None), BrowserRuntime::default());
            let Embedded { vectors, error } =
                embed(&transport, &rt, &settings, &texts, &mut |made, _| progress(done + made)).await;
            done += vectors.len();
            let listed = |d: &str| with_search(state, |l| l.contains(d)) == Some(true);
            let resized =
                state.memory.vectors.with_value(|m| m.borrow_mut().keep(&run[..vectors.len()], &vectors, listed));
            if let Some((before, now)) = resized {
                state.notices.notify(Notice::MemoryResized {
                    model: settings.embedding_model.trim().to_owned(),
                    before,
                    now,
                });
                queue_missing(state, &db).await;
                state.memory.vectors.with_value(|m| m.borrow_mut().again = true);
                break;
            }
            if let Some(e) = error {
                let notice = Notice::MemoryIncomplete { left: total - done, error: e.redacted(&settings.api_key) };
                // Keep what is left for the next change (or reload), and the notice, to take it down then.
                state.memory.vectors.with_value(|m| m.borrow_mut().failed(&todo[done..], notice.clone()));
                state.notices.notify(notice);
                break;
            }
            // What this run made is stored before the next run starts: a tab closed meanwhile loses one run.
            if done < total {
                save(state, &db).await;
            }
        }
    } else if !todo.is_empty() {
        // No key yet: keep them for later.
        state.memory.vectors.with_value(|m| m.borrow_mut().wait(&todo));
    }
    // Nothing waits any more (embedded, or deleted meanwhile): an earlier failure's notice is no longer true.
    let failure = state.memory.vectors.with_value(|m| m.borrow_mut().settled());
    if let Some(notice) = failure {
        if state.notices.notice.with_untracked(|n| n.as_ref() == Some(&notice)) {
            state.notices.notice.set(None);
        }
    }
    save(state, &db).await;
}

async fn save(state: AppState, db: &IdbStore) {
    let taken = state.memory.vectors.with_value(|m| m.borrow_mut().take_for_save());
    let Some((space, mut index)) = taken else { return };
    let result = db.save_vectors(&space, &mut index).await;
    if result.is_ok() {
        set_shared_counter(COUNTER, shared_counter(COUNTER) + 1);
    }
    // Read back: where localStorage cannot be written, the counter stays as it is, and this tab must not take
    // that for another tab's save (and reload before every turn).
    let rev = shared_counter(COUNTER);
    state.memory.vectors.with_value(|m| m.borrow_mut().saved(&space, index, result.is_ok().then_some(rev)));
    if let Err(e) = result {
        state.notices.alert(Alert::MemoryNotSaved(e));
    }
}

/// What a text's vector is made from under the current settings (see [`fingerprint`]).
fn tag_of(settings: &Settings, text: &str) -> String {
    fingerprint(settings.embedding_model.trim(), settings.embedding_dimensions, text)
}

/// A query's embedding (a question, or a search), or why there is none. The last few are kept, so storing the
/// question, a Regenerate or a repeated search reuses them instead of asking again.
pub async fn embed_query(
    state: AppState,
    settings: &Settings,
    text: &str,
    signal: Option<web_sys::AbortSignal>,
) -> Result<Vec<f32>, ApiError> {
    let tag = tag_of(settings, text);
    if let Some(v) = state.memory.vectors.with_value(|m| m.borrow().offered(&tag)) {
        return Ok(v);
    }
    let rt = BrowserRuntime::with_signal(signal.clone());
    let texts = [text.to_owned()];
    let mut vectors = embed(&FetchTransport::new(signal), &rt, settings, &texts, &mut |_, _| {}).await.into_result()?;
    let v = vectors.pop().unwrap_or_default();
    state.memory.vectors.with_value(|m| m.borrow_mut().offer(tag, v.clone()));
    Ok(v)
}

/// Brings the memory up to date before a question (another tab may have saved), without embedding anything.
pub async fn refresh(state: AppState) {
    let Some(db) = store(state) else { return };
    if state.memory.vectors.with_value(|m| m.borrow().running) {
        return;
    }
    // Under the lock, so it never reads a save halfway or deletes a space another tab is building.
    let _lock = exclusive_lock(LOCK).await;
    let settings = state.session.settings.get_untracked();
    let _ = ensure_loaded(state, &db, &settings).await;
}

/// Ids (chat, message) of other chats' messages that match the question, by words or by vector. Each search
/// ranks only other chats' messages, so this chat's own documents and the images cannot crowd them out.
pub fn foreign_hits(
    state: AppState,
    question: &str,
    query_vector: Option<&[f32]>,
    chat_id: &str,
) -> Vec<(String, String)> {
    let foreign = |doc: &str| {
        search::parse_doc(doc).is_some_and(|(kind, chat, _)| kind == search::HitKind::Message && chat != chat_id)
    };
    let lexical = with_search(state, |l| l.search_where(question, 20, foreign)).unwrap_or_default();
    let vector = state.memory.vectors.with_value(|m| {
        let m = m.borrow();
        match (m.index.as_ref(), query_vector) {
            (Some(i), Some(q)) if q.len() == i.dims() => i.search_where(q, 20, foreign).unwrap_or_default(),
            _ => Vec::new(),
        }
    });
    let docs = lexical.into_iter().map(|(doc, _)| doc).chain(vector.into_iter().map(|h| h.id));
    let mut out: Vec<(String, String)> = docs
        .filter_map(|doc| search::parse_doc(&doc).map(|(_, chat, item)| (chat.to_owned(), item.to_owned())))
        .collect();
    let mut seen = HashSet::new();
    out.retain(|hit| seen.insert(hit.clone()));
    out
}

/// The memory as the core's turn pipeline reaches it.
pub struct MemoryRecall {
    state: AppState,
    /// Aborts the question's embedding when the person presses Stop.
    signal: Option<web_sys::AbortSignal>,
}

impl MemoryRecall {
    pub fn new(state: AppState, signal: Option<web_sys::AbortSignal>) -> MemoryRecall {
        MemoryRecall { state, signal }
    }
}

impl Recall for MemoryRecall {
    async fn refresh(&self) {
        refresh(self.state).await;
    }
    async fn embed_query(&self, settings: &Settings, text: &str) -> Result<Vec<f32>, ApiError> {
        embed_query(self.state, settings, text, self.signal.clone()).await
    }
    fn foreign_hits(&self, question: &str, query_vector: Option<&[f32]>, chat_id: &str) -> Vec<(String, String)> {
        foreign_hits(self.state, question, query_vector, chat_id)
    }
    fn plan(&self, input: PlanInput<'_>) -> ContextPlan {
        plan(self.state, input)
    }
}

/// Ranks with both signals (the memory's vectors and the search index) and decides what the question carries.
pub fn plan(state: AppState, input: PlanInput<'_>) -> ContextPlan {
    state.memory.vectors.with_value(|m| {
        let m = m.borrow();
        let plan = |lexical: Option<&LexicalIndex>| {
            let signals = Signals { vectors: m.index.as_ref(), lexical, ..input.signals };
            context::plan(&PlanInput { signals, ..input })
        };
        // Before the search index has loaded, the plan ranks by vectors alone.
        with_search(state, |l| plan(Some(l))).unwrap_or_else(|| plan(None))
    })
}

/// Hybrid "Search chats": the vector hits of the query, to fuse with the lexical hits already found. `None` when
/// there is nothing to search by meaning (no key, or no vectors yet); an error says why the query could not be
/// embedded.
pub async fn search_vector_hits(
    state: AppState,
    settings: &Settings,
    query: &str,
) -> Result<Option<Vec<(String, f32)>>, ApiError> {
    if !settings.has_key()
        || state.memory.vectors.with_value(|m| m.borrow().index.as_ref().is_none_or(VectorIndex::is_empty))
    {
        return Ok(None);
    }
    let q = embed_query(state, settings, query, None).await.map_err(|e| e.redacted(&settings.api_key))?;
    Ok(state.memory.vectors.with_value(|m| {
        let m = m.borrow();
        let hits = m.index.as_ref()?.search_where(&q, 20, search::is_chat_doc).ok()?;
        Some(hits.into_iter().map(|h| (h.id, h.score)).collect())
    }))
}
