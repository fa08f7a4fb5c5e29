//! L011 segment-not-exhaustive: segment rules without `otherwise`. A partner
//! that matches no rule gets no label, so its segment-specific weights and
//! rubrics silently fall back to the defaults.

use super::LintContext;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::SegmentSource;

pub fn check(cx: &LintContext<'_>, out: &mut Diagnostics) {
    for segment in &cx.model.segments {
        let SegmentSource::Rules(rules) = &segment.source else {
            continue;
        };
        if rules.is_empty() || rules.iter().any(|r| r.condition.is_none()) {
            continue;
        }
        out.push(
            Diagnostic::new(
                Code::L011,
                segment.loc.file,
                segment.loc.span,
                format!(
                    "a partner may match no rule of the segment `{}`",
                    segment.name
                ),
            )
            .label("no `otherwise` rule")
            .help("end the rules with a catch-all: `other otherwise`"),
        );
    }
}
