//! One test case answered under one configuration, by the chat's own turn pipeline.
//!
//! A case becomes a chat of its own for the length of one turn: [`CaseChat`] holds its images and the turn's
//! messages in memory (nothing of an evaluation lands among the person's chats), and [`CaseRecall`] ranks the
//! case's images for retrieval by their captions, embedding the question and the captions in one request. A
//! configuration with the wardrobe on also brings the person's wardrobe items: the memory that ranks them in a
//! chat ranks them here (by the same question vector, and by words), and the answer keeps what it carried.
//! [`answer_case`] runs [`crate::core::pipeline::run`] with them, times the answer (first token and whole) and
//! returns what a result records. It does not judge, price or store anything: see `eval::judge`, `cost` and
//! the runner.

use crate::core::context::{self, ContextPlan, PlanInput, Signals};
use crate::core::embeddings::embed;
use crate::core::eval::model::{Case, CaseImage};
use crate::core::model::{
    AnswerError, Chat, ContextItem, ContextUse, Detail, ImageMeta, Language, Message, MessageStatus,
};
use crate::core::model::{Settings, Usage};
use crate::core::openai::ApiError;
use crate::core::pipeline::{self, Event, Ports, Recall, Turn};
use crate::core::ports::{BlobReader, ImageRepo, MessageRepo, Runtime, StoreError, Transport, WardrobeSource};
use crate::core::preset::{Preset, IMAGE_QA_PROMPT};
use crate::core::retrieval::lexical::LexicalIndex;
use crate::core::retrieval::vector::VectorIndex;
use crate::core::search::{image_doc, image_text};
use crate::core::turn::{TurnEvent, WebAsk};
use crate::core::wardrobe::Carried;
use crate::core::websearch::stage::Queries;
use crate::core::websearch::tavily::{SearchDepth, SearchOptions};
use crate::core::websearch::WebSearch;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;

/// One configuration under test: what a run compares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    pub id: String,
    pub model: String,
    #[serde(default)]
    pub detail: Detail,
    /// Retrieval on, attaching at most this many of a case's images (the others go as captions); `None` sends
    /// every image.
    #[serde(default)]
    pub retrieval: Option<u32>,
    /// Instructions added to the system prompt.
    #[serde(default)]
    pub instructions: Option<String>,
    /// The sampling temperature; `None` leaves the model's default.
    #[serde(default)]
    pub temperature: Option<f32>,
    /// Web search before each answer, at this depth (with the person's other search options); `None` is off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<SearchDepth>,
    /// The assistant whose system prompt the answers get, as it was when the run started (a copy: the run
    /// stays what it was if the assistant is edited later); `None` is Image Q&A. Its model is not used: the
    /// configuration names its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<Preset>,
    /// The person's wardrobe goes with each question: its most relevant items (as many as Settings say),
    /// as pictures after the case's own.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub wardrobe: bool,
}

impl RunConfig {
    /// The settings a case is answered with: the person's connection and embedding model, this
    /// configuration's model and retrieval, and nothing recalled from chats.
    pub fn settings(&self, base: &Settings) -> Settings {
        Settings {
            model: self.model.clone(),
            context_images: self.retrieval.unwrap_or(crate::core::eval::model::MAX_CASE_IMAGES as u32),
            recall_all_chats: false,
            instructions: self.instructions.clone().filter(|t| !t.trim().is_empty()),
            temperature: self.temperature,
            search: SearchOptions { depth: self.web.unwrap_or(base.search.depth), ..base.search.clone() },
            system_prompt: self.preset.as_ref().map(|p| p.system_prompt.clone()),
            ..base.clone()
        }
    }

    /// The system prompt the answers start with (before Boda's facts about the images and the instructions).
    pub fn system_prompt(&self) -> &str {
        self.preset.as_ref().map_or(IMAGE_QA_PROMPT, |p| p.system_prompt.as_str())
    }

    /// How a case's question searches the web under this configuration: planned queries, in the question's
    /// language (which also picks the default country); `None` when the configuration does not search.
    pub fn web_ask(&self, case: &Case) -> Option<WebAsk> {
        self.web.map(|_| WebAsk { queries: Queries::Plan, language: Language::of_text(&case.question) })
    }
}

/// The chat id a case's turn runs in (never one of the person's: chat ids are UUIDs).
pub fn case_chat_id(case: &Case) -> String {
    format!("eval:{}", case.id)
}

/// A case's image as the turn sees it: a chat image record.
pub fn image_meta(case: &Case, image: &CaseImage) -> ImageMeta {
    ImageMeta {
        id: image.id.clone(),
        chat_id: case_chat_id(case),
        name: image.name.clone(),
        mime: image.mime.clone(),
        bytes: 0,
        width: image.width,
        height: image.height,
        original_mime: image.mime.clone(),
        original_bytes: 0,
        original_width: image.width,
        original_height: image.height,
        created_ms: 0.0,
        caption: image.caption.clone(),
        caption_model: None,
    }
}

/// A case as a chat's store for one turn: its images, and the messages the turn writes, in memory.
pub struct CaseChat<B> {
    images: Vec<(ImageMeta, B)>,
    messages: RefCell<Vec<Message>>,
}

impl<B: Clone> CaseChat<B> {
    /// `blobs` holds each image's stored pixels, in the case's order.
    pub fn new(case: &Case, blobs: Vec<B>) -> CaseChat<B> {
        let images = case.images.iter().zip(blobs).map(|(i, b)| (image_meta(case, i), b)).collect();
        CaseChat { images, messages: RefCell::new(Vec::new()) }
    }
}

impl<B: Clone> MessageRepo for CaseChat<B> {
    async fn load_messages(&self, chat_id: &str) -> Result<Vec<Message>, StoreError> {
        Ok(self.messages.borrow().iter().filter(|m| m.chat_id == chat_id).cloned().collect())
    }
    async fn put_message(&self, message: &Message) -> Result<(), StoreError> {
        let mut messages = self.messages.borrow_mut();
        match messages.iter_mut().find(|m| m.id == message.id) {
            Some(m) => *m = message.clone(),
            None => messages.push(message.clone()),
        }
        Ok(())
    }
    async fn delete_message(&self, message_id: &str) -> Result<(), StoreError> {
        self.messages.borrow_mut().retain(|m| m.id != message_id);
        Ok(())
    }
}

impl<B: Clone> ImageRepo for CaseChat<B> {
    type Blob = B;
    async fn load_images(&self, _: &str) -> Result<Vec<ImageMeta>, StoreError> {
        Ok(self.images.iter().map(|(m, _)| m.clone()).collect())
    }
    async fn load_images_with_blobs(&self, _: &str) -> Result<Vec<(ImageMeta, B)>, StoreError> {
        Ok(self.images.clone())
    }
    async fn put_image(&self, _: &ImageMeta, _: &B) -> Result<(), StoreError> {
        Err(StoreError::Other("a test case's images do not change during a run".into()))
    }
    async fn image_blob(&self, image_id: &str) -> Result<Option<B>, StoreError> {
        Ok(self.images.iter().find(|(m, _)| m.id == image_id).map(|(_, b)| b.clone()))
    }
    async fn update_image_meta(&self, _: &ImageMeta) -> Result<bool, StoreError> {
        Ok(false)
    }
    async fn delete_image(&self, _: &str) -> Result<(), StoreError> {
        Err(StoreError::Other("a test case's images do not change during a run".into()))
    }
}

/// Retrieval over one case's images: their captions (and names) ranked by words and, once the question is
/// embedded, by meaning. The question and the captions go in one embeddings request. The wardrobe's items, when
/// they go, are ranked by `memory` (the person's, which holds their vectors and words) with that same question
/// vector: a case embeds nothing more for them.
pub struct CaseRecall<'a, T, R, M> {
    transport: &'a T,
    runtime: &'a R,
    memory: Option<&'a M>,
    texts: Vec<(String, String)>,
    lexical: LexicalIndex,
    vectors: RefCell<Option<VectorIndex>>,
}

impl<'a, T: Transport, R: Runtime, M: Recall> CaseRecall<'a, T, R, M> {
    /// `memory` ranks wardrobe items (`None`: the case goes without the wardrobe).
    pub fn new(case: &Case, transport: &'a T, runtime: &'a R, memory: Option<&'a M>) -> CaseRecall<'a, T, R, M> {
        let texts: Vec<(String, String)> = case
            .images
            .iter()
            .map(|i| {
                let meta = image_meta(case, i);
                (image_doc(&meta), image_text(&meta))
            })
            .collect();
        let mut lexical = LexicalIndex::new();
        for (doc, text) in &texts {
            lexical.upsert(doc, text);
        }
        CaseRecall { transport, runtime, memory, texts, lexical, vectors: RefCell::new(None) }
    }
}

impl<T: Transport, R: Runtime, M: Recall> Recall for CaseRecall<'_, T, R, M> {
    async fn refresh(&self) {
        // Another tab may have changed the wardrobe since the last case.
        if let Some(memory) = self.memory {
            memory.refresh().await;
        }
    }

    async fn embed_query(&self, settings: &Settings, text: &str) -> Result<Vec<f32>, ApiError> {
        let mut inputs = vec![text.to_owned()];
        inputs.extend(self.texts.iter().map(|(_, t)| t.clone()));
        let mut vectors = embed(self.transport, self.runtime, settings, &inputs, &mut |_, _| {}).await.into_result()?;
        if vectors.len() != inputs.len() || vectors.is_empty() {
            return Err(ApiError::MalformedStream { detail: "the embeddings came back short".into() });
        }
        let query = vectors.remove(0);
        let mut index = VectorIndex::new(query.len());
        for ((doc, _), v) in self.texts.iter().zip(&vectors) {
            // A vector of another size cannot be compared; that image is ranked by words alone.
            let _ = index.upsert(doc, v);
        }
        *self.vectors.borrow_mut() = Some(index);
        Ok(query)
    }

    fn foreign_hits(&self, _: &str, _: Option<&[f32]>, _: &str) -> Vec<(String, String)> {
        Vec::new()
    }

    fn plan(&self, input: PlanInput<'_>) -> ContextPlan {
        let vectors = self.vectors.borrow();
        let signals = Signals { vectors: vectors.as_ref(), lexical: Some(&self.lexical), ..input.signals };
        let mut plan = context::plan(&PlanInput { signals, wardrobe: &[], ..input });
        if let Some(memory) = self.memory.filter(|_| !input.wardrobe.is_empty()) {
            // Only the wardrobe's items: the case's images and messages are ranked above, by the case's own.
            let wardrobe_only = PlanInput { images: &[], history: &[], foreign: &[], max_recalled: 0, ..input };
            plan.wardrobe = memory.plan(wardrobe_only).wardrobe;
        }
        plan
    }
}

/// What one answer came to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseAnswer {
    /// The answer's text (what arrived, when it stopped early).
    pub text: String,
    pub status: MessageStatus,
    /// Why it failed or stopped early.
    #[serde(default)]
    pub error: Option<AnswerError>,
    #[serde(default)]
    pub usage: Option<Usage>,
    /// From sending to the first token, when any arrived.
    #[serde(default)]
    pub first_token_ms: Option<f64>,
    pub total_ms: f64,
    /// What retrieval put into the request.
    #[serde(default)]
    pub context: Vec<ContextItem>,
    /// Ids of the images attached as pictures.
    #[serde(default)]
    pub attached: Vec<String>,
    /// The web search the answer made: its queries and the results it was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<Box<WebSearch>>,
    /// The wardrobe items it carried, in the prompt's order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wardrobe: Vec<Carried>,
}

impl CaseAnswer {
    /// Whether the answer came back whole.
    pub fn is_complete(&self) -> bool {
        self.status == MessageStatus::Complete && self.error.is_none()
    }

    /// The API error that kept the answer from being whole, if that is what happened.
    pub fn api_error(&self) -> Option<&ApiError> {
        match &self.error {
            Some(AnswerError::Api { error }) => Some(error),
            _ => None,
        }
    }
}

/// The ports an answer uses besides the case's own chat and recall: `memory` and `wardrobe` are the person's,
/// reached only when the configuration takes the wardrobe.
pub struct AnswerPorts<'a, B, T, R, M, W> {
    pub blobs: &'a B,
    pub transport: &'a T,
    pub runtime: &'a R,
    pub memory: &'a M,
    pub wardrobe: &'a W,
}

/// Asks `case`'s question about its images under `config`, exactly as a chat would, and reports the answer.
/// `None` when the turn could not start (it cannot, for a case: its store is in memory).
pub async fn answer_case<Blob, B, T, R, M, W>(
    ports: AnswerPorts<'_, B, T, R, M, W>,
    base: &Settings,
    config: &RunConfig,
    case: &Case,
    blobs: Vec<Blob>,
) -> Option<CaseAnswer>
where
    Blob: Clone,
    B: BlobReader<Blob>,
    T: Transport,
    R: Runtime,
    M: Recall,
    W: WardrobeSource<Blob = Blob>,
{
    let settings = config.settings(base);
    let store = CaseChat::new(case, blobs);
    let recall = CaseRecall::new(case, ports.transport, ports.runtime, config.wardrobe.then_some(ports.memory));
    let chat = Chat { detail: config.detail, ..Chat::new(case_chat_id(case), 0.0) };
    let started = ports.runtime.now_ms();
    let mut first: Option<f64> = None;
    let runtime = ports.runtime;
    let mut on = |e: Event| {
        if let Event::Turn(TurnEvent::Upsert(m)) = e {
            if first.is_none() && m.role == crate::core::model::Role::Assistant && !m.content.is_empty() {
                first = Some(runtime.now_ms() - started);
            }
        }
    };
    let pipeline_ports = Ports {
        store: &store,
        blobs: ports.blobs,
        recall: &recall,
        transport: ports.transport,
        runtime: ports.runtime,
        wardrobe: ports.wardrobe,
    };
    let web = config.web_ask(case);
    let question = Turn::Ask(case.question.clone());
    let options = pipeline::Options { web: web.as_ref(), wardrobe: config.wardrobe };
    let outcome =
        pipeline::run(pipeline_ports, &settings, &chat, question, options, &|_| None, &mut on).await.ok().flatten()?;
    let total_ms = ports.runtime.now_ms() - started;
    let (answer, worn) = (outcome.answer, outcome.wardrobe);
    let attached = answer.context.iter().filter(|i| i.used == ContextUse::Attached).map(|i| i.id.clone()).collect();
    Some(CaseAnswer {
        text: answer.content,
        status: answer.status,
        error: answer.error,
        usage: answer.usage,
        first_token_ms: first,
        total_ms,
        context: answer.context,
        attached,
        search: answer.search,
        wardrobe: worn,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::client::fakes::*;
    use crate::core::eval::model::ReferenceMode;
    use crate::core::wardrobe::fakes::{item as worn_item, MemWardrobe, WardrobeMemory};

    struct Bytes;
    impl BlobReader<Vec<u8>> for Bytes {
        async fn bytes(&self, blob: &Vec<u8>) -> Result<Vec<u8>, String> {
            Ok(blob.clone())
        }
    }

    fn case(images: usize) -> Case {
        let captions = ["a red bicycle by a wall", "a grey cat on a sofa", "a bowl of ramen", "a snowy mountain"];
        Case {
            id: "c1".into(),
            question: "What colour is the bicycle?".into(),
            reference: "Red.".into(),
            mode: ReferenceMode::All,
            tags: Vec::new(),
            images: (0..images)
                .map(|i| CaseImage {
                    id: format!("img{i}"),
                    name: format!("p{i}.png"),
                    mime: "image/png".into(),
                    width: 64,
                    height: 64,
                    caption: Some(captions[i % captions.len()].into()),
                    relevant: i == 0,
                })
                .collect(),
        }
    }

    fn settings() -> Settings {
        Settings { api_key: "sk-test-123456789".into(), base_url: "http://h/v1".into(), ..Settings::default() }
    }

    /// The person's memory and wardrobe, both empty.
    fn nothing() -> (WardrobeMemory, MemWardrobe) {
        (WardrobeMemory::default(), MemWardrobe::default())
    }

    fn config(retrieval: Option<u32>) -> RunConfig {
        RunConfig {
            wardrobe: false,
            preset: None,
            web: None,
            id: "a".into(),
            model: "gpt-4o-mini".into(),
            detail: Detail::Low,
            retrieval,
            instructions: None,
            temperature: None,
        }
    }

    fn embeddings(vectors: &[[f32; 3]]) -> Reply {
        let data: Vec<serde_json::Value> = vectors
            .iter()
            .enumerate()
            .map(|(i, v)| serde_json::json!({"object": "embedding", "index": i, "embedding": v}))
            .collect();
        let body = serde_json::json!({"object": "list", "data": data, "model": "m",
            "usage": {"prompt_tokens": 1, "total_tokens": 1}});
        Reply { status: 200, retry_after: None, chunks: vec![body.to_string().into_bytes()], end: Ok(()) }
    }

    fn body(t: &FakeTransport, i: usize) -> serde_json::Value {
        serde_json::from_str(t.sent.borrow()[i].body.as_deref().unwrap()).unwrap()
    }

    #[test]
    fn without_retrieval_every_image_goes_and_nothing_is_embedded() {
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::sse(&["Red", "."], true))]);
        let rt = FakeRuntime::default();
        let c = case(3);
        let blobs = vec![vec![1u8], vec![2], vec![3]];
        let none = nothing();
        let ports = AnswerPorts { blobs: &Bytes, transport: &t, runtime: &rt, memory: &none.0, wardrobe: &none.1 };
        let a = block_on(answer_case(ports, &settings(), &config(None), &c, blobs)).unwrap();
        assert_eq!(a.text, "Red.");
        assert!(a.is_complete());
        assert_eq!(a.usage.unwrap().total_tokens, 10);
        assert!(a.first_token_ms.is_some_and(|f| f > 0.0 && f <= a.total_ms));
        assert_eq!(a.attached, ["img0", "img1", "img2"]);
        assert_eq!(t.sent.borrow().len(), 1);
        let b = body(&t, 0);
        assert_eq!(image_parts(&b), 3);
        assert_eq!(b["model"], "gpt-4o-mini");
    }

    #[test]
    fn with_retrieval_the_question_and_captions_are_embedded_once_and_the_best_image_goes() {
        // The question points where image 2's caption does.
        let t = FakeTransport::new(vec![
            Scripted::Reply(embeddings(&[[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])),
            Scripted::Reply(Reply::sse(&["Grey."], true)),
        ]);
        let rt = FakeRuntime::default();
        let c = Case { question: "Is the animal asleep?".into(), ..case(3) };
        let none = nothing();
        let ports = AnswerPorts { blobs: &Bytes, transport: &t, runtime: &rt, memory: &none.0, wardrobe: &none.1 };
        let a =
            block_on(answer_case(ports, &settings(), &config(Some(1)), &c, vec![vec![1u8], vec![2], vec![3]])).unwrap();
        assert_eq!(a.attached, ["img1"]);
        let sent = t.sent.borrow();
        assert_eq!(sent.len(), 2);
        assert!(sent[0].url.ends_with("/embeddings"));
        let e: serde_json::Value = serde_json::from_str(sent[0].body.as_deref().unwrap()).unwrap();
        assert_eq!(e["input"].as_array().unwrap().len(), 4);
        assert_eq!(e["input"][0], "Is the animal asleep?");
        drop(sent);
        assert_eq!(image_parts(&body(&t, 1)), 1);
        assert_eq!(a.context.iter().filter(|i| i.used == ContextUse::Caption).count(), 2);
    }

    #[test]
    fn a_failed_answer_is_reported_with_its_error_not_dropped() {
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::error(
            401,
            r#"{"error":{"message":"Incorrect API key","type":"invalid_request_error","code":"invalid_api_key"}}"#,
            None,
        ))]);
        let rt = FakeRuntime::default();
        let none = nothing();
        let ports = AnswerPorts { blobs: &Bytes, transport: &t, runtime: &rt, memory: &none.0, wardrobe: &none.1 };
        let a = block_on(answer_case(ports, &settings(), &config(None), &case(1), vec![vec![1u8]])).unwrap();
        assert!(!a.is_complete());
        assert!(matches!(a.api_error(), Some(ApiError::InvalidKey { .. })), "{:?}", a.error);
        assert_eq!(a.first_token_ms, None);
    }

    #[test]
    fn instructions_and_temperature_reach_the_request() {
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::sse(&["Red."], true))]);
        let rt = FakeRuntime::default();
        let none = nothing();
        let ports = AnswerPorts { blobs: &Bytes, transport: &t, runtime: &rt, memory: &none.0, wardrobe: &none.1 };
        let c = RunConfig { instructions: Some("Answer in one word.".into()), temperature: Some(0.25), ..config(None) };
        block_on(answer_case(ports, &settings(), &c, &case(1), vec![vec![1u8]])).unwrap();
        let b = body(&t, 0);
        assert_eq!(b["temperature"], 0.25);
        assert!(b["messages"][0]["content"].as_str().unwrap().ends_with("\n\nAnswer in one word."));
        let plain = FakeTransport::new(vec![Scripted::Reply(Reply::sse(&["Red."], true))]);
        let none = nothing();
        let ports = AnswerPorts { blobs: &Bytes, transport: &plain, runtime: &rt, memory: &none.0, wardrobe: &none.1 };
        block_on(answer_case(ports, &settings(), &config(None), &case(1), vec![vec![1u8]])).unwrap();
        assert!(body(&plain, 0).get("temperature").is_none(), "no temperature unless one is set");
    }

    #[test]
    fn a_configuration_changes_only_what_it_names() {
        let base = Settings { recall_all_chats: true, context_images: 4, ..settings() };
        let s =
            RunConfig { instructions: Some("  ".into()), temperature: Some(0.2), ..config(Some(2)) }.settings(&base);
        assert_eq!((s.model.as_str(), s.context_images, s.recall_all_chats), ("gpt-4o-mini", 2, false));
        assert_eq!((s.instructions, s.temperature), (None, Some(0.2)));
        assert_eq!(s.api_key, base.api_key);
        assert_eq!(config(None).settings(&base).context_images, 16);
    }

    #[test]
    fn a_configuration_with_web_search_plans_searches_and_keeps_what_the_answer_saw() {
        let plan = serde_json::json!({"choices": [{"message": {"role": "assistant",
            "content": "{\"queries\":[\"red bicycle\"],\"look_for\":\"Its colour.\"}"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 200, "completion_tokens": 20, "total_tokens": 220}});
        let found = serde_json::json!({"results": [{"title": "Red bikes", "url": "https://bikes.example/red",
            "content": "A red bicycle."}], "usage": {"credits": 2}});
        let reply = |v: serde_json::Value| {
            Scripted::Reply(Reply {
                status: 200,
                retry_after: None,
                chunks: vec![v.to_string().into_bytes()],
                end: Ok(()),
            })
        };
        let t = FakeTransport::new(vec![reply(plan), reply(found), Scripted::Reply(Reply::sse(&["Red [1]."], true))]);
        let rt = FakeRuntime::default();
        let s = Settings { tavily_key: "tvly-test-1".into(), ..settings() };
        let c = RunConfig { web: Some(SearchDepth::Advanced), ..config(None) };
        assert_eq!(c.system_prompt(), IMAGE_QA_PROMPT);
        let korean = Case { question: "자전거는 무슨 색이에요?".into(), ..case(1) };
        let none = nothing();
        let ports = AnswerPorts { blobs: &Bytes, transport: &t, runtime: &rt, memory: &none.0, wardrobe: &none.1 };
        let a = block_on(answer_case(ports, &s, &c, &korean, vec![vec![1u8]])).unwrap();
        let search = a.search.as_ref().expect("the search is kept with the answer");
        assert_eq!(search.results[0].title, "Red bikes");
        assert_eq!(search.credits, 2.0);
        let sent = t.sent.borrow();
        let tavily: serde_json::Value = serde_json::from_str(sent[1].body.as_deref().unwrap()).unwrap();
        assert_eq!(tavily["search_depth"], "advanced", "the configuration's depth");
        assert_eq!(tavily["country"], "south korea", "a Korean question boosts Korean results");
        drop(sent);
        // The result's cost counts the plan, the answer and the credits at the run's rate.
        let mut r =
            crate::core::eval::run::CaseResult::new("run", &crate::core::eval::schedule::JobKey::new("c1", "a"));
        r.answered(a, &korean, &c, &crate::core::cost::PriceTable::defaults(), 0.01);
        let expected = (200.0 * 0.15 + 7.0 * 0.15 + 3.0 * 0.60 + 20.0 * 0.60) / 1e6 + 0.02;
        assert!((r.answer_cost_usd.unwrap() - expected).abs() < 1e-12, "{:?}", r.answer_cost_usd);
    }

    #[test]
    fn a_configurations_assistant_gives_the_answers_its_system_prompt_but_not_its_model() {
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::sse(&["Navy."], true))]);
        let rt = FakeRuntime::default();
        let stylist = Preset { model: Some("gpt-4o".into()), ..crate::core::preset::Builtin::StyleAdvisor.preset() };
        let c = RunConfig { preset: Some(stylist), ..config(None) };
        let none = nothing();
        let ports = AnswerPorts { blobs: &Bytes, transport: &t, runtime: &rt, memory: &none.0, wardrobe: &none.1 };
        block_on(answer_case(ports, &settings(), &c, &case(1), vec![vec![1u8]])).unwrap();
        let b = body(&t, 0);
        let system = b["messages"][0]["content"].as_str().unwrap();
        assert!(system.starts_with(crate::core::preset::STYLE_ADVISOR_PROMPT), "{system}");
        assert_eq!(b["model"], "gpt-4o-mini", "the configuration's model");
    }

    #[test]
    fn a_configuration_with_the_wardrobe_carries_the_items_the_memory_ranks_by_the_cases_own_question_vector() {
        // The question and the case's caption are embedded together; the memory compares the question's vector
        // with the wardrobe's stored ones (the boots point where the question does) and embeds nothing.
        let t = FakeTransport::new(vec![
            Scripted::Reply(embeddings(&[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])),
            Scripted::Reply(Reply::sse(&["The boots."], true)),
        ]);
        let rt = FakeRuntime::default();
        let (boots, boots_jpeg) = worn_item("w-boots", "IMG_4801.JPG", Some("Brown leather hiking boots."), &[7, 7]);
        let (tie, tie_jpeg) = worn_item("w-tie", "IMG_4802.JPG", Some("A yellow silk tie."), &[8]);
        let memory = WardrobeMemory {
            items: vec![(boots.clone(), Some(vec![1.0, 0.0, 0.0])), (tie.clone(), Some(vec![0.0, 1.0, 0.0]))],
            ..WardrobeMemory::default()
        };
        let closet = MemWardrobe::with(vec![(boots, boots_jpeg.clone()), (tie, tie_jpeg)]);
        let c = Case { question: "What goes with this jacket on a trail?".into(), ..case(1) };
        let with = RunConfig { wardrobe: true, ..config(None) };
        let ports = AnswerPorts { blobs: &Bytes, transport: &t, runtime: &rt, memory: &memory, wardrobe: &closet };
        let a = block_on(answer_case(ports, &settings(), &with, &c, vec![vec![1u8]])).unwrap();
        assert!(a.is_complete());
        assert_eq!(memory.refreshed.get(), 1, "the memory is brought up to date first");
        assert_eq!(
            a.wardrobe,
            [Carried {
                id: "w-boots".into(),
                name: "IMG_4801.JPG".into(),
                caption: Some("Brown leather hiking boots.".into())
            }]
        );
        let worn = a.context.iter().find(|i| i.used == ContextUse::Wardrobe).expect("in the Context");
        assert!(worn.similarity.is_some_and(|s| s > 0.99), "{worn:?}");
        let sent = t.sent.borrow();
        let e: serde_json::Value = serde_json::from_str(sent[0].body.as_deref().unwrap()).unwrap();
        assert_eq!(e["input"].as_array().unwrap().len(), 2, "one embeddings request: the question and the caption");
        drop(sent);
        let b = body(&t, 1);
        assert_eq!(image_parts(&b), 2, "the case's picture, then the boots");
        let boots_url = format!(
            "data:image/jpeg;base64,{}",
            base64::Engine::encode(&base64::prelude::BASE64_STANDARD, &boots_jpeg)
        );
        assert!(b.to_string().contains(&boots_url), "the item's own picture is sent");

        // Without the wardrobe the same case reads neither the memory nor the wardrobe.
        let t = FakeTransport::new(vec![Scripted::Reply(Reply::sse(&["A jacket."], true))]);
        let ports = AnswerPorts { blobs: &Bytes, transport: &t, runtime: &rt, memory: &memory, wardrobe: &closet };
        let a = block_on(answer_case(ports, &settings(), &config(None), &c, vec![vec![1u8]])).unwrap();
        assert!(a.wardrobe.is_empty());
        assert_eq!(memory.refreshed.get(), 1);
        assert_eq!(t.sent.borrow().len(), 1, "nothing embedded: the only image goes");
    }
}
