//! The one IndexedDB database (`boda`) behind [`Store`], through the `idb` crate.
//!
//! Records are the core's serde types stored as plain JS objects (so they read naturally in DevTools and in
//! tests); an image record also carries its model-ready pixels as a `Blob` under `blob`. Stores are keyed by
//! `id`, with a `chat_id` index where a record belongs to a chat. A message record also lists, under `refs`, the
//! ids its Context names ([`Message::context_refs`]), indexed, so deleting a chat, an image or a message finds
//! the answers that used it. Deleting deletes the records and, in the same transaction, makes those answers
//! forget it and takes it out of the stored search index. The search index and the vector indexes are plain
//! records of their own: a vector index is half-precision `ArrayBuffer` chunks plus an id map, per embedding
//! space (the vector memory removes a deleted item's vectors and saves them itself, moments later). The
//! person's assistants are records of `presets`; deleting one makes the chats that named it name none, in the
//! same transaction. Wardrobe items are records of their own with their Blob (see `wardrobe`). Schema changes
//! are numbered migrations in [`migrate`].

use crate::core::cost::AnswerCalls;
use crate::core::model::{Chat, ContextItem, ContextUse, ImageMeta, Message, Settings, Usage};
use crate::core::ports::{
    ChatRepo, ImageRepo, IndexRepo, MessageRepo, PresetRepo, SettingsRepo, StoreError, UsageRepo, VectorStore,
};
use crate::core::preset::Preset;
use crate::core::retrieval::half::to_normal_half;
use crate::core::retrieval::lexical::LexicalIndex;
use crate::core::retrieval::vector::VectorIndex;
use crate::core::search;
use idb::{Database, Factory, IndexParams, KeyPath, ObjectStoreParams, Query, TransactionMode};
use serde::{de::DeserializeOwned, Serialize};
use std::cell::Cell;
use std::future::IntoFuture;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Blob;

mod eval;
mod wardrobe;

pub const DB_NAME: &str = "boda";
/// The schema version this build writes. Bump it and add a step to [`migrate`] for every schema change.
/// 1: chats, messages, images, settings. 2: indexes (the stored search index). 3: vectors (vector indexes as
/// ArrayBuffer chunks plus an id map). 4: no new store; vector chunks hold half-precision values (see
/// [`migrate`]). 5: messages get the `refs` index (what their Context names), filled for the messages there.
/// 6: the evaluation's stores: test sets (one record per version), their images, runs and results.
/// 7: presets (the person's assistants), by id.
/// 8: the wardrobe (its items with their Blobs, and a unique index on their pictures' digest).
pub const DB_VERSION: u32 = 8;

pub const CHATS: &str = "chats";
pub const MESSAGES: &str = "messages";
pub const IMAGES: &str = "images";
pub const SETTINGS: &str = "settings";
pub const INDEXES: &str = "indexes";
pub const VECTORS: &str = "vectors";
/// One record per version of a test set, keyed by [`crate::core::eval::model::version_key`].
pub const TEST_SETS: &str = "test_sets";
/// The pixels of test cases' images (a Blob each), by id.
pub const EVAL_IMAGES: &str = "eval_images";
/// Evaluation runs, by id, with a `set_id` index.
pub const EVAL_RUNS: &str = "eval_runs";
/// One record per (run, configuration, case), keyed `key`, with a `run_id` index.
pub const EVAL_RESULTS: &str = "eval_results";
/// The person's assistants ([`crate::core::preset::Preset`]), by id; the built-in ones are not stored.
pub const PRESETS: &str = "presets";
/// Wardrobe items (a record and a Blob each), by id, with a unique `digest` index.
pub const WARDROBE: &str = "wardrobe";
/// The key of the lexical (BM25) search index in [`INDEXES`].
pub const LEXICAL_KEY: &str = "lexical";
const BY_CHAT: &str = "chat_id";
/// The field of a message record listing the ids its Context names, and the (multi-entry) index over it.
const REFS: &str = "refs";
const SETTINGS_KEY: &str = "settings";

#[derive(Clone)]
pub struct IdbStore {
    db: Rc<Database>,
    /// Set when another tab upgraded the schema; this tab's connection is then closed.
    outdated: Rc<Cell<bool>>,
}

fn store_error(e: idb::Error) -> StoreError {
    let text = e.to_string();
    if text.contains("QuotaExceeded") {
        StoreError::QuotaExceeded
    } else if text.contains("InvalidStateError") || text.contains("closing") {
        StoreError::VersionChanged
    } else {
        StoreError::Other(text)
    }
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, StoreError> {
    let json = serde_json::to_string(value).map_err(|e| StoreError::Other(e.to_string()))?;
    js_sys::JSON::parse(&json).map_err(|e| StoreError::Other(crate::web::describe_js_error(&e)))
}

fn from_js<T: DeserializeOwned>(value: &JsValue) -> Result<T, StoreError> {
    let json: String =
        js_sys::JSON::stringify(value).map_err(|e| StoreError::Other(crate::web::describe_js_error(&e)))?.into();
    serde_json::from_str(&json).map_err(|e| StoreError::Other(format!("a stored record could not be read: {e}")))
}

/// A message as stored: its serde form plus `refs`, the ids its Context names (absent when none, so the
/// message stays out of the index).
fn message_record(message: &Message) -> Result<JsValue, StoreError> {
    let v = to_js(message)?;
    set_refs(&v, &message.context_refs())?;
    Ok(v)
}

fn set_refs(record: &JsValue, refs: &[String]) -> Result<(), StoreError> {
    if refs.is_empty() {
        return Ok(());
    }
    let list: js_sys::Array = refs.iter().map(|r| JsValue::from_str(r)).collect();
    js_sys::Reflect::set(record, &REFS.into(), &list).map(|_| ()).map_err(|_| StoreError::Other("message".into()))
}

/// Applies the schema steps after `old_version` up to `new_version`. Step N turns a version N-1 database into
/// version N; steps never change data they do not create, so an upgrade keeps every record. `tx` is the
/// upgrade's own transaction.
fn migrate(db: &Database, tx: &idb::Transaction, old_version: u32, new_version: u32) -> Result<(), idb::Error> {
    let keyed = || {
        let mut p = ObjectStoreParams::new();
        p.key_path(Some(KeyPath::new_single("id")));
        p
    };
    if old_version < 1 && new_version >= 1 {
        db.create_object_store(CHATS, keyed())?;
        for name in [MESSAGES, IMAGES] {
            let store = db.create_object_store(name, keyed())?;
            store.create_index(BY_CHAT, KeyPath::new_single(BY_CHAT), Some(IndexParams::new()))?;
        }
        db.create_object_store(SETTINGS, keyed())?;
    }
    if old_version < 2 && new_version >= 2 {
        db.create_object_store(INDEXES, keyed())?;
    }
    if old_version < 3 && new_version >= 3 {
        db.create_object_store(VECTORS, keyed())?;
    }
    // Version 4 changes no store: vector chunks may now hold half-precision values (`half`), which builds before
    // it cannot read. The version change closes their connections (they ask to be reloaded), so an old tab never
    // rebuilds the memory over vectors it cannot read.
    if old_version < 5 && new_version >= 5 {
        let messages = tx.object_store(MESSAGES)?;
        let mut params = IndexParams::new();
        params.multi_entry(true);
        messages.create_index(REFS, KeyPath::new_single(REFS), Some(params))?;
        if old_version >= 1 {
            // The messages already there get their `refs`, within this transaction: the database opens only
            // once every one is written (or, should one fail, not at all, still at the old version).
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = fill_refs(&messages).await {
                    web_sys::console::error_1(&format!("Boda: database upgrade failed: {e}").into());
                    let _ = messages.transaction().abort();
                }
            });
        }
    }
    if old_version < 6 && new_version >= 6 {
        let by_key = || {
            let mut p = ObjectStoreParams::new();
            p.key_path(Some(KeyPath::new_single("key")));
            p
        };
        db.create_object_store(TEST_SETS, by_key())?.create_index(
            eval::BY_SET,
            KeyPath::new_single("id"),
            Some(IndexParams::new()),
        )?;
        db.create_object_store(EVAL_IMAGES, keyed())?.create_index(
            eval::BY_SET,
            KeyPath::new_single(eval::BY_SET),
            Some(IndexParams::new()),
        )?;
        db.create_object_store(EVAL_RUNS, keyed())?.create_index(
            eval::BY_SET,
            KeyPath::new_single(eval::BY_SET),
            Some(IndexParams::new()),
        )?;
        db.create_object_store(EVAL_RESULTS, by_key())?.create_index(
            eval::BY_RUN,
            KeyPath::new_single(eval::BY_RUN),
            Some(IndexParams::new()),
        )?;
    }
    if old_version < 7 && new_version >= 7 {
        db.create_object_store(PRESETS, keyed())?;
    }
    if old_version < 8 && new_version >= 8 {
        let mut unique = IndexParams::new();
        unique.unique(true);
        db.create_object_store(WARDROBE, keyed())?.create_index(
            wardrobe::BY_DIGEST,
            KeyPath::new_single(wardrobe::BY_DIGEST),
            Some(unique),
        )?;
    }
    Ok(())
}

/// Writes `refs` into every stored message whose Context names anything (migration 5).
async fn fill_refs(messages: &idb::ObjectStore) -> Result<(), StoreError> {
    let all = messages.get_all(None, None).map_err(store_error)?.await.map_err(store_error)?;
    for record in all {
        // A record this build cannot read is left as it is (it cannot be shown or used either).
        let Ok(message) = from_js::<Message>(&record) else { continue };
        let refs = message.context_refs();
        if refs.is_empty() {
            continue;
        }
        set_refs(&record, &refs)?;
        messages.put(&record, None).map_err(store_error)?.await.map_err(store_error)?;
    }
    Ok(())
}

impl IdbStore {
    /// Opens (creating or upgrading) the database.
    pub async fn open() -> Result<IdbStore, StoreError> {
        Self::open_named(DB_NAME).await
    }

    /// Opens a database of another name: tests use their own.
    pub async fn open_named(name: &str) -> Result<IdbStore, StoreError> {
        Self::open_at(name, DB_VERSION).await
    }

    /// Opens a database at an older schema version: tests make old databases to check upgrades.
    pub async fn open_at(name: &str, version: u32) -> Result<IdbStore, StoreError> {
        let factory = Factory::new().map_err(store_error)?;
        let mut request = factory.open(name, Some(version)).map_err(store_error)?;
        request.on_upgrade_needed(move |event| {
            use idb::DatabaseEvent;
            use idb::{Event, Request};
            let old = event.old_version().unwrap_or(0);
            let tx = event.target().ok().and_then(|request| request.transaction());
            if let (Ok(db), Some(tx)) = (event.database(), tx) {
                if let Err(e) = migrate(&db, &tx, old, version) {
                    web_sys::console::error_1(&format!("Boda: database upgrade failed: {e}").into());
                }
            }
        });
        let mut db = request.await.map_err(|e| {
            let s = store_error(e);
            if let StoreError::Other(text) = &s {
                if text.contains("VersionError") {
                    return StoreError::Other(
                        "this tab runs an older Boda than the data in this browser. Reload to update.".into(),
                    );
                }
            }
            s
        })?;
        let outdated = Rc::new(Cell::new(false));
        let flag = outdated.clone();
        db.on_version_change(move |event| {
            // A newer Boda in another tab wants to upgrade: step aside rather than block it.
            use idb::DatabaseEvent;
            flag.set(true);
            if let Ok(db) = event.database() {
                db.close();
            }
        });
        Ok(IdbStore { db: Rc::new(db), outdated })
    }

    /// The database's name.
    pub fn name(&self) -> String {
        self.db.name()
    }

    /// Closes the connection (tests reopen a database to upgrade it).
    pub fn close(&self) {
        self.db.close();
    }

    /// Whether another tab upgraded the database and this tab must reload.
    pub fn is_outdated(&self) -> bool {
        self.outdated.get()
    }

    fn tx(&self, stores: &[&str], mode: TransactionMode) -> Result<idb::Transaction, StoreError> {
        if self.outdated.get() {
            return Err(StoreError::VersionChanged);
        }
        self.db.transaction(stores, mode).map_err(store_error)
    }

    /// Waits for a transaction to commit. A browser that runs out of space usually says so only here: the
    /// transaction aborts with `QuotaExceededError` as its error, without an error event.
    async fn finish(tx: idb::Transaction) -> Result<(), StoreError> {
        let raw: web_sys::IdbTransaction = tx.into();
        let result = idb::Transaction::from(raw.clone()).await.map_err(store_error)?;
        if result.is_committed() {
            return Ok(());
        }
        Err(match raw.error() {
            Some(e) if e.name() == "QuotaExceededError" => StoreError::QuotaExceeded,
            Some(e) => StoreError::Other(format!("the change was rolled back ({}: {})", e.name(), e.message())),
            None => StoreError::Other("the change was rolled back".into()),
        })
    }

    async fn put_value(&self, store: &str, value: &JsValue) -> Result<(), StoreError> {
        let tx = self.tx(&[store], TransactionMode::ReadWrite)?;
        tx.object_store(store)
            .map_err(store_error)?
            .put(value, None)
            .map_err(store_error)?
            .await
            .map_err(store_error)?;
        Self::finish(tx).await
    }

    async fn get_value(&self, store: &str, key: &str) -> Result<Option<JsValue>, StoreError> {
        let tx = self.tx(&[store], TransactionMode::ReadOnly)?;
        let v = tx
            .object_store(store)
            .map_err(store_error)?
            .get(Query::from(JsValue::from_str(key)))
            .map_err(store_error)?
            .await
            .map_err(store_error)?;
        Ok(v)
    }

    async fn all_in_chat(&self, store: &str, chat_id: &str) -> Result<Vec<JsValue>, StoreError> {
        let tx = self.tx(&[store], TransactionMode::ReadOnly)?;
        let index = tx.object_store(store).map_err(store_error)?.index(BY_CHAT).map_err(store_error)?;
        index
            .get_all(Some(Query::from(JsValue::from_str(chat_id))), None)
            .map_err(store_error)?
            .await
            .map_err(store_error)
    }

    /// Whether `store` holds a record under `key`, within `tx` (reading the key only).
    async fn exists(tx: &idb::Transaction, store: &str, key: &str) -> Result<bool, StoreError> {
        let store = tx.object_store(store).map_err(store_error)?;
        let found = store.get_key(Query::from(JsValue::from_str(key))).map_err(store_error)?.await;
        Ok(found.map_err(store_error)?.is_some())
    }

    /// Makes every message whose Context names `id` forget it (`forget` says how), within `tx`.
    async fn forget_in_messages(
        tx: &idb::Transaction,
        id: &str,
        forget: impl Fn(&mut Message, &str) -> bool,
    ) -> Result<(), StoreError> {
        let store = tx.object_store(MESSAGES).map_err(store_error)?;
        let referring = store
            .index(REFS)
            .map_err(store_error)?
            .get_all(Some(Query::from(JsValue::from_str(id))), None)
            .map_err(store_error)?
            .await
            .map_err(store_error)?;
        for record in referring {
            let mut message: Message = from_js(&record)?;
            if forget(&mut message, id) {
                store.put(&message_record(&message)?, None).map_err(store_error)?.await.map_err(store_error)?;
            }
        }
        Ok(())
    }

    /// Takes documents out of the stored search index, within `tx`: `remove` says which. An index this build
    /// cannot read is deleted (it is rebuilt from the chats when next loaded), so nothing it holds survives.
    async fn forget_in_search_index(
        tx: &idb::Transaction,
        remove: impl FnOnce(&mut LexicalIndex) -> usize,
    ) -> Result<(), StoreError> {
        let store = tx.object_store(INDEXES).map_err(store_error)?;
        let key = || Query::from(JsValue::from_str(LEXICAL_KEY));
        let Some(record) = store.get(key()).map_err(store_error)?.await.map_err(store_error)? else {
            return Ok(());
        };
        let json = js_sys::Reflect::get(&record, &"json".into()).ok().and_then(|j| j.as_string());
        match json.as_deref().and_then(search::read_stored_index) {
            Some(mut index) => {
                if remove(&mut index) > 0 {
                    let record = lexical_record(&search::store_index(&index))?;
                    store.put(&record, None).map_err(store_error)?.await.map_err(store_error)?;
                }
            }
            None => store.delete(key()).map_err(store_error)?.await.map_err(store_error)?,
        }
        Ok(())
    }
}

impl IdbStore {
    /// Deletes a message or an image (from `store`) and, in the same transaction, makes the answers that used it
    /// forget it and takes it out of the stored search index.
    async fn delete_item(&self, store: &str, item_id: &str) -> Result<(), StoreError> {
        let stores: &[&str] = if store == MESSAGES { &[MESSAGES, INDEXES] } else { &[store, MESSAGES, INDEXES] };
        let tx = self.tx(stores, TransactionMode::ReadWrite)?;
        let key = Query::from(JsValue::from_str(item_id));
        tx.object_store(store).map_err(store_error)?.delete(key).map_err(store_error)?.await.map_err(store_error)?;
        Self::forget_in_messages(&tx, item_id, Message::forget_item_in_context).await?;
        Self::forget_in_search_index(&tx, |index| search::remove_item(index, item_id)).await?;
        Self::finish(tx).await
    }
}

fn lexical_record(json: &str) -> Result<JsValue, StoreError> {
    record(&[("id", &LEXICAL_KEY.into()), ("json", &json.into())])
}

impl SettingsRepo for IdbStore {
    async fn load_settings(&self) -> Result<Settings, StoreError> {
        match self.get_value(SETTINGS, SETTINGS_KEY).await? {
            Some(v) => from_js(&v),
            None => Ok(Settings::default()),
        }
    }

    async fn save_settings(&self, settings: &Settings) -> Result<(), StoreError> {
        let v = to_js(settings)?;
        js_sys::Reflect::set(&v, &"id".into(), &SETTINGS_KEY.into())
            .map_err(|_| StoreError::Other("settings".into()))?;
        self.put_value(SETTINGS, &v).await
    }
}

impl ChatRepo for IdbStore {
    async fn load_chats(&self) -> Result<Vec<Chat>, StoreError> {
        let tx = self.tx(&[CHATS], TransactionMode::ReadOnly)?;
        let values = tx
            .object_store(CHATS)
            .map_err(store_error)?
            .get_all(None, None)
            .map_err(store_error)?
            .await
            .map_err(store_error)?;
        let mut chats: Vec<Chat> = values.iter().map(from_js).collect::<Result<_, _>>()?;
        chats.sort_by(|a, b| b.updated_ms.total_cmp(&a.updated_ms));
        Ok(chats)
    }

    async fn put_chat(&self, chat: &Chat) -> Result<(), StoreError> {
        self.put_value(CHATS, &to_js(chat)?).await
    }

    async fn delete_chat(&self, chat_id: &str) -> Result<(), StoreError> {
        let tx = self.tx(&[CHATS, MESSAGES, IMAGES, INDEXES], TransactionMode::ReadWrite)?;
        let key = JsValue::from_str(chat_id);
        for name in [MESSAGES, IMAGES] {
            let store = tx.object_store(name).map_err(store_error)?;
            let keys = store
                .index(BY_CHAT)
                .map_err(store_error)?
                .get_all_keys(Some(Query::from(key.clone())), None)
                .map_err(store_error)?
                .await
                .map_err(store_error)?;
            for k in keys {
                store.delete(Query::from(k)).map_err(store_error)?.await.map_err(store_error)?;
            }
        }
        // Answers of other chats that recalled its messages keep only that they did.
        Self::forget_in_messages(&tx, chat_id, Message::forget_chat_in_context).await?;
        Self::forget_in_search_index(&tx, |index| search::remove_chat(index, chat_id)).await?;
        tx.object_store(CHATS)
            .map_err(store_error)?
            .delete(Query::from(key))
            .map_err(store_error)?
            .await
            .map_err(store_error)?;
        Self::finish(tx).await
    }
}

impl PresetRepo for IdbStore {
    async fn load_presets(&self) -> Result<Vec<Preset>, StoreError> {
        let tx = self.tx(&[PRESETS], TransactionMode::ReadOnly)?;
        let store = tx.object_store(PRESETS).map_err(store_error)?;
        let values = store.get_all(None, None).map_err(store_error)?.await.map_err(store_error)?;
        values.iter().map(from_js).collect()
    }

    async fn put_preset(&self, preset: &Preset) -> Result<(), StoreError> {
        self.put_value(PRESETS, &to_js(preset)?).await
    }

    async fn delete_preset(&self, preset_id: &str) -> Result<(), StoreError> {
        let tx = self.tx(&[PRESETS, CHATS], TransactionMode::ReadWrite)?;
        let key = Query::from(JsValue::from_str(preset_id));
        tx.object_store(PRESETS).map_err(store_error)?.delete(key).map_err(store_error)?.await.map_err(store_error)?;
        // The chats that named it name none. Their records are changed in place, so nothing else of them (a field
        // a newer build wrote) is lost; chats are few and small, so reading them all is cheap.
        let chats = tx.object_store(CHATS).map_err(store_error)?;
        for record in chats.get_all(None, None).map_err(store_error)?.await.map_err(store_error)? {
            let named = js_sys::Reflect::get(&record, &"preset".into()).ok().and_then(|p| p.as_string());
            if named.as_deref() == Some(preset_id) {
                let removed =
                    js_sys::Reflect::delete_property(record.unchecked_ref::<js_sys::Object>(), &"preset".into());
                removed.map_err(|_| StoreError::Other("chat".into()))?;
                chats.put(&record, None).map_err(store_error)?.await.map_err(store_error)?;
            }
        }
        Self::finish(tx).await
    }
}

impl MessageRepo for IdbStore {
    async fn load_messages(&self, chat_id: &str) -> Result<Vec<Message>, StoreError> {
        let values = self.all_in_chat(MESSAGES, chat_id).await?;
        let mut messages: Vec<Message> = values.iter().map(from_js).collect::<Result<_, _>>()?;
        crate::core::model::sort_messages(&mut messages);
        Ok(messages)
    }

    async fn put_message(&self, message: &Message) -> Result<(), StoreError> {
        if message.context_refs().is_empty() {
            return self.put_value(MESSAGES, &message_record(message)?).await;
        }
        // An answer that streamed while something it used was deleted must not bring its name back: what its
        // Context names is looked up in this transaction, and what is gone is forgotten before it is written.
        let tx = self.tx(&[CHATS, MESSAGES, IMAGES, WARDROBE], TransactionMode::ReadWrite)?;
        let mut message = message.clone();
        let items: Vec<ContextItem> = message.context.iter().filter(|i| i.gone.is_none()).cloned().collect();
        for item in items {
            // A wardrobe item belongs to no chat: only the item itself can be gone.
            if item.used == ContextUse::Wardrobe {
                if !Self::exists(&tx, WARDROBE, &item.id).await? {
                    message.forget_item_in_context(&item.id);
                }
                continue;
            }
            if item.chat_id != message.chat_id && !Self::exists(&tx, CHATS, &item.chat_id).await? {
                message.forget_chat_in_context(&item.chat_id);
                continue;
            }
            let store = if item.used == ContextUse::Recalled { MESSAGES } else { IMAGES };
            if !Self::exists(&tx, store, &item.id).await? {
                message.forget_item_in_context(&item.id);
            }
        }
        let store = tx.object_store(MESSAGES).map_err(store_error)?;
        store.put(&message_record(&message)?, None).map_err(store_error)?.await.map_err(store_error)?;
        Self::finish(tx).await
    }

    async fn delete_message(&self, message_id: &str) -> Result<(), StoreError> {
        self.delete_item(MESSAGES, message_id).await
    }
}

impl UsageRepo for IdbStore {
    async fn answer_usage(&self) -> Result<Vec<AnswerCalls>, StoreError> {
        let tx = self.tx(&[MESSAGES], TransactionMode::ReadOnly)?;
        let records = tx
            .object_store(MESSAGES)
            .map_err(store_error)?
            .get_all(None, None)
            .map_err(store_error)?
            .await
            .map_err(store_error)?;
        // A few fields of each record, read in place: no message is turned into JSON or parsed whole.
        let field = |v: &JsValue, name: &str| js_sys::Reflect::get(v, &name.into()).ok().filter(|f| !f.is_undefined());
        let number =
            |v: &JsValue, name: &str| field(v, name).and_then(|n| n.as_f64()).filter(|n| n.is_finite() && *n >= 0.0);
        let count = |v: &JsValue, name: &str| number(v, name).map_or(0, |n| n as u32);
        let usage = |v: &JsValue, name: &str| {
            field(v, name).filter(JsValue::is_object).map(|u| Usage {
                prompt_tokens: count(&u, "prompt_tokens"),
                completion_tokens: count(&u, "completion_tokens"),
                total_tokens: count(&u, "total_tokens"),
                cached_tokens: count(&u, "cached_tokens"),
            })
        };
        let mut out = Vec::new();
        for record in records {
            if field(&record, "role").and_then(|r| r.as_string()).as_deref() != Some("assistant") {
                continue;
            }
            let search = field(&record, "search").filter(JsValue::is_object);
            out.push(AnswerCalls {
                model: field(&record, "model").and_then(|m| m.as_string()),
                usage: usage(&record, "usage"),
                plan_model: search.as_ref().and_then(|s| field(s, "plan_model")).and_then(|m| m.as_string()),
                plan_usage: search.as_ref().and_then(|s| usage(s, "plan_usage")),
                credits: search.as_ref().and_then(|s| number(s, "credits")).unwrap_or(0.0),
            });
        }
        Ok(out)
    }
}

impl ImageRepo for IdbStore {
    type Blob = Blob;

    async fn load_images(&self, chat_id: &str) -> Result<Vec<ImageMeta>, StoreError> {
        let values = self.all_in_chat(IMAGES, chat_id).await?;
        let mut images: Vec<ImageMeta> = values.iter().map(from_js).collect::<Result<_, _>>()?;
        images.sort_by(|a, b| a.created_ms.total_cmp(&b.created_ms).then_with(|| a.id.cmp(&b.id)));
        Ok(images)
    }

    async fn load_images_with_blobs(&self, chat_id: &str) -> Result<Vec<(ImageMeta, Blob)>, StoreError> {
        let values = self.all_in_chat(IMAGES, chat_id).await?;
        let mut images = Vec::with_capacity(values.len());
        for v in &values {
            let meta: ImageMeta = from_js(v)?;
            let blob = js_sys::Reflect::get(v, &"blob".into()).ok().and_then(|b| b.dyn_into::<Blob>().ok());
            // A record without pixels is left out, as a missing Blob was before.
            if let Some(blob) = blob {
                images.push((meta, blob));
            }
        }
        images.sort_by(|(a, _), (b, _)| a.created_ms.total_cmp(&b.created_ms).then_with(|| a.id.cmp(&b.id)));
        Ok(images)
    }

    async fn put_image(&self, meta: &ImageMeta, blob: &Blob) -> Result<(), StoreError> {
        let v = to_js(meta)?;
        js_sys::Reflect::set(&v, &"blob".into(), blob).map_err(|_| StoreError::Other("image".into()))?;
        self.put_value(IMAGES, &v).await
    }

    async fn image_blob(&self, image_id: &str) -> Result<Option<Blob>, StoreError> {
        let Some(v) = self.get_value(IMAGES, image_id).await? else { return Ok(None) };
        let blob = js_sys::Reflect::get(&v, &"blob".into()).map_err(|_| StoreError::Other("image".into()))?;
        Ok(blob.dyn_into::<Blob>().ok())
    }

    async fn update_image_meta(&self, meta: &ImageMeta) -> Result<bool, StoreError> {
        let tx = self.tx(&[IMAGES], TransactionMode::ReadWrite)?;
        let store = tx.object_store(IMAGES).map_err(store_error)?;
        let key = Query::from(JsValue::from_str(&meta.id));
        let Some(existing) = store.get(key).map_err(store_error)?.await.map_err(store_error)? else {
            Self::finish(tx).await?;
            return Ok(false);
        };
        let blob = js_sys::Reflect::get(&existing, &"blob".into()).map_err(|_| StoreError::Other("image".into()))?;
        let v = to_js(meta)?;
        js_sys::Reflect::set(&v, &"blob".into(), &blob).map_err(|_| StoreError::Other("image".into()))?;
        store.put(&v, None).map_err(store_error)?.await.map_err(store_error)?;
        Self::finish(tx).await?;
        Ok(true)
    }

    async fn delete_image(&self, image_id: &str) -> Result<(), StoreError> {
        self.delete_item(IMAGES, image_id).await
    }
}

impl IndexRepo for IdbStore {
    async fn item_ids(&self) -> Result<Vec<String>, StoreError> {
        let tx = self.tx(&[MESSAGES, IMAGES, WARDROBE], TransactionMode::ReadOnly)?;
        let mut ids = Vec::new();
        for store in [MESSAGES, IMAGES, WARDROBE] {
            let keys = tx.object_store(store).map_err(store_error)?.get_all_keys(None, None);
            ids.extend(keys.map_err(store_error)?.await.map_err(store_error)?.iter().filter_map(JsValue::as_string));
        }
        Ok(ids)
    }

    async fn load_message(&self, message_id: &str) -> Result<Option<Message>, StoreError> {
        self.get_value(MESSAGES, message_id).await?.map(|v| from_js(&v)).transpose()
    }

    async fn load_image(&self, image_id: &str) -> Result<Option<ImageMeta>, StoreError> {
        self.get_value(IMAGES, image_id).await?.map(|v| from_js(&v)).transpose()
    }

    async fn load_search_index(&self) -> Result<Option<String>, StoreError> {
        let Some(v) = self.get_value(INDEXES, LEXICAL_KEY).await? else { return Ok(None) };
        Ok(js_sys::Reflect::get(&v, &"json".into()).ok().and_then(|j| j.as_string()))
    }

    async fn save_search_index(&self, json: &str) -> Result<(), StoreError> {
        self.put_value(INDEXES, &lexical_record(json)?).await
    }
}

fn ids_key(space: &str) -> String {
    format!("{space}/ids")
}

fn chunk_key(space: &str, i: usize) -> String {
    format!("{space}/chunk/{i}")
}

/// A plain record of the given fields, for the stores whose records are not serde types.
fn record(fields: &[(&str, &JsValue)]) -> Result<JsValue, StoreError> {
    let v = js_sys::Object::new();
    for (name, value) in fields {
        js_sys::Reflect::set(&v, &(*name).into(), value).map_err(|_| StoreError::Other(format!("field {name}")))?;
    }
    Ok(v.into())
}

/// The strings of an array field. They cross from JavaScript joined into one string, split here: 100k ids of
/// the app's length took 140-200 ms in Chromium one by one, 33-54 ms so. One by one only if a string holds the
/// separator. (Non-strings, which the app never writes, come through as JavaScript's join spells them.)
fn strings(v: &JsValue, field: &str) -> Vec<String> {
    let Ok(a) = js_sys::Reflect::get(v, &field.into()) else { return Vec::new() };
    let array = js_sys::Array::from(&a);
    if array.length() == 0 {
        return Vec::new();
    }
    let joined = String::from(array.join("\n"));
    let parts: Vec<String> = joined.split('\n').map(str::to_owned).collect();
    if parts.len() == array.length() as usize {
        parts
    } else {
        array.iter().filter_map(|s| s.as_string()).collect()
    }
}

/// Read-only transactions a load spreads its chunk reads over. Measured in Chromium: reading chunks one at a
/// time gets about 300 MB/s out of IndexedDB, asking for all of them at once about 500 MB/s, and spreading
/// them over four transactions a little more; eight gain nothing.
const PARALLEL_READS: usize = 4;

/// Chunks written per transaction: Chromium fails a single transaction of hundreds of megabytes ("Failed
/// to write blobs"), so a large index is written 8 chunks (24 MB at 1536 dimensions) at a time, the id map
/// last. A save that fails midway marks the whole index to be written again.
const CHUNKS_PER_TRANSACTION: usize = 8;

impl IdbStore {
    async fn write_vector_chunks(
        &self,
        space: &str,
        index: &VectorIndex,
        chunks: &[usize],
        ids_dirty: bool,
    ) -> Result<(), StoreError> {
        let mut groups: Vec<&[usize]> = chunks.chunks(CHUNKS_PER_TRANSACTION).collect();
        if groups.is_empty() {
            groups.push(&[]);
        }
        let last = groups.len() - 1;
        for (g, group) in groups.into_iter().enumerate() {
            let tx = self.tx(&[VECTORS], TransactionMode::ReadWrite)?;
            let store = tx.object_store(VECTORS).map_err(store_error)?;
            for &i in group {
                let key = chunk_key(space, i);
                if i < index.chunk_count() {
                    let buffer = js_sys::Uint16Array::from(index.chunk(i)).buffer();
                    let chunk = record(&[("id", &key.into()), ("half", &buffer)])?;
                    store.put(&chunk, None).map_err(store_error)?.await.map_err(store_error)?;
                } else {
                    let key = Query::from(JsValue::from_str(&key));
                    store.delete(key).map_err(store_error)?.await.map_err(store_error)?;
                }
            }
            if g == last && ids_dirty {
                let list = |v: &[String]| v.iter().map(|s| JsValue::from_str(s)).collect::<js_sys::Array>();
                let map = record(&[
                    ("id", &ids_key(space).into()),
                    ("dims", &(index.dims() as f64).into()),
                    ("ids", &list(index.ids())),
                    ("tags", &list(index.tags())),
                ])?;
                store.put(&map, None).map_err(store_error)?.await.map_err(store_error)?;
            }
            Self::finish(tx).await?;
        }
        Ok(())
    }
}

impl VectorStore for IdbStore {
    async fn load_vectors(&self, space: &str, dims: usize) -> Result<VectorIndex, StoreError> {
        let map_tx = self.tx(&[VECTORS], TransactionMode::ReadOnly)?;
        let store = map_tx.object_store(VECTORS).map_err(store_error)?;
        let map_key = Query::from(JsValue::from_str(&ids_key(space)));
        let Some(map) = store.get(map_key).map_err(store_error)?.await.map_err(store_error)? else {
            return Ok(VectorIndex::new(dims));
        };
        // The stored size wins: it is what the vectors were made with.
        let dims =
            js_sys::Reflect::get(&map, &"dims".into()).ok().and_then(|d| d.as_f64()).map_or(dims, |d| d as usize);
        let listed = js_sys::Reflect::get(&map, &"ids".into()).map_or(0, |a| js_sys::Array::from(&a).length() as usize);
        let chunk = crate::core::retrieval::vector::CHUNK;
        let count = listed.div_ceil(chunk);
        // Every chunk is asked for at once, spread over a few read-only transactions of their own, before anything
        // else is done, so IndexedDB reads them in parallel. (Vector writers take the memory's Web Lock, so no
        // write can land between the id map's transaction and these.)
        let mut stores = Vec::new();
        // The transactions stay referenced until every read has arrived.
        let mut txs = Vec::new();
        for _ in 0..PARALLEL_READS.min(count.max(1)) {
            let tx = self.tx(&[VECTORS], TransactionMode::ReadOnly)?;
            stores.push(tx.object_store(VECTORS).map_err(store_error)?);
            txs.push(tx);
        }
        let mut pending = Vec::with_capacity(count);
        for i in 0..count {
            let key = Query::from(JsValue::from_str(&chunk_key(space, i)));
            pending.push(stores[i % stores.len()].get(key).map_err(store_error)?.into_future());
        }
        let ids = strings(&map, "ids");
        let tags = strings(&map, "tags");
        let stored = ids.len();
        // The id-to-slot map and the memory are made ready before the first chunk arrives (250-450 ms after the
        // requests here), each chunk is then copied once, straight into the index's memory. IndexedDB hands
        // over no chunk while this thread is busy (a 400 ms busy wait after the requests made plain JavaScript's
        // read of the same records 300-970 ms slower), so all of this adds to the load's time.
        let loader = if stored == listed {
            VectorIndex::loader(dims, ids, tags).map_err(|e| StoreError::Other(e.to_string()))
        } else {
            Err(StoreError::Other("the stored vector index has a damaged id map".into()))
        };
        let mut full_precision = false;
        let mut reads = pending.into_iter().enumerate();
        let outcome = 'read: {
            let mut loader = match loader {
                Ok(loader) => loader,
                Err(e) => break 'read Err(e),
            };
            for (i, read) in reads.by_ref() {
                let record = match read.await {
                    Ok(record) => record,
                    Err(e) => break 'read Err(store_error(e)),
                };
                let field = |name: &str| {
                    record
                        .as_ref()
                        .and_then(|r| js_sys::Reflect::get(r, &name.into()).ok())
                        .filter(|d| d.is_instance_of::<js_sys::ArrayBuffer>())
                };
                let expect = (stored - i * chunk).min(chunk) * dims;
                let damaged = StoreError::Other(format!("the stored vector index has a damaged chunk {i}"));
                let added = if let Some(buffer) = field("half") {
                    let values = js_sys::Uint16Array::new(&buffer);
                    if values.length() as usize != expect {
                        break 'read Err(damaged);
                    }
                    loader.fill(expect, |spare| values.copy_to_uninit(spare))
                } else if let Some(buffer) = field("data") {
                    // Written before vectors were stored at half precision: rounded now, rewritten at the next
                    // save.
                    let values = js_sys::Float32Array::new(&buffer);
                    if values.length() as usize != expect {
                        break 'read Err(damaged);
                    }
                    full_precision = true;
                    loader.push(&values.to_vec().into_iter().map(to_normal_half).collect::<Vec<u16>>())
                } else {
                    break 'read Err(StoreError::Other(format!("the stored vector index is missing chunk {i}")));
                };
                if let Err(e) = added {
                    break 'read Err(StoreError::Other(e.to_string()));
                }
            }
            loader.finish().map_err(|e| StoreError::Other(e.to_string()))
        };
        if outcome.is_err() {
            // Let the reads still in flight finish: dropping them early leaves IndexedDB calling dropped callbacks.
            for (_, read) in reads {
                let _ = read.await;
            }
        }
        let mut index = outcome?;
        if full_precision {
            index.mark_all_dirty(&[]);
        }
        Ok(index)
    }

    async fn save_vectors(&self, space: &str, index: &mut VectorIndex) -> Result<(), StoreError> {
        let (chunks, ids_dirty) = index.take_dirty();
        let result = self.write_vector_chunks(space, index, &chunks, ids_dirty).await;
        if result.is_err() {
            index.mark_all_dirty(&chunks);
        }
        result
    }

    async fn delete_other_spaces(&self, keep: &str) -> Result<usize, StoreError> {
        let tx = self.tx(&[VECTORS], TransactionMode::ReadWrite)?;
        let store = tx.object_store(VECTORS).map_err(store_error)?;
        let keys = store.get_all_keys(None, None).map_err(store_error)?.await.map_err(store_error)?;
        // Keys are "{space}/...", and no space is empty: `keep` = "" keeps none.
        let prefix = format!("{keep}/");
        let mut deleted = 0;
        for key in keys {
            if key.as_string().is_some_and(|k| !k.starts_with(&prefix)) {
                store.delete(Query::from(key)).map_err(store_error)?.await.map_err(store_error)?;
                deleted += 1;
            }
        }
        Self::finish(tx).await?;
        Ok(deleted)
    }
}
