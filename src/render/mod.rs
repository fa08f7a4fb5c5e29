//! Render: evaluated rows to CSV (and, in `json`, JSON and NDJSON).

pub mod csv;
pub mod json;
pub mod table;

use crate::data::table::{MISSING_BOOL, MISSING_LABEL};
use crate::eval::{Batch, Col, actions_of, flags_of};
use crate::model::Type;
use crate::plan::OutputColumn;

/// 10^d, exact in binary64, for the decimals an output may have (0 to 9).
const POWERS: [f64; 10] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/// Append `x` with `decimals` decimals, rounded half away from zero as
/// computed in binary64: `k = floor(|x| * 10^d + 0.5)`, written `k / 10^d`.
pub fn push_decimal(out: &mut String, x: f64, decimals: u32) {
    let scale = POWERS
        .get(decimals as usize)
        .copied()
        .unwrap_or(f64::INFINITY);
    let y = x.abs() * scale + 0.5;
    if y.is_nan() || y >= 1e18 {
        // Beyond exact integers (or NaN): the formatter's correctly rounded form.
        out.push_str(&format!("{x:.prec$}", prec = decimals as usize));
        return;
    }
    // `y` is positive, so truncating is the floor.
    let k = y as u64;
    if x < 0.0 && k > 0 {
        out.push('-');
    }
    let unit = 10u64.pow(decimals);
    let mut digits = itoa::Buffer::new();
    out.push_str(digits.format(k / unit));
    if decimals > 0 {
        out.push('.');
        // The fraction, zero-padded to `decimals` digits: `unit + frac`
        // has one digit more, a leading 1, which is left out.
        let padded = digits.format(unit + k % unit);
        out.push_str(padded.get(1..).unwrap_or_default());
    }
}

fn push_u64(out: &mut String, v: u64) {
    out.push_str(itoa::Buffer::new().format(v));
}

/// The text of output value `i` of column `c` (without CSV quoting).
pub fn cell(batch: &Batch<'_>, column: &OutputColumn, value: &Col, i: usize, out: &mut String) {
    let missing = |out: &mut String| {
        if let Some(text) = &column.if_missing {
            out.push_str(text);
        }
    };
    match value {
        Col::Num(v) => {
            let x = v.get(i).copied().unwrap_or(f64::NAN);
            if x.is_nan() {
                missing(out);
            } else if column.ty == Type::Integer && x.fract() == 0.0 && x.abs() < 1e18 {
                if x < 0.0 {
                    out.push('-');
                }
                push_u64(out, x.abs() as u64);
            } else {
                push_decimal(out, x, column.decimals);
            }
        }
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
    }
}
