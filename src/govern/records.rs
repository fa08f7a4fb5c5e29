//! Reading a corrections or overrides file: CSV with a header, or NDJSON
//! (one object of strings per line), each record with its line.

use crate::data::load::DataProblem;
use crate::diag::Code;

/// One record: its line and its fields, in the order of `columns`.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub line: u64,
    pub fields: Vec<String>,
}

impl Record {
    /// Field `k` ("" when absent).
    pub fn get(&self, k: usize) -> &str {
        self.fields.get(k).map_or("", String::as_str)
    }
}

/// A problem of the file as a whole (its header or form).
fn problem(code: Code, line: u64, message: String, help: &str) -> DataProblem {
    DataProblem {
        whole_file: true,
        ..DataProblem::new(code, line, message, help)
    }
}

/// The records of `text`, a file whose header must be exactly `columns`
/// (in any order; every one present, no other). `code` is the code of a
/// malformed file; `ndjson` reads one JSON object per line instead of CSV.
pub fn read(
    text: &str,
    columns: &[&str],
    code: Code,
    ndjson: bool,
) -> Result<Vec<Record>, Vec<DataProblem>> {
    if ndjson {
        return read_ndjson(text, columns, code);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => {
            return Err(vec![problem(
                code,
                1,
                format!("the header cannot be read: {e}"),
                "write the header on the first line",
            )]);
        }
        None => {
            return Err(vec![problem(
                code,
                1,
                "the file is empty".to_string(),
                &format!("start the file with the header `{}`", columns.join(",")),
            )]);
        }
    };
    let names: Vec<&str> = header
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}'))
        .collect();
    let order = header_order(&names, columns, code)?;
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                problems.push(problem(
                    code,
                    line,
                    format!("the line cannot be read: {e}"),
                    "quote fields that hold commas or quotes, as RFC 4180 does",
                ));
                continue;
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != names.len() {
            problems.push(problem(
                code,
                line,
                format!(
                    "the line has {} fields; the header has {}",
                    record.len(),
                    names.len()
                ),
                "give every line one field per header column, empty where there is nothing to say",
            ));
            continue;
        }
        let fields = order
            .iter()
            .map(|k| record.get(*k).unwrap_or("").to_string())
            .collect();
        out.push(Record { line, fields });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Where each expected column is in the header.
fn header_order(
    names: &[&str],
    columns: &[&str],
    code: Code,
) -> Result<Vec<usize>, Vec<DataProblem>> {
    let mut problems = Vec::new();
    for name in names {
        if !columns.contains(name) {
            let hint = crate::diag::fuzzy::closest(name, columns.iter().copied())
                .map_or(String::new(), |c| format!(" (did you mean `{c}`?)"));
            problems.push(problem(
                code,
                1,
                format!("the header names `{name}`, which is not a column of this file{hint}"),
                &format!("the columns are `{}`", columns.join(",")),
            ));
        }
    }
    let mut order = Vec::new();
    for column in columns {
        match names.iter().position(|n| n == column) {
            Some(k) => order.push(k),
            None => problems.push(problem(
                code,
                1,
                format!("the header lacks the column `{column}`"),
                &format!("the columns are `{}`", columns.join(",")),
            )),
        }
    }
    if problems.is_empty() {
        Ok(order)
    } else {
        Err(problems)
    }
}

fn read_ndjson(text: &str, columns: &[&str], code: Code) -> Result<Vec<Record>, Vec<DataProblem>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    // A JSON array of objects: each element numbered as its line, as the
    // data loader numbers them.
    let elements: Vec<(u64, String)> = if text.trim_start().starts_with('[') {
        match serde_json::from_str::<Vec<serde_json::Value>>(text) {
            Ok(items) => items
                .iter()
                .enumerate()
                .map(|(k, v)| (k as u64 + 1, v.to_string()))
                .collect(),
            Err(e) => {
                return Err(vec![problem(
                    code,
                    e.line() as u64,
                    format!("the file is not a JSON array of objects: {e}"),
                    "write an array of objects, or one object per line (NDJSON)",
                )]);
            }
        }
    } else {
        text.lines()
            .enumerate()
            .map(|(k, l)| (k as u64 + 1, l.to_string()))
            .collect()
    };
    for (line, raw) in &elements {
        let (line, raw) = (*line, raw.as_str());
        if raw.trim().is_empty() {
            continue;
        }
        let object: serde_json::Map<String, serde_json::Value> = match serde_json::from_str(raw) {
            Ok(serde_json::Value::Object(o)) => o,
            Ok(_) | Err(_) => {
                problems.push(problem(
                    code,
                    line,
                    "the line is not a JSON object".to_string(),
                    "write one object per line, with a string for each column",
                ));
                continue;
            }
        };
        let names: Vec<&str> = object.keys().map(String::as_str).collect();
        let mut fields = Vec::new();
        let mut bad = false;
        for name in &names {
            if !columns.contains(name) {
                problems.push(problem(
                    code,
                    line,
                    format!("the object names `{name}`, which is not a column of this file"),
                    &format!("the columns are `{}`", columns.join(",")),
                ));
                bad = true;
            }
        }
        for column in columns {
            match object.get(*column) {
                None | Some(serde_json::Value::Null) => fields.push(String::new()),
                Some(serde_json::Value::String(s)) => fields.push(s.clone()),
                Some(v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
                    fields.push(v.to_string())
                }
                Some(_) => {
                    problems.push(problem(
                        code,
                        line,
                        format!("`{column}` is not a string, number or bool"),
                        "give each column a string",
                    ));
                    bad = true;
                }
            }
        }
        if !bad {
            out.push(Record { line, fields });
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}
