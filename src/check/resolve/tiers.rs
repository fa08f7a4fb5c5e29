//! Tiers: each score's `tiers` block, its labels and thresholds.
//!
//! Raises: `N002`, `S004`, `S011`.

use super::state::*;
use crate::diag::{Code, Diagnostic};
use crate::model::*;
use crate::syntax::ast::{self, CmpOp, Decl};

impl<'p> Resolver<'p> {
    /// Each `tiers` block: its labels become an enum with the two tiers the
    /// language gives itself, declared once names are known so that `tier(x)`
    /// resolves anywhere.
    pub(super) fn declare_tiers(&mut self) {
        for (file, _, decl) in self.decls() {
            let Decl::Tiers(t) = decl else { continue };
            let Some(score) = self.expect_symbol(file, &t.score, "score", |s| match s {
                Symbol::Score(id) => Some(id),
                _ => None,
            }) else {
                continue;
            };
            let labels: Vec<ast::Label> = t
                .tiers
                .iter()
                .map(|tier| ast::Label {
                    text: tier.label.name.clone(),
                    quoted: false,
                    span: tier.label.span,
                })
                .collect();
            let mut names = self.unique_labels(file, &labels, "tiers block");
            for reserved in [PROVISIONAL, INSUFFICIENT_DATA] {
                if let Some(tier) = t.tiers.iter().find(|tier| tier.label.name == reserved) {
                    self.push(
                        Diagnostic::new(
                            Code::N002,
                            file,
                            tier.label.span,
                            format!("`{reserved}` is a tier the language gives itself"),
                        )
                        .label("reserved tier name")
                        .help("choose another name for this tier"),
                    );
                }
            }
            names.retain(|n| n != PROVISIONAL && n != INSUFFICIENT_DATA);
            names.push(PROVISIONAL.to_string());
            names.push(INSUFFICIENT_DATA.to_string());
            let enum_name = format!("tiers of {}", t.score.name);
            let already = self
                .model
                .score(score)
                .and_then(|s| s.tiers.as_ref())
                .map(|ts| ts.loc);
            if let Some(first) = already {
                let mut d = Diagnostic::new(
                    Code::S004,
                    file,
                    t.span,
                    format!("a second `tiers` block for `{}`", t.score.name),
                )
                .label("second tiers block")
                .help("keep one `tiers` block per score");
                if first.file == file {
                    d = d.note(first.span, "first tiers block");
                }
                self.push(d);
                continue;
            }
            let labels_id = self.new_enum(&enum_name, names);
            let tiers = t
                .tiers
                .iter()
                .map(|tier| TierDef {
                    label: tier.label.name.clone(),
                    threshold: tier.threshold.as_ref().map(|(op, n)| (*op, n.value)),
                    benefits: tier.benefits.iter().map(|b| b.value.clone()).collect(),
                    obligations: tier.obligations.iter().map(|b| b.value.clone()).collect(),
                    loc: loc(file, tier.span),
                })
                .collect();
            for tier in &t.tiers {
                if let Some((op, n)) = &tier.threshold {
                    if !matches!(op, CmpOp::Ge | CmpOp::Gt) {
                        self.push(
                            Diagnostic::new(
                                Code::S011,
                                file,
                                n.span,
                                format!(
                                    "a tier threshold must be `>=` or `>`, not `{}`",
                                    op.symbol()
                                ),
                            )
                            .label("tiers are checked from the top, so each gives its lowest score")
                            .help(format!(
                                "write `{} >= {}` and order tiers from the highest down",
                                tier.label.name, n.text
                            )),
                        );
                    }
                }
            }
            if let Some(s) = self.model.scores.get_mut(score.index()) {
                s.tiers = Some(TierSet {
                    labels: labels_id,
                    tiers,
                    loc: loc(file, t.span),
                });
            }
        }
    }
}
