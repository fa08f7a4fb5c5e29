//! One open document checked as `scorecard check` checks it, over the texts
//! of every open document, with the names of its program indexed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::index::Index;
use super::text::{Encoding, LineIndex, path_to_uri};
use crate::check::Checked;
use crate::check::load::Program;
use crate::check::overlay::{Overlay, check_path_with};
use crate::source::{FileId, SourceMap};
use crate::syntax::ast::Span;

/// An open document.
#[derive(Clone, Debug)]
pub struct Document {
    pub text: String,
    pub version: i32,
    pub path: PathBuf,
}

/// The open documents by URI.
pub type Documents = BTreeMap<String, Document>;

#[derive(Debug)]
pub struct Analysis {
    pub sources: SourceMap,
    pub program: Program,
    pub checked: Checked,
    pub index: Index,
    /// The URI of each file read, by `FileId`.
    pub uris: Vec<String>,
}

impl Analysis {
    /// Check the document at `uri` as the root of its program.
    pub fn new(uri: &str, documents: &Documents) -> Option<Analysis> {
        let document = documents.get(uri)?;
        let mut overlay = Overlay::new();
        for d in documents.values() {
            overlay.insert(&d.path, d.text.clone());
        }
        let mut sources = SourceMap::new();
        let (program, checked) = check_path_with(&document.path, &mut sources, &overlay).ok()?;
        let index = Index::new(&program);
        let mut uris = Vec::new();
        let mut id = 0;
        while let Some(file) = sources.get(FileId(id)) {
            let uri_of = |p: &Path| {
                let canonical = p.canonicalize().ok();
                documents
                    .iter()
                    .find(|(_, d)| {
                        d.path == p
                            || (canonical.is_some() && d.path.canonicalize().ok() == canonical)
                    })
                    .map_or_else(|| path_to_uri(p), |(u, _)| u.clone())
            };
            uris.push(if id == 0 {
                uri.to_string()
            } else {
                file.path.as_deref().map_or_else(String::new, uri_of)
            });
            id += 1;
        }
        Some(Analysis {
            sources,
            program,
            checked,
            index,
            uris,
        })
    }

    /// The root file (the document itself).
    pub fn root(&self) -> FileId {
        self.program.root.unwrap_or_default()
    }

    pub fn uri(&self, file: FileId) -> &str {
        self.uris.get(file.0).map_or("", String::as_str)
    }

    pub fn text(&self, file: FileId) -> &str {
        self.sources.text(file)
    }

    pub fn lines(&self, file: FileId, encoding: Encoding) -> LineIndex<'_> {
        LineIndex::new(self.text(file), encoding)
    }

    /// An LSP location for a span of a file.
    pub fn location(
        &self,
        file: FileId,
        span: Span,
        encoding: Encoding,
    ) -> Option<lsp_types::Location> {
        let uri = self.uri(file).parse().ok()?;
        Some(lsp_types::Location::new(
            uri,
            self.lines(file, encoding).range(span),
        ))
    }
}
