//! `scorecard check PATH...`: diagnostics for scorecard files and directories.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{Deny, DiagnosticFormat, Exit};
use crate::check::check_path;
use crate::check::contract::check_data_header;
use crate::diag::Diagnostics;
use crate::diag::render::{self, HumanStyle};
use crate::source::SourceMap;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Scorecard files, or directories to search for `*.scorecard` files.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
    pub format: DiagnosticFormat,
    /// Fail (exit 1) on warnings too.
    #[arg(long, value_enum)]
    pub deny: Option<Deny>,
    /// Check the input contract against this data file's header.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
}

/// Every scorecard under the given paths, in a stable order.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        if meta.is_dir() {
            let before = out.len();
            walk(path, &mut out).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
            if out.len() == before {
                return Err(format!("no `.scorecard` files under `{}`", path.display()));
            }
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        let file_type = std::fs::symlink_metadata(&path)?.file_type();
        if file_type.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "scorecard") {
            out.push(path);
        }
    }
    Ok(())
}

pub fn run(args: &CheckArgs) -> Exit {
    let files = match collect_files(&args.paths) {
        Ok(f) => f,
        Err(e) => return super::fail(&e),
    };
    let mut sources = SourceMap::new();
    let mut all = Diagnostics::new();
    for file in &files {
        let checked = match check_path(file, &mut sources) {
            Ok(c) => c,
            Err(e) => return super::fail(&e.to_string()),
        };
        let mut found = checked.diagnostics;
        if let (Some(data), Some(model)) = (&args.data, &checked.model) {
            if let Err(e) = super::output::regular_input(data) {
                return super::fail(&e);
            }
            match check_data_header(model, data, &mut sources) {
                Ok(d) => found.extend(d),
                Err(e) => return super::fail(&e),
            }
        }
        all.extend(found);
    }
    let items = all.into_vec();
    let errors = items.iter().filter(|d| d.is_error()).count();
    let warnings = items.len() - errors;
    match args.format {
        DiagnosticFormat::Human => {
            let style = HumanStyle {
                color: super::stdout_color(),
                width: 100,
            };
            let mut text = render::human(&items, &sources, style);
            text.push_str(&summary(files.len(), errors, warnings));
            super::print(&text);
        }
        DiagnosticFormat::Json => super::print(&render::json(&items, &sources)),
        DiagnosticFormat::Github => super::print(&render::github(&items, &sources)),
        DiagnosticFormat::Sarif => super::print(&crate::diag::sarif::sarif(&items, &sources)),
        DiagnosticFormat::Junit => {
            let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
            let deny = args.deny == Some(Deny::Warnings);
            super::print(&crate::diag::junit::junit(&names, &items, &sources, deny));
        }
    }
    if errors > 0 || (warnings > 0 && args.deny == Some(Deny::Warnings)) {
        Exit::Findings
    } else {
        Exit::Clean
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn summary(files: usize, errors: usize, warnings: usize) -> String {
    let checked = plural(files, "file");
    if errors == 0 && warnings == 0 {
        format!("checked {checked}: no problems\n")
    } else {
        format!(
            "checked {checked}: {}, {}\n",
            plural(errors, "error"),
            plural(warnings, "warning")
        )
    }
}

/// The one line `score`, `explain`, `test` and `diff` print on standard error
/// when a scorecard they run has warnings: how many, their codes, and the
/// command that shows them. `None` without warnings.
pub fn warnings_summary(path: &Path, diagnostics: &Diagnostics) -> Option<String> {
    let mut codes: Vec<&str> = diagnostics
        .iter()
        .filter(|d| !d.is_error())
        .map(|d| d.code.as_str())
        .collect();
    if codes.is_empty() {
        return None;
    }
    let count = codes.len();
    codes.sort_unstable();
    codes.dedup();
    Some(format!(
        "warning: `{path}` has {} ({}); run `scorecard check {path}` to see {}\n",
        plural(count, "warning"),
        codes.join(", "),
        if count == 1 { "it" } else { "them" },
        path = path.display(),
    ))
}
