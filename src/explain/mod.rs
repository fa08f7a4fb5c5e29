//! Explain: how one partner's numbers came about, in words a program owner reads.
//!
//! [`explain`] evaluates the whole table — percentiles and other population
//! functions compare a partner with its peers, so every row is needed — and
//! copies out only the chosen partner's row: its segments and why, each score
//! from metric points through adjustments and guardrails to the reported value
//! and its tier, the rules and flags that fired with the values that made them
//! fire, and the actions. An [`Explanation`] serializes to JSON ([`json`]) and
//! renders as text ([`text`]).

pub mod rejected;
mod row;
mod rubric;
mod rules;
mod scores;
mod text;
mod tiers;

pub use text::{text, text_wrapped};

use row::*;
use rubric::*;
use rules::*;
use scores::*;
use tiers::*;

use serde::Serialize;

use crate::data::table::{Column, MISSING_BOOL, MISSING_LABEL, Table, TextColumn};
use crate::eval::{self, Batch, Col, Context, ScoreValues};
use crate::model::*;
use crate::ops::finite;
use crate::plan::{CDefinition, CExpr, Plan};
use crate::source::SourceMap;
use crate::syntax::ast::CmpOp;

/// Why one partner row has the results it has.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation {
    pub scorecard: Option<String>,
    pub version: Option<String>,
    pub content_hash: String,
    pub partner: String,
    /// The period explained (`None` when the scorecard has no period column).
    pub period: Option<String>,
    /// `periods_observed` at this row: the partner's rows up to and including it.
    pub periods_observed: u32,
    /// Every period the partner has rows for, oldest first.
    pub periods: Vec<String>,
    pub segments: Vec<SegmentExplanation>,
    pub scores: Vec<ScoreExplanation>,
    /// The rules that fired, in written order.
    pub rules: Vec<FiredRule>,
    /// The flags raised, in written order.
    pub flags: Vec<RaisedFlag>,
    /// The actions in the order the results list them.
    pub actions: Vec<ActionExplanation>,
    /// Other rows of the data left out because they break the input contract.
    #[serde(skip_serializing_if = "is_zero")]
    pub rows_skipped: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A value as the engine saw it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// A whole number of an integer column or computation.
    Integer(i64),
    Number(f64),
    Bool(bool),
    /// Text, or the label of an enum, segment or tier.
    Text(String),
    /// `actions` or `flags`.
    List(Vec<String>),
    Missing,
}

/// A name (or history or population call) a condition reads, and its value at the row.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reading {
    pub name: String,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SegmentExplanation {
    pub name: String,
    /// `None` when no line matched (a segment without `otherwise`).
    pub label: Option<String>,
    pub reason: SegmentReason,
    /// The index of the line that gave the label, for rule segments.
    #[serde(skip)]
    pub line: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum SegmentReason {
    /// The label is the value of an enum column.
    Column { column: String },
    /// The first line whose condition was true.
    Rule {
        condition: String,
        reads: Vec<Reading>,
    },
    /// The `otherwise` line.
    Otherwise,
    /// No line matched.
    NoMatch,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoreExplanation {
    pub name: String,
    pub description: Option<String>,
    /// `weights`, `layers`, `sum` or `value`.
    pub definition: &'static str,
    /// The `for` block that replaced the definition, e.g. `type technology`.
    pub definition_for: Option<String>,
    /// The weighted or summed metrics, by contribution, largest first.
    pub terms: Vec<TermExplanation>,
    /// The `base` of a `sum` definition.
    pub base: Option<f64>,
    /// The formula of a `value` definition.
    pub formula: Option<Formula>,
    /// The definition's result, before adjustments.
    pub total: Option<f64>,
    /// The adjustments whose condition held, in written order.
    pub adjustments: Vec<AppliedAdjustment>,
    /// After adjustments (`raw(score)`).
    pub adjusted: Option<f64>,
    pub insufficient: Option<InsufficientData>,
    /// Smoothing, `max_change`, `floor` and `cap`, in the order they apply.
    pub guardrails: Vec<GuardrailStep>,
    /// After smoothing (`smoothed(score)`).
    pub smoothed: Option<f64>,
    /// The score's value in results and expressions.
    pub reported: Option<f64>,
    pub provisional: Option<Provisional>,
    pub tier: Option<TierExplanation>,
}

/// One metric of a score's definition.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TermExplanation {
    pub metric: String,
    pub description: Option<String>,
    pub meta: MetricMeta,
    /// The metric's value, after `missing value`.
    pub value: Value,
    /// Whether the value was missing before `missing value` applied.
    pub missing: bool,
    /// What a missing value was counted as (`missing value N`).
    pub counted_as: Option<f64>,
    /// The rubric in words, with the band that matched.
    pub rubric: String,
    /// Which rubric applied: `None` the metric's own, `Some(k)` its `k`-th `for` block.
    #[serde(skip)]
    pub rubric_for: Option<usize>,
    /// The index of the band that matched, for a band table.
    #[serde(skip)]
    pub band: Option<usize>,
    pub points: Option<f64>,
    /// The weight as written, in percent (`None` in a `sum`).
    pub weight: Option<f64>,
    /// For layer groups: the layer and its weight in percent.
    pub layer: Option<LayerWeight>,
    /// What the metric adds to the total: weight × points (× layer weight), or the points of a `sum`.
    pub contribution: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerWeight {
    pub layer: &'static str,
    pub weight: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MetricMeta {
    pub owner: Option<String>,
    pub source: Option<String>,
    pub layer: Option<&'static str>,
    pub kind: Option<&'static str>,
    pub unit: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Formula {
    pub text: String,
    pub reads: Vec<Reading>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AppliedAdjustment {
    pub reason: Option<String>,
    pub factor: f64,
    pub condition: String,
    pub reads: Vec<Reading>,
    pub before: Option<f64>,
    pub after: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InsufficientData {
    /// The definition's metrics whose values were missing.
    pub missing: Vec<String>,
    /// How many metrics the definition has.
    pub metrics: usize,
    /// The clause's limit, e.g. `more than 2` or `more than 50%`.
    pub limit: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Guardrail {
    Smoothing,
    MaxChange,
    Floor,
    Cap,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GuardrailStep {
    pub guardrail: Guardrail,
    /// What the guardrail did, in words.
    pub detail: String,
    pub before: Option<f64>,
    pub after: Option<f64>,
    pub changed: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Provisional {
    pub periods_observed: u32,
    /// The score's own `min_periods`, when it is not yet reached.
    pub min_periods: Option<u32>,
    /// Provisional scores this one is computed from.
    pub from_scores: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TierExplanation {
    /// The tier, `provisional` or `insufficient_data`; `None` when the score is missing.
    pub label: Option<String>,
    /// The tier's threshold (`≥ 60`, `otherwise`), for a tier given by a threshold.
    pub threshold: Option<String>,
    /// The tier the reported value reaches, when a guardrail gave another label.
    pub by_value: Option<TierRef>,
    /// The next tier up, and how far below its threshold the value is.
    pub above: Option<TierDistance>,
    /// The next tier down, and how far above the boundary to it the value is.
    pub below: Option<TierDistance>,
    pub benefits: Vec<String>,
    pub obligations: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TierRef {
    pub label: String,
    pub threshold: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TierDistance {
    pub label: String,
    pub threshold: String,
    pub distance: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FiredRule {
    pub name: String,
    pub reason: Option<String>,
    /// `high`, `medium`, `low`, or the number written.
    pub priority: String,
    pub condition: String,
    pub reads: Vec<Reading>,
    pub actions: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RaisedFlag {
    pub name: String,
    pub description: Option<String>,
    pub kind: Option<String>,
    pub condition: String,
    pub reads: Vec<Reading>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ActionExplanation {
    pub action: String,
    /// The rule that recommended it first.
    pub rule: String,
}

/// Why a partner or period cannot be explained.
#[derive(Clone, Debug, PartialEq)]
pub enum ExplainError {
    /// No row of the data has this key.
    UnknownPartner {
        partner: String,
        suggestion: Option<String>,
        partners: usize,
    },
    /// The partner has no row for this period.
    UnknownPeriod {
        partner: String,
        period: String,
        periods: Vec<String>,
    },
    /// The scorecard declares no `key` column.
    NoKey,
    /// The row was found but evaluation did not deliver it (a defect).
    NotEvaluated { partner: String },
    /// Rows of the partner broke the input contract and were left out.
    Rejected {
        partner: String,
        /// The period asked for, if any.
        period: Option<String>,
        /// `(line, first problem, its help)` of each rejected row, in line order.
        rows: Vec<(u64, String, String)>,
    },
}

impl ExplainError {
    /// How to fix it.
    pub fn help(&self) -> Option<String> {
        match self {
            ExplainError::UnknownPartner {
                suggestion: Some(s),
                ..
            } => Some(format!("did you mean `{s}`?")),
            ExplainError::UnknownPartner { partners, .. } => Some(format!(
                "check the partner id; the data has {partners} partner{}",
                plural(*partners)
            )),
            ExplainError::UnknownPeriod { periods, .. } if periods.is_empty() => None,
            ExplainError::UnknownPeriod { periods, .. } => Some(format!(
                "its period{} {}: {}",
                plural(periods.len()),
                if periods.len() == 1 { "is" } else { "are" },
                periods
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            ExplainError::NoKey => {
                Some("declare the column that identifies a partner: `key partner_id`".into())
            }
            ExplainError::NotEvaluated { .. } => {
                Some("this is a defect in scorecard; please report it".into())
            }
            ExplainError::Rejected { rows, .. } => rows
                .first()
                .map(|(_, _, help)| help.clone())
                .filter(|h| !h.is_empty()),
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

impl std::fmt::Display for ExplainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExplainError::UnknownPartner { partner, .. } => {
                write!(f, "no partner `{partner}` in the data")
            }
            ExplainError::UnknownPeriod {
                partner, period, ..
            } => write!(f, "partner `{partner}` has no row for period `{period}`"),
            ExplainError::NoKey => write!(
                f,
                "the scorecard has no `key` column, so partners cannot be told apart"
            ),
            ExplainError::NotEvaluated { partner } => {
                write!(f, "the row of partner `{partner}` was not evaluated")
            }
            ExplainError::Rejected {
                partner,
                period,
                rows,
            } => {
                let lines: Vec<String> = rows.iter().map(|(l, _, _)| l.to_string()).collect();
                let (first_line, first) =
                    rows.first().map_or((0, ""), |(l, m, _)| (*l, m.as_str()));
                let period = period
                    .as_ref()
                    .map_or(String::new(), |p| format!(" for period `{p}`"));
                if rows.len() == 1 {
                    write!(
                        f,
                        "the row of partner `{partner}`{period} (line {first_line}) was rejected: {first}"
                    )
                } else {
                    write!(
                        f,
                        "{} rows of partner `{partner}`{period} (lines {}) were rejected; line {first_line}: {first}",
                        rows.len(),
                        lines.join(", ")
                    )
                }
            }
        }
    }
}

impl std::error::Error for ExplainError {}

/// The explanation as pretty-printed JSON.
pub fn json(explanation: &Explanation) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(explanation).map(|mut s| {
        s.push('\n');
        s
    })
}

fn text_column(table: &Table, id: Option<ColumnId>) -> Option<&TextColumn> {
    match table.columns.get(id?.index())? {
        Column::Text(t) => Some(t),
        _ => None,
    }
}

/// Explain one partner's row: the given period, or by default the partner's latest.
///
/// The whole table is evaluated, as `score` would, so population functions see
/// every peer; only the chosen row is explained.
pub fn explain(
    model: &Model,
    plan: &Plan,
    table: &Table,
    sources: &SourceMap,
    partner: &str,
    period: Option<&str>,
) -> Result<Explanation, ExplainError> {
    explain_overridden(
        model,
        plan,
        table,
        sources,
        partner,
        period,
        &TierOverrides::new(),
    )
}

/// Approved tier overrides: `(table row, score)` to the reported tier label index.
pub type TierOverrides = std::collections::BTreeMap<(u32, crate::model::ScoreId), u32>;

/// [`explain`], with the tiers approved overrides set reported in place of
/// the computed ones (so `tier(score)` in rules and flags reads them).
pub fn explain_overridden(
    model: &Model,
    plan: &Plan,
    table: &Table,
    sources: &SourceMap,
    partner: &str,
    period: Option<&str>,
    tier_overrides: &TierOverrides,
) -> Result<Explanation, ExplainError> {
    let keys = text_column(table, model.contract.key).ok_or(ExplainError::NoKey)?;
    let period_column = text_column(table, model.contract.period);
    let period_of = |row: usize| period_column.map_or("", |p| p.get(row));
    let mut periods: Vec<String> = (0..table.rows)
        .filter(|r| keys.get(*r) == partner)
        .map(|r| period_of(r).to_string())
        .collect();
    if periods.is_empty() {
        let mut known: indexmap::IndexSet<&str> = indexmap::IndexSet::new();
        for r in 0..table.rows {
            known.insert(keys.get(r));
        }
        return Err(ExplainError::UnknownPartner {
            partner: partner.to_string(),
            suggestion: crate::diag::fuzzy::closest(partner, known.iter().copied())
                .map(str::to_string),
            partners: known.len(),
        });
    }
    // The engine orders a partner's rows by the period's text.
    periods.sort();
    periods.dedup();
    let chosen = match period {
        Some(p) if periods.iter().any(|q| q == p) => p.to_string(),
        Some(p) => {
            return Err(ExplainError::UnknownPeriod {
                partner: partner.to_string(),
                period: p.to_string(),
                periods: if period_column.is_some() {
                    periods
                } else {
                    Vec::new()
                },
            });
        }
        None => periods.last().cloned().unwrap_or_default(),
    };
    let ordered = eval::order_rows(model, table);
    let mut ctx = Context::new(model, plan, table, &ordered);
    ctx.tier_overrides = tier_overrides.clone();
    let mut found: Option<Body> = None;
    eval::evaluate(
        &mut ctx,
        |batch| {
            // Rows of one partner are contiguous and in period order; with
            // repeated periods the engine's latest is the last one.
            let i = (0..batch.len).rev().find(|&i| {
                let row = batch.rows.get(i).copied().unwrap_or(0) as usize;
                keys.get(row) == partner && period_of(row) == chosen
            })?;
            Some(explain_row(&At { batch, sources, i }))
        },
        |body| {
            if body.is_some() {
                found = body;
            }
        },
    );
    let body = found.ok_or_else(|| ExplainError::NotEvaluated {
        partner: partner.to_string(),
    })?;
    let periods = if period_column.is_some() {
        periods
    } else {
        Vec::new()
    };
    Ok(body.into_explanation(
        model,
        partner.to_string(),
        period_column.map(|_| chosen),
        periods,
    ))
}

/// [`explain`] over the valid rows of a data file loaded under
/// `--on-invalid skip`: a partner one of whose rows was rejected is not
/// explained from its other rows (its latest period, or its history, would
/// be wrong) unless a period was asked for, the scorecard reads no history
/// and the rejected rows are of other periods. Other partners' rejected rows
/// are counted in `rows_skipped`.
#[expect(
    clippy::too_many_arguments,
    reason = "the inputs of `explain_overridden` and the loaded rows' fields"
)]
pub fn explain_valid_rows(
    model: &Model,
    plan: &Plan,
    loaded: &crate::data::load::Loaded,
    fields: &rejected::Fields<'_>,
    sources: &SourceMap,
    partner: &str,
    period: Option<&str>,
    tier_overrides: &TierOverrides,
) -> Result<Explanation, ExplainError> {
    let own = rejected::rows_of(&loaded.rejected, fields, partner);
    let harmless = period.is_some_and(|p| {
        !model.uses_history()
            && own
                .iter()
                .all(|r| r.period.as_deref().is_some_and(|q| q != p))
    });
    if !own.is_empty() && !harmless {
        let asked: Vec<&rejected::RejectedRow<'_>> = own
            .iter()
            .filter(|r| period.is_none_or(|p| r.period.as_deref().is_none_or(|q| q == p)))
            .collect();
        let shown = if asked.is_empty() {
            own.iter().collect()
        } else {
            asked
        };
        return Err(ExplainError::Rejected {
            partner: partner.to_string(),
            period: match shown.as_slice() {
                [one] => one.period.clone(),
                _ => None,
            },
            rows: shown
                .iter()
                .map(|r| {
                    let messages: Vec<&str> =
                        r.row.problems.iter().map(|p| p.message.as_str()).collect();
                    let help = r.row.problems.first().map(|p| p.help.clone());
                    (r.row.line, messages.join("; "), help.unwrap_or_default())
                })
                .collect(),
        });
    }
    let mut explanation = explain_overridden(
        model,
        plan,
        &loaded.table,
        sources,
        partner,
        period,
        tier_overrides,
    )?;
    explanation.rows_skipped = loaded.rejected.len();
    Ok(explanation)
}

/// One row explained, with how every metric got its points — also the metrics
/// no score weighs.
#[derive(Clone, Debug, PartialEq)]
pub struct RowExplanation {
    pub explanation: Explanation,
    /// Every metric, in written order.
    pub metrics: Vec<TermExplanation>,
}

/// Explain every row of the table in one evaluation, in the engine's row order
/// (each explanation's `periods` is left empty); `tier_overrides` as in
/// [`explain_overridden`].
pub fn explain_rows(
    model: &Model,
    plan: &Plan,
    table: &Table,
    sources: &SourceMap,
    tier_overrides: &TierOverrides,
) -> Vec<RowExplanation> {
    let keys = text_column(table, model.contract.key);
    let period_column = text_column(table, model.contract.period);
    let ordered = eval::order_rows(model, table);
    let mut ctx = Context::new(model, plan, table, &ordered);
    ctx.tier_overrides = tier_overrides.clone();
    let mut out = Vec::new();
    eval::evaluate(
        &mut ctx,
        |batch| {
            (0..batch.len)
                .map(|i| {
                    let row = batch.rows.get(i).copied().unwrap_or(0) as usize;
                    let at = At { batch, sources, i };
                    let body = explain_row(&at);
                    let metrics = (0..model.metrics.len())
                        .filter_map(|m| term(&at, MetricId(m as u32), None, None, |p| p))
                        .collect();
                    let explanation = body.into_explanation(
                        model,
                        keys.map_or_else(String::new, |k| k.get(row).to_string()),
                        period_column.map(|p| p.get(row).to_string()),
                        Vec::new(),
                    );
                    RowExplanation {
                        explanation,
                        metrics,
                    }
                })
                .collect::<Vec<_>>()
        },
        |rows| out.extend(rows),
    );
    out
}

/// A partner's latest row explained, and the row before it.
#[derive(Clone, Debug, PartialEq)]
pub struct Recent {
    pub latest: Explanation,
    pub previous: Option<Explanation>,
}

/// Explain the latest row, and the one before it, of every partner `keep`
/// accepts, in one evaluation, in the engine's row order (each
/// explanation's `periods` is left empty).
pub fn explain_recent(
    model: &Model,
    plan: &Plan,
    table: &Table,
    sources: &SourceMap,
    keep: &(dyn Fn(&str) -> bool + Sync),
) -> Vec<Recent> {
    let keys = text_column(table, model.contract.key);
    let period_column = text_column(table, model.contract.period);
    let ordered = eval::order_rows(model, table);
    let mut ctx = Context::new(model, plan, table, &ordered);
    let mut out = Vec::new();
    eval::evaluate(
        &mut ctx,
        |batch| {
            let at = |i: usize| {
                let row = batch.rows.get(i).copied().unwrap_or(0) as usize;
                explain_row(&At { batch, sources, i }).into_explanation(
                    model,
                    keys.map_or_else(String::new, |k| k.get(row).to_string()),
                    period_column.map(|p| p.get(row).to_string()),
                    Vec::new(),
                )
            };
            (0..batch.len)
                .filter(|&i| {
                    let row = batch.rows.get(i).copied().unwrap_or(0) as usize;
                    batch.is_latest(i) && keep(keys.map_or("", |k| k.get(row)))
                })
                .map(|i| Recent {
                    latest: at(i),
                    // A partner's rows are contiguous, in period order.
                    previous: (i > 0 && batch.position(i) > 1).then(|| at(i - 1)),
                })
                .collect::<Vec<_>>()
        },
        |rows| out.extend(rows),
    );
    out
}

/// What the evaluation sink copies out of the partner's batch.
struct Body {
    periods_observed: u32,
    segments: Vec<SegmentExplanation>,
    scores: Vec<ScoreExplanation>,
    rules: Vec<FiredRule>,
    flags: Vec<RaisedFlag>,
    actions: Vec<ActionExplanation>,
}

impl Body {
    /// The explanation of `partner` at `period`, from this row's body.
    fn into_explanation(
        self,
        model: &Model,
        partner: String,
        period: Option<String>,
        periods: Vec<String>,
    ) -> Explanation {
        Explanation {
            scorecard: model.name.clone(),
            version: model.version.clone(),
            content_hash: model.content_hash.clone(),
            partner,
            period,
            periods_observed: self.periods_observed,
            periods,
            segments: self.segments,
            scores: self.scores,
            rules: self.rules,
            flags: self.flags,
            actions: self.actions,
            rows_skipped: 0,
        }
    }
}

/// The row being explained: batch row `i`.
struct At<'b, 'a> {
    batch: &'b Batch<'a>,
    sources: &'b SourceMap,
    i: usize,
}

/// Source text on one line: comments dropped, runs of white space made one space.
pub(crate) fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_string = false;
        let mut escaped = false;
        let mut end = line.len();
        let mut prev = '\0';
        for (k, ch) in line.char_indices() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if ch == '\\' {
                    escaped = true;
                } else if ch == '"' {
                    in_string = false;
                }
            } else if ch == '"' {
                in_string = true;
            } else if ch == '/' && prev == '/' {
                end = k - 1;
                break;
            }
            prev = ch;
        }
        for word in line.get(..end).unwrap_or(line).split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn quoted_source_is_one_line_without_comments() {
        assert_eq!(
            one_line("a >= 1 // first\n   and b == \"x // y\"  "),
            "a >= 1 and b == \"x // y\""
        );
    }
}
