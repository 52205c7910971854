//! The Evaluate page (`/evaluate`): test sets, a new run's configurations with what it will cost, the runs
//! with their progress, and each run's report (`/evaluate/run/<id>`). One component per file below; the
//! page's state is its own context ([`state`]), its buttons are [`controller`]'s, and every figure comes
//! from the core.

pub mod controller;
pub mod prices;
pub mod report;
pub mod runs;
pub mod sets;
pub mod setup;
pub mod state;
mod text;

use crate::core::route::Route;
use crate::ui::i18n::{t, use_i18n};
use crate::ui::state::use_app_state;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

#[component]
pub fn EvalPage() -> impl IntoView {
    let app = use_app_state();
    let eval = state::use_eval();
    let i18n = use_i18n();
    let location = use_location();
    let route = Memo::new(move |_| Route::parse(&location.pathname.get()));
    Effect::new(move |_| {
        if app.session.loaded.get() && !eval.loaded.get_untracked() {
            controller::load(app, eval);
        }
    });
    view! {
        <main class="eval">
            <header class="eval-header">
                <h1>{t!(i18n, evaluate)}</h1>
                <Show when=move || route.get() != Route::Evaluate>
                    <A href="/evaluate">{t!(i18n, eval_back)}</A>
                </Show>
                <button class="settings" on:click=move |_| app.session.settings_open.set(true)>
                    {t!(i18n, settings)}
                </button>
            </header>
            <crate::ui::chat_pane::Alerts />
            <text::Problem />
            <datalist id="model-options">
                {move || {
                    let mut models = app.session.models.get();
                    for m in app.session.settings.with(|s| s.prices.models.keys().cloned().collect::<Vec<_>>()) {
                        if !models.contains(&m) && !m.starts_with("text-embedding") {
                            models.push(m);
                        }
                    }
                    models.into_iter().map(|m| view! { <option value=m></option> }).collect_view()
                }}
            </datalist>
            {move || match route.get() {
                Route::EvalRun(id) => view! { <runs::RunPage id=id /> }.into_any(),
                _ => {
                    view! {
                        <sets::Sets />
                        <setup::Setup />
                        <runs::Runs />
                        <prices::Prices />
                    }
                        .into_any()
                }
            }}
        </main>
    }
}
