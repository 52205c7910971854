//! The conversation: a live log of messages, answers rendered as safe Markdown, with usage and its price, status,
//! Retry, and "Add to test set".

use crate::core::cost::cost_of;
use crate::core::eval::from_chat::can_propose;
use crate::core::model::{Message, MessageStatus, Role};
use crate::core::websearch::SearchState;
use crate::ui::context_view::ContextView;
use crate::ui::controller;
use crate::ui::i18n::{t, t_string, text, use_i18n};
use crate::ui::markdown_view::Markdown;
use crate::ui::state::{use_add_case, use_app_state};
use crate::ui::web_search_view::WebSearchView;
use crate::web::dom::message_element;
use leptos::prelude::*;

#[component]
pub fn MessageList() -> impl IntoView {
    let state = use_app_state();
    let i18n = use_i18n();
    let log = NodeRef::<leptos::html::Div>::new();
    // Follow the answer as it grows, unless the person scrolled up to read.
    Effect::new(move |_| {
        state.session.messages.track();
        if let Some(el) = log.get() {
            let near_bottom = el.scroll_height() - el.scroll_top() - el.client_height() < 120;
            if near_bottom {
                el.set_scroll_top(el.scroll_height());
            }
        }
    });
    let last_id = move || state.session.messages.with(|v| v.last().map(|m| m.id.clone()));
    view! {
        <div class="log" role="log" aria-live="polite" aria-label=move || t_string!(i18n, conversation) node_ref=log>
            <Show when=move || state.session.messages.with(Vec::is_empty)>
                <EmptyState />
            </Show>
            <For
                each=move || state.session.messages.get()
                key=|m| (m.id.clone(), m.content.len(), m.status, m.usage.is_some(), search_key(m))
                let:message
            >
                <MessageView is_last=Signal::derive({
                    let id = message.id.clone();
                    move || last_id().as_deref() == Some(id.as_str())
                }) message=message />
            </For>
        </div>
    }
}

/// What of an answer's web search changes how it shows: its state and how many queries and results it has.
fn search_key(m: &Message) -> Option<(u8, usize, usize)> {
    m.search.as_ref().map(|s| {
        let state = match s.state {
            SearchState::Planning => 0,
            SearchState::Searching => 1,
            SearchState::Done => 2,
            SearchState::Skipped(_) => 3,
        };
        (state, s.queries.len(), s.results.len())
    })
}

#[component]
fn EmptyState() -> impl IntoView {
    let state = use_app_state();
    let i18n = use_i18n();
    view! {
        <div class="empty">
            <h2>{t!(i18n, empty_title)}</h2>
            <p>{t!(i18n, empty_body)}</p>
            <Show when=move || !state.session.settings.with(|s| s.has_key())>
                <p class="hint">{t!(i18n, empty_hint_key)}</p>
            </Show>
        </div>
    }
}

#[component]
fn MessageView(message: Message, #[prop(into)] is_last: Signal<bool>) -> impl IntoView {
    let state = use_app_state();
    let i18n = use_i18n();
    let role_class = match message.role {
        Role::User => "user",
        Role::Assistant => "assistant",
    };
    let status = message.status;
    let status_class = match status {
        MessageStatus::Complete => "complete",
        MessageStatus::Streaming => "streaming",
        MessageStatus::Interrupted => "interrupted",
        MessageStatus::Failed => "failed",
    };
    let body = match message.role {
        Role::User => view! { <p class="plain">{message.content.clone()}</p> }.into_any(),
        Role::Assistant if message.content.is_empty() && status == MessageStatus::Streaming => {
            view! { <p class="typing" aria-label=move || t_string!(i18n, boda_answering)>"…"</p> }.into_any()
        }
        Role::Assistant => {
            let sources = message.search.as_ref().map(|s| s.results.clone()).unwrap_or_default();
            view! { <Markdown text=message.content.clone() sources=sources /> }.into_any()
        }
    };
    let web = message.search.clone().map(|search| view! { <WebSearchView search=*search is_last=is_last /> });
    let usage = message.usage.map(|u| {
        move || {
            let cached =
                if u.cached_tokens > 0 { t_string!(i18n, usage_cached, n = u.cached_tokens) } else { String::new() };
            t_string!(
                i18n,
                usage,
                prompt = u.prompt_tokens,
                cached = cached,
                completion = u.completion_tokens,
                total = u.total_tokens
            )
        }
    });
    // The price beside the tokens, from the price table in Settings (so an edited table re-prices it).
    let cost = message.usage.map(|u| {
        let model = StoredValue::new(message.model.clone());
        let usd = move || {
            model.with_value(|m| {
                let m = m.as_deref()?;
                state.session.settings.with(|s| cost_of(&s.prices, m, &u))
            })
        };
        let title = move || match usd() {
            Some(_) => state.session.settings.with(|s| t_string!(i18n, cost_as_of, date = s.prices.as_of.clone())),
            None => t_string!(i18n, cost_no_price_hint, model = model.get_value().unwrap_or_default()),
        };
        let text = move || text::answer_cost(i18n.get_locale(), usd());
        view! { <span class="cost" title=title>{text}</span> }
    });
    let model = message.model.clone();
    let count = message.trimmed;
    let trimmed = (count > 0).then_some(move || t_string!(i18n, trimmed_meta, count = count));
    let error = message.error.clone().map(|e| {
        move || text::answer_error(i18n.get_locale(), &e, &state.session.settings.with(|s| s.api_key.clone()))
    });
    // The Context as it is now: what it names may be deleted (and forgotten) while it shows.
    let context = (!message.context.is_empty()).then(|| {
        let (id, first) = (message.id.clone(), message.context.clone());
        Memo::new(move |_| {
            state
                .session
                .messages
                .with(|ms| ms.iter().find(|m| m.id == id).map_or_else(|| first.clone(), |m| m.context.clone()))
        })
    });
    let can_retry = matches!(status, MessageStatus::Failed | MessageStatus::Interrupted);
    let add_case = use_add_case();
    let proposable = can_propose(&message).then(|| message.id.clone());
    view! {
        <article
            id=message_element(&message.id)
            class=format!("msg {role_class} {status_class}")
            aria-busy=(status == MessageStatus::Streaming).then_some("true")>
            <div class="who">
                {move || if message.role == Role::User { t_string!(i18n, who_you) } else { t_string!(i18n, who_boda) }}
            </div>
            {body}
            {web}
            {error.map(|e| view! { <p class="msg-error">{e}</p> })}
            {context.map(|items| view! { <ContextView items=items /> })}
            <Show when=move || {
                can_retry && is_last.get() && !state.session.is_streaming()
            }>
                <button class="retry" on:click=move |_| controller::regenerate(state)>
                    {t!(i18n, retry)}
                </button>
            </Show>
            {(usage.is_some() || model.is_some() || trimmed.is_some())
                .then(|| {
                    view! {
                        <footer class="msg-meta">
                            {model.map(|m| view! { <span class="model">{m}</span> })}
                            {usage.map(|u| view! { <span class="usage">{u}</span> })}
                            {cost}
                            {trimmed.map(|t| view! { <span class="trimmed">{t}</span> })}
                        </footer>
                    }
                })}
            {proposable.map(|id| {
                view! {
                    <div class="msg-actions">
                        <button type="button" class="link add-case" on:click=move |_| add_case.answer.set(Some(id.clone()))>
                            {t!(i18n, add_to_test_set)}
                        </button>
                    </div>
                }
            })}
        </article>
    }
}
