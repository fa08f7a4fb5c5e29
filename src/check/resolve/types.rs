//! Types: the names of types in messages, and the checks that an expression
//! has the type its place needs.
//!
//! Raises: `T001`.

use super::state::*;
use crate::diag::{Code, Diagnostic};
use crate::model::*;

impl<'p> Resolver<'p> {
    pub(crate) fn type_name(&self, ty: Type) -> String {
        match ty {
            Type::Number => "a number".into(),
            Type::Integer => "a whole number".into(),
            Type::Bool => "true or false".into(),
            Type::Text => "text".into(),
            Type::Enum(e) => match self.model.enum_type(e) {
                Some(t) => format!("a label of `{}`", t.name),
                None => "a label".into(),
            },
            Type::List => "a list".into(),
            Type::Any => "any value".into(),
        }
    }

    pub(super) fn require_number(&mut self, e: &Expr, what: &str) {
        if !e.ty.is_numeric() {
            let got = self.type_name(e.ty);
            self.push(
                Diagnostic::new(
                    Code::T001,
                    e.loc.file,
                    e.loc.span,
                    format!("{what} must be a number, but this is {got}"),
                )
                .label("not a number")
                .help("compute a number here"),
            );
        }
    }

    pub(super) fn expect_type(&mut self, e: &Expr, want: Type, what: &str) {
        if e.ty != want && e.ty != Type::Any {
            let got = self.type_name(e.ty);
            let want_name = self.type_name(want);
            self.push(
                Diagnostic::new(
                    Code::T001,
                    e.loc.file,
                    e.loc.span,
                    format!("{what} needs {want_name}, but this is {got}"),
                )
                .label(got.to_string())
                .help(format!("give {want_name} here")),
            );
        }
    }

    pub(super) fn expect_numeric(&mut self, e: &Expr, what: &str) {
        if !e.ty.is_numeric() {
            let got = self.type_name(e.ty);
            self.push(
                Diagnostic::new(
                    Code::T001,
                    e.loc.file,
                    e.loc.span,
                    format!("{what} needs a number, but this is {got}"),
                )
                .label(got)
                .help("use a number here"),
            );
        }
    }

    pub(super) fn compatible(&mut self, a: &Expr, b: &Expr, what: &str) {
        let ok = match (a.ty, b.ty) {
            (Type::Any, _) | (_, Type::Any) => true,
            (x, y) if x.is_numeric() && y.is_numeric() => true,
            (Type::Enum(x), Type::Enum(y)) => x == y,
            (Type::Enum(_), Type::Text) | (Type::Text, Type::Enum(_)) => true,
            (x, y) => x == y,
        };
        if !ok {
            let (an, bn) = (self.type_name(a.ty), self.type_name(b.ty));
            self.push(
                Diagnostic::new(
                    Code::T001,
                    b.loc.file,
                    a.loc.span.to(b.loc.span),
                    format!("{what} compares {an} with {bn}"),
                )
                .label("these cannot be equal")
                .help("compare values of the same kind"),
            );
        }
    }

    pub(super) fn unify(&mut self, so_far: Type, e: &Expr, what: &str) -> Type {
        match (so_far, e.ty) {
            (Type::Any, t) | (t, Type::Any) => t,
            (Type::Integer, Type::Integer) => Type::Integer,
            (x, y) if x.is_numeric() && y.is_numeric() => Type::Number,
            (x, y) if x == y => x,
            (x, y) => {
                let (xn, yn) = (self.type_name(x), self.type_name(y));
                self.push(
                    Diagnostic::new(
                        Code::T001,
                        e.loc.file,
                        e.loc.span,
                        format!("{what} mix {xn} and {yn}"),
                    )
                    .label(yn)
                    .help("every branch must give the same kind of value"),
                );
                x
            }
        }
    }
}
