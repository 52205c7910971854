//! "Add to test set": a chat's turn made into a test case. What the dialog proposes from the turn
//! ([`propose`]), the case the person's edits make ([`CaseDraft::to_case`]), the new version of the set it goes
//! into ([`with_case`]), and the whole save ([`add_to_test_set`]): the chosen images' pixels copied into the
//! evaluation's image store under fresh ids, with the new version, in one write.
//!
//! A case outlives its chat: its images are copies, so removing an image from the chat, or deleting the chat,
//! leaves the case whole. Nothing here shows anything: problems are kinds ([`AddProblem`]) for the view to word.

use crate::core::eval::model::{clean_tags, latest_versions, Case, CaseImage, CaseProblem, ReferenceMode, TestSet};
use crate::core::model::{ImageMeta, Message, MessageStatus, Role};
use crate::core::ports::{ImageRepo, Runtime, StoreError, TestSetRepo};

/// One of the chat's images as the dialog offers it.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftImage {
    /// The chat image's id: its pixels are copied from there when the case is saved.
    pub source_id: String,
    pub name: String,
    pub mime: String,
    pub width: u32,
    pub height: u32,
    pub caption: Option<String>,
    /// Whether the case keeps this image.
    pub chosen: bool,
    /// Whether the question is about this image (scored as retrieval recall).
    pub relevant: bool,
}

/// A case being written from a chat's turn: everything the dialog shows and the person may change.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseDraft {
    pub question: String,
    /// The answer a good answer should match; proposed as the chat's answer, meant to be corrected.
    pub reference: String,
    /// Tags as typed, separated by commas.
    pub tags: String,
    pub mode: ReferenceMode,
    pub images: Vec<DraftImage>,
}

/// Whether a message is an answer a case can be made from: a finished answer with text. (A failed or cut-off
/// answer is no reference: its turn can be asked again first.)
pub fn can_propose(message: &Message) -> bool {
    message.role == Role::Assistant && message.status == MessageStatus::Complete && !message.content.trim().is_empty()
}

/// The case proposed from the answer `answer_id` among a chat's `messages` (in conversation order): the
/// question it answered, the answer itself as the reference, and the chat's images as the question saw them
/// (those added no later than the answer was asked for; all chosen, none marked relevant), in the order they
/// were added. `None` when there is no such answer, it cannot be proposed ([`can_propose`]), or no question
/// precedes it.
pub fn propose(messages: &[Message], images: &[ImageMeta], answer_id: &str) -> Option<CaseDraft> {
    let at = messages.iter().position(|m| m.id == answer_id)?;
    let answer = &messages[at];
    if !can_propose(answer) {
        return None;
    }
    let question = messages[..at].iter().rev().find(|m| m.role == Role::User)?;
    let mut seen: Vec<&ImageMeta> =
        images.iter().filter(|i| i.chat_id == answer.chat_id && i.created_ms <= answer.created_ms).collect();
    seen.sort_by(|a, b| a.created_ms.total_cmp(&b.created_ms));
    Some(CaseDraft {
        question: question.content.clone(),
        reference: answer.content.clone(),
        tags: String::new(),
        mode: ReferenceMode::All,
        images: seen
            .into_iter()
            .map(|i| DraftImage {
                source_id: i.id.clone(),
                name: i.name.clone(),
                mime: i.mime.clone(),
                width: i.width,
                height: i.height,
                caption: i.caption.clone(),
                chosen: true,
                relevant: false,
            })
            .collect(),
    })
}

/// Tags typed into one field: separated by commas (also the full-width ones of Korean and Chinese input
/// methods) or lines, trimmed, each once.
pub fn parse_tags(text: &str) -> Vec<String> {
    clean_tags(text.split([',', '，', '、', '\n']).map(str::to_owned).collect())
}

/// An image to copy into the evaluation's store: the chat image `source_id` becomes `new_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageCopy {
    pub new_id: String,
    pub source_id: String,
    /// Its file name, to say which one is gone if it was removed meanwhile.
    pub name: String,
}

impl CaseDraft {
    /// The case this draft makes, with id `case_id` and the chosen images under fresh ids from `new_id`, and
    /// which chat images to copy under them. Question and reference are trimmed; only a chosen image can be
    /// relevant. What makes the case unusable (an empty question or reference, no image, too many) is the
    /// error, as [`Case::problem`] says.
    pub fn to_case(
        &self,
        case_id: String,
        mut new_id: impl FnMut() -> String,
    ) -> Result<(Case, Vec<ImageCopy>), CaseProblem> {
        let chosen: Vec<&DraftImage> = self.images.iter().filter(|i| i.chosen).collect();
        let mut case = Case {
            id: case_id,
            question: self.question.trim().to_owned(),
            reference: self.reference.trim().to_owned(),
            mode: self.mode,
            tags: parse_tags(&self.tags),
            images: Vec::new(),
        };
        // Checked before any id is made for an image: a refused draft takes nothing.
        let probe = Case { images: chosen.iter().map(|i| case_image(i, String::new())).collect(), ..case.clone() };
        if let Some(problem) = probe.problem() {
            return Err(problem);
        }
        let mut copies = Vec::with_capacity(chosen.len());
        for image in chosen {
            let id = new_id();
            copies.push(ImageCopy { new_id: id.clone(), source_id: image.source_id.clone(), name: image.name.clone() });
            case.images.push(case_image(image, id));
        }
        Ok((case, copies))
    }
}

fn case_image(image: &DraftImage, id: String) -> CaseImage {
    CaseImage {
        id,
        name: image.name.clone(),
        mime: image.mime.clone(),
        width: image.width,
        height: image.height,
        caption: image.caption.clone(),
        relevant: image.relevant,
    }
}

/// Where a case goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetChoice {
    /// A set already there, by id: the case goes into a new version of it.
    Existing(String),
    /// A new set of this name, at version 1.
    New(String),
}

/// Why a case was not added. Nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddProblem {
    /// The case itself is unusable.
    Case(CaseProblem),
    /// A new set needs a name.
    NoSetName,
    /// The chosen set is no longer there (deleted, here or in another tab), or is not one a case can go into.
    SetGone,
    /// A chosen image was removed from the chat meanwhile.
    ImageGone {
        name: String,
    },
    Store(StoreError),
}

impl From<StoreError> for AddProblem {
    fn from(e: StoreError) -> AddProblem {
        AddProblem::Store(e)
    }
}

/// The sets a case can be added to, from every stored version: the newest version of each, newest first. The
/// sample set is not among them: it ships with the app, and a newer Boda replaces it whole.
pub fn choices(all: Vec<TestSet>) -> Vec<TestSet> {
    latest_versions(all).into_iter().filter(|s| !s.sample).collect()
}

/// The version `case` makes, made at `now_ms`: of an existing set, the version after its newest one among
/// `all` (every stored version; older versions stay as they are, runs name them), with every case it had and
/// `case` last; of a new set, version 1 with `case` alone, under an id from `new_set_id`.
pub fn with_case(
    all: &[TestSet],
    choice: &SetChoice,
    case: Case,
    new_set_id: impl FnOnce() -> String,
    now_ms: f64,
) -> Result<TestSet, AddProblem> {
    match choice {
        SetChoice::Existing(id) => {
            let newest = all.iter().filter(|s| s.id == *id).max_by_key(|s| s.version).ok_or(AddProblem::SetGone)?;
            if newest.sample {
                return Err(AddProblem::SetGone);
            }
            let mut cases = newest.cases.clone();
            cases.push(case);
            Ok(newest.edited(newest.name.clone(), cases, now_ms))
        }
        SetChoice::New(name) => {
            let name = name.trim();
            if name.is_empty() {
                return Err(AddProblem::NoSetName);
            }
            Ok(TestSet {
                id: new_set_id(),
                version: 1,
                name: name.to_owned(),
                created_ms: now_ms,
                sample: false,
                cases: vec![case],
            })
        }
    }
}

/// Adds the case `draft` makes to the chosen set: checks it, reads the set's newest version as stored now
/// (another tab may have added a version meanwhile), reads the chosen images' pixels, and writes the new
/// version with the copies in one transaction. Returns the version written; on any problem nothing is written
/// and the draft is the caller's to keep.
pub async fn add_to_test_set<S, B, R>(
    store: &S,
    runtime: &R,
    draft: &CaseDraft,
    choice: &SetChoice,
) -> Result<TestSet, AddProblem>
where
    S: TestSetRepo<Blob = B> + ImageRepo<Blob = B>,
    B: Clone,
    R: Runtime,
{
    if matches!(choice, SetChoice::New(name) if name.trim().is_empty()) {
        return Err(AddProblem::NoSetName);
    }
    let (case, copies) = draft.to_case(runtime.new_id(), || runtime.new_id()).map_err(AddProblem::Case)?;
    let all = match choice {
        SetChoice::Existing(_) => store.load_test_sets().await?,
        SetChoice::New(_) => Vec::new(),
    };
    let set = with_case(&all, choice, case, || runtime.new_id(), runtime.now_ms())?;
    let mut images = Vec::with_capacity(copies.len());
    for copy in copies {
        match store.image_blob(&copy.source_id).await? {
            Some(blob) => images.push((copy.new_id, blob)),
            None => return Err(AddProblem::ImageGone { name: copy.name }),
        }
    }
    store.put_test_set(&set, &images).await?;
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::client::fakes::{block_on, FakeRuntime};
    use std::cell::RefCell;

    fn message(id: &str, role: Role, content: &str, t: f64) -> Message {
        Message::new(id.into(), "chat".into(), role, content.into(), t)
    }

    fn image(id: &str, chat: &str, t: f64) -> ImageMeta {
        ImageMeta {
            id: id.into(),
            chat_id: chat.into(),
            name: format!("{id}.jpg"),
            mime: "image/jpeg".into(),
            bytes: 1000,
            width: 1024,
            height: 768,
            original_mime: "image/jpeg".into(),
            original_bytes: 5000,
            original_width: 4032,
            original_height: 3024,
            created_ms: t,
            caption: Some(format!("a photo called {id}")),
            caption_model: Some("gpt-4o-mini".into()),
        }
    }

    /// Two turns; an image added before each, one after the last, and one in another chat.
    fn chat() -> (Vec<Message>, Vec<ImageMeta>) {
        let messages = vec![
            message("q1", Role::User, "What is in the photo?", 10.0),
            message("a1", Role::Assistant, "A white circle.", 11.0),
            message("q2", Role::User, "  And now, in both?  ", 20.0),
            message("a2", Role::Assistant, "Two white circles.\n", 21.0),
        ];
        // Out of order, as a store may give them.
        let images = vec![image("late", "chat", 30.0), image("second", "chat", 15.0), image("first", "chat", 5.0)];
        (messages, [images, vec![image("elsewhere", "other", 1.0)]].concat())
    }

    #[test]
    fn a_turn_proposes_its_question_its_answer_and_the_images_it_saw() {
        let (messages, images) = chat();
        let first = propose(&messages, &images, "a1").unwrap();
        assert_eq!(first.question, "What is in the photo?");
        assert_eq!(first.reference, "A white circle.");
        assert_eq!(first.images.iter().map(|i| i.source_id.as_str()).collect::<Vec<_>>(), ["first"]);
        let second = propose(&messages, &images, "a2").unwrap();
        assert_eq!(second.images.iter().map(|i| i.source_id.as_str()).collect::<Vec<_>>(), ["first", "second"]);
        assert!(second.images.iter().all(|i| i.chosen && !i.relevant));
        assert_eq!((second.mode, second.tags.as_str()), (ReferenceMode::All, ""));
        let i = &second.images[1];
        assert_eq!((i.name.as_str(), i.mime.as_str(), i.width, i.height), ("second.jpg", "image/jpeg", 1024, 768));
        assert_eq!(i.caption.as_deref(), Some("a photo called second"));
        // A question is no answer; an unknown id, a failed, cut-off, streaming or empty answer proposes nothing.
        assert_eq!(propose(&messages, &images, "q2"), None);
        assert_eq!(propose(&messages, &images, "nope"), None);
        for status in [MessageStatus::Failed, MessageStatus::Interrupted, MessageStatus::Streaming] {
            let mut broken = messages.clone();
            broken[3].status = status;
            assert!(!can_propose(&broken[3]));
            assert_eq!(propose(&broken, &images, "a2"), None, "{status:?}");
        }
        let mut empty = messages.clone();
        empty[3].content = " \n".into();
        assert_eq!(propose(&empty, &images, "a2"), None);
        // An answer with no question before it (the question was deleted) proposes nothing either.
        assert_eq!(propose(&messages[1..2], &images, "a1"), None);
    }

    #[test]
    fn tags_are_split_at_commas_and_lines() {
        assert_eq!(parse_tags(" ko, count ,,ocr\nko，차트、 retrieval "), ["ko", "count", "ocr", "차트", "retrieval"]);
        assert!(parse_tags(" , \n").is_empty());
    }

    fn draft() -> CaseDraft {
        let (messages, images) = chat();
        propose(&messages, &images, "a2").unwrap()
    }

    fn ids() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("new{n}")
        }
    }

    #[test]
    fn a_draft_makes_a_case_of_its_chosen_images_under_fresh_ids() {
        let mut d = draft();
        d.reference = " Two circles, both white. ".into();
        d.tags = "en, count".into();
        d.mode = ReferenceMode::Any;
        d.images[0].chosen = false;
        d.images[0].relevant = true; // Not chosen: cannot be relevant.
        d.images[1].relevant = true;
        let (case, copies) = d.to_case("case1".into(), ids()).unwrap();
        assert_eq!(case.id, "case1");
        assert_eq!(case.question, "And now, in both?");
        assert_eq!(case.reference, "Two circles, both white.");
        assert_eq!((case.mode, case.tags.clone()), (ReferenceMode::Any, vec!["en".to_owned(), "count".to_owned()]));
        assert_eq!(case.images.len(), 1);
        assert_eq!((case.images[0].id.as_str(), case.images[0].name.as_str()), ("new1", "second.jpg"));
        assert!(case.images[0].relevant && case.declares_relevant());
        assert_eq!(
            copies,
            [ImageCopy { new_id: "new1".into(), source_id: "second".into(), name: "second.jpg".into() }]
        );
        assert_eq!(case.problem(), None);
    }

    #[test]
    fn a_draft_without_a_reference_or_an_image_says_which() {
        let mut made = 0;
        let mut count = || {
            made += 1;
            String::new()
        };
        let mut d = draft();
        d.reference = "  \n ".into();
        assert_eq!(d.to_case("c".into(), &mut count).unwrap_err(), CaseProblem::NoReference);
        let mut d = draft();
        d.question = " ".into();
        assert_eq!(d.to_case("c".into(), &mut count).unwrap_err(), CaseProblem::NoQuestion);
        let mut d = draft();
        d.images.iter_mut().for_each(|i| i.chosen = false);
        assert_eq!(d.to_case("c".into(), &mut count).unwrap_err(), CaseProblem::NoImages);
        let mut d = draft();
        d.images = vec![d.images[0].clone(); 17];
        assert_eq!(d.to_case("c".into(), &mut count).unwrap_err(), CaseProblem::TooManyImages { count: 17 });
        assert_eq!(made, 0, "a refused draft makes no image ids");
    }

    fn set(id: &str, version: u32, cases: usize) -> TestSet {
        let (case, _) = draft().to_case(format!("{id}-c"), ids()).unwrap();
        TestSet {
            id: id.into(),
            version,
            name: format!("Set {id}"),
            created_ms: f64::from(version),
            sample: false,
            cases: (0..cases).map(|n| Case { id: format!("{id}-c{n}"), ..case.clone() }).collect(),
        }
    }

    #[test]
    fn a_case_goes_into_the_next_version_of_a_set_or_a_new_set() {
        let (case, _) = draft().to_case("added".into(), ids()).unwrap();
        let all = vec![set("s", 1, 1), set("s", 3, 2), set("s", 2, 1), set("t", 1, 5)];
        let next = with_case(&all, &SetChoice::Existing("s".into()), case.clone(), || unreachable!(), 99.0).unwrap();
        assert_eq!((next.id.as_str(), next.version, next.name.as_str(), next.created_ms), ("s", 4, "Set s", 99.0));
        assert_eq!(next.cases.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["s-c0", "s-c1", "added"]);
        let new = with_case(&all, &SetChoice::New("  Mine  ".into()), case.clone(), || "fresh".into(), 7.0).unwrap();
        assert_eq!((new.id.as_str(), new.version, new.name.as_str(), new.sample), ("fresh", 1, "Mine", false));
        assert_eq!(new.cases.len(), 1);
        assert_eq!(new.cases[0], case);
        assert_eq!(
            with_case(&all, &SetChoice::New(" ".into()), case.clone(), || "x".into(), 0.0),
            Err(AddProblem::NoSetName)
        );
        assert_eq!(
            with_case(&all, &SetChoice::Existing("gone".into()), case.clone(), || "x".into(), 0.0),
            Err(AddProblem::SetGone)
        );
        // The sample set is not offered, and not written to.
        let sample = TestSet { sample: true, ..set("sample", 1, 3) };
        let with_sample = [all.clone(), vec![sample]].concat();
        assert_eq!(
            with_case(&with_sample, &SetChoice::Existing("sample".into()), case, || "x".into(), 0.0),
            Err(AddProblem::SetGone)
        );
        let offered = choices(with_sample);
        assert_eq!(offered.iter().map(|s| (s.id.as_str(), s.version)).collect::<Vec<_>>(), [("s", 3), ("t", 1)]);
    }

    /// A chat's images and the stored test sets, in memory; `failing` makes every test-set write fail.
    #[derive(Default)]
    struct Store {
        images: Vec<(ImageMeta, Vec<u8>)>,
        sets: RefCell<Vec<TestSet>>,
        eval_images: RefCell<Vec<(String, Vec<u8>)>>,
        failing: Option<StoreError>,
    }

    impl ImageRepo for Store {
        type Blob = Vec<u8>;
        async fn load_images(&self, _: &str) -> Result<Vec<ImageMeta>, StoreError> {
            Ok(self.images.iter().map(|(m, _)| m.clone()).collect())
        }
        async fn load_images_with_blobs(&self, _: &str) -> Result<Vec<(ImageMeta, Vec<u8>)>, StoreError> {
            Ok(self.images.clone())
        }
        async fn put_image(&self, _: &ImageMeta, _: &Vec<u8>) -> Result<(), StoreError> {
            unreachable!("adding a case writes no chat image")
        }
        async fn image_blob(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
            Ok(self.images.iter().find(|(m, _)| m.id == id).map(|(_, b)| b.clone()))
        }
        async fn update_image_meta(&self, _: &ImageMeta) -> Result<bool, StoreError> {
            unreachable!("adding a case writes no chat image")
        }
        async fn delete_image(&self, _: &str) -> Result<(), StoreError> {
            unreachable!("adding a case deletes no chat image")
        }
    }

    impl TestSetRepo for Store {
        type Blob = Vec<u8>;
        async fn load_test_sets(&self) -> Result<Vec<TestSet>, StoreError> {
            Ok(self.sets.borrow().clone())
        }
        async fn load_test_set(&self, id: &str, version: u32) -> Result<Option<TestSet>, StoreError> {
            Ok(self.sets.borrow().iter().find(|s| s.id == id && s.version == version).cloned())
        }
        async fn put_test_set(&self, set: &TestSet, new_images: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
            if let Some(e) = &self.failing {
                return Err(e.clone());
            }
            self.sets.borrow_mut().push(set.clone());
            self.eval_images.borrow_mut().extend(new_images.iter().cloned());
            Ok(())
        }
        async fn eval_image(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
            Ok(self.eval_images.borrow().iter().find(|(i, _)| i == id).map(|(_, b)| b.clone()))
        }
        async fn delete_test_set(&self, _: &str) -> Result<(), StoreError> {
            unreachable!("adding a case deletes no set")
        }
    }

    fn store() -> Store {
        let (_, images) = chat();
        Store {
            images: images.into_iter().map(|m| (m.clone(), format!("pixels of {}", m.id).into_bytes())).collect(),
            ..Store::default()
        }
    }

    #[test]
    fn adding_twice_makes_version_one_then_two_with_the_images_copied() {
        let store = store();
        let rt = FakeRuntime::default();
        let mut d = draft();
        d.reference = "Two white circles, one on each photo.".into();
        let first = block_on(add_to_test_set(&store, &rt, &d, &SetChoice::New("From my chats".into()))).unwrap();
        assert_eq!((first.version, first.name.as_str(), first.cases.len()), (1, "From my chats", 1));
        assert_eq!(first.cases[0].reference, "Two white circles, one on each photo.");
        let copied: Vec<String> = first.cases[0].images.iter().map(|i| i.id.clone()).collect();
        assert_eq!(copied.len(), 2);
        for (id, source) in copied.iter().zip(["first", "second"]) {
            assert!(id != source, "a fresh id, not the chat image's");
            assert_eq!(block_on(store.eval_image(id)).unwrap().unwrap(), format!("pixels of {source}").into_bytes());
        }
        let (messages, images) = chat();
        let other = propose(&messages, &images, "a1").unwrap();
        let second = block_on(add_to_test_set(&store, &rt, &other, &SetChoice::Existing(first.id.clone()))).unwrap();
        assert_eq!((second.id.as_str(), second.version, second.cases.len()), (first.id.as_str(), 2, 2));
        assert_eq!(second.cases[0], first.cases[0]);
        assert_eq!(second.cases[1].question, "What is in the photo?");
        assert_ne!(second.cases[1].id, second.cases[0].id);
        // Version 1 is still stored as it was; the images are copied again for the new case only.
        assert_eq!(block_on(store.load_test_set(&first.id, 1)).unwrap().unwrap(), first);
        assert_eq!(store.eval_images.borrow().len(), 3);
        assert_eq!(choices(store.sets.borrow().clone()), [second]);
    }

    #[test]
    fn a_refused_or_failed_add_writes_nothing_and_says_why() {
        let rt = FakeRuntime::default();
        let new = SetChoice::New("Mine".into());
        let mut d = draft();
        d.reference.clear();
        let store = store();
        assert_eq!(block_on(add_to_test_set(&store, &rt, &d, &new)), Err(AddProblem::Case(CaseProblem::NoReference)));
        assert_eq!(
            block_on(add_to_test_set(&store, &rt, &draft(), &SetChoice::New("".into()))),
            Err(AddProblem::NoSetName)
        );
        assert_eq!(
            block_on(add_to_test_set(&store, &rt, &draft(), &SetChoice::Existing("gone".into()))),
            Err(AddProblem::SetGone)
        );
        // An image removed from the chat since the dialog opened.
        let mut d = draft();
        d.images[1].source_id = "removed".into();
        assert_eq!(
            block_on(add_to_test_set(&store, &rt, &d, &new)),
            Err(AddProblem::ImageGone { name: "second.jpg".into() })
        );
        assert!(store.sets.borrow().is_empty() && store.eval_images.borrow().is_empty());
        // The store refuses the write (full): the problem says so, and the draft is untouched for a retry.
        let full = Store { failing: Some(StoreError::QuotaExceeded), ..self::store() };
        let d = draft();
        assert_eq!(block_on(add_to_test_set(&full, &rt, &d, &new)), Err(AddProblem::Store(StoreError::QuotaExceeded)));
        assert_eq!(d, draft());
        assert!(full.sets.borrow().is_empty() && full.eval_images.borrow().is_empty());
    }
}
