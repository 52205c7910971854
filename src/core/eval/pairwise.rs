//! Pairwise comparison of two configurations of a finished run: for each case both answered, the judge says
//! which answer is better, once with A shown first and once with B first; a disagreement between the two
//! orders counts as a tie (the judge followed the position, not the content).
//!
//! [`compare_pair`] asks (a few requests at once, retrying a verdict it cannot read, like the run's judge)
//! and returns the comparisons; [`tally`] counts them. What the comparisons are stored with is the run's
//! (`Run::pairwise`). It does not ask the configurations anything again: it reads their stored answers.

use crate::core::client::complete_body;
use crate::core::eval::judge::{
    combine_orders, pairwise_requests, parse_pairwise, reply_content, Comparison, Preference, Unreadable,
    MAX_JUDGE_ATTEMPTS,
};
use crate::core::eval::model::TestSet;
use crate::core::eval::run::{CaseResult, Run};
use crate::core::model::Settings;
use crate::core::openai::ApiError;
use crate::core::ports::{Runtime, Transport};
use futures_util::stream::{FuturesUnordered, StreamExt};
use serde::{Deserialize, Serialize};

/// Requests in flight at once.
const CONCURRENCY: usize = 4;

/// One case's comparison of configuration `a` with `b`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairOutcome {
    pub a: String,
    pub b: String,
    pub case_id: String,
    /// `None` when a verdict stayed unreadable: not counted either way.
    pub comparison: Option<Comparison>,
}

/// The counts of a pair's comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    pub a_wins: usize,
    pub b_wins: usize,
    pub ties: usize,
    /// Ties because the two orders disagreed (a subset of `ties`).
    pub position_ties: usize,
    pub not_judged: usize,
}

/// Counts the comparisons of `a` with `b` among `outcomes`.
pub fn tally(outcomes: &[PairOutcome], a: &str, b: &str) -> Tally {
    let mut t = Tally::default();
    for o in outcomes.iter().filter(|o| o.a == a && o.b == b) {
        match o.comparison {
            None => t.not_judged += 1,
            Some(c) => match c.preference {
                Preference::A => t.a_wins += 1,
                Preference::B => t.b_wins += 1,
                Preference::Tie => {
                    t.ties += 1;
                    if !c.orders_agree {
                        t.position_ties += 1;
                    }
                }
            },
        }
    }
    t
}

/// Asks one order's verdict, asking again when it cannot be read.
async fn verdict<T: Transport, R: Runtime>(
    transport: &T,
    runtime: &R,
    settings: &Settings,
    request: &crate::core::openai::StructuredRequest,
) -> Result<Option<crate::core::eval::judge::Winner>, ApiError> {
    for _ in 0..MAX_JUDGE_ATTEMPTS {
        let body = complete_body(transport, runtime, settings, request).await?;
        match reply_content(&body).and_then(|c| parse_pairwise(&c)) {
            Ok(v) => return Ok(Some(v.winner)),
            Err(Unreadable::Refused) => return Ok(None),
            Err(_) => continue,
        }
    }
    Ok(None)
}

/// Compares configuration `a` with `b` (`pair`) on every case both answered completely. An API error (a refused
/// key, say) stops it and is returned with what was done.
pub async fn compare_pair<T: Transport, R: Runtime>(
    transport: &T,
    runtime: &R,
    settings: &Settings,
    run: &Run,
    set: &TestSet,
    results: &[CaseResult],
    (a, b): (&str, &str),
) -> Result<Vec<PairOutcome>, (ApiError, Vec<PairOutcome>)> {
    let judge = Settings { model: run.judge_model.clone(), ..settings.clone() };
    let answer = |config: &str, case: &str| {
        results
            .iter()
            .find(|r| r.config_id == config && r.case_id == case)
            .and_then(|r| r.answer.as_ref())
            .filter(|x| x.is_complete())
            .map(|x| x.text.clone())
    };
    let mut todo = set.cases.iter().filter_map(|c| Some((c, answer(a, &c.id)?, answer(b, &c.id)?)));
    let mut flying = FuturesUnordered::new();
    let mut out = Vec::new();
    let ask = |case: &crate::core::eval::model::Case, ta: String, tb: String| {
        let judge = &judge;
        let case_id = case.id.clone();
        let [first, second] = pairwise_requests(&run.judge_model, &case.question, Some(&case.reference), &ta, &tb);
        async move {
            let a_first = verdict(transport, runtime, judge, &first).await;
            let b_first = verdict(transport, runtime, judge, &second).await;
            (case_id, a_first, b_first)
        }
    };
    loop {
        while flying.len() < CONCURRENCY {
            let Some((case, ta, tb)) = todo.next() else { break };
            flying.push(ask(case, ta, tb));
        }
        let Some((case_id, a_first, b_first)) = flying.next().await else { break };
        let comparison = match (a_first, b_first) {
            (Ok(Some(x)), Ok(Some(y))) => Some(combine_orders(x, y)),
            (Err(e), _) | (_, Err(e)) => return Err((e, out)),
            _ => None,
        };
        let outcome = PairOutcome { a: a.to_owned(), b: b.to_owned(), case_id, comparison };
        out.push(outcome);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::eval::judge::Comparison;

    fn outcome(preference: Option<(Preference, bool)>) -> PairOutcome {
        PairOutcome {
            a: "1".into(),
            b: "2".into(),
            case_id: "c".into(),
            comparison: preference.map(|(preference, orders_agree)| Comparison { preference, orders_agree }),
        }
    }

    use crate::core::client::fakes::{block_on, FakeRuntime, FakeTransport, Reply, Scripted};
    use crate::core::cost::PriceTable;
    use crate::core::eval::answer::{CaseAnswer, RunConfig};
    use crate::core::eval::model::{Case, ReferenceMode};
    use crate::core::eval::run::RunState;
    use crate::core::eval::schedule::JobKey;
    use crate::core::model::{Detail, MessageStatus};

    fn verdict_reply(winner: &str) -> Scripted {
        let content = format!(r#"{{"winner":"{winner}","rationale":"Because."}}"#);
        let body = serde_json::json!({"id": "x", "object": "chat.completion", "created": 1, "model": "j",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]});
        Scripted::Reply(Reply {
            status: 200,
            retry_after: None,
            chunks: vec![body.to_string().into_bytes()],
            end: Ok(()),
        })
    }

    fn fixture() -> (Run, TestSet, Vec<CaseResult>) {
        let config = |id: &str| RunConfig {
            wardrobe: false,
            preset: None,
            web: None,
            id: id.into(),
            model: "m".into(),
            detail: Detail::Low,
            retrieval: None,
            instructions: None,
            temperature: None,
        };
        let run = Run {
            credit_usd: 0.008,
            id: "r".into(),
            set_id: "s".into(),
            set_version: 1,
            set_name: "S".into(),
            configs: vec![config("1"), config("2")],
            judge_model: "gpt-4.1".into(),
            judge_prompt_version: "v".into(),
            prices: PriceTable::defaults(),
            concurrency: 2,
            created_ms: 0.0,
            state: RunState::Finished,
            finished_ms: None,
            pairwise: Vec::new(),
        };
        let case = |id: &str| Case {
            id: id.into(),
            question: "q".into(),
            reference: "r".into(),
            mode: ReferenceMode::All,
            tags: Vec::new(),
            images: Vec::new(),
        };
        let set = TestSet {
            id: "s".into(),
            version: 1,
            name: "S".into(),
            created_ms: 0.0,
            sample: false,
            cases: vec![case("c1"), case("c2")],
        };
        let answer = |text: &str| CaseAnswer {
            wardrobe: Vec::new(),
            search: None,
            text: text.into(),
            status: MessageStatus::Complete,
            error: None,
            usage: None,
            first_token_ms: None,
            total_ms: 1.0,
            context: Vec::new(),
            attached: Vec::new(),
        };
        let mut results = Vec::new();
        for (config, case) in [("1", "c1"), ("2", "c1"), ("1", "c2")] {
            let mut r = CaseResult::new("r", &JobKey::new(case, config));
            r.answer = Some(answer(&format!("{config} on {case}")));
            results.push(r);
        }
        (run, set, results)
    }

    #[test]
    fn a_judge_that_always_picks_the_first_shown_gets_a_tie_and_cases_one_side_lacks_are_skipped() {
        let (run, set, results) = fixture();
        // Only c1 has both answers: two requests, both "first".
        let t = FakeTransport::new(vec![verdict_reply("first"), verdict_reply("first")]);
        let rt = FakeRuntime::default();
        let settings =
            Settings { api_key: "sk-test-123456789".into(), base_url: "http://h/v1".into(), ..Settings::default() };
        let out = block_on(compare_pair(&t, &rt, &settings, &run, &set, &results, ("1", "2"))).unwrap();
        assert_eq!((out.len(), t.sent.borrow().len()), (1, 2));
        assert_eq!(out[0].comparison, Some(Comparison { preference: Preference::Tie, orders_agree: false }));
        let body: serde_json::Value = serde_json::from_str(t.sent.borrow()[0].body.as_deref().unwrap()).unwrap();
        assert_eq!(body["model"], "gpt-4.1");
    }

    #[test]
    fn consistent_verdicts_make_a_win_and_an_unreadable_one_is_asked_again() {
        let (run, set, results) = fixture();
        let garbled = {
            let body = serde_json::json!({"id": "x", "object": "chat.completion", "created": 1, "model": "j",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "A is better!"}, "finish_reason": "stop"}]});
            Scripted::Reply(Reply {
                status: 200,
                retry_after: None,
                chunks: vec![body.to_string().into_bytes()],
                end: Ok(()),
            })
        };
        let t = FakeTransport::new(vec![garbled, verdict_reply("first"), verdict_reply("second")]);
        let rt = FakeRuntime::default();
        let settings =
            Settings { api_key: "sk-test-123456789".into(), base_url: "http://h/v1".into(), ..Settings::default() };
        let out = block_on(compare_pair(&t, &rt, &settings, &run, &set, &results, ("1", "2"))).unwrap();
        assert_eq!(out[0].comparison, Some(Comparison { preference: Preference::A, orders_agree: true }));
        assert_eq!(t.sent.borrow().len(), 3);
    }

    #[test]
    fn a_tally_counts_wins_ties_and_position_bias_apart() {
        let all = [
            outcome(Some((Preference::A, true))),
            outcome(Some((Preference::A, true))),
            outcome(Some((Preference::B, true))),
            outcome(Some((Preference::Tie, true))),
            outcome(Some((Preference::Tie, false))),
            outcome(None),
        ];
        let t = tally(&all, "1", "2");
        assert_eq!(t, Tally { a_wins: 2, b_wins: 1, ties: 2, position_ties: 1, not_judged: 1 });
        assert_eq!(tally(&all, "2", "1"), Tally::default(), "a pair is ordered");
    }
}
