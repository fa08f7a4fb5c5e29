//! Plain records read column by column.
//!
//! Most files are runs of plain records (no quotes, no lone CR, one field per
//! header column). Such a run is split first — every field's bounds found,
//! eight bytes at a time — and then each field is checked down the whole run
//! in one loop of one kind, storing into its column, before the rows are kept
//! in order. A field's check is chosen once per run instead of once per
//! value, and each column is written in one stretch.
//!
//! Nothing is decided differently from reading record by record: the checks
//! are the same, and a run in which any value is refused is abandoned, its
//! records read again one at a time up to the refused one, so that every
//! problem is reported exactly as the record-by-record path reports it.

use super::{Fields, Op, split_plain};
use crate::data::collect::{At, Rows, Target};
use crate::data::convert::{Value, check, integer_at, number_at, trim_bounds, within};
use crate::data::ints::Wide;
use crate::data::problem::{MAX_LINE_BYTES, excerpt};
use crate::data::table::{MISSING_BOOL, MISSING_LABEL};

/// At most this many records are read column by column at a time.
const RUN: usize = 1024;

/// A run's records and field bounds, kept between runs for their room.
#[derive(Debug, Default)]
pub(super) struct Run {
    /// Per record: where it starts and where its line end is.
    records: Vec<(usize, usize)>,
    /// Per record, per field read: its start and end, from the run's start.
    bounds: Vec<(u32, u32)>,
    /// Per record, per text column: the text kept (empty when missing).
    texts: Vec<(usize, usize)>,
    /// Runs in a row that found no plain record to read.
    misses: u32,
}

/// How reading a run at a position went.
pub(super) enum Outcome {
    /// The records up to `next` were read and kept: `records` lines.
    Read { next: usize, records: usize },
    /// Read the next `records` records one at a time (a refused value, a
    /// record that is not plain, or no room left).
    OneByOne { records: usize },
}

impl Run {
    /// Read the plain records from `pos` (on line `line`) of `bytes`, the
    /// part whose text is `text`, column by column into `rows`.
    pub(super) fn read(
        &mut self,
        bytes: &[u8],
        text: &str,
        (pos, line): (usize, u64),
        fields: &Fields,
        rows: &mut Rows,
        absent: &[usize],
    ) -> Outcome {
        let n = if rows.issues.is_empty() {
            self.split(bytes, pos, fields, rows.room().min(RUN))
        } else {
            0
        };
        if n == 0 {
            // Not plain here (quotes, blank lines, a short record) or no
            // room: one record at a time, for longer after each miss, so
            // that a file of quoted records does not split each one twice.
            let records = 1 << self.misses.min(10);
            self.misses += 1;
            return Outcome::OneByOne { records };
        }
        self.misses = 0;
        let first = rows.found.stored;
        let wide = rows.found.wide.len();
        let width = fields.count.min(fields.read_to);
        let text_columns = rows.text_columns();
        self.texts.clear();
        self.texts.resize(n * text_columns, (0, 0));
        for (f, op) in fields.ops.iter().take(width).enumerate() {
            let column = Column {
                bytes,
                base: pos,
                bounds: &self.bounds,
                width,
                field: f,
                n,
            };
            let texts = Texts {
                refs: &mut self.texts,
                columns: text_columns,
            };
            if let Some(refused) = column.check(*op, fields, rows, first, texts) {
                // Nothing of the run is kept: its rows are read again.
                rows.found.wide.truncate(wide);
                return Outcome::OneByOne {
                    records: refused + 1,
                };
            }
        }
        for (r, &(start, end)) in self.records.iter().enumerate() {
            for &c in absent {
                rows.put(c, Value::Missing, 0, 0, false);
            }
            let refs = self
                .texts
                .get(r * text_columns..(r + 1) * text_columns)
                .unwrap_or_default();
            for (i, &range) in refs.iter().enumerate() {
                rows.set_text_ref(i, range);
            }
            let line = line + r as u64;
            let at = At {
                row: line,
                line,
                offset: start,
            };
            rows.finish(at, text, "", || {
                excerpt(text.get(start..end).unwrap_or_default())
            });
        }
        let next = self.records.last().map_or(pos, |&(_, end)| {
            // Past the line end (LF, or CRLF).
            end + if bytes.get(end) == Some(&b'\r') { 2 } else { 1 }
        });
        Outcome::Read { next, records: n }
    }

    /// Find the bounds of the fields of up to `most` plain records from
    /// `pos`, each with one field per header column: how many were found.
    fn split(&mut self, bytes: &[u8], pos: usize, fields: &Fields, most: usize) -> usize {
        self.records.clear();
        self.bounds.clear();
        let width = fields.count.min(fields.read_to);
        let mut at = pos;
        while self.records.len() < most {
            // Blank lines and lone CRs are the record-by-record path's.
            if matches!(bytes.get(at), Some(b'\n' | b'\r')) {
                break;
            }
            let before = self.bounds.len();
            let bounds = &mut self.bounds;
            let split = split_plain(bytes, at, fields.read_to, fields.count, |f, a, b| {
                if f < width {
                    bounds.push(((a - pos) as u32, (b - pos) as u32));
                }
            });
            let whole = split.filter(|&(end, next, seen)| {
                seen == fields.count
                    && end - at <= MAX_LINE_BYTES
                    && next - pos <= u32::MAX as usize
            });
            let Some((end, next, _)) = whole else {
                self.bounds.truncate(before);
                break;
            };
            self.records.push((at, end));
            at = next;
        }
        self.records.len()
    }
}

/// The text values of a run's rows, by text column.
struct Texts<'t> {
    refs: &'t mut [(usize, usize)],
    columns: usize,
}

impl Texts<'_> {
    fn set(&mut self, record: usize, column: usize, range: (usize, usize)) {
        if let Some(slot) = self.refs.get_mut(record * self.columns + column) {
            *slot = range;
        }
    }
}

/// One field of every record of a run.
struct Column<'r> {
    bytes: &'r [u8],
    /// Where the run starts in the part (its bounds are counted from there).
    base: usize,
    bounds: &'r [(u32, u32)],
    width: usize,
    field: usize,
    n: usize,
}

impl Column<'_> {
    /// The value of record `r`, as written.
    #[inline(always)]
    fn value(&self, r: usize) -> (usize, usize) {
        self.bounds
            .get(r * self.width + self.field)
            .map_or((0, 0), |&(a, b)| {
                (self.base + a as usize, self.base + b as usize)
            })
    }

    /// The value of record `r` without the spaces and tabs around it.
    #[inline(always)]
    fn trimmed(&self, r: usize) -> (usize, usize) {
        let (start, end) = self.value(r);
        let (lead, trail) = trim_bounds(self.bytes.get(start..end).unwrap_or_default());
        (start + lead, start + trail)
    }

    /// Read this field of every record with `read` (given its bounds,
    /// trimmed when `trim`; `None` refuses it) into `slots` from row
    /// `first` on, `missing` for an empty value (refused when `required`):
    /// the first record whose value is refused, if any.
    #[inline(always)]
    fn each<T: Copy>(
        &self,
        (trim, required, missing): (bool, bool, T),
        mut slots: Option<&mut [T]>,
        first: usize,
        read: impl Fn(usize, usize) -> Option<T>,
    ) -> Option<usize> {
        for r in 0..self.n {
            let (start, end) = if trim { self.trimmed(r) } else { self.value(r) };
            let x = if start == end {
                if required {
                    return Some(r);
                }
                missing
            } else {
                match read(start, end) {
                    Some(x) => x,
                    None => return Some(r),
                }
            };
            if let Some(slot) = slots.as_mut().and_then(|s| s.get_mut(first + r)) {
                *slot = x;
            }
        }
        None
    }

    /// Check this field of every record and store its values from row
    /// `first` on: the first record whose value is refused, if any.
    fn check(
        &self,
        op: Op,
        fields: &Fields,
        rows: &mut Rows,
        first: usize,
        mut texts: Texts,
    ) -> Option<usize> {
        let required = |spec: usize| fields.specs.get(spec).is_none_or(|s| s.required);
        let bytes = self.bytes;
        match op {
            Op::Skip => None,
            Op::Number { spec, bounds, out } => self.each(
                (true, required(spec), f64::NAN),
                out.and_then(|i| rows.numbers_mut(i)),
                first,
                |start, end| within(number_at(bytes, start, end), bounds).ok(),
            ),
            Op::Integer { spec, bounds, out } => {
                let required = required(spec);
                let mut slots = out.and_then(|i| rows.ints_mut(i).map(|s| (i, s)));
                for r in 0..self.n {
                    let (start, end) = self.trimmed(r);
                    let row = first + r;
                    if start == end {
                        if required {
                            return Some(r);
                        }
                        if let Some((_, (s, _))) = slots.as_mut() {
                            s.set_missing(row);
                        }
                        continue;
                    }
                    let Ok(x) = within(integer_at(bytes, start, end), bounds) else {
                        return Some(r);
                    };
                    if let Some((column, (s, wide))) = slots.as_mut() {
                        if !s.set(row, x) {
                            wide.push(Wide {
                                column: *column,
                                row,
                                value: x,
                            });
                        }
                    }
                }
                None
            }
            Op::Bool { spec, out } => self.each(
                (true, required(spec), MISSING_BOOL),
                out.and_then(|i| rows.bools_mut(i)),
                first,
                |start, end| {
                    let value = bytes.get(start..end).unwrap_or_default();
                    if value.eq_ignore_ascii_case(b"true") {
                        Some(1)
                    } else if value.eq_ignore_ascii_case(b"false") {
                        Some(0)
                    } else {
                        None
                    }
                },
            ),
            Op::Label { spec, labels, out } => self.each(
                (false, required(spec), MISSING_LABEL),
                out.and_then(|i| rows.labels_mut(i)),
                first,
                |start, end| labels.find(bytes.get(start..end).unwrap_or_default()),
            ),
            Op::Text { spec, out } => {
                let required = required(spec);
                for r in 0..self.n {
                    let (start, end) = self.value(r);
                    if start == end && required {
                        return Some(r);
                    }
                    // A missing text is empty, as the texts start.
                    if let Some(i) = out.filter(|_| start < end) {
                        texts.set(r, i, (start, end));
                    }
                }
                None
            }
            Op::General { spec } => {
                let s = fields.specs.get(spec)?;
                let target = rows.targets.get(spec).copied();
                for r in 0..self.n {
                    let (start, end) = self.value(r);
                    let value = if start == end {
                        if s.required {
                            return Some(r);
                        }
                        Value::Missing
                    } else {
                        match check(s, bytes, start, end) {
                            Ok(v) => v,
                            Err(_) => return Some(r),
                        }
                    };
                    match target {
                        Some(Target::Text(i)) => {
                            if !matches!(value, Value::Missing) {
                                texts.set(r, i, (start, end));
                            }
                        }
                        _ => rows.put_at(first + r, spec, value, (start, end, false)),
                    }
                }
                None
            }
        }
    }
}
