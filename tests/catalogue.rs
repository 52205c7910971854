//! The interface catalogue (src/ui/i18n/catalogue.rs) has an English and a Korean text for every key, with the
//! same `{{ values }}`. The build checks this too (leptos_i18n warns, and clippy denies warnings); this test
//! says it plainly, natively, and also catches a Korean entry left in English by mistake.

use std::collections::BTreeMap;

fn block<'a>(source: &'a str, locale: &str) -> BTreeMap<&'a str, &'a str> {
    let start = source.find(&format!("\n    {locale}: {{\n")).unwrap_or_else(|| panic!("no {locale} block"));
    let body = &source[start..];
    let body = &body[body.find('\n').unwrap() + 1..];
    let body = &body[body.find('\n').unwrap() + 1..];
    let end = body.find("\n    },").expect("block end");
    body[..end]
        .lines()
        // Comment lines head groups of keys.
        .filter(|line| !line.trim_start().starts_with("//"))
        .map(|line| {
            let (key, text) = line.trim().split_once(": ").unwrap_or_else(|| panic!("not an entry: {line}"));
            let text = text.strip_suffix(',').unwrap_or(text);
            (key, text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or_else(|| panic!("{line}")))
        })
        .collect()
}

fn values(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> =
        text.split("{{").skip(1).filter_map(|p| p.split_once("}}")).map(|(v, _)| v.trim()).collect();
    out.sort_unstable();
    out
}

#[test]
fn every_key_has_both_languages_with_the_same_values() {
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/ui/i18n/catalogue.rs")).unwrap();
    let en = block(&source, "en");
    let ko = block(&source, "ko");
    assert!(en.len() > 100, "the catalogue was not read: {} keys", en.len());
    let missing: Vec<_> = en.keys().filter(|k| !ko.contains_key(*k)).collect();
    let extra: Vec<_> = ko.keys().filter(|k| !en.contains_key(*k)).collect();
    assert!(missing.is_empty(), "keys without Korean: {missing:?}");
    assert!(extra.is_empty(), "keys without English: {extra:?}");
    // Names that are the same in both languages (the product's name, format names).
    let same = ["result_boda", "who_boda", "add_images_tip"];
    for (key, text) in &en {
        let korean = ko[key];
        assert!(!text.trim().is_empty() && !korean.trim().is_empty(), "{key} is empty");
        assert_eq!(values(text), values(korean), "{key} takes other values in Korean");
        let hangul = korean.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c));
        assert!(hangul || same.contains(key) || korean == "Boda", "{key} is not in Korean: {korean}");
    }
}
