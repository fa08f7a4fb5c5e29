//! CSV output: a header of the output columns, one line per reported row.

use super::cell;
use crate::eval::{Batch, Col, Selection, selected};
use crate::plan::{OutputColumn, Plan};

/// The header line; a name a spreadsheet would run as a formula is
/// neutralized (see [`header_with`]).
pub fn header(plan: &Plan) -> String {
    header_with(plan, true)
}

/// The header line, choosing whether names that look like formulas get a
/// leading `'`, as text cells do.
pub fn header_with(plan: &Plan, escape_formulas: bool) -> String {
    header_governed(plan, escape_formulas, &[])
}

/// The header line with the columns governance adds after the plan's.
pub fn header_governed(plan: &Plan, escape_formulas: bool, extra: &[String]) -> String {
    let mut out = String::new();
    let names = plan.outputs.iter().map(|c| &c.name).chain(extra);
    for (k, name) in names.enumerate() {
        if k > 0 {
            out.push(',');
        }
        if escape_formulas {
            push_field(&mut out, &crate::escape::spreadsheet_cell(name));
        } else {
            push_field(&mut out, name);
        }
    }
    out.push('\n');
    out
}

/// The lines of the batch's reported rows, and how many there are; text that
/// a spreadsheet would run as a formula is neutralized (see [`rows_with`]).
pub fn rows(batch: &Batch<'_>, selection: &Selection) -> (String, usize) {
    rows_with(batch, selection, true)
}

/// [`rows`], choosing whether text cells that look like formulas get a
/// leading `'` (numbers are never changed: `-0.13` stays a number).
pub fn rows_with(
    batch: &Batch<'_>,
    selection: &Selection,
    escape_formulas: bool,
) -> (String, usize) {
    rows_governed(batch, selection, escape_formulas, None)
}

/// [`rows_with`], with the tier an override sets in place of the computed
/// one and the columns governance adds after the plan's.
pub fn rows_governed(
    batch: &Batch<'_>,
    selection: &Selection,
    escape_formulas: bool,
    gov: Option<&crate::govern::Governance>,
) -> (String, usize) {
    let mut count = 0;
    let mut out = String::with_capacity(batch.len * 16 * batch.ctx.plan.outputs.len().max(1));
    let mut value = String::new();
    let columns: Vec<(&OutputColumn, &Col, bool, bool)> = batch
        .output_columns()
        .map(|(column, col)| {
            let text_cell = matches!(
                col,
                Col::Label(_) | Col::Text(_) | Col::Actions | Col::FlagNames
            );
            // Numbers and bools need no quoting, nor does a plain missing text.
            let plain = |t: &String| {
                !t.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
                    && !crate::escape::looks_like_formula(t)
            };
            let direct = !text_cell && column.if_missing.as_ref().is_none_or(plain);
            (column, col, text_cell, direct)
        })
        .collect();
    for i in 0..batch.len {
        if !selected(batch, i, selection) {
            continue;
        }
        count += 1;
        for (k, &(column, col, text_cell, direct)) in columns.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            if let Some(label) = super::overridden(batch, column, i, gov) {
                push_field(&mut out, &crate::escape::spreadsheet_cell(label));
                continue;
            }
            if direct {
                cell(batch, column, col, i, &mut out);
                continue;
            }
            value.clear();
            cell(batch, column, col, i, &mut value);
            // A number column holds a number or its `if missing` text, which
            // is neutralized like any text unless it is a number itself.
            let text = text_cell || value.parse::<f64>().is_err();
            if escape_formulas && text {
                push_field(&mut out, &crate::escape::spreadsheet_cell(&value));
            } else {
                push_field(&mut out, &value);
            }
        }
        for extra in super::governance_cells(batch, i, gov) {
            out.push(',');
            if escape_formulas {
                push_field(&mut out, &crate::escape::spreadsheet_cell(&extra));
            } else {
                push_field(&mut out, &extra);
            }
        }
        out.push('\n');
    }
    (out, count)
}

/// RFC 4180: quote a field holding a comma, quote or line break.
pub fn push_field(out: &mut String, text: &str) {
    if text
        .bytes()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}
