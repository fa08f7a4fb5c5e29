//! Parquet files as data: the columns the contract declares, read row group
//! by row group through the `parquet` crate's column readers, and written
//! as the rows a CSV file holds, so that the CSV reader and the collector
//! check them under the same contract, with the same diagnostics.
//!
//! A value becomes the text its type means: an integer its digits (an
//! unsigned one read as unsigned), a DOUBLE the shortest text that reads
//! back to the same binary value (a FLOAT the shortest that reads back to
//! the same single-precision value), a BOOLEAN `true` or `false`, a DECIMAL
//! its exact digits, a DATE its ISO 8601 date, a TIMESTAMP (or a legacy
//! INT96 one) its ISO 8601 date and time, a STRING (or ENUM, JSON, or
//! unannotated BYTE_ARRAY) its text as it is; a null is a missing value. So
//! the contract's type decides, as it does for CSV: a DOUBLE `2.5` in an
//! `integer` column is refused (D009), a STRING `"12"` in a `number` column
//! is the number 12.
//!
//! A column the contract declares must be a top-level column of a type
//! listed above: a nested column (a group, a LIST, a MAP), a repeated one,
//! or one of another type (TIME, UUID, FLOAT16, INTERVAL) is refused for
//! the whole file (D005). Columns the contract does not declare are not
//! read at all.
//!
//! Problems are placed at the row (1-based, the first data row is row 1)
//! and column: `partners.parquet row 17 column revenue`.

use std::path::Path;

use parquet::basic::{ConvertedType, LogicalType, Repetition, TimeUnit, Type as Physical};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::DataType;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::schema::types::ColumnDescriptor;

use crate::data::problem::{DataProblem, Rejected};
use crate::diag::Code;
use crate::model::Model;

/// The extensions of Parquet files.
const EXTENSIONS: &[&str] = &["parquet", "parq", "pq"];

/// The signature at both ends of a Parquet file.
const MAGIC: &[u8] = b"PAR1";

/// Records read per call of a column reader.
const BATCH: usize = 8192;

/// Whether the file at `path` is to be read as Parquet: its extension says
/// so, or its first bytes are Parquet's signature.
pub fn is_parquet(path: &Path) -> bool {
    let by_name = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .is_some_and(|e| EXTENSIONS.contains(&e.as_str()));
    by_name || {
        use std::io::Read;
        let mut head = [0u8; 4];
        std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut head))
            .is_ok_and(|()| head == MAGIC)
    }
}

/// A Parquet file's declared columns, as CSV text, and where each line came from.
#[derive(Debug)]
pub struct Rows {
    /// The rows as CSV text: the header, then one record per row.
    pub csv: Vec<u8>,
    /// The file row (1-based) each line of `csv` comes from (0 for the header).
    rows: Vec<u64>,
    /// The header's names, by field.
    header: Vec<String>,
}

/// Why a Parquet file was not read.
#[derive(Debug)]
pub enum ParquetError {
    Io(std::io::Error),
    /// Problems of the file as a whole.
    Invalid(Vec<DataProblem>),
}

/// A problem of the file as a whole (D005, or `code`).
fn whole(code: Code, message: String, help: &str) -> DataProblem {
    let mut p = DataProblem::new(code, 1, message, help);
    p.whole_file = true;
    p.cell = Some(String::new());
    p
}

const NOT_PARQUET_HELP: &str = "give the file the extension of its format (`.csv`, `.json`, `.ndjson`, `.xlsx`), or write it again as Parquet";
const DAMAGED_HELP: &str =
    "write the file again (it may have been cut short while it was copied), or export it as CSV";

/// The file opened as Parquet, or the problem that says why not.
fn open(path: &Path) -> Result<SerializedFileReader<std::fs::File>, ParquetError> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path).map_err(ParquetError::Io)?;
    let size = file.metadata().map_err(ParquetError::Io)?.len();
    let mut head = [0u8; 4];
    let mut tail = [0u8; 4];
    let has_head = file.read_exact(&mut head).is_ok() && head == MAGIC;
    let has_tail = size >= 12
        && file.seek(SeekFrom::End(-4)).is_ok()
        && file.read_exact(&mut tail).is_ok()
        && tail == MAGIC;
    if !has_head {
        return Err(ParquetError::Invalid(vec![whole(
            Code::D005,
            "the file is named as a Parquet file, but it does not start with Parquet's signature `PAR1`".into(),
            NOT_PARQUET_HELP,
        )]));
    }
    if !has_tail {
        return Err(ParquetError::Invalid(vec![whole(
            Code::D005,
            "the Parquet file is truncated: it does not end with the signature `PAR1`, so its footer (the schema and where the rows are) is missing".into(),
            DAMAGED_HELP,
        )]));
    }
    file.seek(SeekFrom::Start(0)).map_err(ParquetError::Io)?;
    SerializedFileReader::new(file).map_err(|e| {
        ParquetError::Invalid(vec![whole(
            Code::D005,
            format!("the Parquet file cannot be read: {e}"),
            DAMAGED_HELP,
        )])
    })
}

/// The names of the file's top-level columns, for `check --data`.
pub fn column_names(path: &Path) -> Result<Vec<String>, ParquetError> {
    let reader = open(path)?;
    let schema = reader.metadata().file_metadata().schema_descr();
    Ok(schema
        .root_schema()
        .get_fields()
        .iter()
        .map(|f| f.name().to_string())
        .collect())
}

/// How a column's values become text.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Bool,
    Int,
    UInt,
    Date,
    /// Units per second.
    Timestamp(i64),
    /// The number of decimals.
    Decimal(u32),
    Float,
    Double,
    Text,
    Int96,
}

/// How the column `descr` is read, or why it cannot be.
fn kind(descr: &ColumnDescriptor) -> Result<Kind, String> {
    let logical = descr.logical_type_ref();
    let converted = descr.converted_type();
    let scale = || u32::try_from(descr.type_scale()).unwrap_or(0);
    let physical = descr.physical_type();
    let decimal = matches!(logical, Some(LogicalType::Decimal(_)))
        || (logical.is_none() && converted == ConvertedType::DECIMAL);
    if decimal {
        return match physical {
            Physical::INT32 | Physical::INT64 => Ok(Kind::Decimal(scale())),
            Physical::BYTE_ARRAY | Physical::FIXED_LEN_BYTE_ARRAY
                if descr.type_precision() <= 38 =>
            {
                Ok(Kind::Decimal(scale()))
            }
            _ => Err("a DECIMAL of more than 38 digits".into()),
        };
    }
    let unsupported = |what: &str| Err(format!("a {what} column"));
    match (physical, logical) {
        (_, Some(LogicalType::Time(_))) => unsupported("TIME"),
        (_, Some(LogicalType::Uuid)) => unsupported("UUID"),
        (_, Some(LogicalType::Float16)) => unsupported("FLOAT16"),
        (Physical::BOOLEAN, _) => Ok(Kind::Bool),
        (Physical::INT32, Some(LogicalType::Date)) => Ok(Kind::Date),
        (Physical::INT32, None) if converted == ConvertedType::DATE => Ok(Kind::Date),
        (Physical::INT64, Some(LogicalType::Timestamp(t))) => Ok(Kind::Timestamp(match t.unit {
            TimeUnit::MILLIS => 1_000,
            TimeUnit::MICROS => 1_000_000,
            TimeUnit::NANOS => 1_000_000_000,
        })),
        (Physical::INT64, None) if converted == ConvertedType::TIMESTAMP_MILLIS => {
            Ok(Kind::Timestamp(1_000))
        }
        (Physical::INT64, None) if converted == ConvertedType::TIMESTAMP_MICROS => {
            Ok(Kind::Timestamp(1_000_000))
        }
        (Physical::INT32 | Physical::INT64, None)
            if matches!(
                converted,
                ConvertedType::TIME_MILLIS | ConvertedType::TIME_MICROS
            ) =>
        {
            unsupported("TIME")
        }
        (Physical::INT32 | Physical::INT64, Some(LogicalType::Integer(i))) if !i.is_signed => {
            Ok(Kind::UInt)
        }
        (Physical::INT32 | Physical::INT64, None)
            if matches!(
                converted,
                ConvertedType::UINT_8
                    | ConvertedType::UINT_16
                    | ConvertedType::UINT_32
                    | ConvertedType::UINT_64
            ) =>
        {
            Ok(Kind::UInt)
        }
        (Physical::INT32 | Physical::INT64, _) => Ok(Kind::Int),
        (Physical::INT96, _) => Ok(Kind::Int96),
        (Physical::FLOAT, _) => Ok(Kind::Float),
        (Physical::DOUBLE, _) => Ok(Kind::Double),
        (
            Physical::BYTE_ARRAY,
            None | Some(LogicalType::String | LogicalType::Enum | LogicalType::Json),
        ) => Ok(Kind::Text),
        (Physical::BYTE_ARRAY, Some(LogicalType::Bson)) => unsupported("BSON"),
        (Physical::FIXED_LEN_BYTE_ARRAY, _) if converted == ConvertedType::INTERVAL => {
            unsupported("INTERVAL")
        }
        (Physical::FIXED_LEN_BYTE_ARRAY, _) => unsupported("FIXED_LEN_BYTE_ARRAY"),
        (_, _) => unsupported("geometry, variant or other non-scalar"),
    }
}

/// One column's text in a row group: the values' bytes, where each ends,
/// and which are quoted in CSV.
#[derive(Default)]
struct Texts {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Texts {
    fn field(&self, i: usize) -> &[u8] {
        let start = match i.checked_sub(1) {
            Some(p) => self.ends.get(p).copied().unwrap_or(0),
            None => 0,
        };
        let end = self.ends.get(i).copied().unwrap_or(start);
        self.bytes.get(start..end).unwrap_or_default()
    }
}

/// Read the columns of the file at `path` that the model's contract
/// declares, as CSV text. A declared column of a type that cannot be read
/// is a problem of the file.
pub fn read(path: &Path, model: &Model) -> Result<Rows, ParquetError> {
    let reader = open(path)?;
    let metadata = reader.metadata();
    let schema = metadata.file_metadata().schema_descr();
    let fields = schema.root_schema().get_fields();
    let mut problems = Vec::new();
    // (leaf column index, name, kind) of each declared top-level column.
    let mut chosen: Vec<(usize, String, Kind)> = Vec::new();
    for (leaf, descr) in schema.columns().iter().enumerate() {
        let root = schema.get_column_root_idx(leaf);
        let Some(field) = fields.get(root) else {
            continue;
        };
        let name = field.name();
        if model.contract.find(name).is_none() || chosen.iter().any(|(_, n, _)| n == name) {
            continue;
        }
        let why = if !field.is_primitive() {
            Err("a nested column (a group, LIST or MAP)".to_string())
        } else if field.get_basic_info().repetition() == Repetition::REPEATED
            || descr.max_rep_level() > 0
        {
            Err("a repeated column (a list of values in each row)".to_string())
        } else {
            kind(descr)
        };
        match why {
            Ok(k) => chosen.push((leaf, name.to_string(), k)),
            Err(what) => {
                let mut p = whole(
                    Code::D005,
                    format!(
                        "column `{name}` is {what}, which has no value of the contract's types"
                    ),
                    "write the column as a STRING, a number (INT32, INT64, FLOAT, DOUBLE, DECIMAL), a BOOLEAN, a DATE or a TIMESTAMP",
                );
                p.column = Some(name.to_string());
                p.cell = Some(format!("column {name}"));
                problems.push(p);
            }
        }
    }
    if !problems.is_empty() {
        return Err(ParquetError::Invalid(problems));
    }
    let header: Vec<String> = chosen.iter().map(|(_, n, _)| n.clone()).collect();
    let mut csv = Vec::new();
    write_record(&mut csv, header.iter().map(String::as_bytes));
    let mut rows = vec![0u64];
    let mut row = 0u64;
    let damaged = |e: parquet::errors::ParquetError| {
        ParquetError::Invalid(vec![whole(
            Code::D005,
            format!("the Parquet file cannot be read: {e}"),
            DAMAGED_HELP,
        )])
    };
    for g in 0..reader.num_row_groups() {
        let group = reader.get_row_group(g).map_err(damaged)?;
        let count = usize::try_from(metadata.row_group(g).num_rows()).unwrap_or(0);
        let mut columns = Vec::with_capacity(chosen.len());
        for (leaf, _, kind) in &chosen {
            let optional = schema.column(*leaf).max_def_level() > 0;
            let column = group.get_column_reader(*leaf).map_err(damaged)?;
            let mut texts = Texts {
                bytes: Vec::with_capacity(count * 8),
                ends: Vec::with_capacity(count),
            };
            read_column(column, *kind, optional, count, &mut texts).map_err(damaged)?;
            if texts.ends.len() != count {
                return Err(ParquetError::Invalid(vec![whole(
                    Code::D005,
                    format!(
                        "the Parquet file is damaged: row group {} says it has {count} rows, and its column `{}` has {}",
                        g + 1,
                        header.get(columns.len()).map_or("", String::as_str),
                        texts.ends.len()
                    ),
                    DAMAGED_HELP,
                )]));
            }
            columns.push(texts);
        }
        for i in 0..count {
            row += 1;
            let start = csv.len();
            write_record(&mut csv, columns.iter().map(|c| c.field(i)));
            let lines = csv
                .get(start..)
                .map_or(0, |r| r.iter().filter(|&&b| b == b'\n').count());
            rows.extend(std::iter::repeat_n(row, lines));
        }
    }
    Ok(Rows { csv, rows, header })
}

/// Read every value of one column chunk (`count` rows) as text.
fn read_column(
    column: ColumnReader,
    kind: Kind,
    optional: bool,
    count: usize,
    out: &mut Texts,
) -> parquet::errors::Result<()> {
    use std::io::Write;
    let mut buffer = itoa::Buffer::new();
    match column {
        ColumnReader::BoolColumnReader(r) => read_values(r, optional, count, out, |b: &bool, o| {
            o.extend_from_slice(if *b { b"true" } else { b"false" });
        }),
        ColumnReader::Int32ColumnReader(r) => {
            read_values(r, optional, count, out, |x: &i32, o| match kind {
                Kind::UInt => o.extend_from_slice(buffer.format(*x as u32).as_bytes()),
                Kind::Date => o.extend_from_slice(date(i64::from(*x)).as_bytes()),
                Kind::Decimal(scale) => {
                    o.extend_from_slice(decimal(i128::from(*x), scale).as_bytes())
                }
                _ => o.extend_from_slice(buffer.format(*x).as_bytes()),
            })
        }
        ColumnReader::Int64ColumnReader(r) => {
            read_values(r, optional, count, out, |x: &i64, o| match kind {
                Kind::UInt => o.extend_from_slice(buffer.format(*x as u64).as_bytes()),
                Kind::Timestamp(per_second) => {
                    o.extend_from_slice(timestamp(*x, per_second).as_bytes());
                }
                Kind::Decimal(scale) => {
                    o.extend_from_slice(decimal(i128::from(*x), scale).as_bytes())
                }
                _ => o.extend_from_slice(buffer.format(*x).as_bytes()),
            })
        }
        ColumnReader::Int96ColumnReader(r) => read_values(r, optional, count, out, |x, o| {
            o.extend_from_slice(timestamp(x.to_nanos(), 1_000_000_000).as_bytes());
        }),
        ColumnReader::FloatColumnReader(r) => read_values(r, optional, count, out, |x: &f32, o| {
            let _ = write!(o, "{x}");
        }),
        ColumnReader::DoubleColumnReader(r) => {
            read_values(r, optional, count, out, |x: &f64, o| {
                let _ = write!(o, "{x}");
            })
        }
        ColumnReader::ByteArrayColumnReader(r) => {
            read_values(r, optional, count, out, |x, o| match kind {
                Kind::Decimal(scale) => {
                    o.extend_from_slice(decimal(big_endian(x.data()), scale).as_bytes());
                }
                _ => o.extend_from_slice(x.data()),
            })
        }
        ColumnReader::FixedLenByteArrayColumnReader(r) => {
            read_values(r, optional, count, out, |x, o| {
                o.extend_from_slice(
                    decimal(
                        big_endian(x.data()),
                        match kind {
                            Kind::Decimal(scale) => scale,
                            _ => 0,
                        },
                    )
                    .as_bytes(),
                );
            })
        }
    }
}

/// Read a typed column's records, writing each value with `write` and a
/// null as an empty field.
fn read_values<T: DataType>(
    mut reader: ColumnReaderImpl<T>,
    optional: bool,
    count: usize,
    out: &mut Texts,
    mut write: impl FnMut(&T::T, &mut Vec<u8>),
) -> parquet::errors::Result<()> {
    let mut values: Vec<T::T> = Vec::with_capacity(BATCH);
    let mut levels: Vec<i16> = Vec::with_capacity(BATCH);
    let mut read = 0usize;
    while read < count {
        values.clear();
        levels.clear();
        let want = (count - read).min(BATCH);
        let (records, _, _) = reader.read_records(want, Some(&mut levels), None, &mut values)?;
        if records == 0 {
            break;
        }
        read += records;
        if optional {
            let mut next = values.iter();
            for level in levels.iter().take(records) {
                if *level > 0 {
                    if let Some(v) = next.next() {
                        write(v, &mut out.bytes);
                    }
                }
                out.ends.push(out.bytes.len());
            }
        } else {
            for v in values.iter().take(records) {
                write(v, &mut out.bytes);
                out.ends.push(out.bytes.len());
            }
        }
    }
    Ok(())
}

/// One CSV record of byte fields, quoted when they must be, and its line end.
fn write_record<'f>(out: &mut Vec<u8>, fields: impl Iterator<Item = &'f [u8]>) {
    for (i, f) in fields.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if f.iter().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
            out.push(b'"');
            for &b in f {
                if b == b'"' {
                    out.push(b'"');
                }
                out.push(b);
            }
            out.push(b'"');
        } else {
            out.extend_from_slice(f);
        }
    }
    out.push(b'\n');
}

/// The civil date of a day count from 1970-01-01 (H. Hinnant's algorithm).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// A DATE (days since 1970-01-01) as `2025-03-31`.
fn date(days: i64) -> String {
    let (y, m, d) = civil(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A TIMESTAMP of `per_second` units since the epoch as
/// `2025-03-31T14:30:00`, with its fraction of a second when it has one.
fn timestamp(units: i64, per_second: i64) -> String {
    let per_day = 86_400 * per_second;
    let days = units.div_euclid(per_day);
    let rest = units.rem_euclid(per_day);
    let (seconds, fraction) = (rest / per_second, rest % per_second);
    let time = format!(
        "{}T{:02}:{:02}:{:02}",
        date(days),
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    );
    if fraction == 0 {
        return time;
    }
    let digits = per_second.ilog10() as usize;
    let text = format!("{fraction:0digits$}");
    format!("{time}.{}", text.trim_end_matches('0'))
}

/// An unscaled DECIMAL value with `scale` decimals as its exact digits: `-12.50`.
fn decimal(unscaled: i128, scale: u32) -> String {
    let digits = unscaled.unsigned_abs().to_string();
    let sign = if unscaled < 0 { "-" } else { "" };
    let scale = scale as usize;
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    format!("{sign}{whole}.{fraction}")
}

/// A big-endian two's complement integer of at most 16 significant bytes.
fn big_endian(bytes: &[u8]) -> i128 {
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let mut value: i128 = if negative { -1 } else { 0 };
    for &b in bytes.iter().skip(bytes.len().saturating_sub(16)) {
        value = (value << 8) | i128::from(b);
    }
    value
}

/// `row 17 column revenue`: a problem's place in a Parquet file.
fn place(row: u64, column: Option<&str>) -> String {
    match column {
        Some(c) => format!("row {row} column {c}"),
        None => format!("row {row}"),
    }
}

impl Rows {
    /// The file row of a line of the CSV text (0 for the header).
    fn row(&self, line: u64) -> u64 {
        self.rows
            .get(usize::try_from(line.saturating_sub(1)).unwrap_or(usize::MAX))
            .copied()
            .unwrap_or(0)
    }

    /// Place a problem found in the CSV text at the file's row and column.
    pub fn locate(&self, p: &mut DataProblem) {
        let row = self.row(p.line);
        let column = p.column.clone().or_else(|| {
            p.field
                .and_then(|f| self.header.get(f.saturating_sub(1)))
                .cloned()
        });
        p.cell = Some(match row {
            0 => String::new(),
            r => place(r, column.as_deref()),
        });
        if row > 0 {
            p.line = row;
        }
        p.character = None;
        // A duplicate names the line of the first row: name its row.
        let first = p
            .message
            .rsplit_once(": the first is on line ")
            .and_then(|(head, n)| Some((head.to_string(), n.parse::<u64>().ok()?)));
        if let Some((head, line)) = first {
            p.message = format!("{head}: the first is row {}", self.row(line));
        }
    }

    /// Place a rejected row and its problems at the file's row and columns.
    pub fn locate_rejected(&self, r: &mut Rejected) {
        let row = self.row(r.line);
        if row > 0 {
            r.line = row;
        }
        for p in &mut r.problems {
            self.locate(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_are_iso_8601() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(20_178), "2025-03-31");
        assert_eq!(date(-1), "1969-12-31");
        assert_eq!(timestamp(1_743_431_400_000, 1_000), "2025-03-31T14:30:00");
        assert_eq!(
            timestamp(1_743_431_400_250_000, 1_000_000),
            "2025-03-31T14:30:00.25"
        );
        assert_eq!(
            timestamp(-1, 1_000_000_000),
            "1969-12-31T23:59:59.999999999"
        );
    }

    #[test]
    fn decimals_keep_their_exact_digits() {
        assert_eq!(decimal(1250, 2), "12.50");
        assert_eq!(decimal(-5, 3), "-0.005");
        assert_eq!(decimal(42, 0), "42");
        assert_eq!(big_endian(&[0xff, 0x38]), -200);
        assert_eq!(big_endian(&[0x00, 0xc8]), 200);
        assert_eq!(big_endian(&[]), 0);
    }
}
