//! Scores of a batch: the definition (weights or formula), then the
//! guardrails as a recurrence along each partner's rows, and the tier.

use super::*;
use crate::plan::CScore;

impl<'a> Batch<'a> {
    pub(super) fn score(&mut self, s: ScoreId) {
        let ctx = self.ctx;
        let (Some(cs), Some(def)) = (ctx.plan.scores.get(s.index()), ctx.model.score(s)) else {
            return;
        };
        let which = self.which_definition(cs);
        let (raw, missing_count, metric_count) = self.raw_scores(cs, &which);
        let adjusted = self.adjusted(cs, &raw);
        let insufficient = insufficient(def, &missing_count, &metric_count);
        let (smoothed, reported) = self.guardrails(def, &adjusted, &insufficient);
        let provisional = self.provisional(cs, def);
        let mut tier = tiers(def, &insufficient, &provisional, &reported);
        let computed_tier = self.override_tiers(s, &mut tier);
        if let Some(slot) = self.scores.get_mut(s.index()) {
            *slot = Some(ScoreValues {
                raw,
                adjusted,
                smoothed,
                reported,
                provisional,
                insufficient,
                tier,
                computed_tier,
                definition: which,
            });
        }
    }

    /// Set the tiers approved overrides give the batch's rows; the computed
    /// tiers when any changed.
    fn override_tiers(&self, s: ScoreId, tier: &mut [u32]) -> Option<Vec<u32>> {
        let overrides = &self.ctx.tier_overrides;
        if overrides.is_empty() {
            return None;
        }
        let computed = tier.to_vec();
        let mut changed = false;
        for (slot, row) in tier.iter_mut().zip(&self.rows) {
            if let Some(t) = overrides.get(&(*row, s)) {
                *slot = *t;
                changed = true;
            }
        }
        changed.then_some(computed)
    }

    /// Which definition each row uses: the first matching `for` block (`k`
    /// for the `k`-th), or the score's own (0).
    fn which_definition(&self, cs: &CScore) -> Vec<u32> {
        let n = self.len;
        let mut which = vec![0u32; n];
        for (k, (segment, labels, _)) in cs.overrides.iter().enumerate().rev() {
            let seg = self
                .segments
                .get(segment.index())
                .cloned()
                .flatten()
                .unwrap_or_default();
            for (w, l) in which.iter_mut().zip(&seg) {
                if labels.contains(l) {
                    *w = (k + 1) as u32;
                }
            }
        }
        which
    }

    /// Each row's value of the definition it uses, with how many of that
    /// definition's metrics are missing and how many it has.
    fn raw_scores(&self, cs: &CScore, which: &[u32]) -> (Vec<f64>, Vec<u32>, Vec<u32>) {
        let n = self.len;
        let definitions: Vec<&CDefinition> = std::iter::once(&cs.definition)
            .chain(cs.overrides.iter().map(|(_, _, d)| d))
            .collect();
        let mut raw = vec![f64::NAN; n];
        let mut missing_count = vec![0u32; n];
        let mut metric_count = vec![0u32; n];
        for (k, d) in definitions.iter().enumerate() {
            if !which.contains(&(k as u32)) {
                continue;
            }
            let values = self.definition(d);
            let metrics = d.metrics();
            for i in 0..n {
                if which.get(i) != Some(&(k as u32)) {
                    continue;
                }
                if let (Some(slot), Some(v)) = (raw.get_mut(i), values.get(i)) {
                    *slot = *v;
                }
                let missing = metrics
                    .iter()
                    .filter(|m| {
                        self.metric_missing
                            .get(m.index())
                            .and_then(|v| v.as_ref())
                            .and_then(|v| v.get(i))
                            .is_some_and(|x| *x == 1)
                    })
                    .count();
                if let Some(c) = missing_count.get_mut(i) {
                    *c = missing as u32;
                }
                if let Some(c) = metric_count.get_mut(i) {
                    *c = metrics.len() as u32;
                }
            }
        }
        (raw, missing_count, metric_count)
    }

    /// The raw values with the adjustments whose conditions hold applied.
    fn adjusted(&self, cs: &CScore, raw: &[f64]) -> Vec<f64> {
        let n = self.len;
        let mut adjusted = raw.to_vec();
        for (factor, condition) in &cs.adjustments {
            let hits = self.eval(condition, None).boolean(n);
            for (r, h) in adjusted.iter_mut().zip(hits) {
                if h == 1 {
                    *r = finite(*r * factor);
                }
            }
        }
        adjusted
    }

    /// Guardrails: smoothing, the maximum change, floor and cap, as a
    /// recurrence along each partner's rows. The smoothed and the reported values.
    fn guardrails(
        &self,
        def: &ScoreDef,
        adjusted: &[f64],
        insufficient: &[u8],
    ) -> (Vec<f64>, Vec<f64>) {
        let n = self.len;
        let mut smoothed = vec![f64::NAN; n];
        let mut reported = vec![f64::NAN; n];
        let mut window: std::collections::VecDeque<f64> = std::collections::VecDeque::new();
        let mut previous_smooth = f64::NAN;
        let mut previous_reported = f64::NAN;
        for i in 0..n {
            if self.position(i) == 1 {
                window.clear();
                previous_smooth = f64::NAN;
                previous_reported = f64::NAN;
            }
            let x = if insufficient.get(i) == Some(&1) {
                f64::NAN
            } else {
                adjusted.get(i).copied().unwrap_or(f64::NAN)
            };
            let s = match def.smoothing {
                None => x,
                Some(Smoothing::MovingAverage(k)) => {
                    window.push_back(x);
                    while window.len() > k as usize {
                        window.pop_front();
                    }
                    let present: Vec<f64> =
                        window.iter().copied().filter(|v| !v.is_nan()).collect();
                    if x.is_nan() || present.is_empty() {
                        f64::NAN
                    } else {
                        // Oldest first, left to right: ((x1 + x2) + x3).
                        ops::mean(&present)
                    }
                }
                Some(Smoothing::Exponential(a)) => {
                    let v = if x.is_nan() {
                        f64::NAN
                    } else if previous_smooth.is_nan() {
                        x
                    } else {
                        ops::smooth(a, x, previous_smooth)
                    };
                    if !v.is_nan() {
                        previous_smooth = v;
                    }
                    v
                }
            };
            let mut r = s;
            if let (Some(d), false) = (def.max_change, r.is_nan() || previous_reported.is_nan()) {
                r = r.max(previous_reported - d).min(previous_reported + d);
            }
            if let (Some(f), false) = (def.floor, r.is_nan()) {
                r = r.max(f);
            }
            if let (Some(c), false) = (def.cap, r.is_nan()) {
                r = r.min(c);
            }
            if !r.is_nan() {
                previous_reported = r;
            }
            if let Some(slot) = smoothed.get_mut(i) {
                *slot = s;
            }
            if let Some(slot) = reported.get_mut(i) {
                *slot = r;
            }
        }
        (smoothed, reported)
    }

    /// Rows before the score's `min_periods`, or reading a provisional score.
    fn provisional(&self, cs: &CScore, def: &ScoreDef) -> Vec<u8> {
        let n = self.len;
        (0..n)
            .map(|i| {
                let own = def.min_periods.is_some_and(|k| self.position(i) < k);
                let inherited = cs.reads_scores.iter().any(|o| {
                    self.scores
                        .get(o.index())
                        .and_then(|v| v.as_ref())
                        .and_then(|v| v.provisional.get(i))
                        .is_some_and(|p| *p == 1)
                });
                u8::from(own || inherited)
            })
            .collect()
    }

    pub(super) fn points_of(&self, m: MetricId) -> Option<&Vec<f64>> {
        self.metric_points.get(m.index()).and_then(|p| p.as_ref())
    }

    pub(super) fn definition(&self, d: &CDefinition) -> Vec<f64> {
        let n = self.len;
        let weighted = |terms: &[(f64, MetricId)]| -> Vec<f64> {
            let mut acc = vec![0.0f64; n];
            for (w, m) in terms {
                match self.points_of(*m) {
                    Some(p) => {
                        for (a, x) in acc.iter_mut().zip(p) {
                            *a += w * x;
                        }
                    }
                    None => acc.iter_mut().for_each(|a| *a = f64::NAN),
                }
            }
            acc
        };
        match d {
            CDefinition::Weighted(terms) => weighted(terms),
            CDefinition::Layered(layers) => {
                let mut acc = vec![0.0f64; n];
                for (w, terms) in layers {
                    for (a, x) in acc.iter_mut().zip(weighted(terms)) {
                        *a += w * x;
                    }
                }
                acc
            }
            CDefinition::Sum { base, metrics } => {
                let mut acc = vec![*base; n];
                for m in metrics {
                    match self.points_of(*m) {
                        Some(p) => {
                            for (a, x) in acc.iter_mut().zip(p) {
                                *a += x;
                            }
                        }
                        None => acc.iter_mut().for_each(|a| *a = f64::NAN),
                    }
                }
                acc
            }
            CDefinition::Value(e) => self.eval(e, None).num(n),
        }
        .into_iter()
        .map(finite)
        .collect()
    }
}

/// Rows with more of the definition's metrics missing than the score's
/// `insufficient data` rule allows.
fn insufficient(def: &ScoreDef, missing_count: &[u32], metric_count: &[u32]) -> Vec<u8> {
    let n = missing_count.len();
    (0..n)
        .map(|i| match def.insufficient {
            Some(rule) => {
                let missing = f64::from(missing_count.get(i).copied().unwrap_or(0));
                let total = f64::from(metric_count.get(i).copied().unwrap_or(0));
                let over = if rule.percent {
                    total > 0.0 && missing * 100.0 > rule.limit * total
                } else {
                    missing > rule.limit
                };
                u8::from(over)
            }
            None => 0,
        })
        .collect()
}

/// Each row's tier: the first whose threshold the reported value meets;
/// `provisional` and `insufficient_data` after the score's own tiers.
fn tiers(def: &ScoreDef, insufficient: &[u8], provisional: &[u8], reported: &[f64]) -> Vec<u32> {
    let n = reported.len();
    match &def.tiers {
        Some(set) => {
            let count = set.tiers.len() as u32;
            (0..n)
                .map(|i| {
                    if insufficient.get(i) == Some(&1) {
                        return count + 1;
                    }
                    if provisional.get(i) == Some(&1) {
                        return count;
                    }
                    let v = reported.get(i).copied().unwrap_or(f64::NAN);
                    if v.is_nan() {
                        return MISSING_LABEL;
                    }
                    for (k, t) in set.tiers.iter().enumerate() {
                        match t.threshold {
                            None => return k as u32,
                            Some((op, x)) if op.holds(v, x) => return k as u32,
                            _ => {}
                        }
                    }
                    MISSING_LABEL
                })
                .collect()
        }
        None => vec![MISSING_LABEL; n],
    }
}
