//! CSV data: RFC 4180 records split straight from the bytes, fields parsed in place.
//!
//! A record is fields separated by `,` and ended by LF, CRLF or the end of the
//! file. A field that starts with `"` is quoted: it ends at the next `"` that
//! is not doubled, and may hold commas, line breaks and doubled quotes (`""`).
//! A record is numbered by the line it starts on. Blank lines are skipped.
//!
//! What is refused:
//! - a quoted field that is never closed, and a carriage return (CR) not
//!   followed by LF outside quotes: problems of the file (D005);
//! - a `"` inside an unquoted field, or text after a closing quote: problems
//!   of the row (D005);
//! - a record with more or fewer fields than the header (D007), or longer than
//!   [`MAX_LINE_BYTES`] (D006).

mod columns;

use crate::data::collect::{At, Rows, Target, not_utf8};
use crate::data::convert::{
    Bounds, Check, Fault, Labels, Role, Spec, Value, check, integer_at, issue, number_at,
    trim_bounds, within,
};
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use crate::data::header::look_alike;
use crate::data::problem::{BARE_CR, DataProblem, MAX_LINE_BYTES, MAX_PROBLEMS, excerpt};
use crate::diag::Code;
use crate::diag::fuzzy::closest;

/// The UTF-8 byte order mark, tolerated at the start of a file.
pub(super) const BOM: &[u8] = b"\xef\xbb\xbf";

/// One field of a record: a byte range of the text, or of the splitter's
/// scratch buffer when quotes had to be undoubled.
#[derive(Clone, Copy, Debug)]
pub(super) struct Field {
    pub start: usize,
    pub end: usize,
    pub scratch: bool,
    /// Where the field starts in the text, opening quote included.
    pub at: usize,
}

/// One record: its extent, the line it starts on, and what is wrong with its form.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Record {
    pub start: usize,
    /// The end of the record, before its line end.
    pub end: usize,
    pub line: u64,
    pub unterminated: bool,
    pub bare_cr: bool,
    /// The first field with a `"` inside it or text after its closing quote.
    pub stray_quote: Option<usize>,
}

impl Record {
    pub fn is_blank(&self) -> bool {
        self.start == self.end && !self.unterminated
    }
}

/// Splits bytes into records and fields.
pub(super) struct Splitter<'b> {
    bytes: &'b [u8],
    pos: usize,
    /// The line of `pos`, counting LFs (also those inside quoted fields).
    pub line: u64,
    pub fields: Vec<Field>,
    pub scratch: Vec<u8>,
}

/// The end of an unquoted run: the next `,`, LF, CR or `"`.
#[inline]
fn scan(bytes: &[u8], mut pos: usize) -> usize {
    while let Some(chunk) = bytes.get(pos..pos + 8) {
        let w = word(chunk);
        let hit = has_zero(w ^ (ONES * u64::from(b',')))
            | has_zero(w ^ (ONES * u64::from(b'\n')))
            | has_zero(w ^ (ONES * u64::from(b'\r')))
            | has_zero(w ^ (ONES * u64::from(b'"')));
        if hit != 0 {
            // The lowest flagged byte is exact (false flags only follow a true one).
            return pos + (hit.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    while let Some(&b) = bytes.get(pos) {
        if matches!(b, b',' | b'\n' | b'\r' | b'"') {
            break;
        }
        pos += 1;
    }
    pos
}

impl<'b> Splitter<'b> {
    pub fn new(bytes: &'b [u8], pos: usize) -> Self {
        Splitter {
            bytes,
            pos,
            line: 1,
            fields: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Where the next record starts.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The next record, its fields in `fields`; `None` at the end.
    pub fn next_record(&mut self) -> Option<Record> {
        let bytes = self.bytes;
        let start = self.pos;
        if start >= bytes.len() {
            return None;
        }
        self.fields.clear();
        self.scratch.clear();
        let mut record = Record {
            start,
            end: start,
            line: self.line,
            ..Record::default()
        };
        let mut pos = start;
        loop {
            let at = pos;
            if bytes.get(pos) == Some(&b'"') {
                pos += 1;
                let content = pos;
                let mut doubled = false;
                loop {
                    match bytes.get(pos) {
                        None => {
                            record.unterminated = true;
                            record.end = bytes.len();
                            self.pos = bytes.len();
                            return Some(record);
                        }
                        Some(b'"') if bytes.get(pos + 1) == Some(&b'"') => {
                            doubled = true;
                            pos += 2;
                        }
                        Some(b'"') => break,
                        Some(b'\n') => {
                            self.line += 1;
                            pos += 1;
                        }
                        Some(_) => pos += 1,
                    }
                }
                let field = if doubled {
                    let from = self.scratch.len();
                    let mut i = content;
                    while let Some(&c) = bytes.get(i).filter(|_| i < pos) {
                        self.scratch.push(c);
                        // Inside the quotes every `"` is doubled: keep one.
                        i += if c == b'"' { 2 } else { 1 };
                    }
                    Field {
                        start: from,
                        end: self.scratch.len(),
                        scratch: true,
                        at,
                    }
                } else {
                    Field {
                        start: content,
                        end: pos,
                        scratch: false,
                        at,
                    }
                };
                pos += 1;
                if !matches!(bytes.get(pos), None | Some(b',' | b'\n' | b'\r')) {
                    record.stray_quote.get_or_insert(self.fields.len());
                    pos = scan(bytes, pos);
                    while bytes.get(pos) == Some(&b'"') {
                        pos = scan(bytes, pos + 1);
                    }
                }
                self.fields.push(field);
            } else {
                let mut end = scan(bytes, pos);
                while bytes.get(end) == Some(&b'"') {
                    record.stray_quote.get_or_insert(self.fields.len());
                    end = scan(bytes, end + 1);
                }
                self.fields.push(Field {
                    start: pos,
                    end,
                    scratch: false,
                    at,
                });
                pos = end;
            }
            match bytes.get(pos) {
                Some(b',') => pos += 1,
                Some(b'\n') => {
                    record.end = pos;
                    self.pos = pos + 1;
                    self.line += 1;
                    return Some(record);
                }
                Some(b'\r') => {
                    record.end = pos;
                    if bytes.get(pos + 1) == Some(&b'\n') {
                        self.pos = pos + 2;
                        self.line += 1;
                    } else {
                        record.bare_cr = true;
                        self.pos = pos + 1;
                    }
                    return Some(record);
                }
                _ => {
                    record.end = pos;
                    self.pos = pos;
                    return Some(record);
                }
            }
        }
    }
}

/// From `(pos, character)` — the 1-based character position of byte `pos`
/// of `text`, `None` once past a line break — on to byte `at`, counting only
/// the characters in between.
fn advance(
    text: &str,
    (pos, character): (usize, Option<usize>),
    at: usize,
) -> (usize, Option<usize>) {
    let between = text.get(pos..at).unwrap_or_default();
    let character = character.filter(|_| !between.contains('\n'));
    (at.max(pos), character.map(|c| c + between.chars().count()))
}

/// The 1-based character position of `at` in the line that starts at
/// `line_start`, if `at` is on that line.
pub(super) fn character(text: &str, line_start: usize, at: usize) -> Option<usize> {
    let prefix = text.get(line_start..at)?;
    (!prefix.contains('\n')).then(|| prefix.chars().count() + 1)
}

/// How the header maps fields to contract columns.
#[derive(Debug)]
pub(super) struct Layout {
    /// The number of fields in the header, which every record must have.
    pub fields: usize,
    /// Per spec: the field that holds the column, if the header has it.
    pub source: Vec<Option<usize>>,
    /// Where the first data record starts.
    pub data_start: usize,
    /// The line the first data record starts on.
    pub data_line: u64,
    /// Per spec: a column not to read at all (read before, or read later).
    pub skip: Vec<bool>,
    /// The records are read again: their form was checked the first time,
    /// so the fields after the last one read are passed over.
    pub again: bool,
}

/// Whether `bytes`, the start of a file, is white space but for a byte
/// order mark.
pub(super) fn blank(bytes: &[u8]) -> bool {
    let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
    body.iter().all(u8::is_ascii_whitespace)
}

/// Whether `bytes`, the start of a file, holds its whole header record and
/// something after it (so that a line end split across a read is not
/// mistaken for a CR alone).
pub(super) fn header_complete(bytes: &[u8]) -> bool {
    let start = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
    let mut splitter = Splitter::new(bytes, start);
    match splitter.next_record() {
        Some(record) => {
            !record.unterminated && splitter.pos > record.end && splitter.pos < bytes.len()
        }
        None => false,
    }
}

/// Read the header row and match it with the contract; problems here are the file's.
///
/// `bytes` is the start of the file, holding the whole header record unless
/// that is longer than a record may be.
///
/// The problems are the first [`MAX_PROBLEMS`] and how many there are.
pub(super) fn read_header(
    bytes: &[u8],
    specs: &[Spec],
) -> Result<Layout, (Vec<DataProblem>, usize)> {
    let start = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
    if blank(bytes) {
        return Err((
            vec![DataProblem::new(
                Code::D003,
                1,
                "the file is empty: there is no header row",
                "a CSV data file starts with a header row that names the columns",
            )],
            1,
        ));
    }
    let mut splitter = Splitter::new(bytes, start);
    let Some(record) = splitter.next_record() else {
        return Err((Vec::new(), 0));
    };
    let header_bytes = bytes.get(..record.end).unwrap_or_default();
    let Ok(text) = std::str::from_utf8(header_bytes) else {
        let (mut problems, mut count) = (Vec::new(), 0);
        not_utf8(header_bytes, 0, &mut |p| {
            count += 1;
            if problems.len() < MAX_PROBLEMS {
                problems.push(p);
            }
        });
        return Err((problems, count));
    };
    let problem = |code, message: &str, help: &str| {
        Err((vec![DataProblem::new(code, record.line, message, help)], 1))
    };
    if record.bare_cr {
        return problem(Code::D005, BARE_CR.0, BARE_CR.1);
    }
    // A quoted field still open after more than a record's length: too long,
    // whether or not the file ends before it is closed.
    if record.unterminated && record.end - record.start > MAX_LINE_BYTES {
        return problem(
            Code::D006,
            &too_long(record.end - record.start),
            TOO_LONG_HELP,
        );
    }
    if record.unterminated {
        return problem(
            Code::D005,
            "a quoted field in the header row is never closed",
            UNCLOSED_HELP,
        );
    }
    if record.is_blank() {
        return problem(
            Code::D003,
            "the first line is empty: the header row must be the first line",
            "remove the blank lines before the header row",
        );
    }
    if record.end - record.start > MAX_LINE_BYTES {
        return problem(
            Code::D006,
            &too_long(record.end - record.start),
            TOO_LONG_HELP,
        );
    }
    if record.stray_quote.is_some() {
        return problem(Code::D005, STRAY_QUOTE.0, STRAY_QUOTE.1);
    }
    let scratch = std::str::from_utf8(&splitter.scratch).unwrap_or_default();
    let names: Vec<&str> = splitter
        .fields
        .iter()
        .map(|f| {
            let from = if f.scratch { scratch } else { text };
            from.get(f.start..f.end)
                .unwrap_or_default()
                .trim_matches([' ', '\t'])
        })
        .collect();
    // One pass, whatever the width: the first field of each name, and the
    // character position of each field counted on from the field before.
    let mut first: HashMap<&str, usize> = HashMap::with_capacity(names.len());
    let mut problems = Vec::new();
    let mut count = 0;
    let mut place = (record.start, Some(1));
    for (i, name) in names.iter().enumerate() {
        if name.is_empty() {
            continue;
        }
        let earlier = match first.entry(name) {
            Entry::Vacant(e) => {
                e.insert(i);
                continue;
            }
            Entry::Occupied(e) => *e.get(),
        };
        count += 1;
        if problems.len() >= MAX_PROBLEMS {
            continue;
        }
        let at = splitter.fields.get(i).map_or(record.start, |f| f.at);
        place = advance(text, place, at);
        problems.push(
            DataProblem::new(
                Code::D003,
                record.line,
                format!(
                    "the column `{name}` appears twice in the header (fields {} and {})",
                    earlier + 1,
                    i + 1
                ),
                "give every column of the data file its own name",
            )
            .at(place.1)
            .column(name)
            .field(i),
        );
    }
    let mut source = Vec::with_capacity(specs.len());
    for spec in specs {
        let found = first.get(spec.name.as_str()).copied();
        if found.is_none() && spec.required {
            count += 1;
            problems.push(missing_column(spec, names.iter().copied(), record.line));
        }
        source.push(found);
    }
    if count > 0 {
        problems.truncate(MAX_PROBLEMS);
        return Err((problems, count));
    }
    Ok(Layout {
        fields: names.len(),
        source,
        data_start: splitter.pos(),
        data_line: splitter.line,
        skip: Vec::new(),
        again: false,
    })
}

/// A required column the data lacks (D001), with a "did you mean".
pub(super) fn missing_column<'a>(
    spec: &Spec,
    names: impl IntoIterator<Item = &'a str>,
    line: u64,
) -> DataProblem {
    let what = match spec.role {
        Role::Key => "key column",
        Role::Period => "period column",
        Role::Plain => "column",
    };
    let help = match closest(&spec.name, names) {
        Some(s) => match look_alike(s, &spec.name) {
            Some(note) => format!("the data has `{s}`, {note}"),
            None => format!("the data has `{s}`: rename one of them"),
        },
        None if spec.role == Role::Plain => {
            "add the column to the data, or declare it `optional` in the input block".to_string()
        }
        None => "add the column to the data".to_string(),
    };
    DataProblem::new(
        Code::D001,
        line,
        format!("the data has no {what} `{}`", spec.name),
        help,
    )
    .column(&spec.name)
}

pub(super) const UNCLOSED_HELP: &str =
    "close the quoted field with `\"`; a quote inside a quoted field is written twice (`\"\"`)";
pub(super) const STRAY_QUOTE: (&str, &str) = (
    "a `\"` inside a field that is not quoted",
    "quote the whole field and double the quotes inside it: `\"27\"\" monitor\"`",
);
pub(super) const AFTER_QUOTE: (&str, &str) = (
    "text after the closing quote of a field",
    "put the whole value inside the quotes, doubling the quotes in it: `\"27\"\" monitor\"`",
);
pub(super) const TOO_LONG_HELP: &str =
    "check the line: a quote left open can run many lines together";

pub(super) fn too_long(bytes: usize) -> String {
    format!("the row is {bytes} bytes long, over the limit of {MAX_LINE_BYTES} bytes (1 MiB)")
}

/// How reading a part ended.
#[derive(Clone, Copy, Debug)]
pub(super) struct PartEnd {
    /// A record ran past the end of the part (a part that is not the last):
    /// where it starts in the part, and its line. The rest of the file must
    /// be read from there.
    pub cut: Option<(usize, u64)>,
}

/// Eight bytes as a little-endian word (the first byte lowest).
#[inline(always)]
fn word(chunk: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(chunk);
    u64::from_le_bytes(w)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;
const LOWS: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// The high bit of each byte that may be zero: exact up to the first zero
/// byte, which is all the lowest set bit is used for.
#[inline(always)]
fn has_zero(v: u64) -> u64 {
    v.wrapping_sub(ONES) & !v & HIGHS
}

/// The high bit of exactly each zero byte.
#[inline(always)]
fn zero_bytes(v: u64) -> u64 {
    !(((v & LOWS).wrapping_add(LOWS)) | v | LOWS)
}

/// What to do with one field of a record: check it as its column says, and
/// store it where the table keeps that column (if it keeps it).
#[derive(Clone, Copy, Debug)]
enum Op<'s> {
    Skip,
    Number {
        spec: usize,
        bounds: Bounds,
        out: Option<usize>,
    },
    Integer {
        spec: usize,
        bounds: Bounds,
        out: Option<usize>,
    },
    Bool {
        spec: usize,
        out: Option<usize>,
    },
    Label {
        spec: usize,
        labels: &'s Labels,
        out: Option<usize>,
    },
    Text {
        spec: usize,
        out: Option<usize>,
    },
    /// A key or period of another type: checked as declared, kept as text.
    General {
        spec: usize,
    },
}

impl<'s> Op<'s> {
    fn new(c: usize, spec: &'s Spec, target: Target) -> Self {
        if spec.role != Role::Plain {
            // A key or period is refused with spaces around it: `check` knows.
            return Op::General { spec: c };
        }
        // Where the value goes: its column, nowhere (a skipped column, still
        // checked), or — for a key or period of another type — kept as text.
        let out = match (&spec.check, target) {
            (_, Target::Skip) => None,
            (Check::Number, Target::Number(i))
            | (Check::Integer, Target::Int(i))
            | (Check::Bool, Target::Bool(i))
            | (Check::Label(_), Target::Label(i))
            | (Check::Text, Target::Text(i)) => Some(i),
            _ => return Op::General { spec: c },
        };
        match &spec.check {
            Check::Number => Op::Number {
                spec: c,
                bounds: spec.bounds,
                out,
            },
            Check::Integer => Op::Integer {
                spec: c,
                bounds: spec.bounds,
                out,
            },
            Check::Bool => Op::Bool { spec: c, out },
            Check::Label(labels) => Op::Label {
                spec: c,
                labels,
                out,
            },
            Check::Text => Op::Text { spec: c, out },
        }
    }

    fn spec(self) -> Option<usize> {
        match self {
            Op::Skip => None,
            Op::Number { spec, .. }
            | Op::Integer { spec, .. }
            | Op::Bool { spec, .. }
            | Op::Label { spec, .. }
            | Op::Text { spec, .. }
            | Op::General { spec } => Some(spec),
        }
    }
}

/// Where the values of one part's records go, and how they are named.
struct Fields<'p, 's> {
    text: &'p str,
    specs: &'s [Spec],
    /// Per header field: what to do with it.
    ops: Vec<Op<'s>>,
    /// Reading a record again, the fields after the first `read_to` are
    /// passed over (usize::MAX: every field is read, and counted).
    read_to: usize,
    /// The header's number of fields.
    count: usize,
}

impl Fields<'_, '_> {
    /// Check field `field` of the record that starts at `record` on `line`:
    /// its value is at `start..end` of `source` (the part, or the scratch
    /// buffer), and the field itself starts at `at` in the part.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn take(
        &self,
        rows: &mut Rows,
        source: &[u8],
        in_scratch: bool,
        field: usize,
        (start, end): (usize, usize),
        at: usize,
        (record, line): (usize, u64),
    ) {
        let op = match self.ops.get(field) {
            Some(Op::Skip) | None => return,
            Some(&op) => op,
        };
        // Numbers, integers and bools tolerate spaces around them; text and
        // labels are exactly the field (keys and periods: see `check`).
        let (start, end) = match op {
            Op::Number { .. } | Op::Integer { .. } | Op::Bool { .. } => {
                let raw = source.get(start..end).unwrap_or_default();
                let (lead, trail) = trim_bounds(raw);
                (start + lead, start + trail)
            }
            _ => (start, end),
        };
        let result = if start == end {
            self.missing(rows, op)
        } else {
            match op {
                Op::Skip => Ok(()),
                Op::Number { bounds, out, .. } => within(number_at(source, start, end), bounds)
                    .map(|x| {
                        if let Some(i) = out {
                            rows.set_number(i, x);
                        }
                    }),
                Op::Integer { bounds, out, .. } => within(integer_at(source, start, end), bounds)
                    .map(|x| {
                        if let Some(i) = out {
                            rows.set_int(i, x);
                        }
                    }),
                Op::Label { labels, out, .. } => {
                    match labels.find(source.get(start..end).unwrap_or_default()) {
                        Some(l) => {
                            if let Some(i) = out {
                                rows.set_label(i, l);
                            }
                            Ok(())
                        }
                        None => Err(Fault::Label),
                    }
                }
                Op::Bool { out, .. } => {
                    let value = source.get(start..end).unwrap_or_default();
                    let b = if value.eq_ignore_ascii_case(b"true") {
                        Ok(1)
                    } else if value.eq_ignore_ascii_case(b"false") {
                        Ok(0)
                    } else {
                        Err(Fault::Bool)
                    };
                    b.map(|b| {
                        if let Some(i) = out {
                            rows.set_bool(i, b);
                        }
                    })
                }
                Op::Text { out, .. } => {
                    if let Some(i) = out {
                        rows.set_text(i, start, end, in_scratch);
                    }
                    Ok(())
                }
                Op::General { spec } => match self.specs.get(spec) {
                    Some(s) => check(s, source, start, end)
                        .map(|v| rows.put(spec, v, start, end, in_scratch)),
                    None => Ok(()),
                },
            }
        };
        if let Err(fault) = result {
            let value = source.get(start..end).unwrap_or_default();
            if let Some(c) = op.spec() {
                // No value is kept, and none of an earlier row lingers.
                rows.put(c, Value::Missing, 0, 0, false);
                if let Some(spec) = self.specs.get(c) {
                    let problem = self.refused(spec, value, fault, field, at, record, line);
                    rows.issues.push(problem);
                }
            }
        }
    }

    /// An empty value: missing, which only optional columns may be.
    #[inline(always)]
    fn missing(&self, rows: &mut Rows, op: Op) -> Result<(), Fault> {
        let Some(c) = op.spec() else {
            return Ok(());
        };
        if self.specs.get(c).is_none_or(|s| s.required) {
            return Err(Fault::Missing);
        }
        rows.put(c, Value::Missing, 0, 0, false);
        Ok(())
    }

    #[cold]
    #[allow(clippy::too_many_arguments)]
    fn refused(
        &self,
        spec: &Spec,
        value: &[u8],
        fault: Fault,
        field: usize,
        at: usize,
        record: usize,
        line: u64,
    ) -> DataProblem {
        DataProblem::from_issue(issue(spec, value, fault), line)
            .at(character(self.text, record, at))
            .column(&spec.name)
            .field(field)
            .value(&String::from_utf8_lossy(value))
    }
}

/// Split and check a plain record (see [`split_plain`]): its end and the
/// start of the next record, with the number of fields in `fields_seen`.
#[inline(always)]
fn plain_record(
    bytes: &[u8],
    start: usize,
    line: u64,
    fields_seen: &mut usize,
    rows: &mut Rows,
    fields: &Fields,
) -> Option<(usize, usize)> {
    let (end, next, seen) = split_plain(bytes, start, fields.read_to, fields.count, |f, a, b| {
        fields.take(rows, bytes, false, f, (a, b), a, (start, line));
    })?;
    *fields_seen = seen;
    Some((end, next))
}

/// Split a plain record (no quotes, no CR but one ending a CRLF) eight
/// bytes at a time, giving each of its first `read_to` fields to
/// `field(index, start, end)`: the record's end, the start of the next
/// record and its number of fields (`count` when the fields after
/// `read_to` were passed over); `None` when the record is not plain (or
/// too close to the end of the part), for the general path to read it.
#[inline(always)]
fn split_plain(
    bytes: &[u8],
    start: usize,
    read_to: usize,
    count: usize,
    mut field: impl FnMut(usize, usize, usize),
) -> Option<(usize, usize, usize)> {
    let mut pos = start;
    let mut field_start = start;
    let mut index = 0;
    loop {
        let w = word(bytes.get(pos..pos + 8)?);
        let newline = has_zero(w ^ (ONES * u64::from(b'\n')));
        // The bytes of this record in the word: those before its first LF.
        let mine = if newline == 0 {
            u64::MAX
        } else {
            (newline & newline.wrapping_neg()) - 1
        };
        let mut end = None;
        if has_zero(w ^ (ONES * u64::from(b'"'))) & mine != 0 {
            return None;
        }
        let cr = has_zero(w ^ (ONES * u64::from(b'\r'))) & mine;
        if cr != 0 {
            // Only a CR right before the LF, in this word, is plain.
            if newline == 0 || cr != (mine + 1) >> 8 {
                return None;
            }
            end = Some(pos + (cr.trailing_zeros() / 8) as usize);
        }
        let mut commas = if index < read_to {
            zero_bytes(w ^ (ONES * u64::from(b','))) & mine
        } else {
            0
        };
        while commas != 0 {
            let comma = pos + (commas.trailing_zeros() / 8) as usize;
            field(index, field_start, comma);
            index += 1;
            field_start = comma + 1;
            commas &= commas - 1;
            if index >= read_to {
                // Read again: the rest of the record is passed over.
                commas = 0;
            }
        }
        if newline != 0 {
            let lf = pos + (newline.trailing_zeros() / 8) as usize;
            let end = end.unwrap_or(lf);
            if index >= read_to {
                return Some((end, lf + 1, count));
            }
            field(index, field_start, end);
            return Some((end, lf + 1, index + 1));
        }
        pos += 8;
        if index >= read_to {
            // The fields after the last one read are passed over: the
            // record ends at its first LF (a CR right before it is the
            // line end's), and it is plain when no quote or other CR
            // comes first.
            let rest = bytes.get(pos..)?;
            let at = memchr::memchr3(b'\n', b'\r', b'"', rest)?;
            return match (rest.get(at), rest.get(at + 1)) {
                (Some(b'\n'), _) => Some((pos + at, pos + at + 1, count)),
                (Some(b'\r'), Some(b'\n')) => Some((pos + at, pos + at + 2, count)),
                _ => None,
            };
        }
    }
}

/// Per header field, the spec it holds, if any.
fn field_specs(layout: &Layout) -> Vec<Option<usize>> {
    let mut specs = vec![None; layout.fields];
    for (c, field) in layout.source.iter().enumerate() {
        if let Some(slot) = field.and_then(|f| specs.get_mut(f)) {
            *slot = Some(c);
        }
    }
    specs
}

/// Read the records of one part of the data (it starts at a record and ends
/// after an LF, or at the end of the file when `last`).
///
/// Each field is checked as soon as it is delimited, so that the bytes are
/// walked once; problems of the record's form replace those of its values.
pub(super) fn read_part(
    bytes: &[u8],
    last: bool,
    first_line: u64,
    layout: &Layout,
    rows: &mut Rows,
) -> PartEnd {
    let Ok(text) = std::str::from_utf8(bytes) else {
        not_utf8(bytes, first_line - 1, &mut |p| rows.file_problem(p));
        return PartEnd { cut: None };
    };
    let specs = rows.specs;
    let ops: Vec<Op> = field_specs(layout)
        .into_iter()
        .map(|c| {
            if c.is_some_and(|c| layout.skip.get(c) == Some(&true)) {
                return Op::Skip;
            }
            match (
                c,
                c.and_then(|c| specs.get(c)),
                c.and_then(|c| rows.targets.get(c)),
            ) {
                (Some(c), Some(spec), Some(&target)) => Op::new(c, spec, target),
                _ => Op::Skip,
            }
        })
        .collect();
    let read_to = if layout.again {
        ops.iter()
            .rposition(|op| !matches!(op, Op::Skip))
            .map_or(0, |i| i + 1)
    } else {
        usize::MAX
    };
    let fields = Fields {
        text,
        specs,
        ops,
        read_to,
        count: layout.fields,
    };
    let absent: Vec<usize> = (0..specs.len())
        .filter(|c| layout.source.get(*c).is_some_and(Option::is_none))
        .collect();
    let mut scratch: Vec<u8> = Vec::new();
    let mut pos = 0;
    let mut line = first_line;
    let mut bare_cr_line = 0;
    let mut run = columns::Run::default();
    // Records to read one at a time before reading column by column again.
    let mut one_by_one = 0usize;
    while pos < bytes.len() {
        if one_by_one == 0 {
            match run.read(bytes, text, (pos, line), &fields, rows, &absent) {
                columns::Outcome::Read { next, records } => {
                    pos = next;
                    line += records as u64;
                    continue;
                }
                columns::Outcome::OneByOne { records } => one_by_one = records,
            }
        }
        one_by_one -= 1;
        let start = pos;
        let record_line = line;
        // Blank lines are skipped.
        match (bytes.get(pos), bytes.get(pos + 1)) {
            (Some(b'\n'), _) => {
                pos += 1;
                line += 1;
                continue;
            }
            (Some(b'\r'), Some(b'\n')) => {
                pos += 2;
                line += 1;
                continue;
            }
            _ => {}
        }
        for &c in &absent {
            rows.put(c, Value::Missing, 0, 0, false);
        }
        let mut field = 0;
        let mut stray_quote = None;
        let mut unterminated = false;
        let mut bare_cr = false;
        scratch.clear();
        let end = if let Some((end, next)) =
            plain_record(bytes, start, record_line, &mut field, rows, &fields)
        {
            pos = next;
            line += 1;
            end
        } else {
            // The general path: quotes, lone CRs, the end of the file.
            rows.issues.clear();
            field = 0;
            loop {
                let at = pos;
                let (value_start, value_end, in_scratch) = if bytes.get(pos) == Some(&b'"') {
                    pos += 1;
                    let content = pos;
                    let mut doubled = false;
                    loop {
                        match bytes.get(pos) {
                            None => {
                                unterminated = true;
                                break;
                            }
                            Some(b'"') if bytes.get(pos + 1) == Some(&b'"') => {
                                doubled = true;
                                pos += 2;
                            }
                            Some(b'"') => break,
                            Some(b'\n') => {
                                line += 1;
                                pos += 1;
                            }
                            Some(_) => pos += 1,
                        }
                    }
                    if unterminated {
                        break bytes.len();
                    }
                    let range = if doubled {
                        let from = scratch.len();
                        let mut i = content;
                        while let Some(&c) = bytes.get(i).filter(|_| i < pos) {
                            scratch.push(c);
                            // Inside the quotes every `"` is doubled: keep one.
                            i += if c == b'"' { 2 } else { 1 };
                        }
                        (from, scratch.len(), true)
                    } else {
                        (content, pos, false)
                    };
                    pos += 1;
                    if !matches!(bytes.get(pos), None | Some(b',' | b'\n' | b'\r')) {
                        stray_quote.get_or_insert((field, at, AFTER_QUOTE));
                        pos = scan(bytes, pos);
                        while bytes.get(pos) == Some(&b'"') {
                            pos = scan(bytes, pos + 1);
                        }
                    }
                    range
                } else {
                    let value_start = pos;
                    pos = scan(bytes, pos);
                    while bytes.get(pos) == Some(&b'"') {
                        stray_quote.get_or_insert((field, at, STRAY_QUOTE));
                        pos = scan(bytes, pos + 1);
                    }
                    (value_start, pos, false)
                };
                let source: &[u8] = if in_scratch { &scratch } else { bytes };
                fields.take(
                    rows,
                    source,
                    in_scratch,
                    field,
                    (value_start, value_end),
                    at,
                    (start, record_line),
                );
                field += 1;
                match bytes.get(pos) {
                    Some(b',') => pos += 1,
                    Some(b'\n') => {
                        pos += 1;
                        line += 1;
                        break pos - 1;
                    }
                    Some(b'\r') => {
                        if bytes.get(pos + 1) == Some(&b'\n') {
                            pos += 2;
                            line += 1;
                            break pos - 2;
                        }
                        bare_cr = true;
                        pos += 1;
                        break pos - 1;
                    }
                    _ => break pos,
                }
            }
        };
        if unterminated {
            rows.issues.clear();
            if !last {
                return PartEnd {
                    cut: Some((start, record_line)),
                };
            }
            rows.file_problem(DataProblem::new(
                Code::D005,
                record_line,
                "a quoted field that starts on this line is never closed",
                UNCLOSED_HELP,
            ));
            break;
        }
        if bare_cr && record_line != bare_cr_line {
            bare_cr_line = record_line;
            rows.bare_cr(DataProblem::new(
                Code::D005,
                record_line,
                BARE_CR.0,
                BARE_CR.1,
            ));
        }
        let length = end - start;
        let shape = if length > MAX_LINE_BYTES {
            Some(DataProblem::new(
                Code::D006,
                record_line,
                too_long(length),
                TOO_LONG_HELP,
            ))
        } else if field != layout.fields {
            if length == 0 {
                // A lone CR on its line: reported above.
                rows.issues.clear();
                continue;
            }
            Some(DataProblem::new(
                Code::D007,
                record_line,
                format!(
                    "the row has {field} field{}, but the header has {}",
                    if field == 1 { "" } else { "s" },
                    layout.fields
                ),
                "give every row one field per header column; quote fields that contain commas",
            ))
        } else {
            stray_quote.map(|(i, at, (message, help))| {
                DataProblem::new(Code::D005, record_line, message, help)
                    .at(character(text, start, at))
                    .field(i)
            })
        };
        if let Some(problem) = shape {
            rows.issues.clear();
            rows.clear_values();
            rows.issues.push(problem);
        }
        let scratch_text = if scratch.is_empty() {
            ""
        } else {
            std::str::from_utf8(&scratch).unwrap_or_default()
        };
        let at = At {
            row: record_line,
            line: record_line,
            offset: start,
        };
        rows.finish(at, text, scratch_text, || {
            // An over-long row is kept as an excerpt (see `excerpt`).
            excerpt(text.get(start..end).unwrap_or_default())
        });
    }
    PartEnd { cut: None }
}

/// The text of the record that starts on `line` (for a row rejected late).
pub(super) fn record_at_line(bytes: &[u8], line: u64) -> String {
    let mut start = 0;
    let mut seen = 1;
    while seen < line {
        match bytes
            .get(start..)
            .and_then(|b| b.iter().position(|c| *c == b'\n'))
        {
            Some(i) => {
                start += i + 1;
                seen += 1;
            }
            None => return String::new(),
        }
    }
    let mut splitter = Splitter::new(bytes, start);
    match splitter.next_record() {
        Some(r) => {
            String::from_utf8_lossy(bytes.get(r.start..r.end).unwrap_or_default()).into_owned()
        }
        None => String::new(),
    }
}
