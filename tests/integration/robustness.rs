//! Whatever bytes `check` is given, it answers with diagnostics, never a panic,
//! a hang or a stack overflow.

use std::io::Write;

use crate::support::*;

fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("scorecard-robust-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
    path
}

fn check_bytes(name: &str, bytes: &[u8]) -> (Vec<String>, i32) {
    let path = temp_file(name, bytes);
    let out = scorecard(&["check", "--format", "json", path.to_str().unwrap()]);
    let code = out.status.code().unwrap_or(-1);
    let parsed: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    let codes = parsed
        .as_array()
        .map(|a| {
            a.iter()
                .map(|d| d["code"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default();
    (codes, code)
}

#[test]
fn an_empty_file_is_a_warning_not_an_error() {
    let (codes, exit) = check_bytes("empty.scorecard", b"");
    assert_eq!((codes, exit), (vec!["L014".to_string()], 0));
}

#[test]
fn binary_data_is_not_text() {
    let (codes, exit) = check_bytes(
        "binary.scorecard",
        &[0x7f, b'E', b'L', b'F', 0, 1, 2, 3, 0xff],
    );
    assert_eq!((codes, exit), (vec!["P005".to_string()], 1));
}

#[test]
fn invalid_utf8_is_not_text() {
    let (codes, exit) = check_bytes("latin1.scorecard", b"metric m \"Umsatz \xe4\" { value 1 }");
    assert_eq!((codes, exit), (vec!["P005".to_string()], 1));
}

#[test]
fn an_unclosed_block_is_a_syntax_error() {
    let (codes, exit) = check_bytes("unclosed.scorecard", b"metric m {\n  value 1\n");
    assert_eq!((codes, exit), (vec!["P007".to_string()], 1));
}

#[test]
fn ten_thousand_nested_parentheses() {
    let text = format!(
        "metric m {{ value {}1{} }}",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let (codes, exit) = check_bytes("deep.scorecard", text.as_bytes());
    assert_eq!((codes, exit), (vec!["P004".to_string()], 1));
}

#[test]
fn ten_thousand_nested_ifs() {
    let text = format!(
        "metric m {{ value {} 1 {} }}",
        "if a then ".repeat(10_000),
        " else 2".repeat(10_000)
    );
    let (codes, exit) = check_bytes("deep_if.scorecard", text.as_bytes());
    assert_eq!((codes, exit), (vec!["P004".to_string()], 1));
}

#[test]
fn a_long_else_if_chain_is_fine() {
    let text = format!(
        "input {{ key k a: number }}\nmetric m {{ owner \"o\" source \"s\" value if a > 0 then 0 {} else 1 }}\nscore s {{ weights {{ m 100 }} }}\n",
        (1..2_000)
            .map(|i| format!("else if a > {i} then {i}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let (codes, _) = check_bytes("chain.scorecard", text.as_bytes());
    assert!(!codes.contains(&"P004".to_string()), "{codes:?}");
}

#[test]
fn a_run_of_prefix_operators() {
    let text = format!("flag f {{ when {} true }}", "not ".repeat(10_000));
    let (codes, exit) = check_bytes("nots.scorecard", text.as_bytes());
    assert_eq!((codes, exit), (vec!["P004".to_string()], 1));
}

#[test]
fn a_very_long_expression() {
    let text = format!(
        "metric m {{ owner \"o\" source \"s\" value {} }}",
        vec!["a"; 5_000].join(" + ")
    );
    let (codes, exit) = check_bytes("long.scorecard", text.as_bytes());
    assert_eq!((codes, exit), (vec!["P004".to_string()], 1));
}

#[test]
fn a_fifty_megabyte_file() {
    let text = "metric m { value 1 }\n".repeat(50 * 1024 * 1024 / 21);
    let (codes, exit) = check_bytes("huge.scorecard", text.as_bytes());
    assert_eq!((codes, exit), (vec!["P006".to_string()], 1));
}

#[test]
fn many_declarations_are_checked_quickly() {
    let mut text = String::from("scorecard \"big\" version \"1\"\ninput { key k\n");
    for i in 0..500 {
        text.push_str(&format!("  c{i}: number >= 0\n"));
    }
    text.push_str("}\n");
    for i in 0..500 {
        text.push_str(&format!("metric m{i} {{ owner \"o\" source \"s\" value c{i} / 2 points scale 0 => 0, 10 => 100 }}\n"));
    }
    text.push_str("score s { weights {");
    for i in 0..500 {
        text.push_str(&format!(" m{i} 0.2"));
    }
    text.push_str(" } }\n");
    let (codes, exit) = check_bytes("many.scorecard", text.as_bytes());
    assert_eq!((codes, exit), (vec![], 0));
}

#[test]
fn a_directory_of_random_bytes_never_panics() {
    // A fixed pseudo-random sequence: the same cases every run.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b"metric score { } ( ) [ ] , => >= < + - * / value points if then else and or not \"x\" 1 0.5 % _ // \n";
    for case in 0..200 {
        let len = (next() % 200) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        let (_, exit) = check_bytes(&format!("random{case}.scorecard"), &bytes);
        assert!(
            exit == 0 || exit == 1,
            "case {case} exited {exit}: {:?}",
            String::from_utf8_lossy(&bytes)
        );
    }
}
