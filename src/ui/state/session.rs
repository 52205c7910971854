//! The session: the open database and the channel to other tabs, the settings, the chats, and everything
//! about the open chat (its messages and images, the answer streaming in it, the draft).

use crate::core::model::{Chat, ImageMeta, Language, Message, Settings};
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

/// Browser handles that are not `Send` (the store, the abort controller) live in local-storage signals.
#[derive(Clone, Copy)]
pub struct Session {
    pub store: RwSignal<Option<IdbStore>, LocalStorage>,
    pub settings: RwSignal<Settings>,
    pub models: RwSignal<Vec<String>>,
    pub settings_open: RwSignal<bool>,
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
    /// The text in the message box; kept here so a failed send never loses it.
    pub draft: RwSignal<String>,
    /// Whether the next question searches the web first (the "Web search" switch by the message box).
    pub web_search: RwSignal<bool>,
    pub loaded: RwSignal<bool>,
    /// The interface's language, mirrored from the locale context for work that runs outside the views
    /// (captions).
    pub language: RwSignal<Language>,
    /// The channel to other tabs of Boda.
    pub tabs: StoredValue<RefCell<Option<TabChannel>>, LocalStorage>,
    /// How many deletions (here or in another tab) this tab has forgotten on screen: a turn that sees it change
    /// while its answer streamed shows the answer as the store kept it.
    pub deletions: StoredValue<Cell<u64>, LocalStorage>,
    /// Locks held for the answers this tab is streaming, by message id.
    pub live: StoredValue<RefCell<HashMap<String, AnswerLock>>, LocalStorage>,
    /// The newest version of the streaming answer, not yet shown.
    pub pending: StoredValue<RefCell<Option<Message>>, LocalStorage>,
}

impl Session {
    pub fn current_chat(&self) -> Option<Chat> {
        let id = self.current.get()?;
        self.chats.with(|cs| cs.iter().find(|c| c.id == id).cloned())
    }

    pub fn is_streaming(&self) -> bool {
        self.busy.get()
    }
}

pub fn provide_session() -> Session {
    let session = Session {
        store: RwSignal::new_local(None),
        settings: RwSignal::new(Settings::default()),
        models: RwSignal::new(Vec::new()),
        settings_open: RwSignal::new(false),
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
        draft: RwSignal::new(String::new()),
        web_search: RwSignal::new(false),
        loaded: RwSignal::new(false),
        language: RwSignal::new(Language::En),
        tabs: StoredValue::new_local(RefCell::new(None)),
        deletions: StoredValue::new_local(Cell::new(0)),
        live: StoredValue::new_local(RefCell::new(HashMap::new())),
        pending: StoredValue::new_local(RefCell::new(None)),
    };
    provide_context(session);
    session
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}
