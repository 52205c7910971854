//! The vector memory's bookkeeping: which texts wait to be embedded, what a fresh batch of vectors does to the
//! index, what a removal takes, what a save hands out and takes back, and the few question vectors kept so
//! the same text is not embedded twice.
//!
//! It decides; it does no I/O. The browser side (`ui::memory`) loads and saves the index, holds the tabs'
//! lock, sends the embedding requests and calls these methods in between. A "listed" predicate says whether a
//! document still exists (the search index lists every message and image); a "tag" function says what a
//! text's vector is made from under the current settings (see `embeddings::fingerprint`).

use super::vector::VectorIndex;
use crate::core::notice::Notice;
use std::collections::HashMap;

/// Question vectors kept at most.
pub const OFFERED: usize = 4;

/// A text to embed: its document id, the text, and the tag its vector will carry.
pub type Todo = (String, String, String);

/// Which document ids a removal takes.
pub type Doomed = Box<dyn Fn(&str) -> bool>;

/// The memory of one tab.
#[derive(Default)]
pub struct VectorMemory {
    /// The embedding space `index` belongs to.
    pub space: String,
    /// `None` until loaded, and while it is out being saved.
    pub index: Option<VectorIndex>,
    /// The shared counter the loaded index matches.
    pub rev: u64,
    /// A worker is running; `again` asks it for one more pass.
    pub running: bool,
    pub again: bool,
    /// Documents to embed (or check), with their text.
    pending: HashMap<String, String>,
    /// The index is out of `index` while it is written to storage.
    saving: bool,
    /// Removals that arrived during a save, applied when the index is back.
    forget_after_save: Vec<Doomed>,
    /// Vectors made for questions, by tag, newest last.
    offered: Vec<(String, Vec<f32>)>,
    /// The notice that some texts could not be embedded, taken down once nothing waits.
    failure_notice: Option<Notice>,
}

impl VectorMemory {
    /// Queues a document's text (again) for embedding.
    pub fn remember(&mut self, doc: String, text: String) {
        self.pending.insert(doc, text);
    }

    /// Queues a document found without a vector, unless it already waits with a newer text.
    pub fn queue(&mut self, doc: String, text: String) {
        self.pending.entry(doc).or_insert(text);
    }

    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Removes what `doomed` names: from what waits, from the index (or, while it is being saved, as soon as
    /// it is back), and the kept question vectors made of those texts (all of them when the index is out, as
    /// its tags are then unknown).
    pub fn forget(&mut self, doomed: impl Fn(&str) -> bool + 'static, tag_of: impl Fn(&str) -> String) {
        let mut tags: Vec<String> =
            self.pending.iter().filter(|(d, _)| doomed(d)).map(|(_, text)| tag_of(text)).collect();
        self.pending.retain(|d, _| !doomed(d));
        match self.index.as_mut() {
            Some(index) => {
                tags.extend(index.ids().iter().filter(|d| doomed(d)).filter_map(|d| index.tag(d)).map(str::to_owned));
                index.remove_where(&doomed);
                self.offered.retain(|(tag, _)| !tags.contains(tag));
            }
            None => {
                self.offered.clear();
                if self.saving {
                    self.forget_after_save.push(Box::new(doomed));
                }
            }
        }
    }

    /// Takes what waits and still exists, and whose text, model or size differs from what its vector was made
    /// of. A text asked about moments ago gets its kept vector at once and is not returned.
    pub fn todo(&mut self, listed: impl Fn(&str) -> bool, tag_of: impl Fn(&str) -> String) -> Vec<Todo> {
        let pending = std::mem::take(&mut self.pending);
        let index = self.index.as_ref();
        let todo: Vec<Todo> = pending
            .into_iter()
            .filter(|(d, _)| listed(d))
            .map(|(d, t)| {
                let tag = tag_of(&t);
                (d, t, tag)
            })
            .filter(|(d, _, tag)| index.and_then(|i| i.tag(d)) != Some(tag.as_str()))
            .collect();
        let (Some(index), offered) = (self.index.as_mut(), &self.offered) else { return todo };
        todo.into_iter()
            .filter(|(doc, _, tag)| match offered.iter().find(|(t, _)| t == tag) {
                Some((_, v)) => {
                    index.adopt_dims(v.len());
                    index.upsert_tagged(doc, v, tag).is_err()
                }
                None => true,
            })
            .collect()
    }

    /// Puts texts back to wait (no key yet, or the server refused them).
    pub fn wait(&mut self, todo: &[Todo]) {
        for (doc, text, _) in todo {
            self.pending.entry(doc.clone()).or_insert_with(|| text.clone());
        }
    }

    /// Like [`VectorMemory::wait`], for texts the server refused, with the notice that says so (taken down by
    /// [`VectorMemory::settled`] once nothing waits).
    pub fn failed(&mut self, todo: &[Todo], notice: Notice) {
        self.wait(todo);
        self.failure_notice = Some(notice);
    }

    /// The failure notice to take down, once nothing waits any more (embedded, or deleted meanwhile).
    pub fn settled(&mut self) -> Option<Notice> {
        if self.pending.is_empty() {
            self.failure_notice.take()
        } else {
            None
        }
    }

    /// Puts freshly made vectors (one per todo) into the index, skipping documents removed meanwhile. When
    /// they are all of one size other than the index's, the model changed what it gives: the index is
    /// replaced by an empty one of the new size, and the old and new sizes are returned. (One vector of
    /// another size is a broken response, not a new model: that text waits for its next change.)
    pub fn keep(
        &mut self,
        made: &[Todo],
        vectors: &[Vec<f32>],
        listed: impl Fn(&str) -> bool,
    ) -> Option<(usize, usize)> {
        let index = self.index.get_or_insert_with(|| VectorIndex::new(0));
        let size = vectors.first().map_or(0, Vec::len);
        let resized =
            (size > 0 && !index.is_empty() && size != index.dims() && vectors.iter().all(|v| v.len() == size))
                .then_some((index.dims(), size));
        if resized.is_some() {
            *index = VectorIndex::replacing(index, size);
            self.offered.retain(|(_, v)| v.len() == size);
        }
        for ((doc, _, tag), v) in made.iter().zip(vectors) {
            index.adopt_dims(v.len());
            if listed(doc) {
                let _ = index.upsert_tagged(doc, v, tag);
            }
        }
        resized
    }

    /// Hands out the index to be written, when it changed; it is out until [`VectorMemory::saved`].
    pub fn take_for_save(&mut self) -> Option<(String, VectorIndex)> {
        if !self.index.as_ref().is_some_and(VectorIndex::is_dirty) {
            return None;
        }
        self.saving = true;
        self.index.take().map(|i| (self.space.clone(), i))
    }

    /// Takes the index back after a save (`rev` when it succeeded), applying the removals that arrived
    /// meanwhile. An index of a space left meanwhile is dropped.
    pub fn saved(&mut self, space: &str, mut index: VectorIndex, rev: Option<u64>) {
        if let Some(rev) = rev {
            self.rev = rev;
        }
        self.saving = false;
        for doomed in std::mem::take(&mut self.forget_after_save) {
            index.remove_where(|d| doomed(d));
        }
        if self.index.is_none() && self.space == space {
            self.index = Some(index);
        }
    }

    /// A question vector made moments ago for this tag.
    pub fn offered(&self, tag: &str) -> Option<Vec<f32>> {
        self.offered.iter().find(|(t, _)| t == tag).map(|(_, v)| v.clone())
    }

    /// Keeps a question vector (the last [`OFFERED`] are kept).
    pub fn offer(&mut self, tag: String, vector: Vec<f32>) {
        self.offered.push((tag, vector));
        let extra = self.offered.len().saturating_sub(OFFERED);
        self.offered.drain(..extra);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(text: &str) -> String {
        format!("t:{text}")
    }

    fn loaded(docs: &[(&str, [f32; 2])]) -> VectorMemory {
        let mut index = VectorIndex::new(2);
        for (d, v) in docs {
            index.upsert_tagged(d, v, &tag(d)).unwrap();
        }
        VectorMemory { index: Some(index), space: "s".into(), ..VectorMemory::default() }
    }

    #[test]
    fn only_listed_texts_whose_vector_is_stale_are_embedded() {
        let mut m = loaded(&[("a", [1.0, 0.0])]);
        m.remember("a".into(), "a".into()); // its vector is of this very text
        m.remember("b".into(), "new".into());
        m.remember("gone".into(), "x".into()); // deleted meanwhile
        let todo = m.todo(|d| d != "gone", tag);
        assert_eq!(todo, [("b".to_owned(), "new".to_owned(), "t:new".to_owned())]);
        assert!(!m.has_pending());
    }

    #[test]
    fn a_question_asked_moments_ago_is_not_embedded_again() {
        let mut m = loaded(&[("a", [1.0, 0.0])]);
        m.offer("t:how tall?".into(), vec![0.0, 1.0]);
        m.remember("q".into(), "how tall?".into());
        assert!(m.todo(|_| true, tag).is_empty());
        assert_eq!(m.index.as_ref().unwrap().tag("q"), Some("t:how tall?"));
        for i in 0..6 {
            m.offer(format!("t:{i}"), vec![1.0, 0.0]);
        }
        assert_eq!(m.offered("t:how tall?"), None, "only the last {OFFERED} are kept");
        assert!(m.offered("t:5").is_some());
    }

    #[test]
    fn a_whole_batch_of_another_size_rebuilds_but_one_odd_vector_does_not() {
        let mut m = loaded(&[("a", [1.0, 0.0])]);
        let made = [("b".to_owned(), "b".to_owned(), tag("b"))];
        assert_eq!(m.keep(&made, &[vec![0.0, 0.0, 1.0]], |_| true), Some((2, 3)));
        assert_eq!(m.index.as_ref().unwrap().dims(), 3);
        assert!(m.index.as_ref().unwrap().contains("b"));
        assert!(!m.index.as_ref().unwrap().contains("a"), "the old size's vectors go");
        let two = [made[0].clone(), ("c".to_owned(), "c".to_owned(), tag("c"))];
        assert_eq!(m.keep(&two, &[vec![0.0, 1.0, 0.0], vec![1.0, 0.0]], |_| true), None);
        assert!(!m.index.as_ref().unwrap().contains("c"), "the malformed one waits for its next change");
        let removed = [("d".to_owned(), "d".to_owned(), tag("d"))];
        assert_eq!(m.keep(&removed, &[vec![1.0, 0.0, 0.0]], |_| false), None);
        assert!(!m.index.as_ref().unwrap().contains("d"), "removed while embedded: stays removed");
    }

    #[test]
    fn forgetting_takes_the_vector_what_waits_and_the_kept_question_vectors_of_it() {
        let mut m = loaded(&[("chat1/a", [1.0, 0.0]), ("chat2/b", [0.0, 1.0])]);
        m.offer(tag("chat1/a"), vec![1.0, 0.0]);
        m.offer("t:other".into(), vec![0.0, 1.0]);
        m.remember("chat1/c".into(), "c".into());
        m.forget(|d| d.starts_with("chat1/"), tag);
        let index = m.index.as_ref().unwrap();
        assert!(!index.contains("chat1/a") && index.contains("chat2/b"));
        assert!(!m.has_pending());
        assert_eq!(m.offered(&tag("chat1/a")), None);
        assert!(m.offered("t:other").is_some());
    }

    #[test]
    fn a_removal_during_a_save_is_applied_when_the_index_is_back() {
        let mut m = loaded(&[("a", [1.0, 0.0])]);
        m.remember("b".into(), "b".into());
        let todo = m.todo(|_| true, tag);
        m.keep(&todo, &[vec![0.0, 1.0]], |_| true);
        let (space, index) = m.take_for_save().expect("changed, so saved");
        assert!(m.index.is_none());
        m.forget(|d| d == "a", tag);
        m.saved(&space, index, Some(7));
        assert_eq!(m.rev, 7);
        let index = m.index.as_ref().unwrap();
        assert!(!index.contains("a") && index.contains("b"));
        assert!(m.take_for_save().is_some(), "the removal is written next");
    }

    #[test]
    fn a_failure_notice_goes_once_nothing_waits() {
        let mut m = loaded(&[]);
        let left = [("b".to_owned(), "b".to_owned(), tag("b"))];
        m.failed(&left, Notice::Welcome);
        assert_eq!(m.settled(), None, "b still waits");
        m.forget(|d| d == "b", tag);
        assert_eq!(m.settled(), Some(Notice::Welcome));
        assert_eq!(m.settled(), None);
    }
}
