//! What to do with an image file before it is stored and sent: recognise it, refuse it with a reason, plan its
//! resize, and estimate what it costs in tokens.
//!
//! Recognition reads only the file's leading bytes (magic numbers and the header that carries the size), so a
//! 50 MB file or a 12000×12000 image is judged before any pixel is decoded. Decoding and encoding pixels is the
//! browser adapter's job; this module only decides.

use std::fmt;

/// The formats Boda accepts, as recognised from the bytes (never from the file name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Jpeg,
    Gif,
    WebP,
}

impl ImageFormat {
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Png => "image/png",
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Gif => "image/gif",
            ImageFormat::WebP => "image/webp",
        }
    }
}

/// What the header says about an accepted image. Width and height are as displayed: a JPEG whose EXIF
/// orientation turns it a quarter has them swapped from the stored pixel grid, as the browser decodes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
    /// Whether the format and header allow transparent pixels. Only then are pixels checked for alpha.
    pub may_have_alpha: bool,
}

/// Files above this size are refused before reading them whole.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Images above this many pixels are refused: decoding one would need gigabytes of memory in the tab.
pub const MAX_PIXELS: u64 = 100_000_000;
/// How many leading bytes [`sniff`] wants to see. JPEG dimensions can follow a large EXIF block.
pub const SNIFF_BYTES: usize = 1024 * 1024;

/// What an unsupported file turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// A video or other ISO media file.
    IsoMedia,
    /// HTML or XML text.
    Markup,
    Pdf,
    Bmp,
    Tiff,
    /// A ZIP archive or an office document.
    Zip,
    Ico,
    /// Nothing Boda recognises.
    Unknown,
}

/// Why a file was not accepted, with what the person needs to fix it (the views say it in words).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Refusal {
    Empty,
    TooLarge { bytes: u64 },
    TooManyPixels { width: u32, height: u32 },
    Heic,
    Avif,
    Svg,
    Unsupported { kind: FileKind },
    Corrupt,
    Undecodable,
}

/// Bytes as a short human figure: "812 B", "4.2 KB", "3.1 MB". Integer arithmetic, rounded to the nearest
/// tenth: fixed-precision float formatting would pull several kilobytes of code into the wasm build.
pub fn human_bytes(bytes: u64) -> String {
    const K: u64 = 1024;
    let (unit, scale) = match bytes {
        b if b < K => return format!("{b} B"),
        b if b < K * K => ("KB", K),
        b if b < K * K * K => ("MB", K * K),
        _ => ("GB", K * K * K),
    };
    let tenths = (bytes as u128 * 10 + scale as u128 / 2) / scale as u128;
    format!("{}.{} {unit}", tenths / 10, tenths % 10)
}

/// Recognises an image from its leading bytes (see [`SNIFF_BYTES`]) and its total size.
pub fn sniff(head: &[u8], total_bytes: u64) -> Result<ImageInfo, Refusal> {
    if total_bytes == 0 || head.is_empty() {
        return Err(Refusal::Empty);
    }
    if total_bytes > MAX_FILE_BYTES {
        return Err(Refusal::TooLarge { bytes: total_bytes });
    }
    let info = if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        png(head)
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        jpeg(head)
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        gif(head)
    } else if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        webp(head)
    } else {
        return Err(unrecognised(head));
    }?;
    if info.width == 0 || info.height == 0 {
        return Err(Refusal::Corrupt);
    }
    if info.width as u64 * info.height as u64 > MAX_PIXELS {
        return Err(Refusal::TooManyPixels { width: info.width, height: info.height });
    }
    Ok(info)
}

fn unrecognised(head: &[u8]) -> Refusal {
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        let brand = &head[8..12];
        return match brand {
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1" => Refusal::Heic,
            b"avif" | b"avis" => Refusal::Avif,
            _ => Refusal::Unsupported { kind: FileKind::IsoMedia },
        };
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = text.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(0);
    let text = &text[start..text.len().min(start + 4096)];
    if text.starts_with(b"<") {
        let lower = text.to_ascii_lowercase();
        if lower.windows(4).any(|w| w == b"<svg") {
            return Refusal::Svg;
        }
        return Refusal::Unsupported { kind: FileKind::Markup };
    }
    let kind = if head.starts_with(b"%PDF") {
        FileKind::Pdf
    } else if head.starts_with(b"BM") {
        FileKind::Bmp
    } else if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        FileKind::Tiff
    } else if head.starts_with(b"PK\x03\x04") {
        FileKind::Zip
    } else if head.starts_with(&[0, 0, 1, 0]) {
        FileKind::Ico
    } else {
        FileKind::Unknown
    };
    Refusal::Unsupported { kind }
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}
fn be16(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|s| u16::from_be_bytes([s[0], s[1]]))
}
fn le16(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]]))
}
fn le24(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 3).map(|s| u32::from_le_bytes([s[0], s[1], s[2], 0]))
}
fn le32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn png(b: &[u8]) -> Result<ImageInfo, Refusal> {
    if b.get(12..16) != Some(b"IHDR") {
        return Err(Refusal::Corrupt);
    }
    let width = be32(b, 16).ok_or(Refusal::Corrupt)?;
    let height = be32(b, 20).ok_or(Refusal::Corrupt)?;
    let color_type = *b.get(25).ok_or(Refusal::Corrupt)?;
    // Grey+alpha (4) and RGBA (6) carry alpha; palette and other images may add it with a tRNS chunk.
    let may_have_alpha = matches!(color_type, 4 | 6) || b.windows(4).any(|w| w == b"tRNS");
    Ok(ImageInfo { format: ImageFormat::Png, width, height, may_have_alpha })
}

/// Reads the EXIF orientation (1..=8) from an APP1 segment body, if it has one.
fn exif_orientation(seg: &[u8]) -> Option<u16> {
    let tiff = seg.strip_prefix(b"Exif\0\0")?;
    let little = match tiff.get(0..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |at: usize| {
        tiff.get(at..at + 2).map(|s| {
            if little {
                u16::from_le_bytes([s[0], s[1]])
            } else {
                u16::from_be_bytes([s[0], s[1]])
            }
        })
    };
    let u32_at = |at: usize| {
        tiff.get(at..at + 4).map(|s| {
            let a = [s[0], s[1], s[2], s[3]];
            if little {
                u32::from_le_bytes(a)
            } else {
                u32::from_be_bytes(a)
            }
        })
    };
    // Offsets come from the file: add them with overflow checks (wasm32 has a 32-bit usize).
    let ifd = u32_at(4)? as usize;
    let count = u16_at(ifd)? as usize;
    (0..count.min(512)).find_map(|n| {
        let entry = ifd.checked_add(2 + n * 12)?;
        (u16_at(entry)? == 0x0112).then(|| u16_at(entry.checked_add(8)?)).flatten()
    })
}

fn jpeg(b: &[u8]) -> Result<ImageInfo, Refusal> {
    let mut i = 2;
    let mut orientation = 1;
    loop {
        // Skip fill bytes before a marker.
        while b.get(i) == Some(&0xFF) && b.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        if b.get(i) != Some(&0xFF) {
            return Err(Refusal::Corrupt);
        }
        let marker = *b.get(i + 1).ok_or(Refusal::Corrupt)?;
        match marker {
            // Markers without a length.
            0xD0..=0xD9 | 0x01 => {
                i += 2;
                continue;
            }
            // Start of frame, all variants but DHT (C4), JPG (C8) and DAC (CC).
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                let height = be16(b, i + 5).ok_or(Refusal::Corrupt)? as u32;
                let width = be16(b, i + 7).ok_or(Refusal::Corrupt)? as u32;
                // Orientations 5 to 8 turn the picture a quarter: browsers decode it upright, so swap.
                let (width, height) = if (5..=8).contains(&orientation) { (height, width) } else { (width, height) };
                return Ok(ImageInfo { format: ImageFormat::Jpeg, width, height, may_have_alpha: false });
            }
            _ => {
                let len = be16(b, i + 2).ok_or(Refusal::Corrupt)? as usize;
                if len < 2 {
                    return Err(Refusal::Corrupt);
                }
                if marker == 0xE1 {
                    if let Some(o) = b.get(i + 4..i + 2 + len).and_then(exif_orientation) {
                        orientation = o;
                    }
                }
                i += 2 + len;
            }
        }
    }
}

fn gif(b: &[u8]) -> Result<ImageInfo, Refusal> {
    let width = le16(b, 6).ok_or(Refusal::Corrupt)? as u32;
    let height = le16(b, 8).ok_or(Refusal::Corrupt)? as u32;
    Ok(ImageInfo { format: ImageFormat::Gif, width, height, may_have_alpha: true })
}

fn webp(b: &[u8]) -> Result<ImageInfo, Refusal> {
    let chunk = b.get(12..16).ok_or(Refusal::Corrupt)?;
    let (width, height, may_have_alpha) = match chunk {
        b"VP8 " => {
            // Frame tag (3 bytes) then the start code 9d 01 2a, then 14-bit width and height.
            if b.get(23..26) != Some(&[0x9d, 0x01, 0x2a]) {
                return Err(Refusal::Corrupt);
            }
            let w = le16(b, 26).ok_or(Refusal::Corrupt)? & 0x3FFF;
            let h = le16(b, 28).ok_or(Refusal::Corrupt)? & 0x3FFF;
            (w as u32, h as u32, false)
        }
        b"VP8L" => {
            if b.get(20) != Some(&0x2f) {
                return Err(Refusal::Corrupt);
            }
            let bits = le32(b, 21).ok_or(Refusal::Corrupt)?;
            let w = (bits & 0x3FFF) + 1;
            let h = ((bits >> 14) & 0x3FFF) + 1;
            let alpha_hint = (bits >> 28) & 1 == 1;
            (w, h, alpha_hint)
        }
        b"VP8X" => {
            let flags = *b.get(20).ok_or(Refusal::Corrupt)?;
            let w = le24(b, 24).ok_or(Refusal::Corrupt)? + 1;
            let h = le24(b, 27).ok_or(Refusal::Corrupt)? + 1;
            (w, h, flags & 0x10 != 0)
        }
        _ => return Err(Refusal::Corrupt),
    };
    Ok(ImageInfo { format: ImageFormat::WebP, width, height, may_have_alpha })
}

/// The size an image is stored and sent at: the largest that the model uses at high detail.
///
/// OpenAI scales a high-detail image to fit 2048×2048 and then so that its short side is at most 768 px;
/// anything larger is bytes the model never sees. Smaller images are kept as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResizePlan {
    pub width: u32,
    pub height: u32,
}

impl ResizePlan {
    pub const MAX_LONG: u32 = 2048;
    pub const MAX_SHORT: u32 = 768;

    pub fn for_size(width: u32, height: u32) -> ResizePlan {
        let (w, h) = (width.max(1) as f64, height.max(1) as f64);
        let scale = 1f64.min(Self::MAX_LONG as f64 / w.max(h)).min(Self::MAX_SHORT as f64 / w.min(h));
        let round = |v: f64| (v * scale).round().max(1.0) as u32;
        ResizePlan { width: round(w), height: round(h) }
    }

    pub fn is_downscale(&self, width: u32, height: u32) -> bool {
        self.width < width || self.height < height
    }
}

/// The encoding chosen for a stored image. JPEG for opaque pictures; WebP (which keeps alpha and is far
/// smaller than PNG) where transparency matters; PNG only when the browser cannot encode WebP.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EncodePlan {
    pub mime: &'static str,
    pub quality: f64,
}

impl EncodePlan {
    pub fn choose(has_transparent_pixels: bool) -> EncodePlan {
        if has_transparent_pixels {
            EncodePlan { mime: "image/webp", quality: 0.9 }
        } else {
            EncodePlan { mime: "image/jpeg", quality: 0.85 }
        }
    }
}

/// How a model family turns an image into tokens, from OpenAI's published vision pricing.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Costing {
    /// 512 px tiles after the high-detail scaling: `base + per_tile × tiles`; `base` alone at low detail.
    Tiles { base: u32, per_tile: u32 },
    /// 32 px patches, capped at 1536 patches, times a model multiplier.
    Patches { multiplier: f64 },
}

fn costing(model: &str) -> Costing {
    let m = model.to_ascii_lowercase();
    let m = m.rsplit('/').next().unwrap_or(&m).to_owned();
    if m.starts_with("gpt-4.1-mini") {
        Costing::Patches { multiplier: 1.62 }
    } else if m.starts_with("gpt-4.1-nano") {
        Costing::Patches { multiplier: 2.46 }
    } else if m.starts_with("o4-mini") {
        Costing::Patches { multiplier: 1.72 }
    } else if m.starts_with("gpt-4o-mini") {
        Costing::Tiles { base: 2833, per_tile: 5667 }
    } else if m.starts_with("o1") || m.starts_with("o3") {
        Costing::Tiles { base: 75, per_tile: 150 }
    } else {
        Costing::Tiles { base: 85, per_tile: 170 }
    }
}

/// The size OpenAI processes a high-detail image at: fit 2048×2048, then short side at most 768.
pub fn high_detail_size(width: u32, height: u32) -> (u32, u32) {
    let p = ResizePlan::for_size(width, height);
    (p.width, p.height)
}

/// Estimated input tokens for one image of this size, for this model, at this detail.
/// `auto` is estimated as `high`, the most it can cost.
pub fn image_tokens(model: &str, width: u32, height: u32, detail: crate::core::model::Detail) -> u32 {
    use crate::core::model::Detail;
    match costing(model) {
        Costing::Tiles { base, per_tile } => {
            if detail == Detail::Low {
                return base;
            }
            let (w, h) = high_detail_size(width, height);
            base + per_tile * w.div_ceil(512) * h.div_ceil(512)
        }
        Costing::Patches { multiplier } => {
            const CAP: f64 = 1536.0;
            let (w, h) = (width.max(1) as f64, height.max(1) as f64);
            let mut patches = (w / 32.0).ceil() * (h / 32.0).ceil();
            if patches > CAP {
                let shrink = (CAP * 1024.0 / (w * h)).sqrt();
                let (sw, sh) = (w * shrink, h * shrink);
                // Shrink further so whole patches fit along the width, as OpenAI describes.
                let fit = (sw / 32.0).floor() / (sw / 32.0);
                let (sw, sh) = (sw * fit, sh * fit);
                patches = ((sw / 32.0).ceil() * (sh / 32.0).ceil()).min(CAP);
            }
            (patches * multiplier).ceil() as u32
        }
    }
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImageFormat::Png => "PNG",
            ImageFormat::Jpeg => "JPEG",
            ImageFormat::Gif => "GIF",
            ImageFormat::WebP => "WebP",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::Detail;

    fn png_header(w: u32, h: u32, color_type: u8) -> Vec<u8> {
        let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        v.extend(w.to_be_bytes());
        v.extend(h.to_be_bytes());
        v.extend([8, color_type, 0, 0, 0]);
        v
    }

    fn jpeg_header(w: u16, h: u16, exif_len: usize) -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8, 0xFF, 0xE1];
        v.extend(((exif_len + 2) as u16).to_be_bytes());
        v.extend(std::iter::repeat_n(0u8, exif_len));
        v.extend([0xFF, 0xDB, 0x00, 0x04, 0, 0]); // A tiny quantisation table segment.
        v.extend([0xFF, 0xC2, 0x00, 0x11, 0x08]);
        v.extend(h.to_be_bytes());
        v.extend(w.to_be_bytes());
        v.extend([3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        v
    }

    #[test]
    fn recognises_png_jpeg_gif_webp_with_sizes() {
        let p = sniff(&png_header(640, 480, 2), 1000).unwrap();
        assert_eq!((p.format, p.width, p.height, p.may_have_alpha), (ImageFormat::Png, 640, 480, false));
        assert!(sniff(&png_header(10, 10, 6), 100).unwrap().may_have_alpha);

        let j = sniff(&jpeg_header(4032, 3024, 30_000), 3_000_000).unwrap();
        assert_eq!((j.format, j.width, j.height), (ImageFormat::Jpeg, 4032, 3024));

        let mut g = b"GIF89a".to_vec();
        g.extend([0x20, 0x03, 0x58, 0x02, 0, 0, 0]);
        let g = sniff(&g, 13).unwrap();
        assert_eq!((g.format, g.width, g.height), (ImageFormat::Gif, 800, 600));

        // A VP8X (extended) WebP of 1000×500 with the alpha flag.
        let mut w = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0".to_vec();
        w.push(0x10);
        w.extend([0, 0, 0]);
        w.extend(&999u32.to_le_bytes()[..3]);
        w.extend(&499u32.to_le_bytes()[..3]);
        let w = sniff(&w, 100).unwrap();
        assert_eq!((w.format, w.width, w.height, w.may_have_alpha), (ImageFormat::WebP, 1000, 500, true));

        // A lossy VP8 WebP of 300×200.
        let mut v = b"RIFF\0\0\0\0WEBPVP8 \0\0\0\0".to_vec();
        v.extend([0, 0, 0, 0x9d, 0x01, 0x2a]);
        v.extend(300u16.to_le_bytes());
        v.extend(200u16.to_le_bytes());
        let v = sniff(&v, 100).unwrap();
        assert_eq!((v.width, v.height, v.may_have_alpha), (300, 200, false));
    }

    #[test]
    fn exif_rotation_swaps_the_displayed_size() {
        // An APP1 Exif segment, big-endian TIFF, one IFD entry: orientation 6 (rotate 90° clockwise).
        let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01".to_vec();
        exif.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
        let mut v = vec![0xFF, 0xD8, 0xFF, 0xE1];
        v.extend(((exif.len() + 2) as u16).to_be_bytes());
        v.extend(&exif);
        v.extend(&jpeg_header(4032, 3024, 4)[2..]);
        let j = sniff(&v, 3_000_000).unwrap();
        assert_eq!((j.width, j.height), (3024, 4032));
    }

    #[test]
    fn a_hostile_exif_offset_is_ignored() {
        let mut exif = b"Exif\0\0II\x2a\0\xff\xff\xff\xff".to_vec();
        exif.extend([0u8; 16]);
        assert_eq!(exif_orientation(&exif), None);
    }

    #[test]
    fn refuses_with_specific_reasons() {
        assert_eq!(sniff(&[], 0), Err(Refusal::Empty));
        assert_eq!(
            sniff(&png_header(1, 1, 2), MAX_FILE_BYTES + 1),
            Err(Refusal::TooLarge { bytes: MAX_FILE_BYTES + 1 })
        );
        assert_eq!(
            sniff(&png_header(12000, 12000, 2), 5_000_000),
            Err(Refusal::TooManyPixels { width: 12000, height: 12000 })
        );
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0", 5000), Err(Refusal::Heic));
        assert_eq!(sniff(b"\0\0\0\x18ftypmif1\0\0\0\0", 5000), Err(Refusal::Heic));
        assert_eq!(sniff(b"\0\0\0\x18ftypavif\0\0\0\0", 5000), Err(Refusal::Avif));
        assert_eq!(sniff(b"\xEF\xBB\xBF <?xml version=\"1.0\"?><svg xmlns=''>", 60), Err(Refusal::Svg));
        assert_eq!(sniff(b"%PDF-1.7 ...", 100), Err(Refusal::Unsupported { kind: FileKind::Pdf }));
        assert_eq!(sniff(b"hello world", 11), Err(Refusal::Unsupported { kind: FileKind::Unknown }));
        // A PNG cut off inside its header, and a JPEG with no frame header in reach.
        assert_eq!(sniff(&png_header(10, 10, 2)[..20], 20), Err(Refusal::Corrupt));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 1, 2], 8), Err(Refusal::Corrupt));
        assert_eq!(sniff(&png_header(0, 10, 2), 100), Err(Refusal::Corrupt));
    }

    #[test]
    fn resize_fits_the_high_detail_box() {
        assert_eq!(ResizePlan::for_size(4032, 3024), ResizePlan { width: 1024, height: 768 });
        assert_eq!(ResizePlan::for_size(3024, 4032), ResizePlan { width: 768, height: 1024 });
        assert_eq!(ResizePlan::for_size(1600, 1200), ResizePlan { width: 1024, height: 768 });
        assert_eq!(ResizePlan::for_size(800, 600), ResizePlan { width: 800, height: 600 });
        assert_eq!(ResizePlan::for_size(500, 400), ResizePlan { width: 500, height: 400 });
        // A very wide panorama is bounded by the long side first.
        assert_eq!(ResizePlan::for_size(10000, 1000), ResizePlan { width: 2048, height: 205 });
        assert_eq!(ResizePlan::for_size(1, 1), ResizePlan { width: 1, height: 1 });
        let p = ResizePlan::for_size(12000, 9000);
        assert!(p.width <= 2048 && p.height <= 768);
        assert!(!ResizePlan::for_size(500, 400).is_downscale(500, 400));
    }

    #[test]
    fn token_estimates_follow_openai_tables() {
        // OpenAI's worked examples: 1024×1024 high → 765 tokens; 2048×4096 high → 1105; low → 85.
        assert_eq!(image_tokens("gpt-4o", 1024, 1024, Detail::High), 765);
        assert_eq!(image_tokens("gpt-4o", 2048, 4096, Detail::High), 1105);
        assert_eq!(image_tokens("gpt-4o", 4096, 8192, Detail::Low), 85);
        assert_eq!(image_tokens("gpt-4o-mini", 1024, 1024, Detail::Low), 2833);
        assert_eq!(image_tokens("gpt-4o-mini", 1024, 1024, Detail::High), 2833 + 4 * 5667);
        // Patch-costed models: 1024×1024 → 1024 patches × 1.62; 1800×2400 is capped at 1536 patches first.
        assert_eq!(image_tokens("gpt-4.1-mini", 1024, 1024, Detail::High), (1024.0f64 * 1.62).ceil() as u32);
        assert!(image_tokens("gpt-4.1-mini", 1800, 2400, Detail::High) <= (1536.0f64 * 1.62).ceil() as u32);
        // The resize Boda does keeps the high-detail token count of the original.
        let (w, h) = (4032, 3024);
        let p = ResizePlan::for_size(w, h);
        assert_eq!(image_tokens("gpt-4o", w, h, Detail::High), image_tokens("gpt-4o", p.width, p.height, Detail::High));
        assert_eq!(image_tokens("auto-model", w, h, Detail::Auto), image_tokens("auto-model", w, h, Detail::High));
    }

    #[test]
    fn human_bytes_reads_well() {
        assert_eq!(human_bytes(812), "812 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1024), "1.0 KB");
        assert_eq!(human_bytes(4300), "4.2 KB");
        assert_eq!(human_bytes(1_048_575), "1024.0 KB");
        assert_eq!(human_bytes(52_428_800), "50.0 MB");
        assert_eq!(human_bytes(3 * 1024 * 1024 * 1024 / 2), "1.5 GB");
        // The same figures as rounding the float to one decimal.
        for b in [1500u64, 10_240, 99_999, 1_234_567, 987_654_321] {
            let k = if b < 1 << 20 {
                1024.0
            } else if b < 1 << 30 {
                1048576.0
            } else {
                1073741824.0
            };
            assert_eq!(human_bytes(b).split(' ').next().unwrap(), format!("{:.1}", b as f64 / k));
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut seed = 0x2545F4914F6CDD1Du64;
        for len in 0..400 {
            let mut v = Vec::with_capacity(len);
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                v.push(seed as u8);
            }
            for prefix in [&b"\x89PNG\r\n\x1a\n"[..], &[0xFF, 0xD8, 0xFF], b"RIFF\0\0\0\0WEBP", b"GIF89a"] {
                let mut b = prefix.to_vec();
                b.extend(&v);
                let _ = sniff(&b, b.len() as u64);
            }
        }
    }
}
