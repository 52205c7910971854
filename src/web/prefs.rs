//! Preferences of this browser that must be known before the first render, kept in `localStorage` (read
//! synchronously, never sent anywhere): the interface language the person chose in Settings (until they
//! choose one, none is stored and the interface follows the browser's language), the assistant chosen last
//! (which new chats get), and which version of the sample test set this browser was given.

use crate::core::model::Language;

const LANGUAGE: &str = "boda-language";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The language chosen in Settings, if one was.
pub fn language() -> Option<Language> {
    storage().and_then(|s| s.get_item(LANGUAGE).ok().flatten()).and_then(|tag| Language::from_tag(&tag))
}

/// Remembers the language chosen in Settings (where storage cannot be written, the choice lasts this visit).
pub fn set_language(language: Language) {
    if let Some(s) = storage() {
        let _ = s.set_item(LANGUAGE, language.tag());
    }
}

const SAMPLE_OFFERED: &str = "boda-sample-set";

/// The version of the sample set this browser was given (installed once; a person who deletes it keeps it
/// deleted), or 0.
pub fn sample_offered() -> u32 {
    storage().and_then(|s| s.get_item(SAMPLE_OFFERED).ok().flatten()).and_then(|v| v.parse().ok()).unwrap_or(0)
}

pub fn set_sample_offered(version: u32) {
    if let Some(s) = storage() {
        let _ = s.set_item(SAMPLE_OFFERED, &version.to_string());
    }
}

const LAST_PRESET: &str = "boda-assistant";

/// The id of the assistant chosen last, if one was (it may since have been deleted: the core resolves that).
pub fn last_preset() -> Option<String> {
    storage().and_then(|s| s.get_item(LAST_PRESET).ok().flatten()).filter(|id| !id.is_empty())
}

/// Remembers the assistant chosen last; `None` forgets it (new chats then get Image Q&A).
pub fn set_last_preset(id: Option<&str>) {
    if let Some(s) = storage() {
        let _ = match id {
            Some(id) => s.set_item(LAST_PRESET, id),
            None => s.remove_item(LAST_PRESET),
        };
    }
}
