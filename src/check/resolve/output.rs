//! The output block: the columns a run writes, their formats and decimals.
//!
//! Raises: `N001`, `N002`, `S004`, `S011`, `T001`.

use super::state::*;
use crate::diag::{Code, Diagnostic};
use crate::model::*;
use crate::source::FileId;
use crate::syntax::ast::{self, Decl, Span};

/// The largest `min_group`.
const MAX_MIN_GROUP: f64 = 1_000_000.0;

impl<'p> Resolver<'p> {
    pub(super) fn resolve_output(&mut self) {
        let root = self.program.root;
        let mut seen: Option<Span> = None;
        for (file, is_root, decl) in self.decls() {
            let Decl::Output(o) = decl else { continue };
            if !is_root || Some(file) != root {
                continue;
            }
            if let Some(first) = seen {
                self.push(
                    Diagnostic::new(Code::S004, file, o.span, "a second `output` block")
                        .label("second output block")
                        .note(first, "first output block")
                        .help("list every column in one `output` block"),
                );
                continue;
            }
            seen = Some(o.span);
            let ctx = Ctx {
                file,
                points_of: None,
            };
            let mut default_decimals = DEFAULT_DECIMALS;
            for item in &o.items {
                if let ast::OutputItem::Decimals(n, _) = item {
                    default_decimals = self.decimals(file, n).unwrap_or(DEFAULT_DECIMALS);
                }
                if let ast::OutputItem::MinGroup(n, _) = item {
                    self.model.min_group = self.min_group(file, n);
                }
            }
            let mut columns: Vec<OutputColumnDef> = Vec::new();
            for item in &o.items {
                let ast::OutputItem::Column(c) = item else {
                    continue;
                };
                if columns.iter().any(|x| x.name == c.name.text) {
                    self.push(
                        Diagnostic::new(
                            Code::N002,
                            file,
                            c.name.span,
                            format!("the output column `{}` appears twice", c.name.text),
                        )
                        .label("repeated column")
                        .help("give each output column its own name"),
                    );
                }
                let expr = match &c.expr {
                    Some(e) => self.expr(e, ctx),
                    None => {
                        let ident = ast::Ident {
                            name: c.name.text.clone(),
                            span: c.name.span,
                        };
                        if c.name.quoted {
                            self.push(
                                Diagnostic::new(
                                    Code::N001,
                                    file,
                                    c.name.span,
                                    format!("the column `{}` needs a value", c.name.text),
                                )
                                .label("quoted names need `= EXPR`")
                                .help(format!("write `\"{}\" = EXPR`", c.name.text)),
                            );
                            placeholder_expr(loc(file, c.name.span))
                        } else {
                            let e = ast::Expr {
                                kind: ast::ExprKind::Name(ident),
                                span: c.name.span,
                            };
                            self.expr(&e, ctx)
                        }
                    }
                };
                let mut def = OutputColumnDef {
                    name: c.name.text.clone(),
                    expr,
                    decimals: default_decimals,
                    if_missing: None,
                    if_empty: None,
                    loc: loc(file, c.span),
                };
                for format in &c.formats {
                    match format {
                        ast::ColumnFormat::Decimals(n, span) => {
                            def.decimals = self.decimals(file, n).unwrap_or(default_decimals);
                            if !def.expr.ty.is_numeric() {
                                let what = self.type_name(def.expr.ty);
                                self.push(
                                    Diagnostic::new(Code::S011, file, *span, format!("`decimals` applies to numbers, but `{}` is {what}", c.name.text))
                                        .label("no decimals to set")
                                        .help("remove it; for every number column at once, write `default decimals N` in the output block"),
                                );
                            }
                        }
                        ast::ColumnFormat::IfMissing(s, _) => {
                            def.if_missing = Some(s.value.clone())
                        }
                        ast::ColumnFormat::IfEmpty(s, span) => {
                            if def.expr.ty != Type::List && def.expr.ty != Type::Any {
                                self.push(
                                    Diagnostic::new(
                                        Code::T001,
                                        file,
                                        *span,
                                        "`if empty` applies to lists (`actions`, `flags`)",
                                    )
                                    .label("this column is not a list")
                                    .help("use `if missing \"…\"` for a value that may be missing"),
                                );
                            }
                            def.if_empty = Some(s.value.clone());
                        }
                    }
                }
                columns.push(def);
            }
            // `min_group` alone chooses no columns: the default ones stay.
            let settings_only = o
                .items
                .iter()
                .all(|i| matches!(i, ast::OutputItem::MinGroup(..)));
            if !settings_only || o.items.is_empty() {
                self.model.output = Some(OutputDef {
                    columns,
                    loc: loc(file, o.span),
                });
            }
        }
    }

    /// `min_group N`: a whole number of partners from 1 to [`MAX_MIN_GROUP`].
    fn min_group(&mut self, file: FileId, n: &ast::Number) -> Option<u32> {
        if n.value >= 1.0 && n.value <= MAX_MIN_GROUP && n.value.fract() == 0.0 {
            return Some(n.value as u32);
        }
        self.push(
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
        );
        None
    }

    pub(super) fn decimals(&mut self, file: FileId, n: &ast::Number) -> Option<u32> {
        if n.value >= 0.0 && n.value <= 9.0 && n.value.fract() == 0.0 {
            Some(n.value as u32)
        } else {
            self.push(
                Diagnostic::new(
                    Code::S011,
                    file,
                    n.span,
                    format!("`{}` decimals: use a whole number from 0 to 9", n.text),
                )
                .label("out of range")
                .help("write `decimals 2`"),
            );
            None
        }
    }
}
