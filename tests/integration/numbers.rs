//! Exact numbers at the edges: output rounding and `round` on the exact
//! stored value of every binary64 (checked against an arbitrary-precision
//! reference), `tenure` only from periods written in one form, and no step
//! beyond the range of binary64 turning into a plausible number.

use num_bigint::BigUint;
use proptest::prelude::*;
use scorecard::eval;
use scorecard::eval::ops::{self, round_half_away};
use scorecard::render::push_decimal;

use crate::support::*;

const INPUT: &str =
    "scorecard \"t\" version \"1\"\ninput {\n  key id\n  period q\n  x: number, optional\n}\n";

/// A scorecard with `body`, whose test gives a row `(id, q, x)` each.
fn scorecard_with(body: &str, rows: &[(&str, &str, &str)]) -> String {
    let mut t = format!("{INPUT}{body}\ntest \"rows\" {{\n");
    for (id, q, x) in rows {
        t.push_str(&format!("  given {{ id: \"{id}\", q: \"{q}\", x: {x} }}\n"));
    }
    t.push_str("  partner \"p1\"\n  expect x is not missing\n}\n");
    t
}

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

#[test]
fn whole_numbers_of_any_size_are_written_whole_in_integer_columns() {
    let rows = [
        ("p1", "2025Q1", "1e20"),
        ("p2", "2025Q1", "-3e300"),
        ("p3", "2025Q1", "12"),
    ];
    let out = score(&scorecard_with("output { v = round(x) }", &rows));
    assert_eq!(
        out,
        format!("v\n100000000000000000000\n{}\n12\n", written(-3e300, 0))
    );
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

// ---------------------------------------------------------------------------
// `tenure` counts periods written in one form.

const D025_CARD: &str = "tests/fixtures/check/D025.scorecard";
const D025_DATA: &str = "tests/fixtures/check/D025.csv";

#[test]
fn periods_in_two_forms_are_refused_with_both_labels_and_lines() {
    let out = scorecard(&["score", D025_CARD, "--data", D025_DATA]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert_eq!(stdout(&out), "", "no row is scored");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(stderr.contains("D025"), "{stderr}");
    insta::with_settings!({
        snapshot_path => "../snapshots/diagnostics",
        prepend_module_to_snapshot => false,
        omit_expression => true,
        description => "D025 mixed-period-formats",
    }, {
        insta::assert_snapshot!("D025_human", stderr);
    });
}

#[test]
fn periods_in_two_forms_are_refused_under_skip_too() {
    let dir = temp_dir("d025-skip");
    let rejects = dir.join("rejects.csv");
    let out = scorecard(&[
        "score",
        D025_CARD,
        "--data",
        D025_DATA,
        "--on-invalid",
        "skip",
        "--rejects",
        rejects.to_str().unwrap(),
    ]);
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "");
    assert!(String::from_utf8_lossy(&out.stderr).contains("D025"));
}

/// Years beside quarters, months beside quarters, a lowercase `q` beside an
/// uppercase one, a recognised form beside another label: each pair is
/// refused, with the first label of each form and its line.
#[test]
fn every_pair_of_forms_is_refused() {
    let dir = temp_dir("d025-pairs");
    for (a, b) in [
        ("2025-01", "2025Q1"),
        ("2024", "2025Q1"),
        ("2025Q1", "2025q2"),
        ("2025Q1", "2025-03-31"),
        ("2025", "FY26"),
    ] {
        let data = dir.join("d.csv");
        std::fs::write(
            &data,
            format!("partner_id,quarter,revenue\nP1,{a},1\nP2,{a},1\nP1,{b},2\n"),
        )
        .unwrap();
        let out = scorecard(&["score", D025_CARD, "--data", data.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "{a} and {b}: {stderr}");
        assert!(
            stderr.contains(&format!("period `{b}`"))
                && stderr.contains(&format!("`{a}` on line 2")),
            "{a} and {b}: {stderr}"
        );
        assert_eq!(stdout(&out), "");
    }
}

#[test]
fn tenure_counts_periods_of_one_form_across_gaps() {
    let card = format!(
        "{INPUT}output {{ id q t = tenure }}\n{}",
        "test \"rows\" {\n  given { id: \"p1\", q: \"2024Q3\", x: 1 }\n  given { id: \"p1\", q: \"2025Q2\", x: 1 }\n  given { id: \"p2\", q: \"2024-11\", x: 1 }\n  partner \"p1\"\n  expect x is not missing\n}\n"
    );
    // The two partners mix quarters and months: no tenure at all.
    assert_eq!(
        score(&card),
        "id,q,t\np1,2024Q3,\np1,2025Q2,\np2,2024-11,\n"
    );
    let one_form = card.replace("2024-11", "2024Q4");
    assert_eq!(
        score(&one_form),
        "id,q,t\np1,2024Q3,0\np1,2025Q2,3\np2,2024Q4,0\n"
    );
    for (first, later, tenure) in [
        ("2023", "2025", 2),
        ("2024-11", "2025-02", 3),
        ("2024q4", "2025q1", 1),
    ] {
        let text = one_form
            .replace("2024Q3", first)
            .replace("2025Q2", later)
            .replace("2024Q4", first);
        assert_eq!(
            score(&text),
            format!("id,q,t\np1,{first},0\np1,{later},{tenure}\np2,{first},0\n")
        );
    }
}

#[test]
fn a_test_whose_rows_mix_forms_is_not_run() {
    let dir = temp_dir("d025-test");
    let card = dir.join("t.scorecard");
    std::fs::write(
        &card,
        format!(
            "{INPUT}rule old {{ when tenure > 4 action \"a\" }}\n{}",
            "test \"mixed\" {\n  given { id: \"p1\", q: \"2025Q1\", x: 1 }\n  given { id: \"p1\", q: \"2025-01\", x: 1 }\n  partner \"p1\"\n  period \"2025Q1\"\n  expect x is not missing\n}\n"
        ),
    )
    .unwrap();
    let out = scorecard(&["test", card.to_str().unwrap()]);
    let all = format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
    assert_ne!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("E002"), "{all}");
    assert!(
        all.contains("`2025-01`") && all.contains("`2025Q1`"),
        "{all}"
    );
}

#[test]
fn only_four_digits_make_a_year() {
    use scorecard::eval::{PeriodFormat, period_format};
    for label in [
        "+202", "-999", " 202", "2025-+1", "2025-1", "2025Q5", "2025Q0", "2025-13", "2025-00",
        "2025Q+",
    ] {
        assert_eq!(period_format(label), (PeriodFormat::Other, None), "{label}");
    }
    assert_eq!(period_format("2025"), (PeriodFormat::Year, Some(2025)));
    assert_eq!(
        period_format("2025Q4"),
        (PeriodFormat::Quarter, Some(2025 * 4 + 3))
    );
    assert_eq!(
        period_format("2025q1"),
        (PeriodFormat::LowerQuarter, Some(2025 * 4))
    );
    assert_eq!(
        period_format("2025-12"),
        (PeriodFormat::Month, Some(2025 * 12 + 11))
    );
}

/// A period label in one of the forms, or another label.
fn any_label() -> impl Strategy<Value = String> {
    (0u8..5, 1990u32..2040, 1u32..13).prop_map(|(form, year, n)| match form {
        0 => format!("{year}"),
        1 => format!("{year}Q{}", (n - 1) % 4 + 1),
        2 => format!("{year}q{}", (n - 1) % 4 + 1),
        3 => format!("{year}-{n:02}"),
        _ => format!("{year}-{n:02}-01"),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Tenure is a whole number of periods when every label is written in
    /// one form, and missing — never a number — when they are not.
    #[test]
    fn tenure_is_a_count_of_periods_or_missing(
        labels in proptest::collection::vec(any_label(), 1..6),
    ) {
        let mut distinct = labels.clone();
        distinct.sort();
        distinct.dedup();
        let rows: Vec<(&str, &str, &str)> = distinct.iter().map(|l| ("p1", l.as_str(), "1")).collect();
        let out = score(&scorecard_with("output { q t = tenure }", &rows));
        let forms: std::collections::HashSet<_> = distinct
            .iter()
            .map(|l| eval::period_format(l).0)
            .collect();
        let tenures: Vec<&str> = out.lines().skip(1).map(|l| l.rsplit(',').next().unwrap()).collect();
        if forms.len() > 1 {
            prop_assert!(tenures.iter().all(|t| t.is_empty()), "{out}");
        } else {
            let first = eval::period_index(&distinct[0]);
            for (label, t) in distinct.iter().zip(&tenures) {
                let expected = match (first, eval::period_index(label)) {
                    (Some(a), Some(b)) => b - a,
                    _ => distinct.iter().position(|l| l == label).unwrap() as i64,
                };
                prop_assert_eq!(t.to_string(), expected.to_string(), "{}", out);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// No step beyond the range of binary64 becomes a plausible number.

/// One output column `body` over peers `xs` in one period, with 2 decimals.
fn column(body: &str, xs: &[&str]) -> Vec<String> {
    let ids: Vec<String> = (0..xs.len()).map(|i| format!("p{}", i + 1)).collect();
    let rows: Vec<(&str, &str, &str)> = ids
        .iter()
        .zip(xs)
        .map(|(id, x)| (id.as_str(), "2025Q1", *x))
        .collect();
    let out = score(&scorecard_with(&format!("output {{ v = {body} }}"), &rows));
    out.lines().skip(1).map(str::to_string).collect()
}

/// One output column `body` along one partner's history `xs`.
fn history(body: &str, xs: &[&str]) -> Vec<String> {
    let periods: Vec<String> = (0..xs.len()).map(|i| format!("{}", 2000 + i)).collect();
    let rows: Vec<(&str, &str, &str)> = periods
        .iter()
        .zip(xs)
        .map(|(q, x)| ("p1", q.as_str(), *x))
        .collect();
    let out = score(&scorecard_with(&format!("output {{ v = {body} }}"), &rows));
    out.lines().skip(1).map(str::to_string).collect()
}

#[test]
fn zscore_over_huge_and_tiny_peers_is_the_zscore() {
    let expected = ["-0.71", "-0.71", "1.41"];
    assert_eq!(column("zscore(x)", &["1e160", "1e160", "2e160"]), expected);
    assert_eq!(column("zscore(x)", &["1e300", "1e300", "2e300"]), expected);
    assert_eq!(
        column("zscore(x)", &["1e-170", "1e-170", "2e-170"]),
        expected
    );
    assert_eq!(column("zscore(x)", &["1", "1", "2"]), expected);
    // Values far apart in size: the sum of the largest overflows.
    assert_eq!(
        column("zscore(x)", &["1.7e308", "1.7e308", "-1.7e308"]),
        ["0.71", "0.71", "-1.41"]
    );
}

#[test]
fn minmax_over_peers_spanning_the_whole_range() {
    assert_eq!(
        column("minmax(x)", &["-1.5e308", "0", "1.5e308"]),
        ["0.00", "50.00", "100.00"]
    );
    assert_eq!(
        column("minmax(x)", &["0", "1e307", "2e307"]),
        ["0.00", "50.00", "100.00"]
    );
}

#[test]
fn scale_points_whose_steps_overflow() {
    let card = |points: &str, x: &str| {
        let text = scorecard_with(
            &format!(
                "metric m {{ owner \"o\" source \"s\" value x points scale {points} }}\nscore s {{ weights {{ m 100 }} }}\noutput {{ v = points(m) }}"
            ),
            &[("p1", "2025Q1", x)],
        );
        score(&text).lines().nth(1).unwrap().to_string()
    };
    assert_eq!(card("0 => 0, 1e308 => 1e308", "10"), "10.00");
    assert_eq!(card("0 => 0, 1e308 => 1e308", "-5"), "0.00");
    assert_eq!(card("0 => 0, 1e308 => 1e308", "1e308"), written(1e308, 2));
    assert_eq!(card("0 => 0, 1e308 => 1e308", "5e307"), written(5e307, 2));
    assert_eq!(card("-1e308 => 0, 1e308 => 100", "0"), "50.00");
    assert_eq!(card("-1e308 => 0, 1e308 => 100", "-1e308"), "0.00");
    assert_eq!(
        card("0 => -1.5e308, 100 => 1.5e308", "100"),
        written(1.5e308, 2)
    );
    // As binary64 would give it with an unbounded exponent: the same steps
    // on the ends divided by 2^10, which stay in range (the division is
    // exact), multiplied back. At 50 that is one unit in the last place of
    // 1.5e308 (2^971), not 0: `3e308 × 50` is rounded before it is divided
    // by 100, as it would be for `3 × 50`.
    let (p0, p1, k) = (-1.5e308f64, 1.5e308f64, 1024.0);
    for x in [50.0, 90.0, 1.0] {
        let scaled = p0 / k + ((p1 / k - p0 / k) * x) / 100.0;
        assert_eq!(
            card("0 => -1.5e308, 100 => 1.5e308", &x.to_string()),
            written(scaled * k, 2),
            "at {x}"
        );
    }
}

#[test]
fn history_functions_over_huge_values() {
    // The mean as binary64 would give it with an unbounded exponent: the
    // sum of halves (halving is exact) is half the rounded sum.
    let (x1, x2, x3) = (1e308f64, 1.5e308f64, 1.7e308f64);
    assert_eq!(
        history("moving_average(x, 2)", &["1e308", "1.5e308", "1.7e308"]),
        [
            written(x1, 2),
            written(x1 / 2.0 + x2 / 2.0, 2),
            written(x2 / 2.0 + x3 / 2.0, 2)
        ]
    );
    assert_eq!(
        history("trend(x, 3)", &["-1.5e308", "0", "1.5e308"]),
        ["".to_string(), written(1.5e308, 2), written(1.5e308, 2)]
    );
    assert_eq!(
        history("pct_change(x)", &["-1.5e308", "1.5e308"]),
        ["", "-2.00"]
    );
    // The true change is beyond range: missing, as for arithmetic.
    assert_eq!(history("change(x)", &["-1.5e308", "1.5e308"]), ["", ""]);
}

#[test]
fn smoothing_over_huge_values() {
    let (x1, x2, x3) = (1.5e308f64, 1.7e308f64, 1.6e308f64);
    let card = |smoothing: &str| {
        let text = scorecard_with(
            &format!(
                "metric m {{ owner \"o\" source \"s\" value x }}\nscore s {{ weights {{ m 100 }} {smoothing} }}\noutput {{ v = s }}"
            ),
            &[
                ("p1", "2001", "1.5e308"),
                ("p1", "2002", "1.7e308"),
                ("p1", "2003", "1.6e308"),
            ],
        );
        score(&text)
            .lines()
            .skip(1)
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        card("smooth moving_average(2)"),
        [
            written(x1, 2),
            written(x1 / 2.0 + x2 / 2.0, 2),
            written(x2 / 2.0 + x3 / 2.0, 2)
        ]
    );
    let a = 0.5f64;
    let s2 = 2.0 * (a * (x2 / 2.0) + (1.0 - a) * (x1 / 2.0));
    let s3 = 2.0 * (a * (x3 / 2.0) + (1.0 - a) * (s2 / 2.0));
    assert_eq!(
        card("smooth exponential(0.5)"),
        [written(x1, 2), written(s2, 2), written(s3, 2)]
    );
}

/// A moderate binary64, whose steps in these formulas stay in range.
fn moderate() -> impl Strategy<Value = f64> {
    (any::<bool>(), 1f64..1e6).prop_map(|(negative, x)| if negative { -x } else { x })
}

/// A power of two that takes moderate numbers to the edges of the range.
fn far_power() -> impl Strategy<Value = i32> {
    prop_oneof![990i32..1000, -1010i32..-1000]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// `minmax` does not depend on the unit: the peers multiplied by the
    /// same power of two give the same bits, however near the ends of the
    /// range that takes them.
    #[test]
    fn minmax_is_the_same_in_any_power_of_two_unit(
        a in moderate(), b in moderate(), c in moderate(), k in 990i32..1020,
    ) {
        let (lo, hi) = (a.min(b), a.max(b));
        prop_assume!(lo < hi);
        let x = c.clamp(lo, hi);
        let up = |v: f64| ops::times_power_of_two(v, k - 20);
        let direct = ops::min_max(x, lo, hi);
        prop_assert_eq!(ops::min_max(up(x), up(lo), up(hi)).to_bits(), direct.to_bits());
    }

    /// `scale` is linear in the points and invariant in the unit of `x`:
    /// the result of ends multiplied by 2^j (and x, x0, x1 by 2^k) is the
    /// plain result multiplied by 2^j, wherever that is in range.
    #[test]
    fn scale_points_follow_their_unit(
        x0 in moderate(), width in 1f64..1e6, p0 in moderate(), p1 in moderate(),
        x in moderate(), j in far_power(), k in far_power(),
    ) {
        let x1 = x0 + width;
        let plain = ops::scale(x, (x0, p0), (x1, p1));
        let (sx, sp) = (|v: f64| ops::times_power_of_two(v, k), |v: f64| ops::times_power_of_two(v, j));
        // Scaled exactly: none of them made subnormal.
        prop_assume!([sx(x), sx(x0), sx(x1), sp(p0), sp(p1)].iter().all(|v| v.abs() >= f64::MIN_POSITIVE));
        let far = ops::scale(sx(x), (sx(x0), sp(p0)), (sx(x1), sp(p1)));
        let expected = sp(plain);
        prop_assume!(expected.is_finite() && expected.abs() >= f64::MIN_POSITIVE);
        prop_assert_eq!(far.to_bits(), expected.to_bits(), "plain {} far {}", plain, far);
    }

    /// The mean of values multiplied by a power of two is their mean
    /// multiplied by it, also where their sum overflows.
    #[test]
    fn the_mean_follows_the_unit(
        xs in proptest::collection::vec(moderate(), 1..8), k in 990i32..1020,
    ) {
        let up = |v: f64| ops::times_power_of_two(v, k - 20);
        let scaled: Vec<f64> = xs.iter().map(|v| up(*v)).collect();
        let expected = up(ops::mean(&xs));
        prop_assume!(expected.is_finite());
        prop_assert_eq!(ops::mean(&scaled).to_bits(), expected.to_bits());
    }

    /// `pct_change` does not depend on the unit, also where the difference
    /// of the two values overflows.
    #[test]
    fn pct_change_is_the_same_in_any_power_of_two_unit(
        a in moderate(), b in moderate(), k in 990i32..1020,
    ) {
        let up = |v: f64| ops::times_power_of_two(v, k - 20);
        prop_assert_eq!(
            ops::pct_change(up(a), up(b)).to_bits(),
            ops::pct_change(a, b).to_bits()
        );
    }

    /// Exponential smoothing of values multiplied by a power of two is the
    /// smoothed value multiplied by it.
    #[test]
    fn smoothing_follows_the_unit(
        a in 0.01f64..1.0, x in moderate(), previous in moderate(), k in 990i32..1020,
    ) {
        let up = |v: f64| ops::times_power_of_two(v, k - 20);
        let expected = up(ops::smooth(a, x, previous));
        prop_assume!(expected.is_finite());
        prop_assert_eq!(ops::smooth(a, up(x), up(previous)).to_bits(), expected.to_bits());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Standard scores and trends over peers or a history scaled by a power
    /// of two anywhere in the range are the same numbers (z-scores) or the
    /// same numbers scaled (slopes): no step overflows or underflows into a
    /// plausible value.
    #[test]
    fn zscores_and_trends_follow_the_unit(
        xs in proptest::collection::vec(-1000i32..1000, 2..6), k in far_power(),
    ) {
        let plain: Vec<String> = xs.iter().map(|x| format!("{x}")).collect();
        let far: Vec<String> = xs
            .iter()
            .map(|x| format!("{:e}", ops::times_power_of_two(f64::from(*x), k)))
            .collect();
        let plain_refs: Vec<&str> = plain.iter().map(String::as_str).collect();
        let far_refs: Vec<&str> = far.iter().map(String::as_str).collect();
        prop_assert_eq!(column("zscore(x)", &far_refs), column("zscore(x)", &plain_refs));
        prop_assert_eq!(column("minmax(x)", &far_refs), column("minmax(x)", &plain_refs));
        // Slopes scaled back by the same power of two.
        let unit = format!("{:e}", ops::times_power_of_two(1.0, k));
        prop_assert_eq!(
            history(&format!("trend(x, 5) / {unit}"), &far_refs),
            history("trend(x, 5)", &plain_refs)
        );
    }
}
