//! The evaluation's records in the same database: test set versions, their images, runs and results
//! (schema version 6).
//!
//! A test set version is its serde form plus `key` ([`version_key`]); its images are records of their own
//! (`id`, `set_id`, `blob`) that every version of the set shares. A result is its serde form plus `key`
//! ([`CaseResult::key`]). Deleting a set deletes its versions, its images, its runs and their results, in one
//! transaction; nothing of it is left.

use super::{from_js, record, store_error, to_js, IdbStore, EVAL_IMAGES, EVAL_RESULTS, EVAL_RUNS, TEST_SETS};
use crate::core::eval::model::{version_key, TestSet};
use crate::core::eval::run::{CaseResult, Run};
use crate::core::ports::{RunRepo, StoreError, TestSetRepo};
use idb::{Query, TransactionMode};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Blob;

/// The index (and field) naming a record's test set.
pub(super) const BY_SET: &str = "set_id";
/// The index (and field) naming a result's run.
pub(super) const BY_RUN: &str = "run_id";

fn with_key(value: JsValue, key: &str) -> Result<JsValue, StoreError> {
    js_sys::Reflect::set(&value, &"key".into(), &key.into()).map_err(|_| StoreError::Other("record key".into()))?;
    Ok(value)
}

fn result_record(result: &CaseResult) -> Result<JsValue, StoreError> {
    with_key(to_js(result)?, &result.key())
}

/// The primary keys of the records of `store` whose `index` holds `value`, within `tx`.
async fn keys_in(tx: &idb::Transaction, store: &str, index: &str, value: &str) -> Result<Vec<JsValue>, StoreError> {
    let store = tx.object_store(store).map_err(store_error)?;
    store
        .index(index)
        .map_err(store_error)?
        .get_all_keys(Some(Query::from(JsValue::from_str(value))), None)
        .map_err(store_error)?
        .await
        .map_err(store_error)
}

async fn delete_keys(tx: &idb::Transaction, store: &str, keys: Vec<JsValue>) -> Result<(), StoreError> {
    let store = tx.object_store(store).map_err(store_error)?;
    for k in keys {
        store.delete(Query::from(k)).map_err(store_error)?.await.map_err(store_error)?;
    }
    Ok(())
}

/// Deletes a run's results and the run itself, within `tx`.
async fn delete_run_in(tx: &idb::Transaction, run_id: &str) -> Result<(), StoreError> {
    let results = keys_in(tx, EVAL_RESULTS, BY_RUN, run_id).await?;
    delete_keys(tx, EVAL_RESULTS, results).await?;
    delete_keys(tx, EVAL_RUNS, vec![JsValue::from_str(run_id)]).await
}

async fn all<T: serde::de::DeserializeOwned>(db: &IdbStore, store: &str) -> Result<Vec<T>, StoreError> {
    let tx = db.tx(&[store], TransactionMode::ReadOnly)?;
    let values = tx
        .object_store(store)
        .map_err(store_error)?
        .get_all(None, None)
        .map_err(store_error)?
        .await
        .map_err(store_error)?;
    values.iter().map(from_js).collect()
}

impl TestSetRepo for IdbStore {
    type Blob = Blob;

    async fn load_test_sets(&self) -> Result<Vec<TestSet>, StoreError> {
        all(self, TEST_SETS).await
    }

    async fn load_test_set(&self, set_id: &str, version: u32) -> Result<Option<TestSet>, StoreError> {
        self.get_value(TEST_SETS, &version_key(set_id, version)).await?.map(|v| from_js(&v)).transpose()
    }

    async fn put_test_set(&self, set: &TestSet, new_images: &[(String, Blob)]) -> Result<(), StoreError> {
        let tx = self.tx(&[TEST_SETS, EVAL_IMAGES], TransactionMode::ReadWrite)?;
        let images = tx.object_store(EVAL_IMAGES).map_err(store_error)?;
        for (id, blob) in new_images {
            let v = record(&[("id", &id.into()), (BY_SET, &set.id.as_str().into()), ("blob", blob)])?;
            images.put(&v, None).map_err(store_error)?.await.map_err(store_error)?;
        }
        let sets = tx.object_store(TEST_SETS).map_err(store_error)?;
        sets.put(&with_key(to_js(set)?, &set.key())?, None).map_err(store_error)?.await.map_err(store_error)?;
        Self::finish(tx).await
    }

    async fn eval_image(&self, image_id: &str) -> Result<Option<Blob>, StoreError> {
        let Some(v) = self.get_value(EVAL_IMAGES, image_id).await? else { return Ok(None) };
        let blob = js_sys::Reflect::get(&v, &"blob".into()).map_err(|_| StoreError::Other("image".into()))?;
        Ok(blob.dyn_into::<Blob>().ok())
    }

    async fn delete_test_set(&self, set_id: &str) -> Result<(), StoreError> {
        let tx = self.tx(&[TEST_SETS, EVAL_IMAGES, EVAL_RUNS, EVAL_RESULTS], TransactionMode::ReadWrite)?;
        for store in [TEST_SETS, EVAL_IMAGES] {
            let keys = keys_in(&tx, store, BY_SET, set_id).await?;
            delete_keys(&tx, store, keys).await?;
        }
        for run in keys_in(&tx, EVAL_RUNS, BY_SET, set_id).await? {
            if let Some(id) = run.as_string() {
                delete_run_in(&tx, &id).await?;
            }
        }
        Self::finish(tx).await
    }
}

impl RunRepo for IdbStore {
    async fn load_runs(&self) -> Result<Vec<Run>, StoreError> {
        let mut runs: Vec<Run> = all(self, EVAL_RUNS).await?;
        runs.sort_by(|a, b| b.created_ms.total_cmp(&a.created_ms));
        Ok(runs)
    }

    async fn put_run(&self, run: &Run) -> Result<(), StoreError> {
        self.put_value(EVAL_RUNS, &to_js(run)?).await
    }

    async fn load_results(&self, run_id: &str) -> Result<Vec<CaseResult>, StoreError> {
        let tx = self.tx(&[EVAL_RESULTS], TransactionMode::ReadOnly)?;
        let values = tx
            .object_store(EVAL_RESULTS)
            .map_err(store_error)?
            .index(BY_RUN)
            .map_err(store_error)?
            .get_all(Some(Query::from(JsValue::from_str(run_id))), None)
            .map_err(store_error)?
            .await
            .map_err(store_error)?;
        values.iter().map(from_js).collect()
    }

    async fn put_result(&self, result: &CaseResult) -> Result<(), StoreError> {
        self.put_value(EVAL_RESULTS, &result_record(result)?).await
    }

    async fn put_run_with_results(&self, run: &Run, results: &[CaseResult]) -> Result<(), StoreError> {
        let tx = self.tx(&[EVAL_RUNS, EVAL_RESULTS], TransactionMode::ReadWrite)?;
        let store = tx.object_store(EVAL_RESULTS).map_err(store_error)?;
        for r in results {
            store.put(&result_record(r)?, None).map_err(store_error)?.await.map_err(store_error)?;
        }
        let runs = tx.object_store(EVAL_RUNS).map_err(store_error)?;
        runs.put(&to_js(run)?, None).map_err(store_error)?.await.map_err(store_error)?;
        Self::finish(tx).await
    }

    async fn delete_run(&self, run_id: &str) -> Result<(), StoreError> {
        let tx = self.tx(&[EVAL_RUNS, EVAL_RESULTS], TransactionMode::ReadWrite)?;
        delete_run_in(&tx, run_id).await?;
        Self::finish(tx).await
    }
}
