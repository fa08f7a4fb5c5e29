//! What the page template shows: plain texts and numbers already formatted,
//! charts as shapes. The template escapes every text it writes.

use askama::Template;

use super::charts::Svg;

#[derive(Template)]
#[template(path = "report/page.html")]
pub struct Page {
    pub title: String,
    pub scorecard: String,
    pub version: String,
    pub hash: String,
    pub data: String,
    /// `Partner report: ID` or `Partner scores report`.
    pub heading: String,
    pub csp: String,
    pub style: &'static str,
    /// The table script, or empty on a partner's page.
    pub script: &'static str,
    /// The partners table's data, as JSON escaped for a `<script>` element.
    pub table_json: String,
    pub notes: Vec<String>,
    pub headline: Vec<Figure>,
    pub has_overview: bool,
    pub overview: Overview,
    pub has_table: bool,
    pub peers: Vec<PeerBlock>,
    pub peer_note: String,
    pub sections: Vec<PartnerSection>,
    /// The backtest section (`--outcome`), on the program's page only.
    pub has_backtest: bool,
    pub backtest: BacktestView,
    /// The "Corrections and overrides" section: every row they touched.
    pub has_governance: bool,
    pub governance: Vec<GovernItem>,
}

/// A row corrections or an override touched, on the program's page.
#[derive(Clone, Debug, Default)]
pub struct GovernItem {
    pub partner: String,
    pub link: String,
    pub period: String,
    /// `corrected`, `overridden` or both.
    pub what: String,
    pub story: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Figure {
    pub label: String,
    pub value: String,
}

#[derive(Clone, Debug, Default)]
pub struct LegendItem {
    pub label: String,
    pub class: String,
}

#[derive(Clone, Debug, Default)]
pub struct ScoreCharts {
    pub name: String,
    pub description: String,
    /// The stacked tier chart (none for a score without tiers).
    pub tiers: Vec<Svg>,
    pub has_tiers: bool,
    pub legend: Vec<LegendItem>,
    pub distribution: Vec<Svg>,
    /// The tiers as the scorecard declares them, with the partners in each
    /// (latest period) and what each tier gives and asks.
    pub tier_table: Vec<TierRow>,
}

/// One tier of the overview's tier table.
#[derive(Clone, Debug, Default)]
pub struct TierRow {
    pub label: String,
    pub class: String,
    pub threshold: String,
    pub partners: String,
    pub benefits: String,
    pub obligations: String,
}

#[derive(Clone, Debug, Default)]
pub struct MoverRow {
    pub partner: String,
    pub link: String,
    pub from: String,
    pub to: String,
    pub change: String,
    pub tier: String,
}

#[derive(Clone, Debug, Default)]
pub struct Movers {
    pub score: String,
    pub up: Vec<MoverRow>,
    pub down: Vec<MoverRow>,
}

#[derive(Clone, Debug, Default)]
pub struct SegmentRow {
    pub label: String,
    pub partners: String,
    pub cells: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct SegmentCounts {
    pub name: String,
    /// The tier labels of the first score with tiers.
    pub header: Vec<String>,
    pub rows: Vec<SegmentRow>,
}

/// Partners named in a list, the first ones linked when they have a section.
#[derive(Clone, Debug, Default)]
pub struct Named {
    pub partner: String,
    pub link: String,
}

#[derive(Clone, Debug, Default)]
pub struct QueueItem {
    pub action: String,
    pub priority: String,
    pub rules: String,
    pub count: usize,
    pub partners: Vec<Named>,
    pub more: usize,
}

#[derive(Clone, Debug, Default)]
pub struct FlagItem {
    pub name: String,
    pub description: String,
    pub count: usize,
    pub partners: Vec<Named>,
    pub more: usize,
}

#[derive(Clone, Debug, Default)]
pub struct Overview {
    pub charts: Vec<ScoreCharts>,
    pub movers: Vec<Movers>,
    pub segments: Vec<SegmentCounts>,
    pub queue: Vec<QueueItem>,
    pub flags: Vec<FlagItem>,
    pub provisional: Vec<Named>,
    pub provisional_more: usize,
    pub provisional_count: usize,
}

#[derive(Clone, Debug, Default)]
pub struct TermRow {
    pub metric: String,
    pub description: String,
    pub value: String,
    pub points: String,
    pub weight: String,
    pub contribution: String,
    pub change: String,
    pub rubric: String,
}

#[derive(Clone, Debug, Default)]
pub struct ScoreBlock {
    pub name: String,
    pub description: String,
    pub reported: String,
    pub tier: String,
    /// `by override, computed good` when an override sets the tier.
    pub override_note: String,
    /// What the reported tier gives the partner and asks of it.
    pub benefits: Vec<String>,
    pub obligations: Vec<String>,
    /// The tier above the reported one, and what it would add.
    pub next_tier: String,
    pub next_benefits: Vec<String>,
    pub tier_class: String,
    pub raw: String,
    pub steps: Vec<String>,
    pub distance: String,
    pub closers: Vec<String>,
    pub trajectory: Vec<Svg>,
    pub has_drivers: bool,
    pub drivers: Vec<Svg>,
    pub terms: Vec<TermRow>,
}

#[derive(Clone, Debug, Default)]
pub struct Fired {
    pub name: String,
    pub detail: String,
    pub condition: String,
    pub reads: String,
    pub actions: String,
}

#[derive(Clone, Debug, Default)]
pub struct PartnerSection {
    pub id: String,
    pub anchor: String,
    pub period: String,
    pub segments: String,
    /// `corrected`, `overridden` or both, when anything touched the partner's rows.
    pub touched: String,
    /// What corrections and overrides did to the partner's rows, by period.
    pub governance: Vec<String>,
    pub scores: Vec<ScoreBlock>,
    pub rules: Vec<Fired>,
    pub flags: Vec<Fired>,
    pub actions: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct PeerGroup {
    pub name: String,
    pub size: String,
    /// Whether the group is large enough to show.
    pub shown: bool,
    pub mean: String,
    pub tiers: String,
}

#[derive(Clone, Debug, Default)]
pub struct PeerBlock {
    pub score: String,
    pub value: String,
    pub groups: Vec<PeerGroup>,
}

/// The "Does the score predict?" section.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BacktestView {
    pub question: String,
    pub method: String,
    /// Whether the outcome is true/false (AUC and lift are shown).
    pub binary: bool,
    pub scores: Vec<BacktestScore>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct BacktestScore {
    pub name: String,
    pub pairs: String,
    pub spearman: String,
    pub interval: String,
    pub auc: String,
    pub lift: String,
    pub tiers: Vec<BacktestTier>,
    /// Whether the mean outcome rises with the tier.
    pub verdict: String,
    pub drift: Vec<BacktestDrift>,
    pub left_out: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct BacktestTier {
    pub label: String,
    pub pairs: String,
    pub mean: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct BacktestDrift {
    pub periods: String,
    pub psi: String,
}
