//! L014 empty-file: a scorecard file, or an imported file, that declares
//! nothing — empty, only comments, or only its `scorecard` header. Checking it
//! finds no problem because there is nothing to check, which usually means the
//! wrong file was given or the declarations were never written.
//!
//! Example: a file holding only `// partner scorecard, to do`.
//! Fix: write the declarations (`input { … }`, metrics, a score), or remove
//! the file or its `import`.

use super::LintContext;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::syntax::ast::Span;

pub fn check(cx: &LintContext<'_>, out: &mut Diagnostics) {
    for loaded in &cx.program.files {
        if !loaded.tree.decls.is_empty() {
            continue;
        }
        let imported = Some(loaded.file) != cx.program.root;
        out.push(
            Diagnostic::new(
                Code::L014,
                loaded.file,
                Span::new(0, 0),
                if imported {
                    "this imported file declares nothing"
                } else {
                    "this scorecard declares nothing"
                },
            )
            .label("no declarations in this file")
            .help(if imported {
                "write its declarations, or remove the `import`"
            } else {
                "write an `input` block, metrics and a score (see docs/language.md), or check that the right file was given"
            }),
        );
    }
}
