//! Explaining one evaluated row: the values it read, the segments it is in
//! and why, and the walk over its scores, tiers, rules and flags.

use super::*;

pub(super) fn explain_row(at: &At<'_, '_>) -> Body {
    let model = at.batch.ctx.model;
    let segments = (0..model.segments.len())
        .filter_map(|k| segment(at, SegmentId(k as u32)))
        .collect();
    let scores = (0..model.scores.len())
        .filter_map(|k| score(at, ScoreId(k as u32)))
        .collect();
    let rules = fired_rules(at);
    let flags = raised_flags(at);
    let actions = actions(at);
    Body {
        periods_observed: at.batch.position(at.i),
        segments,
        scores,
        rules,
        flags,
        actions,
    }
}

impl At<'_, '_> {
    pub(super) fn model(&self) -> &Model {
        self.batch.ctx.model
    }

    pub(super) fn plan(&self) -> &Plan {
        self.batch.ctx.plan
    }

    /// The source text of a span, on one line, without comments.
    pub(super) fn quote(&self, loc: Loc) -> String {
        let text = self
            .sources
            .text(loc.file)
            .get(loc.span.range())
            .unwrap_or("");
        one_line(text)
    }

    /// The batch's first row of this partner.
    pub(super) fn first(&self) -> usize {
        (self.i + 1).saturating_sub(self.batch.position(self.i) as usize)
    }

    pub(super) fn period(&self, j: usize) -> String {
        let row = self.batch.rows.get(j).copied().unwrap_or(0) as usize;
        text_column(self.batch.ctx.table, self.model().contract.period)
            .map_or_else(|| (j + 1).to_string(), |p| p.get(row).to_string())
    }

    pub(super) fn truth(&self, e: &CExpr) -> bool {
        matches!(self.batch.eval(e, None), Col::Bool(v) if v.get(self.i) == Some(&1))
    }

    pub(super) fn flag_at(v: &[Option<Vec<u8>>], k: usize, i: usize) -> bool {
        v.get(k)
            .and_then(|x| x.as_ref())
            .and_then(|x| x.get(i))
            .is_some_and(|x| *x == 1)
    }

    pub(super) fn label(&self, labels: EnumId, l: u32) -> Option<String> {
        if l == MISSING_LABEL {
            return None;
        }
        self.model()
            .enum_type(labels)
            .and_then(|t| t.labels.get(l as usize))
            .cloned()
    }

    pub(super) fn segment_label(&self, s: SegmentId) -> u32 {
        self.batch
            .segments
            .get(s.index())
            .and_then(|v| v.as_ref())
            .and_then(|v| v.get(self.i))
            .copied()
            .unwrap_or(MISSING_LABEL)
    }

    /// `type technology, msp`: a segment and some of its labels.
    pub(super) fn segment_labels(&self, s: SegmentId, labels: &[u32]) -> String {
        let Some(def) = self.model().segment(s) else {
            return String::new();
        };
        let names: Vec<String> = labels
            .iter()
            .filter_map(|l| self.label(def.labels, *l))
            .collect();
        format!("{} {}", def.name, names.join(", "))
    }

    pub(super) fn points(&self, m: MetricId) -> f64 {
        self.batch
            .metric_points
            .get(m.index())
            .and_then(|v| v.as_ref())
            .and_then(|v| v.get(self.i))
            .copied()
            .unwrap_or(f64::NAN)
    }

    pub(super) fn metric_missing(&self, m: MetricId) -> bool {
        Self::flag_at(&self.batch.metric_missing, m.index(), self.i)
    }

    /// Value `i` of a column the engine computed, as shown to people.
    pub(super) fn value(&self, col: &Col, ty: Type, labels: Option<EnumId>) -> Value {
        let i = self.i;
        match col {
            Col::Num(v) => number_value(v.get(i).copied().unwrap_or(f64::NAN), ty),
            Col::Bool(v) => match v.get(i).copied().unwrap_or(MISSING_BOOL) {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                _ => Value::Missing,
            },
            Col::Label(v) => {
                let enum_id = labels.or(match ty {
                    Type::Enum(e) => Some(e),
                    _ => None,
                });
                let l = v.get(i).copied().unwrap_or(MISSING_LABEL);
                enum_id
                    .and_then(|e| self.label(e, l))
                    .map_or(Value::Missing, Value::Text)
            }
            Col::Text(v) => match v.get(i) {
                Some(t) if !t.is_empty() => Value::Text(t.to_string()),
                _ => Value::Missing,
            },
            Col::Actions => Value::List(
                eval::actions_of(self.batch, i)
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
            ),
            Col::FlagNames => Value::List(
                eval::flags_of(self.batch, i)
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
            ),
        }
    }

    /// Every name a condition or formula reads, with its value at the row.
    pub(super) fn reads(&self, e: &Expr, compiled: Option<&CExpr>) -> Vec<Reading> {
        let mut found: Vec<(&Expr, CExpr)> = Vec::new();
        collect_reads(self.plan(), self.model(), e, compiled, &mut found);
        let mut out: Vec<Reading> = Vec::new();
        for (leaf, c) in found {
            let name = self.quote(leaf.loc);
            if name.is_empty() || out.iter().any(|r| r.name == name) {
                continue;
            }
            let col = self.batch.eval(&c, None);
            let value = self.value(&col, leaf.ty, enum_of(self.model(), &c));
            out.push(Reading { name, value });
        }
        out
    }
}

pub(super) fn number_value(x: f64, ty: Type) -> Value {
    if x.is_nan() {
        Value::Missing
    } else if ty == Type::Integer && x.fract() == 0.0 && x.abs() < 1e15 {
        Value::Integer(x as i64)
    } else {
        Value::Number(x)
    }
}

pub(super) fn opt(x: f64) -> Option<f64> {
    if x.is_nan() { None } else { Some(x) }
}

/// The labels a compiled name's values index into.
pub(super) fn enum_of(model: &Model, c: &CExpr) -> Option<EnumId> {
    match c {
        CExpr::Column(_, Type::Enum(e)) => Some(*e),
        CExpr::Segment(s) => model.segment(*s).map(|d| d.labels),
        CExpr::Tier(s) => model
            .score(*s)
            .and_then(|d| d.tiers.as_ref())
            .map(|t| t.labels),
        _ => None,
    }
}

/// Walk a checked expression beside its compiled form, collecting what it
/// reads: names, and history and population calls (whose compiled form is a
/// site). Where constant folding changed the shape there are no names left.
pub(super) fn collect_reads<'e>(
    plan: &Plan,
    model: &Model,
    e: &'e Expr,
    c: Option<&CExpr>,
    out: &mut Vec<(&'e Expr, CExpr)>,
) {
    use ExprKind as K;
    let mut leaf = |x: CExpr| out.push((e, x));
    match &e.kind {
        K::Column(id) => {
            let ty = model.contract.column(*id).map_or(Type::Any, |d| d.ty);
            leaf(CExpr::Column(*id, ty));
        }
        K::Metric(m) => leaf(CExpr::MetricValue(*m)),
        K::Points(m) => leaf(CExpr::Points(*m)),
        K::Score(s, stage) => leaf(CExpr::Score(*s, *stage)),
        K::Tier(s) => leaf(CExpr::Tier(*s)),
        K::ComputedTier(s) => leaf(CExpr::ComputedTier(*s)),
        K::Flag(f) => leaf(CExpr::Flag(*f)),
        K::Segment(s) => leaf(CExpr::Segment(*s)),
        K::Builtin(b) => leaf(match b {
            Builtin::PeriodsObserved => CExpr::PeriodsObserved,
            Builtin::Tenure => CExpr::Tenure,
            Builtin::Actions => CExpr::Actions,
            Builtin::Flags => CExpr::Flags,
        }),
        K::History(_, x) | K::Population(_, x, _) => {
            let site = match c {
                Some(CExpr::Site(i)) => Some(*i),
                _ => None,
            };
            if let Some(i) = site {
                leaf(CExpr::Site(i));
            }
            let input = site.and_then(|i| plan.sites.get(i)).map(|s| &s.input);
            collect_reads(plan, model, x, input, out);
        }
        K::Unary(_, x) => {
            let cx = match c {
                Some(CExpr::Neg(cx) | CExpr::Not(cx)) => Some(&**cx),
                _ => None,
            };
            collect_reads(plan, model, x, cx, out);
        }
        K::Binary(_, a, b) => {
            let (ca, cb) = match c {
                Some(
                    CExpr::Arith(_, ca, cb)
                    | CExpr::Cmp(_, _, ca, cb)
                    | CExpr::And(ca, cb)
                    | CExpr::Or(ca, cb),
                ) => (Some(&**ca), Some(&**cb)),
                _ => (None, None),
            };
            collect_reads(plan, model, a, ca, out);
            collect_reads(plan, model, b, cb, out);
        }
        K::In { value, set, .. } => {
            let (cv, cs) = match c {
                Some(CExpr::In {
                    value: cv, set: cs, ..
                }) if cs.len() == set.len() => (Some(&**cv), Some(cs)),
                _ => (None, None),
            };
            collect_reads(plan, model, value, cv, out);
            for (k, x) in set.iter().enumerate() {
                collect_reads(plan, model, x, cs.and_then(|s| s.get(k)), out);
            }
        }
        K::IsMissing { value, .. } => {
            let cv = match c {
                Some(CExpr::IsMissing { value: cv, .. }) => Some(&**cv),
                _ => None,
            };
            collect_reads(plan, model, value, cv, out);
        }
        K::If { arms, otherwise } => {
            let (ca, co) = match c {
                Some(CExpr::If {
                    arms: ca,
                    otherwise: co,
                    ..
                }) if ca.len() == arms.len() => (Some(ca), Some(&**co)),
                _ => (None, None),
            };
            for (k, (cond, then)) in arms.iter().enumerate() {
                let pair = ca.and_then(|a| a.get(k));
                collect_reads(plan, model, cond, pair.map(|p| &p.0), out);
                collect_reads(plan, model, then, pair.map(|p| &p.1), out);
            }
            collect_reads(plan, model, otherwise, co, out);
        }
        K::Call(_, args) => {
            let cargs = match c {
                Some(CExpr::Call(_, a)) if a.len() == args.len() => Some(a),
                _ => None,
            };
            for (k, x) in args.iter().enumerate() {
                collect_reads(plan, model, x, cargs.and_then(|a| a.get(k)), out);
            }
        }
        K::Number(_) | K::Text(_) | K::Bool(_) | K::Missing | K::Label(..) | K::MetricValue => {}
    }
}

pub(super) fn segment(at: &At<'_, '_>, s: SegmentId) -> Option<SegmentExplanation> {
    let model = at.model();
    let def = model.segment(s)?;
    let label = at.label(def.labels, at.segment_label(s));
    let (reason, line) = match &def.source {
        SegmentSource::Column(c) => (
            SegmentReason::Column {
                column: model
                    .contract
                    .column(*c)
                    .map_or_else(String::new, |d| d.name.clone()),
            },
            None,
        ),
        SegmentSource::Rules(rules) => {
            let compiled = at.plan().segments.get(s.index()).and_then(|r| r.as_ref());
            let mut reason = SegmentReason::NoMatch;
            let mut line = None;
            for (k, rule) in rules.iter().enumerate() {
                let c = compiled
                    .and_then(|r| r.get(k))
                    .and_then(|(_, c)| c.as_ref());
                match (&rule.condition, c) {
                    (None, _) => {
                        reason = SegmentReason::Otherwise;
                        line = Some(k);
                        break;
                    }
                    (Some(cond), Some(c)) if at.truth(c) => {
                        reason = SegmentReason::Rule {
                            condition: at.quote(cond.loc),
                            reads: at.reads(cond, Some(c)),
                        };
                        line = Some(k);
                        break;
                    }
                    _ => {}
                }
            }
            (reason, line)
        }
    };
    Some(SegmentExplanation {
        name: def.name.clone(),
        label,
        reason,
        line,
    })
}
