//! Web search for a question: plan queries, search Tavily with them in parallel, put the results into the
//! prompt, and map the answer's citations back to them.
//!
//! [`plan`] is the structured-output call that writes the queries, [`tavily`] the search API's types and
//! errors, [`cite`] the results block and the citation mapping, and [`stage`] the async step of the turn
//! pipeline that runs them (chat turns and evaluation cases share it). What a search did is a [`WebSearch`],
//! stored with the answer: its queries, the results that were put into the prompt (numbered as the answer
//! cites them), their usage and credits, and, when it did not give results, why, as a kind. A search that
//! fails never fails the answer: the answer goes ahead without it and says so.

pub mod cite;
pub mod plan;
pub mod stage;
pub mod tavily;

use crate::core::cost::{cost_of, PriceTable};
use crate::core::openai::{ApiError, Usage};
use plan::PlanProblem;
use serde::{Deserialize, Serialize};
use tavily::{SearchError, WebImage, WebResult};

/// Where a question's web search is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchState {
    /// The queries are being written.
    Planning,
    /// Tavily is being asked.
    Searching,
    /// Results were found (possibly none) and given to the answer.
    Done,
    /// The answer went ahead without web search, for this reason.
    Skipped(Skip),
}

/// Why an answer went ahead without web search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Skip {
    /// No Tavily key in Settings.
    NoKey,
    /// The planning call failed (the OpenAI error, redacted).
    PlanFailed(ApiError),
    /// The plan could not be read twice in a row.
    PlanUnreadable(PlanProblem),
    /// Every search failed; this is the first one's error.
    Search(SearchError),
    /// The page closed, or Stop was pressed, while searching.
    Interrupted,
}

/// What a question's web search did, stored with its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebSearch {
    pub state: SearchState,
    /// The queries searched with, in order (the plan's, or the chips a person edited).
    #[serde(default)]
    pub queries: Vec<String>,
    /// The plan's sentence on what to look for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub look_for: Option<String>,
    /// Whether the queries were planned by the model (not typed by the person, as "Search again" does).
    #[serde(default)]
    pub planned: bool,
    /// The model that planned, and what its call used (every attempt's usage, added up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_usage: Option<Usage>,
    /// The results given to the answer, numbered from 1 in this order: the only ones it can cite.
    #[serde(default)]
    pub results: Vec<WebResult>,
    /// Image results of the queries, beyond those of each page.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<WebImage>,
    /// Tavily credits used, as Tavily reported them (`usage.credits`); searches that did not say are counted
    /// at their depth's published rate and `credits_estimated` is set.
    #[serde(default)]
    pub credits: f64,
    #[serde(default)]
    pub credits_estimated: bool,
    /// Searches that failed while others gave results (the answer used what came).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<SearchError>,
}

impl WebSearch {
    /// A search about to plan its queries, or (with `queries`) to search with them.
    pub fn start(queries: Option<Vec<String>>) -> WebSearch {
        let planned = queries.is_none();
        WebSearch {
            state: if planned { SearchState::Planning } else { SearchState::Searching },
            queries: queries.unwrap_or_default(),
            look_for: None,
            planned,
            plan_model: None,
            plan_usage: None,
            results: Vec::new(),
            images: Vec::new(),
            credits: 0.0,
            credits_estimated: false,
            failed: Vec::new(),
        }
    }

    /// Whether it is still running.
    pub fn is_running(&self) -> bool {
        matches!(self.state, SearchState::Planning | SearchState::Searching)
    }

    /// Why the answer went without web search, if it did.
    pub fn skipped(&self) -> Option<&Skip> {
        match &self.state {
            SearchState::Skipped(s) => Some(s),
            _ => None,
        }
    }

    /// What the planning call cost, when its model has a price.
    pub fn plan_cost(&self, prices: &PriceTable) -> Option<f64> {
        cost_of(prices, self.plan_model.as_deref()?, self.plan_usage.as_ref()?)
    }

    /// What the searches cost at `credit_usd` dollars a credit.
    pub fn search_cost(&self, credit_usd: f64) -> f64 {
        search_cost(self.credits, credit_usd)
    }

    /// The text of the results, for the search index (a later question can find the answer by them).
    pub fn index_text(&self) -> String {
        let mut text = self.queries.join(" ");
        for r in &self.results {
            text.push('\n');
            text.push_str(&r.title);
            text.push(' ');
            text.push_str(&r.snippet);
        }
        text
    }
}

/// Dollars for `credits` Tavily credits at `credit_usd` each (a bad rate counts as free, never as negative).
pub fn search_cost(credits: f64, credit_usd: f64) -> f64 {
    if credits.is_finite() && credit_usd.is_finite() && credits > 0.0 && credit_usd > 0.0 {
        credits * credit_usd
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::cost::PriceTable;

    #[test]
    fn credits_are_priced_at_the_rate() {
        assert!((search_cost(3.0, 0.008) - 0.024).abs() < 1e-12);
        assert_eq!(search_cost(2.0, -1.0), 0.0);
        assert_eq!(search_cost(f64::NAN, 0.008), 0.0);
        assert_eq!(search_cost(0.0, 0.008), 0.0);
    }

    #[test]
    fn the_plan_is_priced_by_its_model() {
        let mut s = WebSearch::start(None);
        assert_eq!(s.plan_cost(&PriceTable::defaults()), None);
        s.plan_model = Some("gpt-4o-mini".into());
        s.plan_usage =
            Some(Usage { prompt_tokens: 1_000_000, completion_tokens: 0, total_tokens: 1_000_000, cached_tokens: 0 });
        let c = s.plan_cost(&PriceTable::defaults()).unwrap();
        assert!((c - 0.15).abs() < 1e-9, "{c}");
        s.plan_model = Some("unknown-model".into());
        assert_eq!(s.plan_cost(&PriceTable::defaults()), None);
    }

    #[test]
    fn a_stored_search_reads_back() {
        let mut s = WebSearch::start(Some(vec!["q".into()]));
        s.state = SearchState::Skipped(Skip::Search(SearchError::PlanLimit { detail: Some("limit".into()) }));
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<WebSearch>(&json).unwrap(), s);
        assert!(!s.planned && !s.is_running());
        assert!(serde_json::from_str::<WebSearch>(r#"{"state":"done"}"#).is_ok(), "fields default");
    }
}
