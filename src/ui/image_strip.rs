//! The chat's images as thumbnails with name, size, and estimated token cost, each with its Remove button and
//! "Add to wardrobe".

use crate::core::image_plan::{human_bytes, image_tokens};
use crate::ui::caption_editor::CaptionEditor;
use crate::ui::controller;
use crate::ui::i18n::{t, t_string, use_i18n};
use crate::ui::state::{use_app_state, ShownImage};
use crate::web::dom::image_element;
use leptos::prelude::*;

#[component]
pub fn ImageStrip() -> impl IntoView {
    let state = use_app_state();
    let i18n = use_i18n();
    let preparing = move || state.session.preparing.get();
    view! {
        <Show when=move || { !state.session.images.with(Vec::is_empty) || preparing() > 0 }>
            <ul class="image-strip" aria-label=move || t_string!(i18n, images_in_chat)>
                <For
                    each=move || state.session.images.get()
                    key=|i| (i.meta.id.clone(), i.meta.caption.clone(), i.meta.caption_model.clone())
                    let:img
                >
                    <Thumb img=img />
                </For>
                <Show when=move || { preparing() > 0 }>
                    <li class="thumb pending" aria-live="polite">
                        {move || t_string!(i18n, preparing, count = preparing())}
                    </li>
                </Show>
            </ul>
        </Show>
    }
}

#[component]
fn Thumb(img: ShownImage) -> impl IntoView {
    let state = use_app_state();
    let i18n = use_i18n();
    let ShownImage { meta, url } = img;
    let (w, h) = (meta.width, meta.height);
    let tokens = move || {
        let model = state.session.settings.with(|s| s.model.clone());
        let detail = state.session.current_chat().map(|c| c.detail).unwrap_or_default();
        image_tokens(&model, w, h, detail)
    };
    let id = meta.id.clone();
    let name = StoredValue::new(meta.name.clone());
    let label = move || t_string!(i18n, remove_image, name = name.get_value());
    let describing = Signal::derive({
        let id = id.clone();
        move || state.session.describing.with(|d| d.contains(&id))
    });
    let (edit_id, again_id, keep_id) = (id.clone(), id.clone(), id.clone());
    let (bytes, original) = (meta.bytes, meta.original_bytes);
    let details = move || {
        let was =
            if original > bytes { t_string!(i18n, was_size, size = human_bytes(original)) } else { String::new() };
        format!("{} · {}×{}{was}", human_bytes(bytes), w, h)
    };
    view! {
        <li class="thumb" id=image_element(&meta.id)>
            <img src=url alt=meta.name.clone() />
            <div class="thumb-meta">
                <span class="thumb-name" title=meta.name.clone()>
                    {meta.name.clone()}
                </span>
                <span class="thumb-size">{details}</span>
                <span class="thumb-tokens">{move || t_string!(i18n, tokens_estimate, n = tokens())}</span>
            </div>
            <button
                class="icon remove"
                aria-label=label
                title=label
                on:click=move |_| controller::remove_image(state, id.clone())
            >
                "×"
            </button>
            <CaptionEditor
                name=meta.name.clone()
                caption=meta.caption.clone()
                caption_model=meta.caption_model.clone()
                describing=describing
                on_edit=Callback::new(move |text| controller::edit_caption(state, edit_id.clone(), text))
                on_again=Callback::new(move |()| controller::describe_again(state, again_id.clone()))
            >
                <button
                    type="button"
                    class="link add-wardrobe"
                    on:click=move |_| crate::ui::wardrobe::controller::add_image(state, keep_id.clone())
                >
                    {t!(i18n, add_to_wardrobe)}
                </button>
            </CaptionEditor>
        </li>
    }
}
