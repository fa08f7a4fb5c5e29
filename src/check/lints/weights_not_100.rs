//! L001 weights-not-100: a `weights` block (or a layer group) whose weights do
//! not add up to 100. Weights are shares of the score; when they add up to
//! something else the score leaves the 0–100 range its tiers assume.

use super::LintContext;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Definition, Loc, WeightTerm};

fn total(terms: &[WeightTerm]) -> f64 {
    terms.iter().map(|t| t.percent).sum()
}

fn span_of(terms: &[WeightTerm]) -> Option<Loc> {
    let first = terms.first()?;
    let last = terms.last()?;
    Some(Loc::new(first.loc.file, first.loc.span.to(last.loc.span)))
}

fn report(out: &mut Diagnostics, at: Loc, sum: f64, what: &str) {
    out.push(
        Diagnostic::new(
            Code::L001,
            at.file,
            at.span,
            format!(
                "{what} add up to {}, not 100",
                crate::model::format_number(sum)
            ),
        )
        .label(format!(
            "these add up to {}",
            crate::model::format_number(sum)
        ))
        .help("adjust the weights so they add up to 100"),
    );
}

pub fn check(cx: &LintContext<'_>, out: &mut Diagnostics) {
    for score in &cx.model.scores {
        let definitions =
            std::iter::once(&score.definition).chain(score.overrides.iter().map(|o| &o.definition));
        for d in definitions {
            match d {
                Definition::Weighted(terms) => {
                    let sum = total(terms);
                    if (sum - 100.0).abs() > 1e-9 {
                        if let Some(at) = span_of(terms) {
                            report(out, at, sum, &format!("the weights of `{}`", score.name));
                        }
                    }
                }
                Definition::Layered(layers) => {
                    let sum: f64 = layers.iter().map(|l| l.percent).sum();
                    if (sum - 100.0).abs() > 1e-9 {
                        if let (Some(first), Some(last)) = (layers.first(), layers.last()) {
                            let at = Loc::new(first.loc.file, first.loc.span.to(last.loc.span));
                            report(
                                out,
                                at,
                                sum,
                                &format!("the layer weights of `{}`", score.name),
                            );
                        }
                    }
                    for layer in layers {
                        let sum = total(&layer.terms);
                        if (sum - 100.0).abs() > 1e-9 {
                            report(
                                out,
                                layer.loc,
                                sum,
                                &format!("the weights in layer `{}`", layer.layer.name()),
                            );
                        }
                    }
                }
                _ => {}
            }
        }
    }
}
