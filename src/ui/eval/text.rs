//! Words for the evaluation's kinds (a refused file, why a run cannot start, what an estimate warns of), in
//! the chosen language, and the alert that shows the page's problem. Nothing here decides anything.

use crate::core::eval::estimate::EstimateNote;
use crate::core::eval::model::{CaseProblem, ImportRefusal};
use crate::core::eval::report::RunImportRefusal;
use crate::core::eval::schedule::FailureKind;
use crate::ui::eval::state::{use_eval, EvalProblem, StartProblem};
use crate::ui::i18n::{t, td_string, use_i18n, Locale};
use leptos::prelude::*;

pub fn case_problem(l: Locale, p: &CaseProblem) -> String {
    match p {
        CaseProblem::NoQuestion => td_string!(l, case_no_question).to_string(),
        CaseProblem::NoReference => td_string!(l, case_no_reference).to_string(),
        CaseProblem::NoImages => td_string!(l, case_no_images).to_string(),
        CaseProblem::TooManyImages { count } => {
            td_string!(l, case_too_many_images, max = crate::core::eval::model::MAX_CASE_IMAGES, count = count)
                .to_string()
        }
    }
}

pub fn import_refusal(l: Locale, r: &ImportRefusal) -> String {
    match r {
        ImportRefusal::NotJson => td_string!(l, import_not_json).to_string(),
        ImportRefusal::Foreign => td_string!(l, import_foreign).to_string(),
        ImportRefusal::NewerVersion { found } => td_string!(l, import_newer, found = found).to_string(),
        ImportRefusal::Malformed { detail } => td_string!(l, import_malformed, detail = detail).to_string(),
        ImportRefusal::NoCases => td_string!(l, import_no_cases).to_string(),
        ImportRefusal::TooManyCases { count } => td_string!(l, import_too_many_cases, count = count).to_string(),
        ImportRefusal::BadCase { case, problem } => {
            td_string!(l, import_bad_case, case = case, problem = case_problem(l, problem)).to_string()
        }
        ImportRefusal::BadImageData { case, name } => {
            td_string!(l, import_bad_image, case = case, name = name).to_string()
        }
        ImportRefusal::UnsupportedImage { case, name, mime } => {
            td_string!(l, import_unsupported_image, case = case, name = name, mime = mime).to_string()
        }
        ImportRefusal::TooLargeImage { case, name, bytes } => td_string!(
            l,
            import_large_image,
            case = case,
            name = name,
            size = crate::core::image_plan::human_bytes(*bytes as u64)
        )
        .to_string(),
    }
}

pub fn start_problem(l: Locale, p: StartProblem) -> &'static str {
    match p {
        StartProblem::NoKey => td_string!(l, start_no_key),
        StartProblem::NoSet => td_string!(l, start_no_set),
        StartProblem::NoConfig => td_string!(l, start_no_config),
        StartProblem::NoModel => td_string!(l, start_no_model),
        StartProblem::NoJudge => td_string!(l, start_no_judge),
        StartProblem::NoSearchKey => td_string!(l, start_no_search_key),
        StartProblem::EmptyWardrobe => td_string!(l, start_empty_wardrobe),
    }
}

pub fn estimate_note(l: Locale, n: &EstimateNote, label: &dyn Fn(&str) -> String) -> String {
    match n {
        EstimateNote::ImagesDearer { config_id, than } => {
            td_string!(l, estimate_images_dearer, config = label(config_id), than = label(than)).to_string()
        }
        EstimateNote::Unpriced { model } => td_string!(l, estimate_unpriced, model = model).to_string(),
    }
}

pub fn failure(l: Locale, f: &FailureKind) -> String {
    match f {
        FailureKind::InvalidKey => td_string!(l, api_invalid_key).to_string(),
        FailureKind::Forbidden => td_string!(l, api_forbidden).to_string(),
        FailureKind::NotFound => td_string!(l, api_not_found).to_string(),
        FailureKind::QuotaExceeded => td_string!(l, api_quota).to_string(),
        FailureKind::Rejected { status } => td_string!(l, api_rejected, status = status).to_string(),
        FailureKind::Refused => td_string!(l, failure_refused).to_string(),
        FailureKind::Unavailable => td_string!(l, failure_unavailable).to_string(),
        FailureKind::Unreadable => td_string!(l, failure_unreadable).to_string(),
        FailureKind::ImageMissing => td_string!(l, failure_image_missing).to_string(),
    }
}

pub fn run_import_refusal(l: Locale, r: &RunImportRefusal) -> String {
    match r {
        RunImportRefusal::NotJson => td_string!(l, import_not_json).to_string(),
        RunImportRefusal::Foreign => td_string!(l, import_foreign).to_string(),
        RunImportRefusal::NewerVersion { found } => td_string!(l, import_run_newer, found = found).to_string(),
        RunImportRefusal::Malformed { detail } => td_string!(l, import_run_malformed, detail = detail).to_string(),
        RunImportRefusal::Inconsistent { .. } => td_string!(l, import_run_inconsistent).to_string(),
    }
}

fn problem(l: Locale, p: &EvalProblem) -> String {
    match p {
        EvalProblem::Import(r) => import_refusal(l, r),
        EvalProblem::SampleNotInstalled { detail } => td_string!(l, sample_not_installed, detail = detail).to_string(),
        EvalProblem::File { name, detail } => {
            td_string!(l, eval_file_problem, name = name, detail = detail).to_string()
        }
        EvalProblem::Image { name, problem } => crate::ui::i18n::text::file_problem(l, problem, name),
        EvalProblem::RunImport(r) => run_import_refusal(l, r),
        EvalProblem::LastCase => td_string!(l, last_case).to_string(),
        EvalProblem::RunElsewhere => td_string!(l, run_elsewhere).to_string(),
        EvalProblem::CannotStart(p) => start_problem(l, *p).to_owned(),
    }
}

/// The page's problem, if there is one, as an alert the person can dismiss.
#[component]
pub fn Problem() -> impl IntoView {
    let eval = use_eval();
    let i18n = use_i18n();
    view! {
        {move || {
            eval.problem
                .get()
                .map(|p| {
                    view! {
                        <div class="alert" role="alert">
                            <span>{problem(i18n.get_locale(), &p)}</span>
                            <button class="icon" on:click=move |_| eval.problem.set(None)>
                                {t!(i18n, dismiss)}
                            </button>
                        </div>
                    }
                })
        }}
    }
}
