//! The session: the open database and the channel to other tabs, the settings, the chats, the person's
//! assistants, and everything about the open chat (its messages and images, its assistant, whether web search
//! is on for the next question, the answer streaming in it, the draft).
//!
//! One rule lives here because it is about these signals only: "Web search" is reset to the assistant's default
//! whenever the open chat, its assistant, or that assistant's default changes.

use crate::core::model::{Chat, ImageMeta, Language, Message, Settings};
use crate::core::preset::{self, Preset};
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
    /// The person's assistants as stored (the built-in ones are not among them; see [`preset::all`]).
    pub presets: RwSignal<Vec<Preset>>,
    /// The assistant last chosen, which a new chat gets (remembered in this browser, `web::prefs`).
    pub next_preset: RwSignal<Option<String>>,
    /// Whether the next question searches the web first (the "Web search" switch by the message box); reset to
    /// the assistant's default when the chat or its assistant changes.
    pub web_search: RwSignal<bool>,
    pub presets_open: RwSignal<bool>,
    /// Whether the next question takes the wardrobe's most relevant items along (the "Use wardrobe" switch);
    /// reset to the assistant's default (Style advisor's is on) like `web_search`.
    pub use_wardrobe: RwSignal<bool>,
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

    /// The open chat's assistant; with no chat open, the one a new chat gets.
    pub fn current_preset(&self) -> Preset {
        let id = match self.current_chat() {
            Some(chat) => chat.preset,
            None => self.next_preset.get(),
        };
        self.presets.with(|ps| preset::resolve(ps, id.as_deref()))
    }
}

/// Resets "Web search" and "Use wardrobe" to the assistant's defaults when the open chat, its assistant or those
/// defaults change (and not otherwise: the person's choice holds from one question to the next). The chat that
/// the first question of the empty start makes, with the same assistant, is no change: the choices made before
/// it hold.
fn keep_web_search_in_step(session: Session) {
    let default = Memo::new(move |_| {
        let p = session.current_preset();
        (session.current.get(), p.id, (p.web_search, p.wardrobe))
    });
    Effect::new(move |before: Option<(Option<String>, String, (bool, bool))>| {
        let now = default.get();
        let made_here = before.as_ref().is_some_and(|(chat, id, on)| chat.is_none() && (id, on) == (&now.1, &now.2));
        if !made_here {
            session.web_search.set(now.2 .0);
            session.use_wardrobe.set(now.2 .1);
        }
        now
    });
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
        presets: RwSignal::new(Vec::new()),
        next_preset: RwSignal::new(crate::web::prefs::last_preset()),
        web_search: RwSignal::new(false),
        presets_open: RwSignal::new(false),
        use_wardrobe: RwSignal::new(false),
        loaded: RwSignal::new(false),
        language: RwSignal::new(Language::En),
        tabs: StoredValue::new_local(RefCell::new(None)),
        deletions: StoredValue::new_local(Cell::new(0)),
        live: StoredValue::new_local(RefCell::new(HashMap::new())),
        pending: StoredValue::new_local(RefCell::new(None)),
    };
    provide_context(session);
    keep_web_search_in_step(session);
    session
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}
