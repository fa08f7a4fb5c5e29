//! Period labels: the formats that give a number of periods (`2025Q4`,
//! `2025-11`, `2025`), read by the loader (to refuse a period column written
//! in two formats) and by evaluation (to count tenure).

/// The ways of writing a period label that give a number of periods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeriodFormat {
    /// `2025`
    Year,
    /// `2025Q4`
    Quarter,
    /// `2025q4`, which orders as text apart from `2025Q4`.
    LowerQuarter,
    /// `2025-11`
    Month,
    /// Anything else: `2025-11-30`, `FY25`, `week 3`.
    Other,
}

impl PeriodFormat {
    /// What a label of this format is, for messages: `a quarter`.
    pub fn described(self) -> &'static str {
        match self {
            PeriodFormat::Year => "a year",
            PeriodFormat::Quarter => "a quarter",
            PeriodFormat::LowerQuarter => "a quarter written with a lowercase `q`",
            PeriodFormat::Month => "a month",
            PeriodFormat::Other => "not a year, quarter or month",
        }
    }
}

/// Four ASCII digits as a year.
fn year_of(digits: &[u8]) -> Option<i64> {
    (digits.len() == 4 && digits.iter().all(u8::is_ascii_digit))
        .then(|| digits.iter().fold(0, |y, d| y * 10 + i64::from(d - b'0')))
}

/// A period label's format and its number of periods (in years, quarters
/// or months since year 0): `2025Q4`, `2025q4`, `2025-11`, `2025`.
pub fn period_format(label: &str) -> (PeriodFormat, Option<i64>) {
    let b = label.as_bytes();
    let Some(year) = b.get(..4).and_then(year_of) else {
        return (PeriodFormat::Other, None);
    };
    match b.get(4..) {
        Some([]) => (PeriodFormat::Year, Some(year)),
        Some([q @ (b'Q' | b'q'), n @ b'1'..=b'4']) => (
            if *q == b'Q' {
                PeriodFormat::Quarter
            } else {
                PeriodFormat::LowerQuarter
            },
            Some(year * 4 + i64::from(n - b'1')),
        ),
        Some([b'-', m1 @ b'0'..=b'1', m2 @ b'0'..=b'9']) => {
            let month = i64::from(m1 - b'0') * 10 + i64::from(m2 - b'0');
            if (1..=12).contains(&month) {
                (PeriodFormat::Month, Some(year * 12 + month - 1))
            } else {
                (PeriodFormat::Other, None)
            }
        }
        _ => (PeriodFormat::Other, None),
    }
}

/// A period label as a number of periods: `2025Q4`, `2025-11`, `2025`.
pub fn period_index(label: &str) -> Option<i64> {
    period_format(label).1
}

/// The first two labels, in the order given, that are written in different
/// formats ([`period_format`]), as their positions: periods written in two
/// formats cannot be counted (`2025-01` and `2025Q1` are 24,300 and 8,100
/// periods after year 0) and do not sort in time order as text.
pub fn mixed_period_formats<'t>(
    labels: impl IntoIterator<Item = &'t str>,
) -> Option<(usize, usize)> {
    let mut first: Option<(usize, PeriodFormat)> = None;
    for (i, label) in labels.into_iter().enumerate() {
        if label.is_empty() {
            continue;
        }
        let format = period_format(label).0;
        match first {
            None => first = Some((i, format)),
            Some((at, f)) if f != format => return Some((at, i)),
            Some(_) => {}
        }
    }
    None
}
