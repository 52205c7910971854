//! What requests cost in US dollars: a dated, editable price table, the cost of a finished request from its
//! reported usage, and estimates before a run from token counts.
//!
//! Money is an `f64` of US dollars, exact enough for sums of list prices; rounding it for display (to a cent,
//! or to significant figures for fractions of one) is the view's job, as is the currency's formatting. A model
//! the table does not know has no price (`None`, shown as "no price"), never a cost of 0.
//!
//! Estimates are estimates: text tokens come from [`crate::core::prompt::estimate_tokens`] (about four
//! characters a token for Latin text, one for Hangul), image tokens from
//! [`crate::core::image_plan::image_tokens`] (OpenAI's per-model rules), input is priced as if nothing were
//! cached (the most it can cost), and a reasoning model's hidden reasoning tokens are not foreseen. This module
//! sends nothing and does not know what the person's account is actually billed.

use crate::core::eval::judge::{self, CorrectnessCase, FaithfulnessCase, ReferenceMode};
use crate::core::image_plan::image_tokens;
use crate::core::model::{Detail, Message, Role};
use crate::core::openai::{ChatMessage, ContentPart, StructuredRequest, Usage, UserContent};
use crate::core::prompt::estimate_tokens;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The date the default prices were compiled from OpenAI's list prices.
pub const DEFAULT_PRICES_AS_OF: &str = "2026-12-01";

/// Tokens the chat format adds around each message (the same allowance as `prompt::message_tokens`).
const MESSAGE_OVERHEAD: u32 = 4;
/// Tokens the API adds to prime the reply.
const REPLY_PRIMING: u32 = 3;
/// Tokens allowed for the label that introduces each image ("Image 2: IMG_0042.jpg"); captions are not
/// foreseen.
const IMAGE_LABEL_TOKENS: u32 = 10;

/// The output a correctness or pairwise verdict is expected to take: a score and one sentence in JSON.
pub const JUDGE_OUTPUT_TOKENS: u32 = 80;

/// The price of one model, in US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Price {
    pub input_usd_per_mtok: f64,
    pub output_usd_per_mtok: f64,
    /// The price of input tokens served from the prompt cache; without it they cost the full input price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input_usd_per_mtok: Option<f64>,
}

impl Price {
    /// A price of `input` and `output` dollars per million tokens, with no cached-input price.
    pub const fn new(input: f64, output: f64) -> Price {
        Price { input_usd_per_mtok: input, output_usd_per_mtok: output, cached_input_usd_per_mtok: None }
    }

    /// Whether every figure is a finite, non-negative number (an edited table may hold anything).
    fn is_valid(&self) -> bool {
        let ok = |v: f64| v.is_finite() && v >= 0.0;
        ok(self.input_usd_per_mtok) && ok(self.output_usd_per_mtok) && self.cached_input_usd_per_mtok.is_none_or(ok)
    }

    /// The dollars for `input` prompt tokens, `cached` of them from the cache, and `output` completion tokens.
    pub fn usd(&self, input: u32, cached: u32, output: u32) -> f64 {
        let cached = cached.min(input);
        let per = |tokens: u32, usd_per_mtok: f64| f64::from(tokens) * usd_per_mtok / 1_000_000.0;
        per(input - cached, self.input_usd_per_mtok)
            + per(cached, self.cached_input_usd_per_mtok.unwrap_or(self.input_usd_per_mtok))
            + per(output, self.output_usd_per_mtok)
    }
}

/// Prices per model, and the date they were true. Serialisable so that the person can edit it and keep it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceTable {
    /// When the prices were compiled, as `YYYY-MM-DD` (shown next to every cost, since prices change).
    pub as_of: String,
    /// Prices by model name, as the API names models (`gpt-4o-mini`). Dated snapshots find their model's
    /// price (see [`PriceTable::price`]).
    pub models: BTreeMap<String, Price>,
}

impl Default for PriceTable {
    fn default() -> PriceTable {
        PriceTable::defaults()
    }
}

impl PriceTable {
    /// OpenAI's list prices as of [`DEFAULT_PRICES_AS_OF`], per million tokens in and out. Cached-input prices
    /// are left out: cached tokens are then priced as ordinary input, which can only overstate a cost.
    pub fn defaults() -> PriceTable {
        let models = [
            ("gpt-4o-mini", Price::new(0.15, 0.60)),
            ("gpt-4o", Price::new(2.50, 10.00)),
            ("gpt-4.1-mini", Price::new(0.40, 1.60)),
            ("gpt-4.1-nano", Price::new(0.10, 0.40)),
            ("gpt-4.1", Price::new(2.00, 8.00)),
            // Embeddings have no output tokens.
            ("text-embedding-3-small", Price::new(0.02, 0.0)),
        ];
        PriceTable {
            as_of: DEFAULT_PRICES_AS_OF.to_owned(),
            models: models.into_iter().map(|(name, price)| (name.to_owned(), price)).collect(),
        }
    }

    /// The price of `model`: by its exact name (surrounding spaces aside), else, for a dated snapshot
    /// (`gpt-4o-2024-08-06`, `gpt-4-0613`), by the name without the date. `None` when neither is in the table,
    /// or when the entry holds a negative or non-finite figure.
    pub fn price(&self, model: &str) -> Option<Price> {
        let name = model.trim();
        self.models
            .get(name)
            .or_else(|| snapshot_base(name).and_then(|base| self.models.get(base)))
            .copied()
            .filter(Price::is_valid)
    }
}

/// Why an edited price table cannot be kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriceProblem {
    /// A row has prices but no model name (`row` counts from 1).
    NoModel { row: usize },
    /// A price is not a number of dollars, zero or more.
    BadPrice { model: String },
    /// The model is named twice.
    Duplicate { model: String },
}

/// A row of a price table as the person edits it: the model and the two prices, as typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PriceRow {
    pub model: String,
    pub input: String,
    pub output: String,
}

impl PriceTable {
    /// The table's rows for editing, by model name.
    pub fn rows(&self) -> Vec<PriceRow> {
        self.models
            .iter()
            .map(|(model, p)| PriceRow {
                model: model.clone(),
                input: p.input_usd_per_mtok.to_string(),
                output: p.output_usd_per_mtok.to_string(),
            })
            .collect()
    }

    /// The table the edited `rows` make, dated `as_of`. Empty rows are dropped; a cached-input price of a
    /// model whose prices did not change is kept.
    pub fn from_rows(&self, rows: &[PriceRow], as_of: &str) -> Result<PriceTable, PriceProblem> {
        let mut models = BTreeMap::new();
        for (i, row) in rows.iter().enumerate() {
            let model = row.model.trim();
            let (input, output) = (row.input.trim(), row.output.trim());
            if model.is_empty() {
                if input.is_empty() && output.is_empty() {
                    continue;
                }
                return Err(PriceProblem::NoModel { row: i + 1 });
            }
            let number = |t: &str| t.trim_start_matches('$').parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0);
            let (Some(input), Some(output)) = (number(input), number(output)) else {
                return Err(PriceProblem::BadPrice { model: model.to_owned() });
            };
            let cached = self
                .models
                .get(model)
                .filter(|p| p.input_usd_per_mtok == input && p.output_usd_per_mtok == output)
                .and_then(|p| p.cached_input_usd_per_mtok);
            let price =
                Price { input_usd_per_mtok: input, output_usd_per_mtok: output, cached_input_usd_per_mtok: cached };
            if models.insert(model.to_owned(), price).is_some() {
                return Err(PriceProblem::Duplicate { model: model.to_owned() });
            }
        }
        Ok(PriceTable { as_of: as_of.to_owned(), models })
    }
}

/// The model a dated snapshot name belongs to: `name` without a trailing `-YYYY-MM-DD` or `-MMDD`.
fn snapshot_base(name: &str) -> Option<&str> {
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    let b = name.as_bytes();
    let long = b.len() > 11 && {
        let t = &b[b.len() - 11..];
        t[0] == b'-' && digits(&t[1..5]) && t[5] == b'-' && digits(&t[6..8]) && t[8] == b'-' && digits(&t[9..11])
    };
    if long {
        return name.get(..name.len() - 11);
    }
    let short = b.len() > 5 && b[b.len() - 5] == b'-' && digits(&b[b.len() - 4..]);
    if short {
        return name.get(..name.len() - 5);
    }
    None
}

/// What a finished request cost in US dollars, from the usage the API reported: uncached input, cached input
/// and output at their prices. `None` when the model has no price.
pub fn cost_of(table: &PriceTable, model: &str, usage: &Usage) -> Option<f64> {
    let price = table.price(model)?;
    Some(price.usd(usage.prompt_tokens, usage.cached_tokens, usage.completion_tokens))
}

/// What one answer's calls used, as far as cost goes: the answer itself, the web search's planning call, and
/// Tavily credits. Read from a stored message ([`AnswerCalls::of`]), or field by field by a store that does
/// not parse whole messages.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AnswerCalls {
    pub model: Option<String>,
    pub usage: Option<Usage>,
    pub plan_model: Option<String>,
    pub plan_usage: Option<Usage>,
    pub credits: f64,
}

impl AnswerCalls {
    /// The calls of an assistant message (`None` for a question).
    pub fn of(m: &Message) -> Option<AnswerCalls> {
        if m.role != Role::Assistant {
            return None;
        }
        let search = m.search.as_ref();
        Some(AnswerCalls {
            model: m.model.clone(),
            usage: m.usage,
            plan_model: search.and_then(|s| s.plan_model.clone()),
            plan_usage: search.and_then(|s| s.plan_usage),
            credits: search.map_or(0.0, |s| s.credits),
        })
    }

    /// Whether anything it used is known (an answer that failed before any usage arrived, with no search, is
    /// not counted at all: what it cost, if anything, is not known).
    fn counts(&self) -> bool {
        self.usage.is_some() || self.plan_usage.is_some() || self.credits > 0.0
    }

    /// Its cost, or `None` when a call with usage has no price.
    pub fn usd(&self, table: &PriceTable, credit_usd: f64) -> Option<f64> {
        let priced = |model: &Option<String>, usage: &Option<Usage>| match usage {
            None => Some(0.0),
            Some(u) => cost_of(table, model.as_deref()?, u),
        };
        Some(
            priced(&self.model, &self.usage)?
                + priced(&self.plan_model, &self.plan_usage)?
                + crate::core::websearch::search_cost(self.credits, credit_usd),
        )
    }
}

/// What a number of finished answers cost together: the dollars of those with a price, and how many had one
/// and how many did not (a model the table does not know). An answer counts with all its calls (the answer,
/// a web search's planning call and its Tavily credits at `credit_usd` each); one whose calls are not all
/// priced is left out of the dollars and counted as unpriced.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Spend {
    pub usd: f64,
    /// Answers priced into `usd`.
    pub priced: usize,
    /// Answers with usage but no price: left out of `usd`, and the total says so.
    pub unpriced: usize,
}

impl Spend {
    /// The cost of these answers' calls.
    pub fn of<'a>(table: &PriceTable, credit_usd: f64, answers: impl IntoIterator<Item = &'a AnswerCalls>) -> Spend {
        let mut spend = Spend::default();
        for calls in answers.into_iter().filter(|c| c.counts()) {
            match calls.usd(table, credit_usd) {
                Some(usd) => {
                    spend.usd += usd;
                    spend.priced += 1;
                }
                None => spend.unpriced += 1,
            }
        }
        spend
    }

    /// The cost of the answers among `messages` (questions cost nothing by themselves: their tokens are in the
    /// prompt of the answer they got).
    pub fn of_messages(table: &PriceTable, credit_usd: f64, messages: &[Message]) -> Spend {
        let calls: Vec<AnswerCalls> = messages.iter().filter_map(AnswerCalls::of).collect();
        Spend::of(table, credit_usd, &calls)
    }

    /// Answers counted, priced or not.
    pub fn answers(&self) -> usize {
        self.priced + self.unpriced
    }
}

/// Dollars as a person reads them: cents from a dollar up (`$1.25`, `$1,234.50`), and below a dollar two
/// significant figures with at least two decimals (`$0.25`, `$0.012`, `$0.0003`, `$0.00036`), so that the
/// fractions of a cent that single answers cost stay visible instead of reading `$0.00`. Amounts above zero
/// but under a millionth of a dollar read `<$0.000001`; zero is `$0.00`. Not a number is `$?`.
pub fn format_usd(usd: f64) -> String {
    if !usd.is_finite() {
        return "$?".to_owned();
    }
    let sign = if usd < 0.0 { "-" } else { "" };
    let x = usd.abs();
    if x == 0.0 {
        return "$0.00".to_owned();
    }
    if x < 0.000_001 {
        return format!("{sign}<$0.000001");
    }
    // Two significant figures below a dollar (unless they round up to one).
    let decimals = (1 - x.log10().floor() as i32).max(2) as usize;
    let small = format!("{x:.decimals$}");
    if decimals > 2 && small.parse::<f64>().is_ok_and(|r| r < 1.0) {
        let trimmed = small.trim_end_matches('0');
        let keep = trimmed.len().max("0.00".len());
        return format!("{sign}${}", &small[..keep]);
    }
    let cents = format!("{x:.2}");
    let (whole, frac) = cents.split_once('.').unwrap_or((&cents, "00"));
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}${grouped}.{frac}")
}

/// A request's foreseen tokens and cost.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Estimate {
    pub input_tokens: u32,
    pub output_tokens: u32,
    /// `None` when the model has no price.
    pub usd: Option<f64>,
}

impl Estimate {
    /// The estimate of `input_tokens` in and `output_tokens` out on `model`, input priced as uncached.
    pub fn of(table: &PriceTable, model: &str, input_tokens: u32, output_tokens: u32) -> Estimate {
        let usd = table.price(model).map(|p| p.usd(input_tokens, 0, output_tokens));
        Estimate { input_tokens, output_tokens, usd }
    }

    /// Two estimates together (of requests that may go to different models). The cost is `None` as soon as
    /// one part has no price: a partial sum would read as the whole.
    pub fn plus(self, other: Estimate) -> Estimate {
        Estimate {
            input_tokens: self.input_tokens.saturating_add(other.input_tokens),
            output_tokens: self.output_tokens.saturating_add(other.output_tokens),
            usd: self.usd.zip(other.usd).map(|(a, b)| a + b),
        }
    }

    /// This estimate `n` times over (one per test case, say).
    pub fn times(self, n: u32) -> Estimate {
        Estimate {
            input_tokens: self.input_tokens.saturating_mul(n),
            output_tokens: self.output_tokens.saturating_mul(n),
            usd: self.usd.map(|usd| usd * f64::from(n)),
        }
    }
}

/// The foreseen cost of one answer: the system prompt and the question, each image at `detail` by the model's
/// own image-token rule (with its label), and `expected_output_tokens` of answer. `images` are the sizes the
/// images are sent at (width, height in pixels).
pub fn estimate_answer(
    table: &PriceTable,
    model: &str,
    detail: Detail,
    images: &[(u32, u32)],
    question_text: &str,
    system_prompt: &str,
    expected_output_tokens: u32,
) -> Estimate {
    let mut input = REPLY_PRIMING
        .saturating_add(estimate_tokens(system_prompt).saturating_add(MESSAGE_OVERHEAD))
        .saturating_add(estimate_tokens(question_text).saturating_add(MESSAGE_OVERHEAD));
    if !images.is_empty() {
        // The images travel in a user message of their own, each after its label.
        input = input.saturating_add(MESSAGE_OVERHEAD);
        for &(w, h) in images {
            input = input.saturating_add(image_tokens(model, w, h, detail)).saturating_add(IMAGE_LABEL_TOKENS);
        }
    }
    Estimate::of(table, model, input, expected_output_tokens)
}

/// The input tokens of a judge request as built: its messages' texts with the chat format's overhead, and the
/// response schema (Structured Outputs put it in front of the model too).
fn judge_request_tokens(request: &StructuredRequest) -> u32 {
    let text_tokens = |m: &ChatMessage| match m {
        ChatMessage::System { content } | ChatMessage::Assistant { content } => estimate_tokens(content),
        ChatMessage::User { content: UserContent::Text(t) } => estimate_tokens(t),
        ChatMessage::User { content: UserContent::Parts(parts) } => parts
            .iter()
            .map(|p| match p {
                ContentPart::Text { text } => estimate_tokens(text),
                // Judge requests carry no images.
                ContentPart::ImageUrl { .. } => 0,
            })
            .fold(0, u32::saturating_add),
    };
    let messages = request
        .chat
        .messages
        .iter()
        .map(|m| text_tokens(m).saturating_add(MESSAGE_OVERHEAD))
        .fold(0, u32::saturating_add);
    let format = serde_json::to_string(&request.response_format).map(|s| estimate_tokens(&s)).unwrap_or(0);
    messages.saturating_add(format).saturating_add(REPLY_PRIMING)
}

/// What judging one case involves, as far as it is known before the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JudgingPlan<'a> {
    pub judge_model: &'a str,
    pub question: &'a str,
    pub reference: &'a str,
    /// The answer's expected length in tokens (it is judged, so it is input to the judge).
    pub expected_answer_tokens: u32,
    /// With retrieval on, the expected tokens of the retrieved context, for the faithfulness check; `None`
    /// with retrieval off (no faithfulness check).
    pub retrieved_context_tokens: Option<u32>,
}

/// The foreseen cost of judging one case.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct JudgingEstimate {
    pub correctness: Estimate,
    /// `None` when retrieval is off and faithfulness is not checked.
    pub faithfulness: Option<Estimate>,
}

impl JudgingEstimate {
    /// Both requests together.
    pub fn total(&self) -> Estimate {
        self.faithfulness.map_or(self.correctness, |f| self.correctness.plus(f))
    }
}

/// The input tokens of a judge's requests apart from a case's own words (rubric, schema, the data's keys), for
/// one judge model: the same for every case, so a run's estimate works them out once, not once per case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JudgeOverhead {
    correctness: u32,
    faithfulness: u32,
}

impl JudgeOverhead {
    /// The requests [`judge::correctness_request`] and [`judge::faithfulness_request`] build for `judge_model`,
    /// counted with an empty question, reference, answer and context.
    pub fn of(judge_model: &str) -> JudgeOverhead {
        let correctness = CorrectnessCase { question: "", reference: "", mode: ReferenceMode::All, answer: "" };
        let faithfulness = FaithfulnessCase { question: "", answer: "", context: &[] };
        JudgeOverhead {
            correctness: judge_request_tokens(&judge::correctness_request(judge_model, &correctness)),
            faithfulness: judge_request_tokens(&judge::faithfulness_request(judge_model, &faithfulness)),
        }
    }
}

/// The foreseen cost of judging one case: the correctness request as [`judge::correctness_request`] builds it
/// (rubric, question, reference) plus the expected answer, with [`JUDGE_OUTPUT_TOKENS`] out; and, with
/// retrieval on, the faithfulness request with the expected answer and context, whose output restates the
/// answer as claims (the answer's tokens again, plus about ten tokens of JSON per claim of some fifteen
/// tokens).
pub fn estimate_judging(table: &PriceTable, plan: &JudgingPlan) -> JudgingEstimate {
    estimate_judging_with(table, plan, &JudgeOverhead::of(plan.judge_model))
}

/// [`estimate_judging`] with the judge's `overhead` worked out already. The case's words are counted on their
/// own, so the figure can differ from the request as built by a token or two (of rounding).
pub fn estimate_judging_with(table: &PriceTable, plan: &JudgingPlan, overhead: &JudgeOverhead) -> JudgingEstimate {
    let answer = plan.expected_answer_tokens;
    let question = estimate_tokens(plan.question);
    let correctness_in = overhead
        .correctness
        .saturating_add(question)
        .saturating_add(estimate_tokens(plan.reference))
        .saturating_add(answer);
    let correctness = Estimate::of(table, plan.judge_model, correctness_in, JUDGE_OUTPUT_TOKENS);
    let faithfulness = plan.retrieved_context_tokens.map(|context| {
        let input = overhead.faithfulness.saturating_add(question).saturating_add(answer).saturating_add(context);
        let output = answer.saturating_add(answer.div_ceil(15).saturating_mul(10)).saturating_add(10);
        Estimate::of(table, plan.judge_model, input, output)
    });
    JudgingEstimate { correctness, faithfulness }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_edited_table_keeps_what_was_typed_and_refuses_what_is_not_a_price() {
        let table = PriceTable::defaults();
        let mut rows = table.rows();
        let n = rows.len();
        let four_o = rows.iter_mut().find(|r| r.model == "gpt-4o").unwrap();
        four_o.input = "$5".into();
        rows.push(PriceRow { model: " my-local ".into(), input: "0".into(), output: "0".into() });
        rows.push(PriceRow::default());
        let edited = table.from_rows(&rows, "2026-12-24").unwrap();
        assert_eq!(edited.as_of, "2026-12-24");
        assert_eq!(edited.models.len(), n + 1);
        assert_eq!(edited.price("gpt-4o").unwrap().input_usd_per_mtok, 5.0);
        assert_eq!(edited.price("my-local"), Some(Price::new(0.0, 0.0)));
        assert_eq!(edited.price("gpt-4o-mini"), table.price("gpt-4o-mini"));
        let bad = |input: &str| {
            table.from_rows(&[PriceRow { model: "x".into(), input: input.into(), output: "1".into() }], "d")
        };
        assert_eq!(bad("-1"), Err(PriceProblem::BadPrice { model: "x".into() }));
        assert_eq!(bad("cheap"), Err(PriceProblem::BadPrice { model: "x".into() }));
        assert_eq!(bad("NaN"), Err(PriceProblem::BadPrice { model: "x".into() }));
        let nameless = [PriceRow { model: " ".into(), input: "1".into(), output: "1".into() }];
        assert_eq!(table.from_rows(&nameless, "d"), Err(PriceProblem::NoModel { row: 1 }));
        let twice = [
            PriceRow { model: "a".into(), input: "1".into(), output: "1".into() },
            PriceRow { model: "a".into(), input: "2".into(), output: "2".into() },
        ];
        assert_eq!(table.from_rows(&twice, "d"), Err(PriceProblem::Duplicate { model: "a".into() }));
    }

    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn defaults_are_dated_list_prices() {
        let t = PriceTable::defaults();
        assert_eq!(t.as_of, "2026-12-01");
        assert_eq!(t, PriceTable::default());
        let p = |m: &str| t.price(m).map(|p| (p.input_usd_per_mtok, p.output_usd_per_mtok));
        assert_eq!(p("gpt-4o-mini"), Some((0.15, 0.60)));
        assert_eq!(p("gpt-4o"), Some((2.50, 10.0)));
        assert_eq!(p("gpt-4.1-mini"), Some((0.40, 1.60)));
        assert_eq!(p("gpt-4.1-nano"), Some((0.10, 0.40)));
        assert_eq!(p("gpt-4.1"), Some((2.0, 8.0)));
        assert_eq!(p("text-embedding-3-small"), Some((0.02, 0.0)));
    }

    #[test]
    fn snapshots_find_their_model_and_unknown_models_have_no_price() {
        let t = PriceTable::defaults();
        assert_eq!(t.price("gpt-4o-2024-08-06"), t.price("gpt-4o"));
        assert_eq!(t.price("gpt-4o-mini-2024-07-18"), t.price("gpt-4o-mini"));
        assert_eq!(t.price("gpt-4.1-nano-2025-04-14"), t.price("gpt-4.1-nano"));
        assert_eq!(t.price(" gpt-4o "), t.price("gpt-4o"));
        // Not a snapshot of a known model, or not a date at all: no price, never a price of 0.
        for unknown in
            ["o3", "gpt-4o-2024-08", "gpt-4o-20240806", "gpt-4o-mini-audio", "GPT-4O", "", "-2024-08-06", "가-0613"]
        {
            assert_eq!(t.price(unknown), None, "{unknown:?}");
            assert_eq!(cost_of(&t, unknown, &Usage::default()), None, "{unknown:?}");
        }
        // A price the person set for one snapshot wins over its model's.
        let mut edited = t.clone();
        edited.models.insert("gpt-4o-2024-05-13".into(), Price::new(5.0, 15.0));
        edited.models.insert("gpt-4".into(), Price::new(30.0, 60.0));
        assert_eq!(edited.price("gpt-4o-2024-05-13").map(|p| p.input_usd_per_mtok), Some(5.0));
        assert_eq!(edited.price("gpt-4o-2024-11-20").map(|p| p.input_usd_per_mtok), Some(2.5));
        assert_eq!(edited.price("gpt-4-0613").map(|p| p.output_usd_per_mtok), Some(60.0));
    }

    #[test]
    fn an_edited_table_round_trips_and_bad_figures_are_no_price() {
        let json = r#"{"as_of":"2027-01-15","models":{
            "gpt-4o":{"input_usd_per_mtok":2.5,"output_usd_per_mtok":10,"cached_input_usd_per_mtok":1.25},
            "broken":{"input_usd_per_mtok":-1,"output_usd_per_mtok":10},
            "cheap":{"input_usd_per_mtok":0,"output_usd_per_mtok":0}}}"#;
        let t: PriceTable = serde_json::from_str(json).unwrap();
        assert_eq!(t.as_of, "2027-01-15");
        assert_eq!(t.price("gpt-4o").and_then(|p| p.cached_input_usd_per_mtok), Some(1.25));
        assert_eq!(t.price("broken"), None);
        assert_eq!(t.price("cheap").map(|p| p.usd(1000, 0, 1000)), Some(0.0));
        let back: PriceTable = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(back, t);
        // Without a cached price, the key is left out of the stored form.
        let stored = serde_json::to_string(&PriceTable::defaults()).unwrap();
        assert!(!stored.contains("cached"), "{stored}");
        let mut nan = PriceTable::defaults();
        nan.models.insert("nan".into(), Price::new(f64::NAN, 1.0));
        nan.models
            .insert("inf".into(), Price { cached_input_usd_per_mtok: Some(f64::INFINITY), ..Price::new(1.0, 1.0) });
        assert_eq!((nan.price("nan"), nan.price("inf")), (None, None));
    }

    #[test]
    fn cost_of_a_finished_request() {
        let t = PriceTable::defaults();
        let usage =
            Usage { prompt_tokens: 1_000_000, completion_tokens: 1_000_000, total_tokens: 2_000_000, cached_tokens: 0 };
        assert!(close(cost_of(&t, "gpt-4o-mini", &usage).unwrap(), 0.75));
        assert!(close(cost_of(&t, "gpt-4o-2024-08-06", &usage).unwrap(), 12.5));
        let small = Usage { prompt_tokens: 1200, completion_tokens: 300, total_tokens: 1500, cached_tokens: 0 };
        assert!(close(cost_of(&t, "gpt-4.1", &small).unwrap(), 1200.0 * 2.0 / 1e6 + 300.0 * 8.0 / 1e6));
        // Cached tokens are part of the prompt tokens: at the cached price when there is one, else full price.
        let cached = Usage { prompt_tokens: 1000, completion_tokens: 0, total_tokens: 1000, cached_tokens: 800 };
        assert!(close(cost_of(&t, "gpt-4o", &cached).unwrap(), 1000.0 * 2.5 / 1e6));
        let mut with_cache = t.clone();
        with_cache
            .models
            .insert("gpt-4o".into(), Price { cached_input_usd_per_mtok: Some(1.25), ..Price::new(2.5, 10.0) });
        assert!(close(cost_of(&with_cache, "gpt-4o", &cached).unwrap(), (200.0 * 2.5 + 800.0 * 1.25) / 1e6));
        // A server reporting more cached tokens than prompt tokens cannot make the cost negative.
        let odd = Usage { prompt_tokens: 10, completion_tokens: 0, total_tokens: 10, cached_tokens: 50 };
        assert!(cost_of(&with_cache, "gpt-4o", &odd).unwrap() >= 0.0);
        let huge = Usage {
            prompt_tokens: u32::MAX,
            completion_tokens: u32::MAX,
            total_tokens: u32::MAX,
            cached_tokens: u32::MAX,
        };
        assert!(cost_of(&t, "gpt-4o", &huge).unwrap().is_finite());
        let embedding = Usage { prompt_tokens: 500_000, completion_tokens: 0, total_tokens: 500_000, cached_tokens: 0 };
        assert!(close(cost_of(&t, "text-embedding-3-small", &embedding).unwrap(), 0.01));
    }

    #[test]
    fn one_high_detail_image_costs_more_on_gpt_4o_mini_than_on_gpt_4o() {
        // gpt-4o-mini counts an image as 33 times the tokens gpt-4o does (2,833 + 5,667 per tile against
        // 85 + 170), at a price 16.7 times lower: the "cheap" model is the dearer one for images (about twice).
        let t = PriceTable::defaults();
        let image = [(1024, 1024)];
        let mini = estimate_answer(&t, "gpt-4o-mini", Detail::High, &image, "", "", 0);
        let full = estimate_answer(&t, "gpt-4o", Detail::High, &image, "", "", 0);
        let overhead = REPLY_PRIMING + 2 * MESSAGE_OVERHEAD + MESSAGE_OVERHEAD + IMAGE_LABEL_TOKENS;
        assert_eq!(mini.input_tokens, 2833 + 4 * 5667 + overhead);
        assert_eq!(full.input_tokens, 85 + 4 * 170 + overhead);
        let (mini_usd, full_usd) = (mini.usd.unwrap(), full.usd.unwrap());
        assert!(mini_usd > full_usd * 1.5, "gpt-4o-mini ${mini_usd} against gpt-4o ${full_usd}");
        // Still so with a question and a short answer; at low detail the order turns back.
        let q = "What breed is the dog in this photo?";
        let mini = estimate_answer(&t, "gpt-4o-mini", Detail::High, &image, q, "You are Boda.", 60);
        let full = estimate_answer(&t, "gpt-4o", Detail::High, &image, q, "You are Boda.", 60);
        assert!(mini.usd.unwrap() > full.usd.unwrap());
        let mini = estimate_answer(&t, "gpt-4o-mini", Detail::Low, &image, q, "You are Boda.", 60);
        let full = estimate_answer(&t, "gpt-4o", Detail::Low, &image, q, "You are Boda.", 60);
        assert!(mini.usd.unwrap() < full.usd.unwrap());
    }

    #[test]
    fn answer_estimates_add_text_images_and_output() {
        let t = PriceTable::defaults();
        let none = estimate_answer(&t, "gpt-4.1-nano", Detail::Auto, &[], "abcd", "abcdefgh", 100);
        assert_eq!(none.input_tokens, REPLY_PRIMING + (2 + MESSAGE_OVERHEAD) + (1 + MESSAGE_OVERHEAD));
        assert_eq!(none.output_tokens, 100);
        let usd = (f64::from(none.input_tokens) * 0.10 + 100.0 * 0.40) / 1e6;
        assert!(close(none.usd.unwrap(), usd));
        // Korean counts a token a character.
        let ko = estimate_answer(&t, "gpt-4o", Detail::Low, &[], "강아지 품종은?", "", 0);
        assert_eq!(ko.input_tokens, REPLY_PRIMING + MESSAGE_OVERHEAD + (7 + MESSAGE_OVERHEAD));
        // Unknown model: tokens still foreseen, no price.
        let unknown = estimate_answer(&t, "my-local-model", Detail::High, &[(800, 600)], "q", "", 10);
        assert!(unknown.input_tokens > 0);
        assert_eq!(unknown.usd, None);
        // Absurd inputs saturate rather than overflow.
        let many = vec![(u32::MAX, u32::MAX); 200_000];
        let big = estimate_answer(&t, "gpt-4o-mini", Detail::High, &many, "", "", u32::MAX);
        assert_eq!(big.input_tokens, u32::MAX);
        assert!(big.usd.unwrap().is_finite());
    }

    #[test]
    fn estimates_add_up_and_no_price_is_contagious() {
        let t = PriceTable::defaults();
        let a = Estimate::of(&t, "gpt-4o", 1000, 100);
        let b = Estimate::of(&t, "gpt-4o-mini", 2000, 200);
        let sum = a.plus(b);
        assert_eq!((sum.input_tokens, sum.output_tokens), (3000, 300));
        assert!(close(sum.usd.unwrap(), a.usd.unwrap() + b.usd.unwrap()));
        assert_eq!(a.plus(Estimate::of(&t, "unknown", 1, 1)).usd, None);
        let ten = a.times(10);
        assert_eq!(ten.input_tokens, 10_000);
        assert!(close(ten.usd.unwrap(), a.usd.unwrap() * 10.0));
        assert_eq!(Estimate::of(&t, "gpt-4o", u32::MAX, 0).times(3).input_tokens, u32::MAX);
    }

    #[test]
    fn judging_estimates_follow_the_requests_as_built() {
        let t = PriceTable::defaults();
        let plan = JudgingPlan {
            judge_model: "gpt-4.1-mini",
            question: "What is written on the sign?",
            reference: "OPEN",
            expected_answer_tokens: 150,
            retrieved_context_tokens: None,
        };
        let e = estimate_judging(&t, &plan);
        assert_eq!(e.faithfulness, None);
        assert_eq!(e.total(), e.correctness);
        assert_eq!(e.correctness.output_tokens, JUDGE_OUTPUT_TOKENS);
        // The rubric, the schema and the answer are all input: more than the answer alone, and growing with it.
        let case = CorrectnessCase {
            question: plan.question,
            reference: plan.reference,
            mode: ReferenceMode::All,
            answer: "",
        };
        let built = judge_request_tokens(&judge::correctness_request("gpt-4.1-mini", &case));
        // The case's words are counted apart from the rest: a token or two of rounding.
        assert!(e.correctness.input_tokens.abs_diff(built + 150) <= 2, "{} ~ {}", e.correctness.input_tokens, built);
        assert!(built > 300, "the rubric is counted: {built}");
        let longer = estimate_judging(&t, &JudgingPlan { expected_answer_tokens: 450, ..plan });
        assert_eq!(longer.correctness.input_tokens, e.correctness.input_tokens + 300);
        // With retrieval on, the faithfulness check is added, context as input and claims as output.
        let with = estimate_judging(&t, &JudgingPlan { retrieved_context_tokens: Some(2000), ..plan });
        let f = with.faithfulness.unwrap();
        assert!(f.input_tokens > 2000 + 150);
        assert_eq!(f.output_tokens, 150 + 10 * 10 + 10);
        let total = with.total();
        assert_eq!(total.input_tokens, with.correctness.input_tokens + f.input_tokens);
        assert!(close(total.usd.unwrap(), with.correctness.usd.unwrap() + f.usd.unwrap()));
        // A judge without a price: tokens foreseen, no cost.
        assert_eq!(estimate_judging(&t, &JudgingPlan { judge_model: "o3", ..plan }).total().usd, None);
    }

    #[test]
    fn dollars_read_as_cents_and_small_amounts_keep_two_figures() {
        let cases = [
            (0.0, "$0.00"),
            (0.0003, "$0.0003"),
            (0.00036, "$0.00036"),
            (0.000_345_6, "$0.00035"),
            (0.012, "$0.012"),
            (0.0123, "$0.012"),
            (0.05, "$0.05"),
            (0.099_999, "$0.10"),
            (0.000_999_99, "$0.001"),
            (0.25, "$0.25"),
            (0.5, "$0.50"),
            (0.996, "$1.00"),
            (1.25, "$1.25"),
            (12.0, "$12.00"),
            (1234.5, "$1,234.50"),
            (1_234_567.891, "$1,234,567.89"),
            (0.000_001, "$0.000001"),
            (0.000_000_4, "<$0.000001"),
            (-0.25, "-$0.25"),
            (f64::NAN, "$?"),
            (f64::INFINITY, "$?"),
        ];
        for (usd, shown) in cases {
            assert_eq!(format_usd(usd), shown, "{usd}");
        }
        // One answer of the stand-in's size on gpt-4o-mini: 100 prompt and 3 completion tokens.
        let usage = Usage { prompt_tokens: 100, completion_tokens: 3, total_tokens: 103, cached_tokens: 0 };
        assert_eq!(format_usd(cost_of(&PriceTable::defaults(), "gpt-4o-mini", &usage).unwrap()), "$0.000017");
    }

    #[test]
    fn spend_adds_priced_answers_and_counts_the_others() {
        use crate::core::model::MessageStatus;
        let t = PriceTable::defaults();
        let usage =
            |p: u32, c: u32| Usage { prompt_tokens: p, completion_tokens: c, total_tokens: p + c, cached_tokens: 0 };
        let answer = |id: &str, model: Option<&str>, u: Option<Usage>| Message {
            usage: u,
            model: model.map(str::to_owned),
            ..Message::new(id.into(), "c".into(), Role::Assistant, "an answer".into(), 1.0)
        };
        let messages = vec![
            // A question has no usage of its own; one that somehow had would still not count.
            Message { usage: Some(usage(9, 9)), ..Message::new("q".into(), "c".into(), Role::User, "q".into(), 0.0) },
            answer("a", Some("gpt-4o-mini"), Some(usage(1_000_000, 0))),
            answer("b", Some("gpt-4o-2024-08-06"), Some(usage(0, 100_000))),
            answer("c", Some("my-local-model"), Some(usage(500, 500))),
            answer("d", None, Some(usage(500, 500))),
            // Failed before any usage arrived: not counted either way.
            Message { status: MessageStatus::Failed, ..answer("e", Some("gpt-4o"), None) },
        ];
        let spend = Spend::of_messages(&t, 0.008, &messages);
        assert!(close(spend.usd, 0.15 + 1.0));
        assert_eq!((spend.priced, spend.unpriced, spend.answers()), (2, 2, 4));
        assert_eq!(Spend::of_messages(&t, 0.008, &[]), Spend::default());
        assert_eq!(Spend::of_messages(&t, 0.008, &messages[..1]).answers(), 0);
        // The same from the calls as a store reads them for the whole browser.
        let calls: Vec<AnswerCalls> = messages.iter().filter_map(AnswerCalls::of).collect();
        assert_eq!(Spend::of(&t, 0.008, &calls), spend);
        // Unpriced answers never add 0 to look priced.
        let unknown = Spend::of_messages(&t, 0.008, &messages[3..4]);
        assert_eq!((unknown.usd, unknown.priced, unknown.unpriced), (0.0, 0, 1));
    }

    #[test]
    fn an_answer_that_searched_costs_its_plan_its_answer_and_its_credits() {
        use crate::core::model::MessageStatus;
        let t = PriceTable::defaults();
        let usage =
            |p: u32, c: u32| Usage { prompt_tokens: p, completion_tokens: c, total_tokens: p + c, cached_tokens: 0 };
        let mut search = crate::core::websearch::WebSearch::start(None);
        search.plan_model = Some("gpt-4o-mini".into());
        search.plan_usage = Some(usage(1_000_000, 0));
        search.credits = 3.0;
        let answer = Message {
            usage: Some(usage(0, 1_000_000)),
            model: Some("gpt-4o-mini".into()),
            search: Some(Box::new(search.clone())),
            ..Message::new("a".into(), "c".into(), Role::Assistant, "an answer [1]".into(), 1.0)
        };
        let spend = Spend::of_messages(&t, 0.008, std::slice::from_ref(&answer));
        assert!(close(spend.usd, 0.15 + 0.60 + 0.024), "{spend:?}");
        assert_eq!(spend.priced, 1);
        // A search that failed before the answer got usage still cost its credits and its plan.
        let failed = Message { usage: None, status: MessageStatus::Failed, ..answer.clone() };
        assert!(close(Spend::of_messages(&t, 0.008, &[failed]).usd, 0.15 + 0.024));
        // A planning model with no price makes the whole answer unpriced.
        search.plan_model = Some("my-local-model".into());
        let unpriced = Message { search: Some(Box::new(search)), ..answer };
        assert_eq!(Spend::of_messages(&t, 0.008, &[unpriced]).unpriced, 1);
    }
}
