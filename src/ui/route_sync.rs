//! Keeps the address and the open chat in step, both ways: `/chat/<id>` opens that chat (or the "does not
//! exist" state), `/` opens the most recent one, and opening a chat any other way (the list, a search result,
//! New chat, a deletion) puts its address in the history, so Back and Forward move between chats.
//!
//! What an address means is [`Route`]'s rule in the core; this component only reads the router's location
//! and calls the controller.

use crate::core::route::Route;
use crate::ui::controller;
use crate::ui::state::use_app_state;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::location::{BrowserUrl, LocationProvider};
use leptos_router::NavigateOptions;

#[component]
pub fn RouteSync() -> impl IntoView {
    let state = use_app_state();
    let location = use_location();
    // A link's click (`<A>`: the sidebar's "Evaluate" or "Wardrobe", a run's title) changes the router's location at once but
    // the address bar only when the router is told the new page is ready, which `<Routes>` would do. Boda
    // matches addresses itself (see `Route`), so it says so here, once the new location is in: without this the
    // page changed and the address stayed, and a reload or Back then went to the wrong page.
    if let Some(browser) = use_context::<BrowserUrl>() {
        Effect::new(move |_| {
            location.pathname.track();
            browser.ready_to_complete();
        });
    }
    // The address → the open chat, once the chat list has loaded.
    Effect::new(move |_| {
        let path = location.pathname.get();
        if !state.session.loaded.get() {
            return;
        }
        match Route::parse(&path) {
            Route::Chat(id) => {
                if state.session.current.get_untracked().as_deref() == Some(id.as_str()) {
                    return;
                }
                if state.session.chats.with_untracked(|cs| cs.iter().any(|c| c.id == id)) {
                    controller::open_chat(state, id);
                } else if state.session.missing.get_untracked().as_deref() != Some(id.as_str()) {
                    controller::show_missing(state, id);
                }
            }
            Route::Home => controller::open_latest(state),
            // The evaluation's pages and the wardrobe leave the open chat as it is.
            Route::Evaluate | Route::EvalRun(_) | Route::Wardrobe => {}
        }
    });
    // The open chat → the address. `/` is replaced by the chat it opened, so Back does not bounce through it.
    let navigate = use_navigate();
    Effect::new(move |_| {
        let current = state.session.current.get();
        let path = location.pathname.get_untracked();
        let here = Route::parse(&path);
        let want = match current {
            Some(id) => Route::Chat(id),
            // Nothing open: the address of a chat that just went (deleted here or in another tab) becomes `/`.
            None => match &here {
                Route::Chat(id)
                    if state.session.loaded.get_untracked()
                        && state.session.missing.get_untracked().is_none()
                        && !state.session.chats.with_untracked(|cs| cs.iter().any(|c| &c.id == id)) =>
                {
                    Route::Home
                }
                _ => return,
            },
        };
        if want != here {
            let replace = here == Route::Home || want == Route::Home;
            navigate(&want.path(), NavigateOptions { replace, ..NavigateOptions::default() });
        }
    });
}
