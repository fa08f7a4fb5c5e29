//! The report: one self-contained HTML page of the scores — an overview, the
//! partners table and a section per partner — or one partner's own page, in
//! which other partners appear only as averages over groups of at least
//! `min_group` partners.
//!
//! It reads the evaluation (`collect`) and the explanations (`explain`), never
//! the syntax tree. `view` holds what the template shows, `charts` the SVG.

pub mod charts;
pub mod collect;
mod sections;
pub mod view;

use std::collections::{BTreeSet, HashMap, HashSet};

use askama::Template;
use sha2::{Digest, Sha256};

use crate::data::table::Table;
use crate::explain;
use crate::model::Model;
use crate::plan::Plan;
use crate::source::SourceMap;
use charts::{num, signed, tier_class};
use collect::{Collected, Latest};
use view::*;

/// Rows of the partners table at most.
pub const TABLE_CAP: usize = 5_000;
/// Partners that get a section without `--partners`, at most.
pub const SECTION_CAP: usize = 500;
/// Above [`SECTION_CAP`], sections for this many top movers each way.
pub const MOVERS_EACH_WAY: usize = 25;
/// Partners named in a list of the overview, at most.
const LIST_CAP: usize = 40;
/// Movers listed per score in the overview.
const MOVERS_SHOWN: usize = 10;

const STYLE: &str = include_str!("../../templates/report/style.css");
const SCRIPT: &str = include_str!("../../templates/report/table.js");

/// Who the page is for.
#[derive(Clone, Debug, PartialEq)]
pub enum Audience {
    /// The program team: overview, partners table and partner sections
    /// (for these partners, or by default all of them up to [`SECTION_CAP`]).
    Internal { partners: Option<Vec<String>> },
    /// One partner's own page.
    Partner(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// The data file's name, as shown on the page.
    pub data_name: String,
    pub audience: Audience,
    /// The smallest peer group a partner's page shows.
    pub min_group: usize,
    /// The backtest section for the program's page (`--outcome`), laid out
    /// from `scorecard backtest`'s report.
    pub backtest: Option<BacktestView>,
    /// The corrections and overrides applied to the table: overridden tiers
    /// are reported, and every touched row is shown.
    pub governance: Option<crate::govern::Governance>,
}

/// Why no report was written.
#[derive(Clone, Debug, PartialEq)]
pub enum ReportError {
    UnknownPartner {
        partner: String,
        suggestion: Option<String>,
        partners: usize,
    },
    /// The scorecard's input declares no key column.
    NoKey,
    /// The template could not be rendered.
    Render(String),
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReportError::UnknownPartner {
                partner, partners, ..
            } => write!(
                f,
                "no row of the data has the partner `{partner}` ({partners} partners were read)"
            ),
            ReportError::NoKey => write!(
                f,
                "the scorecard's input declares no `key` column, so there are no partners to report"
            ),
            ReportError::Render(e) => write!(f, "the report could not be rendered: {e}"),
        }
    }
}

impl ReportError {
    pub fn help(&self) -> Option<String> {
        match self {
            ReportError::UnknownPartner {
                suggestion: Some(s),
                ..
            } => Some(format!("did you mean `{s}`?")),
            ReportError::UnknownPartner { .. } => {
                Some("partners are named by their value in the scorecard's `key` column".into())
            }
            ReportError::NoKey => Some("declare the partner column with `key` in `input`".into()),
            ReportError::Render(_) => None,
        }
    }
}

/// The report as one HTML page.
pub fn build(
    model: &Model,
    plan: &Plan,
    table: &Table,
    sources: &SourceMap,
    options: &Options,
) -> Result<String, ReportError> {
    if model.contract.key.is_none() {
        return Err(ReportError::NoKey);
    }
    let keys = collect::partner_keys(model, table);
    let asked: Vec<&str> = match &options.audience {
        Audience::Partner(p) => vec![p.as_str()],
        Audience::Internal { partners } => partners.iter().flatten().map(String::as_str).collect(),
    };
    for p in &asked {
        if !keys.contains(p) {
            return Err(ReportError::UnknownPartner {
                partner: (*p).to_string(),
                suggestion: crate::diag::fuzzy::closest(p, keys.iter().copied())
                    .map(str::to_string),
                partners: keys.len(),
            });
        }
    }
    let mut notes = Vec::new();
    let gov = options.governance.as_ref();
    let (collected, selected) = match &options.audience {
        Audience::Partner(_) => {
            let set: HashSet<String> = asked.iter().map(|s| (*s).to_string()).collect();
            (
                collect::collect(model, plan, table, &|k| set.contains(k), gov),
                set,
            )
        }
        Audience::Internal { partners: Some(_) } => {
            let set: HashSet<String> = asked.iter().map(|s| (*s).to_string()).collect();
            (
                collect::collect(model, plan, table, &|k| set.contains(k), gov),
                set,
            )
        }
        Audience::Internal { partners: None } if keys.len() <= SECTION_CAP => (
            collect::collect(model, plan, table, &|_| true, gov),
            keys.iter().map(|k| (*k).to_string()).collect(),
        ),
        Audience::Internal { partners: None } => {
            let first = collect::collect(model, plan, table, &|_| false, gov);
            let set = top_movers(model, &first.latest);
            notes.push(format!(
                "{} partners: details are shown for the {} biggest movers up and down of `{}`; \
                 `--partners A,B,…` chooses others.",
                keys.len(),
                MOVERS_EACH_WAY,
                primary_score(model).map_or("", |s| s.name.as_str()),
            ));
            (
                collect::collect(model, plan, table, &|k| set.contains(k), gov),
                set,
            )
        }
    };
    let recent = explain::explain_recent(model, plan, table, sources, &|k| selected.contains(k));
    let anchors: HashMap<String, String> = recent
        .iter()
        .enumerate()
        .map(|(n, r)| (r.latest.partner.clone(), format!("p{}", n + 1)))
        .collect();
    let sections: Vec<PartnerSection> = recent
        .iter()
        .map(|r| sections::section(model, &collected, r, &anchors))
        .collect();
    let page = match &options.audience {
        Audience::Partner(partner) => partner_page(model, options, &collected, partner, sections),
        Audience::Internal { .. } => {
            let mut page =
                internal_page(model, plan, options, &collected, &anchors, sections, notes);
            if let Some(backtest) = &options.backtest {
                page.has_backtest = true;
                page.backtest = backtest.clone();
            }
            page
        }
    };
    page.render()
        .map_err(|e| ReportError::Render(e.to_string()))
}

/// The first score with tiers, else the first score: the one movers are ranked by.
fn primary_score(model: &Model) -> Option<&crate::model::ScoreDef> {
    model
        .scores
        .iter()
        .find(|s| s.tiers.is_some())
        .or_else(|| model.scores.first())
}

fn primary_index(model: &Model) -> usize {
    model
        .scores
        .iter()
        .position(|s| s.tiers.is_some())
        .unwrap_or(0)
}

/// The partners that moved most, up and down, on the primary score.
fn top_movers(model: &Model, latest: &[Latest]) -> HashSet<String> {
    let s = primary_index(model);
    let (up, down) = movers(latest, s, MOVERS_EACH_WAY);
    up.into_iter().chain(down).map(|l| l.key.clone()).collect()
}

/// The `n` biggest rises and falls of score `s`, ties by key.
fn movers(latest: &[Latest], s: usize, n: usize) -> (Vec<&Latest>, Vec<&Latest>) {
    let mut moved: Vec<(&Latest, f64)> = latest
        .iter()
        .map(|l| (l, l.change(s)))
        .filter(|(_, c)| c.is_finite() && *c != 0.0)
        .collect();
    moved.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.key.cmp(&b.0.key)));
    let up = moved
        .iter()
        .filter(|(_, c)| *c > 0.0)
        .take(n)
        .map(|(l, _)| *l)
        .collect();
    let down = moved
        .iter()
        .rev()
        .filter(|(_, c)| *c < 0.0)
        .take(n)
        .map(|(l, _)| *l)
        .collect();
    (up, down)
}

/// Each score's tier labels: the tiers, `provisional`, `insufficient_data`.
fn tier_labels(model: &Model, s: usize) -> Vec<String> {
    model
        .scores
        .get(s)
        .and_then(|d| d.tiers.as_ref())
        .and_then(|t| model.enum_type(t.labels))
        .map(|e| e.labels.clone())
        .unwrap_or_default()
}

/// The label of a tier index of score `s`.
fn tier_label(model: &Model, s: usize, tier: Option<u32>) -> String {
    tier.and_then(|t| tier_labels(model, s).get(t as usize).cloned())
        .unwrap_or_default()
}

/// `sha256-…` of a text, for the Content-Security-Policy.
fn csp_hash(text: &str) -> String {
    format!("'sha256-{}'", base64(&Sha256::digest(text.as_bytes())))
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                let i = ((n >> (18 - 6 * k)) & 63) as usize;
                out.push(char::from(ALPHABET.get(i).copied().unwrap_or(b'A')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// JSON for a `<script type="application/json">` element: no `<`, `>` or
/// `&` (so no `</script>` can end it early), no line separators.
pub fn script_json(value: &serde_json::Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

fn header(model: &Model, options: &Options) -> (String, String, String) {
    (
        model
            .name
            .clone()
            .unwrap_or_else(|| "(unnamed)".to_string()),
        model
            .version
            .clone()
            .unwrap_or_else(|| "(none)".to_string()),
        options.data_name.clone(),
    )
}

fn partner_page(
    model: &Model,
    options: &Options,
    collected: &Collected,
    partner: &str,
    sections: Vec<PartnerSection>,
) -> Page {
    let (scorecard, version, data) = header(model, options);
    let k = options.min_group.max(1);
    let peers = collected
        .latest
        .iter()
        .find(|l| l.key == partner)
        .map(|me| peer_blocks(model, collected, me, k))
        .unwrap_or_default();
    Page {
        title: format!("{scorecard}: {partner}"),
        heading: format!("Partner report: {partner}"),
        scorecard,
        version,
        hash: model.content_hash.clone(),
        data,
        csp: format!("default-src 'none'; style-src {}", csp_hash(STYLE)),
        style: STYLE,
        script: "",
        table_json: String::new(),
        notes: vec![format!(
            "This page shows the results of one partner. Other partners appear only as \
             averages over groups of at least {k} partners."
        )],
        headline: Vec::new(),
        has_overview: false,
        overview: Overview::default(),
        has_table: false,
        peers,
        peer_note: format!(
            "Averages and tier shares over each partner's latest period. A group of fewer \
             than {k} partners is not shown, so that no partner's result can be singled out."
        ),
        sections,
        has_backtest: false,
        backtest: BacktestView::default(),
        has_governance: false,
        governance: Vec::new(),
    }
}

/// `corrected`, `overridden`, both (`corrected, overridden`) or nothing.
fn touched_words<'t>(rows: impl Iterator<Item = &'t collect::Touched>) -> String {
    let (mut corrected, mut overridden) = (false, false);
    for t in rows {
        corrected |= t.corrected;
        overridden |= t.overridden;
    }
    match (corrected, overridden) {
        (true, true) => "corrected, overridden",
        (true, false) => "corrected",
        (false, true) => "overridden",
        (false, false) => "",
    }
    .to_string()
}

/// The partner's scores beside the averages of its peer groups of at least `k`.
fn peer_blocks(model: &Model, collected: &Collected, me: &Latest, k: usize) -> Vec<PeerBlock> {
    let mut groups: Vec<(String, Vec<&Latest>)> = vec![(
        "all partners".to_string(),
        collected.latest.iter().collect(),
    )];
    for (g, seg) in model.segments.iter().enumerate() {
        let Some(Some(label)) = me.segments.get(g) else {
            continue;
        };
        let members = collected
            .latest
            .iter()
            .filter(|l| l.segments.get(g) == Some(&Some(label.clone())))
            .collect();
        groups.push((format!("{}: {label}", seg.name), members));
    }
    model
        .scores
        .iter()
        .enumerate()
        .map(|(s, def)| {
            let labels = tier_labels(model, s);
            let rows = groups
                .iter()
                .map(|(name, members)| {
                    let values: Vec<f64> = members
                        .iter()
                        .filter_map(|l| l.scores.get(s).map(|p| p.reported))
                        .filter(|v| v.is_finite())
                        .collect();
                    if values.len() < k {
                        return PeerGroup {
                            name: name.clone(),
                            shown: false,
                            tiers: format!("fewer than {k} partners with this score: not shown"),
                            ..PeerGroup::default()
                        };
                    }
                    let mean = values.iter().sum::<f64>() / values.len() as f64;
                    let mut shares = Vec::new();
                    if !labels.is_empty() {
                        let mut counts = vec![0usize; labels.len()];
                        for l in members {
                            if let Some(c) = l
                                .scores
                                .get(s)
                                .and_then(|p| p.tier)
                                .and_then(|t| counts.get_mut(t as usize))
                            {
                                *c += 1;
                            }
                        }
                        for (label, n) in labels.iter().zip(counts) {
                            if n > 0 {
                                let pct = 100.0 * n as f64 / members.len() as f64;
                                shares.push(format!("{label} {}%", pct.round()));
                            }
                        }
                    }
                    PeerGroup {
                        name: name.clone(),
                        size: values.len().to_string(),
                        shown: true,
                        mean: format!("{:.1}", mean),
                        tiers: shares.join(", "),
                    }
                })
                .collect();
            let mine = me.scores.get(s).map_or(f64::NAN, |p| p.reported);
            let tier = tier_label(model, s, me.scores.get(s).and_then(|p| p.tier));
            PeerBlock {
                score: def.name.clone(),
                value: if tier.is_empty() {
                    num(mine)
                } else {
                    format!("{} ({tier})", num(mine))
                },
                groups: rows,
            }
        })
        .collect()
}

fn named(keys: &[&str], anchors: &HashMap<String, String>) -> (Vec<Named>, usize) {
    let shown = keys
        .iter()
        .take(LIST_CAP)
        .map(|k| Named {
            partner: (*k).to_string(),
            link: anchors.get(*k).cloned().unwrap_or_default(),
        })
        .collect();
    (shown, keys.len().saturating_sub(LIST_CAP))
}

fn internal_page(
    model: &Model,
    plan: &Plan,
    options: &Options,
    collected: &Collected,
    anchors: &HashMap<String, String>,
    sections: Vec<PartnerSection>,
    mut notes: Vec<String>,
) -> Page {
    let (scorecard, version, data) = header(model, options);
    let latest = &collected.latest;
    let periods = &collected.periods;
    let mut headline = vec![
        Figure {
            label: "partners".into(),
            value: latest.len().to_string(),
        },
        Figure {
            label: "rows".into(),
            value: collected.rows.to_string(),
        },
    ];
    if let (Some(first), Some(last)) = (periods.first(), periods.last()) {
        if !first.is_empty() {
            headline.push(Figure {
                label: if first == last {
                    format!("period ({first})")
                } else {
                    format!("periods ({first} to {last})")
                },
                value: periods.len().to_string(),
            });
        }
    }
    headline.push(Figure {
        label: "partners with actions".into(),
        value: latest
            .iter()
            .filter(|l| !l.actions.is_empty())
            .count()
            .to_string(),
    });
    let overview = overview(model, plan, collected, anchors);
    let (table_json, shown) = table_data(model, collected, anchors);
    let governance: Vec<GovernItem> = collected
        .touched
        .iter()
        .map(|t| GovernItem {
            partner: t.key.clone(),
            link: anchors.get(&t.key).cloned().unwrap_or_default(),
            period: t.period.clone(),
            what: touched_words(std::iter::once(t)),
            story: t.story.clone(),
        })
        .collect();
    if let Some(gov) = &options.governance {
        headline.push(Figure {
            label: "partners corrected or overridden".into(),
            value: governance
                .iter()
                .map(|g| g.partner.as_str())
                .collect::<BTreeSet<_>>()
                .len()
                .to_string(),
        });
        let summary = crate::govern::notes::summary(gov);
        notes.push(format!(
            "Corrections and overrides: {}. Corrected values are used throughout, and an \
             overridden tier is the one reported.",
            summary.trim_end().trim_start_matches("governance: ")
        ));
    }
    if shown < latest.len() {
        notes.push(format!(
            "The partners table shows {shown} of {} partners (those with details first, then \
             by key); `scorecard score --format csv` lists them all.",
            latest.len()
        ));
    }
    Page {
        title: format!("{scorecard} {version}: partner scores"),
        heading: format!("Partner scores: {scorecard}"),
        scorecard,
        version,
        hash: model.content_hash.clone(),
        data,
        csp: format!(
            "default-src 'none'; style-src {}; script-src {}",
            csp_hash(STYLE),
            csp_hash(SCRIPT)
        ),
        style: STYLE,
        script: SCRIPT,
        table_json,
        notes,
        headline,
        has_overview: true,
        overview,
        has_table: true,
        peers: Vec::new(),
        peer_note: String::new(),
        sections,
        has_backtest: false,
        backtest: BacktestView::default(),
        has_governance: options.governance.is_some(),
        governance,
    }
}

fn overview(
    model: &Model,
    plan: &Plan,
    collected: &Collected,
    anchors: &HashMap<String, String>,
) -> Overview {
    let latest = &collected.latest;
    let link = |k: &str| anchors.get(k).cloned().unwrap_or_default();
    let mut charts_out = Vec::new();
    let mut movers_out = Vec::new();
    // Scores with tiers first: the ones decisions are taken on.
    let mut order: Vec<usize> = (0..model.scores.len()).collect();
    order.sort_by_key(|s| model.scores.get(*s).is_none_or(|d| d.tiers.is_none()));
    for (s, def) in order
        .iter()
        .filter_map(|s| model.scores.get(*s).map(|d| (*s, d)))
    {
        let labels = tier_labels(model, s);
        let tiers = def.tiers.as_ref().map_or(&[][..], |t| t.tiers.as_slice());
        let values: Vec<f64> = latest
            .iter()
            .filter_map(|l| l.scores.get(s).map(|p| p.reported))
            .collect();
        let mut stacked_labels = labels.clone();
        stacked_labels.push("no tier".into());
        let counts = collected.tier_counts.get(s).cloned().unwrap_or_default();
        charts_out.push(ScoreCharts {
            name: def.name.clone(),
            description: def.meta.description.clone().unwrap_or_default(),
            has_tiers: def.tiers.is_some(),
            tiers: if def.tiers.is_some() {
                vec![charts::stacked(
                    &def.name,
                    &collected.periods,
                    &stacked_labels,
                    tiers.len(),
                    &counts,
                )]
            } else {
                Vec::new()
            },
            legend: stacked_labels
                .iter()
                .enumerate()
                .filter(|(k, _)| counts.iter().any(|c| c.get(*k).is_some_and(|n| *n > 0)))
                .map(|(k, l)| LegendItem {
                    label: l.clone(),
                    class: tier_class(k, tiers.len()),
                })
                .collect(),
            distribution: vec![charts::distribution(&def.name, &values, tiers)],
            tier_table: tier_table(model, s, latest),
        });
        let (up, down) = movers(latest, s, MOVERS_SHOWN);
        if up.is_empty() && down.is_empty() {
            continue;
        }
        let row = |l: &&Latest| {
            let before = l
                .previous
                .as_ref()
                .and_then(|p| p.get(s).copied())
                .unwrap_or(f64::NAN);
            MoverRow {
                partner: l.key.clone(),
                link: link(&l.key),
                from: num(before),
                to: num(l.scores.get(s).map_or(f64::NAN, |p| p.reported)),
                change: signed(l.change(s)),
                tier: tier_label(model, s, l.scores.get(s).and_then(|p| p.tier)),
            }
        };
        movers_out.push(Movers {
            score: def.name.clone(),
            up: up.iter().map(row).collect(),
            down: down.iter().map(row).collect(),
        });
    }
    let p = primary_index(model);
    let header = tier_labels(model, p);
    let segments = model
        .segments
        .iter()
        .enumerate()
        .map(|(g, seg)| {
            let mut labels: Vec<Option<String>> = model
                .enum_type(seg.labels)
                .map(|e| e.labels.iter().cloned().map(Some).collect())
                .unwrap_or_default();
            labels.push(None);
            let rows = labels
                .iter()
                .filter_map(|label| {
                    let members: Vec<&Latest> = latest
                        .iter()
                        .filter(|l| l.segments.get(g).cloned().flatten() == *label)
                        .collect();
                    if members.is_empty() {
                        return None;
                    }
                    let cells = (0..header.len())
                        .map(|t| {
                            members
                                .iter()
                                .filter(|l| l.scores.get(p).and_then(|x| x.tier) == Some(t as u32))
                                .count()
                                .to_string()
                        })
                        .collect();
                    Some(SegmentRow {
                        label: label.clone().unwrap_or_else(|| "(no label)".into()),
                        partners: members.len().to_string(),
                        cells,
                    })
                })
                .collect();
            SegmentCounts {
                name: seg.name.clone(),
                header: header.clone(),
                rows,
            }
        })
        .collect();
    let mut queue: Vec<QueueItem> = Vec::new();
    let mut seen = BTreeSet::new();
    for rule in &plan.action_order {
        let Some(def) = model.rules.get(rule.index()) else {
            continue;
        };
        for action in &def.actions {
            if !seen.insert(action.clone()) {
                continue;
            }
            let rules: Vec<&str> = model
                .rules
                .iter()
                .filter(|r| r.actions.contains(action))
                .map(|r| r.name.as_str())
                .collect();
            let keys: Vec<&str> = latest
                .iter()
                .filter(|l| l.actions.contains(action))
                .map(|l| l.key.as_str())
                .collect();
            if keys.is_empty() {
                continue;
            }
            let (partners, more) = named(&keys, anchors);
            queue.push(QueueItem {
                action: action.clone(),
                priority: crate::model::priority_word(def.priority)
                    .map_or_else(|| num(def.priority), str::to_string),
                rules: rules.join(", "),
                count: keys.len(),
                partners,
                more,
            });
        }
    }
    let flags = model
        .flags
        .iter()
        .filter_map(|f| {
            let keys: Vec<&str> = latest
                .iter()
                .filter(|l| l.flags.contains(&f.name))
                .map(|l| l.key.as_str())
                .collect();
            if keys.is_empty() {
                return None;
            }
            let (partners, more) = named(&keys, anchors);
            Some(FlagItem {
                name: f.name.clone(),
                description: f.description.clone().unwrap_or_default(),
                count: keys.len(),
                partners,
                more,
            })
        })
        .collect();
    let provisional_keys: Vec<&str> = latest
        .iter()
        .filter(|l| l.provisional)
        .map(|l| l.key.as_str())
        .collect();
    let (provisional, provisional_more) = named(&provisional_keys, anchors);
    Overview {
        charts: charts_out,
        movers: movers_out,
        segments,
        queue,
        flags,
        provisional,
        provisional_more,
        provisional_count: provisional_keys.len(),
    }
}

/// The tiers of score `s` as declared, best first: each one's threshold, the
/// partners in it (their latest period's reported tier), benefits and obligations.
fn tier_table(model: &Model, s: usize, latest: &[Latest]) -> Vec<TierRow> {
    let labels = tier_labels(model, s);
    let Some(tiers) = model.scores.get(s).and_then(|d| d.tiers.as_ref()) else {
        return Vec::new();
    };
    tiers
        .tiers
        .iter()
        .enumerate()
        .map(|(k, t)| {
            let index = labels.iter().position(|l| *l == t.label);
            let partners = latest
                .iter()
                .filter(|l| {
                    index.is_some()
                        && l.scores.get(s).and_then(|p| p.tier).map(|x| x as usize) == index
                })
                .count();
            TierRow {
                label: t.label.clone(),
                class: tier_class(k, tiers.tiers.len()),
                threshold: match t.threshold {
                    Some((op, x)) => format!("score {} {}", op.symbol(), num(x)),
                    None => "otherwise".to_string(),
                },
                partners: partners.to_string(),
                benefits: t.benefits.join("; "),
                obligations: t.obligations.join("; "),
            }
        })
        .collect()
}

/// The partners table's data as JSON for the script, and how many rows it holds.
fn table_data(
    model: &Model,
    collected: &Collected,
    anchors: &HashMap<String, String>,
) -> (String, usize) {
    let latest = &collected.latest;
    let mut touched: HashMap<&str, Vec<&collect::Touched>> = HashMap::new();
    for t in &collected.touched {
        touched.entry(t.key.as_str()).or_default().push(t);
    }
    let rows: Vec<&Latest> = if latest.len() <= TABLE_CAP {
        latest.iter().collect()
    } else {
        let mut chosen: Vec<&Latest> = latest
            .iter()
            .filter(|l| anchors.contains_key(&l.key))
            .collect();
        let room = TABLE_CAP.saturating_sub(chosen.len());
        chosen.extend(
            latest
                .iter()
                .filter(|l| !anchors.contains_key(&l.key))
                .take(room),
        );
        chosen
    };
    let round = |x: f64| {
        if x.is_finite() {
            serde_json::json!((x * 100.0).round() / 100.0)
        } else {
            serde_json::Value::Null
        }
    };
    let json_rows: Vec<serde_json::Value> = rows
        .iter()
        .map(|l| {
            serde_json::json!({
                "id": l.key,
                "link": anchors.get(&l.key),
                "seg": l.segments,
                "s": l.scores.iter().map(|p| round(p.reported)).collect::<Vec<_>>(),
                "t": (0..l.scores.len())
                    .map(|s| tier_label(model, s, l.scores.get(s).and_then(|p| p.tier)))
                    .collect::<Vec<_>>(),
                "d": (0..l.scores.len()).map(|s| round(l.change(s))).collect::<Vec<_>>(),
                "a": l.actions.join(", "),
                "f": l.flags.join(", "),
                "g": touched_words(touched.get(l.key.as_str()).into_iter().flatten().copied()),
            })
        })
        .collect();
    let scores: Vec<serde_json::Value> = model
        .scores
        .iter()
        .enumerate()
        .map(|(s, d)| {
            serde_json::json!({
                "name": d.name,
                "tiered": d.tiers.is_some(),
                "labels": tier_labels(model, s),
            })
        })
        .collect();
    let segment_labels: Vec<Vec<String>> = model
        .segments
        .iter()
        .map(|s| {
            model
                .enum_type(s.labels)
                .map(|e| e.labels.clone())
                .unwrap_or_default()
        })
        .collect();
    let value = serde_json::json!({
        "scores": scores,
        "segments": model.segments.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
        "segment_labels": segment_labels,
        "rows": json_rows,
    });
    (script_json(&value), rows.len())
}

#[cfg(test)]
mod tests {
    use super::{base64, script_json};

    #[test]
    fn base64_pads_like_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn json_for_a_script_cannot_close_it() {
        let v = serde_json::json!({"id": "</script><img src=x onerror=alert(1)>&\u{2028}"});
        let s = script_json(&v);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap_or_default();
        assert_eq!(back, v);
    }
}
