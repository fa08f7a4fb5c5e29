//! The report in a real browser: Debian's Chromium, headless, driven over the
//! DevTools protocol by `tests/browser/drive.py`. Each page loads with no
//! console error, exception or policy violation; charts have their points;
//! search and the tier filter change the rows; ids that look like HTML or
//! script show as text and run nothing. Screenshots go to
//! `<target>/report-screens/`. Without Chromium (or Python's
//! websocket-client) the tests are skipped with a note — except under
//! `CI=true`, where they fail.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::*;

const SMALL: &str = "tests/fixtures/report/small.scorecard";
const SMALL_DATA: &str = "tests/fixtures/report/small.csv";

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// Whether the browser and the driver's library are here; if not, skip with
/// a note, or fail under CI.
fn available() -> bool {
    let python = Command::new("python3")
        .args(["-c", "import websocket"])
        .output()
        .is_ok_and(|o| o.status.success());
    if chromium().exists() && python {
        return true;
    }
    let why = format!(
        "browser tests need {} and python3 with websocket-client (apt-get install chromium; \
         pip install websocket-client)",
        chromium().display()
    );
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
    eprintln!("note: skipping the browser tests: {why}");
    false
}

fn screens() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("report-screens");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Open `html` in Chromium, run the steps (name, JavaScript expression) in
/// order, take a screenshot; the steps' values, after checking that nothing
/// went wrong in the page.
fn drive(html: &Path, screenshot: &str, steps: &[(&str, &str)]) -> serde_json::Map<String, Value> {
    let steps_file = html.with_extension("steps.json");
    let steps: Vec<Value> = steps
        .iter()
        .map(|(name, js)| serde_json::json!({"name": name, "eval": js}))
        .collect();
    std::fs::write(&steps_file, serde_json::to_string(&steps).unwrap()).unwrap();
    let shot = screens().join(screenshot);
    let out = Command::new("python3")
        .arg("tests/browser/drive.py")
        .arg(html)
        .arg(&shot)
        .arg(&steps_file)
        .env("CHROMIUM", chromium())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["errors"],
        serde_json::json!([]),
        "errors in {screenshot}"
    );
    assert_eq!(
        report["dialogs"],
        serde_json::json!([]),
        "{screenshot} opened a dialog"
    );
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000);
    report["results"].as_object().unwrap().clone()
}

fn write_report(args: &[&str], out: &Path) {
    let mut all = vec!["report"];
    all.extend(args);
    all.extend(["--out", out.to_str().unwrap()]);
    let o = scorecard(&all);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

const ROWS: &str = "document.querySelectorAll('#table tbody tr').length";

/// Set a control's value, fire its event, count the visible rows.
fn set(id: &str, value: &str, event: &str) -> String {
    format!(
        "(() => {{ const c = document.getElementById({id:?}); c.value = {value:?}; \
         c.dispatchEvent(new Event({event:?})); return {ROWS}; }})()"
    )
}

#[test]
fn the_overview_and_table_work_in_a_browser() {
    if !available() {
        return;
    }
    let dir = temp_dir("browser-small");
    let html = dir.join("small.html");
    write_report(&[SMALL, "--data", SMALL_DATA], &html);
    let search_a1 = set("search", "A1", "input");
    let search_none = set("search", "", "input");
    let gold = set("tier", "0\u{0}gold", "change");
    let silver = set("tier", "0\u{0}silver", "change");
    let all_tiers = set("tier", "", "change");
    let south = set("segment", "0\u{0}south", "change");
    let r = drive(
        &html,
        "small-overview.png",
        &[
            ("rows", ROWS),
            (
                "periods",
                "document.querySelector('svg.chart.tiers').querySelectorAll('g.period').length",
            ),
            (
                "bars",
                "document.querySelector('svg.chart.tiers').querySelectorAll('rect.bar').length",
            ),
            (
                "a1_points",
                "[...document.querySelectorAll('article.partner')].find(a => \
                 a.querySelector('h3').textContent === 'A1').querySelectorAll('svg.trajectory circle.pt').length",
            ),
            ("search", &search_a1),
            ("search_cleared", &search_none),
            ("gold", &gold),
            ("silver", &silver),
            ("all_tiers", &all_tiers),
            ("south", &south),
            (
                "ids",
                "[...document.querySelectorAll('h3.partner-id')].map(e => e.textContent)",
            ),
            (
                "cells",
                "[...document.querySelectorAll('#table tbody tr td:first-child')].map(e => e.textContent)",
            ),
            ("images", "document.images.length"),
            (
                "sorted",
                "(() => { const s = document.getElementById('segment'); s.value = ''; \
                 s.dispatchEvent(new Event('change')); const h = document.querySelector('#table thead th:nth-child(3)'); h.click(); h.click(); \
                 return document.querySelector('#table tbody tr td').textContent; })()",
            ),
        ],
    );
    assert_eq!(r["rows"], 5);
    assert_eq!(r["periods"], 3);
    // One bar per tier present in a period: gold, silver and bronze in each of the three.
    assert_eq!(r["bars"], 9);
    assert_eq!(r["a1_points"], 3);
    assert_eq!(r["search"], 1);
    assert_eq!(r["search_cleared"], 5);
    assert_eq!(r["gold"], 1);
    assert_eq!(r["silver"], 3);
    assert_eq!(r["all_tiers"], 5);
    // The segment filter keeps south: C3 and the `<img …>` partner.
    assert_eq!(r["south"], 2);
    let img = "<img src=x onerror=alert(1)>";
    let quote = "\"; alert(1); \"";
    assert_eq!(r["ids"], serde_json::json!([quote, img, "A1", "B2", "C3"]));
    assert_eq!(r["cells"], serde_json::json!([img, "C3"]));
    assert_eq!(r["images"], 0);
    // Sorted by health, highest first.
    assert_eq!(r["sorted"], "B2");
}

#[test]
fn a_partner_section_and_a_partners_page_in_a_browser() {
    if !available() {
        return;
    }
    let dir = temp_dir("browser-performance");
    let html = dir.join("performance.html");
    write_report(
        &[
            "scorecards/partner-performance.scorecard",
            "--data",
            "scorecards/data/partners.csv",
        ],
        &html,
    );
    let r = drive(
        &html,
        "performance-overview.png",
        &[
            ("rows", ROWS),
            (
                "periods",
                "document.querySelector('svg.chart.tiers').querySelectorAll('g.period').length",
            ),
            (
                "p1_points",
                "document.getElementById('p1').querySelectorAll('svg.trajectory')[2].querySelectorAll('circle.pt').length",
            ),
            (
                "sections",
                "document.querySelectorAll('article.partner').length",
            ),
        ],
    );
    assert_eq!(r["rows"], 300);
    assert_eq!(r["periods"], 8);
    assert_eq!(r["p1_points"], 8);
    assert_eq!(r["sections"], 300);
    let page = dir.join("partner.html");
    write_report(
        &[
            "scorecards/partner-performance.scorecard",
            "--data",
            "scorecards/data/partners.csv",
            "--partner",
            "P000001",
        ],
        &page,
    );
    let r = drive(
        &page,
        "partner-page.png",
        &[
            (
                "points",
                "[...document.querySelectorAll('svg.trajectory')].map(s => s.querySelectorAll('circle.pt').length)",
            ),
            (
                "sections",
                "document.querySelectorAll('article.partner').length",
            ),
            ("scripts", "document.scripts.length"),
            (
                "peer_rows",
                "document.querySelectorAll('table.peers tbody tr').length",
            ),
        ],
    );
    assert_eq!(r["points"], serde_json::json!([8, 8, 8]));
    assert_eq!(r["sections"], 1);
    assert_eq!(r["scripts"], 0);
    // Three scores, each against all partners and the partner's type.
    assert_eq!(r["peer_rows"], 6);
}

/// `report --corrections --overrides`: the section listing every touched row
/// with who, when and why, the marker on each touched partner's table row
/// (and searchable), the reported tier beside the computed one in the
/// partner's section, and the same on the partner's own page.
#[test]
fn corrected_and_overridden_partners_are_visible_in_a_browser() {
    if !available() {
        return;
    }
    let dir = temp_dir("browser-governance");
    let html = dir.join("governed.html");
    let governed = [
        "tests/fixtures/governance/program.scorecard",
        "--data",
        "tests/fixtures/governance/partners.csv",
        "--corrections",
        "tests/fixtures/governance/corrections.csv",
        "--overrides",
        "tests/fixtures/governance/overrides.csv",
    ];
    write_report(&governed, &html);
    let visible = |selector: &str| {
        format!(
            "[...document.querySelectorAll({selector:?})].filter(e => e.offsetParent !== null).map(e => e.textContent.trim())"
        )
    };
    let overridden = set("search", "overridden", "input");
    let r = drive(
        &html,
        "governance-overview.png",
        &[
            ("section", &visible("#governance tbody tr td:first-child")),
            ("stories", &visible("#governance tbody li")),
            ("cells", &visible("#table tbody tr td:first-child")),
            ("marks", &visible("#table tbody .touched")),
            ("overridden", &overridden),
            ("headings", &visible("h3.partner-id")),
            (
                "p4_score",
                "[...document.querySelectorAll('article.partner')].find(a => a.querySelector('h3').textContent.startsWith('P4')).querySelector('h4').textContent",
            ),
        ],
    );
    assert_eq!(r["section"], serde_json::json!(["P1", "P3", "P3", "P4"]));
    let stories = r["stories"].as_array().unwrap();
    assert!(
        stories.iter().any(|s| s
            .as_str()
            .unwrap()
            .starts_with("revenue corrected from 12000 to 21000 by ana.lima, approved by raj.patel on 2026-01-15: duplicate credit note removed")),
        "{stories:?}"
    );
    assert!(
        stories.iter().any(|s| s.as_str().unwrap().starts_with(
            "performance tier good by override, computed needs_improvement; approved by vp.channels until 2026Q2"
        )),
        "{stories:?}"
    );
    assert_eq!(
        r["cells"],
        serde_json::json!(["P1 corrected", "P2", "P3 corrected", "P4 overridden"])
    );
    assert_eq!(
        r["marks"],
        serde_json::json!(["corrected", "corrected", "overridden"])
    );
    assert_eq!(r["overridden"], 1);
    assert_eq!(
        r["headings"],
        serde_json::json!(["P1 corrected", "P2", "P3 corrected", "P4 overridden"])
    );
    let p4 = r["p4_score"].as_str().unwrap();
    assert!(
        p4.contains("good") && p4.contains("by override, computed needs_improvement"),
        "{p4}"
    );

    let page = dir.join("p4.html");
    let mut args = governed.to_vec();
    args.extend(["--partner", "P4"]);
    write_report(&args, &page);
    let r = drive(
        &page,
        "governance-partner-page.png",
        &[
            ("heading", &visible("h3.partner-id")),
            ("notes", &visible("ul.governance li")),
            ("others", "document.body.textContent.includes('P1')"),
        ],
    );
    assert_eq!(r["heading"], serde_json::json!(["P4 overridden"]));
    let notes = r["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0]
            .as_str()
            .unwrap()
            .starts_with("2025Q4: performance tier good by override"),
        "{notes:?}"
    );
    assert_eq!(r["others"], false);
}
