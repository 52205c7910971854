//! The Wardrobe page's field for how many items a question takes at most with "Use wardrobe" on (kept in
//! Settings, like the number of images attached), and what was wrong with what was typed.

use crate::ui::i18n::{t, t_string, text, use_i18n};
use crate::ui::state::use_app_state;
use crate::ui::wardrobe::controller::{self, PerQuestionProblem};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn ItemsPerQuestion() -> impl IntoView {
    let state = use_app_state();
    let i18n = use_i18n();
    let problem = RwSignal::new(None::<PerQuestionProblem>);
    let on_change = move |ev: web_sys::Event| {
        let typed = event_target_value(&ev);
        spawn_local(async move {
            problem.set(controller::set_per_question(state, typed).await.err());
        });
    };
    let said = move || {
        let l = i18n.get_locale();
        problem.get().map(|p| match p {
            PerQuestionProblem::NotACount(typed) => t_string!(i18n, wardrobe_bad_count, text = typed),
            PerQuestionProblem::Store(e) => text::store_error(l, &e),
        })
    };
    view! {
        <div class="field wardrobe-per-question">
            <label for="wardrobe-per-question">{t!(i18n, wardrobe_per_question)}</label>
            <input
                id="wardrobe-per-question"
                type="number"
                min="0"
                inputmode="numeric"
                prop:value=move || state.session.settings.with(|s| s.wardrobe_items.to_string())
                on:change=on_change
            />
            <small class="hint">{t!(i18n, wardrobe_per_question_hint)}</small>
            {move || said().map(|s| view! { <p class="problem" role="alert">{s}</p> })}
        </div>
    }
}
