//! An in-browser vector index of our own: exact cosine top-k over half-precision vectors, and a binary-quantised
//! first pass with exact re-scoring for large indexes (see [`binary_candidates`] for how many are re-scored).
//!
//! Vectors are L2-normalised on the way in, so cosine similarity is a dot product, and kept as IEEE half
//! precision bits (`u16`, none subnormal: see [`super::half::to_normal_half`]), the form in which they are
//! stored (see [`super::half`] for why): 2 bytes a dimension plus its sign bit (for the binary pass) and its
//! id, and no f32 copy. They live slot by slot in
//! one contiguous `Vec<u16>`, split for storage into chunks of [`CHUNK`] vectors: adding touches the last
//! chunk, removing (a swap with the last slot) touches two, and only changed chunks are handed out for writing.
//!
//! Queries stay f32 (normalised, not rounded). A score is the f32 dot product of the unit query with the
//! vector's half-precision values, summed in one fixed order (see [`dot_halves`]): the halves are turned into
//! f32 in registers as they are read, with 128-bit SIMD on wasm32 with `simd128` and by a portable loop of the
//! same arithmetic elsewhere, so every target gives bit for bit the scores of a plain f32 search over the same
//! half-precision values summed in that order (tested natively and in Chromium).
//!
//! This module knows nothing of IndexedDB or embeddings APIs: it takes vectors and ids and gives back hits.

use super::half::{from_half, to_normal_half, without_subnormal};
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::mem::MaybeUninit;

/// Vectors per storage chunk (a 1536-dimension chunk is 3 MiB at half precision).
pub const CHUNK: usize = 1024;
/// Above this many vectors, [`VectorIndex::search`] uses the binary first pass.
pub const BINARY_THRESHOLD: usize = 20_000;
/// How many candidates the binary pass keeps for exact re-scoring: at least 16 per wanted hit, and at least
/// one in a hundred vectors. Sign bits separate clusters well but neighbours within a large cluster poorly,
/// so the share must grow with the index. Measured in Chromium at 100k vectors of 1536 dimensions in 100
/// clusters of 1000: 160 candidates give recall@10 of 0.58 on noisy copies of stored vectors, 500 give 0.90 on
/// queries drawn independently from the data's distribution, 1000 (the cluster size) give 1.0 on both; queries
/// near no stored cluster get 0.60 with 1000 and 0.87 with 5000. The pass reads 19 MB of sign bits (3.3-3.5 ms
/// on this project's busy VM) and re-scoring 1000 candidates takes about 0.6 ms; with 1000 the whole search
/// took 3.7-4.9 ms in the benchmark's runs, too close to its 5 ms budget to re-score more.
pub fn binary_candidates(n: usize, k: usize) -> usize {
    (k * 16).max(n / 100)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexError {
    /// A vector or query of the wrong length.
    DimensionMismatch { expected: usize, got: usize },
    /// Stored chunks that do not fit the id map (a damaged or partly written index).
    Corrupt(String),
    /// A stored index larger than the memory this page can get.
    TooLarge,
}

impl fmt::Display for IndexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndexError::DimensionMismatch { expected, got } => write!(
                f,
                "the vector has {got} dimensions but this index holds {expected}; re-embed with the same model \
                 and dimensions"
            ),
            IndexError::Corrupt(why) => write!(f, "the stored vector index is damaged ({why})"),
            IndexError::TooLarge => write!(f, "the stored vector index does not fit in memory"),
        }
    }
}

impl std::error::Error for IndexError {}

/// One result: an id and its cosine similarity to the query (in -1..=1; 0 for zero vectors).
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: String,
    pub score: f32,
}

/// Orders hits best first, ties by id ascending, so results are deterministic.
fn better(a_score: f32, a_id: &str, b_score: f32, b_id: &str) -> bool {
    a_score > b_score || (a_score == b_score && a_id < b_id)
}

/// The f32 dot product of two equally long f32 slices (eight accumulators, which compilers vectorise). The
/// index itself scores with [`dot_halves`]; this serves normalisation and comparisons with full precision.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut tail = 0f32;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// Values a block of the half-precision dot product takes: two 128-bit loads of eight halves.
pub const BLOCK: usize = 16;

/// Where value `r` of a block of [`BLOCK`] sits among the 16 f32 accumulators of [`dot_halves`] (four
/// vectors of four lanes, accumulator `4 v + lane`), and so where its query value sits in a [`Query`]. A
/// load of eight halves is read as four 32-bit lanes of two halves each: the even halves become one f32
/// vector, the odd ones another. So values 0, 2, 4, 6 go to accumulators 0-3, values 1, 3, 5, 7 to 4-7, and
/// likewise values 8-15 to 8-15.
pub const fn accumulator(r: usize) -> usize {
    (r / 8) * 8 + (r % 2) * 4 + (r % 8) / 2
}

/// 2^112: an f32 whose bits are a half's sign and its other 15 bits shifted up by 13 is that half's value
/// times 2^-112, subnormals included. The query is scaled by 2^112 instead of each value, which is exact (a
/// power of two, far from the f32 range's ends), so each product is exactly the product of the query value and
/// the half's value, rounded once: the same f32 as multiplying the converted half.
const SCALE: f32 = f32::from_bits((127 + 112) << 23);

/// A half's value times 2^-112 (see [`SCALE`]); exact for every finite half.
#[inline(always)]
fn scaled_half(h: u16) -> f32 {
    f32::from_bits(((i32::from(h as i16) << 13) as u32) & 0x8fff_e000)
}

/// A unit query laid out for [`dot_halves`]: its values times [`SCALE`], each full block of [`BLOCK`] in
/// accumulator order (see [`accumulator`]), the tail in order; and its sign bits for the binary pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    scaled: Vec<f32>,
    bits: Vec<u64>,
}

impl Query {
    /// Prepares a query that is already of unit length (or zero), as [`normalize`] leaves it.
    pub fn from_unit(unit: &[f32]) -> Query {
        let mut scaled = vec![0f32; unit.len()];
        let full = unit.len() / BLOCK * BLOCK;
        for (b, block) in unit[..full].chunks_exact(BLOCK).enumerate() {
            for (r, x) in block.iter().enumerate() {
                scaled[b * BLOCK + accumulator(r)] = x * SCALE;
            }
        }
        for i in full..unit.len() {
            scaled[i] = unit[i] * SCALE;
        }
        let mut bits = vec![0u64; unit.len().div_ceil(64)];
        sign_bits(unit, &mut bits);
        Query { scaled, bits }
    }

    /// Normalises a copy of `query` and prepares it.
    pub fn new(query: &[f32]) -> Query {
        let mut unit = query.to_vec();
        normalize(&mut unit);
        Query::from_unit(&unit)
    }

    pub fn len(&self) -> usize {
        self.scaled.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scaled.is_empty()
    }
}

/// The f32 dot product of a prepared query with a vector of half-precision values (as long as the query), in
/// this order: sixteen accumulators, value `16 b + r` added to accumulator [`accumulator`]`(r)` block after
/// block; then the four vectors of accumulators added lane by lane as `(A0 + A1) + (A2 + A3)`, the four lanes
/// of that left to right, and last the values beyond the full blocks one by one. SIMD on wasm32 with simd128,
/// [`dot_halves_portable`] elsewhere; both give the same bits. Every value must be finite (see
/// [`sign_bits_of_halves`]).
#[inline]
pub fn dot_halves(query: &Query, halves: &[u16]) -> f32 {
    debug_assert_eq!(query.len(), halves.len());
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        simd::dot_halves(&query.scaled, halves)
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        dot_halves_portable(query, halves)
    }
}

/// [`dot_halves`] in plain Rust: the same conversion, products and order of additions.
pub fn dot_halves_portable(query: &Query, halves: &[u16]) -> f32 {
    let q = &query.scaled;
    let n = halves.len().min(q.len());
    let full = n / BLOCK * BLOCK;
    let mut acc = [0f32; BLOCK];
    for (hb, qb) in halves[..full].chunks_exact(BLOCK).zip(q[..full].chunks_exact(BLOCK)) {
        for (r, &h) in hb.iter().enumerate() {
            let a = accumulator(r);
            acc[a] += scaled_half(h) * qb[a];
        }
    }
    let lane = |l: usize| (acc[l] + acc[4 + l]) + (acc[8 + l] + acc[12 + l]);
    let mut total = ((lane(0) + lane(1)) + lane(2)) + lane(3);
    for i in full..n {
        total += scaled_half(halves[i]) * q[i];
    }
    total
}

/// Sums every half's bits (wrapping): one sequential SIMD pass over the bytes, the floor any scan of them can
/// reach. The benchmark compares the exact search against it.
pub fn sequential_read(halves: &[u16]) -> u16 {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        simd::sum(halves)
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        halves.iter().fold(0u16, |a, &h| a.wrapping_add(h))
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd {
    use super::{scaled_half, HalfScan, BLOCK};
    use core::arch::wasm32::*;

    /// Four 4-lane accumulators, 16 halves a step. Each load of eight halves is four 32-bit lanes holding two
    /// halves each: shifted so that a half's sign is the lane's top bit and the rest 13 places above the
    /// bottom (an arithmetic shift right by 3 for the upper half, after a shift left by 16 for the lower one),
    /// and masked, the lanes are the halves' values times 2^-112 as f32s (see `SCALE`), no table or branch.
    #[inline]
    pub fn dot_halves(q: &[f32], h: &[u16]) -> f32 {
        let n = h.len().min(q.len());
        let full = n / BLOCK * BLOCK;
        let mask = u32x4_splat(0x8fff_e000);
        let (mut a0, mut a1, mut a2, mut a3) = (f32x4_splat(0.0), f32x4_splat(0.0), f32x4_splat(0.0), f32x4_splat(0.0));
        let mut i = 0;
        // SAFETY: every load reads 16 bytes at an index `i + 4m` (f32) or `i + 8m` (u16) with `i + 16 <= full
        // <= n`, inside both slices; v128_load does not require alignment.
        unsafe {
            let (pq, ph) = (q.as_ptr(), h.as_ptr());
            while i < full {
                let v0 = v128_load(ph.add(i) as *const v128);
                let v1 = v128_load(ph.add(i + 8) as *const v128);
                let e0 = v128_and(i32x4_shr(i32x4_shl(v0, 16), 3), mask);
                let o0 = v128_and(i32x4_shr(v0, 3), mask);
                let e1 = v128_and(i32x4_shr(i32x4_shl(v1, 16), 3), mask);
                let o1 = v128_and(i32x4_shr(v1, 3), mask);
                a0 = f32x4_add(a0, f32x4_mul(e0, v128_load(pq.add(i) as *const v128)));
                a1 = f32x4_add(a1, f32x4_mul(o0, v128_load(pq.add(i + 4) as *const v128)));
                a2 = f32x4_add(a2, f32x4_mul(e1, v128_load(pq.add(i + 8) as *const v128)));
                a3 = f32x4_add(a3, f32x4_mul(o1, v128_load(pq.add(i + 12) as *const v128)));
                i += BLOCK;
            }
        }
        let s = f32x4_add(f32x4_add(a0, a1), f32x4_add(a2, a3));
        let mut total = ((f32x4_extract_lane::<0>(s) + f32x4_extract_lane::<1>(s)) + f32x4_extract_lane::<2>(s))
            + f32x4_extract_lane::<3>(s);
        while i < n {
            total += scaled_half(h[i]) * q[i];
            i += 1;
        }
        total
    }

    /// Sets bit `i` of `out` when `v[i] > 0`, four lanes at a time.
    pub fn sign_bits(v: &[f32], out: &mut [u64]) {
        let zero = f32x4_splat(0.0);
        for (w, word) in out.iter_mut().enumerate() {
            let start = w * 64;
            let end = (start + 64).min(v.len());
            let mut bits = 0u64;
            let mut i = start;
            // SAFETY: each load reads v[i..i + 4] with i + 4 <= end <= v.len().
            unsafe {
                while i + 4 <= end {
                    let mask = i32x4_bitmask(f32x4_gt(v128_load(v.as_ptr().add(i) as *const v128), zero));
                    bits |= u64::from(mask) << (i - start);
                    i += 4;
                }
            }
            while i < end {
                if v[i] > 0.0 {
                    bits |= 1 << (i - start);
                }
                i += 1;
            }
            *word = bits;
        }
    }

    /// Sets bit `i` of `out` when half `h[i]` is above zero (as an i16: sign clear, not zero), eight at a
    /// time, keeping the largest magnitude seen and the smallest magnitude less one (wrapping, so zero counts
    /// as the largest): a half is infinite or NaN when its magnitude is above 0x7bff, subnormal when its
    /// magnitude less one is below 0x3ff.
    pub fn sign_bits_of_halves(h: &[u16], out: &mut [u64]) -> HalfScan {
        let zero = i16x8_splat(0);
        let magnitude = u16x8_splat(0x7fff);
        let one = u16x8_splat(1);
        let (mut largest, mut smallest) = (u16x8_splat(0), u16x8_splat(u16::MAX));
        let (mut tail_largest, mut tail_smallest) = (0u16, u16::MAX);
        for (w, word) in out.iter_mut().enumerate() {
            let start = w * 64;
            let end = (start + 64).min(h.len());
            let mut bits = 0u64;
            let mut i = start;
            // SAFETY: each load reads h[i..i + 8] with i + 8 <= end <= h.len().
            unsafe {
                while i + 8 <= end {
                    let v = v128_load(h.as_ptr().add(i) as *const v128);
                    bits |= u64::from(i16x8_bitmask(i16x8_gt(v, zero))) << (i - start);
                    let m = v128_and(v, magnitude);
                    largest = u16x8_max(largest, m);
                    smallest = u16x8_min(smallest, i16x8_sub(m, one));
                    i += 8;
                }
            }
            while i < end {
                if h[i] as i16 > 0 {
                    bits |= 1 << (i - start);
                }
                tail_largest = tail_largest.max(h[i] & 0x7fff);
                tail_smallest = tail_smallest.min((h[i] & 0x7fff).wrapping_sub(1));
                i += 1;
            }
            *word = bits;
        }
        HalfScan {
            finite: !v128_any_true(u16x8_gt(largest, u16x8_splat(0x7bff))) && tail_largest <= 0x7bff,
            subnormal: v128_any_true(u16x8_lt(smallest, u16x8_splat(0x3ff))) || tail_smallest < 0x3ff,
        }
    }

    pub fn sum(h: &[u16]) -> u16 {
        let n = h.len();
        let (mut s0, mut s1) = (i16x8_splat(0), i16x8_splat(0));
        let mut i = 0;
        // SAFETY: as in `dot_halves`, every 16-byte load lies inside the slice.
        unsafe {
            let p = h.as_ptr();
            while i + 16 <= n {
                s0 = i16x8_add(s0, v128_load(p.add(i) as *const v128));
                s1 = i16x8_add(s1, v128_load(p.add(i + 8) as *const v128));
                i += 16;
            }
        }
        let s = i16x8_add(s0, s1);
        let mut total = 0u16;
        for lane in [
            u16x8_extract_lane::<0>(s),
            u16x8_extract_lane::<1>(s),
            u16x8_extract_lane::<2>(s),
            u16x8_extract_lane::<3>(s),
            u16x8_extract_lane::<4>(s),
            u16x8_extract_lane::<5>(s),
            u16x8_extract_lane::<6>(s),
            u16x8_extract_lane::<7>(s),
        ] {
            total = total.wrapping_add(lane);
        }
        while i < n {
            total = total.wrapping_add(h[i]);
            i += 1;
        }
        total
    }
}

/// The sign bits of `v` into `out` (`v.len().div_ceil(64)` words): bit `i` is set when `v[i] > 0`. SIMD on
/// wasm32 with simd128, [`sign_bits_portable`] elsewhere.
pub fn sign_bits(v: &[f32], out: &mut [u64]) {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    simd::sign_bits(v, out);
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    sign_bits_portable(v, out);
}

/// [`sign_bits`] one value at a time.
pub fn sign_bits_portable(v: &[f32], out: &mut [u64]) {
    out.iter_mut().for_each(|w| *w = 0);
    for (i, x) in v.iter().enumerate() {
        if *x > 0.0 {
            out[i / 64] |= 1 << (i % 64);
        }
    }
}

/// What [`sign_bits_of_halves`] saw besides the signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HalfScan {
    /// No infinity or NaN: one in a stored vector means damage ([`dot_halves`] would not see it as one).
    pub finite: bool,
    /// Some value is subnormal (which the index does not keep: see [`super::half::to_normal_half`]).
    pub subnormal: bool,
}

/// The sign bits of half-precision values, read from the bits alone: bit `i` is set when `h[i]` is above zero
/// (its sign bit clear and the rest not zero), as [`sign_bits`] of the values would say for finite values.
/// SIMD on wasm32 with simd128, [`sign_bits_of_halves_portable`] elsewhere.
pub fn sign_bits_of_halves(h: &[u16], out: &mut [u64]) -> HalfScan {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        simd::sign_bits_of_halves(h, out)
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        sign_bits_of_halves_portable(h, out)
    }
}

/// [`sign_bits_of_halves`] one value at a time.
pub fn sign_bits_of_halves_portable(h: &[u16], out: &mut [u64]) -> HalfScan {
    out.iter_mut().for_each(|w| *w = 0);
    let mut scan = HalfScan { finite: true, subnormal: false };
    for (i, &x) in h.iter().enumerate() {
        if x as i16 > 0 {
            out[i / 64] |= 1 << (i % 64);
        }
        scan.finite &= (x & 0x7c00) != 0x7c00;
        scan.subnormal |= (x & 0x7c00) == 0 && (x & 0x3ff) != 0;
    }
    scan
}

/// Scales a vector to unit length in place; a zero (or non-finite) vector becomes all zeros and will score 0.
pub fn normalize(v: &mut [f32]) {
    let norm = dot(v, v).sqrt();
    if norm > 0.0 && norm.is_finite() {
        let inv = 1.0 / norm;
        v.iter_mut().for_each(|x| *x *= inv);
    } else {
        v.iter_mut().for_each(|x| *x = 0.0);
    }
}

/// Keeps the best `k` (score, slot) pairs seen, ties by id.
struct TopK<'a> {
    k: usize,
    ids: &'a [String],
    /// Sorted best first; at most `k` long.
    best: Vec<(f32, usize)>,
}

impl<'a> TopK<'a> {
    fn new(k: usize, ids: &'a [String]) -> Self {
        TopK { k, ids, best: Vec::with_capacity(k + 1) }
    }

    #[inline]
    fn offer(&mut self, score: f32, slot: usize) {
        if self.k == 0 {
            return;
        }
        if self.best.len() == self.k {
            let (ws, wslot) = self.best[self.k - 1];
            if !better(score, &self.ids[slot], ws, &self.ids[wslot]) {
                return;
            }
            self.best.pop();
        }
        let ids = self.ids;
        let at = self.best.partition_point(|&(s, o)| better(s, &ids[o], score, &ids[slot]));
        self.best.insert(at, (score, slot));
    }

    fn hits(self) -> Vec<Hit> {
        self.best.into_iter().map(|(score, slot)| Hit { id: self.ids[slot].clone(), score }).collect()
    }
}

/// The hash of the id-to-slot map: FxHash, as in rustc (a rotate, a xor and a multiply per 8 bytes). The ids
/// are the app's own, so there is no flooding to defend against; SipHash made building the map of 100k ids
/// in a load take 32-54 ms in Chromium, this 25-35 ms.
#[derive(Default, Clone, Copy)]
struct IdHasher(u64);

impl IdHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in words.by_ref() {
            self.add(u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]));
        }
        for &b in words.remainder() {
            self.add(u64::from(b));
        }
    }

    fn write_u8(&mut self, b: u8) {
        self.add(u64::from(b));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type Slots = HashMap<String, usize, BuildHasherDefault<IdHasher>>;

/// What an index keeps in memory, in bytes of heap it has asked for (allocator overhead aside).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resident {
    /// The half-precision values.
    pub halves: usize,
    /// The sign bits.
    pub sign_bits: usize,
    /// The ids, their tags and the id-to-slot map (which holds a second copy of each id).
    pub ids: usize,
}

impl Resident {
    pub fn total(&self) -> usize {
        self.halves + self.sign_bits + self.ids
    }
}

/// Vectors of one dimension, by id.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorIndex {
    dims: usize,
    /// Unit vectors as half-precision bits, slot after slot.
    data: Vec<u16>,
    /// Sign bits of each vector, `words()` u64s per slot.
    bits: Vec<u64>,
    /// Slot to id.
    ids: Vec<String>,
    /// Slot to tag: what the vector was made from (an embeddings fingerprint), to know when to re-make it.
    tags: Vec<String>,
    /// Id to slot.
    slots: Slots,
    /// Chunks changed since the last [`VectorIndex::take_dirty`].
    dirty: BTreeSet<usize>,
    /// Whether the id map changed since the last [`VectorIndex::take_dirty`].
    ids_dirty: bool,
}

impl VectorIndex {
    pub fn new(dims: usize) -> VectorIndex {
        VectorIndex {
            dims,
            data: Vec::new(),
            bits: Vec::new(),
            ids: Vec::new(),
            tags: Vec::new(),
            slots: Slots::default(),
            dirty: BTreeSet::new(),
            ids_dirty: false,
        }
    }

    /// An empty index with room for `n` vectors, so filling it never reallocates (and briefly doubles)
    /// hundreds of megabytes.
    pub fn with_capacity(dims: usize, n: usize) -> VectorIndex {
        let mut index = VectorIndex::new(dims);
        index.data.reserve_exact(n * dims);
        index.bits.reserve_exact(n * index.words());
        index.ids.reserve_exact(n);
        index.tags.reserve_exact(n);
        index.slots.reserve(n);
        index
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.slots.contains_key(id)
    }

    /// The ids, in slot order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    fn words(&self) -> usize {
        self.dims.div_ceil(64)
    }

    fn check(&self, v: &[f32]) -> Result<(), IndexError> {
        if v.len() == self.dims {
            Ok(())
        } else {
            Err(IndexError::DimensionMismatch { expected: self.dims, got: v.len() })
        }
    }

    /// Normalises and prepares a query for this index's vectors.
    pub fn query(&self, query: &[f32]) -> Result<Query, IndexError> {
        self.check(query)?;
        Ok(Query::new(query))
    }

    fn vector(&self, slot: usize) -> &[u16] {
        &self.data[slot * self.dims..(slot + 1) * self.dims]
    }

    /// Adds a vector, or replaces the one stored under `id`.
    pub fn upsert(&mut self, id: &str, vector: &[f32]) -> Result<(), IndexError> {
        self.upsert_tagged(id, vector, "")
    }

    /// The tag stored with `id`'s vector.
    pub fn tag(&self, id: &str) -> Option<&str> {
        self.slots.get(id).map(|&slot| self.tags[slot].as_str())
    }

    /// The tags, in slot order.
    pub fn tags(&self) -> &[String] {
        &self.tags
    }

    /// Adds or replaces a vector together with its tag.
    pub fn upsert_tagged(&mut self, id: &str, vector: &[f32], tag: &str) -> Result<(), IndexError> {
        self.check(vector)?;
        let mut v = vector.to_vec();
        normalize(&mut v);
        let words = self.words();
        let slot = match self.slots.get(id) {
            Some(&slot) => slot,
            None => {
                let slot = self.ids.len();
                self.ids.push(id.to_owned());
                self.tags.push(String::new());
                self.slots.insert(id.to_owned(), slot);
                self.data.resize(self.data.len() + self.dims, 0);
                self.bits.resize(self.bits.len() + words, 0);
                self.ids_dirty = true;
                slot
            }
        };
        let d = self.dims;
        let halves = &mut self.data[slot * d..(slot + 1) * d];
        halves.iter_mut().zip(&v).for_each(|(h, &x)| *h = to_normal_half(x));
        // A unit vector's components are at most 1, so every half is finite, and none is subnormal.
        sign_bits_of_halves(halves, &mut self.bits[slot * words..(slot + 1) * words]);
        if self.tags[slot] != tag {
            self.tags[slot] = tag.to_owned();
            self.ids_dirty = true;
        }
        self.dirty.insert(slot / CHUNK);
        Ok(())
    }

    /// Removes the vector stored under `id`, moving the last vector into its slot. Returns whether it was there.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(slot) = self.slots.remove(id) else { return false };
        let last = self.ids.len() - 1;
        let (d, w) = (self.dims, self.words());
        if slot != last {
            self.data.copy_within(last * d..(last + 1) * d, slot * d);
            self.bits.copy_within(last * w..(last + 1) * w, slot * w);
            let moved = self.ids[last].clone();
            self.slots.insert(moved.clone(), slot);
            self.ids[slot] = moved;
            self.tags.swap(slot, last);
            self.dirty.insert(slot / CHUNK);
        }
        self.ids.pop();
        self.tags.pop();
        self.data.truncate(last * d);
        self.bits.truncate(last * w);
        self.dirty.insert(last / CHUNK);
        self.ids_dirty = true;
        true
    }

    /// Removes every vector whose id satisfies `pred`; returns how many.
    pub fn remove_where(&mut self, pred: impl Fn(&str) -> bool) -> usize {
        let doomed: Vec<String> = self.ids.iter().filter(|id| pred(id)).cloned().collect();
        doomed.iter().filter(|id| self.remove(id)).count()
    }

    /// The stored (unit) vector of `id` as half-precision bits.
    pub fn halves(&self, id: &str) -> Option<&[u16]> {
        self.slots.get(id).map(|&slot| self.vector(slot))
    }

    /// The stored (unit) vector of `id`, its halves' values as f32 (a copy: the index holds none).
    pub fn get(&self, id: &str) -> Option<Vec<f32>> {
        Some(self.halves(id)?.iter().map(|&h| from_half(h)).collect())
    }

    /// The score of `id`'s vector for a query from [`VectorIndex::query`], as a search would give it.
    pub fn similarity(&self, query: &Query, id: &str) -> Option<f32> {
        if query.len() != self.dims {
            return None;
        }
        Some(dot_halves(query, self.halves(id)?))
    }

    /// Exact top-`k` by cosine similarity, best first, ties by id.
    pub fn search_exact(&self, query: &[f32], k: usize) -> Result<Vec<Hit>, IndexError> {
        self.exact_where(query, k, |_| true)
    }

    /// [`Self::search`] among the vectors whose id `keep` accepts (say, only other chats' messages), so that
    /// others cannot crowd them out of the `k`.
    pub fn search_where(&self, query: &[f32], k: usize, keep: impl Fn(&str) -> bool) -> Result<Vec<Hit>, IndexError> {
        if self.len() > BINARY_THRESHOLD {
            self.binary_where(query, k, binary_candidates(self.len(), k), keep)
        } else {
            self.exact_where(query, k, keep)
        }
    }

    fn exact_where(&self, query: &[f32], k: usize, keep: impl Fn(&str) -> bool) -> Result<Vec<Hit>, IndexError> {
        let q = self.query(query)?;
        let mut top = TopK::new(k.min(self.len()), &self.ids);
        for (slot, v) in self.data.chunks_exact(self.dims.max(1)).enumerate() {
            if keep(&self.ids[slot]) {
                top.offer(dot_halves(&q, v), slot);
            }
        }
        Ok(top.hits())
    }

    /// Top-`k` through the sign bits: the `candidates` vectors nearest in Hamming distance are re-scored
    /// exactly. Scores are exact; recall depends on the number of candidates (see [`binary_candidates`]).
    pub fn search_binary(&self, query: &[f32], k: usize, candidates: usize) -> Result<Vec<Hit>, IndexError> {
        self.binary_where(query, k, candidates, |_| true)
    }

    /// [`Self::search_binary`] among the vectors `keep` accepts: the `candidates` are the nearest of those.
    fn binary_where(
        &self,
        query: &[f32],
        k: usize,
        candidates: usize,
        keep: impl Fn(&str) -> bool,
    ) -> Result<Vec<Hit>, IndexError> {
        let n = self.len();
        let want = candidates.max(k).min(n);
        if want >= n {
            return self.exact_where(query, k, keep);
        }
        let q = self.query(query)?;
        let w = self.words();
        // Hamming distances are small integers: count them, find the cut that keeps `want`, then collect.
        let mut dist = Vec::with_capacity(n);
        let mut histogram = vec![0usize; self.dims + 1];
        // Vectors left out get a distance no cut reaches.
        for (slot, vbits) in self.bits.chunks_exact(w.max(1)).enumerate() {
            if !keep(&self.ids[slot]) {
                dist.push(u32::MAX);
                continue;
            }
            let d: u32 = vbits.iter().zip(&q.bits).map(|(a, b)| (a ^ b).count_ones()).sum();
            dist.push(d);
            histogram[d as usize] += 1;
        }
        let mut cut = 0;
        let mut kept = 0;
        while cut < histogram.len() && kept + histogram[cut] < want {
            kept += histogram[cut];
            cut += 1;
        }
        let mut top = TopK::new(k.min(n), &self.ids);
        let mut at_cut = want - kept;
        for (slot, &d) in dist.iter().enumerate() {
            let take = (d as usize) < cut || ((d as usize) == cut && at_cut > 0);
            if take {
                if d as usize == cut {
                    at_cut -= 1;
                }
                top.offer(dot_halves(&q, self.vector(slot)), slot);
            }
        }
        Ok(top.hits())
    }

    /// Top-`k`: exact for small indexes, binary first pass above [`BINARY_THRESHOLD`].
    pub fn search(&self, query: &[f32], k: usize) -> Result<Vec<Hit>, IndexError> {
        self.search_where(query, k, |_| true)
    }

    /// The unit vectors as half-precision bits, slot after slot.
    pub fn raw(&self) -> &[u16] {
        &self.data
    }

    /// What the index keeps in memory.
    pub fn resident(&self) -> Resident {
        use std::mem::size_of;
        let heap = |v: &[String]| v.iter().map(String::capacity).sum::<usize>();
        // The map is a hashbrown table: a power-of-two number of buckets with 7 in 8 usable, each bucket one
        // (key, slot) pair and one control byte.
        let buckets = if self.slots.capacity() == 0 { 0 } else { (self.slots.capacity() * 8 / 7).next_power_of_two() };
        Resident {
            halves: self.data.capacity() * size_of::<u16>(),
            sign_bits: self.bits.capacity() * size_of::<u64>(),
            ids: (self.ids.capacity() + self.tags.capacity()) * size_of::<String>()
                + heap(&self.ids)
                + heap(&self.tags)
                + buckets * (size_of::<(String, usize)>() + 1)
                + self.slots.keys().map(String::capacity).sum::<usize>(),
        }
    }

    pub fn chunk_count(&self) -> usize {
        self.len().div_ceil(CHUNK)
    }

    /// The vectors of storage chunk `i`, as half-precision bits.
    pub fn chunk(&self, i: usize) -> &[u16] {
        let start = (i * CHUNK * self.dims).min(self.data.len());
        let end = ((i + 1) * CHUNK * self.dims).min(self.data.len());
        &self.data[start..end]
    }

    /// What changed since the last call: the chunks to write (an index at or beyond
    /// [`VectorIndex::chunk_count`] means "delete that chunk"), and whether the id map (ids and tags) must be
    /// written.
    pub fn take_dirty(&mut self) -> (Vec<usize>, bool) {
        let chunks = std::mem::take(&mut self.dirty).into_iter().collect();
        (chunks, std::mem::replace(&mut self.ids_dirty, false))
    }

    /// An empty index takes the size of the vectors that arrive (from a model whose size was not known in
    /// advance); an index holding vectors keeps its own, so mismatched vectors are still refused.
    pub fn adopt_dims(&mut self, dims: usize) {
        if self.is_empty() && self.dims != dims {
            // Keeps the deletions of chunks the emptied index still has to make.
            *self = VectorIndex::replacing(self, dims);
        }
    }

    /// Whether anything changed since the last [`VectorIndex::take_dirty`].
    pub fn is_dirty(&self) -> bool {
        self.ids_dirty || !self.dirty.is_empty()
    }

    /// An empty index of `dims` vectors that takes `old`'s place in storage: its first save also deletes every
    /// chunk `old` had stored (for a model that started giving vectors of another size).
    pub fn replacing(old: &VectorIndex, dims: usize) -> VectorIndex {
        let mut index = VectorIndex::new(dims);
        index.dirty = old.dirty.clone();
        index.dirty.extend(0..old.chunk_count());
        index.ids_dirty = true;
        index
    }

    /// Marks everything as changed, so the next save writes the whole index, and with it `pending`: what a
    /// failed save was to write or delete (a deletion beyond the index must not be forgotten).
    pub fn mark_all_dirty(&mut self, pending: &[usize]) {
        self.dirty.extend(pending);
        self.dirty.extend(0..self.chunk_count());
        self.ids_dirty = true;
    }

    /// Rebuilds an index from its stored parts: the vectors as half-precision bits slot after slot (the chunks
    /// laid end to end, as [`VectorIndex::chunk`] gives them), the id map and the tags, through a [`Loader`].
    pub fn from_parts(
        dims: usize,
        ids: Vec<String>,
        tags: Vec<String>,
        halves: &[u16],
    ) -> Result<VectorIndex, IndexError> {
        let mut loader = VectorIndex::loader(dims, ids, tags)?;
        loader.push(halves)?;
        loader.finish()
    }

    /// Starts rebuilding an index from storage: its id map and tags (slot order; tags may be empty for an index
    /// stored without them) now, the vectors chunk by chunk as they arrive. Builds the id-to-slot map and
    /// reserves the memory for every vector, touching each of its pages once. The page faults of fresh memory
    /// (150-400 ms for 300 MB on this project's VM) are main-thread work wherever they happen; in one tight
    /// loop they cost less than spread through the copies (measured for the earlier f32 load: 250 ms against
    /// 600-1100 ms for 600 MB).
    pub fn loader(dims: usize, ids: Vec<String>, mut tags: Vec<String>) -> Result<Loader, IndexError> {
        if tags.is_empty() {
            tags = vec![String::new(); ids.len()];
        }
        if tags.len() != ids.len() {
            return Err(IndexError::Corrupt(format!("{} tags for {} ids", tags.len(), ids.len())));
        }
        let mut index = VectorIndex::new(dims);
        index.slots = ids.iter().enumerate().map(|(i, id)| (id.clone(), i)).collect();
        if index.slots.len() != ids.len() {
            return Err(IndexError::Corrupt("an id appears twice".into()));
        }
        let values = ids.len() * dims;
        let words = ids.len() * index.words();
        if index.data.try_reserve_exact(values).is_err() || index.bits.try_reserve_exact(words).is_err() {
            return Err(IndexError::TooLarge);
        }
        index.bits.resize(words, 0);
        for page in index.data.spare_capacity_mut().iter_mut().step_by(2048) {
            page.write(0);
        }
        index.ids = ids;
        index.tags = tags;
        Ok(Loader { index, values })
    }
}

/// An index being rebuilt from storage (see [`VectorIndex::loader`]): the stored halves go straight into its
/// memory, and each vector's sign bits are computed as it arrives. A vector with an infinity or NaN is damage;
/// one with a subnormal half (stored by an earlier build) is made normal (see
/// [`super::half::to_normal_half`]) and its chunk marked to be written again.
pub struct Loader {
    index: VectorIndex,
    /// How many halves the id map calls for.
    values: usize,
}

impl Loader {
    /// Appends `len` halves (whole vectors) that `write` puts into the memory it is handed, which must be
    /// what it returns (as `js_sys::Uint16Array::copy_to_uninit` does): one copy, straight from JavaScript.
    pub fn fill(
        &mut self,
        len: usize,
        write: impl FnOnce(&mut [MaybeUninit<u16>]) -> &mut [u16],
    ) -> Result<(), IndexError> {
        let start = self.check(len)?;
        let spare = &mut self.index.data.spare_capacity_mut()[..len];
        let at = spare.as_ptr() as *const u16;
        let written = write(spare);
        if written.as_ptr() != at || written.len() != len {
            return Err(IndexError::Corrupt("a chunk was not written where it belongs".into()));
        }
        // SAFETY: the `len` values after the old length are initialised: `write` returned them as a `[u16]`
        // at that very address and length.
        unsafe { self.index.data.set_len(start + len) };
        self.scan(start)
    }

    /// Appends whole vectors of halves (a copy).
    pub fn push(&mut self, halves: &[u16]) -> Result<(), IndexError> {
        let start = self.check(halves.len())?;
        self.index.data.extend_from_slice(halves);
        self.scan(start)
    }

    /// Whether `len` more halves are whole vectors the id map has room for; where they start.
    fn check(&self, len: usize) -> Result<usize, IndexError> {
        let start = self.index.data.len();
        if !len.is_multiple_of(self.index.dims.max(1)) || start + len > self.values {
            return Err(IndexError::Corrupt(format!("{} values for {} ids", start + len, self.index.len())));
        }
        Ok(start)
    }

    /// Sign bits of the vectors from value `start` on.
    fn scan(&mut self, start: usize) -> Result<(), IndexError> {
        let (d, w) = (self.index.dims.max(1), self.index.words());
        let first = start / d;
        let halves = &mut self.index.data[start..];
        for (i, v) in halves.chunks_exact_mut(d).enumerate() {
            let slot = first + i;
            let bits = &mut self.index.bits[slot * w..(slot + 1) * w];
            let scan = sign_bits_of_halves(v, bits);
            if !scan.finite {
                return Err(IndexError::Corrupt(format!("vector {slot} holds an infinity or NaN")));
            }
            if scan.subnormal {
                v.iter_mut().for_each(|h| *h = without_subnormal(*h));
                sign_bits_of_halves(v, bits);
                self.index.dirty.insert(slot / CHUNK);
            }
        }
        Ok(())
    }

    /// The index, once every vector has arrived.
    pub fn finish(self) -> Result<VectorIndex, IndexError> {
        if self.index.data.len() != self.values {
            let got = self.index.data.len();
            return Err(IndexError::Corrupt(format!("{got} values for {} ids", self.index.len())));
        }
        Ok(self.index)
    }
}

/// Deterministic synthetic data for tests and the benchmark: `clusters` centres, each vector a centre plus
/// noise of size `spread` (xorshift, so every run and target sees the same numbers). Vectors are made one at
/// a time, so a large set never has to exist twice in memory.
pub struct Clustered {
    state: u64,
    centres: Vec<Vec<f32>>,
    spread: f32,
    made: usize,
}

impl Clustered {
    pub fn new(dims: usize, clusters: usize, spread: f32, seed: u64) -> Clustered {
        let mut c = Clustered { state: seed | 1, centres: Vec::new(), spread, made: 0 };
        c.centres = (0..clusters.max(1)).map(|_| (0..dims).map(|_| c.uniform()).collect()).collect();
        c
    }

    /// A generator of the same clusters with a noise stream of its own (`seed`): points drawn independently
    /// of this one's, from the same distribution. The benchmark's independent queries come from one.
    pub fn resample(&self, seed: u64) -> Clustered {
        Clustered { state: seed | 1, centres: self.centres.clone(), spread: self.spread, made: 0 }
    }

    /// A pseudo-random number in -1..1.
    fn uniform(&mut self) -> f32 {
        let s = &mut self.state;
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        ((*s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    /// Writes the next vector into `out` (which must have the dimension's length).
    pub fn next_into(&mut self, out: &mut [f32]) {
        let c = self.made % self.centres.len();
        self.made += 1;
        for (i, x) in out.iter_mut().enumerate() {
            *x = self.centres[c][i] + self.spread * self.uniform();
        }
    }
}

/// `n` vectors from [`Clustered`].
pub fn clustered(n: usize, dims: usize, clusters: usize, spread: f32, seed: u64) -> Vec<Vec<f32>> {
    let mut g = Clustered::new(dims, clusters, spread, seed);
    (0..n)
        .map(|_| {
            let mut v = vec![0.0; dims];
            g.next_into(&mut v);
            v
        })
        .collect()
}

/// The plain f32 dot product in the order [`dot_halves`] documents (lane by lane, then the lanes paired), over
/// values already converted to f32: what the SIMD and portable kernels must equal bit for bit. Tests (native
/// and in Chromium) compare against it; nothing else calls it.
pub fn reference_dot(unit: &[f32], values: &[f32]) -> f32 {
    // Accumulator of value `r` of a block of 16, written out.
    const LANES: [usize; 16] = [0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15];
    let full = values.len() / 16 * 16;
    let mut acc = [0f32; 16];
    for i in 0..full {
        acc[LANES[i % 16]] += values[i] * unit[i];
    }
    let lane = |l: usize| (acc[l] + acc[4 + l]) + (acc[8 + l] + acc[12 + l]);
    let mut total = ((lane(0) + lane(1)) + lane(2)) + lane(3);
    for i in full..values.len() {
        total += values[i] * unit[i];
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The obvious implementation, to check the index against: the cosine of the query with each vector as
    /// the index holds it (see [`held`]), best first, ties by id.
    fn naive(vectors: &[(String, Vec<f32>)], query: &[f32], k: usize) -> Vec<(String, f32)> {
        let qn = query.iter().map(|x| x * x).sum::<f32>().sqrt();
        let mut scored: Vec<(String, f32)> = vectors
            .iter()
            .map(|(id, v)| {
                let s = if qn > 0.0 { v.iter().zip(query).map(|(a, b)| a * (b / qn)).sum::<f32>() } else { 0.0 };
                (id.clone(), s)
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        scored.truncate(k);
        scored
    }

    /// Vectors as the index holds them: scaled to unit length, then rounded to half precision.
    fn held(vectors: &[(String, Vec<f32>)]) -> Vec<(String, Vec<f32>)> {
        vectors
            .iter()
            .map(|(id, v)| {
                let mut v = v.clone();
                normalize(&mut v);
                v.iter_mut().for_each(|x| *x = from_half(to_normal_half(*x)));
                (id.clone(), v)
            })
            .collect()
    }

    fn build(vectors: &[(String, Vec<f32>)], dims: usize) -> VectorIndex {
        let mut index = VectorIndex::new(dims);
        for (id, v) in vectors {
            index.upsert(id, v).unwrap();
        }
        index
    }

    fn labelled(vs: Vec<Vec<f32>>) -> Vec<(String, Vec<f32>)> {
        vs.into_iter().enumerate().map(|(i, v)| (format!("v{i:05}"), v)).collect()
    }

    fn assert_same(got: &[Hit], want: &[(String, f32)]) {
        assert_eq!(got.len(), want.len());
        for (g, (wid, ws)) in got.iter().zip(want) {
            assert!((g.score - ws).abs() < 1e-4, "{} {} vs {} {}", g.id, g.score, wid, ws);
        }
        // Ids match wherever the reference scores are not within rounding of a neighbour.
        for (i, (g, (wid, _))) in got.iter().zip(want).enumerate() {
            let close = |j: usize| want.get(j).is_some_and(|(_, s)| (s - want[i].1).abs() < 1e-5);
            let tied = (i > 0 && close(i - 1)) || close(i + 1);
            if !tied {
                assert_eq!(&g.id, wid);
            }
        }
    }

    #[test]
    fn exact_search_matches_the_reference_on_random_and_clustered_data() {
        for (n, dims, clusters, spread) in [(200, 37, 200, 1.0), (500, 64, 8, 0.3), (1000, 128, 20, 0.1)] {
            let vs = labelled(clustered(n, dims, clusters, spread, n as u64 * 7 + dims as u64));
            let index = build(&vs, dims);
            for q in clustered(10, dims, 3, 0.5, 99) {
                for k in [1, 10, 50] {
                    assert_same(&index.search_exact(&q, k).unwrap(), &naive(&held(&vs), &q, k));
                }
            }
        }
    }

    #[test]
    fn a_filtered_search_ranks_only_what_it_keeps() {
        let vs = labelled(clustered(600, 48, 6, 0.3, 5));
        let index = build(&vs, 48);
        let keep = |id: &str| id.ends_with('3') || id.ends_with('7');
        let kept: Vec<(String, Vec<f32>)> = held(&vs).into_iter().filter(|(id, _)| keep(id)).collect();
        for q in clustered(8, 48, 2, 0.5, 17) {
            for k in [1, 10, 200] {
                let got = index.search_where(&q, k, keep).unwrap();
                assert!(got.iter().all(|h| keep(&h.id)));
                assert_same(&got, &naive(&kept, &q, k));
            }
        }
        assert!(index.search_where(&[1.0; 48], 5, |_| false).unwrap().is_empty());
        // The binary first pass picks its candidates among the kept vectors only: with as many candidates as
        // kept vectors it is exact, and with fewer every hit is still a kept one.
        let q = &clustered(1, 48, 1, 0.5, 23)[0];
        assert_same(&index.binary_where(q, 10, kept.len(), keep).unwrap(), &naive(&kept, q, 10));
        let few = index.binary_where(q, 10, 40, keep).unwrap();
        assert_eq!(few.len(), 10);
        assert!(few.iter().all(|h| keep(&h.id)));
        assert!(index.binary_where(q, 10, 40, |_| false).unwrap().is_empty());
        assert!(matches!(index.search_where(&[1.0; 3], 5, |_| true), Err(IndexError::DimensionMismatch { .. })));
    }

    #[test]
    fn vectors_are_held_at_half_precision_within_its_rounding() {
        let vs = labelled(clustered(50, 1536, 5, 0.5, 9));
        let index = build(&vs, 1536);
        for (id, v) in &vs {
            let mut unit = v.clone();
            normalize(&mut unit);
            let got = index.get(id).unwrap();
            for (g, u) in got.iter().zip(&unit) {
                // Half precision keeps 11 significant bits; below 2^-14 a value becomes 0 or 2^-14.
                assert!((g - u).abs() <= u.abs() * 2f32.powi(-11) + 2f32.powi(-15), "{g} vs {u}");
                assert_eq!(from_half(to_normal_half(*g)), *g);
            }
            let self_score = index.search_exact(v, 1).unwrap()[0].score;
            assert!((self_score - 1.0).abs() < 1e-4, "{self_score}");
        }
    }

    /// An f32 search over the same half-precision values: every half converted to f32 up front (the copy the
    /// index does without), each vector scored with [`reference_dot`], all sorted best first, ties by id.
    fn reference_search(index: &VectorIndex, query: &[f32], k: usize) -> Vec<(String, u32)> {
        let values: Vec<f32> = index.raw().iter().map(|&h| crate::core::retrieval::half::from_half(h)).collect();
        let mut unit = query.to_vec();
        normalize(&mut unit);
        let mut scored: Vec<(String, f32)> = values
            .chunks_exact(index.dims())
            .zip(index.ids())
            .map(|(v, id)| (id.clone(), reference_dot(&unit, v)))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        scored.into_iter().take(k).map(|(id, s)| (id, s.to_bits())).collect()
    }

    fn bits_of(hits: &[Hit]) -> Vec<(String, u32)> {
        hits.iter().map(|h| (h.id.clone(), h.score.to_bits())).collect()
    }

    #[test]
    fn search_equals_an_f32_search_over_the_same_halves_bit_for_bit() {
        for (n, dims) in [(300, 1536), (500, 37), (400, 16), (200, 5), (50, 64)] {
            let vs = labelled(clustered(n, dims, 7, 0.5, n as u64 + dims as u64));
            let index = build(&vs, dims);
            for q in clustered(6, dims, 3, 0.8, 31) {
                for k in [1, 10, n] {
                    assert_eq!(bits_of(&index.search_exact(&q, k).unwrap()), reference_search(&index, &q, k));
                }
                // The binary pass re-scores with the same arithmetic: every hit carries the reference's score.
                let all = reference_search(&index, &q, n);
                for hit in bits_of(&index.search_binary(&q, 10, n / 3).unwrap()) {
                    assert!(all.contains(&hit), "{hit:?}");
                }
                let prepared = index.query(&q).unwrap();
                for (id, score) in all.iter().take(5) {
                    assert_eq!(index.similarity(&prepared, id).map(f32::to_bits), Some(*score));
                }
            }
        }
    }

    #[test]
    fn every_finite_half_converts_exactly_in_the_product() {
        use crate::core::retrieval::half::from_half;
        let finite: Vec<u16> = (0..=u16::MAX).filter(|h| h & 0x7c00 != 0x7c00).collect();
        // Query values of every kind: one, small, subnormal, negative, zero.
        for q in [1.0f32, -0.7, 0.031_25, 1.5e-5, -3e-39, 0.0, -0.0] {
            for &h in &finite {
                assert_eq!((scaled_half(h) * (q * SCALE)).to_bits(), (from_half(h) * q).to_bits(), "{h:#06x} × {q:e}");
            }
        }
        // A vector of every finite half (not a unit vector: the arithmetic does not care) and a query of mixed
        // values, through the portable and the dispatched kernels and the reference.
        let q: Vec<f32> = (0..finite.len()).map(|i| ((i * 7919 % 1000) as f32 - 500.0) * 1e-4).collect();
        let values: Vec<f32> = finite.iter().map(|&h| from_half(h)).collect();
        let want = reference_dot(&q, &values).to_bits();
        let prepared = Query::from_unit(&q);
        assert_eq!(dot_halves_portable(&prepared, &finite).to_bits(), want);
        assert_eq!(dot_halves(&prepared, &finite).to_bits(), want);
    }

    #[test]
    fn sign_bits_of_halves_match_those_of_their_values() {
        use crate::core::retrieval::half::from_half;
        let all: Vec<u16> = (0..=u16::MAX).collect();
        for len in [0, 3, 64, 100, 1536] {
            for start in [0, 1000, 1020, 31_000, 32_700, 40_000, 63_000] {
                let h = &all[start..start + len];
                let values: Vec<f32> = h.iter().map(|&x| from_half(x)).collect();
                let (mut want, mut got) = (vec![0u64; len.div_ceil(64)], vec![u64::MAX; len.div_ceil(64)]);
                sign_bits_portable(&values, &mut want);
                let scan = sign_bits_of_halves(h, &mut got);
                assert_eq!(scan.finite, values.iter().all(|v| v.is_finite()), "{start} {len}");
                let subnormal = values.iter().any(|v| *v != 0.0 && v.abs() < 2f32.powi(-14));
                assert_eq!(scan.subnormal, subnormal, "{start} {len}");
                // A NaN's bit says nothing; the index holds none.
                assert!(!scan.finite || got == want, "{start} {len}");
                assert_eq!(sign_bits_of_halves_portable(h, &mut got), scan);
                assert!(!scan.finite || got == want);
            }
        }
        assert_eq!(sequential_read(&[1, 2, u16::MAX]), 2);
    }

    #[test]
    fn ties_k_beyond_n_empty_and_zero_vectors() {
        let mut index = VectorIndex::new(3);
        assert!(index.search_exact(&[1.0, 0.0, 0.0], 5).unwrap().is_empty());
        for id in ["c", "a", "b"] {
            index.upsert(id, &[1.0, 1.0, 0.0]).unwrap();
        }
        index.upsert("zero", &[0.0, 0.0, 0.0]).unwrap();
        let hits = index.search_exact(&[2.0, 2.0, 0.0], 10).unwrap();
        let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c", "zero"], "ties by id, k beyond n returns all");
        // 1/√2 rounded to half precision is 0.70703, so the cosine of a vector with itself is 0.9999.
        assert!((hits[0].score - 1.0).abs() < 2e-4, "{}", hits[0].score);
        assert_eq!(hits[3].score, 0.0);
        // A zero query scores everything 0 rather than NaN.
        assert!(index.search_exact(&[0.0, 0.0, 0.0], 2).unwrap().iter().all(|h| h.score == 0.0));
        assert_eq!(index.search_exact(&[1.0, 0.0, 0.0], 0).unwrap(), vec![]);
    }

    #[test]
    fn mismatched_dimensions_are_an_error_not_a_panic() {
        let mut index = VectorIndex::new(4);
        let e = index.upsert("x", &[1.0, 2.0]).unwrap_err();
        assert_eq!(e, IndexError::DimensionMismatch { expected: 4, got: 2 });
        assert!(e.to_string().contains("re-embed"));
        assert!(index.search_exact(&[1.0; 5], 1).is_err());
        assert!(index.search_binary(&[1.0; 3], 1, 4).is_err());
    }

    #[test]
    fn upsert_replaces_and_remove_leaves_nothing_behind() {
        let vs = labelled(clustered(2500, 16, 10, 0.5, 3));
        let mut index = build(&vs, 16);
        index.upsert("v00001", &vs[2].1).unwrap();
        assert_eq!(index.len(), 2500);
        let hits = index.search_exact(&vs[2].1, 2).unwrap();
        assert!(hits.iter().any(|h| h.id == "v00001"));
        // Remove every other vector, then all of them; the rest must still search correctly.
        let mut kept = Vec::new();
        for (i, (id, v)) in vs.iter().enumerate() {
            if i % 2 == 0 {
                assert!(index.remove(id));
            } else {
                kept.push((id.clone(), if id == "v00001" { vs[2].1.clone() } else { v.clone() }));
            }
        }
        assert!(!index.remove("v00000"));
        assert_eq!(index.len(), kept.len());
        let q = &vs[7].1;
        assert_same(&index.search_exact(q, 20).unwrap(), &naive(&held(&kept), q, 20));
        assert_eq!(index.remove_where(|id| id.ends_with('1')), kept.iter().filter(|(id, _)| id.ends_with('1')).count());
        let left = index.len();
        assert_eq!(index.remove_where(|_| true), left);
        assert!(index.is_empty());
        assert!(index.raw().is_empty() && index.bits.is_empty() && index.slots.is_empty());
    }

    #[test]
    fn only_touched_chunks_are_dirty() {
        let vs = labelled(clustered(CHUNK * 3 + 5, 8, 4, 0.5, 11));
        let mut index = build(&vs, 8);
        assert_eq!(index.chunk_count(), 4);
        let (chunks, ids) = index.take_dirty();
        assert_eq!((chunks, ids), (vec![0, 1, 2, 3], true));
        index.upsert("v00010", &vs[11].1).unwrap();
        assert_eq!(index.take_dirty(), (vec![0], false), "replacing touches one chunk, not the id map");
        index.upsert("new", &vs[0].1).unwrap();
        assert_eq!(index.take_dirty(), (vec![3], true));
        index.remove("v00020");
        assert_eq!(index.take_dirty(), (vec![0, 3], true), "a removal touches its chunk and the last one");
    }

    #[test]
    fn stored_parts_round_trip_and_damage_is_detected() {
        let vs = labelled(clustered(CHUNK + 10, 12, 4, 0.5, 13));
        let index = build(&vs, 12);
        let data: Vec<u16> = (0..index.chunk_count()).flat_map(|i| index.chunk(i).to_vec()).collect();
        let back = VectorIndex::from_parts(12, index.ids().to_vec(), index.tags().to_vec(), &data).unwrap();
        assert_eq!(back.raw(), index.raw());
        assert_eq!(back.bits, index.bits);
        let q = &vs[3].1;
        assert_eq!(back.search_exact(q, 5).unwrap(), index.search_exact(q, 5).unwrap());
        let mut short = data.clone();
        short.pop();
        assert!(matches!(
            VectorIndex::from_parts(12, index.ids().to_vec(), vec![], &short),
            Err(IndexError::Corrupt(_))
        ));
        let mut dup = index.ids().to_vec();
        dup[1] = dup[0].clone();
        assert!(VectorIndex::from_parts(12, dup, vec![], &data).is_err());
        assert!(VectorIndex::from_parts(12, index.ids().to_vec(), vec!["x".into()], &data).is_err());
        // A loader takes the chunks as they arrive, each written straight into its memory.
        let mut loader = VectorIndex::loader(12, index.ids().to_vec(), index.tags().to_vec()).unwrap();
        for i in 0..index.chunk_count() {
            let chunk = index.chunk(i);
            loader.fill(chunk.len(), |spare| copy_into(chunk, spare)).unwrap();
        }
        assert_eq!(loader.finish().unwrap(), back);
        // It refuses what does not fit the id map: a partial vector, too many, too few, and memory it was not
        // handed.
        let mut loader = VectorIndex::loader(12, index.ids().to_vec(), vec![]).unwrap();
        assert!(loader.push(&data[..11]).is_err());
        assert!(loader.fill(24, |_| Vec::leak(vec![0u16; 24])).is_err());
        loader.push(&data).unwrap();
        assert!(loader.push(&data[..12]).is_err());
        let mut short = VectorIndex::loader(12, index.ids().to_vec(), vec![]).unwrap();
        short.push(&data[..12 * CHUNK]).unwrap();
        assert!(matches!(short.finish(), Err(IndexError::Corrupt(_))));
        // A subnormal half (which an earlier build stored) is made normal and its chunk rewritten.
        let mut old = data.clone();
        let at = 12 * (CHUNK + 3) + 7;
        (old[at], old[at + 1]) = (0x0200, 0x8201);
        let mut fixed = VectorIndex::from_parts(12, index.ids().to_vec(), vec![], &old).unwrap();
        assert_eq!((fixed.raw()[at], fixed.raw()[at + 1]), (0, 0x8400));
        assert_eq!(fixed.take_dirty(), (vec![1], false));
        assert_eq!(fixed.raw()[..at], index.raw()[..at]);
        assert!(index.raw().iter().all(|h| h & 0x7c00 != 0 || h & 0x3ff == 0), "upsert makes no subnormal");
        // An infinity or NaN cannot come from a unit vector: damage.
        for bad in [0x7c00, 0xfc00, 0x7e00] {
            let mut damaged = data.clone();
            damaged[12 * 5 + 3] = bad;
            assert!(matches!(
                VectorIndex::from_parts(12, index.ids().to_vec(), vec![], &damaged),
                Err(IndexError::Corrupt(_))
            ));
        }
    }

    /// Writes `from` into `spare` and hands back the written part, as `Uint16Array::copy_to_uninit` does.
    fn copy_into<'a>(from: &[u16], spare: &'a mut [MaybeUninit<u16>]) -> &'a mut [u16] {
        for (d, s) in spare.iter_mut().zip(from) {
            d.write(*s);
        }
        // SAFETY: every element was just written.
        unsafe { &mut *(spare as *mut [MaybeUninit<u16>] as *mut [u16]) }
    }

    #[test]
    fn a_replacing_index_deletes_every_chunk_of_the_old_one() {
        let vs = labelled(clustered(CHUNK * 2 + 1, 4, 2, 0.5, 1));
        let mut old = build(&vs, 4);
        old.take_dirty();
        old.remove("v00000");
        let mut new = VectorIndex::replacing(&old, 3);
        new.upsert("a", &[1.0, 0.0, 0.0]).unwrap();
        assert_eq!(new.dims(), 3);
        // Chunk 0 is rewritten; chunks 1 and 2 (2 was pending deletion already) are beyond the new index.
        assert_eq!(new.take_dirty(), (vec![0, 1, 2], true));
    }

    #[test]
    fn a_failed_save_forgets_no_deletion() {
        let vs = labelled(clustered(CHUNK + 1, 4, 2, 0.5, 2));
        let mut index = build(&vs, 4);
        index.take_dirty();
        index.remove("v00000");
        let (chunks, _) = index.take_dirty();
        assert_eq!(chunks, [0, 1]);
        // The save of chunks 0 and 1 (1 being a deletion) failed.
        index.mark_all_dirty(&chunks);
        assert_eq!(index.take_dirty(), (vec![0, 1], true));
        // An emptied index that adopts another size still deletes its old chunks.
        let mut emptied = build(&vs[..3], 4);
        emptied.take_dirty();
        emptied.remove_where(|_| true);
        emptied.adopt_dims(2);
        assert_eq!(emptied.dims(), 2);
        assert_eq!(emptied.take_dirty(), (vec![0], true));
    }

    #[test]
    fn only_an_empty_index_adopts_a_new_size() {
        let mut index = VectorIndex::new(0);
        index.adopt_dims(3);
        index.upsert("a", &[1.0, 0.0, 0.0]).unwrap();
        index.adopt_dims(5);
        assert_eq!(index.dims(), 3);
        assert!(index.upsert("b", &[1.0; 5]).is_err());
    }

    #[test]
    fn tags_follow_their_vectors_through_replacement_and_removal() {
        let mut index = VectorIndex::new(2);
        index.upsert_tagged("a", &[1.0, 0.0], "fa").unwrap();
        index.upsert_tagged("b", &[0.0, 1.0], "fb").unwrap();
        index.upsert_tagged("c", &[1.0, 1.0], "fc").unwrap();
        index.take_dirty();
        index.upsert_tagged("a", &[1.0, 0.0], "fa2").unwrap();
        assert_eq!(index.take_dirty(), (vec![0], true), "a new tag rewrites the id map");
        index.remove("a");
        assert_eq!(index.tag("c"), Some("fc"), "the moved vector keeps its tag");
        assert_eq!(index.tag("b"), Some("fb"));
        assert_eq!(index.tag("a"), None);
        assert_eq!(index.tags().len(), 2);
    }

    /// Queries near stored vectors, as real questions are near some caption or message.
    fn queries_near(vs: &[Vec<f32>], count: usize, noise: f32, seed: u64) -> Vec<Vec<f32>> {
        let jitter = clustered(count, vs[0].len(), count, 1.0, seed);
        (0..count)
            .map(|i| vs[(i * 7919) % vs.len()].iter().zip(&jitter[i]).map(|(a, j)| a + noise * j).collect())
            .collect()
    }

    #[test]
    fn binary_pass_finds_what_exact_search_finds() {
        let dims = 256;
        let raw = clustered(6000, dims, 60, 0.6, 21);
        let vs = labelled(raw.clone());
        let index = build(&vs, dims);
        let mut found = 0;
        let queries = queries_near(&raw, 40, 0.3, 77);
        for q in &queries {
            let exact = index.search_exact(q, 10).unwrap();
            let fast = index.search_binary(q, 10, binary_candidates(index.len(), 10)).unwrap();
            assert_eq!(fast.len(), 10);
            // Re-scored results carry exact scores and come best first.
            assert!(fast.windows(2).all(|w| w[0].score >= w[1].score));
            found += fast.iter().filter(|h| exact.iter().any(|e| e.id == h.id)).count();
        }
        let recall = found as f32 / (10 * queries.len()) as f32;
        assert!(recall >= 0.95, "recall@10 {recall}");
        // Asking for everything falls back to exact.
        let q = &queries[0];
        assert_eq!(index.search_binary(q, 6000, 20).unwrap(), index.search_exact(q, 6000).unwrap());
        assert_eq!(binary_candidates(100_000, 10), 1000);
        assert_eq!(binary_candidates(1_000, 10), 160);
    }
}
