//! Compile: the checked model lowered once into an evaluation plan.
//!
//! Expressions become [`CExpr`] trees with constants folded and every name
//! resolved to what the evaluator reads. Population functions (percentile,
//! min-max, z-score) and history functions over computed values need whole
//! columns, so each becomes a *site*: its input is computed for every row in
//! an earlier pass and its result materialized. Items are assigned levels so
//! that pass `k` computes the inputs of the level-`k` sites from what earlier
//! passes produced; the last pass computes everything the output needs.

use crate::model::*;
use crate::vocab::{BinOp, CmpOp, Normalizer, UnaryOp};

/// How two values compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpKind {
    Num,
    Bool,
    Label,
    Text,
}

/// A compiled expression.
#[derive(Clone, Debug, PartialEq)]
pub enum CExpr {
    Num(f64),
    Bool(u8),
    Label(u32),
    Text(String),
    Column(ColumnId, Type),
    MetricValue(MetricId),
    Points(MetricId),
    /// The metric's own value, inside `points = EXPR`.
    SelfValue,
    Score(ScoreId, ScoreStage),
    /// The reported tier: an approved override's where one applies.
    Tier(ScoreId),
    /// The tier the score computes.
    ComputedTier(ScoreId),
    Flag(FlagId),
    Segment(SegmentId),
    PeriodsObserved,
    Tenure,
    Actions,
    Flags,
    Neg(Box<CExpr>),
    Not(Box<CExpr>),
    Arith(BinOp, Box<CExpr>, Box<CExpr>),
    Cmp(CmpOp, CmpKind, Box<CExpr>, Box<CExpr>),
    And(Box<CExpr>, Box<CExpr>),
    Or(Box<CExpr>, Box<CExpr>),
    In {
        value: Box<CExpr>,
        set: Vec<CExpr>,
        kind: CmpKind,
        negated: bool,
    },
    IsMissing {
        value: Box<CExpr>,
        negated: bool,
    },
    If {
        arms: Vec<(CExpr, CExpr)>,
        otherwise: Box<CExpr>,
        ty: Type,
    },
    Call(Function, Vec<CExpr>),
    /// A materialized site's value at this row.
    Site(usize),
    /// Whether any of these scores is provisional.
    Provisional(Vec<ScoreId>),
}

/// What a site computes from its input column.
#[derive(Clone, Debug, PartialEq)]
pub enum SiteKind {
    Population {
        kind: Normalizer,
        within: Vec<GroupKey>,
    },
    History(HistoryFn),
}

/// A whole-column computation.
#[derive(Clone, Debug, PartialEq)]
pub struct Site {
    pub kind: SiteKind,
    pub input: CExpr,
    /// For a metric's `points percentile`: the metric whose value is the input.
    pub metric_value: Option<MetricId>,
    /// The pass whose end computes this site (1-based).
    pub level: usize,
}

/// Anything the evaluator computes per row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Item {
    Segment(SegmentId),
    MetricValue(MetricId),
    MetricPoints(MetricId),
    Score(ScoreId),
    Flag(FlagId),
    Rule(RuleId),
    Site(usize),
}

/// A segment rule: the label, and its condition (`None` for `otherwise`).
pub type SegmentRule = (u32, Option<CExpr>);

/// How a metric's rubric was compiled.
#[derive(Clone, Debug, PartialEq)]
pub enum CPoints {
    Identity,
    Bands(Vec<BandDef>),
    Scale {
        x0: f64,
        p0: f64,
        x1: f64,
        p1: f64,
    },
    /// A population site over the metric's value.
    Site(usize),
    Expr(CExpr),
}

#[derive(Clone, Debug, PartialEq)]
pub struct CRubric {
    pub points: CPoints,
    pub missing_points: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CMetric {
    pub value: CExpr,
    pub value_ty: Type,
    pub missing_value: Option<f64>,
    pub rubric: CRubric,
    pub segment_rubrics: Vec<(SegmentId, Vec<u32>, CRubric)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CDefinition {
    /// `(fraction, metric)` terms summed left to right; zero weights are left out.
    Weighted(Vec<(f64, MetricId)>),
    Layered(Vec<(f64, Vec<(f64, MetricId)>)>),
    Sum {
        base: f64,
        metrics: Vec<MetricId>,
    },
    Value(CExpr),
}

impl CDefinition {
    pub fn metrics(&self) -> Vec<MetricId> {
        match self {
            CDefinition::Weighted(t) => t.iter().map(|(_, m)| *m).collect(),
            CDefinition::Layered(l) => l
                .iter()
                .flat_map(|(_, t)| t.iter().map(|(_, m)| *m))
                .collect(),
            CDefinition::Sum { metrics, .. } => metrics.clone(),
            CDefinition::Value(_) => Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CScore {
    pub definition: CDefinition,
    pub overrides: Vec<(SegmentId, Vec<u32>, CDefinition)>,
    pub adjustments: Vec<(f64, CExpr)>,
    /// Scores this one reads: a provisional one makes it provisional.
    pub reads_scores: Vec<ScoreId>,
}

/// One exported column.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputColumn {
    pub name: String,
    pub expr: CExpr,
    /// The type of the value, for formatting (enum labels, integers).
    pub ty: Type,
    pub decimals: u32,
    pub if_missing: Option<String>,
    pub if_empty: Option<String>,
}

/// The evaluation plan.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub metrics: Vec<CMetric>,
    /// Per segment: its rules (label, condition), or `None` when it comes from a column.
    pub segments: Vec<Option<Vec<SegmentRule>>>,
    pub scores: Vec<CScore>,
    pub flags: Vec<CExpr>,
    pub rules: Vec<CExpr>,
    /// The exported columns: the output block's, or the default ones.
    pub outputs: Vec<OutputColumn>,
    pub sites: Vec<Site>,
    /// Per item, the pass from which it can be computed (0 = any).
    pub levels: std::collections::BTreeMap<Item, usize>,
    /// Columns the evaluation reads (others need only be validated).
    pub needed_columns: Vec<bool>,
    /// Rules in the order their actions are listed: priority, then written order.
    pub action_order: Vec<RuleId>,
    pub passes: usize,
}

struct Compiler<'m> {
    model: &'m Model,
    sites: Vec<Site>,
    needed: Vec<bool>,
}

fn boxed(e: CExpr) -> Box<CExpr> {
    Box::new(e)
}

fn cmp_kind(ty: Type) -> CmpKind {
    match ty {
        Type::Bool => CmpKind::Bool,
        Type::Enum(_) => CmpKind::Label,
        Type::Text => CmpKind::Text,
        _ => CmpKind::Num,
    }
}

impl Compiler<'_> {
    fn expr(&mut self, e: &Expr) -> CExpr {
        let c = match &e.kind {
            ExprKind::Number(n) => CExpr::Num(*n),
            ExprKind::Text(t) => CExpr::Text(t.clone()),
            ExprKind::Bool(b) => CExpr::Bool(u8::from(*b)),
            ExprKind::Missing => match e.ty {
                Type::Bool => CExpr::Bool(crate::data::table::MISSING_BOOL),
                Type::Enum(_) => CExpr::Label(crate::data::table::MISSING_LABEL),
                Type::Text => CExpr::Text(String::new()),
                _ => CExpr::Num(f64::NAN),
            },
            ExprKind::Label(_, i) => CExpr::Label(*i),
            ExprKind::Column(c) => {
                if let Some(slot) = self.needed.get_mut(c.index()) {
                    *slot = true;
                }
                let ty = self.model.contract.column(*c).map_or(Type::Any, |d| d.ty);
                CExpr::Column(*c, ty)
            }
            ExprKind::Metric(m) => CExpr::MetricValue(*m),
            ExprKind::Points(m) => CExpr::Points(*m),
            ExprKind::MetricValue => CExpr::SelfValue,
            ExprKind::Score(s, stage) => CExpr::Score(*s, *stage),
            ExprKind::Tier(s) => CExpr::Tier(*s),
            ExprKind::ComputedTier(s) => CExpr::ComputedTier(*s),
            ExprKind::Flag(f) => CExpr::Flag(*f),
            ExprKind::Segment(s) => CExpr::Segment(*s),
            ExprKind::Builtin(Builtin::PeriodsObserved) => CExpr::PeriodsObserved,
            ExprKind::Builtin(Builtin::Tenure) => CExpr::Tenure,
            ExprKind::Builtin(Builtin::Actions) => CExpr::Actions,
            ExprKind::Builtin(Builtin::Flags) => CExpr::Flags,
            ExprKind::Unary(UnaryOp::Neg, x) => CExpr::Neg(boxed(self.expr(x))),
            ExprKind::Unary(UnaryOp::Not, x) => CExpr::Not(boxed(self.expr(x))),
            ExprKind::Binary(op, a, b) => {
                let (ca, cb) = (self.expr(a), self.expr(b));
                match op {
                    BinOp::And => CExpr::And(boxed(ca), boxed(cb)),
                    BinOp::Or => CExpr::Or(boxed(ca), boxed(cb)),
                    BinOp::Cmp(c) => {
                        let ty = if a.ty == Type::Any { b.ty } else { a.ty };
                        CExpr::Cmp(*c, cmp_kind(ty), boxed(ca), boxed(cb))
                    }
                    _ => CExpr::Arith(*op, boxed(ca), boxed(cb)),
                }
            }
            ExprKind::In {
                value,
                set,
                negated,
            } => CExpr::In {
                kind: cmp_kind(value.ty),
                value: boxed(self.expr(value)),
                set: set.iter().map(|x| self.expr(x)).collect(),
                negated: *negated,
            },
            ExprKind::IsMissing { value, negated } => CExpr::IsMissing {
                value: boxed(self.expr(value)),
                negated: *negated,
            },
            ExprKind::If { arms, otherwise } => CExpr::If {
                arms: arms
                    .iter()
                    .map(|(c, v)| (self.expr(c), self.expr(v)))
                    .collect(),
                otherwise: boxed(self.expr(otherwise)),
                ty: e.ty,
            },
            ExprKind::Call(f, args) => CExpr::Call(*f, args.iter().map(|a| self.expr(a)).collect()),
            ExprKind::History(h, x) => {
                let input = self.expr(x);
                self.site(SiteKind::History(*h), input, None)
            }
            ExprKind::Population(kind, x, within) => {
                let input = self.expr(x);
                for g in within {
                    if let GroupKey::Column(c) = g {
                        if let Some(slot) = self.needed.get_mut(c.index()) {
                            *slot = true;
                        }
                    }
                }
                self.site(
                    SiteKind::Population {
                        kind: *kind,
                        within: within.clone(),
                    },
                    input,
                    None,
                )
            }
        };
        fold(c)
    }

    fn site(&mut self, kind: SiteKind, input: CExpr, metric_value: Option<MetricId>) -> CExpr {
        // The same function of the same input is computed once.
        if let Some(i) = self
            .sites
            .iter()
            .position(|s| s.kind == kind && s.input == input && s.metric_value == metric_value)
        {
            return CExpr::Site(i);
        }
        self.sites.push(Site {
            kind,
            input,
            metric_value,
            level: 0,
        });
        CExpr::Site(self.sites.len() - 1)
    }

    fn rubric(&mut self, metric: MetricId, r: &Rubric) -> CRubric {
        let points = match &r.points {
            PointsRule::Identity => CPoints::Identity,
            PointsRule::Bands(b) => CPoints::Bands(b.clone()),
            PointsRule::Scale { x0, p0, x1, p1 } => CPoints::Scale {
                x0: *x0,
                p0: *p0,
                x1: *x1,
                p1: *p1,
            },
            PointsRule::Normalize { kind, within } => {
                for g in within {
                    if let GroupKey::Column(c) = g {
                        if let Some(slot) = self.needed.get_mut(c.index()) {
                            *slot = true;
                        }
                    }
                }
                let CExpr::Site(i) = self.site(
                    SiteKind::Population {
                        kind: *kind,
                        within: within.clone(),
                    },
                    CExpr::MetricValue(metric),
                    Some(metric),
                ) else {
                    return CRubric {
                        points: CPoints::Identity,
                        missing_points: r.missing_points,
                    };
                };
                CPoints::Site(i)
            }
            PointsRule::Expr(e) => CPoints::Expr(self.expr(e)),
        };
        CRubric {
            points,
            missing_points: r.missing_points,
        }
    }

    fn definition(&mut self, d: &Definition) -> CDefinition {
        let terms = |ts: &[WeightTerm]| -> Vec<(f64, MetricId)> {
            ts.iter()
                .filter(|t| t.fraction != 0.0)
                .map(|t| (t.fraction, t.metric))
                .collect()
        };
        match d {
            Definition::Weighted(ts) => CDefinition::Weighted(terms(ts)),
            Definition::Layered(ls) => CDefinition::Layered(
                ls.iter()
                    .filter(|l| l.fraction != 0.0)
                    .map(|l| (l.fraction, terms(&l.terms)))
                    .collect(),
            ),
            Definition::Sum { base, metrics } => CDefinition::Sum {
                base: *base,
                metrics: metrics.iter().map(|(m, _)| *m).collect(),
            },
            Definition::Value(e) => CDefinition::Value(self.expr(e)),
        }
    }
}

/// Without an output block: key, period, segments, each score and its tier,
/// whether any score is provisional, actions and flags.
fn default_outputs(model: &Model, needed: &mut [bool]) -> Vec<OutputColumn> {
    let column = |name: String, expr: CExpr, ty: Type| OutputColumn {
        name,
        expr,
        ty,
        decimals: DEFAULT_DECIMALS,
        if_missing: None,
        if_empty: None,
    };
    let mut out = Vec::new();
    for id in [model.contract.key, model.contract.period]
        .into_iter()
        .flatten()
    {
        if let Some(def) = model.contract.column(id) {
            if let Some(slot) = needed.get_mut(id.index()) {
                *slot = true;
            }
            out.push(column(
                def.name.clone(),
                CExpr::Column(id, Type::Text),
                Type::Text,
            ));
        }
    }
    for (i, s) in model.segments.iter().enumerate() {
        out.push(column(
            s.name.clone(),
            CExpr::Segment(SegmentId(i as u32)),
            Type::Enum(s.labels),
        ));
    }
    let mut scores = Vec::new();
    for (i, s) in model.scores.iter().enumerate() {
        let id = ScoreId(i as u32);
        scores.push(id);
        out.push(column(
            s.name.clone(),
            CExpr::Score(id, ScoreStage::Reported),
            Type::Number,
        ));
        if let Some(t) = &s.tiers {
            out.push(column(
                format!("{}_tier", s.name),
                CExpr::Tier(id),
                Type::Enum(t.labels),
            ));
        }
    }
    if model.scores.iter().any(|s| s.min_periods.is_some()) {
        out.push(column(
            "provisional".into(),
            CExpr::Provisional(scores),
            Type::Bool,
        ));
    }
    if !model.rules.is_empty() {
        out.push(column("actions".into(), CExpr::Actions, Type::List));
    }
    if !model.flags.is_empty() {
        out.push(column("flags".into(), CExpr::Flags, Type::List));
    }
    out
}

/// Fold constant sub-expressions: arithmetic and logic over literals.
fn fold(e: CExpr) -> CExpr {
    match e {
        CExpr::Neg(x) => match *x {
            CExpr::Num(n) => CExpr::Num(-n),
            other => CExpr::Neg(boxed(other)),
        },
        CExpr::Arith(op, a, b) => match (&*a, &*b) {
            (CExpr::Num(x), CExpr::Num(y)) => CExpr::Num(crate::ops::arith(op, *x, *y)),
            _ => CExpr::Arith(op, a, b),
        },
        other => other,
    }
}

/// The items an expression reads.
pub fn expr_items(e: &CExpr, out: &mut Vec<Item>) {
    expr_refs(e, out, &mut Vec::new());
}

/// The items and the input columns an expression reads.
fn expr_refs(e: &CExpr, out: &mut Vec<Item>, columns: &mut Vec<ColumnId>) {
    let mut go = |x: &CExpr| expr_refs(x, out, columns);
    match e {
        CExpr::Column(c, _) => columns.push(*c),
        CExpr::MetricValue(m) => out.push(Item::MetricValue(*m)),
        CExpr::Points(m) => out.push(Item::MetricPoints(*m)),
        CExpr::Score(s, _) | CExpr::Tier(s) | CExpr::ComputedTier(s) => out.push(Item::Score(*s)),
        CExpr::Flag(f) => out.push(Item::Flag(*f)),
        CExpr::Segment(s) => out.push(Item::Segment(*s)),
        CExpr::Site(i) => out.push(Item::Site(*i)),
        CExpr::Provisional(scores) => out.extend(scores.iter().map(|s| Item::Score(*s))),
        CExpr::Neg(x) | CExpr::Not(x) | CExpr::IsMissing { value: x, .. } => go(x),
        CExpr::Arith(_, a, b) | CExpr::Cmp(_, _, a, b) | CExpr::And(a, b) | CExpr::Or(a, b) => {
            go(a);
            go(b);
        }
        CExpr::In { value, set, .. } => {
            go(value);
            set.iter().for_each(go);
        }
        CExpr::If {
            arms, otherwise, ..
        } => {
            for (c, v) in arms {
                go(c);
                go(v);
            }
            go(otherwise);
        }
        CExpr::Call(_, args) => args.iter().for_each(go),
        _ => {}
    }
}

/// What items read, gathered: other items and input columns.
#[derive(Default)]
struct Refs {
    items: Vec<Item>,
    columns: Vec<ColumnId>,
}

impl Refs {
    fn expr(&mut self, e: &CExpr) {
        expr_refs(e, &mut self.items, &mut self.columns);
    }

    fn rubric(&mut self, r: &CRubric, metric: MetricId) {
        self.items.push(Item::MetricValue(metric));
        match &r.points {
            CPoints::Site(i) => self.items.push(Item::Site(*i)),
            CPoints::Expr(e) => self.expr(e),
            _ => {}
        }
    }

    fn definition(&mut self, d: &CDefinition) {
        for m in d.metrics() {
            self.items.push(Item::MetricPoints(m));
            self.items.push(Item::MetricValue(m));
        }
        if let CDefinition::Value(e) = d {
            self.expr(e);
        }
    }
}

impl Plan {
    /// What an item reads.
    pub fn dependencies(&self, item: Item, model: &Model) -> Vec<Item> {
        self.references(item, model).items
    }

    /// The input columns an item reads itself (not through the items it reads).
    pub fn columns_read(&self, item: Item, model: &Model) -> Vec<ColumnId> {
        self.references(item, model).columns
    }

    fn references(&self, item: Item, model: &Model) -> Refs {
        let mut out = Refs::default();
        match item {
            Item::Segment(s) => {
                if let Some(Some(rules)) = self.segments.get(s.index()) {
                    for (_, c) in rules {
                        if let Some(c) = c {
                            out.expr(c);
                        }
                    }
                }
                if let Some(SegmentSource::Column(c)) = model.segment(s).map(|d| &d.source) {
                    out.columns.push(*c);
                }
            }
            Item::MetricValue(m) => {
                if let Some(cm) = self.metrics.get(m.index()) {
                    out.expr(&cm.value);
                }
            }
            Item::MetricPoints(m) => {
                if let Some(cm) = self.metrics.get(m.index()) {
                    out.rubric(&cm.rubric, m);
                    for (seg, _, r) in &cm.segment_rubrics {
                        out.items.push(Item::Segment(*seg));
                        out.rubric(r, m);
                    }
                }
            }
            Item::Score(s) => {
                if let Some(cs) = self.scores.get(s.index()) {
                    out.definition(&cs.definition);
                    for (seg, _, d) in &cs.overrides {
                        out.items.push(Item::Segment(*seg));
                        out.definition(d);
                    }
                    for (_, c) in &cs.adjustments {
                        out.expr(c);
                    }
                }
            }
            Item::Flag(f) => {
                if let Some(c) = self.flags.get(f.index()) {
                    out.expr(c);
                }
            }
            Item::Rule(r) => {
                if let Some(c) = self.rules.get(r.index()) {
                    out.expr(c);
                }
            }
            Item::Site(i) => {
                if let Some(site) = self.sites.get(i) {
                    out.expr(&site.input);
                    if let SiteKind::Population { within, .. } = &site.kind {
                        for g in within {
                            match g {
                                GroupKey::Segment(s) => out.items.push(Item::Segment(*s)),
                                GroupKey::Column(c) => out.columns.push(*c),
                            }
                        }
                    }
                }
            }
        }
        out
    }
}

/// Compile a checked, error-free model.
pub fn compile(model: &Model) -> Plan {
    let mut c = Compiler {
        model,
        sites: Vec::new(),
        needed: vec![false; model.contract.columns.len()],
    };
    for id in [model.contract.key, model.contract.period]
        .into_iter()
        .flatten()
    {
        if let Some(slot) = c.needed.get_mut(id.index()) {
            *slot = true;
        }
    }
    let metrics: Vec<CMetric> = model
        .metrics
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let id = MetricId(i as u32);
            let value = c.expr(&m.value);
            let rubric = c.rubric(id, &m.rubric);
            let segment_rubrics = m
                .segment_rubrics
                .iter()
                .map(|sr| (sr.segment, sr.labels.clone(), c.rubric(id, &sr.rubric)))
                .collect();
            CMetric {
                value,
                value_ty: m.value.ty,
                missing_value: m.missing_value,
                rubric,
                segment_rubrics,
            }
        })
        .collect();
    let segments = model
        .segments
        .iter()
        .map(|s| match &s.source {
            SegmentSource::Column(col) => {
                if let Some(slot) = c.needed.get_mut(col.index()) {
                    *slot = true;
                }
                None
            }
            SegmentSource::Rules(rules) => Some(
                rules
                    .iter()
                    .map(|r| (r.label, r.condition.as_ref().map(|e| c.expr(e))))
                    .collect(),
            ),
        })
        .collect();
    let scores = model
        .scores
        .iter()
        .map(|s| {
            let definition = c.definition(&s.definition);
            let overrides = s
                .overrides
                .iter()
                .map(|o| (o.segment, o.labels.clone(), c.definition(&o.definition)))
                .collect();
            let adjustments = s
                .adjustments
                .iter()
                .map(|a| (a.factor, c.expr(&a.condition)))
                .collect();
            CScore {
                definition,
                overrides,
                adjustments,
                reads_scores: Vec::new(),
            }
        })
        .collect::<Vec<_>>();
    let flags = model.flags.iter().map(|f| c.expr(&f.condition)).collect();
    let rules = model.rules.iter().map(|r| c.expr(&r.condition)).collect();
    let outputs = match &model.output {
        Some(o) => o
            .columns
            .iter()
            .map(|col| OutputColumn {
                name: col.name.clone(),
                expr: c.expr(&col.expr),
                ty: col.expr.ty,
                decimals: col.decimals,
                if_missing: col.if_missing.clone(),
                if_empty: col.if_empty.clone(),
            })
            .collect(),
        None => default_outputs(model, &mut c.needed),
    };
    let mut action_order: Vec<RuleId> = (0..model.rules.len()).map(|i| RuleId(i as u32)).collect();
    action_order.sort_by(|a, b| {
        let pa = model.rules.get(a.index()).map_or(0.0, |r| r.priority);
        let pb = model.rules.get(b.index()).map_or(0.0, |r| r.priority);
        pb.total_cmp(&pa).then(a.cmp(b))
    });
    let mut plan = Plan {
        metrics,
        segments,
        scores,
        flags,
        rules,
        outputs,
        sites: c.sites,
        levels: Default::default(),
        needed_columns: c.needed,
        action_order,
        passes: 1,
    };
    for i in 0..plan.scores.len() {
        let mut items = Vec::new();
        plan.dependencies(Item::Score(ScoreId(i as u32)), model)
            .into_iter()
            .for_each(|it| items.push(it));
        let mut reads: Vec<ScoreId> = items
            .into_iter()
            .filter_map(|it| match it {
                Item::Score(s) if s.index() != i => Some(s),
                _ => None,
            })
            .collect();
        reads.dedup();
        if let Some(s) = plan.scores.get_mut(i) {
            s.reads_scores = reads;
        }
    }
    assign_levels(&mut plan, model);
    plan
}

/// Level of each item: a site's level is one more than the deepest of what
/// its input reads; other items take the deepest of what they read.
fn assign_levels(plan: &mut Plan, model: &Model) {
    let mut items: Vec<Item> = Vec::new();
    items.extend((0..model.segments.len()).map(|i| Item::Segment(SegmentId(i as u32))));
    items.extend((0..model.metrics.len()).flat_map(|i| {
        let m = MetricId(i as u32);
        [Item::MetricValue(m), Item::MetricPoints(m)]
    }));
    items.extend((0..model.scores.len()).map(|i| Item::Score(ScoreId(i as u32))));
    items.extend((0..model.flags.len()).map(|i| Item::Flag(FlagId(i as u32))));
    items.extend((0..model.rules.len()).map(|i| Item::Rule(RuleId(i as u32))));
    items.extend((0..plan.sites.len()).map(Item::Site));
    let deps: Vec<(Item, Vec<Item>)> = items
        .iter()
        .map(|it| (*it, plan.dependencies(*it, model)))
        .collect();
    let mut levels: std::collections::BTreeMap<Item, usize> =
        items.iter().map(|it| (*it, 0)).collect();
    // The graph is acyclic (checked); a fixed point is reached within |items| rounds.
    for _ in 0..=items.len() {
        let mut changed = false;
        for (item, ds) in &deps {
            let deepest = ds
                .iter()
                .map(|d| levels.get(d).copied().unwrap_or(0))
                .max()
                .unwrap_or(0);
            let level = if matches!(item, Item::Site(_)) {
                deepest + 1
            } else {
                deepest
            };
            if levels.get(item).copied().unwrap_or(0) < level {
                levels.insert(*item, level);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for (i, site) in plan.sites.iter_mut().enumerate() {
        site.level = levels.get(&Item::Site(i)).copied().unwrap_or(1);
    }
    plan.passes = plan.sites.iter().map(|s| s.level).max().unwrap_or(0) + 1;
    plan.levels = levels;
}

/// Compile one more expression against a plan, for a value the plan's own
/// outputs do not compute (a test's expectation). Expressions that need a
/// population or history site of their own are refused (`None`): such
/// functions belong in metrics.
pub fn compile_extra(model: &Model, plan: &mut Plan, e: &Expr) -> Option<CExpr> {
    let mut c = Compiler {
        model,
        sites: Vec::new(),
        needed: plan.needed_columns.clone(),
    };
    let compiled = c.expr(e);
    if !c.sites.is_empty() {
        return None;
    }
    plan.needed_columns = c.needed;
    Some(compiled)
}
