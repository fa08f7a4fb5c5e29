//! Stages only look down: each top-level module of `src/` may use the modules
//! listed before it in [`STAGES`], never one listed after it.
//!
//! The list is the single source of the order (docs/architecture.md explains
//! it). Every `crate::…` path in a module's files counts, in `use` lines and in
//! code, grouped (`use crate::{a, b}`) or not; comments do not, and neither does
//! a `#[cfg(test)]` module (tests may build their input with any stage). A
//! top-level module missing from the list fails the test.
//!
//! Also here: the table in `src/check/resolve/mod.rs` of which file raises
//! which diagnostic code matches the files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The top-level modules of `src/`, lowest first. A module may use only the
/// modules before it.
const STAGES: &[&str] = &[
    // Leaves: no stage of their own.
    "escape",
    "interrupt",
    // Source text and its positions, the shared operator vocabulary, and
    // diagnostics (which point into sources).
    "source",
    "vocab",
    "diag",
    // Text to tree, and the formatter that lays the tree out again.
    "syntax",
    "fmt",
    // The checked model, the data it reads (under its contract) and the
    // checker that builds it (and compares a contract with a data file).
    "model",
    "data",
    "ops",
    "check",
    // Model to plan, and the plan run over a table.
    "plan",
    "eval",
    // The SQL compiler (reads the model and the plan).
    "compile",
    // Corrections to the loaded table and tier overrides of evaluated rows.
    "govern",
    // What is done with evaluated rows.
    "render",
    "summary",
    "explain",
    // The path to the next tier: rows re-scored with changed values.
    "advice",
    // The HTML report (evaluated rows, explanations, rendering).
    "report",
    "testing",
    "diff",
    // What-if, sensitivity and backtest (reuse diff's scoring and report).
    "decide",
    "publish",
    "init",
    // The language server (checker, formatter, diagnostics).
    "lsp",
    // The command line and the binary, last.
    "cli",
    "main",
];

/// The modules of `src/data/`, lowest first, in the layers that
/// `src/data/mod.rs` describes: what every layer shares, the first bytes, the
/// collector, the readers (which write each row through the collector's row
/// sink), the loader.
const DATA_LAYERS: &[&str] = &[
    "table", "convert", "problem", "ints", "period", "sniff", "header", "collect", "csv_fast",
    "json", "excel", "parquet", "load", "given", "cell",
];

/// Stages that run a checked scorecard: they read the model, never the syntax
/// tree (the kinds they share with the parser are in `vocab`).
const BELOW_THE_SYNTAX_TREE: &[&str] =
    &["model", "data", "ops", "plan", "eval", "render", "summary"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level modules of `src/`: each `*.rs` file but `lib.rs`, and each folder.
fn top_level_modules() -> Vec<(String, PathBuf)> {
    modules_in(&src(), "lib")
}

/// The modules of a folder: each `*.rs` file but `root` (`lib` or `mod`), and each folder.
fn modules_in(folder: &Path, root: &str) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() || (path.extension().is_some_and(|e| e == "rs") && name != root) {
            out.push((name, path));
        }
    }
    out.sort();
    out
}

/// Every `.rs` file of a module: the file itself, or every file under its folder.
fn rust_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(path).unwrap() {
        out.extend(
            rust_files(&entry.unwrap().path())
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "rs")),
        );
    }
    out.sort();
    out
}

/// The code of a file without comments and without `#[cfg(test)]` modules
/// (from the attribute in the first column to the next `}` there).
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut in_test = false;
    for line in text.lines() {
        if in_test {
            in_test = line != "}";
            continue;
        }
        if line == "#[cfg(test)]" {
            in_test = true;
            continue;
        }
        let line = match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        };
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The top-level modules a piece of code names through `prefix` (`crate::`):
/// `crate::a::x` and `use crate::{b, c::y}` name `a`, `b` and `c`.
fn named_modules(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (at, _) in code.match_indices(prefix) {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let rest = &code[at + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        item_start = false;
                        out.insert(ident(&group[i..]));
                    }
                    _ => {}
                }
            }
        } else {
            out.insert(ident(rest));
        }
    }
    out.retain(|m| !m.is_empty() && m != "self");
    out
}

#[test]
fn every_top_level_module_is_a_listed_stage() {
    let mut unknown = Vec::new();
    for (name, _) in top_level_modules() {
        if !STAGES.contains(&name.as_str()) {
            unknown.push(name);
        }
    }
    assert!(
        unknown.is_empty(),
        "src/ has top-level modules that are not in the list of stages: {unknown:?}.\n\
         Add each to STAGES in tests/integration/layering.rs, after every stage it uses \
         and before every stage that uses it (and describe it in docs/architecture.md)."
    );
    let unique: BTreeSet<_> = STAGES.iter().collect();
    assert_eq!(unique.len(), STAGES.len(), "a stage is listed twice");
}

#[test]
fn stages_only_use_earlier_stages() {
    let rank = |m: &str| STAGES.iter().position(|s| *s == m);
    let mut wrong = Vec::new();
    for (name, path) in top_level_modules() {
        let Some(own) = rank(&name) else { continue };
        for file in rust_files(&path) {
            let text = code(&std::fs::read_to_string(&file).unwrap());
            let mut used = named_modules(&text, "crate::");
            if name == "main" {
                used.extend(named_modules(&text, "scorecard::"));
            }
            for other in used {
                if rank(&other).is_some_and(|r| r > own) {
                    let file = file.strip_prefix(src()).unwrap().display().to_string();
                    wrong.push(format!(
                        "src/{file}: `{name}` uses `{other}`, a later stage"
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "a stage uses a later one (the order is STAGES in tests/integration/layering.rs):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_model_and_the_engine_never_name_the_syntax_tree() {
    let mut wrong = Vec::new();
    for (name, path) in top_level_modules() {
        if !BELOW_THE_SYNTAX_TREE.contains(&name.as_str()) {
            continue;
        }
        for file in rust_files(&path) {
            let text = code(&std::fs::read_to_string(&file).unwrap());
            if named_modules(&text, "crate::").contains("syntax") {
                let file = file.strip_prefix(src()).unwrap().display().to_string();
                wrong.push(format!("src/{file}: `{name}` names the syntax tree"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_data_layers_only_use_lower_layers() {
    let data = src().join("data");
    let rank = |m: &str| DATA_LAYERS.iter().position(|s| *s == m);
    let mut wrong = Vec::new();
    for (name, path) in modules_in(&data, "mod") {
        let Some(own) = rank(&name) else {
            wrong.push(format!(
                "src/data/{name} is in no layer: add it to DATA_LAYERS in \
                 tests/integration/layering.rs (and to the layers in src/data/mod.rs)"
            ));
            continue;
        };
        for file in rust_files(&path) {
            let text = code(&std::fs::read_to_string(&file).unwrap());
            let mut used = named_modules(&text, "crate::data::");
            if file.parent() == Some(data.as_path()) {
                used.extend(named_modules(&text, "super::"));
            }
            for other in used {
                if rank(&other).is_some_and(|r| r > own) {
                    let file = file.strip_prefix(src()).unwrap().display().to_string();
                    wrong.push(format!(
                        "src/{file}: `{name}` uses `{other}`, a higher layer"
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_scan_finds_grouped_and_inline_paths_and_skips_comments_and_tests() {
    let text = "use crate::{alpha, beta::{X, Y}, gamma::z};\n\
                use crate::delta::W;\n\
                fn f() { crate::epsilon::g(); }\n\
                // crate::zeta in a comment\n\
                let s = \"a // crate::eta inside a string\";\n\
                #[cfg(test)]\n\
                mod tests {\n    use crate::theta;\n}\n\
                use crate::iota;\n";
    let found: Vec<String> = named_modules(&code(text), "crate::").into_iter().collect();
    assert_eq!(
        found,
        ["alpha", "beta", "delta", "epsilon", "eta", "gamma", "iota"]
    );
}

/// The diagnostic codes written after `prefix` in a text: `Code::N001` in
/// code, `` `N001` `` in a table.
fn codes_after(text: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (at, _) in text.match_indices(prefix) {
        let code: String = text[at + prefix.len()..].chars().take(4).collect();
        let mut chars = code.chars();
        let letter = chars.next().is_some_and(|c| c.is_ascii_uppercase());
        if code.len() == 4 && letter && chars.all(|c| c.is_ascii_digit()) {
            out.insert(code);
        }
    }
    out
}

/// `src/check/resolve/mod.rs` has a table of which file raises which code;
/// it must match the codes each file writes.
#[test]
fn the_resolver_table_names_the_codes_each_file_raises() {
    let folder = src().join("check").join("resolve");
    let table = std::fs::read_to_string(folder.join("mod.rs")).unwrap();
    let mut wrong = Vec::new();
    for (name, path) in modules_in(&folder, "mod") {
        let raised = codes_after(&code(&std::fs::read_to_string(&path).unwrap()), "Code::");
        let row = table
            .lines()
            .find(|l| l.starts_with(&format!("//! | `{name}.rs` |")));
        let listed = row.map(|r| codes_after(r, "`"));
        if listed.as_ref() != Some(&raised) {
            wrong.push(format!(
                "src/check/resolve/{name}.rs raises {raised:?}; its row in the table of \
                 src/check/resolve/mod.rs lists {listed:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
