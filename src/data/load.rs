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

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io::Read;
use std::path::Path;

use crate::data::collect::{self, At, Columns, Found, Rows, Target, not_utf8};
use crate::data::convert::{self, Role, Spec};
use crate::data::csv_fast::{self, PartEnd};
use crate::data::header::DataFormat;
use crate::data::json;
use crate::data::sniff;
use crate::data::table::{Column, Table, TextColumn, retain};
use crate::diag::Code;
use crate::model::Model;

pub use crate::data::convert::MAX_EXACT_INTEGER;
use crate::data::problem::clip;
pub use crate::data::problem::{
    DataProblem, EXCERPT_BYTES, MAX_LINE_BYTES, MAX_PROBLEMS, OnInvalid, Rejected,
};

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
/// memory whole; standard input and JSON arrays are read whole first.
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
    let file = std::fs::File::open(path).map_err(LoadError::Io)?;
    let opened = file.metadata().map_err(LoadError::Io)?;
    load_opened(path, file, &opened, format, model, needed, policy)
}

/// [`load`] of the file at `path`, open as `file`, whose metadata when it
/// was opened is `opened`: the load fails when the file is not the same
/// when it has been read (truncated, grown, rewritten or replaced).
fn load_opened(
    path: &Path,
    mut file: std::fs::File,
    opened: &std::fs::Metadata,
    format: DataFormat,
    model: &Model,
    needed: &[bool],
    policy: OnInvalid,
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

/// A reader that counts the bytes it gives.
struct Counted<'f> {
    file: &'f mut std::fs::File,
    bytes: u64,
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

/// How a regular file differs from what it was when opened: its size or
/// modification time (through the open file, and at its path), or which
/// file the path names. `read` is the number of bytes read, when the whole
/// file was read. `None` when nothing changed, or the file is not a
/// regular file (a pipe, a terminal), which has nothing to compare.
fn changed(
    path: &Path,
    file: &std::fs::File,
    opened: &std::fs::Metadata,
    read: Option<u64>,
) -> Option<String> {
    if !opened.is_file() {
        return None;
    }
    if let Some(read) = read.filter(|r| *r != opened.len()) {
        return Some(format!(
            "{read} bytes were read of the {} it had when it was opened",
            opened.len()
        ));
    }
    let differs = |now: &std::fs::Metadata| {
        if now.len() != opened.len() {
            Some(format!(
                "its size went from {} to {} bytes",
                opened.len(),
                now.len()
            ))
        } else if now.modified().ok() != opened.modified().ok() {
            Some("it was written to".to_string())
        } else {
            None
        }
    };
    match file.metadata() {
        Ok(now) => {
            if let Some(change) = differs(&now) {
                return Some(change);
            }
        }
        Err(e) => return Some(format!("it can no longer be examined: {e}")),
    }
    match std::fs::metadata(path) {
        Ok(now) => {
            if !same_file(opened, &now) {
                return Some("another file was put in its place".to_string());
            }
            differs(&now)
        }
        Err(_) => Some("it was removed or renamed".to_string()),
    }
}

/// Whether two metadata describe the same file (device and inode; on other
/// systems, only size and time are compared).
#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    true
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

/// No more threads than this read one file.
const MAX_THREADS: usize = 8;
/// A block is split only into parts at least this large.
const MIN_PART_BYTES: usize = 1 << 20;
/// The bytes read at a time (more when one record is longer).
const BLOCK_BYTES: usize = 16 << 20;

/// How a file is read: in blocks of about `block_bytes`, each split into at
/// most `threads` parts of at least `min_bytes`.
#[derive(Clone, Copy, Debug)]
struct Parts {
    threads: usize,
    min_bytes: usize,
    block_bytes: usize,
}

impl Parts {
    fn for_machine() -> Self {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        Parts {
            threads: threads.min(MAX_THREADS),
            min_bytes: MIN_PART_BYTES,
            block_bytes: BLOCK_BYTES,
        }
    }
}

fn load_in_parts(
    bytes: &[u8],
    format: DataFormat,
    model: &Model,
    needed: &[bool],
    policy: OnInvalid,
    parts: Parts,
) -> Result<Loaded, LoadError> {
    match format {
        DataFormat::Csv | DataFormat::Ndjson => {
            let source = match format {
                DataFormat::Csv => Source::Csv(bytes),
                _ => Source::Ndjson(bytes),
            };
            let mut input = bytes;
            let size = Some(bytes.len());
            load_stream(
                &mut input, size, format, model, needed, policy, parts, &source,
            )
        }
        DataFormat::Json => with_reader(model, needed, policy, parts, |reader| {
            if let Some(kind) = sniff::sniff(bytes) {
                return Err(invalid(vec![kind.problem()]));
            }
            let specs = reader.specs;
            let text = std::str::from_utf8(bytes).map_err(|_| {
                let mut problems = Vec::new();
                let mut count = 0;
                not_utf8(bytes, 0, &mut |p| {
                    count += 1;
                    if problems.len() < MAX_PROBLEMS {
                        problems.push(p);
                    }
                });
                unreadable(problems, count)
            })?;
            let elements = json::scan_array(text).map_err(|p| invalid(vec![p]))?;
            let keys = json::Keys::new(specs);
            let size = elements.spans.len();
            let mut columns = Columns::new(reader.counts, size);
            let mut found = {
                let out = columns.split(0, &[size]).into_iter().next();
                let Some(out) = out else {
                    return Err(invalid(Vec::new()));
                };
                let mut rows = Rows::new(specs, reader.targets, reader.policy, out);
                json::read_elements(text, &elements, &keys, &mut rows);
                rows.into_found()
            };
            columns.absorb(&std::mem::take(&mut found.wide), 0);
            json::missing_keys(&mut found, specs);
            finish(found, columns, reader, &Source::Json(bytes, elements))
        }),
    }
}

/// Run `read` with the reader of the model's contract.
fn with_reader<R>(
    model: &Model,
    needed: &[bool],
    policy: OnInvalid,
    parts: Parts,
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

/// What every part of a file is read with.
struct Reader<'s> {
    specs: &'s [Spec],
    targets: &'s [Target],
    counts: [usize; 5],
    policy: OnInvalid,
    parts: Parts,
}

/// Read CSV or NDJSON from `input` (of `size` bytes, when known) block by block.
#[allow(clippy::too_many_arguments)]
fn load_stream(
    input: &mut dyn Read,
    size: Option<usize>,
    format: DataFormat,
    model: &Model,
    needed: &[bool],
    policy: OnInvalid,
    parts: Parts,
    source: &Source<'_>,
) -> Result<Loaded, LoadError> {
    with_reader(model, needed, policy, parts, |reader| {
        stream_with(reader, input, size, format, source)
    })
}

fn stream_with(
    reader: &Reader<'_>,
    input: &mut dyn Read,
    size: Option<usize>,
    format: DataFormat,
    source: &Source<'_>,
) -> Result<Loaded, LoadError> {
    let (specs, parts) = (reader.specs, reader.parts);
    let mut blocks = Blocks::new(input, parts.block_bytes);
    blocks.fill().map_err(LoadError::Io)?;
    // A workbook or UTF-16 text is named before anything is read as text.
    while !blocks.eof && blocks.head().len() < sniff::SNIFF_BYTES {
        blocks.want = blocks.want.saturating_mul(2);
        blocks.fill().map_err(LoadError::Io)?;
    }
    if let Some(kind) = sniff::sniff(blocks.head()) {
        return Err(invalid(vec![kind.problem()]));
    }
    blocks.want = parts.block_bytes.max(1);
    match format {
        DataFormat::Csv => {
            // The whole header record, unless it is longer than a record may
            // be; and past white space, to tell an empty file from one whose
            // first line is blank.
            while !blocks.eof
                && ((!csv_fast::header_complete(blocks.head())
                    && blocks.head().len() <= 2 * MAX_LINE_BYTES)
                    || csv_fast::blank(blocks.head()))
            {
                blocks.want = blocks.want.saturating_mul(2);
                blocks.fill().map_err(LoadError::Io)?;
            }
            let layout = csv_fast::read_header(blocks.head(), specs)
                .map_err(|(problems, count)| unreadable(problems, count))?;
            blocks.pos = layout.data_start;
            blocks.want = parts.block_bytes.max(1);
            let rows = estimate_rows(size, &blocks);
            let (found, columns) = reader.read_blocks(
                &mut blocks,
                layout.data_line,
                rows,
                true,
                |part, last, line, rows| csv_fast::read_part(part, last, line, &layout, rows),
            )?;
            finish(found, columns, reader, source)
        }
        _ => {
            let rows = estimate_rows(size, &blocks);
            let keys = json::Keys::new(specs);
            let (mut found, columns) =
                reader.read_blocks(&mut blocks, 1, rows, false, |part, _, line, rows| {
                    json::read_ndjson_part(part, line, &keys, rows);
                    PartEnd { cut: None }
                })?;
            if !blocks.content {
                return Err(invalid(vec![DataProblem::new(
                    Code::D003,
                    1,
                    "the file is empty",
                    "an NDJSON data file holds one JSON object per line, one per row",
                )]));
            }
            json::missing_keys(&mut found, specs);
            finish(found, columns, reader, source)
        }
    }
}

/// Room for the rows of a file of `size` bytes, guessed from the lines of
/// its first block (room never written takes no memory; more is made when
/// the guess is short).
fn estimate_rows(size: Option<usize>, blocks: &Blocks<'_>) -> usize {
    let head = blocks.head();
    let lines = count_newlines(head) + 1;
    if blocks.eof {
        return lines;
    }
    match size {
        Some(size) => (size as f64 / head.len().max(1) as f64 * lines as f64 * 1.1) as usize + 1024,
        None => lines * 4,
    }
}

/// A data file read block by block: `buf[pos..]` is read and not yet taken.
struct Blocks<'r> {
    input: &'r mut dyn Read,
    buf: Vec<u8>,
    pos: usize,
    /// How many bytes a block should have.
    want: usize,
    /// The input has no more bytes.
    eof: bool,
    /// Some byte read so far is not ASCII white space.
    content: bool,
    /// The size of a block, which `want` returns to after a long record.
    block_bytes: usize,
}

impl<'r> Blocks<'r> {
    fn new(input: &'r mut dyn Read, want: usize) -> Self {
        Blocks {
            input,
            buf: Vec::new(),
            pos: 0,
            want: want.max(1),
            eof: false,
            content: false,
            block_bytes: want.max(1),
        }
    }

    /// Everything read so far (the first block, before any is taken).
    fn head(&self) -> &[u8] {
        &self.buf
    }

    /// Drop the bytes taken, then read until a block's worth is waiting or
    /// the input ends.
    fn fill(&mut self) -> std::io::Result<()> {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let start = self.buf.len();
        while !self.eof && self.buf.len() < self.want {
            let need = self.want - self.buf.len();
            self.buf.reserve(need.min(BLOCK_BYTES));
            let input: &mut dyn Read = &mut *self.input;
            let got = input.take(need as u64).read_to_end(&mut self.buf)?;
            if got == 0 {
                self.eof = true;
            }
        }
        if !self.content {
            self.content = !self
                .buf
                .get(start..)
                .unwrap_or_default()
                .iter()
                .all(u8::is_ascii_whitespace);
        }
        Ok(())
    }
}

/// A record passed over by [`Blocks::skip_record`].
struct Skipped {
    /// Its length in bytes, without its line end.
    length: usize,
    /// The LFs in it and ending it.
    lines: u64,
    /// Its first bytes.
    excerpt: Vec<u8>,
    /// Whether it ended at a line end or at the end of the input outside
    /// quotes (otherwise a quoted field is never closed).
    closed: bool,
}

impl Blocks<'_> {
    /// Read past the record at `pos` (a CSV record when `quotes`, otherwise
    /// a line), keeping only its first bytes: the buffer never holds more
    /// than a block. A CSV record ends at the first LF after an even number
    /// of quotes.
    fn skip_record(&mut self, quotes: bool) -> std::io::Result<Skipped> {
        let mut skipped = Skipped {
            length: 0,
            lines: 0,
            excerpt: Vec::new(),
            closed: true,
        };
        let mut open = false;
        let mut last = 0u8;
        self.want = self.block_bytes;
        loop {
            let waiting = self.buf.get(self.pos..).unwrap_or_default();
            let room = EXCERPT_BYTES + 4 - skipped.excerpt.len().min(EXCERPT_BYTES + 4);
            skipped
                .excerpt
                .extend_from_slice(waiting.get(..room.min(waiting.len())).unwrap_or_default());
            let mut end = None;
            for (i, &c) in waiting.iter().enumerate() {
                if c == b'\n' {
                    skipped.lines += 1;
                    if !open {
                        end = Some(i);
                        break;
                    }
                } else if quotes && c == b'"' {
                    open = !open;
                }
            }
            match end {
                Some(i) => {
                    let before = if i == 0 {
                        last
                    } else {
                        waiting.get(i - 1).copied().unwrap_or(0)
                    };
                    skipped.length += i - usize::from(quotes && before == b'\r');
                    skipped.excerpt.truncate(skipped.length);
                    self.pos += i + 1;
                    return Ok(skipped);
                }
                None => {
                    skipped.length += waiting.len();
                    last = waiting.last().copied().unwrap_or(last);
                    self.pos = self.buf.len();
                    if self.eof {
                        skipped.closed = !open;
                        return Ok(skipped);
                    }
                    self.fill()?;
                }
            }
        }
    }
}

impl Reader<'_> {
    /// Read the rest of `blocks` (which starts on line `first_line`) block
    /// by block into columns with room for `rows` rows to begin with.
    ///
    /// Each block ends after an LF (or at the end of the input) and is read
    /// in parts, on threads, by `read(part, last, line, rows)`. A part that
    /// reports a cut (a record running past its end) was not split at a
    /// record boundary after all: the later parts' results are dropped, and
    /// the next block starts at the cut and is read in one piece.
    fn read_blocks<F>(
        &self,
        blocks: &mut Blocks<'_>,
        first_line: u64,
        rows: usize,
        quotes: bool,
        read: F,
    ) -> Result<(Found, Columns), LoadError>
    where
        F: Fn(&[u8], bool, u64, &mut Rows<'_, '_>) -> PartEnd + Sync,
    {
        let mut columns = Columns::new(self.counts, rows);
        let mut all: Option<Found> = None;
        let mut free = 0;
        let mut line = first_line;
        let mut whole = false;
        loop {
            blocks.fill().map_err(LoadError::Io)?;
            let last = blocks.eof;
            let waiting = blocks.buf.get(blocks.pos..).unwrap_or_default();
            let end = if last {
                waiting.len()
            } else {
                match waiting.iter().rposition(|b| *b == b'\n') {
                    Some(lf) => lf + 1,
                    None if waiting.len() > MAX_LINE_BYTES => {
                        // The record has no line end within a row's limit:
                        // pass over it without keeping it.
                        let found =
                            self.skip_long_record(blocks, &mut columns, free, &mut line, quotes)?;
                        all = Some(match all.take() {
                            Some(mut all) => {
                                all.append(found);
                                all
                            }
                            None => found,
                        });
                        continue;
                    }
                    None => {
                        // Not one line end in a block: read more at a time.
                        blocks.want = blocks.want.saturating_mul(2);
                        continue;
                    }
                }
            };
            let block = waiting.get(..end).unwrap_or_default();
            let parts = if whole {
                Parts {
                    threads: 1,
                    ..self.parts
                }
            } else {
                self.parts
            };
            let base = free;
            let (mut found, stop) = self.read_block(
                block,
                line,
                last,
                quotes,
                parts,
                &mut columns,
                &mut free,
                &read,
            )?;
            columns.absorb(&std::mem::take(&mut found.wide), base);
            all = Some(match all.take() {
                Some(mut all) => {
                    all.append(found);
                    all
                }
                None => found,
            });
            match stop {
                Stop::End(lines) => {
                    blocks.pos += end;
                    line += lines as u64;
                    whole = false;
                    if last {
                        break;
                    }
                }
                Stop::Cut(at, at_line) => {
                    if last && parts.threads == 1 {
                        // Only parts that are not the last are cut.
                        break;
                    }
                    blocks.pos += at;
                    line = at_line;
                    if parts.threads == 1 && end - at > MAX_LINE_BYTES {
                        // Read in one piece, the record runs past the end of
                        // the block, more than a row's limit from its start.
                        let found =
                            self.skip_long_record(blocks, &mut columns, free, &mut line, quotes)?;
                        if let Some(all) = all.as_mut() {
                            all.append(found);
                        }
                        whole = false;
                        continue;
                    }
                    whole = true;
                    // When what is left is most of a block, the next block
                    // might end at the same line end: read more at a time,
                    // so that every block reaches further than the last.
                    if blocks.buf.len() - blocks.pos.min(blocks.buf.len()) > blocks.want / 2 {
                        blocks.want = blocks.want.saturating_mul(2);
                    }
                }
            }
        }
        match all {
            Some(found) => Ok((found, columns)),
            None => Err(invalid(Vec::new())),
        }
    }

    /// Pass over the record at `blocks.pos`, longer than a row may be,
    /// without keeping more of it than an excerpt; `line`, its line, moves
    /// past it. What was found: the row, rejected as too long (D006), or, when
    /// the file ends inside a quoted field, that problem of the file (D005).
    fn skip_long_record(
        &self,
        blocks: &mut Blocks<'_>,
        columns: &mut Columns,
        free: usize,
        line: &mut u64,
        quotes: bool,
    ) -> Result<Found, LoadError> {
        let skipped = blocks.skip_record(quotes).map_err(LoadError::Io)?;
        let out = columns.split(free, &[0]).into_iter().next();
        let Some(out) = out else {
            return Err(invalid(Vec::new()));
        };
        let mut rows = Rows::new(self.specs, self.targets, self.policy, out);
        if skipped.closed {
            rows.clear_values();
            rows.issues.push(DataProblem::new(
                Code::D006,
                *line,
                csv_fast::too_long(skipped.length),
                csv_fast::TOO_LONG_HELP,
            ));
            let row = At {
                row: *line,
                line: *line,
            };
            rows.finish(row, "", "", || {
                clip(&String::from_utf8_lossy(&skipped.excerpt))
            });
        } else {
            rows.file_problem(DataProblem::new(
                Code::D005,
                *line,
                "a quoted field that starts on this line is never closed",
                csv_fast::UNCLOSED_HELP,
            ));
        }
        *line += skipped.lines;
        Ok(rows.into_found())
    }

    /// Read one block (which starts on `first_line`) into `columns` from row
    /// `free` on, in parts on threads; `free` moves past the rows stored.
    #[allow(clippy::too_many_arguments)]
    fn read_block<F>(
        &self,
        bytes: &[u8],
        first_line: u64,
        last: bool,
        quotes: bool,
        parts: Parts,
        columns: &mut Columns,
        free: &mut usize,
        read: &F,
    ) -> Result<(Found, Stop), LoadError>
    where
        F: Fn(&[u8], bool, u64, &mut Rows<'_, '_>) -> PartEnd + Sync,
    {
        let bounds = split_points(bytes, 0, parts, quotes);
        let ranges: Vec<(usize, usize)> = bounds
            .windows(2)
            .filter_map(|w| match w {
                [a, b] => Some((*a, *b)),
                _ => None,
            })
            .collect();
        let slice = |a: usize, b: usize| bytes.get(a..b).unwrap_or_default();
        let newlines: Vec<usize> = ranges
            .iter()
            .map(|&(a, b)| count_newlines(slice(a, b)))
            .collect();
        // Room for one row per line of each part: every part but the last
        // ends with an LF, so its rows fill its room and leave no gap.
        let sizes: Vec<usize> = newlines
            .iter()
            .enumerate()
            .map(|(i, n)| n + usize::from(i + 1 == ranges.len()))
            .collect();
        let first_lines: Vec<u64> = newlines
            .iter()
            .scan(first_line, |line, n| {
                let this = *line;
                *line += *n as u64;
                Some(this)
            })
            .collect();
        columns.ensure(*free + sizes.iter().sum::<usize>());
        let count = ranges.len();
        let results = {
            let outs = columns.split(*free, &sizes);
            std::thread::scope(|scope| {
                let mut work = ranges.iter().zip(&first_lines).zip(outs).enumerate().map(
                    |(i, ((&(a, b), &line), out))| {
                        move || {
                            let mut rows = Rows::new(self.specs, self.targets, self.policy, out);
                            let end = read(slice(a, b), last && i + 1 == count, line, &mut rows);
                            (rows.into_found(), end)
                        }
                    },
                );
                let first = work.next();
                let handles: Vec<_> = work.map(|job| scope.spawn(job)).collect();
                let mut results = Vec::with_capacity(count);
                if let Some(job) = first {
                    results.push(job());
                }
                for handle in handles {
                    match handle.join() {
                        Ok(r) => results.push(r),
                        Err(_) => {
                            return Err(LoadError::Io(std::io::Error::other(
                                "a thread reading the data stopped unexpectedly",
                            )));
                        }
                    }
                }
                Ok(results)
            })?
        };
        let mut joined: Option<Found> = None;
        // The first row of the current part.
        let mut first = *free;
        for ((found, end), (&(a, _), &size)) in results.into_iter().zip(ranges.iter().zip(&sizes)) {
            columns.move_rows(first, *free, found.stored);
            *free += found.stored;
            first += size;
            let all = match joined.take() {
                Some(mut all) => {
                    all.append(found);
                    all
                }
                None => found,
            };
            if let Some((cut, line)) = end.cut {
                return Ok((all, Stop::Cut(a + cut, line)));
            }
            joined = Some(all);
        }
        match joined {
            Some(found) => Ok((found, Stop::End(newlines.iter().sum()))),
            None => Err(invalid(Vec::new())),
        }
    }
}

/// How reading a block ended: every part was read (with this many LFs), or
/// a part was cut at this offset of the block, on this line.
enum Stop {
    End(usize),
    Cut(usize, u64),
}

fn count_newlines(bytes: &[u8]) -> usize {
    count_byte(bytes, b'\n')
}

/// How many times `byte` occurs, counted in byte-wide lanes the compiler vectorizes.
fn count_byte(bytes: &[u8], byte: u8) -> usize {
    bytes
        .chunks(255)
        .map(|chunk| {
            usize::from(
                chunk
                    .iter()
                    .fold(0u8, |n, b| n.wrapping_add(u8::from(*b == byte))),
            )
        })
        .sum()
}

/// Part boundaries of `bytes[start..]`: just after an LF outside quoted
/// fields (when `quotes`), near equal sizes.
fn split_points(bytes: &[u8], start: usize, parts: Parts, quotes: bool) -> Vec<usize> {
    let len = bytes.len();
    let size = len.saturating_sub(start);
    let count = parts.threads.min(size / parts.min_bytes.max(1)).max(1);
    let mut bounds = vec![start];
    let mut pos = start;
    // Whether an odd number of quotes lies in bytes[start..pos].
    let mut odd = false;
    for k in 1..count {
        let target = start + size / count * k;
        if target > pos {
            if quotes {
                let found = bytes.get(pos..target).map_or(0, |b| count_byte(b, b'"'));
                odd ^= found % 2 == 1;
            }
            pos = target;
        }
        let mut split = None;
        while let Some(&c) = bytes.get(pos) {
            pos += 1;
            if c == b'\n' && !odd {
                split = Some(pos);
                break;
            }
            if quotes && c == b'"' {
                odd = !odd;
            }
        }
        match split {
            Some(p) if p < len => bounds.push(p),
            _ => break,
        }
    }
    bounds.push(len);
    bounds
}

/// Where the rows of the table came from, to find a row's text and line again.
enum Source<'b> {
    Csv(&'b [u8]),
    Ndjson(&'b [u8]),
    Json(&'b [u8], json::Elements),
    /// A CSV or NDJSON file read in blocks: read again, whole, the first
    /// time a row's text is asked for (only rows rejected as duplicates are).
    File(&'b Path, DataFormat, std::cell::OnceCell<Vec<u8>>),
}

impl Source<'_> {
    /// The file line of a table row (`Table::lines` numbers JSON rows by element).
    fn line(&self, row: u64) -> u64 {
        match self {
            Source::Json(_, elements) => usize::try_from(row)
                .ok()
                .and_then(|r| elements.lines.get(r.checked_sub(1)?))
                .copied()
                .unwrap_or(row),
            _ => row,
        }
    }

    /// The text of a table row.
    fn text(&self, row: u64) -> String {
        match self {
            Source::File(path, format, bytes) => {
                let bytes = bytes.get_or_init(|| std::fs::read(path).unwrap_or_default());
                match format {
                    DataFormat::Csv => Source::Csv(bytes).text(row),
                    _ => Source::Ndjson(bytes).text(row),
                }
            }
            Source::Csv(bytes) => csv_fast::record_at_line(bytes, row),
            Source::Ndjson(bytes) => {
                let line = bytes
                    .split(|b| *b == b'\n')
                    .nth(usize::try_from(row).unwrap_or(usize::MAX).saturating_sub(1))
                    .unwrap_or_default();
                String::from_utf8_lossy(line.strip_suffix(b"\r").unwrap_or(line)).into_owned()
            }
            Source::Json(bytes, elements) => usize::try_from(row)
                .ok()
                .and_then(|r| elements.spans.get(r.checked_sub(1)?))
                .and_then(|&(a, b)| bytes.get(a..b))
                .map(|t| String::from_utf8_lossy(t).into_owned())
                .unwrap_or_default(),
        }
    }
}

/// The file's problems, or the table with duplicates found and the policy applied.
fn finish(
    found: Found,
    columns: Columns,
    reader: &Reader<'_>,
    source: &Source<'_>,
) -> Result<Loaded, LoadError> {
    let policy = reader.policy;
    let specs = reader.specs;
    let (mut file_problems, file_count) = if found.utf8_problem_count > 0 {
        (found.utf8_problems, found.utf8_problem_count)
    } else {
        (found.file_problems, found.file_problem_count)
    };
    if file_count > 0 {
        file_problems.sort_by_key(|p| p.line);
        return Err(unreadable(file_problems, file_count));
    }
    if found.overflow {
        // Only lines ending in a lone CR make more rows than lines, and those
        // are problems of the file, returned above.
        return Err(LoadError::Io(std::io::Error::other(
            "internal error: more rows than lines",
        )));
    }
    let (columns, lines) = columns.into_table(reader.targets, found.stored, found.texts);
    let mut table = Table {
        rows: found.stored,
        columns,
        lines,
    };
    let duplicates = if found.keys.sorted {
        Vec::new()
    } else {
        find_duplicates(specs, &table, &found.keys.unstored)
    };
    let mut problems = found.problems;
    let mut total = found.problem_count;
    let mut rejected = found.rejected;
    let mut dropped = Vec::new();
    for duplicate in duplicates {
        let line = source.line(duplicate.row);
        let message = match &duplicate.period {
            Some(period) => format!(
                "a second row for key `{}` and period `{period}`: the first is on line {}",
                duplicate.key,
                source.line(duplicate.first)
            ),
            None => format!(
                "a second row for key `{}`: the first is on line {}",
                duplicate.key,
                source.line(duplicate.first)
            ),
        };
        let help = if duplicate.period.is_some() {
            "keep one row per partner and period"
        } else {
            "keep one row per partner, or declare the period column in the input block"
        };
        let problem = DataProblem::new(Code::D011, line, message, help);
        total += 1;
        match policy {
            OnInvalid::Fail => problems.push(problem),
            OnInvalid::Skip => match duplicate.table_row {
                Some(r) => {
                    dropped.push(r);
                    rejected.push(Rejected {
                        line,
                        row_text: source.text(duplicate.row),
                        problems: vec![problem],
                    });
                }
                None => {
                    if let Some(r) = rejected.iter_mut().find(|r| r.line == line) {
                        r.problems.push(problem);
                    }
                }
            },
        }
    }
    if let Some(problem) = mixed_periods(specs, &table, source) {
        // Which rows are right is unclear: no row is skipped.
        if policy == OnInvalid::Skip {
            return Err(LoadError::Invalid(vec![problem], 1));
        }
        problems.push(problem);
        total += 1;
    }
    match policy {
        OnInvalid::Fail => {
            if total > 0 {
                problems.sort_by_key(|p| (p.line, p.field.unwrap_or(0)));
                problems.truncate(MAX_PROBLEMS);
                return Err(LoadError::Invalid(problems, total));
            }
        }
        OnInvalid::Skip => {
            remove_rows(&mut table, &dropped);
            rejected.sort_by_key(|r| r.line);
        }
    }
    Ok(Loaded {
        read: found.read,
        table,
        rejected,
    })
}

/// Period labels written in two formats (`2025Q1` and `2025-01`), which can
/// be neither counted nor ordered: the first two, at the later one's line.
fn mixed_periods(specs: &[Spec], table: &Table, source: &Source<'_>) -> Option<DataProblem> {
    let i = specs.iter().position(|s| s.role == Role::Period)?;
    let Some(Column::Text(periods)) = table.columns.get(i) else {
        return None;
    };
    let (a, b) = crate::eval::mixed_period_formats((0..table.rows).map(|r| periods.get(r)))?;
    let (first, second) = (periods.get(a), periods.get(b));
    let line = |r: usize| source.line(table.lines.get(r).copied().unwrap_or(0));
    let form = |label: &str| crate::eval::period_format(label).0.described();
    let name = specs.get(i).map_or("", |s| s.name.as_str());
    Some(
        DataProblem::new(
            Code::D025,
            line(b),
            format!(
                "period `{second}` is {}, but `{first}` on line {} is {}",
                form(second),
                line(a),
                form(first)
            ),
            "write every period in one form — quarters such as `2025Q1`, months such as \
             `2025-01` or years such as `2025` — so that periods sort in time order and \
             `tenure` can count them",
        )
        .column(name)
        .value(second),
    )
}

/// A row whose key and period an earlier row already has.
struct Duplicate {
    /// `Table::lines` numbering, of this row and of the first.
    row: u64,
    first: u64,
    key: String,
    period: Option<String>,
    /// Its index in the table, if it is there.
    table_row: Option<usize>,
}

/// Every repeated (key, period), in row order, among the table's rows and the
/// rows not stored (which the caller passes in row order).
fn find_duplicates(
    specs: &[Spec],
    table: &Table,
    unstored: &[(u64, String, String)],
) -> Vec<Duplicate> {
    let text = |role| {
        specs
            .iter()
            .position(|s| s.role == role)
            .and_then(|i| match table.columns.get(i) {
                Some(Column::Text(t)) => Some(t),
                _ => None,
            })
    };
    let Some(keys) = text(Role::Key) else {
        return Vec::new();
    };
    let periods = text(Role::Period);
    let has_period = specs.iter().any(|s| s.role == Role::Period);
    let mut seen: HashMap<(&str, &str), u64> = HashMap::with_capacity(table.rows + unstored.len());
    let mut duplicates = Vec::new();
    let (mut i, mut j) = (0, 0);
    loop {
        let stored = table.lines.get(i).copied();
        let other = unstored.get(j);
        let (row, key, period, table_row) = match (stored, other) {
            (Some(line), Some((l, ..))) if line < *l => {
                i += 1;
                (
                    line,
                    keys.get(i - 1),
                    periods.map_or("", |p| p.get(i - 1)),
                    Some(i - 1),
                )
            }
            (Some(line), None) => {
                i += 1;
                (
                    line,
                    keys.get(i - 1),
                    periods.map_or("", |p| p.get(i - 1)),
                    Some(i - 1),
                )
            }
            (_, Some((l, k, p))) => {
                j += 1;
                (*l, k.as_str(), p.as_str(), None)
            }
            (None, None) => break,
        };
        match seen.entry((key, period)) {
            Entry::Vacant(e) => {
                e.insert(row);
            }
            Entry::Occupied(e) => duplicates.push(Duplicate {
                row,
                first: *e.get(),
                key: key.to_string(),
                period: has_period.then(|| period.to_string()),
                table_row,
            }),
        }
    }
    duplicates
}

/// Remove rows (indexes in increasing order) from every column.
fn remove_rows(table: &mut Table, drop: &[usize]) {
    if drop.is_empty() {
        return;
    }
    let mut keep = vec![true; table.rows];
    for &r in drop {
        if let Some(k) = keep.get_mut(r) {
            *k = false;
        }
    }
    for column in &mut table.columns {
        match column {
            Column::Number(v) => retain(v, &keep),
            Column::Int(v) => v.retain(&keep),
            Column::Bool(v) => retain(v, &keep),
            Column::Label(v) => retain(v, &keep),
            Column::Text(t) => {
                let mut kept = TextColumn::with_capacity(t.len(), 0);
                for (i, k) in keep.iter().enumerate() {
                    if *k {
                        kept.push(t.get(i));
                    }
                }
                *t = kept;
            }
            Column::Skipped => {}
        }
    }
    retain(&mut table.lines, &keep);
    table.rows = table.lines.len();
}

/// Problems as lines for a terminal or a log:
/// `partners.csv:12:7: error[D009]: column `revenue`: `abc` is not a number`,
/// then `  help: …`. At most [`MAX_PROBLEMS`] are written, then a count of the rest.
pub fn render(problems: &[DataProblem], file_name: &str) -> String {
    let mut out = String::new();
    for p in problems.iter().take(MAX_PROBLEMS) {
        let place = match p.character {
            Some(c) => format!("{file_name}:{}:{c}", p.line),
            None => format!("{file_name}:{}", p.line),
        };
        out.push_str(&format!(
            "{}: {}[{}]: {}\n",
            crate::escape::terminal(&place),
            p.code.severity().as_str(),
            p.code,
            crate::escape::terminal(&p.message)
        ));
        if !p.help.is_empty() {
            out.push_str(&format!("  help: {}\n", crate::escape::terminal(&p.help)));
        }
    }
    if problems.len() > MAX_PROBLEMS {
        let more = problems.len() - MAX_PROBLEMS;
        out.push_str(&format!(
            "… and {more} more problem{}\n",
            if more == 1 { "" } else { "s" }
        ));
    }
    out
}

/// Rejected rows as CSV, for `--rejects FILE`: the header
/// `line,codes,problems,row`, then one record per row (codes and problem
/// messages joined by `;`, the row as written; a cell a spreadsheet would run
/// as a formula gets a leading `'`).
pub fn render_rejects(rejected: &[Rejected]) -> String {
    let mut out = String::from("line,codes,problems,row\n");
    for r in rejected {
        let codes: Vec<&str> = r.problems.iter().map(|p| p.code.as_str()).collect();
        let messages: Vec<&str> = r.problems.iter().map(|p| p.message.as_str()).collect();
        out.push_str(&format!(
            "{},{},{},{}\n",
            r.line,
            csv_field(&codes.join(";")),
            csv_field(&crate::escape::spreadsheet_cell(&messages.join("; "))),
            csv_field(&crate::escape::spreadsheet_cell(&r.row_text))
        ));
    }
    out
}

/// A CSV field, quoted when it must be.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceMap;

    const CONTRACT: &str = "input {\n  key partner_id\n  period quarter\n  revenue: number >= 0\n  note: text, optional\n}\n";

    fn model() -> Model {
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
