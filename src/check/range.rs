//! Interval analysis: the range of values an expression, a metric's points or
//! a score can take, used by the reachability lints. Conservative: when in
//! doubt the range is wider, so lints stay quiet rather than wrong.

use crate::model::*;
use crate::syntax::ast::{BinOp, Normalizer, UnaryOp};

/// A closed range `[lo, hi]`, possibly unbounded.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    pub lo: f64,
    pub hi: f64,
}

impl Range {
    pub const ALL: Range = Range {
        lo: f64::NEG_INFINITY,
        hi: f64::INFINITY,
    };

    pub fn point(x: f64) -> Range {
        Range { lo: x, hi: x }
    }

    pub fn new(a: f64, b: f64) -> Range {
        Range {
            lo: a.min(b),
            hi: a.max(b),
        }
    }

    pub fn union(self, other: Range) -> Range {
        Range {
            lo: self.lo.min(other.lo),
            hi: self.hi.max(other.hi),
        }
    }

    pub fn is_bounded(self) -> bool {
        self.lo.is_finite() && self.hi.is_finite()
    }

    fn add(self, o: Range) -> Range {
        Range::new(self.lo + o.lo, self.hi + o.hi).sane()
    }

    fn sub(self, o: Range) -> Range {
        Range::new(self.lo - o.hi, self.hi - o.lo).sane()
    }

    fn mul(self, o: Range) -> Range {
        let c = [
            self.lo * o.lo,
            self.lo * o.hi,
            self.hi * o.lo,
            self.hi * o.hi,
        ];
        if c.iter().any(|x| x.is_nan()) {
            return Range::ALL;
        }
        Range {
            lo: c.iter().copied().fold(f64::INFINITY, f64::min),
            hi: c.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }

    fn div(self, o: Range) -> Range {
        if o.lo <= 0.0 && o.hi >= 0.0 {
            return Range::ALL;
        }
        self.mul(Range::new(1.0 / o.lo, 1.0 / o.hi))
    }

    fn sane(self) -> Range {
        if self.lo.is_nan() || self.hi.is_nan() {
            Range::ALL
        } else {
            self
        }
    }
}

/// How deep the analysis follows references before giving up (cycles, long chains).
const MAX_DEPTH: usize = 32;

pub struct Analyzer<'m> {
    pub model: &'m Model,
}

impl<'m> Analyzer<'m> {
    pub fn new(model: &'m Model) -> Self {
        Analyzer { model }
    }

    pub fn column(&self, id: ColumnId) -> Range {
        match self.model.contract.column(id) {
            Some(c) if c.ty.is_numeric() => Range {
                lo: c.min.map_or(f64::NEG_INFINITY, |(v, _)| v),
                hi: c.max.map_or(f64::INFINITY, |(v, _)| v),
            },
            Some(c) if c.ty == Type::Bool => Range::new(0.0, 1.0),
            _ => Range::ALL,
        }
    }

    pub fn expr(&self, e: &Expr, depth: usize) -> Range {
        if depth > MAX_DEPTH {
            return Range::ALL;
        }
        let d = depth + 1;
        match &e.kind {
            ExprKind::Number(n) => Range::point(*n),
            ExprKind::Column(c) => self.column(*c),
            ExprKind::Metric(m) => self.metric_value(*m, d),
            ExprKind::Points(m) => self.metric_points(*m, d),
            ExprKind::Score(s, _) => self.score(*s, d),
            ExprKind::Builtin(Builtin::PeriodsObserved) => Range::new(1.0, f64::INFINITY),
            ExprKind::Builtin(Builtin::Tenure) => Range::new(0.0, f64::INFINITY),
            ExprKind::Unary(UnaryOp::Neg, x) => {
                let r = self.expr(x, d);
                Range::new(-r.hi, -r.lo)
            }
            ExprKind::Binary(op, a, b) => {
                let (a, b) = (self.expr(a, d), self.expr(b, d));
                match op {
                    BinOp::Add => a.add(b),
                    BinOp::Sub => a.sub(b),
                    BinOp::Mul => a.mul(b),
                    BinOp::Div => a.div(b),
                    _ => Range::ALL,
                }
            }
            ExprKind::If { arms, otherwise } => {
                arms.iter().fold(self.expr(otherwise, d), |acc, (_, v)| {
                    acc.union(self.expr(v, d))
                })
            }
            ExprKind::Call(f, args) => {
                let rs: Vec<Range> = args.iter().map(|a| self.expr(a, d)).collect();
                match (f, rs.as_slice()) {
                    (Function::Min, [first, rest @ ..]) => {
                        rest.iter().fold(*first, |acc, r| Range {
                            lo: acc.lo.min(r.lo),
                            hi: acc.hi.min(r.hi),
                        })
                    }
                    (Function::Max, [first, rest @ ..]) => {
                        rest.iter().fold(*first, |acc, r| Range {
                            lo: acc.lo.max(r.lo),
                            hi: acc.hi.max(r.hi),
                        })
                    }
                    (Function::Clamp, [x, lo, hi]) => Range {
                        lo: x.lo.max(lo.lo).min(hi.hi),
                        hi: x.hi.min(hi.hi).max(lo.lo),
                    },
                    (Function::Abs, [x]) => {
                        if x.lo >= 0.0 {
                            *x
                        } else if x.hi <= 0.0 {
                            Range::new(-x.hi, -x.lo)
                        } else {
                            Range::new(0.0, x.hi.max(-x.lo))
                        }
                    }
                    (Function::Coalesce, [first, rest @ ..]) => {
                        rest.iter().fold(*first, |acc, r| acc.union(*r))
                    }
                    _ => Range::ALL,
                }
            }
            ExprKind::Population(Normalizer::Percentile | Normalizer::MinMax, ..) => {
                Range::new(0.0, 100.0)
            }
            ExprKind::History(
                HistoryFn::Previous
                | HistoryFn::MovingAverage(_)
                | HistoryFn::RunningMin
                | HistoryFn::RunningMax,
                x,
            ) => self.expr(x, d),
            ExprKind::History(
                HistoryFn::RunningCount | HistoryFn::PeriodsSince | HistoryFn::Streak,
                _,
            ) => Range::new(0.0, f64::INFINITY),
            _ => Range::ALL,
        }
    }

    pub fn metric_value(&self, id: MetricId, depth: usize) -> Range {
        let Some(m) = self.model.metric(id) else {
            return Range::ALL;
        };
        let r = self.expr(&m.value, depth + 1);
        match m.missing_value {
            Some(v) => r.union(Range::point(v)),
            None => r,
        }
    }

    pub fn rubric(&self, metric: MetricId, rubric: &Rubric, depth: usize) -> Range {
        let base = match &rubric.points {
            PointsRule::Identity => self.metric_value(metric, depth + 1),
            PointsRule::Bands(bands) => {
                let mut r: Option<Range> = None;
                for b in bands {
                    let p = Range::point(b.points);
                    r = Some(r.map_or(p, |x| x.union(p)));
                }
                r.unwrap_or(Range::ALL)
            }
            PointsRule::Scale { p0, p1, .. } => Range::new(*p0, *p1),
            PointsRule::Normalize { kind, .. } => match kind {
                Normalizer::Percentile | Normalizer::MinMax => Range::new(0.0, 100.0),
                Normalizer::ZScore => Range::ALL,
            },
            PointsRule::Expr(e) => self.expr(e, depth + 1),
        };
        match rubric.missing_points {
            Some(v) => base.union(Range::point(v)),
            None => base,
        }
    }

    pub fn metric_points(&self, id: MetricId, depth: usize) -> Range {
        let Some(m) = self.model.metric(id) else {
            return Range::ALL;
        };
        m.segment_rubrics
            .iter()
            .fold(self.rubric(id, &m.rubric, depth), |acc, sr| {
                acc.union(self.rubric(id, &sr.rubric, depth))
            })
    }

    fn definition(&self, d: &Definition, depth: usize) -> Range {
        match d {
            Definition::Weighted(terms) => terms.iter().fold(Range::point(0.0), |acc, t| {
                acc.add(Range::point(t.fraction).mul(self.metric_points(t.metric, depth + 1)))
            }),
            Definition::Layered(layers) => layers.iter().fold(Range::point(0.0), |acc, l| {
                let inner = l.terms.iter().fold(Range::point(0.0), |acc, t| {
                    acc.add(Range::point(t.fraction).mul(self.metric_points(t.metric, depth + 1)))
                });
                acc.add(Range::point(l.fraction).mul(inner))
            }),
            Definition::Sum { base, metrics } => {
                metrics.iter().fold(Range::point(*base), |acc, (m, _)| {
                    acc.add(self.metric_points(*m, depth + 1))
                })
            }
            Definition::Value(e) => self.expr(e, depth + 1),
        }
    }

    /// The range of a score's reported value.
    pub fn score(&self, id: ScoreId, depth: usize) -> Range {
        let Some(s) = self.model.score(id) else {
            return Range::ALL;
        };
        let mut r = self.unclamped(id, depth);
        if let Some(f) = s.floor {
            r = Range::new(r.lo.max(f), r.hi.max(f));
        }
        if let Some(c) = s.cap {
            r = Range::new(r.lo.min(c), r.hi.min(c));
        }
        r
    }

    /// The range of a score's value before `floor` and `cap` (smoothing and
    /// `max_change` keep a value between values of this range).
    pub fn unclamped(&self, id: ScoreId, depth: usize) -> Range {
        if depth > MAX_DEPTH {
            return Range::ALL;
        }
        let Some(s) = self.model.score(id) else {
            return Range::ALL;
        };
        let mut r = s
            .overrides
            .iter()
            .fold(self.definition(&s.definition, depth), |acc, o| {
                acc.union(self.definition(&o.definition, depth))
            });
        for a in &s.adjustments {
            r = r.union(r.mul(Range::point(a.factor)));
        }
        r
    }
}
