//! JUnit XML for CI dashboards: one test suite per scorecard, one test case per test.

use super::Outcome;

use crate::escape::xml as escape;

/// One `<testsuites>` document for every scorecard's outcomes.
/// `failure_text(outcome)` renders an outcome's failures as plain text.
pub fn render(
    suites: &[(String, Vec<Outcome>)],
    failure_text: &dyn Fn(&Outcome) -> String,
) -> String {
    let total: usize = suites.iter().map(|(_, o)| o.len()).sum();
    let failed: usize = suites
        .iter()
        .map(|(_, o)| o.iter().filter(|x| !x.passed()).count())
        .sum();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"scorecard\" tests=\"{total}\" failures=\"{failed}\">\n"
    );
    for (file, outcomes) in suites {
        let failures = outcomes.iter().filter(|o| !o.passed()).count();
        let seconds: f64 = outcomes.iter().map(|o| o.seconds).sum();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" time=\"{seconds:.3}\">\n",
            escape(file),
            outcomes.len()
        ));
        for o in outcomes {
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                escape(file),
                escape(&o.name),
                o.seconds
            ));
            if o.passed() {
                out.push_str("/>\n");
                continue;
            }
            let first = o
                .failures
                .first()
                .map(|d| d.message.as_str())
                .unwrap_or("failed");
            out.push_str(&format!(
                ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                escape(first),
                escape(&failure_text(o))
            ));
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
