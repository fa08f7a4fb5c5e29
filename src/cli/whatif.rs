//! `scorecard whatif SCORECARD --data FILE --set PATH=VALUE …`: what changing
//! a weight, a threshold, band points or a guardrail would do to the partners,
//! without editing the file.

use std::path::{Path, PathBuf};

use clap::Args;

use super::Exit;
use super::diff::{DiffFormat, compare, print_report};
use super::govern::GovernArgs;
use super::score::{DataArgs, DataFormatArg, OnInvalidArg, load_scorecard};
use crate::check::check_path_with_text;
use crate::decide::params::{Parameter, SetError};
use crate::decide::whatif;
use crate::diag::render::{self as diag_render, HumanStyle};
use crate::source::{FileId, SourceMap};

#[derive(Debug, Args)]
pub struct WhatifArgs {
    /// The scorecard.
    pub scorecard: PathBuf,
    /// The partner data: CSV, JSON or NDJSON; `-` reads standard input.
    #[arg(long, value_name = "FILE", required_unless_present = "list_parameters")]
    pub data: Option<PathBuf>,
    /// The data's format, when its extension does not say.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub data_format: Option<DataFormatArg>,
    /// What to do with rows that break the input contract.
    #[arg(long, value_enum, default_value_t = OnInvalidArg::Fail)]
    pub on_invalid: OnInvalidArg,
    /// A parameter and its new value, e.g. `tiers.performance.good=65`
    /// (repeatable; `--list-parameters` lists the paths).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// Print every parameter's path and current value, and stop.
    #[arg(long)]
    pub list_parameters: bool,
    /// Write the changed scorecard, formatted, to this file (never over an input).
    #[arg(long, value_name = "NEW.scorecard")]
    pub save: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = DiffFormat::Table)]
    pub format: DiffFormat,
    /// Which rows to compare: `latest`, `all`, or a period label.
    #[arg(long, default_value = "latest", value_name = "PERIOD")]
    pub period: String,
}

pub fn run(args: &WhatifArgs) -> Exit {
    let (old, sources) = match load_scorecard(&args.scorecard) {
        Ok(m) => m,
        Err(e) => return e,
    };
    let text = sources.text(FileId(0)).to_string();
    if args.list_parameters {
        print_parameters(&whatif::parameters_of(&text), args.format);
        return Exit::Clean;
    }
    if args.sets.is_empty() {
        return super::fail(
            "give at least one `--set PATH=VALUE` (`--list-parameters` lists the paths)",
        );
    }
    let (changed, settings) = match whatif::apply(&text, &args.sets) {
        Ok(c) => c,
        Err(errors) => return set_errors(&errors),
    };
    let (new, _) = match check_changed(&args.scorecard, &changed, &sources) {
        Ok(m) => m,
        Err(e) => return e,
    };
    let Some(data_path) = &args.data else {
        return super::fail("`--data FILE` is needed to compare the partners");
    };
    if data_path.as_os_str() == "-" {
        return super::fail(
            "`whatif` reads the data once for each version of the scorecard; give a file, not `-`",
        );
    }
    let data = DataArgs {
        data: data_path.clone(),
        data_format: args.data_format,
        on_invalid: args.on_invalid,
        rejects: None,
    };
    if let Some(save) = &args.save {
        if let Err(e) = save_changed(save, &changed, &sources, data_path) {
            return e;
        }
    }
    let title = args.scorecard.display().to_string();
    let labels = (
        title.clone(),
        format!("{title} with {}", whatif::describe(&settings)),
    );
    let (report, touched) = match compare(
        &old,
        &new,
        labels,
        &data,
        &GovernArgs::default(),
        &args.period,
    ) {
        Ok(r) => r,
        Err(e) => return e,
    };
    print_report(&report, &touched, args.format);
    Exit::Clean
}

fn set_errors(errors: &[SetError]) -> Exit {
    for e in errors {
        eprintln!(
            "error: {}\n  help: {}",
            crate::escape::terminal_lines(&e.message),
            crate::escape::terminal_lines(&e.help)
        );
    }
    Exit::Usage
}

/// Check the changed text as the scorecard at `path`; errors stop the run,
/// warnings the original does not have are printed.
fn check_changed(
    path: &Path,
    changed: &str,
    original: &SourceMap,
) -> Result<(crate::model::Model, SourceMap), Exit> {
    let mut sources = SourceMap::new();
    let checked = match check_path_with_text(path, Some(changed), &mut sources) {
        Ok(c) => c,
        Err(e) => return Err(super::fail(&e.to_string())),
    };
    let mut before = SourceMap::new();
    let known: Vec<(crate::diag::Code, String)> =
        match crate::check::check_path_with_text(path, Some(original.text(FileId(0))), &mut before)
        {
            Ok(c) => c
                .diagnostics
                .iter()
                .map(|d| (d.code, d.message.clone()))
                .collect(),
            Err(_) => Vec::new(),
        };
    let shown: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error() || !known.contains(&(d.code, d.message.clone())))
        .cloned()
        .collect();
    if !shown.is_empty() {
        let style = HumanStyle {
            color: super::stderr_color(),
            width: 100,
        };
        eprint!("{}", diag_render::human(&shown, &sources, style));
    }
    if checked.diagnostics.has_errors() {
        eprintln!(
            "error: `{}` with these `--set` values has errors; nothing was compared",
            path.display()
        );
        return Err(Exit::Findings);
    }
    match checked.model {
        Some(m) => Ok((m, sources)),
        None => Err(super::fail("the changed scorecard could not be read")),
    }
}

/// Write the changed text, formatted, refusing to write over an input.
fn save_changed(save: &Path, changed: &str, sources: &SourceMap, data: &Path) -> Result<(), Exit> {
    let mut inputs: Vec<(&str, &Path)> = vec![("the data", data)];
    inputs.extend(super::output::source_files(sources));
    super::output::check_distinct(&inputs, &[("--save", save)]).map_err(|e| super::fail(&e))?;
    let formatted = crate::fmt::format(FileId(0), changed)
        .map_err(|_| super::fail("the changed scorecard could not be formatted"))?;
    super::output::write_atomically(save, formatted.as_bytes())
        .map_err(|e| super::fail(&format!("cannot write `{}`: {e}", save.display())))
}

fn print_parameters(params: &[Parameter], format: DiffFormat) {
    let text = match format {
        DiffFormat::Json => serde_json::to_string_pretty(params).unwrap_or_default() + "\n",
        DiffFormat::Markdown => {
            let mut out = String::from("| parameter | kind | value |\n|---|---|---|\n");
            for p in params {
                out.push_str(&format!(
                    "| `{}` | {} | {} |\n",
                    p.path,
                    p.kind.word(),
                    p.text
                ));
            }
            out
        }
        DiffFormat::Table => {
            let width = params
                .iter()
                .map(|p| p.path.chars().count())
                .max()
                .unwrap_or(0);
            let mut out = String::new();
            for p in params {
                out.push_str(&format!(
                    "{:width$}  {:9}  {}\n",
                    p.path,
                    p.kind.word(),
                    p.text
                ));
            }
            out
        }
    };
    super::print(&crate::escape::terminal_lines(&text));
}
