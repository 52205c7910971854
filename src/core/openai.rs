//! The OpenAI chat-completions protocol as data: request bodies, streamed chunks, the model list, and what
//! every failure means for the person using Boda.
//!
//! Requests serialise to exactly what `CreateChatCompletionRequest` allows (the end-to-end tests validate every
//! one against the official spec). Failures become an [`ApiError`] with a plain-language message and a retry
//! policy. No networking happens here: see [`crate::core::client`] for the loop that drives a transport.

use crate::core::sse::SseEvent;
use serde::{Deserialize, Serialize};

/// How much of each image the model looks at: `image_url.detail`, also stored per chat (see `model::Chat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Detail {
    #[default]
    Auto,
    Low,
    High,
}

impl Detail {
    pub const ALL: [Detail; 3] = [Detail::Auto, Detail::Low, Detail::High];

    pub fn as_str(self) -> &'static str {
        match self {
            Detail::Auto => "auto",
            Detail::Low => "low",
            Detail::High => "high",
        }
    }

    pub fn parse(s: &str) -> Option<Detail> {
        Detail::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// Token counts reported by the API for one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Usage {
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub total_tokens: u32,
    #[serde(default)]
    pub cached_tokens: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    pub stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    /// An upper bound on the answer's tokens (short tasks such as captions set it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u32>,
    /// The sampling temperature (0–2); absent, the model's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StreamOptions {
    pub include_usage: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "role", rename_all = "lowercase")]
pub enum ChatMessage {
    System { content: String },
    User { content: UserContent },
    Assistant { content: String },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum UserContent {
    Text(String),
    Parts(Vec<ContentPart>),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    Text { text: String },
    ImageUrl { image_url: ImageUrl },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageUrl {
    /// A `data:` URL; images never leave the browser any other way.
    pub url: String,
    pub detail: Detail,
}

/// One streamed `chat.completion.chunk`, or an error object some servers send mid-stream.
#[derive(Debug, Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    error: Option<ErrorBody>,
}

#[derive(Debug, Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
}

#[derive(Debug, Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: u32,
    #[serde(default)]
    completion_tokens: u32,
    #[serde(default)]
    total_tokens: u32,
    #[serde(default)]
    prompt_tokens_details: Option<PromptDetails>,
}

#[derive(Debug, Deserialize)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: Option<u32>,
}

impl From<WireUsage> for Usage {
    fn from(u: WireUsage) -> Usage {
        Usage {
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
            total_tokens: if u.total_tokens > 0 { u.total_tokens } else { u.prompt_tokens + u.completion_tokens },
            cached_tokens: u.prompt_tokens_details.and_then(|d| d.cached_tokens).unwrap_or(0),
        }
    }
}

/// A request for Structured Outputs: a chat request, not streamed, whose reply must follow a JSON schema.
///
/// It wraps [`ChatRequest`] (flattened, so the body is one `CreateChatCompletionRequest`) and adds the
/// structured-output format (the judge's verdicts, a web search's query plan).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StructuredRequest {
    #[serde(flatten)]
    pub chat: ChatRequest,
    pub response_format: ResponseFormat,
}

/// The `response_format` field. Only the JSON-schema form is ever sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseFormat {
    JsonSchema { json_schema: JsonSchemaFormat },
}

/// `ResponseFormatJsonSchema.json_schema`: a named schema in strict mode.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JsonSchemaFormat {
    /// Letters, digits, `_` and `-`, at most 64 characters (the spec's rule).
    pub name: String,
    pub strict: bool,
    pub schema: serde_json::Value,
}

/// A model's name without what does not change the model: case, surrounding spaces, a provider prefix
/// (`openai/gpt-4o`) and a fine-tune's wrapping (`ft:gpt-4o-mini-2024-07-18:org::id` is its base model).
pub fn model_base(model: &str) -> String {
    let m = model.trim().to_ascii_lowercase();
    let m = match m.strip_prefix("ft:") {
        Some(rest) => rest.split(':').next().unwrap_or(rest).to_owned(),
        None => m,
    };
    m.rsplit('/').next().unwrap_or(&m).to_owned()
}

/// Whether the model is a reasoning model (o1, o3, o4 and gpt-5 families). Those reject a `temperature` other
/// than their default, and count their hidden reasoning against `max_completion_tokens`, so structured
/// requests send neither to them.
pub fn is_reasoning_model(model: &str) -> bool {
    let m = model_base(model);
    let o_series = ["o1", "o3", "o4"].iter().any(|p| m == *p || m.starts_with(&format!("{p}-")));
    o_series || m == "gpt-5" || m.starts_with("gpt-5-") || m.starts_with("gpt-5.")
}

/// The `error` object of an OpenAI error body.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct ErrorBody {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// A string for OpenAI; some compatible servers send numbers.
    #[serde(default)]
    pub code: Option<serde_json::Value>,
}

impl ErrorBody {
    fn code_str(&self) -> Option<&str> {
        self.code.as_ref().and_then(|c| c.as_str())
    }
    fn is(&self, what: &str) -> bool {
        self.code_str() == Some(what) || self.kind.as_deref() == Some(what)
    }
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

/// Reads an error body, whatever shape it has: OpenAI's `{"error":{…}}`, a bare string, or nothing.
pub fn parse_error_body(body: &str) -> ErrorBody {
    if let Ok(e) = serde_json::from_str::<ErrorEnvelope>(body) {
        return e.error;
    }
    let text = body.trim();
    ErrorBody {
        message: (!text.is_empty() && text.len() < 500 && !text.starts_with('<')).then(|| text.to_owned()),
        ..ErrorBody::default()
    }
}

/// Everything that can go wrong talking to the API, as kinds with their details: the views say it in words.
/// Stored with a failed answer (see [`ApiError::redacted`]), so its serialised form is part of the records.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiError {
    /// 401: the key was refused.
    InvalidKey { detail: Option<String> },
    /// 403: the key works but may not do this (region, organisation, project permissions).
    Forbidden { detail: Option<String> },
    /// 404: usually an unknown model or a wrong base URL.
    NotFound { detail: Option<String> },
    /// 429 for too many requests; `retry_after_ms` when the server said how long to wait.
    RateLimited { retry_after_ms: Option<u64>, detail: Option<String> },
    /// 429 `insufficient_quota`: out of credit. Retrying cannot help.
    QuotaExceeded { detail: Option<String> },
    /// 400, 413, 422 and other client errors: the server explains.
    Rejected { status: u16, detail: Option<String> },
    /// 5xx.
    Server { status: u16, detail: Option<String> },
    /// The request never got an HTTP answer: offline, DNS, refused connection, or blocked by CORS.
    Unreachable { host: String },
    /// The connection ended before the answer did.
    StreamCut,
    /// The server sent stream data that is not what the protocol says.
    MalformedStream { detail: String },
    /// An error object arrived inside the stream.
    InStream { detail: Option<String> },
    /// The person pressed Stop.
    Aborted,
    /// The model declined, with its reason. Only where a refusal must not stand in for the text asked for
    /// (a caption); in a conversation the refusal is the answer.
    Refused { reason: String },
}

impl ApiError {
    /// Classifies a non-2xx response.
    /// `retry_after` is the `Retry-After` header when the browser could read it (CORS may hide it),
    /// and `now_ms` the current time, for the HTTP-date form.
    pub fn from_response(status: u16, body: &str, retry_after: Option<&str>, now_ms: f64) -> ApiError {
        let e = parse_error_body(body);
        let detail = e.message.clone();
        match status {
            401 => ApiError::InvalidKey { detail },
            403 => ApiError::Forbidden { detail },
            404 => ApiError::NotFound { detail },
            429 if e.is("insufficient_quota") => ApiError::QuotaExceeded { detail },
            429 => {
                ApiError::RateLimited { retry_after_ms: retry_after.and_then(|h| parse_retry_after(h, now_ms)), detail }
            }
            500..=599 => ApiError::Server { status, detail },
            _ => ApiError::Rejected { status, detail },
        }
    }

    /// Classifies an error object that arrived inside a stream.
    pub fn from_stream_error(e: ErrorBody) -> ApiError {
        if e.is("insufficient_quota") {
            ApiError::QuotaExceeded { detail: e.message }
        } else if e.is("rate_limit_exceeded") {
            ApiError::RateLimited { retry_after_ms: None, detail: e.message }
        } else {
            ApiError::InStream { detail: e.message }
        }
    }

    /// How long to wait before trying attempt number `attempt` (1-based) again, or `None` when retrying
    /// would not help. Only rate limits retry, at most [`MAX_RETRIES`] times: honouring `Retry-After`, else
    /// backing off exponentially from one second. A server that asks for a longer wait than
    /// [`MAX_RETRY_WAIT_MS`] is not retried early: the person is told how long to wait instead.
    pub fn retry_delay_ms(&self, attempt: u32) -> Option<u64> {
        match self {
            ApiError::RateLimited { retry_after_ms: Some(ms), .. } if *ms > MAX_RETRY_WAIT_MS => None,
            ApiError::RateLimited { retry_after_ms, .. } if attempt <= MAX_RETRIES => {
                Some(retry_after_ms.unwrap_or(1000u64 << (attempt - 1).min(6)))
            }
            _ => None,
        }
    }

    /// Whether the text received so far is worth keeping and continuing from (the answer was cut short),
    /// rather than there being no answer at all.
    pub fn is_interruption(&self) -> bool {
        matches!(
            self,
            ApiError::StreamCut | ApiError::MalformedStream { .. } | ApiError::Aborted | ApiError::InStream { .. }
        )
    }

    /// The same error with the key (and anything like a key) masked in what the server said, so it can be
    /// stored and shown. Every error that is kept (in a message record, say) goes through this first.
    pub fn redacted(&self, key: &str) -> ApiError {
        let r = |d: &Option<String>| d.as_deref().map(|d| redact(d, key));
        match self {
            ApiError::InvalidKey { detail } => ApiError::InvalidKey { detail: r(detail) },
            ApiError::Forbidden { detail } => ApiError::Forbidden { detail: r(detail) },
            ApiError::NotFound { detail } => ApiError::NotFound { detail: r(detail) },
            ApiError::RateLimited { retry_after_ms, detail } => {
                ApiError::RateLimited { retry_after_ms: *retry_after_ms, detail: r(detail) }
            }
            ApiError::QuotaExceeded { detail } => ApiError::QuotaExceeded { detail: r(detail) },
            ApiError::Rejected { status, detail } => ApiError::Rejected { status: *status, detail: r(detail) },
            ApiError::Server { status, detail } => ApiError::Server { status: *status, detail: r(detail) },
            ApiError::Unreachable { host } => ApiError::Unreachable { host: host.clone() },
            ApiError::StreamCut => ApiError::StreamCut,
            ApiError::MalformedStream { detail } => ApiError::MalformedStream { detail: redact(detail, key) },
            ApiError::InStream { detail } => ApiError::InStream { detail: r(detail) },
            ApiError::Aborted => ApiError::Aborted,
            ApiError::Refused { reason } => ApiError::Refused { reason: redact(reason, key) },
        }
    }

    /// Whether the server asked for a longer wait than Boda waits on its own (the person is told how long).
    pub fn wait_too_long(&self) -> Option<u64> {
        match self {
            ApiError::RateLimited { retry_after_ms: Some(ms), .. } if *ms > MAX_RETRY_WAIT_MS => Some(*ms),
            _ => None,
        }
    }
}

/// How many times a rate-limited request is tried again.
pub const MAX_RETRIES: u32 = 3;
/// The longest single wait before a retry, however long the server asks for.
pub const MAX_RETRY_WAIT_MS: u64 = 30_000;

/// Reads `Retry-After` as delay-seconds or an HTTP-date (RFC 9110), in milliseconds from `now_ms`.
pub fn parse_retry_after(value: &str, now_ms: f64) -> Option<u64> {
    let v = value.trim();
    // Seconds, whole or (from some servers) decimal, read to the millisecond with integers: the float parser
    // would add about 4 KB to the wasm for this one header.
    let (whole, fraction) = v.split_once('.').unwrap_or((v, ""));
    if !v.is_empty() && v != "." {
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if digits(whole) && digits(fraction) {
            let secs: u64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
            let ms =
                fraction.bytes().chain(std::iter::repeat(b'0')).take(3).fold(0, |a, b| a * 10 + u64::from(b - b'0'));
            return secs.checked_mul(1000)?.checked_add(ms);
        }
    }
    let at = parse_http_date(v)?;
    Some((at - now_ms).max(0.0) as u64)
}

/// Parses the IMF-fixdate form, `Sun, 06 Nov 1994 08:49:37 GMT`, to milliseconds since the epoch.
fn parse_http_date(v: &str) -> Option<f64> {
    let parts: Vec<&str> = v.split_whitespace().collect();
    if parts.len() != 6 || parts[5] != "GMT" {
        return None;
    }
    let day: i64 = parts[1].parse().ok()?;
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| *m == parts[2])? as i64 + 1;
    let year: i64 = parts[3].parse().ok()?;
    let hms: Vec<i64> = parts[4].split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    if hms.len() != 3 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let (y, m) = if month <= 2 { (year - 1, month + 9) } else { (year, month - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2]) * 1000) as f64)
}

/// Removes the API key, and anything shaped like one, from text that may be shown or stored.
pub fn redact(text: &str, key: &str) -> String {
    let mut out = if key.trim().len() >= 4 { text.replace(key.trim(), "[your key]") } else { text.to_owned() };
    // Mask sk-… tokens of any origin (OpenAI already masks its own, other servers may not).
    let mut masked = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(i) = rest.find("sk-") {
        masked.push_str(&rest[..i]);
        let tail = &rest[i + 3..];
        let n =
            tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '*')).unwrap_or(tail.len());
        if n >= 8 {
            masked.push_str("sk-…");
        } else {
            masked.push_str(&rest[i..i + 3 + n]);
        }
        rest = &tail[n..];
    }
    masked.push_str(rest);
    out = masked;
    out
}

/// What a finished stream produced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Completion {
    pub content: String,
    pub finish_reason: Option<String>,
    pub usage: Option<Usage>,
}

/// Folds streamed events into an answer.
#[derive(Debug, Default)]
pub struct StreamAccumulator {
    pub completion: Completion,
    done: bool,
}

impl StreamAccumulator {
    pub fn new() -> StreamAccumulator {
        StreamAccumulator::default()
    }

    /// Applies one event. Returns the text it added (possibly empty), or the error the stream carried.
    pub fn apply(&mut self, event: &SseEvent) -> Result<String, ApiError> {
        let data = event.data.trim();
        if data == "[DONE]" {
            self.done = true;
            return Ok(String::new());
        }
        if data.is_empty() {
            return Ok(String::new());
        }
        let chunk: Chunk = serde_json::from_str(data).map_err(|e| ApiError::MalformedStream {
            detail: format!("{e} in “{}”", data.chars().take(60).collect::<String>()),
        })?;
        if let Some(err) = chunk.error {
            return Err(ApiError::from_stream_error(err));
        }
        if event.event.as_deref() == Some("error") {
            return Err(ApiError::InStream { detail: Some(data.chars().take(200).collect()) });
        }
        let mut added = String::new();
        for choice in chunk.choices {
            if let Some(delta) = choice.delta {
                if let Some(c) = delta.content {
                    added.push_str(&c);
                }
                if let Some(r) = delta.refusal {
                    added.push_str(&r);
                }
            }
            if let Some(f) = choice.finish_reason {
                self.completion.finish_reason = Some(f);
            }
        }
        if let Some(u) = chunk.usage {
            self.completion.usage = Some(u.into());
        }
        self.completion.content.push_str(&added);
        Ok(added)
    }

    /// Whether the stream ended properly: `[DONE]`, or a finish reason from servers that omit `[DONE]`.
    pub fn is_complete(&self) -> bool {
        self.done || self.completion.finish_reason.is_some()
    }

    pub fn saw_done(&self) -> bool {
        self.done
    }
}

#[derive(Deserialize)]
struct CompletionBody {
    #[serde(default)]
    choices: Vec<CompletionChoice>,
}

#[derive(Deserialize)]
struct CompletionChoice {
    message: CompletionMessage,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct CompletionMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
}

/// The text of a non-streamed `chat.completion`, with "…" when the token limit cut it. A refusal is an error
/// ([`ApiError::Refused`]): the text asked for (a caption) must not become the model's apology.
pub fn completion_text(body: &str) -> Result<String, ApiError> {
    let parsed: CompletionBody = serde_json::from_str(body).map_err(|e| ApiError::MalformedStream {
        detail: format!("{e} in “{}”", body.chars().take(60).collect::<String>()),
    })?;
    let choice = parsed.choices.into_iter().next();
    let cut = choice.as_ref().is_some_and(|c| c.finish_reason.as_deref() == Some("length"));
    match choice.map(|c| c.message) {
        // Cut at the token limit: the ellipsis says the text does not end there.
        Some(CompletionMessage { content: Some(c), .. }) if !c.trim().is_empty() && cut => Ok(format!("{}…", c.trim())),
        Some(CompletionMessage { content: Some(c), .. }) if !c.trim().is_empty() => Ok(c.trim().to_owned()),
        Some(CompletionMessage { refusal: Some(r), .. }) => Err(ApiError::Refused { reason: r.trim().to_owned() }),
        _ => Err(ApiError::MalformedStream { detail: "the answer had no text".into() }),
    }
}

#[derive(Deserialize)]
struct UsageBody {
    #[serde(default)]
    usage: Option<WireUsage>,
}

/// Adds two usages (a call that took several attempts), keeping "none" when neither reported any.
pub fn add_usage(a: Option<Usage>, b: Option<Usage>) -> Option<Usage> {
    match (a, b) {
        (Some(a), Some(b)) => Some(Usage {
            prompt_tokens: a.prompt_tokens + b.prompt_tokens,
            completion_tokens: a.completion_tokens + b.completion_tokens,
            total_tokens: a.total_tokens + b.total_tokens,
            cached_tokens: a.cached_tokens + b.cached_tokens,
        }),
        (a, b) => a.or(b),
    }
}

#[derive(Deserialize)]
struct FinishBody {
    #[serde(default)]
    choices: Vec<FinishChoice>,
}

#[derive(Deserialize)]
struct FinishChoice {
    #[serde(default)]
    finish_reason: Option<String>,
}

/// Whether a whole `chat.completion` body's first choice stopped at the token limit (its text is cut).
pub fn stopped_at_length(body: &str) -> bool {
    let finish = serde_json::from_str::<FinishBody>(body).ok().and_then(|b| b.choices.into_iter().next());
    finish.and_then(|c| c.finish_reason).as_deref() == Some("length")
}

/// The usage a whole (non-streamed) `chat.completion` body reports, with its cached tokens.
pub fn completion_usage(body: &str) -> Option<Usage> {
    serde_json::from_str::<UsageBody>(body).ok()?.usage.map(Usage::from)
}

/// `GET /models`, as far as Boda needs it.
#[derive(Debug, Deserialize)]
pub struct ModelList {
    pub data: Vec<ModelEntry>,
}

#[derive(Debug, Deserialize)]
pub struct ModelEntry {
    pub id: String,
}

/// Model ids from a `/models` body, sorted, chat-capable ones first (embeddings, audio and image models
/// cannot answer in a chat and go last).
pub fn chat_models(body: &str) -> Result<Vec<String>, String> {
    let list: ModelList = serde_json::from_str(body).map_err(|e| format!("the model list could not be read ({e})"))?;
    let mut ids: Vec<String> = list.data.into_iter().map(|m| m.id).collect();
    let unlikely = |id: &str| {
        ["embedding", "whisper", "tts", "dall-e", "moderation", "davinci", "babbage", "transcribe", "image"]
            .iter()
            .any(|w| id.contains(w))
    };
    ids.sort_by(|a, b| unlikely(a).cmp(&unlikely(b)).then_with(|| a.cmp(b)));
    ids.dedup();
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(data: &str) -> SseEvent {
        SseEvent { event: None, data: data.into() }
    }

    #[test]
    fn request_serialises_to_the_openai_shape() {
        let r = ChatRequest {
            model: "gpt-4o-mini".into(),
            messages: vec![
                ChatMessage::System { content: "sys".into() },
                ChatMessage::User {
                    content: UserContent::Parts(vec![
                        ContentPart::Text { text: "Image 1: a.jpg".into() },
                        ContentPart::ImageUrl {
                            image_url: ImageUrl { url: "data:image/jpeg;base64,AA==".into(), detail: Detail::High },
                        },
                    ]),
                },
                ChatMessage::Assistant { content: "hi".into() },
                ChatMessage::User { content: UserContent::Text("q".into()) },
            ],
            stream: true,
            stream_options: Some(StreamOptions { include_usage: true }),
            max_completion_tokens: None,
            temperature: None,
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "model": "gpt-4o-mini",
                "messages": [
                    {"role": "system", "content": "sys"},
                    {"role": "user", "content": [
                        {"type": "text", "text": "Image 1: a.jpg"},
                        {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,AA==", "detail": "high"}}
                    ]},
                    {"role": "assistant", "content": "hi"},
                    {"role": "user", "content": "q"}
                ],
                "stream": true,
                "stream_options": {"include_usage": true}
            })
        );
    }

    #[test]
    fn accumulates_deltas_finish_and_usage() {
        let mut a = StreamAccumulator::new();
        let role = r#"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#;
        assert_eq!(a.apply(&ev(role)).unwrap(), "");
        assert_eq!(a.apply(&ev(r#"{"choices":[{"index":0,"delta":{"content":"Hel"}}]}"#)).unwrap(), "Hel");
        assert_eq!(a.apply(&ev(r#"{"choices":[{"index":0,"delta":{"content":"lo"}}]}"#)).unwrap(), "lo");
        assert!(!a.is_complete());
        a.apply(&ev(r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#)).unwrap();
        a.apply(&ev(
            r#"{"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12,"prompt_tokens_details":{"cached_tokens":4}}}"#,
        ))
        .unwrap();
        a.apply(&ev("[DONE]")).unwrap();
        assert!(a.is_complete() && a.saw_done());
        assert_eq!(a.completion.content, "Hello");
        assert_eq!(a.completion.finish_reason.as_deref(), Some("stop"));
        assert_eq!(
            a.completion.usage,
            Some(Usage { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12, cached_tokens: 4 })
        );
    }

    #[test]
    fn malformed_and_in_stream_errors_are_reported() {
        let mut a = StreamAccumulator::new();
        assert!(matches!(a.apply(&ev("{not json")), Err(ApiError::MalformedStream { .. })));
        let e = a.apply(&ev(r#"{"error":{"message":"overloaded","type":"server_error"}}"#)).unwrap_err();
        assert_eq!(e, ApiError::InStream { detail: Some("overloaded".into()) });
        let q =
            a.apply(&ev(r#"{"error":{"message":"no money","type":"insufficient_quota","code":"insufficient_quota"}}"#));
        assert!(matches!(q, Err(ApiError::QuotaExceeded { .. })));
    }

    #[test]
    fn classifies_http_errors() {
        let body = |code: &str, kind: &str| {
            format!(r#"{{"error":{{"message":"m","type":"{kind}","param":null,"code":"{code}"}}}}"#)
        };
        assert!(matches!(
            ApiError::from_response(401, &body("invalid_api_key", "invalid_request_error"), None, 0.0),
            ApiError::InvalidKey { .. }
        ));
        assert!(matches!(ApiError::from_response(403, "", None, 0.0), ApiError::Forbidden { detail: None }));
        assert!(matches!(
            ApiError::from_response(404, &body("model_not_found", "invalid_request_error"), None, 0.0),
            ApiError::NotFound { .. }
        ));
        assert_eq!(
            ApiError::from_response(429, &body("rate_limit_exceeded", "requests"), Some("2"), 0.0),
            ApiError::RateLimited { retry_after_ms: Some(2000), detail: Some("m".into()) }
        );
        assert!(matches!(
            ApiError::from_response(429, &body("insufficient_quota", "insufficient_quota"), Some("2"), 0.0),
            ApiError::QuotaExceeded { .. }
        ));
        assert!(matches!(
            ApiError::from_response(503, "<html>busy</html>", None, 0.0),
            ApiError::Server { status: 503, detail: None }
        ));
        assert!(matches!(
            ApiError::from_response(400, "plain words", None, 0.0),
            ApiError::Rejected { status: 400, detail: Some(_) }
        ));
    }

    #[test]
    fn retries_only_rate_limits_a_bounded_number_of_times() {
        let rl = ApiError::RateLimited { retry_after_ms: None, detail: None };
        assert_eq!(rl.retry_delay_ms(1), Some(1000));
        assert_eq!(rl.retry_delay_ms(2), Some(2000));
        assert_eq!(rl.retry_delay_ms(3), Some(4000));
        assert_eq!(rl.retry_delay_ms(4), None);
        let told = ApiError::RateLimited { retry_after_ms: Some(1500), detail: None };
        assert_eq!(told.retry_delay_ms(1), Some(1500));
        // Asked to wait longer than Boda waits: no early retry, and the message says how long.
        let huge = ApiError::RateLimited { retry_after_ms: Some(3_600_000), detail: None };
        assert_eq!(huge.retry_delay_ms(1), None);
        assert_eq!(huge.wait_too_long(), Some(3_600_000));
        let limit = ApiError::RateLimited { retry_after_ms: Some(MAX_RETRY_WAIT_MS), detail: None };
        assert_eq!(limit.retry_delay_ms(1), Some(MAX_RETRY_WAIT_MS));
        assert_eq!(ApiError::QuotaExceeded { detail: None }.retry_delay_ms(1), None);
        assert_eq!(ApiError::Server { status: 500, detail: None }.retry_delay_ms(1), None);
    }

    #[test]
    fn reads_retry_after_in_both_forms() {
        assert_eq!(parse_retry_after("3", 0.0), Some(3000));
        assert_eq!(parse_retry_after("0.5", 0.0), Some(500));
        let now = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(now, 784_111_777_000.0);
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now), Some(10_000));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:27 GMT", now), Some(0));
        assert_eq!(parse_retry_after("soon", 0.0), None);
        assert_eq!(parse_retry_after("-1", 0.0), None);
        assert_eq!(parse_retry_after(" 20 ", 0.0), Some(20_000));
        assert_eq!(parse_retry_after("1.25", 0.0), Some(1250));
        assert_eq!(parse_retry_after(".5", 0.0), Some(500));
        assert_eq!(parse_retry_after("2.0004", 0.0), Some(2000));
        for bad in [".", "", "1.2.3", "1e3", "+1", "99999999999999999999"] {
            assert_eq!(parse_retry_after(bad, 0.0), None, "{bad:?}");
        }
    }

    #[test]
    fn redacted_errors_never_contain_the_key() {
        let key = "sk-proj-abcdefghijklmnop1234";
        let e = ApiError::InvalidKey {
            detail: Some(format!("Incorrect API key provided: {key}. And sk-other-secret-value too")),
        };
        let m = format!("{:?}", e.redacted(key));
        assert!(!m.contains("abcdefghijklmnop"), "{m}");
        assert!(!m.contains("other-secret"), "{m}");
        assert!(matches!(e.redacted(key), ApiError::InvalidKey { detail: Some(_) }));
        let refused = ApiError::Refused { reason: format!("not with {key}") };
        assert_eq!(refused.redacted(key), ApiError::Refused { reason: "not with [your key]".into() });
    }

    #[test]
    fn reads_the_text_of_a_plain_completion() {
        let ok = r#"{"id":"c","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"  A red car. ","refusal":null},"finish_reason":"stop"}]}"#;
        assert_eq!(completion_text(ok).unwrap(), "A red car.");
        let cut = r#"{"choices":[{"message":{"role":"assistant","content":"A red car parked by the"},"finish_reason":"length"}]}"#;
        assert_eq!(completion_text(cut).unwrap(), "A red car parked by the…");
        let refused =
            r#"{"choices":[{"message":{"role":"assistant","content":null,"refusal":"I can't help with that."}}]}"#;
        let refusal = completion_text(refused).unwrap_err();
        assert_eq!(refusal, ApiError::Refused { reason: "I can't help with that.".into() });
        assert!(completion_text(r#"{"choices":[]}"#).is_err());
        assert!(completion_text("<html>").is_err());
    }

    #[test]
    fn model_lists_put_chat_models_first() {
        let body = r#"{"object":"list","data":[{"id":"text-embedding-3-small"},{"id":"gpt-4o"},{"id":"gpt-4o-mini"},{"id":"whisper-1"}]}"#;
        assert_eq!(chat_models(body).unwrap(), ["gpt-4o", "gpt-4o-mini", "text-embedding-3-small", "whisper-1"]);
        assert!(chat_models("nope").is_err());
    }
}
