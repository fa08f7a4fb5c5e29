//! The checked scorecard: every name resolved to an id, every expression typed.
//!
//! This is what `check` produces and what the engine compiles. Nothing here
//! refers to syntax except spans, kept for diagnostics and explanations.

use crate::source::FileId;
use crate::source::Span;
use crate::vocab::{BinOp, CmpOp, Normalizer, UnaryOp};

macro_rules! id {
    ($($name:ident),*) => {$(
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);
        impl $name {
            pub fn index(self) -> usize { self.0 as usize }
        }
    )*};
}

id!(
    ColumnId, EnumId, MetricId, SegmentId, ScoreId, FlagId, RuleId
);

/// Where something was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Loc {
    pub file: FileId,
    pub span: Span,
}

impl Loc {
    pub fn new(file: FileId, span: Span) -> Self {
        Loc { file, span }
    }
}

/// The type of a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    Number,
    /// A whole number; arithmetic on it gives `Number` except `+ - *` of two integers.
    Integer,
    Bool,
    Text,
    Enum(EnumId),
    /// A list of labels (`actions`, `flags`).
    List,
    /// Unknown after an error, or the `missing` literal: compatible with anything.
    Any,
}

impl Type {
    pub fn is_numeric(self) -> bool {
        matches!(self, Type::Number | Type::Integer | Type::Any)
    }
}

/// A named set of labels: an enum column, a segment, or a score's tiers.
#[derive(Clone, Debug, PartialEq)]
pub struct EnumType {
    pub name: String,
    pub labels: Vec<String>,
}

impl EnumType {
    pub fn label_index(&self, label: &str) -> Option<u32> {
        self.labels
            .iter()
            .position(|l| l == label)
            .map(|i| i as u32)
    }
}

/// The input contract.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Contract {
    pub key: Option<ColumnId>,
    pub period: Option<ColumnId>,
    pub columns: Vec<ColumnDef>,
    pub loc: Option<Loc>,
    /// `other columns ignored`: data columns the contract does not declare
    /// are expected (`check --data` does not report them).
    pub others_ignored: bool,
}

impl Contract {
    pub fn column(&self, id: ColumnId) -> Option<&ColumnDef> {
        self.columns.get(id.index())
    }

    pub fn find(&self, name: &str) -> Option<ColumnId> {
        self.columns
            .iter()
            .position(|c| c.name == name)
            .map(|i| ColumnId(i as u32))
    }
}

/// One declared column.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnDef {
    pub name: String,
    pub ty: Type,
    /// Lower bound and whether it is included.
    pub min: Option<(f64, bool)>,
    /// Upper bound and whether it is included.
    pub max: Option<(f64, bool)>,
    pub optional: bool,
    pub loc: Loc,
}

/// The metadata of a metric or score.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Meta {
    pub description: Option<String>,
    pub owner: Option<String>,
    pub source: Option<String>,
    pub rationale: Option<String>,
    pub layer: Option<Layer>,
    pub kind: Option<IndicatorKind>,
    pub unit: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layer {
    Strategy,
    Execution,
    Results,
}

impl Layer {
    pub const ALL: [(&'static str, Layer); 3] = [
        ("strategy", Layer::Strategy),
        ("execution", Layer::Execution),
        ("results", Layer::Results),
    ];

    pub fn name(self) -> &'static str {
        match self {
            Layer::Strategy => "strategy",
            Layer::Execution => "execution",
            Layer::Results => "results",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IndicatorKind {
    Leading,
    Lagging,
}

impl IndicatorKind {
    pub fn name(self) -> &'static str {
        match self {
            IndicatorKind::Leading => "leading",
            IndicatorKind::Lagging => "lagging",
        }
    }
}

/// A metric: a value per partner row, and the points it earns.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricDef {
    pub name: String,
    pub loc: Loc,
    pub meta: Meta,
    pub value: Expr,
    /// What a missing value counts as (`missing value N`).
    pub missing_value: Option<f64>,
    pub rubric: Rubric,
    /// Segment-specific rubrics, first match wins.
    pub segment_rubrics: Vec<SegmentRubric>,
}

/// How a value becomes points.
#[derive(Clone, Debug, PartialEq)]
pub struct Rubric {
    pub points: PointsRule,
    /// Points when the value is missing or no band matched (`missing points N`).
    pub missing_points: Option<f64>,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PointsRule {
    /// No `points` clause: the value is the points.
    Identity,
    Bands(Vec<BandDef>),
    /// Linear from `(x0, p0)` to `(x1, p1)`, clamped to the points between.
    Scale {
        x0: f64,
        p0: f64,
        x1: f64,
        p1: f64,
    },
    Normalize {
        kind: Normalizer,
        within: Vec<GroupKey>,
    },
    /// `points = EXPR`; [`ExprKind::MetricValue`] is the metric's value.
    Expr(Expr),
}

/// A band of a band table.
#[derive(Clone, Debug, PartialEq)]
pub struct BandDef {
    pub condition: BandCond,
    pub points: f64,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq)]
pub enum BandCond {
    Else,
    Missing,
    Interval {
        low: f64,
        low_closed: bool,
        high: f64,
        high_closed: bool,
    },
    Compare(CmpOp, f64),
    /// Categorical: the value's label (text, enum label, or number written as text) is one of these.
    Labels(Vec<String>),
}

impl BandCond {
    /// The condition as written: `>= 0.9`, `[0, 10)`, `"A", "B"`, `else`.
    pub fn describe(&self) -> String {
        let n = format_number;
        match self {
            BandCond::Else => "else".into(),
            BandCond::Missing => "missing".into(),
            BandCond::Compare(op, x) => format!("{} {}", op.symbol(), n(*x)),
            BandCond::Interval {
                low,
                low_closed,
                high,
                high_closed,
            } => crate::vocab::interval(&n(*low), *low_closed, &n(*high), *high_closed),
            BandCond::Labels(names) => names.join(", "),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SegmentRubric {
    pub segment: SegmentId,
    pub labels: Vec<u32>,
    pub rubric: Rubric,
}

/// What groups a population normalization compares within.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupKey {
    Column(ColumnId),
    Segment(SegmentId),
}

/// A segment: one label per partner row.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentDef {
    pub name: String,
    pub loc: Loc,
    pub description: Option<String>,
    pub labels: EnumId,
    pub source: SegmentSource,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SegmentSource {
    /// The label is the value of an enum column.
    Column(ColumnId),
    /// The first rule whose condition holds gives the label; `None` is `otherwise`.
    Rules(Vec<SegmentRuleDef>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct SegmentRuleDef {
    pub label: u32,
    pub condition: Option<Expr>,
    pub loc: Loc,
}

/// A score.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreDef {
    pub name: String,
    pub loc: Loc,
    pub meta: Meta,
    pub definition: Definition,
    /// Segment-specific definitions, first match wins.
    pub overrides: Vec<Override>,
    pub adjustments: Vec<Adjustment>,
    pub insufficient: Option<InsufficientRule>,
    pub smoothing: Option<Smoothing>,
    pub max_change: Option<f64>,
    pub floor: Option<f64>,
    pub cap: Option<f64>,
    pub min_periods: Option<u32>,
    pub tiers: Option<TierSet>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Definition {
    /// Sum of `weight * points`, in written order.
    Weighted(Vec<WeightTerm>),
    /// Sum of `layer weight * (sum of weight * points)`.
    Layered(Vec<LayerTerm>),
    /// `base + points + points + …`.
    Sum {
        base: f64,
        metrics: Vec<(MetricId, Loc)>,
    },
    Value(Expr),
}

impl Definition {
    /// Every metric the definition weighs or sums.
    pub fn metrics(&self) -> Vec<MetricId> {
        match self {
            Definition::Weighted(terms) => terms.iter().map(|t| t.metric).collect(),
            Definition::Layered(layers) => layers
                .iter()
                .flat_map(|l| l.terms.iter().map(|t| t.metric))
                .collect(),
            Definition::Sum { metrics, .. } => metrics.iter().map(|(m, _)| *m).collect(),
            Definition::Value(_) => Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct WeightTerm {
    pub metric: MetricId,
    /// The weight as written (percent points: 25 means a quarter).
    pub percent: f64,
    /// `percent / 100`, rounded once from the decimal written.
    pub fraction: f64,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LayerTerm {
    pub layer: Layer,
    pub percent: f64,
    pub fraction: f64,
    pub terms: Vec<WeightTerm>,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    pub segment: SegmentId,
    pub labels: Vec<u32>,
    pub definition: Definition,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Adjustment {
    pub reason: Option<String>,
    pub factor: f64,
    pub condition: Expr,
    pub loc: Loc,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InsufficientRule {
    /// A count of metrics, or a percentage (0–100) when `percent`.
    pub limit: f64,
    pub percent: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Smoothing {
    MovingAverage(u32),
    Exponential(f64),
}

/// The tiers of a score; labels in [`EnumType`] `labels` are the tiers in
/// order, then `provisional` and `insufficient_data`.
#[derive(Clone, Debug, PartialEq)]
pub struct TierSet {
    pub labels: EnumId,
    pub tiers: Vec<TierDef>,
    pub loc: Loc,
}

/// Peer groups smaller than this are not shown on a partner's page by default.
pub const DEFAULT_MIN_GROUP: usize = 5;

pub const PROVISIONAL: &str = "provisional";
pub const INSUFFICIENT_DATA: &str = "insufficient_data";

#[derive(Clone, Debug, PartialEq)]
pub struct TierDef {
    pub label: String,
    /// `None` for `otherwise`.
    pub threshold: Option<(CmpOp, f64)>,
    pub benefits: Vec<String>,
    pub obligations: Vec<String>,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FlagDef {
    pub name: String,
    pub loc: Loc,
    pub description: Option<String>,
    pub kind: Option<String>,
    pub condition: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RuleDef {
    pub name: String,
    pub loc: Loc,
    pub reason: Option<String>,
    pub condition: Expr,
    pub actions: Vec<String>,
    /// Higher first; `high` = 3, `medium` = 2 (the default), `low` = 1.
    pub priority: f64,
}

/// The word for a rule priority written as one (`high` = 3, `medium` = 2,
/// `low` = 1), or `None` for a priority written as another number.
pub fn priority_word(p: f64) -> Option<&'static str> {
    if p == 3.0 {
        Some("high")
    } else if p == 2.0 {
        Some("medium")
    } else if p == 1.0 {
        Some("low")
    } else {
        None
    }
}

/// The exported columns.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputDef {
    pub columns: Vec<OutputColumnDef>,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OutputColumnDef {
    pub name: String,
    pub expr: Expr,
    pub decimals: u32,
    pub if_missing: Option<String>,
    pub if_empty: Option<String>,
    pub loc: Loc,
}

/// The default number of decimals for numbers in outputs.
pub const DEFAULT_DECIMALS: u32 = 2;

/// `snapshot "data.csv" period …`: recorded output to compare against.
#[derive(Clone, Debug, PartialEq)]
pub struct SnapshotDef {
    /// The data file, relative to the scorecard.
    pub data: String,
    /// `None` for each partner's latest row, `Some(None)` for every row,
    /// `Some(Some(label))` for one period.
    pub period: Option<Option<String>>,
    /// A corrections file and an overrides file applied before scoring
    /// (relative to the scorecard).
    pub corrections: Option<(String, Loc)>,
    pub overrides: Option<(String, Loc)>,
    pub loc: Loc,
}

/// The header of a corrections file.
pub const CORRECTION_COLUMNS: [&str; 8] = [
    "partner",
    "period",
    "column",
    "value",
    "reason",
    "submitted_by",
    "approved_by",
    "date",
];

/// The header of an overrides file.
pub const OVERRIDE_COLUMNS: [&str; 9] = [
    "partner",
    "score",
    "tier",
    "from_period",
    "until_period",
    "reason",
    "requested_by",
    "approved_by",
    "date",
];

/// The corrections (or overrides) a test applies to its rows: a file, or
/// lines written in the test.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GovernInput {
    /// The file, relative to the scorecard.
    pub file: Option<(String, Loc)>,
    pub rows: Vec<GovernRow>,
}

impl GovernInput {
    pub fn is_empty(&self) -> bool {
        self.file.is_none() && self.rows.is_empty()
    }
}

/// `correction { … }` or `override { … }`: the fields of one line of a
/// corrections or overrides file, by header name, values as text.
#[derive(Clone, Debug, PartialEq)]
pub struct GovernRow {
    pub fields: Vec<(String, String)>,
    pub loc: Loc,
}

/// A test case.
#[derive(Clone, Debug, PartialEq)]
pub struct TestDef {
    pub name: String,
    pub loc: Loc,
    pub rows: Vec<TestRow>,
    pub files: Vec<(String, Loc)>,
    pub partner: Option<String>,
    pub period: Option<String>,
    pub corrections: GovernInput,
    pub overrides: GovernInput,
    pub expects: Vec<ExpectDef>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TestRow {
    pub values: Vec<(ColumnId, TestValue)>,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TestValue {
    Number(f64),
    Text(String),
    Bool(bool),
    Missing,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExpectDef {
    pub kind: ExpectKindDef,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExpectKindDef {
    Actions {
        negated: bool,
        label: String,
    },
    Flags {
        negated: bool,
        flag: FlagId,
    },
    State {
        target: Expr,
        negated: bool,
        state: crate::vocab::StateWord,
    },
    Compare {
        target: Expr,
        op: CmpOp,
        expected: TestValue,
        tolerance: Option<f64>,
    },
}

/// A typed expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Type,
    pub loc: Loc,
}

/// Which stage of a score an expression reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScoreStage {
    Raw,
    Smoothed,
    Reported,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    PeriodsObserved,
    Tenure,
    Actions,
    Flags,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Function {
    Min,
    Max,
    Clamp,
    Abs,
    Log,
    Log10,
    Sqrt,
    Exp,
    Round,
    Floor,
    Ceil,
    Coalesce,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HistoryFn {
    Previous,
    Change,
    PctChange,
    MovingAverage(u32),
    Trend(u32),
    /// The exact sum of the values so far (missing values skipped).
    RunningSum,
    /// How many values so far are not missing.
    RunningCount,
    RunningMin,
    RunningMax,
    /// Rows since the condition was last true (0 when true on this row).
    PeriodsSince,
    /// Rows in a row, up to and including this one, on which the condition is true.
    Streak,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Number(f64),
    Text(String),
    Bool(bool),
    Missing,
    /// A label of an enum type.
    Label(EnumId, u32),
    Column(ColumnId),
    /// A metric's value (after `missing value`).
    Metric(MetricId),
    /// A metric's points.
    Points(MetricId),
    /// Inside `points = EXPR`: the metric's own value.
    MetricValue,
    Score(ScoreId, ScoreStage),
    /// `tier(score)`: the reported tier, an approved override's where one applies.
    Tier(ScoreId),
    /// `computed_tier(score)`: the tier the score computes, overridden or not.
    ComputedTier(ScoreId),
    Flag(FlagId),
    Segment(SegmentId),
    Builtin(Builtin),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    In {
        value: Box<Expr>,
        set: Vec<Expr>,
        negated: bool,
    },
    IsMissing {
        value: Box<Expr>,
        negated: bool,
    },
    If {
        arms: Vec<(Expr, Expr)>,
        otherwise: Box<Expr>,
    },
    Call(Function, Vec<Expr>),
    History(HistoryFn, Box<Expr>),
    Population(Normalizer, Box<Expr>, Vec<GroupKey>),
}

impl Expr {
    /// Visit this expression and every sub-expression, parents first.
    pub fn walk<'a>(&'a self, visit: &mut dyn FnMut(&'a Expr)) {
        visit(self);
        match &self.kind {
            ExprKind::Unary(_, e)
            | ExprKind::IsMissing { value: e, .. }
            | ExprKind::History(_, e) => e.walk(visit),
            ExprKind::Population(_, e, _) => e.walk(visit),
            ExprKind::Binary(_, a, b) => {
                a.walk(visit);
                b.walk(visit);
            }
            ExprKind::In { value, set, .. } => {
                value.walk(visit);
                set.iter().for_each(|e| e.walk(visit));
            }
            ExprKind::If { arms, otherwise } => {
                for (c, v) in arms {
                    c.walk(visit);
                    v.walk(visit);
                }
                otherwise.walk(visit);
            }
            ExprKind::Call(_, args) => args.iter().for_each(|e| e.walk(visit)),
            _ => {}
        }
    }

    /// The constant this expression always has, if it has no inputs.
    pub fn constant_bool(&self) -> Option<bool> {
        fold_bool(self)
    }
}

/// A node of the dependency graph: what is computed per row, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Segment(SegmentId),
    Metric(MetricId),
    Score(ScoreId),
    Flag(FlagId),
}

/// A checked scorecard.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Model {
    pub name: Option<String>,
    pub version: Option<String>,
    /// `sha256:` of the scorecard's text and every file it imports, so a
    /// result can be traced to the exact rules that produced it.
    pub content_hash: String,
    pub root: FileId,
    pub contract: Contract,
    pub enums: Vec<EnumType>,
    pub metrics: Vec<MetricDef>,
    pub segments: Vec<SegmentDef>,
    pub scores: Vec<ScoreDef>,
    pub flags: Vec<FlagDef>,
    pub rules: Vec<RuleDef>,
    pub output: Option<OutputDef>,
    /// `output { min_group N }`: the smallest peer group a partner's page shows.
    pub min_group: Option<u32>,
    pub tests: Vec<TestDef>,
    pub snapshots: Vec<SnapshotDef>,
    /// What corrections to the data and tier overrides must satisfy (`governance { … }`).
    pub governance: GovernancePolicy,
    /// Segments, metrics, scores and flags in an order where each comes after
    /// everything it depends on (empty when there is a cycle).
    pub order: Vec<Node>,
}

impl Model {
    pub fn enum_type(&self, id: EnumId) -> Option<&EnumType> {
        self.enums.get(id.index())
    }

    pub fn metric(&self, id: MetricId) -> Option<&MetricDef> {
        self.metrics.get(id.index())
    }

    pub fn score(&self, id: ScoreId) -> Option<&ScoreDef> {
        self.scores.get(id.index())
    }

    pub fn segment(&self, id: SegmentId) -> Option<&SegmentDef> {
        self.segments.get(id.index())
    }

    pub fn flag(&self, id: FlagId) -> Option<&FlagDef> {
        self.flags.get(id.index())
    }

    /// The smallest group of partners a partner-facing page may compare with.
    pub fn min_group(&self) -> usize {
        self.min_group.map_or(DEFAULT_MIN_GROUP, |n| n as usize)
    }

    /// Whether any expression needs a partner's history.
    pub fn uses_history(&self) -> bool {
        let mut found = false;
        self.for_each_expr(&mut |e| {
            e.walk(&mut |x| {
                if matches!(
                    x.kind,
                    ExprKind::History(..)
                        | ExprKind::Builtin(Builtin::PeriodsObserved | Builtin::Tenure)
                ) {
                    found = true;
                }
            })
        });
        found
            || self
                .scores
                .iter()
                .any(|s| s.smoothing.is_some() || s.max_change.is_some() || s.min_periods.is_some())
    }

    /// Visit every top-level expression of the model.
    pub fn for_each_expr<'a>(&'a self, visit: &mut dyn FnMut(&'a Expr)) {
        for m in &self.metrics {
            visit(&m.value);
            for rubric in
                std::iter::once(&m.rubric).chain(m.segment_rubrics.iter().map(|r| &r.rubric))
            {
                if let PointsRule::Expr(e) = &rubric.points {
                    visit(e);
                }
            }
        }
        for s in &self.segments {
            if let SegmentSource::Rules(rules) = &s.source {
                for r in rules {
                    if let Some(c) = &r.condition {
                        visit(c);
                    }
                }
            }
        }
        for s in &self.scores {
            for d in std::iter::once(&s.definition).chain(s.overrides.iter().map(|o| &o.definition))
            {
                if let Definition::Value(e) = d {
                    visit(e);
                }
            }
            for a in &s.adjustments {
                visit(&a.condition);
            }
        }
        for f in &self.flags {
            visit(&f.condition);
        }
        for r in &self.rules {
            visit(&r.condition);
        }
        if let Some(o) = &self.output {
            for c in &o.columns {
                visit(&c.expr);
            }
        }
    }
}

/// The `governance` block: the policy corrections and overrides are held to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GovernancePolicy {
    pub corrections: CorrectionPolicy,
    pub overrides: OverridePolicy,
    pub loc: Option<Loc>,
}

/// `corrections { approver required  locked revenue_booked }`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CorrectionPolicy {
    /// Every correction names who approved it.
    pub approver_required: bool,
    /// Columns no correction may change.
    pub locked: Vec<ColumnId>,
}

/// `overrides { approver required  max_move 1  expire within 4 periods }`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OverridePolicy {
    pub approver_required: bool,
    /// The most tiers an override may move a partner from its computed tier.
    pub max_move: Option<u32>,
    /// An override must name its last period, at most this many periods after its first.
    pub expire_within: Option<u32>,
}

/// A number as a label: `3` for 3.0, `2.5` for 2.5.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

// Constant folding of conditions, for lints: which conditions never change.

/// A constant value an expression always has.
#[derive(Clone, Debug, PartialEq)]
enum Const {
    Number(f64),
    Bool(bool),
    Text(String),
    Label(u32, u32),
}

/// The truth value `e` always has, if it reads no input.
fn fold_bool(e: &Expr) -> Option<bool> {
    match fold(e)? {
        Const::Bool(b) => Some(b),
        _ => None,
    }
}

fn fold(e: &Expr) -> Option<Const> {
    Some(match &e.kind {
        ExprKind::Number(n) => Const::Number(*n),
        ExprKind::Bool(b) => Const::Bool(*b),
        ExprKind::Text(t) => Const::Text(t.clone()),
        ExprKind::Label(e, i) => Const::Label(e.0, *i),
        ExprKind::Unary(UnaryOp::Not, x) => match fold(x)? {
            Const::Bool(b) => Const::Bool(!b),
            _ => return None,
        },
        ExprKind::Unary(UnaryOp::Neg, x) => match fold(x)? {
            Const::Number(n) => Const::Number(-n),
            _ => return None,
        },
        ExprKind::Binary(op, a, b) => {
            // `x and false` is false whatever x is; `x or true` is true.
            if matches!(op, BinOp::And | BinOp::Or) {
                let (fa, fb) = (fold(a), fold(b));
                let absorbing = matches!(op, BinOp::Or);
                if fa == Some(Const::Bool(absorbing)) || fb == Some(Const::Bool(absorbing)) {
                    return Some(Const::Bool(absorbing));
                }
                return match (fa?, fb?) {
                    (Const::Bool(x), Const::Bool(y)) => {
                        Some(Const::Bool(if absorbing { x || y } else { x && y }))
                    }
                    _ => None,
                };
            }
            let (a, b) = (fold(a)?, fold(b)?);
            match (op, a, b) {
                (BinOp::Cmp(c), Const::Number(x), Const::Number(y)) => Const::Bool(c.holds(x, y)),
                (BinOp::Cmp(c), x, y) if matches!(c, CmpOp::Eq | CmpOp::Ne) => {
                    Const::Bool((x == y) == matches!(c, CmpOp::Eq))
                }
                (BinOp::Add, Const::Number(x), Const::Number(y)) => Const::Number(x + y),
                (BinOp::Sub, Const::Number(x), Const::Number(y)) => Const::Number(x - y),
                (BinOp::Mul, Const::Number(x), Const::Number(y)) => Const::Number(x * y),
                (BinOp::Div, Const::Number(x), Const::Number(y)) if y != 0.0 => {
                    Const::Number(x / y)
                }
                _ => return None,
            }
        }
        ExprKind::In {
            value,
            set,
            negated,
        } => {
            let v = fold(value)?;
            let mut members = Vec::new();
            for s in set {
                members.push(fold(s)?);
            }
            Const::Bool(members.contains(&v) != *negated)
        }
        _ => return None,
    })
}
