//! [`Transport`] over the browser's `fetch`, with the response body read as a `ReadableStream` chunk by chunk.
//!
//! An optional `AbortSignal` ties a request to its owner: aborting it (the Stop button, or the view going away)
//! cancels the request and the body read. The browser does not say why a fetch failed (offline, DNS, CORS all
//! look the same), so every failure before a response is `Unreachable`.

use crate::core::ports::{HttpHead, HttpRequest, ResponseBody, Transport, TransportError};
use crate::web::js_error_name;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Headers, ReadableStreamDefaultReader, RequestInit, RequestMode, Response};

#[derive(Debug, Clone, Default)]
pub struct FetchTransport {
    signal: Option<AbortSignal>,
}

impl FetchTransport {
    pub fn new(signal: Option<AbortSignal>) -> FetchTransport {
        FetchTransport { signal }
    }

    fn aborted(&self) -> bool {
        self.signal.as_ref().is_some_and(|s| s.aborted())
    }
}

pub struct FetchBody {
    reader: Option<ReadableStreamDefaultReader>,
    signal: Option<AbortSignal>,
}

fn global_fetch(url: &str, init: &RequestInit) -> Result<js_sys::Promise, JsValue> {
    let global = js_sys::global();
    if let Some(w) = global.dyn_ref::<web_sys::Window>() {
        return Ok(w.fetch_with_str_and_init(url, init));
    }
    Ok(global.unchecked_into::<web_sys::WorkerGlobalScope>().fetch_with_str_and_init(url, init))
}

impl Transport for FetchTransport {
    type Body = FetchBody;

    async fn send(&self, request: &HttpRequest) -> Result<(HttpHead, FetchBody), TransportError> {
        let headers = Headers::new().map_err(|_| TransportError::Unreachable)?;
        for (name, value) in &request.headers {
            headers.append(name, value).map_err(|_| TransportError::Unreachable)?;
        }
        let init = RequestInit::new();
        init.set_method(request.method);
        init.set_mode(RequestMode::Cors);
        init.set_headers(&headers);
        if let Some(body) = &request.body {
            init.set_body(&JsValue::from_str(body));
        }
        if let Some(signal) = &self.signal {
            init.set_signal(Some(signal));
        }
        let result = match global_fetch(&request.url, &init) {
            Ok(p) => JsFuture::from(p).await,
            Err(e) => Err(e),
        };
        let response: Response = match result {
            Ok(r) => r.unchecked_into(),
            Err(e) if self.aborted() || js_error_name(&e) == "AbortError" => return Err(TransportError::Aborted),
            Err(_) => return Err(TransportError::Unreachable),
        };
        let head =
            HttpHead { status: response.status(), retry_after: response.headers().get("retry-after").ok().flatten() };
        let reader = response.body().map(|b| b.get_reader().unchecked_into::<ReadableStreamDefaultReader>());
        Ok((head, FetchBody { reader, signal: self.signal.clone() }))
    }
}

impl ResponseBody for FetchBody {
    async fn chunk(&mut self) -> Result<Option<Vec<u8>>, TransportError> {
        let Some(reader) = &self.reader else { return Ok(None) };
        let result = JsFuture::from(reader.read()).await.map_err(|e| {
            if self.signal.as_ref().is_some_and(|s| s.aborted()) || js_error_name(&e) == "AbortError" {
                TransportError::Aborted
            } else {
                TransportError::Cut
            }
        })?;
        let done = js_sys::Reflect::get(&result, &"done".into()).ok().and_then(|v| v.as_bool()).unwrap_or(true);
        if done {
            self.reader = None;
            return Ok(None);
        }
        let value = js_sys::Reflect::get(&result, &"value".into()).map_err(|_| TransportError::Cut)?;
        Ok(Some(js_sys::Uint8Array::new(&value).to_vec()))
    }
}

impl Drop for FetchBody {
    fn drop(&mut self) {
        // A body dropped before its end (the turn gave up on it) must not keep the connection open.
        // Cancelling an already failed stream rejects; awaiting the promise keeps that rejection handled.
        if let Some(reader) = self.reader.take() {
            wasm_bindgen_futures::spawn_local(async move {
                let _ = JsFuture::from(reader.cancel()).await;
            });
        }
    }
}
