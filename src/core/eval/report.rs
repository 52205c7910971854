//! A run's report: per configuration, how many cases it answered and how well (each metric's mean with a
//! bootstrap confidence interval), what it cost and how long it took; the headline comparison of two
//! configurations; how often the judge agrees with a person; the geometry of the report's charts; and the
//! CSV and JSON exports of a run (see [`chart`] and [`export`]).
//!
//! Everything is computed from a [`Run`], the exact [`TestSet`] version it ran on, and its [`CaseResult`]s,
//! which may be unfinished: cases with no result yet are counted, not guessed. Results that do not belong
//! (another run's, an unknown configuration's or case's, or a second result for the same configuration and
//! case) are left out and counted by reason. Values are lined up in the set's case order, whatever order the
//! results come in, and every interval is drawn with [`REPORT_SEED`], so the same data give the same report on
//! every machine, before and after an export.
//!
//! Which results count for what:
//! - A case is answered under a configuration when its answer came back complete; only answered cases enter
//!   the metrics, the latencies and the costs. A failed answer (a failed answer stage, or an incomplete answer
//!   that was settled) is counted as failed; a case with no result, or whose answer is not settled yet, as
//!   missing.
//! - Correctness is the person's score when they gave one, else the judge's ([`CaseResult::correctness_score`]).
//!   An answer the judge could not grade is left out of the mean and counted as not judged, never scored 0.
//! - A cost is known only when every request of the case has one: the answer's, and each verdict that was
//!   asked for. One unknown part (a model without a price, or a response without usage) makes the
//!   configuration's sum unknown (`None`), since a partial sum would read as the whole, and is counted in
//!   [`Costs::unpriced`]. Failed answers are not in the sums: they rarely report usage.
//!
//! Nothing here is worded for people: the notes are typed kinds ([`ReportNote`]) the views translate, and
//! the charts are plain numbers in a unit box the views draw. Nothing here sends or stores anything, or
//! computes an answer's own metrics and costs (that is `eval::run`, as each answer arrives).
//!
//! Cost: indexing the results takes time linear in their number, and everything else linear in the cases
//! times the configurations, except the bootstrap intervals, `O(resamples · n)` each. Metrics whose values
//! fall on the same cases share their draws ([`bootstrap_cis`]: the same intervals as one bootstrap each), so
//! a configuration usually draws once or twice rather than eight times; the headline draws once more. See
//! [`REPORT_RESAMPLES`] for the time a report of 200 cases × 4 configurations takes.

pub mod chart;
pub mod export;

pub use chart::{bar_chart, cost_quality_scatter, score_axis, slot_centre, ticks, Axis, Bar, Point, Scatter, Tick};
pub use export::{from_json, to_csv, to_json, Inconsistency, RunImportRefusal, RUN_EXPORT_FORMAT, RUN_EXPORT_VERSION};

use crate::core::eval::answer::RunConfig;
use crate::core::eval::judge::{same_family, Judgement, JUDGE_PROMPT_VERSION};
use crate::core::eval::model::{Case, TestSet};
use crate::core::eval::run::{CaseResult, Judged, Run};
use crate::core::eval::schedule::{FailureKind, Stage, StageRecord};
use crate::core::eval::stats::{
    bootstrap_cis, cohen_kappa, mean, paired_ratio_ci, percentile, Interval, DEFAULT_CONFIDENCE,
};
use crate::core::model::Detail;
use std::collections::HashMap;

/// The seed of every bootstrap in a report: the bytes of "boda-rep". Any fixed seed would do; fixing one makes
/// a report reproducible, and sharing it makes metrics over the same cases draw the same resamples.
pub const REPORT_SEED: u64 = 0x626f_6461_2d72_6570;

/// The bootstrap resamples a report draws for each interval.
///
/// 1,000 rather than [`crate::core::eval::stats::DEFAULT_RESAMPLES`] (2,000), for the page's time budget:
/// a report of 200 cases × 4 configurations must render in under 100 ms in the browser, and its intervals are
/// nearly all of the work. Measured natively on a shared two-core machine with the release profile the
/// browser build uses (opt-level "z", LTO), by the test `report_of_200_cases_by_4_configurations_is_fast_enough`,
/// the whole report took 18–24 ms at 1,000 resamples and 37–40 ms at 2,000 (the debug build, 0.22 s and 0.42 s).
/// WebAssembly was not measured here. It runs slower than native code, and more so in this loop: the 64 × 64 →
/// 128-bit multiply in [`crate::core::eval::stats::SplitMix64::below`] is a library call on wasm32. So 2,000
/// could take most of the budget before the page is drawn, while 1,000 leaves most of it. Efron and Tibshirani
/// (1993) ask for 1,000 or more for percentile intervals; at 1,000, the resampling noise in each end of a 95%
/// interval is about 2% of its width.
pub const REPORT_RESAMPLES: usize = 1_000;

/// A judge's or person's score in tenths at or above this counts as a pass when the two are compared
/// ([`JudgeAgreement`]): 0.5 is the score for a half-right answer, and the middle of the scale.
pub const PASS_TENTHS: u8 = 5;

/// How a report's intervals are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bootstrap {
    pub resamples: usize,
    /// Strictly between 0 and 1; 0.95 for 95% intervals.
    pub confidence: f64,
    pub seed: u64,
}

impl Bootstrap {
    /// What reports use: [`REPORT_RESAMPLES`], 95%, [`REPORT_SEED`].
    pub const REPORT: Bootstrap =
        Bootstrap { resamples: REPORT_RESAMPLES, confidence: DEFAULT_CONFIDENCE, seed: REPORT_SEED };
}

impl Default for Bootstrap {
    fn default() -> Bootstrap {
        Bootstrap::REPORT
    }
}

/// A figure of a report, each from 0 to 1 per case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// The judge's score, or the person's where they gave one.
    Correctness,
    /// The share of the answer's claims that the retrieved context supports (with retrieval only).
    Faithfulness,
    /// The share of the case's relevant images that retrieval attached (with retrieval only).
    Recall,
    Exact,
    F1,
    RougeL,
    Bleu,
    Chrf,
}

impl Metric {
    /// Every metric, in the order a report lists them.
    pub const ALL: [Metric; 8] = [
        Metric::Correctness,
        Metric::Faithfulness,
        Metric::Recall,
        Metric::Exact,
        Metric::F1,
        Metric::RougeL,
        Metric::Bleu,
        Metric::Chrf,
    ];

    /// The metric's value for one answered result, when it has one.
    fn of(self, r: &CaseResult) -> Option<f64> {
        match self {
            Metric::Correctness => r.correctness_score(),
            Metric::Faithfulness => r.faithfulness_score(),
            Metric::Recall => r.recall,
            Metric::Exact => r.scores.map(|s| s.exact),
            Metric::F1 => r.scores.map(|s| s.f1),
            Metric::RougeL => r.scores.map(|s| s.rouge_l),
            Metric::Bleu => r.scores.map(|s| s.bleu),
            Metric::Chrf => r.scores.map(|s| s.chrf),
        }
    }
}

/// One metric of one configuration: its mean over the cases that have it, with a bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figure {
    /// Cases with a value (finite values only).
    pub n: usize,
    /// `None` when no case has a value.
    pub mean: Option<f64>,
    /// `None` when no case has a value.
    pub ci: Option<Interval>,
}

/// One metric's values over a configuration's answered cases: which cases have one (by their position among
/// the answered), and the values, finite ones only.
#[derive(Default)]
struct Column {
    cases: Vec<usize>,
    values: Vec<f64>,
}

/// Every metric's figure. The intervals of metrics with values on the same cases are drawn together
/// ([`bootstrap_cis`]): they are the very intervals one bootstrap per metric gives, with the same seed, for
/// one metric's draws. Usually the five text metrics and correctness share their cases, so a configuration
/// draws once or twice, not eight times.
fn figures(columns: &[Column; 8], bootstrap: &Bootstrap) -> [Figure; 8] {
    let mut intervals: [Option<Interval>; 8] = [None; 8];
    let mut drawn = [false; 8];
    for k in 0..columns.len() {
        if drawn[k] {
            continue;
        }
        let group: Vec<usize> =
            (k..columns.len()).filter(|&j| !drawn[j] && columns[j].cases == columns[k].cases).collect();
        let values: Vec<&[f64]> = group.iter().map(|&j| columns[j].values.as_slice()).collect();
        let cis = bootstrap_cis(&values, bootstrap.resamples, bootstrap.confidence, bootstrap.seed);
        for (&j, ci) in group.iter().zip(cis) {
            intervals[j] = ci;
            drawn[j] = true;
        }
    }
    std::array::from_fn(|k| Figure { n: columns[k].values.len(), mean: mean(&columns[k].values), ci: intervals[k] })
}

/// Latency percentiles in milliseconds over answered cases (NumPy's linear method, see
/// [`crate::core::eval::stats::percentile`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latency {
    pub n: usize,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
}

impl Latency {
    fn of(values: &[f64]) -> Latency {
        Latency {
            n: values.iter().filter(|v| v.is_finite()).count(),
            p50: percentile(values, 50.0),
            p95: percentile(values, 95.0),
        }
    }
}

/// What a configuration's answered cases cost, in US dollars at the run's prices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Costs {
    /// The answers' requests (retrieval's embeddings are not counted: the answer's usage is the chat
    /// request's). This is the configuration's own cost, the one comparisons use.
    pub answers_usd: Option<f64>,
    /// The judge's requests about these answers (correctness, and faithfulness with retrieval): what the
    /// evaluation cost on top.
    pub judging_usd: Option<f64>,
    /// Both together.
    pub total_usd: Option<f64>,
    /// The answers' cost divided by the answered cases.
    pub answer_per_case_usd: Option<f64>,
    /// The total divided by the answered cases.
    pub total_per_case_usd: Option<f64>,
    /// Answered cases with at least one part whose cost is unknown; when it is not 0, every sum it touches is
    /// `None`.
    pub unpriced: usize,
}

/// A sum that becomes unknown as soon as one part is.
#[derive(Debug, Clone, Copy)]
struct Sum(Option<f64>);

impl Sum {
    fn add(&mut self, part: Option<f64>) {
        self.0 = match (self.0, part.filter(|v| v.is_finite())) {
            (Some(total), Some(v)) => Some(total + v),
            _ => None,
        };
    }
}

/// The judging part of a result's cost: the verdicts that were asked for (`Some(0.0)` when none was).
fn judging_cost(r: &CaseResult) -> Option<f64> {
    fn part<T>(j: &Option<Judged<T>>) -> Option<f64> {
        match j {
            Some(j) => j.cost_usd.filter(|v| v.is_finite()),
            None => Some(0.0),
        }
    }
    Some(part(&r.correctness)? + part(&r.faithfulness)?)
}

/// Where one result stands, as the report and the CSV export count it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ResultStatus {
    /// No answer is settled yet.
    Pending,
    /// The answer failed, with why; `None` when an incomplete answer (cut off, say) was settled as it was.
    Failed(Option<FailureKind>),
    /// A complete answer whose correctness is not settled yet.
    Answered,
    /// A complete answer with a correctness score, the judge's or a person's.
    Judged,
    /// A complete answer the judge could not grade (its replies stayed unreadable), and no person's score.
    NotJudged,
    /// A complete answer whose correctness request failed, and no person's score.
    JudgeFailed(FailureKind),
}

impl ResultStatus {
    /// Whether the case has a complete answer, which is what enters a report's figures.
    pub fn is_answered(&self) -> bool {
        !matches!(self, ResultStatus::Pending | ResultStatus::Failed(_))
    }
}

/// Where `r` stands: see [`ResultStatus`]. A failed answer stage wins over anything stored with it; a complete
/// answer counts even if its stage was never marked done (the tab closed in between).
pub fn result_status(r: &CaseResult) -> ResultStatus {
    let answer_record = r.record_of(Stage::Answer);
    if let Some(StageRecord::Failed(kind)) = answer_record {
        return ResultStatus::Failed(Some(kind.clone()));
    }
    match &r.answer {
        Some(a) if a.is_complete() => {}
        Some(_) if answer_record.is_some() => return ResultStatus::Failed(None),
        _ => return ResultStatus::Pending,
    }
    if r.correctness_score().is_some() {
        return ResultStatus::Judged;
    }
    let judge_gave_up = matches!(r.correctness, Some(Judged { judgement: Judgement::NotJudged(_), .. }));
    match r.record_of(Stage::Judge) {
        Some(StageRecord::Failed(kind)) => ResultStatus::JudgeFailed(kind.clone()),
        Some(StageRecord::NotJudged) => ResultStatus::NotJudged,
        _ if judge_gave_up => ResultStatus::NotJudged,
        _ => ResultStatus::Answered,
    }
}

/// Whether the judge gave up on a result's faithfulness (a verdict stage that could not be read).
fn faithfulness_not_judged(r: &CaseResult) -> bool {
    matches!(r.faithfulness, Some(Judged { judgement: Judgement::NotJudged(_), .. }))
        || r.record_of(Stage::Faithfulness) == Some(&StageRecord::NotJudged)
}

/// One configuration's line of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigRow {
    pub config_id: String,
    pub model: String,
    pub detail: Detail,
    /// The images retrieval attached at most; `None` when every image went.
    pub retrieval: Option<u32>,
    /// Cases with a complete answer: what the figures are over.
    pub n: usize,
    /// Cases whose answer failed.
    pub failed: usize,
    /// Answered cases the judge could not grade, with no person's score (left out of correctness).
    pub not_judged: usize,
    /// Answered cases whose correctness request failed, with no person's score.
    pub judge_failed: usize,
    /// Answered cases whose correctness is not settled yet.
    pub judging_unfinished: usize,
    /// Answered cases whose faithfulness the judge could not grade.
    pub faithfulness_not_judged: usize,
    /// Cases of the set with no settled answer yet (no result, or one still under way).
    pub missing: usize,
    pub correctness: Figure,
    pub faithfulness: Figure,
    pub recall: Figure,
    pub exact: Figure,
    pub f1: Figure,
    pub rouge_l: Figure,
    pub bleu: Figure,
    pub chrf: Figure,
    pub cost: Costs,
    /// From sending the question to the end of the answer.
    pub total_ms: Latency,
    /// From sending the question to the answer's first token.
    pub first_token_ms: Latency,
}

impl ConfigRow {
    pub fn figure(&self, metric: Metric) -> &Figure {
        match metric {
            Metric::Correctness => &self.correctness,
            Metric::Faithfulness => &self.faithfulness,
            Metric::Recall => &self.recall,
            Metric::Exact => &self.exact,
            Metric::F1 => &self.f1,
            Metric::RougeL => &self.rouge_l,
            Metric::Bleu => &self.bleu,
            Metric::Chrf => &self.chrf,
        }
    }
}

/// Why a result was left out of a report (and of the exports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IgnoredReason {
    /// It belongs to another run.
    OtherRun,
    /// Its configuration is not one of the run's.
    UnknownConfig,
    /// Its case is not in the set version the report was built with.
    UnknownCase,
    /// A result for the same configuration and case came first.
    Duplicate,
}

/// Something the report's reader should know, as a kind the view words.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReportNote {
    /// METEOR is not computed (see `eval::metrics`); chrF stands in for its stemming.
    MeteorOmitted,
    /// The run was judged with another version of the judge's prompts than this build's: its scores are not
    /// comparable with a run judged now.
    JudgePromptVersion { run: String, current: String },
    /// The report was built with another set, or another version of it, than the run ran on.
    SetMismatch { run_set_id: String, run_version: u32, set_id: String, set_version: u32 },
    /// The run lists a configuration id twice; the second is left out.
    DuplicateConfig { config_id: String },
    /// Results left out, by reason.
    ResultsIgnored { reason: IgnoredReason, count: usize },
    /// The judge is the configuration's model or of its family, and may favour its answers.
    JudgeSameFamily { config_id: String },
    /// The price table has no price for this model (a configuration's or the judge's).
    Unpriced { model: String },
    /// Cases with no settled answer yet: the run is unfinished.
    ResultsMissing { config_id: String, count: usize },
    /// Cases whose answer failed.
    Failed { config_id: String, count: usize },
    /// Answered cases the judge could not grade (left out of correctness, not scored 0).
    NotJudged { config_id: String, count: usize },
    /// Answered cases whose correctness request failed.
    JudgeFailed { config_id: String, count: usize },
    /// Answered cases still waiting for their correctness verdict.
    JudgingUnfinished { config_id: String, count: usize },
    /// Answered cases whose faithfulness the judge could not grade.
    FaithfulnessNotJudged { config_id: String, count: usize },
    /// Answered cases with a part whose cost is unknown, which leaves the configuration's cost unknown.
    CostIncomplete { config_id: String, count: usize },
}

/// How often the judge's correctness score agrees with a person's, over the results that have both.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JudgeAgreement {
    pub n: usize,
    /// The share of results where both say pass or both say fail, a score of [`PASS_TENTHS`] or more being a
    /// pass.
    pub pass_agreement: f64,
    /// Cohen's kappa over the same pass/fail labels; `None` when both raters gave every result one and the
    /// same label (kappa is undefined there).
    pub kappa: Option<f64>,
    /// The share of results where both gave the same score, to the tenth.
    pub exact_agreement: f64,
    /// The mean absolute difference of the two scores, on the 0-to-1 scale.
    pub mean_abs_difference: f64,
}

/// The judge–person agreement over `results` (any results: the report passes those it counts). Only results
/// with both a person's score and a judge's verdict take part; `None` when there are none.
pub fn judge_agreement<'a>(results: impl IntoIterator<Item = &'a CaseResult>) -> Option<JudgeAgreement> {
    let pairs: Vec<(u8, u8)> = results
        .into_iter()
        .filter_map(|r| {
            let human = r.human_tenths?.min(10);
            let judge = r.correctness.as_ref()?.judgement.scored()?.tenths.min(10);
            Some((judge, human))
        })
        .collect();
    if pairs.is_empty() {
        return None;
    }
    let n = pairs.len();
    let labels: Vec<(bool, bool)> = pairs.iter().map(|&(j, h)| (j >= PASS_TENTHS, h >= PASS_TENTHS)).collect();
    let agreement = cohen_kappa(&labels)?;
    let exact = pairs.iter().filter(|(j, h)| j == h).count();
    let difference: u32 = pairs.iter().map(|&(j, h)| u32::from(j.abs_diff(h))).sum();
    Some(JudgeAgreement {
        n,
        pass_agreement: agreement.observed,
        kappa: agreement.kappa,
        exact_agreement: exact as f64 / n as f64,
        mean_abs_difference: f64::from(difference) / 10.0 / n as f64,
    })
}

/// The headline comparison of two configurations, over the cases both have a correctness score for.
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    /// The configuration compared (the numerator).
    pub a: String,
    /// The configuration it is compared with (the denominator).
    pub b: String,
    /// Cases both have a correctness score for.
    pub n: usize,
    pub correctness_a: f64,
    pub correctness_b: f64,
    /// `mean(a) / mean(b)` over those cases: 0.86 reads "a reaches 0.86 of b's correctness".
    pub correctness_ratio: f64,
    /// The paired bootstrap interval of the ratio.
    pub ci: Interval,
    /// Resamples that gave a ratio (see [`crate::core::eval::stats::RatioEstimate::resamples_used`]).
    pub resamples_used: usize,
    /// What a's answers cost over those cases divided by what b's cost (the answers only, not the judge's
    /// verdicts, which are the evaluation's cost). `None` when a cost is unknown or b's is 0.
    pub cost_ratio: Option<f64>,
    /// The interval includes 1: the data cannot tell a from b on correctness.
    pub no_detectable_difference: bool,
}

/// A whole report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub run_id: String,
    pub set_id: String,
    /// The set's name when the run started.
    pub set_name: String,
    /// The version the run ran on.
    pub set_version: u32,
    pub judge_model: String,
    pub judge_prompt_version: String,
    /// The date of the prices the costs are computed with.
    pub prices_as_of: String,
    /// Cases in the set (each id once).
    pub cases: usize,
    pub bootstrap: Bootstrap,
    /// One per configuration, in the run's order.
    pub rows: Vec<ConfigRow>,
    /// The default comparison: the cheapest configuration against the most expensive ([`default_pair`]).
    pub headline: Option<Headline>,
    /// Over every counted result with a person's score.
    pub agreement: Option<JudgeAgreement>,
    pub notes: Vec<ReportNote>,
}

/// A run's results lined up: per configuration (the run's, each id once) and per case (the set's, each id
/// once), the result that counts, if any.
struct Grid<'a> {
    configs: Vec<&'a RunConfig>,
    cases: Vec<&'a Case>,
    /// `cells[config][case]`.
    cells: Vec<Vec<Option<&'a CaseResult>>>,
    ignored: [(IgnoredReason, usize); 4],
    duplicate_configs: Vec<&'a str>,
}

impl<'a> Grid<'a> {
    fn new(run: &'a Run, cases: &'a [Case], results: &'a [CaseResult]) -> Grid<'a> {
        let mut configs: Vec<&RunConfig> = Vec::new();
        let mut config_at: HashMap<&str, usize> = HashMap::new();
        let mut duplicate_configs = Vec::new();
        for c in &run.configs {
            if config_at.contains_key(c.id.as_str()) {
                duplicate_configs.push(c.id.as_str());
            } else {
                config_at.insert(&c.id, configs.len());
                configs.push(c);
            }
        }
        let mut unique_cases: Vec<&Case> = Vec::new();
        let mut case_at: HashMap<&str, usize> = HashMap::new();
        for c in cases {
            if !case_at.contains_key(c.id.as_str()) {
                case_at.insert(&c.id, unique_cases.len());
                unique_cases.push(c);
            }
        }
        let mut cells = vec![vec![None; unique_cases.len()]; configs.len()];
        let mut ignored = [
            (IgnoredReason::OtherRun, 0),
            (IgnoredReason::UnknownConfig, 0),
            (IgnoredReason::UnknownCase, 0),
            (IgnoredReason::Duplicate, 0),
        ];
        for r in results {
            let slot = if r.run_id != run.id {
                Err(0)
            } else {
                match (config_at.get(r.config_id.as_str()), case_at.get(r.case_id.as_str())) {
                    (None, _) => Err(1),
                    (Some(_), None) => Err(2),
                    (Some(&config), Some(&case)) if cells[config][case].is_none() => Ok((config, case)),
                    _ => Err(3),
                }
            };
            match slot {
                Ok((config, case)) => cells[config][case] = Some(r),
                Err(reason) => ignored[reason].1 += 1,
            }
        }
        Grid { configs, cases: unique_cases, cells, ignored, duplicate_configs }
    }

    fn config_index(&self, id: &str) -> Option<usize> {
        self.configs.iter().position(|c| c.id == id)
    }

    /// Every result that counts, configuration by configuration, each in case order.
    fn counted(&self) -> impl Iterator<Item = &'a CaseResult> + '_ {
        self.cells.iter().flatten().flatten().copied()
    }
}

/// Builds the report of `run` on `set` from `results` (in any order), with [`Bootstrap::REPORT`].
pub fn build_report(run: &Run, set: &TestSet, results: &[CaseResult]) -> Report {
    build_report_with(run, set, results, &Bootstrap::REPORT)
}

/// [`build_report`] with other bootstrap parameters.
pub fn build_report_with(run: &Run, set: &TestSet, results: &[CaseResult], bootstrap: &Bootstrap) -> Report {
    let grid = Grid::new(run, &set.cases, results);
    let rows: Vec<ConfigRow> =
        grid.configs.iter().zip(&grid.cells).map(|(config, cells)| config_row(config, cells, bootstrap)).collect();
    let headline = default_pair_of(&rows).and_then(|(a, b)| compare_grid(&grid, a, b, bootstrap));
    let notes = notes(run, set, &grid, &rows);
    Report {
        run_id: run.id.clone(),
        set_id: run.set_id.clone(),
        set_name: run.set_name.clone(),
        set_version: run.set_version,
        judge_model: run.judge_model.clone(),
        judge_prompt_version: run.judge_prompt_version.clone(),
        prices_as_of: run.prices.as_of.clone(),
        cases: grid.cases.len(),
        bootstrap: *bootstrap,
        rows,
        headline,
        agreement: judge_agreement(grid.counted()),
        notes,
    }
}

/// Counts of a configuration's cases by where they stand.
#[derive(Default)]
struct Tally {
    n: usize,
    failed: usize,
    not_judged: usize,
    judge_failed: usize,
    judging_unfinished: usize,
    faithfulness_not_judged: usize,
    missing: usize,
}

fn config_row(config: &RunConfig, cells: &[Option<&CaseResult>], bootstrap: &Bootstrap) -> ConfigRow {
    let mut tally = Tally::default();
    let mut columns: [Column; 8] = Default::default();
    let (mut total_ms, mut first_ms) = (Vec::new(), Vec::new());
    let (mut answers, mut judging) = (Sum(Some(0.0)), Sum(Some(0.0)));
    let mut unpriced = 0;
    for r in cells {
        let Some(r) = r else {
            tally.missing += 1;
            continue;
        };
        match result_status(r) {
            ResultStatus::Pending => {
                tally.missing += 1;
                continue;
            }
            ResultStatus::Failed(_) => {
                tally.failed += 1;
                continue;
            }
            ResultStatus::NotJudged => tally.not_judged += 1,
            ResultStatus::JudgeFailed(_) => tally.judge_failed += 1,
            ResultStatus::Answered => tally.judging_unfinished += 1,
            ResultStatus::Judged => {}
        }
        tally.n += 1;
        if faithfulness_not_judged(r) {
            tally.faithfulness_not_judged += 1;
        }
        for (metric, column) in Metric::ALL.iter().zip(columns.iter_mut()) {
            if let Some(v) = metric.of(r).filter(|v| v.is_finite()) {
                column.cases.push(tally.n);
                column.values.push(v);
            }
        }
        if let Some(a) = &r.answer {
            total_ms.push(a.total_ms);
            first_ms.extend(a.first_token_ms);
        }
        let (answer_cost, judge_cost) = (r.answer_cost_usd.filter(|v| v.is_finite()), judging_cost(r));
        if answer_cost.is_none() || judge_cost.is_none() {
            unpriced += 1;
        }
        answers.add(answer_cost);
        judging.add(judge_cost);
    }
    let n = tally.n;
    let per_case = |sum: Option<f64>| sum.filter(|_| n > 0).map(|s| s / n as f64);
    let total = answers.0.zip(judging.0).map(|(a, j)| a + j);
    let cost = Costs {
        answers_usd: answers.0,
        judging_usd: judging.0,
        total_usd: total,
        answer_per_case_usd: per_case(answers.0),
        total_per_case_usd: per_case(total),
        unpriced,
    };
    let [correctness, faithfulness, recall, exact, f1, rouge_l, bleu, chrf] = figures(&columns, bootstrap);
    ConfigRow {
        config_id: config.id.clone(),
        model: config.model.clone(),
        detail: config.detail,
        retrieval: config.retrieval,
        n,
        failed: tally.failed,
        not_judged: tally.not_judged,
        judge_failed: tally.judge_failed,
        judging_unfinished: tally.judging_unfinished,
        faithfulness_not_judged: tally.faithfulness_not_judged,
        missing: tally.missing,
        correctness,
        faithfulness,
        recall,
        exact,
        f1,
        rouge_l,
        bleu,
        chrf,
        cost,
        total_ms: Latency::of(&total_ms),
        first_token_ms: Latency::of(&first_ms),
    }
}

fn notes(run: &Run, set: &TestSet, grid: &Grid, rows: &[ConfigRow]) -> Vec<ReportNote> {
    let mut notes = vec![ReportNote::MeteorOmitted];
    if run.judge_prompt_version != JUDGE_PROMPT_VERSION {
        notes.push(ReportNote::JudgePromptVersion {
            run: run.judge_prompt_version.clone(),
            current: JUDGE_PROMPT_VERSION.to_owned(),
        });
    }
    if run.set_id != set.id || run.set_version != set.version {
        notes.push(ReportNote::SetMismatch {
            run_set_id: run.set_id.clone(),
            run_version: run.set_version,
            set_id: set.id.clone(),
            set_version: set.version,
        });
    }
    for id in &grid.duplicate_configs {
        notes.push(ReportNote::DuplicateConfig { config_id: (*id).to_owned() });
    }
    for &(reason, count) in &grid.ignored {
        if count > 0 {
            notes.push(ReportNote::ResultsIgnored { reason, count });
        }
    }
    let mut unpriced: Vec<&str> = Vec::new();
    for model in grid.configs.iter().map(|c| c.model.as_str()).chain([run.judge_model.as_str()]) {
        if run.prices.price(model).is_none() && !unpriced.contains(&model) {
            unpriced.push(model);
        }
    }
    notes.extend(unpriced.into_iter().map(|model| ReportNote::Unpriced { model: model.to_owned() }));
    for row in rows {
        let id = || row.config_id.clone();
        if same_family(&run.judge_model, &row.model) {
            notes.push(ReportNote::JudgeSameFamily { config_id: id() });
        }
        let counted = [
            (row.missing, ReportNote::ResultsMissing { config_id: id(), count: row.missing }),
            (row.failed, ReportNote::Failed { config_id: id(), count: row.failed }),
            (row.not_judged, ReportNote::NotJudged { config_id: id(), count: row.not_judged }),
            (row.judge_failed, ReportNote::JudgeFailed { config_id: id(), count: row.judge_failed }),
            (row.judging_unfinished, ReportNote::JudgingUnfinished { config_id: id(), count: row.judging_unfinished }),
            (
                row.faithfulness_not_judged,
                ReportNote::FaithfulnessNotJudged { config_id: id(), count: row.faithfulness_not_judged },
            ),
            (row.cost.unpriced, ReportNote::CostIncomplete { config_id: id(), count: row.cost.unpriced }),
        ];
        notes.extend(counted.into_iter().filter(|(count, _)| *count > 0).map(|(_, note)| note));
    }
    notes
}

/// The pair a report leads with: the configuration whose answers cost least per case, and the one whose cost
/// most (the first of equals for the cheapest, the last for the dearest, so that equal costs still give a
/// pair). Only configurations with a known cost take part; `None` when fewer than two have one.
pub fn default_pair(report: &Report) -> Option<(&str, &str)> {
    default_pair_of(&report.rows).map(|(a, b)| (report.rows[a].config_id.as_str(), report.rows[b].config_id.as_str()))
}

/// [`default_pair`] as indices into `rows`.
fn default_pair_of(rows: &[ConfigRow]) -> Option<(usize, usize)> {
    let priced: Vec<(usize, f64)> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.cost.answer_per_case_usd.filter(|c| c.is_finite()).map(|c| (i, c)))
        .collect();
    let mut cheapest = *priced.first()?;
    let mut dearest = cheapest;
    for &(i, c) in &priced[1..] {
        if c < cheapest.1 {
            cheapest = (i, c);
        }
        if c >= dearest.1 {
            dearest = (i, c);
        }
    }
    (cheapest.0 != dearest.0).then_some((cheapest.0, dearest.0))
}

/// The headline comparison of configuration `a` with `b` (ids) in `run`, with [`Bootstrap::REPORT`]: the ratio
/// of their mean correctness over the cases both have a score for, its paired bootstrap interval, and the
/// ratio of their answers' cost over the same cases. `None` when either id is not the run's, they are the
/// same, no case has both scores, or b's mean is 0 (the ratio is undefined).
pub fn compare(run: &Run, set: &TestSet, results: &[CaseResult], a: &str, b: &str) -> Option<Headline> {
    compare_with(run, set, results, a, b, &Bootstrap::REPORT)
}

/// [`compare`] with other bootstrap parameters.
pub fn compare_with(
    run: &Run,
    set: &TestSet,
    results: &[CaseResult],
    a: &str,
    b: &str,
    bootstrap: &Bootstrap,
) -> Option<Headline> {
    let grid = Grid::new(run, &set.cases, results);
    compare_grid(&grid, grid.config_index(a)?, grid.config_index(b)?, bootstrap)
}

fn compare_grid(grid: &Grid, a: usize, b: usize, bootstrap: &Bootstrap) -> Option<Headline> {
    if a == b {
        return None;
    }
    let scored = |r: &Option<&CaseResult>| {
        r.filter(|r| result_status(r).is_answered())
            .and_then(|r| r.correctness_score().filter(|s| s.is_finite()).map(|s| (s, r.answer_cost_usd)))
    };
    let (mut score_a, mut score_b) = (Vec::new(), Vec::new());
    let (mut cost_a, mut cost_b) = (Sum(Some(0.0)), Sum(Some(0.0)));
    for (x, y) in grid.cells[a].iter().zip(&grid.cells[b]) {
        if let (Some((sa, ca)), Some((sb, cb))) = (scored(x), scored(y)) {
            score_a.push(sa);
            score_b.push(sb);
            cost_a.add(ca);
            cost_b.add(cb);
        }
    }
    let n = score_a.len();
    let estimate = paired_ratio_ci(&score_a, &score_b, bootstrap.resamples, bootstrap.confidence, bootstrap.seed)?;
    let cost_ratio = cost_a.0.zip(cost_b.0).filter(|&(_, b)| b > 0.0).map(|(a, b)| a / b).filter(|r| r.is_finite());
    Some(Headline {
        a: grid.configs[a].id.clone(),
        b: grid.configs[b].id.clone(),
        n,
        correctness_a: mean(&score_a)?,
        correctness_b: mean(&score_b)?,
        correctness_ratio: estimate.ratio,
        ci: estimate.interval,
        resamples_used: estimate.resamples_used,
        cost_ratio,
        no_detectable_difference: estimate.includes_one(),
    })
}

/// Runs, sets and results to test reports with.
#[cfg(test)]
pub(crate) mod testing {
    use crate::core::cost::{cost_of, PriceTable};
    use crate::core::eval::answer::{CaseAnswer, RunConfig};
    use crate::core::eval::judge::{Claim, Claims, Judgement, Unreadable, Verdict, JUDGE_PROMPT_VERSION};
    use crate::core::eval::model::{Case, CaseImage, ReferenceMode, TestSet};
    use crate::core::eval::run::{CaseResult, Judged, Run, RunState};
    use crate::core::eval::schedule::{JobKey, Stage, StageRecord};
    use crate::core::eval::stats::SplitMix64;
    use crate::core::model::{Detail, MessageStatus, Usage};

    pub const JUDGE: &str = "gpt-4.1";

    pub fn config(id: &str, model: &str, retrieval: Option<u32>) -> RunConfig {
        RunConfig {
            wardrobe: false,
            preset: None,
            web: None,
            id: id.into(),
            model: model.into(),
            detail: Detail::Low,
            retrieval,
            instructions: None,
            temperature: None,
        }
    }

    /// `n` cases, `c0` to `c{n-1}`, each with a relevant image and another.
    pub fn set(n: usize) -> TestSet {
        let image = |id: String, relevant| CaseImage {
            name: format!("{id}.png"),
            id,
            mime: "image/png".into(),
            width: 64,
            height: 64,
            caption: Some("a red square".into()),
            relevant,
        };
        TestSet {
            id: "set".into(),
            version: 3,
            name: "Shapes".into(),
            created_ms: 1.0,
            sample: false,
            cases: (0..n)
                .map(|i| Case {
                    id: format!("c{i}"),
                    question: format!("How many squares are in picture {i}?"),
                    reference: format!("{} squares", i % 5),
                    mode: ReferenceMode::All,
                    tags: if i % 2 == 0 { vec!["ko".into()] } else { vec!["en".into(), "count".into()] },
                    images: vec![image(format!("i{i}a"), true), image(format!("i{i}b"), false)],
                })
                .collect(),
        }
    }

    pub fn run(configs: Vec<RunConfig>) -> Run {
        Run {
            credit_usd: 0.008,
            id: "run1".into(),
            set_id: "set".into(),
            set_version: 3,
            set_name: "Shapes".into(),
            configs,
            judge_model: JUDGE.into(),
            judge_prompt_version: JUDGE_PROMPT_VERSION.into(),
            prices: PriceTable::defaults(),
            concurrency: 4,
            created_ms: 1_700_000_000_000.0,
            state: RunState::Finished,
            finished_ms: Some(1_700_000_100_000.25),
            pairwise: Vec::new(),
        }
    }

    pub fn usage(prompt: u32, completion: u32) -> Usage {
        Usage {
            prompt_tokens: prompt,
            completion_tokens: completion,
            total_tokens: prompt + completion,
            cached_tokens: 0,
        }
    }

    /// A complete answer to `case` under `config`, settled, not yet judged: 1,000 tokens in and 100 out, 900 ms
    /// to the first token and 1,500 ms in all.
    pub fn answered(run: &Run, config: &RunConfig, case: &Case, text: &str) -> CaseResult {
        let mut r = CaseResult::new(&run.id, &JobKey::new(case.id.clone(), config.id.clone()));
        let answer = CaseAnswer {
            wardrobe: Vec::new(),
            search: None,
            text: text.into(),
            status: MessageStatus::Complete,
            error: None,
            usage: Some(usage(1_000, 100)),
            first_token_ms: Some(900.0),
            total_ms: 1_500.0,
            context: Vec::new(),
            attached: vec![case.images[0].id.clone()],
        };
        r.answered(answer, case, config, &run.prices, run.credit_usd);
        r.settle(Stage::Answer, StageRecord::Done);
        r
    }

    /// A verdict as stored, costed at the judge's price for 500 tokens in and 50 out.
    pub fn judged<T>(run: &Run, judgement: Judgement<T>) -> Judged<T> {
        let u = usage(500, 50);
        Judged { judgement, cost_usd: cost_of(&run.prices, &run.judge_model, &u), usage: Some(u) }
    }

    /// [`answered`], then judged `tenths` (or not judged, for `None`); with retrieval, also checked for
    /// faithfulness (two claims of three supported).
    pub fn result(run: &Run, config: &RunConfig, case: &Case, tenths: Option<u8>) -> CaseResult {
        let mut r = answered(run, config, case, &case.reference);
        r.correctness = Some(judged(
            run,
            match tenths {
                Some(tenths) => Judgement::Scored(Verdict { tenths, rationale: "Counts match.".into() }),
                None => Judgement::NotJudged(Unreadable::NotJson),
            },
        ));
        r.settle(Stage::Judge, if tenths.is_some() { StageRecord::Done } else { StageRecord::NotJudged });
        if config.retrieval.is_some() {
            let claim = |supported| Claim { claim: "There are squares.".into(), supported };
            r.faithfulness =
                Some(judged(run, Judgement::Scored(Claims { claims: vec![claim(true), claim(true), claim(false)] })));
            r.settle(Stage::Faithfulness, StageRecord::Done);
        }
        r
    }

    /// A finished run of `cases` cases under four configurations (two with retrieval), with scores, latencies
    /// and costs drawn from `seed`: the size the report page must render quickly.
    pub fn big(cases: usize, seed: u64) -> (Run, TestSet, Vec<CaseResult>) {
        let set = set(cases);
        let run = run(vec![
            config("mini-k2", "gpt-4o-mini", Some(2)),
            config("mini", "gpt-4o-mini", None),
            config("4o-k2", "gpt-4o", Some(2)),
            config("4o", "gpt-4o", None),
        ]);
        let mut rng = SplitMix64::new(seed);
        let mut results = Vec::new();
        for config in &run.configs {
            for case in &set.cases {
                let tenths = (rng.below(12) < 11).then(|| rng.below(11) as u8);
                let mut r = result(&run, config, case, tenths);
                if let Some(a) = r.answer.as_mut() {
                    // Latencies with every digit a clock gives (performance.now() differences).
                    a.total_ms = 400.0 + rng.next_f64() * 4_000.0;
                    a.first_token_ms = Some(a.total_ms * rng.next_f64());
                    let u = usage(800 + rng.below(800) as u32, 40 + rng.below(300) as u32);
                    r.answer_cost_usd = cost_of(&run.prices, &config.model, &u);
                    a.usage = Some(u);
                }
                if rng.below(10) == 0 {
                    r.human_tenths = Some(rng.below(11) as u8);
                }
                results.push(r);
            }
        }
        (run, set, results)
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use crate::core::cost::cost_of;
    use crate::core::eval::answer::CaseAnswer;
    use crate::core::eval::schedule::JobKey;
    use crate::core::model::{MessageStatus, Usage};

    /// Few resamples: the tests check counts, means and plumbing, and stats.rs checks the intervals.
    const QUICK: Bootstrap = Bootstrap { resamples: 200, confidence: 0.95, seed: REPORT_SEED };

    fn close(actual: f64, expected: f64) {
        assert!((actual - expected).abs() < 1e-12, "got {actual}, expected {expected}");
    }

    /// A two-configuration run on four cases:
    /// - "mini" (gpt-4o-mini, retrieval k = 1) scores 1.0, 0.5 and 0.0, and the judge gives up on the fourth;
    /// - "4o" (gpt-4o) scores 1.0 and 0.8, fails on c2 (quota), and has no result yet for c3.
    fn small() -> (Run, TestSet, Vec<CaseResult>) {
        let set = set(4);
        let run = run(vec![config("mini", "gpt-4o-mini", Some(1)), config("4o", "gpt-4o", None)]);
        let [mini, big] = [&run.configs[0], &run.configs[1]];
        let c = &set.cases;
        let mut failed = CaseResult::new(&run.id, &JobKey::new("c2", "4o"));
        failed.settle(Stage::Answer, StageRecord::Failed(FailureKind::QuotaExceeded));
        let results = vec![
            result(&run, mini, &c[0], Some(10)),
            result(&run, mini, &c[1], Some(5)),
            result(&run, mini, &c[2], Some(0)),
            result(&run, mini, &c[3], None),
            result(&run, big, &c[0], Some(10)),
            result(&run, big, &c[1], Some(8)),
            failed,
        ];
        (run, set, results)
    }

    #[test]
    fn a_row_counts_its_cases_and_averages_what_they_have() {
        let (run, set, results) = small();
        let report = build_report_with(&run, &set, &results, &QUICK);
        assert_eq!((report.cases, report.set_name.as_str(), report.set_version), (4, "Shapes", 3));
        assert_eq!((report.judge_model.as_str(), report.judge_prompt_version.as_str()), (JUDGE, JUDGE_PROMPT_VERSION));
        let [mini, big] = [&report.rows[0], &report.rows[1]];
        assert_eq!((mini.config_id.as_str(), mini.retrieval), ("mini", Some(1)));
        assert_eq!((mini.n, mini.failed, mini.not_judged, mini.missing), (4, 0, 1, 0));
        assert_eq!(mini.correctness.n, 3);
        close(mini.correctness.mean.unwrap(), 0.5);
        let ci = mini.correctness.ci.unwrap();
        assert!(ci.low >= 0.0 && ci.high <= 1.0 && ci.contains(0.5), "{ci:?}");
        // Every answer is its reference, and retrieval attached the one relevant image of each case.
        assert_eq!(mini.exact.mean, Some(1.0));
        assert_eq!((mini.recall.n, mini.recall.mean), (4, Some(1.0)));
        close(mini.faithfulness.mean.unwrap(), 2.0 / 3.0);
        assert_eq!((big.n, big.failed, big.missing, big.not_judged), (2, 1, 1, 0));
        close(big.correctness.mean.unwrap(), 0.9);
        assert_eq!((big.recall.n, big.recall.mean, big.recall.ci), (0, None, None), "no retrieval, no recall");
        assert_eq!(big.faithfulness.n, 0);
        assert_eq!((big.total_ms.n, big.total_ms.p50, big.total_ms.p95), (2, Some(1_500.0), Some(1_500.0)));
        assert_eq!(big.first_token_ms.p50, Some(900.0));
    }

    #[test]
    fn costs_add_up_answers_and_verdicts_apart() {
        let (run, set, results) = small();
        let report = build_report_with(&run, &set, &results, &QUICK);
        let price = |model: &str, u: Usage| cost_of(&run.prices, model, &u).unwrap();
        let (answer_mini, answer_4o) = (price("gpt-4o-mini", usage(1_000, 100)), price("gpt-4o", usage(1_000, 100)));
        let verdict = price(JUDGE, usage(500, 50));
        let mini = &report.rows[0].cost;
        close(mini.answers_usd.unwrap(), 4.0 * answer_mini);
        // Correctness and faithfulness for each of four cases; the unreadable verdict still cost its tokens.
        close(mini.judging_usd.unwrap(), 8.0 * verdict);
        close(mini.total_usd.unwrap(), 4.0 * answer_mini + 8.0 * verdict);
        close(mini.answer_per_case_usd.unwrap(), answer_mini);
        assert_eq!(mini.unpriced, 0);
        // The failed answer of gpt-4o is not in its sums, which are over its two answered cases.
        let big = &report.rows[1].cost;
        close(big.answers_usd.unwrap(), 2.0 * answer_4o);
        close(big.total_per_case_usd.unwrap(), answer_4o + verdict);
    }

    #[test]
    fn notes_name_what_the_reader_should_know_in_a_fixed_order() {
        let (run, set, results) = small();
        let report = build_report_with(&run, &set, &results, &QUICK);
        assert_eq!(
            report.notes,
            [
                ReportNote::MeteorOmitted,
                ReportNote::NotJudged { config_id: "mini".into(), count: 1 },
                ReportNote::ResultsMissing { config_id: "4o".into(), count: 1 },
                ReportNote::Failed { config_id: "4o".into(), count: 1 },
            ]
        );
        // A judge of the tested family, another judge prompt, another set version, an unpriced model.
        let mut other = run.clone();
        other.judge_model = "gpt-4o-2024-08-06".into();
        other.judge_prompt_version = "boda-judge-0".into();
        other.set_version = 2;
        other.configs[0].model = "my-local-model".into();
        let notes = build_report_with(&other, &set, &results, &QUICK).notes;
        for expected in [
            ReportNote::JudgePromptVersion { run: "boda-judge-0".into(), current: JUDGE_PROMPT_VERSION.into() },
            ReportNote::SetMismatch { run_set_id: "set".into(), run_version: 2, set_id: "set".into(), set_version: 3 },
            ReportNote::Unpriced { model: "my-local-model".into() },
            ReportNote::JudgeSameFamily { config_id: "4o".into() },
        ] {
            assert!(notes.contains(&expected), "{expected:?} not in {notes:?}");
        }
        assert!(!notes.contains(&ReportNote::JudgeSameFamily { config_id: "mini".into() }), "gpt-4o is not mini's kin");
    }

    #[test]
    fn an_unknown_cost_makes_the_sum_unknown_not_smaller() {
        let (mut run, set, mut results) = small();
        // The answers were costed when they came back; without a price, and one response without usage.
        for r in results.iter_mut().filter(|r| r.config_id == "mini") {
            r.answer_cost_usd = None;
        }
        results[4].correctness.as_mut().unwrap().cost_usd = None;
        run.configs[0].model = "my-local-model".into();
        let report = build_report_with(&run, &set, &results, &QUICK);
        let [mini, big] = [&report.rows[0], &report.rows[1]];
        assert_eq!((mini.cost.answers_usd, mini.cost.total_usd, mini.cost.answer_per_case_usd), (None, None, None));
        assert!(mini.cost.judging_usd.is_some());
        assert_eq!(mini.cost.unpriced, 4);
        assert_eq!((big.cost.judging_usd, big.cost.total_usd, big.cost.unpriced), (None, None, 1));
        assert!(big.cost.answers_usd.is_some(), "the answers' own sum is still whole");
        assert!(report.notes.contains(&ReportNote::CostIncomplete { config_id: "mini".into(), count: 4 }));
        assert!(report.notes.contains(&ReportNote::Unpriced { model: "my-local-model".into() }));
        // Only one configuration has a cost: no default pair, no headline.
        assert_eq!((default_pair(&report), &report.headline), (None, &None));
    }

    #[test]
    fn a_persons_score_wins_and_is_compared_with_the_judges() {
        let (run, set, mut results) = small();
        // The person agrees on c0 (1.0), gives c1 a 0.4 where the judge gave 0.5 (pass against fail), and
        // scores c3, which the judge could not.
        results[0].human_tenths = Some(10);
        results[1].human_tenths = Some(4);
        results[3].human_tenths = Some(7);
        let report = build_report_with(&run, &set, &results, &QUICK);
        let mini = &report.rows[0];
        assert_eq!((mini.correctness.n, mini.not_judged), (4, 0));
        close(mini.correctness.mean.unwrap(), (1.0 + 0.4 + 0.0 + 0.7) / 4.0);
        assert!(!report.notes.iter().any(|n| matches!(n, ReportNote::NotJudged { .. })));
        // Only c0 and c1 have both scores: one agreement on pass/fail, one exact, differences 0 and 0.1.
        let a = report.agreement.unwrap();
        assert_eq!(a.n, 2);
        close(a.pass_agreement, 0.5);
        close(a.exact_agreement, 0.5);
        close(a.mean_abs_difference, 0.05);
        // Judge (pass, pass), person (pass, fail): p_o = 1/2, p_e = (2·1 + 0·1)/4 = 1/2, κ = 0.
        assert_eq!(a.kappa, Some(0.0));
    }

    #[test]
    fn agreement_defines_pass_as_half_right_or_better() {
        let (run, set, _) = small();
        let pair = |judge: u8, human: u8| {
            let mut r = result(&run, &run.configs[1], &set.cases[0], Some(judge));
            r.human_tenths = Some(human);
            r
        };
        // 0.5 and 1.0 both pass; 0.4 and 0.0 both fail: all agree on pass/fail, none exactly.
        let rs = [pair(5, 10), pair(10, 5), pair(4, 0), pair(0, 4)];
        let a = judge_agreement(&rs).unwrap();
        assert_eq!((a.n, a.pass_agreement, a.kappa, a.exact_agreement), (4, 1.0, Some(1.0), 0.0));
        close(a.mean_abs_difference, 0.45);
        // Out-of-scale stored tenths read as 10; a result without both scores does not take part.
        let mut odd = pair(10, 200);
        odd.correctness = None;
        assert_eq!(judge_agreement([&pair(10, 200)]).unwrap().exact_agreement, 1.0);
        assert_eq!(judge_agreement([&odd]), None);
        assert_eq!(judge_agreement(&[]), None);
    }

    #[test]
    fn results_that_do_not_belong_are_left_out_and_counted() {
        let (run, set, results) = small();
        let clean = build_report_with(&run, &set, &results, &QUICK);
        let mut noisy = results.clone();
        let mut foreign = results[0].clone();
        foreign.run_id = "run0".into();
        let mut unknown_config = results[0].clone();
        unknown_config.config_id = "gone".into();
        let mut unknown_case = results[0].clone();
        unknown_case.case_id = "c99".into();
        let mut duplicate = results[1].clone();
        duplicate.human_tenths = Some(0);
        noisy.extend([foreign, unknown_config, unknown_case, duplicate.clone(), duplicate]);
        let report = build_report_with(&run, &set, &noisy, &QUICK);
        assert_eq!(report.rows, clean.rows, "the first result of a pair counts");
        for (reason, count) in [
            (IgnoredReason::OtherRun, 1),
            (IgnoredReason::UnknownConfig, 1),
            (IgnoredReason::UnknownCase, 1),
            (IgnoredReason::Duplicate, 2),
        ] {
            assert!(report.notes.contains(&ReportNote::ResultsIgnored { reason, count }), "{reason:?}");
        }
        // The order results come in changes nothing.
        let mut reversed = results.clone();
        reversed.reverse();
        assert_eq!(build_report_with(&run, &set, &reversed, &QUICK), clean);
    }

    #[test]
    fn where_a_result_stands() {
        let (run, set, results) = small();
        let statuses: Vec<ResultStatus> = results.iter().map(result_status).collect();
        assert_eq!(statuses[0], ResultStatus::Judged);
        assert_eq!(statuses[3], ResultStatus::NotJudged);
        assert_eq!(statuses[6], ResultStatus::Failed(Some(FailureKind::QuotaExceeded)));
        let blank = CaseResult::new(&run.id, &JobKey::new("c0", "mini"));
        assert_eq!(result_status(&blank), ResultStatus::Pending);
        let mut waiting = answered(&run, &run.configs[0], &set.cases[0], "x");
        assert_eq!(result_status(&waiting), ResultStatus::Answered);
        waiting.settle(Stage::Judge, StageRecord::Failed(FailureKind::Unavailable));
        assert_eq!(result_status(&waiting), ResultStatus::JudgeFailed(FailureKind::Unavailable));
        waiting.human_tenths = Some(3);
        assert_eq!(result_status(&waiting), ResultStatus::Judged, "a person's score settles it");
        // An answer cut short: still pending while its stage is open, failed once it is settled as it is.
        let mut cut = answered(&run, &run.configs[0], &set.cases[0], "Thr");
        cut.stages.clear();
        cut.answer.as_mut().unwrap().status = MessageStatus::Interrupted;
        assert_eq!(result_status(&cut), ResultStatus::Pending);
        cut.settle(Stage::Answer, StageRecord::Done);
        assert_eq!(result_status(&cut), ResultStatus::Failed(None));
        // A complete answer whose stage was never marked (the tab closed in between) counts.
        let mut unmarked = answered(&run, &run.configs[0], &set.cases[0], "x");
        unmarked.stages.clear();
        assert!(result_status(&unmarked).is_answered());
    }

    #[test]
    fn an_unfinished_run_says_what_is_still_to_come() {
        let (run, set, _) = small();
        let waiting: Vec<CaseResult> =
            set.cases[..3].iter().map(|c| answered(&run, &run.configs[0], c, &c.reference)).collect();
        let report = build_report_with(&run, &set, &waiting, &QUICK);
        let mini = &report.rows[0];
        assert_eq!((mini.n, mini.judging_unfinished, mini.missing, mini.correctness.n), (3, 3, 1, 0));
        assert_eq!(mini.correctness.mean, None);
        assert_eq!(mini.exact.n, 3);
        assert!(report.notes.contains(&ReportNote::JudgingUnfinished { config_id: "mini".into(), count: 3 }));
        assert!(report.notes.contains(&ReportNote::ResultsMissing { config_id: "4o".into(), count: 4 }));
        assert_eq!(report.rows[1].cost.answers_usd, Some(0.0), "nothing answered costs nothing");
        assert_eq!(report.rows[1].cost.answer_per_case_usd, None);
    }

    #[test]
    fn nothing_panics_on_empty_or_odd_input() {
        let (run, set, results) = small();
        let empty_run = Run { configs: Vec::new(), ..run.clone() };
        let empty_set = TestSet { cases: Vec::new(), ..set.clone() };
        for (run, set, results) in [
            (&empty_run, &set, &results[..]),
            (&run, &empty_set, &results[..]),
            (&run, &set, &[][..]),
            (&empty_run, &empty_set, &[][..]),
        ] {
            let report = build_report_with(run, set, results, &QUICK);
            assert!(report.rows.iter().all(|r| r.n == 0 && r.correctness.mean.is_none()));
            assert_eq!(report.headline, None);
            assert!(bar_chart(&report.rows, Metric::Correctness).is_empty());
            let _ = cost_quality_scatter(&report.rows);
            let _ = to_csv(run, set, results);
        }
        // Values that are not finite are missing values; a set that names a case twice counts it once.
        let mut odd = results.clone();
        let a: &mut CaseAnswer = odd[0].answer.as_mut().unwrap();
        a.total_ms = f64::NAN;
        a.first_token_ms = Some(f64::INFINITY);
        odd[0].recall = Some(f64::NAN);
        odd[1].answer_cost_usd = Some(f64::NAN);
        let mut twice = set.clone();
        twice.cases.push(set.cases[0].clone());
        let report = build_report_with(&run, &twice, &odd, &QUICK);
        let mini = &report.rows[0];
        assert_eq!((report.cases, mini.total_ms.n, mini.first_token_ms.n, mini.recall.n), (4, 3, 3, 3));
        assert_eq!((mini.cost.answers_usd, mini.cost.unpriced), (None, 1));
        // Settings out of range give no interval, never a panic.
        for bootstrap in [Bootstrap { resamples: 0, ..QUICK }, Bootstrap { confidence: f64::NAN, ..QUICK }] {
            let report = build_report_with(&run, &set, &results, &bootstrap);
            assert_eq!(report.rows[0].correctness.ci, None);
            assert_eq!(report.rows[0].correctness.mean, Some(0.5));
        }
    }

    #[test]
    fn the_headline_compares_the_same_cases_on_both_sides() {
        let set = set(6);
        let run = run(vec![config("mini", "gpt-4o-mini", None), config("4o", "gpt-4o", None)]);
        let [mini, big] = [&run.configs[0], &run.configs[1]];
        // mini scores 0.8 where 4o scores 1.0, on every case; 4o has no score on c5, mini none on c0.
        let mut results: Vec<CaseResult> = set.cases[1..].iter().map(|c| result(&run, mini, c, Some(8))).collect();
        results.extend(set.cases[..5].iter().map(|c| result(&run, big, c, Some(10))));
        let h = compare_with(&run, &set, &results, "mini", "4o", &QUICK).unwrap();
        assert_eq!((h.a.as_str(), h.b.as_str(), h.n), ("mini", "4o", 4));
        assert_eq!((h.correctness_a, h.correctness_b), (0.8, 1.0));
        assert_eq!((h.correctness_ratio, h.ci), (0.8, Interval { low: 0.8, high: 0.8 }));
        assert!(!h.no_detectable_difference);
        // The same usage on both sides: the ratio of the two models' prices, $0.21 against $3.50 per thousand.
        close(h.cost_ratio.unwrap(), 0.06);
        // The default pair is the cheapest against the dearest, and the report leads with it.
        let report = build_report_with(&run, &set, &results, &QUICK);
        assert_eq!(default_pair(&report), Some(("mini", "4o")));
        assert_eq!(report.headline.as_ref(), Some(&h));
        // No comparison with itself, with an unknown configuration, or with one whose mean is 0.
        assert_eq!(compare_with(&run, &set, &results, "mini", "mini", &QUICK), None);
        assert_eq!(compare_with(&run, &set, &results, "mini", "gpt-5", &QUICK), None);
        let zeros: Vec<CaseResult> = set.cases.iter().map(|c| result(&run, big, c, Some(0))).collect();
        assert_eq!(compare_with(&run, &set, &zeros, "mini", "4o", &QUICK), None);
    }

    #[test]
    fn the_headline_says_when_it_cannot_tell_the_two_apart() {
        let (run, set, results) = big(60, 5);
        // Two configurations of the same model, scored independently at random: no difference to detect.
        let h = compare_with(&run, &set, &results, "mini", "mini-k2", &Bootstrap::REPORT).unwrap();
        assert!(h.no_detectable_difference, "{h:?}");
        assert!(h.ci.contains(h.correctness_ratio));
        let cost = h.cost_ratio.unwrap();
        assert!(cost > 0.5 && cost < 2.0, "{cost}");
        // The same answers compared under two names: a ratio of exactly 1.
        let mut twin = run.clone();
        twin.configs.push(config("mini-again", "gpt-4o-mini", None));
        let mut doubled = results.clone();
        doubled.extend(
            results
                .iter()
                .filter(|r| r.config_id == "mini")
                .map(|r| CaseResult { config_id: "mini-again".into(), ..r.clone() }),
        );
        let h = compare_with(&twin, &set, &doubled, "mini-again", "mini", &QUICK).unwrap();
        assert_eq!((h.correctness_ratio, h.ci, h.cost_ratio), (1.0, Interval { low: 1.0, high: 1.0 }, Some(1.0)));
    }

    #[test]
    fn default_pair_takes_the_first_cheapest_and_the_last_dearest() {
        let (run, set, results) = big(10, 2);
        let report = build_report_with(&run, &set, &results, &QUICK);
        let (a, b) = default_pair(&report).unwrap();
        let cost = |id: &str| report.rows.iter().find(|r| r.config_id == id).unwrap().cost.answer_per_case_usd.unwrap();
        for row in &report.rows {
            let c = row.cost.answer_per_case_usd.unwrap();
            assert!(cost(a) <= c && c <= cost(b));
        }
        assert!(a.starts_with("mini") && b.starts_with("4o"), "{a} {b}");
        // Equal costs still give a pair.
        let same = Run { configs: vec![config("x", "gpt-4o", None), config("y", "gpt-4o", None)], ..run.clone() };
        let rs: Vec<CaseResult> =
            same.configs.iter().flat_map(|c| set.cases.iter().map(|k| result(&same, c, k, Some(5)))).collect();
        assert_eq!(default_pair(&build_report_with(&same, &set, &rs, &QUICK)), Some(("x", "y")));
    }

    #[test]
    fn a_figure_is_the_mean_and_bootstrap_interval_of_its_values_in_case_order() {
        let (run, set, mut results) = big(50, 8);
        // Gaps in some metrics only: a faithfulness check without claims, a case declaring no relevant image.
        results[3].faithfulness = None;
        results[4].recall = None;
        results.reverse();
        let report = build_report(&run, &set, &results);
        for (config, row) in run.configs.iter().zip(&report.rows) {
            for metric in Metric::ALL {
                let values: Vec<f64> = set
                    .cases
                    .iter()
                    .filter_map(|c| results.iter().find(|r| r.config_id == config.id && r.case_id == c.id))
                    .filter_map(|r| metric.of(r))
                    .collect();
                let b = Bootstrap::REPORT;
                let expected = Figure {
                    n: values.len(),
                    mean: mean(&values),
                    ci: crate::core::eval::stats::bootstrap_ci(&values, b.resamples, b.confidence, b.seed),
                };
                assert_eq!(*row.figure(metric), expected, "{} {metric:?}", config.id);
            }
        }
    }

    #[test]
    fn a_report_is_the_same_on_every_build() {
        let (run, set, results) = big(30, 9);
        let a = build_report(&run, &set, &results);
        assert_eq!(a, build_report(&run, &set, &results));
        assert_eq!(a.bootstrap, Bootstrap::REPORT);
        assert_eq!(a.bootstrap.resamples, REPORT_RESAMPLES);
        // Another seed moves the intervals a little, and not the means.
        let b = build_report_with(&run, &set, &results, &Bootstrap { seed: 1, ..Bootstrap::REPORT });
        assert_ne!(a.rows[0].correctness.ci, b.rows[0].correctness.ci);
        assert_eq!(a.rows[0].correctness.mean, b.rows[0].correctness.mean);
    }

    /// The report page's budget is 100 ms for 200 cases × 4 configurations in the browser. This prints what
    /// a native build takes (run it with `--release -- --nocapture` for the shipped optimisation; the debug
    /// build is several times slower), and asserts nothing about time, which depends on the machine.
    #[test]
    fn report_of_200_cases_by_4_configurations_is_fast_enough() {
        let (run, set, results) = big(200, 1);
        let build = if cfg!(debug_assertions) { "debug" } else { "optimised" };
        for resamples in [REPORT_RESAMPLES, crate::core::eval::stats::DEFAULT_RESAMPLES] {
            let bootstrap = Bootstrap { resamples, ..Bootstrap::REPORT };
            let started = std::time::Instant::now();
            let report = build_report_with(&run, &set, &results, &bootstrap);
            let elapsed = started.elapsed();
            assert_eq!(report.rows.len(), 4);
            assert!(report.rows.iter().all(|r| r.n == 200 && r.correctness.ci.is_some()));
            assert!(report.headline.is_some());
            println!("build_report, 200 cases × 4 configurations, {resamples} resamples, {build} build: {elapsed:?}");
        }
        let started = std::time::Instant::now();
        let csv = to_csv(&run, &set, &results);
        let json = to_json(&run, &results);
        let back = from_json(&json).unwrap();
        println!(
            "to_csv + to_json + from_json ({} + {} bytes), {build} build: {:?}",
            csv.len(),
            json.len(),
            started.elapsed()
        );
        assert_eq!(back.1.len(), 800);
    }
}
