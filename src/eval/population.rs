//! Whole-column computations: population normalization within peer groups,
//! and history functions along each partner's rows.

use rayon::prelude::*;

use super::{Col, Context};
use crate::data::table::{Column, MISSING_LABEL};
use crate::model::{GroupKey, HistoryFn};
use crate::plan::SiteKind;
use crate::syntax::ast::Normalizer;

/// Compute a site's result for every ordered row from its input column.
pub fn compute(ctx: &Context<'_>, kind: &SiteKind, input: Col, groups: Option<&[u64]>) -> Col {
    match kind {
        SiteKind::History(h) => history(ctx, *h, input),
        SiteKind::Population { kind, within } => {
            let n = ctx.ordered.order.len();
            let values = match input {
                Col::Num(v) => v,
                _ => vec![f64::NAN; n],
            };
            let owned;
            let groups = match groups {
                Some(g) => g,
                None => {
                    owned = group_ids(ctx, within);
                    &owned
                }
            };
            Col::Num(population(*kind, groups, &values))
        }
    }
}

/// A peer-group id per ordered row: same period (when there is one) and the
/// same value of every `within` key.
/// A dense peer-group id per ordered row: same period (when there is one) and
/// the same value of every `within` key.
pub fn group_ids(ctx: &Context<'_>, within: &[GroupKey]) -> Vec<u64> {
    let mut ids: Vec<u64> = ctx
        .ordered
        .period_ids
        .iter()
        .map(|p| u64::from(*p))
        .collect();
    let mut cardinality = u64::from(ctx.ordered.periods);
    for key in within {
        let codes: Vec<u64> = component(ctx, Some(*key));
        let distinct = codes.iter().copied().max().map_or(1, |m| m + 1);
        if cardinality.checked_mul(distinct).is_none() {
            // Too many combinations for mixed radix: renumber densely first.
            let mut seen: std::collections::HashMap<u64, u64> = std::collections::HashMap::new();
            for id in ids.iter_mut() {
                let next = seen.len() as u64;
                *id = *seen.entry(*id).or_insert(next);
            }
            cardinality = (seen.len() as u64).max(1);
        }
        for (id, c) in ids.iter_mut().zip(codes) {
            *id = *id * distinct + c;
        }
        cardinality = cardinality.saturating_mul(distinct);
    }
    ids
}

fn component(ctx: &Context<'_>, key: Option<GroupKey>) -> Vec<u64> {
    let order = &ctx.ordered.order;
    let table = ctx.table;
    let intern_text = |t: &crate::data::table::TextColumn| -> Vec<u64> {
        let mut seen: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
        order
            .iter()
            .map(|r| {
                let text = t.get(*r as usize);
                let next = seen.len() as u64;
                *seen.entry(text).or_insert(next)
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
        Some(Column::Text(t)) => intern_text(t),
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
            let mut seen: std::collections::HashMap<u64, u64> = std::collections::HashMap::new();
            order
                .iter()
                .map(|r| {
                    let bits = (v.get(*r as usize).copied().unwrap_or(f64::NAN) + 0.0).to_bits();
                    let next = seen.len() as u64;
                    *seen.entry(bits).or_insert(next)
                })
                .collect()
        }
        _ => vec![0; order.len()],
    }
}

/// Segment labels of every ordered row, computed by a batch pass.
fn segment_codes(ctx: &Context<'_>, s: crate::model::SegmentId) -> Vec<u64> {
    use crate::plan::Item;
    // Everything the segment reads, transitively (sites are already computed).
    let mut needed: std::collections::BTreeSet<Item> = std::collections::BTreeSet::new();
    let mut stack = vec![Item::Segment(s)];
    while let Some(item) = stack.pop() {
        if matches!(item, Item::Site(_)) || !needed.insert(item) {
            continue;
        }
        stack.extend(ctx.plan.dependencies(item, ctx.model));
    }
    let order: Vec<Item> = super::item_order(ctx)
        .into_iter()
        .filter(|i| needed.contains(i))
        .collect();
    let bounds = super::batch_bounds(ctx.ordered);
    let parts: Vec<Vec<u64>> = bounds
        .par_iter()
        .map(|&(start, end)| {
            let mut batch = super::Batch::new(ctx, start, end);
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

/// An order-preserving map of binary64 values to integers (after -0 becomes 0,
/// so values equal as binary64 map to one integer).
fn ordered_bits(x: f64) -> u64 {
    let b = (x + 0.0).to_bits();
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
}

fn population(kind: Normalizer, groups: &[u64], values: &[f64]) -> Vec<f64> {
    let n = values.len();
    // Peer groups as dense 32-bit numbers, so (group, value, row) packs into
    // one u128 whose order is the order wanted: peers together, by value.
    let mut dense: std::collections::HashMap<u64, u32> = std::collections::HashMap::new();
    let small = groups.iter().all(|g| *g <= u64::from(u32::MAX));
    let mut packed: Vec<u128> = values
        .iter()
        .zip(groups)
        .enumerate()
        .filter(|(_, (v, _))| !v.is_nan())
        .map(|(i, (v, g))| {
            let group = if small {
                *g as u32
            } else {
                let next = dense.len() as u32;
                *dense.entry(*g).or_insert(next)
            };
            (u128::from(group) << 96) | (u128::from(ordered_bits(*v)) << 32) | i as u128
        })
        .collect();
    packed.par_sort_unstable();
    let keys: Vec<(u64, u64, u32)> = packed
        .iter()
        .map(|k| ((k >> 96) as u64, (k >> 32) as u64, *k as u32))
        .collect();
    drop(packed);
    let idx: Vec<u32> = keys.iter().map(|k| k.2).collect();
    let value = |i: u32| values.get(i as usize).copied().unwrap_or(f64::NAN);
    let mut out = vec![f64::NAN; n];
    let mut start = 0;
    while start < keys.len() {
        let g = keys.get(start).map_or(0, |k| k.0);
        let mut end = start;
        while keys.get(end).is_some_and(|k| k.0 == g) {
            end += 1;
        }
        let members = idx.get(start..end).unwrap_or(&[]);
        match kind {
            Normalizer::Percentile => percentile(members, &value, &mut out),
            Normalizer::MinMax => minmax(members, &value, &mut out),
            Normalizer::ZScore => zscore(members, &value, &mut out),
        }
        start = end.max(start + 1);
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
                    // A missing value in the window makes the mean missing.
                    let window: Vec<f64> = (from..=i).map(at).collect();
                    super::ops::finite(window.iter().fold(0.0, |a, v| a + v) / window.len() as f64)
                }
                HistoryFn::Trend(k) => {
                    let from = i + 1 - p.min(k as usize);
                    let points: Vec<(f64, f64)> =
                        (from..=i).map(|j| ((j - from) as f64, at(j))).collect();
                    if points.len() < 2 || points.iter().any(|(_, y)| y.is_nan()) {
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
