//! Views: Leptos components, one per file, that hold signals and call the core and the adapters through
//! [`controller`], and say everything in the person's language through [`i18n`]. A turn's decisions are the
//! core's (`core::pipeline`), and so are the vector memory's (`core::retrieval::memory`). No app state lives
//! in `thread_local!`s: each concern (session, search, memory, notices) is a context of its own, see `state`.

pub mod add_case_dialog;
pub mod caption_editor;
pub mod chat_pane;
pub mod composer;
pub mod context_view;
pub mod controller;
pub mod eval;
pub mod field;
pub mod i18n;
pub mod image_strip;
pub mod markdown_view;
pub mod memory;
pub mod message_list;
pub mod presets_dialog;
pub mod route_sync;
pub mod search_options;
pub mod settings_dialog;
pub mod sidebar;
pub mod state;
pub mod use_mounted;
pub mod wardrobe;
pub mod web_search_view;

use leptos::prelude::*;

/// The whole app, in the person's language: the chat list, the open chat, the settings dialog, the assistants
/// dialog, and the dialog that adds a chat's turn to a test set.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <i18n::I18nContextProvider>
            <Shell />
        </i18n::I18nContextProvider>
    }
}

#[component]
fn Shell() -> impl IntoView {
    let state = state::provide_app_state();
    eval::state::provide_eval();
    let i18n = i18n::use_i18n();
    // A language chosen in Settings wins over the browser's. Set from an effect, which runs after the
    // provider's own (it sets the browser's language), and before the browser first paints.
    Effect::new(move |_| {
        if let Some(chosen) = crate::web::prefs::language() {
            i18n.set_locale(i18n::locale(chosen));
        }
    });
    // Work outside the views (captions) reads the language from the state; the page title follows it too.
    Effect::new(move |_| {
        let locale = i18n.get_locale();
        state.session.language.set(i18n::language(locale));
        document().set_title(i18n::td_string!(locale, page_title));
    });
    controller::start(state);
    view! {
        <leptos_router::components::Router>
            <route_sync::RouteSync />
            <div class="app">
                <sidebar::Sidebar />
                <Pane />
                <settings_dialog::SettingsDialog />
                <presets_dialog::PresetsDialog />
                <add_case_dialog::AddCaseDialog />
            </div>
        </leptos_router::components::Router>
    }
}

/// Which page the address shows beside the sidebar.
#[derive(Clone, Copy, PartialEq)]
enum Page {
    Chat,
    Evaluate,
    Wardrobe,
}

/// The chat, the Evaluate page when the address is one of the evaluation's, or the Wardrobe page.
#[component]
fn Pane() -> impl IntoView {
    use crate::core::route::Route;
    let location = leptos_router::hooks::use_location();
    let page = Memo::new(move |_| match Route::parse(&location.pathname.get()) {
        Route::Wardrobe => Page::Wardrobe,
        r if r.is_evaluation() => Page::Evaluate,
        _ => Page::Chat,
    });
    move || match page.get() {
        Page::Chat => view! { <chat_pane::ChatPane /> }.into_any(),
        Page::Evaluate => view! { <eval::EvalPage /> }.into_any(),
        Page::Wardrobe => view! { <wardrobe::WardrobePage /> }.into_any(),
    }
}
