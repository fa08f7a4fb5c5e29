//! Compile a scorecard to SQL for DuckDB, PostgreSQL or Spark.
//!
//! The SQL reads the checked model and its plan (never the syntax tree) and
//! computes what `score --format csv` writes, cell for cell: one CTE per
//! stage — the input contract, each segment, metric, population or history
//! function, score stage, flag and rule — then the output cells as text,
//! numbers rounded as the renderer rounds them ([`numbers`]). What cannot be
//! written exactly for a dialect is refused with a diagnostic (`S050`),
//! never written approximately.

pub mod expr;
mod fsum;
pub mod numbers;
pub mod quote;
mod stages;

use crate::diag::{Code, Diagnostic};
use crate::model::{Loc, Model};
use crate::plan::Plan;

/// The engine the SQL is written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    DuckDb,
    Postgres,
    Spark,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::DuckDb => "DuckDB",
            Dialect::Postgres => "PostgreSQL",
            Dialect::Spark => "Spark",
        }
    }
}

/// Which rows the query returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    /// Each partner's latest row.
    Latest,
    All,
}

/// What to compile.
#[derive(Clone, Debug)]
pub struct Options {
    pub dialect: Dialect,
    /// The input table (or, for DuckDB, any table expression such as `read_csv('x.csv')`).
    pub from: String,
    pub period: Period,
}

/// A construct that cannot be written exactly: what it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    pub construct: String,
}

impl Refusal {
    pub fn new(construct: &str) -> Self {
        Refusal {
            construct: construct.to_string(),
        }
    }
}

/// The query that scores the rows, or the diagnostics of what it cannot express.
pub fn scores(model: &Model, plan: &Plan, options: &Options) -> Result<String, Vec<Diagnostic>> {
    stages::Builder::new(model, plan, options).scores()
}

/// The query that lists the rows breaking the input contract: key, period,
/// column and reason, one line per broken rule.
pub fn rejects(model: &Model, options: &Options) -> String {
    stages::rejects(model, options)
}

/// `CREATE TABLE` for a table holding the input contract's columns.
pub fn table_ddl(model: &Model, dialect: Dialect, table: &str) -> String {
    stages::table_ddl(model, dialect, table)
}

/// The diagnostic for a refused construct, at the declaration that holds it.
pub(crate) fn refused(refusal: &Refusal, dialect: Dialect, loc: Loc, owner: &str) -> Diagnostic {
    Diagnostic::new(
        Code::S050,
        loc.file,
        loc.span,
        format!(
            "{} in {owner} cannot be written exactly in {} SQL",
            refusal.construct,
            dialect.name()
        ),
    )
    .label("not expressible exactly in SQL")
    .help(format!(
        "score with `scorecard score`, or compile for another engine; see docs/sql.md for what each engine supports ({})",
        dialect.name()
    ))
}

/// The names of the columns the stages add.
pub mod names {
    use crate::model::{FlagId, MetricId, Model, RuleId, ScoreId, SegmentId};

    pub const POSITION: &str = "#position";
    pub const LATEST: &str = "#latest";

    pub fn metric(model: &Model, m: MetricId, part: &str) -> String {
        let name = model.metric(m).map_or("?", |d| d.name.as_str());
        format!("{name}.{part}")
    }

    pub fn score(model: &Model, s: ScoreId, part: &str) -> String {
        let name = model.score(s).map_or("?", |d| d.name.as_str());
        format!("{name}.{part}")
    }

    pub fn segment(model: &Model, s: SegmentId) -> String {
        let name = model.segment(s).map_or("?", |d| d.name.as_str());
        format!("segment.{name}")
    }

    pub fn flag(model: &Model, f: FlagId) -> String {
        let name = model.flag(f).map_or("?", |d| d.name.as_str());
        format!("flag.{name}")
    }

    pub fn rule(model: &Model, r: RuleId) -> String {
        let name = model.rules.get(r.index()).map_or("?", |d| d.name.as_str());
        format!("rule.{name}")
    }

    pub fn site(i: usize) -> String {
        format!("#function{i}")
    }

    pub fn output(k: usize) -> String {
        format!("#out{k}")
    }
}
