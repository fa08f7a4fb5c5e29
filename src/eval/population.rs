//! Whole-column computations: population normalization within peer groups,
//! and history functions along each partner's rows.

use rayon::prelude::*;

use super::{Col, Context};
use crate::data::table::{Column, MISSING_LABEL};
use crate::model::{GroupKey, HistoryFn};
use crate::plan::SiteKind;
use crate::syntax::ast::Normalizer;

/// Compute a site's result for every ordered row from its input column.
pub fn compute(ctx: &Context<'_>, kind: &SiteKind, input: Col) -> Col {
    match kind {
        SiteKind::History(h) => history(ctx, *h, input),
        SiteKind::Population { kind, within } => {
            let n = ctx.ordered.order.len();
            let values = match input {
                Col::Num(v) => v,
                _ => vec![f64::NAN; n],
            };
            Col::Num(population(ctx, *kind, within, &values))
        }
    }
}

/// A peer-group id per ordered row: same period (when there is one) and the
/// same value of every `within` key.
fn group_ids(ctx: &Context<'_>, within: &[GroupKey]) -> Vec<u64> {
    let n = ctx.ordered.order.len();
    let mut ids = vec![0u64; n];
    let mut keys: Vec<Option<GroupKey>> = Vec::new();
    if ctx.model.contract.period.is_some() {
        keys.push(None);
    }
    keys.extend(within.iter().copied().map(Some));
    for key in keys {
        // Dense codes for this component, then mixed into the id.
        let codes: Vec<u64> = component(ctx, key);
        let distinct = codes.iter().copied().max().map_or(1, |m| m + 1);
        for (id, c) in ids.iter_mut().zip(codes) {
            *id = id.wrapping_mul(distinct).wrapping_add(c);
        }
    }
    ids
}

fn component(ctx: &Context<'_>, key: Option<GroupKey>) -> Vec<u64> {
    let order = &ctx.ordered.order;
    let table = ctx.table;
    let intern = |text: &dyn Fn(usize) -> String| -> Vec<u64> {
        let mut seen: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
        order
            .iter()
            .map(|r| {
                let t = text(*r as usize);
                let next = seen.len() as u64;
                *seen.entry(t).or_insert(next)
            })
            .collect()
    };
    let column = match key {
        None => ctx.model.contract.period,
        Some(GroupKey::Column(c)) => Some(c),
        Some(GroupKey::Segment(_)) => None,
    };
    if let Some(GroupKey::Segment(s)) = key {
        return segment_codes(ctx, s);
    }
    match column.and_then(|c| table.columns.get(c.index())) {
        Some(Column::Text(t)) => intern(&|r| t.get(r).to_string()),
        Some(Column::Label(v)) => order
            .iter()
            .map(|r| {
                u64::from(v.get(*r as usize).copied().unwrap_or(MISSING_LABEL))
                    .min(u64::from(u32::MAX))
            })
            .collect(),
        Some(Column::Bool(v)) => order
            .iter()
            .map(|r| u64::from(v.get(*r as usize).copied().unwrap_or(2)))
            .collect(),
        Some(Column::Number(v)) => {
            intern(&|r| format!("{}", v.get(r).copied().unwrap_or(f64::NAN)))
        }
        _ => vec![0; order.len()],
    }
}

/// Segment labels of every ordered row, computed by a batch pass.
fn segment_codes(ctx: &Context<'_>, s: crate::model::SegmentId) -> Vec<u64> {
    let bounds = super::batch_bounds(ctx.ordered);
    let items = [crate::plan::Item::Segment(s)];
    let parts: Vec<Vec<u64>> = bounds
        .par_iter()
        .map(|&(start, end)| {
            let mut batch = super::Batch::new(ctx, start, end);
            let mut needed: Vec<crate::plan::Item> = ctx.plan.dependencies(items[0], ctx.model);
            needed.push(items[0]);
            let order: Vec<crate::plan::Item> = super::item_order(ctx)
                .into_iter()
                .filter(|i| needed.contains(i) || matches!(i, crate::plan::Item::Segment(_)))
                .collect();
            batch.compute(&order, false);
            batch
                .segments
                .get(s.index())
                .cloned()
                .flatten()
                .unwrap_or_default()
                .into_iter()
                .map(u64::from)
                .collect()
        })
        .collect();
    parts.concat()
}

fn population(
    ctx: &Context<'_>,
    kind: Normalizer,
    within: &[GroupKey],
    values: &[f64],
) -> Vec<f64> {
    let n = values.len();
    let groups = group_ids(ctx, within);
    // Rows with a value, ordered by (group, value); ties keep row order.
    let mut idx: Vec<u32> = (0..n as u32)
        .filter(|i| values.get(*i as usize).is_some_and(|v| !v.is_nan()))
        .collect();
    let value = |i: u32| values.get(i as usize).copied().unwrap_or(f64::NAN);
    let group = |i: u32| groups.get(i as usize).copied().unwrap_or(0);
    idx.par_sort_unstable_by(|a, b| {
        group(*a)
            .cmp(&group(*b))
            .then(value(*a).total_cmp(&value(*b)))
            .then(a.cmp(b))
    });
    let mut out = vec![f64::NAN; n];
    let mut start = 0;
    while start < idx.len() {
        let g = idx.get(start).map_or(0, |i| group(*i));
        let mut end = start;
        while idx.get(end).is_some_and(|i| group(*i) == g) {
            end += 1;
        }
        let members = idx.get(start..end).unwrap_or(&[]);
        match kind {
            Normalizer::Percentile => percentile(members, &value, &mut out),
            Normalizer::MinMax => minmax(members, &value, &mut out),
            Normalizer::ZScore => zscore(members, &value, &mut out),
        }
        start = end;
    }
    out
}

/// Mid-rank percentile: `(100 * less + 50 * equal) / n`, the numerator exact.
fn percentile(members: &[u32], value: &dyn Fn(u32) -> f64, out: &mut [f64]) {
    let n = members.len() as u64;
    let mut k = 0;
    while k < members.len() {
        let v = members.get(k).map_or(f64::NAN, |i| value(*i));
        let mut e = k;
        // Equal as binary64 values (so -0 and 0 are one value).
        while members.get(e).is_some_and(|i| value(*i) == v) {
            e += 1;
        }
        let (less, equal) = (k as u64, (e - k) as u64);
        let pct = (100 * less + 50 * equal) as f64 / n as f64;
        for i in members.get(k..e).unwrap_or(&[]) {
            if let Some(slot) = out.get_mut(*i as usize) {
                *slot = pct;
            }
        }
        k = e.max(k + 1);
    }
}

fn minmax(members: &[u32], value: &dyn Fn(u32) -> f64, out: &mut [f64]) {
    let lo = members.first().map_or(f64::NAN, |i| value(*i));
    let hi = members.last().map_or(f64::NAN, |i| value(*i));
    for i in members {
        let v = if hi == lo {
            50.0
        } else {
            super::ops::finite(100.0 * (value(*i) - lo) / (hi - lo))
        };
        if let Some(slot) = out.get_mut(*i as usize) {
            *slot = v;
        }
    }
}

fn zscore(members: &[u32], value: &dyn Fn(u32) -> f64, out: &mut [f64]) {
    let n = members.len() as f64;
    let mean = members.iter().fold(0.0, |acc, i| acc + value(*i)) / n;
    let var = members
        .iter()
        .fold(0.0, |acc, i| acc + (value(*i) - mean) * (value(*i) - mean))
        / n;
    let sd = var.sqrt();
    for i in members {
        let v = if sd == 0.0 {
            0.0
        } else {
            super::ops::finite((value(*i) - mean) / sd)
        };
        if let Some(slot) = out.get_mut(*i as usize) {
            *slot = v;
        }
    }
}

fn history(ctx: &Context<'_>, h: HistoryFn, input: Col) -> Col {
    let position = &ctx.ordered.position;
    let pos = |i: usize| position.get(i).copied().unwrap_or(1) as usize;
    if h == HistoryFn::Previous {
        let n = position.len();
        let picks: Vec<usize> = (0..n)
            .map(|i| if pos(i) > 1 { i - 1 } else { usize::MAX })
            .collect();
        return input.take(&picks);
    }
    let values = match input {
        Col::Num(v) => v,
        _ => vec![f64::NAN; position.len()],
    };
    let at = |i: usize| values.get(i).copied().unwrap_or(f64::NAN);
    let out = (0..values.len())
        .map(|i| {
            let p = pos(i);
            let prev = if p > 1 { at(i - 1) } else { f64::NAN };
            match h {
                HistoryFn::Previous => prev,
                HistoryFn::Change => super::ops::arith(crate::syntax::ast::BinOp::Sub, at(i), prev),
                HistoryFn::PctChange => {
                    let d = super::ops::arith(crate::syntax::ast::BinOp::Sub, at(i), prev);
                    super::ops::arith(crate::syntax::ast::BinOp::Div, d, prev)
                }
                HistoryFn::MovingAverage(k) => {
                    let from = i + 1 - p.min(k as usize);
                    let present: Vec<f64> = (from..=i).map(at).filter(|v| !v.is_nan()).collect();
                    if present.is_empty() {
                        f64::NAN
                    } else {
                        super::ops::finite(
                            present.iter().fold(0.0, |a, v| a + v) / present.len() as f64,
                        )
                    }
                }
                HistoryFn::Trend(k) => {
                    let from = i + 1 - p.min(k as usize);
                    let points: Vec<(f64, f64)> = (from..=i)
                        .map(|j| ((j - from) as f64, at(j)))
                        .filter(|(_, y)| !y.is_nan())
                        .collect();
                    if points.len() < 2 {
                        f64::NAN
                    } else {
                        let m = points.len() as f64;
                        let mx = points.iter().fold(0.0, |a, (x, _)| a + x) / m;
                        let my = points.iter().fold(0.0, |a, (_, y)| a + y) / m;
                        let sxy = points.iter().fold(0.0, |a, (x, y)| a + (x - mx) * (y - my));
                        let sxx = points.iter().fold(0.0, |a, (x, _)| a + (x - mx) * (x - mx));
                        super::ops::arith(crate::syntax::ast::BinOp::Div, sxy, sxx)
                    }
                }
            }
        })
        .collect();
    Col::Num(out)
}
