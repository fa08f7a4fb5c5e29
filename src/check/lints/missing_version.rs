//! L012 missing-version: a scorecard with scores but no `scorecard "name"
//! version "…"` header. Outputs carry the name and version so a score can be
//! traced to the rules that produced it.

use super::LintContext;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::syntax::ast::Span;

pub fn check(cx: &LintContext<'_>, out: &mut Diagnostics) {
    if cx.model.scores.is_empty() {
        return;
    }
    let Some(root) = cx.program.files.first() else {
        return;
    };
    match &root.tree.header {
        None => out.push(
            Diagnostic::new(
                Code::L012,
                root.file,
                Span::new(0, 0),
                "this scorecard has no name and version",
            )
            .label("no header")
            .help("start the file with `scorecard \"partner-performance\" version \"1.0\"`"),
        ),
        Some(h) if h.version.is_none() => out.push(
            Diagnostic::new(
                Code::L012,
                root.file,
                h.span,
                format!("the scorecard {:?} has no version", h.name.value),
            )
            .label("no version")
            .help(format!(
                "write `scorecard {:?} version \"1.0\"`",
                h.name.value
            )),
        ),
        Some(_) => {}
    }
}
