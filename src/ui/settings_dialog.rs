//! Settings: the API key, base URL, model and history budget, saved in this browser, with a key check.

use crate::core::model::Settings;
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
            verdict.set(None);
            let _ = d.show_modal();
        } else if !open && d.open() {
            d.close();
        }
    });

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let settings = Settings {
            api_key: key.get_untracked().trim().to_owned(),
            base_url: base_url.get_untracked().trim().to_owned(),
            model: model.get_untracked().trim().to_owned(),
            history_budget: budget.get_untracked().trim().parse().unwrap_or(Settings::default().history_budget),
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
