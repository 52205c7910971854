//! The open chat: its header (title, its assistant, what its answers cost so far, image detail, Settings),
//! alerts, images, conversation and message box.
//! Files dropped anywhere on it are added as images.

use crate::core::cost::Spend;
use crate::core::model::Detail;
use crate::ui::composer::{file_list, Composer};
use crate::ui::controller;
use crate::ui::i18n::{t, t_string, text, use_i18n, Locale};
use crate::ui::image_strip::ImageStrip;
use crate::ui::message_list::MessageList;
use crate::ui::state::use_app_state;
use leptos::prelude::*;
use leptos_router::components::A;

/// The name of a detail level in the interface's language (the option's value stays the API's word).
pub fn detail_name(l: Locale, d: Detail) -> &'static str {
    use crate::ui::i18n::td_string;
    match d {
        Detail::Auto => td_string!(l, detail_auto),
        Detail::Low => td_string!(l, detail_low),
        Detail::High => td_string!(l, detail_high),
    }
}

#[component]
pub fn ChatPane() -> impl IntoView {
    let state = use_app_state();
    let i18n = use_i18n();
    let dragging = RwSignal::new(false);
    let title = move || match state.session.current_chat() {
        Some(c) if !c.is_untitled() => c.title,
        Some(_) => t_string!(i18n, new_chat).to_owned(),
        None => t_string!(i18n, page_title).to_owned(),
    };
    let detail = move || state.session.current_chat().map(|c| c.detail).unwrap_or_default();
    let assistant = move || text::preset_name(i18n.get_locale(), &state.session.current_preset());
    // The running total of the open chat's answers, at the prices in Settings.
    let spend = Memo::new(move |_| {
        state
            .session
            .settings
            .with(|s| state.session.messages.with(|ms| Spend::of_messages(&s.prices, s.search.credit_usd, ms)))
    });
    let total = move || text::chat_cost(i18n.get_locale(), &spend.get());
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
                <Show when=move || state.session.missing.with(Option::is_none)>
                    <span class="chat-preset" title=move || t_string!(i18n, assistant)>
                        {assistant}
                    </span>
                </Show>
                {move || total().map(|t| view! { <span class="chat-cost">{t}</span> })}
                <label class="detail">
                    {t!(i18n, image_detail)} " "
                    <select
                        aria-label=move || t_string!(i18n, image_detail)
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
                                        {move || detail_name(i18n.get_locale(), d)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <button class="secondary" on:click=move |_| state.session.settings_open.set(true)>
                    {t!(i18n, settings)}
                </button>
            </header>
            <Alerts />
            <Show when=move || state.session.missing.with(Option::is_none) fallback=MissingChat>
                <ImageStrip />
                <MessageList />
                <Composer />
            </Show>
            <div class="drop-hint" aria-hidden="true">{t!(i18n, drop_hint)}</div>
        </main>
    }
}

/// What an address of a chat that does not exist (any more) shows: what happened, and a way back.
#[component]
fn MissingChat() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="empty missing">
            <h2>{t!(i18n, missing_chat_title)}</h2>
            <p>{t!(i18n, missing_chat_body)}</p>
            <A href="/" attr:class="button primary">
                {t!(i18n, missing_chat_back)}
            </A>
        </div>
    }
}

/// Problems (role="alert", each dismissable) and passing notes (role="status"), in the chosen language.
#[component]
pub fn Alerts() -> impl IntoView {
    let state = use_app_state();
    let i18n = use_i18n();
    let key = move || state.session.settings.with(|s| s.api_key.clone());
    view! {
        <div class="alerts" role="alert">
            <For each=move || state.notices.alerts.get() key=|a| format!("{a:?}") let:alert>
                <p class="alert">
                    <span>{
                        let alert = alert.clone();
                        move || text::alert(i18n.get_locale(), &alert, &key())
                    }</span>
                    <button
                        class="icon"
                        aria-label=move || t_string!(i18n, dismiss)
                        on:click=move |_| state.notices.alerts.update(|v| v.retain(|a| *a != alert))
                    >
                        "×"
                    </button>
                </p>
            </For>
        </div>
        <p class="notice" role="status">
            {move || state.notices.notice.get().map(|n| text::notice(i18n.get_locale(), &n, &key()))}
        </p>
        {move || {
            state
                .memory
                .indexing
                .get()
                .map(|(done, total)| {
                    view! {
                        <p class="indexing" role="status">
                            <label for="indexing-progress">
                                {move || t_string!(i18n, embedding_progress, done = done, total = total)}
                            </label>
                            <progress id="indexing-progress" max=total value=done></progress>
                        </p>
                    }
                })
        }}
    }
}
