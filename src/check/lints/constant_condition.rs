//! L005 constant-condition: a rule, flag, adjustment or segment rule whose
//! condition is always true or always false. It either fires for every
//! partner or never; both are almost always a typo (`1 > 2`, `true`).

use super::LintContext;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Expr, SegmentSource};

fn check_one(e: &Expr, what: &str, out: &mut Diagnostics) {
    if let Some(value) = e.constant_bool() {
        out.push(
            Diagnostic::new(
                Code::L005,
                e.loc.file,
                e.loc.span,
                format!("the condition of {what} is always {value}"),
            )
            .label(format!("always {value}"))
            .help(if value {
                "it applies to every partner; compare a column or metric instead"
            } else {
                "it never applies; check the comparison"
            }),
        );
    }
}

pub fn check(cx: &LintContext<'_>, out: &mut Diagnostics) {
    for r in &cx.model.rules {
        check_one(&r.condition, &format!("the rule `{}`", r.name), out);
    }
    for f in &cx.model.flags {
        check_one(&f.condition, &format!("the flag `{}`", f.name), out);
    }
    for s in &cx.model.scores {
        for a in &s.adjustments {
            check_one(&a.condition, &format!("an adjustment of `{}`", s.name), out);
        }
    }
    for s in &cx.model.segments {
        if let SegmentSource::Rules(rules) = &s.source {
            for r in rules {
                if let Some(c) = &r.condition {
                    check_one(c, &format!("a rule of the segment `{}`", s.name), out);
                }
            }
        }
    }
}
