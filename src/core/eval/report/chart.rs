//! The geometry of a report's charts, so that a view only draws: bars of one metric per configuration with
//! their confidence whiskers, and each configuration's cost per case against its correctness; both in a unit
//! box, with axes whose ticks fall on round numbers.
//!
//! Coordinates run from 0 to 1 in both directions, x to the right and y upwards (a view drawing in SVG, whose
//! y runs downwards, draws at `1 - y`). Nothing here knows pixels, colours, fonts or words: labels are
//! indices into the report's rows, which the view names. No function panics; values that are not finite are
//! left out.

use super::{ConfigRow, Metric};

/// The share of its slot a bar takes; the rest is the gap between bars.
const BAR_FILL: f64 = 0.6;

/// How many ticks the cost axis asks [`ticks`] for.
const COST_TICKS: usize = 5;

/// The most ticks [`ticks`] gives, whatever it is asked for.
const MAX_TICKS: usize = 50;

/// One configuration's bar. The view labels it with `rows[label_index]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    pub label_index: usize,
    /// The bar's left edge.
    pub x: f64,
    pub width: f64,
    /// The metric's mean, as it is (from 0 to 1), for the view to print.
    pub value: f64,
    /// The bar's height in the box: the value, kept within [0, 1].
    pub height: f64,
    /// The ends of the confidence interval in the box, when there is one.
    pub whisker_low: Option<f64>,
    pub whisker_high: Option<f64>,
}

/// The centre of slot `index` of `count` equal slots across the box: where a bar's label goes, bar or not.
pub fn slot_centre(index: usize, count: usize) -> f64 {
    if count == 0 {
        return 0.5;
    }
    (index as f64 + 0.5) / count as f64
}

/// A value kept within the unit box; not-finite values are at 0.
fn unit(v: f64) -> f64 {
    if v.is_finite() {
        v.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// The bars of `metric`, one slot per row in the rows' order; a row without a value for the metric has an
/// empty slot (no bar). Every metric runs from 0 to 1, so the y axis is [`score_axis`].
pub fn bar_chart(rows: &[ConfigRow], metric: Metric) -> Vec<Bar> {
    let count = rows.len();
    let slot = if count == 0 { 0.0 } else { 1.0 / count as f64 };
    let width = slot * BAR_FILL;
    rows.iter()
        .enumerate()
        .filter_map(|(i, row)| {
            let figure = row.figure(metric);
            let value = figure.mean.filter(|m| m.is_finite())?;
            Some(Bar {
                label_index: i,
                x: i as f64 * slot + (slot - width) / 2.0,
                width,
                value,
                height: unit(value),
                whisker_low: figure.ci.map(|c| unit(c.low)),
                whisker_high: figure.ci.map(|c| unit(c.high)),
            })
        })
        .collect()
}

/// A tick of an axis: its value, and where it falls in the box (0 to 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tick {
    pub value: f64,
    pub at: f64,
}

/// An axis from `min` to `max` (the first and last ticks).
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub min: f64,
    pub max: f64,
    pub ticks: Vec<Tick>,
}

impl Axis {
    /// The axis through `values` (ticks as [`ticks`] gives them); from 0 to 1 when there are fewer than two.
    fn through(values: Vec<f64>) -> Axis {
        let (min, max) = match (values.first(), values.last()) {
            (Some(&min), Some(&max)) if min < max => (min, max),
            _ => (0.0, 1.0),
        };
        let mut axis = Axis { min, max, ticks: Vec::new() };
        axis.ticks = values.into_iter().map(|value| Tick { value, at: axis.at(value) }).collect();
        axis
    }

    /// Where `value` falls in the box, kept within [0, 1]; not-finite values are at 0.
    pub fn at(&self, value: f64) -> f64 {
        let span = self.max - self.min;
        if span > 0.0 && span.is_finite() {
            unit((value - self.min) / span)
        } else {
            0.5
        }
    }
}

/// The axis of scores: 0 to 1 in fifths.
pub fn score_axis() -> Axis {
    Axis::through(ticks(0.0, 1.0, 6))
}

/// About `count` ticks (at least 2, at most 50) on round numbers covering `min` to `max`: steps of 1, 2 or 5
/// times a power of ten, the first tick at or below `min` and the last at or above `max` (Heckbert's "nice
/// numbers", Graphics Gems, 1990), to within a billionth of a step. The ends may come in either order. Each tick is the double nearest its
/// decimal value (0.3, not 0.30000000000000004), so a view can print it as it is. When `min` equals `max`
/// the range is widened around it (to 0–1 for 0); when either is not finite, or the range overflows, there
/// are no ticks.
pub fn ticks(min: f64, max: f64, count: usize) -> Vec<f64> {
    if !min.is_finite() || !max.is_finite() {
        return Vec::new();
    }
    let (mut lo, mut hi) = if min <= max { (min, max) } else { (max, min) };
    if lo == hi {
        if lo == 0.0 {
            hi = 1.0;
        } else {
            let half = lo.abs() / 2.0;
            (lo, hi) = (lo - half, hi + half);
        }
    }
    let span = hi - lo;
    if !span.is_finite() || span <= 0.0 {
        return Vec::new();
    }
    let intervals = count.clamp(2, MAX_TICKS) - 1;
    let (mantissa, exponent) = nice_step(span / intervals as f64);
    let step = decimal(mantissa, exponent);
    if !(step.is_finite() && step > 0.0) {
        return Vec::new();
    }
    // A billionth of a step of slack, so that rounding in the division cannot add a tick beyond an end that
    // is itself round (0.013 / 0.001 is 12.999999999999998).
    let first = (lo / step + 1e-9).floor();
    let last = (hi / step - 1e-9).ceil();
    if !(first.is_finite() && last.is_finite()) || last - first > (2 * MAX_TICKS) as f64 {
        return Vec::new();
    }
    let (first, last) = (first as i64, last as i64);
    (first..=last).map(|k| decimal(k.saturating_mul(mantissa), exponent)).collect()
}

/// A round step near `raw` (> 0) as `mantissa × 10^exponent`, the mantissa 1, 2 or 5: the nearest of those
/// on a logarithmic scale, as Heckbert rounds.
fn nice_step(raw: f64) -> (i64, i32) {
    let mut exponent = raw.log10().floor() as i32;
    let mut fraction = raw / 10f64.powi(exponent);
    // log10 may be a hair off at exact powers of ten.
    if fraction >= 10.0 {
        fraction /= 10.0;
        exponent += 1;
    } else if fraction < 1.0 {
        fraction *= 10.0;
        exponent -= 1;
    }
    let mantissa = if fraction < 1.5 {
        1
    } else if fraction < 3.0 {
        2
    } else if fraction < 7.0 {
        5
    } else {
        exponent += 1;
        1
    };
    (mantissa, exponent)
}

/// `units × 10^exponent` as the double nearest to it: one correctly rounded operation on exact operands while
/// the power of ten is exact (up to 10^22).
fn decimal(units: i64, exponent: i32) -> f64 {
    let units = units as f64;
    if exponent >= 0 {
        units * 10f64.powi(exponent)
    } else {
        units / 10f64.powi(-exponent)
    }
}

/// One configuration in the cost–quality chart. The view labels it with `rows[config_index]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub config_index: usize,
    /// The answers' cost per case, placed on [`Scatter::x_axis`].
    pub x: f64,
    /// Mean correctness, placed on [`Scatter::y_axis`].
    pub y: f64,
    /// The correctness interval's ends, placed likewise.
    pub y_low: Option<f64>,
    pub y_high: Option<f64>,
    /// The values themselves, for the view to print.
    pub cost_per_case_usd: f64,
    pub correctness: f64,
}

/// The cost–quality chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Scatter {
    pub points: Vec<Point>,
    /// US dollars per case, from 0 (a linear scale, so that distances compare costs as ratios do).
    pub x_axis: Axis,
    /// Correctness, 0 to 1.
    pub y_axis: Axis,
    /// Rows with no known cost or no correctness, which have no point (the view may list them).
    pub left_out: Vec<usize>,
}

/// Each configuration's answer cost per case against its mean correctness.
pub fn cost_quality_scatter(rows: &[ConfigRow]) -> Scatter {
    let mut placed = Vec::new();
    let mut left_out = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let cost = row.cost.answer_per_case_usd.filter(|c| c.is_finite() && *c >= 0.0);
        match (cost, row.correctness.mean.filter(|m| m.is_finite())) {
            (Some(cost), Some(correctness)) => placed.push((i, cost, correctness, row.correctness.ci)),
            _ => left_out.push(i),
        }
    }
    let dearest = placed.iter().map(|p| p.1).fold(0.0, f64::max);
    let x_axis = Axis::through(ticks(0.0, dearest, COST_TICKS));
    let y_axis = score_axis();
    let points = placed
        .into_iter()
        .map(|(config_index, cost, correctness, ci)| Point {
            config_index,
            x: x_axis.at(cost),
            y: y_axis.at(correctness),
            y_low: ci.map(|c| y_axis.at(c.low)),
            y_high: ci.map(|c| y_axis.at(c.high)),
            cost_per_case_usd: cost,
            correctness,
        })
        .collect();
    Scatter { points, x_axis, y_axis, left_out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_fall_on_round_numbers() {
        assert_eq!(ticks(0.0, 1.0, 6), [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(ticks(0.0, 1.0, 11), [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]);
        // A cost axis: $0.0031 per case at most, five ticks asked, steps of a tenth of a cent.
        assert_eq!(ticks(0.0, 0.0031, 5), [0.0, 0.001, 0.002, 0.003, 0.004]);
        assert_eq!(ticks(13.0, 87.0, 5), [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert_eq!(ticks(-3.0, 7.0, 6), [-4.0, -2.0, 0.0, 2.0, 4.0, 6.0, 8.0]);
        // The ends in either order, and ticks that are already round stay the ends.
        assert_eq!(ticks(100.0, 0.0, 3), [0.0, 50.0, 100.0]);
        assert_eq!(ticks(1000.0, 2000.0, 2), [1000.0, 2000.0]);
    }

    #[test]
    fn ticks_edge_cases() {
        assert_eq!(ticks(0.0, 0.0, 5), [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(ticks(2.0, 2.0, 3), [1.0, 2.0, 3.0]);
        assert!(ticks(f64::NAN, 1.0, 5).is_empty());
        assert!(ticks(0.0, f64::INFINITY, 5).is_empty());
        assert!(ticks(-f64::MAX, f64::MAX, 5).is_empty());
        // Counts out of range are brought within 2..=50.
        assert_eq!(ticks(0.0, 1.0, 0), [0.0, 1.0]);
        assert!(ticks(0.0, 1.0, usize::MAX).len() <= 2 * MAX_TICKS + 1);
        // Tiny and huge ranges.
        assert_eq!(ticks(0.0, 3e-9, 4), [0.0, 1e-9, 2e-9, 3e-9]);
        assert_eq!(ticks(0.0, 3e12, 4), [0.0, 1e12, 2e12, 3e12]);
        assert_eq!(ticks(0.013, 0.0172, 5), [0.013, 0.014, 0.015, 0.016, 0.017, 0.018]);
        for (lo, hi) in [(1e-300, 2e-300), (123.456, 123.457), (-1e-5, 5e-5), (0.1, 0.7), (7.0, 7.000001)] {
            let t = ticks(lo, hi, 5);
            let slack = (hi - lo) * 1e-6;
            assert!(t.len() >= 2 && t[0] <= lo + slack && *t.last().unwrap() >= hi - slack, "{lo} {hi} {t:?}");
            assert!(t.windows(2).all(|w| w[0] < w[1]), "{t:?}");
        }
    }

    #[test]
    fn axes_place_values_in_the_unit_box() {
        let axis = score_axis();
        assert_eq!((axis.min, axis.max, axis.ticks.len()), (0.0, 1.0, 6));
        assert_eq!(axis.ticks[3], Tick { value: 0.6, at: 0.6 });
        assert_eq!(axis.at(-1.0), 0.0);
        assert_eq!(axis.at(2.0), 1.0);
        assert_eq!(axis.at(f64::NAN), 0.0);
        let empty = Axis::through(Vec::new());
        assert_eq!((empty.min, empty.max), (0.0, 1.0));
        assert_eq!(slot_centre(1, 4), 0.375);
        assert_eq!(slot_centre(0, 0), 0.5);
    }
}
