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
//!
//! | file | what it computes |
//! |---|---|
//! | `mod.rs` | the context, the order of items, the parallel run over batches |
//! | `order.rs` | the rows in (key, period) order, positions and tenure |
//! | `batch.rs` | a batch: its rows, what it has computed, the columns it reads |
//! | `column.rs` | a batch's values of one type (`Col`) |
//! | `metrics.rs` | segments, metric values and points |
//! | `scores.rs` | score definitions, guardrails and tiers |
//! | `exprs.rs` | expressions, comparisons and function calls |
//! | `population.rs` | population and history functions over whole columns |
//! | `running.rs` | running aggregates along each partner's rows |
//! | `selection.rs` | which rows a run reports; a row's actions and flags |
//!
//! The scalar semantics (arithmetic, comparison, logic, rounding) are
//! `crate::ops`, shared with constant folding in the plan.

mod batch;
mod column;
mod exprs;
mod metrics;
mod order;
mod population;
mod running;
mod scores;
mod selection;

use rayon::prelude::*;

use crate::data::table::{Column, IntWidth, Ints, MISSING_BOOL, MISSING_LABEL, Table};
use crate::model::*;
use crate::plan::{CDefinition, CExpr, CPoints, CRubric, CmpKind, Item, Plan, SiteKind};
use crate::vocab::CmpOp;
use column::*;
use ops::{and, arith, compare, finite, not, or};
use order::*;

pub use crate::data::period::{PeriodFormat, mixed_period_formats, period_format, period_index};
pub use crate::ops;
pub use batch::{Batch, ScoreValues};
pub use column::{Col, Texts};
pub use order::{NO_TENURE, Ordered, order_rows};
pub use selection::{PeriodChoice, Selection, actions_of, flags_of, selected};

/// Rows per batch, rounded up to the next partner boundary.
pub const BATCH_ROWS: usize = 4096;

/// What every batch reads: the model, the plan, the table and the whole columns.
pub struct Context<'a> {
    pub model: &'a Model,
    pub plan: &'a Plan,
    pub table: &'a Table,
    pub ordered: &'a Ordered,
    /// Materialized site results by ordered position.
    pub sites: Vec<Option<Col>>,
    /// Approved tier overrides: `(table row, score)` to the tier label index
    /// reported in place of the computed one (`tier(score)`, rules, flags).
    pub tier_overrides: std::collections::BTreeMap<(u32, ScoreId), u32>,
    /// Reads the columns the table does not keep, batch by batch, in the
    /// passes (a CSV file loaded with only the columns that group rows).
    pub reread: Option<&'a crate::data::load::Reread>,
    /// Why the evaluation could not go on (a file read again that changed):
    /// the results are not to be used.
    pub failure: std::sync::OnceLock<crate::data::load::Failure>,
}

impl<'a> Context<'a> {
    pub fn new(model: &'a Model, plan: &'a Plan, table: &'a Table, ordered: &'a Ordered) -> Self {
        Context {
            model,
            plan,
            table,
            ordered,
            sites: vec![None; plan.sites.len()],
            tier_overrides: std::collections::BTreeMap::new(),
            reread: None,
            failure: std::sync::OnceLock::new(),
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

/// The input columns `items` read themselves.
pub(super) fn columns_of(ctx: &Context<'_>, items: &[Item]) -> Vec<bool> {
    let mut only = vec![false; ctx.model.contract.columns.len()];
    for item in items {
        for c in ctx.plan.columns_read(*item, ctx.model) {
            if let Some(slot) = only.get_mut(c.index()) {
                *slot = true;
            }
        }
    }
    only
}

/// The columns the sites group rows by (`within` a column): read from the
/// table when the sites are computed, so kept by a table to be read again.
pub fn group_columns(model: &Model, plan: &Plan) -> Vec<bool> {
    let mut out = vec![false; model.contract.columns.len()];
    for site in &plan.sites {
        if let SiteKind::Population { within, .. } = &site.kind {
            for g in within {
                if let GroupKey::Column(c) = g {
                    if let Some(slot) = out.get_mut(c.index()) {
                        *slot = true;
                    }
                }
            }
        }
    }
    out
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
pub fn evaluate<S, M, C>(ctx: &mut Context<'_>, make: M, consume: C)
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
        site_pass(ctx, &bounds, &order, pass, timing.then_some(clock));
    }
    final_pass(ctx, &bounds, order, make, consume);
    if timing {
        eprintln!("final pass: {:?}, {}", clock.elapsed(), resident());
    }
}

/// One pass before the last: the inputs of the sites of this level, computed
/// by every batch, then each site over its whole column.
fn site_pass(
    ctx: &mut Context<'_>,
    bounds: &[(usize, usize)],
    order: &[Item],
    pass: usize,
    timing: Option<std::time::Instant>,
) {
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
    let (numbers, others) = site_inputs(ctx, bounds, &sites, &items);
    if let Some(clock) = timing {
        eprintln!("pass {pass} inputs: {:?}, {}", clock.elapsed(), resident());
    }
    let results = site_results(ctx, &sites, numbers, others, timing);
    for (site_index, result) in results {
        if let Some(slot) = ctx.sites.get_mut(site_index) {
            *slot = Some(result);
        }
    }
    if let Some(clock) = timing {
        eprintln!("pass {pass} sites: {:?}, {}", clock.elapsed(), resident());
    }
}

/// Each site's input for every row: numbers are written by the batches
/// straight into one column per site; other kinds come back per batch.
fn site_inputs(
    shared: &Context<'_>,
    bounds: &[(usize, usize)],
    sites: &[usize],
    items: &[Item],
) -> (Vec<Vec<f64>>, Vec<Vec<Option<Col>>>) {
    let n = shared.ordered.order.len();
    let mut numbers: Vec<Vec<f64>> = sites.iter().map(|_| vec![f64::NAN; n]).collect();
    let slots: Vec<Vec<&mut [f64]>> = {
        let mut per_batch: Vec<Vec<&mut [f64]>> = bounds
            .iter()
            .map(|_| Vec::with_capacity(sites.len()))
            .collect();
        for column in &mut numbers {
            let mut rest: &mut [f64] = column;
            for (slots, &(start, end)) in per_batch.iter_mut().zip(bounds) {
                let taken = std::mem::take(&mut rest);
                let (part, tail) = taken.split_at_mut((end - start).min(taken.len()));
                slots.push(part);
                rest = tail;
            }
        }
        per_batch
    };
    // The columns the items read, and those the sites' inputs read themselves.
    let roots: Vec<Item> = sites.iter().map(|i| Item::Site(*i)).collect();
    let only: Vec<bool> = columns_of(shared, items)
        .into_iter()
        .zip(columns_of(shared, &roots))
        .map(|(a, b)| a || b)
        .collect();
    let plan = shared.reread.map(|r| r.plan(&only));
    let others: Vec<Vec<Option<Col>>> = bounds
        .par_iter()
        .zip(slots)
        .map(|(&(start, end), mut slots)| {
            let mut batch = Batch::new(shared, start, end);
            batch.read_late(plan.as_ref());
            batch.compute(items, false);
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
    (numbers, others)
}

/// Each site of one level over its whole input column: peer groups are
/// computed once for all the sites that group alike.
fn site_results(
    shared: &Context<'_>,
    sites: &[usize],
    numbers: Vec<Vec<f64>>,
    others: Vec<Vec<Option<Col>>>,
    timing: Option<std::time::Instant>,
) -> Vec<(usize, Col)> {
    // Sites of one level are independent of each other.
    let mut groupings: Vec<&[GroupKey]> = Vec::new();
    for i in sites {
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
        if let Some(clock) = timing {
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
    results
}

/// The last pass: every item of each batch, computed on the pool and
/// consumed here in order.
///
/// From a thread outside the pool, each batch is a task of its own: this
/// thread keeps a few batches per pool thread in flight, consumes each
/// result as soon as the ones before it are consumed, and starts the next
/// batch for each one consumed, so that no pool thread waits for the
/// others at any point. From a thread of the pool (which must not block),
/// batches are computed in windows instead: while this thread consumes one
/// window, the pool computes the next.
fn final_pass<S, M, C>(
    ctx: &Context<'_>,
    bounds: &[(usize, usize)],
    all: Vec<Item>,
    make: M,
    consume: C,
) where
    S: Send,
    M: Fn(&Batch<'_>) -> S + Sync,
    C: FnMut(S),
{
    let compute = |&(start, end): &(usize, usize)| -> S {
        let mut batch = Batch::new(ctx, start, end);
        batch.read_late(None);
        batch.compute(&all, true);
        make(&batch)
    };
    let pass = LastPass {
        ctx,
        bounds,
        ahead: rayon::current_num_threads().max(1) * 4,
        compute,
    };
    if rayon::current_thread_index().is_some() {
        pass.in_windows(consume);
    } else {
        pass.streamed(consume);
    }
}

/// The batches of the last pass, and how one is computed.
struct LastPass<'c, 'b, F> {
    ctx: &'c Context<'c>,
    bounds: &'b [(usize, usize)],
    /// Batches in flight (from outside the pool), or in a window.
    ahead: usize,
    compute: F,
}

/// Whether the last pass stops delivering batches: an interrupt, a file
/// that changed, or a value found invalid. Batches computed after it are
/// never delivered.
fn stopped(ctx: &Context<'_>) -> bool {
    crate::interrupt::requested() || ctx.failure.get().is_some()
}

impl<S: Send, F: Fn(&(usize, usize)) -> S + Sync> LastPass<'_, '_, F> {
    /// [`final_pass`] from outside the pool: up to `ahead` batches in flight,
    /// results consumed in batch order.
    fn streamed(self, mut consume: impl FnMut(S)) {
        let LastPass {
            ctx,
            bounds,
            ahead,
            compute,
        } = self;
        // Each batch's result, or the panic that stopped it (raised again
        // here, rather than waiting for a result that never comes).
        let (sender, results) = std::sync::mpsc::channel::<(usize, std::thread::Result<S>)>();
        let compute = &compute;
        let mut panicked = None;
        rayon::in_place_scope(|scope| {
            let start = |i: usize| {
                if let Some(range) = bounds.get(i) {
                    let sender = sender.clone();
                    scope.spawn(move |_| {
                        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            compute(range)
                        }));
                        // The receiver outlives the scope: a send cannot fail.
                        let _ = sender.send((i, result));
                    });
                }
            };
            for i in 0..ahead {
                start(i);
            }
            // Results received and not yet consumed, by batch.
            let mut received = std::collections::BTreeMap::new();
            for next in 0..bounds.len() {
                while !received.contains_key(&next) {
                    // Every batch started sends its result.
                    let Ok((i, r)) = results.recv() else { break };
                    received.insert(i, r);
                }
                let result = match received.remove(&next) {
                    Some(Ok(r)) => r,
                    Some(Err(payload)) => {
                        panicked = Some(payload);
                        break;
                    }
                    None => break,
                };
                if stopped(ctx) {
                    break;
                }
                // One batch done, another in flight (none past the last).
                start(next + ahead);
                consume(result);
            }
        });
        if let Some(payload) = panicked {
            std::panic::resume_unwind(payload);
        }
    }

    /// [`final_pass`] from a thread of the pool: windows of `ahead` batches
    /// computed in parallel, each consumed while the next is computed.
    fn in_windows(self, mut consume: impl FnMut(S)) {
        let LastPass {
            ctx,
            bounds,
            ahead: window,
            compute,
        } = self;
        let mut done: Vec<S> = Vec::new();
        for group in bounds.chunks(window.max(1)) {
            if stopped(ctx) {
                done.clear();
                break;
            }
            let mut next: Vec<S> = Vec::new();
            rayon::in_place_scope(|scope| {
                scope.spawn(|_| next = group.par_iter().map(&compute).collect());
                for sink in done.drain(..) {
                    consume(sink);
                }
            });
            done = next;
        }
        if ctx.failure.get().is_some() {
            return;
        }
        for sink in done {
            consume(sink);
        }
    }
}

impl SiteKind {
    pub fn is_population(&self) -> bool {
        matches!(self, SiteKind::Population { .. })
    }
}
