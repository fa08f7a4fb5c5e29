//! `scorecard fmt [--check] PATH...`: lay scorecard files out canonically.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use clap::Args;

use super::Exit;
use crate::diag::Diagnostic;
use crate::diag::render::{self, HumanStyle};
use crate::fmt::{format, unified_diff};
use crate::source::SourceMap;

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Scorecard files, directories to search for `*.scorecard` files, or `-`
    /// to format standard input to standard output.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Change nothing: print a unified diff for each file that is not formatted,
    /// and exit 1 if there is one.
    #[arg(long)]
    pub check: bool,
}

/// What happened to one file.
enum Outcome {
    Unchanged,
    Changed,
    /// Not formatted: it does not parse.
    Invalid,
}

pub fn run(args: &FmtArgs) -> Exit {
    let stdin = Path::new("-");
    if args.paths.iter().any(|p| p == stdin) {
        if args.paths.len() > 1 {
            return super::fail("`-` (standard input) cannot be combined with other paths");
        }
        return run_stdin(args.check);
    }
    let files = match super::check::collect_files(&args.paths) {
        Ok(f) => f,
        Err(e) => return super::fail(&e),
    };
    let (mut changed, mut invalid, mut io_errors) = (0, 0, 0);
    for path in &files {
        match format_path(path, args.check) {
            Ok(Outcome::Unchanged) => {}
            Ok(Outcome::Changed) => changed += 1,
            Ok(Outcome::Invalid) => invalid += 1,
            Err(message) => {
                eprintln!("error: {message}");
                io_errors += 1;
            }
        }
    }
    eprint!(
        "{}",
        summary(files.len(), changed, invalid, io_errors, args.check)
    );
    if io_errors > 0 {
        Exit::Usage
    } else if invalid > 0 || (args.check && changed > 0) {
        Exit::Findings
    } else {
        Exit::Clean
    }
}

fn run_stdin(check: bool) -> Exit {
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
        return super::fail(&format!("cannot read standard input: {e}"));
    }
    let name = "<stdin>";
    let Some(text) = decode(name, bytes) else {
        return Exit::Findings;
    };
    let formatted = match formatted(name, None, &text) {
        Some(f) => f,
        None => return Exit::Findings,
    };
    if check {
        let diff = unified_diff(name, &text, &formatted);
        super::print(&diff);
        return if diff.is_empty() {
            Exit::Clean
        } else {
            Exit::Findings
        };
    }
    super::print(&formatted);
    Exit::Clean
}

/// Format one file in place (or, with `check`, print its diff).
fn format_path(path: &Path, check: bool) -> Result<Outcome, String> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read `{name}`: {e}"))?;
    let Some(text) = decode(&name, bytes) else {
        return Ok(Outcome::Invalid);
    };
    let Some(formatted) = formatted(&name, Some(path), &text) else {
        return Ok(Outcome::Invalid);
    };
    if formatted == text {
        return Ok(Outcome::Unchanged);
    }
    if check {
        super::print(&unified_diff(&name, &text, &formatted));
    } else {
        // Written whole or not at all, through a link, keeping the file's mode.
        super::output::write_atomically(path, formatted.as_bytes())
            .map_err(|e| format!("cannot write `{name}`: {e}"))?;
        eprintln!("formatted {name}");
    }
    Ok(Outcome::Changed)
}

/// The text of a file that is not UTF-8 is not formatted.
fn decode(name: &str, bytes: Vec<u8>) -> Option<String> {
    let (text, bad) = crate::check::load::decode(name, bytes);
    match bad {
        None => Some(text),
        Some((_, message)) => {
            eprintln!("error: {message}; not formatted");
            None
        }
    }
}

/// The formatted text, or `None` after printing why it cannot be formatted.
fn formatted(name: &str, path: Option<&Path>, text: &str) -> Option<String> {
    let mut sources = SourceMap::new();
    let file = sources.add(name, path, text);
    match format(file, text) {
        Ok(f) => Some(f),
        Err(found) => {
            report(&found, &sources);
            eprintln!("error: `{name}` has syntax errors; not formatted");
            None
        }
    }
}

fn report(found: &[Diagnostic], sources: &SourceMap) {
    let style = HumanStyle {
        color: super::stderr_color(),
        width: 100,
    };
    let text = render::human(found, sources, style);
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn summary(files: usize, changed: usize, invalid: usize, io_errors: usize, check: bool) -> String {
    let mut parts = Vec::new();
    if changed > 0 {
        parts.push(if check {
            format!("{changed} would be reformatted")
        } else {
            format!("{changed} reformatted")
        });
    }
    let unchanged = files - changed - invalid - io_errors;
    if unchanged > 0 {
        parts.push(format!("{unchanged} already formatted"));
    }
    if invalid > 0 {
        parts.push(format!("{invalid} not formatted (errors)"));
    }
    if io_errors > 0 {
        parts.push(format!("{io_errors} unreadable or unwritable"));
    }
    format!("{}: {}\n", plural(files, "file"), parts.join(", "))
}
