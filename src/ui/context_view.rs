//! The "Context" disclosure under an answer: exactly which images went as pictures or as captions, and which
//! earlier messages were recalled, each with the scores that chose it; of what was deleted since, only how it
//! was used. Rendered from the stored kinds, so it follows the language of the interface, also for answers
//! stored earlier.

use crate::core::context::format_score;
use crate::core::model::{ContextItem, ContextUse, Gone};
use crate::ui::i18n::{td_string, use_i18n, Locale};
use leptos::prelude::*;

fn describe(l: Locale, item: &ContextItem) -> String {
    let used = match item.used {
        ContextUse::Attached => td_string!(l, ctx_attached),
        ContextUse::Caption => td_string!(l, ctx_caption),
        ContextUse::Recalled => td_string!(l, ctx_recalled),
    };
    // A deleted item: how it was used, and nothing of what it was.
    if let Some(gone) = item.gone {
        let what = match (gone, item.used) {
            (Gone::Chat, _) => td_string!(l, ctx_gone_chat),
            (Gone::Item, ContextUse::Recalled) => td_string!(l, ctx_gone_message),
            (Gone::Item, _) => td_string!(l, ctx_gone_image),
        };
        return format!("{used}: {what}");
    }
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

/// `items` changes only when something an item names is deleted (and forgotten) while the answer is shown: the
/// list is then written again, inside the same disclosure, so one the person opened stays open.
#[component]
pub fn ContextView(#[prop(into)] items: Signal<Vec<ContextItem>>) -> impl IntoView {
    let i18n = use_i18n();
    let summary = move || {
        let l = i18n.get_locale();
        items.with(|items| {
            let attached = items.iter().filter(|i| i.used == ContextUse::Attached).count();
            let recalled = items.iter().filter(|i| i.used == ContextUse::Recalled).count();
            // With no image left as a caption, nothing was chosen: every image of the chat went.
            let every = attached > 0 && !items.iter().any(|i| i.used == ContextUse::Caption);
            let all = if every { td_string!(l, ctx_all) } else { "" };
            td_string!(l, ctx_summary, attached = attached, all = all, recalled = recalled).to_string()
        })
    };
    let list = move || {
        items
            .get()
            .into_iter()
            .map(|i| {
                let class = class_of(i.used);
                view! { <li class=class>{move || describe(i18n.get_locale(), &i)}</li> }
            })
            .collect_view()
    };
    view! {
        <details class="context">
            <summary>{summary}</summary>
            <ul>{list}</ul>
        </details>
    }
}
