//! Corrections to the data: one value of one partner's row (or of every
//! row of the partner), checked under the input contract and the
//! scorecard's correction policy, applied to the loaded table before
//! scoring.
//!
//! Codes: `D040` a correction that cannot be applied, `D041` two
//! corrections of the same value, `D042` a correction that changes nothing,
//! `D043` a correction the policy does not allow; a value the contract
//! refuses keeps the loader's code (`D008`–`D010`).

use std::collections::BTreeMap;

use crate::data::cell::{self, CellValue};
use crate::data::load::DataProblem;
use crate::data::table::{Column, Table};
use crate::diag::Code;
use crate::govern::records::{self, Record};
use crate::model::{ColumnId, Model};

/// The header of a corrections file.
pub const COLUMNS: [&str; 8] = crate::model::CORRECTION_COLUMNS;

/// One line of a corrections file, checked against the contract.
#[derive(Clone, Debug, PartialEq)]
pub struct Correction {
    pub line: u64,
    pub partner: String,
    /// `None`: every period of the partner.
    pub period: Option<String>,
    pub column: ColumnId,
    pub column_name: String,
    pub value: CellValue,
    /// The value as written in the file.
    pub value_text: String,
    pub reason: String,
    pub submitted_by: String,
    pub approved_by: String,
    pub date: String,
}

/// A correction applied to one row.
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    /// Index into the corrections.
    pub correction: usize,
    /// The table row changed.
    pub row: u32,
    /// The value the data held.
    pub before: CellValue,
}

/// Corrections read and applied.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Corrections {
    /// The file's name as given.
    pub file: String,
    pub list: Vec<Correction>,
    pub applied: Vec<Applied>,
}

impl Corrections {
    /// The corrections applied to table row `row`, in file order.
    pub fn of_row(&self, row: u32) -> impl Iterator<Item = (&Applied, &Correction)> {
        self.applied
            .iter()
            .filter(move |a| a.row == row)
            .filter_map(|a| Some((a, self.list.get(a.correction)?)))
    }
}

/// Read a corrections file (`text`; NDJSON when `ndjson`) under the model's
/// contract and policy. Every problem of every line is returned.
/// The corrections that can be applied come back with the problems of the
/// others (and the conflicts), so that every line's problem is reported.
pub fn read(model: &Model, text: &str, ndjson: bool) -> (Vec<Correction>, Vec<DataProblem>) {
    match records::read(text, &COLUMNS, Code::D040, ndjson) {
        Ok(r) => from_records(model, &r),
        Err(problems) => (Vec::new(), problems),
    }
}

/// Corrections from records already read (a file's lines, or the lines a
/// test writes), under the contract and policy, with every problem.
pub fn from_records(model: &Model, records: &[Record]) -> (Vec<Correction>, Vec<DataProblem>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for record in records {
        match correction(model, record) {
            Ok(c) => out.push(c),
            Err(mut p) => problems.append(&mut p),
        }
    }
    problems.extend(conflicts(&out));
    problems.sort_by_key(|p| p.line);
    (out, problems)
}

/// The columns the table must keep for the corrections to be applied.
pub fn needed(corrections: &[Correction], needed: &[bool], columns: usize) -> Vec<bool> {
    let mut out: Vec<bool> = (0..columns)
        .map(|i| needed.get(i).copied().unwrap_or(true))
        .collect();
    for c in corrections {
        if let Some(slot) = out.get_mut(c.column.index()) {
            *slot = true;
        }
    }
    out
}

fn correction(model: &Model, r: &Record) -> Result<Correction, Vec<DataProblem>> {
    let line = r.line;
    let mut problems = Vec::new();
    let policy = &model.governance.corrections;
    let (partner, period, column_name, value_text) = (r.get(0), r.get(1), r.get(2), r.get(3));
    if partner.is_empty() {
        problems.push(DataProblem::new(
            Code::D040,
            line,
            "the correction names no partner",
            "give the partner's key as the data has it",
        ));
    }
    if model.contract.period.is_none() && !period.is_empty() {
        problems.push(DataProblem::new(
            Code::D040,
            line,
            format!(
                "the correction names the period `{period}`, but the data has no period column"
            ),
            "leave `period` empty",
        ));
    }
    if r.get(4).trim().is_empty() {
        problems.push(DataProblem::new(
            Code::D040,
            line,
            "the correction gives no reason",
            "say why the value is wrong, for the partner and the auditor",
        ));
    }
    if r.get(5).trim().is_empty() {
        problems.push(DataProblem::new(
            Code::D040,
            line,
            "the correction names no submitter",
            "fill in `submitted_by`",
        ));
    }
    if policy.approver_required && r.get(6).trim().is_empty() {
        problems.push(DataProblem::new(
            Code::D043,
            line,
            "the correction has no approver, and the scorecard's governance policy requires one",
            "fill in `approved_by` once the correction is approved",
        ));
    }
    let column = match model.contract.find(column_name) {
        Some(id) if Some(id) == model.contract.key || Some(id) == model.contract.period => {
            problems.push(DataProblem::new(
                Code::D040,
                line,
                format!("`{column_name}` is the key or period column, which a correction cannot change"),
                "correct the values of a row, not which partner or period it is; fix the data export instead",
            ));
            None
        }
        Some(id) => {
            if policy.locked.contains(&id) {
                problems.push(DataProblem::new(
                    Code::D043,
                    line,
                    format!(
                        "the column `{column_name}` is locked by the scorecard's governance policy"
                    ),
                    "corrections to this column are not allowed; fix the data at its source",
                ));
            }
            Some(id)
        }
        None => {
            let hint = crate::diag::fuzzy::closest(
                column_name,
                model.contract.columns.iter().map(|c| c.name.as_str()),
            )
            .map_or(String::new(), |c| format!(" (did you mean `{c}`?)"));
            problems.push(DataProblem::new(
                Code::D040,
                line,
                format!("`{column_name}` is not a column of the input contract{hint}"),
                "name a column the scorecard's input block declares",
            ));
            None
        }
    };
    let value = column.and_then(|id| match cell::parse(model, id, value_text, line) {
        Ok(v) => Some(v),
        Err(p) => {
            problems.push(*p);
            None
        }
    });
    match (column, value) {
        (Some(column), Some(value)) if problems.is_empty() => Ok(Correction {
            line,
            partner: partner.to_string(),
            period: (!period.is_empty()).then(|| period.to_string()),
            column,
            column_name: column_name.to_string(),
            value,
            value_text: value_text.to_string(),
            reason: r.get(4).to_string(),
            submitted_by: r.get(5).to_string(),
            approved_by: r.get(6).to_string(),
            date: r.get(7).to_string(),
        }),
        _ => Err(problems),
    }
}

/// Two corrections of the same value: the same partner and column, and the
/// same period or one of them for every period.
fn conflicts(list: &[Correction]) -> Vec<DataProblem> {
    let mut seen: BTreeMap<(&str, ColumnId), Vec<&Correction>> = BTreeMap::new();
    let mut out = Vec::new();
    for c in list {
        let earlier = seen.entry((c.partner.as_str(), c.column)).or_default();
        if let Some(first) = earlier
            .iter()
            .find(|e| e.period.is_none() || c.period.is_none() || e.period == c.period)
        {
            let which = match (&first.period, &c.period) {
                (Some(p), Some(_)) => format!("period `{p}`"),
                _ => "every period".to_string(),
            };
            out.push(DataProblem::new(
                Code::D041,
                c.line,
                format!(
                    "line {} and line {} both correct `{}` of partner `{}` ({which})",
                    first.line, c.line, c.column_name, c.partner
                ),
                "keep one correction per value: remove one line or merge them",
            ));
        }
        earlier.push(c);
    }
    out
}

/// Apply the corrections to the table: every one must find its partner
/// (and period). A correction that leaves every value it targets as it was
/// is a warning, `D042`. The problems (errors and warnings) come beside the result.
pub fn apply(
    model: &Model,
    table: &mut Table,
    file: &str,
    list: Vec<Correction>,
) -> (Corrections, Vec<DataProblem>) {
    let text = |id: Option<ColumnId>| match id.and_then(|i| table.columns.get(i.index())) {
        Some(Column::Text(t)) => Some(t.clone()),
        _ => None,
    };
    let keys = text(model.contract.key);
    let periods = text(model.contract.period);
    let mut rows_of: BTreeMap<String, Vec<(u32, String)>> = BTreeMap::new();
    if let Some(keys) = &keys {
        for row in 0..table.rows {
            let period = periods.as_ref().map_or("", |p| p.get(row)).to_string();
            rows_of
                .entry(keys.get(row).to_string())
                .or_default()
                .push((row as u32, period));
        }
    }
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut applied = Vec::new();
    for (index, c) in list.iter().enumerate() {
        let Some(rows) = rows_of.get(&c.partner) else {
            let hint = crate::diag::fuzzy::closest(&c.partner, rows_of.keys().map(String::as_str))
                .map_or(String::new(), |k| format!(" (did you mean `{k}`?)"));
            problems.push(DataProblem::new(
                Code::D040,
                c.line,
                format!("no row of the data is for partner `{}`{hint}", c.partner),
                "name a partner the data has; a partner whose rows were rejected cannot be corrected",
            ));
            continue;
        };
        let targets: Vec<u32> = rows
            .iter()
            .filter(|(_, p)| c.period.as_deref().is_none_or(|want| want == p))
            .map(|(r, _)| *r)
            .collect();
        if targets.is_empty() {
            let period = c.period.as_deref().unwrap_or_default();
            let hint = crate::diag::fuzzy::closest(period, rows.iter().map(|(_, p)| p.as_str()))
                .map_or(String::new(), |p| format!(" (did you mean `{p}`?)"));
            problems.push(DataProblem::new(
                Code::D040,
                c.line,
                format!(
                    "partner `{}` has no row for period `{period}`{hint}",
                    c.partner
                ),
                "name a period the partner's data has, or leave `period` empty for every period",
            ));
            continue;
        }
        let mut changed = false;
        for row in targets {
            let Some(before) = cell::get(table, c.column, row as usize) else {
                problems.push(DataProblem::new(
                    Code::D040,
                    c.line,
                    format!("the column `{}` is not loaded", c.column_name),
                    "report this as a defect",
                ));
                break;
            };
            if before == c.value {
                continue;
            }
            if !cell::set(table, c.column, row as usize, &c.value) {
                problems.push(DataProblem::new(
                    Code::D040,
                    c.line,
                    format!("the value of `{}` could not be replaced", c.column_name),
                    "report this as a defect",
                ));
                break;
            }
            changed = true;
            applied.push(Applied {
                correction: index,
                row,
                before,
            });
        }
        if !changed {
            warnings.push(DataProblem::new(
                Code::D042,
                c.line,
                format!(
                    "the correction sets `{}` of partner `{}` to `{}`, which the data already holds",
                    c.column_name, c.partner, c.value_text
                ),
                "remove the line, or check that it corrects the value meant",
            ));
        }
    }
    problems.extend(warnings);
    problems.sort_by_key(|p| p.line);
    (
        Corrections {
            file: file.to_string(),
            list,
            applied,
        },
        problems,
    )
}
