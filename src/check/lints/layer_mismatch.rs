//! L010 layer-mismatch: a metric weighted under a `layer` group other than
//! the layer it declares. Layer weights express strategy; a results metric
//! counted as strategy silently shifts them.

use super::LintContext;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::Definition;

pub fn check(cx: &LintContext<'_>, out: &mut Diagnostics) {
    for score in &cx.model.scores {
        for d in
            std::iter::once(&score.definition).chain(score.overrides.iter().map(|o| &o.definition))
        {
            let Definition::Layered(layers) = d else {
                continue;
            };
            for layer in layers {
                for term in &layer.terms {
                    let Some(metric) = cx.model.metric(term.metric) else {
                        continue;
                    };
                    match metric.meta.layer {
                        Some(own) if own == layer.layer => {}
                        Some(own) => out.push(
                            Diagnostic::new(
                                Code::L010,
                                term.loc.file,
                                term.loc.span,
                                format!(
                                    "`{}` is a {} metric weighted under `{}`",
                                    metric.name,
                                    own.name(),
                                    layer.layer.name()
                                ),
                            )
                            .label(format!("declared `layer {}`", own.name()))
                            .help(format!(
                                "move it to the `{}` group, or change its `layer`",
                                own.name()
                            )),
                        ),
                        None => out.push(
                            Diagnostic::new(
                                Code::L010,
                                term.loc.file,
                                term.loc.span,
                                format!(
                                    "`{}` has no layer but is weighted under `{}`",
                                    metric.name,
                                    layer.layer.name()
                                ),
                            )
                            .label("no `layer` declared")
                            .help(format!("add `layer {}` to the metric", layer.layer.name())),
                        ),
                    }
                }
            }
        }
    }
}
