//! Scalar semantics shared by the evaluator and constant folding.
//!
//! Numbers are binary64; a missing number is NaN, and no operation lets a NaN
//! or an infinity stand for anything else: division by zero, overflow and
//! domain errors give missing. Truth values are 0, 1 and [`MISSING_BOOL`].

use crate::data::table::MISSING_BOOL;
use crate::syntax::ast::{BinOp, CmpOp};

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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_half_away(0.125, 2), 0.13);
        assert_eq!(round_half_away(-0.125, 2), -0.13);
        assert_eq!(round_half_away(2.5, 0), 3.0);
    }
}
