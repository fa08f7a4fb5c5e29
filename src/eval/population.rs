//! Whole-column computations: population normalization within peer groups,
//! and history functions along each partner's rows.

use rayon::prelude::*;

use super::{Col, Context, ops};
use crate::data::table::{Column, MISSING_BOOL, MISSING_LABEL};
use crate::model::{GroupKey, HistoryFn};
use crate::plan::SiteKind;
use crate::vocab::Normalizer;

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
            Col::Num(population(*kind, groups, values))
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

/// A dense code per ordered row: the order in which its key was first seen.
fn intern<K: std::hash::Hash + Eq>(order: &[u32], key: impl Fn(usize) -> K) -> Vec<u64> {
    let mut seen: std::collections::HashMap<K, u64> = std::collections::HashMap::new();
    order
        .iter()
        .map(|r| {
            let next = seen.len() as u64;
            *seen.entry(key(*r as usize)).or_insert(next)
        })
        .collect()
}

fn component(ctx: &Context<'_>, key: Option<GroupKey>) -> Vec<u64> {
    let order = &ctx.ordered.order;
    let table = ctx.table;
    let column = match key {
        // The period's dense ids, numbered as `intern` would number them.
        None => {
            return ctx
                .ordered
                .period_ids
                .iter()
                .map(|p| u64::from(*p))
                .collect();
        }
        Some(GroupKey::Column(c)) => Some(c),
        Some(GroupKey::Segment(s)) => return segment_codes(ctx, s),
    };
    match column.and_then(|c| table.columns.get(c.index())) {
        Some(Column::Text(t)) => intern(order, |r| t.get(r)),
        Some(Column::Label(v)) => order
            .iter()
            .map(|r| {
                u64::from(v.get(*r as usize).copied().unwrap_or(MISSING_LABEL))
                    .min(u64::from(u32::MAX))
            })
            .collect(),
        Some(Column::Int(v)) => intern(order, |r| v.key(r)),
        Some(Column::Bool(v)) => order
            .iter()
            .map(|r| u64::from(v.get(*r as usize).copied().unwrap_or(2)))
            .collect(),
        // Values equal as binary64 (-0 and 0) are one key.
        Some(Column::Number(v)) => intern(order, |r| {
            (v.get(r).copied().unwrap_or(f64::NAN) + 0.0).to_bits()
        }),
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
    let only = super::columns_of(ctx, &order);
    let plan = ctx.reread.map(|r| r.plan(&only));
    let parts: Vec<Vec<u64>> = bounds
        .par_iter()
        .map(|&(start, end)| {
            let mut batch = super::Batch::new(ctx, start, end);
            batch.read_late(plan.as_ref());
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

/// One member of a peer group: its value's order-preserving bits (its
/// result's bits once computed), and its row.
type Member = (u64, u32);

/// The row of a member.
fn row(m: &Member) -> usize {
    m.1 as usize
}

/// Each value's normalization within its peer group, computed in place:
/// a group's rows are overwritten only once the group is done, and no
/// other group reads them.
fn population(kind: Normalizer, groups: &[u64], mut values: Vec<f64>) -> Vec<f64> {
    let n = values.len();
    // Peer groups as dense numbers, then the rows of each group together (in
    // row order): a counting sort, 4 bytes a row.
    let dense = dense_groups(groups, &values);
    let count = dense
        .iter()
        .filter(|g| **g != NO_GROUP)
        .max()
        .map_or(0, |g| *g as usize + 1);
    let mut starts = vec![0usize; count + 1];
    for g in dense.iter().filter(|g| **g != NO_GROUP) {
        if let Some(s) = starts.get_mut(*g as usize + 1) {
            *s += 1;
        }
    }
    for i in 1..starts.len() {
        let before = starts.get(i - 1).copied().unwrap_or(0);
        if let Some(s) = starts.get_mut(i) {
            *s += before;
        }
    }
    let mut next = starts.clone();
    let mut rows = vec![0u32; starts.last().copied().unwrap_or(0)];
    for (r, g) in dense.iter().enumerate() {
        if let Some(at) = next.get_mut(*g as usize) {
            if let Some(slot) = rows.get_mut(*at) {
                *slot = r as u32;
            }
            *at += 1;
        }
    }
    drop(dense);
    drop(next);
    // Groups are sorted by (value, row) and computed in parallel, in waves
    // of about an eighth of the rows, whose results are then written out.
    let groups: Vec<(usize, usize)> = starts
        .windows(2)
        .filter_map(|w| match w {
            [a, b] if b > a => Some((*a, *b)),
            _ => None,
        })
        .collect();
    let wave_rows = (n / 8).max(1 << 16);
    let mut from = 0;
    while from < groups.len() {
        let mut to = from + 1;
        let mut size = groups.get(from).map_or(0, |(a, b)| b - a);
        while let Some((a, b)) = groups.get(to) {
            if size + (b - a) > wave_rows {
                break;
            }
            size += b - a;
            to += 1;
        }
        let shared: &[f64] = &values;
        let done: Vec<Vec<Member>> = groups
            .get(from..to)
            .unwrap_or_default()
            .par_iter()
            .map(|&(a, b)| {
                let mut members = sorted_members(rows.get(a..b).unwrap_or_default(), shared);
                match kind {
                    Normalizer::Percentile => percentile(&mut members),
                    Normalizer::MinMax => minmax(&mut members, shared),
                    Normalizer::ZScore => zscore(&mut members, shared),
                }
                members
            })
            .collect();
        for m in done.iter().flatten() {
            if let Some(slot) = values.get_mut(row(m)) {
                *slot = f64::from_bits(m.0);
            }
        }
        from = to;
    }
    // Rows with a missing value are in no group, and stay missing.
    values
}

/// A peer group's members (its rows, in row order, with their values)
/// sorted by value, rows in order among equal values.
fn sorted_members(rows: &[u32], values: &[f64]) -> Vec<Member> {
    let mut members: Vec<Member> = rows
        .iter()
        .map(|r| {
            (
                ordered_bits(values.get(*r as usize).copied().unwrap_or(0.0)),
                *r,
            )
        })
        .collect();
    sort_members(&mut members);
    members
}

/// Sort a peer group's members (gathered in row order) by value, rows in
/// order among equal values: a comparison sort of (value, row) when the
/// group is small, a radix sort of the values' bits up to half a million
/// members (8 MiB, and as much again to sort into), and beyond, a
/// comparison sort in place on every thread. Measured on W1: the radix
/// sort takes the percentile of 1M rows from 52 to 41 ms; at 10M rows it
/// was slower than the parallel sort (0.72 against 0.57 s a site, its
/// scattered writes over 40 MiB) and took 90 MiB more.
fn sort_members(members: &mut Vec<Member>) {
    if members.len() < 1 << 12 {
        members.sort_unstable();
        return;
    }
    if members.len() > 1 << 19 {
        members.par_sort_unstable();
        return;
    }
    // A least-significant-digit radix sort is stable, so rows stay in the
    // order they were gathered in: the order of (value, row).
    const BITS: u32 = 11;
    const DIGITS: usize = 6;
    const MASK: u64 = (1 << BITS) - 1;
    let digit = |bits: u64, d: usize| ((bits >> (BITS as usize * d)) & MASK) as usize;
    let n = members.len();
    let mut counts = vec![[0u32; 1 << BITS]; DIGITS];
    for m in members.iter() {
        for (d, count) in counts.iter_mut().enumerate() {
            if let Some(c) = count.get_mut(digit(m.0, d)) {
                *c += 1;
            }
        }
    }
    let first = members.first().map_or(0, |m| m.0);
    let mut from = std::mem::take(members);
    let mut to: Vec<Member> = vec![(0, 0); n];
    for (d, count) in counts.iter_mut().enumerate() {
        if count.get(digit(first, d)).is_some_and(|c| *c as usize == n) {
            // Every member has this digit: nothing moves.
            continue;
        }
        let mut sum = 0;
        for c in count.iter_mut() {
            let here = *c;
            *c = sum;
            sum += here;
        }
        for m in &from {
            if let Some(at) = count.get_mut(digit(m.0, d)) {
                if let Some(slot) = to.get_mut(*at as usize) {
                    *slot = *m;
                }
                *at += 1;
            }
        }
        std::mem::swap(&mut from, &mut to);
    }
    *members = from;
}

/// The dense group of a row whose value is missing.
const NO_GROUP: u32 = u32::MAX;

/// A dense peer-group number per row ([`NO_GROUP`] for a missing value).
fn dense_groups(groups: &[u64], values: &[f64]) -> Vec<u32> {
    let max = groups.iter().copied().max().unwrap_or(0);
    // Ids already small are kept (an unused id is an empty group).
    let small = max < u64::from(NO_GROUP) && (max as usize) <= 2 * groups.len();
    let mut seen: std::collections::HashMap<u64, u32> = std::collections::HashMap::new();
    groups
        .iter()
        .zip(values)
        .map(|(g, v)| {
            if v.is_nan() {
                NO_GROUP
            } else if small {
                *g as u32
            } else {
                let next = seen.len() as u32;
                *seen.entry(*g).or_insert(next)
            }
        })
        .collect()
}

/// The value of a member.
fn value_of(values: &[f64], m: &Member) -> f64 {
    values.get(row(m)).copied().unwrap_or(f64::NAN)
}

/// Mid-rank percentile: `(100 * less + 50 * equal) / n`, the numerator exact.
///
/// Values equal as binary64 have equal order-preserving bits, so runs of
/// equal values are found on the sorted bits alone.
fn percentile(members: &mut [Member]) {
    let n = members.len() as u64;
    let mut k = 0;
    while k < members.len() {
        let v = members.get(k).map_or(0, |m| m.0);
        let mut e = k;
        while members.get(e).is_some_and(|m| m.0 == v) {
            e += 1;
        }
        let (less, equal) = (k as u64, (e - k) as u64);
        let pct = (100 * less + 50 * equal) as f64 / n as f64;
        for m in members.get_mut(k..e).unwrap_or_default() {
            m.0 = pct.to_bits();
        }
        k = e.max(k + 1);
    }
}

fn minmax(members: &mut [Member], values: &[f64]) {
    let lo = members.first().map_or(f64::NAN, |m| value_of(values, m));
    let hi = members.last().map_or(f64::NAN, |m| value_of(values, m));
    for m in members.iter_mut() {
        let v = if hi == lo {
            50.0
        } else {
            ops::min_max(value_of(values, m), lo, hi)
        };
        m.0 = v.to_bits();
    }
}

/// Below this a variance may have lost digits to underflow (its squares
/// near 2^-1022): the values are scaled up first.
const SMALLEST_SAFE_VARIANCE: f64 = 1e-270;

/// The peers' mean and variance (two passes), of the values scaled by
/// 2^-shift (exactly, as a power of two).
fn moments(members: &[Member], values: &[f64], shift: i32) -> (f64, f64) {
    let n = members.len() as f64;
    let value = |m: &Member| ops::times_power_of_two(value_of(values, m), -shift);
    let mean = members.iter().fold(0.0, |acc, m| acc + value(m)) / n;
    let var = members
        .iter()
        .fold(0.0, |acc, m| acc + (value(m) - mean) * (value(m) - mean))
        / n;
    (mean, var)
}

/// `(x - mean) / sd` among the peers. When a step would leave the range of
/// binary64 — squares of values near 1e160 overflow, squares of values near
/// 1e-170 underflow — every value is first scaled by the same power of two,
/// which changes no digit of the result.
fn zscore(members: &mut [Member], values: &[f64]) {
    let value = |m: &Member| value_of(values, m);
    // Members are sorted by value: the largest in size is at one end.
    let lowest = members.first().map_or(0.0, value);
    let highest = members.last().map_or(0.0, value);
    let (mut mean, mut var) = moments(members, values, 0);
    let mut shift = 0;
    let safe =
        mean.is_finite() && var.is_finite() && (var >= SMALLEST_SAFE_VARIANCE || lowest == highest);
    if !safe {
        shift = ops::largest_exponent(&[lowest, highest]);
        (mean, var) = moments(members, values, shift);
    }
    let sd = var.sqrt();
    for m in members.iter_mut() {
        let v = if sd == 0.0 {
            0.0
        } else {
            ops::finite((ops::times_power_of_two(value(m), -shift) - mean) / sd)
        };
        m.0 = v.to_bits();
    }
}

fn history(ctx: &Context<'_>, h: HistoryFn, input: Col) -> Col {
    let position = &ctx.ordered.position;
    let pos = |i: usize| position.get(i).copied().unwrap_or(1) as usize;
    if h == HistoryFn::Previous {
        if let Col::Num(mut v) = input {
            // In place, from the end: row i takes row i - 1's value before
            // row i - 1 is overwritten.
            for i in (0..v.len()).rev() {
                let before = if pos(i) > 1 && i > 0 {
                    v.get(i - 1).copied().unwrap_or(f64::NAN)
                } else {
                    f64::NAN
                };
                if let Some(slot) = v.get_mut(i) {
                    *slot = before;
                }
            }
            return Col::Num(v);
        }
        let n = position.len();
        let picks: Vec<usize> = (0..n)
            .map(|i| if pos(i) > 1 { i - 1 } else { usize::MAX })
            .collect();
        return input.take(&picks);
    }
    match h {
        HistoryFn::RunningCount => {
            return Col::Num(super::running::count(|i| input.is_missing(i), position));
        }
        HistoryFn::PeriodsSince | HistoryFn::Streak => {
            let conditions = match input {
                Col::Bool(v) => v,
                _ => vec![MISSING_BOOL; position.len()],
            };
            return Col::Num(if h == HistoryFn::Streak {
                super::running::streak(&conditions, position)
            } else {
                super::running::periods_since(&conditions, position)
            });
        }
        _ => {}
    }
    let values = match input {
        Col::Num(v) => v,
        _ => vec![f64::NAN; position.len()],
    };
    match h {
        HistoryFn::RunningSum => return Col::Num(super::running::sum(&values, position)),
        HistoryFn::RunningMin | HistoryFn::RunningMax => {
            let greatest = h == HistoryFn::RunningMax;
            return Col::Num(super::running::extreme(&values, position, greatest));
        }
        _ => {}
    }
    let at = |i: usize| values.get(i).copied().unwrap_or(f64::NAN);
    let out = (0..values.len())
        .map(|i| {
            let p = pos(i);
            let prev = if p > 1 { at(i - 1) } else { f64::NAN };
            match h {
                HistoryFn::Previous => prev,
                // Computed above, each in one pass along the column.
                HistoryFn::RunningSum
                | HistoryFn::RunningCount
                | HistoryFn::RunningMin
                | HistoryFn::RunningMax
                | HistoryFn::PeriodsSince
                | HistoryFn::Streak => f64::NAN,
                HistoryFn::Change => ops::arith(crate::vocab::BinOp::Sub, at(i), prev),
                HistoryFn::PctChange => ops::pct_change(at(i), prev),
                HistoryFn::MovingAverage(k) => {
                    let from = i + 1 - p.min(k as usize);
                    // A missing value in the window makes the mean missing.
                    let window: Vec<f64> = (from..=i).map(at).collect();
                    ops::mean(&window)
                }
                HistoryFn::Trend(k) => {
                    let from = i + 1 - p.min(k as usize);
                    let ys: Vec<f64> = (from..=i).map(at).collect();
                    if ys.len() < 2 || ys.iter().any(|y| y.is_nan()) {
                        f64::NAN
                    } else {
                        slope(&ys)
                    }
                }
            }
        })
        .collect();
    Col::Num(out)
}

/// The least-squares slope of `ys` against 0, 1, 2, …: `sxy / sxx` about the
/// means. When a step leaves the range of binary64 (values near 1e308), the
/// values are first scaled by a power of two, which changes no digit of a
/// slope that is in range.
fn slope(ys: &[f64]) -> f64 {
    let direct = slope_scaled(ys, 0);
    if direct.is_finite() {
        return direct;
    }
    let shift = ops::largest_exponent(ys);
    ops::finite(ops::times_power_of_two(slope_scaled(ys, shift), shift))
}

/// The slope of `ys` scaled by 2^-shift; infinite or NaN when a step is
/// beyond range.
fn slope_scaled(ys: &[f64], shift: i32) -> f64 {
    let m = ys.len() as f64;
    let y = |v: &f64| ops::times_power_of_two(*v, -shift);
    let xs = || (0..ys.len()).map(|j| j as f64);
    let mx = xs().fold(0.0, |a, x| a + x) / m;
    let my = ys.iter().fold(0.0, |a, v| a + y(v)) / m;
    let sxy = xs()
        .zip(ys)
        .fold(0.0, |a, (x, v)| a + (x - mx) * (y(v) - my));
    let sxx = xs().fold(0.0, |a, x| a + (x - mx) * (x - mx));
    if sxx == 0.0 { f64::NAN } else { sxy / sxx }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The radix sort gives the order of (value, row) that a comparison
    /// sort gives: ties in row order, negative values, both zeros, a
    /// missing-free mix of few and many distinct values, around its
    /// thresholds (and past the upper one, where a parallel comparison
    /// sort takes over).
    #[test]
    fn radix_sorted_members_are_in_value_then_row_order() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for (n, distinct) in [
            (4_095, 10),
            (4_096, 3),
            (5_000, 1),
            (70_000, 1 << 40),
            (20_000, 500),
            (65_536, 7),
            (131_073, 1),
            (1 << 19, 1 << 30),
            ((1 << 19) + 1, 1 << 30),
        ] {
            let values: Vec<f64> = (0..n)
                .map(|_| {
                    let k = (next() % distinct) as f64;
                    match next() % 4 {
                        0 => -k / 8.0,
                        1 => 0.0,
                        2 => -0.0,
                        _ => k * 1.5e-3,
                    }
                })
                .collect();
            let members: Vec<Member> = values
                .iter()
                .enumerate()
                .map(|(r, v)| (ordered_bits(*v), r as u32))
                .collect();
            let mut want = members.clone();
            want.sort_unstable();
            let mut got = members;
            sort_members(&mut got);
            assert_eq!(got, want, "{n} members, {distinct} distinct values");
            // From the rows and their values.
            let rows: Vec<u32> = (0..n as u32).collect();
            assert_eq!(sorted_members(&rows, &values), want, "{n} members");
        }
    }
}
