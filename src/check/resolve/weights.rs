//! Weights: a score's weighted terms and the per-segment overrides that change
//! them.
//!
//! Raises: `S004`, `S010`, `S011`, `S030`, `S031`.

use super::state::*;
use crate::diag::{Code, Diagnostic};
use crate::model::*;
use crate::source::FileId;
use crate::syntax::ast::{self, Span};

impl<'p> Resolver<'p> {
    pub(super) fn weights(&mut self, file: FileId, w: &ast::Weights) -> Definition {
        let has_layers = w
            .items
            .iter()
            .any(|i| matches!(i, ast::WeightItem::Layer(_)));
        let has_plain = w
            .items
            .iter()
            .any(|i| matches!(i, ast::WeightItem::Weight(_)));
        if has_layers && has_plain {
            if let Some(ast::WeightItem::Weight(first)) = w
                .items
                .iter()
                .find(|i| matches!(i, ast::WeightItem::Weight(_)))
            {
                self.push(
                    Diagnostic::new(Code::S010, file, first.span, "weights mix layer groups and single metrics")
                        .label("outside any layer group")
                        .help("put every metric inside a `layer NAME WEIGHT { … }` group, or use no groups"),
                );
            }
        }
        if has_layers {
            let mut layers = Vec::new();
            for item in &w.items {
                let ast::WeightItem::Layer(group) = item else {
                    continue;
                };
                let layer = match Layer::ALL.iter().find(|(n, _)| *n == group.layer.name) {
                    Some((_, l)) => *l,
                    None => {
                        self.bad_word(
                            file,
                            group.layer.span,
                            "layer",
                            &group.layer.name,
                            &["strategy", "execution", "results"],
                        );
                        continue;
                    }
                };
                let terms = self.weight_terms(file, &group.weights);
                layers.push(LayerTerm {
                    layer,
                    percent: group.weight.value,
                    fraction: group.weight.scaled(-2),
                    terms,
                    loc: loc(file, group.span),
                });
            }
            Definition::Layered(layers)
        } else {
            let plain: Vec<ast::Weight> = w
                .items
                .iter()
                .filter_map(|i| match i {
                    ast::WeightItem::Weight(w) => Some(w.clone()),
                    ast::WeightItem::Layer(_) => None,
                })
                .collect();
            Definition::Weighted(self.weight_terms(file, &plain))
        }
    }

    /// `override weights { … }` in a `for` block: the score's own weights with
    /// those listed changed, added, or (at 0) removed (`S030` without weights
    /// to change, `S031` for a metric in no layer group of layered weights).
    pub(super) fn override_weights(
        &mut self,
        file: FileId,
        w: &ast::Weights,
        score_own: Option<&Definition>,
    ) -> Definition {
        let changes = self.weights(file, w);
        let head = Span::new(w.span.start, w.span.start + "override".len());
        let merged = match (score_own, changes) {
            (Some(Definition::Weighted(own)), Definition::Weighted(changes)) => {
                Some(Definition::Weighted(merge_terms(own, changes)))
            }
            (Some(Definition::Layered(own)), Definition::Layered(changes)) => {
                let mut out = own.clone();
                for c in changes {
                    match out.iter_mut().find(|l| l.layer == c.layer) {
                        Some(l) => {
                            l.percent = c.percent;
                            l.fraction = c.fraction;
                            l.loc = c.loc;
                            l.terms = merge_terms(&l.terms, c.terms);
                        }
                        None => out.push(c),
                    }
                }
                out.retain(|l| l.percent != 0.0);
                Some(Definition::Layered(out))
            }
            (Some(Definition::Layered(own)), Definition::Weighted(changes)) => {
                let mut out = own.clone();
                for c in changes {
                    match out
                        .iter_mut()
                        .find(|l| l.terms.iter().any(|t| t.metric == c.metric))
                    {
                        Some(l) => l.terms = merge_terms(&l.terms, vec![c]),
                        None => {
                            let name = self
                                .model
                                .metric(c.metric)
                                .map(|m| m.name.clone())
                                .unwrap_or_default();
                            self.push(
                                Diagnostic::new(
                                    Code::S031,
                                    file,
                                    c.loc.span,
                                    format!("`{name}` is in no layer group of the score's weights"),
                                )
                                .label("which layer?")
                                .help(format!(
                                    "write it inside its layer: `layer results 50 {{ {name} 30 }}`"
                                )),
                            );
                        }
                    }
                }
                Some(Definition::Layered(out))
            }
            (Some(Definition::Weighted(_)), Definition::Layered(changes)) => {
                let span = changes.first().map_or(w.span, |l| l.loc.span);
                self.push(
                    Diagnostic::new(
                        Code::S031,
                        file,
                        span,
                        "a layer group overrides weights that have no layer groups",
                    )
                    .label("the score's own weights are not in layers")
                    .help("override single weights, such as `override weights { win_rate 30 }`"),
                );
                None
            }
            // The score's own definition is in error, already reported.
            (Some(Definition::Value(e)), _) if e.kind == ExprKind::Missing && e.ty == Type::Any => {
                None
            }
            _ => {
                let why = if score_own.is_some() {
                    "the score itself is not defined by `weights`"
                } else {
                    "a score's own weights cannot override anything"
                };
                self.push(
                    Diagnostic::new(Code::S030, file, head, "`override weights` with no weights to override")
                        .label(why)
                        .help("use `override weights { … }` in a `for` block of a score defined by `weights { … }`, or write the whole `weights { … }`"),
                );
                None
            }
        };
        merged.unwrap_or_else(|| Definition::Value(placeholder_expr(loc(file, w.span))))
    }

    pub(super) fn weight_terms(
        &mut self,
        file: FileId,
        weights: &[ast::Weight],
    ) -> Vec<WeightTerm> {
        let mut out: Vec<WeightTerm> = Vec::new();
        for w in weights {
            let Some(metric) = self.metric_ref(file, &w.metric) else {
                continue;
            };
            if let Some(previous) = out.iter().find(|t| t.metric == metric) {
                let first = previous.loc.span;
                self.push(
                    Diagnostic::new(
                        Code::S004,
                        file,
                        w.span,
                        format!("`{}` is weighted twice", w.metric.name),
                    )
                    .label("second weight")
                    .note(first, "first weight")
                    .help("give each metric one weight"),
                );
                continue;
            }
            if w.weight.value < 0.0 {
                self.push(
                    Diagnostic::new(Code::S011, file, w.weight.span, "a weight below zero")
                        .label("negative weight")
                        .help("weights are shares of 100; to make a metric count against a score, give it negative points"),
                );
            }
            out.push(WeightTerm {
                metric,
                percent: w.weight.value,
                fraction: w.weight.scaled(-2),
                loc: loc(file, w.span),
            });
        }
        out
    }
}

/// `own` with each of `changes` replacing the weight of its metric (or added
/// after them); a weight of 0 removes the metric.
pub(super) fn merge_terms(own: &[WeightTerm], changes: Vec<WeightTerm>) -> Vec<WeightTerm> {
    let mut out = own.to_vec();
    for c in changes {
        match out.iter_mut().find(|t| t.metric == c.metric) {
            Some(t) => *t = c,
            None => out.push(c),
        }
    }
    out.retain(|t| t.percent != 0.0);
    out
}
