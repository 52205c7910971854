//! The price table answers and runs are priced with: each model's dollars per million input and output tokens,
//! with the date the prices are as of. The person edits it here; "Restore default prices" brings back the
//! dated list prices Boda ships. What a valid table is, is the core's (`PriceTable::from_rows`).

use crate::core::cost::{PriceProblem, PriceRow, PriceTable};
use crate::ui::controller;
use crate::ui::i18n::{t, t_string, td_string, use_i18n, Locale};
use crate::ui::state::use_app_state;
use leptos::prelude::*;
use leptos::task::spawn_local;

fn problem(l: Locale, p: &PriceProblem) -> String {
    match p {
        PriceProblem::NoModel { row } => td_string!(l, price_no_model, row = row).to_string(),
        PriceProblem::BadPrice { model } => td_string!(l, price_bad, model = model).to_string(),
        PriceProblem::Duplicate { model } => td_string!(l, price_duplicate, model = model).to_string(),
    }
}

/// Today's date, as prices are dated (YYYY-MM-DD).
fn today() -> String {
    String::from(js_sys::Date::new_0().to_iso_string()).chars().take(10).collect()
}

#[component]
pub fn Prices() -> impl IntoView {
    let app = use_app_state();
    let i18n = use_i18n();
    let rows: RwSignal<Vec<(usize, PriceRow)>> = RwSignal::new(Vec::new());
    let next = StoredValue::new(0usize);
    // Rows get fresh ids at every fill, so that a table loaded (or saved) later replaces the fields shown.
    let fill = move |table: &PriceTable| {
        let start = next.get_value();
        let list: Vec<(usize, PriceRow)> = table.rows().into_iter().enumerate().map(|(i, r)| (start + i, r)).collect();
        next.set_value(start + list.len());
        rows.set(list);
    };
    Effect::new(move |_| app.session.settings.with(|s| fill(&s.prices)));
    let message: RwSignal<Option<String>> = RwSignal::new(None);
    let saved = RwSignal::new(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let current = app.session.settings.with_untracked(|s| s.prices.clone());
        let list: Vec<PriceRow> = rows.get_untracked().into_iter().map(|(_, r)| r).collect();
        match current.from_rows(&list, &today()) {
            Err(p) => {
                saved.set(false);
                message.set(Some(problem(i18n.get_locale_untracked(), &p)));
            }
            Ok(table) => {
                message.set(None);
                spawn_local(async move {
                    saved.set(controller::save_prices(app, table).await);
                });
            }
        }
    };
    let restore = move |_| {
        spawn_local(async move {
            saved.set(controller::save_prices(app, PriceTable::defaults()).await);
        });
    };
    let edit = move |id: usize, f: &dyn Fn(&mut PriceRow)| {
        saved.set(false);
        rows.update(|v| {
            if let Some((_, r)) = v.iter_mut().find(|(i, _)| *i == id) {
                f(r);
            }
        })
    };
    view! {
        <section class="eval-section" aria-labelledby="prices-heading">
            <h2 id="prices-heading">{t!(i18n, prices)}</h2>
            <p class="run-meta">
                {move || t_string!(i18n, prices_as_of, date = app.session.settings.with(|s| s.prices.as_of.clone()))}
            </p>
            <form on:submit=save>
                <table class="prices" aria-label=move || t_string!(i18n, prices)>
                    <thead>
                        <tr>
                            <th>{t!(i18n, model)}</th>
                            <th>{t!(i18n, price_input)}</th>
                            <th>{t!(i18n, price_output)}</th>
                            <th></th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || rows.get() key=|(i, _)| *i let:row>
                            {
                                let id = row.0;
                                let name = row.1.model.clone();
                                let label = move |key: fn(Locale, &str) -> String| {
                                    let name = name.clone();
                                    move || key(i18n.get_locale(), &name)
                                };
                                view! {
                                    <tr>
                                        <td>
                                            <input
                                                aria-label=label(|l, n| td_string!(l, price_model_of, model = n).to_string())
                                                value=row.1.model.clone()
                                                on:input=move |ev| {
                                                    let v = event_target_value(&ev);
                                                    edit(id, &|r| r.model = v.clone())
                                                }
                                            />
                                        </td>
                                        <td>
                                            <input
                                                inputmode="decimal"
                                                aria-label=label(|l, n| td_string!(l, price_input_of, model = n).to_string())
                                                value=row.1.input.clone()
                                                on:input=move |ev| {
                                                    let v = event_target_value(&ev);
                                                    edit(id, &|r| r.input = v.clone())
                                                }
                                            />
                                        </td>
                                        <td>
                                            <input
                                                inputmode="decimal"
                                                aria-label=label(|l, n| td_string!(l, price_output_of, model = n).to_string())
                                                value=row.1.output.clone()
                                                on:input=move |ev| {
                                                    let v = event_target_value(&ev);
                                                    edit(id, &|r| r.output = v.clone())
                                                }
                                            />
                                        </td>
                                        <td>
                                            <button
                                                type="button"
                                                class="icon danger"
                                                aria-label=label(|l, n| td_string!(l, price_remove, model = n).to_string())
                                                on:click=move |_| rows.update(|v| v.retain(|(i, _)| *i != id))
                                            >
                                                "×"
                                            </button>
                                        </td>
                                    </tr>
                                }
                            }
                        </For>
                    </tbody>
                </table>
                {move || message.get().map(|m| view! { <p class="alert" role="alert">{m}</p> })}
                <Show when=move || saved.get()>
                    <p role="status">{t!(i18n, prices_saved)}</p>
                </Show>
                <div class="eval-actions">
                    <button
                        type="button"
                        on:click=move |_| {
                            let id = next.get_value();
                            next.set_value(id + 1);
                            rows.update(|v| v.push((id, PriceRow::default())));
                        }
                    >
                        {t!(i18n, price_add)}
                    </button>
                    <button type="submit" class="primary">{t!(i18n, prices_save)}</button>
                    <button type="button" on:click=restore>{t!(i18n, prices_restore)}</button>
                </div>
            </form>
        </section>
    }
}
