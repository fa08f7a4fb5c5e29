//! An expression of the model in words: `deals_won / (deals_won + deals_lost)`
//! reads "`deals_won` divided by (`deals_won` plus `deals_lost`)".

use super::{Inline, Text};
use crate::model::format_number;
use crate::model::*;
use crate::syntax::ast::{BinOp, CmpOp, Normalizer, UnaryOp};

/// `e` in words; names are code pieces.
pub fn words(model: &Model, e: &Expr) -> Text {
    let mut out = Vec::new();
    write(model, e, 0, &mut out);
    Text(merge(out))
}

/// Adjacent plain pieces joined, so the writers see whole phrases.
fn merge(pieces: Vec<Inline>) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::new();
    for p in pieces {
        match (out.last_mut(), p) {
            (Some(Inline::Plain(a)), Inline::Plain(b)) => a.push_str(&b),
            (_, p) => out.push(p),
        }
    }
    out
}

fn plain(out: &mut Vec<Inline>, s: &str) {
    out.push(Inline::Plain(s.to_string()));
}

fn code(out: &mut Vec<Inline>, s: &str) {
    out.push(Inline::Code(s.to_string()));
}

fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary(op, ..) => op.precedence(),
        ExprKind::If { .. } => 0,
        ExprKind::In { .. } | ExprKind::IsMissing { .. } => BinOp::Cmp(CmpOp::Eq).precedence(),
        _ => u8::MAX,
    }
}

fn cmp_words(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => " is ",
        CmpOp::Ne => " is not ",
        CmpOp::Lt => " is below ",
        CmpOp::Le => " is at most ",
        CmpOp::Gt => " is above ",
        CmpOp::Ge => " is at least ",
    }
}

fn list(model: &Model, items: &[Expr], last: &str, out: &mut Vec<Inline>) {
    for (k, item) in items.iter().enumerate() {
        if k > 0 {
            plain(out, if k + 1 == items.len() { last } else { ", " });
        }
        write(model, item, u8::MAX, out);
    }
}

fn write(model: &Model, e: &Expr, min: u8, out: &mut Vec<Inline>) {
    let wrap = precedence(e) < min;
    if wrap {
        plain(out, "(");
    }
    let name = |n: Option<&str>| n.unwrap_or_default().to_string();
    match &e.kind {
        ExprKind::Number(x) => code(out, &format_number(*x)),
        ExprKind::Text(t) => code(out, &format!("\"{t}\"")),
        ExprKind::Bool(b) => code(out, if *b { "true" } else { "false" }),
        ExprKind::Missing => plain(out, "missing"),
        ExprKind::Label(t, l) => code(
            out,
            &name(
                model
                    .enum_type(*t)
                    .and_then(|t| t.labels.get(*l as usize))
                    .map(String::as_str),
            ),
        ),
        ExprKind::Column(c) => code(
            out,
            &name(model.contract.column(*c).map(|d| d.name.as_str())),
        ),
        ExprKind::Metric(m) => code(out, &name(model.metric(*m).map(|d| d.name.as_str()))),
        ExprKind::Points(m) => {
            plain(out, "the points ");
            code(out, &name(model.metric(*m).map(|d| d.name.as_str())));
            plain(out, " earns");
        }
        ExprKind::MetricValue => plain(out, "the metric's value"),
        ExprKind::Score(s, stage) => {
            plain(
                out,
                match stage {
                    ScoreStage::Raw => "the raw score ",
                    ScoreStage::Smoothed => "the smoothed score ",
                    ScoreStage::Reported => "",
                },
            );
            code(out, &name(model.score(*s).map(|d| d.name.as_str())));
        }
        ExprKind::Tier(s) => {
            plain(out, "the tier of ");
            code(out, &name(model.score(*s).map(|d| d.name.as_str())));
        }
        ExprKind::ComputedTier(s) => {
            plain(out, "the computed tier (before any override) of ");
            code(out, &name(model.score(*s).map(|d| d.name.as_str())));
        }
        ExprKind::Flag(f) => {
            code(out, &name(model.flag(*f).map(|d| d.name.as_str())));
            plain(out, " is raised");
        }
        ExprKind::Segment(s) => {
            plain(out, "the segment ");
            code(out, &name(model.segment(*s).map(|d| d.name.as_str())));
        }
        ExprKind::Builtin(b) => plain(
            out,
            match b {
                Builtin::PeriodsObserved => "the number of periods observed",
                Builtin::Tenure => "the periods since the partner's first period",
                Builtin::Actions => "the actions",
                Builtin::Flags => "the flags raised",
            },
        ),
        ExprKind::Unary(UnaryOp::Not, x) => {
            plain(out, "not ");
            write(model, x, u8::MAX, out);
        }
        ExprKind::Unary(UnaryOp::Neg, x) => {
            plain(out, "minus ");
            write(model, x, u8::MAX, out);
        }
        ExprKind::Binary(op, a, b) => {
            let p = op.precedence();
            write(model, a, p, out);
            plain(
                out,
                match op {
                    BinOp::Or => " or ",
                    BinOp::And => " and ",
                    BinOp::Cmp(c) => cmp_words(*c),
                    BinOp::Add => " plus ",
                    BinOp::Sub => " minus ",
                    BinOp::Mul => " times ",
                    BinOp::Div => " divided by ",
                },
            );
            // Left-associative: a right operand of the same strength keeps its parentheses.
            write(model, b, p.saturating_add(1), out);
        }
        ExprKind::In {
            value,
            set,
            negated,
        } => {
            write(model, value, u8::MAX, out);
            plain(
                out,
                if *negated {
                    " is none of "
                } else {
                    " is one of "
                },
            );
            list(model, set, ", ", out);
        }
        ExprKind::IsMissing { value, negated } => {
            write(model, value, u8::MAX, out);
            plain(
                out,
                if *negated {
                    " is not missing"
                } else {
                    " is missing"
                },
            );
        }
        ExprKind::If { arms, otherwise } => {
            for (k, (c, v)) in arms.iter().enumerate() {
                plain(out, if k == 0 { "if " } else { "; else if " });
                write(model, c, 0, out);
                plain(out, ", ");
                write(model, v, 0, out);
            }
            plain(out, "; otherwise ");
            write(model, otherwise, 0, out);
        }
        ExprKind::Call(f, args) => call(model, *f, args, out),
        ExprKind::History(h, x) => history(model, *h, x, out),
        ExprKind::Population(n, x, within) => {
            plain(
                out,
                match n {
                    Normalizer::Percentile => "the percentile rank of ",
                    Normalizer::MinMax => "the min-max position of ",
                    Normalizer::ZScore => "the z-score of ",
                },
            );
            write(model, x, u8::MAX, out);
            plain(out, " among partners of the same period");
            for (k, g) in within.iter().enumerate() {
                plain(out, if k == 0 { " with the same " } else { ", " });
                let n = match g {
                    GroupKey::Column(c) => model.contract.column(*c).map(|d| d.name.as_str()),
                    GroupKey::Segment(s) => model.segment(*s).map(|d| d.name.as_str()),
                };
                code(out, &name(n));
            }
        }
    }
    if wrap {
        plain(out, ")");
    }
}

fn call(model: &Model, f: Function, args: &[Expr], out: &mut Vec<Inline>) {
    let one = |lead: &str, out: &mut Vec<Inline>| {
        plain(out, lead);
        list(model, args, ", ", out);
    };
    match f {
        Function::Min => {
            plain(out, "the least of ");
            list(model, args, " and ", out);
        }
        Function::Max => {
            plain(out, "the greatest of ");
            list(model, args, " and ", out);
        }
        Function::Clamp => match args {
            [x, lo, hi] => {
                write(model, x, u8::MAX, out);
                plain(out, " kept between ");
                write(model, lo, u8::MAX, out);
                plain(out, " and ");
                write(model, hi, u8::MAX, out);
            }
            _ => one("clamp of ", out),
        },
        Function::Abs => one("the absolute value of ", out),
        Function::Log => one("the natural logarithm of ", out),
        Function::Log10 => one("the base-10 logarithm of ", out),
        Function::Sqrt => one("the square root of ", out),
        Function::Exp => one("e to the power of ", out),
        Function::Round => one("rounded ", out),
        Function::Floor => one("rounded down ", out),
        Function::Ceil => one("rounded up ", out),
        Function::Coalesce => {
            plain(out, "the first present of ");
            list(model, args, ", ", out);
        }
    }
}

fn history(model: &Model, h: HistoryFn, x: &Expr, out: &mut Vec<Inline>) {
    let before = |lead: &str, out: &mut Vec<Inline>| {
        plain(out, lead);
        write(model, x, u8::MAX, out);
    };
    match h {
        HistoryFn::Previous => {
            write(model, x, u8::MAX, out);
            plain(out, " in the previous period");
        }
        HistoryFn::Change => {
            before("the change in ", out);
            plain(out, " since the previous period");
        }
        HistoryFn::PctChange => {
            before("the change in ", out);
            plain(
                out,
                " since the previous period as a fraction of its previous value (2 = 200%)",
            );
        }
        HistoryFn::MovingAverage(n) => {
            before("the mean of ", out);
            plain(out, &format!(" over the last {n} periods"));
        }
        HistoryFn::Trend(n) => {
            before("the trend of ", out);
            plain(out, &format!(" over the last {n} periods"));
        }
        HistoryFn::RunningSum => {
            before("the sum of ", out);
            plain(out, " so far");
        }
        HistoryFn::RunningCount => {
            before("the number of periods so far with ", out);
            plain(out, " present");
        }
        HistoryFn::RunningMin => {
            before("the least ", out);
            plain(out, " so far");
        }
        HistoryFn::RunningMax => {
            before("the greatest ", out);
            plain(out, " so far");
        }
        HistoryFn::PeriodsSince => {
            plain(out, "the periods since ");
            write(model, x, 0, out);
            plain(out, " last held");
        }
        HistoryFn::Streak => {
            plain(out, "the periods in a row in which ");
            write(model, x, 0, out);
            plain(out, " held");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::check_text;
    use crate::source::SourceMap;

    fn said(condition: &str) -> String {
        let text = format!(
            "input {{\n  key id\n  period q\n  a: number\n  b: number\n  r: enum(x, y)\n}}\n\
             metric m {{\n  value a\n}}\n\
             rule t {{\n  when {condition}\n  action \"x\"\n}}\n"
        );
        let mut sources = SourceMap::new();
        let checked = check_text("t.scorecard", &text, &mut sources);
        let model = checked.model.unwrap_or_default();
        let Some(rule) = model.rules.first() else {
            return format!("{:?}", checked.diagnostics.iter().collect::<Vec<_>>());
        };
        words(&model, &rule.condition)
            .0
            .iter()
            .map(|p| match p {
                Inline::Plain(s) | Inline::Strong(s) => s.clone(),
                Inline::Code(s) => format!("`{s}`"),
                Inline::Link { name, .. } => format!("`{name}`"),
            })
            .collect()
    }

    #[test]
    fn grouping_survives_in_words() {
        assert_eq!(
            said("a / (a + b) > 0.5"),
            "`a` divided by (`a` plus `b`) is above `0.5`"
        );
        assert_eq!(
            said("a - (b - 1) < 2"),
            "`a` minus (`b` minus `1`) is below `2`"
        );
        assert_eq!(
            said("a - b - 1 < 2"),
            "`a` minus `b` minus `1` is below `2`"
        );
        assert_eq!(
            said("not (a > 1 and b > 1) or r == x"),
            "not (`a` is above `1` and `b` is above `1`) or `r` is `x`"
        );
    }

    #[test]
    fn history_and_percentages_say_what_they_compare() {
        assert_eq!(
            said("pct_change(a) > 200%"),
            "the change in `a` since the previous period as a fraction of its previous value (2 = 200%) is above `2`"
        );
        assert_eq!(
            said("max(a + 1, b) > log(a * 2)"),
            "the greatest of (`a` plus `1`) and `b` is above the natural logarithm of (`a` times `2`)"
        );
        assert_eq!(
            said("points(m) >= 75 and a is missing"),
            "the points `m` earns is at least `75` and `a` is missing"
        );
    }
}
