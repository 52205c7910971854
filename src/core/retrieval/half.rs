//! IEEE 754 half precision (binary16), the form in which the vector index keeps and stores its vectors.
//!
//! Loading an index is bound by how fast IndexedDB hands over bytes (at most about half a gigabyte a second
//! in Chromium on the machines measured), so two bytes a value load in half the time of four, and kept as they
//! are stored they take half the memory. The index therefore rounds every vector to half precision when it is
//! added and keeps only the halves: what is searched is exactly what is stored, before and after a reload. For
//! unit vectors of an embeddings model the rounding moves a cosine similarity by about 1e-5 (at most 2e-5
//! measured at 10k vectors), less than the models' own run-to-run noise; the benchmark prints the measured
//! effect on recall.
//!
//! This module only converts numbers, one at a time: [`to_half`] rounds to nearest, ties to even (subnormals,
//! infinities and NaN included), [`to_normal_half`] likewise but never to a subnormal (what the index keeps),
//! [`from_half`] is exact. The search converts halves in SIMD registers as it
//! reads them (see [`super::vector::dot_halves`]).

/// The half-precision bits nearest to `x` (ties to even); beyond the half range it gives an infinity.
pub fn to_half(x: f32) -> u16 {
    let bits = x.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let abs = bits & 0x7fff_ffff;
    if abs >= 0x7f80_0000 {
        // Infinity stays infinite; NaN stays a (quiet) NaN.
        return sign | 0x7c00 | if abs > 0x7f80_0000 { 0x200 } else { 0 };
    }
    if abs >= 0x477f_f000 {
        // 65520, half-way between the largest half (65504) and 65536, and beyond: infinity.
        return sign | 0x7c00;
    }
    let exp = abs >> 23;
    if exp < 113 {
        // Below 2^-14 the half is subnormal: its unit is 2^-24.
        if exp < 102 {
            return sign;
        }
        let man = (abs & 0x7f_ffff) | 0x80_0000;
        let shift = 126 - exp;
        let (m, rest, half) = (man >> shift, man & ((1 << shift) - 1), 1 << (shift - 1));
        let m = if rest > half || (rest == half && m & 1 == 1) { m + 1 } else { m };
        return sign | m as u16;
    }
    let h = (abs >> 13) - (112 << 10);
    let rest = abs & 0x1fff;
    // A carry out of the mantissa correctly moves to the next exponent.
    let h = if rest > 0x1000 || (rest == 0x1000 && h & 1 == 1) { h + 1 } else { h };
    sign | h as u16
}

/// The value of half-precision bits `h`, exactly.
pub fn from_half(h: u16) -> f32 {
    let sign = u32::from(h & 0x8000) << 16;
    let exp = u32::from(h >> 10) & 0x1f;
    let man = u32::from(h & 0x3ff);
    match exp {
        0 => {
            let v = man as f32 * (1.0 / 16_777_216.0);
            f32::from_bits(v.to_bits() | sign)
        }
        0x1f => f32::from_bits(sign | 0x7f80_0000 | (man << 13)),
        _ => f32::from_bits(sign | ((exp + 112) << 23) | (man << 13)),
    }
}

/// The half-precision bits nearest to `x` among those that are not subnormal: below the smallest normal half
/// (2^-14, about 6.1e-5) a value becomes zero or ±2^-14, whichever is nearer (ties to zero, keeping the sign).
/// The vector index keeps no subnormal halves: in the f32 form its search gives them they would be subnormal
/// f32s, and multiplying one costs a microcode assist of about 150 cycles on Intel CPUs (measured on this
/// project's machine: 0.1 % subnormal inputs slow an SSE dot product by 40 %). About 1 component in 600 of a
/// 1536-dimension unit vector is that small; moving it by at most 3.1e-5 changes a cosine by far less than
/// half precision's own rounding.
pub fn to_normal_half(x: f32) -> u16 {
    without_subnormal(to_half(x))
}

/// `h`, or if it is subnormal the nearer of zero and the smallest normal half of its sign (ties to zero):
/// what [`to_normal_half`] gives for the value.
pub fn without_subnormal(h: u16) -> u16 {
    let sign = h & 0x8000;
    match h & 0x7fff {
        // A subnormal m × 2^-24 is nearer to 2^-14 = 1024 × 2^-24 than to zero when m > 512.
        m @ 1..=0x3ff => sign | if m > 512 { 0x400 } else { 0 },
        _ => h,
    }
}

/// Rounds every value to the nearest half-precision value, in place.
pub fn round_to_half(v: &mut [f32]) {
    v.iter_mut().for_each(|x| *x = from_half(to_half(*x)));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of half bits by the definition, in f64.
    fn reference(h: u16) -> f64 {
        let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
        let (exp, man) = (i32::from((h >> 10) & 0x1f), f64::from(h & 0x3ff));
        sign * match exp {
            0 => man * 2f64.powi(-24),
            0x1f if man == 0.0 => f64::INFINITY,
            0x1f => f64::NAN,
            _ => (1.0 + man / 1024.0) * 2f64.powi(exp - 15),
        }
    }

    #[test]
    fn every_half_converts_exactly_and_back() {
        for h in 0..=u16::MAX {
            let want = reference(h);
            let got = from_half(h);
            if want.is_nan() {
                assert!(got.is_nan(), "{h:#06x}");
                assert!(from_half(to_half(got)).is_nan());
            } else {
                assert_eq!(f64::from(got), want, "{h:#06x}");
                assert_eq!(got.is_sign_negative(), h & 0x8000 != 0, "{h:#06x}");
                assert_eq!(to_half(got), h, "{h:#06x} round trip");
            }
        }
    }

    #[test]
    fn rounding_is_to_nearest_with_ties_to_even() {
        // Every f32 between two neighbouring halves, at every exponent: a walk in steps that hit the
        // midpoints exactly, plus a pseudo-random sweep.
        let mut checked = 0;
        let mut check = |x: f32| {
            let h = to_half(x);
            let got = f64::from(from_half(h));
            let xd = f64::from(x);
            for n in [h.wrapping_sub(1), h.wrapping_add(1)] {
                let other = reference(n);
                if n & 0x7c00 == 0x7c00 || (n ^ h) & 0x8000 != 0 || other.is_nan() {
                    continue;
                }
                let (dg, dn) = ((got - xd).abs(), (other - xd).abs());
                assert!(dg < dn || (dg == dn && h & 1 == 0), "{x:e}: {h:#06x} ({got:e}) vs {n:#06x} ({other:e})");
            }
            checked += 1;
        };
        for h in 0u16..0x7bff {
            let (a, b) = (reference(h), reference(h + 1));
            for step in 0..=8 {
                let x = a + (b - a) * f64::from(step) / 8.0;
                check(x as f32);
                check(-(x as f32));
            }
        }
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let x = f32::from_bits((state as u32) % 0x477f_f000);
            check(if state >> 63 == 1 { -x } else { x });
        }
        assert!(checked > 700_000);
    }

    #[test]
    fn the_edges_of_the_range() {
        assert_eq!(to_half(0.0), 0);
        assert_eq!(to_half(-0.0), 0x8000);
        assert_eq!(to_half(65504.0), 0x7bff);
        assert_eq!(to_half(65519.0), 0x7bff);
        assert_eq!(to_half(65520.0), 0x7c00);
        assert_eq!(to_half(1e10), 0x7c00);
        assert_eq!(to_half(f32::NEG_INFINITY), 0xfc00);
        assert!(from_half(to_half(f32::NAN)).is_nan());
        // The smallest subnormal is 2^-24; half of it rounds to zero (even), a little more rounds up.
        assert_eq!(to_half(2f32.powi(-24)), 1);
        assert_eq!(to_half(2f32.powi(-25)), 0);
        assert_eq!(to_half(2f32.powi(-25) * 1.01), 1);
        assert_eq!(to_half(1e-30), 0);
        // The largest subnormal rounds up into the smallest normal.
        assert_eq!(to_half(2f32.powi(-14) - 2f32.powi(-26)), 0x0400);
    }

    #[test]
    fn no_half_is_left_subnormal() {
        for h in 0..=u16::MAX {
            let n = without_subnormal(h);
            if h & 0x7c00 != 0 || h & 0x3ff == 0 {
                assert_eq!(n, h, "{h:#06x} is not subnormal");
                continue;
            }
            assert!(n & 0x7fff == 0 || n & 0x7fff == 0x400, "{h:#06x} -> {n:#06x}");
            assert_eq!(n & 0x8000, h & 0x8000, "{h:#06x} keeps its sign");
            let (v, got) = (f64::from(from_half(h)), f64::from(from_half(n)));
            let other = if got == 0.0 { 2f64.powi(-14).copysign(v) } else { 0.0 };
            assert!((got - v).abs() <= (other - v).abs(), "{h:#06x}: {got} is the nearer");
        }
        // Straight from f32 too, with the tie at 2^-15 going to zero.
        assert_eq!(to_normal_half(2f32.powi(-15)), 0);
        assert_eq!(to_normal_half(2f32.powi(-15) * 1.01), 0x400);
        assert_eq!(to_normal_half(-2f32.powi(-14) * 0.9), 0x8400);
        assert_eq!(to_normal_half(-1e-7), 0x8000);
        assert_eq!(to_normal_half(0.3), to_half(0.3));
    }

    #[test]
    fn rounding_in_place_rounds_each_value() {
        let mut v = vec![0.1f32, -3.3, 1e-6, 70000.0];
        round_to_half(&mut v);
        assert_eq!(v, [from_half(to_half(0.1)), from_half(to_half(-3.3)), from_half(to_half(1e-6)), f32::INFINITY]);
    }
}
