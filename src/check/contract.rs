//! The input contract against a data file's header (`check --data`): D001–D003.

use std::path::Path;

use crate::data::header::{DataFormat, HeaderError, read_header};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::Model;
use crate::source::{FileId, SourceMap};
use crate::syntax::ast::Span;

/// Compare the input contract with a data file's header (D001–D003).
pub fn check_data_header(
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
                format!("the data column `{column}` is not declared in the input block"),
            )
            .label("undeclared column")
            .help(help),
        );
    }
    Ok(out)
}
