//! Turning a dropped, pasted or picked `File` into a stored, model-ready image.
//!
//! The core decides (recognise or refuse, target size, encoding); this adapter does the pixel work: it reads
//! the file's first bytes for [`sniff`], decodes with `createImageBitmap` (off the main thread, already scaled
//! to the planned size, EXIF orientation applied), draws onto an `OffscreenCanvas`, checks for transparent
//! pixels only when the format allows them, and re-encodes. Re-encoding drops all metadata, EXIF and GPS
//! included.

use crate::core::image_plan::{sniff, EncodePlan, Refusal, ResizePlan, SNIFF_BYTES};
use crate::core::model::ImageMeta;
use crate::core::notice::FileProblem;
use crate::core::ports::BlobReader;
use crate::web::describe_js_error;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, File, ImageBitmap, ImageBitmapOptions, ImageEncodeOptions, OffscreenCanvas,
    OffscreenCanvasRenderingContext2d, ResizeQuality,
};

/// A processed image, ready to store.
pub struct PreparedImage {
    pub meta: ImageMeta,
    pub blob: Blob,
}

/// Reads a whole Blob into bytes.
pub async fn blob_bytes(blob: &Blob) -> Result<Vec<u8>, String> {
    let buf = JsFuture::from(blob.array_buffer()).await.map_err(|e| describe_js_error(&e))?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

fn global() -> web_sys::WorkerGlobalScope {
    js_sys::global().unchecked_into()
}

async fn decode(file: &Blob, plan: ResizePlan) -> Result<ImageBitmap, JsValue> {
    let options = ImageBitmapOptions::new();
    options.set_resize_width(plan.width);
    options.set_resize_height(plan.height);
    options.set_resize_quality(ResizeQuality::High);
    let promise = global().create_image_bitmap_with_blob_and_image_bitmap_options(file, &options)?;
    Ok(JsFuture::from(promise).await?.unchecked_into())
}

/// Whether any pixel of the canvas is not fully opaque.
fn has_transparency(ctx: &OffscreenCanvasRenderingContext2d, w: u32, h: u32) -> Result<bool, JsValue> {
    let data = ctx.get_image_data(0.0, 0.0, w as f64, h as f64)?.data();
    Ok(data.0.chunks_exact(4).any(|px| px[3] != 255))
}

async fn encode(bitmap: &ImageBitmap, may_have_alpha: bool) -> Result<Blob, JsValue> {
    let (w, h) = (bitmap.width(), bitmap.height());
    let canvas = OffscreenCanvas::new(w, h)?;
    let ctx: OffscreenCanvasRenderingContext2d =
        canvas.get_context("2d")?.ok_or_else(|| JsValue::from_str("no 2d context"))?.unchecked_into();
    ctx.draw_image_with_image_bitmap(bitmap, 0.0, 0.0)?;
    let transparent = may_have_alpha && has_transparency(&ctx, w, h)?;
    let plan = EncodePlan::choose(transparent);
    let options = ImageEncodeOptions::new();
    options.set_type(plan.mime);
    options.set_quality(plan.quality);
    Ok(JsFuture::from(canvas.convert_to_blob_with_options(&options)?).await?.unchecked_into())
}

/// Recognises, downscales and re-encodes one file. The error names the file and says what is wrong with it.
pub async fn prepare_image(
    file: &File,
    id: String,
    chat_id: String,
    now_ms: f64,
) -> Result<PreparedImage, (String, FileProblem)> {
    let name = file.name();
    let size = file.size() as u64;
    let head_len = (size as usize).min(SNIFF_BYTES);
    let head = if size == 0 {
        Vec::new()
    } else {
        let unreadable = |detail| (name.clone(), FileProblem::Unreadable { detail });
        let slice = file.slice_with_f64_and_f64(0.0, head_len as f64).map_err(|e| unreadable(describe_js_error(&e)))?;
        blob_bytes(&slice).await.map_err(unreadable)?
    };
    let info = sniff(&head, size).map_err(|r| (name.clone(), FileProblem::Refused(r)))?;
    let plan = ResizePlan::for_size(info.width, info.height);
    let bitmap = decode(file, plan).await.map_err(|_| (name.clone(), FileProblem::Refused(Refusal::Undecodable)))?;
    let encoded = encode(&bitmap, info.may_have_alpha).await;
    let (width, height) = (bitmap.width(), bitmap.height());
    bitmap.close();
    let blob = encoded.map_err(|e| (name.clone(), FileProblem::NotConverted { detail: describe_js_error(&e) }))?;
    let meta = ImageMeta {
        id,
        chat_id,
        name,
        mime: blob.type_(),
        bytes: blob.size() as u64,
        width,
        height,
        original_mime: info.format.mime().to_owned(),
        original_bytes: size,
        original_width: info.width,
        original_height: info.height,
        created_ms: now_ms,
        caption: None,
        caption_model: None,
    };
    Ok(PreparedImage { meta, blob })
}

/// Reads stored Blobs for the core (see [`BlobReader`]).
pub struct BlobBytes;

impl BlobReader<Blob> for BlobBytes {
    async fn bytes(&self, blob: &Blob) -> Result<Vec<u8>, String> {
        blob_bytes(blob).await
    }
}

/// An object URL for showing a Blob in an `<img>`; revoke it with [`revoke_object_url`] when done.
pub fn object_url(blob: &Blob) -> Option<String> {
    web_sys::Url::create_object_url_with_blob(blob).ok()
}

pub fn revoke_object_url(url: &str) {
    let _ = web_sys::Url::revoke_object_url(url);
}
