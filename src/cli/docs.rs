//! `scorecard docs SCORECARD`: the metric catalogue and the published rubric,
//! as Markdown or HTML, for the program team or for partners.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::Exit;
use super::output::{check_distinct, source_files, write_atomically};
use super::score::load_scorecard;
use crate::publish::{self, Audience};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DocsFormat {
    /// GitHub-flavoured Markdown.
    Markdown,
    /// One self-contained HTML page (inline CSS, no network).
    Html,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AudienceArg {
    /// Everything the scorecard states.
    Internal,
    /// For partners: owners, sources and rationales left out.
    Partner,
}

#[derive(Debug, Args)]
pub struct DocsArgs {
    /// The scorecard (its imports are followed).
    pub scorecard: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DocsFormat::Markdown)]
    pub format: DocsFormat,
    /// Who the document is for.
    #[arg(long, value_enum, default_value_t = AudienceArg::Internal)]
    pub audience: AudienceArg,
    /// Write to this file (atomically) instead of standard output.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Write nothing; exit 1 when the file at `--out` differs from what would be written.
    #[arg(long, requires = "out")]
    pub check: bool,
}

pub fn run(args: &DocsArgs) -> Exit {
    let (model, sources) = match load_scorecard(&args.scorecard) {
        Ok(m) => m,
        Err(e) => return e,
    };
    let audience = match args.audience {
        AudienceArg::Internal => Audience::Internal,
        AudienceArg::Partner => Audience::Partner,
    };
    let doc = publish::catalogue(&model, &sources, audience);
    let mut text = match args.format {
        DocsFormat::Markdown => publish::markdown(&doc),
        DocsFormat::Html => publish::html(&doc),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let Some(out) = &args.out else {
        super::print(&text);
        return Exit::Clean;
    };
    let shown = out.display().to_string();
    if let Err(e) = check_distinct(&source_files(&sources), &[("--out", out)]) {
        return super::fail(&e);
    }
    if args.check {
        let current = match std::fs::read_to_string(out) {
            Ok(t) => t,
            Err(e) => {
                eprintln!(
                    "error: `{shown}` is out of date: it cannot be read ({})",
                    crate::check::load::io_reason(&e)
                );
                eprintln!("  help: write it with `{}`", regenerate(args, &shown));
                return Exit::Findings;
            }
        };
        if current == text {
            return Exit::Clean;
        }
        eprint!("{}", crate::fmt::unified_diff(&shown, &current, &text));
        eprintln!("error: `{shown}` is out of date");
        eprintln!("  help: write it again with `{}`", regenerate(args, &shown));
        return Exit::Findings;
    }
    match write_atomically(out, text.as_bytes()) {
        Ok(()) => Exit::Clean,
        Err(e) => super::fail(&format!(
            "cannot write `{shown}`: {}",
            crate::check::load::io_reason(&e)
        )),
    }
}

/// The command that writes the file `--check` compared.
fn regenerate(args: &DocsArgs, out: &str) -> String {
    let mut cmd = format!("scorecard docs {}", args.scorecard.display());
    if args.format == DocsFormat::Html {
        cmd.push_str(" --format html");
    }
    if args.audience == AudienceArg::Partner {
        cmd.push_str(" --audience partner");
    }
    cmd.push_str(&format!(" --out {out}"));
    cmd
}
