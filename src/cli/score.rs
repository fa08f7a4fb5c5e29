//! `scorecard score SCORECARD --data FILE`: score partner data.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::Exit;
use crate::check::check_path;
use crate::data::header::DataFormat;
use crate::data::load::{self, Loaded, OnInvalid};
use crate::diag::render::{self as diag_render, HumanStyle};
use crate::eval::{self, Context, PeriodChoice, Selection};
use crate::model::{Model, ScoreStage, Type};
use crate::plan::{CExpr, OutputColumn, Plan};
use crate::render;
use crate::source::SourceMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A table for reading in a terminal.
    Table,
    Csv,
    /// One JSON document: the scorecard's name, version and content hash, and the rows.
    Json,
    /// One JSON object per line.
    Ndjson,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DataFormatArg {
    Csv,
    Json,
    Ndjson,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OnInvalidArg {
    /// Report every invalid value and write nothing (exit 1).
    Fail,
    /// Leave invalid rows out, write them with their reasons to `--rejects`.
    Skip,
}

#[derive(Debug, Args)]
pub struct DataArgs {
    /// The partner data: CSV, JSON (an array of objects) or NDJSON; `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// The data's format, when its extension does not say.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub data_format: Option<DataFormatArg>,
    /// What to do with rows that break the input contract.
    #[arg(long, value_enum, default_value_t = OnInvalidArg::Fail)]
    pub on_invalid: OnInvalidArg,
    /// Where to write rejected rows with their reasons (with `--on-invalid skip`).
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// The scorecard.
    pub scorecard: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Output format (default: a table on a terminal, CSV otherwise).
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,
    /// Write the results to this file (atomically) instead of standard output.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Which rows to report: `latest` (each partner's latest period), `all`, or a period label.
    #[arg(long, default_value = "latest", value_name = "PERIOD")]
    pub period: String,
    /// Only this partner.
    #[arg(long, value_name = "ID")]
    pub partner: Option<String>,
    /// Add each metric's value and points as columns.
    #[arg(long)]
    pub with_metrics: bool,
    /// Stop (exit 1) when the scorecard has warnings, printing them.
    #[arg(long, value_enum)]
    pub deny: Option<super::Deny>,
    /// Write CSV text cells as they are, even those a spreadsheet would run as
    /// a formula (by default a leading `=`, `+`, `-`, `@`, tab or CR gets a `'`).
    #[arg(long)]
    pub no_escape_formulas: bool,
}

/// A checked scorecard, or the exit code after its diagnostics were printed.
pub fn load_scorecard(path: &Path) -> Result<(Model, SourceMap), Exit> {
    load_scorecard_denying(path, None)
}

/// A checked scorecard; its warnings are summed up on one line of standard
/// error, or, under `--deny warnings`, printed and stop the command.
pub fn load_scorecard_denying(
    path: &Path,
    deny: Option<super::Deny>,
) -> Result<(Model, SourceMap), Exit> {
    let mut sources = SourceMap::new();
    let checked = match check_path(path, &mut sources) {
        Ok(c) => c,
        Err(e) => return Err(super::fail(&e.to_string())),
    };
    let denied = deny == Some(super::Deny::Warnings) && !checked.diagnostics.is_empty();
    if checked.diagnostics.has_errors() || denied {
        let items: Vec<_> = checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error() || denied)
            .cloned()
            .collect();
        let style = HumanStyle {
            color: super::stderr_color(),
            width: 100,
        };
        eprint!("{}", diag_render::human(&items, &sources, style));
        if checked.diagnostics.has_errors() {
            eprintln!(
                "error: `{}` has errors; fix them before scoring",
                path.display()
            );
        } else {
            eprintln!(
                "error: `{}` has warnings and `--deny warnings` was given",
                path.display()
            );
        }
        return Err(Exit::Findings);
    }
    if let Some(line) = super::check::warnings_summary(path, &checked.diagnostics) {
        eprint!("{line}");
    }
    match checked.model {
        Some(m) => Ok((m, sources)),
        None => Err(super::fail("the scorecard could not be read")),
    }
}

impl DataArgs {
    pub fn format(&self) -> DataFormat {
        match self.data_format {
            Some(DataFormatArg::Csv) => DataFormat::Csv,
            Some(DataFormatArg::Json) => DataFormat::Json,
            Some(DataFormatArg::Ndjson) => DataFormat::Ndjson,
            None => DataFormat::from_path(&self.data),
        }
    }

    /// Load the data under the contract; problems are printed, counts go to stderr.
    pub fn load(&self, model: &Model, needed: &[bool]) -> Result<Loaded, Exit> {
        let policy = match self.on_invalid {
            OnInvalidArg::Fail => OnInvalid::Fail,
            OnInvalidArg::Skip => OnInvalid::Skip,
        };
        if self.rejects.is_some() && policy == OnInvalid::Fail {
            return Err(super::fail("`--rejects` goes with `--on-invalid skip`"));
        }
        let name = self.data.display().to_string();
        let loaded = match load::load(&self.data, self.format(), model, needed, policy) {
            Ok(l) => l,
            Err(load::LoadError::Io(e)) => {
                return Err(super::fail(&format!("cannot read `{name}`: {e}")));
            }
            Err(load::LoadError::Invalid(problems, total)) => {
                eprint!("{}", load::render(&problems, &name));
                eprintln!(
                    "error: `{name}` has {total} problem{}; nothing was scored (use `--on-invalid skip` to score the valid rows)",
                    if total == 1 { "" } else { "s" }
                );
                return Err(Exit::Findings);
            }
        };
        if let Some(path) = &self.rejects {
            let text = load::render_rejects(&loaded.rejected);
            if let Err(e) = write_atomically(path, text.as_bytes()) {
                return Err(super::fail(&format!(
                    "cannot write `{}`: {e}",
                    path.display()
                )));
            }
        } else if !loaded.rejected.is_empty() {
            let problems: Vec<_> = loaded
                .rejected
                .iter()
                .flat_map(|r| r.problems.iter().cloned())
                .collect();
            eprint!("{}", load::render(&problems, &name));
        }
        Ok(loaded)
    }
}

fn selection(args: &ScoreArgs) -> Selection {
    Selection {
        period: match args.period.as_str() {
            "latest" => PeriodChoice::Latest,
            "all" => PeriodChoice::All,
            label => PeriodChoice::Label(label.to_string()),
        },
        partner: args.partner.clone(),
    }
}

/// Columns for `--with-metrics`: each metric's value and points.
pub fn metric_columns(model: &Model) -> Vec<OutputColumn> {
    let mut out = Vec::new();
    for (i, m) in model.metrics.iter().enumerate() {
        let id = crate::model::MetricId(i as u32);
        out.push(OutputColumn {
            name: m.name.clone(),
            expr: CExpr::MetricValue(id),
            ty: m.value.ty,
            decimals: crate::model::DEFAULT_DECIMALS,
            if_missing: None,
            if_empty: None,
        });
        out.push(OutputColumn {
            name: format!("{}_points", m.name),
            expr: CExpr::Points(id),
            ty: Type::Number,
            decimals: crate::model::DEFAULT_DECIMALS,
            if_missing: None,
            if_empty: None,
        });
    }
    let _ = ScoreStage::Reported;
    out
}

pub fn run(args: &ScoreArgs) -> Exit {
    timing("start");
    let (model, _sources) = match load_scorecard_denying(&args.scorecard, args.deny) {
        Ok(m) => m,
        Err(e) => return e,
    };
    let mut plan: Plan = crate::plan::compile(&model);
    if args.with_metrics {
        plan.outputs.extend(metric_columns(&model));
    }
    let loaded = match args.data.load(&model, &plan.needed_columns) {
        Ok(l) => l,
        Err(e) => return e,
    };
    timing("loaded");
    if std::env::var_os("SCORECARD_TIMING").is_some() {
        eprintln!("table: {} KiB", loaded.table.heap_bytes() / 1024);
    }
    let format = args
        .format
        .unwrap_or(if args.out.is_none() && std::io::stdout().is_terminal() {
            OutputFormat::Table
        } else {
            OutputFormat::Csv
        });
    let selection = selection(args);
    let ordered = eval::order_rows(&model, &loaded.table);
    timing("ordered");
    let mut ctx = Context::new(&model, &plan, &loaded.table, &ordered);
    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => match AtomicFile::create(path) {
            Ok(f) => Box::new(f),
            Err(e) => return super::fail(&format!("cannot write `{}`: {e}", path.display())),
        },
        None => Box::new(std::io::BufWriter::with_capacity(
            1 << 20,
            std::io::stdout().lock(),
        )),
    };
    let mut reported = 0usize;
    let mut failed: Option<std::io::Error> = None;
    let mut progress = Progress::new(eval::batch_bounds(&ordered).len());
    let mut write = |bytes: &[u8], out: &mut Box<dyn Write>| {
        if failed.is_none() {
            if let Err(e) = out.write_all(bytes) {
                failed = Some(e);
            }
        }
    };
    match format {
        OutputFormat::Csv => {
            write(render::csv::header(&plan).as_bytes(), &mut out);
            eval::evaluate(
                &mut ctx,
                |batch| render::csv::rows_with(batch, &selection, !args.no_escape_formulas),
                |(text, n)| {
                    reported += n;
                    progress.step();
                    write(text.as_bytes(), &mut out);
                },
            );
        }
        OutputFormat::Ndjson | OutputFormat::Json => {
            let json = format == OutputFormat::Json;
            if json {
                write(render::json::document_start(&model).as_bytes(), &mut out);
            }
            let mut first = true;
            eval::evaluate(
                &mut ctx,
                |batch| render::json::rows(batch, &selection),
                |(lines, n)| {
                    reported += n;
                    progress.step();
                    for line in lines {
                        if json {
                            write(if first { b"\n    " } else { b",\n    " }, &mut out);
                        }
                        first = false;
                        write(line.as_bytes(), &mut out);
                        if !json {
                            write(b"\n", &mut out);
                        }
                    }
                },
            );
            if json {
                write(render::json::document_end(first).as_bytes(), &mut out);
            }
        }
        OutputFormat::Table => {
            let mut rows: Vec<Vec<String>> = Vec::new();
            eval::evaluate(
                &mut ctx,
                |batch| render::table::rows(batch, &selection),
                |r| rows.extend(r),
            );
            reported = rows.len();
            write(render::table::render(&plan, &rows).as_bytes(), &mut out);
        }
    }
    progress.finish();
    timing("scored");
    if crate::interrupt::requested() {
        // Dropping the unfinished file removes it: the previous output stays.
        drop(out);
        eprintln!("interrupted: no output file was written");
        return Exit::Interrupted;
    }
    if let Some(e) = failed {
        return super::fail(&format!("cannot write the results: {e}"));
    }
    if let Err(e) = out.flush() {
        return super::fail(&format!("cannot write the results: {e}"));
    }
    drop(out);
    let rejected = loaded.rejected.len();
    eprintln!(
        "read {} row{}, scored {}, rejected {}; reported {} row{}",
        loaded.read,
        if loaded.read == 1 { "" } else { "s" },
        loaded.read - rejected,
        rejected,
        reported,
        if reported == 1 { "" } else { "s" },
    );
    Exit::Clean
}

/// A file written under a temporary name and renamed into place when complete,
/// so an interrupted run leaves the previous file or none, never half a file.
pub struct AtomicFile {
    temp: PathBuf,
    target: PathBuf,
    file: Option<std::io::BufWriter<std::fs::File>>,
}

impl AtomicFile {
    pub fn create(target: &Path) -> std::io::Result<AtomicFile> {
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = target
            .file_name()
            .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
        let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let file = std::fs::File::create(&temp)?;
        Ok(AtomicFile {
            temp,
            target: target.to_path_buf(),
            file: Some(std::io::BufWriter::with_capacity(1 << 20, file)),
        })
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.file {
            Some(f) => f.write(buf),
            None => Err(std::io::Error::other("already closed")),
        }
    }

    /// Flushing completes the file: it is synced and renamed into place.
    fn flush(&mut self) -> std::io::Result<()> {
        if let Some(mut f) = self.file.take() {
            f.flush()?;
            let file = f.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            std::fs::rename(&self.temp, &self.target)?;
        }
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        // Not completed: leave the previous file as it was.
        if self.file.is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Write a whole file atomically.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes)?;
    f.flush()
}

/// A progress bar on standard error, shown only on a terminal and only once a
/// run has taken about a second.
struct Progress {
    total: usize,
    done: usize,
    started: std::time::Instant,
    bar: Option<indicatif::ProgressBar>,
    terminal: bool,
}

impl Progress {
    fn new(total: usize) -> Self {
        Progress {
            total,
            done: 0,
            started: std::time::Instant::now(),
            bar: None,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    fn step(&mut self) {
        self.done += 1;
        if self.bar.is_none()
            && self.terminal
            && self.started.elapsed() >= std::time::Duration::from_secs(1)
        {
            let bar =
                indicatif::ProgressBar::new(self.total as u64).with_elapsed(self.started.elapsed());
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("scoring {bar:40} {percent:>3}%  {elapsed}")
            {
                bar.set_style(style);
            }
            self.bar = Some(bar);
        }
        if let Some(bar) = &self.bar {
            bar.set_position(self.done as u64);
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// With `SCORECARD_TIMING` set: the peak memory so far, for the benchmark notes.
fn timing(stage: &str) {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let start = START.get_or_init(std::time::Instant::now);
    if std::env::var_os("SCORECARD_TIMING").is_none() {
        return;
    }
    eprintln!(
        "{stage}: {:?} since start, {}",
        start.elapsed(),
        eval::resident()
    );
}
