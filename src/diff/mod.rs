//! The impact of a rule change on real data: two versions of a scorecard
//! scored on the same partners, compared partner by partner.

pub mod report;

use indexmap::IndexMap;
use serde::Serialize;

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

/// Score every reported row; rows are keyed by "key period".
pub fn score_rows(model: &Model, table: &Table, selection: &Selection) -> IndexMap<String, Scored> {
    let plan = crate::plan::compile(model);
    let ordered = eval::order_rows(model, table);
    let mut ctx = Context::new(model, &plan, table, &ordered);
    let text = |id: Option<ColumnId>| match id.and_then(|c| table.columns.get(c.index())) {
        Some(Column::Text(t)) => Some(t),
        _ => None,
    };
    let (keys, periods) = (text(model.contract.key), text(model.contract.period));
    let mut out = IndexMap::new();
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
                    format!("{key} {period}").trim_end().to_string(),
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

/// A change in the rules themselves, found by comparing the two models.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RuleChange {
    pub what: String,
}

fn weights_of(model: &Model, score: &ScoreDef) -> Vec<(String, String, f64)> {
    let mut out = Vec::new();
    let mut push = |scope: String, d: &Definition| match d {
        Definition::Weighted(terms) => {
            for t in terms {
                if let Some(m) = model.metric(t.metric) {
                    out.push((scope.clone(), m.name.clone(), t.percent));
                }
            }
        }
        Definition::Layered(layers) => {
            for l in layers {
                for t in &l.terms {
                    if let Some(m) = model.metric(t.metric) {
                        out.push((
                            format!("{scope}, layer {}", l.layer.name()),
                            m.name.clone(),
                            t.percent,
                        ));
                    }
                }
            }
        }
        _ => {}
    };
    push(String::new(), &score.definition);
    for o in &score.overrides {
        let segment = model.segment(o.segment);
        let labels: Vec<String> = o
            .labels
            .iter()
            .filter_map(|l| {
                segment
                    .and_then(|s| model.enum_type(s.labels))
                    .and_then(|t| t.labels.get(*l as usize))
                    .cloned()
            })
            .collect();
        let name = segment.map(|s| s.name.clone()).unwrap_or_default();
        push(format!("for {name} {}", labels.join(", ")), &o.definition);
    }
    out
}

fn fmt(x: f64) -> String {
    crate::check::resolve::format_number(x)
}

fn rubric_text(r: &Rubric) -> String {
    match &r.points {
        PointsRule::Identity => "the value itself".into(),
        PointsRule::Scale { x0, p0, x1, p1 } => format!(
            "scale {} => {}, {} => {}",
            fmt(*x0),
            fmt(*p0),
            fmt(*x1),
            fmt(*p1)
        ),
        PointsRule::Bands(bands) => {
            let parts: Vec<String> = bands
                .iter()
                .map(|b| format!("{} => {}", b.condition.describe(), fmt(b.points)))
                .collect();
            format!("{{ {} }}", parts.join("  "))
        }
        PointsRule::Normalize { kind, .. } => kind.keyword().to_string(),
        PointsRule::Expr(_) => "= an expression".into(),
    }
}

fn tiers_text(t: &TierSet) -> String {
    t.tiers
        .iter()
        .map(|x| match x.threshold {
            Some((op, v)) => format!("{} {} {}", x.label, op.symbol(), fmt(v)),
            None => format!("{} otherwise", x.label),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The source text of an expression, spaces folded.
fn source_of(sources: &crate::source::SourceMap, e: &Expr) -> String {
    sources
        .text(e.loc.file)
        .get(e.loc.span.range())
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// What changed in the rules: weights, thresholds, formulas, conditions,
/// metrics and scores.
pub fn rule_changes(
    old: &Model,
    old_sources: &crate::source::SourceMap,
    new: &Model,
    new_sources: &crate::source::SourceMap,
) -> Vec<RuleChange> {
    let mut out = Vec::new();
    let mut say = |what: String| out.push(RuleChange { what });
    for m in &old.metrics {
        if !new.metrics.iter().any(|x| x.name == m.name) {
            say(format!("metric `{}` removed", m.name));
        }
    }
    for m in &new.metrics {
        match old.metrics.iter().find(|x| x.name == m.name) {
            None => say(format!("metric `{}` added", m.name)),
            Some(o) => {
                let (a, b) = (rubric_text(&o.rubric), rubric_text(&m.rubric));
                if a != b {
                    say(format!("metric `{}` points: {a} → {b}", m.name));
                }
                if o.missing_value != m.missing_value {
                    say(format!(
                        "metric `{}` missing value: {:?} → {:?}",
                        m.name, o.missing_value, m.missing_value
                    ));
                }
            }
        }
    }
    for s in &old.scores {
        if !new.scores.iter().any(|x| x.name == s.name) {
            say(format!("score `{}` removed", s.name));
        }
    }
    for s in &new.scores {
        let Some(o) = old.scores.iter().find(|x| x.name == s.name) else {
            say(format!("score `{}` added", s.name));
            continue;
        };
        let (before, after) = (weights_of(old, o), weights_of(new, s));
        for (scope, metric, w) in &after {
            let scope_text = if scope.is_empty() {
                String::new()
            } else {
                format!(" ({scope})")
            };
            match before.iter().find(|(sc, m, _)| sc == scope && m == metric) {
                Some((_, _, v)) if v != w => say(format!(
                    "score `{}`{scope_text}: weight of `{metric}` {} → {}",
                    s.name,
                    fmt(*v),
                    fmt(*w)
                )),
                None => say(format!(
                    "score `{}`{scope_text}: `{metric}` weighted {}",
                    s.name,
                    fmt(*w)
                )),
                _ => {}
            }
        }
        for (scope, metric, v) in &before {
            if !after.iter().any(|(sc, m, _)| sc == scope && m == metric) {
                let scope_text = if scope.is_empty() {
                    String::new()
                } else {
                    format!(" ({scope})")
                };
                say(format!(
                    "score `{}`{scope_text}: `{metric}` no longer weighted (was {})",
                    s.name,
                    fmt(*v)
                ));
            }
        }
        match (&o.tiers, &s.tiers) {
            (Some(a), Some(b)) if tiers_text(a) != tiers_text(b) => say(format!(
                "tiers of `{}`: {} → {}",
                s.name,
                tiers_text(a),
                tiers_text(b)
            )),
            _ => {}
        }
        if let (Definition::Value(a), Definition::Value(b)) = (&o.definition, &s.definition) {
            let (a, b) = (source_of(old_sources, a), source_of(new_sources, b));
            if a != b {
                say(format!("score `{}`: value {a} → {b}", s.name));
            }
        }
        let guard = |d: &ScoreDef| {
            format!(
                "{:?} {:?} {:?} {:?} {:?}",
                d.smoothing, d.max_change, d.floor, d.cap, d.min_periods
            )
        };
        if guard(o) != guard(s) {
            say(format!("score `{}`: guardrails changed", s.name));
        }
    }
    for r in &new.rules {
        match old.rules.iter().find(|x| x.name == r.name) {
            None => say(format!("rule `{}` added", r.name)),
            Some(o) if o.actions != r.actions || o.priority != r.priority => {
                say(format!("rule `{}` changed its actions or priority", r.name))
            }
            _ => {}
        }
    }
    for r in &old.rules {
        if !new.rules.iter().any(|x| x.name == r.name) {
            say(format!("rule `{}` removed", r.name));
        }
    }
    out
}
