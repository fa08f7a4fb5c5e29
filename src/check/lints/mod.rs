//! Lints: warnings about scorecards that are valid but probably not what was
//! meant. One file per lint; each file's doc says what it checks and why, and
//! `docs/diagnostics.md` documents its code for users.

mod constant_condition;
mod empty_file;
mod layer_mismatch;
mod missing_governance;
mod missing_version;
mod numeric_bands;
mod scope;
mod segment_not_exhaustive;
mod tiers;
mod unused;
mod weights_not_100;

use super::load::Program;
use super::range::Analyzer;
use crate::diag::Diagnostics;
use crate::model::Model;
pub use scope::keep_where_clean;

/// What every lint reads.
pub struct LintContext<'a> {
    pub model: &'a Model,
    pub program: &'a Program,
    pub ranges: Analyzer<'a>,
}

/// Run every lint. Reachability lints need a cycle-free model.
pub fn run(model: &Model, program: &Program, out: &mut Diagnostics) {
    let cx = LintContext {
        model,
        program,
        ranges: Analyzer::new(model),
    };
    weights_not_100::check(&cx, out);
    numeric_bands::check(&cx, out);
    constant_condition::check(&cx, out);
    unused::check(&cx, out);
    tiers::check(&cx, out);
    missing_governance::check(&cx, out);
    layer_mismatch::check(&cx, out);
    segment_not_exhaustive::check(&cx, out);
    missing_version::check(&cx, out);
    empty_file::check(&cx, out);
}
