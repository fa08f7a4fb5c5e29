//! A table for reading results in a terminal.

use comfy_table::{
    Cell, CellAlignment, ColumnConstraint, ContentArrangement, Table, Width,
    presets::UTF8_FULL_CONDENSED,
};

use super::cell;
use crate::eval::{Batch, Col, Selection, selected};
use crate::plan::Plan;

/// The reported rows of a batch as cell texts.
pub fn rows(batch: &Batch<'_>, selection: &Selection) -> Vec<Vec<String>> {
    rows_governed(batch, selection, None)
}

/// [`rows`], with the tier an override sets and the cells governance adds.
pub fn rows_governed(
    batch: &Batch<'_>,
    selection: &Selection,
    gov: Option<&crate::govern::Governance>,
) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for i in 0..batch.len {
        if !selected(batch, i, selection) {
            continue;
        }
        let mut row: Vec<String> = batch
            .output_columns()
            .map(|(column, col)| {
                if let Some(label) = super::overridden(batch, column, i, gov) {
                    return label.to_string();
                }
                let mut text = String::new();
                cell(batch, column, col, i, &mut text);
                text
            })
            .collect();
        row.extend(super::governance_cells(batch, i, gov));
        out.push(row);
    }
    out
}

/// Lay the rows out; numbers are right-aligned.
pub fn render(plan: &Plan, rows: &[Vec<String>]) -> String {
    render_within(plan, rows, None)
}

/// Lay the rows out within `width` columns when given (a terminal's width).
/// Headers wrap; values never do, so a number is never split across lines.
/// When the values alone do not fit, each row is shown as a block of
/// `name  value` lines instead. Without a width, every cell keeps one line.
pub fn render_within(plan: &Plan, rows: &[Vec<String>], width: Option<u16>) -> String {
    render_governed(plan, rows, width, &[])
}

/// [`render_within`], with the columns governance adds after the plan's.
pub fn render_governed(
    plan: &Plan,
    rows: &[Vec<String>],
    width: Option<u16>,
    extra: &[String],
) -> String {
    let headers: Vec<String> = plan
        .outputs
        .iter()
        .map(|c| &c.name)
        .chain(extra)
        .map(|n| crate::escape::terminal(n).into_owned())
        .collect();
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|t| crate::escape::terminal(t).into_owned())
                .collect()
        })
        .collect();
    let chars = |t: &String| t.chars().count();
    // The widest value of each column: the least it needs.
    let needed: Vec<usize> = (0..headers.len())
        .map(|k| {
            rows.iter()
                .filter_map(|r| r.get(k))
                .map(chars)
                .max()
                .unwrap_or(0)
                .max(1)
        })
        .collect();
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    if let Some(width) = width {
        // A border on the left, then each column's padding and border.
        let least: usize = 1 + needed.iter().map(|n| n + 3).sum::<usize>();
        if least > usize::from(width) {
            return records(&headers, &rows);
        }
        table
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(width)
            .set_constraints(needed.iter().map(|&n| {
                ColumnConstraint::LowerBoundary(Width::Fixed(u16::try_from(n).unwrap_or(u16::MAX)))
            }));
    }
    table.set_header(headers.iter().map(Cell::new));
    for row in &rows {
        table.add_row(row.iter().enumerate().map(|(k, text)| {
            // Governance's columns, past the plan's, are text.
            let numeric = plan.outputs.get(k).is_some_and(|c| {
                matches!(
                    c.expr,
                    crate::plan::CExpr::Score(..) | crate::plan::CExpr::Points(_)
                ) || c.ty.is_numeric()
            });
            let cell = Cell::new(text);
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

/// Rows too wide for the terminal: one block per row, a `name  value` line
/// per column.
fn records(headers: &[String], rows: &[Vec<String>]) -> String {
    let name_width = headers.iter().map(|h| h.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for (r, row) in rows.iter().enumerate() {
        if r > 0 {
            out.push('\n');
        }
        out.push_str(&format!("── row {} ──\n", r + 1));
        for (name, value) in headers.iter().zip(row) {
            out.push_str(&format!("{name:<name_width$}  {value}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{CExpr, OutputColumn};

    #[test]
    fn a_table_fits_the_width_it_is_given() {
        let column = |name: &str| OutputColumn {
            name: name.to_string(),
            expr: CExpr::MetricValue(crate::model::MetricId(0)),
            ty: crate::model::Type::Text,
            decimals: 2,
            if_missing: None,
            if_empty: None,
        };
        let mut plan = crate::plan::compile(&crate::model::Model::default());
        plan.outputs = (0..8)
            .map(|k| column(&format!("column_number_{k}")))
            .collect();
        let rows: Vec<Vec<String>> = (0..3)
            .map(|r| {
                (0..8)
                    .map(|k| format!("value {r} of a rather long column {k}"))
                    .collect()
            })
            .collect();
        let wide = render(&plan, &rows);
        assert!(wide.lines().any(|l| l.chars().count() > 200));
        // Values never split: too narrow for them, each row is a block.
        let narrow = render_within(&plan, &rows, Some(100));
        assert!(
            narrow.starts_with("── row 1 ──\ncolumn_number_0  value 0 of a rather long column 0\n"),
            "{narrow}"
        );
        let rows: Vec<Vec<String>> = (0..3)
            .map(|r| (0..8).map(|k| format!("{r}.{k}")).collect())
            .collect();
        for width in [60u16, 80, 120] {
            let text = render_within(&plan, &rows, Some(width));
            for line in text.lines() {
                assert!(
                    line.chars().count() <= usize::from(width),
                    "{width}: {line}"
                );
            }
            // Every column is still there, its cells wrapped.
            let top = text.lines().next().unwrap_or_default();
            assert_eq!(top.matches('┬').count(), 7, "{text}");
            for r in 0..3 {
                for k in 0..8 {
                    assert!(
                        text.contains(&format!(" {r}.{k} ")),
                        "{r}.{k} split: {text}"
                    );
                }
            }
        }
    }
}
