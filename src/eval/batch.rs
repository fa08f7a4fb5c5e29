//! A batch of rows: what is computed for it, its place in the ordered rows,
//! and the input columns and site results it reads.

use super::*;

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
    /// The columns the table does not keep, read again for this batch.
    pub late: Option<crate::data::load::Late>,
    /// The first of `rows` when they are consecutive table rows, and the
    /// first of `late`'s rows when those are (see [`consecutive`]): each
    /// column is then copied as one stretch.
    stretches: (Option<usize>, Option<usize>),
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
    /// Label index into the score's tier set (tiers, then provisional,
    /// insufficient_data): the reported tier, an override's where one applies.
    pub tier: Vec<u32>,
    /// The computed tiers, when an override changed one of the batch's.
    pub computed_tier: Option<Vec<u32>>,
    /// Which definition each row used: 0 the score's own, `k` the `k`-th override.
    pub definition: Vec<u32>,
}

impl<'a> Batch<'a> {
    pub(super) fn new(ctx: &'a Context<'a>, start: usize, end: usize) -> Self {
        let m = ctx.model;
        let rows = ctx
            .ordered
            .order
            .get(start..end)
            .map(<[u32]>::to_vec)
            .unwrap_or_default();
        Batch {
            ctx,
            start,
            len: end - start,
            stretches: (consecutive(&rows), None),
            rows,
            metric_values: vec![None; m.metrics.len()],
            metric_missing: vec![None; m.metrics.len()],
            metric_points: vec![None; m.metrics.len()],
            segments: vec![None; m.segments.len()],
            scores: vec![None; m.scores.len()],
            flags: vec![None; m.flags.len()],
            rules: vec![None; m.rules.len()],
            outputs: Vec::new(),
            late: None,
        }
    }

    /// Read the batch's rows again for the columns the table does not keep:
    /// all of them, or those of a plan.
    pub(super) fn read_late(&mut self, plan: Option<&crate::data::load::RereadPlan<'_>>) {
        let Some(reread) = self.ctx.reread else {
            return;
        };
        let read = match plan {
            Some(plan) => plan.read(self.ctx.table, &self.rows),
            None => reread.read(self.ctx.table, &self.rows),
        };
        match read {
            Ok(late) => {
                self.stretches.1 = consecutive(&late.index);
                self.late = Some(late);
            }
            Err(e) => {
                let _ = self.ctx.failure.set(e);
            }
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

    pub(super) fn compute(&mut self, items: &[Item], outputs: bool) {
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
    pub(super) fn condition(&self, e: Option<&CExpr>) -> Vec<u8> {
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

    pub(super) fn site(&self, i: usize) -> Col {
        match self.ctx.sites.get(i).and_then(|s| s.as_ref()) {
            Some(col) => col.range(self.start, self.len),
            None => Col::Num(vec![f64::NAN; self.len]),
        }
    }

    pub(super) fn column(&self, c: ColumnId) -> Col {
        let late = self
            .late
            .as_ref()
            .and_then(|l| {
                Some((
                    l.columns.get(c.index())?,
                    l.index.as_slice(),
                    self.stretches.1,
                ))
            })
            .filter(|(column, _, _)| !matches!(column, Column::Skipped));
        let (column, rows, first) = match late {
            Some(found) => found,
            None => {
                let column = self.ctx.table.columns.get(c.index());
                if self.ctx.reread.is_some() && matches!(column, Some(Column::Skipped)) {
                    // A column the plan reads was neither kept nor read again:
                    // its values would be missing, which they are not.
                    let name = self
                        .ctx
                        .model
                        .contract
                        .column(c)
                        .map_or("?", |d| d.name.as_str());
                    let _ = self
                        .ctx
                        .failure
                        .set(crate::data::load::Failure::Changed(format!(
                            "internal error: the column `{name}` was read before it was loaded"
                        )));
                }
                match column {
                    Some(column) => (column, self.rows.as_slice(), self.stretches.0),
                    None => return Col::Num(vec![f64::NAN; self.len]),
                }
            }
        };
        gather(column, rows, first, self.len)
    }
}

/// The first of `rows` when they are consecutive (rows in the table's order).
fn consecutive(rows: &[u32]) -> Option<usize> {
    let first = *rows.first()? as usize;
    (first..)
        .zip(rows)
        .all(|(want, r)| *r as usize == want)
        .then_some(first)
}

/// The values of `rows` of a column (rows `first..` when they are consecutive).
fn gather(column: &Column, rows: &[u32], first: Option<usize>, n: usize) -> Col {
    if let Some(first) = first {
        if let Some(col) = stretch(column, first, rows.len()) {
            return col;
        }
    }
    match column {
        Column::Number(v) => Col::Num(
            rows.iter()
                .map(|r| v.get(*r as usize).copied().unwrap_or(f64::NAN))
                .collect(),
        ),
        Column::Int(v) => {
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
        Column::Bool(v) => Col::Bool(
            rows.iter()
                .map(|r| v.get(*r as usize).copied().unwrap_or(MISSING_BOOL))
                .collect(),
        ),
        Column::Label(v) => Col::Label(
            rows.iter()
                .map(|r| v.get(*r as usize).copied().unwrap_or(MISSING_LABEL))
                .collect(),
        ),
        Column::Text(t) => Col::Text(rows.iter().map(|r| t.get(*r as usize)).collect()),
        Column::Skipped => Col::Num(vec![f64::NAN; n]),
    }
}

/// The values of rows `first..first + len` of a column, copied as one
/// stretch: `None` when the column has no such rows (or is not stored).
fn stretch(column: &Column, first: usize, len: usize) -> Option<Col> {
    let range = first..first.checked_add(len)?;
    Some(match column {
        Column::Number(v) => Col::Num(v.get(range)?.to_vec()),
        Column::Int(v) => {
            fn numbers<T: IntWidth>(v: &[T]) -> Vec<f64> {
                v.iter().map(|x| Ints::number(*x)).collect()
            }
            Col::Num(match v {
                Ints::I8(v) => numbers(v.get(range)?),
                Ints::I16(v) => numbers(v.get(range)?),
                Ints::I32(v) => numbers(v.get(range)?),
            })
        }
        Column::Bool(v) => Col::Bool(v.get(range)?.to_vec()),
        Column::Label(v) => Col::Label(v.get(range)?.to_vec()),
        Column::Text(_) | Column::Skipped => return None,
    })
}
