//! The wardrobe's records in the same database (schema version 8): one record per item, its serde form plus
//! its picture as a `Blob` under `blob`, keyed by `id`, with a unique index on `digest` so that a picture is
//! kept once (the check and the write are one transaction, so two tabs cannot both add it).
//!
//! Deleting an item deletes its record and Blob and, in the same transaction, makes every answer that carried
//! it forget it (found through the messages' `refs` index) and takes it out of the stored search index; its
//! vectors go with the vector memory's next save, as a removed image's do. Nothing here ranks or captions.

use super::{from_js, store_error, to_js, IdbStore, WARDROBE};
use crate::core::model::Message;
use crate::core::ports::{Kept, StoreError, WardrobeRepo, WardrobeSource};
use crate::core::search;
use crate::core::wardrobe::{sort_items, WardrobeItem};
use crate::web::runtime::sleep_ms;
use idb::{KeyRange, Query, TransactionMode};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Blob;

/// The index (and field) of an item's picture digest.
pub(super) const BY_DIGEST: &str = "digest";

/// Records read per transaction when every item is read. IndexedDB hands a read's records over in one task and
/// they are turned into items in that same task: read all at once, 5,000 items held the page for half a second
/// in Chromium. In batches of this many (another tab's change between two batches shows with its announcement)
/// no task is long. Each batch crosses into Rust as one JSON text: record by record, 5,000 items took 740 ms to
/// read, as one text a batch 420 ms (the benchmark's figures, in fresh memory).
const READ_BATCH: u32 = 250;

/// An item as stored: its serde form and its Blob.
fn item_record(item: &WardrobeItem, blob: &JsValue) -> Result<JsValue, StoreError> {
    let v = to_js(item)?;
    js_sys::Reflect::set(&v, &"blob".into(), blob).map_err(|_| StoreError::Other("wardrobe item".into()))?;
    Ok(v)
}

fn blob_of(record: &JsValue) -> Option<Blob> {
    js_sys::Reflect::get(record, &"blob".into()).ok().and_then(|b| b.dyn_into::<Blob>().ok())
}

impl WardrobeSource for IdbStore {
    type Blob = Blob;

    async fn wardrobe_ids(&self) -> Result<Vec<String>, StoreError> {
        let tx = self.tx(&[WARDROBE], TransactionMode::ReadOnly)?;
        let keys = tx.object_store(WARDROBE).map_err(store_error)?.get_all_keys(None, None);
        Ok(keys.map_err(store_error)?.await.map_err(store_error)?.iter().filter_map(JsValue::as_string).collect())
    }

    async fn wardrobe_item(&self, item_id: &str) -> Result<Option<(WardrobeItem, Blob)>, StoreError> {
        let Some(record) = self.get_value(WARDROBE, item_id).await? else { return Ok(None) };
        // A record without pixels is left out, as an image's is.
        let Some(blob) = blob_of(&record) else { return Ok(None) };
        Ok(Some((from_js(&record)?, blob)))
    }
}

impl WardrobeRepo for IdbStore {
    async fn load_wardrobe(&self) -> Result<Vec<WardrobeItem>, StoreError> {
        let mut items = Vec::new();
        let mut after: Option<JsValue> = None;
        loop {
            let tx = self.tx(&[WARDROBE], TransactionMode::ReadOnly)?;
            let store = tx.object_store(WARDROBE).map_err(store_error)?;
            let range = match &after {
                Some(key) => Some(Query::from(KeyRange::lower_bound(key, Some(true)).map_err(store_error)?)),
                None => None,
            };
            let values = store.get_all(range, Some(READ_BATCH)).map_err(store_error)?.await.map_err(store_error)?;
            // One JSON text for the whole batch crosses into Rust, not one per record.
            let batch: js_sys::Array = values.iter().collect();
            items.extend(from_js::<Vec<WardrobeItem>>(&batch)?);
            if values.len() < READ_BATCH as usize {
                break;
            }
            after = values.last().and_then(|v| js_sys::Reflect::get(v, &"id".into()).ok());
            // The page draws and answers between batches.
            sleep_ms(0).await;
        }
        sort_items(&mut items);
        Ok(items)
    }

    async fn put_wardrobe_item(&self, item: &WardrobeItem, blob: &Blob) -> Result<Kept, StoreError> {
        let tx = self.tx(&[WARDROBE], TransactionMode::ReadWrite)?;
        let store = tx.object_store(WARDROBE).map_err(store_error)?;
        let by_digest = store.index(BY_DIGEST).map_err(store_error)?;
        let found = by_digest.get(Query::from(JsValue::from_str(&item.digest))).map_err(store_error)?;
        if let Some(existing) = found.await.map_err(store_error)? {
            Self::finish(tx).await?;
            return Ok(Kept::Already(Box::new(from_js(&existing)?)));
        }
        store.put(&item_record(item, blob)?, None).map_err(store_error)?.await.map_err(store_error)?;
        Self::finish(tx).await?;
        Ok(Kept::Added)
    }

    async fn update_wardrobe_item(&self, item: &WardrobeItem) -> Result<bool, StoreError> {
        let tx = self.tx(&[WARDROBE], TransactionMode::ReadWrite)?;
        let store = tx.object_store(WARDROBE).map_err(store_error)?;
        let key = Query::from(JsValue::from_str(&item.id));
        let Some(existing) = store.get(key).map_err(store_error)?.await.map_err(store_error)? else {
            Self::finish(tx).await?;
            return Ok(false);
        };
        let blob = js_sys::Reflect::get(&existing, &"blob".into()).map_err(|_| StoreError::Other("wardrobe".into()))?;
        store.put(&item_record(item, &blob)?, None).map_err(store_error)?.await.map_err(store_error)?;
        Self::finish(tx).await?;
        Ok(true)
    }

    async fn delete_wardrobe_item(&self, item_id: &str) -> Result<(), StoreError> {
        let tx = self.tx(&[WARDROBE, super::MESSAGES, super::INDEXES], TransactionMode::ReadWrite)?;
        let key = Query::from(JsValue::from_str(item_id));
        tx.object_store(WARDROBE).map_err(store_error)?.delete(key).map_err(store_error)?.await.map_err(store_error)?;
        Self::forget_in_messages(&tx, item_id, Message::forget_item_in_context).await?;
        Self::forget_in_search_index(&tx, |index| search::remove_item(index, item_id)).await?;
        Self::finish(tx).await
    }
}
