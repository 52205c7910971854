//! A labelled text field bound to a string signal, as the Settings form uses several times. Its label and
//! hint are signals, so they follow the interface's language.

use leptos::prelude::*;

#[component]
pub fn Field(
    /// The input's id, which its label points at.
    id: &'static str,
    /// The visible label, which is also the accessible name.
    #[prop(into)]
    label: Signal<&'static str>,
    value: RwSignal<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] placeholder: &'static str,
    #[prop(optional, into)] hint: Option<Signal<&'static str>>,
    /// The id of a `<datalist>` offering values.
    #[prop(optional)]
    list: Option<&'static str>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                type=kind
                autocomplete="off"
                spellcheck="false"
                placeholder=placeholder
                list=list
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            {hint.map(|h| view! { <small>{h}</small> })}
        </div>
    }
}
