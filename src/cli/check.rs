//! `scorecard check PATH...`: diagnostics for scorecard files and directories.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{Deny, DiagnosticFormat, Exit};
use crate::check::check_path;
use crate::data::header::{DataFormat, HeaderError, read_header};
use crate::diag::render::{self, HumanStyle};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::Model;
use crate::source::{FileId, SourceMap};
use crate::syntax::ast::Span;

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
            match data_diagnostics(model, data, &mut sources) {
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

/// Compare the input contract with a data file's header (D001–D003).
pub fn data_diagnostics(
    model: &Model,
    data: &Path,
    sources: &mut SourceMap,
) -> Result<Diagnostics, String> {
    let mut out = Diagnostics::new();
    let name = data.display().to_string();
    let header = match read_header(data, DataFormat::from_path(data)) {
        Ok(h) => h,
        Err(HeaderError::Io(e)) => return Err(format!("cannot read `{name}`: {e}")),
        Err(HeaderError::Invalid(reason, text)) => {
            let file = sources.add(&name, Some(data), text);
            out.push(
                Diagnostic::new(Code::D003, file, Span::new(0, 0), format!("cannot read the column names of `{name}`: {reason}"))
                    .label("the header")
                    .help("the first row of a CSV file (or the keys of the first JSON object) must name the columns"),
            );
            return Ok(out);
        }
    };
    let file: FileId = sources.add(&name, Some(data), header.text.clone());
    let span_of = |i: usize| {
        header
            .spans
            .get(i)
            .map_or(Span::new(0, 0), |(s, e)| Span::new(*s, *e))
    };
    for (i, column) in header.columns.iter().enumerate() {
        if let Some(first) = header.columns.iter().position(|c| c == column) {
            if first < i {
                out.push(
                    Diagnostic::new(
                        Code::D003,
                        file,
                        span_of(i),
                        format!("the column `{column}` appears twice in the header"),
                    )
                    .label("second time")
                    .note(span_of(first), "first time")
                    .help("give every column of the data file its own name"),
                );
            }
        }
    }
    for column in &model.contract.columns {
        if column.optional || header.columns.contains(&column.name) {
            continue;
        }
        let help = match crate::diag::fuzzy::closest(
            &column.name,
            header.columns.iter().map(String::as_str),
        ) {
            Some(s) => format!("the data has `{s}`: rename one of them"),
            None => {
                "add the column to the data, or mark it `optional` in the input block".to_string()
            }
        };
        out.push(
            Diagnostic::new(
                Code::D001,
                column.loc.file,
                column.loc.span,
                format!("the data file `{name}` has no column `{}`", column.name),
            )
            .label("declared here")
            .help(help),
        );
    }
    for (i, column) in header.columns.iter().enumerate() {
        if model.contract.find(column).is_some() {
            continue;
        }
        let help = match crate::diag::fuzzy::closest(
            column,
            model.contract.columns.iter().map(|c| c.name.as_str()),
        ) {
            Some(s) => format!("did you mean `{s}`? otherwise declare it in the input block"),
            None => {
                "declare it in the input block so its values are checked, or drop it from the data"
                    .to_string()
            }
        };
        out.push(
            Diagnostic::new(
                Code::D002,
                file,
                span_of(i),
                format!("the data column `{column}` is not in the input contract"),
            )
            .label("undeclared column")
            .help(help),
        );
    }
    Ok(out)
}
