//! The numbers of a scorecard that an owner tunes — weights, tier thresholds,
//! band points and bounds, scale ends, missing-value replacements and
//! guardrail settings — each named by a path and found at the span of its
//! number literal in the root file's text.
//!
//! Paths:
//!
//! | parameter | path |
//! |---|---|
//! | a weight | `SCORE.weights.METRIC` |
//! | a layer group's weight, a weight in it | `SCORE.weights.LAYER`, `SCORE.weights.LAYER.METRIC` |
//! | a segment's weights | `SCORE[SEGMENT=LABEL,LABEL].weights.METRIC` |
//! | a tier threshold | `tiers.SCORE.TIER` |
//! | a band's points, its bound(s) | `METRIC.points[N]` (N from 1), `METRIC.points[N].at`, `.low`, `.high` |
//! | a scale's ends | `METRIC.scale.from`, `.from_points`, `.to`, `.to_points` |
//! | a missing-value replacement | `METRIC.missing_value`, `METRIC.missing_points` |
//! | guardrails | `SCORE.max_change`, `.floor`, `.cap`, `.min_periods`, `.smooth`, `.insufficient`, `.base`, `.adjust[N]` |
//!
//! A metric's segment block is named like a score's: `METRIC[SEGMENT=LABEL].points[N]`.

use serde::Serialize;

use crate::syntax::ast::{
    self, BandCondition, Decl, ForHead, MetricClause, Number, PointsSpec, ScoreClause, SmoothKind,
    Span, WeightItem,
};

/// What a parameter is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Weight,
    Threshold,
    Points,
    Bound,
    Guardrail,
}

impl Kind {
    pub fn word(self) -> &'static str {
        match self {
            Kind::Weight => "weight",
            Kind::Threshold => "threshold",
            Kind::Points => "points",
            Kind::Bound => "bound",
            Kind::Guardrail => "guardrail",
        }
    }
}

/// One tunable number of the scorecard.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Parameter {
    pub path: String,
    pub kind: Kind,
    /// The literal as written.
    pub text: String,
    pub value: f64,
    #[serde(skip)]
    pub span: Span,
}

/// Every parameter of a parsed file, in the order of the text.
pub fn parameters(tree: &ast::File) -> Vec<Parameter> {
    let mut out = Vec::new();
    for decl in &tree.decls {
        match decl {
            Decl::Metric(m) => metric_clauses(&m.name.name, &m.clauses, &mut out),
            Decl::Score(s) => score_clauses(&s.name.name, &s.clauses, &mut out),
            Decl::Tiers(t) => {
                for tier in &t.tiers {
                    if let Some((_, n)) = &tier.threshold {
                        push(
                            &mut out,
                            format!("tiers.{}.{}", t.score.name, tier.label.name),
                            Kind::Threshold,
                            n,
                        );
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn push(out: &mut Vec<Parameter>, path: String, kind: Kind, n: &Number) {
    out.push(Parameter {
        path,
        kind,
        text: n.text.clone(),
        value: n.value,
        span: n.span,
    });
}

/// `NAME[SEGMENT=LABEL,LABEL]`.
pub fn scoped(name: &str, head: &ForHead) -> String {
    let labels: Vec<&str> = head.labels.iter().map(|l| l.text.as_str()).collect();
    format!("{name}[{}={}]", head.segment.name, labels.join(","))
}

fn metric_clauses(prefix: &str, clauses: &[MetricClause], out: &mut Vec<Parameter>) {
    for clause in clauses {
        match clause {
            MetricClause::Missing(m) => {
                let what = match m.target {
                    ast::MissingTarget::Value => "missing_value",
                    ast::MissingTarget::Points => "missing_points",
                };
                let kind = match m.target {
                    ast::MissingTarget::Value => Kind::Bound,
                    ast::MissingTarget::Points => Kind::Points,
                };
                push(out, format!("{prefix}.{what}"), kind, &m.number);
            }
            MetricClause::Points(p) => match &p.spec {
                PointsSpec::Bands(bands) => {
                    for (k, band) in bands.iter().enumerate() {
                        let at = format!("{prefix}.points[{}]", k + 1);
                        push(out, at.clone(), Kind::Points, &band.points);
                        match &band.condition {
                            BandCondition::Compare(_, n) => {
                                push(out, format!("{at}.at"), Kind::Bound, n)
                            }
                            BandCondition::Interval { low, high, .. } => {
                                push(out, format!("{at}.low"), Kind::Bound, low);
                                push(out, format!("{at}.high"), Kind::Bound, high);
                            }
                            _ => {}
                        }
                    }
                }
                PointsSpec::Scale {
                    from,
                    from_points,
                    to,
                    to_points,
                } => {
                    push(out, format!("{prefix}.scale.from"), Kind::Bound, from);
                    push(
                        out,
                        format!("{prefix}.scale.from_points"),
                        Kind::Points,
                        from_points,
                    );
                    push(out, format!("{prefix}.scale.to"), Kind::Bound, to);
                    push(
                        out,
                        format!("{prefix}.scale.to_points"),
                        Kind::Points,
                        to_points,
                    );
                }
                _ => {}
            },
            MetricClause::For(f) => metric_clauses(&scoped(prefix, &f.head), &f.clauses, out),
            _ => {}
        }
    }
}

fn score_clauses(prefix: &str, clauses: &[ScoreClause], out: &mut Vec<Parameter>) {
    let mut adjust = 0;
    for clause in clauses {
        let guard = |out: &mut Vec<Parameter>, what: &str, n: &Number| {
            push(out, format!("{prefix}.{what}"), Kind::Guardrail, n)
        };
        match clause {
            ScoreClause::Weights(w) => {
                for item in &w.items {
                    match item {
                        WeightItem::Weight(w) => push(
                            out,
                            format!("{prefix}.weights.{}", w.metric.name),
                            Kind::Weight,
                            &w.weight,
                        ),
                        WeightItem::Layer(g) => {
                            let layer = format!("{prefix}.weights.{}", g.layer.name);
                            push(out, layer.clone(), Kind::Weight, &g.weight);
                            for w in &g.weights {
                                push(
                                    out,
                                    format!("{layer}.{}", w.metric.name),
                                    Kind::Weight,
                                    &w.weight,
                                );
                            }
                        }
                    }
                }
            }
            ScoreClause::Base(n, _) => guard(out, "base", n),
            ScoreClause::For(f) => score_clauses(&scoped(prefix, &f.head), &f.clauses, out),
            ScoreClause::Adjust(a) => {
                adjust += 1;
                guard(out, &format!("adjust[{adjust}]"), &a.factor);
            }
            ScoreClause::Smooth(s) => match &s.kind {
                SmoothKind::MovingAverage(n) | SmoothKind::Exponential(n) => {
                    guard(out, "smooth", n)
                }
            },
            ScoreClause::MaxChange(n, _) => guard(out, "max_change", n),
            ScoreClause::Floor(n, _) => guard(out, "floor", n),
            ScoreClause::Cap(n, _) => guard(out, "cap", n),
            ScoreClause::MinPeriods(n, _) => guard(out, "min_periods", n),
            ScoreClause::Insufficient(i) => guard(out, "insufficient", &i.limit),
            _ => {}
        }
    }
}

/// Why a `--set` could not be applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetError {
    pub message: String,
    pub help: String,
}

/// One `PATH=VALUE`, split and checked against the parameters.
#[derive(Clone, Debug)]
pub struct Setting {
    pub parameter: Parameter,
    /// The new literal, as given.
    pub text: String,
    pub value: f64,
}

/// Parse `PATH=VALUE` against the parameters: an unknown path gets the
/// closest known one, a value that is not a number literal is refused.
pub fn setting(arg: &str, params: &[Parameter]) -> Result<Setting, SetError> {
    let Some((path, value)) = arg.split_once('=') else {
        return Err(SetError {
            message: format!("`--set {arg}` has no `=`"),
            help: "write `--set PATH=VALUE`, for example `--set tiers.performance.good=65`"
                .to_string(),
        });
    };
    let (path, value) = (path.trim(), value.trim());
    let Some(parameter) = params.iter().find(|p| p.path == path) else {
        let suggestion = crate::diag::fuzzy::closest(path, params.iter().map(|p| p.path.as_str()));
        return Err(SetError {
            message: format!("`{path}` names no parameter of the scorecard"),
            help: match suggestion {
                Some(s) => format!("did you mean `{s}`? `--list-parameters` lists every path"),
                None => "`--list-parameters` lists every path".to_string(),
            },
        });
    };
    let literal = value.strip_prefix('+').unwrap_or(value);
    let well_formed = !literal.is_empty()
        && literal
            .trim_start_matches('-')
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '_' | '%' | 'e' | 'E' | '-'))
        && literal
            .trim_start_matches('-')
            .starts_with(|c: char| c.is_ascii_digit());
    let number = ast::scaled_decimal(literal, 0).filter(|v| v.is_finite() && well_formed);
    let Some(number) = number else {
        return Err(SetError {
            message: format!("`{value}` is not a number (for `{path}`)"),
            help: format!(
                "give a number such as `{}`, the current value",
                parameter.text
            ),
        });
    };
    if literal.ends_with('%') != parameter.text.ends_with('%') && parameter.kind == Kind::Weight {
        return Err(SetError {
            message: format!(
                "`{value}` and the current weight `{}` differ in `%`",
                parameter.text
            ),
            help: "write the weight the way the scorecard does".to_string(),
        });
    }
    Ok(Setting {
        parameter: parameter.clone(),
        text: literal.to_string(),
        value: number,
    })
}

/// `text` with each setting's literal put in place of the number at its span.
/// Two settings of one path are refused.
pub fn splice(text: &str, settings: &[Setting]) -> Result<String, SetError> {
    let mut sorted: Vec<&Setting> = settings.iter().collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.parameter.span.start));
    for pair in sorted.windows(2) {
        if let [a, b] = pair {
            if a.parameter.path == b.parameter.path {
                return Err(SetError {
                    message: format!("`{}` is set twice", a.parameter.path),
                    help: "give each path one `--set`".to_string(),
                });
            }
        }
    }
    let mut out = text.to_string();
    for s in sorted {
        let span = s.parameter.span;
        if out.get(span.start..span.end).is_none() {
            return Err(SetError {
                message: format!("`{}` could not be found in the text", s.parameter.path),
                help: "this is a defect; please report it".to_string(),
            });
        }
        out.replace_range(span.start..span.end, &s.text);
    }
    Ok(out)
}
