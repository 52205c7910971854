//! A run's exports: a CSV table with one row per result, for spreadsheets and notebooks, and a versioned JSON
//! file of the run and its results that another Boda imports whole, to read the same report.
//!
//! Both write the results a report counts (this run's, of a known configuration, the first for each
//! configuration and case; the CSV also needs the case in the set), so that what is exported is what was
//! reported. The CSV follows RFC 4180 (fields quoted when they hold a quote, comma or line break, quotes
//! doubled, CRLF line ends) and guards against formula injection: a cell that begins with `=`, `+`, `-`,
//! `@`, a tab or a carriage return gets a leading `'`, so that a spreadsheet shows the text instead of running
//! it (OWASP's advice). It has no byte-order mark; an adapter that wants Excel to read it as UTF-8 (Korean
//! text) prepends U+FEFF when it writes the file.
//!
//! The JSON import is all or nothing: [`from_json`] refuses a file with a typed reason before anything is
//! stored. Numbers are written by serde_json as the shortest text that reads back to the same double, and read
//! back correctly rounded (its `float_roundtrip` feature), so a run exported and imported gives the same
//! report to the last bit. A number that is not finite (which Boda never stores) would be written as `null`,
//! and such a file is refused as malformed. Nothing here reads or writes files.

use super::{result_status, Grid, ResultStatus};
use crate::core::eval::model::TestSet;
use crate::core::eval::run::{CaseResult, Run};
use crate::core::eval::schedule::FailureKind;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// What the `format` field of an exported run says.
pub const RUN_EXPORT_FORMAT: &str = "boda-run";
/// The version of the exported run's layout this build writes and reads.
pub const RUN_EXPORT_VERSION: u32 = 1;

/// The CSV's columns, in order; the first line of every export.
pub const CSV_COLUMNS: [&str; 34] = [
    "run_id",
    "set_version",
    "config_id",
    "model",
    "detail",
    "retrieval_k",
    "web_search",
    "assistant",
    "wardrobe",
    "case_id",
    "tags",
    "question",
    "reference",
    "answer",
    "status",
    "failure",
    "judge_correctness",
    "human_correctness",
    "correctness",
    "faithfulness",
    "recall",
    "exact",
    "f1",
    "rouge_l",
    "bleu",
    "chrf",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
    "search_credits",
    "judge_cost_usd",
    "first_token_ms",
    "total_ms",
    "judge_rationale",
];

/// The CSV export of `run`'s results on `set`: a header line ([`CSV_COLUMNS`]), then one line per counted
/// result, configuration by configuration in the run's order and case by case in the set's.
///
/// Cells: scores from 0 to 1 and costs in US dollars as the shortest decimal that reads back exactly; empty
/// where there is no value. `status` is one of `pending`, `failed`, `answered` (not yet judged), `judged`,
/// `not_judged` and `judge_failed`; `failure` says why a failed answer or verdict failed (`invalid_key`,
/// `forbidden`, `not_found`, `quota_exceeded`, `rejected_<status>`, `refused`, `unavailable`, `unreadable`, or
/// `incomplete` for an answer that stopped early). `tags` are joined with `; `. `cost_usd` is the answer's,
/// `judge_cost_usd` that of its verdicts together; `judge_correctness` the judge's score, `human_correctness`
/// a person's, `correctness` the one the report uses. `web_search` is the configuration's search depth (empty
/// without search), `assistant` its assistant (a built-in one by its id, the person's own by name; empty for
/// Image Q&A), `wardrobe` `true` or `false`, and `search_credits` the Tavily credits the answer's search used.
pub fn to_csv(run: &Run, set: &TestSet, results: &[CaseResult]) -> String {
    let grid = Grid::new(run, &set.cases, results);
    let mut out = String::new();
    line(&mut out, CSV_COLUMNS.iter().map(|c| c.to_string()));
    for (config, cells) in grid.configs.iter().zip(&grid.cells) {
        for (case, r) in grid.cases.iter().zip(cells) {
            let Some(r) = r else { continue };
            let status = result_status(r);
            let answer = r.answer.as_ref();
            let usage = answer.and_then(|a| a.usage.as_ref());
            let rationale = r.correctness.as_ref().and_then(|j| j.judgement.scored()).map(|v| v.rationale.clone());
            let cells = [
                run.id.clone(),
                run.set_version.to_string(),
                config.id.clone(),
                config.model.clone(),
                config.detail.as_str().to_owned(),
                config.retrieval.map(|k| k.to_string()).unwrap_or_default(),
                config.web.map(|d| d.as_str().to_owned()).unwrap_or_default(),
                config
                    .preset
                    .as_ref()
                    .map(|p| if p.builtin.is_some() { p.id.clone() } else { p.name.clone() })
                    .unwrap_or_default(),
                config.wardrobe.to_string(),
                case.id.clone(),
                case.tags.join("; "),
                case.question.clone(),
                case.reference.clone(),
                answer.map(|a| a.text.clone()).unwrap_or_default(),
                status_token(&status).to_owned(),
                failure_token(&status),
                number(r.judge_score()),
                number(r.human_tenths.map(|t| f64::from(t.min(10)) / 10.0)),
                number(r.correctness_score()),
                number(r.faithfulness_score()),
                number(r.recall),
                number(r.scores.map(|s| s.exact)),
                number(r.scores.map(|s| s.f1)),
                number(r.scores.map(|s| s.rouge_l)),
                number(r.scores.map(|s| s.bleu)),
                number(r.scores.map(|s| s.chrf)),
                usage.map(|u| u.prompt_tokens.to_string()).unwrap_or_default(),
                usage.map(|u| u.completion_tokens.to_string()).unwrap_or_default(),
                number(r.answer_cost_usd),
                number(answer.and_then(|a| a.search.as_ref()).map(|s| s.credits)),
                number(super::judging_cost(r).filter(|_| r.correctness.is_some() || r.faithfulness.is_some())),
                number(answer.and_then(|a| a.first_token_ms)),
                number(answer.map(|a| a.total_ms)),
                rationale.unwrap_or_default(),
            ];
            line(&mut out, cells.into_iter());
        }
    }
    out
}

fn status_token(status: &ResultStatus) -> &'static str {
    match status {
        ResultStatus::Pending => "pending",
        ResultStatus::Failed(_) => "failed",
        ResultStatus::Answered => "answered",
        ResultStatus::Judged => "judged",
        ResultStatus::NotJudged => "not_judged",
        ResultStatus::JudgeFailed(_) => "judge_failed",
    }
}

fn failure_token(status: &ResultStatus) -> String {
    let kind = match status {
        ResultStatus::Failed(None) => return "incomplete".to_owned(),
        ResultStatus::Failed(Some(kind)) | ResultStatus::JudgeFailed(kind) => kind,
        _ => return String::new(),
    };
    match kind {
        FailureKind::InvalidKey => "invalid_key".to_owned(),
        FailureKind::Forbidden => "forbidden".to_owned(),
        FailureKind::NotFound => "not_found".to_owned(),
        FailureKind::QuotaExceeded => "quota_exceeded".to_owned(),
        FailureKind::Rejected { status } => format!("rejected_{status}"),
        FailureKind::Refused => "refused".to_owned(),
        FailureKind::Unavailable => "unavailable".to_owned(),
        FailureKind::Unreadable => "unreadable".to_owned(),
        FailureKind::ImageMissing => "image_missing".to_owned(),
    }
}

/// A number's cell: Rust's shortest round-trip decimal (never an exponent), or empty.
fn number(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite()).map(|v| v.to_string()).unwrap_or_default()
}

/// One CSV line of `cells`, each guarded and quoted, ended with CRLF.
fn line(out: &mut String, cells: impl Iterator<Item = String>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_cell(out, &cell);
    }
    out.push_str("\r\n");
}

/// A cell as RFC 4180 writes it, after the formula-injection guard.
fn push_cell(out: &mut String, cell: &str) {
    let guard = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = cell.contains(['"', ',', '\r', '\n']);
    if quote {
        out.push('"');
    }
    if guard {
        out.push('\'');
    }
    if quote {
        out.push_str(&cell.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(cell);
    }
}

#[derive(Serialize)]
struct RunFileOut<'a> {
    format: &'static str,
    version: u32,
    run: &'a Run,
    results: Vec<&'a CaseResult>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunFileIn {
    #[allow(dead_code)]
    format: String,
    #[allow(dead_code)]
    version: u32,
    run: Run,
    #[serde(default)]
    results: Vec<CaseResult>,
}

/// The JSON export of `run` and its results: `{"format": "boda-run", "version": 1, "run": …, "results": […]}`,
/// the run and each result in their stored form. Only results a report would count are written (this run's,
/// of a known configuration, the first for each configuration and case), in the order given, so that the file
/// always imports; the set is not in it (a set is exported on its own, with its images).
pub fn to_json(run: &Run, results: &[CaseResult]) -> String {
    let configs: HashSet<&str> = run.configs.iter().map(|c| c.id.as_str()).collect();
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    let kept = results
        .iter()
        .filter(|r| {
            r.run_id == run.id
                && configs.contains(r.config_id.as_str())
                && seen.insert((r.config_id.as_str(), r.case_id.as_str()))
        })
        .collect();
    let file = RunFileOut { format: RUN_EXPORT_FORMAT, version: RUN_EXPORT_VERSION, run, results: kept };
    // Serialising these types cannot fail: every map key is a string and every value a plain type.
    serde_json::to_string_pretty(&file).unwrap_or_default()
}

/// What is wrong with a run file whose parts each read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inconsistency {
    /// The run lists a configuration id twice.
    DuplicateConfig { config_id: String },
    /// A result belongs to another run.
    OtherRun { run_id: String },
    /// A result's configuration is not one of the run's.
    UnknownConfig { config_id: String },
    /// Two results for the same configuration and case.
    DuplicateResult { config_id: String, case_id: String },
}

/// Why a run file is refused. Nothing of a refused file is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunImportRefusal {
    /// The file is not JSON at all.
    NotJson,
    /// JSON, but not an exported run (another app's file, or a Boda test set).
    Foreign,
    /// A run written by a newer Boda, in a layout this one does not know.
    NewerVersion { found: u32 },
    /// A run file, but a field is missing, mistyped or unknown; `detail` is the parser's (technical) words.
    Malformed { detail: String },
    /// Every part reads, but they do not fit together.
    Inconsistent { problem: Inconsistency },
}

/// Reads an exported run, all or nothing: the run and its results as they were written.
pub fn from_json(text: &str) -> Result<(Run, Vec<CaseResult>), RunImportRefusal> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|_| RunImportRefusal::NotJson)?;
    if value.get("format").and_then(|f| f.as_str()) != Some(RUN_EXPORT_FORMAT) {
        return Err(RunImportRefusal::Foreign);
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v > u64::from(RUN_EXPORT_VERSION) => {
            return Err(RunImportRefusal::NewerVersion { found: u32::try_from(v).unwrap_or(u32::MAX) })
        }
        Some(_) => {}
        None => return Err(RunImportRefusal::Malformed { detail: "version".to_owned() }),
    }
    let file: RunFileIn =
        serde_json::from_value(value).map_err(|e| RunImportRefusal::Malformed { detail: e.to_string() })?;
    let inconsistent = |problem| Err(RunImportRefusal::Inconsistent { problem });
    let mut configs: HashSet<&str> = HashSet::new();
    for c in &file.run.configs {
        if !configs.insert(&c.id) {
            return inconsistent(Inconsistency::DuplicateConfig { config_id: c.id.clone() });
        }
    }
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    for r in &file.results {
        if r.run_id != file.run.id {
            return inconsistent(Inconsistency::OtherRun { run_id: r.run_id.clone() });
        }
        if !configs.contains(r.config_id.as_str()) {
            return inconsistent(Inconsistency::UnknownConfig { config_id: r.config_id.clone() });
        }
        if !seen.insert((&r.config_id, &r.case_id)) {
            return inconsistent(Inconsistency::DuplicateResult {
                config_id: r.config_id.clone(),
                case_id: r.case_id.clone(),
            });
        }
    }
    Ok((file.run, file.results))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{build_report, build_report_with, Bootstrap, REPORT_SEED};
    use super::*;
    use crate::core::eval::schedule::{JobKey, Stage, StageRecord};

    /// Reads RFC 4180 text back into rows of cells (quoted fields, doubled quotes, CRLF line ends).
    fn read_csv(text: &str) -> Vec<Vec<String>> {
        let mut rows = Vec::new();
        let (mut row, mut cell) = (Vec::new(), String::new());
        let mut chars = text.chars().peekable();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                (true, '"') => quoted = false,
                (true, c) => cell.push(c),
                (false, '"') if cell.is_empty() => quoted = true,
                (false, ',') => row.push(std::mem::take(&mut cell)),
                (false, '\r') if chars.peek() == Some(&'\n') => {
                    chars.next();
                    row.push(std::mem::take(&mut cell));
                    rows.push(std::mem::take(&mut row));
                }
                (false, c) => cell.push(c),
            }
        }
        assert!(!quoted && row.is_empty() && cell.is_empty(), "the text ends inside a line");
        rows
    }

    fn column(name: &str) -> usize {
        CSV_COLUMNS.iter().position(|c| *c == name).unwrap()
    }

    #[test]
    fn csv_has_a_row_per_counted_result_in_report_order() {
        let set = set(3);
        let run = run(vec![config("mini", "gpt-4o-mini", Some(2)), config("4o", "gpt-4o", None)]);
        let mut results = vec![
            result(&run, &run.configs[1], &set.cases[2], Some(7)),
            result(&run, &run.configs[0], &set.cases[1], None),
            result(&run, &run.configs[0], &set.cases[0], Some(10)),
        ];
        results[2].human_tenths = Some(9);
        let mut failed = CaseResult::new(&run.id, &JobKey::new("c0", "4o"));
        failed.settle(Stage::Answer, StageRecord::Failed(FailureKind::Rejected { status: 413 }));
        results.push(failed);
        let mut foreign = results[0].clone();
        foreign.run_id = "other".into();
        results.push(foreign);
        let rows = read_csv(&to_csv(&run, &set, &results));
        assert_eq!(rows[0], CSV_COLUMNS);
        assert_eq!(rows.len(), 5, "a header and four results; the other run's is left out");
        assert!(rows.iter().all(|r| r.len() == CSV_COLUMNS.len()));
        let cell = |row: usize, name: &str| rows[row][column(name)].as_str();
        let order: Vec<(&str, &str)> = (1..5).map(|i| (cell(i, "config_id"), cell(i, "case_id"))).collect();
        assert_eq!(order, [("mini", "c0"), ("mini", "c1"), ("4o", "c0"), ("4o", "c2")]);
        // The judged and overridden case.
        assert_eq!(
            (cell(1, "run_id"), cell(1, "set_version"), cell(1, "detail"), cell(1, "retrieval_k")),
            ("run1", "3", "low", "2")
        );
        assert_eq!(
            (cell(1, "status"), cell(1, "judge_correctness"), cell(1, "human_correctness")),
            ("judged", "1", "0.9")
        );
        assert_eq!((cell(1, "correctness"), cell(1, "exact"), cell(1, "recall")), ("0.9", "1", "1"));
        assert_eq!((cell(1, "tags"), cell(1, "prompt_tokens"), cell(1, "completion_tokens")), ("ko", "1000", "100"));
        assert_eq!((cell(1, "first_token_ms"), cell(1, "total_ms")), ("900", "1500"));
        assert_eq!(cell(1, "judge_rationale"), "Counts match.");
        let cost: f64 = cell(1, "cost_usd").parse().unwrap();
        assert_eq!(Some(cost), results[2].answer_cost_usd, "costs read back exactly");
        assert_eq!(cell(1, "faithfulness").parse::<f64>().unwrap(), 2.0 / 3.0);
        // Not judged, failed, and a case with two tags.
        assert_eq!((cell(2, "status"), cell(2, "correctness"), cell(2, "judge_rationale")), ("not_judged", "", ""));
        assert_eq!((cell(2, "tags"), cell(2, "question")), ("en; count", "How many squares are in picture 1?"));
        assert_eq!(
            (cell(3, "status"), cell(3, "failure"), cell(3, "answer"), cell(3, "cost_usd")),
            ("failed", "rejected_413", "", "")
        );
        assert_eq!((cell(4, "retrieval_k"), cell(4, "faithfulness"), cell(4, "recall")), ("", "", ""));
        assert_eq!(
            (cell(1, "web_search"), cell(1, "assistant"), cell(1, "wardrobe"), cell(1, "search_credits")),
            ("", "", "false", "")
        );
    }

    #[test]
    fn csv_names_a_configurations_search_assistant_and_wardrobe_and_the_credits_used() {
        use crate::core::eval::answer::RunConfig;
        use crate::core::websearch::{tavily::SearchDepth, SearchState, WebSearch};
        let set = set(1);
        let stylist = crate::core::preset::Builtin::StyleAdvisor.preset();
        let own = crate::core::preset::Preset { name: "Mein Stil".into(), builtin: None, ..stylist.clone() };
        let mut run = run(vec![config("a", "gpt-4o-mini", None), config("b", "gpt-4o-mini", None)]);
        run.configs[0] = RunConfig {
            web: Some(SearchDepth::Advanced),
            preset: Some(stylist),
            wardrobe: true,
            ..run.configs[0].clone()
        };
        run.configs[1] = RunConfig { preset: Some(own), ..run.configs[1].clone() };
        let mut searched = result(&run, &run.configs[0], &set.cases[0], Some(10));
        let search =
            WebSearch { state: SearchState::Done, credits: 2.0, ..WebSearch::start(Some(vec!["red scarf".into()])) };
        searched.answer.as_mut().unwrap().search = Some(Box::new(search));
        let plain = result(&run, &run.configs[1], &set.cases[0], Some(10));
        let rows = read_csv(&to_csv(&run, &set, &[searched, plain]));
        let cells = |row: usize| {
            ["web_search", "assistant", "wardrobe", "search_credits"].map(|name| rows[row][column(name)].clone())
        };
        assert_eq!(cells(1), ["advanced", "style-advisor", "true", "2"]);
        assert_eq!(cells(2), ["", "Mein Stil", "false", ""]);
    }

    #[test]
    fn csv_quotes_what_needs_it_and_disarms_formulas() {
        let mut set = set(1);
        let run = run(vec![config("mini", "gpt-4o-mini", None)]);
        let cases = [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("a, \"b\"\nc", "a, \"b\"\nc"),
            ("사진 속 \"행복빵집\"", "사진 속 \"행복빵집\""),
            ("a=b", "a=b"),
        ];
        for (text, expected) in cases {
            set.cases[0].question = text.into();
            let csv = to_csv(&run, &set, &[result(&run, &run.configs[0], &set.cases[0], Some(5))]);
            let rows = read_csv(&csv);
            assert_eq!(rows.len(), 2, "{csv}");
            assert_eq!(rows[1][column("question")], expected);
        }
        // Exactly as RFC 4180 writes it.
        let mut out = String::new();
        line(&mut out, ["plain".to_owned(), "a,b".into(), "say \"hi\"".into(), "-1".into(), String::new()].into_iter());
        assert_eq!(out, "plain,\"a,b\",\"say \"\"hi\"\"\",'-1,\r\n");
        let mut out = String::new();
        push_cell(&mut out, "=1\r\n");
        assert_eq!(out, "\"'=1\r\n\"");
    }

    #[test]
    fn exported_and_imported_the_run_gives_the_same_report() {
        let (run, set, results) = big(40, 3);
        let text = to_json(&run, &results);
        let (run_back, results_back) = from_json(&text).unwrap();
        assert_eq!(run_back, run);
        assert_eq!(results_back, results);
        let quick = Bootstrap { resamples: 300, confidence: 0.95, seed: REPORT_SEED };
        assert_eq!(
            build_report_with(&run_back, &set, &results_back, &quick),
            build_report_with(&run, &set, &results, &quick)
        );
        // And with the shipped parameters, for good measure.
        assert_eq!(build_report(&run_back, &set, &results_back), build_report(&run, &set, &results));
        // The file says what it is.
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!((v["format"].as_str(), v["version"].as_u64()), (Some("boda-run"), Some(1)));
    }

    #[test]
    fn doubles_survive_the_file_bit_for_bit() {
        // Latencies and costs with every digit: serde_json's default parser reads about one in eight of these
        // one unit in the last place off; the crate's `float_roundtrip` feature reads them exactly.
        let (run, set, _) = big(1, 0);
        let mut rng = crate::core::eval::stats::SplitMix64::new(11);
        let mut results = Vec::new();
        for i in 0..2_000 {
            let case = crate::core::eval::model::Case { id: format!("x{i}"), ..set.cases[0].clone() };
            let mut r = result(&run, &run.configs[0], &case, Some(5));
            let a = r.answer.as_mut().unwrap();
            a.total_ms = 1_000.0 + rng.next_f64() * 5_000.0;
            a.first_token_ms = Some(a.total_ms / 3.0);
            r.answer_cost_usd = Some(rng.next_f64() * 1e-3);
            results.push(r);
        }
        assert_eq!(results[0].answer.as_ref().unwrap().total_ms.to_string().len(), 18, "every digit");
        let (_, back) = from_json(&to_json(&run, &results)).unwrap();
        for (a, b) in results.iter().zip(&back) {
            let (x, y) = (a.answer.as_ref().unwrap(), b.answer.as_ref().unwrap());
            assert_eq!(x.total_ms.to_bits(), y.total_ms.to_bits());
            assert_eq!(x.first_token_ms.map(f64::to_bits), y.first_token_ms.map(f64::to_bits));
            assert_eq!(a.answer_cost_usd.map(f64::to_bits), b.answer_cost_usd.map(f64::to_bits));
        }
    }

    #[test]
    fn the_export_keeps_only_what_a_report_counts() {
        let (run, _, mut results) = big(3, 4);
        let mut foreign = results[0].clone();
        foreign.run_id = "other".into();
        let mut unknown = results[0].clone();
        unknown.config_id = "gone".into();
        let mut again = results[1].clone();
        again.human_tenths = Some(1);
        results.extend([foreign, unknown, again]);
        let (_, back) = from_json(&to_json(&run, &results)).unwrap();
        assert_eq!(back, results[..12]);
    }

    #[test]
    fn an_import_is_refused_with_a_reason() {
        let (run, _, results) = big(2, 6);
        let good: serde_json::Value = serde_json::from_str(&to_json(&run, &results)).unwrap();
        let with = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut v = good.clone();
            f(&mut v);
            from_json(&v.to_string())
        };
        assert_eq!(from_json("not json"), Err(RunImportRefusal::NotJson));
        assert_eq!(from_json(""), Err(RunImportRefusal::NotJson));
        assert_eq!(from_json("[]"), Err(RunImportRefusal::Foreign));
        assert_eq!(
            from_json(r#"{"format":"boda-test-set","version":1,"name":"x","cases":[]}"#),
            Err(RunImportRefusal::Foreign)
        );
        assert_eq!(with(&|v| v["version"] = 2.into()), Err(RunImportRefusal::NewerVersion { found: 2 }));
        assert_eq!(with(&|v| v["version"] = u64::MAX.into()), Err(RunImportRefusal::NewerVersion { found: u32::MAX }));
        assert!(matches!(with(&|v| v["version"] = "1".into()), Err(RunImportRefusal::Malformed { .. })));
        for broken in [
            &(|v: &mut serde_json::Value| v["extra"] = 1.into()) as &dyn Fn(&mut serde_json::Value),
            &|v| {
                v.as_object_mut().unwrap().remove("run");
            },
            &|v| v["run"]["configs"][0]["model"] = 4.into(),
            &|v| v["results"][0]["answer"]["total_ms"] = serde_json::Value::Null,
        ] {
            assert!(matches!(with(broken), Err(RunImportRefusal::Malformed { .. })));
        }
        let inconsistent = |problem| Err(RunImportRefusal::Inconsistent { problem });
        assert_eq!(
            with(&|v| v["results"][1]["run_id"] = "run0".into()),
            inconsistent(Inconsistency::OtherRun { run_id: "run0".into() })
        );
        assert_eq!(
            with(&|v| v["results"][1]["config_id"] = "gone".into()),
            inconsistent(Inconsistency::UnknownConfig { config_id: "gone".into() })
        );
        assert_eq!(
            with(&|v| v["results"][1]["case_id"] = "c0".into()),
            inconsistent(Inconsistency::DuplicateResult { config_id: "mini-k2".into(), case_id: "c0".into() })
        );
        assert_eq!(
            with(&|v| v["run"]["configs"][1]["id"] = "mini-k2".into()),
            inconsistent(Inconsistency::DuplicateConfig { config_id: "mini-k2".into() })
        );
        // A run without results is a run that has not started.
        let (r, rs) = with(&|v| {
            v.as_object_mut().unwrap().remove("results");
        })
        .unwrap();
        assert_eq!((r, rs), (run, Vec::new()));
    }
}
