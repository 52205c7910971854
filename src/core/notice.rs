//! What Boda has to tell the person, as kinds with their details, never as sentences.
//!
//! The core and the adapters report problems ([`Alert`]: shown with role="alert" until dismissed) and passing
//! information ([`Notice`]: the status line) as these values; the views turn each one into text in the
//! language the person chose, so switching the language re-renders what is already on screen. Details that
//! come from elsewhere (a file name, a model name, what a server said) are carried as data. What a server said
//! may quote the API key: the views redact it when they render (see [`crate::core::openai::redact`]).

use crate::core::image_plan::Refusal;
use crate::core::model::{BadCount, BaseUrlProblem};
use crate::core::openai::ApiError;
use crate::core::ports::StoreError;

/// Why an added file did not become an image of the chat.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FileProblem {
    /// Recognised and refused before decoding (see [`Refusal`]).
    Refused(Refusal),
    /// The browser could not read the file's bytes.
    Unreadable { detail: String },
    /// Decoded, but re-encoding for the model failed.
    NotConverted { detail: String },
}

/// The verdict of saving settings, as the Settings dialog (and, when it is good, the status line) shows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SettingsVerdict {
    /// Saved, and the key works: `models` are available.
    KeyWorks { models: usize },
    /// Saved and the key works, but the chosen model is not among the `models` offered.
    ModelNotOffered { models: usize, model: String },
    /// Saved without a key.
    NoKey,
    /// Saved, but checking the key failed.
    CheckFailed(ApiError),
    /// Not saved: a count field holds something that is not a whole number of 0 or more.
    BadCount(BadCount),
    /// Not saved: the base URL is malformed.
    BadBaseUrl(BaseUrlProblem),
    /// Not saved: no model was chosen.
    NoModel,
    /// Not saved: the search proxy URL is malformed.
    BadSearchProxy(BaseUrlProblem),
    /// Not saved: the price of a Tavily credit is not a number of dollars, zero or more (what was typed).
    BadCreditPrice(String),
    /// Not saved: storage failed.
    Store(StoreError),
}

impl From<BadCount> for SettingsVerdict {
    fn from(bad: BadCount) -> SettingsVerdict {
        SettingsVerdict::BadCount(bad)
    }
}

impl SettingsVerdict {
    /// Whether the settings were saved and can be used as they are.
    pub fn is_good(&self) -> bool {
        matches!(self, SettingsVerdict::KeyWorks { .. } | SettingsVerdict::ModelNotOffered { .. })
    }
}

/// Passing information, shown in the status line until the next one replaces it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Notice {
    /// There is no key yet: where to enter one.
    Welcome,
    /// A rate limit: the request is sent again in `wait_s` seconds, as attempt `attempt` of `of`.
    Retrying { attempt: u32, of: u32, wait_s: u64 },
    /// `count` earlier messages were left out of the request to fit the history budget.
    Trimmed { count: u32 },
    /// The question could not be embedded, so retrieval matched it by its words only.
    QuestionByWords(ApiError),
    /// "Search chats" could not embed the query, so it matched by words only.
    SearchByWords(ApiError),
    /// The caption written for an image while the model described it was kept.
    KeptCaption { name: String },
    /// The stored memory (vectors) could not be read and is being rebuilt.
    MemoryRebuilt { detail: String },
    /// The embedding model now gives vectors of another size, so everything is embedded again.
    MemoryResized { model: String, before: usize, now: usize },
    /// `left` texts could not be embedded; retrieval uses words for them until they are.
    MemoryIncomplete { left: usize, error: ApiError },
    /// Settings were saved with this (good) verdict.
    Settings(SettingsVerdict),
    /// A chat's turn was added to a test set, which is now at `version` with `cases` cases.
    CaseAdded { set: String, version: u32, cases: usize },
    /// An image was added to the wardrobe.
    WardrobeAdded { name: String },
    /// The wardrobe holds this picture already, as the item named `kept`: nothing was added.
    WardrobeAlready { name: String, kept: String },
}

/// A problem the person must see; it stays until dismissed or until the next question.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Alert {
    /// The browser's storage could not be opened at all.
    StorageUnavailable { detail: String },
    /// Storage failed (full, another version open, …).
    Store(StoreError),
    /// A file was not added as an image.
    File { name: String, problem: FileProblem },
    /// An image was prepared but could not be stored.
    ImageNotStored { name: String, error: StoreError },
    /// The model could not describe an image.
    CaptionFailed { name: String, error: ApiError },
    /// "Describe again" without a key.
    CaptionNeedsKey,
    /// Send while images are still being prepared.
    StillPreparing,
    /// Send without a key; the message is kept.
    NeedsKey,
    /// The answer failed or stopped early.
    Answer(ApiError),
    /// An image's stored bytes could not be read, so only its caption went with the question.
    ImageUnreadable { name: String, detail: String },
    /// The memory (vectors) could not be saved.
    MemoryNotSaved(StoreError),
}
