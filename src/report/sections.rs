//! One partner's section: each score's trajectory, drivers, distance to the
//! next tier, and the rules and flags that fired — from the explanations of
//! the partner's latest row and the row before it.

use std::collections::HashMap;

use super::charts::{self, Driver, TrajectoryPoint, num, signed, tier_class};
use super::collect::Collected;
use super::view::*;
use crate::explain::{Reading, Recent, ScoreExplanation, TermExplanation, Value};
use crate::model::{Model, PointsRule, ScoreDef};

/// A value as the page shows it.
pub fn value(v: &Value) -> String {
    match v {
        Value::Integer(i) => i.to_string(),
        Value::Number(x) => num(*x),
        Value::Bool(b) => b.to_string(),
        Value::Text(t) => t.clone(),
        Value::List(l) => l.join(", "),
        Value::Missing => "missing".into(),
    }
}

fn reads(r: &[Reading]) -> String {
    r.iter()
        .map(|x| format!("{} = {}", x.name, value(&x.value)))
        .collect::<Vec<_>>()
        .join("; ")
}

fn opt(x: Option<f64>) -> String {
    num(x.unwrap_or(f64::NAN))
}

pub fn section(
    model: &Model,
    collected: &Collected,
    recent: &Recent,
    anchors: &HashMap<String, String>,
) -> PartnerSection {
    let e = &recent.latest;
    let segments = e
        .segments
        .iter()
        .map(|s| format!("{}: {}", s.name, s.label.as_deref().unwrap_or("(none)")))
        .collect::<Vec<_>>()
        .join(" · ");
    let scores = e
        .scores
        .iter()
        .enumerate()
        .map(|(s, score)| {
            let previous = recent
                .previous
                .as_ref()
                .and_then(|p| p.scores.iter().find(|x| x.name == score.name));
            score_block(model, collected, &e.partner, s, score, previous)
        })
        .collect();
    let touched: Vec<&super::collect::Touched> = collected
        .touched
        .iter()
        .filter(|t| t.key == e.partner)
        .collect();
    PartnerSection {
        id: e.partner.clone(),
        anchor: anchors.get(&e.partner).cloned().unwrap_or_default(),
        period: e.period.clone().unwrap_or_else(|| "(none)".into()),
        segments,
        touched: super::touched_words(touched.iter().copied()),
        governance: touched
            .iter()
            .flat_map(|t| {
                t.story.iter().map(|line| {
                    if t.period.is_empty() {
                        line.clone()
                    } else {
                        format!("{}: {line}", t.period)
                    }
                })
            })
            .collect(),
        scores,
        rules: e
            .rules
            .iter()
            .map(|r| Fired {
                name: r.name.clone(),
                detail: match &r.reason {
                    Some(reason) => format!("{reason} (priority {})", r.priority),
                    None => format!("priority {}", r.priority),
                },
                condition: r.condition.clone(),
                reads: reads(&r.reads),
                actions: r.actions.join(", "),
            })
            .collect(),
        flags: e
            .flags
            .iter()
            .map(|f| Fired {
                name: f.name.clone(),
                detail: f.description.clone().unwrap_or_default(),
                condition: f.condition.clone(),
                reads: reads(&f.reads),
                actions: String::new(),
            })
            .collect(),
        actions: e
            .actions
            .iter()
            .map(|a| format!("{} (rule {})", a.action, a.rule))
            .collect(),
    }
}

/// The most points a metric's rubric gives.
fn max_points(model: &Model, metric: &str) -> f64 {
    let Some(m) = model.metrics.iter().find(|m| m.name == metric) else {
        return 100.0;
    };
    match &m.rubric.points {
        PointsRule::Bands(bands) => bands
            .iter()
            .map(|b| b.points)
            .fold(f64::NEG_INFINITY, f64::max),
        PointsRule::Scale { p0, p1, .. } => p0.max(*p1),
        _ => 100.0,
    }
}

/// How much a term could still add to the score: its weight times the
/// points its rubric has left to give.
fn headroom(model: &Model, t: &TermExplanation) -> f64 {
    let points = t.points.unwrap_or(0.0);
    let weight = match (t.contribution, t.points) {
        (Some(c), Some(p)) if p != 0.0 => c / p,
        _ => t.weight.unwrap_or(0.0) / 100.0 * t.layer.as_ref().map_or(1.0, |l| l.weight / 100.0),
    };
    let room = weight * (max_points(model, &t.metric) - points);
    if room.is_finite() { room } else { 0.0 }
}

fn score_block(
    model: &Model,
    collected: &Collected,
    partner: &str,
    s: usize,
    score: &ScoreExplanation,
    previous: Option<&ScoreExplanation>,
) -> ScoreBlock {
    let def: Option<&ScoreDef> = model.scores.get(s);
    let tiers = def
        .and_then(|d| d.tiers.as_ref())
        .map_or(&[][..], |t| t.tiers.as_slice());
    let labels = super::tier_labels(model, s);
    let mut tier = score
        .tier
        .as_ref()
        .and_then(|t| t.label.clone())
        .unwrap_or_default();
    // The reported tier is an override's where one applies to the latest row.
    let mut override_note = String::new();
    let latest = collected
        .latest
        .binary_search_by(|l| l.key.as_str().cmp(partner))
        .ok()
        .and_then(|k| collected.latest.get(k))
        .and_then(|l| l.scores.get(s));
    if let Some(point) = latest.filter(|p| p.tier != p.computed) {
        override_note = format!("by override, computed {tier}");
        tier = point
            .tier
            .and_then(|t| labels.get(t as usize))
            .cloned()
            .unwrap_or_default();
    }
    let history = collected.history.get(partner);
    let points: Vec<TrajectoryPoint<'_>> = history
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    let p = r.scores.get(s);
                    TrajectoryPoint {
                        period: &r.period,
                        raw: p.map_or(f64::NAN, |p| p.raw),
                        reported: p.map_or(f64::NAN, |p| p.reported),
                        tier: p
                            .and_then(|p| p.tier)
                            .and_then(|t| labels.get(t as usize))
                            .map(String::as_str),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let mut steps: Vec<String> = score
        .adjustments
        .iter()
        .map(|a| {
            format!(
                "adjustment ×{}{}: {} → {} (when {}; {})",
                num(a.factor),
                a.reason
                    .as_ref()
                    .map_or_else(String::new, |r| format!(" ({r})")),
                opt(a.before),
                opt(a.after),
                a.condition,
                reads(&a.reads)
            )
        })
        .collect();
    steps.extend(
        score
            .guardrails
            .iter()
            .filter(|g| g.changed)
            .map(|g| format!("{}: {} → {}", g.detail, opt(g.before), opt(g.after))),
    );
    if let Some(p) = &score.provisional {
        steps.push(match p.min_periods {
            Some(m) => format!(
                "provisional: {} of the {m} periods needed observed",
                p.periods_observed
            ),
            None => format!("provisional: computed from {}", p.from_scores.join(", ")),
        });
    }
    if let Some(i) = &score.insufficient {
        steps.push(format!(
            "insufficient data: {} of {} metrics missing ({}), limit {}",
            i.missing.len(),
            i.metrics,
            i.missing.join(", "),
            i.limit
        ));
    }
    let raw = match (score.adjusted, score.reported) {
        (Some(a), Some(r)) if (a - r).abs() > 1e-9 => format!(
            "Before the guardrails {} (after adjustments); reported {}.",
            num(a),
            num(r)
        ),
        _ => String::new(),
    };
    let (distance, closers) = match score.tier.as_ref().and_then(|t| t.above.as_ref()) {
        Some(above) => {
            let mut room: Vec<(&TermExplanation, f64)> = score
                .terms
                .iter()
                .map(|t| (t, headroom(model, t)))
                .filter(|(_, r)| *r > 1e-9)
                .collect();
            room.sort_by(|a, b| {
                b.1.total_cmp(&a.1)
                    .then_with(|| a.0.metric.cmp(&b.0.metric))
            });
            let closers = room
                .iter()
                .take(3)
                .map(|(t, r)| {
                    let alone = if *r >= above.distance {
                        "; enough on its own"
                    } else {
                        ""
                    };
                    format!(
                        "{}: up to +{} (now {} of {} points){alone}",
                        t.metric,
                        num(*r),
                        opt(t.points),
                        num(max_points(model, &t.metric))
                    )
                })
                .collect();
            (
                format!(
                    "{} points below {} ({}). The metrics with the most room to close it:",
                    num(above.distance),
                    above.label,
                    above.threshold
                ),
                closers,
            )
        }
        None if !tier.is_empty() && tiers.first().is_some_and(|t| t.label == tier) => {
            ("In the top tier.".to_string(), Vec::new())
        }
        None => (String::new(), Vec::new()),
    };
    let before = |metric: &str| {
        previous
            .and_then(|p| p.terms.iter().find(|t| t.metric == metric))
            .and_then(|t| t.contribution)
    };
    let drivers: Vec<Driver<'_>> = score
        .terms
        .iter()
        .map(|t| Driver {
            metric: &t.metric,
            contribution: t.contribution.unwrap_or(f64::NAN),
            change: t.contribution.unwrap_or(f64::NAN) - before(&t.metric).unwrap_or(f64::NAN),
        })
        .collect();
    let terms = score
        .terms
        .iter()
        .map(|t| TermRow {
            metric: t.metric.clone(),
            description: t.description.clone().unwrap_or_default(),
            value: if t.missing {
                format!("{} (missing)", value(&t.value))
            } else {
                value(&t.value)
            },
            points: opt(t.points),
            weight: t
                .weight
                .map_or_else(String::new, |w| format!("{}%", num(w))),
            contribution: opt(t.contribution),
            change: signed(
                t.contribution.unwrap_or(f64::NAN) - before(&t.metric).unwrap_or(f64::NAN),
            ),
            rubric: t.rubric.clone(),
        })
        .collect();
    let tier_index = labels.iter().position(|l| *l == tier);
    let declared = tiers.iter().position(|t| t.label == tier);
    let own = declared.and_then(|k| tiers.get(k));
    let above = declared
        .and_then(|k| k.checked_sub(1))
        .and_then(|k| tiers.get(k));
    // The distance is the computed score's: say so when the tier reported is another.
    let distance = if override_note.is_empty() || distance.is_empty() {
        distance
    } else {
        format!("As computed: {distance}")
    };
    ScoreBlock {
        name: score.name.clone(),
        description: score.description.clone().unwrap_or_default(),
        reported: opt(score.reported),
        tier_class: tier_index.map_or_else(String::new, |k| tier_class(k, tiers.len())),
        tier,
        override_note,
        benefits: own.map(|t| t.benefits.clone()).unwrap_or_default(),
        obligations: own.map(|t| t.obligations.clone()).unwrap_or_default(),
        next_tier: above.map(|t| t.label.clone()).unwrap_or_default(),
        next_benefits: above.map(|t| t.benefits.clone()).unwrap_or_default(),
        raw,
        steps,
        distance,
        closers,
        trajectory: vec![charts::trajectory(&score.name, &points, tiers)],
        has_drivers: !score.terms.is_empty(),
        drivers: if score.terms.is_empty() {
            Vec::new()
        } else {
            vec![charts::drivers(&score.name, &drivers)]
        },
        terms,
    }
}
