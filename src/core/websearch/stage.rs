//! The web-search step of a turn: plan the queries (unless the person gave them), search Tavily with all of
//! them at once, and keep the results the answer will see.
//!
//! A plan that cannot be read is asked for once more, then the answer goes ahead without search. Each search
//! is bounded by [`SEARCH_TIMEOUT_MS`]; a 429 is tried again after the wait Tavily asks for (at most
//! [`MAX_SEARCH_RETRIES`] times, never waiting longer than [`MAX_SEARCH_WAIT_MS`]). When every search fails,
//! the first error is kept as the reason; when some fail, the others' results are used. Results of all
//! queries are merged in turn (the first of each, then the second…), each URL once, at most
//! [`MAX_PROMPT_RESULTS`]. Every step is reported through `on` with the whole record so far, so the caller can
//! show and store it. It builds no answer and knows nothing of chats.

use crate::core::client::{read_text, send_with_retries, MAX_BODY};
use crate::core::model::{Language, Settings};
use crate::core::openai::{add_usage, completion_usage, ApiError};
use crate::core::ports::{HttpRequest, Runtime, Transport, TransportError};
use crate::core::websearch::plan::PlanProblem;
use crate::core::websearch::plan::{clean_queries, parse_plan, plan_request, PlanInput};
use crate::core::websearch::tavily::{parse_response, SearchError, SearchRequest, SearchResponse, MAX_RESPONSE_BYTES};
use crate::core::websearch::{SearchState, Skip, WebSearch};
use futures_util::future::{join_all, select, Either};
use std::pin::pin;

/// How long one search may take before the answer goes ahead without it.
pub const SEARCH_TIMEOUT_MS: u64 = 20_000;
/// How many times a rate-limited search is tried again.
pub const MAX_SEARCH_RETRIES: u32 = 2;
/// The longest wait before trying a rate-limited search again; Tavily asking for longer ends the search.
pub const MAX_SEARCH_WAIT_MS: u64 = 10_000;
/// The most results put into the prompt, whatever the number of queries.
pub const MAX_PROMPT_RESULTS: usize = 10;
/// The longest error body read.
const MAX_ERROR_BYTES: usize = 64 * 1024;
/// How many times the plan is asked for.
pub const PLAN_ATTEMPTS: u32 = 2;

/// What the step searches with.
#[derive(Debug, Clone, PartialEq)]
pub enum Queries {
    /// The model plans them.
    Plan,
    /// These (a person's edited chips): no planning call.
    Given(Vec<String>),
}

/// Runs the step. `language` is the interface's (it picks the queries' language and the default country).
/// Returns the finished record: [`SearchState::Done`] with results, or [`SearchState::Skipped`] with why.
pub async fn run<T: Transport, R: Runtime>(
    transport: &T,
    runtime: &R,
    settings: &Settings,
    plan_input: PlanInput<'_>,
    queries: Queries,
    language: Language,
    on: &mut dyn FnMut(&WebSearch),
) -> WebSearch {
    let given = match queries {
        Queries::Plan => None,
        Queries::Given(q) => Some(clean_queries(&q)),
    };
    let mut search = WebSearch::start(given);
    on(&search);
    if settings.tavily_key.trim().is_empty() {
        search.state = SearchState::Skipped(Skip::NoKey);
        on(&search);
        return search;
    }
    if search.planned {
        search.plan_model = Some(plan_input.model.to_owned());
        if let Err(skip) = plan(transport, runtime, settings, &plan_input, &mut search).await {
            search.state = SearchState::Skipped(skip);
            on(&search);
            return search;
        }
        search.state = SearchState::Searching;
        on(&search);
    }
    if search.queries.is_empty() {
        search.state = SearchState::Skipped(Skip::PlanUnreadable(PlanProblem::NoQueries));
        on(&search);
        return search;
    }
    let options = &settings.search;
    let requests: Vec<HttpRequest> = search
        .queries
        .iter()
        .map(|q| {
            let body = serde_json::to_string(&SearchRequest::new(q, options, language)).unwrap_or_default();
            HttpRequest::tavily(settings, "POST", "search", Some(body))
        })
        .collect();
    let outcomes = join_all(requests.iter().map(|r| search_one(transport, runtime, r))).await;
    let mut responses: Vec<SearchResponse> = Vec::new();
    let mut errors = Vec::new();
    for (i, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Err(Failed::Aborted) => {
                search.state = SearchState::Skipped(Skip::Interrupted);
                on(&search);
                return search;
            }
            Err(Failed::Error(e)) => errors.push(e.redacted(&settings.tavily_key)),
            Ok(body) => match parse_response(&body, i as u8) {
                Ok(r) => responses.push(r),
                Err(e) => errors.push(e.redacted(&settings.tavily_key)),
            },
        }
    }
    if responses.is_empty() {
        search.state = SearchState::Skipped(Skip::Search(errors.swap_remove(0)));
        on(&search);
        return search;
    }
    for r in &responses {
        match r.credits {
            Some(c) => search.credits += c,
            None => {
                search.credits += options.depth.credits();
                search.credits_estimated = true;
            }
        }
    }
    // Failed searches were sent too, and Tavily does not charge for errors.
    search.failed = errors;
    merge(&mut search, responses);
    search.state = SearchState::Done;
    on(&search);
    search
}

/// Asks for the plan, at most [`PLAN_ATTEMPTS`] times while it cannot be read. The usage of every attempt is
/// added to the record.
async fn plan<T: Transport, R: Runtime>(
    transport: &T,
    runtime: &R,
    settings: &Settings,
    input: &PlanInput<'_>,
    search: &mut WebSearch,
) -> Result<(), Skip> {
    let body = serde_json::to_string(&plan_request(input)).unwrap_or_default();
    let request = HttpRequest::openai(settings, "POST", "chat/completions", Some(body));
    let mut problem = None;
    for _ in 0..PLAN_ATTEMPTS {
        let text = match send_with_retries(transport, runtime, &request, &mut |_| {}).await {
            Ok((_, mut body)) => read_text(&mut body, MAX_BODY).await,
            Err(ApiError::Aborted) => return Err(Skip::Interrupted),
            Err(e) => return Err(Skip::PlanFailed(e.redacted(&settings.api_key))),
        };
        search.plan_usage = add_usage(search.plan_usage, completion_usage(&text));
        match parse_plan(&text) {
            Ok(plan) => {
                search.queries = plan.queries;
                search.look_for = Some(plan.look_for).filter(|l| !l.is_empty());
                return Ok(());
            }
            Err(p) => problem = Some(p),
        }
    }
    Err(Skip::PlanUnreadable(problem.expect("at least one attempt")))
}

/// Why one search gave no body.
enum Failed {
    /// Stop was pressed (or the page is going away): the whole step ends.
    Aborted,
    Error(SearchError),
}

impl From<SearchError> for Failed {
    fn from(e: SearchError) -> Failed {
        Failed::Error(e)
    }
}

/// Sends one search, bounded in time and tried again on 429 as Tavily asks; returns the 200 body.
async fn search_one<T: Transport, R: Runtime>(
    transport: &T,
    runtime: &R,
    request: &HttpRequest,
) -> Result<String, Failed> {
    let started = runtime.now_ms();
    let mut attempt = 0;
    loop {
        let left = SEARCH_TIMEOUT_MS.saturating_sub((runtime.now_ms() - started).max(0.0) as u64);
        let exchange = async {
            let (head, mut body) = transport.send(request).await?;
            let limit = if (200..300).contains(&head.status) { MAX_RESPONSE_BYTES + 1 } else { MAX_ERROR_BYTES };
            Ok::<_, TransportError>((head, read_text(&mut body, limit).await))
        };
        let exchange = pin!(exchange);
        let timer = pin!(runtime.sleep(left));
        let (head, text) = match select(exchange, timer).await {
            Either::Left((Ok(done), _)) => done,
            Either::Left((Err(TransportError::Aborted), _)) => return Err(Failed::Aborted),
            Either::Left((Err(_), _)) => return Err(SearchError::Blocked { host: request.host() }.into()),
            Either::Right(((), _)) => return Err(SearchError::Timeout.into()),
        };
        if (200..300).contains(&head.status) {
            return Ok(text);
        }
        let error = SearchError::from_response(head.status, &text, head.retry_after.as_deref(), runtime.now_ms());
        attempt += 1;
        match &error {
            SearchError::RateLimited { retry_after_ms, .. } if attempt <= MAX_SEARCH_RETRIES => {
                let wait = retry_after_ms.unwrap_or(1000 << (attempt - 1));
                if wait > MAX_SEARCH_WAIT_MS {
                    return Err(error.into());
                }
                runtime.sleep(wait).await;
            }
            _ => return Err(error.into()),
        }
    }
}

/// Merges the responses of the queries in turn (each one's first result, then each one's second…), each URL
/// once, at most [`MAX_PROMPT_RESULTS`]; query-level images likewise.
fn merge(search: &mut WebSearch, responses: Vec<SearchResponse>) {
    let longest = responses.iter().map(|r| r.results.len()).max().unwrap_or(0);
    let mut iters: Vec<_> = responses.iter().map(|r| r.results.iter()).collect();
    'rounds: for _ in 0..longest {
        for it in iters.iter_mut() {
            if let Some(r) = it.next() {
                if search.results.iter().any(|k| k.url == r.url) {
                    continue;
                }
                search.results.push(r.clone());
                if search.results.len() == MAX_PROMPT_RESULTS {
                    break 'rounds;
                }
            }
        }
    }
    for r in &responses {
        for image in &r.images {
            if search.images.len() < MAX_PROMPT_RESULTS && !search.images.iter().any(|i| i.url == image.url) {
                search.images.push(image.clone());
            }
        }
    }
}

/// What checking the Tavily key found.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyCheck {
    /// No key to check.
    NotSet,
    /// The key works; the credits it used this billing cycle and its limit, when Tavily said.
    Works {
        used: Option<u64>,
        limit: Option<u64>,
    },
    Failed(SearchError),
}

/// Checks the Tavily key with `GET /usage`, which spends no credits.
pub async fn check_key<T: Transport, R: Runtime>(transport: &T, runtime: &R, settings: &Settings) -> KeyCheck {
    if !settings.has_tavily_key() {
        return KeyCheck::NotSet;
    }
    let request = HttpRequest::tavily(settings, "GET", "usage", None);
    let reply = async {
        let (head, mut body) = transport.send(&request).await?;
        Ok::<_, TransportError>((head, read_text(&mut body, MAX_ERROR_BYTES).await))
    };
    let (reply, timer) = (pin!(reply), pin!(runtime.sleep(SEARCH_TIMEOUT_MS)));
    let (head, text) = match select(reply, timer).await {
        Either::Left((Ok(done), _)) => done,
        Either::Left((Err(_), _)) => return KeyCheck::Failed(SearchError::Blocked { host: request.host() }),
        Either::Right(_) => return KeyCheck::Failed(SearchError::Timeout),
    };
    if !(200..300).contains(&head.status) {
        let e = SearchError::from_response(head.status, &text, head.retry_after.as_deref(), runtime.now_ms());
        return KeyCheck::Failed(e.redacted(&settings.tavily_key));
    }
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let number = |name: &str| v.get("key").and_then(|k| k.get(name)).and_then(|n| n.as_u64());
    KeyCheck::Works { used: number("usage"), limit: number("limit") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::client::fakes::*;
    use crate::core::ports::Service;
    use crate::core::prompt::PromptImage;
    use crate::core::websearch::tavily::SearchDepth;
    use serde_json::{json, Value};

    fn settings() -> Settings {
        Settings {
            api_key: "sk-test-123456789".into(),
            base_url: "http://h/v1".into(),
            tavily_key: "tvly-test-abcdef987654".into(),
            ..Settings::default()
        }
    }

    fn plan_reply(content: &str) -> Scripted {
        let body = json!({
            "id": "x", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": null},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
        });
        Scripted::Reply(Reply {
            status: 200,
            retry_after: None,
            chunks: vec![body.to_string().into_bytes()],
            end: Ok(()),
        })
    }

    fn results(query: &str, n: usize, credits: Option<u32>) -> Scripted {
        let results: Vec<Value> = (0..n)
            .map(|i| json!({"title": format!("{query} {i}"), "url": format!("https://s{i}.example/{}", query.replace(' ', "-")),
                            "content": format!("About {query}"), "score": 0.9}))
            .collect();
        let mut body = json!({"query": query, "answer": null, "images": [], "results": results, "response_time": 0.1});
        if let Some(c) = credits {
            body["usage"] = json!({"credits": c});
        }
        Scripted::Reply(Reply {
            status: 200,
            retry_after: None,
            chunks: vec![body.to_string().into_bytes()],
            end: Ok(()),
        })
    }

    fn tavily_error(status: u16, message: &str, retry_after: Option<&str>) -> Scripted {
        Scripted::Reply(Reply::error(status, &json!({"detail": {"error": message}}).to_string(), retry_after))
    }

    fn go(t: &FakeTransport, s: &Settings, queries: Queries) -> (WebSearch, Vec<SearchState>, FakeRuntime) {
        let rt = FakeRuntime::default();
        let images = [PromptImage {
            name: "IMG_1.jpg",
            mime: "image/png",
            bytes: b"x",
            caption: Some("A navy blazer."),
            attached: true,
        }];
        let input = PlanInput {
            model: "gpt-4o-mini",
            images: &images,
            history: &[],
            question: "What goes with it?",
            language: Language::En,
        };
        let mut states = Vec::new();
        let out = block_on(run(t, &rt, s, input, queries, Language::Ko, &mut |w| states.push(w.state.clone())));
        (out, states, rt)
    }

    fn body(t: &FakeTransport, i: usize) -> Value {
        serde_json::from_str(t.sent.borrow()[i].body.as_deref().unwrap()).unwrap()
    }

    #[test]
    fn the_plan_s_queries_are_searched_in_parallel_and_merged_in_turn() {
        let t = FakeTransport::new(vec![
            plan_reply(r#"{"queries":["beige chinos","white sneakers"],"look_for":"Prices and shops."}"#),
            results("beige chinos", 3, Some(1)),
            results("white sneakers", 2, Some(1)),
        ]);
        let (out, states, _) = go(&t, &settings(), Queries::Plan);
        assert_eq!(states.first(), Some(&SearchState::Planning));
        assert!(states.contains(&SearchState::Searching));
        assert_eq!(out.state, SearchState::Done);
        assert_eq!(out.queries, ["beige chinos", "white sneakers"]);
        assert_eq!(out.look_for.as_deref(), Some("Prices and shops."));
        assert_eq!(out.plan_usage.map(|u| u.total_tokens), Some(120));
        assert_eq!(out.credits, 2.0);
        assert!(!out.credits_estimated);
        let titles: Vec<&str> = out.results.iter().map(|r| r.title.as_str()).collect();
        assert_eq!(
            titles,
            ["beige chinos 0", "white sneakers 0", "beige chinos 1", "white sneakers 1", "beige chinos 2"]
        );
        let sent = t.sent.borrow();
        assert_eq!(sent[0].service, Service::OpenAi);
        assert_eq!(body(&t, 0)["response_format"]["json_schema"]["strict"], true);
        for (i, q) in [(1, "beige chinos"), (2, "white sneakers")] {
            assert_eq!(sent[i].service, Service::Tavily);
            assert_eq!(sent[i].url, "https://api.tavily.com/search");
            assert!(sent[i].headers.contains(&("Authorization", "Bearer tvly-test-abcdef987654".into())));
            let b = body(&t, i);
            assert_eq!(b["query"], q);
            assert_eq!(b["country"], "south korea");
            assert!(!b.to_string().contains("tvly-"), "no key in the body");
        }
    }

    #[test]
    fn given_queries_send_no_planning_call_and_go_to_the_proxy() {
        let s = Settings { search_proxy: "https://proxy.example/tavily/".into(), ..settings() };
        let t = FakeTransport::new(vec![results("navy coat", 2, None)]);
        let (out, states, _) = go(&t, &s, Queries::Given(vec!["  navy   coat ".into(), "".into()]));
        assert_eq!(states.first(), Some(&SearchState::Searching));
        assert_eq!(out.state, SearchState::Done);
        assert!(!out.planned && out.plan_usage.is_none());
        assert_eq!(t.sent.borrow().len(), 1);
        assert_eq!(t.sent.borrow()[0].url, "https://proxy.example/tavily/search");
        assert_eq!(body(&t, 0)["query"], "navy coat");
        assert_eq!((out.credits, out.credits_estimated), (SearchDepth::Basic.credits(), true), "no usage: estimated");
    }

    #[test]
    fn an_unreadable_plan_is_asked_once_more_then_the_answer_goes_without_search() {
        let t = FakeTransport::new(vec![
            plan_reply("키워드: 블레이저"),
            plan_reply(r#"{"queries":["ok"],"look_for":"x"}"#),
            results("ok", 1, Some(1)),
        ]);
        let (out, _, _) = go(&t, &settings(), Queries::Plan);
        assert_eq!(out.state, SearchState::Done);
        assert_eq!(out.plan_usage.map(|u| u.total_tokens), Some(240), "both attempts are counted");

        let t = FakeTransport::new(vec![plan_reply("not json"), plan_reply("still not json")]);
        let (out, _, _) = go(&t, &settings(), Queries::Plan);
        assert_eq!(out.state, SearchState::Skipped(Skip::PlanUnreadable(PlanProblem::NotThePlan)));
        assert_eq!(t.sent.borrow().len(), 2, "no search without a plan");
    }

    #[test]
    fn a_failed_planning_call_is_kept_redacted() {
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::error(
            401,
            r#"{"error":{"message":"Incorrect API key provided: sk-test-123456789","code":"invalid_api_key"}}"#,
            None,
        ))]);
        let (out, _, _) = go(&t, &settings(), Queries::Plan);
        let Some(Skip::PlanFailed(e)) = out.skipped() else { panic!("{out:?}") };
        assert!(matches!(e, ApiError::InvalidKey { .. }));
        assert!(!format!("{e:?}").contains("123456789"));
    }

    #[test]
    fn every_tavily_failure_is_a_reason_and_never_a_lost_answer() {
        type Expect = fn(&SearchError) -> bool;
        let cases: Vec<(Scripted, Expect)> = vec![
            (tavily_error(400, "Invalid topic.", None), |e| matches!(e, SearchError::BadRequest { .. })),
            (tavily_error(401, "Unauthorized: missing or invalid API key.", None), |e| {
                matches!(e, SearchError::InvalidKey { .. })
            }),
            (tavily_error(403, "Forbidden", None), |e| matches!(e, SearchError::Forbidden { .. })),
            (tavily_error(432, "This request exceeds your plan's set usage limit.", None), |e| {
                matches!(e, SearchError::PlanLimit { .. })
            }),
            (tavily_error(433, "This request exceeds the pay-as-you-go limit.", None), |e| {
                matches!(e, SearchError::PayGoLimit { .. })
            }),
            (tavily_error(500, "Internal Server Error", None), |e| {
                matches!(e, SearchError::Server { status: 500, .. })
            }),
            (tavily_error(429, "Too many requests", Some("60")), |e| {
                matches!(e, SearchError::RateLimited { retry_after_ms: Some(60_000), .. })
            }),
            (
                Scripted::Fail(TransportError::Unreachable),
                |e| matches!(e, SearchError::Blocked { host } if host == "api.tavily.com"),
            ),
            (Scripted::Hang, |e| *e == SearchError::Timeout),
            (
                Scripted::Reply(Reply {
                    status: 200,
                    retry_after: None,
                    chunks: vec![b"<html>".to_vec()],
                    end: Ok(()),
                }),
                |e| matches!(e, SearchError::Malformed { .. }),
            ),
        ];
        for (reply, expected) in cases {
            let t = FakeTransport::new(vec![reply]);
            let (out, _, _) = go(&t, &settings(), Queries::Given(vec!["q".into()]));
            match out.skipped() {
                Some(Skip::Search(e)) => assert!(expected(e), "{e:?}"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn a_rate_limit_waits_as_asked_then_succeeds_or_gives_up() {
        let t = FakeTransport::new(vec![tavily_error(429, "slow", Some("2")), results("q", 1, Some(1))]);
        let (out, _, rt) = go(&t, &settings(), Queries::Given(vec!["q".into()]));
        assert_eq!(out.state, SearchState::Done);
        assert!(rt.slept.borrow().contains(&2000), "{:?}", rt.slept.borrow());

        let storm = (0..=MAX_SEARCH_RETRIES).map(|_| tavily_error(429, "slow", Some("1"))).collect();
        let t = FakeTransport::new(storm);
        let (out, _, _) = go(&t, &settings(), Queries::Given(vec!["q".into()]));
        assert!(matches!(out.skipped(), Some(Skip::Search(SearchError::RateLimited { .. }))));
        assert_eq!(t.sent.borrow().len() as u32, 1 + MAX_SEARCH_RETRIES);
    }

    #[test]
    fn one_failed_query_of_two_keeps_the_others_results() {
        let t = FakeTransport::new(vec![tavily_error(500, "boom", None), results("b", 2, Some(1))]);
        let (out, _, _) = go(&t, &settings(), Queries::Given(vec!["a".into(), "b".into()]));
        assert_eq!(out.state, SearchState::Done);
        assert_eq!(out.results.len(), 2);
        assert_eq!(out.results[0].query, 1);
        assert_eq!(out.failed.len(), 1);
        assert_eq!(out.credits, 1.0);
    }

    #[test]
    fn no_key_sends_nothing_and_stop_interrupts() {
        let s = Settings { tavily_key: " ".into(), ..settings() };
        let t = FakeTransport::new(vec![]);
        let (out, _, _) = go(&t, &s, Queries::Plan);
        assert_eq!(out.state, SearchState::Skipped(Skip::NoKey));
        assert!(t.sent.borrow().is_empty());

        let t = FakeTransport::new(vec![Scripted::Fail(TransportError::Aborted)]);
        let (out, _, _) = go(&t, &settings(), Queries::Given(vec!["q".into()]));
        assert_eq!(out.state, SearchState::Skipped(Skip::Interrupted));
    }

    #[test]
    fn results_are_capped_and_each_url_kept_once() {
        let t = FakeTransport::new(vec![results("same", 8, Some(1)), results("other", 8, Some(1))]);
        let (out, _, _) = go(&t, &settings(), Queries::Given(vec!["same".into(), "Same ".into(), "other".into()]));
        assert_eq!(t.sent.borrow().len(), 2, "a repeated query is searched once");
        assert_eq!(out.results.len(), MAX_PROMPT_RESULTS);
        let mut urls: Vec<&str> = out.results.iter().map(|r| r.url.as_str()).collect();
        urls.sort_unstable();
        urls.dedup();
        assert_eq!(urls.len(), MAX_PROMPT_RESULTS);
    }

    #[test]
    fn the_key_check_reads_usage_and_says_why_it_failed() {
        let usage = json!({"key": {"usage": 150, "limit": 1000}, "account": {"current_plan": "Researcher"}});
        let t = FakeTransport::new(vec![Scripted::Reply(Reply {
            status: 200,
            retry_after: None,
            chunks: vec![usage.to_string().into_bytes()],
            end: Ok(()),
        })]);
        let rt = FakeRuntime::default();
        assert_eq!(block_on(check_key(&t, &rt, &settings())), KeyCheck::Works { used: Some(150), limit: Some(1000) });
        assert_eq!(t.sent.borrow()[0].url, "https://api.tavily.com/usage");
        assert_eq!(t.sent.borrow()[0].method, "GET");
        let t = FakeTransport::new(vec![tavily_error(401, "Unauthorized: missing or invalid API key.", None)]);
        assert!(matches!(block_on(check_key(&t, &rt, &settings())), KeyCheck::Failed(SearchError::InvalidKey { .. })));
        let t = FakeTransport::new(vec![Scripted::Fail(TransportError::Unreachable)]);
        assert!(matches!(block_on(check_key(&t, &rt, &settings())), KeyCheck::Failed(SearchError::Blocked { .. })));
        let none = Settings { tavily_key: String::new(), ..settings() };
        assert_eq!(block_on(check_key(&t, &rt, &none)), KeyCheck::NotSet);
    }
}
