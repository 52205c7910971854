//! Views: Leptos components, one per file, that hold signals and call the core and the adapters through
//! [`controller`]. No business logic lives here.

pub mod chat_pane;
pub mod composer;
pub mod context_view;
pub mod controller;
pub mod field;
pub mod image_strip;
pub mod markdown_view;
pub mod memory;
pub mod message_list;
pub mod settings_dialog;
pub mod sidebar;
pub mod state;

use leptos::prelude::*;

/// The whole app: the chat list, the open chat, and the settings dialog.
#[component]
pub fn App() -> impl IntoView {
    let state = state::provide_app_state();
    controller::start(state);
    view! {
        <div class="app">
            <sidebar::Sidebar />
            <chat_pane::ChatPane />
            <settings_dialog::SettingsDialog />
        </div>
    }
}
