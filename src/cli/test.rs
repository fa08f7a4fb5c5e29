//! `scorecard test PATH...`: run the test cases and output snapshots of scorecards.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::Exit;
use crate::check::check_path;
use crate::data::header::DataFormat;
use crate::data::load::{self, OnInvalid};
use crate::diag::render::{self, HumanStyle};
use crate::diag::{Code, Diagnostic};
use crate::eval::{PeriodChoice, Selection};
use crate::model::Model;
use crate::source::SourceMap;
use crate::testing::{self, Outcome, coverage, snapshot};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    Human,
    Json,
    /// JUnit XML, for CI dashboards.
    Junit,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Scorecard files, or directories to search for `*.scorecard` files.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Only the tests whose name contains this text.
    #[arg(long, value_name = "NAME")]
    pub filter: Option<String>,
    #[arg(long, value_enum, default_value_t = TestFormat::Human)]
    pub format: TestFormat,
    /// Accept changed output: rewrite the snapshot files (never when `CI` is set).
    #[arg(long)]
    pub update: bool,
    /// Count a scorecard with warnings as failed, printing its warnings, and run none of its tests.
    #[arg(long, value_enum)]
    pub deny: Option<super::Deny>,
    /// Report which bands, scale ranges, segment lines, tiers, rules, flags and
    /// guardrail clauses the tests reach, and list those they never reach.
    #[arg(long)]
    pub coverage: bool,
    /// Fail (exit 1) when the tests reach less than this percentage of the items.
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    pub min_coverage: Option<f64>,
    /// Write the coverage to this file, for CI dashboards.
    #[arg(long, value_name = "FILE")]
    pub coverage_out: Option<PathBuf>,
    /// The format of `--coverage-out`.
    #[arg(long, value_enum, default_value_t = CoverageFormat::Lcov)]
    pub coverage_format: CoverageFormat,
    /// Corrections applied to the data of every snapshot that names none of
    /// its own: CSV with the header
    /// `partner,period,column,value,reason,submitted_by,approved_by,date`, or NDJSON.
    #[arg(long, value_name = "FILE")]
    pub corrections: Option<PathBuf>,
    /// Tier overrides applied to every snapshot that names none of its own:
    /// CSV with the header
    /// `partner,score,tier,from_period,until_period,reason,requested_by,approved_by,date`, or NDJSON.
    #[arg(long, value_name = "FILE")]
    pub overrides: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CoverageFormat {
    /// An lcov tracefile (`SF:`, `DA:line,hits`, `end_of_record`).
    Lcov,
    /// Cobertura XML.
    Cobertura,
}

fn parse_percent(text: &str) -> Result<f64, String> {
    match text.trim_end_matches('%').parse::<f64>() {
        Ok(x) if (0.0..=100.0).contains(&x) => Ok(x),
        _ => Err(format!("`{text}` is not a percentage from 0 to 100")),
    }
}

/// The results of one scorecard file.
struct FileResult {
    name: String,
    outcomes: Vec<Outcome>,
    /// Diagnostics that kept the file's tests from running.
    errors: Vec<Diagnostic>,
}

/// Whether this run may write snapshot files.
fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The corrections and overrides files of a snapshot: its own (relative to
/// the scorecard), else those of the command line, each with the name shown.
fn snapshot_files<'a>(
    base: &Path,
    own: Option<&'a (String, crate::model::Loc)>,
    given: Option<&'a PathBuf>,
) -> Option<(PathBuf, String)> {
    match (own, given) {
        (Some((p, _)), _) => Some((base.join(p), p.clone())),
        (None, Some(p)) => Some((p.clone(), p.display().to_string())),
        (None, None) => None,
    }
}

fn snapshot_outcomes(
    model: &Model,
    path: &Path,
    args: &TestArgs,
    notes: &mut Vec<String>,
) -> Vec<Outcome> {
    let update = args.update;
    let mut out = Vec::new();
    let base = path.parent().unwrap_or(Path::new("."));
    for (k, snap) in model.snapshots.iter().enumerate() {
        let clock = std::time::Instant::now();
        let name = format!("snapshot of {}", snap.data);
        let fail = |message: String, help: &str| Outcome {
            name: name.clone(),
            loc: snap.loc,
            partner: None,
            period: None,
            expectations: 1,
            failures: vec![
                Diagnostic::new(Code::E003, snap.loc.file, snap.loc.span, message)
                    .label("this snapshot")
                    .help(help),
            ],
            explanation: None,
            seconds: clock.elapsed().as_secs_f64(),
        };
        let data = base.join(&snap.data);
        let plan = crate::plan::compile(model);
        let corrections =
            snapshot_files(base, snap.corrections.as_ref(), args.corrections.as_ref());
        let overrides = snapshot_files(base, snap.overrides.as_ref(), args.overrides.as_ref());
        let mut lines = Vec::new();
        let mut failures = Vec::new();
        for (file, is_overrides) in [(&corrections, false), (&overrides, true)] {
            let Some((full, shown)) = file else {
                lines.push(None);
                continue;
            };
            match testing::govern::file_lines(full, shown, snap.loc, is_overrides) {
                Ok(l) => lines.push(Some(l)),
                Err(mut f) => {
                    lines.push(None);
                    failures.append(&mut f);
                }
            }
        }
        if !failures.is_empty() {
            out.push(Outcome {
                failures,
                ..fail(String::new(), "")
            });
            continue;
        }
        // Corrections may change a column the scores do not read.
        let all = vec![true; model.contract.columns.len()];
        let needed = if corrections.is_some() {
            &all
        } else {
            &plan.needed_columns
        };
        let mut table = match load::load(
            &data,
            DataFormat::from_path(&data),
            model,
            needed,
            OnInvalid::Fail,
        ) {
            Ok(l) => l.table,
            Err(e) => {
                out.push(fail(
                    format!("cannot score `{}`: {e}", snap.data),
                    "run `scorecard score` on the file to see why",
                ));
                continue;
            }
        };
        let (selection, period) = match &snap.period {
            None => (PeriodChoice::Latest, "latest".to_string()),
            Some(None) => (PeriodChoice::All, "all".to_string()),
            Some(Some(label)) => (PeriodChoice::Label(label.clone()), format!("{label:?}")),
        };
        let gov = if corrections.is_some() || overrides.is_some() {
            let (corrections_lines, overrides_lines) = match lines.as_slice() {
                [c, o] => (c.as_ref(), o.as_ref()),
                _ => (None, None),
            };
            let (gov, failures) = testing::govern::apply(
                model,
                &plan,
                &mut table,
                corrections_lines,
                overrides_lines,
            );
            if !failures.is_empty() {
                out.push(Outcome {
                    failures,
                    ..fail(String::new(), "")
                });
                continue;
            }
            Some(gov)
        } else {
            None
        };
        let csv = testing::score_csv(
            model,
            &table,
            &Selection {
                period: selection,
                partner: None,
            },
            gov.as_ref(),
        );
        let applied = snapshot::Applied {
            corrections: corrections.as_ref().map(|(_, shown)| shown.as_str()),
            overrides: overrides.as_ref().map(|(_, shown)| shown.as_str()),
        };
        let text = snapshot::render(model, &snap.data, &period, &applied, &csv);
        let file = snapshot::path(path, k);
        let shown = file.display().to_string();
        if let Err(e) = super::output::confined_file(&file, base) {
            out.push(fail(
                e,
                "the snapshot file is written next to the scorecard; replace the link or special file with the recorded snapshot, or delete it",
            ));
            continue;
        }
        let write = |notes: &mut Vec<String>, verb: &str| match super::output::write_atomically(
            &file,
            text.as_bytes(),
        ) {
            Ok(()) => {
                notes.push(format!("{verb} {shown}"));
                None
            }
            Err(e) => Some(format!("cannot write `{shown}`: {e}")),
        };
        let outcome = match std::fs::read_to_string(&file) {
            // Only a snapshot that does not exist is recorded; one that cannot be
            // read is reported, never overwritten.
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Some(fail(
                format!(
                    "cannot read the snapshot `{shown}`: {}",
                    crate::check::load::io_reason(&e)
                ),
                "the snapshot must be the UTF-8 text `scorecard test` wrote; delete it to record it again",
            )),
            Err(_) if in_ci() => Some(fail(
                format!("no snapshot `{shown}` to compare with"),
                "record it with `scorecard test` outside CI and commit the file",
            )),
            Err(_) => {
                write(notes, "recorded").map(|e| fail(e, "check the directory's permissions"))
            }
            Ok(old) => match snapshot::compare(&old, &text, model) {
                None => None,
                Some(_) if update && !in_ci() => {
                    write(notes, "updated").map(|e| fail(e, "check the file's permissions"))
                }
                Some(diff) => {
                    let mut o = fail(
                        format!("the output differs from `{shown}`"),
                        "if the change is intended, accept it with `scorecard test --update` and commit the snapshot",
                    );
                    o.explanation = Some(diff);
                    Some(o)
                }
            },
        };
        out.push(outcome.unwrap_or(Outcome {
            name,
            loc: snap.loc,
            partner: None,
            period: None,
            expectations: 1,
            failures: Vec::new(),
            explanation: None,
            seconds: clock.elapsed().as_secs_f64(),
        }));
    }
    out
}

pub fn run(args: &TestArgs) -> Exit {
    let files = match super::check::collect_files(&args.paths) {
        Ok(f) => f,
        Err(e) => return super::fail(&e),
    };
    let mut sources = SourceMap::new();
    let mut results = Vec::new();
    let mut notes = Vec::new();
    let measure = args.coverage || args.min_coverage.is_some() || args.coverage_out.is_some();
    let mut coverage = coverage::Summary::default();
    for path in &files {
        let checked = match check_path(path, &mut sources) {
            Ok(c) => c,
            Err(e) => return super::fail(&e.to_string()),
        };
        let name = path.display().to_string();
        let denied = args.deny == Some(super::Deny::Warnings);
        let errors: Vec<Diagnostic> = checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error() || denied)
            .cloned()
            .collect();
        if !checked.diagnostics.has_errors() && !denied {
            if let Some(line) = super::check::warnings_summary(path, &checked.diagnostics) {
                eprint!("{line}");
            }
        }
        let outcomes = match (&checked.model, errors.is_empty()) {
            (Some(model), true) => {
                if measure {
                    coverage.add(&testing::coverage(
                        model,
                        &sources,
                        path,
                        args.filter.as_deref(),
                    ));
                }
                let mut o = testing::run(model, &sources, path, args.filter.as_deref());
                if args.filter.is_none() {
                    o.extend(snapshot_outcomes(model, path, args, &mut notes));
                }
                o
            }
            _ => Vec::new(),
        };
        results.push(FileResult {
            name,
            outcomes,
            errors,
        });
    }
    let passed: usize = results
        .iter()
        .map(|r| r.outcomes.iter().filter(|o| o.passed()).count())
        .sum();
    let failed: usize = results
        .iter()
        .map(|r| {
            r.outcomes.iter().filter(|o| !o.passed()).count() + usize::from(!r.errors.is_empty())
        })
        .sum();
    let style = HumanStyle {
        color: super::stdout_color(),
        width: 100,
    };
    let plain = HumanStyle {
        color: false,
        width: 100,
    };
    match args.format {
        TestFormat::Human => {
            let mut out = String::new();
            for r in &results {
                if r.outcomes.is_empty() && r.errors.is_empty() {
                    continue;
                }
                out.push_str(&format!("{}\n", r.name));
                if !r.errors.is_empty() {
                    out.push_str(if r.errors.iter().any(Diagnostic::is_error) {
                        "  error   the scorecard has errors; its tests did not run\n"
                    } else {
                        "  error   the scorecard has warnings (`--deny warnings`); its tests did not run\n"
                    });
                    out.push_str(&render::human(&r.errors, &sources, style));
                }
                for o in &r.outcomes {
                    let status = if o.passed() { "ok    " } else { "FAILED" };
                    out.push_str(&format!("  {status}  {}\n", o.name));
                    if !o.passed() {
                        out.push_str(&render::human(&o.failures, &sources, style));
                        if let Some(e) = &o.explanation {
                            out.push_str("  why:\n");
                            for line in e.lines() {
                                out.push_str(&format!("    {line}\n"));
                            }
                        }
                    }
                }
            }
            for n in &notes {
                out.push_str(&format!("{n}\n"));
            }
            out.push_str(&format!("{passed} passed, {failed} failed\n"));
            if measure {
                out.push_str(&coverage.human(args.coverage));
            }
            super::print(&out);
        }
        TestFormat::Json => super::print(&json(&results, &sources, passed, failed)),
        TestFormat::Junit => {
            let suites: Vec<(String, Vec<Outcome>)> = results
                .iter()
                .map(|r| {
                    let mut outcomes = r.outcomes.clone();
                    if !r.errors.is_empty() {
                        outcomes.push(Outcome {
                            name: "the scorecard checks without errors".into(),
                            loc: Default::default(),
                            partner: None,
                            period: None,
                            expectations: 0,
                            failures: r.errors.clone(),
                            explanation: None,
                            seconds: 0.0,
                        });
                    }
                    (r.name.clone(), outcomes)
                })
                .collect();
            let text = |o: &Outcome| {
                let mut t = render::human(&o.failures, &sources, plain);
                if let Some(e) = &o.explanation {
                    t.push_str(e);
                }
                t
            };
            super::print(&crate::testing::junit::render(&suites, &text));
        }
    }
    if measure && args.format != TestFormat::Human {
        eprint!("{}", coverage.human(args.coverage));
    }
    if let Some(file) = &args.coverage_out {
        let text = match args.coverage_format {
            CoverageFormat::Lcov => coverage.lcov(),
            CoverageFormat::Cobertura => coverage.cobertura(),
        };
        if let Err(e) = super::output::write_atomically(file, text.as_bytes()) {
            return super::fail(&format!("cannot write `{}`: {e}", file.display()));
        }
    }
    let (covered, total) = coverage.total();
    let too_low = args
        .min_coverage
        .is_some_and(|min| coverage::below(covered, total, min));
    if let (true, Some(min)) = (too_low, args.min_coverage) {
        eprintln!(
            "error: the tests reach {} of the scorecard items ({covered} of {total}), below the minimum {}%",
            coverage::percent(covered, total),
            crate::model::format_number(min)
        );
        eprintln!("  help: add test rows that reach the items `scorecard test --coverage` lists");
    }
    if failed > 0 || too_low {
        Exit::Findings
    } else {
        Exit::Clean
    }
}

#[derive(Serialize)]
struct JsonFailure {
    line: usize,
    column: usize,
    code: &'static str,
    message: String,
    help: String,
}

#[derive(Serialize)]
struct JsonTest<'a> {
    name: &'a str,
    status: &'static str,
    partner: &'a Option<String>,
    period: &'a Option<String>,
    failures: Vec<JsonFailure>,
    explanation: &'a Option<String>,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    file: &'a str,
    errors: Vec<render::JsonDiagnostic<'a>>,
    tests: Vec<JsonTest<'a>>,
}

#[derive(Serialize)]
struct JsonRun<'a> {
    files: Vec<JsonFile<'a>>,
    passed: usize,
    failed: usize,
}

fn json(results: &[FileResult], sources: &SourceMap, passed: usize, failed: usize) -> String {
    let files = results
        .iter()
        .map(|r| JsonFile {
            file: &r.name,
            errors: r
                .errors
                .iter()
                .map(|d| render::to_json(d, sources))
                .collect(),
            tests: r
                .outcomes
                .iter()
                .map(|o| JsonTest {
                    name: &o.name,
                    status: if o.passed() { "passed" } else { "failed" },
                    partner: &o.partner,
                    period: &o.period,
                    failures: o
                        .failures
                        .iter()
                        .map(|d| {
                            let (line, column) = sources
                                .get(d.file)
                                .map_or((1, 1), |f| f.line_col(d.span.start));
                            JsonFailure {
                                line,
                                column,
                                code: d.code.as_str(),
                                message: d.message.clone(),
                                help: d.help.clone(),
                            }
                        })
                        .collect(),
                    explanation: &o.explanation,
                })
                .collect(),
        })
        .collect();
    serde_json::to_string_pretty(&JsonRun {
        files,
        passed,
        failed,
    })
    .unwrap_or_default()
        + "\n"
}
