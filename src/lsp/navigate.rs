//! Go to definition and find references, across imports and across every
//! open document's program.

use lsp_types::Location;

use super::analysis::Analysis;
use super::index::Role;
use super::text::Encoding;

/// Where the name under the cursor is declared.
pub fn definition(analysis: &Analysis, offset: usize, encoding: Encoding) -> Vec<Location> {
    let Some(o) = analysis.index.at(analysis.root(), offset) else {
        return Vec::new();
    };
    if o.role == Role::Function {
        return Vec::new();
    }
    analysis
        .index
        .declarations(&o.name)
        .filter_map(|(d, _, _)| analysis.location(d.file, d.span, encoding))
        .collect()
}

/// The name under the cursor, if it is declared somewhere in the program.
pub fn declared_name_at(analysis: &Analysis, offset: usize) -> Option<String> {
    let o = analysis.index.at(analysis.root(), offset)?;
    if o.role == Role::Function || analysis.index.declarations(&o.name).next().is_none() {
        return None;
    }
    Some(o.name.clone())
}

/// Every place a name is written in the programs of `analyses`, each once,
/// in a stable order (by URI, then position).
pub fn mentions(
    analyses: &[&Analysis],
    name: &str,
    include_declaration: bool,
    encoding: Encoding,
) -> Vec<Location> {
    let mut out: Vec<Location> = Vec::new();
    for analysis in analyses {
        for o in analysis.index.mentions(name) {
            let is_declaration = matches!(o.role, Role::Declaration { .. });
            if is_declaration && !include_declaration {
                continue;
            }
            if let Some(l) = analysis.location(o.file, o.span, encoding) {
                if !out.contains(&l) {
                    out.push(l);
                }
            }
        }
    }
    out.sort_by(|a, b| {
        (a.uri.as_str(), a.range.start.line, a.range.start.character).cmp(&(
            b.uri.as_str(),
            b.range.start.line,
            b.range.start.character,
        ))
    });
    out
}
