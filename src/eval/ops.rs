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

/// Half away from zero to `digits` decimals, as computed in binary64.
pub fn round_half_away(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    let k = (x.abs() * scale + 0.5).floor();
    finite(x.signum() * k / scale)
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
