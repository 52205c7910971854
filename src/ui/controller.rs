//! What the buttons do: each function reads the state, calls the core and the adapters, and writes the
//! results back into signals. Decisions (what to send, how to classify a failure, what an image becomes) are
//! the core's: a question goes through `core::pipeline::run` with the browser's ports, and what it reports
//! (kinds, not sentences) lands in the state for the views to word. This module only wires them together.
//! What it keeps between events (the search index, the tab channel, the answer locks) lives in
//! the state's concern contexts (`ui::state`), owned by the app's reactive root, not in `thread_local!`s.

use crate::core::client::{complete, list_models};
use crate::core::cost::Spend;
use crate::core::eval::from_chat::{self, AddProblem, CaseDraft, SetChoice};
use crate::core::eval::model::TestSet;
use crate::core::model::{recover_interrupted, validate_base_url, Chat, Detail, Message, MessageStatus, Settings};
use crate::core::model::{ImageMeta, Language, Role};
use crate::core::notice::{Alert, Notice, SettingsVerdict};
use crate::core::pipeline::{self, Turn};
use crate::core::ports::{ChatRepo, ImageRepo, IndexRepo, MessageRepo, Runtime, SettingsRepo, StoreError};
use crate::core::ports::{PresetRepo, TestSetRepo, UsageRepo, WardrobeRepo, WardrobeSource};
use crate::core::preset::{self, Preset, PresetDraft, PresetProblem};
use crate::core::prompt::caption_request;
use crate::core::prompt::PromptImage;
use crate::core::retrieval::lexical::LexicalIndex;
use crate::core::search;
use crate::core::turn::TurnEvent;
use crate::core::turn::WebAsk;
use crate::core::wardrobe;
use crate::core::websearch::stage::{check_key, KeyCheck, Queries};
use crate::ui::memory;
use crate::ui::state::{store, with_search, AppState, ResultKind, SearchResult, ShownImage};
use crate::web::files::{blob_bytes, object_url, prepare_image, revoke_object_url, BlobBytes};
use crate::web::http::FetchTransport;
use crate::web::idb_store::IdbStore;
use crate::web::runtime::BrowserRuntime;
use crate::web::tabs::{hold_answer_lock, live_answers, Change, TabChannel};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

/// Changes the search index, and saves it a moment later (several changes in a row are saved once). Before
/// the index has loaded there is nothing to change: its load catches up with what the store holds then.
pub(crate) fn update_search(state: AppState, change: impl FnOnce(&mut LexicalIndex)) {
    if state.search.index.with_value(|s| s.borrow_mut().as_mut().map(change)).is_some() {
        save_search_soon(state);
    }
}

/// Makes `index` the search index; `save` when it differs from the stored one.
fn install_search(state: AppState, index: LexicalIndex, save: bool) {
    state.search.index.with_value(|s| *s.borrow_mut() = Some(index));
    if save {
        save_search_soon(state);
    } else {
        refresh_search(state);
    }
}

fn save_search_soon(state: AppState) {
    if state.search.save_pending.with_value(|p| p.replace(true)) {
        return;
    }
    spawn_local(async move {
        crate::web::runtime::sleep_ms(300).await;
        state.search.save_pending.with_value(|p| p.set(false));
        let Some(json) = with_search(state, search::store_index) else { return };
        let Some(db) = store(state) else { return };
        match db.save_search_index(&json).await {
            Ok(()) => announce(state, Change::Search),
            Err(e) => state.notices.alert(Alert::Store(e)),
        }
        refresh_search(state);
    });
}

/// Lets "Search chats" and retrieval find an image by its file name and caption: by words and by meaning.
fn make_findable(state: AppState, meta: &ImageMeta) {
    update_search(state, |s| search::index_image(s, meta));
    memory::remember_image(state, meta);
}

/// Makes what this tab shows forget a deleted chat or a removed image, as the store did in the deletion: the
/// open chat's answers that used it keep only how they did, and search results of it go. (`forget` says what
/// an answer forgets, `gone` which results go.)
pub(crate) fn forget_on_screen(
    state: AppState,
    forget: impl Fn(&mut Message) -> bool,
    gone: impl Fn(&SearchResult) -> bool,
) {
    state.session.deletions.with_value(|d| d.set(d.get() + 1));
    let mut changed = false;
    state.session.messages.update(|ms| {
        for m in ms.iter_mut() {
            changed |= forget(m);
        }
    });
    if changed {
        // A chat being loaded meanwhile is read again, so it cannot show what was read before the deletion.
        state.session.messages_rev.update(|r| *r += 1);
    }
    state.search.results.update(|rs| rs.retain(|r| !gone(r)));
}

/// Takes a message, image or wardrobe item out of the search index and the memory.
pub(crate) fn make_unfindable(state: AppState, item_id: &str) {
    update_search(state, |s| {
        search::remove_item(s, item_id);
    });
    memory::forget_item(state, item_id);
}

/// Runs the open search again (the index has loaded or changed under it).
fn refresh_search(state: AppState) {
    let query = state.search.query.get_untracked();
    if !query.trim().is_empty() {
        search_chats(state, query);
    }
}

/// Loads the stored search index, or builds it from every chat when there is none (or it is unreadable).
async fn load_search(state: AppState, db: &IdbStore) {
    let stored = db.load_search_index().await.ok().flatten();
    if let Some(mut index) = stored.as_deref().and_then(search::read_stored_index) {
        // Catch up with changes made in the moment before a tab closed (the index is saved just after them).
        // A failed read of the keys heals nothing (an empty list would empty the index).
        let (missing, gone) = match db.item_ids().await {
            Ok(ids) => search::differences(&index, &ids),
            Err(_) => (Vec::new(), Vec::new()),
        };
        let before = index.len();
        let mut changed = !gone.is_empty();
        for doc in gone {
            index.remove(&doc);
        }
        for id in missing {
            // Failed, empty and streaming messages are never indexed: reading them changes nothing.
            if let Ok(Some(m)) = db.load_message(&id).await {
                search::index_message(&mut index, &m);
            } else if let Ok(Some(i)) = db.load_image(&id).await {
                search::index_image(&mut index, &i);
            } else if let Ok(Some((item, _))) = db.wardrobe_item(&id).await {
                index.upsert(&search::wardrobe_doc(&item.id), &wardrobe::text(&item));
            }
        }
        changed |= index.len() != before;
        install_search(state, index, changed);
        return;
    }
    let mut index = LexicalIndex::new();
    for chat in db.load_chats().await.unwrap_or_default() {
        for (doc, text) in search::chat_documents(db, &chat.id).await {
            index.upsert(&doc, &text);
        }
    }
    for item in db.load_wardrobe().await.unwrap_or_default() {
        index.upsert(&search::wardrobe_doc(&item.id), &wardrobe::text(&item));
    }
    install_search(state, index, true);
}

/// "Search chats": finds messages and images in every chat by their words at once (also offline), then, after
/// a pause in typing and when the memory has vectors, by meaning too: both lists fused by rank.
pub fn search_chats(state: AppState, query: String) {
    state.search.query.set(query.clone());
    if query.trim().is_empty() {
        state.search.results.set(Vec::new());
        return;
    }
    // Chats' messages and images only: wardrobe items are not what this box finds.
    let lexical = with_search(state, |s| s.search_where(&query, 20, search::is_chat_doc)).unwrap_or_default();
    spawn_local(async move {
        show_hits(state, &query, search::fuse(&lexical, &[], 20)).await;
        crate::web::runtime::sleep_ms(400).await;
        if state.search.query.get_untracked() != query {
            return;
        }
        let settings = state.session.settings.get_untracked();
        let vector = memory::search_vector_hits(state, &settings, &query).await;
        if state.search.query.get_untracked() != query {
            return;
        }
        match vector {
            Ok(Some(vector)) => show_hits(state, &query, search::fuse(&lexical, &vector, 20)).await,
            Ok(None) => {}
            Err(why) => state.notices.notify(Notice::SearchByWords(why)),
        }
    });
}

/// Reads what the hits point at and shows them, unless the query changed meanwhile.
async fn show_hits(state: AppState, query: &str, hits: Vec<search::SearchHit>) {
    let Some(db) = store(state) else { return };
    let mut results = Vec::with_capacity(hits.len());
    for hit in hits {
        let Some(chat) = chat_by_id(state, &hit.chat_id) else { continue };
        // At most twenty small reads: simpler (and smaller code) than caching per chat.
        let found = match hit.kind {
            search::HitKind::Message => db.load_messages(&hit.chat_id).await.ok().and_then(|ms| {
                let m = ms.into_iter().find(|m| m.id == hit.item_id)?;
                Some((if m.role == Role::User { ResultKind::Question } else { ResultKind::Answer }, m.content))
            }),
            search::HitKind::Image => db.load_images(&hit.chat_id).await.ok().and_then(|is| {
                is.iter().find(|i| i.id == hit.item_id).map(|i| (ResultKind::Image, search::image_text(i)))
            }),
            // Left out of the search (see `search_chats`); they belong to no chat.
            search::HitKind::Wardrobe => None,
        };
        let Some((kind, text)) = found else { continue };
        results.push(SearchResult {
            chat_id: chat.id,
            chat_title: chat.title,
            kind,
            snippet: search::snippet(&text, query, 120),
            item_id: hit.item_id,
        });
    }
    if state.search.query.get_untracked() == query {
        state.search.results.set(results);
    }
}

/// Tells other tabs that something changed.
pub(crate) fn announce(state: AppState, change: Change) {
    state.session.tabs.with_value(|t| {
        if let Some(t) = t.borrow().as_ref() {
            t.announce(&change);
        }
    });
}

/// Brings this tab up to date with a change made in another tab.
async fn on_remote_change(state: AppState, change: Change) {
    let Some(db) = store(state) else { return };
    match change {
        Change::Settings => {
            if let Ok(s) = db.load_settings().await {
                state.session.settings.set(s);
                memory::start(state);
            }
        }
        Change::Presets => {
            // A deleted assistant also changed the chats that used it.
            if let (Ok(presets), Ok(chats)) = (db.load_presets().await, db.load_chats().await) {
                state.session.presets.set(presets);
                state.session.chats.set(chats);
            }
        }
        Change::Search => {
            let stored = db.load_search_index().await.ok().flatten();
            if let Some(index) = stored.as_deref().and_then(search::read_stored_index) {
                install_search(state, index, false);
            }
        }
        Change::Chat(id) => {
            if let Ok(chats) = db.load_chats().await {
                state.session.chats.set(chats);
            }
            let here = state.session.current.get_untracked();
            let busy_here = state.session.streaming_chat.get_untracked().is_some_and(|c| c == id);
            let nothing_open = here.is_none() && state.session.missing.get_untracked().is_none();
            if (nothing_open || here.as_deref() == Some(id.as_str())) && !busy_here {
                select_chat(state, id).await;
            }
        }
        Change::Deleted(id) => {
            state.session.chats.update(|cs| cs.retain(|c| c.id != id));
            forget_on_screen(state, |m| m.forget_chat_in_context(&id), |r| r.chat_id == id);
            // The tab that deleted it saves the search index and the memory; this one only stops holding it, so
            // a save of its own cannot bring it back.
            // (Before its index has loaded there is nothing to take out: the load reads a store without it.)
            state.search.index.with_value(|s| s.borrow_mut().as_mut().map(|i| search::remove_chat(i, &id)));
            memory::forget_chat(state, &id);
            if state.session.current.get_untracked().as_deref() == Some(id.as_str()) {
                show_first_chat(state).await;
            }
        }
        Change::Removed(id) => {
            forget_on_screen(state, |m| m.forget_item_in_context(&id), |r| r.item_id == id);
            state.wardrobe.items.update(|v| v.retain(|i| i.id != id));
            state.session.images.update(|v| {
                if let Some(i) = v.iter().position(|img| img.meta.id == id) {
                    revoke_object_url(&v.remove(i).url);
                }
            });
            state.search.index.with_value(|s| s.borrow_mut().as_mut().map(|i| search::remove_item(i, &id)));
            memory::forget_item(state, &id);
        }
        Change::Wardrobe => crate::ui::wardrobe::controller::refresh(state).await,
    }
}

async fn show_first_chat(state: AppState) {
    state.session.current.set(None);
    state.session.messages.set(Vec::new());
    set_images(state, Vec::new());
    if let Some(next) = state.session.chats.with_untracked(|cs| cs.first().map(|c| c.id.clone())) {
        select_chat(state, next).await;
    }
}

fn report(state: AppState, result: Result<(), StoreError>) {
    if let Err(e) = result {
        state.notices.alert(Alert::Store(e));
    }
}

/// Opens the database, loads settings and chats, and opens the most recent chat.
pub fn start(state: AppState) {
    spawn_local(async move {
        let db = match IdbStore::open().await {
            Ok(db) => db,
            Err(e) => {
                state.notices.alert(Alert::StorageUnavailable { detail: e.to_string() });
                state.session.loaded.set(true);
                return;
            }
        };
        state.session.store.set(Some(db.clone()));
        let channel = TabChannel::open(move |change| spawn_local(on_remote_change(state, change)));
        state.session.tabs.with_value(|t| *t.borrow_mut() = Some(channel));
        match db.load_settings().await {
            Ok(s) => state.session.settings.set(s),
            Err(e) => state.notices.alert(Alert::Store(e)),
        }
        // Before the chats, so a chat never shows (or runs) as Image Q&A for want of its assistant.
        match db.load_presets().await {
            Ok(presets) => state.session.presets.set(presets),
            Err(e) => state.notices.alert(Alert::Store(e)),
        }
        load_search(state, &db).await;
        memory::start(state);
        // Which chat opens is the address's business (see `ui::route_sync`), once the list is here.
        match db.load_chats().await {
            Ok(chats) => state.session.chats.set(chats),
            Err(e) => state.notices.alert(Alert::Store(e)),
        }
        state.session.loaded.set(true);
        if !state.session.settings.get_untracked().has_key() {
            state.notices.notify(Notice::Welcome);
        }
    });
}

fn set_images(state: AppState, images: Vec<ShownImage>) {
    state.session.images.update(|old| {
        for img in old.iter() {
            revoke_object_url(&img.url);
        }
        *old = images;
    });
}

/// Shows a chat: its images, and its messages (answers cut off by a reload marked interrupted).
pub async fn select_chat(state: AppState, chat_id: String) {
    let Some(db) = store(state) else { return };
    state.session.missing.set(None);
    state.session.current.set(Some(chat_id.clone()));
    let is_current = || state.session.current.get_untracked().as_deref() == Some(chat_id.as_str());
    let images = db.load_images_with_blobs(&chat_id).await.unwrap_or_else(|e| {
        state.notices.alert(Alert::Store(e));
        Vec::new()
    });
    let shown: Vec<ShownImage> = images
        .into_iter()
        .map(|(meta, blob)| ShownImage { meta, url: object_url(&blob).unwrap_or_default() })
        .collect();
    // Messages last, and again if a turn changed them while they loaded (a stale read must not hide a
    // finished answer).
    let mut messages = Vec::new();
    let mut looked_again = false;
    for _ in 0..5 {
        let rev = state.session.messages_rev.get_untracked();
        messages = db.load_messages(&chat_id).await.unwrap_or_else(|e| {
            state.notices.alert(Alert::Store(e));
            Vec::new()
        });
        // An answer some tab is still streaming is live; any other `Streaming` record was cut off by a reload.
        // A tab registers its lock a moment after storing the record (lock requests are granted
        // asynchronously), so an answer that looks dead is looked at again, freshly read, a second later.
        if messages.iter().any(Message::is_answer_in_progress) {
            let live = live_answers().await;
            let dead = messages.iter().any(|m| m.is_answer_in_progress() && !live.contains(&m.id));
            if dead && !looked_again {
                looked_again = true;
                crate::web::runtime::sleep_ms(1000).await;
                continue;
            }
            for m in recover_interrupted(&mut messages, |id| live.contains(id)) {
                report(state, db.put_message(&m).await);
            }
        }
        if state.session.messages_rev.get_untracked() == rev {
            break;
        }
    }
    if is_current() {
        state.session.messages.set(messages);
        set_images(state, shown);
    } else {
        // The person moved on while this loaded: free what was made for nothing.
        for img in shown {
            revoke_object_url(&img.url);
        }
    }
}

pub fn open_chat(state: AppState, chat_id: String) {
    spawn_local(select_chat(state, chat_id));
}

/// Opens the most recent chat, or the empty start when there is none (the address `/`).
pub fn open_latest(state: AppState) {
    state.session.missing.set(None);
    match state.session.chats.with_untracked(|cs| cs.first().map(|c| c.id.clone())) {
        Some(id) => open_chat(state, id),
        None => {
            state.session.current.set(None);
            state.session.messages.set(Vec::new());
            set_images(state, Vec::new());
        }
    }
}

/// Shows that the chat an address names does not exist (any more), with nothing of any other chat.
pub fn show_missing(state: AppState, chat_id: String) {
    state.session.current.set(None);
    state.session.messages.set(Vec::new());
    set_images(state, Vec::new());
    state.session.missing.set(Some(chat_id));
}

/// Opens a "Search chats" result: its chat (unless open), then the message or image it found, in view and
/// marked for a moment.
pub fn open_result(state: AppState, result: &SearchResult) {
    let chat_id = result.chat_id.clone();
    let element = if result.kind == ResultKind::Image {
        crate::web::dom::image_element(&result.item_id)
    } else {
        crate::web::dom::message_element(&result.item_id)
    };
    spawn_local(async move {
        if state.session.current.get_untracked().as_deref() != Some(chat_id.as_str()) {
            select_chat(state, chat_id).await;
        }
        crate::web::dom::reveal(&element).await;
    });
}

/// Makes a fresh chat current, reusing the current one when it is still empty.
pub async fn new_chat(state: AppState) -> Option<Chat> {
    if let Some(chat) = state.session.current_chat() {
        if state.session.messages.with_untracked(Vec::is_empty) && state.session.images.with_untracked(Vec::is_empty) {
            return Some(chat);
        }
    }
    let db = store(state)?;
    let rt = BrowserRuntime::default();
    // A new chat gets the assistant chosen last (one since deleted is none, that is Image Q&A).
    let preset = state
        .session
        .next_preset
        .get_untracked()
        .map(|id| state.session.presets.with_untracked(|ps| preset::resolve(ps, Some(&id)).id));
    let chat = Chat { preset, ..Chat::new(rt.new_id(), rt.now_ms()) };
    if let Err(e) = db.put_chat(&chat).await {
        state.notices.alert(Alert::Store(e));
        return None;
    }
    state.session.chats.update(|cs| cs.insert(0, chat.clone()));
    state.session.missing.set(None);
    state.session.current.set(Some(chat.id.clone()));
    state.session.messages.set(Vec::new());
    set_images(state, Vec::new());
    Some(chat)
}

async fn ensure_chat(state: AppState) -> Option<Chat> {
    match state.session.current_chat() {
        Some(c) => Some(c),
        None => new_chat(state).await,
    }
}

/// Shows the changed chat at once, then stores it.
async fn save_chat(state: AppState, chat: Chat) {
    state.session.chats.update(|cs| {
        cs.retain(|c| c.id != chat.id);
        cs.insert(0, chat.clone());
        cs.sort_by(|a, b| b.updated_ms.total_cmp(&a.updated_ms));
    });
    if let Some(db) = store(state) {
        report(state, db.put_chat(&chat).await);
    }
    announce(state, Change::Chat(chat.id));
}

/// The chat as it is now (it may have been renamed or changed while an answer streamed).
fn chat_by_id(state: AppState, chat_id: &str) -> Option<Chat> {
    state.session.chats.with_untracked(|cs| cs.iter().find(|c| c.id == chat_id).cloned())
}

pub fn rename_chat(state: AppState, chat_id: String, title: String) {
    let title = title.trim().to_owned();
    if title.is_empty() {
        return;
    }
    let Some(mut chat) = chat_by_id(state, &chat_id) else { return };
    chat.title = title;
    spawn_local(save_chat(state, chat));
}

pub fn set_detail(state: AppState, detail: Detail) {
    if let Some(mut chat) = state.session.current_chat() {
        chat.detail = detail;
        spawn_local(save_chat(state, chat));
    }
}

/// Deletes a chat with its messages and images, and shows the next one.
pub fn delete_chat(state: AppState, chat_id: String) {
    spawn_local(async move {
        let Some(db) = store(state) else { return };
        // A turn still writing into this chat would leave records behind: stop it and let it finish first.
        if state.session.busy.get_untracked()
            && state.session.current.get_untracked().as_deref() == Some(chat_id.as_str())
        {
            stop(state);
            turn_finished(state).await;
        }
        if let Err(e) = db.delete_chat(&chat_id).await {
            state.notices.alert(Alert::Store(e));
            return;
        }
        state.session.chats.update(|cs| cs.retain(|c| c.id != chat_id));
        forget_on_screen(state, |m| m.forget_chat_in_context(&chat_id), |r| r.chat_id == chat_id);
        update_search(state, |s| {
            search::remove_chat(s, &chat_id);
        });
        memory::forget_chat(state, &chat_id);
        announce(state, Change::Deleted(chat_id.clone()));
        if state.session.current.get_untracked().as_deref() == Some(chat_id.as_str()) {
            show_first_chat(state).await;
        }
    });
}

/// Adds files (picked, dropped or pasted) to the current chat, one by one, reporting each refusal.
pub fn add_files(state: AppState, files: Vec<web_sys::File>) {
    if files.is_empty() {
        return;
    }
    state.session.preparing.update(|n| *n += files.len() as u32);
    spawn_local(async move {
        let chat = ensure_chat(state).await;
        for file in files {
            state.session.preparing.update(|n| *n = n.saturating_sub(1));
            let Some(chat) = &chat else { continue };
            let Some(db) = store(state) else { continue };
            let rt = BrowserRuntime::default();
            match prepare_image(&file, rt.new_id(), chat.id.clone(), rt.now_ms()).await {
                Ok(_) if chat_by_id(state, &chat.id).is_none() => {} // The chat was deleted meanwhile.
                Ok(prepared) => {
                    if let Err(error) = db.put_image(&prepared.meta, &prepared.blob).await {
                        state.notices.alert(Alert::ImageNotStored { name: prepared.meta.name.clone(), error });
                        continue;
                    }
                    announce(state, Change::Chat(chat.id.clone()));
                    if describe_image(state, prepared.meta.clone()) {
                        // Found by its name at once; embedded once, with its caption, when that is written.
                        update_search(state, |s| search::index_image(s, &prepared.meta));
                    } else {
                        make_findable(state, &prepared.meta);
                    }
                    if state.session.current.get_untracked().as_deref() == Some(chat.id.as_str()) {
                        let url = object_url(&prepared.blob).unwrap_or_default();
                        state.session.images.update(|v| v.push(ShownImage { meta: prepared.meta, url }));
                    }
                }
                Err((name, problem)) => state.notices.alert(Alert::File { name, problem }),
            }
        }
    });
}

/// Shows a changed image record, if its chat is open, and lets search find it by its new caption.
fn show_image_meta(state: AppState, meta: ImageMeta) {
    make_findable(state, &meta);
    state.session.images.update(|v| {
        if let Some(img) = v.iter_mut().find(|i| i.meta.id == meta.id) {
            img.meta = meta;
        }
    });
}

/// Asks the vision model for an image's caption: once when the image is added, and again only on request.
/// Without a key nothing is asked; once a working key is saved, [`describe_uncaptioned`] asks.
/// True when it asked (the image's vector is then made from its caption, or from its name if that fails).
fn describe_image(state: AppState, meta: ImageMeta) -> bool {
    let settings = state.session.settings.get_untracked();
    if !settings.has_key() || state.session.describing.with_untracked(|d| d.contains(&meta.id)) {
        return false;
    }
    state.session.describing.update(|d| d.push(meta.id.clone()));
    spawn_local(async move {
        let id = meta.id.clone();
        if let Err(alert) = write_caption(state, &settings, meta).await {
            state.notices.alert(alert);
            // Findable by meaning with what it has (its name, or a caption written meanwhile), also when its
            // chat is no longer the open one.
            let now = match store(state) {
                Some(db) => db.load_image(&id).await.ok().flatten(),
                None => None,
            };
            if let Some(now) = now {
                memory::remember_image(state, &now);
            }
        }
        state.session.describing.update(|d| d.retain(|x| *x != id));
    });
    true
}

/// Asks for the captions of every image, in every chat, that has none: run when a new key or server has
/// just passed the key check, so images added before there was one are described.
fn describe_uncaptioned(state: AppState) {
    let chats: Vec<String> = state.session.chats.with_untracked(|c| c.iter().map(|c| c.id.clone()).collect());
    spawn_local(async move {
        let Some(db) = store(state) else { return };
        for chat in chats {
            let Ok(images) = db.load_images(&chat).await else { continue };
            for meta in images.into_iter().filter(|m| m.caption.is_none()) {
                describe_image(state, meta);
            }
        }
        crate::ui::wardrobe::controller::describe_uncaptioned(state).await;
    });
}

/// The language captions are written in: the one set in Settings, else the interface's.
pub(crate) fn caption_language(state: AppState, settings: &Settings) -> Language {
    settings.caption_language.unwrap_or_else(|| state.session.language.get_untracked())
}

async fn write_caption(state: AppState, settings: &Settings, meta: ImageMeta) -> Result<(), Alert> {
    let db = store(state).ok_or(Alert::Store(StoreError::Other("IndexedDB is not open".into())))?;
    let Some(blob) = db.image_blob(&meta.id).await.map_err(Alert::Store)? else { return Ok(()) };
    let bytes = blob_bytes(&blob).await.map_err(|detail| Alert::ImageUnreadable { name: meta.name.clone(), detail })?;
    let image = PromptImage { name: &meta.name, mime: &meta.mime, bytes: &bytes, caption: None, attached: true };
    let request = caption_request(&settings.model, &image, caption_language(state, settings));
    let text = complete(&FetchTransport::new(None), &BrowserRuntime::default(), settings, &request)
        .await
        .map_err(|e| Alert::CaptionFailed { name: meta.name.clone(), error: e.redacted(&settings.api_key) })?;
    // A caption the person wrote (here or in another tab) while the model was at work is theirs to keep.
    let Some(now) = db.load_image(&meta.id).await.map_err(Alert::Store)? else { return Ok(()) };
    if now.caption != meta.caption {
        state.notices.notify(Notice::KeptCaption { name: meta.name.clone() });
        return Ok(());
    }
    // The record as it is now: nothing else changed meanwhile is undone.
    let mut meta = now;
    meta.caption = Some(text);
    meta.caption_model = Some(settings.model.clone());
    // An image removed while its caption was being written stays removed.
    if db.update_image_meta(&meta).await.map_err(Alert::Store)? {
        announce(state, Change::Chat(meta.chat_id.clone()));
        show_image_meta(state, meta);
    }
    Ok(())
}

/// The record of an image the open chat shows.
fn shown_meta(state: AppState, image_id: &str) -> Option<ImageMeta> {
    state.session.images.with_untracked(|v| v.iter().find(|i| i.meta.id == image_id).map(|i| i.meta.clone()))
}

/// "Describe again": a fresh caption from the model, replacing the current one.
pub fn describe_again(state: AppState, image_id: String) {
    let Some(meta) = shown_meta(state, &image_id) else { return };
    if !state.session.settings.get_untracked().has_key() {
        state.notices.alert(Alert::CaptionNeedsKey);
        return;
    }
    describe_image(state, meta);
}

/// Stores a caption the person wrote or corrected (an empty one removes the caption).
pub fn edit_caption(state: AppState, image_id: String, text: String) {
    let Some(mut meta) = shown_meta(state, &image_id) else { return };
    let text = text.trim();
    if meta.caption.as_deref() == Some(text) {
        return;
    }
    meta.caption = (!text.is_empty()).then(|| text.to_owned());
    meta.caption_model = meta.caption.as_ref().map(|_| ImageMeta::CAPTION_BY_PERSON.to_owned());
    spawn_local(async move {
        let Some(db) = store(state) else { return };
        match db.update_image_meta(&meta).await {
            Ok(true) => {
                announce(state, Change::Chat(meta.chat_id.clone()));
                show_image_meta(state, meta);
            }
            Ok(false) => {}
            Err(e) => state.notices.alert(Alert::Store(e)),
        }
    });
}

/// Removes an image: its record and Blob go, so no later request can carry it.
pub fn remove_image(state: AppState, image_id: String) {
    spawn_local(async move {
        let Some(db) = store(state) else { return };
        if let Err(e) = db.delete_image(&image_id).await {
            state.notices.alert(Alert::Store(e));
            return;
        }
        let mut chat_id = None;
        state.session.images.update(|v| {
            if let Some(i) = v.iter().position(|img| img.meta.id == image_id) {
                revoke_object_url(&v[i].url);
                chat_id = Some(v.remove(i).meta.chat_id);
            }
        });
        forget_on_screen(state, |m| m.forget_item_in_context(&image_id), |r| r.item_id == image_id);
        make_unfindable(state, &image_id);
        announce(state, Change::Removed(image_id));
        if let Some(id) = chat_id {
            announce(state, Change::Chat(id));
        }
    });
}

/// How often a streaming answer is re-rendered at most. Tokens arrive far faster than anyone reads, and
/// rendering each one would re-parse and re-draw the whole answer hundreds of times a second.
const RENDER_EVERY_MS: i32 = 40;

fn show_message(state: AppState, m: Message) {
    state.session.messages_rev.update(|r| *r += 1);
    state.session.messages.update(|v| match v.iter_mut().find(|x| x.id == m.id) {
        Some(x) => *x = m,
        None => v.push(m),
    });
}

/// Shows the pending streaming answer, if any.
fn flush_pending(state: AppState) {
    if let Some(m) = state.session.pending.with_value(|p| p.borrow_mut().take()) {
        if state.session.current.get_untracked().as_deref() == Some(m.chat_id.as_str()) {
            show_message(state, m);
        }
    }
}

fn apply_event(state: AppState, event: TurnEvent) {
    match event {
        TurnEvent::Upsert(m)
            if m.status == MessageStatus::Streaming
                && !m.content.is_empty()
                && state
                    .session
                    .messages
                    .with_untracked(|v| v.iter().any(|x| x.id == m.id && !x.content.is_empty())) =>
        {
            // Coalesce: keep only the newest text and show it on the next tick (the first text shows at once,
            // below: the time to the first token is what a person waits for).
            let first = state.session.pending.with_value(|p| p.borrow_mut().replace(m).is_none());
            if first {
                let cb = wasm_bindgen::closure::Closure::once_into_js(move || flush_pending(state));
                let _ = web_sys::window().map(|w| {
                    w.set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), RENDER_EVERY_MS)
                });
            }
        }
        TurnEvent::Upsert(m) => {
            // A final (or first) version replaces anything pending, which is older.
            state.session.pending.with_value(|p| p.borrow_mut().take());
            // Hold the "live" lock while this tab streams the answer, so other tabs leave it alone.
            state.session.live.with_value(|l| {
                let mut l = l.borrow_mut();
                if m.status == MessageStatus::Streaming {
                    l.entry(m.id.clone()).or_insert_with(|| hold_answer_lock(&m.id));
                } else {
                    l.remove(&m.id);
                }
            });
            announce(state, Change::Chat(m.chat_id.clone()));
            if m.status != MessageStatus::Streaming {
                update_search(state, |s| search::index_message(s, &m));
                memory::remember_message(state, &m);
            }
            if state.session.current.get_untracked().as_deref() != Some(m.chat_id.as_str()) {
                return;
            }
            if m.trimmed > 0 {
                state.notices.notify(Notice::Trimmed { count: m.trimmed });
            }
            show_message(state, m);
        }
        TurnEvent::Removed(id) => {
            make_unfindable(state, &id);
            state.session.messages_rev.update(|r| *r += 1);
            state.session.messages.update(|v| v.retain(|m| m.id != id));
        }
        TurnEvent::Retrying { attempt, wait_ms } => state.notices.notify(Notice::Retrying {
            attempt,
            of: crate::core::openai::MAX_RETRIES + 1,
            wait_s: wait_ms.div_ceil(1000),
        }),
        TurnEvent::StoreFailed(e) => state.notices.alert(Alert::Store(e)),
    }
}

fn run_turn(state: AppState, kind: Turn, web: Option<WebAsk>) {
    let wardrobe = state.session.use_wardrobe.get_untracked();
    if state.session.busy.get_untracked() {
        return;
    }
    if state.session.preparing.get_untracked() > 0 {
        state.notices.alert(Alert::StillPreparing);
        return;
    }
    let settings = state.session.settings.get_untracked();
    if !settings.has_key() {
        state.notices.alert(Alert::NeedsKey);
        state.session.settings_open.set(true);
        return;
    }
    // Claim the turn before any await: a double click must not start two.
    state.session.busy.set(true);
    state.notices.clear();
    let draft = state.session.draft.get_untracked();
    if matches!(kind, Turn::Ask(_)) {
        state.session.draft.set(String::new());
    }
    spawn_local(async move {
        let options = pipeline::Options { web: web.as_ref(), wardrobe };
        let outcome = run_turn_inner(state, &settings, kind, options).await;
        state.session.abort.set(None);
        state.session.streaming_chat.set(None);
        state.session.busy.set(false);
        match outcome {
            Err(()) => {
                // The question never got stored: give the text back.
                if state.session.draft.with_untracked(String::is_empty) {
                    state.session.draft.set(draft);
                }
            }
            Ok(Some(error)) if error != crate::core::openai::ApiError::Aborted => {
                state.notices.alert(Alert::Answer(error.redacted(&settings.api_key)))
            }
            Ok(_) => {}
        }
    });
}

/// Runs one turn through the core's pipeline; `Err(())` when it did not get to ask (the reason is shown).
async fn run_turn_inner(
    state: AppState,
    settings: &Settings,
    kind: Turn,
    options: pipeline::Options<'_>,
) -> Result<Option<crate::core::openai::ApiError>, ()> {
    let chat = ensure_chat(state).await.ok_or(())?;
    let db = store(state).ok_or(())?;
    // The chat's assistant: its system prompt, and its model when it names one.
    let settings =
        &state.session.presets.with_untracked(|ps| preset::resolve(ps, chat.preset.as_deref())).apply(settings);
    if let Turn::Ask(q) = &kind {
        if chat.is_untitled() {
            let mut titled = chat.clone();
            titled.title = Chat::title_from_question(q);
            save_chat(state, titled).await;
        }
    }
    let deletions = state.session.deletions.with_value(|d| d.get());
    let controller = web_sys::AbortController::new().ok();
    let signal = controller.as_ref().map(|c| c.signal());
    state.session.abort.set(controller);
    state.session.streaming_chat.set(Some(chat.id.clone()));
    let transport = FetchTransport::new(signal.clone());
    let rt = BrowserRuntime::with_signal(signal.clone());
    let recall = memory::MemoryRecall::new(state, signal);
    let ports = pipeline::Ports {
        store: &db,
        blobs: &BlobBytes,
        recall: &recall,
        transport: &transport,
        runtime: &rt,
        wardrobe: &db,
    };
    let title = |id: &str| chat_by_id(state, id).map(|c| c.title);
    let mut on = |e| match e {
        pipeline::Event::Turn(e) => apply_event(state, e),
        pipeline::Event::Notice(n) => state.notices.notify(n),
        pipeline::Event::Alert(a) => state.notices.alert(a),
    };
    let outcome = pipeline::run(ports, settings, &chat, kind, options, &title, &mut on).await.map_err(|_| ())?;
    // Something the answer used may have been deleted while it streamed: the store forgot it as it wrote the
    // answer, and the screen does too.
    if let Some(done) = outcome.as_ref().filter(|_| state.session.deletions.with_value(|d| d.get()) != deletions) {
        if let Ok(Some(stored)) = db.load_message(&done.answer.id).await {
            let here = state.session.current.get_untracked().as_deref() == Some(chat.id.as_str());
            if here && stored.context != done.answer.context {
                show_message(state, stored);
            }
        }
    }
    if let Some(mut now) = chat_by_id(state, &chat.id) {
        now.updated_ms = rt.now_ms();
        save_chat(state, now).await;
    }
    Ok(outcome.and_then(|o| o.error))
}

/// Sends the draft as a question about the chat's images.
pub fn send(state: AppState) {
    let question = state.session.draft.get_untracked();
    if question.trim().is_empty() {
        return;
    }
    let web = state
        .session
        .web_search
        .get_untracked()
        .then(|| WebAsk { queries: Queries::Plan, language: state.session.language.get_untracked() });
    run_turn(state, Turn::Ask(question.trim_end().to_owned()), web);
}

/// Waits (up to ten seconds) until no turn is running.
async fn turn_finished(state: AppState) {
    for _ in 0..200 {
        if !state.session.busy.get_untracked() {
            return;
        }
        crate::web::runtime::sleep_ms(50).await;
    }
}

/// Replaces the last answer (also how a failed or cut-off answer is retried).
pub fn regenerate(state: AppState) {
    // Like a new question, it searches the web when the switch is on (with newly planned queries).
    let web = state
        .session
        .web_search
        .get_untracked()
        .then(|| WebAsk { queries: Queries::Plan, language: state.session.language.get_untracked() });
    run_turn(state, Turn::Regenerate, web);
}

/// Answers the last question again with the web results of these queries (a person's edited chips): no new
/// queries are planned.
pub fn search_again(state: AppState, queries: Vec<String>) {
    let web = WebAsk { queries: Queries::Given(queries), language: state.session.language.get_untracked() };
    run_turn(state, Turn::Regenerate, Some(web));
}

/// Stops the streaming answer, keeping what arrived.
pub fn stop(state: AppState) {
    if let Some(c) = state.session.abort.get_untracked() {
        c.abort();
    }
}

/// Saves settings and checks the key against `GET /models`. The verdict says whether they can be used as they
/// are ([`SettingsVerdict::is_good`]).
pub async fn save_settings(state: AppState, settings: Settings) -> SettingsVerdict {
    if let Err(problem) = validate_base_url(&settings.base_url) {
        return SettingsVerdict::BadBaseUrl(problem);
    }
    if settings.model.trim().is_empty() {
        return SettingsVerdict::NoModel;
    }
    if !settings.search_proxy.trim().is_empty() {
        if let Err(problem) = validate_base_url(&settings.search_proxy) {
            return SettingsVerdict::BadSearchProxy(problem);
        }
    }
    let Some(db) = store(state) else {
        return SettingsVerdict::Store(StoreError::Other("IndexedDB is not open".into()));
    };
    if let Err(e) = db.save_settings(&settings).await {
        return SettingsVerdict::Store(e);
    }
    // A key (or server) that was not there before: images added meanwhile wait for their captions.
    let new_key = state.session.settings.with_untracked(|s| {
        s.api_key.trim() != settings.api_key.trim() || s.base_url.trim() != settings.base_url.trim()
    });
    state.session.settings.set(settings.clone());
    announce(state, Change::Settings);
    // A new embedding model or size makes a new space: the memory is rebuilt in it.
    memory::start(state);
    if !settings.has_key() {
        return SettingsVerdict::NoKey;
    }
    match list_models(&FetchTransport::new(None), &BrowserRuntime::default(), &settings).await {
        Ok(models) => {
            let n = models.len();
            let known = models.iter().any(|m| m == settings.model.trim());
            state.session.models.set(models);
            if new_key {
                describe_uncaptioned(state);
            }
            if known || n == 0 {
                SettingsVerdict::KeyWorks { models: n }
            } else {
                SettingsVerdict::ModelNotOffered { models: n, model: settings.model.trim().to_owned() }
            }
        }
        Err(e) => SettingsVerdict::CheckFailed(e.redacted(&settings.api_key)),
    }
}

// Cost in the chat and "Add to test set" (issue 10).

/// Checks the saved Tavily key (`GET /usage`, which spends no credits).
pub async fn check_tavily(state: AppState) -> KeyCheck {
    let settings = state.session.settings.get_untracked();
    check_key(&FetchTransport::new(None), &BrowserRuntime::default(), &settings).await
}

/// What the answers of every chat in this browser cost, at the prices in Settings.
pub async fn browser_spend(state: AppState) -> Result<Spend, StoreError> {
    let db = store(state).ok_or(StoreError::Other("IndexedDB is not open".into()))?;
    let answers = db.answer_usage().await?;
    Ok(state.session.settings.with_untracked(|s| Spend::of(&s.prices, s.search.credit_usd, &answers)))
}

/// The test sets a case can be added to, newest first (see [`from_chat::choices`]).
pub async fn test_set_choices(state: AppState) -> Result<Vec<TestSet>, StoreError> {
    let db = store(state).ok_or(StoreError::Other("IndexedDB is not open".into()))?;
    Ok(from_chat::choices(db.load_test_sets().await?))
}

/// "Add to test set": the case the draft makes goes into a new version of the chosen set, its images copied,
/// in one write; the status line says where it went. On a problem nothing is written.
pub async fn add_to_test_set(state: AppState, draft: CaseDraft, choice: SetChoice) -> Result<TestSet, AddProblem> {
    let db = store(state).ok_or(AddProblem::Store(StoreError::Other("IndexedDB is not open".into())))?;
    let set = from_chat::add_to_test_set(&db, &BrowserRuntime::default(), &draft, &choice).await?;
    state.notices.notify(Notice::CaseAdded { set: set.name.clone(), version: set.version, cases: set.cases.len() });
    Ok(set)
}

/// Keeps an edited price table in the settings (and tells other tabs); answers and runs price from it.
pub async fn save_prices(state: AppState, prices: crate::core::cost::PriceTable) -> bool {
    let Some(db) = store(state) else { return false };
    let settings = Settings { prices, ..state.session.settings.get_untracked() };
    match db.save_settings(&settings).await {
        Ok(()) => {
            state.session.settings.set(settings);
            announce(state, Change::Settings);
            true
        }
        Err(e) => {
            state.notices.alert(Alert::Store(e));
            false
        }
    }
}

// Assistants (presets).

/// Chooses the open chat's assistant (stored with the chat), and the one new chats get from now on. With no
/// chat open, only the latter: the chat the first image or question makes gets it.
pub fn choose_preset(state: AppState, preset_id: String) {
    crate::web::prefs::set_last_preset(Some(&preset_id));
    state.session.next_preset.set(Some(preset_id.clone()));
    let open = state.session.current.get_untracked().and_then(|id| chat_by_id(state, &id));
    if let Some(mut chat) = open.filter(|c| c.preset.as_deref() != Some(preset_id.as_str())) {
        chat.preset = Some(preset_id);
        spawn_local(save_chat(state, chat));
    }
}

/// Why an edited assistant was not stored.
#[derive(Debug, Clone, PartialEq)]
pub enum NotSaved {
    /// What is wrong with it (nothing was written).
    Problems(Vec<PresetProblem>),
    Store(StoreError),
}

/// Checks an edited assistant (a new one when `existing` is `None`) with `core::preset::save` against the
/// others and the built-in ones' names (`reserved`), then stores it and shows it.
pub async fn save_preset(
    state: AppState,
    draft: &PresetDraft,
    existing: Option<&Preset>,
    reserved: &[&str],
) -> Result<Preset, NotSaved> {
    let rt = BrowserRuntime::default();
    let saved = state
        .session
        .presets
        .with_untracked(|ps| preset::save(draft, existing, ps, reserved, || rt.new_id(), rt.now_ms()))
        .map_err(NotSaved::Problems)?;
    put_preset(state, saved.clone()).await.map_err(NotSaved::Store)?;
    Ok(saved)
}

/// Stores one of the person's assistants and shows it.
async fn put_preset(state: AppState, preset: Preset) -> Result<(), StoreError> {
    let db = store(state).ok_or(StoreError::Other("IndexedDB is not open".into()))?;
    db.put_preset(&preset).await?;
    state.session.presets.update(|ps| match ps.iter_mut().find(|p| p.id == preset.id) {
        Some(p) => *p = preset,
        None => ps.push(preset),
    });
    announce(state, Change::Presets);
    Ok(())
}

/// Stores a copy of `source` (built in or not) as one of the person's assistants, named by the view's
/// `copy_name` from `source_name` (see `core::preset::duplicate`), and returns it.
pub async fn duplicate_preset(
    state: AppState,
    source: &Preset,
    source_name: &str,
    copy_name: impl Fn(&str, u32) -> String,
) -> Result<Preset, StoreError> {
    let rt = BrowserRuntime::default();
    let copy = state
        .session
        .presets
        .with_untracked(|ps| preset::duplicate(source, source_name, copy_name, ps, rt.new_id(), rt.now_ms()));
    put_preset(state, copy.clone()).await?;
    Ok(copy)
}

/// Deletes one of the person's assistants. The store makes the chats that used it name none in the same
/// write, and so does this tab's list; they are Image Q&A from now on, and so are new chats if it was the
/// assistant chosen last.
pub async fn delete_preset(state: AppState, preset_id: String) -> Result<(), StoreError> {
    let db = store(state).ok_or(StoreError::Other("IndexedDB is not open".into()))?;
    db.delete_preset(&preset_id).await?;
    state.session.presets.update(|ps| ps.retain(|p| p.id != preset_id));
    state.session.chats.update(|cs| {
        for chat in cs.iter_mut().filter(|c| c.preset.as_deref() == Some(preset_id.as_str())) {
            chat.preset = None;
        }
    });
    if state.session.next_preset.get_untracked().as_deref() == Some(preset_id.as_str()) {
        crate::web::prefs::set_last_preset(None);
        state.session.next_preset.set(None);
    }
    announce(state, Change::Presets);
    Ok(())
}
