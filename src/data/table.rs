//! The columnar table the engine evaluates: one typed column per contract column.
//!
//! Missing values have one representation per column type, chosen so the
//! engine's arithmetic propagates them for free:
//!
//! | type | storage | missing |
//! |---|---|---|
//! | number, integer | `f64` | NaN (never produced otherwise: see `docs/language.md`) |
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
            Column::Bool(v) => Some(v.len()),
            Column::Label(v) => Some(v.len()),
            Column::Text(v) => Some(v.len()),
            Column::Skipped => None,
        }
    }
}

/// Partner rows, in the order of the data file.
///
/// INVARIANT: every column that is not `Skipped` has `rows` values, and
/// `lines` has `rows` entries.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub rows: usize,
    /// One per contract column, indexed by `ColumnId`.
    pub columns: Vec<Column>,
    /// The 1-based line (CSV, NDJSON) or element index (JSON array) each row came from.
    pub lines: Vec<u64>,
}

impl Table {
    /// Append the rows of `other`, a table of the same contract with the
    /// same columns kept (a column skipped in either is skipped in the result).
    pub fn append(&mut self, other: Table) {
        for (mine, theirs) in self.columns.iter_mut().zip(other.columns) {
            match (&mut *mine, theirs) {
                (Column::Number(a), Column::Number(b)) => a.extend(b),
                (Column::Bool(a), Column::Bool(b)) => a.extend(b),
                (Column::Label(a), Column::Label(b)) => a.extend(b),
                (Column::Text(a), Column::Text(b)) => a.extend(&b),
                _ => *mine = Column::Skipped,
            }
        }
        self.rows += other.rows;
        self.lines.extend(other.lines);
    }
}
