//! The pure core: everything Boda decides, with no browser in sight.
//!
//! Nothing here imports web-sys, js-sys, wasm-bindgen or leptos, so all of it runs and is tested natively.
//! Browser work (storage, network, pixels) reaches the core only through the traits in [`ports`].

pub mod client;
pub mod context;
pub mod cost;
pub mod embeddings;
pub mod eval;
pub mod image_plan;
pub mod markdown;
pub mod model;
pub mod notice;
pub mod openai;
pub mod pipeline;
pub mod ports;
pub mod preset;
pub mod prompt;
pub mod retrieval;
pub mod route;
pub mod search;
pub mod sse;
pub mod turn;
pub mod wardrobe;
pub mod websearch;
