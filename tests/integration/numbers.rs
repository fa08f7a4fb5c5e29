//! Exact numbers at the edges: output rounding and `round` on the exact
//! stored value of every binary64, checked against an arbitrary-precision
//! reference.

use num_bigint::BigUint;
use proptest::prelude::*;
use scorecard::eval::ops::round_half_away;
use scorecard::render::push_decimal;

/// `x` written with `d` decimals by the renderer.
fn written(x: f64, d: u32) -> String {
    let mut s = String::new();
    push_decimal(&mut s, x, d);
    s
}

/// `(negative, m, e)` with `|x| = m × 2^e` exactly.
fn decompose(x: f64) -> (bool, u64, i32) {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    let (m, e) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | 1 << 52, biased - 1075)
    };
    (bits >> 63 == 1, m, e)
}

/// The documented rule, in arbitrary precision: the exact value of `x`
/// rounded to `d` decimals, a tie away from zero; a minus sign when `x` is
/// negative and the result is not zero.
fn reference(x: f64, d: u32) -> String {
    let (negative, m, e) = decompose(x);
    let n = BigUint::from(m) * BigUint::from(10u32).pow(d);
    let k = if e >= 0 {
        n << e.unsigned_abs()
    } else {
        // floor(n / 2^s + 1/2) = floor((2n + 2^s) / 2^(s+1)).
        let s = e.unsigned_abs();
        (n * 2u32 + (BigUint::from(1u32) << s)) >> (s + 1)
    };
    let zero = k == BigUint::from(0u32);
    let mut digits = k.to_string();
    let d = d as usize;
    while digits.len() < d + 1 {
        digits.insert(0, '0');
    }
    let (whole, fraction) = digits.split_at(digits.len() - d);
    let sign = if negative && !zero { "-" } else { "" };
    if d == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    }
}

/// `round(x, d)` by the reference: the binary64 nearest to the rounded
/// decimal (the parser rounds correctly), zero without a sign.
fn reference_round(x: f64, d: u32) -> f64 {
    let v: f64 = reference(x, d).parse().unwrap();
    if v == 0.0 { 0.0 } else { v }
}

#[test]
fn the_reference_follows_the_documented_examples() {
    for (x, d, text) in [
        (0.125, 2, "0.13"),
        (-0.125, 2, "-0.13"),
        (66.666_666_666, 2, "66.67"),
        (-0.001, 2, "0.00"),
        (2.5, 0, "3"),
        (-2.5, 0, "-3"),
        (1.005, 2, "1.00"),
    ] {
        assert_eq!(reference(x, d), text, "{x} with {d} decimals");
        assert_eq!(written(x, d), text, "{x} with {d} decimals");
    }
}

#[test]
fn whole_numbers_up_to_2_to_the_53_are_written_as_they_are() {
    // 2^52 + 1: adding one half in binary64 rounded it to 2^52 + 2.
    assert_eq!(written(4_503_599_627_370_497.0, 0), "4503599627370497");
    assert_eq!(written(-4_503_599_627_370_497.0, 0), "-4503599627370497");
    assert_eq!(written(4_503_599_627_370_497.0, 2), "4503599627370497.00");
    assert_eq!(written(9_007_199_254_740_991.0, 0), "9007199254740991");
    assert_eq!(written(9_007_199_254_740_992.0, 1), "9007199254740992.0");
}

#[test]
fn the_largest_binary64_below_one_half_rounds_to_zero() {
    let below_half = 0.499_999_999_999_999_94;
    assert!(below_half < 0.5);
    assert_eq!(written(below_half, 0), "0");
    assert_eq!(written(-below_half, 0), "0");
    assert_eq!(written(0.5, 0), "1");
    assert_eq!(round_half_away(below_half, 0), 0.0);
    assert_eq!(round_half_away(-below_half, 0), 0.0);
    assert_eq!(round_half_away(0.5, 0), 1.0);
    assert_eq!(round_half_away(-0.5, 0), -1.0);
}

#[test]
fn seventeen_significant_digits_are_rounded_from_the_stored_value() {
    // Stored as 123456789012345.671875: `.67`, not `.68`.
    assert_eq!(written(123_456_789_012_345.67, 2), "123456789012345.67");
    assert_eq!(
        round_half_away(123_456_789_012_345.67, 2),
        123_456_789_012_345.67
    );
    assert_eq!(written(-123_456_789_012_345.67, 1), "-123456789012345.7");
}

#[test]
fn the_extremes_are_written_digit_for_digit() {
    for x in [
        f64::MAX,
        -f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
        -5e-324,
        1e300,
        18_446_744_073_709_551_616.0,
        0.0,
        -0.0,
    ] {
        for d in [0, 2, 9] {
            assert_eq!(written(x, d), reference(x, d), "{x:e} with {d} decimals");
            assert_eq!(
                round_half_away(x, d as i32).to_bits(),
                reference_round(x, d).to_bits(),
                "round({x:e}, {d})"
            );
        }
    }
}

/// Any finite binary64, of any magnitude.
fn any_finite() -> impl Strategy<Value = f64> {
    any::<u64>()
        .prop_map(f64::from_bits)
        .prop_filter("finite", |x| x.is_finite())
}

/// Numbers at and next to a decimal tie `(k + 1/2) / 10^d`, where a
/// rounding in binary64 goes wrong.
fn near_ties() -> impl Strategy<Value = (f64, u32)> {
    (0u64..1 << 60, 0u32..=9, -2i64..=2, any::<bool>()).prop_map(|(k, d, step, negative)| {
        let tie = (k as f64 + 0.5) / 10f64.powi(d as i32);
        let bits = tie.to_bits() as i64 + step;
        let x = f64::from_bits(bits.max(0) as u64);
        (if negative { -x } else { x }, d)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn every_binary64_is_written_by_the_documented_rule(x in any_finite(), d in 0u32..=9) {
        prop_assert_eq!(written(x, d), reference(x, d));
    }

    #[test]
    fn numbers_next_to_ties_are_written_by_the_documented_rule((x, d) in near_ties()) {
        prop_assert_eq!(written(x, d), reference(x, d));
    }

    #[test]
    fn numbers_of_everyday_size_are_written_by_the_documented_rule(
        x in -1e16f64..1e16, d in 0u32..=9,
    ) {
        prop_assert_eq!(written(x, d), reference(x, d));
    }

    #[test]
    fn round_gives_the_binary64_nearest_the_rounded_decimal(x in any_finite(), d in 0u32..=9) {
        prop_assert_eq!(round_half_away(x, d as i32).to_bits(), reference_round(x, d).to_bits());
    }

    #[test]
    fn round_next_to_ties_gives_the_nearest_binary64((x, d) in near_ties()) {
        prop_assert_eq!(round_half_away(x, d as i32).to_bits(), reference_round(x, d).to_bits());
    }
}
