//! "Edit assistants": the dialog that lists the assistants (the built-in ones first, each with what it does,
//! then the person's own) and lets the person make a new one, edit or delete their own (a deletion asks
//! first), and duplicate any. Its form holds a name, a system prompt, a default model (empty: the one in
//! Settings), and whether web search starts on and whether the wardrobe is used.
//!
//! What makes an assistant valid, how a copy is named and what a deletion does to chats are the core's
//! (`core::preset`) and the controller's; this view shows their problems in words, keeping what was typed.
//! Which assistant a chat uses is chosen by the message box, not here.

use crate::core::ports::StoreError;
use crate::core::preset::{self, Preset, PresetDraft, PresetProblem};
use crate::ui::controller::{self, NotSaved};
use crate::ui::field::Field;
use crate::ui::i18n::{t, t_string, td_string, text, use_i18n};
use crate::ui::state::use_app_state;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn PresetsDialog() -> impl IntoView {
    let state = use_app_state();
    let i18n = use_i18n();
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    // The form: open or not, and the assistant it edits (`None` for a new one).
    let editor_open = RwSignal::new(false);
    let editing: RwSignal<Option<Preset>> = RwSignal::new(None);
    let name = RwSignal::new(String::new());
    let prompt = RwSignal::new(String::new());
    let model = RwSignal::new(String::new());
    let web_search = RwSignal::new(false);
    let wardrobe = RwSignal::new(false);
    let problems: RwSignal<Vec<PresetProblem>> = RwSignal::new(Vec::new());
    let store_error: RwSignal<Option<StoreError>> = RwSignal::new(None);
    let busy = RwSignal::new(false);

    let open_editor = move |target: Option<Preset>| {
        let draft = target.as_ref().map(PresetDraft::of).unwrap_or_default();
        name.set(draft.name);
        prompt.set(draft.system_prompt);
        model.set(draft.model);
        web_search.set(draft.web_search);
        wardrobe.set(draft.wardrobe);
        editing.set(target);
        problems.set(Vec::new());
        store_error.set(None);
        editor_open.set(true);
    };
    let close_editor = move || {
        editor_open.set(false);
        editing.set(None);
        problems.set(Vec::new());
    };

    Effect::new(move |_| {
        let open = state.session.presets_open.get();
        let Some(d) = dialog.get() else { return };
        if open && !d.open() {
            close_editor();
            store_error.set(None);
            let _ = d.show_modal();
        } else if !open && d.open() {
            d.close();
        }
    });

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let draft = PresetDraft {
            name: name.get_untracked(),
            system_prompt: prompt.get_untracked(),
            model: model.get_untracked(),
            web_search: web_search.get_untracked(),
            wardrobe: wardrobe.get_untracked(),
        };
        let existing = editing.get_untracked();
        busy.set(true);
        store_error.set(None);
        spawn_local(async move {
            let result = controller::save_preset(state, &draft, existing.as_ref(), &text::builtin_names()).await;
            busy.set(false);
            match result {
                Ok(_) => close_editor(),
                Err(NotSaved::Problems(found)) => problems.set(found),
                Err(NotSaved::Store(e)) => store_error.set(Some(e)),
            }
        });
    };

    let row = move |p: Preset| {
        let p = StoredValue::new(p);
        let shown_name = move || text::preset_name(i18n.get_locale(), &p.get_value());
        let builtin = p.with_value(|p| p.builtin);
        let own_model = p.with_value(|p| p.model.clone());
        let duplicate = move |_| {
            let source = p.get_value();
            let l = i18n.get_locale_untracked();
            let source_name = text::preset_name(l, &source);
            store_error.set(None);
            spawn_local(async move {
                let copy_name = |base: &str, n: u32| text::copy_name(l, base, n);
                match controller::duplicate_preset(state, &source, &source_name, copy_name).await {
                    Ok(copy) => open_editor(Some(copy)),
                    Err(e) => store_error.set(Some(e)),
                }
            });
        };
        let delete = move |_| {
            let (id, shown) = (p.with_value(|p| p.id.clone()), shown_name());
            if !window().confirm_with_message(&t_string!(i18n, confirm_delete_assistant, name = shown)).unwrap_or(false)
            {
                return;
            }
            if editing.with_untracked(|e| e.as_ref().is_some_and(|e| e.id == id)) {
                close_editor();
            }
            spawn_local(async move {
                if let Err(e) = controller::delete_preset(state, id).await {
                    store_error.set(Some(e));
                }
            });
        };
        view! {
            <li class="preset-item">
                <div class="preset-what">
                    <span class="preset-title">{shown_name}</span>
                    {match builtin {
                        Some(b) => {
                            view! {
                                <small class="preset-tag">{t!(i18n, preset_builtin)}</small>
                                <small class="preset-about">{move || text::builtin_about(i18n.get_locale(), b)}</small>
                            }
                                .into_any()
                        }
                        None => {
                            own_model
                                .map(|m| {
                                    view! {
                                        <small class="preset-about">
                                            {move || t_string!(i18n, preset_own_model, model = m.clone())}
                                        </small>
                                    }
                                })
                                .into_any()
                        }
                    }}
                </div>
                <div class="preset-actions">
                    <Show when=move || builtin.is_none()>
                        <button
                            type="button"
                            class="secondary"
                            aria-label=move || t_string!(i18n, edit_assistant_named, name = shown_name())
                            on:click=move |_| open_editor(Some(p.get_value()))
                        >
                            {t!(i18n, edit)}
                        </button>
                    </Show>
                    <button
                        type="button"
                        class="secondary"
                        aria-label=move || t_string!(i18n, duplicate_assistant_named, name = shown_name())
                        on:click=duplicate
                    >
                        {t!(i18n, duplicate)}
                    </button>
                    <Show when=move || builtin.is_none()>
                        <button
                            type="button"
                            class="secondary"
                            aria-label=move || t_string!(i18n, delete_assistant_named, name = shown_name())
                            on:click=delete
                        >
                            {t!(i18n, delete)}
                        </button>
                    </Show>
                </div>
            </li>
        }
    };

    let settings_model = move || state.session.settings.with(|s| s.model.clone());
    view! {
        <dialog
            class="presets"
            node_ref=dialog
            aria-labelledby="presets-title"
            on:close=move |_| state.session.presets_open.set(false)
        >
            <h2 id="presets-title">{t!(i18n, assistants)}</h2>
            <p class="presets-hint">{t!(i18n, assistants_readonly_hint)}</p>
            <ul class="preset-list" aria-labelledby="presets-title">
                <For
                    each=move || state.session.presets.with(|ps| preset::all(ps))
                    key=|p| (p.id.clone(), p.updated_ms.to_bits())
                    let:p
                >
                    {row(p)}
                </For>
            </ul>
            <Show when=move || !editor_open.get()>
                <button type="button" class="primary" on:click=move |_| open_editor(None)>
                    {t!(i18n, new_assistant)}
                </button>
            </Show>
            <Show when=move || editor_open.get()>
                <form class="preset-editor" on:submit=save novalidate aria-labelledby="preset-editor-title">
                    <h3 id="preset-editor-title">
                        {move || {
                            if editing.with(Option::is_some) {
                                t_string!(i18n, edit_assistant)
                            } else {
                                t_string!(i18n, new_assistant)
                            }
                        }}
                    </h3>
                    <Field id="preset-name" label=Signal::derive(move || t_string!(i18n, assistant_name)) value=name />
                    <div class="field">
                        <label for="preset-prompt">{t!(i18n, assistant_prompt)}</label>
                        <textarea
                            id="preset-prompt"
                            rows="8"
                            prop:value=move || prompt.get()
                            on:input=move |ev| prompt.set(event_target_value(&ev))
                        ></textarea>
                        <small>{t!(i18n, assistant_prompt_hint)}</small>
                    </div>
                    <div class="field">
                        <label for="preset-model">{t!(i18n, assistant_model)}</label>
                        <input
                            id="preset-model"
                            type="text"
                            autocomplete="off"
                            spellcheck="false"
                            list="preset-model-options"
                            prop:value=move || model.get()
                            on:input=move |ev| model.set(event_target_value(&ev))
                        />
                        <small>{move || t_string!(i18n, assistant_model_hint, model = settings_model())}</small>
                    </div>
                    <datalist id="preset-model-options">
                        <For each=move || state.session.models.get() key=|m| m.clone() let:m>
                            <option value=m></option>
                        </For>
                    </datalist>
                    <div class="field check">
                        <input
                            id="preset-web-search"
                            type="checkbox"
                            prop:checked=move || web_search.get()
                            on:change=move |ev| web_search.set(event_target_checked(&ev))
                        />
                        <label for="preset-web-search">{t!(i18n, assistant_web_search)}</label>
                    </div>
                    <div class="field check">
                        <input
                            id="preset-wardrobe"
                            type="checkbox"
                            prop:checked=move || wardrobe.get()
                            on:change=move |ev| wardrobe.set(event_target_checked(&ev))
                        />
                        <label for="preset-wardrobe">{t!(i18n, assistant_wardrobe)}</label>
                    </div>
                    <Show when=move || problems.with(|p| !p.is_empty())>
                        <ul class="verdict bad" role="alert">
                            {move || {
                                problems
                                    .get()
                                    .iter()
                                    .map(|p| view! { <li>{text::preset_problem(i18n.get_locale(), p)}</li> })
                                    .collect_view()
                            }}
                        </ul>
                    </Show>
                    <div class="dialog-actions">
                        <button type="button" class="secondary" on:click=move |_| close_editor()>
                            {t!(i18n, cancel)}
                        </button>
                        <button type="submit" class="primary" disabled=move || busy.get()>
                            {t!(i18n, save)}
                        </button>
                    </div>
                </form>
            </Show>
            {move || {
                store_error
                    .get()
                    .map(|e| {
                        let l = i18n.get_locale();
                        view! {
                            <p class="verdict bad" role="alert">
                                {td_string!(l, assistant_not_saved, why = text::store_error(l, &e)).to_string()}
                            </p>
                        }
                    })
            }}
            <div class="dialog-actions">
                <button type="button" class="secondary" on:click=move |_| state.session.presets_open.set(false)>
                    {t!(i18n, close)}
                </button>
            </div>
        </dialog>
    }
}
