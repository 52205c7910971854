//! The "Context" disclosure under an answer: exactly which images went as pictures or as captions, and which
//! earlier messages were recalled, each with the scores that chose it.

use crate::core::context::format_score;
use crate::core::model::{ContextItem, ContextUse};
use leptos::prelude::*;

fn describe(item: &ContextItem) -> String {
    let used = match item.used {
        ContextUse::Attached => "Image attached",
        ContextUse::Caption => "Image as caption",
        ContextUse::Recalled => "Recalled message",
    };
    let mut text = format!("{used}: {}", item.label);
    if let Some(s) = item.similarity {
        text.push_str(&format!(" · similarity {}", format_score(s)));
    }
    if let Some(w) = item.words {
        text.push_str(&format!(" · words {}", format_score(w)));
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
    let attached = items.iter().filter(|i| i.used == ContextUse::Attached).count();
    let recalled = items.iter().filter(|i| i.used == ContextUse::Recalled).count();
    // With no image left as a caption, nothing was chosen: every image of the chat went.
    let every = attached > 0 && !items.iter().any(|i| i.used == ContextUse::Caption);
    let summary = format!(
        "Context: {attached} image(s) attached{}, {recalled} message(s) recalled",
        if every { " (all of this chat's)" } else { "" }
    );
    view! {
        <details class="context">
            <summary>{summary}</summary>
            <ul>{items.iter().map(|i| view! { <li class=class_of(i.used)>{describe(i)}</li> }).collect_view()}</ul>
        </details>
    }
}
