//! Contract columns as the loader sees them: how each value is checked, converted and stored.
//!
//! The rules for values, whatever the file format:
//!
//! - An empty value is missing.
//! - Text and enum labels are exactly what the file holds: nothing is removed
//!   or added, so `" gold "` is neither `gold` nor missing.
//! - Spaces and tabs around a number, integer or bool are tolerated, quoted or
//!   not; one that is only spaces is missing.
//! - A key or period that starts or ends with a space or tab is refused, since
//!   `P001` and `P001 ` would silently be two partners.
//! - A number is digits with an optional sign, an optional `.` decimal point
//!   and an optional exponent (`1.5e3`), parsed to the nearest binary64. It
//!   must be finite: `NaN`, `inf` and values beyond ±1.8e308 are refused, as
//!   are thousands separators (`1,000`, `1_000`). `-0` is stored as `0`.
//! - An integer is digits with an optional sign and nothing else (`3.0` is
//!   refused), at most 2^53 in size, so that every value is exact.
//! - A bool is `true` or `false`, in any case (`TRUE` as spreadsheets write it).
//! - An enum value is one of the column's labels, exactly as declared.
//! - Bounds (`>= 0`, `in 0..8`) are checked after parsing.
//! - A column that is not `optional`, and the key and period columns, must
//!   have a value in every row.

use std::collections::HashMap;

use crate::diag::Code;
use crate::model::{ColumnId, Model, Type};

/// The largest integer magnitude an integer column accepts: beyond 2^53 not
/// every integer has an exact binary64 value.
pub const MAX_EXACT_INTEGER: u64 = 1 << 53;

/// How a column's values are checked.
#[derive(Debug)]
pub(super) enum Check {
    Number,
    Integer,
    Bool,
    Label(Labels),
    Text,
}

/// The labels of an enum column, with an index when there are many.
#[derive(Debug)]
pub(super) struct Labels {
    names: Vec<String>,
    index: Option<HashMap<Vec<u8>, u32>>,
}

/// Beyond this many labels, labels are looked up in a hash map.
const LINEAR_LABELS: usize = 16;

impl Labels {
    fn new(names: Vec<String>) -> Self {
        let index = (names.len() > LINEAR_LABELS).then(|| {
            names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.as_bytes().to_vec(), i as u32))
                .collect()
        });
        Labels { names, index }
    }

    #[inline]
    pub fn find(&self, text: &[u8]) -> Option<u32> {
        match &self.index {
            Some(index) => index.get(text).copied(),
            None => self
                .names
                .iter()
                .position(|n| n.as_bytes() == text)
                .map(|i| i as u32),
        }
    }
}

/// What a column is to the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    Key,
    Period,
    Plain,
}

/// One contract column, ready for loading.
#[derive(Debug)]
pub(super) struct Spec {
    pub name: String,
    pub check: Check,
    pub role: Role,
    pub required: bool,
    /// Whether the values are stored (otherwise only validated).
    pub keep: bool,
    pub min: Option<(f64, bool)>,
    pub max: Option<(f64, bool)>,
    pub bounds: Bounds,
}

/// A column's bounds as the lowest and highest value allowed: a missing end
/// is infinite, and an open end is the next value inwards, so that checking
/// a finite value takes two comparisons and no branch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Bounds {
    lowest: f64,
    highest: f64,
}

impl Bounds {
    fn new(min: Option<(f64, bool)>, max: Option<(f64, bool)>) -> Self {
        // For finite `x`: `x > low` exactly when `x >= low.next_up()`, and
        // `x < high` exactly when `x <= high.next_down()`.
        let lowest = match min {
            Some((low, true)) => low,
            Some((low, false)) => low.next_up(),
            None => f64::NEG_INFINITY,
        };
        let highest = match max {
            Some((high, true)) => high,
            Some((high, false)) => high.next_down(),
            None => f64::INFINITY,
        };
        Bounds { lowest, highest }
    }

    /// Whether a finite value is within the bounds.
    #[inline(always)]
    pub fn contains(self, x: f64) -> bool {
        (x >= self.lowest) & (x <= self.highest)
    }
}

/// Where the table keeps a column's values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Store {
    Number,
    Bool,
    Label,
    Text,
    /// Checked, not kept.
    Skip,
    Int,
}

impl Spec {
    pub fn store(&self) -> Store {
        if self.role != Role::Plain {
            return Store::Text;
        }
        if !self.keep {
            return Store::Skip;
        }
        match self.check {
            Check::Number => Store::Number,
            Check::Integer => Store::Int,
            Check::Bool => Store::Bool,
            Check::Label(_) => Store::Label,
            Check::Text => Store::Text,
        }
    }
}

/// The specs of a model's contract columns, indexed by `ColumnId`.
pub(super) fn specs(model: &Model, needed: &[bool]) -> Vec<Spec> {
    let contract = &model.contract;
    contract
        .columns
        .iter()
        .enumerate()
        .map(|(i, def)| {
            let id = Some(ColumnId(i as u32));
            let role = if contract.key == id {
                Role::Key
            } else if contract.period == id {
                Role::Period
            } else {
                Role::Plain
            };
            let check = match def.ty {
                Type::Number => Check::Number,
                Type::Integer => Check::Integer,
                Type::Bool => Check::Bool,
                Type::Enum(e) => Check::Label(Labels::new(
                    model
                        .enum_type(e)
                        .map(|t| t.labels.clone())
                        .unwrap_or_default(),
                )),
                Type::Text | Type::List | Type::Any => Check::Text,
            };
            Spec {
                name: def.name.clone(),
                check,
                role,
                required: role != Role::Plain || !def.optional,
                keep: role != Role::Plain || needed.get(i).copied().unwrap_or(true),
                min: def.min,
                max: def.max,
                bounds: Bounds::new(def.min, def.max),
            }
        })
        .collect()
}

/// A checked value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Value {
    Missing,
    Number(f64),
    /// A bool (0 or 1) or a label index.
    Small(u32),
    /// Valid text, kept as written.
    Text,
}

/// Why a value was refused; [`issue`] turns it into a message.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Fault {
    Missing,
    Number(NumberError),
    Bool,
    Label,
    Range,
    /// A JSON value of the wrong type: what it is.
    JsonType(&'static str),
    /// A key or period with spaces or tabs around it.
    Spaces,
    /// A JSON string that is not text: it escapes half of a UTF-16
    /// surrogate pair (`\ud800`) alone.
    LoneSurrogate,
}

/// Why a value was refused, for people: the code, the message and the help line.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Issue {
    pub code: Code,
    pub message: String,
    pub help: String,
}

/// The bounds of a value without the spaces and tabs around it.
#[inline]
pub(super) fn trim_bounds(b: &[u8]) -> (usize, usize) {
    let blank = |c: &u8| *c == b' ' || *c == b'\t';
    match (b.first(), b.last()) {
        (Some(f), Some(l)) if !blank(f) && !blank(l) => (0, b.len()),
        _ => {
            let start = b.iter().position(|c| !blank(c)).unwrap_or(b.len());
            let end = b.iter().rposition(|c| !blank(c)).map_or(start, |e| e + 1);
            (start, end)
        }
    }
}

/// Whether a value starts or ends with a space or tab.
#[inline]
pub(super) fn has_edge_blank(b: &[u8]) -> bool {
    let blank = |c: Option<&u8>| matches!(c, Some(b' ' | b'\t'));
    blank(b.first()) || blank(b.last())
}

/// Check one value given as text (a CSV field or a JSON string), as written
/// at `start..end` of `source`, which is UTF-8.
///
/// Spaces and tabs around a number, integer or bool are tolerated; text and
/// labels are taken exactly as written, and a key or period with spaces
/// around it is refused (`P001` and `P001 ` would be two partners).
#[inline(always)]
pub(super) fn check(spec: &Spec, source: &[u8], start: usize, end: usize) -> Result<Value, Fault> {
    let raw = source.get(start..end).unwrap_or_default();
    if raw.is_empty() {
        return missing(spec);
    }
    if spec.role != Role::Plain && has_edge_blank(raw) {
        // A key or period of spaces alone is as good as empty.
        return if raw.iter().all(|c| *c == b' ' || *c == b'\t') {
            Err(Fault::Missing)
        } else {
            Err(Fault::Spaces)
        };
    }
    match &spec.check {
        Check::Label(labels) => labels.find(raw).map(Value::Small).ok_or(Fault::Label),
        Check::Text => Ok(Value::Text),
        Check::Number | Check::Integer | Check::Bool => {
            let (lead, trail) = trim_bounds(raw);
            check_trimmed(spec, source, start + lead, start + trail)
        }
    }
}

/// Check a number, integer or bool at `start..end` of `source`, spaces around it removed.
#[inline(always)]
pub(super) fn check_trimmed(
    spec: &Spec,
    source: &[u8],
    start: usize,
    end: usize,
) -> Result<Value, Fault> {
    let text = source.get(start..end).unwrap_or_default();
    if text.is_empty() {
        return missing(spec);
    }
    match &spec.check {
        Check::Number => within(number_at(source, start, end), spec.bounds).map(Value::Number),
        Check::Integer => within(integer_at(source, start, end), spec.bounds).map(Value::Number),
        Check::Bool => {
            if text.eq_ignore_ascii_case(b"true") {
                Ok(Value::Small(1))
            } else if text.eq_ignore_ascii_case(b"false") {
                Ok(Value::Small(0))
            } else {
                Err(Fault::Bool)
            }
        }
        Check::Label(labels) => labels.find(text).map(Value::Small).ok_or(Fault::Label),
        Check::Text => Ok(Value::Text),
    }
}

/// An empty value: missing, which only optional columns may be.
#[inline(always)]
fn missing(spec: &Spec) -> Result<Value, Fault> {
    if spec.required {
        Err(Fault::Missing)
    } else {
        Ok(Value::Missing)
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const LOWS: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const ZEROS: u64 = 0x3030_3030_3030_3030;
const HIGH_NIBBLES: u64 = 0xf0f0_f0f0_f0f0_f0f0;

/// The high bit of exactly each zero byte.
#[inline(always)]
fn zero_bytes(v: u64) -> u64 {
    !(((v & LOWS).wrapping_add(LOWS)) | v | LOWS)
}

/// A number of at most eight characters (after its sign), all digits but
/// an optional `.` when `point`: parsed without a branch per character, by
/// reading the eight bytes that end the value as one word (SWAR). `None`
/// when the value is longer, starts too close to the start of `source`, or
/// is anything else: the general parser decides then.
#[inline(always)]
fn short_number(source: &[u8], start: usize, end: usize, point: bool) -> Option<f64> {
    let (negative, body) = match source.get(start) {
        Some(b'-') => (true, start + 1),
        Some(b'+') => (false, start + 1),
        _ => (false, start),
    };
    let len = end.checked_sub(body)?;
    if len == 0 || len > 8 {
        return None;
    }
    let window = source.get(end.checked_sub(8)?..end)?;
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(window);
    // The value is the last `len` bytes (the highest, little-endian); the
    // bytes before it become `0` digits, which change nothing.
    let keep = u64::MAX << (8 * (8 - len));
    let mut w = (u64::from_le_bytes(bytes) & keep) | (ZEROS & !keep);
    let mut frac = 0;
    if point {
        let dots = zero_bytes(w ^ (ONES * u64::from(b'.')));
        if dots != 0 {
            if dots & (dots - 1) != 0 || len == 1 {
                return None;
            }
            // Close the gap: the bytes before the point move up one place.
            let d = dots.trailing_zeros() / 8;
            let below = (1u64 << (8 * d)) - 1;
            let at_and_below = below | (0xff << (8 * d));
            w = (w & !at_and_below) | ((w & below) << 8) | u64::from(b'0');
            frac = 7 - d as usize;
        }
    }
    // Every byte a digit: its high nibble is 3, also after adding 6.
    let digits = ((w & HIGH_NIBBLES) ^ ZEROS)
        | ((w.wrapping_add(0x0606_0606_0606_0606) & HIGH_NIBBLES) ^ ZEROS);
    if digits != 0 {
        return None;
    }
    // Eight digits to their value, the first digit in the lowest byte.
    let v = w.wrapping_sub(ZEROS);
    let v = (v & 0x0f0f_0f0f_0f0f_0f0f).wrapping_mul(2561) >> 8;
    let v = (v & 0x00ff_00ff_00ff_00ff).wrapping_mul(6_553_601) >> 16;
    let v = (v & 0x0000_ffff_0000_ffff).wrapping_mul(42_949_672_960_001) >> 32;
    // At most 10^8: exact, and so is the power of ten; one rounding.
    let x = (v as i64) as f64;
    let x = if frac == 0 { x } else { x / *POW10.get(frac)? };
    Some(if negative { 0.0 - x } else { x })
}

/// Check a JSON number (its text as written) against the column.
pub(super) fn check_json_number(spec: &Spec, text: &[u8]) -> Result<Value, Fault> {
    match spec.check {
        Check::Number | Check::Integer => check(spec, text, 0, text.len()),
        // Keys and periods are often numeric ids; take them as written.
        Check::Text if spec.role != Role::Plain => Ok(Value::Text),
        _ => Err(Fault::JsonType("a number")),
    }
}

/// Check a JSON `true` or `false` against the column.
pub(super) fn check_json_bool(spec: &Spec, value: bool) -> Result<Value, Fault> {
    match spec.check {
        Check::Bool => Ok(Value::Small(u32::from(value))),
        _ => Err(Fault::JsonType(if value { "`true`" } else { "`false`" })),
    }
}

/// A parsed number, refused when it is outside the column's bounds.
#[inline(always)]
pub(super) fn within(parsed: Result<f64, NumberError>, bounds: Bounds) -> Result<f64, Fault> {
    match parsed {
        Ok(x) if bounds.contains(x) => Ok(x),
        Ok(_) => Err(Fault::Range),
        Err(e) => Err(Fault::Number(e)),
    }
}

/// A number at `start..end` of `source` (see [`check`]).
#[inline(always)]
pub(super) fn number_at(source: &[u8], start: usize, end: usize) -> Result<f64, NumberError> {
    match short_number(source, start, end, true) {
        Some(x) => Ok(x),
        None => parse_number(source.get(start..end).unwrap_or_default()),
    }
}

/// An integer at `start..end` of `source` (see [`check`]).
#[inline(always)]
pub(super) fn integer_at(source: &[u8], start: usize, end: usize) -> Result<f64, NumberError> {
    match short_number(source, start, end, false) {
        Some(x) => Ok(x),
        None => parse_integer(source.get(start..end).unwrap_or_default()),
    }
}

/// The message for a refused value (`text`, as written).
#[cold]
pub(super) fn issue(spec: &Spec, text: &[u8], fault: Fault) -> Issue {
    let text = String::from_utf8_lossy(text);
    match fault {
        Fault::Missing => missing_issue(spec),
        Fault::Number(e) => number_issue(spec, &text, e),
        Fault::Bool => bool_issue(spec, &text),
        Fault::Label => match &spec.check {
            Check::Label(labels) => label_issue(spec, labels, &text),
            _ => bool_issue(spec, &text),
        },
        Fault::Range => range_issue(spec, &text),
        Fault::JsonType(found) => json_type_issue(spec, found),
        Fault::Spaces => spaces_issue(spec, &text),
        Fault::LoneSurrogate => lone_surrogate_issue(spec),
    }
}

#[cold]
fn missing_issue(spec: &Spec) -> Issue {
    let (message, help) = match spec.role {
        Role::Key => (
            format!("the key column `{}` is empty", spec.name),
            "every row needs a key: the partner the row is about".to_string(),
        ),
        Role::Period => (
            format!("the period column `{}` is empty", spec.name),
            "every row needs the period it reports on, such as `2025Q4`".to_string(),
        ),
        Role::Plain => (
            format!("column `{}` has no value", spec.name),
            "fill in the value, or declare the column `optional` in the input block if it may be missing".to_string(),
        ),
    };
    Issue {
        code: Code::D008,
        message,
        help,
    }
}

/// Why a number or integer did not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum NumberError {
    /// Not number syntax at all.
    NotANumber,
    /// `NaN`, `nan`.
    NotANumberWord,
    /// `inf`, `infinity`.
    Infinite,
    /// Number syntax, but beyond the binary64 range (or 2^53 for integers).
    TooLarge,
    /// A number written with thousands separators (`1,000`, `1_000`).
    Separator(u8),
    /// A number, but not written as an integer (`3.0`, `1e3`).
    NotInteger,
}

/// Exact powers of ten: every `10^k` for `k <= 22` is a binary64.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Parse a number: the nearest binary64 to the decimal written, finite, with `-0` as `0`.
#[inline(always)]
pub(super) fn parse_number(text: &[u8]) -> Result<f64, NumberError> {
    let x = match fast_decimal(text) {
        Some(x) => x,
        None => slow_number(text)?,
    };
    // -0 + 0 is +0: a negative zero is stored as zero.
    Ok(x + 0.0)
}

/// The common case, `[+-]digits[.digits]` with at most 19 digits whose value
/// is at most 2^53: both the digits and the power of ten are exact binary64
/// values, so one division rounds correctly (Clinger's fast path).
#[inline(always)]
fn fast_decimal(b: &[u8]) -> Option<f64> {
    let (negative, body) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, b),
    };
    let mut mantissa: u64 = 0;
    // The position just after the `.`, if there is one.
    let mut point = None;
    for (i, &c) in body.iter().enumerate() {
        let d = c.wrapping_sub(b'0');
        if d <= 9 {
            mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d));
        } else if c == b'.' && point.is_none() {
            point = Some(i + 1);
        } else {
            return None;
        }
    }
    let frac_digits = point.map_or(0, |p| body.len() - p);
    let digits = body.len() - usize::from(point.is_some());
    if digits == 0 || digits > 19 || mantissa > MAX_EXACT_INTEGER {
        return None;
    }
    let x = mantissa as f64 / *POW10.get(frac_digits)?;
    Some(if negative { -x } else { x })
}

/// Whether `b` is `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`.
fn is_number_syntax(b: &[u8]) -> bool {
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let mut mantissa_digits = digits(&mut i);
    if b.get(i) == Some(&b'.') {
        i += 1;
        mantissa_digits += digits(&mut i);
    }
    if mantissa_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

#[cold]
fn slow_number(text: &[u8]) -> Result<f64, NumberError> {
    if is_number_syntax(text) {
        // Number syntax is ASCII, and `str::parse` rounds correctly.
        return match std::str::from_utf8(text).map(str::parse::<f64>) {
            Ok(Ok(x)) if x.is_finite() => Ok(x),
            _ => Err(NumberError::TooLarge),
        };
    }
    Err(classify_non_number(&String::from_utf8_lossy(text)))
}

/// What a text that is not number syntax looks like, for the message.
#[cold]
fn classify_non_number(text: &str) -> NumberError {
    let unsigned = text.trim_start_matches(['+', '-']);
    if unsigned.eq_ignore_ascii_case("nan") {
        return NumberError::NotANumberWord;
    }
    if unsigned.eq_ignore_ascii_case("inf") || unsigned.eq_ignore_ascii_case("infinity") {
        return NumberError::Infinite;
    }
    for sep in [b',', b'_', b'\'', b' '] {
        if text.as_bytes().contains(&sep) {
            let joined: Vec<u8> = text.bytes().filter(|c| *c != sep).collect();
            if is_number_syntax(&joined) {
                return NumberError::Separator(sep);
            }
        }
    }
    NumberError::NotANumber
}

/// Parse an integer: digits with an optional sign, at most 2^53 in size.
#[inline(always)]
pub(super) fn parse_integer(text: &[u8]) -> Result<f64, NumberError> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    };
    if digits.is_empty() || digits.len() > 19 {
        return Err(integer_error(text));
    }
    // At most 19 digits: no overflow of u64.
    let mut value: u64 = 0;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return Err(integer_error(text));
        }
        value = value * 10 + u64::from(d);
    }
    if value > MAX_EXACT_INTEGER {
        return Err(NumberError::TooLarge);
    }
    let x = value as f64;
    Ok(if negative { 0.0 - x } else { x })
}

/// Why a text is not an integer.
#[cold]
fn integer_error(text: &[u8]) -> NumberError {
    let digits = text
        .strip_prefix(b"-")
        .or_else(|| text.strip_prefix(b"+"))
        .unwrap_or(text);
    if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) {
        return NumberError::TooLarge;
    }
    match parse_number(text) {
        Ok(_) => NumberError::NotInteger,
        Err(NumberError::TooLarge) if is_number_syntax(text) => NumberError::NotInteger,
        Err(e) => e,
    }
}

/// A value shortened for a message.
pub(super) fn shown(text: &str) -> String {
    const MAX_CHARS: usize = 40;
    if text.chars().count() <= MAX_CHARS {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(MAX_CHARS).collect();
        s.push('…');
        s
    }
}

#[cold]
fn number_issue(spec: &Spec, text: &str, error: NumberError) -> Issue {
    let name = &spec.name;
    let value = shown(text);
    let integer = matches!(spec.check, Check::Integer);
    let what = if integer { "an integer" } else { "a number" };
    let empty_hint = if spec.required {
        ""
    } else {
        ", or leave the field empty for a missing value"
    };
    let (message, help) = match error {
        NumberError::NotANumber => (
            format!("column `{name}`: `{value}` is not {what}"),
            if integer {
                format!("write a whole number with digits and an optional sign, such as `42`{empty_hint}")
            } else {
                format!("write a number with digits, an optional sign and `.` as the decimal point, such as `1250.5`{empty_hint}")
            },
        ),
        NumberError::NotANumberWord => (
            format!("column `{name}`: `{value}` is not {what}"),
            "a missing value is written as an empty field, not as `NaN`".to_string(),
        ),
        NumberError::Infinite => (
            format!("column `{name}`: `{value}` is not a finite number"),
            format!("write a finite number{empty_hint}"),
        ),
        NumberError::TooLarge if integer => (
            format!(
                "column `{name}`: `{value}` is too large for an integer column (the limit is ±{MAX_EXACT_INTEGER}, 2^53)"
            ),
            "check the value; if such sizes are real, declare the column `number`".to_string(),
        ),
        NumberError::TooLarge => (
            format!(
                "column `{name}`: `{value}` is beyond the range of numbers (about ±1.8e308)"
            ),
            "check the value: it is likely a corrupted field".to_string(),
        ),
        NumberError::Separator(sep) => {
            let joined: String = text.chars().filter(|c| *c != char::from(sep)).collect();
            let sep = char::from(sep);
            (
                format!("column `{name}`: `{value}` contains the separator `{sep}`"),
                if sep == ',' && !looks_grouped(text) {
                    "write `.` as the decimal point and no thousands separators".to_string()
                } else {
                    format!("write the number without separators: `{joined}`")
                },
            )
        }
        NumberError::NotInteger => (
            format!("column `{name}`: `{value}` is not an integer"),
            match text.parse::<f64>() {
                Ok(x) if x.fract() == 0.0 && x.abs() <= MAX_EXACT_INTEGER as f64 => format!(
                    "integers are written with digits only and an optional sign: write `{}`",
                    x + 0.0
                ),
                _ => "integers are written with digits only, such as `42`; declare the column `number` if fractions are valid".to_string(),
            },
        ),
    };
    Issue {
        code: if error == NumberError::TooLarge && integer {
            Code::D010
        } else {
            Code::D009
        },
        message,
        help,
    }
}

/// Whether commas in `text` group digits by three (`1,234,567.5`).
fn looks_grouped(text: &str) -> bool {
    let body = text.trim_start_matches(['+', '-']);
    let int = body.split('.').next().unwrap_or("");
    let mut groups = int.split(',');
    let first = groups.next().unwrap_or("");
    (1..=3).contains(&first.len()) && groups.all(|g| g.len() == 3)
}

#[cold]
fn bool_issue(spec: &Spec, text: &str) -> Issue {
    Issue {
        code: Code::D009,
        message: format!(
            "column `{}`: `{}` is not `true` or `false`",
            spec.name,
            shown(text)
        ),
        help: "write `true` or `false` (any case)".to_string(),
    }
}

#[cold]
fn label_issue(spec: &Spec, labels: &Labels, text: &str) -> Issue {
    let trimmed = text.trim_matches([' ', '\t']);
    if trimmed != text && labels.find(trimmed.as_bytes()).is_some() {
        return Issue {
            code: Code::D009,
            message: format!(
                "column `{}`: `{}` is not one of its labels: it has spaces around `{trimmed}`",
                spec.name,
                shown(text)
            ),
            help: format!(
                "labels are matched exactly, spaces included: write `{trimmed}` without the spaces"
            ),
        };
    }
    let help = match crate::diag::fuzzy::closest(text, labels.names.iter().map(String::as_str)) {
        Some(s) => format!("did you mean `{s}`?"),
        None => {
            const LISTED: usize = 10;
            let mut list: Vec<String> = labels
                .names
                .iter()
                .take(LISTED)
                .map(|l| format!("`{l}`"))
                .collect();
            if labels.names.len() > LISTED {
                list.push("…".to_string());
            }
            if list.is_empty() {
                "the column has no labels".to_string()
            } else {
                format!("the labels are {}", list.join(", "))
            }
        }
    };
    Issue {
        code: Code::D009,
        message: format!(
            "column `{}`: `{}` is not one of its labels",
            spec.name,
            shown(text)
        ),
        help,
    }
}

#[cold]
fn spaces_issue(spec: &Spec, text: &str) -> Issue {
    let what = if spec.role == Role::Period {
        "period"
    } else {
        "key"
    };
    Issue {
        code: Code::D009,
        message: format!(
            "column `{}`: the {what} `{}` starts or ends with a space or tab",
            spec.name,
            shown(text)
        ),
        help: format!(
            "{what}s are compared exactly, so `{}` and `{}` would differ: remove the spaces in the data",
            shown(text.trim_matches([' ', '\t'])),
            shown(text)
        ),
    }
}

#[cold]
fn lone_surrogate_issue(spec: &Spec) -> Issue {
    Issue {
        code: Code::D009,
        message: format!(
            "column `{}`: the string is not valid text: it escapes half of a UTF-16 surrogate pair alone (such as `\\ud800`)",
            spec.name
        ),
        help: "write the character itself, or both halves of its pair (`\\ud83d\\ude00`); the file was likely cut or converted wrongly".to_string(),
    }
}

#[cold]
fn range_issue(spec: &Spec, text: &str) -> Issue {
    Issue {
        code: Code::D010,
        message: format!(
            "column `{}`: `{}` is outside the allowed range {}",
            spec.name,
            shown(text),
            range_text(spec.min, spec.max)
        ),
        help: "correct the value; if such values are valid, widen the range in the input block"
            .to_string(),
    }
}

/// `0..8`, `>= 0`, `> 0 and <= 5`.
pub(super) fn range_text(min: Option<(f64, bool)>, max: Option<(f64, bool)>) -> String {
    match (min, max) {
        (Some((lo, true)), Some((hi, true))) => format!("{lo}..{hi}"),
        _ => {
            let mut parts = Vec::new();
            if let Some((lo, closed)) = min {
                parts.push(format!("{} {lo}", if closed { ">=" } else { ">" }));
            }
            if let Some((hi, closed)) = max {
                parts.push(format!("{} {hi}", if closed { "<=" } else { "<" }));
            }
            parts.join(" and ")
        }
    }
}

#[cold]
pub(super) fn json_type_issue(spec: &Spec, found: &str) -> Issue {
    let (expected, example) = match spec.check {
        Check::Number => ("a number", "`1250.5`"),
        Check::Integer => ("an integer", "`42`"),
        Check::Bool => ("`true` or `false`", "`true`"),
        Check::Label(_) => ("a label as a JSON string", "`\"reseller\"`"),
        Check::Text => ("a JSON string", "`\"text\"`"),
    };
    let help = if matches!(spec.check, Check::Bool) && found == "a string" {
        "write the JSON literal `true` or `false`, without quotes, or `null` when it is missing"
            .to_string()
    } else {
        format!("write a value such as {example}, or `null` when it is missing")
    };
    Issue {
        code: Code::D009,
        message: format!("column `{}`: expected {expected}, found {found}", spec.name),
        help,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_agree_with_their_definition() {
        let edges = [
            f64::MIN,
            -1.5,
            -f64::MIN_POSITIVE,
            -5e-324,
            -0.0,
            0.0,
            5e-324,
            f64::MIN_POSITIVE,
            0.1,
            1.0,
            1.0000000000000002,
            8.0,
            f64::MAX,
        ];
        let ends = [
            None,
            Some(-0.0),
            Some(0.0),
            Some(1.0),
            Some(8.0),
            Some(-1.5),
        ];
        for low in ends {
            for high in ends {
                for low_closed in [true, false] {
                    for high_closed in [true, false] {
                        let min = low.map(|l| (l, low_closed));
                        let max = high.map(|h| (h, high_closed));
                        let bounds = Bounds::new(min, max);
                        for x in edges {
                            let above = min.is_none_or(|(l, c)| x > l || (c && x == l));
                            let below = max.is_none_or(|(h, c)| x < h || (c && x == h));
                            assert_eq!(
                                bounds.contains(x),
                                above && below,
                                "{x} in {min:?}..{max:?}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn fast_and_slow_paths_agree_with_std() {
        for text in [
            "0",
            "-0",
            "1",
            "0.1",
            "12.34",
            "28986.15",
            "-5.5",
            "+3",
            "9007199254740993",
            "123456789012345678",
            "0.30000000000000004",
            "1.7976931348623157e308",
            "5e-324",
            ".5",
            "5.",
            "1e3",
            "12345678901234567890",
            "0.000000000000000000000001",
        ] {
            let ours = parse_number(text.as_bytes()).map(f64::to_bits);
            let std = text.parse::<f64>().map(|x| (x + 0.0).to_bits());
            assert_eq!(ours.ok(), std.ok(), "{text}");
        }
    }

    #[test]
    fn short_numbers_agree_with_std() {
        let cases = [
            "0", "7", "42", "-5", "+8", "12345678", "-1234567", "28986.15", "0.855", ".5", "5.",
            "-0", "-0.0", "9662.05", "1.000001", "0000.001", "99999999", "999999.9",
        ];
        for text in cases {
            // The value at the end of a buffer, with other bytes before it.
            let source = format!("xxxxxxxx,{text}");
            let start = source.len() - text.len();
            let ours = short_number(source.as_bytes(), start, source.len(), true);
            let std = text.parse::<f64>().ok().map(|x| x + 0.0);
            assert_eq!(ours.map(f64::to_bits), std.map(f64::to_bits), "{text}");
        }
        for text in ["1.2.3", ".", "-", "1e5", "12a", "1,5", "123456789", " 1"] {
            let source = format!("xxxxxxxxxx{text}");
            let start = source.len() - text.len();
            assert_eq!(
                short_number(source.as_bytes(), start, source.len(), true),
                None,
                "{text}"
            );
        }
        let source = b"xxxxxxxx3.0";
        assert_eq!(short_number(source, 8, 11, false), None);
        assert_eq!(short_number(b"xxxxxxxx-42", 8, 11, false), Some(-42.0));
    }

    #[test]
    fn refuses_what_is_not_a_finite_number() {
        assert_eq!(parse_number(b"NaN"), Err(NumberError::NotANumberWord));
        assert_eq!(parse_number(b"-inf"), Err(NumberError::Infinite));
        assert_eq!(parse_number(b"Infinity"), Err(NumberError::Infinite));
        assert_eq!(parse_number(b"1e309"), Err(NumberError::TooLarge));
        assert_eq!(parse_number(b"1,000"), Err(NumberError::Separator(b',')));
        assert_eq!(parse_number(b"1_000"), Err(NumberError::Separator(b'_')));
        assert_eq!(parse_number(b"abc"), Err(NumberError::NotANumber));
        assert_eq!(parse_number(b"1e"), Err(NumberError::NotANumber));
        assert_eq!(parse_number(b"."), Err(NumberError::NotANumber));
        assert_eq!(parse_number(b"0x10"), Err(NumberError::NotANumber));
        assert_eq!(parse_number(b"-0").map(f64::to_bits), Ok(0));
    }

    #[test]
    fn integers_are_digits_within_2_pow_53() {
        assert_eq!(parse_integer(b"42"), Ok(42.0));
        assert_eq!(parse_integer(b"-7"), Ok(-7.0));
        assert_eq!(parse_integer(b"-0").map(f64::to_bits), Ok(0));
        assert_eq!(parse_integer(b"9007199254740992"), Ok(9007199254740992.0));
        assert_eq!(
            parse_integer(b"9007199254740993"),
            Err(NumberError::TooLarge)
        );
        assert_eq!(
            parse_integer(b"99999999999999999999999"),
            Err(NumberError::TooLarge)
        );
        assert_eq!(parse_integer(b"3.0"), Err(NumberError::NotInteger));
        assert_eq!(parse_integer(b"1e3"), Err(NumberError::NotInteger));
        assert_eq!(parse_integer(b"1e999"), Err(NumberError::NotInteger));
        assert_eq!(parse_integer(b"x"), Err(NumberError::NotANumber));
    }

    #[test]
    fn ranges_read_like_the_input_block() {
        assert_eq!(range_text(Some((0.0, true)), Some((8.0, true))), "0..8");
        assert_eq!(range_text(Some((0.0, true)), None), ">= 0");
        assert_eq!(
            range_text(Some((0.0, false)), Some((0.5, true))),
            "> 0 and <= 0.5"
        );
    }
}
