//! CSV output: a header of the output columns, one line per reported row.

use super::cell;
use crate::eval::{Batch, Selection, selected};
use crate::plan::Plan;

/// The header line.
pub fn header(plan: &Plan) -> String {
    let mut out = String::new();
    for (k, c) in plan.outputs.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        push_field(&mut out, &c.name);
    }
    out.push('\n');
    out
}

/// The lines of the batch's reported rows, and how many there are.
pub fn rows(batch: &Batch<'_>, selection: &Selection) -> (String, usize) {
    let mut count = 0;
    let mut out = String::with_capacity(batch.len * 16 * batch.ctx.plan.outputs.len().max(1));
    let mut value = String::new();
    for i in 0..batch.len {
        if !selected(batch, i, selection) {
            continue;
        }
        count += 1;
        for (k, (column, col)) in batch
            .ctx
            .plan
            .outputs
            .iter()
            .zip(&batch.outputs)
            .enumerate()
        {
            if k > 0 {
                out.push(',');
            }
            value.clear();
            cell(batch, column, col, i, &mut value);
            push_field(&mut out, &value);
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
