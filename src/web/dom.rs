//! Bringing an element of the page into view, for the views: what Leptos does not do itself. It finds
//! elements by id and moves nothing but the scroll position and one class.

use crate::web::runtime::sleep_ms;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, ScrollIntoViewOptions, ScrollLogicalPosition};

/// The class [`reveal`] gives an element for a moment (style/main.css fades a highlight with it).
pub const REVEALED: &str = "revealed";

/// The element id of a message in the conversation.
pub fn message_element(message_id: &str) -> String {
    format!("msg-{message_id}")
}

/// The element id of an image's thumbnail.
pub fn image_element(image_id: &str) -> String {
    format!("img-{image_id}")
}

/// Scrolls the element with `id` to the middle of its scroll area and marks it with [`REVEALED`], waiting up
/// to two seconds for it to be rendered (it may belong to a chat that is still loading); an element that never
/// appears is left alone.
pub async fn reveal(id: &str) {
    for _ in 0..40 {
        let found = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(id));
        if let Some(el) = found {
            let options = ScrollIntoViewOptions::new();
            options.set_block(ScrollLogicalPosition::Center);
            options.set_inline(ScrollLogicalPosition::Center);
            el.scroll_into_view_with_scroll_into_view_options(&options);
            let classes = el.class_list();
            let _ = classes.remove_1(REVEALED);
            // Reading the layout between removing and adding the class restarts the highlight.
            if let Some(html) = el.dyn_ref::<HtmlElement>() {
                let _ = html.offset_width();
            }
            let _ = classes.add_1(REVEALED);
            return;
        }
        sleep_ms(50).await;
    }
}
