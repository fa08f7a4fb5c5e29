//! A table from rows given in a scorecard's tests (`given { column: value }`).

use super::table::{Column, MISSING_BOOL, MISSING_LABEL, Table, TextColumn};
use crate::model::{Model, TestRow, TestValue, Type};

fn value(row: &TestRow, c: usize) -> Option<&TestValue> {
    row.values
        .iter()
        .find(|(id, _)| id.index() == c)
        .map(|(_, v)| v)
}

/// Build a table with one row per given row; absent columns are missing.
/// Values were checked against the contract when the scorecard was checked.
pub fn table_from_rows(model: &Model, rows: &[TestRow]) -> Table {
    let n = rows.len();
    let columns = model
        .contract
        .columns
        .iter()
        .enumerate()
        .map(|(c, def)| {
            let is_text = Some(c) == model.contract.key.map(|k| k.index())
                || Some(c) == model.contract.period.map(|k| k.index())
                || def.ty == Type::Text;
            if is_text {
                let mut t = TextColumn::with_capacity(n, n * 8);
                for row in rows {
                    match value(row, c) {
                        Some(TestValue::Text(s)) => t.push(s),
                        Some(TestValue::Number(x)) => t.push(&crate::model::format_number(*x)),
                        _ => t.push(""),
                    }
                }
                return Column::Text(t);
            }
            match def.ty {
                Type::Bool => Column::Bool(
                    rows.iter()
                        .map(|r| match value(r, c) {
                            Some(TestValue::Bool(b)) => u8::from(*b),
                            _ => MISSING_BOOL,
                        })
                        .collect(),
                ),
                Type::Enum(e) => {
                    let labels = model.enum_type(e);
                    Column::Label(
                        rows.iter()
                            .map(|r| match value(r, c) {
                                Some(TestValue::Text(s)) => labels
                                    .and_then(|t| t.label_index(s))
                                    .unwrap_or(MISSING_LABEL),
                                _ => MISSING_LABEL,
                            })
                            .collect(),
                    )
                }
                _ => Column::Number(
                    rows.iter()
                        .map(|r| match value(r, c) {
                            Some(TestValue::Number(x)) => *x,
                            _ => f64::NAN,
                        })
                        .collect(),
                ),
            }
        })
        .collect();
    Table {
        rows: n,
        columns,
        lines: rows.iter().enumerate().map(|(i, _)| i as u64 + 1).collect(),
        offsets: Vec::new(),
    }
}
