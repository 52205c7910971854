//! Turning a chat into a request: which earlier messages fit the token budget, where the images go, and the
//! body that is sent.
//!
//! The layout keeps a stable prefix so the provider's prompt cache can reuse it turn after turn (while the same
//! images are attached; retrieval choosing others changes the prefix from the image message on): a system
//! message, then one user message carrying the chat's images (each labelled with its number, file name and
//! caption; those retrieval left out are sent as that label only), then the conversation, then any earlier
//! messages retrieval recalled, then the question. History is trimmed oldest turn first. Which images are
//! attached and what is recalled is decided in [`crate::core::context`]. Wardrobe items chosen for the question
//! come after the chat's images in the same message, introduced as such and labelled "Wardrobe item N", so the
//! chat's own images keep their numbers and the cached prefix.

use crate::core::model::{Detail, Language, Message, MessageStatus, Role};
use crate::core::openai::{ChatMessage, ChatRequest, ContentPart, ImageUrl, StreamOptions, UserContent};
use crate::core::preset::IMAGE_QA_PROMPT;
use base64::Engine;

/// A recalled message as the prompt shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recalled {
    pub role: Role,
    /// The chat's title, when the message is from another chat.
    pub chat_title: Option<String>,
    pub text: String,
}

/// An image ready to send: its label, its caption if it has one, and its encoded bytes.
#[derive(Debug, Clone, Copy)]
pub struct PromptImage<'a> {
    pub name: &'a str,
    pub mime: &'a str,
    pub bytes: &'a [u8],
    pub caption: Option<&'a str>,
    /// Whether the pixels are sent; otherwise the label (with the caption) stands in and `bytes` is unused.
    pub attached: bool,
}

impl PromptImage<'_> {
    /// The text that introduces the image in a request: `what` is "Image" for the chat's images and "Wardrobe
    /// item" for the wardrobe's.
    fn label(&self, what: &str, number: usize) -> String {
        let mut label = match self.caption {
            Some(c) if !c.trim().is_empty() => format!("{what} {number}: {} — {}", self.name, c.trim()),
            _ => format!("{what} {number}: {}", self.name),
        };
        if !self.attached {
            label.push_str(" (not attached to this question; described by its caption only)");
        }
        label
    }
}

const CAPTION_PROMPT: &str = "Write a short factual caption of this image for search: the main objects, their \
colours, any visible text (quoted exactly), and the setting. One or two sentences, no preamble, no guessing.";

/// The request that captions one image in `language`: not streamed, short, at the detail the chat would use.
pub fn caption_request(model: &str, image: &PromptImage, language: Language) -> ChatRequest {
    let written_in = match language {
        Language::En => "Write it in English.",
        Language::Ko => "Write it in Korean (한국어), in plain sentences; keep visible text as it is written.",
    };
    ChatRequest {
        model: model.to_owned(),
        messages: vec![ChatMessage::User {
            content: UserContent::Parts(vec![
                ContentPart::Text { text: format!("{CAPTION_PROMPT} {written_in}") },
                ContentPart::ImageUrl {
                    image_url: ImageUrl { url: data_url(image.mime, image.bytes), detail: Detail::Auto },
                },
            ]),
        }],
        stream: false,
        stream_options: None,
        max_completion_tokens: Some(160),
        temperature: None,
    }
}

/// What one question needs.
#[derive(Debug, Clone, Copy)]
pub struct PromptInput<'a> {
    pub model: &'a str,
    pub detail: Detail,
    /// Earlier messages of the chat in order, not including the question.
    pub history: &'a [Message],
    pub question: &'a str,
    pub images: &'a [PromptImage<'a>],
    /// Wardrobe items that go with the question as pictures, best first (their captions carry their tags).
    pub wardrobe: &'a [PromptImage<'a>],
    /// Tokens of history to send at most.
    pub history_budget: u32,
    /// Earlier messages recalled by retrieval, oldest first.
    pub recalled: &'a [Recalled],
    /// The system prompt of the chat's assistant ([`crate::core::preset`]); `None` (or blank) is Image Q&A's.
    pub system: Option<&'a str>,
    /// The person's (or an evaluation configuration's) instructions, added to the system prompt.
    pub instructions: Option<&'a str>,
    pub temperature: Option<f32>,
    /// The web results block (see [`crate::core::websearch::cite::results_block`]), sent just before the
    /// question, when the question searched the web and found something.
    pub web: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BuiltPrompt {
    pub request: ChatRequest,
    /// How many earlier messages were left out to fit the budget.
    pub trimmed: u32,
    /// A rough count of the text tokens sent (images not included).
    pub text_tokens: u32,
}

/// What introduces the wardrobe items in the image message.
const WARDROBE_INTRO: &str = "From my wardrobe (things I own), the items most relevant to my question:";

/// Estimates tokens of a text: about four characters per token for Latin text, one per character for
/// Hangul, kana and CJK ideographs (which the tokenizers split finely). Good enough for budgeting.
pub fn estimate_tokens(text: &str) -> u32 {
    let mut ascii = 0u32;
    let mut wide = 0u32;
    for c in text.chars() {
        if c.is_ascii() {
            ascii += 1;
        } else {
            wide += 1;
        }
    }
    ascii.div_ceil(4) + wide
}

/// Tokens a message costs in a request, including the few the chat format adds around each message.
pub fn message_tokens(m: &Message) -> u32 {
    estimate_tokens(&m.content) + 4
}

/// Whether a stored message belongs in the conversation sent to the model. Failed answers have no text;
/// interrupted ones are kept, because the person saw them.
pub fn is_sendable(m: &Message) -> bool {
    m.status != MessageStatus::Failed && !m.content.trim().is_empty()
}

/// Picks the newest messages that fit `budget` tokens, dropping whole turns from the oldest end, and never
/// starting the kept history with an assistant message (an answer without its question misleads).
/// Returns the kept messages and how many sendable messages were dropped.
pub fn trim_history(history: &[Message], budget: u32) -> (Vec<&Message>, u32) {
    let sendable: Vec<&Message> = history.iter().filter(|m| is_sendable(m)).collect();
    let mut used = 0u32;
    let mut start = sendable.len();
    while start > 0 {
        let cost = message_tokens(sendable[start - 1]);
        if used + cost > budget {
            break;
        }
        used += cost;
        start -= 1;
    }
    while start < sendable.len() && sendable[start].role == Role::Assistant {
        start += 1;
    }
    let dropped = start as u32;
    (sendable[start..].to_vec(), dropped)
}

/// A `data:` URL for image bytes.
pub fn data_url(mime: &str, bytes: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut s = String::with_capacity(b64.len() + mime.len() + 13);
    s.push_str("data:");
    s.push_str(mime);
    s.push_str(";base64,");
    s.push_str(&b64);
    s
}

/// The message that carries recalled messages, each marked with who said it and where.
fn recall_text(recalled: &[Recalled]) -> String {
    let mut text = String::from(
        "Earlier messages recalled because they may be relevant to my next question (they are older than the \
         conversation above, or from other chats):",
    );
    for r in recalled {
        let who = if r.role == Role::User { "Me" } else { "You (Boda)" };
        match &r.chat_title {
            Some(t) => text.push_str(&format!("\n\n[{who}, in the chat “{t}”]\n{}", r.text)),
            None => text.push_str(&format!("\n\n[{who}, earlier in this chat]\n{}", r.text)),
        }
    }
    text
}

/// Builds the streaming request for one question.
pub fn build(input: &PromptInput) -> BuiltPrompt {
    let (kept, trimmed) = trim_history(input.history, input.history_budget);
    let mut messages = Vec::with_capacity(kept.len() + 3);
    let mut system = input.system.map(str::trim).filter(|s| !s.is_empty()).unwrap_or(IMAGE_QA_PROMPT).to_owned();
    if input.images.is_empty() {
        system.push_str(" No images have been shared in this chat yet; if the question needs one, ask for it.");
    } else {
        let attached = input.images.iter().filter(|i| i.attached).count();
        if attached == input.images.len() {
            system.push_str(&format!(" The user has shared {attached} image(s), sent in the first user message."));
        } else {
            system.push_str(&format!(
                " The user has shared {} image(s), listed in the first user message; {attached} of them are \
                 attached there, and the others are described by their captions only.",
                input.images.len()
            ));
        }
    }
    if !input.wardrobe.is_empty() {
        system.push_str(&format!(
            " After the chat's images, the first user message also carries {} item(s) from the user's wardrobe \
             (things they own, kept across chats), each labelled \"Wardrobe item\" with its number, file name and \
             description; refer to them by that label when they fit the question.",
            input.wardrobe.len()
        ));
    }
    if let Some(extra) = input.instructions.map(str::trim).filter(|t| !t.is_empty()) {
        system.push_str("\n\n");
        system.push_str(extra);
    }
    let mut text_tokens = estimate_tokens(&system) + 4;
    messages.push(ChatMessage::System { content: system });
    if !input.images.is_empty() || !input.wardrobe.is_empty() {
        let mut parts = Vec::with_capacity((input.images.len() + input.wardrobe.len()) * 2 + 1);
        for (what, list) in [("Image", input.images), ("Wardrobe item", input.wardrobe)] {
            if what != "Image" && !list.is_empty() {
                text_tokens += estimate_tokens(WARDROBE_INTRO);
                parts.push(ContentPart::Text { text: WARDROBE_INTRO.to_owned() });
            }
            for (i, img) in list.iter().enumerate() {
                let label = img.label(what, i + 1);
                text_tokens += estimate_tokens(&label);
                parts.push(ContentPart::Text { text: label });
                if img.attached {
                    parts.push(ContentPart::ImageUrl {
                        image_url: ImageUrl { url: data_url(img.mime, img.bytes), detail: input.detail },
                    });
                }
            }
        }
        messages.push(ChatMessage::User { content: UserContent::Parts(parts) });
    }
    for m in kept {
        text_tokens += message_tokens(m);
        messages.push(match m.role {
            Role::User => ChatMessage::User { content: UserContent::Text(m.content.clone()) },
            Role::Assistant => ChatMessage::Assistant { content: m.content.clone() },
        });
    }
    if !input.recalled.is_empty() {
        let text = recall_text(input.recalled);
        text_tokens += estimate_tokens(&text) + 4;
        messages.push(ChatMessage::User { content: UserContent::Text(text) });
    }
    if let Some(block) = input.web {
        text_tokens += estimate_tokens(block) + 4;
        messages.push(ChatMessage::User { content: UserContent::Text(block.to_owned()) });
    }
    text_tokens += estimate_tokens(input.question) + 4;
    messages.push(ChatMessage::User { content: UserContent::Text(input.question.to_owned()) });
    BuiltPrompt {
        request: ChatRequest {
            model: input.model.to_owned(),
            messages,
            stream: true,
            stream_options: Some(StreamOptions { include_usage: true }),
            max_completion_tokens: None,
            temperature: input.temperature,
        },
        trimmed,
        text_tokens,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: &str, role: Role, content: &str, status: MessageStatus) -> Message {
        Message { status, ..Message::new(id.into(), "c".into(), role, content.into(), 0.0) }
    }

    #[test]
    fn token_estimates_treat_korean_as_dense() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("abcd"), 1);
        assert_eq!(estimate_tokens("abcde"), 2);
        assert_eq!(estimate_tokens("안녕하세요"), 5);
    }

    #[test]
    fn trims_oldest_turns_first_and_never_starts_with_an_answer() {
        let long = "word ".repeat(40); // 50 tokens + 4.
        let h = vec![
            msg("1", Role::User, &long, MessageStatus::Complete),
            msg("2", Role::Assistant, &long, MessageStatus::Complete),
            msg("3", Role::User, &long, MessageStatus::Complete),
            msg("4", Role::Assistant, &long, MessageStatus::Complete),
        ];
        let (kept, dropped) = trim_history(&h, 1000);
        assert_eq!((kept.len(), dropped), (4, 0));
        // Room for three messages: the oldest question goes, and so does its now-orphaned answer.
        let (kept, dropped) = trim_history(&h, 54 * 3);
        assert_eq!(kept.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["3", "4"]);
        assert_eq!(dropped, 2);
        let (kept, dropped) = trim_history(&h, 10);
        assert!(kept.is_empty());
        assert_eq!(dropped, 4);
    }

    #[test]
    fn failed_and_empty_answers_are_not_sent_but_interrupted_ones_are() {
        let h = vec![
            msg("1", Role::User, "q1", MessageStatus::Complete),
            msg("2", Role::Assistant, "", MessageStatus::Failed),
            msg("3", Role::User, "q2", MessageStatus::Complete),
            msg("4", Role::Assistant, "partial", MessageStatus::Interrupted),
        ];
        let (kept, dropped) = trim_history(&h, 1000);
        assert_eq!(kept.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["1", "3", "4"]);
        assert_eq!(dropped, 0);
    }

    #[test]
    fn every_question_carries_every_image_before_the_history() {
        let history = vec![
            msg("1", Role::User, "What do the two photos have in common?", MessageStatus::Complete),
            msg("2", Role::Assistant, "Both show a cat.", MessageStatus::Complete),
        ];
        let images = [
            PromptImage { name: "a.jpg", mime: "image/jpeg", bytes: &[1, 2, 3], caption: None, attached: true },
            PromptImage {
                name: "b.png",
                mime: "image/webp",
                bytes: &[4, 5],
                caption: Some("A red kite."),
                attached: true,
            },
        ];
        let built = build(&PromptInput {
            model: "gpt-4o-mini",
            detail: Detail::Low,
            history: &history,
            question: "What is different between them?",
            images: &images,
            history_budget: 8000,
            recalled: &[],
            system: None,
            wardrobe: &[],
            instructions: None,
            temperature: None,
            web: None,
        });
        let v = serde_json::to_value(&built.request).unwrap();
        let msgs = v["messages"].as_array().unwrap();
        assert_eq!(msgs.len(), 5);
        assert_eq!(msgs[0]["role"], "system");
        let parts = msgs[1]["content"].as_array().unwrap();
        assert_eq!(parts[0]["text"], "Image 1: a.jpg");
        assert_eq!(parts[1]["image_url"]["url"], "data:image/jpeg;base64,AQID");
        assert_eq!(parts[1]["image_url"]["detail"], "low");
        assert_eq!(parts[2]["text"], "Image 2: b.png — A red kite.");
        assert_eq!(parts[3]["image_url"]["url"], "data:image/webp;base64,BAU=");
        assert_eq!(msgs[2]["content"], "What do the two photos have in common?");
        assert_eq!(msgs[3]["role"], "assistant");
        assert_eq!(msgs[4]["content"], "What is different between them?");
        assert_eq!(v["stream"], true);
        assert_eq!(v["stream_options"]["include_usage"], true);
        assert_eq!(built.trimmed, 0);
    }

    #[test]
    fn a_caption_request_is_short_plain_and_carries_the_image() {
        let img = PromptImage { name: "a.jpg", mime: "image/jpeg", bytes: &[1, 2, 3], caption: None, attached: true };
        let v = serde_json::to_value(caption_request("gpt-4o-mini", &img, Language::En)).unwrap();
        assert_eq!(v["stream"], false);
        assert!(v.get("stream_options").is_none());
        assert_eq!(v["max_completion_tokens"], 160);
        assert_eq!(v["messages"][0]["content"][1]["image_url"]["url"], "data:image/jpeg;base64,AQID");
        assert!(v["messages"][0]["content"][0]["text"].as_str().unwrap().contains("visible text"));
        assert!(v["messages"][0]["content"][0]["text"].as_str().unwrap().ends_with("in English."));
        let ko = serde_json::to_value(caption_request("gpt-4o-mini", &img, Language::Ko)).unwrap();
        assert!(ko["messages"][0]["content"][0]["text"].as_str().unwrap().contains("Korean (한국어)"));
    }

    #[test]
    fn a_chat_without_images_sends_no_image_message() {
        let built = build(&PromptInput {
            model: "m",
            detail: Detail::Auto,
            history: &[],
            question: "hi",
            images: &[],
            history_budget: 100,
            recalled: &[],
            system: None,
            wardrobe: &[],
            instructions: None,
            temperature: None,
            web: None,
        });
        assert_eq!(built.request.messages.len(), 2);
        assert!(built.text_tokens > 0);
    }

    #[test]
    fn caption_only_images_are_labels_and_recalled_messages_come_before_the_question() {
        let images = [
            PromptImage { name: "a.jpg", mime: "image/jpeg", bytes: &[1], caption: Some("A cat."), attached: false },
            PromptImage { name: "b.jpg", mime: "image/jpeg", bytes: &[2], caption: Some("A dog."), attached: true },
        ];
        let recalled = [Recalled { role: Role::User, chat_title: Some("Pets".into()), text: "My cat is Nabi.".into() }];
        let built = build(&PromptInput {
            model: "m",
            detail: Detail::Auto,
            history: &[],
            question: "Name?",
            images: &images,
            history_budget: 100,
            recalled: &recalled,
            system: None,
            wardrobe: &[],
            instructions: None,
            temperature: None,
            web: None,
        });
        let v = serde_json::to_value(&built.request).unwrap();
        let msgs = v["messages"].as_array().unwrap();
        assert!(msgs[0]["content"].as_str().unwrap().contains("1 of them are attached"));
        let parts = msgs[1]["content"].as_array().unwrap();
        assert_eq!(parts.len(), 3, "one label, then a label with its image");
        assert!(parts[0]["text"].as_str().unwrap().starts_with("Image 1: a.jpg — A cat. (not attached"));
        assert_eq!(parts[2]["image_url"]["url"], "data:image/jpeg;base64,Ag==");
        let recall = msgs[2]["content"].as_str().unwrap();
        assert!(recall.contains("[Me, in the chat “Pets”]\nMy cat is Nabi."), "{recall}");
        assert_eq!(msgs[3]["content"], "Name?");
    }

    #[test]
    fn the_assistants_prompt_replaces_image_qas_and_keeps_the_chats_facts_and_instructions() {
        let images = [PromptImage { name: "a.jpg", mime: "image/jpeg", bytes: &[1], caption: None, attached: true }];
        let system_of = |system: Option<&str>, instructions: Option<&str>| {
            let built = build(&PromptInput {
                model: "m",
                detail: Detail::Auto,
                history: &[],
                question: "What should I wear?",
                images: &images,
                history_budget: 100,
                recalled: &[],
                system,
                wardrobe: &[],
                instructions,
                temperature: None,
                web: None,
            });
            match &built.request.messages[0] {
                ChatMessage::System { content } => content.clone(),
                other => panic!("not a system message: {other:?}"),
            }
        };
        let default = system_of(None, None);
        assert!(default.starts_with(crate::core::preset::IMAGE_QA_PROMPT), "{default}");
        assert_eq!(system_of(Some("  "), None), default, "a blank prompt is Image Q&A's");
        let own = system_of(Some("You are a tailor named Pip."), Some("Be brief."));
        assert!(own.starts_with("You are a tailor named Pip. The user has shared 1 image(s)"), "{own}");
        assert!(own.ends_with("\n\nBe brief."), "{own}");
        assert!(!own.contains("You are Boda, an assistant"), "{own}");
    }

    #[test]
    fn wardrobe_items_follow_the_chats_images_with_numbers_of_their_own() {
        let images = [PromptImage {
            name: "IMG_4900.JPG",
            mime: "image/jpeg",
            bytes: &[1],
            caption: Some("A navy jacket."),
            attached: true,
        }];
        let wardrobe = [
            PromptImage {
                name: "IMG_4817.JPG",
                mime: "image/webp",
                bytes: &[2],
                caption: Some("Brown boots. (tags: hiking)"),
                attached: true,
            },
            PromptImage { name: "IMG_4802.JPG", mime: "image/jpeg", bytes: &[3], caption: None, attached: true },
        ];
        let request = |images: &[PromptImage]| {
            let built = build(&PromptInput {
                model: "m",
                detail: Detail::Auto,
                history: &[],
                question: "What would go with this jacket?",
                images,
                wardrobe: &wardrobe,
                history_budget: 100,
                recalled: &[],
                system: None,
                instructions: None,
                temperature: None,
                web: None,
            });
            serde_json::to_value(&built.request).unwrap()
        };
        let v = request(&images);
        let msgs = v["messages"].as_array().unwrap();
        let system = msgs[0]["content"].as_str().unwrap();
        assert!(system.contains("The user has shared 1 image(s)"), "{system}");
        assert!(system.contains("2 item(s) from the user's wardrobe"), "{system}");
        let parts = msgs[1]["content"].as_array().unwrap();
        let texts: Vec<&str> = parts.iter().filter_map(|p| p["text"].as_str()).collect();
        assert_eq!(
            texts,
            [
                "Image 1: IMG_4900.JPG — A navy jacket.",
                WARDROBE_INTRO,
                "Wardrobe item 1: IMG_4817.JPG — Brown boots. (tags: hiking)",
                "Wardrobe item 2: IMG_4802.JPG",
            ]
        );
        assert_eq!(parts[1]["image_url"]["url"], "data:image/jpeg;base64,AQ==");
        assert_eq!(parts[4]["image_url"]["url"], "data:image/webp;base64,Ag==");
        assert_eq!(parts[6]["image_url"]["url"], "data:image/jpeg;base64,Aw==");
        assert_eq!(msgs[2]["content"], "What would go with this jacket?");
        // A chat without images of its own still gets the wardrobe's, and is told it has none.
        let v = request(&[]);
        let system = v["messages"][0]["content"].as_str().unwrap();
        assert!(system.contains("No images have been shared in this chat yet") && system.contains("wardrobe"));
        assert_eq!(v["messages"][1]["content"][0]["text"], WARDROBE_INTRO);
    }
}
