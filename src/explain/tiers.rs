//! Tier placement: the tier a score lands in, its threshold, and the
//! distance to the next tier.

use super::*;

pub(super) fn threshold_text(t: &TierDef) -> String {
    match t.threshold {
        Some((op, x)) => format!("{} {}", symbol(op), literal(x)),
        None => "otherwise".to_string(),
    }
}

/// The tier the value reaches by thresholds alone.
pub(super) fn tier_by_value(set: &TierSet, v: f64) -> Option<usize> {
    if v.is_nan() {
        return None;
    }
    set.tiers.iter().position(|t| match t.threshold {
        None => true,
        Some((op, x)) => op.holds(v, x),
    })
}

pub(super) fn tier(at: &At<'_, '_>, set: &TierSet, label: u32, reported: f64) -> TierExplanation {
    let name = at.label(set.labels, label);
    let by_value = tier_by_value(set, reported);
    let own = set.tiers.get(label as usize);
    let place = by_value.and_then(|k| set.tiers.get(k).map(|t| (k, t)));
    let above = place.and_then(|(k, _)| {
        let up = set.tiers.get(k.checked_sub(1)?)?;
        let (_, x) = up.threshold?;
        Some(TierDistance {
            label: up.label.clone(),
            threshold: threshold_text(up),
            distance: (x - reported).abs(),
        })
    });
    let below = place.and_then(|(k, t)| {
        let (_, x) = t.threshold?;
        let down = set.tiers.get(k + 1)?;
        Some(TierDistance {
            label: down.label.clone(),
            threshold: threshold_text(down),
            distance: (reported - x).abs(),
        })
    });
    TierExplanation {
        threshold: own.map(threshold_text),
        by_value: match (own, place) {
            (None, Some((_, t))) => Some(TierRef {
                label: t.label.clone(),
                threshold: threshold_text(t),
            }),
            _ => None,
        },
        label: name,
        above,
        below,
        benefits: own.map(|t| t.benefits.clone()).unwrap_or_default(),
        obligations: own.map(|t| t.obligations.clone()).unwrap_or_default(),
    }
}
