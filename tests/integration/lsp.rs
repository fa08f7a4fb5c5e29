//! `scorecard lsp` driven over standard input and output with JSON-RPC, as
//! an editor drives it.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::{Value, json};

/// How long any answer may take.
const WAIT: Duration = Duration::from_secs(30);

struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
    /// Notifications received while waiting for answers.
    notifications: Vec<Value>,
}

impl Client {
    fn start() -> Client {
        Client::start_with(json!({}))
    }

    fn start_with(capabilities: Value) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_scorecard"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (sender, incoming) = channel();
        std::thread::spawn(move || {
            loop {
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                stdout.read_exact(&mut body).unwrap();
                if sender.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        let mut client = Client {
            child,
            stdin,
            incoming,
            next_id: 0,
            notifications: Vec::new(),
        };
        let init = client.request("initialize", json!({ "capabilities": capabilities }));
        assert_eq!(
            init["result"]["capabilities"]["hoverProvider"], true,
            "{init}"
        );
        client.notify("initialized", json!({}));
        client
    }

    fn send_raw(&mut self, body: &[u8]) {
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        self.stdin.write_all(body).unwrap();
        self.stdin.flush().unwrap();
    }

    fn send(&mut self, message: Value) {
        self.send_raw(message.to_string().as_bytes());
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Send a request and wait for its answer (the whole response).
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.wait_for(|m| m["id"] == id)
    }

    fn wait_for(&mut self, done: impl Fn(&Value) -> bool) -> Value {
        loop {
            let message = self
                .incoming
                .recv_timeout(WAIT)
                .expect("the server answers in time");
            if done(&message) {
                return message;
            }
            if message.get("method").is_some() {
                self.notifications.push(message);
            }
        }
    }

    /// The next diagnostics published for `uri` (earlier ones are dropped).
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        self.notifications.clear();
        let message = self.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        message["params"]["diagnostics"].as_array().unwrap().clone()
    }

    fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "scorecard", "version": 1, "text": text } }),
        );
    }

    fn change(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
        );
    }

    fn at(
        &mut self,
        method: &str,
        uri: &str,
        (line, character): (u32, u32),
        extra: Value,
    ) -> Value {
        let mut params = json!({
            "textDocument": { "uri": uri },
            "position": { "line": line, "character": character },
        });
        for (k, v) in extra.as_object().unwrap() {
            params[k] = v.clone();
        }
        self.request(method, params)
    }

    /// `shutdown`, `exit`, and the exit code.
    fn finish(mut self) -> i32 {
        let answer = self.request("shutdown", Value::Null);
        assert_eq!(answer["result"], Value::Null, "{answer}");
        assert!(answer.get("error").is_none(), "{answer}");
        self.notify("exit", Value::Null);
        self.child.wait().unwrap().code().unwrap()
    }
}

/// Line and character of the first `needle` in `text` (plus `shift` characters).
fn position(text: &str, needle: &str, shift: u32) -> (u32, u32) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` in the text"));
    let before = &text[..at];
    let line = before.matches('\n').count() as u32;
    let column = before.rsplit('\n').next().unwrap().chars().count() as u32;
    (line, column + shift)
}

const SHARED: &str = r#"// Shared sales metrics.
metric win_rate "Share of closed deals won" {
  owner "sales operations"  source "CRM"
  value deals_won / (deals_won + deals_lost)
  points {
    [0, 0.5) => 40
    [0.5, 1] => 100
    missing  => 0
  }
}
"#;

const MAIN: &str = r#"scorecard "lsp" version "1"

import "shared.scorecard"

input {
  key partner_id
  partner_type: enum(reseller, msp)
  revenue:      number >= 0
  deals_won:    integer >= 0
  deals_lost:   integer >= 0
}

segment type from partner_type

metric revenue_scale "Revenue on a log scale" {
  owner "finance"  source "billing"  unit "log USD"
  value log(revenue + 1)
  points scale 0 => 0, 10 => 100
}

score overall "Overall" {
  weights {
    revenue_scale 60
    win_rate      40
  }
}

tiers overall {
  good >= 60
  low  otherwise
}

output {
  partner_id
  overall
  segment = type
}
// L006 is the unused-metric lint.
"#;

/// A directory with `main.scorecard` importing `shared.scorecard`; their URIs.
fn workspace(name: &str) -> (std::path::PathBuf, String, String) {
    let dir = crate::support::temp_dir(name).canonicalize().unwrap();
    std::fs::write(dir.join("shared.scorecard"), SHARED).unwrap();
    std::fs::write(dir.join("main.scorecard"), MAIN).unwrap();
    let uri = |f: &str| format!("file://{}", dir.join(f).display());
    let (main, shared) = (uri("main.scorecard"), uri("shared.scorecard"));
    (dir, main, shared)
}

#[test]
fn an_edit_session_gets_what_check_reports_and_navigates_across_imports() {
    let (dir, main, shared) = workspace("lsp-session");
    let mut client = Client::start();
    client.open(&main, MAIN);
    assert_eq!(client.diagnostics(&main), Vec::<Value>::new());

    // A typo: the diagnostic `check` reports, with its code and its documentation.
    let typo = MAIN.replace("log(revenue + 1)", "log(revnue + 1)");
    client.change(&main, 2, &typo);
    let found = client.diagnostics(&main);
    assert_eq!(found.len(), 1, "{found:?}");
    let d = &found[0];
    assert_eq!(d["code"], "N001");
    assert_eq!(d["severity"], 1);
    assert!(
        d["codeDescription"]["href"]
            .as_str()
            .unwrap()
            .ends_with("diagnostics.md#n001-unknown-name"),
        "{d}"
    );
    assert_eq!(
        d["message"],
        "unknown name `revnue`\nhelp: did you mean `revenue`?"
    );
    let typo_at = position(&typo, "revnue", 0);
    assert_eq!(
        d["range"],
        json!({ "start": { "line": typo_at.0, "character": typo_at.1 },
                "end": { "line": typo_at.0, "character": typo_at.1 + 6 } })
    );
    // …and its fix.
    let actions = client.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": main }, "range": d["range"], "context": { "diagnostics": [d] } }),
    );
    let fix = &actions["result"][0];
    assert_eq!(fix["title"], "Replace with `revenue`");
    assert_eq!(fix["edit"]["changes"][&main][0]["newText"], "revenue");
    assert_eq!(fix["edit"]["changes"][&main][0]["range"], d["range"]);
    // Hover on the mistake explains its code.
    let hover = client.at("textDocument/hover", &main, typo_at, json!({}));
    let text = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(text.starts_with("**N001 unknown-name**"), "{text}");

    client.change(&main, 3, MAIN);
    assert_eq!(client.diagnostics(&main), Vec::<Value>::new());

    // Hover: a metric, a column, a function, a code written in a comment.
    let hover = |client: &mut Client, needle: &str, shift: u32| {
        let answer = client.at(
            "textDocument/hover",
            &main,
            position(MAIN, needle, shift),
            json!({}),
        );
        answer["result"]["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let metric = hover(&mut client, "revenue_scale 60", 2);
    assert!(
        metric.starts_with("**metric** `revenue_scale` — Revenue on a log scale"),
        "{metric}"
    );
    assert!(
        metric.contains("- *owner:* finance\n- *source:* billing\n- *unit:* log USD"),
        "{metric}"
    );
    assert!(
        metric.contains("points scale 0 => 0, 10 => 100"),
        "{metric}"
    );
    let imported = hover(&mut client, "win_rate      40", 0);
    assert!(imported.contains("[0.5, 1] => 100"), "{imported}");
    assert!(imported.contains("*declared in*"), "{imported}");
    let column = hover(&mut client, "revenue + 1", 0);
    assert!(
        column
            .starts_with("**column** `revenue`\n\n- *type:* number\n- *range:* >= 0\n- *required*"),
        "{column}"
    );
    let function = hover(&mut client, "log(", 0);
    assert!(function.contains("natural logarithm"), "{function}");
    let label = hover(&mut client, "msp)", 1);
    assert_eq!(
        label,
        "**label** `msp` of `partner_type`: reseller, msp\n\n**label** `msp` of `type`: reseller, msp"
    );
    let code = hover(&mut client, "L006 is", 1);
    assert!(code.starts_with("**L006 unused-metric**"), "{code}");

    // Definition across the import.
    let definition = client.at(
        "textDocument/definition",
        &main,
        position(MAIN, "win_rate", 1),
        json!({}),
    );
    assert_eq!(
        definition["result"][0]["uri"],
        shared.as_str(),
        "{definition}"
    );
    assert_eq!(
        definition["result"][0]["range"]["start"],
        json!({ "line": 1, "character": 7 })
    );

    // References, in both files, with the declaration.
    let refs = client.at(
        "textDocument/references",
        &main,
        position(MAIN, "win_rate", 1),
        json!({ "context": { "includeDeclaration": true } }),
    );
    let places: Vec<(String, u64)> = refs["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let uri = l["uri"].as_str().unwrap();
            let file = uri.rsplit('/').next().unwrap().to_string();
            (file, l["range"]["start"]["line"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(
        places,
        [
            ("main.scorecard".to_string(), 23),
            ("shared.scorecard".to_string(), 1)
        ]
    );

    // The outline.
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": main } }),
    );
    let names: Vec<&str> = symbols["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "shared.scorecard",
            "input",
            "type",
            "revenue_scale",
            "overall",
            "tiers overall",
            "output"
        ]
    );
    assert_eq!(
        symbols["result"][1]["children"].as_array().unwrap().len(),
        5
    );

    // Completion: names in scope (imported too), functions, labels, keywords.
    let completion = client.at(
        "textDocument/completion",
        &main,
        position(MAIN, "log(", 0),
        json!({}),
    );
    let items = completion["result"].as_array().unwrap();
    let find = |label: &str| {
        items
            .iter()
            .find(|i| i["label"] == label)
            .unwrap_or_else(|| panic!("{label} offered"))
    };
    assert_eq!(find("win_rate")["detail"], "metric");
    assert!(
        find("win_rate")["documentation"]["value"]
            .as_str()
            .unwrap()
            .contains("Share of closed deals won")
    );
    assert_eq!(find("partner_type")["detail"], "column");
    assert!(
        find("moving_average")["documentation"]["value"]
            .as_str()
            .unwrap()
            .contains("mean of `x`")
    );
    assert_eq!(find("reseller")["detail"], "label of `partner_type`");
    assert_eq!(find("good")["detail"], "label of `tiers of overall`");
    assert_eq!(find("weights")["kind"], 14);

    // Mid-edit, the text does not parse: completion still knows the names,
    // and narrows to what the words before the cursor ask for.
    let typing = format!("{MAIN}metric x {{\n  for type ");
    client.change(&main, 4, &typing);
    let end = (typing.lines().count() as u32 - 1, 11);
    let completion = client.at("textDocument/completion", &main, end, json!({}));
    let labels: Vec<&str> = completion["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["reseller", "msp"], "{completion}");
    let comment = client.at(
        "textDocument/completion",
        &main,
        position(MAIN, "is the unused", 0),
        json!({}),
    );
    assert_eq!(comment["result"], json!([]));
    client.change(&main, 5, MAIN);

    // Rename across files; a name already taken is refused.
    let rename = client.at(
        "textDocument/rename",
        &main,
        position(MAIN, "win_rate", 0),
        json!({ "newName": "close_rate" }),
    );
    let changes = &rename["result"]["changes"];
    assert_eq!(changes[&main].as_array().unwrap().len(), 1, "{rename}");
    assert_eq!(changes[&shared].as_array().unwrap().len(), 1, "{rename}");
    assert_eq!(changes[&shared][0]["newText"], "close_rate");
    // A score: its tiers and the output column that names it change too.
    let rename = client.at(
        "textDocument/rename",
        &main,
        position(MAIN, "overall \"", 0),
        json!({ "newName": "total" }),
    );
    let lines: Vec<u64> = rename["result"]["changes"][&main]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["range"]["start"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [20, 27, 34], "{rename}");
    let taken = client.at(
        "textDocument/rename",
        &main,
        position(MAIN, "win_rate", 0),
        json!({ "newName": "revenue_scale" }),
    );
    assert_eq!(taken["error"]["code"], -32803);
    let message = taken["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("`revenue_scale` is already the metric declared at"),
        "{message}"
    );
    let column = client.at(
        "textDocument/rename",
        &main,
        position(MAIN, "revenue + 1", 0),
        json!({ "newName": "sales" }),
    );
    assert!(
        column["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is a column of the input contract"),
        "{column}"
    );
    let reserved = client.at(
        "textDocument/rename",
        &main,
        position(MAIN, "win_rate", 0),
        json!({ "newName": "then" }),
    );
    assert_eq!(
        reserved["error"]["message"],
        "`then` is a reserved word of the language"
    );

    // Formatting gives what `scorecard fmt` writes.
    let untidy = MAIN.replace("  owner \"finance\"  source", "owner   \"finance\"  source");
    client.change(&main, 6, &untidy);
    let edits = client.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": main }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(edits["result"][0]["newText"], MAIN, "{edits}");
    assert_eq!(
        edits["result"][0]["range"]["start"],
        json!({ "line": 0, "character": 0 })
    );

    assert_eq!(client.finish(), 0);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn unsaved_imports_are_what_the_importer_sees() {
    let (dir, main, shared) = workspace("lsp-overlay");
    let mut client = Client::start();
    client.open(&main, MAIN);
    assert_eq!(client.diagnostics(&main), Vec::<Value>::new());
    // Renaming the metric in the open, unsaved shared file breaks the importer.
    client.open(
        &shared,
        &SHARED.replace("metric win_rate", "metric win_rates"),
    );
    let found = client.diagnostics(&main);
    let codes: Vec<&str> = found.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["N001"], "{found:?}");
    let message = found[0]["message"].as_str().unwrap();
    assert_eq!(
        message,
        "unknown metric `win_rate`\nhelp: did you mean `win_rates`?"
    );
    // Closing the buffer goes back to the file on disk.
    client.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": shared } }),
    );
    client.change(&main, 2, MAIN);
    assert_eq!(client.diagnostics(&main), Vec::<Value>::new());
    assert_eq!(client.finish(), 0);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_gap_between_bands_has_two_fixes_that_remove_it() {
    let (dir, main, _) = workspace("lsp-gap");
    let gap = MAIN.replace(
        "points scale 0 => 0, 10 => 100",
        "points {\n    [0, 5)  => 0\n    (5, 20] => 100\n  }",
    );
    let mut client = Client::start();
    client.open(&main, &gap);
    let found = client.diagnostics(&main);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["code"], "L003");
    let actions = client.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": main }, "range": found[0]["range"], "context": { "diagnostics": found } }),
    );
    let actions = actions["result"].as_array().unwrap().clone();
    let titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Include the value in this interval (`(` → `[`)",
            "Add an `else => 0` band for the values no interval covers"
        ]
    );
    for (k, action) in actions.iter().enumerate() {
        let edit = &action["edit"]["changes"][&main][0];
        let fixed = apply(&gap, edit);
        client.change(&main, 2 + k as i64, &fixed);
        assert_eq!(client.diagnostics(&main), Vec::<Value>::new(), "{fixed}");
    }
    assert_eq!(client.finish(), 0);
    std::fs::remove_dir_all(dir).ok();
}

/// A text edit applied (positions in UTF-16 units; the texts here are ASCII).
fn apply(text: &str, edit: &Value) -> String {
    let offset = |p: &Value| {
        let line = p["line"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        start + p["character"].as_u64().unwrap() as usize
    };
    let (start, end) = (
        offset(&edit["range"]["start"]),
        offset(&edit["range"]["end"]),
    );
    format!(
        "{}{}{}",
        &text[..start],
        edit["newText"].as_str().unwrap(),
        &text[end..]
    )
}

#[test]
fn malformed_messages_are_answered_and_the_server_goes_on() {
    let mut client = Client::start();
    client.send_raw(b"{ this is not json");
    let answer = client.wait_for(|m| m.get("error").is_some());
    assert_eq!(answer["error"]["code"], -32700);
    assert_eq!(answer["id"], Value::Null);
    // JSON that is not a message, with an id: answered under that id.
    client.send(json!({ "jsonrpc": "2.0", "id": 99, "params": 3 }));
    let answer = client.wait_for(|m| m["id"] == 99);
    assert_eq!(answer["error"]["code"], -32600);
    // A header without a length.
    client.send_raw(b"");
    client.stdin.write_all(b"X-Nonsense: 1\r\n\r\n").unwrap();
    let answer = client.wait_for(|m| m.get("error").is_some());
    assert_eq!(answer["error"]["code"], -32700);
    // A message above the size limit is skipped whole, and answered.
    let size = 64 * 1024 * 1024 + 1;
    write!(client.stdin, "Content-Length: {size}\r\n\r\n").unwrap();
    let chunk = vec![b' '; 1024 * 1024];
    for _ in 0..64 {
        client.stdin.write_all(&chunk).unwrap();
    }
    client.stdin.write_all(b" ").unwrap();
    let answer = client.wait_for(|m| m.get("error").is_some());
    assert_eq!(answer["error"]["code"], -32700);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("above the limit"),
        "{answer}"
    );
    // Unknown methods and bad parameters.
    let answer = client.request("textDocument/unknown", json!({}));
    assert_eq!(answer["error"]["code"], -32601);
    let answer = client.request("textDocument/hover", json!({ "position": "nowhere" }));
    assert_eq!(answer["error"]["code"], -32602);
    // A document that is not a scorecard at all.
    let uri = "untitled:notes.txt";
    client.open(uri, "\u{0}\u{1}binary? { { ( \"");
    assert!(!client.diagnostics(uri).is_empty());
    let answer = client.at("textDocument/hover", uri, (0, 3), json!({}));
    assert!(answer.get("error").is_none(), "{answer}");
    assert_eq!(client.finish(), 0);
}

#[test]
fn exit_without_shutdown_is_exit_code_1() {
    let mut client = Client::start();
    client.notify("exit", Value::Null);
    assert_eq!(client.child.wait().unwrap().code(), Some(1));
}

/// Every input of the parser's fuzz corpus, typed into an open document:
/// the server answers after each one.
#[test]
fn the_fuzz_corpus_through_did_change_never_stops_the_server() {
    let mut files = Vec::new();
    for dir in [
        "fuzz/seeds/parse",
        "fuzz/seeds/fmt",
        "fuzz/seeds/check",
        "tests/fixtures/fuzz",
    ] {
        let mut found: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        found.sort();
        files.extend(found);
    }
    assert!(files.len() > 50, "the corpus is there");
    let dir = crate::support::temp_dir("lsp-fuzz").canonicalize().unwrap();
    let uri = format!("file://{}", dir.join("fuzz.scorecard").display());
    let mut client = Client::start();
    client.open(&uri, "");
    for (k, file) in files.iter().enumerate() {
        let text = String::from_utf8_lossy(&std::fs::read(file).unwrap()).into_owned();
        client.change(&uri, k as i64 + 2, &text);
        let middle = (text.lines().count() / 2) as u32;
        for method in [
            "textDocument/hover",
            "textDocument/definition",
            "textDocument/completion",
        ] {
            let answer = client.at(method, &uri, (middle, 4), json!({}));
            assert!(
                answer.get("error").is_none(),
                "{}: {answer}",
                file.display()
            );
        }
        let refs = client.at(
            "textDocument/references",
            &uri,
            (middle, 4),
            json!({ "context": { "includeDeclaration": true } }),
        );
        assert!(refs.get("error").is_none(), "{}: {refs}", file.display());
        // Renaming answers with an edit or a reason, never an internal error.
        for (method, extra) in [
            ("textDocument/prepareRename", json!({})),
            ("textDocument/rename", json!({ "newName": "renamed" })),
        ] {
            let answer = client.at(method, &uri, (middle, 4), extra);
            assert_ne!(
                answer["error"]["code"],
                -32603,
                "{}: {answer}",
                file.display()
            );
        }
        let symbols = client.request(
            "textDocument/documentSymbol",
            json!({ "textDocument": { "uri": uri } }),
        );
        assert!(
            symbols.get("error").is_none(),
            "{}: {symbols}",
            file.display()
        );
        let format = client.request(
            "textDocument/formatting",
            json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
        );
        assert!(
            format.get("error").is_none(),
            "{}: {format}",
            file.display()
        );
        let actions = client.request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": { "start": { "line": 0, "character": 0 }, "end": { "line": middle, "character": 0 } }, "context": { "diagnostics": [] } }),
        );
        assert!(
            actions.get("error").is_none(),
            "{}: {actions}",
            file.display()
        );
    }
    assert_eq!(client.finish(), 0);
    assert!(Path::new(&dir).exists());
    std::fs::remove_dir_all(dir).ok();
}

/// Every quick fix offered for a diagnostic fixture removes its diagnostic;
/// the fixtures of the findings with a mechanical fix all get one.
#[test]
fn every_quick_fix_removes_its_diagnostic() {
    let mut client = Client::start();
    let mut fixed: Vec<String> = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir("tests/fixtures/check")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "scorecard"))
        .collect();
    files.sort();
    for file in files {
        let path = file.canonicalize().unwrap();
        let uri = format!("file://{}", path.display());
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        client.open(&uri, &text);
        let found = client.diagnostics(&uri);
        for d in &found {
            let actions = client.request(
                "textDocument/codeAction",
                json!({ "textDocument": { "uri": uri }, "range": d["range"], "context": { "diagnostics": [d] } }),
            );
            let actions = actions["result"].as_array().unwrap().clone();
            if d["message"]
                .as_str()
                .unwrap()
                .contains("help: did you mean")
            {
                assert!(
                    actions.iter().any(|a| a["isPreferred"] == true),
                    "{}: a fix for {d}",
                    file.display()
                );
            }
            for action in &actions {
                let after = apply(&text, &action["edit"]["changes"][&uri][0]);
                client.change(&uri, 2, &after);
                let now = client.diagnostics(&uri);
                let still = now.iter().any(|n| {
                    n["code"] == d["code"]
                        && n["range"]["start"]["line"] == d["range"]["start"]["line"]
                });
                assert!(
                    !still,
                    "{}: {} left {now:?}\n{after}",
                    file.display(),
                    action["title"]
                );
                fixed.push(format!(
                    "{} {}",
                    d["code"].as_str().unwrap(),
                    action["title"].as_str().unwrap()
                ));
            }
            client.change(&uri, 3, &text);
            client.diagnostics(&uri);
        }
        client.notify(
            "textDocument/didClose",
            json!({ "textDocument": { "uri": uri } }),
        );
    }
    fixed.sort();
    fixed.dedup();
    insta::assert_snapshot!(fixed.join("\n"));
    assert_eq!(client.finish(), 0);
}

/// A file the open document imports, not open itself: what `check` reports
/// in it is shown under its own URI, and cleared once it is fixed.
#[test]
fn findings_in_an_import_that_is_not_open_are_published_under_its_uri() {
    let (dir, main, shared) = workspace("lsp-import-findings");
    std::fs::write(
        dir.join("shared.scorecard"),
        SHARED.replace("value deals_won /", "value deals_wonn /"),
    )
    .unwrap();
    let mut client = Client::start();
    client.open(&main, MAIN);
    let found = client.diagnostics(&shared);
    let codes: Vec<&str> = found.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["N001"], "{found:?}");
    assert_eq!(
        found[0]["range"]["start"],
        json!({ "line": 3, "character": 8 })
    );
    // Fixed on disk; the editor says so.
    std::fs::write(dir.join("shared.scorecard"), SHARED).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": shared, "type": 2 }] }),
    );
    assert_eq!(client.diagnostics(&shared), Vec::<Value>::new());
    assert_eq!(client.finish(), 0);
    std::fs::remove_dir_all(dir).ok();
}

/// Columns are counted in UTF-16 code units, or in UTF-8 bytes when the
/// client offers them: a name after `€` and `𝄞` is where the editor shows it.
#[test]
fn positions_count_utf16_units_or_utf8_bytes_as_negotiated() {
    let dir = crate::support::temp_dir("lsp-utf16")
        .canonicalize()
        .unwrap();
    let uri = format!("file://{}", dir.join("wide.scorecard").display());
    let text = "input {\n  key partner_id\n  revenue: number\n}\nmetric m \"€ 𝄞\" { owner \"o\" source \"s\" value revnue }\n";
    let expected = [("utf-16", 45), ("utf-8", 49)];
    for (encoding, column) in expected {
        let mut client =
            Client::start_with(json!({ "general": { "positionEncodings": [encoding] } }));
        client.open(&uri, text);
        let found = client.diagnostics(&uri);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0]["range"]["start"],
            json!({ "line": 4, "character": column }),
            "{encoding}"
        );
        let hover = client.at("textDocument/hover", &uri, (4, column), json!({}));
        assert!(
            hover["result"]["contents"]["value"]
                .as_str()
                .unwrap()
                .starts_with("**N001"),
            "{encoding}: {hover}"
        );
        assert_eq!(client.finish(), 0);
    }
    std::fs::remove_dir_all(dir).ok();
}
