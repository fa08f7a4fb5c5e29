//! Render: evaluated rows to CSV (and, in `json`, JSON and NDJSON; in
//! `xlsx`, an Excel workbook; in `parquet`, a Parquet file).

pub mod csv;
pub mod json;
pub mod parquet;
pub mod table;
pub mod xlsx;

use crate::data::table::{MISSING_BOOL, MISSING_LABEL};
use crate::eval::{Batch, Col, actions_of, flags_of};
use crate::model::Type;
use crate::ops::scaled_half_away;
use crate::plan::OutputColumn;

/// Append `x` with `decimals` decimals: its exact stored value rounded to
/// the nearest multiple of 10^-decimals, a tie away from zero, with a minus
/// sign when `x` is negative and the result is not zero.
///
/// The rounded value `k / 10^d` is found with whole numbers alone
/// ([`scaled_half_away`]), so no step of it is rounded in binary64.
pub fn push_decimal(out: &mut String, x: f64, decimals: u32) {
    let Some(k) = scaled_half_away(x, decimals) else {
        push_whole_or_other(out, x, decimals);
        return;
    };
    if x.is_sign_negative() && k > 0 {
        out.push('-');
    }
    let mut digits = itoa::Buffer::new();
    // The common case in 64 bits: the digits of k once, the point put in
    // among them (no division by 10^decimals).
    if let Ok(k) = u64::try_from(k) {
        push_scaled(out, digits.format(k), decimals as usize);
    } else {
        let unit = 10u128.pow(decimals);
        out.push_str(digits.format(k / unit));
        // Below 10^decimals, which fits in 64 bits.
        push_fraction(out, u64::try_from(k % unit).unwrap_or(0), decimals);
    }
}

/// The decimal digits of `k` written as `k / 10^decimals`: the whole part
/// (at least `0`), then `.` and exactly `decimals` digits (none for none).
fn push_scaled(out: &mut String, k: &str, decimals: usize) {
    match k.len().checked_sub(decimals) {
        Some(whole) if whole > 0 => {
            let (int, fraction) = k.split_at_checked(whole).unwrap_or((k, ""));
            out.push_str(int);
            if decimals > 0 {
                out.push('.');
                out.push_str(fraction);
            }
        }
        _ => {
            out.push('0');
            if decimals > 0 {
                out.push('.');
                for _ in k.len()..decimals {
                    out.push('0');
                }
                out.push_str(k);
            }
        }
    }
}

/// `.` and `fraction` zero-padded to `decimals` digits (nothing for none).
fn push_fraction(out: &mut String, fraction: u64, decimals: u32) {
    if decimals == 0 {
        return;
    }
    out.push('.');
    let mut digits = itoa::Buffer::new();
    let text = digits.format(fraction);
    for _ in text.len()..decimals as usize {
        out.push('0');
    }
    out.push_str(text);
}

/// The numbers [`scaled_half_away`] leaves out: whole numbers too large for
/// 128 bits, written digit for digit (the formatter writes a whole binary64
/// exactly), and, should one come, a NaN or an infinity.
fn push_whole_or_other(out: &mut String, x: f64, decimals: u32) {
    if x.is_finite() && x.fract() == 0.0 {
        if x < 0.0 {
            out.push('-');
        }
        out.push_str(&format!("{:.0}", x.abs()));
        push_fraction(out, 0, decimals);
    } else {
        out.push_str(&format!("{x:.prec$}", prec = decimals as usize));
    }
}

fn push_u64(out: &mut String, v: u64) {
    out.push_str(itoa::Buffer::new().format(v));
}

/// Row `i`'s governance: the override label replacing a tier column's
/// value, when an override applies to the row.
pub fn overridden<'g>(
    batch: &Batch<'_>,
    column: &OutputColumn,
    i: usize,
    gov: Option<&'g crate::govern::Governance>,
) -> Option<&'g str> {
    let crate::plan::CExpr::Tier(score) = column.expr else {
        return None;
    };
    let row = *batch.rows.get(i)?;
    let o = gov?.overrides.as_ref()?.at(row, score)?;
    Some(o.tier_label.as_str())
}

/// Row `i`'s computed tier label index of `score`.
pub fn computed_tier(batch: &Batch<'_>, score: crate::model::ScoreId, i: usize) -> Option<u32> {
    batch
        .scores
        .get(score.index())
        .and_then(Option::as_ref)
        .and_then(|s| s.computed_tier.as_ref().unwrap_or(&s.tier).get(i).copied())
}

/// The extra cells governance adds to row `i` (see `govern::notes::cells`).
pub fn governance_cells(
    batch: &Batch<'_>,
    i: usize,
    gov: Option<&crate::govern::Governance>,
) -> Vec<String> {
    match (gov, batch.rows.get(i)) {
        (Some(g), Some(row)) => {
            crate::govern::notes::cells(batch.ctx.model, g, *row, &|s| computed_tier(batch, s, i))
        }
        _ => Vec::new(),
    }
}

/// A number cell of `column`: its `if missing` text when `x` is missing.
#[inline]
pub fn push_number(out: &mut String, x: f64, column: &OutputColumn) {
    if x.is_nan() {
        if let Some(text) = &column.if_missing {
            out.push_str(text);
        }
    } else if column.ty == Type::Integer && x.fract() == 0.0 {
        if x.abs() < 1e18 {
            if x < 0.0 {
                out.push('-');
            }
            push_u64(out, x.abs() as u64);
        } else {
            // A whole number of any size, without decimals.
            push_decimal(out, x, 0);
        }
    } else {
        push_decimal(out, x, column.decimals);
    }
}

/// The text of output value `i` of column `c` (without CSV quoting).
pub fn cell(batch: &Batch<'_>, column: &OutputColumn, value: &Col, i: usize, out: &mut String) {
    let missing = |out: &mut String| {
        if let Some(text) = &column.if_missing {
            out.push_str(text);
        }
    };
    match value {
        Col::Num(v) => push_number(out, v.get(i).copied().unwrap_or(f64::NAN), column),
        Col::Bool(v) => match v.get(i).copied().unwrap_or(MISSING_BOOL) {
            0 => out.push_str("false"),
            1 => out.push_str("true"),
            _ => missing(out),
        },
        Col::Label(v) => {
            let l = v.get(i).copied().unwrap_or(MISSING_LABEL);
            let labels = match column.ty {
                Type::Enum(e) => batch.ctx.model.enum_type(e),
                _ => None,
            };
            match labels.and_then(|t| t.labels.get(l as usize)) {
                Some(text) if l != MISSING_LABEL => out.push_str(text),
                _ => missing(out),
            }
        }
        Col::Text(v) => match v.get(i) {
            Some(t) if !t.is_empty() => out.push_str(t),
            _ => missing(out),
        },
        Col::Actions => list(out, &actions_of(batch, i), column),
        Col::FlagNames => list(out, &flags_of(batch, i), column),
    }
}

fn list(out: &mut String, items: &[&str], column: &OutputColumn) {
    if items.is_empty() {
        if let Some(text) = &column.if_empty {
            out.push_str(text);
        }
        return;
    }
    for (k, item) in items.iter().enumerate() {
        if k > 0 {
            out.push(';');
        }
        out.push_str(item);
    }
}

#[cfg(test)]
mod tests {
    use super::push_decimal;

    fn fmt(x: f64, d: u32) -> String {
        let mut s = String::new();
        push_decimal(&mut s, x, d);
        s
    }

    #[test]
    fn decimals_round_half_away_from_zero() {
        assert_eq!(fmt(0.125, 2), "0.13");
        assert_eq!(fmt(-0.125, 2), "-0.13");
        assert_eq!(fmt(66.666_666, 2), "66.67");
        assert_eq!(fmt(-0.001, 2), "0.00");
        assert_eq!(fmt(100.0, 2), "100.00");
        assert_eq!(fmt(0.05, 1), "0.1");
        assert_eq!(fmt(1234.5, 0), "1235");
        assert_eq!(fmt(0.0, 3), "0.000");
        assert_eq!(fmt(1.005, 2), "1.00");
        assert_eq!(fmt(0.5, 0), "1");
        assert_eq!(fmt(0.04, 1), "0.0");
        assert_eq!(fmt(0.001, 3), "0.001");
        assert_eq!(fmt(-7.5, 3), "-7.500");
        assert_eq!(fmt(123_456.789, 1), "123456.8");
    }

    /// The digits with the point put in agree with whole and fraction
    /// written apart, for every number of digits around the point.
    #[test]
    fn scaled_digits_match_whole_and_fraction() {
        for decimals in 0..=6u32 {
            for k in [
                0u64, 1, 9, 10, 99, 100, 101, 999, 1000, 12_345, 1_000_000, 7_654_321,
            ] {
                let mut got = String::new();
                super::push_scaled(&mut got, &k.to_string(), decimals as usize);
                let unit = 10u64.pow(decimals);
                let want = if decimals == 0 {
                    k.to_string()
                } else {
                    format!(
                        "{}.{:0width$}",
                        k / unit,
                        k % unit,
                        width = decimals as usize
                    )
                };
                assert_eq!(got, want, "k = {k}, decimals = {decimals}");
            }
        }
    }
}
