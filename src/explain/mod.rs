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
mod text;

pub use text::{text, text_wrapped};

use serde::Serialize;

use crate::data::table::{Column, MISSING_BOOL, MISSING_LABEL, Table, TextColumn};
use crate::eval::ops::finite;
use crate::eval::{self, Batch, Col, Context, ScoreValues};
use crate::model::*;
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
pub fn explain_valid_rows(
    model: &Model,
    plan: &Plan,
    loaded: &crate::data::load::Loaded,
    fields: &rejected::Fields<'_>,
    sources: &SourceMap,
    partner: &str,
    period: Option<&str>,
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
    let mut explanation = explain(model, plan, &loaded.table, sources, partner, period)?;
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
/// (each explanation's `periods` is left empty).
pub fn explain_rows(
    model: &Model,
    plan: &Plan,
    table: &Table,
    sources: &SourceMap,
) -> Vec<RowExplanation> {
    let keys = text_column(table, model.contract.key);
    let period_column = text_column(table, model.contract.period);
    let ordered = eval::order_rows(model, table);
    let mut ctx = Context::new(model, plan, table, &ordered);
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

fn explain_row(at: &At<'_, '_>) -> Body {
    let model = at.batch.ctx.model;
    let segments = (0..model.segments.len())
        .filter_map(|k| segment(at, SegmentId(k as u32)))
        .collect();
    let scores = (0..model.scores.len())
        .filter_map(|k| score(at, ScoreId(k as u32)))
        .collect();
    let rules = fired_rules(at);
    let flags = raised_flags(at);
    let actions = actions(at);
    Body {
        periods_observed: at.batch.position(at.i),
        segments,
        scores,
        rules,
        flags,
        actions,
    }
}

impl At<'_, '_> {
    fn model(&self) -> &Model {
        self.batch.ctx.model
    }

    fn plan(&self) -> &Plan {
        self.batch.ctx.plan
    }

    /// The source text of a span, on one line, without comments.
    fn quote(&self, loc: Loc) -> String {
        let text = self
            .sources
            .text(loc.file)
            .get(loc.span.range())
            .unwrap_or("");
        one_line(text)
    }

    /// The batch's first row of this partner.
    fn first(&self) -> usize {
        (self.i + 1).saturating_sub(self.batch.position(self.i) as usize)
    }

    fn period(&self, j: usize) -> String {
        let row = self.batch.rows.get(j).copied().unwrap_or(0) as usize;
        text_column(self.batch.ctx.table, self.model().contract.period)
            .map_or_else(|| (j + 1).to_string(), |p| p.get(row).to_string())
    }

    fn truth(&self, e: &CExpr) -> bool {
        matches!(self.batch.eval(e, None), Col::Bool(v) if v.get(self.i) == Some(&1))
    }

    fn flag_at(v: &[Option<Vec<u8>>], k: usize, i: usize) -> bool {
        v.get(k)
            .and_then(|x| x.as_ref())
            .and_then(|x| x.get(i))
            .is_some_and(|x| *x == 1)
    }

    fn label(&self, labels: EnumId, l: u32) -> Option<String> {
        if l == MISSING_LABEL {
            return None;
        }
        self.model()
            .enum_type(labels)
            .and_then(|t| t.labels.get(l as usize))
            .cloned()
    }

    fn segment_label(&self, s: SegmentId) -> u32 {
        self.batch
            .segments
            .get(s.index())
            .and_then(|v| v.as_ref())
            .and_then(|v| v.get(self.i))
            .copied()
            .unwrap_or(MISSING_LABEL)
    }

    /// `type technology, msp`: a segment and some of its labels.
    fn segment_labels(&self, s: SegmentId, labels: &[u32]) -> String {
        let Some(def) = self.model().segment(s) else {
            return String::new();
        };
        let names: Vec<String> = labels
            .iter()
            .filter_map(|l| self.label(def.labels, *l))
            .collect();
        format!("{} {}", def.name, names.join(", "))
    }

    fn points(&self, m: MetricId) -> f64 {
        self.batch
            .metric_points
            .get(m.index())
            .and_then(|v| v.as_ref())
            .and_then(|v| v.get(self.i))
            .copied()
            .unwrap_or(f64::NAN)
    }

    fn metric_missing(&self, m: MetricId) -> bool {
        Self::flag_at(&self.batch.metric_missing, m.index(), self.i)
    }

    /// Value `i` of a column the engine computed, as shown to people.
    fn value(&self, col: &Col, ty: Type, labels: Option<EnumId>) -> Value {
        let i = self.i;
        match col {
            Col::Num(v) => number_value(v.get(i).copied().unwrap_or(f64::NAN), ty),
            Col::Bool(v) => match v.get(i).copied().unwrap_or(MISSING_BOOL) {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                _ => Value::Missing,
            },
            Col::Label(v) => {
                let enum_id = labels.or(match ty {
                    Type::Enum(e) => Some(e),
                    _ => None,
                });
                let l = v.get(i).copied().unwrap_or(MISSING_LABEL);
                enum_id
                    .and_then(|e| self.label(e, l))
                    .map_or(Value::Missing, Value::Text)
            }
            Col::Text(v) => match v.get(i) {
                Some(t) if !t.is_empty() => Value::Text(t.clone()),
                _ => Value::Missing,
            },
            Col::Actions => Value::List(
                eval::actions_of(self.batch, i)
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
            ),
            Col::FlagNames => Value::List(
                eval::flags_of(self.batch, i)
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
            ),
        }
    }

    /// Every name a condition or formula reads, with its value at the row.
    fn reads(&self, e: &Expr, compiled: Option<&CExpr>) -> Vec<Reading> {
        let mut found: Vec<(&Expr, CExpr)> = Vec::new();
        collect_reads(self.plan(), self.model(), e, compiled, &mut found);
        let mut out: Vec<Reading> = Vec::new();
        for (leaf, c) in found {
            let name = self.quote(leaf.loc);
            if name.is_empty() || out.iter().any(|r| r.name == name) {
                continue;
            }
            let col = self.batch.eval(&c, None);
            let value = self.value(&col, leaf.ty, enum_of(self.model(), &c));
            out.push(Reading { name, value });
        }
        out
    }
}

fn number_value(x: f64, ty: Type) -> Value {
    if x.is_nan() {
        Value::Missing
    } else if ty == Type::Integer && x.fract() == 0.0 && x.abs() < 1e15 {
        Value::Integer(x as i64)
    } else {
        Value::Number(x)
    }
}

fn opt(x: f64) -> Option<f64> {
    if x.is_nan() { None } else { Some(x) }
}

/// The labels a compiled name's values index into.
fn enum_of(model: &Model, c: &CExpr) -> Option<EnumId> {
    match c {
        CExpr::Column(_, Type::Enum(e)) => Some(*e),
        CExpr::Segment(s) => model.segment(*s).map(|d| d.labels),
        CExpr::Tier(s) => model
            .score(*s)
            .and_then(|d| d.tiers.as_ref())
            .map(|t| t.labels),
        _ => None,
    }
}

/// Walk a checked expression beside its compiled form, collecting what it
/// reads: names, and history and population calls (whose compiled form is a
/// site). Where constant folding changed the shape there are no names left.
fn collect_reads<'e>(
    plan: &Plan,
    model: &Model,
    e: &'e Expr,
    c: Option<&CExpr>,
    out: &mut Vec<(&'e Expr, CExpr)>,
) {
    use ExprKind as K;
    let mut leaf = |x: CExpr| out.push((e, x));
    match &e.kind {
        K::Column(id) => {
            let ty = model.contract.column(*id).map_or(Type::Any, |d| d.ty);
            leaf(CExpr::Column(*id, ty));
        }
        K::Metric(m) => leaf(CExpr::MetricValue(*m)),
        K::Points(m) => leaf(CExpr::Points(*m)),
        K::Score(s, stage) => leaf(CExpr::Score(*s, *stage)),
        K::Tier(s) => leaf(CExpr::Tier(*s)),
        K::Flag(f) => leaf(CExpr::Flag(*f)),
        K::Segment(s) => leaf(CExpr::Segment(*s)),
        K::Builtin(b) => leaf(match b {
            Builtin::PeriodsObserved => CExpr::PeriodsObserved,
            Builtin::Tenure => CExpr::Tenure,
            Builtin::Actions => CExpr::Actions,
            Builtin::Flags => CExpr::Flags,
        }),
        K::History(_, x) | K::Population(_, x, _) => {
            let site = match c {
                Some(CExpr::Site(i)) => Some(*i),
                _ => None,
            };
            if let Some(i) = site {
                leaf(CExpr::Site(i));
            }
            let input = site.and_then(|i| plan.sites.get(i)).map(|s| &s.input);
            collect_reads(plan, model, x, input, out);
        }
        K::Unary(_, x) => {
            let cx = match c {
                Some(CExpr::Neg(cx) | CExpr::Not(cx)) => Some(&**cx),
                _ => None,
            };
            collect_reads(plan, model, x, cx, out);
        }
        K::Binary(_, a, b) => {
            let (ca, cb) = match c {
                Some(
                    CExpr::Arith(_, ca, cb)
                    | CExpr::Cmp(_, _, ca, cb)
                    | CExpr::And(ca, cb)
                    | CExpr::Or(ca, cb),
                ) => (Some(&**ca), Some(&**cb)),
                _ => (None, None),
            };
            collect_reads(plan, model, a, ca, out);
            collect_reads(plan, model, b, cb, out);
        }
        K::In { value, set, .. } => {
            let (cv, cs) = match c {
                Some(CExpr::In {
                    value: cv, set: cs, ..
                }) if cs.len() == set.len() => (Some(&**cv), Some(cs)),
                _ => (None, None),
            };
            collect_reads(plan, model, value, cv, out);
            for (k, x) in set.iter().enumerate() {
                collect_reads(plan, model, x, cs.and_then(|s| s.get(k)), out);
            }
        }
        K::IsMissing { value, .. } => {
            let cv = match c {
                Some(CExpr::IsMissing { value: cv, .. }) => Some(&**cv),
                _ => None,
            };
            collect_reads(plan, model, value, cv, out);
        }
        K::If { arms, otherwise } => {
            let (ca, co) = match c {
                Some(CExpr::If {
                    arms: ca,
                    otherwise: co,
                    ..
                }) if ca.len() == arms.len() => (Some(ca), Some(&**co)),
                _ => (None, None),
            };
            for (k, (cond, then)) in arms.iter().enumerate() {
                let pair = ca.and_then(|a| a.get(k));
                collect_reads(plan, model, cond, pair.map(|p| &p.0), out);
                collect_reads(plan, model, then, pair.map(|p| &p.1), out);
            }
            collect_reads(plan, model, otherwise, co, out);
        }
        K::Call(_, args) => {
            let cargs = match c {
                Some(CExpr::Call(_, a)) if a.len() == args.len() => Some(a),
                _ => None,
            };
            for (k, x) in args.iter().enumerate() {
                collect_reads(plan, model, x, cargs.and_then(|a| a.get(k)), out);
            }
        }
        K::Number(_) | K::Text(_) | K::Bool(_) | K::Missing | K::Label(..) | K::MetricValue => {}
    }
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

fn segment(at: &At<'_, '_>, s: SegmentId) -> Option<SegmentExplanation> {
    let model = at.model();
    let def = model.segment(s)?;
    let label = at.label(def.labels, at.segment_label(s));
    let (reason, line) = match &def.source {
        SegmentSource::Column(c) => (
            SegmentReason::Column {
                column: model
                    .contract
                    .column(*c)
                    .map_or_else(String::new, |d| d.name.clone()),
            },
            None,
        ),
        SegmentSource::Rules(rules) => {
            let compiled = at.plan().segments.get(s.index()).and_then(|r| r.as_ref());
            let mut reason = SegmentReason::NoMatch;
            let mut line = None;
            for (k, rule) in rules.iter().enumerate() {
                let c = compiled
                    .and_then(|r| r.get(k))
                    .and_then(|(_, c)| c.as_ref());
                match (&rule.condition, c) {
                    (None, _) => {
                        reason = SegmentReason::Otherwise;
                        line = Some(k);
                        break;
                    }
                    (Some(cond), Some(c)) if at.truth(c) => {
                        reason = SegmentReason::Rule {
                            condition: at.quote(cond.loc),
                            reads: at.reads(cond, Some(c)),
                        };
                        line = Some(k);
                        break;
                    }
                    _ => {}
                }
            }
            (reason, line)
        }
    };
    Some(SegmentExplanation {
        name: def.name.clone(),
        label,
        reason,
        line,
    })
}

fn meta(m: &MetricDef) -> MetricMeta {
    MetricMeta {
        owner: m.meta.owner.clone(),
        source: m.meta.source.clone(),
        layer: m.meta.layer.map(Layer::name),
        kind: m.meta.kind.map(IndicatorKind::name),
        unit: m.meta.unit.clone(),
    }
}

/// A number as written in a scorecard: `0.6`, `100`.
fn literal(x: f64) -> String {
    crate::check::resolve::format_number(x)
}

fn symbol(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "=",
        CmpOp::Ne => "≠",
        CmpOp::Lt => "<",
        CmpOp::Le => "≤",
        CmpOp::Gt => ">",
        CmpOp::Ge => "≥",
    }
}

fn band_matches(c: &BandCond, v: &Value) -> bool {
    let number = match v {
        Value::Integer(n) => Some(*n as f64),
        Value::Number(x) => Some(*x),
        _ => None,
    };
    match c {
        BandCond::Missing => *v == Value::Missing,
        _ if *v == Value::Missing => false,
        BandCond::Else => true,
        BandCond::Compare(op, x) => number.is_some_and(|y| op.holds(y, *x)),
        BandCond::Interval {
            low,
            low_closed,
            high,
            high_closed,
        } => number.is_some_and(|y| {
            (if *low_closed { y >= *low } else { y > *low })
                && (if *high_closed { y <= *high } else { y < *high })
        }),
        BandCond::Labels(names) => {
            let text = match v {
                Value::Text(t) => t.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Integer(n) => literal(*n as f64),
                Value::Number(x) => literal(*x),
                _ => String::new(),
            };
            names.contains(&text)
        }
    }
}

/// The `for` block whose rubric applied to the metric at the row (`None`: its own rubric).
fn chosen_rubric(at: &At<'_, '_>, def: &MetricDef) -> Option<usize> {
    // The first matching `for` block wins, as in the engine.
    def.segment_rubrics.iter().position(|sr| {
        let l = at.segment_label(sr.segment);
        l != MISSING_LABEL && sr.labels.contains(&l)
    })
}

/// The band of the applied rubric that the value fell in, for a band table.
fn band_reached(def: &MetricDef, rubric_for: Option<usize>, value: &Value) -> Option<usize> {
    let rubric = match rubric_for {
        Some(k) => &def.segment_rubrics.get(k)?.rubric,
        None => &def.rubric,
    };
    match &rubric.points {
        PointsRule::Bands(bands) => bands.iter().position(|b| band_matches(&b.condition, value)),
        _ => None,
    }
}

/// The rubric that applied to the metric at the row, in words.
fn rubric_words(at: &At<'_, '_>, m: MetricId, value: &Value) -> String {
    let model = at.model();
    let Some(def) = model.metric(m) else {
        return String::new();
    };
    let chosen = chosen_rubric(at, def).and_then(|k| def.segment_rubrics.get(k));
    let rubric = chosen.map_or(&def.rubric, |sr| &sr.rubric);
    let missing_points = |words: &str| match rubric.missing_points {
        Some(p) => format!("{words} → missing points {}", literal(p)),
        None => format!("{words} → no points"),
    };
    let mut words = match &rubric.points {
        PointsRule::Identity => "points = value".to_string(),
        PointsRule::Bands(bands) => {
            match bands.iter().find(|b| band_matches(&b.condition, value)) {
                Some(b) => format!(
                    "band {} → {} pts",
                    match &b.condition {
                        BandCond::Labels(labels) => labels
                            .iter()
                            .map(|l| format!("{l:?}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        other => other.describe(),
                    },
                    literal(b.points)
                ),
                None if *value == Value::Missing => missing_points("no band for a missing value"),
                None => missing_points("no band matched"),
            }
        }
        PointsRule::Scale { x0, p0, x1, p1 } => format!(
            "scale {} → {} pts, {} → {} pts",
            literal(*x0),
            literal(*p0),
            literal(*x1),
            literal(*p1)
        ),
        PointsRule::Normalize { kind, within } => {
            let groups: Vec<String> = within
                .iter()
                .filter_map(|g| match g {
                    GroupKey::Column(c) => model.contract.column(*c).map(|d| d.name.clone()),
                    GroupKey::Segment(s) => model.segment(*s).map(|d| d.name.clone()),
                })
                .collect();
            if groups.is_empty() {
                format!("{} among all partners", kind.keyword())
            } else {
                format!("{} within {}", kind.keyword(), groups.join(", "))
            }
        }
        PointsRule::Expr(e) => format!("points = {}", at.quote(e.loc)),
    };
    if *value == Value::Missing && !matches!(rubric.points, PointsRule::Bands(_)) {
        words = missing_points(&format!("{words}; missing"));
    }
    match chosen {
        Some(sr) => format!("for {}: {words}", at.segment_labels(sr.segment, &sr.labels)),
        None => words,
    }
}

fn term(
    at: &At<'_, '_>,
    m: MetricId,
    weight: Option<f64>,
    layer: Option<LayerWeight>,
    contribution: impl Fn(f64) -> f64,
) -> Option<TermExplanation> {
    let def = at.model().metric(m)?;
    let cm = at.plan().metrics.get(m.index())?;
    let value = match at
        .batch
        .metric_values
        .get(m.index())
        .and_then(|v| v.as_ref())
    {
        Some(col) => at.value(col, cm.value_ty, None),
        None => Value::Missing,
    };
    let missing = at.metric_missing(m);
    let points = at.points(m);
    let rubric_for = chosen_rubric(at, def);
    Some(TermExplanation {
        metric: def.name.clone(),
        description: def.meta.description.clone(),
        meta: meta(def),
        rubric: rubric_words(at, m, &value),
        rubric_for,
        band: band_reached(def, rubric_for, &value),
        value,
        missing,
        counted_as: if missing { def.missing_value } else { None },
        points: opt(points),
        weight,
        layer,
        contribution: opt(contribution(points)),
    })
}

/// `weight × points`, where a zero weight leaves the metric out, as in the engine.
fn weighted(fraction: f64, points: f64) -> f64 {
    if fraction == 0.0 {
        0.0
    } else {
        fraction * points
    }
}

fn at_or_nan(v: &[f64], j: usize) -> f64 {
    v.get(j).copied().unwrap_or(f64::NAN)
}

fn score(at: &At<'_, '_>, s: ScoreId) -> Option<ScoreExplanation> {
    let model = at.model();
    let def = model.score(s)?;
    let cs = at.plan().scores.get(s.index())?;
    let values = at.batch.scores.get(s.index())?.as_ref()?;
    let i = at.i;
    let which = values.definition.get(i).copied().unwrap_or(0) as usize;
    let (definition, compiled, definition_for) = match which.checked_sub(1) {
        None => (&def.definition, &cs.definition, None),
        Some(k) => {
            let o = def.overrides.get(k)?;
            let (_, _, c) = cs.overrides.get(k)?;
            (
                &o.definition,
                c,
                Some(at.segment_labels(o.segment, &o.labels)),
            )
        }
    };
    let mut terms: Vec<TermExplanation> = Vec::new();
    let mut base = None;
    let mut formula = None;
    let kind = match definition {
        Definition::Weighted(ts) => {
            for t in ts {
                let f = t.fraction;
                terms.extend(term(at, t.metric, Some(t.percent), None, |p| {
                    weighted(f, p)
                }));
            }
            "weights"
        }
        Definition::Layered(layers) => {
            for l in layers {
                for t in &l.terms {
                    let (lf, f) = (l.fraction, t.fraction);
                    let layer = LayerWeight {
                        layer: l.layer.name(),
                        weight: l.percent,
                    };
                    terms.extend(term(at, t.metric, Some(t.percent), Some(layer), |p| {
                        weighted(lf, weighted(f, p))
                    }));
                }
            }
            "layers"
        }
        Definition::Sum { base: b, metrics } => {
            base = Some(*b);
            for (m, _) in metrics {
                terms.extend(term(at, *m, None, None, |p| p));
            }
            "sum"
        }
        Definition::Value(e) => {
            let c = match compiled {
                CDefinition::Value(c) => Some(c),
                _ => None,
            };
            formula = Some(Formula {
                text: at.quote(e.loc),
                reads: at.reads(e, c),
            });
            "value"
        }
    };
    // Largest contribution first; missing ones last; ties in written order.
    terms.sort_by(|a, b| match (a.contribution, b.contribution) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    let total = at_or_nan(&values.raw, i);
    let mut adjustments = Vec::new();
    let mut running = total;
    for (adj, (_, c)) in def.adjustments.iter().zip(&cs.adjustments) {
        if !at.truth(c) {
            continue;
        }
        let after = finite(running * adj.factor);
        adjustments.push(AppliedAdjustment {
            reason: adj.reason.clone(),
            factor: adj.factor,
            condition: at.quote(adj.condition.loc),
            reads: at.reads(&adj.condition, Some(c)),
            before: opt(running),
            after: opt(after),
        });
        running = after;
    }
    let insufficient = (values.insufficient.get(i) == Some(&1)).then(|| {
        let metrics = definition.metrics();
        InsufficientData {
            missing: metrics
                .iter()
                .filter(|m| at.metric_missing(**m))
                .filter_map(|m| model.metric(*m).map(|d| d.name.clone()))
                .collect(),
            metrics: metrics.len(),
            limit: def.insufficient.map_or_else(String::new, |r| {
                format!(
                    "more than {}{}",
                    literal(r.limit),
                    if r.percent { "%" } else { "" }
                )
            }),
        }
    });
    let guardrails = guardrails(at, def, values);
    let provisional = (values.provisional.get(i) == Some(&1)).then(|| {
        let observed = at.batch.position(i);
        Provisional {
            periods_observed: observed,
            min_periods: def.min_periods.filter(|k| observed < *k),
            from_scores: cs
                .reads_scores
                .iter()
                .filter(|o| {
                    at.batch
                        .scores
                        .get(o.index())
                        .and_then(|v| v.as_ref())
                        .and_then(|v| v.provisional.get(i))
                        .is_some_and(|p| *p == 1)
                })
                .filter_map(|o| model.score(*o).map(|d| d.name.clone()))
                .collect(),
        }
    });
    let reported = at_or_nan(&values.reported, i);
    let tier = def.tiers.as_ref().map(|set| {
        tier(
            at,
            set,
            values.tier.get(i).copied().unwrap_or(MISSING_LABEL),
            reported,
        )
    });
    Some(ScoreExplanation {
        name: def.name.clone(),
        description: def.meta.description.clone(),
        definition: kind,
        definition_for,
        terms,
        base,
        formula,
        total: opt(total),
        adjustments,
        adjusted: opt(at_or_nan(&values.adjusted, i)),
        insufficient,
        guardrails,
        smoothed: opt(at_or_nan(&values.smoothed, i)),
        reported: opt(reported),
        provisional,
        tier,
    })
}

fn decimal(x: f64) -> String {
    let mut s = String::new();
    if x.is_nan() {
        s.push_str("missing");
    } else {
        crate::render::push_decimal(&mut s, x, DEFAULT_DECIMALS);
    }
    s
}

/// The guardrail steps at the row, replayed from the partner's earlier rows
/// as the engine computed them.
fn guardrails(at: &At<'_, '_>, def: &ScoreDef, v: &ScoreValues) -> Vec<GuardrailStep> {
    let (first, i) = (at.first(), at.i);
    // What smoothing reads: the adjusted value, or missing when data is insufficient.
    let input = |j: usize| {
        if v.insufficient.get(j) == Some(&1) {
            f64::NAN
        } else {
            at_or_nan(&v.adjusted, j)
        }
    };
    let mut steps = Vec::new();
    let x = input(i);
    let smoothed = at_or_nan(&v.smoothed, i);
    let changed = |a: f64, b: f64| !(a == b || (a.is_nan() && b.is_nan()));
    match def.smoothing {
        Some(Smoothing::MovingAverage(k)) => {
            let from = first.max((i + 1).saturating_sub(k as usize));
            let window: Vec<String> = (from..=i)
                .map(|j| format!("{} {}", at.period(j), decimal(input(j))))
                .collect();
            let n = window.len();
            let detail = if n < k as usize && n > 1 {
                format!(
                    "smoothed over the {n} periods so far ({})",
                    window.join(", ")
                )
            } else if n == 1 && k > 1 {
                "smoothing: the first period, nothing to average".to_string()
            } else {
                format!(
                    "smoothed over {n} period{} ({})",
                    plural(n),
                    window.join(", ")
                )
            };
            steps.push(GuardrailStep {
                guardrail: Guardrail::Smoothing,
                detail,
                before: opt(x),
                after: opt(smoothed),
                changed: changed(x, smoothed),
            });
        }
        Some(Smoothing::Exponential(a)) => {
            let previous = (first..i)
                .rev()
                .map(|j| at_or_nan(&v.smoothed, j))
                .find(|s| !s.is_nan());
            let detail = match previous {
                Some(p) => format!(
                    "smoothed exponentially (weight {} on this period, the rest on the previous smoothed {})",
                    literal(a),
                    decimal(p)
                ),
                None => "smoothing: the first period, nothing to average".to_string(),
            };
            steps.push(GuardrailStep {
                guardrail: Guardrail::Smoothing,
                detail,
                before: opt(x),
                after: opt(smoothed),
                changed: changed(x, smoothed),
            });
        }
        None => {}
    }
    let mut r = smoothed;
    if let Some(d) = def.max_change {
        let previous = (first..i)
            .rev()
            .map(|j| at_or_nan(&v.reported, j))
            .find(|s| !s.is_nan());
        let before = r;
        let detail = match previous {
            Some(p) if !r.is_nan() => {
                r = r.max(p - d).min(p + d);
                if changed(before, r) {
                    format!("limited to ±{} per period from {}", literal(d), decimal(p))
                } else {
                    format!(
                        "max_change {}: within ±{} of the previous {}",
                        literal(d),
                        literal(d),
                        decimal(p)
                    )
                }
            }
            Some(_) => format!("max_change {}: the value is missing", literal(d)),
            None => format!(
                "max_change {}: the first period, nothing to limit from",
                literal(d)
            ),
        };
        steps.push(GuardrailStep {
            guardrail: Guardrail::MaxChange,
            detail,
            before: opt(before),
            after: opt(r),
            changed: changed(before, r),
        });
    }
    // Floor, then cap: each clamps the value from one side.
    let bounds = [
        (def.floor, Guardrail::Floor, "raised to the floor", "floor"),
        (def.cap, Guardrail::Cap, "capped at", "cap"),
    ];
    for (bound, guardrail, moved, name) in bounds {
        let Some(x) = bound else { continue };
        let before = r;
        if !r.is_nan() {
            r = if guardrail == Guardrail::Floor {
                r.max(x)
            } else {
                r.min(x)
            };
        }
        let detail = if changed(before, r) {
            format!("{moved} {}", literal(x))
        } else {
            format!("{name} {}: not reached", literal(x))
        };
        steps.push(GuardrailStep {
            guardrail,
            detail,
            before: opt(before),
            after: opt(r),
            changed: changed(before, r),
        });
    }
    steps
}

fn threshold_text(t: &TierDef) -> String {
    match t.threshold {
        Some((op, x)) => format!("{} {}", symbol(op), literal(x)),
        None => "otherwise".to_string(),
    }
}

/// The tier the value reaches by thresholds alone.
fn tier_by_value(set: &TierSet, v: f64) -> Option<usize> {
    if v.is_nan() {
        return None;
    }
    set.tiers.iter().position(|t| match t.threshold {
        None => true,
        Some((op, x)) => op.holds(v, x),
    })
}

fn tier(at: &At<'_, '_>, set: &TierSet, label: u32, reported: f64) -> TierExplanation {
    let name = at.label(set.labels, label);
    let by_value = tier_by_value(set, reported);
    let own = set.tiers.get(label as usize);
    let place = by_value.and_then(|k| set.tiers.get(k).map(|t| (k, t)));
    let above = place.and_then(|(k, _)| {
        let up = set.tiers.get(k.checked_sub(1)?)?;
        let (_, x) = up.threshold?;
        Some(TierDistance {
            label: up.label.clone(),
            threshold: threshold_text(up),
            distance: (x - reported).abs(),
        })
    });
    let below = place.and_then(|(k, t)| {
        let (_, x) = t.threshold?;
        let down = set.tiers.get(k + 1)?;
        Some(TierDistance {
            label: down.label.clone(),
            threshold: threshold_text(down),
            distance: (reported - x).abs(),
        })
    });
    TierExplanation {
        threshold: own.map(threshold_text),
        by_value: match (own, place) {
            (None, Some((_, t))) => Some(TierRef {
                label: t.label.clone(),
                threshold: threshold_text(t),
            }),
            _ => None,
        },
        label: name,
        above,
        below,
        benefits: own.map(|t| t.benefits.clone()).unwrap_or_default(),
        obligations: own.map(|t| t.obligations.clone()).unwrap_or_default(),
    }
}

fn priority(p: f64) -> String {
    crate::model::priority_word(p).map_or_else(|| literal(p), str::to_string)
}

fn fired_rules(at: &At<'_, '_>) -> Vec<FiredRule> {
    at.model()
        .rules
        .iter()
        .enumerate()
        .filter(|(k, _)| At::flag_at(&at.batch.rules, *k, at.i))
        .map(|(k, r)| FiredRule {
            name: r.name.clone(),
            reason: r.reason.clone(),
            priority: priority(r.priority),
            condition: at.quote(r.condition.loc),
            reads: at.reads(&r.condition, at.plan().rules.get(k)),
            actions: r.actions.clone(),
        })
        .collect()
}

fn raised_flags(at: &At<'_, '_>) -> Vec<RaisedFlag> {
    at.model()
        .flags
        .iter()
        .enumerate()
        .filter(|(k, _)| At::flag_at(&at.batch.flags, *k, at.i))
        .map(|(k, f)| RaisedFlag {
            name: f.name.clone(),
            description: f.description.clone(),
            kind: f.kind.clone(),
            condition: at.quote(f.condition.loc),
            reads: at.reads(&f.condition, at.plan().flags.get(k)),
        })
        .collect()
}

fn actions(at: &At<'_, '_>) -> Vec<ActionExplanation> {
    let model = at.model();
    eval::actions_of(at.batch, at.i)
        .into_iter()
        .map(|action| {
            // The rule that listed it first, in the order actions are collected.
            let rule = at
                .plan()
                .action_order
                .iter()
                .filter(|r| At::flag_at(&at.batch.rules, r.index(), at.i))
                .filter_map(|r| model.rules.get(r.index()))
                .find(|r| r.actions.iter().any(|a| a == action))
                .map_or_else(String::new, |r| r.name.clone());
            ActionExplanation {
                action: action.to_string(),
                rule,
            }
        })
        .collect()
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
