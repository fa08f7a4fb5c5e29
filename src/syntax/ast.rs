//! The syntax tree of one scorecard file, as written: every node carries its span.
//!
//! Equality ignores spans (see [`Span`]), so two trees compare equal when they
//! say the same thing, wherever it was written.

pub use crate::source::Span;
pub use crate::vocab::{BinOp, CmpOp, Normalizer, StateWord, UnaryOp};

/// A name as written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A string literal, escapes resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Str {
    pub value: String,
    pub span: Span,
}

/// A number literal. `value` is the binary64 nearest to the decimal written
/// (a `%` divides the decimal by 100 before rounding, so `15%` is exactly the
/// double nearest to 0.15).
#[derive(Clone, Debug, PartialEq)]
pub struct Number {
    pub value: f64,
    /// The literal as written, `_` and all.
    pub text: String,
    pub span: Span,
}

impl Number {
    /// The binary64 nearest to this literal's decimal value times `10^shift`,
    /// rounded once: `Number("15").scaled(-2)` is exactly the double for 0.15.
    pub fn scaled(&self, shift: i32) -> f64 {
        scaled_decimal(&self.text, shift).unwrap_or(self.value * 10f64.powi(shift))
    }

    pub fn is_percent(&self) -> bool {
        self.text.ends_with('%')
    }
}

/// Parse a decimal literal (`1_000.5`, `2.5e3`, `25%`, optionally `-`) as the
/// binary64 nearest to its value times `10^shift`. `None` if it is not a number.
pub fn scaled_decimal(text: &str, shift: i32) -> Option<f64> {
    let mut body: String = text.chars().filter(|c| *c != '_').collect();
    let mut shift = shift;
    if body.ends_with('%') {
        body.pop();
        shift -= 2;
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => {
            let (m, e) = body.split_at(at);
            (m.to_string(), e.get(1..)?.parse::<i32>().ok()?)
        }
        None => (body, 0),
    };
    let exponent = exponent.checked_add(shift)?;
    format!("{mantissa}e{exponent}").parse::<f64>().ok()
}

/// A label: a segment or enum value, a category. Written as a name, a string or a number.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub text: String,
    pub quoted: bool,
    pub span: Span,
}

/// A whole file.
#[derive(Clone, Debug, PartialEq)]
pub struct File {
    pub header: Option<Header>,
    pub decls: Vec<Decl>,
    pub span: Span,
}

/// `scorecard "name" version "v"`.
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    pub name: Str,
    pub version: Option<Str>,
    pub span: Span,
}

/// A top-level declaration.
#[derive(Clone, Debug, PartialEq)]
pub enum Decl {
    Import(Import),
    Input(Input),
    Metric(Metric),
    Segment(Segment),
    Score(Score),
    Tiers(Tiers),
    Flag(Flag),
    Rule(Rule),
    Output(Output),
    Test(Test),
    Snapshot(Snapshot),
    Defaults(Defaults),
    Governance(Governance),
}

impl Decl {
    pub fn span(&self) -> Span {
        match self {
            Decl::Import(d) => d.span,
            Decl::Input(d) => d.span,
            Decl::Metric(d) => d.span,
            Decl::Segment(d) => d.span,
            Decl::Score(d) => d.span,
            Decl::Tiers(d) => d.span,
            Decl::Flag(d) => d.span,
            Decl::Rule(d) => d.span,
            Decl::Output(d) => d.span,
            Decl::Test(d) => d.span,
            Decl::Snapshot(d) => d.span,
            Decl::Defaults(d) => d.span,
            Decl::Governance(d) => d.span,
        }
    }
}

/// `governance { … }`: the policy corrections and overrides are held to.
#[derive(Clone, Debug, PartialEq)]
pub struct Governance {
    pub blocks: Vec<PolicyBlock>,
    pub span: Span,
}

/// `corrections { … }` or `overrides { … }`.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyBlock {
    pub subject: PolicySubject,
    pub clauses: Vec<PolicyClause>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicySubject {
    Corrections,
    Overrides,
}

impl PolicySubject {
    pub fn keyword(self) -> &'static str {
        match self {
            PolicySubject::Corrections => "corrections",
            PolicySubject::Overrides => "overrides",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum PolicyClause {
    /// `approver required`.
    ApproverRequired(Span),
    /// `locked a, b`.
    Locked(Vec<Ident>, Span),
    /// `max_move N`.
    MaxMove(Number, Span),
    /// `expire within N periods`.
    ExpireWithin(Number, Span),
}

impl PolicyClause {
    pub fn span(&self) -> Span {
        match self {
            PolicyClause::ApproverRequired(s)
            | PolicyClause::Locked(_, s)
            | PolicyClause::MaxMove(_, s)
            | PolicyClause::ExpireWithin(_, s) => *s,
        }
    }
}

/// `defaults { … }`: settings for every metric and test row of its file that
/// does not set its own.
#[derive(Clone, Debug, PartialEq)]
pub struct Defaults {
    pub clauses: Vec<DefaultsClause>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum DefaultsClause {
    Meta(Meta),
    Missing(MissingClause),
    /// `given { column: value, … }`: values for test rows that do not give them.
    Given(Vec<Field>, Span),
}

/// `import "path"`.
#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    pub path: Str,
    pub span: Span,
}

/// `input { ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    pub entries: Vec<InputEntry>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum InputEntry {
    Key(Ident, Span),
    Period(Ident, Span),
    Column(ColumnDecl),
    /// `other columns ignored`.
    OthersIgnored(Span),
}

/// `name: type options`.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnDecl {
    pub name: Ident,
    pub ty: ColumnType,
    pub options: Vec<ColumnOption>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ColumnTypeKind {
    Number,
    Integer,
    Bool,
    Text,
    Enum(Vec<Label>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ColumnType {
    pub kind: ColumnTypeKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ColumnOption {
    /// `in lo..hi`
    Between(Number, Number, Span),
    /// `>= x`
    Bound(CmpOp, Number, Span),
    /// `optional`
    Optional(Span),
}

/// `metric name "description" { ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    pub name: Ident,
    pub description: Option<Str>,
    pub clauses: Vec<MetricClause>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum MetricClause {
    Meta(Meta),
    Value(Expr, Span),
    Missing(MissingClause),
    Points(Points),
    For(MetricFor),
}

/// The metadata keys of metrics, scores and flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MetaKey {
    Description,
    Owner,
    Source,
    Rationale,
    Layer,
    Kind,
    Unit,
}

impl MetaKey {
    pub fn keyword(self) -> &'static str {
        match self {
            MetaKey::Description => "description",
            MetaKey::Owner => "owner",
            MetaKey::Source => "source",
            MetaKey::Rationale => "rationale",
            MetaKey::Layer => "layer",
            MetaKey::Kind => "kind",
            MetaKey::Unit => "unit",
        }
    }
}

/// `owner "enablement"` or `layer execution`.
#[derive(Clone, Debug, PartialEq)]
pub struct Meta {
    pub key: MetaKey,
    pub value: String,
    /// Whether the value was written as a quoted string.
    pub quoted: bool,
    pub value_span: Span,
    pub span: Span,
}

/// What `missing value N` / `missing points N` replaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingTarget {
    Value,
    Points,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MissingClause {
    pub target: MissingTarget,
    pub number: Number,
    pub span: Span,
}

/// `points ...`.
#[derive(Clone, Debug, PartialEq)]
pub struct Points {
    pub spec: PointsSpec,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PointsSpec {
    Bands(Vec<Band>),
    Scale {
        from: Number,
        from_points: Number,
        to: Number,
        to_points: Number,
    },
    Normalize {
        kind: Normalizer,
        within: Vec<Ident>,
    },
    Expr(Expr),
}

/// One band of a band table.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    pub condition: BandCondition,
    pub condition_span: Span,
    pub points: Number,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum BandCondition {
    Else,
    Missing,
    Interval {
        low: Number,
        low_closed: bool,
        high: Number,
        high_closed: bool,
    },
    Compare(CmpOp, Number),
    Labels(Vec<Label>),
}

/// `for SEGMENT LABEL, ... { ... }` inside a metric.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricFor {
    pub head: ForHead,
    pub clauses: Vec<MetricClause>,
    pub span: Span,
}

/// `for SEGMENT LABEL, LABEL`.
#[derive(Clone, Debug, PartialEq)]
pub struct ForHead {
    pub segment: Ident,
    pub labels: Vec<Label>,
    pub span: Span,
}

/// `segment name ...`.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    pub name: Ident,
    pub description: Option<Str>,
    pub body: SegmentBody,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SegmentBody {
    From(Ident),
    Rules(Vec<SegmentRule>),
}

/// `label when EXPR` or `label otherwise`.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentRule {
    pub label: Ident,
    /// `None` for `otherwise`.
    pub condition: Option<Expr>,
    pub span: Span,
}

/// `score name "description" { ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    pub name: Ident,
    pub description: Option<Str>,
    pub clauses: Vec<ScoreClause>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ScoreClause {
    Meta(Meta),
    Weights(Weights),
    Sum(SumClause),
    Base(Number, Span),
    Value(Expr, Span),
    For(ScoreFor),
    Adjust(Adjust),
    Smooth(Smooth),
    MaxChange(Number, Span),
    Floor(Number, Span),
    Cap(Number, Span),
    MinPeriods(Number, Span),
    Insufficient(Insufficient),
}

/// `weights { ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Weights {
    pub items: Vec<WeightItem>,
    /// `override weights { … }`: only the weights listed change the base's.
    pub overrides: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum WeightItem {
    Weight(Weight),
    Layer(LayerGroup),
}

/// `metric 25`.
#[derive(Clone, Debug, PartialEq)]
pub struct Weight {
    pub metric: Ident,
    pub weight: Number,
    pub span: Span,
}

/// `layer strategy 30 { ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerGroup {
    pub layer: Ident,
    pub weight: Number,
    pub weights: Vec<Weight>,
    pub span: Span,
}

/// `sum { a b c }`.
#[derive(Clone, Debug, PartialEq)]
pub struct SumClause {
    pub metrics: Vec<Ident>,
    pub span: Span,
}

/// `for SEGMENT LABEL { ... }` inside a score.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreFor {
    pub head: ForHead,
    pub clauses: Vec<ScoreClause>,
    pub span: Span,
}

/// `adjust "reason" by 1.1 when EXPR`.
#[derive(Clone, Debug, PartialEq)]
pub struct Adjust {
    pub reason: Option<Str>,
    pub factor: Number,
    pub condition: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SmoothKind {
    MovingAverage(Number),
    Exponential(Number),
}

/// `smooth moving_average(3)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Smooth {
    pub kind: SmoothKind,
    pub span: Span,
}

/// `insufficient data if more than N missing` or `… than N% missing`.
#[derive(Clone, Debug, PartialEq)]
pub struct Insufficient {
    /// As written; with `%` its value is the share (30% is 0.3).
    pub limit: Number,
    pub percent: bool,
    pub span: Span,
}

/// `tiers score { ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Tiers {
    pub score: Ident,
    pub tiers: Vec<Tier>,
    pub span: Span,
}

/// `good >= 60 { benefit "..." }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Tier {
    pub label: Ident,
    /// `None` for `otherwise`.
    pub threshold: Option<(CmpOp, Number)>,
    pub benefits: Vec<Str>,
    pub obligations: Vec<Str>,
    pub span: Span,
}

/// `flag name "description" { ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Flag {
    pub name: Ident,
    pub description: Option<Str>,
    pub meta: Vec<Meta>,
    pub conditions: Vec<Expr>,
    pub span: Span,
}

/// `rule name "reason" { ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub name: Ident,
    pub reason: Option<Str>,
    pub clauses: Vec<RuleClause>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RuleClause {
    When(Expr, Span),
    Action(Str, Span),
    Priority(PriorityValue, Span),
}

#[derive(Clone, Debug, PartialEq)]
pub enum PriorityValue {
    Number(Number),
    Name(Ident),
}

/// `output { ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    pub items: Vec<OutputItem>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum OutputItem {
    Decimals(Number, Span),
    /// `min_group N`.
    MinGroup(Number, Span),
    Column(OutputColumn),
}

/// `name = EXPR decimals 1 if missing "n/a"`.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputColumn {
    pub name: Label,
    pub expr: Option<Expr>,
    pub formats: Vec<ColumnFormat>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ColumnFormat {
    Decimals(Number, Span),
    IfMissing(Str, Span),
    IfEmpty(Str, Span),
}

/// `snapshot "data.csv" period all`.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub data: Str,
    /// `latest` or `all` (a name), or a period label (a string).
    pub period: Option<Label>,
    /// `corrections "…"` and `overrides "…"`: applied to the data before it
    /// is scored.
    pub governance: Vec<GovernFile>,
    pub span: Span,
}

/// Which governance file: corrections to the data or tier overrides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GovernKind {
    Corrections,
    Overrides,
}

impl GovernKind {
    /// The keyword of a file clause: `corrections` or `overrides`.
    pub fn file_keyword(self) -> &'static str {
        match self {
            GovernKind::Corrections => "corrections",
            GovernKind::Overrides => "overrides",
        }
    }

    /// The keyword of a row written in a test: `correction` or `override`.
    pub fn row_keyword(self) -> &'static str {
        match self {
            GovernKind::Corrections => "correction",
            GovernKind::Overrides => "override",
        }
    }
}

/// `corrections "data/corrections.csv"` or `overrides "data/overrides.csv"`.
#[derive(Clone, Debug, PartialEq)]
pub struct GovernFile {
    pub kind: GovernKind,
    pub path: Str,
    pub span: Span,
}

/// `test "name" { ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Test {
    pub name: Str,
    pub clauses: Vec<TestClause>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TestClause {
    GivenRow(Vec<Field>, Span),
    /// `defaults { column: value, … }`: values for the rows that do not give them.
    Defaults(Vec<Field>, Span),
    GivenFile(Str, Span),
    Partner(Str, Span),
    Period(Str, Span),
    /// `corrections "…"` or `overrides "…"`.
    GovernFile(GovernFile),
    /// `correction { … }` or `override { … }`: one line of such a file.
    GovernRow(GovernKind, Vec<Field>, Span),
    Expect(Expect),
}

/// `column: value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: Ident,
    pub value: Literal,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum LiteralKind {
    Number(Number),
    Str(String),
    Bool(bool),
    Missing,
    Name(String),
}

/// A constant in a test.
#[derive(Clone, Debug, PartialEq)]
pub struct Literal {
    pub kind: LiteralKind,
    pub span: Span,
}

/// What an expectation looks at: `overall` or `tier(overall)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Subject {
    pub function: Option<Ident>,
    pub name: Ident,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListSubject {
    Actions,
    Flags,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExpectKind {
    List {
        subject: ListSubject,
        negated: bool,
        label: Label,
    },
    State {
        subject: Subject,
        negated: bool,
        state: StateWord,
    },
    Compare {
        subject: Subject,
        op: CmpOp,
        expected: Literal,
        tolerance: Option<Number>,
    },
}

/// `expect ...`.
#[derive(Clone, Debug, PartialEq)]
pub struct Expect {
    pub kind: ExpectKind,
    pub span: Span,
}

/// An expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Number(Number),
    Str(String),
    Bool(bool),
    Missing,
    Name(Ident),
    Paren(Box<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `x in [a, b]`, `x not in [a, b]`
    In {
        value: Box<Expr>,
        set: Vec<Expr>,
        negated: bool,
    },
    /// `x is missing`, `x is not missing`
    IsMissing {
        value: Box<Expr>,
        negated: bool,
    },
    /// `if c then a else if d then b else e`
    If {
        arms: Vec<(Expr, Expr)>,
        otherwise: Box<Expr>,
    },
    /// `f(a, b)` or `percentile(x within g)`
    Call {
        function: Ident,
        args: Vec<Expr>,
        within: Vec<Ident>,
    },
}

impl Expr {
    /// Visit this expression and every sub-expression, parents first.
    pub fn walk<'a>(&'a self, visit: &mut dyn FnMut(&'a Expr)) {
        visit(self);
        match &self.kind {
            ExprKind::Number(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Missing
            | ExprKind::Name(_) => {}
            ExprKind::Paren(inner) | ExprKind::Unary(_, inner) => inner.walk(visit),
            ExprKind::Binary(_, a, b) => {
                a.walk(visit);
                b.walk(visit);
            }
            ExprKind::In { value, set, .. } => {
                value.walk(visit);
                for e in set {
                    e.walk(visit);
                }
            }
            ExprKind::IsMissing { value, .. } => value.walk(visit),
            ExprKind::If { arms, otherwise } => {
                for (c, v) in arms {
                    c.walk(visit);
                    v.walk(visit);
                }
                otherwise.walk(visit);
            }
            ExprKind::Call { args, .. } => {
                for a in args {
                    a.walk(visit);
                }
            }
        }
    }
}
