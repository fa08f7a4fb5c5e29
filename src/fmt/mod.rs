//! `scorecard fmt`: one canonical layout for scorecard files, keeping every comment.
//!
//! The layout is written from the syntax tree; comments, blank lines and the
//! braces the tree does not keep come from the source text. The rules are in
//! `docs/formatting.md`. Formatting is idempotent (`format(format(x)) ==
//! format(x)`) and keeps the meaning (`parse(format(x)) == parse(x)`, spans
//! aside); each result is checked for both before it is returned, so a file is
//! never rewritten into something else.

mod diff;
mod expr;
mod layout;
mod printer;
mod source;

pub use diff::unified_diff;
pub use expr::string as string_literal;
pub use source::{Comment, comments};

use crate::diag::{Code, Diagnostic};
use crate::source::FileId;
use crate::syntax::{self, ast};

/// The text of `text` in the canonical layout, or the diagnostics that stop it
/// from being formatted: a file that does not parse cleanly is not formatted.
pub fn format(file: FileId, text: &str) -> Result<String, Vec<Diagnostic>> {
    let (tree, found) = syntax::parse(file, text);
    let tree = match tree {
        Some(tree) if found.is_empty() => tree,
        _ => return Err(found),
    };
    let formatted = format_tree(&tree, text);
    verify(file, text, &tree, &formatted)?;
    Ok(formatted)
}

/// `tree`, parsed from `text`, in the canonical layout, with the comments of `text`.
pub fn format_tree(tree: &ast::File, text: &str) -> String {
    let mut printer = printer::Printer::new(text);
    layout::file(&mut printer, tree);
    printer.finish()
}

/// The formatted text must say what the source says, with the same comments in
/// the same order: anything else is a defect of the formatter, reported rather
/// than written.
fn verify(
    file: FileId,
    text: &str,
    tree: &ast::File,
    formatted: &str,
) -> Result<(), Vec<Diagnostic>> {
    let (again, found) = syntax::parse(file, formatted);
    let same_tree = found.is_empty() && again.as_ref() == Some(tree);
    let texts = |t: &str| -> Vec<String> { comments(t).into_iter().map(|c| c.text).collect() };
    let same_comments = texts(text) == texts(formatted);
    if same_tree && same_comments {
        return Ok(());
    }
    let what = if same_tree {
        "the formatted text would not keep every comment"
    } else {
        "the formatted text would not mean the same"
    };
    Err(vec![
        Diagnostic::new(
            Code::P001,
            file,
            ast::Span::new(0, 0),
            format!("internal formatter error: {what}"),
        )
        .label("while formatting this file")
        .help("this is a defect of scorecard itself; please report it with this file"),
    ])
}
