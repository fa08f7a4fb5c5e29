//! Output paths: never onto an input or another output, through links, onto
//! devices, keeping modes, no temporaries left; inputs that are not files.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

const CARD: &str = "scorecard \"t\" version \"1\"
import \"shared.scorecard\"
input { key id  x: number }
score s { weights { m 100 } }
output { id s }
";

const SHARED: &str = "metric m { owner \"o\" source \"s\" value x }\n";

/// A scorecard with an import and its data, in a fresh directory.
fn project(name: &str) -> PathBuf {
    let dir = temp_dir(&format!("output-{name}"));
    std::fs::write(dir.join("t.scorecard"), CARD).unwrap();
    std::fs::write(dir.join("shared.scorecard"), SHARED).unwrap();
    std::fs::write(dir.join("d.csv"), "id,x\na,1\nb,2\n").unwrap();
    dir
}

fn run_in(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

/// Wait for a child at most `limit`; kill it and fail the test past that.
fn wait_bounded(mut child: Child, limit: Duration) -> (Option<i32>, Duration) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code(), start.elapsed());
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the process did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_output_onto_an_input_or_another_output_is_refused() {
    let dir = project("same");
    let cases: &[&[&str]] = &[
        &[
            "score",
            "t.scorecard",
            "--data",
            "d.csv",
            "--out",
            "./d.csv",
        ],
        &[
            "score",
            "t.scorecard",
            "--data",
            "d.csv",
            "--out",
            "t.scorecard",
            "--format",
            "csv",
        ],
        &[
            "score",
            "t.scorecard",
            "--data",
            "d.csv",
            "--out",
            "sub/../shared.scorecard",
            "--format",
            "csv",
        ],
        &[
            "score",
            "t.scorecard",
            "--data",
            "d.csv",
            "--on-invalid",
            "skip",
            "--rejects",
            "r.csv",
            "--out",
            "./r.csv",
        ],
        &[
            "score",
            "t.scorecard",
            "--data",
            "d.csv",
            "--on-invalid",
            "skip",
            "--rejects",
            "d.csv",
        ],
        &[
            "explain",
            "t.scorecard",
            "--data",
            "d.csv",
            "--partner",
            "a",
            "--on-invalid",
            "skip",
            "--rejects",
            "./d.csv",
        ],
    ];
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    for args in cases {
        let out = run_in(&dir, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("is the same file as"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("d.csv")).unwrap(),
            "id,x\na,1\nb,2\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("t.scorecard")).unwrap(),
            CARD
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("shared.scorecard")).unwrap(),
            SHARED
        );
        assert!(!dir.join("r.csv").exists(), "{args:?}");
    }
    // A hard link is the same file under another name.
    std::fs::hard_link(dir.join("d.csv"), dir.join("alias.csv")).unwrap();
    let out = run_in(
        &dir,
        &[
            "score",
            "t.scorecard",
            "--data",
            "d.csv",
            "--out",
            "alias.csv",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // Standard input redirected from the file named by `--out`.
    let out = Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args(["score", "t.scorecard", "--data", "-", "--out", "d.csv"])
        .current_dir(&dir)
        .stdin(std::fs::File::open(dir.join("d.csv")).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("standard input"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(dir.join("d.csv")).unwrap(),
        "id,x\na,1\nb,2\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn an_output_onto_a_device_is_written_in_place_and_its_errors_reported() {
    use std::os::unix::fs::FileTypeExt;
    let dir = project("device");
    let out = run_in(
        &dir,
        &[
            "score",
            "t.scorecard",
            "--data",
            "d.csv",
            "--out",
            "/dev/null",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    if Path::new("/dev/full").exists() {
        let out = run_in(
            &dir,
            &[
                "score",
                "t.scorecard",
                "--data",
                "d.csv",
                "--out",
                "/dev/full",
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("cannot write"), "{}", stderr(&out));
        assert!(
            std::fs::metadata("/dev/full")
                .unwrap()
                .file_type()
                .is_char_device()
        );
        let out = run_in(
            &dir,
            &[
                "score",
                "t.scorecard",
                "--data",
                "d.csv",
                "--on-invalid",
                "skip",
                "--rejects",
                "/dev/full",
            ],
        );
        assert_eq!(out.status.code(), Some(2), "rejects: {}", stderr(&out));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn a_replaced_output_keeps_its_mode_and_a_link_keeps_pointing_at_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project("mode");
    std::fs::write(dir.join("o.csv"), "previous\n").unwrap();
    std::fs::set_permissions(dir.join("o.csv"), std::fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::symlink("o.csv", dir.join("link.csv")).unwrap();
    let out = run_in(
        &dir,
        &[
            "score",
            "t.scorecard",
            "--data",
            "d.csv",
            "--out",
            "link.csv",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let link = std::fs::symlink_metadata(dir.join("link.csv")).unwrap();
    assert!(link.file_type().is_symlink(), "the link was replaced");
    assert_eq!(
        std::fs::read_to_string(dir.join("o.csv")).unwrap(),
        "id,s\na,1.00\nb,2.00\n"
    );
    let mode = std::fs::metadata(dir.join("o.csv"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // A link to a file that does not exist yet creates its target.
    std::os::unix::fs::symlink("new.csv", dir.join("dangling.csv")).unwrap();
    let out = run_in(
        &dir,
        &[
            "score",
            "t.scorecard",
            "--data",
            "d.csv",
            "--out",
            "dangling.csv",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        std::fs::symlink_metadata(dir.join("dangling.csv"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("new.csv")).unwrap(),
        "id,s\na,1.00\nb,2.00\n"
    );
    // A link to an input is the input.
    std::os::unix::fs::symlink("d.csv", dir.join("to-data.csv")).unwrap();
    let out = run_in(
        &dir,
        &[
            "score",
            "t.scorecard",
            "--data",
            "d.csv",
            "--out",
            "to-data.csv",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(leftovers(&dir), Vec::<String>::new());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn no_temporary_file_is_left_and_stale_ones_are_removed() {
    let dir = project("temporaries");
    std::fs::create_dir_all(dir.join("o.csv")).unwrap();
    let out = run_in(
        &dir,
        &["score", "t.scorecard", "--data", "d.csv", "--out", "o.csv"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("directory"), "{}", stderr(&out));
    assert_eq!(leftovers(&dir), Vec::<String>::new());
    std::fs::remove_dir(dir.join("o.csv")).unwrap();
    // What a killed run leaves: its process no longer exists (ids stay below 2^22).
    let stale = dir.join(".o.csv.999999999.scorecard.tmp");
    std::fs::write(&stale, "half a fi").unwrap();
    // Another output's temporary file is not touched.
    let other = dir.join(".p.csv.999999999.scorecard.tmp");
    std::fs::write(&other, "half").unwrap();
    let out = run_in(
        &dir,
        &["score", "t.scorecard", "--data", "d.csv", "--out", "o.csv"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stale.exists(), "the stale temporary file is still there");
    assert!(other.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn paths_that_are_not_regular_files_are_refused_before_they_are_opened() {
    let dir = project("fifo");
    let fifo = dir.join("pipe.csv");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let child = Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args(["score", "t.scorecard", "--data", "pipe.csv"])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (code, _) = wait_bounded(child, Duration::from_secs(10));
    assert_eq!(code, Some(2));
    let child = Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args(["check", "t.scorecard", "--data", "pipe.csv"])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (code, _) = wait_bounded(child, Duration::from_secs(10));
    assert_eq!(code, Some(2), "check --data FIFO");
    // An import that names a FIFO.
    std::fs::write(dir.join("fifo.scorecard"), "import \"pipe.csv\"\n").unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args(["check", "fifo.scorecard"])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (code, _) = wait_bounded(child, Duration::from_secs(10));
    assert_eq!(code, Some(1));
    let out = run_in(&dir, &["check", "fifo.scorecard"]);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        text.contains("S009") && text.contains("named pipe"),
        "{text}"
    );
    // A directory given as data.
    let out = run_in(&dir, &["score", "t.scorecard", "--data", "."]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("directory"), "{}", stderr(&out));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn an_interrupt_ends_a_run_blocked_on_standard_input() {
    let dir = project("blocked");
    std::fs::write(dir.join("o.csv"), "previous\n").unwrap();
    for signal in ["INT", "TERM"] {
        // Standard input is a pipe whose writer stays open and silent.
        let child = Command::new(env!("CARGO_BIN_EXE_scorecard"))
            .args(["score", "t.scorecard", "--data", "-", "--out", "o.csv"])
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let _ = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status();
        let (code, elapsed) = wait_bounded(child, Duration::from_secs(10));
        assert_eq!(code, Some(130), "{signal}");
        assert!(
            elapsed < Duration::from_secs(3),
            "{signal}: took {elapsed:?}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("o.csv")).unwrap(),
            "previous\n"
        );
        assert_eq!(leftovers(&dir), Vec::<String>::new());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_out_file_extension_chooses_the_format_and_contradictions_are_refused() {
    let dir = project("format");
    let score = |extra: &[&str]| {
        let mut args = vec!["score", "t.scorecard", "--data", "d.csv"];
        args.extend_from_slice(extra);
        run_in(&dir, &args)
    };
    let out = score(&["--out", "r.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("r.json")).unwrap()).unwrap();
    assert_eq!(json["rows"][1]["id"], "b");
    let out = score(&["--out", "r.JSONL"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(dir.join("r.JSONL")).unwrap(),
        "{\"id\":\"a\",\"s\":1.00}\n{\"id\":\"b\",\"s\":2.00}\n"
    );
    let out = score(&["--out", "r.csv"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("r.csv")).unwrap(),
        "id,s\na,1.00\nb,2.00\n"
    );
    assert_eq!(out.status.code(), Some(0));
    let out = score(&["--out", "r.txt"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        std::fs::read_to_string(dir.join("r.txt"))
            .unwrap()
            .contains('│')
    );
    // An extension without a format, or one not written yet.
    for (path, says) in [
        ("r.ods", "cannot be written yet"),
        ("r.dat", "names no output format"),
    ] {
        let out = score(&["--out", path]);
        assert_eq!(out.status.code(), Some(2), "{path}");
        assert!(stderr(&out).contains(says), "{path}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("`.csv` (csv), `.json` (json)"),
            "{}",
            stderr(&out)
        );
        assert!(!dir.join(path).exists());
    }
    let out = score(&["--out", "r.xlsx", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(2));
    // `--format` with an extension that means another format.
    let out = score(&["--out", "c.json", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("contradicts"), "{}", stderr(&out));
    assert!(!dir.join("c.json").exists());
    // `--format` decides for an extension that names no format, and a file without one is CSV.
    let out = score(&["--out", "r.dat", "--format", "ndjson"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        std::fs::read_to_string(dir.join("r.dat"))
            .unwrap()
            .starts_with("{\"id\"")
    );
    let out = score(&["--out", "plain"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(dir.join("plain")).unwrap(),
        "id,s\na,1.00\nb,2.00\n"
    );
    // Rejected rows are CSV.
    let out = score(&["--on-invalid", "skip", "--rejects", "rej.json"]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn data_files_named_by_a_scorecard_are_confined_to_its_tree() {
    let dir = project("confined");
    let outside = temp_dir("confined-outside");
    std::fs::write(outside.join("secret.csv"), "id,x\nz,9\n").unwrap();
    std::os::unix::fs::symlink(outside.join("secret.csv"), dir.join("link.csv")).unwrap();
    assert!(
        Command::new("mkfifo")
            .arg(dir.join("pipe.csv"))
            .status()
            .unwrap()
            .success()
    );
    let cases = [
        ("given file \"/etc/passwd\"", "S020", "is an absolute path"),
        (
            "given file \"../x/d.csv\"",
            "S020",
            "is outside the scorecard's directory",
        ),
        ("given file \"link.csv\"", "S020", "leads outside"),
        ("given file \"pipe.csv\"", "S021", "named pipe"),
        ("given file \".\"", "S021", "a directory"),
    ];
    for (clause, code, says) in cases {
        let card =
            format!("{CARD}test \"t\" {{\n  {clause}\n  partner \"a\"\n  expect s >= 0\n}}\n");
        std::fs::write(dir.join("c.scorecard"), &card).unwrap();
        for verb in ["check", "test"] {
            let child = Command::new(env!("CARGO_BIN_EXE_scorecard"))
                .args([verb, "c.scorecard"])
                .current_dir(&dir)
                .env("NO_COLOR", "1")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let (status, _) = wait_bounded(child, Duration::from_secs(10));
            assert_eq!(status, Some(1), "{verb} {clause}");
        }
        let out = run_in(&dir, &["check", "c.scorecard"]);
        let text = format!("{}{}", stdout(&out), stderr(&out));
        assert!(
            text.contains(code) && text.contains(says),
            "{clause}: {text}"
        );
    }
    let snapshot = format!("{CARD}snapshot \"../../etc/passwd\"\n");
    std::fs::write(dir.join("c.scorecard"), snapshot).unwrap();
    let out = run_in(&dir, &["check", "c.scorecard"]);
    assert!(stdout(&out).contains("S020"), "{}", stdout(&out));
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&outside).unwrap();
}

#[cfg(unix)]
#[test]
fn a_snapshot_file_that_links_outside_the_tree_is_neither_read_nor_written() {
    let dir = project("snapshot-link");
    let outside = temp_dir("snapshot-link-outside");
    std::fs::write(outside.join("secret"), "do not read or replace\n").unwrap();
    std::fs::write(
        dir.join("c.scorecard"),
        format!("{CARD}snapshot \"d.csv\"\n"),
    )
    .unwrap();
    // An existing file outside, and one the snapshot would create outside.
    for (link, target) in [
        ("secret", outside.join("secret")),
        ("new", outside.join("new")),
    ] {
        let _ = std::fs::remove_file(dir.join("c.scorecard.snap"));
        std::os::unix::fs::symlink(&target, dir.join("c.scorecard.snap")).unwrap();
        for extra in [&[][..], &["--update"][..]] {
            let mut args = vec!["test", "c.scorecard"];
            args.extend_from_slice(extra);
            let out = Command::new(env!("CARGO_BIN_EXE_scorecard"))
                .args(&args)
                .current_dir(&dir)
                .env("NO_COLOR", "1")
                .env_remove("CI")
                .output()
                .unwrap();
            let text = format!("{}{}", stdout(&out), stderr(&out));
            assert_eq!(out.status.code(), Some(1), "{link} {extra:?}: {text}");
            assert!(text.contains("leads outside"), "{link}: {text}");
            assert!(!text.contains("do not read"), "{link}: {text}");
        }
    }
    assert_eq!(
        std::fs::read_to_string(outside.join("secret")).unwrap(),
        "do not read or replace\n"
    );
    assert!(!outside.join("new").exists());
    // A link inside the tree is written through.
    std::fs::remove_file(dir.join("c.scorecard.snap")).unwrap();
    std::os::unix::fs::symlink("snaps.txt", dir.join("c.scorecard.snap")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args(["test", "c.scorecard"])
        .current_dir(&dir)
        .env_remove("CI")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        std::fs::read_to_string(dir.join("snaps.txt"))
            .unwrap()
            .contains("a,")
    );
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&outside).unwrap();
}
