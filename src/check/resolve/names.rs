//! Names and the namespace: every declaration is entered under its name first
//! (so order in a file never matters), and a name that must be of one kind
//! is looked up with a did-you-mean for near misses.
//!
//! Raises: `N001`, `N002`, `N005`.

use super::state::*;
use crate::diag::fuzzy;
use crate::diag::{Code, Diagnostic};
use crate::model::*;
use crate::source::FileId;
use crate::syntax::ast::{self, Decl};

impl<'p> Resolver<'p> {
    pub(super) fn define(&mut self, name: &ast::Ident, file: FileId, symbol: Symbol) -> bool {
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

    pub(super) fn new_enum(&mut self, name: &str, labels: Vec<String>) -> EnumId {
        self.model.enums.push(EnumType {
            name: name.to_string(),
            labels,
        });
        EnumId((self.model.enums.len() - 1) as u32)
    }

    pub(super) fn declare_names(&mut self) {
        for (file, _, decl) in self.decls() {
            match decl {
                Decl::Metric(m) => self.declare_metric(file, m),
                Decl::Segment(s) => self.declare_segment(file, s),
                Decl::Score(s) => {
                    let id = ScoreId(self.model.scores.len() as u32);
                    if self.define(&s.name, file, Symbol::Score(id)) {
                        let l = loc(file, s.name.span);
                        let mut def = placeholder_score(&s.name.name, l);
                        def.meta.description = s.description.as_ref().map(|d| d.value.clone());
                        self.model.scores.push(def);
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
        self.declare_tiers();
    }

    /// A metric's name, with a placeholder until its value is resolved.
    fn declare_metric(&mut self, file: FileId, m: &'p ast::Metric) {
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

    /// A segment's name and its labels, an enum of their own.
    fn declare_segment(&mut self, file: FileId, s: &ast::Segment) {
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

    /// Resolve a name that must be of one kind; N001/N005 otherwise.
    pub(super) fn expect_symbol<T>(
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

    pub(super) fn unknown_name(
        &mut self,
        file: FileId,
        name: &ast::Ident,
        kind: &str,
        candidates: &[String],
    ) {
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
}
