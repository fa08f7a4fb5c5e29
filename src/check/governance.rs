//! The `governance` block: the policy corrections to the data and tier
//! overrides are held to, resolved into `model::GovernancePolicy`.
//!
//! Codes: `N001` a locked column the input block does not declare, `S004`
//! a second `governance` block or a clause given twice, `S011` a limit
//! that is not a whole number in range.

use crate::check::load::Program;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{GovernancePolicy, Loc, Model};
use crate::source::FileId;
use crate::syntax::ast::{Decl, Number, PolicyClause, PolicySubject, Span};

/// Resolve every `governance` block of the program into the model's policy.
pub fn resolve(program: &Program, model: &mut Model, diagnostics: &mut Diagnostics) {
    let mut policy = GovernancePolicy::default();
    let mut first: Option<(FileId, Span)> = None;
    for loaded in &program.files {
        let file = loaded.file;
        for decl in &loaded.tree.decls {
            let Decl::Governance(g) = decl else { continue };
            if first.is_some() {
                diagnostics.push(
                    Diagnostic::new(Code::S004, file, g.span, "a second `governance` block")
                        .label("the policy is already declared")
                        .help("write every policy in the one `governance` block"),
                );
                continue;
            }
            first = Some((file, g.span));
            policy.loc = Some(Loc { file, span: g.span });
            let mut seen: Vec<(PolicySubject, &'static str)> = Vec::new();
            for block in &g.blocks {
                for clause in &block.clauses {
                    let name = match clause {
                        PolicyClause::ApproverRequired(_) => "approver required",
                        PolicyClause::Locked(..) => "locked",
                        PolicyClause::MaxMove(..) => "max_move",
                        PolicyClause::ExpireWithin(..) => "expire within",
                    };
                    if seen.contains(&(block.subject, name)) {
                        diagnostics.push(
                            Diagnostic::new(
                                Code::S004,
                                file,
                                clause.span(),
                                format!("`{name}` is given twice for {}", block.subject.keyword()),
                            )
                            .label("given again here")
                            .help(if name == "locked" {
                                "list every locked column in one clause: `locked a, b`"
                            } else {
                                "keep one"
                            }),
                        );
                        continue;
                    }
                    seen.push((block.subject, name));
                    match (block.subject, clause) {
                        (PolicySubject::Corrections, PolicyClause::ApproverRequired(_)) => {
                            policy.corrections.approver_required = true;
                        }
                        (PolicySubject::Overrides, PolicyClause::ApproverRequired(_)) => {
                            policy.overrides.approver_required = true;
                        }
                        (_, PolicyClause::Locked(names, _)) => {
                            for n in names {
                                match model.contract.find(&n.name) {
                                    Some(id) => policy.corrections.locked.push(id),
                                    None => {
                                        let hint = crate::diag::fuzzy::closest(
                                            &n.name,
                                            model.contract.columns.iter().map(|c| c.name.as_str()),
                                        );
                                        diagnostics.push(
                                            Diagnostic::new(
                                                Code::N001,
                                                file,
                                                n.span,
                                                format!("unknown column `{}`", n.name),
                                            )
                                            .label("the input block declares no such column")
                                            .help(
                                                match hint {
                                                    Some(h) => format!("did you mean `{h}`?"),
                                                    None => {
                                                        "lock a column the input block declares"
                                                            .to_string()
                                                    }
                                                },
                                            ),
                                        );
                                    }
                                }
                            }
                        }
                        (_, PolicyClause::MaxMove(n, _)) => {
                            policy.overrides.max_move = whole(n, 0, file, "max_move", diagnostics);
                        }
                        (_, PolicyClause::ExpireWithin(n, _)) => {
                            policy.overrides.expire_within =
                                whole(n, 1, file, "expire within", diagnostics);
                        }
                    }
                }
            }
        }
    }
    model.governance = policy;
}

/// A whole number of at least `least`, or `S011`.
fn whole(
    n: &Number,
    least: u32,
    file: FileId,
    what: &str,
    diagnostics: &mut Diagnostics,
) -> Option<u32> {
    let v = n.value;
    if v.fract() == 0.0 && v >= f64::from(least) && v <= f64::from(u32::MAX) {
        return Some(v as u32);
    }
    diagnostics.push(
        Diagnostic::new(
            Code::S011,
            file,
            n.span,
            format!(
                "`{what} {}` is not a whole number of at least {least}",
                n.text
            ),
        )
        .label("not allowed here")
        .help(format!(
            "write a whole number, such as `{what} {}`",
            least.max(1)
        )),
    );
    None
}
