//! Scalar semantics shared by the evaluator and constant folding.
//!
//! Numbers are binary64; a missing number is NaN, and no operation lets a NaN
//! or an infinity stand for anything else: division by zero, overflow and
//! domain errors give missing. Truth values are 0, 1 and [`MISSING_BOOL`].

use crate::data::table::MISSING_BOOL;
use crate::vocab::{BinOp, CmpOp};

/// Missing unless finite.
#[inline]
pub fn finite(x: f64) -> f64 {
    if x.is_finite() { x } else { f64::NAN }
}

#[inline]
pub fn arith(op: BinOp, a: f64, b: f64) -> f64 {
    match op {
        BinOp::Add => finite(a + b),
        BinOp::Sub => finite(a - b),
        BinOp::Mul => finite(a * b),
        BinOp::Div => {
            if b == 0.0 {
                f64::NAN
            } else {
                finite(a / b)
            }
        }
        _ => f64::NAN,
    }
}

#[inline]
pub fn compare(op: CmpOp, a: f64, b: f64) -> u8 {
    if a.is_nan() || b.is_nan() {
        MISSING_BOOL
    } else {
        u8::from(op.holds(a, b))
    }
}

/// Three-valued `and`: false wins, then missing.
#[inline]
pub fn and(a: u8, b: u8) -> u8 {
    if a == 0 || b == 0 {
        0
    } else if a == MISSING_BOOL || b == MISSING_BOOL {
        MISSING_BOOL
    } else {
        1
    }
}

/// Three-valued `or`: true wins, then missing.
#[inline]
pub fn or(a: u8, b: u8) -> u8 {
    if a == 1 || b == 1 {
        1
    } else if a == MISSING_BOOL || b == MISSING_BOOL {
        MISSING_BOOL
    } else {
        0
    }
}

#[inline]
pub fn not(a: u8) -> u8 {
    match a {
        0 => 1,
        1 => 0,
        _ => MISSING_BOOL,
    }
}

/// The largest number of decimals [`scaled_half_away`] rounds to.
pub const MAX_DECIMALS: u32 = 19;

/// 10^d for d from 0 to [`MAX_DECIMALS`], each exact in binary64.
const POWERS_OF_TEN: [f64; 20] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19,
];

/// `|x| × 10^d` rounded to a whole number, half away from zero, computed
/// exactly on the stored binary value of `x` (`d` at most
/// [`MAX_DECIMALS`]).
///
/// `None` when the result does not fit in 128 bits, or `x` is not finite.
/// `|x| × 10^d` can only be that large when `|x|` is at least 2^53 or so,
/// where every binary64 is a whole number.
pub fn scaled_half_away(x: f64, d: u32) -> Option<u128> {
    if !x.is_finite() || d > MAX_DECIMALS {
        return None;
    }
    // x = ±m × 2^e exactly, with m below 2^53.
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    let (m, e) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | 1 << 52, biased - 1075)
    };
    let unit = 10u64.pow(d);
    // The common case in 64 bits (any |x| below 2^53 with up to 3 decimals):
    // the same whole-number steps as below, at half the cost.
    if let (-63..=-1, Some(n)) = (e, m.checked_mul(unit)) {
        let s = e.unsigned_abs();
        if let Some(t) = n.checked_add(1 << (s - 1)) {
            return Some(u128::from(t >> s));
        }
    }
    // Below 2^53 × 10^19 < 2^117.
    let n = u128::from(m) * u128::from(unit);
    if e >= 0 {
        // A whole number: n × 2^e, when it fits.
        let e = e.unsigned_abs();
        return (n.leading_zeros() >= e).then(|| n << e);
    }
    let s = e.unsigned_abs();
    if s >= 128 {
        // n / 2^s < 2^117 / 2^128: below one half.
        return Some(0);
    }
    // floor(n / 2^s + 1/2), a tie going up (away from zero, as n is |x|'s);
    // n + 2^(s-1) < 2^117 + 2^126 does not overflow.
    Some((n + (1u128 << (s - 1))) >> s)
}

/// The largest whole number not above `x` (`f64::floor`), by a conversion
/// to and from a 64-bit integer: the same value, sign of zero included,
/// without a call into the C library for each value (which `floor` is on
/// x86-64 processors without SSE4.1, the default target).
#[inline]
pub fn floor(x: f64) -> f64 {
    // From 2^52 on every binary64 is whole; NaN and the infinities stay.
    if x.is_nan() || x.abs() >= 4_503_599_627_370_496.0 || x == 0.0 {
        return x;
    }
    // Exact: |x| < 2^52 truncates toward zero into an i64 and back.
    let t = x as i64 as f64;
    if t > x { t - 1.0 } else { t }
}

/// `x` rounded to `digits` decimals, half away from zero, on the exact
/// stored value of `x`: the binary64 nearest to the rounded decimal.
/// Missing when `x` is, or `digits` is outside 0 to [`MAX_DECIMALS`]
/// (the checker allows 0 to 9).
pub fn round_half_away(x: f64, digits: i32) -> f64 {
    let Ok(d) = u32::try_from(digits) else {
        return f64::NAN;
    };
    if !x.is_finite() || d > MAX_DECIMALS {
        return f64::NAN;
    }
    // From 2^52 on every binary64 is a whole number: nothing to round.
    if x.abs() >= 4_503_599_627_370_496.0 {
        return x;
    }
    let Some(k) = scaled_half_away(x, d) else {
        return f64::NAN;
    };
    if k == 0 {
        return 0.0;
    }
    let magnitude = if k < 1 << 53 {
        // k and 10^d (d <= 19 < 22) are exact binary64s: one division,
        // correctly rounded, gives the binary64 nearest to k / 10^d.
        k as f64 / POWERS_OF_TEN.get(d as usize).copied().unwrap_or(f64::NAN)
    } else {
        // Beyond 2^53, k itself is not exact: read the decimal `k e-d`,
        // which the parser rounds correctly.
        format!("{k}e-{d}").parse().unwrap_or(f64::NAN)
    };
    finite(magnitude.copysign(x))
}

/// 2^e for e from -1022 to 1023, exactly.
fn power_of_two(e: i32) -> f64 {
    let biased = (e.clamp(-1022, 1023) + 1023).unsigned_abs();
    f64::from_bits(u64::from(biased) << 52)
}

/// `x × 2^e`, in steps that are each exact until the result leaves the
/// range of binary64: ±infinity above it, zero or a subnormal below it.
pub fn times_power_of_two(mut x: f64, mut e: i32) -> f64 {
    while e > 1000 && x.is_finite() && x != 0.0 {
        x *= power_of_two(1000);
        e -= 1000;
    }
    while e < -1000 && x.is_finite() && x != 0.0 {
        x *= power_of_two(-1000);
        e += 1000;
    }
    x * power_of_two(e)
}

/// The exponent `e` with `2^e <= |x| < 2^(e+1)`, for a finite `x` that is
/// not zero (subnormals included).
pub fn exponent(x: f64) -> i32 {
    let biased = ((x.to_bits() >> 52) & 0x7ff) as i32;
    if biased == 0 {
        // Subnormal: its leading bit sets the exponent.
        let fraction = x.to_bits() & ((1 << 52) - 1);
        -1011 - fraction.leading_zeros() as i32
    } else {
        biased - 1023
    }
}

/// A number `m × 2^e` with `m` a binary64 between 1 and 2 in size (or 0, or
/// not finite): arithmetic as binary64 would do it with an unbounded
/// exponent, one rounding per operation, for the steps of a formula whose
/// result is in range while a step is not (`1e308 × 10 / 1e308`). Each
/// operation rounds exactly as binary64 does wherever binary64 does not
/// overflow, so falling back on it changes no result that was in range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Wide {
    m: f64,
    e: i32,
}

impl Wide {
    pub fn new(x: f64) -> Wide {
        if x == 0.0 || !x.is_finite() {
            return Wide { m: x, e: 0 };
        }
        let e = exponent(x);
        Wide {
            m: times_power_of_two(x, -e),
            e,
        }
    }

    /// `a - b`, where the difference of two binary64s may be out of range.
    pub fn difference(a: f64, b: f64) -> Wide {
        let d = a - b;
        if d.is_finite() || !a.is_finite() || !b.is_finite() {
            return Wide::new(d);
        }
        // Both are at least 2^970 in size: halving them is exact.
        let half = Wide::new(a * 0.5 - b * 0.5);
        Wide {
            m: half.m,
            e: half.e + 1,
        }
    }

    pub fn times(self, other: Wide) -> Wide {
        let p = Wide::new(self.m * other.m);
        Wide {
            m: p.m,
            e: p.e.saturating_add(self.e).saturating_add(other.e),
        }
    }

    /// Missing (NaN) when `other` is zero.
    pub fn over(self, other: Wide) -> Wide {
        if other.m == 0.0 {
            return Wide::new(f64::NAN);
        }
        let q = Wide::new(self.m / other.m);
        Wide {
            m: q.m,
            e: q.e.saturating_add(self.e).saturating_sub(other.e),
        }
    }

    pub fn plus(self, other: Wide) -> Wide {
        if self.m == 0.0 || !other.m.is_finite() {
            return other;
        }
        if other.m == 0.0 || !self.m.is_finite() {
            return self;
        }
        // Scaled by the larger exponent, both are below 2 in size and their
        // sum below 4.
        let top = self.e.max(other.e);
        let s =
            times_power_of_two(self.m, self.e - top) + times_power_of_two(other.m, other.e - top);
        let w = Wide::new(s);
        Wide {
            m: w.m,
            e: w.e.saturating_add(top),
        }
    }

    /// The binary64 value: infinite when it is beyond range.
    pub fn value(self) -> f64 {
        times_power_of_two(self.m, self.e)
    }
}

/// The mean of `values`, summed oldest first, left to right:
/// `((x1 + x2) + x3) / 3`; missing when a value is, or there are none. A sum
/// beyond range is taken again on the values scaled by a power of two (exact),
/// which gives what binary64 with an unbounded exponent would: the mean of
/// 1e308 and 1e308 is 1e308.
pub fn mean(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let sum = values.iter().fold(0.0, |a, v| a + v);
    if sum.is_finite() || sum.is_nan() {
        return finite(sum / n);
    }
    let top = largest_exponent(values);
    let scaled = values
        .iter()
        .fold(0.0, |a, v| a + times_power_of_two(*v, -top));
    finite(times_power_of_two(scaled / n, top))
}

/// The largest [`exponent`] among the values that are neither zero nor
/// missing (0 when there is none).
pub fn largest_exponent(values: &[f64]) -> i32 {
    values
        .iter()
        .filter(|v| **v != 0.0 && v.is_finite())
        .map(|v| exponent(*v))
        .max()
        .unwrap_or(0)
}

/// `p0 + ((p1 - p0) × (x - x0)) / (x1 - x0)` (without `p0 +` when `p0` is
/// 0), before clamping: the `scale` of points. Steps beyond range, above or
/// below, are taken with an unbounded exponent ([`Wide`]), so
/// `scale 0 => 0, 1e308 => 1e308` gives 10 at 10; a result beyond range is
/// infinite, which clamping turns into the nearer end.
pub fn scale(x: f64, (x0, p0): (f64, f64), (x1, p1): (f64, f64)) -> f64 {
    let (rise, run) = (p1 - p0, x1 - x0);
    let step = rise * (x - x0);
    // A step below the normal range has lost digits (`1e-200 × 1e-200`).
    let underflow = step.abs() < f64::MIN_POSITIVE && rise != 0.0 && x != x0;
    if (step.is_finite() && rise.is_finite() && run.is_finite() && !underflow) || x.is_nan() {
        return if p0 == 0.0 {
            step / run
        } else {
            p0 + step / run
        };
    }
    let q = Wide::difference(p1, p0)
        .times(Wide::difference(x, x0))
        .over(Wide::difference(x1, x0));
    if p0 == 0.0 {
        q.value()
    } else {
        Wide::new(p0).plus(q).value()
    }
}

/// `100 × (x - lo) / (hi - lo)`, the position of `x` between its peers'
/// lowest and highest; steps beyond range are taken with an unbounded
/// exponent ([`Wide`]).
pub fn min_max(x: f64, lo: f64, hi: f64) -> f64 {
    let (above, range) = (100.0 * (x - lo), hi - lo);
    if above.is_finite() && range.is_finite() {
        return finite(above / range);
    }
    finite(
        Wide::new(100.0)
            .times(Wide::difference(x, lo))
            .over(Wide::difference(hi, lo))
            .value(),
    )
}

/// `(x - previous) / previous`; the difference, when beyond range, is
/// taken with an unbounded exponent ([`Wide`]). Missing when `previous` is 0.
pub fn pct_change(x: f64, previous: f64) -> f64 {
    let d = x - previous;
    if d.is_finite() || d.is_nan() {
        return arith(BinOp::Div, d, previous);
    }
    finite(
        Wide::difference(x, previous)
            .over(Wide::new(previous))
            .value(),
    )
}

/// `a × x + (1 - a) × previous`, exponential smoothing; steps beyond range
/// are taken with an unbounded exponent ([`Wide`]).
pub fn smooth(a: f64, x: f64, previous: f64) -> f64 {
    let direct = a * x + (1.0 - a) * previous;
    if direct.is_finite() || x.is_nan() || previous.is_nan() {
        return finite(direct);
    }
    finite(
        Wide::new(a)
            .times(Wide::new(x))
            .plus(Wide::new(1.0 - a).times(Wide::new(previous)))
            .value(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_is_the_libraries_floor() {
        let edges = [
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.0,
            -1.0,
            2.5,
            -2.5,
            4_503_599_627_370_495.5,
            -4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            -4_503_599_627_370_497.0,
            1e300,
            -1e300,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for x in edges {
            assert_eq!(floor(x).to_bits(), x.floor().to_bits(), "{x:e}");
        }
        assert!(floor(f64::NAN).is_nan());
    }

    proptest::proptest! {
        #[test]
        fn floor_agrees_everywhere(bits in proptest::prelude::any::<u64>(), y in -1e7f64..1e7) {
            let x = f64::from_bits(bits);
            if !x.is_nan() {
                proptest::prop_assert_eq!(floor(x).to_bits(), x.floor().to_bits());
            }
            proptest::prop_assert_eq!(floor(y).to_bits(), y.floor().to_bits());
        }
    }

    #[test]
    fn division_by_zero_is_missing() {
        assert!(arith(BinOp::Div, 1.0, 0.0).is_nan());
        assert!(arith(BinOp::Div, 0.0, 0.0).is_nan());
        assert_eq!(arith(BinOp::Div, 1.0, 4.0), 0.25);
    }

    #[test]
    fn overflow_is_missing() {
        assert!(arith(BinOp::Mul, 1e308, 10.0).is_nan());
    }

    #[test]
    fn kleene_logic() {
        assert_eq!(and(0, MISSING_BOOL), 0);
        assert_eq!(and(1, MISSING_BOOL), MISSING_BOOL);
        assert_eq!(or(1, MISSING_BOOL), 1);
        assert_eq!(or(0, MISSING_BOOL), MISSING_BOOL);
        assert_eq!(not(MISSING_BOOL), MISSING_BOOL);
        assert_eq!(compare(CmpOp::Gt, f64::NAN, 1.0), MISSING_BOOL);
    }

    #[test]
    fn exponents_and_powers_of_two_cover_subnormals() {
        assert_eq!(exponent(1.0), 0);
        assert_eq!(exponent(-3.0), 1);
        assert_eq!(exponent(f64::MAX), 1023);
        assert_eq!(exponent(f64::MIN_POSITIVE), -1022);
        assert_eq!(exponent(5e-324), -1074);
        assert_eq!(times_power_of_two(1.0, 1074), f64::INFINITY);
        assert_eq!(times_power_of_two(5e-324, 1074), 1.0);
        assert_eq!(times_power_of_two(1.0, -1074), 5e-324);
        assert_eq!(times_power_of_two(1.0, -1075), 0.0);
    }

    #[test]
    fn wide_steps_beyond_range_give_results_in_range() {
        // (1.5e308 - -1.5e308) / 3e307 = 10, though the difference overflows.
        let d = Wide::difference(1.5e308, -1.5e308);
        assert_eq!(d.over(Wide::new(3e307)).value(), 10.0);
        assert_eq!(d.value(), f64::INFINITY);
        // 1e308 × 10 / 1e308 = 10.
        let q = Wide::new(1e308)
            .times(Wide::new(10.0))
            .over(Wide::new(1e308));
        assert_eq!(q.value(), 10.0);
        assert!(Wide::new(1.0).over(Wide::new(0.0)).value().is_nan());
        assert_eq!(Wide::new(-1e308).plus(Wide::new(1e308)).value(), 0.0);
        assert_eq!(mean(&[1e308, 1e308]), 1e308);
        assert!(mean(&[1.0, f64::NAN]).is_nan());
        assert!(mean(&[]).is_nan());
        assert_eq!(scale(10.0, (0.0, 0.0), (1e308, 1e308)), 10.0);
        // 100 × 1.5e308 is rounded before the division, as 100 × 1.5 would be.
        assert!((min_max(0.0, -1.5e308, 1.5e308) - 50.0).abs() < 1e-12);
        assert_eq!(pct_change(1.5e308, -1.5e308), -2.0);
        assert!(pct_change(1.0, 0.0).is_nan());
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_half_away(0.125, 2), 0.13);
        assert_eq!(round_half_away(-0.125, 2), -0.13);
        assert_eq!(round_half_away(2.5, 0), 3.0);
    }
}
