//! A picture's caption as the person edits it: the text box (saved when it changes), who wrote it ("by you", or
//! the model's name; "Describing…" while the model writes a new one) and "Describe again". A chat's images and
//! the wardrobe's items both show it; what saving and describing do is the caller's (`on_edit`, `on_again`).
//! Further actions (the strip's "Add to wardrobe") go after "Describe again" as `children`.

use crate::core::model::ImageMeta;
use crate::ui::i18n::{t, t_string, use_i18n};
use leptos::prelude::*;

#[component]
pub fn CaptionEditor(
    /// The picture's file name, which names the text box.
    name: String,
    caption: Option<String>,
    /// Who wrote the caption: a model's name or [`ImageMeta::CAPTION_BY_PERSON`].
    caption_model: Option<String>,
    /// Whether the model is writing a new caption now.
    #[prop(into)]
    describing: Signal<bool>,
    on_edit: Callback<String>,
    on_again: Callback<()>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let i18n = use_i18n();
    let name = StoredValue::new(name);
    let by = StoredValue::new(caption_model);
    let by = move || {
        if describing.get() {
            return Some(t_string!(i18n, describing).to_string());
        }
        by.get_value().map(|m| {
            if m == ImageMeta::CAPTION_BY_PERSON {
                t_string!(i18n, caption_by_you).to_string()
            } else {
                t_string!(i18n, caption_by_model, model = m)
            }
        })
    };
    view! {
        <div class="caption">
            <textarea
                aria-label=move || t_string!(i18n, caption_of, name = name.get_value())
                rows="3"
                placeholder=move || {
                    if describing.get() { t_string!(i18n, describing) } else { t_string!(i18n, no_description) }
                }
                prop:value=caption.unwrap_or_default()
                on:change=move |ev| on_edit.run(event_target_value(&ev))
            ></textarea>
            <div class="caption-actions">
                <small class="caption-by">{by}</small>
                <button type="button" class="link" disabled=describing on:click=move |_| on_again.run(())>
                    {t!(i18n, describe_again)}
                </button>
                {children.map(|c| c())}
            </div>
        </div>
    }
}
