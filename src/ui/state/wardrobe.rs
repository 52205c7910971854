//! The wardrobe as the views show it: its items (read once the Wardrobe page first opens, then kept in step
//! with every change here and in other tabs), how many of them the page shows so far, and which items'
//! captions are being written.

use crate::core::wardrobe::WardrobeItem;
use leptos::prelude::*;

/// Items the Wardrobe page shows at first, and adds with each "Show more": a page of a thousand items renders
/// this many cards (and reads this many pictures), not all of them.
pub const PAGE: usize = 48;

#[derive(Clone, Copy)]
pub struct WardrobeState {
    /// Every item, newest first; empty until `loaded`.
    pub items: RwSignal<Vec<WardrobeItem>>,
    pub loaded: RwSignal<bool>,
    /// How many of the items the page shows.
    pub shown: RwSignal<usize>,
    /// Items whose caption the model is writing right now.
    pub describing: RwSignal<Vec<String>>,
}

pub fn provide_wardrobe() -> WardrobeState {
    let wardrobe = WardrobeState {
        items: RwSignal::new(Vec::new()),
        loaded: RwSignal::new(false),
        shown: RwSignal::new(PAGE),
        describing: RwSignal::new(Vec::new()),
    };
    provide_context(wardrobe);
    wardrobe
}

pub fn use_wardrobe() -> WardrobeState {
    expect_context::<WardrobeState>()
}
