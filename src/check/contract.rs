//! The input contract against a data file's header (`check --data`): D001–D003,
//! in one pass over the header however wide it is.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::data::header::{DataFormat, Header, HeaderError, look_alike, read_header};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::Model;
use crate::source::{FileId, SourceMap};
use crate::syntax::ast::Span;

/// Why a data file's column names were not read.
enum Unread {
    /// A text file's header.
    Header(HeaderError),
    /// A workbook's or a Parquet file's problems.
    Problems(Vec<crate::data::load::DataProblem>),
}

/// The column names of a data file: a CSV, JSON or NDJSON file's header, a
/// workbook's first row (of its first sheet), a Parquet file's columns.
fn header_of(data: &Path) -> Result<Header, Unread> {
    use crate::data::excel::{self, SheetError};
    use crate::data::parquet::{self, ParquetError};
    if parquet::is_parquet(data) {
        return match parquet::column_names(data) {
            Ok(names) => Ok(Header::from_names(names)),
            Err(ParquetError::Io(e)) => Err(Unread::Header(HeaderError::Io(e))),
            Err(ParquetError::Invalid(p)) => Err(Unread::Problems(p)),
        };
    }
    if excel::is_workbook(data) {
        return match excel::column_names(data) {
            Ok(names) => Ok(Header::from_names(names)),
            Err(SheetError::Io(e)) => Err(Unread::Header(HeaderError::Io(e))),
            Err(SheetError::Invalid(p)) => Err(Unread::Problems(p)),
        };
    }
    read_header(data, DataFormat::from_path(data)).map_err(Unread::Header)
}

/// Compare the input contract with a data file's header (D001–D003).
pub fn check_data_header(
    model: &Model,
    data: &Path,
    sources: &mut SourceMap,
) -> Result<Diagnostics, String> {
    let mut out = Diagnostics::new();
    let name = data.display().to_string();
    let header = match header_of(data) {
        Ok(h) => h,
        Err(Unread::Problems(problems)) => {
            // A workbook or Parquet file that cannot be read: nothing of it is shown.
            let file = sources.add(&name, Some(data), String::new());
            for problem in problems {
                let place = match problem.cell.as_deref() {
                    Some("") | None => String::new(),
                    Some(cell) => format!(" ({cell})"),
                };
                out.push(
                    Diagnostic::new(
                        problem.code,
                        file,
                        Span::new(0, 0),
                        format!(
                            "cannot read the column names of `{name}`{place}: {}",
                            crate::escape::terminal(&problem.message)
                        ),
                    )
                    .label("the file")
                    .help(problem.help),
                );
            }
            return Ok(out);
        }
        Err(Unread::Header(HeaderError::Io(e))) => {
            return Err(format!("cannot read `{name}`: {e}"));
        }
        Err(Unread::Header(HeaderError::NotText(kind))) => {
            // Nothing of the file is shown: its bytes are not text.
            let file = sources.add(&name, Some(data), String::new());
            let problem = kind.problem();
            out.push(
                Diagnostic::new(
                    problem.code,
                    file,
                    Span::new(0, 0),
                    format!(
                        "cannot read the column names of `{name}`: {}",
                        problem.message
                    ),
                )
                .label("the start of the file")
                .help(problem.help),
            );
            return Ok(out);
        }
        Err(Unread::Header(HeaderError::Invalid(reason, text))) => {
            let file = sources.add(
                &name,
                Some(data),
                crate::escape::same_length_for_terminal(&text).into_owned(),
            );
            out.push(
                Diagnostic::new(Code::D003, file, Span::new(0, 0), format!("cannot read the column names of `{name}`: {}", crate::escape::terminal(&reason)))
                    .label("the header")
                    .help("the first row of a CSV file (or the keys of the first JSON object) must name the columns"),
            );
            return Ok(out);
        }
    };
    let file: FileId = sources.add(
        &name,
        Some(data),
        crate::escape::same_length_for_terminal(&header.text).into_owned(),
    );
    let span_of = |i: usize| {
        header
            .spans
            .get(i)
            .map_or(Span::new(0, 0), |(s, e)| Span::new(*s, *e))
    };
    // One pass over the header, whatever its width.
    let mut first: HashMap<&str, usize> = HashMap::with_capacity(header.columns.len());
    let mut repeats: Vec<(usize, usize)> = Vec::new();
    let mut repeated = 0usize;
    for (i, column) in header.columns.iter().enumerate() {
        let Some(&earlier) = first.get(column.as_str()) else {
            first.insert(column, i);
            continue;
        };
        repeated += 1;
        if repeats.len() < MAX_LISTED {
            repeats.push((i, earlier));
        }
    }
    for (k, &(i, earlier)) in repeats.iter().enumerate() {
        let column = header.columns.get(i).map_or("", String::as_str);
        let more = repeated - repeats.len();
        let help = if k + 1 == repeats.len() && more > 0 {
            format!(
                "give every column of the data file its own name; {more} more columns repeat a name"
            )
        } else {
            "give every column of the data file its own name".to_string()
        };
        out.push(
            Diagnostic::new(
                Code::D003,
                file,
                span_of(i),
                format!(
                    "the column `{}` appears twice in the header",
                    crate::escape::terminal(column)
                ),
            )
            .label("second time")
            .note(span_of(earlier), "first time")
            .help(help),
        );
    }
    for column in &model.contract.columns {
        if column.optional || first.contains_key(column.name.as_str()) {
            continue;
        }
        let help = match crate::diag::fuzzy::closest(
            &column.name,
            header.columns.iter().map(String::as_str),
        ) {
            Some(s) => match look_alike(s, &column.name) {
                Some(note) => format!("the data has `{}`, {note}", crate::escape::terminal(s)),
                None => format!(
                    "the data has `{}`: rename one of them",
                    crate::escape::terminal(s)
                ),
            },
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
    if !model.contract.others_ignored {
        if let Some(d) = undeclared(model, &header, file, &span_of) {
            out.push(d);
        }
    }
    Ok(out)
}

/// How many names a diagnostic lists (and how many repeated names are reported).
const MAX_LISTED: usize = 10;

/// One D002 for all the data columns the input block does not declare: the
/// first few by name, with a "did you mean" for those that look like a
/// declared column, and how many there are.
fn undeclared(
    model: &Model,
    header: &Header,
    file: FileId,
    span_of: &dyn Fn(usize) -> Span,
) -> Option<Diagnostic> {
    let declared: HashSet<&str> = model
        .contract
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let mut seen = HashSet::new();
    let mut found: Vec<(usize, &str)> = Vec::new();
    let mut count = 0usize;
    for (i, column) in header.columns.iter().enumerate() {
        if declared.contains(column.as_str()) || !seen.insert(column.as_str()) {
            continue;
        }
        count += 1;
        if found.len() < MAX_LISTED {
            found.push((i, column));
        }
    }
    let &(first, _) = found.first()?;
    let mut names: Vec<String> = found
        .iter()
        .map(|(_, c)| format!("`{}`", crate::escape::terminal(c)))
        .collect();
    if count > found.len() {
        names.push(format!("and {} more", count - found.len()));
    }
    let message = if count == 1 {
        format!(
            "the data column {} is not declared in the input block",
            names.join(", ")
        )
    } else {
        format!(
            "{count} data columns are not declared in the input block: {}",
            names.join(", ")
        )
    };
    let near: Vec<String> = found
        .iter()
        .filter_map(|(_, c)| {
            let s = crate::diag::fuzzy::closest(
                c,
                model.contract.columns.iter().map(|d| d.name.as_str()),
            )?;
            Some(match look_alike(c, s) {
                Some(note) => format!("`{}` may be `{s}` ({note})", crate::escape::terminal(c)),
                None => format!("`{}` may be `{s}`", crate::escape::terminal(c)),
            })
        })
        .collect();
    let mut help = String::new();
    if !near.is_empty() {
        help.push_str(&near.join("; "));
        help.push_str("; ");
    }
    help.push_str(if count == 1 {
        "declare it in the input block so its values are checked, or write `other columns ignored` in the input block if such columns are expected"
    } else {
        "declare the columns the scorecard should check, or write `other columns ignored` in the input block if the others are expected"
    });
    Some(
        Diagnostic::new(Code::D002, file, span_of(first), message)
            .label(if count == 1 {
                "undeclared column"
            } else {
                "the first undeclared column"
            })
            .help(help),
    )
}
