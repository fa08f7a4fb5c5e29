//! The resolver's shared state: the symbol table, the context an expression
//! is checked in, and what each file's defaults and each metric's value have
//! reached so far.

use indexmap::IndexMap;

use crate::check::load::Program;
use crate::diag::{Diagnostic, Diagnostics};
use crate::model::*;
use crate::source::FileId;
use crate::syntax::ast::{self, Decl, Span};

/// What a name stands for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Symbol {
    Column(ColumnId),
    Metric(MetricId),
    Segment(SegmentId),
    Score(ScoreId),
    Flag(FlagId),
    Rule(RuleId),
}

impl Symbol {
    pub(super) fn kind(self) -> &'static str {
        match self {
            Symbol::Column(_) => "column",
            Symbol::Metric(_) => "metric",
            Symbol::Segment(_) => "segment",
            Symbol::Score(_) => "score",
            Symbol::Flag(_) => "flag",
            Symbol::Rule(_) => "rule",
        }
    }
}

/// Names the language defines itself.
pub(super) const BUILTINS: &[(&str, Builtin)] = &[
    ("periods_observed", Builtin::PeriodsObserved),
    ("tenure", Builtin::Tenure),
    ("actions", Builtin::Actions),
    ("flags", Builtin::Flags),
];

pub(super) const FUNCTIONS: &[&str] = &[
    "min",
    "max",
    "clamp",
    "abs",
    "log",
    "log10",
    "sqrt",
    "exp",
    "round",
    "floor",
    "ceil",
    "coalesce",
    "previous",
    "change",
    "pct_change",
    "moving_average",
    "trend",
    "running_sum",
    "running_count",
    "running_min",
    "running_max",
    "periods_since",
    "streak",
    "percentile",
    "zscore",
    "minmax",
    "points",
    "tier",
    "computed_tier",
    "raw",
    "smoothed",
];

/// The most periods a window (`moving_average`, `trend`, `smooth`,
/// `min_periods`) may span: the limit of docs/language.md, section Limits.
pub const MAX_WINDOW: f64 = 10_000.0;
pub(super) const MAX_WINDOW_TEXT: &str = "10,000";

/// The context an expression is checked in.
#[derive(Clone, Copy)]
pub(super) struct Ctx {
    pub(super) file: FileId,
    /// Inside `points = EXPR` of this metric: `value` is its value.
    pub(super) points_of: Option<MetricId>,
}

/// Resolves a program's declarations into the model, collecting every
/// diagnostic on the way (one pass per concern; see `run`).
pub struct Resolver<'p> {
    pub(super) program: &'p Program,
    pub diagnostics: Diagnostics,
    pub model: Model,
    pub(super) symbols: IndexMap<String, (Symbol, Loc)>,
    /// Whether the input block declares a period column.
    pub(super) has_period: bool,
    /// Each file's `defaults` block, resolved.
    pub(super) defaults: Vec<(FileId, FileDefaults<'p>)>,
    /// Each metric's declaration, by id, so its value can be typed when first needed.
    pub(super) metric_decls: Vec<(FileId, &'p ast::Metric)>,
    /// How far each metric's value is resolved, by id.
    pub(super) metric_state: Vec<ValueState>,
    /// Columns that a metric is named after: the name means the metric, except
    /// inside that metric's own `value`, and where only a column can stand.
    pub(super) shadowed_columns: IndexMap<String, ColumnId>,
    /// The metric whose `value` is being resolved.
    pub(super) value_of: Option<MetricId>,
    /// How many metric values are being resolved one inside another.
    pub(super) value_depth: usize,
}

/// What a file's `defaults` block sets for the metrics and test rows of that
/// file that do not set it themselves.
#[derive(Default)]
pub(super) struct FileDefaults<'p> {
    pub(super) meta: Meta,
    pub(super) missing_value: Option<f64>,
    pub(super) missing_points: Option<f64>,
    /// `given { … }`: values for test rows, checked with the tests.
    pub(super) given: &'p [ast::Field],
}

/// The most metric values resolved one inside another. Values are resolved in
/// dependency order, so only a cycle (reported as `S001`) nests this deep.
pub(super) const MAX_VALUE_DEPTH: usize = 64;

/// How far a metric's value is resolved: values are typed on first use, so a
/// metric's type never depends on where it is declared.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum ValueState {
    Pending,
    Resolving,
    Done,
}

pub(super) fn loc(file: FileId, span: Span) -> Loc {
    Loc::new(file, span)
}

pub(super) fn placeholder_expr(l: Loc) -> Expr {
    Expr {
        kind: ExprKind::Missing,
        ty: Type::Any,
        loc: l,
    }
}

/// A score with nothing resolved yet: its definition a missing value, no
/// guardrails, no tiers.
pub(super) fn placeholder_score(name: &str, l: Loc) -> ScoreDef {
    ScoreDef {
        name: name.to_string(),
        loc: l,
        meta: Meta::default(),
        definition: Definition::Value(placeholder_expr(l)),
        overrides: Vec::new(),
        adjustments: Vec::new(),
        insufficient: None,
        smoothing: None,
        max_change: None,
        floor: None,
        cap: None,
        min_periods: None,
        tiers: None,
    }
}

impl<'p> Resolver<'p> {
    pub fn new(program: &'p Program) -> Self {
        Resolver {
            program,
            diagnostics: Diagnostics::new(),
            model: Model::default(),
            symbols: IndexMap::new(),
            has_period: false,
            defaults: Vec::new(),
            metric_decls: Vec::new(),
            metric_state: Vec::new(),
            shadowed_columns: IndexMap::new(),
            value_of: None,
            value_depth: 0,
        }
    }

    pub(super) fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    /// The declarations that take part: the root's, then each import's
    /// (imports contribute everything but their header, output and tests).
    pub(super) fn decls(&self) -> Vec<(FileId, bool, &'p Decl)> {
        let mut out = Vec::new();
        for loaded in &self.program.files {
            let is_root = Some(loaded.file) == self.program.root;
            for decl in &loaded.tree.decls {
                out.push((loaded.file, is_root, decl));
            }
        }
        out
    }
}
