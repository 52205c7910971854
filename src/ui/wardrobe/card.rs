//! One wardrobe item on the Wardrobe page: its picture, name, where it came from, its caption (editable, with
//! "Describe again") and tags (editable, separated by commas), and Delete after a confirmation. The name,
//! caption and tags are shown as text only.

use crate::core::wardrobe::{tags_text, WardrobeItem};
use crate::ui::caption_editor::CaptionEditor;
use crate::ui::i18n::{t, t_string, use_i18n};
use crate::ui::state::use_app_state;
use crate::ui::wardrobe::controller;
use crate::ui::wardrobe::thumb::WardrobeThumb;
use leptos::prelude::*;

#[component]
pub fn WardrobeCard(item: WardrobeItem) -> impl IntoView {
    let state = use_app_state();
    let i18n = use_i18n();
    let id = StoredValue::new(item.id.clone());
    let name = StoredValue::new(item.name.clone());
    let describing = Signal::derive(move || state.wardrobe.describing.with(|d| d.contains(&id.get_value())));
    // Where it came from, while that chat is still there.
    let source = StoredValue::new(item.source.as_ref().map(|s| s.chat_id.clone()));
    let from = move || {
        let chat_id = source.get_value()?;
        let chat = state.session.chats.with(|cs| cs.iter().find(|c| c.id == chat_id).cloned())?;
        let title = if chat.is_untitled() { t_string!(i18n, new_chat).to_owned() } else { chat.title };
        Some(t_string!(i18n, wardrobe_from_chat, title = title))
    };
    let delete = move |_| {
        let question = t_string!(i18n, confirm_delete_wardrobe, name = name.get_value());
        if window().confirm_with_message(&question).unwrap_or(false) {
            controller::delete(state, id.get_value());
        }
    };
    let tags = tags_text(&item.tags);
    view! {
        <li class="wardrobe-item">
            <WardrobeThumb id=item.id.clone() name=item.name.clone() />
            <div class="wardrobe-meta">
                <span class="wardrobe-name" title=item.name.clone()>
                    {item.name.clone()}
                </span>
                {move || from().map(|f| view! { <small class="wardrobe-from">{f}</small> })}
            </div>
            <CaptionEditor
                name=item.name.clone()
                caption=item.caption.clone()
                caption_model=item.caption_model.clone()
                describing=describing
                on_edit=Callback::new(move |text| controller::edit_caption(state, id.get_value(), text))
                on_again=Callback::new(move |()| controller::describe_again(state, id.get_value()))
            />
            <label class="wardrobe-tags">
                <span>{t!(i18n, wardrobe_tags_label)}</span>
                <input
                    type="text"
                    aria-label=move || t_string!(i18n, wardrobe_tags_of, name = name.get_value())
                    prop:value=tags
                    on:change=move |ev| controller::edit_tags(state, id.get_value(), event_target_value(&ev))
                />
            </label>
            <button
                type="button"
                class="danger wardrobe-delete"
                aria-label=move || t_string!(i18n, wardrobe_delete, name = name.get_value())
                on:click=delete
            >
                {t!(i18n, delete)}
            </button>
        </li>
    }
}
