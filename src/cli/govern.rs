//! `--corrections FILE`, `--overrides FILE` and `--audit FILE`, shared by
//! `score`, `explain` and `diff`: read the files, apply them to the loaded
//! table, settle the overrides and write the audit log.

use std::path::{Path, PathBuf};

use clap::Args;

use super::Exit;
use crate::data::load::{self, DataProblem};
use crate::data::table::Table;
use crate::eval::Context;
use crate::govern::{self, Governance, corrections, overrides};
use crate::model::Model;

#[derive(Debug, Args, Clone, Default)]
pub struct GovernArgs {
    /// Corrections to the data, applied before scoring: CSV with the header
    /// `partner,period,column,value,reason,submitted_by,approved_by,date`, or NDJSON.
    #[arg(long, value_name = "FILE")]
    pub corrections: Option<PathBuf>,
    /// Approved tier overrides: CSV with the header
    /// `partner,score,tier,from_period,until_period,reason,requested_by,approved_by,date`, or NDJSON.
    #[arg(long, value_name = "FILE")]
    pub overrides: Option<PathBuf>,
    /// Write an NDJSON log of every correction and override applied, with the
    /// scorecard's, the data's and the files' hashes.
    #[arg(long, value_name = "FILE")]
    pub audit: Option<PathBuf>,
}

/// The files read, before the data is loaded.
#[derive(Debug, Default)]
pub struct Pending {
    corrections: Option<(String, Vec<corrections::Correction>, String)>,
    overrides: Option<(String, Vec<overrides::Override>, String)>,
    problems: Problems,
}

/// Problems found so far, by file, reported together once the overrides
/// are settled, so that every bad line is reported in one run.
#[derive(Debug, Default)]
pub struct Problems {
    found: Vec<(String, &'static str, Vec<DataProblem>)>,
}

impl Problems {
    fn add(&mut self, name: &str, what: &'static str, mut problems: Vec<DataProblem>) {
        if problems.is_empty() {
            return;
        }
        match self.found.iter_mut().find(|(n, _, _)| n == name) {
            Some((_, _, list)) => list.append(&mut problems),
            None => self.found.push((name.to_string(), what, problems)),
        }
    }

    /// Print every problem, file by file in line order; `Err` when any is an error.
    fn report(mut self) -> Result<(), Exit> {
        let mut failed = false;
        for (name, what, list) in &mut self.found {
            list.sort_by_key(|p| p.line);
            if report(list, name, what).is_err() {
                failed = true;
            }
        }
        if failed { Err(Exit::Findings) } else { Ok(()) }
    }
}

fn read_text(path: &Path) -> Result<String, Exit> {
    super::output::regular_input(path).map_err(|e| super::fail(&e))?;
    let bytes = std::fs::read(path)
        .map_err(|e| super::fail(&format!("cannot read `{}`: {e}", path.display())))?;
    String::from_utf8(bytes)
        .map_err(|_| super::fail(&format!("`{}` is not UTF-8 text", path.display())))
}

/// Print problems of a governance file; `Err` when any is an error.
fn report(problems: &[DataProblem], name: &str, what: &str) -> Result<(), Exit> {
    if problems.is_empty() {
        return Ok(());
    }
    eprint!("{}", load::render(problems, name));
    let errors = problems
        .iter()
        .filter(|p| p.code.severity() == crate::diag::Severity::Error)
        .count();
    if errors > 0 {
        eprintln!(
            "error: `{name}` has {errors} problem{}; nothing was scored with {what}",
            if errors == 1 { "" } else { "s" }
        );
        return Err(Exit::Findings);
    }
    Ok(())
}

impl GovernArgs {
    pub fn is_empty(&self) -> bool {
        self.corrections.is_none() && self.overrides.is_none() && self.audit.is_none()
    }

    /// The paths these options read and write, to refuse an output onto an input.
    pub fn inputs(&self) -> Vec<(&'static str, &Path)> {
        let mut out: Vec<(&'static str, &Path)> = Vec::new();
        if let Some(p) = &self.corrections {
            out.push(("--corrections", p));
        }
        if let Some(p) = &self.overrides {
            out.push(("--overrides", p));
        }
        out
    }

    /// Refuse an `--audit` or `--out` that would overwrite an input or each other.
    pub fn check_outputs(&self, data: &Path, out: Option<&Path>) -> Result<(), Exit> {
        let mut inputs = self.inputs();
        inputs.push(("the data", data));
        let mut outputs: Vec<(&str, &Path)> = Vec::new();
        if let Some(p) = out {
            outputs.push(("--out", p));
        }
        if let Some(p) = &self.audit {
            outputs.push(("--audit", p));
        }
        super::output::check_distinct(&inputs, &outputs).map_err(|e| super::fail(&e))
    }

    /// Read and check the files against the scorecard (before the data is
    /// loaded), and the columns the table must keep for the corrections.
    pub fn read(&self, model: &Model, needed: &[bool]) -> Result<(Pending, Vec<bool>), Exit> {
        if self.audit.is_some() && self.corrections.is_none() && self.overrides.is_none() {
            return Err(super::fail(
                "`--audit` logs what `--corrections` and `--overrides` apply; give one of them",
            ));
        }
        let mut pending = Pending::default();
        let mut needed = needed.to_vec();
        if let Some(path) = &self.corrections {
            let name = path.display().to_string();
            let text = read_text(path)?;
            let (list, problems) = corrections::read(model, &text, govern::is_ndjson(path));
            pending.problems.add(&name, "the corrections", problems);
            needed = corrections::needed(&list, &needed, model.contract.columns.len());
            pending.corrections = Some((name, list, govern::audit::hash(text.as_bytes())));
        }
        if let Some(path) = &self.overrides {
            let name = path.display().to_string();
            let text = read_text(path)?;
            let (list, problems) = overrides::read(model, &text, govern::is_ndjson(path));
            pending.problems.add(&name, "the overrides", problems);
            pending.overrides = Some((name, list, govern::audit::hash(text.as_bytes())));
        }
        Ok((pending, needed))
    }

    /// Apply the corrections to the table and match the overrides to its
    /// rows; problems are kept for [`GovernArgs::settle`] to report.
    pub fn apply(
        &self,
        model: &Model,
        table: &mut Table,
        pending: Pending,
    ) -> (Governance, Hashes) {
        let mut gov = Governance::default();
        let mut hashes = Hashes {
            problems: pending.problems,
            ..Hashes::default()
        };
        if let Some((name, list, hash)) = pending.corrections {
            let (applied, problems) = corrections::apply(model, table, &name, list);
            hashes.problems.add(&name, "the corrections", problems);
            gov.corrections = Some(applied);
            hashes.corrections = Some(hash);
        }
        if let Some((name, list, hash)) = pending.overrides {
            let (matched, problems) = overrides::apply(model, table, &name, list);
            hashes.problems.add(&name, "the overrides", problems);
            gov.overrides = Some(matched);
            hashes.overrides = Some(hash);
        }
        (gov, hashes)
    }
    pub fn settle(
        &self,
        ctx: &mut Context<'_>,
        gov: &mut Governance,
        hashes: &mut Hashes,
    ) -> Result<(), Exit> {
        if let Some(o) = gov.overrides.as_mut() {
            let name = o.file.clone();
            let problems = govern::settle_overrides(ctx, o);
            hashes.problems.add(&name, "the overrides", problems);
        }
        std::mem::take(&mut hashes.problems).report()
    }

    /// Settle the overrides on the whole table (scored once for it), report
    /// the problems, and write the audit log when asked.
    pub fn settle_and_log(
        &self,
        model: &Model,
        plan: &crate::plan::Plan,
        table: &Table,
        gov: &mut Governance,
        mut hashes: Hashes,
        data: &Path,
    ) -> Result<(), Exit> {
        let ordered = crate::eval::order_rows(model, table);
        let mut ctx = Context::new(model, plan, table, &ordered);
        self.settle(&mut ctx, gov, &mut hashes)?;
        self.write_audit(model, table, gov, data, hashes)
    }

    /// Write the audit log, when asked.
    pub fn write_audit(
        &self,
        model: &Model,
        table: &Table,
        gov: &Governance,
        data: &Path,
        hashes: Hashes,
    ) -> Result<(), Exit> {
        let Some(path) = &self.audit else {
            return Ok(());
        };
        let data_hash = if data == Path::new("-") {
            None
        } else {
            std::fs::read(data).ok().map(|b| govern::audit::hash(&b))
        };
        let hashes = govern::audit::Hashes {
            data: data_hash,
            corrections: hashes.corrections,
            overrides: hashes.overrides,
        };
        let text = govern::audit::lines(model, table, gov, &hashes);
        super::output::write_atomically(path, text.as_bytes())
            .map_err(|e| super::fail(&format!("cannot write `{}`: {e}", path.display())))
    }
}

/// The hashes of the governance files read.
#[derive(Debug, Default)]
pub struct Hashes {
    corrections: Option<String>,
    overrides: Option<String>,
    /// The problems found so far, reported by [`GovernArgs::settle`].
    problems: Problems,
}
