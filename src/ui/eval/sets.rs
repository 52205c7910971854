//! The test sets: each set's newest version with its case count, Export and Delete; "New test set" and "Add
//! case" (a case editor: images, question, reference, what the reference asks, tags, which images are
//! relevant), each making a new version; and "Import" of an exported set.

use crate::core::eval::model::{clean_tags, Case, CaseImage, ReferenceMode, TestSet};
use crate::core::ports::Runtime;
use crate::ui::eval::controller;
use crate::ui::eval::state::use_eval;
use crate::ui::eval::text;
use crate::ui::i18n::{t, t_string, use_i18n};
use crate::ui::state::use_app_state;
use crate::web::files::{object_url, prepare_image, revoke_object_url};
use crate::web::runtime::{new_uuid, BrowserRuntime};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// A set's name as shown: the sample set's in the person's language.
pub fn set_name(set: &TestSet, sample_name: &str) -> String {
    if set.sample {
        sample_name.to_owned()
    } else {
        set.name.clone()
    }
}

/// "version 2 · 34 cases", with English's singular for one case.
pub fn set_meta(l: crate::ui::i18n::Locale, version: u32, cases: usize) -> String {
    use crate::ui::i18n::td_string;
    if cases == 1 {
        td_string!(l, set_meta_one, version = version).to_string()
    } else {
        td_string!(l, set_meta, version = version, cases = cases).to_string()
    }
}

fn picked_files(ev: &leptos::ev::Event) -> Vec<web_sys::File> {
    let input: web_sys::HtmlInputElement = event_target(ev);
    let files = input.files();
    let out = (0..files.as_ref().map_or(0, |f| f.length())).filter_map(|i| files.as_ref()?.get(i)).collect();
    input.set_value("");
    out
}

#[component]
pub fn Sets() -> impl IntoView {
    let app = use_app_state();
    let eval = use_eval();
    let i18n = use_i18n();
    // The set a case is being added to (`Some(None)`: a new set).
    // The set a case is being added to or edited in (`None` inside: a new set), and the case being edited.
    let editing: RwSignal<Option<(Option<TestSet>, Option<Case>)>> = RwSignal::new(None);
    let on_import = move |ev: leptos::ev::Event| {
        if let Some(file) = picked_files(&ev).into_iter().next() {
            controller::import_set(app, eval, file);
        }
    };
    view! {
        <section class="eval-section" aria-labelledby="sets-heading">
            <h2 id="sets-heading">{t!(i18n, test_sets)}</h2>
            <div class="eval-actions">
                <button on:click=move |_| editing.set(Some((None, None)))>{t!(i18n, new_test_set)}</button>
                <label class="button">
                    {t!(i18n, import)}
                    <input type="file" accept=".json,application/json" class="visually-hidden" on:change=on_import />
                </label>
            </div>
            <Show when=move || eval.installing.get()>
                <p role="status">{t!(i18n, sample_installing)}</p>
            </Show>
            <ul class="set-list">
                <For each=move || eval.sets.get() key=|s| (s.id.clone(), s.version) let:set>
                    <SetItem set=set on_edit=move |s, c| editing.set(Some((Some(s), c))) />
                </For>
            </ul>
            <Show when=move || eval.loaded.get() && eval.sets.with(Vec::is_empty) && !eval.installing.get()>
                <p class="empty">{t!(i18n, no_test_sets)}</p>
            </Show>
            {move || {
                editing
                    .get()
                    .map(|(target, case)| match case {
                        Some(case) => view! { <CaseEditor target=target editing=case on_close=move || editing.set(None) /> }.into_any(),
                        None => view! { <CaseEditor target=target on_close=move || editing.set(None) /> }.into_any(),
                    })
            }}
        </section>
    }
}

#[component]
fn SetItem(set: TestSet, on_edit: impl Fn(TestSet, Option<Case>) + 'static + Copy + Send + Sync) -> impl IntoView {
    let app = use_app_state();
    let eval = use_eval();
    let i18n = use_i18n();
    let stored = StoredValue::new(set.clone());
    let name = move || set_name(&stored.get_value(), t_string!(i18n, sample_set));
    let cases = set.cases.len();
    let version = set.version;
    let open = RwSignal::new(false);
    let delete = move |_| {
        let question = t_string!(i18n, confirm_delete_set, name = name());
        if window().confirm_with_message(&question).unwrap_or(false) {
            controller::delete_set(app, eval, stored.get_value().id);
        }
    };
    view! {
        <li class="set-item">
            <span class="set-name">{name}</span>
            <span class="set-meta">{move || set_meta(i18n.get_locale(), version, cases)}</span>
            <button on:click=move |_| on_edit(stored.get_value(), None) aria-label=move || t_string!(i18n, add_case_to, name = name())>
                {t!(i18n, add_case)}
            </button>
            <button
                on:click=move |_| controller::export_set(app, stored.get_value())
                aria-label=move || t_string!(i18n, export_set, name = name())
            >
                {t!(i18n, export)}
            </button>
            <button class="danger" on:click=delete aria-label=move || t_string!(i18n, delete_set, name = name())>
                {t!(i18n, delete)}
            </button>
            <details
                class="set-cases"
                on:toggle=move |ev| {
                    let d: web_sys::HtmlDetailsElement = event_target(&ev);
                    open.set(d.open());
                }
            >
                <summary>{move || t_string!(i18n, show_cases, name = name())}</summary>
                // Rendered only while open: the sets' cases (hundreds, each with two buttons) made the page's
                // first render take twice as long.
                <Show when=move || open.get()>
                <ol>
                    {stored.with_value(|set| set
                        .cases
                        .iter()
                        .map(|c| {
                            let case = StoredValue::new(c.clone());
                            let remove = move |_| {
                                let question = t_string!(i18n, confirm_remove_case, question = case.with_value(|c| c.question.clone()));
                                if !window().confirm_with_message(&question).unwrap_or(false) {
                                    return;
                                }
                                let now = crate::web::runtime::BrowserRuntime::default().now_ms();
                                match stored.get_value().without_case(&case.with_value(|c| c.id.clone()), now) {
                                    Some(next) => {
                                        spawn_local(async move {
                                            controller::save_set(app, eval, next, Vec::new()).await;
                                        });
                                    }
                                    None => eval.problem.set(Some(crate::ui::eval::state::EvalProblem::LastCase)),
                                }
                            };
                            let q = c.question.clone();
                            view! {
                                <li>
                                    <span>{c.question.clone()}</span>
                                    <button
                                        on:click=move |_| on_edit(stored.get_value(), Some(case.get_value()))
                                        aria-label=t_string!(i18n, edit_case_named, question = q.clone()).to_string()
                                    >
                                        {t!(i18n, edit)}
                                    </button>
                                    <button class="danger" on:click=remove aria-label=t_string!(i18n, remove_case_named, question = q).to_string()>
                                        {t!(i18n, remove)}
                                    </button>
                                </li>
                            }
                        })
                        .collect_view())}
                </ol>
                </Show>
            </details>
        </li>
    }
}

/// An image picked for a new case, ready to store.
#[derive(Clone)]
struct Picked {
    image: CaseImage,
    /// The pixels of an image picked now; `None` for one the set already stores.
    blob: Option<web_sys::Blob>,
    url: String,
}

/// Makes a case (and, for a new set, the set), or edits one (`editing`): saving stores a new version of the set
/// with the case appended or replaced.
#[component]
fn CaseEditor(
    target: Option<TestSet>,
    #[prop(optional)] editing: Option<Case>,
    on_close: impl Fn() + 'static + Copy + Send + Sync,
) -> impl IntoView {
    let app = use_app_state();
    let eval = use_eval();
    let i18n = use_i18n();
    let is_new = target.is_none();
    let is_edit = editing.is_some();
    let target = StoredValue::new(target);
    let case_id = StoredValue::new(editing.as_ref().map(|c| c.id.clone()));
    let set_name_field = RwSignal::new(String::new());
    let question = RwSignal::new(editing.as_ref().map(|c| c.question.clone()).unwrap_or_default());
    let reference = RwSignal::new(editing.as_ref().map(|c| c.reference.clone()).unwrap_or_default());
    let any = RwSignal::new(editing.as_ref().is_some_and(|c| c.mode == ReferenceMode::Any));
    let tags = RwSignal::new(editing.as_ref().map(|c| c.tags.join(", ")).unwrap_or_default());
    let images: RwSignal<Vec<Picked>, LocalStorage> = RwSignal::new_local(Vec::new());
    // An edited case's images are the set's: shown from the store, kept unless removed.
    if let Some(case) = editing {
        spawn_local(async move {
            let Some(db) = crate::ui::state::store(app) else { return };
            let mut shown = Vec::with_capacity(case.images.len());
            for image in case.images {
                use crate::core::ports::TestSetRepo;
                let url = match db.eval_image(&image.id).await {
                    Ok(Some(blob)) => object_url(&blob).unwrap_or_default(),
                    _ => String::new(),
                };
                shown.push(Picked { image, blob: None, url });
            }
            images.set(shown);
        });
    }
    let preparing = RwSignal::new(0u32);
    let problem: RwSignal<Option<String>> = RwSignal::new(None);
    let saving = RwSignal::new(false);
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    Effect::new(move |_| {
        if let Some(d) = dialog.get() {
            if !d.open() {
                let _ = d.show_modal();
            }
        }
    });
    on_cleanup(move || {
        for p in images.get_untracked() {
            revoke_object_url(&p.url);
        }
    });
    let add_files = move |ev: leptos::ev::Event| {
        for file in picked_files(&ev) {
            preparing.update(|n| *n += 1);
            spawn_local(async move {
                let id = new_uuid();
                match prepare_image(&file, id.clone(), String::new(), BrowserRuntime::default().now_ms()).await {
                    Ok(p) => {
                        let url = object_url(&p.blob).unwrap_or_default();
                        let image = CaseImage {
                            id,
                            name: p.meta.name.clone(),
                            mime: p.meta.mime.clone(),
                            width: p.meta.width,
                            height: p.meta.height,
                            caption: None,
                            relevant: false,
                        };
                        images.update(|v| v.push(Picked { image, blob: Some(p.blob), url }));
                    }
                    Err((name, why)) => {
                        let l = i18n.get_locale();
                        problem.set(Some(crate::ui::i18n::text::file_problem(l, &why, &name)));
                    }
                }
                preparing.update(|n| *n -= 1);
            });
        }
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if preparing.get_untracked() > 0 || saving.get_untracked() {
            return;
        }
        let picked = images.get_untracked();
        let case = Case {
            id: case_id.get_value().unwrap_or_else(new_uuid),
            question: question.get_untracked().trim().to_owned(),
            reference: reference.get_untracked().trim().to_owned(),
            mode: if any.get_untracked() { ReferenceMode::Any } else { ReferenceMode::All },
            tags: clean_tags(tags.get_untracked().split(',').map(str::to_owned).collect()),
            images: picked.iter().map(|p| p.image.clone()).collect(),
        };
        if let Some(p) = case.problem() {
            problem.set(Some(text::case_problem(i18n.get_locale(), &p)));
            return;
        }
        let now = BrowserRuntime::default().now_ms();
        let set = match target.get_value() {
            Some(old) => old.with_case(case, now),
            None => {
                let name = set_name_field.get_untracked().trim().to_owned();
                let name = if name.is_empty() { t_string!(i18n, default_set_name).to_owned() } else { name };
                TestSet { id: new_uuid(), version: 1, name, created_ms: now, sample: false, cases: vec![case] }
            }
        };
        let blobs: Vec<(String, web_sys::Blob)> =
            picked.iter().filter_map(|p| Some((p.image.id.clone(), p.blob.clone()?))).collect();
        saving.set(true);
        spawn_local(async move {
            let saved = controller::save_set(app, eval, set, blobs).await;
            saving.set(false);
            if saved {
                on_close();
            } else {
                problem.set(Some(t_string!(i18n, case_editor_not_saved).to_owned()));
            }
        });
    };
    let title = move || {
        if is_edit {
            t_string!(i18n, edit_case).to_owned()
        } else if is_new {
            t_string!(i18n, new_test_set).to_owned()
        } else {
            let name = target.get_value().map(|s| set_name(&s, t_string!(i18n, sample_set))).unwrap_or_default();
            t_string!(i18n, add_case_to, name = name).to_string()
        }
    };
    view! {
        <dialog node_ref=dialog class="case-editor" aria-labelledby="case-editor-title" on:close=move |_| on_close()>
            <form on:submit=save>
                <h2 id="case-editor-title">{title}</h2>
                <Show when=move || is_new>
                    <div class="field">
                        <label for="set-name">{t!(i18n, set_name_field)}</label>
                        <input id="set-name" prop:value=move || set_name_field.get() on:input=move |ev| set_name_field.set(event_target_value(&ev)) />
                    </div>
                </Show>
                <div class="field">
                    <label class="button">
                        {t!(i18n, add_images)}
                        <input type="file" multiple accept="image/*" class="visually-hidden" on:change=add_files />
                    </label>
                    <Show when=move || { preparing.get() > 0 }>
                        <span role="status">{t!(i18n, preparing_images)}</span>
                    </Show>
                </div>
                <ul class="case-images">
                    {move || {
                        images
                            .get()
                            .into_iter()
                            .map(|p| {
                                let id = p.image.id.clone();
                                let id2 = id.clone();
                                let name = p.image.name.clone();
                                let label = t_string!(i18n, image_relevant, name = name.clone()).to_string();
                                let remove_label = t_string!(i18n, remove_image, name = name.clone()).to_string();
                                view! {
                                    <li>
                                        <img src=p.url.clone() alt=name.clone() />
                                        <label>
                                            <input
                                                type="checkbox"
                                                prop:checked=p.image.relevant
                                                aria-label=label
                                                on:change=move |ev| {
                                                    let on = event_target_checked(&ev);
                                                    images.update(|v| {
                                                        if let Some(x) = v.iter_mut().find(|x| x.image.id == id) {
                                                            x.image.relevant = on;
                                                        }
                                                    });
                                                }
                                            />
                                            {t!(i18n, relevant)}
                                        </label>
                                        <button
                                            type="button"
                                            class="icon"
                                            aria-label=remove_label
                                            on:click=move |_| {
                                                images.update(|v| {
                                                    if let Some(i) = v.iter().position(|x| x.image.id == id2) {
                                                        revoke_object_url(&v[i].url);
                                                        v.remove(i);
                                                    }
                                                })
                                            }
                                        >
                                            "×"
                                        </button>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
                <div class="field">
                    <label for="case-question">{t!(i18n, case_question)}</label>
                    <textarea id="case-question" rows="2" prop:value=move || question.get() on:input=move |ev| question.set(event_target_value(&ev))></textarea>
                </div>
                <div class="field">
                    <label for="case-reference">{t!(i18n, case_reference)}</label>
                    <textarea id="case-reference" rows="3" prop:value=move || reference.get() on:input=move |ev| reference.set(event_target_value(&ev))></textarea>
                </div>
                <div class="field">
                    <label for="case-mode">{t!(i18n, reference_mode)}</label>
                    <select id="case-mode" on:change=move |ev| any.set(event_target_value(&ev) == "any")>
                        <option value="all" selected=move || !any.get()>{t!(i18n, mode_all)}</option>
                        <option value="any" selected=move || any.get()>{t!(i18n, mode_any)}</option>
                    </select>
                </div>
                <div class="field">
                    <label for="case-tags">{t!(i18n, case_tags_comma)}</label>
                    <input id="case-tags" prop:value=move || tags.get() on:input=move |ev| tags.set(event_target_value(&ev)) />
                </div>
                {move || problem.get().map(|p| view! { <p class="alert" role="alert">{p}</p> })}
                <div class="dialog-actions">
                    <button type="button" on:click=move |_| on_close()>{t!(i18n, cancel)}</button>
                    <button type="submit" disabled=move || saving.get() || (preparing.get() > 0)>{t!(i18n, save_case)}</button>
                </div>
            </form>
        </dialog>
    }
}
