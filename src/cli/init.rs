//! `scorecard init --data FILE`: write a starter scorecard whose input
//! contract is inferred from the data.

use std::path::PathBuf;

use clap::Args;

use super::Exit;
use super::output::write_atomically;
use super::score::DataFormatArg;
use crate::data::header::DataFormat;
use crate::init::{self, Options};

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The data to infer the input contract from: CSV, JSON (an array of objects) or NDJSON.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// The data's format, when its extension does not say.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub data_format: Option<DataFormatArg>,
    /// The column that identifies a partner (guessed when not given).
    #[arg(long, value_name = "COLUMN")]
    pub key: Option<String>,
    /// The column that orders a partner's rows in time (guessed when not given).
    #[arg(long, value_name = "COLUMN")]
    pub period: Option<String>,
    /// Write the scorecard here instead of to standard output.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Replace the file at `--out` if there is one.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: &InitArgs) -> Exit {
    if args.data == std::path::Path::new("-") {
        return super::fail("`init` reads the data more than once: give a file, not `-`");
    }
    if let Some(out) = &args.out {
        let same = |a: &std::path::Path, b: &std::path::Path| matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y);
        if same(out, &args.data) {
            return super::fail(&format!(
                "`--out {}` is the data file; the scorecard goes elsewhere",
                out.display()
            ));
        }
        if out.exists() && !args.force {
            return super::fail(&format!(
                "`{}` exists; `--force` replaces it",
                out.display()
            ));
        }
    }
    let format = match args.data_format {
        Some(DataFormatArg::Csv) => DataFormat::Csv,
        Some(DataFormatArg::Json) => DataFormat::Json,
        Some(DataFormatArg::Ndjson) => DataFormat::Ndjson,
        None => DataFormat::from_path(&args.data),
    };
    let options = Options {
        key: args.key.clone(),
        period: args.period.clone(),
    };
    let text = match init::starter(&args.data, format, &options) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {}", e.message);
            if let Some(help) = &e.help {
                eprintln!("  help: {help}");
            }
            return Exit::Findings;
        }
    };
    match &args.out {
        Some(path) => {
            if let Err(e) = write_atomically(path, text.as_bytes()) {
                return super::fail(&format!("cannot write `{}`: {e}", path.display()));
            }
            eprintln!(
                "wrote `{}`; next: `scorecard check {0}` and `scorecard test {0}`",
                path.display()
            );
        }
        None => super::print(&text),
    }
    Exit::Clean
}
