//! Scores: their definitions (weights or formulas), smoothing, guardrails and
//! the windows and integers they take.
//!
//! Raises: `S004`, `S005`, `S006`, `S010`, `S011`.

use super::state::*;
use crate::diag::{Code, Diagnostic};
use crate::model::*;
use crate::source::FileId;
use crate::syntax::ast::{self, Decl, Span};

impl<'p> Resolver<'p> {
    pub(super) fn resolve_scores(&mut self) {
        for (file, _, decl) in self.decls() {
            let Decl::Score(s) = decl else { continue };
            let Some((Symbol::Score(id), def_loc)) = self.symbols.get(&s.name.name).copied() else {
                continue;
            };
            if def_loc.span.range() != s.name.span.range() || def_loc.file != file {
                continue;
            }
            let ctx = Ctx {
                file,
                points_of: None,
            };
            let mut meta = self
                .model
                .score(id)
                .map(|d| d.meta.clone())
                .unwrap_or_default();
            let mut seen: Vec<(&'static str, Span)> = Vec::new();
            let mut definition_clauses: Vec<&ast::ScoreClause> = Vec::new();
            let mut for_blocks: Vec<&ast::ScoreFor> = Vec::new();
            let mut adjustments = Vec::new();
            let mut def = placeholder_score(&s.name.name, loc(file, s.name.span));
            def.tiers = self.model.score(id).and_then(|d| d.tiers.clone());
            for clause in &s.clauses {
                match clause {
                    ast::ScoreClause::Meta(m) => {
                        self.once(&mut seen, file, m.key.keyword(), m.span);
                        self.meta(file, &mut meta, m);
                    }
                    ast::ScoreClause::Weights(_)
                    | ast::ScoreClause::Sum(_)
                    | ast::ScoreClause::Base(..)
                    | ast::ScoreClause::Value(..) => definition_clauses.push(clause),
                    // Resolved once the score's own definition is known:
                    // `override weights` changes it.
                    ast::ScoreClause::For(f) => for_blocks.push(f),
                    ast::ScoreClause::Adjust(a) => {
                        let adjustment = self.adjustment(file, a, ctx);
                        adjustments.push(adjustment);
                    }
                    ast::ScoreClause::Smooth(sm) => {
                        self.once(&mut seen, file, "smooth", sm.span);
                        def.smoothing = self.smoothing(file, sm);
                    }
                    ast::ScoreClause::MaxChange(n, span) => {
                        self.once(&mut seen, file, "max_change", *span);
                        if let Some(max) = self.max_change(file, n, *span) {
                            def.max_change = Some(max);
                        }
                    }
                    ast::ScoreClause::Floor(n, span) => {
                        self.once(&mut seen, file, "floor", *span);
                        def.floor = Some(n.value);
                    }
                    ast::ScoreClause::Cap(n, span) => {
                        self.once(&mut seen, file, "cap", *span);
                        def.cap = Some(n.value);
                    }
                    ast::ScoreClause::MinPeriods(n, span) => {
                        self.once(&mut seen, file, "min_periods", *span);
                        def.min_periods = self.positive_integer(file, n, "`min_periods`");
                        if !self.has_period {
                            self.no_period(file, *span, "`min_periods`");
                        }
                    }
                    ast::ScoreClause::Insufficient(i) => {
                        self.once(&mut seen, file, "insufficient data", i.span);
                        def.insufficient = Some(self.insufficient_rule(file, i));
                    }
                }
            }
            self.floor_below_cap(file, &s.name, &def);
            def.definition =
                self.definition(file, &s.name, &definition_clauses, s.name.span, ctx, None);
            let overrides = self.score_overrides(file, &s.name, &def.definition, &for_blocks, ctx);
            def.meta = meta;
            def.overrides = overrides;
            def.adjustments = adjustments;
            if let Some(slot) = self.model.scores.get_mut(id.index()) {
                *slot = def;
            }
        }
    }

    /// An `adjust` clause: its condition and factor (`S011` below zero).
    fn adjustment(&mut self, file: FileId, a: &ast::Adjust, ctx: Ctx) -> Adjustment {
        let condition = self.condition(&a.condition, ctx, "an adjustment");
        if a.factor.value < 0.0 {
            self.push(
                Diagnostic::new(
                    Code::S011,
                    file,
                    a.factor.span,
                    "an adjustment factor below zero",
                )
                .label("negative factor")
                .help("factors multiply the score: 1.1 raises it by a tenth, 0.9 lowers it"),
            );
        }
        Adjustment {
            reason: a.reason.as_ref().map(|r| r.value.clone()),
            factor: a.factor.value,
            condition,
            loc: loc(file, a.span),
        }
    }

    /// A `smooth` clause (`S011` for a weight outside (0, 1]); smoothing needs a period.
    fn smoothing(&mut self, file: FileId, sm: &ast::Smooth) -> Option<Smoothing> {
        let smoothing = match &sm.kind {
            ast::SmoothKind::MovingAverage(n) => self
                .positive_integer(file, n, "the moving-average window")
                .map(Smoothing::MovingAverage),
            ast::SmoothKind::Exponential(a) => {
                if a.value > 0.0 && a.value <= 1.0 {
                    Some(Smoothing::Exponential(a.value))
                } else {
                    self.push(
                        Diagnostic::new(
                            Code::S011,
                            file,
                            a.span,
                            format!("the smoothing weight `{}` is outside (0, 1]", a.text),
                        )
                        .label("weight of the newest value")
                        .help("use a weight above 0 and at most 1, such as 0.5"),
                    );
                    None
                }
            }
        };
        if smoothing.is_some() && !self.has_period {
            self.no_period(file, sm.span, "smoothing");
        }
        smoothing
    }

    /// A `max_change` clause (`S011` below zero); it needs a period.
    fn max_change(&mut self, file: FileId, n: &ast::Number, span: Span) -> Option<f64> {
        let mut max = None;
        if n.value < 0.0 {
            self.push(
                Diagnostic::new(Code::S011, file, n.span, "a maximum change below zero")
                    .label("negative")
                    .help("write how many points the score may move per period, such as 15"),
            );
        } else {
            max = Some(n.value);
        }
        if !self.has_period {
            self.no_period(file, span, "`max_change`");
        }
        max
    }

    /// An `insufficient data if more than …` clause: a count, or a share in
    /// percent (`S011` for anything else).
    fn insufficient_rule(&mut self, file: FileId, i: &ast::Insufficient) -> InsufficientRule {
        // A share is kept in percent: `30%` is a limit of 30.
        let limit = if i.percent {
            i.limit.scaled(2)
        } else {
            i.limit.value
        };
        let valid = if i.percent {
            (0.0..=100.0).contains(&limit)
        } else {
            limit >= 0.0 && limit.fract() == 0.0
        };
        if !valid {
            self.push(
                Diagnostic::new(
                    Code::S011,
                    file,
                    i.limit.span,
                    format!(
                        "`{}` is not a count of metrics or a share up to 100%",
                        i.limit.text
                    ),
                )
                .label("invalid limit")
                .help("write `if more than 2 missing` or `if more than 30% missing`"),
            );
        }
        InsufficientRule {
            limit,
            percent: i.percent,
        }
    }

    /// `S005` when a score's floor is above its cap.
    fn floor_below_cap(&mut self, file: FileId, name: &ast::Ident, def: &ScoreDef) {
        if let (Some(lo), Some(hi)) = (def.floor, def.cap) {
            if lo > hi {
                self.push(
                    Diagnostic::new(
                        Code::S005,
                        file,
                        name.span,
                        format!("the floor {lo} of `{}` is above its cap {hi}", name.name),
                    )
                    .label("this score")
                    .help("make the floor lower than the cap"),
                );
            }
        }
    }

    /// Each `for` block of a score: a definition for the rows of a segment,
    /// resolved against the score's own (`override weights` changes it).
    fn score_overrides(
        &mut self,
        file: FileId,
        name: &ast::Ident,
        own: &Definition,
        for_blocks: &[&ast::ScoreFor],
        ctx: Ctx,
    ) -> Vec<Override> {
        let mut overrides = Vec::new();
        for f in for_blocks {
            if let Some((segment, labels)) = self.for_head(file, &f.head) {
                let inner: Vec<&ast::ScoreClause> = f.clauses.iter().collect();
                let base = own.clone();
                let definition = self.definition(file, name, &inner, f.head.span, ctx, Some(&base));
                overrides.push(Override {
                    segment,
                    labels,
                    definition,
                    loc: loc(file, f.span),
                });
            }
        }
        overrides
    }

    pub(super) fn no_period(&mut self, file: FileId, span: Span, what: &str) {
        self.push(
            Diagnostic::new(
                Code::S006,
                file,
                span,
                format!("{what} needs a partner's history, but the input has no `period` column"),
            )
            .label("needs periods")
            .help("declare the period column in the input block: `period quarter`"),
        );
    }

    pub(super) fn positive_integer(
        &mut self,
        file: FileId,
        n: &ast::Number,
        what: &str,
    ) -> Option<u32> {
        if n.value >= 1.0 && n.value.fract() == 0.0 && n.value <= MAX_WINDOW {
            Some(n.value as u32)
        } else {
            self.push(
                Diagnostic::new(
                    Code::S011,
                    file,
                    n.span,
                    format!(
                        "{what} must be a whole number from 1 to {MAX_WINDOW_TEXT}, not `{}`",
                        n.text
                    ),
                )
                .label(format!("not a whole number from 1 to {MAX_WINDOW_TEXT}"))
                .help(format!(
                    "write a count of periods, such as 3; it is at most {MAX_WINDOW_TEXT}"
                )),
            );
            None
        }
    }

    pub(super) fn definition(
        &mut self,
        file: FileId,
        name: &ast::Ident,
        clauses: &[&ast::ScoreClause],
        at: Span,
        ctx: Ctx,
        score_own: Option<&Definition>,
    ) -> Definition {
        let mut found: Vec<(Definition, Span)> = Vec::new();
        let mut base: Option<(f64, Span)> = None;
        for clause in clauses {
            match clause {
                ast::ScoreClause::Weights(w) if w.overrides => {
                    let d = self.override_weights(file, w, score_own);
                    found.push((d, w.span));
                }
                ast::ScoreClause::Weights(w) => {
                    let d = self.weights(file, w);
                    found.push((d, w.span));
                }
                ast::ScoreClause::Sum(sum) => {
                    let mut metrics = Vec::new();
                    for m in &sum.metrics {
                        if let Some(id) = self.metric_ref(file, m) {
                            metrics.push((id, loc(file, m.span)));
                        }
                    }
                    found.push((Definition::Sum { base: 0.0, metrics }, sum.span));
                }
                ast::ScoreClause::Base(n, span) => {
                    if base.is_some() {
                        self.push(
                            Diagnostic::new(Code::S004, file, *span, "`base` is given twice")
                                .label("second one")
                                .help("keep one `base`"),
                        );
                    }
                    base = Some((n.value, *span));
                }
                ast::ScoreClause::Value(e, span) => {
                    let e = self.expr(e, ctx);
                    self.require_number(&e, "a score's value");
                    found.push((Definition::Value(e), *span));
                }
                _ => {}
            }
        }
        if found.len() > 1 {
            if let Some((_, second)) = found.get(1) {
                let first = found.first().map(|(_, s)| *s).unwrap_or(*second);
                self.push(
                    Diagnostic::new(
                        Code::S010,
                        file,
                        *second,
                        format!("`{}` is defined twice", name.name),
                    )
                    .label("second definition")
                    .note(first, "first definition")
                    .help("a score is one of `weights { … }`, `sum { … }` or `value EXPR`"),
                );
            }
        }
        let mut definition = match found.into_iter().next() {
            Some((d, _)) => d,
            None => {
                self.push(
                    Diagnostic::new(
                        Code::S010,
                        file,
                        at,
                        format!("`{}` has no definition", name.name),
                    )
                    .label("no `weights`, `sum` or `value` here")
                    .help("add `weights { metric 50  other 50 }`, `sum { … }` or `value EXPR`"),
                );
                Definition::Value(placeholder_expr(loc(file, at)))
            }
        };
        if let Some((b, span)) = base {
            match &mut definition {
                Definition::Sum { base, .. } => *base = b,
                _ => self.push(
                    Diagnostic::new(Code::S010, file, span, "`base` belongs with `sum { … }`")
                        .label("no sum to add it to")
                        .help("use `sum { … }` with `base`, or fold the constant into `value`"),
                ),
            }
        }
        definition
    }

    pub(super) fn metric_ref(&mut self, file: FileId, m: &ast::Ident) -> Option<MetricId> {
        self.expect_symbol(file, m, "metric", |s| match s {
            Symbol::Metric(id) => Some(id),
            _ => None,
        })
    }
}
