//! Every name written in a program's files: where each metric, column,
//! segment, score, flag and rule is declared and everywhere it is named.

use crate::check::load::Program;
use crate::source::FileId;
use crate::syntax::ast::{
    Decl, ExpectKind, Expr, ExprKind, Field, Ident, InputEntry, MetricClause, PointsSpec,
    RuleClause, ScoreClause, SegmentBody, Span, TestClause, WeightItem,
};

/// What a declared name is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Column,
    Metric,
    Segment,
    Score,
    Flag,
    Rule,
}

impl Kind {
    pub fn word(self) -> &'static str {
        match self {
            Kind::Column => "column",
            Kind::Metric => "metric",
            Kind::Segment => "segment",
            Kind::Score => "score",
            Kind::Flag => "flag",
            Kind::Rule => "rule",
        }
    }
}

/// A name as written in one file.
#[derive(Clone, Debug)]
pub struct Occurrence {
    pub file: FileId,
    pub name: String,
    pub span: Span,
    pub role: Role,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Where a name is declared; `decl` spans the whole declaration.
    Declaration { kind: Kind, decl: Span },
    /// A use of a name (resolved, if it can be, through the declarations).
    Reference,
    /// A function called.
    Function,
}

/// The names of a program.
#[derive(Debug, Default)]
pub struct Index {
    pub occurrences: Vec<Occurrence>,
}

impl Index {
    pub fn new(program: &Program) -> Self {
        let mut walker = Walker::default();
        for loaded in &program.files {
            walker.file = loaded.file;
            for decl in &loaded.tree.decls {
                walker.decl(decl);
            }
        }
        Index {
            occurrences: walker.out,
        }
    }

    /// The occurrence under a byte offset of a file (touching its end counts).
    pub fn at(&self, file: FileId, offset: usize) -> Option<&Occurrence> {
        self.occurrences
            .iter()
            .find(|o| o.file == file && o.span.start <= offset && offset <= o.span.end)
    }

    /// The declarations of a name.
    pub fn declarations<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = (&'a Occurrence, Kind, Span)> + 'a {
        self.occurrences.iter().filter_map(move |o| match o.role {
            Role::Declaration { kind, decl } if o.name == name => Some((o, kind, decl)),
            _ => None,
        })
    }

    /// Every declaration and use of a name.
    pub fn mentions<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Occurrence> + 'a {
        self.occurrences
            .iter()
            .filter(move |o| o.name == name && o.role != Role::Function)
    }
}

#[derive(Default)]
struct Walker {
    file: FileId,
    out: Vec<Occurrence>,
}

impl Walker {
    fn push(&mut self, ident: &Ident, role: Role) {
        self.out.push(Occurrence {
            file: self.file,
            name: ident.name.clone(),
            span: ident.span,
            role,
        });
    }

    fn declare(&mut self, ident: &Ident, kind: Kind, decl: Span) {
        self.push(ident, Role::Declaration { kind, decl });
    }

    fn refer(&mut self, ident: &Ident) {
        self.push(ident, Role::Reference);
    }

    fn expr(&mut self, expr: &Expr) {
        expr.walk(&mut |e| match &e.kind {
            ExprKind::Name(ident) => self.refer(ident),
            ExprKind::Call {
                function, within, ..
            } => {
                self.push(function, Role::Function);
                for w in within {
                    self.refer(w);
                }
            }
            _ => {}
        });
    }

    fn fields(&mut self, fields: &[Field]) {
        for f in fields {
            self.refer(&f.name);
        }
    }

    fn decl(&mut self, decl: &Decl) {
        match decl {
            Decl::Import(_) | Decl::Snapshot(_) => {}
            Decl::Governance(g) => {
                for block in &g.blocks {
                    for clause in &block.clauses {
                        if let crate::syntax::ast::PolicyClause::Locked(columns, _) = clause {
                            for column in columns {
                                self.refer(column);
                            }
                        }
                    }
                }
            }
            Decl::Input(input) => {
                for entry in &input.entries {
                    match entry {
                        InputEntry::Key(ident, span) | InputEntry::Period(ident, span) => {
                            self.declare(ident, Kind::Column, *span);
                        }
                        InputEntry::Column(c) => self.declare(&c.name, Kind::Column, c.span),
                        InputEntry::OthersIgnored(_) => {}
                    }
                }
            }
            Decl::Metric(m) => {
                self.declare(&m.name, Kind::Metric, m.span);
                self.metric_clauses(&m.clauses);
            }
            Decl::Segment(s) => {
                self.declare(&s.name, Kind::Segment, s.span);
                match &s.body {
                    SegmentBody::From(column) => self.refer(column),
                    SegmentBody::Rules(rules) => {
                        for r in rules {
                            if let Some(c) = &r.condition {
                                self.expr(c);
                            }
                        }
                    }
                }
            }
            Decl::Score(s) => {
                self.declare(&s.name, Kind::Score, s.span);
                self.score_clauses(&s.clauses);
            }
            Decl::Tiers(t) => self.refer(&t.score),
            Decl::Flag(f) => {
                self.declare(&f.name, Kind::Flag, f.span);
                for c in &f.conditions {
                    self.expr(c);
                }
            }
            Decl::Rule(r) => {
                self.declare(&r.name, Kind::Rule, r.span);
                for clause in &r.clauses {
                    if let RuleClause::When(e, _) = clause {
                        self.expr(e);
                    }
                }
            }
            Decl::Output(o) => {
                for item in &o.items {
                    if let crate::syntax::ast::OutputItem::Column(c) = item {
                        match &c.expr {
                            Some(e) => self.expr(e),
                            // `output { overall }`: the column is the name.
                            None if !c.name.quoted => self.out.push(Occurrence {
                                file: self.file,
                                name: c.name.text.clone(),
                                span: c.name.span,
                                role: Role::Reference,
                            }),
                            None => {}
                        }
                    }
                }
            }
            Decl::Test(t) => {
                for clause in &t.clauses {
                    match clause {
                        TestClause::GivenRow(fields, _) | TestClause::Defaults(fields, _) => {
                            self.fields(fields);
                        }
                        TestClause::Expect(expect) => match &expect.kind {
                            ExpectKind::State { subject, .. }
                            | ExpectKind::Compare { subject, .. } => {
                                if let Some(f) = &subject.function {
                                    self.push(f, Role::Function);
                                }
                                self.refer(&subject.name);
                            }
                            ExpectKind::List { .. } => {}
                        },
                        TestClause::GivenFile(..)
                        | TestClause::Partner(..)
                        | TestClause::Period(..)
                        | TestClause::GovernFile(..)
                        | TestClause::GovernRow(..) => {}
                    }
                }
            }
            Decl::Defaults(d) => {
                for clause in &d.clauses {
                    if let crate::syntax::ast::DefaultsClause::Given(fields, _) = clause {
                        self.fields(fields);
                    }
                }
            }
        }
    }

    fn metric_clauses(&mut self, clauses: &[MetricClause]) {
        for clause in clauses {
            match clause {
                MetricClause::Value(e, _) => self.expr(e),
                MetricClause::Points(p) => match &p.spec {
                    PointsSpec::Normalize { within, .. } => {
                        for w in within {
                            self.refer(w);
                        }
                    }
                    PointsSpec::Expr(e) => self.expr(e),
                    PointsSpec::Bands(_) | PointsSpec::Scale { .. } => {}
                },
                MetricClause::For(f) => {
                    self.refer(&f.head.segment);
                    self.metric_clauses(&f.clauses);
                }
                MetricClause::Meta(_) | MetricClause::Missing(_) => {}
            }
        }
    }

    fn score_clauses(&mut self, clauses: &[ScoreClause]) {
        for clause in clauses {
            match clause {
                ScoreClause::Weights(w) => {
                    for item in &w.items {
                        match item {
                            WeightItem::Weight(w) => self.refer(&w.metric),
                            WeightItem::Layer(group) => {
                                for w in &group.weights {
                                    self.refer(&w.metric);
                                }
                            }
                        }
                    }
                }
                ScoreClause::Sum(s) => {
                    for m in &s.metrics {
                        self.refer(m);
                    }
                }
                ScoreClause::Value(e, _) => self.expr(e),
                ScoreClause::For(f) => {
                    self.refer(&f.head.segment);
                    self.score_clauses(&f.clauses);
                }
                ScoreClause::Adjust(a) => self.expr(&a.condition),
                ScoreClause::Meta(_)
                | ScoreClause::Base(..)
                | ScoreClause::Smooth(_)
                | ScoreClause::MaxChange(..)
                | ScoreClause::Floor(..)
                | ScoreClause::Cap(..)
                | ScoreClause::MinPeriods(..)
                | ScoreClause::Insufficient(_) => {}
            }
        }
    }
}
