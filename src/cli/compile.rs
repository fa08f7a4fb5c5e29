//! `scorecard compile`: the scorecard as SQL for DuckDB, PostgreSQL or Spark.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::Exit;
use crate::compile::{self, Dialect, Options, Period};
use crate::diag::render::{self as diag_render, HumanStyle};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Engine {
    Duckdb,
    Postgres,
    Spark,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PeriodArg {
    Latest,
    All,
}

/// Write SQL that computes what `score --format csv` writes, for DuckDB, PostgreSQL or Spark.
#[derive(Debug, Args)]
pub struct CompileArgs {
    /// The scorecard.
    pub scorecard: PathBuf,
    /// The engine whose SQL to write.
    #[arg(long = "to", value_enum)]
    pub to: Engine,
    /// The input table (for DuckDB also a table function such as `read_csv('partners.csv')`).
    #[arg(long = "from", default_value = "partners")]
    pub from: String,
    /// Each partner's latest row, or every row.
    #[arg(long, value_enum, default_value = "latest")]
    pub period: PeriodArg,
    /// Write the query that lists the rows breaking the input contract instead.
    #[arg(long)]
    pub rejects: bool,
    /// Write `CREATE TABLE` for a table holding the input contract instead.
    #[arg(long)]
    pub ddl: bool,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: &CompileArgs) -> Exit {
    let (model, sources) = match super::score::load_scorecard(&args.scorecard) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let dialect = match args.to {
        Engine::Duckdb => Dialect::DuckDb,
        Engine::Postgres => Dialect::Postgres,
        Engine::Spark => Dialect::Spark,
    };
    let options = Options {
        dialect,
        from: args.from.clone(),
        period: match args.period {
            PeriodArg::Latest => Period::Latest,
            PeriodArg::All => Period::All,
        },
    };
    let text = if args.ddl {
        compile::table_ddl(&model, dialect, &args.from)
    } else if args.rejects {
        compile::rejects(&model, &options)
    } else {
        let plan = crate::plan::compile(&model);
        match compile::scores(&model, &plan, &options) {
            Ok(text) => text,
            Err(diagnostics) => {
                let style = HumanStyle {
                    color: super::stderr_color(),
                    width: 100,
                };
                eprint!("{}", diag_render::human(&diagnostics, &sources, style));
                eprintln!(
                    "error: `{}` cannot be compiled exactly for {}",
                    args.scorecard.display(),
                    dialect.name()
                );
                return Exit::Findings;
            }
        }
    };
    match &args.out {
        Some(path) => match std::fs::write(path, text) {
            Ok(()) => Exit::Clean,
            Err(e) => super::fail(&format!("cannot write `{}`: {e}", path.display())),
        },
        None => {
            super::print(&text);
            Exit::Clean
        }
    }
}
