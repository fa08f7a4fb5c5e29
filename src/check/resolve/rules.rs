//! Flags and rules: their conditions, actions and priorities.
//!
//! Raises: `S004`, `S011`.

use super::state::*;
use crate::diag::{Code, Diagnostic};
use crate::model::*;
use crate::source::FileId;
use crate::syntax::ast::{self, Decl, Span};

impl<'p> Resolver<'p> {
    pub(super) fn resolve_flags_and_rules(&mut self) {
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

    pub(super) fn single_condition(
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
}
