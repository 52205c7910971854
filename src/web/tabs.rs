//! Several tabs of Boda at once: change notes over a `BroadcastChannel`, and Web Locks that mark an answer
//! as being streamed by a living tab.
//!
//! A tab that streams an answer holds the lock `boda-answer-<message id>` until the answer ends; the browser
//! releases it when the tab closes or reloads. So another tab that finds a `streaming` record can tell a live
//! answer (lock held: leave it alone) from one cut off by a reload (no lock: mark it interrupted).
//! Browsers without these APIs simply get no cross-tab updates.

use js_sys::{Function, Promise, Reflect};
use std::collections::HashSet;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{BroadcastChannel, MessageEvent};

const CHANNEL: &str = "boda-changes";
const LOCK_PREFIX: &str = "boda-answer-";

/// What changed in another tab. Sent as a short string: `chat:<id>`, `deleted:<id>`, `removed:<id>`,
/// `settings`, `search`, `presets` or `wardrobe`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Chat(String),
    /// A chat was deleted.
    Deleted(String),
    /// An image or a wardrobe item was removed (an image's chat also gets a `Chat` change).
    Removed(String),
    Settings,
    /// The stored search index was rewritten.
    Search,
    /// An assistant was added, changed or deleted (a deletion also changes the chats that used it).
    Presets,
    /// A wardrobe item was added or changed.
    Wardrobe,
}

impl Change {
    fn encode(&self) -> String {
        match self {
            Change::Chat(id) => format!("chat:{id}"),
            Change::Deleted(id) => format!("deleted:{id}"),
            Change::Removed(id) => format!("removed:{id}"),
            Change::Settings => "settings".into(),
            Change::Search => "search".into(),
            Change::Presets => "presets".into(),
            Change::Wardrobe => "wardrobe".into(),
        }
    }

    fn decode(s: &str) -> Option<Change> {
        match s {
            "settings" => return Some(Change::Settings),
            "search" => return Some(Change::Search),
            "presets" => return Some(Change::Presets),
            "wardrobe" => return Some(Change::Wardrobe),
            _ => {}
        }
        let (kind, id) = s.split_once(':')?;
        match kind {
            "chat" => Some(Change::Chat(id.to_owned())),
            "deleted" => Some(Change::Deleted(id.to_owned())),
            "removed" => Some(Change::Removed(id.to_owned())),
            _ => None,
        }
    }
}

/// This tab's end of the change channel. Messages a tab posts never reach itself.
pub struct TabChannel {
    channel: Option<BroadcastChannel>,
    _on_message: Option<Closure<dyn FnMut(MessageEvent)>>,
}

impl TabChannel {
    /// Opens the channel and calls `on_change` for every change another tab announces.
    pub fn open(mut on_change: impl FnMut(Change) + 'static) -> TabChannel {
        let Ok(channel) = BroadcastChannel::new(CHANNEL) else {
            return TabChannel { channel: None, _on_message: None };
        };
        let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            if let Some(change) = ev.data().as_string().as_deref().and_then(Change::decode) {
                on_change(change);
            }
        });
        channel.set_onmessage(Some(handler.as_ref().unchecked_ref()));
        TabChannel { channel: Some(channel), _on_message: Some(handler) }
    }

    pub fn announce(&self, change: &Change) {
        if let Some(c) = &self.channel {
            let _ = c.post_message(&JsValue::from_str(&change.encode()));
        }
    }
}

fn lock_manager() -> Option<JsValue> {
    let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
    let locks = Reflect::get(&navigator, &"locks".into()).ok()?;
    (!locks.is_undefined() && !locks.is_null()).then_some(locks)
}

/// Holds the "answer is live" lock for `message_id` until the returned guard is dropped.
pub struct AnswerLock {
    release: Option<Function>,
}

impl Drop for AnswerLock {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            let _ = release.call0(&JsValue::NULL);
        }
    }
}

/// Takes the lock for an answer being streamed by this tab.
pub fn hold_answer_lock(message_id: &str) -> AnswerLock {
    let Some(locks) = lock_manager() else { return AnswerLock { release: None } };
    let Ok(request) = Reflect::get(&locks, &"request".into()).and_then(|f| f.dyn_into::<Function>()) else {
        return AnswerLock { release: None };
    };
    // The lock is held until the promise returned by the callback settles; keep its resolver as the release.
    let mut release: Option<Function> = None;
    let held = Promise::new(&mut |resolve, _| release = Some(resolve));
    let callback = Closure::once_into_js(move |_lock: JsValue| -> JsValue { held.into() });
    let name = JsValue::from_str(&format!("{LOCK_PREFIX}{message_id}"));
    if let Ok(p) = request.call2(&locks, &name, &callback) {
        // A rejected request (rare: the document is going away) must not surface as an unhandled rejection.
        if let Ok(p) = p.dyn_into::<Promise>() {
            wasm_bindgen_futures::spawn_local(async move {
                let _ = JsFuture::from(p).await;
            });
        }
    }
    AnswerLock { release }
}

/// Waits for the exclusive lock `name` (shared by every tab of Boda) and holds it until the guard is dropped.
/// Without Web Locks it returns at once.
pub async fn exclusive_lock(name: &str) -> AnswerLock {
    let Some(locks) = lock_manager() else { return AnswerLock { release: None } };
    let Ok(request) = Reflect::get(&locks, &"request".into()).and_then(|f| f.dyn_into::<Function>()) else {
        return AnswerLock { release: None };
    };
    let mut release: Option<Function> = None;
    let held = Promise::new(&mut |resolve, _| release = Some(resolve));
    let mut granted: Option<Function> = None;
    let on_grant = Promise::new(&mut |resolve, _| granted = Some(resolve));
    let callback = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
        if let Some(g) = granted {
            let _ = g.call0(&JsValue::NULL);
        }
        held.into()
    });
    match request.call2(&locks, &JsValue::from_str(name), &callback) {
        Ok(p) => {
            if let Ok(p) = p.dyn_into::<Promise>() {
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = JsFuture::from(p).await;
                });
            }
            let _ = JsFuture::from(on_grant).await;
        }
        Err(_) => return AnswerLock { release: None },
    }
    AnswerLock { release }
}

/// Takes the exclusive lock `name` if no tab holds it, and holds it until the guard is dropped; `None` when
/// another tab holds it. Without Web Locks every tab gets it.
pub async fn try_exclusive_lock(name: &str) -> Option<AnswerLock> {
    let Some(locks) = lock_manager() else { return Some(AnswerLock { release: None }) };
    let Ok(request) = Reflect::get(&locks, &"request".into()).and_then(|f| f.dyn_into::<Function>()) else {
        return Some(AnswerLock { release: None });
    };
    let mut release: Option<Function> = None;
    let held = Promise::new(&mut |resolve, _| release = Some(resolve));
    let mut answered: Option<Function> = None;
    let answer = Promise::new(&mut |resolve, _| answered = Some(resolve));
    let callback = Closure::once_into_js(move |lock: JsValue| -> JsValue {
        let got = !lock.is_null() && !lock.is_undefined();
        if let Some(a) = answered {
            let _ = a.call1(&JsValue::NULL, &JsValue::from_bool(got));
        }
        if got {
            held.into()
        } else {
            JsValue::UNDEFINED
        }
    });
    let options = js_sys::Object::new();
    let _ = Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
    let args = js_sys::Array::of3(&JsValue::from_str(name), &options, &callback);
    if let Ok(p) = Reflect::apply(&request, &locks, &args).and_then(|p| p.dyn_into::<Promise>()) {
        wasm_bindgen_futures::spawn_local(async move {
            let _ = JsFuture::from(p).await;
        });
    }
    match JsFuture::from(answer).await {
        Ok(v) if v.as_bool() == Some(true) => Some(AnswerLock { release }),
        _ => None,
    }
}

/// A counter shared by every tab (in `localStorage`): tabs bump it after writing something others cache.
pub fn shared_counter(name: &str) -> u64 {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(name).ok().flatten())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Sets the shared counter `name`.
pub fn set_shared_counter(name: &str, value: u64) {
    if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = s.set_item(name, &value.to_string());
    }
}

/// The ids of answers that some tab is streaming right now.
pub async fn live_answers() -> HashSet<String> {
    let mut live = HashSet::new();
    let Some(locks) = lock_manager() else { return live };
    let Ok(query) = Reflect::get(&locks, &"query".into()).and_then(|f| f.dyn_into::<Function>()) else {
        return live;
    };
    let Ok(promise) = query.call0(&locks).and_then(|p| p.dyn_into::<Promise>()) else { return live };
    let Ok(snapshot) = JsFuture::from(promise).await else { return live };
    for list in ["held", "pending"] {
        let Ok(entries) = Reflect::get(&snapshot, &list.into()) else { continue };
        for entry in js_sys::Array::from(&entries).iter() {
            if let Some(name) = Reflect::get(&entry, &"name".into()).ok().and_then(|n| n.as_string()) {
                if let Some(id) = name.strip_prefix(LOCK_PREFIX) {
                    live.insert(id.to_owned());
                }
            }
        }
    }
    live
}
