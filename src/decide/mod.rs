//! Deciding with evidence: what a changed parameter does (`whatif`), which
//! parameters the tiers are fragile to (`sensitivity`), and whether a score
//! predicts what it is meant to predict (`backtest`).
//!
//! The definitions of every statistic are in `docs/decide.md`.

pub mod backtest;
pub mod params;
pub mod sensitivity;
pub mod stats;
pub mod whatif;
