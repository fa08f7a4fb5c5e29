//! Each file's `defaults` block: the metadata, missing values and test-row
//! values that the metrics and tests of that file inherit.
//!
//! Raises: `S028`, `S029`.

use super::state::*;
use crate::diag::{Code, Diagnostic};
use crate::source::FileId;
use crate::syntax::ast::{self, Decl, Span};

impl<'p> Resolver<'p> {
    /// Each file's `defaults` block (`S028` for a second one in a file,
    /// `S029` for a setting that cannot be shared).
    pub(super) fn resolve_defaults(&mut self) {
        for (file, _, decl) in self.decls() {
            let Decl::Defaults(d) = decl else { continue };
            if self.defaults.iter().any(|(f, _)| *f == file) {
                let first = self
                    .decls()
                    .into_iter()
                    .find_map(|(f, _, x)| match x {
                        Decl::Defaults(x) if f == file => Some(x.span),
                        _ => None,
                    })
                    .unwrap_or(d.span);
                let head = Span::new(d.span.start, d.span.start + "defaults".len());
                self.push(
                    Diagnostic::new(
                        Code::S028,
                        file,
                        head,
                        "a second `defaults` block in this file",
                    )
                    .label("second block")
                    .note(
                        Span::new(first.start, first.start + "defaults".len()),
                        "first block",
                    )
                    .help("keep one `defaults` block per file and move these settings into it"),
                );
                continue;
            }
            let mut out = FileDefaults::default();
            let mut seen: Vec<(&'static str, Span)> = Vec::new();
            for clause in &d.clauses {
                match clause {
                    ast::DefaultsClause::Meta(m) => {
                        if matches!(m.key, ast::MetaKey::Description | ast::MetaKey::Rationale) {
                            let key = m.key.keyword();
                            self.push(
                                Diagnostic::new(
                                    Code::S029,
                                    file,
                                    m.span,
                                    format!("`{key}` cannot be a default"),
                                )
                                .label(format!("each metric has its own `{key}`"))
                                .help(format!(
                                    "write `{key}` in the metrics it describes; `defaults` holds owner, source, layer, kind, unit, `missing value`, `missing points` and `given`"
                                )),
                            );
                            continue;
                        }
                        self.once(&mut seen, file, m.key.keyword(), m.span);
                        self.meta(file, &mut out.meta, m);
                    }
                    ast::DefaultsClause::Missing(mc) => {
                        if mc.target == ast::MissingTarget::Value {
                            self.once(&mut seen, file, "missing value", mc.span);
                            out.missing_value = Some(mc.number.value);
                        } else {
                            self.once(&mut seen, file, "missing points", mc.span);
                            out.missing_points = Some(mc.number.value);
                        }
                    }
                    ast::DefaultsClause::Given(fields, span) => {
                        self.once(&mut seen, file, "given", *span);
                        if out.given.is_empty() {
                            out.given = fields;
                        }
                    }
                }
            }
            self.defaults.push((file, out));
        }
    }

    pub(super) fn file_defaults(&self, file: FileId) -> Option<&FileDefaults<'p>> {
        self.defaults
            .iter()
            .find(|(f, _)| *f == file)
            .map(|(_, d)| d)
    }
}
