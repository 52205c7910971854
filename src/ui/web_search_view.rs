//! An answer's web search: where it is while it runs, the queries as editable chips with "Search again" (on
//! the last answer), why the answer went without search when it did, what the search cost, and the result
//! cards.
//!
//! Everything shown comes from the stored [`WebSearch`]: titles, snippets and URLs are untrusted text and are
//! only ever text nodes; links and thumbnails are used only when the core reads them as http or https, and
//! thumbnails load lazily without a referrer. It decides nothing: "Search again" hands the chips to the
//! controller.

use crate::core::cost::cost_of;
use crate::core::cost::format_usd;
use crate::core::websearch::tavily::{web_link, WebResult};
use crate::core::websearch::{SearchState, WebSearch};
use crate::ui::controller;
use crate::ui::i18n::{t, t_string, text, use_i18n};
use crate::ui::state::use_app_state;
use leptos::prelude::*;

#[component]
pub fn WebSearchView(search: WebSearch, #[prop(into)] is_last: Signal<bool>) -> impl IntoView {
    let state = use_app_state();
    let i18n = use_i18n();
    let running = match search.state {
        SearchState::Planning => {
            Some(view! { <p class="web-status" role="status">{t!(i18n, web_planning)}</p> }.into_any())
        }
        SearchState::Searching => {
            Some(view! { <p class="web-status" role="status">{t!(i18n, web_searching)}</p> }.into_any())
        }
        _ => None,
    };
    let skipped = search.skipped().cloned().map(|skip| {
        let text = move || state.session.settings.with(|s| text::search_skipped(i18n.get_locale(), &skip, &s.api_key));
        view! { <p class="web-skipped" role="note">{text}</p> }
    });
    let failed = search.failed.len();
    let partial =
        (failed > 0).then(|| view! { <p class="web-partial">{move || t_string!(i18n, web_partial, n = failed)}</p> });
    let none_found = (search.state == SearchState::Done && search.results.is_empty())
        .then(|| view! { <p class="web-none">{t!(i18n, web_no_results)}</p> });
    let chips =
        (!search.queries.is_empty()).then(|| view! { <QueryChips queries=search.queries.clone() is_last=is_last /> });
    let cost = search_cost(&search);
    let images: Vec<String> = search.images.iter().filter_map(|i| web_link(&i.url)).collect();
    let image_row = (!images.is_empty()).then(|| {
        view! {
            <ul class="web-images" aria-label=move || t_string!(i18n, web_image_results)>
                {images
                    .into_iter()
                    .map(|url| {
                        let src = url.clone();
                        view! {
                            <li>
                                <a href=url target="_blank" rel="noopener noreferrer nofollow">
                                    <img src=src alt="" loading="lazy" referrerpolicy="no-referrer" decoding="async" />
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    });
    let cards = (!search.results.is_empty()).then(|| {
        let results = search.results.clone();
        view! {
            <ol class="web-results" aria-label=move || t_string!(i18n, web_results)>
                {results.into_iter().enumerate().map(|(i, r)| view! { <ResultCard n=i + 1 result=r /> }).collect_view()}
            </ol>
        }
    });
    view! {
        <section class="web-search">
            {running}
            {chips}
            {skipped}
            {partial}
            {none_found}
            {cost}
            {image_row}
            {cards}
        </section>
    }
}

/// The queries searched with, as chips a person can edit and search with again (on the last answer only).
#[component]
fn QueryChips(queries: Vec<String>, #[prop(into)] is_last: Signal<bool>) -> impl IntoView {
    let state = use_app_state();
    let i18n = use_i18n();
    let values: StoredValue<Vec<RwSignal<String>>> = StoredValue::new(queries.into_iter().map(RwSignal::new).collect());
    let editable = move || is_last.get() && !state.session.is_streaming();
    let chips = values
        .get_value()
        .into_iter()
        .enumerate()
        .map(|(i, value)| {
            view! {
                <input
                    class="chip"
                    type="text"
                    maxlength="400"
                    aria-label=move || t_string!(i18n, search_query, n = i + 1)
                    prop:value=move || value.get()
                    readonly=move || !editable()
                    on:input=move |ev| value.set(event_target_value(&ev))
                    on:keydown=move |ev: web_sys::KeyboardEvent| {
                        if ev.key() == "Enter" && !ev.is_composing() && ev.key_code() != 229 {
                            ev.prevent_default();
                        }
                    }
                />
            }
        })
        .collect_view();
    let again = move |_| {
        let queries: Vec<String> = values.with_value(|vs| vs.iter().map(|v| v.get_untracked()).collect());
        controller::search_again(state, queries);
    };
    let empty = move || values.with_value(|vs| vs.iter().all(|v| v.with(|q| q.trim().is_empty())));
    view! {
        <div class="web-queries" role="group" aria-label=move || t_string!(i18n, web_queries)>
            <span class="web-queries-label">{t!(i18n, web_queries)}</span>
            {chips}
            <Show when=editable>
                <button type="button" class="search-again" on:click=again disabled=empty>
                    {t!(i18n, search_again)}
                </button>
            </Show>
        </div>
    }
}

/// One result: its number (as the answer cites it), title linking to the page, site, snippet and thumbnail.
#[component]
fn ResultCard(n: usize, result: WebResult) -> impl IntoView {
    let link = web_link(&result.url);
    let thumb = result.image.as_deref().and_then(web_link).map(|src| {
        view! {
            <img
                class="web-thumb"
                src=src
                alt=result.image_alt.clone().unwrap_or_default()
                loading="lazy"
                decoding="async"
                referrerpolicy="no-referrer"
                width="64"
                height="64"
            />
        }
    });
    let title = match link {
        Some(href) => view! {
            <a class="web-title" href=href target="_blank" rel="noopener noreferrer nofollow">
                {result.title.clone()}
            </a>
        }
        .into_any(),
        None => view! { <span class="web-title">{result.title.clone()}</span> }.into_any(),
    };
    view! {
        <li class="web-card">
            {thumb}
            <div class="web-card-body">
                <div class="web-card-head">
                    <span class="web-n">{format!("[{n}]")}</span>
                    {title}
                </div>
                <span class="web-site">{result.site.clone()}</span>
                <p class="web-snippet">{result.snippet.clone()}</p>
            </div>
        </li>
    }
}

/// What the search's own calls cost: the planning call's tokens and price, and the Tavily credits.
fn search_cost(search: &WebSearch) -> Option<impl IntoView> {
    let state = use_app_state();
    let i18n = use_i18n();
    if search.is_running() {
        return None;
    }
    let plan = search.plan_usage.zip(search.plan_model.clone()).map(|(usage, model)| {
        move || {
            let usd = state.session.settings.with(|s| cost_of(&s.prices, &model, &usage));
            t_string!(i18n, cost_plan, tokens = usage.total_tokens, usd = text::answer_cost(i18n.get_locale(), usd))
        }
    });
    let (credits, estimated) = (search.credits, search.credits_estimated);
    let spent_text = move || {
        let usd = state
            .session
            .settings
            .with(|s| format_usd(crate::core::websearch::search_cost(credits, s.search.credit_usd)));
        let n = text::credits(credits);
        if estimated {
            t_string!(i18n, cost_credits_estimated, credits = n, usd = usd)
        } else {
            t_string!(i18n, cost_credits, credits = n, usd = usd)
        }
    };
    let spent = (credits > 0.0).then_some(spent_text);
    (plan.is_some() || spent.is_some()).then(|| {
        view! {
            <p class="web-cost">
                {plan.map(|p| view! { <span class="cost plan-cost">{p}</span> })}
                {spent.map(|c| view! { <span class="cost search-cost">{c}</span> })}
            </p>
        }
    })
}
