//! A run's report: the headline comparison of two chosen configurations, a table (named "Report") with one
//! row per configuration (every figure with its 95% interval, n, cost, latency), a bar chart of correctness
//! with its intervals and a cost-against-quality chart (inline SVG), the notes, judge–person agreement, the
//! exports, and each case in detail with a score the person can override.
//!
//! Every figure is `core::eval::report`'s; this view formats and draws them.

use crate::core::cost::format_usd;
use crate::core::eval::model::{version_key, TestSet};
use crate::core::eval::pairwise::tally;
use crate::core::eval::report::{
    bar_chart, build_report, compare, cost_quality_scatter, default_pair, result_status, Figure, Headline, Metric,
    Report, ReportNote, ResultStatus,
};
use crate::core::eval::run::{CaseResult, Run};
use crate::core::model::ContextUse;
use crate::ui::eval::controller;
use crate::ui::eval::setup::config_label;
use crate::ui::eval::state::use_eval;
use crate::ui::eval::text;
use crate::ui::i18n::{t, t_string, td_string, use_i18n, Locale};
use crate::ui::state::use_app_state;
use crate::ui::use_mounted::use_mounted;
use leptos::prelude::*;
use std::collections::HashSet;

/// A score with two decimals.
fn num(x: f64) -> String {
    format!("{x:.2}")
}

/// A figure as "0.86 (0.78–0.93)", or "–" when no case has it.
fn figure(f: &Figure) -> String {
    match (f.mean, f.ci) {
        (Some(m), Some(ci)) => format!("{} ({}–{})", num(m), num(ci.low), num(ci.high)),
        (Some(m), None) => num(m),
        _ => "–".to_owned(),
    }
}

fn ms(v: Option<f64>) -> String {
    v.map(|v| format!("{:.1} s", v / 1000.0)).unwrap_or_else(|| "–".to_owned())
}

fn metric_name(l: Locale, m: Metric) -> &'static str {
    match m {
        Metric::Correctness => td_string!(l, metric_correctness),
        Metric::Faithfulness => td_string!(l, metric_faithfulness),
        Metric::Recall => td_string!(l, metric_recall),
        Metric::Exact => td_string!(l, metric_exact),
        Metric::F1 => td_string!(l, metric_f1),
        Metric::RougeL => "ROUGE-L",
        Metric::Bleu => "BLEU-4",
        Metric::Chrf => "chrF",
    }
}

fn headline(l: Locale, h: &Headline, label: &dyn Fn(&str) -> String) -> String {
    let (a, b) = (label(&h.a), label(&h.b));
    let cost = h.cost_ratio.map(num).unwrap_or_else(|| td_string!(l, no_price).to_owned());
    if h.no_detectable_difference {
        td_string!(
            l,
            headline_same,
            a = a,
            b = b,
            ratio = num(h.correctness_ratio),
            low = num(h.ci.low),
            high = num(h.ci.high),
            cost = cost,
            n = h.n
        )
        .to_string()
    } else {
        td_string!(
            l,
            headline_reaches,
            a = a,
            b = b,
            ratio = num(h.correctness_ratio),
            low = num(h.ci.low),
            high = num(h.ci.high),
            cost = cost,
            n = h.n
        )
        .to_string()
    }
}

fn note(l: Locale, n: &ReportNote, label: &dyn Fn(&str) -> String) -> String {
    match n {
        ReportNote::MeteorOmitted => td_string!(l, note_meteor).to_string(),
        ReportNote::JudgePromptVersion { run, current } => {
            td_string!(l, note_prompt_version, run = run, current = current).to_string()
        }
        ReportNote::SetMismatch { .. } => td_string!(l, note_set_mismatch).to_string(),
        ReportNote::DuplicateConfig { config_id } => {
            td_string!(l, note_duplicate_config, config = config_id).to_string()
        }
        ReportNote::ResultsIgnored { count, .. } => td_string!(l, note_ignored, n = count).to_string(),
        ReportNote::JudgeSameFamily { config_id } => {
            td_string!(l, note_same_family, config = label(config_id)).to_string()
        }
        ReportNote::Unpriced { model } => td_string!(l, estimate_unpriced, model = model).to_string(),
        ReportNote::ResultsMissing { config_id, count } => {
            td_string!(l, note_missing, config = label(config_id), n = count).to_string()
        }
        ReportNote::Failed { config_id, count } => {
            td_string!(l, note_failed, config = label(config_id), n = count).to_string()
        }
        ReportNote::NotJudged { config_id, count } => {
            td_string!(l, note_not_judged, config = label(config_id), n = count).to_string()
        }
        ReportNote::JudgeFailed { config_id, count } => {
            td_string!(l, note_judge_failed, config = label(config_id), n = count).to_string()
        }
        ReportNote::JudgingUnfinished { config_id, count } => {
            td_string!(l, note_judging_unfinished, config = label(config_id), n = count).to_string()
        }
        ReportNote::FaithfulnessNotJudged { config_id, count } => {
            td_string!(l, note_faithfulness_not_judged, config = label(config_id), n = count).to_string()
        }
        ReportNote::CostIncomplete { config_id, count } => {
            td_string!(l, note_cost_incomplete, config = label(config_id), n = count).to_string()
        }
    }
}

/// The report of one run, once its results and set version are loaded.
#[component]
pub fn RunReport(run_id: String) -> impl IntoView {
    let eval = use_eval();
    let i18n = use_i18n();
    let id = StoredValue::new(run_id);
    let run = Memo::new(move |_| eval.run(&id.get_value()));
    let set = Memo::new(move |_| {
        let r = run.get()?;
        eval.set_versions.with(|m| m.get(&version_key(&r.set_id, r.set_version)).cloned())
    });
    // While this tab drives the run, the report is not built: its bootstraps and its cases took hundreds of
    // milliseconds at every result, so the page froze and the run itself went several times slower (the
    // answers wait for the main thread). It is built once the run stops, and follows overrides after that.
    let driving = Memo::new(move |_| eval.is_driving(&id.get_value()));
    let results =
        Memo::new(move |_| if driving.get() { None } else { eval.results.with(|m| m.get(&id.get_value()).cloned()) });
    let report = Memo::new(move |_| Some(build_report(&run.get()?, &set.get()?, &results.get()?)));
    // Which cases are open, kept here so that a change (an override) that redraws the report leaves them open.
    let open = RwSignal::new(HashSet::new());
    view! {
        {move || match (run.get(), set.get(), report.get()) {
            _ if driving.get() => view! { <p class="empty">{t!(i18n, report_while_running)}</p> }.into_any(),
            (Some(r), Some(s), Some(rep)) => view! { <Shown run=r set=s report=rep open=open /> }.into_any(),
            (Some(r), None, _) if eval.loaded.get() => {
                view! { <p class="empty">{t_string!(i18n, report_no_set, set = r.set_name.clone(), version = r.set_version)}</p> }.into_any()
            }
            _ => ().into_any(),
        }}
    }
}

#[component]
fn Shown(run: Run, set: TestSet, report: Report, open: RwSignal<HashSet<String>>) -> impl IntoView {
    let app = use_app_state();
    let eval = use_eval();
    let i18n = use_i18n();
    let run = StoredValue::new(run);
    let set = StoredValue::new(set);
    let rows = report.rows.clone();
    let labels: Vec<(String, String)> =
        run.get_value().configs.iter().map(|c| (c.id.clone(), config_label(c, i18n.get_locale_untracked()))).collect();
    let labels = StoredValue::new(labels);
    let label = move |id: &str| {
        labels.with_value(|l| l.iter().find(|(i, _)| i == id).map(|(_, n)| n.clone()).unwrap_or_else(|| id.to_owned()))
    };
    let pair = default_pair(&report).map(|(a, b)| (a.to_owned(), b.to_owned()));
    let a = RwSignal::new(pair.as_ref().map(|p| p.0.clone()).unwrap_or_default());
    let b = RwSignal::new(pair.as_ref().map(|p| p.1.clone()).unwrap_or_default());
    let results = move || eval.results.with(|m| m.get(&run.get_value().id).cloned().unwrap_or_default());
    let chosen = move || compare(&run.get_value(), &set.get_value(), &results(), &a.get(), &b.get());
    let options = move || {
        labels
            .get_value()
            .into_iter()
            .map(|(id, name)| view! { <option value=id.clone()>{name}</option> })
            .collect_view()
    };
    let run_id = run.get_value().id;
    let run_id2 = run_id.clone();
    let comparing = RwSignal::new(false);
    let agreement = report.agreement;
    let notes = report.notes.clone();
    let bars = bar_chart(&rows, Metric::Correctness);
    let scatter = cost_quality_scatter(&rows);
    let row_labels: Vec<String> = rows.iter().map(|r| label(&r.config_id)).collect();
    let row_labels2 = row_labels.clone();
    view! {
        <section class="eval-section report" aria-labelledby="report-heading">
            <h2 id="report-heading">{t!(i18n, report)}</h2>
            <p class="run-meta">{t_string!(i18n, report_meta, set = report.set_name.clone(), version = report.set_version, judge = report.judge_model.clone(), prompt = report.judge_prompt_version.clone(), cases = report.cases)}</p>
            <div class="headline-pick">
                <label>
                    {t!(i18n, compare_a)}
                    <select prop:value=move || a.get() on:change=move |ev| a.set(event_target_value(&ev))>{options}</select>
                </label>
                <label>
                    {t!(i18n, compare_b)}
                    <select prop:value=move || b.get() on:change=move |ev| b.set(event_target_value(&ev))>{options}</select>
                </label>
            </div>
            <p class="headline" role="status">
                {move || match chosen() {
                    Some(h) => headline(i18n.get_locale(), &h, &label),
                    None => t_string!(i18n, headline_none).to_owned(),
                }}
            </p>
            <div class="table-scroll">
                <table aria-label=move || t_string!(i18n, report)>
                    <thead>
                        <tr>
                            <th scope="col">{t!(i18n, configuration)}</th>
                            <th scope="col">"n"</th>
                            {Metric::ALL.into_iter().map(|m| view! { <th scope="col">{move || metric_name(i18n.get_locale(), m)}</th> }).collect_view()}
                            <th scope="col">{t!(i18n, cost_total)}</th>
                            <th scope="col">{t!(i18n, cost_per_case)}</th>
                            <th scope="col">{t!(i18n, latency_p50)}</th>
                            <th scope="col">{t!(i18n, latency_p95)}</th>
                            <th scope="col">{t!(i18n, not_judged)}</th>
                            <th scope="col">{t!(i18n, failed)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows
                            .iter()
                            .zip(row_labels.clone())
                            .map(|(r, name)| {
                                let money = |v: Option<f64>| v.map(format_usd).unwrap_or_else(|| "–".to_owned());
                                view! {
                                    <tr>
                                        <th scope="row">{name}</th>
                                        <td>{r.n}</td>
                                        {Metric::ALL.into_iter().map(|m| view! { <td>{figure(r.figure(m))}</td> }).collect_view()}
                                        <td>{money(r.cost.total_usd)}</td>
                                        <td>{money(r.cost.answer_per_case_usd)}</td>
                                        <td>{ms(r.total_ms.p50)}</td>
                                        <td>{ms(r.total_ms.p95)}</td>
                                        <td>{r.not_judged}</td>
                                        <td>{r.failed}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
            <div class="charts">
                <figure>
                    <svg viewBox="0 0 320 200" role="img" aria-label=move || t_string!(i18n, chart_correctness)>
                        <line x1="30" y1="170" x2="310" y2="170" class="axis" />
                        {bars
                            .iter()
                            .map(|bar| {
                                let (x, w) = (30.0 + bar.x * 280.0, bar.width * 280.0);
                                let h = bar.height * 150.0;
                                let whisker = bar.whisker_low.zip(bar.whisker_high).map(|(lo, hi)| {
                                    let cx = x + w / 2.0;
                                    view! { <line x1=cx x2=cx y1=170.0 - lo * 150.0 y2=170.0 - hi * 150.0 class="whisker" /> }
                                });
                                let label = row_labels2.get(bar.label_index).cloned().unwrap_or_default();
                                view! {
                                    <rect x=x y=170.0 - h width=w height=h class="bar"><title>{format!("{label}: {}", num(bar.value))}</title></rect>
                                    {whisker}
                                    <text x=x + w / 2.0 y="186" class="bar-label">{format!("{}", bar.label_index + 1)}</text>
                                    <text x=x + w / 2.0 y=165.0 - h class="bar-value">{num(bar.value)}</text>
                                }
                            })
                            .collect_view()}
                    </svg>
                    <figcaption>{t!(i18n, chart_correctness)}</figcaption>
                </figure>
                <figure>
                    <svg viewBox="0 0 320 200" role="img" aria-label=move || t_string!(i18n, chart_cost_quality)>
                        <line x1="30" y1="170" x2="310" y2="170" class="axis" />
                        <line x1="30" y1="20" x2="30" y2="170" class="axis" />
                        {scatter
                            .x_axis
                            .ticks
                            .iter()
                            .map(|t| view! { <text x=30.0 + t.at * 280.0 y="186" class="tick">{format_usd(t.value)}</text> })
                            .collect_view()}
                        {scatter
                            .points
                            .iter()
                            .map(|p| {
                                let (cx, cy) = (30.0 + p.x * 280.0, 170.0 - p.y * 150.0);
                                let whisker = p.y_low.zip(p.y_high).map(|(lo, hi)| view! { <line x1=cx x2=cx y1=170.0 - lo * 150.0 y2=170.0 - hi * 150.0 class="whisker" /> });
                                view! {
                                    {whisker}
                                    <circle cx=cx cy=cy r="5" class="point" />
                                    <text x=cx + 7.0 y=cy - 7.0 class="point-label">{format!("{}", p.config_index + 1)}</text>
                                }
                            })
                            .collect_view()}
                    </svg>
                    <figcaption>{t!(i18n, chart_cost_quality)}</figcaption>
                </figure>
                <ol class="chart-legend">{row_labels.iter().map(|n| view! { <li>{n.clone()}</li> }).collect_view()}</ol>
            </div>
            <div class="pairwise">
                <button
                    disabled=move || comparing.get() || chosen().is_none()
                    on:click=move |_| {
                        comparing.set(true);
                        let (x, y) = (a.get_untracked(), b.get_untracked());
                        let run_id = run.get_value().id;
                        leptos::task::spawn_local(async move {
                            controller::compare_pairwise(app, eval, run_id, x, y).await;
                            comparing.set(false);
                        });
                    }
                >
                    {t!(i18n, compare_pairwise)}
                </button>
                <Show when=move || comparing.get()>
                    <span role="status">{t!(i18n, pairwise_running)}</span>
                </Show>
                <p role="status">
                    {move || {
                        let outcomes = eval.run(&run.get_value().id).map(|r| r.pairwise).unwrap_or_default();
                        let (x, y) = (a.get(), b.get());
                        let t = tally(&outcomes, &x, &y);
                        (t.a_wins + t.b_wins + t.ties + t.not_judged > 0)
                            .then(|| {
                                t_string!(
                                    i18n,
                                    pairwise_result,
                                    a = label(&x),
                                    b = label(&y),
                                    a_wins = t.a_wins,
                                    b_wins = t.b_wins,
                                    ties = t.ties,
                                    position = t.position_ties,
                                    not_judged = t.not_judged
                                )
                                .to_string()
                            })
                    }}
                </p>
            </div>
            <p class="agreement">
                {move || match agreement {
                    Some(a) => t_string!(
                        i18n,
                        agreement,
                        n = a.n,
                        share = format!("{:.0}%", a.pass_agreement * 100.0),
                        kappa = a.kappa.map(num).unwrap_or_else(|| "–".to_owned())
                    )
                    .to_string(),
                    None => t_string!(i18n, agreement_none).to_owned(),
                }}
            </p>
            <ul class="notes">
                {notes.iter().map(|n| view! { <li>{note(i18n.get_locale_untracked(), n, &label)}</li> }).collect_view()}
            </ul>
            <div class="eval-actions">
                <button on:click=move |_| controller::export_run(eval, &run_id, true)>{t!(i18n, export_csv)}</button>
                <button on:click=move |_| controller::export_run(eval, &run_id2, false)>{t!(i18n, export_json)}</button>
            </div>
            <Cases run=run.get_value() set=set.get_value() app=app open=open />
        </section>
    }
}

/// Every case with each configuration's answer, verdict and metrics, and the person's score.
/// Cases the report's list mounts per task.
const CASES_PER_TASK: usize = 40;

#[component]
fn Cases(run: Run, set: TestSet, app: crate::ui::state::AppState, open: RwSignal<HashSet<String>>) -> impl IntoView {
    let eval = use_eval();
    let i18n = use_i18n();
    let run = StoredValue::new(run);
    let cases = StoredValue::new(set.cases);
    // The list is mounted a batch at a time after the figures above it, so the report's table shows at once and
    // no single task builds hundreds of cases.
    let mounted = use_mounted(move || cases.with_value(Vec::len), CASES_PER_TASK);
    view! {
        <h3>{t!(i18n, cases)}</h3>
        <ol class="cases">
            <For each=move || 0..mounted.get() key=|i| *i let:i>
                {
                    let case = cases.with_value(|c| c[i].clone());
                    let case_id = case.id.clone();
                    let reference = case.reference.clone();
                    let question = case.question.clone();
                    let images: Vec<(String, String)> = case.images.iter().map(|im| (im.id.clone(), im.name.clone())).collect();
                    let (id, id2) = (case.id.clone(), case.id.clone());
                    let is_open = Memo::new(move |_| open.with(|o| o.contains(&id)));
                    view! {
                        <li>
                            <details
                                prop:open=move || is_open.get()
                                on:toggle=move |ev| {
                                    let d: web_sys::HtmlDetailsElement = event_target(&ev);
                                    let now = d.open();
                                    if now != is_open.get_untracked() {
                                        open.update(|o| {
                                            if now {
                                                o.insert(id2.clone());
                                            } else {
                                                o.remove(&id2);
                                            }
                                        });
                                    }
                                }
                            >
                                <summary>{question}</summary>
                                <Show when=move || is_open.get()>
                                    <CaseImages images=images.clone() app=app />
                                </Show>
                                <p><strong>{t!(i18n, case_reference)}</strong>": "{reference}</p>
                                // Rendered only while open: a report of 200 cases × 4 configurations would otherwise
                                // build 800 answers with their score pickers at once.
                                {move || is_open.get().then(|| {
                                    let results: Vec<CaseResult> = eval.results.with(|m| {
                                        m.get(&run.get_value().id).map(|l| l.iter().filter(|r| r.case_id == case_id).cloned().collect()).unwrap_or_default()
                                    });
                                    run.get_value()
                                        .configs
                                        .iter()
                                        .map(|c| {
                                            let r = results.iter().find(|r| r.config_id == c.id).cloned();
                                            view! { <CaseResultView label=config_label(c, i18n.get_locale()) result=r index=i + 1 app=app /> }
                                        })
                                        .collect_view()
                                })}
                            </details>
                        </li>
                    }
                }
            </For>
        </ol>
    }
}

#[component]
fn CaseResultView(
    label: String,
    result: Option<CaseResult>,
    index: usize,
    app: crate::ui::state::AppState,
) -> impl IntoView {
    let eval = use_eval();
    let i18n = use_i18n();
    let Some(r) = result else {
        return view! { <div class="case-result"><h4>{label}</h4><p>{t!(i18n, not_yet)}</p></div> }.into_any();
    };
    let status = result_status(&r);
    let answer = r.answer.as_ref().map(|a| a.text.clone()).unwrap_or_default();
    let rationale = r.correctness.as_ref().and_then(|j| j.judgement.scored()).map(|v| v.rationale.clone());
    let judge = r.judge_score().map(num).unwrap_or_else(|| "–".to_owned());
    let faith = r.faithfulness_score().map(num);
    let scores = r.scores.map(|s| {
        format!(
            "EM {} · F1 {} · ROUGE-L {} · BLEU {} · chrF {}",
            num(s.exact),
            num(s.f1),
            num(s.rouge_l),
            num(s.bleu),
            num(s.chrf)
        )
    });
    let l = i18n.get_locale_untracked();
    let context: Vec<String> = r
        .answer
        .as_ref()
        .map(|a| {
            a.context
                .iter()
                .map(|c| match c.used {
                    ContextUse::Attached | ContextUse::Wardrobe => {
                        td_string!(l, context_as_picture, name = c.label.clone()).to_string()
                    }
                    ContextUse::Caption => td_string!(l, context_as_caption, name = c.label.clone()).to_string(),
                    ContextUse::Recalled => c.label.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    // What the web search gave the answer: the queries and the numbered results, as it saw them.
    let search = r.answer.as_ref().and_then(|a| a.search.as_deref().cloned()).map(|s| {
        let key = app.session.settings.with_untracked(|st| st.api_key.clone());
        let skipped = s.skipped().map(|k| crate::ui::i18n::text::search_skipped(l, k, &key));
        let results: Vec<String> = s
            .results
            .iter()
            .enumerate()
            .map(|(i, r)| format!("[{}] {} — {} ({})", i + 1, r.title, r.snippet, r.url))
            .collect();
        view! {
            <div class="case-search">
                <p>{t!(i18n, web_search_used)}": "{s.queries.join(" · ")}</p>
                {skipped.map(|t| view! { <p class="warning">{t}</p> })}
                <ol class="case-web-results">{results.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}</ol>
            </div>
        }
    });
    // The wardrobe items the answer carried, with the captions the prompt gave them (kept with the result, so
    // they show after an item has left the wardrobe).
    let worn: Vec<String> = r
        .answer
        .as_ref()
        .map(|a| {
            a.wardrobe
                .iter()
                .map(|w| match &w.caption {
                    Some(c) => format!("{} — {c}", w.name),
                    None => w.name.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let worn = (!worn.is_empty()).then(|| {
        view! {
            <div class="case-wardrobe">
                <p>{t!(i18n, wardrobe_used)}</p>
                <ul>{worn.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}</ul>
            </div>
        }
    });
    let status_text = match &status {
        ResultStatus::Failed(Some(k)) => text::failure(i18n.get_locale_untracked(), k),
        ResultStatus::Failed(None) => t_string!(i18n, answer_incomplete).to_owned(),
        ResultStatus::NotJudged => t_string!(i18n, not_judged).to_owned(),
        ResultStatus::JudgeFailed(k) => text::failure(i18n.get_locale_untracked(), k),
        _ => String::new(),
    };
    let (run_id, key) = (r.run_id.clone(), r.key());
    let human = r.human_tenths;
    let select_label = t_string!(i18n, your_score, case = index, config = label.clone()).to_string();
    view! {
        <div class="case-result">
            <h4>{label}</h4>
            {(!status_text.is_empty()).then(|| view! { <p class="warning">{status_text}</p> })}
            <blockquote class="answer">{answer}</blockquote>
            <p>{t_string!(i18n, judge_score, score = judge)}{rationale.map(|t| format!(" — {t}"))}</p>
            {faith.map(|f| view! { <p>{t_string!(i18n, faithfulness_score, score = f)}</p> })}
            {scores.map(|s| view! { <p class="metrics">{s}</p> })}
            {(!context.is_empty()).then(|| view! { <p class="context">{t!(i18n, context_used)}": "{context.join(", ")}</p> })}
            {search}
            {worn}
            <label>
                {select_label.clone()}
                <select
                    aria-label=select_label
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        let tenths = v.parse::<u8>().ok().filter(|t| *t <= 10);
                        controller::override_verdict(app, eval, run_id.clone(), key.clone(), tenths);
                    }
                >
                    <option value="" selected=human.is_none()>{t!(i18n, score_judge)}</option>
                    {(0..=10u8).map(|t| view! { <option value=t.to_string() selected=human == Some(t)>{num(f64::from(t) / 10.0)}</option> }).collect_view()}
                </select>
            </label>
        </div>
    }
    .into_any()
}

/// A case's pictures as stored, shown while its details are open.
#[component]
fn CaseImages(images: Vec<(String, String)>, app: crate::ui::state::AppState) -> impl IntoView {
    let urls: RwSignal<Vec<(String, String)>> = RwSignal::new(Vec::new());
    let wanted = images.clone();
    leptos::task::spawn_local(async move {
        let Some(db) = crate::ui::state::store(app) else { return };
        let mut out = Vec::new();
        for (id, name) in wanted {
            use crate::core::ports::TestSetRepo;
            if let Ok(Some(blob)) = db.eval_image(&id).await {
                if let Some(url) = crate::web::files::object_url(&blob) {
                    out.push((url, name));
                }
            }
        }
        urls.set(out);
    });
    on_cleanup(move || {
        for (url, _) in urls.get_untracked() {
            crate::web::files::revoke_object_url(&url);
        }
    });
    view! {
        <ul class="case-thumbs">
            {move || urls.get().into_iter().map(|(url, name)| view! { <li><img src=url alt=name.clone() title=name /></li> }).collect_view()}
        </ul>
    }
}
