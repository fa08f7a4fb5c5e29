//! L002 overlapping-bands, L003 gap-between-bands, L004 unreachable-band.
//!
//! Band tables are read from the top and the first match wins. A table with
//! intervals is meant to partition the values: intervals that overlap (L002)
//! make the order matter silently, and a gap between two intervals (L003)
//! leaves values without points. A band that no value can reach (L004) —
//! after `else`, covered by an earlier band, or outside the declared range of
//! the value — is dead policy that readers will still believe in.

use super::LintContext;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::format_number;
use crate::model::{BandCond, BandDef, MetricId, PointsRule};
use crate::syntax::ast::CmpOp;

/// A set of numbers `lo..hi` with each end included or not.
#[derive(Clone, Copy, Debug)]
struct Set {
    lo: f64,
    lo_in: bool,
    hi: f64,
    hi_in: bool,
}

impl Set {
    fn of(c: &BandCond) -> Option<Set> {
        let inf = f64::INFINITY;
        Some(match c {
            BandCond::Interval {
                low,
                low_closed,
                high,
                high_closed,
            } => Set {
                lo: *low,
                lo_in: *low_closed,
                hi: *high,
                hi_in: *high_closed,
            },
            BandCond::Compare(op, x) => match op {
                CmpOp::Ge => Set {
                    lo: *x,
                    lo_in: true,
                    hi: inf,
                    hi_in: false,
                },
                CmpOp::Gt => Set {
                    lo: *x,
                    lo_in: false,
                    hi: inf,
                    hi_in: false,
                },
                CmpOp::Le => Set {
                    lo: -inf,
                    lo_in: false,
                    hi: *x,
                    hi_in: true,
                },
                CmpOp::Lt => Set {
                    lo: -inf,
                    lo_in: false,
                    hi: *x,
                    hi_in: false,
                },
                CmpOp::Eq => Set {
                    lo: *x,
                    lo_in: true,
                    hi: *x,
                    hi_in: true,
                },
                CmpOp::Ne => return None,
            },
            _ => return None,
        })
    }

    fn contains(&self, o: &Set) -> bool {
        let lo_ok = self.lo < o.lo || (self.lo == o.lo && (self.lo_in || !o.lo_in));
        let hi_ok = self.hi > o.hi || (self.hi == o.hi && (self.hi_in || !o.hi_in));
        lo_ok && hi_ok
    }

    /// Whether `self` ends after `next` starts (sorted by start).
    fn overlaps_next(&self, next: &Set) -> bool {
        self.hi > next.lo || (self.hi == next.lo && self.hi_in && next.lo_in)
    }

    fn gap_before(&self, next: &Set) -> bool {
        self.hi < next.lo || (self.hi == next.lo && !self.hi_in && !next.lo_in)
    }

    fn misses(&self, lo: f64, hi: f64) -> bool {
        self.hi < lo
            || (self.hi == lo && !self.hi_in)
            || self.lo > hi
            || (self.lo == hi && !self.lo_in)
    }
}

fn check_table(
    cx: &LintContext<'_>,
    metric: MetricId,
    name: &str,
    bands: &[BandDef],
    out: &mut Diagnostics,
) {
    let value_range = cx.ranges.metric_value(metric, 0);
    let mut else_at = None;
    let mut dead: Vec<usize> = Vec::new();
    let mut earlier: Vec<(Set, &BandDef)> = Vec::new();
    let mut seen_labels: Vec<&str> = Vec::new();
    for (index, band) in bands.iter().enumerate() {
        if let Some(else_band) = else_at {
            if !matches!(band.condition, BandCond::Missing) {
                let else_band: &BandDef = else_band;
                out.push(
                    Diagnostic::new(
                        Code::L004,
                        band.loc.file,
                        band.loc.span,
                        "this band comes after `else` and is never reached",
                    )
                    .label("unreachable")
                    .note(else_band.loc.span, "`else` takes every value left")
                    .help("move `else` to the end of the table"),
                );
                dead.push(index);
                continue;
            }
        }
        match &band.condition {
            BandCond::Else => else_at = Some(band),
            BandCond::Labels(labels) => {
                for l in labels {
                    if seen_labels.contains(&l.as_str()) {
                        out.push(
                            Diagnostic::new(
                                Code::L004,
                                band.loc.file,
                                band.loc.span,
                                format!("the label `{l}` is matched by an earlier band"),
                            )
                            .label("never reached for this label")
                            .help("list each label in one band"),
                        );
                    } else {
                        seen_labels.push(l);
                    }
                }
            }
            cond => {
                let Some(set) = Set::of(cond) else { continue };
                if let Some((_, by)) = earlier.iter().find(|(e, _)| e.contains(&set)) {
                    out.push(
                        Diagnostic::new(Code::L004, band.loc.file, band.loc.span, "an earlier band already matches every value of this one")
                            .label("never reached")
                            .note(by.loc.span, "this band matches first")
                            .help("bands are checked from the top: put narrower thresholds first (`>= 90` before `>= 70`)"),
                    );
                    dead.push(index);
                } else if set.misses(value_range.lo, value_range.hi) {
                    out.push(
                        Diagnostic::new(
                            Code::L004,
                            band.loc.file,
                            band.loc.span,
                            format!(
                                "`{name}` lies between {} and {}, so this band is never reached",
                                format_number(value_range.lo),
                                format_number(value_range.hi)
                            ),
                        )
                        .label("outside the value's range")
                        .help("check the threshold against the column's declared range"),
                    );
                    dead.push(index);
                }
                earlier.push((set, band));
            }
        }
    }
    // Overlaps and gaps only in tables that use intervals.
    if !bands
        .iter()
        .any(|b| matches!(b.condition, BandCond::Interval { .. }))
    {
        return;
    }
    // Bands reported unreachable are left out: one finding per mistake.
    let mut sets: Vec<(Set, &BandDef)> = bands
        .iter()
        .enumerate()
        .filter(|(i, _)| !dead.contains(i))
        .filter_map(|(_, b)| Set::of(&b.condition).map(|s| (s, b)))
        .collect();
    sets.sort_by(|a, b| a.0.lo.total_cmp(&b.0.lo).then(b.0.lo_in.cmp(&a.0.lo_in)));
    for pair in sets.windows(2) {
        let [(a, band_a), (b, band_b)] = pair else {
            continue;
        };
        if a.overlaps_next(b) {
            out.push(
                Diagnostic::new(
                    Code::L002,
                    band_b.loc.file,
                    band_b.loc.span,
                    "this interval overlaps an earlier one",
                )
                .label("overlaps")
                .note(band_a.loc.span, "the other interval")
                .help("make one end open: `[0, 10)` then `[10, 20)`"),
            );
        } else if else_at.is_none() && a.gap_before(b) {
            out.push(
                Diagnostic::new(
                    Code::L003,
                    band_b.loc.file,
                    band_b.loc.span,
                    if a.hi == b.lo {
                        format!("the value {} matches no band", format_number(a.hi))
                    } else {
                        format!(
                            "values from {} ({}) to {} ({}) match no band",
                            format_number(a.hi),
                            if a.hi_in { "excluded" } else { "included" },
                            format_number(b.lo),
                            if b.lo_in { "excluded" } else { "included" }
                        )
                    },
                )
                .label("gap before this interval")
                .note(band_a.loc.span, "the interval before the gap")
                .help("make the intervals meet (`[0, 10)` then `[10, 20)`), or add an `else` band"),
            );
        }
    }
}

pub fn check(cx: &LintContext<'_>, out: &mut Diagnostics) {
    for (i, metric) in cx.model.metrics.iter().enumerate() {
        let id = MetricId(i as u32);
        for rubric in
            std::iter::once(&metric.rubric).chain(metric.segment_rubrics.iter().map(|r| &r.rubric))
        {
            if let PointsRule::Bands(bands) = &rubric.points {
                check_table(cx, id, &metric.name, bands, out);
            }
        }
    }
}
