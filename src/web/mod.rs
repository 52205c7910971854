//! Browser adapters: thin implementations of [`crate::core::ports`] over IndexedDB, `fetch`, timers and
//! canvas. They translate between browser types and core types and decide nothing themselves.
//! Built only for wasm32 and tested with wasm-bindgen-test in headless Chromium (`tests/web.rs`).

pub mod dom;
pub mod download;
pub mod files;
pub mod http;
pub mod idb_store;
pub mod prefs;
pub mod runtime;
pub mod sample;
pub mod tabs;

use wasm_bindgen::{JsCast, JsValue};

/// A readable one-line description of a thrown JavaScript value (an Error, a DOMException, or anything).
pub fn describe_js_error(e: &JsValue) -> String {
    if let Some(ex) = e.dyn_ref::<web_sys::DomException>() {
        return format!("{}: {}", ex.name(), ex.message());
    }
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return format!("{}: {}", String::from(err.name()), String::from(err.message()));
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// The name of a thrown DOMException or Error (`AbortError`, `QuotaExceededError`, `TypeError`, …).
pub fn js_error_name(e: &JsValue) -> String {
    if let Some(ex) = e.dyn_ref::<web_sys::DomException>() {
        return ex.name();
    }
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.name());
    }
    String::new()
}
