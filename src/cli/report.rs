//! `scorecard report SCORECARD --data FILE --out report.html`: one
//! self-contained HTML page of the scores, or with `--partner ID` one
//! partner's own page.

use std::path::PathBuf;

use clap::Args;

use super::Exit;
use super::output::write_atomically;
use super::score::{DataArgs, load_scorecard_denying};
use crate::report::{self, Audience, Options};

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The scorecard.
    pub scorecard: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// The HTML file to write (atomically; nothing is written on an error).
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Write one partner's own page: no other partner's id or values, peers
    /// only as averages over groups of at least the scorecard's `min_group`.
    #[arg(long, value_name = "ID", conflicts_with = "partners")]
    pub partner: Option<String>,
    /// The partners that get a details section (default: all up to 500, else the top movers).
    #[arg(long, value_name = "A,B,…", value_delimiter = ',')]
    pub partners: Option<Vec<String>>,
    /// Stop (exit 1) when the scorecard has warnings, printing them.
    #[arg(long, value_enum)]
    pub deny: Option<super::Deny>,
}

pub fn run(args: &ReportArgs) -> Exit {
    let (model, sources) = match load_scorecard_denying(&args.scorecard, args.deny) {
        Ok(m) => m,
        Err(e) => return e,
    };
    if let Err(e) = args.data.check_outputs(&[&sources], Some(&args.out)) {
        return e;
    }
    let plan = crate::plan::compile(&model);
    let loaded = match args.data.load(&model, &plan.needed_columns) {
        Ok(l) => l,
        Err(e) => return e,
    };
    // A partner's own page is not built from some of its rows.
    if let Some(partner) = &args.partner {
        if let Err(e) = refuse_rejected(args, &model, &loaded, partner) {
            return e;
        }
    }
    let audience = match &args.partner {
        Some(p) => Audience::Partner(p.clone()),
        None => Audience::Internal {
            partners: args.partners.clone(),
        },
    };
    let options = Options {
        data_name: args.data.data.file_name().map_or_else(
            || args.data.data.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        audience,
        min_group: model.min_group(),
    };
    let html = match report::build(&model, &plan, &loaded.table, &sources, &options) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: {}", crate::escape::terminal(&e.to_string()));
            if let Some(help) = e.help() {
                eprintln!("  help: {}", crate::escape::terminal(&help));
            }
            return Exit::Usage;
        }
    };
    if let Err(e) = write_atomically(&args.out, html.as_bytes()) {
        return super::fail(&format!("cannot write `{}`: {e}", args.out.display()));
    }
    Exit::Clean
}

/// Stop when rows of `partner` were left out under `--on-invalid skip`:
/// its page would show a history with holes, or another latest period.
fn refuse_rejected(
    args: &ReportArgs,
    model: &crate::model::Model,
    loaded: &crate::data::load::Loaded,
    partner: &str,
) -> Result<(), Exit> {
    if loaded.rejected.is_empty() {
        return Ok(());
    }
    let column = |id: Option<crate::model::ColumnId>| {
        id.and_then(|c| model.contract.column(c))
            .map(|c| c.name.as_str())
    };
    let header = super::explain::csv_header(&args.data);
    let fields = crate::explain::rejected::Fields {
        format: args.data.format(),
        header: header.as_deref(),
        key: column(model.contract.key).unwrap_or(""),
        period: column(model.contract.period),
    };
    let own = crate::explain::rejected::rows_of(&loaded.rejected, &fields, partner);
    let Some(first) = own.first() else {
        return Ok(());
    };
    eprintln!(
        "error: {} row{} of partner `{}` {} rejected (line {} first); its page would leave {} out",
        own.len(),
        if own.len() == 1 { "" } else { "s" },
        crate::escape::terminal(partner),
        if own.len() == 1 { "was" } else { "were" },
        first.row.line,
        if own.len() == 1 { "it" } else { "them" },
    );
    eprintln!("  help: correct the row in the data, then write the page again");
    Err(Exit::Findings)
}
