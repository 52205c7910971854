//! The chat list: New chat, the links to the Evaluate and Wardrobe pages, and each chat with Rename and Delete.

use crate::core::model::Chat;
use crate::core::route::Route;
use crate::ui::controller;
use crate::ui::i18n::{t, t_string, use_i18n};
use crate::ui::state::{use_app_state, ResultKind};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_navigate};

/// A function that leaves the Evaluate or Wardrobe page for a chat's address (the address then opens the chat,
/// see `ui::route_sync`); on a chat's address it does nothing. Made when the component is, where the router's
/// context is at hand.
fn use_leave_evaluation() -> impl Fn(&str) + Clone + 'static {
    let location = use_location();
    let navigate = use_navigate();
    move |chat_id: &str| {
        if !Route::parse(&location.pathname.get_untracked()).is_chat() {
            navigate(&Route::Chat(chat_id.to_owned()).path(), Default::default());
        }
    }
}

#[component]
pub fn Sidebar() -> impl IntoView {
    let state = use_app_state();
    let i18n = use_i18n();
    let new_chat = move |_| {
        spawn_local(async move {
            controller::new_chat(state).await;
        })
    };
    view! {
        <nav class="sidebar" aria-label=move || t_string!(i18n, chats_nav)>
            <div class="brand">
                <span class="logo" aria-hidden="true">"보다"</span>
                <span>"Boda"</span>
            </div>
            <button class="new-chat" on:click=new_chat>
                {t!(i18n, new_chat)}
            </button>
            <A href="/evaluate" attr:class="eval-link">
                {t!(i18n, evaluate)}
            </A>
            <A href="/wardrobe" attr:class="wardrobe-link">
                {t!(i18n, wardrobe)}
            </A>
            <input
                class="search"
                type="search"
                aria-label=move || t_string!(i18n, search_chats)
                placeholder=move || t_string!(i18n, search_chats)
                prop:value=move || state.search.query.get()
                on:input=move |ev| controller::search_chats(state, event_target_value(&ev))
            />
            <Show
                when=move || state.search.query.with(|q| !q.trim().is_empty())
                fallback=move || {
                    view! {
                        <ul class="chat-list">
                            <For each=move || state.session.chats.get() key=|c| (c.id.clone(), c.title.clone()) let:chat>
                                <ChatItem chat=chat />
                            </For>
                        </ul>
                    }
                }
            >
                <SearchResults />
            </Show>
            <p class="privacy">{t!(i18n, privacy)}</p>
        </nav>
    }
}

/// What "Search chats" found: each result opens its chat and shows the message or image it found.
#[component]
fn SearchResults() -> impl IntoView {
    let state = use_app_state();
    let leave_evaluation = use_leave_evaluation();
    let i18n = use_i18n();
    view! {
        <ul class="search-results" aria-label=move || t_string!(i18n, search_results)>
            <For
                each=move || state.search.results.get()
                key=|r| (r.item_id.clone(), r.snippet.clone())
                let:result
            >
                <li>
                    <button
                        class="search-result"
                        on:click={
                            let result = result.clone();
                            let leave_evaluation = leave_evaluation.clone();
                            move |_| {
                                leave_evaluation(&result.chat_id);
                                controller::open_result(state, &result)
                            }
                        }
                    >
                        <span class="result-chat">{result.chat_title.clone()}</span>
                        <span class="result-kind">
                            {move || match result.kind {
                                ResultKind::Question => t_string!(i18n, result_you),
                                ResultKind::Answer => t_string!(i18n, result_boda),
                                ResultKind::Image => t_string!(i18n, result_image),
                            }}
                        </span>
                        <span class="result-snippet">{result.snippet.clone()}</span>
                    </button>
                </li>
            </For>
            <Show when=move || state.search.results.with(Vec::is_empty)>
                <li class="no-results">{t!(i18n, no_results)}</li>
            </Show>
        </ul>
    }
}

#[component]
fn ChatItem(chat: Chat) -> impl IntoView {
    let state = use_app_state();
    let i18n = use_i18n();
    let editing = RwSignal::new(false);
    let id = StoredValue::new(chat.id.clone());
    let untitled = chat.is_untitled();
    let stored_title = chat.title.clone();
    let title = StoredValue::new(chat.title.clone());
    let title = move || if untitled { t_string!(i18n, new_chat).to_owned() } else { title.get_value() };
    let is_current = move || state.session.current.get().as_deref() == Some(id.get_value().as_str());
    let leave_evaluation = StoredValue::new_local(use_leave_evaluation());
    let open = move |_| {
        leave_evaluation.with_value(|leave| leave(&id.get_value()));
        controller::open_chat(state, id.get_value())
    };
    let delete = move |_| {
        let question = t_string!(i18n, confirm_delete, title = title());
        if window().confirm_with_message(&question).unwrap_or(false) {
            controller::delete_chat(state, id.get_value());
        }
    };
    // Closing the field (Enter, Escape, or leaving it) blurs it; only Enter and leaving rename.
    let cancelled = StoredValue::new(false);
    let commit = move |value: String| {
        if !editing.get_untracked() {
            return;
        }
        editing.set(false);
        if !cancelled.get_value() {
            controller::rename_chat(state, id.get_value(), value);
        }
    };
    let rename_label = move || t_string!(i18n, rename_chat, title = title());
    let delete_label = move || t_string!(i18n, delete_chat, title = title());
    let field_title = if untitled { String::new() } else { stored_title };
    view! {
        <li class="chat-item" class:current=is_current>
            <Show
                when=move || editing.get()
                fallback=move || {
                    view! {
                        <button class="chat-title" on:click=open aria-current=move || is_current().then_some("page")>
                            {title}
                        </button>
                    }
                }
            >
                <input
                    class="rename"
                    aria-label=move || t_string!(i18n, chat_title_field)
                    value=field_title.clone()
                    autofocus
                    on:keydown=move |ev| {
                        match ev.key().as_str() {
                            // keyCode 229: the key belongs to an input method that is composing.
                            "Enter" if !ev.is_composing() && ev.key_code() != 229 => commit(event_target_value(&ev)),
                            "Escape" => {
                                cancelled.set_value(true);
                                editing.set(false);
                            }
                            _ => {}
                        }
                    }
                    on:blur=move |ev| commit(event_target_value(&ev))
                />
            </Show>
            <button class="icon" aria-label=rename_label
                title=rename_label
                on:click=move |_| {
                    cancelled.set_value(false);
                    editing.set(true);
                }
            >
                "✎"
            </button>
            <button class="icon danger" aria-label=delete_label title=delete_label on:click=delete>
                // A bin drawn in SVG: emoji fonts are not everywhere.
                <svg viewBox="0 0 24 24" width="15" height="15" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2">
                    <path d="M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3" />
                </svg>
            </button>
        </li>
    }
}
