//! A run and its results as stored: what was compared on which exact version of a set, and, per
//! configuration and case, the answer, its verdicts, metrics and cost.
//!
//! A result is written as each of its stages settles, so a closed tab loses at most the requests in flight,
//! and a resumed run reads back what is done through [`CaseResult::stored_stages`]. This module computes the
//! per-answer figures (the deterministic metrics, retrieval recall, cost); it does not aggregate them (see
//! `eval::report`) or send anything (see `eval::runner`).

use crate::core::cost::{AnswerCalls, PriceTable};
use crate::core::eval::answer::{CaseAnswer, RunConfig};
use crate::core::eval::judge::{Claims, Judgement, Verdict};
use crate::core::eval::metrics;
use crate::core::eval::model::Case;
use crate::core::eval::schedule::{JobKey, Stage, StageRecord, StoredStage};
use crate::core::model::Usage;
use crate::core::openai::add_usage;
use serde::{Deserialize, Serialize};

/// Where a run is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Asking, or interrupted while asking (a closed tab): Resume goes on.
    Running,
    /// Cancelled by the person after its requests in flight came back: Resume goes on.
    Cancelled,
    /// Every case was answered and judged (or failed, or could not be judged).
    Finished,
}

/// One run: configurations compared on one version of a set, judged by one model with one prompt version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub id: String,
    pub set_id: String,
    pub set_version: u32,
    /// The set's name when the run started (the report names it even if the set is renamed).
    pub set_name: String,
    pub configs: Vec<RunConfig>,
    pub judge_model: String,
    pub judge_prompt_version: String,
    /// The prices the run's costs are computed with, as they were when it started.
    pub prices: PriceTable,
    /// The dollars a Tavily credit cost when it started (runs stored before web search read the default).
    #[serde(default = "default_credit_usd")]
    pub credit_usd: f64,
    pub concurrency: u32,
    pub created_ms: f64,
    pub state: RunState,
    #[serde(default)]
    pub finished_ms: Option<f64>,
    /// Pairwise comparisons asked for after the run, each judged in both orders.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pairwise: Vec<crate::core::eval::pairwise::PairOutcome>,
}

fn default_credit_usd() -> f64 {
    crate::core::websearch::tavily::SearchOptions::DEFAULT_CREDIT_USD
}

impl Run {
    /// Whether Resume can go on with it.
    pub fn can_resume(&self) -> bool {
        self.state != RunState::Finished
    }
}

/// The deterministic metrics of one answer against its reference, each from 0 to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TextScores {
    pub exact: f64,
    pub f1: f64,
    pub rouge_l: f64,
    pub bleu: f64,
    pub chrf: f64,
}

impl TextScores {
    pub fn of(answer: &str, reference: &str) -> TextScores {
        TextScores {
            exact: metrics::exact_match(answer, reference),
            f1: metrics::token_f1(answer, reference),
            rouge_l: metrics::rouge_l(answer, reference),
            bleu: metrics::bleu4(answer, reference),
            chrf: metrics::chrf(answer, reference),
        }
    }
}

/// A request to the judge that came back, with what it cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judged<T> {
    pub judgement: Judgement<T>,
    /// Summed over the attempts it took.
    #[serde(default)]
    pub usage: Option<Usage>,
    #[serde(default)]
    pub cost_usd: Option<f64>,
}

impl<T> Judged<T> {
    /// The record after one more attempt: its reading (or why there is none), with its usage and cost added to
    /// what the attempts `before` it cost.
    pub fn after(
        before: Option<Judged<T>>,
        reading: Result<T, crate::core::eval::judge::Unreadable>,
        usage: Option<Usage>,
        cost_usd: Option<f64>,
    ) -> Judged<T> {
        let judgement = match reading {
            Ok(t) => Judgement::Scored(t),
            Err(why) => Judgement::NotJudged(why),
        };
        let (usage_before, cost_before) = before.map_or((None, None), |b| (b.usage, b.cost_usd));
        let cost_usd = match (cost_before, cost_usd) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        Judged { judgement, usage: add_usage(usage_before, usage), cost_usd }
    }
}

/// One configuration's outcome on one case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    pub run_id: String,
    pub config_id: String,
    pub case_id: String,
    /// How each stage that settled ended.
    #[serde(default)]
    pub stages: Vec<(Stage, StageRecord)>,
    #[serde(default)]
    pub answer: Option<CaseAnswer>,
    #[serde(default)]
    pub answer_cost_usd: Option<f64>,
    #[serde(default)]
    pub scores: Option<TextScores>,
    /// The share of the case's relevant images that retrieval attached, when the case says which are
    /// relevant and the configuration retrieves.
    #[serde(default)]
    pub recall: Option<f64>,
    #[serde(default)]
    pub correctness: Option<Judged<Verdict>>,
    #[serde(default)]
    pub faithfulness: Option<Judged<Claims>>,
    /// A person's correctness score in tenths, overriding the judge's in the report.
    #[serde(default)]
    pub human_tenths: Option<u8>,
}

impl CaseResult {
    pub fn new(run_id: &str, key: &JobKey) -> CaseResult {
        CaseResult {
            run_id: run_id.to_owned(),
            config_id: key.config_id.clone(),
            case_id: key.case_id.clone(),
            stages: Vec::new(),
            answer: None,
            answer_cost_usd: None,
            scores: None,
            recall: None,
            correctness: None,
            faithfulness: None,
            human_tenths: None,
        }
    }

    /// The store key: run, configuration and case.
    pub fn key(&self) -> String {
        result_key(&self.run_id, &self.config_id, &self.case_id)
    }

    pub fn job(&self) -> JobKey {
        JobKey::new(self.case_id.clone(), self.config_id.clone())
    }

    /// Records how a stage ended (replacing an earlier record of it).
    pub fn settle(&mut self, stage: Stage, record: StageRecord) {
        self.stages.retain(|(s, _)| *s != stage);
        self.stages.push((stage, record));
    }

    /// Whether the result is final: every stage of `stages` settled, or one failed (which ends the job).
    pub fn is_settled(&self, stages: &[Stage]) -> bool {
        self.stages.iter().any(|(_, r)| matches!(r, StageRecord::Failed(_)))
            || stages.iter().all(|s| self.record_of(*s).is_some())
    }

    pub fn record_of(&self, stage: Stage) -> Option<&StageRecord> {
        self.stages.iter().find(|(s, _)| *s == stage).map(|(_, r)| r)
    }

    /// What the scheduler reads back to resume.
    pub fn stored_stages(&self) -> Vec<StoredStage> {
        self.stages
            .iter()
            .map(|(stage, record)| StoredStage { key: self.job(), stage: *stage, record: record.clone() })
            .collect()
    }

    /// Stores an answer with what follows from it alone: its cost, its metrics, and retrieval's recall.
    pub fn answered(
        &mut self,
        answer: CaseAnswer,
        case: &Case,
        config: &RunConfig,
        prices: &PriceTable,
        credit_usd: f64,
    ) {
        // The answer with its web search (planning call and credits): unknown when nothing reported usage.
        let search = answer.search.as_ref();
        let calls = AnswerCalls {
            model: Some(config.model.clone()),
            usage: answer.usage,
            plan_model: search.and_then(|s| s.plan_model.clone()),
            plan_usage: search.and_then(|s| s.plan_usage),
            credits: search.map_or(0.0, |s| s.credits),
        };
        let known = calls.usage.is_some() || calls.plan_usage.is_some() || calls.credits > 0.0;
        self.answer_cost_usd = known.then(|| calls.usd(prices, credit_usd)).flatten();
        self.scores = answer.is_complete().then(|| TextScores::of(&answer.text, &case.reference));
        self.recall = retrieval_recall(case, config, &answer.attached);
        self.answer = Some(answer);
    }

    /// The correctness score the report uses: the person's when they gave one, else the judge's.
    pub fn correctness_score(&self) -> Option<f64> {
        match self.human_tenths {
            Some(t) => Some(f64::from(t.min(10)) / 10.0),
            None => self.judge_score(),
        }
    }

    /// The judge's correctness score, when it gave one.
    pub fn judge_score(&self) -> Option<f64> {
        self.correctness.as_ref().and_then(|j| j.judgement.score())
    }

    pub fn faithfulness_score(&self) -> Option<f64> {
        self.faithfulness.as_ref().and_then(|j| j.judgement.faithfulness())
    }

    /// What the answer and its judging cost, when every part has a price.
    pub fn total_cost_usd(&self) -> Option<f64> {
        let mut total = self.answer_cost_usd?;
        for part in [self.correctness.as_ref().map(|j| j.cost_usd), self.faithfulness.as_ref().map(|j| j.cost_usd)]
            .into_iter()
            .flatten()
        {
            total += part?;
        }
        Some(total)
    }
}

/// The store key of a result.
pub fn result_key(run_id: &str, config_id: &str, case_id: &str) -> String {
    format!("{run_id}|{config_id}|{case_id}")
}

/// Retrieval recall@k: the share of the case's relevant images among those attached. `None` when the case
/// declares no relevant image or the configuration sends every image (nothing was retrieved).
pub fn retrieval_recall(case: &Case, config: &RunConfig, attached: &[String]) -> Option<f64> {
    config.retrieval?;
    let relevant: Vec<&str> = case.images.iter().filter(|i| i.relevant).map(|i| i.id.as_str()).collect();
    if relevant.is_empty() {
        return None;
    }
    let found = relevant.iter().filter(|id| attached.iter().any(|a| a == *id)).count();
    Some(found as f64 / relevant.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::eval::model::{CaseImage, ReferenceMode};
    use crate::core::model::{Detail, MessageStatus};

    fn case() -> Case {
        let image = |id: &str, relevant| CaseImage {
            id: id.into(),
            name: format!("{id}.png"),
            mime: "image/png".into(),
            width: 8,
            height: 8,
            caption: None,
            relevant,
        };
        Case {
            id: "c".into(),
            question: "q".into(),
            reference: "Two red circles".into(),
            mode: ReferenceMode::All,
            tags: Vec::new(),
            images: vec![image("a", true), image("b", false), image("c", true)],
        }
    }

    fn config(retrieval: Option<u32>) -> RunConfig {
        RunConfig {
            wardrobe: false,
            preset: None,
            web: None,
            id: "x".into(),
            model: "gpt-4o".into(),
            detail: Detail::Low,
            retrieval,
            instructions: None,
            temperature: None,
        }
    }

    fn answer(text: &str, attached: &[&str]) -> CaseAnswer {
        CaseAnswer {
            wardrobe: Vec::new(),
            search: None,
            text: text.into(),
            status: MessageStatus::Complete,
            error: None,
            usage: Some(Usage {
                prompt_tokens: 1_000_000,
                completion_tokens: 100_000,
                total_tokens: 1_100_000,
                cached_tokens: 0,
            }),
            first_token_ms: Some(10.0),
            total_ms: 20.0,
            context: Vec::new(),
            attached: attached.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn an_answer_brings_its_cost_metrics_and_recall() {
        let mut r = CaseResult::new("run", &JobKey::new("c", "x"));
        r.answered(answer("Two red circles", &["a", "b"]), &case(), &config(Some(2)), &PriceTable::defaults(), 0.008);
        // gpt-4o: $2.50 per 1M in, $10 per 1M out.
        assert!((r.answer_cost_usd.unwrap() - 3.5).abs() < 1e-9);
        assert_eq!(r.scores.unwrap().exact, 1.0);
        assert_eq!(r.recall, Some(0.5));
        assert_eq!(r.key(), "run|x|c");
        let mut all = CaseResult::new("run", &JobKey::new("c", "x"));
        all.answered(answer("One", &["a", "b", "c"]), &case(), &config(None), &PriceTable::defaults(), 0.008);
        assert_eq!(all.recall, None, "nothing was retrieved when every image goes");
    }

    #[test]
    fn a_failed_answer_has_no_metrics_and_an_unpriced_part_no_total() {
        let mut failed = answer("", &[]);
        failed.status = MessageStatus::Failed;
        let mut r = CaseResult::new("run", &JobKey::new("c", "x"));
        r.answered(failed, &case(), &config(None), &PriceTable::defaults(), 0.008);
        assert_eq!(r.scores, None);
        r.correctness = Some(Judged {
            judgement: Judgement::Scored(Verdict { tenths: 7, rationale: "ok".into() }),
            usage: None,
            cost_usd: None,
        });
        assert_eq!(r.total_cost_usd(), None);
        assert_eq!(r.correctness_score(), Some(0.7));
        r.human_tenths = Some(10);
        assert_eq!((r.correctness_score(), r.judge_score()), (Some(1.0), Some(0.7)));
    }

    #[test]
    fn stages_settle_once_each_and_read_back_for_resume() {
        let mut r = CaseResult::new("run", &JobKey::new("c", "x"));
        r.settle(Stage::Answer, StageRecord::Done);
        r.settle(Stage::Judge, StageRecord::NotJudged);
        r.settle(Stage::Judge, StageRecord::Done);
        assert!(!r.is_settled(&[Stage::Answer, Stage::Judge, Stage::Faithfulness]));
        assert!(r.is_settled(&[Stage::Answer, Stage::Judge]));
        let back = r.stored_stages();
        assert_eq!(back.len(), 2);
        assert_eq!(back[1].record, StageRecord::Done);
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<CaseResult>(&json).unwrap(), r);
    }
}
