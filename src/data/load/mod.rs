//! Loading a data file into a [`Table`], every value checked against the input contract.
//!
//! [`load`] reads a CSV, JSON or NDJSON file (or standard input) and returns
//! the table of its valid rows, or every problem it found. The rules:
//!
//! - **CSV** has a header row naming the columns, fields separated by `,`,
//!   RFC 4180 quoting, LF or CRLF line ends and UTF-8 text (a leading byte
//!   order mark is ignored). Blank lines are skipped. See `csv_fast`.
//! - **JSON** is an array of objects, **NDJSON** one object per line. See `json`.
//! - **Columns.** Every column of the input block that is not `optional` (and
//!   the key and period) must be in the header; optional columns may be
//!   absent, and are then missing in every row. Columns the input block does
//!   not declare are ignored. Column names are unique.
//! - **Values** follow the rules in `convert`: text and labels are exactly
//!   what the file holds, spaces around numbers and bools are tolerated, a
//!   key or period with spaces around it is refused, an empty value is missing, numbers are finite and correctly
//!   rounded, integers are digits only and at most 2^53, bools are
//!   `true`/`false` in any case, labels are exact, bounds are checked.
//! - **Rows.** The key (and period, when declared) is never empty, and no two
//!   rows share a key and period. A row or JSON element may be at most
//!   [`MAX_LINE_BYTES`] long.
//!
//! Problems of the file as a whole (a binary format or another encoding,
//! unreadable header, missing or repeated columns, text that is not UTF-8,
//! broken quoting or line ends, invalid JSON in an array) stop loading
//! whatever the policy, and are marked [`DataProblem::whole_file`]. A file
//! that changes while it is read (truncated, grown, rewritten, replaced) is
//! an I/O error: nothing of it is loaded. Problems of rows are
//! collected for the whole file: under [`OnInvalid::Fail`] they are returned
//! instead of a table; under [`OnInvalid::Skip`] the invalid rows are left out
//! and returned in [`Loaded::rejected`], so that the rows read are the rows
//! in the table plus the rows rejected. Problems are in line order; at most
//! [`MAX_PROBLEMS`] are kept, and all are counted.
//!
//! CSV and NDJSON files are read in blocks of 16 MiB (never whole,
//! so memory holds the table and one block), each block ending at a line
//! end. A row longer than [`MAX_LINE_BYTES`] that does not fit in a block is
//! read past without being kept (see `Blocks::skip_record`). A block is read in parts on several threads, split at line ends that
//! are not inside quoted fields. Each part is checked against the part before
//! it: a part that ends inside a quoted field drops the parts after it, and
//! the next block starts at its cut record and is read in one piece. So the
//! result never depends on the number of threads or the size of blocks.
//!
//! | file | what it does |
//! |---|---|
//! | `mod.rs` | the entry points ([`load`], [`load_bytes`]), what they return |
//! | `file.rs` | a file read and counted; a file that changed while it was read |
//! | `blocks.rs` | blocks that end at a line end; parts for threads |
//! | `stream.rs` | the blocks read, each in parts on threads, into the columns |
//! | `finish.rs` | the checks over the whole table: mixed periods, duplicates |
//! | `reread.rs` | a CSV file kept in part, read again batch by batch for the rest |
//! | `render.rs` | problems as text, rejected rows as CSV |

mod blocks;
mod file;
mod finish;
mod parquet;
mod render;
mod reread;
mod sheet;
mod stream;

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io::Read;
use std::path::Path;

use crate::data::collect::{self, At, Columns, Found, Rows, Target, not_utf8};
use crate::data::convert::{self, Role, Spec};
use crate::data::csv_fast::{self, PartEnd};
use crate::data::header::DataFormat;
use crate::data::json;
use crate::data::problem::clip;
use crate::data::sniff;
use crate::data::table::{Column, Table, TextColumn, retain};
use crate::diag::Code;
use crate::model::Model;
use blocks::*;
use file::*;
use finish::*;
use stream::*;

pub use crate::data::convert::MAX_EXACT_INTEGER;
pub use crate::data::problem::{
    DataProblem, EXCERPT_BYTES, MAX_LINE_BYTES, MAX_PROBLEMS, OnInvalid, Rejected,
};
pub use parquet::load_parquet;
pub use render::{render, render_rejects};
pub use reread::{Failure, Late, Plan as RereadPlan, Reread, load_for_reread};
pub use sheet::load_sheet;

/// A loaded data file.
#[derive(Debug)]
pub struct Loaded {
    /// The valid rows, in file order.
    pub table: Table,
    /// Data rows read, valid or not (blank lines are not rows).
    pub read: usize,
    /// The rows left out under [`OnInvalid::Skip`], in line order.
    pub rejected: Vec<Rejected>,
}

/// Why a data file was not loaded.
#[derive(Debug)]
pub enum LoadError {
    /// The file could not be read.
    Io(std::io::Error),
    /// The content breaks the contract: the first [`MAX_PROBLEMS`] problems, in
    /// line order, and how many there are in all.
    Invalid(Vec<DataProblem>, usize),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io(e) => write!(f, "{e}"),
            LoadError::Invalid(_, total) => write!(
                f,
                "the data has {total} problem{}",
                if *total == 1 { "" } else { "s" }
            ),
        }
    }
}

impl std::error::Error for LoadError {}

impl LoadError {
    /// Whether leaving invalid rows out (`--on-invalid skip`) would load
    /// the rest: the problems are all problems of rows.
    pub fn rows_only(&self) -> bool {
        match self {
            LoadError::Invalid(problems, _) => {
                !problems.is_empty() && problems.iter().all(|p| !p.whole_file)
            }
            LoadError::Io(_) => false,
        }
    }
}

/// Load the data file at `path` (`-` for standard input) under the model's contract.
///
/// `needed` says, per `ColumnId`, whether the table keeps the column's values
/// (columns not needed are still checked, and are `Column::Skipped`); the key
/// and period are always kept, as text whatever their declared type. Columns
/// past the end of `needed` are kept.
///
/// A CSV or NDJSON file is read in blocks, so that the file is never in
/// memory whole; standard input and JSON arrays are read whole first. A
/// workbook (by its extension or first bytes) is read through its first
/// sheet ([`load_sheet`]), a Parquet file through its declared columns
/// ([`load_parquet`]).
pub fn load(
    path: &Path,
    format: DataFormat,
    model: &Model,
    needed: &[bool],
    policy: OnInvalid,
) -> Result<Loaded, LoadError> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map_err(LoadError::Io)?;
        return load_bytes(&bytes, format, model, needed, policy);
    }
    if crate::data::parquet::is_parquet(path) {
        return load_parquet(path, model, needed, policy);
    }
    if crate::data::excel::is_workbook(path) {
        return load_sheet(path, None, model, needed, policy);
    }
    load_text_file(path, format, model, needed, policy)
}

/// [`load`] of the file at `path` read as text in `format`, whatever its
/// first bytes say it is.
fn load_text_file(
    path: &Path,
    format: DataFormat,
    model: &Model,
    needed: &[bool],
    policy: OnInvalid,
) -> Result<Loaded, LoadError> {
    let file = std::fs::File::open(path).map_err(LoadError::Io)?;
    let opened = file.metadata().map_err(LoadError::Io)?;
    load_opened(path, file, &opened, format, model, needed, policy)
}

/// [`load`] of the file at `path`, open as `file`, whose metadata when it
/// was opened is `opened`: the load fails when the file is not the same
/// when it has been read (truncated, grown, rewritten or replaced).
fn load_opened(
    path: &Path,
    file: std::fs::File,
    opened: &std::fs::Metadata,
    format: DataFormat,
    model: &Model,
    needed: &[bool],
    policy: OnInvalid,
) -> Result<Loaded, LoadError> {
    load_opened_with(path, file, opened, format, model, needed, policy, None)
}

/// [`load_opened`]; a CSV file read to be read again (`Some(skip)`) keeps
/// each row's file offset and does not read the columns `skip` marks.
#[allow(clippy::too_many_arguments)]
fn load_opened_with(
    path: &Path,
    mut file: std::fs::File,
    opened: &std::fs::Metadata,
    format: DataFormat,
    model: &Model,
    needed: &[bool],
    policy: OnInvalid,
    first: Option<&[bool]>,
) -> Result<Loaded, LoadError> {
    let mut input = Counted {
        file: &mut file,
        bytes: 0,
    };
    let result = if format == DataFormat::Json {
        let mut bytes = Vec::new();
        input.read_to_end(&mut bytes).map_err(LoadError::Io)?;
        load_bytes(&bytes, format, model, needed, policy)
    } else {
        let size = Some(opened)
            .filter(|m| m.is_file())
            .and_then(|m| usize::try_from(m.len()).ok());
        let source = Source::File(path, format, std::cell::OnceCell::new());
        load_stream(
            &mut input,
            size,
            format,
            model,
            needed,
            policy,
            Parts::for_machine(),
            first,
            &source,
        )
    };
    // Only a complete load has read the whole file; any result is checked
    // against a change of the file's metadata.
    let read = result.is_ok().then_some(input.bytes);
    match changed(path, &file, opened, read) {
        Some(change) => Err(LoadError::Io(std::io::Error::other(format!(
            "the file changed while it was read ({change}); nothing was loaded: read it again once it is complete"
        )))),
        None => result,
    }
}

/// [`load`] for data already in memory.
pub fn load_bytes(
    bytes: &[u8],
    format: DataFormat,
    model: &Model,
    needed: &[bool],
    policy: OnInvalid,
) -> Result<Loaded, LoadError> {
    load_in_parts(bytes, format, model, needed, policy, Parts::for_machine())
}

/// [`load_bytes`] reading in blocks of `block_bytes` (at least 1), each
/// split into at most `threads` parts: the result is the same whatever the
/// sizes, which the fuzzing target `eval_csv` checks with small ones.
pub fn load_bytes_in_blocks(
    bytes: &[u8],
    format: DataFormat,
    model: &Model,
    needed: &[bool],
    policy: OnInvalid,
    threads: usize,
    block_bytes: usize,
) -> Result<Loaded, LoadError> {
    let parts = Parts {
        threads: threads.clamp(1, MAX_THREADS),
        min_bytes: 1,
        block_bytes: block_bytes.max(1),
    };
    load_in_parts(bytes, format, model, needed, policy, parts)
}

/// Run `read` with the reader of the model's contract.
fn with_reader<R>(
    model: &Model,
    needed: &[bool],
    policy: OnInvalid,
    parts: Parts,
    read: impl FnOnce(&Reader<'_>) -> R,
) -> R {
    with_reader_of(model, needed, policy, parts, None, read)
}

/// [`with_reader`], for a first reading (see [`load_opened_with`]) when `first`.
fn with_reader_of<R>(
    model: &Model,
    needed: &[bool],
    policy: OnInvalid,
    parts: Parts,
    first: Option<&[bool]>,
    read: impl FnOnce(&Reader<'_>) -> R,
) -> R {
    let specs = convert::specs(model, needed);
    let (targets, counts) = collect::targets(&specs);
    read(&Reader {
        specs: &specs,
        targets: &targets,
        counts,
        policy,
        parts,
        first,
    })
}

/// Problems of the file as a whole: all of them.
fn invalid(problems: Vec<DataProblem>) -> LoadError {
    let total = problems.len();
    unreadable(problems, total)
}

/// Problems of the file as a whole: the first ones, and how many there are.
fn unreadable(mut problems: Vec<DataProblem>, total: usize) -> LoadError {
    for p in &mut problems {
        p.whole_file = true;
    }
    LoadError::Invalid(problems, total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceMap;

    const CONTRACT: &str = "input {\n  key partner_id\n  period quarter\n  revenue: number >= 0\n  note: text, optional\n}\n";

    /// The model of [`CONTRACT`]: key `partner_id`, period `quarter`, a
    /// number `revenue`, an optional text `note`.
    pub(super) fn model() -> Model {
        crate::check::check_text("t.scorecard", CONTRACT, &mut SourceMap::new())
            .model
            .unwrap_or_default()
    }

    /// Rows of every kind: quoted fields holding line breaks, commas and
    /// quotes; blank lines; CRLF; invalid, ragged and duplicate rows; and
    /// stray quotes, which make counting quotes find false record ends.
    fn tricky_csv(rows: usize) -> Vec<u8> {
        let mut text = String::from("partner_id,quarter,revenue,note\n");
        for i in 0..rows {
            let row = match i % 9 {
                0 => format!("P{i},2025Q4,{i}.5,\"multi\nline, \"\"quoted\"\"\n\"\n"),
                1 => format!("P{i},2025Q4,-1,\n"),
                2 => "\n".to_string(),
                3 => format!("P{},2025Q4,1,dup\n", i - 3),
                4 => format!("P{i},2025Q4,{i}\r\n"),
                5 => format!("P{i},2025Q4,{i},ab\"c\n"),
                6 => format!("P{i},2025Q4,{i},\"x\ny\"\n"),
                _ => format!("P{i},2025Q4,{i},\"a,b\"\r\n"),
            };
            text.push_str(&row);
        }
        text.into_bytes()
    }

    fn tricky_ndjson(rows: usize) -> Vec<u8> {
        let mut text = String::new();
        for i in 0..rows {
            let row = match i % 6 {
                0 => format!(
                    "{{\"partner_id\": \"P{i}\", \"quarter\": \"2025Q4\", \"revenue\": {i}.25, \"note\": \"a\\nb\"}}\n"
                ),
                1 => "\n".to_string(),
                2 => format!(
                    "{{\"partner_id\": \"P{i}\", \"quarter\": \"2025Q4\", \"revenue\": \"x\"}}\n"
                ),
                3 => format!(
                    "{{\"partner_id\": \"P{}\", \"quarter\": \"2025Q4\", \"revenue\": 1}}\n",
                    i - 3
                ),
                4 => "[1, 2]\n".to_string(),
                _ => format!(
                    "{{\"partner_id\": \"P{i}\", \"quarter\": \"2025Q4\", \"revenue\": 1,}}\n"
                ),
            };
            text.push_str(&row);
        }
        text.into_bytes()
    }

    fn outcome(bytes: &[u8], format: DataFormat, policy: OnInvalid, parts: Parts) -> String {
        let result = load_in_parts(bytes, format, &model(), &[], policy, parts);
        format!("{:?}", result.map(|l| (l.table, l.read, l.rejected)))
    }

    #[test]
    fn the_result_does_not_depend_on_how_the_file_is_split() {
        let files = [
            (tricky_csv(400), DataFormat::Csv),
            (tricky_ndjson(400), DataFormat::Ndjson),
        ];
        for (bytes, format) in &files {
            for policy in [OnInvalid::Fail, OnInvalid::Skip] {
                let whole = Parts {
                    threads: 1,
                    min_bytes: usize::MAX,
                    block_bytes: usize::MAX,
                };
                let expected = outcome(bytes, *format, policy, whole);
                assert!(expected.len() > 1000, "{expected}");
                for block_bytes in [1, 7, 64, 1000, 5000, usize::MAX] {
                    for threads in [1, 2, 3, 4, 7, 8] {
                        for min_bytes in [1, 100, 1000] {
                            let parts = Parts {
                                threads,
                                min_bytes,
                                block_bytes,
                            };
                            let got = outcome(bytes, *format, policy, parts);
                            assert_eq!(got, expected, "{format:?} {policy:?} {parts:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn integer_columns_widen_the_same_however_the_file_is_read() {
        let contract = "input {\n  key partner_id\n  reps: integer, optional\n}\n";
        let model = crate::check::check_text("t.scorecard", contract, &mut SourceMap::new())
            .model
            .unwrap_or_default();
        let values = [
            "3",
            "",
            "-128",
            "127",
            "300",
            "-40000",
            "70000",
            "9007199254740992",
            "-0",
        ];
        for wide_from in 0..values.len() {
            let mut text = String::from("partner_id,reps\n");
            for i in 0..60 {
                // Small values first, wider ones from row `wide_from * 6` on.
                let v = values.get(if i < wide_from * 6 {
                    i % 2
                } else {
                    i % values.len()
                });
                text.push_str(&format!("P{i:03},{}\n", v.copied().unwrap_or("")));
            }
            let load = |parts| {
                let result = load_in_parts(
                    text.as_bytes(),
                    DataFormat::Csv,
                    &model,
                    &[],
                    OnInvalid::Fail,
                    parts,
                );
                result.map(|l| {
                    let reps = l
                        .table
                        .columns
                        .iter()
                        .find(|c| matches!(c, Column::Int(_) | Column::Number(_)))
                        .cloned();
                    let numbers: Vec<u64> = match reps {
                        Some(Column::Int(v)) => v.numbers().iter().map(|x| x.to_bits()).collect(),
                        Some(Column::Number(v)) => v.iter().map(|x| x.to_bits()).collect(),
                        _ => Vec::new(),
                    };
                    numbers
                })
            };
            let whole = load(Parts {
                threads: 1,
                min_bytes: usize::MAX,
                block_bytes: usize::MAX,
            });
            let expected: Vec<u64> = (0..60)
                .map(|i| {
                    let v = values.get(if i < wide_from * 6 {
                        i % 2
                    } else {
                        i % values.len()
                    });
                    match v.copied().unwrap_or("") {
                        "" => f64::NAN.to_bits(),
                        "-0" => 0f64.to_bits(),
                        t => t.parse::<f64>().unwrap_or(f64::NAN).to_bits(),
                    }
                })
                .collect();
            assert_eq!(whole.as_ref().ok(), Some(&expected), "{wide_from}");
            for block_bytes in [1, 20, 100, 333] {
                for threads in [1, 2, 3] {
                    let parts = Parts {
                        threads,
                        min_bytes: 1,
                        block_bytes,
                    };
                    assert_eq!(load(parts).ok(), Some(expected.clone()), "{parts:?}");
                }
            }
        }
    }

    /// A quoted field holding a line break, then more than a block without
    /// one: the block that ends inside the quotes is cut, and the next must
    /// reach past it.
    #[test]
    fn a_record_longer_than_a_block_after_a_quoted_line_break_is_read() {
        let mut text = String::from("partner_id,quarter,revenue,note\nP1,2025Q4,1,\"a\n");
        text.push_str(&"b".repeat(500));
        text.push_str("\"\nP2,2025Q4,2,c\n");
        let whole = Parts {
            threads: 1,
            min_bytes: usize::MAX,
            block_bytes: usize::MAX,
        };
        let expected = outcome(text.as_bytes(), DataFormat::Csv, OnInvalid::Fail, whole);
        assert!(expected.contains("P2"), "{expected}");
        for block_bytes in [16, 64, 100] {
            for threads in [1, 2] {
                let parts = Parts {
                    threads,
                    min_bytes: 1,
                    block_bytes,
                };
                let got = outcome(text.as_bytes(), DataFormat::Csv, OnInvalid::Fail, parts);
                assert_eq!(got, expected, "{parts:?}");
            }
        }
    }

    #[test]
    fn skip_keeps_the_valid_rows_of_a_split_file() {
        let bytes = tricky_csv(400);
        let parts = Parts {
            threads: 4,
            min_bytes: 1,
            block_bytes: 500,
        };
        let result = load_in_parts(
            &bytes,
            DataFormat::Csv,
            &model(),
            &[],
            OnInvalid::Skip,
            parts,
        );
        let (rows, read, rejected) = result
            .map(|l| (l.table.rows, l.read, l.rejected.len()))
            .unwrap_or_default();
        // 400 rows, of which 45 are blank lines.
        assert_eq!(read, 355);
        assert_eq!(rows + rejected, read);
        assert!(rows > 100 && rejected > 100, "{rows} {rejected}");
    }

    /// Bytes made as they are read: `head`, then `fill` bytes of `byte`, then `tail`.
    struct Generated {
        head: Vec<u8>,
        byte: u8,
        fill: usize,
        tail: Vec<u8>,
        pos: usize,
    }

    impl Read for Generated {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let (head, fill) = (self.head.len(), self.fill);
            let mut n = 0;
            for slot in buf.iter_mut() {
                let p = self.pos;
                let b = if p < head {
                    self.head.get(p).copied()
                } else if p < head + fill {
                    Some(self.byte)
                } else {
                    self.tail.get(p - head - fill).copied()
                };
                let Some(b) = b else { break };
                *slot = b;
                n += 1;
                self.pos += 1;
            }
            Ok(n)
        }
    }

    #[test]
    fn a_record_far_over_the_limit_is_passed_over_in_blocks() {
        let mut input = Generated {
            head: b"partner_id,quarter,revenue,note\nP1,2025Q4,1,\"".to_vec(),
            byte: b'x',
            fill: 24 << 20,
            tail: b"\nmore\"\nP2,2025Q4,2,n\n".to_vec(),
            pos: 0,
        };
        let mut blocks = Blocks::new(&mut input, 1 << 20);
        let skipped = (|| {
            blocks.fill()?;
            blocks.pos = 32;
            blocks.skip_record(true)
        })();
        let skipped = skipped.map_err(|e| e.to_string());
        assert!(
            matches!(&skipped, Ok(s) if s.closed && s.lines == 2 && s.length == 13 + (24 << 20) + 6)
        );
        assert!(
            blocks.buf.capacity() <= 4 << 20,
            "{} bytes held",
            blocks.buf.capacity()
        );

        // Through the loader, under both policies: the row is reported once,
        // its excerpt rejected, and the next row read.
        for policy in [OnInvalid::Skip, OnInvalid::Fail] {
            input.pos = 0;
            let parts = Parts {
                threads: 2,
                min_bytes: 1,
                block_bytes: 1 << 20,
            };
            let result = with_reader(&model(), &[], policy, parts, |reader| {
                stream_with(reader, &mut input, None, DataFormat::Csv, &Source::Csv(&[]))
            });
            match (policy, result) {
                (OnInvalid::Skip, Ok(loaded)) => {
                    assert_eq!((loaded.read, loaded.table.rows), (2, 1));
                    let rejected = loaded
                        .rejected
                        .first()
                        .map(|r| (r.line, r.row_text.len(), r.problems.first().map(|p| p.code)));
                    assert_eq!(
                        rejected,
                        Some((2, EXCERPT_BYTES + "…".len(), Some(Code::D006)))
                    );
                    assert_eq!(loaded.table.lines, vec![4]);
                }
                (OnInvalid::Fail, Err(LoadError::Invalid(problems, 1))) => {
                    assert_eq!(
                        problems.first().map(|p| (p.code, p.line)),
                        Some((Code::D006, 2))
                    );
                }
                (policy, other) => {
                    let text = format!("{policy:?}: {other:?}");
                    assert!(text.is_empty(), "{text}");
                }
            }
        }
    }

    /// Over-long rows, read whole or in blocks far smaller than they are,
    /// are reported the same; so is a quoted field never closed after one.
    #[test]
    fn over_long_rows_are_reported_the_same_however_the_file_is_read() {
        let long = "y".repeat(MAX_LINE_BYTES + 10);
        let csv = format!(
            "partner_id,quarter,revenue,note\nP1,2025Q4,1,a\nP2,2025Q4,2,{long}\r\nP3,2025Q4,3,\"{long}\n\"\"{long}\"\nP4,2025Q4,4,b\n"
        );
        let ndjson = format!(
            "{{\"partner_id\": \"P1\", \"quarter\": \"2025Q4\", \"revenue\": 1}}\n{{\"note\": \"{long}\"}}\r\n{{\"partner_id\": \"P4\", \"quarter\": \"2025Q4\", \"revenue\": 4}}\n"
        );
        let unclosed = format!(
            "partner_id,quarter,revenue,note\nP1,2025Q4,1,a\nP2,2025Q4,2,\"{long}\n{long}\n"
        );
        for (bytes, format) in [
            (csv.as_bytes(), DataFormat::Csv),
            (ndjson.as_bytes(), DataFormat::Ndjson),
            (unclosed.as_bytes(), DataFormat::Csv),
        ] {
            for policy in [OnInvalid::Fail, OnInvalid::Skip] {
                let whole = Parts {
                    threads: 1,
                    min_bytes: usize::MAX,
                    block_bytes: usize::MAX,
                };
                let expected = outcome(bytes, format, policy, whole);
                assert!(expected.contains("D00"), "{expected:.2000}");
                assert!(
                    expected.len() < 20_000,
                    "{format:?} {policy:?}: {}",
                    expected.len()
                );
                for block_bytes in [4096, 300_000, 3 << 20] {
                    for threads in [1, 3] {
                        let parts = Parts {
                            threads,
                            min_bytes: 1,
                            block_bytes,
                        };
                        let got = outcome(bytes, format, policy, parts);
                        let at = got
                            .bytes()
                            .zip(expected.bytes())
                            .position(|(a, b)| a != b)
                            .unwrap_or(got.len().min(expected.len()));
                        assert!(
                            got == expected,
                            "{format:?} {policy:?} {parts:?}: from byte {at}: {:?} / {:?}",
                            got.get(at.saturating_sub(100)..(at + 300).min(got.len())),
                            expected.get(at.saturating_sub(100)..(at + 300).min(expected.len()))
                        );
                    }
                }
            }
        }
    }

    /// A file changed after it was opened, and what `load_opened` says of it.
    fn load_changed(
        name: &str,
        format: DataFormat,
        change: impl Fn(&Path),
    ) -> Result<Loaded, LoadError> {
        let dir = std::env::temp_dir().join(format!("scorecard-changed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(LoadError::Io)?;
        let path = dir.join(name);
        let bytes = match format {
            DataFormat::Json => b"[{\"partner_id\": \"P1\", \"quarter\": \"2025Q4\", \"revenue\": 1}, {\"partner_id\": \"P2\", \"quarter\": \"2025Q4\", \"revenue\": 2}]".to_vec(),
            _ => {
                let mut text = String::from("partner_id,quarter,revenue,note\n");
                for i in 0..2000 {
                    text.push_str(&format!("P{i},2025Q4,{i},n\n"));
                }
                text.into_bytes()
            }
        };
        std::fs::write(&path, &bytes).map_err(LoadError::Io)?;
        let file = std::fs::File::open(&path).map_err(LoadError::Io)?;
        let opened = file.metadata().map_err(LoadError::Io)?;
        change(&path);
        let result = load_opened(&path, file, &opened, format, &model(), &[], OnInvalid::Fail);
        let _ = std::fs::remove_file(&path);
        result
    }

    fn error_text(result: Result<Loaded, LoadError>) -> String {
        match result {
            Ok(loaded) => format!("loaded {} rows", loaded.read),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_file_changed_while_it_is_read_is_not_loaded() {
        let truncate = |path: &Path| {
            let file = std::fs::OpenOptions::new().write(true).open(path);
            if let Ok(f) = file {
                let _ = f.set_len(1000);
            }
        };
        let append = |path: &Path| {
            use std::io::Write;
            let file = std::fs::OpenOptions::new().append(true).open(path);
            if let Ok(mut f) = file {
                let _ = f.write_all(b"P9999,2025Q4,1,n\n");
            }
        };
        let replace = |path: &Path| {
            let other = path.with_extension("new");
            let bytes = std::fs::read(path).unwrap_or_default();
            let _ = std::fs::write(&other, bytes);
            let _ = std::fs::rename(&other, path);
        };
        let unchanged = error_text(load_changed("same.csv", DataFormat::Csv, |_| {}));
        assert_eq!(unchanged, "loaded 2000 rows");
        for format in [DataFormat::Csv, DataFormat::Json] {
            for (name, change) in [
                ("truncated", &truncate as &dyn Fn(&Path)),
                ("appended", &append),
                ("replaced", &replace),
            ] {
                let text = error_text(load_changed(&format!("{name}.{format:?}"), format, change));
                assert!(
                    text.contains("the file changed while it was read"),
                    "{name} {format:?}: {text}"
                );
            }
        }
    }

    #[test]
    fn split_points_fall_after_a_line_end_outside_quotes() {
        let bytes = b"h\n\"a\nb\"\nc\n\"d\ne\"\nf\n";
        let parts = Parts {
            threads: 8,
            min_bytes: 1,
            block_bytes: usize::MAX,
        };
        let points = split_points(bytes, 2, parts, true);
        for p in points.iter().skip(1).take(points.len().saturating_sub(2)) {
            assert_eq!(bytes.get(p - 1), Some(&b'\n'));
            let quotes = bytes.iter().take(*p).filter(|b| **b == b'"').count();
            assert_eq!(quotes % 2, 0, "split at {p} is inside quotes");
        }
    }
}
