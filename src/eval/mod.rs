//! Evaluate: a plan over a table, column at a time.
//!
//! Rows are put in (key, period) order once. The ordered rows are cut into
//! segments of a few thousand rows that never split a partner, and each
//! segment is evaluated as one batch: every item (segment, metric, score,
//! flag, rule, output column) is computed for the whole batch before the next,
//! in dependency order. A score's guardrails run as a recurrence along each
//! partner's rows inside the batch. Segments are independent, so they run in
//! parallel and their results are delivered in order: the same bytes for any
//! number of threads.
//!
//! Population and history functions read whole columns; their inputs are
//! computed in earlier passes over all rows (see `plan`).

pub mod ops;
mod population;
mod running;

use rayon::prelude::*;

use crate::data::table::{Column, IntWidth, Ints, MISSING_BOOL, MISSING_LABEL, Table};
use crate::model::*;
use crate::plan::{CDefinition, CExpr, CPoints, CRubric, CmpKind, Item, Plan, SiteKind};
use crate::vocab::CmpOp;
use ops::{and, arith, compare, finite, not, or};

/// Rows per batch, rounded up to the next partner boundary.
pub const BATCH_ROWS: usize = 4096;

/// A batch of values of one type.
#[derive(Clone, Debug, PartialEq)]
pub enum Col {
    Num(Vec<f64>),
    Bool(Vec<u8>),
    Label(Vec<u32>),
    Text(Vec<String>),
    /// The actions fired, read from the batch's rules.
    Actions,
    /// The flags raised, read from the batch's flags.
    FlagNames,
}

impl Col {
    /// The number of values held (none for the computed kinds).
    fn len(&self) -> usize {
        match self {
            Col::Num(v) => v.len(),
            Col::Bool(v) => v.len(),
            Col::Label(v) => v.len(),
            Col::Text(v) => v.len(),
            Col::Actions | Col::FlagNames => 0,
        }
    }

    fn num(self, n: usize) -> Vec<f64> {
        match self {
            Col::Num(v) => v,
            Col::Bool(v) => v
                .into_iter()
                .map(|b| {
                    if b == MISSING_BOOL {
                        f64::NAN
                    } else {
                        f64::from(b)
                    }
                })
                .collect(),
            _ => vec![f64::NAN; n],
        }
    }

    fn boolean(self, n: usize) -> Vec<u8> {
        match self {
            Col::Bool(v) => v,
            _ => vec![MISSING_BOOL; n],
        }
    }

    fn label(self, n: usize) -> Vec<u32> {
        match self {
            Col::Label(v) => v,
            _ => vec![MISSING_LABEL; n],
        }
    }

    /// Whether value `i` is missing.
    pub fn is_missing(&self, i: usize) -> bool {
        match self {
            Col::Num(v) => v.get(i).is_none_or(|x| x.is_nan()),
            Col::Bool(v) => v.get(i).is_none_or(|x| *x == MISSING_BOOL),
            Col::Label(v) => v.get(i).is_none_or(|x| *x == MISSING_LABEL),
            Col::Text(v) => v.get(i).is_none_or(String::is_empty),
            Col::Actions | Col::FlagNames => false,
        }
    }

    /// Values `start..start + len` (missing past the end).
    fn range(&self, start: usize, len: usize) -> Col {
        fn part<T: Clone>(v: &[T], start: usize, len: usize, missing: T) -> Vec<T> {
            let mut out: Vec<T> = v
                .get(start..)
                .unwrap_or_default()
                .iter()
                .take(len)
                .cloned()
                .collect();
            out.resize(len, missing);
            out
        }
        match self {
            Col::Num(v) => Col::Num(part(v, start, len, f64::NAN)),
            Col::Bool(v) => Col::Bool(part(v, start, len, MISSING_BOOL)),
            Col::Label(v) => Col::Label(part(v, start, len, MISSING_LABEL)),
            Col::Text(v) => Col::Text(part(v, start, len, String::new())),
            Col::Actions => Col::Actions,
            Col::FlagNames => Col::FlagNames,
        }
    }

    fn take(&self, picks: &[usize]) -> Col {
        fn pick<T: Clone>(v: &[T], picks: &[usize], missing: T) -> Vec<T> {
            picks
                .iter()
                .map(|&i| v.get(i).cloned().unwrap_or_else(|| missing.clone()))
                .collect()
        }
        match self {
            Col::Num(v) => Col::Num(pick(v, picks, f64::NAN)),
            Col::Bool(v) => Col::Bool(pick(v, picks, MISSING_BOOL)),
            Col::Label(v) => Col::Label(pick(v, picks, MISSING_LABEL)),
            Col::Text(v) => Col::Text(pick(v, picks, String::new())),
            Col::Actions => Col::Actions,
            Col::FlagNames => Col::FlagNames,
        }
    }
}

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

fn text_column(table: &Table, id: Option<ColumnId>) -> Option<&crate::data::table::TextColumn> {
    match table.columns.get(id?.index())? {
        Column::Text(t) => Some(t),
        _ => None,
    }
}

/// The ways of writing a period label that give a number of periods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeriodFormat {
    /// `2025`
    Year,
    /// `2025Q4`
    Quarter,
    /// `2025q4`, which orders as text apart from `2025Q4`.
    LowerQuarter,
    /// `2025-11`
    Month,
    /// Anything else: `2025-11-30`, `FY25`, `week 3`.
    Other,
}

impl PeriodFormat {
    /// What a label of this format is, for messages: `a quarter`.
    pub fn described(self) -> &'static str {
        match self {
            PeriodFormat::Year => "a year",
            PeriodFormat::Quarter => "a quarter",
            PeriodFormat::LowerQuarter => "a quarter written with a lowercase `q`",
            PeriodFormat::Month => "a month",
            PeriodFormat::Other => "not a year, quarter or month",
        }
    }
}

/// The tenure of rows whose periods cannot be counted: missing.
pub const NO_TENURE: i32 = i32::MIN;

/// Four ASCII digits as a year.
fn year_of(digits: &[u8]) -> Option<i64> {
    (digits.len() == 4 && digits.iter().all(u8::is_ascii_digit))
        .then(|| digits.iter().fold(0, |y, d| y * 10 + i64::from(d - b'0')))
}

/// A period label's format and its number of periods (in years, quarters
/// or months since year 0): `2025Q4`, `2025q4`, `2025-11`, `2025`.
pub fn period_format(label: &str) -> (PeriodFormat, Option<i64>) {
    let b = label.as_bytes();
    let Some(year) = b.get(..4).and_then(year_of) else {
        return (PeriodFormat::Other, None);
    };
    match b.get(4..) {
        Some([]) => (PeriodFormat::Year, Some(year)),
        Some([q @ (b'Q' | b'q'), n @ b'1'..=b'4']) => (
            if *q == b'Q' {
                PeriodFormat::Quarter
            } else {
                PeriodFormat::LowerQuarter
            },
            Some(year * 4 + i64::from(n - b'1')),
        ),
        Some([b'-', m1 @ b'0'..=b'1', m2 @ b'0'..=b'9']) => {
            let month = i64::from(m1 - b'0') * 10 + i64::from(m2 - b'0');
            if (1..=12).contains(&month) {
                (PeriodFormat::Month, Some(year * 12 + month - 1))
            } else {
                (PeriodFormat::Other, None)
            }
        }
        _ => (PeriodFormat::Other, None),
    }
}

/// A period label as a number of periods: `2025Q4`, `2025-11`, `2025`.
pub fn period_index(label: &str) -> Option<i64> {
    period_format(label).1
}

/// The first two labels, in the order given, that are written in different
/// formats ([`period_format`]), as their positions: periods written in two
/// formats cannot be counted (`2025-01` and `2025Q1` are 24,300 and 8,100
/// periods after year 0) and do not sort in time order as text.
pub fn mixed_period_formats<'t>(
    labels: impl IntoIterator<Item = &'t str>,
) -> Option<(usize, usize)> {
    let mut first: Option<(usize, PeriodFormat)> = None;
    for (i, label) in labels.into_iter().enumerate() {
        if label.is_empty() {
            continue;
        }
        let format = period_format(label).0;
        match first {
            None => first = Some((i, format)),
            Some((at, f)) if f != format => return Some((at, i)),
            Some(_) => {}
        }
    }
    None
}

/// Order the rows by key, then period (string order), and number each partner's rows.
pub fn order_rows(model: &Model, table: &Table) -> Ordered {
    let n = table.rows;
    let keys = text_column(table, model.contract.key);
    let periods = text_column(table, model.contract.period);
    let key = |i: u32| keys.map_or("", |k| k.get(i as usize));
    let period = |i: u32| periods.map_or("", |p| p.get(i as usize));
    let mut order: Vec<u32> = (0..n as u32).collect();
    let sorted = order
        .windows(2)
        .all(|w| matches!(w, [a, b] if (key(*a), period(*a)) <= (key(*b), period(*b))));
    if !sorted {
        order.par_sort_by(|a, b| {
            key(*a)
                .cmp(key(*b))
                .then_with(|| period(*a).cmp(period(*b)))
                .then(a.cmp(b))
        });
    }
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
        let first = order.get(start).copied().unwrap_or(0);
        let mut end = start + 1;
        while end < n && order.get(end).is_some_and(|r| key(*r) == key(first)) {
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

/// Which rows a run reports.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selection {
    pub period: PeriodChoice,
    /// Only this partner.
    pub partner: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub enum PeriodChoice {
    /// Each partner's latest row.
    #[default]
    Latest,
    All,
    Label(String),
}

/// Everything computed for one batch of rows.
pub struct Batch<'a> {
    pub ctx: &'a Context<'a>,
    /// Ordered position of the first row.
    pub start: usize,
    pub len: usize,
    /// Table row of each position.
    pub rows: Vec<u32>,
    pub metric_values: Vec<Option<Col>>,
    /// Whether each metric's value was missing before `missing value`.
    pub metric_missing: Vec<Option<Vec<u8>>>,
    pub metric_points: Vec<Option<Vec<f64>>>,
    pub segments: Vec<Option<Vec<u32>>>,
    pub scores: Vec<Option<ScoreValues>>,
    pub flags: Vec<Option<Vec<u8>>>,
    pub rules: Vec<Option<Vec<u8>>>,
    pub outputs: Vec<Col>,
}

/// A score's stages for a batch.
#[derive(Clone, Debug, Default)]
pub struct ScoreValues {
    /// The definition's value (step 1 of the guardrails).
    pub raw: Vec<f64>,
    /// Raw with the adjustments applied (step 2).
    pub adjusted: Vec<f64>,
    pub smoothed: Vec<f64>,
    pub reported: Vec<f64>,
    pub provisional: Vec<u8>,
    pub insufficient: Vec<u8>,
    /// Label index into the score's tier set (tiers, then provisional, insufficient_data).
    pub tier: Vec<u32>,
    /// Which definition each row used: 0 the score's own, `k` the `k`-th override.
    pub definition: Vec<u32>,
}

/// What every batch reads: the model, the plan, the table and the whole columns.
pub struct Context<'a> {
    pub model: &'a Model,
    pub plan: &'a Plan,
    pub table: &'a Table,
    pub ordered: &'a Ordered,
    /// Materialized site results by ordered position.
    pub sites: Vec<Option<Col>>,
}

impl<'a> Context<'a> {
    pub fn new(model: &'a Model, plan: &'a Plan, table: &'a Table, ordered: &'a Ordered) -> Self {
        Context {
            model,
            plan,
            table,
            ordered,
            sites: vec![None; plan.sites.len()],
        }
    }
}

/// Split the ordered rows into batches that never cut a partner's rows.
pub fn batch_bounds(ordered: &Ordered) -> Vec<(usize, usize)> {
    let n = ordered.order.len();
    let mut out = Vec::new();
    let mut start = 0;
    while start < n {
        let mut end = (start + BATCH_ROWS).min(n);
        while end < n && ordered.position.get(end).is_some_and(|p| *p > 1) {
            end += 1;
        }
        out.push((start, end));
        start = end;
    }
    out
}

/// The closure of what `roots` read, among items computable before pass `pass`.
fn needed_items(
    ctx: &Context<'_>,
    roots: &[Item],
    pass: usize,
) -> std::collections::BTreeSet<Item> {
    let mut seen = std::collections::BTreeSet::new();
    // The roots are sites: what they read is needed, not the sites themselves.
    let mut stack: Vec<Item> = roots
        .iter()
        .flat_map(|r| ctx.plan.dependencies(*r, ctx.model))
        .collect();
    while let Some(item) = stack.pop() {
        if matches!(item, Item::Site(_)) || !seen.insert(item) {
            continue;
        }
        for dep in ctx.plan.dependencies(item, ctx.model) {
            let level = ctx.plan.levels.get(&dep).copied().unwrap_or(0);
            if level < pass || !matches!(dep, Item::Site(_)) {
                stack.push(dep);
            }
        }
    }
    seen
}

/// Items in the order the batch computes them.
fn item_order(ctx: &Context<'_>) -> Vec<Item> {
    let mut out = Vec::new();
    for node in &ctx.model.order {
        match node {
            Node::Segment(s) => out.push(Item::Segment(*s)),
            Node::Metric(m) => {
                out.push(Item::MetricValue(*m));
                out.push(Item::MetricPoints(*m));
            }
            Node::Score(s) => out.push(Item::Score(*s)),
            Node::Flag(f) => out.push(Item::Flag(*f)),
        }
    }
    out.extend((0..ctx.model.rules.len()).map(|i| Item::Rule(RuleId(i as u32))));
    out
}

/// The resident memory now and at its peak, for `SCORECARD_TIMING`.
pub fn resident() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|k| k.parse::<u64>().ok())
            .map_or(0, |k| k / 1024)
    };
    format!(
        "resident {} MiB (peak {} MiB)",
        field("VmRSS:"),
        field("VmHWM:")
    )
}

/// Evaluate every pass; the last one delivers each batch to a sink made by
/// `make` and hands the sinks to `consume` in row order.
pub fn evaluate<S, M, C>(ctx: &mut Context<'_>, make: M, mut consume: C)
where
    S: Send,
    M: Fn(&Batch<'_>) -> S + Sync,
    C: FnMut(S),
{
    let timing = std::env::var_os("SCORECARD_TIMING").is_some();
    let clock = std::time::Instant::now();
    let bounds = batch_bounds(ctx.ordered);
    let order = item_order(ctx);
    let passes = ctx.plan.passes.max(1);
    for pass in 1..passes {
        let sites: Vec<usize> = (0..ctx.plan.sites.len())
            .filter(|i| ctx.plan.sites.get(*i).is_some_and(|s| s.level == pass))
            .collect();
        let roots: Vec<Item> = sites.iter().map(|i| Item::Site(*i)).collect();
        let needed = needed_items(ctx, &roots, pass);
        let items: Vec<Item> = order
            .iter()
            .copied()
            .filter(|i| needed.contains(i))
            .collect();
        // Each site's input for every row: numbers are written by the
        // batches straight into one column per site; other kinds come back
        // per batch and are joined.
        let n = ctx.ordered.order.len();
        let mut numbers: Vec<Vec<f64>> = sites.iter().map(|_| vec![f64::NAN; n]).collect();
        let shared: &Context<'_> = ctx;
        let slots: Vec<Vec<&mut [f64]>> = {
            let mut per_batch: Vec<Vec<&mut [f64]>> = bounds
                .iter()
                .map(|_| Vec::with_capacity(sites.len()))
                .collect();
            for column in &mut numbers {
                let mut rest: &mut [f64] = column;
                for (slots, &(start, end)) in per_batch.iter_mut().zip(&bounds) {
                    let taken = std::mem::take(&mut rest);
                    let (part, tail) = taken.split_at_mut((end - start).min(taken.len()));
                    slots.push(part);
                    rest = tail;
                }
            }
            per_batch
        };
        let others: Vec<Vec<Option<Col>>> = bounds
            .par_iter()
            .zip(slots)
            .map(|(&(start, end), mut slots)| {
                let mut batch = Batch::new(shared, start, end);
                batch.compute(&items, false);
                sites
                    .iter()
                    .zip(slots.iter_mut())
                    .map(|(i, slot)| {
                        let col = shared
                            .plan
                            .sites
                            .get(*i)
                            .map(|site| batch.eval(&site.input, None));
                        match col {
                            Some(Col::Num(v)) => {
                                for (s, x) in slot.iter_mut().zip(v) {
                                    *s = x;
                                }
                                None
                            }
                            None => None,
                            other => other,
                        }
                    })
                    .collect()
            })
            .collect();
        if timing {
            eprintln!("pass {pass} inputs: {:?}, {}", clock.elapsed(), resident());
        }
        // Sites of one level are independent of each other; peer groups are
        // computed once for all the sites that group alike.
        let shared: &Context<'_> = ctx;
        let mut groupings: Vec<&[GroupKey]> = Vec::new();
        for i in &sites {
            if let Some(SiteKind::Population { within, .. }) =
                shared.plan.sites.get(*i).map(|s| &s.kind)
            {
                if !groupings.contains(&within.as_slice()) {
                    groupings.push(within);
                }
            }
        }
        let groups: Vec<Vec<u64>> = groupings
            .par_iter()
            .map(|w| population::group_ids(shared, w))
            .collect();
        // The sites are computed one after another, each sort using every
        // thread, so that one site's work is in memory at a time.
        let mut per_site: Vec<Vec<Col>> = sites.iter().map(|_| Vec::new()).collect();
        for batch in others {
            for (parts, col) in per_site
                .iter_mut()
                .zip(batch)
                .filter_map(|(p, c)| Some((p, c?)))
            {
                parts.push(col);
            }
        }
        let mut results: Vec<(usize, Col)> = Vec::with_capacity(sites.len());
        for ((site_index, parts), numbers) in sites.iter().zip(per_site).zip(numbers) {
            let Some(site) = shared.plan.sites.get(*site_index) else {
                continue;
            };
            let ids = match &site.kind {
                SiteKind::Population { within, .. } => groupings
                    .iter()
                    .position(|w| *w == within.as_slice())
                    .and_then(|g| groups.get(g))
                    .map(Vec::as_slice),
                SiteKind::History(_) => None,
            };
            // A site's input is numbers unless a batch gave another kind.
            let input = if parts.is_empty() {
                Col::Num(numbers)
            } else {
                drop(numbers);
                concat(parts)
            };
            if timing {
                eprintln!(
                    "  site {site_index} input: {:?}, {}",
                    clock.elapsed(),
                    resident()
                );
            }
            results.push((
                *site_index,
                population::compute(shared, &site.kind, input, ids),
            ));
        }
        for (site_index, result) in results {
            if let Some(slot) = ctx.sites.get_mut(site_index) {
                *slot = Some(result);
            }
        }
        if timing {
            eprintln!("pass {pass} sites: {:?}, {}", clock.elapsed(), resident());
        }
    }
    let shared: &Context<'_> = ctx;
    let all: Vec<Item> = order;
    // Windows of batches run in parallel and are consumed in order; while
    // this thread consumes one window, the pool computes the next.
    let window = rayon::current_num_threads().max(1) * 4;
    let compute = |group: &[(usize, usize)]| -> Vec<S> {
        group
            .par_iter()
            .map(|&(start, end)| {
                let mut batch = Batch::new(shared, start, end);
                batch.compute(&all, true);
                make(&batch)
            })
            .collect()
    };
    let mut done: Vec<S> = Vec::new();
    for group in bounds.chunks(window) {
        if crate::interrupt::requested() {
            done.clear();
            break;
        }
        let mut next: Vec<S> = Vec::new();
        rayon::in_place_scope(|scope| {
            scope.spawn(|_| next = compute(group));
            for sink in done.drain(..) {
                consume(sink);
            }
        });
        done = next;
    }
    for sink in done {
        consume(sink);
    }
    if timing {
        eprintln!("final pass: {:?}, {}", clock.elapsed(), resident());
    }
}

/// The batches' parts of a column joined, each part freed once copied.
fn concat(parts: Vec<Col>) -> Col {
    fn join<T>(parts: Vec<Col>, pick: impl Fn(Col) -> Option<Vec<T>>) -> Vec<T> {
        let mut out = Vec::with_capacity(parts.iter().map(Col::len).sum());
        for part in parts {
            if let Some(values) = pick(part) {
                out.extend(values);
            }
        }
        out
    }
    match parts.first() {
        Some(Col::Bool(_)) => Col::Bool(join(parts, |c| {
            if let Col::Bool(v) = c { Some(v) } else { None }
        })),
        Some(Col::Label(_)) => Col::Label(join(parts, |c| {
            if let Col::Label(v) = c { Some(v) } else { None }
        })),
        Some(Col::Text(_)) => Col::Text(join(parts, |c| {
            if let Col::Text(v) = c { Some(v) } else { None }
        })),
        _ => Col::Num(join(parts, |c| {
            if let Col::Num(v) = c { Some(v) } else { None }
        })),
    }
}

impl<'a> Batch<'a> {
    fn new(ctx: &'a Context<'a>, start: usize, end: usize) -> Self {
        let m = ctx.model;
        Batch {
            ctx,
            start,
            len: end - start,
            rows: ctx
                .ordered
                .order
                .get(start..end)
                .map(<[u32]>::to_vec)
                .unwrap_or_default(),
            metric_values: vec![None; m.metrics.len()],
            metric_missing: vec![None; m.metrics.len()],
            metric_points: vec![None; m.metrics.len()],
            segments: vec![None; m.segments.len()],
            scores: vec![None; m.scores.len()],
            flags: vec![None; m.flags.len()],
            rules: vec![None; m.rules.len()],
            outputs: Vec::new(),
        }
    }

    /// Each output column with its values for the batch.
    pub fn output_columns(&self) -> impl Iterator<Item = (&crate::plan::OutputColumn, &Col)> {
        self.ctx.plan.outputs.iter().zip(&self.outputs)
    }

    /// 1-based position of the batch's `i`-th row in its partner's history.
    pub fn position(&self, i: usize) -> u32 {
        self.ctx
            .ordered
            .position
            .get(self.start + i)
            .copied()
            .unwrap_or(1)
    }

    /// Whether the batch's `i`-th row is its partner's latest.
    pub fn is_latest(&self, i: usize) -> bool {
        self.ctx
            .ordered
            .latest
            .get(self.start + i)
            .copied()
            .unwrap_or(false)
    }

    fn compute(&mut self, items: &[Item], outputs: bool) {
        for item in items {
            match *item {
                Item::Segment(s) => self.segment(s),
                Item::MetricValue(m) => self.metric_value(m),
                Item::MetricPoints(m) => self.metric_points(m),
                Item::Score(s) => self.score(s),
                Item::Flag(f) => {
                    let v = self.condition(self.ctx.plan.flags.get(f.index()));
                    if let Some(slot) = self.flags.get_mut(f.index()) {
                        *slot = Some(v);
                    }
                }
                Item::Rule(r) => {
                    let v = self.condition(self.ctx.plan.rules.get(r.index()));
                    if let Some(slot) = self.rules.get_mut(r.index()) {
                        *slot = Some(v);
                    }
                }
                Item::Site(_) => {}
            }
        }
        if outputs {
            let columns = &self.ctx.plan.outputs;
            self.outputs = columns.iter().map(|c| self.eval(&c.expr, None)).collect();
        }
    }

    /// A condition is met only where it is true (missing is not met).
    fn condition(&self, e: Option<&CExpr>) -> Vec<u8> {
        match e {
            Some(e) => self
                .eval(e, None)
                .boolean(self.len)
                .into_iter()
                .map(|b| u8::from(b == 1))
                .collect(),
            None => vec![0; self.len],
        }
    }

    fn segment(&mut self, s: SegmentId) {
        let n = self.len;
        let labels = match (
            self.ctx.model.segment(s).map(|d| &d.source),
            self.ctx.plan.segments.get(s.index()),
        ) {
            (Some(SegmentSource::Column(c)), _) => self.column(*c).label(n),
            (_, Some(Some(rules))) => {
                let mut out = vec![MISSING_LABEL; n];
                let mut open = n;
                for (label, condition) in rules {
                    if open == 0 {
                        break;
                    }
                    let hits = match condition {
                        Some(c) => self.eval(c, None).boolean(n),
                        None => vec![1; n],
                    };
                    for (slot, hit) in out.iter_mut().zip(hits) {
                        if *slot == MISSING_LABEL && hit == 1 {
                            *slot = *label;
                            open -= 1;
                        }
                    }
                }
                out
            }
            _ => vec![MISSING_LABEL; n],
        };
        if let Some(slot) = self.segments.get_mut(s.index()) {
            *slot = Some(labels);
        }
    }

    fn metric_value(&mut self, m: MetricId) {
        let Some(cm) = self.ctx.plan.metrics.get(m.index()) else {
            return;
        };
        let mut value = self.eval(&cm.value, None);
        let missing: Vec<u8> = (0..self.len)
            .map(|i| u8::from(value.is_missing(i)))
            .collect();
        if let (Some(fill), Col::Num(v)) = (cm.missing_value, &mut value) {
            for x in v.iter_mut() {
                if x.is_nan() {
                    *x = fill;
                }
            }
        }
        if let Some(slot) = self.metric_values.get_mut(m.index()) {
            *slot = Some(value);
        }
        if let Some(slot) = self.metric_missing.get_mut(m.index()) {
            *slot = Some(missing);
        }
    }

    fn metric_points(&mut self, m: MetricId) {
        let Some(cm) = self.ctx.plan.metrics.get(m.index()) else {
            return;
        };
        let n = self.len;
        let value = self
            .metric_values
            .get(m.index())
            .cloned()
            .flatten()
            .unwrap_or(Col::Num(vec![f64::NAN; n]));
        let mut points = self.rubric(&cm.rubric, &value, m);
        for (segment, labels, rubric) in cm.segment_rubrics.iter().rev() {
            // Later blocks first, so the first matching block is written last and wins.
            let seg = self
                .segments
                .get(segment.index())
                .cloned()
                .flatten()
                .unwrap_or_default();
            if !seg.iter().any(|l| labels.contains(l)) {
                continue;
            }
            let alt = self.rubric(rubric, &value, m);
            for ((p, a), l) in points.iter_mut().zip(alt).zip(&seg) {
                if labels.contains(l) {
                    *p = a;
                }
            }
        }
        if let Some(slot) = self.metric_points.get_mut(m.index()) {
            *slot = Some(points);
        }
    }

    fn rubric(&self, rubric: &CRubric, value: &Col, metric: MetricId) -> Vec<f64> {
        let n = self.len;
        let mut points = match &rubric.points {
            CPoints::Identity => value.clone().num(n),
            CPoints::Scale { x0, p0, x1, p1 } => {
                let (lo, hi) = (p0.min(*p1), p0.max(*p1));
                value
                    .clone()
                    .num(n)
                    .into_iter()
                    .map(|x| {
                        let y = ops::scale(x, (*x0, *p0), (*x1, *p1));
                        if y.is_nan() {
                            f64::NAN
                        } else {
                            y.max(lo).min(hi)
                        }
                    })
                    .collect()
            }
            CPoints::Bands(bands) => self.bands(bands, value, metric),
            CPoints::Site(i) => self.site(*i).num(n),
            CPoints::Expr(e) => self.eval(e, Some(value)).num(n),
        };
        if let Some(fill) = rubric.missing_points {
            for p in points.iter_mut() {
                if p.is_nan() {
                    *p = fill;
                }
            }
        }
        points
    }

    fn bands(&self, bands: &[BandDef], value: &Col, metric: MetricId) -> Vec<f64> {
        let ty = self
            .ctx
            .plan
            .metrics
            .get(metric.index())
            .map_or(Type::Number, |m| m.value_ty);
        let labels: Option<&EnumType> = match ty {
            Type::Enum(e) => self.ctx.model.enum_type(e),
            _ => None,
        };
        (0..self.len)
            .map(|i| {
                let missing = value.is_missing(i);
                for band in bands {
                    let hit = match &band.condition {
                        BandCond::Missing => missing,
                        _ if missing => false,
                        BandCond::Else => true,
                        BandCond::Compare(op, x) => match value {
                            Col::Num(v) => v.get(i).is_some_and(|y| op.holds(*y, *x)),
                            _ => false,
                        },
                        BandCond::Interval {
                            low,
                            low_closed,
                            high,
                            high_closed,
                        } => match value {
                            Col::Num(v) => v.get(i).is_some_and(|y| {
                                (if *low_closed { *y >= *low } else { *y > *low })
                                    && (if *high_closed {
                                        *y <= *high
                                    } else {
                                        *y < *high
                                    })
                            }),
                            _ => false,
                        },
                        BandCond::Labels(names) => {
                            let text = match value {
                                Col::Label(v) => labels
                                    .and_then(|t| v.get(i).and_then(|l| t.labels.get(*l as usize)))
                                    .cloned()
                                    .unwrap_or_default(),
                                Col::Bool(v) => (if v.get(i) == Some(&1) {
                                    "true"
                                } else {
                                    "false"
                                })
                                .to_string(),
                                Col::Text(v) => v.get(i).cloned().unwrap_or_default(),
                                Col::Num(v) => v
                                    .get(i)
                                    .map(|x| crate::model::format_number(*x))
                                    .unwrap_or_default(),
                                _ => String::new(),
                            };
                            names.contains(&text)
                        }
                    };
                    if hit {
                        return band.points;
                    }
                }
                f64::NAN
            })
            .collect()
    }

    fn score(&mut self, s: ScoreId) {
        let ctx = self.ctx;
        let (Some(cs), Some(def)) = (ctx.plan.scores.get(s.index()), ctx.model.score(s)) else {
            return;
        };
        let n = self.len;
        // Which definition each row uses: the first matching `for` block, or the score's own.
        let mut which = vec![0u32; n];
        for (k, (segment, labels, _)) in cs.overrides.iter().enumerate().rev() {
            let seg = self
                .segments
                .get(segment.index())
                .cloned()
                .flatten()
                .unwrap_or_default();
            for (w, l) in which.iter_mut().zip(&seg) {
                if labels.contains(l) {
                    *w = (k + 1) as u32;
                }
            }
        }
        let definitions: Vec<&CDefinition> = std::iter::once(&cs.definition)
            .chain(cs.overrides.iter().map(|(_, _, d)| d))
            .collect();
        let mut raw = vec![f64::NAN; n];
        let mut missing_count = vec![0u32; n];
        let mut metric_count = vec![0u32; n];
        for (k, d) in definitions.iter().enumerate() {
            if !which.contains(&(k as u32)) {
                continue;
            }
            let values = self.definition(d);
            let metrics = d.metrics();
            for i in 0..n {
                if which.get(i) != Some(&(k as u32)) {
                    continue;
                }
                if let (Some(slot), Some(v)) = (raw.get_mut(i), values.get(i)) {
                    *slot = *v;
                }
                let missing = metrics
                    .iter()
                    .filter(|m| {
                        self.metric_missing
                            .get(m.index())
                            .and_then(|v| v.as_ref())
                            .and_then(|v| v.get(i))
                            .is_some_and(|x| *x == 1)
                    })
                    .count();
                if let Some(c) = missing_count.get_mut(i) {
                    *c = missing as u32;
                }
                if let Some(c) = metric_count.get_mut(i) {
                    *c = metrics.len() as u32;
                }
            }
        }
        let mut adjusted = raw.clone();
        for (factor, condition) in &cs.adjustments {
            let hits = self.eval(condition, None).boolean(n);
            for (r, h) in adjusted.iter_mut().zip(hits) {
                if h == 1 {
                    *r = finite(*r * factor);
                }
            }
        }
        let insufficient: Vec<u8> = (0..n)
            .map(|i| match def.insufficient {
                Some(rule) => {
                    let missing = f64::from(missing_count.get(i).copied().unwrap_or(0));
                    let total = f64::from(metric_count.get(i).copied().unwrap_or(0));
                    let over = if rule.percent {
                        total > 0.0 && missing * 100.0 > rule.limit * total
                    } else {
                        missing > rule.limit
                    };
                    u8::from(over)
                }
                None => 0,
            })
            .collect();
        // Guardrails: a recurrence along each partner's rows.
        let mut smoothed = vec![f64::NAN; n];
        let mut reported = vec![f64::NAN; n];
        let mut window: std::collections::VecDeque<f64> = std::collections::VecDeque::new();
        let mut previous_smooth = f64::NAN;
        let mut previous_reported = f64::NAN;
        for i in 0..n {
            if self.position(i) == 1 {
                window.clear();
                previous_smooth = f64::NAN;
                previous_reported = f64::NAN;
            }
            let x = if insufficient.get(i) == Some(&1) {
                f64::NAN
            } else {
                adjusted.get(i).copied().unwrap_or(f64::NAN)
            };
            let s = match def.smoothing {
                None => x,
                Some(Smoothing::MovingAverage(k)) => {
                    window.push_back(x);
                    while window.len() > k as usize {
                        window.pop_front();
                    }
                    let present: Vec<f64> =
                        window.iter().copied().filter(|v| !v.is_nan()).collect();
                    if x.is_nan() || present.is_empty() {
                        f64::NAN
                    } else {
                        // Oldest first, left to right: ((x1 + x2) + x3).
                        ops::mean(&present)
                    }
                }
                Some(Smoothing::Exponential(a)) => {
                    let v = if x.is_nan() {
                        f64::NAN
                    } else if previous_smooth.is_nan() {
                        x
                    } else {
                        ops::smooth(a, x, previous_smooth)
                    };
                    if !v.is_nan() {
                        previous_smooth = v;
                    }
                    v
                }
            };
            let mut r = s;
            if let (Some(d), false) = (def.max_change, r.is_nan() || previous_reported.is_nan()) {
                r = r.max(previous_reported - d).min(previous_reported + d);
            }
            if let (Some(f), false) = (def.floor, r.is_nan()) {
                r = r.max(f);
            }
            if let (Some(c), false) = (def.cap, r.is_nan()) {
                r = r.min(c);
            }
            if !r.is_nan() {
                previous_reported = r;
            }
            if let Some(slot) = smoothed.get_mut(i) {
                *slot = s;
            }
            if let Some(slot) = reported.get_mut(i) {
                *slot = r;
            }
        }
        let provisional: Vec<u8> = (0..n)
            .map(|i| {
                let own = def.min_periods.is_some_and(|k| self.position(i) < k);
                let inherited = cs.reads_scores.iter().any(|o| {
                    self.scores
                        .get(o.index())
                        .and_then(|v| v.as_ref())
                        .and_then(|v| v.provisional.get(i))
                        .is_some_and(|p| *p == 1)
                });
                u8::from(own || inherited)
            })
            .collect();
        let tier = match &def.tiers {
            Some(set) => {
                let count = set.tiers.len() as u32;
                (0..n)
                    .map(|i| {
                        if insufficient.get(i) == Some(&1) {
                            return count + 1;
                        }
                        if provisional.get(i) == Some(&1) {
                            return count;
                        }
                        let v = reported.get(i).copied().unwrap_or(f64::NAN);
                        if v.is_nan() {
                            return MISSING_LABEL;
                        }
                        for (k, t) in set.tiers.iter().enumerate() {
                            match t.threshold {
                                None => return k as u32,
                                Some((op, x)) if op.holds(v, x) => return k as u32,
                                _ => {}
                            }
                        }
                        MISSING_LABEL
                    })
                    .collect()
            }
            None => vec![MISSING_LABEL; n],
        };
        if let Some(slot) = self.scores.get_mut(s.index()) {
            *slot = Some(ScoreValues {
                raw,
                adjusted,
                smoothed,
                reported,
                provisional,
                insufficient,
                tier,
                definition: which,
            });
        }
    }

    fn points_of(&self, m: MetricId) -> Option<&Vec<f64>> {
        self.metric_points.get(m.index()).and_then(|p| p.as_ref())
    }

    fn definition(&self, d: &CDefinition) -> Vec<f64> {
        let n = self.len;
        let weighted = |terms: &[(f64, MetricId)]| -> Vec<f64> {
            let mut acc = vec![0.0f64; n];
            for (w, m) in terms {
                match self.points_of(*m) {
                    Some(p) => {
                        for (a, x) in acc.iter_mut().zip(p) {
                            *a += w * x;
                        }
                    }
                    None => acc.iter_mut().for_each(|a| *a = f64::NAN),
                }
            }
            acc
        };
        match d {
            CDefinition::Weighted(terms) => weighted(terms),
            CDefinition::Layered(layers) => {
                let mut acc = vec![0.0f64; n];
                for (w, terms) in layers {
                    for (a, x) in acc.iter_mut().zip(weighted(terms)) {
                        *a += w * x;
                    }
                }
                acc
            }
            CDefinition::Sum { base, metrics } => {
                let mut acc = vec![*base; n];
                for m in metrics {
                    match self.points_of(*m) {
                        Some(p) => {
                            for (a, x) in acc.iter_mut().zip(p) {
                                *a += x;
                            }
                        }
                        None => acc.iter_mut().for_each(|a| *a = f64::NAN),
                    }
                }
                acc
            }
            CDefinition::Value(e) => self.eval(e, None).num(n),
        }
        .into_iter()
        .map(finite)
        .collect()
    }

    fn site(&self, i: usize) -> Col {
        match self.ctx.sites.get(i).and_then(|s| s.as_ref()) {
            Some(col) => col.range(self.start, self.len),
            None => Col::Num(vec![f64::NAN; self.len]),
        }
    }

    fn column(&self, c: ColumnId) -> Col {
        let rows = &self.rows;
        match self.ctx.table.columns.get(c.index()) {
            Some(Column::Number(v)) => Col::Num(
                rows.iter()
                    .map(|r| v.get(*r as usize).copied().unwrap_or(f64::NAN))
                    .collect(),
            ),
            Some(Column::Int(v)) => {
                fn gather<T: IntWidth>(v: &[T], rows: &[u32]) -> Vec<f64> {
                    rows.iter()
                        .map(|r| v.get(*r as usize).map_or(f64::NAN, |x| Ints::number(*x)))
                        .collect()
                }
                Col::Num(match v {
                    Ints::I8(v) => gather(v, rows),
                    Ints::I16(v) => gather(v, rows),
                    Ints::I32(v) => gather(v, rows),
                })
            }
            Some(Column::Bool(v)) => Col::Bool(
                rows.iter()
                    .map(|r| v.get(*r as usize).copied().unwrap_or(MISSING_BOOL))
                    .collect(),
            ),
            Some(Column::Label(v)) => Col::Label(
                rows.iter()
                    .map(|r| v.get(*r as usize).copied().unwrap_or(MISSING_LABEL))
                    .collect(),
            ),
            Some(Column::Text(t)) => Col::Text(
                rows.iter()
                    .map(|r| t.get(*r as usize).to_string())
                    .collect(),
            ),
            _ => Col::Num(vec![f64::NAN; self.len]),
        }
    }

    /// The text of a value, for text comparisons.
    fn text(&self, e: &CExpr, this: Option<&Col>) -> Vec<String> {
        let n = self.len;
        let enum_of = |e: &CExpr| -> Option<EnumId> {
            match e {
                CExpr::Column(_, Type::Enum(id)) => Some(*id),
                CExpr::Segment(s) => self.ctx.model.segment(*s).map(|d| d.labels),
                CExpr::Tier(s) => self
                    .ctx
                    .model
                    .score(*s)
                    .and_then(|d| d.tiers.as_ref())
                    .map(|t| t.labels),
                _ => None,
            }
        };
        match self.eval(e, this) {
            Col::Text(v) => v,
            Col::Label(v) => {
                let labels = enum_of(e).and_then(|id| self.ctx.model.enum_type(id));
                v.into_iter()
                    .map(|l| {
                        labels
                            .and_then(|t| t.labels.get(l as usize))
                            .cloned()
                            .unwrap_or_default()
                    })
                    .collect()
            }
            _ => vec![String::new(); n],
        }
    }

    /// Evaluate an expression for every row of the batch.
    pub fn eval(&self, e: &CExpr, this: Option<&Col>) -> Col {
        let n = self.len;
        match e {
            CExpr::Num(x) => Col::Num(vec![*x; n]),
            CExpr::Bool(b) => Col::Bool(vec![*b; n]),
            CExpr::Label(l) => Col::Label(vec![*l; n]),
            CExpr::Text(t) => Col::Text(vec![t.clone(); n]),
            CExpr::Column(c, _) => self.column(*c),
            CExpr::MetricValue(m) => self
                .metric_values
                .get(m.index())
                .cloned()
                .flatten()
                .unwrap_or(Col::Num(vec![f64::NAN; n])),
            CExpr::Points(m) => Col::Num(
                self.points_of(*m)
                    .cloned()
                    .unwrap_or_else(|| vec![f64::NAN; n]),
            ),
            CExpr::SelfValue => this.cloned().unwrap_or(Col::Num(vec![f64::NAN; n])),
            CExpr::Score(s, stage) => {
                let v = self.scores.get(s.index()).and_then(|x| x.as_ref());
                Col::Num(match (v, stage) {
                    (Some(v), ScoreStage::Raw) => v.raw.clone(),
                    (Some(v), ScoreStage::Smoothed) => v.smoothed.clone(),
                    (Some(v), ScoreStage::Reported) => v.reported.clone(),
                    (None, _) => vec![f64::NAN; n],
                })
            }
            CExpr::Tier(s) => Col::Label(
                self.scores
                    .get(s.index())
                    .and_then(|x| x.as_ref())
                    .map_or_else(|| vec![MISSING_LABEL; n], |v| v.tier.clone()),
            ),
            CExpr::Flag(f) => Col::Bool(
                self.flags
                    .get(f.index())
                    .cloned()
                    .flatten()
                    .unwrap_or_else(|| vec![MISSING_BOOL; n]),
            ),
            CExpr::Segment(s) => Col::Label(
                self.segments
                    .get(s.index())
                    .cloned()
                    .flatten()
                    .unwrap_or_else(|| vec![MISSING_LABEL; n]),
            ),
            CExpr::PeriodsObserved => {
                Col::Num((0..n).map(|i| f64::from(self.position(i))).collect())
            }
            CExpr::Tenure => Col::Num(
                (0..n)
                    .map(|i| {
                        self.ctx
                            .ordered
                            .tenure
                            .get(self.start + i)
                            .filter(|t| **t != NO_TENURE)
                            .map_or(f64::NAN, |t| f64::from(*t))
                    })
                    .collect(),
            ),
            CExpr::Actions => Col::Actions,
            CExpr::Flags => Col::FlagNames,
            CExpr::Site(i) => self.site(*i),
            CExpr::Neg(x) => Col::Num(self.eval(x, this).num(n).into_iter().map(|v| -v).collect()),
            CExpr::Not(x) => {
                Col::Bool(self.eval(x, this).boolean(n).into_iter().map(not).collect())
            }
            CExpr::Arith(op, a, b) => {
                let (a, b) = (self.eval(a, this).num(n), self.eval(b, this).num(n));
                Col::Num(
                    a.into_iter()
                        .zip(b)
                        .map(|(x, y)| arith(*op, x, y))
                        .collect(),
                )
            }
            CExpr::And(a, b) => {
                let (a, b) = (self.eval(a, this).boolean(n), self.eval(b, this).boolean(n));
                Col::Bool(a.into_iter().zip(b).map(|(x, y)| and(x, y)).collect())
            }
            CExpr::Or(a, b) => {
                let (a, b) = (self.eval(a, this).boolean(n), self.eval(b, this).boolean(n));
                Col::Bool(a.into_iter().zip(b).map(|(x, y)| or(x, y)).collect())
            }
            CExpr::Cmp(op, kind, a, b) => Col::Bool(self.compare(*op, *kind, a, b, this)),
            CExpr::In {
                value,
                set,
                kind,
                negated,
            } => {
                let mut out = vec![0u8; n];
                for member in set {
                    let eq = self.compare(CmpOp::Eq, *kind, value, member, this);
                    for (o, e) in out.iter_mut().zip(eq) {
                        *o = or(*o, e);
                    }
                }
                if *negated {
                    out.iter_mut().for_each(|o| *o = not(*o));
                }
                Col::Bool(out)
            }
            CExpr::IsMissing { value, negated } => {
                let v = self.eval(value, this);
                Col::Bool(
                    (0..n)
                        .map(|i| u8::from(v.is_missing(i) != *negated))
                        .collect(),
                )
            }
            CExpr::If {
                arms, otherwise, ..
            } => {
                let mut result = self.eval(otherwise, this);
                let mut decided = vec![false; n];
                let mut picks: Vec<(Vec<u8>, Col)> = Vec::new();
                for (c, v) in arms {
                    picks.push((self.eval(c, this).boolean(n), self.eval(v, this)));
                }
                let mut chosen: Vec<Option<usize>> = vec![None; n];
                for (k, (cond, _)) in picks.iter().enumerate() {
                    for i in 0..n {
                        if !decided.get(i).copied().unwrap_or(true) && cond.get(i) == Some(&1) {
                            if let Some(d) = decided.get_mut(i) {
                                *d = true;
                            }
                            if let Some(c) = chosen.get_mut(i) {
                                *c = Some(k);
                            }
                        }
                    }
                }
                for (i, c) in chosen.iter().enumerate() {
                    if let Some(k) = c {
                        if let Some((_, v)) = picks.get(*k) {
                            set_from(&mut result, i, v);
                        }
                    }
                }
                result
            }
            CExpr::Call(f, args) => self.call(*f, args, this),
            CExpr::Provisional(scores) => Col::Bool(
                (0..n)
                    .map(|i| {
                        u8::from(scores.iter().any(|s| {
                            self.scores
                                .get(s.index())
                                .and_then(|v| v.as_ref())
                                .and_then(|v| v.provisional.get(i))
                                .is_some_and(|p| *p == 1)
                        }))
                    })
                    .collect(),
            ),
        }
    }

    fn compare(
        &self,
        op: CmpOp,
        kind: CmpKind,
        a: &CExpr,
        b: &CExpr,
        this: Option<&Col>,
    ) -> Vec<u8> {
        let n = self.len;
        match kind {
            CmpKind::Num => {
                let (a, b) = (self.eval(a, this).num(n), self.eval(b, this).num(n));
                a.into_iter()
                    .zip(b)
                    .map(|(x, y)| compare(op, x, y))
                    .collect()
            }
            CmpKind::Bool => {
                let (a, b) = (self.eval(a, this).boolean(n), self.eval(b, this).boolean(n));
                a.into_iter()
                    .zip(b)
                    .map(|(x, y)| {
                        if x == MISSING_BOOL || y == MISSING_BOOL {
                            MISSING_BOOL
                        } else {
                            compare(op, f64::from(x), f64::from(y))
                        }
                    })
                    .collect()
            }
            CmpKind::Label => {
                let (ca, cb) = (self.eval(a, this), self.eval(b, this));
                match (ca, cb) {
                    (Col::Label(x), Col::Label(y)) => x
                        .into_iter()
                        .zip(y)
                        .map(|(p, q)| {
                            if p == MISSING_LABEL || q == MISSING_LABEL {
                                MISSING_BOOL
                            } else {
                                u8::from(match op {
                                    CmpOp::Ne => p != q,
                                    _ => p == q,
                                })
                            }
                        })
                        .collect(),
                    _ => self.compare_text(op, a, b, this),
                }
            }
            CmpKind::Text => self.compare_text(op, a, b, this),
        }
    }

    fn compare_text(&self, op: CmpOp, a: &CExpr, b: &CExpr, this: Option<&Col>) -> Vec<u8> {
        let (x, y) = (self.text(a, this), self.text(b, this));
        x.iter()
            .zip(&y)
            .map(|(p, q)| {
                if p.is_empty() || q.is_empty() {
                    MISSING_BOOL
                } else {
                    u8::from(match op {
                        CmpOp::Eq => p == q,
                        CmpOp::Ne => p != q,
                        CmpOp::Lt => p < q,
                        CmpOp::Le => p <= q,
                        CmpOp::Gt => p > q,
                        CmpOp::Ge => p >= q,
                    })
                }
            })
            .collect()
    }

    fn call(&self, f: Function, args: &[CExpr], this: Option<&Col>) -> Col {
        let n = self.len;
        if f == Function::Coalesce {
            let mut cols = args.iter().map(|a| self.eval(a, this));
            let Some(mut result) = cols.next() else {
                return Col::Num(vec![f64::NAN; n]);
            };
            for col in cols {
                for i in 0..n {
                    if result.is_missing(i) && !col.is_missing(i) {
                        set_from(&mut result, i, &col);
                    }
                }
            }
            return result;
        }
        let values: Vec<Vec<f64>> = args.iter().map(|a| self.eval(a, this).num(n)).collect();
        let arg = |k: usize, i: usize| {
            values
                .get(k)
                .and_then(|v| v.get(i))
                .copied()
                .unwrap_or(f64::NAN)
        };
        let out: Vec<f64> = (0..n)
            .map(|i| {
                let x = arg(0, i);
                let v = match f {
                    Function::Min => (1..values.len()).fold(x, |acc, k| {
                        let y = arg(k, i);
                        if acc.is_nan() || y.is_nan() {
                            f64::NAN
                        } else {
                            acc.min(y)
                        }
                    }),
                    Function::Max => (1..values.len()).fold(x, |acc, k| {
                        let y = arg(k, i);
                        if acc.is_nan() || y.is_nan() {
                            f64::NAN
                        } else {
                            acc.max(y)
                        }
                    }),
                    Function::Clamp => {
                        let (lo, hi) = (arg(1, i), arg(2, i));
                        if x.is_nan() || lo.is_nan() || hi.is_nan() {
                            f64::NAN
                        } else {
                            x.max(lo).min(hi)
                        }
                    }
                    Function::Abs => x.abs(),
                    Function::Log => {
                        if x > 0.0 {
                            x.ln()
                        } else {
                            f64::NAN
                        }
                    }
                    Function::Log10 => {
                        if x > 0.0 {
                            x.log10()
                        } else {
                            f64::NAN
                        }
                    }
                    Function::Sqrt => {
                        if x >= 0.0 {
                            x.sqrt()
                        } else {
                            f64::NAN
                        }
                    }
                    Function::Exp => x.exp(),
                    Function::Round => {
                        let digits = if values.len() > 1 { arg(1, i) } else { 0.0 };
                        if digits.is_nan() {
                            f64::NAN
                        } else {
                            ops::round_half_away(x, digits as i32)
                        }
                    }
                    Function::Floor => x.floor(),
                    Function::Ceil => x.ceil(),
                    Function::Coalesce => x,
                };
                finite(v)
            })
            .collect();
        Col::Num(out)
    }
}

/// Copy value `i` of `from` into `to`.
fn set_from(to: &mut Col, i: usize, from: &Col) {
    match (to, from) {
        (Col::Num(t), Col::Num(f)) => {
            if let (Some(a), Some(b)) = (t.get_mut(i), f.get(i)) {
                *a = *b;
            }
        }
        (Col::Bool(t), Col::Bool(f)) => {
            if let (Some(a), Some(b)) = (t.get_mut(i), f.get(i)) {
                *a = *b;
            }
        }
        (Col::Label(t), Col::Label(f)) => {
            if let (Some(a), Some(b)) = (t.get_mut(i), f.get(i)) {
                *a = *b;
            }
        }
        (Col::Text(t), Col::Text(f)) => {
            if let (Some(a), Some(b)) = (t.get_mut(i), f.get(i)) {
                a.clone_from(b);
            }
        }
        (Col::Num(t), Col::Bool(f)) => {
            if let (Some(a), Some(b)) = (t.get_mut(i), f.get(i)) {
                *a = if *b == MISSING_BOOL {
                    f64::NAN
                } else {
                    f64::from(*b)
                };
            }
        }
        _ => {}
    }
}

/// The action labels fired for batch row `i`, in priority order, without repeats.
pub fn actions_of<'a>(batch: &Batch<'a>, i: usize) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for rule in &batch.ctx.plan.action_order {
        let fired = batch
            .rules
            .get(rule.index())
            .and_then(|r| r.as_ref())
            .and_then(|r| r.get(i))
            .is_some_and(|x| *x == 1);
        if !fired {
            continue;
        }
        if let Some(def) = batch.ctx.model.rules.get(rule.index()) {
            for a in &def.actions {
                if !out.contains(&a.as_str()) {
                    out.push(a);
                }
            }
        }
    }
    out
}

/// The names of the flags raised for batch row `i`, in written order.
pub fn flags_of<'a>(batch: &Batch<'a>, i: usize) -> Vec<&'a str> {
    batch
        .ctx
        .model
        .flags
        .iter()
        .enumerate()
        .filter(|(k, _)| {
            batch
                .flags
                .get(*k)
                .and_then(|f| f.as_ref())
                .and_then(|f| f.get(i))
                .is_some_and(|x| *x == 1)
        })
        .map(|(_, f)| f.name.as_str())
        .collect()
}

/// Whether batch row `i` is reported under `selection`.
pub fn selected(batch: &Batch<'_>, i: usize, selection: &Selection) -> bool {
    let table = batch.ctx.table;
    let row = batch.rows.get(i).copied().unwrap_or(0) as usize;
    if let Some(p) = &selection.partner {
        let key = text_column(table, batch.ctx.model.contract.key).map_or("", |k| k.get(row));
        if key != p {
            return false;
        }
    }
    match &selection.period {
        PeriodChoice::Latest => batch.is_latest(i),
        PeriodChoice::All => true,
        PeriodChoice::Label(l) => {
            text_column(table, batch.ctx.model.contract.period).is_some_and(|p| p.get(row) == l)
        }
    }
}

impl SiteKind {
    pub fn is_population(&self) -> bool {
        matches!(self, SiteKind::Population { .. })
    }
}
