//! `scorecard diff OLD NEW --data FILE`: what a rule change does to real partners.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::Exit;
use super::govern::GovernArgs;
use super::score::{DataArgs, load_scorecard, load_scorecard_denying};
use crate::diff::{self, report};
use crate::eval::{PeriodChoice, Selection};
use crate::govern::notes::Touched;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Table,
    /// For pasting into a pull request.
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The scorecard before the change.
    pub old: PathBuf,
    /// The scorecard after the change.
    pub new: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    #[arg(long, value_enum, default_value_t = DiffFormat::Table)]
    pub format: DiffFormat,
    /// Which rows to compare: `latest`, `all`, or a period label.
    #[arg(long, default_value = "latest", value_name = "PERIOD")]
    pub period: String,
    /// Exit 1 when anything changed (the report is printed either way).
    #[arg(long)]
    pub fail_on_change: bool,
    /// Stop (exit 1) when the new scorecard has warnings, printing them.
    #[arg(long, value_enum)]
    pub deny: Option<super::Deny>,
    #[command(flatten)]
    pub govern: super::govern::GovernArgs,
}

fn label(model: &crate::model::Model, path: &std::path::Path) -> String {
    match (&model.name, &model.version) {
        (Some(n), Some(v)) => format!("{n} {v}"),
        (Some(n), None) => n.clone(),
        _ => path.display().to_string(),
    }
}

pub fn run(args: &DiffArgs) -> Exit {
    let (old, old_sources) = match load_scorecard(&args.old) {
        Ok(m) => m,
        Err(e) => return e,
    };
    let (new, new_sources) = match load_scorecard_denying(&args.new, args.deny) {
        Ok(m) => m,
        Err(e) => return e,
    };
    if let Err(e) = args.data.check_outputs(&[&old_sources, &new_sources], None) {
        return e;
    }
    let mut old_label = label(&old, &args.old);
    let new_label = label(&new, &args.new);
    if old_label == new_label {
        old_label = args.old.display().to_string();
    }
    if args.govern.audit.is_some() {
        return super::fail(
            "`--audit` goes with `score` and `explain`, which apply the files once",
        );
    }
    if let Err(e) = args.govern.check_outputs(&args.data.data, None) {
        return e;
    }
    let labels = (old_label, new_label);
    let (report, touched) =
        match compare(&old, &new, labels, &args.data, &args.govern, &args.period) {
            Ok(r) => r,
            Err(e) => return e,
        };
    print_report(&report, &touched, args.format);
    if args.fail_on_change && report.changed() {
        Exit::Findings
    } else {
        Exit::Clean
    }
}

/// Score the data with both scorecards and compare them (`period`: `latest`,
/// `all` or a label), each run with the corrections and overrides of
/// `govern` applied under its own scorecard's policy; also returns the
/// partners those touched in the new run.
pub fn compare(
    old: &crate::model::Model,
    new: &crate::model::Model,
    (old_label, new_label): (String, String),
    data: &DataArgs,
    govern: &GovernArgs,
    period: &str,
) -> Result<(report::Report, Touched), Exit> {
    let selection = Selection {
        period: match period {
            "latest" => PeriodChoice::Latest,
            "all" => PeriodChoice::All,
            p => PeriodChoice::Label(p.to_string()),
        },
        partner: None,
    };
    let mut scored = Vec::new();
    let mut touched = Vec::new();
    for model in [old, new] {
        let plan = crate::plan::compile(model);
        let (pending, needed) = govern.read(model, &plan.needed_columns)?;
        let mut loaded = data.load(model, &needed)?;
        let (mut gov, mut hashes) = govern.apply(model, &mut loaded.table, pending);
        {
            let ordered = crate::eval::order_rows(model, &loaded.table);
            let mut ctx = crate::eval::Context::new(model, &plan, &loaded.table, &ordered);
            govern.settle(&mut ctx, &mut gov, &mut hashes)?;
        }
        if let Err(e) = super::score::check_selection(model, &loaded.table, &selection) {
            return Err(super::fail(&e));
        }
        let mut rows = diff::score_rows_overridden(
            model,
            &loaded.table,
            &selection,
            &crate::govern::tier_overrides(&gov),
        );
        crate::govern::notes::override_tiers(model, &loaded.table, &gov, &mut rows);
        touched.push(crate::govern::notes::touched(
            model,
            &loaded.table,
            &gov,
            &rows,
        ));
        scored.push(rows);
    }
    let touched = touched.pop().unwrap_or_default();
    let (Some(before), Some(after)) = (scored.first(), scored.get(1)) else {
        return Err(super::fail("nothing was scored"));
    };
    let report = report::compare(
        old_label,
        new_label,
        before,
        after,
        &diff::tier_orders(old),
        &diff::tier_orders(new),
        diff::rule_changes(old, new),
    );
    Ok((report, touched))
}

/// Print a comparison in the format asked for.
pub fn print_report(report: &report::Report, touched: &Touched, format: DiffFormat) {
    let text = match format {
        // Partner ids, labels and names come from the data and the scorecards.
        DiffFormat::Table => {
            let text = report::text(report, false) + &touched.text(false);
            crate::escape::terminal_lines(&text).into_owned()
        }
        DiffFormat::Markdown => {
            let text = report::text(report, true) + &touched.text(true);
            crate::escape::terminal_lines(&text).into_owned()
        }
        DiffFormat::Json => {
            let mut value = serde_json::to_value(report).unwrap_or_default();
            if let (Some(map), false) = (value.as_object_mut(), touched.is_empty()) {
                map.insert("governance".to_string(), touched.json());
            }
            serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
        }
    };
    super::print(&text);
}
