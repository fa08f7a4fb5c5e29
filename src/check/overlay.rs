//! Texts held in memory in place of files on disk: an editor's unsaved
//! buffers, so that checking a file sees them and imports resolve to them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::load::{self, Program, ReadError};
use super::{Checked, check_program, content_hash};
use crate::source::SourceMap;

/// Texts by path; a path is looked up as given and as its canonical form.
#[derive(Clone, Debug, Default)]
pub struct Overlay {
    texts: HashMap<PathBuf, String>,
}

impl Overlay {
    pub fn new() -> Self {
        Overlay::default()
    }

    /// Hold `text` for `path` (and for its canonical form, when it exists).
    pub fn insert(&mut self, path: &Path, text: impl Into<String>) {
        let text = text.into();
        if let Ok(canonical) = path.canonicalize() {
            if canonical != path {
                self.texts.insert(canonical, text.clone());
            }
        }
        self.texts.insert(path.to_path_buf(), text);
    }

    pub fn get(&self, path: &Path) -> Option<&str> {
        if let Some(text) = self.texts.get(path) {
            return Some(text);
        }
        let canonical = path.canonicalize().ok()?;
        self.texts.get(&canonical).map(String::as_str)
    }
}

/// [`super::check_path`] over the overlay, returning the files read as well.
pub fn check_path_with(
    path: &Path,
    sources: &mut SourceMap,
    overlay: &Overlay,
) -> Result<(Program, Checked), ReadError> {
    let (program, mut diagnostics) = load::load_with(path, sources, overlay)?;
    let mut model = check_program(&program, &mut diagnostics);
    if let Some(m) = model.as_mut() {
        m.content_hash = content_hash(&program, sources);
    }
    diagnostics.sort();
    Ok((program, Checked { model, diagnostics }))
}
