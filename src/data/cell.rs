//! One value of a loaded table, read and replaced under the input contract:
//! what a correction to the data needs.
//!
//! A value given as text is checked exactly as the loader checks a CSV
//! field ([`convert`]), so a corrected value can never be one the data file
//! itself could not hold.

use crate::data::convert::{self, Check, Value};
use crate::data::problem::DataProblem;
use crate::data::table::{Column, IntWidth, Ints, MISSING_BOOL, MISSING_LABEL, Table, TextColumn};
use crate::model::{ColumnId, Model};

/// A value checked under the contract, ready to store.
#[derive(Clone, Debug, PartialEq)]
pub enum CellValue {
    Missing,
    Number(f64),
    Bool(bool),
    /// A label's index among its enum's labels.
    Label(u32),
    Text(String),
}

/// Check `text` as a value of `column` (as a CSV field would be), or the
/// problem with it, at `line` of the file it came from.
pub fn parse(
    model: &Model,
    column: ColumnId,
    text: &str,
    line: u64,
) -> Result<CellValue, Box<DataProblem>> {
    let specs = convert::specs(model, &[]);
    let Some(spec) = specs.get(column.index()) else {
        return Err(Box::new(DataProblem::new(
            crate::diag::Code::D009,
            line,
            "the column is not in the input contract",
            "name a column the input block declares",
        )));
    };
    let bytes = text.as_bytes();
    match convert::check(spec, bytes, 0, bytes.len()) {
        Ok(Value::Missing) => Ok(CellValue::Missing),
        Ok(Value::Number(x)) => Ok(CellValue::Number(x)),
        Ok(Value::Small(k)) => Ok(match spec.check {
            Check::Bool => CellValue::Bool(k == 1),
            _ => CellValue::Label(k),
        }),
        Ok(Value::Text) => Ok(CellValue::Text(text.to_string())),
        Err(fault) => {
            let issue = convert::issue(spec, bytes, fault);
            Err(Box::new(
                DataProblem::from_issue(issue, line)
                    .column(&spec.name)
                    .value(text),
            ))
        }
    }
}

/// Row `row`'s value of `column`, or `None` when the table does not keep it.
pub fn get(table: &Table, column: ColumnId, row: usize) -> Option<CellValue> {
    let missing_number = |x: f64| {
        if x.is_nan() {
            CellValue::Missing
        } else {
            CellValue::Number(x)
        }
    };
    match table.columns.get(column.index())? {
        Column::Number(v) => v.get(row).map(|x| missing_number(*x)),
        Column::Int(v) => (row < v.len()).then(|| missing_number(v.get(row))),
        Column::Bool(v) => v.get(row).map(|b| match *b {
            0 => CellValue::Bool(false),
            1 => CellValue::Bool(true),
            _ => CellValue::Missing,
        }),
        Column::Label(v) => v.get(row).map(|l| {
            if *l == MISSING_LABEL {
                CellValue::Missing
            } else {
                CellValue::Label(*l)
            }
        }),
        Column::Text(t) => (row < t.len()).then(|| match t.get(row) {
            "" => CellValue::Missing,
            s => CellValue::Text(s.to_string()),
        }),
        Column::Skipped => None,
    }
}

/// Replace row `row`'s value of `column`; `false` when the table does not
/// keep the column, the row is out of range or the value is of another kind.
pub fn set(table: &mut Table, column: ColumnId, row: usize, value: &CellValue) -> bool {
    let Some(col) = table.columns.get_mut(column.index()) else {
        return false;
    };
    match (&mut *col, value) {
        (Column::Number(v), CellValue::Number(x)) => put(v, row, *x),
        (Column::Number(v), CellValue::Missing) => put(v, row, f64::NAN),
        (Column::Int(ints), CellValue::Number(_) | CellValue::Missing) => {
            let x = match value {
                CellValue::Number(x) => *x,
                _ => f64::NAN,
            };
            if row >= ints.len() {
                return false;
            }
            if !set_int(ints, row, x) {
                // Too wide for the column's width: kept as numbers, as when
                // blocks of different widths are joined.
                let mut numbers = ints.numbers();
                if let Some(slot) = numbers.get_mut(row) {
                    *slot = x;
                }
                *col = Column::Number(numbers);
            }
            true
        }
        (Column::Bool(v), CellValue::Bool(b)) => put(v, row, u8::from(*b)),
        (Column::Bool(v), CellValue::Missing) => put(v, row, MISSING_BOOL),
        (Column::Label(v), CellValue::Label(l)) => put(v, row, *l),
        (Column::Label(v), CellValue::Missing) => put(v, row, MISSING_LABEL),
        (Column::Text(t), CellValue::Text(_) | CellValue::Missing) => {
            if row >= t.len() {
                return false;
            }
            let text = match value {
                CellValue::Text(s) => s.as_str(),
                _ => "",
            };
            let mut rebuilt = TextColumn::with_capacity(t.len(), 0);
            for i in 0..t.len() {
                rebuilt.push(if i == row { text } else { t.get(i) });
            }
            *t = rebuilt;
            true
        }
        _ => false,
    }
}

fn put<T>(values: &mut [T], row: usize, x: T) -> bool {
    match values.get_mut(row) {
        Some(slot) => {
            *slot = x;
            true
        }
        None => false,
    }
}

/// A value as a person reads it: numbers as written by the shortest
/// round-trip form, labels by name, missing as `missing`.
pub fn describe(model: &Model, column: ColumnId, value: &CellValue) -> String {
    match value {
        CellValue::Missing => "missing".to_string(),
        CellValue::Number(x) => crate::model::format_number(*x),
        CellValue::Bool(b) => b.to_string(),
        CellValue::Label(l) => model
            .contract
            .column(column)
            .and_then(|c| match c.ty {
                crate::model::Type::Enum(e) => model.enum_type(e),
                _ => None,
            })
            .and_then(|t| t.labels.get(*l as usize))
            .cloned()
            .unwrap_or_default(),
        CellValue::Text(s) => s.clone(),
    }
}

/// Store `x` (a whole number, or NaN for missing) in `ints` at `row`;
/// `false` when it does not fit the column's width.
fn set_int(ints: &mut Ints, row: usize, x: f64) -> bool {
    macro_rules! narrow {
        ($v:expr, $t:ty) => {{
            let stored = if x.is_nan() {
                Some(<$t as IntWidth>::MISSING)
            } else if x > <$t>::MIN as f64 && x <= <$t>::MAX as f64 {
                Some(x as $t)
            } else {
                None
            };
            match (stored, $v.get_mut(row)) {
                (Some(s), Some(slot)) => {
                    *slot = s;
                    true
                }
                _ => false,
            }
        }};
    }
    match ints {
        Ints::I8(v) => narrow!(v, i8),
        Ints::I16(v) => narrow!(v, i16),
        Ints::I32(v) => narrow!(v, i32),
    }
}
