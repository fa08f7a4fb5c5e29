//! Rubrics: how a metric's value becomes points (bands, scales, `points =`
//! expressions), and the band labels checked against the value's type.
//!
//! Raises: `N003`, `S004`, `S005`, `T001`.

use super::state::*;
use crate::diag::fuzzy;
use crate::diag::{Code, Diagnostic};
use crate::model::*;
use crate::source::FileId;
use crate::syntax::ast::{self, Span};

impl<'p> Resolver<'p> {
    pub(super) fn rubric(
        &mut self,
        file: FileId,
        metric: MetricId,
        clauses: &[&ast::MetricClause],
        l: Loc,
    ) -> Rubric {
        let mut rubric = Rubric {
            points: PointsRule::Identity,
            missing_points: None,
            loc: l,
        };
        let mut seen: Vec<(&'static str, Span)> = Vec::new();
        for clause in clauses {
            match clause {
                ast::MetricClause::Missing(mc) => {
                    if mc.target == ast::MissingTarget::Points {
                        self.once(&mut seen, file, "missing points", mc.span);
                        rubric.missing_points = Some(mc.number.value);
                    } else {
                        self.push(
                            Diagnostic::new(
                                Code::S004,
                                file,
                                mc.span,
                                "`missing value` cannot differ by segment",
                            )
                            .label("inside a `for` block")
                            .help("move `missing value` to the metric itself"),
                        );
                    }
                }
                ast::MetricClause::Points(p) => {
                    self.once(&mut seen, file, "points", p.span);
                    rubric.loc = loc(file, p.span);
                    rubric.points = self.points(file, metric, p);
                }
                _ => {}
            }
        }
        rubric
    }

    pub(super) fn points(&mut self, file: FileId, metric: MetricId, p: &ast::Points) -> PointsRule {
        match &p.spec {
            ast::PointsSpec::Bands(bands) => {
                let mut out = Vec::new();
                let mut missing_seen: Option<Span> = None;
                for band in bands {
                    let condition = match &band.condition {
                        ast::BandCondition::Else => BandCond::Else,
                        ast::BandCondition::Missing => {
                            if let Some(first) = missing_seen {
                                self.push(
                                    Diagnostic::new(
                                        Code::S004,
                                        file,
                                        band.condition_span,
                                        "a second `missing` band",
                                    )
                                    .label("second one")
                                    .note(first, "first one")
                                    .help("keep one `missing` band"),
                                );
                            }
                            missing_seen = Some(band.condition_span);
                            BandCond::Missing
                        }
                        ast::BandCondition::Interval {
                            low,
                            low_closed,
                            high,
                            high_closed,
                        } => {
                            let empty = low.value > high.value
                                || (low.value == high.value && !(*low_closed && *high_closed));
                            if empty {
                                self.push(
                                    Diagnostic::new(
                                        Code::S005,
                                        file,
                                        band.condition_span,
                                        "this interval contains no value",
                                    )
                                    .label("empty interval")
                                    .help("write the lower end first; `[a, b)` holds a <= x < b"),
                                );
                            }
                            BandCond::Interval {
                                low: low.value,
                                low_closed: *low_closed,
                                high: high.value,
                                high_closed: *high_closed,
                            }
                        }
                        ast::BandCondition::Compare(op, n) => BandCond::Compare(*op, n.value),
                        ast::BandCondition::Labels(labels) => {
                            BandCond::Labels(labels.iter().map(|l| l.text.clone()).collect())
                        }
                    };
                    out.push(BandDef {
                        condition,
                        points: band.points.value,
                        loc: loc(file, band.span),
                    });
                }
                self.check_band_types(file, metric, bands);
                PointsRule::Bands(out)
            }
            ast::PointsSpec::Scale {
                from,
                from_points,
                to,
                to_points,
            } => {
                if from.value == to.value {
                    self.push(
                        Diagnostic::new(Code::S005, file, p.span, format!("both ends of the scale are `{}`", from.text))
                            .label("a scale needs two different values")
                            .help("write `scale LOW => POINTS, HIGH => POINTS` with LOW and HIGH different"),
                    );
                }
                self.require_numeric_metric(file, metric, p.span, "a scale");
                PointsRule::Scale {
                    x0: from.value,
                    p0: from_points.value,
                    x1: to.value,
                    p1: to_points.value,
                }
            }
            ast::PointsSpec::Normalize { kind, within } => {
                self.require_numeric_metric(file, metric, p.span, kind.keyword());
                let within = self.within(file, within);
                PointsRule::Normalize {
                    kind: *kind,
                    within,
                }
            }
            ast::PointsSpec::Expr(e) => {
                let ctx = Ctx {
                    file,
                    points_of: Some(metric),
                };
                let e = self.expr(e, ctx);
                self.require_number(&e, "points");
                PointsRule::Expr(e)
            }
        }
    }

    pub(super) fn require_numeric_metric(
        &mut self,
        file: FileId,
        metric: MetricId,
        span: Span,
        what: &str,
    ) {
        let ty = self.metric_value_type(metric);
        if !ty.is_numeric() {
            let name = self
                .model
                .metric(metric)
                .map(|m| m.name.clone())
                .unwrap_or_default();
            self.push(
                Diagnostic::new(
                    Code::T001,
                    file,
                    span,
                    format!(
                        "{what} needs a number, but `{name}` is {}",
                        self.type_name(ty)
                    ),
                )
                .label(format!("{what} of a non-number"))
                .help("use a band table with labels for categories"),
            );
        }
    }

    pub(super) fn check_band_types(&mut self, file: FileId, metric: MetricId, bands: &[ast::Band]) {
        let ty = self.metric_value_type(metric);
        for band in bands {
            match &band.condition {
                ast::BandCondition::Interval { .. } | ast::BandCondition::Compare(..)
                    if !ty.is_numeric() =>
                {
                    self.push(
                        Diagnostic::new(
                            Code::T001,
                            file,
                            band.span,
                            format!("a numeric band on a value that is {}", self.type_name(ty)),
                        )
                        .label("thresholds need a number")
                        .help("use labels (`\"A\", \"B\" => 10`) for categories"),
                    );
                }
                ast::BandCondition::Labels(labels) => {
                    for label in labels {
                        self.check_band_label(file, ty, label);
                    }
                }
                _ => {}
            }
        }
    }

    /// A label of a band table must be a value the metric can take: one of the
    /// enum's or segment's labels, `true`/`false`, or a number written as the
    /// value is shown (`3`, `2.5`). Text is free.
    pub(super) fn check_band_label(&mut self, file: FileId, ty: Type, label: &ast::Label) {
        match ty {
            Type::Enum(e) => {
                let (enum_name, allowed) = self
                    .model
                    .enum_type(e)
                    .map(|t| (t.name.clone(), t.labels.clone()))
                    .unwrap_or_default();
                if allowed.contains(&label.text) {
                    return;
                }
                let help = match fuzzy::closest(&label.text, allowed.iter().map(String::as_str)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("the labels of `{enum_name}` are: {}", allowed.join(", ")),
                };
                self.push(
                    Diagnostic::new(
                        Code::N003,
                        file,
                        label.span,
                        format!("`{}` is not a label of `{enum_name}`", label.text),
                    )
                    .label("unknown label")
                    .help(help),
                );
            }
            Type::Bool if label.text != "true" && label.text != "false" => {
                self.push(
                    Diagnostic::new(
                        Code::T001,
                        file,
                        label.span,
                        format!("`{}` is not true or false", label.text),
                    )
                    .label("the value is true or false")
                    .help("write `\"true\" => …` and `\"false\" => …`"),
                );
            }
            Type::Number | Type::Integer => {
                let canonical = label
                    .text
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .map(format_number);
                if canonical.as_deref() != Some(label.text.as_str()) {
                    let help = match canonical {
                        Some(c) => format!("write the number as `{c}`, or use `== {c} => …`"),
                        None => "a band on a number uses thresholds such as `>= 10 => …`, or labels such as `3` for whole numbers".to_string(),
                    };
                    self.push(
                        Diagnostic::new(
                            Code::T001,
                            file,
                            label.span,
                            format!(
                                "the label `{}` can never match: the value is {}",
                                label.text,
                                self.type_name(ty)
                            ),
                        )
                        .label("never matches")
                        .help(help),
                    );
                }
            }
            _ => {}
        }
    }
}
