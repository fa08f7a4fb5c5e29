//! Nothing lost, nothing partial, nothing run: interruption, determinism on the
//! reference workloads, spreadsheet-safe CSV, hostile scorecards.

use std::process::{Command, Stdio};

use crate::support::*;

/// The 2,000 x 8 fixture repeated with fresh partner ids: `copies` times the rows.
fn big_input(dir: &std::path::Path, copies: usize) -> std::path::PathBuf {
    let text = std::fs::read_to_string("tests/fixtures/bench/partners_2000x8.csv").unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    let mut out = String::with_capacity(text.len() * copies);
    out.push_str(header);
    out.push('\n');
    for c in 0..copies {
        for row in &rows {
            // P000123 -> P<copy>000123: still unique, still in key order within a copy.
            out.push_str(&format!("P{c:03}{}\n", &row[1..]));
        }
    }
    let path = dir.join("big.csv");
    std::fs::write(&path, out).unwrap();
    path
}

#[test]
fn an_interrupted_run_leaves_the_previous_file() {
    let dir = temp_dir("interrupt");
    let input = big_input(&dir, 12);
    let target = dir.join("result.csv");
    let complete = scorecard(&[
        "score",
        "bench/w2.scorecard",
        "--data",
        input.to_str().unwrap(),
        "--period",
        "all",
        "--format",
        "csv",
    ]);
    assert_eq!(complete.status.code(), Some(0));
    for (signal, delay_ms) in [("TERM", 120), ("INT", 250), ("TERM", 500)] {
        std::fs::write(&target, "previous\n").unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_scorecard"))
            .args([
                "score",
                "bench/w2.scorecard",
                "--data",
                input.to_str().unwrap(),
                "--period",
                "all",
                "--out",
                target.to_str().unwrap(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status();
        let out = child.wait_with_output().unwrap();
        let written = std::fs::read(&target).unwrap();
        match out.status.code() {
            Some(130) => assert_eq!(
                written, b"previous\n",
                "interrupted by {signal}: the previous file must stay"
            ),
            Some(0) => assert_eq!(
                written, complete.stdout,
                "finished before {signal}: the whole file"
            ),
            other => panic!("unexpected exit {other:?} after {signal}"),
        }
        let leftovers: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn reference_workloads_are_deterministic_across_threads_and_row_order() {
    let dir = temp_dir("determinism");
    let text = std::fs::read_to_string("tests/fixtures/bench/partners_2000x8.csv").unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    // A fixed shuffle: the rows in a scrambled order.
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    for i in (1..lines.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        lines.swap(i, (state % (i as u64 + 1)) as usize);
    }
    let shuffled = dir.join("shuffled.csv");
    std::fs::write(&shuffled, format!("{header}\n{}\n", lines.join("\n"))).unwrap();
    for wl in ["w1", "w2"] {
        let expected = std::fs::read(format!(
            "tests/fixtures/bench/partners_2000x8.{wl}.expected.csv"
        ))
        .unwrap();
        for threads in ["1", "2", "8"] {
            for input in [
                "tests/fixtures/bench/partners_2000x8.csv",
                shuffled.to_str().unwrap(),
            ] {
                let out = Command::new(env!("CARGO_BIN_EXE_scorecard"))
                    .args([
                        "score",
                        &format!("bench/{wl}.scorecard"),
                        "--data",
                        input,
                        "--format",
                        "csv",
                    ])
                    .env("RAYON_NUM_THREADS", threads)
                    .output()
                    .unwrap();
                assert!(
                    out.stdout == expected,
                    "{wl}, {threads} threads, {input}: output differs"
                );
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

const TEXT_CARD: &str = "scorecard \"t\" version \"1\"
input { key id  note: text, optional  x: number }
metric m { owner \"o\" source \"s\" value x }
score s { weights { m 100 } }
output { id note s }
";

#[test]
fn csv_text_that_looks_like_a_formula_is_neutralized() {
    let dir = temp_dir("formula");
    let card = dir.join("t.scorecard");
    std::fs::write(&card, TEXT_CARD).unwrap();
    let data = dir.join("d.csv");
    std::fs::write(
        &data,
        "id,note,x\n=cmd,=1+1,1\n@a,@SUM(A1),-2\n-b,\"-3+4\",3\n+c,\"\ttab\",4\nok,plain,5\n",
    )
    .unwrap();
    let safe = scorecard(&[
        "score",
        card.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    assert_eq!(
        stdout(&safe),
        // Text is read exactly, so `\ttab` keeps its tab, which starts a formula too.
        "id,note,s\n'+c,'\ttab,4.00\n'-b,'-3+4,3.00\n'=cmd,'=1+1,1.00\n'@a,'@SUM(A1),-2.00\nok,plain,5.00\n"
    );
    let raw = scorecard(&[
        "score",
        card.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--format",
        "csv",
        "--no-escape-formulas",
    ]);
    assert_eq!(
        stdout(&raw),
        "id,note,s\n+c,\ttab,4.00\n-b,-3+4,3.00\n=cmd,=1+1,1.00\n@a,@SUM(A1),-2.00\nok,plain,5.00\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn json_output_is_valid_whatever_the_text() {
    let dir = temp_dir("json");
    let card = dir.join("t.scorecard");
    std::fs::write(&card, TEXT_CARD).unwrap();
    let data = dir.join("d.ndjson");
    let nasty = [
        "quote \" and backslash \\",
        "line\nbreak",
        "control \u{1}\u{7f}",
        "unicode ✓ é 中",
        "</script><b>",
    ];
    let lines: Vec<String> = nasty
        .iter()
        .enumerate()
        .map(|(i, n)| serde_json::json!({"id": format!("p{i}"), "note": n, "x": i}).to_string())
        .collect();
    std::fs::write(&data, lines.join("\n")).unwrap();
    for format in ["json", "ndjson"] {
        let out = scorecard(&[
            "score",
            card.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--format",
            format,
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = stdout(&out);
        let notes: Vec<String> = if format == "json" {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            v["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["note"].as_str().unwrap().to_string())
                .collect()
        } else {
            text.lines()
                .map(|l| {
                    serde_json::from_str::<serde_json::Value>(l).unwrap()["note"]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect()
        };
        assert_eq!(notes, nasty.map(String::from).to_vec(), "{format}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

fn check_text_codes(text: &str) -> Vec<String> {
    let (_, checked) = check_str(text);
    checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str().to_string())
        .collect()
}

#[test]
fn hostile_scorecards_get_diagnostics() {
    let long = "a".repeat(100_000);
    assert_eq!(
        check_text_codes(&format!(
            "metric {long} {{ owner \"o\" source \"s\" value 1 }}"
        )),
        Vec::<String>::new(),
        "a long name is just a name"
    );
    // Names are ASCII: a Cyrillic `а` that looks like a Latin `a` is refused where it stands.
    let (_, checked) = check_str("metric r\u{430}te { value 1 }");
    let d = checked.diagnostics.iter().next().unwrap();
    assert_eq!((d.code.as_str(), d.span.start), ("P001", 8));
    assert_eq!(check_text_codes("metric café { value 1 }"), vec!["P001"]);
    assert_eq!(
        check_text_codes("metric m \"café ✓ 中\" { owner \"équipe\" source \"CRM ✓\" value 1 }"),
        Vec::<String>::new(),
        "any text in strings"
    );
    for piece in [
        "metric",
        "metric m",
        "metric m {",
        "metric m { value",
        "score s { weights {",
        "tiers",
        "rule r { when",
        "input { a:",
        "test \"t\" { given {",
        "output { a =",
    ] {
        let codes = check_text_codes(piece);
        // A cut inside a block is first of all a block never closed.
        let expected = if piece.contains('{') { "P007" } else { "P001" };
        assert!(
            !codes.is_empty() && codes.iter().all(|c| c == expected),
            "{piece:?}: {codes:?}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_symlink_cannot_carry_an_import_out_of_the_tree() {
    let dir = temp_dir("symlink");
    let inside = dir.join("cards");
    std::fs::create_dir_all(&inside).unwrap();
    std::fs::write(dir.join("secret.scorecard"), "metric m { value 1 }\n").unwrap();
    std::os::unix::fs::symlink(
        dir.join("secret.scorecard"),
        inside.join("shared.scorecard"),
    )
    .unwrap();
    std::fs::write(
        inside.join("main.scorecard"),
        "import \"shared.scorecard\"\n",
    )
    .unwrap();
    std::fs::write(
        inside.join("abs.scorecard"),
        format!("import \"{}\"\n", dir.join("secret.scorecard").display()),
    )
    .unwrap();
    std::fs::write(
        inside.join("up.scorecard"),
        "import \"../secret.scorecard\"\n",
    )
    .unwrap();
    for name in ["main", "abs", "up"] {
        let out = scorecard(&[
            "check",
            "--format",
            "json",
            inside.join(format!("{name}.scorecard")).to_str().unwrap(),
        ]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v[0]["code"], "S007", "{name}: {v}");
        assert_eq!(out.status.code(), Some(1));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Hostile scorecards, each with its rendered diagnostics snapshotted.
#[test]
fn hostile_scorecard_corpus() {
    let long_name = format!("metric {} {{ value 1 }}", "n".repeat(300));
    let cases: Vec<(&str, String)> = vec![
        ("cut_metric", "metric m {".into()),
        ("cut_value", "metric m { value }".into()),
        (
            "cut_points",
            "metric m { value 1 points { >= 1 => } }".into(),
        ),
        ("cut_score", "score s { weights { m } }".into()),
        ("cut_tiers", "tiers s { good >= }".into()),
        ("cut_rule", "rule r { when }".into()),
        ("cut_flag", "flag f { kind }".into()),
        ("cut_input", "input { key }".into()),
        ("cut_segment", "segment g { a when }".into()),
        ("cut_output", "output { x = }".into()),
        ("cut_test", "test \"t\" { given { a: } }".into()),
        ("cut_import", "import".into()),
        (
            "deep_parens",
            format!(
                "metric m {{ value {}1{} }}",
                "(".repeat(200),
                ")".repeat(200)
            ),
        ),
        (
            "deep_blocks",
            format!("{}{}", "{".repeat(100), "}".repeat(100)),
        ),
        ("long_name", long_name),
        ("confusable_name", "metric r\u{430}te { value 1 }".into()),
        (
            "non_ascii_name",
            "metric taux_de_réussite { value 1 }".into(),
        ),
        ("emoji_operator", "metric m { value 1 ✕ 2 }".into()),
        (
            "unterminated_string",
            "metric m \"no end { value 1 }".into(),
        ),
        ("nul_byte", "metric m { value 1 }\0".into()),
    ];
    let mut report = String::new();
    for (name, text) in &cases {
        let (sources, checked) = check_str(text);
        assert!(!checked.diagnostics.is_empty(), "{name}: no diagnostic");
        for d in checked.diagnostics.iter() {
            assert!(!d.help.is_empty(), "{name}: {} has no help", d.code);
            assert!(d.span.end <= text.len(), "{name}: span outside the text");
        }
        // A NUL byte is shown as ␀ so the snapshot stays text.
        report.push_str(&format!(
            "=== {name}\n{}\n",
            human(&sources, &checked).replace('\0', "␀")
        ));
    }
    insta::with_settings!({snapshot_path => "../snapshots/safety", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("hostile_scorecards", report);
    });
}

/// With `--on-invalid skip`, every data line is in the output or the rejects;
/// with the default policy nothing is written at all.
#[test]
fn every_line_is_scored_or_rejected() {
    let dir = temp_dir("nothing-lost");
    let card = dir.join("t.scorecard");
    std::fs::write(&card, TEXT_CARD).unwrap();
    let data = dir.join("d.csv");
    let mut csv = String::from("id,note,x\n");
    let mut valid = 0;
    for i in 0..200 {
        match i % 7 {
            0 => csv.push_str(&format!("p{i},bad,not a number\n")),
            1 => csv.push_str(&format!("p{i},ragged\n")),
            2 => csv.push_str(",no key,1\n"),
            3 => csv.push_str(&format!("p{i},inf,inf\n")),
            _ => {
                csv.push_str(&format!("p{i},fine,{i}\n"));
                valid += 1;
            }
        }
    }
    std::fs::write(&data, &csv).unwrap();
    let out = dir.join("out.csv");
    let rejects = dir.join("rejects.csv");
    let run = Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args([
            "score",
            card.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--on-invalid",
            "skip",
        ])
        .args([
            "--rejects",
            rejects.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    let scored = std::fs::read_to_string(&out).unwrap().lines().count() - 1;
    let rejected_rows = csv::Reader::from_path(&rejects).unwrap().records().count();
    assert_eq!(scored, valid);
    assert_eq!(scored + rejected_rows, 200, "every line accounted for");
    assert!(
        stderr.contains(&format!(
            "read 200 rows, scored {valid}, rejected {}",
            200 - valid
        )),
        "{stderr}"
    );
    // The default policy: every problem listed, nothing written.
    std::fs::remove_file(&out).unwrap();
    let strict = Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args([
            "score",
            card.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(strict.status.code(), Some(1));
    assert!(!out.exists(), "nothing is written when the data is invalid");
    assert!(
        String::from_utf8_lossy(&strict.stderr).contains(&format!("has {} problems", 200 - valid))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_cell_a_spreadsheet_could_run_is_neutralized_in_every_file() {
    let dir = temp_dir("formula-everywhere");
    let card = dir.join("t.scorecard");
    std::fs::write(
        &card,
        "scorecard \"t\" version \"1\"
input { key id  note: text, optional  x: number, optional }
metric m { owner \"o\" source \"s\" value x }
score s { weights { m 100 } }
output { id \"=1+1\" = s  \"-2\" = s  y = x if missing \"=HYPERLINK(\\\"http://e\\\")\"  z = x if missing \"-1\" }
",
    )
    .unwrap();
    let data = dir.join("d.csv");
    std::fs::write(
        &data,
        "id,note,x\na,n,1\nb,n,\n=HYPERLINK(\"\"http://e\"\";1),n,oops\n",
    )
    .unwrap();
    let rejects = dir.join("r.csv");
    let out = scorecard(&[
        "score",
        card.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--format",
        "csv",
        "--on-invalid",
        "skip",
        "--rejects",
        rejects.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout(&out),
        "id,'=1+1,'-2,y,z\na,1.00,1.00,1.00,1.00\nb,,,\"'=HYPERLINK(\"\"http://e\"\")\",-1\n"
    );
    let rejected = std::fs::read_to_string(&rejects).unwrap();
    let row = rejected.lines().nth(1).unwrap();
    assert!(
        row.ends_with(",\"'=HYPERLINK(\"\"\"\"http://e\"\"\"\";1),n,oops\""),
        "{rejected}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn control_sequences_from_the_data_never_reach_the_terminal() {
    let dir = temp_dir("terminal-escapes");
    let card = dir.join("t.scorecard");
    std::fs::write(&card, TEXT_CARD).unwrap();
    let data = dir.join("d.csv");
    std::fs::write(
        &data,
        "id,note,x\na,\"\u{1b}]0;owned\u{7}\u{1b}[2J\",1\nb,n,\u{1b}[31mred\n",
    )
    .unwrap();
    let out = scorecard(&[
        "score",
        card.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--format",
        "table",
        "--on-invalid",
        "skip",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let printed = format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
    assert!(
        !printed.contains('\u{1b}') && !printed.contains('\u{7}'),
        "{printed:?}"
    );
    assert!(printed.contains("\\x1b]0;owned\\x07\\x1b[2J"), "{printed}");
    assert!(printed.contains("\\x1b[31mred"), "{printed}");
    // `explain` names the partner, whose id comes from the data.
    std::fs::write(&data, "id,note,x\n\"p\u{1b}]0;t\u{7}\",n,1\n").unwrap();
    let out = scorecard(&[
        "explain",
        card.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--partner",
        "p\u{1b}]0;t\u{7}",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = stdout(&out);
    assert!(printed.contains("p\\x1b]0;t\\x07"), "{printed}");
    assert!(!printed.contains('\u{1b}'), "{printed:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn findings_on_one_huge_line_do_not_repeat_the_line() {
    let dir = temp_dir("huge-line");
    let card = dir.join("t.scorecard");
    // 2,000 metrics on one 50 KB line: each one a warning pointing into it.
    let metrics: Vec<String> = (0..2000)
        .map(|i| format!("metric m{i} {{ value x }}"))
        .collect();
    std::fs::write(
        &card,
        format!(
            "scorecard \"t\" version \"1\"\ninput {{ key id  x: number }}\n{} score s {{ weights {{ m0 100 }} }}\n",
            metrics.join(" ")
        ),
    )
    .unwrap();
    let out = scorecard(&["check", card.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.matches("L009").count() >= 2000,
        "every finding is reported"
    );
    // Before lines were clipped this printed about 390 MB.
    assert!(text.len() < 4_000_000, "{} bytes", text.len());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_70_kb_column_name_is_reported_without_a_panic() {
    let dir = temp_dir("long-header");
    let card = dir.join("t.scorecard");
    std::fs::write(&card, TEXT_CARD).unwrap();
    let data = dir.join("d.csv");
    let name = "y".repeat(70_000);
    std::fs::write(&data, format!("id,note,x,{name},late\na,n,1,2,3\n")).unwrap();
    let out = scorecard(&[
        "check",
        card.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    // Both columns are reported in one warning, the long name shortened.
    assert!(
        text.contains("2 data columns are not declared") && text.contains("`late`"),
        "{}",
        &text[..text.len().min(3000)]
    );
    assert!(text.contains("(70000 characters)"), "{text}");
    assert!(text.len() < 5_000, "{} bytes", text.len());
    std::fs::remove_dir_all(&dir).unwrap();
}
