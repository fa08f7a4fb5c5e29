//! What the report shows, gathered from one evaluation of the data: tier
//! counts per period, each partner's latest row and the score before it, and
//! the whole history of the partners that get a section.

use std::collections::BTreeSet;

use indexmap::IndexMap;

use crate::data::table::{Column, Table, TextColumn};
use crate::eval::{self, Batch, Context};
use crate::govern::Governance;
use crate::model::{ColumnId, Model, ScoreId};
use crate::plan::Plan;

/// One score of one row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScorePoint {
    /// After adjustments, before smoothing and the other guardrails (`raw(score)`).
    pub raw: f64,
    pub reported: f64,
    /// Index into the score's tier labels (tiers, `provisional`, `insufficient_data`):
    /// the reported tier, an override's where one applies.
    pub tier: Option<u32>,
    /// The tier the score computes (the same as `tier` unless overridden).
    pub computed: Option<u32>,
}

/// One row of a partner's history.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryRow {
    pub period: String,
    pub scores: Vec<ScorePoint>,
}

/// A partner's latest row.
#[derive(Clone, Debug, PartialEq)]
pub struct Latest {
    pub key: String,
    pub period: String,
    /// Each segment's label (`None` when no line matched).
    pub segments: Vec<Option<String>>,
    pub scores: Vec<ScorePoint>,
    /// Each score's reported value in the partner's previous row.
    pub previous: Option<Vec<f64>>,
    pub actions: Vec<String>,
    pub flags: Vec<String>,
    pub provisional: bool,
}

impl Latest {
    /// The change of score `s` since the previous row (NaN when there is none
    /// or either value is missing).
    pub fn change(&self, s: usize) -> f64 {
        let now = self.scores.get(s).map_or(f64::NAN, |p| p.reported);
        let before = self
            .previous
            .as_ref()
            .and_then(|p| p.get(s).copied())
            .unwrap_or(f64::NAN);
        now - before
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Collected {
    /// Every period of the data, in the engine's (text) order.
    pub periods: Vec<String>,
    /// `[score][period][label]`: rows per tier label; the last slot counts rows without a tier.
    pub tier_counts: Vec<Vec<Vec<u64>>>,
    /// Every partner's latest row, in key order.
    pub latest: Vec<Latest>,
    /// The rows of the partners asked for, by key, oldest first.
    pub history: IndexMap<String, Vec<HistoryRow>>,
    /// Rows evaluated.
    pub rows: usize,
    /// The rows corrections or overrides touched, in key and period order.
    pub touched: Vec<Touched>,
}

/// A row that corrections or an override touched, and what they did.
#[derive(Clone, Debug, PartialEq)]
pub struct Touched {
    pub key: String,
    pub period: String,
    pub corrected: bool,
    pub overridden: bool,
    /// What was done, one sentence each (as `explain` tells it).
    pub story: Vec<String>,
}

/// A text column of the table.
pub fn text_column(table: &Table, id: Option<ColumnId>) -> Option<&TextColumn> {
    match table.columns.get(id?.index())? {
        Column::Text(t) => Some(t),
        _ => None,
    }
}

/// Each partner key of the table, once, in text order.
pub fn partner_keys<'t>(model: &Model, table: &'t Table) -> BTreeSet<&'t str> {
    let mut keys = BTreeSet::new();
    if let Some(k) = text_column(table, model.contract.key) {
        for r in 0..table.rows {
            keys.insert(k.get(r));
        }
    }
    keys
}

/// How many labels each score's tier counts have (its tier set, then one slot for none).
fn label_slots(model: &Model) -> Vec<usize> {
    model
        .scores
        .iter()
        .map(|s| {
            s.tiers
                .as_ref()
                .and_then(|t| model.enum_type(t.labels))
                .map_or(0, |e| e.labels.len())
                + 1
        })
        .collect()
}

/// What one batch contributes.
struct Part {
    counts: Vec<Vec<Vec<u64>>>,
    latest: Vec<Latest>,
    history: Vec<(String, HistoryRow)>,
    touched: Vec<Touched>,
}

/// Evaluate the whole table once and gather what the report needs;
/// `history_of` says whose rows to keep whole. With `gov`, an overridden
/// row's tier is the override's (the computed one kept beside it).
pub fn collect(
    model: &Model,
    plan: &Plan,
    table: &Table,
    history_of: &(dyn Fn(&str) -> bool + Sync),
    gov: Option<&Governance>,
) -> Collected {
    let keys = text_column(table, model.contract.key);
    let period_column = text_column(table, model.contract.period);
    let periods: Vec<String> = match period_column {
        Some(p) => {
            let set: BTreeSet<&str> = (0..table.rows).map(|r| p.get(r)).collect();
            set.into_iter().map(str::to_string).collect()
        }
        None => vec![String::new()],
    };
    let slots = label_slots(model);
    let empty_counts = || -> Vec<Vec<Vec<u64>>> {
        slots
            .iter()
            .map(|n| vec![vec![0u64; *n]; periods.len()])
            .collect()
    };
    let ordered = eval::order_rows(model, table);
    let mut ctx = Context::new(model, plan, table, &ordered);
    if let Some(gov) = gov {
        ctx.tier_overrides = crate::govern::tier_overrides(gov);
    }
    let mut out = Collected {
        tier_counts: empty_counts(),
        periods: periods.clone(),
        ..Collected::default()
    };
    eval::evaluate(
        &mut ctx,
        |batch| {
            let mut part = Part {
                counts: empty_counts(),
                latest: Vec::new(),
                history: Vec::new(),
                touched: Vec::new(),
            };
            for i in 0..batch.len {
                let row = batch.rows.get(i).copied().unwrap_or(0) as usize;
                let key = keys.map_or("", |k| k.get(row));
                let period = period_column.map_or("", |p| p.get(row));
                let p = periods.binary_search_by(|q| q.as_str().cmp(period)).ok();
                let scores = score_points(model, batch, i);
                if let Some(gov) = gov {
                    if let Some(t) = touch(model, gov, row as u32, &scores) {
                        part.touched.push(Touched {
                            key: key.to_string(),
                            period: period.to_string(),
                            ..t
                        });
                    }
                }
                for (s, point) in scores.iter().enumerate() {
                    let Some(counts) = part.counts.get_mut(s) else {
                        continue;
                    };
                    let last = slots.get(s).copied().unwrap_or(1).saturating_sub(1);
                    let slot = point.tier.map_or(last, |t| (t as usize).min(last));
                    if let Some(c) = p
                        .and_then(|p| counts.get_mut(p))
                        .and_then(|c| c.get_mut(slot))
                    {
                        *c += 1;
                    }
                }
                if history_of(key) {
                    part.history.push((
                        key.to_string(),
                        HistoryRow {
                            period: period.to_string(),
                            scores: scores.clone(),
                        },
                    ));
                }
                if batch.is_latest(i) {
                    // A partner's rows are contiguous, in period order.
                    let previous = (i > 0 && batch.position(i) > 1).then(|| {
                        score_points(model, batch, i - 1)
                            .iter()
                            .map(|p| p.reported)
                            .collect()
                    });
                    part.latest
                        .push(latest_row(model, batch, i, key, period, scores, previous));
                }
            }
            part
        },
        |part| {
            for (total, add) in out.tier_counts.iter_mut().zip(part.counts) {
                for (t, a) in total.iter_mut().zip(add) {
                    for (x, y) in t.iter_mut().zip(a) {
                        *x += y;
                    }
                }
            }
            out.latest.extend(part.latest);
            out.touched.extend(part.touched);
            for (key, row) in part.history {
                out.history.entry(key).or_default().push(row);
            }
        },
    );
    out.rows = table.rows;
    out.touched
        .sort_by(|a, b| (&a.key, &a.period).cmp(&(&b.key, &b.period)));
    out
}

/// What corrections and overrides did to table row `row` (`None` when
/// nothing did).
fn touch(model: &Model, gov: &Governance, row: u32, scores: &[ScorePoint]) -> Option<Touched> {
    let corrected = gov
        .corrections
        .as_ref()
        .is_some_and(|c| c.of_row(row).next().is_some());
    let overridden = gov
        .overrides
        .as_ref()
        .is_some_and(|o| o.of_row(row).next().is_some());
    if !corrected && !overridden {
        return None;
    }
    let computed = |s: ScoreId| scores.get(s.index()).and_then(|p| p.computed);
    Some(Touched {
        key: String::new(),
        period: String::new(),
        corrected,
        overridden,
        story: crate::govern::notes::story(model, gov, row, &computed),
    })
}

fn latest_row(
    model: &Model,
    batch: &Batch<'_>,
    i: usize,
    key: &str,
    period: &str,
    scores: Vec<ScorePoint>,
    previous: Option<Vec<f64>>,
) -> Latest {
    let segments = model
        .segments
        .iter()
        .enumerate()
        .map(|(s, def)| {
            let label = batch
                .segments
                .get(s)
                .and_then(|v| v.as_ref())
                .and_then(|v| v.get(i))?;
            model
                .enum_type(def.labels)
                .and_then(|e| e.labels.get(*label as usize))
                .cloned()
        })
        .collect();
    let provisional = batch
        .scores
        .iter()
        .any(|v| v.as_ref().and_then(|v| v.provisional.get(i)) == Some(&1));
    Latest {
        key: key.to_string(),
        period: period.to_string(),
        segments,
        scores,
        previous,
        actions: eval::actions_of(batch, i)
            .into_iter()
            .map(String::from)
            .collect(),
        flags: eval::flags_of(batch, i)
            .into_iter()
            .map(String::from)
            .collect(),
        provisional,
    }
}

fn score_points(model: &Model, batch: &Batch<'_>, i: usize) -> Vec<ScorePoint> {
    model
        .scores
        .iter()
        .enumerate()
        .map(|(s, def)| {
            let Some(v) = batch.scores.get(s).and_then(|v| v.as_ref()) else {
                return ScorePoint {
                    raw: f64::NAN,
                    reported: f64::NAN,
                    tier: None,
                    computed: None,
                };
            };
            let tier = def.tiers.as_ref().and_then(|_| v.tier.get(i).copied());
            let computed = def
                .tiers
                .as_ref()
                .and_then(|_| v.computed_tier.as_ref().unwrap_or(&v.tier).get(i).copied());
            ScorePoint {
                raw: v.adjusted.get(i).copied().unwrap_or(f64::NAN),
                reported: v.reported.get(i).copied().unwrap_or(f64::NAN),
                tier,
                computed,
            }
        })
        .collect()
}
