//! The Wardrobe page (`/wardrobe`): every kept item with its picture, name, caption and tags, each editable and
//! deletable, how many items a question takes, and what the wardrobe is for when it is empty. It reads only
//! what is stored, so it works offline too. A wardrobe of thousands shows a page of cards at a time ("Show
//! more" adds the next), mounted a few per frame (a card costs a few milliseconds to mount in Chromium, so a
//! page mounted at once held the page for over 100 ms), and each card reads only its own picture. One component
//! per file below; the buttons are [`controller`]'s.

pub mod card;
pub mod controller;
pub mod empty;
pub mod per_question;
pub mod thumb;

use crate::ui::i18n::{t, t_string, use_i18n};
use crate::ui::state::use_app_state;
use crate::ui::state::wardrobe::PAGE;
use crate::ui::use_mounted::use_mounted;
use leptos::prelude::*;

/// Cards mounted per frame.
const CARDS_PER_FRAME: usize = 8;

#[component]
pub fn WardrobePage() -> impl IntoView {
    let state = use_app_state();
    let i18n = use_i18n();
    let wardrobe = state.wardrobe;
    Effect::new(move |_| {
        if state.session.loaded.get() {
            controller::load(state);
        }
    });
    let count = move || wardrobe.items.with(Vec::len);
    // How many of the shown cards are mounted so far: a few more each frame until all are.
    let mounted = use_mounted(move || wardrobe.shown.get().min(count()), CARDS_PER_FRAME);
    let visible = move || {
        let n = mounted.get().min(wardrobe.shown.get());
        wardrobe.items.with(|v| v.iter().take(n).cloned().collect::<Vec<_>>())
    };
    let more = move || count().saturating_sub(wardrobe.shown.get());
    view! {
        <main class="wardrobe">
            <header class="wardrobe-header">
                <h1>{t!(i18n, wardrobe)}</h1>
                <Show when=move || wardrobe.loaded.get()>
                    <span class="wardrobe-count">{move || t_string!(i18n, wardrobe_count, n = count())}</span>
                </Show>
                <button class="secondary" on:click=move |_| state.session.settings_open.set(true)>
                    {t!(i18n, settings)}
                </button>
            </header>
            <crate::ui::chat_pane::Alerts />
            <p class="wardrobe-intro">{t!(i18n, wardrobe_intro)}</p>
            <per_question::ItemsPerQuestion />
            <Show
                when=move || wardrobe.loaded.get()
                fallback=move || view! { <p class="wardrobe-loading">{t!(i18n, wardrobe_loading)}</p> }
            >
                <Show when=move || { count() > 0 } fallback=|| view! { <empty::EmptyWardrobe /> }>
                    <ul class="wardrobe-grid" aria-label=move || t_string!(i18n, wardrobe_items_label)>
                        <For
                            each=visible
                            key=|i| (i.id.clone(), i.caption.clone(), i.caption_model.clone(), i.tags.clone())
                            let:item
                        >
                            <card::WardrobeCard item=item />
                        </For>
                    </ul>
                    <Show when=move || { more() > 0 }>
                        <button class="secondary wardrobe-more" on:click=move |_| wardrobe.shown.update(|n| *n += PAGE)>
                            {move || t_string!(i18n, wardrobe_show_more, n = more().min(PAGE))}
                        </button>
                    </Show>
                </Show>
            </Show>
        </main>
    }
}
