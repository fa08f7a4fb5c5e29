//! Constant folding of conditions, for lints: which conditions never change.

use crate::model::{Expr, ExprKind};
use crate::syntax::ast::{BinOp, UnaryOp};

/// A constant value an expression always has.
#[derive(Clone, Debug, PartialEq)]
enum Const {
    Number(f64),
    Bool(bool),
    Text(String),
    Label(u32, u32),
}

/// The truth value `e` always has, if it reads no input.
pub fn fold_bool(e: &Expr) -> Option<bool> {
    match fold(e)? {
        Const::Bool(b) => Some(b),
        _ => None,
    }
}

fn fold(e: &Expr) -> Option<Const> {
    Some(match &e.kind {
        ExprKind::Number(n) => Const::Number(*n),
        ExprKind::Bool(b) => Const::Bool(*b),
        ExprKind::Text(t) => Const::Text(t.clone()),
        ExprKind::Label(e, i) => Const::Label(e.0, *i),
        ExprKind::Unary(UnaryOp::Not, x) => match fold(x)? {
            Const::Bool(b) => Const::Bool(!b),
            _ => return None,
        },
        ExprKind::Unary(UnaryOp::Neg, x) => match fold(x)? {
            Const::Number(n) => Const::Number(-n),
            _ => return None,
        },
        ExprKind::Binary(op, a, b) => {
            // `x and false` is false whatever x is; `x or true` is true.
            if matches!(op, BinOp::And | BinOp::Or) {
                let (fa, fb) = (fold(a), fold(b));
                let absorbing = matches!(op, BinOp::Or);
                if fa == Some(Const::Bool(absorbing)) || fb == Some(Const::Bool(absorbing)) {
                    return Some(Const::Bool(absorbing));
                }
                return match (fa?, fb?) {
                    (Const::Bool(x), Const::Bool(y)) => {
                        Some(Const::Bool(if absorbing { x || y } else { x && y }))
                    }
                    _ => None,
                };
            }
            let (a, b) = (fold(a)?, fold(b)?);
            match (op, a, b) {
                (BinOp::Cmp(c), Const::Number(x), Const::Number(y)) => Const::Bool(c.holds(x, y)),
                (BinOp::Cmp(c), x, y)
                    if matches!(
                        c,
                        crate::syntax::ast::CmpOp::Eq | crate::syntax::ast::CmpOp::Ne
                    ) =>
                {
                    Const::Bool((x == y) == matches!(c, crate::syntax::ast::CmpOp::Eq))
                }
                (BinOp::Add, Const::Number(x), Const::Number(y)) => Const::Number(x + y),
                (BinOp::Sub, Const::Number(x), Const::Number(y)) => Const::Number(x - y),
                (BinOp::Mul, Const::Number(x), Const::Number(y)) => Const::Number(x * y),
                (BinOp::Div, Const::Number(x), Const::Number(y)) if y != 0.0 => {
                    Const::Number(x / y)
                }
                _ => return None,
            }
        }
        ExprKind::In {
            value,
            set,
            negated,
        } => {
            let v = fold(value)?;
            let mut members = Vec::new();
            for s in set {
                members.push(fold(s)?);
            }
            Const::Bool(members.contains(&v) != *negated)
        }
        _ => return None,
    })
}
