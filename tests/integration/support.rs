//! Helpers shared by the integration tests.

use std::path::Path;
use std::process::{Command, Output};

use scorecard::check::{Checked, check_path, check_text};
use scorecard::diag::render::{self, HumanStyle};
use scorecard::source::SourceMap;

/// Check a file on disk.
pub fn check_file(path: &Path) -> (SourceMap, Checked) {
    let mut sources = SourceMap::new();
    let checked = check_path(path, &mut sources).expect("fixture readable");
    (sources, checked)
}

/// Check a scorecard given as text.
pub fn check_str(text: &str) -> (SourceMap, Checked) {
    let mut sources = SourceMap::new();
    let checked = check_text("test.scorecard", text, &mut sources);
    (sources, checked)
}

/// The codes of every diagnostic, in order.
pub fn codes(checked: &Checked) -> Vec<&'static str> {
    checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect()
}

/// The colourless human report.
pub fn human(sources: &SourceMap, checked: &Checked) -> String {
    let items: Vec<_> = checked.diagnostics.iter().cloned().collect();
    render::human(
        &items,
        sources,
        HumanStyle {
            color: false,
            width: 100,
        },
    )
}

/// The JSON report.
pub fn json(sources: &SourceMap, checked: &Checked) -> String {
    let items: Vec<_> = checked.diagnostics.iter().cloned().collect();
    render::json(&items, sources)
}

/// Run the binary.
pub fn scorecard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args(args)
        .env("NO_COLOR", "1")
        // `explain` wraps its text to `COLUMNS` when set.
        .env_remove("COLUMNS")
        .output()
        .expect("binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A fresh directory under the system's temporary directory, for this process.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("scorecard-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
