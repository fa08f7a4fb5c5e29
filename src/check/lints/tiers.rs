//! L008 tiers-not-covering and L013 unreachable-tier.
//!
//! Tiers are read from the top; the first whose threshold the score meets
//! gives the label. Without `otherwise`, a score below the lowest threshold
//! gets no tier at all (L008). A tier whose scores are all taken by earlier
//! tiers, or that lies above the highest score possible, is never given (L013).

use super::LintContext;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::ScoreId;
use crate::model::format_number;
use crate::syntax::ast::CmpOp;

pub fn check(cx: &LintContext<'_>, out: &mut Diagnostics) {
    for (i, score) in cx.model.scores.iter().enumerate() {
        let Some(tiers) = &score.tiers else { continue };
        let range = cx.ranges.score(ScoreId(i as u32), 0);
        // The lowest score taken so far: (threshold, included, the tier that set it).
        let mut taken: Option<(f64, bool, &crate::model::TierDef)> = None;
        let mut otherwise_seen = false;
        for tier in &tiers.tiers {
            if otherwise_seen {
                out.push(
                    Diagnostic::new(
                        Code::L013,
                        tier.loc.file,
                        tier.loc.span,
                        format!("the tier `{}` comes after `otherwise`", tier.label),
                    )
                    .label("never given")
                    .help("put `otherwise` last"),
                );
                continue;
            }
            match tier.threshold {
                None => {
                    otherwise_seen = true;
                    let reachable = match taken {
                        None => true,
                        Some((t, included, _)) => range.lo < t || (range.lo == t && !included),
                    };
                    if !reachable {
                        out.push(
                            Diagnostic::new(
                                Code::L013,
                                tier.loc.file,
                                tier.loc.span,
                                format!(
                                    "`{}` can never score below {}",
                                    score.name,
                                    format_number(range.lo)
                                ),
                            )
                            .label("this tier is never given")
                            .help("lower the thresholds above it, or remove it"),
                        );
                    }
                }
                Some((op, t)) => {
                    let included = op != CmpOp::Gt;
                    let shadowed_by = match taken {
                        Some((m, m_in, by)) if t > m || (t == m && (m_in || !included)) => Some(by),
                        _ => None,
                    };
                    let above_max = t > range.hi || (t == range.hi && !included);
                    if let Some(by) = shadowed_by {
                        out.push(
                            Diagnostic::new(
                                Code::L013,
                                tier.loc.file,
                                tier.loc.span,
                                format!("the tier `{}` is never given: `{}` above it takes every score from {}", tier.label, by.label, format_number(t)),
                            )
                            .label("never given")
                            .note(by.loc.span, "this tier is checked first")
                            .help("order tiers from the highest threshold down"),
                        );
                    } else if above_max {
                        out.push(
                            Diagnostic::new(
                                Code::L013,
                                tier.loc.file,
                                tier.loc.span,
                                format!(
                                    "`{}` is at most {}, so the tier `{}` is never given",
                                    score.name,
                                    format_number(range.hi),
                                    tier.label
                                ),
                            )
                            .label("above the highest possible score")
                            .help("lower the threshold"),
                        );
                    }
                    taken = Some(match taken {
                        Some((m, m_in, by)) if m < t || (m == t && m_in) => (m, m_in, by),
                        _ => (t, included, tier),
                    });
                }
            }
        }
        if !otherwise_seen {
            if let Some((t, included, _)) = taken {
                if range.lo < t || (range.lo == t && !included) {
                    out.push(
                        Diagnostic::new(
                            Code::L008,
                            tiers.loc.file,
                            tiers.loc.span,
                            format!(
                                "scores of `{}` below {} fall in no tier",
                                score.name,
                                format_number(t)
                            ),
                        )
                        .label("no tier for the lowest scores")
                        .help("end the tiers with a catch-all: `needs_improvement otherwise`"),
                    );
                }
            }
        }
    }
}
