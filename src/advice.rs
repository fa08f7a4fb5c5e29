//! The path to the next tier: "what would get us there?" — the few changes
//! to a partner's input values that close the gap to the next tier most
//! cheaply, each checked by re-scoring the whole table with the changed row,
//! so that percentiles, history and guardrails are what the engine makes of
//! them, not an estimate.
//!
//! Candidates are the numeric columns of the input contract, each moved by a
//! few relative steps (and, for integers, by one or two) within its bounds;
//! the cost of a change is its relative size. A single change that reaches
//! the next tier is preferred; otherwise the largest gains are combined, and
//! the combination is re-scored as a whole.

use crate::data::cell::{self, CellValue};
use crate::data::table::Table;
use crate::eval::{self, Context};
use crate::model::{Model, ScoreId, Type};
use crate::plan::Plan;

/// One changed input value.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Change {
    pub column: String,
    pub from: f64,
    pub to: f64,
    /// The score's reported value gained by this change alone.
    pub gain: f64,
}

/// A set of changes and what re-scoring the row with all of them gives.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Suggestion {
    pub changes: Vec<Change>,
    pub score_after: f64,
    pub tier_after: String,
    /// Whether the next tier (or a better one) is reached.
    pub reaches: bool,
}

/// The path from a row's tier to the next one up.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Path {
    pub score: String,
    pub reported: f64,
    pub tier: String,
    pub next: String,
    pub threshold: f64,
    pub suggestions: Vec<Suggestion>,
    /// Guardrails that slow a move: smoothing, `max_change`, `min_periods`.
    pub guardrails: Vec<String>,
}

/// Relative steps tried on each column.
const FACTORS: [f64; 6] = [0.5, 0.8, 1.25, 1.5, 2.0, 3.0];
/// At most this many suggestions.
const MAX_SUGGESTIONS: usize = 3;

/// Row `row`'s reported value and tier label index of `score`, scoring `table`.
fn rescore(
    model: &Model,
    plan: &Plan,
    table: &Table,
    row: u32,
    score: ScoreId,
) -> Option<(f64, u32)> {
    let ordered = eval::order_rows(model, table);
    let mut ctx = Context::new(model, plan, table, &ordered);
    let mut found = None;
    eval::evaluate(
        &mut ctx,
        |batch| {
            let i = batch.rows.iter().position(|r| *r == row)?;
            let values = batch.scores.get(score.index())?.as_ref()?;
            Some((*values.reported.get(i)?, *values.tier.get(i)?))
        },
        |r| {
            if r.is_some() {
                found = r;
            }
        },
    );
    found
}

/// The path to the next tier of `score` for table row `row`, or `None`
/// when the score has no tiers, the row is in the top tier, or its score is
/// missing.
pub fn path(model: &Model, plan: &Plan, table: &Table, row: u32, score: ScoreId) -> Option<Path> {
    let def = model.score(score)?;
    let set = def.tiers.as_ref()?;
    let labels = &model.enum_type(set.labels)?.labels;
    let (reported, tier) = rescore(model, plan, table, row, score)?;
    if reported.is_nan() {
        return None;
    }
    let tier_label = labels.get(tier as usize)?.clone();
    let position = set.tiers.iter().position(|t| t.label == tier_label)?;
    let next = set.tiers.get(position.checked_sub(1)?)?;
    let threshold = next.threshold.map(|(_, x)| x)?;
    let better = |t: u32| {
        labels
            .get(t as usize)
            .and_then(|l| set.tiers.iter().position(|d| &d.label == l))
            .is_some_and(|p| p < position)
    };
    // Each numeric column's cheapest change that reaches, or its largest gain.
    let mut reaching: Vec<(f64, Change, f64, u32)> = Vec::new();
    let mut gains: Vec<Change> = Vec::new();
    for (k, column) in model.contract.columns.iter().enumerate() {
        let id = crate::model::ColumnId(k as u32);
        if Some(id) == model.contract.key || Some(id) == model.contract.period {
            continue;
        }
        if !matches!(column.ty, Type::Number | Type::Integer) {
            continue;
        }
        if !plan.needed_columns.get(k).copied().unwrap_or(false) {
            continue;
        }
        let Some(CellValue::Number(from)) = cell::get(table, id, row as usize) else {
            continue;
        };
        let mut candidates: Vec<f64> = FACTORS.iter().map(|f| from * f).collect();
        if column.ty == Type::Integer {
            candidates = candidates.into_iter().map(f64::round).collect();
            candidates.extend([from + 1.0, from + 2.0, from - 1.0]);
        } else if from == 0.0 {
            candidates.extend([0.1, 1.0, 10.0]);
        }
        let in_bounds = |x: f64| {
            column
                .min
                .is_none_or(|(m, closed)| x > m || (closed && x == m))
                && column
                    .max
                    .is_none_or(|(m, closed)| x < m || (closed && x == m))
        };
        candidates.retain(|x| x.is_finite() && *x != from && in_bounds(*x));
        candidates.sort_by(|a, b| (a - from).abs().total_cmp(&(b - from).abs()));
        candidates.dedup();
        let mut best: Option<Change> = None;
        for to in candidates {
            let mut changed = table.clone();
            if !cell::set(&mut changed, id, row as usize, &CellValue::Number(to)) {
                continue;
            }
            let Some((after, tier_after)) = rescore(model, plan, &changed, row, score) else {
                continue;
            };
            let change = Change {
                column: column.name.clone(),
                from,
                to,
                gain: after - reported,
            };
            if better(tier_after) {
                let cost = (to - from).abs() / from.abs().max(1.0);
                reaching.push((cost, change, after, tier_after));
                best = None;
                break;
            }
            if change.gain > 0.0 && best.as_ref().is_none_or(|b| change.gain > b.gain) {
                best = Some(change);
            }
        }
        gains.extend(best);
    }
    reaching.sort_by(|a, b| a.0.total_cmp(&b.0));
    let label = |t: u32| labels.get(t as usize).cloned().unwrap_or_default();
    let mut suggestions: Vec<Suggestion> = reaching
        .into_iter()
        .take(MAX_SUGGESTIONS)
        .map(|(_, change, after, t)| Suggestion {
            changes: vec![change],
            score_after: after,
            tier_after: label(t),
            reaches: true,
        })
        .collect();
    if suggestions.is_empty() && !gains.is_empty() {
        // No single change reaches: combine the largest gains, re-scored together.
        gains.sort_by(|a, b| b.gain.total_cmp(&a.gain));
        let mut changed = table.clone();
        let mut taken = Vec::new();
        let mut last = None;
        for change in gains.into_iter().take(4) {
            let Some(id) = model.contract.find(&change.column) else {
                continue;
            };
            if !cell::set(
                &mut changed,
                id,
                row as usize,
                &CellValue::Number(change.to),
            ) {
                continue;
            }
            taken.push(change);
            last = rescore(model, plan, &changed, row, score);
            if last.is_some_and(|(_, t)| better(t)) {
                break;
            }
        }
        if let Some((after, t)) = last {
            suggestions.push(Suggestion {
                changes: taken,
                score_after: after,
                tier_after: label(t),
                reaches: better(t),
            });
        }
    }
    let mut guardrails = Vec::new();
    if def.smoothing.is_some() {
        guardrails.push("smoothing spreads a change over several periods".to_string());
    }
    if let Some(m) = def.max_change {
        guardrails.push(format!(
            "max_change lets the score move at most {} points a period",
            crate::model::format_number(m)
        ));
    }
    if let Some(n) = def.min_periods {
        guardrails.push(format!(
            "min_periods {n}: the tier is provisional until then"
        ));
    }
    Some(Path {
        score: def.name.clone(),
        reported,
        tier: tier_label,
        next: next.label.clone(),
        threshold,
        suggestions,
        guardrails,
    })
}

fn number(x: f64) -> String {
    let mut s = String::new();
    crate::render::push_decimal(&mut s, x, 2);
    let trimmed = s.trim_end_matches('0').trim_end_matches('.');
    trimmed.to_string()
}

/// The path as lines for `explain`.
pub fn text(p: &Path) -> String {
    let mut out = format!(
        "\nPath to the next tier ({}: {} -> {}, {} needed, now {})\n",
        p.score,
        p.tier,
        p.next,
        number(p.threshold),
        number(p.reported)
    );
    if p.suggestions.is_empty() {
        out.push_str("  no change to a single input value moves the score\n");
    }
    for s in &p.suggestions {
        let parts: Vec<String> = s
            .changes
            .iter()
            .map(|c| {
                format!(
                    "{} from {} to {} ({}{} points)",
                    c.column,
                    number(c.from),
                    number(c.to),
                    if c.gain >= 0.0 { "+" } else { "" },
                    number(c.gain)
                )
            })
            .collect();
        out.push_str(&format!(
            "  - {}: score {}, tier {}{}\n",
            parts.join(" and "),
            number(s.score_after),
            s.tier_after,
            if s.reaches { "" } else { " (not yet enough)" }
        ));
    }
    for g in &p.guardrails {
        out.push_str(&format!("  note: {g}\n"));
    }
    out
}
