//! What the readers and the collector report: a problem with the data
//! ([`DataProblem`]), a row left out ([`Rejected`]) and the text kept of it
//! ([`excerpt`]), the policy for invalid rows ([`OnInvalid`]), and the
//! limits every layer shares ([`MAX_LINE_BYTES`], [`MAX_PROBLEMS`]).
//! The bottom of the data layers, beside `convert` (whose conversion issue a
//! problem can be made from): it imports no reader, collector or loader.

use crate::data::convert::Issue;
use crate::diag::Code;

/// The longest row (a CSV record, an NDJSON line, a JSON array element): 1 MiB.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// The most problems kept (and printed); all are counted.
pub const MAX_PROBLEMS: usize = 100;

/// What to do with rows that break the input contract.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnInvalid {
    /// Load nothing: report every problem.
    #[default]
    Fail,
    /// Leave invalid rows out, and return them with their problems.
    Skip,
}

/// A row left out, with its reasons.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejected {
    /// The line the row starts on (for a JSON array, the line its object starts on).
    pub line: u64,
    /// The row as written: the CSV record or NDJSON line without its line
    /// end, or the JSON object; for a row longer than [`MAX_LINE_BYTES`],
    /// only its first [`EXCERPT_BYTES`] bytes and `…`.
    pub row_text: String,
    pub problems: Vec<DataProblem>,
}

/// One problem with the data, by line.
#[derive(Clone, Debug, PartialEq)]
pub struct DataProblem {
    pub code: Code,
    /// The line the row (or the problem) starts on.
    pub line: u64,
    /// The 1-based character position in that line, when known.
    pub character: Option<usize>,
    /// The contract column concerned.
    pub column: Option<String>,
    /// The 1-based position of the CSV field.
    pub field: Option<usize>,
    /// The value refused, as written (for numbers and bools, spaces around it removed).
    pub value: Option<String>,
    /// One lowercase line; user input in backticks.
    pub message: String,
    /// How to fix it.
    pub help: String,
    /// A problem of the file as a whole (its header, encoding or form),
    /// which no `--on-invalid` policy can leave out.
    pub whole_file: bool,
    /// In a workbook: the cell (`Sheet1!C17`), row (`Sheet1!17:17`) or
    /// sheet (`Sheet1`) concerned; empty for the workbook as a whole.
    pub cell: Option<String>,
}

impl DataProblem {
    /// A problem at `line`, with no column, field or value yet.
    pub fn new(code: Code, line: u64, message: impl Into<String>, help: impl Into<String>) -> Self {
        DataProblem {
            code,
            line,
            character: None,
            column: None,
            field: None,
            value: None,
            message: message.into(),
            help: help.into(),
            whole_file: false,
            cell: None,
        }
    }

    pub(super) fn from_issue(issue: Issue, line: u64) -> Self {
        DataProblem::new(issue.code, line, issue.message, issue.help)
    }

    pub(super) fn at(mut self, character: Option<usize>) -> Self {
        self.character = character;
        self
    }

    pub(super) fn column(mut self, name: &str) -> Self {
        self.column = Some(name.to_string());
        self
    }

    /// The 0-based field index (stored 1-based).
    pub(super) fn field(mut self, index: usize) -> Self {
        self.field = Some(index + 1);
        self
    }

    pub(super) fn value(mut self, value: &str) -> Self {
        self.value = Some(value.to_string());
        self
    }
}

/// The message and help of a line that ends with a CR alone (`D005`),
/// which the reader reports and the collector recognizes among a part's
/// problems.
pub(super) const BARE_CR: (&str, &str) = (
    "a line ends with a carriage return (CR) alone",
    "save the file with LF or CRLF line ends; a CR inside a value must be in a quoted field",
);

/// The first bytes of an over-long row kept for the rejects file.
pub const EXCERPT_BYTES: usize = 1024;

/// A row's text as kept for the rejects file: whole, or, when it is longer
/// than a row may be ([`MAX_LINE_BYTES`]), its first [`EXCERPT_BYTES`]
/// bytes (to a character) and `…`.
pub(super) fn excerpt(text: &str) -> String {
    if text.len() <= MAX_LINE_BYTES {
        return text.to_string();
    }
    clip(text)
}

/// The first [`EXCERPT_BYTES`] bytes of an over-long row's text (to a
/// character), and `…`.
pub(super) fn clip(text: &str) -> String {
    let mut cut = EXCERPT_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", text.get(..cut).unwrap_or_default())
}
