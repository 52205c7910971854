//! Words for the core's kinds, in the chosen language. Each function takes the locale and the kind (and, for
//! anything a server said, the API key, which is masked before it is shown) and returns the sentence; nothing
//! here decides anything.

use super::{td_string, Locale};
use crate::core::cost::{format_usd, Spend};
use crate::core::eval::from_chat::AddProblem;
use crate::core::eval::model::{CaseProblem, MAX_CASE_IMAGES};
use crate::core::image_plan::{human_bytes, FileKind, Refusal, MAX_FILE_BYTES, MAX_PIXELS};
use crate::core::model::{AnswerError, BadCount, BaseUrlProblem, CountField};
use crate::core::notice::{Alert, FileProblem, Notice, SettingsVerdict};
use crate::core::openai::{redact, ApiError, MAX_RETRIES};
use crate::core::ports::StoreError;
use crate::core::preset::{Builtin, Preset, PresetProblem};
use crate::core::websearch::stage::KeyCheck;
use crate::core::websearch::tavily::SearchError;
use crate::core::websearch::Skip;

/// A wait as a person says it: "45 s" / "45초", "3 min" / "3분", "2 h" / "2시간".
pub fn wait(l: Locale, ms: u64) -> String {
    let s = ms.div_ceil(1000);
    if s < 120 {
        td_string!(l, wait_s, n = s).to_string()
    } else if s < 7200 {
        td_string!(l, wait_min, n = s.div_ceil(60)).to_string()
    } else {
        td_string!(l, wait_h, n = s.div_ceil(3600)).to_string()
    }
}

/// What went wrong talking to the API, with what the server said (the key masked).
pub fn api_error(l: Locale, e: &ApiError, key: &str) -> String {
    let said = |d: &Option<String>| match d {
        Some(d) if !d.trim().is_empty() => td_string!(l, server_said, text = redact(d.trim(), key)).to_string(),
        _ => String::new(),
    };
    let (text, detail): (String, &Option<String>) = match e {
        ApiError::InvalidKey { detail } => (td_string!(l, api_invalid_key).to_string(), detail),
        ApiError::Forbidden { detail } => (td_string!(l, api_forbidden).to_string(), detail),
        ApiError::NotFound { detail } => (td_string!(l, api_not_found).to_string(), detail),
        ApiError::RateLimited { detail, .. } => match e.wait_too_long() {
            Some(ms) => (td_string!(l, api_wait_long, wait = wait(l, ms)).to_string(), detail),
            None => (td_string!(l, api_rate_limited, n = MAX_RETRIES).to_string(), detail),
        },
        ApiError::QuotaExceeded { detail } => (td_string!(l, api_quota).to_string(), detail),
        ApiError::Rejected { status, detail } => (td_string!(l, api_rejected, status = status).to_string(), detail),
        ApiError::Server { status, detail } => (td_string!(l, api_server, status = status).to_string(), detail),
        ApiError::Unreachable { host } => return td_string!(l, api_unreachable, host = host).to_string(),
        ApiError::StreamCut => return td_string!(l, api_stream_cut).to_string(),
        ApiError::MalformedStream { detail } => {
            return td_string!(l, api_malformed, detail = redact(detail, key)).to_string();
        }
        ApiError::InStream { detail } => (td_string!(l, api_in_stream).to_string(), detail),
        ApiError::Aborted => return td_string!(l, api_aborted).to_string(),
        ApiError::Refused { reason } => return td_string!(l, api_refused, reason = redact(reason, key)).to_string(),
    };
    text + &said(detail)
}

/// Why an answer failed or stopped early, as stored with it.
pub fn answer_error(l: Locale, e: &AnswerError, key: &str) -> String {
    match e {
        AnswerError::Api { error } => api_error(l, error, key),
        AnswerError::PageClosed => td_string!(l, answer_page_closed).to_string(),
        AnswerError::Earlier { text } => redact(text, key),
    }
}

pub fn store_error(l: Locale, e: &StoreError) -> String {
    match e {
        StoreError::QuotaExceeded => td_string!(l, store_quota).to_string(),
        StoreError::VersionChanged => td_string!(l, store_version).to_string(),
        StoreError::Other(detail) => td_string!(l, store_other, detail = detail).to_string(),
    }
}

fn file_kind(l: Locale, kind: FileKind) -> &'static str {
    match kind {
        FileKind::IsoMedia => td_string!(l, kind_iso),
        FileKind::Markup => td_string!(l, kind_markup),
        FileKind::Pdf => td_string!(l, kind_pdf),
        FileKind::Bmp => td_string!(l, kind_bmp),
        FileKind::Tiff => td_string!(l, kind_tiff),
        FileKind::Zip => td_string!(l, kind_zip),
        FileKind::Ico => td_string!(l, kind_ico),
        FileKind::Unknown => td_string!(l, kind_unknown),
    }
}

/// Why a file was refused, naming it and saying what to do.
pub fn refusal(l: Locale, r: &Refusal, name: &str) -> String {
    match r {
        Refusal::Empty => td_string!(l, refusal_empty, name = name).to_string(),
        Refusal::TooLarge { bytes } => {
            td_string!(l, refusal_too_large, name = name, size = human_bytes(*bytes), max = human_bytes(MAX_FILE_BYTES))
                .to_string()
        }
        Refusal::TooManyPixels { width, height } => td_string!(
            l,
            refusal_pixels,
            name = name,
            width = width,
            height = height,
            mp = (*width as u64 * *height as u64 + 500_000) / 1_000_000,
            max = MAX_PIXELS / 1_000_000
        )
        .to_string(),
        Refusal::Heic => td_string!(l, refusal_heic, name = name).to_string(),
        Refusal::Avif => td_string!(l, refusal_avif, name = name).to_string(),
        Refusal::Svg => td_string!(l, refusal_svg, name = name).to_string(),
        Refusal::Unsupported { kind } => {
            td_string!(l, refusal_unsupported, name = name, kind = file_kind(l, *kind)).to_string()
        }
        Refusal::Corrupt => td_string!(l, refusal_corrupt, name = name).to_string(),
        Refusal::Undecodable => td_string!(l, refusal_undecodable, name = name).to_string(),
    }
}

pub fn file_problem(l: Locale, p: &FileProblem, name: &str) -> String {
    match p {
        FileProblem::Refused(r) => refusal(l, r, name),
        FileProblem::Unreadable { detail } => td_string!(l, file_unreadable, name = name, detail = detail).to_string(),
        FileProblem::NotConverted { detail } => {
            td_string!(l, file_not_converted, name = name, detail = detail).to_string()
        }
    }
}

fn count_field(l: Locale, f: CountField) -> &'static str {
    match f {
        CountField::HistoryBudget => td_string!(l, field_history_budget),
        CountField::EmbeddingDimensions => td_string!(l, field_dims),
        CountField::ImagesAttached => td_string!(l, field_k_images),
        CountField::MessagesRecalled => td_string!(l, field_k_messages),
        CountField::SearchResults => td_string!(l, search_max_results),
    }
}

/// The verdict of saving settings.
pub fn settings_verdict(l: Locale, v: &SettingsVerdict, key: &str) -> String {
    match v {
        SettingsVerdict::KeyWorks { models } => td_string!(l, v_key_works, n = models).to_string(),
        SettingsVerdict::ModelNotOffered { models, model } => {
            td_string!(l, v_model_not_offered, n = models, model = model).to_string()
        }
        SettingsVerdict::NoKey => td_string!(l, v_no_key).to_string(),
        SettingsVerdict::CheckFailed(e) => td_string!(l, v_check_failed, why = api_error(l, e, key)).to_string(),
        SettingsVerdict::BadCount(BadCount { field, text }) => {
            td_string!(l, v_bad_count, field = count_field(l, *field), text = text).to_string()
        }
        SettingsVerdict::BadBaseUrl(p) => match p {
            BaseUrlProblem::Scheme => td_string!(l, v_base_scheme),
            BaseUrlProblem::NoHost => td_string!(l, v_base_no_host),
            BaseUrlProblem::QueryOrFragment => td_string!(l, v_base_query),
            BaseUrlProblem::Credentials => td_string!(l, v_base_credentials),
        }
        .to_string(),
        SettingsVerdict::NoModel => td_string!(l, v_no_model).to_string(),
        SettingsVerdict::BadSearchProxy(p) => {
            let why = match p {
                BaseUrlProblem::Scheme => td_string!(l, v_base_scheme),
                BaseUrlProblem::NoHost => td_string!(l, v_base_no_host),
                BaseUrlProblem::QueryOrFragment => td_string!(l, v_base_query),
                BaseUrlProblem::Credentials => td_string!(l, v_base_credentials),
            };
            td_string!(l, v_bad_proxy, why = why).to_string()
        }
        SettingsVerdict::BadCreditPrice(text) => td_string!(l, v_bad_credit_price, text = text).to_string(),
        SettingsVerdict::Store(e) => store_error(l, e),
    }
}

/// A problem the person must see.
pub fn alert(l: Locale, a: &Alert, key: &str) -> String {
    match a {
        Alert::StorageUnavailable { detail } => td_string!(l, alert_storage_unavailable, detail = detail).to_string(),
        Alert::Store(e) => store_error(l, e),
        Alert::File { name, problem } => file_problem(l, problem, name),
        Alert::ImageNotStored { name, error } => {
            td_string!(l, alert_image_not_stored, name = name, why = store_error(l, error)).to_string()
        }
        Alert::CaptionFailed { name, error } => {
            td_string!(l, alert_caption_failed, name = name, why = api_error(l, error, key)).to_string()
        }
        Alert::CaptionNeedsKey => td_string!(l, alert_caption_needs_key).to_string(),
        Alert::StillPreparing => td_string!(l, alert_still_preparing).to_string(),
        Alert::NeedsKey => td_string!(l, alert_needs_key).to_string(),
        Alert::Answer(e) => api_error(l, e, key),
        Alert::ImageUnreadable { name, detail } => {
            td_string!(l, alert_image_unreadable, name = name, detail = detail).to_string()
        }
        Alert::MemoryNotSaved(e) => td_string!(l, alert_memory_not_saved, why = store_error(l, e)).to_string(),
    }
}

/// Passing information for the status line.
pub fn notice(l: Locale, n: &Notice, key: &str) -> String {
    match n {
        Notice::Welcome => td_string!(l, notice_welcome).to_string(),
        Notice::Retrying { attempt, of, wait_s } => {
            td_string!(l, notice_retrying, s = wait_s, attempt = attempt, of = of).to_string()
        }
        Notice::Trimmed { count } => td_string!(l, notice_trimmed, count = count).to_string(),
        Notice::QuestionByWords(e) => td_string!(l, notice_question_words, why = api_error(l, e, key)).to_string(),
        Notice::SearchByWords(e) => td_string!(l, notice_search_words, why = api_error(l, e, key)).to_string(),
        Notice::KeptCaption { name } => td_string!(l, notice_kept_caption, name = name).to_string(),
        Notice::MemoryRebuilt { detail } => td_string!(l, notice_memory_rebuilt, detail = detail).to_string(),
        Notice::MemoryResized { model, before, now } => {
            td_string!(l, notice_memory_resized, model = model, before = before, now = now).to_string()
        }
        Notice::MemoryIncomplete { left, error } => {
            td_string!(l, notice_memory_incomplete, left = left, why = api_error(l, error, key)).to_string()
        }
        Notice::Settings(v) => settings_verdict(l, v, key),
        Notice::CaseAdded { set, version, cases } => {
            td_string!(l, notice_case_added, set = set, version = version, cases = cases).to_string()
        }
        Notice::WardrobeAdded { name } => td_string!(l, notice_wardrobe_added, name = name).to_string(),
        Notice::WardrobeAlready { name, kept } => {
            td_string!(l, notice_wardrobe_already, name = name, kept = kept).to_string()
        }
    }
}

// Cost in the chat and "Add to test set" (issue 10).

/// The price of one answer beside its tokens: dollars, or "no price" (never $0 for a model the table does
/// not know).
pub fn answer_cost(l: Locale, usd: Option<f64>) -> String {
    match usd {
        Some(usd) => format_usd(usd),
        None => td_string!(l, cost_no_price).to_string(),
    }
}

/// A chat's running total; `None` while none of its answers has reported tokens.
pub fn chat_cost(l: Locale, spend: &Spend) -> Option<String> {
    let usd = format_usd(spend.usd);
    Some(match (spend.priced, spend.unpriced) {
        (0, 0) => return None,
        (0, n) => td_string!(l, chat_cost_none, n = n).to_string(),
        (_, 0) => td_string!(l, chat_cost, usd = usd).to_string(),
        (_, n) => td_string!(l, chat_cost_partial, usd = usd, n = n).to_string(),
    })
}

/// What the answers of every chat in this browser cost, at the prices of `as_of`.
pub fn browser_cost(l: Locale, spend: &Spend, as_of: &str) -> String {
    let usd = format_usd(spend.usd);
    match (spend.priced, spend.unpriced) {
        (0, 0) => td_string!(l, spent_nothing).to_string(),
        (0, n) => td_string!(l, spent_none_priced, n = n).to_string(),
        (n, 0) => td_string!(l, spent_total, usd = usd, n = n, date = as_of).to_string(),
        (n, u) => td_string!(l, spent_partial, usd = usd, n = n, date = as_of, unpriced = u).to_string(),
    }
}

/// Why a case was not added to a test set.
pub fn add_problem(l: Locale, p: &AddProblem) -> String {
    match p {
        AddProblem::Case(CaseProblem::NoQuestion) => td_string!(l, case_no_question).to_string(),
        AddProblem::Case(CaseProblem::NoReference) => td_string!(l, case_no_reference).to_string(),
        AddProblem::Case(CaseProblem::NoImages) => td_string!(l, case_no_images).to_string(),
        AddProblem::Case(CaseProblem::TooManyImages { count }) => {
            td_string!(l, case_too_many_images, max = MAX_CASE_IMAGES, count = count).to_string()
        }
        AddProblem::NoSetName => td_string!(l, case_no_set_name).to_string(),
        AddProblem::SetGone => td_string!(l, case_set_gone).to_string(),
        AddProblem::ImageGone { name } => td_string!(l, case_image_gone, name = name).to_string(),
        AddProblem::Store(e) => td_string!(l, case_not_saved, why = store_error(l, e)).to_string(),
    }
}

/// Why a web search gave no results, with what Tavily said when it said something.
pub fn search_error(l: Locale, e: &SearchError) -> String {
    let mut text = match e {
        SearchError::NoKey => td_string!(l, web_skip_no_key).to_string(),
        SearchError::BadRequest { .. } => td_string!(l, web_err_bad_request).to_string(),
        SearchError::InvalidKey { .. } => td_string!(l, web_err_invalid_key).to_string(),
        SearchError::Forbidden { .. } => td_string!(l, web_err_forbidden).to_string(),
        SearchError::RateLimited { .. } => td_string!(l, web_err_rate_limited).to_string(),
        SearchError::PlanLimit { .. } => td_string!(l, web_err_plan_limit).to_string(),
        SearchError::PayGoLimit { .. } => td_string!(l, web_err_paygo_limit).to_string(),
        SearchError::Server { status, .. } => td_string!(l, web_err_server, status = status).to_string(),
        SearchError::Rejected { status, .. } => td_string!(l, web_err_rejected, status = status).to_string(),
        SearchError::Timeout => td_string!(l, web_err_timeout).to_string(),
        SearchError::Blocked { host } => td_string!(l, web_err_blocked, host = host).to_string(),
        SearchError::Malformed { .. } => td_string!(l, web_err_malformed).to_string(),
    };
    // A malformed body's parser message is for logs; what a server said is worth showing.
    if let Some(detail) = e.detail().filter(|_| !matches!(e, SearchError::Malformed { .. })) {
        text.push_str(&td_string!(l, web_server_said, detail = detail));
    }
    text
}

/// Why an answer went without web search ("Answered without web search: …").
pub fn search_skipped(l: Locale, skip: &Skip, key: &str) -> String {
    let reason = match skip {
        Skip::NoKey => td_string!(l, web_skip_no_key).to_string(),
        Skip::PlanFailed(e) => td_string!(l, web_skip_plan_failed, reason = api_error(l, e, key)).to_string(),
        Skip::PlanUnreadable(_) => td_string!(l, web_skip_plan_unreadable).to_string(),
        Skip::Search(e) => search_error(l, e),
        Skip::Interrupted => td_string!(l, web_skip_interrupted).to_string(),
    };
    td_string!(l, web_skipped, reason = reason).to_string()
}

/// A count of credits as Tavily reports them (whole, or with the decimals it gave).
pub fn credits(credits: f64) -> String {
    if credits.fract() == 0.0 {
        format!("{credits:.0}")
    } else {
        format!("{credits}")
    }
}

/// What checking the Tavily key found.
pub fn tavily_check(l: Locale, c: &KeyCheck) -> String {
    match c {
        KeyCheck::NotSet => td_string!(l, tavily_not_set).to_string(),
        KeyCheck::Works { used: Some(used), limit: Some(limit) } => {
            td_string!(l, tavily_works_usage, used = used, limit = limit).to_string()
        }
        KeyCheck::Works { .. } => td_string!(l, tavily_works).to_string(),
        KeyCheck::Failed(e) => td_string!(l, tavily_failed, why = search_error(l, e)).to_string(),
    }
}

/// A built-in assistant's name.
pub fn builtin_name(l: Locale, b: Builtin) -> &'static str {
    match b {
        Builtin::ImageQa => td_string!(l, preset_image_qa),
        Builtin::StyleAdvisor => td_string!(l, preset_style_advisor),
    }
}

/// What a built-in assistant does, in a sentence.
pub fn builtin_about(l: Locale, b: Builtin) -> &'static str {
    match b {
        Builtin::ImageQa => td_string!(l, preset_image_qa_about),
        Builtin::StyleAdvisor => td_string!(l, preset_style_advisor_about),
    }
}

/// An assistant's name: a built-in one's in the chosen language, the person's own as they wrote it.
pub fn preset_name(l: Locale, p: &Preset) -> String {
    match p.builtin {
        Some(b) => builtin_name(l, b).to_owned(),
        None => p.name.clone(),
    }
}

/// The built-in assistants' names in every language, which the person's own cannot take.
pub fn builtin_names() -> Vec<&'static str> {
    let locales = crate::core::model::Language::ALL.map(super::locale);
    locales.into_iter().flat_map(|l| Builtin::ALL.map(|b| builtin_name(l, b))).collect()
}

/// The name of a copy of the assistant named `name`: the first copy, then the `n`th.
pub fn copy_name(l: Locale, name: &str, n: u32) -> String {
    if n <= 1 {
        td_string!(l, preset_copy_name, name = name).to_string()
    } else {
        td_string!(l, preset_copy_name_n, name = name, n = n).to_string()
    }
}

/// What is wrong with an edited assistant.
pub fn preset_problem(l: Locale, p: &PresetProblem) -> String {
    match p {
        PresetProblem::Builtin => td_string!(l, preset_problem_builtin).to_string(),
        PresetProblem::EmptyName => td_string!(l, preset_name_empty).to_string(),
        PresetProblem::NameTooLong { max } => td_string!(l, preset_name_too_long, max = max).to_string(),
        PresetProblem::NameTaken { name } => td_string!(l, preset_name_taken, name = name).to_string(),
        PresetProblem::EmptyPrompt => td_string!(l, preset_prompt_empty).to_string(),
        PresetProblem::PromptTooLong { max } => td_string!(l, preset_prompt_too_long, max = max).to_string(),
    }
}
