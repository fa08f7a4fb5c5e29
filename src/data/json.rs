//! JSON data: an array of objects, or NDJSON (one object per line).
//!
//! Each object is one row; its keys name the columns, and keys the contract
//! does not declare are ignored. `null` or an absent key is a missing value.
//! A number is a JSON number or a string holding one; a bool is the JSON
//! literal `true` or `false` (a string such as `"true"` is refused); labels
//! and text are strings, taken exactly as decoded (a string that escapes half
//! of a surrogate pair alone is refused, never read as missing), and a key or
//! period may also be a number. Values are read from the raw JSON
//! text, so numbers follow the rules of CSV fields and are rounded once.
//!
//! Nothing here recurses into nested values: elements are delimited by a flat
//! scan that counts brackets, and values that are arrays or objects are
//! skipped by serde_json's iterative `ignore_value`. Its recursion limit (128)
//! stays on.
//!
//! In NDJSON, blank lines are skipped and each line stands alone: a line that
//! is not valid JSON is a problem of that row. In a JSON array, invalid JSON is
//! a problem of the file; an element that is valid JSON but not an object is a
//! problem of that row.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::data::collect::{At, Found, Rows, not_utf8};
use crate::data::convert::{
    Check, Fault, Spec, Value, check, check_json_bool, check_json_number, issue,
};
use crate::data::csv_fast::{TOO_LONG_HELP, character, missing_column, too_long};
use crate::data::problem::{DataProblem, MAX_LINE_BYTES, excerpt};
use crate::diag::Code;

/// Contract column names to spec indexes.
pub(super) struct Keys<'s> {
    index: HashMap<&'s str, usize>,
}

impl<'s> Keys<'s> {
    pub fn new(specs: &'s [Spec]) -> Self {
        Keys {
            index: specs
                .iter()
                .enumerate()
                .map(|(i, s)| (s.name.as_str(), i))
                .collect(),
        }
    }
}

/// Why an object could not be read.
enum ObjectError {
    Syntax(serde_json::Error),
    /// Valid JSON, but not an object: what it is.
    NotObject(&'static str),
    /// A declared column's key given twice.
    Duplicate(String),
}

/// What a JSON value is, by its first character.
fn kind(text: &str) -> &'static str {
    match text.as_bytes().first() {
        Some(b'[') => "an array",
        Some(b'{') => "an object",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a bool",
        Some(b'n') => "`null`",
        _ => "a number",
    }
}

/// Read one object's values (by spec) from its text.
fn read_object<'t>(
    text: &'t str,
    keys: &Keys,
    values: &mut [Option<&'t RawValue>],
    first_keys: &mut Option<Vec<String>>,
) -> Result<(), ObjectError> {
    values.fill(None);
    if !text.starts_with('{') {
        return match serde_json::from_str::<IgnoredAny>(text) {
            Ok(_) => Err(ObjectError::NotObject(kind(text))),
            Err(e) => Err(ObjectError::Syntax(e)),
        };
    }
    let mut duplicate = None;
    let mut names = first_keys.is_none().then(Vec::new);
    let mut de = serde_json::Deserializer::from_str(text);
    ObjectSeed {
        keys,
        values,
        duplicate: &mut duplicate,
        names: names.as_mut(),
    }
    .deserialize(&mut de)
    .and_then(|()| de.end())
    .map_err(ObjectError::Syntax)?;
    if names.is_some() {
        *first_keys = names;
    }
    match duplicate {
        Some(key) => Err(ObjectError::Duplicate(key)),
        None => Ok(()),
    }
}

struct ObjectSeed<'k, 'v, 'de> {
    keys: &'k Keys<'k>,
    values: &'v mut [Option<&'de RawValue>],
    duplicate: &'v mut Option<String>,
    names: Option<&'v mut Vec<String>>,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if let Some(names) = self.names.as_mut() {
                names.push(key.to_string());
            }
            match self.keys.index.get(key.as_ref()) {
                Some(&i) => {
                    let value: &'de RawValue = map.next_value()?;
                    if let Some(slot) = self.values.get_mut(i) {
                        if slot.is_some() && self.duplicate.is_none() {
                            *self.duplicate = Some(key.into_owned());
                        }
                        *slot = Some(value);
                    }
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// An object key, borrowed from the text when it has no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(KeySeed)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// serde_json's message without its " at line L column C".
fn serde_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_string()
}

/// A syntax problem at the position serde_json gives, relative to an object
/// that starts on `line` at character `character`.
fn syntax_problem(e: &serde_json::Error, line: u64, character: usize, what: &str) -> DataProblem {
    let (line, at) = match e.line() {
        0 | 1 => (line, character + e.column().saturating_sub(1)),
        l => (line + l as u64 - 1, e.column()),
    };
    DataProblem::new(
        Code::D005,
        line,
        format!("{what} is not valid JSON: {}", serde_message(e)),
        "write each row as a JSON object: `{\"partner_id\": \"P1\", \"revenue\": 1250.5}`",
    )
    .at(Some(at.max(1)))
}

/// Where an object's text starts: the text the values were read from, and
/// the line and 1-based character position of its first byte.
#[derive(Clone, Copy)]
struct Place<'t> {
    text: &'t str,
    line: u64,
    character: usize,
}

impl Place<'_> {
    /// The line and character position of `value`, a slice of the object's text.
    #[cold]
    fn of(self, value: &str) -> (u64, Option<usize>) {
        let offset = (value.as_ptr() as usize).checked_sub(self.text.as_ptr() as usize);
        let Some(before) = offset.and_then(|o| self.text.get(..o)) else {
            return (self.line, None);
        };
        match before.rfind('\n') {
            Some(lf) => (
                self.line + before.matches('\n').count() as u64,
                Some(before.get(lf + 1..).map_or(0, |t| t.chars().count()) + 1),
            ),
            None => (self.line, Some(self.character + before.chars().count())),
        }
    }
}

/// Check the values of one object into `rows.slots`, texts into `scratch`;
/// a value refused is reported at its own line and position.
fn convert_values(
    rows: &mut Rows,
    values: &[Option<&RawValue>],
    place: Place,
    scratch: &mut String,
) {
    scratch.clear();
    note_keys(rows, values);
    let specs = rows.specs;
    for (c, (spec, raw)) in specs.iter().zip(values).enumerate() {
        let raw = raw.map(|r| r.get().trim());
        let decoded;
        let (text, result) = match raw {
            None | Some("null") => ("", check(spec, b"", 0, 0)),
            Some(r) if r.starts_with('"') => {
                decoded = if r.contains('\\') {
                    // Fails only on a lone surrogate (`"\ud800"`): the
                    // object's syntax was checked when it was read.
                    serde_json::from_str::<String>(r).map(Cow::Owned)
                } else {
                    Ok(Cow::Borrowed(
                        r.get(1..r.len().saturating_sub(1)).unwrap_or_default(),
                    ))
                };
                match &decoded {
                    Err(_) => (r, Err(Fault::LoneSurrogate)),
                    // A bool column takes JSON `true` and `false`, not strings.
                    Ok(_) if matches!(spec.check, Check::Bool) => {
                        (r, Err(Fault::JsonType("a string")))
                    }
                    Ok(text) => (text.as_ref(), check(spec, text.as_bytes(), 0, text.len())),
                }
            }
            Some(r @ ("true" | "false")) => (r, check_json_bool(spec, r == "true")),
            Some(r) if r.starts_with(['{', '[']) => (r, Err(Fault::JsonType(kind(r)))),
            Some(r) => (r, check_json_number(spec, r.as_bytes())),
        };
        match result {
            Ok(value) => {
                let start = scratch.len();
                scratch.push_str(text);
                rows.put(c, value, start, scratch.len(), true);
            }
            Err(fault) => {
                // No value is kept, and none of an earlier row lingers.
                rows.put(c, Value::Missing, 0, 0, false);
                let (line, character) = match values.get(c).copied().flatten() {
                    Some(value) => place.of(value.get()),
                    None => (place.line, None),
                };
                let problem = DataProblem::from_issue(issue(spec, text.as_bytes(), fault), line)
                    .at(character)
                    .column(&spec.name);
                rows.issues.push(if text.is_empty() {
                    problem
                } else {
                    problem.value(text)
                });
            }
        }
    }
}

/// Note that an object was read, and which contract columns it has.
fn note_keys(rows: &mut Rows, values: &[Option<&RawValue>]) {
    rows.found.objects += 1;
    for (seen, value) in rows.found.seen.iter_mut().zip(values) {
        *seen |= value.is_some();
    }
}

/// Read one part of an NDJSON file, which starts on line `first_line`.
pub(super) fn read_ndjson_part(bytes: &[u8], first_line: u64, keys: &Keys, rows: &mut Rows) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        not_utf8(bytes, first_line - 1, &mut |p| rows.file_problem(p));
        return;
    };
    let mut values = vec![None; rows.specs.len()];
    let mut scratch = String::new();
    // A byte order mark is tolerated at the start of the file.
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) if first_line == 1 => rest,
        _ => text,
    };
    for (i, line) in text.split('\n').enumerate() {
        let number = first_line + i as u64;
        let body = line.trim_matches([' ', '\t', '\r']);
        if body.is_empty() {
            continue;
        }
        let at = At {
            row: number,
            line: number,
            offset: 0,
        };
        let start = line.len() - line.trim_start_matches([' ', '\t', '\r']).len() + 1;
        if line.len() > MAX_LINE_BYTES {
            rows.clear_values();
            rows.issues.push(DataProblem::new(
                Code::D006,
                number,
                too_long(line.len()),
                TOO_LONG_HELP,
            ));
            rows.finish(at, "", "", || excerpt(line));
            continue;
        }
        match read_object(body, keys, &mut values, &mut rows.found.first_keys) {
            Ok(()) => {
                let place = Place {
                    text: body,
                    line: number,
                    character: start,
                };
                convert_values(rows, &values, place, &mut scratch)
            }
            Err(e) => {
                rows.clear_values();
                scratch.clear();
                let problem = match e {
                    ObjectError::Syntax(e) => syntax_problem(&e, number, start, "the line"),
                    ObjectError::NotObject(kind) => DataProblem::new(
                        Code::D005,
                        number,
                        format!("the line is {kind}, not a JSON object"),
                        "write one JSON object per line: `{\"partner_id\": \"P1\", \"revenue\": 1250.5}`",
                    )
                    .at(Some(start)),
                    ObjectError::Duplicate(key) => {
                        note_keys(rows, &values);
                        duplicate_key(&key, number)
                    }
                };
                rows.issues.push(problem);
            }
        }
        rows.finish(at, "", &scratch, || line.to_string());
    }
}

fn duplicate_key(key: &str, line: u64) -> DataProblem {
    DataProblem::new(
        Code::D005,
        line,
        format!("the key `{key}` appears twice in the object"),
        "give each column once per object",
    )
    .column(key)
}

/// Where each element of a JSON array is.
#[derive(Debug, Default)]
pub(super) struct Elements {
    /// The line each element starts on.
    pub lines: Vec<u64>,
    /// The 1-based character position each element starts at in its line.
    pub characters: Vec<usize>,
    /// The byte range of each element.
    pub spans: Vec<(usize, usize)>,
}

/// Character positions in a line, counted on from the last one asked for,
/// so that the elements of an array written on one line take one pass.
#[derive(Default)]
struct Columns {
    line_start: usize,
    /// The byte last asked for, and its 0-based character position.
    at: usize,
    chars: usize,
}

impl Columns {
    /// The 1-based character position of byte `pos` in the line that
    /// starts at `line_start` (`pos` never moves back within a line).
    fn character(&mut self, text: &str, line_start: usize, pos: usize) -> usize {
        if line_start != self.line_start || pos < self.at {
            *self = Columns {
                line_start,
                at: line_start,
                chars: 0,
            };
        }
        self.chars += text.get(self.at..pos).map_or(0, |t| t.chars().count());
        self.at = pos;
        self.chars + 1
    }
}

/// Find the elements of a JSON array, without reading them (no recursion:
/// brackets are counted). The problems found are the file's.
#[expect(
    clippy::result_large_err,
    reason = "called once per file, whose only problem the error is"
)]
pub(super) fn scan_array(text: &str) -> Result<Elements, DataProblem> {
    let mut elements = Elements::default();
    let b = text.as_bytes();
    let mut pos = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut line: u64 = 1;
    let mut line_start = 0;
    let skip_space = |pos: &mut usize, line: &mut u64, line_start: &mut usize| {
        while let Some(&c) = b.get(*pos) {
            match c {
                b'\n' => {
                    *line += 1;
                    *line_start = *pos + 1;
                }
                b' ' | b'\t' | b'\r' => {}
                _ => break,
            }
            *pos += 1;
        }
    };
    skip_space(&mut pos, &mut line, &mut line_start);
    match b.get(pos) {
        None => {
            return Err(DataProblem::new(
                Code::D003,
                1,
                "the file is empty: there is no JSON array of rows",
                "a JSON data file is an array of objects, one per row: `[{\"partner_id\": \"P1\"}]`",
            ));
        }
        Some(b'[') => pos += 1,
        Some(_) => {
            let rest = text.get(pos..).unwrap_or_default();
            return Err(DataProblem::new(
                Code::D003,
                line,
                format!("the JSON data is {}, not an array of objects", kind(rest)),
                "a JSON data file is an array of objects, one per row: `[{\"partner_id\": \"P1\"}]` (for one object per line, use NDJSON)",
            )
            .at(character(text, line_start, pos)));
        }
    }
    let open_line = line;
    let mut columns = Columns::default();
    loop {
        skip_space(&mut pos, &mut line, &mut line_start);
        if elements.spans.is_empty() && b.get(pos) == Some(&b']') {
            pos += 1;
            break;
        }
        let start = pos;
        let start_line = line;
        let start_char = columns.character(text, line_start, start);
        // The element ends at a `,` or `]` outside strings and brackets.
        let mut depth: usize = 0;
        let mut in_string = false;
        let mut escaped = false;
        let end = loop {
            let Some(&c) = b.get(pos) else { break None };
            if in_string {
                if escaped {
                    escaped = false;
                } else if c == b'\\' {
                    escaped = true;
                } else if c == b'"' {
                    in_string = false;
                }
            } else {
                match c {
                    b'"' => in_string = true,
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' if depth > 0 => depth -= 1,
                    b']' | b',' if depth == 0 => break Some(c),
                    _ => {}
                }
            }
            if c == b'\n' {
                line += 1;
                line_start = pos + 1;
            }
            pos += 1;
        };
        let Some(closer) = end else {
            return Err(DataProblem::new(
                Code::D005,
                open_line,
                "the JSON array that starts on this line is never closed",
                "end the array with `]`; check for a missing `}` or an unclosed string",
            ));
        };
        let element = text.get(start..pos).unwrap_or_default().trim_end();
        pos += 1;
        if element.is_empty() {
            return Err(DataProblem::new(
                Code::D005,
                start_line,
                "the JSON array has an empty element: a `,` too many",
                "remove the extra comma",
            )
            .at(Some(start_char)));
        }
        elements.lines.push(start_line);
        elements.characters.push(start_char);
        elements.spans.push((start, start + element.len()));
        if closer == b']' {
            break;
        }
    }
    skip_space(&mut pos, &mut line, &mut line_start);
    if pos < b.len() {
        return Err(DataProblem::new(
            Code::D005,
            line,
            "there is text after the end of the JSON array",
            "a JSON data file holds one array; remove what follows its `]`",
        )
        .at(character(text, line_start, pos)));
    }
    Ok(elements)
}

/// Read the elements of a JSON array as rows, numbered by element.
pub(super) fn read_elements(text: &str, elements: &Elements, keys: &Keys, rows: &mut Rows) {
    let mut values = vec![None; rows.specs.len()];
    let mut scratch = String::new();
    for (i, (&(start, end), (&line, &character))) in elements
        .spans
        .iter()
        .zip(elements.lines.iter().zip(&elements.characters))
        .enumerate()
    {
        let index = i as u64 + 1;
        let element = text.get(start..end).unwrap_or_default();
        let at = At {
            row: index,
            line,
            offset: 0,
        };
        if element.len() > MAX_LINE_BYTES {
            rows.clear_values();
            rows.issues.push(DataProblem::new(
                Code::D006,
                line,
                too_long(element.len()),
                TOO_LONG_HELP,
            ));
            rows.finish(at, "", "", || excerpt(element));
            continue;
        }
        match read_object(element, keys, &mut values, &mut rows.found.first_keys) {
            Ok(()) => {
                let place = Place {
                    text: element,
                    line,
                    character,
                };
                convert_values(rows, &values, place, &mut scratch)
            }
            Err(ObjectError::Syntax(e)) => {
                // Invalid JSON makes the file unreadable, whatever the policy.
                rows.file_problem(syntax_problem(&e, line, character, "the element"));
                continue;
            }
            Err(ObjectError::NotObject(kind)) => {
                rows.clear_values();
                scratch.clear();
                let rows_inside = element
                    .strip_prefix('[')
                    .is_some_and(|rest| rest.trim_start().starts_with('{'));
                let help = if rows_inside {
                    "the rows are inside a second array: write one array of objects, `[{\"partner_id\": \"P1\"}, {\"partner_id\": \"P2\"}]`"
                } else {
                    "make every element of the array an object: `{\"partner_id\": \"P1\", \"revenue\": 1250.5}`"
                };
                rows.issues.push(
                    DataProblem::new(
                        Code::D005,
                        line,
                        format!("element {index} of the array is {kind}, not a JSON object"),
                        help,
                    )
                    .at(Some(character)),
                );
            }
            Err(ObjectError::Duplicate(key)) => {
                note_keys(rows, &values);
                rows.clear_values();
                scratch.clear();
                rows.issues.push(duplicate_key(&key, line));
            }
        }
        rows.finish(at, "", &scratch, || element.to_string());
    }
}

/// Report required columns that no object has (D001), once each, before
/// other problems of the file.
///
/// When no object's keys could be read (every row is not an object, or not
/// valid JSON), nothing is known of the columns: the rows' own problems say
/// what is wrong, and no column is called missing.
pub(super) fn missing_keys(found: &mut Found, specs: &[Spec]) {
    if found.objects == 0 {
        return;
    }
    let known = found.first_keys.clone().unwrap_or_default();
    let problems: Vec<DataProblem> = specs
        .iter()
        .zip(&found.seen)
        .filter(|(spec, seen)| spec.required && !**seen)
        .map(|(spec, _)| missing_column(spec, known.iter().map(String::as_str), 1))
        .collect();
    found.file_problem_count += problems.len();
    found.file_problems.splice(0..0, problems);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_of_a_one_line_array_have_their_character_positions() {
        // Elements with multi-byte characters, on one line, then two more lines.
        let mut text = String::from("[");
        let mut expected = Vec::new();
        for i in 0..3000 {
            if i > 0 {
                text.push_str(", ");
            }
            expected.push((1, text.chars().count() + 1));
            text.push_str(&format!(
                "{{\"partner_id\": \"P{i}\", \"note\": \"é✓😀 {i}\"}}"
            ));
        }
        text.push_str(",\n  {\"partner_id\": \"x\"}, {\"é\": 1},\n{}]");
        expected.push((2, 3));
        expected.push((2, 24));
        expected.push((3, 1));
        let elements = scan_array(&text).map_err(|p| p.message);
        let got = elements.map(|e| {
            e.lines
                .iter()
                .copied()
                .zip(e.characters.iter().copied())
                .collect::<Vec<(u64, usize)>>()
        });
        let got = got.unwrap_or_default();
        assert_eq!(got.len(), expected.len());
        let first_wrong = got.iter().zip(&expected).position(|(g, e)| g != e);
        assert_eq!(first_wrong.map(|i| (i, got.get(i), expected.get(i))), None);
    }
}
