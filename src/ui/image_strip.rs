//! The chat's images as thumbnails with name, size, and estimated token cost, each with its Remove button.

use crate::core::image_plan::{human_bytes, image_tokens};
use crate::ui::controller;
use crate::ui::state::{use_app_state, ShownImage};
use crate::web::dom::image_element;
use leptos::prelude::*;

#[component]
pub fn ImageStrip() -> impl IntoView {
    let state = use_app_state();
    let preparing = move || state.preparing.get();
    view! {
        <Show when=move || { !state.images.with(Vec::is_empty) || preparing() > 0 }>
            <ul class="image-strip" aria-label="Images in this chat">
                <For
                    each=move || state.images.get()
                    key=|i| (i.meta.id.clone(), i.meta.caption.clone(), i.meta.caption_model.clone())
                    let:img
                >
                    <Thumb img=img />
                </For>
                <Show when=move || { preparing() > 0 }>
                    <li class="thumb pending" aria-live="polite">
                        {move || format!("Preparing {} image(s)…", preparing())}
                    </li>
                </Show>
            </ul>
        </Show>
    }
}

#[component]
fn Thumb(img: ShownImage) -> impl IntoView {
    let state = use_app_state();
    let ShownImage { meta, url } = img;
    let (w, h) = (meta.width, meta.height);
    let tokens = move || {
        let model = state.settings.with(|s| s.model.clone());
        let detail = state.current_chat().map(|c| c.detail).unwrap_or_default();
        image_tokens(&model, w, h, detail)
    };
    let id = meta.id.clone();
    let label = format!("Remove {}", meta.name);
    let caption_label = format!("Caption of {}", meta.name);
    let caption = meta.caption.clone().unwrap_or_default();
    let by = meta.caption_model.clone().map(|m| format!("by {m}"));
    let describing = Signal::derive({
        let id = id.clone();
        move || state.describing.with(|d| d.contains(&id))
    });
    let (edit_id, again_id) = (id.clone(), id.clone());
    let details = format!(
        "{} · {}×{}{}",
        human_bytes(meta.bytes),
        w,
        h,
        if meta.original_bytes > meta.bytes {
            format!(" (was {})", human_bytes(meta.original_bytes))
        } else {
            String::new()
        }
    );
    view! {
        <li class="thumb" id=image_element(&meta.id)>
            <img src=url alt=meta.name.clone() />
            <div class="thumb-meta">
                <span class="thumb-name" title=meta.name.clone()>
                    {meta.name.clone()}
                </span>
                <span class="thumb-size">{details}</span>
                <span class="thumb-tokens">{move || format!("≈ {} tokens", tokens())}</span>
            </div>
            <button
                class="icon remove"
                aria-label=label.clone()
                title=label
                on:click=move |_| controller::remove_image(state, id.clone())
            >
                "×"
            </button>
            <div class="caption">
                <textarea
                    aria-label=caption_label
                    rows="3"
                    placeholder=move || if describing.get() { "Describing…" } else { "No description yet" }
                    prop:value=caption
                    on:change=move |ev| controller::edit_caption(state, edit_id.clone(), event_target_value(&ev))
                ></textarea>
                <div class="caption-actions">
                    <small class="caption-by">{move || if describing.get() { Some("Describing…".to_owned()) } else { by.clone() }}</small>
                    <button
                        type="button"
                        class="link"
                        disabled=describing
                        on:click=move |_| controller::describe_again(state, again_id.clone())
                    >
                        "Describe again"
                    </button>
                </div>
            </div>
        </li>
    }
}
