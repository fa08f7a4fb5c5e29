//! A table for reading results in a terminal.

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

use super::cell;
use crate::eval::{Batch, Col, Selection, selected};
use crate::plan::Plan;

/// The reported rows of a batch as cell texts.
pub fn rows(batch: &Batch<'_>, selection: &Selection) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for i in 0..batch.len {
        if !selected(batch, i, selection) {
            continue;
        }
        let row = batch
            .output_columns()
            .map(|(column, col)| {
                let mut text = String::new();
                cell(batch, column, col, i, &mut text);
                text
            })
            .collect();
        out.push(row);
    }
    out
}

/// Lay the rows out; numbers are right-aligned.
pub fn render(plan: &Plan, rows: &[Vec<String>]) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(
        plan.outputs
            .iter()
            .map(|c| Cell::new(crate::escape::terminal(&c.name))),
    );
    for row in rows {
        table.add_row(row.iter().zip(&plan.outputs).map(|(text, c)| {
            let numeric = matches!(
                c.expr,
                crate::plan::CExpr::Score(..) | crate::plan::CExpr::Points(_)
            ) || c.ty.is_numeric();
            let cell = Cell::new(crate::escape::terminal(text));
            if numeric {
                cell.set_alignment(CellAlignment::Right)
            } else {
                cell
            }
        }));
    }
    let _ = Col::Actions;
    format!("{table}\n")
}
