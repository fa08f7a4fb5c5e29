//! Segments and metrics of a batch: each segment's membership, each metric's
//! value and its points under the rubric (bands, scales, expressions).

use super::*;

impl<'a> Batch<'a> {
    pub(super) fn segment(&mut self, s: SegmentId) {
        let n = self.len;
        let labels = match (
            self.ctx.model.segment(s).map(|d| &d.source),
            self.ctx.plan.segments.get(s.index()),
        ) {
            (Some(SegmentSource::Column(c)), _) => self.column(*c).label(n),
            (_, Some(Some(rules))) => {
                let mut out = vec![MISSING_LABEL; n];
                let mut open = n;
                for (label, condition) in rules {
                    if open == 0 {
                        break;
                    }
                    let hits = match condition {
                        Some(c) => self.eval(c, None).boolean(n),
                        None => vec![1; n],
                    };
                    for (slot, hit) in out.iter_mut().zip(hits) {
                        if *slot == MISSING_LABEL && hit == 1 {
                            *slot = *label;
                            open -= 1;
                        }
                    }
                }
                out
            }
            _ => vec![MISSING_LABEL; n],
        };
        if let Some(slot) = self.segments.get_mut(s.index()) {
            *slot = Some(labels);
        }
    }

    pub(super) fn metric_value(&mut self, m: MetricId) {
        let Some(cm) = self.ctx.plan.metrics.get(m.index()) else {
            return;
        };
        let mut value = self.eval(&cm.value, None);
        let missing: Vec<u8> = match &value {
            Col::Num(v) if v.len() == self.len => v.iter().map(|x| u8::from(x.is_nan())).collect(),
            _ => (0..self.len)
                .map(|i| u8::from(value.is_missing(i)))
                .collect(),
        };
        if let (Some(fill), Col::Num(v)) = (cm.missing_value, &mut value) {
            for x in v.iter_mut() {
                if x.is_nan() {
                    *x = fill;
                }
            }
        }
        if let Some(slot) = self.metric_values.get_mut(m.index()) {
            *slot = Some(value);
        }
        if let Some(slot) = self.metric_missing.get_mut(m.index()) {
            *slot = Some(missing);
        }
    }

    pub(super) fn metric_points(&mut self, m: MetricId) {
        let Some(cm) = self.ctx.plan.metrics.get(m.index()) else {
            return;
        };
        let n = self.len;
        let value = self
            .metric_values
            .get(m.index())
            .cloned()
            .flatten()
            .unwrap_or(Col::Num(vec![f64::NAN; n]));
        let mut points = self.rubric(&cm.rubric, &value, m);
        for (segment, labels, rubric) in cm.segment_rubrics.iter().rev() {
            // Later blocks first, so the first matching block is written last and wins.
            let seg = self
                .segments
                .get(segment.index())
                .cloned()
                .flatten()
                .unwrap_or_default();
            if !seg.iter().any(|l| labels.contains(l)) {
                continue;
            }
            let alt = self.rubric(rubric, &value, m);
            for ((p, a), l) in points.iter_mut().zip(alt).zip(&seg) {
                if labels.contains(l) {
                    *p = a;
                }
            }
        }
        if let Some(slot) = self.metric_points.get_mut(m.index()) {
            *slot = Some(points);
        }
    }

    pub(super) fn rubric(&self, rubric: &CRubric, value: &Col, metric: MetricId) -> Vec<f64> {
        let n = self.len;
        let mut points = match &rubric.points {
            CPoints::Identity => value.clone().num(n),
            CPoints::Scale { x0, p0, x1, p1 } => {
                let (lo, hi) = (p0.min(*p1), p0.max(*p1));
                value
                    .clone()
                    .num(n)
                    .into_iter()
                    .map(|x| {
                        let y = ops::scale(x, (*x0, *p0), (*x1, *p1));
                        if y.is_nan() {
                            f64::NAN
                        } else {
                            y.max(lo).min(hi)
                        }
                    })
                    .collect()
            }
            CPoints::Bands(bands) => self.bands(bands, value, metric),
            CPoints::Site(i) => self.site(*i).num(n),
            CPoints::Expr(e) => self.eval(e, Some(value)).num(n),
        };
        if let Some(fill) = rubric.missing_points {
            for p in points.iter_mut() {
                if p.is_nan() {
                    *p = fill;
                }
            }
        }
        points
    }

    pub(super) fn bands(&self, bands: &[BandDef], value: &Col, metric: MetricId) -> Vec<f64> {
        let ty = self
            .ctx
            .plan
            .metrics
            .get(metric.index())
            .map_or(Type::Number, |m| m.value_ty);
        let labels: Option<&EnumType> = match ty {
            Type::Enum(e) => self.ctx.model.enum_type(e),
            _ => None,
        };
        (0..self.len)
            .map(|i| {
                let missing = value.is_missing(i);
                for band in bands {
                    let hit = match &band.condition {
                        BandCond::Missing => missing,
                        _ if missing => false,
                        BandCond::Else => true,
                        BandCond::Compare(op, x) => match value {
                            Col::Num(v) => v.get(i).is_some_and(|y| op.holds(*y, *x)),
                            _ => false,
                        },
                        BandCond::Interval {
                            low,
                            low_closed,
                            high,
                            high_closed,
                        } => match value {
                            Col::Num(v) => v.get(i).is_some_and(|y| {
                                (if *low_closed { *y >= *low } else { *y > *low })
                                    && (if *high_closed {
                                        *y <= *high
                                    } else {
                                        *y < *high
                                    })
                            }),
                            _ => false,
                        },
                        BandCond::Labels(names) => {
                            let formatted;
                            let text: &str = match value {
                                Col::Label(v) => labels
                                    .and_then(|t| v.get(i).and_then(|l| t.labels.get(*l as usize)))
                                    .map_or("", String::as_str),
                                Col::Bool(v) => {
                                    if v.get(i) == Some(&1) {
                                        "true"
                                    } else {
                                        "false"
                                    }
                                }
                                Col::Text(v) => v.get(i).unwrap_or(""),
                                Col::Num(v) => {
                                    formatted = v
                                        .get(i)
                                        .map(|x| crate::model::format_number(*x))
                                        .unwrap_or_default();
                                    &formatted
                                }
                                _ => "",
                            };
                            names.iter().any(|n| n == text)
                        }
                    };
                    if hit {
                        return band.points;
                    }
                }
                f64::NAN
            })
            .collect()
    }
}
