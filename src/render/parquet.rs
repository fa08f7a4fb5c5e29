//! Results as a Parquet file (`score --out results.parquet`).
//!
//! One column per column of the CSV output, typed from the output block:
//! a number as DOUBLE holding the value as rounded for the CSV output (to
//! the column's decimals), an integer as INT64, a bool as BOOLEAN, every
//! other value (text, labels, tiers, lists) as a STRING; a missing value
//! is null, also where the output block gives a number column an
//! `if missing` text. The file's key-value metadata names the scorecard,
//! its version and content hash, the data file and the time of the run.

use std::sync::Arc;

use parquet::basic::{Compression, LogicalType, Repetition, Type as Physical};
use parquet::column::writer::ColumnWriter;
use parquet::data_type::ByteArray;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type as Schema;

use super::xlsx::{Run, utc};
use crate::model::Type;
use crate::plan::Plan;

/// Rows per row group.
const GROUP_ROWS: usize = 128 * 1024;

/// The type a column is written as.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Double,
    Int,
    Bool,
    Text,
}

/// One column's values, each `None` when missing.
enum Values {
    Double(Vec<Option<f64>>),
    Int(Vec<Option<i64>>),
    Bool(Vec<Option<bool>>),
    Text(Vec<Option<String>>),
}

/// The Parquet file of the results whose CSV text (header and rows,
/// formulas not escaped) is `csv`.
pub fn file(plan: &Plan, csv: &str, run: &Run<'_>) -> Result<Vec<u8>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv.as_bytes());
    let mut records = reader.records();
    let header: Vec<String> = match records.next() {
        Some(Ok(h)) => h.iter().map(str::to_string).collect(),
        Some(Err(e)) => return Err(e.to_string()),
        None => Vec::new(),
    };
    let kinds: Vec<Kind> = (0..header.len())
        .map(|c| match plan.outputs.get(c).map(|o| o.ty) {
            Some(Type::Number) => Kind::Double,
            Some(Type::Integer) => Kind::Int,
            Some(Type::Bool) => Kind::Bool,
            _ => Kind::Text,
        })
        .collect();
    let mut columns: Vec<Values> = kinds
        .iter()
        .map(|k| match k {
            Kind::Double => Values::Double(Vec::new()),
            Kind::Int => Values::Int(Vec::new()),
            Kind::Bool => Values::Bool(Vec::new()),
            Kind::Text => Values::Text(Vec::new()),
        })
        .collect();
    for (r, record) in records.enumerate() {
        let record = record.map_err(|e| e.to_string())?;
        for (c, column) in columns.iter_mut().enumerate() {
            let field = record.get(c).unwrap_or_default();
            let missing_text = plan
                .outputs
                .get(c)
                .and_then(|o| o.if_missing.as_deref())
                .is_some_and(|m| m == field);
            let missing = field.is_empty() || missing_text;
            let bad = |what: &str| {
                format!(
                    "row {}, column `{}`: `{field}` is not {what}",
                    r + 1,
                    header.get(c).map_or("", String::as_str)
                )
            };
            match column {
                Values::Double(v) => v.push(match missing {
                    true => None,
                    false => Some(
                        field
                            .parse::<f64>()
                            .ok()
                            .filter(|x| x.is_finite())
                            .ok_or_else(|| bad("a number"))?,
                    ),
                }),
                Values::Int(v) => v.push(match missing {
                    true => None,
                    false => Some(field.parse::<i64>().map_err(|_| bad("an integer"))?),
                }),
                Values::Bool(v) => v.push(match (missing, field) {
                    (true, _) => None,
                    (false, "true") => Some(true),
                    (false, "false") => Some(false),
                    _ => return Err(bad("`true` or `false`")),
                }),
                Values::Text(v) => v.push((!field.is_empty()).then(|| field.to_string())),
            }
        }
    }
    write(&header, &kinds, &columns, run).map_err(|e| e.to_string())
}

fn write(
    header: &[String],
    kinds: &[Kind],
    columns: &[Values],
    run: &Run<'_>,
) -> parquet::errors::Result<Vec<u8>> {
    let fields = header
        .iter()
        .zip(kinds)
        .map(|(name, kind)| {
            let (physical, logical) = match kind {
                Kind::Double => (Physical::DOUBLE, None),
                Kind::Int => (Physical::INT64, None),
                Kind::Bool => (Physical::BOOLEAN, None),
                Kind::Text => (Physical::BYTE_ARRAY, Some(LogicalType::String)),
            };
            Schema::primitive_type_builder(name, physical)
                .with_repetition(Repetition::OPTIONAL)
                .with_logical_type(logical)
                .build()
                .map(Arc::new)
        })
        .collect::<parquet::errors::Result<Vec<_>>>()?;
    let schema = Schema::group_type_builder("results")
        .with_fields(fields)
        .build()?;
    let model = run.model;
    let metadata = [
        ("scorecard.name", model.name.clone().unwrap_or_default()),
        (
            "scorecard.version",
            model.version.clone().unwrap_or_default(),
        ),
        ("scorecard.content_hash", model.content_hash.clone()),
        ("scorecard.data", run.data.to_string()),
        ("scorecard.run_time", utc(run.time)),
    ]
    .into_iter()
    .map(|(k, v)| KeyValue::new(k.to_string(), v))
    .collect();
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_key_value_metadata(Some(metadata))
        .set_created_by(format!("scorecard {}", env!("CARGO_PKG_VERSION")))
        .build();
    let mut writer = SerializedFileWriter::new(Vec::new(), Arc::new(schema), Arc::new(properties))?;
    let rows = columns.first().map_or(0, |c| match c {
        Values::Double(v) => v.len(),
        Values::Int(v) => v.len(),
        Values::Bool(v) => v.len(),
        Values::Text(v) => v.len(),
    });
    let mut start = 0;
    // An empty result is one empty row group, so the schema is still there.
    while start < rows || (rows == 0 && start == 0) {
        let end = (start + GROUP_ROWS).min(rows);
        let mut group = writer.next_row_group()?;
        for values in columns {
            let Some(mut column) = group.next_column()? else {
                break;
            };
            match (column.untyped(), values) {
                (ColumnWriter::DoubleColumnWriter(w), Values::Double(v)) => {
                    let (present, levels) = split(v.get(start..end).unwrap_or_default());
                    w.write_batch(&present, Some(&levels), None)?;
                }
                (ColumnWriter::Int64ColumnWriter(w), Values::Int(v)) => {
                    let (present, levels) = split(v.get(start..end).unwrap_or_default());
                    w.write_batch(&present, Some(&levels), None)?;
                }
                (ColumnWriter::BoolColumnWriter(w), Values::Bool(v)) => {
                    let (present, levels) = split(v.get(start..end).unwrap_or_default());
                    w.write_batch(&present, Some(&levels), None)?;
                }
                (ColumnWriter::ByteArrayColumnWriter(w), Values::Text(v)) => {
                    let slice = v.get(start..end).unwrap_or_default();
                    let present: Vec<ByteArray> = slice
                        .iter()
                        .flatten()
                        .map(|s| ByteArray::from(s.as_str()))
                        .collect();
                    let levels: Vec<i16> = slice.iter().map(|x| i16::from(x.is_some())).collect();
                    w.write_batch(&present, Some(&levels), None)?;
                }
                _ => {
                    return Err(parquet::errors::ParquetError::General(
                        "internal error: a column's writer is not of its type".into(),
                    ));
                }
            }
            column.close()?;
        }
        group.close()?;
        if rows == 0 {
            break;
        }
        start = end;
    }
    writer.into_inner()
}

/// The present values of optional ones, and the definition level of each.
fn split<T: Copy>(values: &[Option<T>]) -> (Vec<T>, Vec<i16>) {
    let present = values.iter().flatten().copied().collect();
    let levels = values.iter().map(|x| i16::from(x.is_some())).collect();
    (present, levels)
}
