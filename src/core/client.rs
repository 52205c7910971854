//! The request loop: send, retry when the server says to wait, read the stream, and turn every outcome into a
//! [`Completion`] or an [`ApiError`] with whatever text had arrived.
//!
//! It drives any [`Transport`] and [`Runtime`], so its behaviour (rate-limit retries, cut streams, malformed data)
//! is tested natively with fakes; the browser supplies `fetch` and timers.

use crate::core::model::Settings;
use crate::core::openai::{chat_models, completion_text, ApiError, ChatRequest, Completion, StreamAccumulator};
use crate::core::ports::{HttpHead, HttpRequest, ResponseBody, Runtime, Transport, TransportError};
use crate::core::sse::SseParser;

/// Progress reported while a request runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress<'a> {
    /// New answer text arrived; `so_far` is the whole answer until now.
    Delta { added: &'a str, so_far: &'a str },
    /// Rate limited: waiting `wait_ms` before attempt `attempt` of `1 + MAX_RETRIES`.
    Retrying { attempt: u32, wait_ms: u64 },
}

/// A failed request, with the text that arrived before it failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub error: ApiError,
    pub partial: Completion,
}

/// The longest error body read; anything beyond is not worth showing.
const MAX_ERROR_BODY: usize = 64 * 1024;
/// The longest successful body read whole (a batch of 256 embeddings of 3072 dimensions is about 4 MB).
pub(crate) const MAX_BODY: usize = 64 * 1024 * 1024;

/// Reads a response body as text, stopping once it is longer than `limit` bytes.
pub(crate) async fn read_text<B: ResponseBody>(body: &mut B, limit: usize) -> String {
    let mut bytes = Vec::new();
    while let Ok(Some(chunk)) = body.chunk().await {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > limit {
            break;
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn transport_error(e: TransportError, host: &str) -> ApiError {
    match e {
        TransportError::Unreachable => ApiError::Unreachable { host: host.to_owned() },
        TransportError::Aborted => ApiError::Aborted,
        TransportError::Cut => ApiError::StreamCut,
    }
}

/// Sends `request`, retrying on rate limits, and returns the successful head and body.
pub(crate) async fn send_with_retries<T: Transport, R: Runtime>(
    transport: &T,
    runtime: &R,
    request: &HttpRequest,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<(HttpHead, T::Body), ApiError> {
    let mut attempt = 0;
    loop {
        let (head, mut body) = transport.send(request).await.map_err(|e| transport_error(e, &request.host()))?;
        if (200..300).contains(&head.status) {
            return Ok((head, body));
        }
        let text = read_text(&mut body, MAX_ERROR_BODY).await;
        let error = ApiError::from_response(head.status, &text, head.retry_after.as_deref(), runtime.now_ms());
        attempt += 1;
        match error.retry_delay_ms(attempt) {
            Some(wait_ms) => {
                on_progress(Progress::Retrying { attempt: attempt + 1, wait_ms });
                runtime.sleep(wait_ms).await;
            }
            None => return Err(error),
        }
    }
}

/// An answer being received: pull text with [`ChatStream::next`] until it returns `None`.
pub struct ChatStream<B> {
    body: B,
    host: String,
    parser: SseParser,
    acc: StreamAccumulator,
    ready: std::collections::VecDeque<crate::core::sse::SseEvent>,
    ended: bool,
}

impl<B: ResponseBody> ChatStream<B> {
    /// The next piece of answer text (possibly empty), `None` when the answer is complete, or the error that
    /// ended it. After an error, [`ChatStream::completion`] holds what arrived.
    pub async fn next(&mut self) -> Result<Option<String>, ApiError> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                let added = self.acc.apply(&event)?;
                if self.acc.saw_done() {
                    self.ended = true;
                    self.ready.clear();
                }
                return Ok(Some(added));
            }
            if self.ended {
                return if self.acc.is_complete() { Ok(None) } else { Err(ApiError::StreamCut) };
            }
            match self.body.chunk().await {
                Ok(Some(bytes)) => self.ready.extend(self.parser.feed(&bytes)),
                Ok(None) => {
                    self.ready.extend(self.parser.finish());
                    self.ended = true;
                }
                // A connection that breaks after the answer finished (finish reason seen, `[DONE]` not yet) lost
                // nothing.
                Err(TransportError::Cut) if self.acc.is_complete() => return Ok(None),
                Err(e) => return Err(transport_error(e, &self.host)),
            }
        }
    }

    /// The answer so far.
    pub fn completion(&self) -> &Completion {
        &self.acc.completion
    }
}

/// Sends a chat request (retrying on rate limits) and returns the stream of its answer.
pub async fn open_chat<T: Transport, R: Runtime>(
    transport: &T,
    runtime: &R,
    settings: &Settings,
    chat: &ChatRequest,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<ChatStream<T::Body>, ApiError> {
    let body = serde_json::to_string(chat)
        .map_err(|e| ApiError::Rejected { status: 0, detail: Some(format!("the request could not be built: {e}")) })?;
    let request = HttpRequest::openai(settings, "POST", "chat/completions", Some(body));
    let (_, body) = send_with_retries(transport, runtime, &request, on_progress).await?;
    Ok(ChatStream {
        body,
        host: request.host(),
        parser: SseParser::new(),
        acc: StreamAccumulator::new(),
        ready: Default::default(),
        ended: false,
    })
}

/// Streams one chat completion to its end, reporting progress.
pub async fn stream_chat<T: Transport, R: Runtime>(
    transport: &T,
    runtime: &R,
    settings: &Settings,
    chat: &ChatRequest,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<Completion, Failure> {
    let mut stream = open_chat(transport, runtime, settings, chat, on_progress)
        .await
        .map_err(|error| Failure { error, partial: Completion::default() })?;
    loop {
        match stream.next().await {
            Ok(Some(added)) if !added.is_empty() => {
                on_progress(Progress::Delta { added: &added, so_far: &stream.completion().content })
            }
            Ok(Some(_)) => {}
            Ok(None) => return Ok(stream.acc.completion),
            Err(error) => return Err(Failure { error, partial: stream.acc.completion }),
        }
    }
}

/// Sends a non-streamed chat request (retrying on rate limits) and returns the answer's text.
pub async fn complete<T: Transport, R: Runtime>(
    transport: &T,
    runtime: &R,
    settings: &Settings,
    chat: &ChatRequest,
) -> Result<String, ApiError> {
    completion_text(&complete_body(transport, runtime, settings, chat).await?)
}

/// Sends any non-streamed chat completions body (a judge's structured-output request, say), retrying on rate
/// limits, and returns the whole response body for the caller to read.
pub async fn complete_body<T: Transport, R: Runtime>(
    transport: &T,
    runtime: &R,
    settings: &Settings,
    body: &impl serde::Serialize,
) -> Result<String, ApiError> {
    let body = serde_json::to_string(body)
        .map_err(|e| ApiError::Rejected { status: 0, detail: Some(format!("the request could not be built: {e}")) })?;
    let request = HttpRequest::openai(settings, "POST", "chat/completions", Some(body));
    let (_, mut body) = send_with_retries(transport, runtime, &request, &mut |_| {}).await?;
    Ok(read_text(&mut body, MAX_BODY).await)
}

/// Checks the key and lists the models it can use (`GET /models`).
pub async fn list_models<T: Transport, R: Runtime>(
    transport: &T,
    runtime: &R,
    settings: &Settings,
) -> Result<Vec<String>, ApiError> {
    let request = HttpRequest::openai(settings, "GET", "models", None);
    let (_, mut body) = send_with_retries(transport, runtime, &request, &mut |_| {}).await?;
    let text = read_text(&mut body, MAX_BODY).await;
    chat_models(&text).map_err(|detail| ApiError::Rejected { status: 200, detail: Some(detail) })
}

#[cfg(test)]
pub(crate) mod fakes {
    //! In-memory stand-ins for the ports, and a tiny executor for futures that never wait on real I/O.
    use super::*;
    use crate::core::model::{ImageMeta, Message};
    use crate::core::ports::{ImageRepo, MessageRepo, StoreError};
    use std::cell::{Cell, RefCell};
    use std::collections::VecDeque;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    /// Messages and images of any number of chats, in memory; an image's "Blob" is its bytes. `full` makes
    /// every message write fail as a full disk does, `broken` every message read.
    #[derive(Default)]
    pub struct MemStore {
        pub messages: RefCell<Vec<Message>>,
        pub images: Vec<(ImageMeta, Vec<u8>)>,
        /// Message writes so far.
        pub writes: RefCell<u32>,
        /// Every version of a message written, in order.
        pub history: RefCell<Vec<Message>>,
        pub full: bool,
        pub broken: bool,
    }

    impl MessageRepo for MemStore {
        async fn load_messages(&self, chat_id: &str) -> Result<Vec<Message>, StoreError> {
            if self.broken {
                return Err(StoreError::Other("NotReadableError".into()));
            }
            Ok(self.messages.borrow().iter().filter(|m| m.chat_id == chat_id).cloned().collect())
        }
        async fn put_message(&self, m: &Message) -> Result<(), StoreError> {
            if self.full {
                return Err(StoreError::QuotaExceeded);
            }
            *self.writes.borrow_mut() += 1;
            self.history.borrow_mut().push(m.clone());
            let mut v = self.messages.borrow_mut();
            match v.iter_mut().find(|x| x.id == m.id) {
                Some(x) => *x = m.clone(),
                None => v.push(m.clone()),
            }
            Ok(())
        }
        async fn delete_message(&self, id: &str) -> Result<(), StoreError> {
            self.messages.borrow_mut().retain(|m| m.id != id);
            Ok(())
        }
    }

    impl ImageRepo for MemStore {
        type Blob = Vec<u8>;
        async fn load_images(&self, chat_id: &str) -> Result<Vec<ImageMeta>, StoreError> {
            Ok(self.images.iter().filter(|(m, _)| m.chat_id == chat_id).map(|(m, _)| m.clone()).collect())
        }
        async fn load_images_with_blobs(&self, chat_id: &str) -> Result<Vec<(ImageMeta, Vec<u8>)>, StoreError> {
            Ok(self.images.iter().filter(|(m, _)| m.chat_id == chat_id).cloned().collect())
        }
        async fn put_image(&self, _: &ImageMeta, _: &Vec<u8>) -> Result<(), StoreError> {
            unreachable!("the fakes' images are fixed")
        }
        async fn image_blob(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
            Ok(self.images.iter().find(|(m, _)| m.id == id).map(|(_, b)| b.clone()))
        }
        async fn update_image_meta(&self, _: &ImageMeta) -> Result<bool, StoreError> {
            unreachable!("the fakes' images are fixed")
        }
        async fn delete_image(&self, _: &str) -> Result<(), StoreError> {
            unreachable!("the fakes' images are fixed")
        }
    }

    /// How many pictures a chat request's body carries.
    pub fn image_parts(body: &serde_json::Value) -> usize {
        body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["content"].as_array())
            .flatten()
            .filter(|p| p["type"] == "image_url")
            .count()
    }

    pub fn block_on<F: Future>(f: F) -> F::Output {
        let mut f = pin!(f);
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..1_000_000 {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
        panic!("future did not finish: the fakes never wait, so this is a bug");
    }

    /// One scripted reply: a status, a `Retry-After`, body chunks, and how the body ends.
    #[derive(Clone)]
    pub struct Reply {
        pub status: u16,
        pub retry_after: Option<String>,
        pub chunks: Vec<Vec<u8>>,
        pub end: Result<(), TransportError>,
    }

    impl Reply {
        pub fn sse(contents: &[&str], done: bool) -> Reply {
            let mut chunks: Vec<Vec<u8>> = contents
                .iter()
                .map(|c| {
                    let json = serde_json::json!({"choices":[{"index":0,"delta":{"content":c}}]});
                    format!("data: {json}\n\n").into_bytes()
                })
                .collect();
            if done {
                chunks
                    .push(b"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n".to_vec());
                chunks.push(b"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3,\"total_tokens\":10}}\n\ndata: [DONE]\n\n".to_vec());
            }
            Reply { status: 200, retry_after: None, chunks, end: Ok(()) }
        }
        pub fn error(status: u16, body: &str, retry_after: Option<&str>) -> Reply {
            Reply {
                status,
                retry_after: retry_after.map(str::to_owned),
                chunks: vec![body.as_bytes().to_vec()],
                end: Ok(()),
            }
        }
        pub fn ending(mut self, end: Result<(), TransportError>) -> Reply {
            self.end = end;
            self
        }
    }

    pub enum Scripted {
        Reply(Reply),
        Fail(TransportError),
        /// No answer, ever (a server that hangs).
        Hang,
    }

    #[derive(Default)]
    pub struct FakeTransport {
        pub script: RefCell<VecDeque<Scripted>>,
        pub sent: RefCell<Vec<HttpRequest>>,
    }

    impl FakeTransport {
        pub fn new(script: Vec<Scripted>) -> FakeTransport {
            FakeTransport { script: RefCell::new(script.into()), sent: RefCell::default() }
        }
    }

    pub struct FakeBody {
        chunks: VecDeque<Vec<u8>>,
        end: Option<Result<(), TransportError>>,
    }

    impl ResponseBody for FakeBody {
        async fn chunk(&mut self) -> Result<Option<Vec<u8>>, TransportError> {
            if let Some(c) = self.chunks.pop_front() {
                return Ok(Some(c));
            }
            match self.end.take() {
                Some(Err(e)) => Err(e),
                _ => Ok(None),
            }
        }
    }

    impl Transport for FakeTransport {
        type Body = FakeBody;
        async fn send(&self, request: &HttpRequest) -> Result<(HttpHead, FakeBody), TransportError> {
            self.sent.borrow_mut().push(request.clone());
            let next = self.script.borrow_mut().pop_front().expect("the test scripted too few replies");
            match next {
                Scripted::Hang => std::future::pending().await,
                Scripted::Fail(e) => Err(e),
                Scripted::Reply(r) => Ok((
                    HttpHead { status: r.status, retry_after: r.retry_after },
                    FakeBody { chunks: r.chunks.into(), end: Some(r.end) },
                )),
            }
        }
    }

    #[derive(Default)]
    pub struct FakeRuntime {
        pub now: Cell<f64>,
        pub slept: RefCell<Vec<u64>>,
        pub ids: Cell<u32>,
    }

    impl Runtime for FakeRuntime {
        fn now_ms(&self) -> f64 {
            self.now.set(self.now.get() + 1.0);
            self.now.get()
        }
        async fn sleep(&self, ms: u64) {
            self.slept.borrow_mut().push(ms);
            self.now.set(self.now.get() + ms as f64);
        }
        fn new_id(&self) -> String {
            self.ids.set(self.ids.get() + 1);
            format!("id{:03}", self.ids.get())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fakes::*;
    use super::*;
    use crate::core::openai::{ChatMessage, UserContent};

    fn settings() -> Settings {
        Settings { api_key: "sk-test-key".into(), base_url: "http://127.0.0.1:9/v1/".into(), ..Settings::default() }
    }

    fn request() -> ChatRequest {
        ChatRequest {
            model: "gpt-4o-mini".into(),
            messages: vec![ChatMessage::User { content: UserContent::Text("hi".into()) }],
            stream: true,
            stream_options: None,
            max_completion_tokens: None,
            temperature: None,
        }
    }

    fn run(t: &FakeTransport, rt: &FakeRuntime) -> (Result<Completion, Failure>, Vec<String>) {
        let mut seen = Vec::new();
        let r = block_on(stream_chat(t, rt, &settings(), &request(), &mut |p| seen.push(format!("{p:?}"))));
        (r, seen)
    }

    #[test]
    fn streams_an_answer_with_usage() {
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::sse(&["Hel", "lo"], true))]);
        let rt = FakeRuntime::default();
        let (r, seen) = run(&t, &rt);
        let c = r.unwrap();
        assert_eq!(c.content, "Hello");
        assert_eq!(c.usage.unwrap().total_tokens, 10);
        assert_eq!(seen.len(), 2);
        let sent = t.sent.borrow();
        assert_eq!(sent[0].url, "http://127.0.0.1:9/v1/chat/completions");
        assert_eq!(sent[0].headers[0], ("Authorization", "Bearer sk-test-key".to_owned()));
        assert!(!format!("{:?}", sent[0]).contains("sk-test-key"));
    }

    #[test]
    fn a_cut_stream_keeps_its_partial_text() {
        let t = FakeTransport::new(vec![Scripted::Reply(
            Reply::sse(&["Part", "ial"], false).ending(Err(TransportError::Cut)),
        )]);
        let f = run(&t, &FakeRuntime::default()).0.unwrap_err();
        assert_eq!(f.error, ApiError::StreamCut);
        assert_eq!(f.partial.content, "Partial");
        // A body that simply ends without [DONE] or a finish reason was cut too.
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::sse(&["Half"], false))]);
        let f = run(&t, &FakeRuntime::default()).0.unwrap_err();
        assert_eq!((f.error, f.partial.content.as_str()), (ApiError::StreamCut, "Half"));
    }

    #[test]
    fn a_cut_after_the_finish_reason_loses_nothing() {
        let mut reply = Reply::sse(&["All ", "here."], true);
        reply.chunks.pop(); // The usage chunk and [DONE] never arrive.
        let t = FakeTransport::new(vec![Scripted::Reply(reply.ending(Err(TransportError::Cut)))]);
        let c = run(&t, &FakeRuntime::default()).0.unwrap();
        assert_eq!((c.content.as_str(), c.finish_reason.as_deref()), ("All here.", Some("stop")));
    }

    #[test]
    fn malformed_data_stops_with_what_arrived() {
        let mut reply = Reply::sse(&["Good"], false);
        reply.chunks.push(b"data: {oops\n\n".to_vec());
        let t = FakeTransport::new(vec![Scripted::Reply(reply)]);
        let f = run(&t, &FakeRuntime::default()).0.unwrap_err();
        assert!(matches!(f.error, ApiError::MalformedStream { .. }));
        assert_eq!(f.partial.content, "Good");
    }

    #[test]
    fn rate_limits_retry_with_retry_after_then_backoff_then_give_up() {
        let limited = r#"{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}"#;
        let t = FakeTransport::new(vec![
            Scripted::Reply(Reply::error(429, limited, Some("2"))),
            Scripted::Reply(Reply::error(429, limited, None)),
            Scripted::Reply(Reply::sse(&["ok"], true)),
        ]);
        let rt = FakeRuntime::default();
        let (r, seen) = run(&t, &rt);
        assert_eq!(r.unwrap().content, "ok");
        assert_eq!(*rt.slept.borrow(), [2000, 2000]);
        assert!(seen[0].contains("Retrying") && seen[0].contains("attempt: 2"));

        let t = FakeTransport::new((0..4).map(|_| Scripted::Reply(Reply::error(429, limited, None))).collect());
        let rt = FakeRuntime::default();
        let f = run(&t, &rt).0.unwrap_err();
        assert!(matches!(f.error, ApiError::RateLimited { .. }));
        assert_eq!(*rt.slept.borrow(), [1000, 2000, 4000]);
        assert_eq!(t.sent.borrow().len(), 4);
    }

    #[test]
    fn quota_errors_and_bad_keys_do_not_retry() {
        let quota = r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#;
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::error(429, quota, Some("1")))]);
        let rt = FakeRuntime::default();
        assert!(matches!(run(&t, &rt).0.unwrap_err().error, ApiError::QuotaExceeded { .. }));
        assert!(rt.slept.borrow().is_empty());
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::error(401, "{}", None))]);
        assert!(matches!(run(&t, &FakeRuntime::default()).0.unwrap_err().error, ApiError::InvalidKey { .. }));
    }

    #[test]
    fn unreachable_hosts_and_aborts_are_named() {
        let t = FakeTransport::new(vec![Scripted::Fail(TransportError::Unreachable)]);
        assert_eq!(
            run(&t, &FakeRuntime::default()).0.unwrap_err().error,
            ApiError::Unreachable { host: "127.0.0.1:9".into() }
        );
        let t =
            FakeTransport::new(vec![Scripted::Reply(Reply::sse(&["a"], false).ending(Err(TransportError::Aborted)))]);
        let f = run(&t, &FakeRuntime::default()).0.unwrap_err();
        assert_eq!((f.error, f.partial.content.as_str()), (ApiError::Aborted, "a"));
    }

    #[test]
    fn a_plain_completion_returns_its_text_after_a_rate_limit() {
        let t = FakeTransport::new(vec![
            Scripted::Reply(Reply::error(429, "{}", Some("1"))),
            Scripted::Reply(Reply::error(200, r#"{"choices":[{"message":{"content":"A cat."}}]}"#, None)),
        ]);
        let rt = FakeRuntime::default();
        assert_eq!(block_on(complete(&t, &rt, &settings(), &request())).unwrap(), "A cat.");
        assert_eq!(*rt.slept.borrow(), [1000]);
    }

    #[test]
    fn lists_models_or_reports_the_key_problem() {
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::error(
            200,
            r#"{"data":[{"id":"gpt-4o-mini"},{"id":"gpt-4o"}]}"#,
            None,
        ))]);
        let models = block_on(list_models(&t, &FakeRuntime::default(), &settings())).unwrap();
        assert_eq!(models, ["gpt-4o", "gpt-4o-mini"]);
        assert_eq!(t.sent.borrow()[0].url, "http://127.0.0.1:9/v1/models");
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::error(401, "{}", None))]);
        assert!(matches!(
            block_on(list_models(&t, &FakeRuntime::default(), &settings())),
            Err(ApiError::InvalidKey { .. })
        ));
    }
}
