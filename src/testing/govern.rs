//! Corrections and overrides in tests and snapshots: a file the test or
//! snapshot names (relative to the scorecard), or `correction { … }` and
//! `override { … }` lines written in the test, read and applied exactly as
//! `--corrections` and `--overrides` apply theirs. A problem that keeps a
//! line from applying fails the test, pointing at the line (or at the file's
//! name in the scorecard, with the file's line).

use std::path::Path;

use crate::data::load::DataProblem;
use crate::data::table::Table;
use crate::diag::{Code, Diagnostic, Severity};
use crate::eval::{self, Context};
use crate::govern::records::{self, Record};
use crate::govern::{self, Governance, corrections, overrides};
use crate::model::{GovernInput, Loc, Model};
use crate::plan::Plan;
use crate::source::SourceMap;

/// The lines of one corrections or overrides input, and where each is written.
#[derive(Clone, Debug)]
pub struct Lines {
    /// The name shown for the input: the file's path, or the scorecard's.
    pub name: String,
    pub records: Vec<Record>,
    /// The file's name in the scorecard, or `None` for lines written in the
    /// test (numbered by their line in the scorecard).
    file: Option<Loc>,
    /// Each record's line and where it is written, for lines in the test.
    rows: Vec<(u64, Loc)>,
}

impl Lines {
    /// Where a problem of line `line` is shown, and how it is named.
    fn place(&self, line: u64) -> (Loc, String) {
        match (self.file, self.rows.iter().find(|(l, _)| *l == line)) {
            (Some(at), _) => (at, format!("`{}` line {line}: ", self.name)),
            (None, Some((_, at))) => (*at, String::new()),
            (None, None) => (
                self.rows.first().map(|(_, at)| *at).unwrap_or_default(),
                String::new(),
            ),
        }
    }

    /// The problems that are errors, as diagnostics at their place.
    fn failures(&self, problems: &[DataProblem]) -> Vec<Diagnostic> {
        problems
            .iter()
            .filter(|p| p.code.severity() == Severity::Error)
            .map(|p| {
                let (at, prefix) = self.place(p.line);
                Diagnostic::new(p.code, at.file, at.span, format!("{prefix}{}", p.message))
                    .label(if self.file.is_some() {
                        "this file"
                    } else {
                        "this line"
                    })
                    .help(p.help.clone())
            })
            .collect()
    }
}

/// The lines of a corrections file (`overrides` false) or an overrides file
/// at `full`, shown as `path`; its problems are shown at `at`.
pub fn file_lines(
    full: &Path,
    path: &str,
    at: Loc,
    overrides: bool,
) -> Result<Lines, Vec<Diagnostic>> {
    let what = if overrides {
        "overrides"
    } else {
        "corrections"
    };
    let text = std::fs::read(full)
        .map_err(|e| crate::check::load::io_reason(&e))
        .and_then(|b| String::from_utf8(b).map_err(|_| "it is not UTF-8 text".to_string()))
        .map_err(|reason| {
            vec![
                Diagnostic::new(
                    Code::E002,
                    at.file,
                    at.span,
                    format!("cannot read the {what} `{path}`: {reason}"),
                )
                .label("this file")
                .help("a path in the scorecard is relative to the scorecard's directory"),
            ]
        })?;
    let (columns, code): (&[&str], Code) = if overrides {
        (&overrides::COLUMNS, Code::D044)
    } else {
        (&corrections::COLUMNS, Code::D040)
    };
    let mut lines = Lines {
        name: path.to_string(),
        records: Vec::new(),
        file: Some(at),
        rows: Vec::new(),
    };
    match records::read(&text, columns, code, govern::is_ndjson(full)) {
        Ok(r) => lines.records = r,
        Err(problems) => return Err(lines.failures(&problems)),
    }
    Ok(lines)
}

/// The lines of a test's corrections (or overrides): its file, or the lines
/// written in it; `None` when it has neither.
pub fn test_lines(
    sources: &SourceMap,
    scorecard: &Path,
    input: &GovernInput,
    overrides: bool,
) -> Result<Option<Lines>, Vec<Diagnostic>> {
    if let Some((path, at)) = &input.file {
        let full = scorecard.parent().unwrap_or(Path::new(".")).join(path);
        return file_lines(&full, path, *at, overrides).map(Some);
    }
    if input.rows.is_empty() {
        return Ok(None);
    }
    let columns: &[&str] = if overrides {
        &overrides::COLUMNS
    } else {
        &corrections::COLUMNS
    };
    let mut lines = Lines {
        name: scorecard.display().to_string(),
        records: Vec::new(),
        file: None,
        rows: Vec::new(),
    };
    for row in &input.rows {
        let line = sources
            .get(row.loc.file)
            .map_or(0, |f| f.line_col(row.loc.span.start).0) as u64;
        let fields = columns
            .iter()
            .map(|c| {
                row.fields
                    .iter()
                    .find(|(n, _)| n == c)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            })
            .collect();
        lines.records.push(Record { line, fields });
        lines.rows.push((line, row.loc));
    }
    Ok(Some(lines))
}

/// Apply the corrections to the table and the overrides to its rows, as a
/// scoring run does; the failures are the problems that are errors.
pub fn apply(
    model: &Model,
    plan: &Plan,
    table: &mut Table,
    corrections: Option<&Lines>,
    overrides: Option<&Lines>,
) -> (Governance, Vec<Diagnostic>) {
    let mut gov = Governance::default();
    let mut failures = Vec::new();
    if let Some(lines) = corrections {
        let (list, problems) = corrections::from_records(model, &lines.records);
        failures.extend(lines.failures(&problems));
        let (applied, problems) = corrections::apply(model, table, &lines.name, list);
        failures.extend(lines.failures(&problems));
        gov.corrections = Some(applied);
    }
    if let Some(lines) = overrides {
        let (list, problems) = overrides::from_records(model, &lines.records);
        failures.extend(lines.failures(&problems));
        let (mut matched, problems) = overrides::apply(model, table, &lines.name, list);
        failures.extend(lines.failures(&problems));
        let ordered = eval::order_rows(model, table);
        let mut ctx = Context::new(model, plan, table, &ordered);
        let problems = govern::settle_overrides(&mut ctx, &mut matched);
        failures.extend(lines.failures(&problems));
        gov.overrides = Some(matched);
    }
    (gov, failures)
}
