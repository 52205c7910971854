//! "Add to test set": the dialog that makes a test case of a chat's turn. It shows what the core proposes
//! (`core::eval::from_chat::propose`: the turn's images, its question, its answer as the reference), lets the
//! person change all of it and choose a set, and calls the controller to add it. What a case needs and what a
//! new version is are the core's; a problem is shown in words and the dialog stays open with everything kept.

use crate::core::eval::from_chat::{propose, AddProblem, CaseDraft, DraftImage, SetChoice};
use crate::core::eval::model::{ReferenceMode, TestSet};
use crate::core::model::ImageMeta;
use crate::core::ports::StoreError;
use crate::ui::controller;
use crate::ui::field::Field;
use crate::ui::i18n::{t, t_string, td_string, text, use_i18n};
use crate::ui::state::{use_add_case, use_app_state};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn AddCaseDialog() -> impl IntoView {
    let state = use_app_state();
    let add = use_add_case();
    let i18n = use_i18n();
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let question = RwSignal::new(String::new());
    let reference = RwSignal::new(String::new());
    let tags = RwSignal::new(String::new());
    let mode = RwSignal::new(ReferenceMode::All);
    let images: RwSignal<Vec<DraftImage>> = RwSignal::new(Vec::new());
    let sets: RwSignal<Vec<TestSet>> = RwSignal::new(Vec::new());
    // The chosen set's id; empty for a new set.
    let chosen_set = RwSignal::new(String::new());
    let new_name = RwSignal::new(String::new());
    let sets_error: RwSignal<Option<StoreError>> = RwSignal::new(None);
    let problem: RwSignal<Option<AddProblem>> = RwSignal::new(None);
    let saving = RwSignal::new(false);

    // Opening proposes a case from the answer's turn and reads the sets it can go into; closing (Escape,
    // Cancel, or a case added) forgets the draft.
    Effect::new(move |_| {
        let answer = add.answer.get();
        let Some(d) = dialog.get() else { return };
        match answer {
            Some(id) if !d.open() => {
                let draft = state.session.messages.with_untracked(|ms| {
                    let metas: Vec<ImageMeta> =
                        state.session.images.with_untracked(|v| v.iter().map(|i| i.meta.clone()).collect());
                    propose(ms, &metas, &id)
                });
                let Some(draft) = draft else {
                    add.answer.set(None);
                    return;
                };
                question.set(draft.question);
                reference.set(draft.reference);
                tags.set(draft.tags);
                mode.set(draft.mode);
                images.set(draft.images);
                new_name.set(td_string!(i18n.get_locale_untracked(), case_set_default_name).to_owned());
                sets.set(Vec::new());
                chosen_set.set(String::new());
                sets_error.set(None);
                problem.set(None);
                spawn_local(async move {
                    match controller::test_set_choices(state).await {
                        Ok(found) => {
                            // The set changed last is the likeliest home for the next case too.
                            if let Some(newest) = found.first() {
                                chosen_set.set(newest.id.clone());
                            }
                            sets.set(found);
                        }
                        Err(e) => sets_error.set(Some(e)),
                    }
                });
                let _ = d.show_modal();
            }
            None if d.open() => d.close(),
            _ => {}
        }
    });
    let closed = move || {
        add.answer.set(None);
        images.set(Vec::new());
        problem.set(None);
    };

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        let draft = CaseDraft {
            question: question.get_untracked(),
            reference: reference.get_untracked(),
            tags: tags.get_untracked(),
            mode: mode.get_untracked(),
            images: images.get_untracked(),
        };
        let choice = match chosen_set.get_untracked() {
            id if id.is_empty() => SetChoice::New(new_name.get_untracked()),
            id => SetChoice::Existing(id),
        };
        saving.set(true);
        problem.set(None);
        spawn_local(async move {
            let result = controller::add_to_test_set(state, draft, choice).await;
            saving.set(false);
            match result {
                Ok(_) => closed(),
                Err(p) => problem.set(Some(p)),
            }
        });
    };

    let set_image = move |id: String, change: fn(&mut DraftImage, bool), on: bool| {
        images.update(|v| {
            if let Some(i) = v.iter_mut().find(|i| i.source_id == id) {
                change(i, on);
            }
        });
    };
    let image_row = move |image: DraftImage| {
        let id = image.source_id.clone();
        let url = state.session.images.with_untracked(|v| v.iter().find(|i| i.meta.id == id).map(|i| i.url.clone()));
        let name = StoredValue::new(image.name.clone());
        let (use_id, rel_id, chosen_id, relevant_id) = (id.clone(), id.clone(), id.clone(), id);
        let chosen = move || images.with(|v| v.iter().any(|i| i.source_id == chosen_id && i.chosen));
        let relevant = move || images.with(|v| v.iter().any(|i| i.source_id == relevant_id && i.relevant));
        view! {
            <li class="case-image">
                <img src=url.unwrap_or_default() alt=image.name.clone() />
                <span class="case-image-name">{image.name.clone()}</span>
                <label>
                    <input
                        type="checkbox"
                        aria-label=move || t_string!(i18n, case_use_named, name = name.get_value())
                        prop:checked=chosen
                        on:change=move |ev| set_image(use_id.clone(), |i, on| i.chosen = on, event_target_checked(&ev))
                    />
                    {t!(i18n, case_use)}
                </label>
                <label>
                    <input
                        type="checkbox"
                        aria-label=move || t_string!(i18n, case_relevant_named, name = name.get_value())
                        prop:checked=relevant
                        on:change=move |ev| set_image(rel_id.clone(), |i, on| i.relevant = on, event_target_checked(&ev))
                    />
                    {t!(i18n, case_relevant)}
                </label>
            </li>
        }
    };

    view! {
        <dialog class="add-case" node_ref=dialog aria-labelledby="add-case-title" on:close=move |_| closed()>
            <form on:submit=save novalidate>
                <h2 id="add-case-title">{t!(i18n, add_to_test_set)}</h2>
                <fieldset>
                    <legend>{t!(i18n, case_images)}</legend>
                    <small>{t!(i18n, case_images_hint)}</small>
                    <ul class="case-images">
                        <For each=move || images.get() key=|i| i.source_id.clone() let:image>
                            {image_row(image)}
                        </For>
                    </ul>
                </fieldset>
                <div class="field">
                    <label for="case-question">{t!(i18n, case_question)}</label>
                    <textarea
                        id="case-question"
                        rows="2"
                        prop:value=move || question.get()
                        on:input=move |ev| question.set(event_target_value(&ev))
                    ></textarea>
                </div>
                <div class="field">
                    <label for="case-reference">{t!(i18n, case_reference)}</label>
                    <textarea
                        id="case-reference"
                        rows="5"
                        prop:value=move || reference.get()
                        on:input=move |ev| reference.set(event_target_value(&ev))
                    ></textarea>
                    <small>{t!(i18n, case_reference_hint)}</small>
                </div>
                <fieldset>
                    <legend>{t!(i18n, case_mode)}</legend>
                    {[(ReferenceMode::All, "case-mode-all"), (ReferenceMode::Any, "case-mode-any")]
                        .into_iter()
                        .map(|(m, id)| {
                            view! {
                                <div class="field check">
                                    <input
                                        id=id
                                        type="radio"
                                        name="case-mode"
                                        prop:checked=move || mode.get() == m
                                        on:change=move |_| mode.set(m)
                                    />
                                    <label for=id>
                                        {move || match m {
                                            ReferenceMode::All => t_string!(i18n, case_mode_all),
                                            ReferenceMode::Any => t_string!(i18n, case_mode_any),
                                        }}
                                    </label>
                                </div>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <Field
                    id="case-tags"
                    label=Signal::derive(move || t_string!(i18n, case_tags))
                    value=tags
                    hint=Signal::derive(move || t_string!(i18n, case_tags_hint))
                />
                <div class="field">
                    <label for="case-set">{t!(i18n, case_set)}</label>
                    <select
                        id="case-set"
                        prop:value=move || chosen_set.get()
                        on:change=move |ev| chosen_set.set(event_target_value(&ev))
                    >
                        <For each=move || sets.get() key=|s| (s.id.clone(), s.version) let:set>
                            {
                                let id = set.id.clone();
                                let selected = id.clone();
                                let (name, version, cases) = (set.name.clone(), set.version, set.cases.len());
                                view! {
                                    <option value=id selected=move || chosen_set.get() == selected>
                                        {move || {
                                            t_string!(i18n, case_set_option, name = name.clone(), version = version, cases = cases)
                                        }}
                                    </option>
                                }
                            }
                        </For>
                        <option value="" selected=move || chosen_set.with(String::is_empty)>
                            {t!(i18n, case_set_new)}
                        </option>
                    </select>
                </div>
                <Show when=move || chosen_set.with(String::is_empty)>
                    <Field id="case-set-name" label=Signal::derive(move || t_string!(i18n, case_set_name)) value=new_name />
                </Show>
                {move || {
                    sets_error
                        .get()
                        .map(|e| {
                            let l = i18n.get_locale();
                            view! {
                                <p class="verdict bad" role="alert">
                                    {td_string!(l, case_sets_unreadable, why = text::store_error(l, &e)).to_string()}
                                </p>
                            }
                        })
                }}
                {move || {
                    problem
                        .get()
                        .map(|p| {
                            view! { <p class="verdict bad" role="alert">{text::add_problem(i18n.get_locale(), &p)}</p> }
                        })
                }}
                <div class="dialog-actions">
                    <button type="button" class="secondary" on:click=move |_| add.answer.set(None)>
                        {t!(i18n, case_cancel)}
                    </button>
                    <button type="submit" class="primary" disabled=move || saving.get()>
                        {move || if saving.get() { t_string!(i18n, case_saving) } else { t_string!(i18n, case_save) }}
                    </button>
                </div>
            </form>
        </dialog>
    }
}
