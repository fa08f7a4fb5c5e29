//! `score --summary`: counts over the reported rows — each score's tiers,
//! each segment's labels, provisional rows, and how often each action and
//! flag fired — the first question after a run.

use indexmap::IndexMap;

use crate::data::table::{MISSING_LABEL, Table};
use crate::eval::{self, Batch, Context, Ordered, Selection};
use crate::model::Model;
use crate::plan::Plan;

/// Counts of reported rows. Every map lists what the scorecard declares, in
/// declared order and with zeros, then anything else seen (the states
/// `provisional` and `insufficient_data` among tiers, `missing`).
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub rows: usize,
    /// Per score with tiers: rows per tier label.
    pub tiers: IndexMap<String, IndexMap<String, usize>>,
    /// Per segment: rows per label.
    pub segments: IndexMap<String, IndexMap<String, usize>>,
    /// Rows with at least one provisional score.
    pub provisional: usize,
    /// Per score: its provisional rows.
    pub provisional_by_score: IndexMap<String, usize>,
    /// Rows on which each action was listed.
    pub actions: IndexMap<String, usize>,
    /// Rows on which each flag was raised.
    pub flags: IndexMap<String, usize>,
}

const MISSING: &str = "missing";

impl Summary {
    /// All zeros, with the declared tiers, segment labels, actions and flags.
    pub fn empty(model: &Model) -> Summary {
        let zeros = |labels: &[String]| labels.iter().map(|l| (l.clone(), 0)).collect();
        let tiers = model
            .scores
            .iter()
            .filter_map(|s| {
                let set = s.tiers.as_ref()?;
                let declared: Vec<String> = set.tiers.iter().map(|t| t.label.clone()).collect();
                Some((s.name.clone(), zeros(&declared)))
            })
            .collect();
        let segments = model
            .segments
            .iter()
            .map(|s| {
                let labels = model
                    .enum_type(s.labels)
                    .map(|t| t.labels.clone())
                    .unwrap_or_default();
                (s.name.clone(), zeros(&labels))
            })
            .collect();
        let mut actions = IndexMap::new();
        for r in &model.rules {
            for a in &r.actions {
                actions.entry(a.clone()).or_insert(0);
            }
        }
        Summary {
            rows: 0,
            tiers,
            segments,
            provisional: 0,
            provisional_by_score: IndexMap::new(),
            actions,
            flags: model.flags.iter().map(|f| (f.name.clone(), 0)).collect(),
        }
    }

    /// Count the batch's reported rows.
    fn add(&mut self, model: &Model, batch: &Batch<'_>, selection: &Selection) {
        for i in 0..batch.len {
            if !eval::selected(batch, i, selection) {
                continue;
            }
            self.rows += 1;
            let mut provisional = false;
            for (k, def) in model.scores.iter().enumerate() {
                let Some(values) = batch.scores.get(k).and_then(|v| v.as_ref()) else {
                    continue;
                };
                if values.provisional.get(i) == Some(&1) {
                    provisional = true;
                    *self
                        .provisional_by_score
                        .entry(def.name.clone())
                        .or_insert(0) += 1;
                }
                if let Some(set) = &def.tiers {
                    let label = values
                        .tier
                        .get(i)
                        .filter(|l| **l != MISSING_LABEL)
                        .and_then(|l| {
                            model
                                .enum_type(set.labels)
                                .and_then(|t| t.labels.get(*l as usize))
                        })
                        .map_or(MISSING, String::as_str);
                    if let Some(counts) = self.tiers.get_mut(&def.name) {
                        *counts.entry(label.to_string()).or_insert(0) += 1;
                    }
                }
            }
            self.provisional += usize::from(provisional);
            for (k, def) in model.segments.iter().enumerate() {
                let label = batch
                    .segments
                    .get(k)
                    .and_then(|v| v.as_ref())
                    .and_then(|v| v.get(i))
                    .filter(|l| **l != MISSING_LABEL)
                    .and_then(|l| {
                        model
                            .enum_type(def.labels)
                            .and_then(|t| t.labels.get(*l as usize))
                    })
                    .map_or(MISSING, String::as_str);
                if let Some(counts) = self.segments.get_mut(&def.name) {
                    *counts.entry(label.to_string()).or_insert(0) += 1;
                }
            }
            for a in eval::actions_of(batch, i) {
                *self.actions.entry(a.to_string()).or_insert(0) += 1;
            }
            for f in eval::flags_of(batch, i) {
                *self.flags.entry(f.to_string()).or_insert(0) += 1;
            }
        }
    }

    /// Add another part's counts.
    fn merge(&mut self, other: Summary) {
        fn sum(into: &mut IndexMap<String, usize>, from: IndexMap<String, usize>) {
            for (k, n) in from {
                *into.entry(k).or_insert(0) += n;
            }
        }
        self.rows += other.rows;
        self.provisional += other.provisional;
        for (score, counts) in other.tiers {
            sum(self.tiers.entry(score).or_default(), counts);
        }
        for (segment, counts) in other.segments {
            sum(self.segments.entry(segment).or_default(), counts);
        }
        sum(&mut self.provisional_by_score, other.provisional_by_score);
        sum(&mut self.actions, other.actions);
        sum(&mut self.flags, other.flags);
    }

    /// The summary as text, for standard error.
    pub fn text(&self) -> String {
        let mut out = format!(
            "\nsummary of the {} reported row{}\n",
            self.rows,
            if self.rows == 1 { "" } else { "s" }
        );
        let percent = |n: usize| {
            if self.rows == 0 {
                String::new()
            } else {
                let mut s = String::new();
                crate::render::push_decimal(&mut s, 100.0 * n as f64 / self.rows as f64, 1);
                s + "%"
            }
        };
        let block = |out: &mut String,
                     title: String,
                     counts: &IndexMap<String, usize>,
                     with_percent: bool| {
            out.push_str(&format!("\n{title}\n"));
            let w = counts.keys().map(|k| k.chars().count()).max().unwrap_or(0);
            let nw = counts
                .values()
                .map(|n| n.to_string().len())
                .max()
                .unwrap_or(0);
            for (label, n) in counts {
                let pad = " ".repeat(w - label.chars().count());
                let line = if with_percent {
                    format!("  {label}{pad}  {n:>nw$}  {:>6}", percent(*n))
                } else {
                    format!("  {label}{pad}  {n:>nw$}")
                };
                out.push_str(line.trim_end());
                out.push('\n');
            }
        };
        for (score, counts) in &self.tiers {
            block(&mut out, format!("tiers of {score}"), counts, true);
        }
        for (segment, counts) in &self.segments {
            block(&mut out, format!("segment {segment}"), counts, true);
        }
        let by_score: Vec<String> = self
            .provisional_by_score
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect();
        out.push_str(&format!(
            "\nprovisional: {} row{}{}\n",
            self.provisional,
            if self.provisional == 1 { "" } else { "s" },
            if by_score.is_empty() {
                String::new()
            } else {
                format!(" ({})", by_score.join(", "))
            }
        ));
        if self.actions.is_empty() {
            out.push_str("\nactions: the scorecard has no rules\n");
        } else {
            block(&mut out, "rows per action".to_string(), &self.actions, true);
        }
        if self.flags.is_empty() {
            out.push_str("\nflags: the scorecard has no flags\n");
        } else {
            block(&mut out, "rows per flag".to_string(), &self.flags, true);
        }
        out
    }
}

/// Count the rows `selection` reports; `tier_overrides` are the tiers
/// approved overrides report in place of the computed ones (tiers, rules and
/// flags are counted as reported).
pub fn summarize(
    model: &Model,
    plan: &Plan,
    table: &Table,
    ordered: &Ordered,
    selection: &Selection,
    tier_overrides: &std::collections::BTreeMap<(u32, crate::model::ScoreId), u32>,
    reread: Option<&crate::data::load::Reread>,
) -> Result<Summary, crate::data::load::Failure> {
    let mut ctx = Context::new(model, plan, table, ordered);
    ctx.tier_overrides = tier_overrides.clone();
    ctx.reread = reread;
    let mut total = Summary::empty(model);
    eval::evaluate(
        &mut ctx,
        |batch| {
            let mut part = Summary::empty(model);
            part.add(model, batch, selection);
            part
        },
        |part| total.merge(part),
    );
    match ctx.failure.get() {
        Some(e) => Err(e.clone()),
        None => Ok(total),
    }
}
