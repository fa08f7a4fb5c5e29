//! L006 unused-metric and L007 unused-segment: definitions nothing reads.
//! An unused metric is usually one that was meant to be weighted and was
//! forgotten; it still costs a reader's attention and a data column.
//! Files that define no score (shared libraries of metrics) are not linted.

use super::LintContext;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{ExprKind, GroupKey, MetricId, PointsRule, SegmentId};

pub fn check(cx: &LintContext<'_>, out: &mut Diagnostics) {
    let model = cx.model;
    if model.scores.is_empty() {
        return;
    }
    let mut metrics = vec![false; model.metrics.len()];
    let mut segments = vec![false; model.segments.len()];
    let use_metric = |m: MetricId, metrics: &mut Vec<bool>| {
        if let Some(slot) = metrics.get_mut(m.index()) {
            *slot = true;
        }
    };
    let use_segment = |s: SegmentId, segments: &mut Vec<bool>| {
        if let Some(slot) = segments.get_mut(s.index()) {
            *slot = true;
        }
    };
    for score in &model.scores {
        for d in
            std::iter::once(&score.definition).chain(score.overrides.iter().map(|o| &o.definition))
        {
            for m in d.metrics() {
                use_metric(m, &mut metrics);
            }
        }
        for o in &score.overrides {
            use_segment(o.segment, &mut segments);
        }
    }
    for (i, metric) in model.metrics.iter().enumerate() {
        for sr in &metric.segment_rubrics {
            use_segment(sr.segment, &mut segments);
        }
        for rubric in
            std::iter::once(&metric.rubric).chain(metric.segment_rubrics.iter().map(|r| &r.rubric))
        {
            if let PointsRule::Normalize { within, .. } = &rubric.points {
                for g in within {
                    if let GroupKey::Segment(s) = g {
                        use_segment(*s, &mut segments);
                    }
                }
            }
        }
        let _ = i;
    }
    model.for_each_expr(&mut |e| {
        e.walk(&mut |x| match &x.kind {
            ExprKind::Metric(m) | ExprKind::Points(m) => use_metric(*m, &mut metrics),
            ExprKind::Segment(s) => use_segment(*s, &mut segments),
            ExprKind::Population(_, _, groups) => {
                for g in groups {
                    if let GroupKey::Segment(s) = g {
                        use_segment(*s, &mut segments);
                    }
                }
            }
            _ => {}
        })
    });
    for (metric, used) in model.metrics.iter().zip(&metrics) {
        if !used {
            out.push(
                Diagnostic::new(
                    Code::L006,
                    metric.loc.file,
                    metric.loc.span,
                    format!("the metric `{}` is not used", metric.name),
                )
                .label("defined but never used")
                .help("weight it in a score, use it in a rule, flag or output, or remove it"),
            );
        }
    }
    // Without an output block every segment is written out, so each is used.
    if model.output.is_none() {
        return;
    }
    for (segment, used) in model.segments.iter().zip(&segments) {
        if !used {
            out.push(
                Diagnostic::new(
                    Code::L007,
                    segment.loc.file,
                    segment.loc.span,
                    format!("the segment `{}` is not used", segment.name),
                )
                .label("defined but never used")
                .help(
                    "use it in a `for` block, a condition, `within`, or the output, or remove it",
                ),
            );
        }
    }
}
