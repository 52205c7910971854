//! The message box with the chat's assistant ("Assistant", and "Edit assistants" beside it), "Web search",
//! "Use wardrobe", Add images, Send / Stop and Regenerate. Enter sends, Shift+Enter starts a new line, and Enter
//! while an input method is composing (Korean, Japanese, Chinese) only finishes the composition.
//!
//! "Web search" and "Use wardrobe" hold the person's choice for the next question (`Session::web_search` and
//! `Session::use_wardrobe`, which the session resets to the assistant's defaults when the chat or its assistant
//! changes; the controller reads them when sending).

use crate::core::model::{MessageStatus, Role};
use crate::core::preset;
use crate::ui::controller;
use crate::ui::i18n::{t, t_string, text, use_i18n};
use crate::ui::state::use_app_state;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The files in a FileList, in order.
pub fn file_list(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

#[component]
pub fn Composer() -> impl IntoView {
    let state = use_app_state();
    let i18n = use_i18n();
    let streaming = move || state.session.is_streaming();
    let can_regenerate = move || {
        !streaming()
            && state
                .session
                .messages
                .with(|v| v.last().is_some_and(|m| m.role == Role::Assistant && m.status != MessageStatus::Streaming))
    };
    let on_keydown = move |ev: web_sys::KeyboardEvent| {
        // keyCode 229 is what browsers report for keys that an input method is processing.
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() && ev.key_code() != 229 {
            ev.prevent_default();
            controller::send(state);
        }
    };
    let on_paste = move |ev: web_sys::ClipboardEvent| {
        let files = file_list(ev.clipboard_data().and_then(|d| d.files()));
        if !files.is_empty() {
            ev.prevent_default();
            controller::add_files(state, files);
        }
    };
    let on_files = move |ev: web_sys::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
        controller::add_files(state, file_list(input.files()));
        // Clear the picker so choosing the same file again still fires a change.
        input.set_value("");
    };
    let chosen = move || state.session.current_preset().id;
    let choices = move || state.session.presets.with(|ps| preset::all(ps));
    view! {
        <form
            class="composer"
            on:submit=move |ev| {
                ev.prevent_default();
                controller::send(state);
            }
        >
            <div class="composer-options">
                <label class="assistant">
                    {t!(i18n, assistant)} " "
                    <select
                        aria-label=move || t_string!(i18n, assistant)
                        prop:value=chosen
                        on:change=move |ev| controller::choose_preset(state, event_target_value(&ev))
                    >
                        <For each=choices key=|p| (p.id.clone(), p.name.clone()) let:p>
                            {
                                let id = p.id.clone();
                                let selected = p.id.clone();
                                view! {
                                    <option value=id selected=move || chosen() == selected>
                                        {move || text::preset_name(i18n.get_locale(), &p)}
                                    </option>
                                }
                            }
                        </For>
                    </select>
                </label>
                <button type="button" class="secondary" on:click=move |_| state.session.presets_open.set(true)>
                    {t!(i18n, edit_assistants)}
                </button>
                <label class="toggle web-toggle">
                    <input
                        type="checkbox"
                        prop:checked=move || state.session.web_search.get()
                        on:change=move |ev| state.session.web_search.set(event_target_checked(&ev))
                    />
                    {t!(i18n, web_search)}
                </label>
                <label class="toggle wardrobe-toggle" title=move || t_string!(i18n, use_wardrobe_tip)>
                    <input
                        type="checkbox"
                        prop:checked=move || state.session.use_wardrobe.get()
                        on:change=move |ev| state.session.use_wardrobe.set(event_target_checked(&ev))
                    />
                    {t!(i18n, use_wardrobe)}
                </label>
            </div>
            <label class="button add-images" for="add-images" title=move || t_string!(i18n, add_images_tip)>
                {t!(i18n, add_images)}
            </label>
            <input id="add-images" class="visually-hidden" type="file" accept="image/*" multiple on:change=on_files />
            <textarea
                aria-label=move || t_string!(i18n, message)
                placeholder=move || t_string!(i18n, message_placeholder)
                rows="2"
                prop:value=move || state.session.draft.get()
                on:input=move |ev| state.session.draft.set(event_target_value(&ev))
                on:keydown=on_keydown
                on:paste=on_paste
            ></textarea>
            <div class="composer-actions">
                <Show when=can_regenerate>
                    <button type="button" class="secondary" on:click=move |_| controller::regenerate(state)>
                        {t!(i18n, regenerate)}
                    </button>
                </Show>
                <Show
                    when=streaming
                    fallback=move || {
                        view! {
                            <button
                                type="submit"
                                class="primary"
                                title=move || (state.session.preparing.get() > 0).then(|| t_string!(i18n, still_preparing_tip))
                                disabled=move || { state.session.draft.with(|d| d.trim().is_empty()) || state.session.preparing.get() > 0 }
                            >
                                {t!(i18n, send)}
                            </button>
                        }
                    }
                >
                    <button type="button" class="stop" on:click=move |_| controller::stop(state)>
                        {t!(i18n, stop)}
                    </button>
                </Show>
            </div>
        </form>
    }
}
