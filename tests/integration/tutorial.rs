//! The tutorial is kept true: every file it writes and every command it runs
//! in `docs/tutorial.md` is replayed here, and each command's output must be
//! the output the tutorial shows.
//!
//! The tutorial's fenced blocks are of two kinds:
//! - a block whose info string holds `file=NAME` writes NAME (in a fresh
//!   directory, so later blocks may rewrite a file as the tutorial goes on),
//!   and one with `append=NAME` adds its text to the end of NAME;
//! - a `console` block holds commands, each on a line starting with `$ `,
//!   followed by what the command prints (standard output, then standard
//!   error). A command that is expected to fail is followed by a line
//!   `# exit N`.
//!
//! With `UPDATE_TUTORIAL=1` the outputs in the tutorial are rewritten from the
//! commands' real outputs, to be read and committed like a snapshot.

use std::path::Path;
use std::process::Command;

use super::support::temp_dir;

const TUTORIAL: &str = "docs/tutorial.md";

/// One fenced block of the tutorial.
enum Block {
    File {
        name: String,
        text: String,
        append: bool,
    },
    Console {
        commands: Vec<Step>,
    },
}

/// One command of a console block, with what the tutorial says it prints.
struct Step {
    command: String,
    shown: String,
    exit: i32,
}

/// The fenced blocks of the tutorial, with the line range of each console
/// block's body so that its text can be rewritten.
fn blocks(markdown: &str) -> Vec<(Block, std::ops::Range<usize>)> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(info) = lines[i].strip_prefix("```") else {
            i += 1;
            continue;
        };
        let info = info.trim().to_string();
        let start = i + 1;
        let mut end = start;
        while end < lines.len() && lines[end] != "```" {
            end += 1;
        }
        let body = &lines[start..end];
        let target = info.split_whitespace().find_map(|w| {
            (w.strip_prefix("file=").map(|n| (n, false)))
                .or_else(|| w.strip_prefix("append=").map(|n| (n, true)))
        });
        if let Some((name, append)) = target {
            let mut text = body.join("\n");
            text.push('\n');
            if append {
                text.insert(0, '\n');
            }
            found.push((
                Block::File {
                    name: name.to_string(),
                    text,
                    append,
                },
                start..end,
            ));
        } else if info == "console" {
            found.push((
                Block::Console {
                    commands: steps(body),
                },
                start..end,
            ));
        }
        i = end + 1;
    }
    found
}

fn steps(body: &[&str]) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    for line in body {
        if let Some(command) = line.strip_prefix("$ ") {
            steps.push(Step {
                command: command.to_string(),
                shown: String::new(),
                exit: 0,
            });
        } else if let Some(step) = steps.last_mut() {
            if let Some(code) = line.strip_prefix("# exit ") {
                step.exit = code.trim().parse().expect("`# exit N` takes a number");
            } else {
                step.shown.push_str(line);
                step.shown.push('\n');
            }
        } else {
            panic!("a console block must start with a `$ ` command, not {line:?}");
        }
    }
    steps
}

/// Run one tutorial command in `dir`: `scorecard …` runs the binary under
/// test; the words are split on white space, with `'…'` kept together.
fn run(command: &str, dir: &Path) -> (String, i32) {
    let words = split_words(command);
    let (program, args) = words.split_first().expect("a command");
    assert_eq!(program, "scorecard", "the tutorial runs only `scorecard`");
    let out = Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .output()
        .expect("binary runs");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    let text: String = text
        .lines()
        .map(|l| format!("{}\n", l.trim_end()))
        .collect();
    (text, out.status.code().unwrap_or(-1))
}

fn split_words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in command.chars() {
        match c {
            '\'' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

#[test]
fn the_tutorial_shows_what_its_commands_print() {
    let markdown = std::fs::read_to_string(TUTORIAL).expect("docs/tutorial.md");
    let dir = temp_dir("tutorial");
    let update = std::env::var_os("UPDATE_TUTORIAL").is_some();
    let mut lines: Vec<String> = markdown.lines().map(str::to_string).collect();
    let mut replacements = Vec::new();
    let mut mismatches = Vec::new();
    let mut commands_run = 0;

    for (block, range) in blocks(&markdown) {
        match block {
            Block::File { name, text, append } => {
                let path = dir.join(&name);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).unwrap();
                }
                let text = if append {
                    std::fs::read_to_string(&path).unwrap() + &text
                } else {
                    text
                };
                std::fs::write(path, text).unwrap();
            }
            Block::Console { commands } => {
                let mut body = Vec::new();
                for step in commands {
                    let (printed, exit) = run(&step.command, &dir);
                    commands_run += 1;
                    if printed != step.shown || exit != step.exit {
                        mismatches.push(format!(
                            "$ {}\n--- the tutorial shows (exit {}):\n{}--- it prints (exit {}):\n{}",
                            step.command, step.exit, step.shown, exit, printed
                        ));
                    }
                    body.push(format!("$ {}", step.command));
                    body.extend(printed.lines().map(str::to_string));
                    if exit != 0 {
                        body.push(format!("# exit {exit}"));
                    }
                }
                replacements.push((range, body));
            }
        }
    }
    assert!(
        commands_run >= 8,
        "the tutorial runs only {commands_run} commands"
    );

    if update && !mismatches.is_empty() {
        for (range, body) in replacements.into_iter().rev() {
            lines.splice(range, body);
        }
        let mut text = lines.join("\n");
        text.push('\n');
        std::fs::write(TUTORIAL, text).unwrap();
        return;
    }
    assert!(
        mismatches.is_empty(),
        "docs/tutorial.md is out of date (rerun with UPDATE_TUTORIAL=1 and read the change):\n\n{}",
        mismatches.join("\n")
    );
}
