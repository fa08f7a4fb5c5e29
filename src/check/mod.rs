//! Checking: imports, names, types, cycles and lints over a parsed scorecard.
//!
//! [`check_path`] is the entry point: it reads a scorecard and its imports and
//! returns the [`Model`] with every diagnostic found.

pub mod contract;
pub mod cycles;
pub mod governance;
pub mod lints;
pub mod load;
pub mod overlay;
pub mod range;
pub mod resolve;

use std::path::Path;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::Model;
use crate::source::SourceMap;
pub use load::ReadError;

/// The result of checking one scorecard.
#[derive(Debug)]
pub struct Checked {
    /// The model, when the file parsed (it may still have errors).
    pub model: Option<Model>,
    pub diagnostics: Diagnostics,
}

impl Checked {
    /// The model, only if no error was found.
    pub fn clean_model(&self) -> Option<&Model> {
        if self.diagnostics.has_errors() {
            None
        } else {
            self.model.as_ref()
        }
    }
}

/// Read, parse and check the scorecard at `path` (and its imports).
pub fn check_path(path: &Path, sources: &mut SourceMap) -> Result<Checked, ReadError> {
    overlay::check_path_with(path, sources, &overlay::Overlay::new()).map(|(_, checked)| checked)
}

/// Like [`check_path`], with `text` in place of the root file's contents
/// (its imports are still read from disk, relative to `path`).
pub fn check_path_with_text(
    path: &Path,
    text: Option<&str>,
    sources: &mut SourceMap,
) -> Result<Checked, ReadError> {
    let mut held = overlay::Overlay::new();
    if let Some(text) = text {
        held.insert(path, text);
    }
    overlay::check_path_with(path, sources, &held).map(|(_, checked)| checked)
}

/// SHA-256 over every file of the program, in load order: the root's text,
/// then each import's path (as written relative to the root) and text.
pub fn content_hash(program: &load::Program, sources: &SourceMap) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    let path_of = |f| {
        sources
            .get(f)
            .and_then(|s| s.path.as_ref())
            .and_then(|p| p.canonicalize().ok())
    };
    let root_dir = program
        .root
        .and_then(path_of)
        .and_then(|p| p.parent().map(Path::to_path_buf));
    for (k, loaded) in program.files.iter().enumerate() {
        if k > 0 {
            // Where the import sits relative to the scorecard, whatever the working directory.
            let relative = match (path_of(loaded.file), &root_dir) {
                (Some(p), Some(root)) => p
                    .strip_prefix(root)
                    .map(|r| r.display().to_string())
                    .unwrap_or_default(),
                _ => sources.name(loaded.file).to_string(),
            };
            hasher.update(b"\0");
            hasher.update(relative.as_bytes());
            hasher.update(b"\0");
        }
        hasher.update(sources.text(loaded.file).as_bytes());
    }
    let digest = hasher.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Check a text that is not on disk (imports are resolved from the current directory).
pub fn check_text(name: &str, text: &str, sources: &mut SourceMap) -> Checked {
    let (file, tree, mut diagnostics) =
        load::parse_source(sources, name, None, text.as_bytes().to_vec());
    let mut program = load::Program {
        root: Some(file),
        files: Vec::new(),
    };
    if let Some(tree) = tree {
        for decl in &tree.decls {
            if let crate::syntax::ast::Decl::Import(i) = decl {
                diagnostics.push(
                    Diagnostic::new(
                        Code::S009,
                        file,
                        i.path.span,
                        "imports need the scorecard to be a file on disk",
                    )
                    .label("cannot resolve this import")
                    .help("save the scorecard to a file and check that file"),
                );
            }
        }
        program.files.push(load::Loaded {
            file,
            tree,
            depth: 0,
        });
    }
    let mut model = check_program(&program, &mut diagnostics);
    if let Some(m) = model.as_mut() {
        m.content_hash = content_hash(&program, sources);
    }
    diagnostics.sort();
    Checked { model, diagnostics }
}

/// Resolve, order and lint a loaded program.
pub fn check_program(program: &load::Program, diagnostics: &mut Diagnostics) -> Option<Model> {
    program.files.first()?;
    let (mut model, found) = resolve::Resolver::new(program).run();
    diagnostics.extend(found);
    governance::resolve(program, &mut model, diagnostics);
    let has_keyless_scores = !model.scores.is_empty() && model.contract.key.is_none();
    if has_keyless_scores {
        let root = program.root.unwrap_or_default();
        let span = model.contract.loc.map_or_else(Default::default, |l| l.span);
        diagnostics.push(
            Diagnostic::new(
                Code::S002,
                root,
                span,
                "scores need an input block that names the key column",
            )
            .label(if model.contract.loc.is_some() {
                "no `key` in this input block"
            } else {
                "no input block"
            })
            .help("declare the input: `input { key partner_id  … }`"),
        );
    }
    model.order = cycles::order(&model, diagnostics);
    let cyclic = model.order.is_empty()
        && !(model.metrics.is_empty()
            && model.scores.is_empty()
            && model.segments.is_empty()
            && model.flags.is_empty());
    // Lints judge what means something: a finding about a declaration that
    // has an error, or reads one, would only repeat it in other words.
    if !cyclic {
        let mut found = Diagnostics::new();
        lints::run(&model, program, &mut found);
        for d in lints::keep_where_clean(&model, program, diagnostics, found) {
            diagnostics.push(d);
        }
    }
    Some(model)
}
