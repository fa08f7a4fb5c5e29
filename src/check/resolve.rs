//! Name resolution and type checking: syntax trees to the [`Model`].
//!
//! Declarations are entered first (so order in the file never matters), then
//! each is resolved. A name that fails to resolve becomes an expression of type
//! `Any`, so one mistake is reported once, not again by everything using it.

use indexmap::IndexMap;

use super::load::Program;
use crate::diag::fuzzy;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::*;
use crate::source::FileId;
use crate::syntax::ast::{self, BinOp, CmpOp, Decl, Span, UnaryOp};

/// What a name stands for.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Symbol {
    Column(ColumnId),
    Metric(MetricId),
    Segment(SegmentId),
    Score(ScoreId),
    Flag(FlagId),
    Rule(RuleId),
}

impl Symbol {
    fn kind(self) -> &'static str {
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
const BUILTINS: &[(&str, Builtin)] = &[
    ("periods_observed", Builtin::PeriodsObserved),
    ("tenure", Builtin::Tenure),
    ("actions", Builtin::Actions),
    ("flags", Builtin::Flags),
];

const FUNCTIONS: &[&str] = &[
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
    "raw",
    "smoothed",
];

/// The most periods a window (`moving_average`, `trend`, `smooth`,
/// `min_periods`) may span: the limit of docs/language.md, section Limits.
pub const MAX_WINDOW: f64 = 10_000.0;
const MAX_WINDOW_TEXT: &str = "10,000";

/// The context an expression is checked in.
#[derive(Clone, Copy)]
struct Ctx {
    file: FileId,
    /// Inside `points = EXPR` of this metric: `value` is its value.
    points_of: Option<MetricId>,
}

pub struct Resolver<'p> {
    program: &'p Program,
    pub diagnostics: Diagnostics,
    pub model: Model,
    symbols: IndexMap<String, (Symbol, Loc)>,
    /// The declared type of each enum column, segment and tier set, by name.
    has_period: bool,
    /// Each file's `defaults` block, resolved.
    defaults: Vec<(FileId, FileDefaults<'p>)>,
    /// Each metric's declaration, by id, so its value can be typed when first needed.
    metric_decls: Vec<(FileId, &'p ast::Metric)>,
    /// How far each metric's value is resolved, by id.
    metric_state: Vec<ValueState>,
    /// Columns that a metric is named after: the name means the metric, except
    /// inside that metric's own `value`, and where only a column can stand.
    shadowed_columns: IndexMap<String, ColumnId>,
    /// The metric whose `value` is being resolved.
    value_of: Option<MetricId>,
    /// How many metric values are being resolved one inside another.
    value_depth: usize,
}

/// What a file's `defaults` block sets for the metrics and test rows of that
/// file that do not set it themselves.
#[derive(Default)]
struct FileDefaults<'p> {
    meta: Meta,
    missing_value: Option<f64>,
    missing_points: Option<f64>,
    /// `given { … }`: values for test rows, checked with the tests.
    given: &'p [ast::Field],
}

/// The most metric values resolved one inside another. Values are resolved in
/// dependency order, so only a cycle (reported as `S001`) nests this deep.
const MAX_VALUE_DEPTH: usize = 64;

/// How far a metric's value is resolved: values are typed on first use, so a
/// metric's type never depends on where it is declared.
#[derive(Clone, Copy, Debug, PartialEq)]
enum ValueState {
    Pending,
    Resolving,
    Done,
}

fn loc(file: FileId, span: Span) -> Loc {
    Loc::new(file, span)
}

fn placeholder_expr(l: Loc) -> Expr {
    Expr {
        kind: ExprKind::Missing,
        ty: Type::Any,
        loc: l,
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

    fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    /// The declarations that take part: the root's, then each import's
    /// (imports contribute everything but their header, output and tests).
    fn decls(&self) -> Vec<(FileId, bool, &'p Decl)> {
        let mut out = Vec::new();
        for loaded in &self.program.files {
            let is_root = Some(loaded.file) == self.program.root;
            for decl in &loaded.tree.decls {
                out.push((loaded.file, is_root, decl));
            }
        }
        out
    }

    pub fn run(mut self) -> (Model, Diagnostics) {
        if let Some(root) = self.program.files.first() {
            self.model.root = root.file;
            if let Some(h) = &root.tree.header {
                self.model.name = Some(h.name.value.clone());
                self.model.version = h.version.as_ref().map(|v| v.value.clone());
            }
        }
        self.declare_contract();
        self.declare_names();
        self.resolve_segments();
        self.resolve_defaults();
        self.resolve_metrics();
        self.resolve_scores();
        self.resolve_flags_and_rules();
        self.resolve_output();
        self.resolve_tests();
        self.resolve_snapshots();
        (self.model, self.diagnostics)
    }

    fn define(&mut self, name: &ast::Ident, file: FileId, symbol: Symbol) -> bool {
        if let (Some((Symbol::Column(column), _)), Symbol::Metric(_)) =
            (self.symbols.get(&name.name).copied(), symbol)
        {
            // A metric named after the column it scores.
            self.shadowed_columns.insert(name.name.clone(), column);
            self.symbols
                .insert(name.name.clone(), (symbol, loc(file, name.span)));
            return true;
        }
        if let Some((previous, previous_loc)) = self.symbols.get(&name.name).copied() {
            let mut d = Diagnostic::new(
                Code::N002,
                file,
                name.span,
                format!(
                    "`{}` is already defined as a {}",
                    name.name,
                    previous.kind()
                ),
            )
            .label(format!("second definition of `{}`", name.name))
            .help("give each column, metric, segment, score, flag and rule its own name");
            if previous_loc.file == file {
                d = d.note(previous_loc.span, "first defined here");
            }
            self.push(d);
            return false;
        }
        self.symbols
            .insert(name.name.clone(), (symbol, loc(file, name.span)));
        true
    }

    fn new_enum(&mut self, name: &str, labels: Vec<String>) -> EnumId {
        self.model.enums.push(EnumType {
            name: name.to_string(),
            labels,
        });
        EnumId((self.model.enums.len() - 1) as u32)
    }

    // ─── input contract ──────────────────────────────────────────────────────

    fn declare_contract(&mut self) {
        let mut seen_input_in: Vec<FileId> = Vec::new();
        let mut key: Option<(ast::Ident, FileId, Span)> = None;
        let mut period: Option<(ast::Ident, FileId, Span)> = None;
        for (file, _, decl) in self.decls() {
            let Decl::Input(input) = decl else { continue };
            if seen_input_in.contains(&file) {
                self.push(
                    Diagnostic::new(
                        Code::S004,
                        file,
                        input.span,
                        "a second `input` block in this file",
                    )
                    .label("second input block")
                    .help("declare every column in one `input` block"),
                );
            }
            seen_input_in.push(file);
            if self.model.contract.loc.is_none() {
                self.model.contract.loc = Some(loc(file, input.span));
            }
            for entry in &input.entries {
                match entry {
                    ast::InputEntry::Key(ident, span) | ast::InputEntry::Period(ident, span) => {
                        let is_key = matches!(entry, ast::InputEntry::Key(..));
                        let slot = if is_key { &mut key } else { &mut period };
                        if let Some((first, ..)) = slot {
                            if first.name != ident.name {
                                let what = if is_key { "key" } else { "period" };
                                let d = Diagnostic::new(
                                    Code::S004,
                                    file,
                                    *span,
                                    format!(
                                        "a second `{what}` column: `{}` after `{}`",
                                        ident.name, first.name
                                    ),
                                )
                                .label(format!("second `{what}`"))
                                .help(format!("a scorecard has one {what} column"));
                                self.push(d);
                            }
                        } else {
                            *slot = Some((ident.clone(), file, *span));
                        }
                    }
                    ast::InputEntry::Column(column) => self.declare_column(file, column),
                    ast::InputEntry::OthersIgnored(_) => self.model.contract.others_ignored = true,
                }
            }
        }
        for (slot, is_key) in [(key, true), (period, false)] {
            let Some((ident, file, _)) = slot else {
                continue;
            };
            let id = match self.model.contract.find(&ident.name) {
                Some(id) => {
                    if let Some(col) = self.model.contract.columns.get(id.index()) {
                        if !matches!(col.ty, Type::Text | Type::Enum(_) | Type::Integer) {
                            let col_loc = col.loc;
                            self.push(
                                Diagnostic::new(
                                    Code::T001,
                                    col_loc.file,
                                    col_loc.span,
                                    format!(
                                        "the {} column `{}` must be text",
                                        if is_key { "key" } else { "period" },
                                        ident.name
                                    ),
                                )
                                .label("declared with another type here")
                                .help("declare it as `text`, or leave its type out"),
                            );
                        }
                    }
                    id
                }
                None => {
                    let id = ColumnId(self.model.contract.columns.len() as u32);
                    self.model.contract.columns.push(ColumnDef {
                        name: ident.name.clone(),
                        ty: Type::Text,
                        min: None,
                        max: None,
                        optional: false,
                        loc: loc(file, ident.span),
                    });
                    self.define(&ident, file, Symbol::Column(id));
                    id
                }
            };
            if is_key {
                self.model.contract.key = Some(id);
            } else {
                self.model.contract.period = Some(id);
                self.has_period = true;
            }
        }
    }

    fn declare_column(&mut self, file: FileId, column: &ast::ColumnDecl) {
        let ty = match &column.ty.kind {
            ast::ColumnTypeKind::Number => Type::Number,
            ast::ColumnTypeKind::Integer => Type::Integer,
            ast::ColumnTypeKind::Bool => Type::Bool,
            ast::ColumnTypeKind::Text => Type::Text,
            ast::ColumnTypeKind::Enum(labels) => {
                let names = self.unique_labels(file, labels, "enum");
                Type::Enum(self.new_enum(&column.name.name, names))
            }
        };
        let mut def = ColumnDef {
            name: column.name.name.clone(),
            ty,
            min: None,
            max: None,
            optional: false,
            loc: loc(file, column.name.span),
        };
        for option in &column.options {
            match option {
                ast::ColumnOption::Optional(_) => def.optional = true,
                ast::ColumnOption::Between(low, high, span) => {
                    if !ty.is_numeric() {
                        self.not_numeric_range(file, *span, &column.name.name);
                    }
                    if low.value > high.value {
                        self.push(
                            Diagnostic::new(
                                Code::S005,
                                file,
                                *span,
                                format!("the range `{}..{}` is empty", low.text, high.text),
                            )
                            .label("the low end is above the high end")
                            .help(format!("write `in {}..{}`", high.text, low.text)),
                        );
                    }
                    def.min = Some((low.value, true));
                    def.max = Some((high.value, true));
                }
                ast::ColumnOption::Bound(op, n, span) => {
                    if !ty.is_numeric() {
                        self.not_numeric_range(file, *span, &column.name.name);
                    }
                    match op {
                        CmpOp::Ge => def.min = Some((n.value, true)),
                        CmpOp::Gt => def.min = Some((n.value, false)),
                        CmpOp::Le => def.max = Some((n.value, true)),
                        CmpOp::Lt => def.max = Some((n.value, false)),
                        CmpOp::Eq | CmpOp::Ne => self.push(
                            Diagnostic::new(
                                Code::S011,
                                file,
                                *span,
                                format!("`{}` cannot bound a column", op.symbol()),
                            )
                            .label("not a bound")
                            .help("use `>=`, `>`, `<=`, `<` or `in LOW..HIGH`"),
                        ),
                    }
                }
            }
        }
        let range_reported = column.options.iter().any(
            |o| matches!(o, ast::ColumnOption::Between(low, high, _) if low.value > high.value),
        );
        if let (Some((lo, _)), Some((hi, _))) = (def.min, def.max) {
            if lo > hi && !range_reported {
                self.push(
                    Diagnostic::new(
                        Code::S005,
                        file,
                        column.span,
                        format!("no value can satisfy the bounds of `{}`", column.name.name),
                    )
                    .label("the lower bound is above the upper bound")
                    .help("check the bounds"),
                );
            }
        }
        let id = ColumnId(self.model.contract.columns.len() as u32);
        if self.define(&column.name, file, Symbol::Column(id)) {
            self.model.contract.columns.push(def);
        }
    }

    fn not_numeric_range(&mut self, file: FileId, span: Span, name: &str) {
        self.push(
            Diagnostic::new(
                Code::T001,
                file,
                span,
                format!("`{name}` is not a number, so it cannot have a range"),
            )
            .label("a range on a non-number column")
            .help("ranges apply to `number` and `integer` columns"),
        );
    }

    /// Labels in order, reporting duplicates (N002).
    fn unique_labels(&mut self, file: FileId, labels: &[ast::Label], what: &str) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for label in labels {
            if names.contains(&label.text) {
                self.push(
                    Diagnostic::new(
                        Code::N002,
                        file,
                        label.span,
                        format!("the label `{}` appears twice in this {what}", label.text),
                    )
                    .label("repeated label")
                    .help("remove the repetition"),
                );
            } else {
                names.push(label.text.clone());
            }
        }
        names
    }

    // ─── declarations ────────────────────────────────────────────────────────

    fn declare_names(&mut self) {
        for (file, _, decl) in self.decls() {
            match decl {
                Decl::Metric(m) => {
                    let id = MetricId(self.model.metrics.len() as u32);
                    if self.define(&m.name, file, Symbol::Metric(id)) {
                        self.metric_decls.push((file, m));
                        self.metric_state.push(ValueState::Pending);
                        let l = loc(file, m.name.span);
                        self.model.metrics.push(MetricDef {
                            name: m.name.name.clone(),
                            loc: l,
                            meta: Meta::default(),
                            value: placeholder_expr(l),
                            missing_value: None,
                            rubric: Rubric {
                                points: PointsRule::Identity,
                                missing_points: None,
                                loc: l,
                            },
                            segment_rubrics: Vec::new(),
                        });
                    }
                }
                Decl::Segment(s) => {
                    let labels: Vec<ast::Label> = match &s.body {
                        ast::SegmentBody::From(_) => Vec::new(),
                        ast::SegmentBody::Rules(rules) => rules
                            .iter()
                            .map(|r| ast::Label {
                                text: r.label.name.clone(),
                                quoted: false,
                                span: r.label.span,
                            })
                            .collect(),
                    };
                    let names = self.unique_labels(file, &labels, "segment");
                    let id = SegmentId(self.model.segments.len() as u32);
                    if self.define(&s.name, file, Symbol::Segment(id)) {
                        let labels = self.new_enum(&s.name.name, names);
                        self.model.segments.push(SegmentDef {
                            name: s.name.name.clone(),
                            loc: loc(file, s.name.span),
                            description: s.description.as_ref().map(|d| d.value.clone()),
                            labels,
                            source: SegmentSource::Rules(Vec::new()),
                        });
                    }
                }
                Decl::Score(s) => {
                    let id = ScoreId(self.model.scores.len() as u32);
                    if self.define(&s.name, file, Symbol::Score(id)) {
                        let l = loc(file, s.name.span);
                        self.model.scores.push(ScoreDef {
                            name: s.name.name.clone(),
                            loc: l,
                            meta: Meta {
                                description: s.description.as_ref().map(|d| d.value.clone()),
                                ..Meta::default()
                            },
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
                        });
                    }
                }
                Decl::Flag(f) => {
                    let id = FlagId(self.model.flags.len() as u32);
                    if self.define(&f.name, file, Symbol::Flag(id)) {
                        let l = loc(file, f.name.span);
                        self.model.flags.push(FlagDef {
                            name: f.name.name.clone(),
                            loc: l,
                            description: f.description.as_ref().map(|d| d.value.clone()),
                            kind: None,
                            condition: placeholder_expr(l),
                        });
                    }
                }
                Decl::Rule(r) => {
                    let id = RuleId(self.model.rules.len() as u32);
                    if self.define(&r.name, file, Symbol::Rule(id)) {
                        let l = loc(file, r.name.span);
                        self.model.rules.push(RuleDef {
                            name: r.name.name.clone(),
                            loc: l,
                            reason: r.reason.as_ref().map(|d| d.value.clone()),
                            condition: placeholder_expr(l),
                            actions: Vec::new(),
                            priority: 2.0,
                        });
                    }
                }
                _ => {}
            }
        }
        // Tiers are declared once names are known, so `tier(x)` resolves anywhere.
        for (file, _, decl) in self.decls() {
            let Decl::Tiers(t) = decl else { continue };
            let Some(score) = self.expect_symbol(file, &t.score, "score", |s| match s {
                Symbol::Score(id) => Some(id),
                _ => None,
            }) else {
                continue;
            };
            let labels: Vec<ast::Label> = t
                .tiers
                .iter()
                .map(|tier| ast::Label {
                    text: tier.label.name.clone(),
                    quoted: false,
                    span: tier.label.span,
                })
                .collect();
            let mut names = self.unique_labels(file, &labels, "tiers block");
            for reserved in [PROVISIONAL, INSUFFICIENT_DATA] {
                if let Some(tier) = t.tiers.iter().find(|tier| tier.label.name == reserved) {
                    self.push(
                        Diagnostic::new(
                            Code::N002,
                            file,
                            tier.label.span,
                            format!("`{reserved}` is a tier the language gives itself"),
                        )
                        .label("reserved tier name")
                        .help("choose another name for this tier"),
                    );
                }
            }
            names.retain(|n| n != PROVISIONAL && n != INSUFFICIENT_DATA);
            names.push(PROVISIONAL.to_string());
            names.push(INSUFFICIENT_DATA.to_string());
            let enum_name = format!("tiers of {}", t.score.name);
            let already = self
                .model
                .score(score)
                .and_then(|s| s.tiers.as_ref())
                .map(|ts| ts.loc);
            if let Some(first) = already {
                let mut d = Diagnostic::new(
                    Code::S004,
                    file,
                    t.span,
                    format!("a second `tiers` block for `{}`", t.score.name),
                )
                .label("second tiers block")
                .help("keep one `tiers` block per score");
                if first.file == file {
                    d = d.note(first.span, "first tiers block");
                }
                self.push(d);
                continue;
            }
            let labels_id = self.new_enum(&enum_name, names);
            let tiers = t
                .tiers
                .iter()
                .map(|tier| TierDef {
                    label: tier.label.name.clone(),
                    threshold: tier.threshold.as_ref().map(|(op, n)| (*op, n.value)),
                    benefits: tier.benefits.iter().map(|b| b.value.clone()).collect(),
                    obligations: tier.obligations.iter().map(|b| b.value.clone()).collect(),
                    loc: loc(file, tier.span),
                })
                .collect();
            for tier in &t.tiers {
                if let Some((op, n)) = &tier.threshold {
                    if !matches!(op, CmpOp::Ge | CmpOp::Gt) {
                        self.push(
                            Diagnostic::new(
                                Code::S011,
                                file,
                                n.span,
                                format!(
                                    "a tier threshold must be `>=` or `>`, not `{}`",
                                    op.symbol()
                                ),
                            )
                            .label("tiers are checked from the top, so each gives its lowest score")
                            .help(format!(
                                "write `{} >= {}` and order tiers from the highest down",
                                tier.label.name, n.text
                            )),
                        );
                    }
                }
            }
            if let Some(s) = self.model.scores.get_mut(score.index()) {
                s.tiers = Some(TierSet {
                    labels: labels_id,
                    tiers,
                    loc: loc(file, t.span),
                });
            }
        }
    }

    /// Resolve a name that must be of one kind; N001/N005 otherwise.
    fn expect_symbol<T>(
        &mut self,
        file: FileId,
        name: &ast::Ident,
        kind: &str,
        pick: impl Fn(Symbol) -> Option<T>,
    ) -> Option<T> {
        let shadowed = self
            .shadowed_columns
            .get(&name.name)
            .and_then(|c| pick(Symbol::Column(*c)));
        match self.symbols.get(&name.name).copied() {
            Some((symbol, _)) => match pick(symbol).or(shadowed) {
                Some(t) => Some(t),
                None => {
                    let candidates: Vec<String> = self
                        .symbols
                        .iter()
                        .filter(|(_, (s, _))| pick(*s).is_some())
                        .map(|(n, _)| n.clone())
                        .collect();
                    let suggestion =
                        fuzzy::closest(&name.name, candidates.iter().map(String::as_str));
                    let help = match suggestion {
                        Some(s) => format!("did you mean the {kind} `{s}`?"),
                        None => format!("name a {kind} here"),
                    };
                    self.push(
                        Diagnostic::new(
                            Code::N005,
                            file,
                            name.span,
                            format!("`{}` is a {}, not a {kind}", name.name, symbol.kind()),
                        )
                        .label(format!("expected a {kind}"))
                        .help(help),
                    );
                    None
                }
            },
            None => {
                let candidates: Vec<String> = self
                    .symbols
                    .iter()
                    .filter(|(_, (s, _))| pick(*s).is_some())
                    .map(|(n, _)| n.clone())
                    .collect();
                self.unknown_name(file, name, kind, &candidates);
                None
            }
        }
    }

    fn unknown_name(&mut self, file: FileId, name: &ast::Ident, kind: &str, candidates: &[String]) {
        let suggestion = fuzzy::closest(&name.name, candidates.iter().map(String::as_str));
        let help = match suggestion {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "declare a {kind} named `{}`, or check the spelling",
                name.name
            ),
        };
        self.push(
            Diagnostic::new(
                Code::N001,
                file,
                name.span,
                format!("unknown {kind} `{}`", name.name),
            )
            .label(if kind == "name" {
                "not defined anywhere".to_string()
            } else {
                format!("no {kind} has this name")
            })
            .help(help),
        );
    }

    // ─── segments ────────────────────────────────────────────────────────────

    fn resolve_segments(&mut self) {
        // Segments taken from a column first: their labels are known before any
        // condition (which may use a metric that uses such a segment) is typed.
        let decls = self.decls();
        let from_first = decls
            .iter()
            .filter(|(_, _, d)| matches!(d, Decl::Segment(s) if matches!(s.body, ast::SegmentBody::From(_))))
            .chain(decls.iter().filter(|(_, _, d)| matches!(d, Decl::Segment(s) if matches!(s.body, ast::SegmentBody::Rules(_)))));
        let mut values_resolved = false;
        for &(file, _, decl) in from_first {
            // Once every segment from a column has its labels, metric values
            // are typed (the conditions of rule segments may use them).
            let rules =
                matches!(decl, Decl::Segment(s) if matches!(s.body, ast::SegmentBody::Rules(_)));
            if rules && !values_resolved {
                values_resolved = true;
                self.resolve_metric_values_in_order();
            }
            let Decl::Segment(s) = decl else { continue };
            let Some((Symbol::Segment(id), def_loc)) = self.symbols.get(&s.name.name).copied()
            else {
                continue;
            };
            if def_loc.span.range() != s.name.span.range() || def_loc.file != file {
                continue; // a duplicate, reported already
            }
            let ctx = Ctx {
                file,
                points_of: None,
            };
            let source = match &s.body {
                ast::SegmentBody::From(column) => {
                    match self.expect_symbol(file, column, "column", |sym| match sym {
                        Symbol::Column(c) => Some(c),
                        _ => None,
                    }) {
                        Some(col) => {
                            let ty = self.model.contract.column(col).map(|c| c.ty);
                            match ty {
                                Some(Type::Enum(e)) => {
                                    let labels = self
                                        .model
                                        .enum_type(e)
                                        .map(|t| t.labels.clone())
                                        .unwrap_or_default();
                                    if let Some(seg) = self.model.segments.get(id.index()) {
                                        let enum_id = seg.labels;
                                        if let Some(t) = self.model.enums.get_mut(enum_id.index()) {
                                            t.labels = labels;
                                        }
                                    }
                                    SegmentSource::Column(col)
                                }
                                _ => {
                                    self.push(
                                        Diagnostic::new(Code::T001, file, column.span, format!("`{}` is not an enum column", column.name))
                                            .label("segments come from enum columns")
                                            .help("declare the column as `enum(…)`, or write segment rules with `when`"),
                                    );
                                    SegmentSource::Rules(Vec::new())
                                }
                            }
                        }
                        None => SegmentSource::Rules(Vec::new()),
                    }
                }
                ast::SegmentBody::Rules(rules) => {
                    let enum_id = self.model.segment(id).map(|s| s.labels);
                    let mut out = Vec::new();
                    for rule in rules {
                        let label = enum_id
                            .and_then(|e| self.model.enum_type(e))
                            .and_then(|t| t.label_index(&rule.label.name))
                            .unwrap_or(0);
                        let condition = rule
                            .condition
                            .as_ref()
                            .map(|c| self.condition(c, ctx, "a segment rule"));
                        out.push(SegmentRuleDef {
                            label,
                            condition,
                            loc: loc(file, rule.span),
                        });
                    }
                    SegmentSource::Rules(out)
                }
            };
            if let Some(seg) = self.model.segments.get_mut(id.index()) {
                seg.source = source;
            }
        }
        if !values_resolved {
            self.resolve_metric_values_in_order();
        }
    }

    /// Resolve every metric's value, each after the metrics its value names,
    /// so that resolving one never recurses into another (a long chain of
    /// metrics declared in reverse cannot exhaust the stack). The order is a
    /// depth-first post-order over the names in each first `value` clause,
    /// kept on an explicit stack; a cycle is left to `S001`.
    fn resolve_metric_values_in_order(&mut self) {
        let count = self.metric_decls.len();
        let mut deps: Vec<Vec<usize>> = vec![Vec::new(); count];
        for (i, (_, m)) in self.metric_decls.iter().enumerate() {
            let first = m.clauses.iter().find_map(|c| match c {
                ast::MetricClause::Value(expr, _) => Some(expr),
                _ => None,
            });
            let Some(expr) = first else { continue };
            let mut names: Vec<usize> = Vec::new();
            expr.walk(&mut |e| {
                if let ast::ExprKind::Name(ident) = &e.kind {
                    if let Some((Symbol::Metric(id), _)) = self.symbols.get(&ident.name) {
                        if id.index() != i && !names.contains(&id.index()) {
                            names.push(id.index());
                        }
                    }
                }
            });
            if let Some(slot) = deps.get_mut(i) {
                *slot = names;
            }
        }
        let mut visited = vec![false; count];
        let mut order = Vec::with_capacity(count);
        for start in 0..count {
            if visited.get(start).copied().unwrap_or(true) {
                continue;
            }
            if let Some(v) = visited.get_mut(start) {
                *v = true;
            }
            let mut path: Vec<(usize, usize)> = vec![(start, 0)];
            while let Some(&(node, next)) = path.last() {
                match deps.get(node).and_then(|d| d.get(next)).copied() {
                    Some(child) => {
                        if let Some(top) = path.last_mut() {
                            top.1 += 1;
                        }
                        if !visited.get(child).copied().unwrap_or(true) {
                            if let Some(v) = visited.get_mut(child) {
                                *v = true;
                            }
                            path.push((child, 0));
                        }
                    }
                    None => {
                        order.push(node);
                        path.pop();
                    }
                }
            }
        }
        for i in order {
            self.resolve_metric_value(MetricId(i as u32));
        }
    }

    /// Resolve `for SEGMENT LABEL, …`.
    fn for_head(&mut self, file: FileId, head: &ast::ForHead) -> Option<(SegmentId, Vec<u32>)> {
        let segment = self.expect_symbol(file, &head.segment, "segment", |s| match s {
            Symbol::Segment(id) => Some(id),
            _ => None,
        })?;
        let enum_id = self.model.segment(segment)?.labels;
        let labels = self.model.enum_type(enum_id)?.labels.clone();
        let mut out = Vec::new();
        for label in &head.labels {
            match labels.iter().position(|l| *l == label.text) {
                Some(i) => out.push(i as u32),
                None => {
                    let help = match fuzzy::closest(&label.text, labels.iter().map(String::as_str))
                    {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!(
                            "the labels of `{}` are: {}",
                            head.segment.name,
                            labels.join(", ")
                        ),
                    };
                    self.push(
                        Diagnostic::new(
                            Code::N003,
                            file,
                            label.span,
                            format!(
                                "`{}` is not a label of the segment `{}`",
                                label.text, head.segment.name
                            ),
                        )
                        .label("unknown label")
                        .help(help),
                    );
                }
            }
        }
        Some((segment, out))
    }

    // ─── defaults ────────────────────────────────────────────────────────────

    /// Each file's `defaults` block (`S028` for a second one in a file,
    /// `S029` for a setting that cannot be shared).
    fn resolve_defaults(&mut self) {
        for (file, _, decl) in self.decls() {
            let Decl::Defaults(d) = decl else { continue };
            if self.defaults.iter().any(|(f, _)| *f == file) {
                let first = self
                    .decls()
                    .into_iter()
                    .find_map(|(f, _, x)| match x {
                        Decl::Defaults(x) if f == file => Some(x.span),
                        _ => None,
                    })
                    .unwrap_or(d.span);
                let head = Span::new(d.span.start, d.span.start + "defaults".len());
                self.push(
                    Diagnostic::new(
                        Code::S028,
                        file,
                        head,
                        "a second `defaults` block in this file",
                    )
                    .label("second block")
                    .note(
                        Span::new(first.start, first.start + "defaults".len()),
                        "first block",
                    )
                    .help("keep one `defaults` block per file and move these settings into it"),
                );
                continue;
            }
            let mut out = FileDefaults::default();
            let mut seen: Vec<(&'static str, Span)> = Vec::new();
            for clause in &d.clauses {
                match clause {
                    ast::DefaultsClause::Meta(m) => {
                        if matches!(m.key, ast::MetaKey::Description | ast::MetaKey::Rationale) {
                            let key = m.key.keyword();
                            self.push(
                                Diagnostic::new(
                                    Code::S029,
                                    file,
                                    m.span,
                                    format!("`{key}` cannot be a default"),
                                )
                                .label(format!("each metric has its own `{key}`"))
                                .help(format!(
                                    "write `{key}` in the metrics it describes; `defaults` holds owner, source, layer, kind, unit, `missing value`, `missing points` and `given`"
                                )),
                            );
                            continue;
                        }
                        self.once(&mut seen, file, m.key.keyword(), m.span);
                        self.meta(file, &mut out.meta, m);
                    }
                    ast::DefaultsClause::Missing(mc) => {
                        if mc.target == ast::MissingTarget::Value {
                            self.once(&mut seen, file, "missing value", mc.span);
                            out.missing_value = Some(mc.number.value);
                        } else {
                            self.once(&mut seen, file, "missing points", mc.span);
                            out.missing_points = Some(mc.number.value);
                        }
                    }
                    ast::DefaultsClause::Given(fields, span) => {
                        self.once(&mut seen, file, "given", *span);
                        if out.given.is_empty() {
                            out.given = fields;
                        }
                    }
                }
            }
            self.defaults.push((file, out));
        }
    }

    fn file_defaults(&self, file: FileId) -> Option<&FileDefaults<'p>> {
        self.defaults
            .iter()
            .find(|(f, _)| *f == file)
            .map(|(_, d)| d)
    }

    // ─── metrics ─────────────────────────────────────────────────────────────

    fn resolve_metrics(&mut self) {
        for (file, _, decl) in self.decls() {
            let Decl::Metric(m) = decl else { continue };
            let Some((Symbol::Metric(id), def_loc)) = self.symbols.get(&m.name.name).copied()
            else {
                continue;
            };
            if def_loc.span.range() != m.name.span.range() || def_loc.file != file {
                continue;
            }
            let ctx = Ctx {
                file,
                points_of: None,
            };
            let mut meta = Meta {
                description: m.description.as_ref().map(|d| d.value.clone()),
                ..Meta::default()
            };
            let mut value: Option<Expr> = None;
            let mut first_value = true;
            let mut missing_value: Option<f64> = None;
            let mut rubric_clauses: Vec<&ast::MetricClause> = Vec::new();
            let mut segment_rubrics = Vec::new();
            let mut seen: Vec<(&'static str, Span)> = Vec::new();
            for clause in &m.clauses {
                match clause {
                    ast::MetricClause::Meta(meta_clause) => {
                        self.once(&mut seen, file, meta_clause.key.keyword(), meta_clause.span);
                        self.meta(file, &mut meta, meta_clause);
                    }
                    ast::MetricClause::Value(expr, span) => {
                        self.once(&mut seen, file, "value", *span);
                        if first_value {
                            first_value = false;
                            self.resolve_metric_value(id);
                            value = self.model.metric(id).map(|d| d.value.clone());
                        } else {
                            self.expr(expr, ctx);
                        }
                    }
                    ast::MetricClause::Missing(mc) if mc.target == ast::MissingTarget::Value => {
                        self.once(&mut seen, file, "missing value", mc.span);
                        missing_value = Some(mc.number.value);
                    }
                    ast::MetricClause::Missing(_) | ast::MetricClause::Points(_) => {
                        rubric_clauses.push(clause)
                    }
                    ast::MetricClause::For(f) => {
                        if let Some((segment, labels)) = self.for_head(file, &f.head) {
                            let clauses: Vec<&ast::MetricClause> = f.clauses.iter().collect();
                            let rubric = self.rubric(file, id, &clauses, loc(file, f.span));
                            segment_rubrics.push(SegmentRubric {
                                segment,
                                labels,
                                rubric,
                            });
                        }
                    }
                }
            }
            let value = match value {
                Some(v) => v,
                None => {
                    self.push(
                        Diagnostic::new(
                            Code::S003,
                            file,
                            m.name.span,
                            format!("the metric `{}` has no `value`", m.name.name),
                        )
                        .label("this metric")
                        .help("add `value EXPR`, for example `value revenue / sales_reps`"),
                    );
                    placeholder_expr(loc(file, m.name.span))
                }
            };
            if !value.ty.is_numeric()
                && !matches!(value.ty, Type::Text | Type::Enum(_) | Type::Bool)
            {
                self.push(
                    Diagnostic::new(
                        Code::T001,
                        file,
                        value.loc.span,
                        "a metric's value must be a single value",
                    )
                    .label("a list")
                    .help("metrics are numbers, labels or true/false"),
                );
            }
            let mut rubric = self.rubric(file, id, &rubric_clauses, loc(file, m.name.span));
            if let Some(d) = self.file_defaults(file) {
                let own = &mut meta;
                own.owner = own.owner.take().or_else(|| d.meta.owner.clone());
                own.source = own.source.take().or_else(|| d.meta.source.clone());
                own.layer = own.layer.or(d.meta.layer);
                own.kind = own.kind.or(d.meta.kind);
                own.unit = own.unit.take().or_else(|| d.meta.unit.clone());
                // A number cannot stand in for a missing label or truth value.
                if value.ty.is_numeric() {
                    missing_value = missing_value.or(d.missing_value);
                }
                for r in std::iter::once(&mut rubric).chain(
                    segment_rubrics
                        .iter_mut()
                        .map(|s: &mut SegmentRubric| &mut s.rubric),
                ) {
                    r.missing_points = r.missing_points.or(d.missing_points);
                }
            }
            if let Some(def) = self.model.metrics.get_mut(id.index()) {
                def.meta = meta;
                def.value = value;
                def.missing_value = missing_value;
                def.rubric = rubric;
                def.segment_rubrics = segment_rubrics;
            }
        }
    }

    /// Report a clause given twice (S004).
    fn once(
        &mut self,
        seen: &mut Vec<(&'static str, Span)>,
        file: FileId,
        what: &'static str,
        span: Span,
    ) {
        if let Some((_, first)) = seen.iter().find(|(w, _)| *w == what) {
            let first = *first;
            self.push(
                Diagnostic::new(Code::S004, file, span, format!("`{what}` is given twice"))
                    .label("second one")
                    .note(first, "first one")
                    .help(format!("keep one `{what}`")),
            );
        } else {
            seen.push((what, span));
        }
    }

    fn meta(&mut self, file: FileId, meta: &mut Meta, clause: &ast::Meta) {
        let text = clause.value.clone();
        match clause.key {
            ast::MetaKey::Description => meta.description = Some(text),
            ast::MetaKey::Owner => meta.owner = Some(text),
            ast::MetaKey::Source => meta.source = Some(text),
            ast::MetaKey::Rationale => meta.rationale = Some(text),
            ast::MetaKey::Unit => meta.unit = Some(text),
            ast::MetaKey::Layer => match Layer::ALL.iter().find(|(n, _)| *n == text) {
                Some((_, layer)) => meta.layer = Some(*layer),
                None => self.bad_word(
                    file,
                    clause.value_span,
                    "layer",
                    &text,
                    &["strategy", "execution", "results"],
                ),
            },
            ast::MetaKey::Kind => match text.as_str() {
                "leading" => meta.kind = Some(IndicatorKind::Leading),
                "lagging" => meta.kind = Some(IndicatorKind::Lagging),
                _ => self.bad_word(
                    file,
                    clause.value_span,
                    "kind",
                    &text,
                    &["leading", "lagging"],
                ),
            },
        }
    }

    fn bad_word(&mut self, file: FileId, span: Span, what: &str, text: &str, allowed: &[&str]) {
        let help = match fuzzy::closest(text, allowed.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("write one of: {}", allowed.join(", ")),
        };
        self.push(
            Diagnostic::new(Code::S011, file, span, format!("`{text}` is not a {what}"))
                .label(format!("expected one of: {}", allowed.join(", ")))
                .help(help),
        );
    }

    fn rubric(
        &mut self,
        file: FileId,
        metric: MetricId,
        clauses: &[&ast::MetricClause],
        l: Loc,
    ) -> Rubric {
        let mut rubric = Rubric {
            points: PointsRule::Identity,
            missing_points: None,
            loc: l,
        };
        let mut seen: Vec<(&'static str, Span)> = Vec::new();
        for clause in clauses {
            match clause {
                ast::MetricClause::Missing(mc) => {
                    if mc.target == ast::MissingTarget::Points {
                        self.once(&mut seen, file, "missing points", mc.span);
                        rubric.missing_points = Some(mc.number.value);
                    } else {
                        self.push(
                            Diagnostic::new(
                                Code::S004,
                                file,
                                mc.span,
                                "`missing value` cannot differ by segment",
                            )
                            .label("inside a `for` block")
                            .help("move `missing value` to the metric itself"),
                        );
                    }
                }
                ast::MetricClause::Points(p) => {
                    self.once(&mut seen, file, "points", p.span);
                    rubric.loc = loc(file, p.span);
                    rubric.points = self.points(file, metric, p);
                }
                _ => {}
            }
        }
        rubric
    }

    fn points(&mut self, file: FileId, metric: MetricId, p: &ast::Points) -> PointsRule {
        match &p.spec {
            ast::PointsSpec::Bands(bands) => {
                let mut out = Vec::new();
                let mut missing_seen: Option<Span> = None;
                for band in bands {
                    let condition = match &band.condition {
                        ast::BandCondition::Else => BandCond::Else,
                        ast::BandCondition::Missing => {
                            if let Some(first) = missing_seen {
                                self.push(
                                    Diagnostic::new(
                                        Code::S004,
                                        file,
                                        band.condition_span,
                                        "a second `missing` band",
                                    )
                                    .label("second one")
                                    .note(first, "first one")
                                    .help("keep one `missing` band"),
                                );
                            }
                            missing_seen = Some(band.condition_span);
                            BandCond::Missing
                        }
                        ast::BandCondition::Interval {
                            low,
                            low_closed,
                            high,
                            high_closed,
                        } => {
                            let empty = low.value > high.value
                                || (low.value == high.value && !(*low_closed && *high_closed));
                            if empty {
                                self.push(
                                    Diagnostic::new(
                                        Code::S005,
                                        file,
                                        band.condition_span,
                                        "this interval contains no value",
                                    )
                                    .label("empty interval")
                                    .help("write the lower end first; `[a, b)` holds a <= x < b"),
                                );
                            }
                            BandCond::Interval {
                                low: low.value,
                                low_closed: *low_closed,
                                high: high.value,
                                high_closed: *high_closed,
                            }
                        }
                        ast::BandCondition::Compare(op, n) => BandCond::Compare(*op, n.value),
                        ast::BandCondition::Labels(labels) => {
                            BandCond::Labels(labels.iter().map(|l| l.text.clone()).collect())
                        }
                    };
                    out.push(BandDef {
                        condition,
                        points: band.points.value,
                        loc: loc(file, band.span),
                    });
                }
                self.check_band_types(file, metric, bands);
                PointsRule::Bands(out)
            }
            ast::PointsSpec::Scale {
                from,
                from_points,
                to,
                to_points,
            } => {
                if from.value == to.value {
                    self.push(
                        Diagnostic::new(Code::S005, file, p.span, format!("both ends of the scale are `{}`", from.text))
                            .label("a scale needs two different values")
                            .help("write `scale LOW => POINTS, HIGH => POINTS` with LOW and HIGH different"),
                    );
                }
                self.require_numeric_metric(file, metric, p.span, "a scale");
                PointsRule::Scale {
                    x0: from.value,
                    p0: from_points.value,
                    x1: to.value,
                    p1: to_points.value,
                }
            }
            ast::PointsSpec::Normalize { kind, within } => {
                self.require_numeric_metric(file, metric, p.span, kind.keyword());
                let within = self.within(file, within);
                PointsRule::Normalize {
                    kind: *kind,
                    within,
                }
            }
            ast::PointsSpec::Expr(e) => {
                let ctx = Ctx {
                    file,
                    points_of: Some(metric),
                };
                let e = self.expr(e, ctx);
                self.require_number(&e, "points");
                PointsRule::Expr(e)
            }
        }
    }

    /// Resolve the first `value` of a metric, once, whenever it is first
    /// needed: by the metric itself, by a name that refers to it (in any file,
    /// before or after its declaration) or by its points. A metric met again
    /// while its own value is being resolved is part of a cycle (`S001`,
    /// reported later) and keeps the placeholder.
    fn resolve_metric_value(&mut self, metric: MetricId) {
        let Some(state) = self.metric_state.get_mut(metric.index()) else {
            return;
        };
        if *state != ValueState::Pending || self.value_depth >= MAX_VALUE_DEPTH {
            return;
        }
        *state = ValueState::Resolving;
        let Some(&(file, m)) = self.metric_decls.get(metric.index()) else {
            return;
        };
        let outer = self.value_of.replace(metric);
        self.value_depth += 1;
        let first = m.clauses.iter().find_map(|c| match c {
            ast::MetricClause::Value(expr, _) => Some(expr),
            _ => None,
        });
        if let Some(expr) = first {
            let ctx = Ctx {
                file,
                points_of: None,
            };
            let e = self.expr(expr, ctx);
            if let Some(def) = self.model.metrics.get_mut(metric.index()) {
                def.value = e;
            }
        }
        self.value_of = outer;
        self.value_depth -= 1;
        if let Some(state) = self.metric_state.get_mut(metric.index()) {
            *state = ValueState::Done;
        }
    }

    fn metric_value_type(&mut self, metric: MetricId) -> Type {
        self.resolve_metric_value(metric);
        self.model.metric(metric).map_or(Type::Any, |m| m.value.ty)
    }

    fn require_numeric_metric(&mut self, file: FileId, metric: MetricId, span: Span, what: &str) {
        let ty = self.metric_value_type(metric);
        if !ty.is_numeric() {
            let name = self
                .model
                .metric(metric)
                .map(|m| m.name.clone())
                .unwrap_or_default();
            self.push(
                Diagnostic::new(
                    Code::T001,
                    file,
                    span,
                    format!(
                        "{what} needs a number, but `{name}` is {}",
                        self.type_name(ty)
                    ),
                )
                .label(format!("{what} of a non-number"))
                .help("use a band table with labels for categories"),
            );
        }
    }

    fn check_band_types(&mut self, file: FileId, metric: MetricId, bands: &[ast::Band]) {
        let ty = self.metric_value_type(metric);
        for band in bands {
            match &band.condition {
                ast::BandCondition::Interval { .. } | ast::BandCondition::Compare(..)
                    if !ty.is_numeric() =>
                {
                    self.push(
                        Diagnostic::new(
                            Code::T001,
                            file,
                            band.span,
                            format!("a numeric band on a value that is {}", self.type_name(ty)),
                        )
                        .label("thresholds need a number")
                        .help("use labels (`\"A\", \"B\" => 10`) for categories"),
                    );
                }
                ast::BandCondition::Labels(labels) => {
                    for label in labels {
                        self.check_band_label(file, ty, label);
                    }
                }
                _ => {}
            }
        }
    }

    /// A label of a band table must be a value the metric can take: one of the
    /// enum's or segment's labels, `true`/`false`, or a number written as the
    /// value is shown (`3`, `2.5`). Text is free.
    fn check_band_label(&mut self, file: FileId, ty: Type, label: &ast::Label) {
        match ty {
            Type::Enum(e) => {
                let (enum_name, allowed) = self
                    .model
                    .enum_type(e)
                    .map(|t| (t.name.clone(), t.labels.clone()))
                    .unwrap_or_default();
                if allowed.contains(&label.text) {
                    return;
                }
                let help = match fuzzy::closest(&label.text, allowed.iter().map(String::as_str)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("the labels of `{enum_name}` are: {}", allowed.join(", ")),
                };
                self.push(
                    Diagnostic::new(
                        Code::N003,
                        file,
                        label.span,
                        format!("`{}` is not a label of `{enum_name}`", label.text),
                    )
                    .label("unknown label")
                    .help(help),
                );
            }
            Type::Bool if label.text != "true" && label.text != "false" => {
                self.push(
                    Diagnostic::new(
                        Code::T001,
                        file,
                        label.span,
                        format!("`{}` is not true or false", label.text),
                    )
                    .label("the value is true or false")
                    .help("write `\"true\" => …` and `\"false\" => …`"),
                );
            }
            Type::Number | Type::Integer => {
                let canonical = label
                    .text
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .map(format_number);
                if canonical.as_deref() != Some(label.text.as_str()) {
                    let help = match canonical {
                        Some(c) => format!("write the number as `{c}`, or use `== {c} => …`"),
                        None => "a band on a number uses thresholds such as `>= 10 => …`, or labels such as `3` for whole numbers".to_string(),
                    };
                    self.push(
                        Diagnostic::new(
                            Code::T001,
                            file,
                            label.span,
                            format!(
                                "the label `{}` can never match: the value is {}",
                                label.text,
                                self.type_name(ty)
                            ),
                        )
                        .label("never matches")
                        .help(help),
                    );
                }
            }
            _ => {}
        }
    }

    fn within(&mut self, file: FileId, within: &[ast::Ident]) -> Vec<GroupKey> {
        let mut out = Vec::new();
        for ident in within {
            let symbol = match self.shadowed_columns.get(&ident.name) {
                Some(c) => Some((Symbol::Column(*c), Loc::default())),
                None => self.symbols.get(&ident.name).copied(),
            };
            match symbol {
                Some((Symbol::Column(c), _)) => {
                    let ty = self.model.contract.column(c).map_or(Type::Any, |c| c.ty);
                    if matches!(ty, Type::Number) {
                        self.push(
                            Diagnostic::new(
                                Code::N005,
                                file,
                                ident.span,
                                format!(
                                    "`{}` is a number column; peer groups need labels",
                                    ident.name
                                ),
                            )
                            .label("cannot group by a number")
                            .help("group by a text, enum or bool column, or by a segment"),
                        );
                    } else {
                        out.push(GroupKey::Column(c));
                    }
                }
                Some((Symbol::Segment(s), _)) => out.push(GroupKey::Segment(s)),
                Some((symbol, _)) => self.push(
                    Diagnostic::new(
                        Code::N005,
                        file,
                        ident.span,
                        format!(
                            "`{}` is a {}; peer groups are columns or segments",
                            ident.name,
                            symbol.kind()
                        ),
                    )
                    .label("not a column or segment")
                    .help("name a column such as `partner_type`, or a segment"),
                ),
                None => {
                    let candidates: Vec<String> = self
                        .symbols
                        .iter()
                        .filter(|(_, (s, _))| matches!(s, Symbol::Column(_) | Symbol::Segment(_)))
                        .map(|(n, _)| n.clone())
                        .collect();
                    self.unknown_name(file, ident, "column or segment", &candidates);
                }
            }
        }
        out
    }

    // ─── scores ──────────────────────────────────────────────────────────────

    fn resolve_scores(&mut self) {
        for (file, _, decl) in self.decls() {
            let Decl::Score(s) = decl else { continue };
            let Some((Symbol::Score(id), def_loc)) = self.symbols.get(&s.name.name).copied() else {
                continue;
            };
            if def_loc.span.range() != s.name.span.range() || def_loc.file != file {
                continue;
            }
            let ctx = Ctx {
                file,
                points_of: None,
            };
            let mut meta = self
                .model
                .score(id)
                .map(|d| d.meta.clone())
                .unwrap_or_default();
            let mut seen: Vec<(&'static str, Span)> = Vec::new();
            let mut definition_clauses: Vec<&ast::ScoreClause> = Vec::new();
            let mut overrides = Vec::new();
            let mut for_blocks: Vec<&ast::ScoreFor> = Vec::new();
            let mut adjustments = Vec::new();
            let mut def = ScoreDef {
                name: s.name.name.clone(),
                loc: loc(file, s.name.span),
                meta: Meta::default(),
                definition: Definition::Value(placeholder_expr(loc(file, s.name.span))),
                overrides: Vec::new(),
                adjustments: Vec::new(),
                insufficient: None,
                smoothing: None,
                max_change: None,
                floor: None,
                cap: None,
                min_periods: None,
                tiers: self.model.score(id).and_then(|d| d.tiers.clone()),
            };
            for clause in &s.clauses {
                match clause {
                    ast::ScoreClause::Meta(m) => {
                        self.once(&mut seen, file, m.key.keyword(), m.span);
                        self.meta(file, &mut meta, m);
                    }
                    ast::ScoreClause::Weights(_)
                    | ast::ScoreClause::Sum(_)
                    | ast::ScoreClause::Base(..)
                    | ast::ScoreClause::Value(..) => definition_clauses.push(clause),
                    // Resolved once the score's own definition is known:
                    // `override weights` changes it.
                    ast::ScoreClause::For(f) => for_blocks.push(f),
                    ast::ScoreClause::Adjust(a) => {
                        let condition = self.condition(&a.condition, ctx, "an adjustment");
                        if a.factor.value < 0.0 {
                            self.push(
                                Diagnostic::new(Code::S011, file, a.factor.span, "an adjustment factor below zero")
                                    .label("negative factor")
                                    .help("factors multiply the score: 1.1 raises it by a tenth, 0.9 lowers it"),
                            );
                        }
                        adjustments.push(Adjustment {
                            reason: a.reason.as_ref().map(|r| r.value.clone()),
                            factor: a.factor.value,
                            condition,
                            loc: loc(file, a.span),
                        });
                    }
                    ast::ScoreClause::Smooth(sm) => {
                        self.once(&mut seen, file, "smooth", sm.span);
                        def.smoothing = match &sm.kind {
                            ast::SmoothKind::MovingAverage(n) => self
                                .positive_integer(file, n, "the moving-average window")
                                .map(Smoothing::MovingAverage),
                            ast::SmoothKind::Exponential(a) => {
                                if a.value > 0.0 && a.value <= 1.0 {
                                    Some(Smoothing::Exponential(a.value))
                                } else {
                                    self.push(
                                        Diagnostic::new(
                                            Code::S011,
                                            file,
                                            a.span,
                                            format!(
                                                "the smoothing weight `{}` is outside (0, 1]",
                                                a.text
                                            ),
                                        )
                                        .label("weight of the newest value")
                                        .help("use a weight above 0 and at most 1, such as 0.5"),
                                    );
                                    None
                                }
                            }
                        };
                        if def.smoothing.is_some() && !self.has_period {
                            self.no_period(file, sm.span, "smoothing");
                        }
                    }
                    ast::ScoreClause::MaxChange(n, span) => {
                        self.once(&mut seen, file, "max_change", *span);
                        if n.value < 0.0 {
                            self.push(
                                Diagnostic::new(Code::S011, file, n.span, "a maximum change below zero")
                                    .label("negative")
                                    .help("write how many points the score may move per period, such as 15"),
                            );
                        } else {
                            def.max_change = Some(n.value);
                        }
                        if !self.has_period {
                            self.no_period(file, *span, "`max_change`");
                        }
                    }
                    ast::ScoreClause::Floor(n, span) => {
                        self.once(&mut seen, file, "floor", *span);
                        def.floor = Some(n.value);
                    }
                    ast::ScoreClause::Cap(n, span) => {
                        self.once(&mut seen, file, "cap", *span);
                        def.cap = Some(n.value);
                    }
                    ast::ScoreClause::MinPeriods(n, span) => {
                        self.once(&mut seen, file, "min_periods", *span);
                        def.min_periods = self.positive_integer(file, n, "`min_periods`");
                        if !self.has_period {
                            self.no_period(file, *span, "`min_periods`");
                        }
                    }
                    ast::ScoreClause::Insufficient(i) => {
                        self.once(&mut seen, file, "insufficient data", i.span);
                        // A share is kept in percent: `30%` is a limit of 30.
                        let limit = if i.percent {
                            i.limit.scaled(2)
                        } else {
                            i.limit.value
                        };
                        let valid = if i.percent {
                            (0.0..=100.0).contains(&limit)
                        } else {
                            limit >= 0.0 && limit.fract() == 0.0
                        };
                        if !valid {
                            self.push(
                                Diagnostic::new(
                                    Code::S011,
                                    file,
                                    i.limit.span,
                                    format!(
                                        "`{}` is not a count of metrics or a share up to 100%",
                                        i.limit.text
                                    ),
                                )
                                .label("invalid limit")
                                .help(
                                    "write `if more than 2 missing` or `if more than 30% missing`",
                                ),
                            );
                        }
                        def.insufficient = Some(InsufficientRule {
                            limit,
                            percent: i.percent,
                        });
                    }
                }
            }
            if let (Some(lo), Some(hi)) = (def.floor, def.cap) {
                if lo > hi {
                    self.push(
                        Diagnostic::new(
                            Code::S005,
                            file,
                            s.name.span,
                            format!("the floor {lo} of `{}` is above its cap {hi}", s.name.name),
                        )
                        .label("this score")
                        .help("make the floor lower than the cap"),
                    );
                }
            }
            def.definition =
                self.definition(file, &s.name, &definition_clauses, s.name.span, ctx, None);
            for f in for_blocks {
                if let Some((segment, labels)) = self.for_head(file, &f.head) {
                    let inner: Vec<&ast::ScoreClause> = f.clauses.iter().collect();
                    let base = def.definition.clone();
                    let definition =
                        self.definition(file, &s.name, &inner, f.head.span, ctx, Some(&base));
                    overrides.push(Override {
                        segment,
                        labels,
                        definition,
                        loc: loc(file, f.span),
                    });
                }
            }
            def.meta = meta;
            def.overrides = overrides;
            def.adjustments = adjustments;
            if let Some(slot) = self.model.scores.get_mut(id.index()) {
                *slot = def;
            }
        }
    }

    fn no_period(&mut self, file: FileId, span: Span, what: &str) {
        self.push(
            Diagnostic::new(
                Code::S006,
                file,
                span,
                format!("{what} needs a partner's history, but the input has no `period` column"),
            )
            .label("needs periods")
            .help("declare the period column in the input block: `period quarter`"),
        );
    }

    fn positive_integer(&mut self, file: FileId, n: &ast::Number, what: &str) -> Option<u32> {
        if n.value >= 1.0 && n.value.fract() == 0.0 && n.value <= MAX_WINDOW {
            Some(n.value as u32)
        } else {
            self.push(
                Diagnostic::new(
                    Code::S011,
                    file,
                    n.span,
                    format!(
                        "{what} must be a whole number from 1 to {MAX_WINDOW_TEXT}, not `{}`",
                        n.text
                    ),
                )
                .label(format!("not a whole number from 1 to {MAX_WINDOW_TEXT}"))
                .help(format!(
                    "write a count of periods, such as 3; it is at most {MAX_WINDOW_TEXT}"
                )),
            );
            None
        }
    }

    fn definition(
        &mut self,
        file: FileId,
        name: &ast::Ident,
        clauses: &[&ast::ScoreClause],
        at: Span,
        ctx: Ctx,
        score_own: Option<&Definition>,
    ) -> Definition {
        let mut found: Vec<(Definition, Span)> = Vec::new();
        let mut base: Option<(f64, Span)> = None;
        for clause in clauses {
            match clause {
                ast::ScoreClause::Weights(w) if w.overrides => {
                    let d = self.override_weights(file, w, score_own);
                    found.push((d, w.span));
                }
                ast::ScoreClause::Weights(w) => {
                    let d = self.weights(file, w);
                    found.push((d, w.span));
                }
                ast::ScoreClause::Sum(sum) => {
                    let mut metrics = Vec::new();
                    for m in &sum.metrics {
                        if let Some(id) = self.metric_ref(file, m) {
                            metrics.push((id, loc(file, m.span)));
                        }
                    }
                    found.push((Definition::Sum { base: 0.0, metrics }, sum.span));
                }
                ast::ScoreClause::Base(n, span) => {
                    if base.is_some() {
                        self.push(
                            Diagnostic::new(Code::S004, file, *span, "`base` is given twice")
                                .label("second one")
                                .help("keep one `base`"),
                        );
                    }
                    base = Some((n.value, *span));
                }
                ast::ScoreClause::Value(e, span) => {
                    let e = self.expr(e, ctx);
                    self.require_number(&e, "a score's value");
                    found.push((Definition::Value(e), *span));
                }
                _ => {}
            }
        }
        if found.len() > 1 {
            if let Some((_, second)) = found.get(1) {
                let first = found.first().map(|(_, s)| *s).unwrap_or(*second);
                self.push(
                    Diagnostic::new(
                        Code::S010,
                        file,
                        *second,
                        format!("`{}` is defined twice", name.name),
                    )
                    .label("second definition")
                    .note(first, "first definition")
                    .help("a score is one of `weights { … }`, `sum { … }` or `value EXPR`"),
                );
            }
        }
        let mut definition = match found.into_iter().next() {
            Some((d, _)) => d,
            None => {
                self.push(
                    Diagnostic::new(
                        Code::S010,
                        file,
                        at,
                        format!("`{}` has no definition", name.name),
                    )
                    .label("no `weights`, `sum` or `value` here")
                    .help("add `weights { metric 50  other 50 }`, `sum { … }` or `value EXPR`"),
                );
                Definition::Value(placeholder_expr(loc(file, at)))
            }
        };
        if let Some((b, span)) = base {
            match &mut definition {
                Definition::Sum { base, .. } => *base = b,
                _ => self.push(
                    Diagnostic::new(Code::S010, file, span, "`base` belongs with `sum { … }`")
                        .label("no sum to add it to")
                        .help("use `sum { … }` with `base`, or fold the constant into `value`"),
                ),
            }
        }
        definition
    }

    fn metric_ref(&mut self, file: FileId, m: &ast::Ident) -> Option<MetricId> {
        self.expect_symbol(file, m, "metric", |s| match s {
            Symbol::Metric(id) => Some(id),
            _ => None,
        })
    }

    fn weights(&mut self, file: FileId, w: &ast::Weights) -> Definition {
        let has_layers = w
            .items
            .iter()
            .any(|i| matches!(i, ast::WeightItem::Layer(_)));
        let has_plain = w
            .items
            .iter()
            .any(|i| matches!(i, ast::WeightItem::Weight(_)));
        if has_layers && has_plain {
            if let Some(ast::WeightItem::Weight(first)) = w
                .items
                .iter()
                .find(|i| matches!(i, ast::WeightItem::Weight(_)))
            {
                self.push(
                    Diagnostic::new(Code::S010, file, first.span, "weights mix layer groups and single metrics")
                        .label("outside any layer group")
                        .help("put every metric inside a `layer NAME WEIGHT { … }` group, or use no groups"),
                );
            }
        }
        if has_layers {
            let mut layers = Vec::new();
            for item in &w.items {
                let ast::WeightItem::Layer(group) = item else {
                    continue;
                };
                let layer = match Layer::ALL.iter().find(|(n, _)| *n == group.layer.name) {
                    Some((_, l)) => *l,
                    None => {
                        self.bad_word(
                            file,
                            group.layer.span,
                            "layer",
                            &group.layer.name,
                            &["strategy", "execution", "results"],
                        );
                        continue;
                    }
                };
                let terms = self.weight_terms(file, &group.weights);
                layers.push(LayerTerm {
                    layer,
                    percent: group.weight.value,
                    fraction: group.weight.scaled(-2),
                    terms,
                    loc: loc(file, group.span),
                });
            }
            Definition::Layered(layers)
        } else {
            let plain: Vec<ast::Weight> = w
                .items
                .iter()
                .filter_map(|i| match i {
                    ast::WeightItem::Weight(w) => Some(w.clone()),
                    ast::WeightItem::Layer(_) => None,
                })
                .collect();
            Definition::Weighted(self.weight_terms(file, &plain))
        }
    }

    /// `override weights { … }` in a `for` block: the score's own weights with
    /// those listed changed, added, or (at 0) removed (`S030` without weights
    /// to change, `S031` for a metric in no layer group of layered weights).
    fn override_weights(
        &mut self,
        file: FileId,
        w: &ast::Weights,
        score_own: Option<&Definition>,
    ) -> Definition {
        let changes = self.weights(file, w);
        let head = Span::new(w.span.start, w.span.start + "override".len());
        let merged = match (score_own, changes) {
            (Some(Definition::Weighted(own)), Definition::Weighted(changes)) => {
                Some(Definition::Weighted(merge_terms(own, changes)))
            }
            (Some(Definition::Layered(own)), Definition::Layered(changes)) => {
                let mut out = own.clone();
                for c in changes {
                    match out.iter_mut().find(|l| l.layer == c.layer) {
                        Some(l) => {
                            l.percent = c.percent;
                            l.fraction = c.fraction;
                            l.loc = c.loc;
                            l.terms = merge_terms(&l.terms, c.terms);
                        }
                        None => out.push(c),
                    }
                }
                out.retain(|l| l.percent != 0.0);
                Some(Definition::Layered(out))
            }
            (Some(Definition::Layered(own)), Definition::Weighted(changes)) => {
                let mut out = own.clone();
                for c in changes {
                    match out
                        .iter_mut()
                        .find(|l| l.terms.iter().any(|t| t.metric == c.metric))
                    {
                        Some(l) => l.terms = merge_terms(&l.terms, vec![c]),
                        None => {
                            let name = self
                                .model
                                .metric(c.metric)
                                .map(|m| m.name.clone())
                                .unwrap_or_default();
                            self.push(
                                Diagnostic::new(
                                    Code::S031,
                                    file,
                                    c.loc.span,
                                    format!("`{name}` is in no layer group of the score's weights"),
                                )
                                .label("which layer?")
                                .help(format!(
                                    "write it inside its layer: `layer results 50 {{ {name} 30 }}`"
                                )),
                            );
                        }
                    }
                }
                Some(Definition::Layered(out))
            }
            (Some(Definition::Weighted(_)), Definition::Layered(changes)) => {
                let span = changes.first().map_or(w.span, |l| l.loc.span);
                self.push(
                    Diagnostic::new(
                        Code::S031,
                        file,
                        span,
                        "a layer group overrides weights that have no layer groups",
                    )
                    .label("the score's own weights are not in layers")
                    .help("override single weights, such as `override weights { win_rate 30 }`"),
                );
                None
            }
            // The score's own definition is in error, already reported.
            (Some(Definition::Value(e)), _) if e.kind == ExprKind::Missing && e.ty == Type::Any => {
                None
            }
            _ => {
                let why = if score_own.is_some() {
                    "the score itself is not defined by `weights`"
                } else {
                    "a score's own weights cannot override anything"
                };
                self.push(
                    Diagnostic::new(Code::S030, file, head, "`override weights` with no weights to override")
                        .label(why)
                        .help("use `override weights { … }` in a `for` block of a score defined by `weights { … }`, or write the whole `weights { … }`"),
                );
                None
            }
        };
        merged.unwrap_or_else(|| Definition::Value(placeholder_expr(loc(file, w.span))))
    }

    fn weight_terms(&mut self, file: FileId, weights: &[ast::Weight]) -> Vec<WeightTerm> {
        let mut out: Vec<WeightTerm> = Vec::new();
        for w in weights {
            let Some(metric) = self.metric_ref(file, &w.metric) else {
                continue;
            };
            if let Some(previous) = out.iter().find(|t| t.metric == metric) {
                let first = previous.loc.span;
                self.push(
                    Diagnostic::new(
                        Code::S004,
                        file,
                        w.span,
                        format!("`{}` is weighted twice", w.metric.name),
                    )
                    .label("second weight")
                    .note(first, "first weight")
                    .help("give each metric one weight"),
                );
                continue;
            }
            if w.weight.value < 0.0 {
                self.push(
                    Diagnostic::new(Code::S011, file, w.weight.span, "a weight below zero")
                        .label("negative weight")
                        .help("weights are shares of 100; to make a metric count against a score, give it negative points"),
                );
            }
            out.push(WeightTerm {
                metric,
                percent: w.weight.value,
                fraction: w.weight.scaled(-2),
                loc: loc(file, w.span),
            });
        }
        out
    }

    // ─── flags, rules, output ────────────────────────────────────────────────

    fn resolve_flags_and_rules(&mut self) {
        for (file, _, decl) in self.decls() {
            let ctx = Ctx {
                file,
                points_of: None,
            };
            match decl {
                Decl::Flag(f) => {
                    let Some((Symbol::Flag(id), def_loc)) = self.symbols.get(&f.name.name).copied()
                    else {
                        continue;
                    };
                    if def_loc.span.range() != f.name.span.range() || def_loc.file != file {
                        continue;
                    }
                    let mut kind = None;
                    let mut seen = Vec::new();
                    for m in &f.meta {
                        self.once(&mut seen, file, m.key.keyword(), m.span);
                        match m.key {
                            ast::MetaKey::Kind => {
                                if m.value == "anomaly" || m.value == "data_quality" {
                                    kind = Some(m.value.clone());
                                } else {
                                    self.bad_word(
                                        file,
                                        m.value_span,
                                        "flag kind",
                                        &m.value,
                                        &["anomaly", "data_quality"],
                                    );
                                }
                            }
                            _ => self.push(
                                Diagnostic::new(
                                    Code::S011,
                                    file,
                                    m.span,
                                    format!("flags have no `{}`", m.key.keyword()),
                                )
                                .label("not a flag setting")
                                .help("a flag has a description, a `kind` and a `when` condition"),
                            ),
                        }
                    }
                    let condition = self.single_condition(
                        file,
                        &f.conditions,
                        f.name.span,
                        ctx,
                        &format!("the flag `{}`", f.name.name),
                    );
                    if let Some(def) = self.model.flags.get_mut(id.index()) {
                        def.kind = kind;
                        def.condition = condition;
                    }
                }
                Decl::Rule(r) => {
                    let Some((Symbol::Rule(id), def_loc)) = self.symbols.get(&r.name.name).copied()
                    else {
                        continue;
                    };
                    if def_loc.span.range() != r.name.span.range() || def_loc.file != file {
                        continue;
                    }
                    let mut conditions = Vec::new();
                    let mut actions = Vec::new();
                    let mut priority = 2.0;
                    let mut seen = Vec::new();
                    for clause in &r.clauses {
                        match clause {
                            ast::RuleClause::When(e, _) => conditions.push(e.clone()),
                            ast::RuleClause::Action(a, _) => actions.push(a.value.clone()),
                            ast::RuleClause::Priority(p, span) => {
                                self.once(&mut seen, file, "priority", *span);
                                priority = match p {
                                    ast::PriorityValue::Number(n) => n.value,
                                    ast::PriorityValue::Name(n) => match n.name.as_str() {
                                        "high" => 3.0,
                                        "medium" => 2.0,
                                        "low" => 1.0,
                                        other => {
                                            self.bad_word(
                                                file,
                                                n.span,
                                                "priority",
                                                other,
                                                &["high", "medium", "low"],
                                            );
                                            2.0
                                        }
                                    },
                                };
                            }
                        }
                    }
                    let condition = self.single_condition(
                        file,
                        &conditions,
                        r.name.span,
                        ctx,
                        &format!("the rule `{}`", r.name.name),
                    );
                    if actions.is_empty() {
                        self.push(
                            Diagnostic::new(
                                Code::S011,
                                file,
                                r.name.span,
                                format!("the rule `{}` has no action", r.name.name),
                            )
                            .label("this rule")
                            .help("add `action \"what to do\"`"),
                        );
                    }
                    if let Some(def) = self.model.rules.get_mut(id.index()) {
                        def.condition = condition;
                        def.actions = actions;
                        def.priority = priority;
                    }
                }
                _ => {}
            }
        }
    }

    fn single_condition(
        &mut self,
        file: FileId,
        conditions: &[ast::Expr],
        name_span: Span,
        ctx: Ctx,
        what: &str,
    ) -> Expr {
        match conditions {
            [] => {
                self.push(
                    Diagnostic::new(
                        Code::S011,
                        file,
                        name_span,
                        format!("{what} has no `when` condition"),
                    )
                    .label("no condition")
                    .help("add `when CONDITION`"),
                );
                placeholder_expr(loc(file, name_span))
            }
            [one, rest @ ..] => {
                if let Some(second) = rest.first() {
                    self.push(
                        Diagnostic::new(
                            Code::S004,
                            file,
                            second.span,
                            format!("{what} has two `when` conditions"),
                        )
                        .label("second condition")
                        .note(one.span, "first condition")
                        .help("join them with `and` or `or` in one `when`"),
                    );
                }
                self.condition(one, ctx, what)
            }
        }
    }

    fn resolve_output(&mut self) {
        let root = self.program.root;
        let mut seen: Option<Span> = None;
        for (file, is_root, decl) in self.decls() {
            let Decl::Output(o) = decl else { continue };
            if !is_root || Some(file) != root {
                continue;
            }
            if let Some(first) = seen {
                self.push(
                    Diagnostic::new(Code::S004, file, o.span, "a second `output` block")
                        .label("second output block")
                        .note(first, "first output block")
                        .help("list every column in one `output` block"),
                );
                continue;
            }
            seen = Some(o.span);
            let ctx = Ctx {
                file,
                points_of: None,
            };
            let mut default_decimals = DEFAULT_DECIMALS;
            for item in &o.items {
                if let ast::OutputItem::Decimals(n, _) = item {
                    default_decimals = self.decimals(file, n).unwrap_or(DEFAULT_DECIMALS);
                }
                if let ast::OutputItem::MinGroup(n, _) = item {
                    match super::settings::min_group(file, n) {
                        Ok(k) => self.model.min_group = Some(k),
                        Err(d) => self.push(*d),
                    }
                }
            }
            let mut columns: Vec<OutputColumnDef> = Vec::new();
            for item in &o.items {
                let ast::OutputItem::Column(c) = item else {
                    continue;
                };
                if columns.iter().any(|x| x.name == c.name.text) {
                    self.push(
                        Diagnostic::new(
                            Code::N002,
                            file,
                            c.name.span,
                            format!("the output column `{}` appears twice", c.name.text),
                        )
                        .label("repeated column")
                        .help("give each output column its own name"),
                    );
                }
                let expr = match &c.expr {
                    Some(e) => self.expr(e, ctx),
                    None => {
                        let ident = ast::Ident {
                            name: c.name.text.clone(),
                            span: c.name.span,
                        };
                        if c.name.quoted {
                            self.push(
                                Diagnostic::new(
                                    Code::N001,
                                    file,
                                    c.name.span,
                                    format!("the column `{}` needs a value", c.name.text),
                                )
                                .label("quoted names need `= EXPR`")
                                .help(format!("write `\"{}\" = EXPR`", c.name.text)),
                            );
                            placeholder_expr(loc(file, c.name.span))
                        } else {
                            let e = ast::Expr {
                                kind: ast::ExprKind::Name(ident),
                                span: c.name.span,
                            };
                            self.expr(&e, ctx)
                        }
                    }
                };
                let mut def = OutputColumnDef {
                    name: c.name.text.clone(),
                    expr,
                    decimals: default_decimals,
                    if_missing: None,
                    if_empty: None,
                    loc: loc(file, c.span),
                };
                for format in &c.formats {
                    match format {
                        ast::ColumnFormat::Decimals(n, span) => {
                            def.decimals = self.decimals(file, n).unwrap_or(default_decimals);
                            if !def.expr.ty.is_numeric() {
                                let what = self.type_name(def.expr.ty);
                                self.push(
                                    Diagnostic::new(Code::S011, file, *span, format!("`decimals` applies to numbers, but `{}` is {what}", c.name.text))
                                        .label("no decimals to set")
                                        .help("remove it; for every number column at once, write `default decimals N` in the output block"),
                                );
                            }
                        }
                        ast::ColumnFormat::IfMissing(s, _) => {
                            def.if_missing = Some(s.value.clone())
                        }
                        ast::ColumnFormat::IfEmpty(s, span) => {
                            if def.expr.ty != Type::List && def.expr.ty != Type::Any {
                                self.push(
                                    Diagnostic::new(
                                        Code::T001,
                                        file,
                                        *span,
                                        "`if empty` applies to lists (`actions`, `flags`)",
                                    )
                                    .label("this column is not a list")
                                    .help("use `if missing \"…\"` for a value that may be missing"),
                                );
                            }
                            def.if_empty = Some(s.value.clone());
                        }
                    }
                }
                columns.push(def);
            }
            // `min_group` alone chooses no columns: the default ones stay.
            let settings_only = o
                .items
                .iter()
                .all(|i| matches!(i, ast::OutputItem::MinGroup(..)));
            if !settings_only || o.items.is_empty() {
                self.model.output = Some(OutputDef {
                    columns,
                    loc: loc(file, o.span),
                });
            }
        }
    }

    fn decimals(&mut self, file: FileId, n: &ast::Number) -> Option<u32> {
        if n.value >= 0.0 && n.value <= 9.0 && n.value.fract() == 0.0 {
            Some(n.value as u32)
        } else {
            self.push(
                Diagnostic::new(
                    Code::S011,
                    file,
                    n.span,
                    format!("`{}` decimals: use a whole number from 0 to 9", n.text),
                )
                .label("out of range")
                .help("write `decimals 2`"),
            );
            None
        }
    }

    fn resolve_snapshots(&mut self) {
        let root = self.program.root;
        for (file, _, decl) in self.decls() {
            let Decl::Snapshot(s) = decl else { continue };
            if Some(file) != root {
                continue;
            }
            let period = match &s.period {
                None => None,
                Some(l) if !l.quoted && l.text == "latest" => None,
                Some(l) if !l.quoted && l.text == "all" => Some(None),
                Some(l) if l.quoted => Some(Some(l.text.clone())),
                Some(l) => {
                    self.bad_word(file, l.span, "snapshot period", &l.text, &["latest", "all"]);
                    None
                }
            };
            if self
                .model
                .snapshots
                .iter()
                .any(|x| x.data == s.data.value && x.period == period)
            {
                self.push(
                    Diagnostic::new(
                        Code::S004,
                        file,
                        s.span,
                        "the same snapshot is declared twice",
                    )
                    .label("second declaration")
                    .help("keep one"),
                );
                continue;
            }
            self.model.snapshots.push(SnapshotDef {
                data: s.data.value.clone(),
                period,
                loc: loc(file, s.span),
            });
        }
    }

    // ─── tests ───────────────────────────────────────────────────────────────

    fn resolve_tests(&mut self) {
        let root = self.program.root;
        // The root file's `defaults { given { … } }`, checked once.
        let shared: Vec<(ColumnId, TestValue)> = match root {
            Some(r) => {
                let fields = self.file_defaults(r).map_or(&[][..], |d| d.given);
                self.test_fields(r, fields)
            }
            None => Vec::new(),
        };
        for (file, _, decl) in self.decls() {
            let Decl::Test(t) = decl else { continue };
            if Some(file) != root {
                continue;
            }
            let ctx = Ctx {
                file,
                points_of: None,
            };
            let mut def = TestDef {
                name: t.name.value.clone(),
                loc: loc(file, t.span),
                rows: Vec::new(),
                files: Vec::new(),
                partner: None,
                period: None,
                expects: Vec::new(),
            };
            // Values for the rows that do not give them: the test's own
            // `defaults`, then the file's.
            let mut fill: Vec<(ColumnId, TestValue)> = Vec::new();
            let mut seen: Vec<(&'static str, Span)> = Vec::new();
            for clause in &t.clauses {
                if let ast::TestClause::Defaults(fields, span) = clause {
                    self.once(&mut seen, file, "defaults", *span);
                    if fill.is_empty() {
                        fill = self.test_fields(file, fields);
                    }
                }
            }
            for (c, v) in &shared {
                if !fill.iter().any(|(x, _)| x == c) {
                    fill.push((*c, v.clone()));
                }
            }
            for clause in &t.clauses {
                match clause {
                    ast::TestClause::GivenRow(fields, span) => {
                        let row = self.test_row(file, fields, *span, &fill);
                        def.rows.push(row);
                    }
                    ast::TestClause::Defaults(..) => {}
                    ast::TestClause::GivenFile(path, _) => {
                        def.files.push((path.value.clone(), loc(file, path.span)))
                    }
                    ast::TestClause::Partner(p, _) => def.partner = Some(p.value.clone()),
                    ast::TestClause::Period(p, _) => def.period = Some(p.value.clone()),
                    ast::TestClause::Expect(e) => {
                        if let Some(x) = self.expectation(file, e, ctx) {
                            def.expects.push(x);
                        }
                    }
                }
            }
            if def.rows.is_empty() && def.files.is_empty() {
                self.push(
                    Diagnostic::new(
                        Code::S012,
                        file,
                        t.name.span,
                        format!("the test {:?} has no partner rows", t.name.value),
                    )
                    .label("this test")
                    .help("add `given { column: value, … }` or `given file \"data.csv\"`"),
                );
            }
            if def.partner.is_none() && def.files.is_empty() {
                if let Some(key) = self.model.contract.key {
                    let mut keys: Vec<String> = Vec::new();
                    for row in &def.rows {
                        if let Some((_, TestValue::Text(k))) =
                            row.values.iter().find(|(c, _)| *c == key)
                        {
                            if !keys.contains(k) {
                                keys.push(k.clone());
                            }
                        }
                    }
                    if keys.len() > 1 {
                        self.push(
                            Diagnostic::new(
                                Code::S012,
                                file,
                                t.name.span,
                                "this test has rows of several partners but no `partner`",
                            )
                            .label("which partner do the expectations describe?")
                            .help(format!(
                                "add `partner {:?}`",
                                keys.first().cloned().unwrap_or_default()
                            )),
                        );
                    }
                }
            }
            if def.expects.is_empty() {
                self.push(
                    Diagnostic::new(
                        Code::S012,
                        file,
                        t.name.span,
                        format!("the test {:?} expects nothing", t.name.value),
                    )
                    .label("this test")
                    .help("add `expect …`, for example `expect tier(overall) == good`"),
                );
            }
            self.model.tests.push(def);
        }
    }

    /// A `given` row: its own values, then those of `fill` for the columns it
    /// does not give.
    fn test_row(
        &mut self,
        file: FileId,
        fields: &[ast::Field],
        span: Span,
        fill: &[(ColumnId, TestValue)],
    ) -> TestRow {
        let mut values = self.test_fields(file, fields);
        for (c, v) in fill {
            if !values.iter().any(|(x, _)| x == c) {
                values.push((*c, v.clone()));
            }
        }
        let missing: Vec<String> = self
            .model
            .contract
            .columns
            .iter()
            .enumerate()
            .filter(|(i, c)| !c.optional && !values.iter().any(|(v, _)| v.index() == *i))
            .map(|(_, c)| c.name.clone())
            .collect();
        if !missing.is_empty() {
            let shown: Vec<String> = missing.iter().take(6).map(|m| format!("`{m}`")).collect();
            let more = if missing.len() > 6 {
                format!(" and {} more", missing.len() - 6)
            } else {
                String::new()
            };
            self.push(
                Diagnostic::new(
                    Code::S012,
                    file,
                    span,
                    format!(
                        "this row lacks required columns: {}{more}",
                        shown.join(", ")
                    ),
                )
                .label("incomplete row")
                .help("give every column the input block does not mark `optional`, in the row or in `defaults`"),
            );
        }
        TestRow {
            values,
            loc: loc(file, span),
        }
    }

    /// The `column: value` fields of a row or of `defaults`, checked against
    /// the contract.
    fn test_fields(&mut self, file: FileId, fields: &[ast::Field]) -> Vec<(ColumnId, TestValue)> {
        let mut values: Vec<(ColumnId, TestValue)> = Vec::new();
        for field in fields {
            let Some(column) = self.model.contract.find(&field.name.name) else {
                let names: Vec<String> = self
                    .model
                    .contract
                    .columns
                    .iter()
                    .map(|c| c.name.clone())
                    .collect();
                let help = match fuzzy::closest(&field.name.name, names.iter().map(String::as_str))
                {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "given rows hold input columns only".to_string(),
                };
                self.push(
                    Diagnostic::new(
                        Code::S012,
                        file,
                        field.name.span,
                        format!("`{}` is not an input column", field.name.name),
                    )
                    .label("unknown column")
                    .help(help),
                );
                continue;
            };
            if values.iter().any(|(c, _)| *c == column) {
                self.push(
                    Diagnostic::new(
                        Code::S012,
                        file,
                        field.span,
                        format!("`{}` is given twice in this row", field.name.name),
                    )
                    .label("second value")
                    .help("give each column once per row"),
                );
                continue;
            }
            let ty = self
                .model
                .contract
                .column(column)
                .map_or(Type::Any, |c| c.ty);
            match self.test_value(file, &field.value, ty) {
                Some(v) => values.push((column, v)),
                None => continue,
            }
        }
        values
    }

    fn test_value(&mut self, file: FileId, literal: &ast::Literal, ty: Type) -> Option<TestValue> {
        let value = match &literal.kind {
            ast::LiteralKind::Number(n) => TestValue::Number(n.value),
            ast::LiteralKind::Str(s) => TestValue::Text(s.clone()),
            ast::LiteralKind::Name(s) => TestValue::Text(s.clone()),
            ast::LiteralKind::Bool(b) => TestValue::Bool(*b),
            ast::LiteralKind::Missing => TestValue::Missing,
        };
        let fits = match (&value, ty) {
            (TestValue::Missing, _) | (_, Type::Any) => true,
            (TestValue::Number(n), Type::Integer) => n.fract() == 0.0,
            (TestValue::Number(_), Type::Number) => true,
            (TestValue::Text(_), Type::Text) => true,
            (TestValue::Text(t), Type::Enum(e)) => self
                .model
                .enum_type(e)
                .is_some_and(|x| x.labels.contains(t)),
            (TestValue::Number(n), Type::Enum(e)) => self
                .model
                .enum_type(e)
                .is_some_and(|x| x.labels.contains(&format_number(*n))),
            (TestValue::Bool(_), Type::Bool) => true,
            _ => false,
        };
        if !fits {
            let expected = self.type_name(ty);
            self.push(
                Diagnostic::new(
                    Code::S012,
                    file,
                    literal.span,
                    format!("this value is not {expected}"),
                )
                .label("wrong kind of value")
                .help(format!("give {expected} here")),
            );
            return None;
        }
        if let (TestValue::Number(n), Type::Enum(_)) = (&value, ty) {
            return Some(TestValue::Text(format_number(*n)));
        }
        Some(value)
    }

    fn expectation(&mut self, file: FileId, e: &ast::Expect, ctx: Ctx) -> Option<ExpectDef> {
        let l = loc(file, e.span);
        let kind = match &e.kind {
            ast::ExpectKind::List {
                subject,
                negated,
                label,
            } => match subject {
                ast::ListSubject::Actions => {
                    let known = self
                        .model
                        .rules
                        .iter()
                        .any(|r| r.actions.contains(&label.text));
                    if !known {
                        let all: Vec<String> = self
                            .model
                            .rules
                            .iter()
                            .flat_map(|r| r.actions.clone())
                            .collect();
                        let help = match fuzzy::closest(&label.text, all.iter().map(String::as_str))
                        {
                            Some(s) => format!("did you mean {s:?}?"),
                            None => "name an action that a rule gives".to_string(),
                        };
                        self.push(
                            Diagnostic::new(
                                Code::N003,
                                file,
                                label.span,
                                format!("no rule gives the action {:?}", label.text),
                            )
                            .label("unknown action")
                            .help(help),
                        );
                        return None;
                    }
                    ExpectKindDef::Actions {
                        negated: *negated,
                        label: label.text.clone(),
                    }
                }
                ast::ListSubject::Flags => {
                    let ident = ast::Ident {
                        name: label.text.clone(),
                        span: label.span,
                    };
                    let flag = self.expect_symbol(file, &ident, "flag", |s| match s {
                        Symbol::Flag(id) => Some(id),
                        _ => None,
                    })?;
                    ExpectKindDef::Flags {
                        negated: *negated,
                        flag,
                    }
                }
            },
            ast::ExpectKind::State {
                subject,
                negated,
                state,
            } => {
                let target = self.subject(file, subject, ctx)?;
                if matches!(
                    state,
                    ast::StateWord::Provisional | ast::StateWord::Insufficient
                ) && !matches!(target.kind, ExprKind::Score(..) | ExprKind::Tier(_))
                {
                    self.push(
                        Diagnostic::new(
                            Code::S012,
                            file,
                            subject.span,
                            "only scores can be provisional or insufficient",
                        )
                        .label("not a score")
                        .help("name a score here"),
                    );
                    return None;
                }
                ExpectKindDef::State {
                    target,
                    negated: *negated,
                    state: *state,
                }
            }
            ast::ExpectKind::Compare {
                subject,
                op,
                expected,
                tolerance,
            } => {
                let target = self.subject(file, subject, ctx)?;
                let expected_value = match (&expected.kind, target.ty) {
                    (ast::LiteralKind::Name(n) | ast::LiteralKind::Str(n), Type::Enum(e)) => {
                        let labels = self
                            .model
                            .enum_type(e)
                            .map(|t| t.labels.clone())
                            .unwrap_or_default();
                        if !labels.contains(n) {
                            let help = match fuzzy::closest(n, labels.iter().map(String::as_str)) {
                                Some(s) => format!("did you mean `{s}`?"),
                                None => format!("the labels are: {}", labels.join(", ")),
                            };
                            self.push(
                                Diagnostic::new(
                                    Code::N003,
                                    file,
                                    expected.span,
                                    format!("`{n}` is not one of the labels here"),
                                )
                                .label("unknown label")
                                .help(help),
                            );
                            return None;
                        }
                        TestValue::Text(n.clone())
                    }
                    _ => self.test_value(file, expected, target.ty)?,
                };
                if let Some(t) = tolerance {
                    if !target.ty.is_numeric() || t.value < 0.0 {
                        self.push(
                            Diagnostic::new(
                                Code::S012,
                                file,
                                t.span,
                                "a tolerance needs a number on both sides",
                            )
                            .label("tolerance here")
                            .help("use `within` only when comparing numbers"),
                        );
                    }
                }
                if !target.ty.is_numeric() && !matches!(op, CmpOp::Eq | CmpOp::Ne) {
                    self.push(
                        Diagnostic::new(
                            Code::T001,
                            file,
                            e.span,
                            format!(
                                "`{}` compares numbers, but this is {}",
                                op.symbol(),
                                self.type_name(target.ty)
                            ),
                        )
                        .label("not a number")
                        .help("use `==` or `!=`"),
                    );
                    return None;
                }
                ExpectKindDef::Compare {
                    target,
                    op: *op,
                    expected: expected_value,
                    tolerance: tolerance.as_ref().map(|t| t.value),
                }
            }
        };
        Some(ExpectDef { kind, loc: l })
    }

    fn subject(&mut self, _file: FileId, subject: &ast::Subject, ctx: Ctx) -> Option<Expr> {
        let name_expr = ast::Expr {
            kind: ast::ExprKind::Name(subject.name.clone()),
            span: subject.name.span,
        };
        let e = match &subject.function {
            Some(f) => ast::Expr {
                kind: ast::ExprKind::Call {
                    function: f.clone(),
                    args: vec![name_expr],
                    within: Vec::new(),
                },
                span: subject.span,
            },
            None => name_expr,
        };
        let before = self.diagnostics.error_count();
        let out = self.expr(&e, ctx);
        (self.diagnostics.error_count() == before).then_some(out)
    }

    // ─── expressions ─────────────────────────────────────────────────────────

    pub(crate) fn type_name(&self, ty: Type) -> String {
        match ty {
            Type::Number => "a number".into(),
            Type::Integer => "a whole number".into(),
            Type::Bool => "true or false".into(),
            Type::Text => "text".into(),
            Type::Enum(e) => match self.model.enum_type(e) {
                Some(t) => format!("a label of `{}`", t.name),
                None => "a label".into(),
            },
            Type::List => "a list".into(),
            Type::Any => "any value".into(),
        }
    }

    fn require_number(&mut self, e: &Expr, what: &str) {
        if !e.ty.is_numeric() {
            let got = self.type_name(e.ty);
            self.push(
                Diagnostic::new(
                    Code::T001,
                    e.loc.file,
                    e.loc.span,
                    format!("{what} must be a number, but this is {got}"),
                )
                .label("not a number")
                .help("compute a number here"),
            );
        }
    }

    fn condition(&mut self, e: &ast::Expr, ctx: Ctx, what: &str) -> Expr {
        let out = self.expr(e, ctx);
        if !matches!(out.ty, Type::Bool | Type::Any) {
            let got = self.type_name(out.ty);
            self.push(
                Diagnostic::new(
                    Code::T003,
                    ctx.file,
                    e.span,
                    format!("the condition of {what} is {got}, not true or false"),
                )
                .label("not a condition")
                .help("compare it with something, such as `revenue > 0`"),
            );
        }
        out
    }

    fn expr(&mut self, e: &ast::Expr, ctx: Ctx) -> Expr {
        let l = loc(ctx.file, e.span);
        let mk = |kind: ExprKind, ty: Type| Expr { kind, ty, loc: l };
        match &e.kind {
            ast::ExprKind::Number(n) => mk(
                ExprKind::Number(n.value),
                if n.value.fract() == 0.0 && !n.is_percent() && !n.text.contains(['.', 'e', 'E']) {
                    Type::Integer
                } else {
                    Type::Number
                },
            ),
            ast::ExprKind::Str(s) => mk(ExprKind::Text(s.clone()), Type::Text),
            ast::ExprKind::Bool(b) => mk(ExprKind::Bool(*b), Type::Bool),
            ast::ExprKind::Missing => mk(ExprKind::Missing, Type::Any),
            ast::ExprKind::Name(ident) => self.name(ident, ctx),
            ast::ExprKind::Paren(inner) => {
                let inner = self.expr(inner, ctx);
                Expr { loc: l, ..inner }
            }
            ast::ExprKind::Unary(op, inner) => {
                let inner = self.expr(inner, ctx);
                let ty = match op {
                    UnaryOp::Not => {
                        self.expect_type(&inner, Type::Bool, "`not`");
                        Type::Bool
                    }
                    UnaryOp::Neg => {
                        self.expect_numeric(&inner, "`-`");
                        if inner.ty == Type::Integer {
                            Type::Integer
                        } else {
                            Type::Number
                        }
                    }
                };
                mk(ExprKind::Unary(*op, Box::new(inner)), ty)
            }
            ast::ExprKind::Binary(op, a, b) => self.binary(*op, a, b, ctx, l),
            ast::ExprKind::In {
                value,
                set,
                negated,
            } => {
                let value = self.expr(value, ctx);
                let set: Vec<Expr> = set
                    .iter()
                    .map(|x| self.operand_like(x, value.ty, ctx))
                    .collect();
                for x in &set {
                    self.compatible(&value, x, "`in`");
                }
                mk(
                    ExprKind::In {
                        value: Box::new(value),
                        set,
                        negated: *negated,
                    },
                    Type::Bool,
                )
            }
            ast::ExprKind::IsMissing { value, negated } => {
                let value = self.expr(value, ctx);
                mk(
                    ExprKind::IsMissing {
                        value: Box::new(value),
                        negated: *negated,
                    },
                    Type::Bool,
                )
            }
            ast::ExprKind::If { arms, otherwise } => {
                let mut out_arms = Vec::new();
                let mut ty = Type::Any;
                for (c, v) in arms {
                    let c = self.condition(c, ctx, "`if`");
                    let v = self.expr(v, ctx);
                    ty = self.unify(ty, &v, "the branches of `if`");
                    out_arms.push((c, v));
                }
                let otherwise = self.expr(otherwise, ctx);
                ty = self.unify(ty, &otherwise, "the branches of `if`");
                mk(
                    ExprKind::If {
                        arms: out_arms,
                        otherwise: Box::new(otherwise),
                    },
                    ty,
                )
            }
            ast::ExprKind::Call {
                function,
                args,
                within,
            } => self.call(function, args, within, ctx, l),
        }
    }

    /// Check `e` where a value of type `like` is expected: a bare name that is
    /// one of an enum's labels is that label.
    fn operand_like(&mut self, e: &ast::Expr, like: Type, ctx: Ctx) -> Expr {
        let l = loc(ctx.file, e.span);
        if let (ast::ExprKind::Name(ident), Type::Enum(enum_id)) = (&e.kind, like) {
            if let Some(i) = self
                .model
                .enum_type(enum_id)
                .and_then(|t| t.label_index(&ident.name))
            {
                return Expr {
                    kind: ExprKind::Label(enum_id, i),
                    ty: like,
                    loc: l,
                };
            }
            if !self.symbols.contains_key(&ident.name)
                && !BUILTINS.iter().any(|(n, _)| *n == ident.name)
            {
                let labels = self
                    .model
                    .enum_type(enum_id)
                    .map(|t| t.labels.clone())
                    .unwrap_or_default();
                let help = match fuzzy::closest(&ident.name, labels.iter().map(String::as_str)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("the labels are: {}", labels.join(", ")),
                };
                let enum_name = self
                    .model
                    .enum_type(enum_id)
                    .map(|t| t.name.clone())
                    .unwrap_or_default();
                self.push(
                    Diagnostic::new(
                        Code::N003,
                        ctx.file,
                        ident.span,
                        format!("`{}` is not a label of `{enum_name}`", ident.name),
                    )
                    .label("unknown label")
                    .help(help),
                );
                return Expr {
                    kind: ExprKind::Missing,
                    ty: Type::Any,
                    loc: l,
                };
            }
        }
        if let (ast::ExprKind::Str(s), Type::Enum(enum_id)) = (&e.kind, like) {
            match self.model.enum_type(enum_id).and_then(|t| t.label_index(s)) {
                Some(i) => {
                    return Expr {
                        kind: ExprKind::Label(enum_id, i),
                        ty: like,
                        loc: l,
                    };
                }
                None => {
                    let labels = self
                        .model
                        .enum_type(enum_id)
                        .map(|t| t.labels.clone())
                        .unwrap_or_default();
                    let enum_name = self
                        .model
                        .enum_type(enum_id)
                        .map(|t| t.name.clone())
                        .unwrap_or_default();
                    let help = match fuzzy::closest(s, labels.iter().map(String::as_str)) {
                        Some(x) => format!("did you mean `{x}`?"),
                        None => format!("the labels are: {}", labels.join(", ")),
                    };
                    self.push(
                        Diagnostic::new(
                            Code::N003,
                            ctx.file,
                            e.span,
                            format!("{s:?} is not a label of `{enum_name}`"),
                        )
                        .label("unknown label")
                        .help(help),
                    );
                    return Expr {
                        kind: ExprKind::Missing,
                        ty: Type::Any,
                        loc: l,
                    };
                }
            }
        }
        self.expr(e, ctx)
    }

    fn binary(&mut self, op: BinOp, a: &ast::Expr, b: &ast::Expr, ctx: Ctx, l: Loc) -> Expr {
        let (a, b) = match op {
            BinOp::Cmp(_) => {
                // A bare label on either side takes its meaning from the other.
                let left_is_label_like = matches!(&a.kind, ast::ExprKind::Name(i) if !self.symbols.contains_key(&i.name) && !BUILTINS.iter().any(|(n, _)| *n == i.name));
                if left_is_label_like {
                    let b = self.expr(b, ctx);
                    let a = self.operand_like(a, b.ty, ctx);
                    (a, b)
                } else {
                    let a = self.expr(a, ctx);
                    let b = self.operand_like(b, a.ty, ctx);
                    (a, b)
                }
            }
            _ => (self.expr(a, ctx), self.expr(b, ctx)),
        };
        let ty = match op {
            BinOp::And | BinOp::Or => {
                self.expect_type(&a, Type::Bool, &format!("`{}`", op.symbol()));
                self.expect_type(&b, Type::Bool, &format!("`{}`", op.symbol()));
                Type::Bool
            }
            BinOp::Cmp(cmp) => {
                if matches!(cmp, CmpOp::Eq | CmpOp::Ne) {
                    self.compatible(&a, &b, &format!("`{}`", cmp.symbol()));
                } else if !(a.ty == Type::Text && b.ty == Type::Text) {
                    self.expect_numeric(&a, &format!("`{}`", cmp.symbol()));
                    self.expect_numeric(&b, &format!("`{}`", cmp.symbol()));
                }
                Type::Bool
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                self.expect_numeric(&a, &format!("`{}`", op.symbol()));
                self.expect_numeric(&b, &format!("`{}`", op.symbol()));
                if a.ty == Type::Integer && b.ty == Type::Integer && op != BinOp::Div {
                    Type::Integer
                } else {
                    Type::Number
                }
            }
        };
        Expr {
            kind: ExprKind::Binary(op, Box::new(a), Box::new(b)),
            ty,
            loc: l,
        }
    }

    fn expect_type(&mut self, e: &Expr, want: Type, what: &str) {
        if e.ty != want && e.ty != Type::Any {
            let got = self.type_name(e.ty);
            let want_name = self.type_name(want);
            self.push(
                Diagnostic::new(
                    Code::T001,
                    e.loc.file,
                    e.loc.span,
                    format!("{what} needs {want_name}, but this is {got}"),
                )
                .label(got.to_string())
                .help(format!("give {want_name} here")),
            );
        }
    }

    fn expect_numeric(&mut self, e: &Expr, what: &str) {
        if !e.ty.is_numeric() {
            let got = self.type_name(e.ty);
            self.push(
                Diagnostic::new(
                    Code::T001,
                    e.loc.file,
                    e.loc.span,
                    format!("{what} needs a number, but this is {got}"),
                )
                .label(got)
                .help("use a number here"),
            );
        }
    }

    fn compatible(&mut self, a: &Expr, b: &Expr, what: &str) {
        let ok = match (a.ty, b.ty) {
            (Type::Any, _) | (_, Type::Any) => true,
            (x, y) if x.is_numeric() && y.is_numeric() => true,
            (Type::Enum(x), Type::Enum(y)) => x == y,
            (Type::Enum(_), Type::Text) | (Type::Text, Type::Enum(_)) => true,
            (x, y) => x == y,
        };
        if !ok {
            let (an, bn) = (self.type_name(a.ty), self.type_name(b.ty));
            self.push(
                Diagnostic::new(
                    Code::T001,
                    b.loc.file,
                    a.loc.span.to(b.loc.span),
                    format!("{what} compares {an} with {bn}"),
                )
                .label("these cannot be equal")
                .help("compare values of the same kind"),
            );
        }
    }

    fn unify(&mut self, so_far: Type, e: &Expr, what: &str) -> Type {
        match (so_far, e.ty) {
            (Type::Any, t) | (t, Type::Any) => t,
            (Type::Integer, Type::Integer) => Type::Integer,
            (x, y) if x.is_numeric() && y.is_numeric() => Type::Number,
            (x, y) if x == y => x,
            (x, y) => {
                let (xn, yn) = (self.type_name(x), self.type_name(y));
                self.push(
                    Diagnostic::new(
                        Code::T001,
                        e.loc.file,
                        e.loc.span,
                        format!("{what} mix {xn} and {yn}"),
                    )
                    .label(yn)
                    .help("every branch must give the same kind of value"),
                );
                x
            }
        }
    }

    fn name(&mut self, ident: &ast::Ident, ctx: Ctx) -> Expr {
        let l = loc(ctx.file, ident.span);
        let mk = |kind: ExprKind, ty: Type| Expr { kind, ty, loc: l };
        if ident.name == "value" {
            if let Some(metric) = ctx.points_of {
                return mk(ExprKind::MetricValue, self.metric_value_type(metric));
            }
        }
        match self.symbols.get(&ident.name).copied() {
            Some((Symbol::Column(c), _)) => {
                let ty = self.model.contract.column(c).map_or(Type::Any, |c| c.ty);
                mk(ExprKind::Column(c), ty)
            }
            Some((Symbol::Metric(m), _))
                if self.shadowed_columns.contains_key(&ident.name)
                    && (self.value_of == Some(m) || ctx.points_of == Some(m)) =>
            {
                let column = self.shadowed_columns.get(&ident.name).copied();
                match column {
                    // Inside its own `value`, a metric's name is the column it scores.
                    Some(c) if self.value_of == Some(m) => {
                        let ty = self.model.contract.column(c).map_or(Type::Any, |c| c.ty);
                        mk(ExprKind::Column(c), ty)
                    }
                    _ => {
                        self.push(
                            Diagnostic::new(
                                Code::N006,
                                ctx.file,
                                ident.span,
                                format!(
                                    "`{}` is both this metric and the column it scores",
                                    ident.name
                                ),
                            )
                            .label("the metric or the column?")
                            .help("write `value` for the metric's value; the column is read in the metric's `value` clause"),
                        );
                        mk(ExprKind::Missing, Type::Any)
                    }
                }
            }
            Some((Symbol::Metric(m), _)) => {
                let ty = self.metric_value_type(m);
                let in_cycle = self.metric_state.get(m.index()) == Some(&ValueState::Resolving);
                // A metric met inside its own value is a cycle (S001): `Any` adds no
                // error of its own. A value without a type counts as a number.
                let ty = if ty == Type::Any && !in_cycle {
                    Type::Number
                } else {
                    ty
                };
                mk(ExprKind::Metric(m), ty)
            }
            Some((Symbol::Score(s), _)) => {
                mk(ExprKind::Score(s, ScoreStage::Reported), Type::Number)
            }
            Some((Symbol::Flag(f), _)) => mk(ExprKind::Flag(f), Type::Bool),
            Some((Symbol::Segment(s), _)) => {
                let ty = self
                    .model
                    .segment(s)
                    .map_or(Type::Any, |d| Type::Enum(d.labels));
                mk(ExprKind::Segment(s), ty)
            }
            Some((Symbol::Rule(_), _)) => {
                self.push(
                    Diagnostic::new(
                        Code::N005,
                        ctx.file,
                        ident.span,
                        format!("`{}` is a rule; rules have no value", ident.name),
                    )
                    .label("a rule")
                    .help("test for its action instead: `actions contains \"…\"`"),
                );
                mk(ExprKind::Missing, Type::Any)
            }
            None => {
                if let Some((_, b)) = BUILTINS.iter().find(|(n, _)| *n == ident.name) {
                    let ty = match b {
                        Builtin::PeriodsObserved | Builtin::Tenure => {
                            if !self.has_period {
                                self.no_period(ctx.file, ident.span, &format!("`{}`", ident.name));
                            }
                            Type::Integer
                        }
                        Builtin::Actions | Builtin::Flags => Type::List,
                    };
                    return mk(ExprKind::Builtin(*b), ty);
                }
                let mut candidates: Vec<String> = self.symbols.keys().cloned().collect();
                candidates.extend(BUILTINS.iter().map(|(n, _)| n.to_string()));
                self.unknown_name(ctx.file, ident, "name", &candidates);
                mk(ExprKind::Missing, Type::Any)
            }
        }
    }

    fn call(
        &mut self,
        function: &ast::Ident,
        args: &[ast::Expr],
        within: &[ast::Ident],
        ctx: Ctx,
        l: Loc,
    ) -> Expr {
        let name = function.name.as_str();
        let mk = |kind: ExprKind, ty: Type| Expr { kind, ty, loc: l };
        if !FUNCTIONS.contains(&name) {
            let help = match fuzzy::closest(name, FUNCTIONS.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None if matches!(name, "avg" | "mean" | "average") => {
                    "write the mean out, such as `(a + b + c) / 3`, or use `moving_average(x, n)` over periods".to_string()
                }
                None => format!("the functions are: {}", FUNCTIONS.join(", ")),
            };
            self.push(
                Diagnostic::new(
                    Code::N004,
                    ctx.file,
                    function.span,
                    format!("unknown function `{name}`"),
                )
                .label("no such function")
                .help(help),
            );
            return mk(ExprKind::Missing, Type::Any);
        }
        let population = matches!(name, "percentile" | "zscore" | "minmax");
        if !within.is_empty() && !population {
            self.push(
                Diagnostic::new(
                    Code::T002,
                    ctx.file,
                    l.span,
                    format!("`{name}` takes no `within`"),
                )
                .label("`within` here")
                .help("`within` belongs to percentile, zscore and minmax"),
            );
        }
        let (min_args, max_args) = match name {
            "min" | "max" | "coalesce" => (1, usize::MAX),
            "clamp" => (3, 3),
            "round" => (1, 2),
            "moving_average" | "trend" => (2, 2),
            _ => (1, 1),
        };
        if args.len() < min_args || args.len() > max_args {
            let expected = match (min_args, max_args) {
                (a, b) if a == b => format!("{a}"),
                (a, usize::MAX) => format!("at least {a}"),
                (a, b) => format!("{a} or {b}"),
            };
            self.push(
                Diagnostic::new(
                    Code::T002,
                    ctx.file,
                    l.span,
                    format!(
                        "`{name}` takes {expected} argument{}, not {}",
                        if expected == "1" { "" } else { "s" },
                        args.len()
                    ),
                )
                .label("wrong number of arguments")
                .help(signature(name)),
            );
            return mk(ExprKind::Missing, Type::Any);
        }
        // Functions of a name rather than of a value.
        if matches!(name, "points" | "tier" | "raw" | "smoothed") {
            let Some(ast::Expr {
                kind: ast::ExprKind::Name(arg),
                ..
            }) = args.first()
            else {
                let span = args.first().map_or(l.span, |a| a.span);
                self.push(
                    Diagnostic::new(
                        Code::N005,
                        ctx.file,
                        span,
                        format!(
                            "`{name}` takes the name of a {}",
                            if name == "points" { "metric" } else { "score" }
                        ),
                    )
                    .label("not a name")
                    .help(signature(name)),
                );
                return mk(ExprKind::Missing, Type::Any);
            };
            if name == "points" {
                return match self.metric_ref(ctx.file, arg) {
                    Some(m) => mk(ExprKind::Points(m), Type::Number),
                    None => mk(ExprKind::Missing, Type::Any),
                };
            }
            let Some(score) = self.expect_symbol(ctx.file, arg, "score", |s| match s {
                Symbol::Score(id) => Some(id),
                _ => None,
            }) else {
                return mk(ExprKind::Missing, Type::Any);
            };
            return match name {
                "raw" => mk(ExprKind::Score(score, ScoreStage::Raw), Type::Number),
                "smoothed" => mk(ExprKind::Score(score, ScoreStage::Smoothed), Type::Number),
                _ => match self
                    .model
                    .score(score)
                    .and_then(|s| s.tiers.as_ref())
                    .map(|t| t.labels)
                {
                    Some(labels) => mk(ExprKind::Tier(score), Type::Enum(labels)),
                    None => {
                        self.push(
                            Diagnostic::new(
                                Code::N005,
                                ctx.file,
                                arg.span,
                                format!("the score `{}` has no tiers", arg.name),
                            )
                            .label("no `tiers` block for this score")
                            .help(format!("add `tiers {} {{ … }}`", arg.name)),
                        );
                        mk(ExprKind::Missing, Type::Any)
                    }
                },
            };
        }
        let checked: Vec<Expr> = args.iter().map(|a| self.expr(a, ctx)).collect();
        let history = matches!(
            name,
            "previous"
                | "change"
                | "pct_change"
                | "moving_average"
                | "trend"
                | "running_sum"
                | "running_count"
                | "running_min"
                | "running_max"
                | "periods_since"
                | "streak"
        );
        if history && !self.has_period {
            self.no_period(ctx.file, function.span, &format!("`{name}`"));
        }
        let first = checked
            .first()
            .cloned()
            .unwrap_or_else(|| placeholder_expr(l));
        match name {
            "previous" => {
                let ty = first.ty;
                mk(ExprKind::History(HistoryFn::Previous, Box::new(first)), ty)
            }
            "change" | "pct_change" => {
                self.expect_numeric(&first, &format!("`{name}`"));
                let f = if name == "change" {
                    HistoryFn::Change
                } else {
                    HistoryFn::PctChange
                };
                mk(ExprKind::History(f, Box::new(first)), Type::Number)
            }
            "moving_average" | "trend" => {
                self.expect_numeric(&first, &format!("`{name}`"));
                let n = self.constant_window(args.get(1), ctx, name).unwrap_or(1);
                let f = if name == "trend" {
                    HistoryFn::Trend(n)
                } else {
                    HistoryFn::MovingAverage(n)
                };
                mk(ExprKind::History(f, Box::new(first)), Type::Number)
            }
            "running_sum" => {
                self.expect_numeric(&first, "`running_sum`");
                mk(
                    ExprKind::History(HistoryFn::RunningSum, Box::new(first)),
                    Type::Number,
                )
            }
            "running_min" | "running_max" => {
                self.expect_numeric(&first, &format!("`{name}`"));
                let f = if name == "running_min" {
                    HistoryFn::RunningMin
                } else {
                    HistoryFn::RunningMax
                };
                // The least or greatest of whole numbers is a whole number.
                let ty = if first.ty == Type::Integer {
                    Type::Integer
                } else {
                    Type::Number
                };
                mk(ExprKind::History(f, Box::new(first)), ty)
            }
            "running_count" => mk(
                ExprKind::History(HistoryFn::RunningCount, Box::new(first)),
                Type::Integer,
            ),
            "periods_since" | "streak" => {
                self.expect_type(&first, Type::Bool, &format!("`{name}`"));
                let f = if name == "streak" {
                    HistoryFn::Streak
                } else {
                    HistoryFn::PeriodsSince
                };
                mk(ExprKind::History(f, Box::new(first)), Type::Integer)
            }
            "percentile" | "zscore" | "minmax" => {
                self.expect_numeric(&first, &format!("`{name}`"));
                let groups = self.within(ctx.file, within);
                let kind =
                    ast::Normalizer::from_keyword(name).unwrap_or(ast::Normalizer::Percentile);
                mk(
                    ExprKind::Population(kind, Box::new(first), groups),
                    Type::Number,
                )
            }
            "coalesce" => {
                let mut ty = Type::Any;
                for a in &checked {
                    ty = self.unify(ty, a, "the arguments of `coalesce`");
                }
                mk(ExprKind::Call(Function::Coalesce, checked), ty)
            }
            _ => {
                for a in &checked {
                    self.expect_numeric(a, &format!("`{name}`"));
                }
                let f = match name {
                    "min" => Function::Min,
                    "max" => Function::Max,
                    "clamp" => Function::Clamp,
                    "abs" => Function::Abs,
                    "log" => Function::Log,
                    "log10" => Function::Log10,
                    "sqrt" => Function::Sqrt,
                    "exp" => Function::Exp,
                    "round" => Function::Round,
                    "floor" => Function::Floor,
                    _ => Function::Ceil,
                };
                if f == Function::Round {
                    if let Some(digits) = args.get(1) {
                        let ok = matches!(&digits.kind, ast::ExprKind::Number(n) if n.value.fract() == 0.0 && (0.0..=9.0).contains(&n.value));
                        if !ok {
                            self.push(
                                Diagnostic::new(
                                    Code::T004,
                                    ctx.file,
                                    digits.span,
                                    "the digits of `round` must be a whole number from 0 to 9",
                                )
                                .label("not a constant digit count")
                                .help("write `round(x, 2)`"),
                            );
                        }
                    }
                }
                let integer_result =
                    matches!(f, Function::Round | Function::Floor | Function::Ceil)
                        && args.len() == 1
                        || (matches!(f, Function::Min | Function::Max | Function::Abs)
                            && checked.iter().all(|a| a.ty == Type::Integer));
                mk(
                    ExprKind::Call(f, checked),
                    if integer_result {
                        Type::Integer
                    } else {
                        Type::Number
                    },
                )
            }
        }
    }

    fn constant_window(&mut self, arg: Option<&ast::Expr>, ctx: Ctx, name: &str) -> Option<u32> {
        let arg = arg?;
        match &arg.kind {
            ast::ExprKind::Number(n)
                if n.value >= 1.0 && n.value.fract() == 0.0 && n.value <= MAX_WINDOW =>
            {
                Some(n.value as u32)
            }
            kind => {
                let (message, label) = match kind {
                    ast::ExprKind::Number(n) => (
                        format!(
                            "the window of `{name}` must be a whole number of periods from 1 to {}, not `{}`",
                            MAX_WINDOW_TEXT, n.text
                        ),
                        format!("not a whole number from 1 to {MAX_WINDOW_TEXT}"),
                    ),
                    _ => (
                        format!(
                            "the window of `{name}` must be a constant number of periods from 1 to {MAX_WINDOW_TEXT}"
                        ),
                        "not a constant".to_string(),
                    ),
                };
                self.push(
                    Diagnostic::new(Code::T004, ctx.file, arg.span, message)
                        .label(label)
                        .help(format!(
                            "write the number of periods, such as `{name}(x, 3)`; a window is at most {MAX_WINDOW_TEXT} periods"
                        )),
                );
                None
            }
        }
    }
}

/// `own` with each of `changes` replacing the weight of its metric (or added
/// after them); a weight of 0 removes the metric.
fn merge_terms(own: &[WeightTerm], changes: Vec<WeightTerm>) -> Vec<WeightTerm> {
    let mut out = own.to_vec();
    for c in changes {
        match out.iter_mut().find(|t| t.metric == c.metric) {
            Some(t) => *t = c,
            None => out.push(c),
        }
    }
    out.retain(|t| t.percent != 0.0);
    out
}

fn signature(name: &str) -> String {
    let s = match name {
        "min" | "max" => "min(a, b, …) / max(a, b, …)",
        "clamp" => "clamp(x, low, high)",
        "round" => "round(x) or round(x, digits)",
        "coalesce" => "coalesce(a, b, …): the first that is not missing",
        "moving_average" => "moving_average(x, periods)",
        "trend" => "trend(x, periods)",
        "percentile" | "zscore" | "minmax" => "percentile(x within column, …)",
        "points" => "points(metric)",
        "tier" => "tier(score)",
        "raw" => "raw(score)",
        "smoothed" => "smoothed(score)",
        "previous" => "previous(x)",
        "change" => "change(x)",
        "pct_change" => "pct_change(x)",
        "running_sum" => "running_sum(x)",
        "running_count" => "running_count(x)",
        "running_min" => "running_min(x)",
        "running_max" => "running_max(x)",
        "periods_since" => "periods_since(condition)",
        "streak" => "streak(condition)",
        _ => "f(x)",
    };
    format!("call it as `{s}`")
}

pub use crate::model::format_number;
