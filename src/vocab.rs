//! The vocabulary shared by every stage: operator and normalizer kinds.
//!
//! The parser builds them, the checked model carries them and the plan and
//! evaluator act on them; `syntax::ast` re-exports them, so stages below the
//! syntax tree never need to name it.

/// `==`, `!=`, `<`, `<=`, `>`, `>=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// Whether `a OP b` holds.
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
        }
    }
}

/// A population normalization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Normalizer {
    Percentile,
    MinMax,
    ZScore,
}

impl Normalizer {
    pub fn keyword(self) -> &'static str {
        match self {
            Normalizer::Percentile => "percentile",
            Normalizer::MinMax => "minmax",
            Normalizer::ZScore => "zscore",
        }
    }

    pub fn from_keyword(word: &str) -> Option<Normalizer> {
        match word {
            "percentile" => Some(Normalizer::Percentile),
            "minmax" => Some(Normalizer::MinMax),
            "zscore" => Some(Normalizer::ZScore),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Or,
    And,
    Cmp(CmpOp),
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Cmp(op) => op.symbol(),
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }

    /// Binding strength: higher binds tighter.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Cmp(_) => 4,
            BinOp::Add | BinOp::Sub => 5,
            BinOp::Mul | BinOp::Div => 6,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Not,
    Neg,
}

/// A state a test can expect of a value: `provisional`, `insufficient` or
/// `missing`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateWord {
    Provisional,
    Insufficient,
    Missing,
}

/// An interval as written in a band: `[0, 10)`, from its bounds' text.
pub fn interval(low: &str, low_closed: bool, high: &str, high_closed: bool) -> String {
    format!(
        "{}{low}, {high}{}",
        if low_closed { '[' } else { '(' },
        if high_closed { ']' } else { ')' }
    )
}
