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

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `tests/fixtures/data/contract.scorecard`, the contract the readers'
/// tests score their files with.
pub fn data_contract() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/data/contract.scorecard")
        .display()
        .to_string()
}

/// `score --on-invalid skip` of `data` with `scorecard`, the rejected rows
/// written to `rejects`, the results as CSV: the run and the rejects file.
pub fn score_skipping(scorecard_path: &str, data: &Path, rejects: &Path) -> (Output, String) {
    let out = scorecard(&[
        "score",
        scorecard_path,
        "--data",
        data.to_str().unwrap(),
        "--on-invalid",
        "skip",
        "--rejects",
        rejects.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    let text = std::fs::read_to_string(rejects).unwrap_or_default();
    (out, text)
}

/// A fresh directory under the system's temporary directory, for this process.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("scorecard-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Score the rows of the scorecard's first test; every row is reported, as CSV.
pub fn score(text: &str) -> String {
    let (sources, checked) = check_str(text);
    assert!(
        !checked.diagnostics.has_errors(),
        "{}",
        human(&sources, &checked)
    );
    let model = checked.model.unwrap();
    let rows = &model.tests.first().expect("a test with rows").rows;
    let table = scorecard::data::given::table_from_rows(&model, rows);
    score_table(&model, &table)
}

/// Score every row of `table`, scored from this thread, as CSV.
pub fn score_table(
    model: &scorecard::model::Model,
    table: &scorecard::data::table::Table,
) -> String {
    use scorecard::eval::{self, Context, PeriodChoice, Selection};
    let plan = scorecard::plan::compile(model);
    let ordered = eval::order_rows(model, table);
    let mut ctx = Context::new(model, &plan, table, &ordered);
    let selection = Selection {
        period: PeriodChoice::All,
        partner: None,
    };
    let mut out = scorecard::render::csv::header(&plan);
    eval::evaluate(
        &mut ctx,
        |b| scorecard::render::csv::rows(b, &selection).0,
        |text| out.push_str(&text),
    );
    out
}
