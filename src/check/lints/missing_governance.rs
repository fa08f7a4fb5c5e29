//! L009 missing-governance: a metric without an `owner` or a `source`.
//! Partner scores decide where money goes; every number in them needs someone
//! accountable for its definition and a system it comes from.

use super::LintContext;
use crate::diag::{Code, Diagnostic, Diagnostics};

pub fn check(cx: &LintContext<'_>, out: &mut Diagnostics) {
    for metric in &cx.model.metrics {
        let missing: Vec<&str> = [
            ("owner", metric.meta.owner.is_none()),
            ("source", metric.meta.source.is_none()),
        ]
        .iter()
        .filter(|(_, absent)| *absent)
        .map(|(name, _)| *name)
        .collect();
        if missing.is_empty() {
            continue;
        }
        let what = missing.join(" or ");
        out.push(
            Diagnostic::new(Code::L009, metric.loc.file, metric.loc.span, format!("the metric `{}` has no {what}", metric.name))
                .label(format!("no {what}"))
                .help("add `owner \"team\"` and `source \"system\"` so every number has someone accountable"),
        );
    }
}
