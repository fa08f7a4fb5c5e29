//! `score` of a CSV file keeps only the columns needed before the last pass
//! and reads the file again, batch by batch, for the others (see
//! `data::load::Reread`). These tests hold it to the table that keeps every
//! column (`SCORECARD_REREAD=0`): the same bytes out, the same problems, the
//! same exit status, whatever the rows' order, quoting, line ends, policy,
//! selection and output format.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::*;

const CARDS: [&str; 4] = [
    "scorecards/partner-performance.scorecard",
    "scorecards/partner-performance-v2.scorecard",
    "scorecards/partner-onboarding.scorecard",
    "bench/b4-history.scorecard",
];

/// `score` with the file read again (`again`) or kept whole.
fn score(args: &[&str], again: bool) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .arg("score")
        .args(args)
        .env("NO_COLOR", "1")
        .env("SCORECARD_REREAD", if again { "1" } else { "0" })
        .output()
        .expect("binary runs")
}

/// What a run gave: its status, standard output and error, and the file
/// written (if any), with the paths made alike.
fn outcome(args: &[&str], out: Option<&Path>, again: bool) -> String {
    if let Some(out) = out {
        let _ = std::fs::remove_file(out);
    }
    let run = score(args, again);
    let written = out.map(|p| std::fs::read_to_string(p).unwrap_or_else(|_| "(none)".into()));
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}\n--- file\n{}",
        run.status.code(),
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr),
        written.unwrap_or_default()
    )
}

/// Both ways of reading give the same outcome; the outcome, for more checks.
fn same(args: &[&str], out: Option<&Path>) -> String {
    let whole = outcome(args, out, false);
    let again = outcome(args, out, true);
    assert!(
        whole == again,
        "{args:?}\n=== kept whole\n{whole:.3000}\n=== read again\n{again:.3000}"
    );
    whole
}

/// The sample data in other forms: rows shuffled with CRLF line ends and
/// blank lines; fields quoted (some holding commas and line breaks in a text
/// column); four copies under fresh keys, for many batches.
fn variants(dir: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string("scorecards/data/partners.csv").unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    let write = |name: &str, body: String| {
        let path = dir.join(name);
        std::fs::write(&path, body).unwrap();
        path
    };
    // A fixed permutation: every 7th row, round and round (7 does not
    // divide the number of rows).
    let mut shuffled = format!("{header}\r\n");
    let n = rows.len();
    assert_ne!(n % 7, 0);
    for i in 0..n {
        shuffled.push_str(rows[(i * 7) % n]);
        shuffled.push_str(if i % 50 == 0 { "\r\n\r\n" } else { "\r\n" });
    }
    let quoted_rows: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut fields: Vec<String> = r.split(',').map(str::to_string).collect();
            if i % 3 == 0 {
                for f in fields.iter_mut() {
                    *f = format!("\"{f}\"");
                }
            }
            if i % 5 == 0 {
                // The last field is `joined_period`, a text column.
                if let Some(last) = fields.last_mut() {
                    *last = "\"2023Q3,\n\"\"late\"\"\"".to_string();
                }
            }
            fields.join(",")
        })
        .collect();
    let quoted = format!("{header}\n{}\n", quoted_rows.join("\n"));
    let mut copies = format!("{header}\n");
    for c in 0..4 {
        for r in &rows {
            copies.push_str(&format!("X{c}{}\n", &r[1..]));
        }
    }
    vec![
        write("partners.csv", text.clone()),
        write("shuffled.csv", shuffled),
        write("quoted.csv", quoted),
        write("copies.csv", copies),
    ]
}

#[test]
fn reading_the_file_again_gives_the_same_bytes() {
    let dir = temp_dir("reread-same");
    let out = dir.join("out.csv");
    let mut compared = 0;
    for data in variants(&dir) {
        let data = data.to_str().unwrap();
        for card in CARDS {
            let selections: [&[&str]; 5] = [
                &["--period", "all"],
                &[],
                &["--period", "2025Q3"],
                &["--partner", "P000007", "--period", "all"],
                &["--period", "all", "--summary", "--format", "ndjson"],
            ];
            for selection in selections {
                let mut args = vec![card, "--data", data];
                args.extend_from_slice(selection);
                let to_stdout = same(&args, None);
                args.extend_from_slice(&["--out", out.to_str().unwrap()]);
                let to_file = same(&args, Some(&out));
                compared += 2;
                // The card may not fit the data (the onboarding contract);
                // the sample scorecards score it.
                if card.starts_with("scorecards/partner-performance") && selection.is_empty() {
                    assert!(to_file.starts_with("status Some(0)"), "{to_file:.2000}");
                    assert!(to_stdout.lines().count() > 300, "{to_stdout:.2000}");
                }
            }
        }
    }
    assert_eq!(compared, 4 * CARDS.len() * 5 * 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Rows left out under `--on-invalid skip` (a bad value in a column read
/// only in the last pass, a ragged row, a repeated key and period), and the
/// default policy, which reports every problem — also those in columns the
/// first reading does not check when the results go to a file.
#[test]
fn bad_rows_are_reported_and_left_out_the_same() {
    let dir = temp_dir("reread-bad");
    let text = std::fs::read_to_string("scorecards/data/partners.csv").unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let nps = header.iter().position(|h| *h == "nps").unwrap();
    let retention = header
        .iter()
        .position(|h| *h == "customer_retention")
        .unwrap();
    let reps = header.iter().position(|h| *h == "sales_reps").unwrap();
    let mut bad = |line: usize, column: usize, value: &str| {
        let mut fields: Vec<String> = lines[line].split(',').map(str::to_string).collect();
        fields[column] = value.to_string();
        lines[line] = fields.join(",");
    };
    bad(40, nps, "abc");
    bad(700, retention, "1.5");
    bad(1200, reps, "");
    lines[900] = "P000001,2024Q1,technology".to_string();
    let duplicate = lines[10].clone();
    lines.insert(1500, duplicate);
    let data = dir.join("bad.csv");
    std::fs::write(&data, lines.join("\n") + "\n").unwrap();
    let data = data.to_str().unwrap();
    let out = dir.join("out.csv");
    let rejects = dir.join("rejects.csv");
    let card = "scorecards/partner-performance.scorecard";

    let strict_file = same(
        &[card, "--data", data, "--out", out.to_str().unwrap()],
        Some(&out),
    );
    assert!(strict_file.starts_with("status Some(1)"), "{strict_file}");
    assert!(strict_file.contains("has 5 problems"), "{strict_file}");
    assert!(
        strict_file.contains("`abc` is not an integer"),
        "{strict_file}"
    );
    assert!(strict_file.ends_with("--- file\n(none)"), "{strict_file}");
    let strict_stdout = same(&[card, "--data", data], None);
    assert!(strict_stdout.contains("has 5 problems"), "{strict_stdout}");

    let skipped = same(
        &[
            card,
            "--data",
            data,
            "--on-invalid",
            "skip",
            "--rejects",
            rejects.to_str().unwrap(),
            "--period",
            "all",
            "--out",
            out.to_str().unwrap(),
        ],
        Some(&out),
    );
    assert!(skipped.contains("rejected 5"), "{skipped}");
    let rejected = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(rejected.lines().count(), 6, "{rejected}");

    std::fs::remove_dir_all(&dir).unwrap();
}

/// A scorecard whose percentile reads `x` before the last pass, whose `y`,
/// `ok` and `note` are read only in it, and which reads `z` nowhere.
const LATE_CARD: &str = "scorecard \"late\" version \"1\"
input { key id  period quarter  x: number  y: integer >= 0  ok: bool  note: text, optional  z: integer >= 0 }
metric m { owner \"o\" source \"s\" value x  points percentile }
metric n { owner \"o\" source \"s\" value y  points scale 0 => 0, 10 => 100 }
score s { weights { m 50 n 50 } }
rule r \"r\" { when ok and s > 50  action \"act\" }
output { id quarter y note s actions }
";

/// A bad value in a column read only in the last pass (or in one no item
/// reads, `z`, checked only then), when the results go to a file, is found
/// while they are written: they are thrown away, and the problem is
/// reported as loading the whole file reports it. To standard output
/// (which cannot be taken back) it is found first.
#[test]
fn a_bad_value_read_only_in_the_last_pass_is_reported_as_ever() {
    let dir = temp_dir("reread-late");
    let card = dir.join("late.scorecard");
    std::fs::write(&card, LATE_CARD).unwrap();
    let card = card.to_str().unwrap();
    let out = dir.join("out.csv");
    let mut text = String::from("id,quarter,x,y,ok,note,z\n");
    for i in 0..12_000 {
        text.push_str(&format!(
            "p{:05},2025Q{},{}.5,{},{},\"n, {i}\",{}\n",
            i / 4,
            i % 4 + 1,
            i % 97,
            i % 11,
            i % 2 == 0,
            i % 5
        ));
    }
    let good = dir.join("good.csv");
    std::fs::write(&good, &text).unwrap();
    let scored = same(
        &[
            card,
            "--data",
            good.to_str().unwrap(),
            "--period",
            "all",
            "--out",
            out.to_str().unwrap(),
        ],
        Some(&out),
    );
    assert!(scored.contains("scored 12000"), "{scored:.1000}");
    for (x, bad, z, problem) in [
        (None, "-3,true,", "0", "`-3` is outside the allowed range"),
        (None, "x,true,", "0", "`x` is not an integer"),
        (None, "3,maybe,", "0", "`maybe`"),
        (None, ",true,", "0", "column `y`"),
        (None, "3,true,", "-1", "`-1` is outside the allowed range"),
        // The percentile's input, read again before the last pass.
        (Some("1.5.5"), "3,true,", "0", "`1.5.5` is not a number"),
    ] {
        let line = 9_001;
        let broken: Vec<String> = text
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i + 1 == line {
                    let fields: Vec<&str> = l.splitn(4, ',').collect();
                    let rest = fields[3].splitn(3, ',').nth(2).unwrap_or("");
                    let note = rest.rsplit_once(',').map_or(rest, |(note, _)| note);
                    let x = x.unwrap_or(fields[2]);
                    format!("{},{},{x},{bad}{note},{z}", fields[0], fields[1])
                } else {
                    l.to_string()
                }
            })
            .collect();
        let data = dir.join("late.csv");
        std::fs::write(&data, broken.join("\n") + "\n").unwrap();
        let data = data.to_str().unwrap();
        for period in ["all", "latest"] {
            let args = [
                card,
                "--data",
                data,
                "--period",
                period,
                "--out",
                out.to_str().unwrap(),
            ];
            let outcome = same(&args, Some(&out));
            assert!(outcome.starts_with("status Some(1)"), "{outcome}");
            assert!(outcome.contains(&format!("late.csv:{line}:")), "{outcome}");
            assert!(outcome.contains(problem), "{problem}: {outcome}");
            assert!(outcome.contains("has 1 problem;"), "{outcome}");
            assert!(outcome.ends_with("--- file\n(none)"), "{outcome}");
            let to_stdout = same(&[card, "--data", data, "--period", period], None);
            assert!(to_stdout.contains("has 1 problem;"), "{to_stdout}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
