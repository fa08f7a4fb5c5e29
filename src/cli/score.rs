//! `scorecard score SCORECARD --data FILE`: score partner data.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::Exit;
use super::output::{AtomicFile, write_atomically};
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
    /// An Excel workbook (with `--out FILE.xlsx`): the rows, and a sheet naming the run.
    Xlsx,
    /// A Parquet file (with `--out FILE.parquet`): typed columns, the run in its metadata.
    Parquet,
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
    /// The partner data: CSV, JSON (an array of objects), NDJSON, a
    /// workbook (.xlsx, .xlsb, .xls, .ods) or Parquet; `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// The sheet of a workbook to read (default: the first).
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
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
    /// Output format (default: what the `--out` file's extension says; else a
    /// table on a terminal, CSV otherwise).
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
    /// After the run, print on standard error the reported rows per tier and
    /// per segment, the provisional rows, and how often each action and flag fired.
    #[arg(long)]
    pub summary: bool,
    #[command(flatten)]
    pub govern: super::govern::GovernArgs,
    /// Add each tiered score's `<score>_benefits` and `<score>_obligations`:
    /// those of the reported tier (an override's, where one applies).
    #[arg(long)]
    pub with_benefits: bool,
}

/// The formats `--out` can write, by extension.
const OUT_EXTENSIONS: &str = "`.csv` (csv), `.json` (json), `.ndjson` or `.jsonl` (ndjson), `.txt` (table), `.xlsx` (xlsx), `.parquet` (parquet)";

/// The output format: `--format` when given, else what the `--out` file's
/// extension says (a file without one gets CSV), else a table on a terminal
/// and CSV otherwise. An extension that contradicts `--format`, or that names
/// no format this tool writes, is refused.
pub fn output_format(
    flag: Option<OutputFormat>,
    out: Option<&Path>,
) -> Result<OutputFormat, String> {
    let Some(path) = out else {
        if flag == Some(OutputFormat::Xlsx) {
            return Err("a workbook is written to a file: give `--out results.xlsx`".into());
        }
        if flag == Some(OutputFormat::Parquet) {
            return Err("a Parquet file is written to a file: give `--out results.parquet`".into());
        }
        return Ok(flag.unwrap_or(if std::io::stdout().is_terminal() {
            OutputFormat::Table
        } else {
            OutputFormat::Csv
        }));
    };
    let Some(extension) = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
    else {
        return Ok(flag.unwrap_or(OutputFormat::Csv));
    };
    let implied = match extension.as_str() {
        "csv" => OutputFormat::Csv,
        "json" => OutputFormat::Json,
        "ndjson" | "jsonl" => OutputFormat::Ndjson,
        "txt" => OutputFormat::Table,
        "xlsx" => OutputFormat::Xlsx,
        "parquet" | "parq" | "pq" => OutputFormat::Parquet,
        "xlsm" | "xls" | "ods" | "tsv" => {
            return Err(format!(
                "`{}`: `.{extension}` files cannot be written yet; write one of {OUT_EXTENSIONS}",
                path.display()
            ));
        }
        _ => {
            return flag.ok_or_else(|| {
                format!(
                    "`{}`: the extension `.{extension}` names no output format; use one of {OUT_EXTENSIONS}, or give `--format`",
                    path.display()
                )
            });
        }
    };
    match flag {
        Some(f) if f != implied => Err(format!(
            "`--format {}` contradicts the extension of `{}`, which means {}",
            format_name(f),
            path.display(),
            format_name(implied)
        )),
        _ => Ok(implied),
    }
}

fn format_name(format: OutputFormat) -> &'static str {
    match format {
        OutputFormat::Table => "table",
        OutputFormat::Csv => "csv",
        OutputFormat::Json => "json",
        OutputFormat::Ndjson => "ndjson",
        OutputFormat::Xlsx => "xlsx",
        OutputFormat::Parquet => "parquet",
    }
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

    /// Refuse a run whose `--rejects` or `--out` would overwrite an input
    /// (the data, a scorecard or a file it imports) or the other output.
    pub fn check_outputs(&self, sources: &[&SourceMap], out: Option<&Path>) -> Result<(), Exit> {
        let mut inputs: Vec<(&str, &Path)> = vec![("the data", &self.data)];
        for map in sources {
            inputs.extend(super::output::source_files(map));
        }
        let mut outputs: Vec<(&str, &Path)> = Vec::new();
        if let Some(path) = out {
            outputs.push(("--out", path));
        }
        if let Some(path) = &self.rejects {
            let extension = path
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase());
            if extension.as_deref().is_some_and(|e| e != "csv") {
                return Err(super::fail(&format!(
                    "`--rejects {}`: rejected rows are written as CSV; name the file `….csv`",
                    path.display()
                )));
            }
            outputs.push(("--rejects", path));
        }
        super::output::check_distinct(&inputs, &outputs).map_err(|e| super::fail(&e))
    }

    /// Load the data (the `--sheet` of a workbook) under the contract.
    pub fn load_under(
        &self,
        model: &Model,
        needed: &[bool],
        policy: OnInvalid,
    ) -> Result<Loaded, load::LoadError> {
        let workbook = self.data != Path::new("-") && crate::data::excel::is_workbook(&self.data);
        match &self.sheet {
            _ if workbook => {
                load::load_sheet(&self.data, self.sheet.as_deref(), model, needed, policy)
            }
            Some(_) => Err(load::LoadError::Io(std::io::Error::other(
                "`--sheet` chooses a sheet of a workbook (.xlsx, .xlsb, .xls, .ods), and this file is not one",
            ))),
            None => load::load(&self.data, self.format(), model, needed, policy),
        }
    }

    /// Load the data under the contract; problems are printed, counts go to stderr.
    pub fn load(&self, model: &Model, needed: &[bool]) -> Result<Loaded, Exit> {
        self.load_keeping(model, needed, None, false)
            .map(|(loaded, _)| loaded)
    }

    /// Whether the data is a CSV file that can be read again by offset.
    fn rereadable(&self) -> bool {
        self.data != Path::new("-")
            && self.sheet.is_none()
            && self.format() == DataFormat::Csv
            && std::fs::metadata(&self.data).is_ok_and(|m| m.is_file())
            && !crate::data::parquet::is_parquet(&self.data)
            && !crate::data::excel::is_workbook(&self.data)
    }

    /// [`DataArgs::load`]; with `Some(kept)`, a CSV file keeps only the
    /// columns `kept` (and `needed`), and comes with what reads the others
    /// it needs again (see `load::Reread`); those not kept are checked then,
    /// when the results can be thrown away if one is found invalid
    /// (`discardable`), and otherwise the first time.
    pub fn load_keeping(
        &self,
        model: &Model,
        needed: &[bool],
        split: Option<&[bool]>,
        discardable: bool,
    ) -> Result<(Loaded, Option<load::Reread>), Exit> {
        if let Err(e) = super::output::regular_input(&self.data) {
            return Err(super::fail(&e));
        }
        let policy = match self.on_invalid {
            OnInvalidArg::Fail => OnInvalid::Fail,
            OnInvalidArg::Skip => OnInvalid::Skip,
        };
        if self.rejects.is_some() && policy == OnInvalid::Fail {
            return Err(super::fail("`--rejects` goes with `--on-invalid skip`"));
        }
        let name = self.data.display().to_string();
        let result = match split.filter(|_| self.rereadable()) {
            Some(kept) => {
                let mark = |f: &dyn Fn(usize, bool) -> bool| -> Vec<bool> {
                    needed.iter().enumerate().map(|(i, n)| f(i, *n)).collect()
                };
                let at = |v: &[bool], i: usize| v.get(i).copied().unwrap_or(false);
                let keep = mark(&|i, n| n && at(kept, i));
                let again = mark(&|i, n| n && !at(kept, i));
                // A later value found invalid can stop the run only when its
                // results can be thrown away; rows left out under `skip`
                // must be known before anything is computed.
                let check_late = policy == OnInvalid::Skip || !discardable;
                // Then every column not kept, the contract's unused ones
                // too, is checked only when read again (the sites' inputs
                // before the last pass, everything else in it: every row is
                // read again), and the first reading passes over the fields
                // after the last one it keeps.
                let unchecked = mark(&|i, _| !check_late && !at(kept, i));
                load::load_for_reread(&self.data, model, &keep, &again, &unchecked, policy)
                    .map(|(loaded, reread)| (loaded, Some(reread)))
            }
            None => self
                .load_under(model, needed, policy)
                .map(|loaded| (loaded, None)),
        };
        let (loaded, reread) = match result {
            Ok(l) => l,
            Err(load::LoadError::Io(e)) => {
                return Err(super::fail(&format!("cannot read `{name}`: {e}")));
            }
            Err(e @ load::LoadError::Invalid(..)) => {
                // Leaving rows out helps only when rows are the problem, and
                // only when they are not already left out.
                let hint = if policy == OnInvalid::Fail && e.rows_only() {
                    " (use `--on-invalid skip` to score the valid rows)"
                } else {
                    ""
                };
                if let load::LoadError::Invalid(problems, total) = e {
                    eprint!("{}", load::render(&problems, &name));
                    eprintln!(
                        "error: `{name}` has {total} problem{}; nothing was scored{hint}",
                        if total == 1 { "" } else { "s" }
                    );
                }
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
        Ok((loaded, reread))
    }
}

/// Refuse a `--partner` or `--period` that no row of the data has, with a
/// "did you mean" (a filter that matches nothing is a mistake, not a result).
pub fn check_selection(
    model: &Model,
    table: &crate::data::table::Table,
    selection: &Selection,
) -> Result<(), String> {
    use crate::data::table::Column;
    let text =
        |id: Option<crate::model::ColumnId>| match id.and_then(|c| table.columns.get(c.index())) {
            Some(Column::Text(t)) => Some(t),
            _ => None,
        };
    let keys = text(model.contract.key);
    let periods = text(model.contract.period);
    let belongs = |r: usize, partner: Option<&str>| {
        partner.is_none_or(|p| keys.is_some_and(|k| k.get(r) == p))
    };
    if let (Some(partner), Some(keys)) = (&selection.partner, keys) {
        if !(0..table.rows).any(|r| belongs(r, Some(partner))) {
            let known: indexmap::IndexSet<&str> = (0..table.rows).map(|r| keys.get(r)).collect();
            let help = match crate::diag::fuzzy::closest(partner, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "check the partner id; the data has {} partner{}",
                    known.len(),
                    if known.len() == 1 { "" } else { "s" }
                ),
            };
            return Err(format!(
                "no partner `{partner}` in the data\n  help: {help}"
            ));
        }
    }
    let PeriodChoice::Label(period) = &selection.period else {
        return Ok(());
    };
    let Some(periods) = periods else {
        return Err(format!(
            "`--period {period}`: the scorecard declares no period column\n  help: use `--period latest` or `--period all`"
        ));
    };
    let of = |partner: Option<&str>| -> indexmap::IndexSet<&str> {
        let mut found: Vec<&str> = (0..table.rows)
            .filter(|&r| belongs(r, partner))
            .map(|r| periods.get(r))
            .collect();
        found.sort_unstable();
        found.into_iter().collect()
    };
    if of(None).contains(period.as_str()) {
        if let Some(partner) = &selection.partner {
            let theirs = of(Some(partner.as_str()));
            if !theirs.contains(period.as_str()) {
                let list: Vec<&str> = theirs.iter().copied().collect();
                return Err(format!(
                    "partner `{partner}` has no row for period `{period}`\n  help: its periods are {}",
                    list.join(", ")
                ));
            }
        }
        return Ok(());
    }
    let all = of(None);
    let help = match crate::diag::fuzzy::closest(period, all.iter().copied()) {
        Some(s) => format!("did you mean `{s}`? (or `latest`, `all`)"),
        None => {
            let shown: Vec<&str> = all.iter().copied().take(12).collect();
            format!(
                "the data's periods are {}{}; or use `latest` or `all`",
                shown.join(", "),
                if all.len() > shown.len() { ", …" } else { "" }
            )
        }
    };
    Err(format!("no period `{period}` in the data\n  help: {help}"))
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
    let format = match output_format(args.format, args.out.as_deref()) {
        Ok(f) => f,
        Err(e) => return super::fail(&e),
    };
    let (model, sources) = match load_scorecard_denying(&args.scorecard, args.deny) {
        Ok(m) => m,
        Err(e) => return e,
    };
    if let Err(e) = args.data.check_outputs(&[&sources], args.out.as_deref()) {
        return e;
    }
    let mut plan: Plan = crate::plan::compile(&model);
    if args.with_metrics {
        plan.outputs.extend(metric_columns(&model));
    }
    if let Err(e) = args
        .govern
        .check_outputs(&args.data.data, args.out.as_deref())
    {
        return e;
    }
    let (pending, needed) = match args.govern.read(&model, &plan.needed_columns) {
        Ok(p) => p,
        Err(e) => return e,
    };
    // Corrections change values of the table: those are all kept.
    let governed = args.govern.corrections.is_some() || args.govern.overrides.is_some();
    let split = (!governed && reread_wanted(&args.data.data)).then(|| {
        let mut kept = eval::group_columns(&model, &plan);
        for c in [model.contract.key, model.contract.period]
            .into_iter()
            .flatten()
        {
            if let Some(slot) = kept.get_mut(c.index()) {
                *slot = true;
            }
        }
        kept
    });
    // Results written to a file are thrown away when a run fails.
    let discardable = args.out.is_some();
    let (mut loaded, reread) =
        match args
            .data
            .load_keeping(&model, &needed, split.as_deref(), discardable)
        {
            Ok(l) => l,
            Err(e) => return e,
        };
    let (mut gov, mut hashes) = args.govern.apply(&model, &mut loaded.table, pending);
    gov.with_benefits = args.with_benefits;
    timing("loaded");
    if std::env::var_os("SCORECARD_TIMING").is_some() {
        eprintln!("table: {} KiB", loaded.table.heap_bytes() / 1024);
    }
    let selection = selection(args);
    if let Err(e) = check_selection(&model, &loaded.table, &selection) {
        return super::fail(&e);
    }
    let ordered = eval::order_rows(&model, &loaded.table);
    timing("ordered");
    let mut reread = reread;
    if let Some(reread) = reread.as_mut() {
        // Once the rows are ordered, the key and period (the largest columns
        // kept) are read again with the late columns, unless the selection
        // compares rows with them.
        let selects =
            selection.partner.is_some() || matches!(selection.period, PeriodChoice::Label(_));
        if !selects {
            for c in [model.contract.key, model.contract.period]
                .into_iter()
                .flatten()
            {
                reread.also_read(c.index());
                if let Some(column) = loaded.table.columns.get_mut(c.index()) {
                    *column = crate::data::table::Column::Skipped;
                }
            }
        }
    }
    let mut ctx = Context::new(&model, &plan, &loaded.table, &ordered);
    ctx.reread = reread.as_ref();
    if let Err(e) = args.govern.settle(&mut ctx, &mut gov, &mut hashes) {
        return e;
    }
    // Rules, flags, `tier(score)` and `--summary` see the reported tier.
    ctx.tier_overrides = crate::govern::tier_overrides(&gov);
    let gov = (!gov.is_empty()).then_some(&gov);
    let extra = gov.map_or_else(Vec::new, |g| crate::govern::notes::columns(&model, g));
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
    // Text from the data reaches a terminal only with its control characters
    // escaped; files and pipes get the bytes as they are.
    let to_terminal = args.out.is_none() && std::io::stdout().is_terminal();
    let mut write = |bytes: &[u8], out: &mut Box<dyn Write>| {
        if failed.is_none() {
            let result = if to_terminal {
                let text = String::from_utf8_lossy(bytes);
                out.write_all(crate::escape::terminal_lines(&text).as_bytes())
            } else {
                out.write_all(bytes)
            };
            if let Err(e) = result {
                failed = Some(e);
            }
        }
    };
    match format {
        OutputFormat::Csv => {
            write(
                render::csv::header_governed(&plan, !args.no_escape_formulas, &extra).as_bytes(),
                &mut out,
            );
            eval::evaluate(
                &mut ctx,
                |batch| {
                    render::csv::rows_governed(batch, &selection, !args.no_escape_formulas, gov)
                },
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
                |batch| render::json::rows_governed(batch, &selection, gov),
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
        OutputFormat::Xlsx | OutputFormat::Parquet => {
            let mut csv = render::csv::header_governed(&plan, false, &extra);
            eval::evaluate(
                &mut ctx,
                |batch| render::csv::rows_governed(batch, &selection, false, gov),
                |(text, n)| {
                    reported += n;
                    progress.step();
                    csv.push_str(&text);
                },
            );
            let time = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let run = render::xlsx::Run {
                model: &model,
                data: &args.data.data.display().to_string(),
                time,
            };
            let (bytes, what) = if format == OutputFormat::Parquet {
                (render::parquet::file(&plan, &csv, &run), "Parquet file")
            } else {
                (render::xlsx::workbook(&plan, &csv, &run), "workbook")
            };
            match bytes {
                Ok(bytes) => write(&bytes, &mut out),
                Err(e) => return super::fail(&format!("cannot write the {what}: {e}")),
            }
        }
        OutputFormat::Table => {
            let mut rows: Vec<Vec<String>> = Vec::new();
            eval::evaluate(
                &mut ctx,
                |batch| render::table::rows_governed(batch, &selection, gov),
                |r| rows.extend(r),
            );
            reported = rows.len();
            let width = if args.out.is_none() {
                terminal_width()
            } else {
                None
            };
            write(
                render::table::render_governed(&plan, &rows, width, &extra).as_bytes(),
                &mut out,
            );
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
    let unchanged = match (ctx.failure.get(), &reread) {
        (Some(e), _) => Err(e.clone()),
        (None, Some(r)) => r.unchanged(),
        (None, None) => Ok(()),
    };
    if let Err(e) = unchanged {
        // Dropping the unfinished file removes it: the previous output stays.
        drop(out);
        if e == load::Failure::Invalid {
            // Found while reading again: loaded whole, the data's problems
            // are reported as always.
            if let Err(exit) = args.data.load(&model, &needed) {
                return exit;
            }
            return super::fail(&format!(
                "`{}` changed while it was scored; nothing was written: score it again once it is complete",
                args.data.data.display()
            ));
        }
        return super::fail(&e.to_string());
    }
    if let Err(e) = out.flush() {
        return super::fail(&format!("cannot write the results: {e}"));
    }
    drop(out);
    if let Some(g) = gov {
        if let Err(e) = args
            .govern
            .write_audit(&model, &loaded.table, g, &args.data.data, hashes)
        {
            return e;
        }
        eprint!("{}", crate::govern::notes::summary(g));
    }
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
    if args.summary {
        let overrides = gov.map(crate::govern::tier_overrides).unwrap_or_default();
        let summary = crate::summary::summarize(
            &model,
            &plan,
            &loaded.table,
            &ordered,
            &selection,
            &overrides,
            reread.as_ref(),
        );
        match summary {
            Ok(summary) => eprint!("{}", summary.text()),
            Err(e) => return super::fail(&e.to_string()),
        }
    }
    Exit::Clean
}

/// A CSV file larger than this is read again for the columns not needed
/// before the last pass, rather than kept whole in memory.
const REREAD_BYTES: u64 = 256 << 20;

/// Whether the CSV file at `data` is loaded keeping only the columns needed
/// before the last pass, and read again for the others: when it is larger
/// than [`REREAD_BYTES`]; `SCORECARD_REREAD=0` keeps every column, `1`
/// always reads again.
fn reread_wanted(data: &Path) -> bool {
    match std::env::var("SCORECARD_REREAD").as_deref() {
        Ok("0") => false,
        Ok("1") => true,
        _ => std::fs::metadata(data).is_ok_and(|m| m.len() > REREAD_BYTES),
    }
}

/// The width of the terminal standard output goes to (`COLUMNS` when set),
/// or `None` when it is not a terminal.
fn terminal_width() -> Option<u16> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok());
    columns.or_else(|| terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| w.0))
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
