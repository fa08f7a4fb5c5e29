//! Results as an Excel workbook (`score --out results.xlsx`).
//!
//! The first sheet, `results`, holds the rows as the CSV output does: a
//! bold header row, frozen, with an autofilter; number and integer columns
//! as number cells shown with the output block's decimals; every other
//! cell as text (never a formula, whatever it starts with); a missing value
//! as an empty cell. The second sheet, `run`, names the scorecard, its
//! version and content hash, the data file and the time of the run (UTC).

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::model::{Model, Type};
use crate::plan::Plan;

/// The most rows a sheet holds.
const MAX_ROWS: usize = 1_048_576;

/// What the `run` sheet says.
pub struct Run<'a> {
    pub model: &'a Model,
    pub data: &'a str,
    /// Seconds since the Unix epoch.
    pub time: u64,
}

/// The workbook of the results whose CSV text (header and rows, formulas
/// not escaped) is `csv`.
pub fn workbook(plan: &Plan, csv: &str, run: &Run<'_>) -> Result<Vec<u8>, String> {
    build(plan, csv, run).map_err(|e| e.to_string())
}

fn build(plan: &Plan, csv: &str, run: &Run<'_>) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let formats: Vec<Option<Format>> = plan
        .outputs
        .iter()
        .map(|c| match c.ty {
            Type::Number | Type::Integer => Some(Format::new().set_num_format(number_format(
                if c.ty == Type::Integer { 0 } else { c.decimals },
            ))),
            _ => None,
        })
        .collect();
    let sheet = book.add_worksheet();
    sheet.set_name("results")?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv.as_bytes());
    let mut rows = 0u32;
    let mut width = 0u16;
    for (r, record) in reader.records().enumerate() {
        let record = record.map_err(|e| XlsxError::ParameterError(e.to_string()))?;
        if r >= MAX_ROWS {
            return Err(XlsxError::ParameterError(format!(
                "the results have more than {} rows, more than a sheet holds; write CSV or NDJSON",
                MAX_ROWS - 1
            )));
        }
        let row = r as u32;
        for (c, field) in record.iter().enumerate() {
            let col = u16::try_from(c).map_err(|_| XlsxError::RowColumnLimitError)?;
            width = width.max(col + 1);
            if r == 0 {
                sheet.write_string_with_format(row, col, field, &bold)?;
                continue;
            }
            if field.is_empty() {
                continue;
            }
            let number = formats.get(c).and_then(Option::as_ref).and_then(|f| {
                field
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .map(|x| (x, f))
            });
            match number {
                Some((x, format)) => {
                    sheet.write_number_with_format(row, col, x, format)?;
                }
                None => {
                    sheet.write_string(row, col, field)?;
                }
            }
        }
        rows = row;
    }
    sheet.set_freeze_panes(1, 0)?;
    if width > 0 {
        sheet.autofilter(0, 0, rows, width - 1)?;
    }
    let info = book.add_worksheet();
    info.set_name("run")?;
    let model = run.model;
    let lines = [
        ("scorecard", model.name.clone().unwrap_or_default()),
        ("version", model.version.clone().unwrap_or_default()),
        ("content hash", model.content_hash.clone()),
        ("data file", run.data.to_string()),
        ("run time (UTC)", utc(run.time)),
    ];
    for (r, (label, value)) in lines.iter().enumerate() {
        info.write_string_with_format(r as u32, 0, *label, &bold)?;
        info.write_string(r as u32, 1, value)?;
    }
    info.set_column_width(0, 16)?;
    info.set_column_width(1, 72)?;
    book.save_to_buffer()
}

/// The number format showing `decimals` decimals: `0`, `0.00`.
fn number_format(decimals: u32) -> String {
    if decimals == 0 {
        "0".to_string()
    } else {
        // Excel shows at most 30 decimals.
        format!("0.{}", "0".repeat(decimals.min(30) as usize))
    }
}

/// A time in seconds since the Unix epoch as `2026-12-07T01:50:13Z`.
pub fn utc(seconds: u64) -> String {
    let days = seconds / 86_400;
    let rest = seconds % 86_400;
    // Days to a civil date (H. Hinnant's algorithm), from 1970-01-01.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_civil_dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_796_608_213), "2026-12-07T01:50:13Z");
    }

    #[test]
    fn number_formats_show_the_decimals() {
        assert_eq!(number_format(0), "0");
        assert_eq!(number_format(2), "0.00");
    }
}
