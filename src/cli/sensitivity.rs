//! `scorecard sensitivity SCORECARD --data FILE`: which weights and tier
//! thresholds the tiers are fragile to, and the partners near a boundary.

use std::path::PathBuf;

use clap::Args;

use super::Exit;
use super::diff::DiffFormat;
use super::score::{DataArgs, load_scorecard};
use crate::decide::sensitivity::{self, Options, Report, Shift};
use crate::eval::{PeriodChoice, Selection};
use crate::model::format_number;

#[derive(Debug, Args)]
pub struct SensitivityArgs {
    /// The scorecard.
    pub scorecard: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Only these parameters (paths as `whatif --list-parameters` prints them; comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "PATH")]
    pub parameters: Vec<String>,
    /// How far each weight moves down and up, in weight points (the block's other weights are renormalised).
    #[arg(long, default_value_t = 5.0, value_name = "K")]
    pub weight_step: f64,
    /// How far each tier threshold moves down and up, in score points.
    #[arg(long, default_value_t = 2.0, value_name = "K")]
    pub threshold_step: f64,
    /// List the partners whose score is within this distance of a tier threshold.
    #[arg(long, default_value_t = 1.0, value_name = "E")]
    pub epsilon: f64,
    /// Which rows: `latest` (each partner's latest period), `all`, or a period label.
    #[arg(long, default_value = "latest", value_name = "PERIOD")]
    pub period: String,
    #[arg(long, value_enum, default_value_t = DiffFormat::Table)]
    pub format: DiffFormat,
}

pub fn run(args: &SensitivityArgs) -> Exit {
    for (flag, v) in [
        ("--weight-step", args.weight_step),
        ("--threshold-step", args.threshold_step),
        ("--epsilon", args.epsilon),
    ] {
        if !v.is_finite() || v < 0.0 || (v == 0.0 && flag != "--epsilon") {
            return super::fail(&format!("`{flag}` must be a positive number, not {v}"));
        }
    }
    let (model, sources) = match load_scorecard(&args.scorecard) {
        Ok(m) => m,
        Err(e) => return e,
    };
    if let Err(e) = args.data.check_outputs(&[&sources], None) {
        return e;
    }
    let plan = crate::plan::compile(&model);
    let loaded = match args.data.load(&model, &plan.needed_columns) {
        Ok(l) => l,
        Err(e) => return e,
    };
    let selection = Selection {
        period: match args.period.as_str() {
            "latest" => PeriodChoice::Latest,
            "all" => PeriodChoice::All,
            p => PeriodChoice::Label(p.to_string()),
        },
        partner: None,
    };
    if let Err(e) = super::score::check_selection(&model, &loaded.table, &selection) {
        return super::fail(&e);
    }
    let options = Options {
        weight_step: args.weight_step,
        threshold_step: args.threshold_step,
        epsilon: args.epsilon,
        only: (!args.parameters.is_empty()).then(|| args.parameters.clone()),
    };
    let report = match sensitivity::analyse(&model, &loaded.table, &selection, &options) {
        Ok(r) => r,
        Err(e) => return super::fail(&e),
    };
    let text = match args.format {
        DiffFormat::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
        DiffFormat::Markdown => text(&report, true),
        DiffFormat::Table => text(&report, false),
    };
    super::print(&crate::escape::terminal_lines(&text));
    Exit::Clean
}

fn shift(s: &Shift) -> String {
    match (&s.to, &s.skipped) {
        (Some(to), _) => format!(
            "→ {}: {} ({}↑ {}↓)",
            format_number((to * 100.0).round() / 100.0),
            s.changed,
            s.up,
            s.down
        ),
        (None, Some(why)) => format!("— ({why})"),
        (None, None) => "—".to_string(),
    }
}

/// Rows near a boundary shown in the text forms; JSON has them all.
const NEAR_SHOWN: usize = 20;

fn text(report: &Report, markdown: bool) -> String {
    let mut out = String::new();
    let heading = |out: &mut String, title: &str| heading(out, title, markdown);
    out.push_str(&format!(
        "{}{} rows; weights ±{} (the block's other weights renormalised), thresholds ±{}\n",
        if markdown {
            "## Sensitivity: "
        } else {
            "sensitivity: "
        },
        report.rows,
        format_number(report.weight_step),
        format_number(report.threshold_step),
    ));
    heading(&mut out, "Rows whose tier changes, most first");
    let rows: Vec<Vec<String>> = report
        .parameters
        .iter()
        .map(|p| {
            vec![
                p.path.clone(),
                p.kind.word().to_string(),
                format_number(p.value),
                shift(&p.down),
                shift(&p.up),
            ]
        })
        .collect();
    let head = ["parameter", "kind", "value", "down", "up"];
    out.push_str(&table(&head, &rows, markdown));
    heading(
        &mut out,
        &format!(
            "Rows within {} of a tier threshold: {}",
            format_number(report.epsilon),
            report.near_boundary.len()
        ),
    );
    let rows: Vec<Vec<String>> = report
        .near_boundary
        .iter()
        .take(NEAR_SHOWN)
        .map(|n| {
            vec![
                format!("{} {}", n.partner, n.period).trim_end().to_string(),
                n.score.clone(),
                format!("{:.2}", n.value),
                n.tier.clone(),
                format!(
                    "{:+.2} from {} ({})",
                    n.distance,
                    format_number(n.threshold),
                    n.boundary_tier
                ),
            ]
        })
        .collect();
    if !rows.is_empty() {
        let head = ["partner", "score", "value", "tier", "boundary"];
        out.push_str(&table(&head, &rows, markdown));
    }
    if report.near_boundary.len() > NEAR_SHOWN {
        out.push_str(&format!(
            "… and {} more (`--format json` lists them all)\n",
            report.near_boundary.len() - NEAR_SHOWN
        ));
    }
    out
}

/// A section heading: `###` in Markdown, underlined in text.
pub(super) fn heading(out: &mut String, title: &str, markdown: bool) {
    if markdown {
        out.push_str(&format!("\n### {title}\n\n"));
    } else {
        let line = "─".repeat(title.chars().count());
        out.push_str(&format!("\n{title}\n{line}\n"));
    }
}

/// A plain-text or Markdown table; the first column of a Markdown table in backticks.
pub(super) fn table(head: &[&str], rows: &[Vec<String>], markdown: bool) -> String {
    let mut out = String::new();
    if markdown {
        let rule: Vec<&str> = head.iter().map(|_| "---").collect();
        out.push_str(&format!("| {} |\n|{}|\n", head.join(" | "), rule.join("|")));
        for r in rows {
            if let Some((first, rest)) = r.split_first() {
                out.push_str(&format!("| `{first}` | {} |\n", rest.join(" | ")));
            }
        }
        return out;
    }
    let mut widths: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let head: Vec<String> = head.iter().map(|h| h.to_string()).collect();
    for r in std::iter::once(&head).chain(rows) {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
