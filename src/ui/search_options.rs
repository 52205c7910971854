//! The web search options of the Settings form: depth, results per search, topic, time range, country,
//! sites to keep to or leave out, image results, and the price of a credit. It holds the form's signals only;
//! reading and checking them is the Settings dialog's save, with the core's parsers.

use crate::core::websearch::tavily::{Country, SearchDepth, TimeRange, Topic, COUNTRIES};
use crate::ui::field::Field;
use crate::ui::i18n::{countries, t, t_string, td_string, use_i18n, Locale};
use leptos::prelude::*;

pub fn depth_name(l: Locale, d: SearchDepth) -> &'static str {
    match d {
        SearchDepth::Basic => td_string!(l, depth_basic),
        SearchDepth::Advanced => td_string!(l, depth_advanced),
        SearchDepth::Fast => td_string!(l, depth_fast),
        SearchDepth::UltraFast => td_string!(l, depth_ultra_fast),
    }
}

fn topic_name(l: Locale, t: Topic) -> &'static str {
    match t {
        Topic::General => td_string!(l, topic_general),
        Topic::News => td_string!(l, topic_news),
        Topic::Finance => td_string!(l, topic_finance),
    }
}

fn time_name(l: Locale, t: Option<TimeRange>) -> &'static str {
    match t {
        None => td_string!(l, time_any),
        Some(TimeRange::Day) => td_string!(l, time_day),
        Some(TimeRange::Week) => td_string!(l, time_week),
        Some(TimeRange::Month) => td_string!(l, time_month),
        Some(TimeRange::Year) => td_string!(l, time_year),
    }
}

/// The value a country choice has in its select.
fn country_value(c: &Country) -> String {
    match c {
        Country::Auto => "auto".into(),
        Country::Off => "off".into(),
        Country::Named(n) => n.clone(),
    }
}

#[allow(clippy::too_many_arguments)]
#[component]
pub fn SearchOptionsFields(
    depth: RwSignal<SearchDepth>,
    max_results: RwSignal<String>,
    topic: RwSignal<Topic>,
    time_range: RwSignal<Option<TimeRange>>,
    country: RwSignal<Country>,
    include: RwSignal<String>,
    exclude: RwSignal<String>,
    images: RwSignal<bool>,
    credit: RwSignal<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="field">
            <label for="set-depth">{t!(i18n, search_depth)}</label>
            <select
                id="set-depth"
                on:change=move |ev| {
                    if let Some(d) = SearchDepth::parse(&event_target_value(&ev)) {
                        depth.set(d)
                    }
                }
            >
                {SearchDepth::ALL
                    .into_iter()
                    .map(|d| {
                        view! {
                            <option value=d.as_str() selected=move || depth.get() == d>
                                {move || depth_name(i18n.get_locale(), d)}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
        <Field
            id="set-search-results"
            label=Signal::derive(move || t_string!(i18n, search_max_results))
            value=max_results
            kind="number"
        />
        <div class="field">
            <label for="set-topic">{t!(i18n, search_topic)}</label>
            <select
                id="set-topic"
                on:change=move |ev| {
                    if let Some(t) = Topic::parse(&event_target_value(&ev)) {
                        topic.set(t)
                    }
                }
            >
                {Topic::ALL
                    .into_iter()
                    .map(|t| {
                        view! {
                            <option value=t.as_str() selected=move || topic.get() == t>
                                {move || topic_name(i18n.get_locale(), t)}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
        <div class="field">
            <label for="set-time">{t!(i18n, search_time)}</label>
            <select id="set-time" on:change=move |ev| time_range.set(TimeRange::parse(&event_target_value(&ev)))>
                {std::iter::once(None)
                    .chain(TimeRange::ALL.into_iter().map(Some))
                    .map(|r| {
                        view! {
                            <option value=r.map_or("", TimeRange::as_str) selected=move || time_range.get() == r>
                                {move || time_name(i18n.get_locale(), r)}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
        <div class="field">
            <label for="set-country">{t!(i18n, search_country)}</label>
            <select
                id="set-country"
                on:change=move |ev| {
                    country
                        .set(
                            match event_target_value(&ev).as_str() {
                                "auto" => Country::Auto,
                                "off" => Country::Off,
                                name => Country::Named(name.to_owned()),
                            },
                        )
                }
            >
                <option value="auto" selected=move || country.get() == Country::Auto>
                    {t!(i18n, country_auto)}
                </option>
                <option value="off" selected=move || country.get() == Country::Off>
                    {t!(i18n, country_off)}
                </option>
                {move || {
                    countries::in_order(i18n.get_locale(), COUNTRIES)
                        .into_iter()
                        .map(|(value, name)| {
                            let named = Country::Named(value.to_owned());
                            view! {
                                <option value=value selected=move || country.with(|k| country_value(k) == country_value(&named))>
                                    {name}
                                </option>
                            }
                        })
                        .collect_view()
                }}
            </select>
        </div>
        <div class="field">
            <label for="set-include">{t!(i18n, include_domains)}</label>
            <textarea
                id="set-include"
                rows="2"
                spellcheck="false"
                prop:value=move || include.get()
                on:input=move |ev| include.set(event_target_value(&ev))
            ></textarea>
            <small>{t!(i18n, domains_hint)}</small>
        </div>
        <div class="field">
            <label for="set-exclude">{t!(i18n, exclude_domains)}</label>
            <textarea
                id="set-exclude"
                rows="2"
                spellcheck="false"
                prop:value=move || exclude.get()
                on:input=move |ev| exclude.set(event_target_value(&ev))
            ></textarea>
        </div>
        <div class="field check">
            <input
                id="set-search-images"
                type="checkbox"
                prop:checked=move || images.get()
                on:change=move |ev| images.set(event_target_checked(&ev))
            />
            <label for="set-search-images">{t!(i18n, search_images)}</label>
        </div>
        <Field
            id="set-credit-price"
            label=Signal::derive(move || t_string!(i18n, credit_price))
            value=credit
            hint=Signal::derive(move || t_string!(i18n, credit_price_hint))
        />
    }
}
