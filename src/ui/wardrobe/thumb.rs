//! A wardrobe item's picture, read from the store when the thumbnail is made (so a page or a Context shows
//! only the pictures it shows) and let go of when it goes. Its alternative text is the item's name, as text.

use crate::core::ports::WardrobeSource;
use crate::ui::state::{store, use_app_state};
use crate::web::files::{object_url, revoke_object_url};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn WardrobeThumb(id: String, name: String) -> impl IntoView {
    let state = use_app_state();
    let url = RwSignal::new(None::<String>);
    spawn_local(async move {
        let Some(db) = store(state) else { return };
        let Ok(Some((_, blob))) = db.wardrobe_item(&id).await else { return };
        let Some(made) = object_url(&blob) else { return };
        // Gone from the page before the picture was read: nothing shows it, so it is let go of at once.
        if let Some(unused) = url.try_set(Some(made)).flatten() {
            revoke_object_url(&unused);
        }
    });
    on_cleanup(move || {
        if let Some(made) = url.try_get_untracked().flatten() {
            revoke_object_url(&made);
        }
    });
    view! { <img class="wardrobe-thumb" src=move || url.get() alt=name /> }
}
