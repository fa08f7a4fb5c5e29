//! Numbers written as text in SQL, exactly as `score` writes them.
//!
//! `score` rounds the exact stored value of a binary64 to `d` decimals, a
//! tie away from zero (`render::push_decimal`). Casting a double to a
//! decimal type rounds in binary64 in some engines and keeps 15 digits in
//! others, so the compiled SQL does what the renderer does, on whole
//! numbers: `|x| = m × 2^(e-52)` with `m` a 53-bit integer (found with
//! `ln`, corrected by two exact comparisons with powers of two, then one
//! exact multiplication by a power of two), and
//! `k = floor((m × 10^d + 2^(s-1)) / 2^s)` with `s = 52 - e`, in each
//! engine's exact wide integers: HUGEINT in DuckDB, NUMERIC in PostgreSQL,
//! DECIMAL(38, 0) in Spark. The text is then `k / 10^d`, `.`, and
//! `k mod 10^d` padded to `d` digits.

use super::Dialect;
use super::quote::{double_type, number, text_type};

/// Below 2^-70 a value rounds to 0 at any number of decimals allowed (19).
const TINY: f64 = 8.470_329_472_543_003e-22;

/// The exponent `e` with `2^e <= |x| < 2^(e+1)` (NULL for 0 and missing).
pub fn exponent(d: Dialect, x: &str) -> String {
    let two = number(d, 2.0);
    let e0 = format!("CAST(floor(ln(abs({x})) / ln({two})) AS INTEGER)");
    format!(
        "CASE WHEN {x} IS NULL OR {x} = 0 THEN NULL ELSE {e0} \
         - CASE WHEN power({two}, {e0}) > abs({x}) THEN 1 ELSE 0 END \
         + CASE WHEN power({two}, {e0} + 1) <= abs({x}) THEN 1 ELSE 0 END END"
    )
}

/// The wide-integer type of the dialect.
fn wide(d: Dialect) -> &'static str {
    match d {
        Dialect::DuckDb => "HUGEINT",
        Dialect::Postgres => "NUMERIC",
        Dialect::Spark => "DECIMAL(38, 0)",
    }
}

fn wide_int(d: Dialect, n: &str) -> String {
    format!("CAST({n} AS {})", wide(d))
}

/// 2^t as an exact wide integer, for `t` from 0 to 125.
fn two_to(d: Dialect, t: &str) -> String {
    match d {
        Dialect::DuckDb => format!("({} << ({t}))", wide_int(d, "1")),
        Dialect::Postgres => format!("power(CAST(2 AS NUMERIC), {t})"),
        Dialect::Spark => format!(
            "({} * {})",
            wide_int(d, &format!("shiftleft(1L, least({t}, 62))")),
            wide_int(d, &format!("shiftleft(1L, greatest({t} - 62, 0))"))
        ),
    }
}

/// Whole-number division of two wide integers.
fn quotient(d: Dialect, a: &str, b: &str) -> String {
    match d {
        Dialect::DuckDb => format!("(({a}) // ({b}))"),
        Dialect::Postgres => format!("div({a}, {b})"),
        // Spark's `div` gives a BIGINT, wrapping silently beyond 2^63; a
        // decimal division whose quotient is whole is exact, up to 10^32.
        Dialect::Spark => wide_int(d, &format!("(({a}) - (({a}) % ({b}))) / ({b})")),
    }
}

fn remainder(d: Dialect, a: &str, b: &str) -> String {
    match d {
        Dialect::DuckDb => format!("(({a}) % ({b}))"),
        Dialect::Postgres => format!("mod({a}, {b})"),
        Dialect::Spark => format!("(({a}) % ({b}))"),
    }
}

/// `|x| × 10^decimals` rounded half away from zero, exactly, as a wide
/// integer; `e` is the column holding [`exponent`] of `x`.
pub fn scaled(d: Dialect, x: &str, e: &str, decimals: u32) -> String {
    let unit = wide_int(d, &format!("1{}", "0".repeat(decimals as usize)));
    let m = wide_int(
        d,
        &format!(
            "CAST(abs({x}) * power({}, 52 - {e}) AS BIGINT)",
            number(d, 2.0)
        ),
    );
    let fraction = quotient(
        d,
        &format!("{m} * {unit} + {}", two_to(d, &format!("51 - {e}"))),
        &two_to(d, &format!("52 - {e}")),
    );
    let whole = match d {
        Dialect::Postgres => quotient(
            d,
            &format!("{m} * {} * {unit}", two_to(d, &format!("{e} - 52"))),
            "1",
        ),
        _ => format!("{m} * {} * {unit}", two_to(d, &format!("{e} - 52"))),
    };
    // Spark's decimal division keeps 32 digits before the point, and an
    // overflow is NULL where ANSI mode is off: beyond them, stop.
    let beyond = match d {
        Dialect::Spark => format!(
            " WHEN abs({x}) >= {} THEN {}",
            number(d, 10f64.powi(31 - decimals as i32)),
            wide_int(
                d,
                &format!(
                    "raise_error(concat('scorecard: a number is too large to write with {decimals} decimals in Spark: ', CAST({x} AS STRING)))"
                )
            )
        ),
        Dialect::DuckDb | Dialect::Postgres => String::new(),
    };
    format!(
        "CASE WHEN {x} IS NULL THEN NULL WHEN abs({x}) < {tiny} THEN {zero}{beyond} \
         WHEN {e} <= 51 THEN {fraction} ELSE {whole} END",
        tiny = number(d, TINY),
        zero = wide_int(d, "0"),
    )
}

/// The text of `x` with `decimals` decimals, given `k` ([`scaled`]);
/// `whole_only` writes a whole number without decimals (integer columns).
pub fn text(d: Dialect, x: &str, k: &str, decimals: u32, whole_only: bool) -> String {
    let t = text_type(d);
    let unit = wide_int(d, &format!("1{}", "0".repeat(decimals as usize)));
    let sign = format!("CASE WHEN {x} < 0 AND {k} > 0 THEN '-' ELSE '' END");
    // Spark: the digits of `k` split as text, which no division limits.
    let digits_of_k = format!("CAST({k} AS {t})");
    let int_part = match d {
        Dialect::Spark => format!(
            "CASE WHEN length({digits_of_k}) > {decimals} THEN substring({digits_of_k}, 1, length({digits_of_k}) - {decimals}) ELSE '0' END"
        ),
        _ => format!("CAST({} AS {t})", quotient(d, k, &unit)),
    };
    let digits = if decimals == 0 {
        format!("{sign} || {int_part}")
    } else {
        let frac = match d {
            Dialect::Spark => format!("lpad(right({digits_of_k}, {decimals}), {decimals}, '0')"),
            _ => format!(
                "lpad(CAST({} AS {t}), {decimals}, '0')",
                remainder(d, k, &unit)
            ),
        };
        format!("{sign} || {int_part} || '.' || {frac}")
    };
    if whole_only {
        format!("CASE WHEN {x} = floor({x}) THEN {sign} || {int_part} ELSE {digits} END")
    } else {
        digits
    }
}

/// Whether DuckDB's `format('{:.Nf}', x)` writes `x` as `score` does: below
/// 2^53 it writes the exact value rounded half to even, which differs only
/// on a tie, where `|x| × 2^(d+1)` is an odd whole number (a tie at `d`
/// decimals is `j / 2^(d+1)` with `j` odd). Exact: the scaling is by a power of two.
pub fn formats_exactly(x: &str, decimals: u32) -> String {
    let d = Dialect::DuckDb;
    let scaled = format!("(abs({x}) * {})", number(d, 2f64.powi(decimals as i32 + 1)));
    format!(
        "(abs({x}) < {limit} AND NOT ({scaled} = floor({scaled}) AND fmod({scaled}, {two}) = {one}))",
        limit = number(d, 9_007_199_254_740_992.0),
        two = number(d, 2.0),
        one = number(d, 1.0),
    )
}

/// The text of `x` with `decimals` decimals by DuckDB's `format`, where
/// [`formats_exactly`] holds; a value rounding to 0 is written without a sign.
pub fn formatted(x: &str, decimals: u32, whole_only: bool) -> String {
    let zero = |n: u32| {
        if n == 0 {
            "'0'".to_string()
        } else {
            format!("'0.{}'", "0".repeat(n as usize))
        }
    };
    let digits = format!(
        "CASE WHEN {} THEN {} ELSE format('{{:.{decimals}f}}', {x}) END",
        rounds_to_zero(x, decimals),
        zero(decimals)
    );
    if whole_only {
        format!(
            "CASE WHEN {x} = floor({x}) THEN CASE WHEN {x} = 0 THEN '0' ELSE format('{{:.0f}}', {x}) END \
             ELSE {digits} END"
        )
    } else {
        digits
    }
}

/// Whether `|x|` rounds to 0 at `decimals` decimals (half away from zero):
/// below one half of `10^-decimals`, compared with the double nearest it,
/// which is above or below the decimal (never equal, but for 0.5).
fn rounds_to_zero(x: &str, decimals: u32) -> String {
    let d = Dialect::DuckDb;
    let half: f64 = format!("5e-{}", decimals + 1).parse().unwrap_or(0.0);
    // The exact decimal expansion of the double, against 0.5 × 10^-decimals.
    let places = decimals as usize + 60;
    let exact = format!("{half:.places$}");
    let target = format!(
        "0.{}5{}",
        "0".repeat(decimals as usize),
        "0".repeat(places - decimals as usize - 1)
    );
    let op = if exact > target { "<" } else { "<=" };
    let op = if decimals == 0 { "<" } else { op };
    format!("abs({x}) {op} {}", number(d, half))
}

/// Whether a dialect's double type name is needed by callers (re-exported).
pub fn double(d: Dialect) -> &'static str {
    double_type(d)
}
