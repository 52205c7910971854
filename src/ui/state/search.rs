//! "Search chats": the box, its results, and the lexical index behind them (which also lists every message
//! and image, so the vector memory asks it what exists).

use crate::core::retrieval::lexical::LexicalIndex;
use leptos::prelude::*;
use std::cell::{Cell, RefCell};

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

#[derive(Clone, Copy)]
pub struct SearchState {
    /// The text in the "Search chats" box.
    pub query: RwSignal<String>,
    pub results: RwSignal<Vec<SearchResult>>,
    /// The lexical index; `None` until it has loaded.
    pub index: StoredValue<RefCell<Option<LexicalIndex>>, LocalStorage>,
    /// A save of the index is due.
    pub save_pending: StoredValue<Cell<bool>, LocalStorage>,
}

pub fn provide_search() -> SearchState {
    let search = SearchState {
        query: RwSignal::new(String::new()),
        results: RwSignal::new(Vec::new()),
        index: StoredValue::new_local(RefCell::new(None)),
        save_pending: StoredValue::new_local(Cell::new(false)),
    };
    provide_context(search);
    search
}

pub fn use_search() -> SearchState {
    expect_context::<SearchState>()
}
