//! How a metric got its points: the metric's description, the band or scale
//! its value reached, and the words that say so.

use super::*;

pub(super) fn meta(m: &MetricDef) -> MetricMeta {
    MetricMeta {
        owner: m.meta.owner.clone(),
        source: m.meta.source.clone(),
        layer: m.meta.layer.map(Layer::name),
        kind: m.meta.kind.map(IndicatorKind::name),
        unit: m.meta.unit.clone(),
    }
}

/// A number as written in a scorecard: `0.6`, `100`.
pub(super) fn literal(x: f64) -> String {
    crate::model::format_number(x)
}

pub(super) fn symbol(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "=",
        CmpOp::Ne => "≠",
        CmpOp::Lt => "<",
        CmpOp::Le => "≤",
        CmpOp::Gt => ">",
        CmpOp::Ge => "≥",
    }
}

pub(super) fn band_matches(c: &BandCond, v: &Value) -> bool {
    let number = match v {
        Value::Integer(n) => Some(*n as f64),
        Value::Number(x) => Some(*x),
        _ => None,
    };
    match c {
        BandCond::Missing => *v == Value::Missing,
        _ if *v == Value::Missing => false,
        BandCond::Else => true,
        BandCond::Compare(op, x) => number.is_some_and(|y| op.holds(y, *x)),
        BandCond::Interval {
            low,
            low_closed,
            high,
            high_closed,
        } => number.is_some_and(|y| {
            (if *low_closed { y >= *low } else { y > *low })
                && (if *high_closed { y <= *high } else { y < *high })
        }),
        BandCond::Labels(names) => {
            let text = match v {
                Value::Text(t) => t.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Integer(n) => literal(*n as f64),
                Value::Number(x) => literal(*x),
                _ => String::new(),
            };
            names.contains(&text)
        }
    }
}

/// The `for` block whose rubric applied to the metric at the row (`None`: its own rubric).
pub(super) fn chosen_rubric(at: &At<'_, '_>, def: &MetricDef) -> Option<usize> {
    // The first matching `for` block wins, as in the engine.
    def.segment_rubrics.iter().position(|sr| {
        let l = at.segment_label(sr.segment);
        l != MISSING_LABEL && sr.labels.contains(&l)
    })
}

/// The band of the applied rubric that the value fell in, for a band table.
pub(super) fn band_reached(
    def: &MetricDef,
    rubric_for: Option<usize>,
    value: &Value,
) -> Option<usize> {
    let rubric = match rubric_for {
        Some(k) => &def.segment_rubrics.get(k)?.rubric,
        None => &def.rubric,
    };
    match &rubric.points {
        PointsRule::Bands(bands) => bands.iter().position(|b| band_matches(&b.condition, value)),
        _ => None,
    }
}

/// The rubric that applied to the metric at the row, in words.
pub(super) fn rubric_words(at: &At<'_, '_>, m: MetricId, value: &Value) -> String {
    let model = at.model();
    let Some(def) = model.metric(m) else {
        return String::new();
    };
    let chosen = chosen_rubric(at, def).and_then(|k| def.segment_rubrics.get(k));
    let rubric = chosen.map_or(&def.rubric, |sr| &sr.rubric);
    let missing_points = |words: &str| match rubric.missing_points {
        Some(p) => format!("{words} → missing points {}", literal(p)),
        None => format!("{words} → no points"),
    };
    let mut words = match &rubric.points {
        PointsRule::Identity => "points = value".to_string(),
        PointsRule::Bands(bands) => {
            match bands.iter().find(|b| band_matches(&b.condition, value)) {
                Some(b) => format!(
                    "band {} → {} pts",
                    match &b.condition {
                        BandCond::Labels(labels) => labels
                            .iter()
                            .map(|l| format!("{l:?}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        other => other.describe(),
                    },
                    literal(b.points)
                ),
                None if *value == Value::Missing => missing_points("no band for a missing value"),
                None => missing_points("no band matched"),
            }
        }
        PointsRule::Scale { x0, p0, x1, p1 } => format!(
            "scale {} → {} pts, {} → {} pts",
            literal(*x0),
            literal(*p0),
            literal(*x1),
            literal(*p1)
        ),
        PointsRule::Normalize { kind, within } => {
            let groups: Vec<String> = within
                .iter()
                .filter_map(|g| match g {
                    GroupKey::Column(c) => model.contract.column(*c).map(|d| d.name.clone()),
                    GroupKey::Segment(s) => model.segment(*s).map(|d| d.name.clone()),
                })
                .collect();
            if groups.is_empty() {
                format!("{} among all partners", kind.keyword())
            } else {
                format!("{} within {}", kind.keyword(), groups.join(", "))
            }
        }
        PointsRule::Expr(e) => format!("points = {}", at.quote(e.loc)),
    };
    if *value == Value::Missing && !matches!(rubric.points, PointsRule::Bands(_)) {
        words = missing_points(&format!("{words}; missing"));
    }
    match chosen {
        Some(sr) => format!("for {}: {words}", at.segment_labels(sr.segment, &sr.labels)),
        None => words,
    }
}
