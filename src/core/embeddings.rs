//! The embeddings API: batched requests (`CreateEmbeddingRequest`), responses in base64 or float form, and a
//! fingerprint that says when a text must be embedded again (its text, model or dimensions changed).
//!
//! It turns texts into vectors and nothing more: where vectors are stored and how they are searched is
//! [`crate::core::retrieval`]'s business.

use crate::core::client::{read_text, send_with_retries, MAX_BODY};
use crate::core::model::Settings;
use crate::core::openai::ApiError;
use crate::core::ports::{HttpRequest, Runtime, Transport};
use crate::core::prompt::estimate_tokens;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::ops::Range;

pub const DEFAULT_MODEL: &str = Settings::DEFAULT_EMBEDDING_MODEL;
/// Inputs per request: the API takes 2048; smaller batches give progress and smaller retries.
pub const BATCH_INPUTS: usize = 256;
/// Estimated tokens per request; the API's limit is 300,000 summed over the inputs.
pub const BATCH_TOKENS: u32 = 200_000;
/// Estimated tokens per input; the API refuses inputs over 8,192 tokens, so longer texts are cut.
pub const INPUT_TOKENS: u32 = 8_000;

/// The vector size a model returns when no `dimensions` are asked for, where it is known.
pub fn default_dims(model: &str) -> Option<usize> {
    match model.trim() {
        "text-embedding-3-small" | "text-embedding-ada-002" => Some(1536),
        "text-embedding-3-large" => Some(3072),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmbeddingRequest {
    pub model: String,
    pub input: Vec<String>,
    /// Base64 halves the bytes on the wire compared with JSON numbers.
    pub encoding_format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<u32>,
}

/// Cuts a text to about [`INPUT_TOKENS`] tokens, on a character boundary; an empty text becomes a single
/// space, since the API refuses empty strings.
pub fn prepare_input(text: &str) -> String {
    if text.trim().is_empty() {
        return " ".into();
    }
    if estimate_tokens(text) <= INPUT_TOKENS {
        return text.to_owned();
    }
    // Re-estimate every 256 characters (not bytes: Hangul is three bytes a character).
    let mut out = String::new();
    for (n, c) in text.chars().enumerate() {
        out.push(c);
        if (n + 1).is_multiple_of(256) && estimate_tokens(&out) >= INPUT_TOKENS {
            break;
        }
    }
    out
}

/// Splits texts into request-sized runs by count and estimated tokens; every run has at least one text.
pub fn batches(texts: &[String]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut tokens = 0u32;
    for (i, t) in texts.iter().enumerate() {
        let cost = estimate_tokens(t);
        if i > start && (i - start >= BATCH_INPUTS || tokens + cost > BATCH_TOKENS) {
            out.push(start..i);
            start = i;
            tokens = 0;
        }
        tokens += cost;
    }
    if start < texts.len() {
        out.push(start..texts.len());
    }
    out
}

#[derive(Deserialize)]
struct EmbeddingList {
    data: Vec<EmbeddingItem>,
}

/// `embedding` is read as a JSON value (a base64 string, or an array of numbers when a server ignores
/// `encoding_format`): the app already links that parser, where an untagged enum would add its own.
#[derive(Deserialize)]
struct EmbeddingItem {
    index: usize,
    embedding: serde_json::Value,
}

fn malformed(detail: String) -> ApiError {
    ApiError::MalformedStream { detail }
}

/// Reads an embeddings response: vectors in input order, each of `dims` values when that is known.
pub fn parse_embeddings(body: &str, expected: usize, dims: Option<usize>) -> Result<Vec<Vec<f32>>, ApiError> {
    let list: EmbeddingList =
        serde_json::from_str(body).map_err(|e| malformed(format!("the embeddings could not be read ({e})")))?;
    let mut out: Vec<Option<Vec<f32>>> = vec![None; expected];
    for item in list.data {
        let v: Vec<f32> = match item.embedding {
            serde_json::Value::Array(values) => values
                .iter()
                .map(|x| x.as_f64().map(|f| f as f32))
                .collect::<Option<_>>()
                .ok_or_else(|| malformed("an embedding holds something other than numbers".into()))?,
            serde_json::Value::String(s) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(s.as_bytes())
                    .map_err(|e| malformed(format!("an embedding is not valid base64 ({e})")))?;
                if bytes.len() % 4 != 0 {
                    return Err(malformed("an embedding's byte length is not a multiple of 4".into()));
                }
                bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
            }
            _ => return Err(malformed("an embedding is neither base64 nor a list of numbers".into())),
        };
        if let Some(d) = dims {
            if v.len() != d {
                return Err(malformed(format!("an embedding has {} dimensions, not {d}", v.len())));
            }
        }
        let slot = out.get_mut(item.index).ok_or_else(|| malformed(format!("unexpected index {}", item.index)))?;
        *slot = Some(v);
    }
    out.into_iter()
        .enumerate()
        .map(|(i, v)| v.ok_or_else(|| malformed(format!("no embedding came back for input {i}"))))
        .collect()
}

/// A stable 64-bit fingerprint (FNV-1a) of what a vector was made from: the same text, model and dimensions
/// give the same fingerprint, so a vector is re-made only when one of them changes.
pub fn fingerprint(model: &str, dimensions: Option<u32>, text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= *b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(model.as_bytes());
    eat(&[0]);
    eat(&dimensions.unwrap_or(0).to_le_bytes());
    eat(text.as_bytes());
    format!("{h:016x}")
}

/// What [`embed`] made: the vectors of the first `vectors.len()` texts, in order, and why it stopped short when
/// it did. Batches that came back are kept when a later one fails, so nothing already paid for is lost.
#[derive(Debug)]
pub struct Embedded {
    pub vectors: Vec<Vec<f32>>,
    pub error: Option<ApiError>,
}

impl Embedded {
    /// Every vector, or the error that stopped the run.
    pub fn into_result(self) -> Result<Vec<Vec<f32>>, ApiError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.vectors),
        }
    }
}

/// Embeds texts in batches with the settings' embedding model and dimensions, reporting `(done, total)` after
/// each batch. A failed batch ends the run; what earlier batches made is returned with the error.
pub async fn embed<T: Transport, R: Runtime>(
    transport: &T,
    runtime: &R,
    settings: &Settings,
    texts: &[String],
    on_progress: &mut dyn FnMut(usize, usize),
) -> Embedded {
    let (model, dimensions) = (settings.embedding_model.trim(), settings.embedding_dimensions);
    let inputs: Vec<String> = texts.iter().map(|t| prepare_input(t)).collect();
    let mut vectors = Vec::with_capacity(inputs.len());
    for range in batches(&inputs) {
        let request = EmbeddingRequest {
            model: model.to_owned(),
            input: inputs[range.clone()].to_vec(),
            encoding_format: "base64",
            dimensions,
        };
        match embed_batch(transport, runtime, settings, &request, range.len()).await {
            Ok(batch) => vectors.extend(batch),
            Err(e) => return Embedded { vectors, error: Some(e) },
        }
        on_progress(vectors.len(), inputs.len());
    }
    Embedded { vectors, error: None }
}

async fn embed_batch<T: Transport, R: Runtime>(
    transport: &T,
    runtime: &R,
    settings: &Settings,
    request: &EmbeddingRequest,
    count: usize,
) -> Result<Vec<Vec<f32>>, ApiError> {
    let body = serde_json::to_string(request).map_err(|e| malformed(e.to_string()))?;
    let http = HttpRequest::openai(settings, "POST", "embeddings", Some(body));
    let (_, mut response) = send_with_retries(transport, runtime, &http, &mut |_| {}).await?;
    let text = read_text(&mut response, MAX_BODY).await;
    parse_embeddings(&text, count, request.dimensions.map(|d| d as usize))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::client::fakes::*;

    fn b64(v: &[f32]) -> String {
        let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn requests_have_the_spec_shape() {
        let r = EmbeddingRequest {
            model: DEFAULT_MODEL.into(),
            input: vec!["a".into(), "b".into()],
            encoding_format: "base64",
            dimensions: Some(256),
        };
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            serde_json::json!({"model": "text-embedding-3-small", "input": ["a", "b"], "encoding_format": "base64", "dimensions": 256})
        );
        let no_dims = EmbeddingRequest { dimensions: None, ..r };
        assert!(serde_json::to_value(&no_dims).unwrap().get("dimensions").is_none());
    }

    #[test]
    fn inputs_are_never_empty_or_too_long() {
        assert_eq!(prepare_input(""), " ");
        assert_eq!(prepare_input("hi"), "hi");
        let long = "word ".repeat(20_000);
        let cut = prepare_input(&long);
        assert!(estimate_tokens(&cut) <= INPUT_TOKENS + 64 && cut.len() < long.len());
        let korean = "고양이".repeat(5_000);
        assert!(estimate_tokens(&prepare_input(&korean)) <= INPUT_TOKENS + 256);
        let mixed = "고양이 cat ".repeat(5_000);
        let cut = prepare_input(&mixed);
        assert!(estimate_tokens(&cut) <= INPUT_TOKENS + 256 && cut.len() < mixed.len());
    }

    #[test]
    fn batches_respect_count_and_tokens() {
        let small: Vec<String> = (0..600).map(|i| format!("text {i}")).collect();
        assert_eq!(batches(&small), vec![0..256, 256..512, 512..600]);
        let big: Vec<String> = (0..60).map(|_| "word ".repeat(30_000)).collect(); // About 37,500 tokens each.
        let b = batches(&big);
        assert!(b.iter().all(|r| r.len() <= 5 && !r.is_empty()), "{b:?}");
        assert_eq!(b.iter().map(|r| r.len()).sum::<usize>(), 60);
        assert!(batches(&[]).is_empty());
    }

    #[test]
    fn reads_float_and_base64_embeddings_in_input_order() {
        let body = format!(
            r#"{{"object":"list","data":[{{"object":"embedding","index":1,"embedding":"{}"}},{{"object":"embedding","index":0,"embedding":[0.5,-0.25]}}],"model":"m","usage":{{"prompt_tokens":2,"total_tokens":2}}}}"#,
            b64(&[1.0, 2.0])
        );
        assert_eq!(parse_embeddings(&body, 2, Some(2)).unwrap(), vec![vec![0.5, -0.25], vec![1.0, 2.0]]);
        assert!(parse_embeddings(&body, 3, Some(2)).is_err(), "a missing vector is an error");
        assert!(parse_embeddings(&body, 2, Some(3)).is_err(), "wrong dimensions are an error");
        assert!(parse_embeddings(r#"{"data":[{"index":0,"embedding":"***"}]}"#, 1, None).is_err());
        assert!(parse_embeddings("nope", 1, None).is_err());
    }

    #[test]
    fn fingerprints_change_only_with_text_model_or_dimensions() {
        let f = fingerprint("m", Some(256), "a cat");
        assert_eq!(f, fingerprint("m", Some(256), "a cat"));
        assert_ne!(f, fingerprint("m", Some(256), "a dog"));
        assert_ne!(f, fingerprint("m2", Some(256), "a cat"));
        assert_ne!(f, fingerprint("m", None, "a cat"));
        assert_eq!(f.len(), 16);
    }

    #[test]
    fn a_full_batch_of_real_size_vectors_is_read_whole() {
        // 256 vectors of 1536 dimensions: about 2 MB of base64, delivered in 64 KB pieces.
        let data: Vec<String> = (0..256)
            .map(|i| format!(r#"{{"object":"embedding","index":{i},"embedding":"{}"}}"#, b64(&[i as f32; 1536])))
            .collect();
        let body = format!(r#"{{"object":"list","data":[{}]}}"#, data.join(","));
        let mut reply = Reply::error(200, "", None);
        reply.chunks = body.as_bytes().chunks(64 * 1024).map(<[u8]>::to_vec).collect();
        let t = FakeTransport::new(vec![Scripted::Reply(reply)]);
        let settings = Settings {
            api_key: "sk-test".into(),
            embedding_model: DEFAULT_MODEL.into(),
            embedding_dimensions: Some(1536),
            ..Settings::default()
        };
        let texts: Vec<String> = (0..256).map(|i| format!("t{i}")).collect();
        let vs = block_on(embed(&t, &FakeRuntime::default(), &settings, &texts, &mut |_, _| {})).into_result().unwrap();
        assert_eq!((vs.len(), vs[255].len(), vs[255][0]), (256, 1536, 255.0));
    }

    #[test]
    fn embeds_in_batches_with_progress_and_retries() {
        let texts: Vec<String> = (0..300).map(|i| format!("t{i}")).collect();
        let reply = |n: usize| {
            let data: Vec<String> = (0..n)
                .map(|i| format!(r#"{{"object":"embedding","index":{i},"embedding":"{}"}}"#, b64(&[i as f32, 1.0])))
                .collect();
            Reply::error(200, &format!(r#"{{"object":"list","data":[{}]}}"#, data.join(",")), None)
        };
        let t = FakeTransport::new(vec![
            Scripted::Reply(reply(256)),
            Scripted::Reply(Reply::error(429, "{}", Some("1"))),
            Scripted::Reply(reply(44)),
        ]);
        let rt = FakeRuntime::default();
        let settings = Settings {
            api_key: "sk-test".into(),
            base_url: "http://h/v1".into(),
            embedding_model: DEFAULT_MODEL.into(),
            embedding_dimensions: Some(2),
            ..Settings::default()
        };
        let mut progress = Vec::new();
        let vs = block_on(embed(&t, &rt, &settings, &texts, &mut |d, n| progress.push((d, n)))).into_result().unwrap();
        assert_eq!(vs.len(), 300);
        assert_eq!(vs[257], vec![1.0, 1.0]);
        assert_eq!(progress, [(256, 300), (300, 300)]);
        let sent = t.sent.borrow();
        assert_eq!(sent.len(), 3);
        assert_eq!(sent[0].url, "http://h/v1/embeddings");
        let first: serde_json::Value = serde_json::from_str(sent[0].body.as_deref().unwrap()).unwrap();
        assert_eq!(first["input"].as_array().unwrap().len(), 256);
        assert_eq!(first["dimensions"], 2);
    }

    #[test]
    fn a_failed_batch_keeps_what_earlier_batches_made() {
        let texts: Vec<String> = (0..600).map(|i| format!("t{i}")).collect();
        let data: Vec<String> = (0..256)
            .map(|i| format!(r#"{{"object":"embedding","index":{i},"embedding":"{}"}}"#, b64(&[i as f32, 1.0])))
            .collect();
        let ok = Reply::error(200, &format!(r#"{{"object":"list","data":[{}]}}"#, data.join(",")), None);
        let refused = r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}"#;
        let t = FakeTransport::new(vec![Scripted::Reply(ok), Scripted::Reply(Reply::error(401, refused, None))]);
        let settings = Settings {
            api_key: "sk-test".into(),
            embedding_model: DEFAULT_MODEL.into(),
            embedding_dimensions: Some(2),
            ..Settings::default()
        };
        let mut progress = Vec::new();
        let made = block_on(embed(&t, &FakeRuntime::default(), &settings, &texts, &mut |d, n| progress.push((d, n))));
        assert_eq!(made.vectors.len(), 256);
        assert_eq!(made.vectors[255], vec![255.0, 1.0]);
        assert!(matches!(made.error, Some(ApiError::InvalidKey { .. })));
        assert_eq!(progress, [(256, 600)]);
        // The third batch is never asked for.
        assert_eq!(t.sent.borrow().len(), 2);
    }
}
