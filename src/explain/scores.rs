//! How a score got its value: its terms (points times weight), the
//! adjustments, the guardrails applied in order, and the decimal text of each.

use super::*;

pub(super) fn term(
    at: &At<'_, '_>,
    m: MetricId,
    weight: Option<f64>,
    layer: Option<LayerWeight>,
    contribution: impl Fn(f64) -> f64,
) -> Option<TermExplanation> {
    let def = at.model().metric(m)?;
    let cm = at.plan().metrics.get(m.index())?;
    let value = match at
        .batch
        .metric_values
        .get(m.index())
        .and_then(|v| v.as_ref())
    {
        Some(col) => at.value(col, cm.value_ty, None),
        None => Value::Missing,
    };
    let missing = at.metric_missing(m);
    let points = at.points(m);
    let rubric_for = chosen_rubric(at, def);
    Some(TermExplanation {
        metric: def.name.clone(),
        description: def.meta.description.clone(),
        meta: meta(def),
        rubric: rubric_words(at, m, &value),
        rubric_for,
        band: band_reached(def, rubric_for, &value),
        value,
        missing,
        counted_as: if missing { def.missing_value } else { None },
        points: opt(points),
        weight,
        layer,
        contribution: opt(contribution(points)),
    })
}

/// `weight × points`, where a zero weight leaves the metric out, as in the engine.
pub(super) fn weighted(fraction: f64, points: f64) -> f64 {
    if fraction == 0.0 {
        0.0
    } else {
        fraction * points
    }
}

pub(super) fn at_or_nan(v: &[f64], j: usize) -> f64 {
    v.get(j).copied().unwrap_or(f64::NAN)
}

pub(super) fn score(at: &At<'_, '_>, s: ScoreId) -> Option<ScoreExplanation> {
    let model = at.model();
    let def = model.score(s)?;
    let cs = at.plan().scores.get(s.index())?;
    let values = at.batch.scores.get(s.index())?.as_ref()?;
    let i = at.i;
    let which = values.definition.get(i).copied().unwrap_or(0) as usize;
    let (definition, compiled, definition_for) = match which.checked_sub(1) {
        None => (&def.definition, &cs.definition, None),
        Some(k) => {
            let o = def.overrides.get(k)?;
            let (_, _, c) = cs.overrides.get(k)?;
            (
                &o.definition,
                c,
                Some(at.segment_labels(o.segment, &o.labels)),
            )
        }
    };
    let mut terms: Vec<TermExplanation> = Vec::new();
    let mut base = None;
    let mut formula = None;
    let kind = match definition {
        Definition::Weighted(ts) => {
            for t in ts {
                let f = t.fraction;
                terms.extend(term(at, t.metric, Some(t.percent), None, |p| {
                    weighted(f, p)
                }));
            }
            "weights"
        }
        Definition::Layered(layers) => {
            for l in layers {
                for t in &l.terms {
                    let (lf, f) = (l.fraction, t.fraction);
                    let layer = LayerWeight {
                        layer: l.layer.name(),
                        weight: l.percent,
                    };
                    terms.extend(term(at, t.metric, Some(t.percent), Some(layer), |p| {
                        weighted(lf, weighted(f, p))
                    }));
                }
            }
            "layers"
        }
        Definition::Sum { base: b, metrics } => {
            base = Some(*b);
            for (m, _) in metrics {
                terms.extend(term(at, *m, None, None, |p| p));
            }
            "sum"
        }
        Definition::Value(e) => {
            let c = match compiled {
                CDefinition::Value(c) => Some(c),
                _ => None,
            };
            formula = Some(Formula {
                text: at.quote(e.loc),
                reads: at.reads(e, c),
            });
            "value"
        }
    };
    // Largest contribution first; missing ones last; ties in written order.
    terms.sort_by(|a, b| match (a.contribution, b.contribution) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    let total = at_or_nan(&values.raw, i);
    let mut adjustments = Vec::new();
    let mut running = total;
    for (adj, (_, c)) in def.adjustments.iter().zip(&cs.adjustments) {
        if !at.truth(c) {
            continue;
        }
        let after = finite(running * adj.factor);
        adjustments.push(AppliedAdjustment {
            reason: adj.reason.clone(),
            factor: adj.factor,
            condition: at.quote(adj.condition.loc),
            reads: at.reads(&adj.condition, Some(c)),
            before: opt(running),
            after: opt(after),
        });
        running = after;
    }
    let insufficient = (values.insufficient.get(i) == Some(&1)).then(|| {
        let metrics = definition.metrics();
        InsufficientData {
            missing: metrics
                .iter()
                .filter(|m| at.metric_missing(**m))
                .filter_map(|m| model.metric(*m).map(|d| d.name.clone()))
                .collect(),
            metrics: metrics.len(),
            limit: def.insufficient.map_or_else(String::new, |r| {
                format!(
                    "more than {}{}",
                    literal(r.limit),
                    if r.percent { "%" } else { "" }
                )
            }),
        }
    });
    let guardrails = guardrails(at, def, values);
    let provisional = (values.provisional.get(i) == Some(&1)).then(|| {
        let observed = at.batch.position(i);
        Provisional {
            periods_observed: observed,
            min_periods: def.min_periods.filter(|k| observed < *k),
            from_scores: cs
                .reads_scores
                .iter()
                .filter(|o| {
                    at.batch
                        .scores
                        .get(o.index())
                        .and_then(|v| v.as_ref())
                        .and_then(|v| v.provisional.get(i))
                        .is_some_and(|p| *p == 1)
                })
                .filter_map(|o| model.score(*o).map(|d| d.name.clone()))
                .collect(),
        }
    });
    let reported = at_or_nan(&values.reported, i);
    let tier = def.tiers.as_ref().map(|set| {
        tier(
            at,
            set,
            // The computed tier: an override is told in its own section.
            values
                .computed_tier
                .as_ref()
                .unwrap_or(&values.tier)
                .get(i)
                .copied()
                .unwrap_or(MISSING_LABEL),
            reported,
        )
    });
    Some(ScoreExplanation {
        name: def.name.clone(),
        description: def.meta.description.clone(),
        definition: kind,
        definition_for,
        terms,
        base,
        formula,
        total: opt(total),
        adjustments,
        adjusted: opt(at_or_nan(&values.adjusted, i)),
        insufficient,
        guardrails,
        smoothed: opt(at_or_nan(&values.smoothed, i)),
        reported: opt(reported),
        provisional,
        tier,
    })
}

pub(super) fn decimal(x: f64) -> String {
    let mut s = String::new();
    if x.is_nan() {
        s.push_str("missing");
    } else {
        crate::render::push_decimal(&mut s, x, DEFAULT_DECIMALS);
    }
    s
}

/// The guardrail steps at the row, replayed from the partner's earlier rows
/// as the engine computed them.
pub(super) fn guardrails(at: &At<'_, '_>, def: &ScoreDef, v: &ScoreValues) -> Vec<GuardrailStep> {
    let (first, i) = (at.first(), at.i);
    // What smoothing reads: the adjusted value, or missing when data is insufficient.
    let input = |j: usize| {
        if v.insufficient.get(j) == Some(&1) {
            f64::NAN
        } else {
            at_or_nan(&v.adjusted, j)
        }
    };
    let mut steps = Vec::new();
    let x = input(i);
    let smoothed = at_or_nan(&v.smoothed, i);
    let changed = |a: f64, b: f64| !(a == b || (a.is_nan() && b.is_nan()));
    match def.smoothing {
        Some(Smoothing::MovingAverage(k)) => {
            let from = first.max((i + 1).saturating_sub(k as usize));
            let window: Vec<String> = (from..=i)
                .map(|j| format!("{} {}", at.period(j), decimal(input(j))))
                .collect();
            let n = window.len();
            let detail = if n < k as usize && n > 1 {
                format!(
                    "smoothed over the {n} periods so far ({})",
                    window.join(", ")
                )
            } else if n == 1 && k > 1 {
                "smoothing: the first period, nothing to average".to_string()
            } else {
                format!(
                    "smoothed over {n} period{} ({})",
                    plural(n),
                    window.join(", ")
                )
            };
            steps.push(GuardrailStep {
                guardrail: Guardrail::Smoothing,
                detail,
                before: opt(x),
                after: opt(smoothed),
                changed: changed(x, smoothed),
            });
        }
        Some(Smoothing::Exponential(a)) => {
            let previous = (first..i)
                .rev()
                .map(|j| at_or_nan(&v.smoothed, j))
                .find(|s| !s.is_nan());
            let detail = match previous {
                Some(p) => format!(
                    "smoothed exponentially (weight {} on this period, the rest on the previous smoothed {})",
                    literal(a),
                    decimal(p)
                ),
                None => "smoothing: the first period, nothing to average".to_string(),
            };
            steps.push(GuardrailStep {
                guardrail: Guardrail::Smoothing,
                detail,
                before: opt(x),
                after: opt(smoothed),
                changed: changed(x, smoothed),
            });
        }
        None => {}
    }
    let mut r = smoothed;
    if let Some(d) = def.max_change {
        let previous = (first..i)
            .rev()
            .map(|j| at_or_nan(&v.reported, j))
            .find(|s| !s.is_nan());
        let before = r;
        let detail = match previous {
            Some(p) if !r.is_nan() => {
                r = r.max(p - d).min(p + d);
                if changed(before, r) {
                    format!("limited to ±{} per period from {}", literal(d), decimal(p))
                } else {
                    format!(
                        "max_change {}: within ±{} of the previous {}",
                        literal(d),
                        literal(d),
                        decimal(p)
                    )
                }
            }
            Some(_) => format!("max_change {}: the value is missing", literal(d)),
            None => format!(
                "max_change {}: the first period, nothing to limit from",
                literal(d)
            ),
        };
        steps.push(GuardrailStep {
            guardrail: Guardrail::MaxChange,
            detail,
            before: opt(before),
            after: opt(r),
            changed: changed(before, r),
        });
    }
    // Floor, then cap: each clamps the value from one side.
    let bounds = [
        (def.floor, Guardrail::Floor, "raised to the floor", "floor"),
        (def.cap, Guardrail::Cap, "capped at", "cap"),
    ];
    for (bound, guardrail, moved, name) in bounds {
        let Some(x) = bound else { continue };
        let before = r;
        if !r.is_nan() {
            r = if guardrail == Guardrail::Floor {
                r.max(x)
            } else {
                r.min(x)
            };
        }
        let detail = if changed(before, r) {
            format!("{moved} {}", literal(x))
        } else {
            format!("{name} {}: not reached", literal(x))
        };
        steps.push(GuardrailStep {
            guardrail,
            detail,
            before: opt(before),
            after: opt(r),
            changed: changed(before, r),
        });
    }
    steps
}
