//! The app's reactive state: signals mirroring the core's records, provided once as a context.
//!
//! Core types stay plain data; only this module wraps them in signals. Browser handles that are not `Send`
//! (the store, the abort controller, object URLs) live in local-storage signals.

use crate::core::model::{Chat, ImageMeta, Language, Message, Settings};
use crate::core::notice::{Alert, Notice};
use crate::core::retrieval::lexical::LexicalIndex;
use crate::core::retrieval::memory::VectorMemory;
use crate::web::idb_store::IdbStore;
use crate::web::tabs::{AnswerLock, TabChannel};
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use web_sys::AbortController;

/// An image as shown: its record and an object URL for its thumbnail.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownImage {
    pub meta: ImageMeta,
    pub url: String,
}

/// What a "Search chats" result found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultKind {
    /// A question the person asked.
    Question,
    /// An answer.
    Answer,
    Image,
}

/// One "Search chats" result, ready to show.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResult {
    pub chat_id: String,
    pub chat_title: String,
    pub kind: ResultKind,
    pub snippet: String,
    pub item_id: String,
}

/// The open database, once it is open.
pub(crate) fn store(state: AppState) -> Option<IdbStore> {
    state.store.get_untracked()
}

/// Reads the search index (the lexical index behind "Search chats", which also lists every message and image),
/// or `None` while it has not loaded: then nothing may be judged by what it lists (an empty list would make
/// every stored vector look orphaned).
pub(crate) fn with_search<R>(state: AppState, f: impl FnOnce(&LexicalIndex) -> R) -> Option<R> {
    state.svc.search.with_value(|s| s.borrow().as_ref().map(f))
}

/// What the controller and the memory keep between events that is not reactive: held by the app's reactive
/// owner (created once by [`provide_app_state`], reached through [`AppState::svc`]), never in a
/// `thread_local!`. One field per concern.
#[derive(Clone, Copy)]
pub struct Services {
    /// The lexical index behind "Search chats" (which also lists every message and image); `None` until it
    /// has loaded.
    pub search: StoredValue<RefCell<Option<LexicalIndex>>, LocalStorage>,
    /// A save of the search index is due.
    pub search_save_pending: StoredValue<Cell<bool>, LocalStorage>,
    /// The channel to other tabs of Boda.
    pub tabs: StoredValue<RefCell<Option<TabChannel>>, LocalStorage>,
    /// How many deletions (here or in another tab) this tab has forgotten on screen: a turn that sees it change
    /// while its answer streamed shows the answer as the store kept it.
    pub deletions: StoredValue<Cell<u64>, LocalStorage>,
    /// Locks held for the answers this tab is streaming, by message id.
    pub live: StoredValue<RefCell<HashMap<String, AnswerLock>>, LocalStorage>,
    /// The newest version of the streaming answer, not yet shown.
    pub pending: StoredValue<RefCell<Option<Message>>, LocalStorage>,
    /// The vector memory (`core::retrieval::memory` decides, `ui::memory` does the I/O).
    pub memory: StoredValue<RefCell<VectorMemory>, LocalStorage>,
}

impl Services {
    fn new() -> Services {
        Services {
            search: StoredValue::new_local(RefCell::new(None)),
            search_save_pending: StoredValue::new_local(Cell::new(false)),
            tabs: StoredValue::new_local(RefCell::new(None)),
            deletions: StoredValue::new_local(Cell::new(0)),
            live: StoredValue::new_local(RefCell::new(HashMap::new())),
            pending: StoredValue::new_local(RefCell::new(None)),
            memory: StoredValue::new_local(RefCell::new(VectorMemory::default())),
        }
    }
}

#[derive(Clone, Copy)]
pub struct AppState {
    /// Non-reactive state of the services.
    pub svc: Services,
    pub store: RwSignal<Option<IdbStore>, LocalStorage>,
    pub settings: RwSignal<Settings>,
    pub models: RwSignal<Vec<String>>,
    pub chats: RwSignal<Vec<Chat>>,
    pub current: RwSignal<Option<String>>,
    /// The id of a chat the address asked for that does not exist (any more); shown instead of a chat.
    pub missing: RwSignal<Option<String>>,
    pub messages: RwSignal<Vec<Message>>,
    pub images: RwSignal<Vec<ShownImage>>,
    /// Files being decoded and resized right now.
    pub preparing: RwSignal<u32>,
    /// Images whose caption is being written right now.
    pub describing: RwSignal<Vec<String>>,
    /// The running request, while an answer streams.
    pub abort: RwSignal<Option<AbortController>, LocalStorage>,
    /// The chat whose answer is streaming.
    pub streaming_chat: RwSignal<Option<String>>,
    /// A turn is starting or running (set before any await, so a double click cannot start two).
    pub busy: RwSignal<bool>,
    /// Bumped whenever a turn changes the shown messages, so a slower load can tell it is stale.
    pub messages_rev: RwSignal<u64>,
    /// Problems the person must see (role="alert"), as kinds: the view says them in the chosen language.
    pub alerts: RwSignal<Vec<Alert>>,
    /// Passing information (role="status"): retries, trimming, saved settings.
    pub notice: RwSignal<Option<Notice>>,
    pub settings_open: RwSignal<bool>,
    /// The text in the message box; kept here so a failed send never loses it.
    pub draft: RwSignal<String>,
    pub loaded: RwSignal<bool>,
    /// The "Search chats" box and its results.
    pub search_query: RwSignal<String>,
    pub search_results: RwSignal<Vec<SearchResult>>,
    /// Texts embedded so far and in all, while the memory embeds many at once.
    pub indexing: RwSignal<Option<(usize, usize)>>,
    /// The interface's language (mirrored from the locale context, for work that runs outside the views).
    pub language: RwSignal<Language>,
}

impl AppState {
    pub fn new() -> AppState {
        AppState {
            svc: Services::new(),
            store: RwSignal::new_local(None),
            settings: RwSignal::new(Settings::default()),
            models: RwSignal::new(Vec::new()),
            chats: RwSignal::new(Vec::new()),
            current: RwSignal::new(None),
            missing: RwSignal::new(None),
            messages: RwSignal::new(Vec::new()),
            images: RwSignal::new(Vec::new()),
            preparing: RwSignal::new(0),
            describing: RwSignal::new(Vec::new()),
            abort: RwSignal::new_local(None),
            streaming_chat: RwSignal::new(None),
            busy: RwSignal::new(false),
            messages_rev: RwSignal::new(0),
            alerts: RwSignal::new(Vec::new()),
            notice: RwSignal::new(None),
            settings_open: RwSignal::new(false),
            draft: RwSignal::new(String::new()),
            loaded: RwSignal::new(false),
            search_query: RwSignal::new(String::new()),
            search_results: RwSignal::new(Vec::new()),
            indexing: RwSignal::new(None),
            language: RwSignal::new(Language::En),
        }
    }

    pub fn current_chat(&self) -> Option<Chat> {
        let id = self.current.get()?;
        self.chats.with(|cs| cs.iter().find(|c| c.id == id).cloned())
    }

    pub fn is_streaming(&self) -> bool {
        self.busy.get()
    }

    pub fn alert(&self, alert: Alert) {
        self.alerts.update(|a| {
            if !a.contains(&alert) {
                a.push(alert);
            }
        });
    }
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}

/// Creates the state and provides it to every component below.
pub fn provide_app_state() -> AppState {
    let state = AppState::new();
    provide_context(state);
    state
}

pub fn use_app_state() -> AppState {
    expect_context::<AppState>()
}
