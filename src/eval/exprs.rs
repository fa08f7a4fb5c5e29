//! Expressions of a batch, column at a time: operators, comparisons, text and
//! function calls.

use super::*;

impl<'a> Batch<'a> {
    /// The text of a value, for text comparisons.
    pub(super) fn text(&self, e: &CExpr, this: Option<&Col>) -> Texts {
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
                            .map_or("", String::as_str)
                    })
                    .collect()
            }
            _ => Texts::repeat("", n),
        }
    }

    /// Evaluate an expression for every row of the batch.
    pub fn eval(&self, e: &CExpr, this: Option<&Col>) -> Col {
        let n = self.len;
        match e {
            CExpr::Num(x) => Col::Num(vec![*x; n]),
            CExpr::Bool(b) => Col::Bool(vec![*b; n]),
            CExpr::Label(l) => Col::Label(vec![*l; n]),
            CExpr::Text(t) => Col::Text(Texts::repeat(t, n)),
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
            CExpr::ComputedTier(s) => Col::Label(
                self.scores
                    .get(s.index())
                    .and_then(|x| x.as_ref())
                    .map_or_else(
                        || vec![MISSING_LABEL; n],
                        |v| v.computed_tier.clone().unwrap_or_else(|| v.tier.clone()),
                    ),
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
            CExpr::Tenure => Col::Num(self.tenure()),
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
            } => Col::Bool(self.member_of(value, set, *kind, *negated, this)),
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
            } => self.if_arms(arms, otherwise, this),
            CExpr::Call(f, args) => self.call(*f, args, this),
            CExpr::Provisional(scores) => Col::Bool(self.any_provisional(scores)),
        }
    }

    /// `value in (a, b, …)`: whether each row's value equals a member.
    fn member_of(
        &self,
        value: &CExpr,
        set: &[CExpr],
        kind: CmpKind,
        negated: bool,
        this: Option<&Col>,
    ) -> Vec<u8> {
        let n = self.len;
        let mut out = vec![0u8; n];
        for member in set {
            let eq = self.compare(CmpOp::Eq, kind, value, member, this);
            for (o, e) in out.iter_mut().zip(eq) {
                *o = or(*o, e);
            }
        }
        if negated {
            out.iter_mut().for_each(|o| *o = not(*o));
        }
        out
    }

    /// `if c1 then v1 else if … else w`: each row takes the value of the
    /// first arm whose condition holds, or `w`.
    fn if_arms(&self, arms: &[(CExpr, CExpr)], otherwise: &CExpr, this: Option<&Col>) -> Col {
        let n = self.len;
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

    /// Periods since each row's partner's first row (missing where the
    /// period labels cannot be counted).
    fn tenure(&self) -> Vec<f64> {
        let n = self.len;
        (0..n)
            .map(|i| {
                self.ctx
                    .ordered
                    .tenure
                    .get(self.start + i)
                    .filter(|t| **t != NO_TENURE)
                    .map_or(f64::NAN, |t| f64::from(*t))
            })
            .collect()
    }

    /// Whether each row reads a provisional score.
    fn any_provisional(&self, scores: &[ScoreId]) -> Vec<u8> {
        let n = self.len;
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
            .collect()
    }

    pub(super) fn compare(
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

    pub(super) fn compare_text(
        &self,
        op: CmpOp,
        a: &CExpr,
        b: &CExpr,
        this: Option<&Col>,
    ) -> Vec<u8> {
        let (x, y) = (self.text(a, this), self.text(b, this));
        x.iter()
            .zip(y.iter())
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

    pub(super) fn call(&self, f: Function, args: &[CExpr], this: Option<&Col>) -> Col {
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
                    Function::Floor => ops::floor(x),
                    Function::Ceil => x.ceil(),
                    Function::Coalesce => x,
                };
                finite(v)
            })
            .collect();
        Col::Num(out)
    }
}
