//! Assistants (presets): what a chat's answers are asked to be. An assistant is a system prompt with an
//! optional model of its own and two defaults, whether web search is on and whether the wardrobe is used.
//!
//! Two are built in and cannot be changed or deleted: "Image Q&A" (Boda's behaviour before assistants, and
//! the default) and "Style advisor". The person makes their own (new, or a duplicate of any assistant), edits
//! and deletes them. A chat names its assistant by id ([`crate::core::model::Chat::preset`]); [`resolve`] turns
//! that id into the assistant, falling back to Image Q&A for a chat that names none or one since deleted.
//! [`Preset::apply`] gives the settings a turn runs with.
//!
//! Built-in assistants have no stored name: the views name them from the catalogue, in the person's language.
//! Their prompts are model-facing text and stay English (the model answers in the language of the question).
//! Problems with an edited assistant are kinds ([`PresetProblem`]) for the views to word. Nothing here stores
//! anything ([`crate::core::ports::PresetRepo`] does) or decides which assistant a new chat gets (the views
//! remember the last one chosen).

use crate::core::model::Settings;
use serde::{Deserialize, Serialize};

/// The id of the built-in "Image Q&A".
pub const IMAGE_QA_ID: &str = "image-qa";
/// The id of the built-in "Style advisor".
pub const STYLE_ADVISOR_ID: &str = "style-advisor";

/// The system prompt of Image Q&A: how Boda answered before there were assistants.
pub const IMAGE_QA_PROMPT: &str = "You are Boda, an assistant that answers questions about the images the user has \
shared in this chat. Look at the images carefully and base your answers on what is visible; say so when something \
cannot be determined from them. Refer to images by their number and file name when it helps. Answer in the \
language of the question. Use Markdown where it helps readability.";

/// The system prompt of Style advisor. Wardrobe items and web results, when a request carries them, come as
/// blocks of their own; the prompt holds whether or not they are there.
pub const STYLE_ADVISOR_PROMPT: &str = "You are Boda's style advisor, a personal stylist who helps the user decide \
what to wear. Look carefully at the photos the user has shared in this chat: the person, their clothes, the fit, \
the colours, the proportions and the setting. Base every judgement on what is visible; when something that matters \
cannot be seen (the back of a garment, the shoes, the true colour in poor light), say so and ask rather than guess. \
Use the whole conversation: the occasion, the weather, the budget, the user's preferences and what they have said \
they own or dislike. If the request includes a block of wardrobe items, prefer pieces the user already owns and \
name each one as the block does; if it includes a block of web results, draw on them and say which result a pick \
relies on. Without such blocks, work from the photos and the conversation alone. Recommend concrete pieces and \
combinations (the garment, its colour, fit and material, and what it goes with), and explain each pick in a \
sentence or two: why it suits this person, these colours and this occasion. Refer to images by their number and \
file name when it helps. Ask a short question when the occasion or the goal is unclear. Answer in the language of \
the question. Use Markdown where it helps readability.";

/// The longest name an assistant may have, in characters.
pub const MAX_NAME_CHARS: usize = 60;
/// The longest system prompt an assistant may have, in characters.
pub const MAX_PROMPT_CHARS: usize = 20_000;

/// The assistants Boda ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Builtin {
    ImageQa,
    StyleAdvisor,
}

impl Builtin {
    /// In the order the views list them.
    pub const ALL: [Builtin; 2] = [Builtin::ImageQa, Builtin::StyleAdvisor];

    /// Its stable id, which chats store.
    pub fn id(self) -> &'static str {
        match self {
            Builtin::ImageQa => IMAGE_QA_ID,
            Builtin::StyleAdvisor => STYLE_ADVISOR_ID,
        }
    }

    pub fn from_id(id: &str) -> Option<Builtin> {
        Builtin::ALL.into_iter().find(|b| b.id() == id)
    }

    /// The built-in assistant itself.
    pub fn preset(self) -> Preset {
        let (system_prompt, wardrobe) = match self {
            Builtin::ImageQa => (IMAGE_QA_PROMPT, false),
            Builtin::StyleAdvisor => (STYLE_ADVISOR_PROMPT, true),
        };
        Preset {
            id: self.id().to_owned(),
            name: String::new(),
            builtin: Some(self),
            system_prompt: system_prompt.to_owned(),
            model: None,
            web_search: false,
            wardrobe,
            created_ms: 0.0,
            updated_ms: 0.0,
        }
    }
}

/// An assistant: built in, or the person's own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preset {
    pub id: String,
    /// The person's name for it; empty for a built-in one (the views name those in the person's language).
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub builtin: Option<Builtin>,
    /// What the model is told before the conversation; Boda adds what the chat holds (how many images) after it.
    pub system_prompt: String,
    /// The model its answers come from; `None` uses the model in Settings.
    #[serde(default)]
    pub model: Option<String>,
    /// Whether web search starts on in a chat with this assistant (the person can turn it off per question).
    #[serde(default)]
    pub web_search: bool,
    /// Whether the wardrobe goes with its questions.
    #[serde(default)]
    pub wardrobe: bool,
    /// Milliseconds since the Unix epoch (0 for built-in ones).
    #[serde(default)]
    pub created_ms: f64,
    #[serde(default)]
    pub updated_ms: f64,
}

impl Preset {
    pub fn is_builtin(&self) -> bool {
        self.builtin.is_some()
    }

    /// The settings a turn with this assistant runs with: its system prompt, and its model when it names one.
    pub fn apply(&self, settings: &Settings) -> Settings {
        let model = self.model.as_deref().map(str::trim).filter(|m| !m.is_empty());
        Settings {
            system_prompt: Some(self.system_prompt.clone()),
            model: model.map_or_else(|| settings.model.clone(), str::to_owned),
            ..settings.clone()
        }
    }
}

/// The built-in assistants, Image Q&A first.
pub fn builtins() -> Vec<Preset> {
    Builtin::ALL.into_iter().map(Builtin::preset).collect()
}

/// The person's assistants in the order they are listed: oldest first (a duplicate comes after its source).
pub fn ordered(custom: &[Preset]) -> Vec<Preset> {
    let mut out: Vec<Preset> = custom.iter().filter(|p| !p.is_builtin()).cloned().collect();
    out.sort_by(|a, b| a.created_ms.total_cmp(&b.created_ms).then_with(|| a.id.cmp(&b.id)));
    out
}

/// Every assistant as listed: the built-in ones, then the person's ([`ordered`]).
pub fn all(custom: &[Preset]) -> Vec<Preset> {
    let mut out = builtins();
    out.extend(ordered(custom));
    out
}

/// The assistant a chat names: a built-in one, one of the person's `custom` ones, or (for no id, or an id of
/// one since deleted) Image Q&A.
pub fn resolve(custom: &[Preset], id: Option<&str>) -> Preset {
    let Some(id) = id else { return Builtin::ImageQa.preset() };
    if let Some(b) = Builtin::from_id(id) {
        return b.preset();
    }
    custom.iter().find(|p| p.id == id && !p.is_builtin()).cloned().unwrap_or_else(|| Builtin::ImageQa.preset())
}

/// How names are compared: without surrounding spaces, whatever the case.
fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// A copy of `source` (built in or not) as one of the person's assistants, named by `copy_name` from the
/// source's name (`source_name`: for a built-in one, its name in the person's language) and a number, 1 for the
/// first copy: "Style advisor (copy)", then "Style advisor (copy 2)" while a name is taken. The source's name
/// is shortened as far as needed for the copy's name to fit [`MAX_NAME_CHARS`].
pub fn duplicate(
    source: &Preset,
    source_name: &str,
    copy_name: impl Fn(&str, u32) -> String,
    custom: &[Preset],
    id: String,
    now_ms: f64,
) -> Preset {
    let base = source_name.trim();
    let fitting = |n: u32| {
        let mut chars = base.chars().count();
        loop {
            let cut: String = base.chars().take(chars).collect();
            let name = copy_name(cut.trim_end(), n);
            if name.chars().count() <= MAX_NAME_CHARS || chars == 0 {
                return name;
            }
            chars -= 1;
        }
    };
    let taken = |name: &str| custom.iter().any(|p| same_name(&p.name, name));
    let name = (1..).map(fitting).find(|name| !taken(name)).expect("some number makes a free name");
    Preset { id, name, builtin: None, created_ms: now_ms, updated_ms: now_ms, ..source.clone() }
}

/// An assistant as its form holds it, before it is checked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PresetDraft {
    pub name: String,
    pub system_prompt: String,
    /// As typed; empty uses the model in Settings.
    pub model: String,
    pub web_search: bool,
    pub wardrobe: bool,
}

impl PresetDraft {
    /// The form filled with an assistant, to edit it.
    pub fn of(preset: &Preset) -> PresetDraft {
        PresetDraft {
            name: preset.name.clone(),
            system_prompt: preset.system_prompt.clone(),
            model: preset.model.clone().unwrap_or_default(),
            web_search: preset.web_search,
            wardrobe: preset.wardrobe,
        }
    }
}

/// What is wrong with an edited assistant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PresetProblem {
    /// A built-in assistant cannot be changed (duplicate it instead).
    Builtin,
    EmptyName,
    NameTooLong {
        max: usize,
    },
    /// Another assistant (one of the person's, or a built-in one in either language) has this name.
    NameTaken {
        name: String,
    },
    EmptyPrompt,
    PromptTooLong {
        max: usize,
    },
}

/// Checks `draft` as a new assistant (`existing` = `None`) or as an edit of `existing`, against the person's
/// other assistants (`custom`) and the built-in ones' names (`reserved`, in every language the views speak).
/// On success the assistant as stored: name, prompt and model trimmed, an empty model as none, `updated_ms`
/// now (and, for a new one, id `new_id` and `created_ms` now). On failure every problem found, in the form's
/// order.
pub fn save(
    draft: &PresetDraft,
    existing: Option<&Preset>,
    custom: &[Preset],
    reserved: &[&str],
    new_id: impl FnOnce() -> String,
    now_ms: f64,
) -> Result<Preset, Vec<PresetProblem>> {
    let mut problems = Vec::new();
    if existing.is_some_and(Preset::is_builtin) {
        problems.push(PresetProblem::Builtin);
    }
    let name = draft.name.trim();
    if name.is_empty() {
        problems.push(PresetProblem::EmptyName);
    } else if name.chars().count() > MAX_NAME_CHARS {
        problems.push(PresetProblem::NameTooLong { max: MAX_NAME_CHARS });
    } else {
        let others = custom.iter().filter(|p| existing.is_none_or(|e| e.id != p.id));
        if others.map(|p| p.name.as_str()).chain(reserved.iter().copied()).any(|n| same_name(n, name)) {
            problems.push(PresetProblem::NameTaken { name: name.to_owned() });
        }
    }
    let prompt = draft.system_prompt.trim();
    if prompt.is_empty() {
        problems.push(PresetProblem::EmptyPrompt);
    } else if prompt.chars().count() > MAX_PROMPT_CHARS {
        problems.push(PresetProblem::PromptTooLong { max: MAX_PROMPT_CHARS });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let model = draft.model.trim();
    let (id, created_ms) = match existing {
        Some(e) => (e.id.clone(), e.created_ms),
        None => (new_id(), now_ms),
    };
    Ok(Preset {
        id,
        name: name.to_owned(),
        builtin: None,
        system_prompt: prompt.to_owned(),
        model: (!model.is_empty()).then(|| model.to_owned()),
        web_search: draft.web_search,
        wardrobe: draft.wardrobe,
        created_ms,
        updated_ms: now_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mine(id: &str, name: &str, created_ms: f64) -> Preset {
        Preset {
            id: id.into(),
            name: name.into(),
            builtin: None,
            system_prompt: format!("You are {name}."),
            model: None,
            web_search: false,
            wardrobe: false,
            created_ms,
            updated_ms: created_ms,
        }
    }

    fn draft(name: &str, prompt: &str) -> PresetDraft {
        PresetDraft { name: name.into(), system_prompt: prompt.into(), ..PresetDraft::default() }
    }

    const RESERVED: [&str; 4] = ["Image Q&A", "Style advisor", "이미지 Q&A", "스타일 어드바이저"];

    #[test]
    fn the_built_ins_have_stable_ids_and_no_stored_names() {
        let b = builtins();
        assert_eq!(b.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["image-qa", "style-advisor"]);
        assert!(b.iter().all(|p| p.name.is_empty() && p.is_builtin() && p.model.is_none()));
        assert_eq!(b[0].system_prompt, IMAGE_QA_PROMPT);
        assert!(b[1].wardrobe && !b[0].wardrobe);
        assert_eq!(Builtin::from_id("style-advisor"), Some(Builtin::StyleAdvisor));
        assert_eq!(Builtin::from_id("style_advisor"), None);
        assert_eq!(serde_json::to_value(Builtin::StyleAdvisor).unwrap(), "style_advisor");
        assert_eq!(serde_json::from_str::<Builtin>("\"image_qa\"").unwrap(), Builtin::ImageQa);
    }

    #[test]
    fn the_style_advisors_prompt_holds_with_and_without_wardrobe_and_web_blocks() {
        for needed in ["photos", "wardrobe", "web results", "Without such blocks", "explain each pick", "ask"] {
            assert!(STYLE_ADVISOR_PROMPT.contains(needed), "{needed}");
        }
        assert!(STYLE_ADVISOR_PROMPT.contains("Answer in the language of the question."));
    }

    #[test]
    fn an_unknown_or_deleted_id_resolves_to_image_qa() {
        let custom = [mine("p1", "Chef", 1.0)];
        assert_eq!(resolve(&custom, None).id, IMAGE_QA_ID);
        assert_eq!(resolve(&custom, Some("gone")).id, IMAGE_QA_ID);
        assert_eq!(resolve(&custom, Some("p1")).name, "Chef");
        assert_eq!(resolve(&custom, Some(STYLE_ADVISOR_ID)).builtin, Some(Builtin::StyleAdvisor));
        // A stored record claiming a built-in's id cannot replace it.
        let impostor = [Preset { system_prompt: "Say nothing.".into(), ..mine(IMAGE_QA_ID, "Fake", 1.0) }];
        assert_eq!(resolve(&impostor, Some(IMAGE_QA_ID)).system_prompt, IMAGE_QA_PROMPT);
    }

    #[test]
    fn applying_an_assistant_sets_its_prompt_and_only_then_its_model() {
        let settings =
            Settings { model: "gpt-4o-mini".into(), instructions: Some("Be brief.".into()), ..Settings::default() };
        let qa = Builtin::ImageQa.preset().apply(&settings);
        assert_eq!(qa.system_prompt.as_deref(), Some(IMAGE_QA_PROMPT));
        assert_eq!(qa.model, "gpt-4o-mini");
        assert_eq!(qa.instructions.as_deref(), Some("Be brief."), "everything else is kept");
        let own = Preset { model: Some(" gpt-4.1 ".into()), ..mine("p", "Chef", 1.0) }.apply(&settings);
        assert_eq!((own.model.as_str(), own.system_prompt.as_deref()), ("gpt-4.1", Some("You are Chef.")));
        let blank = Preset { model: Some("  ".into()), ..mine("p", "Chef", 1.0) }.apply(&settings);
        assert_eq!(blank.model, "gpt-4o-mini");
        // The applied prompt is never part of stored settings unless set.
        assert!(!serde_json::to_string(&settings).unwrap().contains("system_prompt"));
    }

    #[test]
    fn the_list_is_built_ins_then_the_persons_oldest_first() {
        let custom = [mine("b", "Second", 2.0), mine("a", "First", 1.0)];
        let names: Vec<String> = all(&custom).into_iter().map(|p| p.id).collect();
        assert_eq!(names, ["image-qa", "style-advisor", "a", "b"]);
    }

    #[test]
    fn a_new_assistant_is_trimmed_and_stamped() {
        let d = PresetDraft { model: "  ".into(), web_search: true, ..draft("  Chef ", " Cook. ") };
        let p = save(&d, None, &[], &RESERVED, || "new".into(), 5.0).unwrap();
        assert_eq!((p.id.as_str(), p.name.as_str(), p.system_prompt.as_str()), ("new", "Chef", "Cook."));
        assert_eq!((p.model, p.web_search, p.builtin, p.created_ms, p.updated_ms), (None, true, None, 5.0, 5.0));
    }

    #[test]
    fn an_edit_keeps_its_id_and_creation_time_and_may_keep_its_name() {
        let old = mine("p", "Chef", 1.0);
        let d = PresetDraft { model: "gpt-4o".into(), ..draft("chef", "Cook well.") };
        let p = save(&d, Some(&old), std::slice::from_ref(&old), &RESERVED, || unreachable!(), 9.0).unwrap();
        assert_eq!((p.id.as_str(), p.created_ms, p.updated_ms), ("p", 1.0, 9.0));
        assert_eq!(p.model.as_deref(), Some("gpt-4o"));
    }

    #[test]
    fn problems_come_as_kinds_all_at_once() {
        let custom = [mine("p", "Chef", 1.0)];
        let check = |d: &PresetDraft, existing: Option<&Preset>| {
            save(d, existing, &custom, &RESERVED, || "x".into(), 1.0).unwrap_err()
        };
        assert_eq!(check(&draft(" ", ""), None), [PresetProblem::EmptyName, PresetProblem::EmptyPrompt]);
        assert_eq!(check(&draft(&"n".repeat(61), "p"), None), [PresetProblem::NameTooLong { max: 60 }]);
        assert!(save(&draft(&"가".repeat(60), "p"), None, &custom, &RESERVED, || "x".into(), 1.0).is_ok());
        assert_eq!(check(&draft(" CHEF ", "p"), None), [PresetProblem::NameTaken { name: "CHEF".into() }]);
        assert_eq!(
            check(&draft("style Advisor", "p"), None),
            [PresetProblem::NameTaken { name: "style Advisor".into() }]
        );
        assert_eq!(check(&draft("스타일 어드바이저", "p"), None).len(), 1, "a built-in's Korean name is taken too");
        assert_eq!(check(&draft("New", &"p".repeat(20_001)), None), [PresetProblem::PromptTooLong { max: 20_000 }]);
        let builtin = Builtin::StyleAdvisor.preset();
        assert_eq!(check(&draft("Mine", "p"), Some(&builtin)), [PresetProblem::Builtin]);
    }

    #[test]
    fn a_duplicate_is_the_persons_own_with_a_free_name_that_fits() {
        let copy = |base: &str, n: u32| if n == 1 { format!("{base} (copy)") } else { format!("{base} (copy {n})") };
        let style = Builtin::StyleAdvisor.preset();
        let first = duplicate(&style, "Style advisor", copy, &[], "d1".into(), 3.0);
        assert_eq!((first.name.as_str(), first.builtin, first.id.as_str()), ("Style advisor (copy)", None, "d1"));
        assert_eq!((first.system_prompt.as_str(), first.wardrobe), (STYLE_ADVISOR_PROMPT, true));
        assert_eq!((first.created_ms, first.updated_ms), (3.0, 3.0));
        let second = duplicate(&style, "Style advisor", copy, std::slice::from_ref(&first), "d2".into(), 4.0);
        assert_eq!(second.name, "Style advisor (copy 2)");
        let long = mine("l", &"x".repeat(60), 1.0);
        let cut = duplicate(&long, &long.name, copy, std::slice::from_ref(&long), "d3".into(), 5.0);
        assert_eq!(cut.name.chars().count(), 60);
        assert!(cut.name.ends_with("x (copy)"), "{}", cut.name);
        assert!(
            save(&PresetDraft::of(&cut), Some(&cut), &[long, cut.clone()], &RESERVED, || unreachable!(), 6.0).is_ok()
        );
    }

    #[test]
    fn stored_records_read_with_defaults() {
        let p: Preset = serde_json::from_str(r#"{"id":"p","name":"Chef","system_prompt":"Cook."}"#).unwrap();
        assert_eq!((p.model, p.web_search, p.wardrobe, p.builtin), (None, false, false, None));
        let json = serde_json::to_string(&Builtin::StyleAdvisor.preset()).unwrap();
        assert!(json.contains(r#""builtin":"style_advisor""#), "{json}");
        assert_eq!(serde_json::from_str::<Preset>(&json).unwrap(), Builtin::StyleAdvisor.preset());
    }

    #[test]
    fn a_turn_of_a_chat_with_an_assistant_sends_its_prompt_and_model() {
        use crate::core::client::fakes::{block_on, FakeRuntime, FakeTransport, MemStore, Reply, Scripted};
        use crate::core::model::Chat;
        use crate::core::turn::{ask, TurnInput};
        let base =
            Settings { api_key: "sk-test-123456789".into(), base_url: "http://h/v1".into(), ..Settings::default() };
        let tailor = Preset {
            model: Some("gpt-4.1-mini".into()),
            system_prompt: "You are Pip, a tailor.".into(),
            ..mine("p", "Pip", 1.0)
        };
        let chat = Chat { preset: Some("p".into()), ..Chat::new("c".into(), 0.0) };
        let cases = [
            (&[][..], Some("style-advisor"), STYLE_ADVISOR_PROMPT, "gpt-4o-mini"),
            (std::slice::from_ref(&tailor), chat.preset.as_deref(), "You are Pip, a tailor.", "gpt-4.1-mini"),
            (&[][..], chat.preset.as_deref(), IMAGE_QA_PROMPT, "gpt-4o-mini"),
        ];
        for (custom, id, prompt, model) in cases {
            let settings = resolve(custom, id).apply(&base);
            let t = FakeTransport::new(vec![Scripted::Reply(Reply::sse(&["Wear blue."], true))]);
            let input = TurnInput::question_only(&settings, &chat);
            let out = block_on(ask(&MemStore::default(), &t, &FakeRuntime::default(), input, "What now?", &mut |_| {}));
            assert_eq!(out.answer.model.as_deref(), Some(model));
            let body: serde_json::Value = serde_json::from_str(t.sent.borrow()[0].body.as_deref().unwrap()).unwrap();
            assert_eq!(body["model"], model);
            let system = body["messages"][0]["content"].as_str().unwrap();
            assert!(system.starts_with(prompt), "{system}");
            assert!(system.contains("No images have been shared"), "Boda's facts follow: {system}");
        }
    }
}
