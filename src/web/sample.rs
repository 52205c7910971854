//! Installs the sample set: fetches each of its drawings (SVG, shipped under `/sample/`), rasterises it into
//! a PNG at its stated size on a white ground, and stores the set with its pictures in one transaction.
//!
//! What the set holds is the core's (`core::eval::sample`); this adapter only turns SVG into pixels (the models
//! read PNG, never SVG) and writes. An `<img>` decodes the SVG, because `createImageBitmap` does not take SVG
//! in every browser; the page's CSP allows images from its own origin.

use crate::core::eval::sample::{image_id, test_set, IMAGES};
use crate::core::ports::{StoreError, TestSetRepo};
use crate::web::idb_store::IdbStore;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, HtmlImageElement, ImageEncodeOptions, OffscreenCanvas, OffscreenCanvasRenderingContext2d};

/// Why the sample set could not be installed.
#[derive(Debug, Clone, PartialEq)]
pub enum InstallError {
    /// A drawing could not be fetched or drawn (offline on a first visit, say); `detail` is the browser's.
    Drawing {
        file: String,
        detail: String,
    },
    Store(StoreError),
}

async fn rasterise(url: &str, width: u32, height: u32) -> Result<Blob, JsValue> {
    let img: HtmlImageElement = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document"))?
        .create_element("img")?
        .unchecked_into();
    img.set_width(width);
    img.set_height(height);
    img.set_src(url);
    JsFuture::from(img.decode()).await?;
    let canvas = OffscreenCanvas::new(width, height)?;
    let ctx: OffscreenCanvasRenderingContext2d =
        canvas.get_context("2d")?.ok_or_else(|| JsValue::from_str("no 2d context"))?.unchecked_into();
    ctx.set_fill_style_str("#ffffff");
    ctx.fill_rect(0.0, 0.0, f64::from(width), f64::from(height));
    ctx.draw_image_with_html_image_element_and_dw_and_dh(&img, 0.0, 0.0, f64::from(width), f64::from(height))?;
    let options = ImageEncodeOptions::new();
    options.set_type("image/png");
    Ok(JsFuture::from(canvas.convert_to_blob_with_options(&options)?).await?.unchecked_into())
}

/// Draws every picture and stores the sample set under `name` (in the person's language).
pub async fn install(db: &IdbStore, name: &str, now_ms: f64) -> Result<(), InstallError> {
    let mut images = Vec::with_capacity(IMAGES.len());
    for image in IMAGES {
        let url = format!("/sample/{}", image.file);
        let blob = rasterise(&url, image.width, image.height).await.map_err(|e| InstallError::Drawing {
            file: image.file.to_owned(),
            detail: crate::web::describe_js_error(&e),
        })?;
        images.push((image_id(image.file), blob));
    }
    db.put_test_set(&test_set(name, now_ms), &images).await.map_err(InstallError::Store)
}
