//! Row order: the rows in (key, period) order, each row's place in its
//! partner's history, and the period labels' formats.

use super::*;

/// The rows in (key, period) order, and each row's place in its partner's history.
#[derive(Debug)]
pub struct Ordered {
    /// Ordered position → table row.
    pub order: Vec<u32>,
    /// 1-based position of the row among its partner's rows.
    pub position: Vec<u32>,
    /// Whether the row is its partner's latest.
    pub latest: Vec<bool>,
    /// Periods since the partner's first row ([`NO_TENURE`] when the period
    /// labels are written in more than one format).
    pub tenure: Vec<i32>,
    /// A dense id of each row's period (0 when there is no period column),
    /// and how many distinct periods there are.
    pub period_ids: Vec<u32>,
    pub periods: u32,
}

pub(super) fn text_column(
    table: &Table,
    id: Option<ColumnId>,
) -> Option<&crate::data::table::TextColumn> {
    match table.columns.get(id?.index())? {
        Column::Text(t) => Some(t),
        _ => None,
    }
}

/// The tenure of rows whose periods cannot be counted: missing.
pub const NO_TENURE: i32 = i32::MIN;

/// Order the rows by key, then period (string order), and number each partner's rows.
pub fn order_rows(model: &Model, table: &Table) -> Ordered {
    let n = table.rows;
    let keys = text_column(table, model.contract.key);
    let periods = text_column(table, model.contract.period);
    let key = |i: u32| keys.map_or("", |k| k.get(i as usize));
    let period = |i: u32| periods.map_or("", |p| p.get(i as usize));
    let mut order: Vec<u32> = (0..n as u32).collect();
    // Whether each ordered row starts a partner's rows (its key differs
    // from the row before's), a bit per row, and whether the rows are in
    // order already: one comparison of each pair of neighbours, on every
    // thread.
    let neighbours = |order: &[u32]| -> (Vec<u64>, bool) {
        let words: Vec<(u64, bool)> = (0..order.len().div_ceil(64))
            .into_par_iter()
            .map(|w| {
                let (mut bits, mut in_order) = (0u64, true);
                for i in w * 64..((w + 1) * 64).min(order.len()) {
                    let pair = (i.checked_sub(1).and_then(|p| order.get(p)), order.get(i));
                    let new_key = match pair {
                        (Some(a), Some(b)) => match key(*a).cmp(key(*b)) {
                            std::cmp::Ordering::Less => true,
                            std::cmp::Ordering::Equal => {
                                in_order &= period(*a) <= period(*b);
                                false
                            }
                            std::cmp::Ordering::Greater => {
                                in_order = false;
                                true
                            }
                        },
                        _ => true,
                    };
                    bits |= u64::from(new_key) << (i % 64);
                }
                (bits, in_order)
            })
            .collect();
        let in_order = words.iter().all(|(_, o)| *o);
        (words.into_iter().map(|(bits, _)| bits).collect(), in_order)
    };
    let (mut starts, in_order) = neighbours(&order);
    if !in_order {
        order.par_sort_by(|a, b| {
            key(*a)
                .cmp(key(*b))
                .then_with(|| period(*a).cmp(period(*b)))
                .then(a.cmp(b))
        });
        starts = neighbours(&order).0;
    }
    let new_key = |i: usize| starts.get(i / 64).is_none_or(|w| w >> (i % 64) & 1 == 1);
    // Period ids by first appearance in row order: a few distinct periods
    // are found by comparing with each, many through a map.
    let mut distinct: Vec<&str> = Vec::new();
    let mut seen: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    let period_ids: Vec<u32> = match periods {
        Some(_) => order
            .iter()
            .map(|r| {
                let text = period(*r);
                if let Some(i) = distinct.iter().position(|d| *d == text) {
                    return i as u32;
                }
                if distinct.len() < 16 {
                    distinct.push(text);
                    return (distinct.len() - 1) as u32;
                }
                if seen.is_empty() {
                    seen.extend(distinct.iter().enumerate().map(|(i, d)| (*d, i as u32)));
                }
                let next = seen.len() as u32;
                *seen.entry(text).or_insert(next)
            })
            .collect(),
        None => vec![0; n],
    };
    let count = seen.len().max(distinct.len());
    // Each distinct period's index, parsed once.
    let mut labels: Vec<&str> = vec![""; count];
    for (text, id) in distinct
        .iter()
        .enumerate()
        .map(|(i, d)| (*d, i as u32))
        .chain(seen.iter().map(|(d, i)| (*d, *i)))
    {
        if let Some(slot) = labels.get_mut(id as usize) {
            *slot = text;
        }
    }
    // Labels in two formats give no number of periods: tenure is missing
    // (data files with them are refused when loaded, D025).
    let mixed = mixed_period_formats(labels.iter().copied()).is_some();
    let indexes: Vec<Option<i64>> = labels.iter().map(|l| period_index(l)).collect();
    let index_at = |i: usize| {
        period_ids
            .get(i)
            .and_then(|id| indexes.get(*id as usize))
            .copied()
            .flatten()
    };
    let mut position = vec![0u32; n];
    let mut latest = vec![false; n];
    let mut tenure = vec![0i32; n];
    let mut start = 0usize;
    while start < n {
        let mut end = start + 1;
        while end < n && !new_key(end) {
            end += 1;
        }
        let base = index_at(start);
        for (k, i) in (start..end).enumerate() {
            if let Some(p) = position.get_mut(i) {
                *p = (k + 1) as u32;
            }
            if let Some(l) = latest.get_mut(i) {
                *l = i + 1 == end;
            }
            // Period indexes have four-digit years, so differences are small.
            let t = match (base, index_at(i)) {
                _ if mixed => NO_TENURE,
                (Some(b), Some(p)) => i32::try_from(p - b).unwrap_or(i32::MAX),
                _ => i32::try_from(k).unwrap_or(i32::MAX),
            };
            if let Some(slot) = tenure.get_mut(i) {
                *slot = t;
            }
        }
        start = end;
    }
    Ordered {
        order,
        position,
        latest,
        tenure,
        period_ids,
        periods: (count as u32).max(1),
    }
}
