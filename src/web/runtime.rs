//! [`Runtime`] for the browser: `Date.now()`, `setTimeout` (cut short by an optional abort signal), and random
//! v4 UUIDs from `crypto.getRandomValues` (which, unlike `crypto.randomUUID`, also works on plain-http LAN
//! addresses).

use crate::core::ports::Runtime;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

#[derive(Debug, Clone, Default)]
pub struct BrowserRuntime {
    /// When set, sleeps end early once it is aborted (Stop during a rate-limit wait).
    signal: Option<web_sys::AbortSignal>,
}

impl BrowserRuntime {
    pub fn with_signal(signal: Option<web_sys::AbortSignal>) -> BrowserRuntime {
        BrowserRuntime { signal }
    }
}

/// A random RFC 4122 version-4 UUID.
pub fn new_uuid() -> String {
    let mut b = [0u8; 16];
    let crypto = js_sys::global().unchecked_into::<web_sys::WorkerGlobalScope>().crypto();
    if let Ok(c) = crypto {
        let _ = c.get_random_values_with_u8_array(&mut b);
    }
    if b == [0u8; 16] {
        // No crypto at all (never in a supported browser): fall back to Math.random.
        for x in b.iter_mut() {
            *x = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// Resolves after `ms` milliseconds.
pub async fn sleep_ms(ms: u64) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        let set_timeout = js_sys::Reflect::get(&global, &"setTimeout".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        if let Some(f) = set_timeout {
            let _ = f.call2(&global, &resolve, &(ms.min(i32::MAX as u64) as f64).into());
        }
    });
    let _ = JsFuture::from(promise).await;
}

impl Runtime for BrowserRuntime {
    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    async fn sleep(&self, ms: u64) {
        // Sleep in short steps so an abort is noticed within a tenth of a second.
        let end = js_sys::Date::now() + ms as f64;
        loop {
            let left = end - js_sys::Date::now();
            if left <= 0.0 || self.signal.as_ref().is_some_and(|s| s.aborted()) {
                return;
            }
            sleep_ms(left.min(100.0) as u64).await;
        }
    }

    fn new_id(&self) -> String {
        new_uuid()
    }
}
