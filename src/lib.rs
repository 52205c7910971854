//! Boda (보다): a browser-only image chat with OpenAI vision models.
//!
//! Three layers, visible from the folder names:
//! - [`core`]: pure Rust (session model, request building, SSE parsing, error classification, image plans,
//!   Markdown to a safe tree). No browser imports; tested natively with `cargo test`.
//! - `web`: thin browser adapters (IndexedDB, fetch streams, image decoding) behind the traits in
//!   [`core::ports`]. Built only for wasm32; tested with wasm-bindgen-test in headless Chromium.
//! - `ui`: Leptos components that hold signals and call the other two. Built only for wasm32.

pub mod core;

#[cfg(target_arch = "wasm32")]
pub mod web;

#[cfg(target_arch = "wasm32")]
pub mod ui;
