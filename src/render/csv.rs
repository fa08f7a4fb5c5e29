//! CSV output: a header of the output columns, one line per reported row.

use super::cell;
use crate::data::table::MISSING_LABEL;
use crate::eval::{Batch, Col, Selection, selected};
use crate::model::Type;
use crate::plan::{CExpr, OutputColumn, Plan};

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
        push_text(&mut out, name, escape_formulas);
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
    // Whether an override can replace a tier column's cells.
    let overrides = gov.is_some_and(|g| g.overrides.is_some());
    let columns: Vec<Cells> = batch
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
            let labels = label_fields(batch, column, col, escape_formulas);
            let numbers = match col {
                Col::Num(v) if direct => Some(v.as_slice()),
                _ => None,
            };
            let overridable = overrides && matches!(column.expr, CExpr::Tier(_));
            Cells {
                column,
                col,
                text_cell,
                direct,
                labels,
                numbers,
                overridable,
            }
        })
        .collect();
    for i in 0..batch.len {
        if !selected(batch, i, selection) {
            continue;
        }
        count += 1;
        for (k, cells) in columns.iter().enumerate() {
            let (column, col, text_cell, direct) =
                (cells.column, cells.col, cells.text_cell, cells.direct);
            if k > 0 {
                out.push(',');
            }
            if let Some(values) = cells.numbers {
                super::push_number(&mut out, values.get(i).copied().unwrap_or(f64::NAN), column);
                continue;
            }
            let label = cells
                .overridable
                .then(|| super::overridden(batch, column, i, gov));
            if let Some(label) = label.flatten() {
                push_text(&mut out, label, true);
                continue;
            }
            if let (Some((fields, missing)), Col::Label(v)) = (&cells.labels, col) {
                let l = v.get(i).copied().unwrap_or(MISSING_LABEL);
                let field = fields.get(l as usize).filter(|_| l != MISSING_LABEL);
                out.push_str(field.unwrap_or(missing));
                continue;
            }
            if direct {
                cell(batch, column, col, i, &mut out);
                continue;
            }
            if let Col::Text(v) = col {
                // A text value is written from where it is: `cell`'s text.
                let text = v.get(i).filter(|t| !t.is_empty());
                let text = text.unwrap_or(column.if_missing.as_deref().unwrap_or(""));
                push_text(&mut out, text, escape_formulas);
                continue;
            }
            value.clear();
            cell(batch, column, col, i, &mut value);
            // A number column holds a number or its `if missing` text, which
            // is neutralized like any text unless it is a number itself.
            let text = text_cell || value.parse::<f64>().is_err();
            push_text(&mut out, &value, escape_formulas && text);
        }
        for extra in super::governance_cells(batch, i, gov) {
            out.push(',');
            push_text(&mut out, &extra, escape_formulas);
        }
        out.push('\n');
    }
    (out, count)
}

/// How an output column's cells are written, decided once per batch.
struct Cells<'b> {
    column: &'b OutputColumn,
    col: &'b Col,
    /// Its cells are text (quoted when needed, formulas neutralized).
    text_cell: bool,
    /// Its cells are written as they are, never quoted.
    direct: bool,
    /// A label column's field for each label, and for a missing value.
    labels: Option<(Vec<String>, String)>,
    /// A number column's values, written without looking further.
    numbers: Option<&'b [f64]>,
    /// A tier column whose cells an override may replace.
    overridable: bool,
}

/// A label column's fields, each written once as [`rows_governed`] writes
/// a text cell: that of each label of its enum, and that of a missing value.
fn label_fields(
    batch: &Batch<'_>,
    column: &OutputColumn,
    col: &Col,
    escape_formulas: bool,
) -> Option<(Vec<String>, String)> {
    let Col::Label(_) = col else {
        return None;
    };
    let field = |value: &str| {
        let mut out = String::new();
        push_text(&mut out, value, escape_formulas);
        out
    };
    let labels = match column.ty {
        Type::Enum(e) => batch.ctx.model.enum_type(e).map(|t| t.labels.as_slice()),
        _ => None,
    };
    let fields = labels
        .unwrap_or_default()
        .iter()
        .map(|l| field(l))
        .collect();
    Some((fields, field(column.if_missing.as_deref().unwrap_or(""))))
}

/// A text cell: neutralized when it would run as a formula and `escape`
/// (see `escape::spreadsheet_cell`), then quoted as [`push_field`] does.
fn push_text(out: &mut String, text: &str, escape: bool) {
    if escape {
        push_field(out, &crate::escape::spreadsheet_cell(text));
    } else {
        push_field(out, text);
    }
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
