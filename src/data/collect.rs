//! Collecting rows as they are read: valid rows into the table's columns,
//! invalid ones into problems.
//!
//! The number, integer, bool and label columns of the whole file are
//! allocated once ([`Columns`]), with room for the rows the file's size
//! suggests (room never written costs no memory, and more is made when a
//! block needs it), and each block's rows are cut into one slice per part
//! ([`Out`]), so that the threads reading the parts write their rows in place
//! and nothing is copied afterwards (unless rows were left out, which leaves
//! a gap to close). Text columns are built per part and joined. Integer
//! columns start as `i8` and are widened between blocks (see `ints`).
//!
//! A reader checks one row's values with [`Rows::put`] (or notes its problems
//! in [`Rows::issues`]), then calls [`Rows::finish`]. The line a part starts
//! on is known before it is read (from the LFs counted before), so every
//! line number is final when it is written.

use crate::data::convert::{Role, Spec, Store, Value};
use crate::data::ints::{Filling, Slots, Wide, cut};
use crate::data::problem::BARE_CR;
use crate::data::problem::{DataProblem, MAX_PROBLEMS, OnInvalid, Rejected};
use crate::data::table::{Column, MISSING_BOOL, MISSING_LABEL, TextColumn};
use crate::diag::Code;

/// Where a spec's values go: an index into the columns of that kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Target {
    Number(usize),
    /// An integer column, kept as narrow as its values allow (see `ints`).
    Int(usize),
    Bool(usize),
    Label(usize),
    Text(usize),
    Skip,
}

/// The targets of the specs, and how many columns of each kind there are.
pub(super) fn targets(specs: &[Spec]) -> (Vec<Target>, [usize; 5]) {
    let mut counts = [0usize; 5];
    let targets = specs
        .iter()
        .map(|spec| {
            let (kind, make): (usize, fn(usize) -> Target) = match spec.store() {
                Store::Number => (0, Target::Number),
                Store::Bool => (1, Target::Bool),
                Store::Label => (2, Target::Label),
                Store::Text => (3, Target::Text),
                Store::Int => (4, Target::Int),
                Store::Skip => return Target::Skip,
            };
            let slot = counts.get_mut(kind);
            let index = slot.as_ref().map_or(0, |c| **c);
            if let Some(c) = slot {
                *c += 1;
            }
            make(index)
        })
        .collect();
    (targets, counts)
}

/// The number, integer, bool and label columns of the whole file.
#[derive(Debug)]
pub(super) struct Columns {
    /// The table line of each row.
    lines: Vec<u64>,
    /// The byte offset of each row's record in the file, when asked for
    /// (empty otherwise).
    offsets: Vec<u64>,
    with_offsets: bool,
    numbers: Vec<Vec<f64>>,
    ints: Vec<Filling>,
    bools: Vec<Vec<u8>>,
    labels: Vec<Vec<u32>>,
    texts: usize,
}

impl Columns {
    /// Columns with room for `rows` rows. The memory is zeroed lazily by
    /// the system, so room that is never written costs nothing.
    pub fn new(counts: [usize; 5], rows: usize, with_offsets: bool) -> Self {
        let [numbers, bools, labels, texts, ints] = counts;
        Columns {
            lines: vec![0; rows],
            offsets: if with_offsets {
                vec![0; rows]
            } else {
                Vec::new()
            },
            with_offsets,
            numbers: (0..numbers).map(|_| vec![0.0; rows]).collect(),
            ints: (0..ints).map(|_| Filling::new(rows)).collect(),
            bools: (0..bools).map(|_| vec![0; rows]).collect(),
            labels: (0..labels).map(|_| vec![0; rows]).collect(),
            texts,
        }
    }

    /// Cut the rows from `from` on into consecutive parts of the given sizes.
    pub fn split(&mut self, from: usize, sizes: &[usize]) -> Vec<Out<'_>> {
        // The first part's text columns will take in the others': room for all.
        let total: usize = sizes.iter().sum();
        let mut outs: Vec<Out<'_>> = sizes
            .iter()
            .enumerate()
            .map(|(k, &size)| {
                let room = if k == 0 { total } else { size };
                Out {
                    lines: &mut [],
                    offsets: &mut [],
                    base: 0,
                    numbers: Vec::new(),
                    ints: Vec::new(),
                    bools: Vec::new(),
                    labels: Vec::new(),
                    texts: (0..self.texts)
                        .map(|_| TextColumn::with_capacity(room, room * 8))
                        .collect(),
                    capacity: size,
                }
            })
            .collect();
        for (out, part) in outs.iter_mut().zip(cut(&mut self.lines, from, sizes)) {
            out.lines = part;
        }
        if self.with_offsets {
            for (out, part) in outs.iter_mut().zip(cut(&mut self.offsets, from, sizes)) {
                out.offsets = part;
            }
        }
        for column in &mut self.numbers {
            for (out, part) in outs.iter_mut().zip(cut(column, from, sizes)) {
                out.numbers.push(part);
            }
        }
        for column in &mut self.ints {
            for (out, part) in outs.iter_mut().zip(column.cut(from, sizes)) {
                out.ints.push(part);
            }
        }
        for column in &mut self.bools {
            for (out, part) in outs.iter_mut().zip(cut(column, from, sizes)) {
                out.bools.push(part);
            }
        }
        for column in &mut self.labels {
            for (out, part) in outs.iter_mut().zip(cut(column, from, sizes)) {
                out.labels.push(part);
            }
        }
        outs
    }

    /// Make room for at least `rows` rows.
    pub fn ensure(&mut self, rows: usize) {
        if self.lines.len() < rows {
            self.lines.resize(rows, 0);
        }
        if self.with_offsets && self.offsets.len() < rows {
            self.offsets.resize(rows, 0);
        }
        for c in &mut self.numbers {
            if c.len() < rows {
                c.resize(rows, 0.0);
            }
        }
        for c in &mut self.ints {
            if c.len() < rows {
                c.resize(rows);
            }
        }
        for c in &mut self.bools {
            if c.len() < rows {
                c.resize(rows, 0);
            }
        }
        for c in &mut self.labels {
            if c.len() < rows {
                c.resize(rows, 0);
            }
        }
    }

    /// Move `count` rows from row `from` down to row `to`.
    pub fn move_rows(&mut self, from: usize, to: usize, count: usize) {
        if from == to || count == 0 {
            return;
        }
        let fits = |len: usize| from.max(to) + count <= len;
        if fits(self.lines.len()) {
            self.lines.copy_within(from..from + count, to);
        }
        if fits(self.offsets.len()) {
            self.offsets.copy_within(from..from + count, to);
        }
        for c in self.numbers.iter_mut().filter(|c| fits(c.len())) {
            c.copy_within(from..from + count, to);
        }
        for c in self.ints.iter_mut().filter(|c| fits(c.len())) {
            c.copy_within(from, count, to);
        }
        for c in self.bools.iter_mut().filter(|c| fits(c.len())) {
            c.copy_within(from..from + count, to);
        }
        for c in self.labels.iter_mut().filter(|c| fits(c.len())) {
            c.copy_within(from..from + count, to);
        }
    }

    /// Write the integer values too wide for their columns (found in rows
    /// from `base` on), widening each column once.
    pub fn absorb(&mut self, wide: &[Wide], base: usize) {
        if wide.is_empty() {
            return;
        }
        for (k, column) in self.ints.iter_mut().enumerate() {
            column.absorb(wide.iter().filter(move |w| w.column == k), base);
        }
    }

    /// The table's columns, in spec order: the first `rows` rows, and the
    /// text columns. An integer column too wide for an `i32` becomes a
    /// number column. Then the rows' lines and (when kept) offsets.
    pub fn into_table(
        self,
        targets: &[Target],
        rows: usize,
        texts: Vec<TextColumn>,
    ) -> (Vec<Column>, Vec<u64>, Vec<u64>) {
        let mut lines = self.lines;
        lines.truncate(rows);
        let mut offsets = self.offsets;
        offsets.truncate(rows);
        offsets.shrink_to_fit();
        let mut numbers = self.numbers.into_iter();
        let mut ints = self.ints.into_iter();
        let mut bools = self.bools.into_iter();
        let mut labels = self.labels.into_iter();
        let mut texts = texts.into_iter();
        let columns = targets
            .iter()
            .map(|target| {
                let column = match target {
                    Target::Number(_) => numbers.next().map(|mut v| {
                        v.truncate(rows);
                        Column::Number(v)
                    }),
                    Target::Int(_) => ints.next().map(|mut v| {
                        v.truncate(rows);
                        match v.into_ints() {
                            Ok(ints) => Column::Int(ints),
                            Err(numbers) => Column::Number(numbers),
                        }
                    }),
                    Target::Bool(_) => bools.next().map(|mut v| {
                        v.truncate(rows);
                        Column::Bool(v)
                    }),
                    Target::Label(_) => labels.next().map(|mut v| {
                        v.truncate(rows);
                        Column::Label(v)
                    }),
                    Target::Text(_) => texts.next().map(Column::Text),
                    Target::Skip => None,
                };
                column.unwrap_or(Column::Skipped)
            })
            .collect();
        (columns, lines, offsets)
    }
}

/// One part's share of the columns: a slice of each, and its own text columns.
#[derive(Debug)]
pub(super) struct Out<'a> {
    lines: &'a mut [u64],
    offsets: &'a mut [u64],
    /// The file offset of the part's first byte.
    pub base: u64,
    numbers: Vec<&'a mut [f64]>,
    ints: Vec<Slots<'a>>,
    bools: Vec<&'a mut [u8]>,
    labels: Vec<&'a mut [u32]>,
    pub texts: Vec<TextColumn>,
    capacity: usize,
}

/// The (key, period) of every row, kept cheaply when they come in order.
#[derive(Debug, Default)]
pub(super) struct KeyLog {
    /// Whether each (key, period) so far was greater than the one before.
    pub sorted: bool,
    pub first: Option<(String, String)>,
    pub last: Option<(String, String)>,
    /// `(row, key, period)` of rows that are not in the table, for the duplicate check.
    pub unstored: Vec<(u64, String, String)>,
}

impl KeyLog {
    fn new() -> Self {
        KeyLog {
            sorted: true,
            ..KeyLog::default()
        }
    }

    fn observe(&mut self, key: &str, period: &str) {
        match &mut self.last {
            Some((k, p)) => {
                if (key, period) <= (k.as_str(), p.as_str()) {
                    self.sorted = false;
                }
                k.clear();
                k.push_str(key);
                p.clear();
                p.push_str(period);
            }
            None => {
                self.first = Some((key.to_string(), period.to_string()));
                self.last = Some((key.to_string(), period.to_string()));
            }
        }
    }

    fn append(&mut self, other: KeyLog) {
        if let (Some(last), Some(first)) = (&self.last, &other.first) {
            if first <= last {
                self.sorted = false;
            }
        }
        self.sorted &= other.sorted;
        if self.first.is_none() {
            self.first = other.first;
        }
        if other.last.is_some() {
            self.last = other.last;
        }
        self.unstored.extend(other.unstored);
    }
}

/// Where a row is: its number in the table's `lines`, and the line of the file it starts on.
///
/// They differ only for a JSON array, whose rows are numbered by element.
#[derive(Clone, Copy, Debug)]
pub(super) struct At {
    pub row: u64,
    pub line: u64,
    /// Where the record starts in the part (CSV only; 0 otherwise).
    pub offset: usize,
}

/// A text value of the row being read: a byte range of the source or of the scratch text.
#[derive(Clone, Copy, Debug, Default)]
struct TextRef {
    start: usize,
    end: usize,
    scratch: bool,
}

impl TextRef {
    fn get<'t>(self, source: &'t str, scratch: &'t str) -> &'t str {
        let from = if self.scratch { scratch } else { source };
        from.get(self.start..self.end).unwrap_or_default()
    }
}

/// The rows of a part of a file.
#[derive(Debug)]
pub(super) struct Rows<'s, 'a> {
    pub specs: &'s [Spec],
    pub targets: &'s [Target],
    policy: OnInvalid,
    /// The text column of the key and of the period.
    key: Option<usize>,
    period: Option<usize>,
    out: Out<'a>,
    /// The text values of the row being read, by text column.
    texts: Vec<TextRef>,
    /// The problems of the row being read.
    pub issues: Vec<DataProblem>,
    /// What the part has found so far (its text columns are in `out`).
    pub found: Found,
}

impl<'s, 'a> Rows<'s, 'a> {
    pub fn new(specs: &'s [Spec], targets: &'s [Target], policy: OnInvalid, out: Out<'a>) -> Self {
        let text_of = |role| {
            specs
                .iter()
                .zip(targets)
                .find(|(s, _)| s.role == role)
                .and_then(|(_, t)| match t {
                    Target::Text(i) => Some(*i),
                    _ => None,
                })
        };
        Rows {
            specs,
            targets,
            policy,
            key: text_of(Role::Key),
            period: text_of(Role::Period),
            texts: vec![TextRef::default(); out.texts.len()],
            out,
            issues: Vec::new(),
            found: Found {
                stored: 0,
                bare_cr_lines: None,
                wide: Vec::new(),
                overflow: false,
                texts: Vec::new(),
                read: 0,
                problems: Vec::new(),
                problem_count: 0,
                rejected: Vec::new(),
                file_problems: Vec::new(),
                file_problem_count: 0,
                utf8_problems: Vec::new(),
                utf8_problem_count: 0,
                keys: KeyLog::new(),
                seen: vec![false; specs.len()],
                objects: 0,
                first_keys: None,
            },
        }
    }

    /// Keep the checked value of spec `c` for the row being read; text
    /// values are at `start..end` of the source (or of the scratch text).
    #[inline]
    pub fn put(&mut self, c: usize, value: Value, start: usize, end: usize, scratch: bool) {
        self.put_at(self.found.stored, c, value, (start, end, scratch));
    }

    /// [`Rows::put`] at row `row` of the part (a text value is always the
    /// row being read's).
    #[inline]
    pub fn put_at(&mut self, row: usize, c: usize, value: Value, text: (usize, usize, bool)) {
        let (start, end, scratch) = text;
        match self.targets.get(c) {
            Some(Target::Number(i)) => {
                if let Some(x) = self.out.numbers.get_mut(*i).and_then(|v| v.get_mut(row)) {
                    *x = match value {
                        Value::Number(n) => n,
                        _ => f64::NAN,
                    };
                }
            }
            Some(Target::Int(i)) => match value {
                Value::Number(n) => self.set_int_at(*i, row, n),
                _ => {
                    if let Some(slots) = self.out.ints.get_mut(*i) {
                        slots.set_missing(row);
                    }
                }
            },
            Some(Target::Bool(i)) => {
                if let Some(x) = self.out.bools.get_mut(*i).and_then(|v| v.get_mut(row)) {
                    *x = match value {
                        Value::Small(b) => b as u8,
                        _ => MISSING_BOOL,
                    };
                }
            }
            Some(Target::Label(i)) => {
                if let Some(x) = self.out.labels.get_mut(*i).and_then(|v| v.get_mut(row)) {
                    *x = match value {
                        Value::Small(l) => l,
                        _ => MISSING_LABEL,
                    };
                }
            }
            Some(Target::Text(i)) => {
                if let Some(t) = self.texts.get_mut(*i) {
                    *t = match value {
                        Value::Missing => TextRef::default(),
                        _ => TextRef {
                            start,
                            end,
                            scratch,
                        },
                    };
                }
            }
            Some(Target::Skip) | None => {}
        }
    }

    /// How many text columns the table keeps.
    pub fn text_columns(&self) -> usize {
        self.texts.len()
    }

    /// Rows the part has room for still.
    pub fn room(&self) -> usize {
        self.out.capacity.saturating_sub(self.found.stored)
    }

    /// The values of number column `i` (reading a run of rows column by column).
    pub fn numbers_mut(&mut self, i: usize) -> Option<&mut [f64]> {
        self.out.numbers.get_mut(i).map(|v| &mut **v)
    }

    /// The values of integer column `i`, and where values too wide for it go.
    pub fn ints_mut(&mut self, i: usize) -> Option<(&mut Slots<'a>, &mut Vec<Wide>)> {
        let wide = &mut self.found.wide;
        self.out.ints.get_mut(i).map(|slots| (slots, wide))
    }

    /// The values of bool column `i`.
    pub fn bools_mut(&mut self, i: usize) -> Option<&mut [u8]> {
        self.out.bools.get_mut(i).map(|v| &mut **v)
    }

    /// The values of label column `i`.
    pub fn labels_mut(&mut self, i: usize) -> Option<&mut [u32]> {
        self.out.labels.get_mut(i).map(|v| &mut **v)
    }

    /// Keep `start..end` of the source as the text of text column `i` for
    /// the row being read.
    pub fn set_text_ref(&mut self, i: usize, (start, end): (usize, usize)) {
        self.set_text(i, start, end, false);
    }

    /// Store a number of the row being read in number column `i`.
    #[inline(always)]
    pub fn set_number(&mut self, i: usize, x: f64) {
        if let Some(v) = self
            .out
            .numbers
            .get_mut(i)
            .and_then(|v| v.get_mut(self.found.stored))
        {
            *v = x;
        }
    }

    /// Store an integer (a whole number within 2^53) of the row being read
    /// in integer column `i`; one too wide for the column is kept aside.
    #[inline(always)]
    pub fn set_int(&mut self, i: usize, x: f64) {
        self.set_int_at(i, self.found.stored, x);
    }

    /// [`Rows::set_int`] at row `row` of the part.
    #[inline(always)]
    pub fn set_int_at(&mut self, i: usize, row: usize, x: f64) {
        if let Some(slots) = self.out.ints.get_mut(i) {
            if !slots.set(row, x) {
                self.found.wide.push(Wide {
                    column: i,
                    row,
                    value: x,
                });
            }
        }
    }

    /// Store a bool (0, 1 or missing) of the row being read in bool column `i`.
    #[inline(always)]
    pub fn set_bool(&mut self, i: usize, b: u8) {
        if let Some(v) = self
            .out
            .bools
            .get_mut(i)
            .and_then(|v| v.get_mut(self.found.stored))
        {
            *v = b;
        }
    }

    /// Store a label index of the row being read in label column `i`.
    #[inline(always)]
    pub fn set_label(&mut self, i: usize, l: u32) {
        if let Some(v) = self
            .out
            .labels
            .get_mut(i)
            .and_then(|v| v.get_mut(self.found.stored))
        {
            *v = l;
        }
    }

    /// Keep the text of the row being read for text column `i`.
    #[inline(always)]
    pub fn set_text(&mut self, i: usize, start: usize, end: usize, scratch: bool) {
        if let Some(t) = self.texts.get_mut(i) {
            *t = TextRef {
                start,
                end,
                scratch,
            };
        }
    }

    /// Note that a line has a CR alone (once per line): a problem of the file.
    #[cold]
    pub fn bare_cr(&mut self, problem: DataProblem) {
        let line = problem.line;
        self.found.bare_cr_lines = Some(match self.found.bare_cr_lines {
            Some((first, _)) => (first, line),
            None => (line, line),
        });
        self.file_problem(problem);
    }

    /// Forget the text values of the row being read (whose values were not read).
    pub fn clear_values(&mut self) {
        self.texts.fill(TextRef::default());
    }

    /// Note a problem of the file as a whole, which no policy can skip.
    #[cold]
    pub fn file_problem(&mut self, problem: DataProblem) {
        let (list, count) = if problem.code == Code::D004 {
            (
                &mut self.found.utf8_problems,
                &mut self.found.utf8_problem_count,
            )
        } else {
            (
                &mut self.found.file_problems,
                &mut self.found.file_problem_count,
            )
        };
        *count += 1;
        if list.len() < MAX_PROBLEMS {
            list.push(problem);
        }
    }

    /// Finish the row whose values were put and problems noted.
    ///
    /// Text values point into `source` or `scratch`; `row_text` gives the
    /// raw row, asked for only when the row is rejected.
    pub fn finish(
        &mut self,
        at: At,
        source: &str,
        scratch: &str,
        row_text: impl FnOnce() -> String,
    ) {
        self.found.read += 1;
        if self.issues.is_empty() && self.found.stored < self.out.capacity {
            // Kept: its wide values stay.
        } else {
            // Not kept: the next row takes its place, and its wide values go.
            while self
                .found
                .wide
                .last()
                .is_some_and(|w| w.row == self.found.stored)
            {
                self.found.wide.pop();
            }
        }
        let text = |i: Option<usize>| {
            i.and_then(|i| self.texts.get(i))
                .map_or("", |t| t.get(source, scratch))
        };
        let key = text(self.key);
        let period = text(self.period);
        let keyed = !key.is_empty() && (self.period.is_none() || !period.is_empty());
        if keyed {
            self.found.keys.observe(key, period);
        }
        if self.issues.is_empty() {
            if self.found.stored >= self.out.capacity {
                self.found.overflow = true;
                return;
            }
            for (column, t) in self.out.texts.iter_mut().zip(&self.texts) {
                column.push(t.get(source, scratch));
            }
            if let Some(l) = self.out.lines.get_mut(self.found.stored) {
                *l = at.row;
            }
            if let Some(o) = self.out.offsets.get_mut(self.found.stored) {
                *o = self.out.base + at.offset as u64;
            }
            self.found.stored += 1;
            return;
        }
        if keyed {
            self.found
                .keys
                .unstored
                .push((at.row, key.to_string(), period.to_string()));
        }
        self.found.problem_count += self.issues.len();
        match self.policy {
            OnInvalid::Fail => {
                let room = MAX_PROBLEMS.saturating_sub(self.found.problems.len());
                self.found.problems.extend(self.issues.drain(..).take(room));
                self.issues.clear();
            }
            OnInvalid::Skip => {
                let problems = std::mem::take(&mut self.issues);
                self.found.rejected.push(Rejected {
                    line: at.line,
                    row_text: row_text(),
                    problems,
                });
            }
        }
    }

    /// What the part found, with its text columns.
    pub fn into_found(self) -> Found {
        let mut found = self.found;
        // A record cut at the end of the part was read in part and never
        // finished: its wide values belong to no row.
        let stored = found.stored;
        found.wide.retain(|w| w.row < stored);
        found.texts = self.out.texts;
        found
    }
}

/// What reading a part (or the whole file) found.
#[derive(Debug)]
pub(super) struct Found {
    /// Rows stored in the columns.
    pub stored: usize,
    /// The first and last lines reported as holding a CR alone.
    pub bare_cr_lines: Option<(u64, u64)>,
    /// Integer values too wide for their column, by row of the found rows.
    pub wide: Vec<Wide>,
    /// A valid row found no room (only when lines end with a lone CR).
    pub overflow: bool,
    pub texts: Vec<TextColumn>,
    /// Data rows read (stored or not).
    pub read: usize,
    /// Problems of rows (under `Fail`: the first `MAX_PROBLEMS`).
    pub problems: Vec<DataProblem>,
    pub problem_count: usize,
    /// Rows left out (under `Skip`).
    pub rejected: Vec<Rejected>,
    /// Problems of the file as a whole (the first `MAX_PROBLEMS`).
    pub file_problems: Vec<DataProblem>,
    pub file_problem_count: usize,
    /// Lines that are not UTF-8 (D004), kept apart: when there are any, they
    /// are all that is reported.
    pub utf8_problems: Vec<DataProblem>,
    pub utf8_problem_count: usize,
    pub keys: KeyLog,
    /// Per spec: whether any row had the column at all (JSON objects).
    pub seen: Vec<bool>,
    /// JSON objects whose keys were read (a row that is not an object, or
    /// not valid JSON, tells nothing of the columns).
    pub objects: usize,
    /// The keys of the first JSON object, for "did you mean".
    pub first_keys: Option<Vec<String>>,
}

impl Found {
    /// Append what the part that follows this one found.
    pub fn append(&mut self, mut other: Found) {
        // A record cut at the end of a part is read again from its start,
        // which may be on a line already reported for a CR alone (records
        // after a CR alone start on the same line): that line is reported once.
        if let (Some((_, last)), Some((first, _))) = (self.bare_cr_lines, other.bare_cr_lines) {
            if last == first {
                let again = other.file_problems.iter().position(|p| {
                    p.code == Code::D005 && p.line == first && p.message == BARE_CR.0
                });
                if let Some(i) = again {
                    other.file_problems.remove(i);
                }
                other.file_problem_count = other.file_problem_count.saturating_sub(1);
            }
        }
        self.bare_cr_lines = match (self.bare_cr_lines, other.bare_cr_lines) {
            (Some((first, _)), Some((_, last))) => Some((first, last)),
            (mine, theirs) => mine.or(theirs),
        };
        let base = self.stored;
        self.wide.extend(other.wide.into_iter().map(|w| Wide {
            row: w.row + base,
            ..w
        }));
        self.stored += other.stored;
        self.overflow |= other.overflow;
        for (mine, theirs) in self.texts.iter_mut().zip(&other.texts) {
            mine.extend(theirs);
        }
        self.read += other.read;
        let room = MAX_PROBLEMS.saturating_sub(self.problems.len());
        self.problems.extend(other.problems.into_iter().take(room));
        self.problem_count += other.problem_count;
        self.rejected.extend(other.rejected);
        let room = MAX_PROBLEMS.saturating_sub(self.file_problems.len());
        self.file_problems
            .extend(other.file_problems.into_iter().take(room));
        self.file_problem_count += other.file_problem_count;
        let room = MAX_PROBLEMS.saturating_sub(self.utf8_problems.len());
        self.utf8_problems
            .extend(other.utf8_problems.into_iter().take(room));
        self.utf8_problem_count += other.utf8_problem_count;
        self.keys.append(other.keys);
        for (mine, theirs) in self.seen.iter_mut().zip(other.seen) {
            *mine |= theirs;
        }
        self.objects += other.objects;
        if self.first_keys.is_none() {
            self.first_keys = other.first_keys;
        }
    }
}

/// Report each line of `bytes` that holds bytes that are not UTF-8 (D004),
/// numbering lines from `line_offset + 1`; returns the number of LFs.
#[cold]
pub(super) fn not_utf8(bytes: &[u8], line_offset: u64, report: &mut dyn FnMut(DataProblem)) -> u64 {
    let mut line = line_offset + 1;
    let mut reported = 0;
    // Characters since the start of the line, for the position of the bad bytes.
    let mut column = 0;
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        match valid.rfind('\n') {
            Some(last) => {
                line += valid.bytes().filter(|b| *b == b'\n').count() as u64;
                column = valid.get(last + 1..).map_or(0, |s| s.chars().count());
            }
            None => column += valid.chars().count(),
        }
        let invalid = chunk.invalid();
        if invalid.is_empty() {
            continue;
        }
        if line != reported {
            reported = line;
            let hex: String = invalid.iter().map(|b| format!("\\x{b:02x}")).collect();
            report(
                DataProblem::new(
                    Code::D004,
                    line,
                    format!("this line is not UTF-8 text: it has the byte `{hex}`"),
                    "save the data as UTF-8 (spreadsheet tools call it \"CSV UTF-8\"); the file looks saved in another encoding, such as Latin-1 or Windows-1252",
                )
                .at(Some(column + 1))
                .value(&hex),
            );
        }
        column += 1;
    }
    line - line_offset - 1
}
