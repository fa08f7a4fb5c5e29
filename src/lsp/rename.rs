//! Rename a metric, score, segment, flag or rule in every file that names it;
//! refused, with the reason, when the new name is taken or not a name.

use std::collections::HashMap;

use lsp_types::{TextEdit, Uri, WorkspaceEdit};

use super::analysis::Analysis;
use super::hover::functions;
use super::index::Kind;
use super::navigate::{declared_name_at, mentions};
use super::text::Encoding;
use crate::syntax::{RESERVED, is_name};

/// Names the language defines itself.
pub const BUILTINS: &[&str] = &["periods_observed", "tenure", "actions", "flags"];

/// The edit, or why there is none.
pub fn rename(
    analyses: &[&Analysis],
    current: &Analysis,
    offset: usize,
    new_name: &str,
    encoding: Encoding,
) -> Result<WorkspaceEdit, String> {
    let name = declared_name_at(current, offset)
        .ok_or("only a declared name can be renamed: put the cursor on a metric, score, segment, flag or rule")?;
    check_renamable(current, &name)?;
    check_new_name(analyses, new_name)?;
    // `WorkspaceEdit` keys its changes by `Uri`, which clippy counts as mutable.
    #[allow(clippy::mutable_key_type)]
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for location in mentions(analyses, &name, true, encoding) {
        changes
            .entry(location.uri)
            .or_default()
            .push(TextEdit::new(location.range, new_name.to_string()));
    }
    Ok(WorkspaceEdit::new(changes))
}

/// Refuse names that cannot be renamed mechanically.
pub fn check_renamable(analysis: &Analysis, name: &str) -> Result<(), String> {
    let kinds: Vec<Kind> = analysis
        .index
        .declarations(name)
        .map(|(_, k, _)| k)
        .collect();
    if kinds.contains(&Kind::Column) {
        return Err(if kinds.len() > 1 {
            format!(
                "`{name}` names both a column and the metric that scores it: rename the metric by hand"
            )
        } else {
            format!(
                "`{name}` is a column of the input contract: its name is the data file's header, so rename it in the data and the contract together"
            )
        });
    }
    Ok(())
}

fn check_new_name(analyses: &[&Analysis], new_name: &str) -> Result<(), String> {
    if RESERVED.contains(&new_name) {
        return Err(format!("`{new_name}` is a reserved word of the language"));
    }
    if !is_name(new_name) {
        return Err(format!(
            "`{new_name}` is not a name: use letters, digits and `_`, not starting with a digit"
        ));
    }
    if BUILTINS.contains(&new_name) || functions().iter().any(|(f, _)| f == new_name) {
        return Err(format!("`{new_name}` is a name the language defines"));
    }
    for analysis in analyses {
        if let Some((o, kind, _)) = analysis.index.declarations(new_name).next() {
            let (line, _) = analysis
                .sources
                .get(o.file)
                .map_or((0, 0), |f| f.line_col(o.span.start));
            return Err(format!(
                "`{new_name}` is already the {} declared at {}:{line}",
                kind.word(),
                analysis.sources.name(o.file)
            ));
        }
    }
    Ok(())
}
