//! JUnit XML for `check --format junit`: one test case per file checked,
//! failed when the file has an error (or, under `--deny warnings`, a warning).

use super::Diagnostic;
use super::render::plain_line;
use crate::escape::xml;
use crate::source::SourceMap;

/// The report for `files` (names as the diagnostics show them).
pub fn junit(
    files: &[String],
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    deny_warnings: bool,
) -> String {
    // Files with findings that were not named (imports) get their own case.
    let mut names: Vec<&str> = files.iter().map(String::as_str).collect();
    for d in diagnostics {
        let name = sources.name(d.file);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let mut cases = String::new();
    let mut failures = 0;
    for name in &names {
        let found: Vec<&Diagnostic> = diagnostics
            .iter()
            .filter(|d| sources.name(d.file) == *name)
            .collect();
        let failed: Vec<&&Diagnostic> = found
            .iter()
            .filter(|d| d.is_error() || deny_warnings)
            .collect();
        cases.push_str(&format!(
            "    <testcase classname=\"scorecard.check\" name=\"{}\" file=\"{}\"",
            xml(name),
            xml(name)
        ));
        if found.is_empty() {
            cases.push_str("/>\n");
            continue;
        }
        cases.push_str(">\n");
        let lines: Vec<String> = found.iter().map(|d| plain_line(d, sources)).collect();
        if let Some(first) = failed.first() {
            failures += 1;
            cases.push_str(&format!(
                "      <failure message=\"{}\" type=\"{}\">{}</failure>\n",
                xml(&format!("{}: {}", first.code.as_str(), first.message)),
                first.code.as_str(),
                xml(&lines.join("\n"))
            ));
        } else {
            cases.push_str(&format!(
                "      <system-out>{}</system-out>\n",
                xml(&lines.join("\n"))
            ));
        }
        cases.push_str("    </testcase>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"scorecard check\" tests=\"{n}\" failures=\"{failures}\">\n  <testsuite name=\"scorecard check\" tests=\"{n}\" failures=\"{failures}\">\n{cases}  </testsuite>\n</testsuites>\n",
        n = names.len()
    )
}
