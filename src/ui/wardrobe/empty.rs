//! What the Wardrobe page shows while it holds nothing: what the wardrobe is for and how items get in.

use crate::ui::i18n::{t, use_i18n};
use leptos::prelude::*;

#[component]
pub fn EmptyWardrobe() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="empty wardrobe-empty">
            <h2>{t!(i18n, wardrobe_empty_title)}</h2>
            <p>{t!(i18n, wardrobe_empty_body)}</p>
        </div>
    }
}
