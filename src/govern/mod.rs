//! Governance: corrections to the data and approved tier overrides, applied
//! to a run and shown on every result they touch.
//!
//! - `corrections`: a corrections file read under the input contract and
//!   the scorecard's policy, applied to the loaded table before scoring.
//! - `overrides`: an overrides file matched to partners' rows; the reported
//!   tier becomes the override, the computed tier is kept beside it.
//! - `notes`: what a touched row says in CSV, JSON and `explain`.
//! - `audit`: the NDJSON log of everything applied in a run.
//!
//! Both files are CSV with a header, or JSON (`.ndjson`, `.jsonl`, `.json`:
//! an object per line or an array of objects); their problems are data
//! problems with the file's line.

pub mod audit;
pub mod corrections;
pub mod notes;
pub mod overrides;
pub mod records;

use std::collections::BTreeMap;
use std::path::Path;

use crate::data::load::DataProblem;
use crate::data::table::{Column, Table};
use crate::eval::{self, Context};
use crate::model::{Model, ScoreId};

pub use corrections::Corrections;
pub use overrides::Overrides;

/// The corrections and overrides of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Governance {
    pub corrections: Option<Corrections>,
    pub overrides: Option<Overrides>,
    /// Output the benefits and obligations of each row's reported tier (the
    /// override's, where one applies): what the partner is owed and owes.
    pub with_benefits: bool,
}

impl Governance {
    pub fn is_empty(&self) -> bool {
        self.corrections.is_none() && self.overrides.is_none() && !self.with_benefits
    }
}

/// Whether a file is read as NDJSON (by its extension), otherwise CSV.
pub fn is_ndjson(path: &Path) -> bool {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|e| e == "ndjson" || e == "jsonl" || e == "json")
}

/// A row's partner and period as the data has them.
pub fn row_key(model: &Model, table: &Table, row: u32) -> (String, String) {
    let text =
        |id: Option<crate::model::ColumnId>| match id.and_then(|i| table.columns.get(i.index())) {
            Some(Column::Text(t)) => t.get(row as usize).to_string(),
            _ => String::new(),
        };
    (text(model.contract.key), text(model.contract.period))
}

/// The tiers the engine reports in place of the computed ones.
pub fn tier_overrides(gov: &Governance) -> BTreeMap<(u32, ScoreId), u32> {
    gov.overrides
        .as_ref()
        .map(Overrides::tier_map)
        .unwrap_or_default()
}

/// Score the rows once to learn the computed tier of every overridden row,
/// then check the policy's limit on how far an override moves a partner.
pub fn settle_overrides(ctx: &mut Context<'_>, overrides: &mut Overrides) -> Vec<DataProblem> {
    if overrides.rows.is_empty() {
        return Vec::new();
    }
    let wanted = &overrides.rows;
    let mut computed = std::collections::BTreeMap::new();
    eval::evaluate(
        ctx,
        |batch| {
            let mut found = Vec::new();
            for (i, row) in batch.rows.iter().enumerate() {
                for ((_, score), _) in wanted.range((*row, ScoreId(0))..=(*row, ScoreId(u32::MAX)))
                {
                    let tier = batch
                        .scores
                        .get(score.index())
                        .and_then(Option::as_ref)
                        .and_then(|s| s.computed_tier.as_ref().unwrap_or(&s.tier).get(i).copied());
                    if let Some(tier) = tier {
                        found.push(((*row, *score), tier));
                    }
                }
            }
            found
        },
        |found| computed.extend(found),
    );
    overrides.computed = computed;
    overrides::check_moves(ctx.model, overrides)
}
