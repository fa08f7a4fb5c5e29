//! `sensitivity`: which weights and tier thresholds the tiers are fragile to.
//!
//! Each parameter is moved down and up by a step, the data is scored again
//! with the changed model, and the rows whose tier changes are counted.
//!
//! **Renormalisation.** A weight `w` of a block whose weights add up to `T`
//! (a `weights` block, a segment's block, the layer groups of a score, or the
//! weights inside one layer group) moves to `w' = clamp(w ± k, 0, T)`; every
//! other weight `v` of the block becomes `v × (T − w') / (T − w)`, so the
//! block still adds up to `T` and the others keep their proportions. A block
//! of one weight cannot move. A tier threshold moves by `± k` alone, and only
//! when it stays on the same side of its neighbours' thresholds.

use rayon::prelude::*;
use serde::Serialize;

use super::params::Kind;
use crate::data::table::Table;
use crate::eval::{self, Context, Ordered, Selection};
use crate::model::{Definition, Model, ScoreDef, WeightTerm};

/// What to move and by how much.
#[derive(Clone, Debug)]
pub struct Options {
    /// Weight step, in the weights' own points (5 moves 30 to 25 and 35).
    pub weight_step: f64,
    /// Threshold step, in score points.
    pub threshold_step: f64,
    /// A row within this distance of a tier threshold is near the boundary.
    pub epsilon: f64,
    /// Only these parameter paths (all when `None`).
    pub only: Option<Vec<String>>,
}

/// Where a parameter sits in the model.
#[derive(Clone, Copy, Debug)]
enum Target {
    /// `definition`: 0 the score's own, `k` the `k`-th override;
    /// `layer`: the layer group the weight is in; `term`: `None` for the
    /// layer group's own weight.
    Weight {
        score: usize,
        definition: usize,
        layer: Option<usize>,
        term: Option<usize>,
    },
    Threshold {
        score: usize,
        tier: usize,
    },
}

/// A parameter that `sensitivity` can move.
#[derive(Clone, Debug)]
pub struct Knob {
    pub path: String,
    pub kind: Kind,
    pub value: f64,
    target: Target,
}

/// What one move did.
#[derive(Clone, Debug, Serialize)]
pub struct Shift {
    /// The value the parameter was moved to (`None` when it could not move).
    pub to: Option<f64>,
    /// Why it could not move.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Rows whose tier of any score changed.
    pub changed: usize,
    /// Of those, rows that moved to a higher tier, and to a lower one (in
    /// declared tier order; to and from `provisional` or
    /// `insufficient_data` counts as neither).
    pub up: usize,
    pub down: usize,
}

/// One parameter's result.
#[derive(Clone, Debug, Serialize)]
pub struct Sensitivity {
    pub path: String,
    pub kind: Kind,
    pub value: f64,
    pub down: Shift,
    pub up: Shift,
    /// The larger of the two moves' `changed`: what the ranking sorts by.
    pub changed: usize,
}

/// A row whose score lies within ε of a tier threshold.
#[derive(Clone, Debug, Serialize)]
pub struct NearBoundary {
    pub partner: String,
    pub period: String,
    pub score: String,
    pub value: f64,
    pub tier: String,
    /// The tier whose threshold it is near, and that threshold.
    pub boundary_tier: String,
    pub threshold: f64,
    /// `value − threshold`.
    pub distance: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub rows: usize,
    pub weight_step: f64,
    pub threshold_step: f64,
    pub epsilon: f64,
    /// Ranked: most rows changed first, then by path.
    pub parameters: Vec<Sensitivity>,
    pub near_boundary: Vec<NearBoundary>,
}

/// Every weight and tier threshold of the model, named as `whatif` names them.
pub fn knobs(model: &Model) -> Vec<Knob> {
    let mut out = Vec::new();
    for (s, score) in model.scores.iter().enumerate() {
        let definitions = std::iter::once((score.name.clone(), &score.definition)).chain(
            score
                .overrides
                .iter()
                .map(|o| (override_name(model, score, o), &o.definition)),
        );
        for (d, (prefix, definition)) in definitions.enumerate() {
            let weight = |path: String, value: f64, layer, term| Knob {
                path,
                kind: Kind::Weight,
                value,
                target: Target::Weight {
                    score: s,
                    definition: d,
                    layer,
                    term,
                },
            };
            match definition {
                Definition::Weighted(terms) => {
                    for (t, term) in terms.iter().enumerate() {
                        let path = format!("{prefix}.weights.{}", metric_name(model, term));
                        out.push(weight(path, term.percent, None, Some(t)));
                    }
                }
                Definition::Layered(layers) => {
                    for (l, layer) in layers.iter().enumerate() {
                        let at = format!("{prefix}.weights.{}", layer.layer.name());
                        out.push(weight(at.clone(), layer.percent, Some(l), None));
                        for (t, term) in layer.terms.iter().enumerate() {
                            let path = format!("{at}.{}", metric_name(model, term));
                            out.push(weight(path, term.percent, Some(l), Some(t)));
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(set) = &score.tiers {
            for (t, tier) in set.tiers.iter().enumerate() {
                if let Some((_, threshold)) = tier.threshold {
                    out.push(Knob {
                        path: format!("tiers.{}.{}", score.name, tier.label),
                        kind: Kind::Threshold,
                        value: threshold,
                        target: Target::Threshold { score: s, tier: t },
                    });
                }
            }
        }
    }
    out
}

fn metric_name(model: &Model, term: &WeightTerm) -> String {
    model
        .metric(term.metric)
        .map_or_else(String::new, |m| m.name.clone())
}

fn override_name(model: &Model, score: &ScoreDef, o: &crate::model::Override) -> String {
    let Some(segment) = model.segment(o.segment) else {
        return score.name.clone();
    };
    let names = model.enum_type(segment.labels).map(|e| &e.labels);
    let labels: Vec<&str> = o
        .labels
        .iter()
        .filter_map(|l| names.and_then(|n| n.get(*l as usize)).map(String::as_str))
        .collect();
    format!("{}[{}={}]", score.name, segment.name, labels.join(","))
}

/// Move weight `i` of `weights` by `delta`, the others scaled so the total stays.
/// `Err` says why it cannot move.
pub fn renormalise(weights: &mut [f64], i: usize, delta: f64) -> Result<f64, String> {
    let total: f64 = weights.iter().sum();
    let Some(old) = weights.get(i).copied() else {
        return Err("no such weight".to_string());
    };
    let new = (old + delta).clamp(0.0, total);
    if new == old {
        return Err(if weights.len() == 1 {
            "the only weight of its block".to_string()
        } else {
            format!("already at {}", crate::model::format_number(old))
        });
    }
    let rest = total - old;
    if rest <= 0.0 {
        return Err("the other weights of its block are all 0".to_string());
    }
    for (k, w) in weights.iter_mut().enumerate() {
        *w = if k == i {
            new
        } else {
            *w * (total - new) / rest
        };
    }
    Ok(new)
}

fn set_terms(terms: &mut [WeightTerm], i: usize, delta: f64) -> Result<f64, String> {
    let mut w: Vec<f64> = terms.iter().map(|t| t.percent).collect();
    let to = renormalise(&mut w, i, delta)?;
    for (t, p) in terms.iter_mut().zip(w) {
        t.percent = p;
        t.fraction = p / 100.0;
    }
    Ok(to)
}

/// The model with `knob` moved by `delta`, and the value it moved to.
fn variant(model: &Model, knob: &Knob, delta: f64) -> Result<(Model, f64), String> {
    let mut m = model.clone();
    let missing = || "not found in the model".to_string();
    let to = match knob.target {
        Target::Weight {
            score,
            definition,
            layer,
            term,
        } => {
            let s = m.scores.get_mut(score).ok_or_else(missing)?;
            let def = if definition == 0 {
                &mut s.definition
            } else {
                &mut s
                    .overrides
                    .get_mut(definition - 1)
                    .ok_or_else(missing)?
                    .definition
            };
            match (def, layer, term) {
                (Definition::Weighted(terms), None, Some(t)) => set_terms(terms, t, delta)?,
                (Definition::Layered(layers), Some(l), Some(t)) => {
                    let group = layers.get_mut(l).ok_or_else(missing)?;
                    set_terms(&mut group.terms, t, delta)?
                }
                (Definition::Layered(layers), Some(l), None) => {
                    let mut w: Vec<f64> = layers.iter().map(|g| g.percent).collect();
                    let to = renormalise(&mut w, l, delta)?;
                    for (g, p) in layers.iter_mut().zip(w) {
                        g.percent = p;
                        g.fraction = p / 100.0;
                    }
                    to
                }
                _ => return Err(missing()),
            }
        }
        Target::Threshold { score, tier } => {
            let set = m
                .scores
                .get_mut(score)
                .and_then(|s| s.tiers.as_mut())
                .ok_or_else(missing)?;
            let thresholds: Vec<Option<f64>> = set
                .tiers
                .iter()
                .map(|t| t.threshold.map(|(_, v)| v))
                .collect();
            let old = thresholds
                .get(tier)
                .copied()
                .flatten()
                .ok_or_else(missing)?;
            let new = old + delta;
            for neighbour in [tier.checked_sub(1), Some(tier + 1)].into_iter().flatten() {
                if let Some(Some(n)) = thresholds.get(neighbour) {
                    let (was, now) = (old - n, new - n);
                    if now == 0.0 || was.signum() != now.signum() {
                        return Err(format!(
                            "{} would reach the next tier's threshold {}",
                            crate::model::format_number(new),
                            crate::model::format_number(*n)
                        ));
                    }
                }
            }
            let t = set.tiers.get_mut(tier).ok_or_else(missing)?;
            if let Some((_, v)) = t.threshold.as_mut() {
                *v = new;
            }
            new
        }
    };
    Ok((m, to))
}

/// Each selected row's tier index of each score with tiers, and its key,
/// period and reported values.
struct Scored {
    keys: Vec<(String, String)>,
    tiers: Vec<Vec<u32>>,
    values: Vec<Vec<f64>>,
}

fn score(model: &Model, table: &Table, ordered: &Ordered, selection: &Selection) -> Scored {
    let plan = crate::plan::compile(model);
    let mut ctx = Context::new(model, &plan, table, ordered);
    let tiered: Vec<usize> = model
        .scores
        .iter()
        .enumerate()
        .filter(|(_, s)| s.tiers.is_some())
        .map(|(k, _)| k)
        .collect();
    let text =
        |id: Option<crate::model::ColumnId>| match id.and_then(|c| table.columns.get(c.index())) {
            Some(crate::data::table::Column::Text(t)) => Some(t),
            _ => None,
        };
    let (keys, periods) = (text(model.contract.key), text(model.contract.period));
    let mut out = Scored {
        keys: Vec::new(),
        tiers: Vec::new(),
        values: Vec::new(),
    };
    eval::evaluate(
        &mut ctx,
        |batch| {
            let mut rows = Vec::new();
            for i in 0..batch.len {
                if !eval::selected(batch, i, selection) {
                    continue;
                }
                let row = batch.rows.get(i).copied().unwrap_or(0) as usize;
                let key = (
                    keys.map_or("", |k| k.get(row)).to_string(),
                    periods.map_or("", |p| p.get(row)).to_string(),
                );
                let values = |k: &usize| batch.scores.get(*k).and_then(|v| v.as_ref());
                let tiers = tiered
                    .iter()
                    .map(|k| {
                        values(k)
                            .and_then(|v| v.tier.get(i).copied())
                            .unwrap_or(u32::MAX)
                    })
                    .collect();
                let reported = tiered
                    .iter()
                    .map(|k| {
                        values(k)
                            .and_then(|v| v.reported.get(i).copied())
                            .unwrap_or(f64::NAN)
                    })
                    .collect();
                rows.push((key, tiers, reported));
            }
            rows
        },
        |rows| {
            for (k, t, v) in rows {
                out.keys.push(k);
                out.tiers.push(t);
                out.values.push(v);
            }
        },
    );
    out
}

fn compare(model: &Model, base: &[Vec<u32>], moved: &[Vec<u32>], to: f64) -> Shift {
    let ranked: Vec<usize> = model
        .scores
        .iter()
        .filter_map(|s| s.tiers.as_ref().map(|t| t.tiers.len()))
        .collect();
    let mut shift = Shift {
        to: Some(to),
        skipped: None,
        changed: 0,
        up: 0,
        down: 0,
    };
    for (a, b) in base.iter().zip(moved) {
        if a == b {
            continue;
        }
        shift.changed += 1;
        for ((x, y), n) in a.iter().zip(b).zip(&ranked) {
            let (x, y) = (*x as usize, *y as usize);
            if x < *n && y < *n {
                if y < x {
                    shift.up += 1;
                } else if y > x {
                    shift.down += 1;
                }
            }
        }
    }
    shift
}

/// Move each parameter down and up and count the rows whose tier changes;
/// list the rows near a tier boundary. `Err` for a `--parameters` path that
/// names nothing (with the closest one).
pub fn analyse(
    model: &Model,
    table: &Table,
    selection: &Selection,
    options: &Options,
) -> Result<Report, String> {
    let mut all = knobs(model);
    if let Some(only) = &options.only {
        for p in only {
            if !all.iter().any(|k| &k.path == p) {
                let near = crate::diag::fuzzy::closest(p, all.iter().map(|k| k.path.as_str()));
                return Err(match near {
                    Some(s) => {
                        format!("`{p}` is not a weight or tier threshold; did you mean `{s}`?")
                    }
                    None => format!(
                        "`{p}` is not a weight or tier threshold (`whatif --list-parameters` lists the paths)"
                    ),
                });
            }
        }
        all.retain(|k| only.contains(&k.path));
    }
    let ordered = eval::order_rows(model, table);
    let base = score(model, table, &ordered, selection);
    let moves: Vec<(usize, f64)> = all
        .iter()
        .enumerate()
        .flat_map(|(i, k)| {
            let step = match k.kind {
                Kind::Threshold => options.threshold_step,
                _ => options.weight_step,
            };
            [(i, -step), (i, step)]
        })
        .collect();
    let shifts: Vec<Shift> = moves
        .par_iter()
        .map(|(i, delta)| {
            let Some(knob) = all.get(*i) else {
                return skipped("not found".to_string());
            };
            match variant(model, knob, *delta) {
                Ok((m, to)) => {
                    let moved = score(&m, table, &ordered, selection);
                    compare(model, &base.tiers, &moved.tiers, to)
                }
                Err(why) => skipped(why),
            }
        })
        .collect();
    let mut parameters: Vec<Sensitivity> = all
        .iter()
        .zip(shifts.chunks(2))
        .map(|(k, pair)| {
            let (down, up) = match pair {
                [d, u] => (d.clone(), u.clone()),
                _ => (skipped(String::new()), skipped(String::new())),
            };
            Sensitivity {
                path: k.path.clone(),
                kind: k.kind,
                value: k.value,
                changed: down.changed.max(up.changed),
                down,
                up,
            }
        })
        .collect();
    parameters.sort_by(|a, b| b.changed.cmp(&a.changed).then_with(|| a.path.cmp(&b.path)));
    Ok(Report {
        rows: base.keys.len(),
        weight_step: options.weight_step,
        threshold_step: options.threshold_step,
        epsilon: options.epsilon,
        parameters,
        near_boundary: near_boundary(model, &base, options.epsilon),
    })
}

fn skipped(why: String) -> Shift {
    Shift {
        to: None,
        skipped: Some(why),
        changed: 0,
        up: 0,
        down: 0,
    }
}

fn near_boundary(model: &Model, base: &Scored, epsilon: f64) -> Vec<NearBoundary> {
    let tiered: Vec<&ScoreDef> = model.scores.iter().filter(|s| s.tiers.is_some()).collect();
    let mut out = Vec::new();
    for (s, def) in tiered.iter().enumerate() {
        let Some(set) = &def.tiers else { continue };
        let labels = model.enum_type(set.labels).map(|e| &e.labels);
        for (((key, period), values), tiers) in base.keys.iter().zip(&base.values).zip(&base.tiers)
        {
            let Some(value) = values.get(s).copied().filter(|v| v.is_finite()) else {
                continue;
            };
            let tier = tiers
                .get(s)
                .and_then(|t| labels.and_then(|l| l.get(*t as usize)))
                .cloned()
                .unwrap_or_default();
            for t in &set.tiers {
                let Some((_, threshold)) = t.threshold else {
                    continue;
                };
                let distance = value - threshold;
                if distance.abs() <= epsilon {
                    out.push(NearBoundary {
                        partner: key.clone(),
                        period: period.clone(),
                        score: def.name.clone(),
                        value,
                        tier: tier.clone(),
                        boundary_tier: t.label.clone(),
                        threshold,
                        distance,
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| {
        a.score
            .cmp(&b.score)
            .then_with(|| a.distance.abs().total_cmp(&b.distance.abs()))
            .then_with(|| a.partner.cmp(&b.partner))
            .then_with(|| a.period.cmp(&b.period))
    });
    out
}

#[cfg(test)]
#[allow(
    clippy::indexing_slicing,
    reason = "tests index the weights they built"
)]
mod tests {
    use super::renormalise;

    #[test]
    fn renormalising_keeps_the_total_and_the_proportions() {
        let mut w = vec![30.0, 25.0, 20.0, 15.0, 10.0];
        assert_eq!(renormalise(&mut w, 0, 5.0), Ok(35.0));
        let total: f64 = w.iter().sum();
        assert!((total - 100.0).abs() < 1e-9);
        // The others shrink by 65/70 each.
        assert!((w[1] - 25.0 * 65.0 / 70.0).abs() < 1e-12);
        assert!((w[4] / w[3] - 10.0 / 15.0).abs() < 1e-12);
    }

    #[test]
    fn a_weight_stops_at_zero_and_a_lone_weight_cannot_move() {
        let mut w = vec![3.0, 97.0];
        assert_eq!(renormalise(&mut w, 0, -5.0), Ok(0.0));
        assert_eq!(w, vec![0.0, 100.0]);
        assert!(renormalise(&mut w, 0, -5.0).is_err());
        let mut one = vec![100.0];
        assert!(renormalise(&mut one, 0, 5.0).is_err());
    }
}
