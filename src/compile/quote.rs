//! Identifiers, literals and type names, written for each dialect.

use super::Dialect;

/// A quoted identifier: any name (a keyword, a quote inside) is safe.
pub fn ident(d: Dialect, name: &str) -> String {
    match d {
        Dialect::DuckDb | Dialect::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
        Dialect::Spark => format!("`{}`", name.replace('`', "``")),
    }
}

/// A text literal. Spark reads backslashes in literals as escapes.
pub fn text(d: Dialect, value: &str) -> String {
    match d {
        Dialect::DuckDb | Dialect::Postgres => format!("'{}'", value.replace('\'', "''")),
        Dialect::Spark => format!(
            "'{}'",
            value
                .replace('\\', "\\\\")
                .replace('\'', "\\'")
                .replace('\n', "\\n")
                .replace('\r', "\\r")
        ),
    }
}

pub fn double_type(d: Dialect) -> &'static str {
    match d {
        Dialect::Postgres => "DOUBLE PRECISION",
        Dialect::DuckDb | Dialect::Spark => "DOUBLE",
    }
}

pub fn text_type(d: Dialect) -> &'static str {
    match d {
        Dialect::DuckDb => "VARCHAR",
        Dialect::Postgres => "TEXT",
        Dialect::Spark => "STRING",
    }
}

/// A binary64 literal that every engine reads as exactly this number: the
/// shortest decimal that rounds to it, parsed as a double (a plain `0.1`
/// would be a decimal in each of them).
pub fn number(d: Dialect, x: f64) -> String {
    if x.is_nan() {
        return format!("CAST(NULL AS {})", double_type(d));
    }
    if x.fract() == 0.0 && x.abs() < 1e15 {
        if x == 0.0 && x.is_sign_negative() {
            return format!("CAST('-0' AS {})", double_type(d));
        }
        return format!("CAST({} AS {})", x as i64, double_type(d));
    }
    format!("CAST('{x:e}' AS {})", double_type(d))
}

/// Text compared or ordered byte by byte, as the engine compares it.
pub fn bytewise(d: Dialect, sql: &str) -> String {
    match d {
        Dialect::Postgres => format!("({sql} COLLATE \"C\")"),
        Dialect::DuckDb | Dialect::Spark => sql.to_string(),
    }
}
