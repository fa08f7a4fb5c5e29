//! Segments and `for` heads: each segment's condition, and the segment and
//! labels a `for` clause of a metric or score names.
//!
//! Raises: `N003`, `T001`.

use super::state::*;
use crate::diag::fuzzy;
use crate::diag::{Code, Diagnostic};
use crate::model::*;
use crate::source::FileId;
use crate::syntax::ast::{self, Decl};

impl<'p> Resolver<'p> {
    pub(super) fn resolve_segments(&mut self) {
        // Segments taken from a column first: their labels are known before any
        // condition (which may use a metric that uses such a segment) is typed.
        let decls = self.decls();
        let from_first = decls
            .iter()
            .filter(|(_, _, d)| matches!(d, Decl::Segment(s) if matches!(s.body, ast::SegmentBody::From(_))))
            .chain(decls.iter().filter(|(_, _, d)| matches!(d, Decl::Segment(s) if matches!(s.body, ast::SegmentBody::Rules(_)))));
        let mut values_resolved = false;
        for &(file, _, decl) in from_first {
            // Once every segment from a column has its labels, metric values
            // are typed (the conditions of rule segments may use them).
            let rules =
                matches!(decl, Decl::Segment(s) if matches!(s.body, ast::SegmentBody::Rules(_)));
            if rules && !values_resolved {
                values_resolved = true;
                self.resolve_metric_values_in_order();
            }
            let Decl::Segment(s) = decl else { continue };
            let Some((Symbol::Segment(id), def_loc)) = self.symbols.get(&s.name.name).copied()
            else {
                continue;
            };
            if def_loc.span.range() != s.name.span.range() || def_loc.file != file {
                continue; // a duplicate, reported already
            }
            let ctx = Ctx {
                file,
                points_of: None,
            };
            let source = match &s.body {
                ast::SegmentBody::From(column) => {
                    match self.expect_symbol(file, column, "column", |sym| match sym {
                        Symbol::Column(c) => Some(c),
                        _ => None,
                    }) {
                        Some(col) => {
                            let ty = self.model.contract.column(col).map(|c| c.ty);
                            match ty {
                                Some(Type::Enum(e)) => {
                                    let labels = self
                                        .model
                                        .enum_type(e)
                                        .map(|t| t.labels.clone())
                                        .unwrap_or_default();
                                    if let Some(seg) = self.model.segments.get(id.index()) {
                                        let enum_id = seg.labels;
                                        if let Some(t) = self.model.enums.get_mut(enum_id.index()) {
                                            t.labels = labels;
                                        }
                                    }
                                    SegmentSource::Column(col)
                                }
                                _ => {
                                    self.push(
                                        Diagnostic::new(Code::T001, file, column.span, format!("`{}` is not an enum column", column.name))
                                            .label("segments come from enum columns")
                                            .help("declare the column as `enum(…)`, or write segment rules with `when`"),
                                    );
                                    SegmentSource::Rules(Vec::new())
                                }
                            }
                        }
                        None => SegmentSource::Rules(Vec::new()),
                    }
                }
                ast::SegmentBody::Rules(rules) => {
                    let enum_id = self.model.segment(id).map(|s| s.labels);
                    let mut out = Vec::new();
                    for rule in rules {
                        let label = enum_id
                            .and_then(|e| self.model.enum_type(e))
                            .and_then(|t| t.label_index(&rule.label.name))
                            .unwrap_or(0);
                        let condition = rule
                            .condition
                            .as_ref()
                            .map(|c| self.condition(c, ctx, "a segment rule"));
                        out.push(SegmentRuleDef {
                            label,
                            condition,
                            loc: loc(file, rule.span),
                        });
                    }
                    SegmentSource::Rules(out)
                }
            };
            if let Some(seg) = self.model.segments.get_mut(id.index()) {
                seg.source = source;
            }
        }
        if !values_resolved {
            self.resolve_metric_values_in_order();
        }
    }

    /// Resolve `for SEGMENT LABEL, …`.
    pub(super) fn for_head(
        &mut self,
        file: FileId,
        head: &ast::ForHead,
    ) -> Option<(SegmentId, Vec<u32>)> {
        let segment = self.expect_symbol(file, &head.segment, "segment", |s| match s {
            Symbol::Segment(id) => Some(id),
            _ => None,
        })?;
        let enum_id = self.model.segment(segment)?.labels;
        let labels = self.model.enum_type(enum_id)?.labels.clone();
        let mut out = Vec::new();
        for label in &head.labels {
            match labels.iter().position(|l| *l == label.text) {
                Some(i) => out.push(i as u32),
                None => {
                    let help = match fuzzy::closest(&label.text, labels.iter().map(String::as_str))
                    {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!(
                            "the labels of `{}` are: {}",
                            head.segment.name,
                            labels.join(", ")
                        ),
                    };
                    self.push(
                        Diagnostic::new(
                            Code::N003,
                            file,
                            label.span,
                            format!(
                                "`{}` is not a label of the segment `{}`",
                                label.text, head.segment.name
                            ),
                        )
                        .label("unknown label")
                        .help(help),
                    );
                }
            }
        }
        Some((segment, out))
    }
}
