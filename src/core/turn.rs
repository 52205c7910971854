//! One turn of the conversation, from the question to the stored answer.
//!
//! `ask` stores the question, creates the answer in the `Streaming` state, builds the request, streams the text
//! in, saves the growing answer at most every [`SAVE_EVERY_MS`] (not once per token), and ends it as `Complete`,
//! `Interrupted` (kept as far as it got) or `Failed` (with a reason). `regenerate` replaces the last answer the
//! same way. Every change is also reported as a [`TurnEvent`] so a view can mirror it; the view holds no logic.

use crate::core::client::{open_chat, Progress};
use crate::core::model::{AnswerError, Chat, ContextItem, Language, Message, MessageStatus, Role, Settings};
use crate::core::openai::ApiError;
use crate::core::ports::{MessageRepo, Runtime, StoreError, Transport};
use crate::core::prompt::Recalled;
use crate::core::prompt::{build, PromptImage, PromptInput};
use crate::core::websearch::cite::results_block;
use crate::core::websearch::plan::PlanInput;
use crate::core::websearch::stage::{self, Queries};
use crate::core::websearch::{SearchState, Skip, WebSearch};
use futures_util::future::join;
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::task::Poll;

/// How often a growing answer is written to storage while it streams.
pub const SAVE_EVERY_MS: f64 = 500.0;

#[derive(Debug, Clone, PartialEq)]
pub enum TurnEvent {
    /// A message was created or changed; show this version.
    Upsert(Message),
    /// A message was deleted (the old answer, on regenerate).
    Removed(String),
    /// Rate limited; the request will be sent again after `wait_ms`.
    Retrying { attempt: u32, wait_ms: u64 },
    /// Storage failed; the turn goes on in memory.
    StoreFailed(StoreError),
}

/// What a turn needs from the chat.
#[derive(Debug, Clone, Copy)]
pub struct TurnInput<'a> {
    pub settings: &'a Settings,
    pub chat: &'a Chat,
    /// The chat's messages in order.
    pub messages: &'a [Message],
    /// The chat's images in order; those retrieval left out have `attached: false`.
    pub images: &'a [PromptImage<'a>],
    /// Wardrobe items that go as pictures after the chat's images, best first (empty with the wardrobe off).
    pub wardrobe: &'a [PromptImage<'a>],
    /// What retrieval recalled and used, stored with the answer for its "Context" disclosure.
    pub recalled: &'a [Recalled],
    pub context: &'a [ContextItem],
    /// Search the web first, and how (`None`: no web search for this question).
    pub web: Option<&'a WebAsk>,
}

#[cfg(test)]
impl<'a> TurnInput<'a> {
    /// A turn of `chat` with nothing besides the question (for tests): no messages before it, no images,
    /// nothing recalled, no web search; a test names what it adds.
    pub fn question_only(settings: &'a Settings, chat: &'a Chat) -> TurnInput<'a> {
        TurnInput { settings, chat, messages: &[], images: &[], wardrobe: &[], recalled: &[], context: &[], web: None }
    }
}

/// A question's web search, as asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct WebAsk {
    /// Planned by the model, or given (the chips of "Search again").
    pub queries: Queries,
    /// The interface's language (the queries' language and the default country).
    pub language: Language,
}

/// How a turn ended.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnOutcome {
    pub answer: Message,
    pub error: Option<ApiError>,
    /// The wardrobe items the question carried, in the prompt's order (filled by the pipeline, which chose
    /// them).
    pub wardrobe: Vec<crate::core::wardrobe::Carried>,
}

/// Asks a new question.
pub async fn ask<S: MessageRepo, T: Transport, R: Runtime>(
    store: &S,
    transport: &T,
    runtime: &R,
    input: TurnInput<'_>,
    question: &str,
    on: &mut dyn FnMut(TurnEvent),
) -> TurnOutcome {
    let now = next_time(runtime, input.messages);
    let user = Message::new(runtime.new_id(), input.chat.id.clone(), Role::User, question.to_owned(), now);
    save(store, &user, on).await;
    on(TurnEvent::Upsert(user.clone()));
    let mut history = input.messages.to_vec();
    history.push(user);
    answer(store, transport, runtime, input, &history, on).await
}

/// Replaces the answers after the last question with a new one. Returns `None` when there is no question.
///
/// The old answers disappear from view at once but are deleted from storage only once the new answer has
/// text: a Retry that fails again (still offline, still no credit) brings the old answer back rather than
/// losing it.
pub async fn regenerate<S: MessageRepo, T: Transport, R: Runtime>(
    store: &S,
    transport: &T,
    runtime: &R,
    input: TurnInput<'_>,
    on: &mut dyn FnMut(TurnEvent),
) -> Option<TurnOutcome> {
    let last_user = input.messages.iter().rposition(|m| m.role == Role::User)?;
    let old = &input.messages[last_user + 1..];
    for m in old {
        on(TurnEvent::Removed(m.id.clone()));
    }
    let history = &input.messages[..=last_user];
    let outcome = answer(store, transport, runtime, input, history, on).await;
    if outcome.answer.content.is_empty() && !old.is_empty() {
        // Nothing new arrived: put the old answers back and drop the empty new one.
        if let Err(e) = store.delete_message(&outcome.answer.id).await {
            on(TurnEvent::StoreFailed(e));
        }
        on(TurnEvent::Removed(outcome.answer.id.clone()));
        for m in old {
            on(TurnEvent::Upsert(m.clone()));
        }
    } else {
        for m in old {
            if let Err(e) = store.delete_message(&m.id).await {
                on(TurnEvent::StoreFailed(e));
            }
        }
    }
    Some(outcome)
}

enum Either<A, B> {
    Left(A),
    Right(B),
}

/// Polls two futures and returns the output of whichever finishes first, leaving the other one in place
/// (it is borrowed, not consumed, so it can be polled again later).
async fn first<A: Future, B: Future>(mut a: Pin<&mut A>, mut b: Pin<&mut B>) -> Either<A::Output, B::Output> {
    poll_fn(|cx| {
        if let Poll::Ready(v) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(v));
        }
        if let Poll::Ready(v) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(v));
        }
        Poll::Pending
    })
    .await
}

/// A creation time after every existing message, so order never depends on clock resolution.
fn next_time<R: Runtime>(runtime: &R, messages: &[Message]) -> f64 {
    let last = messages.iter().map(|m| m.created_ms).fold(f64::MIN, f64::max);
    runtime.now_ms().max(last + 1.0)
}

async fn save<S: MessageRepo>(store: &S, m: &Message, on: &mut dyn FnMut(TurnEvent)) -> bool {
    match store.put_message(m).await {
        Ok(()) => true,
        Err(e) => {
            on(TurnEvent::StoreFailed(e));
            false
        }
    }
}

/// Streams the answer to the last message of `history`, which is the question.
async fn answer<S: MessageRepo, T: Transport, R: Runtime>(
    store: &S,
    transport: &T,
    runtime: &R,
    input: TurnInput<'_>,
    history: &[Message],
    on: &mut dyn FnMut(TurnEvent),
) -> TurnOutcome {
    let (question, earlier) = history.split_last().expect("a turn always has its question");
    let mut answer = Message {
        status: MessageStatus::Streaming,
        model: Some(input.settings.model.clone()),
        context: input.context.to_vec(),
        ..Message::new(
            runtime.new_id(),
            input.chat.id.clone(),
            Role::Assistant,
            String::new(),
            next_time(runtime, history),
        )
    };
    on(TurnEvent::Upsert(answer.clone()));
    // The answer's record is written while the next request goes out (IndexedDB keeps writes in the order
    // they were made, so a later save never loses to this one): the person waits for the network, not for
    // storage.
    let created = answer.clone();
    let mut writing = Some(store.put_message(&created));

    let mut block = None;
    if let Some(web) = input.web {
        let plan_input = PlanInput {
            model: &input.settings.model,
            images: input.images,
            history: earlier,
            question: &question.content,
            language: web.language,
        };
        let mut shown = |w: &WebSearch| {
            answer.search = Some(Box::new(w.clone()));
            on(TurnEvent::Upsert(answer.clone()));
        };
        let searching =
            stage::run(transport, runtime, input.settings, plan_input, web.queries.clone(), web.language, &mut shown);
        let (saved, search) = join(writing.take().expect("not written yet"), searching).await;
        if let Err(e) = saved {
            on(TurnEvent::StoreFailed(e));
        }
        answer.search = Some(Box::new(search.clone()));
        if search.skipped() == Some(&Skip::Interrupted) {
            // Stop while searching: nothing was asked, the question stays and can be retried.
            return finish(store, input, answer, Some(ApiError::Aborted), on).await;
        }
        if search.state == SearchState::Done && !search.results.is_empty() {
            block = Some(results_block(&search.results, &search.queries, search.look_for.as_deref()));
        }
    }
    let built = build(&PromptInput {
        model: &input.settings.model,
        detail: input.chat.detail,
        history: earlier,
        question: &question.content,
        images: input.images,
        wardrobe: input.wardrobe,
        history_budget: input.settings.history_budget,
        recalled: input.recalled,
        system: input.settings.system_prompt.as_deref(),
        instructions: input.settings.instructions.as_deref(),
        temperature: input.settings.temperature,
        web: block.as_deref(),
    });
    answer.trimmed = built.trimmed;

    // With a search, the record is written again with its results (and `trimmed`) as the answer is asked for.
    let searched = answer.clone();
    let writing = match writing {
        Some(first) => futures_util::future::Either::Left(first),
        None => futures_util::future::Either::Right(store.put_message(&searched)),
    };
    let (saved, result) = {
        let mut retry = |p: Progress| {
            if let Progress::Retrying { attempt, wait_ms } = p {
                on(TurnEvent::Retrying { attempt, wait_ms });
            }
        };
        join(writing, open_chat(transport, runtime, input.settings, &built.request, &mut retry)).await
    };
    if let Err(e) = saved {
        on(TurnEvent::StoreFailed(e));
    }
    let error = match result {
        Err(e) => Some(e),
        Ok(mut stream) => {
            let mut saved_at = runtime.now_ms();
            let mut unsaved = false;
            loop {
                // Wait for the next piece of text; while some text is unsaved, also wake when it is due to be
                // saved, so a stream that stalls (then the tab closes) still has its text stored. The read is
                // never cancelled: the same `next` future is polled again after a timed save.
                let result = {
                    let mut next = pin!(stream.next());
                    loop {
                        if !unsaved {
                            break next.as_mut().await;
                        }
                        let wait = (SAVE_EVERY_MS - (runtime.now_ms() - saved_at)).max(0.0) as u64;
                        let mut timer = pin!(runtime.sleep(wait));
                        match first(next.as_mut(), timer.as_mut()).await {
                            Either::Left(r) => break r,
                            Either::Right(()) => {
                                saved_at = runtime.now_ms();
                                unsaved = false;
                                save(store, &answer, on).await;
                            }
                        }
                    }
                };
                match result {
                    Ok(Some(added)) => {
                        if added.is_empty() {
                            continue;
                        }
                        answer.content.push_str(&added);
                        on(TurnEvent::Upsert(answer.clone()));
                        let now = runtime.now_ms();
                        if now - saved_at >= SAVE_EVERY_MS {
                            saved_at = now;
                            unsaved = false;
                            save(store, &answer, on).await;
                        } else {
                            unsaved = true;
                        }
                    }
                    Ok(None) => {
                        answer.usage = stream.completion().usage;
                        break None;
                    }
                    Err(e) => {
                        answer.usage = stream.completion().usage;
                        break Some(e);
                    }
                }
            }
        }
    };
    finish(store, input, answer, error, on).await
}

/// Ends the answer: complete, or interrupted or failed with its (redacted) error; stores and reports it.
async fn finish<S: MessageRepo>(
    store: &S,
    input: TurnInput<'_>,
    mut answer: Message,
    error: Option<ApiError>,
    on: &mut dyn FnMut(TurnEvent),
) -> TurnOutcome {
    match &error {
        None => answer.status = MessageStatus::Complete,
        Some(e) => {
            answer.status = if answer.content.is_empty() && !e.is_interruption() {
                MessageStatus::Failed
            } else {
                MessageStatus::Interrupted
            };
            answer.error = Some(AnswerError::Api { error: e.redacted(&input.settings.api_key) });
        }
    }
    save(store, &answer, on).await;
    on(TurnEvent::Upsert(answer.clone()));
    TurnOutcome { answer, error, wardrobe: Vec::new() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::client::fakes::*;
    use crate::core::model::Usage;
    use crate::core::ports::{StoreError, TransportError};

    fn settings() -> Settings {
        Settings { api_key: "sk-test-123456789".into(), base_url: "http://h/v1".into(), ..Settings::default() }
    }

    fn run_ask(store: &MemStore, t: &FakeTransport, question: &str) -> (TurnOutcome, Vec<TurnEvent>) {
        run_ask_with(store, t, &FakeRuntime::default(), question)
    }

    fn run_ask_with(
        store: &MemStore,
        t: &FakeTransport,
        rt: &FakeRuntime,
        question: &str,
    ) -> (TurnOutcome, Vec<TurnEvent>) {
        let chat = Chat::new("c1".into(), 0.0);
        let s = settings();
        let existing = store.messages.borrow().clone();
        let images = [PromptImage { name: "a.jpg", mime: "image/jpeg", bytes: b"x", caption: None, attached: true }];
        let mut events = Vec::new();
        let input = TurnInput { messages: &existing, images: &images, ..TurnInput::question_only(&s, &chat) };
        let out = block_on(ask(store, t, rt, input, question, &mut |e| events.push(e)));
        (out, events)
    }

    fn body_of(t: &FakeTransport, i: usize) -> serde_json::Value {
        serde_json::from_str(t.sent.borrow()[i].body.as_deref().unwrap()).unwrap()
    }

    #[test]
    fn a_question_is_stored_answered_and_completed() {
        let store = MemStore::default();
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::sse(&["Both ", "are cats."], true))]);
        let (out, events) = run_ask(&store, &t, "What do they have in common?");
        assert_eq!(out.error, None);
        assert_eq!(out.answer.content, "Both are cats.");
        assert_eq!(out.answer.status, MessageStatus::Complete);
        assert_eq!(
            out.answer.usage,
            Some(Usage { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10, cached_tokens: 0 })
        );
        let stored = store.messages.borrow();
        assert_eq!(stored.len(), 2);
        assert_eq!(stored[0].role, Role::User);
        assert!(stored[0].created_ms < stored[1].created_ms);
        assert_eq!(stored[1], out.answer);
        assert!(matches!(&events[0], TurnEvent::Upsert(m) if m.role == Role::User));
        assert!(matches!(&events[1], TurnEvent::Upsert(m) if m.status == MessageStatus::Streaming));
        let body = body_of(&t, 0);
        assert_eq!(body["messages"][1]["content"][1]["type"], "image_url");
        assert_eq!(body["messages"].as_array().unwrap().last().unwrap()["content"], "What do they have in common?");
    }

    #[test]
    fn the_growing_answer_is_saved_in_batches_not_per_token() {
        let store = MemStore::default();
        let pieces: Vec<String> = (0..200).map(|i| format!("t{i} ")).collect();
        let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::sse(&refs, true))]);
        let (out, _) = run_ask(&store, &t, "q");
        assert_eq!(out.answer.content.matches(' ').count(), 200);
        // The fake clock moves 1 ms per reading, so 200 tokens take far less than one save interval.
        assert!(*store.writes.borrow() <= 4, "{} writes", store.writes.borrow());
    }

    #[test]
    fn a_dropped_stream_is_kept_as_interrupted() {
        let store = MemStore::default();
        let t = FakeTransport::new(vec![Scripted::Reply(
            Reply::sse(&["Half an ", "answer"], false).ending(Err(TransportError::Cut)),
        )]);
        let (out, _) = run_ask(&store, &t, "q");
        assert_eq!(out.error, Some(ApiError::StreamCut));
        assert_eq!(out.answer.status, MessageStatus::Interrupted);
        assert_eq!(out.answer.content, "Half an answer");
        assert_eq!(out.answer.error, Some(AnswerError::Api { error: ApiError::StreamCut }));
        assert_eq!(store.messages.borrow()[1].content, "Half an answer");
    }

    #[test]
    fn a_refused_request_fails_without_leaking_the_key_and_keeps_the_question() {
        let store = MemStore::default();
        let body = r#"{"error":{"message":"Incorrect API key provided: sk-test-123456789.","type":"invalid_request_error","code":"invalid_api_key"}}"#;
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::error(401, body, None))]);
        let (out, _) = run_ask(&store, &t, "keep me");
        assert_eq!(out.answer.status, MessageStatus::Failed);
        let stored = serde_json::to_string(&store.messages.borrow()[1]).unwrap();
        assert!(stored.contains("invalid_key") && !stored.contains("123456789"), "{stored}");
        assert_eq!(store.messages.borrow()[0].content, "keep me");
    }

    #[test]
    fn regenerate_replaces_the_last_answer_and_resends_the_question_with_history() {
        let store = MemStore::default();
        let t = FakeTransport::new(vec![
            Scripted::Reply(Reply::sse(&["first"], true)),
            Scripted::Reply(Reply::sse(&["second"], true)),
            Scripted::Reply(Reply::sse(&["third"], true)),
        ]);
        let rt = FakeRuntime::default();
        run_ask_with(&store, &t, &rt, "q1");
        run_ask_with(&store, &t, &rt, "q2");
        let chat = Chat::new("c1".into(), 0.0);
        let s = settings();
        let existing = store.messages.borrow().clone();
        let mut events = Vec::new();
        let input = TurnInput { messages: &existing, ..TurnInput::question_only(&s, &chat) };
        let out = block_on(regenerate(&store, &t, &rt, input, &mut |e| events.push(e))).unwrap();
        assert_eq!(out.answer.content, "third");
        let contents: Vec<String> = store.messages.borrow().iter().map(|m| m.content.clone()).collect();
        assert_eq!(contents, ["q1", "first", "q2", "third"]);
        assert!(events.contains(&TurnEvent::Removed(existing[3].id.clone())));
        let body = body_of(&t, 2);
        let msgs = body["messages"].as_array().unwrap();
        let texts: Vec<&str> = msgs[1..].iter().map(|m| m["content"].as_str().unwrap()).collect();
        assert_eq!(texts, ["q1", "first", "q2"]);
    }

    #[test]
    fn a_retry_that_fails_again_keeps_the_old_answer() {
        let store = MemStore::default();
        let rt = FakeRuntime::default();
        let t = FakeTransport::new(vec![
            Scripted::Reply(Reply::sse(&["A long ", "partial answer"], false).ending(Err(TransportError::Cut))),
            Scripted::Fail(TransportError::Unreachable),
        ]);
        run_ask_with(&store, &t, &rt, "q");
        let before = store.messages.borrow().clone();
        let chat = Chat::new("c1".into(), 0.0);
        let s = settings();
        let input = TurnInput { messages: &before, ..TurnInput::question_only(&s, &chat) };
        let mut events = Vec::new();
        let out = block_on(regenerate(&store, &t, &rt, input, &mut |e| events.push(e))).unwrap();
        assert!(matches!(out.error, Some(ApiError::Unreachable { .. })));
        assert_eq!(*store.messages.borrow(), before, "the stored conversation is as it was");
        assert!(events.contains(&TurnEvent::Upsert(before[1].clone())), "the old answer is shown again");
        assert!(events.contains(&TurnEvent::Removed(out.answer.id.clone())), "the empty new answer goes");
    }

    #[test]
    fn a_full_disk_is_reported_and_the_answer_still_arrives() {
        let store = MemStore { full: true, ..MemStore::default() };
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::sse(&["fine"], true))]);
        let (out, events) = run_ask(&store, &t, "q");
        assert_eq!(out.answer.content, "fine");
        assert!(events.iter().any(|e| matches!(e, TurnEvent::StoreFailed(StoreError::QuotaExceeded))));
    }

    /// A body that sends two pieces, then stalls until the runtime has slept (a save came due), then breaks.
    struct StallingTransport {
        rt: std::rc::Rc<FakeRuntime>,
    }

    struct StallingBody {
        rt: std::rc::Rc<FakeRuntime>,
        sent: u32,
    }

    impl crate::core::ports::ResponseBody for StallingBody {
        async fn chunk(&mut self) -> Result<Option<Vec<u8>>, TransportError> {
            self.sent += 1;
            match self.sent {
                1 => Ok(Some(b"data: {\"choices\":[{\"delta\":{\"content\":\"kept \"}}]}\n\n".to_vec())),
                2 => Ok(Some(b"data: {\"choices\":[{\"delta\":{\"content\":\"text\"}}]}\n\n".to_vec())),
                _ => {
                    // Stall (stay pending) until a timed save has happened, then the connection breaks.
                    std::future::poll_fn(|_| {
                        if self.rt.slept.borrow().is_empty() {
                            std::task::Poll::Pending
                        } else {
                            std::task::Poll::Ready(())
                        }
                    })
                    .await;
                    Err(TransportError::Cut)
                }
            }
        }
    }

    impl Transport for StallingTransport {
        type Body = StallingBody;
        async fn send(
            &self,
            _: &crate::core::ports::HttpRequest,
        ) -> Result<(crate::core::ports::HttpHead, StallingBody), TransportError> {
            Ok((
                crate::core::ports::HttpHead { status: 200, retry_after: None },
                StallingBody { rt: self.rt.clone(), sent: 0 },
            ))
        }
    }

    #[test]
    fn text_that_arrived_before_a_stall_is_saved_while_still_streaming() {
        let store = MemStore::default();
        let rt = std::rc::Rc::new(FakeRuntime::default());
        let t = StallingTransport { rt: rt.clone() };
        let chat = Chat::new("c1".into(), 0.0);
        let s = settings();
        let input = TurnInput::question_only(&s, &chat);
        let out = block_on(ask(&store, &t, &*rt, input, "q", &mut |_| {}));
        assert_eq!(out.answer.status, MessageStatus::Interrupted);
        let history = store.history.borrow();
        assert!(
            history.iter().any(|m| m.status == MessageStatus::Streaming && m.content == "kept text"),
            "the stalled text was saved before the stream ended: {history:?}"
        );
        assert_eq!(rt.slept.borrow().len(), 1, "one timed save");
    }

    #[test]
    fn stopping_keeps_the_partial_answer() {
        let store = MemStore::default();
        let t = FakeTransport::new(vec![Scripted::Reply(
            Reply::sse(&["so far"], false).ending(Err(TransportError::Aborted)),
        )]);
        let (out, _) = run_ask(&store, &t, "q");
        assert_eq!(out.error, Some(ApiError::Aborted));
        assert_eq!((out.answer.status, out.answer.content.as_str()), (MessageStatus::Interrupted, "so far"));
    }

    fn web_settings() -> Settings {
        Settings { tavily_key: "tvly-test-1".into(), ..settings() }
    }

    fn ask_with_web(store: &MemStore, t: &FakeTransport, web: &WebAsk) -> TurnOutcome {
        let chat = Chat::new("c1".into(), 0.0);
        let s = web_settings();
        let images = [PromptImage {
            name: "a.jpg",
            mime: "image/jpeg",
            bytes: b"x",
            caption: Some("A navy blazer."),
            attached: true,
        }];
        let input = TurnInput { images: &images, web: Some(web), ..TurnInput::question_only(&s, &chat) };
        block_on(ask(store, t, &FakeRuntime::default(), input, "What trousers go with it?", &mut |_| {}))
    }

    fn tavily(body: serde_json::Value) -> Scripted {
        Scripted::Reply(Reply {
            status: 200,
            retry_after: None,
            chunks: vec![body.to_string().into_bytes()],
            end: Ok(()),
        })
    }

    #[test]
    fn a_web_search_puts_its_results_before_the_question_and_is_stored_with_the_answer() {
        let store = MemStore::default();
        let results = serde_json::json!({"results": [
            {"title": "Beige chinos", "url": "https://shop.example/chinos", "content": "Slim beige chinos."}
        ], "usage": {"credits": 1}});
        let t = FakeTransport::new(vec![tavily(results), Scripted::Reply(Reply::sse(&["Beige chinos [1]."], true))]);
        let web = WebAsk { queries: Queries::Given(vec!["beige chinos".into()]), language: Language::En };
        let out = ask_with_web(&store, &t, &web);
        assert_eq!(out.answer.status, MessageStatus::Complete);
        let search = out.answer.search.as_ref().unwrap();
        assert_eq!(search.state, SearchState::Done);
        assert_eq!(search.results[0].title, "Beige chinos");
        assert_eq!(store.messages.borrow()[1].search, out.answer.search, "stored with the answer");
        let body = body_of(&t, 1);
        let msgs = body["messages"].as_array().unwrap();
        let block = msgs[msgs.len() - 2]["content"].as_str().unwrap();
        assert!(block.contains("<<<WEB_RESULTS") && block.contains("Slim beige chinos."), "{block}");
        assert_eq!(msgs.last().unwrap()["content"], "What trousers go with it?");
    }

    #[test]
    fn a_failed_search_answers_without_it_and_says_why() {
        let store = MemStore::default();
        let limit = r#"{"detail":{"error":"This request exceeds the pay-as-you-go limit."}}"#;
        let t = FakeTransport::new(vec![
            Scripted::Reply(Reply::error(433, limit, None)),
            Scripted::Reply(Reply::sse(&["Chinos would work."], true)),
        ]);
        let web = WebAsk { queries: Queries::Given(vec!["chinos".into()]), language: Language::Ko };
        let out = ask_with_web(&store, &t, &web);
        assert_eq!(out.answer.status, MessageStatus::Complete);
        assert_eq!(out.answer.content, "Chinos would work.");
        assert!(matches!(
            out.answer.search.as_ref().unwrap().skipped(),
            Some(Skip::Search(crate::core::websearch::tavily::SearchError::PayGoLimit { .. }))
        ));
        assert!(!body_of(&t, 1).to_string().contains("WEB_RESULTS"));
        assert_eq!(store.messages.borrow()[0].content, "What trousers go with it?", "the question is kept");
    }

    #[test]
    fn stop_while_searching_keeps_the_question_and_asks_nothing() {
        let store = MemStore::default();
        let t = FakeTransport::new(vec![Scripted::Fail(TransportError::Aborted)]);
        let web = WebAsk { queries: Queries::Given(vec!["chinos".into()]), language: Language::En };
        let out = ask_with_web(&store, &t, &web);
        assert_eq!(out.error, Some(ApiError::Aborted));
        assert_eq!(t.sent.borrow().len(), 1, "no answer was asked for");
        assert_eq!(store.messages.borrow()[0].content, "What trousers go with it?");
    }
}
