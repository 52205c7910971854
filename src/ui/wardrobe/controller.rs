//! What the wardrobe's buttons do: "Add to wardrobe" under a chat's image, and on the Wardrobe page an item's
//! caption and tags, "Describe again", Delete, and how many items a question takes. Each reads the state,
//! calls the core ([`crate::core::wardrobe`]) and the store, keeps the search index and the vector memory in
//! step (an item is found by its name, caption and tags), and tells other tabs. What it has to say goes out as
//! the core's kinds (notices, alerts). Ranking items for a question is the pipeline's, not this module's.

use crate::core::client::complete;
use crate::core::model::Settings;
use crate::core::notice::{Alert, Notice};
use crate::core::ports::{ImageRepo, Runtime, SettingsRepo, StoreError, WardrobeRepo, WardrobeSource};
use crate::core::prompt::{caption_request, PromptImage};
use crate::core::search;
use crate::core::wardrobe::{self, Added, WardrobeItem};
use crate::ui::controller::{announce, caption_language, forget_on_screen, make_unfindable, update_search};
use crate::ui::memory;
use crate::ui::state::{store, AppState};
use crate::web::files::blob_bytes;
use crate::web::http::FetchTransport;
use crate::web::runtime::BrowserRuntime;
use crate::web::tabs::Change;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Why the number of items per question was not saved.
#[derive(Debug, Clone, PartialEq)]
pub enum PerQuestionProblem {
    /// What was typed is not a whole number of 0 or more.
    NotACount(String),
    Store(StoreError),
}

fn not_open() -> StoreError {
    StoreError::Other("IndexedDB is not open".into())
}

/// Lets retrieval and the memory find an item by its name, caption and tags.
fn make_findable(state: AppState, item: &WardrobeItem) {
    update_search(state, |s| s.upsert(&search::wardrobe_doc(&item.id), &wardrobe::text(item)));
    memory::remember_wardrobe(state, item);
}

/// Shows an item as it is now (added or changed) in the list, once the list has been read.
fn show(state: AppState, item: WardrobeItem) {
    if !state.wardrobe.loaded.get_untracked() {
        return;
    }
    state.wardrobe.items.update(|items| match items.iter_mut().find(|i| i.id == item.id) {
        Some(shown) => *shown = item,
        None => {
            items.push(item);
            wardrobe::sort_items(items);
        }
    });
}

/// Reads every item for the Wardrobe page, once.
pub fn load(state: AppState) {
    if state.wardrobe.loaded.get_untracked() {
        return;
    }
    spawn_local(reload(state));
}

/// Reads the items again when another tab changed them, if this tab has read them (else the page reads them
/// when it first opens).
pub async fn refresh(state: AppState) {
    if state.wardrobe.loaded.get_untracked() {
        reload(state).await;
    }
}

async fn reload(state: AppState) {
    let Some(db) = store(state) else { return };
    match db.load_wardrobe().await {
        Ok(items) => {
            state.wardrobe.items.set(items);
            state.wardrobe.loaded.set(true);
        }
        Err(e) => state.notices.alert(Alert::Store(e)),
    }
}

/// "Add to wardrobe" under an image of the open chat: a copy of its record and pixels becomes an item (the
/// same picture is kept once), findable at once by its name and caption; one without a caption gets one
/// written. The status line says which happened.
pub fn add_image(state: AppState, image_id: String) {
    let Some(meta) =
        state.session.images.with_untracked(|v| v.iter().find(|i| i.meta.id == image_id).map(|i| i.meta.clone()))
    else {
        return;
    };
    spawn_local(async move {
        let Some(db) = store(state) else { return };
        let blob = match db.image_blob(&meta.id).await {
            Ok(Some(blob)) => blob,
            // Removed meanwhile: nothing to keep.
            Ok(None) => return,
            Err(e) => return state.notices.alert(Alert::Store(e)),
        };
        let bytes = match blob_bytes(&blob).await {
            Ok(bytes) => bytes,
            Err(detail) => return state.notices.alert(Alert::ImageUnreadable { name: meta.name.clone(), detail }),
        };
        let rt = BrowserRuntime::default();
        match wardrobe::keep(&db, &meta, &blob, &bytes, rt.new_id(), rt.now_ms()).await {
            Ok(Added::New(item)) => {
                make_findable(state, &item);
                show(state, item.clone());
                announce(state, Change::Wardrobe);
                state.notices.notify(Notice::WardrobeAdded { name: item.name.clone() });
                if item.caption.is_none() {
                    describe(state, item);
                }
            }
            Ok(Added::Already(kept)) => {
                state.notices.notify(Notice::WardrobeAlready { name: meta.name.clone(), kept: kept.name })
            }
            Err(e) => state.notices.alert(Alert::Store(e)),
        }
    });
}

/// Stores an item as edited (its caption or tags), unless it was deleted meanwhile.
fn save(state: AppState, item: WardrobeItem) {
    spawn_local(async move {
        let Some(db) = store(state) else { return };
        match db.update_wardrobe_item(&item).await {
            Ok(true) => {
                make_findable(state, &item);
                show(state, item);
                announce(state, Change::Wardrobe);
            }
            Ok(false) => {}
            Err(e) => state.notices.alert(Alert::Store(e)),
        }
    });
}

fn shown(state: AppState, item_id: &str) -> Option<WardrobeItem> {
    state.wardrobe.items.with_untracked(|v| v.iter().find(|i| i.id == item_id).cloned())
}

/// The caption the person wrote or corrected (an empty one removes it).
pub fn edit_caption(state: AppState, item_id: String, text: String) {
    if let Some(item) = shown(state, &item_id).and_then(|i| i.with_caption(&text)) {
        save(state, item);
    }
}

/// The tags as typed, separated by commas.
pub fn edit_tags(state: AppState, item_id: String, text: String) {
    if let Some(item) = shown(state, &item_id).and_then(|i| i.with_tags(&text)) {
        save(state, item);
    }
}

/// Deletes an item everywhere: its record and picture, its words in the search index, its vector, and its
/// name in the Context of every answer that carried it (here, in the store and in other tabs).
pub fn delete(state: AppState, item_id: String) {
    spawn_local(async move {
        let Some(db) = store(state) else { return };
        if let Err(e) = db.delete_wardrobe_item(&item_id).await {
            return state.notices.alert(Alert::Store(e));
        }
        state.wardrobe.items.update(|v| v.retain(|i| i.id != item_id));
        forget_on_screen(state, |m| m.forget_item_in_context(&item_id), |_| false);
        make_unfindable(state, &item_id);
        announce(state, Change::Removed(item_id));
    });
}

/// "Describe again" on the Wardrobe page: a fresh caption from the model, replacing the current one.
pub fn describe_again(state: AppState, item_id: String) {
    let Some(item) = shown(state, &item_id) else { return };
    if !state.session.settings.with_untracked(Settings::has_key) {
        state.notices.alert(Alert::CaptionNeedsKey);
        return;
    }
    describe(state, item);
}

/// Describes every item that has no caption: run once a new key or server passes the key check, so items kept
/// before there was one can be found by what they show.
pub async fn describe_uncaptioned(state: AppState) {
    let Some(db) = store(state) else { return };
    for item in db.load_wardrobe().await.unwrap_or_default().into_iter().filter(|i| i.caption.is_none()) {
        describe(state, item);
    }
}

/// Asks the vision model for an item's caption, unless there is no key or it is being asked already.
fn describe(state: AppState, item: WardrobeItem) {
    let settings = state.session.settings.get_untracked();
    if !settings.has_key() || state.wardrobe.describing.with_untracked(|d| d.contains(&item.id)) {
        return;
    }
    state.wardrobe.describing.update(|d| d.push(item.id.clone()));
    spawn_local(async move {
        let id = item.id.clone();
        if let Err(alert) = write_caption(state, &settings, item).await {
            state.notices.alert(alert);
        }
        state.wardrobe.describing.update(|d| d.retain(|x| *x != id));
    });
}

/// Writes an item's caption as a chat image's is written (the same request), keeping one the person wrote
/// while the model was at work.
async fn write_caption(state: AppState, settings: &Settings, item: WardrobeItem) -> Result<(), Alert> {
    let db = store(state).ok_or(Alert::Store(not_open()))?;
    let Some((_, blob)) = db.wardrobe_item(&item.id).await.map_err(Alert::Store)? else { return Ok(()) };
    let bytes = blob_bytes(&blob).await.map_err(|detail| Alert::ImageUnreadable { name: item.name.clone(), detail })?;
    let image = PromptImage { name: &item.name, mime: &item.mime, bytes: &bytes, caption: None, attached: true };
    let request = caption_request(&settings.model, &image, caption_language(state, settings));
    let text = complete(&FetchTransport::new(None), &BrowserRuntime::default(), settings, &request)
        .await
        .map_err(|e| Alert::CaptionFailed { name: item.name.clone(), error: e.redacted(&settings.api_key) })?;
    let Some((now, _)) = db.wardrobe_item(&item.id).await.map_err(Alert::Store)? else { return Ok(()) };
    if now.caption != item.caption {
        state.notices.notify(Notice::KeptCaption { name: item.name.clone() });
        return Ok(());
    }
    let written = WardrobeItem { caption: Some(text), caption_model: Some(settings.model.clone()), ..now };
    if db.update_wardrobe_item(&written).await.map_err(Alert::Store)? {
        make_findable(state, &written);
        show(state, written);
        announce(state, Change::Wardrobe);
    }
    Ok(())
}

/// Saves how many wardrobe items a question takes at most (Settings' `wardrobe_items`).
pub async fn set_per_question(state: AppState, text: String) -> Result<(), PerQuestionProblem> {
    let typed = text.trim();
    let count = match typed {
        "" => wardrobe::DEFAULT_ITEMS,
        _ => typed.parse().map_err(|_| PerQuestionProblem::NotACount(typed.to_owned()))?,
    };
    let db = store(state).ok_or(PerQuestionProblem::Store(not_open()))?;
    let settings = Settings { wardrobe_items: count, ..state.session.settings.get_untracked() };
    db.save_settings(&settings).await.map_err(PerQuestionProblem::Store)?;
    state.session.settings.set(settings);
    announce(state, Change::Settings);
    Ok(())
}
