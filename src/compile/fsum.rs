//! The exact running sum (`running_sum`) in SQL: the steps of `score`'s
//! sum, written with the same binary64 operations in the same order, so
//! that every engine gives the same bits.
//!
//! `score` keeps the sum as Shewchuk's non-overlapping partials (the method
//! of Python's `math.fsum`): each value is added to the partials with
//! error-free two-sums, then the partials are rounded once, largest first,
//! with a correction when the rest pushes a halfway case one way. A step
//! that would leave binary64's range marks the sum as beyond range (missing)
//! from that row on. Here each step is an expression over a fold's state:
//! an array fold in DuckDB (`list_reduce`) and Spark (`aggregate`), a
//! recursive CTE in PostgreSQL. Whether `x + y` leaves the range is decided
//! by comparisons and exact steps only ([`overflows`]), so no engine is
//! asked for an infinity (PostgreSQL stops at one).

use super::Dialect;
use super::quote::{double_type, number};

/// How a dialect writes the arrays the folds carry.
pub struct Arrays {
    pub d: Dialect,
}

impl Arrays {
    /// An empty array of doubles.
    pub fn empty(&self) -> String {
        match self.d {
            Dialect::DuckDb => "CAST([] AS DOUBLE[])".to_string(),
            Dialect::Postgres => "CAST(ARRAY[] AS DOUBLE PRECISION[])".to_string(),
            Dialect::Spark => "CAST(array() AS ARRAY<DOUBLE>)".to_string(),
        }
    }

    /// `list` with `x` appended.
    pub fn append(&self, list: &str, x: &str) -> String {
        match self.d {
            Dialect::DuckDb => format!("list_append({list}, {x})"),
            Dialect::Postgres => format!("({list} || {x})"),
            Dialect::Spark => format!("concat({list}, array({x}))"),
        }
    }
}

/// Whether `x + y` (both finite) rounds beyond binary64's range: they have
/// the same sign and `|x| + |y|` is at least `MAX + 2^970` (halfway between
/// the largest double and 2^1024, which rounds up). With `g` the greater
/// magnitude, at least 2^1023, `MAX - g` is exact (Sterbenz) and so is
/// adding 2^970; below 2^1023 the sum is at most `MAX`.
pub fn overflows(d: Dialect, x: &str, y: &str) -> String {
    let zero = number(d, 0.0);
    let big = number(d, 2f64.powi(1023));
    let max = number(d, f64::MAX);
    let half = number(d, 2f64.powi(970));
    let g = format!("greatest(abs({x}), abs({y}), {big})");
    format!(
        "((({x} > {zero} AND {y} > {zero}) OR ({x} < {zero} AND {y} < {zero})) \
         AND greatest(abs({x}), abs({y})) >= {big} AND least(abs({x}), abs({y})) >= ({max} - {g}) + {half})"
    )
}

/// One step of adding a value to the partials: the state is the value
/// being added (`x`), the partials kept so far (`k`) and whether a step
/// left the range (`o`); `y` is the next partial, smallest first. Returns
/// the new `x`, `k` and `o`, as `score`'s `ExactSum::add` computes them:
/// `hi = x + y`, `lo = b - (hi - a)` with `a` the greater magnitude, `lo`
/// kept when it is not zero.
pub fn add_step(a: &Arrays, x: &str, k: &str, o: &str, y: &str) -> (String, String, String) {
    let d = a.d;
    let o1 = format!("({o} OR {})", overflows(d, x, y));
    let big = format!("CASE WHEN abs({x}) < abs({y}) THEN {y} ELSE {x} END");
    let small = format!("CASE WHEN abs({x}) < abs({y}) THEN {x} ELSE {y} END");
    let lo = format!("({small} - (({x} + {y}) - {big}))");
    let x1 = format!("CASE WHEN {o1} THEN {x} ELSE {x} + {y} END");
    let k1 = format!(
        "CASE WHEN {o1} THEN {k} WHEN {lo} <> {zero} THEN {} ELSE {k} END",
        a.append(k, &lo),
        zero = number(d, 0.0)
    );
    (x1, k1, o1)
}

/// The partials once the value `x` has gone through them all: `x` appended
/// to those kept, none when a step left the range.
pub fn add_done(a: &Arrays, x: &str, k: &str, o: &str) -> String {
    format!(
        "CASE WHEN {o} THEN {} ELSE {} END",
        a.empty(),
        a.append(k, x)
    )
}

/// The state of rounding the partials, largest first: the sum so far `h`
/// (NULL before the first partial), the part `l` lost by the last step, the
/// stage `st` (0 adding, 1 a step was inexact, 2 the next partial is read)
/// with that next partial `nx`, and `ov` when a step left the range.
pub struct Rounding {
    pub h: String,
    pub l: String,
    pub st: String,
    pub nx: String,
    pub ov: String,
}

impl Rounding {
    /// The state's fields under a prefix such as `r.`.
    pub fn fields(prefix: &str) -> Self {
        Rounding {
            h: format!("{prefix}h"),
            l: format!("{prefix}l"),
            st: format!("{prefix}st"),
            nx: format!("{prefix}nx"),
            ov: format!("{prefix}ov"),
        }
    }
}

/// The initial rounding state, in the order h, l, st, nx, ov.
pub fn round_start(d: Dialect) -> [String; 5] {
    let dbl = double_type(d);
    [
        format!("CAST(NULL AS {dbl})"),
        number(d, 0.0),
        "0".to_string(),
        number(d, 0.0),
        "FALSE".to_string(),
    ]
}

/// One step of rounding with the next partial `y` (largest first), as
/// `score`'s `ExactSum::value`: add while the sum is exact; on the first
/// inexact step keep what was lost, then read one more partial.
pub fn round_step(d: Dialect, s: &Rounding, y: &str) -> [String; 5] {
    let Rounding { h, l, st, nx, ov } = s;
    let first = format!("{h} IS NULL");
    let adding = format!("({st} = 0 AND NOT {first})");
    let over = overflows(d, h, y);
    let hi = format!("({h} + {y})");
    let lo = format!("({y} - ({hi} - {h}))");
    let zero = number(d, 0.0);
    [
        format!("CASE WHEN {first} THEN {y} WHEN {adding} AND NOT {over} THEN {hi} ELSE {h} END"),
        format!("CASE WHEN {adding} AND NOT {over} THEN {lo} ELSE {l} END"),
        format!(
            "CASE WHEN {first} THEN 0 WHEN {adding} THEN \
             (CASE WHEN {over} THEN 2 WHEN {lo} <> {zero} THEN 1 ELSE 0 END) ELSE 2 END"
        ),
        format!("CASE WHEN {st} = 1 THEN {y} ELSE {nx} END"),
        format!("({ov} OR ({adding} AND {over}))"),
    ]
}

/// The rounded sum from the final rounding state: missing when a step left
/// the range; when the partials below the inexact step are of the sign of
/// what it lost, the sum is past the halfway point: `h + 2l` is taken when
/// that step is exact (the rounding went the other way), as `score` does.
pub fn round_done(d: Dialect, s: &Rounding) -> String {
    let Rounding { h, l, st, nx, ov } = s;
    let zero = number(d, 0.0);
    let two = number(d, 2.0);
    let y = format!("({l} * {two})");
    // Nested, so that PostgreSQL computes `h + y` only where it is in range.
    format!(
        "CASE WHEN {ov} THEN CAST(NULL AS {dbl}) \
         WHEN {st} = 2 AND (({l} < {zero} AND {nx} < {zero}) OR ({l} > {zero} AND {nx} > {zero})) THEN \
         (CASE WHEN {over} THEN {h} WHEN {y} = (({h} + {y}) - {h}) THEN {h} + {y} ELSE {h} END) \
         ELSE {h} END",
        dbl = double_type(d),
        over = overflows(d, h, &y),
    )
}
