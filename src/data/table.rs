//! The columnar table the engine evaluates: one typed column per contract column.
//!
//! Missing values have one representation per column type, chosen so the
//! engine's arithmetic propagates them for free:
//!
//! | type | storage | missing |
//! |---|---|---|
//! | number | `f64` | NaN (never produced otherwise: see `docs/language.md`) |
//! | integer | [`Ints`]: `i8`, `i16` or `i32`, the narrowest that holds every value; `f64` (as number) beyond | the width's smallest value; NaN |
//! | bool | `u8`: 0 false, 1 true | [`MISSING_BOOL`] |
//! | enum | `u32` label index into the enum's labels | [`MISSING_LABEL`] |
//! | text (key, period, text columns) | [`TextColumn`] | an empty string |

/// The missing value of a bool column.
pub const MISSING_BOOL: u8 = 2;

/// The missing value of an enum column.
pub const MISSING_LABEL: u32 = u32::MAX;

/// Text stored in one buffer, with offsets.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TextColumn {
    bytes: String,
    /// `ends[i]` is the end of row `i`'s text in `bytes`.
    ends: Vec<usize>,
}

impl TextColumn {
    pub fn with_capacity(rows: usize, bytes: usize) -> Self {
        TextColumn {
            bytes: String::with_capacity(bytes),
            ends: Vec::with_capacity(rows),
        }
    }

    pub fn push(&mut self, text: &str) {
        self.bytes.push_str(text);
        self.ends.push(self.bytes.len());
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Row `i`'s text ("" when out of range).
    pub fn get(&self, i: usize) -> &str {
        let end = self.ends.get(i).copied().unwrap_or(0);
        let start = if i == 0 {
            0
        } else {
            self.ends.get(i - 1).copied().unwrap_or(end)
        };
        self.bytes.get(start..end).unwrap_or("")
    }

    /// Append every row of `other`.
    pub fn extend(&mut self, other: &TextColumn) {
        let base = self.bytes.len();
        self.bytes.push_str(&other.bytes);
        self.ends.extend(other.ends.iter().map(|e| e + base));
    }
}

/// One column's values.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    Number(Vec<f64>),
    /// An integer column all of whose values fit in an `i32`.
    Int(Ints),
    Bool(Vec<u8>),
    Label(Vec<u32>),
    Text(TextColumn),
    /// Declared and validated, but not needed by the scorecard, so not kept.
    Skipped,
}

impl Column {
    /// The number of values kept (`None` for a skipped column).
    pub fn kept(&self) -> Option<usize> {
        match self {
            Column::Number(v) => Some(v.len()),
            Column::Int(v) => Some(v.len()),
            Column::Bool(v) => Some(v.len()),
            Column::Label(v) => Some(v.len()),
            Column::Text(v) => Some(v.len()),
            Column::Skipped => None,
        }
    }
}

/// The values of an integer column, in the narrowest width that holds
/// them all; the width's smallest value is missing.
#[derive(Clone, Debug, PartialEq)]
pub enum Ints {
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
}

/// A width of [`Ints`].
pub trait IntWidth: Copy + PartialEq + Into<i32> {
    const MISSING: Self;
}
impl IntWidth for i8 {
    const MISSING: Self = i8::MIN;
}
impl IntWidth for i16 {
    const MISSING: Self = i16::MIN;
}
impl IntWidth for i32 {
    const MISSING: Self = i32::MIN;
}

impl Ints {
    /// The number a stored value stands for (NaN when missing).
    #[inline(always)]
    pub fn number<T: IntWidth>(x: T) -> f64 {
        if x == T::MISSING {
            f64::NAN
        } else {
            f64::from(x.into())
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Ints::I8(v) => v.len(),
            Ints::I16(v) => v.len(),
            Ints::I32(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `i`'s value (NaN when missing or out of range).
    #[inline(always)]
    pub fn get(&self, i: usize) -> f64 {
        match self {
            Ints::I8(v) => v.get(i).map_or(f64::NAN, |x| Ints::number(*x)),
            Ints::I16(v) => v.get(i).map_or(f64::NAN, |x| Ints::number(*x)),
            Ints::I32(v) => v.get(i).map_or(f64::NAN, |x| Ints::number(*x)),
        }
    }

    /// Row `i`'s value as an exact key (`i32::MIN` when missing).
    pub fn key(&self, i: usize) -> i32 {
        let number = self.get(i);
        if number.is_nan() {
            i32::MIN
        } else {
            number as i32
        }
    }

    /// Every value as a number.
    pub fn numbers(&self) -> Vec<f64> {
        (0..self.len()).map(|i| self.get(i)).collect()
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Ints::I8(v) => v.capacity(),
            Ints::I16(v) => v.capacity() * 2,
            Ints::I32(v) => v.capacity() * 4,
        }
    }

    /// Keep the rows whose flag in `keep` is true (rows past its end are kept).
    pub fn retain(&mut self, keep: &[bool]) {
        match self {
            Ints::I8(v) => retain(v, keep),
            Ints::I16(v) => retain(v, keep),
            Ints::I32(v) => retain(v, keep),
        }
    }
}

/// Keep the values whose flag in `keep` is true (values past its end are kept).
pub fn retain<T>(values: &mut Vec<T>, keep: &[bool]) {
    let mut flags = keep.iter();
    values.retain(|_| flags.next().copied().unwrap_or(true));
}

/// Partner rows, in the order of the data file.
///
/// INVARIANT: every column that is not `Skipped` has `rows` values, and
/// `lines` has `rows` entries (or none, when `offsets` has `rows`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub rows: usize,
    /// One per contract column, indexed by `ColumnId`.
    pub columns: Vec<Column>,
    /// The 1-based line (CSV, NDJSON) or element index (JSON array) each row
    /// came from; empty once a table loaded to be read again (see `offsets`)
    /// is loaded.
    pub lines: Vec<u64>,
    /// The byte offset in the CSV file where each row's record starts, kept
    /// when the file is to be read again for the columns not kept (see
    /// `data::reread`); empty otherwise.
    pub offsets: Vec<u64>,
}

impl Table {
    /// The bytes its columns and line numbers take in memory (their
    /// capacity), for the benchmark notes.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let column = |c: &Column| match c {
            Column::Number(v) => v.capacity() * size_of::<f64>(),
            Column::Int(v) => v.heap_bytes(),
            Column::Bool(v) => v.capacity(),
            Column::Label(v) => v.capacity() * size_of::<u32>(),
            Column::Text(t) => t.bytes.capacity() + t.ends.capacity() * size_of::<usize>(),
            Column::Skipped => 0,
        };
        self.columns.iter().map(column).sum::<usize>()
            + (self.lines.capacity() + self.offsets.capacity()) * size_of::<u64>()
    }

    /// Append the rows of `other`, a table of the same contract with the
    /// same columns kept (a column skipped in either is skipped in the result).
    pub fn append(&mut self, other: Table) {
        for (mine, theirs) in self.columns.iter_mut().zip(other.columns) {
            match (&mut *mine, theirs) {
                (Column::Number(a), Column::Number(b)) => a.extend(b),
                (Column::Number(a), Column::Int(b)) => a.extend(b.numbers()),
                (Column::Int(a), Column::Number(b)) => {
                    let mut numbers = a.numbers();
                    numbers.extend(b);
                    *mine = Column::Number(numbers);
                }
                (Column::Int(a), Column::Int(b)) => {
                    let mut numbers = a.numbers();
                    numbers.extend(b.numbers());
                    *mine = Column::Number(numbers);
                }
                (Column::Bool(a), Column::Bool(b)) => a.extend(b),
                (Column::Label(a), Column::Label(b)) => a.extend(b),
                (Column::Text(a), Column::Text(b)) => a.extend(&b),
                _ => *mine = Column::Skipped,
            }
        }
        self.rows += other.rows;
        self.lines.extend(other.lines);
        // Offsets into two files are no offsets into one.
        self.offsets = Vec::new();
    }
}
