//! Approved tier overrides: a partner's reported tier replaced for a run of
//! periods, the computed tier kept beside it.
//!
//! Codes: `D044` an override that cannot be applied (unknown partner, score
//! or tier, periods out of order, two overrides of one period), `D045` an
//! override that has expired, `D046` an override the policy does not allow.

use std::collections::BTreeMap;

use crate::data::load::DataProblem;
use crate::data::table::{Column, Table};
use crate::diag::Code;
use crate::govern::records::{self, Record};
use crate::model::{Model, ScoreId};

/// The header of an overrides file.
pub const COLUMNS: [&str; 9] = crate::model::OVERRIDE_COLUMNS;

/// One line of an overrides file.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    pub line: u64,
    pub partner: String,
    pub score: ScoreId,
    pub score_name: String,
    /// The label's index in the score's tier labels.
    pub tier: u32,
    pub tier_label: String,
    /// `None` when the data has no period column.
    pub from: Option<String>,
    /// `None`: open-ended.
    pub until: Option<String>,
    pub reason: String,
    pub requested_by: String,
    pub approved_by: String,
    pub date: String,
}

/// Overrides read and matched to the rows they apply to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overrides {
    pub file: String,
    pub list: Vec<Override>,
    /// `(table row, score)` to the override applied there.
    pub rows: BTreeMap<(u32, ScoreId), usize>,
    /// The computed tier label of each overridden row, once scored.
    pub computed: BTreeMap<(u32, ScoreId), u32>,
}

impl Overrides {
    /// The override of score `score` at table row `row`.
    pub fn at(&self, row: u32, score: ScoreId) -> Option<&Override> {
        self.rows.get(&(row, score)).and_then(|k| self.list.get(*k))
    }

    /// The reported tier label index of every overridden `(table row,
    /// score)`, for the engine to report in place of the computed tier.
    pub fn tier_map(&self) -> BTreeMap<(u32, ScoreId), u32> {
        self.rows
            .iter()
            .filter_map(|(at, k)| Some((*at, self.list.get(*k)?.tier)))
            .collect()
    }

    /// Every override applied to table row `row`.
    pub fn of_row(&self, row: u32) -> impl Iterator<Item = &Override> {
        self.rows
            .range((row, ScoreId(0))..=(row, ScoreId(u32::MAX)))
            .filter_map(|(_, k)| self.list.get(*k))
    }
}

/// A tier label's position among the score's tiers (best first) and its
/// index among the score's labels.
pub fn tier_position(model: &Model, score: ScoreId, label: &str) -> Option<(usize, u32)> {
    let tiers = model.score(score)?.tiers.as_ref()?;
    let position = tiers.tiers.iter().position(|t| t.label == label)?;
    let index = model
        .enum_type(tiers.labels)?
        .labels
        .iter()
        .position(|l| l == label)?;
    Some((position, index as u32))
}

/// The label of index `index` of the score's tier labels.
pub fn tier_label(model: &Model, score: ScoreId, index: u32) -> Option<&str> {
    let tiers = model.score(score)?.tiers.as_ref()?;
    model
        .enum_type(tiers.labels)?
        .labels
        .get(index as usize)
        .map(String::as_str)
}

/// Read an overrides file under the model's scores, tiers and policy.
/// The overrides that can be applied come back with the problems of the others.
pub fn read(model: &Model, text: &str, ndjson: bool) -> (Vec<Override>, Vec<DataProblem>) {
    match records::read(text, &COLUMNS, Code::D044, ndjson) {
        Ok(r) => from_records(model, &r),
        Err(problems) => (Vec::new(), problems),
    }
}

/// Overrides from records already read (a file's lines, or the lines a
/// test writes), with every problem.
pub fn from_records(model: &Model, records: &[Record]) -> (Vec<Override>, Vec<DataProblem>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for r in records {
        match one(model, r) {
            Ok(o) => out.push(o),
            Err(mut p) => problems.append(&mut p),
        }
    }
    problems.sort_by_key(|p| p.line);
    (out, problems)
}

fn one(model: &Model, r: &Record) -> Result<Override, Vec<DataProblem>> {
    let line = r.line;
    let policy = &model.governance.overrides;
    let mut problems = Vec::new();
    let (partner, score_name, tier, from, until) =
        (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
    if partner.is_empty() {
        problems.push(DataProblem::new(
            Code::D044,
            line,
            "the override names no partner",
            "give the partner's key as the data has it",
        ));
    }
    let tiered: Vec<&str> = model
        .scores
        .iter()
        .filter(|s| s.tiers.is_some())
        .map(|s| s.name.as_str())
        .collect();
    let score = model
        .scores
        .iter()
        .position(|s| s.name == score_name && s.tiers.is_some())
        .map(|i| ScoreId(i as u32));
    if score.is_none() {
        let hint = crate::diag::fuzzy::closest(score_name, tiered.iter().copied())
            .map_or(String::new(), |c| format!(" (did you mean `{c}`?)"));
        problems.push(DataProblem::new(
            Code::D044,
            line,
            format!("`{score_name}` is not a score with tiers{hint}"),
            format!("the scores with tiers are `{}`", tiered.join("`, `")),
        ));
    }
    let position = score.and_then(|s| {
        let found = tier_position(model, s, tier);
        if found.is_none() {
            let labels: Vec<&str> = model
                .score(s)
                .and_then(|d| d.tiers.as_ref())
                .map(|t| t.tiers.iter().map(|t| t.label.as_str()).collect())
                .unwrap_or_default();
            let hint = crate::diag::fuzzy::closest(tier, labels.iter().copied())
                .map_or(String::new(), |c| format!(" (did you mean `{c}`?)"));
            problems.push(DataProblem::new(
                Code::D044,
                line,
                format!("`{tier}` is not a tier of score `{score_name}`{hint}"),
                format!("the tiers are `{}`", labels.join("`, `")),
            ));
        }
        found
    });
    let has_period = model.contract.period.is_some();
    if has_period && from.is_empty() {
        problems.push(DataProblem::new(
            Code::D044,
            line,
            "the override gives no `from_period`",
            "name the first period the override applies to",
        ));
    }
    if !has_period && (!from.is_empty() || !until.is_empty()) {
        problems.push(DataProblem::new(
            Code::D044,
            line,
            "the override names periods, but the data has no period column",
            "leave `from_period` and `until_period` empty",
        ));
    }
    if !from.is_empty() && !until.is_empty() && until < from {
        problems.push(DataProblem::new(
            Code::D044,
            line,
            format!("the override ends (`{until}`) before it starts (`{from}`)"),
            "swap the periods, or correct the one mistyped",
        ));
    }
    if r.get(5).trim().is_empty() {
        problems.push(DataProblem::new(
            Code::D044,
            line,
            "the override gives no reason",
            "say why the computed tier is set aside",
        ));
    }
    if r.get(6).trim().is_empty() {
        problems.push(DataProblem::new(
            Code::D044,
            line,
            "the override names no requester",
            "fill in `requested_by`",
        ));
    }
    if policy.approver_required && r.get(7).trim().is_empty() {
        problems.push(DataProblem::new(
            Code::D046,
            line,
            "the override has no approver, and the scorecard's governance policy requires one",
            "fill in `approved_by` once the override is approved",
        ));
    }
    if let Some(limit) = policy.expire_within {
        if until.is_empty() {
            problems.push(DataProblem::new(
                Code::D046,
                line,
                format!("the override never expires, and the governance policy requires it to expire within {limit} period{}", plural(limit)),
                "give the last period the override applies to in `until_period`",
            ));
        } else if has_period && !from.is_empty() {
            let span = crate::data::period::period_index(from)
                .zip(crate::data::period::period_index(until))
                .map(|(a, b)| b - a + 1);
            match span {
                Some(n) if n > i64::from(limit) => problems.push(DataProblem::new(
                    Code::D046,
                    line,
                    format!("the override runs {n} periods (`{from}` to `{until}`); the governance policy allows at most {limit}"),
                    format!("end it by the {limit}th period, and renew it with a new approval if it is still needed"),
                )),
                Some(_) => {}
                None => problems.push(DataProblem::new(
                    Code::D046,
                    line,
                    format!("the periods `{from}` and `{until}` cannot be counted, so the policy's limit of {limit} periods cannot be checked"),
                    "write periods as years, quarters or months (`2025`, `2025Q4`, `2025-11`)",
                )),
            }
        }
    }
    match (score, position) {
        (Some(score), Some((_, tier_index))) if problems.is_empty() => Ok(Override {
            line,
            partner: partner.to_string(),
            score,
            score_name: score_name.to_string(),
            tier: tier_index,
            tier_label: tier.to_string(),
            from: (!from.is_empty()).then(|| from.to_string()),
            until: (!until.is_empty()).then(|| until.to_string()),
            reason: r.get(5).to_string(),
            requested_by: r.get(6).to_string(),
            approved_by: r.get(7).to_string(),
            date: r.get(8).to_string(),
        }),
        _ => Err(problems),
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Match each override to the rows of its partner within its periods.
/// The problems (errors `D044`, warnings `D045`) come beside the result.
pub fn apply(
    model: &Model,
    table: &Table,
    file: &str,
    list: Vec<Override>,
) -> (Overrides, Vec<DataProblem>) {
    let text =
        |id: Option<crate::model::ColumnId>| match id.and_then(|i| table.columns.get(i.index())) {
            Some(Column::Text(t)) => Some(t),
            _ => None,
        };
    let keys = text(model.contract.key);
    let periods = text(model.contract.period);
    let mut rows_of: BTreeMap<&str, Vec<(u32, &str)>> = BTreeMap::new();
    if let Some(keys) = keys {
        for row in 0..table.rows {
            let period = periods.map_or("", |p| p.get(row));
            rows_of
                .entry(keys.get(row))
                .or_default()
                .push((row as u32, period));
        }
    }
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut rows: BTreeMap<(u32, ScoreId), usize> = BTreeMap::new();
    for (index, o) in list.iter().enumerate() {
        let Some(partner_rows) = rows_of.get(o.partner.as_str()) else {
            let hint = crate::diag::fuzzy::closest(&o.partner, rows_of.keys().copied())
                .map_or(String::new(), |k| format!(" (did you mean `{k}`?)"));
            problems.push(DataProblem::new(
                Code::D044,
                o.line,
                format!("no row of the data is for partner `{}`{hint}", o.partner),
                "name a partner the data has",
            ));
            continue;
        };
        let within = |p: &str| {
            o.from.as_deref().is_none_or(|f| p >= f) && o.until.as_deref().is_none_or(|u| p <= u)
        };
        let mut any = false;
        for (row, period) in partner_rows.iter().filter(|(_, p)| within(p)) {
            any = true;
            if let Some(earlier) = rows
                .insert((*row, o.score), index)
                .and_then(|k| list.get(k))
            {
                problems.push(DataProblem::new(
                    Code::D044,
                    o.line,
                    format!(
                        "line {} and line {} both override `{}` of partner `{}` in period `{period}`",
                        earlier.line, o.line, o.score_name, o.partner
                    ),
                    "keep one override per period: end the earlier one before the later starts",
                ));
                break;
            }
        }
        let latest = partner_rows.iter().map(|(_, p)| *p).max().unwrap_or("");
        match (&o.until, any) {
            (Some(until), _) if until.as_str() < latest => warnings.push(DataProblem::new(
                Code::D045,
                o.line,
                format!(
                    "the override of partner `{}` expired after `{until}`; its latest period, `{latest}`, is reported with the computed tier",
                    o.partner
                ),
                "renew the override with a new line and approval, or remove it once it is no longer needed",
            )),
            (_, false) => problems.push(DataProblem::new(
                Code::D044,
                o.line,
                format!(
                    "the override of partner `{}` applies to no period the data has (from `{}`)",
                    o.partner,
                    o.from.as_deref().unwrap_or_default()
                ),
                "check `from_period` against the partner's periods",
            )),
            _ => {}
        }
    }
    problems.extend(warnings);
    problems.sort_by_key(|p| p.line);
    (
        Overrides {
            file: file.to_string(),
            list,
            rows,
            computed: BTreeMap::new(),
        },
        problems,
    )
}

/// With the computed tiers known, the policy's limit on how far an
/// override may move a partner (`D046`).
pub fn check_moves(model: &Model, overrides: &Overrides) -> Vec<DataProblem> {
    let Some(limit) = model.governance.overrides.max_move else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut reported = std::collections::BTreeSet::new();
    for ((row, score), k) in &overrides.rows {
        let (Some(o), Some(computed)) = (
            overrides.list.get(*k),
            overrides.computed.get(&(*row, *score)),
        ) else {
            continue;
        };
        let computed_label = tier_label(model, *score, *computed).unwrap_or_default();
        let (Some((to, _)), Some((from, _))) = (
            tier_position(model, *score, &o.tier_label),
            tier_position(model, *score, computed_label),
        ) else {
            // A provisional or insufficient result has no distance to a tier.
            continue;
        };
        let moved = to.abs_diff(from);
        if moved > limit as usize && reported.insert(*k) {
            out.push(DataProblem::new(
                Code::D046,
                o.line,
                format!(
                    "the override moves partner `{}` {moved} tiers, from `{computed_label}` to `{}`; the governance policy allows at most {limit}",
                    o.partner, o.tier_label
                ),
                "override to a tier nearer the computed one, or change the policy in the scorecard",
            ));
        }
    }
    out
}
