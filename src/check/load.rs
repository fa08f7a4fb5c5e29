//! Reading a scorecard and the files it imports, confined to its directory tree.

use std::path::{Component, Path, PathBuf};

use super::overlay::Overlay;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, SourceMap};
use crate::syntax::ast::{self, Decl, Span};

/// The most files one scorecard may import, directly or not.
pub const MAX_IMPORTS: usize = 64;

/// The longest chain of imports (a imports b imports c …).
pub const MAX_IMPORT_DEPTH: usize = 16;

/// A file read and parsed.
#[derive(Debug)]
pub struct Loaded {
    pub file: FileId,
    pub tree: ast::File,
    /// The chain of imports that brought it in (empty for the root).
    pub depth: usize,
}

/// Everything read for one root scorecard.
#[derive(Debug, Default)]
pub struct Program {
    pub root: Option<FileId>,
    /// The root first, then imports in the order first reached.
    pub files: Vec<Loaded>,
}

/// The root file could not be read at all (I/O, not content).
#[derive(Debug)]
pub struct ReadError {
    pub path: PathBuf,
    pub error: std::io::Error,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot read `{}`: {}", self.path.display(), self.error)
    }
}

/// Decode bytes as UTF-8; on failure report P005 and continue with a lossy copy.
pub fn decode(file_name: &str, bytes: Vec<u8>) -> (String, Option<(usize, String)>) {
    match String::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            (
                text,
                Some((at, format!("`{file_name}` is not valid UTF-8"))),
            )
        }
    }
}

/// Add a text to the map and parse it.
pub fn parse_source(
    sources: &mut SourceMap,
    name: &str,
    path: Option<&Path>,
    bytes: Vec<u8>,
) -> (FileId, Option<ast::File>, Diagnostics) {
    let (text, bad_utf8) = decode(name, bytes);
    let file = sources.add(name, path, text);
    let mut diagnostics = Diagnostics::new();
    if let Some((at, message)) = bad_utf8 {
        diagnostics.push(
            Diagnostic::new(Code::P005, file, Span::new(at, at + 1), message)
                .label("invalid byte sequence here")
                .help("save the file as UTF-8 text"),
        );
        return (file, None, diagnostics);
    }
    let (tree, found) = crate::syntax::parse(file, sources.text(file));
    for d in found {
        diagnostics.push(d);
    }
    (file, tree, diagnostics)
}

/// Read `path` and everything it imports.
pub fn load(path: &Path, sources: &mut SourceMap) -> Result<(Program, Diagnostics), ReadError> {
    load_with(path, sources, &Overlay::default())
}

/// Read `path` and everything it imports, taking the text of a file the
/// overlay holds from the overlay instead of the disk.
pub fn load_with(
    path: &Path,
    sources: &mut SourceMap,
    overlay: &Overlay,
) -> Result<(Program, Diagnostics), ReadError> {
    let name = path.display().to_string();
    let (file, tree, mut diagnostics) =
        read_source(sources, &name, path, overlay).map_err(|error| ReadError {
            path: path.to_path_buf(),
            error,
        })?;
    let mut program = Program {
        root: Some(file),
        files: Vec::new(),
    };
    let root_dir = path
        .parent()
        .map(|p| {
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            }
        })
        .and_then(|p| p.canonicalize().ok());
    if let Some(tree) = tree {
        let imports = imports_of(&tree);
        program.files.push(Loaded {
            file,
            tree,
            depth: 0,
        });
        if let Some(root_dir) = root_dir {
            let mut loader = Loader {
                overlay,
                root_dir,
                sources,
                program: &mut program,
                diagnostics: &mut diagnostics,
                stack: vec![path.canonicalize().unwrap_or_else(|_| path.to_path_buf())],
                loaded: vec![path.canonicalize().unwrap_or_else(|_| path.to_path_buf())],
            };
            loader.follow(file, path, imports, 1);
            let root_dir = loader.root_dir;
            for loaded in &program.files {
                confine_data_paths(&root_dir, loaded, &mut diagnostics);
            }
        }
    }
    Ok((program, diagnostics))
}

/// The data files a file's tests and snapshots name (`given file`,
/// `snapshot`), which are read relative to the root scorecard's directory,
/// confined to its tree as imports are (`S020`), and regular files (`S021`).
fn confine_data_paths(root_dir: &Path, loaded: &Loaded, diagnostics: &mut Diagnostics) {
    let mut named: Vec<&ast::Str> = Vec::new();
    for decl in &loaded.tree.decls {
        match decl {
            Decl::Snapshot(s) => {
                named.push(&s.data);
                named.extend(s.governance.iter().map(|g| &g.path));
            }
            Decl::Test(t) => {
                for clause in &t.clauses {
                    match clause {
                        ast::TestClause::GivenFile(path, _) => named.push(path),
                        ast::TestClause::GovernFile(g) => named.push(&g.path),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    for path in named {
        let written = path.value.as_str();
        let relative = Path::new(written);
        let outside = |message: String| {
            Diagnostic::new(Code::S020, loaded.file, path.span, message)
                .label("this data file")
                .help("keep data files in the scorecard's directory or a folder below it, and write the path relative to the scorecard")
        };
        if relative.is_absolute() || written.starts_with(['/', '\\']) || written.contains(':') {
            diagnostics.push(outside(format!("`{written}` is an absolute path")));
            continue;
        }
        if escapes_lexically(root_dir, root_dir, relative) {
            diagnostics.push(outside(format!(
                "`{written}` is outside the scorecard's directory"
            )));
            continue;
        }
        let joined = root_dir.join(relative);
        // A file that does not exist is reported when the tests run.
        let Ok(canonical) = joined.canonicalize() else {
            continue;
        };
        if !canonical.starts_with(root_dir) {
            diagnostics.push(outside(format!(
                "`{written}` leads outside the scorecard's directory"
            )));
            continue;
        }
        if let Ok(meta) = std::fs::metadata(&canonical) {
            if !meta.is_file() {
                diagnostics.push(
                    Diagnostic::new(
                        Code::S021,
                        loaded.file,
                        path.span,
                        format!("`{written}` is {}, not a regular file", kind_of(&meta)),
                    )
                    .label("this data file")
                    .help("name a data file (CSV, JSON or NDJSON); pipes, devices and directories are never read"),
                );
            }
        }
    }
}

/// Read a whole file; one above the size limit is not read (`Err(size)`).
fn read_limited(path: &Path) -> std::io::Result<Result<Vec<u8>, u64>> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        // Never opened: reading a FIFO or a device could block for ever.
        return Err(std::io::Error::other(format!(
            "it is {}, not a regular file",
            kind_of(&meta)
        )));
    }
    if meta.len() > crate::syntax::prescan::MAX_FILE_BYTES as u64 {
        return Ok(Err(meta.len()));
    }
    std::fs::read(path).map(Ok)
}

/// Read a file into the map, reporting P006 for one over the size limit.
fn read_source(
    sources: &mut SourceMap,
    name: &str,
    path: &Path,
    overlay: &Overlay,
) -> std::io::Result<(FileId, Option<ast::File>, Diagnostics)> {
    if let Some(text) = overlay.get(path) {
        return Ok(parse_source(
            sources,
            name,
            Some(path),
            text.as_bytes().to_vec(),
        ));
    }
    match read_limited(path)? {
        Ok(bytes) => Ok(parse_source(sources, name, Some(path), bytes)),
        Err(size) => {
            let file = sources.add(name, Some(path), String::new());
            let mut diagnostics = Diagnostics::new();
            diagnostics.push(crate::syntax::prescan::too_large(file, size as usize));
            Ok((file, None, diagnostics))
        }
    }
}

fn imports_of(tree: &ast::File) -> Vec<ast::Import> {
    tree.decls
        .iter()
        .filter_map(|d| match d {
            Decl::Import(i) => Some(i.clone()),
            _ => None,
        })
        .collect()
}

struct Loader<'a> {
    overlay: &'a Overlay,
    root_dir: PathBuf,
    sources: &'a mut SourceMap,
    program: &'a mut Program,
    diagnostics: &'a mut Diagnostics,
    /// Canonical paths of the files on the current import chain.
    stack: Vec<PathBuf>,
    /// Canonical paths of every file of this program read so far.
    loaded: Vec<PathBuf>,
}

impl Loader<'_> {
    fn follow(&mut self, from: FileId, from_path: &Path, imports: Vec<ast::Import>, depth: usize) {
        for import in imports {
            self.import(from, from_path, &import, depth);
        }
    }

    fn import(&mut self, from: FileId, from_path: &Path, import: &ast::Import, depth: usize) {
        let written = import.path.value.as_str();
        let span = import.path.span;
        let relative = Path::new(written);
        if relative.is_absolute()
            || written.starts_with('/')
            || written.starts_with('\\')
            || written.contains(':')
        {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::S007,
                    from,
                    span,
                    format!("`{written}` is an absolute path"),
                )
                .label("imports must be relative")
                .help("write the path relative to this file, inside the scorecard's directory"),
            );
            return;
        }
        let base = from_path.parent().unwrap_or(Path::new("."));
        let joined = base.join(relative);
        let lexical_escape = escapes_lexically(&self.root_dir, base, relative);
        let canonical = match joined.canonicalize() {
            Ok(c) => c,
            Err(e) => {
                if lexical_escape {
                    self.outside(from, span, written);
                } else {
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::S009,
                            from,
                            span,
                            format!("cannot read `{written}`: {}", io_reason(&e)),
                        )
                        .label("this file")
                        .help("check the path; it is relative to the importing file"),
                    );
                }
                return;
            }
        };
        if !canonical.starts_with(&self.root_dir) {
            self.outside(from, span, written);
            return;
        }
        if self.stack.contains(&canonical) {
            let chain: Vec<String> = self
                .stack
                .iter()
                .chain(std::iter::once(&canonical))
                .map(|p| {
                    p.file_name()
                        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
                })
                .collect();
            self.diagnostics.push(
                Diagnostic::new(
                    Code::S008,
                    from,
                    span,
                    format!("import cycle: {}", chain.join(" → ")),
                )
                .label("this import closes the cycle")
                .help("move the shared definitions into a file that neither imports"),
            );
            return;
        }
        if self.loaded.contains(&canonical) {
            return; // imported already through another path
        }
        if depth > MAX_IMPORT_DEPTH {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::S011,
                    from,
                    span,
                    format!("imports nested deeper than {MAX_IMPORT_DEPTH} files"),
                )
                .label("this import is too deep")
                .help("import shared files directly from the scorecard instead of through chains"),
            );
            return;
        }
        if self.program.files.len() > MAX_IMPORTS {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::S011,
                    from,
                    span,
                    format!("more than {MAX_IMPORTS} imported files"),
                )
                .label("one import too many")
                .help("merge small shared files"),
            );
            return;
        }
        let name = joined.display().to_string();
        let (file, tree, found) = match read_source(self.sources, &name, &canonical, self.overlay) {
            Ok(read) => read,
            Err(e) => {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::S009,
                        from,
                        span,
                        format!("cannot read `{written}`: {}", io_reason(&e)),
                    )
                    .label("this file")
                    .help("check the path and the file's permissions"),
                );
                return;
            }
        };
        self.diagnostics.extend(found);
        let Some(tree) = tree else { return };
        let imports = imports_of(&tree);
        self.program.files.push(Loaded { file, tree, depth });
        self.loaded.push(canonical.clone());
        self.stack.push(canonical.clone());
        self.follow(file, &canonical, imports, depth + 1);
        self.stack.pop();
    }

    fn outside(&mut self, from: FileId, span: Span, written: &str) {
        self.diagnostics.push(
            Diagnostic::new(
                Code::S007,
                from,
                span,
                format!("`{written}` is outside the scorecard's directory"),
            )
            .label("this import leaves the directory tree")
            .help("keep shared files in the scorecard's directory or a folder below it"),
        );
    }
}

/// Whether `base/relative` climbs above `root` by its `..` components.
fn escapes_lexically(root: &Path, base: &Path, relative: &Path) -> bool {
    let base = base.canonicalize().unwrap_or_else(|_| base.to_path_buf());
    let mut depth: isize = base
        .strip_prefix(root)
        .map(|p| p.components().count() as isize)
        .unwrap_or(0);
    for component in relative.components() {
        match component {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

/// What a path that is not a regular file is, in words.
pub fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

/// An I/O error in words that do not depend on the operating system.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "the file does not exist".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}
