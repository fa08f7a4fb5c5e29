//! The comparison of two scorings, and its renderings: a terminal table,
//! Markdown for a pull request, JSON.

use indexmap::IndexMap;
use serde::Serialize;

use super::{RuleChange, Scored};
use crate::model::{INSUFFICIENT_DATA, PROVISIONAL};

#[derive(Clone, Debug, Serialize)]
pub struct TierMatrix {
    pub score: String,
    pub old_labels: Vec<String>,
    pub new_labels: Vec<String>,
    /// `counts[i][j]`: partners in old tier `i` and new tier `j`.
    pub counts: Vec<Vec<usize>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DeltaStats {
    pub score: String,
    pub partners: usize,
    pub changed: usize,
    pub min: f64,
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub max: f64,
    pub mean: f64,
    /// `(from, to, partners)`: ten equal bins between min and max.
    pub histogram: Vec<(f64, f64, usize)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Driver {
    pub metric: String,
    pub before: Option<f64>,
    pub after: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Mover {
    pub partner: String,
    pub score: String,
    pub before: f64,
    pub after: f64,
    pub delta: f64,
    pub tier_before: Option<String>,
    pub tier_after: Option<String>,
    /// The contributions (weight × points) that changed most.
    pub drivers: Vec<Driver>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ActionChange {
    pub action: String,
    pub gained: usize,
    pub lost: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub old: String,
    pub new: String,
    pub partners_old: usize,
    pub partners_new: usize,
    pub only_old: Vec<String>,
    pub only_new: Vec<String>,
    pub rules: Vec<RuleChange>,
    pub tier_matrices: Vec<TierMatrix>,
    pub deltas: Vec<DeltaStats>,
    pub movers: Vec<Mover>,
    pub actions: Vec<ActionChange>,
    pub became_provisional: usize,
    pub no_longer_provisional: usize,
}

impl Report {
    /// Whether any partner's result or any rule differs.
    pub fn changed(&self) -> bool {
        !self.rules.is_empty()
            || !self.only_old.is_empty()
            || !self.only_new.is_empty()
            || self.deltas.iter().any(|d| d.changed > 0)
            || self.tier_matrices.iter().any(|m| {
                m.counts.iter().enumerate().any(|(i, row)| {
                    row.iter()
                        .enumerate()
                        .any(|(j, c)| *c > 0 && m.old_labels.get(i) != m.new_labels.get(j))
                })
            })
            || self.actions.iter().any(|a| a.gained + a.lost > 0)
            || self.became_provisional + self.no_longer_provisional > 0
    }
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let at = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
    let (a, b) = (
        sorted.get(lo).copied().unwrap_or(f64::NAN),
        sorted.get(hi).copied().unwrap_or(f64::NAN),
    );
    a + (b - a) * (at - lo as f64)
}

/// How many movers the report lists.
pub const TOP_MOVERS: usize = 10;

/// Compare two scorings of the same data; `old_tiers` and `new_tiers` give
/// each score's tier labels in declared order (see [`super::tier_orders`]).
pub fn compare(
    old_name: String,
    new_name: String,
    old: &IndexMap<String, Scored>,
    new: &IndexMap<String, Scored>,
    old_tiers: &IndexMap<String, Vec<String>>,
    new_tiers: &IndexMap<String, Vec<String>>,
    rules: Vec<RuleChange>,
) -> Report {
    let only_old: Vec<String> = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    let only_new: Vec<String> = new
        .keys()
        .filter(|k| !old.contains_key(*k))
        .cloned()
        .collect();
    let common: Vec<(&String, &Scored, &Scored)> = old
        .iter()
        .filter_map(|(k, a)| new.get(k).map(|b| (k, a, b)))
        .collect();
    let score_names: Vec<String> = old
        .values()
        .next()
        .map(|s| {
            s.scores
                .keys()
                .filter(|n| {
                    new.values()
                        .next()
                        .is_some_and(|t| t.scores.contains_key(*n))
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    // Tier migration per score with tiers in both.
    let mut tier_matrices = Vec::new();
    for name in &score_names {
        let labels = |side: &IndexMap<String, Scored>| -> Vec<String> {
            let mut out: Vec<String> = Vec::new();
            for s in side.values() {
                if let Some(t) = s.tiers.get(name) {
                    if !out.contains(t) {
                        out.push(t.clone());
                    }
                }
            }
            out
        };
        let (mut ol, mut nl) = (labels(old), labels(new));
        if ol.is_empty() || nl.is_empty() {
            continue;
        }
        // The declared tiers in their declared order, then the labels seen
        // that were not declared (a state such as `provisional`) as seen.
        let declared = |seen: &mut Vec<String>, order: &IndexMap<String, Vec<String>>| {
            let Some(order) = order.get(name) else {
                return;
            };
            let rank = |l: &String| order.iter().position(|o| o == l).unwrap_or(order.len());
            seen.sort_by_key(rank);
            let mut all: Vec<String> = order
                .iter()
                .filter(|l| {
                    !matches!(l.as_str(), PROVISIONAL | INSUFFICIENT_DATA) || seen.contains(l)
                })
                .cloned()
                .collect();
            all.extend(seen.iter().filter(|l| !order.contains(l)).cloned());
            *seen = all;
        };
        declared(&mut ol, old_tiers);
        declared(&mut nl, new_tiers);
        let mut counts = vec![vec![0usize; nl.len()]; ol.len()];
        for (_, a, b) in &common {
            let (Some(ta), Some(tb)) = (a.tiers.get(name), b.tiers.get(name)) else {
                continue;
            };
            if let (Some(i), Some(j)) = (
                ol.iter().position(|x| x == ta),
                nl.iter().position(|x| x == tb),
            ) {
                if let Some(c) = counts.get_mut(i).and_then(|r| r.get_mut(j)) {
                    *c += 1;
                }
            }
        }
        tier_matrices.push(TierMatrix {
            score: name.clone(),
            old_labels: ol,
            new_labels: nl,
            counts,
        });
    }
    // Score deltas.
    let mut deltas = Vec::new();
    for name in &score_names {
        let mut d: Vec<f64> = common
            .iter()
            .filter_map(|(_, a, b)| {
                let (x, y) = (a.scores.get(name)?, b.scores.get(name)?);
                (!x.is_nan() && !y.is_nan()).then_some(y - x)
            })
            .collect();
        d.sort_by(f64::total_cmp);
        let (min, max) = (
            d.first().copied().unwrap_or(0.0),
            d.last().copied().unwrap_or(0.0),
        );
        let width = (max - min) / 10.0;
        let mut histogram: Vec<(f64, f64, usize)> = (0..10)
            .map(|k| (min + width * k as f64, min + width * (k + 1) as f64, 0))
            .collect();
        for x in &d {
            let k = if width > 0.0 {
                (((x - min) / width) as usize).min(9)
            } else {
                0
            };
            if let Some(bin) = histogram.get_mut(k) {
                bin.2 += 1;
            }
        }
        if width == 0.0 {
            histogram.truncate(1);
        }
        deltas.push(DeltaStats {
            score: name.clone(),
            partners: d.len(),
            changed: d.iter().filter(|x| x.abs() > 1e-9).count(),
            min,
            q1: quantile(&d, 0.25),
            median: quantile(&d, 0.5),
            q3: quantile(&d, 0.75),
            max,
            mean: if d.is_empty() {
                0.0
            } else {
                d.iter().sum::<f64>() / d.len() as f64
            },
            histogram,
        });
    }
    // Top movers on the main score: the first with tiers, or the first.
    let main = tier_matrices
        .first()
        .map(|m| m.score.clone())
        .or_else(|| score_names.first().cloned());
    let mut movers = Vec::new();
    if let Some(name) = &main {
        let mut all: Vec<Mover> = common
            .iter()
            .filter_map(|(k, a, b)| {
                let (x, y) = (*a.scores.get(name)?, *b.scores.get(name)?);
                if x.is_nan() || y.is_nan() || (y - x).abs() < 1e-9 {
                    return None;
                }
                // The contributions that moved: to this score, or else to any score.
                let mut drivers: Vec<Driver> = Vec::new();
                for own in [true, false] {
                    let mut keys: Vec<&(String, String)> = Vec::new();
                    for key in a.contributions.keys().chain(b.contributions.keys()) {
                        if !keys.contains(&key) {
                            keys.push(key);
                        }
                    }
                    for key in keys {
                        if (key.0 == *name) != own {
                            continue;
                        }
                        let (before, after) = (
                            a.contributions.get(key).copied(),
                            b.contributions.get(key).copied(),
                        );
                        if before != after {
                            let metric = if own {
                                key.1.clone()
                            } else {
                                format!("{} (in {})", key.1, key.0)
                            };
                            drivers.push(Driver {
                                metric,
                                before,
                                after,
                            });
                        }
                    }
                    if !drivers.is_empty() {
                        break;
                    }
                }
                let change = |d: &Driver| (d.after.unwrap_or(0.0) - d.before.unwrap_or(0.0)).abs();
                drivers.sort_by(|p, q| {
                    change(q)
                        .total_cmp(&change(p))
                        .then(p.metric.cmp(&q.metric))
                });
                drivers.truncate(3);
                Some(Mover {
                    partner: (*k).clone(),
                    score: name.clone(),
                    before: x,
                    after: y,
                    delta: y - x,
                    tier_before: a.tiers.get(name).cloned(),
                    tier_after: b.tiers.get(name).cloned(),
                    drivers,
                })
            })
            .collect();
        all.sort_by(|p, q| {
            q.delta
                .abs()
                .total_cmp(&p.delta.abs())
                .then(p.partner.cmp(&q.partner))
        });
        all.truncate(TOP_MOVERS);
        movers = all;
    }
    // Actions gained and lost, per action.
    let mut actions: IndexMap<String, (usize, usize)> = IndexMap::new();
    let (mut became, mut stopped) = (0, 0);
    for (_, a, b) in &common {
        for x in &b.actions {
            if !a.actions.contains(x) {
                actions.entry(x.clone()).or_default().0 += 1;
            }
        }
        for x in &a.actions {
            if !b.actions.contains(x) {
                actions.entry(x.clone()).or_default().1 += 1;
            }
        }
        match (a.provisional, b.provisional) {
            (false, true) => became += 1,
            (true, false) => stopped += 1,
            _ => {}
        }
    }
    actions.sort_keys();
    Report {
        old: old_name,
        new: new_name,
        partners_old: old.len(),
        partners_new: new.len(),
        only_old,
        only_new,
        rules,
        tier_matrices,
        deltas,
        movers,
        actions: actions
            .into_iter()
            .map(|(action, (gained, lost))| ActionChange {
                action,
                gained,
                lost,
            })
            .collect(),
        became_provisional: became,
        no_longer_provisional: stopped,
    }
}

fn f2(x: f64) -> String {
    let mut s = String::new();
    if x < 0.0 {
        s.push('-');
    }
    crate::render::push_decimal(&mut s, x.abs(), 2);
    s
}

fn signed(x: f64) -> String {
    if x > 0.0 {
        format!("+{}", f2(x))
    } else {
        f2(x)
    }
}

/// The report as text (`markdown` for a pull request, else for a terminal).
pub fn text(r: &Report, markdown: bool) -> String {
    let mut out = String::new();
    let h = |out: &mut String, title: &str| {
        if markdown {
            out.push_str(&format!("\n### {title}\n\n"));
        } else {
            out.push_str(&format!(
                "\n{title}\n{}\n",
                "─".repeat(title.chars().count())
            ));
        }
    };
    let table = |out: &mut String, header: &[String], rows: &[Vec<String>]| {
        if markdown {
            out.push_str(&format!("| {} |\n", header.join(" | ")));
            out.push_str(&format!("|{}\n", "---|".repeat(header.len())));
            for row in rows {
                out.push_str(&format!("| {} |\n", row.join(" | ")));
            }
        } else {
            let mut t = comfy_table::Table::new();
            t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
            t.set_header(header);
            for row in rows {
                t.add_row(row);
            }
            out.push_str(&format!("{t}\n"));
        }
    };
    if markdown {
        out.push_str(&format!("## Scorecard change: `{}` → `{}`\n", r.old, r.new));
    } else {
        out.push_str(&format!("scorecard change: {} → {}\n", r.old, r.new));
    }
    out.push_str(&format!(
        "\npartners scored: {} before, {} after{}{}\n",
        r.partners_old,
        r.partners_new,
        if r.only_old.is_empty() {
            String::new()
        } else {
            format!("; {} only before", r.only_old.len())
        },
        if r.only_new.is_empty() {
            String::new()
        } else {
            format!("; {} only after", r.only_new.len())
        },
    ));
    h(&mut out, "What changed in the rules");
    if r.rules.is_empty() {
        out.push_str("nothing\n");
    }
    for c in &r.rules {
        out.push_str(&format!("- {}\n", c.what));
    }
    for m in &r.tier_matrices {
        h(
            &mut out,
            &format!("Tier migration: {} (rows before, columns after)", m.score),
        );
        let mut header = vec!["before \\ after".to_string()];
        header.extend(m.new_labels.iter().cloned());
        let rows: Vec<Vec<String>> = m
            .old_labels
            .iter()
            .zip(&m.counts)
            .map(|(l, counts)| {
                std::iter::once(l.clone())
                    .chain(counts.iter().map(|c| c.to_string()))
                    .collect()
            })
            .collect();
        table(&mut out, &header, &rows);
    }
    for d in &r.deltas {
        h(
            &mut out,
            &format!(
                "Change in {} ({} of {} partners changed)",
                d.score, d.changed, d.partners
            ),
        );
        let header: Vec<String> = ["min", "25%", "median", "75%", "max", "mean"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        table(
            &mut out,
            &header,
            &[vec![
                signed(d.min),
                signed(d.q1),
                signed(d.median),
                signed(d.q3),
                signed(d.max),
                signed(d.mean),
            ]],
        );
        if d.changed > 0 {
            let most = d.histogram.iter().map(|b| b.2).max().unwrap_or(1).max(1);
            if markdown {
                out.push_str("\n```text\n");
            }
            for (lo, hi, n) in &d.histogram {
                let bar = "█".repeat((n * 30).div_ceil(most));
                out.push_str(&format!(
                    "{:>8} … {:<8} {bar} {n}\n",
                    signed(*lo),
                    signed(*hi)
                ));
            }
            if markdown {
                out.push_str("```\n");
            }
        }
    }
    if !r.movers.is_empty() {
        h(&mut out, "Top movers");
        let header: Vec<String> = [
            "partner", "score", "before", "after", "change", "tier", "moved by",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let rows: Vec<Vec<String>> = r
            .movers
            .iter()
            .map(|m| {
                let tier = match (&m.tier_before, &m.tier_after) {
                    (Some(a), Some(b)) if a != b => format!("{a} → {b}"),
                    (Some(a), _) => a.clone(),
                    _ => String::new(),
                };
                let drivers: Vec<String> = m
                    .drivers
                    .iter()
                    .map(|d| {
                        format!(
                            "{} {}",
                            d.metric,
                            signed(d.after.unwrap_or(0.0) - d.before.unwrap_or(0.0))
                        )
                    })
                    .collect();
                vec![
                    m.partner.clone(),
                    m.score.clone(),
                    f2(m.before),
                    f2(m.after),
                    signed(m.delta),
                    tier,
                    drivers.join(", "),
                ]
            })
            .collect();
        table(&mut out, &header, &rows);
    }
    h(&mut out, "Actions gained and lost");
    if r.actions.is_empty() {
        out.push_str("no partner gained or lost an action\n");
    } else {
        let header: Vec<String> = ["action", "gained", "lost"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let rows: Vec<Vec<String>> = r
            .actions
            .iter()
            .map(|a| vec![a.action.clone(), a.gained.to_string(), a.lost.to_string()])
            .collect();
        table(&mut out, &header, &rows);
    }
    out.push_str(&format!(
        "\nprovisional: {} partner{} became provisional, {} no longer {}\n",
        r.became_provisional,
        if r.became_provisional == 1 { "" } else { "s" },
        r.no_longer_provisional,
        if r.no_longer_provisional == 1 {
            "is"
        } else {
            "are"
        },
    ));
    out
}
