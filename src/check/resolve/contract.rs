//! The input contract: the `input` block's key, period and columns, their types,
//! ranges and enum labels.
//!
//! Raises: `N002`, `S004`, `S005`, `S011`, `T001`.

use super::state::*;
use crate::diag::{Code, Diagnostic};
use crate::model::*;
use crate::source::FileId;
use crate::syntax::ast::{self, CmpOp, Decl, Span};

impl<'p> Resolver<'p> {
    pub(super) fn declare_contract(&mut self) {
        let mut seen_input_in: Vec<FileId> = Vec::new();
        let mut key: Option<(ast::Ident, FileId, Span)> = None;
        let mut period: Option<(ast::Ident, FileId, Span)> = None;
        for (file, _, decl) in self.decls() {
            let Decl::Input(input) = decl else { continue };
            if seen_input_in.contains(&file) {
                self.push(
                    Diagnostic::new(
                        Code::S004,
                        file,
                        input.span,
                        "a second `input` block in this file",
                    )
                    .label("second input block")
                    .help("declare every column in one `input` block"),
                );
            }
            seen_input_in.push(file);
            if self.model.contract.loc.is_none() {
                self.model.contract.loc = Some(loc(file, input.span));
            }
            for entry in &input.entries {
                match entry {
                    ast::InputEntry::Key(ident, span) | ast::InputEntry::Period(ident, span) => {
                        let is_key = matches!(entry, ast::InputEntry::Key(..));
                        let slot = if is_key { &mut key } else { &mut period };
                        if let Some((first, ..)) = slot {
                            if first.name != ident.name {
                                let what = if is_key { "key" } else { "period" };
                                let d = Diagnostic::new(
                                    Code::S004,
                                    file,
                                    *span,
                                    format!(
                                        "a second `{what}` column: `{}` after `{}`",
                                        ident.name, first.name
                                    ),
                                )
                                .label(format!("second `{what}`"))
                                .help(format!("a scorecard has one {what} column"));
                                self.push(d);
                            }
                        } else {
                            *slot = Some((ident.clone(), file, *span));
                        }
                    }
                    ast::InputEntry::Column(column) => self.declare_column(file, column),
                    ast::InputEntry::OthersIgnored(_) => self.model.contract.others_ignored = true,
                }
            }
        }
        for (slot, is_key) in [(key, true), (period, false)] {
            let Some((ident, file, _)) = slot else {
                continue;
            };
            let id = match self.model.contract.find(&ident.name) {
                Some(id) => {
                    if let Some(col) = self.model.contract.columns.get(id.index()) {
                        if !matches!(col.ty, Type::Text | Type::Enum(_) | Type::Integer) {
                            let col_loc = col.loc;
                            self.push(
                                Diagnostic::new(
                                    Code::T001,
                                    col_loc.file,
                                    col_loc.span,
                                    format!(
                                        "the {} column `{}` must be text",
                                        if is_key { "key" } else { "period" },
                                        ident.name
                                    ),
                                )
                                .label("declared with another type here")
                                .help("declare it as `text`, or leave its type out"),
                            );
                        }
                    }
                    id
                }
                None => {
                    let id = ColumnId(self.model.contract.columns.len() as u32);
                    self.model.contract.columns.push(ColumnDef {
                        name: ident.name.clone(),
                        ty: Type::Text,
                        min: None,
                        max: None,
                        optional: false,
                        loc: loc(file, ident.span),
                    });
                    self.define(&ident, file, Symbol::Column(id));
                    id
                }
            };
            if is_key {
                self.model.contract.key = Some(id);
            } else {
                self.model.contract.period = Some(id);
                self.has_period = true;
            }
        }
    }

    pub(super) fn declare_column(&mut self, file: FileId, column: &ast::ColumnDecl) {
        let ty = match &column.ty.kind {
            ast::ColumnTypeKind::Number => Type::Number,
            ast::ColumnTypeKind::Integer => Type::Integer,
            ast::ColumnTypeKind::Bool => Type::Bool,
            ast::ColumnTypeKind::Text => Type::Text,
            ast::ColumnTypeKind::Enum(labels) => {
                let names = self.unique_labels(file, labels, "enum");
                Type::Enum(self.new_enum(&column.name.name, names))
            }
        };
        let mut def = ColumnDef {
            name: column.name.name.clone(),
            ty,
            min: None,
            max: None,
            optional: false,
            loc: loc(file, column.name.span),
        };
        for option in &column.options {
            match option {
                ast::ColumnOption::Optional(_) => def.optional = true,
                ast::ColumnOption::Between(low, high, span) => {
                    if !ty.is_numeric() {
                        self.not_numeric_range(file, *span, &column.name.name);
                    }
                    if low.value > high.value {
                        self.push(
                            Diagnostic::new(
                                Code::S005,
                                file,
                                *span,
                                format!("the range `{}..{}` is empty", low.text, high.text),
                            )
                            .label("the low end is above the high end")
                            .help(format!("write `in {}..{}`", high.text, low.text)),
                        );
                    }
                    def.min = Some((low.value, true));
                    def.max = Some((high.value, true));
                }
                ast::ColumnOption::Bound(op, n, span) => {
                    if !ty.is_numeric() {
                        self.not_numeric_range(file, *span, &column.name.name);
                    }
                    match op {
                        CmpOp::Ge => def.min = Some((n.value, true)),
                        CmpOp::Gt => def.min = Some((n.value, false)),
                        CmpOp::Le => def.max = Some((n.value, true)),
                        CmpOp::Lt => def.max = Some((n.value, false)),
                        CmpOp::Eq | CmpOp::Ne => self.push(
                            Diagnostic::new(
                                Code::S011,
                                file,
                                *span,
                                format!("`{}` cannot bound a column", op.symbol()),
                            )
                            .label("not a bound")
                            .help("use `>=`, `>`, `<=`, `<` or `in LOW..HIGH`"),
                        ),
                    }
                }
            }
        }
        let range_reported = column.options.iter().any(
            |o| matches!(o, ast::ColumnOption::Between(low, high, _) if low.value > high.value),
        );
        if let (Some((lo, _)), Some((hi, _))) = (def.min, def.max) {
            if lo > hi && !range_reported {
                self.push(
                    Diagnostic::new(
                        Code::S005,
                        file,
                        column.span,
                        format!("no value can satisfy the bounds of `{}`", column.name.name),
                    )
                    .label("the lower bound is above the upper bound")
                    .help("check the bounds"),
                );
            }
        }
        let id = ColumnId(self.model.contract.columns.len() as u32);
        if self.define(&column.name, file, Symbol::Column(id)) {
            self.model.contract.columns.push(def);
        }
    }

    pub(super) fn not_numeric_range(&mut self, file: FileId, span: Span, name: &str) {
        self.push(
            Diagnostic::new(
                Code::T001,
                file,
                span,
                format!("`{name}` is not a number, so it cannot have a range"),
            )
            .label("a range on a non-number column")
            .help("ranges apply to `number` and `integer` columns"),
        );
    }

    /// Labels in order, reporting duplicates (N002).
    pub(super) fn unique_labels(
        &mut self,
        file: FileId,
        labels: &[ast::Label],
        what: &str,
    ) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for label in labels {
            if names.contains(&label.text) {
                self.push(
                    Diagnostic::new(
                        Code::N002,
                        file,
                        label.span,
                        format!("the label `{}` appears twice in this {what}", label.text),
                    )
                    .label("repeated label")
                    .help("remove the repetition"),
                );
            } else {
                names.push(label.text.clone());
            }
        }
        names
    }
}
