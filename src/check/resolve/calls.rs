//! Function calls: each built-in function's arguments, their types and the
//! constant windows some of them take.
//!
//! Raises: `N004`, `N005`, `T002`, `T004`.

use super::state::*;
use crate::diag::fuzzy;
use crate::diag::{Code, Diagnostic};
use crate::model::*;
use crate::syntax::ast::{self};

impl<'p> Resolver<'p> {
    pub(super) fn call(
        &mut self,
        function: &ast::Ident,
        args: &[ast::Expr],
        within: &[ast::Ident],
        ctx: Ctx,
        l: Loc,
    ) -> Expr {
        let name = function.name.as_str();
        let mk = |kind: ExprKind, ty: Type| Expr { kind, ty, loc: l };
        if !FUNCTIONS.contains(&name) {
            let help = match fuzzy::closest(name, FUNCTIONS.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None if matches!(name, "avg" | "mean" | "average") => {
                    "write the mean out, such as `(a + b + c) / 3`, or use `moving_average(x, n)` over periods".to_string()
                }
                None => format!("the functions are: {}", FUNCTIONS.join(", ")),
            };
            self.push(
                Diagnostic::new(
                    Code::N004,
                    ctx.file,
                    function.span,
                    format!("unknown function `{name}`"),
                )
                .label("no such function")
                .help(help),
            );
            return mk(ExprKind::Missing, Type::Any);
        }
        let population = matches!(name, "percentile" | "zscore" | "minmax");
        if !within.is_empty() && !population {
            self.push(
                Diagnostic::new(
                    Code::T002,
                    ctx.file,
                    l.span,
                    format!("`{name}` takes no `within`"),
                )
                .label("`within` here")
                .help("`within` belongs to percentile, zscore and minmax"),
            );
        }
        let (min_args, max_args) = match name {
            "min" | "max" | "coalesce" => (1, usize::MAX),
            "clamp" => (3, 3),
            "round" => (1, 2),
            "moving_average" | "trend" => (2, 2),
            _ => (1, 1),
        };
        if args.len() < min_args || args.len() > max_args {
            let expected = match (min_args, max_args) {
                (a, b) if a == b => format!("{a}"),
                (a, usize::MAX) => format!("at least {a}"),
                (a, b) => format!("{a} or {b}"),
            };
            self.push(
                Diagnostic::new(
                    Code::T002,
                    ctx.file,
                    l.span,
                    format!(
                        "`{name}` takes {expected} argument{}, not {}",
                        if expected == "1" { "" } else { "s" },
                        args.len()
                    ),
                )
                .label("wrong number of arguments")
                .help(signature(name)),
            );
            return mk(ExprKind::Missing, Type::Any);
        }
        if matches!(
            name,
            "points" | "tier" | "computed_tier" | "raw" | "smoothed"
        ) {
            return self.call_on_name(name, args, ctx, l);
        }
        self.call_on_values(name, function, args, within, ctx, l)
    }

    /// `points(metric)`, `tier(score)`, `raw(score)`, `smoothed(score)`:
    /// functions of a name rather than of a value (`N005` otherwise).
    fn call_on_name(&mut self, name: &str, args: &[ast::Expr], ctx: Ctx, l: Loc) -> Expr {
        let mk = |kind: ExprKind, ty: Type| Expr { kind, ty, loc: l };
        let Some(ast::Expr {
            kind: ast::ExprKind::Name(arg),
            ..
        }) = args.first()
        else {
            let span = args.first().map_or(l.span, |a| a.span);
            self.push(
                Diagnostic::new(
                    Code::N005,
                    ctx.file,
                    span,
                    format!(
                        "`{name}` takes the name of a {}",
                        if name == "points" { "metric" } else { "score" }
                    ),
                )
                .label("not a name")
                .help(signature(name)),
            );
            return mk(ExprKind::Missing, Type::Any);
        };
        if name == "points" {
            return match self.metric_ref(ctx.file, arg) {
                Some(m) => mk(ExprKind::Points(m), Type::Number),
                None => mk(ExprKind::Missing, Type::Any),
            };
        }
        let Some(score) = self.expect_symbol(ctx.file, arg, "score", |s| match s {
            Symbol::Score(id) => Some(id),
            _ => None,
        }) else {
            return mk(ExprKind::Missing, Type::Any);
        };
        match name {
            "raw" => mk(ExprKind::Score(score, ScoreStage::Raw), Type::Number),
            "smoothed" => mk(ExprKind::Score(score, ScoreStage::Smoothed), Type::Number),
            _ => match self
                .model
                .score(score)
                .and_then(|s| s.tiers.as_ref())
                .map(|t| t.labels)
            {
                Some(labels) if name == "computed_tier" => {
                    mk(ExprKind::ComputedTier(score), Type::Enum(labels))
                }
                Some(labels) => mk(ExprKind::Tier(score), Type::Enum(labels)),
                None => {
                    self.push(
                        Diagnostic::new(
                            Code::N005,
                            ctx.file,
                            arg.span,
                            format!("the score `{}` has no tiers", arg.name),
                        )
                        .label("no `tiers` block for this score")
                        .help(format!("add `tiers {} {{ … }}`", arg.name)),
                    );
                    mk(ExprKind::Missing, Type::Any)
                }
            },
        }
    }

    /// A function of values: each argument checked, then typed by the function.
    fn call_on_values(
        &mut self,
        name: &str,
        function: &ast::Ident,
        args: &[ast::Expr],
        within: &[ast::Ident],
        ctx: Ctx,
        l: Loc,
    ) -> Expr {
        let mk = |kind: ExprKind, ty: Type| Expr { kind, ty, loc: l };
        let checked: Vec<Expr> = args.iter().map(|a| self.expr(a, ctx)).collect();
        let history = matches!(
            name,
            "previous"
                | "change"
                | "pct_change"
                | "moving_average"
                | "trend"
                | "running_sum"
                | "running_count"
                | "running_min"
                | "running_max"
                | "periods_since"
                | "streak"
        );
        if history && !self.has_period {
            self.no_period(ctx.file, function.span, &format!("`{name}`"));
        }
        let first = checked
            .first()
            .cloned()
            .unwrap_or_else(|| placeholder_expr(l));
        match name {
            "previous" => {
                let ty = first.ty;
                mk(ExprKind::History(HistoryFn::Previous, Box::new(first)), ty)
            }
            "change" | "pct_change" => {
                self.expect_numeric(&first, &format!("`{name}`"));
                let f = if name == "change" {
                    HistoryFn::Change
                } else {
                    HistoryFn::PctChange
                };
                mk(ExprKind::History(f, Box::new(first)), Type::Number)
            }
            "moving_average" | "trend" => {
                self.expect_numeric(&first, &format!("`{name}`"));
                let n = self.constant_window(args.get(1), ctx, name).unwrap_or(1);
                let f = if name == "trend" {
                    HistoryFn::Trend(n)
                } else {
                    HistoryFn::MovingAverage(n)
                };
                mk(ExprKind::History(f, Box::new(first)), Type::Number)
            }
            "running_sum" => {
                self.expect_numeric(&first, "`running_sum`");
                mk(
                    ExprKind::History(HistoryFn::RunningSum, Box::new(first)),
                    Type::Number,
                )
            }
            "running_min" | "running_max" => {
                self.expect_numeric(&first, &format!("`{name}`"));
                let f = if name == "running_min" {
                    HistoryFn::RunningMin
                } else {
                    HistoryFn::RunningMax
                };
                // The least or greatest of whole numbers is a whole number.
                let ty = if first.ty == Type::Integer {
                    Type::Integer
                } else {
                    Type::Number
                };
                mk(ExprKind::History(f, Box::new(first)), ty)
            }
            "running_count" => mk(
                ExprKind::History(HistoryFn::RunningCount, Box::new(first)),
                Type::Integer,
            ),
            "periods_since" | "streak" => {
                self.expect_type(&first, Type::Bool, &format!("`{name}`"));
                let f = if name == "streak" {
                    HistoryFn::Streak
                } else {
                    HistoryFn::PeriodsSince
                };
                mk(ExprKind::History(f, Box::new(first)), Type::Integer)
            }
            "percentile" | "zscore" | "minmax" => {
                self.expect_numeric(&first, &format!("`{name}`"));
                let groups = self.within(ctx.file, within);
                let kind =
                    ast::Normalizer::from_keyword(name).unwrap_or(ast::Normalizer::Percentile);
                mk(
                    ExprKind::Population(kind, Box::new(first), groups),
                    Type::Number,
                )
            }
            "coalesce" => {
                let mut ty = Type::Any;
                for a in &checked {
                    ty = self.unify(ty, a, "the arguments of `coalesce`");
                }
                mk(ExprKind::Call(Function::Coalesce, checked), ty)
            }
            _ => self.call_numeric(name, args, checked, ctx, l),
        }
    }

    /// `min`, `max`, `clamp`, `abs`, `log`, `log10`, `sqrt`, `exp`, `round`,
    /// `floor`, `ceil`: numbers in, a number out (a whole number where the
    /// function keeps one; `T004` for digits of `round` that are not 0 to 9).
    fn call_numeric(
        &mut self,
        name: &str,
        args: &[ast::Expr],
        checked: Vec<Expr>,
        ctx: Ctx,
        l: Loc,
    ) -> Expr {
        let mk = |kind: ExprKind, ty: Type| Expr { kind, ty, loc: l };
        for a in &checked {
            self.expect_numeric(a, &format!("`{name}`"));
        }
        let f = match name {
            "min" => Function::Min,
            "max" => Function::Max,
            "clamp" => Function::Clamp,
            "abs" => Function::Abs,
            "log" => Function::Log,
            "log10" => Function::Log10,
            "sqrt" => Function::Sqrt,
            "exp" => Function::Exp,
            "round" => Function::Round,
            "floor" => Function::Floor,
            _ => Function::Ceil,
        };
        if f == Function::Round {
            if let Some(digits) = args.get(1) {
                let ok = matches!(&digits.kind, ast::ExprKind::Number(n) if n.value.fract() == 0.0 && (0.0..=9.0).contains(&n.value));
                if !ok {
                    self.push(
                        Diagnostic::new(
                            Code::T004,
                            ctx.file,
                            digits.span,
                            "the digits of `round` must be a whole number from 0 to 9",
                        )
                        .label("not a constant digit count")
                        .help("write `round(x, 2)`"),
                    );
                }
            }
        }
        let integer_result = matches!(f, Function::Round | Function::Floor | Function::Ceil)
            && args.len() == 1
            || (matches!(f, Function::Min | Function::Max | Function::Abs)
                && checked.iter().all(|a| a.ty == Type::Integer));
        mk(
            ExprKind::Call(f, checked),
            if integer_result {
                Type::Integer
            } else {
                Type::Number
            },
        )
    }

    pub(super) fn constant_window(
        &mut self,
        arg: Option<&ast::Expr>,
        ctx: Ctx,
        name: &str,
    ) -> Option<u32> {
        let arg = arg?;
        match &arg.kind {
            ast::ExprKind::Number(n)
                if n.value >= 1.0 && n.value.fract() == 0.0 && n.value <= MAX_WINDOW =>
            {
                Some(n.value as u32)
            }
            kind => {
                let (message, label) = match kind {
                    ast::ExprKind::Number(n) => (
                        format!(
                            "the window of `{name}` must be a whole number of periods from 1 to {}, not `{}`",
                            MAX_WINDOW_TEXT, n.text
                        ),
                        format!("not a whole number from 1 to {MAX_WINDOW_TEXT}"),
                    ),
                    _ => (
                        format!(
                            "the window of `{name}` must be a constant number of periods from 1 to {MAX_WINDOW_TEXT}"
                        ),
                        "not a constant".to_string(),
                    ),
                };
                self.push(
                    Diagnostic::new(Code::T004, ctx.file, arg.span, message)
                        .label(label)
                        .help(format!(
                            "write the number of periods, such as `{name}(x, 3)`; a window is at most {MAX_WINDOW_TEXT} periods"
                        )),
                );
                None
            }
        }
    }
}

pub(super) fn signature(name: &str) -> String {
    let s = match name {
        "min" | "max" => "min(a, b, …) / max(a, b, …)",
        "clamp" => "clamp(x, low, high)",
        "round" => "round(x) or round(x, digits)",
        "coalesce" => "coalesce(a, b, …): the first that is not missing",
        "moving_average" => "moving_average(x, periods)",
        "trend" => "trend(x, periods)",
        "percentile" | "zscore" | "minmax" => "percentile(x within column, …)",
        "points" => "points(metric)",
        "tier" => "tier(score)",
        "computed_tier" => "computed_tier(score)",
        "raw" => "raw(score)",
        "smoothed" => "smoothed(score)",
        "previous" => "previous(x)",
        "change" => "change(x)",
        "pct_change" => "pct_change(x)",
        "running_sum" => "running_sum(x)",
        "running_count" => "running_count(x)",
        "running_min" => "running_min(x)",
        "running_max" => "running_max(x)",
        "periods_since" => "periods_since(condition)",
        "streak" => "streak(condition)",
        _ => "f(x)",
    };
    format!("call it as `{s}`")
}
