//! Settings: the API key, base URL, model, history budget and retrieval (embedding model and size, images
//! attached, messages recalled, recall across chats), saved in this browser, with a key check.

use crate::core::model::{parse_count, Settings};
use crate::ui::controller;
use crate::ui::field::Field;
use crate::ui::state::use_app_state;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn SettingsDialog() -> impl IntoView {
    let state = use_app_state();
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let key = RwSignal::new(String::new());
    let base_url = RwSignal::new(String::new());
    let model = RwSignal::new(String::new());
    let budget = RwSignal::new(String::new());
    let embed_model = RwSignal::new(String::new());
    let dims = RwSignal::new(String::new());
    let k_images = RwSignal::new(String::new());
    let k_messages = RwSignal::new(String::new());
    let all_chats = RwSignal::new(false);
    let verdict: RwSignal<Option<Result<String, String>>> = RwSignal::new(None);
    let checking = RwSignal::new(false);

    // Opening fills the fields from the saved settings; closing (Escape, Close, or a good Save) clears them.
    Effect::new(move |_| {
        let open = state.settings_open.get();
        let Some(d) = dialog.get() else { return };
        if open && !d.open() {
            let s = state.settings.get_untracked();
            key.set(s.api_key);
            base_url.set(s.base_url);
            model.set(s.model);
            budget.set(s.history_budget.to_string());
            embed_model.set(s.embedding_model);
            dims.set(s.embedding_dimensions.map(|d| d.to_string()).unwrap_or_default());
            k_images.set(s.context_images.to_string());
            k_messages.set(s.context_messages.to_string());
            all_chats.set(s.recall_all_chats);
            verdict.set(None);
            let _ = d.show_modal();
        } else if !open && d.open() {
            d.close();
        }
    });

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let defaults = Settings::default();
        let counts = (|| {
            Ok::<_, String>((
                parse_count(&budget.get_untracked(), "The history budget")?.unwrap_or(defaults.history_budget),
                parse_count(&dims.get_untracked(), "Embedding dimensions")?.filter(|d| *d > 0),
                parse_count(&k_images.get_untracked(), "Images attached")?.unwrap_or(defaults.context_images),
                parse_count(&k_messages.get_untracked(), "Messages recalled")?.unwrap_or(defaults.context_messages),
            ))
        })();
        let (history_budget, embedding_dimensions, context_images, context_messages) = match counts {
            Ok(c) => c,
            Err(text) => {
                verdict.set(Some(Err(text)));
                return;
            }
        };
        let embedding_model = embed_model.get_untracked().trim().to_owned();
        let settings = Settings {
            api_key: key.get_untracked().trim().to_owned(),
            base_url: base_url.get_untracked().trim().to_owned(),
            model: model.get_untracked().trim().to_owned(),
            history_budget,
            embedding_model: if embedding_model.is_empty() { defaults.embedding_model } else { embedding_model },
            embedding_dimensions,
            context_images,
            context_messages,
            recall_all_chats: all_chats.get_untracked(),
        };
        checking.set(true);
        verdict.set(None);
        spawn_local(async move {
            let result = controller::save_settings(state, settings).await;
            checking.set(false);
            if let Ok(text) = &result {
                state.notice.set(Some(text.clone()));
                state.alerts.set(Vec::new());
                state.settings_open.set(false);
            }
            verdict.set(Some(result));
        });
    };

    view! {
        <dialog class="settings" node_ref=dialog aria-labelledby="settings-title" on:close=move |_| state.settings_open.set(false)>
            <form on:submit=save novalidate>
                <h2 id="settings-title">"Settings"</h2>
                <Field
                    id="set-key"
                    label="OpenAI API key"
                    value=key
                    kind="password"
                    placeholder="sk-…"
                    hint="Stored only in this browser and sent only to the API base URL below."
                />
                <Field
                    id="set-base"
                    label="API base URL"
                    value=base_url
                    kind="url"
                    placeholder=Settings::DEFAULT_BASE_URL
                    hint="Any OpenAI-compatible server works, including one on this computer."
                />
                <Field id="set-model" label="Model" value=model list="model-options" />
                <datalist id="model-options">
                    <For each=move || state.models.get() key=|m| m.clone() let:m>
                        <option value=m></option>
                    </For>
                </datalist>
                <Field
                    id="set-budget"
                    label="History budget (tokens)"
                    value=budget
                    kind="number"
                    hint="Earlier conversation sent with each question; the oldest turns are left out first."
                />
                <fieldset>
                    <legend>"Retrieval"</legend>
                    <Field
                        id="set-embed-model"
                        label="Embedding model"
                        value=embed_model
                        hint="Captions, messages and questions are embedded with it to find what is relevant."
                    />
                    <Field
                        id="set-dims"
                        label="Embedding dimensions"
                        value=dims
                        kind="number"
                        hint="Empty keeps the model's own size (1536 for text-embedding-3-small). Fewer take less space."
                    />
                    <Field
                        id="set-k-images"
                        label="Images attached per question"
                        value=k_images
                        kind="number"
                        hint="A chat with more images sends the most relevant ones; the others go as their captions."
                    />
                    <Field
                        id="set-k-messages"
                        label="Earlier messages recalled"
                        value=k_messages
                        kind="number"
                        hint="Relevant messages that no longer fit the history budget are added to the question."
                    />
                    <div class="field check">
                        <input
                            id="set-all-chats"
                            type="checkbox"
                            prop:checked=move || all_chats.get()
                            on:change=move |ev| all_chats.set(event_target_checked(&ev))
                        />
                        <label for="set-all-chats">"Recall from all chats, not only this one"</label>
                    </div>
                </fieldset>
                {move || match verdict.get() {
                    Some(Err(text)) => Some(view! { <p class="verdict bad" role="alert">{text}</p> }.into_any()),
                    Some(Ok(text)) => Some(view! { <p class="verdict good" role="status">{text}</p> }.into_any()),
                    None => None,
                }}
                <div class="dialog-actions">
                    <button type="button" class="secondary" on:click=move |_| state.settings_open.set(false)>
                        "Close"
                    </button>
                    <button type="submit" class="primary" disabled=move || checking.get()>
                        {move || if checking.get() { "Checking…" } else { "Save" }}
                    </button>
                </div>
            </form>
        </dialog>
    }
}
