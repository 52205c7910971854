//! The open chat: its header (title, image detail, Settings), alerts, images, conversation and message box.
//! Files dropped anywhere on it are added as images.

use crate::core::model::Detail;
use crate::ui::composer::{file_list, Composer};
use crate::ui::controller;
use crate::ui::image_strip::ImageStrip;
use crate::ui::message_list::MessageList;
use crate::ui::state::use_app_state;
use leptos::prelude::*;

#[component]
pub fn ChatPane() -> impl IntoView {
    let state = use_app_state();
    let dragging = RwSignal::new(false);
    let title = move || state.current_chat().map(|c| c.title).unwrap_or_else(|| "Boda".into());
    let detail = move || state.current_chat().map(|c| c.detail).unwrap_or_default();
    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        controller::add_files(state, file_list(ev.data_transfer().and_then(|d| d.files())));
    };
    view! {
        <main
            class="chat"
            class:dragging=move || dragging.get()
            on:dragover=move |ev: web_sys::DragEvent| {
                ev.prevent_default();
                dragging.set(true);
            }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop
        >
            <header class="chat-header">
                <h1>{title}</h1>
                <label class="detail">
                    "Image detail "
                    <select
                        aria-label="Image detail"
                        prop:value=move || detail().as_str()
                        on:change=move |ev| {
                            if let Some(d) = Detail::parse(&event_target_value(&ev)) {
                                controller::set_detail(state, d);
                            }
                        }
                    >
                        {Detail::ALL
                            .into_iter()
                            .map(|d| {
                                view! {
                                    <option value=d.as_str() selected=move || detail() == d>
                                        {d.as_str()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <button class="secondary" on:click=move |_| state.settings_open.set(true)>
                    "Settings"
                </button>
            </header>
            <Alerts />
            <ImageStrip />
            <MessageList />
            <Composer />
            <div class="drop-hint" aria-hidden="true">"Drop images to add them"</div>
        </main>
    }
}

/// Problems (role="alert", each dismissable) and passing notes (role="status").
#[component]
fn Alerts() -> impl IntoView {
    let state = use_app_state();
    view! {
        <div class="alerts" role="alert">
            <For each=move || state.alerts.get() key=|a| a.clone() let:text>
                <p class="alert">
                    <span>{text.clone()}</span>
                    <button
                        class="icon"
                        aria-label="Dismiss"
                        on:click=move |_| state.alerts.update(|v| v.retain(|a| *a != text))
                    >
                        "×"
                    </button>
                </p>
            </For>
        </div>
        <p class="notice" role="status">
            {move || state.notice.get()}
        </p>
        {move || {
            state
                .indexing
                .get()
                .map(|(done, total)| {
                    view! {
                        <p class="indexing" role="status">
                            <label for="indexing-progress">{format!("Embedding for memory: {done} of {total}")}</label>
                            <progress id="indexing-progress" max=total value=done></progress>
                        </p>
                    }
                })
        }}
    }
}
