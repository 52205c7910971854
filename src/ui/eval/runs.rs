//! The runs: each with its set and configurations, its progress (a bar with counts and time left), and
//! "Cancel run" / "Resume run"; and one run's page, its progress above its report.

use crate::core::eval::run::{Run, RunState};
use crate::core::eval::runner::stages_of;
use crate::core::eval::schedule::Progress;
use crate::core::route::Route;
use crate::ui::eval::controller;
use crate::ui::eval::setup::config_label;
use crate::ui::eval::state::use_eval;
use crate::ui::i18n::{t, t_string, text::wait, use_i18n};
use crate::ui::state::use_app_state;
use leptos::prelude::*;
use leptos_router::components::A;

/// Progress for a run: what this tab counts while driving it, else what its stored results say.
fn progress_of(run: &Run, live: Option<Progress>, results: Option<usize>, cases: Option<usize>) -> Option<Progress> {
    live.or_else(|| {
        let total = cases? * run.configs.len();
        let done = results?.min(total);
        Some(Progress {
            total_jobs: total,
            done,
            not_judged: 0,
            failed: 0,
            in_flight: 0,
            pending: total - done,
            eta_ms: None,
        })
    })
}

#[component]
pub fn Runs() -> impl IntoView {
    let eval = use_eval();
    let i18n = use_i18n();
    view! {
        <section class="eval-section" aria-labelledby="runs-heading">
            <h2 id="runs-heading">{t!(i18n, runs)}</h2>
            <Show when=move || eval.runs.with(Vec::is_empty)>
                <p class="empty">{t!(i18n, no_runs)}</p>
            </Show>
            <ul class="run-list">
                <For each=move || eval.runs.get() key=|r| r.id.clone() let:run>
                    <RunItem run_id=run.id />
                </For>
            </ul>
        </section>
    }
}

#[component]
fn RunItem(run_id: String) -> impl IntoView {
    let eval = use_eval();
    let i18n = use_i18n();
    let id = StoredValue::new(run_id);
    let run = Memo::new(move |_| eval.run(&id.get_value()));
    view! {
        {move || {
            run.get()
                .map(|r| {
                    let models = r
                        .configs
                        .iter()
                        .map(|c| config_label(c, i18n.get_locale()))
                        .collect::<Vec<_>>()
                        .join(" · ");
                    let href = Route::EvalRun(r.id.clone()).path();
                    let title = t_string!(i18n, run_title, set = r.set_name.clone(), version = r.set_version).to_string();
                    view! {
                        <li class="run-item">
                            <A href=href>{title}</A>
                            <span class="run-configs">{models}</span>
                            <RunProgress run_id=r.id.clone() />
                        </li>
                    }
                })
        }}
    }
}

/// A run's state, progress bar and counts, with Cancel run or Resume run.
#[component]
pub fn RunProgress(run_id: String) -> impl IntoView {
    let app = use_app_state();
    let eval = use_eval();
    let i18n = use_i18n();
    let id = StoredValue::new(run_id);
    let run = Memo::new(move |_| eval.run(&id.get_value()));
    let driving = move || eval.is_driving(&id.get_value());
    let progress = move || {
        let r = run.get()?;
        let live = eval.progress.with(|m| m.get(&r.id).cloned()).filter(|_| driving());
        let stages = |config_id: &str| r.configs.iter().find(|c| c.id == config_id).map(stages_of).unwrap_or_default();
        let results = eval
            .results
            .with(|m| m.get(&r.id).map(|list| list.iter().filter(|x| x.is_settled(&stages(&x.config_id))).count()));
        let cases = eval.set_of(&r.set_id).filter(|s| s.version == r.set_version).map(|s| s.cases.len());
        progress_of(&r, live, results, cases)
    };
    let state_text = move || match run.get().map(|r| r.state) {
        Some(RunState::Finished) => t_string!(i18n, run_finished),
        Some(RunState::Cancelled) => t_string!(i18n, run_cancelled),
        Some(RunState::Running) if driving() => t_string!(i18n, run_running),
        Some(RunState::Running) => t_string!(i18n, run_interrupted),
        None => "",
    };
    view! {
        <div class="run-progress">
            <span class="run-state">{state_text}</span>
            {move || {
                progress()
                    .map(|p| {
                        let settled = p.done + p.failed;
                        let left = p.eta_ms.filter(|_| driving() && settled < p.total_jobs).map(|ms| wait(i18n.get_locale(), ms as u64));
                        view! {
                            <progress
                                max=p.total_jobs.max(1)
                                value=settled
                                aria-label=move || t_string!(i18n, run_progress)
                            ></progress>
                            <span class="run-counts">
                                {t_string!(i18n, run_counts, done = settled, total = p.total_jobs)}
                                {(p.failed > 0).then(|| format!(" · {}", t_string!(i18n, run_failed_count, n = p.failed)))}
                                {(p.not_judged > 0).then(|| format!(" · {}", t_string!(i18n, run_not_judged_count, n = p.not_judged)))}
                                {left.map(|w| format!(" · {}", t_string!(i18n, run_time_left, wait = w)))}
                            </span>
                        }
                    })
            }}
            <Show when=move || driving() && run.get().is_some_and(|r| r.state == RunState::Running)>
                <button on:click=move |_| controller::cancel_run(eval, &id.get_value())>{t!(i18n, cancel_run)}</button>
            </Show>
            <Show when=move || !driving() && run.get().is_some_and(|r| r.can_resume())>
                <button on:click=move |_| controller::resume_run(app, eval, id.get_value())>{t!(i18n, resume_run)}</button>
            </Show>
            <Show when=move || !driving()>
                <button
                    class="danger"
                    on:click=move |_| {
                        if window().confirm_with_message(t_string!(i18n, confirm_delete_run)).unwrap_or(false) {
                            controller::delete_run(app, eval, id.get_value());
                        }
                    }
                >
                    {t!(i18n, delete_run)}
                </button>
            </Show>
        </div>
    }
}

/// One run: its progress, then its report.
#[component]
pub fn RunPage(id: String) -> impl IntoView {
    let app = use_app_state();
    let eval = use_eval();
    let i18n = use_i18n();
    let id = StoredValue::new(id);
    Effect::new(move |_| {
        if eval.loaded.get() {
            controller::open_results(app, eval, id.get_value());
        }
    });
    let run = Memo::new(move |_| eval.run(&id.get_value()));
    view! {
        {move || match run.get() {
            None if eval.loaded.get() => view! { <p class="empty" role="status">{t!(i18n, run_missing)}</p> }.into_any(),
            None => ().into_any(),
            Some(r) => {
                let title = t_string!(i18n, run_title, set = r.set_name.clone(), version = r.set_version).to_string();
                view! {
                    <section class="eval-section" aria-labelledby="run-heading">
                        <h2 id="run-heading">{title}</h2>
                        <p class="run-meta">
                            {t_string!(i18n, run_meta, judge = r.judge_model.clone(), prompt = r.judge_prompt_version.clone(), prices = r.prices.as_of.clone())}
                        </p>
                        <RunProgress run_id=r.id.clone() />
                    </section>
                    <crate::ui::eval::report::RunReport run_id=r.id.clone() />
                }
                    .into_any()
            }
        }}
    }
}
