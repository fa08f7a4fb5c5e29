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
use crate::data::table::{Column, Table, TextColumn};
use crate::eval::{self, Context};
use crate::model::{BandCond, Model, PointsRule, ScoreId, Type};
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
const FACTORS: [f64; 8] = [0.5, 0.8, 0.9, 1.1, 1.25, 1.5, 2.0, 3.0];
/// Halvings of the step between the last value that falls short and the
/// first that reaches, to find a smaller change that reaches.
const REFINE: usize = 4;
/// At most this many suggestions.
const MAX_SUGGESTIONS: usize = 3;

/// Which values a metric's rubric rewards.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Direction {
    Higher,
    Lower,
    /// Neither (a formula, categories, or bands with no one direction).
    Unknown,
}

/// The direction of a metric's rubric: a scale's slope, the way a band
/// table's points move with its thresholds, higher for the value itself and
/// for population normalizations.
fn direction(rubric: &PointsRule) -> Direction {
    let sign = |x: f64| {
        if x > 0.0 {
            Direction::Higher
        } else if x < 0.0 {
            Direction::Lower
        } else {
            Direction::Unknown
        }
    };
    match rubric {
        PointsRule::Identity | PointsRule::Normalize { .. } => Direction::Higher,
        PointsRule::Scale { x0, p0, x1, p1 } => sign((p1 - p0) * (x1 - x0)),
        PointsRule::Expr(_) => Direction::Unknown,
        PointsRule::Bands(bands) => {
            let mut at: Vec<(f64, f64)> = bands
                .iter()
                .filter_map(|b| match b.condition {
                    BandCond::Compare(_, x) => Some((x, b.points)),
                    BandCond::Interval { low, high, .. } => Some(((low + high) / 2.0, b.points)),
                    _ => None,
                })
                .filter(|(x, _)| x.is_finite())
                .collect();
            at.sort_by(|a, b| a.0.total_cmp(&b.0));
            let rises = at
                .windows(2)
                .filter(|w| matches!(w, [a, b] if b.1 > a.1))
                .count();
            let falls = at
                .windows(2)
                .filter(|w| matches!(w, [a, b] if b.1 < a.1))
                .count();
            match (rises, falls) {
                (r, 0) if r > 0 => Direction::Higher,
                (0, f) if f > 0 => Direction::Lower,
                _ => Direction::Unknown,
            }
        }
    }
}

/// The metrics a change made worse under their own rubric: a lower value
/// where the rubric rewards higher ones, or the other way round.
fn worsened(model: &Model, before: &[f64], after: &[f64]) -> Vec<String> {
    model
        .metrics
        .iter()
        .zip(before.iter().zip(after))
        .filter(|(m, (b, a))| {
            let tolerance = 1e-9 * b.abs().max(1.0);
            match direction(&m.rubric.points) {
                Direction::Higher => **a < **b - tolerance,
                Direction::Lower => **a > **b + tolerance,
                Direction::Unknown => false,
            }
        })
        .map(|(m, _)| m.name.clone())
        .collect()
}

/// What re-scoring gives for one row: the score's reported value, its tier
/// label index, and every metric's value.
type Rescored = (f64, u32, Vec<f64>);

/// Row `row`'s reported value and tier label index of `score`, and its
/// metrics' values, scoring `table`.
fn rescore(
    model: &Model,
    plan: &Plan,
    table: &Table,
    row: u32,
    score: ScoreId,
) -> Option<Rescored> {
    let ordered = eval::order_rows(model, table);
    let mut ctx = Context::new(model, plan, table, &ordered);
    let mut found = None;
    eval::evaluate(
        &mut ctx,
        |batch| {
            let i = batch.rows.iter().position(|r| *r == row)?;
            let values = batch.scores.get(score.index())?.as_ref()?;
            let metrics = batch
                .metric_values
                .iter()
                .map(|v| match v {
                    Some(eval::Col::Num(x)) => x.get(i).copied().unwrap_or(f64::NAN),
                    _ => f64::NAN,
                })
                .collect();
            Some((*values.reported.get(i)?, *values.tier.get(i)?, metrics))
        },
        |r| {
            if r.is_some() {
                found = r;
            }
        },
    );
    found
}

/// The rows a re-score of table row `row` needs, and the row's index among
/// them. Without a population normalization, the partner's own rows (its
/// history): no other partner's value can move its score. With one, peer
/// groups are formed within a period: the rows of the row's period when
/// nothing reads history, else those of its period and the earlier ones
/// (later periods cannot move it). Without a period column, the whole table.
fn scope(model: &Model, plan: &Plan, table: &Table, row: u32) -> (Table, u32) {
    let population = plan
        .sites
        .iter()
        .any(|s| matches!(s.kind, crate::plan::SiteKind::Population { .. }));
    let text =
        |id: Option<crate::model::ColumnId>| match id.and_then(|c| table.columns.get(c.index())) {
            Some(Column::Text(t)) => Some(t),
            _ => None,
        };
    let keep: Vec<bool> = match (
        population,
        text(model.contract.key),
        text(model.contract.period),
    ) {
        (false, Some(keys), _) => {
            let partner = keys.get(row as usize);
            (0..table.rows).map(|r| keys.get(r) == partner).collect()
        }
        (true, _, Some(periods)) => {
            // Periods of one form order as text (`D025` refuses mixed forms).
            let period = periods.get(row as usize);
            let history = model.uses_history();
            (0..table.rows)
                .map(|r| {
                    let p = periods.get(r);
                    if history { p <= period } else { p == period }
                })
                .collect()
        }
        _ => return (table.clone(), row),
    };
    if keep.iter().all(|k| *k) {
        return (table.clone(), row);
    }
    let at = keep.iter().take(row as usize).filter(|k| **k).count() as u32;
    let columns = table
        .columns
        .iter()
        .map(|c| match c {
            Column::Number(v) => Column::Number(kept(v, &keep)),
            Column::Int(v) => {
                let mut v = v.clone();
                v.retain(&keep);
                Column::Int(v)
            }
            Column::Bool(v) => Column::Bool(kept(v, &keep)),
            Column::Label(v) => Column::Label(kept(v, &keep)),
            Column::Text(t) => {
                let mut out = TextColumn::with_capacity(keep.len(), 0);
                for r in (0..t.len()).filter(|r| keep.get(*r) == Some(&true)) {
                    out.push(t.get(r));
                }
                Column::Text(out)
            }
            Column::Skipped => Column::Skipped,
        })
        .collect();
    let sub = Table {
        rows: keep.iter().filter(|k| **k).count(),
        columns,
        lines: kept(&table.lines, &keep),
        offsets: Vec::new(),
    };
    (sub, at)
}

/// The values whose flag in `keep` is true.
fn kept<T: Clone>(values: &[T], keep: &[bool]) -> Vec<T> {
    values
        .iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(v, _)| v.clone())
        .collect()
}

/// The path to the next tier of `score` for table row `row`, or `None`
/// when the score has no tiers, the row is in the top tier, or its score is
/// missing.
pub fn path(model: &Model, plan: &Plan, table: &Table, row: u32, score: ScoreId) -> Option<Path> {
    let (scoped, row) = scope(model, plan, table, row);
    let table = &scoped;
    let def = model.score(score)?;
    let set = def.tiers.as_ref()?;
    let labels = &model.enum_type(set.labels)?.labels;
    let (reported, tier, metrics) = rescore(model, plan, table, row, score)?;
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
        let integer = column.ty == Type::Integer;
        // Re-score with the column at `to`: the change, the score and the
        // tier after, unless the change makes a metric worse by its own
        // rubric (fewer sales reps for a higher revenue per rep).
        let attempt = |to: f64| -> Option<(Change, f64, u32)> {
            let mut changed = table.clone();
            if !cell::set(&mut changed, id, row as usize, &CellValue::Number(to)) {
                return None;
            }
            let (after, tier_after, metrics_after) = rescore(model, plan, &changed, row, score)?;
            if !worsened(model, &metrics, &metrics_after).is_empty() {
                return None;
            }
            let change = Change {
                column: column.name.clone(),
                from,
                to,
                gain: after - reported,
            };
            Some((change, after, tier_after))
        };
        let mut best: Option<Change> = None;
        // The value nearest `from` on each side known to fall short.
        let (mut short_below, mut short_above) = (from, from);
        for to in candidates {
            let Some((change, after, tier_after)) = attempt(to) else {
                continue;
            };
            if better(tier_after) {
                // A smaller step in the same direction may reach too.
                let mut short = if to > from { short_above } else { short_below };
                let mut found = (change, after, tier_after);
                for _ in 0..REFINE {
                    let mut mid = (short + found.0.to) / 2.0;
                    if integer {
                        mid = mid.round();
                    }
                    if mid == short || mid == found.0.to || !in_bounds(mid) {
                        break;
                    }
                    match attempt(mid) {
                        Some(r) if better(r.2) => found = r,
                        _ => short = mid,
                    }
                }
                let (change, after, tier_after) = found;
                let cost = (change.to - from).abs() / from.abs().max(1.0);
                reaching.push((cost, change, after, tier_after));
                best = None;
                break;
            }
            if to > from {
                short_above = short_above.max(to);
            } else {
                short_below = short_below.min(to);
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
            if last.as_ref().is_some_and(|(_, t, _)| better(*t)) {
                break;
            }
        }
        if let Some((after, t, _)) = last {
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
