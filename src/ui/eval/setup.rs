//! A new run: which test set, the configurations to compare (model, image detail, retrieval and its k,
//! instructions, temperature, web search, assistant, wardrobe), the judge and how many requests at once; and,
//! before "Start run", what the answers and the judging will cost, per configuration, with what the pictures
//! alone cost.

use crate::core::cost::format_usd;
use crate::core::eval::answer::RunConfig;
use crate::core::eval::estimate::{estimate_run, WardrobeLoad};
use crate::core::eval::judge::same_family;
use crate::core::model::Detail;
use crate::core::preset::{self, Preset};
use crate::core::route::Route;
use crate::core::websearch::tavily::SearchDepth;
use crate::ui::eval::controller::{self, RunSetup};
use crate::ui::eval::sets::set_name;
use crate::ui::eval::state::use_eval;
use crate::ui::eval::text;
use crate::ui::i18n::{t, t_string, td_string, use_i18n, Locale};
use crate::ui::state::use_app_state;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

/// The judge a run uses unless the person names another: of another family than the default configurations.
pub const DEFAULT_JUDGE: &str = "gpt-4.1";

/// A configuration as edited (text fields stay text until the run starts).
#[derive(Debug, Clone, PartialEq)]
struct Draft {
    n: u32,
    model: String,
    detail: Detail,
    retrieval: bool,
    k: String,
    instructions: String,
    temperature: String,
    /// Web search at this depth, or off.
    web: Option<SearchDepth>,
    /// The assistant's id (Image Q&A when empty).
    preset: String,
    /// The wardrobe goes with each question.
    wardrobe: bool,
}

impl Draft {
    /// The configuration, with a copy of its assistant from `presets` (the person's own).
    fn config(&self, presets: &[Preset]) -> RunConfig {
        let preset = Some(self.preset.as_str())
            .filter(|id| !id.is_empty() && *id != preset::IMAGE_QA_ID)
            .map(|id| preset::resolve(presets, Some(id)))
            .filter(|p| p.id != preset::IMAGE_QA_ID);
        RunConfig {
            id: self.n.to_string(),
            model: self.model.trim().to_owned(),
            detail: self.detail,
            retrieval: self.retrieval.then(|| self.k.trim().parse::<u32>().unwrap_or(2).clamp(1, 16)),
            instructions: Some(self.instructions.trim().to_owned()).filter(|t| !t.is_empty()),
            temperature: self.temperature.trim().parse::<f32>().ok().filter(|t| (0.0..=2.0).contains(t)),
            web: self.web,
            preset,
            wardrobe: self.wardrobe,
        }
    }
}

/// A configuration's short label in `l`: its model, its retrieval, its web search, the wardrobe when it takes it,
/// and its assistant unless it is Image Q&A.
pub fn config_label(c: &RunConfig, l: Locale) -> String {
    let mut label = match c.retrieval {
        Some(k) => format!("{} + {} (k = {k})", c.model, td_string!(l, with_retrieval)),
        None => c.model.clone(),
    };
    if let Some(depth) = c.web {
        label.push_str(&format!(" + {} ({})", td_string!(l, with_web_search), depth.as_str()));
    }
    if c.wardrobe {
        label.push_str(&format!(" + {}", td_string!(l, with_wardrobe)));
    }
    if let Some(p) = &c.preset {
        label.push_str(&format!(" · {}", crate::ui::i18n::text::preset_name(l, p)));
    }
    label
}

#[component]
pub fn Setup() -> impl IntoView {
    let app = use_app_state();
    let eval = use_eval();
    let i18n = use_i18n();
    let navigate = use_navigate();
    let set_id = RwSignal::new(String::new());
    let drafts = RwSignal::new(vec![
        Draft {
            n: 1,
            model: "gpt-4o-mini".into(),
            detail: Detail::Auto,
            retrieval: true,
            k: "2".into(),
            instructions: String::new(),
            temperature: String::new(),
            web: None,
            preset: String::new(),
            wardrobe: false,
        },
        Draft {
            n: 2,
            model: "gpt-4o".into(),
            detail: Detail::Auto,
            retrieval: false,
            k: "2".into(),
            instructions: String::new(),
            temperature: String::new(),
            web: None,
            preset: String::new(),
            wardrobe: false,
        },
    ]);
    let judge = RwSignal::new(DEFAULT_JUDGE.to_owned());
    let concurrency = RwSignal::new("4".to_owned());
    let starting = RwSignal::new(false);
    // The chosen set: the one picked, else the first.
    let chosen =
        Memo::new(move |_| eval.sets.with(|sets| sets.iter().find(|s| s.id == set_id.get()).or(sets.first()).cloned()));
    let configs = move || app.session.presets.with(|ps| drafts.get().iter().map(|d| d.config(ps)).collect::<Vec<_>>());
    // The wardrobe's items are read (once) when a configuration first takes the wardrobe: the estimate counts
    // the largest of them.
    Effect::new(move |_| {
        if drafts.with(|d| d.iter().any(|x| x.wardrobe)) {
            crate::ui::wardrobe::controller::load(app);
        }
    });
    let estimate = Memo::new(move |_| {
        let set = chosen.get()?;
        let (prices, credit_usd, k) =
            app.session.settings.with(|s| (s.prices.clone(), s.search.credit_usd, s.wardrobe_items as usize));
        let worn = app.wardrobe.items.with(|items| WardrobeLoad::of(items, k));
        Some(estimate_run(&set, &configs(), judge.get().trim(), &prices, credit_usd, &worn))
    });
    let label_of = move |id: &str| {
        drafts
            .with_untracked(|d| {
                d.iter().find(|x| x.n.to_string() == id).map(|x| {
                    config_label(&app.session.presets.with_untracked(|ps| x.config(ps)), i18n.get_locale_untracked())
                })
            })
            .unwrap_or_default()
    };
    let add = move |_| {
        drafts.update(|d| {
            let n = d.iter().map(|x| x.n).max().unwrap_or(0) + 1;
            let mut next = d.last().cloned().unwrap_or(Draft {
                n,
                model: "gpt-4o-mini".into(),
                detail: Detail::Auto,
                retrieval: false,
                k: "2".into(),
                instructions: String::new(),
                temperature: String::new(),
                web: None,
                preset: String::new(),
                wardrobe: false,
            });
            next.n = n;
            d.push(next);
        })
    };
    let start = move |_| {
        let Some(set) = chosen.get_untracked() else { return };
        let setup = RunSetup {
            set,
            configs: app
                .session
                .presets
                .with_untracked(|ps| drafts.get_untracked().iter().map(|d| d.config(ps)).collect()),
            judge_model: judge.get_untracked(),
            concurrency: concurrency.get_untracked().trim().parse().unwrap_or(4),
        };
        starting.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            if let Some(id) = controller::start_run(app, eval, setup).await {
                navigate(&Route::EvalRun(id).path(), Default::default());
            }
            starting.set(false);
        });
    };
    let warnings = move || {
        let j = judge.get();
        drafts
            .get()
            .iter()
            .filter(|d| same_family(&j, &d.model))
            .map(|d| t_string!(i18n, judge_same_family, judge = j.clone(), model = d.model.clone()).to_string())
            .collect::<Vec<_>>()
    };
    view! {
        <section class="eval-section" aria-labelledby="setup-heading">
            <h2 id="setup-heading">{t!(i18n, new_run)}</h2>
            <div class="field">
                <label for="run-set">{t!(i18n, test_set)}</label>
                <select id="run-set" on:change=move |ev| set_id.set(event_target_value(&ev))>
                    {move || {
                        let chosen_id = chosen.get().map(|s| s.id).unwrap_or_default();
                        eval.sets
                            .get()
                            .into_iter()
                            .map(|s| {
                                let label = format!(
                                    "{} · {}",
                                    set_name(&s, t_string!(i18n, sample_set)),
                                    crate::ui::eval::sets::set_meta(i18n.get_locale(), s.version, s.cases.len()),
                                );
                                view! { <option value=s.id.clone() selected=s.id == chosen_id>{label}</option> }
                            })
                            .collect_view()
                    }}
                </select>
            </div>
            <table class="configs" aria-label=move || t_string!(i18n, configurations)>
                <thead>
                    <tr>
                        <th>{t!(i18n, model)}</th>
                        <th>{t!(i18n, image_detail)}</th>
                        <th>{t!(i18n, retrieval)}</th>
                        <th>{t!(i18n, retrieval_k)}</th>
                        <th>{t!(i18n, temperature)}</th>
                        <th>{t!(i18n, instructions)}</th>
                        <th>{t!(i18n, web_search)}</th>
                        <th>{t!(i18n, assistant)}</th>
                        <th>{t!(i18n, wardrobe)}</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || drafts.get() key=|d| d.n let:draft>
                        <ConfigRow n=draft.n drafts=drafts />
                    </For>
                </tbody>
            </table>
            <button on:click=add>{t!(i18n, add_configuration)}</button>
            <div class="field">
                <label for="run-judge">{t!(i18n, judge_model)}</label>
                <input id="run-judge" list="model-options" prop:value=move || judge.get() on:input=move |ev| judge.set(event_target_value(&ev)) />
            </div>
            <For each=warnings key=|w| w.clone() let:w>
                <p class="warning" role="note">{w}</p>
            </For>
            <div class="field">
                <label for="run-concurrency">{t!(i18n, concurrency)}</label>
                <input id="run-concurrency" type="number" min="1" max="16" prop:value=move || concurrency.get() on:input=move |ev| concurrency.set(event_target_value(&ev)) />
            </div>
            {move || {
                estimate
                    .get()
                    .map(|e| {
                        let total = e.total();
                        let money = move |usd: Option<f64>| usd.map(format_usd).unwrap_or_else(|| t_string!(i18n, no_price).to_owned());
                        let rows = e
                            .configs
                            .iter()
                            .map(|c| {
                                view! {
                                    <tr>
                                        <th scope="row">{label_of(&c.config_id)}</th>
                                        <td>{money(c.answers.usd)}</td>
                                        <td>{money(c.judging.usd)}</td>
                                        <td>{c.images}</td>
                                        <td>{c.image_tokens}</td>
                                        <td>{money(c.usd_per_image())}</td>
                                        <td>{money(c.total().usd)}</td>
                                    </tr>
                                }
                            })
                            .collect_view();
                        let notes = e
                            .notes
                            .iter()
                            .map(|n| view! { <p class="warning" role="note">{text::estimate_note(i18n.get_locale(), n, &label_of)}</p> })
                            .collect_view();
                        view! {
                            <table class="estimate" aria-label=move || t_string!(i18n, estimated_cost)>
                                <thead>
                                    <tr>
                                        <th>{t!(i18n, configuration)}</th>
                                        <th>{t!(i18n, cost_answers)}</th>
                                        <th>{t!(i18n, cost_judging)}</th>
                                        <th>{t!(i18n, pictures)}</th>
                                        <th>{t!(i18n, picture_tokens)}</th>
                                        <th>{t!(i18n, cost_per_picture)}</th>
                                        <th>{t!(i18n, cost_total)}</th>
                                    </tr>
                                </thead>
                                <tbody>{rows}</tbody>
                            </table>
                            {notes}
                            <p class="estimate-total">{t_string!(i18n, estimate_total, total = money(total.usd), prices = app.session.settings.with(|s| s.prices.as_of.clone()))}</p>
                        }
                    })
            }}
            <button class="primary" on:click=start disabled=move || starting.get() || chosen.get().is_none()>
                {t!(i18n, start_run)}
            </button>
        </section>
    }
}

#[component]
fn ConfigRow(n: u32, drafts: RwSignal<Vec<Draft>>) -> impl IntoView {
    let i18n = use_i18n();
    let app = use_app_state();
    let get = move || drafts.with(|d| d.iter().find(|x| x.n == n).cloned());
    let edit = move |f: &dyn Fn(&mut Draft)| {
        drafts.update(|d| {
            if let Some(x) = d.iter_mut().find(|x| x.n == n) {
                f(x);
            }
        })
    };
    let field = move |f: fn(&Draft) -> String| move || get().map(|d| f(&d)).unwrap_or_default();
    // A checkbox named `label` for the draft's flag that `flag` points at.
    let switch = move |label: Signal<String>, flag: fn(&mut Draft) -> &mut bool| {
        view! {
            <input
                type="checkbox"
                aria-label=label
                prop:checked=move || get().is_some_and(|mut d| *flag(&mut d))
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    edit(&|d| *flag(d) = on)
                }
            />
        }
    };
    view! {
        <tr>
            <td>
                <input
                    list="model-options"
                    aria-label=move || t_string!(i18n, config_model, n = n)
                    prop:value=field(|d| d.model.clone())
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        edit(&|d| d.model = v.clone())
                    }
                />
            </td>
            <td>
                <select
                    aria-label=move || t_string!(i18n, config_detail, n = n)
                    on:change=move |ev| {
                        let v = Detail::parse(&event_target_value(&ev)).unwrap_or_default();
                        edit(&|d| d.detail = v)
                    }
                >
                    {[Detail::Auto, Detail::Low, Detail::High]
                        .into_iter()
                        .map(|d| {
                            view! {
                                <option value=d.as_str() selected=move || get().is_some_and(|x| x.detail == d)>
                                    {move || crate::ui::chat_pane::detail_name(i18n.get_locale(), d)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </td>
            <td>
                {switch(Signal::derive(move || t_string!(i18n, config_retrieval, n = n).to_string()), |d| &mut d.retrieval)}
            </td>
            <td>
                <input
                    type="number"
                    min="1"
                    max="16"
                    aria-label=move || t_string!(i18n, config_k, n = n)
                    disabled=move || !get().is_some_and(|d| d.retrieval)
                    prop:value=field(|d| d.k.clone())
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        edit(&|d| d.k = v.clone())
                    }
                />
            </td>
            <td>
                <input
                    type="number"
                    min="0"
                    max="2"
                    step="0.1"
                    aria-label=move || t_string!(i18n, config_temperature, n = n)
                    prop:value=field(|d| d.temperature.clone())
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        edit(&|d| d.temperature = v.clone())
                    }
                />
            </td>
            <td>
                <textarea
                    rows="1"
                    aria-label=move || t_string!(i18n, config_instructions, n = n)
                    prop:value=field(|d| d.instructions.clone())
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        edit(&|d| d.instructions = v.clone())
                    }
                ></textarea>
            </td>
            <td>
                <select
                    aria-label=move || t_string!(i18n, config_web, n = n)
                    on:change=move |ev| {
                        let v = SearchDepth::parse(&event_target_value(&ev));
                        edit(&|d| d.web = v)
                    }
                >
                    <option value="" selected=move || get().is_some_and(|x| x.web.is_none())>{t!(i18n, web_off)}</option>
                    {SearchDepth::ALL
                        .into_iter()
                        .map(|depth| {
                            view! {
                                <option value=depth.as_str() selected=move || get().is_some_and(|x| x.web == Some(depth))>
                                    {move || crate::ui::search_options::depth_name(i18n.get_locale(), depth)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </td>
            <td>
                <select
                    aria-label=move || t_string!(i18n, config_assistant, n = n)
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        edit(&|d| d.preset = v.clone())
                    }
                >
                    {move || {
                        app.session
                            .presets
                            .with(|ps| preset::all(ps))
                            .into_iter()
                            .map(|p| {
                                let id = p.id.clone();
                                let chosen = move || {
                                    get().is_some_and(|x| x.preset == id || (x.preset.is_empty() && id == preset::IMAGE_QA_ID))
                                };
                                view! {
                                    <option value=p.id.clone() selected=chosen>
                                        {crate::ui::i18n::text::preset_name(i18n.get_locale(), &p)}
                                    </option>
                                }
                            })
                            .collect_view()
                    }}
                </select>
            </td>
            <td>
                {switch(Signal::derive(move || t_string!(i18n, config_wardrobe, n = n).to_string()), |d| &mut d.wardrobe)}
            </td>
            <td>
                <button
                    class="icon danger"
                    aria-label=move || t_string!(i18n, remove_configuration, n = n)
                    on:click=move |_| drafts.update(|d| d.retain(|x| x.n != n))
                >
                    "×"
                </button>
            </td>
        </tr>
    }
}
