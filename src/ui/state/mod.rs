//! The app's reactive state, one context per concern, in the manner of thaw's `provide_x()` / `use_x()`:
//! [`session`] (the open database, settings, chats and the open chat), [`search`] ("Search chats"),
//! [`memory`] (the vector memory), [`notices`] (alerts and passing information), [`wardrobe`] (the wardrobe's
//! items) and [`add_case`] (the answer "Add to test set" is making a case of). The interface language is leptos_i18n's own context (`ui::i18n`).
//!
//! Core types stay plain data; only these modules wrap them in signals. What is kept between events without
//! being reactive lives in `StoredValue`s owned by the app's reactive root, never in `thread_local!`s. A view
//! asks for the concern it shows; [`AppState`] bundles the handles for the controller, whose work (a turn, a
//! deletion) spans several of them.

pub mod add_case;
pub mod memory;
pub mod notices;
pub mod search;
pub mod session;
pub mod wardrobe;

pub use add_case::{provide_add_case, use_add_case, AddCase};
pub use memory::{provide_memory, use_memory, MemoryState};
pub use notices::{provide_notices, use_notices, Notices};
pub use search::{provide_search, use_search, ResultKind, SearchResult, SearchState};
pub use session::{provide_session, use_session, Session, ShownImage};
pub use wardrobe::{provide_wardrobe, use_wardrobe, WardrobeState};

use crate::core::retrieval::lexical::LexicalIndex;
use crate::web::idb_store::IdbStore;
use leptos::prelude::*;

/// The concerns' handles, for code that works across them (`ui::controller`, `ui::memory`).
#[derive(Clone, Copy)]
pub struct AppState {
    pub session: Session,
    pub search: SearchState,
    pub memory: MemoryState,
    pub notices: Notices,
    pub wardrobe: WardrobeState,
}

/// Provides every concern's context to the components below, and returns their handles.
pub fn provide_app_state() -> AppState {
    // Only its dialog and the answers' buttons use it, so it is not among the handles the controller gets.
    provide_add_case();
    AppState {
        session: provide_session(),
        search: provide_search(),
        memory: provide_memory(),
        notices: provide_notices(),
        wardrobe: provide_wardrobe(),
    }
}

/// The handles of every concern, for a view that calls the controller.
pub fn use_app_state() -> AppState {
    AppState {
        session: use_session(),
        search: use_search(),
        memory: use_memory(),
        notices: use_notices(),
        wardrobe: use_wardrobe(),
    }
}

/// The open database, once it is open.
pub(crate) fn store(state: AppState) -> Option<IdbStore> {
    state.session.store.get_untracked()
}

/// Reads the search index (the lexical index behind "Search chats", which also lists every message and image),
/// or `None` while it has not loaded: then nothing may be judged by what it lists (an empty list would make
/// every stored vector look orphaned).
pub(crate) fn with_search<R>(state: AppState, f: impl FnOnce(&LexicalIndex) -> R) -> Option<R> {
    state.search.index.with_value(|s| s.borrow().as_ref().map(f))
}
