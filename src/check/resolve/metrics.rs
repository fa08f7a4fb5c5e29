//! Metrics: their metadata, their values (typed on first use, in dependency
//! order, so a metric's type never depends on where it is declared), and the
//! peer groups of `within`.
//!
//! Raises: `N005`, `S003`, `S004`, `S011`, `T001`.

use super::state::*;
use crate::diag::fuzzy;
use crate::diag::{Code, Diagnostic};
use crate::model::*;
use crate::source::FileId;
use crate::syntax::ast::{self, Decl, Span};

impl<'p> Resolver<'p> {
    /// Resolve every metric's value, each after the metrics its value names,
    /// so that resolving one never recurses into another (a long chain of
    /// metrics declared in reverse cannot exhaust the stack). The order is a
    /// depth-first post-order over the names in each first `value` clause,
    /// kept on an explicit stack; a cycle is left to `S001`.
    pub(super) fn resolve_metric_values_in_order(&mut self) {
        let count = self.metric_decls.len();
        let mut deps: Vec<Vec<usize>> = vec![Vec::new(); count];
        for (i, (_, m)) in self.metric_decls.iter().enumerate() {
            let first = m.clauses.iter().find_map(|c| match c {
                ast::MetricClause::Value(expr, _) => Some(expr),
                _ => None,
            });
            let Some(expr) = first else { continue };
            let mut names: Vec<usize> = Vec::new();
            expr.walk(&mut |e| {
                if let ast::ExprKind::Name(ident) = &e.kind {
                    if let Some((Symbol::Metric(id), _)) = self.symbols.get(&ident.name) {
                        if id.index() != i && !names.contains(&id.index()) {
                            names.push(id.index());
                        }
                    }
                }
            });
            if let Some(slot) = deps.get_mut(i) {
                *slot = names;
            }
        }
        let mut visited = vec![false; count];
        let mut order = Vec::with_capacity(count);
        for start in 0..count {
            if visited.get(start).copied().unwrap_or(true) {
                continue;
            }
            if let Some(v) = visited.get_mut(start) {
                *v = true;
            }
            let mut path: Vec<(usize, usize)> = vec![(start, 0)];
            while let Some(&(node, next)) = path.last() {
                match deps.get(node).and_then(|d| d.get(next)).copied() {
                    Some(child) => {
                        if let Some(top) = path.last_mut() {
                            top.1 += 1;
                        }
                        if !visited.get(child).copied().unwrap_or(true) {
                            if let Some(v) = visited.get_mut(child) {
                                *v = true;
                            }
                            path.push((child, 0));
                        }
                    }
                    None => {
                        order.push(node);
                        path.pop();
                    }
                }
            }
        }
        for i in order {
            self.resolve_metric_value(MetricId(i as u32));
        }
    }

    pub(super) fn resolve_metrics(&mut self) {
        for (file, _, decl) in self.decls() {
            let Decl::Metric(m) = decl else { continue };
            let Some((Symbol::Metric(id), def_loc)) = self.symbols.get(&m.name.name).copied()
            else {
                continue;
            };
            if def_loc.span.range() != m.name.span.range() || def_loc.file != file {
                continue;
            }
            let ctx = Ctx {
                file,
                points_of: None,
            };
            let mut meta = Meta {
                description: m.description.as_ref().map(|d| d.value.clone()),
                ..Meta::default()
            };
            let mut value: Option<Expr> = None;
            let mut first_value = true;
            let mut missing_value: Option<f64> = None;
            let mut rubric_clauses: Vec<&ast::MetricClause> = Vec::new();
            let mut segment_rubrics = Vec::new();
            let mut seen: Vec<(&'static str, Span)> = Vec::new();
            for clause in &m.clauses {
                match clause {
                    ast::MetricClause::Meta(meta_clause) => {
                        self.once(&mut seen, file, meta_clause.key.keyword(), meta_clause.span);
                        self.meta(file, &mut meta, meta_clause);
                    }
                    ast::MetricClause::Value(expr, span) => {
                        self.once(&mut seen, file, "value", *span);
                        if first_value {
                            first_value = false;
                            self.resolve_metric_value(id);
                            value = self.model.metric(id).map(|d| d.value.clone());
                        } else {
                            self.expr(expr, ctx);
                        }
                    }
                    ast::MetricClause::Missing(mc) if mc.target == ast::MissingTarget::Value => {
                        self.once(&mut seen, file, "missing value", mc.span);
                        missing_value = Some(mc.number.value);
                    }
                    ast::MetricClause::Missing(_) | ast::MetricClause::Points(_) => {
                        rubric_clauses.push(clause)
                    }
                    ast::MetricClause::For(f) => {
                        if let Some((segment, labels)) = self.for_head(file, &f.head) {
                            let clauses: Vec<&ast::MetricClause> = f.clauses.iter().collect();
                            let rubric = self.rubric(file, id, &clauses, loc(file, f.span));
                            segment_rubrics.push(SegmentRubric {
                                segment,
                                labels,
                                rubric,
                            });
                        }
                    }
                }
            }
            let value = match value {
                Some(v) => v,
                None => {
                    self.push(
                        Diagnostic::new(
                            Code::S003,
                            file,
                            m.name.span,
                            format!("the metric `{}` has no `value`", m.name.name),
                        )
                        .label("this metric")
                        .help("add `value EXPR`, for example `value revenue / sales_reps`"),
                    );
                    placeholder_expr(loc(file, m.name.span))
                }
            };
            if !value.ty.is_numeric()
                && !matches!(value.ty, Type::Text | Type::Enum(_) | Type::Bool)
            {
                self.push(
                    Diagnostic::new(
                        Code::T001,
                        file,
                        value.loc.span,
                        "a metric's value must be a single value",
                    )
                    .label("a list")
                    .help("metrics are numbers, labels or true/false"),
                );
            }
            let mut rubric = self.rubric(file, id, &rubric_clauses, loc(file, m.name.span));
            if let Some(d) = self.file_defaults(file) {
                let own = &mut meta;
                own.owner = own.owner.take().or_else(|| d.meta.owner.clone());
                own.source = own.source.take().or_else(|| d.meta.source.clone());
                own.layer = own.layer.or(d.meta.layer);
                own.kind = own.kind.or(d.meta.kind);
                own.unit = own.unit.take().or_else(|| d.meta.unit.clone());
                // A number cannot stand in for a missing label or truth value.
                if value.ty.is_numeric() {
                    missing_value = missing_value.or(d.missing_value);
                }
                for r in std::iter::once(&mut rubric).chain(
                    segment_rubrics
                        .iter_mut()
                        .map(|s: &mut SegmentRubric| &mut s.rubric),
                ) {
                    r.missing_points = r.missing_points.or(d.missing_points);
                }
            }
            if let Some(def) = self.model.metrics.get_mut(id.index()) {
                def.meta = meta;
                def.value = value;
                def.missing_value = missing_value;
                def.rubric = rubric;
                def.segment_rubrics = segment_rubrics;
            }
        }
    }

    /// Report a clause given twice (S004).
    pub(super) fn once(
        &mut self,
        seen: &mut Vec<(&'static str, Span)>,
        file: FileId,
        what: &'static str,
        span: Span,
    ) {
        if let Some((_, first)) = seen.iter().find(|(w, _)| *w == what) {
            let first = *first;
            self.push(
                Diagnostic::new(Code::S004, file, span, format!("`{what}` is given twice"))
                    .label("second one")
                    .note(first, "first one")
                    .help(format!("keep one `{what}`")),
            );
        } else {
            seen.push((what, span));
        }
    }

    pub(super) fn meta(&mut self, file: FileId, meta: &mut Meta, clause: &ast::Meta) {
        let text = clause.value.clone();
        match clause.key {
            ast::MetaKey::Description => meta.description = Some(text),
            ast::MetaKey::Owner => meta.owner = Some(text),
            ast::MetaKey::Source => meta.source = Some(text),
            ast::MetaKey::Rationale => meta.rationale = Some(text),
            ast::MetaKey::Unit => meta.unit = Some(text),
            ast::MetaKey::Layer => match Layer::ALL.iter().find(|(n, _)| *n == text) {
                Some((_, layer)) => meta.layer = Some(*layer),
                None => self.bad_word(
                    file,
                    clause.value_span,
                    "layer",
                    &text,
                    &["strategy", "execution", "results"],
                ),
            },
            ast::MetaKey::Kind => match text.as_str() {
                "leading" => meta.kind = Some(IndicatorKind::Leading),
                "lagging" => meta.kind = Some(IndicatorKind::Lagging),
                _ => self.bad_word(
                    file,
                    clause.value_span,
                    "kind",
                    &text,
                    &["leading", "lagging"],
                ),
            },
        }
    }

    pub(super) fn bad_word(
        &mut self,
        file: FileId,
        span: Span,
        what: &str,
        text: &str,
        allowed: &[&str],
    ) {
        let help = match fuzzy::closest(text, allowed.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("write one of: {}", allowed.join(", ")),
        };
        self.push(
            Diagnostic::new(Code::S011, file, span, format!("`{text}` is not a {what}"))
                .label(format!("expected one of: {}", allowed.join(", ")))
                .help(help),
        );
    }

    /// Resolve the first `value` of a metric, once, whenever it is first
    /// needed: by the metric itself, by a name that refers to it (in any file,
    /// before or after its declaration) or by its points. A metric met again
    /// while its own value is being resolved is part of a cycle (`S001`,
    /// reported later) and keeps the placeholder.
    pub(super) fn resolve_metric_value(&mut self, metric: MetricId) {
        let Some(state) = self.metric_state.get_mut(metric.index()) else {
            return;
        };
        if *state != ValueState::Pending || self.value_depth >= MAX_VALUE_DEPTH {
            return;
        }
        *state = ValueState::Resolving;
        let Some(&(file, m)) = self.metric_decls.get(metric.index()) else {
            return;
        };
        let outer = self.value_of.replace(metric);
        self.value_depth += 1;
        let first = m.clauses.iter().find_map(|c| match c {
            ast::MetricClause::Value(expr, _) => Some(expr),
            _ => None,
        });
        if let Some(expr) = first {
            let ctx = Ctx {
                file,
                points_of: None,
            };
            let e = self.expr(expr, ctx);
            if let Some(def) = self.model.metrics.get_mut(metric.index()) {
                def.value = e;
            }
        }
        self.value_of = outer;
        self.value_depth -= 1;
        if let Some(state) = self.metric_state.get_mut(metric.index()) {
            *state = ValueState::Done;
        }
    }

    pub(super) fn metric_value_type(&mut self, metric: MetricId) -> Type {
        self.resolve_metric_value(metric);
        self.model.metric(metric).map_or(Type::Any, |m| m.value.ty)
    }

    pub(super) fn within(&mut self, file: FileId, within: &[ast::Ident]) -> Vec<GroupKey> {
        let mut out = Vec::new();
        for ident in within {
            let symbol = match self.shadowed_columns.get(&ident.name) {
                Some(c) => Some((Symbol::Column(*c), Loc::default())),
                None => self.symbols.get(&ident.name).copied(),
            };
            match symbol {
                Some((Symbol::Column(c), _)) => {
                    let ty = self.model.contract.column(c).map_or(Type::Any, |c| c.ty);
                    if matches!(ty, Type::Number) {
                        self.push(
                            Diagnostic::new(
                                Code::N005,
                                file,
                                ident.span,
                                format!(
                                    "`{}` is a number column; peer groups need labels",
                                    ident.name
                                ),
                            )
                            .label("cannot group by a number")
                            .help("group by a text, enum or bool column, or by a segment"),
                        );
                    } else {
                        out.push(GroupKey::Column(c));
                    }
                }
                Some((Symbol::Segment(s), _)) => out.push(GroupKey::Segment(s)),
                Some((symbol, _)) => self.push(
                    Diagnostic::new(
                        Code::N005,
                        file,
                        ident.span,
                        format!(
                            "`{}` is a {}; peer groups are columns or segments",
                            ident.name,
                            symbol.kind()
                        ),
                    )
                    .label("not a column or segment")
                    .help("name a column such as `partner_type`, or a segment"),
                ),
                None => {
                    let candidates: Vec<String> = self
                        .symbols
                        .iter()
                        .filter(|(_, (s, _))| matches!(s, Symbol::Column(_) | Symbol::Segment(_)))
                        .map(|(n, _)| n.clone())
                        .collect();
                    self.unknown_name(file, ident, "column or segment", &candidates);
                }
            }
        }
        out
    }
}
