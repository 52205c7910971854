//! The vector memory: the core's bookkeeping ([`VectorMemory`] decides, `ui::memory` does the I/O) and the
//! progress shown while many texts are embedded at once.

use crate::core::retrieval::memory::VectorMemory;
use leptos::prelude::*;
use std::cell::RefCell;

#[derive(Clone, Copy)]
pub struct MemoryState {
    pub vectors: StoredValue<RefCell<VectorMemory>, LocalStorage>,
    /// Texts embedded so far and in all, while the memory embeds many at once.
    pub indexing: RwSignal<Option<(usize, usize)>>,
}

pub fn provide_memory() -> MemoryState {
    let memory = MemoryState {
        vectors: StoredValue::new_local(RefCell::new(VectorMemory::default())),
        indexing: RwSignal::new(None),
    };
    provide_context(memory);
    memory
}

pub fn use_memory() -> MemoryState {
    expect_context::<MemoryState>()
}
