//! Test sets, their cases and versions, as plain data; and the versioned JSON file a set is exported to and
//! imported from, with its images embedded.
//!
//! A set is stored once per version: editing makes a new version (the old one stays, because runs name the
//! exact version they ran on). Images are stored apart, by id, so versions share them. Importing is all or
//! nothing: [`parse_export`] checks the whole file and refuses it with a typed reason before anything is
//! written. It does not decode or resize pixels (the browser does, as for a chat's images), and it does not
//! know about runs (see `eval::run`).

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// What a reference answer asks of an answer, told to the judge: every part, or any one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReferenceMode {
    /// The answer is fully right only when it has every part of the reference.
    #[default]
    All,
    /// Any one part of the reference makes the answer right.
    Any,
}

/// One image of a case. The pixels are stored apart, under `id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseImage {
    pub id: String,
    pub name: String,
    /// MIME type of the stored, model-ready image.
    pub mime: String,
    pub width: u32,
    pub height: u32,
    /// A description standing in for the image when retrieval leaves it out (and what retrieval ranks).
    #[serde(default)]
    pub caption: Option<String>,
    /// Whether the question is about this image; scored as retrieval recall when any image of the case says.
    #[serde(default)]
    pub relevant: bool,
}

/// One question about one or more images, with the answer it should get.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// Stable across the set's versions, so results of different versions can be lined up.
    pub id: String,
    pub question: String,
    pub reference: String,
    #[serde(default)]
    pub mode: ReferenceMode,
    #[serde(default)]
    pub tags: Vec<String>,
    pub images: Vec<CaseImage>,
}

impl Case {
    /// Whether the case says which of its images the question is about.
    pub fn declares_relevant(&self) -> bool {
        self.images.iter().any(|i| i.relevant)
    }

    /// What is wrong with the case, if anything.
    pub fn problem(&self) -> Option<CaseProblem> {
        if self.question.trim().is_empty() {
            Some(CaseProblem::NoQuestion)
        } else if self.reference.trim().is_empty() {
            Some(CaseProblem::NoReference)
        } else if self.images.is_empty() {
            Some(CaseProblem::NoImages)
        } else if self.images.len() > MAX_CASE_IMAGES {
            Some(CaseProblem::TooManyImages { count: self.images.len() })
        } else {
            None
        }
    }
}

/// Images one case may have at most (a request carries every image that retrieval does not leave out).
pub const MAX_CASE_IMAGES: usize = 16;

/// What makes a case unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseProblem {
    NoQuestion,
    NoReference,
    NoImages,
    TooManyImages { count: usize },
}

/// One version of a test set. `(id, version)` names it; a run keeps both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestSet {
    pub id: String,
    pub version: u32,
    pub name: String,
    /// Milliseconds since the Unix epoch, when this version was made.
    pub created_ms: f64,
    /// The set that ships with the app (its name is shown in the person's language).
    #[serde(default)]
    pub sample: bool,
    pub cases: Vec<Case>,
}

impl TestSet {
    /// The next version of this set, with `cases`: the same id, the version after, made at `now_ms`.
    pub fn edited(&self, name: String, cases: Vec<Case>, now_ms: f64) -> TestSet {
        TestSet { id: self.id.clone(), version: self.version + 1, name, created_ms: now_ms, sample: self.sample, cases }
    }

    /// The next version with `case` in place of the case of the same id (appended when there is none).
    pub fn with_case(&self, case: Case, now_ms: f64) -> TestSet {
        let mut cases = self.cases.clone();
        match cases.iter_mut().find(|c| c.id == case.id) {
            Some(old) => *old = case,
            None => cases.push(case),
        }
        self.edited(self.name.clone(), cases, now_ms)
    }

    /// The next version without the case `case_id`; `None` when it would leave the set empty or has no such
    /// case (a set keeps at least one case, so that a run of it means something).
    pub fn without_case(&self, case_id: &str, now_ms: f64) -> Option<TestSet> {
        let cases: Vec<Case> = self.cases.iter().filter(|c| c.id != case_id).cloned().collect();
        (cases.len() < self.cases.len() && !cases.is_empty()).then(|| self.edited(self.name.clone(), cases, now_ms))
    }

    /// The store key of this version.
    pub fn key(&self) -> String {
        version_key(&self.id, self.version)
    }

    /// Every image id the set's cases use, each once, in case order.
    pub fn image_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for image in self.cases.iter().flat_map(|c| &c.images) {
            if !ids.contains(&image.id) {
                ids.push(image.id.clone());
            }
        }
        ids
    }
}

/// The store key of one version of a set: the id, `@`, and the version zero-padded so keys sort by version.
pub fn version_key(set_id: &str, version: u32) -> String {
    format!("{set_id}@{version:06}")
}

/// The newest version of each set, newest set first, from every stored version.
pub fn latest_versions(mut all: Vec<TestSet>) -> Vec<TestSet> {
    all.sort_by(|a, b| a.id.cmp(&b.id).then(b.version.cmp(&a.version)));
    all.dedup_by(|later, kept| later.id == kept.id);
    all.sort_by(|a, b| b.created_ms.total_cmp(&a.created_ms));
    all
}

// The exported file.

/// What the `format` field of an exported set says.
pub const EXPORT_FORMAT: &str = "boda-test-set";
/// The version of the exported file's layout this build writes and reads.
pub const EXPORT_VERSION: u32 = 1;
/// Bytes one embedded image may have at most (OpenAI refuses images over 20 MB).
pub const MAX_IMPORT_IMAGE_BYTES: usize = 20 * 1024 * 1024;
/// Cases one file may have at most.
pub const MAX_IMPORT_CASES: usize = 2_000;
/// MIME types an embedded image may have: those the vision models read.
pub const IMPORT_MIMES: [&str; 4] = ["image/png", "image/jpeg", "image/webp", "image/gif"];

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportFile {
    format: String,
    version: u32,
    name: String,
    cases: Vec<ExportCase>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportCase {
    #[serde(default)]
    id: Option<String>,
    question: String,
    reference: String,
    #[serde(default)]
    mode: ReferenceMode,
    #[serde(default)]
    tags: Vec<String>,
    images: Vec<ExportImage>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportImage {
    name: String,
    mime: String,
    /// The image's bytes, standard base64.
    data: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    caption: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    relevant: bool,
}

/// An image read from an exported file, not yet decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedImage {
    pub name: String,
    pub mime: String,
    pub bytes: Vec<u8>,
    pub caption: Option<String>,
    pub relevant: bool,
}

/// A case read from an exported file; its images get ids when they are stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedCase {
    pub id: Option<String>,
    pub question: String,
    pub reference: String,
    pub mode: ReferenceMode,
    pub tags: Vec<String>,
    pub images: Vec<ImportedImage>,
}

/// A whole set read from an exported file, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedSet {
    pub name: String,
    pub cases: Vec<ImportedCase>,
}

/// Why a file is refused. Nothing of a refused file is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportRefusal {
    /// The file is not JSON at all.
    NotJson,
    /// JSON, but not an exported test set (another app's file, or a Boda run export).
    Foreign,
    /// A test set written by a newer Boda, in a layout this one does not know.
    NewerVersion {
        found: u32,
    },
    /// A test set, but a field is missing, mistyped or unknown; `detail` is the parser's (technical) words.
    Malformed {
        detail: String,
    },
    NoCases,
    TooManyCases {
        count: usize,
    },
    /// A case is unusable; `case` counts from 1.
    BadCase {
        case: usize,
        problem: CaseProblem,
    },
    /// An image's data is not base64.
    BadImageData {
        case: usize,
        name: String,
    },
    /// An image's type is not one the models read.
    UnsupportedImage {
        case: usize,
        name: String,
        mime: String,
    },
    TooLargeImage {
        case: usize,
        name: String,
        bytes: usize,
    },
}

/// Reads an exported set, all or nothing.
pub fn parse_export(text: &str) -> Result<ImportedSet, ImportRefusal> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|_| ImportRefusal::NotJson)?;
    match value.get("format").and_then(|f| f.as_str()) {
        Some(EXPORT_FORMAT) => {}
        _ => return Err(ImportRefusal::Foreign),
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v > u64::from(EXPORT_VERSION) => {
            return Err(ImportRefusal::NewerVersion { found: u32::try_from(v).unwrap_or(u32::MAX) })
        }
        Some(_) => {}
        None => return Err(ImportRefusal::Malformed { detail: "version".to_owned() }),
    }
    let file: ExportFile =
        serde_json::from_value(value).map_err(|e| ImportRefusal::Malformed { detail: e.to_string() })?;
    if file.cases.is_empty() {
        return Err(ImportRefusal::NoCases);
    }
    if file.cases.len() > MAX_IMPORT_CASES {
        return Err(ImportRefusal::TooManyCases { count: file.cases.len() });
    }
    let mut cases = Vec::with_capacity(file.cases.len());
    for (i, c) in file.cases.into_iter().enumerate() {
        let n = i + 1;
        let mut images = Vec::with_capacity(c.images.len());
        for image in c.images {
            let mime = image.mime.trim().to_ascii_lowercase();
            if !IMPORT_MIMES.contains(&mime.as_str()) {
                return Err(ImportRefusal::UnsupportedImage { case: n, name: image.name, mime: image.mime });
            }
            // A base64 text is a third longer than its bytes: refuse a huge one before decoding it.
            if image.data.len() / 4 * 3 > MAX_IMPORT_IMAGE_BYTES + 3 {
                return Err(ImportRefusal::TooLargeImage {
                    case: n,
                    name: image.name,
                    bytes: image.data.len() / 4 * 3,
                });
            }
            let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(image.data.trim()) else {
                return Err(ImportRefusal::BadImageData { case: n, name: image.name });
            };
            if bytes.len() > MAX_IMPORT_IMAGE_BYTES {
                return Err(ImportRefusal::TooLargeImage { case: n, name: image.name, bytes: bytes.len() });
            }
            if bytes.is_empty() {
                return Err(ImportRefusal::BadImageData { case: n, name: image.name });
            }
            let caption = image.caption.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
            images.push(ImportedImage { name: image.name, mime, bytes, caption, relevant: image.relevant });
        }
        let case = ImportedCase {
            id: c.id.filter(|id| !id.trim().is_empty()),
            question: c.question.trim().to_owned(),
            reference: c.reference.trim().to_owned(),
            mode: c.mode,
            tags: clean_tags(c.tags),
            images,
        };
        if let Some(problem) = imported_problem(&case) {
            return Err(ImportRefusal::BadCase { case: n, problem });
        }
        cases.push(case);
    }
    Ok(ImportedSet { name: file.name.trim().to_owned(), cases })
}

fn imported_problem(case: &ImportedCase) -> Option<CaseProblem> {
    let probe = Case {
        id: String::new(),
        question: case.question.clone(),
        reference: case.reference.clone(),
        mode: case.mode,
        tags: Vec::new(),
        images: Vec::new(),
    };
    match probe.problem() {
        Some(CaseProblem::NoImages) if !case.images.is_empty() => {
            (case.images.len() > MAX_CASE_IMAGES).then_some(CaseProblem::TooManyImages { count: case.images.len() })
        }
        other => other,
    }
}

/// Tags trimmed, empty ones dropped, each once.
pub fn clean_tags(tags: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim().to_owned();
        if !t.is_empty() && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// Writes a set as an exported file. `bytes` gives each image's stored bytes by id; an image it cannot give
/// makes the export fail with that id (the store lost it), rather than write a file that will not import.
pub fn write_export(set: &TestSet, bytes: &dyn Fn(&str) -> Option<Vec<u8>>) -> Result<String, String> {
    let mut cases = Vec::with_capacity(set.cases.len());
    for c in &set.cases {
        let mut images = Vec::with_capacity(c.images.len());
        for image in &c.images {
            let data = bytes(&image.id).ok_or_else(|| image.id.clone())?;
            images.push(ExportImage {
                name: image.name.clone(),
                mime: image.mime.clone(),
                data: base64::engine::general_purpose::STANDARD.encode(data),
                caption: image.caption.clone(),
                relevant: image.relevant,
            });
        }
        cases.push(ExportCase {
            id: Some(c.id.clone()),
            question: c.question.clone(),
            reference: c.reference.clone(),
            mode: c.mode,
            tags: c.tags.clone(),
            images,
        });
    }
    let file = ExportFile { format: EXPORT_FORMAT.to_owned(), version: EXPORT_VERSION, name: set.name.clone(), cases };
    serde_json::to_string_pretty(&file).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(id: &str) -> CaseImage {
        CaseImage {
            id: id.into(),
            name: format!("{id}.png"),
            mime: "image/png".into(),
            width: 4,
            height: 3,
            caption: Some("a red square".into()),
            relevant: id == "b",
        }
    }

    fn set() -> TestSet {
        TestSet {
            id: "s1".into(),
            version: 1,
            name: "Shapes".into(),
            created_ms: 1.0,
            sample: false,
            cases: vec![Case {
                id: "c1".into(),
                question: "두 사진의 공통점이 뭐야?".into(),
                reference: "둘 다 빨간 사각형이에요.".into(),
                mode: ReferenceMode::Any,
                tags: vec!["ko".into()],
                images: vec![image("a"), image("b"), image("a")],
            }],
        }
    }

    fn bytes_of(id: &str) -> Option<Vec<u8>> {
        Some(format!("png bytes of {id}").into_bytes())
    }

    #[test]
    fn export_then_import_keeps_everything_but_the_image_ids() {
        let text = write_export(&set(), &bytes_of).unwrap();
        let back = parse_export(&text).unwrap();
        assert_eq!(back.name, "Shapes");
        let c = &back.cases[0];
        assert_eq!(c.id.as_deref(), Some("c1"));
        assert_eq!(c.question, "두 사진의 공통점이 뭐야?");
        assert_eq!(c.mode, ReferenceMode::Any);
        assert_eq!(c.tags, vec!["ko".to_owned()]);
        assert_eq!(c.images.len(), 3);
        assert_eq!(c.images[1].bytes, b"png bytes of b");
        assert!(c.images[1].relevant && !c.images[0].relevant);
        assert_eq!(c.images[0].caption.as_deref(), Some("a red square"));
    }

    #[test]
    fn an_image_the_store_lost_fails_the_export() {
        let none = |id: &str| (id != "b").then(|| vec![1u8]);
        assert_eq!(write_export(&set(), &none), Err("b".to_owned()));
    }

    fn file_with(case: serde_json::Value) -> String {
        serde_json::json!({"format": EXPORT_FORMAT, "version": 1, "name": "x", "cases": [case]}).to_string()
    }

    #[test]
    fn foreign_and_broken_files_are_refused_with_their_reason() {
        assert_eq!(parse_export("not json"), Err(ImportRefusal::NotJson));
        assert_eq!(parse_export("{\"cases\": []}"), Err(ImportRefusal::Foreign));
        assert_eq!(parse_export("[1, 2]"), Err(ImportRefusal::Foreign));
        assert_eq!(
            parse_export(&serde_json::json!({"format": EXPORT_FORMAT, "version": 9}).to_string()),
            Err(ImportRefusal::NewerVersion { found: 9 })
        );
        let extra = serde_json::json!({"format": EXPORT_FORMAT, "version": 1, "name": "x", "cases": [], "evil": 1});
        assert!(matches!(parse_export(&extra.to_string()), Err(ImportRefusal::Malformed { .. })));
        let empty = serde_json::json!({"format": EXPORT_FORMAT, "version": 1, "name": "x", "cases": []});
        assert_eq!(parse_export(&empty.to_string()), Err(ImportRefusal::NoCases));
    }

    #[test]
    fn a_bad_case_anywhere_refuses_the_whole_file() {
        let good = serde_json::json!({"question": "q", "reference": "r",
            "images": [{"name": "a.png", "mime": "image/png", "data": "AAEC"}]});
        let no_images = serde_json::json!({"question": "q", "reference": "r", "images": []});
        let text = serde_json::json!({"format": EXPORT_FORMAT, "version": 1, "name": "x", "cases": [good, no_images]});
        assert_eq!(
            parse_export(&text.to_string()),
            Err(ImportRefusal::BadCase { case: 2, problem: CaseProblem::NoImages })
        );
        let blank = serde_json::json!({"question": "  ", "reference": "r",
            "images": [{"name": "a.png", "mime": "image/png", "data": "AAEC"}]});
        assert_eq!(
            parse_export(&file_with(blank)),
            Err(ImportRefusal::BadCase { case: 1, problem: CaseProblem::NoQuestion })
        );
        let svg = serde_json::json!({"question": "q", "reference": "r",
            "images": [{"name": "a.svg", "mime": "image/svg+xml", "data": "AAEC"}]});
        assert!(matches!(parse_export(&file_with(svg)), Err(ImportRefusal::UnsupportedImage { case: 1, .. })));
        let garbage = serde_json::json!({"question": "q", "reference": "r",
            "images": [{"name": "a.png", "mime": "image/png", "data": "%%%"}]});
        assert!(matches!(parse_export(&file_with(garbage)), Err(ImportRefusal::BadImageData { case: 1, .. })));
        let many: Vec<_> =
            (0..17).map(|_| serde_json::json!({"name": "a.png", "mime": "image/png", "data": "AAEC"})).collect();
        let crowded = serde_json::json!({"question": "q", "reference": "r", "images": many});
        assert_eq!(
            parse_export(&file_with(crowded)),
            Err(ImportRefusal::BadCase { case: 1, problem: CaseProblem::TooManyImages { count: 17 } })
        );
    }

    #[test]
    fn a_huge_image_is_refused_before_it_is_decoded() {
        let data = "A".repeat(MAX_IMPORT_IMAGE_BYTES / 3 * 4 + 16);
        let huge = serde_json::json!({"question": "q", "reference": "r",
            "images": [{"name": "big.png", "mime": "image/png", "data": data}]});
        assert!(matches!(parse_export(&file_with(huge)), Err(ImportRefusal::TooLargeImage { case: 1, .. })));
    }

    #[test]
    fn editing_makes_a_new_version_and_the_newest_of_each_set_is_listed() {
        let v1 = set();
        let v2 = v1.edited("Shapes 2".into(), v1.cases.clone(), 5.0);
        assert_eq!((v2.id.as_str(), v2.version), ("s1", 2));
        assert_eq!(v1.key(), "s1@000001");
        assert!(v1.key() < v2.key());
        let other = TestSet { id: "s0".into(), created_ms: 3.0, ..set() };
        let latest = latest_versions(vec![v1.clone(), other.clone(), v2.clone()]);
        assert_eq!(latest, vec![v2, other]);
        assert_eq!(v1.image_ids(), vec!["a".to_owned(), "b".to_owned()]);
    }

    #[test]
    fn a_case_is_replaced_or_removed_in_a_new_version_and_the_last_one_stays() {
        let v1 = set();
        let mut changed = v1.cases[0].clone();
        changed.reference = "빨간 사각형이 두 개예요.".into();
        let v2 = v1.with_case(changed.clone(), 2.0);
        assert_eq!((v2.version, v2.cases.len(), v2.cases[0].reference.as_str()), (2, 1, "빨간 사각형이 두 개예요."));
        assert_eq!(v1.cases[0].reference, "둘 다 빨간 사각형이에요.", "the old version is untouched");
        let added = v2.with_case(Case { id: "c2".into(), ..changed }, 3.0);
        assert_eq!((added.version, added.cases.len()), (3, 2));
        let removed = added.without_case("c1", 4.0).unwrap();
        assert_eq!((removed.version, removed.cases.len(), removed.cases[0].id.as_str()), (4, 1, "c2"));
        assert_eq!(removed.without_case("c2", 5.0), None, "the last case stays");
        assert_eq!(removed.without_case("nope", 5.0), None);
    }

    #[test]
    fn relevance_is_declared_by_any_image() {
        let mut c = set().cases[0].clone();
        assert!(c.declares_relevant());
        for i in &mut c.images {
            i.relevant = false;
        }
        assert!(!c.declares_relevant());
        assert_eq!(c.problem(), None);
    }
}
