//! Expressions: conditions, operators and names, each typed as it is
//! resolved; a name that does not resolve becomes a missing value of type
//! `Any`, so one mistake is reported once.
//!
//! Raises: `N003`, `N005`, `N006`, `T003`.

use super::state::*;
use crate::diag::fuzzy;
use crate::diag::{Code, Diagnostic};
use crate::model::*;
use crate::syntax::ast::{self, BinOp, CmpOp, UnaryOp};

impl<'p> Resolver<'p> {
    pub(super) fn condition(&mut self, e: &ast::Expr, ctx: Ctx, what: &str) -> Expr {
        let out = self.expr(e, ctx);
        if !matches!(out.ty, Type::Bool | Type::Any) {
            let got = self.type_name(out.ty);
            self.push(
                Diagnostic::new(
                    Code::T003,
                    ctx.file,
                    e.span,
                    format!("the condition of {what} is {got}, not true or false"),
                )
                .label("not a condition")
                .help("compare it with something, such as `revenue > 0`"),
            );
        }
        out
    }

    pub(super) fn expr(&mut self, e: &ast::Expr, ctx: Ctx) -> Expr {
        let l = loc(ctx.file, e.span);
        let mk = |kind: ExprKind, ty: Type| Expr { kind, ty, loc: l };
        match &e.kind {
            ast::ExprKind::Number(n) => mk(
                ExprKind::Number(n.value),
                if n.value.fract() == 0.0 && !n.is_percent() && !n.text.contains(['.', 'e', 'E']) {
                    Type::Integer
                } else {
                    Type::Number
                },
            ),
            ast::ExprKind::Str(s) => mk(ExprKind::Text(s.clone()), Type::Text),
            ast::ExprKind::Bool(b) => mk(ExprKind::Bool(*b), Type::Bool),
            ast::ExprKind::Missing => mk(ExprKind::Missing, Type::Any),
            ast::ExprKind::Name(ident) => self.name(ident, ctx),
            ast::ExprKind::Paren(inner) => {
                let inner = self.expr(inner, ctx);
                Expr { loc: l, ..inner }
            }
            ast::ExprKind::Unary(op, inner) => {
                let inner = self.expr(inner, ctx);
                let ty = match op {
                    UnaryOp::Not => {
                        self.expect_type(&inner, Type::Bool, "`not`");
                        Type::Bool
                    }
                    UnaryOp::Neg => {
                        self.expect_numeric(&inner, "`-`");
                        if inner.ty == Type::Integer {
                            Type::Integer
                        } else {
                            Type::Number
                        }
                    }
                };
                mk(ExprKind::Unary(*op, Box::new(inner)), ty)
            }
            ast::ExprKind::Binary(op, a, b) => self.binary(*op, a, b, ctx, l),
            ast::ExprKind::In {
                value,
                set,
                negated,
            } => {
                let value = self.expr(value, ctx);
                let set: Vec<Expr> = set
                    .iter()
                    .map(|x| self.operand_like(x, value.ty, ctx))
                    .collect();
                for x in &set {
                    self.compatible(&value, x, "`in`");
                }
                mk(
                    ExprKind::In {
                        value: Box::new(value),
                        set,
                        negated: *negated,
                    },
                    Type::Bool,
                )
            }
            ast::ExprKind::IsMissing { value, negated } => {
                let value = self.expr(value, ctx);
                mk(
                    ExprKind::IsMissing {
                        value: Box::new(value),
                        negated: *negated,
                    },
                    Type::Bool,
                )
            }
            ast::ExprKind::If { arms, otherwise } => {
                let mut out_arms = Vec::new();
                let mut ty = Type::Any;
                for (c, v) in arms {
                    let c = self.condition(c, ctx, "`if`");
                    let v = self.expr(v, ctx);
                    ty = self.unify(ty, &v, "the branches of `if`");
                    out_arms.push((c, v));
                }
                let otherwise = self.expr(otherwise, ctx);
                ty = self.unify(ty, &otherwise, "the branches of `if`");
                mk(
                    ExprKind::If {
                        arms: out_arms,
                        otherwise: Box::new(otherwise),
                    },
                    ty,
                )
            }
            ast::ExprKind::Call {
                function,
                args,
                within,
            } => self.call(function, args, within, ctx, l),
        }
    }

    /// Check `e` where a value of type `like` is expected: a bare name that is
    /// one of an enum's labels is that label.
    pub(super) fn operand_like(&mut self, e: &ast::Expr, like: Type, ctx: Ctx) -> Expr {
        let l = loc(ctx.file, e.span);
        if let (ast::ExprKind::Name(ident), Type::Enum(enum_id)) = (&e.kind, like) {
            if let Some(i) = self
                .model
                .enum_type(enum_id)
                .and_then(|t| t.label_index(&ident.name))
            {
                return Expr {
                    kind: ExprKind::Label(enum_id, i),
                    ty: like,
                    loc: l,
                };
            }
            if !self.symbols.contains_key(&ident.name)
                && !BUILTINS.iter().any(|(n, _)| *n == ident.name)
            {
                let labels = self
                    .model
                    .enum_type(enum_id)
                    .map(|t| t.labels.clone())
                    .unwrap_or_default();
                let help = match fuzzy::closest(&ident.name, labels.iter().map(String::as_str)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("the labels are: {}", labels.join(", ")),
                };
                let enum_name = self
                    .model
                    .enum_type(enum_id)
                    .map(|t| t.name.clone())
                    .unwrap_or_default();
                self.push(
                    Diagnostic::new(
                        Code::N003,
                        ctx.file,
                        ident.span,
                        format!("`{}` is not a label of `{enum_name}`", ident.name),
                    )
                    .label("unknown label")
                    .help(help),
                );
                return Expr {
                    kind: ExprKind::Missing,
                    ty: Type::Any,
                    loc: l,
                };
            }
        }
        if let (ast::ExprKind::Str(s), Type::Enum(enum_id)) = (&e.kind, like) {
            match self.model.enum_type(enum_id).and_then(|t| t.label_index(s)) {
                Some(i) => {
                    return Expr {
                        kind: ExprKind::Label(enum_id, i),
                        ty: like,
                        loc: l,
                    };
                }
                None => {
                    let labels = self
                        .model
                        .enum_type(enum_id)
                        .map(|t| t.labels.clone())
                        .unwrap_or_default();
                    let enum_name = self
                        .model
                        .enum_type(enum_id)
                        .map(|t| t.name.clone())
                        .unwrap_or_default();
                    let help = match fuzzy::closest(s, labels.iter().map(String::as_str)) {
                        Some(x) => format!("did you mean `{x}`?"),
                        None => format!("the labels are: {}", labels.join(", ")),
                    };
                    self.push(
                        Diagnostic::new(
                            Code::N003,
                            ctx.file,
                            e.span,
                            format!("{s:?} is not a label of `{enum_name}`"),
                        )
                        .label("unknown label")
                        .help(help),
                    );
                    return Expr {
                        kind: ExprKind::Missing,
                        ty: Type::Any,
                        loc: l,
                    };
                }
            }
        }
        self.expr(e, ctx)
    }

    pub(super) fn binary(
        &mut self,
        op: BinOp,
        a: &ast::Expr,
        b: &ast::Expr,
        ctx: Ctx,
        l: Loc,
    ) -> Expr {
        let (a, b) = match op {
            BinOp::Cmp(_) => {
                // A bare label on either side takes its meaning from the other.
                let left_is_label_like = matches!(&a.kind, ast::ExprKind::Name(i) if !self.symbols.contains_key(&i.name) && !BUILTINS.iter().any(|(n, _)| *n == i.name));
                if left_is_label_like {
                    let b = self.expr(b, ctx);
                    let a = self.operand_like(a, b.ty, ctx);
                    (a, b)
                } else {
                    let a = self.expr(a, ctx);
                    let b = self.operand_like(b, a.ty, ctx);
                    (a, b)
                }
            }
            _ => (self.expr(a, ctx), self.expr(b, ctx)),
        };
        let ty = match op {
            BinOp::And | BinOp::Or => {
                self.expect_type(&a, Type::Bool, &format!("`{}`", op.symbol()));
                self.expect_type(&b, Type::Bool, &format!("`{}`", op.symbol()));
                Type::Bool
            }
            BinOp::Cmp(cmp) => {
                if matches!(cmp, CmpOp::Eq | CmpOp::Ne) {
                    self.compatible(&a, &b, &format!("`{}`", cmp.symbol()));
                } else if !(a.ty == Type::Text && b.ty == Type::Text) {
                    self.expect_numeric(&a, &format!("`{}`", cmp.symbol()));
                    self.expect_numeric(&b, &format!("`{}`", cmp.symbol()));
                }
                Type::Bool
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                self.expect_numeric(&a, &format!("`{}`", op.symbol()));
                self.expect_numeric(&b, &format!("`{}`", op.symbol()));
                if a.ty == Type::Integer && b.ty == Type::Integer && op != BinOp::Div {
                    Type::Integer
                } else {
                    Type::Number
                }
            }
        };
        Expr {
            kind: ExprKind::Binary(op, Box::new(a), Box::new(b)),
            ty,
            loc: l,
        }
    }

    pub(super) fn name(&mut self, ident: &ast::Ident, ctx: Ctx) -> Expr {
        let l = loc(ctx.file, ident.span);
        let mk = |kind: ExprKind, ty: Type| Expr { kind, ty, loc: l };
        if ident.name == "value" {
            if let Some(metric) = ctx.points_of {
                return mk(ExprKind::MetricValue, self.metric_value_type(metric));
            }
        }
        match self.symbols.get(&ident.name).copied() {
            Some((Symbol::Column(c), _)) => {
                let ty = self.model.contract.column(c).map_or(Type::Any, |c| c.ty);
                mk(ExprKind::Column(c), ty)
            }
            Some((Symbol::Metric(m), _))
                if self.shadowed_columns.contains_key(&ident.name)
                    && (self.value_of == Some(m) || ctx.points_of == Some(m)) =>
            {
                let column = self.shadowed_columns.get(&ident.name).copied();
                match column {
                    // Inside its own `value`, a metric's name is the column it scores.
                    Some(c) if self.value_of == Some(m) => {
                        let ty = self.model.contract.column(c).map_or(Type::Any, |c| c.ty);
                        mk(ExprKind::Column(c), ty)
                    }
                    _ => {
                        self.push(
                            Diagnostic::new(
                                Code::N006,
                                ctx.file,
                                ident.span,
                                format!(
                                    "`{}` is both this metric and the column it scores",
                                    ident.name
                                ),
                            )
                            .label("the metric or the column?")
                            .help("write `value` for the metric's value; the column is read in the metric's `value` clause"),
                        );
                        mk(ExprKind::Missing, Type::Any)
                    }
                }
            }
            Some((Symbol::Metric(m), _)) => {
                let ty = self.metric_value_type(m);
                let in_cycle = self.metric_state.get(m.index()) == Some(&ValueState::Resolving);
                // A metric met inside its own value is a cycle (S001): `Any` adds no
                // error of its own. A value without a type counts as a number.
                let ty = if ty == Type::Any && !in_cycle {
                    Type::Number
                } else {
                    ty
                };
                mk(ExprKind::Metric(m), ty)
            }
            Some((Symbol::Score(s), _)) => {
                mk(ExprKind::Score(s, ScoreStage::Reported), Type::Number)
            }
            Some((Symbol::Flag(f), _)) => mk(ExprKind::Flag(f), Type::Bool),
            Some((Symbol::Segment(s), _)) => {
                let ty = self
                    .model
                    .segment(s)
                    .map_or(Type::Any, |d| Type::Enum(d.labels));
                mk(ExprKind::Segment(s), ty)
            }
            Some((Symbol::Rule(_), _)) => {
                self.push(
                    Diagnostic::new(
                        Code::N005,
                        ctx.file,
                        ident.span,
                        format!("`{}` is a rule; rules have no value", ident.name),
                    )
                    .label("a rule")
                    .help("test for its action instead: `actions contains \"…\"`"),
                );
                mk(ExprKind::Missing, Type::Any)
            }
            None => {
                if let Some((_, b)) = BUILTINS.iter().find(|(n, _)| *n == ident.name) {
                    let ty = match b {
                        Builtin::PeriodsObserved | Builtin::Tenure => {
                            if !self.has_period {
                                self.no_period(ctx.file, ident.span, &format!("`{}`", ident.name));
                            }
                            Type::Integer
                        }
                        Builtin::Actions | Builtin::Flags => Type::List,
                    };
                    return mk(ExprKind::Builtin(*b), ty);
                }
                let mut candidates: Vec<String> = self.symbols.keys().cloned().collect();
                candidates.extend(BUILTINS.iter().map(|(n, _)| n.to_string()));
                self.unknown_name(ctx.file, ident, "name", &candidates);
                mk(ExprKind::Missing, Type::Any)
            }
        }
    }
}
