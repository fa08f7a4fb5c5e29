//! Expressions and literals as text, and how a long expression is wrapped.
//!
//! The printed tokens are the tokens of the source, in the same order: numbers
//! as written, strings with the same value, the user's parentheses. Only the
//! space between tokens changes, so the text parses back to the same tree.

use crate::syntax::ast::{BinOp, Expr, ExprKind, Label, Literal, LiteralKind, UnaryOp};

use super::printer::{INDENT, WIDTH};
use super::source::width;

/// A string literal with the value `value`: quotes, backslashes, line breaks and
/// tabs escaped.
pub fn string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

/// A label: a name or a number as written, or a quoted string.
pub fn label(l: &Label) -> String {
    if l.quoted {
        string(&l.text)
    } else {
        l.text.clone()
    }
}

/// Labels separated by `, `.
pub fn labels(ls: &[Label]) -> String {
    ls.iter().map(label).collect::<Vec<_>>().join(", ")
}

/// A constant of a test.
pub fn literal(l: &Literal) -> String {
    match &l.kind {
        LiteralKind::Number(n) => n.text.clone(),
        LiteralKind::Str(s) => string(s),
        LiteralKind::Bool(b) => b.to_string(),
        LiteralKind::Missing => "missing".to_string(),
        LiteralKind::Name(name) => name.clone(),
    }
}

/// The expression on one line.
pub fn flat(e: &Expr) -> String {
    let mut out = String::new();
    write(e, &mut out);
    out
}

fn write(e: &Expr, out: &mut String) {
    match &e.kind {
        ExprKind::Number(n) => out.push_str(&n.text),
        ExprKind::Str(s) => out.push_str(&string(s)),
        ExprKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ExprKind::Missing => out.push_str("missing"),
        ExprKind::Name(id) => out.push_str(&id.name),
        ExprKind::Paren(inner) => {
            out.push('(');
            write(inner, out);
            out.push(')');
        }
        ExprKind::Unary(op, inner) => {
            out.push_str(match op {
                UnaryOp::Not => "not ",
                UnaryOp::Neg => "-",
            });
            write(inner, out);
        }
        ExprKind::Binary(op, a, b) => {
            write(a, out);
            out.push(' ');
            out.push_str(op.symbol());
            out.push(' ');
            write(b, out);
        }
        ExprKind::In {
            value,
            set,
            negated,
        } => {
            write(value, out);
            out.push_str(if *negated { " not in [" } else { " in [" });
            list(set, out);
            out.push(']');
        }
        ExprKind::IsMissing { value, negated } => {
            write(value, out);
            out.push_str(if *negated {
                " is not missing"
            } else {
                " is missing"
            });
        }
        ExprKind::If { arms, otherwise } => {
            for (i, (condition, then)) in arms.iter().enumerate() {
                out.push_str(if i == 0 { "if " } else { " else if " });
                write(condition, out);
                out.push_str(" then ");
                write(then, out);
            }
            out.push_str(" else ");
            write(otherwise, out);
        }
        ExprKind::Call {
            function,
            args,
            within,
        } => {
            out.push_str(&function.name);
            out.push('(');
            list(args, out);
            if !within.is_empty() {
                out.push_str(" within ");
                let names: Vec<&str> = within.iter().map(|w| w.name.as_str()).collect();
                out.push_str(&names.join(", "));
            }
            out.push(')');
        }
    }
}

fn list(items: &[Expr], out: &mut String) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write(item, out);
    }
}

/// The operators at which a long expression is broken, loosest first.
fn breaks_at(op: BinOp) -> bool {
    matches!(op, BinOp::Or | BinOp::And | BinOp::Add | BinOp::Sub)
}

/// `e` as lines `(indent, text)`. The first line is what follows the clause's
/// keyword, at column `column`; its indent is not used. When the expression does
/// not fit within [`WIDTH`] (with `tail` columns after it), it is broken before
/// each operator of its loosest chain of `or`, `and`, or `+` and `-`, and an `if`
/// before each `else`; continuation lines start at `indent`. A part still too
/// long is broken the same way, two columns further in. Nothing inside
/// parentheses or a function's arguments is broken.
pub fn layout(e: &Expr, column: usize, indent: usize, tail: usize) -> Vec<(usize, String)> {
    let one_line = flat(e);
    if column + width(&one_line) + tail <= WIDTH {
        return vec![(0, one_line)];
    }
    match &e.kind {
        ExprKind::Binary(op, _, _) if breaks_at(*op) => {
            let (first, rest) = chain(e, op.precedence());
            let mut lines = layout(first, column, indent + INDENT, 0);
            for (op, operand) in rest {
                let symbol = op.symbol();
                let mut part =
                    layout(operand, indent + width(symbol) + 1, indent + INDENT, 0).into_iter();
                let head = part.next().map(|(_, text)| text).unwrap_or_default();
                lines.push((indent, format!("{symbol} {head}")));
                lines.extend(part);
            }
            lines
        }
        ExprKind::If { arms, otherwise } => {
            let mut lines = Vec::new();
            for (i, (condition, then)) in arms.iter().enumerate() {
                let text = format!(
                    "{}if {} then {}",
                    if i == 0 { "" } else { "else " },
                    flat(condition),
                    flat(then)
                );
                lines.push((if i == 0 { 0 } else { indent }, text));
            }
            lines.push((indent, format!("else {}", flat(otherwise))));
            lines
        }
        _ => vec![(0, one_line)],
    }
}

/// The operands of the chain of operators of one precedence that `e` heads:
/// `a - b + c` is `a`, then `- b` and `+ c`.
fn chain(e: &Expr, precedence: u8) -> (&Expr, Vec<(BinOp, &Expr)>) {
    let mut rest = Vec::new();
    let mut current = e;
    loop {
        match &current.kind {
            ExprKind::Binary(op, a, b) if op.precedence() == precedence => {
                rest.push((*op, &**b));
                current = a;
            }
            _ => break,
        }
    }
    rest.reverse();
    (current, rest)
}
