//! Retrieval: the vector index, the lexical (BM25) index, their fusion, and the vector memory's bookkeeping.

pub mod half;
pub mod lexical;
pub mod memory;
pub mod vector;

/// Sorts (id, score) pairs best first, ties by id ascending.
///
/// Every ranking in the app goes through this one function: in wasm each distinct `sort_by` closure is its own
/// copy of the sort code, several kilobytes each.
pub fn sort_ranked(items: &mut [(String, f32)]) {
    items.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
}
