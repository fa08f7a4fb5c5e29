//! The report's charts, as SVG shapes for the template: every coordinate is
//! computed here, every text is escaped by the template.

use crate::model::TierDef;

/// One SVG element.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Shape {
    /// `rect`, `line`, `polyline`, `circle` or `text`.
    pub kind: &'static str,
    pub class: String,
    pub x: String,
    pub y: String,
    /// Width and height of a `rect`; the end of a `line`; the radius of a `circle`.
    pub w: String,
    pub h: String,
    /// A polyline's points.
    pub points: String,
    /// A text's words, or an element's tooltip.
    pub text: String,
    /// `start`, `middle` or `end` for a text.
    pub anchor: &'static str,
}

/// A group of shapes (`<g class=…>`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Group {
    pub class: String,
    pub shapes: Vec<Shape>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Svg {
    pub class: &'static str,
    pub width: u32,
    pub height: u32,
    /// What the chart shows, for screen readers.
    pub label: String,
    pub groups: Vec<Group>,
}

/// A coordinate with one decimal.
fn c(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.1}")
    } else {
        "0".to_string()
    }
}

fn rect(class: &str, x: f64, y: f64, w: f64, h: f64, tip: String) -> Shape {
    Shape {
        kind: "rect",
        class: class.to_string(),
        x: c(x),
        y: c(y),
        w: c(w.max(0.0)),
        h: c(h.max(0.0)),
        text: tip,
        ..Shape::default()
    }
}

fn line(class: &str, x1: f64, y1: f64, x2: f64, y2: f64) -> Shape {
    Shape {
        kind: "line",
        class: class.to_string(),
        x: c(x1),
        y: c(y1),
        w: c(x2),
        h: c(y2),
        ..Shape::default()
    }
}

fn text(class: &str, x: f64, y: f64, anchor: &'static str, words: String) -> Shape {
    Shape {
        kind: "text",
        class: class.to_string(),
        x: c(x),
        y: c(y),
        text: words,
        anchor,
        ..Shape::default()
    }
}

/// A number for a label: at most two decimals, no trailing zeros.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return "missing".to_string();
    }
    let s = format!("{:.2}", x);
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".to_string() } else { s }
}

/// A change with its sign: `+3.5`, `-2`, `0`; `–` when unknown.
pub fn signed(x: f64) -> String {
    if !x.is_finite() {
        return "–".to_string();
    }
    let s = num(x);
    if x > 0.0 && s != "0" {
        format!("+{s}")
    } else {
        s
    }
}

/// The CSS class of tier label `k` of a set of `tiers` tiers: `t0`… for
/// tiers, `tp` provisional, `ti` insufficient data, `tn` none.
pub fn tier_class(k: usize, tiers: usize) -> String {
    match k.checked_sub(tiers) {
        None => format!("t{}", k.min(9)),
        Some(0) => "tp".into(),
        Some(1) => "ti".into(),
        _ => "tn".into(),
    }
}

const W: f64 = 640.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

/// Partners per tier label over the periods, stacked: one group per period;
/// the first `tiers` labels are tiers.
pub fn stacked(
    score: &str,
    periods: &[String],
    labels: &[String],
    tiers: usize,
    counts: &[Vec<u64>],
) -> Svg {
    let h = 240.0;
    let max = counts
        .iter()
        .map(|c| c.iter().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let plot_h = h - TOP - BOTTOM;
    let slot = (W - LEFT - RIGHT) / periods.len().max(1) as f64;
    let bar = (slot * 0.7).min(60.0);
    let mut groups = vec![axis_group(0.0, max, h, W, true)];
    for (p, period) in periods.iter().enumerate() {
        let x = LEFT + slot * p as f64 + (slot - bar) / 2.0;
        let mut y = h - BOTTOM;
        let mut shapes = Vec::new();
        for (k, n) in counts
            .get(p)
            .map(|c| c.as_slice())
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            if *n == 0 {
                continue;
            }
            let bh = plot_h * (*n as f64) / max;
            y -= bh;
            let label = labels.get(k).map_or("no tier", String::as_str);
            shapes.push(rect(
                &format!("bar {}", tier_class(k, tiers)),
                x,
                y,
                bar,
                bh,
                format!("{period}: {n} partners {label}"),
            ));
        }
        shapes.push(text(
            "tick",
            x + bar / 2.0,
            h - BOTTOM + 16.0,
            "middle",
            period.clone(),
        ));
        groups.push(Group {
            class: "period".into(),
            shapes,
        });
    }
    Svg {
        class: "chart tiers",
        width: W as u32,
        height: h as u32,
        label: format!("partners per tier of {score}, per period"),
        groups,
    }
}

/// A y axis from `lo` to `hi` with five ticks (and grid lines when `grid`).
fn axis_group(lo: f64, hi: f64, h: f64, w: f64, grid: bool) -> Group {
    let plot_h = h - TOP - BOTTOM;
    let mut shapes = vec![line("axis", LEFT, TOP, LEFT, h - BOTTOM)];
    for t in 0..=4 {
        let v = lo + (hi - lo) * f64::from(t) / 4.0;
        let y = h - BOTTOM - plot_h * f64::from(t) / 4.0;
        if grid {
            shapes.push(line("grid", LEFT, y, w - RIGHT, y));
        }
        shapes.push(text("tick", LEFT - 4.0, y + 4.0, "end", num(v.round())));
    }
    Group {
        class: "axis".into(),
        shapes,
    }
}

/// The range a score's chart covers: 0 to 100 widened to the values and thresholds.
pub fn value_range(values: impl Iterator<Item = f64>, tiers: &[TierDef]) -> (f64, f64) {
    let mut lo: f64 = 0.0;
    let mut hi: f64 = 100.0;
    for v in values
        .chain(tiers.iter().filter_map(|t| t.threshold.map(|(_, v)| v)))
        .filter(|v| v.is_finite())
    {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    (
        (lo / 10.0).floor() * 10.0,
        ((hi / 10.0).ceil() * 10.0).max(lo + 10.0),
    )
}

/// The tier a value falls in: the first whose threshold holds, else `otherwise`.
fn tier_at(tiers: &[TierDef], v: f64) -> Option<usize> {
    tiers
        .iter()
        .position(|t| t.threshold.is_none_or(|(op, x)| op.holds(v, x)))
}

/// Bands of the plot's height from `lo` to `hi`, each drawn in the colour of
/// the tier its values fall in.
fn bands(tiers: &[TierDef], lo: f64, hi: f64, h: f64, w: f64) -> Group {
    let plot_h = h - TOP - BOTTOM;
    let mut cuts: Vec<f64> = tiers
        .iter()
        .filter_map(|t| t.threshold.map(|(_, v)| v))
        .filter(|v| *v > lo && *v < hi)
        .collect();
    cuts.push(lo);
    cuts.push(hi);
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();
    let y_of = |v: f64| h - BOTTOM - plot_h * (v - lo) / (hi - lo);
    let mut shapes = Vec::new();
    for pair in cuts.windows(2) {
        let (Some(a), Some(b)) = (pair.first(), pair.get(1)) else {
            continue;
        };
        let Some(k) = tier_at(tiers, (a + b) / 2.0) else {
            continue;
        };
        let label = tiers.get(k).map_or("", |t| t.label.as_str());
        shapes.push(rect(
            &format!("band {}", tier_class(k, tiers.len())),
            LEFT,
            y_of(*b),
            w - LEFT - RIGHT,
            y_of(*a) - y_of(*b),
            format!("{label}: {} to {}", num(*a), num(*b)),
        ));
        shapes.push(text(
            "bandlabel",
            w - RIGHT - 4.0,
            y_of(*b) + 12.0,
            "end",
            label.to_string(),
        ));
    }
    Group {
        class: "bands".into(),
        shapes,
    }
}

/// The distribution of the latest values, in 20 bins, with the tier thresholds drawn on it.
pub fn distribution(score: &str, values: &[f64], tiers: &[TierDef]) -> Svg {
    let h = 220.0;
    let (lo, hi) = value_range(values.iter().copied(), tiers);
    let bins = 20usize;
    let mut counts = vec![0u64; bins];
    for v in values.iter().filter(|v| v.is_finite()) {
        let b = (((v - lo) / (hi - lo)) * bins as f64).floor();
        let b = (b.max(0.0) as usize).min(bins - 1);
        if let Some(c) = counts.get_mut(b) {
            *c += 1;
        }
    }
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let plot_w = W - LEFT - RIGHT;
    let plot_h = h - TOP - BOTTOM;
    let x_of = |v: f64| LEFT + plot_w * (v - lo) / (hi - lo);
    let mut groups = vec![axis_group(0.0, max, h, W, true)];
    let mut bars = Vec::new();
    for (b, n) in counts.iter().enumerate() {
        let from = lo + (hi - lo) * b as f64 / bins as f64;
        let to = lo + (hi - lo) * (b + 1) as f64 / bins as f64;
        let bh = plot_h * (*n as f64) / max;
        let class = tier_at(tiers, (from + to) / 2.0)
            .map_or_else(|| "tn".to_string(), |k| tier_class(k, tiers.len()));
        bars.push(rect(
            &format!("bin {class}"),
            x_of(from) + 1.0,
            h - BOTTOM - bh,
            x_of(to) - x_of(from) - 2.0,
            bh,
            format!("{} to {}: {n} partners", num(from), num(to)),
        ));
    }
    for t in 0..=4 {
        let v = lo + (hi - lo) * f64::from(t) / 4.0;
        bars.push(text("tick", x_of(v), h - BOTTOM + 16.0, "middle", num(v)));
    }
    groups.push(Group {
        class: "bins".into(),
        shapes: bars,
    });
    let mut marks = Vec::new();
    for t in tiers {
        let Some((op, v)) = t.threshold else {
            continue;
        };
        marks.push(line("threshold", x_of(v), TOP, x_of(v), h - BOTTOM));
        marks.push(text(
            "thresholdlabel",
            x_of(v) + 3.0,
            TOP + 10.0,
            "start",
            format!("{} {} {}", t.label, op.symbol(), num(v)),
        ));
    }
    groups.push(Group {
        class: "thresholds".into(),
        shapes: marks,
    });
    Svg {
        class: "chart distribution",
        width: W as u32,
        height: h as u32,
        label: format!("distribution of the latest {score}, with the tier thresholds"),
        groups,
    }
}

/// One period of a trajectory.
pub struct TrajectoryPoint<'a> {
    pub period: &'a str,
    pub raw: f64,
    pub reported: f64,
    pub tier: Option<&'a str>,
}

/// Points of a line through the finite values, broken where a value is missing.
fn runs(xy: &[(f64, f64)]) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for (x, y) in xy {
        if y.is_finite() {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(&format!("{},{}", c(*x), c(*y)));
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// A score over a partner's periods: the tier bands behind, the raw value
/// (after adjustments) dashed, the reported value solid with one point per period.
pub fn trajectory(score: &str, points: &[TrajectoryPoint<'_>], tiers: &[TierDef]) -> Svg {
    let h = 240.0;
    let values = points.iter().flat_map(|p| [p.raw, p.reported]);
    let (lo, hi) = value_range(values, tiers);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = h - TOP - BOTTOM;
    let slot = plot_w / points.len().max(1) as f64;
    let x_of = |k: usize| LEFT + slot * (k as f64 + 0.5);
    let y_of = |v: f64| {
        if v.is_finite() {
            h - BOTTOM - plot_h * (v - lo) / (hi - lo)
        } else {
            f64::NAN
        }
    };
    let mut groups = vec![bands(tiers, lo, hi, h, W), axis_group(lo, hi, h, W, false)];
    let raw: Vec<(f64, f64)> = points
        .iter()
        .enumerate()
        .map(|(k, p)| (x_of(k), y_of(p.raw)))
        .collect();
    let reported: Vec<(f64, f64)> = points
        .iter()
        .enumerate()
        .map(|(k, p)| (x_of(k), y_of(p.reported)))
        .collect();
    let mut lines = Vec::new();
    for (class, xy) in [("raw", &raw), ("reported", &reported)] {
        for pts in runs(xy) {
            lines.push(Shape {
                kind: "polyline",
                class: class.into(),
                points: pts,
                ..Shape::default()
            });
        }
    }
    groups.push(Group {
        class: "lines".into(),
        shapes: lines,
    });
    let mut dots = Vec::new();
    for (k, p) in points.iter().enumerate() {
        if p.reported.is_finite() {
            let mut tip = format!("{}: {}", p.period, num(p.reported));
            if let Some(t) = p.tier {
                tip.push_str(&format!(" ({t})"));
            }
            if p.raw.is_finite() && (p.raw - p.reported).abs() > 1e-9 {
                tip.push_str(&format!(", {} before the guardrails", num(p.raw)));
            }
            dots.push(Shape {
                kind: "circle",
                class: "pt".into(),
                x: c(x_of(k)),
                y: c(y_of(p.reported)),
                w: "3.5".into(),
                text: tip,
                ..Shape::default()
            });
        }
        dots.push(text(
            "tick",
            x_of(k),
            h - BOTTOM + 16.0,
            "middle",
            p.period.to_string(),
        ));
    }
    groups.push(Group {
        class: "points".into(),
        shapes: dots,
    });
    Svg {
        class: "chart trajectory",
        width: W as u32,
        height: h as u32,
        label: format!("{score} over the periods, reported and before the guardrails"),
        groups,
    }
}

/// One bar of a drivers chart.
pub struct Driver<'a> {
    pub metric: &'a str,
    pub contribution: f64,
    pub change: f64,
}

/// Each metric's contribution to the latest score as a horizontal bar, with
/// its change since the previous period.
pub fn drivers(score: &str, drivers: &[Driver<'_>]) -> Svg {
    let row = 22.0;
    let h = TOP + row * drivers.len().max(1) as f64 + 8.0;
    let label_w = 190.0;
    let change_w = 70.0;
    let lo = drivers
        .iter()
        .map(|d| d.contribution)
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::min);
    let hi = drivers
        .iter()
        .map(|d| d.contribution)
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    let span = if hi - lo > 0.0 { hi - lo } else { 1.0 };
    let plot_w = W - label_w - change_w - RIGHT;
    let x_of = |v: f64| label_w + plot_w * (v - lo) / span;
    let mut shapes = vec![line("axis", x_of(0.0), TOP - 4.0, x_of(0.0), h - 4.0)];
    for (k, d) in drivers.iter().enumerate() {
        let y = TOP + row * k as f64;
        shapes.push(text(
            "metric",
            label_w - 6.0,
            y + 14.0,
            "end",
            d.metric.to_string(),
        ));
        if d.contribution.is_finite() {
            let (a, b) = if d.contribution >= 0.0 {
                (x_of(0.0), x_of(d.contribution))
            } else {
                (x_of(d.contribution), x_of(0.0))
            };
            shapes.push(rect(
                if d.contribution >= 0.0 {
                    "driver"
                } else {
                    "driver neg"
                },
                a,
                y + 3.0,
                b - a,
                row - 6.0,
                format!("{}: {} points of the score", d.metric, num(d.contribution)),
            ));
        }
        shapes.push(text(
            "value",
            W - change_w - RIGHT + 4.0,
            y + 14.0,
            "start",
            format!("{} ({})", num(d.contribution), signed(d.change)),
        ));
    }
    Svg {
        class: "chart drivers",
        width: W as u32,
        height: h.ceil() as u32,
        label: format!(
            "what each metric adds to the latest {score}, and its change since the previous period"
        ),
        groups: vec![Group {
            class: "bars".into(),
            shapes,
        }],
    }
}
