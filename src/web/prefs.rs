//! Preferences of this browser that must be known before the first render, kept in `localStorage` (read
//! synchronously, never sent anywhere): the interface language the person chose in Settings. Until they
//! choose one, none is stored and the interface follows the browser's language.

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
