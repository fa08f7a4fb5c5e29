//! The impact of a rule change on real data: two versions of a scorecard
//! scored on the same partners, compared partner by partner.

pub mod report;
pub mod rules;

pub use rules::{RuleChange, rule_changes};

use std::collections::BTreeMap;

use indexmap::IndexMap;

use crate::data::table::{Column, Table};
use crate::eval::{self, Context, Selection};
use crate::model::*;
use crate::plan::{CDefinition, Plan};

/// One scored row, as the comparison needs it.
#[derive(Clone, Debug, Default)]
pub struct Scored {
    /// Reported value of each score, by name (NaN when missing).
    pub scores: IndexMap<String, f64>,
    /// Tier label of each score with tiers.
    pub tiers: IndexMap<String, String>,
    pub provisional: bool,
    pub actions: Vec<String>,
    /// Each metric's contribution to each score it is weighted in (weight × points),
    /// by (score, metric).
    pub contributions: IndexMap<(String, String), f64>,
}

/// Each score's tier labels in declared order, then `provisional` and
/// `insufficient_data`.
impl crate::govern::notes::TierSlot for Scored {
    fn set_tier(&mut self, score: &str, label: &str) {
        if let Some(slot) = self.tiers.get_mut(score) {
            *slot = label.to_string();
        }
    }
}

pub fn tier_orders(model: &Model) -> IndexMap<String, Vec<String>> {
    model
        .scores
        .iter()
        .filter_map(|s| {
            let set = s.tiers.as_ref()?;
            let labels = model.enum_type(set.labels)?.labels.clone();
            Some((s.name.clone(), labels))
        })
        .collect()
}

/// Score every reported row; rows are keyed by "key period".
pub fn score_rows(model: &Model, table: &Table, selection: &Selection) -> IndexMap<String, Scored> {
    score_rows_overridden(model, table, selection, &BTreeMap::new())
}

/// [`score_rows`], with the tiers approved overrides report in place of the
/// computed ones (`(table row, score)` to a tier label index), so rules and
/// flags act on the reported tier as `scorecard score` does.
pub fn score_rows_overridden(
    model: &Model,
    table: &Table,
    selection: &Selection,
    tier_overrides: &BTreeMap<(u32, crate::model::ScoreId), u32>,
) -> IndexMap<String, Scored> {
    score_keyed(model, table, selection, tier_overrides)
        .into_iter()
        .map(|(key, period, s)| (format!("{key} {period}").trim_end().to_string(), s))
        .collect()
}

/// Score every reported row, in (key, period) order: the key, the period
/// label (empty without a period column) and the result.
pub fn score_keyed(
    model: &Model,
    table: &Table,
    selection: &Selection,
    tier_overrides: &BTreeMap<(u32, crate::model::ScoreId), u32>,
) -> Vec<(String, String, Scored)> {
    let plan = crate::plan::compile(model);
    let ordered = eval::order_rows(model, table);
    let mut ctx = Context::new(model, &plan, table, &ordered);
    ctx.tier_overrides = tier_overrides.clone();
    let text = |id: Option<ColumnId>| match id.and_then(|c| table.columns.get(c.index())) {
        Some(Column::Text(t)) => Some(t),
        _ => None,
    };
    let (keys, periods) = (text(model.contract.key), text(model.contract.period));
    let mut out = Vec::new();
    eval::evaluate(
        &mut ctx,
        |batch| {
            let mut rows = Vec::new();
            for i in 0..batch.len {
                if !eval::selected(batch, i, selection) {
                    continue;
                }
                let row = batch.rows.get(i).copied().unwrap_or(0) as usize;
                let key = keys.map_or("", |k| k.get(row));
                let period = periods.map_or("", |p| p.get(row));
                rows.push((
                    key.to_string(),
                    period.to_string(),
                    scored(model, &plan, batch, i),
                ));
            }
            rows
        },
        |rows| out.extend(rows),
    );
    out
}

fn scored(model: &Model, plan: &Plan, batch: &eval::Batch<'_>, i: usize) -> Scored {
    let mut s = Scored {
        actions: eval::actions_of(batch, i)
            .into_iter()
            .map(String::from)
            .collect(),
        ..Scored::default()
    };
    for (k, def) in model.scores.iter().enumerate() {
        let Some(values) = batch.scores.get(k).and_then(|v| v.as_ref()) else {
            continue;
        };
        s.scores.insert(
            def.name.clone(),
            values.reported.get(i).copied().unwrap_or(f64::NAN),
        );
        s.provisional |= values.provisional.get(i) == Some(&1);
        if let Some(set) = &def.tiers {
            let label = values
                .tier
                .get(i)
                .and_then(|l| {
                    model
                        .enum_type(set.labels)
                        .and_then(|t| t.labels.get(*l as usize))
                })
                .cloned()
                .unwrap_or_else(|| "(none)".to_string());
            s.tiers.insert(def.name.clone(), label);
        }
        // The terms of the definition this row used.
        let which = values.definition.get(i).copied().unwrap_or(0) as usize;
        let Some(cs) = plan.scores.get(k) else {
            continue;
        };
        let definition = if which == 0 {
            Some(&cs.definition)
        } else {
            cs.overrides.get(which - 1).map(|(_, _, d)| d)
        };
        let terms: Vec<(f64, MetricId)> = match definition {
            Some(CDefinition::Weighted(t)) => t.clone(),
            Some(CDefinition::Layered(layers)) => layers
                .iter()
                .flat_map(|(w, t)| t.iter().map(move |(f, m)| (w * f, *m)))
                .collect(),
            Some(CDefinition::Sum { metrics, .. }) => metrics.iter().map(|m| (1.0, *m)).collect(),
            _ => Vec::new(),
        };
        for (w, m) in terms {
            let points = batch
                .metric_points
                .get(m.index())
                .and_then(|p| p.as_ref())
                .and_then(|p| p.get(i))
                .copied()
                .unwrap_or(f64::NAN);
            if let Some(metric) = model.metric(m) {
                s.contributions
                    .insert((def.name.clone(), metric.name.clone()), w * points);
            }
        }
    }
    s
}
