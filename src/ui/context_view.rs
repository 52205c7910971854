//! The "Context" disclosure under an answer: exactly which images went as pictures or as captions, which
//! earlier messages were recalled, and which wardrobe items went along (with their pictures, read only once
//! the disclosure is opened), each with the scores that chose it; of what was deleted since, only how it was
//! used. Rendered from the stored kinds, so it follows the language of the interface, also for answers stored
//! earlier.

use crate::core::context::format_score;
use crate::core::model::{ContextItem, ContextUse, Gone};
use crate::ui::i18n::{td_string, use_i18n, Locale};
use crate::ui::wardrobe::thumb::WardrobeThumb;
use leptos::prelude::*;

fn describe(l: Locale, item: &ContextItem) -> String {
    let used = match item.used {
        ContextUse::Attached => td_string!(l, ctx_attached),
        ContextUse::Caption => td_string!(l, ctx_caption),
        ContextUse::Recalled => td_string!(l, ctx_recalled),
        ContextUse::Wardrobe => td_string!(l, ctx_wardrobe),
    };
    // A deleted item: how it was used, and nothing of what it was.
    if let Some(gone) = item.gone {
        let what = match (gone, item.used) {
            (Gone::Chat, _) => td_string!(l, ctx_gone_chat),
            (Gone::Item, ContextUse::Recalled) => td_string!(l, ctx_gone_message),
            (Gone::Item, ContextUse::Wardrobe) => td_string!(l, ctx_gone_wardrobe),
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
        ContextUse::Wardrobe => "ctx-wardrobe",
    }
}

/// `items` changes only when something an item names is deleted (and forgotten) while the answer is shown: the
/// list is then written again, inside the same disclosure, so one the person opened stays open.
#[component]
pub fn ContextView(#[prop(into)] items: Signal<Vec<ContextItem>>) -> impl IntoView {
    let i18n = use_i18n();
    // Wardrobe items' pictures are read once the person opens the disclosure, not for every answer shown.
    let open = RwSignal::new(false);
    let summary = move || {
        let l = i18n.get_locale();
        items.with(|items| {
            let attached = items.iter().filter(|i| i.used == ContextUse::Attached).count();
            let recalled = items.iter().filter(|i| i.used == ContextUse::Recalled).count();
            let worn = items.iter().filter(|i| i.used == ContextUse::Wardrobe).count();
            // With no image left as a caption, nothing was chosen: every image of the chat went.
            let every = attached > 0 && !items.iter().any(|i| i.used == ContextUse::Caption);
            let all = if every { td_string!(l, ctx_all) } else { "" };
            let mut text = td_string!(l, ctx_summary, attached = attached, all = all, recalled = recalled).to_string();
            if worn > 0 {
                text.push_str(&td_string!(l, ctx_summary_wardrobe, n = worn));
            }
            text
        })
    };
    let list = move || {
        items
            .get()
            .into_iter()
            .map(|i| {
                let class = class_of(i.used);
                let picture = (i.used == ContextUse::Wardrobe && i.gone.is_none()).then(|| {
                    let (id, name) = (i.id.clone(), i.label.clone());
                    move || open.get().then(|| view! { <WardrobeThumb id=id.clone() name=name.clone() /> })
                });
                view! {
                    <li class=class>
                        {picture}
                        <span>{move || describe(i18n.get_locale(), &i)}</span>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <details
            class="context"
            on:toggle=move |ev| {
                use wasm_bindgen::JsCast;
                if let Some(d) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlDetailsElement>().ok()) {
                    open.set(d.open());
                }
            }
        >
            <summary>{summary}</summary>
            <ul>{list}</ul>
        </details>
    }
}
