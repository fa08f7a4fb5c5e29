//! Settings of the `output` block checked on their own: `min_group N`.

use crate::diag::{Code, Diagnostic};
use crate::source::FileId;
use crate::syntax::ast;

/// The largest `min_group`: beyond it no peer group of a real program is shown.
pub const MAX_MIN_GROUP: f64 = 1_000_000.0;

/// `min_group N`: a whole number of at least 1 (`S011` otherwise).
pub fn min_group(file: FileId, n: &ast::Number) -> Result<u32, Box<Diagnostic>> {
    if n.value >= 1.0 && n.value <= MAX_MIN_GROUP && n.value.fract() == 0.0 {
        Ok(n.value as u32)
    } else {
        Err(Box::new(
            Diagnostic::new(
                Code::S011,
                file,
                n.span,
                format!(
                    "`min_group {}`: use a whole number of partners from 1 to 1000000",
                    n.text
                ),
            )
            .label("out of range")
            .help(
                "write `min_group 5`: a partner's page then compares only with groups of 5 or more",
            ),
        ))
    }
}
