//! IEEE 754 half precision (binary16), the form in which the vector index keeps and stores its vectors.
//!
//! Loading an index is bound by how fast IndexedDB hands over bytes (at most about half a gigabyte a second
//! in Chromium on the machines measured), so two bytes a value load in half the time of four. The index
//! therefore rounds every vector to half precision when it is added and computes in f32 over those values: what is searched is exactly what is stored, before and after a reload. For unit vectors of an
//! embeddings model the rounding moves a cosine similarity by about 1e-5 (at most 2e-5 measured at 10k
//! vectors), less than the models' own run-to-run noise; the benchmark prints the measured effect on recall.
//!
//! This module only converts numbers: [`to_half`] rounds to nearest, ties to even (subnormals, infinities
//! and NaN included), [`from_half`] is exact, and [`extend_from_halves`] converts a slice with 128-bit SIMD
//! on wasm32 (the loading path) and value by value elsewhere.

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

/// Rounds every value to the nearest half-precision value, in place.
pub fn round_to_half(v: &mut [f32]) {
    v.iter_mut().for_each(|x| *x = from_half(to_half(*x)));
}

/// Appends the values of `src` to `dst`, writing each value once (no zero-filling first): 128-bit SIMD on
/// wasm32 with simd128, value by value elsewhere.
pub fn extend_from_halves(dst: &mut Vec<f32>, src: &[u16]) {
    dst.reserve(src.len());
    let spare = &mut dst.spare_capacity_mut()[..src.len()];
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    let done = simd::convert(src, spare);
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    let done = 0;
    for (d, &h) in spare[done..].iter_mut().zip(&src[done..]) {
        d.write(from_half(h));
    }
    // SAFETY: the `src.len()` values after the old length were all written just above.
    unsafe { dst.set_len(dst.len() + src.len()) };
}

/// Converts `src` into `dst` one value at a time: the reference [`extend_from_halves`] is tested against.
pub fn halves_to_f32_portable(src: &[u16], dst: &mut [f32]) {
    dst.iter_mut().zip(src).for_each(|(d, &h)| *d = from_half(h));
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd {
    use core::arch::wasm32::*;
    use core::mem::MaybeUninit;

    /// Four halves (zero-extended to 32-bit lanes) to four f32s, without branches. The half's exponent and
    /// mantissa, shifted into an f32's places, read as a number 2^-112 times the half's value, subnormals
    /// included, so one multiplication by 2^112 rebiases it; infinities and NaN get the top exponent, and the
    /// sign is copied.
    #[inline(always)]
    fn four(h: v128) -> v128 {
        let magnitude = v128_and(h, u32x4_splat(0x7fff));
        let value = f32x4_mul(i32x4_shl(magnitude, 13), f32x4_splat(f32::from_bits((127 + 112) << 23)));
        let special = v128_and(i32x4_gt(magnitude, u32x4_splat(0x7bff)), u32x4_splat(0x7f80_0000));
        v128_or(v128_or(value, special), i32x4_shl(v128_and(h, u32x4_splat(0x8000)), 16))
    }

    /// Converts the longest prefix of `src` that is a multiple of eight into `dst`; returns its length.
    pub fn convert(src: &[u16], dst: &mut [MaybeUninit<f32>]) -> usize {
        let n = src.len().min(dst.len()) / 8 * 8;
        let mut i = 0;
        // SAFETY: each step reads src[i..i + 8] and writes dst[i..i + 8] with i + 8 <= n; v128 loads and
        // stores need no alignment, and writing through a MaybeUninit pointer initialises it.
        unsafe {
            while i < n {
                let h = v128_load(src.as_ptr().add(i) as *const v128);
                let out = dst.as_mut_ptr().add(i) as *mut v128;
                v128_store(out, four(u32x4_extend_low_u16x8(h)));
                v128_store(out.add(1), four(u32x4_extend_high_u16x8(h)));
                i += 8;
            }
        }
        n
    }
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
    fn slices_convert_like_single_values() {
        let src: Vec<u16> = (0..1000u16).map(|i| i.wrapping_mul(65)).collect();
        // Appended after what the vector already holds.
        let mut dst = vec![7f32; 3];
        extend_from_halves(&mut dst, &src);
        assert_eq!((dst.len(), &dst[..3]), (1003, &[7.0; 3][..]));
        for (h, d) in src.iter().zip(&dst[3..]) {
            assert!(from_half(*h).to_bits() == d.to_bits() || (from_half(*h).is_nan() && d.is_nan()));
        }
        let mut v = vec![0.1f32, -3.3, 1e-6, 70000.0];
        round_to_half(&mut v);
        assert_eq!(v, [from_half(to_half(0.1)), from_half(to_half(-3.3)), from_half(to_half(1e-6)), f32::INFINITY]);
    }
}
