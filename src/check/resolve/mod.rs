//! Name resolution and type checking: syntax trees to the [`Model`].
//!
//! Declarations are entered first (so order in the file never matters), then
//! each is resolved. A name that fails to resolve becomes an expression of type
//! `Any`, so one mistake is reported once, not again by everything using it.
//!
//! One file per concern; each names the diagnostics it raises:
//!
//! | file | raises |
//! |---|---|
//! | `state.rs` | — (the resolver's shared state) |
//! | `names.rs` | `N001`, `N002`, `N005` |
//! | `contract.rs` | `N002`, `S004`, `S005`, `S011`, `T001` |
//! | `segments.rs` | `N003`, `T001` |
//! | `defaults.rs` | `S028`, `S029` |
//! | `metrics.rs` | `N005`, `S003`, `S004`, `S011`, `T001` |
//! | `rubrics.rs` | `N003`, `S004`, `S005`, `T001` |
//! | `scores.rs` | `S004`, `S005`, `S006`, `S010`, `S011` |
//! | `weights.rs` | `S004`, `S010`, `S011`, `S030`, `S031` |
//! | `tiers.rs` | `N002`, `S004`, `S011` |
//! | `rules.rs` | `S004`, `S011` |
//! | `output.rs` | `N001`, `N002`, `S004`, `S011`, `T001` |
//! | `tests.rs` | `N003`, `S004`, `S012`, `T001` |
//! | `types.rs` | `T001` |
//! | `exprs.rs` | `N003`, `N005`, `N006`, `T003` |
//! | `calls.rs` | `N004`, `N005`, `T002`, `T004` |

mod calls;
mod contract;
mod defaults;
mod exprs;
mod metrics;
mod names;
mod output;
mod rubrics;
mod rules;
mod scores;
mod segments;
mod state;
mod tests;
mod tiers;
mod types;
mod weights;

use crate::diag::Diagnostics;
use crate::model::Model;

pub use state::{MAX_WINDOW, Resolver};

impl<'p> Resolver<'p> {
    pub fn run(mut self) -> (Model, Diagnostics) {
        if let Some(root) = self.program.files.first() {
            self.model.root = root.file;
            if let Some(h) = &root.tree.header {
                self.model.name = Some(h.name.value.clone());
                self.model.version = h.version.as_ref().map(|v| v.value.clone());
            }
        }
        self.declare_contract();
        self.declare_names();
        self.resolve_segments();
        self.resolve_defaults();
        self.resolve_metrics();
        self.resolve_scores();
        self.resolve_flags_and_rules();
        self.resolve_output();
        self.resolve_tests();
        self.resolve_snapshots();
        (self.model, self.diagnostics)
    }
}

pub use crate::model::format_number;
