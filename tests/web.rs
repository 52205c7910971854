//! Browser adapter tests: IndexedDB, image decoding and re-encoding, and streamed fetch, in headless Chromium.
//! Run by scripts/test as `cargo test --target wasm32-unknown-unknown --test web`.
#![cfg(target_arch = "wasm32")]

use boda::core::client::stream_chat;
use boda::core::cost::{AnswerCalls, PriceTable};
use boda::core::eval::model::{Case, CaseImage, ReferenceMode, TestSet};
use boda::core::eval::run::{CaseResult, Run, RunState};
use boda::core::eval::schedule::JobKey;
use boda::core::image_plan::{FileKind, Refusal};
use boda::core::model::{Chat, ContextItem, ContextUse, Gone, ImageMeta, Message, Role, Settings, Usage};
use boda::core::notice::FileProblem;
use boda::core::openai::{ChatMessage, ChatRequest, StreamOptions, UserContent};
use boda::core::ports::{ChatRepo, ImageRepo, IndexRepo, MessageRepo, Runtime, SettingsRepo, StoreError};
use boda::core::ports::{Kept, PresetRepo, RunRepo, TestSetRepo, UsageRepo, WardrobeRepo, WardrobeSource};
use boda::core::preset::{self, Preset};
use boda::core::retrieval::lexical::LexicalIndex;
use boda::core::search;
use boda::core::wardrobe::{self, Added, WardrobeItem};
use boda::web::files::{blob_bytes, prepare_image};
use boda::web::http::FetchTransport;
use boda::web::idb_store::{IdbStore, DB_VERSION};
use boda::web::runtime::{new_uuid, BrowserRuntime};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{Blob, BlobPropertyBag, File, ImageEncodeOptions, OffscreenCanvas, OffscreenCanvasRenderingContext2d};

wasm_bindgen_test_configure!(run_in_browser);

async fn fresh_store() -> IdbStore {
    IdbStore::open_named(&format!("boda-test-{}", new_uuid())).await.expect("the database opens")
}

fn message(id: &str, chat: &str, t: f64) -> Message {
    Message::new(id.into(), chat.into(), Role::User, format!("message {id}"), t)
}

fn blob_of(bytes: &[u8], mime: &str) -> Blob {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    Blob::new_with_u8_array_sequence_and_options(&parts, &options).unwrap()
}

fn meta(id: &str, chat: &str, blob: &Blob) -> ImageMeta {
    ImageMeta {
        id: id.into(),
        chat_id: chat.into(),
        name: format!("{id}.jpg"),
        mime: blob.type_(),
        bytes: blob.size() as u64,
        width: 2,
        height: 2,
        original_mime: "image/jpeg".into(),
        original_bytes: 10,
        original_width: 2,
        original_height: 2,
        created_ms: 1.0,
        caption: None,
        caption_model: None,
    }
}

#[wasm_bindgen_test]
async fn settings_and_chats_round_trip() {
    let db = fresh_store().await;
    assert_eq!(db.load_settings().await.unwrap(), Settings::default());
    let s = Settings { api_key: "sk-test-x".into(), model: "gpt-4o".into(), ..Settings::default() };
    db.save_settings(&s).await.unwrap();
    assert_eq!(db.load_settings().await.unwrap(), s);
    let mut a = Chat::new("a".into(), 1.0);
    let b = Chat::new("b".into(), 2.0);
    db.put_chat(&a).await.unwrap();
    db.put_chat(&b).await.unwrap();
    a.updated_ms = 3.0;
    a.title = "Renamed".into();
    db.put_chat(&a).await.unwrap();
    let chats = db.load_chats().await.unwrap();
    assert_eq!(chats.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["a", "b"], "most recent first");
    assert_eq!(chats[0].title, "Renamed");
}

#[wasm_bindgen_test]
async fn a_blob_survives_the_round_trip_and_is_gone_after_delete() {
    let db = fresh_store().await;
    let bytes: Vec<u8> = (0..=255).cycle().take(10_000).collect();
    let blob = blob_of(&bytes, "image/jpeg");
    db.put_image(&meta("img1", "c1", &blob), &blob).await.unwrap();
    let back = db.image_blob("img1").await.unwrap().expect("stored");
    assert_eq!(back.type_(), "image/jpeg");
    assert_eq!(blob_bytes(&back).await.unwrap(), bytes);
    assert_eq!(db.load_images("c1").await.unwrap()[0].name, "img1.jpg");
    let with_blobs = db.load_images_with_blobs("c1").await.unwrap();
    assert_eq!(with_blobs[0].0.name, "img1.jpg");
    assert_eq!(blob_bytes(&with_blobs[0].1).await.unwrap(), bytes);
    // A caption is written into the record without touching the Blob.
    let mut m = meta("img1", "c1", &blob);
    m.caption = Some("A gradient.".into());
    assert!(db.update_image_meta(&m).await.unwrap());
    assert_eq!(db.load_images("c1").await.unwrap()[0].caption.as_deref(), Some("A gradient."));
    assert_eq!(blob_bytes(&db.image_blob("img1").await.unwrap().unwrap()).await.unwrap(), bytes);
    db.delete_image("img1").await.unwrap();
    assert!(db.image_blob("img1").await.unwrap().is_none());
    assert!(db.load_images("c1").await.unwrap().is_empty());
    // A caption arriving after the image was removed does not bring it back.
    assert!(!db.update_image_meta(&m).await.unwrap());
    assert!(db.load_images("c1").await.unwrap().is_empty());
}

#[wasm_bindgen_test]
async fn deleting_a_chat_deletes_its_messages_and_images_only() {
    let db = fresh_store().await;
    for chat in ["keep", "drop"] {
        db.put_chat(&Chat::new(chat.into(), 1.0)).await.unwrap();
        for i in 0..3 {
            db.put_message(&message(&format!("{chat}-m{i}"), chat, i as f64)).await.unwrap();
        }
        let blob = blob_of(b"pixels", "image/webp");
        db.put_image(&meta(&format!("{chat}-img"), chat, &blob), &blob).await.unwrap();
    }
    db.delete_chat("drop").await.unwrap();
    assert!(db.load_messages("drop").await.unwrap().is_empty());
    assert!(db.load_images("drop").await.unwrap().is_empty());
    assert!(db.image_blob("drop-img").await.unwrap().is_none());
    assert_eq!(db.load_messages("keep").await.unwrap().len(), 3);
    assert_eq!(db.load_images("keep").await.unwrap().len(), 1);
    assert_eq!(db.load_chats().await.unwrap().len(), 1);
}

fn item(used: ContextUse, id: &str, chat: &str, label: &str, from_chat: Option<&str>) -> ContextItem {
    ContextItem {
        used,
        id: id.into(),
        chat_id: chat.into(),
        label: label.into(),
        from_chat: from_chat.map(str::to_owned),
        similarity: Some(0.5),
        words: Some(2.5),
        gone: None,
    }
}

fn answer_context() -> Vec<ContextItem> {
    vec![
        item(ContextUse::Attached, "img-a", "a", "zanzibar.jpg", None),
        item(ContextUse::Recalled, "b-q", "b", "Nabi loves tuna", Some("Tuna")),
    ]
}

/// Chat "a" with an image and an answer that used it and recalled a message of chat "b" (titled "Tuna"), whose
/// own answer recalled that message too; a stored search index holding all of it.
async fn chats_that_refer_to_each_other(db: &IdbStore) {
    for (chat, title) in [("a", "Ferries"), ("b", "Tuna")] {
        db.put_chat(&Chat { title: title.into(), ..Chat::new(chat.into(), 1.0) }).await.unwrap();
    }
    let blob = blob_of(b"pixels", "image/jpeg");
    let mut image = meta("img-a", "a", &blob);
    image.name = "zanzibar.jpg".into();
    db.put_image(&image, &blob).await.unwrap();
    let recalled = Message::new("b-q".into(), "b".into(), Role::User, "Nabi loves tuna".into(), 1.0);
    db.put_message(&recalled).await.unwrap();
    let answer = Message {
        context: answer_context(),
        ..Message::new("a-ans".into(), "a".into(), Role::Assistant, "An answer.".into(), 2.0)
    };
    db.put_message(&answer).await.unwrap();
    let own = Message {
        context: vec![item(ContextUse::Recalled, "b-q", "b", "Nabi loves tuna", None)],
        ..Message::new("b-ans".into(), "b".into(), Role::Assistant, "Tuna.".into(), 2.0)
    };
    db.put_message(&own).await.unwrap();
    let mut index = LexicalIndex::new();
    search::index_image(&mut index, &image);
    for m in [&recalled, &answer, &own] {
        search::index_message(&mut index, m);
    }
    db.save_search_index(&search::store_index(&index)).await.unwrap();
}

async fn the_answer(db: &IdbStore) -> Message {
    db.load_message("a-ans").await.unwrap().expect("the answer is kept")
}

#[wasm_bindgen_test]
async fn deleting_a_chat_makes_answers_of_other_chats_forget_it() {
    let db = fresh_store().await;
    chats_that_refer_to_each_other(&db).await;
    db.delete_chat("b").await.unwrap();
    let answer = the_answer(&db).await;
    assert_eq!(answer.context[0].label, "zanzibar.jpg", "what is of its own chat stays");
    let gone = &answer.context[1];
    assert_eq!((gone.used, gone.gone), (ContextUse::Recalled, Some(Gone::Chat)));
    assert_eq!((gone.id.as_str(), gone.chat_id.as_str(), gone.label.as_str()), ("", "", ""));
    assert_eq!((gone.from_chat.as_ref(), gone.similarity, gone.words), (None, None, None));
    let record = raw_record(&db.name(), "messages", "a-ans").await;
    let json: String = js_sys::JSON::stringify(&record).unwrap().into();
    assert!(!json.contains("tuna") && !json.contains("Tuna") && !json.contains("b-q"), "{json}");
    assert!(!json.contains("\"b\""), "no chat id of it in the refs either: {json}");
    let stored = db.load_search_index().await.unwrap().unwrap();
    assert!(!stored.contains("tuna") && !stored.contains("b-q") && !stored.contains(":b:"), "{stored}");
    assert!(stored.contains("a-ans") && stored.contains("zanzibar"));
    // An answer that was still streaming meanwhile, stored as it began, forgets it as it is written.
    let late = Message { id: "a-late".into(), context: answer_context(), ..the_answer(&db).await };
    db.put_message(&late).await.unwrap();
    let stored = db.load_message("a-late").await.unwrap().unwrap();
    assert_eq!(stored.context[0], late.context[0]);
    assert_eq!((stored.context[1].gone, stored.context[1].label.as_str()), (Some(Gone::Chat), ""));
}

#[wasm_bindgen_test]
async fn removing_an_image_makes_its_answers_forget_it() {
    let db = fresh_store().await;
    chats_that_refer_to_each_other(&db).await;
    db.delete_image("img-a").await.unwrap();
    let answer = the_answer(&db).await;
    let gone = &answer.context[0];
    db.put_message(&Message { id: "a-late".into(), context: answer_context(), ..answer.clone() }).await.unwrap();
    assert_eq!(db.load_message("a-late").await.unwrap().unwrap().context[0].gone, Some(Gone::Item));
    assert_eq!(
        (gone.used, gone.gone, gone.label.as_str(), gone.id.as_str()),
        (ContextUse::Attached, Some(Gone::Item), "", "")
    );
    assert_eq!(answer.context[1].label, "Nabi loves tuna");
    let json: String = js_sys::JSON::stringify(&raw_record(&db.name(), "messages", "a-ans").await).unwrap().into();
    assert!(!json.contains("zanzibar") && !json.contains("img-a"), "{json}");
    let stored = db.load_search_index().await.unwrap().unwrap();
    assert!(!stored.contains("zanzibar") && !stored.contains("img-a"), "{stored}");
    // Deleting a message does the same for the answers that recalled it.
    db.delete_message("b-q").await.unwrap();
    let answer = the_answer(&db).await;
    assert_eq!((answer.context[1].gone, answer.context[1].label.as_str()), (Some(Gone::Item), ""));
    assert_eq!(db.load_message("b-ans").await.unwrap().unwrap().context[0].gone, Some(Gone::Item));
    assert!(!db.load_search_index().await.unwrap().unwrap().contains("b-q"));
}

#[wasm_bindgen_test]
async fn an_unreadable_search_index_goes_with_a_deletion() {
    let db = fresh_store().await;
    chats_that_refer_to_each_other(&db).await;
    db.save_search_index("{\"docs\":[{\"id\":\"m:b:b-q\",\"terms\":[[\"tuna\",1]]}]}").await.unwrap();
    db.delete_chat("b").await.unwrap();
    assert_eq!(db.load_search_index().await.unwrap(), None, "rebuilt from the chats when next loaded");
}

#[wasm_bindgen_test]
async fn messages_come_back_in_conversation_order_and_can_be_deleted() {
    let db = fresh_store().await;
    for (id, t) in [("c", 3.0), ("a", 1.0), ("b", 2.0)] {
        db.put_message(&message(id, "chat", t)).await.unwrap();
    }
    let ids: Vec<String> = db.load_messages("chat").await.unwrap().into_iter().map(|m| m.id).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    db.delete_message("b").await.unwrap();
    assert_eq!(db.load_messages("chat").await.unwrap().len(), 2);
}

#[wasm_bindgen_test]
async fn a_new_database_is_at_the_current_schema_version() {
    let name = format!("boda-test-{}", new_uuid());
    let _db = IdbStore::open_named(&name).await.unwrap();
    // Open the same database again without a version: it must report the version the migrations reached.
    let factory = idb::Factory::new().unwrap();
    let db = factory.open(&name, None).unwrap().await.unwrap();
    assert_eq!(db.version().unwrap(), DB_VERSION);
    let mut stores = db.store_names();
    stores.sort();
    assert_eq!(
        stores,
        [
            "chats",
            "eval_images",
            "eval_results",
            "eval_runs",
            "images",
            "indexes",
            "messages",
            "presets",
            "settings",
            "test_sets",
            "vectors",
            "wardrobe"
        ]
    );
    let tx = db.transaction(&["messages"], idb::TransactionMode::ReadOnly).unwrap();
    let mut indexes = tx.object_store("messages").unwrap().index_names();
    indexes.sort();
    assert_eq!(indexes, ["chat_id", "refs"]);
    assert!(tx.object_store("messages").unwrap().index("refs").unwrap().multi_entry());
    let tx = db.transaction(&["wardrobe"], idb::TransactionMode::ReadOnly).unwrap();
    assert!(tx.object_store("wardrobe").unwrap().index("digest").unwrap().unique(), "a picture is kept once");
}

#[wasm_bindgen_test]
async fn a_version_1_database_upgrades_to_the_current_schema_keeping_every_record() {
    let name = format!("boda-test-{}", new_uuid());
    let v1 = IdbStore::open_at(&name, 1).await.unwrap();
    v1.put_chat(&Chat::new("c".into(), 1.0)).await.unwrap();
    v1.put_message(&message("m", "c", 1.0)).await.unwrap();
    let blob = blob_of(b"pixels", "image/jpeg");
    v1.put_image(&meta("i", "c", &blob), &blob).await.unwrap();
    v1.close();
    let now = IdbStore::open_named(&name).await.unwrap();
    assert_eq!(now.load_chats().await.unwrap().len(), 1);
    assert_eq!(now.load_messages("c").await.unwrap()[0].content, "message m");
    assert_eq!(blob_bytes(&now.image_blob("i").await.unwrap().unwrap()).await.unwrap(), b"pixels");
    assert_eq!(now.load_search_index().await.unwrap(), None);
    now.save_search_index("{\"docs\":[]}").await.unwrap();
    assert_eq!(now.load_search_index().await.unwrap().as_deref(), Some("{\"docs\":[]}"));
}

#[wasm_bindgen_test]
async fn a_version_4_database_upgrades_keeping_its_messages_and_indexing_what_their_context_names() {
    let name = format!("boda-test-{}", new_uuid());
    let v4 = IdbStore::open_at(&name, 4).await.unwrap();
    v4.put_chat(&Chat::new("a".into(), 1.0)).await.unwrap();
    v4.put_chat(&Chat::new("b".into(), 1.0)).await.unwrap();
    v4.close();
    // Records as version 4 wrote them: no `refs`.
    let answer = Message {
        context: vec![item(ContextUse::Recalled, "b-q", "b", "Nabi loves tuna", Some("Tuna"))],
        ..Message::new("a-ans".into(), "a".into(), Role::Assistant, "An answer.".into(), 2.0)
    };
    let plain = Message::new("a-q".into(), "a".into(), Role::User, "A question.".into(), 1.0);
    for m in [&answer, &plain] {
        let record = js_sys::JSON::parse(&serde_json::to_string(m).unwrap()).unwrap();
        put_raw(&name, "messages", &record).await;
    }
    let now = IdbStore::open_named(&name).await.unwrap();
    let messages = now.load_messages("a").await.unwrap();
    assert_eq!(messages, [plain, answer.clone()], "every message is kept as it was");
    let refs = js_sys::Reflect::get(&raw_record(&name, "messages", "a-ans").await, &"refs".into()).unwrap();
    assert_eq!(js_sys::Array::from(&refs).iter().filter_map(|r| r.as_string()).collect::<Vec<_>>(), ["b", "b-q"]);
    assert!(js_sys::Reflect::get(&raw_record(&name, "messages", "a-q").await, &"refs".into()).unwrap().is_undefined());
    // So deleting the chat it recalled from finds it.
    now.delete_chat("b").await.unwrap();
    assert_eq!(now.load_message("a-ans").await.unwrap().unwrap().context[0].gone, Some(Gone::Chat));
}

/// A one-case test set of the given version, whose case uses the images `ids`.
fn test_set(id: &str, version: u32, ids: &[&str]) -> TestSet {
    let images = ids
        .iter()
        .map(|i| CaseImage {
            id: (*i).into(),
            name: format!("{i}.png"),
            mime: "image/png".into(),
            width: 2,
            height: 2,
            caption: None,
            relevant: false,
        })
        .collect();
    TestSet {
        id: id.into(),
        version,
        name: format!("Set {id}"),
        created_ms: f64::from(version),
        sample: false,
        cases: vec![Case {
            id: "case".into(),
            question: "두 사진의 공통점이 뭐야?".into(),
            reference: "둘 다 동물이에요.".into(),
            mode: ReferenceMode::All,
            tags: Vec::new(),
            images,
        }],
    }
}

fn run_of(id: &str, set_id: &str) -> Run {
    Run {
        id: id.into(),
        set_id: set_id.into(),
        set_version: 1,
        set_name: "Set".into(),
        configs: Vec::new(),
        judge_model: "gpt-4.1".into(),
        judge_prompt_version: "v".into(),
        prices: PriceTable::defaults(),
        credit_usd: 0.008,
        concurrency: 2,
        created_ms: 1.0,
        state: RunState::Running,
        finished_ms: None,
        pairwise: Vec::new(),
    }
}

#[wasm_bindgen_test]
async fn a_version_5_database_upgrades_to_hold_test_sets_and_runs_keeping_its_chats() {
    let name = format!("boda-test-{}", new_uuid());
    let v5 = IdbStore::open_at(&name, 5).await.unwrap();
    v5.put_chat(&Chat::new("c".into(), 1.0)).await.unwrap();
    v5.put_message(&message("m", "c", 1.0)).await.unwrap();
    v5.close();
    let now = IdbStore::open_named(&name).await.unwrap();
    assert_eq!(now.load_chats().await.unwrap()[0].id, "c");
    assert_eq!(now.load_messages("c").await.unwrap().len(), 1);
    assert!(now.load_test_sets().await.unwrap().is_empty());
    now.put_test_set(&test_set("s", 1, &["a"]), &[("a".into(), blob_of(b"png a", "image/png"))]).await.unwrap();
    assert_eq!(now.load_test_sets().await.unwrap().len(), 1);
}

fn own_preset(id: &str, name: &str) -> Preset {
    Preset {
        id: id.into(),
        name: name.into(),
        builtin: None,
        system_prompt: format!("You are {name}, a tailor."),
        model: Some("gpt-4o".into()),
        web_search: true,
        wardrobe: false,
        created_ms: 1.0,
        updated_ms: 2.0,
    }
}

#[wasm_bindgen_test]
async fn a_version_6_database_upgrades_to_hold_presets_keeping_its_chats_and_messages() {
    let name = format!("boda-test-{}", new_uuid());
    let v6 = IdbStore::open_at(&name, 6).await.unwrap();
    v6.put_chat(&Chat { title: "Cats".into(), ..Chat::new("c".into(), 1.0) }).await.unwrap();
    v6.put_message(&message("m", "c", 1.0)).await.unwrap();
    v6.put_test_set(&test_set("s", 1, &["a"]), &[("a".into(), blob_of(b"png a", "image/png"))]).await.unwrap();
    v6.close();
    let now = IdbStore::open_named(&name).await.unwrap();
    let chats = now.load_chats().await.unwrap();
    assert_eq!((chats.len(), chats[0].title.as_str(), chats[0].preset.as_deref()), (1, "Cats", None));
    assert_eq!(preset::resolve(&[], chats[0].preset.as_deref()).id, preset::IMAGE_QA_ID, "an old chat is Image Q&A");
    assert_eq!(now.load_messages("c").await.unwrap(), [message("m", "c", 1.0)]);
    assert_eq!(now.load_test_sets().await.unwrap().len(), 1);
    assert!(now.load_presets().await.unwrap().is_empty());
    now.put_preset(&own_preset("p", "Pip")).await.unwrap();
    assert_eq!(now.load_presets().await.unwrap(), [own_preset("p", "Pip")]);
}

#[wasm_bindgen_test]
async fn deleting_a_preset_makes_the_chats_that_named_it_name_none_and_leaves_the_others() {
    let db = fresh_store().await;
    db.put_preset(&own_preset("p", "Pip")).await.unwrap();
    db.put_preset(&own_preset("q", "Quill")).await.unwrap();
    // Edited in place: one record per preset.
    db.put_preset(&Preset { name: "Pippa".into(), ..own_preset("p", "Pip") }).await.unwrap();
    let names = |ps: Vec<Preset>| {
        let mut n: Vec<String> = ps.into_iter().map(|p| p.name).collect();
        n.sort();
        n
    };
    assert_eq!(names(db.load_presets().await.unwrap()), ["Pippa", "Quill"]);
    let with = |id: &str, preset: Option<&str>| Chat { preset: preset.map(str::to_owned), ..Chat::new(id.into(), 1.0) };
    for chat in [with("a", Some("p")), with("b", Some("q")), with("c", Some("style-advisor")), with("d", None)] {
        db.put_chat(&chat).await.unwrap();
    }
    db.delete_preset("p").await.unwrap();
    assert_eq!(names(db.load_presets().await.unwrap()), ["Quill"]);
    let mut chats: Vec<(String, Option<String>)> =
        db.load_chats().await.unwrap().into_iter().map(|c| (c.id, c.preset)).collect();
    chats.sort();
    let expected = [("a", None), ("b", Some("q")), ("c", Some("style-advisor")), ("d", None)]
        .map(|(id, p): (&str, Option<&str>)| (id.to_owned(), p.map(str::to_owned)));
    assert_eq!(chats, expected);
    assert!(js_sys::Reflect::get(&raw_record(&db.name(), "chats", "a").await, &"preset".into())
        .unwrap()
        .is_undefined());
}

/// A wardrobe item copied from `image`, whose picture is `blob`.
async fn keep(db: &IdbStore, image: &ImageMeta, blob: &Blob, id: &str) -> Added {
    let bytes = blob_bytes(blob).await.unwrap();
    wardrobe::keep(db, image, blob, &bytes, id.into(), 5.0).await.unwrap()
}

#[wasm_bindgen_test]
async fn a_version_7_database_upgrades_to_hold_the_wardrobe_keeping_its_chats_images_and_answers() {
    let name = format!("boda-test-{}", new_uuid());
    let v7 = IdbStore::open_at(&name, 7).await.unwrap();
    for chat in ["a", "b"] {
        v7.put_chat(&Chat { preset: Some("p".into()), ..Chat::new(chat.into(), 1.0) }).await.unwrap();
    }
    v7.put_preset(&own_preset("p", "Pip")).await.unwrap();
    let blob = blob_of(b"pixels", "image/jpeg");
    v7.put_image(&meta("img-a", "a", &blob), &blob).await.unwrap();
    v7.put_message(&message("b-q", "b", 1.0)).await.unwrap();
    v7.save_search_index("{\"format\":1,\"index\":{\"docs\":[]}}").await.unwrap();
    v7.close();
    // An answer as version 7 wrote it, with the `refs` its Context names.
    let answer = Message {
        context: answer_context(),
        ..Message::new("a-ans".into(), "a".into(), Role::Assistant, "An answer.".into(), 2.0)
    };
    let record = js_sys::JSON::parse(&serde_json::to_string(&answer).unwrap()).unwrap();
    let refs: js_sys::Array = answer.context_refs().iter().map(|r| JsValue::from_str(r)).collect();
    js_sys::Reflect::set(&record, &"refs".into(), &refs).unwrap();
    put_raw(&name, "messages", &record).await;

    let now = IdbStore::open_named(&name).await.unwrap();
    let chats = now.load_chats().await.unwrap();
    assert_eq!(chats.len(), 2);
    assert!(chats.iter().all(|c| c.preset.as_deref() == Some("p")), "chats keep their assistant");
    assert_eq!(now.load_presets().await.unwrap(), [own_preset("p", "Pip")]);
    assert_eq!(now.load_message("a-ans").await.unwrap(), Some(answer), "answers keep their Context");
    assert_eq!(now.load_messages("b").await.unwrap()[0].content, "message b-q");
    assert_eq!(blob_bytes(&now.image_blob("img-a").await.unwrap().unwrap()).await.unwrap(), b"pixels");
    assert!(now.load_search_index().await.unwrap().unwrap().contains("\"format\":1"));
    assert!(now.load_wardrobe().await.unwrap().is_empty() && now.wardrobe_ids().await.unwrap().is_empty());
    // The upgraded database holds wardrobe items, and what version 7 stored still works as it did.
    let image = now.load_images("a").await.unwrap().remove(0);
    assert!(matches!(keep(&now, &image, &blob, "w1").await, Added::New(_)));
    assert_eq!(now.wardrobe_ids().await.unwrap(), ["w1"]);
    now.delete_image("img-a").await.unwrap();
    assert_eq!(now.load_message("a-ans").await.unwrap().unwrap().context[0].gone, Some(Gone::Item));
    assert!(now.wardrobe_item("w1").await.unwrap().is_some(), "the item is a copy");
}

#[wasm_bindgen_test]
async fn a_wardrobe_item_is_a_copy_that_outlives_its_chat_and_is_kept_once() {
    let db = fresh_store().await;
    chats_that_refer_to_each_other(&db).await;
    let mut image = db.load_images("a").await.unwrap().remove(0);
    image.caption = Some("A ferry at dusk.".into());
    image.caption_model = Some("gpt-4o-mini".into());
    let blob = db.image_blob("img-a").await.unwrap().unwrap();
    let Added::New(item) = keep(&db, &image, &blob, "w1").await else { panic!("a new item") };
    // The same picture again, from the same image or a copy of it in another chat: the item there.
    assert_eq!(keep(&db, &image, &blob, "w2").await, Added::Already(item.clone()));
    let copy = blob_of(b"pixels", "image/jpeg");
    let twin = ImageMeta { id: "img-b".into(), chat_id: "b".into(), ..image.clone() };
    assert_eq!(keep(&db, &twin, &copy, "w3").await, Added::Already(item.clone()));
    assert_eq!(db.wardrobe_ids().await.unwrap(), ["w1"]);
    // The chat goes; the item stays, pixels and caption.
    db.delete_chat("a").await.unwrap();
    let (kept, pixels) = db.wardrobe_item("w1").await.unwrap().expect("still there");
    assert_eq!(kept, item);
    assert_eq!(kept.caption.as_deref(), Some("A ferry at dusk."));
    assert_eq!(blob_bytes(&pixels).await.unwrap(), b"pixels");
    // Edits keep the picture; an edit of an item deleted meanwhile writes nothing.
    let tagged = kept.with_tags("summer, boats").unwrap();
    assert!(db.update_wardrobe_item(&tagged).await.unwrap());
    assert_eq!(db.load_wardrobe().await.unwrap(), std::slice::from_ref(&tagged));
    assert_eq!(blob_bytes(&db.wardrobe_item("w1").await.unwrap().unwrap().1).await.unwrap(), b"pixels");
    let other = WardrobeItem { id: "w9".into(), digest: wardrobe::digest(b"other"), ..tagged.clone() };
    assert!(matches!(db.put_wardrobe_item(&other, &blob_of(b"other", "image/png")).await, Ok(Kept::Added)));
    assert_eq!(db.load_wardrobe().await.unwrap().len(), 2);
    db.delete_wardrobe_item("w9").await.unwrap();
    assert!(!db.update_wardrobe_item(&other).await.unwrap());
    assert_eq!(db.wardrobe_ids().await.unwrap(), ["w1"]);
}

#[wasm_bindgen_test]
async fn a_wardrobe_larger_than_one_read_comes_back_whole_newest_first() {
    let db = fresh_store().await;
    let blob = blob_of(b"pixels", "image/jpeg");
    let template = WardrobeItem {
        id: String::new(),
        name: String::new(),
        mime: "image/jpeg".into(),
        bytes: 6,
        width: 2,
        height: 2,
        caption: Some("A scarf.".into()),
        caption_model: None,
        tags: vec!["winter".into()],
        created_ms: 0.0,
        digest: String::new(),
        source: None,
    };
    // Ids in another order than their times, so the order is the sort's, not the store's.
    for i in 0..620u32 {
        let item = WardrobeItem {
            id: format!("w{:03}", (i * 7) % 620),
            name: format!("IMG_{i}.JPG"),
            created_ms: f64::from(i),
            digest: format!("d{i}"),
            ..template.clone()
        };
        assert!(matches!(db.put_wardrobe_item(&item, &blob).await.unwrap(), Kept::Added));
    }
    let items = db.load_wardrobe().await.unwrap();
    assert_eq!(items.len(), 620, "every batch is read");
    assert_eq!(items[0].name, "IMG_619.JPG");
    assert!(items.windows(2).all(|w| w[0].created_ms > w[1].created_ms));
    assert_eq!(items.iter().map(|i| i.id.as_str()).collect::<std::collections::HashSet<_>>().len(), 620);
}

#[wasm_bindgen_test]
async fn deleting_a_wardrobe_item_removes_it_from_the_store_the_search_index_and_every_answer() {
    let db = fresh_store().await;
    chats_that_refer_to_each_other(&db).await;
    let image = db.load_images("a").await.unwrap().remove(0);
    let blob = db.image_blob("img-a").await.unwrap().unwrap();
    let Added::New(item) = keep(&db, &image, &blob, "w-boots").await else { panic!("a new item") };
    let item = WardrobeItem { name: "IMG_4817.JPG".into(), caption: Some("Brown hiking boots.".into()), ..item };
    db.update_wardrobe_item(&item).await.unwrap();
    let mut index = search::read_stored_index(&db.load_search_index().await.unwrap().unwrap()).unwrap();
    index.upsert(&search::wardrobe_doc("w-boots"), &wardrobe::text(&item));
    db.save_search_index(&search::store_index(&index)).await.unwrap();
    let worn = ContextItem {
        used: ContextUse::Wardrobe,
        id: "w-boots".into(),
        chat_id: String::new(),
        label: "IMG_4817.JPG".into(),
        from_chat: None,
        similarity: Some(0.4),
        words: Some(3.1),
        gone: None,
    };
    let answer = Message {
        context: vec![worn.clone()],
        ..Message::new("b-worn".into(), "b".into(), Role::Assistant, "Wear the boots.".into(), 3.0)
    };
    db.put_message(&answer).await.unwrap();
    assert_eq!(
        db.load_message("b-worn").await.unwrap().unwrap().context,
        std::slice::from_ref(&worn),
        "kept while it exists"
    );
    assert!(IndexRepo::item_ids(&db).await.unwrap().contains(&"w-boots".to_owned()), "listed for the index");

    db.delete_wardrobe_item("w-boots").await.unwrap();
    assert_eq!(db.wardrobe_item("w-boots").await.unwrap(), None);
    assert!(all_keys(&db.name(), "wardrobe").await.is_empty());
    let gone = &db.load_message("b-worn").await.unwrap().unwrap().context[0];
    assert_eq!(
        (gone.used, gone.gone, gone.label.as_str(), gone.id.as_str()),
        (ContextUse::Wardrobe, Some(Gone::Item), "", "")
    );
    let json: String = js_sys::JSON::stringify(&raw_record(&db.name(), "messages", "b-worn").await).unwrap().into();
    assert!(!json.contains("w-boots") && !json.contains("IMG_4817"), "{json}");
    let stored = db.load_search_index().await.unwrap().unwrap();
    assert!(!stored.contains("w-boots") && !stored.contains("hiking"), "{stored}");
    assert!(stored.contains("zanzibar"), "the chat's documents stay");
    // An answer still streaming meanwhile, stored as it began, forgets it as it is written.
    db.put_message(&Message { id: "b-late".into(), ..answer }).await.unwrap();
    assert_eq!(db.load_message("b-late").await.unwrap().unwrap().context[0].gone, Some(Gone::Item));
    // Deleting the chat an item came from never forgets the item in answers (it belongs to no chat).
    let other = blob_of(b"other pixels", "image/jpeg");
    let mut second = image.clone();
    second.id = "img-2".into();
    db.put_image(&second, &other).await.unwrap();
    keep(&db, &second, &other, "w-2").await;
    let worn2 = ContextItem { id: "w-2".into(), ..worn };
    let answer2 = Message {
        context: vec![worn2.clone()],
        ..Message::new("b-2".into(), "b".into(), Role::Assistant, "Yes.".into(), 4.0)
    };
    db.put_message(&answer2).await.unwrap();
    db.delete_chat("a").await.unwrap();
    assert_eq!(db.load_message("b-2").await.unwrap().unwrap().context, [worn2]);
}

#[wasm_bindgen_test]
async fn test_set_versions_share_their_images_and_deleting_a_set_leaves_nothing_of_it() {
    let db = fresh_store().await;
    db.put_test_set(&test_set("s", 1, &["a"]), &[("a".into(), blob_of(b"png a", "image/png"))]).await.unwrap();
    // Version 2 adds an image and keeps the first; version 1 stays as it was.
    db.put_test_set(&test_set("s", 2, &["a", "b"]), &[("b".into(), blob_of(b"png b", "image/png"))]).await.unwrap();
    db.put_test_set(&test_set("t", 1, &["c"]), &[("c".into(), blob_of(b"png c", "image/png"))]).await.unwrap();
    assert_eq!(db.load_test_sets().await.unwrap().len(), 3);
    assert_eq!(db.load_test_set("s", 1).await.unwrap().unwrap().cases[0].images.len(), 1);
    assert_eq!(db.load_test_set("s", 2).await.unwrap().unwrap().cases[0].question, "두 사진의 공통점이 뭐야?");
    assert_eq!(blob_bytes(&db.eval_image("a").await.unwrap().unwrap()).await.unwrap(), b"png a");

    let run = run_of("r1", "s");
    let mut result = CaseResult::new("r1", &JobKey::new("case", "cfg"));
    db.put_run(&run).await.unwrap();
    db.put_result(&result).await.unwrap();
    result.human_tenths = Some(7);
    db.put_result(&result).await.unwrap();
    db.put_run_with_results(&run_of("r2", "t"), &[CaseResult::new("r2", &JobKey::new("case", "cfg"))]).await.unwrap();
    assert_eq!(db.load_results("r1").await.unwrap(), [result], "a result is rewritten in place");
    assert_eq!(db.load_runs().await.unwrap().len(), 2);

    db.delete_test_set("s").await.unwrap();
    assert!(db.load_test_set("s", 2).await.unwrap().is_none());
    assert!(db.eval_image("a").await.unwrap().is_none() && db.eval_image("b").await.unwrap().is_none());
    assert!(db.load_results("r1").await.unwrap().is_empty());
    let runs: Vec<String> = db.load_runs().await.unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(runs, ["r2"], "the other set's run stays");
    assert!(db.eval_image("c").await.unwrap().is_some());
    db.delete_run("r2").await.unwrap();
    assert!(db.load_runs().await.unwrap().is_empty() && db.load_results("r2").await.unwrap().is_empty());
}

#[wasm_bindgen_test]
async fn a_tab_on_an_older_version_steps_aside_when_a_newer_build_opens_the_database() {
    let name = format!("boda-test-{}", new_uuid());
    // Version 3 wrote f32 chunks; a tab still running it must not rebuild the memory over half-precision ones.
    let old = IdbStore::open_at(&name, 3).await.unwrap();
    old.put_chat(&Chat::new("c".into(), 1.0)).await.unwrap();
    // Were the old connection kept open, this upgrade would wait for it (blocked) and the test time out.
    let now = IdbStore::open_named(&name).await.unwrap();
    assert!(old.is_outdated(), "the old tab knows it must reload");
    assert!(matches!(old.put_chat(&Chat::new("d".into(), 2.0)).await, Err(StoreError::VersionChanged)));
    assert_eq!(now.load_chats().await.unwrap().len(), 1);
    assert_eq!(now.load_chats().await.unwrap()[0].id, "c");
}

/// Draws a test picture: a gradient with shapes, optionally with a transparent hole.
async fn make_image(w: u32, h: u32, mime: &str, transparent_hole: bool) -> Blob {
    let canvas = OffscreenCanvas::new(w, h).unwrap();
    let ctx: OffscreenCanvasRenderingContext2d = canvas.get_context("2d").unwrap().unwrap().unchecked_into();
    for i in 0..16 {
        ctx.set_fill_style_str(&format!("hsl({}, 70%, 50%)", i * 22));
        ctx.fill_rect(i as f64 * w as f64 / 16.0, 0.0, w as f64 / 16.0 + 1.0, h as f64);
    }
    if transparent_hole {
        ctx.clear_rect(w as f64 / 4.0, h as f64 / 4.0, w as f64 / 2.0, h as f64 / 2.0);
    }
    let options = ImageEncodeOptions::new();
    options.set_type(mime);
    options.set_quality(0.95);
    JsFuture::from(canvas.convert_to_blob_with_options(&options).unwrap()).await.unwrap().unchecked_into()
}

fn as_file(blob: &Blob, name: &str) -> File {
    let parts = js_sys::Array::of1(blob);
    let options = web_sys::FilePropertyBag::new();
    options.set_type(&blob.type_());
    File::new_with_blob_sequence_and_options(&parts, name, &options).unwrap()
}

#[wasm_bindgen_test]
async fn a_large_jpeg_is_downscaled_to_the_high_detail_box() {
    let original = make_image(3000, 2000, "image/jpeg", false).await;
    let file = as_file(&original, "photo.jpg");
    let prepared = prepare_image(&file, "i".into(), "c".into(), 5.0).await.unwrap();
    let m = &prepared.meta;
    assert_eq!((m.original_width, m.original_height), (3000, 2000));
    assert_eq!((m.width, m.height), (1152, 768));
    assert_eq!(m.mime, "image/jpeg");
    assert_eq!(m.original_mime, "image/jpeg");
    assert!(m.bytes < m.original_bytes, "{} !< {}", m.bytes, m.original_bytes);
    // The stored bytes really are a JPEG of that size.
    let head = blob_bytes(&prepared.blob).await.unwrap();
    let info = boda::core::image_plan::sniff(&head, head.len() as u64).unwrap();
    assert_eq!((info.width, info.height), (1152, 768));
}

#[wasm_bindgen_test]
async fn a_png_keeps_transparency_only_when_it_has_some() {
    let clear = prepare_image(
        &as_file(&make_image(800, 600, "image/png", true).await, "logo.png"),
        "a".into(),
        "c".into(),
        1.0,
    )
    .await
    .unwrap();
    assert_eq!((clear.meta.width, clear.meta.height), (800, 600));
    assert!(clear.meta.mime == "image/webp" || clear.meta.mime == "image/png", "{}", clear.meta.mime);
    let opaque = prepare_image(
        &as_file(&make_image(800, 600, "image/png", false).await, "flat.png"),
        "b".into(),
        "c".into(),
        1.0,
    )
    .await
    .unwrap();
    assert_eq!(opaque.meta.mime, "image/jpeg");
}

#[wasm_bindgen_test]
async fn wrong_and_broken_files_are_refused_by_name() {
    let text = as_file(&blob_of(b"just some words", "text/plain"), "notes.txt");
    let err = prepare_image(&text, "x".into(), "c".into(), 1.0).await.err().unwrap();
    let unknown = FileProblem::Refused(Refusal::Unsupported { kind: FileKind::Unknown });
    assert_eq!(err, ("notes.txt".to_owned(), unknown));
    let empty = as_file(&blob_of(b"", "image/png"), "empty.png");
    let err = prepare_image(&empty, "x".into(), "c".into(), 1.0).await.err().unwrap();
    assert_eq!(err, ("empty.png".to_owned(), FileProblem::Refused(Refusal::Empty)));
    // A real PNG header followed by garbage: recognised, then refused when decoding fails.
    let mut broken = make_png_header(64, 64);
    broken.extend([0u8; 200]);
    let err = prepare_image(&as_file(&blob_of(&broken, "image/png"), "broken.png"), "x".into(), "c".into(), 1.0)
        .await
        .err()
        .unwrap();
    assert_eq!(err, ("broken.png".to_owned(), FileProblem::Refused(Refusal::Undecodable)));
}

fn make_png_header(w: u32, h: u32) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    v.extend(w.to_be_bytes());
    v.extend(h.to_be_bytes());
    v.extend([8, 2, 0, 0, 0, 0, 0, 0, 0]);
    v
}

#[wasm_bindgen_test]
async fn a_streamed_fetch_is_parsed_end_to_end() {
    // A Blob URL gives a real fetch with a ReadableStream body, without any server.
    let mut sse = String::new();
    for word in ["Hello", ", ", "스트림", "!"] {
        sse.push_str(&format!(
            "data: {}\n\n",
            serde_json::json!({"choices":[{"index":0,"delta":{"content":word},"finish_reason":null}]})
        ));
    }
    sse.push_str("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
    sse.push_str(
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4,\"total_tokens\":13}}\n\n",
    );
    sse.push_str("data: [DONE]\n\n");
    let url = web_sys::Url::create_object_url_with_blob(&blob_of(sse.as_bytes(), "text/event-stream")).unwrap();
    // The core appends "chat/completions" to the base URL and a blob URL cannot take a path, so the
    // transport below sends the request to the blob URL itself; everything after the fetch is the real path.
    let settings = Settings { api_key: "sk-test".into(), base_url: url.clone(), ..Settings::default() };
    let request = ChatRequest {
        model: "gpt-4o-mini".into(),
        messages: vec![ChatMessage::User { content: UserContent::Text("hi".into()) }],
        stream: true,
        stream_options: Some(StreamOptions { include_usage: true }),
        max_completion_tokens: None,
        temperature: None,
    };
    let transport = RewriteTo { url: url.clone(), inner: FetchTransport::new(None) };
    let mut deltas = Vec::new();
    let done = stream_chat(&transport, &BrowserRuntime::default(), &settings, &request, &mut |p| {
        deltas.push(format!("{p:?}"))
    })
    .await
    .unwrap();
    assert_eq!(done.content, "Hello, 스트림!");
    assert_eq!(done.usage.unwrap().total_tokens, 13);
    assert_eq!(deltas.len(), 4);
}

/// Sends every request to one URL (a blob URL), keeping everything else about it.
struct RewriteTo {
    url: String,
    inner: FetchTransport,
}

impl boda::core::ports::Transport for RewriteTo {
    type Body = <FetchTransport as boda::core::ports::Transport>::Body;
    async fn send(
        &self,
        request: &boda::core::ports::HttpRequest,
    ) -> Result<(boda::core::ports::HttpHead, Self::Body), boda::core::ports::TransportError> {
        let mut r = request.clone();
        r.url = self.url.clone();
        r.method = "GET";
        r.body = None;
        r.headers.clear();
        self.inner.send(&r).await
    }
}

#[wasm_bindgen_test]
async fn an_unreachable_host_is_reported_as_such() {
    let transport = FetchTransport::new(None);
    let settings =
        Settings { api_key: "sk-test".into(), base_url: "http://127.0.0.1:9/v1".into(), ..Settings::default() };
    let err = boda::core::client::list_models(&transport, &BrowserRuntime::default(), &settings).await.unwrap_err();
    assert_eq!(err, boda::core::openai::ApiError::Unreachable { host: "127.0.0.1:9".into() });
}

#[wasm_bindgen_test]
async fn an_aborted_request_says_aborted() {
    let controller = web_sys::AbortController::new().unwrap();
    controller.abort();
    let transport = FetchTransport::new(Some(controller.signal()));
    let settings =
        Settings { api_key: "sk-test".into(), base_url: "http://127.0.0.1:9/v1".into(), ..Settings::default() };
    let err = boda::core::client::list_models(&transport, &BrowserRuntime::default(), &settings).await.unwrap_err();
    assert_eq!(err, boda::core::openai::ApiError::Aborted);
}

#[wasm_bindgen_test]
async fn the_runtime_sleeps_and_makes_v4_uuids() {
    let rt = BrowserRuntime::default();
    let before = rt.now_ms();
    rt.sleep(30).await;
    assert!(rt.now_ms() - before >= 25.0);
    let id = rt.new_id();
    assert_eq!(id.len(), 36);
    assert_eq!(&id[14..15], "4");
    assert_ne!(id, rt.new_id());
    // An aborted signal ends a long sleep early.
    let controller = web_sys::AbortController::new().unwrap();
    let stoppable = BrowserRuntime::with_signal(Some(controller.signal()));
    controller.abort();
    let before = stoppable.now_ms();
    stoppable.sleep(5_000).await;
    assert!(stoppable.now_ms() - before < 1_000.0);
}

#[wasm_bindgen_test]
fn the_simd_search_equals_an_f32_search_over_the_same_halves_bit_for_bit() {
    use boda::core::retrieval::half::from_half;
    use boda::core::retrieval::vector::{
        clustered, dot_halves, dot_halves_portable, normalize, reference_dot, Query, VectorIndex,
    };
    const { assert!(cfg!(target_feature = "simd128"), "the wasm build enables simd128") };
    // Every finite half, through the SIMD kernel, the portable one and the reference.
    let finite: Vec<u16> = (0..=u16::MAX).filter(|h| h & 0x7c00 != 0x7c00).collect();
    let q: Vec<f32> = (0..finite.len()).map(|i| ((i * 7919 % 1000) as f32 - 500.0) * 1e-4).collect();
    let values: Vec<f32> = finite.iter().map(|&h| from_half(h)).collect();
    let prepared = Query::from_unit(&q);
    let want = reference_dot(&q, &values).to_bits();
    assert_eq!(dot_halves(&prepared, &finite).to_bits(), want);
    assert_eq!(dot_halves_portable(&prepared, &finite).to_bits(), want);
    for (n, dims) in [(300, 1536), (300, 37), (100, 16)] {
        let vs = clustered(n, dims, 5, 0.5, 42 + dims as u64);
        let mut index = VectorIndex::new(dims);
        for (i, v) in vs.iter().enumerate() {
            index.upsert(&format!("v{i:04}"), v).unwrap();
        }
        let values: Vec<f32> = index.raw().iter().map(|&h| from_half(h)).collect();
        for mut q in clustered(5, dims, 2, 0.8, 7) {
            let hits = index.search_exact(&q, n).unwrap();
            normalize(&mut q);
            let mut want: Vec<(String, u32)> = values
                .chunks_exact(dims)
                .zip(index.ids())
                .map(|(v, id)| (id.clone(), reference_dot(&q, v).to_bits()))
                .collect();
            want.sort_by(|a, b| f32::from_bits(b.1).total_cmp(&f32::from_bits(a.1)).then_with(|| a.0.cmp(&b.0)));
            let got: Vec<(String, u32)> = hits.iter().map(|h| (h.id.clone(), h.score.to_bits())).collect();
            assert_eq!(got, want, "dims {dims}");
        }
    }
}

#[wasm_bindgen_test]
fn the_simd_sign_bits_agree_with_the_portable_ones() {
    use boda::core::retrieval::vector::{clustered, sign_bits, sign_bits_portable};
    for dims in [1536, 37, 64, 3] {
        for v in clustered(20, dims, 3, 1.0, 7) {
            let mut simd = vec![0u64; dims.div_ceil(64)];
            let mut portable = vec![u64::MAX; dims.div_ceil(64)];
            sign_bits(&v, &mut simd);
            sign_bits_portable(&v, &mut portable);
            assert_eq!(simd, portable, "dims {dims}");
        }
    }
    use boda::core::retrieval::vector::{sign_bits_of_halves, sign_bits_of_halves_portable};
    let all: Vec<u16> = (0..=u16::MAX).collect();
    for (start, len) in [(0, 1536), (3, 37), (1030, 64), (1020, 37), (31_000, 1536), (63_000, 100), (64_000, 1536)] {
        let h = &all[start..start + len];
        let mut simd = vec![0u64; len.div_ceil(64)];
        let mut portable = vec![u64::MAX; len.div_ceil(64)];
        let scan = sign_bits_of_halves(h, &mut simd);
        assert_eq!(scan, sign_bits_of_halves_portable(h, &mut portable), "{start}");
        assert_eq!(scan.finite, !h.iter().any(|x| x & 0x7c00 == 0x7c00), "{start}");
        assert_eq!(scan.subnormal, h.iter().any(|x| x & 0x7c00 == 0 && x & 0x3ff != 0), "{start}");
        assert!(!scan.finite || simd == portable, "{start}");
    }
}

#[wasm_bindgen_test]
async fn a_vector_index_is_stored_in_chunks_and_only_changes_are_written() {
    use boda::core::ports::VectorStore;
    use boda::core::retrieval::vector::{clustered, VectorIndex, CHUNK};
    let db = fresh_store().await;
    let space = "text-embedding-3-small:32";
    assert!(db.load_vectors(space, 32).await.unwrap().is_empty());
    let vs = clustered(CHUNK * 2 + 100, 32, 5, 0.5, 3);
    let mut index = VectorIndex::new(32);
    for (i, v) in vs.iter().enumerate() {
        index.upsert_tagged(&format!("m{i}"), v, &format!("fp{i}")).unwrap();
    }
    db.save_vectors(space, &mut index).await.unwrap();
    let back = db.load_vectors(space, 32).await.unwrap();
    assert_eq!(back.raw(), index.raw());
    assert_eq!(back.ids(), index.ids());
    assert_eq!(back.tag("m7"), Some("fp7"));
    // Remove vectors until a chunk is no longer needed: its record goes too, and nothing is left orphaned.
    for i in 0..200 {
        assert!(index.remove(&format!("m{i}")));
    }
    db.save_vectors(space, &mut index).await.unwrap();
    let back = db.load_vectors(space, 32).await.unwrap();
    assert_eq!(back.len(), CHUNK * 2 - 100);
    assert!(!back.contains("m5") && back.contains("m500"));
    assert_eq!(back.raw(), index.raw());
    let keys = all_keys(&db.name(), "vectors").await;
    assert_eq!(keys, [format!("{space}/chunk/0"), format!("{space}/chunk/1"), format!("{space}/ids")]);
    // A replacement of another size (the model changed) leaves nothing of the old index behind.
    let mut replaced = VectorIndex::replacing(&index, 16);
    replaced.upsert("m1", &[0.5; 16]).unwrap();
    db.save_vectors(space, &mut replaced).await.unwrap();
    assert_eq!(all_keys(&db.name(), "vectors").await, [format!("{space}/chunk/0"), format!("{space}/ids")]);
    let back = db.load_vectors(space, 32).await.unwrap();
    assert_eq!((back.dims(), back.ids()), (16, &["m1".to_owned()][..]));
    // Another space is separate.
    assert!(db.load_vectors("other:32", 32).await.unwrap().is_empty());
    // The ids cross from JavaScript joined by newlines; an id holding one still comes back whole.
    let mut odd = VectorIndex::new(2);
    for id in ["a\nb", "c", ""] {
        odd.upsert_tagged(id, &[1.0, 0.5], "t\n").unwrap();
    }
    db.save_vectors("odd:2", &mut odd).await.unwrap();
    let back = db.load_vectors("odd:2", 2).await.unwrap();
    assert_eq!((back.ids(), back.tags()), (odd.ids(), odd.tags()));
}

#[wasm_bindgen_test]
async fn vectors_are_stored_at_half_precision_and_older_full_precision_chunks_still_load() {
    use boda::core::ports::VectorStore;
    use boda::core::retrieval::vector::{clustered, VectorIndex};
    let db = fresh_store().await;
    let space = "m:8";
    let vs = clustered(10, 8, 2, 0.5, 5);
    let mut index = VectorIndex::new(8);
    for (i, v) in vs.iter().enumerate() {
        index.upsert(&format!("v{i}"), v).unwrap();
    }
    db.save_vectors(space, &mut index).await.unwrap();
    let record = raw_record(&db.name(), "vectors", "m:8/chunk/0").await;
    let half = js_sys::Reflect::get(&record, &"half".into()).unwrap();
    assert_eq!(half.dyn_into::<js_sys::ArrayBuffer>().unwrap().byte_length(), 10 * 8 * 2, "two bytes a value");
    assert_eq!(db.load_vectors(space, 8).await.unwrap().raw(), index.raw(), "what is searched is what is stored");

    // A chunk of f32 values, as stored before: it loads rounded to half precision, and the next save rewrites it.
    let full: Vec<f32> = vs
        .iter()
        .flat_map(|v| {
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.iter().map(move |x| x / n)
        })
        .collect();
    let old = js_sys::Object::new();
    js_sys::Reflect::set(&old, &"id".into(), &"m:8/chunk/0".into()).unwrap();
    js_sys::Reflect::set(&old, &"data".into(), &js_sys::Float32Array::from(&full[..]).buffer()).unwrap();
    put_raw(&db.name(), "vectors", &old).await;
    let mut back = db.load_vectors(space, 8).await.unwrap();
    let value = boda::core::retrieval::half::from_half;
    assert!(back.raw().iter().zip(&full).all(|(&a, b)| (value(a) - b).abs() <= b.abs() / 2048.0 + 1e-7));
    assert_eq!(back.raw(), index.raw());
    assert!(back.is_dirty());
    db.save_vectors(space, &mut back).await.unwrap();
    let record = raw_record(&db.name(), "vectors", "m:8/chunk/0").await;
    assert!(js_sys::Reflect::get(&record, &"half".into()).unwrap().is_instance_of::<js_sys::ArrayBuffer>());
    assert!(js_sys::Reflect::get(&record, &"data".into()).unwrap().is_undefined());

    // An infinity cannot come from a unit vector: a chunk holding one is damage, not something to search.
    let mut bad = index.raw().to_vec();
    bad[13] = 0x7c00;
    let damaged = js_sys::Object::new();
    js_sys::Reflect::set(&damaged, &"id".into(), &"m:8/chunk/0".into()).unwrap();
    js_sys::Reflect::set(&damaged, &"half".into(), &js_sys::Uint16Array::from(&bad[..]).buffer()).unwrap();
    put_raw(&db.name(), "vectors", &damaged).await;
    assert!(db.load_vectors(space, 8).await.is_err());
    // A subnormal half, as an earlier build stored them, is made normal and rewritten at the next save.
    bad[13] = 0x0300;
    js_sys::Reflect::set(&damaged, &"half".into(), &js_sys::Uint16Array::from(&bad[..]).buffer()).unwrap();
    put_raw(&db.name(), "vectors", &damaged).await;
    let mut back = db.load_vectors(space, 8).await.unwrap();
    assert_eq!(back.raw()[13], 0x0400);
    assert!(back.is_dirty());
    db.save_vectors(space, &mut back).await.unwrap();
    assert!(!db.load_vectors(space, 8).await.unwrap().is_dirty());
}

async fn raw_record(db_name: &str, store: &str, key: &str) -> JsValue {
    let db = idb::Factory::new().unwrap().open(db_name, None).unwrap().await.unwrap();
    let tx = db.transaction(&[store], idb::TransactionMode::ReadOnly).unwrap();
    let value = tx.object_store(store).unwrap().get(JsValue::from_str(key)).unwrap().await.unwrap();
    db.close();
    value.expect("the record is there")
}

async fn put_raw(db_name: &str, store: &str, value: &JsValue) {
    let db = idb::Factory::new().unwrap().open(db_name, None).unwrap().await.unwrap();
    let tx = db.transaction(&[store], idb::TransactionMode::ReadWrite).unwrap();
    tx.object_store(store).unwrap().put(value, None).unwrap().await.unwrap();
    tx.commit().unwrap().await.unwrap();
    db.close();
}

async fn all_keys(db_name: &str, store: &str) -> Vec<String> {
    let factory = idb::Factory::new().unwrap();
    let db = factory.open(db_name, None).unwrap().await.unwrap();
    let tx = db.transaction(&[store], idb::TransactionMode::ReadOnly).unwrap();
    let keys = tx.object_store(store).unwrap().get_all_keys(None, None).unwrap().await.unwrap();
    let mut keys: Vec<String> = keys.into_iter().filter_map(|k| k.as_string()).collect();
    keys.sort();
    db.close();
    keys
}

#[wasm_bindgen_test]
async fn an_answer_keeps_its_web_search_and_an_earlier_record_without_one_still_reads() {
    use boda::core::websearch::tavily::{SearchError, WebResult};
    use boda::core::websearch::{SearchState, Skip, WebSearch};
    let db = fresh_store().await;
    let mut search = WebSearch::start(None);
    search.state = SearchState::Done;
    search.queries = vec!["베이지 치노".into()];
    search.results = vec![WebResult {
        title: "<b>Chinos</b>".into(),
        url: "https://shop.example/chinos".into(),
        site: "shop.example".into(),
        snippet: "Slim chinos.".into(),
        score: Some(0.5),
        image: Some("https://shop.example/c.jpg".into()),
        image_alt: None,
        query: 0,
    }];
    search.credits = 1.0;
    let answer = Message {
        search: Some(Box::new(search)),
        ..Message::new("a1".into(), "c1".into(), Role::Assistant, "Chinos [1].".into(), 2.0)
    };
    db.put_message(&answer).await.unwrap();
    let mut skipped = WebSearch::start(Some(vec!["q".into()]));
    skipped.state = SearchState::Skipped(Skip::Search(SearchError::PayGoLimit { detail: Some("limit".into()) }));
    let other = Message {
        search: Some(Box::new(skipped)),
        ..Message::new("a2".into(), "c1".into(), Role::Assistant, "x".into(), 3.0)
    };
    db.put_message(&other).await.unwrap();
    // A record as versions before web search wrote it: no `search` field at all.
    db.put_message(&message("q0", "c1", 1.0)).await.unwrap();
    let loaded = db.load_messages("c1").await.unwrap();
    assert_eq!(loaded.len(), 3);
    assert_eq!(loaded[0].search, None);
    assert_eq!(loaded[1], answer);
    assert_eq!(loaded[2], other);
}

#[wasm_bindgen_test]
async fn every_answers_calls_are_read_across_chats_and_nothing_else() {
    let db = fresh_store().await;
    let usage = Usage { prompt_tokens: 1200, completion_tokens: 300, total_tokens: 1500, cached_tokens: 200 };
    let answer = |id: &str, chat: &str, model: Option<&str>, usage: Option<Usage>| Message {
        model: model.map(str::to_owned),
        usage,
        ..Message::new(id.into(), chat.into(), Role::Assistant, "an answer".into(), 2.0)
    };
    db.put_message(&message("q", "c1", 1.0)).await.unwrap();
    db.put_message(&answer("a1", "c1", Some("gpt-4o-mini"), Some(usage))).await.unwrap();
    db.put_message(&answer("a2", "c2", None, Some(usage))).await.unwrap();
    db.put_message(&answer("a3", "c2", Some("gpt-4o"), None)).await.unwrap();
    let mut search = boda::core::websearch::WebSearch::start(None);
    search.plan_model = Some("gpt-4o-mini".into());
    search.plan_usage = Some(Usage { prompt_tokens: 90, completion_tokens: 10, total_tokens: 100, cached_tokens: 0 });
    search.credits = 2.0;
    let searched =
        Message { search: Some(Box::new(search.clone())), ..answer("a4", "c3", Some("gpt-4o"), Some(usage)) };
    db.put_message(&searched).await.unwrap();
    let mut read = db.answer_usage().await.unwrap();
    read.sort_by(|a, b| (&a.model, a.credits.to_bits()).cmp(&(&b.model, b.credits.to_bits())));
    let calls = |model: Option<&str>, usage: Option<Usage>| AnswerCalls {
        model: model.map(str::to_owned),
        usage,
        ..AnswerCalls::default()
    };
    let with_search = AnswerCalls {
        plan_model: search.plan_model.clone(),
        plan_usage: search.plan_usage,
        credits: 2.0,
        ..calls(Some("gpt-4o"), Some(usage))
    };
    assert_eq!(
        read,
        [calls(None, Some(usage)), calls(Some("gpt-4o"), None), with_search, calls(Some("gpt-4o-mini"), Some(usage))]
    );
    assert!(fresh_store().await.answer_usage().await.unwrap().is_empty());
}

#[wasm_bindgen_test]
async fn a_chat_turn_added_to_a_test_set_copies_its_images_into_a_new_version() {
    use boda::core::eval::from_chat::{add_to_test_set, propose, SetChoice};
    let db = fresh_store().await;
    let blob = blob_of(b"jpeg pixels", "image/jpeg");
    db.put_image(&meta("img", "c", &blob), &blob).await.unwrap();
    let messages = vec![
        message("q", "c", 1.0),
        Message::new("a".into(), "c".into(), Role::Assistant, "A red square.".into(), 2.0),
    ];
    let draft = propose(&messages, &db.load_images("c").await.unwrap(), "a").unwrap();
    let rt = BrowserRuntime::default();
    let v1 = add_to_test_set(&db, &rt, &draft, &SetChoice::New("Mine".into())).await.unwrap();
    let v2 = add_to_test_set(&db, &rt, &draft, &SetChoice::Existing(v1.id.clone())).await.unwrap();
    assert_eq!((v2.version, v2.cases.len()), (2, 2));
    assert_eq!(db.load_test_sets().await.unwrap().len(), 2, "version 1 is kept");
    for case in &v2.cases {
        let copy = db.eval_image(&case.images[0].id).await.unwrap().expect("the image was copied");
        assert_eq!(blob_bytes(&copy).await.unwrap(), b"jpeg pixels");
        assert_ne!(case.images[0].id, "img");
    }
    // The chat's image can go; the cases keep their copies.
    db.delete_image("img").await.unwrap();
    assert!(db.eval_image(&v2.cases[1].images[0].id).await.unwrap().is_some());
}
