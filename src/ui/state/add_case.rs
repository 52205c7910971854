//! "Add to test set": the answer whose turn the dialog is making a case of, while it is open.

use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct AddCase {
    /// The answer's message id; `None` when the dialog is closed.
    pub answer: RwSignal<Option<String>>,
}

pub fn provide_add_case() -> AddCase {
    let add = AddCase { answer: RwSignal::new(None) };
    provide_context(add);
    add
}

pub fn use_add_case() -> AddCase {
    expect_context::<AddCase>()
}
