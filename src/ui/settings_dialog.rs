//! Settings: the interface language (applied at once), the API key, base URL, model, caption language,
//! history budget and retrieval (embedding model and size, images attached, messages recalled, recall across
//! chats), saved in this browser, with a key check; and what the answers in this browser have cost.

use crate::core::cost::Spend;
use crate::core::model::{parse_count, CountField, Language, Settings};
use crate::core::notice::SettingsVerdict;
use crate::core::ports::StoreError;
use crate::core::websearch::stage::KeyCheck;
use crate::core::websearch::tavily::{
    parse_credit_price, parse_domains, Country, SearchDepth, SearchOptions, TimeRange, Topic, MAX_RESULTS,
};
use crate::ui::controller;
use crate::ui::field::Field;
use crate::ui::i18n::{self, t, t_string, td_string, text, use_i18n};
use crate::ui::search_options::SearchOptionsFields;
use crate::ui::state::use_app_state;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn SettingsDialog() -> impl IntoView {
    let state = use_app_state();
    let i18n = use_i18n();
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let key_field = RwSignal::new(String::new());
    let base_url = RwSignal::new(String::new());
    let model = RwSignal::new(String::new());
    let budget = RwSignal::new(String::new());
    let embed_model = RwSignal::new(String::new());
    let dims = RwSignal::new(String::new());
    let k_images = RwSignal::new(String::new());
    let k_messages = RwSignal::new(String::new());
    let all_chats = RwSignal::new(false);
    let caption_language = RwSignal::new(None::<Language>);
    let tavily_key = RwSignal::new(String::new());
    let proxy = RwSignal::new(String::new());
    let depth = RwSignal::new(SearchDepth::Basic);
    let max_results = RwSignal::new(String::new());
    let topic = RwSignal::new(Topic::General);
    let time_range = RwSignal::new(None::<TimeRange>);
    let country = RwSignal::new(Country::Auto);
    let include = RwSignal::new(String::new());
    let exclude = RwSignal::new(String::new());
    let images = RwSignal::new(true);
    let credit = RwSignal::new(String::new());
    let tavily_verdict: RwSignal<Option<KeyCheck>> = RwSignal::new(None);
    let verdict: RwSignal<Option<SettingsVerdict>> = RwSignal::new(None);
    let checking = RwSignal::new(false);
    // What the answers of every chat cost, read afresh each time the dialog opens; `None` while it is read.
    let spent: RwSignal<Option<Result<Spend, StoreError>>> = RwSignal::new(None);

    // Opening fills the fields from the saved settings; closing (Escape, Close, or a good Save) clears them.
    Effect::new(move |_| {
        let open = state.session.settings_open.get();
        let Some(d) = dialog.get() else { return };
        if open && !d.open() {
            let s = state.session.settings.get_untracked();
            key_field.set(s.api_key);
            base_url.set(s.base_url);
            model.set(s.model);
            budget.set(s.history_budget.to_string());
            embed_model.set(s.embedding_model);
            dims.set(s.embedding_dimensions.map(|d| d.to_string()).unwrap_or_default());
            k_images.set(s.context_images.to_string());
            k_messages.set(s.context_messages.to_string());
            all_chats.set(s.recall_all_chats);
            caption_language.set(s.caption_language);
            tavily_key.set(s.tavily_key);
            proxy.set(s.search_proxy);
            depth.set(s.search.depth);
            max_results.set(s.search.max_results.to_string());
            topic.set(s.search.topic);
            time_range.set(s.search.time_range);
            country.set(s.search.country.clone());
            include.set(s.search.include_domains.join(", "));
            exclude.set(s.search.exclude_domains.join(", "));
            images.set(s.search.images);
            credit.set(s.search.credit_usd.to_string());
            tavily_verdict.set(None);
            verdict.set(None);
            spent.set(None);
            spawn_local(async move { spent.set(Some(controller::browser_spend(state).await)) });
            let _ = d.show_modal();
        } else if !open && d.open() {
            d.close();
        }
    });

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let defaults = Settings::default();
        let counts = (|| {
            Ok::<_, SettingsVerdict>((
                parse_count(&budget.get_untracked(), CountField::HistoryBudget)?.unwrap_or(defaults.history_budget),
                parse_count(&dims.get_untracked(), CountField::EmbeddingDimensions)?.filter(|d| *d > 0),
                parse_count(&k_images.get_untracked(), CountField::ImagesAttached)?.unwrap_or(defaults.context_images),
                parse_count(&k_messages.get_untracked(), CountField::MessagesRecalled)?
                    .unwrap_or(defaults.context_messages),
                parse_count(&max_results.get_untracked(), CountField::SearchResults)?
                    .map_or(defaults.search.max_results, |n| n.clamp(1, u32::from(MAX_RESULTS)) as u8),
            ))
        })();
        let (history_budget, embedding_dimensions, context_images, context_messages, results) = match counts {
            Ok(c) => c,
            Err(bad) => {
                verdict.set(Some(bad));
                return;
            }
        };
        let Some(credit_usd) = parse_credit_price(&credit.get_untracked()) else {
            verdict.set(Some(SettingsVerdict::BadCreditPrice(credit.get_untracked().trim().to_owned())));
            return;
        };
        let search = SearchOptions {
            depth: depth.get_untracked(),
            max_results: results,
            topic: topic.get_untracked(),
            time_range: time_range.get_untracked(),
            country: country.get_untracked(),
            include_domains: parse_domains(&include.get_untracked()),
            exclude_domains: parse_domains(&exclude.get_untracked()),
            images: images.get_untracked(),
            credit_usd,
        };
        let embedding_model = embed_model.get_untracked().trim().to_owned();
        let settings = Settings {
            api_key: key_field.get_untracked().trim().to_owned(),
            base_url: base_url.get_untracked().trim().to_owned(),
            model: model.get_untracked().trim().to_owned(),
            history_budget,
            embedding_model: if embedding_model.is_empty() { defaults.embedding_model } else { embedding_model },
            embedding_dimensions,
            context_images,
            context_messages,
            recall_all_chats: all_chats.get_untracked(),
            caption_language: caption_language.get_untracked(),
            tavily_key: tavily_key.get_untracked().trim().to_owned(),
            search_proxy: proxy.get_untracked().trim().to_owned(),
            search,
            // Not in this dialog: kept as they are.
            ..state.session.settings.get_untracked()
        };
        checking.set(true);
        verdict.set(None);
        spawn_local(async move {
            let result = controller::save_settings(state, settings).await;
            // The Tavily key is checked once the settings are saved (a bad one never blocks saving).
            let saved = !matches!(
                result,
                SettingsVerdict::BadCount(_)
                    | SettingsVerdict::BadBaseUrl(_)
                    | SettingsVerdict::NoModel
                    | SettingsVerdict::BadSearchProxy(_)
                    | SettingsVerdict::BadCreditPrice(_)
                    | SettingsVerdict::Store(_)
            );
            let tavily = if saved { Some(controller::check_tavily(state).await) } else { None };
            let tavily_good = !matches!(tavily, Some(KeyCheck::Failed(_)));
            tavily_verdict.set(tavily);
            checking.set(false);
            if result.is_good() && tavily_good {
                state.notices.notice.set(Some(crate::core::notice::Notice::Settings(result.clone())));
                state.notices.alerts.set(Vec::new());
                state.session.settings_open.set(false);
            }
            verdict.set(Some(result));
        });
    };

    let lang_name = |l: Language| match l {
        Language::En => "English",
        Language::Ko => "한국어",
    };
    let key = move || state.session.settings.with(|s| s.api_key.clone());
    view! {
        <dialog class="settings" node_ref=dialog aria-labelledby="settings-title" on:close=move |_| state.session.settings_open.set(false)>
            <form on:submit=save novalidate>
                <h2 id="settings-title">{t!(i18n, settings)}</h2>
                <div class="field">
                    <label for="set-language">{t!(i18n, language)}</label>
                    <select
                        id="set-language"
                        prop:value=move || i18n::language(i18n.get_locale()).tag()
                        on:change=move |ev| {
                            if let Some(l) = Language::from_tag(&event_target_value(&ev)) {
                                crate::web::prefs::set_language(l);
                                i18n.set_locale(i18n::locale(l));
                            }
                        }
                    >
                        {Language::ALL
                            .into_iter()
                            .map(|l| {
                                view! {
                                    <option value=l.tag() selected=move || i18n::language(i18n.get_locale()) == l>
                                        {lang_name(l)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <small>{t!(i18n, language_hint)}</small>
                </div>
                <Field
                    id="set-key"
                    label=Signal::derive(move || t_string!(i18n, api_key))
                    value=key_field
                    kind="password"
                    placeholder="sk-…"
                    hint=Signal::derive(move || t_string!(i18n, api_key_hint))
                />
                <Field
                    id="set-base"
                    label=Signal::derive(move || t_string!(i18n, base_url))
                    value=base_url
                    kind="url"
                    placeholder=Settings::DEFAULT_BASE_URL
                    hint=Signal::derive(move || t_string!(i18n, base_url_hint))
                />
                <Field id="set-model" label=Signal::derive(move || t_string!(i18n, model)) value=model list="model-options" />
                <datalist id="model-options">
                    <For each=move || state.session.models.get() key=|m| m.clone() let:m>
                        <option value=m></option>
                    </For>
                </datalist>
                <div class="field">
                    <label for="set-caption-language">{t!(i18n, caption_language)}</label>
                    <select
                        id="set-caption-language"
                        prop:value=move || caption_language.get().map(Language::tag).unwrap_or("")
                        on:change=move |ev| caption_language.set(Language::from_tag(&event_target_value(&ev)))
                    >
                        <option value="" selected=move || caption_language.get().is_none()>
                            {t!(i18n, caption_language_same)}
                        </option>
                        {Language::ALL
                            .into_iter()
                            .map(|l| {
                                view! {
                                    <option value=l.tag() selected=move || caption_language.get() == Some(l)>
                                        {lang_name(l)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <Field
                    id="set-budget"
                    label=Signal::derive(move || t_string!(i18n, history_budget))
                    value=budget
                    kind="number"
                    hint=Signal::derive(move || t_string!(i18n, history_budget_hint))
                />
                <fieldset>
                    <legend>{t!(i18n, retrieval)}</legend>
                    <Field
                        id="set-embed-model"
                        label=Signal::derive(move || t_string!(i18n, embedding_model))
                        value=embed_model
                        hint=Signal::derive(move || t_string!(i18n, embedding_model_hint))
                    />
                    <Field
                        id="set-dims"
                        label=Signal::derive(move || t_string!(i18n, dims))
                        value=dims
                        kind="number"
                        hint=Signal::derive(move || t_string!(i18n, dims_hint))
                    />
                    <Field
                        id="set-k-images"
                        label=Signal::derive(move || t_string!(i18n, k_images))
                        value=k_images
                        kind="number"
                        hint=Signal::derive(move || t_string!(i18n, k_images_hint))
                    />
                    <Field
                        id="set-k-messages"
                        label=Signal::derive(move || t_string!(i18n, k_messages))
                        value=k_messages
                        kind="number"
                        hint=Signal::derive(move || t_string!(i18n, k_messages_hint))
                    />
                    <div class="field check">
                        <input
                            id="set-all-chats"
                            type="checkbox"
                            prop:checked=move || all_chats.get()
                            on:change=move |ev| all_chats.set(event_target_checked(&ev))
                        />
                        <label for="set-all-chats">{t!(i18n, all_chats)}</label>
                    </div>
                </fieldset>
                <fieldset class="web-settings">
                    <legend>{t!(i18n, web_search_settings)}</legend>
                    <Field
                        id="set-tavily-key"
                        label=Signal::derive(move || t_string!(i18n, tavily_key))
                        value=tavily_key
                        kind="password"
                        placeholder="tvly-…"
                        hint=Signal::derive(move || t_string!(i18n, tavily_key_hint))
                    />
                    {move || {
                        tavily_verdict
                            .get()
                            .map(|c| {
                                let words = text::tavily_check(i18n.get_locale(), &c);
                                if matches!(c, KeyCheck::Failed(_)) {
                                    view! { <p class="verdict bad" role="alert">{words}</p> }.into_any()
                                } else {
                                    view! { <p class="verdict good" role="status">{words}</p> }.into_any()
                                }
                            })
                    }}
                    <Field
                        id="set-search-proxy"
                        label=Signal::derive(move || t_string!(i18n, search_proxy))
                        value=proxy
                        kind="url"
                        placeholder="https://…"
                        hint=Signal::derive(move || t_string!(i18n, search_proxy_hint))
                    />
                    <SearchOptionsFields
                        depth=depth
                        max_results=max_results
                        topic=topic
                        time_range=time_range
                        country=country
                        include=include
                        exclude=exclude
                        images=images
                        credit=credit
                    />
                </fieldset>
                <section class="spent" aria-labelledby="spent-title">
                    <h3 id="spent-title">{t!(i18n, spent_label)}</h3>
                    <p class="spent-total">
                        {move || {
                            let l = i18n.get_locale();
                            match spent.get() {
                                None => td_string!(l, spent_loading).to_string(),
                                Some(Ok(spend)) => {
                                    let as_of = state.session.settings.with(|s| s.prices.as_of.clone());
                                    text::browser_cost(l, &spend, &as_of)
                                }
                                Some(Err(e)) => td_string!(l, spent_unreadable, why = text::store_error(l, &e)).to_string(),
                            }
                        }}
                    </p>
                    <small>{t!(i18n, spent_hint)}</small>
                </section>
                {move || {
                    verdict
                        .get()
                        .map(|v| {
                            let words = text::settings_verdict(i18n.get_locale(), &v, &key());
                            if v.is_good() {
                                view! { <p class="verdict good" role="status">{words}</p> }.into_any()
                            } else {
                                view! { <p class="verdict bad" role="alert">{words}</p> }.into_any()
                            }
                        })
                }}
                <div class="dialog-actions">
                    <button type="button" class="secondary" on:click=move |_| state.session.settings_open.set(false)>
                        {t!(i18n, close)}
                    </button>
                    <button type="submit" class="primary" disabled=move || checking.get()>
                        {move || if checking.get() { t_string!(i18n, checking) } else { t_string!(i18n, save) }}
                    </button>
                </div>
            </form>
        </dialog>
    }
}
