//! The "Context" disclosure under an answer: exactly which images went as pictures or as captions, and which
//! earlier messages were recalled, each with the scores that chose it. Rendered from the stored kinds, so it
//! follows the language of the interface, also for answers stored earlier.

use crate::core::context::format_score;
use crate::core::model::{ContextItem, ContextUse};
use crate::ui::i18n::{td_string, use_i18n, Locale};
use leptos::prelude::*;

fn describe(l: Locale, item: &ContextItem) -> String {
    let used = match item.used {
        ContextUse::Attached => td_string!(l, ctx_attached),
        ContextUse::Caption => td_string!(l, ctx_caption),
        ContextUse::Recalled => td_string!(l, ctx_recalled),
    };
    let mut text = format!("{used}: {}", item.label);
    if let Some(title) = &item.from_chat {
        text.push_str(&td_string!(l, ctx_in_chat, title = title));
    }
    if let Some(s) = item.similarity {
        text.push_str(&td_string!(l, ctx_similarity, score = format_score(s)));
    }
    if let Some(w) = item.words {
        text.push_str(&td_string!(l, ctx_words, score = format_score(w)));
    }
    text
}

fn class_of(used: ContextUse) -> &'static str {
    match used {
        ContextUse::Attached => "ctx-attached",
        ContextUse::Caption => "ctx-caption",
        ContextUse::Recalled => "ctx-recalled",
    }
}

#[component]
pub fn ContextView(items: Vec<ContextItem>) -> impl IntoView {
    let i18n = use_i18n();
    let attached = items.iter().filter(|i| i.used == ContextUse::Attached).count();
    let recalled = items.iter().filter(|i| i.used == ContextUse::Recalled).count();
    // With no image left as a caption, nothing was chosen: every image of the chat went.
    let every = attached > 0 && !items.iter().any(|i| i.used == ContextUse::Caption);
    let summary = move || {
        let l = i18n.get_locale();
        let all = if every { td_string!(l, ctx_all) } else { "" };
        td_string!(l, ctx_summary, attached = attached, all = all, recalled = recalled).to_string()
    };
    view! {
        <details class="context">
            <summary>{summary}</summary>
            <ul>
                {items
                    .into_iter()
                    .map(|i| {
                        let class = class_of(i.used);
                        view! { <li class=class>{move || describe(i18n.get_locale(), &i)}</li> }
                    })
                    .collect_view()}
            </ul>
        </details>
    }
}
