//! Statistics for evaluation reports: means and latency percentiles, bootstrap confidence intervals for a
//! mean and for the ratio of two configurations' means over the same cases, and Cohen's kappa for how often
//! two raters (a judge model and a person, or two judges) agree.
//!
//! Everything is deterministic: the bootstrap draws from [`SplitMix64`], a small seeded generator, so the same
//! inputs and seed give the same interval on every machine and in every browser. Intervals are percentile
//! bootstrap intervals over cases: the cases are resampled with replacement, which assumes they are
//! independent; nothing here corrects for several comparisons being made at once, and nothing tests
//! hypotheses beyond saying whether an interval includes a value.
//!
//! No function panics. Inputs are read as follows, everywhere:
//! - Values that are not finite (NaN, infinities) are missing values and are left out: a case whose metric
//!   could not be computed does not count. In paired inputs, a pair is left out if either side is missing.
//! - Where no value is left, or a parameter is out of range, the answer is `None` rather than a made-up
//!   number.
//!
//! Cost: a bootstrap interval over `n` cases with `B` resamples takes `O(B·n)` time for the draws plus
//! `O(B log B)` to sort the resampled statistics, and `O(B)` memory. A report of 4 configurations × 10 metrics
//! × 200 cases at the default 2,000 resamples draws 40 × 400,000 = 16 million indices: about 0.1 s in an
//! optimised native build on a shared two-core machine, 0.6 s unoptimised. Metrics over the same cases can share
//! their draws ([`bootstrap_cis`]), which leaves one draw per case and resample whatever the number of metrics.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::Hash;

/// The number of bootstrap resamples reports use unless told otherwise. Efron and Tibshirani (1993) ask for
/// 1,000 or more for percentile intervals; with 2,000, the resampling noise in each end of a 95% interval is
/// about 1.5% of the interval's width (one standard deviation, for a normally distributed mean).
pub const DEFAULT_RESAMPLES: usize = 2_000;
/// The confidence level reports use unless told otherwise.
pub const DEFAULT_CONFIDENCE: f64 = 0.95;

/// SplitMix64 (Steele, Lea and Flood 2014; Vigna's public-domain `splitmix64.c`): a 64-bit state advanced by
/// a fixed odd constant and scrambled on the way out. It is small, fast and passes BigCrush, which is plenty
/// for resampling; it is not for secrets.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose whole sequence is fixed by `seed`; every seed is valid, zero included.
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number uniform in `[0, 1)`, from the top 53 bits (every multiple of 2^-53 equally likely).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// An index uniform in `0..n`, without the bias of a plain remainder (Lemire's multiply-and-reject
    /// method, which almost never rejects). For `n == 0`, where no index exists, it returns 0 and draws
    /// nothing.
    pub fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        if n == 0 {
            return 0;
        }
        let mut product = u128::from(self.next_u64()) * u128::from(n);
        if (product as u64) < n {
            // The low half falls in the few values that would favour some indices: redraw those.
            let threshold = n.wrapping_neg() % n;
            while (product as u64) < threshold {
                product = u128::from(self.next_u64()) * u128::from(n);
            }
        }
        (product >> 64) as usize
    }
}

/// A confidence interval, `low <= high`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

impl Interval {
    /// Whether `x` lies in the interval, ends included.
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }

    pub fn width(&self) -> f64 {
        self.high - self.low
    }
}

/// The finite values, in order.
fn finite(values: &[f64]) -> Vec<f64> {
    values.iter().copied().filter(|v| v.is_finite()).collect()
}

/// The arithmetic mean of the finite values, or `None` if there are none. A sum beyond `f64::MAX` makes it
/// infinite rather than panicking; metric scores, latencies and costs are nowhere near.
pub fn mean(values: &[f64]) -> Option<f64> {
    let values = finite(values);
    if values.is_empty() {
        return None;
    }
    Some(values.iter().sum::<f64>() / values.len() as f64)
}

/// The `q`-quantile (`0 <= q <= 1`) of sorted, finite, non-empty values by linear interpolation between the
/// two nearest ranks, with NumPy's formula so that an end of a segment is reproduced exactly.
fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let last = sorted.len().saturating_sub(1);
    let position = q * last as f64;
    let below = (position.floor() as usize).min(last);
    let above = (below + 1).min(last);
    let (a, b) = (sorted[below], sorted[above]);
    let t = position - below as f64;
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// Sorts finite values in increasing order.
fn sort(values: &mut [f64]) {
    values.sort_unstable_by(f64::total_cmp);
}

/// The `p`-th percentile (`0 <= p <= 100`, so 50 for the median and 95 for a latency's p95) of the finite
/// values, or `None` if there are none or `p` is outside `[0, 100]` or NaN.
///
/// The method is linear interpolation between the closest ranks, NumPy's default (`method="linear"`, type 7
/// of Hyndman and Fan 1996, also R's and Excel's `PERCENTILE.INC`): with the `n` values sorted, the result
/// lies at the 0-based rank `(n - 1)·p/100`, between the values on either side. The 0th percentile is the
/// minimum, the 100th the maximum, and a single value is every percentile of itself.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if !(0.0..=100.0).contains(&p) {
        return None;
    }
    let mut values = finite(values);
    if values.is_empty() {
        return None;
    }
    sort(&mut values);
    Some(quantile_sorted(&values, p / 100.0))
}

/// The percentile interval of bootstrap statistics: the `(1 - confidence)/2` and `(1 + confidence)/2`
/// quantiles. `stats` must be finite and non-empty; it is sorted in place.
fn percentile_interval(stats: &mut [f64], confidence: f64) -> Interval {
    sort(stats);
    let tail = (1.0 - confidence) / 2.0;
    Interval { low: quantile_sorted(stats, tail), high: quantile_sorted(stats, 1.0 - tail) }
}

/// Whether the bootstrap's parameters make sense: at least one resample, and a confidence strictly between
/// 0 and 1.
fn valid(resamples: usize, confidence: f64) -> bool {
    resamples > 0 && confidence > 0.0 && confidence < 1.0
}

/// A percentile-bootstrap confidence interval for the mean of `values` (one value per case): `resamples`
/// times, `n` values are drawn with replacement from the `n` finite ones and averaged, and the interval runs
/// between the `(1 - confidence)/2` and `(1 + confidence)/2` quantiles of those means (see [`percentile`] for
/// the quantile method). With `confidence` 0.95 this is the usual 95% interval.
///
/// Returns `None` when no value is finite, `resamples` is 0, or `confidence` is not strictly between 0 and 1.
/// The result depends only on the finite values, their order, `resamples`, `confidence` and `seed`. The same
/// seed draws the same case indices for inputs of the same length, so several metrics' intervals over the
/// same cases come from the same resamples. Cost: `O(resamples · n)` draws plus a sort of `resamples` means.
pub fn bootstrap_ci(values: &[f64], resamples: usize, confidence: f64, seed: u64) -> Option<Interval> {
    let values = finite(values);
    if values.is_empty() || !valid(resamples, confidence) {
        return None;
    }
    let n = values.len();
    let mut rng = SplitMix64::new(seed);
    let mut means: Vec<f64> =
        (0..resamples).map(|_| (0..n).map(|_| values[rng.below(n)]).sum::<f64>() / n as f64).collect();
    Some(percentile_interval(&mut means, confidence))
}

/// [`bootstrap_ci`] of several metrics over the same cases at once: `columns[k][i]` is metric `k` of case `i`.
/// The case indices are drawn once for all the columns that share them, which is every column as long as
/// the first one and with no missing value: each of those intervals is exactly, to the bit, the
/// `bootstrap_ci(columns[k], resamples, confidence, seed)` it stands for (the same seed draws the same
/// indices), at the cost of one column's draws plus an addition per column and draw. Any other column gets
/// its own [`bootstrap_ci`]. One interval per column, in order; all `None` when the parameters are out of
/// range. Cost: `O(resamples · n · columns)` additions, `O(resamples · n)` draws, a sort per column.
pub fn bootstrap_cis(columns: &[&[f64]], resamples: usize, confidence: f64, seed: u64) -> Vec<Option<Interval>> {
    let n = columns.first().map_or(0, |c| c.len());
    let shares = |c: &[f64]| n > 0 && c.len() == n && c.iter().all(|v| v.is_finite());
    let mut intervals: Vec<Option<Interval>> =
        columns.iter().map(|c| if shares(c) { None } else { bootstrap_ci(c, resamples, confidence, seed) }).collect();
    let shared: Vec<&[f64]> = columns.iter().copied().filter(|c| shares(c)).collect();
    if shared.is_empty() || !valid(resamples, confidence) {
        return intervals;
    }
    let mut rng = SplitMix64::new(seed);
    let mut means: Vec<Vec<f64>> = vec![Vec::with_capacity(resamples); shared.len()];
    let mut sums = vec![0.0; shared.len()];
    for _ in 0..resamples {
        // The neutral element of `f64`'s `Sum`, so that each sum is the one `bootstrap_ci` takes.
        sums.fill(-0.0);
        for _ in 0..n {
            let i = rng.below(n);
            for (sum, column) in sums.iter_mut().zip(&shared) {
                *sum += column[i];
            }
        }
        for (m, sum) in means.iter_mut().zip(&sums) {
            m.push(sum / n as f64);
        }
    }
    let mut shared_intervals = means.iter_mut().map(|m| percentile_interval(m, confidence));
    for (interval, column) in intervals.iter_mut().zip(columns) {
        if shares(column) {
            *interval = shared_intervals.next();
        }
    }
    intervals
}

/// The ratio of two configurations' means over the same cases, with its bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RatioEstimate {
    /// `mean(a) / mean(b)` over the cases both have.
    pub ratio: f64,
    pub interval: Interval,
    /// How many resamples gave a ratio: those whose `b` values summed to 0 have none and are left out. Far
    /// fewer than asked means `b` is mostly zero and the interval is not to be trusted.
    pub resamples_used: usize,
}

impl RatioEstimate {
    /// Whether the interval includes 1, that is whether the data are consistent with the two means being
    /// equal: a report says "no detectable difference" then, rather than that one configuration is better.
    pub fn includes_one(&self) -> bool {
        self.interval.contains(1.0)
    }
}

/// The ratio `mean(a) / mean(b)` of two configurations' values on the same cases (`a[i]` and `b[i]` belong
/// to case `i`), with a paired percentile-bootstrap interval: each resample draws case indices with
/// replacement and takes both configurations' values of the same cases, so that what the cases share (some
/// are hard for everyone) does not widen the interval. A ratio of 1.2 reads "a is 20% higher than b".
///
/// It is meant for positive quantities (scores, latencies, costs, tokens). Pairs with a value that is not
/// finite are left out. Returns `None` when `a` and `b` differ in length, no pair is left, `mean(b)` is 0
/// (the ratio is undefined), no resample has a non-zero `b` sum, `resamples` is 0, or `confidence` is not
/// strictly between 0 and 1. Resamples whose `b` values sum to 0 are skipped and counted in
/// [`RatioEstimate::resamples_used`]. Cost: `O(resamples · n)` draws plus a sort of the ratios.
pub fn paired_ratio_ci(a: &[f64], b: &[f64], resamples: usize, confidence: f64, seed: u64) -> Option<RatioEstimate> {
    if a.len() != b.len() || !valid(resamples, confidence) {
        return None;
    }
    let pairs: Vec<(f64, f64)> =
        a.iter().zip(b).map(|(&x, &y)| (x, y)).filter(|(x, y)| x.is_finite() && y.is_finite()).collect();
    if pairs.is_empty() {
        return None;
    }
    // Both means have the same number of cases, so their ratio is the ratio of the sums.
    let sum_a: f64 = pairs.iter().map(|p| p.0).sum();
    let sum_b: f64 = pairs.iter().map(|p| p.1).sum();
    let ratio = sum_a / sum_b;
    if sum_b == 0.0 || !ratio.is_finite() {
        return None;
    }
    let n = pairs.len();
    let mut rng = SplitMix64::new(seed);
    let mut ratios = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        let (mut resampled_a, mut resampled_b) = (0.0, 0.0);
        for _ in 0..n {
            let (x, y) = pairs[rng.below(n)];
            resampled_a += x;
            resampled_b += y;
        }
        let r = resampled_a / resampled_b;
        if resampled_b != 0.0 && r.is_finite() {
            ratios.push(r);
        }
    }
    if ratios.is_empty() {
        return None;
    }
    let resamples_used = ratios.len();
    let interval = percentile_interval(&mut ratios, confidence);
    Some(RatioEstimate { ratio, interval, resamples_used })
}

/// How far two raters agree on the same items.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// The number of items both rated.
    pub n: usize,
    /// The share of items given the same label, in `[0, 1]`.
    pub observed: f64,
    /// Cohen's kappa: agreement beyond what the raters' label frequencies would give by chance, 1 for
    /// perfect agreement, 0 for chance level, negative below it. `None` when chance agreement is already
    /// certain, which happens exactly when both raters gave every item one and the same label: kappa is 0/0
    /// there, and `observed` (then 1) is all there is to say.
    pub kappa: Option<f64>,
}

/// Cohen's kappa (Cohen 1960) and the observed agreement of two raters, from one `(first rater's label,
/// second rater's label)` pair per item. Labels are anything comparable and hashable: verdict strings,
/// enums, or `usize` categories; a label only one rater used counts too.
///
/// With `p_o` the observed share of agreement and `p_e = Σ_k p_first(k)·p_second(k)` the agreement expected
/// from each rater's label frequencies alone, `κ = (p_o - p_e) / (1 - p_e)`. It is computed from integer
/// counts, `κ = (n·agreements - Σ_k c_first(k)·c_second(k)) / (n² - Σ_k c_first(k)·c_second(k))`, so the
/// undefined case is detected exactly. Returns `None` for no items. Time and memory are linear in the number
/// of items.
pub fn cohen_kappa<T: Eq + Hash>(pairs: &[(T, T)]) -> Option<Agreement> {
    let n = pairs.len();
    if n == 0 {
        return None;
    }
    let mut first: HashMap<&T, u128> = HashMap::new();
    let mut second: HashMap<&T, u128> = HashMap::new();
    let mut agreements: u128 = 0;
    for (x, y) in pairs {
        *first.entry(x).or_insert(0) += 1;
        *second.entry(y).or_insert(0) += 1;
        if x == y {
            agreements += 1;
        }
    }
    let n_wide = n as u128;
    let chance: u128 = first.iter().map(|(label, &c)| c * second.get(label).copied().unwrap_or(0)).sum();
    // Every product is at most n² < 2^128, and the chance term at most n², so the denominator is never
    // negative; the numerator's sign is handled apart so that nothing can overflow.
    let observed_term = n_wide * agreements;
    let numerator =
        if observed_term >= chance { (observed_term - chance) as f64 } else { -((chance - observed_term) as f64) };
    let denominator = n_wide * n_wide - chance;
    let kappa = (denominator != 0).then(|| numerator / denominator as f64);
    Some(Agreement { n, observed: agreements as f64 / n as f64, kappa })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, tolerance: f64) {
        assert!((actual - expected).abs() <= tolerance, "got {actual}, expected {expected} ± {tolerance}");
    }

    /// `n` samples of the uniform distribution on [0, 1), whose mean is 1/2 and standard deviation 1/√12.
    fn uniform(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = SplitMix64::new(seed);
        (0..n).map(|_| rng.next_f64()).collect()
    }

    #[test]
    fn splitmix64_gives_the_reference_sequence() {
        // Rosetta Code, "Pseudo-random numbers/Splitmix64": the first five outputs for seed 1234567, which
        // agree with Vigna's splitmix64.c.
        let mut rng = SplitMix64::new(1234567);
        let expected =
            [6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821];
        for value in expected {
            assert_eq!(rng.next_u64(), value);
        }
        // The same page: 100,000 floats from seed 987654321 fall into fifths as 20027, 19892, 20073, 19978,
        // 20030 (with the same 53-bit conversion).
        let mut rng = SplitMix64::new(987654321);
        let mut fifths = [0; 5];
        for _ in 0..100_000 {
            fifths[(rng.next_f64() * 5.0) as usize] += 1;
        }
        assert_eq!(fifths, [20027, 19892, 20073, 19978, 20030]);
    }

    #[test]
    fn below_is_in_range_and_even() {
        let mut rng = SplitMix64::new(3);
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.below(1), 0);
        let mut tally = [0usize; 7];
        for _ in 0..70_000 {
            tally[rng.below(7)] += 1;
        }
        // Each count is about 10,000 with a standard deviation of about 93.
        for count in tally {
            assert!((9_600..=10_400).contains(&count), "{tally:?}");
        }
        let huge = usize::MAX;
        assert!(rng.below(huge) < huge);
    }

    #[test]
    fn mean_skips_missing_values() {
        assert_eq!(mean(&[]), None);
        assert_eq!(mean(&[f64::NAN, f64::INFINITY]), None);
        assert_eq!(mean(&[1.0, 2.0, 6.0]), Some(3.0));
        assert_eq!(mean(&[1.0, f64::NAN, 3.0, f64::NEG_INFINITY]), Some(2.0));
    }

    #[test]
    fn percentile_matches_numpy() {
        // NumPy 2.4.6, numpy.percentile(x, [0, 5, 30, 40, 50, 95, 100]) with the default linear method.
        let x = [35.0, 20.0, 50.0, 15.0, 40.0];
        for (p, expected) in [(0.0, 15.0), (5.0, 16.0), (30.0, 23.0), (40.0, 29.0), (50.0, 35.0), (95.0, 48.0)] {
            close(percentile(&x, p).unwrap(), expected, 1e-12);
        }
        assert_eq!(percentile(&x, 100.0), Some(50.0));
        // Latencies in milliseconds: numpy.percentile(lat, [50, 95, 99]) = 640, 2076.5, 2775.3000000000006.
        let lat = [812.0, 95.0, 430.0, 1203.0, 388.0, 2950.0, 640.0, 701.0, 512.0, 999.0, 77.0];
        close(percentile(&lat, 50.0).unwrap(), 640.0, 1e-9);
        close(percentile(&lat, 95.0).unwrap(), 2076.5, 1e-9);
        close(percentile(&lat, 99.0).unwrap(), 2775.3000000000006, 1e-9);
        // By hand: the median of 1..4 is halfway between 2 and 3; p95 of 1..10 sits at rank 8.55.
        close(percentile(&[1.0, 2.0, 3.0, 4.0], 50.0).unwrap(), 2.5, 1e-12);
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        close(percentile(&ten, 95.0).unwrap(), 9.55, 1e-12);
    }

    #[test]
    fn percentile_edge_cases() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[f64::NAN], 50.0), None);
        assert_eq!(percentile(&[7.0], 0.0), Some(7.0));
        assert_eq!(percentile(&[7.0], 95.0), Some(7.0));
        assert_eq!(percentile(&[1.0, f64::NAN, 3.0], 50.0), Some(2.0));
        for p in [-1.0, 100.5, f64::NAN, f64::INFINITY] {
            assert_eq!(percentile(&[1.0, 2.0], p), None);
        }
    }

    #[test]
    fn bootstrap_covers_a_known_mean_with_the_normal_width() {
        let n = 400;
        let values = uniform(n, 42);
        let ci = bootstrap_ci(&values, DEFAULT_RESAMPLES, DEFAULT_CONFIDENCE, 7).unwrap();
        assert!(ci.contains(0.5), "{ci:?}");
        // The normal-theory 95% width is 2 · 1.96 · σ/√n with σ = 1/√12; the bootstrap's should be close.
        let normal_width = 2.0 * 1.96 * (1.0 / 12.0_f64.sqrt()) / (n as f64).sqrt();
        let ratio = ci.width() / normal_width;
        assert!((0.9..=1.1).contains(&ratio), "width {} against {normal_width}", ci.width());
        // The sample mean sits inside, near the middle.
        let m = mean(&values).unwrap();
        assert!(ci.contains(m));
        close((ci.low + ci.high) / 2.0, m, 0.1 * normal_width);
    }

    #[test]
    fn bootstrap_intervals_cover_the_mean_about_as_often_as_they_say() {
        // 200 data sets of 100 uniform values: a 95% interval should miss the true mean about 10 times.
        let covered = (0..200u64)
            .filter(|&k| bootstrap_ci(&uniform(100, 1_000 + k), 1_000, 0.95, k).unwrap().contains(0.5))
            .count();
        assert!((180..=199).contains(&covered), "{covered} of 200");
    }

    #[test]
    fn bootstrap_is_deterministic_given_the_seed() {
        let values = uniform(50, 1);
        let a = bootstrap_ci(&values, 500, 0.9, 11);
        assert_eq!(a, bootstrap_ci(&values, 500, 0.9, 11));
        assert_ne!(a, bootstrap_ci(&values, 500, 0.9, 12));
        // A higher confidence gives a wider interval from the same resamples.
        let narrow = bootstrap_ci(&values, 500, 0.5, 11).unwrap();
        let wide = a.unwrap();
        assert!(wide.low < narrow.low && narrow.high < wide.high);
    }

    #[test]
    fn bootstrap_edge_cases() {
        assert_eq!(bootstrap_ci(&[], 100, 0.95, 0), None);
        assert_eq!(bootstrap_ci(&[f64::NAN], 100, 0.95, 0), None);
        assert_eq!(bootstrap_ci(&[1.0], 0, 0.95, 0), None);
        for confidence in [0.0, 1.0, -0.5, 1.5, f64::NAN] {
            assert_eq!(bootstrap_ci(&[1.0, 2.0], 100, confidence, 0), None);
        }
        // One case, or all cases equal: every resample has the same mean.
        assert_eq!(bootstrap_ci(&[0.7], 100, 0.95, 0), Some(Interval { low: 0.7, high: 0.7 }));
        assert_eq!(bootstrap_ci(&[1.0; 20], 100, 0.95, 0), Some(Interval { low: 1.0, high: 1.0 }));
        // Missing values are left out, and the rest resampled as if they were not there.
        let with_nan = [0.1, f64::NAN, 0.9, 0.4];
        assert_eq!(bootstrap_ci(&with_nan, 300, 0.95, 5), bootstrap_ci(&[0.1, 0.9, 0.4], 300, 0.95, 5));
    }

    #[test]
    fn intervals_over_the_same_cases_share_their_draws_and_nothing_else() {
        let (a, b, c) = (uniform(150, 1), uniform(150, 2), uniform(150, 3));
        let mut gappy = c.clone();
        gappy[7] = f64::NAN;
        let short = &a[..90];
        let columns: [&[f64]; 5] = [&a, &b, &gappy, short, &c];
        for (resamples, confidence, seed) in [(DEFAULT_RESAMPLES, DEFAULT_CONFIDENCE, 4), (333, 0.8, 0)] {
            let together = bootstrap_cis(&columns, resamples, confidence, seed);
            let apart: Vec<Option<Interval>> =
                columns.iter().map(|c| bootstrap_ci(c, resamples, confidence, seed)).collect();
            assert_eq!(together.len(), 5);
            for (t, a) in together.iter().zip(&apart) {
                let bits = |i: &Option<Interval>| i.map(|i| (i.low.to_bits(), i.high.to_bits()));
                assert_eq!(bits(t), bits(a));
            }
        }
        assert!(bootstrap_cis(&[], 100, 0.95, 0).is_empty());
        assert_eq!(bootstrap_cis(&[&a, &b], 0, 0.95, 0), [None, None]);
        assert_eq!(bootstrap_cis(&[&[], &[f64::NAN], &[0.5]], 10, 0.95, 0)[..2], [None, None]);
        assert_eq!(bootstrap_cis(&[&[], &[0.5]], 10, 0.95, 0)[1], Some(Interval { low: 0.5, high: 0.5 }));
    }

    #[test]
    fn paired_ratio_of_proportional_configurations_is_exact() {
        let b = uniform(200, 9);
        let a: Vec<f64> = b.iter().map(|x| 2.0 * x).collect();
        let r = paired_ratio_ci(&a, &b, DEFAULT_RESAMPLES, DEFAULT_CONFIDENCE, 1).unwrap();
        // Doubling is exact in floating point, so every resample's ratio is exactly 2.
        assert_eq!(r.ratio, 2.0);
        assert_eq!(r.interval, Interval { low: 2.0, high: 2.0 });
        assert_eq!(r.resamples_used, DEFAULT_RESAMPLES);
        assert!(!r.includes_one());
        let same = paired_ratio_ci(&b, &b, 500, 0.95, 1).unwrap();
        assert_eq!((same.ratio, same.interval), (1.0, Interval { low: 1.0, high: 1.0 }));
        assert!(same.includes_one());
    }

    #[test]
    fn paired_ratio_tells_a_real_difference_from_none() {
        let base = uniform(200, 21);
        let noise = uniform(200, 22);
        // 20% better on every case, give or take a little noise: the interval excludes 1 and holds 1.2.
        let better: Vec<f64> = base.iter().zip(&noise).map(|(x, e)| 1.2 * x + 0.02 * (e - 0.5)).collect();
        let r = paired_ratio_ci(&better, &base, DEFAULT_RESAMPLES, DEFAULT_CONFIDENCE, 3).unwrap();
        assert!(!r.includes_one() && r.interval.contains(1.2), "{r:?}");
        assert!(r.interval.low > 1.15 && r.interval.high < 1.25, "{r:?}");
        // The same cases plus noise of mean zero: no detectable difference.
        let same: Vec<f64> = base.iter().zip(&noise).map(|(x, e)| x + 0.1 * (e - 0.5)).collect();
        let r = paired_ratio_ci(&same, &base, DEFAULT_RESAMPLES, DEFAULT_CONFIDENCE, 3).unwrap();
        assert!(r.includes_one(), "{r:?}");
        // Pairing matters: cases that are hard for both configurations vary a lot, but together.
        let unpaired_width = {
            let mut shuffled = better.clone();
            shuffled.reverse();
            paired_ratio_ci(&shuffled, &base, DEFAULT_RESAMPLES, DEFAULT_CONFIDENCE, 3).unwrap().interval.width()
        };
        let paired = paired_ratio_ci(&better, &base, DEFAULT_RESAMPLES, DEFAULT_CONFIDENCE, 3).unwrap();
        assert!(paired.interval.width() * 5.0 < unpaired_width);
    }

    #[test]
    fn paired_ratio_edge_cases() {
        assert_eq!(paired_ratio_ci(&[], &[], 100, 0.95, 0), None);
        assert_eq!(paired_ratio_ci(&[1.0], &[1.0, 2.0], 100, 0.95, 0), None);
        assert_eq!(paired_ratio_ci(&[1.0, 2.0], &[0.0, 0.0], 100, 0.95, 0), None);
        assert_eq!(paired_ratio_ci(&[1.0], &[1.0], 0, 0.95, 0), None);
        assert_eq!(paired_ratio_ci(&[1.0], &[1.0], 100, 1.0, 0), None);
        assert_eq!(paired_ratio_ci(&[f64::NAN], &[1.0], 100, 0.95, 0), None);
        // A pair with a missing side is left out whole: only the first pair remains.
        let r = paired_ratio_ci(&[3.0, f64::NAN, 5.0], &[2.0, 1.0, f64::INFINITY], 100, 0.95, 0).unwrap();
        assert_eq!((r.ratio, r.interval), (1.5, Interval { low: 1.5, high: 1.5 }));
        // Mostly zero b: resamples with no non-zero b are skipped and counted.
        let r = paired_ratio_ci(&[1.0, 1.0, 1.0, 1.0], &[0.0, 0.0, 0.0, 1.0], 1_000, 0.95, 0).unwrap();
        assert_eq!(r.ratio, 4.0);
        // (3/4)^4 ≈ 32% of resamples draw no non-zero b.
        assert!((600..=760).contains(&r.resamples_used), "{}", r.resamples_used);
    }

    /// Items with labels given by two raters, from a 2×2 table of counts.
    fn table(yes_yes: usize, yes_no: usize, no_yes: usize, no_no: usize) -> Vec<(&'static str, &'static str)> {
        let mut pairs = vec![("yes", "yes"); yes_yes];
        pairs.extend(vec![("yes", "no"); yes_no]);
        pairs.extend(vec![("no", "yes"); no_yes]);
        pairs.extend(vec![("no", "no"); no_no]);
        pairs
    }

    #[test]
    fn kappa_of_textbook_tables() {
        // Wikipedia, "Cohen's kappa", simple example: 50 proposals, p_o = 0.7, p_e = 0.5, κ = 0.4.
        let a = cohen_kappa(&table(20, 5, 10, 15)).unwrap();
        assert_eq!(a.n, 50);
        close(a.observed, 0.7, 1e-12);
        close(a.kappa.unwrap(), 0.4, 1e-12);
        // Wikipedia, same agreement but different kappa: both tables have p_o = 0.6; by hand,
        // p_e = 0.54 gives κ = 0.06/0.46 ≈ 0.1304 and p_e = 0.46 gives κ = 0.14/0.54 ≈ 0.2593.
        let a = cohen_kappa(&table(45, 15, 25, 15)).unwrap();
        close(a.observed, 0.6, 1e-12);
        close(a.kappa.unwrap(), 0.06 / 0.46, 1e-12);
        let b = cohen_kappa(&table(25, 35, 5, 35)).unwrap();
        close(b.kappa.unwrap(), 0.14 / 0.54, 1e-12);
    }

    #[test]
    fn kappa_with_more_categories() {
        // Three categories, by hand: 10 items, 7 agreements; the first rater's counts are (4, 3, 3) and the
        // second's (3, 4, 3), so Σ c·c = 12 + 12 + 9 = 33 and κ = (10·7 - 33)/(100 - 33) = 37/67.
        let pairs: [(usize, usize); 10] =
            [(0, 0), (0, 0), (0, 0), (0, 1), (1, 1), (1, 1), (1, 2), (2, 2), (2, 2), (2, 1)];
        let a = cohen_kappa(&pairs).unwrap();
        close(a.observed, 0.7, 1e-12);
        close(a.kappa.unwrap(), 37.0 / 67.0, 1e-12);
        // A label only one rater used still counts in the expected agreement (as zero overlap).
        let a = cohen_kappa(&[("pass", "pass"), ("fail", "unsure"), ("pass", "pass"), ("fail", "fail")]).unwrap();
        // Counts: first (pass 2, fail 2), second (pass 2, fail 1, unsure 1): Σ = 4 + 2 = 6, κ = (12 - 6)/(16 - 6).
        close(a.kappa.unwrap(), 0.6, 1e-12);
    }

    #[test]
    fn kappa_edge_cases() {
        assert_eq!(cohen_kappa::<u8>(&[]), None);
        // One category, full agreement: chance agreement is certain and kappa undefined.
        assert_eq!(cohen_kappa(&[(1, 1), (1, 1), (1, 1)]), Some(Agreement { n: 3, observed: 1.0, kappa: None }));
        // Full agreement over two categories is kappa 1; full disagreement of two balanced raters is -1.
        assert_eq!(cohen_kappa(&[(1, 1), (2, 2)]).unwrap().kappa, Some(1.0));
        assert_eq!(cohen_kappa(&[(1, 2), (2, 1)]).unwrap().kappa, Some(-1.0));
        // Each rater always says the same thing, but not the same as the other: p_o = p_e = 0, κ = 0.
        assert_eq!(
            cohen_kappa(&[("yes", "no"), ("yes", "no")]).unwrap(),
            Agreement { n: 2, observed: 0.0, kappa: Some(0.0) }
        );
    }
}
