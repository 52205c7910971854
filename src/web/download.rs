//! Saving a text as a file the person downloads, and reading a file they picked as text: what exports and
//! imports need. Nothing leaves the browser: the file is made from an object URL.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, File, HtmlElement};

/// Offers `text` as a download named `name`, of type `mime`.
pub fn save_text(name: &str, mime: &str, text: &str) -> Result<(), JsValue> {
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or_else(|| JsValue::from_str("no document"))?;
    let a: HtmlElement = document.create_element("a")?.unchecked_into();
    a.set_attribute("href", &url)?;
    a.set_attribute("download", name)?;
    a.click();
    // The click has started the download; the URL can go once it has been read.
    let url2 = url.clone();
    wasm_bindgen_futures::spawn_local(async move {
        crate::web::runtime::sleep_ms(60_000).await;
        let _ = web_sys::Url::revoke_object_url(&url2);
    });
    Ok(())
}

/// The text of a file the person picked.
pub async fn read_text(file: &File) -> Result<String, String> {
    let text = JsFuture::from(file.text()).await.map_err(|e| crate::web::describe_js_error(&e))?;
    text.as_string().ok_or_else(|| "not text".to_owned())
}

/// A file of these bytes, for the image pipeline (which decodes and resizes files).
pub fn file_of(bytes: &[u8], name: &str, mime: &str) -> Result<File, JsValue> {
    let options = web_sys::FilePropertyBag::new();
    options.set_type(mime);
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    File::new_with_u8_array_sequence_and_options(&parts, name, &options)
}
