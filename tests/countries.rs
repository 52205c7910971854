//! The countries' Korean names (src/ui/i18n/countries.rs) cover every country Tavily accepts, each in Hangul
//! and each different, and the Korean select lists them in 가나다순 while the English one keeps Tavily's order.
//!
//! `ui` builds only for wasm32, so the module is compiled here on its own, against a stand-in for leptos_i18n's
//! `Locale` with the same two variants (the module's `super::Locale`); the app's build checks it against the
//! real one. The list of countries is the core's, as the app uses it.

use boda::core::websearch::tavily::COUNTRIES;
use std::collections::BTreeMap;

/// The interface's locales, spelled as leptos_i18n spells them.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy)]
enum Locale {
    en,
    ko,
}

#[path = "../src/ui/i18n/countries.rs"]
mod countries;

fn is_hangul(c: char) -> bool {
    ('\u{AC00}'..='\u{D7A3}').contains(&c)
}

#[test]
fn every_country_has_a_korean_name_in_hangul_and_no_two_share_one() {
    let values: Vec<&str> = countries::KOREAN.iter().map(|(v, _)| *v).collect();
    assert_eq!(values, COUNTRIES, "the table names Tavily's countries, no more and no fewer, in the core's order");
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for value in COUNTRIES {
        let name = countries::country_name(Locale::ko, value);
        assert!(!name.trim().is_empty(), "{value} has an empty Korean name");
        assert!(name.chars().any(is_hangul), "{value} is not in Korean: {name}");
        assert!(!name.chars().any(|c| c.is_ascii_alphabetic()), "{value} keeps Latin letters: {name}");
        if let Some(other) = seen.insert(name.clone(), value) {
            panic!("{other} and {value} are both {name}");
        }
    }
}

#[test]
fn the_korean_list_is_in_ganada_order_and_the_english_one_in_tavilys() {
    let ko = countries::in_order(Locale::ko, COUNTRIES);
    let mut values: Vec<&str> = ko.iter().map(|(v, _)| *v).collect();
    values.sort_unstable();
    assert_eq!(values, COUNTRIES, "the Korean list has every country once");
    let names: Vec<&str> = ko.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!((names[0], names[names.len() - 1]), ("가나", "호주"));
    // A few neighbours spelled out: a syllable without a final consonant before the same with one (가, 감),
    // ㅐ before ㅔ (대, 덴), ㅜ before ㅟ (투, 튀), and ㅁ before ㅎ and ㄴ before ㄹ as first consonants.
    let at = |name: &str| names.iter().position(|n| *n == name).unwrap_or_else(|| panic!("no {name}"));
    assert!(at("가봉") < at("감비아") && at("대만") < at("대한민국") && at("대한민국") < at("덴마크"));
    assert!(at("투르크메니스탄") < at("튀니지") && at("튀니지") < at("튀르키예"));
    for pair in names.windows(2) {
        assert!(pair[0] < pair[1], "{} comes before {}", pair[1], pair[0]);
    }

    let en = countries::in_order(Locale::en, COUNTRIES);
    assert_eq!(en.iter().map(|(v, _)| *v).collect::<Vec<_>>(), COUNTRIES);
    let english: BTreeMap<&str, &str> = en.iter().map(|(v, n)| (*v, n.as_str())).collect();
    assert_eq!(english["south korea"], "South Korea");
    assert_eq!(english["guinea"], "Guinea");
}
